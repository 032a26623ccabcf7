#include "table.h"

#include <stdio.h>
#include <string.h>

#include "core/text.h"

void
table_init(struct table *t, size_t ncols, const char *const *headers)
{
	const char *row[TABLE_MAX_COLUMNS];
	size_t c;

	t->ncols = ncols > TABLE_MAX_COLUMNS ? TABLE_MAX_COLUMNS : ncols;
	t->nrows = 0;
	for (c = 0; c < t->ncols; c++) {
		t->right[c] = headers[c][0] == '>';
		row[c] = headers[c] + (t->right[c] ? 1 : 0);
	}
	table_add(t, row);
}

void
table_add(struct table *t, const char *const *cells)
{
	size_t c;

	if (t->nrows == TABLE_MAX_ROWS)
		return;
	for (c = 0; c < t->ncols; c++)
		text_fit(cells[c] != NULL ? cells[c] : "", TABLE_CELL_MAX / 3,
		    0, t->cells[t->nrows][c], TABLE_CELL_MAX);
	t->nrows++;
}

void
table_print(const struct table *t, FILE *out, int indent)
{
	size_t width[TABLE_MAX_COLUMNS] = { 0 };
	size_t r, c, w, pad;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			w = text_width(t->cells[r][c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		fprintf(out, "%*s", indent, "");
		for (c = 0; c < t->ncols; c++) {
			pad = width[c] - text_width(t->cells[r][c]);
			if (t->right[c])
				fprintf(out, "%*s%s", (int)pad, "",
				    t->cells[r][c]);
			else if (c + 1 < t->ncols)
				fprintf(out, "%s%*s", t->cells[r][c], (int)pad,
				    "");
			else
				fputs(t->cells[r][c], out);
			if (c + 1 < t->ncols)
				fputs("  ", out);
		}
		fputc('\n', out);
	}
}
