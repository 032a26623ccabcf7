/*
 * The rows of `churn features`, computed by two threads.
 *
 * The users are cut into blocks in file order. Each thread claims the
 * next block whose slot is free, checks its users, computes their rows
 * for every cut and formats them into the block's text. The calling
 * thread also writes the finished blocks to the outputs in order. Behind
 * them it lets the kernel drop the pages of the event file
 * (madvise(MADV_DONTNEED)), so that memory stays at FEAT_SLOTS blocks
 * whatever the file's size.
 */
#include "pipeline/featstage.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "pipeline/fmtnum.h"

#define FEAT_BLOCK_USERS 8192              /* users in a block at most */
#define FEAT_BLOCK_ID_BYTES (1024 * 1024)  /* id bytes in a block at most */
#define FEAT_SLOTS 4                       /* blocks in flight */
#define FEAT_ROW_SLACK 64                  /* bytes of a row besides its
                                            * id and numbers */

enum feat_slot_state {
	FEAT_SLOT_FREE,  /* the slot can take the next block */
	FEAT_SLOT_BUSY,  /* a thread computes its block */
	FEAT_SLOT_DONE   /* its block waits to be written */
};

/* CSV text of one cut's rows of a block. */
struct feat_text {
	char *data;  /* the rows; owned */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
};

/* A block of users and their rows. */
struct feat_block {
	enum feat_slot_state state;       /* state of the block */
	uint64_t seq;                     /* number of the block, from 0 */
	uint64_t first;                   /* its first user */
	uint64_t end;                     /* the user after its last */
	struct feat_text text[FEAT_CUTS_MAX];      /* rows of each cut */
	uint64_t users[FEAT_CUTS_MAX];    /* rows of each cut */
	uint64_t churned[FEAT_CUTS_MAX];  /* rows with label 1 */
	uint64_t excluded[FEAT_CUTS_MAX]; /* users left out */
	int rc;                           /* WK_OK, or why a user failed */
	struct wk_err err;                /* the failure's message */
};

/* The work shared by the two threads. */
struct feat_rows {
	struct feat_stage *st;           /* the stage */
	pthread_mutex_t lock;            /* guards the fields below and the
	                                  * slots' state */
	pthread_cond_t changed;          /* a slot changed state */
	struct feat_block slots[FEAT_SLOTS];  /* block seq in slot seq % N */
	uint64_t next_user;              /* first user no block holds yet */
	uint64_t next_seq;               /* number of the next block */
	uint64_t write_seq;              /* number of the next block to
	                                  * write */
	bool failed;                     /* stop computing */
};

size_t
feat_count(const struct feat_stage *st)
{
	return FEAT_BASE_COUNT + st->n_extra + st->top.n;
}

/* Makes room for n more bytes of text. */
static int
feat_text_reserve(struct feat_text *t, size_t n)
{
	size_t cap = t->cap == 0 ? 65536 : t->cap;
	char *data;

	if (n <= t->cap - t->len)
		return WK_OK;
	while (cap - t->len < n)
		cap *= 2;
	data = realloc(t->data, cap);
	if (data == NULL)
		return WK_ERR_NOMEM;
	t->data = data;
	t->cap = cap;
	return WK_OK;
}

/* Appends len bytes of id as one CSV field, quoted when it must be. */
static void
feat_text_id(struct feat_text *t, const char *id, size_t len)
{
	size_t i;

	if (strcspn(id, ",\"\r\n") >= len) {
		memcpy(t->data + t->len, id, len);
		t->len += len;
		return;
	}
	t->data[t->len++] = '"';
	for (i = 0; i < len; i++) {
		if (id[i] == '"')
			t->data[t->len++] = '"';
		t->data[t->len++] = id[i];
	}
	t->data[t->len++] = '"';
}

/* Formats the row of user u at one cut; counts what the row counts. */
static int
feat_row(struct feat_rows *rows, struct feat_block *b, size_t c, uint64_t u,
	 double *values)
{
	const struct feat_stage *st = rows->st;
	const struct evfile *ef = &st->ef;
	const struct evfile_user *user = &ef->users[u];
	size_t n_values = feat_count(st), k;
	struct feat_text *t = &b->text[c];
	int churned;

	if (feat_compute(&st->cuts[c].params, ef->records + user->first_event,
	    user->n_events, values, &churned) == 0)
		return WK_OK;
	if (churned == FEAT_EXCLUDED) {
		b->excluded[c]++;
		return WK_OK;
	}
	if (feat_text_reserve(t, 2 * (size_t)user->text_len + FEAT_ROW_SLACK +
	    n_values * (FMTNUM_SIZE + 1)) != WK_OK)
		return WK_ERR_NOMEM;

	feat_text_id(t, evfile_user_id(ef, u), user->text_len);
	t->data[t->len++] = ',';
	if (!st->no_label)
		t->data[t->len++] = churned ? '1' : '0';
	for (k = 0; k < n_values; k++) {
		t->data[t->len++] = ',';
		t->len += fmtnum_g15(values[k], t->data + t->len);
	}
	t->data[t->len++] = '\n';
	b->users[c]++;
	b->churned[c] += st->no_label ? 0 : (uint64_t)churned;
	return WK_OK;
}

/* Checks the users of a block and formats their rows. */
static void
feat_compute_block(struct feat_rows *rows, struct feat_block *b)
{
	double values[FEAT_VALUES_MAX];
	const struct feat_stage *st = rows->st;
	uint64_t u;
	size_t c;

	b->rc = WK_OK;
	for (c = 0; c < st->n_cuts; c++) {
		b->text[c].len = 0;
		b->users[c] = b->churned[c] = b->excluded[c] = 0;
	}
	for (u = b->first; u < b->end && b->rc == WK_OK; u++) {
		b->rc = evfile_check_user(&st->ef, u, &b->err);
		for (c = 0; c < st->n_cuts && b->rc == WK_OK; c++)
			b->rc = feat_row(rows, b, c, u, values);
	}
	if (b->rc == WK_ERR_NOMEM)
		wk_err_set(&b->err, b->rc, _("out of memory"));
}

/*
 * Claims the next block when its slot is free: up to FEAT_BLOCK_USERS
 * users and FEAT_BLOCK_ID_BYTES bytes of ids. Called with the lock held.
 */
static struct feat_block *
feat_claim(struct feat_rows *rows)
{
	const struct evfile *ef = &rows->st->ef;
	uint64_t n_users = ef->header->n_users, end, bytes = 0;
	struct feat_block *b = &rows->slots[rows->next_seq % FEAT_SLOTS];

	if (rows->failed || rows->next_user >= n_users ||
	    b->state != FEAT_SLOT_FREE)
		return NULL;
	end = rows->next_user;
	while (end < n_users && end - rows->next_user < FEAT_BLOCK_USERS &&
	    (end == rows->next_user || bytes < FEAT_BLOCK_ID_BYTES))
		bytes += ef->users[end++].text_len;

	b->state = FEAT_SLOT_BUSY;
	b->seq = rows->next_seq++;
	b->first = rows->next_user;
	b->end = end;
	rows->next_user = end;
	return b;
}

/*
 * Claims the next block and computes it, unless none is left or its
 * slot still waits to be written. Called and returns with the lock
 * held. Returns true when it computed a block.
 */
static bool
feat_work(struct feat_rows *rows)
{
	struct feat_block *b = feat_claim(rows);

	if (b == NULL)
		return false;
	pthread_mutex_unlock(&rows->lock);
	feat_compute_block(rows, b);
	pthread_mutex_lock(&rows->lock);
	b->state = FEAT_SLOT_DONE;
	pthread_cond_broadcast(&rows->changed);
	return true;
}

static void *
feat_helper_main(void *arg)
{
	struct feat_rows *rows = arg;

	pthread_mutex_lock(&rows->lock);
	while (!rows->failed &&
	    rows->next_user < rows->st->ef.header->n_users) {
		if (!feat_work(rows))
			pthread_cond_wait(&rows->changed, &rows->lock);
	}
	pthread_mutex_unlock(&rows->lock);
	return NULL;
}

/* Writes a finished block to the outputs and adds up its counts. */
static int
feat_write_block(struct feat_rows *rows, struct feat_block *b,
		 struct wk_err *err)
{
	struct feat_stage *st = rows->st;
	size_t c;

	if (b->rc != WK_OK) {
		*err = b->err;
		return b->rc;
	}
	for (c = 0; c < st->n_cuts; c++) {
		struct feat_cut *cut = &st->cuts[c];

		outfile_write(&cut->of, b->text[c].data, b->text[c].len);
		cut->users += b->users[c];
		cut->churned += b->churned[c];
		cut->excluded += b->excluded[c];
	}
	evfile_release(&st->ef, b->end);
	return WK_OK;
}

/*
 * The calling thread's loop: writes the next block as soon as it is
 * done, and computes blocks while it waits. Called with the lock held.
 */
static int
feat_main_loop(struct feat_rows *rows, struct notify *nt, struct wk_err *err)
{
	uint64_t n_users = rows->st->ef.header->n_users;
	int rc = WK_OK;

	while (rc == WK_OK && !(rows->next_user >= n_users &&
	    rows->write_seq == rows->next_seq)) {
		struct feat_block *b =
		    &rows->slots[rows->write_seq % FEAT_SLOTS];

		if (b->state == FEAT_SLOT_DONE && b->seq == rows->write_seq) {
			pthread_mutex_unlock(&rows->lock);
			rc = feat_write_block(rows, b, err);
			notify_progress(nt, 0.98 * (double)b->end /
			    (double)n_users);
			pthread_mutex_lock(&rows->lock);
			b->state = FEAT_SLOT_FREE;
			rows->write_seq++;
			rows->failed = rc != WK_OK;
			pthread_cond_broadcast(&rows->changed);
		} else if (!feat_work(rows)) {
			pthread_cond_wait(&rows->changed, &rows->lock);
		}
	}
	return rc;
}

int
feat_rows_write(struct feat_stage *st, struct notify *nt, struct wk_err *err)
{
	struct feat_rows rows;
	pthread_t helper;
	bool started;
	size_t i, c;
	int rc;

	memset(&rows, 0, sizeof rows);
	rows.st = st;
	pthread_mutex_init(&rows.lock, NULL);
	pthread_cond_init(&rows.changed, NULL);
	/* Without the helper the calling thread does all the work. */
	started = pthread_create(&helper, NULL, feat_helper_main, &rows) == 0;

	pthread_mutex_lock(&rows.lock);
	rc = feat_main_loop(&rows, nt, err);
	rows.failed = true;
	pthread_cond_broadcast(&rows.changed);
	pthread_mutex_unlock(&rows.lock);
	if (started)
		pthread_join(helper, NULL);

	for (i = 0; i < FEAT_SLOTS; i++) {
		for (c = 0; c < FEAT_CUTS_MAX; c++)
			free(rows.slots[i].text[c].data);
	}
	pthread_mutex_destroy(&rows.lock);
	pthread_cond_destroy(&rows.changed);
	return rc;
}
