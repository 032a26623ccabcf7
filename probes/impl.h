/*
 * The interface between the probe types (probes/http.c, tcp.c, ...) and
 * the engine (probes/engine.c): the per-probe record, the engine's fields
 * the types use, and the functions every type implements.
 *
 * A check starts with ops->start(). It ends when the type calls
 * probe_report(), from start() itself or later from a loop callback. When
 * the probe's timeout passes first, the engine calls ops->cancel(), after
 * which the type must not report that check.
 */
#ifndef WK_PROBE_IMPL_H
#define WK_PROBE_IMPL_H

#include <stdint.h>

#include "core/config_probes.h"
#include "core/store_probes.h"
#include "probes/curlev.h"
#include "probes/probe.h"
#include "probes/sched.h"

struct probe;

/* The functions of one probe type. */
struct probe_type_ops {
	/* Prepares p->impl once; fills err on failure. */
	int (*init)(struct probe *p, struct wk_err *err);
	/* Starts a check; ends with probe_report(). */
	void (*start)(struct probe *p);
	/* Abandons the running check; NULL for checks that never wait. */
	void (*cancel)(struct probe *p);
	/* Frees p->impl; the check is not running. */
	void (*fini)(struct probe *p);
};

extern const struct probe_type_ops probe_http_ops;
extern const struct probe_type_ops probe_tcp_ops;
extern const struct probe_type_ops probe_exec_ops;
extern const struct probe_type_ops probe_file_ops;
extern const struct probe_type_ops probe_disk_ops;
extern const struct probe_type_ops probe_process_ops;
extern const struct probe_type_ops probe_push_ops;

/* One configured probe and its state. */
struct probe {
	struct probe_engine *engine;     /* the engine, not owned */
	const struct cfg_probe *cfg;     /* its configuration, borrowed */
	const struct probe_type_ops *ops;
	void *impl;                      /* the type's state, owned by ops */
	int selected;                    /* runs (probe_engine_select) */
	int running;                     /* a check is in flight */
	int64_t start_ns;                /* monotonic start of the check */
	int64_t start_wall_ms;           /* wall-clock start of the check */
	int64_t due_ns;                  /* monotonic time of the next check */
	uint64_t run_timer;              /* ev timer of the next check, or 0 */
	uint64_t timeout_timer;          /* ev timer of the timeout, or 0 */
	struct probe_window window;      /* the last results */
	enum probe_state state;          /* current state */
	int64_t since_ms;                /* wall ms of the last change; 0 */
	int64_t checked_at;              /* wall ms of the last result; 0 */
	int last_ok;                     /* last result, -1 before the first */
	double last_latency_ms;          /* last result, -1: not measured */
	char detail[PROBE_DETAIL_MAX];   /* last result's detail */
	int dirty;                       /* state not yet written */
	uint64_t checks;                 /* results since the start */
};

/* A result waiting to be written. */
struct probe_pending {
	const char *probe;              /* name, borrowed from the config */
	int64_t at;                     /* wall ms, start of the check */
	int ok;                         /* 1 up, 0 down */
	double latency_ms;              /* -1: not measured */
	char detail[PROBE_DETAIL_MAX];  /* copy of the detail */
};

struct probe_engine {
	struct ev_loop *loop;            /* the agent's loop, not owned */
	struct store *store;             /* not owned; NULL: nothing kept */
	const struct cfg *cfg;           /* not owned */
	struct probe *probes;            /* owned, in configuration order */
	size_t n_probes;                 /* entries in probes */
	struct probe_curl *curl;         /* owned; NULL without http probes */
	char curl_error[WK_ERR_MSG_MAX]; /* why libcurl could not be set up;
					    "" before a failure */
	probe_listener_fn listeners[PROBE_MAX_LISTENERS];
	void *listener_args[PROBE_MAX_LISTENERS];
	size_t n_listeners;              /* entries in listeners */
	struct probe_pending *pending;   /* owned, PROBE_BATCH_MAX entries */
	size_t n_pending;                /* results waiting in pending */
	struct store_probe_state *states;  /* owned scratch, n_probes entries */
	uint64_t flush_timer;            /* ev timer of the next write, or 0 */
	uint64_t prune_timer;            /* ev timer of the next pruning, or 0 */
	size_t prune_cursor;             /* next probe to prune */
	uint64_t rng;                    /* state of probe_rng_next() */
	int once;                        /* probe_engine_check_once() mode */
	int started;                     /* start or check_once was called */
	int64_t started_wall_ms;         /* wall ms of the start */
	uint64_t store_errors;           /* failed writes, for rate-limited logs */
};

/*
 * Ends the running check of p with its result: ok 1 or 0, the latency in
 * milliseconds (negative: not measured) and a printf-style detail for
 * people. Ignored when no check is running.
 */
void probe_report(struct probe *p, int ok, double latency_ms,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Starts a check of p now, with its timeout; logs and skips it when one is
 * still running.
 */
void probe_check_now(struct probe *p);

/* Returns the milliseconds the running check of p has taken so far. */
double probe_elapsed_ms(const struct probe *p);

/* Returns the number of exec children started and not yet reaped. */
size_t probe_exec_live(void);

/*
 * Handles a push ping for p (a push probe): checks the token, records the
 * ping and evaluates the probe. Returns WK_OK or WK_ERR_INVALID.
 */
int probe_push_handle(struct probe *p, const char *token,
		      enum probe_ping kind);

/* Loads the token and pings of push probe p kept in store. */
void probe_push_import(struct probe *p, struct store *store);

/* Returns the effective token of push probe p. */
const char *probe_push_current_token(const struct probe *p);

#endif
