#include "netlib/netlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "core/i18n.h"

/* dlsym() returns functions as void *, so POSIX requires equal sizes. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function pointers must have the size of void *");

/* Guards the handle and the table of every library. */
static pthread_mutex_t netlib_lock = PTHREAD_MUTEX_INITIALIZER;

/* Copies the address of every function into lib->table. */
static int
netlib_resolve(struct netlib_lib *lib, void *handle, const char *user,
	       struct wk_err *err)
{
	size_t i;
	void *sym;

	for (i = 0; i < lib->n_syms; i++) {
		sym = dlsym(handle, lib->syms[i].name);
		if (sym == NULL)
			return wk_err_set(err, WK_ERR_NOTFOUND,
			    _("%s has no function %s, needed by %s; install a newer version of the Debian package %s"),
			    lib->soname, lib->syms[i].name, user, lib->package);
	}
	/* Written only once every symbol is found: a failed load leaves the
	 * table as it was. The memcpy() stores a void * in a function
	 * pointer, which ISO C does not allow as a cast but POSIX defines. */
	for (i = 0; i < lib->n_syms; i++) {
		sym = dlsym(handle, lib->syms[i].name);
		memcpy((char *)lib->table + lib->syms[i].offset, &sym,
		    sizeof sym);
	}
	return WK_OK;
}

/* Opens the library. The caller holds netlib_lock. */
static int
netlib_open(struct netlib_lib *lib, const char *user, struct wk_err *err)
{
	const char *dl_error;
	void *handle;
	int rc;

	handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		dl_error = dlerror();
		return wk_err_set(err, WK_ERR_NOTFOUND,
		    _("cannot load %s (%s), needed by %s; install the Debian package %s"),
		    lib->soname, dl_error != NULL ? dl_error : "?", user,
		    lib->package);
	}

	rc = netlib_resolve(lib, handle, user, err);
	if (rc == WK_OK && lib->init != NULL && lib->init() != 0)
		rc = wk_err_set(err, WK_ERR_STATE,
		    _("%s was loaded for %s, but its initialization failed"),
		    lib->soname, user);
	if (rc != WK_OK) {
		dlclose(handle);
		return rc;
	}

	/* NOTE: the library stays loaded until the process exits. */
	lib->handle = handle;
	return WK_OK;
}

int
netlib_load(struct netlib_lib *lib, const char *user, struct wk_err *err)
{
	int rc = WK_OK;

	pthread_mutex_lock(&netlib_lock);
	if (lib->handle == NULL)
		rc = netlib_open(lib, user, err);
	pthread_mutex_unlock(&netlib_lock);
	return rc;
}

int
netlib_loaded(struct netlib_lib *lib)
{
	int loaded;

	pthread_mutex_lock(&netlib_lock);
	loaded = lib->handle != NULL;
	pthread_mutex_unlock(&netlib_lock);
	return loaded;
}
