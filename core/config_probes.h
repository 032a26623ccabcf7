/*
 * The "probes" section of the configuration: liveness checks of what the
 * pipeline feeds (HTTP endpoints, TCP ports, commands, output files, disk
 * space, processes and push heartbeats). docs/config.md lists the keys.
 *
 * core/config.c calls cfg_probes_load() for the member and
 * cfg_probes_free() when the configuration is freed. The engine that runs
 * the probes lives in probes/.
 */
#ifndef WK_CONFIG_PROBES_H
#define WK_CONFIG_PROBES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfgcheck.h"
#include "core/config.h"

#define CFG_MAX_PROBES 2048           /* probes in one configuration */
#define CFG_PROBE_WINDOW_MAX 64       /* results a threshold may look at */
#define CFG_PROBE_STATUS_MAX 16       /* entries of expect_status */
#define CFG_PROBE_HEADERS_MAX 64      /* request headers of an HTTP probe */
#define CFG_PROBE_TOKEN_MIN 16        /* bytes of a configured push token */
#define CFG_PROBE_TOKEN_MAX 128       /* bytes of a push token */
#define CFG_PROBE_JSON_PATH_MAX 256   /* bytes of a json_path */
#define CFG_PROBE_NAME_MAX 256        /* bytes of a process_name */

/* Default values of the keys every probe has, in milliseconds. */
#define CFG_PROBE_INTERVAL_MS INT64_C(60000)
#define CFG_PROBE_TIMEOUT_MS INT64_C(10000)
#define CFG_PROBE_RETENTION_MS (30 * INT64_C(86400000))
#define CFG_PROBE_MAX_BODY (INT64_C(1) << 20)  /* bytes of a response kept */
#define CFG_PROBE_GRACE_MS INT64_C(300000)      /* push grace */

/* Probe types, the values of "type". */
enum cfg_probe_type {
	CFG_PROBE_HTTP,
	CFG_PROBE_TCP,
	CFG_PROBE_EXEC,
	CFG_PROBE_FILE,
	CFG_PROBE_DISK,
	CFG_PROBE_PROCESS,
	CFG_PROBE_PUSH,
	CFG_PROBE_TYPES  /* number of types */
};

/* An accepted range of HTTP status codes, bounds included. */
struct cfg_status_range {
	int lo;  /* lowest accepted status, 100..599 */
	int hi;  /* highest accepted status, lo..599 */
};

struct cfg_probe_http {
	char *url;          /* http:// or https:// URL */
	char *method;       /* request method, "GET" by default */
	char **headers;     /* "Name: value" lines, NULL-terminated, or NULL */
	size_t n_headers;   /* entries in headers */
	char *body;         /* request body, or NULL */
	/* accepted statuses; 200-299 when the key is absent */
	struct cfg_status_range status[CFG_PROBE_STATUS_MAX];
	size_t n_status;              /* entries in status */
	char *body_contains;          /* required substring, or NULL */
	char *body_regex;             /* POSIX ERE the body must match */
	char *json_path;              /* field of a JSON body, or NULL */
	json_t *json_equals;          /* value expected at json_path; owned */
	int64_t connect_timeout_ms;   /* 0: the probe's timeout */
	int64_t max_latency_ms;       /* slower answers fail; 0: no limit */
	int tls_warn_days;            /* warn this close to expiry; 0: never */
	char *ca_file;                /* CA bundle for https, or NULL */
	int insecure;                 /* skip certificate verification */
	int follow_redirects;         /* follow 3xx Location headers */
	int64_t max_body;             /* bytes of the response body kept */
};

struct cfg_probe_tcp {
	char *host;  /* name or address, without brackets */
	char *port;  /* decimal port, 1..65535 */
};

struct cfg_probe_exec {
	char **argv;        /* NULL-terminated argument vector */
	size_t argc;        /* entries in argv */
	char *working_dir;  /* NULL: the agent's working directory */
};

struct cfg_probe_file {
	char *path;          /* the file checked */
	int64_t max_age_ms;  /* modified at most this long ago; 0: any age */
	int64_t min_size;    /* bytes, 0: any */
	int64_t max_size;    /* bytes, -1: any */
};

struct cfg_probe_disk {
	char *path;                /* a path on the file system checked */
	int64_t min_free;          /* bytes available to users, 0: none */
	double min_free_percent;   /* percent of the size, 0: none */
};

struct cfg_probe_process {
	char *pid_file;      /* file holding the pid, or NULL */
	char *process_name;  /* name (comm or argv[0] basename), or NULL */
};

struct cfg_probe_push {
	char *token;          /* configured secret, or NULL: generated */
	int64_t period_ms;    /* expected time between pings; 0: schedule */
	char *schedule;       /* five-field cron expression, or NULL */
	char *time_zone;      /* IANA zone of the schedule, "UTC" by default */
	int64_t grace_ms;     /* lateness allowed after period or schedule */
};

/* One probe. Only the member of its type is filled. */
struct cfg_probe {
	char *name;                  /* unique among probes: [A-Za-z0-9_.-] */
	enum cfg_probe_type type;    /* which member below applies */
	int64_t interval_ms;         /* time between checks */
	int64_t timeout_ms;          /* a check running longer fails */
	int64_t jitter_ms;           /* checks start up to this much off */
	int64_t retention_ms;        /* results older than this are deleted */
	int failure_threshold;       /* failures among failure_window: down */
	int failure_window;          /* last results looked at, 1..64 */
	int success_threshold;       /* successes among success_window: up */
	int success_window;          /* last results looked at, 1..64 */
	struct cfg_probe_http http;
	struct cfg_probe_tcp tcp;
	struct cfg_probe_exec exec;
	struct cfg_probe_file file;
	struct cfg_probe_disk disk;
	struct cfg_probe_process process;
	struct cfg_probe_push push;
	struct cfg_pos pos;          /* the probe's object in the file */
};

/* The "probes" section. */
struct cfg_probes {
	struct cfg_probe *items;  /* owned, in file order */
	size_t count;             /* entries in items */
};

/* Reads the "probes" member m (value NULL when absent) into cfg->probes. */
int cfg_probes_load(struct cfgcheck *ck, struct cfg *cfg,
		    const struct cfgcheck_member *m);

/* Frees cfg->probes. */
void cfg_probes_free(struct cfg *cfg);

/* Returns the name of a probe type ("http", ...). */
const char *cfg_probe_type_name(enum cfg_probe_type type);

/* Finds a probe by name, or returns NULL. */
const struct cfg_probe *cfg_find_probe(const struct cfg *cfg,
				       const char *name);

/*
 * Checks a JSON field path: member names joined by '.', and array indices
 * in brackets, such as "status", "data.items[0].ok" or "[2].name". Returns
 * WK_OK, or WK_ERR_INVALID with *bad_offset at the offending byte and
 * *reason set to an untranslated English reason.
 */
int cfg_json_path_check(const char *path, size_t *bad_offset,
			const char **reason);

/*
 * Returns the value at path in root (borrowed), or NULL when a member or
 * element along the path is missing or path is invalid.
 */
json_t *cfg_json_path_get(json_t *root, const char *path);

#endif
