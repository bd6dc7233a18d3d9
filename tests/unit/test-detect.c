/* test-detect — the escalation rules through esc_detector_load and
 * esc_detect, with the data files in share/esc (seed 000 and 001). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"
#include "score.h"
#include "tap.h"

static struct esc_detector *d;

static struct esc_msg
msg(const char *text)
{
	struct esc_msg m;

	memset(&m, 0, sizeof m);
	m.text = text;
	m.len = strlen(text);
	m.touches = -1;
	m.at_risk = -1;
	return m;
}

static struct esc_msg
with_context(struct esc_msg m, const char *ctx)
{
	m.context = ctx;
	m.contextlen = ctx ? strlen(ctx) : 0;
	return m;
}

static struct esc_verdict
verdict(struct esc_msg m)
{
	struct esc_verdict v;

	memset(&v, 0, sizeof v);
	if (esc_detect(d, &m, &v) < 0)
		diag("esc_detect failed on \"%.*s\"", (int)m.len, m.text);
	return v;
}

/* The detect object's reasons, joined by commas (caller frees). */
static char *
reasons(struct esc_msg m)
{
	struct esc_buf b = { 0 };
	json_t *j, *r;
	size_t i;
	char *s;
	struct esc_buf out = { 0 };

	if (esc_detect_json(d, &m, &b) < 0 || !(j = json_loadb(b.p, b.len, 0, NULL))) {
		esc_buf_free(&b);
		return strdup("(invalid detect object)");
	}
	json_array_foreach(json_object_get(j, "reasons"), i, r) {
		if (i)
			esc_buf_putc(&out, ',');
		esc_buf_puts(&out, json_string_value(r));
	}
	esc_buf_putc(&out, '\0');
	s = strdup(out.p);
	esc_buf_free(&out);
	esc_buf_free(&b);
	json_decref(j);
	return s;
}

static int
is_reasons(struct esc_msg m, const char *want, const char *what)
{
	char *got = reasons(m);
	int r = is_str(got, want, "%s: reasons %s", what, want);

	free(got);
	return r;
}

/* The bit esc_detect uses for an alert, by name; -1 if there is none. */
static int
alert_bit(const char *name)
{
	const char *n;
	int i;

	for (i = 0; (n = esc_detect_alertname(d, i)); i++)
		if (strcmp(n, name) == 0)
			return i;
	return -1;
}

static int
has_alert(struct esc_verdict v, const char *name)
{
	int bit = alert_bit(name);

	return bit >= 0 && (v.alerts & (1u << bit));
}

int
main(void)
{
	struct esc_err err;
	struct esc_verdict v;
	struct esc_msg m;
	struct esc_buf b = { 0 };
	const char *howto = "How do I pluck a hairline?";
	const char *order = "Where is my order?";

	if (!getenv("ESC_SHARE"))
		esc_share_set("share/esc");   /* run from the top of the tree */
	plan(98);

	d = esc_detector_load(&err);
	if (!ok(d != NULL, "esc_detector_load from %s", esc_share_dir())) {
		diag("%s", err.msg);
		return done();
	}
	ok(alert_bit("cancel") >= 0 && alert_bit("legal") >= 0 && alert_bit("human_requested") >= 0
		&& alert_bit("repeat_contact") >= 0 && alert_bit("high_value") >= 0
		&& alert_bit("negative_sentiment") >= 0, "the alerts of seed 001 are configured");
	ok(esc_detect_alertname(d, -1) == NULL && esc_detect_alertname(d, 1000) == NULL,
		"esc_detect_alertname out of range is NULL");

	/* seed 000, example 1 */
	m = msg("Can you review my pricing structure and tell me what's wrong?");
	v = verdict(m);
	is_int(v.route, ESC_ROUTE_PAID, "seed 1: paid");
	is_int(v.scores[0], 1, "seed 1: personal 1");
	is_int(v.scores[1], 2, "seed 1: strategic 2");
	is_int(v.scores[2], 1, "seed 1: advanced 1");
	is_reasons(m, "personalized_help,strategic,advanced", "seed 1");
	/* example 2 */
	m = msg("How do I price my wigs with different curl pricing?");
	m.kb_miss = 1;
	is_int(verdict(m).route, ESC_ROUTE_PAID, "seed 2 with kb_miss: paid");
	is_reasons(m, "personalized_help,kb_miss", "seed 2 with kb_miss");
	m.kb_miss = 0;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "seed 2 without kb_miss: none");
	/* example 3 */
	m = msg(howto);
	v = verdict(m);
	is_int(v.route, ESC_ROUTE_NONE, "seed 3: none");
	is_int(v.scores[0] + v.scores[1] + v.scores[2], 0, "seed 3: no indicators");
	is_int(v.severity, 0, "seed 3: severity low");
	is_reasons(m, "", "seed 3");

	/* two or more indicators */
	is_int(verdict(msg("I need a strategy to restructure the whole thing")).route, ESC_ROUTE_PAID,
		"two indicators (strategy, restructure): paid");
	is_int(verdict(msg("What is a good strategy for a beginner")).route, ESC_ROUTE_NONE,
		"one indicator: none");
	is_int(verdict(msg("I love my clients")).route, ESC_ROUTE_NONE, "personal language alone: none");
	v = verdict(msg("Can you do an audit of my business and break down my numbers?"));
	is_int(v.route, ESC_ROUTE_PAID, "personal + strategic + advanced: paid");
	ok(v.scores[0] >= 2, "my business, my numbers: personal %d", v.scores[0]);

	/* business-mentorship context + personal language */
	m = with_context(msg("What should I charge for my services?"), "business_mentorship");
	is_int(verdict(m).route, ESC_ROUTE_PAID, "business_mentorship context + personal: paid");
	is_reasons(m, "personalized_help,mentorship_context", "context + personal");
	m = with_context(msg("What should I charge for my services?"), "mentorship");
	is_int(verdict(m).route, ESC_ROUTE_PAID, "mentorship context + personal: paid");
	m = with_context(msg("What should I charge for a frontal install?"), "business_mentorship");
	is_int(verdict(m).route, ESC_ROUTE_NONE, "context without personal language: none");
	m = with_context(msg("What should I charge for my services?"), "hair_care");
	is_int(verdict(m).route, ESC_ROUTE_NONE, "another context + personal: none");
	m = with_context(msg("What should I charge for my services?"), "business_mentorship_extra");
	is_int(verdict(m).route, ESC_ROUTE_NONE, "a context is matched whole, not by prefix");
	m = with_context(msg("What should I charge for my services?"), "business");
	is_int(verdict(m).route, ESC_ROUTE_NONE, "... nor as a prefix of one");

	/* knowledge-base miss + personal language */
	m = msg("What should I charge for my services?");
	m.kb_miss = 1;
	is_int(verdict(m).route, ESC_ROUTE_PAID, "kb_miss + personal: paid");
	m = msg("What should I charge for a frontal install?");
	m.kb_miss = 1;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "kb_miss without personal language: none");
	m = msg(howto);
	m.kb_miss = 1;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "kb_miss on a how-to: none");

	/* never for a general how-to */
	v = verdict(msg("How do I do a deep dive into a strategy for lace?"));
	is_int(v.route, ESC_ROUTE_NONE, "a how-to with two indicators, no personal language: none");
	is_int(v.scores[1] + v.scores[2], 2, "... although both indicators are found");
	m = with_context(msg("How do I do a deep dive into a strategy for lace?"), "business_mentorship");
	is_int(verdict(m).route, ESC_ROUTE_NONE, "... even in a mentorship context");
	is_int(verdict(msg("How do I fix my pricing strategy?")).route, ESC_ROUTE_PAID,
		"a how-to with personal language can be paid");

	/* touches: 3 or more */
	m = msg(order);
	m.touches = 3;
	v = verdict(m);
	is_int(v.route, ESC_ROUTE_HUMAN, "touches 3: human");
	ok(has_alert(v, "repeat_contact"), "touches 3: repeat_contact");
	m.touches = 2;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "touches 2: none");
	m.touches = 2.5;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "touches 2.5: none");
	m.touches = 12;
	is_int(verdict(m).route, ESC_ROUTE_HUMAN, "touches 12: human");

	/* revenue at risk over $5,000 */
	m = msg(order);
	m.at_risk = 5000;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "revenue_at_risk 5000 is not over 5000");
	m.at_risk = 5000.01;
	v = verdict(m);
	is_int(v.route, ESC_ROUTE_HUMAN, "revenue_at_risk 5000.01 is");
	ok(has_alert(v, "high_value"), "revenue_at_risk 5000.01: high_value");
	m.at_risk = 6000;
	is_int(verdict(m).route, ESC_ROUTE_HUMAN, "revenue_at_risk 6000: human");
	m.at_risk = 4000;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "revenue_at_risk 4000: none");
	m.at_risk = 0;
	is_int(verdict(m).route, ESC_ROUTE_NONE, "revenue_at_risk 0: none");

	/* keywords, and a human need outranks a paid offer */
	v = verdict(msg("I want to cancel my subscription"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "cancel"), "cancel: human, cancel alert");
	v = verdict(msg("My lawyer will be in touch"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "legal"), "lawyer: human, legal alert");
	v = verdict(msg("Can I speak to a real person please?"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "human_requested"), "a real person: human_requested");
	v = verdict(msg("I'm switching to another company"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "competitor"), "another company: competitor");
	m = msg("Can you review my pricing structure? Otherwise I want to cancel my membership.");
	v = verdict(m);
	is_int(v.route, ESC_ROUTE_HUMAN, "paid indicators and a cancel threat: human wins");
	is_int(v.scores[1], 2, "... the indicators are still scored");
	is_reasons(m, "cancel", "human over paid");
	m = msg("Can you review my pricing structure?");
	m.touches = 3;
	is_int(verdict(m).route, ESC_ROUTE_HUMAN, "paid indicators and 3 touches: human");
	v = verdict(msg("THIS IS HORRIBLE. YOU RUINED MY HAIR AND I AM FURIOUS!!!"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "negative_sentiment"),
		"strongly negative ALL CAPS (%.4f): human, negative_sentiment", v.sent.compound);
	v = verdict(msg("The lace was a bit disappointing"));
	ok(v.route == ESC_ROUTE_NONE && v.sent.compound < 0 && v.sent.compound > -0.6,
		"mildly negative (%.4f): none", v.sent.compound);

	/* a cue a few words before an alert's phrase undoes it (negated_by) */
	v = verdict(msg("I don't want to cancel, I love it"));
	ok(v.route == ESC_ROUTE_NONE && !has_alert(v, "cancel") && v.severity == 0,
		"\"I don't want to cancel, I love it\": no cancel alert, route none, low");
	v = verdict(msg("I am not going to a competitor"));
	ok(v.route == ESC_ROUTE_NONE && !has_alert(v, "competitor"),
		"\"I am not going to a competitor\": no competitor alert (nor competitor*, inside it)");
	ok(!has_alert(verdict(msg("I would never cancel my subscription")), "cancel"),
		"\"I would never cancel my subscription\": no cancel alert");
	ok(!has_alert(verdict(msg("I'm not switching to another provider")), "competitor"),
		"\"I'm not switching to another provider\": no competitor alert");
	ok(!has_alert(verdict(msg("I do not want to close my account")), "cancel"),
		"\"I do not want to close my account\": no cancel alert");
	ok(!has_alert(verdict(msg("I have no intention of cancelling my membership")), "cancel"),
		"\"no intention of cancelling my membership\": no cancel alert");
	v = verdict(msg("I can't take this, I'm cancelling"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "cancel"),
		"\"I can't take this, I'm cancelling\": the comma ends the negation's clause");
	v = verdict(msg("if this isn't fixed I'll go to a competitor"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "competitor"),
		"\"if this isn't fixed I'll go to a competitor\": competitor");
	v = verdict(msg("I don't understand why you won't refund me"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "refund"),
		"\"... why you won't refund me\": refund (a refused refund is not a negated one)");
	v = verdict(msg("not happy, I want a refund"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "refund"), "\"not happy, I want a refund\": refund");
	ok(has_alert(verdict(msg("I still haven't received my refund")), "refund"),
		"\"I still haven't received my refund\": refund");
	ok(has_alert(verdict(msg("it won't let me cancel my subscription")), "cancel"),
		"\"it won't let me cancel my subscription\": cancel (a pseudo-negation)");
	ok(has_alert(verdict(msg("not happy want to cancel my account")), "cancel"),
		"\"not happy want to cancel my account\": cancel (the \"not\" is the happiness's)");
	ok(has_alert(verdict(msg("I'm not happy and I want to cancel my subscription")), "cancel"),
		"\"not happy and I want to cancel\": cancel (\"and\" starts another clause)");
	ok(has_alert(verdict(msg("I don't want to cancel my plan. I want to cancel my plan")), "cancel"),
		"the same phrase undone once and meant once: cancel");
	ok(has_alert(verdict(msg("I never got my refund and I don't want to cancel my plan, "
		"but I will cancel my plan")), "cancel"),
		"a later phrase in a new clause still counts");

	/* asking to cancel, and not being able to, is a cancel alert */
	v = verdict(msg("I don't want this anymore, cancel it"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "cancel"),
		"\"I don't want this anymore, cancel it\": cancel");
	v = verdict(msg("why can't I cancel?"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "cancel"), "\"why can't I cancel?\": cancel");
	ok(has_alert(verdict(msg("The app won't let me cancel")), "cancel"),
		"\"The app won't let me cancel\": cancel");
	ok(!has_alert(verdict(msg("Please don't cancel it, I still need it")), "cancel"),
		"\"Please don't cancel it, I still need it\": no cancel alert");

	/* thanks for a refund, or a refund taken back, asks for none */
	v = verdict(msg("Thank you for the quick refund \xf0\x9f\x99\x8f"));
	ok(v.route == ESC_ROUTE_NONE && !has_alert(v, "refund"),
		"\"Thank you for the quick refund\" (folded hands): no refund alert, route none");
	ok(!has_alert(verdict(msg("Thanks for processing my refund so quickly!")), "refund"),
		"\"Thanks for processing my refund so quickly!\": no refund alert");
	ok(!has_alert(verdict(msg("Videos are working now, never mind the refund. Thank you!")), "refund"),
		"\"never mind the refund\": no refund alert");
	v = verdict(msg("Thanks for the refund, but I was charged twice"));
	ok(v.route == ESC_ROUTE_HUMAN && has_alert(v, "dispute") && !has_alert(v, "refund"),
		"\"Thanks for the refund, but I was charged twice\": dispute, not refund");
	ok(has_alert(verdict(msg("Thank you for your help, I want a refund")), "refund"),
		"\"Thank you for your help, I want a refund\": refund");
	ok(has_alert(verdict(msg("Can I get a refund please? Thank you")), "refund"),
		"\"Can I get a refund please? Thank you\": refund");
	ok(has_alert(verdict(msg("I'd appreciate a refund")), "refund"), "\"I'd appreciate a refund\": refund");
	ok(has_alert(verdict(msg("Thanks for nothing refund me now")), "refund"),
		"\"Thanks for nothing refund me now\": refund");
	ok(has_alert(verdict(msg("never mind cancel my subscription")), "cancel"),
		"\"never mind cancel my subscription\": cancel (\"never mind\" is no negation)");

	/* happy tears are not a frustrated customer */
	v = verdict(msg("I DID IT!!! \xf0\x9f\x98\xad\xf0\x9f\x98\xad thank you"));
	ok(v.route == ESC_ROUTE_NONE && !has_alert(v, "negative_sentiment") && v.sent.compound > 0,
		"\"I DID IT!!! (loudly crying x2) thank you\": positive (%.4f), route none",
		v.sent.compound);

	/* severity: the weights of the alerts raised */
	is_int(verdict(msg(howto)).severity, 0, "nothing raised: low");
	is_int(verdict(msg("I need a strategy to restructure the whole thing")).severity, 0,
		"a paid escalation: low");
	is_int(verdict(msg("Can I speak to a real person please?")).severity, 1,
		"human_requested (weight 1): medium");
	m = msg(order);
	m.touches = 3;
	is_int(verdict(m).severity, 1, "repeat_contact (weight 2): medium");
	is_int(verdict(msg("I want to cancel my subscription")).severity, 2, "cancel (weight 3): high");
	is_int(verdict(msg("I want to cancel my subscription or my lawyer will call")).severity, 3,
		"cancel + legal (weight 7): critical");
	m = msg(order);
	m.touches = 3;
	m.at_risk = 9000;
	is_int(verdict(m).severity, 2, "repeat_contact + high_value (weight 4): high");
	m = msg("Can I speak to a real person please?");
	m.touches = 3;
	m.at_risk = 9000;
	is_int(verdict(m).severity, 3, "... + human_requested (weight 5): critical");

	/* names */
	is_str(esc_route_name(ESC_ROUTE_PAID), "paid", "route names: paid");
	ok(!strcmp(esc_route_name(ESC_ROUTE_HUMAN), "human") && !strcmp(esc_route_name(ESC_ROUTE_NONE), "none"),
		"route names: human, none");
	ok(!strcmp(esc_severity_name(0), "low") && !strcmp(esc_severity_name(1), "medium") &&
		!strcmp(esc_severity_name(2), "high") && !strcmp(esc_severity_name(3), "critical"),
		"severity names: low, medium, high, critical");
	ok(!strcmp(esc_severity_name(-1), "low") && !strcmp(esc_severity_name(9), "critical"),
		"severity names clamp out-of-range levels");

	/* the JSON object */
	m = msg(howto);
	ok(esc_detect_json(d, &m, &b) == 0 && b.len > 0 && b.p[0] == '{' && b.p[b.len - 1] == '}',
		"esc_detect_json appends one object");
	esc_buf_free(&b);

	esc_detector_free(d);
	return done();
}
