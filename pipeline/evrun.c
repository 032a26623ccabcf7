#include "pipeline/evrun.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"

#define EVRUN_RADIX_BITS 11                       /* bits a radix pass */
#define EVRUN_RADIX_SIZE (1u << EVRUN_RADIX_BITS)  /* buckets a pass */
#define EVRUN_INSERTION_MAX 16  /* groups this small use insertion sort */

int
evrun_compare(const struct evrun_rec *a, const struct evrun_rec *b)
{
	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	if (a->name != b->name)
		return a->name < b->name ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return (a->offset > b->offset) - (a->offset < b->offset);
}

static int evrun_stop_spiller(struct evrun *r, struct wk_err *err);

static int
evrun_compare_void(const void *a, const void *b)
{
	return evrun_compare(a, b);
}

/* Builds "DIR/.BASE.runs.XXXXXX" beside path, for mkstemp(3). */
static char *
evrun_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	size_t size = strlen(path) + sizeof "/..runs.XXXXXX";
	char *tmp = malloc(size);

	if (tmp != NULL)
		snprintf(tmp, size, "%.*s.%s.runs.XXXXXX", (int)dir_len, path,
		    path + dir_len);
	return tmp;
}

int
evrun_init(struct evrun *r, size_t cap, const char *near_path,
	   evrun_sink_fn sink, void *sink_arg)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->sink = sink;
	r->sink_arg = sink_arg;
	r->direct = sink != NULL;
	r->half = cap < 4 ? 2 : cap / 2;
	r->buf = malloc(r->half * sizeof *r->buf);
	r->other = malloc(r->half * sizeof *r->other);
	r->spill_template = evrun_template(near_path);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	r->ready = true;
	if (r->buf == NULL || r->other == NULL || r->spill_template == NULL) {
		evrun_free(r);
		return WK_ERR_NOMEM;
	}
	return WK_OK;
}

void
evrun_free(struct evrun *r)
{
	struct wk_err err;

	if (r->ready) {
		evrun_stop_spiller(r, &err);
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->changed);
	}
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->other);
	free(r->spill_template);
	free(r->runs);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

uint64_t
evrun_count(const struct evrun *r)
{
	return r->pushed;
}

static void
evrun_insertion_sort(struct evrun_rec *recs, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct evrun_rec r = recs[i];

		for (j = i; j > 0 && evrun_compare(&recs[j - 1], &r) > 0; j--)
			recs[j] = recs[j - 1];
		recs[j] = r;
	}
}

/* Sorts n records of one user by the full key. */
static void
evrun_sort_group(struct evrun_rec *recs, size_t n)
{
	if (n <= EVRUN_INSERTION_MAX)
		evrun_insertion_sort(recs, n);
	else
		qsort(recs, n, sizeof *recs, evrun_compare_void);
}

/* Sorts each user's records by the full key, unless they are in order. */
static void
evrun_sort_groups(struct evrun_rec *recs, size_t n)
{
	size_t start = 0, i;

	while (start < n) {
		bool sorted = true;

		for (i = start + 1; i < n && recs[i].user == recs[start].user;
		    i++) {
			if (sorted && evrun_compare(&recs[i - 1], &recs[i]) > 0)
				sorted = false;
		}
		if (!sorted && i - start > 1)
			evrun_sort_group(recs + start, i - start);
		start = i;
	}
}

static unsigned
evrun_digit(const struct evrun_rec *r, unsigned shift)
{
	return (r->user >> shift) & (EVRUN_RADIX_SIZE - 1);
}

/*
 * Groups n records by the bits of user from shift up, in place. This is
 * an American flag sort: a most-significant-digit radix sort that moves
 * each record straight into its bucket by following cycles, then sorts
 * each bucket by the next lower digit. It is not stable.
 */
static void
evrun_flag_sort(struct evrun_rec *recs, size_t n, int shift)
{
	size_t count[EVRUN_RADIX_SIZE] = { 0 }, next[EVRUN_RADIX_SIZE];
	size_t end[EVRUN_RADIX_SIZE], i, sum = 0;
	unsigned d;

	for (i = 0; i < n; i++)
		count[evrun_digit(&recs[i], (unsigned)shift)]++;
	for (d = 0; d < EVRUN_RADIX_SIZE; d++) {
		next[d] = sum;
		sum += count[d];
		end[d] = sum;
	}
	for (d = 0; d < EVRUN_RADIX_SIZE; d++) {
		while (next[d] < end[d]) {
			struct evrun_rec r = recs[next[d]], swap;
			unsigned rd = evrun_digit(&r, (unsigned)shift);

			while (rd != d) {
				swap = recs[next[rd]];
				recs[next[rd]++] = r;
				r = swap;
				rd = evrun_digit(&r, (unsigned)shift);
			}
			recs[next[d]++] = r;
		}
	}
	if (shift == 0)
		return;
	for (d = 0, sum = 0; d < EVRUN_RADIX_SIZE; sum += count[d++]) {
		if (count[d] > EVRUN_INSERTION_MAX)
			evrun_flag_sort(recs + sum, count[d],
			    shift - EVRUN_RADIX_BITS);
		else if (count[d] > 1)
			evrun_insertion_sort(recs + sum, count[d]);
	}
}

void
evrun_sort(struct evrun_rec *recs, size_t n)
{
	uint32_t max_user = 0;
	bool grouped = true;
	int shift = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && recs[i].user < recs[i - 1].user)
			grouped = false;
		max_user = recs[i].user > max_user ? recs[i].user : max_user;
	}
	if (grouped) {
		evrun_sort_groups(recs, n);
		return;
	}
	while (shift + EVRUN_RADIX_BITS < 32 &&
	    max_user >> (shift + EVRUN_RADIX_BITS) != 0)
		shift += EVRUN_RADIX_BITS;
	evrun_flag_sort(recs, n, shift);
	evrun_sort_groups(recs, n);
}

/* Creates the unlinked spill file. */
static int
evrun_open_spill(struct evrun *r, struct wk_err *err)
{
	r->fd = mkstemp(r->spill_template);
	if (r->fd < 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot create a temporary "
		    "file '%s' to sort the events: %s; the output's directory "
		    "must be writable"), r->spill_template, strerror(errno));
	unlink(r->spill_template);
	return WK_OK;
}

/* Writes len bytes at offset, retrying short writes. */
static int
evrun_pwrite(int fd, const void *data, size_t len, uint64_t offset)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

/*
 * Hands sorted records to the sink, as long as they all come after the
 * records handed before. The first user may be the last one of those,
 * because its rows can go on across the end of a half.
 */
static int
evrun_direct(struct evrun *r, struct evrun_rec *recs, size_t n,
	     struct wk_err *err)
{
	int rc;

	if (n == 0)
		return WK_OK;
	if (r->direct_runs > 0 &&
	    evrun_compare(&r->direct_last, &recs[0]) > 0) {
		r->direct = false;
		return wk_err_set(err, EVRUN_RESTART, _("the log is not "
		    "grouped by user; it is read again"));
	}
	rc = r->sink(r->sink_arg, recs, n, err);
	r->direct_last = recs[n - 1];
	r->direct_runs++;
	return rc;
}

/*
 * Sorts n records and hands them to the sink in direct mode, or appends
 * them to the spill file as one run.
 */
static int
evrun_spill(struct evrun *r, struct evrun_rec *recs, size_t n,
	    struct wk_err *err)
{
	int error;

	if (r->direct) {
		evrun_sort(recs, n);
		return evrun_direct(r, recs, n, err);
	}
	if (r->fd < 0 && evrun_open_spill(r, err) != WK_OK)
		return WK_ERR_IO;
	if (r->n_runs == r->cap_runs) {
		size_t cap = r->cap_runs == 0 ? 64 : r->cap_runs * 2;
		uint64_t *runs = realloc(r->runs, cap * sizeof *runs);

		if (runs == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		r->runs = runs;
		r->cap_runs = cap;
	}

	evrun_sort(recs, n);
	error = evrun_pwrite(r->fd, recs, n * sizeof *recs,
	    r->spilled * sizeof *recs);
	if (error != 0)
		return wk_err_set(err, WK_ERR_IO, _("cannot write %zu sorted "
		    "events to a temporary file beside '%s': %s; check the "
		    "free space"), n, r->spill_template, strerror(error));
	r->runs[r->n_runs++] = r->spilled;
	r->spilled += n;
	return WK_OK;
}

/* The spill thread: sorts and writes each half it is handed. */
static void *
evrun_spiller_main(void *arg)
{
	struct evrun *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->pending == NULL && !r->stop)
			pthread_cond_wait(&r->changed, &r->lock);
		if (r->pending == NULL)
			break;
		pthread_mutex_unlock(&r->lock);
		if (r->spill_rc == WK_OK)
			r->spill_rc = evrun_spill(r, r->pending, r->pending_n,
			    &r->spill_err);
		pthread_mutex_lock(&r->lock);
		r->pending = NULL;
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * Returns how many records at the end of the full half belong to its
 * last user, unless they fill the half. In direct mode they stay for the
 * next half, which is where the user's later rows go, so that no user's
 * records are split between two runs of the sink.
 */
static size_t
evrun_last_user_tail(const struct evrun *r)
{
	uint32_t last;
	size_t keep = 0;

	if (!r->direct || r->n == 0)
		return 0;
	last = r->buf[r->n - 1].user;
	while (keep < r->n && r->buf[r->n - 1 - keep].user == last)
		keep++;
	return keep < r->n ? keep : 0;
}

/*
 * Hands the full half but its last user's records to the spill thread,
 * once it is done with the other half, and goes on in the other half.
 * Without the thread the half is spilled here.
 */
static int
evrun_hand_off(struct evrun *r, struct wk_err *err)
{
	struct evrun_rec *full = r->buf;
	size_t keep = evrun_last_user_tail(r), n = r->n - keep;
	int rc;

	if (!r->spiller_running && !r->spiller_failed) {
		r->spiller_running = pthread_create(&r->spiller, NULL,
		    evrun_spiller_main, r) == 0;
		r->spiller_failed = !r->spiller_running;
	}
	if (!r->spiller_running) {
		memcpy(r->other, full + n, keep * sizeof *full);
		rc = evrun_spill(r, full, n, err);
	} else {
		pthread_mutex_lock(&r->lock);
		while (r->pending != NULL)
			pthread_cond_wait(&r->changed, &r->lock);
		rc = r->spill_rc;
		if (rc == WK_OK) {
			memcpy(r->other, full + n, keep * sizeof *full);
			r->pending = full;
			r->pending_n = n;
			pthread_cond_broadcast(&r->changed);
		} else {
			*err = r->spill_err;
		}
		pthread_mutex_unlock(&r->lock);
	}
	r->buf = r->other;
	r->other = full;
	r->n = keep;
	return rc;
}

/* Waits for the spill thread to finish and stops it. */
static int
evrun_stop_spiller(struct evrun *r, struct wk_err *err)
{
	if (!r->spiller_running)
		return WK_OK;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->spiller, NULL);
	r->spiller_running = false;
	if (r->spill_rc != WK_OK)
		*err = r->spill_err;
	return r->spill_rc;
}

int
evrun_push(struct evrun *r, const struct evrun_rec *rec, struct wk_err *err)
{
	int rc;

	if (r->n == r->half && (rc = evrun_hand_off(r, err)) != WK_OK)
		return rc;
	r->buf[r->n++] = *rec;
	r->pushed++;
	return WK_OK;
}

/* Reads the next records of a spilled run; leaves it empty at its end. */
static int
evrun_refill(struct evrun_merge *m, struct evrun_cursor *c,
	     struct wk_err *err)
{
	uint64_t want = c->stop - c->next;
	size_t bytes, got = 0;

	if (want > EVRUN_READ_RECORDS)
		want = EVRUN_READ_RECORDS;
	bytes = (size_t)want * sizeof *c->buf;
	while (got < bytes) {
		ssize_t n = pread(m->r->fd, (char *)c->buf + got, bytes - got,
		    (off_t)(c->next * sizeof *c->buf + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return wk_err_set(err, WK_ERR_IO, _("cannot read the "
			    "temporary file of sorted events beside '%s': %s"),
			    m->r->spill_template, n < 0 ? strerror(errno) :
			    _("it ended early"));
		got += (size_t)n;
	}
	c->next += want;
	c->rec = c->buf;
	c->end = c->buf + want;
	return WK_OK;
}

static bool
evrun_heap_less(const struct evrun_merge *m, size_t a, size_t b)
{
	return evrun_compare(m->cursors[m->heap[a]].rec,
	    m->cursors[m->heap[b]].rec) < 0;
}

/* Moves heap entry i down until both children are larger. */
static void
evrun_sift_down(struct evrun_merge *m, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, least = i, swap;

		if (left < m->n_heap && evrun_heap_less(m, left, least))
			least = left;
		if (left + 1 < m->n_heap && evrun_heap_less(m, left + 1, least))
			least = left + 1;
		if (least == i)
			return;
		swap = m->heap[i];
		m->heap[i] = m->heap[least];
		m->heap[least] = swap;
		i = least;
	}
}

/* Sets up one cursor a spilled run, and one for the run in memory. */
static int
evrun_open_cursors(struct evrun_merge *m, struct wk_err *err)
{
	struct evrun *r = m->r;
	size_t i;

	for (i = 0; i < r->n_runs; i++) {
		struct evrun_cursor *c = &m->cursors[m->n_cursors++];

		c->next = r->runs[i];
		c->stop = i + 1 < r->n_runs ? r->runs[i + 1] : r->spilled;
		c->buf = malloc(EVRUN_READ_RECORDS * sizeof *c->buf);
		if (c->buf == NULL)
			return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
		if (evrun_refill(m, c, err) != WK_OK)
			return WK_ERR_IO;
	}
	if (r->n > 0) {
		struct evrun_cursor *c = &m->cursors[m->n_cursors++];

		c->rec = r->buf;
		c->end = r->buf + r->n;
	}
	return WK_OK;
}

int
evrun_finish_direct(struct evrun *r, struct wk_err *err)
{
	int rc;

	rc = evrun_stop_spiller(r, err);
	if (rc != WK_OK)
		return rc;
	evrun_sort(r->buf, r->n);
	rc = evrun_direct(r, r->buf, r->n, err);
	r->n = 0;
	return rc;
}

int
evrun_merge_begin(struct evrun *r, struct evrun_merge *m, struct wk_err *err)
{
	size_t i;
	int rc;

	memset(m, 0, sizeof *m);
	m->r = r;
	if (evrun_stop_spiller(r, err) != WK_OK)
		return r->spill_rc;
	free(r->other);
	r->other = NULL;
	evrun_sort(r->buf, r->n);
	m->cursors = calloc(r->n_runs + 1, sizeof *m->cursors);
	m->heap = calloc(r->n_runs + 1, sizeof *m->heap);
	if (m->cursors == NULL || m->heap == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));

	rc = evrun_open_cursors(m, err);
	if (rc != WK_OK)
		return rc;
	for (i = 0; i < m->n_cursors; i++)
		m->heap[m->n_heap++] = i;
	for (i = m->n_heap / 2; i-- > 0;)
		evrun_sift_down(m, i);
	return WK_OK;
}

int
evrun_merge_next(struct evrun_merge *m, struct evrun_rec *out,
		 struct wk_err *err)
{
	struct evrun_cursor *c;

	if (m->n_heap == 0)
		return EVRUN_END;
	c = &m->cursors[m->heap[0]];
	*out = *c->rec++;

	if (c->rec == c->end && c->next < c->stop &&
	    evrun_refill(m, c, err) != WK_OK)
		return WK_ERR_IO;
	if (c->rec == c->end)
		m->heap[0] = m->heap[--m->n_heap];
	evrun_sift_down(m, 0);
	return WK_OK;
}

void
evrun_merge_end(struct evrun_merge *m)
{
	size_t i;

	for (i = 0; i < m->n_cursors && m->cursors != NULL; i++)
		free(m->cursors[i].buf);
	free(m->cursors);
	free(m->heap);
	memset(m, 0, sizeof *m);
}
