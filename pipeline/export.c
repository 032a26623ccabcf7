#include "pipeline/export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/buf.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/outfile.h"
#include "pipeline/upload.h"
#include "core/sha256.h"

#define EXPORT_CHUNK (128 * 1024)  /* bytes read or deflated at a time */
#define EXPORT_GZIP_WINDOW (15 + 16)  /* zlib: 32 KiB window, gzip wrapper */
#define EXPORT_ZSTD_LEVEL 3           /* zstd's default level */

/* The options and state of one run. */
struct export_stage {
	const char *input;        /* --input */
	const char *output;       /* --output */
	const char *compression;  /* --compression: "gzip", "zstd" or "none" */
	struct upload_opts upload;  /* --upload-url and its options */
	const char *upload_timeout;  /* --upload-timeout as given */
	const char *upload_backoff;  /* --upload-backoff as given */
	struct upload_result uploaded;  /* what the upload did */
	struct notify *nt;        /* progress goes here */
	int fd;                   /* the input, -1 when closed */
	uint64_t size;            /* bytes of the input, for progress */
	uint64_t bytes_in;        /* bytes read */
	uint64_t bytes_out;       /* bytes written to OUTPUT */
	struct sha256 hash;       /* of the bytes written to OUTPUT */
	char hex[SHA256_HEX_SIZE];  /* the final digest */
	unsigned char *in;        /* EXPORT_CHUNK bytes; owned */
	unsigned char *out;       /* EXPORT_CHUNK bytes; owned */
};

/* Writes n bytes to the output and adds them to the digest. */
static void
export_emit(struct export_stage *st, struct outfile *of, const void *data,
	    size_t n)
{
	outfile_write(of, data, n);
	sha256_update(&st->hash, data, n);
	st->bytes_out += n;
}

/* Reads the next chunk of the input; returns bytes, or -1 with err set. */
static ssize_t
export_read(struct export_stage *st, struct wk_err *err)
{
	ssize_t n;

	do
		n = read(st->fd, st->in, EXPORT_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		wk_err_set(err, WK_ERR_IO, _("cannot read '%s': %s"), st->input,
		    strerror(errno));
		return -1;
	}
	st->bytes_in += (uint64_t)n;
	if (st->size > 0)
		notify_progress(st->nt, 0.95 * (double)st->bytes_in /
		    (double)st->size);
	return n;
}

/* Deflates what zs holds, emitting every full or final output chunk. */
static int
export_deflate_step(struct export_stage *st, struct outfile *of,
		    z_stream *zs, int flush)
{
	int zrc;

	do {
		zs->next_out = st->out;
		zs->avail_out = EXPORT_CHUNK;
		zrc = deflate(zs, flush);
		if (zrc == Z_STREAM_ERROR)
			return WK_ERR_STATE;
		export_emit(st, of, st->out, EXPORT_CHUNK - zs->avail_out);
	} while (zs->avail_out == 0);
	return WK_OK;
}

static int
export_gzip(struct export_stage *st, struct outfile *of, struct wk_err *err)
{
	z_stream zs;
	ssize_t n;
	int rc = WK_OK;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
	    EXPORT_GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("cannot start zlib: %s"),
		    zs.msg != NULL ? zs.msg : _("out of memory"));
	do {
		n = export_read(st, err);
		if (n < 0) {
			rc = WK_ERR_IO;
			break;
		}
		zs.next_in = st->in;
		zs.avail_in = (uInt)n;
		rc = export_deflate_step(st, of, &zs, n == 0 ? Z_FINISH :
		    Z_NO_FLUSH);
	} while (n > 0 && rc == WK_OK);
	deflateEnd(&zs);
	if (rc == WK_ERR_STATE)
		wk_err_set(err, rc, _("zlib failed compressing '%s'"),
		    st->input);
	return rc;
}

/* Compresses what in holds, emitting every full or final output chunk. */
static int
export_zstd_step(struct export_stage *st, struct outfile *of,
		 ZSTD_CCtx *cctx, ZSTD_inBuffer *in, ZSTD_EndDirective mode)
{
	size_t left;

	do {
		ZSTD_outBuffer out = { st->out, EXPORT_CHUNK, 0 };

		left = ZSTD_compressStream2(cctx, &out, in, mode);
		if (ZSTD_isError(left))
			return WK_ERR_STATE;
		export_emit(st, of, st->out, out.pos);
	} while (mode == ZSTD_e_end ? left != 0 : in->pos < in->size);
	return WK_OK;
}

/*
 * Compresses with zstd at level 3, with the frame's content checksum, in
 * one frame.
 */
static int
export_zstd(struct export_stage *st, struct outfile *of, struct wk_err *err)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ssize_t n;
	int rc = WK_OK;

	if (cctx == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel,
	    EXPORT_ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	do {
		ZSTD_inBuffer in = { st->in, 0, 0 };

		n = export_read(st, err);
		if (n < 0) {
			rc = WK_ERR_IO;
			break;
		}
		in.size = (size_t)n;
		rc = export_zstd_step(st, of, cctx, &in, n == 0 ? ZSTD_e_end :
		    ZSTD_e_continue);
	} while (n > 0 && rc == WK_OK);
	ZSTD_freeCCtx(cctx);
	if (rc == WK_ERR_STATE)
		wk_err_set(err, rc, _("zstd failed compressing '%s'"),
		    st->input);
	return rc;
}

static int
export_plain(struct export_stage *st, struct outfile *of, struct wk_err *err)
{
	ssize_t n;

	while ((n = export_read(st, err)) > 0)
		export_emit(st, of, st->in, (size_t)n);
	return n < 0 ? WK_ERR_IO : WK_OK;
}

/*
 * Builds the sha256sum(1) line "HEX  NAME\n". As GNU coreutils does, a
 * name with a backslash or a newline is written with those escaped as
 * "\\" and "\n" and the line starts with a backslash.
 */
static int
export_sum_line(struct buf *line, const char *hex, const char *name)
{
	bool escape = strpbrk(name, "\\\n") != NULL;
	const char *p;
	int rc;

	rc = buf_printf(line, "%s%s  ", escape ? "\\" : "", hex);
	for (p = name; rc == WK_OK && *p != '\0'; p++) {
		if (*p == '\\')
			rc = buf_append_str(line, "\\\\");
		else if (*p == '\n')
			rc = buf_append_str(line, "\\n");
		else
			rc = buf_append(line, p, 1);
	}
	return rc == WK_OK ? buf_append_str(line, "\n") : rc;
}

/* Writes OUTPUT.sha256; returns an exit status. */
static int
export_write_sum(const struct export_stage *st, struct wk_err *err)
{
	const char *slash = strrchr(st->output, '/');
	struct buf path, line;
	struct outfile of;
	int status = EX_SOFTWARE;

	buf_init(&path, 8192);
	buf_init(&line, 16384);
	if (buf_printf(&path, "%s.sha256", st->output) != WK_OK ||
	    export_sum_line(&line, st->hex, slash != NULL ? slash + 1 :
	    st->output) != WK_OK) {
		wk_err_set(err, WK_ERR_LIMIT, _("the output path '%s' is too "
		    "long"), st->output);
		goto out;
	}
	status = EX_CANTCREAT;
	if (outfile_open(&of, path.data, err) != WK_OK)
		goto out;
	outfile_write(&of, line.data, line.len);
	status = outfile_commit(&of, err) == WK_OK ? EX_OK : EX_IOERR;

out:
	buf_free(&path);
	buf_free(&line);
	return status;
}

/* Opens the input and rejects an empty one; returns an exit status. */
static int
export_open_input(struct export_stage *st, struct wk_err *err)
{
	struct stat st_buf;

	st->fd = open(st->input, O_RDONLY | O_CLOEXEC);
	if (st->fd < 0) {
		wk_err_set(err, WK_ERR_NOTFOUND, _("cannot open '%s': %s; check "
		    "the path and its permissions"), st->input,
		    strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(st->fd, &st_buf) == 0 && S_ISREG(st_buf.st_mode)) {
		if (st_buf.st_size == 0) {
			wk_err_set(err, WK_ERR_INVALID, _("'%s' is empty; there "
			    "is nothing to export"), st->input);
			return EX_DATAERR;
		}
		st->size = (uint64_t)st_buf.st_size;
	}
	st->in = malloc(EXPORT_CHUNK);
	st->out = malloc(EXPORT_CHUNK);
	if (st->in == NULL || st->out == NULL) {
		wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		return EX_SOFTWARE;
	}
	return EX_OK;
}

/*
 * Maps the result of the upload to an exit status: 69 when every attempt
 * failed, 77 when the store refused the credentials (HTTP 401 or 403),
 * 76 for another status it rejected, 78 for unusable upload options.
 */
static int
export_upload_status(int rc, long http_status)
{
	switch (rc) {
	case WK_OK:
		return EX_OK;
	case WK_ERR_IO:
		return EX_UNAVAILABLE;
	case WK_ERR_INVALID:
		if (http_status == 0)
			return EX_CONFIG;
		return http_status == 401 || http_status == 403 ? EX_NOPERM :
		    EX_PROTOCOL;
	case WK_ERR_NOTFOUND:
		return EX_IOERR;
	default:
		return churn_exit_status(rc);
	}
}

static int
export_run(struct export_stage *st, struct wk_err *err)
{
	unsigned char digest[SHA256_DIGEST_SIZE];
	struct outfile of;
	int status, rc;

	status = export_open_input(st, err);
	if (status != EX_OK)
		return status;
	if (outfile_open(&of, st->output, err) != WK_OK)
		return EX_CANTCREAT;

	notify_status(st->nt, _("compressing %s"), st->input);
	sha256_init(&st->hash);
	if (strcmp(st->compression, "gzip") == 0)
		rc = export_gzip(st, &of, err);
	else if (strcmp(st->compression, "zstd") == 0)
		rc = export_zstd(st, &of, err);
	else
		rc = export_plain(st, &of, err);
	if (rc != WK_OK) {
		outfile_abort(&of);
		return churn_exit_status(rc);
	}
	if (outfile_commit(&of, err) != WK_OK)
		return EX_IOERR;

	sha256_final(&st->hash, digest);
	sha256_hex(digest, st->hex);
	status = export_write_sum(st, err);
	if (status != EX_OK || st->upload.url_source == NULL)
		return status;

	notify_status(st->nt, _("uploading %s"), st->output);
	rc = upload_file(&st->upload, st->output, st->hex, st->nt,
	    &st->uploaded, err);
	return export_upload_status(rc, st->uploaded.status);
}

/* Checks --compression and the upload options; a failure is a usage error. */
static int
export_check_opts(struct export_stage *st, struct wk_err *err)
{
	struct upload_opts *u = &st->upload;
	int rc;

	if (strcmp(st->compression, "gzip") == 0)
		u->content_type = "application/gzip";
	else if (strcmp(st->compression, "zstd") == 0)
		u->content_type = "application/zstd";
	else if (strcmp(st->compression, "none") == 0)
		u->content_type = "application/octet-stream";
	else
		return wk_err_set(err, WK_ERR_INVALID, _("churn export: "
		    "--compression '%s' is not known; use gzip, zstd or none"),
		    st->compression);
	rc = cli_duration("upload-timeout", st->upload_timeout,
	    &u->timeout_ms, err);
	if (rc == WK_OK)
		rc = cli_duration("upload-backoff", st->upload_backoff,
		    &u->backoff_ms, err);
	if (rc != WK_OK)
		return rc;
	if (u->timeout_ms < 1000 || u->retries > 20 || u->backoff_ms < 0)
		return wk_err_set(err, WK_ERR_INVALID, _("churn export: "
		    "--upload-timeout must be at least 1s and --upload-retries "
		    "at most 20"));
	u->connect_timeout_ms = u->timeout_ms < 30000 ? u->timeout_ms : 30000;
	if (u->url_source == NULL && (u->aws_sigv4 != NULL ||
	    u->access_key_file != NULL || u->secret_key_file != NULL))
		return wk_err_set(err, WK_ERR_INVALID, _("churn export: "
		    "--aws-sigv4 and the key files go with --upload-url"));
	return WK_OK;
}

int
export_main(int argc, char **argv, struct notify *nt)
{
	struct export_stage st = { .compression = "gzip", .nt = nt, .fd = -1,
	    .upload_timeout = "300s", .upload_backoff = "1s",
	    .upload = { .retries = 5 } };
	const struct cli_opt opts[] = {
		{ "input", CLI_STRING, "FILE", N_("file to export, e.g. the "
		  "audience CSV"), true, &st.input },
		{ "compression", CLI_STRING, "gzip|zstd|none", N_("gzip (zlib, "
		  "default level), zstd (level 3, with a content checksum) or "
		  "none (a plain copy); default gzip"), false, &st.compression },
		{ "output", CLI_STRING, "FILE", N_("file to write; FILE.sha256 "
		  "gets its checksum"), true, &st.output },
		{ "upload-url", CLI_STRING, "URL|@FILE|env:NAME", N_("also PUT "
		  "the output to this URL, given as is, as the first line of "
		  "FILE, or in the environment variable NAME; it is never "
		  "printed"), false, &st.upload.url_source },
		{ "aws-sigv4", CLI_STRING, "PROVIDER", N_("sign the upload with "
		  "AWS Signature Version 4, e.g. aws:amz:us-east-1:s3 "
		  "(libcurl's provider:provider:region:service); the keys come "
		  "from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), false,
		  &st.upload.aws_sigv4 },
		{ "aws-access-key-id-file", CLI_STRING, "FILE", N_("read the "
		  "access key id from the first line of FILE instead"), false,
		  &st.upload.access_key_file },
		{ "aws-secret-access-key-file", CLI_STRING, "FILE",
		  N_("read the secret access key from the first line of FILE "
		  "instead"), false, &st.upload.secret_key_file },
		{ "upload-timeout", CLI_STRING, "DURATION", N_("time one upload "
		  "attempt may take (default 300s)"), false,
		  &st.upload_timeout },
		{ "upload-retries", CLI_UINT, "N", N_("attempts after a failed "
		  "one, 0 to 20 (default 5)"), false, &st.upload.retries },
		{ "upload-backoff", CLI_STRING, "DURATION", N_("wait before the "
		  "first retry, doubled for each later one up to 30s, of which "
		  "a random share is taken (default 1s)"), false,
		  &st.upload_backoff },
	};
	const struct cli_cmd cmd = { "export", N_("Compress a file and write "
	    "its SHA-256 checksum beside it."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc == WK_OK)
		rc = export_check_opts(&st, &err);
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("export: starting"));
	if (st.upload.url_source != NULL &&
	    upload_check(&st.upload, &err) != WK_OK) {
		churn_status_failed(nt, "export", &err);
		return churn_fail("export", EX_CONFIG, &err);
	}
	status = export_run(&st, &err);
	if (st.fd >= 0)
		close(st.fd);
	free(st.in);
	free(st.out);
	if (status != EX_OK) {
		churn_status_failed(nt, "export", &err);
		return churn_fail("export", status, &err);
	}

	notify_metric(nt, "bytes_in", (double)st.bytes_in);
	notify_metric(nt, "bytes_out", (double)st.bytes_out);
	if (st.upload.url_source != NULL)
		notify_metric(nt, "upload_attempts",
		    (double)st.uploaded.attempts);
	printf(_("export: %" PRIu64 " bytes -> %" PRIu64 " bytes %s (%.1f%%), "
	    "sha256 %s -> %s%s\n"), st.bytes_in, st.bytes_out, st.compression,
	    st.bytes_in > 0 ? 100.0 * (double)st.bytes_out /
	    (double)st.bytes_in : 100.0, st.hex, st.output,
	    st.upload.url_source == NULL ? "" : _(", uploaded"));
	notify_progress(nt, 1.0);
	return EX_OK;
}
