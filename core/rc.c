#include "rc.h"

#include <stdarg.h>
#include <stdio.h>

int
wk_err_set(struct wk_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return rc;

	err->rc = rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
wk_rc_name(int rc)
{
	switch (rc) {
	case WK_OK:           return "ok";
	case WK_ERR_NOMEM:    return "out of memory";
	case WK_ERR_IO:       return "i/o error";
	case WK_ERR_INVALID:  return "invalid input";
	case WK_ERR_NOTFOUND: return "not found";
	case WK_ERR_LIMIT:    return "limit exceeded";
	case WK_ERR_STORE:    return "store error";
	case WK_ERR_BUSY:     return "busy";
	case WK_ERR_STATE:    return "wrong state";
	case WK_ERR_CHILD:    return "child process failed";
	}
	return "unknown error";
}
