/*
 * IANA time zones, read from TZif files of versions 1 to 4 (RFC 9636, which
 * replaced RFC 8536) without touching the process's TZ variable or the C
 * library's zone state.
 *
 * A zone is loaded by name ("Europe/Berlin") from $TZDIR, or from
 * /usr/share/zoneinfo when TZDIR is unset or empty. "UTC" and "Etc/UTC" are
 * built in and need no file. Times after the last transition of a file
 * follow the POSIX TZ rule in its footer ("CET-1CEST,M3.5.0,M10.5.0/3").
 *
 * Times are int64_t seconds since 1970-01-01 00:00:00 UTC without leap
 * seconds. Inputs beyond +-TZ_TIME_LIMIT are clamped to it.
 */
#ifndef WK_TZ_H
#define WK_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define TZ_NAME_MAX 255                   /* bytes of a zone name */
#define TZ_FILE_MAX (256 * 1024)          /* bytes of a TZif file */
#define TZ_TIME_LIMIT (INT64_C(1) << 50)  /* seconds, about 35 million years */
#define TZ_ABBR_MAX 16                    /* bytes of an abbreviation and NUL */

/* A loaded zone: immutable once loaded, so threads may share it. */
struct tz;

/*
 * Loads the zone called name into *out; free it with tz_free(). The name
 * must be relative, without "..", and made of letters, digits
 * and "/_-+.". Returns WK_OK, or WK_ERR_INVALID (bad name or corrupt file),
 * WK_ERR_NOTFOUND (no such zone), WK_ERR_LIMIT (file too large), WK_ERR_IO
 * or WK_ERR_NOMEM, with a message in err naming the zone and the fix.
 */
int tz_load(const char *name, struct tz **out, struct wk_err *err);

/* Frees a zone; NULL is allowed. */
void tz_free(struct tz *tz);

/* Returns the name the zone was loaded with; owned by tz. */
const char *tz_name(const struct tz *tz);

/* Returns the offset of local time in seconds east of UTC at utc_s. */
int32_t tz_offset_at(const struct tz *tz, int64_t utc_s);

/* Returns 1 when daylight saving time is in effect at utc_s, else 0. */
int tz_is_dst_at(const struct tz *tz, int64_t utc_s);

/*
 * Copies the abbreviation in use at utc_s ("CET", "CEST", "+1030") into
 * out, cut to size bytes with a NUL.
 */
void tz_abbr_at(const struct tz *tz, int64_t utc_s, char *out, size_t size);

/*
 * Returns the first instant after utc_s at which the offset, the DST flag
 * or the abbreviation may change, or INT64_MAX when none follows.
 */
int64_t tz_next_transition(const struct tz *tz, int64_t utc_s);

/*
 * Converts local civil time (seconds since 1970-01-01 00:00 local, counted
 * as if it were UTC) to UTC and returns the number of matching instants.
 * Normally that is 1, and *first is set. In a gap it is 0, and *first is
 * the instant the gap ends, whose local time is the first valid one after
 * the gap. In a fold it is 2: *first is the earlier and *second the later
 * instant. second may be NULL. A file with more than two instants for one
 * local time returns 2 with the earliest and the latest.
 */
int tz_local_to_utc(const struct tz *tz, int64_t local_s, int64_t *first,
		    int64_t *second);

/* A broken-down local time. */
struct tz_civil {
	int64_t year;    /* proleptic Gregorian year */
	int month;       /* 1..12 */
	int day;         /* 1..31 */
	int hour;        /* 0..23 */
	int minute;      /* 0..59 */
	int second;      /* 0..59 */
	int wday;        /* day of the week, 0 = Sunday */
	int32_t offset;  /* seconds east of UTC in effect */
};

/* Fills out with the local civil time of utc_s in tz. */
void tz_civil_at(const struct tz *tz, int64_t utc_s, struct tz_civil *out);

#endif
