#include "pipeline/evsort.h"

#include <stdlib.h>
#include <string.h>

#include "core/rc.h"

/* A string of an interning table, for sorting by bytes. */
struct evsort_key {
	const char *text;  /* the string, in the table's arena */
	uint32_t len;      /* bytes */
	uint32_t index;    /* index in the table */
};

static int
evsort_compare_keys(const void *a, const void *b)
{
	const struct evsort_key *x = a, *y = b;
	int c = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static int
evsort_compare_records(const void *a, const void *b)
{
	const struct evfile_record *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return (x->value > y->value) - (x->value < y->value);
}

/*
 * Sorts the strings of t by bytes and stores, for each index, its rank in
 * that order (*rank, owned by the caller) and the sorted keys (*keys).
 */
static int
evsort_rank(const struct strtab *t, uint32_t **rank, struct evsort_key **keys)
{
	uint32_t i;

	*keys = malloc(((size_t)t->n + 1) * sizeof **keys);
	*rank = malloc(((size_t)t->n + 1) * sizeof **rank);
	if (*keys == NULL || *rank == NULL)
		return WK_ERR_NOMEM;

	for (i = 0; i < t->n; i++) {
		size_t len;

		(*keys)[i].text = strtab_get(t, i, &len);
		(*keys)[i].len = (uint32_t)len;
		(*keys)[i].index = i;
	}
	qsort(*keys, t->n, sizeof **keys, evsort_compare_keys);
	for (i = 0; i < t->n; i++)
		(*rank)[(*keys)[i].index] = i;
	return WK_OK;
}

/*
 * Builds the user table from the sorted keys and the record counts by
 * rank: first_event is the running sum of the counts.
 */
static int
evsort_user_table(const struct strtab *t, const struct evsort_key *keys,
		  const uint64_t *counts, struct evfile_user *users)
{
	uint64_t first = 0;
	uint32_t r;

	for (r = 0; r < t->n; r++) {
		if (counts[r] > UINT32_MAX)
			return WK_ERR_LIMIT;
		users[r].first_event = first;
		users[r].n_events = (uint32_t)counts[r];
		users[r].text_offset = t->entries[keys[r].index].offset;
		users[r].text_len = keys[r].len;
		first += counts[r];
	}
	return WK_OK;
}

static void
evsort_name_table(const struct strtab *t, const struct evsort_key *keys,
		  const uint64_t *counts, struct evfile_name *names)
{
	uint32_t r;

	for (r = 0; r < t->n; r++) {
		names[r].text_offset = t->entries[keys[r].index].offset;
		names[r].text_len = keys[r].len;
		names[r].n_events = counts[r];
		names[r].reserved = 0;
	}
}

/*
 * Moves every record into its user's slot [first_event, first_event +
 * n_events). next[u] is the next free place of user u's slot. A record
 * taken from a wrong place goes straight to its own slot, displacing one
 * record there that continues the cycle, so each record moves once.
 */
static void
evsort_permute(struct evfile_record *recs, const struct evfile_user *users,
	       uint64_t *next, uint32_t n_users, evfile_progress_fn progress,
	       void *arg)
{
	uint32_t u;

	for (u = 0; u < n_users; u++)
		next[u] = users[u].first_event;
	for (u = 0; u < n_users; u++) {
		uint64_t end = users[u].first_event + users[u].n_events;

		while (next[u] < end) {
			struct evfile_record r = recs[next[u]];

			while (r.user != u) {
				struct evfile_record displaced;

				displaced = recs[next[r.user]];
				recs[next[r.user]++] = r;
				r = displaced;
			}
			recs[next[u]++] = r;
		}
		if (progress != NULL && u % 65536 == 0)
			progress(arg, 0.5 * u / n_users);
	}
}

/* Sorts each user's records by time, name and value, unless they are. */
static void
evsort_within_users(struct evfile_record *recs,
		    const struct evfile_user *users, uint32_t n_users,
		    evfile_progress_fn progress, void *arg)
{
	uint32_t u;

	for (u = 0; u < n_users; u++) {
		struct evfile_record *r = recs + users[u].first_event;
		uint32_t i, n = users[u].n_events;

		for (i = 1; i < n; i++) {
			if (evsort_compare_records(&r[i - 1], &r[i]) > 0)
				break;
		}
		if (i < n)
			qsort(r, n, sizeof *r, evsort_compare_records);
		if (progress != NULL && u % 65536 == 0)
			progress(arg, 0.5 + 0.5 * u / n_users);
	}
}

/* Replaces the interning indices by ranks and counts records by rank. */
static void
evsort_remap(struct evfile_record *recs, uint64_t n, const uint32_t *user_rank,
	     const uint32_t *name_rank, uint64_t *user_counts,
	     uint64_t *name_counts)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		recs[i].user = user_rank[recs[i].user];
		user_counts[recs[i].user]++;
		if (name_rank != NULL) {
			recs[i].name = name_rank[recs[i].name];
			name_counts[recs[i].name]++;
		}
	}
}

int
evsort_run(struct evfile_record *records, uint64_t n,
	   const struct strtab *users, const struct strtab *names,
	   struct evsort_tables *out, evfile_progress_fn progress, void *arg)
{
	static const struct strtab no_names;
	struct evsort_key *user_keys = NULL, *name_keys = NULL;
	uint32_t *user_rank = NULL, *name_rank = NULL;
	uint64_t *user_counts = NULL, *name_counts = NULL;
	int rc = WK_ERR_NOMEM;

	memset(out, 0, sizeof *out);
	if (names == NULL)
		names = &no_names;
	if (evsort_rank(users, &user_rank, &user_keys) != WK_OK ||
	    evsort_rank(names, &name_rank, &name_keys) != WK_OK)
		goto out;
	user_counts = calloc((size_t)users->n + 1, sizeof *user_counts);
	name_counts = calloc((size_t)names->n + 1, sizeof *name_counts);
	out->users = malloc(((size_t)users->n + 1) * sizeof *out->users);
	out->names = malloc(((size_t)names->n + 1) * sizeof *out->names);
	if (user_counts == NULL || name_counts == NULL || out->users == NULL ||
	    out->names == NULL)
		goto out;

	evsort_remap(records, n, user_rank, names->n > 0 ? name_rank : NULL,
	    user_counts, name_counts);
	rc = evsort_user_table(users, user_keys, user_counts, out->users);
	if (rc != WK_OK)
		goto out;
	evsort_name_table(names, name_keys, name_counts, out->names);

	/* user_counts is no longer needed: reuse it as the cursors. */
	evsort_permute(records, out->users, user_counts, users->n, progress,
	    arg);
	evsort_within_users(records, out->users, users->n, progress, arg);

out:
	free(user_keys);
	free(name_keys);
	free(user_rank);
	free(name_rank);
	free(user_counts);
	free(name_counts);
	if (rc != WK_OK)
		evsort_free(out);
	return rc;
}

void
evsort_free(struct evsort_tables *t)
{
	free(t->users);
	free(t->names);
	t->users = NULL;
	t->names = NULL;
}
