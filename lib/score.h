/* score.h — the text scorer behind esc-detect: a vocabulary of words,
 * phrase matching, VADER-style sentiment and the escalation rules.
 * All words, weights and thresholds come from files in share/. */
#ifndef ESC_SCORE_H
#define ESC_SCORE_H

#include "esc.h"

/* ---- vocabulary (vocab.c): every word any data file knows ---- */
enum {
	ESC_W_LEXICON = 1 << 0, /* has a sentiment valence */
	ESC_W_BOOSTER = 1 << 1, /* intensifier / dampener */
	ESC_W_NEGATE = 1 << 2,  /* negation ("not", "never", ...) */
	/* words VADER's rules look for by name, marked once at load so the
	 * scorer compares a bit rather than a string */
	ESC_W_BUT = 1 << 3, ESC_W_NO = 1 << 4, ESC_W_KIND = 1 << 5,
	ESC_W_OF = 1 << 6, ESC_W_LEAST = 1 << 7, ESC_W_AT = 1 << 8,
	ESC_W_VERY = 1 << 9, ESC_W_NEVER = 1 << 10, ESC_W_SOTHIS = 1 << 11,
	ESC_W_WITHOUT = 1 << 12, ESC_W_DOUBT = 1 << 13, ESC_W_ORNOR = 1 << 14,
	ESC_W_PAIR = 1 << 15,   /* first word of a phrase indexed by its first two words */
	ESC_W_PAIRHEAD = 1 << 16, /* first word of a two-word sentiment entry ("kind of") */
	ESC_W_PATHEAD = 1 << 17, /* first word of a phrase indexed by that word alone */
	ESC_W_CUE = 1 << 18,    /* last word of a negation cue (negate.c) */
	ESC_W_SIGNLESS = 1 << 19, /* its valence takes the sign of the other words' */
};
struct esc_word {
	float valence;          /* lexicon valence, -4..4 */
	float boost;            /* booster increment, e.g. 0.293 or -0.293 */
	unsigned flags;
	int pat;                /* first phrase starting with this word, -1 none */
};
struct esc_vocab;
struct esc_vocab *esc_vocab_new(void);
void esc_vocab_free(struct esc_vocab *v);
/* Look up a lowercase word; NULL if unknown. Pointers stay valid until the
 * next esc_vocab_add. */
struct esc_word *esc_vocab_get(const struct esc_vocab *v, const char *w, size_t n);
/* The same, with the word's hash already computed by esc_vocab_hash. */
struct esc_word *esc_vocab_geth(const struct esc_vocab *v, const char *w, size_t n,
	unsigned h);
/* Words are kept with this many readable bytes after them, and the
 * tokenizer keeps as many after its tokens (vocab.h). */
#define ESC_VOCAB_SLACK 8
/* The hash the table is keyed by: eight bytes at a time (vocab.h has the
 * tokenizer's inline form, for words with ESC_VOCAB_SLACK bytes after). */
unsigned esc_vocab_hash(const char *w, size_t n);
/* Find or add a word (the vocabulary copies it); NULL on allocation failure. */
struct esc_word *esc_vocab_add(struct esc_vocab *v, const char *w, size_t n);
size_t esc_vocab_size(const struct esc_vocab *v);

/* ---- tokens (text.c) ---- */
enum {
	ESC_T_UPPER = 1 << 0,   /* ALL CAPS, as Python's str.isupper() */
	ESC_T_NEGATED = 1 << 1, /* a negation word, or contains "n't" */
};
struct esc_tok {
	const char *s;          /* the VADER form, lowercase (punctuation kept when
	                           stripping would leave 2 bytes or fewer) */
	unsigned short n;
	unsigned short flags;
	const char *bare;       /* lowercase with all edge punctuation stripped */
	unsigned short bn;
	const struct esc_word *w;   /* vocabulary entry of s, or NULL */
	const struct esc_word *bw;  /* vocabulary entry of bare, or NULL */
	unsigned wf, bwf;           /* w->flags and bw->flags, 0 for NULL: the
	                               scorer tests these for every token */
};
struct esc_text {
	const struct esc_vocab *v;  /* borrows: the vocabulary the tokens come from */
	struct esc_tok *t;
	size_t n, cap;
	struct esc_buf low;     /* lowercase copies the tokens point into */
	struct esc_buf bits;    /* the tokenizer's scratch: byte classes as bit sets */
	int nbang, nquest;      /* '!' and '?' in the whole text */
};
/* Split text into tokens and look each up in v. Returns 0 or -1 (memory). */
extern int esc_text_fast;   /* 0: byte by byte only (the tests compare the two) */
int esc_text_split(struct esc_text *tx, const struct esc_vocab *v,
	const char *s, size_t n);
/* 1 if a clause ends between token j and token j + 1: a , ; : . ! or ?
 * at the edge of either ("this, I'm"); 0 otherwise, and after the last. */
int esc_text_break(const struct esc_text *tx, size_t j);
/* The punctuation that ends the clause of token j (one of , ; : . ! ?),
 * 0 if the text ends first. */
int esc_text_clause_end(const struct esc_text *tx, size_t j);
void esc_text_free(struct esc_text *tx);

/* ---- phrases (phrases.c): "category<TAB>phrase" lines; a phrase is
 * words, a word ending in '*' matches by prefix, a lone '*' any one word ---- */
struct esc_phrases;
struct esc_phrases *esc_phrases_new(struct esc_vocab *v);
void esc_phrases_free(struct esc_phrases *ph);
/* Add one phrase under a category (categories are interned by name). */
int esc_phrases_add(struct esc_phrases *ph, const char *cat, const char *phrase,
	struct esc_err *err);
/* Load a "category<TAB>phrase" file from share/. */
int esc_phrases_load(struct esc_phrases *ph, const char *rel, struct esc_err *err);
/* Bind every phrase word to its vocabulary entry; call after the last word
 * is added to the vocabulary and before matching. */
int esc_phrases_compile(struct esc_phrases *ph, struct esc_err *err);
int esc_phrases_cat(const struct esc_phrases *ph, const char *name);
const char *esc_phrases_catname(const struct esc_phrases *ph, int cat);
int esc_phrases_ncat(const struct esc_phrases *ph);
const char *esc_phrases_text(const struct esc_phrases *ph, int id);
/* The same as a JSON string, quotes included, made once. */
const char *esc_phrases_json(const struct esc_phrases *ph, int id, size_t *len);
int esc_phrases_catof(const struct esc_phrases *ph, int id);
/* Matches found in a text: phrase ids, each at most once, in text order. */
struct esc_matches {
	int *id;
	size_t n, cap;
};
int esc_phrases_match(const struct esc_phrases *ph, const struct esc_text *tx,
	struct esc_matches *m);
/* The same, asking keep about each occurrence found (phrase id at tokens
 * start .. start + len - 1) before it is recorded; 0 leaves it out. */
typedef int (*esc_phrases_keep)(void *ctx, int id, size_t start, size_t len);
int esc_phrases_match_keep(const struct esc_phrases *ph, const struct esc_text *tx,
	struct esc_matches *m, esc_phrases_keep keep, void *ctx);
void esc_matches_free(struct esc_matches *m);
/* For a short list looked for only at given places, instead of
 * esc_phrases_compile: bind the words and set lastflag on each phrase's
 * last word, which must be a whole word (an error otherwise). */
int esc_phrases_bind(struct esc_phrases *ph, unsigned lastflag, struct esc_err *err);
/* The longest phrase whose last word is token j (the first in file order
 * among equals): its id, its first token in *start; -1 if none. */
int esc_phrases_ending_at(const struct esc_phrases *ph, const struct esc_text *tx, size_t j,
	size_t *start);

/* ---- negation (negate.c): cues a few words before an alert's phrase
 * that undo it ("I don't want to cancel"), from a "class<TAB>phrase" file;
 * the class "stop" ends a cue's reach, "pseudo" is a negation that is not
 * one ("won't let me") ---- */
struct esc_negate;
/* Words are added to v; caller frees with esc_negate_free. */
struct esc_negate *esc_negate_new(struct esc_vocab *v);
void esc_negate_free(struct esc_negate *ng);
int esc_negate_load(struct esc_negate *ng, const char *rel, struct esc_err *err);
/* After the last word is added to the vocabulary, before esc_negated. */
int esc_negate_compile(struct esc_negate *ng, struct esc_err *err);
/* How far from the phrase a cue reaches (words), the sentiment valence at
 * which a word between takes the negation for itself ("not happy, ..."),
 * and the classes (bit 1 << class) whose cues stand after the phrase
 * rather than before it ("my refund came through"). */
void esc_negate_set(struct esc_negate *ng, int window, double opinion, unsigned after);
/* A class's number (0..31), by name; -1 if the file has none. "stop" and
 * "pseudo" have numbers too, but are no class an alert can name. */
int esc_negate_class(const struct esc_negate *ng, const char *name);
int esc_negate_special(const struct esc_negate *ng, int c);
/* 1 if a cue of a class in mask (bit 1 << class) undoes the phrase of
 * tokens i..e-1: one that ends within the window before token i, or, of
 * the classes after the phrase, starts within the window from token e,
 * in the same clause, one that asks nothing; 0 otherwise. */
int esc_negated(const struct esc_negate *ng, const struct esc_text *tx, size_t i, size_t e,
	unsigned mask);

/* ---- sentiment (sentiment.c): VADER's rules over the vocabulary ---- */
struct esc_sentiment {
	double compound, pos, neu, neg;
};
/* Load lexicon, boosters, negations, emoji and the emoji whose sign
 * comes from the words around them into v. */
int esc_sentiment_load(struct esc_vocab *v, struct esc_err *err);
void esc_sentiment_score(const struct esc_text *tx, struct esc_sentiment *out);
/* "positive" at >= +0.05, "negative" at <= -0.05, else "neutral". */
const char *esc_sentiment_label(double compound);

/* ---- the escalation rules (detect.c) ---- */
/* What esc-detect knows about one message. */
struct esc_msg {
	const char *text;
	size_t len;
	int kb_miss;            /* the knowledge base had no answer */
	const char *context;    /* e.g. "business_mentorship", may be NULL */
	size_t contextlen;
	double touches;         /* < 0: not given */
	double at_risk;         /* revenue at risk; < 0: not given */
};
struct esc_detector;
/* Load share/detect.json, share/indicators.tsv, share/alerts.tsv and the
 * sentiment files. Caller frees with esc_detector_free. */
struct esc_detector *esc_detector_load(struct esc_err *err);
void esc_detector_free(struct esc_detector *d);
/* Score a message and append the "detect" object's JSON text to out. */
int esc_detect_json(struct esc_detector *d, const struct esc_msg *m,
	struct esc_buf *out);

/* The result in C, for tests and for tools that want fields. */
enum esc_route { ESC_ROUTE_NONE, ESC_ROUTE_PAID, ESC_ROUTE_HUMAN };
struct esc_verdict {
	enum esc_route route;
	int scores[3];          /* personal, strategic, advanced */
	unsigned alerts;        /* bit per alert category (esc_detect_alertname) */
	unsigned reasons;       /* bit per reason (esc_detect_reasonname) */
	int severity;           /* 0 low, 1 medium, 2 high, 3 critical */
	struct esc_sentiment sent;
};
int esc_detect(struct esc_detector *d, const struct esc_msg *m, struct esc_verdict *v);
const char *esc_detect_alertname(const struct esc_detector *d, int bit);
const char *esc_route_name(enum esc_route r);

/* ---- chat exports (formats.c) ---- */
enum esc_format { ESC_FMT_PLAIN, ESC_FMT_INTERCOM, ESC_FMT_ZENDESK, ESC_FMT_CHATWOOT };
int esc_format_parse(const char *name, enum esc_format *f);
/* Turn one exported conversation (a JSON object, or a page holding an array
 * of them) into plain message records, customer messages only, as JSON
 * object texts appended to msgs, one per line; a message with no text is
 * left out. For each conversation that gives no record a warning is
 * appended to warn, one line each, naming it. Returns the number of
 * messages, or -1 with err. */
int esc_format_messages(enum esc_format f, const char *line, size_t len,
	struct esc_buf *msgs, struct esc_buf *warn, struct esc_err *err);

#endif
