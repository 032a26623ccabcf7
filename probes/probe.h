/*
 * The probe engine: runs the configured liveness probes on the agent's
 * event loop (agent/ev.h), turns their results into a state per probe
 * (up, down or unknown) with thresholds against flapping, records every
 * result in the store's probe_results table, and calls listeners on
 * state changes.
 *
 * Nothing here blocks the loop: HTTP checks run through libcurl's multi
 * interface on the loop's descriptors and timers, TCP checks connect
 * without blocking, exec checks are child processes in their own process
 * group, and file, disk and process checks are a few system calls. Each
 * check has a timeout, so a hanging target delays only its own probe.
 *
 * Lifetime: the configuration passed to probe_engine_new() must outlive
 * the engine. To shut down, call probe_engine_stop(), run the loop until
 * probe_engine_busy() returns 0 (killed exec checks are reaped there), and
 * call probe_engine_free().
 */
#ifndef WK_PROBE_H
#define WK_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/ev.h"
#include "core/config.h"
#include "core/rc.h"
#include "core/store.h"

#define PROBE_DETAIL_MAX 256      /* bytes of a result's detail, with NUL */
#define PROBE_MAX_LISTENERS 8     /* callbacks on state changes */

/* The state of a probe. */
enum probe_state {
	PROBE_UNKNOWN = 0,  /* no threshold reached yet */
	PROBE_UP = 1,
	PROBE_DOWN = 2
};

/* The kind of a push ping, taken from the URL that the job calls. */
enum probe_ping {
	PROBE_PING_START,    /* the job started */
	PROBE_PING_SUCCESS,  /* the job finished successfully */
	PROBE_PING_FAIL      /* the job failed */
};

/* A snapshot of one probe, valid until the engine runs again. */
struct probe_status {
	const char *name;        /* probe name */
	const char *type;        /* "http", "tcp", ... */
	enum probe_state state;  /* current state */
	int64_t since;           /* ms since epoch of the last change; 0: none */
	int64_t checked_at;      /* ms since epoch, start of the last check */
	int ok;                  /* last result: 1 up, 0 down, -1 none yet */
	double latency_ms;       /* last result, -1 when not measured */
	const char *detail;      /* last result's detail, "" when none */
	uint64_t checks;         /* results since the engine started */
};

/*
 * Called after a probe changed state (old_state -> status->state). It runs
 * on the loop and must not block; it may not free the engine.
 */
typedef void (*probe_listener_fn)(void *arg, const struct probe_status *status,
				  enum probe_state old_state);

struct probe_engine;

/*
 * Creates an engine for the probes of cfg (none when the section is
 * absent). store may be NULL: results are then not recorded and push
 * tokens that are not configured are not kept across restarts. With a
 * store, the last known states are loaded from it. Returns NULL with err
 * filled on failure.
 */
struct probe_engine *probe_engine_new(struct ev_loop *loop, struct store *store,
				      const struct cfg *cfg,
				      struct wk_err *err);

/*
 * Limits the engine to the named probes; call before starting. Returns
 * WK_ERR_NOTFOUND with err naming the first unknown name.
 */
int probe_engine_select(struct probe_engine *e, const char *const *names,
			size_t n, struct wk_err *err);

/* Adds a listener for state changes. Returns WK_ERR_LIMIT when full. */
int probe_engine_listen(struct probe_engine *e, probe_listener_fn fn,
			void *arg);

/*
 * Schedules every selected probe: the first checks are spread over the
 * first interval (at most a minute), the next ones follow every interval,
 * each moved by a random jitter. Also schedules the pruning of old
 * results.
 */
int probe_engine_start(struct probe_engine *e);

/*
 * Runs one check of every selected probe now, at the same time, and
 * schedules nothing after it. Each probe's state is then its one result:
 * thresholds do not apply. Wait for probe_engine_busy() to return 0.
 */
int probe_engine_check_once(struct probe_engine *e);

/* Returns the number of checks and exec children still running. */
size_t probe_engine_busy(const struct probe_engine *e);

/*
 * Cancels the timers and the running checks (exec children are killed
 * and reaped later by the loop) and writes the pending results.
 */
void probe_engine_stop(struct probe_engine *e);

/* Frees the engine; stops it first if needed. NULL is ignored. */
void probe_engine_free(struct probe_engine *e);

/* Returns the number of probes (selected or not). */
size_t probe_engine_count(const struct probe_engine *e);

/*
 * Fills *out with probe i (0 <= i < count). Returns 0 when probe i is not
 * selected, else 1.
 */
int probe_engine_status(const struct probe_engine *e, size_t i,
			struct probe_status *out);

/* Writes the pending results and states to the store now. */
int probe_engine_flush(struct probe_engine *e);

/*
 * Records a ping of the push probe called name, for the agent's web
 * server. token is compared in constant time. Returns WK_OK,
 * WK_ERR_NOTFOUND when no push probe has that name, or WK_ERR_INVALID
 * when the token does not match. The token is never logged.
 */
int probe_push_ping(struct probe_engine *e, const char *name,
		    const char *token, enum probe_ping kind);

/*
 * Copies the token of push probe name into out (size bytes), so that its
 * owner can be shown the URL to call. Returns WK_ERR_NOTFOUND when no push
 * probe has that name.
 */
int probe_push_token(const struct probe_engine *e, const char *name,
		     char *out, size_t size);

/*
 * Loads the tokens and the last pings of the push probes from store, which
 * may be open read-only, into an engine created without a store. A
 * one-off check then uses the pings that the running agent recorded.
 */
void probe_engine_import_push(struct probe_engine *e, struct store *store);

/* Returns "up", "down" or "unknown". */
const char *probe_state_name(enum probe_state state);

#endif
