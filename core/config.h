/*
 * The agent's configuration: a JSON file (or the embedded default) loaded
 * into plain structs.
 *
 * Loading checks everything it can before anything runs: unknown keys
 * (with the nearest valid key as a hint), wrong types, invalid durations,
 * duplicate names, unknown dependencies, dependency cycles and unknown
 * ${NAME} variables. Every error names the file, line and column of the
 * offending key or value and says what to change.
 */
#ifndef WK_CONFIG_H
#define WK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/rc.h"

#define CFG_NAME_MAX 64          /* bytes in a pipeline or stage name */
#define CFG_MAX_PIPELINES 64
#define CFG_MAX_STAGES 256       /* stages in one pipeline */
#define CFG_FILE_MAX (4 << 20)   /* bytes in a configuration file */
#define CFG_MAX_ENV 64           /* entries in one env object */
#define CFG_GRACE_DEFAULT_MS 10000  /* grace when the key is absent */
/* Maximum timeout or grace, in milliseconds. */
#define CFG_DURATION_MAX_MS (365 * INT64_C(86400000))

/* Position of a key or value in the configuration text, 1-based. */
struct cfg_pos {
	int line;
	int column;  /* in characters (UTF-8 code points), 1-based */
};

/* One NAME=value pair of a stage's environment. */
struct cfg_env_var {
	char *name;
	char *value;  /* may contain ${NAME} references, expanded at run time */
};

struct cfg_env {
	struct cfg_env_var *vars;  /* owned, in file order */
	size_t count;              /* entries in vars */
};

struct cfg_stage {
	char *name;              /* unique within the pipeline: [A-Za-z0-9_.-] */
	char **argv;             /* NULL-terminated argument vector, or NULL */
	char *shell;             /* command for /bin/sh -c when argv is NULL */
	char **depends_on;       /* names of stages of the same pipeline */
	size_t n_depends_on;     /* entries in depends_on and dep_index */
	size_t *dep_index;       /* depends_on resolved to indices in stages[] */
	char **outputs;          /* paths that must exist after success */
	size_t n_outputs;        /* entries in outputs */
	struct cfg_env env;      /* added to the pipeline's environment */
	char *working_dir;       /* NULL: the stage's directory */
	int64_t timeout_ms;      /* 0: no timeout */
	int64_t grace_ms;        /* wait between SIGTERM and SIGKILL */
	struct cfg_pos pos;      /* the stage's object in the file */
};

struct cfg_pipeline {
	char *name;                /* unique: [A-Za-z0-9_.-] */
	char *description;         /* one line for people, or NULL */
	struct cfg_env env;        /* added to every stage's environment */
	struct cfg_stage *stages;  /* in file order */
	size_t n_stages;           /* entries in stages */
	size_t *order;             /* stage indices, dependencies first */
	struct cfg_pos pos;        /* the pipeline's object in the file */
};

struct cfg {
	char *path;                      /* file loaded, or "(default)" */
	char *state_dir;                 /* NULL: the default state directory */
	enum log_level log_level;        /* default LL_INFO */
	struct cfg_pipeline *pipelines;  /* in file order */
	size_t n_pipelines;              /* entries in pipelines */
};

/*
 * Loads and checks the configuration file at path. Returns a new cfg, or
 * NULL with err filled: "FILE:LINE:COL: MESSAGE".
 */
struct cfg *cfg_load_file(const char *path, struct wk_err *err);

/* Loads a configuration from text in memory; name is used in errors. */
struct cfg *cfg_load_text(const char *text, size_t len, const char *name,
			  struct wk_err *err);

/* Loads the embedded default configuration (the churn pipeline). */
struct cfg *cfg_load_default(struct wk_err *err);

/* Returns the text of the embedded default configuration. */
const char *cfg_default_text(void);

void cfg_free(struct cfg *cfg);

/* Finds a pipeline by name, or returns NULL. */
const struct cfg_pipeline *cfg_find_pipeline(const struct cfg *cfg,
					     const char *name);

/* Finds a stage of a pipeline by name, or returns NULL. */
const struct cfg_stage *cfg_find_stage(const struct cfg_pipeline *pipeline,
				       const char *name);

/*
 * Names of the variables the agent sets for every stage, which ${NAME} in a
 * command, an output, a working directory or an env value may refer to,
 * besides the names of the pipeline's and the stage's env entries. The
 * list ends with NULL.
 */
extern const char *const cfg_builtin_vars[];

#endif
