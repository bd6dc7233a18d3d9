/* offer.h — which offer or playbook answers a scored message (esc-offer).
 * Rules, cues, templates and playbooks come from share/offer/. */
#ifndef ESC_OFFER_H
#define ESC_OFFER_H

#include "esc.h"
#include "score.h"

struct esc_offers;

/* Load share/offer/offers.json and playbooks.json. persona, if not NULL,
 * replaces the persona's name. Caller frees with esc_offers_free. */
struct esc_offers *esc_offers_load(const char *persona, struct esc_err *err);
void esc_offers_free(struct esc_offers *o);

/* What esc-offer knows about one scored message. */
struct esc_offer_in {
	const char *text;       /* borrows */
	size_t len;
	const char *key;        /* the record's id, or NULL: the text is used */
	size_t keylen;
	int kb_miss;
	enum esc_route route;
	int scores[3];          /* personal, strategic, advanced */
	const char **alerts;    /* alert names raised by esc-detect */
	int nalerts;
};

/* Append the "offer" value's JSON text (null for route none) to out. The
 * template is a function of the record's key, or text, and seed alone. */
int esc_offer_json(struct esc_offers *o, const struct esc_offer_in *in,
	unsigned long seed, struct esc_buf *out, struct esc_err *err);

/* The pieces chosen: offer name and template id (paid) or playbook id
 * (human), and the whole "offer" value as JSON text; NULL when none. */
struct esc_offer_pick {
	const char *offer, *template_id, *json, *playbook;
};
int esc_offer_pick(struct esc_offers *o, const struct esc_offer_in *in,
	unsigned long seed, struct esc_offer_pick *pick);

#endif
