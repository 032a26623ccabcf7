#include "core/dag.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/rc.h"

#define DAG_UNSEEN SIZE_MAX

/* Scratch arrays of one dag_order() call, in one allocation. */
struct dag_work {
	size_t *pending;   /* per node: dependencies not yet placed in order */
	size_t *first;     /* n + 1 offsets into users, by node */
	size_t *users;     /* node i's dependents at [first[i], first[i + 1]) */
	size_t *heap;      /* min-heap of ready nodes, then a step per node */
	size_t heap_len;   /* nodes in heap */
	void *block;       /* one allocation for the arrays above */
};

static void
heap_push(struct dag_work *w, size_t node)
{
	size_t i = w->heap_len++;

	while (i > 0 && w->heap[(i - 1) / 2] > node) {
		w->heap[i] = w->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->heap[i] = node;
}

static size_t
heap_pop(struct dag_work *w)
{
	size_t top = w->heap[0], last = w->heap[--w->heap_len];
	size_t i = 0, child;

	while ((child = 2 * i + 1) < w->heap_len) {
		if (child + 1 < w->heap_len &&
		    w->heap[child + 1] < w->heap[child])
			child++;
		if (last <= w->heap[child])
			break;
		w->heap[i] = w->heap[child];
		i = child;
	}
	if (w->heap_len > 0)
		w->heap[i] = last;
	return top;
}

/* Counts the edges and checks every index. */
static int
count_edges(const struct dag_node *nodes, size_t n, size_t *edges)
{
	size_t i, j;

	*edges = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nodes[i].n_deps; j++) {
			if (nodes[i].deps[j] >= n)
				return WK_ERR_NOTFOUND;
		}
		if (nodes[i].n_deps > SIZE_MAX / sizeof(size_t) / 4 - *edges)
			return WK_ERR_LIMIT;
		*edges += nodes[i].n_deps;
	}
	return WK_OK;
}

/* Allocates the scratch arrays and fills pending, first and users. */
static int
work_init(struct dag_work *w, const struct dag_node *nodes, size_t n,
	  size_t edges)
{
	size_t i, j;

	w->block = calloc(3 * n + 1 + edges, sizeof(size_t));
	if (w->block == NULL)
		return WK_ERR_NOMEM;
	w->pending = w->block;
	w->first = w->pending + n;
	w->users = w->first + n + 1;
	w->heap = w->users + edges;
	w->heap_len = 0;

	for (i = 0; i < n; i++) {
		w->pending[i] = nodes[i].n_deps;
		for (j = 0; j < nodes[i].n_deps; j++)
			w->first[nodes[i].deps[j] + 1]++;
	}
	for (i = 0; i < n; i++)
		w->first[i + 1] += w->first[i];

	/* heap[] is still zero from calloc(): a fill cursor per node here. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < nodes[i].n_deps; j++) {
			size_t dep = nodes[i].deps[j];

			w->users[w->first[dep] + w->heap[dep]++] = i;
		}
	}
	return WK_OK;
}

/* Places the nodes in order (Kahn's algorithm); returns how many it placed. */
static size_t
place_ready(struct dag_work *w, size_t n, size_t *order)
{
	size_t placed = 0, i, k;

	for (i = 0; i < n; i++) {
		if (w->pending[i] == 0)
			heap_push(w, i);
	}

	while (w->heap_len > 0) {
		size_t node = heap_pop(w);

		order[placed++] = node;
		for (k = w->first[node]; k < w->first[node + 1]; k++) {
			if (--w->pending[w->users[k]] == 0)
				heap_push(w, w->users[k]);
		}
	}
	return placed;
}

/*
 * Finds one cycle among the nodes left unplaced: from the lowest of them,
 * follows the first unplaced dependency until a node repeats. Every
 * unplaced node has one, so the walk ends on a cycle.
 */
static void
find_cycle(struct dag_work *w, const struct dag_node *nodes, size_t n,
	   size_t *walk, size_t *cycle, size_t *cycle_len)
{
	size_t *step = w->heap;
	size_t node = 0, k = 0, len, low, i, j;

	for (i = 0; i < n; i++)
		step[i] = DAG_UNSEEN;
	while (w->pending[node] == 0)
		node++;

	while (step[node] == DAG_UNSEEN) {
		step[node] = k;
		walk[k++] = node;
		for (j = 0; w->pending[nodes[node].deps[j]] == 0; j++)
			continue;
		node = nodes[node].deps[j];
	}

	/* walk[step[node]..k-1]: each depends on the next; reverse it. */
	len = k - step[node];
	low = 0;
	for (i = 0; i < len; i++) {
		cycle[i] = walk[k - 1 - i];
		if (cycle[i] < cycle[low])
			low = i;
	}
	for (i = 0; i < len; i++)
		walk[i] = cycle[(low + i) % len];
	for (i = 0; i < len; i++)
		cycle[i] = walk[i];
	*cycle_len = len;
}

int
dag_order(const struct dag_node *nodes, size_t n, size_t *order,
	  size_t *cycle, size_t *cycle_len)
{
	struct dag_work w;
	size_t edges;
	int rc;

	*cycle_len = 0;
	if (n > DAG_NODES_MAX)
		return WK_ERR_LIMIT;
	rc = count_edges(nodes, n, &edges);
	if (rc != WK_OK)
		return rc;

	rc = work_init(&w, nodes, n, edges);
	if (rc != WK_OK)
		return rc;
	if (place_ready(&w, n, order) < n) {
		find_cycle(&w, nodes, n, order, cycle, cycle_len);
		rc = WK_ERR_INVALID;
	}
	free(w.block);
	return rc;
}
