/*
 * The "slos" section of the configuration: service level objectives over
 * the runs, stage runs, artifacts and probes the agent records. The key
 * names follow the OpenSLO specification where they fit; docs/config.md
 * lists them and docs/slo.md explains how each SLI is counted.
 */
#ifndef WK_CONFIG_SLOS_H
#define WK_CONFIG_SLOS_H

#include <stddef.h>
#include <stdint.h>

#include "core/cfgcheck.h"
#include "core/config.h"

#define CFG_MAX_SLOS 256          /* SLOs in one configuration */
#define CFG_SLO_RULES_MAX 4       /* alert rules of one severity */
#define CFG_SLO_PATH_MAX 4096     /* bytes of a freshness path */
/* Shortest and longest rolling window, in minutes. */
#define CFG_SLO_WINDOW_MIN_MINUTES 60
#define CFG_SLO_WINDOW_MAX_MINUTES (365 * 1440)
#define CFG_SLO_TIMESLICE_MAX_MINUTES 1440  /* longest timeslice */

/* Kinds of SLI; docs/slo.md defines the events of each kind. */
enum cfg_sli_kind {
	CFG_SLI_RUN_SUCCESS,        /* finished runs of a pipeline */
	CFG_SLI_STAGE_LATENCY,      /* ended attempts of one stage */
	CFG_SLI_DEADLINE,           /* one event per scheduled local day */
	CFG_SLI_FRESHNESS,          /* one event per minute: a file's age */
	CFG_SLI_PROBE_AVAILABILITY, /* results of one probe */
	CFG_SLI_PROBE_LATENCY       /* results of one probe, by latency */
};

/* Budgeting methods: the unit the error budget is counted in. */
enum cfg_slo_budgeting {
	CFG_BUDGET_OCCURRENCES,  /* every event counts once */
	CFG_BUDGET_TIMESLICES    /* every slice of time with events counts once */
};

/* The indicator of an SLO: its kind and the parameters the kind uses. */
struct cfg_sli {
	enum cfg_sli_kind kind;  /* what is counted */
	char *pipeline;          /* run_success, stage_latency, deadline */
	char *stage;             /* stage_latency: a stage of pipeline */
	char *probe;             /* probe_availability, probe_latency */
	char *path;              /* freshness: absolute path of the file */
	int64_t threshold_ms;    /* stage_latency, probe_latency: the longest
				    good duration, in milliseconds */
	int64_t max_age_ms;      /* freshness: the oldest good age, in ms */
	int deadline_minute;     /* deadline: minutes after local midnight,
				    0..1439 */
	char *time_zone;         /* deadline: IANA zone of the deadline */
};

/* One multiwindow burn-rate rule. */
struct cfg_slo_rule {
	int64_t long_minutes;    /* long window */
	int64_t short_minutes;   /* short window, at most the long one */
	double burn_rate;        /* both windows must burn faster than this */
};

/* The alert rules of an SLO; a severity not given uses the default table. */
struct cfg_slo_alerting {
	int page_set;            /* 1 when "page" was given */
	int ticket_set;          /* 1 when "ticket" was given */
	struct cfg_slo_rule page[CFG_SLO_RULES_MAX];    /* page rules */
	size_t n_page;           /* entries in page */
	struct cfg_slo_rule ticket[CFG_SLO_RULES_MAX];  /* ticket rules */
	size_t n_ticket;         /* entries in ticket */
};

/* One SLO. */
struct cfg_slo {
	char *name;              /* unique among the SLOs: [A-Za-z0-9_.-] */
	char *description;       /* one line for people, or NULL */
	struct cfg_sli sli;      /* the indicator */
	double objective;        /* fraction of good events, 0 < x < 1 */
	int64_t window_minutes;  /* rolling window; 0 for a calendar month */
	char *time_zone;         /* calendar month: IANA zone; else NULL */
	enum cfg_slo_budgeting budgeting;  /* occurrences or timeslices */
	int64_t timeslice_minutes;  /* timeslices: slice length; else 0 */
	double timeslice_target; /* timeslices: fraction of good events a
				    good slice needs, 0 < x <= 1 */
	int64_t min_events;      /* a window with fewer events has no
				    ratio, >= 1 */
	struct cfg_slo_alerting alerting;  /* rules given in the file */
	struct cfg_pos pos;      /* the SLO's object in the file */
};

/* The "slos" section. */
struct cfg_slos {
	struct cfg_slo *items;   /* owned, in file order */
	size_t count;            /* entries in items */
};

/*
 * Reads the optional "slos" array m into cfg->slos (left NULL when m is
 * absent). Pipelines and stages named by an SLI must exist in cfg.
 */
int cfg_load_slos(struct cfgcheck *ck, struct cfg *cfg,
		  const struct cfgcheck_member *m);

/* Frees cfg->slos and sets it to NULL. */
void cfg_free_slos(struct cfg *cfg);

/* Finds an SLO by name, or returns NULL. */
const struct cfg_slo *cfg_find_slo(const struct cfg *cfg, const char *name);

/* Returns the configuration name of an SLI kind: "run_success", ... */
const char *cfg_sli_kind_name(enum cfg_sli_kind kind);

#endif
