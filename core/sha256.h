/*
 * SHA-256 as specified in FIPS 180-4 (Secure Hash Standard, NIST, 2015),
 * section 6.2, for the checksum files of exported outputs.
 */
#ifndef WK_SHA256_H
#define WK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32   /* bytes in a digest */
#define SHA256_BLOCK_SIZE 64    /* bytes in a message block */
#define SHA256_HEX_SIZE 65      /* hex digest with its NUL */

struct sha256 {
	uint32_t state[8];                 /* hash value H0..H7 */
	uint64_t length;                   /* message bytes hashed so far */
	unsigned char block[SHA256_BLOCK_SIZE];  /* partial block */
	size_t block_len;                  /* bytes in block */
};

/* Starts a new digest. */
void sha256_init(struct sha256 *ctx);

/* Hashes len more bytes of the message. */
void sha256_update(struct sha256 *ctx, const void *data, size_t len);

/* Pads the message and writes the digest; ctx must be initialized again. */
void sha256_final(struct sha256 *ctx, unsigned char digest[SHA256_DIGEST_SIZE]);

/* Writes digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const unsigned char digest[SHA256_DIGEST_SIZE],
		char hex[SHA256_HEX_SIZE]);

#endif
