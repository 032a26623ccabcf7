/*
 * A GNU .mo message catalog read into memory and searched without
 * gettext, for texts whose language is chosen per message (a web request,
 * an alert receiver) rather than by the process locale.
 */
#ifndef WK_MOCAT_H
#define WK_MOCAT_H

#include <stddef.h>
#include <stdint.h>

#define MOCAT_SIZE_MAX (8 << 20)  /* bytes of a catalog file */

/* A catalog; all zero when not loaded. Immutable once loaded. */
struct mocat {
	unsigned char *data;    /* owned file contents, NULL: not loaded */
	size_t size;            /* bytes of data */
	uint32_t count;         /* strings */
	uint32_t originals;     /* offset of the table of original strings */
	uint32_t translations;  /* offset of the table of translations */
	int swap;               /* the file's byte order differs from ours */
};

/*
 * Reads the catalog at path into c. Returns WK_OK, WK_ERR_NOTFOUND when
 * the file cannot be read or is larger than MOCAT_SIZE_MAX, or
 * WK_ERR_INVALID when it is not a .mo file; c stays empty on error.
 */
int mocat_load(struct mocat *c, const char *path);

/*
 * Returns the translation of msgid, or msgid itself when c is empty or
 * has no non-empty translation of it.
 */
const char *mocat_find(const struct mocat *c, const char *msgid);

/* Frees the contents of c and empties it. */
void mocat_free(struct mocat *c);

#endif
