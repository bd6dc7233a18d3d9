/* handover.c — the handover to a human (seed 002): an answer that says
 * the problem was not solved opens an escalation of type ai_failure (a
 * row in 001's questions and escalations, so esc-log and esc-stats see it
 * as any other) and its handover, which waits for an agent within the
 * service hours, or is scheduled for their next opening outside them.
 *
 * The meeting link. Its token is stored only as a hash, so the link exists
 * in clear only in memory, at the moment it is made; it is made when the
 * handover starts waiting for an agent:
 *  - at esc_handover_open within service hours: shown once in the
 *    --record output and carried by the agents' webhook right after the
 *    line's commit (the token waits for esc_handover_notify in struct
 *    esc_survey, and is wiped there);
 *  - by --due at the opening, for a scheduled handover: its output line
 *    and the webhook carry it (the --record output said "scheduled_at"
 *    and carried no link).
 * A notification that failed is retried by --due, and since the original
 * token is gone by then, the retry makes a new one, which the --due line
 * carries. The old link keeps working until its own expiry: the webhook
 * may have got it before it failed, and the --record output showed it.
 * Every link's hash is a row of handover_links; handovers.meeting_token
 * is the newest, and joining by any link spends them all.
 *
 * Notifications are claimed before the webhook is called
 * (notify_claimed_at, committed) and marked notified after. A failure seen
 * by the run that called clears the claim for --due to retry (a webhook
 * that timed out may have got the notice: agents then get it twice, which
 * beats never). A claim older than claim_grace was left by a crash: it is
 * never sent again, only reported (notified_at = the claim's time,
 * notify_error "unconfirmed"). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store.h"
#include "survey-int.h"

/* ---- the link ---- */

static const char *
meeting_base(void)
{
	const char *u = getenv("ESC_MEETING_URL");

	return u && *u ? u : NULL;
}

/* $ESC_MEETING_URL with token in place of {token}, or after it, into b
 * (NUL-terminated). */
static void
meeting_link(const char *token, struct esc_buf *b)
{
	const char *base = meeting_base(), *at = strstr(base, "{token}");

	b->len = 0;
	if (at) {
		esc_buf_put(b, base, (size_t)(at - base));
		esc_buf_puts(b, token);
		esc_buf_puts(b, at + 7);
	} else {
		esc_buf_puts(b, base);
		esc_buf_puts(b, token);
	}
	esc_buf_putc(b, '\0');
}

static void
wipe(struct esc_buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	esc_buf_free(b);
}

/* A new token for a handover's link into token, its hash into hash; ""
 * for both when there is to be no link ($ESC_MEETING_URL unset, or a dry
 * run, whose link nobody could use). 0, or -1 with err. */
static int
new_token(struct esc_survey *s, char *token, char *hash, struct esc_err *err)
{
	token[0] = hash[0] = '\0';
	if (!meeting_base() || esc_survey_dry(s))
		return 0;
	if (esc_token_new(token, err) < 0)
		return -1;
	esc_token_hash(token, ESC_TOKEN_LEN, hash);
	return 0;
}

/* Keep the hash of a link made for handover id at now: one of the links
 * that open it, until now + meeting_ttl. 0, or -1 with err. */
static int
keep_link(struct esc_survey *s, long long id, const char *hash, time_t now,
	struct esc_err *err)
{
	sqlite3_stmt *st;

	if (!(st = esc_survey_prepare(esc_survey_db(s), "INSERT INTO handover_links "
	    "(token, handover_id, expires_at, made_at) VALUES (?1, ?2, ?3, ?4)", err)))
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(now + esc_survey_cfg(s)->meeting_ttl));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	return esc_survey_once(esc_survey_db(s), st, err) < 0 ? -1 : 0;
}

static void
put_time(struct esc_buf *b, const char *key, time_t t)
{
	char buf[32];

	if (t)
		esc_buf_printf(b, ",\"%s\":\"%s\"", key, esc_time_format(t, buf, sizeof buf));
	else
		esc_buf_printf(b, ",\"%s\":null", key);
}

/* ---- opening ---- */

static void
put_handover(struct esc_buf *obj, long long id, long long esc, int fresh, const char *state,
	int within, time_t scheduled, const char *token)
{
	struct esc_buf link = { 0 };

	esc_buf_printf(obj, "{\"handover_id\":%lld,\"escalation_id\":%lld,\"new\":%s,"
		"\"state\":\"%s\",\"within_service_hours\":%s", id, esc, fresh ? "true" : "false",
		state, within ? "true" : "false");
	put_time(obj, "scheduled_at", scheduled);
	esc_buf_puts(obj, ",\"meeting_url\":");
	if (token && *token) {
		meeting_link(token, &link);
		esc_buf_json_str(obj, link.p, link.len - 1);
		wipe(&link);
	} else
		esc_buf_puts(obj, "null");
	esc_buf_putc(obj, '}');
}

/* The survey's handover when it has one: 1 (and its object in obj), 0, -1. */
static int
existing(sqlite3 *db, long long survey_id, long long *id, struct esc_buf *obj,
	struct esc_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = esc_survey_prepare(db, "SELECT id, escalation_id, state, within_service_hours, "
	    "scheduled_at FROM handovers WHERE survey_id = ?1 ORDER BY id LIMIT 1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		put_handover(obj, *id, sqlite3_column_int64(st, 1), 0,
			(const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3),
			(time_t)sqlite3_column_int64(st, 4), NULL);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	return rc == SQLITE_ROW;
}

int
esc_handover_open(struct esc_survey *s, long long survey_id, long long problem_id,
	const char *customer, const char *session, const char *text, time_t now,
	long long *handover_id, struct esc_buf *obj, struct esc_err *err)
{
	const struct esc_survey_cfg *cfg = esc_survey_cfg(s);
	sqlite3 *db = esc_survey_db(s);
	char token[ESC_TOKEN_LEN + 1], hash[ESC_HASH_LEN + 1];
	struct esc_sla *sla;
	sqlite3_stmt *st;
	long long qid, eid;
	time_t first_due, done_due, scheduled = 0;
	int within, found;

	/* one handover per survey: a second unsolved answer finds the first */
	if ((found = existing(db, survey_id, handover_id, obj, err)) != 0)
		return found < 0 ? -1 : 0;
	/* outside the hours it waits for the next opening; with none within a
	 * year (a configuration with no open day) agents are told at once */
	within = esc_hours_open(&cfg->service, now);
	if (!within && (scheduled = esc_hours_next(&cfg->service, now)) == (time_t)-1)
		scheduled = 0;
	/* handovers are rare: the SLA is read when one opens. Its clock starts
	 * when agents are told: a handover held for the opening must not be
	 * overdue by then. */
	if (!(sla = esc_sla_load(NULL, err))) {
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	first_due = esc_sla_add(sla, scheduled ? scheduled : now,
		esc_sla_target(sla, cfg->handover_severity, ESC_SLA_FIRST_RESPONSE));
	done_due = esc_sla_add(sla, scheduled ? scheduled : now,
		esc_sla_target(sla, cfg->handover_severity, ESC_SLA_RESOLUTION));
	esc_sla_free(sla);

	if (!(st = esc_survey_prepare(db,
	    "INSERT INTO questions (message_id, conversation_id, user_id, "
	    "created_at, route, logged_at) VALUES ('survey:' || ?1, ?1, ?2, ?3, 'human', ?3)", err)))
		return -1;
	sqlite3_bind_text(st, 1, session, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	qid = sqlite3_last_insert_rowid(db);
	if (!(st = esc_survey_prepare(db,
	    "INSERT INTO escalations (question_id, message_id, conversation_id, "
	    "user_id, question, route, reason, reasons, alerts, severity, status, created_at, "
	    "first_response_due, resolution_due, updated_at) VALUES (?1, 'survey:' || ?2, ?2, ?3, "
	    "?4, 'human', 'ai_failure', '[\"ai_failure\"]', '[]', ?5, 'open', ?6, ?7, ?8, ?6)", err)))
		return -1;
	sqlite3_bind_int64(st, 1, qid);
	sqlite3_bind_text(st, 2, session, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, customer, -1, SQLITE_STATIC);
	esc_survey_bind_text(st, 4, text);
	sqlite3_bind_text(st, 5, esc_severity_name(cfg->handover_severity), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
	esc_survey_bind_int(st, 7, first_due, 0);
	esc_survey_bind_int(st, 8, done_due, 0);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	eid = sqlite3_last_insert_rowid(db);

	if (scheduled)
		token[0] = hash[0] = '\0';
	else if (new_token(s, token, hash, err) < 0)
		return -1;
	if (!(st = esc_survey_prepare(db,
	    "INSERT INTO handovers (escalation_id, survey_id, problem_id, "
	    "customer_id, type, state, within_service_hours, scheduled_at, meeting_token, "
	    "meeting_expires_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'ai_failure', ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?10)", err)))
		goto fail;
	sqlite3_bind_int64(st, 1, eid);
	sqlite3_bind_int64(st, 2, survey_id);
	esc_survey_bind_int(st, 3, problem_id, 0);
	sqlite3_bind_text(st, 4, customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, scheduled ? "scheduled" : "awaiting_agent", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, within);
	esc_survey_bind_int(st, 7, scheduled, 0);
	if (*hash) {
		sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)(now + cfg->meeting_ttl));
	}
	sqlite3_bind_int64(st, 10, (sqlite3_int64)now);
	if (esc_survey_once(db, st, err) < 0)
		goto fail;
	*handover_id = sqlite3_last_insert_rowid(db);
	if (*hash && keep_link(s, *handover_id, hash, now, err) < 0)
		goto fail;
	explicit_bzero(s->pending_token, sizeof s->pending_token);
	s->pending_id = 0;
	if (*token) {
		s->pending_id = *handover_id;
		memcpy(s->pending_token, token, sizeof token);
	}
	put_handover(obj, *handover_id, eid, 1, scheduled ? "scheduled" : "awaiting_agent", within,
		scheduled, token);
	explicit_bzero(token, sizeof token);
	return 0;
fail:
	explicit_bzero(token, sizeof token);
	return -1;
}

/* ---- the agents' webhook ---- */

static void
set_str(json_t *o, const char *key, const unsigned char *v)
{
	json_object_set_new(o, key, v ? json_string((const char *)v) : json_null());
}

static void
set_int(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	json_object_set_new(o, key, sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
		json_integer(sqlite3_column_int64(st, col)));
}

/* The webhook's JSON for handover id, with link (or null); caller frees.
 * NULL with err. */
static char *
payload(sqlite3 *db, long long id, const char *link, struct esc_err *err)
{
	sqlite3_stmt *st;
	json_t *o = NULL;
	char at[32], *body = NULL;
	int rc;

	if (!(st = esc_survey_prepare(db,
	    "SELECT h.escalation_id, s.session_id, h.customer_id, c.name, "
	    "e.severity, coalesce(p.description, e.question), h.problem_id, p.affected_users, "
	    "h.within_service_hours, h.scheduled_at FROM handovers h "
	    "JOIN escalations e ON e.id = h.escalation_id "
	    "LEFT JOIN surveys s ON s.id = h.survey_id "
	    "LEFT JOIN contacts c ON c.customer_id = h.customer_id "
	    "LEFT JOIN problems p ON p.id = h.problem_id WHERE h.id = ?1", err)))
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && (o = json_object())) {
		json_object_set_new(o, "type", json_string("new_escalation"));
		set_int(o, "escalation_id", st, 0);
		json_object_set_new(o, "handover_id", json_integer(id));
		set_str(o, "session_id", sqlite3_column_text(st, 1));
		set_str(o, "customer_id", sqlite3_column_text(st, 2));
		set_str(o, "name", sqlite3_column_text(st, 3));
		set_str(o, "priority", sqlite3_column_text(st, 4));
		json_object_set_new(o, "reason", json_string("ai_failure"));
		set_str(o, "problem", sqlite3_column_text(st, 5));
		set_int(o, "problem_id", st, 6);
		set_int(o, "affected_users", st, 7);
		json_object_set_new(o, "within_service_hours", json_boolean(sqlite3_column_int(st, 8)));
		json_object_set_new(o, "scheduled_at", sqlite3_column_type(st, 9) == SQLITE_NULL ?
			json_null() : json_string(esc_time_format((time_t)sqlite3_column_int64(st, 9),
			at, sizeof at)));
		json_object_set_new(o, "meeting_url", link ? json_string(link) : json_null());
		body = esc_json_text(o);
		json_decref(o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		esc_survey_store_fail(db, err);
		return NULL;
	}
	if (!body) {
		esc_err_set(err, rc == SQLITE_ROW ? "out of memory" : "handover %lld: gone", id);
		err->code = ESC_EXIT_STORE;
	}
	return body;
}

/* Notify the agents of handover id. token: the link's token made at the
 * opening, or NULL to make a new one (the newest; older links still
 * work). The link
 * sent goes to link (when not NULL). 1 sent, 0 nothing to do (no webhook,
 * a dry run, claimed or sent already), -1 with err: ESC_EXIT_NET (kept
 * for --due), else the store. */
static int
notify(struct esc_survey *s, long long id, const char *token, struct esc_buf *link,
	struct esc_err *err)
{
	const struct esc_survey_cfg *cfg = esc_survey_cfg(s);
	const char *url = getenv("ESC_AGENT_WEBHOOK");
	sqlite3 *db = esc_survey_db(s);
	char fresh[ESC_TOKEN_LEN + 1] = "", hash[ESC_HASH_LEN + 1];
	struct esc_http_resp rs = { 0 };
	struct esc_http_req rq = { 0 };
	struct esc_err nerr = { 0 };
	struct esc_buf made = { 0 };
	time_t now = esc_time_now();
	sqlite3_stmt *st;
	struct esc_survey_tx tx = { 0 };
	char *body = NULL;
	int n, permanent = 0, rc = -1;

	if (!url || !*url || esc_survey_dry(s))
		return 0;
	if (s->down[SC_WEBHOOK][0]) {
		/* it refused the run's settings: every call would be refused alike */
		esc_err_set(err, "handover %lld: the agents' webhook was not called: it failed on the "
			"credentials or settings earlier in this run (%s); survey-send --due calls it "
			"again", id, s->down[SC_WEBHOOK]);
		err->code = ESC_EXIT_NET;
		return -1;
	}
	if (esc_survey_begin(db, &tx, err) < 0)
		return -1;
	if (!(st = esc_survey_prepare(db,
	    "UPDATE handovers SET notify_claimed_at = ?2, updated_at = ?2 "
	    "WHERE id = ?1 AND state = 'awaiting_agent' AND notify_claimed_at IS NULL "
	    "AND notified_at IS NULL", err)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if ((n = esc_survey_once(db, st, err)) < 0)
		goto fail;
	if (n == 0) {
		esc_survey_rollback(&tx);
		return 0;
	}
	if (!token) {
		if (new_token(s, fresh, hash, err) < 0)
			goto fail;
		if (*fresh) {
			if (!(st = esc_survey_prepare(db, "UPDATE handovers SET meeting_token = ?2, "
			    "meeting_expires_at = ?3 WHERE id = ?1", err)))
				goto fail;
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (sqlite3_int64)(now + cfg->meeting_ttl));
			if (esc_survey_once(db, st, err) < 0 || keep_link(s, id, hash, now, err) < 0)
				goto fail;
			token = fresh;
		}
	}
	if (esc_survey_commit(&tx, err) < 0)
		goto fail;
	if (token && *token)
		meeting_link(token, &made);
	if (!(body = payload(db, id, made.p, err)))
		goto out;
	rq.url = url;
	rq.body = body;
	rq.len = strlen(body);
	n = esc_http(esc_survey_net(s), &rq, &rs, &nerr);
	/* a webhook that refuses (a 4xx) will refuse again: no more tries;
	 * one that refuses the credentials or its address (ESC_NET_SETUP)
	 * refuses the operator's settings, not this handover: no try counted */
	permanent = rs.permanent;
	esc_http_resp_free(&rs);

	if (esc_survey_begin(db, &tx, err) < 0)
		goto out;
	if (n == 0)
		st = esc_survey_prepare(db, "UPDATE handovers SET notified_at = ?2, notify_error = NULL, "
			"updated_at = ?2 WHERE id = ?1", err);
	else
		st = esc_survey_prepare(db, "UPDATE handovers SET notify_claimed_at = NULL, "
			"notify_tries = CASE WHEN ?4 THEN max(notify_tries + 1, ?5) "
			"ELSE notify_tries + ?6 END, notify_error = ?3, updated_at = ?2 "
			"WHERE id = ?1", err);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (n != 0) {
		sqlite3_bind_text(st, 3, nerr.msg, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, permanent == ESC_NET_REFUSED);
		sqlite3_bind_int(st, 5, esc_survey_cfg(s)->max_tries);
		sqlite3_bind_int(st, 6, permanent != ESC_NET_SETUP);
	}
	if (esc_survey_once(db, st, err) < 0 || esc_survey_commit(&tx, err) < 0)
		goto fail;
	if (link && made.p)
		esc_buf_puts(link, made.p);
	if (n == 0) {
		rc = 1;
	} else if (permanent == ESC_NET_SETUP) {
		esc_survey_net_failed(s);
		snprintf(s->down[SC_WEBHOOK], sizeof s->down[0], "%s", nerr.msg);
		esc_err_set(err, "handover %lld: the agents' webhook failed on the credentials or "
			"settings: %s; no try is counted, it is not called again in this run, and "
			"survey-send --due calls it again: check ESC_AGENT_WEBHOOK", id, nerr.msg);
		err->code = ESC_EXIT_NET;
	} else {
		esc_survey_net_failed(s);
		esc_err_set(err, "handover %lld: the agents' webhook was not called: %s; %s", id,
			nerr.msg, permanent ? "it refused, so it is not tried again" :
			"survey-send --due retries it (up to max_tries)");
		err->code = ESC_EXIT_NET;
	}
	goto out;
fail:
	esc_survey_rollback(&tx);
out:
	explicit_bzero(fresh, sizeof fresh);
	if (body) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	wipe(&made);
	return rc;
}

int
esc_handover_notify(struct esc_survey *s, long long handover_id, struct esc_err *err)
{
	char token[ESC_TOKEN_LEN + 1] = "";
	int rc;

	if (s->pending_id && s->pending_id == handover_id)
		memcpy(token, s->pending_token, sizeof token);
	explicit_bzero(s->pending_token, sizeof s->pending_token);
	s->pending_id = 0;
	rc = notify(s, handover_id, *token ? token : NULL, NULL, err);
	explicit_bzero(token, sizeof token);
	return rc < 0 ? -1 : 0;
}

/* ---- --due ---- */

/* The ids a query returns; the statement is finalized. NULL with err. */
static long long *
ids(sqlite3_stmt *st, size_t *n, struct esc_err *err)
{
	long long *v = esc_store_ids(st, n, err);

	sqlite3_finalize(st);
	return v;
}

/* One --due line: the action and the handover as it is now. */
static int
put_action(struct esc_survey *s, struct esc_buf *out, long long id, const char *action,
	const char *link, const char *error, struct esc_err *err)
{
	sqlite3 *db = esc_survey_db(s);
	sqlite3_stmt *st;
	int rc;

	if (!(st = esc_survey_prepare(db,
	    "SELECT h.escalation_id, h.survey_id, s.session_id, h.customer_id, "
	    "h.state, h.scheduled_at, h.notify_tries FROM handovers h "
	    "LEFT JOIN surveys s ON s.id = h.survey_id WHERE h.id = ?1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		esc_buf_printf(out, "{\"action\":\"%s\",\"handover_id\":%lld,\"escalation_id\":%lld",
			action, id, (long long)sqlite3_column_int64(st, 0));
		esc_buf_printf(out, ",\"survey_id\":%lld", (long long)sqlite3_column_int64(st, 1));
		esc_buf_puts(out, ",\"session_id\":");
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			esc_buf_puts(out, "null");
		else
			esc_buf_json_str(out, (const char *)sqlite3_column_text(st, 2),
				(size_t)sqlite3_column_bytes(st, 2));
		esc_buf_puts(out, ",\"customer_id\":");
		esc_buf_json_str(out, (const char *)sqlite3_column_text(st, 3),
			(size_t)sqlite3_column_bytes(st, 3));
		esc_buf_printf(out, ",\"state\":\"%s\"", sqlite3_column_text(st, 4));
		put_time(out, "scheduled_at", (time_t)sqlite3_column_int64(st, 5));
		esc_buf_printf(out, ",\"notify_tries\":%lld", (long long)sqlite3_column_int64(st, 6));
		if (link) {
			esc_buf_puts(out, ",\"meeting_url\":");
			esc_buf_json_str(out, link, strlen(link));
		}
		if (error) {
			esc_buf_puts(out, ",\"error\":");
			esc_buf_json_str(out, error, strlen(error));
		}
		if (esc_survey_dry(s))
			esc_buf_puts(out, ",\"dry_run\":true");
		esc_buf_puts(out, "}\n");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	return 0;
}

/* Notify and say so: one line, "notified" or "notify_failed" (nothing
 * when there was nothing to do). 1 for a line, 0, -1 for the store. */
static int
notify_line(struct esc_survey *s, struct esc_buf *out, long long id, const char *token,
	struct esc_err *err)
{
	struct esc_buf link = { 0 };
	struct esc_err nerr = { 0 };
	int rc = notify(s, id, token, &link, &nerr);

	if (rc < 0 && nerr.code != ESC_EXIT_NET) {
		*err = nerr;
		rc = -1;
	} else if (rc != 0) {
		esc_buf_putc(&link, '\0');
		rc = put_action(s, out, id, rc > 0 ? "notified" : "notify_failed",
			token || link.len < 2 ? NULL : link.p, rc > 0 ? NULL : nerr.msg, err) < 0 ? -1 : 1;
	}
	wipe(&link);
	return rc;
}

long
esc_handover_due(struct esc_survey *s, struct esc_buf *out, struct esc_err *err)
{
	const struct esc_survey_cfg *cfg = esc_survey_cfg(s);
	sqlite3 *db = esc_survey_db(s);
	char token[ESC_TOKEN_LEN + 1], hash[ESC_HASH_LEN + 1];
	struct esc_buf link = { 0 };
	time_t now = esc_time_now();
	const char *hook = getenv("ESC_AGENT_WEBHOOK");
	struct esc_survey_tx tx = { 0 };
	long long *v = NULL;
	sqlite3_stmt *st;
	long actions = 0;
	size_t n, i;
	int rc;

	/* claims a crash left behind: reported, never sent again */
	if (!(st = esc_survey_prepare(db, "SELECT id FROM handovers WHERE notified_at IS NULL AND "
	    "notify_claimed_at IS NOT NULL AND notify_claimed_at <= ?1 ORDER BY id", err)))
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - cfg->claim_grace));
	if (!(v = ids(st, &n, err)))
		return -1;
	for (i = 0; i < n; i++) {
		if (esc_survey_begin(db, &tx, err) < 0)
			goto fail;
		if (!(st = esc_survey_prepare(db, "UPDATE handovers SET notified_at = notify_claimed_at, "
		    "notify_error = 'unconfirmed', updated_at = ?2 WHERE id = ?1 "
		    "AND notified_at IS NULL", err)))
			goto fail;
		sqlite3_bind_int64(st, 1, v[i]);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		if ((rc = esc_survey_once(db, st, err)) < 0 || esc_survey_commit(&tx, err) < 0)
			goto fail;
		if (rc && put_action(s, out, v[i], "notify_unconfirmed", NULL,
		    "the webhook was claimed and never confirmed: the run calling it stopped; "
		    "it is not called again", err) < 0)
			goto fail;
		actions += rc;
		s->stuck += rc;       /* said in the run's exit status too */
	}
	free(v);

	/* scheduled handovers whose opening has come: the link is made now */
	if (!(st = esc_survey_prepare(db, "SELECT id FROM handovers WHERE state = 'scheduled' "
	    "AND scheduled_at <= ?1 ORDER BY scheduled_at, id", err)))
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (!(v = ids(st, &n, err)))
		return -1;
	for (i = 0; i < n && esc_survey_may_send(s); i++) {
		if (new_token(s, token, hash, err) < 0)
			goto fail;
		if (esc_survey_begin(db, &tx, err) < 0)
			goto fail;
		if (!(st = esc_survey_prepare(db, "UPDATE handovers SET state = 'awaiting_agent', "
		    "meeting_token = ?2, meeting_expires_at = ?3, updated_at = ?4 "
		    "WHERE id = ?1 AND state = 'scheduled'", err)))
			goto fail;
		sqlite3_bind_int64(st, 1, v[i]);
		if (*hash) {
			sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (sqlite3_int64)(now + cfg->meeting_ttl));
		}
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		if ((rc = esc_survey_once(db, st, err)) < 0 ||
		    (rc && *hash && keep_link(s, v[i], hash, now, err) < 0) ||
		    esc_survey_commit(&tx, err) < 0)
			goto fail;
		if (!rc) {
			explicit_bzero(token, sizeof token);
			continue;
		}
		if (*token)
			meeting_link(token, &link);
		if (put_action(s, out, v[i], "handover_opened", *token ? link.p : NULL, NULL,
		    err) < 0 || (rc = notify_line(s, out, v[i], token, err)) < 0)
			goto fail;
		wipe(&link);
		explicit_bzero(token, sizeof token);
		actions += 1 + rc;
	}
	free(v);

	/* notifications to retry, after retry_after */
	if (!hook || !*hook)
		return actions;
	if (!(st = esc_survey_prepare(db, "SELECT id FROM handovers WHERE state = 'awaiting_agent' "
	    "AND notified_at IS NULL AND notify_claimed_at IS NULL AND updated_at <= ?1 "
	    "AND notify_tries < ?2 ORDER BY id", err)))
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - cfg->retry_after));
	sqlite3_bind_int(st, 2, cfg->max_tries);
	if (!(v = ids(st, &n, err)))
		return -1;
	for (i = 0; i < n && esc_survey_may_send(s) && !s->down[SC_WEBHOOK][0]; i++) {
		if ((rc = notify_line(s, out, v[i], NULL, err)) < 0)
			goto fail;
		actions += rc;
	}
	free(v);
	return actions;
fail:
	esc_survey_rollback(&tx);
	explicit_bzero(token, sizeof token);
	wipe(&link);
	free(v);
	return -1;
}

/* ---- joining ---- */

static int
refuse(struct esc_err *err, const char *why, time_t t)
{
	char at[32];

	if (t)
		esc_err_set(err, "meeting token refused: %s %s", why, esc_time_format(t, at, sizeof at));
	else
		esc_err_set(err, "meeting token refused: %s", why);
	err->code = ESC_EXIT_INPUT;
	return -1;
}

int
esc_handover_join(struct esc_survey *s, const char *token, const char *agent, time_t now,
	struct esc_buf *obj, struct esc_err *err)
{
	sqlite3 *db = esc_survey_db(s);
	char hash[ESC_HASH_LEN + 1];
	const char *state;
	long long id = 0, eid = 0;
	time_t expires = 0, used = 0;
	sqlite3_stmt *st;
	int found = 0, closed = 0, rc;

	if (!esc_survey_token_shaped(token))
		return refuse(err, "unknown", 0);
	esc_token_hash(token, ESC_TOKEN_LEN, hash);
	if (!(st = esc_survey_prepare(db, "SELECT h.id, h.escalation_id, h.state, l.expires_at, "
	    "h.meeting_used_at, l.token FROM handover_links l "
	    "JOIN handovers h ON h.id = l.handover_id WHERE l.token = ?1", err)))
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = esc_survey_hash_is(st, 5, hash);
		id = sqlite3_column_int64(st, 0);
		eid = sqlite3_column_int64(st, 1);
		state = (const char *)sqlite3_column_text(st, 2);
		closed = state && !strcmp(state, "closed");
		expires = (time_t)sqlite3_column_int64(st, 3);
		used = (time_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	if (!found)
		return refuse(err, "unknown", 0);
	if (used)
		return refuse(err, "already used at", used);
	if (expires && expires <= now)
		return refuse(err, "expired at", expires);
	if (closed)
		return refuse(err, "the handover is closed", 0);
	if (!(st = esc_survey_prepare(db,
	    "UPDATE handovers SET state = 'joined', meeting_used_at = ?2, "
	    "agent = ?3, updated_at = ?2 WHERE id = ?1 AND meeting_used_at IS NULL", err)))
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	if (!(st = esc_survey_prepare(db, "UPDATE escalations SET status = CASE WHEN status = 'open' "
	    "THEN 'assigned' ELSE status END, agent = ?3, "
	    "first_response_at = coalesce(first_response_at, ?2), updated_at = ?2 WHERE id = ?1",
	    err)))
		return -1;
	sqlite3_bind_int64(st, 1, eid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	esc_buf_printf(obj, "{\"handover_id\":%lld,\"escalation_id\":%lld,\"state\":\"joined\","
		"\"agent\":", id, eid);
	esc_buf_json_str(obj, agent, strlen(agent));
	put_time(obj, "joined_at", now);
	esc_buf_putc(obj, '}');
	return 0;
}
