/* The growth section of `watchkeep status`: forecasts as text and JSON. */
#include <stdio.h>
#include <string.h>

#include "core/forecast.h"
#include "agent/report.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/text.h"

#define GROWTH_LABEL_COLS 24

/* Describes when a forecast passes its limit. */
static void
growth_outlook(char *out, size_t size, enum trend_outlook outlook,
	       int64_t reach_at, int64_t limit_ms, int64_t now_ms,
	       const char *limit_name)
{
	char limit[32], date[16];
	int64_t days;

	clk_format_duration(limit, sizeof limit, limit_ms);
	switch (outlook) {
	case TREND_AT:
		clk_format_date(date, sizeof date, reach_at / CLK_MS_PER_DAY);
		days = (reach_at - now_ms) / CLK_MS_PER_DAY;
		snprintf(out, size, P_("passes its %s %s around %s (in %lld "
		    "day)", "passes its %s %s around %s (in %lld days)",
		    (unsigned long)days), limit, limit_name, date,
		    (long long)days);
		break;
	case TREND_ALREADY:
		snprintf(out, size, _("already at its %s %s"), limit,
		    limit_name);
		break;
	case TREND_NEVER:
		snprintf(out, size, _("not growing toward its %s %s"), limit,
		    limit_name);
		break;
	default:
		snprintf(out, size, _("no forecast yet (needs %d successful "
		    "runs)"), TREND_MIN_FORECAST);
	}
}

static void
growth_line(FILE *out, const char *label, const struct forecast *f,
	    int64_t now_ms, const char *limit_name)
{
	char name[128], rate[32], now[32], outlook[256];

	text_fit(label, GROWTH_LABEL_COLS, 1, name, sizeof name);
	clk_format_duration(rate, sizeof rate, (int64_t)(f->ms_per_day < 0 ?
	    -f->ms_per_day : f->ms_per_day));
	clk_format_duration(now, sizeof now, (int64_t)(f->now_ms > 0 ?
	    f->now_ms : 0));
	if (f->limit_ms > 0)
		growth_outlook(outlook, sizeof outlook, f->outlook,
		    f->reach_at, f->limit_ms, now_ms, limit_name);
	else
		snprintf(outlook, sizeof outlook, "%s", _("no limit set"));
	fprintf(out, _("  %s %s%s a day, now %s; %s\n"), name,
	    f->ms_per_day < 0 ? "-" : "+", rate, now, outlook);
	if (f->by_size_ok && f->limit_ms > 0 && f->size_outlook == TREND_AT) {
		growth_outlook(outlook, sizeof outlook, f->size_outlook,
		    f->size_reach_at, f->limit_ms, now_ms, limit_name);
		text_fit("", GROWTH_LABEL_COLS, 1, name, sizeof name);
		fprintf(out, _("  %s by input size (%.1f MiB a day): %s\n"),
		    name, f->mib_per_day, outlook);
	}
}

int
report_growth_text(FILE *out, struct store *st, const struct cfg *cfg,
		   int64_t now_ms)
{
	char label[2 * CFG_NAME_MAX + 8];
	struct forecast f;
	size_t i, k, shown = 0;

	fprintf(out, "\n%s\n", _("Growth (Theil-Sen fit of the durations of "
	    "the last 90 days):"));
	for (i = 0; i < cfg->n_pipelines; i++) {
		const struct cfg_pipeline *p = &cfg->pipelines[i];

		for (k = 0; k < p->n_stages; k++) {
			if (forecast_stage(st, p->name, &p->stages[k], now_ms,
			    &f) != WK_OK || !f.ok)
				continue;
			snprintf(label, sizeof label, "%s/%s", p->name,
			    p->stages[k].name);
			growth_line(out, label, &f, now_ms, _("timeout"));
			shown++;
		}
		if (forecast_run(st, p, now_ms, &f) == WK_OK && f.ok &&
		    f.limit_ms > 0) {
			snprintf(label, sizeof label, _("%s (run)"), p->name);
			growth_line(out, label, &f, now_ms, _("deadline"));
			shown++;
		}
	}
	if (shown == 0)
		fprintf(out, _("  not enough history yet: a forecast needs "
		    "successful runs over at least 3 days\n"));
	return WK_OK;
}

static json_t *
growth_json_one(const char *pipeline, const char *stage,
		const struct forecast *f)
{
	static const char *const outlooks[] = { "unknown", "never", "already",
		"at" };
	json_t *obj = json_pack("{s:s, s:I, s:f, s:f, s:s}", "pipeline",
	    pipeline, "points", (json_int_t)f->n, "ms_per_day", f->ms_per_day,
	    "now_ms", f->now_ms, "outlook", outlooks[f->outlook]);

	json_object_set_new(obj, "stage", stage != NULL ? json_string(stage) :
	    json_null());
	json_object_set_new(obj, "limit_ms", f->limit_ms > 0 ?
	    json_integer(f->limit_ms) : json_null());
	json_object_set_new(obj, "reaches_limit_at_ms", f->outlook == TREND_AT ?
	    json_integer(f->reach_at) : json_null());
	return obj;
}

json_t *
report_growth_json(struct store *st, const struct cfg *cfg, int64_t now_ms)
{
	json_t *list = json_array();
	struct forecast f;
	size_t i, k;

	for (i = 0; i < cfg->n_pipelines; i++) {
		const struct cfg_pipeline *p = &cfg->pipelines[i];

		for (k = 0; k < p->n_stages; k++) {
			if (forecast_stage(st, p->name, &p->stages[k], now_ms,
			    &f) == WK_OK && f.ok)
				json_array_append_new(list, growth_json_one(
				    p->name, p->stages[k].name, &f));
		}
		if (forecast_run(st, p, now_ms, &f) == WK_OK && f.ok)
			json_array_append_new(list, growth_json_one(p->name,
			    NULL, &f));
	}
	return list;
}
