/*
 * Source positions of the keys and values of a JSON text.
 *
 * jansson reports line and column only for syntax errors. This scanner
 * walks a text that jansson has already accepted and records, for every
 * member key and every value, where it starts, as a tree that mirrors the
 * document: a node is addressed by its JSON pointer (RFC 6901), or found
 * from its parent by key or by array index.
 *
 * Lines and columns are 1-based. Only '\n' ends a line (a '\r' before it
 * counts as a character of the line it ends). Columns count characters,
 * that is UTF-8 code points, so a tab is one column. This is how jansson
 * 2.14 counts the line and column of a syntax error, where the column is
 * that of the last character of the token it stopped at.
 */
#ifndef WK_JSONPOS_H
#define WK_JSONPOS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define JSONPOS_DEPTH_MAX 64  /* nested arrays and objects, root included */
#define JSONPOS_NONE (-1)     /* node index meaning "no such node" */

/* A place in the text, 1-based; line 0 means none. */
struct jsonpos_loc {
	int line;
	int column;  /* in characters (UTF-8 code points) */
};

/* One key-value member of an object, or one array element, or the root. */
struct jsonpos_node {
	int32_t parent;        /* enclosing node, JSONPOS_NONE for the root */
	int32_t first_child;   /* first member or element, or JSONPOS_NONE */
	int32_t next_sibling;  /* next member or element, or JSONPOS_NONE */
	uint32_t index;        /* place among its siblings, from 0 */
	/* offset of the decoded key in keys; JSONPOS_NONE for an element */
	int32_t key;
	/* first character of the value: { [ " t f n, or 0 for a number */
	char type;
	/* opening quote of the key; line 0 for an element */
	struct jsonpos_loc key_loc;
	struct jsonpos_loc value_loc;  /* first character of the value */
	uint32_t value_start;  /* byte offset of the value's first character */
	uint32_t value_end;    /* byte offset just past its last character */
};

/* The position tree of one text. */
struct jsonpos {
	const char *text;  /* scanned text, not owned; must outlive the tree */
	size_t len;        /* bytes of text */
	/* owned, in document order; nodes[0] is the root */
	struct jsonpos_node *nodes;
	size_t count;      /* nodes in use */
	size_t cap;        /* nodes allocated */
	struct buf keys;   /* owned decoded member keys, each NUL-terminated */
};

/* The reason and place of a failed scan. */
struct jsonpos_error {
	struct jsonpos_loc loc;  /* character where the scan stopped */
	const char *reason;      /* English, marked with N_(); show with _() */
};

/*
 * Scans text (len bytes, at most INT32_MAX) into jp, which it initializes.
 * Returns WK_OK, WK_ERR_NOMEM, WK_ERR_LIMIT (nesting deeper than
 * JSONPOS_DEPTH_MAX) or WK_ERR_INVALID (text that is not one JSON value),
 * with e filled on the last two. jp owns no memory after a failure, and
 * jsonpos_free() must be called after a success.
 *
 * NOTE: a node takes 48 bytes on x86-64, so a 4 MiB text of one-digit
 * array elements needs about 100 MB, besides jansson's own tree.
 */
int jsonpos_scan(struct jsonpos *jp, const char *text, size_t len,
		 struct jsonpos_error *e);

/* Frees the tree; the text stays the caller's. */
void jsonpos_free(struct jsonpos *jp);

/* Returns the node of member key of object node, or JSONPOS_NONE. */
int jsonpos_member(const struct jsonpos *jp, int node, const char *key);

/* Returns the node of element i of array node, or JSONPOS_NONE. */
int jsonpos_element(const struct jsonpos *jp, int node, size_t i);

/*
 * Returns the node a JSON pointer such as "/pipelines/0/stages/2/timeout"
 * names ("" is the root), or JSONPOS_NONE.
 */
int jsonpos_find(const struct jsonpos *jp, const char *pointer);

/*
 * Appends the JSON pointer of node to out, escaping '~' and '/' in keys
 * as "~0" and "~1". Returns WK_OK or the error of buf_append().
 */
int jsonpos_pointer(const struct jsonpos *jp, int node, struct buf *out);

/* Returns the decoded key of a member node, or NULL for other nodes. */
const char *jsonpos_key(const struct jsonpos *jp, int node);

/*
 * Returns the place of a character inside a string value: offset is a
 * byte offset into the decoded string, as jansson returns it. A character
 * written as an escape sequence maps to the backslash that starts it, and
 * an offset past the end maps to the closing quote.
 */
struct jsonpos_loc jsonpos_string_loc(const struct jsonpos *jp, int node,
				      size_t offset);

/*
 * Checks that text is valid UTF-8: no stray continuation bytes, overlong
 * forms, surrogates (U+D800 to U+DFFF) or code points past U+10FFFF.
 * Returns WK_OK, or WK_ERR_INVALID with *bad set to the byte offset of the
 * first invalid sequence.
 */
int jsonpos_check_utf8(const char *text, size_t len, size_t *bad);

/*
 * Returns the place of byte offset in text (clamped to len), counted the
 * same way as the nodes' places.
 */
struct jsonpos_loc jsonpos_offset_loc(const char *text, size_t len,
				      size_t offset);

#endif
