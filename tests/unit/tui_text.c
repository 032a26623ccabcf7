/*
 * Unit tests of the TUI's layout helpers: display width, cutting without
 * splitting a character, bars, sparklines, charts, compact figures and
 * table columns. They run in the C.UTF-8 locale, as the TUI does.
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "core/text.h"
#include "tui/tui_text.h"

#define FULL "\xe2\x96\x88"     /* U+2588 full block */
#define SHADE "\xe2\x96\x91"    /* U+2591 light shade */
#define HALF "\xe2\x96\x8c"     /* U+258C left half block */

static int
setup_locale(void **state)
{
	(void)state;
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		return -1;
	return 0;
}

static void
clean_removes_escapes_and_controls(void **state)
{
	char out[128];
	const char *in = "\x1b[31mred\x1b[0m \x1b]0;title\x07<b>ok</b>\x01";

	(void)state;
	tui_clean(in, 1, out, sizeof out);
	assert_string_equal(out, "red <b>ok</b>\xef\xbf\xbd");
	assert_null(strchr(out, 0x1b));
}

static void
clean_ascii_uses_one_mark_a_column(void **state)
{
	char out[64];

	(void)state;
	tui_clean("a\xe6\x97\xa5" "b\xc3\xa9" "c", 0, out, sizeof out);
	/* A wide character takes two columns, so two marks. */
	assert_string_equal(out, "a??b?c");
	tui_clean("Run 1 \xc2\xb7 p \xe2\x94\x82 \xe2\x9c\x93", 0, out,
	    sizeof out);
	assert_string_equal(out, "Run 1 . p | +");
}

static void
fit_never_splits_wide_character(void **state)
{
	char out[64];

	(void)state;
	/* 日本語 is 6 columns; 5 columns hold two characters and a space. */
	tui_fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5, 1, 1, out,
	    sizeof out);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac ");
	assert_int_equal(text_width(out), 5);
	tui_fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5, 0, 1, out,
	    sizeof out);
	assert_int_equal(text_width(out), 4);
}

static void
fit_right_pads_on_the_left(void **state)
{
	char out[64];

	(void)state;
	tui_fit_right("12s", 6, 1, out, sizeof out);
	assert_string_equal(out, "   12s");
	tui_fit_right("\xe5\xad\xa6", 3, 1, out, sizeof out);
	assert_string_equal(out, " \xe5\xad\xa6");
}

static void
cells_measure_like_wcwidth(void **state)
{
	wchar_t cells[16];
	size_t n;
	int used = 0;

	(void)state;
	n = tui_cells("a\xe6\x97\xa5" "b", 10, 1, cells, 16, &used);
	assert_int_equal(n, 3);
	assert_int_equal(used, 4);
	assert_int_equal(cells[1], 0x65e5);
	/* The wide character does not fit in the third column. */
	n = tui_cells("ab\xe6\x97\xa5", 3, 1, cells, 16, &used);
	assert_int_equal(n, 2);
	assert_int_equal(used, 2);
}

static void
cells_replace_what_has_no_width(void **state)
{
	wchar_t cells[16];
	size_t n;
	int used = 0;

	(void)state;
	/* A control character and an invalid byte become U+FFFD. */
	n = tui_cells("a\x07" "b\xff", 10, 1, cells, 16, &used);
	assert_int_equal(n, 4);
	assert_int_equal(cells[1], 0xfffd);
	assert_int_equal(cells[3], 0xfffd);
	assert_int_equal(used, 4);
	/* A combining mark with nothing before it is dropped. */
	n = tui_cells("\xcc\x81x", 10, 1, cells, 16, &used);
	assert_int_equal(n, 1);
	assert_int_equal(cells[0], 'x');
}

static void
wrap_len_cuts_at_columns(void **state)
{
	const char *s = "abc\xe6\x97\xa5\xe6\x9c\xac";

	(void)state;
	assert_int_equal(tui_wrap_len(s, 4), 3);
	assert_int_equal(tui_wrap_len(s, 5), 6);
	/* At least one character, even when it is wider than the width. */
	assert_int_equal(tui_wrap_len("\xe6\x97\xa5", 1), 3);
	assert_int_equal(tui_wrap_len("", 5), 0);
}

static void
skip_cols_skips_wide_whole(void **state)
{
	const char *s = "\xe6\x97\xa5\xe6\x9c\xac" "ab";

	(void)state;
	assert_int_equal(tui_skip_cols(s, 2), 3);
	/* One column into a wide character skips all of it. */
	assert_int_equal(tui_skip_cols(s, 3), 6);
	assert_int_equal(tui_skip_cols(s, 100), strlen(s));
	/* A control character is not a mark: it stays for the sanitizer. */
	assert_int_equal(tui_skip_cols("\x1b]0;t\x07", 0), 0);
	assert_int_equal(tui_skip_cols("a\x1b[31m", 1), 1);
	/* A combining acute accent goes with the e before it. */
	assert_int_equal(tui_skip_cols("e\xcc\x81x", 1), 3);
}

static void
bar_has_exact_width(void **state)
{
	char out[256];

	(void)state;
	tui_bar(0.5, 4, 0, out, sizeof out);
	assert_string_equal(out, FULL FULL SHADE SHADE);
	tui_bar(0.125, 4, 0, out, sizeof out);
	assert_string_equal(out, HALF SHADE SHADE SHADE);
	assert_int_equal(text_width(out), 4);
	tui_bar(2.0, 3, 1, out, sizeof out);
	assert_string_equal(out, "###");
	tui_bar(NAN, 3, 1, out, sizeof out);
	assert_string_equal(out, "...");
	tui_bar(-1, 2, 0, out, sizeof out);
	assert_string_equal(out, SHADE SHADE);
}

static void
spark_scales_to_largest(void **state)
{
	double v[] = { 0, 50, 100, -1, NAN };
	char out[256];

	(void)state;
	tui_spark(v, 5, 5, 0, out, sizeof out);
	assert_string_equal(out, "\xe2\x96\x81\xe2\x96\x85" FULL "! ");
	tui_spark(v, 3, 5, 1, out, sizeof out);
	assert_string_equal(out, "  .=#");
	/* Only the last values fit. */
	tui_spark(v, 3, 2, 1, out, sizeof out);
	assert_string_equal(out, "=#");
}

static void
chart_rows_stack_up(void **state)
{
	double v[] = { 1.0, 0.5, 0.0, NAN };
	char top[64], bottom[64];

	(void)state;
	tui_chart_row(v, 4, 0, 1, 0, 2, 1, top, sizeof top);
	tui_chart_row(v, 4, 0, 1, 1, 2, 1, bottom, sizeof bottom);
	assert_string_equal(top, "#   ");
	assert_string_equal(bottom, "##. ");
}

static void
durations_are_compact(void **state)
{
	char out[32];

	(void)state;
	tui_fmt_duration(850, out, sizeof out);
	assert_string_equal(out, "850ms");
	tui_fmt_duration(12400, out, sizeof out);
	assert_string_equal(out, "12.4s");
	tui_fmt_duration(245000, out, sizeof out);
	assert_string_equal(out, "4m05");
	tui_fmt_duration(7800000, out, sizeof out);
	assert_string_equal(out, "2h10m");
	tui_fmt_duration(3 * 86400000 + 4 * 3600000, out, sizeof out);
	assert_string_equal(out, "3d04h");
	tui_fmt_duration(-1, out, sizeof out);
	assert_string_equal(out, "-");
	tui_fmt_age(125000, out, sizeof out);
	assert_string_equal(out, "2m");
	tui_fmt_age(-5, out, sizeof out);
	assert_string_equal(out, "0s");
}

static void
percentages_keep_nines(void **state)
{
	char out[32];

	(void)state;
	tui_fmt_pct(0.9995, out, sizeof out);
	assert_string_equal(out, "99.95%");
	tui_fmt_pct(0.5, out, sizeof out);
	assert_string_equal(out, "50%");
	tui_fmt_pct(0.012, out, sizeof out);
	assert_string_equal(out, "1.2%");
	tui_fmt_pct(-9, out, sizeof out);
	assert_string_equal(out, "-900%");
	tui_fmt_pct(NAN, out, sizeof out);
	assert_string_equal(out, "-");
}

static void
find_ignores_ascii_case(void **state)
{
	const char *hay = "Stage TRAIN failed";

	(void)state;
	assert_ptr_equal(tui_find(hay, "train"), hay + 6);
	assert_null(tui_find(hay, "predict"));
	assert_ptr_equal(tui_find(hay, ""), hay);
}

static void
median_of_even_and_odd(void **state)
{
	int64_t odd[] = { 9, 1, 5 }, even[] = { 4, 1, 3, 2 };

	(void)state;
	assert_int_equal(tui_median(odd, 3), 5);
	assert_int_equal(tui_median(even, 4), 2);
	assert_int_equal(tui_median(odd, 0), -1);
}

static void
table_drops_low_priority_columns(void **state)
{
	struct tui_col c[] = {
		{ "NAME", 10, 0, 1, 9, 0, 0 },
		{ "STATE", 8, 0, 0, 5, 0, 0 },
		{ "EXTRA", 20, 0, 0, 1, 0, 0 },
	};

	(void)state;
	tui_table_layout(c, 3, 80);
	assert_int_equal(c[2].w, 20);
	/* The flex column takes what is left: 80 - 8 - 20 - 2 spaces. */
	assert_int_equal(c[0].w, 50);
	assert_int_equal(c[1].x, 51);
	tui_table_layout(c, 3, 30);
	assert_int_equal(c[2].w, 0);
	assert_int_equal(c[0].w + 1 + c[1].w, 30);
	tui_table_layout(c, 3, 5);
	assert_int_equal(c[1].w, 0);
	assert_int_equal(c[0].w, 5);
}

static void
table_header_widens_column(void **state)
{
	struct tui_col c[] = {
		{ "\xe6\x89\x80\xe8\xa6\x81\xe6\x99\x82\xe9\x96\x93", 4, 1, 0,
		  9, 0, 0 },
	};

	(void)state;
	/* 所要時間 takes 8 columns, more than the width asked for. */
	tui_table_layout(c, 1, 40);
	assert_int_equal(c[0].w, 8);
}

static void
list_keeps_selection_visible(void **state)
{
	struct tui_list l = { 0, 0 };

	(void)state;
	tui_list_move(&l, 10, 7);
	tui_list_fix(&l, 10, 3);
	assert_int_equal(l.sel, 7);
	assert_int_equal(l.top, 5);
	tui_list_move(&l, 10, -100);
	tui_list_fix(&l, 10, 3);
	assert_int_equal(l.sel, 0);
	assert_int_equal(l.top, 0);
	l.sel = 50;
	tui_list_fix(&l, 4, 3);
	assert_int_equal(l.sel, 3);
	assert_int_equal(l.top, 1);
	tui_list_fix(&l, 0, 3);
	assert_int_equal(l.sel, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_removes_escapes_and_controls),
		cmocka_unit_test(clean_ascii_uses_one_mark_a_column),
		cmocka_unit_test(fit_never_splits_wide_character),
		cmocka_unit_test(fit_right_pads_on_the_left),
		cmocka_unit_test(cells_measure_like_wcwidth),
		cmocka_unit_test(cells_replace_what_has_no_width),
		cmocka_unit_test(wrap_len_cuts_at_columns),
		cmocka_unit_test(skip_cols_skips_wide_whole),
		cmocka_unit_test(bar_has_exact_width),
		cmocka_unit_test(spark_scales_to_largest),
		cmocka_unit_test(chart_rows_stack_up),
		cmocka_unit_test(durations_are_compact),
		cmocka_unit_test(percentages_keep_nines),
		cmocka_unit_test(find_ignores_ascii_case),
		cmocka_unit_test(median_of_even_and_odd),
		cmocka_unit_test(table_drops_low_priority_columns),
		cmocka_unit_test(table_header_widens_column),
		cmocka_unit_test(list_keeps_selection_visible),
	};

	return cmocka_run_group_tests(tests, setup_locale, NULL);
}
