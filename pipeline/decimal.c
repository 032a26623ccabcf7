#include "pipeline/decimal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"

int
decimal_parse(const char *s, size_t len, int empty_is_zero, double *value)
{
	char *end;
	size_t i;

	if (len == 0 && empty_is_zero) {
		*value = 0.0;
		return WK_OK;
	}
	if (len == 0)
		return WK_ERR_INVALID;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || strchr("0123456789.+-eE", s[i]) == NULL)
			return WK_ERR_INVALID;
	}

	errno = 0;
	*value = strtod(s, &end);
	if (end != s + len || errno == ERANGE || !isfinite(*value))
		return WK_ERR_INVALID;
	return WK_OK;
}
