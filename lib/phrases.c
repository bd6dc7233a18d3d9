/* phrases.c — categories of phrases ("cancel: close my account", ...)
 * matched word by word against a tokenised text. A phrase is found from
 * its first word through the vocabulary, so the cost is one chain walk
 * per token that starts some phrase; phrases whose first word is a prefix
 * ("refund*") live in a short list checked by first byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"

#define PREFIX_MIN 3
#define PREFIX_BUCKETS 1024

static unsigned
bucket(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	return (u[0] * 31u * 31u + u[1] * 31u + u[2]) & (PREFIX_BUCKETS - 1);
}

struct pword {
	const struct esc_word *w; /* vocabulary entry of an exact word, once compiled */
	char *s;
	unsigned short n;
	unsigned char prefix;  /* "word*": matches any word starting with s */
	unsigned char any;     /* "*": matches any one word */
};

struct pat {
	int cat;
	int next;              /* next phrase with the same first word, -1 */
	int nw;
	struct pword *w;
	char *text;
	char *json;            /* text as a JSON string, quotes included */
	size_t jsonlen;
};

/* Phrases whose first two words are exact, found by that pair: "my" starts
 * dozens of phrases, "my pricing" one or two. */
struct pair {
	const struct esc_word *a, *b;
	int head;
};

struct esc_phrases {
	struct pair *pairs;
	size_t npairs_cap;     /* a power of two, or 0 */
	struct esc_vocab *v;   /* borrows */
	struct pat *p;
	int np, cap;
	char **cats;
	int ncat;
	int prefix_head[PREFIX_BUCKETS]; /* phrases with a prefix first word, by its first 3 bytes */
};

struct esc_phrases *
esc_phrases_new(struct esc_vocab *v)
{
	struct esc_phrases *ph = calloc(1, sizeof *ph);
	int i;

	if (!ph)
		return NULL;
	ph->v = v;
	for (i = 0; i < PREFIX_BUCKETS; i++)
		ph->prefix_head[i] = -1;
	return ph;
}

void
esc_phrases_free(struct esc_phrases *ph)
{
	int i, j;

	if (!ph)
		return;
	for (i = 0; i < ph->np; i++) {
		for (j = 0; j < ph->p[i].nw; j++)
			free(ph->p[i].w[j].s);
		free(ph->p[i].w);
		free(ph->p[i].text);
		free(ph->p[i].json);
	}
	for (i = 0; i < ph->ncat; i++)
		free(ph->cats[i]);
	free(ph->cats);
	free(ph->pairs);
	free(ph->p);
	free(ph);
}

int
esc_phrases_cat(const struct esc_phrases *ph, const char *name)
{
	int i;

	for (i = 0; i < ph->ncat; i++)
		if (strcmp(ph->cats[i], name) == 0)
			return i;
	return -1;
}

static int
intern_cat(struct esc_phrases *ph, const char *name)
{
	int i = esc_phrases_cat(ph, name);
	char **nc;

	if (i >= 0)
		return i;
	if (!(nc = realloc(ph->cats, (size_t)(ph->ncat + 1) * sizeof *nc)))
		return -1;
	ph->cats = nc;
	if (!(ph->cats[ph->ncat] = strdup(name)))
		return -1;
	return ph->ncat++;
}

const char *esc_phrases_catname(const struct esc_phrases *ph, int cat) { return ph->cats[cat]; }
int esc_phrases_ncat(const struct esc_phrases *ph) { return ph->ncat; }
const char *esc_phrases_text(const struct esc_phrases *ph, int id) { return ph->p[id].text; }
const char *
esc_phrases_json(const struct esc_phrases *ph, int id, size_t *len)
{
	*len = ph->p[id].jsonlen;
	return ph->p[id].json;
}
int esc_phrases_catof(const struct esc_phrases *ph, int id) { return ph->p[id].cat; }

int
esc_phrases_add(struct esc_phrases *ph, const char *cat, const char *phrase,
	struct esc_err *err)
{
	struct pat *p;
	const char *s = phrase;
	size_t n;
	int c, k;

	if ((c = intern_cat(ph, cat)) < 0)
		goto oom;
	if (ph->np == ph->cap) {
		int cap = ph->cap ? ph->cap * 2 : 64;
		struct pat *np = realloc(ph->p, (size_t)cap * sizeof *np);

		if (!np)
			goto oom;
		ph->p = np;
		ph->cap = cap;
	}
	p = &ph->p[ph->np];
	memset(p, 0, sizeof *p);
	p->cat = c;
	p->next = -1;
	if (!(p->text = strdup(phrase)))
		goto oom;
	{
		struct esc_buf q = { 0 };

		esc_buf_json_str(&q, phrase, strlen(phrase));
		if (esc_buf_oom) {
			free(q.p);
			goto oom;
		}
		p->json = q.p;
		p->jsonlen = q.len;
	}
	for (;;) {
		struct pword *w, *nw;
		size_t i;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		n = strcspn(s, " \t");
		if (!(nw = realloc(p->w, (size_t)(p->nw + 1) * sizeof *nw)))
			goto oom_p;
		p->w = nw;
		w = &p->w[p->nw];
		memset(w, 0, sizeof *w);
		if (n == 1 && s[0] == '*') {
			w->any = 1;
		} else {
			if (s[n - 1] == '*') {
				w->prefix = 1;
				n--;
			}
			if (!(w->s = malloc(n + 1)))
				goto oom_p;
			for (i = 0; i < n; i++)
				w->s[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
			w->s[n] = '\0';
			w->n = (unsigned short)n;
		}
		p->nw++;
		s += n + (w->prefix ? 1 : 0);
	}
	if (p->nw == 0 || p->w[0].any || (p->w[0].prefix && p->w[0].n < PREFIX_MIN)) {
		esc_err_set(err, "phrase \"%s\": %s", phrase,
			p->nw == 0 ? "is empty" : p->w[0].any ? "may not start with '*'" :
			"a first word ending in '*' needs 3 letters before it");
		free(p->text);
		free(p->w);
		return -1;
	}
	if (p->w[0].prefix) {
		p->next = ph->prefix_head[bucket(p->w[0].s)];
		ph->prefix_head[bucket(p->w[0].s)] = ph->np;
	} else if (!esc_vocab_add(ph->v, p->w[0].s, p->w[0].n)) {
		goto oom_p;
	}
	/* every exact word joins the vocabulary, so that matching compares
	 * vocabulary entries, never strings */
	for (k = 1; k < p->nw; k++)
		if (!p->w[k].any && !p->w[k].prefix && !esc_vocab_add(ph->v, p->w[k].s, p->w[k].n))
			goto oom_p;
	ph->np++;
	return 0;
oom_p:
	ph->np++;   /* freed with the rest by esc_phrases_free */
oom:
	esc_err_set(err, "out of memory");
	return -1;
}

int
esc_phrases_load(struct esc_phrases *ph, const char *rel, struct esc_err *err)
{
	char *data, *line, *next, *tab;
	size_t len;
	int lineno = 0, rc = 0;

	if (esc_share_read(rel, &data, &len, err) < 0)
		return -1;
	for (line = data; line && *line && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (!(tab = strchr(line, '\t'))) {
			esc_err_set(err, "data file %s/%s:%d: expected \"category<TAB>phrase\"",
				esc_share_dir(), rel, lineno);
			rc = -1;
			break;
		}
		*tab = '\0';
		if (esc_phrases_add(ph, line, tab + 1, err) < 0) {
			struct esc_err e2;

			esc_err_set(&e2, "data file %s/%s:%d: %s", esc_share_dir(), rel, lineno, err->msg);
			*err = e2;
			rc = -1;
		}
	}
	free(data);
	return rc;
}

static size_t
pair_slot(const struct esc_phrases *ph, const struct esc_word *a, const struct esc_word *b)
{
	unsigned long long h = ((unsigned long long)(uintptr_t)a * 0x9e3779b97f4a7c15ULL) ^
		((unsigned long long)(uintptr_t)b * 0xc2b2ae3d27d4eb4fULL);
	size_t i = (size_t)(h >> 32) & (ph->npairs_cap - 1);

	while (ph->pairs[i].a && (ph->pairs[i].a != a || ph->pairs[i].b != b))
		i = (i + 1) & (ph->npairs_cap - 1);
	return i;
}

int
esc_phrases_compile(struct esc_phrases *ph, struct esc_err *err)
{
	int i, k;

	free(ph->pairs);
	for (ph->npairs_cap = 16; ph->npairs_cap < (size_t)ph->np * 4; ph->npairs_cap *= 2)
		;
	if (!(ph->pairs = calloc(ph->npairs_cap, sizeof *ph->pairs))) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	for (i = ph->np - 1; i >= 0; i--) {   /* backwards: chains keep file order */
		struct pat *p = &ph->p[i];
		struct esc_word *w;

		for (k = 0; k < p->nw; k++)
			if (!p->w[k].any && !p->w[k].prefix)
				p->w[k].w = esc_vocab_get(ph->v, p->w[k].s, p->w[k].n);
		if (p->w[0].prefix)
			continue;
		w = (struct esc_word *)p->w[0].w;
		if (p->nw > 1 && p->w[1].w) {
			size_t sl = pair_slot(ph, w, p->w[1].w);

			if (!ph->pairs[sl].a) {
				ph->pairs[sl].a = w;
				ph->pairs[sl].b = p->w[1].w;
				ph->pairs[sl].head = -1;
			}
			p->next = ph->pairs[sl].head;
			ph->pairs[sl].head = i;
			w->flags |= ESC_W_PAIR;
		} else {
			p->next = w->pat;
			w->pat = i;
			w->flags |= ESC_W_PATHEAD;
		}
	}
	return 0;
}

int
esc_phrases_bind(struct esc_phrases *ph, unsigned lastflag, struct esc_err *err)
{
	int i, k;

	for (i = 0; i < ph->np; i++) {
		struct pat *p = &ph->p[i];
		struct esc_word *last;

		for (k = 0; k < p->nw; k++)
			if (!p->w[k].any && !p->w[k].prefix)
				p->w[k].w = esc_vocab_get(ph->v, p->w[k].s, p->w[k].n);
		/* found by their last word, which must therefore be one */
		if (p->w[p->nw - 1].any || p->w[p->nw - 1].prefix) {
			esc_err_set(err, "phrase \"%s\": its last word must be a whole word, "
				"not one ending in '*'", p->text);
			return -1;
		}
		last = (struct esc_word *)p->w[p->nw - 1].w;
		last->flags |= lastflag;
	}
	return 0;
}

static int
word_match(const struct pword *w, const struct esc_tok *t)
{
	if (w->w)
		return t->bw == w->w;
	if (w->any)
		return t->bn > 0;
	return t->bn >= w->n && memcmp(t->bare, w->s, w->n) == 0;
}

static int
pat_match(const struct pat *p, const struct esc_text *tx, size_t i)
{
	int k;

	if (i + (size_t)p->nw > tx->n)
		return 0;
	/* most candidates fail on the second word: test it inline first */
	if (p->nw > 1 && p->w[1].w && tx->t[i + 1].bw != p->w[1].w)
		return 0;
	for (k = 0; k < p->nw; k++)
		if (!word_match(&p->w[k], &tx->t[i + (size_t)k]))
			return 0;
	return 1;
}

int
esc_phrases_ending_at(const struct esc_phrases *ph, const struct esc_text *tx, size_t j,
	size_t *start)
{
	int i, best = -1;

	for (i = 0; i < ph->np; i++) {
		const struct pat *p = &ph->p[i];

		if ((size_t)p->nw > j + 1 || (best >= 0 && p->nw <= ph->p[best].nw))
			continue;
		if (pat_match(p, tx, j + 1 - (size_t)p->nw))
			best = i;
	}
	if (best >= 0)
		*start = j + 1 - (size_t)ph->p[best].nw;
	return best;
}

static int
found(struct esc_matches *m, int id)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->id[i] == id)
			return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		int *nid = realloc(m->id, cap * sizeof *nid);

		if (!nid)
			return -1;
		m->id = nid;
		m->cap = cap;
	}
	m->id[m->n++] = id;
	return 0;
}

/* Phrase id tried at token i: recorded if it is there, unless keep says
 * no. -1 when memory runs out. */
static inline int
try_at(const struct esc_phrases *ph, const struct esc_text *tx, size_t i, int id,
	struct esc_matches *m, esc_phrases_keep keep, void *ctx)
{
	if (!pat_match(&ph->p[id], tx, i) ||
	    (keep && !keep(ctx, id, i, (size_t)ph->p[id].nw)))
		return 0;
	return found(m, id);
}

int
esc_phrases_match(const struct esc_phrases *ph, const struct esc_text *tx,
	struct esc_matches *m)
{
	return esc_phrases_match_keep(ph, tx, m, NULL, NULL);
}

int
esc_phrases_match_keep(const struct esc_phrases *ph, const struct esc_text *tx,
	struct esc_matches *m, esc_phrases_keep keep, void *ctx)
{
	size_t at[64], n, i, j, from;
	int id;

	m->n = 0;
	for (from = 0; from < tx->n; from += n) {
		size_t na = 0;

		/* First the tokens that may start a phrase, a block at a time and
		 * with no branch per token: few do, and which ones is as hard to
		 * predict as the text. The tokenizer leaves bytes to read after
		 * every token, so a short one's bucket is harmless. */
		n = tx->n - from < 64 ? tx->n - from : 64;
		for (i = from; i < from + n; i++) {
			const struct esc_tok *t = &tx->t[i];

			at[na] = i;
			na += ((t->bwf & (ESC_W_PATHEAD | ESC_W_PAIR)) != 0) |
				((t->bn >= PREFIX_MIN) & (ph->prefix_head[bucket(t->bare)] >= 0));
		}
		for (j = 0; j < na; j++) {
			const struct esc_tok *t = &tx->t[i = at[j]];

			if (t->bwf & (ESC_W_PATHEAD | ESC_W_PAIR)) {
				for (id = t->bw->pat; id >= 0; id = ph->p[id].next)
					if (try_at(ph, tx, i, id, m, keep, ctx) < 0)
						return -1;
				if ((t->bwf & ESC_W_PAIR) && i + 1 < tx->n && tx->t[i + 1].bw) {
					const struct pair *pr = &ph->pairs[pair_slot(ph, t->bw, tx->t[i + 1].bw)];

					for (id = pr->a ? pr->head : -1; id >= 0; id = ph->p[id].next)
						if (try_at(ph, tx, i, id, m, keep, ctx) < 0)
							return -1;
				}
			}
			if (t->bn < PREFIX_MIN)
				continue;
			for (id = ph->prefix_head[bucket(t->bare)]; id >= 0; id = ph->p[id].next)
				if (try_at(ph, tx, i, id, m, keep, ctx) < 0)
					return -1;
		}
	}
	return 0;
}

void
esc_matches_free(struct esc_matches *m)
{
	free(m->id);
	m->id = NULL;
	m->n = m->cap = 0;
}
