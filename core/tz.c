#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "i18n.h"
#include "rc.h"
#include "text.h"

#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"
#define TZ_PATH_MAX 4096       /* bytes of a zone file's path */
#define TZ_TYPES_MAX 256       /* local time types of a TZif file (RFC 9636) */
/* Offsets a TZif file may use, in seconds east of UTC (RFC 9636). */
#define TZ_OFFSET_MIN (-89999)
#define TZ_OFFSET_MAX 93599
/* Hours of a POSIX TZ offset, and of a rule's time (version 3 extension). */
#define TZ_RULE_OFFSET_HOURS 24
#define TZ_RULE_TIME_HOURS 167
/* tz_local_to_utc() looks for instants within this many seconds of local. */
#define TZ_WINDOW (27 * INT64_C(3600))
/*
 * Intervals between transitions tz_local_to_utc() examines at most.
 * NOTE: a file with more transitions within 54 hours (none in tzdata)
 * makes it miss instants past them.
 */
#define TZ_SCAN_MAX 64
#define TZ_HEADER_SIZE 44      /* bytes of a TZif header */
#define TZ_QUOTE_MAX 64        /* bytes of a user's zone name in a message */
#define TZ_RULE_EVENTS 8       /* transitions of four years of a rule */

/* A local time type of a TZif file or of a footer rule. */
struct tz_type {
	int32_t utoff;           /* seconds east of UTC */
	int isdst;               /* 1 during daylight saving time */
	char abbr[TZ_ABBR_MAX];  /* abbreviation, cut to fit */
};

/* The day of a year on which a POSIX TZ rule switches. */
struct tz_rule_date {
	char kind;   /* 'J': Julian day 1..365 without Feb 29; 'N': day 0..365;
			'M': weekday of a week of a month */
	int day;     /* for 'J' and 'N' */
	int month;   /* for 'M': 1..12 */
	int week;    /* for 'M': 1..5, 5 meaning the last */
	int wday;    /* for 'M': 0 = Sunday..6 */
	int32_t time;  /* seconds after local midnight, -167h..167h */
};

/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
struct tz_rule {
	struct tz_type std;        /* standard time */
	struct tz_type dst;        /* daylight saving time, when has_dst */
	int has_dst;               /* 1 when the rule switches to dst */
	struct tz_rule_date start; /* switch to dst, in standard local time */
	struct tz_rule_date end;   /* switch back, in daylight local time */
};

/* One switch of a rule: the instant and the type in effect from it. */
struct tz_event {
	int64_t at;                 /* UTC seconds */
	const struct tz_type *type; /* borrowed from the rule */
};

struct tz {
	char name[TZ_NAME_MAX + 1];         /* name it was loaded with */
	size_t ntrans;                      /* transitions in the file */
	int64_t *trans;                     /* ntrans instants, ascending; owned */
	uint8_t *trans_type;                /* ntrans indexes into types; owned */
	size_t ntypes;                      /* local time types, 1..256 */
	struct tz_type types[TZ_TYPES_MAX]; /* types[0] precedes the table */
	int has_rule;                       /* 1 when a footer rule exists */
	struct tz_rule rule;                /* applies after the last transition */
};

/* A TZif header's counts. */
struct tzif_header {
	int version;       /* 1..4 */
	uint32_t isutcnt;  /* UT/local indicators */
	uint32_t isstdcnt; /* standard/wall indicators */
	uint32_t leapcnt;  /* leap-second records */
	uint32_t timecnt;  /* transitions */
	uint32_t typecnt;  /* local time types */
	uint32_t charcnt;  /* bytes of abbreviations */
};

static int64_t
tz_clamp(int64_t t)
{
	if (t < -TZ_TIME_LIMIT)
		return -TZ_TIME_LIMIT;
	if (t > TZ_TIME_LIMIT)
		return TZ_TIME_LIMIT;
	return t;
}

static int64_t
tz_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static void
tz_copy_abbr(char *out, const char *text, size_t len)
{
	if (len > TZ_ABBR_MAX - 1)
		len = TZ_ABBR_MAX - 1;
	memcpy(out, text, len);
	out[len] = '\0';
}

/* ---- POSIX TZ rules (the TZif footer) ---- */

/* Days since 1970-01-01 of the day a rule date names in year. */
static int64_t
tz_rule_day(const struct tz_rule_date *d, int64_t year)
{
	int64_t jan1 = clk_days_from_civil(year, 1, 1);
	int64_t first, next, day;
	int leap, first_wday;

	if (d->kind == 'N')
		return jan1 + d->day;
	if (d->kind == 'J') {
		leap = clk_days_from_civil(year, 3, 1) -
		    clk_days_from_civil(year, 2, 1) == 29;
		return jan1 + d->day - 1 + (leap && d->day >= 60);
	}

	first = clk_days_from_civil(year, d->month, 1);
	next = d->month == 12 ? clk_days_from_civil(year + 1, 1, 1) :
	    clk_days_from_civil(year, d->month + 1, 1);
	first_wday = (int)(((first + 4) % 7 + 7) % 7);
	day = first + (d->wday - first_wday + 7) % 7 + (d->week - 1) * 7;
	if (day >= next)
		day -= 7;
	return day;
}

/* Fills ev[] with the switches of the years around utc_s, in order. */
static void
tz_rule_events(const struct tz_rule *r, int64_t utc_s,
	       struct tz_event ev[TZ_RULE_EVENTS])
{
	int64_t year, y;
	int month, day;
	size_t n = 0, i, j;

	clk_civil_from_days(tz_floor_div(utc_s + r->std.utoff, 86400), &year,
	    &month, &day);
	for (y = year - 1; y <= year + 2; y++) {
		ev[n].at = tz_rule_day(&r->start, y) * 86400 + r->start.time -
		    r->std.utoff;
		ev[n++].type = &r->dst;
		ev[n].at = tz_rule_day(&r->end, y) * 86400 + r->end.time -
		    r->dst.utoff;
		ev[n++].type = &r->std;
	}

	/*
	 * Insertion sort keeps equal instants in year order. NOTE: a rule
	 * whose DST of one year overlaps the next year's (times beyond
	 * +-24h at the year's ends) gets the last switch before utc_s,
	 * where glibc 2.36 looks only at the switches of utc_s's UTC year.
	 */
	for (i = 1; i < n; i++) {
		struct tz_event e = ev[i];

		for (j = i; j > 0 && ev[j - 1].at > e.at; j--)
			ev[j] = ev[j - 1];
		ev[j] = e;
	}
}

static const struct tz_type *
tz_rule_type(const struct tz_rule *r, int64_t utc_s)
{
	struct tz_event ev[TZ_RULE_EVENTS];
	const struct tz_type *type;
	size_t i;

	if (!r->has_dst)
		return &r->std;

	tz_rule_events(r, utc_s, ev);
	type = ev[0].type == &r->dst ? &r->std : &r->dst;
	for (i = 0; i < TZ_RULE_EVENTS && ev[i].at <= utc_s; i++)
		type = ev[i].type;
	return type;
}

static int64_t
tz_rule_next(const struct tz_rule *r, int64_t utc_s)
{
	struct tz_event ev[TZ_RULE_EVENTS];
	size_t i;

	if (!r->has_dst)
		return INT64_MAX;

	tz_rule_events(r, utc_s, ev);
	for (i = 0; i < TZ_RULE_EVENTS; i++) {
		if (ev[i].at > utc_s)
			return ev[i].at;
	}
	return INT64_MAX;
}

/* A read position in a footer; *reason receives the first problem. */
struct tz_cursor {
	const char *p;       /* next character */
	const char *end;     /* one past the last character */
	const char *reason;  /* untranslated reason, NULL while valid */
};

static int
tz_fail(struct tz_cursor *c, const char *reason)
{
	if (c->reason == NULL)
		c->reason = reason;
	return WK_ERR_INVALID;
}

/* Reads "abc" or "<+0530>" into out. */
static int
tz_parse_abbr(struct tz_cursor *c, char *out)
{
	const char *start;

	if (c->p < c->end && *c->p == '<') {
		start = ++c->p;
		while (c->p < c->end && (isalnum((unsigned char)*c->p) ||
		    *c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p != '>' || c->p - start < 3)
			return tz_fail(c, N_("invalid quoted abbreviation in the footer rule"));
		tz_copy_abbr(out, start, (size_t)(c->p - start));
		c->p++;
		return WK_OK;
	}

	start = c->p;
	while (c->p < c->end && isalpha((unsigned char)*c->p))
		c->p++;
	if (c->p - start < 3)
		return tz_fail(c, N_("abbreviation of fewer than 3 letters in the footer rule"));
	tz_copy_abbr(out, start, (size_t)(c->p - start));
	return WK_OK;
}

/* Reads 1 to max_digits digits as a number no greater than max. */
static int
tz_parse_number(struct tz_cursor *c, int max_digits, int max, int *out)
{
	int value = 0, digits = 0;

	while (c->p < c->end && isdigit((unsigned char)*c->p) &&
	    digits < max_digits) {
		value = value * 10 + (*c->p - '0');
		c->p++;
		digits++;
	}
	if (digits == 0 || value > max)
		return tz_fail(c, N_("invalid number in the footer rule"));
	*out = value;
	return WK_OK;
}

/* Reads "[+-]hh[:mm[:ss]]" with hh <= max_hours, as signed seconds. */
static int
tz_parse_hms(struct tz_cursor *c, int max_hours, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		sign = *c->p == '-' ? -1 : 1;
		c->p++;
	}
	if (tz_parse_number(c, 3, max_hours, &h) != WK_OK)
		return WK_ERR_INVALID;
	if (c->p < c->end && *c->p == ':') {
		c->p++;
		if (tz_parse_number(c, 2, 59, &m) != WK_OK)
			return WK_ERR_INVALID;
		if (c->p < c->end && *c->p == ':') {
			c->p++;
			if (tz_parse_number(c, 2, 59, &s) != WK_OK)
				return WK_ERR_INVALID;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return WK_OK;
}

/* Reads a POSIX offset (hours west of UTC) into a type's utoff. */
static int
tz_parse_offset(struct tz_cursor *c, struct tz_type *type)
{
	int32_t west;

	if (tz_parse_hms(c, TZ_RULE_OFFSET_HOURS, &west) != WK_OK)
		return WK_ERR_INVALID;
	type->utoff = -west;
	return WK_OK;
}

/* Reads ",date[/time]" into d. */
static int
tz_parse_rule_date(struct tz_cursor *c, struct tz_rule_date *d)
{
	if (c->p >= c->end || *c->p != ',')
		return tz_fail(c, N_("missing ',' before a date in the footer rule"));
	c->p++;

	d->time = 2 * 3600;
	if (c->p < c->end && *c->p == 'J') {
		c->p++;
		d->kind = 'J';
		if (tz_parse_number(c, 3, 365, &d->day) != 0 || d->day < 1)
			return tz_fail(c, N_("invalid Julian day in the footer rule"));
	} else if (c->p < c->end && *c->p == 'M') {
		c->p++;
		d->kind = 'M';
		if (tz_parse_number(c, 2, 12, &d->month) != WK_OK ||
		    d->month < 1 || c->p >= c->end || *c->p++ != '.' ||
		    tz_parse_number(c, 1, 5, &d->week) != 0 || d->week < 1 ||
		    c->p >= c->end || *c->p++ != '.' ||
		    tz_parse_number(c, 1, 6, &d->wday) != WK_OK)
			return tz_fail(c, N_("invalid Mm.w.d date in the footer rule"));
	} else {
		d->kind = 'N';
		if (tz_parse_number(c, 3, 365, &d->day) != WK_OK)
			return WK_ERR_INVALID;
	}

	if (c->p < c->end && *c->p == '/') {
		c->p++;
		return tz_parse_hms(c, TZ_RULE_TIME_HOURS, &d->time);
	}
	return WK_OK;
}

/* Parses a footer such as "CET-1CEST,M3.5.0,M10.5.0/3" into r. */
static int
tz_parse_rule(const char *text, size_t len, struct tz_rule *r,
	      const char **reason)
{
	struct tz_cursor c = { text, text + len, NULL };

	memset(r, 0, sizeof *r);
	if (tz_parse_abbr(&c, r->std.abbr) != WK_OK ||
	    tz_parse_offset(&c, &r->std) != WK_OK)
		goto out;
	if (c.p == c.end)
		goto out;

	r->has_dst = 1;
	r->dst.isdst = 1;
	if (tz_parse_abbr(&c, r->dst.abbr) != WK_OK)
		goto out;
	r->dst.utoff = r->std.utoff + 3600;
	if (c.p < c.end && *c.p != ',' && tz_parse_offset(&c, &r->dst) != WK_OK)
		goto out;
	if (c.p == c.end) {
		/* POSIX leaves the default to the implementation: the current US rule. */
		r->start = (struct tz_rule_date){ 'M', 0, 3, 2, 0, 7200 };
		r->end = (struct tz_rule_date){ 'M', 0, 11, 1, 0, 7200 };
		goto out;
	}
	if (tz_parse_rule_date(&c, &r->start) != WK_OK ||
	    tz_parse_rule_date(&c, &r->end) != WK_OK)
		goto out;
	if (c.p != c.end)
		tz_fail(&c, N_("unexpected characters after the footer rule"));

out:
	if (c.reason == NULL && (r->std.utoff < TZ_OFFSET_MIN ||
	    r->std.utoff > TZ_OFFSET_MAX || r->dst.utoff < TZ_OFFSET_MIN ||
	    r->dst.utoff > TZ_OFFSET_MAX))
		c.reason = N_("UTC offset out of range in the footer rule");
	*reason = c.reason;
	return c.reason == NULL ? WK_OK : WK_ERR_INVALID;
}

/* ---- TZif files ---- */

static uint32_t
tz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
tz_be64(const uint8_t *p)
{
	uint64_t u = (uint64_t)tz_be32(p) << 32 | tz_be32(p + 4);

	if (u > (uint64_t)INT64_MAX)
		return -(int64_t)(~u) - 1;
	return (int64_t)u;
}

static int32_t
tz_be32_signed(const uint8_t *p)
{
	uint32_t u = tz_be32(p);

	if (u > (uint32_t)INT32_MAX)
		return -(int32_t)(~u) - 1;
	return (int32_t)u;
}

static int
tz_read_header(const uint8_t *p, size_t len, struct tzif_header *h,
	       const char **reason)
{
	if (len < TZ_HEADER_SIZE || memcmp(p, "TZif", 4) != 0) {
		*reason = N_("the file does not start with \"TZif\"");
		return WK_ERR_INVALID;
	}
	if (p[4] == 0)
		h->version = 1;
	else if (p[4] >= '2' && p[4] <= '4')
		h->version = p[4] - '0';
	else {
		*reason = N_("unknown TZif version");
		return WK_ERR_INVALID;
	}
	h->isutcnt = tz_be32(p + 20);
	h->isstdcnt = tz_be32(p + 24);
	h->leapcnt = tz_be32(p + 28);
	h->timecnt = tz_be32(p + 32);
	h->typecnt = tz_be32(p + 36);
	h->charcnt = tz_be32(p + 40);
	return WK_OK;
}

/* Bytes of the data block after a header; the counts are 32-bit. */
static uint64_t
tz_block_size(const struct tzif_header *h, uint64_t time_size)
{
	return (uint64_t)h->timecnt * (time_size + 1) +
	    (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

/* Checks the counts of the header whose block the zone is read from. */
static int
tz_check_counts(const struct tzif_header *h, const char **reason)
{
	if (h->typecnt == 0 || h->typecnt > TZ_TYPES_MAX || h->charcnt == 0) {
		*reason = N_("invalid count of local time types or abbreviation bytes");
		return WK_ERR_INVALID;
	}
	if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		*reason = N_("indicator counts differ from the count of local time types");
		return WK_ERR_INVALID;
	}
	if (h->leapcnt != 0) {
		*reason = N_("the file counts leap seconds (a \"right/\" zone); use the zone without \"right/\"");
		return WK_ERR_INVALID;
	}
	return WK_OK;
}

/* Reads the local time types of a block (after its transitions). */
static int
tz_read_types(struct tz *tz, const struct tzif_header *h, const uint8_t *p,
	      const char **reason)
{
	const char *chars = (const char *)p + h->typecnt * 6;
	uint32_t i;

	for (i = 0; i < h->typecnt; i++) {
		const uint8_t *t = p + i * 6;
		struct tz_type *type = &tz->types[i];
		const char *nul;

		type->utoff = tz_be32_signed(t);
		type->isdst = t[4];
		if (type->utoff < TZ_OFFSET_MIN || type->utoff > TZ_OFFSET_MAX ||
		    t[4] > 1 || t[5] >= h->charcnt) {
			*reason = N_("invalid local time type");
			return WK_ERR_INVALID;
		}
		nul = memchr(chars + t[5], '\0', h->charcnt - t[5]);
		if (nul == NULL) {
			*reason = N_("unterminated time zone abbreviation");
			return WK_ERR_INVALID;
		}
		tz_copy_abbr(type->abbr, chars + t[5], (size_t)(nul - chars - t[5]));
	}
	tz->ntypes = h->typecnt;
	return WK_OK;
}

/* Reads the transitions and types of the data block at p. */
static int
tz_read_block(struct tz *tz, const struct tzif_header *h, const uint8_t *p,
	      size_t time_size, const char **reason)
{
	const uint8_t *idx = p + (size_t)h->timecnt * time_size;
	uint32_t i;

	if (tz_check_counts(h, reason) != WK_OK)
		return WK_ERR_INVALID;
	tz->trans = malloc(((size_t)h->timecnt + 1) * sizeof *tz->trans);
	tz->trans_type = malloc((size_t)h->timecnt + 1);
	if (tz->trans == NULL || tz->trans_type == NULL)
		return WK_ERR_NOMEM;

	for (i = 0; i < h->timecnt; i++) {
		const uint8_t *at = p + (size_t)i * time_size;

		tz->trans[i] = time_size == 8 ? tz_be64(at) : tz_be32_signed(at);
		tz->trans_type[i] = idx[i];
		if ((i > 0 && tz->trans[i] <= tz->trans[i - 1]) ||
		    idx[i] >= h->typecnt) {
			*reason = N_("transitions out of order or with an invalid type");
			return WK_ERR_INVALID;
		}
	}
	tz->ntrans = h->timecnt;
	return tz_read_types(tz, h, idx + h->timecnt, reason);
}

/* Reads the footer "\nRULE\n" at p; an empty rule leaves has_rule 0. */
static int
tz_read_footer(struct tz *tz, const uint8_t *p, size_t len,
	       const char **reason)
{
	const uint8_t *nl;

	if (len < 2 || p[0] != '\n') {
		*reason = N_("missing footer after the 64-bit data");
		return WK_ERR_INVALID;
	}
	nl = memchr(p + 1, '\n', len - 1);
	if (nl == NULL) {
		*reason = N_("unterminated footer");
		return WK_ERR_INVALID;
	}
	if (nl == p + 1)
		return WK_OK;
	if (tz_parse_rule((const char *)p + 1, (size_t)(nl - p - 1), &tz->rule,
	    reason) != WK_OK)
		return WK_ERR_INVALID;
	tz->has_rule = 1;
	return WK_OK;
}

/*
 * Parses a whole TZif file. Version 1 files have only 32-bit data; later
 * versions repeat the data with 64-bit times and add the footer rule.
 */
static int
tz_parse_file(struct tz *tz, const uint8_t *p, size_t len,
	      const char **reason)
{
	struct tzif_header h;
	uint64_t block;
	int rc;

	*reason = NULL;
	if (tz_read_header(p, len, &h, reason) != WK_OK)
		return WK_ERR_INVALID;
	block = tz_block_size(&h, 4);
	if (len - TZ_HEADER_SIZE < block) {
		*reason = N_("the file is shorter than its header states");
		return WK_ERR_INVALID;
	}
	if (h.version == 1)
		return tz_read_block(tz, &h, p + TZ_HEADER_SIZE, 4, reason);

	p += TZ_HEADER_SIZE + block;
	len -= TZ_HEADER_SIZE + block;
	if (tz_read_header(p, len, &h, reason) != WK_OK)
		return WK_ERR_INVALID;
	block = tz_block_size(&h, 8);
	if (len - TZ_HEADER_SIZE < block) {
		*reason = N_("the file is shorter than its header states");
		return WK_ERR_INVALID;
	}
	rc = tz_read_block(tz, &h, p + TZ_HEADER_SIZE, 8, reason);
	if (rc != WK_OK)
		return rc;
	return tz_read_footer(tz, p + TZ_HEADER_SIZE + block,
	    len - TZ_HEADER_SIZE - block, reason);
}

/* ---- loading ---- */

/*
 * Copies a user's name for a message, cut to TZ_QUOTE_MAX bytes. Every
 * character outside printable ASCII, which no zone name contains, is
 * written as U+XXXX (U+FFFD for an invalid byte), so that a control or a
 * bidirectional character such as U+202E cannot change how the message
 * is shown.
 */
static void
tz_quote(char out[TZ_QUOTE_MAX + 4], const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t written = 0, len, code_len;
	char code[16];
	uint32_t cp;

	while (*p != '\0') {
		if (*p >= 0x20 && *p < 0x7f) {
			if (written + 1 > TZ_QUOTE_MAX)
				break;
			out[written++] = (char)*p++;
			continue;
		}
		len = text_utf8_decode(p, strnlen((const char *)p, 4), &cp);
		code_len = (size_t)snprintf(code, sizeof code, "U+%04X",
		    len == 0 ? 0xFFFDu : (unsigned)cp);
		if (written + code_len > TZ_QUOTE_MAX)
			break;
		memcpy(out + written, code, code_len);
		written += code_len;
		p += len == 0 ? 1 : len;
	}
	if (*p != '\0') {
		memcpy(out + written, "...", 3);
		written += 3;
	}
	out[written] = '\0';
}

/* Returns NULL when name may be a zone name, else the reason it may not. */
static const char *
tz_check_name(const char *name)
{
	const char *p;
	size_t len = strlen(name);

	if (len == 0)
		return N_("the name is empty");
	if (len > TZ_NAME_MAX)
		return N_("the name is longer than 255 bytes");
	if (name[0] == '/')
		return N_("the name must be relative to the zoneinfo directory, without a leading '/'");
	if (strstr(name, "..") != NULL)
		return N_("the name must not contain \"..\"");
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_-+.", *p) == NULL)
			return N_("the name may contain only letters, digits and \"/_-+.\"");
	}
	return NULL;
}

/*
 * Returns the length of a leading "right/" or "posix/" with a zone after
 * it, else 0. The right/ tree counts leap seconds, which schedules do not,
 * and posix/ duplicates the plain names. tz_load() rejects such a name
 * when the zone without the prefix loads, and reports other names under
 * these trees as unknown zones.
 */
static size_t
tz_variant_prefix(const char *name)
{
	static const char *const prefixes[] = { "right/", "posix/" };
	size_t i, len;

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		len = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], len) == 0 && name[len] != '\0')
			return len;
	}
	return 0;
}

static struct tz *
tz_new_utc(const char *name)
{
	struct tz *tz = calloc(1, sizeof *tz);

	if (tz == NULL)
		return NULL;
	snprintf(tz->name, sizeof tz->name, "%s", name);
	tz->ntypes = 1;
	strcpy(tz->types[0].abbr, "UTC");
	return tz;
}

/* Reads the regular file at path, at most TZ_FILE_MAX bytes, into buf. */
static int
tz_read_file(const char *path, const char *name, uint8_t **buf, size_t *len,
	     struct wk_err *err)
{
	char quoted[TZ_QUOTE_MAX + 4];
	struct stat st;
	int fd, rc = WK_OK;
	size_t got = 0;

	tz_quote(quoted, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return wk_err_set(err, WK_ERR_NOTFOUND,
		    _("unknown time zone \"%s\": %s does not exist; use an IANA name such as \"Europe/Berlin\", install the tzdata package, or set TZDIR to the zoneinfo directory"),
		    quoted, path);
	if (fd < 0)
		return wk_err_set(err, WK_ERR_IO,
		    _("cannot open time zone file %s: %s"), path, strerror(errno));

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = wk_err_set(err, WK_ERR_INVALID,
		    _("time zone \"%s\" is not a zone file (%s is a directory or special file); name a zone such as \"Europe/Berlin\""),
		    quoted, path);
		goto out;
	}
	if (st.st_size > TZ_FILE_MAX) {
		rc = wk_err_set(err, WK_ERR_LIMIT,
		    _("time zone file %s has %lld bytes, more than the maximum of %d; it is not a TZif file"),
		    path, (long long)st.st_size, TZ_FILE_MAX);
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		rc = wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = wk_err_set(err, WK_ERR_IO,
			    _("cannot read time zone file %s: %s"), path,
			    r < 0 ? strerror(errno) : _("the file shrank while it was read"));
			goto out;
		}
		got += (size_t)r;
	}
	*len = got;

out:
	close(fd);
	return rc;
}

/* Loads name from the zoneinfo directory. */
static int
tz_load_file(const char *name, struct tz *tz, struct wk_err *err)
{
	const char *dir = getenv("TZDIR"), *reason = NULL;
	char path[TZ_PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (dir == NULL || dir[0] == '\0')
		dir = TZ_DIR_DEFAULT;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return wk_err_set(err, WK_ERR_LIMIT,
		    _("time zone directory path too long: %s; set TZDIR to a shorter path"), dir);

	rc = tz_read_file(path, name, &buf, &len, err);
	if (rc != WK_OK)
		goto out;
	rc = tz_parse_file(tz, buf, len, &reason);
	if (rc == WK_ERR_NOMEM)
		rc = wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	else if (rc != WK_OK)
		rc = wk_err_set(err, WK_ERR_INVALID,
		    _("time zone file %s is not a valid TZif file: %s; reinstall the tzdata package or set TZDIR to an intact zoneinfo directory"),
		    path, _(reason));

out:
	free(buf);
	return rc;
}

int
tz_load(const char *name, struct tz **out, struct wk_err *err)
{
	char quoted[TZ_QUOTE_MAX + 4], plain[TZ_QUOTE_MAX + 4];
	const char *reason;
	struct tz *tz;
	int rc;

	*out = NULL;
	reason = tz_check_name(name);
	if (reason == NULL && tz_variant_prefix(name) > 0 &&
	    tz_load(name + tz_variant_prefix(name), &tz, err) == WK_OK) {
		tz_free(tz);
		tz_quote(quoted, name);
		tz_quote(plain, name + tz_variant_prefix(name));
		return wk_err_set(err, WK_ERR_INVALID,
		    _("invalid time zone name \"%s\": zones under right/ and posix/ are not accepted; use \"%s\""),
		    quoted, plain);
	}
	if (reason != NULL) {
		tz_quote(quoted, name);
		return wk_err_set(err, WK_ERR_INVALID,
		    _("invalid time zone name \"%s\": %s; use an IANA name such as \"Europe/Berlin\" or \"UTC\""),
		    quoted, _(reason));
	}

	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		tz = tz_new_utc(name);
		if (tz == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		*out = tz;
		return WK_OK;
	}

	tz = calloc(1, sizeof *tz);
	if (tz == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	snprintf(tz->name, sizeof tz->name, "%s", name);
	rc = tz_load_file(name, tz, err);
	if (rc != WK_OK) {
		tz_free(tz);
		return rc;
	}
	*out = tz;
	return WK_OK;
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->trans);
	free(tz->trans_type);
	free(tz);
}

const char *
tz_name(const struct tz *tz)
{
	return tz->name;
}

/* ---- queries ---- */

/* Returns the local time type in effect at utc_s. */
static const struct tz_type *
tz_type_at(const struct tz *tz, int64_t utc_s)
{
	size_t lo = 0, hi;

	utc_s = tz_clamp(utc_s);
	if (tz->ntrans == 0)
		return tz->has_rule ? tz_rule_type(&tz->rule, utc_s) :
		    &tz->types[0];
	if (utc_s < tz->trans[0])
		return &tz->types[0];
	if (utc_s >= tz->trans[tz->ntrans - 1] && tz->has_rule)
		return tz_rule_type(&tz->rule, utc_s);

	/* The last transition at or before utc_s is trans[lo]. */
	hi = tz->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= utc_s)
			lo = mid;
		else
			hi = mid;
	}
	return &tz->types[tz->trans_type[lo]];
}

int32_t
tz_offset_at(const struct tz *tz, int64_t utc_s)
{
	return tz_type_at(tz, utc_s)->utoff;
}

int
tz_is_dst_at(const struct tz *tz, int64_t utc_s)
{
	return tz_type_at(tz, utc_s)->isdst;
}

void
tz_abbr_at(const struct tz *tz, int64_t utc_s, char *out, size_t size)
{
	if (size == 0)
		return;
	snprintf(out, size, "%s", tz_type_at(tz, utc_s)->abbr);
}

int64_t
tz_next_transition(const struct tz *tz, int64_t utc_s)
{
	size_t lo = 0, hi;

	utc_s = tz_clamp(utc_s);
	if (tz->ntrans == 0 || utc_s >= tz->trans[tz->ntrans - 1])
		return tz->has_rule ? tz_rule_next(&tz->rule, utc_s) : INT64_MAX;
	if (utc_s < tz->trans[0])
		return tz->trans[0];

	/* The first transition after utc_s is trans[hi]. */
	hi = tz->ntrans - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= utc_s)
			lo = mid;
		else
			hi = mid;
	}
	return tz->trans[hi];
}

/*
 * Walks the intervals of constant offset around local_s: an interval
 * [start, next) with offset off contains the instant local_s - off when
 * that instant falls inside it. Between two intervals whose offset grows,
 * the local times [start + before, start + off) do not exist.
 */
int
tz_local_to_utc(const struct tz *tz, int64_t local_s, int64_t *first,
		int64_t *second)
{
	int64_t t, found[2] = { 0, 0 }, gap_end = INT64_MIN;
	int32_t before = 0;
	int count = 0, i;

	local_s = tz_clamp(local_s);
	t = local_s - TZ_WINDOW;
	for (i = 0; i < TZ_SCAN_MAX && t <= local_s + TZ_WINDOW; i++) {
		int32_t off = tz_offset_at(tz, t);
		int64_t next = tz_next_transition(tz, t);
		int64_t at = local_s - off;

		if (i > 0 && gap_end == INT64_MIN && local_s - before >= t &&
		    at < t)
			gap_end = t;
		if (at >= t && at < next)
			found[count == 0 ? 0 : 1] = at;
		count += at >= t && at < next;
		before = off;
		t = next;
	}

	if (count == 0) {
		*first = gap_end != INT64_MIN ? gap_end :
		    local_s - tz_offset_at(tz, local_s);
		return 0;
	}
	*first = found[0];
	if (count == 1)
		return 1;
	if (second != NULL)
		*second = found[1];
	return 2;
}

void
tz_civil_at(const struct tz *tz, int64_t utc_s, struct tz_civil *out)
{
	int64_t local, days, secs;

	utc_s = tz_clamp(utc_s);
	out->offset = tz_offset_at(tz, utc_s);
	local = utc_s + out->offset;
	days = tz_floor_div(local, 86400);
	secs = local - days * 86400;

	clk_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->wday = (int)(((days + 4) % 7 + 7) % 7);
}
