/*
 * Ordering of a directed acyclic graph given by indices: node i depends on
 * the nodes listed in its deps. Used for the stages of a pipeline, and
 * generic enough for any graph of at most DAG_NODES_MAX nodes.
 */
#ifndef WK_DAG_H
#define WK_DAG_H

#include <stddef.h>

#define DAG_NODES_MAX (1u << 24)  /* nodes in one graph */

/* The dependencies of one node. */
struct dag_node {
	const size_t *deps;  /* nodes this one depends on; not owned */
	size_t n_deps;       /* entries in deps */
};

/*
 * Orders the n nodes so that every node comes after all its dependencies.
 * Among the nodes that are ready at the same time the lowest index comes
 * first, so a graph already in dependency order keeps its order.
 *
 * order and cycle each have room for n indices. Returns:
 * - WK_OK: order contains a permutation of 0..n-1 and *cycle_len is 0;
 * - WK_ERR_INVALID: the graph has a cycle. cycle[0..*cycle_len-1] contains
 *   the nodes of one cycle, starting with its lowest index, where
 *   cycle[i+1] depends on cycle[i] and cycle[0] depends on the last one
 *   (a node that depends on itself is a cycle of length 1);
 * - WK_ERR_NOTFOUND: a dependency index is n or more;
 * - WK_ERR_LIMIT: n is more than DAG_NODES_MAX;
 * - WK_ERR_NOMEM.
 * order is undefined unless WK_OK is returned.
 */
int dag_order(const struct dag_node *nodes, size_t n, size_t *order,
	      size_t *cycle, size_t *cycle_len);

#endif
