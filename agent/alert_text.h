/*
 * Text of alert messages: translation per receiver, escaping for each
 * chat platform's markup, and truncation that never splits a UTF-8
 * character or an escape sequence and ends with a marker.
 *
 * Translation: every receiver has a language, and one agent may send the
 * same alert in English to one receiver and in Japanese to another. The
 * process-wide gettext state (LANGUAGE, the current locale) is left alone;
 * instead alert_tr() looks the message up in the receiver's catalog,
 * LOCALE_DIR/LANG/LC_MESSAGES/watchkeep.mo, read once into memory. The
 * messages are marked with N_() so that xgettext collects them with the
 * others.
 */
#ifndef WK_ALERT_TEXT_H
#define WK_ALERT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* How untrusted text is escaped for a platform's markup. */
enum alert_esc {
	ALERT_ESC_NONE,    /* plain text fields */
	ALERT_ESC_SLACK,   /* mrkdwn: & < > as HTML entities */
	ALERT_ESC_HTML,    /* HTML: & < > " ' as entities, \n as <br> */
	ALERT_ESC_MD,      /* Markdown: backslash before markup characters */
	ALERT_ESC_CODE     /* inside a ``` block: ` followed by U+200B */
};

/* What a platform's limit counts. */
enum alert_unit {
	ALERT_UNIT_CHARS,  /* UTF-16 code units of the text, as JavaScript */
	ALERT_UNIT_BYTES   /* bytes of the text once encoded as a JSON string */
};

/*
 * Returns the translation of msgid for language lang ("en", "ja"), or
 * msgid itself when lang is "en" or the catalog lacks it.
 */
const char *alert_tr(const char *lang, const char *msgid)
	__attribute__((format_arg(2)));

/* Counts the UTF-16 code units of s (a character past U+FFFF is 2). */
size_t alert_text_units(const char *s);

/* Counts what s costs in unit, without escaping. */
size_t alert_text_cost(const char *s, enum alert_unit unit);

/*
 * Appends raw to out, escaped by esc, so that the appended text costs at
 * most limit (in unit). When raw does not fit, as much of it as fits with
 * marker after it is appended; characters and escape sequences are never
 * split. Returns WK_OK, or the error of buf_append().
 */
int alert_fit(struct buf *out, const char *raw, size_t limit,
	      enum alert_esc esc, enum alert_unit unit, const char *marker);

/* Writes ms since epoch as "2026-12-04 20:36 UTC". */
void alert_format_time(char *out, size_t size, int64_t ms);

/* Writes ms since epoch as RFC 3339, "2026-12-04T20:36:36.123Z". */
void alert_format_rfc3339(char *out, size_t size, int64_t ms);

/* Frees the catalogs read so far (for leak checkers). */
void alert_text_cleanup(void);

#endif
