#include "namehint.h"

#include <stdio.h>
#include <string.h>

#include "cfgcheck.h"
#include "i18n.h"

/* Names a configuration has at most: pipelines, or stages of one. */
#define NAMEHINT_NAMES_MAX \
	(CFG_MAX_STAGES > CFG_MAX_PIPELINES ? CFG_MAX_STAGES : CFG_MAX_PIPELINES)

/* Appends text to out[0..cap-1] at *used, cut to fit. */
static void
namehint_append(char *out, size_t cap, size_t *used, const char *text)
{
	int n;

	if (*used >= cap)
		return;
	n = snprintf(out + *used, cap - *used, "%s", text);
	*used += n < 0 ? 0 : (size_t)n;
}

void
namehint_write(char *out, size_t cap, enum namehint_kind kind,
	       const char *name, const char *const *names, size_t n)
{
	const char *nearest = name != NULL ? cfgcheck_nearest(name, names, n) :
	    NULL;
	char more[64];
	size_t used = 0, i;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (nearest != NULL) {
		snprintf(out, cap, _("did you mean \"%s\"? "), nearest);
		used = strlen(out);
	}
	namehint_append(out, cap, &used, kind == NAMEHINT_STAGES ?
	    _("its stages: ") : _("known pipelines: "));
	if (n == 0)
		namehint_append(out, cap, &used, _("none"));
	for (i = 0; i < n && i < NAMEHINT_LIST_MAX; i++) {
		if (i > 0)
			namehint_append(out, cap, &used, ", ");
		namehint_append(out, cap, &used, names[i]);
	}
	if (n > NAMEHINT_LIST_MAX) {
		snprintf(more, sizeof more, P_(", and %zu more", ", and %zu more",
		    (unsigned long)(n - NAMEHINT_LIST_MAX)),
		    n - NAMEHINT_LIST_MAX);
		namehint_append(out, cap, &used, more);
	}
}

void
namehint_pipelines(char *out, size_t cap, const struct cfg *cfg,
		   const char *name)
{
	const char *names[NAMEHINT_NAMES_MAX];
	size_t n = 0;

	for (; cfg != NULL && n < cfg->n_pipelines && n < NAMEHINT_NAMES_MAX;
	     n++)
		names[n] = cfg->pipelines[n].name;
	namehint_write(out, cap, NAMEHINT_PIPELINES, name, names, n);
}

void
namehint_stages(char *out, size_t cap, const struct cfg_pipeline *p,
		const char *name)
{
	const char *names[NAMEHINT_NAMES_MAX];
	size_t n = 0;

	for (; n < p->n_stages && n < NAMEHINT_NAMES_MAX; n++)
		names[n] = p->stages[n].name;
	namehint_write(out, cap, NAMEHINT_STAGES, name, names, n);
}
