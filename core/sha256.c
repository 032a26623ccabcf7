#include "core/sha256.h"

#include <string.h>

/* The first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t
sha256_rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* Prepares the message schedule W0..W63 of one block (6.2.2 step 1). */
static void
sha256_schedule(const unsigned char *block, uint32_t w[64])
{
	int t;

	for (t = 0; t < 16; t++)
		w[t] = (uint32_t)block[4 * t] << 24 |
		    (uint32_t)block[4 * t + 1] << 16 |
		    (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
	for (t = 16; t < 64; t++) {
		uint32_t s0 = sha256_rotr(w[t - 15], 7) ^
		    sha256_rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = sha256_rotr(w[t - 2], 17) ^
		    sha256_rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);

		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
}

/* Hashes one 64-byte block into the state (6.2.2 steps 2 to 4). */
static void
sha256_block(uint32_t state[8], const unsigned char *block)
{
	uint32_t w[64], v[8];
	int t, i;

	sha256_schedule(block, w);
	memcpy(v, state, sizeof v);
	for (t = 0; t < 64; t++) {
		uint32_t sum1 = sha256_rotr(v[4], 6) ^ sha256_rotr(v[4], 11) ^
		    sha256_rotr(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + sum1 + ch + sha256_k[t] + w[t];
		uint32_t sum0 = sha256_rotr(v[0], 2) ^ sha256_rotr(v[0], 13) ^
		    sha256_rotr(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof v[0]);
		v[4] += t1;
		v[0] = t1 + sum0 + maj;
	}
	for (i = 0; i < 8; i++)
		state[i] += v[i];
}

void
sha256_init(struct sha256 *ctx)
{
	/* Initial hash value (5.3.3). */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(ctx->state, h0, sizeof h0);
	ctx->length = 0;
	ctx->block_len = 0;
}

void
sha256_update(struct sha256 *ctx, const void *data, size_t len)
{
	const unsigned char *p = data;

	ctx->length += len;
	while (len > 0) {
		size_t n = SHA256_BLOCK_SIZE - ctx->block_len;

		if (ctx->block_len == 0 && len >= SHA256_BLOCK_SIZE) {
			sha256_block(ctx->state, p);
			p += SHA256_BLOCK_SIZE;
			len -= SHA256_BLOCK_SIZE;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(ctx->block + ctx->block_len, p, n);
		ctx->block_len += n;
		p += n;
		len -= n;
		if (ctx->block_len == SHA256_BLOCK_SIZE) {
			sha256_block(ctx->state, ctx->block);
			ctx->block_len = 0;
		}
	}
}

void
sha256_final(struct sha256 *ctx, unsigned char digest[SHA256_DIGEST_SIZE])
{
	uint64_t bits = ctx->length * 8;
	int i;

	/* Padding (5.1.1): a 1 bit, zeros, and the length in bits as 64 bits. */
	ctx->block[ctx->block_len++] = 0x80;
	if (ctx->block_len > SHA256_BLOCK_SIZE - 8) {
		memset(ctx->block + ctx->block_len, 0,
		    SHA256_BLOCK_SIZE - ctx->block_len);
		sha256_block(ctx->state, ctx->block);
		ctx->block_len = 0;
	}
	memset(ctx->block + ctx->block_len, 0,
	    SHA256_BLOCK_SIZE - 8 - ctx->block_len);
	for (i = 0; i < 8; i++)
		ctx->block[SHA256_BLOCK_SIZE - 1 - i] =
		    (unsigned char)(bits >> (8 * i));
	sha256_block(ctx->state, ctx->block);

	for (i = 0; i < 32; i++)
		digest[i] =
		    (unsigned char)(ctx->state[i / 4] >> (24 - 8 * (i % 4)));
}

void
sha256_hex(const unsigned char digest[SHA256_DIGEST_SIZE],
	   char hex[SHA256_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0x0f];
	}
	hex[2 * SHA256_DIGEST_SIZE] = '\0';
}
