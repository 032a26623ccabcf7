/*
 * The "alerting" section of the configuration: chat receivers, routes,
 * grouping, timing, maintenance windows, delivery limits and the dead man's
 * switch. core/config_alerting.c reads it; agent/alert*.c uses it.
 *
 * The sources and severities of alerts are listed here because both the
 * configuration (per-source timing, matchers) and the alert engine name
 * them.
 */
#ifndef WK_CONFIG_ALERTING_H
#define WK_CONFIG_ALERTING_H

#include <stddef.h>
#include <stdint.h>

#define CFG_ALERT_RECEIVERS_MAX 32
#define CFG_ALERT_ROUTES_MAX 64
#define CFG_ALERT_MATCHERS_MAX 8    /* matchers of one route or window */
#define CFG_ALERT_GROUP_BY_MAX 8    /* label names in group_by */
#define CFG_ALERT_WINDOWS_MAX 32
#define CFG_ALERT_LABEL_NAME_MAX 32 /* bytes of a label name, NUL included */
#define CFG_ALERT_URL_MAX 2048      /* bytes of a webhook URL */
#define CFG_ALERT_TIMEOUT_DEFAULT_MS 10000

/* What raised an alert; the names are cfg_alert_source_names[]. */
enum alert_source {
	ALERT_SRC_STAGE_FAILED,
	ALERT_SRC_STAGE_TIMED_OUT,
	ALERT_SRC_STAGE_RETRYING,
	ALERT_SRC_QUALITY_GATE,
	ALERT_SRC_DEADLINE_MISSED,
	ALERT_SRC_GROWTH_FORECAST,
	ALERT_SRC_PROBE_DOWN,
	ALERT_SRC_SLO_PAGE,
	ALERT_SRC_SLO_TICKET,
	ALERT_SRC_BUDGET_EXHAUSTED,
	ALERT_SRC_NO_DATA,
	ALERT_SRC_AGENT_HEALTH,
	ALERT_SRC_COUNT
};

/* How urgent an alert is; the names are cfg_alert_severity_names[]. */
enum alert_severity {
	ALERT_SEV_PAGE,    /* wake someone up */
	ALERT_SEV_TICKET,  /* handle in working hours; "warning" is an alias */
	ALERT_SEV_INFO,    /* for the record */
	ALERT_SEV_COUNT
};

/* Message formats, one per chat platform; names in cfg_alert_type_names[]. */
enum cfg_alert_type {
	CFG_ALERT_SLACK,
	CFG_ALERT_MATTERMOST,
	CFG_ALERT_DISCORD,
	CFG_ALERT_TEAMS,         /* Microsoft Teams Workflows webhook */
	CFG_ALERT_GOOGLE_CHAT,
	CFG_ALERT_JSON,          /* watchkeep's own JSON, see docs/alerting.md */
	CFG_ALERT_ALERTMANAGER,  /* Prometheus Alertmanager API v2 */
	CFG_ALERT_TYPE_COUNT
};

/* Comparison of a label matcher. */
enum cfg_alert_op {
	CFG_ALERT_EQ,   /* name=value */
	CFG_ALERT_NE,   /* name!=value */
	CFG_ALERT_RE,   /* name=~regex, the whole value must match */
	CFG_ALERT_NRE   /* name!~regex */
};

/* One label matcher such as stage=train or probe=~web.*. */
struct cfg_alert_matcher {
	char name[CFG_ALERT_LABEL_NAME_MAX];  /* label name */
	enum cfg_alert_op op;                 /* comparison */
	char *value;                          /* owned; a POSIX ERE for =~ !~ */
};

/* A chat service that receives messages. */
struct cfg_alert_receiver {
	char *name;              /* unique: [A-Za-z0-9_.-] */
	enum cfg_alert_type type;
	char *url;               /* owned secret: never logged or shown */
	char *language;          /* "en" or "ja" */
	int64_t timeout_ms;      /* whole request, connection included */
	int line;                /* line of the receiver in the file */
};

/* Sends alerts that match every matcher to the listed receivers. */
struct cfg_alert_route {
	struct cfg_alert_matcher matchers[CFG_ALERT_MATCHERS_MAX];
	size_t n_matchers;       /* 0 matches every alert */
	size_t receivers[CFG_ALERT_RECEIVERS_MAX];  /* indices in receivers[] */
	size_t n_receivers;      /* entries in receivers */
	int cont;                /* go on to later routes after a match */
};

/* A maintenance window: matching alerts send nothing while it is open. */
struct cfg_alert_window {
	char *name;              /* for people and logs */
	struct cfg_alert_matcher matchers[CFG_ALERT_MATCHERS_MAX];
	size_t n_matchers;       /* 0 matches every alert */
	char *cron;              /* owned 5-field schedule of starts, or NULL */
	char *time_zone;         /* owned IANA zone of cron, "UTC" by default */
	int64_t duration_ms;     /* length of each opening of a cron window */
	int64_t starts_at;       /* one-off window: ms since epoch, else 0 */
	int64_t ends_at;         /* one-off window: ms since epoch, else 0 */
};

/* When an alert of one source fires and resolves. */
struct cfg_alert_timing {
	int64_t for_ms;          /* active this long before it fires */
	int64_t resolve_after_ms; /* clear this long before it resolves */
};

struct cfg_alerting {
	int present;             /* the section was given */
	char *base_url;          /* web page links in messages, or NULL */
	struct cfg_alert_receiver *receivers;  /* owned, in file order */
	size_t n_receivers;
	struct cfg_alert_route *routes;        /* owned, in file order */
	size_t n_routes;
	/* receivers of alerts no route matches: indices in receivers[] */
	size_t default_receivers[CFG_ALERT_RECEIVERS_MAX];
	size_t n_default_receivers;
	char group_by[CFG_ALERT_GROUP_BY_MAX][CFG_ALERT_LABEL_NAME_MAX];
	size_t n_group_by;       /* label names grouped on */
	int64_t group_wait_ms;   /* wait for more alerts before a group's first */
	int64_t group_interval_ms; /* least time between a group's messages */
	int64_t repeat_interval_ms; /* reminder of unacknowledged alerts */
	int64_t startup_grace_ms; /* re-assertion time after a start */
	int inhibit;             /* apply the built-in inhibition rules */
	struct cfg_alert_window *windows;      /* owned */
	size_t n_windows;
	struct cfg_alert_timing timing[ALERT_SRC_COUNT]; /* per source */
	int max_attempts;        /* a message fails after this many tries */
	int64_t max_age_ms;      /* ... or when it is this old */
	int64_t backoff_min_ms;  /* first retry delay, doubled each time */
	int64_t backoff_max_ms;  /* cap of the retry delay */
	char *heartbeat_url;     /* owned secret: dead man's switch, or NULL */
	int64_t heartbeat_interval_ms; /* time between heartbeat pings */
};

/* Names of enum alert_source, enum alert_severity and enum cfg_alert_type. */
extern const char *const cfg_alert_source_names[ALERT_SRC_COUNT];
extern const char *const cfg_alert_severity_names[ALERT_SEV_COUNT];
extern const char *const cfg_alert_type_names[CFG_ALERT_TYPE_COUNT];

/*
 * Parses a matcher such as "stage=train", "stage!=train", "probe=~web.*"
 * or "probe!~web.*" into m (m->value is allocated). Returns WK_OK, or
 * WK_ERR_INVALID with *reason set to an untranslated English reason
 * (marked with N_) and *bad_offset to the byte where the problem starts,
 * or WK_ERR_NOMEM.
 */
int cfg_alert_matcher_parse(const char *text, struct cfg_alert_matcher *m,
			    const char **reason, size_t *bad_offset);

/* Frees the value of a matcher. */
void cfg_alert_matcher_free(struct cfg_alert_matcher *m);

/* Returns the source called name, or -1. */
int cfg_alert_source_find(const char *name);

/* Returns the severity called name ("warning" is ticket), or -1. */
int cfg_alert_severity_find(const char *name);

struct cfg;
struct cfgcheck;
struct cfgcheck_member;

/*
 * Reads the "alerting" member m (m->value NULL when absent) into
 * cfg->alerting, filling in the defaults. Registered in cfg_sections[].
 */
int cfg_alerting_load(struct cfgcheck *ck, struct cfg *cfg,
		      const struct cfgcheck_member *m);

/* Frees what cfg_alerting_load() allocated. */
void cfg_alerting_free(struct cfg *cfg);

#endif
