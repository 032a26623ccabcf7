#include "pipeline/features.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"

#define FEAT_LIST_MAX 256  /* bytes of the list of names in a message */

/* An event name and its events, for picking the most frequent. */
struct feat_name_count {
	uint64_t count;    /* events with this name */
	const char *text;  /* the name */
	uint32_t len;      /* bytes of text */
	uint32_t name;     /* index in the name table */
};

/* Orders by count, the most first, then by name bytes. */
static int
feat_compare_counts(const void *a, const void *b)
{
	const struct feat_name_count *x = a, *y = b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static bool
feat_column_taken(const struct feat_top *top, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++) {
		if (strcmp(top->columns[j], top->columns[k]) == 0)
			return true;
	}
	return false;
}

/*
 * Names the column of the k-th picked event. Two names can map to the
 * same column name ("Sign Up" and "sign-up"), so a number is appended
 * until it is unique.
 */
static void
feat_name_top_column(struct feat_top *top, size_t k, const char *name)
{
	char base[FEAT_COLUMN_MAX - 12];  /* room for "_" and 10 digits */
	int suffix = 1;

	feat_event_column(name, base, sizeof base);
	snprintf(top->columns[k], FEAT_COLUMN_MAX, "%s", base);
	while (feat_column_taken(top, k))
		snprintf(top->columns[k], FEAT_COLUMN_MAX, "%s_%d", base,
		    ++suffix);
}

int
feat_pick_top(const struct evfile *ef, size_t max, struct feat_top *top,
	      struct wk_err *err)
{
	uint64_t n_names = ef->header->n_names, i;
	struct feat_name_count *counts;
	size_t k;

	memset(top, 0, sizeof *top);
	if (n_names == 0 || max == 0)
		return WK_OK;
	counts = malloc(n_names * sizeof *counts);
	top->name_column = malloc(n_names * sizeof *top->name_column);
	if (counts == NULL || top->name_column == NULL) {
		free(counts);
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	}

	for (i = 0; i < n_names; i++) {
		counts[i].name = (uint32_t)i;
		counts[i].count = ef->names[i].n_events;
		counts[i].text = evfile_name(ef, (uint32_t)i);
		counts[i].len = ef->names[i].text_len;
		top->name_column[i] = FEAT_NO_COLUMN;
	}
	qsort(counts, n_names, sizeof *counts, feat_compare_counts);
	for (k = 0; k < max && k < n_names; k++) {
		top->name_column[counts[k].name] = (uint32_t)k;
		feat_name_top_column(top, k, evfile_name(ef, counts[k].name));
	}
	top->n = k;
	free(counts);
	return WK_OK;
}

/* Lists the first event names of the file, for a message. */
static void
feat_list_names(const struct evfile *ef, char *out, size_t size)
{
	size_t used = 0;
	uint64_t i;

	out[0] = '\0';
	for (i = 0; i < ef->header->n_names && used + 8 < size; i++) {
		int n = snprintf(out + used, size - used, "%s'%s'",
		    i > 0 ? ", " : "", evfile_name(ef, (uint32_t)i));

		used += n > 0 ? (size_t)n : 0;
	}
	if (used >= size - 8 && i < ef->header->n_names)
		snprintf(out + size - 5, 5, "...");
}

/* Sets the flag of the name of len bytes at text. */
static int
feat_flag_name(const struct evfile *ef, const char *text, size_t len,
	       uint8_t *flags, struct wk_err *err)
{
	char names[FEAT_LIST_MAX];
	uint64_t i;

	for (i = 0; i < ef->header->n_names; i++) {
		if (ef->names[i].text_len == len &&
		    memcmp(evfile_name(ef, (uint32_t)i), text, len) == 0) {
			flags[i] = 1;
			return WK_OK;
		}
	}
	feat_list_names(ef, names, sizeof names);
	return wk_err_set(err, WK_ERR_INVALID, _("--churn-events: the event "
	    "file has no event named '%.*s'; its names are %s"), (int)len,
	    text, names[0] != '\0' ? names : _("none"));
}

int
feat_churn_events(const struct evfile *ef, const char *list, uint8_t *flags,
		  struct wk_err *err)
{
	const char *p = list;
	int rc = WK_OK;

	while (rc == WK_OK) {
		size_t len = strcspn(p, ",");
		const char *start = p, *end = p + len;

		while (start < end && *start == ' ')
			start++;
		while (end > start && end[-1] == ' ')
			end--;
		if (start == end)
			return wk_err_set(err, WK_ERR_INVALID, _("--churn-events "
			    "'%s' has an empty name; separate names with "
			    "single commas, like \"Cancellation Confirmation,"
			    "Submit Downgrade\""), list);
		rc = feat_flag_name(ef, start, (size_t)(end - start), flags,
		    err);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return rc;
}
