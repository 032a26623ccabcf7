/*
 * Command-line options of the churn subcommands: a table of long options
 * ("--name VALUE" or "--name=VALUE") parsed into typed variables, and the
 * usage text printed from the same table.
 */
#ifndef WK_PIPELINE_CLI_H
#define WK_PIPELINE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rc.h"

enum cli_kind {
	CLI_STRING,  /* dest is a const char **, pointing into argv */
	CLI_DOUBLE,  /* dest is a double *, a finite decimal number */
	CLI_UINT,    /* dest is a uint64_t *, a decimal integer >= 0 */
	CLI_FLAG     /* dest is a bool *, set to true; takes no value */
};

struct cli_opt {
	const char *name;     /* long name without the leading "--" */
	enum cli_kind kind;   /* type of the value and of *dest */
	const char *metavar;  /* value placeholder in the usage, or NULL */
	const char *help;     /* untranslated help (N_) with unit and default */
	bool required;        /* the option must be given */
	void *dest;           /* where the value goes, typed by kind */
};

struct cli_cmd {
	const char *name;            /* subcommand name, e.g. "ingest" */
	const char *summary;         /* untranslated one-line description */
	const struct cli_opt *opts;  /* options, in usage order */
	size_t n_opts;               /* entries in opts */
};

#define CLI_HELP 1  /* returned by cli_parse() after printing the usage */

/*
 * Parses argv[1..argc-1] (argv[0] is the subcommand name) into the
 * destinations of cmd's options; options not given keep their values.
 * Returns WK_OK, CLI_HELP when --help was given (the usage is then printed
 * on stdout), or WK_ERR_INVALID with err naming the argument and the fix.
 */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      struct wk_err *err);

/* Prints the usage of cmd: the synopsis, then one entry an option. */
void cli_usage(FILE *out, const struct cli_cmd *cmd);

/*
 * Parses the value of option opt as a duration ("273d", "36h", "1w2d").
 * Returns WK_OK, or WK_ERR_INVALID with err naming the option and value.
 */
int cli_duration(const char *opt, const char *text, int64_t *ms,
		 struct wk_err *err);

/*
 * Parses the value of option opt as a date "YYYY-MM-DD" into days since
 * 1970-01-01. Returns WK_OK, or WK_ERR_INVALID with err filled.
 */
int cli_date(const char *opt, const char *text, int64_t *days,
	     struct wk_err *err);

#endif
