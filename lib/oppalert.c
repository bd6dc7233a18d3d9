/* oppalert.c — a usage alert in (upsell-gen --usage): checked against the
 * trigger, the account's contract found, the plan made (plan.c) and the
 * mail drafted, the opportunity's row committed; then the Slack summary,
 * and for full automation the mail (oppsend.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "opps-int.h"

/* Does the array of strings hold s? */
static int
listed(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

static void
list_text(json_t *arr, struct esc_buf *b)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		esc_buf_printf(b, "%s%s", i ? ", " : "", json_string_value(v));
	esc_buf_putc(b, '\0');
}

static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at > s && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
		at[strlen(at) - 1] != '.' && !strpbrk(s, " \t\r\n<>,;\"");
}

struct alert {
	char id[ID_MAX], account[ID_MAX], customer[ID_MAX];
	const char *metric, *severity, *trend, *period;
	double value;
	time_t at;
	int sev;
};

/* Why an alert does not trigger, as a small object; NULL when it does. */
static json_t *
why_not(struct esc_opps *o, const struct alert *a)
{
	json_t *trig = json_object_get(o->usage, "trigger");
	struct esc_buf b = { 0 }, list = { 0 };
	const char *rule = NULL;
	json_t *w;

	if (!listed(json_object_get(trig, "severities"), a->severity)) {
		rule = "severity";
		list_text(json_object_get(trig, "severities"), &list);
		esc_buf_printf(&b, "severity %s is not one of %s", a->severity, list.p);
	} else if (!listed(json_object_get(trig, "metrics"), a->metric)) {
		rule = "metric";
		list_text(json_object_get(trig, "metrics"), &list);
		esc_buf_printf(&b, "metric %s is not one of %s", a->metric, list.p);
	} else if (!(a->value > o->threshold)) {
		rule = "threshold";
		esc_buf_puts(&b, "value ");
		esc_buf_json_num(&b, a->value);
		esc_buf_puts(&b, " is not over the threshold ");
		esc_buf_json_num(&b, o->threshold);
	}
	if (!rule)
		return NULL;
	esc_buf_putc(&b, '\0');
	w = json_pack("{s:s,s:s}", "rule", rule, "detail", b.p ? b.p : "");
	esc_buf_free(&b);
	esc_buf_free(&list);
	return w;
}

/* The account's contract: the file's, with the record's own members over
 * it. NULL with err when there is none or it is not usable. */
static json_t *
contract_for(struct esc_opps *o, json_t *line, const struct alert *a, struct esc_err *err)
{
	json_t *own = json_object_get(line, "contract"), *c = NULL, *from;
	json_t *contact;
	const char *s;
	double d = 0;
	time_t t;

	if (own && !json_is_null(own) && !json_is_object(own)) {
		esc_err_set(err, "field \"contract\" must be an object");
		return NULL;
	}
	from = o->contracts ? json_object_get(o->contracts, a->account) : NULL;
	if (from)
		c = json_deep_copy(from);
	else if (json_is_object(own))
		c = json_object();
	if (!c) {
		esc_err_set(err, "no contract for account \"%s\": give the alert a \"contract\" "
			"object, or --contracts FILE", a->account);
		return NULL;
	}
	if (json_is_object(own))
		json_object_update(c, own);
	if (esc_opp_get_str(c, "contract.", "current_plan", 1, &s, err) < 0)
		goto bad;
	if (!esc_plans_has(o->plans, s)) {
		esc_err_set(err, "field \"contract.current_plan\" must be a plan on the ladder (%s)",
			esc_plans_names(o->plans));
		goto bad;
	}
	if (esc_opp_get_num(c, "contract.", "current_spend", 0, &d, err) < 0)
		goto bad;
	if (json_object_get(c, "current_spend") && d < 0) {
		esc_err_set(err, "field \"contract.current_spend\" must be a number >= 0");
		goto bad;
	}
	if (d > ESC_OPPS_NUM_MAX) {
		esc_err_set(err, "field \"contract.current_spend\" is out of range (0 to 1e15)");
		goto bad;
	}
	if (esc_opp_get_time(c, "contract.", "contract_end_date", &t, err) < 0 ||
	    esc_opp_get_time(c, "contract.", "renewal_date", &t, err) < 0)
		goto bad;
	contact = json_object_get(c, "contact");
	if (!json_is_object(contact)) {
		esc_err_set(err, contact ? "field \"contract.contact\" must be an object" :
			"field \"contract.contact\" missing: the email goes to its \"email\"");
		goto bad;
	}
	if (esc_opp_get_str(contact, "contract.contact.", "email", 1, &s, err) < 0)
		goto bad;
	if (!email_ok(s)) {
		esc_err_set(err, "field \"contract.contact.email\" is not an email address");
		goto bad;
	}
	if (esc_opp_get_str(contact, "contract.contact.", "name", 0, &s, err) < 0)
		goto bad;
	return c;
bad:
	json_decref(c);
	return NULL;
}

/* The plan's facts: what the rules and the model see (no contact). */
static json_t *
facts_for(struct esc_opps *o, const struct alert *a, json_t *c)
{
	json_t *f, *labels = json_object_get(o->usage, "metric_labels");
	static const char *const dates[] = { "contract_end_date", "renewal_date" };
	size_t i;

	f = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:O}",
		"account_id", a->account,
		"metric", a->metric,
		"metric_label", json_is_string(json_object_get(labels, a->metric)) ?
			json_string_value(json_object_get(labels, a->metric)) : a->metric,
		"value", esc_opp_jnum(a->value),
		"threshold", esc_opp_jnum(o->threshold),
		"severity", a->severity,
		"current_plan", json_object_get(c, "current_plan"));
	if (!f)
		return NULL;
	if (a->trend)
		json_object_set_new(f, "trend", json_string(a->trend));
	if (a->period)
		json_object_set_new(f, "period", json_string(a->period));
	if (json_is_number(json_object_get(c, "current_spend")))
		json_object_set(f, "current_spend", json_object_get(c, "current_spend"));
	for (i = 0; i < 2; i++)
		if (json_is_string(json_object_get(c, dates[i])))
			json_object_set(f, dates[i], json_object_get(c, dates[i]));
	return f;
}

const char *
esc_opp_automation_of(struct esc_opps *o, const char *severity)
{
	return json_string_value(json_object_get(json_object_get(o->usage, "automation"), severity));
}

/* Draft the mail from email.txt; 0 or -1 with err. */
static int
draft(struct esc_opps *o, const struct alert *a, json_t *c, json_t *plan, char **subject,
	char **body, struct esc_err *err)
{
	json_t *row, *vars;
	char *p;

	/* the same values the later mails use, from what the row will hold */
	row = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:O,s:s,s:O*}",
		"account_id", a->account, "metric", a->metric, "severity", a->severity,
		"value", esc_opp_jnum(a->value), "threshold", esc_opp_jnum(o->threshold),
		"automation", esc_opp_automation_of(o, a->severity),
		"current_plan", json_object_get(c, "current_plan"), "state", "drafted",
		"contact_name", json_object_get(json_object_get(c, "contact"), "name"));
	if (!row || !(p = esc_json_text(plan))) {
		json_decref(row);
		esc_err_set(err, "out of memory");
		return -1;
	}
	json_object_set_new(row, "plan_json", json_string(p));
	json_object_set_new(row, "id", json_integer(0));
	free(p);
	if (a->period)
		json_object_set_new(row, "period", json_string(a->period));
	if (a->trend)
		json_object_set_new(row, "trend", json_string(a->trend));
	vars = esc_opp_mail_vars(o, row);
	json_decref(row);
	*subject = esc_opp_fill(o->email_subject, vars, err);
	*body = *subject ? esc_opp_fill(o->email_body, vars, err) : NULL;
	json_decref(vars);
	if (!*body) {
		free(*subject);
		*subject = NULL;
		return -1;
	}
	return 0;
}

enum esc_rc
esc_opp_alert_line(struct esc_opps *o, json_t *line, json_t **res, json_t **whynot, struct esc_err *err)
{
	struct alert a = { 0 };
	json_t *c = NULL, *facts = NULL, *plan = NULL, *ai = NULL;
	char note[700] = "", *subject = NULL, *body = NULL, *pj = NULL, why[600];
	const char *auto_, *slack;
	sqlite3_int64 id = 0;
	sqlite3_stmt *st;
	int fresh, sent = 0;
	enum esc_rc rc = ESC_REC_REJECT;

	if (esc_opp_get_id(line, "id", 1, a.id, err) < 0 ||
	    esc_opp_get_id(line, "account_id", 1, a.account, err) < 0 ||
	    esc_opp_get_str(line, "", "metric", 1, &a.metric, err) < 0 ||
	    esc_opp_get_num(line, "", "value", 1, &a.value, err) < 0 ||
	    esc_opp_get_str(line, "", "severity", 1, &a.severity, err) < 0 ||
	    esc_opp_get_str(line, "", "trend", 0, &a.trend, err) < 0 ||
	    esc_opp_get_str(line, "", "period", 0, &a.period, err) < 0 ||
	    esc_opp_get_time(line, "", "at", &a.at, err) < 0)
		return ESC_REC_REJECT;
	/* past the bound the mail could not say it */
	if (fabs(a.value) > ESC_OPPS_NUM_MAX) {
		esc_err_set(err, "field \"value\" is out of range (-1e15 to 1e15)");
		return ESC_REC_REJECT;
	}
	if ((a.sev = esc_severity_parse(a.severity, strlen(a.severity))) < 0) {
		esc_err_set(err, "field \"severity\" must be low, medium, high or critical");
		return ESC_REC_REJECT;
	}
	if (esc_opp_get_id(line, "customer_id", 0, a.customer, err) < 0 ||
	    (!a.customer[0] && esc_opp_get_id(line, "customer", 0, a.customer, err) < 0))
		return ESC_REC_REJECT;
	if ((*whynot = why_not(o, &a))) {
		*res = json_null();
		return ESC_REC_OK;
	}
	if (!(c = contract_for(o, line, &a, err)))
		return ESC_REC_REJECT;

	/* seen before: the same opportunity, untouched */
	esc_opp_bind_text(o->st[O_BYALERT], 1, a.id);
	if ((fresh = esc_opp_one_int(o, O_BYALERT, &id, err)) < 0)
		goto fatal;
	if (fresh) {
		if (!(*res = esc_opp_render_id(o, id, 1, err)))
			goto fatal;
		json_object_set_new(*res, "new", json_false());
		rc = ESC_REC_OK;
		goto done;
	}

	rc = ESC_REC_FATAL;
	if (!(facts = facts_for(o, &a, c))) {
		esc_err_set(err, "out of memory");
		goto done;
	}
	if (!(plan = esc_plan_rules(o->plans, facts, err)))
		goto done;
	if (esc_plan_ai_on()) {
		if (o->o.dry_run)
			snprintf(note, sizeof note, "dry run: the model was not asked");
		else if ((ai = esc_plan_ai(o->plans, &o->net, facts, why, sizeof why))) {
			json_decref(plan);
			plan = ai;
		} else {
			snprintf(note, sizeof note, "the model's plan was not used: %s", why);
			esc_opp_warn(o, "%s", note);
		}
	}
	if (draft(o, &a, c, plan, &subject, &body, err) < 0 || !(pj = esc_json_text(plan)))
		goto done;

	auto_ = esc_opp_automation_of(o, a.severity);
	if (esc_opp_tx_begin(o, err) < 0)
		goto fatal;
	st = o->st[O_INS];
	esc_opp_bind_text(st, 1, a.id);
	esc_opp_bind_text(st, 2, a.account);
	esc_opp_bind_text(st, 3, a.customer[0] ? a.customer : NULL);
	esc_opp_bind_text(st, 4, a.metric);
	sqlite3_bind_double(st, 5, a.value);
	sqlite3_bind_double(st, 6, o->threshold);
	esc_opp_bind_text(st, 7, a.severity);
	esc_opp_bind_text(st, 8, auto_);
	esc_opp_bind_text(st, 9, json_string_value(json_object_get(c, "current_plan")));
	esc_opp_bind_text(st, 10, json_string_value(json_object_get(plan, "plan")));
	sqlite3_bind_double(st, 11, json_number_value(json_object_get(plan, "estimated_value")));
	esc_opp_bind_text(st, 12, pj);
	esc_opp_bind_text(st, 13, ai ? "ai" : "rules");
	esc_opp_bind_text(st, 14, note[0] ? note : NULL);
	esc_opp_bind_text(st, 15, json_string_value(json_object_get(json_object_get(c, "contact"),
		"email")));
	esc_opp_bind_text(st, 16, json_string_value(json_object_get(json_object_get(c, "contact"),
		"name")));
	esc_opp_bind_text(st, 17, subject);
	esc_opp_bind_text(st, 18, body);
	sqlite3_bind_int(st, 19, !strcmp(auto_, "full"));
	sqlite3_bind_int64(st, 20, (sqlite3_int64)a.at);
	sqlite3_bind_int64(st, 21, (sqlite3_int64)esc_time_now());
	if ((fresh = esc_opp_run(o, O_INS, err)) < 0)
		goto fatal;
	esc_opp_bind_text(o->st[O_BYALERT], 1, a.id);
	if (esc_opp_one_int(o, O_BYALERT, &id, err) < 1)
		goto fatal;
	if (!fresh) {
		/* another run drafted it between the look and the insert */
		if (esc_opp_tx_commit(o, err) < 0 || !(*res = esc_opp_render_id(o, id, 1, err)))
			goto fatal;
		json_object_set_new(*res, "new", json_false());
		rc = ESC_REC_OK;
		goto done;
	}
	if (esc_opp_add_event(o, id, NULL, "drafted", a.at, json_pack("{s:s,s:s}", "automation", auto_,
	    "plan_source", ai ? "ai" : "rules"), err) < 0 || esc_opp_tx_commit(o, err) < 0)
		goto fatal;

	why[0] = '\0';
	if (!strcmp(auto_, "full") &&
	    (sent = esc_opp_send_mail(o, id, SEND_FIRST, why, sizeof why, err)) < 0)
		goto fatal;
	/* after the mail, so that the summary says what became of it */
	if (!(slack = esc_opp_post_slack(o, id, err)))
		goto fatal;
	if (!(*res = esc_opp_render_id(o, id, 1, err)))
		goto fatal;
	json_object_set_new(*res, "new", json_true());
	json_object_set_new(*res, "action", json_string(strcmp(auto_, "full") ? "drafted" :
		esc_opp_send_action(sent)));
	if (why[0] && sent != 2)
		json_object_set_new(*res, "error", json_string(why));
	json_object_set_new(*res, "slack", json_string(slack));
	rc = ESC_REC_OK;
	goto done;
fatal:
	esc_opp_tx_rollback(o);
	rc = ESC_REC_FATAL;
done:
	if (rc == ESC_REC_FATAL && !err->code)
		err->code = ESC_EXIT_STORE;
	free(subject);
	free(body);
	free(pj);
	json_decref(plan);
	json_decref(facts);
	json_decref(c);
	return rc;
}
