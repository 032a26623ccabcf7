#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for len + extra bytes and the NUL. */
static int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *data;

	if (extra > b->max || b->len > b->max - extra)
		return WK_ERR_LIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return WK_OK;

	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	data = realloc(b->data, cap);
	if (data == NULL)
		return WK_ERR_NOMEM;
	b->data = data;
	b->cap = cap;
	return WK_OK;
}

int
buf_append(struct buf *b, const void *data, size_t n)
{
	int rc;

	rc = buf_reserve(b, n);
	if (rc != WK_OK)
		return rc;

	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return WK_OK;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n, rc;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return WK_ERR_INVALID;

	rc = buf_reserve(b, (size_t)n);
	if (rc != WK_OK)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return WK_OK;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *data;

	if (b->data == NULL && buf_reserve(b, 0) != WK_OK)
		return NULL;
	data = b->data;
	data[b->len] = '\0';
	buf_init(b, b->max);
	return data;
}
