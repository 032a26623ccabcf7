/*
 * Return codes shared by every module.
 *
 * A function that can fail returns an int: WK_OK (0) on success, or one of
 * the negative codes below. Where the caller shows the failure to a person,
 * the function also fills a struct wk_err with a sentence that names the
 * value, the place and the fix.
 */
#ifndef WK_RC_H
#define WK_RC_H

#include <stddef.h>

enum wk_rc {
	WK_OK = 0,
	WK_ERR_NOMEM = -1,    /* allocation failed */
	WK_ERR_IO = -2,       /* a system call failed; errno-based message */
	WK_ERR_INVALID = -3,  /* input (config, file, request) is invalid */
	WK_ERR_NOTFOUND = -4, /* a named thing does not exist */
	WK_ERR_LIMIT = -5,    /* a size or count passed its maximum */
	WK_ERR_STORE = -6,    /* SQLite returned an error */
	WK_ERR_BUSY = -7,     /* a lock is held by someone else */
	WK_ERR_STATE = -8,    /* the operation does not fit the current state */
	WK_ERR_CHILD = -9     /* a child process failed */
};

#define WK_ERR_MSG_MAX 1024

/* A human-readable error message, filled by the function that failed. */
struct wk_err {
	int rc;                    /* the enum wk_rc value returned */
	char msg[WK_ERR_MSG_MAX];  /* translated sentence, NUL-terminated */
};

/*
 * Fills err (when not NULL) with rc and a printf-style message, and returns
 * rc, so that a caller can write `return wk_err_set(err, WK_ERR_IO, ...)`.
 */
int wk_err_set(struct wk_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Returns the English name of a return code, for logs. */
const char *wk_rc_name(int rc);

#endif
