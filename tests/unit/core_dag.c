/* Ordering of dependency graphs (core/dag.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/dag.h"
#include "core/rc.h"

#define NODES_MAX 64

/* A graph written as one dependency list a node. */
struct graph {
	size_t deps[NODES_MAX][NODES_MAX];  /* deps[i][0..n_deps[i]-1] */
	struct dag_node nodes[NODES_MAX];   /* points into deps */
	size_t n;                           /* nodes in use */
};

static void
graph_init(struct graph *g, size_t n)
{
	size_t i;

	memset(g, 0, sizeof *g);
	g->n = n;
	for (i = 0; i < n; i++)
		g->nodes[i].deps = g->deps[i];
}

/* Makes node depend on dep. */
static void
edge(struct graph *g, size_t node, size_t dep)
{
	g->deps[node][g->nodes[node].n_deps++] = dep;
}

/* Checks that order is a permutation with every node after its deps. */
static void
assert_valid_order(const struct dag_node *nodes, size_t n,
		   const size_t *order)
{
	size_t *place = calloc(n + 1, sizeof *place);
	size_t i, j;

	assert_non_null(place);
	for (i = 0; i < n; i++)
		place[i] = SIZE_MAX;
	for (i = 0; i < n; i++) {
		assert_true(order[i] < n);
		assert_int_equal(place[order[i]], SIZE_MAX);
		place[order[i]] = i;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nodes[i].n_deps; j++)
			assert_true(place[nodes[i].deps[j]] < place[i]);
	}
	free(place);
}

/* Checks the documented shape of a cycle. */
static void
assert_valid_cycle(const struct dag_node *nodes, const size_t *cycle,
		   size_t len)
{
	size_t i, j;

	assert_true(len > 0);
	for (i = 0; i < len; i++) {
		size_t prev = cycle[(i + len - 1) % len];
		int found = 0;

		assert_true(cycle[0] <= cycle[i]);
		for (j = 0; j < nodes[cycle[i]].n_deps; j++)
			found |= nodes[cycle[i]].deps[j] == prev;
		assert_true(found);
	}
}

static void
order_keeps_file_order(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len = 99, i;

	(void)state;
	graph_init(&g, 5);
	edge(&g, 1, 0);
	edge(&g, 2, 1);
	edge(&g, 3, 2);
	edge(&g, 3, 1);
	edge(&g, 4, 3);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len), WK_OK);
	assert_int_equal(len, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(order[i], i);
}

static void
order_dependencies_first(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len;

	(void)state;
	/* 0 depends on 2, 2 on 1: 1, 2, 0; 3 is free and comes in file order. */
	graph_init(&g, 4);
	edge(&g, 0, 2);
	edge(&g, 2, 1);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len), WK_OK);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 3);
}

static void
order_ties_lowest_index(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len;

	(void)state;
	/* Diamond 4 -> {3, 1} -> 2, and 0 free: ready sets break ties low first. */
	graph_init(&g, 5);
	edge(&g, 3, 2);
	edge(&g, 1, 2);
	edge(&g, 4, 3);
	edge(&g, 4, 1);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len), WK_OK);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 1);
	assert_int_equal(order[3], 3);
	assert_int_equal(order[4], 4);
}

static void
order_empty_graph(void **state)
{
	size_t order[1], cycle[1], len = 99;

	(void)state;
	assert_int_equal(dag_order(NULL, 0, order, cycle, &len), WK_OK);
	assert_int_equal(len, 0);
}

static void
order_duplicate_edges(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len;

	(void)state;
	graph_init(&g, 2);
	edge(&g, 0, 1);
	edge(&g, 0, 1);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len), WK_OK);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
}

static void
cycle_self_loop(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len = 0;

	(void)state;
	graph_init(&g, 3);
	edge(&g, 1, 0);
	edge(&g, 2, 2);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len),
	    WK_ERR_INVALID);
	assert_int_equal(len, 1);
	assert_int_equal(cycle[0], 2);
}

static void
cycle_two_nodes(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len = 0;

	(void)state;
	graph_init(&g, 3);
	edge(&g, 2, 1);
	edge(&g, 1, 2);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len),
	    WK_ERR_INVALID);
	assert_int_equal(len, 2);
	assert_int_equal(cycle[0], 1);
	assert_int_equal(cycle[1], 2);
}

static void
cycle_skips_downstream_nodes(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len = 0;

	(void)state;
	/*
	 * 0 depends on 4 (which is in the cycle), so 0 is blocked but not
	 * part of it. The cycle 4 -> 2 -> 5 -> 4 means 2 depends on 4, 5 on 2
	 * and 4 on 5; reported from its lowest node: 2, 5, 4.
	 */
	graph_init(&g, 6);
	edge(&g, 0, 4);
	edge(&g, 2, 4);
	edge(&g, 5, 2);
	edge(&g, 4, 5);
	edge(&g, 4, 1);
	edge(&g, 3, 1);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len),
	    WK_ERR_INVALID);
	assert_int_equal(len, 3);
	assert_int_equal(cycle[0], 2);
	assert_int_equal(cycle[1], 5);
	assert_int_equal(cycle[2], 4);
	assert_valid_cycle(g.nodes, cycle, len);
}

static void
bad_index_rejected(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], len = 99;

	(void)state;
	graph_init(&g, 2);
	edge(&g, 0, 2);
	assert_int_equal(dag_order(g.nodes, g.n, order, cycle, &len),
	    WK_ERR_NOTFOUND);
	assert_int_equal(len, 0);
}

/* A small linear congruential generator, so the test repeats exactly. */
static uint32_t
next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void
random_graphs_ordered(void **state)
{
	struct graph g;
	size_t order[NODES_MAX], cycle[NODES_MAX], perm[NODES_MAX];
	uint32_t seed = 42;
	int round;

	(void)state;
	for (round = 0; round < 500; round++) {
		size_t n = 1 + next_random(&seed) % NODES_MAX, i, j, len;

		/* Edges only from a later to an earlier place of a random permutation. */
		graph_init(&g, n);
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n; i > 1; i--) {
			size_t k = next_random(&seed) % i, t = perm[i - 1];

			perm[i - 1] = perm[k];
			perm[k] = t;
		}
		for (i = 1; i < n; i++) {
			for (j = 0; j < i; j++) {
				if (next_random(&seed) % 8 == 0)
					edge(&g, perm[i], perm[j]);
			}
		}
		assert_int_equal(dag_order(g.nodes, n, order, cycle, &len), WK_OK);
		assert_valid_order(g.nodes, n, order);

		/* Closing one back edge makes a cycle of valid shape. */
		if (n > 1 && g.nodes[perm[n - 1]].n_deps > 0) {
			edge(&g, g.nodes[perm[n - 1]].deps[0], perm[n - 1]);
			assert_int_equal(dag_order(g.nodes, n, order, cycle, &len),
			    WK_ERR_INVALID);
			assert_valid_cycle(g.nodes, cycle, len);
		}
	}
}

static void
long_chain_reversed(void **state)
{
	enum { N = 100000 };
	struct dag_node *nodes = calloc(N, sizeof *nodes);
	size_t *deps = calloc(N, sizeof *deps);
	size_t *order = calloc(N, sizeof *order);
	size_t *cycle = calloc(N, sizeof *cycle);
	size_t i, len;

	(void)state;
	assert_non_null(nodes);
	assert_non_null(deps);
	assert_non_null(order);
	assert_non_null(cycle);
	/* Node i depends on i + 1, so the order is N-1, ..., 0. */
	for (i = 0; i + 1 < N; i++) {
		deps[i] = i + 1;
		nodes[i].deps = &deps[i];
		nodes[i].n_deps = 1;
	}
	assert_int_equal(dag_order(nodes, N, order, cycle, &len), WK_OK);
	for (i = 0; i < N; i++)
		assert_int_equal(order[i], N - 1 - i);

	/* The last node depending on the first closes a cycle of all N. */
	deps[N - 1] = 0;
	nodes[N - 1].deps = &deps[N - 1];
	nodes[N - 1].n_deps = 1;
	assert_int_equal(dag_order(nodes, N, order, cycle, &len),
	    WK_ERR_INVALID);
	assert_int_equal(len, N);
	assert_valid_cycle(nodes, cycle, len);
	free(nodes);
	free(deps);
	free(order);
	free(cycle);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_keeps_file_order),
		cmocka_unit_test(order_dependencies_first),
		cmocka_unit_test(order_ties_lowest_index),
		cmocka_unit_test(order_empty_graph),
		cmocka_unit_test(order_duplicate_edges),
		cmocka_unit_test(cycle_self_loop),
		cmocka_unit_test(cycle_two_nodes),
		cmocka_unit_test(cycle_skips_downstream_nodes),
		cmocka_unit_test(bad_index_rejected),
		cmocka_unit_test(random_graphs_ordered),
		cmocka_unit_test(long_chain_reversed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
