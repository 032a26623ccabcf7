/*
 * Upload of `churn export`'s file by HTTP PUT with libcurl, optionally
 * signed with AWS Signature Version 4 for S3-compatible stores
 * (CURLOPT_AWS_SIGV4).
 *
 * The URL can carry secrets (a pre-signed URL carries its signature in
 * the query), so it may come from a file or an environment variable. No
 * message, log line or status shows it, nor the credentials.
 *
 * The request carries the body's SHA-256 in x-amz-content-sha256, which
 * SigV4 signs as the payload hash, so that the store can check the bytes
 * it received. A failed attempt (no connection, a timeout, HTTP 408, 429
 * or 5xx) is retried after a backoff that doubles from --upload-backoff
 * up to UPLOAD_BACKOFF_CAP_MS, with full jitter: a uniform random share
 * of it. Any other HTTP status fails at once.
 */
#ifndef WK_PIPELINE_UPLOAD_H
#define WK_PIPELINE_UPLOAD_H

#include <stdint.h>

#include "core/rc.h"
#include "pipeline/notify.h"

#define UPLOAD_BACKOFF_CAP_MS INT64_C(30000)  /* maximum wait between tries */
#define UPLOAD_URL_MAX 8192                   /* bytes of a URL */
#define UPLOAD_KEY_MAX 512                    /* bytes of a credential */

struct upload_opts {
	const char *url_source;     /* --upload-url: a URL, @FILE or env:NAME */
	const char *aws_sigv4;      /* --aws-sigv4 provider string for
	                             * CURLOPT_AWS_SIGV4, or NULL: no signing */
	const char *access_key_file;  /* --aws-access-key-id-file, or NULL:
	                               * AWS_ACCESS_KEY_ID */
	const char *secret_key_file;  /* --aws-secret-access-key-file, or
	                               * NULL: AWS_SECRET_ACCESS_KEY */
	const char *content_type;   /* Content-Type of the body */
	int64_t timeout_ms;         /* one attempt at most, ms */
	int64_t connect_timeout_ms; /* the connection at most, ms */
	uint64_t retries;           /* attempts after the first */
	int64_t backoff_ms;         /* first wait between attempts, ms */
};

/* The outcome of an upload. */
struct upload_result {
	unsigned attempts;  /* requests sent */
	long status;        /* HTTP status of the last response, 0 if none */
	uint64_t bytes;     /* body bytes */
};

/*
 * Reads the URL from o->url_source into url (size bytes). Returns WK_OK,
 * or WK_ERR_INVALID / WK_ERR_NOTFOUND with err naming the source (never
 * the URL).
 */
int upload_read_url(const struct upload_opts *o, char *url, size_t size,
		    struct wk_err *err);

/*
 * Checks that the URL and, with SigV4, the credentials can be read, so
 * that a stage fails before it does any work. Returns WK_OK, or
 * WK_ERR_INVALID / WK_ERR_NOTFOUND with err filled.
 */
int upload_check(const struct upload_opts *o, struct wk_err *err);

/*
 * PUTs the file at path, whose SHA-256 in hex is sha256_hex, to the
 * URL. Sends progress and watchdog messages to nt while it runs. Returns
 * WK_OK, WK_ERR_INVALID (bad options or credentials, or a status the
 * server rejected), WK_ERR_NOTFOUND (file), WK_ERR_IO (every attempt
 * failed) or WK_ERR_NOMEM, with err filled and res as far as it got.
 */
int upload_file(const struct upload_opts *o, const char *path,
		const char *sha256_hex, struct notify *nt,
		struct upload_result *res, struct wk_err *err);

#endif
