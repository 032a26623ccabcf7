/*
 * Plain-text tables for the command line, aligned by display width, so
 * that Japanese headers and stage names keep their columns.
 */
#ifndef WK_TABLE_H
#define WK_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLUMNS 12
#define TABLE_MAX_ROWS 512
#define TABLE_CELL_MAX 160   /* bytes kept of one cell */

struct table {
	size_t ncols;                                 /* columns in use */
	size_t nrows;                                 /* rows, header first */
	int right[TABLE_MAX_COLUMNS];                 /* right-align column */
	char cells[TABLE_MAX_ROWS][TABLE_MAX_COLUMNS][TABLE_CELL_MAX];
};

/* Starts a table with its header cells; a header starting with '>' is
 * right-aligned (the '>' is not printed). */
void table_init(struct table *t, size_t ncols, const char *const *headers);

/* Adds a row of ncols cells; rows past TABLE_MAX_ROWS are dropped. */
void table_add(struct table *t, const char *const *cells);

/* Prints the table with indent spaces before every line. */
void table_print(const struct table *t, FILE *out, int indent);

#endif
