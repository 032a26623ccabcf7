/*
 * `watchkeep ack`, `silence` and `unsilence`: act on alerts through the
 * agent's control socket (the alert state lives in the running agent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/clientctl.h"
#include "core/clock.h"
#include "core/i18n.h"

#define ACK_MATCHERS_MAX 16

struct ack_opts {
	struct cli_common common;
	const char *args[ACK_MATCHERS_MAX];  /* positional arguments */
	size_t n_args;
	const char *comment;                 /* --comment */
	const char *duration;                /* --for */
};

static void
ack_help(const char *command)
{
	if (strcmp(command, "ack") == 0)
		printf("%s", _(
		    "Usage: watchkeep ack FINGERPRINT [--comment TEXT]\n"
		    "\n"
		    "Acknowledges a firing alert (a unique prefix of its fingerprint,\n"
		    "as `watchkeep alerts` lists it): its reminders stop until it\n"
		    "resolves. Needs a running agent; the action is audited.\n"));
	else if (strcmp(command, "silence") == 0)
		printf("%s", _(
		    "Usage: watchkeep silence MATCHER... --for DURATION [--comment TEXT]\n"
		    "\n"
		    "Silences the alerts whose labels match every MATCHER (name=value,\n"
		    "name!=value or name=~regex, such as pipeline=churn) for DURATION\n"
		    "(\"30m\", \"2h\"). Prints the silence id. Needs a running agent.\n"));
	else
		printf("%s", _(
		    "Usage: watchkeep unsilence ID [--comment TEXT]\n"
		    "\n"
		    "Ends a silence before its time. Needs a running agent.\n"));
}

static int
ack_parse(const char *command, int argc, char **argv, struct ack_opts *o)
{
	const char *value;
	int i, r;

	for (i = 1; i < argc; i++) {
		r = cli_common_option(&o->common, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ack_help(command);
			return -1;
		}
		if ((value = cli_option_value("--comment", argc, argv, &i)) !=
		    NULL)
			o->comment = value;
		else if ((value = cli_option_value("--for", argc, argv,
		    &i)) != NULL)
			o->duration = value;
		else if (argv[i][0] == '-')
			return cli_usage_error(command, _("unknown option %s"),
			    argv[i]);
		else if (o->n_args < ACK_MATCHERS_MAX)
			o->args[o->n_args++] = argv[i];
		else
			return cli_usage_error(command, _("at most %d matchers"),
			    ACK_MATCHERS_MAX);
	}
	return CLI_EXIT_OK;
}

/* Sends a request; prints the agent's error. Returns the exit status. */
static int
ack_send(const struct ack_opts *o, json_t *request, json_t **answer)
{
	struct wk_err err = { 0, "" };
	int rc;

	if (o->comment != NULL)
		json_object_set_new(request, "comment",
		    json_string(o->comment));
	rc = clientctl_request(&o->common, request, answer, &err);
	json_decref(request);
	if (rc == WK_ERR_NOTFOUND) {
		fprintf(stderr, _("watchkeep: no agent runs on this state "
		    "directory; alerts are handled by the running agent\n"));
		return CLI_EXIT_FAILED;
	}
	if (rc != WK_OK) {
		fprintf(stderr, "watchkeep: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	if (!json_is_true(json_object_get(*answer, "ok"))) {
		fprintf(stderr, "watchkeep: %s\n", json_string_value(
		    json_object_get(*answer, "error")));
		json_decref(*answer);
		*answer = NULL;
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

int
cmd_ack(int argc, char **argv)
{
	json_t *answer = NULL;
	struct ack_opts o;
	int code;

	memset(&o, 0, sizeof o);
	code = ack_parse("ack", argc, argv, &o);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.n_args != 1)
		return cli_usage_error("ack", _("give one FINGERPRINT"));
	code = ack_send(&o, json_pack("{s:s, s:s}", "command", "ack",
	    "fingerprint", o.args[0]), &answer);
	if (code == CLI_EXIT_OK)
		printf(_("alert %s acknowledged\n"), o.args[0]);
	json_decref(answer);
	return code;
}

int
cmd_silence(int argc, char **argv)
{
	const char *reason = NULL;
	json_t *answer = NULL, *list;
	struct ack_opts o;
	int64_t ms = 0;
	size_t bad = 0, i;
	int code;

	memset(&o, 0, sizeof o);
	code = ack_parse("silence", argc, argv, &o);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.n_args == 0 || o.duration == NULL)
		return cli_usage_error("silence", _("give at least one MATCHER "
		    "and --for DURATION"));
	if (clk_parse_duration(o.duration, &ms, &bad, &reason) != WK_OK ||
	    ms == 0)
		return cli_usage_error("silence", _("invalid duration \"%s\": "
		    "%s"), o.duration, reason != NULL ? _(reason) :
		    _("it must be longer than 0"));
	list = json_array();
	for (i = 0; i < o.n_args; i++)
		json_array_append_new(list, json_string(o.args[i]));
	code = ack_send(&o, json_pack("{s:s, s:o, s:I}", "command", "silence",
	    "matchers", list, "duration_ms", (json_int_t)ms), &answer);
	if (code == CLI_EXIT_OK)
		printf(_("silence %lld created for %s\n"), (long long)
		    json_integer_value(json_object_get(answer, "id")),
		    o.duration);
	json_decref(answer);
	return code;
}

int
cmd_unsilence(int argc, char **argv)
{
	json_t *answer = NULL;
	struct ack_opts o;
	char *end;
	long long id;
	int code;

	memset(&o, 0, sizeof o);
	code = ack_parse("unsilence", argc, argv, &o);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.n_args != 1)
		return cli_usage_error("unsilence", _("give one silence ID"));
	errno = 0;
	id = strtoll(o.args[0], &end, 10);
	if (*end != '\0' || id <= 0 || errno == ERANGE)
		return cli_usage_error("unsilence", _("invalid silence id "
		    "\"%s\""), o.args[0]);
	code = ack_send(&o, json_pack("{s:s, s:I}", "command", "unsilence",
	    "id", (json_int_t)id), &answer);
	if (code == CLI_EXIT_OK)
		printf(_("silence %lld ended\n"), id);
	json_decref(answer);
	return code;
}
