/* Unit tests of the byte ring and the line ring that keep a stream's end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent/ring.h"
#include "core/rc.h"

/* Copies the held bytes of r into out as a string. */
static const char *
held(const struct ring_bytes *r, char *out, size_t size)
{
	const char *a, *b;
	size_t alen, blen;

	ring_bytes_spans(r, &a, &alen, &b, &blen);
	assert_true(alen + blen < size);
	memcpy(out, a, alen);
	memcpy(out + alen, b, blen);
	out[alen + blen] = '\0';
	return out;
}

static void
bytes_keeps_all_below_cap(void **state)
{
	struct ring_bytes r;
	char out[32];

	(void)state;
	ring_bytes_init(&r, 8);
	assert_null(r.data);
	assert_int_equal(ring_bytes_push(&r, "abc", 3), WK_OK);
	assert_int_equal(ring_bytes_push(&r, "de", 2), WK_OK);
	assert_string_equal(held(&r, out, sizeof out), "abcde");
	assert_int_equal(r.dropped, 0);
	ring_bytes_free(&r);
}

static void
bytes_keeps_last_cap_bytes(void **state)
{
	struct ring_bytes r;
	char out[32];

	(void)state;
	ring_bytes_init(&r, 8);
	ring_bytes_push(&r, "0123456", 7);
	ring_bytes_push(&r, "789ab", 5);
	assert_string_equal(held(&r, out, sizeof out), "456789ab");
	assert_int_equal(r.dropped, 4);

	/* Wrapped content comes back oldest first in two spans. */
	ring_bytes_push(&r, "cd", 2);
	assert_string_equal(held(&r, out, sizeof out), "6789abcd");
	assert_int_equal(r.dropped, 6);
	ring_bytes_free(&r);
}

static void
bytes_push_longer_than_cap(void **state)
{
	struct ring_bytes r;
	char out[32];

	(void)state;
	ring_bytes_init(&r, 4);
	ring_bytes_push(&r, "xy", 2);
	ring_bytes_push(&r, "0123456789", 10);
	assert_string_equal(held(&r, out, sizeof out), "6789");
	assert_int_equal(r.dropped, 8);
	assert_int_equal(r.len, 4);
	ring_bytes_free(&r);
}

static void
bytes_counts_newlines_across_wrap(void **state)
{
	struct ring_bytes r;
	int i;

	(void)state;
	ring_bytes_init(&r, 10);
	for (i = 0; i < 7; i++)
		ring_bytes_push(&r, "ab\n", 3);
	/* Held: "\nab\nab\nab\n", the last 10 of 21 bytes. */
	assert_int_equal(r.dropped, 11);
	assert_int_equal(ring_bytes_count(&r, '\n'), 4);
	assert_int_equal(ring_bytes_count(&r, 'a'), 3);
	ring_bytes_free(&r);
}

static void
bytes_zero_cap_drops_everything(void **state)
{
	struct ring_bytes r;
	const char *a, *b;
	size_t alen, blen;

	(void)state;
	ring_bytes_init(&r, 0);
	assert_int_equal(ring_bytes_push(&r, "abc", 3), WK_OK);
	assert_int_equal(r.dropped, 3);
	assert_null(r.data);
	ring_bytes_spans(&r, &a, &alen, &b, &blen);
	assert_int_equal(alen + blen, 0);
	ring_bytes_free(&r);
}

/* Pushes a line with its number; raw_len is its length plus a newline. */
static void
push_line(struct ring_lines *r, int64_t line_no, const char *text)
{
	struct ring_line meta = { line_no, 1000 + line_no, strlen(text) + 1,
		0, 0, line_no % 2 == 0 };

	assert_int_equal(ring_lines_push(r, &meta, text, strlen(text)), WK_OK);
}

static void
lines_keeps_last_max_lines(void **state)
{
	struct ring_lines r;
	struct ring_line meta;
	char text[64], line[16];
	int i;

	(void)state;
	ring_lines_init(&r, 3, 1024);
	for (i = 1; i <= 10; i++) {
		snprintf(line, sizeof line, "line %d", i);
		push_line(&r, i, line);
	}
	assert_int_equal(r.count, 3);
	assert_int_equal(r.dropped_lines, 7);
	/* "line 1" .. "line 7" are 6 bytes and a newline each. */
	assert_int_equal(r.dropped_bytes, 7 * 7);
	for (i = 0; i < 3; i++) {
		ring_lines_get(&r, (size_t)i, &meta, text, sizeof text);
		snprintf(line, sizeof line, "line %d", 8 + i);
		assert_string_equal(text, line);
		assert_int_equal(meta.line_no, 8 + i);
		assert_int_equal(meta.at, 1008 + i);
		assert_int_equal(meta.is_error, (8 + i) % 2 == 0);
	}
	ring_lines_free(&r);
}

static void
lines_byte_cap_pushes_out_old_lines(void **state)
{
	struct ring_lines r;
	struct ring_line meta;
	char text[64];

	(void)state;
	ring_lines_init(&r, 100, 10);
	push_line(&r, 1, "aaaa");
	push_line(&r, 2, "bbbb");
	assert_int_equal(r.count, 2);
	push_line(&r, 3, "cccccc");
	/* 4 + 4 + 6 > 10: the first line goes, and the text wraps. */
	assert_int_equal(r.count, 2);
	assert_int_equal(r.dropped_lines, 1);
	ring_lines_get(&r, 0, &meta, text, sizeof text);
	assert_string_equal(text, "bbbb");
	ring_lines_get(&r, 1, &meta, text, sizeof text);
	assert_string_equal(text, "cccccc");
	assert_int_equal(meta.line_no, 3);
	ring_lines_free(&r);
}

static void
lines_wrapped_text_reads_whole(void **state)
{
	struct ring_lines r;
	struct ring_line meta;
	char text[64], want[16];
	int i;

	(void)state;
	ring_lines_init(&r, 4, 16);
	for (i = 0; i < 20; i++) {
		snprintf(want, sizeof want, "%c%c%c%c%c", 'a' + i % 26,
		    'a' + i % 26, 'a' + i % 26, 'a' + i % 26, 'a' + i % 26);
		push_line(&r, i + 1, want);
		ring_lines_get(&r, r.count - 1, &meta, text, sizeof text);
		assert_string_equal(text, want);
		assert_true(r.text_len <= 16);
	}
	/* Three lines of 5 bytes fit in 16 bytes. */
	assert_int_equal(r.count, 3);
	assert_int_equal(r.dropped_lines, 17);
	ring_lines_free(&r);
}

static void
lines_cuts_text_longer_than_cap(void **state)
{
	struct ring_lines r;
	struct ring_line meta;
	char text[64];

	(void)state;
	ring_lines_init(&r, 4, 8);
	push_line(&r, 1, "0123456789abc");
	assert_int_equal(r.count, 1);
	ring_lines_get(&r, 0, &meta, text, sizeof text);
	assert_string_equal(text, "01234567");
	assert_int_equal(meta.raw_len, 14);

	/* A short output buffer gets a NUL-terminated prefix. */
	ring_lines_get(&r, 0, &meta, text, 4);
	assert_string_equal(text, "012");
	ring_lines_free(&r);
}

static void
lines_zero_caps_count_drops(void **state)
{
	struct ring_lines r;

	(void)state;
	ring_lines_init(&r, 0, 1024);
	push_line(&r, 1, "abc");
	push_line(&r, 2, "de");
	assert_int_equal(r.count, 0);
	assert_int_equal(r.dropped_lines, 2);
	assert_int_equal(r.dropped_bytes, 7);
	assert_null(r.lines);
	ring_lines_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bytes_keeps_all_below_cap),
		cmocka_unit_test(bytes_keeps_last_cap_bytes),
		cmocka_unit_test(bytes_push_longer_than_cap),
		cmocka_unit_test(bytes_counts_newlines_across_wrap),
		cmocka_unit_test(bytes_zero_cap_drops_everything),
		cmocka_unit_test(lines_keeps_last_max_lines),
		cmocka_unit_test(lines_byte_cap_pushes_out_old_lines),
		cmocka_unit_test(lines_wrapped_text_reads_whole),
		cmocka_unit_test(lines_cuts_text_longer_than_cap),
		cmocka_unit_test(lines_zero_caps_count_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
