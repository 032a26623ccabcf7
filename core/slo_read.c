/*
 * Reads of stored SLO evaluations for the command line, the TUI and the
 * web page, which open the store read-only. See core/slo.h.
 */
#include "core/slo.h"

#include "core/store_slo.h"

int
slo_read_latest(struct store *st, const char *name, struct slo_status *out)
{
	return store_slo_eval_latest(st, name, out);
}

int
slo_read_series(struct store *st, const char *name, int64_t from, int64_t to,
		int64_t step, struct slo_point *out, size_t max, size_t *n)
{
	return store_slo_eval_series(st, name, from, to, step, out, max, n);
}
