#include "pipeline/quarantine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"
#include "pipeline/csv.h"

#define QUAR_SCAN_CHUNK (1024 * 1024)  /* bytes read at once by quar_lines */

int
quar_open(struct quarantine *q, const char *path, int input_fd,
	  struct wk_err *err)
{
	memset(q, 0, sizeof *q);
	q->input_fd = input_fd;
	q->buf = malloc(QUAR_ROW_MAX);
	if (q->buf == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	if (outfile_open(&q->of, path, err) != WK_OK) {
		free(q->buf);
		q->buf = NULL;
		return WK_ERR_IO;
	}
	q->open = true;
	outfile_puts(&q->of, "line,reason,value,row\n");
	return WK_OK;
}

/* Reads up to want bytes at offset; returns the count read. */
static size_t
quar_read(const struct quarantine *q, uint64_t offset, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = pread(q->input_fd, q->buf + got, want - got,
		    (off_t)(offset + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

void
quar_add(struct quarantine *q, uint64_t line, enum badrow_reason reason,
	 const char *text, size_t len, uint64_t offset, uint64_t size)
{
	size_t want = size > 0 && size < QUAR_ROW_MAX ? (size_t)size :
	    QUAR_ROW_MAX;
	size_t got;
	char *nl;

	if (!q->open)
		return;
	got = quar_read(q, offset, want);
	/* Without a size the row ends at its first line end. */
	if (size == 0 && (nl = memchr(q->buf, '\n', got)) != NULL)
		got = (size_t)(nl - q->buf);
	if (got > 0 && q->buf[got - 1] == '\n')
		got--;
	if (got > 0 && q->buf[got - 1] == '\r')
		got--;

	outfile_printf(&q->of, "%" PRIu64 ",%s,", line, badrows_code(reason));
	if (text != NULL)
		csv_write_field(&q->of, text, len);
	outfile_puts(&q->of, ",");
	csv_write_field(&q->of, q->buf, got);
	outfile_puts(&q->of, "\n");
	q->rows++;
}

int
quar_commit(struct quarantine *q, struct wk_err *err)
{
	if (!q->open)
		return WK_OK;
	q->open = false;
	return outfile_commit(&q->of, err);
}

void
quar_close(struct quarantine *q)
{
	if (q->open)
		outfile_abort(&q->of);
	q->open = false;
	free(q->buf);
	q->buf = NULL;
}

/* Counts the newlines in the len bytes at p, eight bytes at a time. */
static uint64_t
quar_count_newlines(const char *p, size_t len)
{
	const uint64_t ones7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
	const uint64_t newlines = UINT64_C(0x0A0A0A0A0A0A0A0A);
	uint64_t count = 0, w, x;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		x = w ^ newlines;
		/*
		 * The high bit of each byte that is zero in x, and only
		 * those; the multiply adds the eight bits up in the top byte.
		 */
		x = ~(((x & ones7) + ones7) | x | ones7);
		count += ((x >> 7) * UINT64_C(0x0101010101010101)) >> 56;
	}
	for (; i < len; i++)
		count += p[i] == '\n';
	return count;
}

int
quar_lines(int fd, const uint64_t *offsets, size_t n, uint64_t *lines)
{
	char *chunk = malloc(QUAR_SCAN_CHUNK);
	uint64_t pos = 0, newlines = 0;
	size_t i = 0;
	int rc = WK_OK;

	if (chunk == NULL)
		return WK_ERR_NOMEM;
	while (i < n) {
		ssize_t got = pread(fd, chunk, QUAR_SCAN_CHUNK, (off_t)pos);
		uint64_t done = 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = WK_ERR_IO;
			break;
		}
		/* Counts up to each offset that lies in this chunk. */
		for (; i < n && offsets[i] < pos + (uint64_t)got; i++) {
			newlines += quar_count_newlines(chunk + done,
			    (size_t)(offsets[i] - pos - done));
			done = offsets[i] - pos;
			lines[i] = newlines + 1;
		}
		newlines += quar_count_newlines(chunk + done,
		    (size_t)((uint64_t)got - done));
		pos += (uint64_t)got;
	}
	free(chunk);
	return rc;
}
