/*
 * The user ids of `churn ingest`: each distinct id gets a dense index 0,
 * 1, 2, ... in the order of its first row, with a few numbers kept for
 * each user.
 *
 * Lookups come in batches. A row with the same id as the row before it
 * takes no lookup, which makes logs grouped by user cheap. The table
 * hashes the other rows first, then prefetches the hash slot of the
 * lookup 16 ahead and the entry of the lookup 8 ahead while it probes
 * the current one, so that a log in time order, where every row names
 * another user, seldom waits for memory.
 *
 * Memory: 32 bytes of entry, 16 to 32 bytes of open-addressing slots
 * (load factor at most 1/2) and the id's bytes plus a NUL a user. Ids of
 * up to 8 bytes are compared without touching their text.
 */
#ifndef WK_PIPELINE_USERTAB_H
#define WK_PIPELINE_USERTAB_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define USERTAB_BATCH_MAX 4096  /* keys in one usertab_intern() call */

struct usertab_entry {
	uint64_t text_offset;  /* start of the id in the arena */
	uint64_t prefix;       /* the id's first 8 bytes, zero-padded */
	uint32_t text_len;     /* bytes of the id, without the NUL */
	uint32_t count;        /* a counter for the caller, 0 at first */
	int64_t last_ms;       /* a time for the caller, INT64_MIN at first */
};

/* One id to look up. */
struct usertab_key {
	const char *text;  /* the id's bytes */
	uint32_t len;      /* bytes of text */
};

struct usertab {
	struct usertab_entry *entries;  /* n entries by index; owned */
	uint32_t n;                     /* users stored */
	uint32_t cap;                   /* entries allocated */
	uint32_t max;                   /* most users allowed */
	uint64_t *slots;                /* hash table: the hash's high 32
	                                 * bits above index + 1, 0 when
	                                 * empty; owned */
	uint64_t n_slots;               /* slots, a power of two */
	unsigned bits;                  /* log2(n_slots) */
	char *arena;                    /* the ids, each NUL-ended, in
	                                 * index order; owned */
	size_t arena_len;               /* bytes used in arena */
	size_t arena_cap;               /* bytes allocated for arena */
	uint64_t hashes[USERTAB_BATCH_MAX];   /* scratch of one batch: the
	                                       * hash of each lookup */
	uint32_t lookups[USERTAB_BATCH_MAX];  /* the key of each lookup */
};

/* Prepares an empty table for at most max users. */
void usertab_init(struct usertab *t, uint32_t max);

/* Frees everything; the table is empty afterwards. */
void usertab_free(struct usertab *t);

/*
 * Finds the n keys (at most USERTAB_BATCH_MAX), adding the new ones, and
 * stores the index of each in index[]. Returns WK_OK, WK_ERR_LIMIT when
 * the table would hold more than max users (the keys before the one
 * that did not fit are stored), or WK_ERR_NOMEM.
 */
int usertab_intern(struct usertab *t, const struct usertab_key *keys,
		   size_t n, uint32_t *index);

/* Returns the NUL-terminated id of index. */
const char *usertab_id(const struct usertab *t, uint32_t index);

/* Returns the bytes the table holds allocated, for reports. */
size_t usertab_bytes(const struct usertab *t);

#endif
