/* negate.c — words a few words before an alert's phrase that undo it:
 * "I don't want to cancel", "I'm not going to a competitor", "thank you
 * for the quick refund". VADER negates a sentiment word when a negation
 * stands up to three words before it; this looks as far back from the
 * first word of a phrase for the cues of detect/negations.tsv, in the
 * manner of NegEx (Chapman et al., 2001), whose "pseudo" negations and
 * scope-ending words it borrows. The look back stops where the clause
 * does: at a , ; : . ! or ? between two words, at a word of the class
 * "stop" ("but", "and"), at a "pseudo" cue (a negation that is not one:
 * "won't let me"), and at a word of strong sentiment, which takes the
 * negation for itself ("not happy want to cancel").
 *
 * Only tokens whose word ends some cue are tried (a vocabulary flag), and
 * only for an alert phrase found: scoring costs nothing otherwise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"

#define MAX_CLASSES 32
#define CUE_WORDS 8       /* a cue after a phrase is looked for this far past the window */

struct esc_negate {
	struct esc_phrases *ph;   /* the cues: a category per class */
	int stop, pseudo;         /* their classes, -1 when the file has none */
	int window;
	double opinion;
	unsigned after;           /* classes whose cues follow the phrase */
};

struct esc_negate *
esc_negate_new(struct esc_vocab *v)
{
	struct esc_negate *ng = calloc(1, sizeof *ng);

	if (!ng)
		return NULL;
	if (!(ng->ph = esc_phrases_new(v))) {
		free(ng);
		return NULL;
	}
	ng->stop = ng->pseudo = -1;
	ng->window = 3;
	ng->opinion = 1;
	return ng;
}

void
esc_negate_free(struct esc_negate *ng)
{
	if (!ng)
		return;
	esc_phrases_free(ng->ph);
	free(ng);
}

int
esc_negate_load(struct esc_negate *ng, const char *rel, struct esc_err *err)
{
	if (esc_phrases_load(ng->ph, rel, err) < 0)
		return -1;
	if (esc_phrases_ncat(ng->ph) > MAX_CLASSES) {
		esc_err_set(err, "data file %s/%s: more than %d cue classes", esc_share_dir(),
			rel, MAX_CLASSES);
		return -1;
	}
	ng->stop = esc_phrases_cat(ng->ph, "stop");
	ng->pseudo = esc_phrases_cat(ng->ph, "pseudo");
	return 0;
}

int
esc_negate_compile(struct esc_negate *ng, struct esc_err *err)
{
	return esc_phrases_bind(ng->ph, ESC_W_CUE, err);
}

void
esc_negate_set(struct esc_negate *ng, int window, double opinion, unsigned after)
{
	ng->window = window;
	ng->opinion = opinion;
	ng->after = after;
}

int esc_negate_class(const struct esc_negate *ng, const char *name) { return esc_phrases_cat(ng->ph, name); }
int esc_negate_special(const struct esc_negate *ng, int c) { return c == ng->stop || c == ng->pseudo; }

/* A cue of a class in mask starting at most the window after the phrase
 * ending before token e, in its clause, where that clause does not ask:
 * "my refund came through, thanks", not "has my refund arrived?" */
static int
after(const struct esc_negate *ng, const struct esc_text *tx, size_t e, unsigned mask)
{
	size_t j, k;

	for (j = e; j < tx->n; j++) {
		const struct esc_tok *t = &tx->t[j];
		int id, c;

		if (j > 0 && esc_text_break(tx, j - 1))
			return 0;
		if ((t->bwf & ESC_W_CUE) && (id = esc_phrases_ending_at(ng->ph, tx, j, &k)) >= 0 &&
		    k >= e) {
			if (k - e >= (size_t)ng->window)
				return 0;
			c = esc_phrases_catof(ng->ph, id);
			if (c == ng->stop || c == ng->pseudo)
				return 0;
			if (mask & (1u << c))
				return esc_text_clause_end(tx, j) != '?';
			continue;
		}
		/* past the window, only a cue already begun can still end */
		if (j - e >= (size_t)ng->window + CUE_WORDS)
			return 0;
		if ((t->wf & ESC_W_LEXICON) && fabs(t->w->valence) >= ng->opinion)
			return 0;
	}
	return 0;
}

int
esc_negated(const struct esc_negate *ng, const struct esc_text *tx, size_t i, size_t e,
	unsigned mask)
{
	size_t j, k;

	if ((mask & ng->after) && after(ng, tx, e, mask & ng->after))
		return 1;
	mask &= ~ng->after;
	if (!mask)
		return 0;
	for (j = i; j > 0 && i - j < (size_t)ng->window; ) {
		const struct esc_tok *t = &tx->t[--j];
		int id, c;

		if (esc_text_break(tx, j))
			return 0;
		if ((t->bwf & ESC_W_CUE) && (id = esc_phrases_ending_at(ng->ph, tx, j, &k)) >= 0) {
			c = esc_phrases_catof(ng->ph, id);
			if (c == ng->stop || c == ng->pseudo)
				return 0;
			if (mask & (1u << c))
				return 1;
			j = k;          /* another alert's cue: look on before it */
			continue;
		}
		if ((t->wf & ESC_W_LEXICON) && fabs(t->w->valence) >= ng->opinion)
			return 0;
	}
	return 0;
}
