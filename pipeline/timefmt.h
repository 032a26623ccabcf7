/*
 * Event time stamps of the input logs, parsed into milliseconds since
 * 1970-01-01T00:00:00Z. Every format is read as UTC unless the text names
 * an offset (ISO 8601). Times outside the years 0001 to 9999 are invalid.
 */
#ifndef WK_PIPELINE_TIMEFMT_H
#define WK_PIPELINE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

enum timefmt {
	TIMEFMT_YYYYMMDD,  /* "19970101": the start of that day */
	TIMEFMT_EPOCH_MS,  /* "1541105830796" or "1541105830796.0" */
	TIMEFMT_EPOCH_S,   /* "1541105830" or "1541105830.796" */
	TIMEFMT_ISO8601    /* "2018-11-01T20:57:10.796Z", see timefmt_parse() */
};

/* Parses a format name ("yyyymmdd", ...). Returns WK_OK or WK_ERR_INVALID. */
int timefmt_from_name(const char *name, enum timefmt *fmt);

/* Returns the name of fmt. */
const char *timefmt_name(enum timefmt fmt);

/*
 * Parses len bytes of text in format fmt into *ms. The epoch formats take
 * an optional '-' sign, digits and an optional fraction, which is cut to
 * whole milliseconds toward the past. ISO 8601 takes "YYYY-MM-DD",
 * optionally followed by 'T' or a space and "HH:MM", "HH:MM:SS" or
 * "HH:MM:SS.fff" (1 to 9 fraction digits), then optionally "Z", "+HH:MM",
 * "+HHMM" or "+HH" (or '-'). Returns WK_OK or WK_ERR_INVALID.
 */
int timefmt_parse(enum timefmt fmt, const char *text, size_t len,
		  int64_t *ms);

/*
 * Converts a JSON number of an epoch format into *ms (a fraction is cut
 * toward the past). Returns WK_ERR_INVALID for the other formats, for
 * NaN, infinities and times out of range.
 */
int timefmt_from_number(enum timefmt fmt, double value, int64_t *ms);

/* Writes the UTC day of ms as "YYYY-MM-DD". */
void timefmt_format_day(char *out, size_t size, int64_t ms);

/* Returns the day number (days since 1970-01-01) of ms, rounding down. */
int64_t timefmt_day(int64_t ms);

#endif
