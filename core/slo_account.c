/*
 * SLI accounting: the per-minute good and total counts of every SLO,
 * derived from the facts in the store.
 *
 * A minute's counts are a function of the facts alone, so the accounting
 * derives a range of minutes again, compares it with the stored rows and
 * writes only the minutes that differ. Checking a range twice changes
 * nothing, which is what makes restarts and rebuilds agree with the
 * incremental ticks. The one kind whose facts are not in the store yet is
 * freshness: slo_account_observe() records the file's mtime whenever it
 * changes (slo_file_checks), and the minutes are derived from those
 * records.
 */
#include "core/slo_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"

#define MINUTE SLO_MINUTE_MS
#define DAY_S INT64_C(86400)

/* Adds the rows of a query to counts[key - first] for keys in range. */
struct account_fill {
	struct slo_counts *counts;  /* one entry per minute of the chunk */
	int64_t first;              /* minute of counts[0] */
	int64_t last;               /* minute of the last entry */
};

static int
account_fill_row(void *ctx, int64_t key, int64_t good, int64_t total,
		 int64_t invalid)
{
	struct account_fill *fill = ctx;
	struct slo_counts *c;

	if (key < fill->first || key > fill->last)
		return 0;
	c = &fill->counts[key - fill->first];
	c->good += good;
	c->total += total;
	c->invalid += invalid;
	return 0;
}

void
slo_account_define(const struct cfg_slo *slo, int64_t keep_minutes,
		   char *out, size_t size)
{
	const struct cfg_sli *s = &slo->sli;
	const char *kind = cfg_sli_kind_name(s->kind);
	long long keep = (long long)keep_minutes;

	switch (s->kind) {
	case CFG_SLI_RUN_SUCCESS:
		snprintf(out, size, "%s|keep=%lld|%s", kind, keep, s->pipeline);
		break;
	case CFG_SLI_STAGE_LATENCY:
		snprintf(out, size, "%s|keep=%lld|%lld|%s|%s", kind, keep,
		    (long long)s->threshold_ms, s->pipeline, s->stage);
		break;
	case CFG_SLI_DEADLINE:
		snprintf(out, size, "%s|keep=%lld|%d|%s|%s", kind, keep,
		    s->deadline_minute, s->time_zone, s->pipeline);
		break;
	case CFG_SLI_FRESHNESS:
		/* The path comes last: it may contain '|'. */
		snprintf(out, size, "%s|keep=%lld|%lld|%s", kind, keep,
		    (long long)s->max_age_ms, s->path);
		break;
	case CFG_SLI_PROBE_AVAILABILITY:
		snprintf(out, size, "%s|keep=%lld|%s", kind, keep, s->probe);
		break;
	case CFG_SLI_PROBE_LATENCY:
		snprintf(out, size, "%s|keep=%lld|%lld|%s", kind, keep,
		    (long long)s->threshold_ms, s->probe);
		break;
	}
}

/* Returns the path of a freshness definition, or NULL for other kinds. */
static const char *
account_file_of(const char *def)
{
	const char *p = def;
	int bars = 0;

	if (strncmp(def, "freshness|", 10) != 0)
		return NULL;
	while (*p != '\0' && bars < 3) {
		if (*p++ == '|')
			bars++;
	}
	return bars == 3 ? p : NULL;
}

int
slo_account_same_file(const char *a, const char *b)
{
	const char *fa = account_file_of(a), *fb = account_file_of(b);

	return fa != NULL && fb != NULL && strcmp(fa, fb) == 0;
}

/* Returns the UTC second of local time local_s, or the end of its gap. */
static int64_t
account_local_to_utc(const struct tz *zone, int64_t local_s)
{
	int64_t first = local_s, second = local_s;

	tz_local_to_utc(zone, local_s, &first, &second);
	return first;
}

/* Returns 1 when the pipeline's schedule fires on local day (deadline zone). */
static int
account_scheduled(const struct slo_item *it, int64_t day)
{
	int64_t from, to, fire;
	size_t n = 0;
	int rc;

	if (!it->has_schedule)
		return 1;
	from = account_local_to_utc(it->deadline_zone, day * DAY_S);
	to = account_local_to_utc(it->deadline_zone, (day + 1) * DAY_S);
	rc = cron_fires_between(&it->schedule, it->schedule_zone, from - 1,
	    to - 1, &fire, 1, &n);
	return rc == WK_ERR_LIMIT || (rc == WK_OK && n > 0);
}

/* Judges one local day of a deadline SLI into facts[]. */
static int
account_deadline_day(struct store_slo *ss, const struct slo_item *it,
		     struct account_fill *fill, int64_t day, int64_t due_s)
{
	const struct cfg_sli *sli = &it->cfg->sli;
	struct slo_counts *c = &fill->counts[due_s / 60 - fill->first];
	char date[16];
	int found = 0, rc;

	if (!account_scheduled(it, day))
		return WK_OK;
	clk_format_date(date, sizeof date, day);
	rc = store_slo_deadline_met(ss, sli->pipeline, date, due_s * 1000,
	    &found);
	if (rc != WK_OK)
		return rc;
	c->total++;
	c->good += found;
	return WK_OK;
}

/*
 * Fills the deadline events of minutes [first, last]: one per scheduled
 * local day whose deadline falls in them, from the day of the pipeline's
 * first run on.
 */
static int
account_deadlines(struct store_slo *ss, const struct slo_item *it,
		  struct account_fill *fill)
{
	const struct cfg_sli *sli = &it->cfg->sli;
	struct tz_civil civil;
	int64_t first_run, day, due;
	int rc;

	rc = store_slo_first_run(ss, sli->pipeline, &first_run);
	if (rc != WK_OK || first_run < 0)
		return rc;

	tz_civil_at(it->deadline_zone, fill->first * 60, &civil);
	day = clk_days_from_civil(civil.year, civil.month, civil.day) - 1;
	for (;; day++) {
		due = account_local_to_utc(it->deadline_zone,
		    day * DAY_S + sli->deadline_minute * 60);
		if (due / 60 > fill->last)
			break;
		if (due / 60 < fill->first || due * 1000 <= first_run)
			continue;
		rc = account_deadline_day(ss, it, fill, day, due);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

/* Collects the freshness checks a query returns into the scratch. */
static int
account_check_row(void *ctx, int64_t minute, int64_t mtime, int64_t unused1,
		  int64_t unused2)
{
	struct slo_scratch *scratch = ctx;

	(void)unused1;
	(void)unused2;
	if (scratch->n_checks >= SLO_SYNC_CHUNK + 1)
		return 1;
	scratch->check_minute[scratch->n_checks] = minute;
	scratch->check_mtime[scratch->n_checks] = mtime;
	scratch->n_checks++;
	return 0;
}

/*
 * Fills the freshness events of minutes [first, last]: one per minute
 * from the first check to the last judged minute, good when the file
 * existed and its age at the start of the minute was at most max_age.
 */
static int
account_freshness(struct store_slo *ss, struct slo_item *it,
		  struct slo_scratch *scratch, struct account_fill *fill)
{
	int64_t last = fill->last, m, age;
	size_t j = 0;
	int rc;

	if (last > it->cursor.checked_minute)
		last = it->cursor.checked_minute;
	if (last < fill->first)
		return WK_OK;
	scratch->n_checks = 0;
	rc = store_slo_checks(ss, it->cfg->name, fill->first, last,
	    account_check_row, scratch);
	if (rc != WK_OK || scratch->n_checks == 0)
		return rc;

	for (m = fill->first; m <= last; m++) {
		struct slo_counts *c = &fill->counts[m - fill->first];

		while (j + 1 < scratch->n_checks &&
		       scratch->check_minute[j + 1] <= m)
			j++;
		if (scratch->check_minute[j] > m)
			continue;
		age = m * MINUTE - scratch->check_mtime[j];
		c->total = 1;
		c->good = scratch->check_mtime[j] >= 0 &&
		    age <= it->cfg->sli.max_age_ms;
	}
	return WK_OK;
}

/* Fills fill->counts with the events the facts give in its minutes. */
static int
account_facts(struct store_slo *ss, struct slo_item *it,
	      struct slo_scratch *scratch, struct account_fill *fill)
{
	const struct cfg_sli *s = &it->cfg->sli;
	int64_t from_ms = fill->first * MINUTE;
	int64_t to_ms = (fill->last + 1) * MINUTE;

	switch (s->kind) {
	case CFG_SLI_RUN_SUCCESS:
		return store_slo_facts(ss, STORE_SLO_RUNS, s->pipeline, NULL,
		    0, from_ms, to_ms, account_fill_row, fill);
	case CFG_SLI_STAGE_LATENCY:
		return store_slo_facts(ss, STORE_SLO_STAGE_LATENCY,
		    s->pipeline, s->stage, s->threshold_ms, from_ms, to_ms,
		    account_fill_row, fill);
	case CFG_SLI_PROBE_AVAILABILITY:
		return store_slo_facts(ss, STORE_SLO_PROBE_UP, s->probe, NULL,
		    0, from_ms, to_ms, account_fill_row, fill);
	case CFG_SLI_PROBE_LATENCY:
		return store_slo_facts(ss, STORE_SLO_PROBE_LATENCY, s->probe,
		    NULL, s->threshold_ms, from_ms, to_ms, account_fill_row,
		    fill);
	case CFG_SLI_DEADLINE:
		return account_deadlines(ss, it, fill);
	case CFG_SLI_FRESHNESS:
		return account_freshness(ss, it, scratch, fill);
	}
	return WK_ERR_INVALID;
}

/*
 * Writes the minutes of one chunk whose facts and stored rows differ, and
 * adds their number to *written.
 */
static int
account_write(struct store_slo *ss, struct slo_item *it,
	      struct slo_scratch *scratch, int64_t first, size_t n,
	      slo_delta_fn fn, void *ctx, int64_t *written)
{
	struct slo_counts delta;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		const struct slo_counts *f = &scratch->facts[i];
		const struct slo_counts *s = &scratch->stored[i];

		if (f->good == s->good && f->total == s->total &&
		    s->invalid == 0)
			continue;
		rc = store_slo_minute_put(ss, it->cfg->name,
		    first + (int64_t)i, f->good, f->total);
		if (rc != WK_OK)
			return rc;
		(*written)++;
		delta.good = f->good - s->good;
		delta.total = f->total - s->total;
		delta.invalid = -s->invalid;
		rc = fn(ctx, first + (int64_t)i, &delta);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

int
slo_account_sync(struct store_slo *ss, struct slo_item *it,
		 struct slo_scratch *scratch, int64_t from, int64_t to,
		 slo_delta_fn fn, void *ctx, int64_t *budget, int64_t *done)
{
	struct account_fill facts, stored;
	int64_t first, written;
	size_t n;
	int rc;

	*done = from - 1;
	for (first = from; first <= to; first += SLO_SYNC_CHUNK) {
		if (budget != NULL && *budget <= 0)
			break;
		n = (size_t)(to - first + 1 < SLO_SYNC_CHUNK ?
		    to - first + 1 : SLO_SYNC_CHUNK);
		memset(scratch->facts, 0, n * sizeof scratch->facts[0]);
		memset(scratch->stored, 0, n * sizeof scratch->stored[0]);
		facts = (struct account_fill){ scratch->facts, first,
			first + (int64_t)n - 1 };
		stored = (struct account_fill){ scratch->stored, first,
			first + (int64_t)n - 1 };

		rc = account_facts(ss, it, scratch, &facts);
		if (rc == WK_OK)
			rc = store_slo_minutes(ss, it->cfg->name, first,
			    stored.last, account_fill_row, &stored);
		written = 0;
		if (rc == WK_OK)
			rc = account_write(ss, it, scratch, first, n, fn, ctx,
			    &written);
		if (rc != WK_OK)
			return rc;
		*done = first + (int64_t)n - 1;
		if (budget != NULL)
			*budget -= SLO_SYNC_CHUNK_COST + written;
	}
	return WK_OK;
}

/*
 * Returns the file's mtime in ms, or -1 when it cannot be read. The stat()
 * runs in the agent's event loop, which a hanging network file system
 * would block.
 */
static int64_t
account_stat(const struct slo_item *it)
{
	const char *path = it->cfg->sli.path;
	struct stat sb;
	int64_t mtime;

	if (stat(path, &sb) != 0) {
		if (errno != ENOENT && errno != ENOTDIR && (!it->file_known ||
		    it->file_mtime >= 0))
			LOG(LL_WARN, _("SLO %s: cannot check %s: %s; the file counts as missing"),
			    it->cfg->name, path, strerror(errno));
		return -1;
	}
	mtime = (int64_t)sb.st_mtim.tv_sec * 1000 +
	    sb.st_mtim.tv_nsec / 1000000;
	return mtime < 0 ? 0 : mtime;
}

int
slo_account_observe(struct store_slo *ss, struct slo_item *it, int64_t t)
{
	int64_t checked = it->cursor.checked_minute, mtime, from;
	int rc;

	/* NOTE: after the wall clock steps back, checks wait for it. */
	if (checked >= 0 && t < checked)
		return WK_OK;
	mtime = account_stat(it);
	if (!it->file_known || mtime != it->file_mtime) {
		if (checked < 0)
			from = t;
		else if (mtime >= 0)
			from = mtime / MINUTE < checked + 1 ? checked + 1 :
			    mtime / MINUTE;
		else
			from = checked + 1;
		if (from > t)
			from = t;
		rc = store_slo_check_put(ss, it->cfg->name, from, mtime);
		if (rc != WK_OK)
			return rc;
		it->file_known = 1;
		it->file_mtime = mtime;
	}
	it->cursor.checked_minute = t;
	return WK_OK;
}
