/*
 * Inline SVG charts. Colours and strokes come from the stylesheet by
 * class, so the pages need no style attribute (the Content-Security-
 * Policy forbids inline styles). Every mark carries the value it draws
 * in data-* attributes, in the same units as the JSON model, so a test
 * can compare a chart with the API's response.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/i18n.h"
#include "web/web_int.h"

#define SVG_W 760.0     /* viewBox width */
#define SVG_H 220.0     /* viewBox height */
#define SVG_L 64.0      /* left margin: y labels */
#define SVG_R 96.0      /* right margin: rule labels */
#define SVG_T 10.0      /* top margin */
#define SVG_B 28.0      /* bottom margin: x labels */
#define SVG_TICKS 5     /* y grid lines */
#define SVG_X_TICKS 6   /* x labels */

/* Maps data to the plot area. */
struct svg_scale {
	double t0, t1;   /* x range, ms */
	double y0, y1;   /* y range */
	double left, right, top, bottom;  /* plot area in viewBox units */
};

static double
sx(const struct svg_scale *s, double t)
{
	double f = s->t1 > s->t0 ? (t - s->t0) / (s->t1 - s->t0) : 0;

	return s->left + f * (s->right - s->left);
}

static double
sy(const struct svg_scale *s, double v)
{
	double f = s->y1 > s->y0 ? (v - s->y0) / (s->y1 - s->y0) : 0;

	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return s->bottom - f * (s->bottom - s->top);
}

/* Writes a value of the y axis for people. */
static void
svg_value(char *out, size_t size, double v, const char *unit, int percent)
{
	if (percent)
		snprintf(out, size, "%.4g%%", v * 100.0);
	else if (unit != NULL && strcmp(unit, "ms") == 0)
		web_duration(out, size, v);
	else
		snprintf(out, size, "%.4g%s", v, unit != NULL ? unit : "");
}

static void
svg_time_label(char *out, size_t size, int64_t ms, int64_t span)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, size, span > 2 * WEB_MS_PER_DAY ? "%m-%d" : "%H:%M", &tm);
}

/*
 * Rounds span up so that span / ticks is 1, 2 or 5 times a power of ten,
 * which gives grid lines at round values.
 */
static double
nice_ceiling(double span, int ticks)
{
	double raw = span / ticks, mag = pow(10, floor(log10(raw))), f;

	if (!isfinite(raw) || raw <= 0)
		return span;
	f = raw / mag;
	if (f <= 1)
		f = 1;
	else if (f <= 2)
		f = 2;
	else if (f <= 5)
		f = 5;
	else
		f = 10;
	return f * mag * ticks;
}

static const json_t *
series_points(const struct web_svg_chart *c, const struct web_svg_series *s)
{
	return s->points != NULL ? s->points : c->points;
}

/* Finds the y range of the chart's data and rules. */
static void
svg_y_range(const struct web_svg_chart *c, double *lo, double *hi)
{
	const json_t *pt;
	size_t i, k;

	*lo = 0;
	*hi = c->percent ? 1 : 0;
	for (k = 0; k < c->n_series; k++) {
		json_array_foreach(series_points(c, &c->series[k]), i, pt) {
			double v = wj_real(pt, c->series[k].key);

			if (!isfinite(v))
				continue;
			if (v < *lo)
				*lo = v;
			if (v > *hi)
				*hi = v;
		}
	}
	for (k = 0; k < c->n_rules; k++) {
		if (c->rules[k].y > *hi)
			*hi = c->rules[k].y;
		if (c->rules[k].y < *lo)
			*lo = c->rules[k].y;
	}
	if (*hi <= *lo)
		*hi = *lo + 1;
	if (!c->percent)
		*hi = nice_ceiling((*hi - *lo) * 1.05, SVG_TICKS) + *lo;
}

static void
svg_axes(struct web_req *r, const struct web_svg_chart *c,
	 const struct svg_scale *s)
{
	char text[48];
	int i;

	for (i = 0; i <= SVG_TICKS; i++) {
		double v = s->y0 + (s->y1 - s->y0) * i / SVG_TICKS;
		double y = sy(s, v);

		svg_value(text, sizeof text, v, c->y_unit, c->percent);
		web_put(&r->body, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\"/><text class=\"ylab\" x=\"%.1f\" "
		    "y=\"%.1f\">", s->left, y, s->right, y, s->left - 4, y + 4);
		web_esc(&r->body, text);
		web_put(&r->body, "</text>");
	}
	for (i = 0; i <= SVG_X_TICKS; i++) {
		double t = s->t0 + (s->t1 - s->t0) * i / SVG_X_TICKS;

		svg_time_label(text, sizeof text, (int64_t)t,
		    (int64_t)(s->t1 - s->t0));
		web_put(&r->body, "<text class=\"xlab\" x=\"%.1f\" y=\"%.1f\">"
		    "%s</text>", sx(s, t), s->bottom + 18, text);
	}
}

static void
svg_rules(struct web_req *r, const struct web_svg_chart *c,
	  const struct svg_scale *s)
{
	size_t k;

	for (k = 0; k < c->n_rules; k++) {
		double y = sy(s, c->rules[k].y);

		web_put(&r->body, "<line class=\"rule r-%s\" data-rule=\"",
		    c->rules[k].kind);
		web_esc(&r->body, c->rules[k].label);
		web_put(&r->body, "\" data-v=\"%.17g\" x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\"/><text class=\"rlab\" x=\"%.1f\" "
		    "y=\"%.1f\">", c->rules[k].y, s->left, y, s->right, y,
		    s->right + 4, y + 4);
		web_esc(&r->body, c->rules[k].label);
		web_put(&r->body, "</text>");
	}
}

/* Draws one series: polylines broken at missing values, and its dots. */
static void
svg_series(struct web_req *r, const struct web_svg_chart *c,
	   const struct web_svg_series *ser, const struct svg_scale *s)
{
	const json_t *pt;
	char label[48], when[40];
	int open = 0;
	size_t i;

	web_put(&r->body, "<g class=\"series c-%s\" data-key=\"%s\" "
	    "data-series=\"", ser->kind, ser->key);
	web_esc(&r->body, ser->name);
	web_put(&r->body, "\">");
	json_array_foreach(series_points(c, ser), i, pt) {
		double v = wj_real(pt, ser->key);

		if (!isfinite(v)) {
			if (open)
				web_put(&r->body, "\"/>");
			open = 0;
			continue;
		}
		web_put(&r->body, "%s%.1f,%.1f", open ? " " :
		    "<polyline points=\"", sx(s, (double)wj_int(pt, c->t_key)),
		    sy(s, v));
		open = 1;
	}
	if (open)
		web_put(&r->body, "\"/>");
	json_array_foreach(series_points(c, ser), i, pt) {
		double v = wj_real(pt, ser->key);
		int64_t t = wj_int(pt, c->t_key);

		if (!isfinite(v))
			continue;
		web_put(&r->body, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" "
		    "r=\"%s\" data-t=\"%lld\" data-v=\"%.17g\">", ser->dots ?
		    "dot" : "pt", sx(s, (double)t), sy(s, v), ser->dots ? "2.5" :
		    "1", (long long)t, v);
		if (ser->dots) {
			web_time(when, sizeof when, t);
			svg_value(label, sizeof label, v, c->y_unit, c->percent);
			web_put(&r->body, "<title>");
			web_esc(&r->body, when);
			web_put(&r->body, ": ");
			web_esc(&r->body, label);
			web_put(&r->body, "</title>");
		}
		web_put(&r->body, "</circle>");
	}
	web_put(&r->body, "</g>");
}

static void
svg_legend(struct web_req *r, const struct web_svg_chart *c)
{
	size_t k;

	web_put(&r->body, "<figcaption>");
	for (k = 0; k < c->n_series; k++) {
		web_put(&r->body, "<span class=\"key c-%s\"></span>",
		    c->series[k].kind);
		web_esc(&r->body, c->series[k].name);
		web_put(&r->body, " ");
	}
	web_put(&r->body, "</figcaption>");
}

void
web_svg_time_chart(struct web_req *r, const struct web_svg_chart *c)
{
	struct svg_scale s;
	size_t k;

	s.t0 = (double)c->t_from;
	s.t1 = (double)c->t_to;
	if (c->y_max > c->y_min) {
		s.y1 = c->y_max;
		/* Round the low end so that the grid lines fall on round values. */
		s.y0 = c->y_max - nice_ceiling(c->y_max - c->y_min, SVG_TICKS);
	} else {
		svg_y_range(c, &s.y0, &s.y1);
	}
	s.left = SVG_L;
	s.right = SVG_W - SVG_R;
	s.top = SVG_T;
	s.bottom = SVG_H - SVG_B;
	web_put(&r->body, "<figure class=\"chart\"><svg viewBox=\"0 0 %.0f "
	    "%.0f\" role=\"img\" data-chart=\"", SVG_W, SVG_H);
	/* Chart ids contain stage and pipeline names from the store. */
	web_esc(&r->body, c->id);
	web_put(&r->body, "\" data-t-from=\"%lld\" data-t-to=\"%lld\" "
	    "aria-label=\"", (long long)c->t_from, (long long)c->t_to);
	web_esc(&r->body, c->title);
	web_put(&r->body, "\"><title>");
	web_esc(&r->body, c->title);
	web_put(&r->body, "</title>");
	svg_axes(r, c, &s);
	svg_rules(r, c, &s);
	for (k = 0; k < c->n_series; k++)
		svg_series(r, c, &c->series[k], &s);
	web_put(&r->body, "</svg>");
	svg_legend(r, c);
	web_put(&r->body, "</figure>\n");
}

/* ---- Gantt ---- */

/* Collects the distinct stage names of attempts, in order of appearance. */
static size_t
gantt_rows(const json_t *attempts, const char **names, size_t max)
{
	const json_t *a;
	size_t n = 0, i, k;

	json_array_foreach(attempts, i, a) {
		const char *stage = wj_text(a, "stage");

		for (k = 0; k < n && strcmp(names[k], stage) != 0; k++)
			;
		if (k == n && n < max)
			names[n++] = stage;
	}
	return n;
}

static void
gantt_state_class(const char *state, char *cls, size_t size)
{
	size_t i;

	for (i = 0; state[i] != '\0' && i + 1 < size; i++)
		cls[i] = state[i] >= 'a' && state[i] <= 'z' ? state[i] : '_';
	cls[i] = '\0';
}

static void
gantt_bar(struct web_req *r, const json_t *a, double y, double h,
	  const struct svg_scale *s, int compact)
{
	int64_t start = wj_int(a, "started_at"), end = wj_int(a, "ended_at");
	double x0, x1;
	char cls[24], took[32];

	if (start <= 0)
		return;
	if (end <= 0)
		end = r->now;
	x0 = sx(s, (double)start);
	x1 = sx(s, (double)end);
	if (x1 - x0 < 1)
		x1 = x0 + 1;
	gantt_state_class(wj_text(a, "state"), cls, sizeof cls);
	web_put(&r->body, "<rect class=\"bar s-%s\" x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\" data-stage=\"", cls, x0, y,
	    x1 - x0, h);
	web_esc(&r->body, wj_text(a, "stage"));
	web_put(&r->body, "\" data-attempt=\"%lld\" data-start=\"%lld\" "
	    "data-end=\"%lld\" data-state=\"%s\">", (long long)wj_int(a,
	    "attempt"), (long long)start, (long long)wj_int(a, "ended_at"),
	    cls);
	if (!compact) {
		web_duration(took, sizeof took, (double)(end - start));
		web_put(&r->body, "<title>");
		web_esc(&r->body, wj_text(a, "stage"));
		web_put(&r->body, " #%lld: ", (long long)wj_int(a, "attempt"));
		web_esc(&r->body, wj_text(a, "state"));
		web_put(&r->body, ", ");
		web_esc(&r->body, took);
		web_put(&r->body, "</title>");
	}
	web_put(&r->body, "</rect>");
}

void
web_svg_gantt(struct web_req *r, const char *id, const json_t *attempts,
	      int64_t t_from, int64_t t_to, int compact)
{
	const char *names[64];
	size_t n = gantt_rows(attempts, names, 64), i, k;
	double row = compact ? 7 : 22, w = compact ? 240 : SVG_W;
	double height = (double)n * row + (compact ? 2 : SVG_B);
	struct svg_scale s;
	const json_t *a;

	if (n == 0)
		return;
	memset(&s, 0, sizeof s);
	s.t0 = (double)t_from;
	s.t1 = (double)(t_to > t_from ? t_to : t_from + 1);
	s.left = compact ? 0 : 150;
	s.right = w - (compact ? 0 : 40);
	s.top = 0;
	s.bottom = height - (compact ? 0 : SVG_B);
	web_put(&r->body, "<svg class=\"gantt%s\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" data-chart=\"", compact ? " compact" : "", w,
	    height);
	web_esc(&r->body, id);
	web_put(&r->body, "\" data-t-from=\"%lld\" data-t-to=\"%lld\">",
	    (long long)t_from, (long long)t_to);
	for (k = 0; k < n; k++) {
		double y = (double)k * row;

		if (!compact) {
			web_put(&r->body, "<text class=\"glab\" x=\"144\" "
			    "y=\"%.1f\">", y + row * 0.65);
			web_esc(&r->body, names[k]);
			web_put(&r->body, "</text>");
		}
		json_array_foreach(attempts, i, a) {
			if (strcmp(wj_text(a, "stage"), names[k]) == 0)
				gantt_bar(r, a, y + 2, row - 4, &s, compact);
		}
	}
	if (!compact) {
		char text[40];
		int tick;

		for (tick = 0; tick <= 4; tick++) {
			double t = s.t0 + (s.t1 - s.t0) * tick / 4;

			web_duration(text, sizeof text, t - s.t0);
			web_put(&r->body, "<text class=\"xlab\" x=\"%.1f\" "
			    "y=\"%.1f\">+%s</text>", sx(&s, t), height - 8, text);
		}
	}
	web_put(&r->body, "</svg>");
}

/* ---- bars ---- */

void
web_svg_bars(struct web_req *r, const char *id, const json_t *items,
	     const char *label_key, const char *value_key, double target)
{
	size_t n = json_array_size(items), i;
	double lo = isfinite(target) ? target : 1, bw, h = 160, base = 130;
	const json_t *it;

	json_array_foreach(items, i, it) {
		double v = wj_real(it, value_key);

		if (isfinite(v) && v < lo)
			lo = v;
	}
	lo = floor((lo - 0.0005) * 100.0) / 100.0;
	if (lo < 0)
		lo = 0;
	if (lo >= 1)
		lo = 0.99;
	bw = n > 0 ? (SVG_W - 80) / (double)n : 0;
	web_put(&r->body, "<svg class=\"bars\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" data-chart=\"", SVG_W, h);
	web_esc(&r->body, id);
	web_put(&r->body, "\" data-y-min=\"%.17g\">", lo);
	web_put(&r->body, "<text class=\"ylab\" x=\"56\" y=\"14\">100%%</text>"
	    "<text class=\"ylab\" x=\"56\" y=\"%.1f\">%.4g%%</text>", base,
	    lo * 100);
	json_array_foreach(items, i, it) {
		double v = wj_real(it, value_key);
		double x = 64 + bw * (double)i, top;

		top = isfinite(v) ? base - (v - lo) / (1 - lo) * (base - 10) : base;
		web_put(&r->body, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" data-label=\"", !isfinite(v) ?
		    "none" : isfinite(target) && v < target ? "miss" : "met",
		    x + 2, top, bw > 6 ? bw - 4 : 2, base - top);
		web_esc(&r->body, wj_text(it, label_key));
		if (isfinite(v))
			web_put(&r->body, "\" data-v=\"%.17g\">", v);
		else
			web_put(&r->body, "\" data-v=\"\">");
		web_put(&r->body, "<title>");
		web_esc(&r->body, wj_text(it, label_key));
		if (isfinite(v))
			web_put(&r->body, ": %.3f%%", v * 100);
		else
			web_put(&r->body, ": -");
		web_put(&r->body, "</title></rect><text class=\"xlab\" x=\"%.1f\" "
		    "y=\"%.1f\">", x + bw / 2, base + 16);
		web_esc(&r->body, wj_text(it, label_key) + (strlen(wj_text(it,
		    label_key)) > 5 ? 5 : 0));
		web_put(&r->body, "</text>");
	}
	if (isfinite(target) && target > lo)
		web_put(&r->body, "<line class=\"rule r-objective\" "
		    "data-v=\"%.17g\" x1=\"64\" x2=\"%.0f\" y1=\"%.1f\" "
		    "y2=\"%.1f\"/>", target, SVG_W - 16, base - (target - lo) /
		    (1 - lo) * (base - 10), base - (target - lo) / (1 - lo) *
		    (base - 10));
	web_put(&r->body, "</svg>\n");
}

/* ---- incidents ---- */

void
web_svg_incidents(struct web_req *r, const json_t *incidents, int64_t t_from,
		  int64_t t_to)
{
	size_t n = json_array_size(incidents), i, shown = n < 40 ? n : 40;
	double row = 14, height = (double)shown * row + SVG_B;
	struct svg_scale s;
	const json_t *it;
	char text[40];
	int tick;

	if (n == 0)
		return;
	memset(&s, 0, sizeof s);
	s.t0 = (double)t_from;
	s.t1 = (double)t_to;
	s.left = 40;
	s.right = SVG_W - 40;
	s.bottom = height - SVG_B;
	web_put(&r->body, "<svg class=\"timeline\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" data-chart=\"incidents\">", SVG_W, height);
	json_array_foreach(incidents, i, it) {
		int64_t fired = wj_int(it, "fired_at");
		int64_t end = wj_int(it, "resolved_at") > 0 ?
		    wj_int(it, "resolved_at") : t_to;
		double x0, x1, y = (double)i * row;

		if (i >= shown)
			break;
		x0 = sx(&s, (double)(fired < t_from ? t_from : fired));
		x1 = sx(&s, (double)(end > t_to ? t_to : end));
		web_put(&r->body, "<rect class=\"bar sev-%s\" x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		    "data-fingerprint=\"", strcmp(wj_text(it, "severity"),
		    "page") == 0 ? "page" : "other", x0, y + 2, x1 - x0 < 2 ?
		    2 : x1 - x0, row - 4);
		web_esc(&r->body, wj_text(it, "fingerprint"));
		web_put(&r->body, "\" data-fired=\"%lld\" data-resolved=\"%lld\">"
		    "<title>", (long long)fired, (long long)wj_int(it,
		    "resolved_at"));
		web_esc(&r->body, wj_text(it, "summary"));
		web_put(&r->body, "</title></rect>");
		if (wj_int(it, "ack_at") > 0)
			web_put(&r->body, "<line class=\"ack\" x1=\"%.1f\" "
			    "x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			    "data-ack=\"%lld\"/>", sx(&s, (double)wj_int(it,
			    "ack_at")), sx(&s, (double)wj_int(it, "ack_at")),
			    y + 1, y + row - 1, (long long)wj_int(it, "ack_at"));
	}
	for (tick = 0; tick <= SVG_X_TICKS; tick++) {
		double t = s.t0 + (s.t1 - s.t0) * tick / SVG_X_TICKS;

		svg_time_label(text, sizeof text, (int64_t)t, t_to - t_from);
		web_put(&r->body, "<text class=\"xlab\" x=\"%.1f\" y=\"%.1f\">"
		    "%s</text>", sx(&s, t), height - 8, text);
	}
	web_put(&r->body, "</svg>\n");
}

/* ---- sparkline ---- */

void
web_svg_spark(struct web_req *r, const char *id, const json_t *points,
	      const char *key)
{
	size_t n = json_array_size(points), i;
	double hi = 0, w = 120, h = 24;
	const json_t *pt;

	if (n == 0)
		return;
	json_array_foreach(points, i, pt) {
		double v = wj_real(pt, key);

		if (isfinite(v) && v > hi)
			hi = v;
	}
	if (hi <= 0)
		hi = 1;
	web_put(&r->body, "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" data-chart=\"", w, h);
	web_esc(&r->body, id);
	web_put(&r->body, "\">");
	json_array_foreach(points, i, pt) {
		double v = wj_real(pt, key);
		double x = n > 1 ? 2 + (w - 4) * (double)i / (double)(n - 1) :
		    w / 2;
		char cls[24];

		if (!isfinite(v))
			continue;
		gantt_state_class(wj_text(pt, "state"), cls, sizeof cls);
		web_put(&r->body, "<circle class=\"s-%s\" cx=\"%.1f\" "
		    "cy=\"%.1f\" r=\"2\" data-v=\"%.17g\"/>", cls, x,
		    h - 2 - (h - 4) * v / hi, v);
	}
	web_put(&r->body, "</svg>");
}
