/* detect.c — should this message escalate, and where to?
 *
 * Paid route (seed 000): two or more indicators; or a business-mentorship
 * context with personal language; or a knowledge-base miss with personal
 * language; never a general how-to without personal language.
 * Human route (seed 001): any alert marked "human" in detect.json — a
 * request for a person, cancel / competitor / legal language, strongly
 * negative sentiment, 3+ touches, revenue at risk over the threshold.
 * A human need outranks a sales offer. An alert's phrase does not count
 * where a cue the alert names in "negated_by" undoes it ("I don't want
 * to cancel": negate.c). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "score.h"

enum { IND_PERSONAL, IND_STRATEGIC, IND_ADVANCED, NIND };
static const char *const ind_names[NIND] = { "personal", "strategic", "advanced" };

enum alert_kind { AK_PHRASE, AK_TOUCHES, AK_VALUE, AK_SENTIMENT };
#define MAX_ALERTS 32

struct alert {
	char *name;
	char *json;            /* the name as a JSON string, made once */
	size_t jsonlen;
	enum alert_kind kind;
	int cat;               /* phrase category, for AK_PHRASE */
	double weight;
	int human;
	int soft;              /* sends to a person only when no paid offer fits */
	unsigned negmask;      /* cue classes that undo its phrases, bit 1 << class */
};

struct esc_detector {
	struct esc_vocab *v;
	struct esc_phrases *ph;
	struct esc_negate *ng;
	int *cat_alert;        /* the alert of each phrase category, -1 for none */
	int ind_cat[NIND], howto_cat;
	struct alert al[MAX_ALERTS];
	int nal;
	int min_ind, howto_guard;
	char **ctx;
	int nctx;
	double neg, touches, at_risk;
	double level[3];       /* medium, high, critical */
	/* scratch, reused for every message */
	struct esc_text tx;
	struct esc_matches m;
	size_t negated_end[MAX_ALERTS]; /* token after an alert's last negated phrase */
	int negated_any;       /* negated_end holds something to clear */
};

/* Reasons for a paid escalation, in output order. */
enum {
	R_PERSONAL, R_STRATEGIC, R_ADVANCED, R_MENTORSHIP_CTX, R_KB_MISS, NREASON
};
static const char *const reason_names[NREASON] = {
	"personalized_help", "strategic", "advanced", "mentorship_context", "kb_miss",
};

const char *
esc_route_name(enum esc_route r)
{
	return r == ESC_ROUTE_PAID ? "paid" : r == ESC_ROUTE_HUMAN ? "human" : "none";
}

const char *
esc_detect_alertname(const struct esc_detector *d, int bit)
{
	return bit >= 0 && bit < d->nal ? d->al[bit].name : NULL;
}

void
esc_detector_free(struct esc_detector *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nal; i++) {
		free(d->al[i].name);
		free(d->al[i].json);
	}
	for (i = 0; i < d->nctx; i++)
		free(d->ctx[i]);
	free(d->ctx);
	esc_phrases_free(d->ph);
	esc_negate_free(d->ng);
	free(d->cat_alert);
	esc_vocab_free(d->v);
	esc_text_free(&d->tx);
	esc_matches_free(&d->m);
	free(d);
}

/* detect.json's member sec.key, a number: dflt when it is absent, -1
 * when it is something else (said in err), so that a threshold written
 * as "3" is not silently taken for the default. */
static int
num(json_t *o, const char *sec, const char *key, double dflt, double *out,
	struct esc_err *err)
{
	json_t *s = json_object_get(o, sec), *x = json_object_get(s, key);

	*out = dflt;
	if (s && !json_is_object(s)) {
		esc_err_set(err, "detect.json: \"%s\" must be an object", sec);
		return -1;
	}
	if (!x)
		return 0;
	if (!json_is_number(x)) {
		esc_err_set(err, "detect.json: \"%s.%s\" must be a number", sec, key);
		return -1;
	}
	*out = json_number_value(x);
	return 0;
}

/* A member that must be true or false when it is there. */
static int
boolean(json_t *o, const char *what, const char *key, int dflt, int *out, struct esc_err *err)
{
	json_t *x = json_object_get(o, key);

	*out = x ? json_is_true(x) : dflt;
	if (x && !json_is_boolean(x)) {
		esc_err_set(err, "detect.json: %s\"%s\" must be true or false", what, key);
		return -1;
	}
	return 0;
}

/* A list of cue classes of negations.tsv (an alert's "negated_by", the
 * "negation.after" of detect.json) as a mask, bit 1 << class. */
static int
cue_classes(struct esc_detector *d, const char *what, json_t *list, unsigned *mask,
	struct esc_err *err)
{
	size_t i;
	json_t *c;
	int k;

	if (list && !json_is_array(list)) {
		esc_err_set(err, "detect.json: %s must be a list of cue classes, such as "
			"[\"negation\"]", what);
		return -1;
	}
	json_array_foreach(list, i, c) {
		if (!json_is_string(c)) {
			esc_err_set(err, "detect.json: %s must be a list of cue classes, such as "
				"[\"negation\"]", what);
			return -1;
		}
		k = esc_negate_class(d->ng, json_string_value(c));
		if (k < 0 || esc_negate_special(d->ng, k)) {
			esc_err_set(err, k < 0 ?
				"detect.json: %s: no cue class \"%s\" in detect/negations.tsv" :
				"detect.json: %s: \"%s\" ends cues, it is not a class of them",
				what, json_string_value(c));
			return -1;
		}
		*mask |= 1u << k;
	}
	return 0;
}

/* An alert's "negated_by": the cue classes that undo its phrases. */
static int
negated_by(struct esc_detector *d, struct alert *al, json_t *list, struct esc_err *err)
{
	char what[128];

	snprintf(what, sizeof what, "alert \"%s\": \"negated_by\"", al->name);
	return cue_classes(d, what, list, &al->negmask, err);
}

static int
load_alerts(struct esc_detector *d, json_t *alerts, struct esc_err *err)
{
	const char *name;
	char what[ESC_JKEY_MAX + 16];
	json_t *a;

	json_object_foreach(alerts, name, a) {
		struct alert *al;

		if (d->nal == MAX_ALERTS) {
			esc_err_set(err, "detect.json: more than %d alerts", MAX_ALERTS);
			return -1;
		}
		/* "cancel": 3 would be an alert of weight 0 that sends no one */
		if (!json_is_object(a) || (json_object_get(a, "weight") &&
		    !json_is_number(json_object_get(a, "weight")))) {
			esc_err_set(err, "detect.json: alert \"%s\": %s", name, json_is_object(a) ?
				"\"weight\" must be a number" : "must be an object, such as {\"weight\": 1}");
			return -1;
		}
		al = &d->al[d->nal];
		memset(al, 0, sizeof *al);
		d->nal++;
		{
			struct esc_buf q = { 0 };

			esc_buf_json_str(&q, name, strlen(name));
			al->json = q.p;
			al->jsonlen = q.len;
		}
		if (!(al->name = strdup(name)) || !al->json || esc_buf_oom) {
			esc_err_set(err, "out of memory");
			return -1;
		}
		al->weight = json_number_value(json_object_get(a, "weight"));
		snprintf(what, sizeof what, "alert \"%s\": ", name);
		if (boolean(a, what, "human", 0, &al->human, err) < 0 ||
		    boolean(a, what, "soft", 0, &al->soft, err) < 0)
			return -1;
		if (negated_by(d, al, json_object_get(a, "negated_by"), err) < 0)
			return -1;
		al->cat = -1;
		if (strcmp(name, "repeat_contact") == 0)
			al->kind = AK_TOUCHES;
		else if (strcmp(name, "high_value") == 0)
			al->kind = AK_VALUE;
		else if (strcmp(name, "negative_sentiment") == 0)
			al->kind = AK_SENTIMENT;
		else
			al->kind = AK_PHRASE;
	}
	return 0;
}

static int
load_config(struct esc_detector *d, struct esc_err *err)
{
	json_t *j, *ctx, *c;
	double min, window, opinion;
	unsigned after = 0;
	size_t i;
	int rc = -1;

	if (!(j = esc_share_json("detect/detect.json", err)))
		return -1;
	/* the cues before the alerts, which name their classes */
	if (esc_negate_load(d->ng, "detect/negations.tsv", err) < 0)
		goto out;
	if (num(j, "paid", "min_indicators", 2, &min, err) < 0 ||
	    boolean(json_object_get(j, "paid"), "paid.", "never_for_general_howto", 1,
		&d->howto_guard, err) < 0 ||
	    num(j, "human", "negative_sentiment", -0.6, &d->neg, err) < 0 ||
	    num(j, "human", "touches", 3, &d->touches, err) < 0 ||
	    num(j, "human", "revenue_at_risk", 5000, &d->at_risk, err) < 0 ||
	    num(j, "severity", "medium", 1, &d->level[0], err) < 0 ||
	    num(j, "severity", "high", 3, &d->level[1], err) < 0 ||
	    num(j, "severity", "critical", 5, &d->level[2], err) < 0 ||
	    num(j, "negation", "window", 3, &window, err) < 0 ||
	    num(j, "negation", "opinion", 1, &opinion, err) < 0)
		goto out;
	if (window < 0 || window > 16 || window != (int)window) {
		esc_err_set(err, "detect.json: \"negation.window\" must be a whole number of words "
			"from 0 to 16");
		goto out;
	}
	if (cue_classes(d, "\"negation.after\"",
		json_object_get(json_object_get(j, "negation"), "after"), &after, err) < 0)
		goto out;
	esc_negate_set(d->ng, (int)window, opinion, after);
	d->min_ind = (int)min;
	ctx = json_object_get(json_object_get(j, "paid"), "mentorship_contexts");
	if (ctx && !json_is_array(ctx)) {
		esc_err_set(err, "detect.json: \"paid.mentorship_contexts\" must be a list of strings");
		goto out;
	}
	json_array_foreach(ctx, i, c) {
		char **nc;

		if (!json_is_string(c)) {
			esc_err_set(err, "detect.json: \"paid.mentorship_contexts\" must be a list of strings");
			goto out;
		}
		if (!(nc = realloc(d->ctx, (size_t)(d->nctx + 1) * sizeof *nc)) ||
		    !(nc[d->nctx] = strdup(json_string_value(c)))) {
			if (nc)
				d->ctx = nc;
			esc_err_set(err, "out of memory");
			goto out;
		}
		d->ctx = nc;
		d->nctx++;
	}
	if (!json_is_object(json_object_get(j, "alerts"))) {
		esc_err_set(err, "detect.json: \"alerts\" must be an object");
		goto out;
	}
	rc = load_alerts(d, json_object_get(j, "alerts"), err);
out:
	json_decref(j);
	return rc;
}

/* Tie each phrase category to an indicator or an alert; an unknown one is
 * a mistake in the data files, said out loud. */
static int
bind_categories(struct esc_detector *d, struct esc_err *err)
{
	int i, c;

	for (i = 0; i < NIND; i++)
		d->ind_cat[i] = esc_phrases_cat(d->ph, ind_names[i]);
	d->howto_cat = esc_phrases_cat(d->ph, "howto");
	for (i = 0; i < d->nal; i++)
		if (d->al[i].kind == AK_PHRASE &&
		    (d->al[i].cat = esc_phrases_cat(d->ph, d->al[i].name)) < 0) {
			/* it could never fire: a name mistyped on one side, most likely */
			esc_err_set(err, "detect.json: alert \"%s\" has no phrases in "
				"detect/alerts.tsv", d->al[i].name);
			return -1;
		}
	if (!(d->cat_alert = malloc((size_t)(esc_phrases_ncat(d->ph) + 1) * sizeof *d->cat_alert))) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	for (c = 0; c < esc_phrases_ncat(d->ph); c++) {
		int known = c == d->howto_cat;

		d->cat_alert[c] = -1;
		for (i = 0; i < d->nal; i++)
			if (c == d->al[i].cat)
				d->cat_alert[c] = i;

		for (i = 0; i < NIND; i++)
			known |= c == d->ind_cat[i];
		for (i = 0; i < d->nal; i++)
			known |= c == d->al[i].cat;
		if (!known) {
			esc_err_set(err, "phrase category \"%s\" is neither an indicator "
				"nor an alert listed in detect/detect.json",
				esc_phrases_catname(d->ph, c));
			return -1;
		}
	}
	/* a class no alert names is a list that does nothing: that is how
	 * an owner turns negation off, by taking "negated_by" away */
	return 0;
}

struct esc_detector *
esc_detector_load(struct esc_err *err)
{
	struct esc_detector *d = calloc(1, sizeof *d);

	if (!d) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	if (!(d->v = esc_vocab_new()) || !(d->ph = esc_phrases_new(d->v)) ||
	    !(d->ng = esc_negate_new(d->v))) {
		esc_err_set(err, "out of memory");
		goto fail;
	}
	if (load_config(d, err) < 0 ||
	    esc_sentiment_load(d->v, err) < 0 ||
	    esc_phrases_load(d->ph, "detect/indicators.tsv", err) < 0 ||
	    esc_phrases_load(d->ph, "detect/alerts.tsv", err) < 0 ||
	    esc_phrases_compile(d->ph, err) < 0 ||
	    esc_negate_compile(d->ng, err) < 0 ||
	    bind_categories(d, err) < 0)
		goto fail;
	return d;
fail:
	esc_detector_free(d);
	return NULL;
}

static int
mentorship_context(const struct esc_detector *d, const struct esc_msg *m)
{
	int i;

	for (i = 0; m->context && i < d->nctx; i++)
		if (strlen(d->ctx[i]) == m->contextlen &&
		    memcmp(d->ctx[i], m->context, m->contextlen) == 0)
			return 1;
	return 0;
}

/* esc_phrases_match_keep's question: is this phrase there, or undone by a
 * cue before it? A phrase inside one undone goes with it: "not going to a
 * competitor" undoes "a competitor", and so "competitor*" too. */
static int
keep(void *ctx, int id, size_t start, size_t len)
{
	struct esc_detector *d = ctx;
	int a = d->cat_alert[esc_phrases_catof(d->ph, id)];

	if (a < 0 || !d->al[a].negmask)
		return 1;
	if (start >= d->negated_end[a] &&
	    !esc_negated(d->ng, &d->tx, start, start + len, d->al[a].negmask))
		return 1;
	if (start + len > d->negated_end[a])
		d->negated_end[a] = start + len;
	d->negated_any = 1;
	return 0;
}

int
esc_detect(struct esc_detector *d, const struct esc_msg *m, struct esc_verdict *v)
{
	int howto = 0, soft = 0, total, i;
	size_t k;
	double weight = 0;

	memset(v, 0, sizeof *v);
	if (d->negated_any) {
		memset(d->negated_end, 0, sizeof d->negated_end);
		d->negated_any = 0;
	}
	if (esc_text_split(&d->tx, d->v, m->text, m->len) < 0 ||
	    esc_phrases_match_keep(d->ph, &d->tx, &d->m, keep, d) < 0)
		return -1;
	esc_sentiment_score(&d->tx, &v->sent);

	for (k = 0; k < d->m.n; k++) {
		int c = esc_phrases_catof(d->ph, d->m.id[k]);

		for (i = 0; i < NIND; i++)
			if (c == d->ind_cat[i])
				v->scores[i]++;
		if (c == d->howto_cat)
			howto = 1;
		for (i = 0; i < d->nal; i++)
			if (d->al[i].kind == AK_PHRASE && c == d->al[i].cat)
				v->alerts |= 1u << i;
	}
	for (i = 0; i < d->nal; i++) {
		const struct alert *a = &d->al[i];

		if ((a->kind == AK_TOUCHES && m->touches >= d->touches) ||
		    (a->kind == AK_VALUE && m->at_risk > d->at_risk) ||
		    (a->kind == AK_SENTIMENT && v->sent.compound <= d->neg))
			v->alerts |= 1u << i;
		if (v->alerts & (1u << i)) {
			weight += a->weight;
			if (a->human && !a->soft)
				v->route = ESC_ROUTE_HUMAN;
			else if (a->human)
				soft = 1;
		}
	}

	total = v->scores[IND_PERSONAL] + v->scores[IND_STRATEGIC] + v->scores[IND_ADVANCED];
	if (v->route != ESC_ROUTE_HUMAN &&
	    !(d->howto_guard && howto && v->scores[IND_PERSONAL] == 0)) {
		int personal = v->scores[IND_PERSONAL] > 0;

		if (total >= d->min_ind)
			v->route = ESC_ROUTE_PAID;
		if (personal && mentorship_context(d, m)) {
			v->route = ESC_ROUTE_PAID;
			v->reasons |= 1u << R_MENTORSHIP_CTX;
		}
		if (personal && m->kb_miss) {
			v->route = ESC_ROUTE_PAID;
			v->reasons |= 1u << R_KB_MISS;
		}
		if (v->route == ESC_ROUTE_PAID)
			for (i = 0; i < NIND; i++)
				if (v->scores[i])
					v->reasons |= 1u << (R_PERSONAL + i);
	}
	/* a soft alert (a frustrated tone) goes to a person unless the question
	 * is one a paid offer answers: "I'm broke, fix my pricing" is a sale */
	if (soft && v->route == ESC_ROUTE_NONE)
		v->route = ESC_ROUTE_HUMAN;

	for (i = 3; i > 0; i--)
		if (weight >= d->level[i - 1])
			break;
	v->severity = i;
	if (v->route == ESC_ROUTE_HUMAN && v->severity < 1)
		v->severity = 1;
	return 0;
}

/* Our own names (reasons, indicators, labels, severities): plain words
 * that need no escaping. */
static void
put_name(struct esc_buf *out, const char *s)
{
	esc_buf_putc(out, '"');
	esc_buf_puts(out, s);
	esc_buf_putc(out, '"');
}

/* An alert's name comes from a data file: quoted when it was loaded. */
static void
put_alert(struct esc_buf *out, const struct alert *a)
{
	esc_buf_put(out, a->json, a->jsonlen);
}

static void
str_array_sep(struct esc_buf *out, int *first)
{
	if (!*first)
		esc_buf_putc(out, ',');
	*first = 0;
}

int
esc_detect_json(struct esc_detector *d, const struct esc_msg *m, struct esc_buf *out)
{
	struct esc_verdict v;
	int i, first;
	size_t k;

	if (esc_detect(d, m, &v) < 0)
		return -1;
	/* most messages raise nothing: their object has one fixed shape */
	if (v.route == ESC_ROUTE_NONE && v.alerts == 0 && v.severity == 0 &&
	    v.scores[0] + v.scores[1] + v.scores[2] == 0) {
		static const char head[] = "{\"escalate\":false,\"route\":\"none\",\"reasons\":[],"
			"\"scores\":{\"personal\":0,\"strategic\":0,\"advanced\":0},"
			"\"indicators\":{\"personal\":[],\"strategic\":[],\"advanced\":[]},"
			"\"sentiment\":{\"compound\":";
		const char *label = esc_sentiment_label(v.sent.compound);

		esc_buf_put(out, head, sizeof head - 1);
		esc_buf_json_num(out, v.sent.compound);
		esc_buf_put(out, ",\"label\":\"", 10);
		esc_buf_puts(out, label);
		esc_buf_puts(out, "\"},\"alerts\":[],\"severity\":\"low\"}");
		return 0;
	}
	esc_buf_puts(out, v.route != ESC_ROUTE_NONE ? "{\"escalate\":true,\"route\":\""
		: "{\"escalate\":false,\"route\":\"");
	esc_buf_puts(out, esc_route_name(v.route));
	esc_buf_puts(out, "\",\"reasons\":[");
	first = 1;
	if (v.route == ESC_ROUTE_PAID) {
		for (i = 0; i < NREASON; i++)
			if (v.reasons & (1u << i)) {
				str_array_sep(out, &first);
				put_name(out, reason_names[i]);
			}
	} else if (v.route == ESC_ROUTE_HUMAN) {
		for (i = 0; i < d->nal; i++)
			if ((v.alerts & (1u << i)) && d->al[i].human) {
				str_array_sep(out, &first);
				put_alert(out, &d->al[i]);
			}
	}
	esc_buf_puts(out, "],\"scores\":{");
	for (i = 0; i < NIND; i++) {
		if (i)
			esc_buf_putc(out, ',');
		put_name(out, ind_names[i]);
		esc_buf_putc(out, ':');
		esc_buf_json_num(out, v.scores[i]);
	}
	esc_buf_puts(out, "},\"indicators\":{");
	for (i = 0; i < NIND; i++) {
		if (i)
			esc_buf_putc(out, ',');
		put_name(out, ind_names[i]);
		esc_buf_puts(out, ":[");
		first = 1;
		for (k = 0; k < d->m.n; k++) {
			const char *p;
			size_t plen;

			if (esc_phrases_catof(d->ph, d->m.id[k]) != d->ind_cat[i])
				continue;
			str_array_sep(out, &first);
			p = esc_phrases_json(d->ph, d->m.id[k], &plen);
			esc_buf_put(out, p, plen);
		}
		esc_buf_putc(out, ']');
	}
	esc_buf_puts(out, "},\"sentiment\":{\"compound\":");
	esc_buf_json_num(out, v.sent.compound);
	esc_buf_puts(out, ",\"label\":");
	put_name(out, esc_sentiment_label(v.sent.compound));
	esc_buf_puts(out, "},\"alerts\":[");
	first = 1;
	for (i = 0; i < d->nal; i++)
		if (v.alerts & (1u << i)) {
			str_array_sep(out, &first);
			put_alert(out, &d->al[i]);
		}
	esc_buf_puts(out, "],\"severity\":");
	put_name(out, esc_severity_name(v.severity));
	esc_buf_putc(out, '}');
	return 0;
}
