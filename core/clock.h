/*
 * Time: the clocks every module reads, and the text forms of durations,
 * dates and timestamps.
 *
 * Durations and timeouts use the monotonic clock; wall-clock time is only
 * stored and shown. Tests may replace both clocks with clk_set_source().
 */
#ifndef WK_CLOCK_H
#define WK_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLK_MS_PER_DAY INT64_C(86400000)

/* Nanoseconds of CLOCK_MONOTONIC. */
int64_t clk_mono_ns(void);

/* Milliseconds since the Unix epoch, from CLOCK_REALTIME. */
int64_t clk_wall_ms(void);

/* Replaces the clocks (NULL restores the system clock). For tests. */
void clk_set_source(int64_t (*mono_ns)(void), int64_t (*wall_ms)(void));

/*
 * Parses a duration: one or more number-unit pairs such as "90s", "15m",
 * "2h", "28d", "1h30m" or "250ms", units (ms, s, m, h, d, w) from the
 * largest to the smallest, each at most once. On failure
 * returns WK_ERR_INVALID, sets *bad_offset to the byte offset of the first
 * character that does not fit and *reason to an untranslated English reason
 * (mark it with N_ when it is shown).
 */
int clk_parse_duration(const char *text, int64_t *ms, size_t *bad_offset,
		       const char **reason);

/*
 * Writes to out[0..cap-1] the duration text, a number with a decimal
 * fraction and one unit such as "1.5s", as a whole number of the largest
 * unit that fits: "1500ms" for "1.5s", "90m" for "1.5h". Returns WK_OK, or
 * WK_ERR_INVALID when text has another form or is no whole number of
 * milliseconds ("1.0005s").
 */
int clk_whole_duration(const char *text, char *out, size_t cap);

#define CLK_WHOLE_LEN 32  /* bytes clk_whole_duration() writes at most */

/* Writes a duration for people: "850 ms", "12.4 s", "4m05s", "2h10m", "3d4h". */
void clk_format_duration(char *out, size_t size, int64_t ms);

/* Writes wall_ms as "2026-12-04T20:36:36.123Z". */
void clk_format_utc(char *out, size_t size, int64_t wall_ms);

/*
 * Parses "YYYY-MM-DD" (a proleptic Gregorian date) into days since
 * 1970-01-01. Returns WK_OK or WK_ERR_INVALID.
 */
int clk_parse_date(const char *text, int64_t *days);

/* Writes days since 1970-01-01 as "YYYY-MM-DD". */
void clk_format_date(char *out, size_t size, int64_t days);

/* Days since 1970-01-01 of a civil date; month 1..12. */
int64_t clk_days_from_civil(int64_t year, int month, int day);

/* Civil date of days since 1970-01-01. */
void clk_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

#endif
