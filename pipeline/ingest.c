#include "pipeline/ingest.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/csv.h"
#include "pipeline/decimal.h"
#include "pipeline/evfile.h"
#include "pipeline/evsort.h"
#include "pipeline/jarena.h"
#include "pipeline/outfile.h"
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
	uint64_t n_recs;                 /* events in recs */
	uint64_t cap_recs;               /* records allocated */
	struct jarena arena;             /* JSON: jansson's memory for a line */
	char user_buf[32];               /* JSON: an integer user id as text */
	char event_buf[32];              /* JSON: an integer event as text */
	char time_buf[32];               /* JSON: a numeric time as text */
};

/*
 * Appends an event, growing the array by half its size when full.
 * NOTE: every event stays in memory until the file is written, so 100 M
 * events take about 2.4 GB, and up to half again while the array grows.
 */
static int
ingest_push(struct ingest *in, const struct evfile_record *r)
{
	if (in->n_recs == in->cap_recs) {
		uint64_t cap = in->cap_recs < 65536 ? 65536 :
		    in->cap_recs + in->cap_recs / 2;
		struct evfile_record *recs;

		if (cap > SIZE_MAX / sizeof *recs)
			return WK_ERR_NOMEM;
		recs = realloc(in->recs, (size_t)cap * sizeof *recs);
		if (recs == NULL)
			return WK_ERR_NOMEM;
		in->recs = recs;
		in->cap_recs = cap;
	}
	in->recs[in->n_recs++] = *r;
	return WK_OK;
}

/* Interns the row's strings and stores it as an event. */
static int
ingest_accept(struct ingest *in, const struct ingest_row *row,
	      struct wk_err *err)
{
	struct evfile_record r = { row->time_ms, row->value, 0, EVFILE_NO_NAME };
	int rc;

	rc = strtab_intern(&in->users, row->user, row->user_len, &r.user);
	if (rc == WK_OK && row->event != NULL)
		rc = strtab_intern(&in->names, row->event, row->event_len,
		    &r.name);
	if (rc == WK_OK)
		rc = ingest_push(in, &r);
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

/* Counts a row that had a user-id, time or value problem. */
static void
ingest_count_bad(struct ingest *in, enum badrow_reason reason,
		 uint64_t line, const struct ingest_bad *bad)
{
	if (reason == BADROW_EMPTY_USER && in->opts->skip_empty_user) {
		in->res->rows_skipped++;
		return;
	}
	badrows_add(&in->res->bad, reason, line, bad->text, bad->len);
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
		*rc = ingest_accept(in, &row, err);
	else
		ingest_count_bad(in, reason, rec->line, &bad);
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
		*rc = ingest_accept(in, &row, err);
	else
		ingest_count_bad(in, reason, rec->line, &bad);
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

/* Sorts the events and writes them; returns an exit status. */
static int
ingest_finish(struct ingest *in, struct wk_err *err)
{
	struct churn_phase phase = { in->nt, INGEST_READ_SHARE,
	    0.95 - INGEST_READ_SHARE };
	struct evsort_tables tables;
	int rc, status;

	notify_status(in->nt, _("sorting %" PRIu64 " events of %" PRIu32
	    " users"), in->n_recs, in->users.n);
	rc = evsort_run(in->recs, in->n_recs, &in->users,
	    in->opts->event_column != NULL ? &in->names : NULL, &tables,
	    churn_progress_fn, &phase);
	if (rc == WK_ERR_LIMIT) {
		wk_err_set(err, rc, _("a user of '%s' has more than %" PRIu32
		    " events, the most an event file holds for one user"),
		    in->opts->input, UINT32_MAX);
		return EX_DATAERR;
	}
	if (rc != WK_OK) {
		wk_err_set(err, rc, _("out of memory sorting %" PRIu64
		    " events"), in->n_recs);
		return EX_SOFTWARE;
	}

	in->res->users = in->users.n;
	in->res->events = in->n_recs;
	notify_status(in->nt, _("writing %s"), in->opts->output);
	status = ingest_write(in, &tables, err);
	evsort_free(&tables);
	return status;
}

int
ingest_run(const struct ingest_opts *opts, struct notify *nt,
	   struct ingest_result *res, struct wk_err *err)
{
	struct ingest in;
	int rc, status;

	memset(&in, 0, sizeof in);
	memset(res, 0, sizeof *res);
	in.opts = opts;
	in.res = res;
	in.nt = nt;
	in.reader.fd = -1;
	strtab_init(&in.users, INGEST_MAX_STRINGS);
	strtab_init(&in.names, INGEST_MAX_STRINGS);

	rc = ingest_open(&in, err);
	if (rc != WK_OK) {
		status = churn_exit_status(rc);
		goto out;
	}
	notify_status(nt, _("reading %s"), opts->input);
	rc = ingest_read(&in, err);
	if (rc == WK_OK)
		rc = ingest_check_counts(&in, err);
	csv_close(&in.reader);
	if (rc != WK_OK) {
		status = churn_exit_status(rc);
		goto out;
	}
	status = ingest_finish(&in, err);

out:
	csv_close(&in.reader);
	strtab_free(&in.users);
	strtab_free(&in.names);
	free(in.recs);
	return status;
}

/* Converts the option texts; returns WK_ERR_INVALID for a usage error. */
static int
ingest_check_opts(struct ingest_opts *o, const char *format,
		  const char *time_format, struct wk_err *err)
{
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
	return WK_OK;
}

static void
ingest_report(struct notify *nt, const struct ingest_opts *o,
	      const struct ingest_result *res, int status)
{
	char first[16], last[16];

	notify_metric(nt, "rows_in", (double)res->rows_in);
	notify_metric(nt, "rows_bad", (double)res->bad.total);
	notify_metric(nt, "rows_skipped", (double)res->rows_skipped);
	if (status != EX_OK)
		return;
	notify_metric(nt, "users", (double)res->users);
	notify_metric(nt, "events", (double)res->events);

	timefmt_format_day(first, sizeof first, res->time_min_ms);
	timefmt_format_day(last, sizeof last, res->time_max_ms);
	if (res->rows_skipped > 0)
		printf(_("ingest: %" PRIu64 " rows, %" PRIu64 " bad, %" PRIu64
		    " skipped, %" PRIu64 " users, %s..%s -> %s\n"),
		    res->rows_in, res->bad.total, res->rows_skipped,
		    res->users, first, last, o->output);
	else
		printf(_("ingest: %" PRIu64 " rows, %" PRIu64 " bad, %" PRIu64
		    " users, %s..%s -> %s\n"), res->rows_in, res->bad.total,
		    res->users, first, last, o->output);
	notify_status(nt, _("ingest: %" PRIu64 " events of %" PRIu64
	    " users written"), res->events, res->users);
	notify_progress(nt, 1.0);
}

int
ingest_main(int argc, char **argv, struct notify *nt)
{
	const char *format = NULL, *time_format = NULL;
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
		{ "max-bad-fraction", CLI_DOUBLE, "FRACTION", N_("share of "
		  "bad rows, 0 to 1, above which the stage fails (default "
		  "0.01)"), false, &o.max_bad_fraction },
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
		rc = ingest_check_opts(&o, format, time_format, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("ingest: starting"));
	status = ingest_run(&o, nt, &res, &err);
	badrows_report(&res.bad, o.input, stderr);
	ingest_report(nt, &o, &res, status);
	if (status != EX_OK) {
		churn_status_failed(nt, "ingest", &err);
		return churn_fail("ingest", status, &err);
	}
	return EX_OK;
}
