/* oppsend.c — what goes out: the mails (the first and the follow-ups),
 * each claimed in a committed transaction before the mail server is
 * called, and the Slack summary; and upsell-gen --due, which retries
 * failed sends, follows up, reminds, closes, and reports the sends a
 * crash cut short. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "opps-int.h"
#include "store.h"

/* ---- sending ---- */

/* Template values for the mails: the contact's name, the plan's words. */
json_t *
esc_opp_mail_vars(struct esc_opps *o, const json_t *row)
{
	json_t *plan = json_loads(esc_opp_col_str(row, "plan_json"), 0, NULL), *f, *labels, *v;
	struct esc_buf feat = { 0 };
	const char *metric = esc_opp_col_str(row, "metric"), *name = esc_opp_col_str(row, "contact_name");
	size_t i;

	labels = json_object_get(o->usage, "metric_labels");
	json_array_foreach(json_object_get(plan, "features"), i, f)
		esc_buf_printf(&feat, "%s  - %s", i ? "\n" : "", json_string_value(f));
	esc_buf_putc(&feat, '\0');
	v = json_pack("{s:s,s:O,s:O,s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:s,s:O,s:O,s:s,s:O,s:O}",
		"name", name && *name ? name : "there",
		"id", json_object_get(row, "id"),
		"account", json_object_get(row, "account_id"),
		"metric", json_is_string(json_object_get(labels, metric)) ?
			json_string_value(json_object_get(labels, metric)) : metric,
		"value", json_object_get(row, "value"),
		"threshold", json_object_get(row, "threshold"),
		"severity", json_object_get(row, "severity"),
		"current_plan", json_object_get(row, "current_plan"),
		"plan", json_object_get(plan, "plan"),
		"estimated_value", json_object_get(plan, "estimated_value"),
		"features", feat.p ? feat.p : "",
		"roi", json_object_get(plan, "roi"),
		"risk", json_object_get(plan, "risk"),
		"currency", esc_plans_currency(o->plans),
		"automation", json_object_get(row, "automation"),
		"state", json_object_get(row, "state"));
	esc_buf_free(&feat);
	json_decref(plan);
	if (v) {
		/* the alert's words, which only the first mail is drafted with */
		json_object_set_new(v, "period", json_string(json_is_string(json_object_get(row,
			"period")) ? esc_opp_col_str(row, "period") : "recent"));
		json_object_set_new(v, "trend", json_string(json_is_string(json_object_get(row,
			"trend")) ? esc_opp_col_str(row, "trend") : "unknown"));
		json_object_set(v, "sender", json_object_get(o->usage, "sender"));
		if (json_is_string(json_object_get(row, "email_subject")))
			json_object_set(v, "subject", json_object_get(row, "email_subject"));
	}
	return v;
}

/* Fill tmpl into a new string; NULL with err. */
char *
esc_opp_fill(const char *tmpl, const json_t *vars, struct esc_err *err)
{
	struct esc_buf b = { 0 };

	if (!vars) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	if (esc_fill(tmpl, vars, &b, err) < 0) {
		esc_buf_free(&b);
		return NULL;
	}
	esc_buf_putc(&b, '\0');
	if (esc_buf_oom) {
		esc_buf_free(&b);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	return b.p;
}

const char *
esc_opp_send_action(int sent)
{
	return sent == 1 ? "sent" : sent == 2 ? "another_run" : "send_failed";
}

/* Send an opportunity's first mail or a follow-up: claim it (committed),
 * call the mail server, record what happened (committed). Returns 1 when
 * it was sent, 0 when not (recorded, warned, *why set), 2 when another
 * run has the claim or the mail is no longer due, -1 for a store
 * failure. */
int
esc_opp_send_mail(struct esc_opps *o, sqlite3_int64 id, enum send_kind kind, char *why, size_t whylen,
	struct esc_err *err)
{
	static const char *const kinds[] = { "first", "follow_up" };
	struct esc_err nerr = { 0 };
	struct esc_mail m = { 0 };
	char *subject = NULL, *body = NULL;
	json_t *row = NULL, *vars = NULL;
	time_t now = esc_time_now();
	int permanent = 0, setup = 0, sent, rc = -1;

	why[0] = '\0';
	if (o->mail_down[0] && !o->o.dry_run) {
		/* nothing claimed, nothing spent: --due sends it once fixed */
		snprintf(why, whylen, "not sent: the mail server failed on the credentials or "
			"settings earlier in this run (%s)", o->mail_down);
		return 0;
	}
	if (esc_opp_tx_begin(o, err) < 0)
		return -1;
	sqlite3_bind_int64(o->st[U_CLAIM], 1, id);
	sqlite3_bind_int64(o->st[U_CLAIM], 2, (sqlite3_int64)now);
	esc_opp_bind_text(o->st[U_CLAIM], 3, kinds[kind]);
	sqlite3_bind_int64(o->st[U_CLAIM], 4, (sqlite3_int64)o->follow_max);
	if ((sent = esc_opp_run(o, U_CLAIM, err)) < 0 || esc_opp_tx_commit(o, err) < 0)
		goto fail;
	if (sent == 0) {
		/* another run holds the claim, or has sent it (or it was
		 * answered or closed) since this one chose it: not ours */
		if (!(row = esc_opp_row(o, id, err)))
			return -1;
		if (esc_opp_col_time(row, "send_claimed_at"))
			snprintf(why, whylen, "another run is sending it");
		else
			snprintf(why, whylen, "it is no longer due: it is %s", esc_opp_col_str(row, "state"));
		json_decref(row);
		return 2;
	}
	if (!(row = esc_opp_row(o, id, err)))
		goto fail;
	if (kind == SEND_FIRST) {
		subject = strdup(esc_opp_col_str(row, "email_subject"));
		body = strdup(esc_opp_col_str(row, "email_body"));
		if (!subject || !body) {
			esc_err_set(err, "out of memory");
			goto fail;
		}
	} else {
		vars = esc_opp_mail_vars(o, row);
		if (!(subject = esc_opp_fill(json_string_value(json_object_get(json_object_get(o->usage,
		    "follow_up"), "subject")), vars, err)) ||
		    !(body = esc_opp_fill(json_string_value(json_object_get(json_object_get(o->usage,
		    "follow_up"), "body")), vars, err)))
			goto fail;
	}
	m.to = esc_opp_col_str(row, "contact_email");
	m.subject = subject;
	m.body = body;
	/* a dry run sends nothing, but fails where the settings or the
	 * message would make the send fail before any server is asked */
	sent = o->o.dry_run ? esc_smtp_check(&m, &nerr) : esc_smtp_send(&o->net, &m, &permanent, &nerr);
	/* a login or TLS setting the server refused is the operator's to
	 * mend, not this mail's fault: kept to send again, nothing spent */
	if (sent < 0 && permanent == ESC_NET_SETUP) {
		permanent = 0;
		snprintf(o->mail_down, sizeof o->mail_down, "%s", nerr.msg);
		setup = 1;
	}

	if (esc_opp_tx_begin(o, err) < 0)
		goto fail;
	if (sent == 0) {
		enum stmt u = kind == SEND_FIRST ? U_SENT : U_FOLLOW;
		long wait = kind == SEND_FIRST ? o->reply_timeout : o->follow_wait;

		sqlite3_bind_int64(o->st[u], 1, id);
		sqlite3_bind_int64(o->st[u], 2, (sqlite3_int64)now);
		sqlite3_bind_int64(o->st[u], 3, (sqlite3_int64)(now + wait));
		if (u == U_SENT)
			sqlite3_bind_int64(o->st[u], 4, (sqlite3_int64)now);
		if (esc_opp_run(o, u, err) < 0 ||
		    esc_opp_add_event(o, id, NULL, kind == SEND_FIRST ? "sent" : "follow_up", now,
		    json_pack("{s:s,s:s}", "by", "smtp", "subject", subject), err) < 0 ||
		    esc_opp_tx_commit(o, err) < 0)
			goto fail;
		rc = 1;
	} else if (kind == SEND_FOLLOW_UP && permanent) {
		/* refused for good: not tried again, however many follow-ups
		 * are left; they are spent and the next timeout closes it */
		sqlite3_bind_int64(o->st[U_FOLLOW_SPENT], 1, id);
		sqlite3_bind_int64(o->st[U_FOLLOW_SPENT], 2, (sqlite3_int64)now);
		sqlite3_bind_int64(o->st[U_FOLLOW_SPENT], 3, (sqlite3_int64)(now + o->follow_wait));
		sqlite3_bind_int64(o->st[U_FOLLOW_SPENT], 4, (sqlite3_int64)o->follow_max);
		if (esc_opp_run(o, U_FOLLOW_SPENT, err) < 0 ||
		    esc_opp_add_event(o, id, NULL, "send_failed", now,
		    json_pack("{s:s,s:s,s:b}", "kind", kinds[kind], "error", nerr.msg,
		    "permanent", permanent), err) < 0 || esc_opp_tx_commit(o, err) < 0)
			goto fail;
		snprintf(why, whylen, "%s", nerr.msg);
		esc_opp_warn(o, "opportunity %lld: the follow-up was not sent: %s (refused: not "
			"retried; closed as no_reply if no reply comes)", (long long)id, nerr.msg);
		o->net_failures++;
		rc = 0;
	} else {
		sqlite3_bind_int64(o->st[U_FAIL], 1, id);
		sqlite3_bind_int64(o->st[U_FAIL], 2, (sqlite3_int64)now);
		sqlite3_bind_int(o->st[U_FAIL], 3, permanent);
		if (esc_opp_run(o, U_FAIL, err) < 0 || esc_opp_add_event(o, id, NULL, "send_failed", now,
		    json_pack("{s:s,s:s,s:b}", "kind", kinds[kind], "error", nerr.msg,
		    "permanent", permanent), err) < 0 || esc_opp_tx_commit(o, err) < 0)
			goto fail;
		snprintf(why, whylen, "%s", nerr.msg);
		esc_opp_warn(o, "opportunity %lld: the %s was not sent: %s%s", (long long)id,
			kind == SEND_FIRST ? "email" : "follow-up", nerr.msg,
			permanent ? " (refused: approve it again to retry)" : setup ?
			"; the mail server failed on the credentials or settings, so it is not called "
			"again in this run and nothing is spent: check ESC_SMTP_URL, ESC_SMTP_USER, "
			"ESC_SMTP_PASSWORD and ESC_SMTP_TLS; upsell-gen --due retries it" :
			"; upsell-gen --due retries it");
		o->net_failures++;
		rc = 0;
	}
	goto done;
fail:
	esc_opp_tx_rollback(o);
done:
	free(subject);
	free(body);
	json_decref(vars);
	json_decref(row);
	return rc;
}

/* Post the Slack summary (when a webhook is configured); a failure is a
 * warning, recorded, and not retried: the summary is a notice, the mail
 * is what counts. Returns the outcome's word, or NULL on a store failure. */
const char *
esc_opp_post_slack(struct esc_opps *o, sqlite3_int64 id, struct esc_err *err)
{
	struct esc_http_resp rs = { 0 };
	struct esc_http_req rq = { 0 };
	struct esc_err nerr = { 0 };
	json_t *row, *vars, *msg;
	char *text, *body = NULL;
	time_t now = esc_time_now();
	int ok;

	if (!o->slack_url)
		return "not configured";
	if (o->o.dry_run)
		return "would post";
	if (!(row = esc_opp_row(o, id, err)))
		return NULL;
	vars = esc_opp_mail_vars(o, row);
	json_decref(row);
	text = esc_opp_fill(o->slack, vars, err);
	json_decref(vars);
	if (!text)
		return NULL;
	msg = json_pack("{s:s}", "text", text);
	free(text);
	if (!msg || !(body = esc_json_text(msg))) {
		json_decref(msg);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	json_decref(msg);
	rq.url = o->slack_url;
	rq.body = body;
	rq.len = strlen(body);
	ok = esc_http(&o->net, &rq, &rs, &nerr) == 0;
	esc_http_resp_free(&rs);
	free(body);
	if (esc_opp_tx_begin(o, err) < 0)
		return NULL;
	if (ok) {
		sqlite3_bind_int64(o->st[U_SLACK], 1, id);
		sqlite3_bind_int64(o->st[U_SLACK], 2, (sqlite3_int64)now);
	}
	if ((ok && esc_opp_run(o, U_SLACK, err) < 0) ||
	    esc_opp_add_event(o, id, NULL, ok ? "slack" : "slack_failed", now,
	    ok ? NULL : json_pack("{s:s}", "error", nerr.msg), err) < 0 || esc_opp_tx_commit(o, err) < 0) {
		esc_opp_tx_rollback(o);
		return NULL;
	}
	if (ok)
		return "posted";
	esc_opp_warn(o, "opportunity %lld: the Slack summary was not posted: %s", (long long)id, nerr.msg);
	o->net_failures++;
	return "failed";
}

/* ---- upsell-gen --due ---- */

/* The ids a query returns, into a new array; NULL with err. */
static sqlite3_int64 *
ids(struct esc_opps *o, enum stmt which, size_t *n, struct esc_err *err)
{
	sqlite3_int64 *v = esc_store_ids(o->st[which], n, err);

	sqlite3_clear_bindings(o->st[which]);
	return v;
}

/* One --due action out: {"action": ..., "ok": ..., "error": ...,
 * "opportunity": {...}}. */
static int
put_action(struct esc_opps *o, FILE *f, sqlite3_int64 id, const char *action, int ok,
	const char *why, struct esc_err *err)
{
	json_t *a, *r;
	char *s;
	int rc;

	if (!(r = esc_opp_render_id(o, id, 0, err)))
		return -1;
	a = json_pack("{s:s,s:b}", "action", action, "ok", ok);
	if (why && *why)
		json_object_set_new(a, "error", json_string(why));
	if (o->o.dry_run)
		json_object_set_new(a, "dry_run", json_true());
	json_object_set_new(a, "opportunity", r);
	s = esc_json_text(a);
	json_decref(a);
	if (!s) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	rc = fprintf(f, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	if (rc < 0) {
		esc_err_set(err, "cannot write the standard output: %s", strerror(errno));
		err->code = ESC_EXIT_IO;
	}
	return rc;
}

long
esc_opps_due(struct esc_opps *o, FILE *f, struct esc_err *err)
{
	time_t now = esc_time_now();
	sqlite3_int64 *v = NULL;
	json_t *row = NULL;
	char why[600], at[32];
	long actions = 0;
	size_t n, i;
	int rc;

	err->code = ESC_EXIT_STORE;
	o->warn_now = 1;
	/* interrupted sends: reported, never sent again */
	sqlite3_bind_int64(o->st[Q_STUCK], 1, (sqlite3_int64)(now - o->stale_claim));
	if (!(v = ids(o, Q_STUCK, &n, err)))
		goto fail;
	for (i = 0; i < n; i++) {
		if (!(row = esc_opp_row(o, v[i], err)))
			goto fail;
		snprintf(why, sizeof why, "the %s claimed at %s was never confirmed: the run "
			"sending it stopped, and the mail may or may not have left; check the "
			"mail server's log, then send a release event (\"sent\": true or false)",
			!strcmp(esc_opp_col_str(row, "send_kind"), "first") ? "email" : "follow-up",
			esc_time_format(esc_opp_col_time(row, "send_claimed_at"), at, sizeof at));
		esc_diag("warning", NULL, 0, "opportunity %lld: %s", (long long)v[i], why);
		json_decref(row);
		row = NULL;
		o->stuck++;
		if (put_action(o, f, v[i], "stuck", 0, why, err) < 0)
			goto fail;
		actions++;
	}
	free(v);

	/* failed first sends that are still wanted */
	if (!(v = ids(o, Q_RETRY, &n, err)))
		goto fail;
	for (i = 0; i < n; i++) {
		if ((rc = esc_opp_send_mail(o, v[i], SEND_FIRST, why, sizeof why, err)) < 0)
			goto fail;
		if (rc == 2)
			continue;       /* another run has it, or has sent it */
		if (put_action(o, f, v[i], "send", rc, why, err) < 0)
			goto fail;
		actions++;
	}
	free(v);

	/* replies past due: a follow-up (or a reminder), then the close */
	sqlite3_bind_int64(o->st[Q_WAIT], 1, (sqlite3_int64)now);
	if (!(v = ids(o, Q_WAIT, &n, err)))
		goto fail;
	for (i = 0; i < n; i++) {
		const char *auto_, *action;

		if (!(row = esc_opp_row(o, v[i], err)))
			goto fail;
		auto_ = esc_opp_col_str(row, "automation");
		why[0] = '\0';
		rc = 1;
		if (json_integer_value(json_object_get(row, "follow_ups")) < o->follow_max &&
		    strcmp(auto_, "human")) {
			action = "follow_up";
			if ((rc = esc_opp_send_mail(o, v[i], SEND_FOLLOW_UP, why, sizeof why, err)) < 0)
				goto fail;
		} else {
			int remind = json_integer_value(json_object_get(row, "follow_ups")) <
				o->follow_max, done;

			action = remind ? "remind" : "closed";
			if (esc_opp_tx_begin(o, err) < 0)
				goto fail;
			/* only if still due: the row was read outside this
			 * transaction, and another run may have acted since */
			if (remind) {
				sqlite3_bind_int64(o->st[U_REMIND], 1, v[i]);
				sqlite3_bind_int64(o->st[U_REMIND], 2, (sqlite3_int64)now);
				sqlite3_bind_int64(o->st[U_REMIND], 3, (sqlite3_int64)(now + o->follow_wait));
				sqlite3_bind_int64(o->st[U_REMIND], 4, (sqlite3_int64)o->follow_max);
			} else {
				sqlite3_bind_int64(o->st[U_NOREPLY], 1, v[i]);
				sqlite3_bind_int64(o->st[U_NOREPLY], 2, (sqlite3_int64)now);
				sqlite3_bind_int64(o->st[U_NOREPLY], 3, (sqlite3_int64)o->follow_max);
			}
			if ((done = esc_opp_run(o, remind ? U_REMIND : U_NOREPLY, err)) < 0 ||
			    (done && esc_opp_add_event(o, v[i], NULL, remind ? "reminder" : "closed", now,
			    remind ? NULL : json_pack("{s:s}", "reason", "no_reply"), err) < 0) ||
			    esc_opp_tx_commit(o, err) < 0)
				goto fail;
			if (!done)
				rc = 2;
		}
		json_decref(row);
		row = NULL;
		if (rc == 2)
			continue;       /* another run did what was due */
		if (put_action(o, f, v[i], action, rc, why, err) < 0)
			goto fail;
		actions++;
	}
	free(v);
	o->warn_now = 0;
	err->code = 0;
	return actions;
fail:
	o->warn_now = 0;
	esc_opp_tx_rollback(o);
	json_decref(row);
	free(v);
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	return -1;
}

unsigned long
esc_opps_net_failures(const struct esc_opps *o)
{
	return o->net_failures;
}

unsigned long
esc_opps_stuck(const struct esc_opps *o)
{
	return o->stuck;
}
