/*
 * Numbers as text for the feature CSVs: the bytes printf("%.15g")
 * writes, without its cost for the common cases.
 */
#ifndef WK_PIPELINE_FMTNUM_H
#define WK_PIPELINE_FMTNUM_H

#include <stddef.h>

#define FMTNUM_SIZE 32  /* bytes a buffer of fmtnum_g15() needs; it may
                         * write past the returned length up to there */

/*
 * Writes v as snprintf(out, FMTNUM_SIZE, "%.15g", v) does, without the
 * NUL, and returns the length. Integers below 10^15 and numbers between
 * 10^-4 and 10^15 whose 15-digit rounding the fast path can decide
 * exactly are formatted directly; everything else goes to snprintf(3).
 */
size_t fmtnum_g15(double v, char *out);

#endif
