/* plan.c — which plan to recommend to an account whose usage crossed an
 * alert level: the rules in share/upsell/plans.json (the default), or an
 * OpenAI-compatible model when $ESC_AI_URL and $ESC_AI_KEY are set, whose
 * reply is used only if it is a plan of the right shape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net.h"
#include "opps.h"

/* a model's words are kept, within reason */
#define TEXT_MAX 4000
#define FEATURES_MAX 32

struct esc_plans {
	json_t *doc;            /* plans.json */
	json_t *ladder;         /* borrowed from doc: [{plan, monthly, features}] */
	json_t *rules;
	double top_uplift;
	const char *currency;
	char *names;            /* "starter, growth, ..." */
};

static json_t *
data_err(struct esc_err *err, const char *what)
{
	esc_err_set(err, "data file %s/upsell/plans.json: %s", esc_share_dir(), what);
	err->code = ESC_EXIT_DATA;
	return NULL;
}

struct esc_plans *
esc_plans_load(struct esc_err *err)
{
	struct esc_plans *p;
	struct esc_buf names = { 0 };
	json_t *step, *v, *r;
	size_t i;

	if (!(p = calloc(1, sizeof *p))) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	if (!(p->doc = esc_share_json("upsell/plans.json", err))) {
		err->code = ESC_EXIT_DATA;
		free(p);
		return NULL;
	}
	p->ladder = json_object_get(p->doc, "ladder");
	p->rules = json_object_get(p->doc, "rules");
	p->currency = json_string_value(json_object_get(p->doc, "currency"));
	v = json_object_get(p->doc, "top_uplift");
	p->top_uplift = json_is_number(v) ? json_number_value(v) : 0;
	if (!json_is_array(p->ladder) || !json_array_size(p->ladder)) {
		data_err(err, "\"ladder\" must be an array of plans");
		goto fail;
	}
	json_array_foreach(p->ladder, i, step) {
		if (!json_is_string(json_object_get(step, "plan")) ||
		    !json_is_number(json_object_get(step, "monthly")) ||
		    !(json_number_value(json_object_get(step, "monthly")) >= 0 &&
		      json_number_value(json_object_get(step, "monthly")) <= ESC_OPPS_NUM_MAX) ||
		    !json_is_array(json_object_get(step, "features"))) {
			data_err(err, "each ladder step needs \"plan\", \"monthly\" (a price from 0 "
				"to 1e15) and \"features\"");
			goto fail;
		}
		esc_buf_printf(&names, "%s%s", i ? ", " : "",
			json_string_value(json_object_get(step, "plan")));
	}
	if (!json_is_array(p->rules) || !json_array_size(p->rules)) {
		data_err(err, "\"rules\" must be an array");
		goto fail;
	}
	json_array_foreach(p->rules, i, r)
		if (!json_is_string(json_object_get(r, "metric")) ||
		    !json_is_integer(json_object_get(r, "steps")) ||
		    json_integer_value(json_object_get(r, "steps")) < 0) {
			data_err(err, "each rule needs \"metric\" and \"steps\" (a whole number)");
			goto fail;
		}
	if (!p->currency || !json_is_string(json_object_get(p->doc, "roi")) ||
	    !json_is_string(json_object_get(p->doc, "roi_no_more")) ||
	    !json_is_object(json_object_get(p->doc, "justification")) ||
	    !json_is_object(json_object_get(p->doc, "risk"))) {
		data_err(err, "\"currency\", \"roi\", \"roi_no_more\", \"justification\" and "
			"\"risk\" are needed");
		goto fail;
	}
	esc_buf_putc(&names, '\0');
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		goto fail;
	}
	p->names = names.p;
	return p;
fail:
	esc_buf_free(&names);
	esc_plans_free(p);
	return NULL;
}

void
esc_plans_free(struct esc_plans *p)
{
	if (!p)
		return;
	json_decref(p->doc);
	free(p->names);
	free(p);
}

static long
step_of(const struct esc_plans *p, const char *name)
{
	json_t *step;
	size_t i;

	if (!name)
		return -1;
	json_array_foreach(p->ladder, i, step)
		if (!strcmp(json_string_value(json_object_get(step, "plan")), name))
			return (long)i;
	return -1;
}

int
esc_plans_has(const struct esc_plans *p, const char *name)
{
	return step_of(p, name) >= 0;
}

const char *
esc_plans_names(const struct esc_plans *p)
{
	return p->names;
}

const char *
esc_plans_currency(const struct esc_plans *p)
{
	return p->currency;
}

/* ---- templates ---- */

int
esc_fill(const char *tmpl, const json_t *vars, struct esc_buf *out, struct esc_err *err)
{
	const char *s = tmpl, *open, *close;
	char key[64], num[ESC_NUM_MAX];
	int nl;
	json_t *v;
	size_t n;

	while ((open = strchr(s, '{'))) {
		esc_buf_put(out, s, (size_t)(open - s));
		close = strchr(open, '}');
		n = close ? (size_t)(close - open - 1) : 0;
		/* a brace that opens no placeholder is text */
		if (!close || n == 0 || n >= sizeof key || strcspn(open + 1, "{ \n") < n) {
			esc_buf_putc(out, '{');
			s = open + 1;
			continue;
		}
		memcpy(key, open + 1, n);
		key[n] = '\0';
		v = json_object_get(vars, key);
		if (json_is_string(v))
			esc_buf_puts(out, json_string_value(v));
		else if (json_is_number(v) && (nl = esc_num_fmt(num, json_number_value(v))) &&
		    !(nl == 4 && !memcmp(num, "null", 4)))
			esc_buf_put(out, num, (size_t)nl);
		else if (json_is_number(v)) {
			/* never "null" where a reader expects a number */
			esc_err_set(err, "template placeholder {%s}: the number is too large to write",
				key);
			err->code = ESC_EXIT_DATA;
			return -1;
		} else {
			esc_err_set(err, "template placeholder {%s} has no value", key);
			err->code = ESC_EXIT_DATA;
			return -1;
		}
		s = close + 1;
	}
	esc_buf_puts(out, s);
	return 0;
}

/* Fill tmpl into a new JSON string. */
static json_t *
fill_str(const char *tmpl, const json_t *vars, struct esc_err *err)
{
	struct esc_buf b = { 0 };
	json_t *s;

	if (!tmpl)
		return data_err(err, "a text template is missing");
	if (esc_fill(tmpl, vars, &b, err) < 0) {
		esc_buf_free(&b);
		return NULL;
	}
	esc_buf_putc(&b, '\0');
	s = esc_buf_oom ? NULL : json_string(b.p);
	esc_buf_free(&b);
	if (!s)
		esc_err_set(err, "out of memory");
	return s;
}

/* A key's text from an object of texts, or its "default". */
static const char *
text_for(json_t *texts, const char *key)
{
	json_t *t = key ? json_object_get(texts, key) : NULL;

	if (!json_is_string(t))
		t = json_object_get(texts, "default");
	return json_string_value(t);
}

static double
round2(double v)
{
	return round(v * 100) / 100;
}

/* A whole amount is written as one: 4788, not 4788.0. */
static json_t *
jnum(double v)
{
	return v == floor(v) && fabs(v) < 9007199254740992.0 ? json_integer((json_int_t)v) :
		json_real(v);
}

/* ---- the rules ---- */

json_t *
esc_plan_rules(const struct esc_plans *p, const json_t *facts, struct esc_err *err)
{
	const char *metric = json_string_value(json_object_get(facts, "metric"));
	const char *cur = json_string_value(json_object_get(facts, "current_plan"));
	double value = json_number_value(json_object_get(facts, "value"));
	double threshold = json_number_value(json_object_get(facts, "threshold"));
	json_t *spend = json_object_get(facts, "current_spend");
	long at = step_of(p, cur), steps = 0, top = (long)json_array_size(p->ladder) - 1, to;
	double monthly, cur_monthly, uplift, est;
	int no_more;
	json_t *r, *step, *vars = NULL, *plan = NULL, *v;
	const char *rm;
	size_t i;

	if (at < 0) {
		esc_err_set(err, "current plan \"%s\" is not on the ladder (%s)", cur ? cur : "",
			p->names);
		return NULL;
	}
	json_array_foreach(p->rules, i, r) {
		rm = json_string_value(json_object_get(r, "metric"));
		v = json_object_get(r, "value_over");
		if ((!strcmp(rm, "*") || (metric && !strcmp(rm, metric))) &&
		    (!json_is_number(v) || value > json_number_value(v))) {
			steps = (long)json_integer_value(json_object_get(r, "steps"));
			break;
		}
	}
	to = at + steps > top ? top : at + steps;
	step = json_array_get(p->ladder, (size_t)to);
	monthly = json_number_value(json_object_get(step, "monthly"));
	cur_monthly = json_is_number(spend) ? json_number_value(spend) :
		json_number_value(json_object_get(json_array_get(p->ladder, (size_t)at), "monthly"));
	/* past the top, the same plan with more capacity */
	if (to == at)
		uplift = monthly * p->top_uplift;
	else
		uplift = monthly - cur_monthly;
	/* an account that already spends the next plan's price or more (its
	 * overage, say) would pay no more on it: the plan still fits its
	 * use, but the words cannot say it "costs 0 more", and it brings no
	 * new revenue */
	no_more = to != at && uplift <= 0;
	if (uplift < 0)
		uplift = 0;
	est = round2(uplift * 12);

	if (!(vars = json_deep_copy(facts)))
		goto oom;
	json_object_set_new(vars, "account", json_incref(json_object_get(facts, "account_id")));
	json_object_set_new(vars, "metric", json_incref(json_object_get(facts, "metric_label")));
	json_object_set_new(vars, "plan", json_incref(json_object_get(step, "plan")));
	json_object_set_new(vars, "monthly", jnum(monthly));
	json_object_set_new(vars, "current_monthly", jnum(cur_monthly));
	json_object_set_new(vars, "uplift", jnum(round2(uplift)));
	json_object_set_new(vars, "saving", jnum(no_more ? round2(cur_monthly - monthly) : 0));
	json_object_set_new(vars, "estimated_value", jnum(est));
	json_object_set_new(vars, "currency", json_string(p->currency));
	json_object_set_new(vars, "times", jnum(threshold > 0 ?
		round(value / threshold * 10) / 10 : 0));
	if (!json_is_string(json_object_get(vars, "trend")))
		json_object_set_new(vars, "trend", json_string("unknown"));
	if (!json_is_string(json_object_get(vars, "period")))
		json_object_set_new(vars, "period", json_string("recent"));

	if (!(plan = json_object()))
		goto oom;
	json_object_set(plan, "plan", json_object_get(step, "plan"));
	json_object_set_new(plan, "estimated_value", jnum(est));
	if (!(v = fill_str(text_for(json_object_get(p->doc, "justification"), metric), vars, err)))
		goto fail;
	json_object_set_new(plan, "justification", v);
	json_object_set_new(plan, "features", json_deep_copy(json_object_get(step, "features")));
	if (!(v = fill_str(json_string_value(json_object_get(p->doc, no_more ? "roi_no_more" :
	    "roi")), vars, err)))
		goto fail;
	json_object_set_new(plan, "roi", v);
	if (!(v = fill_str(text_for(json_object_get(p->doc, "risk"),
	    json_string_value(json_object_get(facts, "trend"))), vars, err)))
		goto fail;
	json_object_set_new(plan, "risk", v);
	json_decref(vars);
	return plan;
oom:
	esc_err_set(err, "out of memory");
fail:
	json_decref(vars);
	json_decref(plan);
	return NULL;
}

/* ---- checking a plan from outside ---- */

static json_t *
why_set(char *why, size_t n, const char *fmt, const char *a)
{
	snprintf(why, n, fmt, a);
	return NULL;
}

static int
text_ok(json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= TEXT_MAX;
}

json_t *
esc_plan_check(const struct esc_plans *p, const json_t *in, char *why, size_t whylen)
{
	static const char *const texts[] = { "justification", "roi", "risk" };
	json_t *plan, *v, *f;
	size_t i;

	if (!json_is_object(in))
		return why_set(why, whylen, "%s", "the plan is not a JSON object");
	v = json_object_get(in, "plan");
	if (!json_is_string(v))
		return why_set(why, whylen, "%s", "field \"plan\" missing or not a string");
	if (!esc_plans_has(p, json_string_value(v)))
		return why_set(why, whylen, "plan is not on the ladder (%s)", p->names);
	v = json_object_get(in, "estimated_value");
	if (!json_is_number(v) || !(json_number_value(v) >= 0 &&
	    json_number_value(v) <= ESC_OPPS_NUM_MAX))
		return why_set(why, whylen, "%s", "field \"estimated_value\" must be a number "
			"from 0 to 1e15");
	for (i = 0; i < sizeof texts / sizeof *texts; i++)
		if (!text_ok(json_object_get(in, texts[i])))
			return why_set(why, whylen, "field \"%s\" must be a non-empty string", texts[i]);
	v = json_object_get(in, "features");
	if (!json_is_array(v) || json_array_size(v) > FEATURES_MAX)
		return why_set(why, whylen, "%s", "field \"features\" must be an array of strings");
	json_array_foreach(v, i, f)
		if (!text_ok(f))
			return why_set(why, whylen, "%s", "field \"features\" must be an array of strings");
	if (!(plan = json_pack("{s:O,s:o,s:O,s:O,s:O,s:O}",
	    "plan", json_object_get(in, "plan"),
	    "estimated_value", jnum(round2(json_number_value(json_object_get(in, "estimated_value")))),
	    "justification", json_object_get(in, "justification"),
	    "features", json_object_get(in, "features"),
	    "roi", json_object_get(in, "roi"),
	    "risk", json_object_get(in, "risk"))))
		return why_set(why, whylen, "%s", "out of memory");
	return plan;
}

/* ---- the model ---- */

int
esc_plan_ai_on(void)
{
	const char *u = getenv("ESC_AI_URL");

	return u && *u;
}

/* The chat-completions URL: $ESC_AI_URL as is when it names the endpoint,
 * else the endpoint under it (an OpenAI-compatible base such as
 * https://api.openai.com/v1). Caller frees. */
static char *
ai_url(const char *base)
{
	static const char ep[] = "/chat/completions";
	size_t n = strlen(base);
	char *u;

	while (n && base[n - 1] == '/')
		n--;
	if (n >= sizeof ep - 1 && !memcmp(base + n - (sizeof ep - 1), ep, sizeof ep - 1))
		return strndup(base, n);
	if (!(u = malloc(n + sizeof ep)))
		return NULL;
	memcpy(u, base, n);
	memcpy(u + n, ep, sizeof ep);
	return u;
}

/* The request: the system prompt from plans.json and the facts, the
 * ladder and its prices as the user's message. */
static char *
ai_request(const struct esc_plans *p, const json_t *facts)
{
	json_t *ai = json_object_get(p->doc, "ai"), *ask, *rq;
	const char *model = getenv("ESC_AI_MODEL");
	char *user, *body;

	if (!model || !*model)
		model = json_string_value(json_object_get(ai, "model"));
	ask = json_pack("{s:O,s:O,s:s}", "usage_alert_and_contract", facts, "plans", p->ladder,
		"currency", p->currency);
	user = ask ? esc_json_text(ask) : NULL;
	json_decref(ask);
	if (!user)
		return NULL;
	rq = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}],s:i}",
		"model", model ? model : "gpt-4o-mini",
		"messages", "role", "system", "content",
		json_string_value(json_object_get(ai, "system")) ?
		json_string_value(json_object_get(ai, "system")) : "",
		"role", "user", "content", user,
		"temperature", 0);
	free(user);
	body = rq ? esc_json_text(rq) : NULL;
	json_decref(rq);
	return body;
}

/* A model may wrap its JSON in a Markdown code fence: take what is inside. */
static json_t *
load_content(const char *s, size_t n, json_error_t *je)
{
	const char *nl, *end;

	while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
		s++, n--;
	if (n >= 3 && !memcmp(s, "```", 3) && (nl = memchr(s, '\n', n))) {
		n -= (size_t)(nl + 1 - s);
		s = nl + 1;
		end = s + n;
		while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
			end--;
		if (end - s >= 3 && !memcmp(end - 3, "```", 3))
			end -= 3;
		n = (size_t)(end - s);
	}
	return json_loadb(s, n, JSON_REJECT_DUPLICATES, je);
}

json_t *
esc_plan_ai(const struct esc_plans *p, const struct esc_net *n, const json_t *facts,
	char *why, size_t whylen)
{
	const char *key = getenv("ESC_AI_KEY"), *content;
	struct esc_http_resp rs = { 0 };
	struct esc_http_req rq = { 0 };
	struct esc_err err = { 0 };
	json_t *reply = NULL, *msg, *inner = NULL, *plan = NULL;
	char *url, *body;
	json_error_t je;
	size_t clen;

	if (!key || !*key)
		return why_set(why, whylen, "%s", "ESC_AI_KEY is not set");
	if (!(url = ai_url(getenv("ESC_AI_URL"))) || !(body = ai_request(p, facts))) {
		free(url);
		return why_set(why, whylen, "%s", "out of memory");
	}
	rq.url = url;
	rq.body = body;
	rq.len = strlen(body);
	rq.bearer = key;
	if (esc_http(n, &rq, &rs, &err) < 0) {
		why_set(why, whylen, "%s", err.msg);
		goto done;
	}
	if (!(reply = json_loadb(rs.body.p ? rs.body.p : "", rs.body.len, 0, &je))) {
		why_set(why, whylen, "%s", "the model's reply is not JSON");
		goto done;
	}
	msg = json_object_get(json_object_get(json_array_get(json_object_get(reply, "choices"), 0),
		"message"), "content");
	if (!json_is_string(msg)) {
		why_set(why, whylen, "%s", "the model's reply has no choices[0].message.content");
		goto done;
	}
	content = json_string_value(msg);
	clen = json_string_length(msg);
	if (!(inner = load_content(content, clen, &je))) {
		why_set(why, whylen, "%s", "the model's answer is not a JSON object");
		goto done;
	}
	plan = esc_plan_check(p, inner, why, whylen);
done:
	json_decref(inner);
	json_decref(reply);
	esc_http_resp_free(&rs);
	free(body);
	free(url);
	return plan;
}
