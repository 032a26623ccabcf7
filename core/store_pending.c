#include "store_pending.h"

#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/log.h"

void
store_pending_init(struct store_pending *p)
{
	memset(p, 0, sizeof *p);
	p->rows_max = STORE_PENDING_ROWS_MAX;
}

void
store_pending_clear(struct store_pending *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		sqlite3_free(p->rows[i]);
	p->count = 0;
	p->bytes = 0;
	p->unkept = 0;
	p->dropped = 0;
	p->failures = 0;
	p->warned = 0;
}

void
store_pending_free(struct store_pending *p)
{
	store_pending_clear(p);
	free(p->rows);
	p->rows = NULL;
	p->capacity = 0;
}

/* Makes room for one more row pointer. Returns 0 or -1. */
static int
store_pending_grow(struct store_pending *p)
{
	size_t capacity;
	char **rows;

	if (p->count < p->capacity)
		return 0;
	capacity = p->capacity == 0 ? 64 : p->capacity * 2;
	if (capacity > p->rows_max)
		capacity = p->rows_max;
	rows = realloc(p->rows, capacity * sizeof *rows);
	if (rows == NULL)
		return -1;
	p->rows = rows;
	p->capacity = capacity;
	return 0;
}

int
store_pending_keep(struct store_pending *p, sqlite3_stmt *stmt)
{
	char *sql;
	size_t len;

	if (p->count >= p->rows_max || store_pending_grow(p) != 0)
		goto unkept;
	sql = sqlite3_expanded_sql(stmt);
	if (sql == NULL)
		goto unkept;
	len = strlen(sql);
	if (p->bytes + len > STORE_PENDING_BYTES_MAX) {
		sqlite3_free(sql);
		goto unkept;
	}
	p->rows[p->count++] = sql;
	p->bytes += len;
	return 0;

unkept:
	p->unkept++;
	return -1;
}

void
store_pending_forget_last(struct store_pending *p)
{
	if (p->count == 0)
		return;
	p->count--;
	p->bytes -= strlen(p->rows[p->count]);
	sqlite3_free(p->rows[p->count]);
}

int
store_pending_transient(int code)
{
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

/* Removes row i, which can never be stored, and counts it as dropped. */
static void
store_pending_drop(struct store_pending *p, size_t i)
{
	p->bytes -= strlen(p->rows[i]);
	sqlite3_free(p->rows[i]);
	memmove(&p->rows[i], &p->rows[i + 1],
	    (p->count - i - 1) * sizeof *p->rows);
	p->count--;
	p->dropped++;
}

int
store_pending_replay(struct store_pending *p, sqlite3 *db, const char *path)
{
	size_t i = 0;
	int code;

	while (i < p->count) {
		code = sqlite3_exec(db, p->rows[i], NULL, NULL, NULL);
		if (code == SQLITE_OK) {
			i++;
			continue;
		}
		code = sqlite3_extended_errcode(db);
		if (store_pending_transient(code))
			return code;
		LOG(LL_WARN, _("store %s: dropped a row waiting for a retry: "
		    "%s"), path, sqlite3_errmsg(db));
		store_pending_drop(p, i);
	}
	return SQLITE_OK;
}
