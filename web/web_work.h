/*
 * Between web_server.c (routes, responses) and web_work.c (the daemon,
 * the work queue, the workers, the watcher and the cache).
 */
#ifndef WK_WEB_WORK_H
#define WK_WEB_WORK_H

#include "netlib/netlib_mhd.h"
#include "web/web_int.h"

#define WEB_AUTHORIZATION_MAX 1024  /* bytes of an Authorization header */
#define WEB_CACHE_KEY_MAX 1400      /* bytes of a cache key */

/* Where a request is. */
enum web_conn_state {
	WEB_CONN_NEW,      /* reading the request */
	WEB_CONN_QUEUED,   /* suspended, waiting for or on a worker */
	WEB_CONN_DONE      /* the worker filled the answer */
};

/* What a request needs, once read (web_classify()). */
enum web_kind {
	WEB_KIND_ANSWER = 1,  /* answer with r->status at once */
	WEB_KIND_STATIC = 2,  /* a built-in file */
	WEB_KIND_HEALTH = 3,  /* /healthz */
	WEB_KIND_PING = 4,    /* /ping/NAME/TOKEN... */
	WEB_KIND_ROUTE = 5    /* a page or an API answer */
};

/* One request on one connection. */
struct web_conn {
	struct web_req req;              /* what handlers see */
	struct MHD_Connection *conn;     /* libmicrohttpd's connection */
	enum web_conn_state state;       /* where it is */
	enum web_kind kind;              /* what it needs */
	const void *route;               /* struct web_route, for ROUTE */
	int post;                        /* POST request */
	size_t uploaded;                 /* bytes of body received */
	int has_authorization;           /* an Authorization header came */
	char authorization[WEB_AUTHORIZATION_MAX]; /* its value, if it fit */
	int verify_auth;                 /* the worker checks the password */
	char cache_key[WEB_CACHE_KEY_MAX]; /* "" when not cacheable */
	int64_t generation;              /* data generation when work began */
	struct web_conn *next;           /* work queue link */
};

/* web_server.c */
int web_intake(struct web_conn *c, struct MHD_Connection *conn,
	       const char *url, const char *method,
	       const struct cfg_web *webcfg);
int web_classify(struct web_conn *c, const void **route);
void web_route_run(struct web_req *r, const void *route);
void web_render_failure(struct web_req *r);
struct MHD_Response *web_response_from(struct web_req *r);
int web_answer_now(struct MHD_Connection *conn, struct web_req *r);
int web_answer_static(struct MHD_Connection *conn, struct web_req *r);

#endif
