#include "agent/alert_text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/rc.h"
#include "core/text.h"

#define ALERT_CATALOGS_MAX 4         /* languages held at once */
#define ALERT_MO_MAX (8 << 20)       /* bytes of a catalog file */
#define ALERT_MO_MAGIC 0x950412deu   /* GNU .mo magic number */
#define ALERT_PIECE_MAX 16           /* bytes of one escaped character */

/* A GNU .mo catalog read into memory. */
struct alert_catalog {
	char lang[8];          /* language, "" for an unused slot */
	unsigned char *data;   /* owned file contents, NULL when unreadable */
	size_t size;           /* bytes of data */
	uint32_t count;        /* strings */
	uint32_t originals;    /* offset of the table of original strings */
	uint32_t translations; /* offset of the table of translations */
	int swap;              /* the file's byte order differs from ours */
};

static struct alert_catalog alert_catalogs[ALERT_CATALOGS_MAX];

static uint32_t
mo_word(const struct alert_catalog *c, size_t offset)
{
	uint32_t v;

	memcpy(&v, c->data + offset, 4);
	if (c->swap)
		v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
		    (v << 24);
	return v;
}

/*
 * Returns string i of the table at offset, or NULL when it lies outside
 * the file or is not NUL-terminated.
 */
static const char *
mo_string(const struct alert_catalog *c, uint32_t table, uint32_t i)
{
	size_t entry = (size_t)table + (size_t)i * 8;
	uint32_t len, off;

	if (entry + 8 > c->size)
		return NULL;
	len = mo_word(c, entry);
	off = mo_word(c, entry + 4);
	if ((size_t)off + len >= c->size || c->data[off + len] != '\0')
		return NULL;
	return (const char *)c->data + off;
}

/* Reads the whole file at path into c->data; leaves data NULL on error. */
static void
mo_read(struct alert_catalog *c, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size >= 28 &&
	    st.st_size <= ALERT_MO_MAX) {
		c->data = malloc((size_t)st.st_size);
		n = c->data != NULL ? read(fd, c->data, (size_t)st.st_size) : -1;
		if (n != st.st_size) {
			free(c->data);
			c->data = NULL;
		}
		c->size = (size_t)st.st_size;
	}
	close(fd);
}

static void
mo_load(struct alert_catalog *c, const char *lang)
{
	char path[PATH_MAX];
	uint32_t magic;

	snprintf(c->lang, sizeof c->lang, "%s", lang);
	snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/watchkeep.mo",
	    paths_locale_dir(), lang);
	mo_read(c, path);
	if (c->data == NULL) {
		LOG(LL_WARN, _("no message catalog for language %s at %s; "
		    "alerts to its receivers are in English"), lang, path);
		return;
	}
	memcpy(&magic, c->data, 4);
	c->swap = magic != ALERT_MO_MAGIC;
	c->count = mo_word(c, 8);
	c->originals = mo_word(c, 12);
	c->translations = mo_word(c, 16);
	if (mo_word(c, 0) != ALERT_MO_MAGIC || c->count > c->size / 16) {
		LOG(LL_WARN, _("%s is not a valid message catalog; alerts in "
		    "language %s are in English"), path, lang);
		free(c->data);
		c->data = NULL;
	}
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
	mo_load(&alert_catalogs[i], lang);
	return &alert_catalogs[i];
}

const char *
alert_tr(const char *lang, const char *msgid)
{
	const struct alert_catalog *c;
	uint32_t lo = 0, hi;

	if (lang == NULL || strcmp(lang, "en") == 0)
		return msgid;
	c = alert_catalog(lang);
	if (c == NULL || c->data == NULL)
		return msgid;

	/* msgfmt sorts the original strings, so a binary search finds one. */
	hi = c->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *orig = mo_string(c, c->originals, mid);
		int cmp;

		if (orig == NULL)
			return msgid;
		cmp = strcmp(msgid, orig);
		if (cmp == 0) {
			const char *tr = mo_string(c, c->translations, mid);

			return tr != NULL && tr[0] != '\0' ? tr : msgid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}

void
alert_text_cleanup(void)
{
	size_t i;

	for (i = 0; i < ALERT_CATALOGS_MAX; i++) {
		free(alert_catalogs[i].data);
		memset(&alert_catalogs[i], 0, sizeof alert_catalogs[i]);
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
