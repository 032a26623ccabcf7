#include "pipeline/churn.h"

#include <stdio.h>

#include "core/i18n.h"

int
churn_exit_status(int rc)
{
	switch (rc) {
	case WK_OK:
		return EX_OK;
	case WK_ERR_INVALID:
	case WK_ERR_LIMIT:
		return EX_DATAERR;
	case WK_ERR_NOTFOUND:
		return EX_NOINPUT;
	case WK_ERR_IO:
		return EX_IOERR;
	default:
		return EX_SOFTWARE;
	}
}

int
churn_fail(const char *stage, int status, const struct wk_err *err)
{
	/* "error:" lets a supervisor's log capture flag the line. */
	fprintf(stderr, _("churn %s: error: %s\n"), stage, err->msg);
	return status;
}

int
churn_usage_error(const struct cli_cmd *cmd, const struct wk_err *err)
{
	fprintf(stderr, "%s\n\n", err->msg);
	cli_usage(stderr, cmd);
	return EX_USAGE;
}

void
churn_progress_fn(void *phase, double fraction)
{
	struct churn_phase *p = phase;

	notify_progress(p->nt, p->base + p->span * fraction);
}

void
churn_status_failed(struct notify *nt, const char *stage,
		    const struct wk_err *err)
{
	notify_status(nt, _("%s failed: %s"), stage, err->msg);
}
