/*
 * The retrospective as plain text, for chat and the terminal: the same
 * model as the report page, a few lines a section, every value from the
 * store passed through as it is (the receiver's format escapes it).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "web/web_int.h"

#define TEXT_LIST_MAX 10   /* lines of one list */

struct text_out {
	struct buf *b;       /* the text */
	const char *lang;    /* "en" or "ja" */
};

static void
say(struct text_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct text_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(o->b, fmt, ap);
	va_end(ap);
}

/* Writes member key of obj (a fraction) as a percentage into out. */
static const char *
pct(char *out, size_t size, const json_t *obj, const char *key, int digits)
{
	web_percent(out, size, wj_real(obj, key), digits);
	return out;
}

static const char *
dur(char *out, size_t size, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	web_duration(out, size, json_is_number(v) ? json_number_value(v) : -1);
	return out;
}

static void
text_slos(struct text_out *o, const json_t *slos)
{
	char a[32], b[32], c[32];
	const json_t *s;
	size_t i;

	say(o, "\n%s\n", web_tr(o->lang, N_("SLOs")));
	if (json_array_size(slos) == 0)
		say(o, "  %s\n", web_tr(o->lang, N_("No SLO is configured or stored.")));
	json_array_foreach(slos, i, s) {
		json_t *met = json_object_get(s, "period_met");
		const char *mark = !json_is_boolean(met) ? web_tr(o->lang, N_("no data")) :
		    json_is_true(met) ? web_tr(o->lang, N_("met")) : web_tr(o->lang, N_("MISSED"));

		say(o, web_trn(o->lang, N_("  %s: %s, %s of %lld event good (objective %s), budget left now %s\n"),
		    N_("  %s: %s, %s of %lld events good (objective %s), budget left now %s\n"),
		    (unsigned long)wj_int(s, "period_total")),
		    wj_text(s, "name"), mark, pct(a, sizeof a, s, "period_sli", 3),
		    (long long)wj_int(s, "period_total"), pct(b, sizeof b, s,
		    "objective", 3), pct(c, sizeof c, s, "budget_remaining", 1));
	}
}

/*
 * Writes one pipeline's line. The success rate counts finished runs only,
 * so runs in progress are counted apart.
 */
static void
text_pipeline_runs(struct text_out *o, const json_t *p)
{
	long long running = (long long)wj_int(p, "running");
	char a[32];

	pct(a, sizeof a, p, "success_rate", 1);
	if (running > 0)
		say(o, web_trn(o->lang, N_("  %s: %lld finished run, %s "
		    "succeeded, and %lld running\n"), N_("  %s: %lld finished "
		    "runs, %s succeeded, and %lld running\n"),
		    (unsigned long)(wj_int(p, "runs") - running)),
		    wj_text(p, "pipeline"),
		    (long long)wj_int(p, "runs") - running, a, running);
	else
		say(o, web_trn(o->lang, N_("  %s: %lld run, %s succeeded\n"),
		    N_("  %s: %lld runs, %s succeeded\n"),
		    (unsigned long)wj_int(p, "runs")),
		    wj_text(p, "pipeline"), (long long)wj_int(p, "runs"), a);
}

static void
text_runs(struct text_out *o, const json_t *runs)
{
	const json_t *p;
	size_t i;

	say(o, "\n%s\n", web_tr(o->lang, N_("Runs")));
	if (wj_int(runs, "running") > 0)
		say(o, web_trn(o->lang, N_("  %lld run: %lld succeeded, %lld "
		    "failed, and %lld running\n"), N_("  %lld runs: %lld "
		    "succeeded, %lld failed, and %lld running\n"),
		    (unsigned long)wj_int(runs, "total")), (long long)wj_int(runs,
		    "total"), (long long)wj_int(runs, "succeeded"),
		    (long long)wj_int(runs, "failed"), (long long)wj_int(runs,
		    "running"));
	else
		say(o, web_trn(o->lang, N_("  %lld run: %lld succeeded, %lld "
		    "failed\n"), N_("  %lld runs: %lld succeeded, %lld "
		    "failed\n"), (unsigned long)wj_int(runs, "total")),
		    (long long)wj_int(runs, "total"),
		    (long long)wj_int(runs, "succeeded"), (long long)wj_int(runs,
		    "failed"));
	json_array_foreach(json_object_get(runs, "by_pipeline"), i, p)
		text_pipeline_runs(o, p);
	json_array_foreach(json_object_get(runs, "failed_runs"), i, p) {
		if (i == TEXT_LIST_MAX)
			break;
		say(o, web_tr(o->lang, N_("  failed: run %lld of %s for %s: %s\n")),
		    (long long)wj_int(p, "id"), wj_text(p, "pipeline"),
		    wj_text(p, "logical_date"), wj_text(p, "reason"));
	}
}

static void
text_incidents(struct text_out *o, const json_t *list, const json_t *sum)
{
	char a[32], b[32];
	const json_t *it;
	size_t i;

	say(o, "\n%s\n", web_tr(o->lang, N_("Incidents")));
	say(o, web_trn(o->lang, N_("  %lld incident; mean time to acknowledge %s, to resolve %s\n"),
	    N_("  %lld incidents; mean time to acknowledge %s, to resolve %s\n"),
	    (unsigned long)wj_int(sum, "count")),
	    (long long)wj_int(sum, "count"), dur(a, sizeof a, sum, "mtta_ms"),
	    dur(b, sizeof b, sum, "mttr_ms"));
	json_array_foreach(list, i, it) {
		if (i == TEXT_LIST_MAX) {
			say(o, web_tr(o->lang, N_("  ... and %zu more\n")),
			    json_array_size(list) - i);
			break;
		}
		say(o, web_tr(o->lang, N_("  [%s] %s: acknowledged after %s, resolved after %s\n")),
		    wj_text(it, "severity"), wj_text(it, "summary"),
		    dur(a, sizeof a, it, "tta_ms"), dur(b, sizeof b, it,
		    "ttr_ms"));
	}
}

static void
text_trends(struct text_out *o, const json_t *trends)
{
	char a[32], when[40];
	const json_t *t;
	size_t i;

	say(o, "\n%s\n", web_tr(o->lang, N_("Stages getting slower")));
	if (json_array_size(trends) == 0)
		say(o, "  %s\n", web_tr(o->lang, N_("Too little history for trends.")));
	json_array_foreach(trends, i, t) {
		double rate = wj_real(t, "ms_per_day");

		if (!isfinite(rate) || rate <= 0)
			continue;
		web_duration(a, sizeof a, rate);
		say(o, web_tr(o->lang, N_("  %s/%s: +%s a day")), wj_text(t, "pipeline"),
		    wj_text(t, "stage"), a);
		if (strcmp(wj_text(t, "outlook"), "at") == 0) {
			web_time(when, sizeof when, wj_int(t, "reach_at"));
			say(o, web_tr(o->lang, N_(", reaches its timeout on %s")), when);
		} else if (strcmp(wj_text(t, "outlook"), "already") == 0) {
			say(o, "%s", web_tr(o->lang, N_(", already at its timeout")));
		}
		say(o, "\n");
	}
}

/* Writes one error signature: how often, in how many stage runs, where. */
static void
text_error_line(struct text_out *o, const json_t *g)
{
	long long count = (long long)wj_int(g, "count");
	long long runs = (long long)wj_int(g, "stage_runs");
	char times[48], in_runs[48];

	snprintf(times, sizeof times, web_trn(o->lang, N_("%lld time"),
	    N_("%lld times"), (unsigned long)count), count);
	snprintf(in_runs, sizeof in_runs, web_trn(o->lang,
	    N_("%lld stage run"), N_("%lld stage runs"), (unsigned long)runs),
	    runs);
	/* TRANSLATORS: "  N times in N stage runs, PIPELINE/STAGE: TEXT" */
	say(o, web_tr(o->lang, N_("  %s in %s, %s/%s: %s\n")), times, in_runs,
	    wj_text(g, "pipeline"), wj_text(g, "stage"),
	    wj_text(g, "signature"));
}

static void
text_errors(struct text_out *o, const json_t *errors)
{
	const json_t *g;
	size_t i;

	say(o, "\n%s\n", web_tr(o->lang, N_("Errors that keep coming back")));
	if (json_array_size(errors) == 0)
		say(o, "  %s\n", web_tr(o->lang, N_("No error lines in this period.")));
	json_array_foreach(errors, i, g)
		text_error_line(o, g);
}

static void
text_probes(struct text_out *o, const json_t *probes)
{
	char a[32], b[32];
	const json_t *p;
	size_t i;

	if (json_array_size(probes) == 0)
		return;
	say(o, "\n%s\n", web_tr(o->lang, N_("Probes")));
	json_array_foreach(probes, i, p)
		say(o, web_tr(o->lang, N_("  %s: %s available, p95 latency %s\n")),
		    wj_text(p, "name"), pct(a, sizeof a, p, "availability", 3),
		    dur(b, sizeof b, p, "p95_ms"));
}

int
web_report_render(const json_t *m, const char *lang, const char *base_url,
		  struct buf *out)
{
	const json_t *period = json_object_get(m, "period");
	struct text_out o = { out, lang };
	char from[40], to[40], d1[16], d2[16];

	web_time(from, sizeof from, wj_int(period, "from"));
	web_time(to, sizeof to, wj_int(period, "to"));
	say(&o, web_tr(o.lang, N_("watchkeep retrospective, %s to %s\n")), from, to);
	text_slos(&o, json_object_get(m, "slos"));
	text_runs(&o, json_object_get(m, "runs"));
	text_incidents(&o, json_object_get(m, "incidents"),
	    json_object_get(m, "incident_summary"));
	text_trends(&o, json_object_get(m, "trends"));
	text_errors(&o, json_object_get(m, "errors"));
	text_probes(&o, json_object_get(m, "probes"));
	if (base_url != NULL) {
		clk_format_date(d1, sizeof d1, wj_int(period, "from") /
		    WEB_MS_PER_DAY);
		clk_format_date(d2, sizeof d2, (wj_int(period, "to") - 1) /
		    WEB_MS_PER_DAY);
		say(&o, "\n%s/report?from=%s&to=%s\n", base_url, d1, d2);
	}
	return out->len < out->max ? WK_OK : WK_ERR_LIMIT;
}
