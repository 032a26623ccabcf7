/*
 * Text that comes from outside (stage output, names, log lines) made safe
 * to store and show, and measured in terminal columns.
 */
#ifndef WK_TEXT_H
#define WK_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one UTF-8 character at s (n bytes available). Returns its length
 * (1..4) and sets *cp, or returns 0 for an invalid or truncated sequence
 * (overlong forms, surrogates and values above U+10FFFF are invalid).
 */
size_t text_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Copies a raw line into out (at most max bytes, always NUL-terminated) in a
 * form safe to store and print. Invalid UTF-8 becomes U+FFFD. ANSI escape
 * sequences are removed: CSI, OSC and other strings, ESC with a final byte
 * such as ESC c, and ESC with intermediate bytes such as ESC ( B. A
 * carriage return keeps only what follows it (a progress bar redrawn in
 * place), a tab becomes a space and other control characters become
 * U+FFFD. A character that does not fit is left out whole. Returns the
 * length written.
 */
size_t text_sanitize(const char *in, size_t len, char *out, size_t max);

/* Terminal columns of one character: 0, 1 or 2 (East Asian wide). */
int text_cp_width(uint32_t cp);

/* Terminal columns of a UTF-8 string; invalid bytes count 1 each. */
size_t text_width(const char *s);

/*
 * Copies s into out, cut to at most cols columns without splitting a
 * character, then padded with spaces to exactly cols columns when pad is
 * set. Returns the bytes written, NUL not counted.
 */
size_t text_fit(const char *s, size_t cols, int pad, char *out, size_t size);

#endif
