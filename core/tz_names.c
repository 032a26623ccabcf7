#include "tz_names.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tz.h"

#define TZ_NAMES_DIR_DEFAULT "/usr/share/zoneinfo"
#define TZ_NAMES_PATH_MAX 4096  /* bytes of a path in the zone directory */

/* Tells whether a directory entry may be part of a zone name. */
static int
tz_names_entry_ok(const char *entry, int top)
{
	const char *p;

	if (top && !(entry[0] >= 'A' && entry[0] <= 'Z'))
		return 0;
	if (entry[0] == '.' || entry[0] == '\0')
		return 0;
	for (p = entry; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("_-+.", *p) != NULL))
			return 0;
	}
	return 1;
}

/* Appends a copy of name; past TZ_NAMES_MAX names it adds nothing. */
static int
tz_names_add(struct tz_names *out, const char *name)
{
	if (out->count >= TZ_NAMES_MAX)
		return WK_OK;
	if (out->names == NULL) {
		out->names = calloc(TZ_NAMES_MAX, sizeof *out->names);
		if (out->names == NULL)
			return WK_ERR_NOMEM;
	}
	out->names[out->count] = strdup(name);
	if (out->names[out->count] == NULL)
		return WK_ERR_NOMEM;
	out->count++;
	return WK_OK;
}

/*
 * Adds the zones under dir/prefix, where prefix is "" or ends with '/',
 * and descends into subdirectories while depth < TZ_NAMES_DEPTH.
 */
static int
tz_names_scan(struct tz_names *out, const char *dir, const char *prefix,
	      int depth)
{
	char path[TZ_NAMES_PATH_MAX], name[TZ_NAME_MAX + 1];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = WK_OK;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, prefix) >=
	    sizeof path)
		return WK_OK;
	d = opendir(path);
	if (d == NULL)
		return WK_OK;
	while (rc == WK_OK && out->count < TZ_NAMES_MAX &&
	       (e = readdir(d)) != NULL) {
		if (!tz_names_entry_ok(e->d_name, depth == 0))
			continue;
		if ((size_t)snprintf(name, sizeof name, "%s%s", prefix,
		    e->d_name) >= sizeof name ||
		    (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
		    sizeof path || stat(path, &st) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			rc = tz_names_add(out, name);
		else if (S_ISDIR(st.st_mode) && depth + 1 < TZ_NAMES_DEPTH &&
		    strlen(name) + 1 < sizeof name) {
			strcat(name, "/");
			rc = tz_names_scan(out, dir, name, depth + 1);
		}
	}
	closedir(d);
	return rc;
}

static int
tz_names_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
tz_names_load(struct tz_names *out)
{
	const char *dir = getenv("TZDIR");
	int rc;

	out->names = NULL;
	out->count = 0;
	if (dir == NULL || dir[0] == '\0')
		dir = TZ_NAMES_DIR_DEFAULT;
	rc = tz_names_scan(out, dir, "", 0);
	if (rc == WK_OK && out->count > 1)
		qsort(out->names, out->count, sizeof *out->names,
		    tz_names_compare);
	return rc;
}

void
tz_names_free(struct tz_names *out)
{
	size_t i;

	for (i = 0; i < out->count; i++)
		free(out->names[i]);
	free(out->names);
	out->names = NULL;
	out->count = 0;
}
