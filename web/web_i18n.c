/*
 * Translation of the pages per request. setlocale() and the gettext
 * state are process-wide, and the pages of two requests may be in two
 * languages at the same time on two threads, so the Japanese catalog
 * (LOCALE_DIR/ja/LC_MESSAGES/watchkeep.mo) is read into memory once at
 * start (core/mocat.h) and searched here. Messages are marked with N_().
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/i18n.h"
#include "core/log.h"
#include "core/mocat.h"
#include "core/paths.h"
#include "web/web_int.h"

static struct mocat web_ja;
static pthread_once_t web_i18n_once = PTHREAD_ONCE_INIT;

static void
web_i18n_load(void)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof path, "%s/ja/LC_MESSAGES/watchkeep.mo",
	    paths_locale_dir());
	rc = mocat_load(&web_ja, path);
	if (rc == WK_ERR_NOTFOUND)
		LOG(LL_WARN, _("web: no Japanese message catalog at %s; pages are in English"),
		    path);
	else if (rc != WK_OK)
		LOG(LL_WARN, _("web: %s is not a valid message catalog; pages are in English"),
		    path);
}

void
web_i18n_init(void)
{
	pthread_once(&web_i18n_once, web_i18n_load);
}

void
web_text_cleanup(void)
{
	mocat_free(&web_ja);
}

const char *
web_tr(const char *lang, const char *msgid)
{
	if (lang == NULL || strcmp(lang, "ja") != 0)
		return msgid;
	return mocat_find(&web_ja, msgid);
}

const char *
web_trn(const char *lang, const char *singular, const char *plural,
	unsigned long n)
{
	const char *tr;

	if (lang != NULL && strcmp(lang, "ja") == 0) {
		tr = mocat_find(&web_ja, singular);
		if (tr != singular)
			return tr;
	}
	return n == 1 ? singular : plural;
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
