#include "ring.h"

#include <stdlib.h>
#include <string.h>

#include "core/rc.h"

void
ring_bytes_init(struct ring_bytes *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	r->cap = cap;
}

/* Copies n bytes into the ring's circular data at offset at. */
static void
ring_copy_in(char *ring, size_t cap, size_t at, const char *data, size_t n)
{
	size_t first = cap - at < n ? cap - at : n;

	memcpy(ring + at, data, first);
	memcpy(ring, data + first, n - first);
}

int
ring_bytes_push(struct ring_bytes *r, const char *data, size_t n)
{
	size_t over;

	if (r->cap == 0 || n == 0) {
		r->dropped += n;
		return WK_OK;
	}
	if (r->data == NULL) {
		r->data = malloc(r->cap);
		if (r->data == NULL) {
			r->dropped += n;
			return WK_ERR_NOMEM;
		}
	}

	/* Only the last cap bytes of a long push can stay. */
	if (n >= r->cap) {
		r->dropped += r->len + (n - r->cap);
		data += n - r->cap;
		n = r->cap;
		r->start = 0;
		r->len = 0;
	}

	over = r->len + n > r->cap ? r->len + n - r->cap : 0;
	r->start = (r->start + over) % r->cap;
	r->len -= over;
	r->dropped += over;

	ring_copy_in(r->data, r->cap, (r->start + r->len) % r->cap, data, n);
	r->len += n;
	return WK_OK;
}

void
ring_bytes_spans(const struct ring_bytes *r, const char **a, size_t *alen,
		 const char **b, size_t *blen)
{
	size_t first = r->cap - r->start;

	*a = r->data != NULL ? r->data + r->start : "";
	*b = r->data != NULL ? r->data : "";
	if (r->len <= first) {
		*alen = r->len;
		*blen = 0;
	} else {
		*alen = first;
		*blen = r->len - first;
	}
}

static uint64_t
ring_count_span(const char *p, size_t n, char c)
{
	const char *end = p + n;
	uint64_t count = 0;

	while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL) {
		count++;
		p++;
	}
	return count;
}

uint64_t
ring_bytes_count(const struct ring_bytes *r, char c)
{
	const char *a, *b;
	size_t alen, blen;

	ring_bytes_spans(r, &a, &alen, &b, &blen);
	return ring_count_span(a, alen, c) + ring_count_span(b, blen, c);
}

void
ring_bytes_free(struct ring_bytes *r)
{
	free(r->data);
	r->data = NULL;
	r->start = 0;
	r->len = 0;
}

void
ring_lines_init(struct ring_lines *r, size_t max_lines, size_t text_cap)
{
	memset(r, 0, sizeof *r);
	r->max_lines = max_lines;
	r->text_cap = text_cap;
}

/* Pushes out the oldest line. */
static void
ring_lines_pop(struct ring_lines *r)
{
	const struct ring_line *old = &r->lines[r->first];

	r->text_start = (r->text_start + old->len) % r->text_cap;
	r->text_len -= old->len;
	r->dropped_lines++;
	r->dropped_bytes += old->raw_len;
	r->first = (r->first + 1) % r->max_lines;
	r->count--;
}

static int
ring_lines_alloc(struct ring_lines *r)
{
	if (r->lines != NULL)
		return WK_OK;
	r->lines = calloc(r->max_lines, sizeof *r->lines);
	r->text = malloc(r->text_cap);
	if (r->lines == NULL || r->text == NULL) {
		ring_lines_free(r);
		return WK_ERR_NOMEM;
	}
	return WK_OK;
}

int
ring_lines_push(struct ring_lines *r, const struct ring_line *meta,
		const char *text, size_t len)
{
	struct ring_line *slot;

	if (r->max_lines == 0 || r->text_cap == 0 ||
	    ring_lines_alloc(r) != WK_OK) {
		r->dropped_lines++;
		r->dropped_bytes += meta->raw_len;
		return r->max_lines == 0 || r->text_cap == 0 ? WK_OK :
		    WK_ERR_NOMEM;
	}
	if (len > r->text_cap)
		len = r->text_cap;
	while (r->count > 0 &&
	    (r->count == r->max_lines || r->text_len + len > r->text_cap))
		ring_lines_pop(r);

	slot = &r->lines[(r->first + r->count) % r->max_lines];
	*slot = *meta;
	slot->offset = (r->text_start + r->text_len) % r->text_cap;
	slot->len = len;
	ring_copy_in(r->text, r->text_cap, slot->offset, text, len);
	r->text_len += len;
	r->count++;
	return WK_OK;
}

size_t
ring_lines_get(const struct ring_lines *r, size_t i, struct ring_line *meta,
	       char *out, size_t size)
{
	const struct ring_line *line = &r->lines[(r->first + i) % r->max_lines];
	size_t n, first = r->text_cap - line->offset;

	*meta = *line;
	if (size == 0)
		return 0;

	n = line->len < size - 1 ? line->len : size - 1;
	if (first > n)
		first = n;
	memcpy(out, r->text + line->offset, first);
	memcpy(out + first, r->text, n - first);
	out[n] = '\0';
	return n;
}

void
ring_lines_free(struct ring_lines *r)
{
	free(r->lines);
	free(r->text);
	r->lines = NULL;
	r->text = NULL;
	r->first = 0;
	r->count = 0;
	r->text_start = 0;
	r->text_len = 0;
}
