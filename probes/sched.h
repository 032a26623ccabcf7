/*
 * The arithmetic of the probe engine, kept free of I/O so that tests can
 * drive it: a small random number generator, check times with jitter, and
 * the thresholds that turn a window of results into a state.
 */
#ifndef WK_PROBE_SCHED_H
#define WK_PROBE_SCHED_H

#include <stdint.h>

#include "core/config_probes.h"
#include "probes/probe.h"

/* Spread of the first checks after a start, at most. */
#define PROBE_FIRST_SPREAD_NS (INT64_C(60) * 1000000000)

/* The last results of a probe: bit i is the result i checks ago. */
struct probe_window {
	uint64_t ok_bits;  /* bit set: that check succeeded */
	unsigned len;      /* results held, at most 64 */
};

/* Returns the next value of a xorshift64* generator; *state must not be 0. */
uint64_t probe_rng_next(uint64_t *state);

/* Returns a value drawn uniformly from [lo, hi] (lo when hi <= lo). */
int64_t probe_rng_range(uint64_t *state, int64_t lo, int64_t hi);

/*
 * Returns the time of a probe's first check after now_ns: uniform in
 * [now, now + min(interval, PROBE_FIRST_SPREAD_NS)), so that many probes
 * do not start together.
 */
int64_t probe_sched_first(int64_t now_ns, int64_t interval_ns, uint64_t *rng);

/*
 * Returns the time of the check after the one due at prev_ns: prev_ns +
 * interval + a jitter drawn uniformly from [-jitter, +jitter]. When that
 * time has already passed at now_ns (the loop was held up), the missed
 * checks are skipped and the next one is due within jitter of now.
 */
int64_t probe_sched_next(int64_t prev_ns, int64_t now_ns, int64_t interval_ns,
			 int64_t jitter_ns, uint64_t *rng);

/* Adds a result to the window, dropping the oldest past 64. */
void probe_window_push(struct probe_window *w, int ok);

/* Counts the results equal to ok among the last n of the window. */
unsigned probe_window_count(const struct probe_window *w, unsigned n, int ok);

/*
 * Returns the state after the latest result of w. A failure makes the
 * probe down when at least failure_threshold of the last failure_window
 * results failed. A success makes it up when at least success_threshold
 * of the last success_window succeeded. Otherwise the state stays.
 */
enum probe_state probe_state_next(enum probe_state cur,
				  const struct probe_window *w,
				  const struct cfg_probe *cfg);

#endif
