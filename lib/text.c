/* text.c — split a message into tokens the way VADER does (white space,
 * Unicode's too, as Python's str.split() finds it; edge punctuation
 * stripped unless that leaves two bytes or fewer), with
 * emoji as tokens of their own, and look every token up once.
 *
 * This is the hot loop of batch scoring: one character-class table, one
 * pass to lowercase and hash each token. */
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

/* A token's bytes have been copied, lowercased, to low[0..m). a..b bound
 * its non-punctuation core (a == b: none), hb is the hash of low[a..b).
 * Inline: it runs once per token of every message. */
static inline __attribute__((always_inline)) int
tok_end(struct esc_text *tx, const struct esc_vocab *v, const char *low, size_t m,
	size_t a, size_t b, unsigned hb, unsigned k, int apos)
{
	struct esc_tok *t;

	if (tx->n == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 64;
		struct esc_tok *nt = realloc(tx->t, cap * sizeof *nt);

		if (!nt)
			return -1;
		tx->t = nt;
		tx->cap = cap;
	}
	tx->low.len += m;
	t = &tx->t[tx->n++];
	t->flags = (k & C_UPPER) && !(k & C_LOWER) ? ESC_T_UPPER : 0;
	if (m > 0xffff) {               /* no word is this long: keep it, look nothing up */
		t->s = t->bare = low;
		t->n = t->bn = 0xffff;
		t->w = t->bw = NULL;
		t->wf = t->bwf = 0;
		return 0;
	}
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
			t->bw = esc_vocab_geth_padded(v, t->bare, t->bn, esc_vocab_hash(t->bare, t->bn));
		}
	} else {
		t->s = low;
		t->n = (unsigned short)m;
		t->w = (a == 0 && b == m) ? esc_vocab_geth_padded(v, low, m, hb) : esc_vocab_geth_padded(v, low, m, esc_vocab_hash(low, m));
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

int
esc_text_split(struct esc_text *tx, const struct esc_vocab *v, const char *text, size_t n)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i = 0, m, a, b, el;
	unsigned h, hb, k;
	int drop, apos, core;
	char *low;

	if (!cls[' '])
		init_classes();
	tx->v = v;
	tx->n = 0;
	tx->low.len = 0;
	tx->nbang = tx->nquest = 0;
	/* tokens never grow when lowercased, so one reservation keeps every
	 * pointer into the buffer valid; the slack is for the padded lookups */
	if (esc_buf_reserve(&tx->low, n + 1 + ESC_VOCAB_SLACK) < 0)
		return -1;
	while (i < n) {
		while (i < n && (cls[u[i]] & C_WS))
			i++;
		if (i == n)
			break;
		if (u[i] >= 0xc2 && (el = uspace_len(u + i, n - i))) {
			i += el;
			continue;
		}
		/* one pass per token: lowercase, hash the core, note its class */
		low = tx->low.p + tx->low.len;
		m = a = b = 0;
		h = hb = ESC_VOCAB_H0;
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
					c = (unsigned char)(c + ((kc & C_UPPER) << 3));
					k |= kc;
					h = ESC_VOCAB_STEP(h, c);
					low[m++] = (char)c;
					i++;
				} while (i < n && !((kc = cls[c = u[i]]) & (C_WS | C_MARK | C_PUNCT)));
				b = m;
				hb = h;
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
					if (m && tok_end(tx, v, low, m, a, b, hb, k, apos) < 0)
						return -1;
					if (!drop) {
						low = tx->low.p + tx->low.len;
						memcpy(low, u + i, el);
						if (tok_end(tx, v, low, el, 0, el,
							esc_vocab_hash(low, el), 0, 0) < 0)
							return -1;
					}
					i += el;
					low = tx->low.p + tx->low.len;
					m = a = b = 0;
					h = hb = ESC_VOCAB_H0;
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
				h = ESC_VOCAB_STEP(h, c);
				b = m + 1;
				hb = h;
			} else if (core) {
				h = ESC_VOCAB_STEP(h, c);
			}
			low[m++] = (char)c;
			i++;
		}
		if (!core)
			a = b = 0;
		if (m && tok_end(tx, v, low, m, a, b, hb, k, apos) < 0)
			return -1;
	}
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
}
