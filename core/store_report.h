/*
 * Read-only queries for retrospectives: the runs and stage attempts of a
 * period, probe availability and latency percentiles, SLI counts of a
 * period, and the history of incidents (alert_incidents). The web pages,
 * the JSON API and `watchkeep report` read through them, each on a store
 * opened STORE_READ_ONLY.
 *
 * Times are milliseconds since the epoch, UTC; minutes are minutes since
 * the epoch. A period [from, to) includes from and excludes to.
 */
#ifndef WK_STORE_REPORT_H
#define WK_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

#define STORE_REPORT_LATENCIES_MAX 2000000  /* results in one percentile */

/*
 * Opens a read transaction, so that the queries until
 * store_report_read_end() see one snapshot of the store, and sets a
 * deadline (clk_mono_ns() time, 0: none) after which a running query
 * stops with WK_ERR_BUSY.
 */
int store_report_read_begin(struct store *st, int64_t deadline_ns);

/* Ends the read transaction and removes the deadline. */
void store_report_read_end(struct store *st);

/*
 * Reads SQLite's data_version of the connection: it changes when another
 * connection commits to the store.
 */
int store_report_data_version(struct store *st, int64_t *version);

/*
 * Reads up to max runs of pipeline (NULL: all) that started in
 * [from, to), newest first. Sets *count.
 */
int store_report_runs(struct store *st, const char *pipeline, int64_t from,
		      int64_t to, struct store_run *runs, size_t max,
		      size_t *count);

/*
 * Reads every attempt of every stage of a run (not only the latest), in
 * the order they were inserted. Sets *count.
 */
int store_report_attempts(struct store *st, int64_t run_id,
			  struct store_stage_run *rows, size_t max,
			  size_t *count);

/* One probe result, as charts read them. */
struct store_report_result {
	int64_t at;          /* ms since epoch, when the check started */
	int ok;              /* 1 up, 0 down */
	double latency_ms;   /* -1 when not measured */
};

/*
 * Reads up to max results of probe in [from, to), oldest first. Sets
 * *count; *more is set to 1 when results were left out.
 */
int store_report_results(struct store *st, const char *probe, int64_t from,
			 int64_t to, struct store_report_result *rows,
			 size_t max, size_t *count, int *more);

/* Availability and latency of a probe over a period. */
struct store_report_probe {
	int64_t checks;      /* results in the period */
	int64_t up;          /* results that succeeded */
	int64_t measured;    /* results with a latency */
	double p50_ms;       /* latency percentiles (nearest rank), -1: none */
	double p95_ms;
	double p99_ms;
	double max_ms;       /* highest latency, -1: none */
};

/* Computes the availability and latency percentiles of probe. */
int store_report_probe_stats(struct store *st, const char *probe,
			     int64_t from, int64_t to,
			     struct store_report_probe *out);

/*
 * Sums the good and total events of SLO slo in minutes [from, to) from
 * sli_hours for whole hours and sli_minutes for the rest.
 */
int store_report_sli_sum(struct store *st, const char *slo, int64_t from,
			 int64_t to, int64_t *good, int64_t *total);

/*
 * Reads up to max names of the SLOs with stored evaluations, sorted.
 * Each name has room for 64 bytes with its NUL.
 */
int store_report_slo_names(struct store *st, char (*names)[64], size_t max,
			   size_t *count);

/* One firing of an alert, a row of alert_incidents. */
struct store_report_incident {
	char fingerprint[20];  /* 16 hex digits */
	int64_t fired_at;      /* ms since epoch */
	char source[32];       /* stage_failed, probe_down, ... */
	char severity[16];     /* page, ticket, info */
	char labels[1024];     /* JSON object of strings, cut at 1023 bytes */
	char summary[512];     /* one line */
	char link[256];        /* path under the web base URL */
	char state[16];        /* firing or resolved */
	int64_t active_since;  /* condition active since */
	int64_t ack_at;        /* acknowledged at, 0: not */
	int64_t resolved_at;   /* resolved at, 0: not yet */
};

/*
 * Reads up to max incidents that fired before to and had not resolved by
 * from, oldest first. Sets *count. Retention removes incidents resolved
 * before the age of "retention"."runs".
 */
int store_report_incidents(struct store *st, int64_t from, int64_t to,
			   struct store_report_incident *rows, size_t max,
			   size_t *count);

/* Counts the runs of pipeline (NULL: all) in each state. */
struct store_report_run_counts {
	int64_t total;       /* runs that started in the period */
	int64_t succeeded;   /* of them, succeeded */
	int64_t failed;      /* of them, failed */
	int64_t running;     /* of them, still running */
};
int store_report_run_counts(struct store *st, const char *pipeline,
			    int64_t from, int64_t to,
			    struct store_report_run_counts *out);

/* An error signature as seen in one stage run of a run. */
struct store_report_signature {
	char stage[64];        /* stage name */
	int attempt;           /* attempt of the stage run */
	char signature[256];   /* masked first line */
	char sample[256];      /* latest line as written, sanitized */
	int64_t count;         /* errors of it in the stage run */
	int64_t total;         /* errors of it, all time */
	int64_t first_seen;    /* ms since epoch, all time */
};

/*
 * Reads up to max signatures seen in the stage runs of run_id, most
 * frequent first. Sets *count.
 */
int store_report_run_signatures(struct store *st, int64_t run_id,
				struct store_report_signature *rows,
				size_t max, size_t *count);

#endif
