#include "core/vars.h"

#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"

void
vars_init(struct vars *v, size_t max)
{
	v->entries = NULL;
	v->count = 0;
	v->cap = 0;
	v->max = max;
}

void
vars_free(struct vars *v)
{
	size_t i;

	for (i = 0; i < v->count; i++) {
		free(v->entries[i].name);
		free(v->entries[i].value);
	}
	free(v->entries);
	vars_init(v, v->max);
}

static int
is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

int
vars_valid_name(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len >= VARS_NAME_MAX || !is_name_start(name[0]))
		return 0;

	for (i = 1; i < len; i++) {
		if (!is_name_char(name[i]))
			return 0;
	}
	return 1;
}

/* Returns the entry of name[0..len-1], or NULL. */
static struct vars_entry *
find_entry(const struct vars *v, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < v->count; i++) {
		if (strncmp(v->entries[i].name, name, len) == 0 &&
		    v->entries[i].name[len] == '\0')
			return &v->entries[i];
	}
	return NULL;
}

/* Appends a new entry for name with no value yet. */
static struct vars_entry *
add_entry(struct vars *v, const char *name)
{
	struct vars_entry *e;

	if (v->count == v->cap) {
		size_t cap = v->cap == 0 ? 16 : v->cap * 2;
		struct vars_entry *entries;

		if (cap > v->max)
			cap = v->max;
		entries = realloc(v->entries, cap * sizeof *entries);
		if (entries == NULL)
			return NULL;
		v->entries = entries;
		v->cap = cap;
	}

	e = &v->entries[v->count];
	e->name = strdup(name);
	e->value = NULL;
	if (e->name == NULL)
		return NULL;
	v->count++;
	return e;
}

int
vars_set(struct vars *v, const char *name, const char *value)
{
	struct vars_entry *e;
	char *copy;

	if (!vars_valid_name(name, strlen(name)))
		return WK_ERR_INVALID;
	if (strlen(value) >= VARS_VALUE_MAX)
		return WK_ERR_LIMIT;
	e = find_entry(v, name, strlen(name));
	if (e == NULL && v->count >= v->max)
		return WK_ERR_LIMIT;

	copy = strdup(value);
	if (copy == NULL)
		return WK_ERR_NOMEM;
	if (e == NULL)
		e = add_entry(v, name);
	if (e == NULL) {
		free(copy);
		return WK_ERR_NOMEM;
	}
	free(e->value);
	e->value = copy;
	return WK_OK;
}

const char *
vars_get(const struct vars *v, const char *name)
{
	const struct vars_entry *e = find_entry(v, name, strlen(name));

	return e == NULL ? NULL : e->value;
}

/* Reads the ${NAME} reference whose '$' is at text[at]. */
static int
read_ref(const char *text, size_t at, struct vars_token *tok,
	 const char **reason)
{
	const char *name = text + at + 2;
	size_t len = 0;

	tok->kind = VARS_REF;
	tok->start = name;
	tok->offset = at;
	while (is_name_char(name[len]))
		len++;
	tok->len = len;

	if (name[len] == '$' && name[len + 1] == '{')
		*reason = N_("a reference inside a reference; "
		    "use ${NAME} alone");
	else if (name[len] == '\0')
		*reason = N_("unterminated reference: missing '}'");
	else if (name[len] != '}')
		*reason = N_("invalid character in a variable name; "
		    "use A-Z, a-z, 0-9 and _");
	else if (len == 0)
		*reason = N_("empty variable name");
	else if (!is_name_start(name[0]))
		*reason = N_("a variable name starts with a letter or '_'");
	else if (len >= VARS_NAME_MAX)
		*reason = N_("variable name too long");
	else
		return WK_OK;
	return WK_ERR_INVALID;
}

int
vars_next(const char *text, size_t *pos, struct vars_token *tok,
	  const char **reason)
{
	size_t at = *pos;
	int rc;

	tok->offset = at;
	tok->start = text + at;
	tok->len = 0;
	tok->kind = text[at] == '\0' ? VARS_END : VARS_TEXT;
	if (text[at] == '\0')
		return WK_OK;

	if (text[at] != '$') {
		tok->len = strcspn(text + at, "$");
		*pos = at + tok->len;
		return WK_OK;
	}
	if (text[at + 1] == '$') {
		tok->start = text + at + 1;
		tok->len = 1;
		*pos = at + 2;
		return WK_OK;
	}
	if (text[at + 1] != '{') {
		/* "$HOME" or "$1" is left for the shell of a shell command. */
		tok->len = 1;
		*pos = at + 1;
		return WK_OK;
	}

	rc = read_ref(text, at, tok, reason);
	if (rc == WK_OK)
		*pos = at + 2 + tok->len + 1;
	return rc;
}

/* Appends the value of the reference tok; err names the text on failure. */
static int
append_ref(const struct vars *v, const char *text,
	   const struct vars_token *tok, struct buf *out, struct wk_err *err)
{
	const struct vars_entry *e = find_entry(v, tok->start, tok->len);
	int rc;

	if (e == NULL)
		return wk_err_set(err, WK_ERR_NOTFOUND,
		    _("\"%s\", byte %zu: unknown variable ${%.*s}; define it in env"),
		    text, tok->offset, (int)tok->len, tok->start);

	rc = buf_append_str(out, e->value);
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc,
		    _("\"%s\": the expansion of ${%.*s} makes the text longer than %zu bytes; shorten the value"),
		    text, (int)tok->len, tok->start, out->max);
	return rc;
}

int
vars_expand(const struct vars *v, const char *text, struct buf *out,
	    struct wk_err *err)
{
	size_t start = out->len, pos = 0;
	struct vars_token tok;
	const char *reason = NULL;
	int rc;

	do {
		rc = vars_next(text, &pos, &tok, &reason);
		if (rc != WK_OK) {
			wk_err_set(err, rc, _("\"%s\", byte %zu: %s"), text,
			    tok.offset, _(reason));
		} else if (tok.kind == VARS_TEXT) {
			rc = buf_append(out, tok.start, tok.len);
			if (rc == WK_ERR_LIMIT)
				wk_err_set(err, rc,
				    _("\"%s\": the text is longer than %zu bytes after expansion; shorten it"),
				    text, out->max);
		} else if (tok.kind == VARS_REF) {
			rc = append_ref(v, text, &tok, out, err);
		}
	} while (rc == WK_OK && tok.kind != VARS_END);

	if (rc != WK_OK && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}
