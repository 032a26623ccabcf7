/*
 * libcurl, opened at its first use (netlib/netlib.h). The HTTP probes and
 * the alert webhooks call it through the table netlib_curl, whose members
 * have the types of the curl_* functions they are named after.
 */
#ifndef WK_NETLIB_CURL_H
#define WK_NETLIB_CURL_H

#include <curl/curl.h>

#include "core/rc.h"

/* The libcurl functions watchkeep calls; curl_NAME is in member NAME. */
struct netlib_curl_fns {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
					   const char *data);
	void (*slist_free_all)(struct curl_slist *list);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s,
					 int ev_bitmask, int *running);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
	CURLMcode (*multi_cleanup)(CURLM *multi);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *url, CURLUPart what, const char *part,
			     unsigned int flags);
	/* NOTE: curl.h of libcurl 7.88 declares url without const. Should
	 * a later one add it, the type check of netlib_curl.c warns, and
	 * this member needs the const too. */
	CURLUcode (*url_get)(CURLU *url, CURLUPart what, char **part,
			     unsigned int flags);
	void (*url_cleanup)(CURLU *url);
	void (*free)(void *p);
};

/*
 * The functions of libcurl. Every pointer is NULL until
 * netlib_curl_load() returns WK_OK, and stays valid from then on.
 */
extern struct netlib_curl_fns netlib_curl;

/*
 * Loads libcurl (WK_CURL_SONAME, libcurl.so.4 on Debian) unless it is
 * loaded, and calls curl_global_init() once. user names what needs it,
 * for the error message. Returns WK_OK, or an error with err naming the
 * library and the Debian package to install (see netlib_load()).
 */
int netlib_curl_load(const char *user, struct wk_err *err);

/* Returns 1 when libcurl is loaded, 0 before. */
int netlib_curl_loaded(void);

#endif
