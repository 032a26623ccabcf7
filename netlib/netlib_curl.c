#include "netlib/netlib_curl.h"

#include <stddef.h>

#include "netlib/netlib.h"

#define CURL_SYM(member) \
	{ "curl_" #member, offsetof(struct netlib_curl_fns, member) }

struct netlib_curl_fns netlib_curl;

static const struct netlib_sym curl_syms[] = {
	CURL_SYM(global_init), CURL_SYM(easy_init), CURL_SYM(easy_setopt),
	CURL_SYM(easy_getinfo), CURL_SYM(easy_cleanup),
	CURL_SYM(easy_strerror), CURL_SYM(slist_append),
	CURL_SYM(slist_free_all), CURL_SYM(multi_init),
	CURL_SYM(multi_setopt), CURL_SYM(multi_add_handle),
	CURL_SYM(multi_remove_handle), CURL_SYM(multi_socket_action),
	CURL_SYM(multi_info_read), CURL_SYM(multi_cleanup), CURL_SYM(url),
	CURL_SYM(url_set), CURL_SYM(url_get), CURL_SYM(url_cleanup),
	CURL_SYM(free)
};

/* NOTE: curl_global_cleanup() is never called; the process ends first. */
static int
curl_init_global(void)
{
	return netlib_curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 :
	    -1;
}

static struct netlib_lib curl_lib = {
	WK_CURL_SONAME, "libcurl4", curl_syms,
	sizeof curl_syms / sizeof curl_syms[0], &netlib_curl,
	curl_init_global, NULL
};

/*
 * Does nothing at run time. Each comparison sits inside sizeof, so it is
 * not evaluated and refers to no symbol, but the compiler warns when a
 * member's type differs from that of the function in curl/curl.h.
 */
static inline void
curl_check_types(struct netlib_curl_fns *f)
{
	(void)sizeof(f->global_init == curl_global_init);
	(void)sizeof(f->easy_init == curl_easy_init);
	(void)sizeof(f->easy_setopt == curl_easy_setopt);
	(void)sizeof(f->easy_getinfo == curl_easy_getinfo);
	(void)sizeof(f->easy_cleanup == curl_easy_cleanup);
	(void)sizeof(f->easy_strerror == curl_easy_strerror);
	(void)sizeof(f->slist_append == curl_slist_append);
	(void)sizeof(f->slist_free_all == curl_slist_free_all);
	(void)sizeof(f->multi_init == curl_multi_init);
	(void)sizeof(f->multi_setopt == curl_multi_setopt);
	(void)sizeof(f->multi_add_handle == curl_multi_add_handle);
	(void)sizeof(f->multi_remove_handle == curl_multi_remove_handle);
	(void)sizeof(f->multi_socket_action == curl_multi_socket_action);
	(void)sizeof(f->multi_info_read == curl_multi_info_read);
	(void)sizeof(f->multi_cleanup == curl_multi_cleanup);
	(void)sizeof(f->url == curl_url);
	(void)sizeof(f->url_set == curl_url_set);
	(void)sizeof(f->url_get == curl_url_get);
	(void)sizeof(f->url_cleanup == curl_url_cleanup);
	(void)sizeof(f->free == curl_free);
}

int
netlib_curl_load(const char *user, struct wk_err *err)
{
	curl_check_types(&netlib_curl);
	return netlib_load(&curl_lib, user, err);
}

int
netlib_curl_loaded(void)
{
	return netlib_loaded(&curl_lib);
}
