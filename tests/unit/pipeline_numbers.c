/*
 * Numbers in text: fmtnum_g15() against printf("%.15g") and the fast
 * path of decimal_parse() against strtod(3), on edge cases and on
 * millions of values of the shapes the pipeline meets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"
#include "pipeline/decimal.h"
#include "pipeline/fmtnum.h"

/* A xorshift64 stream, so that every run checks the same values. */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Returns a value of the shape picked by kind. */
static double
sample(uint64_t *s, unsigned kind)
{
	uint64_t bits = next_random(s);
	double v;

	switch (kind % 6) {
	case 0:
		memcpy(&v, &bits, sizeof v);
		return v;
	case 1:
		return (double)(bits % 10000000) / 100.0;
	case 2:
		return (double)(bits % 1000 + 1) /
		    (double)(next_random(s) % 1000 + 1);
	case 3:
		return ((double)(bits % 2000000) - 1000000.0) / 7.0;
	case 4:
		return ldexp((double)(bits >> 11), -(int)(next_random(s) % 80));
	default:
		return (double)(bits % 100000) * 0.01 +
		    (double)(next_random(s) % 100) * 0.1;
	}
}

static void
expect_g15(double v)
{
	char got[FMTNUM_SIZE + 1], want[64];
	size_t len = fmtnum_g15(v, got);

	got[len] = '\0';
	snprintf(want, sizeof want, "%.15g", v);
	if (strcmp(got, want) != 0)
		fail_msg("%a: fmtnum_g15 wrote %s, printf %s", v, got, want);
}

static void
test_fmtnum_edge_cases(void **state)
{
	static const double cases[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 0.1,
		0.01, 0.001, 1e-4, 9.99999999999999e-5, 1e-5, 123.456,
		1.0 / 3.0, 2.0 / 3.0, 999999999999999.0, 999999999999999.5,
		1e15, 1e14 + 0.5, 1e21, 12.26, 0.7, 4430.0, 2.5e-3,
		INFINITY, -INFINITY, 5e-324, 1.7976931348623157e308 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_g15(cases[i]);
	expect_g15(NAN);
}

static void
test_fmtnum_matches_printf(void **state)
{
	uint64_t s = UINT64_C(88172645463325252);
	unsigned i;

	(void)state;
	for (i = 0; i < 3000000; i++)
		expect_g15(sample(&s, i));
}

/* Checks decimal_parse() against strtod() on text of len bytes. */
static void
expect_decimal(const char *text)
{
	double got = -1.0, want = strtod(text, NULL);

	assert_int_equal(decimal_parse(text, strlen(text), 0, &got), WK_OK);
	if (memcmp(&got, &want, sizeof got) != 0)
		fail_msg("'%s': decimal_parse %a, strtod %a", text, got, want);
}

static void
test_decimal_fast_path_matches_strtod(void **state)
{
	static const char *const cases[] = { "0", "-0", "+1", "1.", ".5",
		"12.26", "0000123.4500", "9007199254740992",
		"900719925474099.3", "0.1234567890123456789012", "1e3",
		"-3.14159", "123456789012345678", "1.7976931348623157e308" };
	uint64_t s = 7;
	char text[64];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_decimal(cases[i]);
	for (i = 0; i < 2000000; i++) {
		uint64_t m = next_random(&s) % UINT64_C(100000000000);
		unsigned k = (unsigned)(next_random(&s) % 12);

		snprintf(text, sizeof text, "%s%llu.%0*llu",
		    i % 3 == 0 ? "-" : "", (unsigned long long)(m / 1000),
		    (int)k, (unsigned long long)(m % (k == 0 ? 1 :
		    (uint64_t)pow(10, k))));
		if (k == 0)
			snprintf(text, sizeof text, "%llu",
			    (unsigned long long)m);
		expect_decimal(text);
	}
}

static void
test_decimal_rejects(void **state)
{
	static const char *const cases[] = { ".", "-", "+", "1.2.3", "--1",
		"1 ", " 1", "0x10", "nan", "inf", "1e", "1,5" };
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(decimal_parse(cases[i], strlen(cases[i]), 0,
		    &v), WK_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmtnum_edge_cases),
		cmocka_unit_test(test_fmtnum_matches_printf),
		cmocka_unit_test(test_decimal_fast_path_matches_strtod),
		cmocka_unit_test(test_decimal_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
