#include "pipeline/evsort.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"

/* A record and its aux value, sorted together. */
struct evsort_pair {
	struct evfile_record rec;  /* the record */
	uint64_t aux;              /* its aux value */
};

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
evsort_permute(struct evfile_record *recs, uint64_t *aux,
	       const struct evfile_user *users, uint64_t *next, uint32_t n_users,
	       evfile_progress_fn progress, void *arg)
{
	uint32_t u;

	for (u = 0; u < n_users; u++)
		next[u] = users[u].first_event;
	for (u = 0; u < n_users; u++) {
		uint64_t end = users[u].first_event + users[u].n_events;

		while (next[u] < end) {
			struct evfile_record r = recs[next[u]];
			uint64_t a = aux != NULL ? aux[next[u]] : 0;

			while (r.user != u) {
				struct evfile_record displaced;
				uint64_t displaced_aux = 0;

				displaced = recs[next[r.user]];
				if (aux != NULL) {
					displaced_aux = aux[next[r.user]];
					aux[next[r.user]] = a;
				}
				recs[next[r.user]++] = r;
				r = displaced;
				a = displaced_aux;
			}
			if (aux != NULL)
				aux[next[u]] = a;
			recs[next[u]++] = r;
		}
		if (progress != NULL && u % 65536 == 0)
			progress(arg, 0.5 * u / n_users);
	}
}

static int
evsort_compare_pairs(const void *a, const void *b)
{
	const struct evsort_pair *x = a, *y = b;
	int c = evsort_compare_records(&x->rec, &y->rec);

	if (c != 0)
		return c;
	return (x->aux > y->aux) - (x->aux < y->aux);
}

/* Sorts n records with their aux values through the scratch pairs. */
static void
evsort_sort_pairs(struct evfile_record *r, uint64_t *aux, uint32_t n,
		  struct evsort_pair *pairs)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		pairs[i] = (struct evsort_pair){ r[i], aux[i] };
	qsort(pairs, n, sizeof *pairs, evsort_compare_pairs);
	for (i = 0; i < n; i++) {
		r[i] = pairs[i].rec;
		aux[i] = pairs[i].aux;
	}
}

/*
 * Sorts each user's records by time, name and value (then aux), unless
 * they are in order already. pairs has room for the largest user.
 */
static void
evsort_within_users(struct evfile_record *recs, uint64_t *aux,
		    const struct evfile_user *users, uint32_t n_users,
		    struct evsort_pair *pairs, evfile_progress_fn progress,
		    void *arg)
{
	uint32_t u;

	for (u = 0; u < n_users; u++) {
		uint64_t first = users[u].first_event;
		struct evfile_record *r = recs + first;
		uint32_t i, n = users[u].n_events;

		for (i = 1; i < n; i++) {
			if (evsort_compare_records(&r[i - 1], &r[i]) > 0)
				break;
		}
		if (i < n && aux != NULL)
			evsort_sort_pairs(r, aux + first, n, pairs);
		else if (i < n)
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

/* Returns scratch pairs for the largest user when aux is in use. */
static struct evsort_pair *
evsort_alloc_pairs(const struct evfile_user *users, uint32_t n_users)
{
	uint32_t u, max_events = 1;

	for (u = 0; u < n_users; u++) {
		if (users[u].n_events > max_events)
			max_events = users[u].n_events;
	}
	return malloc((size_t)max_events * sizeof(struct evsort_pair));
}

int
evsort_run(struct evfile_record *records, uint64_t *aux, uint64_t n,
	   const struct strtab *users, const struct strtab *names,
	   struct evsort_tables *out, evfile_progress_fn progress, void *arg)
{
	static const struct strtab no_names;
	struct evsort_key *user_keys = NULL, *name_keys = NULL;
	uint32_t *user_rank = NULL, *name_rank = NULL;
	uint64_t *user_counts = NULL, *name_counts = NULL;
	struct evsort_pair *pairs = NULL;
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

	if (aux != NULL && (pairs = evsort_alloc_pairs(out->users,
	    users->n)) == NULL) {
		rc = WK_ERR_NOMEM;
		goto out;
	}
	/* user_counts is no longer needed: reuse it as the cursors. */
	evsort_permute(records, aux, out->users, user_counts, users->n,
	    progress, arg);
	evsort_within_users(records, aux, out->users, users->n, pairs,
	    progress, arg);

out:
	free(pairs);
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

static bool
evsort_same_event(const struct evfile_record *a, const struct evfile_record *b)
{
	return a->time_ms == b->time_ms && a->name == b->name &&
	    a->value == b->value;
}

/* Appends a duplicate pair, growing the array by half when full. */
static int
evsort_push_dup(struct evsort_dups *d, uint64_t aux, uint64_t first_aux)
{
	if (d->n == d->cap) {
		uint64_t cap = d->cap < 64 ? 64 : d->cap + d->cap / 2;
		struct evsort_dup *items = realloc(d->items,
		    (size_t)cap * sizeof *items);

		if (items == NULL)
			return WK_ERR_NOMEM;
		d->items = items;
		d->cap = cap;
	}
	d->items[d->n++] = (struct evsort_dup){ aux, first_aux };
	return WK_OK;
}

/* Finds one user's duplicates and moves the records it keeps to *w. */
static int
evsort_dedup_user(struct evfile_record *recs, const uint64_t *aux,
		  struct evsort_tables *t, uint32_t u, bool drop, uint64_t *w,
		  struct evsort_dups *d)
{
	uint64_t first = t->users[u].first_event, i, run = first;
	uint64_t end = first + t->users[u].n_events;

	t->users[u].first_event = *w;
	for (i = first; i < end; i++) {
		if (i > first && evsort_same_event(&recs[i], &recs[run])) {
			if (evsort_push_dup(d, aux[i], aux[run]) != WK_OK)
				return WK_ERR_NOMEM;
			if (drop && recs[i].name != EVFILE_NO_NAME)
				t->names[recs[i].name].n_events--;
			if (drop)
				continue;
		} else {
			run = i;
		}
		recs[(*w)++] = recs[i];
	}
	t->users[u].n_events = (uint32_t)(*w - t->users[u].first_event);
	return WK_OK;
}

int
evsort_dedup(struct evfile_record *recs, const uint64_t *aux, uint64_t *n,
	     struct evsort_tables *t, uint32_t n_users, bool drop,
	     struct evsort_dups *dups)
{
	uint64_t w = 0;
	uint32_t u;

	memset(dups, 0, sizeof *dups);
	for (u = 0; u < n_users; u++) {
		if (evsort_dedup_user(recs, aux, t, u, drop, &w, dups) !=
		    WK_OK)
			return WK_ERR_NOMEM;
	}
	*n = w;
	return WK_OK;
}
