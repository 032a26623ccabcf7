#include "pipeline/decimal.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"

#define DECIMAL_EXACT_MAX (UINT64_C(1) << 53)  /* integers a double holds */
#define DECIMAL_POW10_MAX 22                   /* 10^22: largest exact power */

/* Powers of ten that a double represents exactly. */
static const double decimal_pow10[DECIMAL_POW10_MAX + 1] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * Parses "[+-]DIGITS[.DIGITS]" whose digits, read as one integer m, stay
 * below 2^53, with at most 22 digits after the point. m and 10^k are
 * then exact doubles, and one IEEE division rounds m / 10^k correctly,
 * as strtod(3) does. Returns WK_ERR_INVALID for other text, which the
 * caller hands to strtod(3).
 */
static int
decimal_fast(const char *s, size_t len, double *value)
{
	size_t i = 0, digits = 0, frac = 0;
	bool point = false, negative = false;
	uint64_t m = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		negative = s[i++] == '-';
	for (; i < len; i++) {
		if (s[i] == '.' && !point) {
			point = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || m >= DECIMAL_EXACT_MAX / 10)
			return WK_ERR_INVALID;
		m = m * 10 + (uint64_t)(s[i] - '0');
		digits++;
		frac += point;
	}
	if (digits == 0 || m > DECIMAL_EXACT_MAX || frac > DECIMAL_POW10_MAX)
		return WK_ERR_INVALID;

	*value = (double)m / decimal_pow10[frac];
	if (negative)
		*value = -*value;
	return WK_OK;
}

int
decimal_parse(const char *s, size_t len, int empty_is_zero, double *value)
{
	char *end;
	size_t i;

	if (len == 0 && empty_is_zero) {
		*value = 0.0;
		return WK_OK;
	}
	if (len == 0)
		return WK_ERR_INVALID;
	if (decimal_fast(s, len, value) == WK_OK)
		return WK_OK;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || strchr("0123456789.+-eE", s[i]) == NULL)
			return WK_ERR_INVALID;
	}

	errno = 0;
	*value = strtod(s, &end);
	if (end != s + len || errno == ERANGE || !isfinite(*value))
		return WK_ERR_INVALID;
	return WK_OK;
}
