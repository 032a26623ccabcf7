#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "generated/paths.h"

static char paths_exe[PATH_MAX];
static char paths_data[PATH_MAX];
static char paths_locale[PATH_MAX];
static char paths_state[PATH_MAX];

const char *
paths_exe_dir(void)
{
	ssize_t n;
	char *slash;

	if (paths_exe[0] != '\0')
		return paths_exe;

	n = readlink("/proc/self/exe", paths_exe, sizeof paths_exe - 1);
	if (n <= 0) {
		strcpy(paths_exe, ".");
		return paths_exe;
	}
	paths_exe[n] = '\0';
	slash = strrchr(paths_exe, '/');
	if (slash != NULL && slash != paths_exe)
		*slash = '\0';
	return paths_exe;
}

/* Tells whether the running binary lives under the build tree. */
static int
paths_in_build_tree(void)
{
	const char *exe = paths_exe_dir();
	size_t n = strlen(WK_BUILD_DIR);

	return strncmp(exe, WK_BUILD_DIR, n) == 0 &&
	    (exe[n] == '/' || exe[n] == '\0');
}

static const char *
paths_pick(char *out, size_t size, const char *env, const char *build,
	   const char *install)
{
	const char *value = getenv(env);

	if (out[0] != '\0')
		return out;
	if (value == NULL || value[0] == '\0')
		value = paths_in_build_tree() ? build : install;
	snprintf(out, size, "%s", value);
	return out;
}

const char *
paths_data_dir(void)
{
	return paths_pick(paths_data, sizeof paths_data, "WATCHKEEP_DATA_DIR",
	    WK_SOURCE_DIR "/data", WK_INSTALL_DATADIR "/data");
}

const char *
paths_locale_dir(void)
{
	return paths_pick(paths_locale, sizeof paths_locale,
	    "WATCHKEEP_LOCALE_DIR", WK_BUILD_LOCALEDIR, WK_INSTALL_LOCALEDIR);
}

const char *
paths_default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (paths_state[0] != '\0')
		return paths_state;
	if (xdg != NULL && xdg[0] == '/')
		snprintf(paths_state, sizeof paths_state, "%s/watchkeep", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(paths_state, sizeof paths_state,
		    "%s/.local/state/watchkeep", home);
	else
		return NULL;
	return paths_state;
}

int
paths_mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);
	char *p;

	if (len == 0 || len >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}

	/* Most calls create a directory whose parent exists: one mkdir(2). */
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;

	memcpy(path, dir, len + 1);

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}
