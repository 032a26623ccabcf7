/* Helpers of the web pages: periods, JSON values, escaping, formats. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cfgcheck.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/text.h"
#include "web/web_int.h"

#define WEB_PERIOD_MAX_MS (400 * WEB_MS_PER_DAY)  /* longest period shown */

static int
period_since(struct web_req *r, const char *since, struct web_period *p)
{
	const char *reason = NULL;
	char shown[WEB_SHOW_MAX];
	size_t bad = 0;
	int64_t ms;

	if (clk_parse_duration(since, &ms, &bad, &reason) != WK_OK || ms <= 0 ||
	    ms > WEB_PERIOD_MAX_MS) {
		web_show_value(shown, sizeof shown, since);
		web_fail(r, 400, WT(r, N_("invalid since=%s: give a duration from 1m to 400d, such as 7d or 12h")),
		    shown);
		return WK_ERR_INVALID;
	}
	p->to = r->now;
	p->from = r->now - ms;
	snprintf(p->label, sizeof p->label, "%s", since);
	return WK_OK;
}

static int
period_dates(struct web_req *r, const char *from, const char *to,
	     struct web_period *p)
{
	int64_t d_from, d_to;

	if (clk_parse_date(from, &d_from) != WK_OK ||
	    (to != NULL && clk_parse_date(to, &d_to) != WK_OK)) {
		web_fail(r, 400, "%s", WT(r, N_("invalid from= or to=: give dates as YYYY-MM-DD")));
		return WK_ERR_INVALID;
	}
	if (to == NULL)
		d_to = r->now / WEB_MS_PER_DAY;
	if (d_to < d_from || (d_to - d_from + 1) * WEB_MS_PER_DAY >
	    WEB_PERIOD_MAX_MS) {
		web_fail(r, 400, "%s", WT(r, N_("the period must end after it starts and last at most 400 days")));
		return WK_ERR_INVALID;
	}
	p->from = d_from * WEB_MS_PER_DAY;
	p->to = (d_to + 1) * WEB_MS_PER_DAY;
	snprintf(p->label, sizeof p->label, "%s..%s", from, to != NULL ? to :
	    "");
	return WK_OK;
}

int
web_period(struct web_req *r, int64_t def_ms, struct web_period *p)
{
	const char *since = web_arg(r, "since");
	const char *from = web_arg(r, "from");
	char def[32];

	if (from != NULL && from[0] != '\0')
		return period_dates(r, from, web_arg(r, "to"), p);
	if (since != NULL && since[0] != '\0')
		return period_since(r, since, p);
	if (def_ms % WEB_MS_PER_DAY == 0)
		snprintf(def, sizeof def, "%lldd",
		    (long long)(def_ms / WEB_MS_PER_DAY));
	else
		snprintf(def, sizeof def, "%lldm", (long long)(def_ms / 60000));
	return period_since(r, def, p);
}

json_t *
wj_str(const char *s)
{
	char clean[STORE_LOG_LINE_MAX + 1];
	json_t *v;

	if (s == NULL)
		return json_null();
	v = json_string(s);
	if (v != NULL)
		return v;
	/* Not valid UTF-8: replace what is invalid. */
	text_sanitize(s, strlen(s), clean, sizeof clean);
	v = json_string(clean);
	return v != NULL ? v : json_string("");
}

json_t *
wj_ms(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

json_t *
wj_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

void
wj_set(json_t *obj, const char *key, json_t *value)
{
	if (obj != NULL && value != NULL)
		json_object_set_new(obj, key, value);
	else
		json_decref(value);
}

int64_t
wj_int(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return 0;
}

double
wj_real(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *
wj_text(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

int
web_name_ok(const char *s)
{
	return cfgcheck_name_valid(s);
}

void
web_show_value(char *out, size_t size, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)value;
	size_t len = 0, n;
	uint32_t cp;

	if (size < 8) {
		if (size > 0)
			out[0] = '\0';
		return;
	}

	while (*p != '\0' && len + 8 < size) {
		n = text_utf8_decode(p, strnlen((const char *)p, 4), &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '"' ||
		    cp == '\\') {
			/* Shown as %XX, the way it is written in a URL. */
			out[len++] = '%';
			out[len++] = hex[*p >> 4];
			out[len++] = hex[*p & 15];
			p++;
			continue;
		}
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	if (*p != '\0') {
		memcpy(out + len, "...", 3);
		len += 3;
	}
	out[len] = '\0';
}

void
web_esc(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	uint32_t cp;

	while (*p != '\0') {
		switch (*p) {
		case '&': buf_append_str(b, "&amp;"); p++; continue;
		case '<': buf_append_str(b, "&lt;"); p++; continue;
		case '>': buf_append_str(b, "&gt;"); p++; continue;
		case '"': buf_append_str(b, "&quot;"); p++; continue;
		case '\'': buf_append_str(b, "&#39;"); p++; continue;
		default: break;
		}
		n = text_utf8_decode(p, strnlen((const char *)p, 4), &cp);
		/* Bad UTF-8 and control characters other than tab and
		 * newline become U+FFFD. */
		if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') ||
		    cp == 0x7f) {
			buf_append_str(b, "\xEF\xBF\xBD");
			p += n == 0 ? 1 : n;
			continue;
		}
		buf_append(b, p, n);
		p += n;
	}
}

void
web_put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
web_putesc(struct buf *b, const char *fmt, ...)
{
	char text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	web_esc(b, text);
}

void
web_urlenc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char esc[3];

	for (; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p) != NULL) {
			buf_append(b, p, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		buf_append(b, esc, 3);
	}
}

void
web_time(char *out, size_t size, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, size, "-");
		return;
	}
	gmtime_r(&secs, &tm);
	if (strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm) == 0 && size > 0)
		out[0] = '\0';
}

void
web_duration(char *out, size_t size, double ms)
{
	if (!isfinite(ms) || ms < 0) {
		snprintf(out, size, "-");
		return;
	}
	clk_format_duration(out, size, (int64_t)llround(ms));
}

void
web_percent(char *out, size_t size, double fraction, int digits)
{
	if (!isfinite(fraction)) {
		snprintf(out, size, "-");
		return;
	}
	snprintf(out, size, "%.*f%%", digits, fraction * 100.0);
}

int64_t
web_parse_id(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9' || strlen(s) > 18)
		return 0;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v > 0 ? (int64_t)v : 0;
}
