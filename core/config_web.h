/*
 * The "web" section of the configuration: where the web page and the
 * JSON API listen, the language of the pages, who may read them, and the
 * limits that keep one client from exhausting the server.
 * core/config_web.c reads it; web/ and agent/agent_web.c use it.
 */
#ifndef WK_CONFIG_WEB_H
#define WK_CONFIG_WEB_H

#include <stddef.h>
#include <stdint.h>

struct cfg;
struct cfgcheck;
struct cfgcheck_member;

#define CFG_WEB_PORT_DEFAULT 8470
#define CFG_WEB_USERS_MAX 64        /* users of basic authentication */
#define CFG_WEB_TOKENS_MAX 64       /* bearer tokens */
#define CFG_WEB_HASH_MAX 512        /* bytes of a password hash */
#define CFG_WEB_HOST_MAX 64         /* bytes of the listen host, with NUL */
#define CFG_WEB_SHA256_LEN 32       /* bytes of a token's SHA-256 */

/* A person who signs in with HTTP basic authentication. */
struct cfg_web_user {
	char *name;           /* user name, [A-Za-z0-9_.-] */
	char *password_hash;  /* crypt(3) hash: yescrypt, bcrypt, SHA-crypt */
};

/* A bearer token of an API client, kept as its SHA-256 only. */
struct cfg_web_token {
	char *name;                                /* for logs */
	unsigned char sha256[CFG_WEB_SHA256_LEN];  /* SHA-256 of the token */
};

/* The "web" section. */
struct cfg_web {
	int present;             /* the section was given */
	int enabled;             /* serve at all; default 1 */
	char host[CFG_WEB_HOST_MAX]; /* numeric address to bind, no brackets */
	int port;                /* TCP port, 1..65535 */
	int ipv6;                /* host is an IPv6 address */
	int loopback;            /* host is 127.0.0.0/8 or ::1 */
	char *base_url;          /* public URL of the pages, or NULL */
	char language[8];        /* "auto", "en" or "ja" */
	struct cfg_web_user *users;    /* owned */
	size_t n_users;          /* entries in users */
	struct cfg_web_token *tokens;  /* owned */
	size_t n_tokens;         /* entries in tokens */
	int max_connections;     /* open connections at once */
	int64_t request_bytes;   /* bytes of a request's headers and body */
	int64_t timeout_ms;      /* idle time before a connection is closed */
	int64_t query_timeout_ms; /* a page's database work is stopped after */
	int workers;             /* threads that read the store */
};

/* Reads the optional "web" member m into cfg->web (defaults when absent). */
int cfg_web_load(struct cfgcheck *ck, struct cfg *cfg,
		 const struct cfgcheck_member *m);

/* Fills w with the defaults of a configuration without "web". */
void cfg_web_defaults(struct cfg_web *w);

/* Frees what cfg_web_load() allocated. */
void cfg_web_free(struct cfg *cfg);

/*
 * Parses "HOST:PORT" (an IPv4 address, "localhost", or an IPv6 address in
 * brackets) into web's host, port, ipv6 and loopback. Returns WK_OK, or
 * WK_ERR_INVALID with *reason set to an untranslated English reason.
 */
int cfg_web_parse_listen(const char *text, struct cfg_web *web,
			 const char **reason);

/* Returns 1 when the section asks for authentication (users or tokens). */
int cfg_web_has_auth(const struct cfg_web *web);

#endif
