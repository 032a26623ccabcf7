/*
 * The probe engine's arithmetic (probes/sched.c): thresholds over a window
 * of results, check times with jitter, and the random draws behind them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probes/sched.h"

#define NS_PER_S INT64_C(1000000000)

static struct cfg_probe
thresholds(int fail_t, int fail_w, int ok_t, int ok_w)
{
	struct cfg_probe c;

	memset(&c, 0, sizeof c);
	c.failure_threshold = fail_t;
	c.failure_window = fail_w;
	c.success_threshold = ok_t;
	c.success_window = ok_w;
	return c;
}

/* Feeds results ('1' ok, '0' failed) and returns the state after each. */
static void
feed(const struct cfg_probe *c, const char *results, char *states)
{
	struct probe_window w = { 0, 0 };
	enum probe_state s = PROBE_UNKNOWN;
	size_t i;

	for (i = 0; results[i] != '\0'; i++) {
		probe_window_push(&w, results[i] == '1');
		s = probe_state_next(s, &w, c);
		states[i] = '?';
		if (s == PROBE_UP)
			states[i] = 'U';
		else if (s == PROBE_DOWN)
			states[i] = 'D';
	}
	states[i] = '\0';
}

static void
window_counts_last_results(void **state)
{
	struct probe_window w = { 0, 0 };
	int i;

	(void)state;
	assert_int_equal(probe_window_count(&w, 5, 0), 0);
	probe_window_push(&w, 1);
	probe_window_push(&w, 0);
	probe_window_push(&w, 0);
	assert_int_equal(w.len, 3);
	assert_int_equal(probe_window_count(&w, 2, 0), 2);
	assert_int_equal(probe_window_count(&w, 3, 0), 2);
	assert_int_equal(probe_window_count(&w, 3, 1), 1);
	assert_int_equal(probe_window_count(&w, 64, 1), 1);
	for (i = 0; i < 100; i++)
		probe_window_push(&w, 1);
	assert_int_equal(w.len, 64);
	assert_int_equal(probe_window_count(&w, 64, 1), 64);
}

static void
single_result_thresholds(void **state)
{
	struct cfg_probe c = thresholds(1, 1, 1, 1);
	char states[32];

	(void)state;
	feed(&c, "1010011", states);
	assert_string_equal(states, "UDUDDUU");
}

/* Down after 3 failures in a row; up after 2 successes in a row. */
static void
consecutive_thresholds(void **state)
{
	struct cfg_probe c = thresholds(3, 3, 2, 2);
	char states[32];

	(void)state;
	feed(&c, "1100010000110", states);
	assert_string_equal(states, "?UUUDDDDDDDUU");
}

/* 2 failures among the last 5 bring it down despite successes between. */
static void
flapping_damped_by_window(void **state)
{
	struct cfg_probe c = thresholds(2, 5, 4, 4);
	char states[32];

	(void)state;
	feed(&c, "1111" "10101" "1111", states);
	assert_string_equal(states, "???U" "UUUDD" "DDUU");
}

static void
unknown_until_a_threshold(void **state)
{
	struct cfg_probe c = thresholds(3, 3, 3, 3);
	char states[32];

	(void)state;
	feed(&c, "1101", states);
	assert_string_equal(states, "????");
	feed(&c, "000", states);
	assert_string_equal(states, "??D");
}

static void
rng_range_bounds(void **state)
{
	uint64_t rng = 42;
	int64_t v, lo_seen = INT64_MAX, hi_seen = INT64_MIN;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		v = probe_rng_range(&rng, -3, 3);
		assert_true(v >= -3 && v <= 3);
		if (v < lo_seen)
			lo_seen = v;
		if (v > hi_seen)
			hi_seen = v;
	}
	assert_int_equal(lo_seen, -3);
	assert_int_equal(hi_seen, 3);
	assert_int_equal(probe_rng_range(&rng, 5, 5), 5);
	assert_int_equal(probe_rng_range(&rng, 5, 1), 5);
}

static void
jitter_stays_in_bounds(void **state)
{
	int64_t interval = 10 * NS_PER_S, jitter = NS_PER_S, prev = 0, next;
	int64_t min_gap = INT64_MAX, max_gap = 0, total = 0;
	uint64_t rng = 7;
	int i, n = 20000;

	(void)state;
	for (i = 0; i < n; i++) {
		next = probe_sched_next(prev, prev, interval, jitter, &rng);
		if (next - prev < min_gap)
			min_gap = next - prev;
		if (next - prev > max_gap)
			max_gap = next - prev;
		total += next - prev;
		prev = next;
	}
	assert_true(min_gap >= interval - jitter);
	assert_true(max_gap <= interval + jitter);
	/* The draws use the whole range, and the mean stays the interval. */
	assert_true(min_gap < interval - jitter * 9 / 10);
	assert_true(max_gap > interval + jitter * 9 / 10);
	assert_true(total / n > interval - jitter / 20);
	assert_true(total / n < interval + jitter / 20);
}

static void
zero_jitter_is_exact(void **state)
{
	uint64_t rng = 9;

	(void)state;
	assert_int_equal(probe_sched_next(100, 100, 50, 0, &rng), 150);
}

/* After the loop was held up, missed checks are skipped. */
static void
missed_checks_skipped(void **state)
{
	int64_t interval = 10 * NS_PER_S, jitter = NS_PER_S, now, next;
	uint64_t rng = 3;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		now = 95 * NS_PER_S;
		next = probe_sched_next(0, now, interval, jitter, &rng);
		assert_true(next >= now);
		assert_true(next <= now + jitter);
	}
}

static void
first_checks_spread(void **state)
{
	uint64_t rng = 11;
	int64_t t, lo = INT64_MAX, hi = 0;
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		t = probe_sched_first(1000, 10 * NS_PER_S, &rng);
		assert_true(t >= 1000 && t < 1000 + 10 * NS_PER_S);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
		t = probe_sched_first(0, 3600 * NS_PER_S, &rng);
		assert_true(t >= 0 && t < PROBE_FIRST_SPREAD_NS);
	}
	assert_true(lo < 1000 + NS_PER_S);
	assert_true(hi > 1000 + 9 * NS_PER_S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(window_counts_last_results),
		cmocka_unit_test(single_result_thresholds),
		cmocka_unit_test(consecutive_thresholds),
		cmocka_unit_test(flapping_damped_by_window),
		cmocka_unit_test(unknown_until_a_threshold),
		cmocka_unit_test(rng_range_bounds),
		cmocka_unit_test(jitter_stays_in_bounds),
		cmocka_unit_test(zero_jitter_is_exact),
		cmocka_unit_test(missed_checks_skipped),
		cmocka_unit_test(first_checks_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
