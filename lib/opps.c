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
 * it instead of sending again.
 *
 * Here: the store, the output, the reading of a line's fields, the line
 * and the set-up. An alert is oppalert.c, the events oppevent.c, the
 * sending and --due oppsend.c; opps-int.h is what they share. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "opps-int.h"
#include "store.h"

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
	/* the claim: only one run gets it, and only while the mail is due:
	 * a run that chose it earlier may find it sent (or answered, or
	 * closed) by another since (?4: follow_up.max) */
	[U_CLAIM] = "UPDATE opportunities SET send_claimed_at = ?2, send_kind = ?3, updated_at = ?2 "
		"WHERE id = ?1 AND send_claimed_at IS NULL AND CASE ?3 "
		"WHEN 'first' THEN state = 'drafted' AND send_wanted = 1 "
		"ELSE state = 'waiting' AND reply_due <= ?2 AND follow_ups < ?4 END",
	[U_SENT] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"send_wanted = 0, sent_at = ?2, state = 'waiting', reply_due = ?3, updated_at = ?4 "
		"WHERE id = ?1",
	[U_FOLLOW] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"follow_ups = follow_ups + 1, reply_due = ?3, updated_at = ?2 WHERE id = ?1",
	/* a follow-up refused for good spends every follow-up left (?4:
	 * follow_up.max): the next timeout closes it */
	[U_FOLLOW_SPENT] = "UPDATE opportunities SET send_claimed_at = NULL, send_kind = NULL, "
		"follow_ups = max(follow_ups + 1, ?4), reply_due = ?3, updated_at = ?2 WHERE id = ?1",
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
	/* --due's reminder and close, only while still due (?4, ?3: follow_up.max) */
	[U_REMIND] = "UPDATE opportunities SET follow_ups = follow_ups + 1, reply_due = ?3, "
		"updated_at = ?2 WHERE id = ?1 AND state = 'waiting' AND reply_due <= ?2 "
		"AND send_claimed_at IS NULL AND follow_ups < ?4",
	[U_NOREPLY] = "UPDATE opportunities SET state = 'closed', closed_reason = 'no_reply', "
		"reply_due = NULL, send_wanted = 0, updated_at = ?2 WHERE id = ?1 AND state = 'waiting' "
		"AND reply_due <= ?2 AND send_claimed_at IS NULL AND follow_ups >= ?3",
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

/* ---- the store ---- */

int
esc_opp_store_fail(struct esc_opps *o, struct esc_err *err)
{
	esc_store_err(o->db, err);
	err->code = ESC_EXIT_STORE;
	return -1;
}

void
esc_opp_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void
esc_opp_bind_time(sqlite3_stmt *st, int i, time_t t)
{
	if (t)
		sqlite3_bind_int64(st, i, (sqlite3_int64)t);
	else
		sqlite3_bind_null(st, i);
}

/* Run a statement to its end; the number of rows it changed, or -1. */
int
esc_opp_run(struct esc_opps *o, enum stmt which, struct esc_err *err)
{
	sqlite3_stmt *st = o->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return esc_opp_store_fail(o, err);
	return sqlite3_changes(o->db);
}

/* One integer from a one-row query: 1 and *v, 0 for no row, -1. */
int
esc_opp_one_int(struct esc_opps *o, enum stmt which, sqlite3_int64 *v, struct esc_err *err)
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
	return esc_opp_store_fail(o, err);
}

int
esc_opp_tx_begin(struct esc_opps *o, struct esc_err *err)
{
	if (o->in_tx)
		return 0;
	if (esc_opp_run(o, TX_BEGIN, err) < 0)
		return -1;
	o->in_tx = 1;
	return 0;
}

/* A dry run keeps its one transaction open, to be rolled back at the end. */
int
esc_opp_tx_commit(struct esc_opps *o, struct esc_err *err)
{
	if (!o->in_tx || o->o.dry_run)
		return 0;
	if (esc_opp_run(o, TX_COMMIT, err) < 0)
		return -1;
	o->in_tx = 0;
	return 0;
}

void
esc_opp_tx_rollback(struct esc_opps *o)
{
	if (!o->in_tx)
		return;
	sqlite3_step(o->st[TX_ROLLBACK]);
	sqlite3_reset(o->st[TX_ROLLBACK]);
	o->in_tx = 0;
}

/* An opportunity's row as a JSON object, column by column; NULL with err
 * if it is gone or the store fails. */
json_t *
esc_opp_row(struct esc_opps *o, sqlite3_int64 id, struct esc_err *err)
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
		esc_opp_store_fail(o, err);
	err->code = ESC_EXIT_STORE;
	return NULL;
}

const char *
esc_opp_col_str(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

time_t
esc_opp_col_time(const json_t *row, const char *name)
{
	return (time_t)json_integer_value(json_object_get(row, name));
}

/* Add an event to an opportunity's timeline. id NULL: one made up from
 * the opportunity and its count of events. detail (stolen) may be NULL. */
int
esc_opp_add_event(struct esc_opps *o, sqlite3_int64 opp, const char *id, const char *type, time_t at,
	json_t *detail, struct esc_err *err)
{
	sqlite3_stmt *st = o->st[EV_INS];
	sqlite3_int64 n = 0;
	char made[64], *d = NULL;
	int rc;

	if (!id) {
		sqlite3_bind_int64(o->st[EV_COUNT], 1, opp);
		if (esc_opp_one_int(o, EV_COUNT, &n, err) < 0) {
			json_decref(detail);
			return -1;
		}
		snprintf(made, sizeof made, "opportunity/%lld/%lld/%s", (long long)opp,
			(long long)n + 1, type);
		id = made;
	}
	if (detail)
		d = esc_json_text(detail);
	json_decref(detail);
	esc_opp_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, opp);
	esc_opp_bind_text(st, 3, type);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
	esc_opp_bind_text(st, 5, d);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)esc_time_now());
	free(d);
	rc = esc_opp_run(o, EV_INS, err);
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
json_t *
esc_opp_jnum(double v)
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
				esc_opp_jnum(json_real_value(v)) : json_incref(v));
	plan = json_loads(esc_opp_col_str(row, "plan_json") ? esc_opp_col_str(row, "plan_json") :
		"null", 0, NULL);
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
json_t *
esc_opp_render_id(struct esc_opps *o, sqlite3_int64 id, int with_email, struct esc_err *err)
{
	json_t *row = esc_opp_row(o, id, err), *r;

	if (!row)
		return NULL;
	r = render(row, with_email);
	json_decref(row);
	return r;
}

void
esc_opp_warn(struct esc_opps *o, const char *fmt, ...)
{
	va_list ap;
	char msg[768];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (o->warn_now) {
		esc_diag("warning", NULL, 0, "%s", msg);
		return;
	}
	if (o->warn.len)
		esc_buf_puts(&o->warn, "; ");
	esc_buf_puts(&o->warn, msg);
}

/* ---- reading a line's fields ---- */

/* An id-like field: a non-empty string, or a whole number, as text. */
int
esc_opp_get_id(json_t *line, const char *key, int required, char *buf, struct esc_err *err)
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
int
esc_opp_get_str(json_t *obj, const char *where, const char *key, int required, const char **s,
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

int
esc_opp_get_num(json_t *obj, const char *where, const char *key, int required, double *d,
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
int
esc_opp_get_time(json_t *obj, const char *where, const char *key, time_t *t, struct esc_err *err)
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

int
esc_opp_get_bool(json_t *obj, const char *key, int dflt, int *b, struct esc_err *err)
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

/* ---- the line ---- */

/* Append v as JSON to b, as the member key when key is not NULL. 0, or
 * -1 when out of memory. */
static int
put_json(struct esc_buf *b, const char *key, const json_t *v)
{
	char *s = esc_json_text(v);

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
		esc_json_load_err(err, &je);
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
		rc = esc_opp_event_line(o, line, json_string_value(type), &res, err);
	else
		rc = esc_opp_alert_line(o, line, &res, &whynot, err);
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
	v = json_object_get(trig, "threshold");
	/* above 0: the mail says how many times over it the value is */
	if (!(json_number_value(v) > 0 && json_number_value(v) <= ESC_OPPS_NUM_MAX))
		return usage_err(err, "\"trigger.threshold\" must be a number above 0, at most 1e15");
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
		const char *a = esc_opp_automation_of(o, esc_severity_name(s));

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
		/* a bad line is named as the record loop names one */
		err->name = path;
		err->line = lineno;
		if (!(c = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &je))) {
			esc_json_load_err(err, &je);
			goto fail;
		}
		if (!json_is_object(c) || esc_opp_get_id(c, "account_id", 1, key, err) < 0) {
			if (!json_is_object(c))
				esc_err_set(err, "not a JSON object");
			json_decref(c);
			goto fail;
		}
		err->name = NULL;
		err->line = 0;
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
	esc_opp_tx_rollback(o);
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
