#include "pipeline/quarantine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"
#include "pipeline/csv.h"


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

