#include "pipeline/ingest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/ingeststage.h"

#define INGEST_SORT_MIB_MAX (UINT64_C(1) << 20)  /* --sort-memory at most */

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
		return wk_err_set(err, WK_ERR_INVALID, P_("%" PRIu64 " of %"
		    PRIu64 " row of '%s' is bad (%.2f%%), more than "
		    "--max-bad-fraction %g allows; fix the row listed above "
		    "or raise --max-bad-fraction", "%" PRIu64 " of %" PRIu64
		    " rows of '%s' are bad (%.2f%%), more than "
		    "--max-bad-fraction %g allows; fix the rows listed above "
		    "or raise --max-bad-fraction",
		    (unsigned long)res->rows_in), res->bad.total,
		    res->rows_in, path,
		    100.0 * (double)res->bad.total / (double)res->rows_in,
		    in->opts->max_bad_fraction);
	if (in->accepted == 0)
		return wk_err_set(err, WK_ERR_INVALID, P_("'%s' has no usable "
		    "events: its %" PRIu64 " row was bad or skipped", "'%s' has "
		    "no usable events: all %" PRIu64 " rows were bad or "
		    "skipped", (unsigned long)res->rows_in), path,
		    res->rows_in);
	return WK_OK;
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

/* Creates the event file's temporary file, to stream the records into. */
static int
ingest_open_output(struct ingest *in, struct wk_err *err)
{
	int rc;

	rc = outfile_open(&in->out.file, in->opts->output, err);
	if (rc != WK_OK)
		return rc;
	in->out.open = true;
	return ingest_out_reset(in, err);
}

/*
 * Reads the log in two threads; a failure of the sort thread replaces
 * the reading thread's error, which it caused.
 */
static int
ingest_read_all(struct ingest *in, struct wk_err *err)
{
	int rc, sort_rc;

	notify_status(in->nt, in->replay ? _("reading %s again, as it is not "
	    "grouped by user") : _("reading %s"), in->opts->input);
	rc = ingest_read(in, err);
	sort_rc = ingest_sort_stop(in);
	if (sort_rc != WK_OK) {
		*err = in->sort_err;
		return sort_rc;
	}
	return rc;
}

/*
 * Prepares a second reading of the log with runs that spill: the bad
 * rows are counted already, and the progress goes on from where it is.
 */
static int
ingest_restart(struct ingest *in, struct wk_err *err)
{
	int rc;

	in->replay = true;
	in->counted_to = in->reader.offset;
	in->progress_base = in->progress_base + in->progress_span *
	    (in->file_size > 0 ? (double)in->reader.offset /
	    (double)in->file_size : 0.0);
	in->progress_span = INGEST_READ_SHARE - in->progress_base;
	in->accepted = 0;
	badrows_init(&in->res->notes);
	rc = csv_rewind(&in->reader, in->opts->input, err);
	if (rc == WK_OK)
		rc = ingest_out_reset(in, err);
	if (rc == WK_OK)
		rc = ingest_sort_restart(in, err);
	return rc;
}

/*
 * Reads the log and writes the event file, reading it a second time
 * when it turns out not to be grouped by user. Returns a WK_* code.
 */
static int
ingest_read_and_write(struct ingest *in, struct wk_err *err)
{
	int rc;

	rc = ingest_sort_start(in, err);
	while (rc == WK_OK) {
		rc = ingest_read_all(in, err);
		if (rc == WK_OK)
			rc = ingest_check_counts(in, err);
		if (rc == WK_OK)
			rc = ingest_write_events(in, err);
		if (rc != EVRUN_RESTART)
			break;
		rc = ingest_restart(in, err);
	}
	return rc;
}

/* Maps a failure of ingest_read_and_write() to an exit status. */
static int
ingest_status(int rc)
{
	if (rc == WK_OK)
		return EX_OK;
	if (rc == EVRUN_RESTART || rc == WK_ERR_STATE)
		return EX_SOFTWARE;
	return churn_exit_status(rc);
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
	if (rc == WK_OK)
		rc = ingest_open_output(in, err);
	if (rc != WK_OK)
		return rc == WK_ERR_IO ? EX_CANTCREAT : EX_SOFTWARE;

	status = ingest_status(ingest_read_and_write(in, err));
	if (status == EX_OK) {
		in->out.open = false;
		if (outfile_commit(&in->out.file, err) != WK_OK)
			return EX_IOERR;
	}
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
	in.progress_span = INGEST_READ_SHARE;
	in.marks.stride = INGEST_MARK_STRIDE;
	in.marks.max = INGEST_MARKS_MAX;
	strtab_init(&in.names, INGEST_MAX_STRINGS);

	status = ingest_steps(&in, err);
	ingest_sort_free(&in);
	if (in.out.open)
		outfile_abort(&in.out.file);
	free(in.out.user_counts);
	free(in.out.name_counts);
	free(in.out.dups.items);
	free(in.marks.items);
	free(in.months);
	quar_close(&in.quarantine);
	csv_close(&in.reader);
	strtab_free(&in.names);
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
	if (o->sort_mib < 1 || o->sort_mib > INGEST_SORT_MIB_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn ingest: "
		    "--sort-memory %" PRIu64 " is outside 1..%" PRIu64 " MiB"),
		    o->sort_mib, INGEST_SORT_MIB_MAX);
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
	struct ingest_opts o = { .max_bad_fraction = 0.01,
	    .sort_mib = INGEST_SORT_MIB_DEFAULT };
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
		{ "sort-memory", CLI_UINT, "MIB", N_("memory for sorting the "
		  "events, in MiB; a log of more than MIB / 64 million events "
		  "is sorted in runs through a temporary file beside the "
		  "output (default 64)"), false, &o.sort_mib },
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
