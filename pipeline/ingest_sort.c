/*
 * The sort thread of `churn ingest` and the queue that feeds it: user
 * ids into dense indices, the order check of each user's rows, and the
 * events into sorted runs.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/ingeststage.h"

#define INGEST_TEXT_SLACK (64 * 1024)  /* batch text beyond the longest id */

struct ingest_batch *
ingest_queue_take_free(struct ingest_queue *q)
{
	struct ingest_batch *b = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->n_free == 0 && !q->failed)
		pthread_cond_wait(&q->changed, &q->lock);
	if (!q->failed)
		b = q->free_list[--q->n_free];
	pthread_mutex_unlock(&q->lock);
	return b;
}

void
ingest_queue_put_full(struct ingest_queue *q, struct ingest_batch *b)
{
	pthread_mutex_lock(&q->lock);
	q->full[(q->full_head + q->n_full++) % INGEST_BATCHES] = b;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

void
ingest_queue_put_free(struct ingest_queue *q, struct ingest_batch *b)
{
	pthread_mutex_lock(&q->lock);
	q->free_list[q->n_free++] = b;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* Returns the next full batch, waiting for one. */
static struct ingest_batch *
ingest_queue_take_full(struct ingest_queue *q)
{
	struct ingest_batch *b;

	pthread_mutex_lock(&q->lock);
	while (q->n_full == 0)
		pthread_cond_wait(&q->changed, &q->lock);
	b = q->full[q->full_head];
	q->full_head = (q->full_head + 1) % INGEST_BATCHES;
	q->n_full--;
	pthread_mutex_unlock(&q->lock);
	return b;
}

/* Marks the thread failed, which wakes and stops the reading thread. */
static void
ingest_queue_fail(struct ingest_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->failed = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/*
 * Counts a row earlier than an earlier row of the same user, and keeps
 * each user's latest time.
 */
static void
ingest_check_order(struct ingest *in, struct usertab_entry *user,
		   const struct ingest_item *item)
{
	if (item->time_ms < user->last_ms)
		badrows_add(&in->res->notes, BADROW_OUT_OF_ORDER, item->line,
		    NULL, 0);
	else
		user->last_ms = item->time_ms;
}

/*
 * Tells whether the row of user u breaks the grouping by user: u was
 * seen before, but not on the row just before.
 */
static bool
ingest_regroups(struct ingest *in, uint32_t u)
{
	bool regroup = in->rows_sorted > 0 && u <= in->max_user &&
	    u != in->last_user;

	if (in->rows_sorted++ == 0 || u > in->max_user)
		in->max_user = u;
	in->last_user = u;
	return regroup;
}

/* Looks the batch's users up and adds its events to the runs. */
static int
ingest_sort_batch(struct ingest *in, struct ingest_batch *b)
{
	struct wk_err *err = &in->sort_err;
	size_t i;
	int rc;

	rc = usertab_intern(&in->users, b->keys, b->n, b->users);
	if (rc == WK_ERR_LIMIT)
		return wk_err_set(err, rc, _("'%s' has more than %" PRIu32
		    " distinct user ids, the maximum of an event file"),
		    in->opts->input, (uint32_t)INGEST_MAX_STRINGS);
	if (rc != WK_OK)
		return wk_err_set(err, rc, _("out of memory after %" PRIu32
		    " users of '%s'"), in->users.n, in->opts->input);

	for (i = 0; i < b->n; i++) {
		const struct ingest_item *item = &b->items[i];
		struct evrun_rec r = { item->time_ms, item->value, b->users[i],
		    item->name, item->offset };

		/* Direct mode would fail later on; start over now. */
		if (ingest_regroups(in, b->users[i]) && in->runs.direct)
			return wk_err_set(err, EVRUN_RESTART, _("the log is "
			    "not grouped by user; it is read again"));
		ingest_check_order(in, &in->users.entries[b->users[i]], item);
		rc = evrun_push(&in->runs, &r, err);
		if (rc != WK_OK)
			return rc;
	}
	return WK_OK;
}

static void *
ingest_sort_main(void *arg)
{
	struct ingest *in = arg;
	struct ingest_batch *b;
	bool last = false;

	while (!last) {
		b = ingest_queue_take_full(&in->queue);
		last = b->last;
		if (in->sort_rc == WK_OK && b->n > 0)
			in->sort_rc = ingest_sort_batch(in, b);
		ingest_queue_put_free(&in->queue, b);
		if (in->sort_rc != WK_OK)
			ingest_queue_fail(&in->queue);
	}
	return NULL;
}

/* Allocates the batches, each with text for the longest user id. */
static int
ingest_alloc_batches(struct ingest *in)
{
	size_t text_cap = (in->opts->max_line != 0 ? in->opts->max_line :
	    CSV_RECORD_MAX) + INGEST_TEXT_SLACK;
	size_t i;

	in->batches = calloc(INGEST_BATCHES, sizeof *in->batches);
	if (in->batches == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < INGEST_BATCHES; i++) {
		in->batches[i].text = malloc(text_cap);
		if (in->batches[i].text == NULL)
			return WK_ERR_NOMEM;
		in->batches[i].text_cap = text_cap;
		in->queue.free_list[in->queue.n_free++] = &in->batches[i];
	}
	return WK_OK;
}

static int ingest_sort_spawn(struct ingest *in, struct wk_err *err);

/* Returns the records --sort-memory holds. */
static size_t
ingest_run_capacity(const struct ingest *in)
{
	uint64_t mib = in->opts->sort_mib != 0 ? in->opts->sort_mib :
	    INGEST_SORT_MIB_DEFAULT;

	return (size_t)(mib * 1024 * 1024 / sizeof(struct evrun_rec));
}

int
ingest_sort_start(struct ingest *in, struct wk_err *err)
{
	size_t cap = ingest_run_capacity(in);

	usertab_init(&in->users, INGEST_MAX_STRINGS);
	in->runs.fd = -1;
	pthread_mutex_init(&in->queue.lock, NULL);
	pthread_cond_init(&in->queue.changed, NULL);
	in->queue_ready = true;
	if (ingest_alloc_batches(in) != WK_OK ||
	    evrun_init(&in->runs, cap, in->opts->output, ingest_emit_run,
	    in) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	return ingest_sort_spawn(in, err);
}

int
ingest_sort_restart(struct ingest *in, struct wk_err *err)
{
	size_t cap = ingest_run_capacity(in);
	uint32_t u;

	evrun_free(&in->runs);
	if (evrun_init(&in->runs, cap, in->opts->output, NULL, NULL) != WK_OK)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (u = 0; u < in->users.n; u++)
		in->users.entries[u].last_ms = INT64_MIN;
	in->rows_sorted = 0;
	in->queue.failed = false;
	in->sort_rc = WK_OK;
	return ingest_sort_spawn(in, err);
}

/* Starts the sort thread. */
static int
ingest_sort_spawn(struct ingest *in, struct wk_err *err)
{
	int rc;

	rc = pthread_create(&in->sorter, NULL, ingest_sort_main, in);
	if (rc != 0)
		return wk_err_set(err, WK_ERR_NOMEM, _("cannot start the sort "
		    "thread: %s"), strerror(rc));
	in->sorter_running = true;
	return WK_OK;
}

/* Returns a free batch, waiting for one even after a failure. */
static struct ingest_batch *
ingest_queue_take_any(struct ingest_queue *q)
{
	struct ingest_batch *b;

	pthread_mutex_lock(&q->lock);
	while (q->n_free == 0)
		pthread_cond_wait(&q->changed, &q->lock);
	b = q->free_list[--q->n_free];
	pthread_mutex_unlock(&q->lock);
	return b;
}

int
ingest_sort_stop(struct ingest *in)
{
	struct ingest_batch *b;

	if (!in->sorter_running)
		return in->sort_rc;
	/* After a failure the thread still returns every batch it takes. */
	b = ingest_queue_take_any(&in->queue);
	b->n = 0;
	b->last = true;
	ingest_queue_put_full(&in->queue, b);
	pthread_join(in->sorter, NULL);
	in->sorter_running = false;
	return in->sort_rc;
}

void
ingest_sort_free(struct ingest *in)
{
	size_t i;

	if (in->sorter_running)
		ingest_sort_stop(in);
	for (i = 0; i < INGEST_BATCHES && in->batches != NULL; i++)
		free(in->batches[i].text);
	free(in->batches);
	in->batches = NULL;
	if (in->queue_ready) {
		usertab_free(&in->users);
		evrun_free(&in->runs);
		pthread_mutex_destroy(&in->queue.lock);
		pthread_cond_destroy(&in->queue.changed);
	}
	in->queue_ready = false;
}
