#include "pipeline/gen.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/genrand.h"
#include "pipeline/outfile.h"

#define GEN_USERS_MAX UINT64_C(1000000000)  /* --users at most */
#define GEN_DAYS_MAX 36500                  /* --days at most */
#define GEN_MS_PER_S INT64_C(1000)

/*
 * The CDNOW model, fitted by hand so that 23,570 users over 546 days
 * match the statistics of data/cdnow/events.csv (docs/pipeline.md).
 */
#define GEN_CDNOW_ACQUIRE_SHARE (84.0 / 546.0)  /* first-purchase period */
#define GEN_CDNOW_RATE_SHAPE 0.4     /* gamma shape of purchases a day */
#define GEN_CDNOW_RATE_SCALE 0.016   /* gamma scale of purchases a day */
#define GEN_CDNOW_LIFE_MEAN 2000.0   /* mean lifetime after the first, days */
#define GEN_CDNOW_ONCE 0.15          /* share who never come back */
#define GEN_CDNOW_FADE 1.0           /* rate falls to e^-FADE by life's end */
#define GEN_CDNOW_SAME_DAY 0.03      /* chance of a second order that day */
#define GEN_CDNOW_EXTRA_CDS 0.585    /* geometric: P(one more CD) */
#define GEN_CDNOW_PRICE_MU 2.6       /* log-normal price of a CD, dollars */
#define GEN_CDNOW_PRICE_SIGMA 0.3

/* The Sparkify model: sessions of page views, some users cancel. */
#define GEN_SPARK_RATE_SHAPE 2.0     /* gamma shape of sessions a day */
#define GEN_SPARK_RATE_SCALE 0.075    /* gamma scale of sessions a day */
#define GEN_SPARK_ITEMS_P 0.06       /* geometric: items in a session */
#define GEN_SPARK_CANCEL 0.5         /* share who cancel in 1.5 x the days */
#define GEN_SPARK_CANCEL_SPAN 1.5    /* cancelling times span this x days */
#define GEN_SPARK_PAUSE_MS (10 * 60 * GEN_MS_PER_S)  /* between sessions */
#define GEN_SPARK_FADE 3.0           /* rate falls to e^-FADE at cancelling */
#define GEN_SPARK_PAID 0.6           /* share who start on the paid level */
#define GEN_SPARK_ARTISTS 5000       /* distinct artists */
#define GEN_SPARK_SONGS 20           /* songs of an artist */

enum gen_shape { GEN_CDNOW, GEN_SPARKIFY };

/* The options and state of one run. */
struct gen_stage {
	uint64_t users;           /* --users */
	uint64_t days;            /* --days */
	uint64_t seed;            /* --seed */
	const char *shape_text;   /* --shape as given */
	const char *start_text;   /* --start as given, or NULL */
	const char *output;       /* --output */
	enum gen_shape shape;     /* parsed --shape */
	int64_t start_day;        /* first day, days since 1970-01-01 */
	struct gen_rng rng;       /* the one random stream */
	struct outfile of;        /* the output */
	uint64_t events;          /* rows written */
	uint64_t cancelled;       /* sparkify: users who cancelled */
	double signal;            /* --signal: share of users who follow the
				     lifetime model, 0..1 */
};

/* A page of the Sparkify app and its share of the rows. */
struct gen_page {
	const char *name;    /* "page" field */
	double share;        /* share of the bundled log's rows */
	const char *method;  /* "method" field */
	int status;          /* "status" field */
	double logged_out;   /* share of its rows without a user id */
};

/*
 * Shares of the pages in data/sparkify-2018-11/events.jsonl, and the
 * share of each page's rows there that have an empty userId (logged out).
 */
static const struct gen_page gen_pages[] = {
	{ "NextSong", 0.846574, "PUT", 200, 0.0 },
	{ "Home", 0.100050, "GET", 200, 0.212 },
	{ "Login", 0.011420, "PUT", 307, 1.0 },
	{ "Logout", 0.011172, "PUT", 307, 0.0 },
	{ "Downgrade", 0.007448, "GET", 200, 0.0 },
	{ "Settings", 0.006951, "GET", 200, 0.0 },
	{ "Help", 0.005834, "GET", 200, 0.191 },
	{ "About", 0.004469, "GET", 200, 0.389 },
	{ "Upgrade", 0.002607, "GET", 200, 0.0 },
	{ "Save Settings", 0.001241, "PUT", 307, 0.0 },
	{ "Error", 0.001117, "GET", 404, 0.0 },
	{ "Submit Upgrade", 0.000993, "PUT", 307, 0.0 },
	{ "Submit Downgrade", 0.000124, "PUT", 307, 0.0 },
};

#define GEN_N_PAGES (sizeof gen_pages / sizeof gen_pages[0])

/* Writes one CDNOW purchase row. */
static void
gen_cdnow_row(struct gen_stage *st, uint64_t user, int64_t day)
{
	int64_t year;
	int month, mday;
	uint64_t cds = 1 + gen_geometric(&st->rng, 1.0 - GEN_CDNOW_EXTRA_CDS);
	double price = exp(GEN_CDNOW_PRICE_MU + GEN_CDNOW_PRICE_SIGMA *
	    gen_normal(&st->rng));

	clk_civil_from_days(st->start_day + day, &year, &month, &mday);
	outfile_printf(&st->of, "%05" PRIu64 ",%04" PRId64 "%02d%02d,%" PRIu64
	    ",%.2f\n", user + 1, year, month, mday, cds, (double)cds * price);
	st->events++;
}

/* Writes one purchase day, sometimes with a second order. */
static void
gen_cdnow_day(struct gen_stage *st, uint64_t user, int64_t day)
{
	gen_cdnow_row(st, user, day);
	if (gen_uniform(&st->rng) < GEN_CDNOW_SAME_DAY)
		gen_cdnow_row(st, user, day);
}

/*
 * Writes a CDNOW customer without signal: purchases at the population's
 * mean rate over the whole period, with no lifetime and no fading. The
 * past of such a customer says nothing about the future (a Poisson
 * process has no memory), so a share of them lowers what a model can
 * find.
 */
static void
gen_cdnow_noise_user(struct gen_stage *st, uint64_t user, double first)
{
	double rate = GEN_CDNOW_RATE_SHAPE * GEN_CDNOW_RATE_SCALE;
	double t = first;

	gen_cdnow_day(st, user, (int64_t)first);
	for (;;) {
		t += gen_exponential(&st->rng, 1.0 / rate);
		if (t >= (double)st->days)
			return;
		gen_cdnow_day(st, user, (int64_t)t);
	}
}

/*
 * Writes one CDNOW customer: a first purchase at a uniform day of the
 * acquisition period, then purchases at a rate that fades as
 * exp(-FADE x) over the lifetime, x being the share of it gone. The
 * purchases come from thinning a Poisson process of the starting rate.
 * With --signal below 1, that share of customers follows this model and
 * the others have no signal (gen_cdnow_noise_user).
 */
static void
gen_cdnow_user(struct gen_stage *st, uint64_t user)
{
	double acquire = fmax(1.0, floor((double)st->days *
	    GEN_CDNOW_ACQUIRE_SHARE));
	double first = floor(gen_uniform(&st->rng) * acquire);
	double rate = gen_gamma(&st->rng, GEN_CDNOW_RATE_SHAPE,
	    GEN_CDNOW_RATE_SCALE);
	double life = gen_uniform(&st->rng) < GEN_CDNOW_ONCE ? 0.0 :
	    gen_exponential(&st->rng, GEN_CDNOW_LIFE_MEAN);
	double t = first, end = fmin(first + life, (double)st->days);

	/* Drawn only below 1, so that the default writes the same bytes. */
	if (st->signal < 1.0 && gen_uniform(&st->rng) >= st->signal) {
		gen_cdnow_noise_user(st, user, first);
		return;
	}
	gen_cdnow_day(st, user, (int64_t)first);
	if (rate <= 0.0)
		return;
	for (;;) {
		t += gen_exponential(&st->rng, 1.0 / rate);
		if (t >= end)
			break;
		if (gen_uniform(&st->rng) < exp(-GEN_CDNOW_FADE * (t - first) /
		    life))
			gen_cdnow_day(st, user, (int64_t)t);
	}
}

/* Picks a page by the shares of the bundled log. */
static const struct gen_page *
gen_pick_page(struct gen_stage *st)
{
	double u = gen_uniform(&st->rng), sum = 0.0;
	size_t i;

	for (i = 0; i < GEN_N_PAGES - 1; i++) {
		sum += gen_pages[i].share;
		if (u < sum)
			break;
	}
	return &gen_pages[i];
}

/* State of one Sparkify user while its rows are written. */
struct gen_user {
	uint64_t id;              /* userId - 1 */
	int64_t registration_ms;  /* sign-up time */
	bool paid;                /* level */
	uint64_t session;         /* sessionId of the current session */
	int64_t item;             /* itemInSession */
	int64_t busy_until;       /* end of the last session and a pause, ms */
};

/* Writes one Sparkify row; artist and song only for NextSong. */
static void
gen_spark_row(struct gen_stage *st, const struct gen_user *u,
	      const struct gen_page *page, int64_t ts, double length,
	      bool logged_out)
{
	struct outfile *of = &st->of;

	if (length > 0.0) {
		uint64_t a = gen_below(&st->rng, GEN_SPARK_ARTISTS);

		/* Squaring the uniform makes low-numbered artists popular. */
		a = (uint64_t)((double)a * (double)a / GEN_SPARK_ARTISTS);
		outfile_printf(of, "{\"artist\":\"Artist %" PRIu64 "\",", a + 1);
	} else {
		outfile_puts(of, "{\"artist\":null,");
	}
	outfile_printf(of, "\"auth\":\"%s\",\"itemInSession\":%" PRId64 ","
	    "\"length\":", logged_out ? "Logged Out" : strcmp(page->name,
	    "Cancellation Confirmation") == 0 ? "Cancelled" : "Logged In",
	    u->item);
	if (length > 0.0)
		outfile_printf(of, "%.5f", length);
	else
		outfile_puts(of, "null");
	outfile_printf(of, ",\"level\":\"%s\",\"method\":\"%s\",\"page\":\"%s\","
	    "\"registration\":", u->paid ? "paid" : "free", page->method,
	    page->name);
	if (logged_out)
		outfile_puts(of, "null");
	else
		outfile_printf(of, "%" PRId64 ".0", u->registration_ms);
	outfile_printf(of, ",\"sessionId\":%" PRIu64 ",\"song\":", u->session);
	if (length > 0.0)
		outfile_printf(of, "\"Song %" PRIu64 "\"",
		    gen_below(&st->rng, GEN_SPARK_SONGS) + 1);
	else
		outfile_puts(of, "null");
	outfile_printf(of, ",\"status\":%d,\"ts\":%" PRId64 ",\"userId\":\"",
	    page->status, ts);
	if (!logged_out)
		outfile_printf(of, "%" PRIu64, u->id + 1);
	outfile_puts(of, "\"}\n");
	st->events++;
}

/* Writes one page view and returns the time the next one starts. */
static int64_t
gen_spark_item(struct gen_stage *st, struct gen_user *u,
	       const struct gen_page *page, int64_t ts)
{
	double length = 0.0;

	if (page->logged_out > 0.0 && gen_uniform(&st->rng) <
	    page->logged_out) {
		gen_spark_row(st, u, page, ts, 0.0, true);
		return ts + (int64_t)(5000.0 + 55000.0 * gen_uniform(&st->rng));
	}
	if (strcmp(page->name, "NextSong") == 0)
		length = fmax(30.0, 250.0 + 80.0 * gen_normal(&st->rng));
	else if (strcmp(page->name, "Submit Upgrade") == 0)
		u->paid = true;
	else if (strcmp(page->name, "Submit Downgrade") == 0)
		u->paid = false;
	gen_spark_row(st, u, page, ts, length, false);
	u->item++;
	if (length > 0.0)
		return ts + (int64_t)(length * 1000.0);
	return ts + (int64_t)(5000.0 + 55000.0 * gen_uniform(&st->rng));
}

/*
 * Writes one session starting at ts, or after the user's last session
 * when that is later, and ends it with cancelling when asked.
 */
static void
gen_spark_session(struct gen_stage *st, struct gen_user *u, int64_t ts,
		  bool cancel)
{
	static const struct gen_page cancel_pages[] = {
		{ "Cancel", 0.0, "PUT", 307, 0.0 },
		{ "Cancellation Confirmation", 0.0, "GET", 200, 0.0 },
	};
	uint64_t items = 1 + gen_geometric(&st->rng, GEN_SPARK_ITEMS_P);
	uint64_t i;

	if (ts < u->busy_until)
		ts = u->busy_until;
	u->session = u->id * 100000 + u->session % 100000 + 1;
	u->item = 0;
	for (i = 0; i < items; i++)
		ts = gen_spark_item(st, u, gen_pick_page(st), ts);
	if (cancel) {
		ts = gen_spark_item(st, u, &cancel_pages[0], ts);
		ts = gen_spark_item(st, u, &cancel_pages[1], ts);
		st->cancelled++;
	}
	u->busy_until = ts + GEN_SPARK_PAUSE_MS;
}

/*
 * Writes one Sparkify user: sessions at a gamma-distributed daily rate.
 * A share of the users cancels at a uniform time in 1.5 times the
 * period. Their rate fades as exp(-FADE x) toward it, x being the share
 * of the time gone, so their activity declines before they leave. Those
 * who cancel after the period only fade.
 */
static void
gen_spark_user(struct gen_stage *st, uint64_t id)
{
	int64_t start_ms = st->start_day * CLK_MS_PER_DAY;
	double span = (double)st->days * (double)CLK_MS_PER_DAY;
	double rate = gen_gamma(&st->rng, GEN_SPARK_RATE_SHAPE,
	    GEN_SPARK_RATE_SCALE) / (double)CLK_MS_PER_DAY;
	bool cancels = gen_uniform(&st->rng) < GEN_SPARK_CANCEL;
	double cancel_at = cancels ? GEN_SPARK_CANCEL_SPAN * span *
	    gen_uniform(&st->rng) : INFINITY;
	struct gen_user u = { id, start_ms - (int64_t)(gen_uniform(&st->rng) *
	    60.0 * (double)CLK_MS_PER_DAY), gen_uniform(&st->rng) <
	    GEN_SPARK_PAID, 0, 0, 0 };
	double t = 0.0;

	for (;;) {
		t += gen_exponential(&st->rng, 1.0 / rate);
		if (t >= span || t >= cancel_at)
			break;
		if (cancels && gen_uniform(&st->rng) >= exp(-GEN_SPARK_FADE *
		    t / cancel_at))
			continue;
		gen_spark_session(st, &u, start_ms + (int64_t)t, false);
	}
	if (cancel_at < span)
		gen_spark_session(st, &u, start_ms + (int64_t)cancel_at, true);
}

static int
gen_write(struct gen_stage *st, struct notify *nt)
{
	uint64_t u;

	if (st->shape == GEN_CDNOW)
		outfile_puts(&st->of, "customer_id,date,number_of_cds,"
		    "dollar_value\n");
	for (u = 0; u < st->users; u++) {
		if (u % 4096 == 0)
			notify_progress(nt, (double)u / (double)st->users);
		if (st->shape == GEN_CDNOW)
			gen_cdnow_user(st, u);
		else
			gen_spark_user(st, u);
	}
	return st->of.write_errno == 0 ? WK_OK : WK_ERR_IO;
}

static int
gen_check_opts(struct gen_stage *st, struct wk_err *err)
{
	if (strcmp(st->shape_text, "cdnow") == 0)
		st->shape = GEN_CDNOW;
	else if (strcmp(st->shape_text, "sparkify") == 0)
		st->shape = GEN_SPARKIFY;
	else
		return wk_err_set(err, WK_ERR_INVALID, _("churn generate: "
		    "--shape '%s' is not known; use cdnow or sparkify"),
		    st->shape_text);
	if (st->users < 1 || st->users > GEN_USERS_MAX || st->days < 1 ||
	    st->days > GEN_DAYS_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("churn generate: "
		    "--users must lie between 1 and %" PRIu64 " and --days "
		    "between 1 and %d"), GEN_USERS_MAX, GEN_DAYS_MAX);
	if (!(st->signal >= 0.0 && st->signal <= 1.0))
		return wk_err_set(err, WK_ERR_INVALID, _("churn generate: "
		    "--signal must lie between 0 and 1"));
	if (st->start_text == NULL)
		st->start_text = st->shape == GEN_CDNOW ? "1997-01-01" :
		    "2018-11-01";
	return cli_date("start", st->start_text, &st->start_day, err);
}

int
gen_main(int argc, char **argv, struct notify *nt)
{
	struct gen_stage st = { .seed = 1, .shape_text = "cdnow",
		.signal = 1.0 };
	const struct cli_opt opts[] = {
		{ "users", CLI_UINT, "N", N_("users to generate, 1 to "
		  "1000000000"), true, &st.users },
		{ "days", CLI_UINT, "D", N_("days the log covers, 1 to 36500"),
		  true, &st.days },
		{ "seed", CLI_UINT, "S", N_("seed; the same options write the "
		  "same bytes (default 1)"), false, &st.seed },
		{ "shape", CLI_STRING, "cdnow|sparkify", N_("cdnow: CSV of "
		  "purchases like data/cdnow; sparkify: JSON Lines of app "
		  "events like data/sparkify-2018-11 (default cdnow)"), false,
		  &st.shape_text },
		{ "signal", CLI_DOUBLE, "F", N_("cdnow: share of customers "
		  "whose activity fades before they leave, 0 to 1; the others "
		  "buy at a constant rate, which a model cannot predict "
		  "(default 1)"), false, &st.signal },
		{ "start", CLI_STRING, "YYYY-MM-DD", N_("first day (default "
		  "1997-01-01 for cdnow, 2018-11-01 for sparkify)"), false,
		  &st.start_text },
		{ "output", CLI_STRING, "FILE", N_("log to write"), true,
		  &st.output },
	};
	const struct cli_cmd cmd = { "generate", N_("Write a synthetic event "
	    "log in the shape of a bundled one."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc == WK_OK)
		rc = gen_check_opts(&st, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("generate: starting"));
	gen_seed(&st.rng, st.seed);
	if (outfile_open(&st.of, st.output, &err) != WK_OK)
		return churn_fail("generate", EX_CANTCREAT, &err);
	notify_status(nt, _("writing %" PRIu64 " users to %s"), st.users,
	    st.output);
	gen_write(&st, nt);
	if (outfile_commit(&st.of, &err) != WK_OK) {
		churn_status_failed(nt, "generate", &err);
		return churn_fail("generate", EX_IOERR, &err);
	}

	notify_metric(nt, "users", (double)st.users);
	notify_metric(nt, "events", (double)st.events);
	printf(_("generate: %" PRIu64 " users, %" PRIu64 " events, %s shape, "
	    "%" PRIu64 " days from %s, seed %" PRIu64 " -> %s\n"), st.users,
	    st.events, st.shape_text, st.days, st.start_text, st.seed,
	    st.output);
	notify_progress(nt, 1.0);
	return EX_OK;
}
