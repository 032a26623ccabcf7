/*
 * Five-field cron expressions ("minute hour day-of-month month
 * day-of-week") evaluated in a time zone. docs/schedules.md describes the
 * syntax and the rules for daylight saving time.
 */
#ifndef WK_CRON_H
#define WK_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"

#define CRON_EXPR_MAX 256  /* bytes of an expression */
#define CRON_SEARCH_YEARS 5  /* cron_next looks this far ahead */
#define CRON_REASON_MAX 512  /* bytes of a reason, with its NUL */

/* A parsed schedule: one bit per allowed value of each field. */
struct cron {
	uint64_t minutes;  /* bit m set: minute m (0..59) matches */
	uint32_t hours;    /* bit h set: hour h (0..23) matches */
	uint32_t mdays;    /* bit d set: day of month d (1..31) matches */
	uint16_t months;   /* bit m set: month m (1..12) matches */
	uint8_t wdays;     /* bit w set: weekday w (0 = Sunday..6) matches */
	/*
	 * 1 when the day-of-month field starts with '*': the day is then
	 * matched by the day-of-week field alone
	 */
	int mday_star;
	/*
	 * 1 when the day-of-week field starts with '*': the day is then
	 * matched by the day-of-month field alone. When neither is starred,
	 * a day matches when either field matches.
	 */
	int wday_star;
};

/*
 * Parses expr into *out. Fields are separated by spaces or tabs and take
 * "*", numbers, names (jan-dec, sun-sat), ranges "a-b", lists "a,b" and
 * steps "*\/n", "a-b/n" or "a/n" (from a to the field's maximum); 7 is
 * Sunday too. Instead of five fields, expr may be one of @hourly, @daily
 * (@midnight), @weekly, @monthly, @yearly (@annually). A schedule whose
 * day of month occurs in none of its months while day-of-week is "*"
 * ("0 0 30 2 *") never fires and is invalid. Returns WK_OK, or
 * WK_ERR_INVALID with *bad_offset set to the byte offset of the offending
 * character and *reason to an untranslated English sentence that names the
 * field and what it allows (translate it with _() when shown).
 */
int cron_parse(const char *expr, struct cron *out, size_t *bad_offset,
	       const char **reason);

/*
 * Parses expr like cron_parse() but writes the reason translated to
 * reason[0..cap-1] (truncated to fit). For a range that runs backwards the
 * reason names the split form with the same values in the user's notation:
 * "fri-sat,sun-mon" for "fri-mon", "22-23,0-2" for "22-2". A backwards
 * range with a step gets the general reason. CRON_REASON_MAX bytes hold
 * every reason in English.
 */
int cron_parse_explained(const char *expr, struct cron *out,
			 size_t *bad_offset, char *reason, size_t cap);

/*
 * Returns 1 when the local civil date and time (month 1..12, wday
 * 0 = Sunday) matches c, else 0. Seconds are not part of a schedule.
 */
int cron_matches(const struct cron *c, int month, int day, int wday,
		 int hour, int minute);

/*
 * Sets *next to the first scheduled instant strictly after utc_s, in
 * zone tz, as UTC seconds. A local time skipped by a spring-forward gap
 * fires once, at the end of the gap (02:30 on a day without 02:30 fires at
 * 03:00 local), and several skipped times of one gap fire once together.
 * A local time that occurs twice in a fall-back fold fires once, at its
 * first occurrence. Returns WK_OK, or WK_ERR_NOTFOUND when nothing matches
 * within CRON_SEARCH_YEARS years ("0 0 29 2 *" from 2096, because 2100 is
 * no leap year).
 */
int cron_next(const struct cron *c, const struct tz *tz, int64_t utc_s,
	      int64_t *next);

/*
 * Writes to out[0..max-1] the instants at which c fires in the interval
 * (from_s, to_s], in order, by the rules of cron_next, and sets *n to their
 * number. The interval may be longer than CRON_SEARCH_YEARS. Returns
 * WK_OK, or WK_ERR_LIMIT when more than max instants fall in the interval
 * (out then contains the first max and *n is max).
 */
int cron_fires_between(const struct cron *c, const struct tz *tz,
		       int64_t from_s, int64_t to_s, int64_t *out, size_t max,
		       size_t *n);

/*
 * Sets *prev to the latest instant in (after_s, utc_s] at which c fires,
 * by the rules of cron_next, without listing the ones before it. The time
 * taken grows with the distance from utc_s back to that instant, not with
 * the number of firings in the interval. Returns WK_OK, or WK_ERR_NOTFOUND
 * when c does not fire in the interval.
 */
int cron_prev(const struct cron *c, const struct tz *tz, int64_t after_s,
	      int64_t utc_s, int64_t *prev);

#endif
