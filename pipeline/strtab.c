#include "pipeline/strtab.h"

#include <stdlib.h>
#include <string.h>

#include "core/rc.h"

/* 64-bit FNV-1a, folded to 32 bits. */
static uint32_t
strtab_hash(const char *s, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	return (uint32_t)(h ^ (h >> 32));
}

void
strtab_init(struct strtab *t, uint32_t max)
{
	memset(t, 0, sizeof *t);
	t->max = max;
}

void
strtab_free(struct strtab *t)
{
	uint32_t max = t->max;

	free(t->entries);
	free(t->slots);
	free(t->arena);
	strtab_init(t, max);
}

/* Doubles the hash table and places every entry again. */
static int
strtab_rehash(struct strtab *t)
{
	size_t n_slots = t->n_slots == 0 ? 1024 : t->n_slots * 2;
	uint32_t *slots = calloc(n_slots, sizeof *slots);
	uint32_t i;

	if (slots == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < t->n; i++) {
		size_t slot = t->entries[i].hash & (n_slots - 1);

		while (slots[slot] != 0)
			slot = (slot + 1) & (n_slots - 1);
		slots[slot] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = n_slots;
	return WK_OK;
}

/* Makes room for one more entry and len + 1 more arena bytes. */
static int
strtab_reserve(struct strtab *t, size_t len)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap == 0 ? 1024 :
		    t->cap > UINT32_MAX / 2 ? UINT32_MAX : t->cap * 2;
		struct strtab_entry *e = realloc(t->entries, cap * sizeof *e);

		if (e == NULL)
			return WK_ERR_NOMEM;
		t->entries = e;
		t->cap = cap;
	}
	if (t->arena_len + len + 1 > t->arena_cap) {
		size_t cap = t->arena_cap == 0 ? 65536 : t->arena_cap * 2;
		char *a;

		while (cap < t->arena_len + len + 1)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (a == NULL)
			return WK_ERR_NOMEM;
		t->arena = a;
		t->arena_cap = cap;
	}
	return WK_OK;
}

/* Stores a new string in the arena and in slot. */
static int
strtab_add(struct strtab *t, const char *s, size_t len, uint32_t hash,
	   size_t slot, uint32_t *index)
{
	struct strtab_entry *e;
	int rc;

	if (t->n >= t->max || len >= UINT32_MAX)
		return WK_ERR_LIMIT;
	rc = strtab_reserve(t, len);
	if (rc != WK_OK)
		return rc;

	e = &t->entries[t->n];
	e->offset = t->arena_len;
	e->len = (uint32_t)len;
	e->hash = hash;
	memcpy(t->arena + t->arena_len, s, len);
	t->arena[t->arena_len + len] = '\0';
	t->arena_len += len + 1;
	t->slots[slot] = t->n + 1;
	*index = t->n++;
	return WK_OK;
}

int
strtab_intern(struct strtab *t, const char *s, size_t len, uint32_t *index)
{
	uint32_t hash = strtab_hash(s, len);
	size_t slot;
	int rc;

	/* Keep the load factor at or below one half. */
	if (((size_t)t->n + 1) * 2 > t->n_slots) {
		rc = strtab_rehash(t);
		if (rc != WK_OK)
			return rc;
	}

	slot = hash & (t->n_slots - 1);
	while (t->slots[slot] != 0) {
		const struct strtab_entry *e = &t->entries[t->slots[slot] - 1];

		if (e->hash == hash && e->len == len &&
		    memcmp(t->arena + e->offset, s, len) == 0) {
			*index = t->slots[slot] - 1;
			return WK_OK;
		}
		slot = (slot + 1) & (t->n_slots - 1);
	}
	return strtab_add(t, s, len, hash, slot, index);
}

const char *
strtab_get(const struct strtab *t, uint32_t index, size_t *len)
{
	const struct strtab_entry *e = &t->entries[index];

	if (len != NULL)
		*len = e->len;
	return t->arena + e->offset;
}
