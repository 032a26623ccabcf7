/*
 * The agent's web server (web/): started with its own copy of the
 * configuration, and bridged to the event loop for push pings.
 *
 * probe_push_ping() must run on the loop thread, but the web server's
 * workers receive the pings. A worker writes a pointer to a request into
 * a pipe that the loop watches, then waits on a condition variable for
 * the loop's result, at most the timeout the web server gives, so that
 * the HTTP response tells whether the token was valid. The request is
 * freed by whichever side lets go of it last.
 *
 * The server only listens at first. The loop watches the listening
 * socket, and the first connection starts serving (web_start_serving()),
 * which loads libmicrohttpd and starts the server's threads. An agent
 * whose page is never requested spares their memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/cli.h"
#include "core/i18n.h"
#include "core/log.h"
#include "probes/probe.h"
#include "web/web.h"

#define PING_NAME_MAX 64     /* bytes of a probe name, with NUL */
#define PING_TOKEN_MAX 256   /* bytes of a token, with NUL */

/* A ping on its way from a web worker to the loop and back. */
struct agent_ping {
	char probe[PING_NAME_MAX];   /* probe name */
	char token[PING_TOKEN_MAX];  /* as given; wiped before free */
	enum probe_ping kind;        /* start, success or fail */
	int rc;                      /* the loop's result */
	int done;                    /* rc is set */
	int refs;                    /* 2 while both sides hold it */
};

/*
 * The bridge between the web workers and the loop; one agent runs per
 * process. lock guards the ping requests, stopping and the write end.
 */
static struct {
	pthread_mutex_t lock;        /* see above */
	pthread_cond_t answered;     /* a ping got its result */
	int fds[2];                  /* pipe: workers write, the loop reads */
	int stopping;                /* no new pings are accepted */
	struct agent *agent;         /* the loop's agent */
	int listen_fd;               /* listening socket the loop watches
					until the first connection; -1 */
} agent_bridge = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
		   { -1, -1 }, 0, NULL, -1 };

/* Drops one reference; the caller holds agent_bridge.lock. */
static void
ping_release(struct agent_ping *p)
{
	if (--p->refs > 0)
		return;
	memset(p->token, 0, sizeof p->token);
	free(p);
}

static void
ping_answer(struct agent_ping *p, int rc)
{
	pthread_mutex_lock(&agent_bridge.lock);
	p->rc = rc;
	p->done = 1;
	pthread_cond_broadcast(&agent_bridge.answered);
	ping_release(p);
	pthread_mutex_unlock(&agent_bridge.lock);
}

/* Records the pings in the pipe and returns each result; runs on the loop. */
static void
agent_web_pings(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct agent *agent = arg;
	struct agent_ping *p;
	int rc;

	(void)loop;
	(void)events;
	while (read(fd, &p, sizeof p) == (ssize_t)sizeof p) {
		rc = agent->probes != NULL ? probe_push_ping(agent->probes,
		    p->probe, p->token, p->kind) : WK_ERR_NOTFOUND;
		ping_answer(p, rc);
	}
}

static void
deadline_after(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The web server's ping callback; runs on a web worker. */
static int
agent_web_ping(void *arg, const char *probe, const char *token,
	       enum web_ping_kind kind, int64_t timeout_ms)
{
	struct agent_ping *p = calloc(1, sizeof *p);
	struct timespec until;
	int rc = WK_ERR_BUSY;

	(void)arg;
	if (p == NULL)
		return WK_ERR_BUSY;
	if (strlen(probe) >= sizeof p->probe || strlen(token) >= sizeof p->token) {
		free(p);
		return strlen(probe) >= sizeof p->probe ? WK_ERR_NOTFOUND :
		    WK_ERR_INVALID;
	}
	snprintf(p->probe, sizeof p->probe, "%s", probe);
	snprintf(p->token, sizeof p->token, "%s", token);
	p->kind = kind == WEB_PING_START ? PROBE_PING_START :
	    kind == WEB_PING_FAIL ? PROBE_PING_FAIL : PROBE_PING_SUCCESS;
	p->refs = 2;
	deadline_after(&until, timeout_ms);
	pthread_mutex_lock(&agent_bridge.lock);
	if (agent_bridge.stopping || write(agent_bridge.fds[1], &p, sizeof p) !=
	    (ssize_t)sizeof p) {
		p->refs = 1;
		ping_release(p);
		pthread_mutex_unlock(&agent_bridge.lock);
		return WK_ERR_BUSY;
	}
	while (!p->done && pthread_cond_timedwait(&agent_bridge.answered,
	    &agent_bridge.lock, &until) != ETIMEDOUT)
		;
	if (p->done)
		rc = p->rc;
	ping_release(p);
	pthread_mutex_unlock(&agent_bridge.lock);
	return rc;
}

static struct cfg *
agent_web_config(struct agent *agent)
{
	struct wk_err err = { 0, "" };
	struct cfg *cfg;

	cfg = agent->config_path != NULL ? cfg_load_file(agent->config_path,
	    &err) : cfg_load_default(&err);
	if (cfg == NULL) {
		LOG(LL_ERROR, _("web: %s"), err.msg);
		return NULL;
	}
	if (cfg_resolve_state_dir(cfg, agent->sd.path) != WK_OK) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

static int
agent_web_bridge(struct agent *agent)
{
	int i;

	if (pipe(agent_bridge.fds) != 0) {
		LOG(LL_ERROR, _("web: cannot create a pipe: %s"),
		    strerror(errno));
		return WK_ERR_IO;
	}
	for (i = 0; i < 2; i++) {
		fcntl(agent_bridge.fds[i], F_SETFD, FD_CLOEXEC);
		fcntl(agent_bridge.fds[i], F_SETFL, O_NONBLOCK);
	}
	agent_bridge.agent = agent;
	agent_bridge.stopping = 0;
	return ev_fd_add(agent->loop, agent_bridge.fds[0], EV_READ,
	    agent_web_pings, agent);
}

/* Stops watching the listening socket, if the loop watches it. */
static void
agent_web_unwatch(struct agent *agent)
{
	if (agent_bridge.listen_fd < 0)
		return;
	ev_fd_del(agent->loop, agent_bridge.listen_fd);
	agent_bridge.listen_fd = -1;
}

/* The first connection came: starts serving it and every later one. */
static void
agent_web_wake(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct wk_err err = { 0, "" };
	struct agent *agent = arg;

	(void)loop;
	(void)fd;
	(void)events;
	agent_web_unwatch(agent);
	if (web_start_serving(agent->web, &err) == WK_OK)
		return;

	LOG(LL_ERROR, _("%s; the agent runs without its web page"), err.msg);
	web_stop(agent->web);
	agent->web = NULL;
}

/* Watches the listening socket of the server until its first connection. */
static void
agent_web_watch(struct agent *agent)
{
	int fd = web_listen_fd(agent->web);

	if (fd < 0 || ev_fd_add(agent->loop, fd, EV_READ, agent_web_wake,
	    agent) != WK_OK) {
		/* Without the watch, serve at once rather than never. */
		agent_web_wake(agent->loop, fd, EV_READ, agent);
		return;
	}
	agent_bridge.listen_fd = fd;
}

int
agent_web_start(struct agent *agent)
{
	struct wk_err err = { 0, "" };
	struct web_opts opts;
	struct cfg *cfg = agent_web_config(agent);
	int explicit;

	if (cfg == NULL)
		return CLI_EXIT_CONFIG;
	if (!cfg->web.enabled) {
		LOG(LL_INFO, _("web: disabled by \"web\".\"enabled\""));
		cfg_free(cfg);
		return CLI_EXIT_OK;
	}
	explicit = cfg->web.present;
	if (agent_web_bridge(agent) != WK_OK) {
		cfg_free(cfg);
		return CLI_EXIT_STATE;
	}
	memset(&opts, 0, sizeof opts);
	opts.store_path = agent->sd.store_path;
	opts.cfg = cfg;
	opts.mode = "agent";
	opts.ping = agent_web_ping;
	opts.on_demand = 1;
	if (web_start(&opts, &agent->web, &err) == WK_OK) {
		agent_web_watch(agent);
		return CLI_EXIT_OK;
	}
	/* Without a "web" section, a port taken by another agent is no
	 * reason to stop supervising. */
	if (err.rc != WK_ERR_INVALID && !explicit) {
		LOG(LL_WARN, _("%s; the agent runs without its web page"),
		    err.msg);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "watchkeep: %s\n", err.msg);
	return err.rc == WK_ERR_INVALID ? CLI_EXIT_CONFIG : CLI_EXIT_STATE;
}

void
agent_web_reload(struct agent *agent)
{
	struct cfg *cfg;

	if (agent->web == NULL)
		return;
	cfg = agent_web_config(agent);
	if (cfg != NULL)
		web_set_config(agent->web, cfg);
}

/* Fails the pings still in the pipe, because the loop will not run again. */
static void
agent_web_drain(void)
{
	struct agent_ping *p;

	pthread_mutex_lock(&agent_bridge.lock);
	agent_bridge.stopping = 1;
	pthread_mutex_unlock(&agent_bridge.lock);
	while (agent_bridge.fds[0] >= 0 && read(agent_bridge.fds[0], &p,
	    sizeof p) == (ssize_t)sizeof p)
		ping_answer(p, WK_ERR_BUSY);
}

void
agent_web_stop(struct agent *agent)
{
	if (agent_bridge.agent != agent)
		return;
	agent_web_drain();
	agent_web_unwatch(agent);
	web_stop(agent->web);
	agent->web = NULL;
	ev_fd_del(agent->loop, agent_bridge.fds[0]);
	close(agent_bridge.fds[0]);
	close(agent_bridge.fds[1]);
	agent_bridge.fds[0] = agent_bridge.fds[1] = -1;
	agent_bridge.agent = NULL;
	web_text_cleanup();
}
