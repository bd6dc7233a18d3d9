/* opps.c — usage-alert opportunities (seed 004): upsell-gen --usage and
 * upsell-gen --due.
 *
 * A usage alert that triggers (severity, value over the threshold, metric
 * in share/upsell/usage.json) becomes an opportunity: a plan, an email
 * draft, a Slack summary, and a row in the store that moves
 *	drafted -> (sent) -> waiting -> meeting | closed
 * The mail goes out at once for full automation, after an approval event
 * for hybrid; for human automation the approval says a person sent it.
 * Replies, meeting joins, releases of interrupted sends and closes arrive
 * as events (lines with a "type") in the same stream.
 *
 * Each line's work is committed before the line is printed, in short
 * transactions: network calls are never made inside one, so a slow mail
 * server holds no lock another run (cron's --due) waits on. A mail is
 * claimed (send_claimed_at, committed) before the mail server is called
 * and marked sent after; a claim that outlives a run was cut short by a
 * crash, and since nobody can know whether that mail left, --due reports
 * it instead of sending again. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "net.h"
#include "opps.h"
#include "store.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
#define ID_MAX 256

enum stmt {
	O_BYALERT, O_BYID, O_GET, O_INS, EV_INS, EV_FIND, EV_COUNT,
	U_CLAIM, U_SENT, U_FOLLOW, U_FAIL, U_UNCLAIM, U_APPROVE, U_REPLY, U_USE, U_CLOSE, U_SLACK,
	U_REMIND, Q_TOKEN, Q_STUCK, Q_RETRY, Q_WAIT,
	TX_BEGIN, TX_COMMIT, TX_ROLLBACK,
	ST_N
};

static const char *const sql[ST_N] = {
	[O_BYALERT] = "SELECT id FROM opportunities WHERE alert_id = ?1",
	[O_BYID] = "SELECT id FROM opportunities WHERE id = ?1",
	[O_GET] = "SELECT * FROM opportunities WHERE id = ?1",
	[O_INS] = "INSERT INTO opportunities (alert_id, account_id, customer_id, metric, value, "
		"threshold, severity, automation, state, current_plan, plan, estimated_value, "
		"plan_json, plan_source, plan_note, contact_email, contact_name, email_subject, "
		"email_body, send_wanted, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, 'drafted', ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
		"ON CONFLICT (alert_id) DO NOTHING",
	[EV_INS] = "INSERT INTO opportunity_events (event_id, opportunity_id, type, at, detail, "
		"logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING",
	[EV_FIND] = "SELECT opportunity_id FROM opportunity_events WHERE event_id = ?1",
	[EV_COUNT] = "SELECT count(*) FROM opportunity_events WHERE opportunity_id = ?1",
	/* the claim: only one run gets it */
	[U_CLAIM] = "UPDATE opportunities SET send_claimed_at = ?2, send_kind = ?3, updated_at = ?2 "
		"WHERE id = ?1 AND send_claimed_at IS NULL",
	[U_SENT] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"send_wanted = 0, sent_at = ?2, state = 'waiting', reply_due = ?3, updated_at = ?4 "
		"WHERE id = ?1",
	[U_FOLLOW] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"follow_ups = follow_ups + 1, reply_due = ?3, updated_at = ?2 WHERE id = ?1",
	[U_FAIL] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"send_wanted = CASE WHEN ?3 THEN 0 ELSE send_wanted END, updated_at = ?2 WHERE id = ?1",
	[U_UNCLAIM] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"updated_at = ?2 WHERE id = ?1",
	[U_APPROVE] = "UPDATE opportunities SET approved_at = ?2, approved_by = ?3, "
		"send_wanted = ?4, updated_at = ?5 WHERE id = ?1",
	[U_REPLY] = "UPDATE opportunities SET reply = ?2, replied_at = ?3, state = ?4, "
		"closed_reason = ?5, meeting_token = coalesce(?6, meeting_token), reply_due = ?7, "
		"updated_at = ?8 WHERE id = ?1",
	[U_USE] = "UPDATE opportunities SET meeting_used_at = ?2, updated_at = ?3 "
		"WHERE id = ?1 AND meeting_used_at IS NULL",
	[U_CLOSE] = "UPDATE opportunities SET state = 'closed', closed_reason = ?2, reply_due = NULL, "
		"send_wanted = 0, updated_at = ?3 WHERE id = ?1",
	[U_SLACK] = "UPDATE opportunities SET slack_posted_at = ?2 WHERE id = ?1",
	[U_REMIND] = "UPDATE opportunities SET follow_ups = follow_ups + 1, reply_due = ?3, "
		"updated_at = ?2 WHERE id = ?1",
	[Q_TOKEN] = "SELECT id, meeting_token, meeting_used_at, state FROM opportunities "
		"WHERE meeting_token = ?1",
	[Q_STUCK] = "SELECT id FROM opportunities WHERE send_claimed_at IS NOT NULL "
		"AND send_claimed_at <= ?1 ORDER BY id",
	[Q_RETRY] = "SELECT id FROM opportunities WHERE state = 'drafted' AND send_wanted = 1 "
		"AND send_claimed_at IS NULL ORDER BY id",
	[Q_WAIT] = "SELECT id FROM opportunities WHERE state = 'waiting' AND reply_due <= ?1 "
		"AND send_claimed_at IS NULL ORDER BY reply_due, id",
	[TX_BEGIN] = "BEGIN IMMEDIATE",
	[TX_COMMIT] = "COMMIT",
	[TX_ROLLBACK] = "ROLLBACK",
};

struct esc_opps {
	sqlite3 *db;
	struct esc_opps_opts o;
	struct esc_plans *plans;
	struct esc_net net;
	json_t *usage;              /* usage.json */
	json_t *contracts;          /* account_id -> contract, or NULL */
	char *email_subject, *email_body, *slack;   /* templates */
	double threshold;
	long reply_timeout, follow_wait, maybe_wait, stale_claim;
	long follow_max;
	const char *meeting_url, *slack_url;
	sqlite3_stmt *st[ST_N];
	int in_tx;
	unsigned long net_failures, stuck;
	struct esc_buf warn;        /* a line's warnings, joined */
	/* where our members sit in a line, to write it back as it came:
	 * an alert's opportunity and why_not, an event's applied */
	struct esc_scan alert_scan, event_scan;
	struct esc_buf obj;
};

/* ---- the store ---- */

static int
store_fail(struct esc_opps *o, struct esc_err *err)
{
	esc_store_err(o->db, err);
	err->code = ESC_EXIT_STORE;
	return -1;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_time(sqlite3_stmt *st, int i, time_t t)
{
	if (t)
		sqlite3_bind_int64(st, i, (sqlite3_int64)t);
	else
		sqlite3_bind_null(st, i);
}

/* Run a statement to its end; the number of rows it changed, or -1. */
static int
run(struct esc_opps *o, enum stmt which, struct esc_err *err)
{
	sqlite3_stmt *st = o->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(o, err);
	return sqlite3_changes(o->db);
}

/* One integer from a one-row query: 1 and *v, 0 for no row, -1. */
static int
one_int(struct esc_opps *o, enum stmt which, sqlite3_int64 *v, struct esc_err *err)
{
	sqlite3_stmt *st = o->st[which];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(o, err);
}

static int
tx_begin(struct esc_opps *o, struct esc_err *err)
{
	if (o->in_tx)
		return 0;
	if (run(o, TX_BEGIN, err) < 0)
		return -1;
	o->in_tx = 1;
	return 0;
}

/* A dry run keeps its one transaction open, to be rolled back at the end. */
static int
tx_commit(struct esc_opps *o, struct esc_err *err)
{
	if (!o->in_tx || o->o.dry_run)
		return 0;
	if (run(o, TX_COMMIT, err) < 0)
		return -1;
	o->in_tx = 0;
	return 0;
}

static void
tx_rollback(struct esc_opps *o)
{
	if (!o->in_tx)
		return;
	sqlite3_step(o->st[TX_ROLLBACK]);
	sqlite3_reset(o->st[TX_ROLLBACK]);
	o->in_tx = 0;
}

/* An opportunity's row as a JSON object, column by column; NULL with err
 * if it is gone or the store fails. */
static json_t *
opp_row(struct esc_opps *o, sqlite3_int64 id, struct esc_err *err)
{
	sqlite3_stmt *st = o->st[O_GET];
	json_t *row = NULL;
	int i, rc;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && (row = json_object())) {
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);

			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				json_object_set_new(row, name, json_integer(sqlite3_column_int64(st, i)));
				break;
			case SQLITE_FLOAT:
				json_object_set_new(row, name, json_real(sqlite3_column_double(st, i)));
				break;
			case SQLITE_TEXT:
				json_object_set_new(row, name,
					json_string((const char *)sqlite3_column_text(st, i)));
				break;
			default:
				json_object_set_new(row, name, json_null());
			}
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW && row)
		return row;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		esc_err_set(err, "opportunity %lld: gone from the store", (long long)id);
	else
		store_fail(o, err);
	err->code = ESC_EXIT_STORE;
	return NULL;
}

static const char *
col_str(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

static time_t
col_time(const json_t *row, const char *name)
{
	return (time_t)json_integer_value(json_object_get(row, name));
}

/* Add an event to an opportunity's timeline. id NULL: one made up from
 * the opportunity and its count of events. detail (stolen) may be NULL. */
static int
add_event(struct esc_opps *o, sqlite3_int64 opp, const char *id, const char *type, time_t at,
	json_t *detail, struct esc_err *err)
{
	sqlite3_stmt *st = o->st[EV_INS];
	sqlite3_int64 n = 0;
	char made[64], *d = NULL;
	int rc;

	if (!id) {
		sqlite3_bind_int64(o->st[EV_COUNT], 1, opp);
		if (one_int(o, EV_COUNT, &n, err) < 0) {
			json_decref(detail);
			return -1;
		}
		snprintf(made, sizeof made, "opportunity/%lld/%lld/%s", (long long)opp,
			(long long)n + 1, type);
		id = made;
	}
	if (detail)
		d = json_dumps(detail, DUMP_FLAGS);
	json_decref(detail);
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, opp);
	bind_text(st, 3, type);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
	bind_text(st, 5, d);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)esc_time_now());
	free(d);
	rc = run(o, EV_INS, err);
	return rc < 0 ? -1 : 0;
}

/* ---- output ---- */

static json_t *
jtime(time_t t)
{
	char buf[32];

	return json_string(esc_time_format(t, buf, sizeof buf));
}

/* A whole amount is written as one: 1500, not 1500.0. */
static json_t *
jnum(double v)
{
	return v == floor(v) && fabs(v) < 9007199254740992.0 ? json_integer((json_int_t)v) :
		json_real(v);
}

/* What the output says of an opportunity: its row, times as RFC 3339,
 * nothing that is not set, never the meeting token's hash. */
static json_t *
render(const json_t *row, int with_email)
{
	static const char *const plain[] = {
		"id", "alert_id", "account_id", "customer_id", "state", "automation", "severity",
		"metric", "value", "threshold", "current_plan",
	};
	static const char *const after[] = { "plan_source", "plan_note" };
	static const char *const times[] = {
		"created_at", "slack_posted_at", "approved_at", "sent_at", "reply_due", "replied_at",
		"meeting_used_at", "send_claimed_at",
	};
	json_t *r = json_object(), *v, *plan;
	size_t i;

	for (i = 0; i < sizeof plain / sizeof *plain; i++)
		if (!json_is_null(v = json_object_get(row, plain[i])) && v)
			json_object_set_new(r, plain[i], json_is_real(v) ?
				jnum(json_real_value(v)) : json_incref(v));
	plan = json_loads(col_str(row, "plan_json") ? col_str(row, "plan_json") : "null", 0, NULL);
	json_object_set_new(r, "plan", plan ? plan : json_null());
	for (i = 0; i < sizeof after / sizeof *after; i++)
		if (json_is_string(v = json_object_get(row, after[i])))
			json_object_set(r, after[i], v);
	if (with_email)
		json_object_set_new(r, "email", json_pack("{s:O,s:O,s:O}",
			"to", json_object_get(row, "contact_email"),
			"subject", json_object_get(row, "email_subject"),
			"body", json_object_get(row, "email_body")));
	for (i = 0; i < sizeof times / sizeof *times; i++)
		if (json_is_integer(v = json_object_get(row, times[i])))
			json_object_set_new(r, times[i], jtime((time_t)json_integer_value(v)));
	if (json_integer_value(json_object_get(row, "follow_ups")))
		json_object_set(r, "follow_ups", json_object_get(row, "follow_ups"));
	if (json_is_string(v = json_object_get(row, "send_kind")))
		json_object_set(r, "send_kind", v);
	if (json_is_string(v = json_object_get(row, "reply")))
		json_object_set(r, "reply", v);
	if (json_is_string(v = json_object_get(row, "closed_reason")))
		json_object_set(r, "closed_reason", v);
	return r;
}

/* The row of id, rendered; NULL with err. */
static json_t *
render_id(struct esc_opps *o, sqlite3_int64 id, int with_email, struct esc_err *err)
{
	json_t *row = opp_row(o, id, err), *r;

	if (!row)
		return NULL;
	r = render(row, with_email);
	json_decref(row);
	return r;
}

static void
warn(struct esc_opps *o, const char *fmt, ...)
{
	va_list ap;
	char msg[768];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (o->warn.len)
		esc_buf_puts(&o->warn, "; ");
	esc_buf_puts(&o->warn, msg);
}

/* ---- sending ---- */

/* Template values for the mails: the contact's name, the plan's words. */
static json_t *
mail_vars(struct esc_opps *o, const json_t *row)
{
	json_t *plan = json_loads(col_str(row, "plan_json"), 0, NULL), *f, *labels, *v;
	struct esc_buf feat = { 0 };
	const char *metric = col_str(row, "metric"), *name = col_str(row, "contact_name");
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
			"period")) ? col_str(row, "period") : "recent"));
		json_object_set_new(v, "trend", json_string(json_is_string(json_object_get(row,
			"trend")) ? col_str(row, "trend") : "unknown"));
		json_object_set(v, "sender", json_object_get(o->usage, "sender"));
		if (json_is_string(json_object_get(row, "email_subject")))
			json_object_set(v, "subject", json_object_get(row, "email_subject"));
	}
	return v;
}

/* Fill tmpl into a new string; NULL with err. */
static char *
fill(const char *tmpl, const json_t *vars, struct esc_err *err)
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

enum send_kind { SEND_FIRST, SEND_FOLLOW_UP };

/* Send an opportunity's first mail or a follow-up: claim it (committed),
 * call the mail server, record what happened (committed). Returns 1 when
 * it was sent, 0 when not (recorded, warned, *why set), -1 for a store
 * failure. */
static int
send_mail(struct esc_opps *o, sqlite3_int64 id, enum send_kind kind, char *why, size_t whylen,
	struct esc_err *err)
{
	static const char *const kinds[] = { "first", "follow_up" };
	struct esc_err nerr = { 0 };
	struct esc_mail m = { 0 };
	char *subject = NULL, *body = NULL;
	json_t *row = NULL, *vars = NULL;
	time_t now = esc_time_now();
	int permanent = 0, sent, rc = -1;

	why[0] = '\0';
	if (tx_begin(o, err) < 0)
		return -1;
	sqlite3_bind_int64(o->st[U_CLAIM], 1, id);
	sqlite3_bind_int64(o->st[U_CLAIM], 2, (sqlite3_int64)now);
	bind_text(o->st[U_CLAIM], 3, kinds[kind]);
	if ((sent = run(o, U_CLAIM, err)) < 0 || tx_commit(o, err) < 0)
		goto fail;
	if (sent == 0) {
		/* another run holds the claim: it sends, this one does not */
		snprintf(why, whylen, "another run is sending it");
		return 0;
	}
	if (!(row = opp_row(o, id, err)))
		goto fail;
	if (kind == SEND_FIRST) {
		subject = strdup(col_str(row, "email_subject"));
		body = strdup(col_str(row, "email_body"));
		if (!subject || !body) {
			esc_err_set(err, "out of memory");
			goto fail;
		}
	} else {
		vars = mail_vars(o, row);
		if (!(subject = fill(json_string_value(json_object_get(json_object_get(o->usage,
		    "follow_up"), "subject")), vars, err)) ||
		    !(body = fill(json_string_value(json_object_get(json_object_get(o->usage,
		    "follow_up"), "body")), vars, err)))
			goto fail;
	}
	m.to = col_str(row, "contact_email");
	m.subject = subject;
	m.body = body;
	sent = o->o.dry_run ? 0 : esc_smtp_send(&o->net, &m, &permanent, &nerr);

	if (tx_begin(o, err) < 0)
		goto fail;
	if (sent == 0) {
		enum stmt u = kind == SEND_FIRST ? U_SENT : U_FOLLOW;
		long wait = kind == SEND_FIRST ? o->reply_timeout : o->follow_wait;

		sqlite3_bind_int64(o->st[u], 1, id);
		sqlite3_bind_int64(o->st[u], 2, (sqlite3_int64)now);
		sqlite3_bind_int64(o->st[u], 3, (sqlite3_int64)(now + wait));
		if (u == U_SENT)
			sqlite3_bind_int64(o->st[u], 4, (sqlite3_int64)now);
		if (run(o, u, err) < 0 || add_event(o, id, NULL, kind == SEND_FIRST ? "sent" :
		    "follow_up", now, json_pack("{s:s,s:s}", "by", "smtp", "subject", subject), err) < 0 ||
		    tx_commit(o, err) < 0)
			goto fail;
		rc = 1;
	} else {
		sqlite3_bind_int64(o->st[U_FAIL], 1, id);
		sqlite3_bind_int64(o->st[U_FAIL], 2, (sqlite3_int64)now);
		sqlite3_bind_int(o->st[U_FAIL], 3, permanent);
		if (run(o, U_FAIL, err) < 0 || add_event(o, id, NULL, "send_failed", now,
		    json_pack("{s:s,s:s,s:b}", "kind", kinds[kind], "error", nerr.msg,
		    "permanent", permanent), err) < 0 || tx_commit(o, err) < 0)
			goto fail;
		snprintf(why, whylen, "%s", nerr.msg);
		warn(o, "opportunity %lld: the %s was not sent: %s%s", (long long)id,
			kind == SEND_FIRST ? "email" : "follow-up", nerr.msg,
			permanent ? " (refused: approve it again to retry)" :
			"; upsell-gen --due retries it");
		o->net_failures++;
		rc = 0;
	}
	goto done;
fail:
	tx_rollback(o);
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
static const char *
post_slack(struct esc_opps *o, sqlite3_int64 id, struct esc_err *err)
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
	if (!(row = opp_row(o, id, err)))
		return NULL;
	vars = mail_vars(o, row);
	json_decref(row);
	text = fill(o->slack, vars, err);
	json_decref(vars);
	if (!text)
		return NULL;
	msg = json_pack("{s:s}", "text", text);
	free(text);
	if (!msg || !(body = json_dumps(msg, DUMP_FLAGS))) {
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
	if (tx_begin(o, err) < 0)
		return NULL;
	if (ok) {
		sqlite3_bind_int64(o->st[U_SLACK], 1, id);
		sqlite3_bind_int64(o->st[U_SLACK], 2, (sqlite3_int64)now);
	}
	if ((ok && run(o, U_SLACK, err) < 0) ||
	    add_event(o, id, NULL, ok ? "slack" : "slack_failed", now,
	    ok ? NULL : json_pack("{s:s}", "error", nerr.msg), err) < 0 || tx_commit(o, err) < 0) {
		tx_rollback(o);
		return NULL;
	}
	if (ok)
		return "posted";
	warn(o, "opportunity %lld: the Slack summary was not posted: %s", (long long)id, nerr.msg);
	o->net_failures++;
	return "failed";
}

/* ---- reading a line's fields ---- */

/* An id-like field: a non-empty string, or a whole number, as text. */
static int
get_id(json_t *line, const char *key, int required, char *buf, struct esc_err *err)
{
	json_t *v = json_object_get(line, key);

	buf[0] = '\0';
	if (!v || json_is_null(v)) {
		if (required)
			esc_err_set(err, "field \"%s\" missing", key);
		return required ? -1 : 0;
	}
	if (json_is_integer(v))
		snprintf(buf, ID_MAX, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < ID_MAX &&
	    !memchr(json_string_value(v), '\0', json_string_length(v)))
		memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	else {
		esc_err_set(err, "field \"%s\" must be a non-empty string (at most %d bytes) "
			"or a whole number", key, ID_MAX - 1);
		return -1;
	}
	return 1;
}

/* A string field: 1 and *s (borrowed), 0 when absent or null, -1. */
static int
get_str(json_t *obj, const char *where, const char *key, int required, const char **s,
	struct esc_err *err)
{
	json_t *v = json_object_get(obj, key);

	*s = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			esc_err_set(err, "field \"%s%s\" missing", where, key);
		return required ? -1 : 0;
	}
	if (!json_is_string(v) || !json_string_length(v) ||
	    memchr(json_string_value(v), '\0', json_string_length(v))) {
		esc_err_set(err, "field \"%s%s\" must be a non-empty string", where, key);
		return -1;
	}
	*s = json_string_value(v);
	return 1;
}

static int
get_num(json_t *obj, const char *where, const char *key, int required, double *d,
	struct esc_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			esc_err_set(err, "field \"%s%s\" missing", where, key);
		return required ? -1 : 0;
	}
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		esc_err_set(err, "field \"%s%s\" must be a number", where, key);
		return -1;
	}
	*d = json_number_value(v);
	return 1;
}

/* A time field; absent, the clock. */
static int
get_time(json_t *obj, const char *where, const char *key, time_t *t, struct esc_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		*t = esc_time_now();
		return 0;
	}
	if (!json_is_string(v) || esc_time_parse(json_string_value(v), json_string_length(v), t) < 0) {
		esc_err_set(err, "field \"%s%s\" must be an RFC 3339 time, like "
			"\"2026-03-01T10:15:00Z\"", where, key);
		return -1;
	}
	return 1;
}

static int
get_bool(json_t *obj, const char *key, int dflt, int *b, struct esc_err *err)
{
	json_t *v = json_object_get(obj, key);

	*b = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		esc_err_set(err, "field \"%s\" must be true or false", key);
		return -1;
	}
	*b = json_is_true(v);
	return 1;
}

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

/* ---- an alert ---- */

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
	if (get_str(c, "contract.", "current_plan", 1, &s, err) < 0)
		goto bad;
	if (!esc_plans_has(o->plans, s)) {
		esc_err_set(err, "field \"contract.current_plan\" must be a plan on the ladder (%s)",
			esc_plans_names(o->plans));
		goto bad;
	}
	if (get_num(c, "contract.", "current_spend", 0, &d, err) < 0)
		goto bad;
	if (json_object_get(c, "current_spend") && d < 0) {
		esc_err_set(err, "field \"contract.current_spend\" must be a number >= 0");
		goto bad;
	}
	if (get_time(c, "contract.", "contract_end_date", &t, err) < 0 ||
	    get_time(c, "contract.", "renewal_date", &t, err) < 0)
		goto bad;
	contact = json_object_get(c, "contact");
	if (!json_is_object(contact)) {
		esc_err_set(err, contact ? "field \"contract.contact\" must be an object" :
			"field \"contract.contact\" missing: the email goes to its \"email\"");
		goto bad;
	}
	if (get_str(contact, "contract.contact.", "email", 1, &s, err) < 0)
		goto bad;
	if (!email_ok(s)) {
		esc_err_set(err, "field \"contract.contact.email\" is not an email address");
		goto bad;
	}
	if (get_str(contact, "contract.contact.", "name", 0, &s, err) < 0)
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
		"value", jnum(a->value),
		"threshold", jnum(o->threshold),
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

static const char *
automation_of(struct esc_opps *o, const char *severity)
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
		"value", jnum(a->value), "threshold", jnum(o->threshold),
		"automation", automation_of(o, a->severity),
		"current_plan", json_object_get(c, "current_plan"), "state", "drafted",
		"contact_name", json_object_get(json_object_get(c, "contact"), "name"));
	if (!row || !(p = json_dumps(plan, DUMP_FLAGS))) {
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
	vars = mail_vars(o, row);
	json_decref(row);
	*subject = fill(o->email_subject, vars, err);
	*body = *subject ? fill(o->email_body, vars, err) : NULL;
	json_decref(vars);
	if (!*body) {
		free(*subject);
		*subject = NULL;
		return -1;
	}
	return 0;
}

static enum esc_rc
alert_line(struct esc_opps *o, json_t *line, json_t **res, json_t **whynot, struct esc_err *err)
{
	struct alert a = { 0 };
	json_t *c = NULL, *facts = NULL, *plan = NULL, *ai = NULL;
	char note[700] = "", *subject = NULL, *body = NULL, *pj = NULL, why[600];
	const char *auto_, *slack;
	sqlite3_int64 id = 0;
	sqlite3_stmt *st;
	int fresh, sent = 0;
	enum esc_rc rc = ESC_REC_REJECT;

	if (get_id(line, "id", 1, a.id, err) < 0 || get_id(line, "account_id", 1, a.account, err) < 0 ||
	    get_str(line, "", "metric", 1, &a.metric, err) < 0 ||
	    get_num(line, "", "value", 1, &a.value, err) < 0 ||
	    get_str(line, "", "severity", 1, &a.severity, err) < 0 ||
	    get_str(line, "", "trend", 0, &a.trend, err) < 0 ||
	    get_str(line, "", "period", 0, &a.period, err) < 0 ||
	    get_time(line, "", "at", &a.at, err) < 0)
		return ESC_REC_REJECT;
	if ((a.sev = esc_severity_parse(a.severity, strlen(a.severity))) < 0) {
		esc_err_set(err, "field \"severity\" must be low, medium, high or critical");
		return ESC_REC_REJECT;
	}
	if (get_id(line, "customer_id", 0, a.customer, err) < 0 ||
	    (!a.customer[0] && get_id(line, "customer", 0, a.customer, err) < 0))
		return ESC_REC_REJECT;
	if ((*whynot = why_not(o, &a))) {
		*res = json_null();
		return ESC_REC_OK;
	}
	if (!(c = contract_for(o, line, &a, err)))
		return ESC_REC_REJECT;

	/* seen before: the same opportunity, untouched */
	bind_text(o->st[O_BYALERT], 1, a.id);
	if ((fresh = one_int(o, O_BYALERT, &id, err)) < 0)
		goto fatal;
	if (fresh) {
		if (!(*res = render_id(o, id, 1, err)))
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
			warn(o, "%s", note);
		}
	}
	if (draft(o, &a, c, plan, &subject, &body, err) < 0 || !(pj = json_dumps(plan, DUMP_FLAGS)))
		goto done;

	auto_ = automation_of(o, a.severity);
	if (tx_begin(o, err) < 0)
		goto fatal;
	st = o->st[O_INS];
	bind_text(st, 1, a.id);
	bind_text(st, 2, a.account);
	bind_text(st, 3, a.customer[0] ? a.customer : NULL);
	bind_text(st, 4, a.metric);
	sqlite3_bind_double(st, 5, a.value);
	sqlite3_bind_double(st, 6, o->threshold);
	bind_text(st, 7, a.severity);
	bind_text(st, 8, auto_);
	bind_text(st, 9, json_string_value(json_object_get(c, "current_plan")));
	bind_text(st, 10, json_string_value(json_object_get(plan, "plan")));
	sqlite3_bind_double(st, 11, json_number_value(json_object_get(plan, "estimated_value")));
	bind_text(st, 12, pj);
	bind_text(st, 13, ai ? "ai" : "rules");
	bind_text(st, 14, note[0] ? note : NULL);
	bind_text(st, 15, json_string_value(json_object_get(json_object_get(c, "contact"), "email")));
	bind_text(st, 16, json_string_value(json_object_get(json_object_get(c, "contact"), "name")));
	bind_text(st, 17, subject);
	bind_text(st, 18, body);
	sqlite3_bind_int(st, 19, !strcmp(auto_, "full"));
	sqlite3_bind_int64(st, 20, (sqlite3_int64)a.at);
	sqlite3_bind_int64(st, 21, (sqlite3_int64)esc_time_now());
	if ((fresh = run(o, O_INS, err)) < 0)
		goto fatal;
	bind_text(o->st[O_BYALERT], 1, a.id);
	if (one_int(o, O_BYALERT, &id, err) < 1)
		goto fatal;
	if (!fresh) {
		/* another run drafted it between the look and the insert */
		if (tx_commit(o, err) < 0 || !(*res = render_id(o, id, 1, err)))
			goto fatal;
		json_object_set_new(*res, "new", json_false());
		rc = ESC_REC_OK;
		goto done;
	}
	if (add_event(o, id, NULL, "drafted", a.at, json_pack("{s:s,s:s}", "automation", auto_,
	    "plan_source", ai ? "ai" : "rules"), err) < 0 || tx_commit(o, err) < 0)
		goto fatal;

	if (!(slack = post_slack(o, id, err)))
		goto fatal;
	why[0] = '\0';
	if (!strcmp(auto_, "full") && (sent = send_mail(o, id, SEND_FIRST, why, sizeof why, err)) < 0)
		goto fatal;
	if (!(*res = render_id(o, id, 1, err)))
		goto fatal;
	json_object_set_new(*res, "new", json_true());
	json_object_set_new(*res, "action", json_string(strcmp(auto_, "full") ? "drafted" :
		sent ? "sent" : "send_failed"));
	if (why[0])
		json_object_set_new(*res, "error", json_string(why));
	json_object_set_new(*res, "slack", json_string(slack));
	rc = ESC_REC_OK;
	goto done;
fatal:
	tx_rollback(o);
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

/* ---- events ---- */

enum ev { EV_APPROVAL, EV_REPLY, EV_JOIN, EV_RELEASE, EV_CLOSE, EV_N };
static const char *const ev_names[EV_N] = { "approval", "reply", "meeting_join", "release", "close" };

/* The meeting link: the base with the token in place of {token}, or
 * after it. Caller frees. */
static char *
meeting_link(struct esc_opps *o, const char *token)
{
	const char *at = strstr(o->meeting_url, "{token}");
	struct esc_buf b = { 0 };

	if (at) {
		esc_buf_put(&b, o->meeting_url, (size_t)(at - o->meeting_url));
		esc_buf_puts(&b, token);
		esc_buf_puts(&b, at + 7);
	} else {
		esc_buf_puts(&b, o->meeting_url);
		esc_buf_puts(&b, token);
	}
	esc_buf_putc(&b, '\0');
	return b.p;
}

/* meeting_join: the token is its own key, and single use. */
static enum esc_rc
join_line(struct esc_opps *o, json_t *line, json_t *res, struct esc_err *err)
{
	char hash[ESC_HASH_LEN + 1], evid[ID_MAX], used[32];
	const char *token, *state;
	sqlite3_stmt *st = o->st[Q_TOKEN];
	sqlite3_int64 id = 0;
	time_t at, used_at = 0;
	int found = 0, rc, n;
	json_t *r;
	size_t i;

	if (get_str(line, "", "token", 1, &token, err) < 0 || get_time(line, "", "at", &at, err) < 0 ||
	    get_id(line, "id", 0, evid, err) < 0)
		return ESC_REC_REJECT;
	/* a token not of the shape esc_token_new makes is not looked up */
	for (i = 0; token[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", token[i]))
			break;
	if (i != ESC_TOKEN_LEN || token[i]) {
		esc_err_set(err, "meeting token refused: unknown or forged");
		return ESC_REC_REJECT;
	}
	esc_token_hash(token, ESC_TOKEN_LEN, hash);
	if (tx_begin(o, err) < 0)
		return ESC_REC_FATAL;
	bind_text(st, 1, hash);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *stored = (const char *)sqlite3_column_text(st, 1);

		found = stored && strlen(stored) == ESC_HASH_LEN && esc_token_equal(stored, hash);
		id = sqlite3_column_int64(st, 0);
		used_at = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 :
			(time_t)sqlite3_column_int64(st, 2);
		state = (const char *)sqlite3_column_text(st, 3);
		found = found && state && !strcmp(state, "meeting") ? 1 : found ? 2 : 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(o, err);
		goto fatal;
	}
	if (!found) {
		tx_rollback(o);
		esc_err_set(err, "meeting token refused: unknown or forged");
		return ESC_REC_REJECT;
	}
	if (used_at) {
		tx_rollback(o);
		esc_err_set(err, "meeting token refused: already used at %s",
			esc_time_format(used_at, used, sizeof used));
		return ESC_REC_REJECT;
	}
	if (found == 2) {
		tx_rollback(o);
		esc_err_set(err, "meeting token refused: the opportunity is closed");
		return ESC_REC_REJECT;
	}
	sqlite3_bind_int64(o->st[U_USE], 1, id);
	sqlite3_bind_int64(o->st[U_USE], 2, (sqlite3_int64)at);
	sqlite3_bind_int64(o->st[U_USE], 3, (sqlite3_int64)esc_time_now());
	if ((n = run(o, U_USE, err)) < 0 || (n == 1 && add_event(o, id, evid[0] ? evid : NULL,
	    "meeting_join", at, NULL, err) < 0) || tx_commit(o, err) < 0)
		goto fatal;
	if (!(r = render_id(o, id, 0, err)))
		goto fatal;
	json_object_set_new(res, "new", json_true());
	json_object_set_new(res, "action", json_string("joined"));
	json_object_set_new(res, "opportunity", r);
	return ESC_REC_OK;
fatal:
	tx_rollback(o);
	err->code = ESC_EXIT_STORE;
	return ESC_REC_FATAL;
}

/* The opportunity an event names: "opportunity" as the alert's id (a
 * string) or the opportunity's number. 1 and *id, or -1 with err. */
static int
find_opp(struct esc_opps *o, json_t *line, sqlite3_int64 *id, int *store, struct esc_err *err)
{
	json_t *v = json_object_get(line, "opportunity");
	enum stmt q;
	int rc;

	*store = 0;
	if (!v || json_is_null(v)) {
		esc_err_set(err, "field \"opportunity\" missing: the alert's id or the "
			"opportunity's number");
		return -1;
	}
	if (json_is_integer(v)) {
		q = O_BYID;
		sqlite3_bind_int64(o->st[q], 1, json_integer_value(v));
	} else if (json_is_string(v) && json_string_length(v)) {
		q = O_BYALERT;
		bind_text(o->st[q], 1, json_string_value(v));
	} else {
		esc_err_set(err, "field \"opportunity\" must be the alert's id (a string) or the "
			"opportunity's number");
		return -1;
	}
	if ((rc = one_int(o, q, id, err)) < 0) {
		*store = 1;
		return -1;
	}
	if (rc == 0) {
		if (json_is_integer(v))
			esc_err_set(err, "no opportunity %lld", (long long)json_integer_value(v));
		else
			esc_err_set(err, "no opportunity for alert \"%.200s\"", json_string_value(v));
		return -1;
	}
	return 1;
}

static const char *const closing_words[] = { "closed", "won", "lost", "declined", "no_reply",
	"cancelled", "duplicate" };

static enum esc_rc
event_line(struct esc_opps *o, json_t *line, const char *type, json_t **res, struct esc_err *err)
{
	char evid[ID_MAX], why[600] = "", *link = NULL, token[ESC_TOKEN_LEN + 1];
	char hash[ESC_HASH_LEN + 1];
	const char *state, *reply = NULL, *by = NULL, *reason = NULL, *action = NULL, *kind;
	json_t *row = NULL, *r = NULL;
	sqlite3_int64 id, seen;
	int e, store, send = 0, was_sent = 0, sent = -1, n;
	time_t at;
	size_t i;

	for (e = 0; e < EV_N && strcmp(type, ev_names[e]); e++)
		;
	if (e == EV_N) {
		esc_err_set(err, "field \"type\" must be approval, reply, meeting_join, release or "
			"close (no \"type\": a usage alert)");
		return ESC_REC_REJECT;
	}
	*res = json_object();
	if (e == EV_JOIN)
		return join_line(o, line, *res, err);
	if (get_id(line, "id", 1, evid, err) < 0 || get_time(line, "", "at", &at, err) < 0)
		return ESC_REC_REJECT;
	switch (e) {
	case EV_REPLY:
		if (get_str(line, "", "reply", 1, &reply, err) < 0)
			return ESC_REC_REJECT;
		if (strcmp(reply, "yes") && strcmp(reply, "no") && strcmp(reply, "maybe")) {
			esc_err_set(err, "field \"reply\" must be yes, no or maybe");
			return ESC_REC_REJECT;
		}
		break;
	case EV_APPROVAL:
		if (get_str(line, "", "by", 0, &by, err) < 0)
			return ESC_REC_REJECT;
		break;
	case EV_RELEASE:
		if (!json_is_boolean(json_object_get(line, "sent"))) {
			esc_err_set(err, "field \"sent\" %s: did the interrupted mail leave (true) or "
				"not (false)?", json_object_get(line, "sent") ? "must be true or false" :
				"missing");
			return ESC_REC_REJECT;
		}
		was_sent = json_is_true(json_object_get(line, "sent"));
		break;
	case EV_CLOSE:
		if (get_str(line, "", "reason", 0, &reason, err) < 0)
			return ESC_REC_REJECT;
		if (!reason)
			reason = "closed";
		for (i = 0; i < sizeof closing_words / sizeof *closing_words &&
		    strcmp(reason, closing_words[i]); i++)
			;
		if (i == sizeof closing_words / sizeof *closing_words) {
			esc_err_set(err, "field \"reason\" must be closed, won, lost, declined, "
				"no_reply, cancelled or duplicate");
			return ESC_REC_REJECT;
		}
		break;
	}
	if (find_opp(o, line, &id, &store, err) < 0)
		return store ? ESC_REC_FATAL : ESC_REC_REJECT;

	/* seen before: nothing happens twice */
	bind_text(o->st[EV_FIND], 1, evid);
	if ((n = one_int(o, EV_FIND, &seen, err)) < 0)
		return ESC_REC_FATAL;
	if (n) {
		if (!(r = render_id(o, seen, 0, err)))
			return ESC_REC_FATAL;
		json_object_set_new(*res, "new", json_false());
		json_object_set_new(*res, "opportunity", r);
		return ESC_REC_OK;
	}
	if (!(row = opp_row(o, id, err)))
		return ESC_REC_FATAL;
	state = col_str(row, "state");
	kind = col_str(row, "send_kind");
	/* every check before the first write */
	switch (e) {
	case EV_APPROVAL:
		if (strcmp(state, "drafted") || kind) {
			esc_err_set(err, "opportunity %lld is %s, not drafted: nothing to approve",
				(long long)id, kind ? "being sent" : state);
			goto reject;
		}
		if (get_bool(line, "send", strcmp(col_str(row, "automation"), "human") != 0, &send,
		    err) < 0)
			goto reject;
		break;
	case EV_REPLY:
		if (strcmp(state, "waiting")) {
			esc_err_set(err, "opportunity %lld is %s%s%s: a reply is taken only while it "
				"waits for one", (long long)id, state,
				col_str(row, "closed_reason") ? " " : "",
				col_str(row, "closed_reason") ? col_str(row, "closed_reason") : "");
			goto reject;
		}
		break;
	case EV_RELEASE:
		if (!kind) {
			esc_err_set(err, "opportunity %lld has no send in flight: nothing to release",
				(long long)id);
			goto reject;
		}
		break;
	case EV_CLOSE:
		if (!strcmp(state, "closed")) {
			esc_err_set(err, "opportunity %lld is already closed (%s)", (long long)id,
				col_str(row, "closed_reason") ? col_str(row, "closed_reason") : "closed");
			goto reject;
		}
		break;
	}

	if (tx_begin(o, err) < 0)
		goto fatal;
	if (add_event(o, id, evid, ev_names[e], at, json_pack("{s:s?,s:s?,s:s?}",
	    "reply", reply, "by", by, "reason", reason), err) < 0)
		goto fatal;
	switch (e) {
	case EV_APPROVAL:
		sqlite3_bind_int64(o->st[U_APPROVE], 1, id);
		sqlite3_bind_int64(o->st[U_APPROVE], 2, (sqlite3_int64)at);
		bind_text(o->st[U_APPROVE], 3, by);
		sqlite3_bind_int(o->st[U_APPROVE], 4, send);
		sqlite3_bind_int64(o->st[U_APPROVE], 5, (sqlite3_int64)esc_time_now());
		if (run(o, U_APPROVE, err) < 0)
			goto fatal;
		if (!send) {
			/* a person sent it themselves, at the approval's time */
			sqlite3_bind_int64(o->st[U_SENT], 1, id);
			sqlite3_bind_int64(o->st[U_SENT], 2, (sqlite3_int64)at);
			sqlite3_bind_int64(o->st[U_SENT], 3, (sqlite3_int64)(at + o->reply_timeout));
			sqlite3_bind_int64(o->st[U_SENT], 4, (sqlite3_int64)esc_time_now());
			if (run(o, U_SENT, err) < 0 || add_event(o, id, NULL, "sent", at,
			    json_pack("{s:s?}", "by", by ? by : "a person"), err) < 0)
				goto fatal;
			action = "sent_by_person";
		}
		break;
	case EV_REPLY:
		if (!strcmp(reply, "yes")) {
			struct esc_err terr = { 0 };

			if (esc_token_new(token, &terr) < 0) {
				esc_err_set(err, "%s", terr.msg);
				goto fatal;
			}
			esc_token_hash(token, ESC_TOKEN_LEN, hash);
		}
		sqlite3_bind_int64(o->st[U_REPLY], 1, id);
		bind_text(o->st[U_REPLY], 2, reply);
		sqlite3_bind_int64(o->st[U_REPLY], 3, (sqlite3_int64)at);
		bind_text(o->st[U_REPLY], 4, !strcmp(reply, "yes") ? "meeting" :
			!strcmp(reply, "no") ? "closed" : "waiting");
		bind_text(o->st[U_REPLY], 5, !strcmp(reply, "no") ? "declined" : NULL);
		bind_text(o->st[U_REPLY], 6, !strcmp(reply, "yes") ? hash : NULL);
		bind_time(o->st[U_REPLY], 7, !strcmp(reply, "maybe") ? at + o->maybe_wait : 0);
		sqlite3_bind_int64(o->st[U_REPLY], 8, (sqlite3_int64)esc_time_now());
		if (run(o, U_REPLY, err) < 0)
			goto fatal;
		action = !strcmp(reply, "yes") ? "meeting" : !strcmp(reply, "no") ? "declined" :
			"follow_up_later";
		break;
	case EV_RELEASE:
		if (!was_sent) {
			sqlite3_bind_int64(o->st[U_UNCLAIM], 1, id);
			sqlite3_bind_int64(o->st[U_UNCLAIM], 2, (sqlite3_int64)esc_time_now());
			if (run(o, U_UNCLAIM, err) < 0)
				goto fatal;
			action = "released";
		} else {
			enum stmt u = !strcmp(kind, "first") ? U_SENT : U_FOLLOW;
			long wait = u == U_SENT ? o->reply_timeout : o->follow_wait;
			time_t when = col_time(row, "send_claimed_at");

			sqlite3_bind_int64(o->st[u], 1, id);
			sqlite3_bind_int64(o->st[u], 2, (sqlite3_int64)when);
			sqlite3_bind_int64(o->st[u], 3, (sqlite3_int64)(at + wait));
			if (u == U_SENT)
				sqlite3_bind_int64(o->st[u], 4, (sqlite3_int64)esc_time_now());
			if (run(o, u, err) < 0)
				goto fatal;
			action = "marked_sent";
		}
		break;
	case EV_CLOSE:
		sqlite3_bind_int64(o->st[U_CLOSE], 1, id);
		bind_text(o->st[U_CLOSE], 2, reason);
		sqlite3_bind_int64(o->st[U_CLOSE], 3, (sqlite3_int64)esc_time_now());
		if (run(o, U_CLOSE, err) < 0)
			goto fatal;
		action = "closed";
		break;
	}
	if (tx_commit(o, err) < 0)
		goto fatal;
	if (e == EV_APPROVAL && send) {
		if ((sent = send_mail(o, id, SEND_FIRST, why, sizeof why, err)) < 0)
			goto fatal;
		action = sent ? "sent" : "send_failed";
	}
	if (!(r = render_id(o, id, 0, err)))
		goto fatal;
	json_object_set_new(*res, "new", json_true());
	json_object_set_new(*res, "action", json_string(action ? action : "approved"));
	if (why[0])
		json_object_set_new(*res, "error", json_string(why));
	/* the link is shown once, here, and kept nowhere but in its hash */
	if (e == EV_REPLY && !strcmp(reply, "yes") && !o->o.dry_run) {
		if (!(link = meeting_link(o, token))) {
			esc_err_set(err, "out of memory");
			goto fatal;
		}
		json_object_set_new(*res, "meeting_url", json_string(link));
		free(link);
	}
	json_object_set_new(*res, "opportunity", r);
	json_decref(row);
	return ESC_REC_OK;
reject:
	json_decref(row);
	return ESC_REC_REJECT;
fatal:
	tx_rollback(o);
	json_decref(row);
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	return ESC_REC_FATAL;
}

/* ---- the line ---- */

/* Append v as JSON to b, as the member key when key is not NULL. 0, or
 * -1 when out of memory. */
static int
put_json(struct esc_buf *b, const char *key, const json_t *v)
{
	char *s = json_dumps(v, DUMP_FLAGS | JSON_ENCODE_ANY);

	if (!s)
		return -1;
	if (key) {
		esc_buf_putc(b, ',');
		esc_buf_json_str(b, key, strlen(key));
		esc_buf_putc(b, ':');
	}
	esc_buf_puts(b, s);
	free(s);
	return esc_buf_oom ? -1 : 0;
}

enum esc_rc
esc_opps_line(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct esc_opps *o = arg;
	json_t *line, *res = NULL, *whynot = NULL, *type;
	struct esc_scan *scan;
	json_error_t je;
	enum esc_rc rc;

	o->warn.len = 0;
	if (!(line = json_loadb(rec->line, rec->len, JSON_REJECT_DUPLICATES, &je))) {
		/* jansson's words name its own flag here */
		if (!strncmp(je.text, "\\u0000 is not allowed", 21))
			esc_err_set(err, "invalid JSON at byte %d: a \\u0000 in a string is not allowed",
				je.position);
		else
			esc_err_set(err, "invalid JSON at byte %d: %s", je.position, je.text);
		return ESC_REC_REJECT;
	}
	if (!json_is_object(line)) {
		json_decref(line);
		esc_err_set(err, "not a JSON object");
		return ESC_REC_REJECT;
	}
	type = json_object_get(line, "type");
	scan = json_is_string(type) ? &o->event_scan : &o->alert_scan;
	if (type && !json_is_null(type) && !json_is_string(type)) {
		esc_err_set(err, "field \"type\" must be a string");
		rc = ESC_REC_REJECT;
	} else if (esc_scan_line(scan, rec->line, rec->len, NULL, NULL, err) < 0)
		rc = ESC_REC_REJECT;    /* found before any work: where our members are */
	else if (json_is_string(type))
		rc = event_line(o, line, json_string_value(type), &res, err);
	else
		rc = alert_line(o, line, &res, &whynot, err);
	if (rc == ESC_REC_OK) {
		/* the line as it came, less any members of ours it brought; ours
		 * go last */
		o->obj.len = 0;
		if (put_json(&o->obj, NULL, res) < 0 ||
		    (whynot && put_json(&o->obj, "why_not", whynot) < 0)) {
			esc_err_set(err, "out of memory");
			rc = ESC_REC_FATAL;
		} else
			esc_splice(out, scan, rec->line, o->obj.p, o->obj.len);
		if (o->warn.len) {
			esc_buf_putc(&o->warn, '\0');
			esc_err_set(err, "%s", o->warn.p);
		}
	}
	json_decref(res);
	json_decref(whynot);
	json_decref(line);
	return rc;
}

int
esc_opps_sync(void *arg, struct esc_err *err)
{
	return 0;
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

	if (!(r = render_id(o, id, 0, err)))
		return -1;
	a = json_pack("{s:s,s:b}", "action", action, "ok", ok);
	if (why && *why)
		json_object_set_new(a, "error", json_string(why));
	if (o->o.dry_run)
		json_object_set_new(a, "dry_run", json_true());
	json_object_set_new(a, "opportunity", r);
	s = json_dumps(a, DUMP_FLAGS);
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
	/* interrupted sends: reported, never sent again */
	sqlite3_bind_int64(o->st[Q_STUCK], 1, (sqlite3_int64)(now - o->stale_claim));
	if (!(v = ids(o, Q_STUCK, &n, err)))
		return -1;
	for (i = 0; i < n; i++) {
		if (!(row = opp_row(o, v[i], err)))
			goto fail;
		snprintf(why, sizeof why, "the %s claimed at %s was never confirmed: the run "
			"sending it stopped, and the mail may or may not have left; check the "
			"mail server's log, then send a release event (\"sent\": true or false)",
			!strcmp(col_str(row, "send_kind"), "first") ? "email" : "follow-up",
			esc_time_format(col_time(row, "send_claimed_at"), at, sizeof at));
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
		return -1;
	for (i = 0; i < n; i++) {
		if ((rc = send_mail(o, v[i], SEND_FIRST, why, sizeof why, err)) < 0 ||
		    put_action(o, f, v[i], "send", rc, why, err) < 0)
			goto fail;
		actions++;
	}
	free(v);

	/* replies past due: a follow-up (or a reminder), then the close */
	sqlite3_bind_int64(o->st[Q_WAIT], 1, (sqlite3_int64)now);
	if (!(v = ids(o, Q_WAIT, &n, err)))
		return -1;
	for (i = 0; i < n; i++) {
		const char *auto_, *action;

		if (!(row = opp_row(o, v[i], err)))
			goto fail;
		auto_ = col_str(row, "automation");
		why[0] = '\0';
		rc = 1;
		if (json_integer_value(json_object_get(row, "follow_ups")) < o->follow_max &&
		    strcmp(auto_, "human")) {
			action = "follow_up";
			if ((rc = send_mail(o, v[i], SEND_FOLLOW_UP, why, sizeof why, err)) < 0)
				goto fail;
		} else {
			int remind = json_integer_value(json_object_get(row, "follow_ups")) <
				o->follow_max;

			action = remind ? "remind" : "closed";
			if (tx_begin(o, err) < 0)
				goto fail;
			if (remind) {
				sqlite3_bind_int64(o->st[U_REMIND], 1, v[i]);
				sqlite3_bind_int64(o->st[U_REMIND], 2, (sqlite3_int64)now);
				sqlite3_bind_int64(o->st[U_REMIND], 3, (sqlite3_int64)(now + o->follow_wait));
			} else {
				sqlite3_bind_int64(o->st[U_CLOSE], 1, v[i]);
				bind_text(o->st[U_CLOSE], 2, "no_reply");
				sqlite3_bind_int64(o->st[U_CLOSE], 3, (sqlite3_int64)now);
			}
			if (run(o, remind ? U_REMIND : U_CLOSE, err) < 0 ||
			    add_event(o, v[i], NULL, remind ? "reminder" : "closed", now,
			    remind ? NULL : json_pack("{s:s}", "reason", "no_reply"), err) < 0 ||
			    tx_commit(o, err) < 0)
				goto fail;
		}
		json_decref(row);
		row = NULL;
		if (put_action(o, f, v[i], action, rc, why, err) < 0)
			goto fail;
		actions++;
	}
	free(v);
	if (o->warn.len) {
		esc_buf_putc(&o->warn, '\0');
		esc_diag("warning", NULL, 0, "%s", o->warn.p);
		o->warn.len = 0;
	}
	err->code = 0;
	return actions;
fail:
	tx_rollback(o);
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

/* ---- set-up ---- */

static int
usage_err(struct esc_err *err, const char *what)
{
	esc_err_set(err, "data file %s/upsell/usage.json: %s", esc_share_dir(), what);
	err->code = ESC_EXIT_DATA;
	return -1;
}

static int
duration(json_t *obj, const char *key, long *secs, struct esc_err *err)
{
	const char *s = json_string_value(json_object_get(obj, key));
	char what[128];

	if (!s || esc_duration_parse(s, secs) < 0) {
		snprintf(what, sizeof what, "\"%s\" must be a duration, like 24h", key);
		return usage_err(err, what);
	}
	return 0;
}

/* Check usage.json once, so the lines need not. */
static int
load_usage(struct esc_opps *o, struct esc_err *err)
{
	json_t *trig, *v, *fu;
	size_t i;
	int s;

	if (!(o->usage = esc_share_json("upsell/usage.json", err))) {
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	trig = json_object_get(o->usage, "trigger");
	if (!json_is_array(json_object_get(trig, "severities")) ||
	    !json_is_array(json_object_get(trig, "metrics")) ||
	    !json_is_number(json_object_get(trig, "threshold")))
		return usage_err(err, "\"trigger\" needs \"severities\", \"metrics\" and \"threshold\"");
	json_array_foreach(json_object_get(trig, "severities"), i, v)
		if (!json_is_string(v) || esc_severity_parse(json_string_value(v),
		    json_string_length(v)) < 0)
			return usage_err(err, "\"trigger.severities\": low, medium, high or critical");
	json_array_foreach(json_object_get(trig, "metrics"), i, v)
		if (!json_is_string(v))
			return usage_err(err, "\"trigger.metrics\" must be strings");
	o->threshold = o->o.have_threshold ? o->o.threshold :
		json_number_value(json_object_get(trig, "threshold"));
	for (s = 0; s < ESC_SEV_N; s++) {
		const char *a = automation_of(o, esc_severity_name(s));

		if (!a || (strcmp(a, "full") && strcmp(a, "hybrid") && strcmp(a, "human")))
			return usage_err(err, "\"automation\" must map low, medium, high and critical "
				"to full, hybrid or human");
	}
	fu = json_object_get(o->usage, "follow_up");
	if (duration(o->usage, "reply_timeout", &o->reply_timeout, err) < 0 ||
	    duration(fu, "wait", &o->follow_wait, err) < 0 ||
	    duration(fu, "maybe_wait", &o->maybe_wait, err) < 0 ||
	    duration(o->usage, "stale_claim", &o->stale_claim, err) < 0)
		return -1;
	v = json_object_get(fu, "max");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    !json_is_string(json_object_get(fu, "subject")) ||
	    !json_is_string(json_object_get(fu, "body")))
		return usage_err(err, "\"follow_up\" needs \"max\" (a whole number), \"subject\" "
			"and \"body\"");
	o->follow_max = (long)json_integer_value(v);
	if (!json_is_string(json_object_get(o->usage, "sender")))
		return usage_err(err, "\"sender\" must be a string");
	o->meeting_url = getenv("ESC_MEETING_URL");
	if (!o->meeting_url || !*o->meeting_url)
		o->meeting_url = json_string_value(json_object_get(o->usage, "meeting_url"));
	if (!o->meeting_url || !*o->meeting_url)
		return usage_err(err, "\"meeting_url\" must be a URL (or set ESC_MEETING_URL)");
	return 0;
}

/* email.txt: "Subject: ..." on the first line, a blank line, the body. */
static int
load_templates(struct esc_opps *o, struct esc_err *err)
{
	char *text, *nl;
	size_t len;

	if (esc_share_read("upsell/email.txt", &text, &len, err) < 0) {
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	if (strncmp(text, "Subject: ", 9) || !(nl = strstr(text, "\n\n"))) {
		free(text);
		esc_err_set(err, "data file %s/upsell/email.txt: the first line is \"Subject: ...\", "
			"then a blank line, then the body", esc_share_dir());
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	o->email_subject = strndup(text + 9, (size_t)(nl - text - 9));
	o->email_body = strdup(nl + 2);
	free(text);
	if (esc_share_read("upsell/slack.txt", &o->slack, &len, err) < 0) {
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	while (len && (o->slack[len - 1] == '\n' || o->slack[len - 1] == '\r'))
		o->slack[--len] = '\0';
	if (!o->email_subject || !o->email_body) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* --contracts FILE: one JSON object per line, keyed by its account_id;
 * a later line for the same account wins. */
static int
load_contracts(struct esc_opps *o, const char *path, struct esc_err *err)
{
	char key[ID_MAX], *buf = NULL;
	unsigned long lineno = 0;
	size_t cap = 0;
	ssize_t n;
	json_error_t je;
	json_t *c;
	FILE *f;

	err->code = ESC_EXIT_INPUT;
	if (!(f = fopen(path, "r"))) {
		esc_err_set(err, "--contracts: cannot open %s: %s", path, strerror(errno));
		err->code = ESC_EXIT_IO;
		return -1;
	}
	o->contracts = json_object();
	while ((n = getline(&buf, &cap, f)) > 0) {
		lineno++;
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (!(c = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &je))) {
			esc_err_set(err, "%s:%lu: invalid JSON at byte %d: %s", path, lineno,
				je.position, je.text);
			goto fail;
		}
		if (!json_is_object(c) || get_id(c, "account_id", 1, key, err) < 0) {
			char why[sizeof err->msg];

			snprintf(why, sizeof why, "%s", json_is_object(c) ? err->msg :
				"not a JSON object");
			esc_err_set(err, "%s:%lu: %s", path, lineno, why);
			json_decref(c);
			goto fail;
		}
		json_object_set_new(o->contracts, key, c);
	}
	if (ferror(f)) {
		esc_err_set(err, "--contracts: cannot read %s: %s", path, strerror(errno));
		err->code = ESC_EXIT_IO;
		goto fail;
	}
	free(buf);
	fclose(f);
	err->code = 0;
	return 0;
fail:
	free(buf);
	fclose(f);
	return -1;
}

struct esc_opps *
esc_opps_new(sqlite3 *db, const struct esc_opps_opts *opts, struct esc_err *err)
{
	struct esc_opps *o = calloc(1, sizeof *o);
	const char *s;
	int i;

	if (!o) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	o->db = db;
	o->o = *opts;
	if (esc_scan_init(&o->alert_scan, "opportunity") < 0 ||
	    esc_scan_init(&o->event_scan, "applied") < 0) {
		esc_err_set(err, "out of memory");
		goto fail;
	}
	o->alert_scan.also = "why_not";
	if (load_usage(o, err) < 0 || load_templates(o, err) < 0 ||
	    !(o->plans = esc_plans_load(err)) ||
	    (opts->contracts && load_contracts(o, opts->contracts, err) < 0))
		goto fail;
	if (esc_net_init(&o->net, err) < 0) {
		err->code = ESC_EXIT_USAGE;
		goto fail;
	}
	s = getenv("ESC_SLACK_WEBHOOK");
	o->slack_url = s && *s ? s : NULL;
	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &o->st[i],
		    NULL) != SQLITE_OK) {
			esc_store_err(db, err);
			err->code = ESC_EXIT_STORE;
			goto fail;
		}
	return o;
fail:
	esc_opps_free(o, NULL);
	return NULL;
}

int
esc_opps_free(struct esc_opps *o, struct esc_err *err)
{
	int i;

	if (!o)
		return 0;
	/* a dry run's one transaction is undone here; a real run has none open */
	tx_rollback(o);
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(o->st[i]);
	esc_plans_free(o->plans);
	json_decref(o->usage);
	json_decref(o->contracts);
	free(o->email_subject);
	free(o->email_body);
	free(o->slack);
	esc_buf_free(&o->warn);
	esc_buf_free(&o->obj);
	esc_scan_free(&o->alert_scan);
	esc_scan_free(&o->event_scan);
	free(o);
	return 0;
}
