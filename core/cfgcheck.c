#include "core/cfgcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/text.h"
#include "core/tz.h"
#include "core/tz_names.h"
#include "core/vars.h"

#define HINT_LEN_MAX 64  /* longer words get no "did you mean" hint */
#define REF_QUOTE_MAX 48 /* bytes of a malformed reference in a message */
#define NAME_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

int
cfgcheck_fail_at(struct cfgcheck *ck, struct jsonpos_loc loc,
		 const char *fmt, ...)
{
	char msg[WK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (loc.line < 1)
		loc.line = 1;
	if (loc.column < 1)
		loc.column = 1;
	return wk_err_set(ck->err, WK_ERR_INVALID, "%s:%d:%d: %s", ck->name,
	    loc.line, loc.column, msg);
}

void
cfgcheck_warn_at(struct cfgcheck *ck, struct jsonpos_loc loc,
		 const char *fmt, ...)
{
	char msg[WK_ERR_MSG_MAX], *line = NULL;
	struct cfg *cfg = ck->cfg;
	va_list ap;
	int n;

	if (cfg == NULL)
		return;
	if (cfg->n_warnings >= CFG_WARNINGS_MAX) {
		cfg->n_warnings_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (loc.line < 1)
		loc.line = 1;
	if (loc.column < 1)
		loc.column = 1;

	/* TRANSLATORS: FILE:LINE:COLUMN: warning: MESSAGE */
	n = snprintf(NULL, 0, _("%s:%d:%d: warning: %s"), ck->name, loc.line,
	    loc.column, msg);
	if (n > 0)
		line = malloc((size_t)n + 1);
	if (line == NULL) {
		cfg->n_warnings_dropped++;
		return;
	}
	snprintf(line, (size_t)n + 1, _("%s:%d:%d: warning: %s"), ck->name,
	    loc.line, loc.column, msg);
	cfg->warnings[cfg->n_warnings++] = line;
}

int
cfgcheck_nomem(struct cfgcheck *ck)
{
	return wk_err_set(ck->err, WK_ERR_NOMEM,
	    _("%s: out of memory while loading the configuration"), ck->name);
}

struct jsonpos_loc
cfgcheck_key_at(const struct cfgcheck *ck, int node)
{
	struct jsonpos_loc none = { 1, 1 };

	if (node < 0 || (size_t)node >= ck->pos.count)
		return none;
	if (ck->pos.nodes[node].key_loc.line == 0)
		return ck->pos.nodes[node].value_loc;
	return ck->pos.nodes[node].key_loc;
}

struct jsonpos_loc
cfgcheck_value_at(const struct cfgcheck *ck, int node)
{
	struct jsonpos_loc none = { 1, 1 };

	if (node < 0 || (size_t)node >= ck->pos.count)
		return none;
	return ck->pos.nodes[node].value_loc;
}

/*
 * Returns 1 when cp prints nothing visible of its own or changes how the
 * text around it is shown, such as U+200B or the bidirectional control
 * U+202E. The ranges are the Unicode 15.0 general categories Cc, Cf, Zs
 * (but for the ASCII space), Zl, Zp and Co, the code points with the
 * property Default_Ignorable_Code_Point (DerivedCoreProperties.txt), and
 * the noncharacters. An unassigned code point counts as printing.
 */
static int
is_non_printing(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{ 0x0000, 0x001f }, { 0x007f, 0x00a0 }, { 0x00ad, 0x00ad },
		{ 0x034f, 0x034f }, { 0x061c, 0x061c }, { 0x0600, 0x0605 },
		{ 0x06dd, 0x06dd }, { 0x070f, 0x070f }, { 0x0890, 0x0891 },
		{ 0x08e2, 0x08e2 }, { 0x115f, 0x1160 }, { 0x1680, 0x1680 },
		{ 0x17b4, 0x17b5 }, { 0x180b, 0x180f }, { 0x2000, 0x200f },
		{ 0x2028, 0x202f }, { 0x205f, 0x206f }, { 0x3000, 0x3000 },
		{ 0x3164, 0x3164 }, { 0xe000, 0xf8ff }, { 0xfdd0, 0xfdef },
		{ 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 },
		{ 0xfff0, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
		{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
		{ 0xf0000, 0x10ffff },
	};
	size_t i;

	if ((cp & 0xfffe) == 0xfffe)
		return 1;
	for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	}
	return 0;
}

/*
 * Writes the character at s (len bytes, 0 for an invalid byte) into out as
 * "U+XXXX" when it does not print, else as itself. Returns the bytes
 * written, or 0 when they would not fit in room.
 */
static size_t
put_char(char *out, size_t room, const char *s, size_t len, uint32_t cp)
{
	char code[16];
	size_t n;

	if (len != 0 && !is_non_printing(cp)) {
		if (len > room)
			return 0;
		memcpy(out, s, len);
		return len;
	}

	n = (size_t)snprintf(code, sizeof code, "U+%04X",
	    len == 0 ? 0xFFFDu : (unsigned)cp);
	if (n > room)
		return 0;
	memcpy(out, code, n);
	return n;
}

struct cfgcheck_quoted
cfgcheck_quote(const char *s)
{
	struct cfgcheck_quoted out;
	size_t n = 0;

	while (*s != '\0') {
		uint32_t cp = 0;
		size_t len = text_utf8_decode((const unsigned char *)s,
		    strnlen(s, 4), &cp);
		size_t put = put_char(out.text + n, CFGCHECK_QUOTE_MAX - n, s,
		    len, cp);

		if (put == 0)
			break;
		n += put;
		s += len == 0 ? 1 : len;
	}
	if (*s != '\0') {
		memcpy(out.text + n, "...", 3);
		n += 3;
	}
	out.text[n] = '\0';
	return out;
}

const char *
cfgcheck_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return _("an object");
	case JSON_ARRAY:
		return _("an array");
	case JSON_STRING:
		return _("a string");
	case JSON_INTEGER:
	case JSON_REAL:
		return _("a number");
	case JSON_TRUE:
	case JSON_FALSE:
		return _("a boolean");
	case JSON_NULL:
		break;
	}
	return _("null");
}

static int
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Returns the edit distance between a and b, ignoring ASCII case: the
 * insertions, deletions, substitutions and swaps of two neighbours
 * (optimal string alignment) that turn one into the other. Words longer
 * than HINT_LEN_MAX bytes are SIZE_MAX apart.
 */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t rows[3][HINT_LEN_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > HINT_LEN_MAX || lb > HINT_LEN_MAX)
		return SIZE_MAX;

	for (j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (i = 1; i <= la; i++) {
		size_t *cur = rows[i % 3], *prev = rows[(i - 1) % 3];
		size_t *prev2 = rows[(i + 1) % 3];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = lower(a[i - 1]) != lower(b[j - 1]);

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
			    prev[j - 1] + cost);
			if (i < 2 || j < 2 ||
			    lower(a[i - 1]) != lower(b[j - 2]) ||
			    lower(a[i - 2]) != lower(b[j - 1]))
				continue;
			/* a[i-2..i-1] and b[j-2..j-1] are swapped neighbours */
			if (prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
	}
	return rows[la % 3][lb];
}

const char *
cfgcheck_nearest(const char *word, const char *const *names, size_t n)
{
	size_t limit = (strlen(word) + 3) / 4, best = SIZE_MAX, i;
	const char *found = NULL;

	if (limit < 1)
		limit = 1;
	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);

		if (d <= limit && d < best) {
			best = d;
			found = names[i];
		}
	}
	return found;
}

static size_t
count_names(const char *const *names)
{
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	return n;
}

int
cfgcheck_list_add(struct buf *list, const char *sep, const char *name)
{
	if (list->len + strlen(sep) + strlen(name) > CFGCHECK_LIST_MAX) {
		buf_printf(list, "%s...", sep);
		return 0;
	}
	return buf_printf(list, "%s%s", sep, name) == WK_OK;
}

void
cfgcheck_list_init(struct buf *list)
{
	buf_init(list, CFGCHECK_LIST_MAX + 16);
	buf_append(list, "", 0);
}

const char *
cfgcheck_list_text(const struct buf *list)
{
	return list->data != NULL ? list->data : "";
}

void
cfgcheck_join_names(struct buf *list, const char *const *names, size_t n)
{
	size_t i;

	cfgcheck_list_init(list);
	for (i = 0; i < n; i++) {
		if (!cfgcheck_list_add(list, i > 0 ? ", " : "", names[i]))
			break;
	}
}

/* Reports an unknown key of the object at node; where is "in a stage" etc. */
static int
unknown_key(struct cfgcheck *ck, int node, const char *key,
	    const char *const *keys, const char *where)
{
	const char *hint = cfgcheck_nearest(key, keys, count_names(keys));
	struct buf list;
	int rc;

	if (hint != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, node),
		    _("unknown key \"%s\" %s; did you mean \"%s\"?"),
		    cfgcheck_quote(key).text, where, hint);

	cfgcheck_join_names(&list, keys, count_names(keys));
	rc = cfgcheck_fail_at(ck, cfgcheck_key_at(ck, node),
	    _("unknown key \"%s\" %s; use one of: %s"),
	    cfgcheck_quote(key).text, where, cfgcheck_list_text(&list));
	buf_free(&list);
	return rc;
}

int
cfgcheck_keys(struct cfgcheck *ck, int node, const char *const *keys,
	      const char *where)
{
	int child;

	for (child = ck->pos.nodes[node].first_child; child != JSONPOS_NONE;
	     child = ck->pos.nodes[child].next_sibling) {
		const char *key = jsonpos_key(&ck->pos, child);
		size_t i;

		for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
			continue;
		if (keys[i] == NULL)
			return unknown_key(ck, child, key, keys, where);
	}
	return WK_OK;
}

struct cfgcheck_member
cfgcheck_get_member(struct cfgcheck *ck, json_t *obj, int obj_node,
		    const char *key)
{
	struct cfgcheck_member m;

	m.key = key;
	m.value = json_object_get(obj, key);
	m.node = JSONPOS_NONE;
	if (m.value != NULL) {
		m.node = jsonpos_member(&ck->pos, obj_node, key);
		if (m.node == JSONPOS_NONE)
			m.node = obj_node;
	}
	return m;
}

int
cfgcheck_missing_key(struct cfgcheck *ck, int obj_node, const char *key,
		     const char *where, const char *example)
{
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, obj_node),
	    _("missing key \"%s\" %s; add it, for example \"%s\": %s"), key,
	    where, key, example);
}

int
cfgcheck_wrong_type(struct cfgcheck *ck, const struct cfgcheck_member *m,
		    const char *expected, const char *example)
{
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
	    _("\"%s\" must be %s, not %s; for example \"%s\": %s"), m->key,
	    expected, cfgcheck_type_name(m->value), m->key, example);
}

int
cfgcheck_string(struct cfgcheck *ck, const struct cfgcheck_member *m,
		const char *example, char **out)
{
	if (m->value == NULL)
		return WK_OK;
	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m, _("a string"), example);
	if (json_string_length(m->value) == 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" must not be empty; for example \"%s\": %s"),
		    m->key, m->key, example);

	*out = strdup(json_string_value(m->value));
	if (*out == NULL)
		return cfgcheck_nomem(ck);
	return WK_OK;
}

/* Writes the character at s for a message: 'c', or U+XXXX if invisible. */
static void
show_char(char *out, size_t size, const char *s)
{
	uint32_t cp = 0;
	size_t len = text_utf8_decode((const unsigned char *)s, strnlen(s, 4),
	    &cp);

	if (len == 0 || is_non_printing(cp))
		snprintf(out, size, "U+%04X",
		    len == 0 ? 0xFFFDu : (unsigned)cp);
	else
		snprintf(out, size, "'%.*s'", (int)len, s);
}

/*
 * Returns the offset of the first character a name may not contain, or len
 * when there is none. ASCII is limited to NAME_CHARS; other characters (a
 * Japanese stage name, say) are allowed except those is_non_printing()
 * lists: controls, spaces, invisible format characters and bidirectional
 * controls, which would make the name look like another one.
 */
static size_t
check_name_chars(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			if (strchr(NAME_CHARS, p[i]) == NULL)
				return i;
			i++;
			continue;
		}
		n = text_utf8_decode(p + i, len - i, &cp);
		if (n == 0 || is_non_printing(cp))
			return i;
		i += n;
	}
	return len;
}

int
cfgcheck_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= CFG_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	return check_name_chars(name, len) == len;
}

/* Checks a pipeline or stage name, the string value at node. */
static int
check_name(struct cfgcheck *ck, int node, const char *name)
{
	size_t len = strlen(name), bad;
	char c[16];

	if (len == 0 || len >= CFG_NAME_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("\"name\" must be 1 to %d bytes long, not %zu; choose a shorter name"),
		    CFG_NAME_MAX - 1, len);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("\"name\" must not be \".\" or \"..\", because the name is used as a directory name; choose another name"));

	bad = check_name_chars(name, len);
	if (bad == len)
		return WK_OK;
	show_char(c, sizeof c, name + bad);
	return cfgcheck_fail_at(ck, jsonpos_string_loc(&ck->pos, node, bad),
	    _("\"name\" must not contain %s; use only letters, digits, '_', '.' and '-'"),
	    c);
}

int
cfgcheck_name(struct cfgcheck *ck, json_t *obj, int obj_node,
	      const char *where, const char *example, char **out)
{
	struct cfgcheck_member m;
	int rc;

	m = cfgcheck_get_member(ck, obj, obj_node, "name");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, obj_node, "name", where,
		    example);
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"), example);

	rc = check_name(ck, m.node, json_string_value(m.value));
	if (rc != WK_OK)
		return rc;
	return cfgcheck_string(ck, &m, example, out);
}

/*
 * Reports a reference to a name that the scope does not make visible;
 * shell is 1 for a command that /bin/sh -c runs.
 */
static int
unknown_variable(struct cfgcheck *ck, struct jsonpos_loc loc, const char *name,
		 const struct cfgcheck_scope *sc, int shell)
{
	const char *hint;
	size_t i;

	for (i = sc->visible; i < sc->count; i++) {
		if (strcmp(sc->names[i], name) == 0)
			return cfgcheck_fail_at(ck, loc,
			    _("${%s} is defined by this env entry or a later one; an env value may refer only to entries above it, so move %s up"),
			    name, name);
	}

	hint = cfgcheck_nearest(name, sc->names, sc->visible);
	if (hint != NULL)
		return cfgcheck_fail_at(ck, loc,
		    _("unknown variable ${%s}; did you mean ${%s}?"), name,
		    hint);
	if (shell)
		return cfgcheck_fail_at(ck, loc,
		    _("unknown variable ${%s}; define it in \"env\", or leave it to the shell: write $%s, or $${%s} to pass \"${%s}\" on to the shell"),
		    name, name, name, name);
	return cfgcheck_fail_at(ck, loc,
	    _("unknown variable ${%s}; define it in \"env\" or use a WATCHKEEP_ variable such as ${WATCHKEEP_STAGE_DIR}"),
	    name);
}

/*
 * Reports the malformed reference that starts at text[offset] (its '$'),
 * quoted up to its '}' or the end of the text, with the escape "$${" that
 * keeps a "${" as text, as a shell default such as ${X:-none} needs.
 */
static int
malformed_reference(struct cfgcheck *ck, int node, const char *text,
		    size_t offset, const char *reason)
{
	char ref[REF_QUOTE_MAX + 1];
	size_t len = strcspn(text + offset, "}");

	if (text[offset + len] == '}')
		len++;
	if (len > REF_QUOTE_MAX)
		len = REF_QUOTE_MAX;
	memcpy(ref, text + offset, len);
	ref[len] = '\0';
	/* TRANSLATORS: the second and last %s are the same reference, the
	 * last one with the escape "$" in front. */
	return cfgcheck_fail_at(ck, jsonpos_string_loc(&ck->pos, node, offset),
	    _("invalid variable reference \"%s\": %s; to pass a literal \"${\" on to the program or shell, write \"$$\" for its \"$\", as in \"$%s\""),
	    cfgcheck_quote(ref).text, _(reason), cfgcheck_quote(ref).text);
}

/* Checks the references of text; shell as for unknown_variable(). */
static int
check_refs(struct cfgcheck *ck, int node, const char *text,
	   const struct cfgcheck_scope *sc, int shell)
{
	struct vars_token tok;
	const char *reason = NULL;
	size_t pos = 0, i;

	for (;;) {
		char name[VARS_NAME_MAX];

		if (vars_next(text, &pos, &tok, &reason) != WK_OK)
			return malformed_reference(ck, node, text, tok.offset,
			    reason);
		if (tok.kind == VARS_END)
			return WK_OK;
		if (tok.kind != VARS_REF)
			continue;

		memcpy(name, tok.start, tok.len);
		name[tok.len] = '\0';
		for (i = 0; i < sc->visible && strcmp(sc->names[i], name) != 0;
		     i++)
			continue;
		if (i == sc->visible)
			return unknown_variable(ck,
			    jsonpos_string_loc(&ck->pos, node, tok.offset),
			    name, sc, shell);
	}
}

int
cfgcheck_refs(struct cfgcheck *ck, int node, const char *text,
	      const struct cfgcheck_scope *sc)
{
	return check_refs(ck, node, text, sc, 0);
}

int
cfgcheck_shell_refs(struct cfgcheck *ck, int node, const char *text,
		    const struct cfgcheck_scope *sc)
{
	return check_refs(ck, node, text, sc, 1);
}

void
cfgcheck_scope_init(struct cfgcheck_scope *sc)
{
	sc->count = 0;
	while (cfg_builtin_vars[sc->count] != NULL) {
		sc->names[sc->count] = cfg_builtin_vars[sc->count];
		sc->count++;
	}
	sc->visible = sc->count;
}

static int
is_builtin(const char *name)
{
	size_t i;

	for (i = 0; cfg_builtin_vars[i] != NULL; i++) {
		if (strcmp(cfg_builtin_vars[i], name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Tells whether the agent manages name in every stage's environment: it
 * sets NOTIFY_SOCKET, and WATCHDOG_USEC with a heartbeat (agent/sup.c),
 * and removes WATCHDOG_PID of its own environment (agent/stagectx.c). A
 * WATCHDOG_PID that names another process turns the stage's watchdog off.
 */
static int
is_agent_managed(const char *name)
{
	static const char *const managed[] = {
		"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", NULL
	};
	size_t i;

	for (i = 0; managed[i] != NULL; i++) {
		if (strcmp(managed[i], name) == 0)
			return 1;
	}
	return 0;
}

/* Checks the name and value of one env entry (member node child). */
static int
check_env_entry(struct cfgcheck *ck, int child, const char *name,
		json_t *value)
{
	if (!vars_valid_name(name, strlen(name)))
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, child),
		    _("invalid variable name \"%s\" in \"env\"; use letters, digits and '_', not starting with a digit, at most %d bytes"),
		    cfgcheck_quote(name).text, VARS_NAME_MAX - 1);
	if (is_builtin(name))
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, child),
		    _("\"%s\" is set by the agent and cannot be set in \"env\"; choose another name"),
		    name);
	if (is_agent_managed(name))
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, child),
		    _("\"%s\" is set by the agent, which passes its own notify socket and heartbeat interval to every stage, so \"env\" cannot set it; remove this entry"),
		    name);
	if (value == NULL || !json_is_string(value))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, child),
		    _("the value of \"%s\" in \"env\" must be a string, not %s; for example \"%s\": \"value\""),
		    name, value != NULL ? cfgcheck_type_name(value) : _("null"),
		    name);
	return WK_OK;
}

/*
 * Tells whether the first two entries of argv, the ones before a script,
 * start a shell with -c, as in ["sh", "-c", "SCRIPT"].
 */
static int
argv_runs_shell(char *const *argv)
{
	static const char *const shells[] = {
		"sh", "bash", "dash", "ksh", "zsh"
	};
	const char *base;
	size_t i;

	if (argv[0] == NULL || argv[1] == NULL || strcmp(argv[1], "-c") != 0)
		return 0;

	base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	for (i = 0; i < sizeof shells / sizeof shells[0]; i++) {
		if (strcmp(base, shells[i]) == 0)
			return 1;
	}
	return 0;
}

/* Copies the entries of the env object m into env; their names join sc. */
static int
copy_env(struct cfgcheck *ck, const struct cfgcheck_member *m,
	 struct cfgcheck_scope *sc, struct cfg_env *env)
{
	size_t size = json_object_size(m->value);
	int child, rc;

	env->vars = calloc(size + 1, sizeof *env->vars);
	if (env->vars == NULL)
		return cfgcheck_nomem(ck);

	for (child = ck->pos.nodes[m->node].first_child;
	     child != JSONPOS_NONE && env->count < size;
	     child = ck->pos.nodes[child].next_sibling) {
		const char *name = jsonpos_key(&ck->pos, child);
		json_t *value = json_object_get(m->value, name);
		struct cfg_env_var *var = &env->vars[env->count];

		rc = check_env_entry(ck, child, name, value);
		if (rc != WK_OK)
			return rc;
		var->name = strdup(name);
		var->value = strdup(json_string_value(value));
		env->count++;
		if (var->name == NULL || var->value == NULL)
			return cfgcheck_nomem(ck);
		sc->names[sc->count++] = var->name;
	}
	return WK_OK;
}

int
cfgcheck_env(struct cfgcheck *ck, const struct cfgcheck_member *m,
	     struct cfgcheck_scope *sc, struct cfg_env *env)
{
	size_t base = sc->count, i;
	int rc;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_object(m->value))
		return cfgcheck_wrong_type(ck, m, _("an object"),
		    "{\"EVENTS\": \"${WATCHKEEP_DATA_DIR}/events.csv\"}");
	if (json_object_size(m->value) > CFG_MAX_ENV)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"env\" has %zu entries; the maximum is %d, so remove some"),
		    json_object_size(m->value), CFG_MAX_ENV);

	rc = copy_env(ck, m, sc, env);
	for (i = 0; rc == WK_OK && i < env->count; i++) {
		int child = jsonpos_member(&ck->pos, m->node,
		    env->vars[i].name);

		sc->visible = base + i;
		rc = cfgcheck_refs(ck, child, env->vars[i].value, sc);
	}
	sc->visible = sc->count;
	return rc;
}

int
cfgcheck_time_zone(struct cfgcheck *ck, int node, const char *key,
		   const char *name)
{
	struct wk_err err = { 0, "" };
	struct tz_names zones;
	struct tz *tz = NULL;
	const char *hint = NULL;
	int rc;

	if (tz_load(name, &tz, &err) == WK_OK) {
		tz_free(tz);
		return WK_OK;
	}
	if (err.rc != WK_ERR_NOTFOUND)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("invalid \"%s\": %s"), key, err.msg);

	if (tz_names_load(&zones) == WK_OK)
		hint = cfgcheck_nearest(name,
		    (const char *const *)zones.names, zones.count);
	if (hint != NULL)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("invalid \"%s\": unknown time zone \"%s\"; did you mean \"%s\"?"),
		    key, cfgcheck_quote(name).text, hint);
	else
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("invalid \"%s\": %s"), key, err.msg);
	tz_names_free(&zones);
	return rc;
}

int
cfgcheck_duration(struct cfgcheck *ck, const struct cfgcheck_member *m,
		  int64_t *ms)
{
	const char *text, *reason = NULL;
	char whole[CLK_WHOLE_LEN];
	size_t bad = 0;
	int64_t value;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m, _("a string"), "\"30m\"");
	text = json_string_value(m->value);
	if (strcmp(text, "0") == 0) {
		*ms = 0;
		return WK_OK;
	}

	if (clk_parse_duration(text, &value, &bad, &reason) != WK_OK &&
	    clk_whole_duration(text, whole, sizeof whole) == WK_OK)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, m->node, bad),
		    _("invalid duration \"%s\" for \"%s\": fractions are not accepted; write \"%s\" for the same duration"),
		    cfgcheck_quote(text).text, m->key, whole);
	if (reason != NULL)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, m->node, bad),
		    _("invalid duration \"%s\" for \"%s\": %s; write a number and a unit, such as \"90s\" or \"1h30m\", or \"0\" for none"),
		    cfgcheck_quote(text).text, m->key, _(reason));
	if (value > CFG_DURATION_MAX_MS)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" is %s, longer than the maximum of 365d; use a shorter duration, or \"0\" for none"),
		    m->key, cfgcheck_quote(text).text);
	*ms = value;
	return WK_OK;
}

int
cfgcheck_string_array(struct cfgcheck *ck, const struct cfgcheck_member *m,
		      const char *example, const struct cfgcheck_scope *sc,
		      char ***out, size_t *n)
{
	size_t count, i;
	int child, rc = WK_OK;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array of strings"),
		    example);
	count = json_array_size(m->value);
	*out = calloc(count + 1, sizeof **out);
	if (*out == NULL)
		return cfgcheck_nomem(ck);

	child = ck->pos.nodes[m->node].first_child;
	for (i = 0; i < count; i++) {
		json_t *item = json_array_get(m->value, i);
		int at = child != JSONPOS_NONE ? child : m->node;

		if (!json_is_string(item))
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, at),
			    _("entries of \"%s\" must be strings, not %s; for example \"%s\": %s"),
			    m->key, cfgcheck_type_name(item), m->key, example);
		if (sc != NULL && i == 2 && argv_runs_shell(*out))
			rc = cfgcheck_shell_refs(ck, at, json_string_value(item),
			    sc);
		else if (sc != NULL)
			rc = cfgcheck_refs(ck, at, json_string_value(item), sc);
		if (rc != WK_OK)
			return rc;
		(*out)[i] = strdup(json_string_value(item));
		if ((*out)[i] == NULL)
			return cfgcheck_nomem(ck);
		*n = i + 1;
		if (child != JSONPOS_NONE)
			child = ck->pos.nodes[child].next_sibling;
	}
	return WK_OK;
}

int
cfgcheck_bool(struct cfgcheck *ck, const struct cfgcheck_member *m, int *out)
{
	if (m->value == NULL)
		return WK_OK;
	if (!json_is_boolean(m->value))
		return cfgcheck_wrong_type(ck, m, _("true or false"), "true");
	*out = json_is_true(m->value);
	return WK_OK;
}

int
cfgcheck_int(struct cfgcheck *ck, const struct cfgcheck_member *m,
	     int64_t min, int64_t max, const char *example, int64_t *out)
{
	json_int_t v;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_integer(m->value))
		return cfgcheck_wrong_type(ck, m, _("an integer"), example);
	v = json_integer_value(m->value);
	if (v < min || v > max)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" is %lld; give an integer from %lld to %lld"),
		    m->key, (long long)v, (long long)min, (long long)max);
	*out = (int64_t)v;
	return WK_OK;
}

int
cfgcheck_choice(struct cfgcheck *ck, const struct cfgcheck_member *m,
		const char *const *names, int *index)
{
	const char *text, *near;
	struct buf list;
	size_t n;
	int rc;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m, _("a string"), "\"...\"");
	text = json_string_value(m->value);
	for (n = 0; names[n] != NULL; n++) {
		if (strcmp(text, names[n]) == 0) {
			*index = (int)n;
			return WK_OK;
		}
	}

	near = cfgcheck_nearest(text, names, n);
	cfgcheck_join_names(&list, names, n);
	if (near != NULL)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("invalid value \"%s\" for \"%s\"; did you mean \"%s\"? (one of %s)"),
		    cfgcheck_quote(text).text, m->key, near,
		    cfgcheck_list_text(&list));
	else
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("invalid value \"%s\" for \"%s\"; use one of %s"),
		    cfgcheck_quote(text).text, m->key,
		    cfgcheck_list_text(&list));
	buf_free(&list);
	return rc;
}
