#include "probes/sched.h"

uint64_t
probe_rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

int64_t
probe_rng_range(uint64_t *state, int64_t lo, int64_t hi)
{
	uint64_t span;

	if (hi <= lo)
		return lo;
	span = (uint64_t)(hi - lo) + 1;
	/* The modulo bias is below span / 2^64, far under a nanosecond. */
	return lo + (int64_t)(probe_rng_next(state) % span);
}

int64_t
probe_sched_first(int64_t now_ns, int64_t interval_ns, uint64_t *rng)
{
	int64_t spread = interval_ns < PROBE_FIRST_SPREAD_NS ? interval_ns :
	    PROBE_FIRST_SPREAD_NS;

	return now_ns + probe_rng_range(rng, 0, spread - 1);
}

int64_t
probe_sched_next(int64_t prev_ns, int64_t now_ns, int64_t interval_ns,
		 int64_t jitter_ns, uint64_t *rng)
{
	int64_t next = prev_ns + interval_ns +
	    probe_rng_range(rng, -jitter_ns, jitter_ns);

	if (next < now_ns)
		next = now_ns + probe_rng_range(rng, 0, jitter_ns);
	return next;
}

void
probe_window_push(struct probe_window *w, int ok)
{
	w->ok_bits = (w->ok_bits << 1) | (ok ? 1u : 0u);
	if (w->len < 64)
		w->len++;
}

unsigned
probe_window_count(const struct probe_window *w, unsigned n, int ok)
{
	unsigned i, count = 0;

	if (n > w->len)
		n = w->len;
	for (i = 0; i < n; i++) {
		int bit = (int)((w->ok_bits >> i) & 1u);

		count += bit == (ok != 0);
	}
	return count;
}

enum probe_state
probe_state_next(enum probe_state cur, const struct probe_window *w,
		 const struct cfg_probe *cfg)
{
	int latest_ok;

	if (w->len == 0)
		return cur;
	latest_ok = (int)(w->ok_bits & 1u);

	if (!latest_ok && probe_window_count(w,
	    (unsigned)cfg->failure_window, 0) >=
	    (unsigned)cfg->failure_threshold)
		return PROBE_DOWN;
	if (latest_ok && probe_window_count(w,
	    (unsigned)cfg->success_window, 1) >=
	    (unsigned)cfg->success_threshold)
		return PROBE_UP;
	return cur;
}
