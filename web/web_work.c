/*
 * The web server's threads. libmicrohttpd's polling threads run the
 * access handler, which responds to what needs no store and suspends the
 * rest. The workers read the store and resume the connection. The
 * watcher polls the store's data_version to invalidate the cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config_web.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/store_report.h"
#include "web/web_deadline.h"
#include "web/web_work.h"

#define WEB_POLL_THREADS 2          /* libmicrohttpd polling threads */
#define WEB_WORKERS_MAX 64
#define WEB_CACHE_SLOTS 64          /* answers kept */
#define WEB_CACHE_BYTES (64 << 20)  /* bytes of responses kept */
#define WEB_CACHE_MAX_AGE_MS 30000  /* a response is built again after this */
#define WEB_WATCH_MS 250            /* data_version poll interval */
#define WEB_WATCH_MAX_SKIP 128      /* polls skipped at most after a failed open */
#define WEB_PING_TIMEOUT_MS 5000    /* wait for the agent's loop */
#define WEB_PING_BODY_MAX 4096      /* bytes of a ping's request body */
#define WEB_AUTH_LOG_EVERY 100      /* log one failed sign-in in this many */
#define WEB_FIRST_REQUEST_TIMEOUT_S 5 /* idle seconds allowed before a
					 connection's first request is read */
#define WEB_DEADLINE_SPARE 8        /* deadline slots past the connection
				       limit */

/* A configuration with the requests that use it. */
struct web_cfg_ref {
	struct cfg *cfg;   /* owned; NULL: none */
	int refs;          /* the server's, plus one a running request */
};

/* A finished answer kept for the next identical request. */
struct web_cache_entry {
	char key[WEB_CACHE_KEY_MAX];  /* "" for a free slot */
	struct MHD_Response *response; /* holds one reference */
	unsigned status;              /* HTTP status */
	int64_t generation;           /* data generation it was made from */
	int64_t made_ms;              /* clk_mono_ns() / 1e6 when made */
	size_t bytes;                 /* body size */
	uint64_t used;                /* last use, for eviction */
};

struct web_server {
	struct MHD_Daemon *daemon;        /* owned; NULL until serving */
	struct web_deadlines *deadlines;  /* request deadlines, owned; NULL
					     until serving */
	int listen_fd;                    /* listening socket, owned until
					     the daemon takes it; -1: none */
	int ipv6;                         /* listen_fd is an IPv6 socket */
	unsigned max_connections;         /* from the start configuration */
	size_t connection_bytes;          /* memory of one connection, from
					     the start configuration */
	int n_workers_requested;             /* workers started with serving */
	pthread_mutex_t lock;             /* everything below */
	pthread_cond_t work;              /* queue not empty, or stopping */
	pthread_cond_t stop;              /* stopping: wakes the watcher */
	struct web_conn *head, *tail;     /* work queue, FIFO */
	size_t queued;                    /* entries in the queue */
	pthread_t workers[WEB_WORKERS_MAX];
	int n_workers;                    /* started */
	pthread_t watcher;                /* polls data_version */
	int watcher_started;
	int stopping;                     /* web_stop() began */
	struct web_cfg_ref *current;      /* configuration in force */
	struct cfg_web defaults;          /* used without a configuration */
	int64_t query_timeout_ms;         /* from the start configuration */
	unsigned idle_timeout_s;          /* idle seconds after a request,
					     from the start configuration */
	size_t max_queue;                 /* requests waiting at most */
	int64_t request_bytes;            /* largest ping body accepted */
	char *store_path;                 /* owned */
	char mode[16];                    /* "agent" or "standalone" */
	web_ping_fn ping;                 /* NULL: pings answered 503 */
	void *ping_arg;
	int64_t generation;               /* bumped on each data change */
	struct web_cache_entry cache[WEB_CACHE_SLOTS];
	size_t cache_bytes;               /* bytes held by the cache */
	uint64_t cache_clock;             /* use counter */
	struct web_stats stats;           /* counters for /metrics */
	int port;                         /* bound port */
};

static int64_t
mono_ms(void)
{
	return clk_mono_ns() / 1000000;
}

/* ---- configuration references ---- */

static struct web_cfg_ref *
cfg_acquire(struct web_server *w)
{
	struct web_cfg_ref *ref;

	pthread_mutex_lock(&w->lock);
	ref = w->current;
	ref->refs++;
	pthread_mutex_unlock(&w->lock);
	return ref;
}

static void
cfg_release(struct web_server *w, struct web_cfg_ref *ref)
{
	int last;

	pthread_mutex_lock(&w->lock);
	last = --ref->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (last) {
		cfg_free(ref->cfg);
		free(ref);
	}
}

static const struct cfg_web *
cfg_web_of(const struct web_server *w, const struct web_cfg_ref *ref)
{
	return ref->cfg != NULL ? &ref->cfg->web : &w->defaults;
}

void
web_set_config(struct web_server *w, struct cfg *cfg)
{
	struct web_cfg_ref *ref = calloc(1, sizeof *ref), *old;

	if (ref == NULL) {
		LOG(LL_ERROR, _("web: out of memory; the pages keep the old configuration"));
		cfg_free(cfg);
		return;
	}
	ref->cfg = cfg;
	ref->refs = 1;
	pthread_mutex_lock(&w->lock);
	old = w->current;
	w->current = ref;
	w->generation++;
	pthread_mutex_unlock(&w->lock);
	web_auth_forget();
	cfg_release(w, old);
}

/* ---- cache ---- */

static void
cache_drop(struct web_server *w, struct web_cache_entry *e)
{
	netlib_mhd.destroy_response(e->response);
	w->cache_bytes -= e->bytes;
	memset(e, 0, sizeof *e);
}

/*
 * Queues the cached answer of key on conn, if there is a fresh one.
 * MHD_queue_response() takes its own reference to the response, under
 * the lock, so an eviction right after cannot free it.
 */
static int
cache_answer(struct web_server *w, const char *key,
	     struct MHD_Connection *conn, int *queued)
{
	int64_t now = mono_ms();
	int ok = MHD_NO;
	size_t i;

	*queued = 0;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < WEB_CACHE_SLOTS; i++) {
		struct web_cache_entry *e = &w->cache[i];

		if (e->key[0] == '\0' || strcmp(e->key, key) != 0)
			continue;
		if (e->generation != w->generation ||
		    now - e->made_ms > WEB_CACHE_MAX_AGE_MS) {
			cache_drop(w, e);
			break;
		}
		e->used = ++w->cache_clock;
		ok = netlib_mhd.queue_response(conn, e->status, e->response);
		*queued = 1;
		w->stats.cache_hits++;
		w->stats.requests++;
		break;
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

/* Keeps resp (one reference moves to the cache) for key. */
static void
cache_put(struct web_server *w, const char *key, struct MHD_Response *resp,
	  unsigned status, int64_t generation, size_t bytes)
{
	struct web_cache_entry *victim = NULL;
	size_t i;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < WEB_CACHE_SLOTS; i++) {
		struct web_cache_entry *e = &w->cache[i];

		if (e->key[0] != '\0' && strcmp(e->key, key) == 0)
			cache_drop(w, e);
		if (e->key[0] == '\0' && victim == NULL)
			victim = e;
	}
	/* Evict the least recently used until the answer fits. */
	while (victim == NULL || w->cache_bytes + bytes > WEB_CACHE_BYTES) {
		struct web_cache_entry *old = NULL;

		for (i = 0; i < WEB_CACHE_SLOTS; i++) {
			if (w->cache[i].key[0] != '\0' && (old == NULL ||
			    w->cache[i].used < old->used))
				old = &w->cache[i];
		}
		if (old == NULL)
			break;
		cache_drop(w, old);
		victim = old;
	}
	if (victim == NULL || bytes > WEB_CACHE_BYTES ||
	    generation != w->generation) {
		pthread_mutex_unlock(&w->lock);
		netlib_mhd.destroy_response(resp);
		return;
	}
	snprintf(victim->key, sizeof victim->key, "%s", key);
	victim->response = resp;
	victim->status = status;
	victim->generation = generation;
	victim->made_ms = mono_ms();
	victim->bytes = bytes;
	victim->used = ++w->cache_clock;
	w->cache_bytes += bytes;
	pthread_mutex_unlock(&w->lock);
}

static void
cache_clear(struct web_server *w)
{
	size_t i;

	for (i = 0; i < WEB_CACHE_SLOTS; i++) {
		if (w->cache[i].key[0] != '\0')
			cache_drop(w, &w->cache[i]);
	}
}

/* The cache key: language, path and arguments in their order. */
static void
cache_key(const struct web_req *r, char *out, size_t size)
{
	size_t len, i;

	len = (size_t)snprintf(out, size, "%s|%s", r->lang, r->path);
	for (i = 0; i < r->n_args && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%c%s=%s",
		    i == 0 ? '?' : '&', r->args[i].key, r->args[i].value);
	if (len >= size)
		out[0] = '\0';
}

/* ---- the work queue ---- */

/* Queues c for a worker; returns 0 when the server is stopping or full. */
static int
queue_push(struct web_server *w, struct web_conn *c)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping || w->queued >= w->max_queue) {
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	c->next = NULL;
	if (w->tail != NULL)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
	w->queued++;
	c->generation = w->generation;
	c->state = WEB_CONN_QUEUED;
	netlib_mhd.suspend_connection(c->conn);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	return 1;
}

/* Takes the next request; NULL when stopping and nothing is left. */
static struct web_conn *
queue_pop(struct web_server *w, int *stopping)
{
	struct web_conn *c;

	pthread_mutex_lock(&w->lock);
	while (w->head == NULL && !w->stopping)
		pthread_cond_wait(&w->work, &w->lock);
	c = w->head;
	if (c != NULL) {
		w->head = c->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->queued--;
	}
	*stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return c;
}

/* ---- the workers ---- */

/* Splits /ping/NAME/TOKEN[/start|/fail]; returns 0 when malformed. */
static int
ping_parse(const char *path, char *name, char *token, size_t size,
	   enum web_ping_kind *kind)
{
	char buf[WEB_PATH_MAX], *parts[4], *save = NULL, *tok;
	size_t n = 0;

	snprintf(buf, sizeof buf, "%s", path + strlen("/ping/"));
	for (tok = strtok_r(buf, "/", &save); tok != NULL && n < 4;
	    tok = strtok_r(NULL, "/", &save))
		parts[n++] = tok;
	if (n < 2 || n > 3 || tok != NULL || !web_name_ok(parts[0]) ||
	    strlen(parts[1]) >= size)
		return 0;
	*kind = WEB_PING_SUCCESS;
	if (n == 3 && strcmp(parts[2], "start") == 0)
		*kind = WEB_PING_START;
	else if (n == 3 && strcmp(parts[2], "fail") == 0)
		*kind = WEB_PING_FAIL;
	else if (n == 3)
		return 0;
	snprintf(name, size, "%s", parts[0]);
	snprintf(token, size, "%s", parts[1]);
	return 1;
}

static void
work_ping(struct web_server *w, struct web_req *r)
{
	char name[WEB_PATH_MAX], token[WEB_PATH_MAX];
	enum web_ping_kind kind;
	int rc;

	r->format = WEB_FMT_TEXT;
	r->cacheable = 0;
	if (!ping_parse(r->path, name, token, sizeof name, &kind)) {
		web_fail(r, 404, "%s", WT(r, N_("a ping URL is /ping/NAME/TOKEN, optionally followed by /start or /fail")));
		return;
	}
	if (w->ping == NULL) {
		web_fail(r, 503, "%s", WT(r, N_("this server reads a copy of the store; send pings to the agent's web server")));
		return;
	}
	rc = w->ping(w->ping_arg, name, token, kind, WEB_PING_TIMEOUT_MS);
	memset(token, 0, sizeof token);
	if (rc == WK_OK) {
		r->status = 200;
		buf_append_str(&r->body, "OK\n");
		pthread_mutex_lock(&w->lock);
		w->stats.pings++;
		pthread_mutex_unlock(&w->lock);
	} else if (rc == WK_ERR_NOTFOUND) {
		web_fail(r, 404, WT(r, N_("no push probe is called %s")), name);
	} else if (rc == WK_ERR_INVALID) {
		web_fail(r, 403, "%s", WT(r, N_("wrong token for this probe; the ping was not recorded")));
	} else {
		web_fail(r, 503, "%s", WT(r, N_("the agent did not answer in time; send the ping again")));
	}
}

/* Opens the worker's store when it has none; fails r when it cannot. */
static int
work_store(struct web_server *w, struct web_req *r, struct store **st)
{
	struct wk_err err = { 0, "" };

	if (*st != NULL)
		return 1;
	if (store_open(w->store_path, STORE_READ_ONLY, st, &err) == WK_OK)
		return 1;
	LOG(LL_WARN, _("web: cannot open the store: %s"), err.msg);
	web_fail(r, 503, WT(r, N_("the store cannot be read now: %s")), err.msg);
	return 0;
}

static void
work_route(struct web_server *w, struct web_conn *c, struct store **st)
{
	struct web_req *r = &c->req;
	int64_t deadline;

	if (!work_store(w, r, st))
		return;
	r->store = *st;
	r->now = clk_wall_ms();
	deadline = clk_mono_ns() + w->query_timeout_ms * INT64_C(1000000);
	if (store_report_read_begin(*st, deadline) != WK_OK) {
		web_fail(r, 503, "%s", WT(r, N_("the store is busy; try again")));
		store_report_read_end(*st);
		return;
	}
	web_route_run(r, c->route);
	store_report_read_end(*st);
	if (r->status == 500 && clk_mono_ns() > deadline) {
		buf_reset(&r->body);
		web_fail(r, 503, WT(r, N_("the page took longer than %lld ms to read; choose a shorter period")),
		    (long long)w->query_timeout_ms);
	}
	if (r->status >= 500)
		LOG(LL_WARN, _("web: %s failed with status %d: %s"), r->path,
		    r->status, r->error);
}

/* Runs one request on a worker. */
static void
work_one(struct web_server *w, struct web_conn *c, struct store **st,
	 int stopping)
{
	struct web_req *r = &c->req;
	struct web_cfg_ref *ref = cfg_acquire(w);

	r->cfg = ref->cfg;
	r->webcfg = cfg_web_of(w, ref);
	r->status = 200;
	if (stopping)
		web_fail(r, 503, "%s", WT(r, N_("the server is stopping")));
	else if (c->verify_auth && !web_auth_check(r->webcfg,
	    c->authorization, 1))
		web_fail(r, 401, "%s", WT(r, N_("wrong user name or password")));
	else if (c->kind == WEB_KIND_PING)
		work_ping(w, r);
	else
		work_route(w, c, st);
	memset(c->authorization, 0, sizeof c->authorization);
	if (r->status >= 400 && r->body.len == 0)
		web_render_failure(r);
	r->cfg = NULL;
	r->webcfg = NULL;
	r->store = NULL;
	cfg_release(w, ref);
}

static void *
worker_main(void *arg)
{
	struct web_server *w = arg;
	struct store *st = NULL;
	struct web_conn *c;
	int stopping;

	while ((c = queue_pop(w, &stopping)) != NULL) {
		work_one(w, c, &st, stopping);
		c->state = WEB_CONN_DONE;
		netlib_mhd.resume_connection(c->conn);
	}
	store_close(st);
	return NULL;
}

/* ---- the watcher ---- */

static void
watch_sleep(struct web_server *w, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	if (!w->stopping)
		pthread_cond_timedwait(&w->stop, &w->lock, &ts);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Opens the watcher's store when it has none and *skip polls have passed.
 * After each failed open the wait doubles, up to WEB_WATCH_MAX_SKIP polls,
 * because every failed open logs its error.
 */
static void
watch_open(struct web_server *w, struct store **st, int *skip, int *wait)
{
	struct wk_err err = { 0, "" };

	if (*st != NULL || (*skip)-- > 0)
		return;

	if (store_open(w->store_path, STORE_READ_ONLY, st, &err) == WK_OK) {
		*wait = 1;
		return;
	}
	*st = NULL;
	*skip = *wait;
	if (*wait < WEB_WATCH_MAX_SKIP)
		*wait *= 2;
}

/*
 * Reads the store's data_version and records the time of the check. With
 * version, bumps the generation when the data_version differs from it.
 */
static void
watch_check(struct web_server *w, struct store *st, int64_t *version)
{
	int64_t v;

	if (store_report_data_version(st, &v) != WK_OK)
		return;

	pthread_mutex_lock(&w->lock);
	if (version != NULL && v != *version)
		w->generation++;
	w->stats.store_checked_at = clk_wall_ms();
	pthread_mutex_unlock(&w->lock);
	if (version != NULL)
		*version = v;
}

/* Bumps the generation when the store's data_version changes. */
static void *
watcher_main(void *arg)
{
	struct web_server *w = arg;
	struct store *st = NULL;
	int64_t version = -1;
	int stopping = 0, skip = 0, wait = 1;

	while (!stopping) {
		watch_open(w, &st, &skip, &wait);
		if (st != NULL)
			watch_check(w, st, &version);
		watch_sleep(w, WEB_WATCH_MS);
		pthread_mutex_lock(&w->lock);
		stopping = w->stopping;
		pthread_mutex_unlock(&w->lock);
	}
	store_close(st);
	return NULL;
}

/*
 * Reads the store once before serving starts, as the watcher does later,
 * so that a /healthz request that started the server finds a fresh check.
 * NOTE: in the agent this read-only open runs on the event loop.
 */
static void
watch_first_check(struct web_server *w)
{
	struct wk_err err = { 0, "" };
	struct store *st = NULL;

	if (store_open(w->store_path, STORE_READ_ONLY, &st, &err) != WK_OK)
		return;
	watch_check(w, st, NULL);
	store_close(st);
}

/* ---- the access handler ---- */

static int
answer_health(struct web_server *w, struct MHD_Connection *conn,
	      struct web_req *r)
{
	int64_t now = clk_wall_ms(), checked;
	int fresh;

	pthread_mutex_lock(&w->lock);
	checked = w->stats.store_checked_at;
	pthread_mutex_unlock(&w->lock);
	/* The watcher reads the store every WEB_WATCH_MS; no store access here. */
	fresh = checked > 0 && now - checked < 5000;
	r->status = fresh ? 200 : 503;
	r->format = WEB_FMT_JSON;
	r->content_type = "application/json";
	r->cacheable = 0;
	buf_printf(&r->body, "{\"status\":\"%s\",\"mode\":\"%s\","
	    "\"store_checked_ms_ago\":%lld}\n", fresh ? "ok" : "store_unreadable",
	    w->mode, checked > 0 ? (long long)(now - checked) : -1LL);
	return web_answer_now(conn, r);
}

static void
count_answer(struct web_server *w, unsigned status)
{
	pthread_mutex_lock(&w->lock);
	w->stats.requests++;
	if (status >= 500)
		w->stats.errors++;
	if (status == 401)
		w->stats.auth_failures++;
	pthread_mutex_unlock(&w->lock);
}

/*
 * Checks authentication on the polling thread; returns 0 after setting
 * r->status to 401. A password not seen recently is verified here when
 * slow is set, else left to the worker (c->verify_auth).
 */
static int
auth_gate(struct web_server *w, struct web_conn *c, int slow)
{
	struct web_cfg_ref *ref = cfg_acquire(w);
	const struct cfg_web *webcfg = cfg_web_of(w, ref);
	int verdict = 1;

	if (cfg_web_has_auth(webcfg)) {
		verdict = c->has_authorization && c->authorization[0] != '\0' ?
		    web_auth_check(webcfg, c->authorization, slow) : 0;
		c->verify_auth = verdict < 0;
	}
	cfg_release(w, ref);
	if (verdict != 0)
		return 1;
	c->req.status = 401;
	snprintf(c->req.error, sizeof c->req.error, "%s",
	    WT(&c->req, N_("sign in: this server requires a user name and password, or a bearer token")));
	if (w->stats.auth_failures % WEB_AUTH_LOG_EVERY == 0)
		LOG(LL_WARN, _("web: request without valid credentials rejected (%llu so far)"),
		    (unsigned long long)w->stats.auth_failures + 1);
	return 0;
}

/* Starts the work of a request whose body has been read. */
static int
dispatch(struct web_server *w, struct web_conn *c)
{
	struct web_req *r = &c->req;
	int queued = 0, ok;

	c->kind = (enum web_kind)web_classify(c, &c->route);
	if (c->kind == WEB_KIND_HEALTH) {
		count_answer(w, 200);
		return answer_health(w, c->conn, r);
	}
	if ((c->kind == WEB_KIND_STATIC || c->kind == WEB_KIND_ROUTE) &&
	    !auth_gate(w, c, c->kind == WEB_KIND_STATIC))
		c->kind = WEB_KIND_ANSWER;
	if (c->kind == WEB_KIND_ANSWER) {
		count_answer(w, (unsigned)r->status);
		return web_answer_now(c->conn, r);
	}
	if (c->kind == WEB_KIND_STATIC) {
		count_answer(w, 200);
		return web_answer_static(c->conn, r);
	}
	if (c->kind == WEB_KIND_ROUTE && !c->verify_auth && !r->head) {
		cache_key(r, c->cache_key, sizeof c->cache_key);
		if (c->cache_key[0] != '\0') {
			ok = cache_answer(w, c->cache_key, c->conn, &queued);
			if (queued)
				return ok;
		}
	}
	if (queue_push(w, c))
		return MHD_YES;
	r->status = 503;
	snprintf(r->error, sizeof r->error, "%s",
	    WT(r, N_("the server is busy or stopping; try again")));
	count_answer(w, 503);
	return web_answer_now(c->conn, r);
}

/* Sends the answer a worker made, and keeps it when it may be reused. */
static int
finish(struct web_server *w, struct web_conn *c)
{
	struct web_req *r = &c->req;
	struct MHD_Response *resp;
	size_t bytes = r->body.len;
	unsigned status = (unsigned)r->status;
	int ok;

	count_answer(w, status);
	resp = web_response_from(r);
	if (resp == NULL)
		return MHD_NO;
	ok = netlib_mhd.queue_response(c->conn, status, resp);
	if (status == 200 && r->cacheable && c->cache_key[0] != '\0')
		cache_put(w, c->cache_key, resp, status, c->generation, bytes);
	else
		netlib_mhd.destroy_response(resp);
	return ok;
}

static enum MHD_Result
web_access(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **req_cls)
{
	struct web_server *w = cls;
	struct web_conn *c = *req_cls;

	(void)version;
	(void)upload_data;
	if (c == NULL) {
		c = calloc(1, sizeof *c);
		if (c == NULL)
			return MHD_NO;
		*req_cls = c;
		c->conn = conn;
		c->req.server = w;
		/* A client that sent a whole request gets the configured idle
		 * time for keep-alive. Until then the shorter daemon timeout
		 * applies. */
		netlib_mhd.set_connection_option(conn,
		    MHD_CONNECTION_OPTION_TIMEOUT,
		    w->idle_timeout_s);
		{
			struct web_cfg_ref *ref = cfg_acquire(w);

			if (web_intake(c, conn, url, method, cfg_web_of(w, ref))
			    != 0)
				c->kind = WEB_KIND_ANSWER;
			cfg_release(w, ref);
		}
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 && !c->post) {
			c->req.status = 405;
			snprintf(c->req.error, sizeof c->req.error, "%s",
			    WT(&c->req, N_("method not allowed; use GET")));
			c->kind = WEB_KIND_ANSWER;
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		c->uploaded += *upload_data_size;
		*upload_data_size = 0;
		/* Only pings take a body, and they ignore it. */
		return c->uploaded > WEB_PING_BODY_MAX ? MHD_NO : MHD_YES;
	}
	web_deadlines_received(conn);
	if (c->state == WEB_CONN_DONE)
		return (enum MHD_Result)finish(w, c);
	if (c->state == WEB_CONN_QUEUED)
		return MHD_YES;
	if (c->kind == WEB_KIND_ANSWER) {
		count_answer(w, (unsigned)c->req.status);
		return (enum MHD_Result)web_answer_now(conn, &c->req);
	}
	return (enum MHD_Result)dispatch(w, c);
}

static void
web_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
	      enum MHD_RequestTerminationCode toe)
{
	struct web_conn *c = *req_cls;

	(void)cls;
	(void)toe;
	web_deadlines_next(conn);
	if (c == NULL)
		return;
	buf_free(&c->req.body);
	memset(c->authorization, 0, sizeof c->authorization);
	free(c);
	*req_cls = NULL;
}

static void web_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* libmicrohttpd's messages, into the agent's log. */
static void
web_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	LOG(LL_WARN, _("web: %s"), msg);
}

/* ---- start and stop ---- */

/* Fills a4 or a6 with the address of c; returns its length. */
static socklen_t
listen_address(const struct cfg_web *c, struct sockaddr_in *a4,
	       struct sockaddr_in6 *a6)
{
	memset(a4, 0, sizeof *a4);
	memset(a6, 0, sizeof *a6);
	if (c->ipv6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)c->port);
		inet_pton(AF_INET6, c->host, &a6->sin6_addr);
		return (socklen_t)sizeof *a6;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)c->port);
	inet_pton(AF_INET, c->host, &a4->sin_addr);
	return (socklen_t)sizeof *a4;
}

/* Opens the non-blocking listening socket on c's address. */
static int
open_listen(struct web_server *w, const struct cfg_web *c, struct wk_err *err)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	socklen_t len = listen_address(c, &a4, &a6);
	struct sockaddr *addr = c->ipv6 ? (struct sockaddr *)&a6 :
	    (struct sockaddr *)&a4;
	int fd, on = 1;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd >= 0) {
		/* As libmicrohttpd sets them on the sockets it opens. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (c->ipv6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof on);
	}
	if (fd < 0 || bind(fd, addr, len) != 0 || listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, addr, &len) != 0) {
		wk_err_set(err, WK_ERR_IO,
		    _("web: cannot listen on %s%s%s:%d (%s): the port may be in use or the address not on this machine; set \"web\".\"listen\" to a free address"),
		    c->ipv6 ? "[" : "", c->host, c->ipv6 ? "]" : "", c->port,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return WK_ERR_IO;
	}
	w->listen_fd = fd;
	w->ipv6 = c->ipv6;
	w->port = ntohs(c->ipv6 ? a6.sin6_port : a4.sin_port);
	return WK_OK;
}

/* Starts libmicrohttpd on the listening socket, which it takes over. */
static int
start_daemon(struct web_server *w, struct wk_err *err)
{
	/* NOTE: poll(), not epoll. With MHD_USE_EPOLL, libmicrohttpd 0.9.75
	 * left some connections that clients had closed in CLOSE-WAIT until
	 * their timeout, and accepted nothing while they held every slot.
	 * The cause inside the library is not known; web_burst.sh checks. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned first_s = w->idle_timeout_s < WEB_FIRST_REQUEST_TIMEOUT_S ?
	    w->idle_timeout_s : WEB_FIRST_REQUEST_TIMEOUT_S;

	if (w->ipv6)
		flags |= MHD_USE_IPv6;
	if (w->deadlines == NULL)
		w->deadlines = web_deadlines_start(w->max_connections +
		    WEB_DEADLINE_SPARE, (int64_t)w->idle_timeout_s * 1000, err);
	if (w->deadlines == NULL)
		return err->rc;
	w->daemon = netlib_mhd.start_daemon(flags, (uint16_t)w->port, NULL,
	    NULL, web_access, w,
	    MHD_OPTION_EXTERNAL_LOGGER, web_mhd_log, w,
	    MHD_OPTION_LISTEN_SOCKET, w->listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)WEB_POLL_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, w->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, first_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, w->connection_bytes,
	    MHD_OPTION_NOTIFY_COMPLETED, web_completed, w,
	    MHD_OPTION_NOTIFY_CONNECTION, web_deadlines_notify, w->deadlines,
	    MHD_OPTION_END);
	/* From here on MHD_stop_daemon() closes the socket (libmicrohttpd
	 * 0.9.75 does). NOTE: after a failed start the socket stays open,
	 * because some failure paths of the library may have closed it and a
	 * second close() could hit a descriptor that another thread reused. */
	w->listen_fd = -1;
	if (w->daemon == NULL)
		return wk_err_set(err, WK_ERR_IO,
		    _("web: libmicrohttpd could not serve port %d; its warning is logged before this line"),
		    w->port);
	return WK_OK;
}

static int
start_threads(struct web_server *w, int workers, struct wk_err *err)
{
	int i;

	for (i = 0; i < workers && i < WEB_WORKERS_MAX; i++) {
		if (pthread_create(&w->workers[i], NULL, worker_main, w) != 0)
			return wk_err_set(err, WK_ERR_IO,
			    _("web: cannot start a worker thread: %s"),
			    strerror(errno));
		w->n_workers++;
	}
	if (pthread_create(&w->watcher, NULL, watcher_main, w) != 0)
		return wk_err_set(err, WK_ERR_IO,
		    _("web: cannot start a thread: %s"), strerror(errno));
	w->watcher_started = 1;
	return WK_OK;
}

static struct web_server *
server_new(const struct web_opts *opts)
{
	struct web_server *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->stop, NULL);
	w->current = calloc(1, sizeof *w->current);
	w->store_path = strdup(opts->store_path);
	if (w->current == NULL || w->store_path == NULL) {
		free(w->current);
		free(w->store_path);
		free(w);
		return NULL;
	}
	w->current->cfg = opts->cfg;
	w->current->refs = 1;
	w->listen_fd = -1;
	cfg_web_defaults(&w->defaults);
	snprintf(w->mode, sizeof w->mode, "%s", opts->mode != NULL ?
	    opts->mode : "standalone");
	w->ping = opts->ping;
	w->ping_arg = opts->ping_arg;
	w->stats.started_at = clk_wall_ms();
	return w;
}

int
web_start(const struct web_opts *opts, struct web_server **out,
	  struct wk_err *err)
{
	const struct cfg_web *c;
	const char *reason = NULL;
	struct web_server *w;
	int rc;

	*out = NULL;
	w = server_new(opts);
	if (w == NULL) {
		cfg_free(opts->cfg);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	c = cfg_web_of(w, w->current);
	if (opts->listen != NULL && cfg_web_parse_listen(opts->listen,
	    (struct cfg_web *)c, &reason) != WK_OK) {
		wk_err_set(err, WK_ERR_INVALID,
		    _("web: invalid listen address \"%s\": %s; give HOST:PORT such as 127.0.0.1:8470"),
		    opts->listen, _(reason));
		web_stop(w);
		return WK_ERR_INVALID;
	}
	if (!c->loopback && !cfg_web_has_auth(c)) {
		/* c lies in w: the message is written before w is freed. */
		wk_err_set(err, WK_ERR_INVALID,
		    _("web: %s is not a loopback address, so the pages would be open to the network; add users or tokens under \"web\".\"auth\", or listen on 127.0.0.1"),
		    c->host);
		web_stop(w);
		return WK_ERR_INVALID;
	}
	json_object_seed(0);
	web_i18n_init();
	web_static_init();
	w->query_timeout_ms = c->query_timeout_ms;
	w->idle_timeout_s = (unsigned)((c->timeout_ms + 999) / 1000);
	w->request_bytes = c->request_bytes;
	w->max_queue = (size_t)c->max_connections;
	w->max_connections = (unsigned)c->max_connections;
	w->connection_bytes = (size_t)c->request_bytes;
	w->n_workers_requested = c->workers;
	rc = open_listen(w, c, err);
	if (rc == WK_OK && !opts->on_demand)
		rc = web_start_serving(w, err);
	if (rc != WK_OK) {
		web_stop(w);
		return rc;
	}
	LOG(LL_INFO, P_("web: serving %s on http://%s%s%s:%d/ (%d worker)",
	    "web: serving %s on http://%s%s%s:%d/ (%d workers)",
	    (unsigned long)w->n_workers_requested),
	    w->store_path, c->ipv6 ? "[" : "", c->host, c->ipv6 ? "]" : "",
	    w->port, w->n_workers_requested);
	*out = w;
	return WK_OK;
}

int
web_start_serving(struct web_server *w, struct wk_err *err)
{
	int rc;

	if (w->daemon != NULL)
		return WK_OK;
	rc = netlib_mhd_load(_("the web server"), err);
	if (rc != WK_OK)
		return rc;

	watch_first_check(w);
	rc = start_threads(w, w->n_workers_requested, err);
	if (rc == WK_OK)
		rc = start_daemon(w, err);
	return rc;
}

int
web_listen_fd(const struct web_server *w)
{
	return w->daemon != NULL ? -1 : w->listen_fd;
}

void
web_stop(struct web_server *w)
{
	int i;

	if (w == NULL)
		return;
	/* Queued requests are answered 503 and resumed before the workers
	 * end, and nothing is queued once stopping is set, so no connection
	 * stays suspended when the daemon stops. */
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->stop);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->n_workers; i++)
		pthread_join(w->workers[i], NULL);
	if (w->watcher_started)
		pthread_join(w->watcher, NULL);
	/* The deadline thread ends first, so that it shuts down no socket
	   while the daemon stops, and the table lives until the daemon's
	   last close notice. */
	web_deadlines_stop(w->deadlines);
	if (w->daemon != NULL)
		netlib_mhd.stop_daemon(w->daemon);
	web_deadlines_free(w->deadlines);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
	cache_clear(w);
	cfg_release(w, w->current);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->stop);
	pthread_mutex_destroy(&w->lock);
	free(w->store_path);
	free(w);
}

int
web_port(const struct web_server *w)
{
	return w->port;
}

const char *
web_mode(const struct web_server *w)
{
	return w->mode;
}

void
web_server_stats(struct web_server *w, struct web_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	out->queue_length = (int64_t)w->queued;
	pthread_mutex_unlock(&w->lock);
}
