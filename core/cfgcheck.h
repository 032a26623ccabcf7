/*
 * Checks shared by the readers of core/config.c: the state of one load,
 * errors that name the file, line and column of a key or value, "did you
 * mean" hints, typed reads of object members, and the ${NAME} references
 * a string may contain.
 *
 * A function here that returns an int returns WK_OK, or fills ck->err
 * ("FILE:LINE:COLUMN: what is wrong; what to do") and returns its code:
 * WK_ERR_INVALID, or WK_ERR_NOMEM when an allocation failed.
 */
#ifndef WK_CFGCHECK_H
#define WK_CFGCHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/jsonpos.h"

#define CFGCHECK_QUOTE_MAX 80  /* bytes of a user's value in a message */
#define CFGCHECK_LIST_MAX 400  /* bytes of a list of names in a message */
/* Names one text may refer to: the builtins and two env objects. */
#define CFGCHECK_SCOPE_MAX (16 + 2 * CFG_MAX_ENV)

/* The state of one load. */
struct cfgcheck {
	const char *name;    /* file name shown in messages */
	struct jsonpos pos;  /* places of the keys and values */
	struct wk_err *err;  /* receives the first error */
	struct cfg *cfg;     /* receives the warnings; NULL: they are dropped */
};

/* A member of an object: its value and its node in the position tree. */
struct cfgcheck_member {
	const char *key;  /* the member's key */
	json_t *value;    /* borrowed from the document; NULL when absent */
	int node;         /* position node; JSONPOS_NONE when absent */
};

/* The ${NAME} variables a text may refer to. */
struct cfgcheck_scope {
	/* builtins, then pipeline env, then stage env names; borrowed */
	const char *names[CFGCHECK_SCOPE_MAX];
	size_t count;    /* names in use */
	size_t visible;  /* names[0..visible-1] may be used; the rest later */
};

/* A user's string made safe to show in a message. */
struct cfgcheck_quoted {
	/* at most CFGCHECK_QUOTE_MAX bytes, then "..." when cut */
	char text[CFGCHECK_QUOTE_MAX + 4];
};

/* Fills ck->err with "NAME:LINE:COLUMN: message"; returns WK_ERR_INVALID. */
int cfgcheck_fail_at(struct cfgcheck *ck, struct jsonpos_loc loc,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Adds "NAME:LINE:COLUMN: warning: message" to ck->cfg->warnings, or
 * counts it in n_warnings_dropped once CFG_WARNINGS_MAX are kept or when
 * the line cannot be allocated. The load goes on.
 */
void cfgcheck_warn_at(struct cfgcheck *ck, struct jsonpos_loc loc,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills ck->err for a failed allocation; returns WK_ERR_NOMEM. */
int cfgcheck_nomem(struct cfgcheck *ck);

/* Returns the place of a member's key, or of the value of an array element. */
struct jsonpos_loc cfgcheck_key_at(const struct cfgcheck *ck, int node);

/* Returns the place of a node's value (1:1 for JSONPOS_NONE). */
struct jsonpos_loc cfgcheck_value_at(const struct cfgcheck *ck, int node);

/*
 * Returns s cut to CFGCHECK_QUOTE_MAX bytes. A character that does not
 * print (a control, a format character such as U+202E, a separator other
 * than the ASCII space) is written as U+XXXX, and an invalid byte as U+FFFD.
 */
struct cfgcheck_quoted cfgcheck_quote(const char *s);

/* Returns the translated name of a JSON value's type: "a string", ... */
const char *cfgcheck_type_name(const json_t *v);

/*
 * Returns the name among names[0..n-1] nearest to word, or NULL when none
 * is near. A word of up to 4 bytes may be 1 edit away, up to 8 bytes 2
 * edits, and so on; ASCII case does not count. The first of equally near
 * names wins.
 */
const char *cfgcheck_nearest(const char *word, const char *const *names,
			     size_t n);

/* Starts an empty list of names; free it with buf_free(). */
void cfgcheck_list_init(struct buf *list);

/*
 * Appends sep and name to list, or sep and "..." once the list would pass
 * CFGCHECK_LIST_MAX bytes. Returns 0 when the list is full, else 1.
 */
int cfgcheck_list_add(struct buf *list, const char *sep, const char *name);

/* Returns the text of a list, or "" when it could not be allocated. */
const char *cfgcheck_list_text(const struct buf *list);

/* Starts list and writes names[0..n-1] into it as "a, b, c". */
void cfgcheck_join_names(struct buf *list, const char *const *names,
			 size_t n);

/*
 * Rejects the first key of the object at node that the NULL-terminated
 * keys does not list; where ("in a stage") completes the message.
 */
int cfgcheck_keys(struct cfgcheck *ck, int node, const char *const *keys,
		  const char *where);

/* Returns member key of obj, the object at obj_node. */
struct cfgcheck_member cfgcheck_get_member(struct cfgcheck *ck, json_t *obj,
					   int obj_node, const char *key);

/* Reports the missing key of the object at obj_node. */
int cfgcheck_missing_key(struct cfgcheck *ck, int obj_node, const char *key,
			 const char *where, const char *example);

/* Reports a member whose value is not of the expected type. */
int cfgcheck_wrong_type(struct cfgcheck *ck, const struct cfgcheck_member *m,
			const char *expected, const char *example);

/*
 * Reads an optional string member that must be one of names (NULL-ended)
 * into *index (left as it is when absent); a near miss gets a hint.
 */
/* Reads an optional boolean member into *out, left as it is when absent. */
int cfgcheck_bool(struct cfgcheck *ck, const struct cfgcheck_member *m,
		  int *out);

/*
 * Reads an optional integer member within [min, max] into *out, left as
 * it is when absent. example is a valid value for the type error.
 */
int cfgcheck_int(struct cfgcheck *ck, const struct cfgcheck_member *m,
		 int64_t min, int64_t max, const char *example, int64_t *out);

int cfgcheck_choice(struct cfgcheck *ck, const struct cfgcheck_member *m,
		    const char *const *names, int *index);

/* Copies an optional non-empty string member into *out (NULL when absent). */
int cfgcheck_string(struct cfgcheck *ck, const struct cfgcheck_member *m,
		    const char *example, char **out);

/*
 * Copies an optional array of strings into *out (NULL-terminated; the
 * caller frees it) and *n. With a scope, checks the ${NAME} references of
 * every entry.
 */
int cfgcheck_string_array(struct cfgcheck *ck,
			  const struct cfgcheck_member *m, const char *example,
			  const struct cfgcheck_scope *sc, char ***out,
			  size_t *n);

/*
 * Reads an optional duration member into *ms (left as it is when absent).
 * "0" means none; other values go through clk_parse_duration(), and an
 * invalid one is reported at its first bad character.
 */
int cfgcheck_duration(struct cfgcheck *ck, const struct cfgcheck_member *m,
		      int64_t *ms);

/*
 * Tells whether name is a valid pipeline, stage, probe or SLO name: 1 to
 * CFG_NAME_MAX - 1 bytes, not "." or "..", ASCII letters, digits, '_',
 * '.' and '-', and printing characters outside ASCII.
 */
int cfgcheck_name_valid(const char *name);

/*
 * Copies the required "name" of the pipeline or stage obj into *out after
 * checking its length and characters.
 */
int cfgcheck_name(struct cfgcheck *ck, json_t *obj, int obj_node,
		  const char *where, const char *example, char **out);

/* Starts a scope with the builtin variables (cfg_builtin_vars). */
void cfgcheck_scope_init(struct cfgcheck_scope *sc);

/*
 * Checks every ${NAME} in text, the string value at node: each must be
 * well formed and name a visible variable of sc.
 */
int cfgcheck_refs(struct cfgcheck *ck, int node, const char *text,
		  const struct cfgcheck_scope *sc);

/*
 * Checks the references of a command that /bin/sh -c runs, like
 * cfgcheck_refs(). The error for an unknown name also says how to leave
 * the variable to the shell ($NAME, or $${NAME} for a literal ${NAME}).
 */
int cfgcheck_shell_refs(struct cfgcheck *ck, int node, const char *text,
			const struct cfgcheck_scope *sc);

/*
 * Checks that the time zone name (the value of key at node) loads from the
 * zone database. An unknown name gets the nearest zone name of the
 * database as a hint (see tz_names_load()).
 */
int cfgcheck_time_zone(struct cfgcheck *ck, int node, const char *key,
		       const char *name);

/*
 * Copies the optional "env" object m into env (the caller frees it). Its
 * names join the scope, and each value may refer to the names before its
 * own.
 */
int cfgcheck_env(struct cfgcheck *ck, const struct cfgcheck_member *m,
		 struct cfgcheck_scope *sc, struct cfg_env *env);

#endif
