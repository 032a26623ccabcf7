#include "pipeline/utf8.h"

/*
 * Returns the length of the sequence that starts with lead byte c and
 * stores the smallest and largest allowed second byte, or returns 0 for a
 * byte that cannot start a sequence. The narrowed second-byte ranges of
 * RFC 3629, section 4, reject overlong forms (E0, F0), surrogates (ED)
 * and code points above U+10FFFF (F4).
 */
static size_t
utf8_sequence(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c == 0xE0)
		*lo = 0xA0;
	else if (c == 0xED)
		*hi = 0x9F;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c == 0xF0)
		*lo = 0x90;
	else if (c == 0xF4)
		*hi = 0x8F;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

bool
utf8_valid(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned char lo, hi;
		size_t n, i;

		if (*p >= 0x01 && *p <= 0x7F) {
			p++;
			continue;
		}
		n = utf8_sequence(*p, &lo, &hi);
		if (n == 0 || (size_t)(end - p) < n)
			return false;
		if (p[1] < lo || p[1] > hi)
			return false;
		for (i = 2; i < n; i++) {
			if (p[i] < 0x80 || p[i] > 0xBF)
				return false;
		}
		p += n;
	}
	return true;
}
