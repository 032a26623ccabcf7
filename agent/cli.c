#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/statedir.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/namehint.h"
#include "core/store.h"
#include "core/store_logs.h"
#include "core/text.h"

/* Takes the value of an option given as "--name VALUE" or "--name=VALUE". */
static const char *
cli_value(const char *name, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) == 0 && arg[n] == '=') {
		if (arg[n + 1] == '\0')
			fprintf(stderr, _("watchkeep: option %s needs a value\n"),
			    name);
		return arg + n + 1;
	}
	if (strcmp(arg, name) != 0)
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, _("watchkeep: option %s needs a value\n"), name);
		return "";
	}
	return argv[++*i];
}

const char *
cli_option_value(const char *name, int argc, char **argv, int *i)
{
	return cli_value(name, argc, argv, i);
}

static int
cli_is(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/*
 * Takes the path value of a shared option; example completes the message.
 * Returns NULL after printing a usage error when the value is missing or
 * empty.
 */
static const char *
cli_path_value(const char *name, const char *example, int argc, char **argv,
	       int *i)
{
	const char *value = cli_value(name, argc, argv, i);

	if (value[0] != '\0')
		return value;

	/* cli_value printed nothing for an empty separate argument: -c '' */
	if (value == argv[*i])
		fprintf(stderr, _("watchkeep: option %s has the empty value \"\"; give a path, such as %s %s\n"),
		    name, name, example);
	return NULL;
}

int
cli_common_option(struct cli_common *common, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *value;
	enum log_level level;

	if (strcmp(arg, "-c") == 0 || cli_is(arg, "--config")) {
		value = cli_path_value(strcmp(arg, "-c") == 0 ? "-c" :
		    "--config", "watchkeep.json", argc, argv, i);
		common->config_path = value;
		return value != NULL ? 1 : -1;
	}
	if (cli_is(arg, "--state-dir")) {
		value = cli_path_value("--state-dir", "/var/lib/watchkeep", argc,
		    argv, i);
		common->state_dir = value;
		return value != NULL ? 1 : -1;
	}
	if (strcmp(arg, "--json") == 0) {
		common->json = 1;
		return 1;
	}
	if (cli_is(arg, "--log-level")) {
		value = cli_value("--log-level", argc, argv, i);
		if (log_parse_level(value, &level) < 0) {
			fprintf(stderr, _("watchkeep: invalid log level \"%s\"; "
			    "use debug, info, warn or error\n"), value);
			return -1;
		}
		log_min_level = level;
		common->log_level_set = 1;
		return 1;
	}
	if (strcmp(arg, "-v") == 0 || strcmp(arg, "-q") == 0) {
		log_min_level = arg[1] == 'v' ? LL_DEBUG : LL_WARN;
		common->log_level_set = 1;
		return 1;
	}
	return 0;
}

struct cfg *
cli_load_config(const struct cli_common *common)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	cfg = common->config_path != NULL ?
	    cfg_load_file(common->config_path, &err) : cfg_load_default(&err);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	if (!common->log_level_set)
		log_min_level = cfg->log_level;
	return cfg;
}

int
cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "watchkeep %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nRun `watchkeep %s --help` for the options.\n"),
	    command);
	return CLI_EXIT_USAGE;
}

struct store *
cli_open_store(const struct cli_common *common, struct cfg **cfg_out)
{
	struct wk_err err = { 0, "" };
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	struct statedir sd;
	struct stat st;

	if (common->config_path != NULL) {
		cfg = cli_load_config(common);
		if (cfg == NULL)
			return NULL;
	}
	if (statedir_resolve(&sd, common->state_dir, cfg, &err) != WK_OK)
		goto fail;
	if (stat(sd.store_path, &st) != 0) {
		wk_err_set(&err, WK_ERR_NOTFOUND, _("no runs yet: %s does not "
		    "exist; start one with `watchkeep run --once`"),
		    sd.store_path);
		goto fail;
	}
	if (store_open(sd.store_path, STORE_READ_ONLY, &store, &err) != WK_OK)
		goto fail;
	if (cfg_out != NULL)
		*cfg_out = cfg;
	else
		cfg_free(cfg);
	return store;

fail:
	fprintf(stderr, "watchkeep: %s\n", err.msg);
	cfg_free(cfg);
	return NULL;
}

#define CLI_PIPELINES_MAX 64   /* pipeline names listed in an error */

/*
 * Writes the hint for name (namehint_write()) among cfg's pipelines and
 * those with runs, names[0..n-1], at most CLI_PIPELINES_MAX of them.
 */
static void
cli_pipelines_hint(char *out, size_t cap, const struct cfg *cfg,
		   const char *name, char (*names)[STORE_NAME_MAX], size_t n)
{
	const char *list[CFG_MAX_PIPELINES + CLI_PIPELINES_MAX];
	char (*shown)[STORE_NAME_MAX * 2] = calloc(CLI_PIPELINES_MAX,
	    sizeof *shown);
	size_t i, count = 0;

	for (i = 0; cfg != NULL && i < cfg->n_pipelines; i++)
		list[count++] = cfg->pipelines[i].name;
	for (i = 0; shown != NULL && i < n && i < CLI_PIPELINES_MAX; i++) {
		if (cfg != NULL && cfg_find_pipeline(cfg, names[i]) != NULL)
			continue;
		text_sanitize(names[i], strlen(names[i]), shown[i],
		    sizeof shown[i]);
		list[count++] = shown[i];
	}
	namehint_write(out, cap, NAMEHINT_PIPELINES, name, list, count);
	free(shown);
}

int
cli_check_pipeline(const char *command, struct store *store,
		   const struct cfg *cfg, const char *pipeline)
{
	char (*names)[STORE_NAME_MAX] = NULL;
	char shown[STORE_NAME_MAX * 2], hint[NAMEHINT_MSG_MAX];
	size_t n = 0, i;
	int code = CLI_EXIT_FAILED;

	if (pipeline == NULL)
		return CLI_EXIT_OK;
	if (cfg != NULL && cfg_find_pipeline(cfg, pipeline) != NULL)
		return CLI_EXIT_OK;

	names = calloc(CLI_PIPELINES_MAX, sizeof *names);
	if (names == NULL || (store != NULL && store_logs_pipelines(store,
	    names, CLI_PIPELINES_MAX, &n) != WK_OK)) {
		fprintf(stderr, _("watchkeep %s: reading the store failed\n"),
		    command);
		code = CLI_EXIT_STATE;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], pipeline) == 0) {
			code = CLI_EXIT_OK;
			goto out;
		}
	}
	text_sanitize(pipeline, strlen(pipeline), shown, sizeof shown);
	cli_pipelines_hint(hint, sizeof hint, cfg, pipeline, names, n);
	fprintf(stderr, _("watchkeep %s: no pipeline named \"%s\" in the "
	    "configuration or in the store's runs; %s\n"), command, shown,
	    hint);

out:
	free(names);
	return code;
}
