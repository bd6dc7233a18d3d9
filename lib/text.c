/* text.c — split a message into tokens the way VADER does (whitespace,
 * edge punctuation stripped unless that leaves two bytes or fewer), with
 * emoji as tokens of their own, and look every token up once.
 *
 * This is the hot loop of batch scoring: one character-class table, one
 * pass to lowercase and hash each token. */
#include <stdlib.h>
#include <string.h>

#include "score.h"

enum { C_WS = 1, C_PUNCT = 2, C_UPPER = 4, C_LOWER = 8, C_HIGH = 16, C_MARK = 32 };

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
		if (c >= 0x80)
			k |= C_HIGH;
		if (c == '!' || c == '?' || c == '\'' || c >= 0xe2)
			k |= C_MARK;    /* needs a closer look in the split loop */
		cls[c] = k;
	}
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

static int
push(struct esc_text *tx, const struct esc_vocab *v, const unsigned char *s, size_t n)
{
	struct esc_tok *t;
	unsigned char *low = (unsigned char *)tx->low.p + tx->low.len;
	size_t i, m = 0, a, b;
	unsigned k = 0, h = ESC_VOCAB_H0, apos = 0;

	if (tx->n == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 64;
		struct esc_tok *nt = realloc(tx->t, cap * sizeof *nt);

		if (!nt)
			return -1;
		tx->t = nt;
		tx->cap = cap;
	}
	/* VADER's strip: edge punctuation goes unless two bytes or fewer remain */
	for (a = 0; a < n && (cls[s[a]] & C_PUNCT); a++)
		;
	for (b = n; b > a && (cls[s[b - 1]] & C_PUNCT); b--)
		;
	if (b - a > 2) {
		s += a;
		n = b - a;
	}
	/* lowercase and hash in one pass; a right single quote is an apostrophe */
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		unsigned kc = cls[c];

		if (kc & C_HIGH) {
			if (c == 0xe2 && i + 2 < n && s[i + 1] == 0x80 && s[i + 2] == 0x99) {
				c = '\'';
				i += 2;
			}
		} else if (kc & C_UPPER) {
			c = (unsigned char)(c + 32);
		}
		apos |= c == '\'';
		k |= kc;
		low[m++] = c;
		h = ESC_VOCAB_STEP(h, c);
	}
	tx->low.len += m;
	t = &tx->t[tx->n++];
	t->s = (const char *)low;
	t->n = (unsigned short)(m > 0xffff ? 0xffff : m);
	t->flags = (k & C_UPPER) && !(k & C_LOWER) ? ESC_T_UPPER : 0;
	t->w = m <= 0xffff ? esc_vocab_geth(v, t->s, t->n, h) : NULL;
	/* the bare form differs only when the VADER form kept punctuation */
	a = 0;
	b = m;
	if ((k & C_PUNCT) || apos) {
		while (a < m && (cls[low[a]] & C_PUNCT))
			a++;
		while (b > a && (cls[low[b - 1]] & C_PUNCT))
			b--;
	}
	t->bare = (const char *)low + a;
	t->bn = (unsigned short)(b - a > 0xffff ? 0xffff : b - a);
	t->bw = (a == 0 && b == m) ? t->w : esc_vocab_get(v, t->bare, t->bn);
	if ((t->w && (t->w->flags & ESC_W_NEGATE)) ||
	    (apos && memmem(low, m, "n't", 3)))
		t->flags |= ESC_T_NEGATED;
	return 0;
}

int
esc_text_split(struct esc_text *tx, const struct esc_vocab *v, const char *text, size_t n)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i = 0, start, el;
	int drop;

	if (!cls[' '])
		init_classes();
	tx->n = 0;
	tx->low.len = 0;
	tx->nbang = tx->nquest = 0;
	/* tokens never grow when lowercased, so one reservation keeps every
	 * pointer into the buffer valid */
	if (esc_buf_reserve(&tx->low, n + 1) < 0)
		return -1;
	while (i < n) {
		while (i < n && (cls[u[i]] & C_WS))
			i++;
		start = i;
		while (i < n && !(cls[u[i]] & C_WS)) {
			if (!(cls[u[i]] & C_MARK)) {
				i++;
				continue;
			}
			if (u[i] == '!')
				tx->nbang++;
			else if (u[i] == '?')
				tx->nquest++;
			else if (u[i] >= 0xe2 && (el = emoji_len(u + i, n - i, &drop))) {
				if (i > start && push(tx, v, u + start, i - start) < 0)
					return -1;
				if (!drop && push(tx, v, u + i, el) < 0)
					return -1;
				i += el;
				start = i;
				continue;
			}
			i++;
		}
		if (i > start && push(tx, v, u + start, i - start) < 0)
			return -1;
	}
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
