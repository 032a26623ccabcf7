/*
 * The `churn features` stage: options, checks of the cutoffs against the
 * event file, and the feature CSVs with their metadata files. One pass
 * over the users writes the set at --cutoff and, with --train-cutoff,
 * the training set at the earlier cutoff.
 */
#include "pipeline/featstage.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/csv.h"
#include "pipeline/outfile.h"
#include "pipeline/timefmt.h"

#define FEAT_META_SUFFIX ".meta.json"  /* metadata file beside a CSV */
#define FEAT_PATH_MAX 4096    /* bytes of the metadata file's path */

/* Converts one cutoff into params, sharing the horizon and window. */
static int
feat_cut_params(const struct feat_stage *st, struct feat_cut *cut,
		const char *option, struct wk_err *err)
{
	struct feat_params *p = &cut->params;
	int rc;

	rc = cli_date(option, cut->cutoff_text, &p->cutoff_day, err);
	if (rc != WK_OK)
		return rc;
	p->split_ms = (p->cutoff_day + 1) * CLK_MS_PER_DAY;
	p->horizon_ms = st->cuts[0].params.horizon_ms;
	p->window_ms = st->cuts[0].params.window_ms;
	return WK_OK;
}

/* Checks the options that name the training set. */
static int
feat_check_training(struct feat_stage *st, const char *train_cutoff,
		    const char *train_output, struct wk_err *err)
{
	struct feat_cut *cut = &st->cuts[1];
	int rc;

	if (train_cutoff == NULL && train_output == NULL)
		return WK_OK;
	if (train_cutoff == NULL || train_output == NULL)
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--train-cutoff and --train-output go together; give "
		    "both or neither"));
	if (st->no_label)
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "a training set needs labels; drop --no-label or "
		    "--train-cutoff"));
	*cut = (struct feat_cut){ .cutoff_text = train_cutoff, .output = train_output };
	rc = feat_cut_params(st, cut, "train-cutoff", err);
	if (rc == WK_OK && cut->params.cutoff_day >=
	    st->cuts[0].params.cutoff_day)
		rc = wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--train-cutoff %s must lie before --cutoff %s, so that "
		    "the model is judged on a later time than it learned "
		    "from"), train_cutoff, st->cuts[0].cutoff_text);
	st->n_cuts = 2;
	return rc;
}

/* Converts the option texts into params; a failure is a usage error. */
static int
feat_check_opts(struct feat_stage *st, const char *train_cutoff,
		const char *train_output, struct wk_err *err)
{
	const int64_t max_ms = 36500 * CLK_MS_PER_DAY;
	struct feat_params *p = &st->cuts[0].params;
	int rc;

	rc = cli_duration("window", st->window_text, &p->window_ms, err);
	if (rc == WK_OK && st->horizon_text != NULL)
		rc = cli_duration("horizon", st->horizon_text, &p->horizon_ms,
		    err);
	if (rc == WK_OK)
		rc = feat_cut_params(st, &st->cuts[0], "cutoff", err);
	if (rc != WK_OK)
		return rc;
	if (st->horizon_text == NULL && !st->no_label)
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--horizon DURATION is required unless --no-label is "
		    "given"));
	if (p->window_ms <= 0 || p->window_ms > max_ms ||
	    (st->horizon_text != NULL &&
	    (p->horizon_ms <= 0 || p->horizon_ms > max_ms)))
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--window and --horizon must lie between 1ms and 36500d"));
	if (strcmp(st->feature_set, "base") == 0)
		st->n_extra = 0;
	else if (strcmp(st->feature_set, "extended") == 0)
		st->n_extra = FEAT_EXTRA_COUNT;
	else
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--feature-set '%s' is not known; use base or extended"),
		    st->feature_set);
	if (st->top_events > FEAT_TOP_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn features: "
		    "--top-events %" PRIu64 " is more than %d"), st->top_events,
		    FEAT_TOP_MAX);
	st->n_cuts = 1;
	return feat_check_training(st, train_cutoff, train_output, err);
}

/*
 * Rejects a cutoff before the first event, and a label window that ends
 * after the last day with events: users would count as churned only
 * because the log stops.
 */
static int
feat_check_range(const struct feat_stage *st, const struct feat_cut *cut,
		 struct wk_err *err)
{
	const struct evfile_header *h = st->ef.header;
	const struct feat_params *p = &cut->params;
	int64_t data_end = (timefmt_day(h->time_max_ms) + 1) * CLK_MS_PER_DAY;
	char first[16], last[16], window_end[16];

	timefmt_format_day(first, sizeof first, h->time_min_ms);
	timefmt_format_day(last, sizeof last, h->time_max_ms);
	if (h->n_events == 0 || p->split_ms <= h->time_min_ms)
		return wk_err_set(err, WK_ERR_INVALID, _("no user of '%s' has "
		    "an event on or before the cutoff %s: the events run from "
		    "%s to %s; pick a later cutoff"), st->events_path,
		    cut->cutoff_text, first, last);
	if (st->no_label || p->horizon_ms <= data_end - p->split_ms)
		return WK_OK;

	timefmt_format_day(window_end, sizeof window_end,
	    p->split_ms + p->horizon_ms - 1);
	return wk_err_set(err, WK_ERR_INVALID, _("the label window (cutoff %s "
	    "+ horizon %s) ends on %s, after the last day with events in "
	    "'%s' (%s), so users would look churned only because the log "
	    "ends; pick an earlier --cutoff or a shorter --horizon, or pass "
	    "--no-label for a scoring set without labels"), cut->cutoff_text,
	    st->horizon_text, window_end, st->events_path, last);
}

/* Looks up --churn-events in the event file's names. */
static int
feat_prepare_events(struct feat_stage *st, struct wk_err *err)
{
	const struct evfile_header *h = st->ef.header;
	size_t i;
	int rc;

	if (st->churn_events == NULL)
		return WK_OK;
	if (h->n_names == 0)
		return wk_err_set(err, WK_ERR_INVALID, _("--churn-events needs "
		    "event names, but '%s' has none; ingest the log with "
		    "--event-column"), st->events_path);
	st->churn_name = calloc(h->n_names, 1);
	if (st->churn_name == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	rc = feat_churn_events(&st->ef, st->churn_events, st->churn_name,
	    err);
	for (i = 0; i < st->n_cuts; i++)
		st->cuts[i].params.churn_name = st->churn_name;
	return rc;
}

static void
feat_write_header(const struct feat_stage *st, struct outfile *of)
{
	size_t k;

	outfile_puts(of, "user_id,label");
	for (k = 0; k < FEAT_BASE_COUNT; k++)
		outfile_printf(of, ",%s", feat_base_names[k]);
	for (k = 0; k < st->n_extra; k++)
		outfile_printf(of, ",%s", feat_extra_names[k]);
	for (k = 0; k < st->top.n; k++)
		outfile_printf(of, ",%s", st->top.columns[k]);
	outfile_puts(of, "\n");
}

/* Builds the "label" member of the metadata, or null without labels. */
static json_t *
feat_meta_label(const struct feat_stage *st, const struct feat_cut *cut)
{
	const struct feat_params *p = &cut->params;
	char start[16], end[16];
	json_t *label;

	if (st->no_label)
		return json_null();
	timefmt_format_day(start, sizeof start, p->split_ms);
	timefmt_format_day(end, sizeof end, p->split_ms + p->horizon_ms - 1);
	label = json_pack("{s:s, s:s, s:s, s:s}",
	    "kind", st->churn_events != NULL ? "churn_events" : "inactivity",
	    "horizon", st->horizon_text, "window_first_day", start,
	    "window_last_day", end);
	if (label != NULL && st->churn_events != NULL)
		json_object_set_new(label, "churn_events",
		    json_string(st->churn_events));
	return label;
}

/* Writes OUTPUT.meta.json: what the rows of a cut mean. */
static int
feat_write_meta(const struct feat_stage *st, const struct feat_cut *cut,
		struct wk_err *err)
{
	char path[FEAT_PATH_MAX], first[16], *text;
	struct outfile of;
	json_t *meta;

	snprintf(path, sizeof path, "%s%s", cut->output, FEAT_META_SUFFIX);
	timefmt_format_day(first, sizeof first, st->ef.header->time_min_ms);
	meta = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, "
	    "s:I}", "format", "watchkeep-churn-features", "version", 1,
	    "events_file", st->events_path, "first_event_day", first,
	    "cutoff", cut->cutoff_text, "window", st->window_text,
	    "label", feat_meta_label(st, cut),
	    "users", (json_int_t)cut->users,
	    "churned", (json_int_t)cut->churned,
	    "excluded", (json_int_t)cut->excluded,
	    "features", (json_int_t)feat_count(st));
	text = meta != NULL ? json_dumps(meta, JSON_INDENT(2)) : NULL;
	json_decref(meta);
	if (text == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));

	if (outfile_open(&of, path, err) != WK_OK) {
		free(text);
		return WK_ERR_IO;
	}
	outfile_puts(&of, text);
	outfile_puts(&of, "\n");
	free(text);
	return outfile_commit(&of, err);
}

/* Rejects a cut that no user is left in. */
static int
feat_check_rows(const struct feat_stage *st, const struct feat_cut *cut,
		struct wk_err *err)
{
	if (cut->users > 0)
		return WK_OK;
	return wk_err_set(err, WK_ERR_INVALID, P_("no user is left at the "
	    "cutoff %s: the %" PRIu64 " user with events by then had a "
	    "churn event (%s) before it; pick a later cutoff or other "
	    "--churn-events", "no user is left at the cutoff %s: all %"
	    PRIu64 " users with events by then had a churn event (%s) before "
	    "it; pick a later cutoff or other --churn-events",
	    (unsigned long)cut->excluded), cut->cutoff_text, cut->excluded,
	    st->churn_events);
}

/* Commits each CSV and then its metadata; returns an exit status. */
static int
feat_commit(struct feat_stage *st, struct wk_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < st->n_cuts; i++) {
		if (feat_check_rows(st, &st->cuts[i], err) != WK_OK)
			return EX_DATAERR;
	}
	for (i = 0; i < st->n_cuts; i++) {
		struct feat_cut *cut = &st->cuts[i];

		cut->open = false;
		if (outfile_commit(&cut->of, err) != WK_OK)
			return EX_IOERR;
		rc = feat_write_meta(st, cut, err);
		if (rc != WK_OK)
			return rc == WK_ERR_IO ? EX_CANTCREAT : EX_SOFTWARE;
	}
	return EX_OK;
}

/* Opens the CSV of every cut and writes the headers. */
static int
feat_open_outputs(struct feat_stage *st, struct wk_err *err)
{
	size_t i;

	for (i = 0; i < st->n_cuts; i++) {
		if (outfile_open(&st->cuts[i].of, st->cuts[i].output, err) !=
		    WK_OK)
			return WK_ERR_IO;
		st->cuts[i].open = true;
		feat_write_header(st, &st->cuts[i].of);
	}
	return WK_OK;
}

/*
 * Checks the event file's header and tables against the options. The
 * users and their records are checked while the rows are computed.
 */
static int
feat_prepare(struct feat_stage *st, struct notify *nt, struct wk_err *err)
{
	size_t i;
	int rc;

	notify_status(nt, _("checking %s"), st->events_path);
	rc = evfile_open_lazy(&st->ef, st->events_path, err);
	for (i = 0; rc == WK_OK && i < st->n_cuts; i++)
		rc = feat_check_range(st, &st->cuts[i], err);
	if (rc == WK_OK)
		rc = feat_pick_top(&st->ef, st->top_events, &st->top, err);
	if (rc == WK_OK)
		rc = feat_prepare_events(st, err);
	for (i = 0; i < st->n_cuts; i++) {
		st->cuts[i].params.name_column = st->top.name_column;
		st->cuts[i].params.n_top = st->top.n;
		st->cuts[i].params.n_extra = st->n_extra;
	}
	return rc;
}

/* Runs the stage after the options are checked; returns an exit status. */
static int
feat_run(struct feat_stage *st, struct notify *nt, struct wk_err *err)
{
	size_t i;
	int rc, status;

	rc = feat_prepare(st, nt, err);
	if (rc != WK_OK)
		return churn_exit_status(rc);

	notify_status(nt, _("computing features of %" PRIu64 " users"),
	    st->ef.header->n_users);
	if (feat_open_outputs(st, err) != WK_OK)
		status = EX_CANTCREAT;
	else if ((rc = feat_rows_write(st, nt, err)) != WK_OK)
		status = churn_exit_status(rc);
	else
		status = feat_commit(st, err);
	for (i = 0; i < st->n_cuts; i++) {
		if (st->cuts[i].open)
			outfile_abort(&st->cuts[i].of);
	}
	return status;
}

/* Prints one summary line of a cut, on stdout. */
static void
feat_print_cut(const struct feat_stage *st, const struct feat_cut *cut,
	       const char *prefix)
{
	size_t n_features = feat_count(st);
	char extra[256] = "";

	if (st->churn_events != NULL)
		snprintf(extra, sizeof extra, _(", churn events '%s', %" PRIu64
		    " users left out for an earlier one"), st->churn_events,
		    cut->excluded);
	if (st->no_label) {
		printf(_("features: %s%" PRIu64 " users, no label (scoring "
		    "set), %zu features, cutoff %s%s -> %s\n"), prefix,
		    cut->users, n_features, cut->cutoff_text, extra,
		    cut->output);
		return;
	}
	printf(_("features: %s%" PRIu64 " users, %" PRIu64 " churned "
	    "(%.1f%%), %zu features, cutoff %s, horizon %s%s -> %s\n"), prefix,
	    cut->users, cut->churned,
	    100.0 * (double)cut->churned / (double)cut->users, n_features,
	    cut->cutoff_text, st->horizon_text, extra, cut->output);
	if (cut->churned == 0 || cut->churned == cut->users)
		fprintf(stderr, _("churn features: warning: every user of '%s' "
		    "has label %d; training needs both labels\n"), cut->output,
		    cut->churned == 0 ? 0 : 1);
}

static void
feat_report(const struct feat_stage *st, struct notify *nt)
{
	const struct feat_cut *main_cut = &st->cuts[0];

	notify_metric(nt, "users", (double)main_cut->users);
	notify_metric(nt, "features", (double)feat_count(st));
	if (!st->no_label)
		notify_metric(nt, "churned", (double)main_cut->churned);
	if (st->churn_events != NULL)
		notify_metric(nt, "excluded", (double)main_cut->excluded);
	if (st->n_cuts > 1) {
		notify_metric(nt, "train_users", (double)st->cuts[1].users);
		notify_metric(nt, "train_churned", (double)st->cuts[1].churned);
		feat_print_cut(st, &st->cuts[1], _("training set: "));
	}
	feat_print_cut(st, main_cut, "");
	notify_status(nt, _("features: %" PRIu64 " users written"),
	    main_cut->users);
	notify_progress(nt, 1.0);
}

int
feat_main(int argc, char **argv, struct notify *nt)
{
	struct feat_stage st = { .window_text = "30d", .top_events = 5,
	    .feature_set = "base" };
	const char *train_cutoff = NULL, *train_output = NULL;
	const struct cli_opt opts[] = {
		{ "events", CLI_STRING, "FILE", N_("event file written by churn "
		  "ingest"), true, &st.events_path },
		{ "cutoff", CLI_STRING, "YYYY-MM-DD", N_("last day observed "
		  "(UTC, inclusive); features use the events up to its end"),
		  true, &st.cuts[0].cutoff_text },
		{ "horizon", CLI_STRING, "DURATION", N_("label window after the "
		  "cutoff, e.g. 273d (units ms, s, m, h, d, w); required unless "
		  "--no-label"), false, &st.horizon_text },
		{ "churn-events", CLI_STRING, "NAMES", N_("comma-separated "
		  "event names that mark churn: a user with one in the label "
		  "window is churned, a user with one before the cutoff is left "
		  "out (default: churn is no event in the window)"), false,
		  &st.churn_events },
		{ "window", CLI_STRING, "DURATION", N_("length of the recent "
		  "and previous activity windows before the cutoff (default "
		  "30d)"), false, &st.window_text },
		{ "top-events", CLI_UINT, "N", N_("event-count columns for the "
		  "N most frequent event names, 0 to 50 (default 5; none "
		  "without an event column)"), false, &st.top_events },
		{ "feature-set", CLI_STRING, "base|extended", N_("base: the 14 "
		  "features of every row; extended: 16 more, such as value "
		  "spread, 7/90/365-day windows and gap statistics (default "
		  "base)"), false, &st.feature_set },
		{ "no-label", CLI_FLAG, NULL, N_("leave the label column empty "
		  "and allow a horizon past the data: a scoring set"), false,
		  &st.no_label },
		{ "output", CLI_STRING, "FILE", N_("feature CSV to write; its "
		  "metadata goes to FILE.meta.json"), true, &st.cuts[0].output },
		{ "train-cutoff", CLI_STRING, "YYYY-MM-DD", N_("also write a "
		  "training set at this earlier cutoff, with the same horizon "
		  "and label rule, for out-of-time evaluation"), false,
		  &train_cutoff },
		{ "train-output", CLI_STRING, "FILE", N_("feature CSV of the "
		  "training set; needs --train-cutoff"), false, &train_output },
	};
	const struct cli_cmd cmd = { "features", N_("Compute one row of "
	    "features and the churn label per user."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc == WK_OK)
		rc = feat_check_opts(&st, train_cutoff, train_output, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("features: starting"));
	status = feat_run(&st, nt, &err);
	evfile_close(&st.ef);
	free(st.top.name_column);
	free(st.churn_name);
	if (status != EX_OK) {
		churn_status_failed(nt, "features", &err);
		return churn_fail("features", status, &err);
	}
	feat_report(&st, nt);
	return EX_OK;
}
