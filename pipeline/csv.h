/*
 * Streaming reader of line-oriented text files: CSV records as in RFC 4180
 * (quoted fields may hold commas, doubled quotes and line breaks), or raw
 * lines for JSON Lines.
 *
 * Both modes accept LF and CRLF line ends and skip a UTF-8 byte order mark
 * at the start of the file and empty lines. A line without quotes and
 * stray CRs that lies whole in the buffer is split in place, with its
 * field ends overwritten by NULs. Any other line goes through a state
 * machine byte by byte. Both paths give the same records.
 *
 * Memory is bounded: a record longer than max_record bytes is skipped to
 * its end and returned as bad, so one broken quote cannot make the reader
 * buffer the whole file. In RFC 4180 mode the skip follows the record's
 * quotes for at most max_record more bytes, so a line end inside a quoted
 * field does not start a record. Past that, it stops at the next line end.
 */
#ifndef WK_PIPELINE_CSV_H
#define WK_PIPELINE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "pipeline/outfile.h"

/* Default bytes in one record, its line end included. */
#define CSV_RECORD_MAX (1024 * 1024)
#define CSV_FIELDS_MAX 4096           /* fields in one record */
#define CSV_CHUNK_SIZE (1024 * 1024)  /* bytes of input buffered at once */
#define CSV_EOF 1                     /* csv_next(): no more records */

enum csv_mode {
	CSV_MODE_RFC4180,  /* comma-separated fields, double-quote quoting */
	CSV_MODE_LINES     /* each line is one field, taken as it is */
};

/* Reason a record could not be split into fields. */
enum csv_bad {
	CSV_BAD_NONE = 0,
	CSV_BAD_TOO_LONG,    /* more than max_record bytes */
	CSV_BAD_QUOTES,      /* stray quote, text after a closing quote, or
	                      * a quote left open at the end of the file */
	CSV_BAD_TOO_MANY     /* more than CSV_FIELDS_MAX fields */
};

struct csv_field {
	const char *data;  /* unquoted bytes followed by a NUL; in the
	                    * reader's buffers */
	size_t len;        /* bytes, without the NUL */
};

/* One record; its fields are valid until the next csv_next() call. */
struct csv_record {
	const struct csv_field *fields;  /* n_fields fields; owned by reader */
	size_t n_fields;                 /* 0 when bad is set */
	uint64_t line;                   /* 1-based line where it starts */
	uint64_t offset;                 /* file offset of its first byte */
	uint64_t size;                   /* bytes it took, line end included */
	enum csv_bad bad;                /* why it is unusable, or NONE */
	bool ascii;                      /* every byte of the fields is in
	                                  * 0x01..0x7F; false when not known */
};

struct csv_reader {
	int fd;                    /* input file; owned */
	enum csv_mode mode;        /* how lines split into fields */
	size_t max_record;         /* raw bytes allowed in one record */
	char *chunk;               /* CSV_CHUNK_SIZE bytes of input; owned */
	size_t chunk_len;          /* bytes in chunk */
	size_t chunk_pos;          /* next byte of chunk to parse */
	char *rec;                 /* field bytes, each field NUL-ended; owned */
	size_t rec_len;            /* bytes used in rec */
	size_t rec_cap;            /* bytes allocated for rec */
	size_t *starts;            /* offset in rec of each field; owned */
	struct csv_field *fields;  /* fields of the last record; owned */
	size_t n_fields;           /* fields of the record being read */
	uint64_t line;             /* 1-based line of the next byte */
	uint64_t offset;           /* bytes of the file consumed */
	bool started;              /* the byte order mark was looked for */
	bool eof;                  /* read(2) returned 0 */
	bool bytewise;             /* read every record with the state
	                            * machine; for tests that compare the
	                            * two paths */
};

/*
 * Opens path for reading. max_record of 0 means CSV_RECORD_MAX. Returns
 * WK_OK, WK_ERR_NOTFOUND when the file cannot be opened (err names it and
 * the reason), or WK_ERR_NOMEM.
 */
int csv_open(struct csv_reader *r, const char *path, enum csv_mode mode,
	     size_t max_record, struct wk_err *err);

/*
 * Reads the next record into rec. Returns WK_OK (check rec->bad), CSV_EOF,
 * or WK_ERR_IO / WK_ERR_NOMEM with err filled. path is only used in err.
 */
int csv_next(struct csv_reader *r, const char *path, struct csv_record *rec,
	     struct wk_err *err);

/*
 * Goes back to the start of the file, to read it again from its first
 * line. Returns WK_OK or WK_ERR_IO with err filled.
 */
int csv_rewind(struct csv_reader *r, const char *path, struct wk_err *err);

/* Closes the file and frees the buffers. */
void csv_close(struct csv_reader *r);

/* Returns an untranslated English description of bad, for messages. */
const char *csv_bad_name(enum csv_bad bad);

/*
 * Writes len bytes of s as one CSV field, quoted when it contains a comma,
 * a quote, CR or LF. Returns what outfile_write() returns.
 */
int csv_write_field(struct outfile *of, const char *s, size_t len);

#endif
