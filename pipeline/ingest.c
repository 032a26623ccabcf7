#include "pipeline/ingest.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/csv.h"
#include "pipeline/decimal.h"
#include "pipeline/evfile.h"
#include "pipeline/evsort.h"
#include "pipeline/jarena.h"
#include "pipeline/outfile.h"
#include "pipeline/quarantine.h"
#include "pipeline/strtab.h"
#include "pipeline/utf8.h"

#define INGEST_MAX_STRINGS (UINT32_MAX - 1)  /* distinct users or names */
#define INGEST_PROGRESS_ROWS 4096            /* rows between progress calls */
#define INGEST_READ_SHARE 0.85               /* progress share of reading */

/* One accepted row, pointing into the reader's or jansson's buffers. */
struct ingest_row {
	const char *user;   /* user id bytes */
	size_t user_len;    /* bytes of user */
	int64_t time_ms;    /* event time, ms since the epoch */
	const char *event;  /* event name, NULL without an event column */
	size_t event_len;   /* bytes of event */
	double value;       /* value, 0 without a value column */
};

/* Offending value of a bad row, as the row parsers report it. */
struct ingest_bad {
	const char *text;  /* the offending value, or NULL */
	size_t len;        /* bytes of text */
};

struct ingest {
	const struct ingest_opts *opts;  /* the command line */
	struct ingest_result *res;       /* counts for the caller */
	struct notify *nt;               /* progress goes here */
	struct csv_reader reader;        /* the input */
	uint64_t file_size;              /* bytes of the input, for progress */
	size_t n_columns;                /* CSV: fields in the header */
	long col_user;                   /* CSV: field index of each column, */
	long col_time;                   /* -1 when not requested */
	long col_event;
	long col_value;
	struct strtab users;             /* distinct user ids */
	struct strtab names;             /* distinct event names */
	struct evfile_record *recs;      /* events in input order; owned */
	uint64_t *offsets;               /* file offset of each event's row,
	                                  * moved with recs; owned */
	uint64_t n_recs;                 /* events in recs */
	uint64_t cap_recs;               /* records allocated */
	int64_t *user_last;              /* latest time of each user index;
	                                  * owned */
	uint64_t cap_users;              /* entries allocated in user_last */
	uint32_t n_seen_users;           /* users with a time in user_last */
	struct quarantine quarantine;    /* rows left out */
	struct jarena arena;             /* JSON: jansson's memory for a line */
	char user_buf[32];               /* JSON: an integer user id as text */
	char event_buf[32];              /* JSON: an integer event as text */
	char time_buf[32];               /* JSON: a numeric time as text */
};

/*
 * Appends an event and the offset of its row, growing the arrays by half
 * their size when full.
 * NOTE: every event stays in memory until the file is written, as 24
 * bytes of record and 8 of row offset (kept to find the lines of
 * duplicates). 100 M events take about 3.2 GB, and up to half again
 * while the arrays grow.
 */
static int
ingest_push(struct ingest *in, const struct evfile_record *r,
	    uint64_t offset)
{
	if (in->n_recs == in->cap_recs) {
		uint64_t cap = in->cap_recs < 65536 ? 65536 :
		    in->cap_recs + in->cap_recs / 2;
		struct evfile_record *recs;
		uint64_t *offsets;

		if (cap > SIZE_MAX / sizeof *recs)
			return WK_ERR_NOMEM;
		recs = realloc(in->recs, (size_t)cap * sizeof *recs);
		if (recs == NULL)
			return WK_ERR_NOMEM;
		in->recs = recs;
		offsets = realloc(in->offsets, (size_t)cap * sizeof *offsets);
		if (offsets == NULL)
			return WK_ERR_NOMEM;
		in->offsets = offsets;
		in->cap_recs = cap;
	}
	in->offsets[in->n_recs] = offset;
	in->recs[in->n_recs++] = *r;
	return WK_OK;
}

/*
 * Counts a row earlier than an earlier row of the same user, and keeps
 * each user's latest time. user_last grows with the user table.
 */
static int
ingest_check_order(struct ingest *in, uint32_t user, int64_t time_ms,
		   uint64_t line)
{
	if (user >= in->cap_users) {
		uint64_t cap = in->cap_users < 4096 ? 4096 :
		    in->cap_users * 2;
		int64_t *last = realloc(in->user_last, (size_t)cap *
		    sizeof *last);

		if (last == NULL)
			return WK_ERR_NOMEM;
		in->user_last = last;
		in->cap_users = cap;
	}
	if (user >= in->n_seen_users) {
		in->user_last[user] = time_ms;
		in->n_seen_users = user + 1;
		return WK_OK;
	}
	if (time_ms < in->user_last[user])
		badrows_add(&in->res->notes, BADROW_OUT_OF_ORDER, line, NULL, 0);
	else
		in->user_last[user] = time_ms;
	return WK_OK;
}

/* Interns the row's strings and stores it as an event. */
static int
ingest_accept(struct ingest *in, const struct ingest_row *row,
	      const struct csv_record *rec, struct wk_err *err)
{
	struct evfile_record r = { row->time_ms, row->value, 0, EVFILE_NO_NAME };
	int rc;

	rc = strtab_intern(&in->users, row->user, row->user_len, &r.user);
	if (rc == WK_OK && row->event != NULL)
		rc = strtab_intern(&in->names, row->event, row->event_len,
		    &r.name);
	if (rc == WK_OK)
		rc = ingest_check_order(in, r.user, r.time_ms, rec->line);
	if (rc == WK_OK)
		rc = ingest_push(in, &r, rec->offset);
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc, _("'%s' has more than %" PRIu32
		    " distinct user ids or event names, the maximum of an event "
		    "file"), in->opts->input,
		    (uint32_t)INGEST_MAX_STRINGS);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("out of memory after %" PRIu64
		    " events of '%s'"), in->n_recs, in->opts->input);

	if (in->n_recs == 1 || row->time_ms < in->res->time_min_ms)
		in->res->time_min_ms = row->time_ms;
	if (in->n_recs == 1 || row->time_ms > in->res->time_max_ms)
		in->res->time_max_ms = row->time_ms;
	return WK_OK;
}

/* Counts a bad row and copies it to the quarantine file. */
static void
ingest_count_bad(struct ingest *in, enum badrow_reason reason,
		 const struct csv_record *rec, const struct ingest_bad *bad)
{
	if (reason == BADROW_EMPTY_USER && in->opts->skip_empty_user) {
		in->res->rows_skipped++;
		return;
	}
	badrows_add(&in->res->bad, reason, rec->line, bad->text, bad->len);
	quar_add(&in->quarantine, rec->line, reason, bad->text, bad->len,
	    rec->offset, rec->size);
}

/* Splits a CSV record into a row. */
static enum badrow_reason
ingest_csv_row(struct ingest *in, const struct csv_record *rec,
	       struct ingest_row *row, struct ingest_bad *bad)
{
	const struct csv_field *f = rec->fields;
	const struct csv_field *time;
	size_t i;

	if (rec->n_fields != in->n_columns)
		return BADROW_COLUMNS;
	for (i = 0; i < rec->n_fields; i++) {
		if (!utf8_valid(f[i].data, f[i].len))
			return BADROW_UTF8;
	}

	row->user = f[in->col_user].data;
	row->user_len = f[in->col_user].len;
	if (row->user_len == 0)
		return BADROW_EMPTY_USER;
	time = &f[in->col_time];
	*bad = (struct ingest_bad){ time->data, time->len };
	if (timefmt_parse(in->opts->time_format, time->data, time->len,
	    &row->time_ms) != WK_OK)
		return BADROW_TIME;
	if (in->opts->has_max_time && row->time_ms >= in->opts->max_time_ms)
		return BADROW_AFTER_MAX_DATE;
	row->event = in->col_event >= 0 ? f[in->col_event].data : NULL;
	row->event_len = in->col_event >= 0 ? f[in->col_event].len : 0;
	row->value = 0.0;
	if (in->col_value < 0)
		return BADROW_OK;
	*bad = (struct ingest_bad){ f[in->col_value].data,
	    f[in->col_value].len };
	if (decimal_parse(bad->text, bad->len, 1, &row->value) != WK_OK)
		return BADROW_VALUE;
	return BADROW_OK;
}

static void
ingest_count_csv_record(struct ingest *in, const struct csv_record *rec,
			struct wk_err *err, int *rc)
{
	struct ingest_row row;
	struct ingest_bad bad = { NULL, 0 };
	enum badrow_reason reason = ingest_csv_row(in, rec, &row, &bad);

	if (reason == BADROW_OK)
		*rc = ingest_accept(in, &row, rec, err);
	else
		ingest_count_bad(in, reason, rec, &bad);
}

/*
 * Reads a JSON string, integer or null (as "") into *text. Returns
 * BADROW_FIELD for other types.
 */
static enum badrow_reason
ingest_json_text(json_t *v, char *buf, size_t size, const char **text,
		 size_t *len)
{
	if (json_is_string(v)) {
		*text = json_string_value(v);
		*len = json_string_length(v);
	} else if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		*text = buf;
		*len = strlen(buf);
	} else if (json_is_null(v)) {
		*text = "";
		*len = 0;
	} else {
		return BADROW_FIELD;
	}
	return BADROW_OK;
}

/* Reads the time from a JSON number or string. */
static enum badrow_reason
ingest_json_time(struct ingest *in, json_t *v, int64_t *ms,
		 struct ingest_bad *bad)
{
	enum timefmt fmt = in->opts->time_format;
	int rc;

	if (json_is_real(v)) {
		snprintf(in->time_buf, sizeof in->time_buf, "%.17g",
		    json_real_value(v));
		*bad = (struct ingest_bad){ in->time_buf, strlen(in->time_buf) };
		rc = timefmt_from_number(fmt, json_real_value(v), ms);
		return rc == WK_OK ? BADROW_OK : BADROW_TIME;
	}
	if (ingest_json_text(v, in->time_buf, sizeof in->time_buf, &bad->text,
	    &bad->len) != BADROW_OK || json_is_null(v))
		return BADROW_TIME;
	rc = timefmt_parse(fmt, bad->text, bad->len, ms);
	return rc == WK_OK ? BADROW_OK : BADROW_TIME;
}

/* Reads the value from a JSON number, numeric string or null (0). */
static enum badrow_reason
ingest_json_value(json_t *v, double *value, struct ingest_bad *bad)
{
	*value = 0.0;
	if (v == NULL || json_is_null(v))
		return BADROW_OK;
	if (json_is_number(v)) {
		*value = json_number_value(v);
		return isfinite(*value) ? BADROW_OK : BADROW_VALUE;
	}
	if (!json_is_string(v))
		return BADROW_VALUE;
	*bad = (struct ingest_bad){ json_string_value(v),
	    json_string_length(v) };
	if (decimal_parse(bad->text, bad->len, 1, value) != WK_OK)
		return BADROW_VALUE;
	return BADROW_OK;
}

/* Takes the row's fields out of a parsed JSON object. */
static enum badrow_reason
ingest_json_row(struct ingest *in, json_t *obj, struct ingest_row *row,
		struct ingest_bad *bad)
{
	const struct ingest_opts *o = in->opts;
	json_t *user = json_object_get(obj, o->user_column);
	json_t *time = json_object_get(obj, o->time_column);
	json_t *event = NULL;
	enum badrow_reason reason;

	if (o->event_column != NULL)
		event = json_object_get(obj, o->event_column);
	*bad = (struct ingest_bad){ o->user_column, strlen(o->user_column) };
	if (user == NULL || ingest_json_text(user, in->user_buf,
	    sizeof in->user_buf, &row->user, &row->user_len) != BADROW_OK)
		return BADROW_FIELD;
	if (row->user_len == 0) {
		*bad = (struct ingest_bad){ NULL, 0 };
		return BADROW_EMPTY_USER;
	}
	*bad = (struct ingest_bad){ o->time_column, strlen(o->time_column) };
	if (time == NULL)
		return BADROW_FIELD;
	reason = ingest_json_time(in, time, &row->time_ms, bad);
	if (reason != BADROW_OK)
		return reason;
	if (o->has_max_time && row->time_ms >= o->max_time_ms)
		return BADROW_AFTER_MAX_DATE;

	row->event = NULL;
	row->event_len = 0;
	*bad = (struct ingest_bad){ o->event_column, o->event_column != NULL ?
	    strlen(o->event_column) : 0 };
	if (o->event_column != NULL && (event == NULL ||
	    ingest_json_text(event, in->event_buf, sizeof in->event_buf,
	    &row->event, &row->event_len) != BADROW_OK))
		return BADROW_FIELD;
	if (o->value_column == NULL) {
		row->value = 0.0;
		return BADROW_OK;
	}
	return ingest_json_value(json_object_get(obj, o->value_column),
	    &row->value, bad);
}

/* Parses one JSON line and takes its row; jansson's memory is reset. */
static void
ingest_count_json_record(struct ingest *in, const struct csv_record *rec,
			 struct wk_err *err, int *rc)
{
	const struct csv_field *line = &rec->fields[0];
	struct ingest_bad bad = { line->data, line->len };
	enum badrow_reason reason = BADROW_JSON;
	struct ingest_row row;
	json_error_t jerr;
	json_t *obj = NULL;

	if (!utf8_valid(line->data, line->len))
		reason = BADROW_UTF8;
	else
		obj = json_loadb(line->data, line->len, 0, &jerr);
	if (json_is_object(obj))
		reason = ingest_json_row(in, obj, &row, &bad);

	if (reason == BADROW_OK)
		*rc = ingest_accept(in, &row, rec, err);
	else
		ingest_count_bad(in, reason, rec, &bad);
	json_decref(obj);
	jarena_reset(&in->arena);
}

static void
ingest_count_reader_bad(struct ingest *in, const struct csv_record *rec)
{
	enum badrow_reason reason = BADROW_COLUMNS;

	if (rec->bad == CSV_BAD_TOO_LONG)
		reason = BADROW_TOO_LONG;
	else if (rec->bad == CSV_BAD_QUOTES)
		reason = BADROW_QUOTES;
	badrows_add(&in->res->bad, reason, rec->line, NULL, 0);
	quar_add(&in->quarantine, rec->line, reason, NULL, 0, rec->offset,
	    rec->size);
}

static int
ingest_read_rows(struct ingest *in, struct wk_err *err)
{
	struct csv_record rec;
	int rc;

	while ((rc = csv_next(&in->reader, in->opts->input, &rec, err)) ==
	    WK_OK) {
		in->res->rows_in++;
		if (rec.bad != CSV_BAD_NONE)
			ingest_count_reader_bad(in, &rec);
		else if (in->opts->format == INGEST_JSONL)
			ingest_count_json_record(in, &rec, err, &rc);
		else
			ingest_count_csv_record(in, &rec, err, &rc);
		if (rc != WK_OK)
			return rc;
		if (in->res->rows_in % INGEST_PROGRESS_ROWS == 0 &&
		    in->file_size > 0)
			notify_progress(in->nt, INGEST_READ_SHARE *
			    (double)in->reader.offset / (double)in->file_size);
	}
	return rc == CSV_EOF ? WK_OK : rc;
}

/* Finds the header field named name; *col stays -1 when name is NULL. */
static int
ingest_find_column(struct ingest *in, const struct csv_record *header,
		   const char *name, const char *option, long *col,
		   struct wk_err *err)
{
	char list[256];
	size_t i, used = 0;

	*col = -1;
	if (name == NULL)
		return WK_OK;
	for (i = 0; i < header->n_fields; i++) {
		if (strcmp(header->fields[i].data, name) == 0) {
			*col = (long)i;
			return WK_OK;
		}
	}

	list[0] = '\0';
	for (i = 0; i < header->n_fields && used + 1 < sizeof list; i++) {
		int n = snprintf(list + used, sizeof list - used, "%s%s",
		    i > 0 ? ", " : "", header->fields[i].data);

		used += n > 0 ? (size_t)n : 0;
	}
	return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ": the header "
	    "has no column '%s' (%s); its columns are: %s"), in->opts->input,
	    header->line, name, option, list);
}

static int
ingest_read_header(struct ingest *in, struct wk_err *err)
{
	const struct ingest_opts *o = in->opts;
	struct csv_record rec;
	int rc;

	rc = csv_next(&in->reader, o->input, &rec, err);
	if (rc == CSV_EOF)
		return wk_err_set(err, WK_ERR_INVALID, _("'%s' is empty; a CSV "
		    "log needs a header row and data rows"), o->input);
	if (rc != WK_OK)
		return rc;
	if (rec.bad != CSV_BAD_NONE)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ": the "
		    "header row cannot be read (%s); the first row must name "
		    "the columns"), o->input, rec.line,
		    _(csv_bad_name(rec.bad)));

	in->n_columns = rec.n_fields;
	if ((rc = ingest_find_column(in, &rec, o->user_column,
	    "--user-column", &in->col_user, err)) != WK_OK ||
	    (rc = ingest_find_column(in, &rec, o->time_column,
	    "--time-column", &in->col_time, err)) != WK_OK ||
	    (rc = ingest_find_column(in, &rec, o->event_column,
	    "--event-column", &in->col_event, err)) != WK_OK ||
	    (rc = ingest_find_column(in, &rec, o->value_column,
	    "--value-column", &in->col_value, err)) != WK_OK)
		return rc;
	return WK_OK;
}

/* Reads the whole log: the header (CSV) and every row. */
static int
ingest_read(struct ingest *in, struct wk_err *err)
{
	int rc;

	if (in->opts->format == INGEST_CSV) {
		rc = ingest_read_header(in, err);
		if (rc != WK_OK)
			return rc;
		return ingest_read_rows(in, err);
	}

	if (jarena_begin(&in->arena, JARENA_SIZE) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	rc = ingest_read_rows(in, err);
	jarena_end(&in->arena);
	return rc;
}

/* Rejects a log without rows, with too many bad rows or without events. */
static int
ingest_check_counts(struct ingest *in, struct wk_err *err)
{
	const struct ingest_result *res = in->res;
	const char *path = in->opts->input;

	if (res->rows_in == 0)
		return wk_err_set(err, WK_ERR_INVALID, _("'%s' has no data "
		    "rows; check that it is the right file"), path);
	if ((double)res->bad.total >
	    in->opts->max_bad_fraction * (double)res->rows_in)
		return wk_err_set(err, WK_ERR_INVALID, _("%" PRIu64 " of %"
		    PRIu64 " rows of '%s' are bad (%.2f%%), more than "
		    "--max-bad-fraction %g allows; fix the rows listed above "
		    "or raise --max-bad-fraction"), res->bad.total,
		    res->rows_in, path,
		    100.0 * (double)res->bad.total / (double)res->rows_in,
		    in->opts->max_bad_fraction);
	if (in->n_recs == 0)
		return wk_err_set(err, WK_ERR_INVALID, _("'%s' has no usable "
		    "events: all %" PRIu64 " rows were bad or skipped"), path,
		    res->rows_in);
	return WK_OK;
}

/* Writes the sorted events; returns an exit status. */
static int
ingest_write(struct ingest *in, const struct evsort_tables *tables,
	     struct wk_err *err)
{
	const struct ingest_opts *o = in->opts;
	struct churn_phase phase = { in->nt, 0.95, 0.05 };
	struct evfile_header header, *h = &header;
	struct evfile_data data;
	struct outfile of;

	memset(h, 0, sizeof *h);
	h->flags = (o->event_column != NULL ? EVFILE_HAS_NAMES : 0) |
	    (o->value_column != NULL ? EVFILE_HAS_VALUES : 0);
	h->n_events = in->n_recs;
	h->n_users = in->users.n;
	h->n_names = in->names.n;
	h->time_min_ms = in->res->time_min_ms;
	h->time_max_ms = in->res->time_max_ms;
	h->rows_in = in->res->rows_in;
	h->rows_bad = in->res->bad.total;
	h->rows_skipped = in->res->rows_skipped;
	data = (struct evfile_data){ header, tables->users, in->users.arena,
	    in->users.arena_len, tables->names, in->names.arena,
	    in->names.arena_len, in->recs };

	if (outfile_open(&of, o->output, err) != WK_OK)
		return EX_CANTCREAT;
	evfile_write(&of, &data, churn_progress_fn, &phase);
	if (outfile_commit(&of, err) != WK_OK)
		return EX_IOERR;
	return EX_OK;
}

static int
ingest_open(struct ingest *in, struct wk_err *err)
{
	enum csv_mode mode = in->opts->format == INGEST_CSV ?
	    CSV_MODE_RFC4180 : CSV_MODE_LINES;
	struct stat st;
	int rc;

	rc = csv_open(&in->reader, in->opts->input, mode, in->opts->max_line,
	    err);
	if (rc != WK_OK)
		return rc;
	if (fstat(in->reader.fd, &st) == 0 && st.st_size > 0)
		in->file_size = (uint64_t)st.st_size;
	return WK_OK;
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
	const struct evsort_dup *x = a, *y = b;

	return (x->aux > y->aux) - (x->aux < y->aux);
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
 * Counts the duplicates in file order with their lines, and copies the
 * dropped ones to the quarantine file, naming the earlier equal row.
 */
static int
ingest_note_dups(struct ingest *in, struct evsort_dups *d)
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
		offsets[2 * i] = d->items[i].aux;
		offsets[2 * i + 1] = d->items[i].first_aux;
	}
	qsort(offsets, n, sizeof *offsets, ingest_compare_u64);
	rc = quar_lines(in->reader.fd, offsets, n, lines);

	for (i = 0; rc == WK_OK && i < d->n; i++) {
		uint64_t line = ingest_line_of(offsets, lines, n,
		    d->items[i].aux);
		char first[32];

		snprintf(first, sizeof first, "%" PRIu64, ingest_line_of(offsets,
		    lines, n, d->items[i].first_aux));
		badrows_add(&in->res->notes, reason, line, NULL, 0);
		if (reason == BADROW_DUPLICATE)
			quar_add(&in->quarantine, line, reason, first,
			    strlen(first), d->items[i].aux, 0);
	}
out:
	free(offsets);
	free(lines);
	return rc;
}

/* Finds the duplicates and, unless they are kept, drops them. */
static int
ingest_dedup(struct ingest *in, struct evsort_tables *tables,
	     struct wk_err *err)
{
	struct evsort_dups dups;
	uint64_t n = in->n_recs;
	int rc;

	rc = evsort_dedup(in->recs, in->offsets, &n, tables, in->users.n,
	    !in->opts->keep_duplicates, &dups);
	if (rc == WK_OK && dups.n > 0)
		rc = ingest_note_dups(in, &dups);
	free(dups.items);
	if (rc == WK_ERR_IO)
		return wk_err_set(err, rc, _("cannot read '%s' again to find "
		    "the lines of %" PRIu64 " duplicate rows"), in->opts->input,
		    dups.n);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("out of memory finding duplicate "
		    "rows"));
	in->n_recs = n;
	return WK_OK;
}

/* Sorts the events, drops duplicates and writes them; returns a status. */
static int
ingest_finish(struct ingest *in, struct wk_err *err)
{
	struct churn_phase phase = { in->nt, INGEST_READ_SHARE,
	    0.95 - INGEST_READ_SHARE };
	struct evsort_tables tables;
	int rc, status;

	notify_status(in->nt, _("sorting %" PRIu64 " events of %" PRIu32
	    " users"), in->n_recs, in->users.n);
	rc = evsort_run(in->recs, in->offsets, in->n_recs, &in->users,
	    in->opts->event_column != NULL ? &in->names : NULL, &tables,
	    churn_progress_fn, &phase);
	if (rc == WK_ERR_LIMIT) {
		wk_err_set(err, rc, _("a user of '%s' has more than %" PRIu32
		    " events, the most an event file holds for one user"),
		    in->opts->input, UINT32_MAX);
		return EX_DATAERR;
	}
	if (rc == WK_OK)
		rc = ingest_dedup(in, &tables, err);
	else
		wk_err_set(err, rc, _("out of memory sorting %" PRIu64
		    " events"), in->n_recs);
	if (rc != WK_OK) {
		evsort_free(&tables);
		return rc == WK_ERR_IO ? EX_IOERR : EX_SOFTWARE;
	}

	in->res->users = in->users.n;
	in->res->events = in->n_recs;
	notify_status(in->nt, _("writing %s"), in->opts->output);
	status = ingest_write(in, &tables, err);
	evsort_free(&tables);
	return status;
}

/* Opens the quarantine file, by default OUTPUT.quarantine.csv. */
static int
ingest_open_quarantine(struct ingest *in, struct wk_err *err)
{
	const char *path = in->opts->quarantine;
	char buf[4096];

	if (path == NULL) {
		snprintf(buf, sizeof buf, "%s%s", in->opts->output, QUAR_SUFFIX);
		path = buf;
	}
	return quar_open(&in->quarantine, path, in->reader.fd, err);
}

/* Reads, checks, sorts and writes; returns an exit status. */
static int
ingest_steps(struct ingest *in, struct wk_err *err)
{
	struct wk_err qerr;
	int rc, status;

	rc = ingest_open(in, err);
	if (rc != WK_OK)
		return churn_exit_status(rc);
	rc = ingest_open_quarantine(in, err);
	if (rc != WK_OK)
		return rc == WK_ERR_IO ? EX_CANTCREAT : EX_SOFTWARE;

	notify_status(in->nt, _("reading %s"), in->opts->input);
	rc = ingest_read(in, err);
	if (rc == WK_OK)
		rc = ingest_check_counts(in, err);
	status = rc == WK_OK ? ingest_finish(in, err) : churn_exit_status(rc);
	if (status != EX_OK && status != EX_DATAERR)
		return status;

	/* The quarantine is kept when the stage fails on bad data, too. */
	in->res->quarantined = in->quarantine.rows;
	if (quar_commit(&in->quarantine, status == EX_OK ? err : &qerr) !=
	    WK_OK)
		return status == EX_OK ? EX_IOERR : status;
	return status;
}

int
ingest_run(const struct ingest_opts *opts, struct notify *nt,
	   struct ingest_result *res, struct wk_err *err)
{
	struct ingest in;
	int status;

	memset(&in, 0, sizeof in);
	memset(res, 0, sizeof *res);
	in.opts = opts;
	in.res = res;
	in.nt = nt;
	in.reader.fd = -1;
	strtab_init(&in.users, INGEST_MAX_STRINGS);
	strtab_init(&in.names, INGEST_MAX_STRINGS);

	status = ingest_steps(&in, err);
	quar_close(&in.quarantine);
	csv_close(&in.reader);
	strtab_free(&in.users);
	strtab_free(&in.names);
	free(in.recs);
	free(in.offsets);
	free(in.user_last);
	return status;
}

/* Converts the option texts; returns WK_ERR_INVALID for a usage error. */
static int
ingest_check_opts(struct ingest_opts *o, const char *format,
		  const char *time_format, const char *max_date,
		  struct wk_err *err)
{
	int64_t day;

	if (strcmp(format, "csv") == 0)
		o->format = INGEST_CSV;
	else if (strcmp(format, "jsonl") == 0)
		o->format = INGEST_JSONL;
	else
		return wk_err_set(err, WK_ERR_INVALID, _("churn ingest: "
		    "--format '%s' is not known; use csv or jsonl"), format);
	if (timefmt_from_name(time_format, &o->time_format) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID, _("churn ingest: "
		    "--time-format '%s' is not known; use yyyymmdd, epoch_ms, "
		    "epoch_s or iso8601"), time_format);
	if (!(o->max_bad_fraction >= 0.0 && o->max_bad_fraction <= 1.0))
		return wk_err_set(err, WK_ERR_INVALID, _("churn ingest: "
		    "--max-bad-fraction %g is outside 0..1; 0.01 allows one "
		    "bad row in a hundred"), o->max_bad_fraction);
	if (max_date == NULL)
		return WK_OK;
	if (cli_date("max-date", max_date, &day, err) != WK_OK)
		return WK_ERR_INVALID;
	o->has_max_time = true;
	o->max_time_ms = (day + 1) * CLK_MS_PER_DAY;
	return WK_OK;
}

/* Sends the counts, including one metric a reason with rows. */
static void
ingest_send_counts(struct notify *nt, const struct ingest_result *res)
{
	char name[64];
	int reason;

	notify_metric(nt, "rows_in", (double)res->rows_in);
	notify_metric(nt, "rows_bad", (double)res->bad.total);
	notify_metric(nt, "rows_skipped", (double)res->rows_skipped);
	notify_metric(nt, "rows_duplicate",
	    (double)(res->notes.count[BADROW_DUPLICATE] +
	    res->notes.count[BADROW_DUPLICATE_KEPT]));
	notify_metric(nt, "rows_out_of_order",
	    (double)res->notes.count[BADROW_OUT_OF_ORDER]);
	for (reason = 1; reason < BADROW_REASONS; reason++) {
		if (res->bad.count[reason] == 0)
			continue;
		snprintf(name, sizeof name, "bad_%s",
		    badrows_code((enum badrow_reason)reason));
		notify_metric(nt, name, (double)res->bad.count[reason]);
	}
}

/* Appends printf-style text at out[*used], within size bytes. */
__attribute__((format(printf, 4, 5)))
static void
ingest_append(char *out, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out + *used, size - *used, fmt, ap);
	va_end(ap);
	if (len > 0 && (size_t)len < size - *used)
		*used += (size_t)len;
}

/* Formats ", N skipped, N duplicates dropped, N out of order". */
static void
ingest_format_notes(const struct ingest_result *res, char *out,
		    size_t size)
{
	const struct badrows *n = &res->notes;
	uint64_t dropped = n->count[BADROW_DUPLICATE];
	uint64_t kept = n->count[BADROW_DUPLICATE_KEPT];
	uint64_t late = n->count[BADROW_OUT_OF_ORDER];
	size_t used = 0;

	out[0] = '\0';
	if (res->rows_skipped > 0)
		ingest_append(out, size, &used, _(", %" PRIu64 " skipped"),
		    res->rows_skipped);
	if (dropped > 0)
		ingest_append(out, size, &used, P_(", %" PRIu64 " duplicate "
		    "dropped", ", %" PRIu64 " duplicates dropped", dropped),
		    dropped);
	if (kept > 0)
		ingest_append(out, size, &used, P_(", %" PRIu64 " duplicate "
		    "kept", ", %" PRIu64 " duplicates kept", kept), kept);
	if (late > 0)
		ingest_append(out, size, &used, _(", %" PRIu64 " out of order"),
		    late);
}

static void
ingest_report(struct notify *nt, const struct ingest_opts *o,
	      const struct ingest_result *res, int status)
{
	char first[16], last[16], notes[256];

	ingest_send_counts(nt, res);
	if (status != EX_OK)
		return;
	notify_metric(nt, "users", (double)res->users);
	notify_metric(nt, "events", (double)res->events);

	timefmt_format_day(first, sizeof first, res->time_min_ms);
	timefmt_format_day(last, sizeof last, res->time_max_ms);
	ingest_format_notes(res, notes, sizeof notes);
	printf(_("ingest: %" PRIu64 " rows, %" PRIu64 " bad%s, %" PRIu64
	    " users, %s..%s -> %s\n"), res->rows_in, res->bad.total, notes,
	    res->users, first, last, o->output);
	notify_status(nt, _("ingest: %" PRIu64 " events of %" PRIu64
	    " users written"), res->events, res->users);
	notify_progress(nt, 1.0);
}

int
ingest_main(int argc, char **argv, struct notify *nt)
{
	const char *format = NULL, *time_format = NULL, *max_date = NULL;
	struct ingest_opts o = { .max_bad_fraction = 0.01 };
	const struct cli_opt opts[] = {
		{ "input", CLI_STRING, "FILE", N_("event log to read"), true,
		  &o.input },
		{ "format", CLI_STRING, "csv|jsonl", N_("csv: RFC 4180 with a "
		  "header row; jsonl: one JSON object a line"), true, &format },
		{ "user-column", CLI_STRING, "NAME", N_("column (CSV) or field "
		  "(JSON) holding the user id"), true, &o.user_column },
		{ "time-column", CLI_STRING, "NAME", N_("column or field "
		  "holding the event time"), true, &o.time_column },
		{ "time-format", CLI_STRING, "FORMAT", N_("yyyymmdd (a UTC "
		  "day), epoch_ms (milliseconds since 1970-01-01 UTC), "
		  "epoch_s (seconds) or iso8601"), true, &time_format },
		{ "event-column", CLI_STRING, "NAME", N_("column or field "
		  "holding the event name; adds event-count features"), false,
		  &o.event_column },
		{ "value-column", CLI_STRING, "NAME", N_("column or field "
		  "holding a decimal value of the event, e.g. an amount in "
		  "dollars; empty and null count as 0"), false,
		  &o.value_column },
		{ "skip-empty-user", CLI_FLAG, NULL, N_("skip rows with an "
		  "empty or null user id instead of counting them as bad"),
		  false, &o.skip_empty_user },
		{ "max-date", CLI_STRING, "YYYY-MM-DD", N_("last day the log "
		  "covers (UTC); a row with a later time is bad (default: no "
		  "limit)"), false, &max_date },
		{ "keep-duplicates", CLI_FLAG, NULL, N_("keep rows equal to an "
		  "earlier row in user, time, event and value (default: drop "
		  "and count them)"), false, &o.keep_duplicates },
		{ "max-bad-fraction", CLI_DOUBLE, "FRACTION", N_("share of "
		  "bad rows, 0 to 1, above which the stage fails (default "
		  "0.01)"), false, &o.max_bad_fraction },
		{ "quarantine", CLI_STRING, "FILE", N_("CSV of the rows left "
		  "out, with line, reason, value and the row (default: "
		  "OUTPUT.quarantine.csv)"), false, &o.quarantine },
		{ "output", CLI_STRING, "FILE", N_("event file to write "
		  "(.wkev)"), true, &o.output },
	};
	const struct cli_cmd cmd = { "ingest", N_("Read an event log and "
	    "write it as an event file sorted by user and time."), opts,
	    sizeof opts / sizeof opts[0] };
	struct ingest_result res;
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc == WK_OK)
		rc = ingest_check_opts(&o, format, time_format, max_date, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("ingest: starting"));
	status = ingest_run(&o, nt, &res, &err);
	badrows_report(&res.bad, o.input, stderr);
	badrows_report(&res.notes, o.input, stderr);
	ingest_report(nt, &o, &res, status);
	if (status != EX_OK) {
		churn_status_failed(nt, "ingest", &err);
		return churn_fail("ingest", status, &err);
	}
	return EX_OK;
}
