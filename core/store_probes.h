/*
 * The store's probe tables: probe_results (one row a check), probe_state
 * (the current state of every probe) and probe_push (tokens and the last
 * pings of push probes). Times are milliseconds since the Unix epoch, UTC.
 *
 * Only the agent writes; these functions commit buffered log lines
 * (store_flush) before they write.
 */
#ifndef WK_STORE_PROBES_H
#define WK_STORE_PROBES_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

#define STORE_PROBE_NAME_MAX 64    /* bytes of a probe name, with NUL */
#define STORE_PROBE_TOKEN_MAX 129  /* bytes of a push token, with NUL */

/* One check's result, a row of probe_results. */
struct store_probe_result {
	const char *probe;   /* probe name, borrowed */
	int64_t at;          /* ms since epoch, when the check started */
	int ok;              /* 1 up, 0 down */
	double latency_ms;   /* negative: not measured (stored as NULL) */
	const char *detail;  /* borrowed; NULL or "" stored as NULL */
};

/* The current state of one probe, a row of probe_state. */
struct store_probe_state {
	char probe[STORE_PROBE_NAME_MAX];  /* probe name */
	char type[16];                     /* http, tcp, ... */
	char state[16];                    /* up, down or unknown */
	int64_t since;                     /* ms, when state last changed */
	int64_t checked_at;                /* ms, last result; 0: none */
	int ok;                            /* last result, -1: none */
	double latency_ms;                 /* last result, -1: none */
	char detail[STORE_TEXT_MAX];       /* last result's detail */
};

/* What the store keeps of a push probe. */
struct store_probe_push {
	char token[STORE_PROBE_TOKEN_MAX];  /* generated token, or "" */
	int64_t success_at;                 /* ms, last success ping; 0: none */
	int64_t start_at;                   /* ms, last start ping; 0: none */
	int64_t fail_at;                    /* ms, last failure ping; 0: none */
};

/*
 * Inserts results[0..n_results-1] and replaces the states[0..n_states-1]
 * in one transaction. A result with the probe and time of an earlier one
 * replaces it.
 */
int store_probe_write(struct store *st,
		      const struct store_probe_result *results,
		      size_t n_results, const struct store_probe_state *states,
		      size_t n_states);

/*
 * Reads the stored states, ordered by probe name, up to max; sets *count.
 */
int store_probe_states_get(struct store *st, struct store_probe_state *out,
			   size_t max, size_t *count);

/* Reads the state of one probe; WK_ERR_NOTFOUND when there is none. */
int store_probe_state_get(struct store *st, const char *probe,
			  struct store_probe_state *out);

/*
 * Deletes at most max_rows results of probe older than before (ms), the
 * oldest first, and sets *deleted. Called in small batches, so that one
 * call never holds the write lock long.
 */
int store_probe_prune(struct store *st, const char *probe, int64_t before,
		      int max_rows, int *deleted);

/*
 * Deletes the probe_state and probe_push rows of probe, for a probe that
 * is no longer configured. Its results stay until they are pruned.
 */
int store_probe_forget(struct store *st, const char *probe);

/* Reads what is kept of a push probe; WK_ERR_NOTFOUND when nothing is. */
int store_probe_push_get(struct store *st, const char *probe,
			 struct store_probe_push *out);

/* Replaces what is kept of a push probe. */
int store_probe_push_set(struct store *st, const char *probe,
			 const struct store_probe_push *push);

#endif
