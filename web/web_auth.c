/*
 * Authentication: HTTP basic authentication (RFC 7617) against crypt(3)
 * password hashes for people, and bearer tokens (RFC 6750) checked by
 * their SHA-256 for API clients. Comparisons take a time that does not
 * depend on where the values differ.
 */
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/config_web.h"
#include "core/i18n.h"
#include "core/sha256.h"
#include "web/web_int.h"

#define AUTH_REMEMBER_SLOTS 32          /* verified passwords remembered */
#define AUTH_REMEMBER_MS (5 * 60000)    /* for this long */
#define AUTH_CREDENTIALS_MAX 768        /* bytes of user:password */

/* A password verified lately, kept as a salted digest only. */
struct auth_memo {
	unsigned char digest[SHA256_DIGEST_SIZE]; /* of salt, user, password, hash */
	int64_t until_ms;                 /* mono ms it is forgotten */
};

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;
static struct auth_memo auth_memos[AUTH_REMEMBER_SLOTS];
static unsigned char auth_salt[16];     /* random, per process */
static int auth_salted;

static int
equal_bytes(const unsigned char *a, const unsigned char *b, size_t n)
{
	unsigned diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned)(a[i] ^ b[i]);
	return diff == 0;
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 text into out; returns its length, or -1 when invalid. */
static long
b64_decode(const char *in, unsigned char *out, size_t size)
{
	unsigned acc = 0;
	size_t n = 0;
	int bits = 0, v;

	for (; *in != '\0' && *in != '='; in++) {
		v = b64_value((unsigned char)*in);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[n] = '\0';
	return (long)n;
}

static int
check_bearer(const struct cfg_web *webcfg, const char *token)
{
	unsigned char digest[SHA256_DIGEST_SIZE];
	struct sha256 ctx;
	int found = 0;
	size_t i;

	sha256_init(&ctx);
	sha256_update(&ctx, token, strlen(token));
	sha256_final(&ctx, digest);
	for (i = 0; i < webcfg->n_tokens; i++)
		found |= equal_bytes(digest, webcfg->tokens[i].sha256,
		    SHA256_DIGEST_SIZE);
	return found;
}

static void
memo_digest(const char *user, const char *password, const char *hash,
	    unsigned char digest[SHA256_DIGEST_SIZE])
{
	struct sha256 ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, auth_salt, sizeof auth_salt);
	sha256_update(&ctx, user, strlen(user) + 1);
	sha256_update(&ctx, password, strlen(password) + 1);
	sha256_update(&ctx, hash, strlen(hash) + 1);
	sha256_final(&ctx, digest);
}

/* Tells whether the digest was verified lately; remembers it when add. */
static int
memo_check(const unsigned char digest[SHA256_DIGEST_SIZE], int add)
{
	int64_t now = clk_mono_ns() / 1000000;
	struct auth_memo *oldest = &auth_memos[0];
	int found = 0;
	size_t i;

	pthread_mutex_lock(&auth_lock);
	for (i = 0; i < AUTH_REMEMBER_SLOTS; i++) {
		struct auth_memo *m = &auth_memos[i];

		if (m->until_ms > now && equal_bytes(m->digest, digest,
		    SHA256_DIGEST_SIZE))
			found = 1;
		if (m->until_ms < oldest->until_ms)
			oldest = m;
	}
	if (add && !found) {
		memcpy(oldest->digest, digest, SHA256_DIGEST_SIZE);
		oldest->until_ms = now + AUTH_REMEMBER_MS;
	}
	pthread_mutex_unlock(&auth_lock);
	return found;
}

static void
salt_once(void)
{
	pthread_mutex_lock(&auth_lock);
	if (!auth_salted && getrandom(auth_salt, sizeof auth_salt, 0) ==
	    (ssize_t)sizeof auth_salt)
		auth_salted = 1;
	pthread_mutex_unlock(&auth_lock);
}

/* Verifies the password of user with crypt(3); returns 1 when it matches. */
static int
verify_password(const char *password, const char *hash)
{
	struct crypt_data *data = calloc(1, sizeof *data);
	const char *out;
	int ok = 0;

	if (data == NULL)
		return 0;
	out = crypt_r(password, hash, data);
	if (out != NULL && out[0] != '*' && strlen(out) == strlen(hash))
		ok = equal_bytes((const unsigned char *)out,
		    (const unsigned char *)hash, strlen(hash));
	explicit_bzero(data, sizeof *data);
	free(data);
	return ok;
}

static int
check_basic(const struct cfg_web *webcfg, const char *encoded, int slow)
{
	unsigned char creds[AUTH_CREDENTIALS_MAX];
	unsigned char digest[SHA256_DIGEST_SIZE];
	const struct cfg_web_user *user = NULL;
	char *colon;
	size_t i;
	int verdict = 0;

	if (b64_decode(encoded, creds, sizeof creds) < 0)
		return 0;
	colon = strchr((char *)creds, ':');
	if (colon == NULL)
		goto out;
	*colon = '\0';
	for (i = 0; i < webcfg->n_users; i++) {
		if (strcmp(webcfg->users[i].name, (char *)creds) == 0)
			user = &webcfg->users[i];
	}
	if (user == NULL)
		goto out;
	salt_once();
	memo_digest(user->name, colon + 1, user->password_hash, digest);
	if (auth_salted && memo_check(digest, 0))
		verdict = 1;
	else if (!slow)
		verdict = -1;
	else if (verify_password(colon + 1, user->password_hash)) {
		verdict = 1;
		if (auth_salted)
			memo_check(digest, 1);
	}
out:
	explicit_bzero(creds, sizeof creds);
	return verdict;
}

int
web_auth_check(const struct cfg_web *webcfg, const char *authorization,
	       int slow)
{
	if (authorization == NULL)
		return 0;
	if (strncasecmp(authorization, "Bearer ", 7) == 0)
		return webcfg->n_tokens > 0 && check_bearer(webcfg,
		    authorization + 7);
	if (strncasecmp(authorization, "Basic ", 6) == 0)
		return webcfg->n_users > 0 ? check_basic(webcfg,
		    authorization + 6, slow) : 0;
	return 0;
}

void
web_auth_forget(void)
{
	pthread_mutex_lock(&auth_lock);
	memset(auth_memos, 0, sizeof auth_memos);
	pthread_mutex_unlock(&auth_lock);
}

int
web_hash_password(const char *password, char *out, size_t size,
		  struct wk_err *err)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash;
	struct crypt_data *data;

	if (password[0] == '\0')
		return wk_err_set(err, WK_ERR_INVALID,
		    _("the password is empty; type one"));
	/* A NULL entropy source lets libxcrypt read the system's random. */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting) ==
	    NULL)
		return wk_err_set(err, WK_ERR_IO,
		    _("cannot make a salt for yescrypt: this libcrypt lacks it"));
	data = calloc(1, sizeof *data);
	if (data == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	hash = crypt_r(password, setting, data);
	if (hash == NULL || hash[0] == '*' || strlen(hash) >= size) {
		free(data);
		return wk_err_set(err, WK_ERR_IO, _("hashing the password failed"));
	}
	snprintf(out, size, "%s", hash);
	explicit_bzero(data, sizeof *data);
	free(data);
	return WK_OK;
}
