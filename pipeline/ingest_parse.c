/*
 * Reading `churn ingest`'s log: the CSV header, each row's fields and
 * checks, the bad rows and their quarantine, and the batches of accepted
 * rows for the sort thread.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/decimal.h"
#include "pipeline/evfile.h"
#include "pipeline/ingeststage.h"
#include "pipeline/utf8.h"

#define INGEST_PROGRESS_ROWS 4096  /* rows between progress calls */

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

/* Returns the batch to add a row with a user id of len bytes to. */
static struct ingest_batch *
ingest_batch_for(struct ingest *in, size_t len)
{
	struct ingest_batch *b = in->filling;

	if (b != NULL && (b->n == INGEST_BATCH_ROWS ||
	    len > b->text_cap - b->text_len)) {
		ingest_queue_put_full(&in->queue, b);
		b = NULL;
	}
	if (b == NULL) {
		b = ingest_queue_take_free(&in->queue);
		if (b != NULL) {
			b->n = 0;
			b->text_len = 0;
			b->last = false;
		}
	}
	in->filling = b;
	return b;
}

/* Interns the row's event name and hands the row to the sort thread. */
static int
ingest_accept(struct ingest *in, const struct ingest_row *row,
	      const struct csv_record *rec, struct wk_err *err)
{
	uint32_t name = EVFILE_NO_NAME;
	struct ingest_batch *b;
	int rc = WK_OK;

	if (row->event != NULL)
		rc = strtab_intern(&in->names, row->event, row->event_len,
		    &name);
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc, _("'%s' has more than %" PRIu32
		    " distinct event names, the maximum of an event file"),
		    in->opts->input, (uint32_t)INGEST_MAX_STRINGS);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("out of memory after %" PRIu64
		    " events of '%s'"), in->accepted, in->opts->input);
	b = ingest_batch_for(in, row->user_len);
	if (b == NULL)
		return WK_ERR_STATE;

	memcpy(b->text + b->text_len, row->user, row->user_len);
	b->keys[b->n] = (struct usertab_key){ b->text + b->text_len,
	    (uint32_t)row->user_len };
	b->text_len += row->user_len;
	b->items[b->n++] = (struct ingest_item){ row->time_ms, row->value,
	    rec->offset, rec->line, name };
	if (in->accepted == 0 || row->time_ms < in->res->time_min_ms)
		in->res->time_min_ms = row->time_ms;
	if (in->accepted == 0 || row->time_ms > in->res->time_max_ms)
		in->res->time_max_ms = row->time_ms;
	in->accepted++;
	return WK_OK;
}

/*
 * Tells whether the row at rec is read for the first time: the second
 * reading of the log counts only the rows the first did not reach.
 */
static bool
ingest_first_time(const struct ingest *in, const struct csv_record *rec)
{
	return !in->replay || rec->offset >= in->counted_to;
}

/* Counts a bad row and copies it to the quarantine file. */
static void
ingest_count_bad(struct ingest *in, enum badrow_reason reason,
		 const struct csv_record *rec, const struct ingest_bad *bad)
{
	if (!ingest_first_time(in, rec))
		return;
	if (reason == BADROW_EMPTY_USER && in->opts->skip_empty_user) {
		in->res->rows_skipped++;
		return;
	}
	badrows_add(&in->res->bad, reason, rec->line, bad->text, bad->len);
	quar_add(&in->quarantine, rec->line, reason, bad->text, bad->len,
	    rec->offset, rec->size);
}

/*
 * Remembers the month of text, a yyyymmdd time that parsed: the time of
 * its day 01 and its last day that parses, found with timefmt_parse().
 */
static void
ingest_learn_month(struct ingest_month *slot, uint64_t key,
		   const char *text)
{
	char probe[8];
	int64_t first, ms;
	int day;

	memcpy(probe, text, 6);
	memcpy(probe + 6, "01", 2);
	if (timefmt_parse(TIMEFMT_YYYYMMDD, probe, 8, &first) != WK_OK)
		return;
	for (day = 31; day > 1; day--) {
		probe[6] = (char)('0' + day / 10);
		probe[7] = (char)('0' + day % 10);
		if (timefmt_parse(TIMEFMT_YYYYMMDD, probe, 8, &ms) == WK_OK)
			break;
	}
	*slot = (struct ingest_month){ key, first, day };
}

/*
 * Parses a time as timefmt_parse() does. A log has few distinct months,
 * so an 8-byte yyyymmdd text is looked up among the months of earlier
 * rows first. Its time is then the time of day 01 plus whole days, when
 * its day lies between 01 and the month's last day that parses. That
 * saves the checks and the date arithmetic on most rows, and a few
 * hundred months of the table fit in the L1 cache. The slot comes from
 * the last two digits of the year and the month, so the months of a
 * century never share a slot. A hit compares all 6 bytes, so any text is
 * safe.
 */
static int
ingest_parse_time(struct ingest *in, const char *text, size_t len,
		  int64_t *ms)
{
	const unsigned char *t = (const unsigned char *)text;
	unsigned tens, ones;
	struct ingest_month *slot;
	uint32_t head;
	uint16_t tail;
	uint64_t key;
	int64_t day;
	int rc;

	if (in->months == NULL || len != 8)
		return timefmt_parse(in->opts->time_format, text, len, ms);

	slot = &in->months[((t[2] * 10u + t[3]) & 127) << 4 |
	    ((t[4] * 10u + t[5]) & 15)];
	/*
	 * Two loads and a shift, because a 6-byte copy into a zeroed
	 * integer stalls the load that reads it back.
	 */
	memcpy(&head, text, sizeof head);
	memcpy(&tail, text + sizeof head, sizeof tail);
	key = (uint64_t)head | (uint64_t)tail << 32;
	tens = t[6] - (unsigned)'0';
	ones = t[7] - (unsigned)'0';
	day = (int64_t)tens * 10 + ones;
	if (slot->text == key && key != 0 && tens <= 9 && ones <= 9 &&
	    day >= 1 && day <= slot->days) {
		*ms = slot->first_ms + (day - 1) * CLK_MS_PER_DAY;
		return WK_OK;
	}
	rc = timefmt_parse(in->opts->time_format, text, len, ms);
	if (rc == WK_OK && key != 0)
		ingest_learn_month(slot, key, text);
	return rc;
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
	for (i = 0; !rec->ascii && i < rec->n_fields; i++) {
		if (!utf8_valid(f[i].data, f[i].len))
			return BADROW_UTF8;
	}

	row->user = f[in->col_user].data;
	row->user_len = f[in->col_user].len;
	if (row->user_len == 0)
		return BADROW_EMPTY_USER;
	time = &f[in->col_time];
	*bad = (struct ingest_bad){ time->data, time->len };
	if (ingest_parse_time(in, time->data, time->len, &row->time_ms) !=
	    WK_OK)
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

	if (!ingest_first_time(in, rec))
		return;
	if (rec->bad == CSV_BAD_TOO_LONG)
		reason = BADROW_TOO_LONG;
	else if (rec->bad == CSV_BAD_QUOTES)
		reason = BADROW_QUOTES;
	badrows_add(&in->res->bad, reason, rec->line, NULL, 0);
	quar_add(&in->quarantine, rec->line, reason, NULL, 0, rec->offset,
	    rec->size);
}

void
ingest_mark_row(struct ingest_marks *m, uint64_t offset, uint64_t line)
{
	size_t i;

	if (++m->rows < m->stride || m->failed)
		return;
	m->rows = 0;
	if (m->n > 0 && offset <= m->items[m->n - 1].offset)
		return;  /* marked in an earlier reading */
	if (m->items == NULL)
		m->items = malloc(m->max * sizeof *m->items);
	if (m->items == NULL) {
		m->failed = true;  /* the lines are counted from the start */
		return;
	}

	if (m->n == m->max) {
		for (i = 0; i < m->n / 2; i++)
			m->items[i] = m->items[2 * i];
		m->n /= 2;
		m->stride *= 2;
	}
	m->items[m->n++] = (struct ingest_mark){ offset, line };
}

static int
ingest_read_rows(struct ingest *in, struct wk_err *err)
{
	struct csv_record rec;
	uint64_t rows = 0;
	int rc;

	while ((rc = csv_next(&in->reader, in->opts->input, &rec, err)) ==
	    WK_OK) {
		in->res->rows_in += ingest_first_time(in, &rec);
		rows++;
		/* The call only counts most rows, so they skip it. */
		if (in->marks.rows + 1 < in->marks.stride)
			in->marks.rows++;
		else
			ingest_mark_row(&in->marks, rec.offset, rec.line);
		if (rec.bad != CSV_BAD_NONE)
			ingest_count_reader_bad(in, &rec);
		else if (in->opts->format == INGEST_JSONL)
			ingest_count_json_record(in, &rec, err, &rc);
		else
			ingest_count_csv_record(in, &rec, err, &rc);
		if (rc != WK_OK)
			return rc;
		if (rows % INGEST_PROGRESS_ROWS == 0 && in->file_size > 0)
			notify_progress(in->nt, in->progress_base +
			    in->progress_span * (double)in->reader.offset /
			    (double)in->file_size);
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

int
ingest_read(struct ingest *in, struct wk_err *err)
{
	int rc;

	if (in->opts->format == INGEST_CSV && in->months == NULL &&
	    in->opts->time_format == TIMEFMT_YYYYMMDD) {
		/* Without the memory each time is parsed from its text. */
		in->months = calloc(INGEST_MONTH_SLOTS, sizeof *in->months);
	}
	if (in->opts->format == INGEST_CSV) {
		rc = ingest_read_header(in, err);
		if (rc == WK_OK)
			rc = ingest_read_rows(in, err);
	} else if (jarena_begin(&in->arena, JARENA_SIZE) != WK_OK) {
		rc = wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	} else {
		rc = ingest_read_rows(in, err);
		jarena_end(&in->arena);
	}

	if (in->filling != NULL && in->filling->n > 0)
		ingest_queue_put_full(&in->queue, in->filling);
	else if (in->filling != NULL)
		ingest_queue_put_free(&in->queue, in->filling);
	in->filling = NULL;
	return rc;
}

