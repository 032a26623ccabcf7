/*
 * UTF-8 validation of input text (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF, and no NUL byte, because every
 * field is later used as a C string.
 */
#ifndef WK_PIPELINE_UTF8_H
#define WK_PIPELINE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Returns true when the len bytes at text are valid UTF-8 without NUL. */
bool utf8_valid(const char *text, size_t len);

#endif
