/* Paths of probes and SLOs that name files in the state directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/config_probes.h"
#include "core/config_slos.h"

#define CFG_STATE_DIR_VAR "${WATCHKEEP_STATE_DIR}"

/* Tells whether path is the variable alone or the variable and "/...". */
static int
cfg_in_state_dir(const char *path)
{
	size_t n = strlen(CFG_STATE_DIR_VAR);

	return strncmp(path, CFG_STATE_DIR_VAR, n) == 0 &&
	    (path[n] == '/' || path[n] == '\0');
}

int
cfg_path_is_absolute(const char *path)
{
	return path[0] == '/' || cfg_in_state_dir(path);
}

/* Replaces the variable at the start of *path; leaves other paths. */
static int
cfg_resolve_one(char **path, const char *state_dir)
{
	size_t prefix = strlen(CFG_STATE_DIR_VAR), len;
	char *resolved;

	if (*path == NULL || !cfg_in_state_dir(*path))
		return WK_OK;
	len = strlen(state_dir) + strlen(*path + prefix) + 1;
	resolved = malloc(len);
	if (resolved == NULL)
		return WK_ERR_NOMEM;
	snprintf(resolved, len, "%s%s", state_dir, *path + prefix);
	free(*path);
	*path = resolved;
	return WK_OK;
}

int
cfg_resolve_state_dir(struct cfg *cfg, const char *state_dir)
{
	size_t i;
	int rc = WK_OK;

	for (i = 0; cfg->probes != NULL && i < cfg->probes->count &&
	    rc == WK_OK; i++) {
		struct cfg_probe *p = &cfg->probes->items[i];

		if (p->type == CFG_PROBE_FILE)
			rc = cfg_resolve_one(&p->file.path, state_dir);
		else if (p->type == CFG_PROBE_DISK)
			rc = cfg_resolve_one(&p->disk.path, state_dir);
	}
	for (i = 0; cfg->slos != NULL && i < cfg->slos->count &&
	    rc == WK_OK; i++)
		rc = cfg_resolve_one(&cfg->slos->items[i].sli.path, state_dir);
	return rc;
}
