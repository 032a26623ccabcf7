/*
 * The end of `churn ingest`: the merge of the sorted runs into the event
 * file, the duplicates found on the way, and their quarantine.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/clock.h"
#include "pipeline/churn.h"
#include "pipeline/evfile.h"
#include "pipeline/ingeststage.h"
#include "pipeline/outfile.h"

#define INGEST_WRITE_SLICE 65536  /* records between progress calls */
#define INGEST_USER_CHUNK 1024    /* user entries written at once */
#define INGEST_SCAN_CHUNK (1024 * 1024)  /* bytes read at once to count
                                          * the lines of duplicates */

/* Returns p grown from old to cap entries, the new ones 0, or NULL. */
static uint64_t *
ingest_grow_u64(uint64_t *p, uint64_t old, uint64_t cap)
{
	uint64_t *q = realloc(p, (size_t)cap * sizeof *q);

	if (q == NULL) {
		free(p);
		return NULL;
	}
	memset(q + old, 0, (size_t)(cap - old) * sizeof *q);
	return q;
}

/* Appends a duplicate, growing the array by half when full. */
static int
ingest_push_dup(struct ingest_dups *d, uint64_t offset, uint64_t first)
{
	if (d->n == d->cap) {
		uint64_t cap = d->cap < 64 ? 64 : d->cap + d->cap / 2;
		struct ingest_dup *items = realloc(d->items,
		    (size_t)cap * sizeof *items);

		if (items == NULL)
			return WK_ERR_NOMEM;
		d->items = items;
		d->cap = cap;
	}
	d->items[d->n++] = (struct ingest_dup){ offset, first };
	return WK_OK;
}

static bool
ingest_same_event(const struct evrun_rec *a, const struct evrun_rec *b)
{
	return a->user == b->user && a->time_ms == b->time_ms &&
	    a->name == b->name && a->value == b->value;
}

/* Grows the count arrays to hold user and name (EVFILE_NO_NAME: none). */
static int
ingest_reserve_counts(struct ingest_out *out, uint32_t user, uint32_t name)
{
	uint64_t cap;

	if (user >= out->cap_users) {
		uint32_t *c;

		cap = out->cap_users < 65536 ? 65536 : out->cap_users * 2;
		while (cap <= user)
			cap *= 2;
		c = realloc(out->user_counts, (size_t)cap * sizeof *c);
		if (c == NULL)
			return WK_ERR_NOMEM;
		memset(c + out->cap_users, 0,
		    (size_t)(cap - out->cap_users) * sizeof *c);
		out->user_counts = c;
		out->cap_users = cap;
	}
	if (name == EVFILE_NO_NAME || name < out->cap_names)
		return WK_OK;
	cap = out->cap_names < 64 ? 64 : out->cap_names * 2;
	while (cap <= name)
		cap *= 2;
	out->name_counts = ingest_grow_u64(out->name_counts, out->cap_names,
	    cap);
	if (out->name_counts == NULL)
		return WK_ERR_NOMEM;
	out->cap_names = cap;
	return WK_OK;
}

static void
ingest_flush_chunk(struct ingest_out *out)
{
	evfile_writer_records(&out->writer, out->chunk, out->chunk_n);
	out->chunk_n = 0;
}

/*
 * Takes one record in order. A record equal to the one before it in
 * user, time, name and value is a duplicate. The first of them, the one
 * of the earliest row, is always kept.
 */
static int
ingest_emit(struct ingest *in, const struct evrun_rec *r)
{
	struct ingest_out *out = &in->out;

	if (out->seen++ > 0 && ingest_same_event(&out->prev, r)) {
		if (ingest_push_dup(&out->dups, r->offset, out->first_offset) !=
		    WK_OK)
			return WK_ERR_NOMEM;
		if (!in->opts->keep_duplicates)
			return WK_OK;
	} else {
		out->prev = *r;
		out->first_offset = r->offset;
	}
	if (ingest_reserve_counts(out, r->user, r->name) != WK_OK)
		return WK_ERR_NOMEM;
	if (out->user_counts[r->user] == UINT32_MAX)
		return WK_ERR_LIMIT;
	out->user_counts[r->user]++;
	if (r->name != EVFILE_NO_NAME)
		out->name_counts[r->name]++;

	out->chunk[out->chunk_n++] = (struct evfile_record){ r->time_ms,
	    r->value, r->user, r->name };
	if (out->chunk_n == sizeof out->chunk / sizeof out->chunk[0])
		ingest_flush_chunk(out);
	return WK_OK;
}

/* Fills err for a failure of ingest_emit() on record r. */
static int
ingest_emit_failed(struct ingest *in, int rc, const struct evrun_rec *r,
		   struct wk_err *err)
{
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc, _("user %" PRIu32 " (counted from 1 "
		    "in order of appearance) of '%s' has more than %" PRIu32
		    " events, the most an event file holds for one user"),
		    r->user + 1, in->opts->input, UINT32_MAX);
	return wk_err_set(err, rc, _("out of memory after %" PRIu64
	    " events"), in->out.seen);
}

int
ingest_emit_run(void *arg, struct evrun_rec *recs, size_t n,
		struct wk_err *err)
{
	struct ingest *in = arg;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = ingest_emit(in, &recs[i]);
		if (rc != WK_OK)
			return ingest_emit_failed(in, rc, &recs[i], err);
	}
	return WK_OK;
}

/* Merges the spilled runs and the one in memory into the records. */
static int
ingest_merge(struct ingest *in, struct wk_err *err)
{
	struct churn_phase phase = { in->nt, INGEST_READ_SHARE,
	    0.98 - INGEST_READ_SHARE };
	uint64_t total = evrun_count(&in->runs), done = 0;
	struct evrun_merge m;
	struct evrun_rec r;
	int rc;

	notify_status(in->nt, _("merging %" PRIu64 " events of %" PRIu32
	    " users into %s"), total, in->users.n, in->opts->output);
	rc = evrun_merge_begin(&in->runs, &m, err);
	while (rc == WK_OK && (rc = evrun_merge_next(&m, &r, err)) == WK_OK) {
		rc = ingest_emit(in, &r);
		if (rc != WK_OK)
			rc = ingest_emit_failed(in, rc, &r, err);
		if (++done % INGEST_WRITE_SLICE == 0)
			churn_progress_fn(&phase, (double)done / (double)total);
	}
	evrun_merge_end(&m);
	return rc == EVRUN_END ? WK_OK : rc;
}

/* Writes the user table from the users' counts, then the id text. */
static void
ingest_write_users(struct ingest *in)
{
	struct evfile_user chunk[INGEST_USER_CHUNK];
	struct ingest_out *out = &in->out;
	uint64_t first = 0;
	uint32_t u;
	size_t n = 0;

	for (u = 0; u < in->users.n; u++) {
		const struct usertab_entry *e = &in->users.entries[u];
		uint32_t count = u < out->cap_users ? out->user_counts[u] : 0;

		chunk[n++] = (struct evfile_user){ first, e->text_offset,
		    count, e->text_len };
		first += count;
		if (n == INGEST_USER_CHUNK || u + 1 == in->users.n) {
			outfile_write(&out->file, chunk, n * sizeof chunk[0]);
			n = 0;
		}
	}
	evfile_writer_text(&out->writer, in->users.arena,
	    in->users.arena_len);
}

/* Writes the name table, in order of first appearance, and its text. */
static void
ingest_write_names(struct ingest *in)
{
	struct ingest_out *out = &in->out;
	uint32_t i;

	for (i = 0; i < in->names.n; i++) {
		struct evfile_name e = { in->names.entries[i].offset,
		    i < out->cap_names ? out->name_counts[i] : 0,
		    in->names.entries[i].len, 0 };

		outfile_write(&out->file, &e, sizeof e);
	}
	evfile_writer_text(&out->writer, in->names.arena,
	    in->names.arena_len);
}

/* Writes the tables after the records, and the header. */
static int
ingest_write_tables(struct ingest *in)
{
	const struct ingest_opts *o = in->opts;
	struct ingest_out *out = &in->out;
	struct evfile_header h;

	ingest_flush_chunk(out);
	if (evfile_writer_tables(&out->writer, in->users.n,
	    in->users.arena_len, in->names.n, in->names.arena_len) != WK_OK)
		return WK_ERR_IO;
	ingest_write_users(in);
	ingest_write_names(in);

	memset(&h, 0, sizeof h);
	h.flags = (o->event_column != NULL ? EVFILE_HAS_NAMES : 0) |
	    (o->value_column != NULL ? EVFILE_HAS_VALUES : 0);
	h.n_events = out->writer.n_records;
	h.n_users = in->users.n;
	h.n_names = in->names.n;
	h.time_min_ms = in->res->time_min_ms;
	h.time_max_ms = in->res->time_max_ms;
	h.rows_in = in->res->rows_in;
	h.rows_bad = in->res->bad.total;
	h.rows_skipped = in->res->rows_skipped;
	return evfile_writer_finish(&out->writer, &h);
}

static int
ingest_compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
ingest_compare_dups(const void *a, const void *b)
{
	const struct ingest_dup *x = a, *y = b;

	return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Returns the line of offset, which must be one of the n sorted offsets. */
static uint64_t
ingest_line_of(const uint64_t *offsets, const uint64_t *lines, size_t n,
	       uint64_t offset)
{
	const uint64_t *hit = bsearch(&offset, offsets, n, sizeof *offsets,
	    ingest_compare_u64);

	return hit != NULL ? lines[hit - offsets] : 0;
}

/*
 * Reads the log from *pos up to end, counting the newlines into *line.
 * Returns WK_OK, or WK_ERR_IO when the log ends before end or cannot be
 * read.
 */
static int
ingest_count_lines(int fd, char *buf, uint64_t *pos, uint64_t end,
		   uint64_t *line)
{
	while (*pos < end) {
		size_t want = end - *pos < INGEST_SCAN_CHUNK ?
		    (size_t)(end - *pos) : INGEST_SCAN_CHUNK;
		ssize_t got = pread(fd, buf, want, (off_t)*pos);
		const char *p = buf, *stop = buf + (got > 0 ? got : 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return WK_ERR_IO;
		while ((p = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
			(*line)++;
			p++;
		}
		*pos += (uint64_t)got;
	}
	return WK_OK;
}

/*
 * Each count starts at the last mark at or before the offset, or goes on
 * from the offset before when no mark lies in between, so that the log
 * is read only around the rows.
 */
int
ingest_find_lines(const struct ingest_marks *m, int fd,
		  const uint64_t *offsets, size_t n, uint64_t *lines)
{
	char *buf = malloc(INGEST_SCAN_CHUNK);
	uint64_t pos = 0, line = 1;
	size_t i, k = 0;
	int rc = WK_OK;

	if (buf == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; rc == WK_OK && i < n; i++) {
		while (k < m->n && m->items[k].offset <= offsets[i])
			k++;
		if (k > 0 && m->items[k - 1].offset > pos) {
			pos = m->items[k - 1].offset;
			line = m->items[k - 1].line;
		}
		rc = ingest_count_lines(fd, buf, &pos, offsets[i], &line);
		lines[i] = line;
	}
	free(buf);
	return rc;
}

/*
 * Counts the duplicates in file order with their lines, and copies the
 * dropped ones to the quarantine file, naming the earlier equal row.
 */
static int
ingest_note_dups(struct ingest *in, struct ingest_dups *d)
{
	enum badrow_reason reason = in->opts->keep_duplicates ?
	    BADROW_DUPLICATE_KEPT : BADROW_DUPLICATE;
	size_t n = (size_t)d->n * 2, i;
	uint64_t *offsets = malloc(n * sizeof *offsets);
	uint64_t *lines = malloc(n * sizeof *lines);
	int rc = WK_ERR_NOMEM;

	if (offsets == NULL || lines == NULL)
		goto out;
	qsort(d->items, (size_t)d->n, sizeof *d->items, ingest_compare_dups);
	for (i = 0; i < d->n; i++) {
		offsets[2 * i] = d->items[i].offset;
		offsets[2 * i + 1] = d->items[i].first_offset;
	}
	qsort(offsets, n, sizeof *offsets, ingest_compare_u64);
	rc = ingest_find_lines(&in->marks, in->reader.fd, offsets, n, lines);

	for (i = 0; rc == WK_OK && i < d->n; i++) {
		uint64_t line = ingest_line_of(offsets, lines, n,
		    d->items[i].offset);
		char first[32];

		snprintf(first, sizeof first, "%" PRIu64, ingest_line_of(offsets,
		    lines, n, d->items[i].first_offset));
		badrows_add(&in->res->notes, reason, line, NULL, 0);
		if (reason == BADROW_DUPLICATE)
			quar_add(&in->quarantine, line, reason, first,
			    strlen(first), d->items[i].offset, 0);
	}
out:
	free(offsets);
	free(lines);
	return rc;
}

/* Notes the duplicates; returns a WK_* code with err filled. */
static int
ingest_quarantine_dups(struct ingest *in, struct ingest_dups *dups,
		       struct wk_err *err)
{
	int rc = ingest_note_dups(in, dups);

	if (rc == WK_ERR_IO)
		return wk_err_set(err, rc, _("cannot read '%s' again to find "
		    "the lines of %" PRIu64 " duplicate rows"), in->opts->input,
		    dups->n);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("out of memory finding the lines "
		    "of %" PRIu64 " duplicate rows"), dups->n);
	return WK_OK;
}

int
ingest_write_events(struct ingest *in, struct wk_err *err)
{
	struct ingest_out *out = &in->out;
	int rc;

	if (in->runs.direct)
		rc = evrun_finish_direct(&in->runs, err);
	else
		rc = ingest_merge(in, err);
	if (rc != WK_OK)
		return rc;

	notify_status(in->nt, _("writing %s"), in->opts->output);
	rc = ingest_write_tables(in);
	if (rc == WK_ERR_IO)
		return wk_err_set(err, rc, _("cannot write '%s': %s; check the "
		    "free space"), in->opts->output,
		    strerror(out->file.write_errno));
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("internal error: the tables of "
		    "'%s' do not match their layout"), in->opts->output);
	in->res->events = out->writer.n_records;
	in->res->users = in->users.n;
	if (out->dups.n > 0)
		rc = ingest_quarantine_dups(in, &out->dups, err);
	return rc;
}

int
ingest_out_reset(struct ingest *in, struct wk_err *err)
{
	struct ingest_out *out = &in->out;

	if (out->user_counts != NULL)
		memset(out->user_counts, 0,
		    (size_t)out->cap_users * sizeof *out->user_counts);
	if (out->name_counts != NULL)
		memset(out->name_counts, 0,
		    (size_t)out->cap_names * sizeof *out->name_counts);
	out->seen = 0;
	out->chunk_n = 0;
	out->dups.n = 0;
	if (evfile_writer_begin(&out->writer, &out->file) != WK_OK)
		return wk_err_set(err, WK_ERR_IO, _("cannot write '%s': %s"),
		    in->opts->output, strerror(out->file.write_errno));
	return WK_OK;
}
