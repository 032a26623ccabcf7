/*
 * Interned strings: each distinct byte string gets a dense index 0, 1,
 * 2, ... in order of first appearance, for user ids and event names.
 *
 * The strings live one after the other in a single growing arena, and the
 * open-addressing hash table stores 32-bit indices. N strings cost 16
 * bytes of entry, 8 to 16 bytes of table and their own bytes plus a NUL,
 * with no allocation per string.
 */
#ifndef WK_PIPELINE_STRTAB_H
#define WK_PIPELINE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab_entry {
	uint64_t offset;  /* start of the string in the arena */
	uint32_t len;     /* bytes, without the NUL */
	uint32_t hash;    /* low 32 bits of the string's hash */
};

struct strtab {
	struct strtab_entry *entries;  /* n strings by index; owned */
	uint32_t n;                    /* strings stored */
	uint32_t cap;                  /* entries allocated */
	uint32_t max;                  /* maximum number of strings */
	uint32_t *slots;               /* hash table: index + 1, 0 empty; owned */
	size_t n_slots;                /* slots, a power of two */
	char *arena;                   /* NUL-terminated strings; owned */
	size_t arena_len;              /* bytes used in arena */
	size_t arena_cap;              /* bytes allocated for arena */
};

/* Prepares an empty table for at most max strings. */
void strtab_init(struct strtab *t, uint32_t max);

/* Frees everything; the table is empty afterwards. */
void strtab_free(struct strtab *t);

/*
 * Finds the string of len bytes at s, adding it when it is new, and
 * stores its index. Returns WK_OK, WK_ERR_LIMIT when the table is full or
 * the string is 4 GiB or longer, or WK_ERR_NOMEM.
 */
int strtab_intern(struct strtab *t, const char *s, size_t len,
		  uint32_t *index);

/* Returns the NUL-terminated string of index and stores its length. */
const char *strtab_get(const struct strtab *t, uint32_t index, size_t *len);

#endif
