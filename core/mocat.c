/* GNU .mo catalogs searched in memory; see mocat.h. */
#include "core/mocat.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rc.h"

#define MOCAT_MAGIC 0x950412deu  /* GNU .mo magic number */
#define MOCAT_HEADER 28          /* bytes of the fixed header */

static uint32_t
mocat_word(const struct mocat *c, size_t offset)
{
	uint32_t v;

	memcpy(&v, c->data + offset, 4);
	if (c->swap)
		v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
		    (v << 24);
	return v;
}

/*
 * Returns string i of the table at offset, or NULL when it lies outside
 * the file or is not NUL-terminated.
 */
static const char *
mocat_string(const struct mocat *c, uint32_t table, uint32_t i)
{
	size_t entry = (size_t)table + (size_t)i * 8;
	uint32_t len, off;

	if (entry + 8 > c->size)
		return NULL;
	len = mocat_word(c, entry);
	off = mocat_word(c, entry + 4);
	if ((size_t)off + len >= c->size || c->data[off + len] != '\0')
		return NULL;
	return (const char *)c->data + off;
}

/* Reads the whole file at path into c->data. */
static int
mocat_read(struct mocat *c, const char *path)
{
	struct stat st;
	ssize_t n = -1;
	int fd;

	memset(&st, 0, sizeof st);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return WK_ERR_NOTFOUND;
	if (fstat(fd, &st) == 0 && st.st_size >= MOCAT_HEADER &&
	    st.st_size <= MOCAT_SIZE_MAX) {
		c->data = malloc((size_t)st.st_size);
		if (c->data != NULL)
			n = read(fd, c->data, (size_t)st.st_size);
	}
	close(fd);
	if (n != st.st_size || c->data == NULL) {
		mocat_free(c);
		return WK_ERR_NOTFOUND;
	}
	c->size = (size_t)st.st_size;
	return WK_OK;
}

int
mocat_load(struct mocat *c, const char *path)
{
	uint32_t magic;
	int rc;

	memset(c, 0, sizeof *c);
	rc = mocat_read(c, path);
	if (rc != WK_OK)
		return rc;

	memcpy(&magic, c->data, 4);
	c->swap = magic != MOCAT_MAGIC;
	c->count = mocat_word(c, 8);
	c->originals = mocat_word(c, 12);
	c->translations = mocat_word(c, 16);
	if (mocat_word(c, 0) != MOCAT_MAGIC || c->count > c->size / 16) {
		mocat_free(c);
		return WK_ERR_INVALID;
	}
	return WK_OK;
}

const char *
mocat_find(const struct mocat *c, const char *msgid)
{
	uint32_t lo = 0, hi = c->count;

	if (c->data == NULL)
		return msgid;

	/* msgfmt sorts the original strings, so a binary search finds one. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *orig = mocat_string(c, c->originals, mid);
		const char *tr;
		int cmp;

		if (orig == NULL)
			return msgid;
		cmp = strcmp(msgid, orig);
		if (cmp < 0) {
			hi = mid;
		} else if (cmp > 0) {
			lo = mid + 1;
		} else {
			tr = mocat_string(c, c->translations, mid);
			return tr != NULL && tr[0] != '\0' ? tr : msgid;
		}
	}
	return msgid;
}

void
mocat_free(struct mocat *c)
{
	free(c->data);
	memset(c, 0, sizeof *c);
}
