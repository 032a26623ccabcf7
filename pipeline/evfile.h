/*
 * The event file (.wkev): the output of `churn ingest`, a compact binary
 * copy of an event log grouped by user and sorted by time within a user.
 * docs/pipeline.md describes the format byte by byte.
 *
 * Layout of version 2, every section starting at a multiple of 8 bytes:
 *   header         struct evfile_header, 160 bytes
 *   records        n_events x struct evfile_record, by user in table
 *                  order, then time, name index and value
 *   user table     n_users  x struct evfile_user, in order of each user's
 *                  first row in the log
 *   user id text   NUL-terminated user ids, padded with NULs to 8 bytes
 *   name table     n_names  x struct evfile_name, in order of each name's
 *                  first row
 *   name text      NUL-terminated event names, padded to 8 bytes
 * The header gives the offset of each section, so a reader takes them
 * where they are. Version 1 had the records last, the users sorted by id
 * bytes and the names by name bytes; it is still read.
 *
 * Numbers are in the byte order of the host that wrote the file; the
 * header's byte_order field lets a reader detect a foreign order, which
 * evfile_open() rejects.
 */
#ifndef WK_PIPELINE_EVFILE_H
#define WK_PIPELINE_EVFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/outfile.h"

#define EVFILE_MAGIC "WKEVENTS"        /* 8 bytes, no NUL in the file */
#define EVFILE_VERSION 2               /* written; version 1 is also read */
#define EVFILE_BYTE_ORDER UINT32_C(0x01020304)
#define EVFILE_NO_NAME UINT32_MAX      /* record name without a name column */
#define EVFILE_HAS_NAMES UINT32_C(1)   /* flags: the log had an event column */
#define EVFILE_HAS_VALUES UINT32_C(2)  /* flags: the log had a value column */

struct evfile_header {
	char magic[8];              /* EVFILE_MAGIC */
	uint32_t version;           /* EVFILE_VERSION */
	uint32_t byte_order;        /* EVFILE_BYTE_ORDER in the writer's order */
	uint32_t header_size;       /* sizeof(struct evfile_header) */
	uint32_t flags;             /* EVFILE_HAS_* bits */
	uint64_t n_events;          /* records */
	uint64_t n_users;           /* user table entries */
	uint64_t n_names;           /* name table entries */
	int64_t time_min_ms;        /* earliest event, ms since the Unix epoch */
	int64_t time_max_ms;        /* latest event, ms since the Unix epoch */
	uint64_t users_offset;      /* file offset of the user table */
	uint64_t user_text_offset;  /* file offset of the user id text */
	uint64_t user_text_size;    /* bytes of user id text, padding included */
	uint64_t names_offset;      /* file offset of the name table */
	uint64_t name_text_offset;  /* file offset of the name text */
	uint64_t name_text_size;    /* bytes of name text, padding included */
	uint64_t records_offset;    /* file offset of the records */
	uint64_t rows_in;           /* input rows ingest read (provenance) */
	uint64_t rows_bad;          /* input rows it rejected */
	uint64_t rows_skipped;      /* input rows it skipped (empty user id) */
	uint64_t reserved[2];       /* zero */
};

struct evfile_user {
	uint64_t first_event;  /* index of the user's first record */
	uint64_t text_offset;  /* offset of the id in the user id text */
	uint32_t n_events;     /* records of the user, at least 1 */
	uint32_t text_len;     /* bytes of the id, without the NUL */
};

struct evfile_name {
	uint64_t text_offset;  /* offset of the name in the name text */
	uint64_t n_events;     /* records with this name */
	uint32_t text_len;     /* bytes of the name, without the NUL */
	uint32_t reserved;     /* zero */
};

struct evfile_record {
	int64_t time_ms;  /* event time, ms since the Unix epoch (UTC) */
	double value;     /* value column, 0 when absent or null */
	uint32_t user;    /* index in the user table */
	uint32_t name;    /* index in the name table, or EVFILE_NO_NAME */
};

/* Called with the fraction done (0..1) during long loops; may be NULL. */
typedef void (*evfile_progress_fn)(void *arg, double fraction);

/*
 * Input of evfile_write(). The caller fills the header's counts, flags,
 * time range and row counts, and the writer fills magic, version, byte
 * order, sizes and offsets. The tables must already be sorted and
 * consistent.
 */
struct evfile_data {
	struct evfile_header header;          /* see above */
	const struct evfile_user *users;      /* header.n_users entries */
	const char *user_text;                /* text the users point into */
	size_t user_text_len;                 /* bytes of user_text */
	const struct evfile_name *names;      /* header.n_names entries */
	const char *name_text;                /* text the names point into */
	size_t name_text_len;                 /* bytes of name_text */
	const struct evfile_record *records;  /* header.n_events records */
};

/*
 * Fills the header's layout fields and writes data to of, which the caller
 * opened and commits. Returns WK_OK or WK_ERR_IO (a write failed; the
 * error is reported by outfile_commit()).
 */
int evfile_write(struct outfile *of, struct evfile_data *data,
		 evfile_progress_fn progress, void *arg);

/*
 * A writer that streams the records and learns the tables' sizes only
 * afterwards: evfile_writer_begin(), the records with
 * evfile_writer_records(), evfile_writer_tables() with the tables'
 * sizes, then the user table, user id text, name table and name text, in
 * that order, with outfile_write() and evfile_writer_text(), and last
 * evfile_writer_finish() with the header. Starting over with
 * evfile_writer_begin() on the same file is allowed.
 */
struct evfile_writer {
	struct outfile *of;           /* the file; not owned */
	struct evfile_header layout;  /* sizes and offsets of the sections */
	uint64_t n_records;           /* records written */
	uint64_t size;                /* bytes of the whole file */
};

/* Moves to the start of the records. Returns WK_OK or WK_ERR_IO. */
int evfile_writer_begin(struct evfile_writer *w, struct outfile *of);

/* Appends n records. */
void evfile_writer_records(struct evfile_writer *w,
			   const struct evfile_record *r, size_t n);

/*
 * Lays the tables out after the records written and moves to the user
 * table. Returns WK_OK or WK_ERR_IO.
 */
int evfile_writer_tables(struct evfile_writer *w, uint64_t n_users,
			 size_t user_text_len, uint64_t n_names,
			 size_t name_text_len);

/* Writes len bytes of text and the NUL padding up to a multiple of 8. */
void evfile_writer_text(struct evfile_writer *w, const char *text,
			size_t len);

/*
 * Completes header (counts, flags, time range and row counts as for
 * evfile_write()) with the layout, writes it at the start and cuts the
 * file after the name text. Returns WK_OK, WK_ERR_STATE when the counts
 * differ from the records written or the sizes given to
 * evfile_writer_tables(), or the tables were not all written, or
 * WK_ERR_IO.
 */
int evfile_writer_finish(struct evfile_writer *w,
			 struct evfile_header *header);

/* An event file mapped into memory. */
struct evfile {
	const char *path;                     /* for messages; not owned */
	const struct evfile_header *header;   /* points into map */
	const struct evfile_user *users;      /* header->n_users entries */
	const char *user_text;                /* user ids */
	const struct evfile_name *names;      /* header->n_names entries */
	const char *name_text;                /* event names */
	const struct evfile_record *records;  /* header->n_events records */
	void *map;                            /* mmap(2) of the whole file */
	size_t map_size;                      /* bytes mapped */
};

/*
 * Maps path and checks all of it: header, offsets, tables, and that the
 * records are sorted, point to their user and name, and lie in the time
 * range. Returns WK_OK, WK_ERR_NOTFOUND when it cannot be opened (exit
 * 66), WK_ERR_IO when it cannot be mapped (exit 74), or WK_ERR_INVALID
 * when it is not a valid event file (exit 65). err names the problem.
 */
int evfile_open(struct evfile *ef, const char *path,
		evfile_progress_fn progress, void *arg, struct wk_err *err);

/*
 * Maps path and checks the header, the sections and the name table,
 * leaving the users and their records to evfile_check_user(), so that a
 * reader checks each user as it streams through the file. path must
 * outlive ef. Returns as evfile_open().
 */
int evfile_open_lazy(struct evfile *ef, const char *path,
		     struct wk_err *err);

/*
 * Checks user u of a file opened with evfile_open_lazy(): its entry, its
 * place after user u - 1, its id, and its records (user, time order and
 * range, name, finite value). Reads nothing but u's entry, u - 1's and
 * u's records, so threads may check different users at once. Returns
 * WK_OK or WK_ERR_INVALID with err filled.
 */
int evfile_check_user(const struct evfile *ef, uint64_t u,
		      struct wk_err *err);

/*
 * Drops the pages of the user table and of the records of users below
 * user_end from the process's memory; the kernel reads them again if
 * they are touched. Keeps the resident size of a stream through a large
 * file bounded.
 */
void evfile_release(const struct evfile *ef, uint64_t user_end);

/* Unmaps the file. */
void evfile_close(struct evfile *ef);

/* Returns the NUL-terminated id of user (an index below n_users). */
const char *evfile_user_id(const struct evfile *ef, uint64_t user);

/* Returns the NUL-terminated event name of name (below n_names). */
const char *evfile_name(const struct evfile *ef, uint32_t name);

#endif
