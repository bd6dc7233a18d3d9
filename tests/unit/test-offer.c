/* test-offer — the offer rules, template choice and playbook selection
 * through esc_offers_load and esc_offer_pick, with the data files in
 * share/esc/offer (seed 000 and 001), and with edited copies of them in a
 * scratch directory for the fallbacks the shipped files never reach. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "esc.h"
#include "offer.h"
#include "tap.h"

static struct esc_offers *o;

/* A paid question: its text and its personal, strategic, advanced scores. */
static struct esc_offer_in
paid(const char *text, int personal, int strategic, int advanced)
{
	struct esc_offer_in in;

	memset(&in, 0, sizeof in);
	in.route = ESC_ROUTE_PAID;
	in.text = text;
	in.len = strlen(text);
	in.scores[0] = personal;
	in.scores[1] = strategic;
	in.scores[2] = advanced;
	return in;
}

static struct esc_offer_in
keyed(struct esc_offer_in in, const char *key)
{
	in.key = key;
	in.keylen = key ? strlen(key) : 0;
	return in;
}

static struct esc_offer_in
kb(struct esc_offer_in in)
{
	in.kb_miss = 1;
	return in;
}

static struct esc_offer_pick
pick_from(struct esc_offers *from, struct esc_offer_in in, unsigned long seed)
{
	struct esc_offer_pick p;
	int rc = esc_offer_pick(from, &in, seed, &p);

	if (rc != 0)
		diag("esc_offer_pick returned %d for \"%.*s\"", rc, (int)in.len, in.text ? in.text : "");
	return p;
}

static struct esc_offer_pick
pick(struct esc_offer_in in)
{
	return pick_from(o, in, 0);
}

static const char *
offer_of(struct esc_offer_in in)
{
	return pick(in).offer;
}

static const char *
template_of(struct esc_offer_in in)
{
	return pick(in).template_id;
}

/* The playbook for a human message raising the alerts given (NULL-ended). */
static const char *
playbook_for(const char *a0, ...)
{
	const char *alerts[16];
	struct esc_offer_in in;
	va_list ap;
	const char *a;
	int n = 0;

	va_start(ap, a0);
	for (a = a0; a && n < 16; a = va_arg(ap, const char *))
		alerts[n++] = a;
	va_end(ap);
	memset(&in, 0, sizeof in);
	in.route = ESC_ROUTE_HUMAN;
	in.text = "";
	in.alerts = alerts;
	in.nalerts = n;
	return pick(in).playbook;
}

/* esc_offer_json's text for in, parsed; NULL if it is not JSON. */
static json_t *
offer_json(struct esc_offers *from, struct esc_offer_in in, unsigned long seed)
{
	struct esc_buf b = { 0 };
	struct esc_err err;
	json_t *j = NULL;

	if (esc_offer_json(from, &in, seed, &b, &err) == 0)
		j = json_loadb(b.p ? b.p : "", b.len, JSON_DECODE_ANY, NULL);
	else
		diag("esc_offer_json: %s", err.msg);
	esc_buf_free(&b);
	return j;
}

static const char *
jstr(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

/* ---- a scratch data directory with edited offers.json ---- */
static char scratch[256];

static int
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

/* Make scratch/offer/ with offers.json from j and the shipped playbooks. */
static int
make_scratch(json_t *offers)
{
	const char *tmp = getenv("TMPDIR");
	char path[512], *pb = NULL, *oj;
	struct esc_err err;
	size_t len;
	int rc = -1;

	if (!scratch[0]) {
		snprintf(scratch, sizeof scratch, "%s/esc-test-offer.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch)) {
			scratch[0] = '\0';
			return -1;
		}
		snprintf(path, sizeof path, "%s/offer", scratch);
		if (mkdir(path, 0700) < 0)
			return -1;
	}
	if (esc_share_read("offer/playbooks.json", &pb, &len, &err) < 0) {
		diag("%s", err.msg);
		return -1;
	}
	snprintf(path, sizeof path, "%s/offer/playbooks.json", scratch);
	if (write_file(path, pb, len) == 0 && (oj = json_dumps(offers, JSON_INDENT(1)))) {
		snprintf(path, sizeof path, "%s/offer/offers.json", scratch);
		rc = write_file(path, oj, strlen(oj));
		free(oj);
	}
	free(pb);
	return rc;
}

static void
remove_scratch(void)
{
	char path[512];

	if (!scratch[0])
		return;
	snprintf(path, sizeof path, "%s/offer/offers.json", scratch);
	unlink(path);
	snprintf(path, sizeof path, "%s/offer/playbooks.json", scratch);
	unlink(path);
	snprintf(path, sizeof path, "%s/offer", scratch);
	rmdir(path);
	rmdir(scratch);
	scratch[0] = '\0';
}

/* Remove from offers the templates whose id starts with prefix. */
static void
drop_templates(json_t *offers, const char *prefix)
{
	json_t *t = json_object_get(offers, "templates");
	size_t i = 0;

	while (i < json_array_size(t)) {
		const char *id = jstr(json_array_get(t, i), "id");

		if (id && strncmp(id, prefix, strlen(prefix)) == 0)
			json_array_remove(t, i);
		else
			i++;
	}
}

/* Set, load_without also drops the last offer rule (the "any" one). */
static int drop_any_rule;
/* Why the last load_without failed, if it did. */
static char load_err[sizeof ((struct esc_err *)0)->msg];

/* Load the offers from the shipped offers.json edited by drop_templates
 * (prefix1 and prefix2 may be NULL). */
static struct esc_offers *
load_without(const char *prefix1, const char *prefix2)
{
	struct esc_offers *x = NULL;
	const char *share = getenv("ESC_SHARE");
	struct esc_err err;
	json_t *j;

	load_err[0] = '\0';
	if (!(j = esc_share_json("offer/offers.json", &err))) {
		diag("%s", err.msg);
		return NULL;
	}
	if (prefix1)
		drop_templates(j, prefix1);
	if (prefix2)
		drop_templates(j, prefix2);
	if (drop_any_rule)
		json_array_remove(json_object_get(j, "rules"), json_array_size(json_object_get(j, "rules")) - 1);
	if (make_scratch(j) == 0) {
		esc_share_set(scratch);
		if (!(x = esc_offers_load(NULL, &err))) {
			snprintf(load_err, sizeof load_err, "%s", err.msg);
			diag("%s", err.msg);
		}
		esc_share_set(share && *share ? NULL : "share/esc");
	}
	json_decref(j);
	return x;
}

#define NKEYS 400

int
main(void)
{
	static char keys[NKEYS][16];
	const char *first[NKEYS];
	struct esc_offer_in in;
	struct esc_offer_pick p;
	struct esc_offers *kim, *x;
	struct esc_err err;
	json_t *j;
	const char *detail_q = "Can you break down exactly how I should handle my business finances?";
	const char *detail_q2 = "Can you break down in detail how my salon should budget?";
	int i, s, n, same, kbseen, ndetail, bad_seeds;

	if (!getenv("ESC_SHARE"))
		esc_share_set("share/esc");   /* run from the top of the tree */
	plan(94);

	o = esc_offers_load(NULL, &err);
	if (!ok(o != NULL, "esc_offers_load from %s", esc_share_dir())) {
		diag("%s", err.msg);
		return done();
	}
	for (i = 0; i < NKEYS; i++)
		snprintf(keys[i], sizeof keys[i], "m%06d", i + 1);

	/* ---- the offer rules, in order ---- */
	is_str(offer_of(paid("What framework and system should I use, step by step?", 1, 1, 1)),
		"mentorship", "personal first: personal + framework + technique cues is mentorship");
	is_str(offer_of(paid("Can you audit my framework and my technique?", 0, 0, 0)),
		"mentorship", "cue:audit before framework: an audit question is mentorship");
	is_str(offer_of(paid("Can you review my system?", 0, 0, 0)),
		"mentorship", "\"review my\" is an audit cue");
	is_str(offer_of(paid("Give me the framework for the technique", 0, 1, 1)),
		"masterclass", "framework before strategic: framework + strategic is masterclass");
	is_str(offer_of(paid("What is the blueprint?", 0, 0, 1)),
		"masterclass", "\"blueprint\" is a framework cue");
	is_str(offer_of(paid("How do I master the technique?", 0, 1, 0)),
		"mentorship", "strategic before technique: strategic + technique cue is mentorship");
	is_str(offer_of(paid("Where do I go from here?", 0, 2, 0)),
		"mentorship", "strategic alone is mentorship");
	is_str(offer_of(paid("Can you break down the technique step by step?", 0, 0, 2)),
		"course", "technique cue, advanced: course");
	is_str(offer_of(paid("I want to learn how to do this", 0, 0, 0)),
		"course", "\"learn how\" is a technique cue");
	is_str(offer_of(paid("Can you do a deep dive on lace melting?", 0, 0, 2)),
		"tutorial", "advanced only, no technique cue: tutorial");
	is_str(offer_of(paid("hello", 0, 0, 0)), "tutorial", "nothing at all: tutorial (the any rule)");
	is_str(offer_of(paid("", 0, 0, 0)), "tutorial", "an empty question: tutorial");
	is_str(offer_of(paid("FRAMEWORK", 0, 0, 0)), "masterclass", "cues match whatever the case");
	is_str(offer_of(paid("frameworks", 0, 0, 0)), "masterclass", "... and their listed plurals");
	is_str(offer_of(paid("a frame work", 0, 0, 0)), "tutorial", "... word by word, not by substring");
	is_str(offer_of(paid("restructuring", 0, 0, 0)), "mentorship", "\"restructur*\" matches by prefix");
	is_str(offer_of(paid("the technique", -1, 0, 0)), "course", "a negative score is not above zero");

	/* ---- templates: the first cue, in template_cues order ---- */
	is_str(template_of(paid("Can you review my pricing structure and tell me what's wrong?", 1, 2, 1)),
		"mentorship.numbers", "seed example 1: mentorship.numbers");
	is_str(template_of(paid("what's wrong with my pricing, in detail", 1, 0, 0)),
		"mentorship.numbers", "numbers before audit and detail");
	is_str(template_of(paid("audit my business in detail", 1, 0, 0)),
		"mentorship.audit", "audit before detail");
	is_str(template_of(paid("Can you look at my business and my situation?", 2, 0, 0)),
		"mentorship.personal", "personal language and no cue: mentorship.personal");
	/* strategic, no cue, not personal: no mentorship template names a cue of
	 * the question and none is generic, so any of mentorship's may be drawn */
	{
		const char *seen[8];
		int nseen = 0, k;

		n = 0;
		for (i = 0; i < 64; i++) {
			const char *t = pick(keyed(paid("Where do I go from here?", 0, 2, 0), keys[i])).template_id;

			n += t && strncmp(t, "mentorship.", 11) == 0;
			for (k = 0; t && k < nseen && strcmp(seen[k], t); k++)
				;
			if (t && k == nseen && nseen < 8)
				seen[nseen++] = t;
		}
		is_int(n, 64, "strategic, no cue: one of mentorship's own templates (never a kb_miss one), for 64 keys");
		ok(nseen >= 4, "... drawn from all five, not only the first ones (%d seen)", nseen);
	}
	is_str(template_of(paid("Can you break down the technique step by step?", 0, 0, 2)),
		"course.technique", "course with a technique cue: course.technique");
	is_str(template_of(paid("Give me the framework", 0, 0, 1)),
		"masterclass.framework", "masterclass with a framework cue: masterclass.framework");
	is_str(template_of(paid("the strategy behind a good system", 0, 1, 1)),
		"masterclass.advanced", "framework + advanced cue: masterclass, advanced comes first in template_cues");
	is_str(template_of(paid("Can you do a deep dive on lace melting?", 0, 0, 2)),
		"tutorial.general", "tutorial, no cue: the generic tutorial.general");

	/* detail: two candidates, the key draws one; never a kb template */
	n = ndetail = kbseen = 0;
	for (i = 0; i < NKEYS; i++) {
		const char *t = pick(keyed(paid(detail_q, 1, 0, 1), keys[i])).template_id;

		first[i] = t;
		n += t && (!strcmp(t, "mentorship.detail") || !strcmp(t, "mentorship.personal"));
		ndetail += t && !strcmp(t, "mentorship.detail");
		kbseen += t && !strncmp(t, "kb_miss.", 8);
	}
	is_int(n, NKEYS, "a detail question draws mentorship.detail or mentorship.personal, for %d keys", NKEYS);
	ok(ndetail >= 100 && ndetail <= 300, "... both, about evenly (%d detail, %d personal)",
		ndetail, NKEYS - ndetail);
	is_int(kbseen, 0, "... and never a kb_miss template without kb_miss");
	/* A hash, not a parity: consecutive ids should not simply alternate. */
	for (i = 1, n = 0; i < NKEYS; i++)
		n += first[i] && first[i - 1] && strcmp(first[i], first[i - 1]) != 0;
	ok(n >= 120 && n <= 280, "consecutive keys m000001..m000400 change template about half the time (%d of %d)",
		n, NKEYS - 1);

	/* ---- knowledge-base misses ---- */
	is_str(template_of(kb(paid("How do I price my wigs with different curl pricing?", 1, 0, 0))),
		"kb_miss.mentorship.numbers", "seed example 2 (kb_miss): kb_miss.mentorship.numbers");
	is_str(template_of(kb(paid("Can you audit my business?", 1, 1, 0))),
		"kb_miss.mentorship", "kb_miss, audit: no kb template names audit, the generic kb_miss.mentorship");
	is_str(template_of(kb(paid("Can you break down the technique step by step?", 0, 0, 2))),
		"kb_miss.course", "kb_miss, course: kb_miss.course");
	is_str(template_of(kb(paid("Can you do a deep dive on lace melting?", 0, 0, 2))),
		"kb_miss.tutorial", "kb_miss, tutorial: kb_miss.tutorial");
	is_str(template_of(kb(paid("Give me the framework", 0, 0, 1))),
		"kb_miss.masterclass", "kb_miss, masterclass: kb_miss.masterclass");
	is_str(offer_of(kb(paid("Give me the framework", 0, 0, 1))), "masterclass",
		"kb_miss does not change the offer");
	n = 0;
	for (i = 0; i < 64; i++) {
		const char *t = pick(keyed(kb(paid(detail_q, 1, 0, 1)), keys[i])).template_id;

		n += t && !strcmp(t, "kb_miss.mentorship");
	}
	is_int(n, 64, "kb_miss, detail: kb_miss.mentorship for every key");
	j = offer_json(o, kb(paid("How do I price my wigs?", 1, 0, 0)), 0);
	ok(j && strstr(jstr(j, "text") ? jstr(j, "text") : "", "this specific part isn't in my brain yet") &&
		strstr(jstr(j, "text"), "Tay goes DEEP into personalised pricing inside her mentorship"),
		"kb_miss.mentorship.numbers says the seed's words");
	json_decref(j);

	/* an offer without kb templates falls back to its usual ones */
	x = load_without("kb_miss.course", "kb_miss.tutorial");
	if (ok(x != NULL, "offers.json without kb_miss.course and kb_miss.tutorial loads")) {
		is_str(pick_from(x, kb(paid("Can you break down the technique step by step?", 0, 0, 2)), 0).template_id,
			"course.technique", "kb_miss, course, no kb template for course: course.technique");
		is_str(pick_from(x, kb(paid("Can you do a deep dive on lace melting?", 0, 0, 2)), 0).template_id,
			"tutorial.general", "kb_miss, tutorial, no kb template: the generic tutorial.general");
		is_str(pick_from(x, kb(paid("Give me the framework", 0, 0, 1)), 0).template_id,
			"kb_miss.masterclass", "... while masterclass keeps its kb template");
		is_str(pick_from(x, paid("Can you break down the technique step by step?", 0, 0, 2), 0).template_id,
			"course.technique", "... and without kb_miss nothing changes");
	} else {
		for (i = 0; i < 4; i++)
			ok(0, "(skipped: no data)");
	}
	esc_offers_free(x);
	/* no generic template: any of the offer's */
	x = load_without("tutorial.general", NULL);
	if (ok(x != NULL, "offers.json without tutorial.general loads")) {
		is_str(pick_from(x, paid("Can you do a deep dive on lace melting?", 0, 0, 2), 0).template_id,
			"tutorial.technique", "tutorial, no cue and no generic template: the offer's other one");
	} else {
		ok(0, "(skipped: no data)");
	}
	esc_offers_free(x);
	/* no template at all for an offer a rule names: refused at load */
	x = load_without("tutorial.", "kb_miss.tutorial");
	ok(x == NULL && strstr(load_err, "rule 6: no template for the offer \"tutorial\""),
		"offers.json without any tutorial template is refused: %s", load_err);
	esc_offers_free(x);
	/* no rule for the question: pick says so (1) */
	drop_any_rule = 1;
	x = load_without(NULL, NULL);
	drop_any_rule = 0;
	if (x) {
		in = paid("Can you do a deep dive on lace melting?", 0, 0, 2);
		is_int(esc_offer_pick(x, &in, 0, &p), 1, "a question no rule fits: esc_offer_pick returns 1");
		ok(p.offer == NULL && p.template_id == NULL && p.json == NULL, "... and picks nothing");
	} else {
		ok(0, "(skipped: no data)");
		ok(0, "(skipped: no data)");
	}
	esc_offers_free(x);
	remove_scratch();

	/* ---- the whole paid offer value ---- */
	j = offer_json(o, paid("How should I set my prices for my business?", 3, 0, 0), 0);
	ok(j && json_object_size(j) == 5 && !strcmp(jstr(j, "route") ? jstr(j, "route") : "", "paid"),
		"esc_offer_json, paid: an object of 5 members, route paid");
	is_str(jstr(j, "offer"), "mentorship", "... offer mentorship");
	is_str(jstr(j, "template"), "mentorship.numbers", "... template mentorship.numbers");
	is_str(jstr(j, "persona"), "Tay", "... persona Tay");
	is_str(jstr(j, "text"), "I can give you the framework, but to get it tailored to YOUR exact numbers and situation, that's where Tay's mentorship really shines. She breaks down your specific costs, margins, and structures everything with you.",
		"... the seed's template 4, word for word");
	json_decref(j);
	p = pick(paid("How should I set my prices for my business?", 3, 0, 0));
	ok(p.json && strstr(p.json, "\"template\":\"mentorship.numbers\"") && p.playbook == NULL,
		"esc_offer_pick, paid: json holds the template, no playbook");

	/* --persona */
	kim = esc_offers_load("Kim", &err);
	if (ok(kim != NULL, "esc_offers_load with persona Kim")) {
		n = same = 0;
		for (i = 0; i < 64; i++) {
			struct esc_offer_pick a = pick_from(kim, keyed(paid(detail_q, 1, 0, 1), keys[i]), 0);

			n += a.json && strstr(a.json, "Kim") && !strstr(a.json, "Tay");
			same += a.template_id && first[i] && !strcmp(a.template_id, first[i]);
		}
		is_int(n, 64, "persona Kim: Kim in every offer, Tay in none");
		is_int(same, 64, "persona Kim: the same templates drawn as with Tay");
		j = offer_json(kim, paid("Can you audit my business and fix my funnel?", 2, 1, 1), 0);
		is_str(jstr(j, "text"), "This is something we can skim over here, but the real transformation comes inside Kim's 1:1 where she can literally audit your entire business and fix it with you.",
			"persona Kim: template 3 with Kim");
		json_decref(j);
	} else {
		for (i = 0; i < 3; i++)
			ok(0, "(skipped: no data)");
	}
	esc_offers_free(kim);

	/* ---- playbooks: the select rules in order ---- */
	is_str(playbook_for("legal", "cancel", NULL), "executive", "legal + cancel: executive (legal is first)");
	is_str(playbook_for("cancel", "legal", NULL), "executive", "cancel + legal: executive (rule order, not alert order)");
	is_str(playbook_for("cancel", NULL), "cancel_threat", "cancel: cancel_threat");
	is_str(playbook_for("competitor", NULL), "cancel_threat", "competitor: cancel_threat");
	is_str(playbook_for("cancel", "refund", NULL), "cancel_threat", "cancel + refund: cancel_threat");
	is_str(playbook_for("refund", "missed_appointment", NULL), "missed_appointment",
		"refund + missed_appointment: missed_appointment (its rule is first)");
	is_str(playbook_for("missed_appointment", NULL), "missed_appointment", "missed_appointment: missed_appointment");
	is_str(playbook_for("refund", NULL), "billing_dispute", "refund: billing_dispute");
	is_str(playbook_for("dispute", NULL), "billing_dispute", "dispute: billing_dispute");
	is_str(playbook_for("fraud", NULL), "billing_dispute", "fraud: billing_dispute");
	is_str(playbook_for("verification", NULL), "billing_dispute", "verification: billing_dispute");
	is_str(playbook_for("high_value", "quality", NULL), "executive", "high_value + quality: executive");
	is_str(playbook_for("quality", NULL), "service_quality", "quality: service_quality");
	is_str(playbook_for("negative_sentiment", NULL), "service_quality",
		"only negative_sentiment: the default, service_quality");
	is_str(playbook_for("repeat_contact", "human_requested", NULL), "service_quality",
		"repeat_contact + human_requested: the default");
	is_str(playbook_for(NULL), "service_quality", "no alerts at all: the default");
	memset(&in, 0, sizeof in);
	in.route = ESC_ROUTE_HUMAN;
	{
		const char *al[] = { "cancel" };

		in.alerts = al;
		in.nalerts = 1;
		p = pick(in);
		ok(p.offer == NULL && p.template_id == NULL && p.json != NULL &&
			!strncmp(p.json, "{\"route\":\"human\",\"playbook\":\"cancel_threat\",", 44),
			"a human pick has no offer or template; its json is the playbook's");
		j = offer_json(o, in, 0);
		ok(j && !strcmp(jstr(j, "route") ? jstr(j, "route") : "", "human") &&
			!strcmp(jstr(j, "playbook") ? jstr(j, "playbook") : "", "cancel_threat"),
			"esc_offer_json, human: route human, playbook cancel_threat");
		is_double(json_real_value(json_object_get(j, "success_rate")), 0.87, 1e-9,
			"... success_rate 0.87");
		ok(json_array_size(json_object_get(j, "steps")) > 0 &&
			json_array_size(json_object_get(j, "avoid")) > 0 &&
			jstr(json_object_get(j, "script"), "opening") &&
			jstr(json_object_get(j, "first_action"), "urgency"),
			"... with steps, avoid, script.opening and first_action.urgency");
		json_decref(j);
	}

	/* route none */
	in = paid("Can you audit my business?", 1, 1, 0);
	in.route = ESC_ROUTE_NONE;
	is_int(esc_offer_pick(o, &in, 0, &p), 0, "route none: esc_offer_pick returns 0");
	ok(!p.offer && !p.template_id && !p.json && !p.playbook, "... and picks nothing");
	j = offer_json(o, in, 0);
	ok(j && json_is_null(j), "esc_offer_json, route none: null");
	json_decref(j);

	/* ---- the draw: a function of key and seed alone ---- */
	/* again, backwards, with other picks in between */
	same = 0;
	for (i = NKEYS - 1; i >= 0; i--) {
		const char *t;

		pick_from(o, keyed(paid("Can you review my pricing?", 1, 1, 0), keys[(i * 7) % NKEYS]), 5);
		pick_from(o, keyed(paid(detail_q, 1, 0, 1), keys[(i * 13) % NKEYS]), 3);
		t = pick(keyed(paid(detail_q, 1, 0, 1), keys[i])).template_id;
		same += t && first[i] && !strcmp(t, first[i]);
	}
	is_int(same, NKEYS, "the same key and seed: the same template, in any call order");
	same = 0;
	for (i = 0; i < NKEYS; i++) {
		const char *t = pick(keyed(paid(detail_q2, 1, 0, 2), keys[i])).template_id;

		same += t && first[i] && !strcmp(t, first[i]);
	}
	is_int(same, NKEYS, "the key, not the text, draws: another detail question under the same key, the same template");
	p = pick(paid(detail_q, 1, 0, 1));
	pick(paid(detail_q2, 1, 0, 2));
	pick_from(o, paid(detail_q, 1, 0, 1), 4);
	ok(p.template_id && !strcmp(p.template_id, pick(paid(detail_q, 1, 0, 1)).template_id),
		"without a key the text draws: the same text, the same template");
	{
		char q[128];
		int nd = 0;

		for (i = 0; i < 64; i++) {
			const char *t;

			snprintf(q, sizeof q, "%s (%d)", detail_q, i);
			t = pick(paid(q, 1, 0, 1)).template_id;
			nd += t && !strcmp(t, "mentorship.detail");
		}
		ok(nd > 0 && nd < 64, "without a key, 64 texts draw both templates (%d detail)", nd);
	}
	p = pick_from(o, keyed(paid(detail_q, 1, 0, 1), NULL), 9);
	ok(p.template_id && !strcmp(p.template_id, pick_from(o, paid(detail_q, 1, 0, 1), 9).template_id),
		"a NULL key is the same as no key");

	/* seeds: the offer never changes, the template may */
	n = same = 0;
	for (s = 1; s <= 8; s++)
		for (i = 0; i < NKEYS; i++) {
			struct esc_offer_pick a = pick_from(o, keyed(paid(detail_q, 1, 0, 1), keys[i]), (unsigned long)s);

			n += a.offer && !strcmp(a.offer, "mentorship");
			same += a.template_id && first[i] && !strcmp(a.template_id, first[i]);
		}
	is_int(n, 8 * NKEYS, "seeds 1..8: the offer is always mentorship");
	ok(same < 8 * NKEYS, "seeds 1..8: some templates differ from seed 0's (%d of %d the same)", same, 8 * NKEYS);
	/* A seed is a fresh draw: against seed 0 it should redraw about half of
	 * two-candidate records (200 of 400, 100..300 is 10 sigma). */
	bad_seeds = 0;
	for (s = 1; s <= 8; s++) {
		int differ = 0;

		for (i = 0; i < NKEYS; i++) {
			const char *t = pick_from(o, keyed(paid(detail_q, 1, 0, 1), keys[i]), (unsigned long)s).template_id;

			differ += t && first[i] && strcmp(t, first[i]) != 0;
		}
		diag("seed %d redraws %d of %d", s, differ, NKEYS);
		bad_seeds += differ < 100 || differ > 300;
	}
	is_int(bad_seeds, 0, "each of seeds 1..8 redraws between 100 and 300 of 400 two-candidate records");
	same = 0;
	for (i = 0; i < NKEYS; i++) {
		const char *a = pick_from(o, keyed(paid(detail_q, 1, 0, 1), keys[i]), 12345).template_id;
		const char *b = pick_from(o, keyed(paid(detail_q, 1, 0, 1), keys[i]), 12345).template_id;

		same += a && b && !strcmp(a, b);
	}
	is_int(same, NKEYS, "seed 12345 twice: the same draw for every key");

	/* ---- load errors ---- */
	esc_share_set("/nonexistent");
	x = esc_offers_load(NULL, &err);
	ok(x == NULL && strstr(err.msg, "/nonexistent/offer/offers.json"),
		"esc_offers_load from /nonexistent: NULL, naming the file (%s)", x ? "loaded" : err.msg);
	esc_offers_free(x);
	esc_offers_free(NULL);
	ok(1, "esc_offers_free(NULL) is harmless");

	esc_offers_free(o);
	return done();
}
