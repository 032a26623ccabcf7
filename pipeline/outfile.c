#ifdef __linux__
#define _GNU_SOURCE  /* sync_file_range(2) */
#endif
#include "pipeline/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/i18n.h"

static void
outfile_release(struct outfile *of)
{
	free(of->path);
	free(of->tmp_path);
	free(of->buf);
	of->path = NULL;
	of->tmp_path = NULL;
	of->buf = NULL;
	of->fd = -1;
	of->len = 0;
}

/* Builds "DIR/.BASE.tmp.XXXXXX" for path, for mkstemp(3). */
static char *
outfile_tmp_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	size_t size = strlen(path) + sizeof "/..tmp.XXXXXX";
	char *tmp = malloc(size);

	if (tmp == NULL)
		return NULL;
	snprintf(tmp, size, "%.*s.%s.tmp.XXXXXX", (int)dir_len, path,
	    path + dir_len);
	return tmp;
}

int
outfile_open(struct outfile *of, const char *path, struct wk_err *err)
{
	mode_t mask;

	memset(of, 0, sizeof *of);
	of->fd = -1;
	of->path = strdup(path);
	of->tmp_path = outfile_tmp_template(path);
	of->buf = malloc(OUTFILE_BUF_SIZE);
	if (of->path == NULL || of->tmp_path == NULL || of->buf == NULL) {
		outfile_release(of);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}

	of->fd = mkstemp(of->tmp_path);
	if (of->fd < 0) {
		int rc = wk_err_set(err, WK_ERR_IO, _("cannot create '%s' (as "
		    "temporary file '%s'): %s; check that the directory exists "
		    "and is writable"), path, of->tmp_path, strerror(errno));

		outfile_release(of);
		return rc;
	}
	mask = umask(0);
	umask(mask);
	fchmod(of->fd, 0666 & ~mask);
	return WK_OK;
}

/* Writes all n bytes, retrying on EINTR and short writes. */
static int
outfile_write_all(int fd, const char *data, size_t n)
{
	while (n > 0) {
		ssize_t done = write(fd, data, n);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return errno;
		data += done;
		n -= (size_t)done;
	}
	return 0;
}

/*
 * Starts the disk writes of the bytes before of->pos once
 * OUTFILE_WRITEBACK_SIZE of them were written since the last start.
 * Otherwise the kernel starts only when much of the memory is dirty, so
 * the fsync(2) of outfile_commit() waits for most of a large file. With
 * it the disk works while the stage computes. The call does not wait for
 * the writes, and the fsync(2) reports a failure of them.
 */
static void
outfile_writeback(struct outfile *of)
{
	if (of->write_errno != 0 ||
	    of->pos < of->synced + OUTFILE_WRITEBACK_SIZE)
		return;
#ifdef __linux__
	sync_file_range(of->fd, (off_t)of->synced,
	    (off_t)(of->pos - of->synced), SYNC_FILE_RANGE_WRITE);
#endif
	of->synced = of->pos;
}

static int
outfile_flush(struct outfile *of)
{
	if (of->len > 0 && of->write_errno == 0) {
		of->write_errno = outfile_write_all(of->fd, of->buf, of->len);
		outfile_writeback(of);
	}
	of->len = 0;
	return of->write_errno == 0 ? WK_OK : WK_ERR_IO;
}

int
outfile_write(struct outfile *of, const void *data, size_t n)
{
	if (of->write_errno != 0)
		return WK_ERR_IO;
	if (n == 0)
		return WK_OK;

	of->pos += n;
	if (n >= OUTFILE_BUF_SIZE) {
		if (outfile_flush(of) != WK_OK)
			return WK_ERR_IO;
		of->write_errno = outfile_write_all(of->fd, data, n);
		outfile_writeback(of);
		return of->write_errno == 0 ? WK_OK : WK_ERR_IO;
	}
	if (n > OUTFILE_BUF_SIZE - of->len && outfile_flush(of) != WK_OK)
		return WK_ERR_IO;
	memcpy(of->buf + of->len, data, n);
	of->len += n;
	return WK_OK;
}

int
outfile_seek(struct outfile *of, uint64_t offset)
{
	if (outfile_flush(of) != WK_OK)
		return WK_ERR_IO;
	if (lseek(of->fd, (off_t)offset, SEEK_SET) < 0) {
		of->write_errno = errno;
		return WK_ERR_IO;
	}
	of->pos = offset;
	if (offset < of->synced)
		of->synced = offset;
	return WK_OK;
}

int
outfile_set_size(struct outfile *of, uint64_t size)
{
	if (outfile_flush(of) != WK_OK)
		return WK_ERR_IO;
	if (ftruncate(of->fd, (off_t)size) != 0) {
		of->write_errno = errno;
		return WK_ERR_IO;
	}
	return WK_OK;
}

int
outfile_puts(struct outfile *of, const char *s)
{
	return outfile_write(of, s, strlen(s));
}

int
outfile_printf(struct outfile *of, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(of->buf + of->len, OUTFILE_BUF_SIZE - of->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= OUTFILE_BUF_SIZE)
		return WK_ERR_LIMIT;
	if ((size_t)n < OUTFILE_BUF_SIZE - of->len) {
		of->len += (size_t)n;
		of->pos += (size_t)n;
		return of->write_errno == 0 ? WK_OK : WK_ERR_IO;
	}

	/* It did not fit after the pending bytes: flush and format again. */
	if (outfile_flush(of) != WK_OK)
		return WK_ERR_IO;
	va_start(ap, fmt);
	vsnprintf(of->buf, OUTFILE_BUF_SIZE, fmt, ap);
	va_end(ap);
	of->len = (size_t)n;
	of->pos += (size_t)n;
	return WK_OK;
}

/* Syncs the directory that contains path, so that the rename is durable. */
static int
outfile_sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int
outfile_commit(struct outfile *of, struct wk_err *err)
{
	const char *step = "write";
	int error = 0, rc = WK_OK;

	outfile_flush(of);
	error = of->write_errno;
	if (error == 0 && fsync(of->fd) != 0) {
		error = errno;
		step = "fsync";
	}
	if (close(of->fd) != 0 && error == 0) {
		error = errno;
		step = "close";
	}
	of->fd = -1;
	if (error == 0 && rename(of->tmp_path, of->path) != 0) {
		error = errno;
		step = "rename";
	}
	if (error == 0) {
		error = outfile_sync_dir(of->path);
		step = "fsync of the directory";
	}

	if (error != 0) {
		rc = wk_err_set(err, WK_ERR_IO, _("cannot write '%s' (%s of "
		    "'%s' failed): %s; check the free space and the "
		    "permissions of the directory"), of->path, step,
		    of->tmp_path, strerror(error));
		unlink(of->tmp_path);
	}
	outfile_release(of);
	return rc;
}

void
outfile_abort(struct outfile *of)
{
	if (of->tmp_path == NULL)
		return;

	if (of->fd >= 0)
		close(of->fd);
	unlink(of->tmp_path);
	outfile_release(of);
}
