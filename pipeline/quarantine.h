/*
 * The quarantine file of `churn ingest`: every input row the stage left
 * out, as CSV with the header line,reason,value,row.
 *
 *   line    1-based line of the input where the row starts
 *   reason  badrows_code(): "time", "columns", ..., "duplicate"
 *   value   the offending value, as far as one is known, else empty
 *   row     the row's bytes as they were in the input, without the line
 *           end, at most QUAR_ROW_MAX bytes; quoted as RFC 4180 says
 *
 * The file is written atomically like every output; the stage commits it
 * whether it succeeds or fails on too many bad rows.
 */
#ifndef WK_PIPELINE_QUARANTINE_H
#define WK_PIPELINE_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/badrows.h"
#include "pipeline/outfile.h"

#define QUAR_ROW_MAX 65536          /* bytes of a row kept */
#define QUAR_SUFFIX ".quarantine.csv"  /* default: beside the output */

struct quarantine {
	struct outfile of;  /* the file being written */
	bool open;          /* of is open */
	int input_fd;       /* the input, read with pread(2); not owned */
	char *buf;          /* QUAR_ROW_MAX bytes for one row; owned */
	uint64_t rows;      /* rows written */
};

/*
 * Creates the quarantine file at path and writes the header; input_fd is
 * the input the rows are copied from. Returns WK_OK, WK_ERR_IO (err
 * names the path) or WK_ERR_NOMEM.
 */
int quar_open(struct quarantine *q, const char *path, int input_fd,
	      struct wk_err *err);

/*
 * Appends a row: its line, reason, offending value (len bytes, text may
 * be NULL) and the input bytes [offset, offset + size). A size of 0
 * copies up to the first line end. Does nothing when q is not open.
 */
void quar_add(struct quarantine *q, uint64_t line, enum badrow_reason reason,
	      const char *text, size_t len, uint64_t offset, uint64_t size);

/* Commits the file. Returns WK_OK or WK_ERR_IO with err filled. */
int quar_commit(struct quarantine *q, struct wk_err *err);

/* Removes the temporary file if it is still open, and frees q's memory. */
void quar_close(struct quarantine *q);

#endif
