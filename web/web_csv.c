/*
 * CSV export (RFC 4180) of a model's table: one row per object of an
 * array, one column per member name in order of first appearance. Nested
 * objects and arrays become compact JSON in one cell. A text cell that a
 * spreadsheet would read as a formula (=, +, -, @ first) gets a leading
 * apostrophe, because log lines and names come from outside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "web/web_int.h"

#define CSV_COLUMNS_MAX 64

static void
csv_text(struct buf *b, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	const char *p;

	if (quote)
		buf_append_str(b, "\"");
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		buf_append_str(b, "'");
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			buf_append_str(b, "\"\"");
		else
			buf_append(b, p, 1);
	}
	if (quote)
		buf_append_str(b, "\"");
}

static void
csv_cell(struct buf *b, const json_t *v)
{
	char *text;

	if (v == NULL || json_is_null(v))
		return;
	if (json_is_string(v)) {
		csv_text(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		buf_printf(b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		buf_printf(b, "%.15g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		buf_append_str(b, json_is_true(v) ? "true" : "false");
	} else {
		text = json_dumps(v, JSON_COMPACT);
		csv_text(b, text != NULL ? text : "");
		free(text);
	}
}

/* Collects the member names of the rows, in order of first appearance. */
static size_t
csv_columns(const json_t *rows, const char **cols)
{
	const json_t *row, *v;
	const char *key;
	size_t n = 0, i, k;

	json_array_foreach(rows, i, row) {
		json_object_foreach((json_t *)row, key, v) {
			for (k = 0; k < n && strcmp(cols[k], key) != 0; k++)
				;
			if (k == n && n < CSV_COLUMNS_MAX)
				cols[n++] = key;
		}
	}
	return n;
}

/* Returns member key of model, or of its member before the dot in key. */
static const json_t *
csv_rows(const json_t *model, const char *key)
{
	const char *dot = strchr(key, '.');
	char outer[64];

	if (dot == NULL || (size_t)(dot - key) >= sizeof outer)
		return json_object_get(model, key);
	memcpy(outer, key, (size_t)(dot - key));
	outer[dot - key] = '\0';
	return json_object_get(json_object_get(model, outer), dot + 1);
}

int
web_csv(struct web_req *r, const json_t *model, const char *key)
{
	const json_t *rows = csv_rows(model, key), *row;
	const char *cols[CSV_COLUMNS_MAX];
	size_t n = csv_columns(rows, cols), i, k;

	for (k = 0; k < n; k++) {
		if (k > 0)
			buf_append_str(&r->body, ",");
		csv_text(&r->body, cols[k]);
	}
	buf_append_str(&r->body, "\r\n");
	json_array_foreach(rows, i, row) {
		for (k = 0; k < n; k++) {
			if (k > 0)
				buf_append_str(&r->body, ",");
			csv_cell(&r->body, json_object_get(row, cols[k]));
		}
		if (buf_append_str(&r->body, "\r\n") != WK_OK)
			return WK_ERR_LIMIT;
	}
	return WK_OK;
}
