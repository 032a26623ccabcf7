/*
 * Growable byte buffer with a hard maximum.
 *
 * Every buffer is created with the maximum size it may reach; an append
 * that would pass it fails with WK_ERR_LIMIT and leaves the buffer as it
 * was. The data is always NUL-terminated (the terminator is not counted
 * in len), so text can be read as a C string.
 */
#ifndef WK_BUF_H
#define WK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;  /* len bytes followed by a NUL; NULL before first use */
	size_t len;  /* bytes in use, not counting the NUL */
	size_t cap;  /* bytes allocated, including room for the NUL */
	size_t max;  /* largest len allowed */
};

/* Prepares an empty buffer that may grow to max bytes; allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Frees the data and leaves an empty buffer with the same maximum. */
void buf_free(struct buf *b);

/* Empties the buffer and keeps its allocation. */
void buf_reset(struct buf *b);

/* Appends n bytes. Returns WK_OK, WK_ERR_LIMIT or WK_ERR_NOMEM. */
int buf_append(struct buf *b, const void *data, size_t n);

/* Appends a NUL-terminated string. */
int buf_append_str(struct buf *b, const char *s);

/* Appends printf-style text; on WK_ERR_LIMIT nothing is appended. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Removes the first n bytes (all when n >= len). */
void buf_consume(struct buf *b, size_t n);

/*
 * Takes the data out of the buffer: the caller owns and frees the returned
 * string (never NULL on success, "" for an empty buffer), and the buffer is
 * left empty. Returns NULL when allocation fails.
 */
char *buf_detach(struct buf *b);

#endif
