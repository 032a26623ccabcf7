/*
 * Bounded ring buffers that keep the end of a stream whose size is not
 * known in advance: the last bytes of a log file, and the last lines of a
 * stream on their way to the store. Both allocate on their first push and
 * never grow past the capacity given to their init function.
 */
#ifndef WK_RING_H
#define WK_RING_H

#include <stddef.h>
#include <stdint.h>

/* The last cap bytes pushed. */
struct ring_bytes {
	char *data;        /* cap bytes, owned; NULL before the first push */
	size_t cap;        /* bytes kept at most */
	size_t start;      /* offset in data of the oldest byte */
	size_t len;        /* bytes held */
	uint64_t dropped;  /* bytes pushed out, or not kept for want of memory */
};

/* Prepares an empty ring that keeps at most cap bytes; allocates nothing. */
void ring_bytes_init(struct ring_bytes *r, size_t cap);

/*
 * Appends n bytes, pushing out the oldest bytes beyond the capacity.
 * Returns WK_OK, or WK_ERR_NOMEM when the first allocation failed, in
 * which case the bytes are counted as dropped.
 */
int ring_bytes_push(struct ring_bytes *r, const char *data, size_t n);

/*
 * Sets the held bytes, oldest first, as two spans: *a (alen bytes), then
 * *b (blen bytes, 0 when the content does not wrap).
 */
void ring_bytes_spans(const struct ring_bytes *r, const char **a,
		      size_t *alen, const char **b, size_t *blen);

/* Counts the bytes equal to c among the held bytes. */
uint64_t ring_bytes_count(const struct ring_bytes *r, char c);

/* Frees the data; the ring is left empty with the same capacity. */
void ring_bytes_free(struct ring_bytes *r);

/* The metadata the line ring keeps of one line. */
struct ring_line {
	int64_t line_no;   /* 1-based within the stream */
	int64_t at;        /* ms since epoch, when received */
	uint64_t raw_len;  /* bytes the stage wrote for it, newline included */
	size_t offset;     /* start of its text in the text ring */
	size_t len;        /* bytes of its text */
	int is_error;      /* flagged as an error line */
};

/* The last lines pushed, at most max_lines of them and text_cap bytes. */
struct ring_lines {
	struct ring_line *lines;  /* max_lines entries, owned; NULL before use */
	size_t max_lines;         /* lines kept at most */
	size_t first;             /* index in lines of the oldest line */
	size_t count;             /* lines held */
	char *text;               /* text_cap bytes, owned; NULL before use */
	size_t text_cap;          /* bytes of text kept at most */
	size_t text_start;        /* offset in text of the oldest line's text */
	size_t text_len;          /* bytes of text held */
	uint64_t dropped_lines;   /* lines pushed out or never kept */
	uint64_t dropped_bytes;   /* raw_len of those lines */
};

/* Prepares an empty ring; allocates nothing. */
void ring_lines_init(struct ring_lines *r, size_t max_lines, size_t text_cap);

/*
 * Appends a line, pushing out the oldest lines until both caps hold. Text
 * longer than text_cap is cut to text_cap bytes (the caller keeps lines
 * shorter than that). Returns WK_OK, or WK_ERR_NOMEM when the first
 * allocation failed, in which case the line is counted as dropped.
 */
int ring_lines_push(struct ring_lines *r, const struct ring_line *meta,
		    const char *text, size_t len);

/*
 * Copies line i (0 is the oldest held) into *meta and its text into out
 * (at most size - 1 bytes, then a NUL). Returns the bytes of text copied.
 */
size_t ring_lines_get(const struct ring_lines *r, size_t i,
		      struct ring_line *meta, char *out, size_t size);

/* Frees the buffers; the ring is left empty with the same caps. */
void ring_lines_free(struct ring_lines *r);

#endif
