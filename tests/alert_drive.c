/*
 * Drives the alert engine from a script on stdin, for the shell tests of
 * tests/integration/alert_*.sh. One command a line:
 *
 *   open CONFIG STORE       load the configuration, open the store and
 *                           start an engine on an event loop
 *   details FILE            details of the next fire commands
 *   fire SOURCE SEVERITY [NAME=VALUE...] [-- SUMMARY...]
 *   clear SOURCE [NAME=VALUE...]
 *   flap SOURCE SEVERITY N PERIOD_MS [NAME=VALUE...]
 *                           N times active for PERIOD_MS/2, then clear
 *   run MS                  run the loop for MS milliseconds
 *   wait-idle MS            run until the outbox is empty; fails after MS
 *   reconcile               call alert_reconcile() now
 *   restart                 free the engine and start a new one on the
 *                           same store, as a restarted agent does
 *   close                   free everything
 *
 * Each fire and clear prints "at MS" (wall clock) on stdout. Exits 1 at
 * the first command that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alert.h"
#include "agent/ev.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/i18n.h"
#include "core/store.h"

#define DRIVE_LINE_MAX 4096
#define DRIVE_DETAILS_MAX (1 << 20)

struct drive {
	struct cfg *cfg;              /* owned */
	struct store *store;          /* owned */
	struct ev_loop *loop;         /* owned */
	struct alert_engine *engine;  /* owned */
	char *details;                /* owned, or NULL */
};

static void
drive_stop(struct ev_loop *loop, void *arg)
{
	(void)arg;
	ev_stop(loop);
}

static void
drive_run(struct drive *d, int64_t ms)
{
	ev_timer_at(d->loop, clk_mono_ns() + ms * 1000000, drive_stop, NULL);
	ev_run(d->loop);
}

static int
drive_start(struct drive *d)
{
	struct wk_err err = { 0, "" };

	if (alert_engine_new(&d->cfg->alerting, d->store, clk_wall_ms(),
	    &d->engine, &err) != WK_OK ||
	    alert_engine_attach(d->engine, d->loop, &err) != WK_OK) {
		fprintf(stderr, "alert_drive: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
drive_open(struct drive *d, const char *config, const char *store)
{
	struct wk_err err = { 0, "" };

	d->cfg = cfg_load_file(config, &err);
	if (d->cfg == NULL ||
	    store_open(store, STORE_READ_WRITE, &d->store, &err) != WK_OK) {
		fprintf(stderr, "alert_drive: %s\n", err.msg);
		return -1;
	}
	d->loop = ev_loop_new();
	return d->loop != NULL ? drive_start(d) : -1;
}

/* Fills in from words: SOURCE [SEVERITY] NAME=VALUE... [-- SUMMARY]. */
static int
drive_input(struct drive *d, char **words, int n, int with_severity,
	    struct alert_input *in, char *summary, size_t size)
{
	int i = 1;

	memset(in, 0, sizeof *in);
	in->budget_left = -1;
	if (n < 1 || cfg_alert_source_find(words[0]) < 0)
		return -1;
	in->source = (enum alert_source)cfg_alert_source_find(words[0]);
	if (with_severity) {
		if (n < 2 || cfg_alert_severity_find(words[1]) < 0)
			return -1;
		in->severity = (enum alert_severity)
		    cfg_alert_severity_find(words[1]);
		i = 2;
	}
	summary[0] = '\0';
	for (; i < n; i++) {
		char *eq = strchr(words[i], '=');

		if (strcmp(words[i], "--") == 0) {
			for (i++; i < n; i++)
				snprintf(summary + strlen(summary),
				    size - strlen(summary), "%s%s",
				    summary[0] != '\0' ? " " : "", words[i]);
			break;
		}
		if (eq == NULL)
			return -1;
		*eq = '\0';
		if (alert_input_label(in, words[i], eq + 1) != WK_OK)
			return -1;
	}
	in->summary = summary[0] != '\0' ? summary : NULL;
	in->details = d->details;
	return 0;
}

static int
drive_set(struct drive *d, char **words, int n, int active)
{
	struct alert_input in;
	char summary[512];
	int64_t now = clk_wall_ms();

	if (drive_input(d, words, n, active, &in, summary, sizeof summary) != 0)
		return -1;
	printf("at %lld\n", (long long)now);
	fflush(stdout);
	return alert_set(d->engine, &in, active, now) == WK_OK ? 0 : -1;
}

static int
drive_flap(struct drive *d, char **words, int n)
{
	struct alert_input in;
	char summary[512];
	long times, period, i;

	if (n < 4)
		return -1;
	times = strtol(words[2], NULL, 10);
	period = strtol(words[3], NULL, 10);
	words[2] = words[0];
	words[3] = words[1];
	if (drive_input(d, words + 2, n - 2, 1, &in, summary,
	    sizeof summary) != 0)
		return -1;
	for (i = 0; i < times; i++) {
		alert_set(d->engine, &in, 1, clk_wall_ms());
		drive_run(d, period / 2);
		alert_set(d->engine, &in, 0, clk_wall_ms());
		drive_run(d, period - period / 2);
	}
	return 0;
}

static int
drive_wait_idle(struct drive *d, long ms)
{
	int64_t end = clk_wall_ms() + ms;

	while (clk_wall_ms() < end) {
		drive_run(d, 50);
		if (alert_engine_backlog(d->engine) == 0)
			return 0;
	}
	fprintf(stderr, "alert_drive: %zu messages still waiting after %ld "
	    "ms\n", alert_engine_backlog(d->engine), ms);
	return -1;
}

static int
drive_details(struct drive *d, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	free(d->details);
	d->details = calloc(1, DRIVE_DETAILS_MAX + 1);
	if (f == NULL || d->details == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	n = fread(d->details, 1, DRIVE_DETAILS_MAX, f);
	d->details[n] = '\0';
	fclose(f);
	return 0;
}

static void
drive_close(struct drive *d)
{
	alert_engine_free(d->engine);
	d->engine = NULL;
	store_close(d->store);
	d->store = NULL;
	ev_loop_free(d->loop);
	d->loop = NULL;
	cfg_free(d->cfg);
	d->cfg = NULL;
	free(d->details);
	d->details = NULL;
}

static int
drive_command(struct drive *d, char **w, int n)
{
	if (strcmp(w[0], "open") == 0 && n == 3)
		return drive_open(d, w[1], w[2]);
	if (d->engine == NULL)
		return -1;
	if (strcmp(w[0], "details") == 0 && n == 2)
		return drive_details(d, w[1]);
	if (strcmp(w[0], "fire") == 0)
		return drive_set(d, w + 1, n - 1, 1);
	if (strcmp(w[0], "clear") == 0)
		return drive_set(d, w + 1, n - 1, 0);
	if (strcmp(w[0], "flap") == 0)
		return drive_flap(d, w + 1, n - 1);
	if (strcmp(w[0], "run") == 0 && n == 2) {
		drive_run(d, strtol(w[1], NULL, 10));
		return 0;
	}
	if (strcmp(w[0], "wait-idle") == 0 && n == 2)
		return drive_wait_idle(d, strtol(w[1], NULL, 10));
	if (strcmp(w[0], "reconcile") == 0) {
		alert_reconcile(d->engine, clk_wall_ms());
		return 0;
	}
	if (strcmp(w[0], "restart") == 0) {
		alert_engine_free(d->engine);
		d->engine = NULL;
		return drive_start(d);
	}
	if (strcmp(w[0], "close") == 0) {
		drive_close(d);
		return 0;
	}
	return -1;
}

int
main(void)
{
	struct drive d;
	char line[DRIVE_LINE_MAX], *w[64], *save;
	int n;

	i18n_init();
	memset(&d, 0, sizeof d);
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		n = 0;
		for (w[n] = strtok_r(line, " \t", &save); w[n] != NULL && n < 63;
		     w[++n] = strtok_r(NULL, " \t", &save))
			continue;
		if (n == 0 || w[0][0] == '#')
			continue;
		if (drive_command(&d, w, n) != 0) {
			fprintf(stderr, "alert_drive: command failed: %s\n",
			    w[0]);
			drive_close(&d);
			return 1;
		}
	}
	drive_close(&d);
	return 0;
}
