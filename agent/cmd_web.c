/*
 * `watchkeep web`: serves the web page, the JSON API and /metrics from a
 * store without an agent, such as a copy made by `watchkeep backup`, and
 * `watchkeep web --hash-password` for the "password_hash" of a web user.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/statedir.h"
#include "core/i18n.h"
#include "core/log.h"
#include "web/web.h"

#define WEB_PASSWORD_MAX 512   /* bytes of a password read */

struct web_cli {
	struct cli_common common;
	const char *db;            /* --db, or NULL: the state directory's */
	const char *listen;        /* --listen, or NULL */
	int hash_password;         /* --hash-password */
};

static void
web_help(void)
{
	printf("%s", _(
	    "Usage: watchkeep web [OPTIONS]\n"
	    "\n"
	    "Serves the web page, the JSON API (/api/v1/) and /metrics from a\n"
	    "store, read-only, until SIGINT or SIGTERM. The agent serves the\n"
	    "same pages itself; use this command on a copy of the store made\n"
	    "with `watchkeep backup`. Push pings are not accepted here.\n"
	    "\n"
	    "Options:\n"
	    "  --db FILE           the store to serve (default: the state\n"
	    "                      directory's store.db)\n"
	    "  --listen HOST:PORT  address (default: \"web\".\"listen\" of the\n"
	    "                      configuration, else 127.0.0.1:8470); an\n"
	    "                      address other than loopback needs users or\n"
	    "                      tokens under \"web\".\"auth\"\n"
	    "  -c, --config FILE   configuration: objectives, timeouts and the\n"
	    "                      \"web\" section\n"
	    "  --state-dir DIR     state directory, for its store\n"
	    "  --hash-password     read a password on standard input and print\n"
	    "                      its yescrypt hash for \"password_hash\"\n"));
}

static int
web_parse(int argc, char **argv, struct web_cli *o)
{
	const char *v;
	int i, n;

	for (i = 1; i < argc; i++) {
		n = cli_common_option(&o->common, argc, argv, &i);
		if (n < 0)
			return CLI_EXIT_USAGE;
		if (n > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			web_help();
			return -1;
		}
		if ((v = cli_option_value("--db", argc, argv, &i)) != NULL)
			o->db = v;
		else if ((v = cli_option_value("--listen", argc, argv, &i)) !=
		    NULL)
			o->listen = v;
		else if (strcmp(argv[i], "--hash-password") == 0)
			o->hash_password = 1;
		else
			return cli_usage_error("web", _("unexpected argument %s"),
			    argv[i]);
		if (v != NULL && v[0] == '\0')
			return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Reads one line from standard input, without echo on a terminal. */
static int
read_password(char *out, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	char *nl;

	if (tty) {
		fprintf(stderr, "%s", _("Password: "));
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(out, (int)size, stdin) == NULL)
		out[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	nl = strchr(out, '\n');
	if (nl != NULL)
		*nl = '\0';
	return out[0] != '\0' ? 0 : -1;
}

static int
web_hash(void)
{
	char password[WEB_PASSWORD_MAX], hash[256];
	struct wk_err err = { 0, "" };
	int rc;

	if (read_password(password, sizeof password) != 0) {
		fprintf(stderr, "%s\n", _("watchkeep web: no password given on standard input"));
		return CLI_EXIT_USAGE;
	}
	rc = web_hash_password(password, hash, sizeof hash, &err);
	explicit_bzero(password, sizeof password);
	if (rc != WK_OK) {
		fprintf(stderr, "watchkeep web: %s\n", err.msg);
		return CLI_EXIT_FAILED;
	}
	printf("%s\n", hash);
	return CLI_EXIT_OK;
}

/* Finds the store: --db, else the state directory's. */
static int
web_store_path(const struct web_cli *o, const struct cfg *cfg, char *out,
	       size_t size)
{
	struct wk_err err = { 0, "" };
	struct statedir sd;
	struct stat st;

	if (o->db != NULL) {
		snprintf(out, size, "%s", o->db);
	} else if (statedir_resolve(&sd, o->common.state_dir, cfg, &err) ==
	    WK_OK) {
		snprintf(out, size, "%s", sd.store_path);
	} else {
		fprintf(stderr, "watchkeep web: %s\n", err.msg);
		return CLI_EXIT_STATE;
	}
	if (stat(out, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, _("watchkeep web: no store at %s; give --db FILE, a copy made with `watchkeep backup`\n"),
		    out);
		return CLI_EXIT_STATE;
	}
	return CLI_EXIT_OK;
}

/* Serves until SIGINT or SIGTERM, which every thread leaves blocked. */
static int
web_serve(const struct web_cli *o, struct cfg *cfg, const char *path)
{
	struct wk_err err = { 0, "" };
	struct web_server *w = NULL;
	struct web_opts opts;
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&opts, 0, sizeof opts);
	opts.store_path = path;
	opts.cfg = cfg;
	opts.mode = "standalone";
	opts.listen = o->listen;
	if (web_start(&opts, &w, &err) != WK_OK) {
		fprintf(stderr, "watchkeep %s\n", err.msg);
		return err.rc == WK_ERR_INVALID ? CLI_EXIT_CONFIG : CLI_EXIT_STATE;
	}
	fprintf(stderr, _("watchkeep web: serving %s on port %d; stop with Ctrl-C\n"),
	    path, web_port(w));
	sigwait(&set, &sig);
	LOG(LL_INFO, _("web: received %s; stopping"), strsignal(sig));
	web_stop(w);
	web_text_cleanup();
	return CLI_EXIT_OK;
}

int
cmd_web(int argc, char **argv)
{
	struct web_cli o;
	struct cfg *cfg = NULL;
	char path[PATH_MAX + 32];
	int code;

	memset(&o, 0, sizeof o);
	code = web_parse(argc, argv, &o);
	if (code != CLI_EXIT_OK)
		return code < 0 ? CLI_EXIT_OK : code;
	if (o.hash_password)
		return web_hash();
	if (o.common.config_path != NULL &&
	    (cfg = cli_load_config(&o.common)) == NULL)
		return CLI_EXIT_CONFIG;
	code = web_store_path(&o, cfg, path, sizeof path);
	if (code != CLI_EXIT_OK) {
		cfg_free(cfg);
		return code;
	}
	if (cfg != NULL)
		log_min_level = cfg->log_level;
	return web_serve(&o, cfg, path);
}
