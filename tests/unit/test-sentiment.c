/* test-sentiment — VADER's rules against VADER's own documented examples,
 * with the lexicon, boosters, negations and emoji in share/esc. */
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "score.h"
#include "tap.h"

static struct esc_vocab *v;
static struct esc_text tx;

static struct esc_sentiment
score(const char *s)
{
	struct esc_sentiment out;

	memset(&out, 0, sizeof out);
	if (esc_text_split(&tx, v, s, strlen(s)) < 0)
		diag("esc_text_split failed on \"%s\"", s);
	else
		esc_sentiment_score(&tx, &out);
	return out;
}

/* The compound scores in the README of vaderSentiment (Hutto & Gilbert). */
static const struct {
	const char *text;
	double compound;
	const char *todo;   /* a known difference from VADER, or NULL */
} vader[] = {
	{ "VADER is smart, handsome, and funny.", 0.8316, NULL },
	{ "VADER is smart, handsome, and funny!", 0.8439, NULL },
	{ "VADER is very smart, handsome, and funny.", 0.8545, NULL },
	{ "VADER is VERY SMART, handsome, and FUNNY.", 0.9227, NULL },
	{ "VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342, NULL },
	{ "VADER is not smart, handsome, nor funny.", -0.7424, NULL },
	{ "The book was good.", 0.4404, NULL },
	{ "The book was kind of good.", 0.3832,
	  NULL },
	{ "A really bad, horrible book.", -0.8211, NULL },
	{ "At least it isn't a horrible book.", 0.431, NULL },
	{ ":) and :D", 0.7925, NULL },
	{ "", 0, NULL },
	{ "Today SUX!", -0.5461, NULL },
	{ "Today only kinda sux! But I'll get by, lol", 0.5249, NULL },
	{ "Make sure you :) or :D today!", 0.8633, NULL },
};
#define NVADER (int)(sizeof vader / sizeof vader[0])

/* The published figures have four decimals. */
#define EPS 0.0001

int
main(void)
{
	struct esc_err err;
	struct esc_sentiment s, a, b;
	char many[4096];
	int i;

	if (!getenv("ESC_SHARE"))
		esc_share_set("share/esc");   /* run from the top of the tree */
	plan(NVADER + 34);

	v = esc_vocab_new();
	ok(v != NULL, "esc_vocab_new");
	if (!v || esc_sentiment_load(v, &err) < 0) {
		ok(0, "esc_sentiment_load: %s", v ? err.msg : "no vocabulary");
		return done();
	}
	ok(1, "esc_sentiment_load from %s", esc_share_dir());
	ok(esc_vocab_size(v) > 7000, "the lexicon is loaded (%zu words)", esc_vocab_size(v));

	for (i = 0; i < NVADER; i++) {
		todo(vader[i].todo);
		is_double(score(vader[i].text).compound, vader[i].compound, EPS,
			"\"%s\" -> %.4f", vader[i].text, vader[i].compound);
		todo(NULL);
	}

	/* the rules one at a time */
	a = score("The book was good.");
	b = score("The book was not good.");
	ok(b.compound < 0, "negation flips: \"not good\" is negative (%.4f)", b.compound);
	b = score("The book wasn't good.");
	ok(b.compound < 0, "\"wasn't good\" is negative too (%.4f)", b.compound);
	b = score("The book was very good.");
	ok(b.compound > a.compound, "a booster raises: \"very good\" %.4f > \"good\" %.4f",
		b.compound, a.compound);
	b = score("The book was GOOD.");
	ok(b.compound > a.compound, "ALL CAPS among lower case raises: %.4f > %.4f",
		b.compound, a.compound);
	b = score("THE BOOK WAS GOOD.");
	is_double(b.compound, a.compound, 1e-9, "all words in caps: no caps emphasis");
	b = score("The book was good!!");
	ok(b.compound > a.compound, "exclamation marks raise: %.4f > %.4f", b.compound, a.compound);
	s = score("The book was good, but the ending was bad.");
	ok(s.compound < 0, "\"but\": what follows weighs more (%.4f)", s.compound);
	s = score("The plot was bad, but the book was good.");
	ok(s.compound > 0, "\"but\" the other way round (%.4f)", s.compound);
	s = score("The book was good. The ending was bad. The cover is great.");
	is_double(s.pos + s.neu + s.neg, 1, 1e-9, "pos + neu + neg = 1");
	s = score("The appointment is on Tuesday at ten.");
	is_double(s.compound, 0, 1e-9, "no sentiment words: 0");
	is_double(s.neu, 1, 1e-9, "... and all neutral");

	/* emoji, with and without spaces, skin tones and variation selectors */
	s = score("\xf0\x9f\x98\x8d");
	ok(s.compound >= 0.05, "U+1F60D smiling face with heart-eyes is positive (%.4f)", s.compound);
	s = score("\xf0\x9f\x98\xa1");
	ok(s.compound <= -0.05, "U+1F621 pouting face is negative (%.4f)", s.compound);
	a = score("I love it");
	b = score("I love it\xf0\x9f\x98\x8d");
	ok(b.compound > a.compound, "an emoji glued to a word still counts: %.4f > %.4f",
		b.compound, a.compound);
	s = score("thanks \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbe");
	a = score("thanks \xf0\x9f\x91\x8d");
	is_double(s.compound, a.compound, 1e-9, "a skin-tone modifier changes nothing (%.4f)", s.compound);
	s = score("\xe2\x9d\xa4\xef\xb8\x8f");
	ok(s.compound >= 0.05, "U+2764 U+FE0F red heart is positive (%.4f)", s.compound);
	s = score("The service isn\xe2\x80\x99t good");
	a = score("The service isn't good");
	ok(s.compound < 0 && fabs(s.compound - a.compound) < 1e-9,
		"a curly apostrophe negates as a straight one does (%.4f)", s.compound);

	/* tears (sentiment/ambiguous.txt) take the sign of their clause */
	s = score("I DID IT!!! \xf0\x9f\x98\xad\xf0\x9f\x98\xad thank you");
	ok(s.compound >= 0.05, "\"I DID IT!!! (loudly crying x2) thank you\" is positive (%.4f)", s.compound);
	s = score("\xf0\x9f\x98\xad");
	ok(s.compound <= -0.05, "loudly crying alone is negative, as listed (%.4f)", s.compound);
	a = score("thank you");
	b = score("thank you \xf0\x9f\x98\xad");
	ok(b.compound > a.compound, "with thanks it adds: %.4f > %.4f", b.compound, a.compound);
	a = score("This is awful");
	b = score("This is awful \xf0\x9f\x98\xad");
	ok(b.compound < a.compound, "with \"awful\" it takes away: %.4f < %.4f", b.compound, a.compound);
	s = score("Which lace is better? I keep messing it up \xf0\x9f\x98\xad");
	ok(s.compound <= -0.05, "a positive word in another sentence leaves it negative (%.4f)", s.compound);
	s = score("Thanks but I keep messing it up \xf0\x9f\x98\xad");
	ok(s.compound <= -0.05, "... and one on the other side of \"but\" (%.4f)", s.compound);
	s = score("happy \xf0\x9f\x98\xa2\xf0\x9f\x98\xa2");
	ok(s.compound >= 0.05, "\"happy\" and two crying faces (U+1F622) is positive (%.4f)", s.compound);
	a = score("thank you");
	b = score("thank you \xf0\x9f\x98\xa1");
	ok(b.compound < a.compound, "a pouting face keeps its own sign: %.4f < %.4f", b.compound, a.compound);

	/* the compound stays in [-1, 1] however much is said */
	many[0] = '\0';
	for (i = 0; i < 200; i++)
		strcat(many, "HORRIBLE!! ");
	s = score(many);
	ok(s.compound >= -1 && s.compound < -0.99, "200 HORRIBLEs: %.6f, within [-1, 1]", s.compound);

	/* labels at +-0.05 */
	is_str(esc_sentiment_label(0.05), "positive", "0.05 is positive");
	is_str(esc_sentiment_label(0.0499), "neutral", "0.0499 is neutral");
	is_str(esc_sentiment_label(0), "neutral", "0 is neutral");
	is_str(esc_sentiment_label(-0.0499), "neutral", "-0.0499 is neutral");
	is_str(esc_sentiment_label(-0.05), "negative", "-0.05 is negative");

	esc_text_free(&tx);
	esc_vocab_free(v);
	return done();
}
