/*
 * Translation of the pages per request. setlocale() and the gettext
 * state are process-wide, and the pages of two requests may be in two
 * languages at the same time on two threads, so the Japanese catalog
 * (LOCALE_DIR/ja/LC_MESSAGES/watchkeep.mo, GNU .mo format) is read into
 * memory once at start and searched here. Messages are marked with N_().
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/log.h"
#include "core/paths.h"
#include "web/web_int.h"

#define MO_MAGIC 0x950412deu     /* GNU .mo magic number */
#define MO_SIZE_MAX (8 << 20)    /* bytes of a catalog */

/* A catalog in memory; immutable after web_i18n_init(). */
struct mo_catalog {
	unsigned char *data;     /* file contents, NULL when not loaded */
	size_t size;             /* bytes of data */
	uint32_t count;          /* strings */
	uint32_t originals;      /* offset of the original string table */
	uint32_t translations;   /* offset of the translation table */
	int swap;                /* file byte order differs from ours */
};

static struct mo_catalog web_ja;
static pthread_once_t web_i18n_once = PTHREAD_ONCE_INIT;

static uint32_t
mo_u32(const struct mo_catalog *c, size_t off)
{
	uint32_t v;

	memcpy(&v, c->data + off, 4);
	if (c->swap)
		v = ((v & 0xffu) << 24) | ((v & 0xff00u) << 8) |
		    ((v >> 8) & 0xff00u) | (v >> 24);
	return v;
}

/* String i of a table, or NULL when it lies outside the file. */
static const char *
mo_str(const struct mo_catalog *c, uint32_t table, uint32_t i)
{
	size_t entry = (size_t)table + (size_t)i * 8;
	uint32_t len, off;

	if (entry + 8 > c->size)
		return NULL;
	len = mo_u32(c, entry);
	off = mo_u32(c, entry + 4);
	if ((size_t)off + len >= c->size || c->data[off + len] != '\0')
		return NULL;
	return (const char *)c->data + off;
}

static int
mo_read(struct mo_catalog *c, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_size < 28 || st.st_size > MO_SIZE_MAX) {
		close(fd);
		return -1;
	}
	c->data = malloc((size_t)st.st_size);
	n = c->data != NULL ? read(fd, c->data, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(c->data);
		c->data = NULL;
		return -1;
	}
	c->size = (size_t)st.st_size;
	return 0;
}

static void
web_i18n_load(void)
{
	char path[PATH_MAX];
	uint32_t magic;

	snprintf(path, sizeof path, "%s/ja/LC_MESSAGES/watchkeep.mo",
	    paths_locale_dir());
	if (mo_read(&web_ja, path) != 0) {
		LOG(LL_WARN, _("web: no Japanese message catalog at %s; pages are in English"),
		    path);
		return;
	}
	memcpy(&magic, web_ja.data, 4);
	web_ja.swap = magic != MO_MAGIC;
	web_ja.count = mo_u32(&web_ja, 8);
	web_ja.originals = mo_u32(&web_ja, 12);
	web_ja.translations = mo_u32(&web_ja, 16);
	if (mo_u32(&web_ja, 0) != MO_MAGIC || web_ja.count > web_ja.size / 16) {
		LOG(LL_WARN, _("web: %s is not a valid message catalog; pages are in English"),
		    path);
		free(web_ja.data);
		memset(&web_ja, 0, sizeof web_ja);
	}
}

void
web_i18n_init(void)
{
	pthread_once(&web_i18n_once, web_i18n_load);
}

void
web_text_cleanup(void)
{
	free(web_ja.data);
	memset(&web_ja, 0, sizeof web_ja);
}

const char *
web_tr(const char *lang, const char *msgid)
{
	uint32_t lo = 0, hi = web_ja.count;

	if (lang == NULL || strcmp(lang, "ja") != 0 || web_ja.data == NULL)
		return msgid;
	/* msgfmt sorts the original strings, so a binary search finds one. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *orig = mo_str(&web_ja, web_ja.originals, mid);
		int cmp;

		if (orig == NULL)
			return msgid;
		cmp = strcmp(msgid, orig);
		if (cmp == 0) {
			const char *tr = mo_str(&web_ja, web_ja.translations,
			    mid);

			return tr != NULL && tr[0] != '\0' ? tr : msgid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}

/* Reads the q value of one Accept-Language item (1 when absent). */
static double
item_quality(const char *params)
{
	const char *q = strstr(params, "q=");

	return q != NULL ? strtod(q + 2, NULL) : 1.0;
}

const char *
web_i18n_pick(const char *accept_language)
{
	char buf[256], *save = NULL, *item;
	double best_q = 0;
	const char *best = "en";

	if (accept_language == NULL)
		return best;
	snprintf(buf, sizeof buf, "%s", accept_language);
	for (item = strtok_r(buf, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		char *semi = strchr(item, ';');
		double q = semi != NULL ? item_quality(semi) : 1.0;
		const char *lang;

		while (*item == ' ')
			item++;
		if (strncasecmp(item, "ja", 2) == 0 && (item[2] == '\0' ||
		    item[2] == '-' || item[2] == ';' || item[2] == ' '))
			lang = "ja";
		else if (strncasecmp(item, "en", 2) == 0)
			lang = "en";
		else
			continue;
		/* The first of equally preferred languages wins. */
		if (q > best_q) {
			best_q = q;
			best = lang;
		}
	}
	return best;
}
