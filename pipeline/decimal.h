/*
 * Strict decimal numbers of the input files: "12.50", "-3", "1e3". NaN,
 * infinities, hexadecimal and surrounding spaces are rejected, so that a
 * value a spreadsheet would show as text never enters a feature.
 */
#ifndef WK_PIPELINE_DECIMAL_H
#define WK_PIPELINE_DECIMAL_H

#include <stddef.h>

/*
 * Parses the len bytes of s, which must be followed by a NUL, as one
 * finite decimal number. Empty text is an error unless empty_is_zero.
 * Returns WK_OK or WK_ERR_INVALID. Reads '.' as the decimal point in the
 * C locale (i18n_init() keeps LC_NUMERIC at "C").
 */
int decimal_parse(const char *s, size_t len, int empty_is_zero,
		  double *value);

#endif
