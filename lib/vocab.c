/* vocab.c — every word the data files know, in one open-addressing hash
 * table, so that scoring a token costs one lookup whatever it is used for
 * (sentiment valence, booster, negation, start of a phrase).
 *
 * Slots are 8 bytes (hash and entry index) so the table stays in cache;
 * the words themselves sit in a separate array, touched only on a hit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"

struct slot {
	uint32_t hash;
	uint32_t idx;     /* entry index + 1; 0: empty */
};

struct entry {
	char *key;
	size_t len;
	struct esc_word w;
};

struct esc_vocab {
	struct slot *t;
	size_t cap;       /* a power of two */
	struct entry *e;
	size_t n, ecap;
};

unsigned
esc_vocab_hash(const char *s, size_t n)
{
	uint32_t h = ESC_VOCAB_H0;
	size_t i;

	for (i = 0; i < n; i++)
		h = ESC_VOCAB_STEP(h, s[i]);
	return h;
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
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++)
		free(v->e[i].key);
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
		if (e->len == n && memcmp(e->key, w, n) == 0)
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

			*find(v, e->key, e->len, old[i].hash) = old[i];
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
	/* at most a quarter full: most tokens are not in the vocabulary, and a
	 * miss costs a walk to the next empty slot */
	if ((v->n + 1) * 4 > v->cap) {
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
	e = &v->e[v->n];
	if (!(e->key = malloc(n)))
		return NULL;
	memcpy(e->key, w, n);
	e->len = n;
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
