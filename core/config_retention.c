/*
 * The "retention" section: how long the agent keeps runs with their stage
 * runs, log lines and metrics, the log lines alone, the run directories
 * with the stages' files, and the delivered alert messages.
 */
#include "config_retention.h"

#include "core/i18n.h"

static const char *const retention_keys[] = {
	"runs", "logs", "run_dirs", "notifications", NULL
};

int
cfg_retention_load(struct cfgcheck *ck, struct cfg *cfg,
		   const struct cfgcheck_member *m)
{
	struct cfg_retention *r = &cfg->retention;
	struct cfgcheck_member k;
	int rc;

	r->runs_ms = CFG_RETENTION_RUNS_MS;
	r->logs_ms = CFG_RETENTION_LOGS_MS;
	r->run_dirs_ms = CFG_RETENTION_LOGS_MS;
	r->notifications_ms = CFG_RETENTION_NOTIFICATIONS_MS;
	if (m->value == NULL)
		return WK_OK;
	if (!json_is_object(m->value))
		return cfgcheck_wrong_type(ck, m, _("an object"),
		    "{\"runs\": \"180d\", \"logs\": \"30d\"}");
	rc = cfgcheck_keys(ck, m->node, retention_keys,
	    _("in \"retention\""));
	k = cfgcheck_get_member(ck, m->value, m->node, "runs");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &k, &r->runs_ms);
	k = cfgcheck_get_member(ck, m->value, m->node, "logs");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &k, &r->logs_ms);
	k = cfgcheck_get_member(ck, m->value, m->node, "run_dirs");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &k, &r->run_dirs_ms);
	k = cfgcheck_get_member(ck, m->value, m->node, "notifications");
	if (rc == WK_OK)
		rc = cfgcheck_duration(ck, &k, &r->notifications_ms);
	return rc;
}

void
cfg_retention_free(struct cfg *cfg)
{
	(void)cfg;
}
