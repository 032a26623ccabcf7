/*
 * The "web" section: listen address, base URL, language, users and bearer
 * tokens, and limits. docs/config.md lists the keys.
 */
#include "core/config_web.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfgcheck.h"
#include "core/i18n.h"

#define WEB_WHERE N_("in \"web\"")

static const char *const web_keys[] = {
	"enabled", "listen", "base_url", "language", "auth", "limits", NULL
};
static const char *const auth_keys[] = { "users", "tokens", NULL };
static const char *const user_keys[] = { "name", "password_hash", NULL };
static const char *const token_keys[] = { "name", "sha256", NULL };
static const char *const limit_keys[] = {
	"connections", "request_bytes", "timeout", "query_timeout", "workers",
	NULL
};

/* crypt(3) prefixes of the hashes accepted: slow, salted methods only. */
static const char *const web_hash_prefixes[] = {
	"$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$", NULL
};

static int
parse_port(const char *text, int *port)
{
	char *end;
	long v;

	if (*text < '0' || *text > '9')
		return WK_ERR_INVALID;
	v = strtol(text, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return WK_ERR_INVALID;
	*port = (int)v;
	return WK_OK;
}

/* Splits "HOST:PORT" or "[HOST]:PORT" into host and the port text. */
static int
split_listen(const char *text, char *host, size_t size, const char **port,
	     int *bracketed)
{
	const char *colon;
	size_t len;

	*bracketed = text[0] == '[';
	if (*bracketed) {
		colon = strchr(text, ']');
		if (colon == NULL || colon[1] != ':')
			return WK_ERR_INVALID;
		len = (size_t)(colon - text - 1);
		text++;
		colon++;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return WK_ERR_INVALID;
		len = (size_t)(colon - text);
	}
	if (len == 0 || len >= size)
		return WK_ERR_INVALID;
	memcpy(host, text, len);
	host[len] = '\0';
	*port = colon + 1;
	return WK_OK;
}

int
cfg_web_parse_listen(const char *text, struct cfg_web *web,
		     const char **reason)
{
	unsigned char addr[16];
	char host[CFG_WEB_HOST_MAX];
	const char *port;
	int bracketed;

	if (split_listen(text, host, sizeof host, &port, &bracketed) != WK_OK) {
		*reason = N_("it is not HOST:PORT, such as 127.0.0.1:8470 or [::1]:8470");
		return WK_ERR_INVALID;
	}
	if (parse_port(port, &web->port) != WK_OK) {
		*reason = N_("the port is not a number from 1 to 65535");
		return WK_ERR_INVALID;
	}
	if (!bracketed && strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	web->ipv6 = bracketed;
	if (inet_pton(bracketed ? AF_INET6 : AF_INET, host, addr) != 1) {
		*reason = bracketed ? N_("the host is not an IPv6 address") :
		    N_("the host is not an IPv4 address or localhost (IPv6 goes in brackets)");
		return WK_ERR_INVALID;
	}
	snprintf(web->host, sizeof web->host, "%s", host);
	web->loopback = bracketed ?
	    memcmp(addr, in6addr_loopback.s6_addr, 16) == 0 : addr[0] == 127;
	return WK_OK;
}

int
cfg_web_has_auth(const struct cfg_web *web)
{
	return web->n_users > 0 || web->n_tokens > 0;
}

static int
load_listen(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "listen");
	const char *reason = NULL;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"),
		    "\"127.0.0.1:8470\"");
	if (cfg_web_parse_listen(json_string_value(m.value), w, &reason) !=
	    WK_OK)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("invalid \"listen\" \"%s\": %s"),
		    cfgcheck_quote(json_string_value(m.value)).text, _(reason));
	return WK_OK;
}

static int
load_base_url(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "base_url");
	int rc;

	rc = cfgcheck_string(ck, &m, "\"https://watchkeep.example.com\"",
	    &w->base_url);
	if (rc != WK_OK || w->base_url == NULL)
		return rc;
	if (strncmp(w->base_url, "https://", 8) != 0 &&
	    strncmp(w->base_url, "http://", 7) != 0)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"base_url\" must start with https:// or http://"));
	/* Links are built as base_url + "/runs/12": drop a trailing slash. */
	if (w->base_url[strlen(w->base_url) - 1] == '/')
		w->base_url[strlen(w->base_url) - 1] = '\0';
	return WK_OK;
}

static int
load_language(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	static const char *const names[] = { "auto", "en", "ja" };
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node,
	    "language");
	const char *v;
	size_t i;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"), "\"ja\"");
	v = json_string_value(m.value);
	for (i = 0; i < 3; i++) {
		if (strcmp(v, names[i]) == 0) {
			snprintf(w->language, sizeof w->language, "%s", v);
			return WK_OK;
		}
	}
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
	    _("unknown \"language\" \"%s\"; use \"auto\" (from the browser), \"en\" or \"ja\""),
	    cfgcheck_quote(v).text);
}

/* Checks that a password hash is one of the slow, salted crypt(3) kinds. */
static int
check_hash(struct cfgcheck *ck, const struct cfgcheck_member *m)
{
	const char *v = json_string_value(m->value);
	size_t i;

	if (strlen(v) >= CFG_WEB_HASH_MAX)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"password_hash\" is longer than %d bytes; paste the hash that `watchkeep web --hash-password` prints"),
		    CFG_WEB_HASH_MAX - 1);
	for (i = 0; web_hash_prefixes[i] != NULL; i++) {
		if (strncmp(v, web_hash_prefixes[i],
		    strlen(web_hash_prefixes[i])) == 0)
			return WK_OK;
	}
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
	    _("\"password_hash\" is not a yescrypt, scrypt, bcrypt or SHA-crypt hash (it must start with $y$, $7$, $2b$, $6$ or $5$); create one with `watchkeep web --hash-password`"));
}

static int
load_user(struct cfgcheck *ck, struct cfg_web_user *u, json_t *obj, int node)
{
	struct cfgcheck_member m;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a user must be an object such as {\"name\": \"alice\", \"password_hash\": \"$y$...\"}"));
	rc = cfgcheck_keys(ck, node, user_keys, _("in a web user"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in a web user"),
		    "\"alice\"", &u->name);
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "password_hash");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "password_hash",
		    _("in a web user"), "\"$y$j9T$...\"");
	if (!json_is_string(m.value))
		return cfgcheck_wrong_type(ck, &m, _("a string"),
		    "\"$y$j9T$...\"");
	rc = check_hash(ck, &m);
	if (rc == WK_OK)
		rc = cfgcheck_string(ck, &m, "\"$y$j9T$...\"",
		    &u->password_hash);
	return rc;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
load_token_hash(struct cfgcheck *ck, struct cfg_web_token *t,
		const struct cfgcheck_member *m)
{
	const char *v;
	size_t i;

	if (!json_is_string(m->value))
		return cfgcheck_wrong_type(ck, m, _("a string"),
		    "\"9f86d081884c7d65...\"");
	v = json_string_value(m->value);
	for (i = 0; i < 2 * CFG_WEB_SHA256_LEN; i++) {
		if (hex_value(v[i]) < 0)
			break;
	}
	if (i != 2 * CFG_WEB_SHA256_LEN || v[i] != '\0')
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"sha256\" must be the 64 hexadecimal digits of the token's SHA-256, as `printf %%s TOKEN | sha256sum` prints them"));
	for (i = 0; i < CFG_WEB_SHA256_LEN; i++)
		t->sha256[i] = (unsigned char)(hex_value(v[2 * i]) * 16 +
		    hex_value(v[2 * i + 1]));
	return WK_OK;
}

static int
load_token(struct cfgcheck *ck, struct cfg_web_token *t, json_t *obj,
	   int node)
{
	struct cfgcheck_member m;
	int rc;

	if (!json_is_object(obj))
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, node),
		    _("a token must be an object such as {\"name\": \"grafana\", \"sha256\": \"...\"}"));
	rc = cfgcheck_keys(ck, node, token_keys, _("in a web token"));
	if (rc == WK_OK)
		rc = cfgcheck_name(ck, obj, node, _("in a web token"),
		    "\"grafana\"", &t->name);
	if (rc != WK_OK)
		return rc;
	m = cfgcheck_get_member(ck, obj, node, "sha256");
	if (m.value == NULL)
		return cfgcheck_missing_key(ck, node, "sha256",
		    _("in a web token"), "\"9f86d081884c7d65...\"");
	return load_token_hash(ck, t, &m);
}

/* Checks the array member m and allocates count elements of size bytes. */
static int
load_array(struct cfgcheck *ck, const struct cfgcheck_member *m, size_t max,
	   size_t size, void **out, size_t *count)
{
	size_t n;

	if (!json_is_array(m->value))
		return cfgcheck_wrong_type(ck, m, _("an array"), "[{...}]");
	n = json_array_size(m->value);
	if (n > max)
		return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
		    _("\"%s\" has %zu entries; give at most %zu"), m->key, n,
		    max);
	*out = n > 0 ? calloc(n, size) : NULL;
	if (n > 0 && *out == NULL)
		return cfgcheck_nomem(ck);
	*count = n;
	return WK_OK;
}

/* Rejects the second of two entries with the same name. */
static int
check_unique(struct cfgcheck *ck, const struct cfgcheck_member *m,
	     const char *const *names, size_t n)
{
	size_t i, k;

	for (i = 1; i < n; i++) {
		for (k = 0; k < i; k++) {
			if (strcmp(names[i], names[k]) == 0)
				return cfgcheck_fail_at(ck, cfgcheck_value_at(ck,
				    jsonpos_element(&ck->pos, m->node, i)),
				    _("the name \"%s\" is used twice in \"%s\"; give each entry its own name"),
				    names[i], m->key);
		}
	}
	return WK_OK;
}

static int
load_users(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "users");
	const char *names[CFG_WEB_USERS_MAX];
	size_t i;
	int rc;

	if (m.value == NULL)
		return WK_OK;
	rc = load_array(ck, &m, CFG_WEB_USERS_MAX, sizeof *w->users,
	    (void **)&w->users, &w->n_users);
	for (i = 0; rc == WK_OK && i < w->n_users; i++) {
		rc = load_user(ck, &w->users[i], json_array_get(m.value, i),
		    jsonpos_element(&ck->pos, m.node, i));
		names[i] = w->users[i].name;
	}
	if (rc == WK_OK)
		rc = check_unique(ck, &m, names, w->n_users);
	return rc;
}

static int
load_tokens(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "tokens");
	const char *names[CFG_WEB_TOKENS_MAX];
	size_t i;
	int rc;

	if (m.value == NULL)
		return WK_OK;
	rc = load_array(ck, &m, CFG_WEB_TOKENS_MAX, sizeof *w->tokens,
	    (void **)&w->tokens, &w->n_tokens);
	for (i = 0; rc == WK_OK && i < w->n_tokens; i++) {
		rc = load_token(ck, &w->tokens[i], json_array_get(m.value, i),
		    jsonpos_element(&ck->pos, m.node, i));
		names[i] = w->tokens[i].name;
	}
	if (rc == WK_OK)
		rc = check_unique(ck, &m, names, w->n_tokens);
	return rc;
}

static int
load_auth(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "auth");
	int rc;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object"),
		    "{\"users\": [...], \"tokens\": [...]}");
	rc = cfgcheck_keys(ck, m.node, auth_keys, _("in \"web\".\"auth\""));
	if (rc == WK_OK)
		rc = load_users(ck, w, m.value, m.node);
	if (rc == WK_OK)
		rc = load_tokens(ck, w, m.value, m.node);
	return rc;
}

static int
load_limits(struct cfgcheck *ck, struct cfg_web *w, json_t *obj, int node)
{
	struct cfgcheck_member m = cfgcheck_get_member(ck, obj, node, "limits");
	struct cfgcheck_member k;
	int64_t connections = w->max_connections, workers = w->workers;
	int rc;

	if (m.value == NULL)
		return WK_OK;
	if (!json_is_object(m.value))
		return cfgcheck_wrong_type(ck, &m, _("an object"),
		    "{\"connections\": 64, \"timeout\": \"30s\"}");
	rc = cfgcheck_keys(ck, m.node, limit_keys, _("in \"web\".\"limits\""));
	k = cfgcheck_get_member(ck, m.value, m.node, "connections");
	if (rc == WK_OK)
		rc = cfgcheck_int(ck, &k, 4, 4096, "64", &connections);
	k = cfgcheck_get_member(ck, m.value, m.node, "request_bytes");
	if (rc == WK_OK)
		rc = cfgcheck_int(ck, &k, 4096, 1 << 20, "64",
		    &w->request_bytes);
	k = cfgcheck_get_member(ck, m.value, m.node, "workers");
	if (rc == WK_OK)
		rc = cfgcheck_int(ck, &k, 1, 64, "64", &workers);
	k = cfgcheck_get_member(ck, m.value, m.node, "timeout");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &k, &w->timeout_ms);
	k = cfgcheck_get_member(ck, m.value, m.node, "query_timeout");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &k, &w->query_timeout_ms);
	if (rc == WK_OK && (w->timeout_ms < 1000 || w->query_timeout_ms < 100))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m.node),
		    _("\"timeout\" must be at least 1s and \"query_timeout\" at least 100ms"));
	w->max_connections = (int)connections;
	w->workers = (int)workers;
	return rc;
}

void
cfg_web_defaults(struct cfg_web *w)
{
	memset(w, 0, sizeof *w);
	w->enabled = 1;
	snprintf(w->host, sizeof w->host, "127.0.0.1");
	w->port = CFG_WEB_PORT_DEFAULT;
	w->loopback = 1;
	snprintf(w->language, sizeof w->language, "auto");
	w->max_connections = 64;
	w->request_bytes = 16384;
	w->timeout_ms = 30000;
	w->query_timeout_ms = 10000;
	w->workers = 4;
}

int
cfg_web_load(struct cfgcheck *ck, struct cfg *cfg,
	     const struct cfgcheck_member *m)
{
	struct cfg_web *w = &cfg->web;
	struct cfgcheck_member k;
	int rc;

	cfg_web_defaults(w);
	if (m->value == NULL)
		return WK_OK;
	if (!json_is_object(m->value))
		return cfgcheck_wrong_type(ck, m, _("an object"),
		    "{\"listen\": \"127.0.0.1:8470\"}");
	w->present = 1;
	rc = cfgcheck_keys(ck, m->node, web_keys, _(WEB_WHERE));
	k = cfgcheck_get_member(ck, m->value, m->node, "enabled");
	if (rc == WK_OK)
		rc = cfgcheck_bool(ck, &k, &w->enabled);
	if (rc == WK_OK)
		rc = load_listen(ck, w, m->value, m->node);
	if (rc == WK_OK)
		rc = load_base_url(ck, w, m->value, m->node);
	if (rc == WK_OK)
		rc = load_language(ck, w, m->value, m->node);
	if (rc == WK_OK)
		rc = load_auth(ck, w, m->value, m->node);
	if (rc == WK_OK)
		rc = load_limits(ck, w, m->value, m->node);
	k = cfgcheck_get_member(ck, m->value, m->node, "listen");
	if (rc == WK_OK && w->enabled && !w->loopback && !cfg_web_has_auth(w))
		rc = cfgcheck_fail_at(ck, cfgcheck_value_at(ck, k.node),
		    _("\"listen\" %s is not a loopback address, so the pages would be open to the network; add users or tokens under \"auth\", or listen on 127.0.0.1"),
		    w->host);
	return rc;
}

void
cfg_web_free(struct cfg *cfg)
{
	struct cfg_web *w = &cfg->web;
	size_t i;

	for (i = 0; i < w->n_users; i++) {
		free(w->users[i].name);
		free(w->users[i].password_hash);
	}
	for (i = 0; i < w->n_tokens; i++)
		free(w->tokens[i].name);
	free(w->users);
	free(w->tokens);
	free(w->base_url);
	memset(w, 0, sizeof *w);
}
