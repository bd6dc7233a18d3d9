/* test-token.c — SHA-256 against the FIPS 180-4 / NIST examples, and the
 * tokens' length, alphabet and uniqueness. */
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "tap.h"

#define DRAWS 2000

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
sha(const char *s, size_t n, const char *want, const char *what)
{
	char hex[ESC_HASH_LEN + 1];

	esc_token_hash(s, n, hex);
	return is_str(hex, want, "SHA-256 of %s", what);
}

int
main(void)
{
	static char tok[DRAWS][ESC_TOKEN_LEN + 1];
	struct esc_err err = { 0 };
	char hex[ESC_HASH_LEN + 1], other[ESC_HASH_LEN + 1], *million;
	int i, bad_len = 0, bad_char = 0, failed = 0, dups = 0, seen[64] = { 0 }, used = 0;
	size_t k, len;

	plan(19);

	/* NIST CSRC examples (SHA256.pdf, SHA2_Additional.pdf) */
	sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "\"\"");
	sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
	sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"the 448-bit message (padding spills into a second block)");
	sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
		"the 896-bit message");
	million = malloc(1000000);
	memset(million, 'a', 1000000);
	sha(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		"one million 'a'");
	/* the block edges: 55, 56, 63 and 64 bytes of 'a' (checked with sha256sum) */
	sha(million, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
		"55 'a' (one block)");
	sha(million, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
		"64 'a' (a whole block, padding in its own)");
	free(million);

	esc_token_hash("abc", 3, hex);
	is_int((long long)strlen(hex), ESC_HASH_LEN, "a hash is %d hex digits", ESC_HASH_LEN);

	/* tokens: many draws, each 43 characters of base64url, all different */
	for (i = 0; i < DRAWS; i++) {
		if (esc_token_new(tok[i], &err) < 0) {
			failed++;
			continue;
		}
		len = strlen(tok[i]);
		if (len != ESC_TOKEN_LEN)
			bad_len++;
		for (k = 0; k < len; k++) {
			const char *p = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				tok[i][k]);

			if (!p || !tok[i][k])
				bad_char++;
			else if (!seen[p - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"]++)
				used++;
		}
	}
	is_int(failed, 0, "%d tokens drawn", DRAWS);
	is_int(bad_len, 0, "every token is %d characters", ESC_TOKEN_LEN);
	is_int(bad_char, 0, "every character is base64url (A-Z a-z 0-9 - _), no padding");
	is_int(used, 64, "all 64 characters of the alphabet turn up");
	qsort(tok, DRAWS, sizeof tok[0], cmp);
	for (i = 1; i < DRAWS; i++)
		if (!strcmp(tok[i - 1], tok[i]))
			dups++;
	is_int(dups, 0, "no token drawn twice");
	/* the 43rd character holds 4 bits of the last byte and 2 zero bits */
	for (i = 0, k = 0; i < DRAWS; i++)
		if (!strchr("AEIMQUYcgkosw048", tok[i][ESC_TOKEN_LEN - 1]))
			k++;
	is_int((long long)k, 0, "the last character carries only the last byte's bits");

	/* equal */
	esc_token_hash(tok[0], ESC_TOKEN_LEN, hex);
	esc_token_hash(tok[0], ESC_TOKEN_LEN, other);
	ok(esc_token_equal(hex, other), "the same token hashes the same, and compares equal");
	other[ESC_HASH_LEN - 1] = other[ESC_HASH_LEN - 1] == '0' ? '1' : '0';
	ok(!esc_token_equal(hex, other), "a difference in the last digit is seen");
	memcpy(other, hex, sizeof hex);
	other[0] = other[0] == '0' ? '1' : '0';
	ok(!esc_token_equal(hex, other), "a difference in the first digit is seen");
	ok(!esc_token_equal(hex, "") && !esc_token_equal("", hex), "an empty string is not equal");
	ok(!esc_token_equal(hex, NULL) && !esc_token_equal(NULL, NULL), "NULL is never equal");
	return done();
}
