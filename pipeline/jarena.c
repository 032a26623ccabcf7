#include "pipeline/jarena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/rc.h"

static struct jarena *jarena_active;  /* the arena the hooks use */

static void *
jarena_malloc(size_t n)
{
	struct jarena *a = jarena_active;
	size_t align = alignof(max_align_t);
	size_t need = (n + align - 1) & ~(align - 1);
	void *p;

	if (need < n || need > a->size - a->used) {
		a->fallbacks++;
		return malloc(n);
	}
	p = a->base + a->used;
	a->used += need;
	return p;
}

static void
jarena_free(void *p)
{
	struct jarena *a = jarena_active;
	uintptr_t addr = (uintptr_t)p, base = (uintptr_t)a->base;

	if (addr >= base && addr - base < a->size)
		return;
	free(p);
}

int
jarena_begin(struct jarena *a, size_t size)
{
	a->base = malloc(size);
	if (a->base == NULL)
		return WK_ERR_NOMEM;

	a->size = size;
	a->used = 0;
	a->fallbacks = 0;
	json_get_alloc_funcs(&a->prev_malloc, &a->prev_free);
	jarena_active = a;
	json_set_alloc_funcs(jarena_malloc, jarena_free);
	return WK_OK;
}

void
jarena_reset(struct jarena *a)
{
	a->used = 0;
}

void
jarena_end(struct jarena *a)
{
	json_set_alloc_funcs(a->prev_malloc, a->prev_free);
	jarena_active = NULL;
	free(a->base);
	a->base = NULL;
}
