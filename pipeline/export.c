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

#include "core/buf.h"
#include "core/i18n.h"
#include "pipeline/churn.h"
#include "pipeline/cli.h"
#include "pipeline/outfile.h"
#include "core/sha256.h"

#define EXPORT_CHUNK (128 * 1024)  /* bytes read or deflated at a time */
#define EXPORT_GZIP_WINDOW (15 + 16)  /* zlib: 32 KiB window, gzip wrapper */

/* The options and state of one run. */
struct export_stage {
	const char *input;        /* --input */
	const char *output;       /* --output */
	const char *compression;  /* --compression: "gzip" or "none" */
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
	return export_write_sum(st, err);
}

int
export_main(int argc, char **argv, struct notify *nt)
{
	struct export_stage st = { .compression = "gzip", .nt = nt, .fd = -1 };
	const struct cli_opt opts[] = {
		{ "input", CLI_STRING, "FILE", N_("file to export, e.g. the "
		  "audience CSV"), true, &st.input },
		{ "compression", CLI_STRING, "gzip|none", N_("gzip (zlib, "
		  "default level) or none (a plain copy); default gzip"), false,
		  &st.compression },
		{ "output", CLI_STRING, "FILE", N_("file to write; FILE.sha256 "
		  "gets its checksum"), true, &st.output },
	};
	const struct cli_cmd cmd = { "export", N_("Compress a file and write "
	    "its SHA-256 checksum beside it."), opts,
	    sizeof opts / sizeof opts[0] };
	struct wk_err err;
	int rc, status;

	rc = cli_parse(&cmd, argc, argv, &err);
	if (rc == WK_OK && strcmp(st.compression, "gzip") != 0 &&
	    strcmp(st.compression, "none") != 0)
		rc = wk_err_set(&err, WK_ERR_INVALID, _("churn export: "
		    "--compression '%s' is not known; use gzip or none"),
		    st.compression);
	if (rc == CLI_HELP)
		return EX_OK;
	if (rc != WK_OK)
		return churn_usage_error(&cmd, &err);

	notify_ready(nt, _("export: starting"));
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
	printf(_("export: %" PRIu64 " bytes -> %" PRIu64 " bytes %s (%.1f%%), "
	    "sha256 %s -> %s\n"), st.bytes_in, st.bytes_out, st.compression,
	    st.bytes_in > 0 ? 100.0 * (double)st.bytes_out /
	    (double)st.bytes_in : 100.0, st.hex, st.output);
	notify_progress(nt, 1.0);
	return EX_OK;
}
