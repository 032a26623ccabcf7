#include "pipeline/split.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/csv.h"
#include "pipeline/outfile.h"

static uint64_t
split_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

double
split_unit(const char *user_id, uint64_t seed, enum split_stream s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	uint64_t golden = UINT64_C(0x9e3779b97f4a7c15);
	const unsigned char *p;

	for (p = (const unsigned char *)user_id; *p != '\0'; p++) {
		h ^= *p;
		h *= UINT64_C(1099511628211);
	}
	/* Stream 0 keeps the mapping of earlier versions of the split. */
	h = split_mix64(h ^ split_mix64(seed + golden * ((uint64_t)s + 1)));
	return (double)(h >> 11) * 0x1p-53;
}

static int
split_reserve(struct split_set *set, const struct ftable *t, size_t cap,
	      bool folds)
{
	set->t = t;
	set->n = 0;
	set->positives = 0;
	set->rows = malloc((cap + 1) * sizeof *set->rows);
	set->fold = folds ? malloc(cap + 1) : NULL;
	if (set->rows == NULL || (folds && set->fold == NULL))
		return WK_ERR_NOMEM;
	return WK_OK;
}

static void
split_add(struct split_set *set, size_t row, uint8_t fold)
{
	if (set->fold != NULL)
		set->fold[set->n] = fold;
	set->rows[set->n++] = row;
	set->positives += set->t->label[row] == 1;
}

/* Puts the training users of train into fit and validation. */
static void
split_training(const struct ftable *train, const struct split_plan *plan,
	       struct split_sets *out)
{
	size_t i;

	for (i = 0; i < train->n_rows; i++) {
		const char *id = ftable_id(train, i);
		unsigned fold;

		if (!out->out_of_time &&
		    split_unit(id, plan->seed, SPLIT_STREAM_HOLDOUT) <
		    plan->holdout) {
			split_add(&out->holdout, i, 0);
			continue;
		}
		if (split_unit(id, plan->seed, SPLIT_STREAM_VALIDATION) <
		    plan->validation) {
			split_add(&out->validation, i, 0);
			continue;
		}
		fold = (unsigned)(split_unit(id, plan->seed, SPLIT_STREAM_FOLD) *
		    plan->folds);
		split_add(&out->fit, i, (uint8_t)fold);
	}
}

int
split_assign(const struct ftable *train, const struct ftable *eval,
	     const struct split_plan *plan, struct split_sets *out)
{
	const struct ftable *hold_table = eval != NULL ? eval : train;
	size_t i;

	memset(out, 0, sizeof *out);
	out->out_of_time = eval != NULL;
	if (split_reserve(&out->fit, train, train->n_rows, true) != WK_OK ||
	    split_reserve(&out->validation, train, train->n_rows,
	    false) != WK_OK ||
	    split_reserve(&out->holdout, hold_table, hold_table->n_rows,
	    false) != WK_OK) {
		split_free(out);
		return WK_ERR_NOMEM;
	}

	split_training(train, plan, out);
	for (i = 0; eval != NULL && i < eval->n_rows; i++)
		split_add(&out->holdout, i, 0);
	return WK_OK;
}

void
split_free(struct split_sets *s)
{
	free(s->fit.rows);
	free(s->fit.fold);
	free(s->validation.rows);
	free(s->holdout.rows);
	memset(s, 0, sizeof *s);
}

static void
split_write_set(struct outfile *of, const struct split_set *set,
		const char *source, const char *part)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const char *id = ftable_id(set->t, set->rows[i]);

		outfile_printf(of, "%s,", source);
		csv_write_field(of, id, strlen(id));
		if (set->fold != NULL)
			outfile_printf(of, ",%s,%u\n", part,
			    (unsigned)set->fold[i]);
		else
			outfile_printf(of, ",%s,\n", part);
	}
}

int
split_write(const struct split_sets *s, const char *path,
	    struct wk_err *err)
{
	struct outfile of;

	if (outfile_open(&of, path, err) != WK_OK)
		return WK_ERR_IO;
	outfile_puts(&of, "source,user_id,part,fold\n");
	split_write_set(&of, &s->fit, "features", "fit");
	split_write_set(&of, &s->validation, "features", "validation");
	split_write_set(&of, &s->holdout,
	    s->out_of_time ? "evaluation" : "features", "holdout");
	return outfile_commit(&of, err);
}
