#include "core/jsonpos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/rc.h"
#include "core/text.h"

/* The scanner's cursor over the text. */
struct scanner {
	struct jsonpos *jp;       /* tree being built */
	size_t p;                 /* byte offset of the next character */
	struct jsonpos_loc loc;   /* place of the character at p */
	int depth;                /* open arrays and objects */
	struct jsonpos_error *e;  /* filled on failure */
};

static int scan_value(struct scanner *s, int node);

static int
is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Returns the character at the cursor, or -1 at the end of the text. */
static int
peek(const struct scanner *s)
{
	if (s->p >= s->jp->len)
		return -1;
	return (unsigned char)s->jp->text[s->p];
}

/* Moves past one byte, counting lines and characters. */
static void
advance(struct scanner *s)
{
	const char *text = s->jp->text;
	unsigned char c = (unsigned char)text[s->p];

	s->p++;
	if (c == '\n') {
		s->loc.line++;
		s->loc.column = 1;
	} else if (s->p >= s->jp->len ||
		   !is_continuation((unsigned char)text[s->p])) {
		s->loc.column++;
	}
}

static void
skip_space(struct scanner *s)
{
	int c = peek(s);

	while (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
		advance(s);
		c = peek(s);
	}
}

static int
fail(struct scanner *s, int rc, const char *reason)
{
	s->e->loc = s->loc;
	s->e->reason = reason;
	return rc;
}

/* Appends code point cp to out as UTF-8. */
static int
append_utf8(struct buf *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_append(out, b, n);
}

/* Reads four hex digits at text; returns the value or -1. */
static long
read_hex4(const char *text, size_t avail)
{
	long value = 0;
	size_t i;

	if (avail < 4)
		return -1;

	for (i = 0; i < 4; i++) {
		char c = text[i];
		int digit;

		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

/*
 * Decodes the escape sequence at text (starting with the backslash) and
 * returns the source bytes it takes (2, 6 or 12), or 0 when it is invalid.
 * *cp receives the code point.
 */
static size_t
decode_escape(const char *text, size_t avail, uint32_t *cp)
{
	static const char plain[] = "\"\\/bfnrt";
	static const char value[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	long high, low;

	if (avail < 2 || text[1] == '\0')
		return 0;
	hit = strchr(plain, text[1]);
	if (hit != NULL) {
		*cp = (unsigned char)value[hit - plain];
		return 2;
	}
	if (text[1] != 'u')
		return 0;

	high = read_hex4(text + 2, avail - 2);
	if (high < 0 || (high >= 0xDC00 && high <= 0xDFFF))
		return 0;
	*cp = (uint32_t)high;
	if (high < 0xD800 || high > 0xDBFF)
		return 6;

	if (avail < 12 || text[6] != '\\' || text[7] != 'u')
		return 0;
	low = read_hex4(text + 8, avail - 8);
	if (low < 0xDC00 || low > 0xDFFF)
		return 0;
	*cp = 0x10000 + (((uint32_t)high - 0xD800) << 10) +
	    ((uint32_t)low - 0xDC00);
	return 12;
}

/*
 * Moves past the string at the cursor (on its opening quote). When out is
 * not NULL, appends the decoded string to it, followed by a NUL.
 */
static int
scan_string(struct scanner *s, struct buf *out)
{
	const char *text = s->jp->text;
	int c;

	advance(s);
	for (c = peek(s); c != '"'; c = peek(s)) {
		uint32_t cp;
		size_t n, i;

		if (c < 0)
			return fail(s, WK_ERR_INVALID,
			    N_("unterminated string"));
		if (c < 0x20)
			return fail(s, WK_ERR_INVALID,
			    N_("control character in a string"));
		if (c != '\\') {
			if (out != NULL &&
			    buf_append(out, text + s->p, 1) != WK_OK)
				return WK_ERR_NOMEM;
			advance(s);
			continue;
		}

		n = decode_escape(text + s->p, s->jp->len - s->p, &cp);
		if (n == 0)
			return fail(s, WK_ERR_INVALID,
			    N_("invalid escape sequence"));
		if (out != NULL && append_utf8(out, cp) != WK_OK)
			return WK_ERR_NOMEM;
		for (i = 0; i < n; i++)
			advance(s);
	}
	advance(s);
	if (out != NULL && buf_append(out, "", 1) != WK_OK)
		return WK_ERR_NOMEM;
	return WK_OK;
}

static int
is_word_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '+' || c == '-' || c == '.';
}

/* Moves past a number or a literal (true, false, null). */
static int
scan_word(struct scanner *s)
{
	size_t start = s->p;

	while (is_word_char(peek(s)))
		advance(s);
	if (s->p == start)
		return fail(s, WK_ERR_INVALID, N_("expected a value"));
	return WK_OK;
}

/* Adds a node as the child of parent after last; returns its index. */
static int
add_node(struct scanner *s, int parent, int last, int32_t key,
	 struct jsonpos_loc key_loc)
{
	struct jsonpos *jp = s->jp;
	struct jsonpos_node *node;

	if (jp->count == jp->cap) {
		size_t cap = jp->cap == 0 ? 64 : jp->cap * 2;
		struct jsonpos_node *nodes;

		nodes = realloc(jp->nodes, cap * sizeof *nodes);
		if (nodes == NULL)
			return WK_ERR_NOMEM;
		jp->nodes = nodes;
		jp->cap = cap;
	}

	node = &jp->nodes[jp->count];
	memset(node, 0, sizeof *node);
	node->parent = parent;
	node->first_child = JSONPOS_NONE;
	node->next_sibling = JSONPOS_NONE;
	node->key = key;
	node->key_loc = key_loc;
	if (last != JSONPOS_NONE) {
		jp->nodes[last].next_sibling = (int32_t)jp->count;
		node->index = jp->nodes[last].index + 1;
	} else if (parent != JSONPOS_NONE) {
		jp->nodes[parent].first_child = (int32_t)jp->count;
	}
	return (int)jp->count++;
}

/* Reads the ',' or the closing bracket after a member or element. */
static int
scan_separator(struct scanner *s, int close, int *done)
{
	int c;

	skip_space(s);
	c = peek(s);
	if (c == close) {
		advance(s);
		*done = 1;
		return WK_OK;
	}
	if (c != ',')
		return fail(s, WK_ERR_INVALID, close == '}' ?
		    N_("expected ',' or '}'") : N_("expected ',' or ']'"));
	advance(s);
	*done = 0;
	return WK_OK;
}

/* Reads one "key": value member of the object node. */
static int
scan_member(struct scanner *s, int node, int *last)
{
	struct jsonpos_loc key_loc;
	int32_t key;
	int child, rc;

	skip_space(s);
	if (peek(s) != '"')
		return fail(s, WK_ERR_INVALID, N_("expected a key string"));
	key_loc = s->loc;
	key = (int32_t)s->jp->keys.len;
	rc = scan_string(s, &s->jp->keys);
	if (rc != WK_OK)
		return rc;

	skip_space(s);
	if (peek(s) != ':')
		return fail(s, WK_ERR_INVALID, N_("expected ':'"));
	advance(s);
	child = add_node(s, node, *last, key, key_loc);
	if (child < 0)
		return child;
	*last = child;
	return scan_value(s, child);
}

static int
scan_object(struct scanner *s, int node)
{
	int last = JSONPOS_NONE, done = 0, rc;

	advance(s);
	skip_space(s);
	if (peek(s) == '}') {
		advance(s);
		return WK_OK;
	}
	while (!done) {
		rc = scan_member(s, node, &last);
		if (rc == WK_OK)
			rc = scan_separator(s, '}', &done);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

static int
scan_array(struct scanner *s, int node)
{
	struct jsonpos_loc none = { 0, 0 };
	int last = JSONPOS_NONE, done = 0, rc;

	advance(s);
	skip_space(s);
	if (peek(s) == ']') {
		advance(s);
		return WK_OK;
	}
	while (!done) {
		int child = add_node(s, node, last, JSONPOS_NONE, none);

		if (child < 0)
			return child;
		last = child;
		rc = scan_value(s, child);
		if (rc == WK_OK)
			rc = scan_separator(s, ']', &done);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

/* Reads the value of node, which add_node() created. */
static int
scan_value(struct scanner *s, int node)
{
	int c, rc;

	skip_space(s);
	c = peek(s);
	s->jp->nodes[node].value_loc = s->loc;
	s->jp->nodes[node].value_start = (uint32_t)s->p;
	s->jp->nodes[node].type = (char)(c == '{' || c == '[' || c == '"' ||
	    c == 't' || c == 'f' || c == 'n' ? c : 0);

	if (c == '{' || c == '[') {
		if (++s->depth > JSONPOS_DEPTH_MAX)
			return fail(s, WK_ERR_LIMIT, N_("nesting too deep"));
		rc = c == '{' ? scan_object(s, node) : scan_array(s, node);
		s->depth--;
	} else if (c == '"') {
		rc = scan_string(s, NULL);
	} else {
		rc = scan_word(s);
	}

	s->jp->nodes[node].value_end = (uint32_t)s->p;
	return rc;
}

int
jsonpos_scan(struct jsonpos *jp, const char *text, size_t len,
	     struct jsonpos_error *e)
{
	struct jsonpos_loc none = { 0, 0 };
	struct scanner s = { jp, 0, { 1, 1 }, 0, e };
	int root, rc;

	memset(jp, 0, sizeof *jp);
	jp->text = text;
	jp->len = len;
	buf_init(&jp->keys, len + 1);
	if (len > INT32_MAX)
		return fail(&s, WK_ERR_LIMIT, N_("text too large"));

	root = add_node(&s, JSONPOS_NONE, JSONPOS_NONE, JSONPOS_NONE, none);
	rc = root < 0 ? root : scan_value(&s, root);
	if (rc == WK_OK) {
		skip_space(&s);
		if (s.p < len)
			rc = fail(&s, WK_ERR_INVALID,
			    N_("text after the value"));
	}
	if (rc != WK_OK)
		jsonpos_free(jp);
	return rc;
}

void
jsonpos_free(struct jsonpos *jp)
{
	free(jp->nodes);
	jp->nodes = NULL;
	jp->count = 0;
	jp->cap = 0;
	buf_free(&jp->keys);
}

static int
valid_node(const struct jsonpos *jp, int node)
{
	return node >= 0 && (size_t)node < jp->count;
}

const char *
jsonpos_key(const struct jsonpos *jp, int node)
{
	if (!valid_node(jp, node) || jp->nodes[node].key == JSONPOS_NONE)
		return NULL;
	return jp->keys.data + jp->nodes[node].key;
}

int
jsonpos_member(const struct jsonpos *jp, int node, const char *key)
{
	int child;

	if (!valid_node(jp, node) || jp->nodes[node].type != '{')
		return JSONPOS_NONE;

	for (child = jp->nodes[node].first_child; child != JSONPOS_NONE;
	     child = jp->nodes[child].next_sibling) {
		if (strcmp(jsonpos_key(jp, child), key) == 0)
			return child;
	}
	return JSONPOS_NONE;
}

int
jsonpos_element(const struct jsonpos *jp, int node, size_t i)
{
	int child;

	if (!valid_node(jp, node) || jp->nodes[node].type != '[')
		return JSONPOS_NONE;

	for (child = jp->nodes[node].first_child; child != JSONPOS_NONE;
	     child = jp->nodes[child].next_sibling) {
		if (jp->nodes[child].index == i)
			return child;
	}
	return JSONPOS_NONE;
}

/*
 * Reads one reference token of a JSON pointer (from just after its '/')
 * into out, unescaping "~0" and "~1". Returns the bytes read or -1.
 */
static long
read_token(const char *pointer, struct buf *out)
{
	const char *p = pointer;

	buf_reset(out);
	for (; *p != '\0' && *p != '/'; p++) {
		char c = *p;

		if (c == '~') {
			if (p[1] != '0' && p[1] != '1')
				return -1;
			c = p[1] == '0' ? '~' : '/';
			p++;
		}
		if (buf_append(out, &c, 1) != WK_OK)
			return -1;
	}
	if (buf_append(out, "", 0) != WK_OK)
		return -1;
	return p - pointer;
}

/* Returns the child of node that a decoded reference token names. */
static int
find_child(const struct jsonpos *jp, int node, const char *token)
{
	char *end;
	unsigned long i;

	if (jp->nodes[node].type == '{')
		return jsonpos_member(jp, node, token);
	if (token[0] < '0' || token[0] > '9' ||
	    (token[0] == '0' && token[1] != '\0'))
		return JSONPOS_NONE;
	i = strtoul(token, &end, 10);
	if (*end != '\0')
		return JSONPOS_NONE;
	return jsonpos_element(jp, node, i);
}

int
jsonpos_find(const struct jsonpos *jp, const char *pointer)
{
	struct buf token;
	int node = 0;

	if (jp->count == 0)
		return JSONPOS_NONE;

	buf_init(&token, strlen(pointer));
	while (*pointer == '/' && node != JSONPOS_NONE) {
		long n = read_token(pointer + 1, &token);

		if (n < 0) {
			node = JSONPOS_NONE;
			break;
		}
		node = find_child(jp, node, token.data);
		pointer += 1 + n;
	}
	if (*pointer != '\0')
		node = JSONPOS_NONE;
	buf_free(&token);
	return node;
}

/* Appends one reference token, escaped. */
static int
append_token(struct buf *out, const char *key)
{
	int rc = buf_append(out, "/", 1);

	for (; rc == WK_OK && *key != '\0'; key++) {
		if (*key == '~')
			rc = buf_append(out, "~0", 2);
		else if (*key == '/')
			rc = buf_append(out, "~1", 2);
		else
			rc = buf_append(out, key, 1);
	}
	return rc;
}

int
jsonpos_pointer(const struct jsonpos *jp, int node, struct buf *out)
{
	int path[JSONPOS_DEPTH_MAX + 1];
	int depth = 0, rc = WK_OK;

	if (!valid_node(jp, node))
		return WK_ERR_NOTFOUND;

	while (jp->nodes[node].parent != JSONPOS_NONE &&
	       depth <= JSONPOS_DEPTH_MAX) {
		path[depth++] = node;
		node = jp->nodes[node].parent;
	}
	if (buf_append(out, "", 0) != WK_OK)
		return WK_ERR_NOMEM;

	while (rc == WK_OK && depth > 0) {
		const struct jsonpos_node *n = &jp->nodes[path[--depth]];

		if (n->key != JSONPOS_NONE)
			rc = append_token(out, jp->keys.data + n->key);
		else
			rc = buf_printf(out, "/%u", (unsigned)n->index);
	}
	return rc;
}

/* Returns the bytes that code point cp takes in UTF-8. */
static size_t
utf8_bytes(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	return cp < 0x10000 ? 3 : 4;
}

struct jsonpos_loc
jsonpos_string_loc(const struct jsonpos *jp, int node, size_t offset)
{
	const struct jsonpos_node *n;
	struct jsonpos_loc loc = { 0, 0 };
	size_t p, end, decoded = 0;

	if (!valid_node(jp, node))
		return loc;
	n = &jp->nodes[node];
	loc = n->value_loc;
	if (n->type != '"')
		return loc;

	p = n->value_start + 1;
	end = n->value_end - 1;
	loc.column++;
	while (p < end) {
		uint32_t cp;
		size_t source = text_utf8_decode(
		    (const unsigned char *)jp->text + p, end - p, &cp);
		size_t bytes, columns = 1;

		if (source == 0)
			source = 1;
		bytes = source;
		if (jp->text[p] == '\\') {
			source = decode_escape(jp->text + p, end - p, &cp);
			if (source == 0)
				break;
			bytes = utf8_bytes(cp);
			columns = source;
		}
		if (offset < decoded + bytes)
			break;
		decoded += bytes;
		p += source;
		loc.column += (int)columns;
	}
	return loc;
}

struct jsonpos_loc
jsonpos_offset_loc(const char *text, size_t len, size_t offset)
{
	struct jsonpos_loc loc = { 1, 1 };
	size_t p;

	if (offset > len)
		offset = len;
	for (p = 0; p < offset; p++) {
		if (text[p] == '\n') {
			loc.line++;
			loc.column = 1;
		} else if (!is_continuation((unsigned char)text[p])) {
			loc.column++;
		}
	}
	if (offset < len && is_continuation((unsigned char)text[offset]) &&
	    loc.column > 1)
		loc.column--;
	return loc;
}

int
jsonpos_check_utf8(const char *text, size_t len, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t p = 0;

	while (p < len) {
		uint32_t cp;
		size_t n = text_utf8_decode(u + p, len - p, &cp);

		if (n == 0) {
			*bad = p;
			return WK_ERR_INVALID;
		}
		p += n;
	}
	return WK_OK;
}
