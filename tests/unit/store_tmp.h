/*
 * Temporary store directory of a unit test: a fresh directory under /tmp
 * with the paths of store.db and its write-ahead log, removed at the end.
 * Header-only with inline functions, so each test binary gets its own
 * copy of the state and a test that uses only some of them builds clean.
 */
#ifndef WK_TEST_STORE_TMP_H
#define WK_TEST_STORE_TMP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

static char store_dir[64];     /* the directory, from mkdtemp() */
static char db_path[300];      /* store_dir/store.db */
static char wal_path[310];     /* db_path-wal */

/* Creates /tmp/wk-NAME-XXXXXX, fills the paths and drops log lines below
 * level. Returns 0, or -1 when the directory cannot be created. */
static inline int
store_tmp_setup(const char *name, enum log_level level)
{
	log_min_level = level;
	snprintf(store_dir, sizeof store_dir, "/tmp/wk-%s-XXXXXX", name);
	if (mkdtemp(store_dir) == NULL)
		return -1;
	snprintf(db_path, sizeof db_path, "%s/store.db", store_dir);
	snprintf(wal_path, sizeof wal_path, "%s-wal", db_path);
	return 0;
}

/* Removes the directory and everything in it. Returns 0 or -1. */
static inline int
store_tmp_teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", store_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Returns the size of path in bytes, or -1 when it does not exist. */
static inline int64_t
store_tmp_file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

#endif
