/* vocab.c — every word the data files know, in one open-addressing hash
 * table, so that scoring a token costs one lookup whatever it is used for
 * (sentiment valence, booster, negation, start of a phrase).
 *
 * Slots are 8 bytes (hash and entry index) so the table stays in cache;
 * the entries sit in a separate array, touched only on a hit, and their
 * words end to end in one pool with room after the last, so that a lookup
 * from the tokenizer compares eight bytes at a time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "vocab.h"

unsigned
esc_vocab_hash(const char *s, size_t n)
{
	return esc_vocab_hash_of(s, n, 0);
}

struct esc_vocab *
esc_vocab_new(void)
{
	struct esc_vocab *v = calloc(1, sizeof *v);

	if (!v)
		return NULL;
	v->cap = 1024;
	if (!(v->t = calloc(v->cap, sizeof *v->t))) {
		free(v);
		return NULL;
	}
	return v;
}

void
esc_vocab_free(struct esc_vocab *v)
{
	if (!v)
		return;
	free(v->pool);
	free(v->e);
	free(v->t);
	free(v);
}

static struct slot *
find(const struct esc_vocab *v, const char *w, size_t n, uint32_t h)
{
	size_t i = h & (v->cap - 1);

	for (;; i = (i + 1) & (v->cap - 1)) {
		struct slot *s = &v->t[i];
		const struct entry *e;

		if (!s->idx)
			return s;
		if (s->hash != h)
			continue;
		e = &v->e[s->idx - 1];
		if (e->len == n && memcmp(v->pool + e->off, w, n) == 0)
			return s;
	}
}

struct esc_word *
esc_vocab_geth(const struct esc_vocab *v, const char *w, size_t n, unsigned h)
{
	struct slot *s;

	if (n == 0)
		return NULL;
	s = find(v, w, n, h);
	return s->idx ? &v->e[s->idx - 1].w : NULL;
}

struct esc_word *
esc_vocab_get(const struct esc_vocab *v, const char *w, size_t n)
{
	return esc_vocab_geth(v, w, n, esc_vocab_hash(w, n));
}

static int
grow(struct esc_vocab *v)
{
	struct slot *t, *old = v->t;
	size_t i, cap = v->cap * 2, oldcap = v->cap;

	if (!(t = calloc(cap, sizeof *t)))
		return -1;
	v->t = t;
	v->cap = cap;
	for (i = 0; i < oldcap; i++)
		if (old[i].idx) {
			const struct entry *e = &v->e[old[i].idx - 1];

			*find(v, v->pool + e->off, e->len, old[i].hash) = old[i];
		}
	free(old);
	return 0;
}

struct esc_word *
esc_vocab_add(struct esc_vocab *v, const char *w, size_t n)
{
	uint32_t h = esc_vocab_hash(w, n);
	struct entry *e;
	struct slot *s;

	if (n == 0 || n > 0xffff)
		return NULL;
	s = find(v, w, n, h);
	if (s->idx)
		return &v->e[s->idx - 1].w;
	/* at most half full: a miss (most tokens) walks to the next empty
	 * slot, 2.5 slots on average, mostly in one cache line; any emptier
	 * and the table (8,000 words: 128 KiB) no longer stays in cache */
	if ((v->n + 1) * 2 > v->cap) {
		if (grow(v) < 0)
			return NULL;
		s = find(v, w, n, h);
	}
	if (v->n == v->ecap) {
		size_t ecap = v->ecap ? v->ecap * 2 : 256;
		struct entry *ne = realloc(v->e, ecap * sizeof *ne);

		if (!ne)
			return NULL;
		v->e = ne;
		v->ecap = ecap;
	}
	if (v->plen + n + ESC_VOCAB_SLACK > v->pcap) {
		size_t pcap = v->pcap ? v->pcap * 2 : 16384;
		char *np;

		while (pcap < v->plen + n + ESC_VOCAB_SLACK)
			pcap *= 2;
		if (pcap > UINT32_MAX || !(np = realloc(v->pool, pcap)))
			return NULL;
		v->pool = np;
		v->pcap = pcap;
	}
	e = &v->e[v->n];
	e->off = (uint32_t)v->plen;
	e->len = (uint32_t)n;
	memcpy(v->pool + v->plen, w, n);
	memset(v->pool + v->plen + n, 0, ESC_VOCAB_SLACK);
	v->plen += n;
	memset(&e->w, 0, sizeof e->w);
	e->w.pat = -1;
	s->hash = h;
	s->idx = (uint32_t)++v->n;
	return &e->w;
}

size_t
esc_vocab_size(const struct esc_vocab *v)
{
	return v->n;
}
