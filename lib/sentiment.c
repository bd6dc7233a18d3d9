/* sentiment.c — VADER's rules (Hutto & Gilbert, 2014): lexicon valences,
 * negation, boosters, ALL CAPS, "but", "least", "kind of", punctuation
 * emphasis, normalised to a compound score in [-1, 1]. One rule of ours:
 * an emoji of sentiment/ambiguous.txt ("😭", shed in joy as in grief)
 * takes the sign of the other sentiment words of its clause. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"

#define C_INCR 0.733    /* an ALL CAPS word among others that are not */
#define N_SCALAR -0.74  /* a negation flips and dampens */
#define ALPHA 15.0      /* normalisation: x / sqrt(x*x + alpha) */

/* Load "word<TAB>number" lines into the vocabulary through set(). */
static int
load_tsv(struct esc_vocab *v, const char *rel, int need_num,
	void (*set)(struct esc_word *, double), struct esc_err *err)
{
	char *data, *line, *next, *tab, *end, *sp;
	size_t len;
	int lineno = 0;
	double x = 0;

	if (esc_share_read(rel, &data, &len, err) < 0)
		return -1;
	for (line = data; line && *line; line = next) {
		struct esc_word *w;
		size_t n, i;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		tab = strchr(line, '\t');
		n = tab ? (size_t)(tab - line) : strlen(line);
		if (need_num) {
			x = tab ? strtod(tab + 1, &end) : 0;
			if (!tab || end == tab + 1 || x < -10 || x > 10) {
				esc_err_set(err, "data file %s/%s:%d: expected \"word<TAB>number\"",
					esc_share_dir(), rel, lineno);
				free(data);
				return -1;
			}
		}
		for (i = 0; i < n; i++)
			if (line[i] >= 'A' && line[i] <= 'Z')
				line[i] = (char)(line[i] + 32);
		if (!(w = esc_vocab_add(v, line, n))) {
			esc_err_set(err, "out of memory");
			free(data);
			return -1;
		}
		set(w, x);
		/* a two-word entry is looked for only after its first word */
		if ((sp = memchr(line, ' ', n))) {
			if (!(w = esc_vocab_add(v, line, (size_t)(sp - line)))) {
				esc_err_set(err, "out of memory");
				free(data);
				return -1;
			}
			w->flags |= ESC_W_PAIRHEAD;
		}
	}
	free(data);
	return 0;
}

static void set_valence(struct esc_word *w, double x) { w->valence = (float)x; w->flags |= ESC_W_LEXICON; }
static void set_boost(struct esc_word *w, double x) { w->boost = (float)x; w->flags |= ESC_W_BOOSTER; }
static void set_negate(struct esc_word *w, double x) { (void)x; w->flags |= ESC_W_NEGATE; }
static void set_signless(struct esc_word *w, double x) { (void)x; w->flags |= ESC_W_SIGNLESS; }

int
esc_sentiment_load(struct esc_vocab *v, struct esc_err *err)
{
	static const struct { const char *w; unsigned flag; } rule_words[] = {
		{ "but", ESC_W_BUT }, { "no", ESC_W_NO }, { "kind", ESC_W_KIND },
		{ "of", ESC_W_OF }, { "least", ESC_W_LEAST }, { "at", ESC_W_AT },
		{ "very", ESC_W_VERY }, { "never", ESC_W_NEVER }, { "so", ESC_W_SOTHIS },
		{ "this", ESC_W_SOTHIS }, { "without", ESC_W_WITHOUT },
		{ "doubt", ESC_W_DOUBT }, { "or", ESC_W_ORNOR }, { "nor", ESC_W_ORNOR },
	};
	size_t i;

	for (i = 0; i < sizeof rule_words / sizeof rule_words[0]; i++) {
		struct esc_word *w = esc_vocab_add(v, rule_words[i].w, strlen(rule_words[i].w));

		if (!w) {
			esc_err_set(err, "out of memory");
			return -1;
		}
		w->flags |= rule_words[i].flag;
	}
	if (load_tsv(v, "sentiment/lexicon.tsv", 1, set_valence, err) < 0 ||
	    load_tsv(v, "sentiment/emoji.tsv", 1, set_valence, err) < 0 ||
	    load_tsv(v, "sentiment/boosters.tsv", 1, set_boost, err) < 0 ||
	    load_tsv(v, "sentiment/negations.txt", 0, set_negate, err) < 0 ||
	    load_tsv(v, "sentiment/ambiguous.txt", 0, set_signless, err) < 0)
		return -1;
	return 0;
}

const char *
esc_sentiment_label(double c)
{
	return c >= 0.05 ? "positive" : c <= -0.05 ? "negative" : "neutral";
}

static int
in_lexicon(const struct esc_tok *t)
{
	return t->wf & ESC_W_LEXICON;
}

static int
is(const struct esc_tok *t, unsigned flag)
{
	return (t->wf & flag) != 0;
}

/* A booster before the word: its push, away from zero, louder in caps. */
static double
scalar(const struct esc_tok *t, double valence, int capdiff)
{
	double s;

	if (!(t->wf & ESC_W_BOOSTER))
		return 0;
	s = t->w->boost;
	if (valence < 0)
		s = -s;
	if ((t->flags & ESC_T_UPPER) && capdiff)
		s += valence > 0 ? C_INCR : -C_INCR;
	return s;
}

static double
negation(double valence, const struct esc_tok *t, size_t start, size_t i)
{
	const struct esc_tok *w1 = &t[i - 1];

	if (start == 0) {
		if (w1->flags & ESC_T_NEGATED)
			valence *= N_SCALAR;
	} else if (start == 1) {
		const struct esc_tok *w2 = &t[i - 2];

		if (is(w2, ESC_W_NEVER) && (is(w1, ESC_W_SOTHIS) || is(w1, ESC_W_SOTHIS)))
			valence *= 1.25;
		else if (is(w2, ESC_W_WITHOUT) && is(w1, ESC_W_DOUBT))
			;
		else if (w2->flags & ESC_T_NEGATED)
			valence *= N_SCALAR;
	} else {
		const struct esc_tok *w2 = &t[i - 2], *w3 = &t[i - 3];

		if (is(w3, ESC_W_NEVER) && (is(w2, ESC_W_SOTHIS) || is(w2, ESC_W_SOTHIS) || is(w1, ESC_W_SOTHIS) || is(w1, ESC_W_SOTHIS)))
			valence *= 1.25;
		else if (is(w3, ESC_W_WITHOUT) && (is(w2, ESC_W_DOUBT) || is(w1, ESC_W_DOUBT)))
			;
		else if (w3->flags & ESC_T_NEGATED)
			valence *= N_SCALAR;
	}
	return valence;
}

/* A two-word dampener or intensifier ("kind of", "sort of") right before
 * the word, looked up as one vocabulary entry, as VADER does. */
static double
pair_boost(const struct esc_text *tx, size_t j)
{
	const struct esc_tok *a = &tx->t[j], *b = &tx->t[j + 1];
	const struct esc_word *w;
	char pair[64];

	if (!(a->wf & ESC_W_PAIRHEAD) || (size_t)a->n + b->n + 1 >= sizeof pair)
		return 0;
	memcpy(pair, a->s, a->n);
	pair[a->n] = ' ';
	memcpy(pair + a->n + 1, b->s, b->n);
	w = esc_vocab_get(tx->v, pair, (size_t)a->n + 1 + b->n);
	return w && (w->flags & ESC_W_BOOSTER) ? w->boost : 0;
}

static double
valence_at(const struct esc_text *tx, size_t i, int capdiff)
{
	const struct esc_tok *t = tx->t, *it = &t[i];
	double valence;
	size_t start;

	if (!in_lexicon(it))
		return 0;
	valence = it->w->valence;
	/* ESC_W_NO before a sentiment word negates it rather than counting itself */
	if (is(it, ESC_W_NO) && i + 1 < tx->n && in_lexicon(&t[i + 1]))
		valence = 0;
	if ((i > 0 && is(&t[i - 1], ESC_W_NO)) || (i > 1 && is(&t[i - 2], ESC_W_NO)) ||
	    (i > 2 && is(&t[i - 3], ESC_W_NO) && (is(&t[i - 1], ESC_W_ORNOR) || is(&t[i - 1], ESC_W_ORNOR))))
		valence = it->w->valence * N_SCALAR;
	if ((it->flags & ESC_T_UPPER) && capdiff)
		valence += valence > 0 ? C_INCR : -C_INCR;
	for (start = 0; start < 3; start++) {
		double s;

		if (i <= start || in_lexicon(&t[i - start - 1]))
			continue;
		s = scalar(&t[i - start - 1], valence, capdiff);
		if (start == 1)
			s *= 0.95;
		else if (start == 2)
			s *= 0.9;
		valence = negation(valence + s, t, start, i);
		if (start == 2)
			valence += pair_boost(tx, i - 2) + pair_boost(tx, i - 3);
	}
	/* "least" negates, except in "at least" and "very least" */
	if (i > 1 && !in_lexicon(&t[i - 1]) && is(&t[i - 1], ESC_W_LEAST)) {
		if (!is(&t[i - 2], ESC_W_AT) && !is(&t[i - 2], ESC_W_VERY))
			valence *= N_SCALAR;
	} else if (i > 0 && !in_lexicon(&t[i - 1]) && is(&t[i - 1], ESC_W_LEAST)) {
		valence *= N_SCALAR;
	}
	return valence;
}

/* The valence token i adds to the sum: 0 for a booster and for "kind"
 * of "kind of", and "but" shifting the weight to what follows it. */
static double
token_valence(const struct esc_text *tx, size_t i, int capdiff, size_t but)
{
	const struct esc_tok *t = &tx->t[i];
	double v;

	if (t->wf & ESC_W_BOOSTER)
		v = 0;
	else if (is(t, ESC_W_KIND) && i + 1 < tx->n && is(&tx->t[i + 1], ESC_W_OF))
		v = 0;
	else
		v = valence_at(tx, i, capdiff);
	if (but != (size_t)-1)
		v *= i < but ? 0.5 : i > but ? 1.5 : 1;
	return v;
}

/* The sign of the sum of the other sentiment words in token i's clause
 * (between the breaks of esc_text_break either side, and on its side of
 * the "but"): 1, -1, or 0 when there are none, or they cancel out. */
static int
clause_sign(const struct esc_text *tx, size_t i, int capdiff, size_t but)
{
	size_t a = i, b = i, j;
	double sum = 0;

	while (a > 0 && !esc_text_break(tx, a - 1) && a - 1 != but)
		a--;
	while (b + 1 < tx->n && !esc_text_break(tx, b) && b + 1 != but)
		b++;
	for (j = a; j <= b; j++)
		if ((tx->t[j].wf & (ESC_W_LEXICON | ESC_W_SIGNLESS)) == ESC_W_LEXICON)
			sum += token_valence(tx, j, capdiff, but);
	return sum > 0 ? 1 : sum < 0 ? -1 : 0;
}

void
esc_sentiment_score(const struct esc_text *tx, struct esc_sentiment *out)
{
	double sum = 0, pos = 0, neg = 0, neu = 0, punct, total;
	size_t i, but = (size_t)-1, upper = 0;
	int capdiff;

	memset(out, 0, sizeof *out);
	if (tx->n == 0)
		return;
	for (i = 0; i < tx->n; i++) {
		if (tx->t[i].flags & ESC_T_UPPER)
			upper++;
		if (but == (size_t)-1 && is(&tx->t[i], ESC_W_BUT))
			but = i;
	}
	capdiff = upper > 0 && upper < tx->n;
	for (i = 0; i < tx->n; i++) {
		const struct esc_tok *t = &tx->t[i];
		double v;

		if (!(t->wf & ESC_W_LEXICON)) {
			neu += 1;       /* no valence of its own: most tokens */
			continue;
		}
		v = token_valence(tx, i, capdiff, but);
		if ((t->wf & ESC_W_SIGNLESS) && v != 0) {
			/* as strong as listed, with the sign of the words around it;
			 * with none, as listed */
			int sign = clause_sign(tx, i, capdiff, but);

			if (sign)
				v = sign * fabs(v);
		}
		sum += v;
		if (v > 0)
			pos += v + 1;
		else if (v < 0)
			neg += v - 1;
		else
			neu += 1;
	}
	punct = (tx->nbang > 4 ? 4 : tx->nbang) * 0.292;
	if (tx->nquest > 1)
		punct += tx->nquest <= 3 ? tx->nquest * 0.18 : 0.96;
	if (sum > 0)
		sum += punct;
	else if (sum < 0)
		sum -= punct;
	out->compound = sum / sqrt(sum * sum + ALPHA);
	if (out->compound > 1)
		out->compound = 1;
	else if (out->compound < -1)
		out->compound = -1;
	if (pos > fabs(neg))
		pos += punct;
	else if (pos < fabs(neg))
		neg -= punct;
	total = pos + fabs(neg) + neu;
	if (total > 0) {
		out->pos = pos / total;
		out->neg = fabs(neg) / total;
		out->neu = neu / total;
	}
}
