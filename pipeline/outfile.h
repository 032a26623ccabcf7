/*
 * Output files written atomically: the data goes to a temporary file in
 * the same directory, which is flushed with fsync(2) and renamed over the
 * final path only when everything was written. A reader therefore sees
 * either the old file or the complete new one, never a partial file, and
 * a failed stage leaves no output behind.
 */
#ifndef WK_PIPELINE_OUTFILE_H
#define WK_PIPELINE_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define OUTFILE_BUF_SIZE (256 * 1024)  /* bytes buffered before a write(2) */
#define OUTFILE_WRITEBACK_SIZE (8 * 1024 * 1024)  /* bytes written between
                                                   * two writeback starts */

struct outfile {
	char *path;       /* final path; owned */
	char *tmp_path;   /* temporary file beside it; owned */
	int fd;           /* the temporary file, -1 when closed */
	char *buf;        /* OUTFILE_BUF_SIZE bytes of pending output; owned */
	size_t len;       /* bytes pending in buf */
	int write_errno;  /* errno of the first failed write, 0 if none */
	uint64_t pos;     /* file offset of the next byte, pending bytes
	                   * included */
	uint64_t synced;  /* file offset up to which writeback to the disk
	                   * was started */
};

/*
 * Creates the temporary file for path with mode 0666 less the umask.
 * Returns WK_OK, WK_ERR_IO (err names the directory and the reason) or
 * WK_ERR_NOMEM. On failure nothing needs to be released.
 */
int outfile_open(struct outfile *of, const char *path, struct wk_err *err);

/*
 * Appends n bytes. A write error is remembered and reported by
 * outfile_commit(); the return value is WK_OK or WK_ERR_IO.
 */
int outfile_write(struct outfile *of, const void *data, size_t n);

/* Appends a NUL-terminated string. */
int outfile_puts(struct outfile *of, const char *s);

/*
 * Appends printf-style text of at most OUTFILE_BUF_SIZE bytes; longer text
 * is an error (WK_ERR_LIMIT) and nothing is written.
 */
int outfile_printf(struct outfile *of, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Writes the pending bytes and moves to offset, so that the next bytes
 * go there; a gap left behind reads as zeros. Returns WK_OK or WK_ERR_IO
 * (remembered like a write error).
 */
int outfile_seek(struct outfile *of, uint64_t offset);

/*
 * Writes the pending bytes and sets the file's size, cutting what lies
 * beyond it. Returns WK_OK or WK_ERR_IO (remembered like a write error).
 */
int outfile_set_size(struct outfile *of, uint64_t size);

/*
 * Writes the pending bytes, syncs and closes the temporary file, renames
 * it over the final path and syncs the directory. Returns WK_OK or
 * WK_ERR_IO with err naming the path and the reason; on failure the
 * temporary file is removed. Either way of is released.
 */
int outfile_commit(struct outfile *of, struct wk_err *err);

/* Removes the temporary file and releases of; safe after a commit. */
void outfile_abort(struct outfile *of);

#endif
