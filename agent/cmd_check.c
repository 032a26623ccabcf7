/* `watchkeep check-config`: loads a configuration and reports its errors. */
#include <stdio.h>
#include <string.h>

#include "agent/cli.h"
#include "core/config.h"
#include "core/i18n.h"

static void
check_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep check-config [-c FILE]\n"
	    "\n"
	    "Loads the configuration (default: the embedded one) and checks it\n"
	    "as the agent would. Prints each error as FILE:LINE:COLUMN with what\n"
	    "to change, and exits 3 when the configuration is invalid. Prints\n"
	    "warnings about settings that have no effect the same way, which\n"
	    "do not change the exit status.\n"));
}

/*
 * Warns about stages set to on_restart "adopt" that declare no outputs:
 * after an agent restart their exit status is unknown, so such a stage
 * cannot be judged and ends as failed.
 */
static void
check_warn_adopt(const struct cfg *cfg)
{
	const struct cfg_pipeline *p;
	const struct cfg_stage *st;
	size_t i, k;

	for (i = 0; i < cfg->n_pipelines; i++) {
		p = &cfg->pipelines[i];
		for (k = 0; k < p->n_stages; k++) {
			st = &p->stages[k];
			if (st->on_restart != CFG_RESTART_ADOPT ||
			    st->n_outputs > 0)
				continue;
			fprintf(stderr, _("%s:%d:%d: warning: stage %s of "
			    "pipeline %s is set to on_restart \"adopt\" but "
			    "declares no outputs, so its success cannot be "
			    "judged after an agent restart and it ends as "
			    "failed; declare the files it writes in "
			    "\"outputs\"\n"), cfg->path, st->pos.line,
			    st->pos.column, st->name, p->name);
		}
	}
}

/* Prints the warnings the loader found, one a line. */
static void
check_print_warnings(const struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_warnings; i++)
		fprintf(stderr, "%s\n", cfg->warnings[i]);
	if (cfg->n_warnings_dropped > 0)
		fprintf(stderr, P_("%s: %zu more warning not shown\n",
		    "%s: %zu more warnings not shown\n",
		    cfg->n_warnings_dropped), cfg->path,
		    cfg->n_warnings_dropped);
}

int
cmd_check_config(int argc, char **argv)
{
	struct cli_common common;
	struct cfg *cfg;
	size_t i, stages = 0;
	int r;

	memset(&common, 0, sizeof common);
	for (i = 1; i < (size_t)argc; i++) {
		int index = (int)i;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			check_help();
			return CLI_EXIT_OK;
		}
		r = cli_common_option(&common, argc, argv, &index);
		i = (size_t)index;
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r == 0)
			return cli_usage_error("check-config",
			    _("unexpected argument %s"), argv[i]);
	}
	cfg = cli_load_config(&common);
	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	check_print_warnings(cfg);
	check_warn_adopt(cfg);
	for (i = 0; i < cfg->n_pipelines; i++)
		stages += cfg->pipelines[i].n_stages;
	/* TRANSLATORS: the two parts make "FILE: valid, 1 pipeline, 5
	 * stages". */
	printf(P_("%s: valid, %zu pipeline", "%s: valid, %zu pipelines",
	    cfg->n_pipelines), cfg->path, cfg->n_pipelines);
	printf(P_(", %zu stage\n", ", %zu stages\n", stages), stages);
	cfg_free(cfg);
	return CLI_EXIT_OK;
}
