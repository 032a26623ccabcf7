/*
 * SHA-256 against the examples of FIPS 180-4 (NIST CSRC "Cryptographic
 * Standards and Guidelines: Examples with Intermediate Values", SHA-256)
 * and the long-message vector of one million 'a'.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/sha256.h"

static void
expect_digest(const char *message, size_t len, const char *hex)
{
	unsigned char digest[SHA256_DIGEST_SIZE];
	char out[SHA256_HEX_SIZE];
	struct sha256 ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, message, len);
	sha256_final(&ctx, digest);
	sha256_hex(digest, out);
	assert_string_equal(out, hex);
}

static void
test_sha256_one_block(void **state)
{
	(void)state;
	expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_sha256_empty(void **state)
{
	(void)state;
	expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_sha256_two_blocks(void **state)
{
	static const char msg[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	/* 448 bits: the length no longer fits in the first padded block. */
	expect_digest(msg, sizeof msg - 1, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_sha256_million_a_in_pieces(void **state)
{
	unsigned char digest[SHA256_DIGEST_SIZE];
	char out[SHA256_HEX_SIZE], chunk[1000];
	struct sha256 ctx;
	int i;

	(void)state;
	memset(chunk, 'a', sizeof chunk);
	sha256_init(&ctx);
	/* Uneven pieces cross the 64-byte block boundaries everywhere. */
	for (i = 0; i < 1000; i++) {
		sha256_update(&ctx, chunk, 7);
		sha256_update(&ctx, chunk, 993);
	}
	sha256_final(&ctx, digest);
	sha256_hex(digest, out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
}

static void
test_sha256_boundary_lengths(void **state)
{
	char msg[64];

	(void)state;
	memset(msg, 'a', sizeof msg);
	/* 55 bytes is the longest message whose padding fits one block. */
	expect_digest(msg, 55, "9f4390f8d30c2dd92ec9f095b65e2b9a"
	    "e9b0a925a5258e241c9f1e910f734318");
	expect_digest(msg, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f"
	    "590ce20f1bde7090ef7970686ec6738a");
	expect_digest(msg, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209"
	    "f439851db43d0ba5997337df154668eb");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_one_block),
		cmocka_unit_test(test_sha256_empty),
		cmocka_unit_test(test_sha256_two_blocks),
		cmocka_unit_test(test_sha256_million_a_in_pieces),
		cmocka_unit_test(test_sha256_boundary_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
