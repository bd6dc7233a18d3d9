/* vocab.h — the vocabulary's layout, for the one lookup inlined into the
 * tokenizer's loop (text.c); everything else goes through score.h. */
#ifndef ESC_VOCAB_H
#define ESC_VOCAB_H

#include <stdint.h>
#include <string.h>

#include "score.h"

struct slot {
	uint32_t hash;
	uint32_t idx;     /* entry index + 1; 0: empty */
};

struct entry {
	uint32_t off;     /* of the word in the pool */
	uint32_t len;
	struct esc_word w;
};

struct esc_vocab {
	struct slot *t;
	size_t cap;       /* a power of two */
	struct entry *e;
	size_t n, ecap;
	char *pool;       /* the words, end to end, then ESC_VOCAB_SLACK zero bytes */
	size_t plen, pcap;
};

/* One step of esc_vocab_hash: eight bytes of the word (zero past its end)
 * into the state. A multiply spreads each bit upwards only; the fold
 * brings the high half down, so that every byte reaches the low bits that
 * pick a slot. */
static inline uint64_t
esc_vocab_mix(uint64_t h, uint64_t x)
{
	h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* The last 0 to 8 bytes of a word, read as esc_vocab_hash reads them
 * (memcpy into a zeroed word), from a place with eight readable bytes. */
static inline uint64_t
esc_vocab_tail(const char *s, size_t n)
{
	uint64_t x;

	if (!n)
		return 0;
	memcpy(&x, s, 8);
	if (n == 8)
		return x;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return x & ~(~0ULL >> (8 * n));
#else
	return x & (~0ULL >> (64 - 8 * n));
#endif
}

/* esc_vocab_hash, with padded set when ESC_VOCAB_SLACK bytes after the
 * word may be read (its last eight bytes are then one load) */
static inline unsigned
esc_vocab_hash_of(const char *s, size_t n, int padded)
{
	uint64_t h = n, x;

	for (; n > 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		h = esc_vocab_mix(h, x);
	}
	if (padded) {
		x = esc_vocab_tail(s, n);
	} else {
		x = 0;
		if (n)
			memcpy(&x, s, n);
	}
	return (unsigned)(uint32_t)esc_vocab_mix(h, x);
}

/* esc_vocab_hash of a word followed by ESC_VOCAB_SLACK readable bytes */
static inline unsigned
esc_vocab_hash_padded(const char *s, size_t n)
{
	return esc_vocab_hash_of(s, n, 1);
}

/* a[0..n) == b[0..n), both readable ESC_VOCAB_SLACK bytes further */
static inline int
esc_vocab_same_padded(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	if (!n)
		return 1;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return ((x ^ y) >> (64 - 8 * n)) == 0;
#else
	return ((x ^ y) << (64 - 8 * n)) == 0;
#endif
}

/* esc_vocab_geth for a word followed by at least ESC_VOCAB_SLACK readable
 * bytes (whatever they hold): the tokenizer's, compared eight bytes at a
 * time. */
static inline const struct esc_word *
esc_vocab_geth_padded(const struct esc_vocab *v, const char *w, size_t n, unsigned h)
{
	size_t i = h & (v->cap - 1);

	if (n == 0)
		return NULL;
	for (;; i = (i + 1) & (v->cap - 1)) {
		const struct slot *s = &v->t[i];
		const struct entry *e;

		if (!s->idx)
			return NULL;
		if (s->hash != h)
			continue;
		e = &v->e[s->idx - 1];
		if (e->len == n && esc_vocab_same_padded(v->pool + e->off, w, n))
			return &e->w;
	}
}

#endif
