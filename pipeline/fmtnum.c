#include "pipeline/fmtnum.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FMTNUM_DIGITS 15         /* significant digits of %.15g */
#define FMTNUM_TIE_MARGIN 1e-9   /* remainders this near 1/2 go to printf */

/* Powers of ten that a double represents exactly, 10^0 to 10^19. */
static const double fmtnum_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19
};

/* "00" to "99": the digit pairs, so that each division makes two digits. */
static const char fmtnum_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"68697071727374757677787980818283848586878889909192939495969798"
	"99";

/* Writes the 8 digits of v < 10^8, with leading zeros, at out. */
static void
fmtnum_8digits(uint32_t v, char *out)
{
	uint32_t high = v / 10000, low = v % 10000;

	memcpy(out, fmtnum_pairs + 2 * (high / 100), 2);
	memcpy(out + 2, fmtnum_pairs + 2 * (high % 100), 2);
	memcpy(out + 4, fmtnum_pairs + 2 * (low / 100), 2);
	memcpy(out + 6, fmtnum_pairs + 2 * (low % 100), 2);
}

/* 10^0 to 10^19, for counting digits. */
static const uint64_t fmtnum_pow10_u64[] = {
	UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
	UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
	UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
	UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)
};

/*
 * Returns the decimal digits of u. 1233 / 4096 is a little above
 * log10(2), so the bit length times it is the digit count or one more.
 */
static size_t
fmtnum_count_digits(uint64_t u)
{
	size_t t;

	if (u == 0)
		return 1;
	t = (size_t)((64 - __builtin_clzll(u)) * 1233) >> 12;
	return t + 1 - (u < fmtnum_pow10_u64[t]);
}

/*
 * Writes the decimal digits of u at out; returns their count. The digits
 * go straight to their place, two a division. A u of more than 8 digits
 * is split at 10^8, so that the low 8 take independent 32-bit divisions.
 * A memcpy() of a variable length would cost more than the digits.
 */
static size_t
fmtnum_u64(uint64_t u, char *out)
{
	size_t n = fmtnum_count_digits(u);
	char *p = out + n;
	uint32_t v;

	if (u >= 100000000) {
		p -= 8;
		fmtnum_8digits((uint32_t)(u % 100000000), p);
		u /= 100000000;
	}
	while (u >= 100000000) {  /* only u >= 10^16 comes here */
		*--p = (char)('0' + u % 10);
		u /= 10;
	}
	v = (uint32_t)u;
	while (v >= 100) {
		p -= 2;
		memcpy(p, fmtnum_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, fmtnum_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return n;
}

static size_t
fmtnum_printf(double v, char *out)
{
	char tmp[FMTNUM_SIZE];
	int n = snprintf(tmp, sizeof tmp, "%.15g", v);

	memcpy(out, tmp, (size_t)n);
	return (size_t)n;
}

/*
 * Rounds a, which lies in [10^e, 10^(e+1)), to the 15-digit integer m of
 * a * 10^(14 - e). fma() gives the product's rounding error exactly, so
 * the remainder is known to about 1e-16 and only remainders within
 * FMTNUM_TIE_MARGIN of one half stay undecided. Returns false for them
 * and when e is off by more than one.
 */
static bool
fmtnum_round(double a, int *e, uint64_t *m)
{
	double p, err, whole, frac;
	int k;

	k = FMTNUM_DIGITS - 1 - *e;
	if (k < 0 || k > 19)
		return false;
	p = a * fmtnum_pow10[k];
	err = fma(a, fmtnum_pow10[k], -p);
	/* Truncation is floor() for 0 <= p < 2^63, without a libm call. */
	whole = p < 9e18 ? (double)(uint64_t)p : floor(p);
	frac = (p - whole) + err;
	if (frac < 0.0) {
		whole -= 1.0;
		frac += 1.0;
	} else if (frac >= 1.0) {
		whole += 1.0;
		frac -= 1.0;
	}
	if (fabs(frac - 0.5) < FMTNUM_TIE_MARGIN)
		return false;
	*m = (uint64_t)whole + (frac > 0.5);
	return true;
}

/* Returns floor(log10(a)) for 1e-4 <= a < 1e15, or one off near a power
 * of ten, which fmtnum_digits() corrects. */
static int
fmtnum_exponent(double a)
{
	uint64_t whole = (uint64_t)a;
	int e = -1;

	if (whole == 0) {
		if (a >= 0.1)
			return -1;
		if (a >= 0.01)
			return -2;
		return a >= 0.001 ? -3 : -4;
	}
	for (e = 0; whole >= 10; e++)
		whole /= 10;
	return e;
}

/* Finds the decimal exponent and the 15 significant digits of a. */
static bool
fmtnum_digits(double a, int *e, uint64_t *m)
{
	const uint64_t low = UINT64_C(100000000000000);  /* 10^14 */
	int tries;

	*e = fmtnum_exponent(a);
	for (tries = 0; tries < 3; tries++) {
		if (!fmtnum_round(a, e, m))
			return false;
		if (*m < low)
			(*e)--;
		else if (*m > 10 * low)
			(*e)++;
		else
			break;
	}
	if (*m == 10 * low) {
		*m = low;
		(*e)++;
	}
	return *m >= low && *m < 10 * low;
}

/*
 * Writes the 15 digits of m with the point after e + 1 of them. The
 * copies have fixed sizes, which compile to a few moves, and may write
 * past the returned length but within FMTNUM_SIZE bytes.
 */
static size_t
fmtnum_fixed(uint64_t m, int e, bool negative, char *out)
{
	char digits[2 * FMTNUM_DIGITS] = { 0 };
	size_t n = 0, last = FMTNUM_DIGITS, whole;

	fmtnum_u64(m, digits);
	while (last > 0 && digits[last - 1] == '0' && (int)last > e + 1)
		last--;
	if (negative)
		out[n++] = '-';
	if (e < 0) {
		memcpy(out + n, "0.000", 5);
		n += (size_t)(1 - e);
		memcpy(out + n, digits, FMTNUM_DIGITS);
		return n + last;
	}
	whole = (size_t)e + 1;
	memcpy(out + n, digits, FMTNUM_DIGITS);
	n += whole;
	if (last == whole)
		return n;
	out[n++] = '.';
	memcpy(out + n, digits + whole, FMTNUM_DIGITS - 1);
	return n + last - whole;
}

size_t
fmtnum_g15(double v, char *out)
{
	double a = fabs(v);
	size_t n = 0;
	uint64_t m;
	int e;

	if (v == 0.0) {
		if (signbit(v))
			out[n++] = '-';
		out[n++] = '0';
		return n;
	}
	if (!isfinite(v))
		return fmtnum_printf(v, out);
	if (a < 1e15 && a == (double)(uint64_t)a) {
		if (v < 0)
			out[n++] = '-';
		return n + fmtnum_u64((uint64_t)a, out + n);
	}
	if (a < 1e-4 || a >= 1e15 || !fmtnum_digits(a, &e, &m) ||
	    e >= FMTNUM_DIGITS || e < -4)
		return fmtnum_printf(v, out);
	return fmtnum_fixed(m, e, v < 0, out);
}
