/*
 * The names of the zones installed in the zoneinfo directory, for the
 * "did you mean" hint of an unknown time zone.
 */
#ifndef WK_TZ_NAMES_H
#define WK_TZ_NAMES_H

#include <stddef.h>

#include "core/rc.h"

#define TZ_NAMES_MAX 4096  /* zone names read; tzdata 2025b installs about 600 */
#define TZ_NAMES_DEPTH 3   /* directory levels, as in America/Argentina/Salta */

/* Zone names such as "Europe/Berlin", sorted with strcmp(). */
struct tz_names {
	char **names;  /* owned */
	size_t count;  /* entries in names */
};

/*
 * Lists the zones of $TZDIR, or of /usr/share/zoneinfo when TZDIR is unset
 * or empty: every regular file, or link to one, whose top-level entry
 * starts with an ASCII capital letter. That leaves out posix/, right/,
 * localtime, posixrules and the .tab, .zi and leap second files. Reads at
 * most TZ_NAMES_MAX names and TZ_NAMES_DEPTH levels. A directory that
 * cannot be read adds no names. Returns WK_OK or WK_ERR_NOMEM; free out
 * with tz_names_free() in both cases.
 */
int tz_names_load(struct tz_names *out);

/* Frees the names; out is empty afterwards. */
void tz_names_free(struct tz_names *out);

#endif
