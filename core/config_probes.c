/*
 * Reader of the "probes" section: an array of probe objects, each with the
 * keys every probe has (name, type, interval, ...) and the keys of its
 * type. A key of another type is reported as such, and any other unknown
 * key gets a "did you mean" hint.
 */
#include "core/config_probes.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_run.h"
#include "core/cron.h"
#include "core/i18n.h"
#include "core/jsonpos.h"

#define PROBE_INTERVAL_MIN_MS INT64_C(1000)
#define PROBE_RETENTION_MIN_MS INT64_C(3600000)
#define PROBE_MAX_BODY_MAX (INT64_C(64) << 20)
#define PROBE_TLS_WARN_DAYS 14
#define PROBE_TLS_WARN_DAYS_MAX 3650
#define PROBE_METHOD_MAX 16
#define PROBE_INDEX_DIGITS_MAX 9
#define PROBE_EXAMPLE \
	"{\"name\": \"api\", \"type\": \"http\", \"url\": \"http://127.0.0.1:8080/health\"}"

#define COMMON_KEYS \
	"name", "type", "interval", "timeout", "jitter", "retention", \
	"failure_threshold", "failure_window", "success_threshold", \
	"success_window"

static const char *const http_keys[] = {
	COMMON_KEYS, "url", "method", "headers", "body", "expect_status",
	"body_contains", "body_regex", "json_path", "json_equals",
	"connect_timeout", "max_latency", "tls_warn_days", "ca_file",
	"insecure", "follow_redirects", "max_body", NULL
};
static const char *const tcp_keys[] = { COMMON_KEYS, "address", NULL };
static const char *const exec_keys[] = {
	COMMON_KEYS, "command", "working_dir", NULL
};
static const char *const file_keys[] = {
	COMMON_KEYS, "path", "max_age", "min_size", "max_size", NULL
};
static const char *const disk_keys[] = {
	COMMON_KEYS, "path", "min_free", "min_free_percent", NULL
};
static const char *const process_keys[] = {
	COMMON_KEYS, "pid_file", "process_name", NULL
};
static const char *const push_keys[] = {
	COMMON_KEYS, "token", "period", "schedule", "time_zone", "grace", NULL
};

static int load_http(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		     int node);
static int load_tcp(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		    int node);
static int load_exec(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		     int node);
static int load_file(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		     int node);
static int load_disk(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		     int node);
static int load_process(struct cfgcheck *ck, struct cfg_probe *p,
			json_t *obj, int node);
static int load_push(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		     int node);

/* The probe types: name, accepted keys and the reader of their keys. */
struct probe_type_def {
	const char *name;
	const char *const *keys;  /* common keys, then the type's */
	int (*load)(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		    int node);
};

static const struct probe_type_def probe_types[CFG_PROBE_TYPES] = {
	[CFG_PROBE_HTTP] = { "http", http_keys, load_http },
	[CFG_PROBE_TCP] = { "tcp", tcp_keys, load_tcp },
	[CFG_PROBE_EXEC] = { "exec", exec_keys, load_exec },
	[CFG_PROBE_FILE] = { "file", file_keys, load_file },
	[CFG_PROBE_DISK] = { "disk", disk_keys, load_disk },
	[CFG_PROBE_PROCESS] = { "process", process_keys, load_process },
	[CFG_PROBE_PUSH] = { "push", push_keys, load_push },
};

const char *
cfg_probe_type_name(enum cfg_probe_type type)
{
	if ((unsigned)type >= CFG_PROBE_TYPES)
		return "?";
	return probe_types[type].name;
}

/* Returns 1 when key is in the NULL-terminated list keys. */
static int
key_listed(const char *const *keys, const char *key)
{
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		if (strcmp(keys[i], key) == 0)
			return 1;
	}
	return 0;
}

/*
 * Rejects keys of the probe at node that its type does not take. The
 * error names the type of a key that belongs to another type; any other
 * key goes to cfgcheck_keys() for a hint.
 */
static int
check_keys(struct cfgcheck *ck, int node, enum cfg_probe_type type)
{
	const char *const *keys = probe_types[type].keys;
	int child;
	size_t t;

	for (child = ck->pos.nodes[node].first_child; child != JSONPOS_NONE;
	     child = ck->pos.nodes[child].next_sibling) {
		const char *key = jsonpos_key(&ck->pos, child);

		if (key_listed(keys, key))
			continue;
		for (t = 0; t < CFG_PROBE_TYPES; t++) {
			if (!key_listed(probe_types[t].keys, key))
				continue;
			return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, child),
			    _("key \"%s\" belongs to probes of type \"%s\", not \"%s\"; remove it or change \"type\""),
			    key, probe_types[t].name, probe_types[type].name);
		}
	}
	return cfgcheck_keys(ck, node, keys, _("in a probe"));
}

/* Reads an optional integer member within [min, max] into *out. */
static int
get_int(struct cfgcheck *ck, const struct cfgcheck_member *m, int64_t min,
	int64_t max, int64_t *out)
{
	json_int_t v;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_integer(m->value))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" must be a whole number from %lld to %lld, not %s"),
		    m->key, (long long)min, (long long)max,
		    cfgcheck_type_name(m->value));
	v = json_integer_value(m->value);
	if (v < min || v > max)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" is %lld; use a whole number from %lld to %lld"),
		    m->key, (long long)v, (long long)min, (long long)max);
	*out = (int64_t)v;
	return WK_OK;
}

/* Reads an optional size: a whole number of bytes or a string "2GiB". */
static int
get_size(struct cfgcheck *ck, const struct cfgcheck_member *m, int64_t *out)
{
	const char *text;
	size_t bad = 0;

	if (m->value == NULL)
		return WK_OK;
	if (json_is_integer(m->value))
		return get_int(ck, m, 0, INT64_MAX, out);
	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m,
		    _("a number of bytes or a string"), "\"10GiB\"");

	text = json_string_value(m->value);
	if (cfg_parse_size(text, out, &bad) != WK_OK)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, m->node, bad),
		    _("invalid size \"%s\" for \"%s\"; write a whole number and a unit: B, KiB, MiB, GiB, TiB, kB, MB, GB or TB, such as \"2GiB\""),
		    cfgcheck_quote(text).text, m->key);
	return WK_OK;
}

/* Reads the string member key of obj; a missing one is an error. */
static int
get_required_string(struct cfgcheck *ck, json_t *obj, int node,
		    const char *key, const char *example, char **out)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, key);

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, key, _("in a probe"),
		    example);
	return cfgcheck_string(ck, &m, example, out);
}

/* Reads "interval", "timeout", "jitter" and "retention". */
static int
load_times(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfgcheck_member iv, to, ji, re;
	int rc;

	p->interval_ms = CFG_PROBE_INTERVAL_MS;
	p->timeout_ms = CFG_PROBE_TIMEOUT_MS;
	p->retention_ms = CFG_PROBE_RETENTION_MS;
	p->jitter_ms = -1;
	iv = cfgcheck_get_member(ck, obj, node, "interval");
	to = cfgcheck_get_member(ck, obj, node, "timeout");
	ji = cfgcheck_get_member(ck, obj, node, "jitter");
	re = cfgcheck_get_member(ck, obj, node, "retention");
	rc = cfgcheck_duration(ck, &iv, &p->interval_ms);
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &to, &p->timeout_ms);
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &ji, &p->jitter_ms);
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &re, &p->retention_ms);
	if (rc != WK_OK)
		return rc;

	if (p->interval_ms < PROBE_INTERVAL_MIN_MS)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, iv.node),
		    _("\"interval\" must be at least 1s; use a longer interval"));
	if (to.value == NULL && p->timeout_ms >= p->interval_ms)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, iv.node),
		    _("\"interval\" must be longer than the timeout, which is 10s when \"timeout\" is not set; set a shorter \"timeout\" or a longer interval"));
	if (p->timeout_ms <= 0 || p->timeout_ms >= p->interval_ms)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, to.node),
		    _("\"timeout\" must be more than 0 and shorter than \"interval\"; shorten the timeout or lengthen the interval"));
	if (p->jitter_ms < 0)
		p->jitter_ms = p->interval_ms / 10;
	if (p->jitter_ms > p->interval_ms / 2)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, ji.node),
		    _("\"jitter\" must be at most half of \"interval\"; use a shorter jitter"));
	if (p->retention_ms < PROBE_RETENTION_MIN_MS)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    re.value != NULL ? re.node : node),
		    _("\"retention\" must be at least 1h; use a longer retention"));
	return WK_OK;
}

/* Reads one threshold pair, such as failure_threshold and failure_window. */
static int
load_threshold(struct cfgcheck *ck, json_t *obj, int node,
	       const char *threshold_key, const char *window_key,
	       int *threshold, int *window)
{
	struct cfgcheck_member t, w;
	int64_t tv = 1, wv = -1;
	int rc;

	t = cfgcheck_get_member(ck, obj, node, threshold_key);
	w = cfgcheck_get_member(ck, obj, node, window_key);
	rc = get_int(ck, &t, 1, CFG_PROBE_WINDOW_MAX, &tv);
	if (rc == WK_OK)
		rc = get_int(ck, &w, 1, CFG_PROBE_WINDOW_MAX, &wv);
	if (rc != WK_OK)
		return rc;

	if (wv < 0)
		wv = tv;
	if (wv < tv)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, w.node),
		    _("\"%s\" is %lld, fewer than \"%s\" (%lld); the window must hold at least that many results"),
		    window_key, (long long)wv, threshold_key, (long long)tv);
	*threshold = (int)tv;
	*window = (int)wv;
	return WK_OK;
}

/* Reads "type" into p->type. */
static int
load_type(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	const char *names[CFG_PROBE_TYPES], *text, *hint;
	struct cfgcheck_member m;
	size_t t;

	m = cfgcheck_get_member(ck, obj, node, "type");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "type", _("in a probe"),
		    "\"http\"");
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"), "\"http\"");
	text = json_string_value(m.value);
	for (t = 0; t < CFG_PROBE_TYPES; t++) {
		names[t] = probe_types[t].name;
		if (strcmp(text, names[t]) == 0) {
			p->type = (enum cfg_probe_type)t;
			return WK_OK;
		}
	}

	hint = cfgcheck_nearest(text, names, CFG_PROBE_TYPES);
	if (hint != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("unknown probe type \"%s\"; did you mean \"%s\"?"),
		    cfgcheck_quote(text).text, hint);
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
	    _("unknown probe type \"%s\"; use http, tcp, exec, file, disk, process or push"),
	    cfgcheck_quote(text).text);
}

/* Reads probe i, the object obj at node. */
static int
load_probe(struct cfgcheck *ck, struct cfg_probes *probes, size_t i,
	   json_t *obj, int node)
{
	struct cfg_probe *p = &probes->items[i];
	struct jsonpos_loc loc = cfgcheck_value_at(ck, node);
	size_t k;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, loc,
		    _("a probe must be an object, not %s; for example %s"),
		    cfgcheck_type_name(obj), PROBE_EXAMPLE);
	p->pos.line = loc.line;
	p->pos.column = loc.column;
	rc = cfgcheck_name(ck, obj, node, _("in a probe"), "\"api\"",
	    &p->name);
	if (rc == WK_OK)
		rc = load_type(ck, p, obj, node);
	if (rc == WK_OK)
		rc = check_keys(ck, node, p->type);
	if (rc != WK_OK)
		return rc;

	for (k = 0; k < i; k++) {
		if (strcmp(probes->items[k].name, p->name) == 0)
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    jsonpos_member(&ck->pos, node, "name")),
			    _("duplicate probe name \"%s\" (first used at line %d); choose another name"),
			    p->name, probes->items[k].pos.line);
	}

	rc = load_times(ck, p, obj, node);
	if (rc == WK_OK)
		rc = load_threshold(ck, obj, node, "failure_threshold",
		    "failure_window", &p->failure_threshold,
		    &p->failure_window);
	if (rc == WK_OK)
		rc = load_threshold(ck, obj, node, "success_threshold",
		    "success_window", &p->success_threshold,
		    &p->success_window);
	if (rc == WK_OK)
		rc = probe_types[p->type].load(ck, p, obj, node);
	return rc;
}

int
cfg_probes_load(struct cfgcheck *ck, struct cfg *cfg,
		const struct cfgcheck_member *m)
{
	struct cfg_probes *probes;
	size_t n, i;
	int child, rc = WK_OK;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array of probes"),
		    "[" PROBE_EXAMPLE "]");
	n = json_array_size(m->value);
	if (n > CFG_MAX_PROBES)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"probes\" has %zu entries; the maximum is %d, so remove some"),
		    n, CFG_MAX_PROBES);

	probes = calloc(1, sizeof *probes);
	if (probes == NULL)
		return cfgcheck_nomem(ck);
	cfg->probes = probes;
	probes->items = calloc(n + 1, sizeof *probes->items);
	if (probes->items == NULL)
		return cfgcheck_nomem(ck);
	child = ck->pos.nodes[m->node].first_child;
	for (i = 0; i < n && rc == WK_OK; i++) {
		probes->count = i + 1;
		rc = load_probe(ck, probes, i, json_array_get(m->value, i),
		    child != JSONPOS_NONE ? child : m->node);
		if (child != JSONPOS_NONE)
			child = ck->pos.nodes[child].next_sibling;
	}
	return rc;
}

const struct cfg_probe *
cfg_find_probe(const struct cfg *cfg, const char *name)
{
	size_t i;

	if (cfg->probes == NULL)
		return NULL;
	for (i = 0; i < cfg->probes->count; i++) {
		if (strcmp(cfg->probes->items[i].name, name) == 0)
			return &cfg->probes->items[i];
	}
	return NULL;
}

/* ---- http ---- */

/* Reads the "url": required, http:// or https://. */
static int
load_url(struct cfgcheck *ck, struct cfg_probe_http *h, json_t *obj, int node)
{
	const char *example = "\"http://127.0.0.1:8080/health\"";
	int rc;

	rc = get_required_string(ck, obj, node, "url", example, &h->url);
	if (rc != WK_OK)
		return rc;
	if (strncasecmp(h->url, "http://", 7) != 0 &&
	    strncasecmp(h->url, "https://", 8) != 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "url")),
		    _("\"url\" must start with http:// or https://, not \"%s\"; for example \"url\": %s"),
		    cfgcheck_quote(h->url).text, example);
	if (strpbrk(h->url, " \t\r\n") != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_member(&ck->pos, node, "url")),
		    _("\"url\" must not contain spaces or line breaks; write a space as %%20"));
	return WK_OK;
}

/* Reads "method": an upper-case token, GET by default. */
static int
load_method(struct cfgcheck *ck, struct cfg_probe_http *h, json_t *obj,
	    int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "method");
	size_t len;
	int rc;

	rc = cfgcheck_string(ck, &m, "\"HEAD\"", &h->method);
	if (rc != WK_OK)
		return rc;
	if (h->method == NULL) {
		h->method = strdup("GET");
		return h->method != NULL ? WK_OK : cfgcheck_nomem(ck);
	}
	len = strlen(h->method);
	if (len > PROBE_METHOD_MAX ||
	    strspn(h->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("invalid method \"%s\"; use an upper-case HTTP method of at most %d letters, such as \"GET\" or \"POST\""),
		    cfgcheck_quote(h->method).text, PROBE_METHOD_MAX);
	return WK_OK;
}

/* Checks one header name and value (member child of "headers"). */
static int
check_header(struct cfgcheck *ck, int child, const char *name, json_t *value)
{
	static const char token[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *text;

	if (name[0] == '\0' || strspn(name, token) != strlen(name))
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, child),
		    _("invalid header name \"%s\"; use letters, digits and '-', such as \"Authorization\""),
		    cfgcheck_quote(name).text);
	if (!json_is_string(value))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, child),
		    _("the value of header \"%s\" must be a string, not %s"),
		    name, cfgcheck_type_name(value));
	text = json_string_value(value);
	if (strpbrk(text, "\r\n") != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, child),
		    _("the value of header \"%s\" must be one line; remove the line break"),
		    name);
	return WK_OK;
}

/* Reads "headers", an object of strings, into "Name: value" lines. */
static int
load_headers(struct cfgcheck *ck, struct cfg_probe_http *h, json_t *obj,
	     int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "headers");
	size_t n;
	int child, rc;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object of strings"),
		    "{\"Accept\": \"application/json\"}");
	n = json_object_size(m.value);
	if (n > CFG_PROBE_HEADERS_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"headers\" has %zu entries; the maximum is %d"), n,
		    CFG_PROBE_HEADERS_MAX);
	h->headers = calloc(n + 1, sizeof *h->headers);
	if (h->headers == NULL)
		return cfgcheck_nomem(ck);

	for (child = ck->pos.nodes[m.node].first_child;
	     child != JSONPOS_NONE && h->n_headers < n;
	     child = ck->pos.nodes[child].next_sibling) {
		const char *name = jsonpos_key(&ck->pos, child);
		json_t *value = json_object_get(m.value, name);
		size_t size;

		rc = check_header(ck, child, name, value);
		if (rc != WK_OK)
			return rc;
		size = strlen(name) + json_string_length(value) + 3;
		h->headers[h->n_headers] = malloc(size);
		if (h->headers[h->n_headers] == NULL)
			return cfgcheck_nomem(ck);
		snprintf(h->headers[h->n_headers++], size, "%s: %s", name,
		    json_string_value(value));
	}
	return WK_OK;
}

/* Parses "200", "2xx" or "200-299" into *range; returns 0 when invalid. */
static int
parse_status_text(const char *text, struct cfg_status_range *range)
{
	char *end;
	long lo, hi;

	if (strlen(text) == 3 && isdigit((unsigned char)text[0]) &&
	    strcmp(text + 1, "xx") == 0) {
		range->lo = (text[0] - '0') * 100;
		range->hi = range->lo + 99;
		return range->lo >= 100 && range->hi <= 599;
	}
	if (!isdigit((unsigned char)text[0]))
		return 0;
	lo = strtol(text, &end, 10);
	hi = lo;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return 0;
		hi = strtol(end + 1, &end, 10);
	}
	range->lo = (int)lo;
	range->hi = (int)hi;
	return *end == '\0' && lo >= 100 && hi <= 599 && lo <= hi;
}

/* Reads one entry of expect_status, the value v at node. */
static int
load_status_entry(struct cfgcheck *ck, json_t *v, int node,
		  struct cfg_status_range *range)
{
	if (json_is_integer(v)) {
		range->lo = (int)json_integer_value(v);
		range->hi = range->lo;
		if (json_integer_value(v) >= 100 &&
		    json_integer_value(v) <= 599)
			return WK_OK;
	} else if (json_is_string(v) &&
	    parse_status_text(json_string_value(v), range)) {
		return WK_OK;
	}
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
	    _("invalid entry of \"expect_status\"; use a status from 100 to 599 such as 204, a class such as \"2xx\" or a range such as \"200-399\""));
}

/* Reads "expect_status": one entry or an array of them; 2xx by default. */
static int
load_expect_status(struct cfgcheck *ck, struct cfg_probe_http *h,
		   json_t *obj, int node)
{
	struct cfgcheck_member m;
	size_t n, i;
	int rc, child;

	m = cfgcheck_get_member(ck, obj, node, "expect_status");
	if (m.value == NULL) {
		h->status[0] = (struct cfg_status_range){ 200, 299 };
		h->n_status = 1;
		return WK_OK;
	}
	if (!json_is_array(m.value)) {
		h->n_status = 1;
		return load_status_entry(ck, m.value, m.node, &h->status[0]);
	}
	n = json_array_size(m.value);
	if (n == 0 || n > CFG_PROBE_STATUS_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"expect_status\" has %zu entries; give 1 to %d"), n,
		    CFG_PROBE_STATUS_MAX);

	child = ck->pos.nodes[m.node].first_child;
	for (i = 0; i < n; i++) {
		rc = load_status_entry(ck, json_array_get(m.value, i),
		    child != JSONPOS_NONE ? child : m.node, &h->status[i]);
		if (rc != WK_OK)
			return rc;
		h->n_status = i + 1;
		if (child != JSONPOS_NONE)
			child = ck->pos.nodes[child].next_sibling;
	}
	return WK_OK;
}

/* Reads "body_contains" and "body_regex", compiling the expression once. */
static int
load_body_checks(struct cfgcheck *ck, struct cfg_probe_http *h, json_t *obj,
		 int node)
{
	struct cfgcheck_member m;
	char reason[160];
	regex_t re;
	int rc, code;

	m = cfgcheck_get_member(ck, obj, node, "body_contains");
	rc = cfgcheck_string(ck, &m, "\"\\\"status\\\": \\\"ok\\\"\"",
	    &h->body_contains);
	m = cfgcheck_get_member(ck, obj, node, "body_regex");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"^ok\"", &h->body_regex);
	if (rc != WK_OK || h->body_regex == NULL)
		return rc;

	code = regcomp(&re, h->body_regex, REG_EXTENDED | REG_NOSUB);
	if (code != 0) {
		regerror(code, &re, reason, sizeof reason);
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("invalid regular expression \"%s\": %s; write a POSIX extended regular expression"),
		    cfgcheck_quote(h->body_regex).text, reason);
	}
	regfree(&re);
	return WK_OK;
}

/* Reads "json_path" and "json_equals", which go together. */
static int
load_json_check(struct cfgcheck *ck, struct cfg_probe_http *h, json_t *obj,
		int node)
{
	struct cfgcheck_member path, equals;
	const char *reason = NULL;
	size_t bad = 0;
	int rc;

	path = cfgcheck_get_member(ck, obj, node, "json_path");
	equals = cfgcheck_get_member(ck, obj, node, "json_equals");
	rc = cfgcheck_string(ck, &path, "\"data.items[0].ok\"", &h->json_path);
	if (rc != WK_OK)
		return rc;
	if (h->json_path != NULL && equals.value == NULL)
		return cfgcheck_missing_key(ck, node, "json_equals",
		    _("next to \"json_path\""), "true");
	if (h->json_path == NULL && equals.value != NULL)
		return cfgcheck_missing_key(ck, node, "json_path",
		    _("next to \"json_equals\""), "\"status\"");
	if (h->json_path == NULL)
		return WK_OK;

	if (cfg_json_path_check(h->json_path, &bad, &reason) != WK_OK)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, path.node, bad),
		    _("invalid \"json_path\" \"%s\": %s; write member names joined by '.' and indices in brackets, such as \"data.items[0].ok\""),
		    cfgcheck_quote(h->json_path).text, _(reason));
	h->json_equals = json_incref(equals.value);
	return WK_OK;
}

/* Reads the timeouts and limits of an HTTP probe. */
static int
load_http_limits(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj,
		 int node)
{
	struct cfg_probe_http *h = &p->http;
	struct cfgcheck_member m;
	int64_t days = PROBE_TLS_WARN_DAYS;
	int rc;

	m = cfgcheck_get_member(ck, obj, node, "connect_timeout");
	rc = cfgcheck_duration(ck, &m, &h->connect_timeout_ms);
	if (rc == WK_OK && h->connect_timeout_ms > p->timeout_ms)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"connect_timeout\" must not be longer than \"timeout\"; shorten it"));
	m = cfgcheck_get_member(ck, obj, node, "max_latency");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &m, &h->max_latency_ms);
	m = cfgcheck_get_member(ck, obj, node, "tls_warn_days");
	if (rc == WK_OK)
		rc = get_int(ck, &m, 0, PROBE_TLS_WARN_DAYS_MAX, &days);
	h->tls_warn_days = (int)days;
	h->max_body = CFG_PROBE_MAX_BODY;
	m = cfgcheck_get_member(ck, obj, node, "max_body");
	if (rc == WK_OK)
		rc = get_size(ck, &m, &h->max_body);
	if (rc == WK_OK && (h->max_body < 1 || h->max_body > PROBE_MAX_BODY_MAX))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"max_body\" must be from 1B to 64MiB"));
	return rc;
}

static int
load_http(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfg_probe_http *h = &p->http;
	struct cfgcheck_member m;
	int rc;

	rc = load_url(ck, h, obj, node);
	if (rc == WK_OK)
		rc = load_method(ck, h, obj, node);
	if (rc == WK_OK)
		rc = load_headers(ck, h, obj, node);
	m = cfgcheck_get_member(ck, obj, node, "body");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"{}\"", &h->body);
	if (rc == WK_OK)
		rc = load_expect_status(ck, h, obj, node);
	if (rc == WK_OK)
		rc = load_body_checks(ck, h, obj, node);
	if (rc == WK_OK)
		rc = load_json_check(ck, h, obj, node);
	if (rc == WK_OK)
		rc = load_http_limits(ck, p, obj, node);
	m = cfgcheck_get_member(ck, obj, node, "ca_file");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"/etc/ssl/certs/ca.pem\"",
		    &h->ca_file);
	m = cfgcheck_get_member(ck, obj, node, "insecure");
	if (rc == WK_OK)
		rc = cfgcheck_bool(ck, &m, &h->insecure);
	m = cfgcheck_get_member(ck, obj, node, "follow_redirects");
	if (rc == WK_OK)
		rc = cfgcheck_bool(ck, &m, &h->follow_redirects);
	return rc;
}

/* ---- tcp ---- */

/* Splits "host:port" or "[v6]:port"; returns 0 when text has no such form. */
static int
split_address(const char *text, struct cfg_probe_tcp *t, size_t *bad)
{
	const char *colon, *host = text, *host_end;
	char *end;
	long port;

	if (text[0] == '[') {
		host = text + 1;
		host_end = strchr(host, ']');
		colon = host_end != NULL && host_end[1] == ':' ?
		    host_end + 1 : NULL;
	} else {
		colon = strrchr(text, ':');
		host_end = colon;
	}
	*bad = colon != NULL ? (size_t)(colon - text) + 1 : strlen(text);
	if (colon == NULL || host_end == host ||
	    !isdigit((unsigned char)colon[1]))
		return 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return 0;

	t->host = strndup(host, (size_t)(host_end - host));
	t->port = strdup(colon + 1);
	return 1;
}

static int
load_tcp(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfgcheck_member m;
	char *address = NULL;
	size_t bad = 0;
	int rc;

	rc = get_required_string(ck, obj, node, "address",
	    "\"127.0.0.1:5432\"", &address);
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "address");
	if (!split_address(address, &p->tcp, &bad))
		rc = cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, m.node, bad),
		    _("invalid address \"%s\"; write HOST:PORT with a port from 1 to 65535, such as \"127.0.0.1:5432\" or \"[::1]:5432\""),
		    cfgcheck_quote(address).text);
	else if (p->tcp.host == NULL || p->tcp.port == NULL)
		rc = cfgcheck_nomem(ck);
	free(address);
	return rc;
}

/* ---- exec ---- */

static int
load_exec(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	static const char example[] = "[\"/usr/lib/nagios/plugins/check_load\", \"-w\", \"5\"]";
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "command");
	int rc;

	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "command",
		    _("in a probe of type exec"), example);
	if (!json_is_array(m.value) || json_array_size(m.value) == 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"command\" must be a non-empty array of strings: the program and its arguments, for example \"command\": %s"),
		    example);
	rc = cfgcheck_string_array(ck, &m, example, NULL, &p->exec.argv,
	    &p->exec.argc);
	if (rc == WK_OK && p->exec.argv[0][0] == '\0')
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    jsonpos_element(&ck->pos, m.node, 0)),
		    _("the program name, the first entry of \"command\", must not be empty"));
	m = cfgcheck_get_member(ck, obj, node, "working_dir");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"/srv/churn\"",
		    &p->exec.working_dir);
	return rc;
}

/* ---- file ---- */

static int
load_file(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfg_probe_file *f = &p->file;
	struct cfgcheck_member m, max;
	int rc;

	f->max_size = -1;
	rc = get_required_string(ck, obj, node, "path",
	    "\"/srv/churn/predictions.csv\"", &f->path);
	m = cfgcheck_get_member(ck, obj, node, "max_age");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &m, &f->max_age_ms);
	m = cfgcheck_get_member(ck, obj, node, "min_size");
	if (rc == WK_OK)
		rc = get_size(ck, &m, &f->min_size);
	max = cfgcheck_get_member(ck, obj, node, "max_size");
	if (rc == WK_OK)
		rc = get_size(ck, &max, &f->max_size);
	if (rc == WK_OK && f->max_size >= 0 && f->max_size < f->min_size)
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, max.node),
		    _("\"max_size\" is smaller than \"min_size\"; swap or fix them"));
	return rc;
}

/* ---- disk ---- */

static int
load_disk(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfg_probe_disk *d = &p->disk;
	struct cfgcheck_member m;
	int rc;

	rc = get_required_string(ck, obj, node, "path", "\"/var/lib\"",
	    &d->path);
	m = cfgcheck_get_member(ck, obj, node, "min_free");
	if (rc == WK_OK)
		rc = get_size(ck, &m, &d->min_free);
	if (rc != WK_OK)
		return rc;

	m = cfgcheck_get_member(ck, obj, node, "min_free_percent");
	if (m.value != NULL) {
		d->min_free_percent = json_number_value(m.value);
		if (!json_is_number(m.value) || d->min_free_percent <= 0 ||
		    d->min_free_percent >= 100)
			return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
			    m.node),
			    _("\"min_free_percent\" must be a number above 0 and below 100, such as 10"));
	}
	if (d->min_free == 0 && d->min_free_percent == 0)
		return cfgcheck_missing_key(ck, node, "min_free",
		    _("or \"min_free_percent\" in a probe of type disk"),
		    "\"10GiB\"");
	return WK_OK;
}

/* ---- process ---- */

static int
load_process(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfg_probe_process *pr = &p->process;
	struct cfgcheck_member m;
	int rc;

	m = cfgcheck_get_member(ck, obj, node, "pid_file");
	rc = cfgcheck_string(ck, &m, "\"/run/churn-api.pid\"", &pr->pid_file);
	m = cfgcheck_get_member(ck, obj, node, "process_name");
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"churn-api\"",
		    &pr->process_name);
	if (rc != WK_OK)
		return rc;

	if (pr->pid_file == NULL && pr->process_name == NULL)
		return cfgcheck_missing_key(ck, node, "pid_file",
		    _("or \"process_name\" in a probe of type process"),
		    "\"/run/churn-api.pid\"");
	if (pr->process_name != NULL &&
	    (strchr(pr->process_name, '/') != NULL ||
	     strlen(pr->process_name) >= CFG_PROBE_NAME_MAX))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"process_name\" must be a program name without '/', shorter than %d bytes, such as \"postgres\""),
		    CFG_PROBE_NAME_MAX);
	return WK_OK;
}

/* ---- push ---- */

/* Reads the optional configured token: long enough and URL-safe. */
static int
load_token(struct cfgcheck *ck, struct cfg_probe_push *pu, json_t *obj,
	   int node)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.~";
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "token");
	size_t len;
	int rc;

	rc = cfgcheck_string(ck, &m, "\"3f9c0e6d1b2a4c58a7e1\"", &pu->token);
	if (rc != WK_OK || pu->token == NULL)
		return rc;
	len = strlen(pu->token);
	/* The message must not repeat the token: it is a secret. */
	if (len < CFG_PROBE_TOKEN_MIN || len > CFG_PROBE_TOKEN_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"token\" has %zu bytes; use %d to %d random characters, or remove the key to have one generated"),
		    len, CFG_PROBE_TOKEN_MIN, CFG_PROBE_TOKEN_MAX);
	if (strspn(pu->token, safe) != len)
		return cfgcheck_fail_at(ck, jsonpos_string_loc(&ck->pos,
		    m.node, strspn(pu->token, safe)),
		    _("\"token\" may contain only letters, digits and - _ . ~, because it is part of a URL"));
	return WK_OK;
}

/* Checks a cron "schedule" and its "time_zone". */
static int
check_push_schedule(struct cfgcheck *ck, struct cfg_probe_push *pu,
		    const struct cfgcheck_member *sched,
		    const struct cfgcheck_member *zone)
{
	char reason[CRON_REASON_MAX];
	struct cron cron;
	size_t bad = 0;

	if (cron_parse_explained(pu->schedule, &cron, &bad, reason,
	    sizeof reason) != WK_OK)
		return cfgcheck_fail_at(ck,
		    jsonpos_string_loc(&ck->pos, sched->node, bad),
		    _("invalid schedule \"%s\": %s"),
		    cfgcheck_quote(pu->schedule).text, reason);
	return cfgcheck_time_zone(ck,
	    zone->value != NULL ? zone->node : sched->node, "time_zone",
	    pu->time_zone);
}

/* Reads "period", or "schedule" with "time_zone": exactly one form. */
static int
load_push_expectation(struct cfgcheck *ck, struct cfg_probe_push *pu,
		      json_t *obj, int node)
{
	struct cfgcheck_member period, sched, zone;
	int rc;

	period = cfgcheck_get_member(ck, obj, node, "period");
	sched = cfgcheck_get_member(ck, obj, node, "schedule");
	zone = cfgcheck_get_member(ck, obj, node, "time_zone");
	rc = cfgcheck_duration(ck, &period, &pu->period_ms);
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &sched, "\"30 2 * * *\"", &pu->schedule);
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &zone, "\"Asia/Tokyo\"", &pu->time_zone);
	if (rc != WK_OK)
		return rc;

	if ((period.value != NULL) == (sched.value != NULL))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
		    period.value != NULL ? period.node : node),
		    _("a probe of type push needs either \"period\" (such as \"1h\") or \"schedule\" (such as \"30 2 * * *\"), not both"));
	if (period.value != NULL && pu->period_ms <= 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, period.node),
		    _("\"period\" must be more than 0, such as \"1h\""));
	if (pu->schedule == NULL && pu->time_zone != NULL)
		return cfgcheck_fail_at(ck, cfgcheck_key_at(ck, zone.node),
		    _("\"time_zone\" applies only to \"schedule\"; remove it or replace \"period\" with a schedule"));
	if (pu->schedule == NULL)
		return WK_OK;
	if (pu->time_zone == NULL && (pu->time_zone = strdup("UTC")) == NULL)
		return cfgcheck_nomem(ck);
	return check_push_schedule(ck, pu, &sched, &zone);
}

static int
load_push(struct cfgcheck *ck, struct cfg_probe *p, json_t *obj, int node)
{
	struct cfg_probe_push *pu = &p->push;
	struct cfgcheck_member m;
	int rc;

	pu->grace_ms = CFG_PROBE_GRACE_MS;
	rc = load_token(ck, pu, obj, node);
	if (rc == WK_OK)
		rc = load_push_expectation(ck, pu, obj, node);
	m = cfgcheck_get_member(ck, obj, node, "grace");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &m, &pu->grace_ms);
	return rc;
}

/* ---- freeing ---- */

static void
free_strings(char **strings)
{
	size_t i;

	if (strings == NULL)
		return;
	for (i = 0; strings[i] != NULL; i++)
		free(strings[i]);
	free(strings);
}

static void
free_probe(struct cfg_probe *p)
{
	free(p->name);
	free(p->http.url);
	free(p->http.method);
	free_strings(p->http.headers);
	free(p->http.body);
	free(p->http.body_contains);
	free(p->http.body_regex);
	free(p->http.json_path);
	json_decref(p->http.json_equals);
	free(p->http.ca_file);
	free(p->tcp.host);
	free(p->tcp.port);
	free_strings(p->exec.argv);
	free(p->exec.working_dir);
	free(p->file.path);
	free(p->disk.path);
	free(p->process.pid_file);
	free(p->process.process_name);
	free(p->push.token);
	free(p->push.schedule);
	free(p->push.time_zone);
}

void
cfg_probes_free(struct cfg *cfg)
{
	size_t i;

	if (cfg->probes == NULL)
		return;
	for (i = 0; i < cfg->probes->count; i++)
		free_probe(&cfg->probes->items[i]);
	free(cfg->probes->items);
	free(cfg->probes);
	cfg->probes = NULL;
}

/* ---- JSON field paths ---- */

/*
 * Reads one step of path at *pos: a member name (after a '.' unless it is
 * the first step) or a bracketed index. Sets *name and *len, or *index.
 * Returns 1 for a step, 0 at the end, -1 when invalid (*pos at the fault).
 */
static int
path_step(const char *path, size_t *pos, const char **name, size_t *len,
	  long *index, const char **reason)
{
	size_t p = *pos, digits;

	if (path[p] == '\0')
		return 0;
	if (path[p] == '[') {
		digits = strspn(path + p + 1, "0123456789");
		*reason = N_("an index is a number in brackets, such as [0]");
		if (digits == 0 || digits > PROBE_INDEX_DIGITS_MAX ||
		    path[p + 1 + digits] != ']') {
			*pos = p + 1 + (digits > PROBE_INDEX_DIGITS_MAX ? 0 : digits);
			return -1;
		}
		*name = NULL;
		*index = strtol(path + p + 1, NULL, 10);
		*pos = p + digits + 2;
		return 1;
	}
	if (p > 0) {
		*reason = N_("steps are joined by '.' or start with '['");
		if (path[p] != '.')
			return -1;
		p++;
	}
	*len = strcspn(path + p, ".[]");
	*reason = N_("a member name must not be empty or contain ']'");
	if (*len == 0 || path[p + *len] == ']') {
		*pos = p + *len;
		return -1;
	}
	*name = path + p;
	*pos = p + *len;
	return 1;
}

int
cfg_json_path_check(const char *path, size_t *bad_offset, const char **reason)
{
	const char *name;
	size_t pos = 0, len = 0;
	long index;
	int r;

	if (strlen(path) > CFG_PROBE_JSON_PATH_MAX) {
		*bad_offset = CFG_PROBE_JSON_PATH_MAX;
		*reason = N_("the path is longer than 256 bytes");
		return WK_ERR_INVALID;
	}
	while ((r = path_step(path, &pos, &name, &len, &index, reason)) > 0)
		continue;
	if (r < 0) {
		*bad_offset = pos;
		return WK_ERR_INVALID;
	}
	if (pos == 0) {
		*bad_offset = 0;
		*reason = N_("the path is empty");
		return WK_ERR_INVALID;
	}
	return WK_OK;
}

json_t *
cfg_json_path_get(json_t *root, const char *path)
{
	char key[CFG_PROBE_JSON_PATH_MAX + 1];
	const char *name, *reason;
	size_t pos = 0, len = 0;
	json_t *at = root;
	long index;
	int r;

	if (strlen(path) > CFG_PROBE_JSON_PATH_MAX)
		return NULL;
	while (at != NULL &&
	       (r = path_step(path, &pos, &name, &len, &index, &reason)) != 0) {
		if (r < 0)
			return NULL;
		if (name == NULL) {
			at = json_array_get(at, (size_t)index);
			continue;
		}
		memcpy(key, name, len);
		key[len] = '\0';
		at = json_object_get(at, key);
	}
	return at;
}
