#include "agent/alert_text.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/mocat.h"
#include "core/paths.h"
#include "core/rc.h"
#include "core/text.h"

#define ALERT_CATALOGS_MAX 4         /* languages held at once */
#define ALERT_PIECE_MAX 16           /* bytes of one escaped character */

/* The catalog of one language, loaded on first use. */
struct alert_catalog {
	char lang[8];          /* language, "" for an unused slot */
	struct mocat mo;       /* empty when the file was unusable */
};

static struct alert_catalog alert_catalogs[ALERT_CATALOGS_MAX];

static void
alert_catalog_load(struct alert_catalog *c, const char *lang)
{
	char path[PATH_MAX];
	int rc;

	snprintf(c->lang, sizeof c->lang, "%s", lang);
	snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/watchkeep.mo",
	    paths_locale_dir(), lang);
	rc = mocat_load(&c->mo, path);
	if (rc == WK_ERR_NOTFOUND)
		LOG(LL_WARN, _("no message catalog for language %s at %s; "
		    "alerts to its receivers are in English"), lang, path);
	else if (rc != WK_OK)
		LOG(LL_WARN, _("%s is not a valid message catalog; alerts in "
		    "language %s are in English"), path, lang);
}

static const struct alert_catalog *
alert_catalog(const char *lang)
{
	size_t i;

	for (i = 0; i < ALERT_CATALOGS_MAX && alert_catalogs[i].lang[0]; i++) {
		if (strcmp(alert_catalogs[i].lang, lang) == 0)
			return &alert_catalogs[i];
	}
	if (i == ALERT_CATALOGS_MAX)
		return NULL;
	alert_catalog_load(&alert_catalogs[i], lang);
	return &alert_catalogs[i];
}

const char *
alert_tr(const char *lang, const char *msgid)
{
	const struct alert_catalog *c;

	if (lang == NULL || strcmp(lang, "en") == 0)
		return msgid;
	c = alert_catalog(lang);
	return c != NULL ? mocat_find(&c->mo, msgid) : msgid;
}

void
alert_text_cleanup(void)
{
	size_t i;

	for (i = 0; i < ALERT_CATALOGS_MAX; i++) {
		mocat_free(&alert_catalogs[i].mo);
		alert_catalogs[i].lang[0] = '\0';
	}
}

size_t
alert_text_units(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		units += *p >= 0xf0 ? 2 : 1;
	}
	return units;
}

/* Bytes of s once written as the inside of a JSON string by jansson. */
static size_t
json_cost(const char *s, size_t len)
{
	size_t cost = 0, i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == '\n' || c == '\t' ||
		    c == '\r' || c == '\b' || c == '\f')
			cost += 2;
		else if (c < 0x20 || c == 0x7f)
			cost += 6;
		else
			cost += 1;
	}
	return cost;
}

size_t
alert_text_cost(const char *s, enum alert_unit unit)
{
	return unit == ALERT_UNIT_CHARS ? alert_text_units(s) :
	    json_cost(s, strlen(s));
}

/* Markdown characters that ALERT_ESC_MD puts a backslash before. */
static int
md_special(uint32_t cp)
{
	return cp != 0 && strchr("\\`*_~|[]()#<>", (int)cp) != NULL;
}

/*
 * Writes the escaped form of the character at s (len bytes, code point cp)
 * into piece and returns its length.
 */
static size_t
escape_char(const char *s, size_t len, uint32_t cp, enum alert_esc esc,
	    char *piece)
{
	const char *entity = NULL;

	if (esc == ALERT_ESC_SLACK || esc == ALERT_ESC_HTML) {
		if (cp == '&')
			entity = "&amp;";
		else if (cp == '<')
			entity = "&lt;";
		else if (cp == '>')
			entity = "&gt;";
		else if (esc == ALERT_ESC_HTML && cp == '"')
			entity = "&quot;";
		else if (esc == ALERT_ESC_HTML && cp == '\'')
			entity = "&#39;";
		else if (esc == ALERT_ESC_HTML && cp == '\n')
			entity = "<br>";
	} else if (esc == ALERT_ESC_MD && md_special(cp)) {
		piece[0] = '\\';
		piece[1] = (char)cp;
		return 2;
	} else if (esc == ALERT_ESC_CODE && cp == '`') {
		entity = "`\xE2\x80\x8B";
	}
	if (entity != NULL) {
		memcpy(piece, entity, strlen(entity));
		return strlen(entity);
	}
	memcpy(piece, s, len);
	return len;
}

static size_t
piece_cost(const char *piece, size_t len, enum alert_unit unit)
{
	char tmp[ALERT_PIECE_MAX + 1];

	if (unit == ALERT_UNIT_BYTES)
		return json_cost(piece, len);
	memcpy(tmp, piece, len);
	tmp[len] = '\0';
	return alert_text_units(tmp);
}

int
alert_fit(struct buf *out, const char *raw, size_t limit, enum alert_esc esc,
	  enum alert_unit unit, const char *marker)
{
	size_t marker_cost = alert_text_cost(marker, unit), used = 0;
	size_t cut_len = out->len;
	const char *p = raw;
	int rc;

	while (*p != '\0') {
		char piece[ALERT_PIECE_MAX];
		uint32_t cp;
		size_t n = text_utf8_decode((const unsigned char *)p,
		    strnlen(p, 4), &cp), len, cost;

		/* Invalid UTF-8 becomes U+FFFD, never copied. */
		if (n == 0)
			len = escape_char("\xEF\xBF\xBD", 3, 0xfffd, esc, piece);
		else
			len = escape_char(p, n, cp, esc, piece);
		cost = piece_cost(piece, len, unit);
		if (used + cost > limit)
			break;
		if (used + cost + marker_cost <= limit)
			cut_len = out->len + len;
		rc = buf_append(out, piece, len);
		if (rc != WK_OK)
			return rc;
		used += cost;
		p += n == 0 ? 1 : n;
	}
	if (*p == '\0')
		return WK_OK;

	/* raw was cut: go back to the last place where the marker fits. */
	out->len = cut_len;
	if (out->data != NULL)
		out->data[out->len] = '\0';
	if (marker_cost > limit)
		return WK_OK;
	return buf_append_str(out, marker);
}

void
alert_format_time(char *out, size_t size, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	if (strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm) == 0 && size > 0)
		out[0] = '\0';
}

void
alert_format_rfc3339(char *out, size_t size, int64_t ms)
{
	clk_format_utc(out, size, ms);
}
