/* offer.c — the offer for a paid escalation (seed 000) and the playbook for
 * a human one (seed 001), all read from share/offer/ at start-up; the
 * per-record work is a few comparisons and copying prepared JSON text. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "offer.h"

#define MAX_RULES 32
#define MAX_TEMPLATES 64
#define MAX_PLAYBOOKS 16
#define MAX_CUES 16

enum { W_PERSONAL, W_STRATEGIC, W_ADVANCED, W_CUE, W_ANY };

struct rule {
	int when;               /* W_* */
	int cue;                /* phrase category, for W_CUE */
	char *offer;
};

struct tmpl {
	char *id, *offer;
	int kb_miss;
	unsigned cues;          /* bit per template cue (index into tcue) */
	int generic;            /* no context: fits any question */
	char *json;             /* the whole "offer" value, ready to copy */
};

struct playbook {
	char *id;
	char *json;
};

struct select_rule {
	char *alert;
	int playbook;
};

struct esc_offers {
	struct esc_vocab *v;
	struct esc_phrases *ph;
	struct rule rules[MAX_RULES];
	int nrules;
	int tcue[MAX_CUES];     /* template cue order: phrase category, or -1 for "personal" */
	int ntcue;
	struct tmpl t[MAX_TEMPLATES];
	int nt;
	struct playbook pb[MAX_PLAYBOOKS];
	int npb;
	struct select_rule sel[MAX_RULES];
	int nsel;
	int dflt;
	/* scratch */
	struct esc_text tx;
	struct esc_matches m;
};

void
esc_offers_free(struct esc_offers *o)
{
	int i;

	if (!o)
		return;
	for (i = 0; i < o->nrules; i++)
		free(o->rules[i].offer);
	for (i = 0; i < o->nt; i++) {
		free(o->t[i].id);
		free(o->t[i].offer);
		free(o->t[i].json);
	}
	for (i = 0; i < o->npb; i++) {
		free(o->pb[i].id);
		free(o->pb[i].json);
	}
	for (i = 0; i < o->nsel; i++)
		free(o->sel[i].alert);
	esc_phrases_free(o->ph);
	esc_vocab_free(o->v);
	esc_text_free(&o->tx);
	esc_matches_free(&o->m);
	free(o);
}

/* A "{word}" in a template text that is none of {persona}, {she}, {her},
 * {She}: its length, else 0. Other braces are text. */
static size_t
unknown_placeholder(const char *p)
{
	static const char *const known[] = { "{persona}", "{she}", "{her}", "{She}" };
	size_t i, n = 1;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_')
		n++;
	if (n == 1 || p[n] != '}')
		return 0;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == n + 1 && !strncmp(p, known[i], n + 1))
			return 0;
	return n + 1;
}

/* Fill {persona}, {she}, {her}, {She} into a template text. */
static char *
fill(const char *text, const char *name, const char *she, const char *her)
{
	struct esc_buf b = { 0 };
	const char *p;

	for (p = text; *p; ) {
		if (strncmp(p, "{persona}", 9) == 0) {
			esc_buf_puts(&b, name);
			p += 9;
		} else if (strncmp(p, "{she}", 5) == 0) {
			esc_buf_puts(&b, she);
			p += 5;
		} else if (strncmp(p, "{She}", 5) == 0) {
			esc_buf_putc(&b, (char)(she[0] >= 'a' && she[0] <= 'z' ? she[0] - 32 : she[0]));
			esc_buf_puts(&b, she + 1);
			p += 5;
		} else if (strncmp(p, "{her}", 5) == 0) {
			esc_buf_puts(&b, her);
			p += 5;
		} else {
			esc_buf_putc(&b, *p++);
		}
	}
	esc_buf_putc(&b, '\0');
	return b.p;
}

static const char *
str(json_t *o, const char *k, const char *dflt)
{
	json_t *x = json_object_get(o, k);

	return json_is_string(x) ? json_string_value(x) : dflt;
}

/* Does s hold anything but white space? */
static int
has_text(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\n\r\f\v", *s))
			return 1;
	return 0;
}

/* Is o's member k there but not a string? */
static int
bad_string(json_t *o, const char *k)
{
	json_t *x = json_object_get(o, k);

	return x && !json_is_string(x);
}

static int
load_cues(struct esc_offers *o, json_t *cues, struct esc_err *err)
{
	const char *name;
	json_t *list, *p;
	size_t i;

	if (cues && !json_is_object(cues)) {
		esc_err_set(err, "offers.json: \"cues\" must be an object of phrase lists");
		return -1;
	}
	json_object_foreach(cues, name, list) {
		if (!json_is_array(list)) {
			esc_err_set(err, "offers.json: cue \"%s\" must be a list of phrases", name);
			return -1;
		}
		json_array_foreach(list, i, p) {
			if (!json_is_string(p)) {
				esc_err_set(err, "offers.json: cue \"%s\": phrases must be strings", name);
				return -1;
			}
			if (esc_phrases_add(o->ph, name, json_string_value(p), err) < 0)
				return -1;
		}
	}
	return esc_phrases_compile(o->ph, err);
}

static int
load_rules(struct esc_offers *o, json_t *rules, struct esc_err *err)
{
	json_t *r;
	size_t i;

	/* with no rule, every paid question would be rejected, line by line */
	if (!json_is_array(rules) || json_array_size(rules) == 0) {
		esc_err_set(err, "offers.json: \"rules\" must be a list of at least one rule");
		return -1;
	}
	json_array_foreach(rules, i, r) {
		const char *when = str(r, "when", ""), *offer = str(r, "offer", NULL);
		struct rule *ru;

		if (o->nrules == MAX_RULES || !offer) {
			esc_err_set(err, "offers.json: rule %zu: %s", i + 1,
				offer ? "too many rules" : "needs an \"offer\"");
			return -1;
		}
		ru = &o->rules[o->nrules];
		ru->cue = -1;
		if (!strcmp(when, "personal"))
			ru->when = W_PERSONAL;
		else if (!strcmp(when, "strategic"))
			ru->when = W_STRATEGIC;
		else if (!strcmp(when, "advanced"))
			ru->when = W_ADVANCED;
		else if (!strcmp(when, "any"))
			ru->when = W_ANY;
		else if (!strncmp(when, "cue:", 4) && (ru->cue = esc_phrases_cat(o->ph, when + 4)) >= 0)
			ru->when = W_CUE;
		else {
			esc_err_set(err, "offers.json: rule %zu: unknown condition \"%s\"", i + 1, when);
			return -1;
		}
		if (!(ru->offer = strdup(offer))) {
			esc_err_set(err, "out of memory");
			return -1;
		}
		o->nrules++;
	}
	return 0;
}

/* A template cue: -1 for "personal" (a score, not phrases), else the cue's
 * phrase category; -2 when it is neither. */
static int
cue_cat(const struct esc_offers *o, const char *name)
{
	int cat;

	if (!name)
		return -2;
	if (!strcmp(name, "personal"))
		return -1;
	cat = esc_phrases_cat(o->ph, name);
	return cat >= 0 ? cat : -2;
}

static int
tcue_index(const struct esc_offers *o, const char *name)
{
	int i, cat = cue_cat(o, name);

	if (cat == -2)
		return -2;
	for (i = 0; i < o->ntcue; i++)
		if (o->tcue[i] == cat)
			return i;
	return -2;
}

static int
load_templates(struct esc_offers *o, json_t *j, const char *name, const char *she,
	const char *her, struct esc_err *err)
{
	json_t *t, *c, *tc = json_object_get(j, "template_cues"), *ts = json_object_get(j, "templates");
	size_t i, k;
	int r;

	if (tc && !json_is_array(tc)) {
		esc_err_set(err, "offers.json: \"template_cues\" must be a list of cue names");
		return -1;
	}
	if (!json_is_array(ts) || json_array_size(ts) == 0) {
		esc_err_set(err, "offers.json: \"templates\" must be a list of at least one template");
		return -1;
	}
	json_array_foreach(tc, i, c) {
		const char *cn = json_string_value(c);
		int cat = cue_cat(o, cn);

		if (cat == -2 || o->ntcue == MAX_CUES) {
			esc_err_set(err, "offers.json: template_cues: unknown cue \"%s\"", cn ? cn : "?");
			return -1;
		}
		o->tcue[o->ntcue++] = cat;
	}
	json_array_foreach(ts, i, t) {
		struct tmpl *tp;
		json_t *val, *ctx = json_object_get(t, "context"), *kb = json_object_get(t, "kb_miss");
		const char *p;
		char *text;
		size_t n;

		if (o->nt == MAX_TEMPLATES || !str(t, "id", NULL) || !str(t, "offer", NULL) ||
		    !str(t, "text", NULL)) {
			esc_err_set(err, "offers.json: template %zu: needs \"id\", \"offer\" and \"text\"", i + 1);
			return -1;
		}
		tp = &o->t[o->nt++];
		tp->id = strdup(str(t, "id", ""));
		tp->offer = strdup(str(t, "offer", ""));
		if (!tp->id || !tp->offer) {
			esc_err_set(err, "out of memory");
			return -1;
		}
		/* what would otherwise be taken silently for something else */
		if ((ctx && !json_is_array(ctx)) || (kb && !json_is_boolean(kb))) {
			esc_err_set(err, "offers.json: template \"%s\": %s", tp->id, kb && !json_is_boolean(kb) ?
				"\"kb_miss\" must be true or false" : "\"context\" must be a list of cues");
			return -1;
		}
		if (!has_text(str(t, "text", ""))) {
			esc_err_set(err, "offers.json: template \"%s\": the text is empty", tp->id);
			return -1;
		}
		for (p = str(t, "text", ""); (p = strchr(p, '{')); p++)
			if ((n = unknown_placeholder(p)) > 0) {
				esc_err_set(err, "offers.json: template \"%s\": unknown placeholder \"%.*s\" "
					"(known: {persona}, {she}, {her}, {She})", tp->id, (int)n, p);
				return -1;
			}
		tp->kb_miss = json_is_true(kb);
		json_array_foreach(ctx, k, c) {
			int ix = json_is_string(c) ? tcue_index(o, json_string_value(c)) : -2;

			if (ix < 0) {
				esc_err_set(err, "offers.json: template \"%s\": context \"%s\" is not in template_cues",
					tp->id, json_is_string(c) ? json_string_value(c) : "?");
				return -1;
			}
			tp->cues |= 1u << ix;
		}
		tp->generic = tp->cues == 0;
		text = fill(str(t, "text", ""), name, she, her);
		val = json_pack("{s:s, s:s, s:s, s:s, s:s}", "route", "paid", "offer", tp->offer,
			"template", tp->id, "persona", name, "text", text ? text : "");
		free(text);
		tp->json = val ? esc_json_text(val) : NULL;
		json_decref(val);
		if (!tp->json) {
			esc_err_set(err, "out of memory");
			return -1;
		}
	}
	/* a rule's offer needs a template that is not for a knowledge-base
	 * miss alone: without one, every question the rule takes is rejected */
	for (r = 0; r < o->nrules; r++) {
		for (k = 0; k < (size_t)o->nt; k++)
			if (!o->t[k].kb_miss && !strcmp(o->t[k].offer, o->rules[r].offer))
				break;
		if (k == (size_t)o->nt) {
			esc_err_set(err, "offers.json: rule %d: no template for the offer \"%s\"",
				r + 1, o->rules[r].offer);
			return -1;
		}
	}
	return 0;
}

static int
find_playbook(const struct esc_offers *o, const char *id)
{
	int i;

	for (i = 0; id && i < o->npb; i++)
		if (strcmp(o->pb[i].id, id) == 0)
			return i;
	return -1;
}

static int
load_playbooks(struct esc_offers *o, struct esc_err *err)
{
	json_t *j, *pbs, *p, *s;
	const char *id;
	size_t i;
	int rc = -1;

	if (!(j = esc_share_json("offer/playbooks.json", err)))
		return -1;
	pbs = json_object_get(j, "playbooks");
	s = json_object_get(j, "select");
	if (!json_is_object(pbs) || (s && !json_is_array(s))) {
		esc_err_set(err, "playbooks.json: %s", json_is_object(pbs) ?
			"\"select\" must be a list of rules" : "\"playbooks\" must be an object");
		goto out;
	}
	json_object_foreach(pbs, id, p) {
		json_t *val;

		if (o->npb == MAX_PLAYBOOKS || !json_is_object(p)) {
			esc_err_set(err, "playbooks.json: playbook \"%s\": %s", id,
				json_is_object(p) ? "too many playbooks" : "must be an object");
			goto out;
		}
		/* the offer object's own members: the file's would overwrite them */
		if (json_object_get(p, "route") || json_object_get(p, "playbook")) {
			esc_err_set(err, "playbooks.json: playbook \"%s\": \"%s\" is esc-offer's own member",
				id, json_object_get(p, "route") ? "route" : "playbook");
			goto out;
		}
		/* route and id first, then the playbook's own fields in file order */
		val = json_pack("{s:s, s:s}", "route", "human", "playbook", id);
		json_object_update(val, p);
		o->pb[o->npb].id = strdup(id);
		o->pb[o->npb].json = esc_json_text(val);
		json_decref(val);
		if (!o->pb[o->npb++].json) {
			esc_err_set(err, "out of memory");
			goto out;
		}
	}
	json_array_foreach(json_object_get(j, "select"), i, s) {
		int pb = find_playbook(o, str(s, "playbook", NULL));

		if (pb < 0 || !str(s, "alert", NULL) || o->nsel == MAX_RULES) {
			esc_err_set(err, "playbooks.json: select rule %zu: needs an \"alert\" and a known \"playbook\"", i + 1);
			goto out;
		}
		o->sel[o->nsel].alert = strdup(str(s, "alert", ""));
		o->sel[o->nsel++].playbook = pb;
	}
	if ((o->dflt = find_playbook(o, str(j, "default", NULL))) < 0) {
		esc_err_set(err, "playbooks.json: \"default\" must name a playbook");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

struct esc_offers *
esc_offers_load(const char *persona, struct esc_err *err)
{
	struct esc_offers *o = calloc(1, sizeof *o);
	json_t *j = NULL, *pj;

	if (!o || !(o->v = esc_vocab_new()) || !(o->ph = esc_phrases_new(o->v))) {
		esc_err_set(err, "out of memory");
		goto fail;
	}
	if (!(j = esc_share_json("offer/offers.json", err)))
		goto fail;
	pj = json_object_get(j, "persona");
	if ((pj && !json_is_object(pj)) || bad_string(pj, "name") || bad_string(pj, "she") ||
	    bad_string(pj, "her")) {
		esc_err_set(err, "offers.json: \"persona\" must be an object whose \"name\", "
			"\"she\" and \"her\" are strings");
		goto fail;
	}
	if (!*str(pj, "name", "Tay") || !*str(pj, "she", "she") || !*str(pj, "her", "her") ||
	    (persona && !*persona)) {
		esc_err_set(err, "offers.json: persona name, \"she\" and \"her\" may not be empty");
		goto fail;
	}
	if (load_cues(o, json_object_get(j, "cues"), err) < 0 ||
	    load_rules(o, json_object_get(j, "rules"), err) < 0 ||
	    load_templates(o, j, persona ? persona : str(pj, "name", "Tay"),
		str(pj, "she", "she"), str(pj, "her", "her"), err) < 0 ||
	    load_playbooks(o, err) < 0)
		goto fail;
	json_decref(j);
	return o;
fail:
	json_decref(j);
	esc_offers_free(o);
	return NULL;
}

/* FNV-1a over the seed and the record's key, then mixed: the same record
 * and seed pick the same template wherever the record sits in the stream. */
static unsigned long
pick_hash(unsigned long seed, const char *s, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < sizeof seed; i++)
		h = (h ^ ((seed >> (8 * i)) & 0xff)) * 1099511628211ULL;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	/* FNV's low bits follow the last bytes closely (m000001, m000002 ...
	 * would alternate): finish with murmur3's mixer so every bit counts */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (unsigned long)h;
}

static int
has_cue(const struct esc_offers *o, int cat)
{
	size_t k;

	for (k = 0; k < o->m.n; k++)
		if (esc_phrases_catof(o->ph, o->m.id[k]) == cat)
			return 1;
	return 0;
}

static const char *
choose_offer(const struct esc_offers *o, const struct esc_offer_in *in)
{
	int i;

	for (i = 0; i < o->nrules; i++) {
		const struct rule *r = &o->rules[i];

		if ((r->when == W_PERSONAL && in->scores[0] > 0) ||
		    (r->when == W_STRATEGIC && in->scores[1] > 0) ||
		    (r->when == W_ADVANCED && in->scores[2] > 0) ||
		    (r->when == W_CUE && has_cue(o, r->cue)) || r->when == W_ANY)
			return r->offer;
	}
	return NULL;
}

static int
choose_template(const struct esc_offers *o, const struct esc_offer_in *in,
	const char *offer, unsigned long seed)
{
	int cand[MAX_TEMPLATES], n = 0, i, c, kb = in->kb_miss;
	unsigned long h;

	/* a knowledge-base miss has its own templates; fall back to the usual ones */
	for (;;) {
		/* the first cue of the question that some template names */
		for (c = 0; c < o->ntcue && n == 0; c++) {
			int holds = o->tcue[c] < 0 ? in->scores[0] > 0 : has_cue(o, o->tcue[c]);

			if (!holds)
				continue;
			for (i = 0; i < o->nt; i++)
				if (o->t[i].kb_miss == kb && !strcmp(o->t[i].offer, offer) &&
				    (o->t[i].cues & (1u << c)))
					cand[n++] = i;
		}
		if (n == 0)             /* no cue: the generic ones */
			for (i = 0; i < o->nt; i++)
				if (o->t[i].kb_miss == kb && !strcmp(o->t[i].offer, offer) && o->t[i].generic)
					cand[n++] = i;
		if (n == 0)             /* still none: any of the offer's */
			for (i = 0; i < o->nt; i++)
				if (o->t[i].kb_miss == kb && !strcmp(o->t[i].offer, offer))
					cand[n++] = i;
		if (n || !kb)
			break;
		kb = 0;
	}
	if (n == 0)
		return -1;
	h = in->key ? pick_hash(seed, in->key, in->keylen) : pick_hash(seed, in->text, in->len);
	return cand[h % (unsigned long)n];
}

static int
choose_playbook(const struct esc_offers *o, const struct esc_offer_in *in)
{
	int i, k;

	for (i = 0; i < o->nsel; i++)
		for (k = 0; k < in->nalerts; k++)
			if (!strcmp(o->sel[i].alert, in->alerts[k]))
				return o->sel[i].playbook;
	return o->dflt;
}

int
esc_offer_pick(struct esc_offers *o, const struct esc_offer_in *in,
	unsigned long seed, struct esc_offer_pick *pick)
{
	const char *offer;
	int t;

	memset(pick, 0, sizeof *pick);
	if (in->route == ESC_ROUTE_HUMAN) {
		const struct playbook *pb = &o->pb[choose_playbook(o, in)];

		pick->playbook = pb->id;
		pick->json = pb->json;
		return 0;
	}
	if (in->route != ESC_ROUTE_PAID)
		return 0;
	if (esc_text_split(&o->tx, o->v, in->text, in->len) < 0 ||
	    esc_phrases_match(o->ph, &o->tx, &o->m) < 0)
		return -1;
	if (!(offer = choose_offer(o, in)) || (t = choose_template(o, in, offer, seed)) < 0)
		return 1;
	pick->offer = offer;
	pick->template_id = o->t[t].id;
	pick->json = o->t[t].json;
	return 0;
}

int
esc_offer_json(struct esc_offers *o, const struct esc_offer_in *in,
	unsigned long seed, struct esc_buf *out, struct esc_err *err)
{
	struct esc_offer_pick p;
	int rc = esc_offer_pick(o, in, seed, &p);

	if (rc < 0) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	if (rc > 0) {
		esc_err_set(err, "no offer rule fits this paid question");
		return -1;
	}
	if (p.json)
		esc_buf_puts(out, p.json);
	else
		esc_buf_put(out, "null", 4);
	return 0;
}
