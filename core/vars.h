/*
 * Variables: a bounded table of NAME=value pairs, and the expansion of
 * ${NAME} references in text.
 *
 * Syntax: "${NAME}" is replaced by the value of NAME, where NAME matches
 * [A-Za-z_][A-Za-z0-9_]* and is shorter than VARS_NAME_MAX bytes; "$$" is
 * a literal "$". Any other '$' is copied as it is, so that "$HOME" reaches
 * the shell of a shell command. A reference inside a reference is an
 * error. Expansion is not recursive: a value that contains "${X}" is
 * copied as it is. The configuration loader checks the names with the
 * same tokenizer (vars_next) that the agent expands them with.
 */
#ifndef WK_VARS_H
#define WK_VARS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/rc.h"

#define VARS_NAME_MAX 64          /* bytes in a name, with the NUL */
#define VARS_VALUE_MAX (64 << 10) /* bytes in a value, without the NUL */

/* One NAME=value pair. */
struct vars_entry {
	char *name;   /* owned */
	char *value;  /* owned */
};

/* A table of at most max pairs, in the order they were first set. */
struct vars {
	struct vars_entry *entries;  /* owned, count in use */
	size_t count;                /* pairs set */
	size_t cap;                  /* entries allocated */
	size_t max;                  /* pairs allowed */
};

/* Prepares an empty table for at most max pairs; allocates nothing. */
void vars_init(struct vars *v, size_t max);

/* Frees every pair; the table is empty afterwards and keeps its max. */
void vars_free(struct vars *v);

/* Returns 1 when name[0..len-1] is a valid variable name, else 0. */
int vars_valid_name(const char *name, size_t len);

/*
 * Sets name to a copy of value, replacing an earlier value. Returns WK_OK,
 * WK_ERR_INVALID (an invalid name), WK_ERR_LIMIT (table full, or value of
 * VARS_VALUE_MAX bytes or more) or WK_ERR_NOMEM.
 */
int vars_set(struct vars *v, const char *name, const char *value);

/* Returns the value of name (owned by the table), or NULL when unset. */
const char *vars_get(const struct vars *v, const char *name);

/* Kinds of the pieces vars_next() splits a text into. */
enum vars_token_kind {
	VARS_END,   /* end of the text */
	VARS_TEXT,  /* literal text (a "$$" gives a text token of one "$") */
	VARS_REF    /* a ${NAME} reference */
};

/* One piece of a text. */
struct vars_token {
	enum vars_token_kind kind;  /* what the piece is */
	const char *start;          /* text or NAME; not NUL-terminated */
	size_t len;                 /* bytes at start */
	size_t offset;              /* byte offset in text (of a ref's '$') */
};

/*
 * Reads the piece of text that starts at byte *pos and moves *pos past it.
 * Returns WK_OK, or WK_ERR_INVALID for a malformed reference: then
 * tok->offset is the byte offset of its '$' and *reason an English
 * sentence marked with N_() (translate it with _() when it is shown).
 */
int vars_next(const char *text, size_t *pos, struct vars_token *tok,
	      const char **reason);

/*
 * Appends text to out with every ${NAME} replaced by its value in v.
 * Returns WK_OK; WK_ERR_INVALID (malformed reference), WK_ERR_NOTFOUND
 * (a name v does not hold) or WK_ERR_LIMIT (out would pass its maximum),
 * with err filled; or WK_ERR_NOMEM. On failure out is left as it was.
 */
int vars_expand(const struct vars *v, const char *text, struct buf *out,
		struct wk_err *err);

#endif
