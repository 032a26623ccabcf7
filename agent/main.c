/* The `watchkeep` command: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "agent/cli.h"
#include "core/i18n.h"
#include "core/log.h"
#include "generated/paths.h"

struct main_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;  /* one line, translated when printed */
};

static const struct main_command main_commands[] = {
	{ "run", cmd_run, N_("run the agent, or with --once each pipeline "
	  "once") },
	{ "status", cmd_status, N_("show the last runs and their stages") },
	{ "top", cmd_top, N_("watch runs, SLOs, alerts and probes in the "
	  "terminal, and act on them") },
	{ "runs", cmd_runs, N_("list the latest runs") },
	{ "run-now", cmd_run_now, N_("start a run of a pipeline now") },
	{ "rerun", cmd_rerun, N_("run a stage and what depends on it again") },
	{ "cancel", cmd_cancel, N_("cancel a run in progress") },
	{ "backfill", cmd_backfill, N_("run a pipeline for past dates") },
	{ "backup", cmd_backup, N_("copy the store while the agent runs") },
	{ "logs", cmd_logs, N_("print the stored output of a stage run") },
	{ "errors", cmd_errors, N_("list the most frequent error signatures") },
	{ "alerts", cmd_alerts, N_("list the alerts kept in the store") },
	{ "ack", cmd_ack, N_("acknowledge a firing alert") },
	{ "silence", cmd_silence, N_("silence matching alerts for a while") },
	{ "unsilence", cmd_unsilence, N_("end a silence") },
	{ "test-alert", cmd_test_alert,
	  N_("send a sample alert to a receiver and show the HTTP status") },
	{ "slo", cmd_slo, N_("show the SLOs: SLI, error budget, burn rates, alert state") },
	{ "probe", cmd_probe, N_("run the configured probes once and show their state") },
	{ "report", cmd_report,
	  N_("print or post the retrospective of a period") },
	{ "web", cmd_web, N_("serve the web page and the API from a store") },
	{ "check-config", cmd_check_config,
	  N_("check a configuration file and report its errors") },
};

static void
main_help(void)
{
	size_t i;

	printf("%s", _("Usage: watchkeep COMMAND [OPTIONS]\n\n"
	    "Runs a batch pipeline under supervision and keeps its operations\n"
	    "honest.\n\nCommands:\n"));
	for (i = 0; i < sizeof main_commands / sizeof main_commands[0]; i++)
		printf("  %-14s %s\n", main_commands[i].name,
		    _(main_commands[i].help));
	printf("%s", _("\nRun `watchkeep COMMAND --help` for its options.\n"));
}

int
main(int argc, char **argv)
{
	size_t i;

	i18n_init();
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		main_help();
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("watchkeep %s\n", WK_VERSION);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof main_commands / sizeof main_commands[0]; i++) {
		if (strcmp(argv[1], main_commands[i].name) == 0)
			return main_commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, _("watchkeep: unknown command \"%s\"\n"), argv[1]);
	main_help();
	return CLI_EXIT_USAGE;
}
