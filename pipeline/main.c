/*
 * churn: the churn-prediction pipeline as one program with five stage
 * subcommands (ingest, features, train, predict, export) and a generator
 * of synthetic logs (generate). Each takes all
 * its paths on the command line, prints one summary line on stdout when
 * it succeeds, and exits with a <sysexits.h> status (see churn.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "generated/paths.h"
#include "pipeline/churn.h"
#include "pipeline/export.h"
#include "pipeline/features.h"
#include "pipeline/gen.h"
#include "pipeline/ingest.h"
#include "pipeline/notify.h"
#include "pipeline/predict.h"
#include "pipeline/train.h"

/* A subcommand and its entry point. */
struct churn_command {
	const char *name;                                 /* argv[1] */
	const char *summary;                              /* untranslated */
	int (*main)(int argc, char **argv, struct notify *nt);  /* entry */
};

static const struct churn_command churn_commands[] = {
	{ "ingest", N_("read an event log into an event file"), ingest_main },
	{ "features", N_("compute one feature row and label per user"),
	  feat_main },
	{ "train", N_("fit churn models and report their holdout metrics"),
	  train_main },
	{ "predict", N_("score users and rank them into segments"),
	  predict_main },
	{ "export", N_("compress a file and write its SHA-256 checksum"),
	  export_main },
	{ "generate", N_("write a synthetic event log"), gen_main },
};

#define CHURN_N_COMMANDS (sizeof churn_commands / sizeof churn_commands[0])

static void
churn_usage(FILE *out)
{
	size_t i;

	fprintf(out, _("Usage: churn COMMAND [OPTION]...\n"
	    "Churn prediction on an event log, one stage a command.\n\n"
	    "Commands:\n"));
	for (i = 0; i < CHURN_N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", churn_commands[i].name,
		    _(churn_commands[i].summary));
	fprintf(out, _("\nRun 'churn COMMAND --help' for the options of a "
	    "command.\nExit status: 0 ok, 64 usage error, 65 bad input "
	    "data, 66 input cannot be opened,\n70 internal error, 73 output "
	    "cannot be created, 74 read or write error.\n"));
}

int
main(int argc, char **argv)
{
	struct notify nt;
	struct wk_err err;
	size_t i;
	int status;

	i18n_init();
	if (argc < 2) {
		churn_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		churn_usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("churn %s\n", WK_VERSION);
		return EX_OK;
	}

	for (i = 0; i < CHURN_N_COMMANDS; i++) {
		if (strcmp(argv[1], churn_commands[i].name) != 0)
			continue;
		if (notify_open_env(&nt, &err) != WK_OK)
			fprintf(stderr, "churn %s: %s\n", argv[1], err.msg);
		status = churn_commands[i].main(argc - 1, argv + 1, &nt);
		notify_close(&nt);
		return status;
	}
	fprintf(stderr, _("churn: unknown command '%s'\n\n"), argv[1]);
	churn_usage(stderr);
	return EX_USAGE;
}
