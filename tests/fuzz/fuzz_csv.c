/*
 * libFuzzer target of the CSV and line reader (pipeline/csv.c): reads
 * the input twice, once with the in-place path and once with the state
 * machine alone, and requires the same records from both, with fields
 * that end where their lengths say. The first byte picks the mode and
 * the record limit, so that long-record handling is reached too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[64];

/* Removes the scratch file when libFuzzer exits. */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

/* Writes the input to this process's scratch file. */
static void
fuzz_write(const uint8_t *data, size_t size)
{
	FILE *fp;

	if (fuzz_path[0] == '\0') {
		snprintf(fuzz_path, sizeof fuzz_path, "/tmp/fuzz_csv.%ld",
		    (long)getpid());
		atexit(fuzz_cleanup);
	}
	fp = fopen(fuzz_path, "wb");
	if (fp == NULL || fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
}

/* One record, copied, to compare the two readings. */
struct fuzz_rec {
	struct csv_record rec;  /* line, offset, size, bad, n_fields */
	char *text;             /* the fields, each with its NUL */
	size_t len;             /* bytes of text */
};

static void
fuzz_copy(const struct csv_record *rec, struct fuzz_rec *out)
{
	size_t i, at = 0;

	out->rec = *rec;
	out->len = 0;
	for (i = 0; i < rec->n_fields; i++) {
		if (rec->fields[i].data[rec->fields[i].len] != '\0')
			abort();
		out->len += rec->fields[i].len + 1;
	}
	out->text = malloc(out->len + 1);
	if (out->text == NULL)
		abort();
	for (i = 0; i < rec->n_fields; i++) {
		memcpy(out->text + at, rec->fields[i].data,
		    rec->fields[i].len + 1);
		at += rec->fields[i].len + 1;
	}
}

/* Reads every record; returns how many, stored in recs (up to max). */
static size_t
fuzz_read(enum csv_mode mode, size_t max_record, int bytewise,
	  struct fuzz_rec *recs, size_t max)
{
	struct csv_reader r;
	struct csv_record rec;
	struct wk_err err;
	size_t n = 0;
	uint64_t last = 0;

	if (csv_open(&r, fuzz_path, mode, max_record, &err) != WK_OK)
		abort();
	r.bytewise = bytewise != 0;
	while (n < max && csv_next(&r, fuzz_path, &rec, &err) == WK_OK) {
		if (rec.offset < last || rec.size == 0)
			abort();
		last = rec.offset + rec.size;
		fuzz_copy(&rec, &recs[n++]);
	}
	csv_close(&r);
	return n;
}

static int
fuzz_same(const struct fuzz_rec *a, const struct fuzz_rec *b)
{
	return a->rec.line == b->rec.line && a->rec.offset == b->rec.offset &&
	    a->rec.size == b->rec.size && a->rec.bad == b->rec.bad &&
	    a->rec.n_fields == b->rec.n_fields && a->len == b->len &&
	    memcmp(a->text, b->text, a->len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_rec fast[512], slow[512];
	enum csv_mode mode;
	size_t max_record, n_fast, n_slow, i;

	if (size == 0)
		return 0;
	mode = data[0] & 1 ? CSV_MODE_LINES : CSV_MODE_RFC4180;
	max_record = data[0] & 2 ? 16 + (data[0] >> 2) : 0;
	fuzz_write(data + 1, size - 1);

	n_fast = fuzz_read(mode, max_record, 0, fast, 512);
	n_slow = fuzz_read(mode, max_record, 1, slow, 512);
	if (n_fast != n_slow)
		abort();
	for (i = 0; i < n_fast; i++) {
		if (!fuzz_same(&fast[i], &slow[i]))
			abort();
		free(fast[i].text);
		free(slow[i].text);
	}
	return 0;
}
