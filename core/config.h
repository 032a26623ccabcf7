/*
 * The agent's configuration: a JSON file (or the embedded default) loaded
 * into plain structs.
 *
 * Loading checks everything it can before anything runs: unknown keys
 * (with the nearest valid key as a hint), wrong types, invalid durations,
 * duplicate names, unknown dependencies, dependency cycles and unknown
 * ${NAME} variables. Every error names the file, line and column of the
 * offending key or value and says what to change. Settings that load but
 * have no effect are kept as warnings in the same form.
 */
#ifndef WK_CONFIG_H
#define WK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/config_alerting.h"
#include "core/config_web.h"
#include "core/log.h"
#include "core/rc.h"

#define CFG_NAME_MAX 64          /* bytes in a pipeline or stage name */
#define CFG_MAX_PIPELINES 64
#define CFG_MAX_STAGES 256       /* stages in one pipeline */
#define CFG_FILE_MAX (4 << 20)   /* bytes in a configuration file */
#define CFG_MAX_ENV 64           /* entries in one env object */
#define CFG_GRACE_DEFAULT_MS 10000  /* grace when the key is absent */
#define CFG_WARNINGS_MAX 32      /* warnings kept of one load */
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

/* What happens to a stage whose heartbeats stop. */
enum cfg_heartbeat_action {
	CFG_HEARTBEAT_KILL,   /* kill the stage; its retry policy applies */
	CFG_HEARTBEAT_WARN    /* log a warning and keep it running */
};

/* How a memory limit is enforced. */
enum cfg_memory_mode {
	CFG_MEMORY_AUTO,      /* cgroup v2 where possible, else RSS polling */
	CFG_MEMORY_CGROUP,    /* cgroup v2 memory.max, or the stage fails */
	CFG_MEMORY_RLIMIT     /* RLIMIT_AS plus RSS polling (opt-in) */
};

/* What a restarted agent does with a stage still running from before. */
enum cfg_on_restart {
	CFG_RESTART_KILL,     /* kill its process group, then retry */
	CFG_RESTART_ADOPT     /* keep it and wait for it to end */
};

/*
 * A quality gate: a check on a metric the stage reported. Unset bounds are
 * NAN. A gate that fails fails the stage after its exit status 0.
 */
struct cfg_gate {
	char *metric;            /* metric name, as sent in X_WATCHKEEP_METRIC */
	double min;              /* lowest allowed value, or NAN */
	double max;              /* highest allowed value, or NAN */
	double max_drop;         /* largest drop below the last good run's */
	double max_change;       /* largest relative change from the last good
				    run's value, as a fraction (0.2 = 20%) */
	struct cfg_pos pos;      /* the gate's object in the file */
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
	int retries;             /* attempts after the first, 0..100 */
	int64_t retry_delay_ms;  /* backoff before the second attempt */
	int64_t retry_delay_max_ms; /* cap of the backoff */
	int *retry_exit_codes;   /* only these exit codes retry; NULL: any */
	size_t n_retry_exit_codes;
	int *fatal_exit_codes;   /* these exit codes never retry */
	size_t n_fatal_exit_codes;
	int nice;                /* added to the agent's nice value, 0..19 */
	int64_t memory_limit;    /* bytes, 0: none */
	enum cfg_memory_mode memory_mode;
	int64_t heartbeat_ms;    /* WATCHDOG_USEC given to the stage, 0: none */
	enum cfg_heartbeat_action heartbeat_action;
	char **inputs;           /* files whose content decides a skip */
	size_t n_inputs;         /* entries in inputs */
	enum cfg_on_restart on_restart;
	struct cfg_gate *gates;  /* quality gates, owned */
	size_t n_gates;          /* entries in gates */
	struct cfg_pos pos;      /* the stage's object in the file */
};

/* What a pipeline does when a run is due while another one runs. */
enum cfg_overlap {
	CFG_OVERLAP_SKIP,     /* drop the new run */
	CFG_OVERLAP_QUEUE,    /* start it when the running one ends */
	CFG_OVERLAP_ALLOW     /* start it at once */
};

/* What a pipeline does about slots missed while the agent was down. */
enum cfg_catch_up {
	CFG_CATCH_UP_SKIP,    /* wait for the next slot */
	CFG_CATCH_UP_ONCE     /* run once for the latest missed slot */
};

struct cfg_pipeline {
	char *name;                /* unique: [A-Za-z0-9_.-] */
	char *description;         /* one line for people, or NULL */
	struct cfg_env env;        /* added to every stage's environment */
	struct cfg_stage *stages;  /* in file order */
	size_t n_stages;           /* entries in stages */
	size_t *order;             /* stage indices, dependencies first */
	char *schedule;            /* five-field cron expression, or NULL */
	char *time_zone;           /* IANA zone of the schedule; "UTC" */
	enum cfg_catch_up catch_up;
	enum cfg_overlap overlap;
	int max_parallel;          /* stages running at once, 1..64 */
	int deadline_minute;       /* local minute of the day a scheduled run
				      must end by, -1: none */
	struct cfg_pos pos;        /* the pipeline's object in the file */
};

/*
 * Caps on what is kept of a stage's output, per stream and stage run (see
 * docs/config.md, "logs"). The log file keeps its first file_head_bytes
 * and last file_tail_bytes. The store keeps the first head_lines lines and
 * the last tail_lines lines, whose text takes at most tail_bytes.
 */
struct cfg_logs {
	int64_t file_head_bytes;  /* bytes kept from the start of a log file */
	int64_t file_tail_bytes;  /* bytes kept from its end, held in memory */
	int64_t head_lines;       /* lines stored from the start */
	int64_t tail_lines;       /* lines stored from the end */
	int64_t tail_bytes;       /* bytes of text of those lines, in memory */
	int mask_quoted;          /* error signatures mask quoted strings */
};

struct cfg_slos;

/* How long the agent keeps what runs leave behind; 0 keeps it forever. */
struct cfg_retention {
	int64_t runs_ms;      /* runs, with their stages, logs and metrics */
	int64_t logs_ms;      /* log lines of older runs */
	int64_t run_dirs_ms;  /* runs/RUN_ID directories with stage files */
	/* delivered alert messages and ended silences; incidents go with runs */
	int64_t notifications_ms;
};

struct cfg {
	char *path;                      /* file loaded, or "(default)" */
	char *state_dir;                 /* NULL: the default state directory */
	enum log_level log_level;        /* default LL_INFO */
	struct cfg_pipeline *pipelines;  /* in file order */
	size_t n_pipelines;              /* entries in pipelines */
	struct cfg_logs logs;            /* output caps, the "logs" section */
	/* the "slos" section (core/config_slos.h), owned; NULL when absent */
	struct cfg_slos *slos;
	struct cfg_alerting alerting;    /* the "alerting" section */
	/* the "probes" section (core/config_probes.h), owned; NULL when absent */
	struct cfg_probes *probes;
	struct cfg_retention retention;  /* the "retention" section */
	struct cfg_web web;              /* the "web" section */
	/* "FILE:LINE:COL: warning: ..." lines of settings that load but look
	   like a mistake, owned, in file order */
	char *warnings[CFG_WARNINGS_MAX];
	size_t n_warnings;               /* entries in warnings */
	size_t n_warnings_dropped;       /* warnings past CFG_WARNINGS_MAX */
};

/*
 * Loads and checks the configuration file at path. Returns a new cfg, or
 * NULL with err filled: "FILE:LINE:COL: MESSAGE". A loaded cfg may carry
 * warnings (cfg->warnings), which the caller shows or logs.
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

/*
 * Tells whether path is absolute, or starts with "${WATCHKEEP_STATE_DIR}/"
 * (probe and SLO paths may name files in the agent's state directory,
 * which is known only once the agent starts).
 */
int cfg_path_is_absolute(const char *path);

/*
 * Replaces a leading ${WATCHKEEP_STATE_DIR} in the paths of the probes
 * and SLOs with state_dir. The agent calls it once it resolved its state
 * directory, before the engines start. Returns WK_OK or WK_ERR_NOMEM.
 */
int cfg_resolve_state_dir(struct cfg *cfg, const char *state_dir);

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
