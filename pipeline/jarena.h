/*
 * A bump allocator for jansson while `churn ingest` parses JSON Lines:
 * every value of one line is carved from one block, which is reset after
 * the line, so parsing costs no malloc(3) a row. Allocations that do not
 * fit in the block fall back to malloc(3) and free(3).
 *
 * jansson's allocation hooks are process-wide and take no context, so only
 * one arena may be active at a time, and no other code may keep jansson
 * values across jarena_reset() or jarena_end() while it is active.
 */
#ifndef WK_PIPELINE_JARENA_H
#define WK_PIPELINE_JARENA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JARENA_SIZE (4 * 1024 * 1024)  /* bytes in the block */

struct jarena {
	char *base;                 /* the block; owned */
	size_t size;                /* bytes in the block */
	size_t used;                /* bytes handed out since the reset */
	json_malloc_t prev_malloc;  /* jansson's hooks before jarena_begin() */
	json_free_t prev_free;      /* idem */
	uint64_t fallbacks;         /* allocations that went to malloc(3) */
};

/*
 * Allocates the block and installs the hooks. Returns WK_OK or
 * WK_ERR_NOMEM (then nothing is installed).
 */
int jarena_begin(struct jarena *a, size_t size);

/* Forgets every allocation; all values parsed since must be released. */
void jarena_reset(struct jarena *a);

/* Restores jansson's previous hooks and frees the block. */
void jarena_end(struct jarena *a);

#endif
