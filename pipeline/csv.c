#include "pipeline/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"

#define CSV_FAST_MISS 2  /* csv_try_fast(): use the state machine */

/* Parser position inside the current record. */
enum csv_state {
	CSV_ST_FIELD_START,  /* at the first byte of a field */
	CSV_ST_UNQUOTED,     /* inside a field that does not start with '"' */
	CSV_ST_QUOTED,       /* inside a quoted field */
	CSV_ST_QUOTE,        /* just after a '"' inside a quoted field */
	CSV_ST_SKIP,         /* discarding a bad record up to the line end */
	CSV_ST_SKIP_OUT,     /* discarding a record too long, outside quotes:
				it ends at a line end */
	CSV_ST_SKIP_IN       /* discarding a record too long, inside quotes:
				a line end belongs to the field */
};

/* The record being parsed, kept apart from the reader's buffers. */
struct csv_parse {
	enum csv_state state;  /* position in the record's grammar */
	size_t raw;            /* bytes of the file consumed by the record */
	size_t skipped;        /* bytes discarded since it became too long */
	bool cr;               /* a CR waits: it ends the line if LF follows */
	bool quoted;           /* some field of the record was quoted */
	bool begun;            /* a byte of the record was consumed */
	enum csv_bad bad;      /* why the record is unusable */
};

int
csv_open(struct csv_reader *r, const char *path, enum csv_mode mode,
	 size_t max_record, struct wk_err *err)
{
	memset(r, 0, sizeof *r);
	r->mode = mode;
	r->max_record = max_record != 0 ? max_record : CSV_RECORD_MAX;
	r->line = 1;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("cannot open '%s': "
		    "%s; check the path and its permissions"), path,
		    strerror(errno));

	r->chunk = malloc(CSV_CHUNK_SIZE);
	r->starts = malloc(CSV_FIELDS_MAX * sizeof r->starts[0]);
	r->fields = malloc(CSV_FIELDS_MAX * sizeof r->fields[0]);
	if (r->chunk == NULL || r->starts == NULL || r->fields == NULL) {
		csv_close(r);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}
	return WK_OK;
}

int
csv_rewind(struct csv_reader *r, const char *path, struct wk_err *err)
{
	if (lseek(r->fd, 0, SEEK_SET) != 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot read '%s' again: "
		    "%s"), path, strerror(errno));
	r->chunk_len = 0;
	r->chunk_pos = 0;
	r->line = 1;
	r->offset = 0;
	r->started = false;
	r->eof = false;
	return WK_OK;
}

void
csv_close(struct csv_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->chunk);
	free(r->rec);
	free(r->starts);
	free(r->fields);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

const char *
csv_bad_name(enum csv_bad bad)
{
	switch (bad) {
	case CSV_BAD_NONE:     return N_("no error");
	case CSV_BAD_TOO_LONG: return N_("line too long");
	case CSV_BAD_QUOTES:   return N_("malformed quotes");
	case CSV_BAD_TOO_MANY: return N_("too many fields");
	}
	return N_("unknown");
}

/*
 * Moves the unparsed bytes to the start of the chunk and reads more after
 * them. Skips a byte order mark at the start of the file.
 */
static int
csv_fill(struct csv_reader *r, const char *path, struct wk_err *err)
{
	size_t keep = r->chunk_len - r->chunk_pos;
	ssize_t n;

	memmove(r->chunk, r->chunk + r->chunk_pos, keep);
	r->chunk_pos = 0;
	r->chunk_len = keep;
	do {
		n = read(r->fd, r->chunk + r->chunk_len,
		    CSV_CHUNK_SIZE - r->chunk_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wk_err_set(err, WK_ERR_IO, _("cannot read '%s' "
			    "near line %llu: %s"), path,
			    (unsigned long long)r->line, strerror(errno));
		r->chunk_len += (size_t)n;
		r->eof = n == 0;
	} while (!r->started && !r->eof && r->chunk_len < 3);

	if (!r->started && r->chunk_len >= 3 &&
	    memcmp(r->chunk, "\xEF\xBB\xBF", 3) == 0) {
		r->chunk_pos = 3;
		r->offset += 3;
	}
	r->started = true;
	return WK_OK;
}

/* Result of the in-place path for one line. */
enum csv_fast_result {
	CSV_FAST_DONE,  /* the record is filled */
	CSV_FAST_SLOW,  /* the line needs the state machine */
	CSV_FAST_MORE   /* no whole line is buffered */
};

/*
 * Puts back the commas that csv_split() overwrote after each of the n
 * fields it stored before it gave up.
 */
static void
csv_unsplit(struct csv_reader *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		((char *)r->fields[i].data)[r->fields[i].len] = ',';
}

/*
 * Splits the len bytes at line, which hold no quote and no CR, into
 * fields in place. Returns false, with the line as it was, when it has
 * CSV_FIELDS_MAX fields or more, which the state machine rejects.
 */
static bool
csv_split(struct csv_reader *r, char *line, size_t len, size_t *n_fields)
{
	size_t i, n = 0, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (n + 1 >= CSV_FIELDS_MAX) {
			csv_unsplit(r, n);
			return false;
		}
		r->fields[n].data = line + start;
		r->fields[n].len = i - start;
		line[i] = '\0';
		n++;
		start = i + 1;
	}
	*n_fields = n;
	return true;
}

/* Fills rec with the line of len bytes at the chunk position, in place. */
static enum csv_fast_result
csv_fast_record(struct csv_reader *r, struct csv_record *rec, size_t len,
		size_t end)
{
	char *line = r->chunk + r->chunk_pos;
	size_t n = 1;

	if (r->mode == CSV_MODE_RFC4180 && !csv_split(r, line, end, &n))
		return CSV_FAST_SLOW;
	if (r->mode == CSV_MODE_LINES) {
		r->fields[0].data = line;
		r->fields[0].len = end;
		line[end] = '\0';
	}

	rec->fields = r->fields;
	rec->n_fields = n;
	rec->line = r->line++;
	rec->offset = r->offset;
	rec->size = len + 1;
	rec->bad = CSV_BAD_NONE;
	rec->ascii = false;
	r->offset += len + 1;
	r->chunk_pos += len + 1;
	return CSV_FAST_DONE;
}

/*
 * Reads the next record in place when its line lies whole in the chunk
 * and contains no quote (CSV) and no CR before its line end. Skips empty
 * lines on the way.
 */
static enum csv_fast_result
csv_fast(struct csv_reader *r, struct csv_record *rec)
{
	for (;;) {
		char *line = r->chunk + r->chunk_pos;
		char *nl = memchr(line, '\n', r->chunk_len - r->chunk_pos);
		size_t len, end;

		if (nl == NULL)
			return CSV_FAST_MORE;
		len = (size_t)(nl - line);
		end = len > 0 && line[len - 1] == '\r' ? len - 1 : len;
		if (len + 1 > r->max_record ||
		    memchr(line, '\r', end) != NULL ||
		    (r->mode == CSV_MODE_RFC4180 &&
		    memchr(line, '"', end) != NULL))
			return CSV_FAST_SLOW;
		if (end > 0)
			return csv_fast_record(r, rec, len, end);

		r->chunk_pos += len + 1;
		r->offset += len + 1;
		r->line++;
	}
}

/* Byte classes of csv_fast_rfc(); every other byte is plain. */
enum csv_class {
	CSV_CLASS_PLAIN = 0,  /* a byte of a field */
	CSV_CLASS_CHECK,      /* a byte of a field that utf8_valid() must
	                       * see: NUL, or at or above 0x80 */
	CSV_CLASS_COMMA,      /* ends a field */
	CSV_CLASS_CR,         /* allowed only before the LF */
	CSV_CLASS_QUOTE,      /* needs the state machine */
	CSV_CLASS_LF          /* ends the line */
};

#define CSV_CHECK8 CSV_CLASS_CHECK, CSV_CLASS_CHECK, CSV_CLASS_CHECK, \
	CSV_CLASS_CHECK, CSV_CLASS_CHECK, CSV_CLASS_CHECK, CSV_CLASS_CHECK, \
	CSV_CLASS_CHECK
#define CSV_CHECK64 CSV_CHECK8, CSV_CHECK8, CSV_CHECK8, CSV_CHECK8, \
	CSV_CHECK8, CSV_CHECK8, CSV_CHECK8, CSV_CHECK8

static const unsigned char csv_classes[256] = {
	[0] = CSV_CLASS_CHECK, ['\n'] = CSV_CLASS_LF, ['\r'] = CSV_CLASS_CR,
	['"'] = CSV_CLASS_QUOTE, [','] = CSV_CLASS_COMMA,
	[0x80] = CSV_CHECK64, CSV_CHECK64
};

/* Findings of one pass of csv_scan_rfc() over a line. */
struct csv_scan {
	size_t len;      /* bytes before the LF */
	size_t n;        /* fields stored, the last one included */
	size_t crs;      /* CRs in the line */
	size_t last_cr;  /* offset of the last CR */
	bool check;      /* a NUL or a byte at or above 0x80 */
	bool quote;      /* a quote */
	bool too_many;   /* CSV_FIELDS_MAX fields or more */
};

/*
 * Finds the line end, the commas, CRs, quotes, NULs and bytes above 0x7F
 * of the line at line in one pass over its bytes, storing the fields in
 * r->fields without changing the line. Returns false when no LF lies in
 * the avail bytes.
 */
static bool
csv_scan_rfc(struct csv_reader *r, const char *line, size_t avail,
	     struct csv_scan *sc)
{
	size_t i, start = 0, end;

	*sc = (struct csv_scan){ 0 };
	for (i = 0; i < avail; i++) {
		unsigned char c = csv_classes[(unsigned char)line[i]];

		if (c == CSV_CLASS_PLAIN)
			continue;
		if (c == CSV_CLASS_LF)
			break;
		if (c == CSV_CLASS_COMMA && sc->n + 1 < CSV_FIELDS_MAX) {
			r->fields[sc->n].data = line + start;
			r->fields[sc->n++].len = i - start;
			start = i + 1;
		} else if (c == CSV_CLASS_COMMA) {
			sc->too_many = true;
		} else if (c == CSV_CLASS_CR) {
			sc->crs++;
			sc->last_cr = i;
		}
		sc->check |= c == CSV_CLASS_CHECK;
		sc->quote |= c == CSV_CLASS_QUOTE;
	}
	if (i == avail)
		return false;

	sc->len = i;
	end = sc->crs > 0 && sc->last_cr == i - 1 ? i - 1 : i;
	sc->too_many |= sc->n + 1 >= CSV_FIELDS_MAX;
	if (!sc->too_many && start <= end) {
		r->fields[sc->n].data = line + start;
		r->fields[sc->n++].len = end - start;
	}
	return true;
}

/*
 * The in-place path of CSV_MODE_RFC4180: gives the same records as
 * csv_fast() but reads each byte once, where csv_fast() makes four
 * passes (LF, CR, quote, comma) that cost more than the bytes on the
 * short lines of event logs.
 */
static enum csv_fast_result
csv_fast_rfc(struct csv_reader *r, struct csv_record *rec)
{
	struct csv_scan sc;
	size_t i, end;
	char *line;

	for (;;) {
		line = r->chunk + r->chunk_pos;
		if (!csv_scan_rfc(r, line, r->chunk_len - r->chunk_pos, &sc))
			return CSV_FAST_MORE;
		end = sc.crs > 0 && sc.last_cr == sc.len - 1 ? sc.len - 1 :
		    sc.len;
		if (sc.len + 1 > r->max_record || sc.crs > (end < sc.len) ||
		    sc.quote || (end > 0 && sc.too_many))
			return CSV_FAST_SLOW;
		if (end > 0)
			break;
		r->chunk_pos += sc.len + 1;
		r->offset += sc.len + 1;
		r->line++;
	}

	/* Each field ends at a comma, a CR or the LF, which become NULs. */
	for (i = 0; i < sc.n; i++)
		((char *)r->fields[i].data)[r->fields[i].len] = '\0';
	rec->fields = r->fields;
	rec->n_fields = sc.n;
	rec->line = r->line++;
	rec->offset = r->offset;
	rec->size = sc.len + 1;
	rec->bad = CSV_BAD_NONE;
	rec->ascii = !sc.check;
	r->offset += sc.len + 1;
	r->chunk_pos += sc.len + 1;
	return CSV_FAST_DONE;
}

/*
 * Tries the in-place path, reading more input once when no whole line is
 * buffered. Returns WK_OK with rec filled, CSV_FAST_MISS when the state
 * machine must read the record, or WK_ERR_IO.
 */
static int
csv_try_fast(struct csv_reader *r, const char *path, struct csv_record *rec,
	     struct wk_err *err)
{
	enum csv_fast_result res;
	int rc;

	if (r->bytewise)
		return CSV_FAST_MISS;
	res = r->mode == CSV_MODE_RFC4180 ? csv_fast_rfc(r, rec) :
	    csv_fast(r, rec);
	if (res == CSV_FAST_MORE && !r->eof &&
	    r->chunk_len - r->chunk_pos < CSV_CHUNK_SIZE) {
		rc = csv_fill(r, path, err);
		if (rc != WK_OK)
			return rc;
		res = r->mode == CSV_MODE_RFC4180 ? csv_fast_rfc(r, rec) :
		    csv_fast(r, rec);
	}
	return res == CSV_FAST_DONE ? WK_OK : CSV_FAST_MISS;
}

/* Appends one byte to the current field. */
static int
csv_append(struct csv_reader *r, char c)
{
	if (r->rec_len + 1 >= r->rec_cap) {
		size_t cap = r->rec_cap == 0 ? 4096 : r->rec_cap * 2;
		char *rec = realloc(r->rec, cap);

		if (rec == NULL)
			return WK_ERR_NOMEM;
		r->rec = rec;
		r->rec_cap = cap;
	}
	r->rec[r->rec_len++] = c;
	return WK_OK;
}

/* Ends the current field with a NUL and opens the next one. */
static int
csv_end_field(struct csv_reader *r, struct csv_parse *p)
{
	if (csv_append(r, '\0') != WK_OK)
		return WK_ERR_NOMEM;
	if (r->n_fields + 1 >= CSV_FIELDS_MAX) {
		p->bad = CSV_BAD_TOO_MANY;
		p->state = CSV_ST_SKIP;
		return WK_OK;
	}
	r->starts[++r->n_fields] = r->rec_len;
	p->state = CSV_ST_FIELD_START;
	return WK_OK;
}

/* Fills rec from the reader's buffers once the record is complete. */
static void
csv_finish(struct csv_reader *r, const struct csv_parse *p,
	   struct csv_record *rec)
{
	size_t i;

	rec->bad = p->bad;
	rec->ascii = false;
	rec->n_fields = p->bad != CSV_BAD_NONE ? 0 : r->n_fields;
	rec->fields = r->fields;
	for (i = 0; i < rec->n_fields; i++) {
		r->fields[i].data = r->rec + r->starts[i];
		r->fields[i].len = r->starts[i + 1] - r->starts[i] - 1;
	}
}

/*
 * Handles a CR that was held back: before LF it is part of the line end,
 * anywhere else it is an ordinary byte of an unquoted field.
 */
static int
csv_pending_cr(struct csv_reader *r, struct csv_parse *p, char c)
{
	p->cr = false;
	if (c == '\n')
		return WK_OK;
	if (p->state == CSV_ST_QUOTE) {
		p->bad = CSV_BAD_QUOTES;
		p->state = CSV_ST_SKIP;
		return WK_OK;
	}
	p->state = CSV_ST_UNQUOTED;
	return csv_append(r, '\r');
}

/* Handles a byte outside quotes. Sets *done at the end of the line. */
static int
csv_plain_byte(struct csv_reader *r, struct csv_parse *p, char c, bool *done)
{
	bool rfc = r->mode == CSV_MODE_RFC4180;

	if (c == '\n') {
		*done = true;
		return csv_end_field(r, p);
	}
	if (c == '\r') {
		p->cr = true;
		return WK_OK;
	}
	if (rfc && c == ',')
		return csv_end_field(r, p);
	if (rfc && c == '"' && p->state == CSV_ST_FIELD_START) {
		p->state = CSV_ST_QUOTED;
		p->quoted = true;
		return WK_OK;
	}
	if (rfc && c == '"') {
		p->bad = CSV_BAD_QUOTES;
		p->state = CSV_ST_SKIP;
		return WK_OK;
	}
	p->state = CSV_ST_UNQUOTED;
	return csv_append(r, c);
}

static bool
csv_skipping(const struct csv_parse *p)
{
	return p->state == CSV_ST_SKIP || p->state == CSV_ST_SKIP_OUT ||
	    p->state == CSV_ST_SKIP_IN;
}

/*
 * Marks the record too long. In RFC 4180 mode the rest of it is skipped
 * following its quotes, so that a line end inside a quoted field does not
 * start the next record.
 */
static void
csv_too_long(struct csv_reader *r, struct csv_parse *p)
{
	p->bad = CSV_BAD_TOO_LONG;
	if (r->mode != CSV_MODE_RFC4180)
		p->state = CSV_ST_SKIP;
	else if (p->state == CSV_ST_QUOTED)
		p->state = CSV_ST_SKIP_IN;
	else
		p->state = CSV_ST_SKIP_OUT;
}

/*
 * Skips a byte of a record too long, following its quotes for at most
 * max_record bytes: past that, a quote left open ends at the next line
 * end, so it cannot take the rest of the file with it.
 */
static void
csv_skip_quoted(struct csv_reader *r, struct csv_parse *p, char c,
		bool *done)
{
	if (++p->skipped > r->max_record) {
		p->state = CSV_ST_SKIP;
		*done = c == '\n';
		return;
	}
	if (c == '"')
		p->state = p->state == CSV_ST_SKIP_IN ? CSV_ST_SKIP_OUT :
		    CSV_ST_SKIP_IN;
	*done = c == '\n' && p->state == CSV_ST_SKIP_OUT;
}

/* Handles one byte of the record. Sets *done at the end of the record. */
static int
csv_byte(struct csv_reader *r, struct csv_parse *p, char c, bool *done)
{
	if (!csv_skipping(p) && ++p->raw > r->max_record)
		csv_too_long(r, p);
	if (p->cr && !csv_skipping(p) && csv_pending_cr(r, p, c) != WK_OK)
		return WK_ERR_NOMEM;

	switch (p->state) {
	case CSV_ST_SKIP:
		*done = c == '\n';
		return WK_OK;
	case CSV_ST_SKIP_OUT:
	case CSV_ST_SKIP_IN:
		csv_skip_quoted(r, p, c, done);
		return WK_OK;
	case CSV_ST_QUOTED:
		if (c == '"') {
			p->state = CSV_ST_QUOTE;
			return WK_OK;
		}
		return csv_append(r, c);
	case CSV_ST_QUOTE:
		if (c == '"') {
			p->state = CSV_ST_QUOTED;
			return csv_append(r, c);
		}
		if (c != ',' && c != '\n' && c != '\r') {
			p->bad = CSV_BAD_QUOTES;
			p->state = CSV_ST_SKIP;
			*done = false;
			return WK_OK;
		}
		break;
	case CSV_ST_FIELD_START:
	case CSV_ST_UNQUOTED:
		break;
	}
	return csv_plain_byte(r, p, c, done);
}

/* Tells whether the record is an empty line, which csv_next() skips. */
static bool
csv_is_blank(const struct csv_reader *r, const struct csv_parse *p)
{
	return p->bad == CSV_BAD_NONE && !p->quoted && r->n_fields == 1 &&
	    r->starts[1] == 1;
}

/* Ends the record at the end of the file. Returns CSV_EOF if it is empty. */
static int
csv_at_eof(struct csv_reader *r, struct csv_parse *p)
{
	if (p->raw == 0 && !csv_skipping(p))
		return CSV_EOF;
	if (p->state == CSV_ST_QUOTED) {
		p->bad = CSV_BAD_QUOTES;
		return WK_OK;
	}
	if (csv_skipping(p))
		return WK_OK;
	if (csv_end_field(r, p) != WK_OK)
		return WK_ERR_NOMEM;
	return csv_is_blank(r, p) ? CSV_EOF : WK_OK;
}

static void
csv_start_record(struct csv_reader *r, struct csv_parse *p,
		 struct csv_record *rec)
{
	memset(p, 0, sizeof *p);
	p->state = CSV_ST_FIELD_START;
	r->rec_len = 0;
	r->n_fields = 0;
	r->starts[0] = 0;
	rec->line = r->line;
	rec->offset = r->offset;
}

int
csv_next(struct csv_reader *r, const char *path, struct csv_record *rec,
	 struct wk_err *err)
{
	struct csv_parse p;
	bool done = false;
	int rc;

	rc = csv_try_fast(r, path, rec, err);
	if (rc != CSV_FAST_MISS)
		return rc;
	rc = WK_OK;
	csv_start_record(r, &p, rec);
	while (!done) {
		char c;

		if (r->chunk_pos == r->chunk_len) {
			if (!r->eof && (rc = csv_fill(r, path, err)) != WK_OK)
				return rc;
			if (r->chunk_pos == r->chunk_len) {
				rc = csv_at_eof(r, &p);
				if (rc == CSV_EOF || rc == WK_OK)
					break;
				goto nomem;
			}
		}
		if (!p.begun)
			rec->offset = r->offset;
		p.begun = true;
		c = r->chunk[r->chunk_pos++];
		r->offset++;
		if (csv_byte(r, &p, c, &done) != WK_OK)
			goto nomem;
		if (c == '\n')
			r->line++;
		if (done && csv_is_blank(r, &p)) {
			csv_start_record(r, &p, rec);
			done = false;
		}
	}
	if (!done && rc == CSV_EOF)
		return CSV_EOF;
	rec->size = r->offset - rec->offset;
	csv_finish(r, &p, rec);
	return WK_OK;

nomem:
	return wk_err_set(err, WK_ERR_NOMEM, _("out of memory reading '%s' "
	    "at line %llu"), path, (unsigned long long)r->line);
}

int
csv_write_field(struct outfile *of, const char *s, size_t len)
{
	size_t i, start = 0;
	bool plain = true;

	for (i = 0; i < len && plain; i++)
		plain = s[i] != ',' && s[i] != '"' && s[i] != '\r' &&
		    s[i] != '\n';
	if (plain)
		return outfile_write(of, s, len);

	outfile_write(of, "\"", 1);
	for (i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		outfile_write(of, s + start, i + 1 - start);
		start = i;
	}
	outfile_write(of, s + start, len - start);
	return outfile_write(of, "\"", 1);
}
