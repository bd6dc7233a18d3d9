/* text.c — split a message into tokens the way VADER does (white space,
 * Unicode's too, as Python's str.split() finds it; edge punctuation
 * stripped unless that leaves two bytes or fewer), with
 * emoji as tokens of their own, and look every token up once.
 *
 * This is the hot loop of batch scoring. Sixteen bytes at a time, each
 * class of byte becomes a bit set, and an ASCII token is taken from those
 * whole; a token with bytes beyond ASCII is read byte by byte, with one
 * character-class table. */
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "vocab.h"

enum { C_WS = 1, C_PUNCT = 2, C_UPPER = 4, C_LOWER = 8, C_MARK = 16 };
/* the split loop lowercases with (class & C_UPPER) << 3 */
_Static_assert((C_UPPER << 3) == 'a' - 'A', "C_UPPER << 3 must be the case offset");

static unsigned char cls[256];

static void
init_classes(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		unsigned char k = 0;

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			k |= C_WS;
		if ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
		    (c >= '[' && c <= '`') || (c >= '{' && c <= '~'))
			k |= C_PUNCT;
		if (c >= 'A' && c <= 'Z')
			k |= C_UPPER;
		if (c >= 'a' && c <= 'z')
			k |= C_LOWER;
		if (c == '!' || c == '?' || c == '\'' || c == 0xc2 || c >= 0xe2)
			k |= C_MARK;    /* needs a closer look in the split loop */
		cls[c] = k;
	}
}

/* Length of the UTF-8 sequence at s (n > 0 bytes) if it is white space
 * beyond ASCII, else 0: a no-break space (which editors put in for a
 * second space), U+0085, U+2000 to U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000. Python's str.split(), which VADER uses, splits on
 * these too; of its list only U+1680, the Ogham mark, is left out. */
static inline size_t
uspace_len(const unsigned char *s, size_t n)
{
	if (s[0] == 0xc2)
		return n >= 2 && (s[1] == 0xa0 || s[1] == 0x85) ? 2 : 0;
	if (n < 3 || (s[0] != 0xe2 && s[0] != 0xe3))
		return 0;
	if (s[0] == 0xe3)
		return s[1] == 0x80 && s[2] == 0x80 ? 3 : 0;
	if (s[1] == 0x80)
		return s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf ? 3 : 0;
	return s[1] == 0x81 && s[2] == 0x9f ? 3 : 0;
}

/* Length of the UTF-8 sequence at s if it is an emoji we split out, or of
 * a joiner/selector we drop (*drop set); 0 otherwise. */
static size_t
emoji_len(const unsigned char *s, size_t n, int *drop)
{
	unsigned cp;

	*drop = 0;
	if (s[0] >= 0xf0 && n >= 4 && (s[0] & 0xf8) == 0xf0) {
		cp = ((s[0] & 7u) << 18) | ((s[1] & 63u) << 12) | ((s[2] & 63u) << 6) | (s[3] & 63u);
		if (cp >= 0x1f3fb && cp <= 0x1f3ff)  /* skin tones */
			*drop = 1;
		return cp >= 0x1f000 && cp <= 0x1faff ? 4 : 0;
	}
	if ((s[0] & 0xf0) == 0xe0 && n >= 3) {
		cp = ((s[0] & 15u) << 12) | ((s[1] & 63u) << 6) | (s[2] & 63u);
		if (cp == 0x200d || cp == 0xfe0f || cp == 0xfe0e) {
			*drop = 1;
			return 3;
		}
		return cp >= 0x2600 && cp <= 0x27bf ? 3 : 0;
	}
	return 0;
}

/* A token's bytes are in low[0..m), lowercased. a..b bound its
 * non-punctuation core (a == b: none). Inline: it runs once per token of
 * every message. */
static inline __attribute__((always_inline)) int
tok_end(struct esc_text *tx, const struct esc_vocab *v, const char *low, size_t m,
	size_t a, size_t b, unsigned k, int apos)
{
	struct esc_tok *t;
	unsigned hb;

	if (tx->n == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 64;
		struct esc_tok *nt = realloc(tx->t, cap * sizeof *nt);

		if (!nt)
			return -1;
		tx->t = nt;
		tx->cap = cap;
	}
	t = &tx->t[tx->n++];
	t->flags = (k & C_UPPER) && !(k & C_LOWER) ? ESC_T_UPPER : 0;
	if (m > 0xffff) {               /* no word is this long: keep it, look nothing up */
		t->s = t->bare = low;
		t->n = t->bn = 0xffff;
		t->w = t->bw = NULL;
		t->wf = t->bwf = 0;
		return 0;
	}
	hb = esc_vocab_hash_padded(low + a, b - a);
	if (a == 0 && b == m && !apos) {
		/* most tokens: no edge punctuation, so one form and one lookup */
		t->s = t->bare = low;
		t->n = t->bn = (unsigned short)m;
		t->w = t->bw = esc_vocab_geth_padded(v, low, m, hb);
	} else if (b - a > 2) {
		/* VADER strips edge punctuation when more than two bytes remain */
		t->s = low + a;
		t->n = (unsigned short)(b - a);
		t->w = esc_vocab_geth_padded(v, t->s, t->n, hb);
		t->bare = t->s;
		t->bn = t->n;
		t->bw = t->w;
		if (apos && (low[a] == '\'' || low[b - 1] == '\'')) {
			/* a curly quote at the edge became an apostrophe */
			while (a < b && (cls[(unsigned char)low[a]] & C_PUNCT))
				a++;
			while (b > a && (cls[(unsigned char)low[b - 1]] & C_PUNCT))
				b--;
			t->bare = low + a;
			t->bn = (unsigned short)(b - a);
			t->bw = esc_vocab_geth_padded(v, t->bare, t->bn,
				esc_vocab_hash_padded(t->bare, t->bn));
		}
	} else {
		t->s = low;
		t->n = (unsigned short)m;
		t->w = (a == 0 && b == m) ? esc_vocab_geth_padded(v, low, m, hb) :
			esc_vocab_geth_padded(v, low, m, esc_vocab_hash_padded(low, m));
		t->bare = low + a;
		t->bn = (unsigned short)(b - a);
		t->bw = (a == 0 && b == m) ? t->w : esc_vocab_geth_padded(v, t->bare, t->bn, hb);
	}
	t->wf = t->w ? t->w->flags : 0;
	t->bwf = t->bw ? t->bw->flags : 0;
	if ((t->wf & ESC_W_NEGATE) ||
	    (apos && memmem(t->s, t->n, "n't", 3)))
		t->flags |= ESC_T_NEGATED;
	return 0;
}

/* split_any's tokens lie end to end in tx->low: this one ends it */
static inline int
put_tok(struct esc_text *tx, const struct esc_vocab *v, const char *low, size_t m,
	size_t a, size_t b, unsigned k, int apos)
{
	tx->low.len += m;
	return tok_end(tx, v, low, m, a, b, k, apos);
}

/* Any text: byte by byte, with white space beyond ASCII, curly quotes and
 * emoji. Each token is copied, lowercased, to the end of tx->low. */
static int
split_any(struct esc_text *tx, const struct esc_vocab *v, const unsigned char *u, size_t n)
{
	size_t i = 0, m, a, b, el;
	unsigned k;
	int drop, apos, core;
	char *low;

	while (i < n) {
		while (i < n && (cls[u[i]] & C_WS))
			i++;
		if (i == n)
			break;
		if (u[i] >= 0xc2 && (el = uspace_len(u + i, n - i))) {
			i += el;
			continue;
		}
		/* one pass per token: lowercase, find the core, note its class */
		low = tx->low.p + tx->low.len;
		m = a = b = 0;
		k = 0;
		apos = core = 0;
		while (i < n) {
			unsigned char c = u[i];
			unsigned kc = cls[c];

			/* the common case: a run of plain letters and digits */
			if (!(kc & (C_WS | C_MARK | C_PUNCT))) {
				if (!core) {
					core = 1;
					a = m;
				}
				do {
					/* branch-free: capitals are unpredictable */
					low[m++] = (char)(c + ((kc & C_UPPER) << 3));
					k |= kc;
					i++;
				} while (i < n && !((kc = cls[c = u[i]]) & (C_WS | C_MARK | C_PUNCT)));
				b = m;
				continue;
			}
			if (kc & (C_WS | C_MARK)) {
				if (kc & C_WS)
					break;
				if (c == '!')
					tx->nbang++;
				else if (c == '?')
					tx->nquest++;
				else if (c == '\'')
					apos = 1;
				else if (uspace_len(u + i, n - i))
					break;  /* the outer loop steps over it */
				else if (c == 0xe2 && i + 2 < n && u[i + 1] == 0x80 && u[i + 2] == 0x99) {
					c = '\'';              /* a right single quote */
					kc = 0;                 /* not punctuation to VADER */
					apos = 1;
					i += 2;
				} else if ((el = emoji_len(u + i, n - i, &drop))) {
					/* an emoji ends the word before it and is a token itself */
					if (m && put_tok(tx, v, low, m, a, b, k, apos) < 0)
						return -1;
					if (!drop) {
						low = tx->low.p + tx->low.len;
						memcpy(low, u + i, el);
						if (put_tok(tx, v, low, el, 0, el, 0, 0) < 0)
							return -1;
					}
					i += el;
					low = tx->low.p + tx->low.len;
					m = a = b = 0;
					k = 0;
					apos = core = 0;
					continue;
				}
			}
			if (kc & C_UPPER)
				c = (unsigned char)(c + 32);
			k |= kc;
			if (!(kc & C_PUNCT)) {
				if (!core) {
					core = 1;
					a = m;
				}
				b = m + 1;
			}
			low[m++] = (char)c;
			i++;
		}
		if (!core)
			a = b = 0;
		if (m && put_tok(tx, v, low, m, a, b, k, apos) < 0)
			return -1;
	}
	return 0;
}

#if defined(__SSE2__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <emmintrin.h>

/* The bit sets split_fast keeps, one bit per byte of the text: */
enum { B_WS, B_PUNCT, B_UPPER, B_LOWER, B_APOS, B_HIGH, B_N };

/* bytes of x in lo..lo+len, as 0xff */
static inline __m128i
in_range(__m128i x, unsigned char lo, unsigned char len)
{
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8((char)lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((char)len)), d);
}

/* Count the '!' and '?' among sixteen bytes */
static void
count_marks(__m128i x, int *bang, int *quest)
{
	unsigned b = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('!')));
	unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('?')));

	for (; b; b &= b - 1)
		++*bang;
	for (; q; q &= q - 1)
		++*quest;
}

/* Bits i, i+1, ... of set s: at least 57 of them, the rest 0 */
static inline uint64_t
bits_at(const unsigned char *s, size_t i)
{
	uint64_t x;

	memcpy(&x, s + (i >> 3), 8);
	return x >> (i & 7);
}

/* The text sixteen bytes at a time: a lowercase copy made in place (tokens
 * keep their offsets, with white space between them) and each class of
 * byte as a bit set, so that an ASCII token's bounds, core and case come
 * from a few bit operations rather than a branch per byte. A token with a
 * byte beyond ASCII, or longer than 56 bytes, goes to split_any: white
 * space in ASCII splits the two ways alike, and the text is valid UTF-8
 * (the JSON parsers see to that), so no sequence spans it. */
static int
split_fast(struct esc_text *tx, const struct esc_vocab *v, const unsigned char *u, size_t n)
{
	size_t nb = (n + 15) / 16 * 2 + 8;  /* bytes per bit set, 8 to read past */
	size_t c, i, e, m, a, b;
	unsigned char *set[B_N];
	char *low = tx->low.p;
	int j, bang = 0, quest = 0;

	tx->bits.len = 0;
	if (esc_buf_reserve(&tx->bits, nb * B_N) < 0)
		return -1;
	for (j = 0; j < B_N; j++)
		set[j] = (unsigned char *)tx->bits.p + (size_t)j * nb;
	for (c = 0; c < n; c += 16) {
		unsigned char pad[16];
		__m128i x, up, lo, al, pr;
		unsigned short w[B_N];

		if (n - c >= 16) {
			x = _mm_loadu_si128((const __m128i *)(u + c));
		} else {
			memset(pad, ' ', sizeof pad);   /* white space after the end */
			memcpy(pad, u + c, n - c);
			x = _mm_loadu_si128((const __m128i *)pad);
		}
		up = in_range(x, 'A', 'Z' - 'A');
		lo = in_range(x, 'a', 'z' - 'a');
		al = _mm_or_si128(_mm_or_si128(up, lo), in_range(x, '0', '9' - '0'));
		pr = in_range(x, '!', '~' - '!');
		w[B_WS] = (unsigned short)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), in_range(x, '\t', '\r' - '\t')));
		w[B_PUNCT] = (unsigned short)_mm_movemask_epi8(_mm_andnot_si128(al, pr));
		w[B_UPPER] = (unsigned short)_mm_movemask_epi8(up);
		w[B_LOWER] = (unsigned short)_mm_movemask_epi8(lo);
		w[B_APOS] = (unsigned short)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
		w[B_HIGH] = (unsigned short)_mm_movemask_epi8(x);
		if (w[B_PUNCT])
			count_marks(x, &bang, &quest);
		for (j = 0; j < B_N; j++)
			memcpy(set[j] + c / 8, &w[j], 2);
		_mm_storeu_si128((__m128i *)(low + c),
			_mm_add_epi8(x, _mm_and_si128(up, _mm_set1_epi8(0x20))));
	}
	memset(set[B_WS] + nb - 8, 0xff, 8);   /* the end is white space */
	for (j = 1; j < B_N; j++)
		memset(set[j] + nb - 8, 0, 8);
	for (i = 0;; i = e) {
		uint64_t x, mask, core;
		unsigned k;

		/* the next token starts at the next byte that is not white space */
		for (;; i += 56) {
			if (i >= n)
				goto done;
			if ((x = ~bits_at(set[B_WS], i) & ((1ULL << 56) - 1)))
				break;
		}
		if ((i += (size_t)__builtin_ctzll(x)) >= n)
			break;
		for (e = i; !(x = bits_at(set[B_WS], e)); e += 56)
			;
		e += (size_t)__builtin_ctzll(x);
		m = e - i;
		mask = m <= 56 ? ~0ULL >> (64 - m) : 0;
		if (!mask || (bits_at(set[B_HIGH], i) & mask)) {
			/* split_any writes its tokens end to end from low + i, and
			 * what it leaves of the place becomes white space again */
			tx->low.len = i;
			if (split_any(tx, v, u + i, m) < 0)
				return -1;
			memset(low + tx->low.len, ' ', e - tx->low.len);
			continue;
		}
		core = ~bits_at(set[B_PUNCT], i) & mask;
		a = core ? (size_t)__builtin_ctzll(core) : 0;
		b = core ? 64 - (size_t)__builtin_clzll(core) : 0;
		k = (bits_at(set[B_UPPER], i) & mask ? C_UPPER : 0) |
			(bits_at(set[B_LOWER], i) & mask ? C_LOWER : 0);
		if (tok_end(tx, v, low + i, m, a, b, k, (bits_at(set[B_APOS], i) & mask) != 0) < 0)
			return -1;
	}
done:
	/* split_any counted some of these again; every one is in a token */
	tx->nbang = bang;
	tx->nquest = quest;
	tx->low.len = n;
	memset(low + (n + 15) / 16 * 16, 0, ESC_VOCAB_SLACK);
	return 1;
}
#else
static int
split_fast(struct esc_text *tx, const struct esc_vocab *v, const unsigned char *u, size_t n)
{
	return 0;
}
#endif

int esc_text_fast = 1;

int
esc_text_split(struct esc_text *tx, const struct esc_vocab *v, const char *text, size_t n)
{
	int rc;

	if (!cls[' '])
		init_classes();
	tx->v = v;
	tx->n = 0;
	tx->low.len = 0;
	tx->nbang = tx->nquest = 0;
	/* tokens never grow when lowercased, so one reservation keeps every
	 * pointer into the buffer valid; the slack is for split_fast's last
	 * sixteen bytes and for the zeros after the last token, which lookups
	 * and phrase buckets may read */
	if (esc_buf_reserve(&tx->low, n + 16 + ESC_VOCAB_SLACK) < 0)
		return -1;
	if (esc_text_fast && (rc = split_fast(tx, v, (const unsigned char *)text, n)))
		return rc < 0 ? -1 : 0;
	if (split_any(tx, v, (const unsigned char *)text, n) < 0)
		return -1;
	memset(tx->low.p + tx->low.len, 0, ESC_VOCAB_SLACK);
	return 0;
}

/* The first , ; : . ! or ? after token j's core and before the next
 * token's (after the last token: before the end), or 0. The tokens'
 * lowercase copies lie end to end in tx->low, so what stands between two
 * cores is the edge punctuation of both tokens. */
static int
gap(const struct esc_text *tx, size_t j)
{
	const char *p = tx->t[j].bare + tx->t[j].bn;
	const char *end = j + 1 < tx->n ? tx->t[j + 1].bare : tx->low.p + tx->low.len;

	for (; p < end; p++)
		if (*p == ',' || *p == ';' || *p == ':' || *p == '.' || *p == '!' || *p == '?')
			return *p;
	return 0;
}

int
esc_text_break(const struct esc_text *tx, size_t j)
{
	return j + 1 < tx->n && gap(tx, j);
}

int
esc_text_clause_end(const struct esc_text *tx, size_t j)
{
	int c;

	for (; j < tx->n; j++)
		if ((c = gap(tx, j)))
			return c;
	return 0;
}

void
esc_text_free(struct esc_text *tx)
{
	free(tx->t);
	tx->t = NULL;
	tx->n = tx->cap = 0;
	esc_buf_free(&tx->low);
	esc_buf_free(&tx->bits);
}
