#include "pipeline/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"

#define CLI_MAX_OPTS 32     /* options in one subcommand */
#define CLI_HELP_COLUMN 32  /* column where the help text of options starts */
#define CLI_LINE_WIDTH 79   /* columns of a usage line */

static const struct cli_opt *
cli_find(const struct cli_cmd *cmd, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cmd->n_opts; i++) {
		if (strlen(cmd->opts[i].name) == len &&
		    strncmp(cmd->opts[i].name, name, len) == 0)
			return &cmd->opts[i];
	}
	return NULL;
}

static int
cli_store_number(const struct cli_cmd *cmd, const struct cli_opt *opt,
		 const char *value, struct wk_err *err)
{
	char *end;

	errno = 0;
	if (opt->kind == CLI_DOUBLE) {
		double d = strtod(value, &end);

		if (end != value && *end == '\0' && errno == 0 && isfinite(d)) {
			*(double *)opt->dest = d;
			return WK_OK;
		}
	} else {
		unsigned long long u = strtoull(value, &end, 10);

		if (value[0] >= '0' && value[0] <= '9' && *end == '\0' &&
		    errno == 0) {
			*(uint64_t *)opt->dest = u;
			return WK_OK;
		}
	}
	return wk_err_set(err, WK_ERR_INVALID,
	    _("churn %s: --%s '%s' is not %s; write it like %s"), cmd->name,
	    opt->name, value,
	    opt->kind == CLI_DOUBLE ? _("a decimal number") :
	    _("a non-negative integer"),
	    opt->kind == CLI_DOUBLE ? "0.25" : "42");
}

static int
cli_store(const struct cli_cmd *cmd, const struct cli_opt *opt,
	  const char *value, struct wk_err *err)
{
	switch (opt->kind) {
	case CLI_STRING:
		*(const char **)opt->dest = value;
		return WK_OK;
	case CLI_FLAG:
		*(bool *)opt->dest = true;
		return WK_OK;
	case CLI_DOUBLE:
	case CLI_UINT:
		break;
	}
	return cli_store_number(cmd, opt, value, err);
}

/*
 * Parses the option at argv[*i], taking its value from "=VALUE" or from
 * the next argument, and advances *i past what it used.
 */
static int
cli_parse_one(const struct cli_cmd *cmd, int argc, char **argv, int *i,
	      bool *seen, struct wk_err *err)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const struct cli_opt *opt = cli_find(cmd, arg, len);
	const char *value = eq != NULL ? eq + 1 : NULL;

	if (opt == NULL)
		return wk_err_set(err, WK_ERR_INVALID,
		    _("churn %s: unknown option '%s'"), cmd->name, argv[*i]);
	if (seen[opt - cmd->opts])
		return wk_err_set(err, WK_ERR_INVALID,
		    _("churn %s: --%s is given twice; give it once"),
		    cmd->name, opt->name);
	seen[opt - cmd->opts] = true;

	if (opt->kind == CLI_FLAG) {
		if (value != NULL)
			return wk_err_set(err, WK_ERR_INVALID,
			    _("churn %s: --%s takes no value"), cmd->name,
			    opt->name);
		return cli_store(cmd, opt, NULL, err);
	}
	if (value == NULL && *i + 1 >= argc)
		return wk_err_set(err, WK_ERR_INVALID,
		    _("churn %s: --%s needs a value (%s)"), cmd->name,
		    opt->name, opt->metavar);
	if (value == NULL)
		value = argv[++*i];
	return cli_store(cmd, opt, value, err);
}

static int
cli_check_required(const struct cli_cmd *cmd, const bool *seen,
		   struct wk_err *err)
{
	size_t i;

	for (i = 0; i < cmd->n_opts; i++) {
		if (cmd->opts[i].required && !seen[i])
			return wk_err_set(err, WK_ERR_INVALID,
			    _("churn %s: --%s %s is required"), cmd->name,
			    cmd->opts[i].name, cmd->opts[i].metavar);
	}
	return WK_OK;
}

int
cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	  struct wk_err *err)
{
	bool seen[CLI_MAX_OPTS] = { false };
	int i, rc;

	if (cmd->n_opts > CLI_MAX_OPTS)
		return wk_err_set(err, WK_ERR_LIMIT, _("churn %s: %zu options, "
		    "more than the %d the parser takes"), cmd->name,
		    cmd->n_opts, CLI_MAX_OPTS);

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_usage(stdout, cmd);
			return CLI_HELP;
		}
	}
	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
			return wk_err_set(err, WK_ERR_INVALID,
			    _("churn %s: unexpected argument '%s'; every value "
			    "follows its option, like --output FILE"), cmd->name,
			    argv[i]);
		rc = cli_parse_one(cmd, argc, argv, &i, seen, err);
		if (rc != WK_OK)
			return rc;
	}
	return cli_check_required(cmd, seen, err);
}

/*
 * Prints text from column CLI_HELP_COLUMN on, breaking lines between words
 * before CLI_LINE_WIDTH. The cursor is at column *col and ends there.
 */
static void
cli_print_wrapped(FILE *out, const char *text, size_t *col)
{
	while (*text != '\0') {
		size_t word = strcspn(text, " ");

		if (*col > CLI_HELP_COLUMN && *col + 1 + word > CLI_LINE_WIDTH) {
			fprintf(out, "\n%*s", CLI_HELP_COLUMN, "");
			*col = CLI_HELP_COLUMN;
		} else if (*col > CLI_HELP_COLUMN) {
			fputc(' ', out);
			(*col)++;
		}
		fprintf(out, "%.*s", (int)word, text);
		*col += word;
		text += word;
		text += strspn(text, " ");
	}
}

static void
cli_usage_entry(FILE *out, const char *head, const char *help,
		const char *extra)
{
	size_t col = CLI_HELP_COLUMN;

	fprintf(out, "  %-*s ", CLI_HELP_COLUMN - 3, head);
	if (strlen(head) > CLI_HELP_COLUMN - 3)
		fprintf(out, "\n%*s", CLI_HELP_COLUMN, "");
	cli_print_wrapped(out, help, &col);
	cli_print_wrapped(out, extra, &col);
	fputc('\n', out);
}

void
cli_usage(FILE *out, const struct cli_cmd *cmd)
{
	size_t i;

	fprintf(out, _("Usage: churn %s [OPTION]...\n%s\n\nOptions:\n"),
	    cmd->name, _(cmd->summary));
	for (i = 0; i < cmd->n_opts; i++) {
		const struct cli_opt *opt = &cmd->opts[i];
		char head[96];

		snprintf(head, sizeof head, "--%s%s%s", opt->name,
		    opt->metavar != NULL ? " " : "",
		    opt->metavar != NULL ? opt->metavar : "");
		cli_usage_entry(out, head, _(opt->help),
		    opt->required ? _("(required)") : "");
	}
	cli_usage_entry(out, "--help", _("print this help and exit"), "");
}

int
cli_duration(const char *opt, const char *text, int64_t *ms,
	     struct wk_err *err)
{
	const char *reason;
	size_t offset;

	if (clk_parse_duration(text, ms, &offset, &reason) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID,
		    _("--%s '%s' is not a duration (%s at character %zu); "
		    "write it like 273d, 36h or 2w"), opt, text, _(reason),
		    offset + 1);
	return WK_OK;
}

int
cli_date(const char *opt, const char *text, int64_t *days,
	 struct wk_err *err)
{
	if (clk_parse_date(text, days) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID,
		    _("--%s '%s' is not a valid date; write it as YYYY-MM-DD, "
		    "like 1997-09-30"), opt, text);
	return WK_OK;
}
