#include "pipeline/ftable.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/i18n.h"
#include "pipeline/csv.h"
#include "pipeline/decimal.h"

/* The reader and the place in the file, for messages. */
struct ftable_load {
	struct csv_reader reader;   /* the open file */
	const char *path;           /* its path */
	uint64_t size;              /* its size in bytes, for progress */
	evfile_progress_fn progress; /* where progress goes, or NULL */
	void *arg;                  /* argument of progress */
};

void
ftable_free(struct ftable *t)
{
	size_t i;

	for (i = 0; i < t->n_features && t->names != NULL; i++)
		free(t->names[i]);
	free(t->names);
	free(t->x);
	free(t->label);
	free(t->ids);
	free(t->id_offsets);
	memset(t, 0, sizeof *t);
}

const char *
ftable_id(const struct ftable *t, size_t row)
{
	return t->ids + t->id_offsets[row];
}

long
ftable_find(const struct ftable *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_features; i++) {
		if (strcmp(t->names[i], name) == 0)
			return (long)i;
	}
	return -1;
}

static int
ftable_read_header(struct ftable *t, struct ftable_load *ld,
		   struct wk_err *err)
{
	struct csv_record rec;
	size_t i;
	int rc;

	rc = csv_next(&ld->reader, ld->path, &rec, err);
	if (rc == CSV_EOF || (rc == WK_OK && (rec.bad != CSV_BAD_NONE ||
	    rec.n_fields < 3 || strcmp(rec.fields[0].data, "user_id") != 0 ||
	    strcmp(rec.fields[1].data, "label") != 0)))
		return wk_err_set(err, WK_ERR_INVALID, _("%s:1: the header must "
		    "be user_id,label and at least one feature name; write "
		    "the file with churn features"), ld->path);
	if (rc != WK_OK)
		return rc;
	if (rec.n_fields - 2 > FTABLE_FEATURES_MAX)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:1: %zu features, "
		    "more than the %d allowed"), ld->path, rec.n_fields - 2,
		    FTABLE_FEATURES_MAX);

	t->names = calloc(rec.n_fields - 2, sizeof *t->names);
	if (t->names == NULL)
		return WK_ERR_NOMEM;
	t->n_features = rec.n_fields - 2;
	for (i = 0; i < t->n_features; i++) {
		t->names[i] = strdup(rec.fields[i + 2].data);
		if (t->names[i] == NULL)
			return WK_ERR_NOMEM;
	}
	return WK_OK;
}

/* Makes room for one more row and an id of len bytes. */
static int
ftable_reserve(struct ftable *t, size_t id_len)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows == 0 ? 1024 : t->cap_rows * 2;
		double *x;
		int8_t *label;
		uint64_t *off;

		x = realloc(t->x, cap * t->n_features * sizeof *x);
		if (x == NULL)
			return WK_ERR_NOMEM;
		t->x = x;
		label = realloc(t->label, cap * sizeof *label);
		if (label == NULL)
			return WK_ERR_NOMEM;
		t->label = label;
		off = realloc(t->id_offsets, cap * sizeof *off);
		if (off == NULL)
			return WK_ERR_NOMEM;
		t->id_offsets = off;
		t->cap_rows = cap;
	}
	if (t->ids_len + id_len + 1 > t->ids_cap) {
		size_t cap = t->ids_cap == 0 ? 65536 : t->ids_cap * 2;
		char *ids;

		while (cap < t->ids_len + id_len + 1)
			cap *= 2;
		ids = realloc(t->ids, cap);
		if (ids == NULL)
			return WK_ERR_NOMEM;
		t->ids = ids;
		t->ids_cap = cap;
	}
	return WK_OK;
}

/* Parses the label field: "0", "1" or "" (FTABLE_NO_LABEL). */
static int
ftable_parse_label(const struct csv_field *f, int8_t *label)
{
	if (f->len == 0)
		*label = FTABLE_NO_LABEL;
	else if (f->len == 1 && (f->data[0] == '0' || f->data[0] == '1'))
		*label = (int8_t)(f->data[0] - '0');
	else
		return WK_ERR_INVALID;
	return WK_OK;
}

static int
ftable_check_row(const struct ftable *t, const struct ftable_load *ld,
		 const struct csv_record *rec, struct wk_err *err)
{
	if (rec->bad != CSV_BAD_NONE)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ": the "
		    "row cannot be read (%s)"), ld->path, rec->line,
		    _(csv_bad_name(rec->bad)));
	if (rec->n_fields != t->n_features + 2)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ": %zu "
		    "fields, but the header has %zu"), ld->path, rec->line,
		    rec->n_fields, t->n_features + 2);
	if (rec->fields[0].len == 0)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ":1: "
		    "the user id is empty"), ld->path, rec->line);
	return WK_OK;
}

/* Stores one data row. */
static int
ftable_add_row(struct ftable *t, const struct ftable_load *ld,
	       const struct csv_record *rec, struct wk_err *err)
{
	double *x;
	size_t i;
	int rc;

	rc = ftable_check_row(t, ld, rec, err);
	if (rc != WK_OK)
		return rc;
	if (ftable_reserve(t, rec->fields[0].len) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory at %s:%"
		    PRIu64), ld->path, rec->line);
	if (ftable_parse_label(&rec->fields[1], &t->label[t->n_rows]) != WK_OK)
		return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64 ":2: "
		    "label '%s' is not 0, 1 or empty"), ld->path, rec->line,
		    rec->fields[1].data);
	x = t->x + t->n_rows * t->n_features;
	for (i = 0; i < t->n_features; i++) {
		const struct csv_field *f = &rec->fields[i + 2];

		if (decimal_parse(f->data, f->len, 0, &x[i]) != WK_OK)
			return wk_err_set(err, WK_ERR_INVALID, _("%s:%" PRIu64
			    ":%zu: %s '%s' is not a finite decimal number"),
			    ld->path, rec->line, i + 3, t->names[i], f->data);
	}

	if (t->label[t->n_rows] == FTABLE_NO_LABEL &&
	    t->first_unlabelled_line == 0)
		t->first_unlabelled_line = rec->line;
	t->id_offsets[t->n_rows] = t->ids_len;
	memcpy(t->ids + t->ids_len, rec->fields[0].data, rec->fields[0].len + 1);
	t->ids_len += rec->fields[0].len + 1;
	t->n_rows++;
	return WK_OK;
}

static int
ftable_read_rows(struct ftable *t, struct ftable_load *ld,
		 struct wk_err *err)
{
	struct csv_record rec;
	int rc;

	while ((rc = csv_next(&ld->reader, ld->path, &rec, err)) == WK_OK) {
		rc = ftable_add_row(t, ld, &rec, err);
		if (rc != WK_OK)
			return rc;
		if (ld->progress != NULL && t->n_rows % 4096 == 0 &&
		    ld->size > 0)
			ld->progress(ld->arg, (double)ld->reader.offset /
			    (double)ld->size);
	}
	return rc == CSV_EOF ? WK_OK : rc;
}

int
ftable_load(struct ftable *t, const char *path, evfile_progress_fn progress,
	    void *arg, struct wk_err *err)
{
	struct ftable_load ld = { .path = path, .progress = progress,
	    .arg = arg };
	struct stat st;
	int rc;

	memset(t, 0, sizeof *t);
	rc = csv_open(&ld.reader, path, CSV_MODE_RFC4180, 0, err);
	if (rc != WK_OK)
		return rc;
	if (fstat(ld.reader.fd, &st) == 0 && st.st_size > 0)
		ld.size = (uint64_t)st.st_size;

	rc = ftable_read_header(t, &ld, err);
	if (rc == WK_OK)
		rc = ftable_read_rows(t, &ld, err);
	if (rc == WK_ERR_NOMEM)
		wk_err_set(err, rc, _("out of memory reading '%s'"), path);
	csv_close(&ld.reader);
	if (rc != WK_OK)
		ftable_free(t);
	return rc;
}
