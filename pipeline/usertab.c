#include "pipeline/usertab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define USERTAB_GROUP 8        /* lookups of one prefetch step */
#define USERTAB_MIN_SLOTS 4096  /* slots of the first table */

/* Multipliers of the hash: odd 64-bit constants with mixed bits. */
#define USERTAB_K1 UINT64_C(0x9E3779B97F4A7C15)
#define USERTAB_K2 UINT64_C(0xBF58476D1CE4E5B9)
#define USERTAB_K3 UINT64_C(0x94D049BB133111EB)

/* Returns the n < 8 bytes at s as a little-endian number. */
static uint64_t
usertab_tail(const char *s, uint32_t n)
{
	uint64_t w = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	return w;
}

/*
 * Hashes an id 8 bytes at a time, with a multiply-xorshift mix in the
 * manner of SplitMix64's finalizer.
 */
static uint64_t
usertab_hash(const char *s, uint32_t len)
{
	uint64_t h = (uint64_t)len * USERTAB_K1, w;
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * USERTAB_K2;
		h ^= h >> 31;
	}
	w = usertab_tail(s + i, len - i);
	h = (h ^ w) * USERTAB_K3;
	h ^= h >> 29;
	h *= USERTAB_K2;
	return h ^ (h >> 32);
}

/* Returns the first 8 bytes of an id, zero-padded. */
static uint64_t
usertab_prefix(const char *s, uint32_t len)
{
	uint64_t w;

	if (len < 8)
		return usertab_tail(s, len);
	memcpy(&w, s, 8);
	return w;
}

void
usertab_init(struct usertab *t, uint32_t max)
{
	memset(t, 0, sizeof *t);
	t->max = max;
}

void
usertab_free(struct usertab *t)
{
	uint32_t max = t->max;

	free(t->entries);
	free(t->slots);
	free(t->arena);
	usertab_init(t, max);
}

const char *
usertab_id(const struct usertab *t, uint32_t index)
{
	return t->arena + t->entries[index].text_offset;
}

size_t
usertab_bytes(const struct usertab *t)
{
	return (size_t)t->cap * sizeof *t->entries +
	    (size_t)t->n_slots * sizeof *t->slots + t->arena_cap;
}

/* Returns the number of bits of a slot index for n_slots slots. */
static unsigned
usertab_bits(uint64_t n_slots)
{
	unsigned bits = 0;

	while ((UINT64_C(1) << bits) < n_slots)
		bits++;
	return bits;
}

/*
 * Returns the home slot of hash h: its top bits. Doubling the table
 * then keeps the slots in order, so that growing walks both tables
 * from start to end instead of jumping around memory.
 */
static uint64_t
usertab_home(uint64_t h, unsigned bits)
{
	return bits == 0 ? 0 : h >> (64 - bits);
}

/* Stores slot value v, whose hash is h, in the first free slot from home. */
static void
usertab_place(uint64_t *slots, uint64_t n_slots, unsigned bits, uint64_t h,
	      uint64_t v)
{
	uint64_t pos = usertab_home(h, bits);

	while (slots[pos] != 0)
		pos = (pos + 1) & (n_slots - 1);
	slots[pos] = v;
}

/*
 * Doubles the slots until n_slots >= 2 * want and places every entry. A
 * slot's upper half holds the upper half of the hash, which gives the
 * new home as long as it has at most 32 bits; beyond that the id is
 * hashed again.
 */
static int
usertab_grow_slots(struct usertab *t, uint64_t want)
{
	uint64_t n_slots = t->n_slots == 0 ? USERTAB_MIN_SLOTS : t->n_slots;
	uint64_t *slots, i;
	unsigned bits;

	while (n_slots < 2 * want)
		n_slots *= 2;
	if (n_slots == t->n_slots)
		return WK_OK;
	bits = usertab_bits(n_slots);
	slots = calloc((size_t)n_slots, sizeof *slots);
	if (slots == NULL)
		return WK_ERR_NOMEM;

	for (i = 0; i < t->n_slots; i++) {
		uint64_t v = t->slots[i], h = v;

		if (v == 0)
			continue;
		if (bits > 32) {
			const struct usertab_entry *e =
			    &t->entries[(uint32_t)v - 1];

			h = usertab_hash(t->arena + e->text_offset,
			    e->text_len);
		}
		usertab_place(slots, n_slots, bits, h, v);
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = n_slots;
	t->bits = bits;
	return WK_OK;
}

/* Makes room for n more entries and slots, so that a batch never moves
 * them. */
static int
usertab_reserve(struct usertab *t, size_t n)
{
	uint64_t want = (uint64_t)t->n + n;
	struct usertab_entry *e;
	uint64_t cap;

	if (usertab_grow_slots(t, want) != WK_OK)
		return WK_ERR_NOMEM;
	if (want <= t->cap)
		return WK_OK;
	cap = t->cap == 0 ? 4096 : (uint64_t)t->cap * 2;
	while (cap < want)
		cap *= 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	e = realloc(t->entries, (size_t)cap * sizeof *e);
	if (e == NULL)
		return WK_ERR_NOMEM;
	t->entries = e;
	t->cap = (uint32_t)cap;
	return WK_OK;
}

/* Appends a new id to the arena and its entry; returns its index. */
static int
usertab_add(struct usertab *t, const struct usertab_key *k, uint64_t prefix,
	    uint32_t *index)
{
	struct usertab_entry *e;

	if (t->n >= t->max || t->n >= t->cap)
		return WK_ERR_LIMIT;
	if (t->arena_len + k->len + 1 > t->arena_cap) {
		size_t cap = t->arena_cap == 0 ? 65536 : t->arena_cap * 2;
		char *a;

		while (cap < t->arena_len + k->len + 1)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (a == NULL)
			return WK_ERR_NOMEM;
		t->arena = a;
		t->arena_cap = cap;
	}

	e = &t->entries[t->n];
	*e = (struct usertab_entry){ t->arena_len, prefix, k->len, 0,
	    INT64_MIN };
	memcpy(t->arena + t->arena_len, k->text, k->len);
	t->arena[t->arena_len + k->len] = '\0';
	t->arena_len += (size_t)k->len + 1;
	*index = t->n++;
	return WK_OK;
}

static bool
usertab_equal(const struct usertab *t, const struct usertab_entry *e,
	      const struct usertab_key *k, uint64_t prefix)
{
	return e->text_len == k->len && e->prefix == prefix &&
	    (k->len <= 8 || memcmp(t->arena + e->text_offset + 8,
	    k->text + 8, k->len - 8) == 0);
}

/* Finds or adds one key with hash h. */
static int
usertab_find(struct usertab *t, const struct usertab_key *k, uint64_t h,
	     uint32_t *index)
{
	uint64_t pos = usertab_home(h, t->bits), tag = h >> 32 << 32;
	uint64_t prefix = usertab_prefix(k->text, k->len);
	int rc;

	for (;;) {
		uint64_t slot = t->slots[pos];

		if (slot == 0)
			break;
		if ((slot & ~(uint64_t)UINT32_MAX) == tag &&
		    usertab_equal(t, &t->entries[(uint32_t)slot - 1], k,
		    prefix)) {
			*index = (uint32_t)slot - 1;
			return WK_OK;
		}
		pos = (pos + 1) & (t->n_slots - 1);
	}
	rc = usertab_add(t, k, prefix, index);
	if (rc == WK_OK)
		t->slots[pos] = tag | ((uint64_t)*index + 1);
	return rc;
}

static size_t
usertab_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool
usertab_same_key(const struct usertab_key *a, const struct usertab_key *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Returns the home slot of lookup j of the batch. */
static const uint64_t *
usertab_home_slot(const struct usertab *t, size_t j)
{
	return &t->slots[usertab_home(t->hashes[j], t->bits)];
}

int
usertab_intern(struct usertab *t, const struct usertab_key *keys, size_t n,
	       uint32_t *index)
{
	size_t i, j, g, m = 0;
	int rc;

	if (n > USERTAB_BATCH_MAX)
		return WK_ERR_LIMIT;
	rc = usertab_reserve(t, n);
	if (rc != WK_OK)
		return rc;

	/* One lookup for each run of equal ids, hashed up front. */
	for (i = 0; i < n; i++) {
		if (i > 0 && usertab_same_key(&keys[i], &keys[i - 1]))
			continue;
		t->hashes[m] = usertab_hash(keys[i].text, keys[i].len);
		t->lookups[m++] = (uint32_t)i;
	}
	/*
	 * A pipeline of groups of lookups: while group g is looked up, the
	 * entries of group g + 1 and the home slots of group g + 2 are on
	 * their way. The prefetches stay in this function: GCC 12 deletes
	 * calls of a helper that only prefetches, taking it for one
	 * without side effects.
	 */
	for (j = 0; j < usertab_min(2 * USERTAB_GROUP, m); j++)
		__builtin_prefetch(usertab_home_slot(t, j));
	for (g = 0; g < m; g += USERTAB_GROUP) {
		for (j = g + 2 * USERTAB_GROUP;
		    j < usertab_min(g + 3 * USERTAB_GROUP, m); j++)
			__builtin_prefetch(usertab_home_slot(t, j));
		for (j = g == 0 ? 0 : g + USERTAB_GROUP;
		    j < usertab_min(g + 2 * USERTAB_GROUP, m); j++) {
			uint64_t slot = *usertab_home_slot(t, j);

			if (slot != 0)
				__builtin_prefetch(&t->entries[(uint32_t)slot -
				    1]);
		}
		for (j = g; j < usertab_min(g + USERTAB_GROUP, m); j++) {
			rc = usertab_find(t, &keys[t->lookups[j]],
			    t->hashes[j], &index[t->lookups[j]]);
			if (rc != WK_OK)
				return rc;
		}
	}
	for (i = 1, j = 1; i < n; i++) {
		if (j < m && t->lookups[j] == i)
			j++;
		else
			index[i] = index[i - 1];
	}
	return WK_OK;
}
