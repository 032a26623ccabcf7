#include "pipeline/upload.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"

#define UPLOAD_BODY_MAX 4096       /* bytes of a response body kept */
#define UPLOAD_SLEEP_SLICE_MS 500  /* a backoff sleeps this long at most
                                    * between watchdog messages */
#define UPLOAD_LOW_SPEED_TIME 60   /* seconds below 1 byte/s that fail an
                                    * attempt */

/* One attempt's transfer. */
struct upload_xfer {
	FILE *fp;                      /* the body */
	struct notify *nt;             /* progress goes here */
	char body[UPLOAD_BODY_MAX];    /* start of the response body */
	size_t body_len;               /* bytes in body */
};

/* The credentials of SigV4, read from files or the environment. */
struct upload_keys {
	char access[UPLOAD_KEY_MAX];   /* access key id */
	char secret[UPLOAD_KEY_MAX];   /* secret access key */
	char token[4 * UPLOAD_KEY_MAX];  /* AWS_SESSION_TOKEN, or "" */
};

/* Cuts trailing white space, a line end included, from s. */
static void
upload_trim(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
}

/* Reads the first line of path into out; returns WK_OK or an error. */
static int
upload_read_line(const char *path, const char *what, char *out,
		 size_t size, struct wk_err *err)
{
	FILE *fp = fopen(path, "r");
	int rc = WK_OK;

	if (fp == NULL)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("cannot open '%s' "
		    "(%s): %s"), path, what, strerror(errno));
	if (fgets(out, (int)size, fp) == NULL)
		out[0] = '\0';
	if (strchr(out, '\n') == NULL && !feof(fp))
		rc = wk_err_set(err, WK_ERR_INVALID, _("the first line of '%s' "
		    "(%s) is longer than %zu bytes"), path, what, size - 1);
	fclose(fp);
	upload_trim(out);
	if (rc == WK_OK && out[0] == '\0')
		rc = wk_err_set(err, WK_ERR_INVALID, _("'%s' (%s) is empty"),
		    path, what);
	return rc;
}

/* Copies the environment variable name into out. */
static int
upload_read_env(const char *name, const char *what, char *out, size_t size,
		struct wk_err *err)
{
	const char *value = getenv(name);

	if (value == NULL || value[0] == '\0')
		return wk_err_set(err, WK_ERR_INVALID, _("the environment "
		    "variable %s (%s) is not set"), name, what);
	if (strlen(value) >= size)
		return wk_err_set(err, WK_ERR_INVALID, _("the environment "
		    "variable %s (%s) is longer than %zu bytes"), name, what,
		    size - 1);
	memcpy(out, value, strlen(value) + 1);
	upload_trim(out);
	return WK_OK;
}

int
upload_read_url(const struct upload_opts *o, char *url, size_t size,
		struct wk_err *err)
{
	const char *src = o->url_source;
	int rc = WK_OK;

	if (src[0] == '@')
		rc = upload_read_line(src + 1, _("the upload URL"), url, size,
		    err);
	else if (strncmp(src, "env:", 4) == 0)
		rc = upload_read_env(src + 4, _("the upload URL"), url, size,
		    err);
	else if (strlen(src) >= size)
		rc = wk_err_set(err, WK_ERR_INVALID, _("--upload-url is longer "
		    "than %zu bytes"), size - 1);
	else
		memcpy(url, src, strlen(src) + 1);
	if (rc != WK_OK)
		return rc;
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return wk_err_set(err, WK_ERR_INVALID, _("the upload URL (from "
		    "--upload-url) does not start with http:// or https://; "
		    "give the URL of the object to PUT"));
	return WK_OK;
}

/* Reads the SigV4 credentials from their files or the environment. */
static int
upload_read_keys(const struct upload_opts *o, struct upload_keys *k,
		 struct wk_err *err)
{
	const char *token = getenv("AWS_SESSION_TOKEN");
	int rc;

	rc = o->access_key_file != NULL ?
	    upload_read_line(o->access_key_file, _("the access key id"),
	    k->access, sizeof k->access, err) :
	    upload_read_env("AWS_ACCESS_KEY_ID", _("the access key id"),
	    k->access, sizeof k->access, err);
	if (rc != WK_OK)
		return rc;
	rc = o->secret_key_file != NULL ?
	    upload_read_line(o->secret_key_file, _("the secret access key"),
	    k->secret, sizeof k->secret, err) :
	    upload_read_env("AWS_SECRET_ACCESS_KEY",
	    _("the secret access key"), k->secret, sizeof k->secret, err);
	if (rc != WK_OK)
		return rc;
	k->token[0] = '\0';
	if (token != NULL && strlen(token) < sizeof k->token)
		memcpy(k->token, token, strlen(token) + 1);
	return WK_OK;
}

static size_t
upload_read_body(char *buf, size_t size, size_t n, void *arg)
{
	struct upload_xfer *x = arg;
	size_t got = fread(buf, size, n, x->fp);

	return ferror(x->fp) ? CURL_READFUNC_ABORT : got;
}

static int
upload_seek_body(void *arg, curl_off_t offset, int origin)
{
	struct upload_xfer *x = arg;

	return fseeko(x->fp, (off_t)offset, origin) == 0 ?
	    CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

/* Keeps the start of the response body, for the error message. */
static size_t
upload_write_response(char *data, size_t size, size_t n, void *arg)
{
	struct upload_xfer *x = arg;
	size_t len = size * n;
	size_t room = sizeof x->body - 1 - x->body_len;
	size_t keep = len < room ? len : room;

	memcpy(x->body + x->body_len, data, keep);
	x->body_len += keep;
	x->body[x->body_len] = '\0';
	return len;
}

static int
upload_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		curl_off_t ultotal, curl_off_t ulnow)
{
	struct upload_xfer *x = arg;

	(void)dltotal;
	(void)dlnow;
	if (ultotal > 0)
		notify_progress(x->nt, 0.5 + 0.45 * (double)ulnow /
		    (double)ultotal);
	else
		notify_watchdog(x->nt);
	return 0;
}

/* Builds the request headers; returns NULL when out of memory. */
static struct curl_slist *
upload_headers(const struct upload_opts *o, const char *sha256_hex,
	       const struct upload_keys *k)
{
	char line[4 * UPLOAD_KEY_MAX + 64];
	struct curl_slist *h = NULL, *next;

	snprintf(line, sizeof line, "Content-Type: %s", o->content_type);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "x-amz-content-sha256: %s", sha256_hex);
	next = h != NULL ? curl_slist_append(h, line) : NULL;
	/*
	 * No "Expect:" header to turn 100-continue off: libcurl's SigV4
	 * would sign it, and an empty header is then not sent.
	 */
	if (next != NULL && k != NULL && k->token[0] != '\0') {
		snprintf(line, sizeof line, "x-amz-security-token: %s",
		    k->token);
		next = curl_slist_append(next, line);
	}
	if (next == NULL)
		curl_slist_free_all(h);
	return next != NULL ? h : NULL;
}

/* Sets the options of one PUT on a fresh handle. */
static void
upload_setup(CURL *c, const struct upload_opts *o, const char *url,
	     const struct upload_keys *k, struct curl_slist *headers,
	     struct upload_xfer *x, uint64_t size)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read_body);
	curl_easy_setopt(c, CURLOPT_READDATA, x);
	curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, upload_seek_body);
	curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, upload_write_response);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, upload_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    (long)UPLOAD_LOW_SPEED_TIME);
	if (k != NULL) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, o->aws_sigv4);
		curl_easy_setopt(c, CURLOPT_USERNAME, k->access);
		curl_easy_setopt(c, CURLOPT_PASSWORD, k->secret);
	}
}

/* Finds S3's error code, <Code>...</Code>, in a response body. */
static void
upload_error_code(const char *body, char *out, size_t size)
{
	const char *start = strstr(body, "<Code>"), *end;

	out[0] = '\0';
	if (start == NULL || (end = strstr(start, "</Code>")) == NULL)
		return;
	start += 6;
	snprintf(out, size, " (%.*s)", (int)(end - start < 64 ?
	    end - start : 64), start);
}

/*
 * Sends one PUT. Returns WK_OK on a 2xx status, WK_ERR_BUSY when the
 * attempt may be retried, or WK_ERR_INVALID when it may not, with err
 * filled for the last two.
 */
static int
upload_attempt(CURL *c, struct upload_xfer *x, struct upload_result *res,
	       struct wk_err *err)
{
	CURLcode cc;
	char code[80];

	x->body_len = 0;
	x->body[0] = '\0';
	rewind(x->fp);
	res->attempts++;
	cc = curl_easy_perform(c);
	res->status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (cc != CURLE_OK)
		return wk_err_set(err, WK_ERR_BUSY, _("the upload failed: %s"),
		    curl_easy_strerror(cc));
	if (res->status >= 200 && res->status < 300)
		return WK_OK;
	upload_error_code(x->body, code, sizeof code);
	return wk_err_set(err, res->status >= 500 || res->status == 408 ||
	    res->status == 429 ? WK_ERR_BUSY : WK_ERR_INVALID,
	    _("the server answered HTTP %ld%s"), res->status, code);
}

/* Sleeps ms milliseconds, sending watchdog messages on the way. */
static void
upload_sleep(struct notify *nt, int64_t ms)
{
	while (ms > 0) {
		int64_t slice = ms < UPLOAD_SLEEP_SLICE_MS ? ms :
		    UPLOAD_SLEEP_SLICE_MS;
		struct timespec ts = { (time_t)(slice / 1000),
		    (long)(slice % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		notify_watchdog(nt);
		ms -= slice;
	}
}

/*
 * Returns the wait before attempt n + 1 (n from 1): a uniform random
 * share of backoff * 2^(n-1), capped.
 */
static int64_t
upload_backoff(const struct upload_opts *o, unsigned n, uint64_t *rng)
{
	int64_t wait = o->backoff_ms;
	unsigned i;

	for (i = 1; i < n && wait < UPLOAD_BACKOFF_CAP_MS; i++)
		wait *= 2;
	if (wait > UPLOAD_BACKOFF_CAP_MS)
		wait = UPLOAD_BACKOFF_CAP_MS;
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return wait <= 0 ? 0 : (int64_t)(*rng % (uint64_t)(wait + 1));
}

/* Runs the attempts of one upload on a configured handle. */
static int
upload_attempts(CURL *c, const struct upload_opts *o, struct upload_xfer *x,
		struct upload_result *res, struct wk_err *err)
{
	uint64_t rng = (uint64_t)clk_mono_ns() ^ ((uint64_t)getpid() << 32);
	char last[WK_ERR_MSG_MAX];
	int64_t wait;
	int rc;

	for (;;) {
		rc = upload_attempt(c, x, res, err);
		if (rc != WK_ERR_BUSY || res->attempts > o->retries)
			break;
		wait = upload_backoff(o, res->attempts, &rng);
		fprintf(stderr, _("churn export: upload attempt %u of %" PRIu64
		    " failed: %s; trying again in %" PRId64 " ms\n"),
		    res->attempts, o->retries + 1, err->msg, wait);
		notify_status(x->nt, _("upload attempt %u failed, trying again "
		    "in %" PRId64 " ms"), res->attempts, wait);
		upload_sleep(x->nt, wait);
	}
	if (rc == WK_OK)
		return WK_OK;
	memcpy(last, err->msg, sizeof last);
	if (rc == WK_ERR_BUSY)
		return wk_err_set(err, WK_ERR_IO, P_("%s, after %u attempt; "
		    "check that the store is reachable, or raise "
		    "--upload-retries", "%s, after %u attempts; check that the "
		    "store is reachable, or raise --upload-retries",
		    res->attempts), last, res->attempts);
	return wk_err_set(err, rc, _("%s; check the upload URL, the "
	    "credentials and --aws-sigv4"), last);
}

/* Opens the body and the handle, and uploads. */
static int
upload_run(const struct upload_opts *o, const char *url, const char *path,
	   const char *sha256_hex, const struct upload_keys *k,
	   struct notify *nt, struct upload_result *res, struct wk_err *err)
{
	struct upload_xfer x = { .nt = nt };
	struct curl_slist *headers = NULL;
	struct stat st;
	CURL *c = NULL;
	int rc = WK_ERR_NOMEM;

	x.fp = fopen(path, "rb");
	if (x.fp == NULL || fstat(fileno(x.fp), &st) != 0) {
		rc = wk_err_set(err, WK_ERR_NOTFOUND, _("cannot open '%s' to "
		    "upload it: %s"), path, strerror(errno));
		goto out;
	}
	res->bytes = (uint64_t)st.st_size;
	headers = upload_headers(o, sha256_hex, k);
	c = curl_easy_init();
	if (headers == NULL || c == NULL) {
		wk_err_set(err, rc, _("out of memory"));
		goto out;
	}
	upload_setup(c, o, url, k, headers, &x, res->bytes);
	rc = upload_attempts(c, o, &x, res, err);
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (x.fp != NULL)
		fclose(x.fp);
	return rc;
}

int
upload_check(const struct upload_opts *o, struct wk_err *err)
{
	char url[UPLOAD_URL_MAX];
	struct upload_keys keys;
	int rc;

	memset(&keys, 0, sizeof keys);
	rc = upload_read_url(o, url, sizeof url, err);
	if (rc == WK_OK && o->aws_sigv4 != NULL)
		rc = upload_read_keys(o, &keys, err);
	explicit_bzero(&keys, sizeof keys);
	explicit_bzero(url, sizeof url);
	return rc;
}

int
upload_file(const struct upload_opts *o, const char *path,
	    const char *sha256_hex, struct notify *nt,
	    struct upload_result *res, struct wk_err *err)
{
	char url[UPLOAD_URL_MAX];
	struct upload_keys keys;
	int rc;

	memset(res, 0, sizeof *res);
	memset(&keys, 0, sizeof keys);
	rc = upload_read_url(o, url, sizeof url, err);
	if (rc == WK_OK && o->aws_sigv4 != NULL)
		rc = upload_read_keys(o, &keys, err);
	if (rc != WK_OK)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("cannot start libcurl"));

	rc = upload_run(o, url, path, sha256_hex, o->aws_sigv4 != NULL ?
	    &keys : NULL, nt, res, err);
	explicit_bzero(&keys, sizeof keys);
	explicit_bzero(url, sizeof url);
	curl_global_cleanup();
	return rc;
}
