/* test-text — the tokenizer's two ways through a text agree: sixteen bytes
 * at a time with bit sets, and byte by byte, on texts made to catch them
 * out (every byte class, white space of every kind, edges of the 16-byte
 * blocks and of the 56-byte tokens the bit sets take, text beyond ASCII). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "score.h"
#include "tap.h"

static struct esc_vocab *v;
static struct esc_text fast, slow;

/* Where the two ways differ on s, in words; NULL when they agree. */
static const char *
differ(const char *s, size_t n)
{
	static char why[128];
	size_t j;

	esc_text_fast = 1;
	if (esc_text_split(&fast, v, s, n) < 0)
		return "out of memory";
	esc_text_fast = 0;
	if (esc_text_split(&slow, v, s, n) < 0)
		return "out of memory";
	esc_text_fast = 1;
	if (fast.n != slow.n) {
		snprintf(why, sizeof why, "%zu tokens against %zu", fast.n, slow.n);
		return why;
	}
	if (fast.nbang != slow.nbang || fast.nquest != slow.nquest)
		return "the count of '!' or '?'";
	for (j = 0; j < fast.n; j++) {
		const struct esc_tok *a = &fast.t[j], *b = &slow.t[j];

		snprintf(why, sizeof why, "token %zu", j);
		if (a->n != b->n || memcmp(a->s, b->s, a->n) != 0 ||
		    a->bn != b->bn || memcmp(a->bare, b->bare, a->bn) != 0 ||
		    a->flags != b->flags || a->w != b->w || a->bw != b->bw ||
		    a->wf != b->wf || a->bwf != b->bwf ||
		    esc_text_break(&fast, j) != esc_text_break(&slow, j) ||
		    esc_text_clause_end(&fast, j) != esc_text_clause_end(&slow, j))
			return why;
	}
	return NULL;
}

static uint64_t seed = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

/* Pieces a text is made of: words the lexicon knows, in any case; every
 * kind of byte the tokenizer tells apart; and what lies beyond ASCII. */
static const char *const piece[] = {
	"good", "GREAT", "Bad", "not", "NOT", "can't", "isn't", "don't", "n't",
	"kind", "of", "very", "but", "no", "love", "hate", "wig", "x", "I", "ok",
	"'", "''", "'tis", "o'neil", "!", "!!", "?", "?!", ",", ".", "...", ";",
	":", "-", "*", "(", ")", "\"", "/", "@", "#", "~", "`", "{", "}", "[",
	"0", "42", "3.5", "\x01", "\x1f", "\x7f", "_", "^", "|", "\\",
	"\xc3\xa9", "caf\xc3\xa9", "\xe2\x80\x99", "don\xe2\x80\x99t",
	"\xe2\x80\x98quoted\xe2\x80\x99", "\xf0\x9f\x98\x80", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
	"\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x80\x8d", "\xe6\x97\xa5\xe6\x9c\xac",
};
static const char *const space[] = {
	" ", " ", " ", "  ", "\t", "\n", "\r", "\v", "\f", "\r\n",
	"\xc2\xa0", "\xe2\x80\x89", "\xe3\x80\x80", "\xe2\x80\xa8", "\xc2\x85", "",
};

#define NPIECE (sizeof piece / sizeof piece[0])
#define NSPACE (sizeof space / sizeof space[0])

/* A random text in buf (at most cap bytes); its length. With ascii set,
 * only the pieces before the first beyond ASCII. */
static size_t
make(char *buf, size_t cap, int ascii)
{
	size_t n = 0, want = rnd(200), lim = ascii ? 56 : NPIECE;
	size_t lsp = ascii ? 10 : NSPACE;

	while (n + 80 < cap && n < want) {
		const char *p = piece[rnd((unsigned)lim)];
		size_t k = strlen(p);

		if (rnd(40) == 0) {     /* a long token, about the 56-byte edge */
			size_t len = 50 + rnd(12), i;

			for (i = 0; i < len; i++)
				buf[n++] = "aB'!."[rnd(5)];
		} else {
			memcpy(buf + n, p, k);
			n += k;
		}
		if (rnd(3)) {
			p = space[rnd((unsigned)lsp)];
			k = strlen(p);
			memcpy(buf + n, p, k);
			n += k;
		}
	}
	return n;
}

int
main(void)
{
	struct esc_err err;
	static char buf[4096], *big;
	const char *why = NULL;
	size_t n = 0, i, len;
	int k, bad;

	if (!getenv("ESC_SHARE"))
		esc_share_set("share/esc");   /* run from the top of the tree */
	plan(6);

	v = esc_vocab_new();
	if (!v || esc_sentiment_load(v, &err) < 0) {
		ok(0, "esc_sentiment_load: %s", v ? err.msg : "no vocabulary");
		return done();
	}
	ok(1, "esc_sentiment_load from %s", esc_share_dir());

	for (k = bad = 0; k < 20000 && !bad; k++)
		if ((why = differ(buf, n = make(buf, sizeof buf, 1))))
			bad = 1;
	if (!ok(!bad, "20,000 ASCII texts split alike both ways"))
		diag("first at %s of \"%.*s\"", why, (int)n, buf);

	for (k = bad = 0; k < 20000 && !bad; k++)
		if ((why = differ(buf, n = make(buf, sizeof buf, 0))))
			bad = 1;
	if (!ok(!bad, "20,000 texts with bytes beyond ASCII split alike"))
		diag("first at %s of \"%.*s\"", why, (int)n, buf);

	/* every length across a few 16-byte blocks, tokens ending at each */
	for (len = 0, bad = 0; len < 70 && !bad; len++)
		for (i = 0; i < len && !bad; i++) {
			memset(buf, 'A', len);
			buf[i] = (i % 3) ? ' ' : ',';
			if ((why = differ(buf, len)))
				bad = 1;
		}
	if (!ok(!bad, "texts of 0 to 69 bytes, a break at each place"))
		diag("first at %s of \"%.*s\"", why, (int)len, buf);

	/* a word longer than a token may be, and the words after it */
	len = 70000 + 20;
	if (!(big = malloc(len)))
		return done();
	memset(big, 'a', 70000);
	memcpy(big + 70000, " GOOD! not bad ", 15);
	memcpy(big + 70015, "ok?! ", 5);
	why = differ(big, len);
	if (!ok(!why, "a 70,000-byte word and what follows it"))
		diag("first at %s", why);
	is_int(fast.n > 0 ? fast.t[0].n : 0, 0xffff, "a word beyond 65,535 bytes is kept, looked up as nothing");
	free(big);

	esc_text_free(&fast);
	esc_text_free(&slow);
	esc_vocab_free(v);
	return done();
}
