/*
 * `watchkeep top`: the on-call terminal UI. It shows the current or last
 * run, the SLOs, the firing alerts, the probes and the growth forecasts
 * in one screen, with views for run history, run detail, stage logs,
 * alerts, probes and SLO detail.
 *
 * The TUI reads the store read-only, in one short read transaction a
 * refresh, and acts only through the callbacks of struct tui_actions,
 * which the agent's `top` subcommand builds on the control socket. It
 * includes core and ncursesw only.
 */
#ifndef WK_TUI_H
#define WK_TUI_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"

/*
 * Requests to the running agent. Each returns WK_OK, or an error with err
 * filled in a sentence to show. A NULL member disables that action.
 */
struct tui_actions {
	void *ctx;  /* passed to every callback */
	/* re-runs from_stage of run_id and what depends on it */
	int (*rerun)(void *ctx, const char *pipeline, int64_t run_id,
		     const char *from_stage, struct wk_err *err);
	/* cancels a run in progress */
	int (*cancel)(void *ctx, int64_t run_id, struct wk_err *err);
	/* starts a run of pipeline now; sets *run_id (0 when queued) */
	int (*run_now)(void *ctx, const char *pipeline, int64_t *run_id,
		       struct wk_err *err);
	/* acknowledges the firing alert with this fingerprint */
	int (*ack)(void *ctx, const char *fingerprint, const char *comment,
		   struct wk_err *err);
	/*
	 * silences alerts whose labels equal every label of labels_json (a
	 * JSON object of strings) for duration_ms; sets *id
	 */
	int (*silence)(void *ctx, const char *labels_json, int64_t duration_ms,
		       const char *comment, int64_t *id, struct wk_err *err);
	/* ends a silence */
	int (*unsilence)(void *ctx, int64_t id, struct wk_err *err);
	/* drops every queued run of pipeline; sets *dropped */
	int (*cancel_queued)(void *ctx, const char *pipeline, size_t *dropped,
			     struct wk_err *err);
};

/* Options of the TUI, set by `watchkeep top`. */
struct tui_opts {
	const char *store_path;         /* the store, opened read-only */
	const struct cfg *cfg;          /* pipelines, SLOs, probes; borrowed */
	const struct tui_actions *actions; /* NULL: every action is off */
	int read_only;                  /* --read-only: every action is off */
	int no_color;                   /* --no-color or NO_COLOR set */
	int ascii;                      /* draw bars and lines in ASCII */
	long bench_frames;              /* > 0: render this many frames into
					   a virtual screen, print the CPU
					   time a frame and exit */
};

/*
 * Runs the TUI on the terminal until the user quits. Returns 0, or 1 with
 * a message on stderr when the terminal cannot be used.
 */
int tui_main(const struct tui_opts *opts);

#endif
