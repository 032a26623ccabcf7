/*
 * Hints for a name on the command line or in a request that matches no
 * pipeline or stage: the nearest known name ("did you mean") and the list
 * of known names, so that every command reports such a name the same way.
 */
#ifndef WK_NAMEHINT_H
#define WK_NAMEHINT_H

#include <stddef.h>

#include "core/config.h"

#define NAMEHINT_LIST_MAX 20   /* names listed; the rest are counted */
#define NAMEHINT_MSG_MAX 1024  /* bytes of a hint, with its NUL */

/* The things a hint lists. */
enum namehint_kind {
	NAMEHINT_PIPELINES,  /* "known pipelines: a, b" */
	NAMEHINT_STAGES      /* "its stages: a, b" */
};

/*
 * Writes to out[0..cap-1] (truncated to fit) the hint for name among
 * names[0..n-1]: "did you mean "NEAR"? known pipelines: a, b, and 3 more"
 * (or "its stages: ..." for NAMEHINT_STAGES). The "did you mean" part is
 * left out when name is NULL or no name is near (cfgcheck_nearest()), and
 * the list reads "none" when n is 0. Names are shown as given.
 */
void namehint_write(char *out, size_t cap, enum namehint_kind kind,
		    const char *name, const char *const *names, size_t n);

/* Writes namehint_write() for name among the pipelines of cfg. */
void namehint_pipelines(char *out, size_t cap, const struct cfg *cfg,
			const char *name);

/* Writes namehint_write() for name among the stages of pipeline p. */
void namehint_stages(char *out, size_t cap, const struct cfg_pipeline *p,
		     const char *name);

#endif
