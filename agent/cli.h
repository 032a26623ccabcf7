/*
 * The `watchkeep` command line: subcommands, their shared options and the
 * exit statuses every subcommand uses.
 */
#ifndef WK_CLI_H
#define WK_CLI_H

#include "core/config.h"

/* Exit statuses, documented in docs/cli.md. */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* success; for run: every stage succeeded */
	CLI_EXIT_FAILED = 1,   /* the run failed, or what was asked failed */
	CLI_EXIT_USAGE = 2,    /* invalid command line */
	CLI_EXIT_CONFIG = 3,   /* invalid configuration */
	CLI_EXIT_STATE = 4,    /* state directory or store unusable */
	CLI_EXIT_BUSY = 5      /* another agent holds the state directory */
};

/* Options most subcommands accept. */
struct cli_common {
	const char *config_path;  /* -c, --config; NULL: embedded default */
	const char *state_dir;    /* --state-dir */
	int json;                 /* --json */
	int log_level_set;        /* --log-level or -v/-q given */
};

/*
 * Parses one shared option at argv[*i] (advancing *i past its value).
 * Returns 1 when it was one, 0 when not, -1 on a usage error (printed).
 */
int cli_common_option(struct cli_common *common, int argc, char **argv,
		      int *i);

/* Loads the configuration named by common, printing any error. */
struct cfg *cli_load_config(const struct cli_common *common);

/* Prints a usage error for the subcommand and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Takes the value of option name at argv[*i], given as "--name VALUE" or
 * "--name=VALUE", advancing *i past it. Returns NULL when argv[*i] is not
 * the option, and "" after printing that the value is missing.
 */
const char *cli_option_value(const char *name, int argc, char **argv,
			     int *i);

struct store;

/*
 * Opens the store of the state directory read-only, without the agent's
 * lock: --state-dir, else state_dir of the -c configuration, else the
 * default. Prints why it cannot and returns NULL. When cfg is not NULL it
 * receives the configuration loaded for -c, or NULL; free it with
 * cfg_free().
 */
struct store *cli_open_store(const struct cli_common *common,
			     struct cfg **cfg);

/*
 * Checks that pipeline names a pipeline of cfg (NULL: no configuration) or
 * one with runs in the store (NULL: no store yet); NULL names every
 * pipeline. When it names
 * neither, prints the pipelines known to both and returns CLI_EXIT_FAILED;
 * else returns CLI_EXIT_OK.
 */
int cli_check_pipeline(const char *command, struct store *store,
		       const struct cfg *cfg, const char *pipeline);

int cmd_run(int argc, char **argv);
int cmd_run_now(int argc, char **argv);
int cmd_rerun(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_backfill(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_ack(int argc, char **argv);
int cmd_silence(int argc, char **argv);
int cmd_unsilence(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_slo(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_errors(int argc, char **argv);
int cmd_test_alert(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_web(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif
