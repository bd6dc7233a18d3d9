/* test-negate — cues before a phrase (negate.c) with the cues in
 * share/esc/detect/negations.tsv, and the clause breaks between tokens
 * (esc_text_break) they stop at. */
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "score.h"
#include "tap.h"

static struct esc_vocab *v;
static struct esc_negate *ng;
static struct esc_text tx;

static void
split(const char *s)
{
	if (esc_text_split(&tx, v, s, strlen(s)) < 0)
		diag("esc_text_split failed on \"%s\"", s);
}

/* The token whose bare form is w (the first), or tx.n. */
static size_t
at(const char *w)
{
	size_t i;

	for (i = 0; i < tx.n; i++)
		if (tx.t[i].bn == strlen(w) && memcmp(tx.t[i].bare, w, tx.t[i].bn) == 0)
			return i;
	diag("no token \"%s\"", w);
	return tx.n;
}

/* Is the phrase starting at word w of s undone by a cue of class cls? */
static int
negated(const char *s, const char *w, const char *cls)
{
	int c = esc_negate_class(ng, cls);

	split(s);
	return c >= 0 && esc_negated(ng, &tx, at(w), at(w) + 1, 1u << c);
}

/* Is the phrase of words w..e of s undone by a cue of class cls after it,
 * with cls a class that stands after its phrase? */
static int
negated_after(const char *s, const char *w, const char *e, const char *cls)
{
	int c = esc_negate_class(ng, cls);
	int r;

	if (c < 0)
		return 0;
	esc_negate_set(ng, 3, 1.0, 1u << c);
	split(s);
	r = esc_negated(ng, &tx, at(w), at(e) + 1, 1u << c);
	esc_negate_set(ng, 3, 1.0, 0);
	return r;
}

/* Is there a clause break after word w of s? */
static int
brk(const char *s, const char *w)
{
	split(s);
	return esc_text_break(&tx, at(w));
}

int
main(void)
{
	struct esc_err err;

	if (!getenv("ESC_SHARE"))
		esc_share_set("share/esc");   /* run from the top of the tree */
	plan(55);

	v = esc_vocab_new();
	ng = v ? esc_negate_new(v) : NULL;
	if (!ok(ng && esc_sentiment_load(v, &err) == 0 &&
	    esc_negate_load(ng, "detect/negations.tsv", &err) == 0 &&
	    esc_negate_compile(ng, &err) == 0, "the cues load from %s", esc_share_dir())) {
		diag("%s", ng ? err.msg : "out of memory");
		return done();
	}
	ok(esc_negate_class(ng, "negation") >= 0 && esc_negate_class(ng, "stop") >= 0 &&
		esc_negate_class(ng, "pseudo") >= 0, "classes negation, stop and pseudo");
	ok(esc_negate_special(ng, esc_negate_class(ng, "stop")) &&
		esc_negate_special(ng, esc_negate_class(ng, "pseudo")) &&
		!esc_negate_special(ng, esc_negate_class(ng, "negation")),
		"stop and pseudo are special, negation is not");
	is_int(esc_negate_class(ng, "nonsense"), -1, "an unknown class: -1");

	/* clause breaks */
	ok(brk("this, I'm cancelling", "this"), "a comma after a word ends the clause");
	ok(brk("not happy. cancel it", "happy"), "and a full stop");
	ok(brk("why; cancel", "why"), "a semicolon");
	ok(brk("no ,cancel", "no"), "punctuation at the start of the next word counts");
	ok(brk("really... cancel", "really"), "an ellipsis");
	ok(!brk("I don't want to cancel", "don't"), "an apostrophe inside a word is no break");
	ok(!brk("not going to a competitor", "going"), "plain words: no break");
	ok(!brk("stop here", "here"), "nothing after the last word");
	ok(!brk("a - b", "a"), "a dash is no break");

	/* the cue's reach: three words back */
	ok(negated("I don't want to cancel", "want", "negation"), "\"don't\" right before");
	ok(negated("I am not going to a competitor", "a", "negation"), "\"not\" three words back");
	ok(!negated("I am not going over to a competitor", "a", "negation"),
		"... but not four");
	ok(negated("I do not want to cancel", "want", "negation"), "a cue of two words");
	ok(negated("I no longer want to cancel", "want", "negation"), "\"no longer\"");
	ok(negated("I have no intention of cancelling my plan", "cancelling", "negation"),
		"\"no intention of\"");
	ok(negated("I would never cancel my plan", "cancel", "negation"), "\"never\"");
	ok(negated("I DON'T want to cancel", "want", "negation"), "in capitals too");
	ok(!negated("I want to cancel", "want", "negation"), "no cue, nothing undone");
	ok(!negated("Cancel my plan", "cancel", "negation"), "a phrase at the start");

	/* where the reach stops */
	ok(!negated("I don't want this anymore, cancel it", "cancel", "negation"),
		"a comma ends the clause");
	ok(!negated("not happy. cancel my plan", "cancel", "negation"), "a full stop too");
	ok(!negated("I'm not happy and want to cancel", "want", "negation"), "\"and\" starts another");
	ok(!negated("not good but will cancel", "will", "negation"), "\"but\" too");
	ok(!negated("not happy want to cancel", "want", "negation"),
		"a word of strong sentiment takes the negation (\"not happy\")");
	ok(negated("I really don't want to cancel", "want", "negation"),
		"a word of weak sentiment (\"want\", 0.3) does not");
	ok(!negated("it won't let me cancel my plan", "cancel", "negation"),
		"\"won't let me\" is a pseudo-negation");
	ok(!negated("I'm not only cancelling my plan", "cancelling", "negation"), "\"not only\" too");
	ok(!negated("why can't I cancel my plan", "cancel", "negation"),
		"\"can't\" is not being able, not a negation of the wish");

	/* thanks: what is thanked for is done */
	ok(negated("Thank you for the quick refund", "refund", "thanks"), "\"Thank you for the quick refund\"");
	ok(!negated("Thank you for your help with my refund", "refund", "thanks"),
		"... but not five words back");
	ok(!negated("Thanks for nothing refund me", "refund", "thanks"), "\"thanks for nothing\" is no thanks");
	ok(negated("never mind the refund", "refund", "withdrawn"), "\"never mind the refund\"");
	ok(!negated("never mind cancel my plan", "cancel", "negation"),
		"the \"never\" of \"never mind\" is no negation: the longer cue counts");

	/* received and arrived: what the customer has got */
	ok(negated("I got my refund today", "refund", "received"), "\"got my refund\"");
	ok(!negated("I still haven't got my refund", "refund", "received"),
		"\"haven't got my\" is the longer cue, and a pseudo one");
	ok(negated_after("Refund came through, thank you", "refund", "refund", "arrived"),
		"\"refund came through\": a cue after the phrase");
	ok(negated_after("my refund today finally came through", "refund", "refund", "arrived"),
		"... starting within the window, ending past it");
	ok(!negated_after("has my refund arrived?", "refund", "refund", "arrived"),
		"... not in a clause that asks");
	ok(negated_after("my refund arrived. why was I charged?", "refund", "refund", "arrived"),
		"... a question in the next clause is another clause");
	ok(!negated_after("my refund has not arrived", "refund", "refund", "arrived"),
		"\"not arrived\" is the longer cue, and a pseudo one");
	ok(!negated_after("the refund, it came through", "refund", "refund", "arrived"),
		"a comma ends the clause after the phrase too");
	ok(!negated_after("refund and it came through", "refund", "refund", "arrived"),
		"and \"and\"");
	ok(!negated_after("my refund for the order last week came through", "refund", "refund",
		"arrived"), "a cue starting past the window undoes nothing");
	esc_negate_set(ng, 3, 1.0, 1u << esc_negate_class(ng, "arrived"));
	split("it came through the refund");
	ok(!esc_negated(ng, &tx, at("refund"), at("refund") + 1, 1u << esc_negate_class(ng, "arrived")),
		"a class after the phrase is not looked for before it");
	esc_negate_set(ng, 3, 1.0, 0);
	ok(negated_after("the money back from them came through", "money", "back", "arrived"),
		"the window counts from the phrase's last word");

	/* a class the phrase does not name */
	ok(!negated("I don't want to cancel", "want", "stop"), "a cue of another class undoes nothing");

	/* the cues by their last word */
	split("I do not want it");
	ok(tx.t[at("not")].bwf & ESC_W_CUE, "a cue's last word is marked in the vocabulary");
	ok(!(tx.t[at("do")].bwf & ESC_W_CUE), "... and only its last word");

	esc_negate_set(ng, 4, 1.0, 0);
	ok(negated("I am not going over to a competitor", "a", "negation"),
		"negation.window 4 reaches four words back");
	esc_negate_set(ng, 3, 5.0, 0);
	ok(negated("not happy want to cancel", "want", "negation"),
		"with an opinion threshold above every valence, no word takes the negation");
	esc_negate_set(ng, 0, 1.0, 0);
	ok(!negated("I don't want to cancel", "want", "negation"), "negation.window 0: never negated");

	esc_text_free(&tx);
	esc_negate_free(ng);
	esc_vocab_free(v);
	return done();
}
