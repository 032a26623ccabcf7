/*
 * Shared libraries opened at their first use. The agent links neither
 * libcurl nor libmicrohttpd: with their TLS dependencies they add several
 * MiB of resident memory to a process that only loads them, and an agent
 * without web page, alerts or HTTP probes never calls them. A library is
 * opened with dlopen() by its SONAME and its functions are resolved with
 * dlsym() into a table of pointers (netlib_curl.h, netlib_mhd.h).
 */
#ifndef WK_NETLIB_H
#define WK_NETLIB_H

#include <stddef.h>

#include "core/rc.h"

/* One function of a library and the slot of its pointer in the table. */
struct netlib_sym {
	const char *name;  /* symbol name, e.g. "curl_easy_init" */
	size_t offset;     /* offset of the function pointer in the table */
};

/* A library opened at its first use, and its table of functions. */
struct netlib_lib {
	const char *soname;             /* dlopen() name, e.g. "libcurl.so.4" */
	const char *package;            /* Debian package that installs it */
	const struct netlib_sym *syms;  /* functions to resolve */
	size_t n_syms;                  /* entries of syms */
	void *table;                    /* struct of function pointers filled */
	int (*init)(void);              /* run once after the load; 0 on
					   success; NULL: nothing to run */
	void *handle;                   /* dlopen() handle; NULL until loaded */
};

/*
 * Opens lib and fills its table unless an earlier call did. user names
 * what needs the library, for the error message ("the http probes").
 * Thread-safe. Returns WK_OK, or WK_ERR_NOTFOUND with err naming the
 * library, user and the package to install when the library or one of
 * its functions is missing, or WK_ERR_STATE when lib->init failed. A
 * failed load closes the library again, and the next call tries anew.
 */
int netlib_load(struct netlib_lib *lib, const char *user, struct wk_err *err);

/* Returns 1 when lib is loaded, 0 before. Thread-safe. */
int netlib_loaded(struct netlib_lib *lib);

#endif
