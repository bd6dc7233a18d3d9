/* log.c — esc-log: keep every scored question, every escalation and every
 * event in the store, and echo each line with what it became.
 *
 * Lines are of two kinds. An esc-offer (or esc-detect) record has a
 * "detect" object: it becomes a question, and an escalation when its route
 * is paid or human. An event has an "event" member naming its type: it is
 * added to an escalation's timeline and changes the escalation's state.
 *
 * A person's case is one per conversation: a human-route message whose
 * conversation has a human escalation open at the message's time joins it
 * (questions.joined_id) instead of opening another, and may raise its
 * severity. A human escalation's touches are counted from the customer's
 * messages in the store (store/touches.json), and many of them raise its
 * severity too. Both are recounted from the store, not added up, so the
 * order the lines come in does not change them.
 *
 * Natural keys make a second run a no-op: a question is its message id, an
 * event its event id (INSERT ... ON CONFLICT DO NOTHING). Lines are written
 * in batched transactions, and a batch is committed before any of its
 * output is written (esc_log_sync), so what
 * esc-log has printed is in the store, and a killed run re-run ends in the
 * same state as one clean run. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store.h"

/* the values esc-log reads from a line */
enum slot {
	S_ID, S_CONV, S_USER, S_CREATED, S_CONTEXT, S_TIER, S_UTIER, S_TOUCHES, S_RISK,
	S_DETECT, S_ROUTE, S_DSEV, S_SEVERITY, S_SP, S_SS, S_SA, S_SENT,
	S_OFFER, S_OFFER_OFFER, S_TEMPLATE, S_OFFER_TEXT, S_PLAYBOOK,
	S_EVENT, S_ESCID, S_MSGID, S_AGENT, S_STATUS, S_VALUE, S_AMOUNT, S_AT, S_NOTE,
	S_OUTCOME,
	S_N
};

/* where each value sits: depth, then the keys with their lengths */
#define K(s) { s, sizeof s - 1 }
static const struct {
	int depth;
	struct { const char *s; int len; } k[3];
	enum slot slot;
} paths[] = {
	{ 1, { K("id") }, S_ID },
	{ 1, { K("conversation_id") }, S_CONV },
	{ 1, { K("user_id") }, S_USER },
	{ 1, { K("created_at") }, S_CREATED },
	{ 1, { K("context") }, S_CONTEXT },
	{ 1, { K("context_type") }, S_CONTEXT },
	{ 1, { K("tier") }, S_TIER },
	{ 1, { K("user_tier") }, S_UTIER },     /* seed 000's name for it */
	{ 1, { K("touches") }, S_TOUCHES },
	{ 1, { K("revenue_at_risk") }, S_RISK },
	{ 1, { K("detect") }, S_DETECT },
	{ 1, { K("offer") }, S_OFFER },
	{ 1, { K("event") }, S_EVENT },
	{ 1, { K("escalation_id") }, S_ESCID },
	{ 1, { K("message_id") }, S_MSGID },
	{ 1, { K("agent") }, S_AGENT },
	{ 1, { K("status") }, S_STATUS },
	{ 1, { K("severity") }, S_SEVERITY },
	{ 1, { K("value") }, S_VALUE },
	{ 1, { K("amount") }, S_AMOUNT },
	{ 1, { K("at") }, S_AT },
	{ 1, { K("note") }, S_NOTE },
	{ 1, { K("outcome") }, S_OUTCOME },
	{ 2, { K("detect"), K("route") }, S_ROUTE },
	{ 2, { K("detect"), K("severity") }, S_DSEV },
	{ 2, { K("offer"), K("offer") }, S_OFFER_OFFER },
	{ 2, { K("offer"), K("template") }, S_TEMPLATE },
	{ 2, { K("offer"), K("text") }, S_OFFER_TEXT },
	{ 2, { K("offer"), K("playbook") }, S_PLAYBOOK },
	{ 3, { K("detect"), K("scores"), K("personal") }, S_SP },
	{ 3, { K("detect"), K("scores"), K("strategic") }, S_SS },
	{ 3, { K("detect"), K("scores"), K("advanced") }, S_SA },
	{ 3, { K("detect"), K("sentiment"), K("compound") }, S_SENT },
};
#undef K

struct val {
	int set;
	enum esc_jtype t;
	size_t off, len;
};

enum stmt {
	Q_INS, Q_FIND, E_INS, E_BYID, E_BYMSG, E_ATTRIB, EV_INS, EV_FIND,
	U_CONV, U_ASSIGN, U_FIRST, U_RESOLVE, U_STATUS,
	J_FIND, J_MARK, J_GET, J_COUNT, J_SET, J_COVER,
	TX_BEGIN, TX_COMMIT, TX_ROLLBACK,
	ST_N
};

static const char *const sql[ST_N] = {
	[Q_INS] = "INSERT INTO questions (message_id, conversation_id, user_id, created_at, "
		"route, sentiment, tier, context_type, logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, ?9) ON CONFLICT (message_id) DO NOTHING",
	[Q_FIND] = "SELECT q.id, coalesce(q.joined_id, e.id), q.joined_id IS NOT NULL "
		"FROM questions q LEFT JOIN escalations e ON e.question_id = q.id "
		"WHERE q.message_id = ?1",
	[E_INS] = "INSERT INTO escalations (question_id, message_id, conversation_id, user_id, "
		"question, route, offer, reason, reasons, alerts, context_type, tier, "
		"score_personal, score_strategic, score_advanced, sentiment, template, offer_text, "
		"severity, playbook, value_at_risk, touches, created_at, first_response_due, "
		"resolution_due, updated_at, conversion_tracked, touches_given, severity_given) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
		"?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?6 = 'paid', ?27, ?28)",
	[E_BYID] = "SELECT id, created_at, severity, status, route FROM escalations WHERE id = ?1",
	/* the escalation a message opened, or joined */
	[E_BYMSG] = "SELECT e.id, e.created_at, e.severity, e.status, e.route FROM questions q "
		"JOIN escalations e ON e.id = coalesce(q.joined_id, "
		"(SELECT x.id FROM escalations x WHERE x.question_id = q.id)) WHERE q.message_id = ?1",
	[E_ATTRIB] = "SELECT id, created_at, severity, status, route FROM escalations "
		"WHERE user_id = ?1 AND route = 'paid' AND created_at <= ?2 AND created_at >= ?3 "
		"AND converted = 0 AND (?4 IS NULL OR offer = ?4) "
		"ORDER BY created_at DESC, id DESC LIMIT 1",
	[EV_INS] = "INSERT INTO events (event_id, escalation_id, type, at, user_id, agent, "
		"offer, status, severity, outcome, value, note, body, logged_at) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
		"ON CONFLICT (event_id) DO NOTHING",
	[EV_FIND] = "SELECT id, escalation_id FROM events WHERE event_id = ?1",
	[U_CONV] = "UPDATE escalations SET converted = 1, conversion_tracked = 1, "
		"converted_at = ?2, conversion_value = ?3, updated_at = ?4 "
		"WHERE id = ?1 AND converted = 0",
	[U_ASSIGN] = "UPDATE escalations SET agent = ?2, status = CASE status "
		"WHEN 'open' THEN 'assigned' ELSE status END, updated_at = ?3 WHERE id = ?1",
	[U_FIRST] = "UPDATE escalations SET first_response_at = coalesce(first_response_at, ?2), "
		"agent = coalesce(agent, ?3), status = CASE WHEN status IN ('open', 'assigned') "
		"THEN 'in_progress' ELSE status END, updated_at = ?4 WHERE id = ?1",
	[U_RESOLVE] = "UPDATE escalations SET status = 'resolved', resolved_at = ?2, "
		"outcome = coalesce(?3, outcome), agent = coalesce(?4, agent), "
		"first_response_at = coalesce(first_response_at, ?2), updated_at = ?5 WHERE id = ?1",
	[U_STATUS] = "UPDATE escalations SET status = ?2, severity = ?3, severity_given = ?3, "
		"first_response_due = coalesce(?4, first_response_due), "
		"resolution_due = coalesce(?5, resolution_due), "
		"resolved_at = CASE WHEN ?2 IN ('resolved', 'closed') "
		"THEN coalesce(resolved_at, ?6) END, "
		"outcome = CASE WHEN ?2 IN ('resolved', 'closed') THEN outcome END, "
		"updated_at = ?7 WHERE id = ?1",
	/* the human escalation of conversation ?1 and user ?2 that was open at
	 * ?3: the latest opened by then, else (a message logged after later
	 * ones) the first opened after it */
	/* not survey-send's handovers: a case of their own, whose
	 * conversation is the session's */
	[J_FIND] = "SELECT id FROM escalations WHERE conversation_id = ?1 AND route = 'human' "
		"AND NOT (message_id >= 'survey:' AND message_id < 'survey;') "
		"AND +user_id IS ?2 AND ((status <> 'resolved' AND status <> 'closed') OR "
		"resolved_at > ?3) ORDER BY created_at > ?3, "
		"CASE WHEN created_at <= ?3 THEN -created_at ELSE created_at END, id LIMIT 1",
	[J_MARK] = "UPDATE questions SET joined_id = ?2 WHERE id = ?1",
	[J_GET] = "SELECT created_at, severity, touches, touches_given, first_response_due, "
		"resolution_due, alerts, reasons, value_at_risk, question_id, severity_given "
		"FROM escalations WHERE id = ?1",
	/* the touches of escalation ?1, opened at ?3 by user ?2 with question
	 * ?5: over the user's messages within ?4 seconds before it and its own
	 * (the one that opened it and those that joined it), each
	 * conversation (a message with none is one), and each further message
	 * in a conversation that went to a person */
	[J_COUNT] = "WITH m (id, c, route) AS ("
		"SELECT id, coalesce('c:' || conversation_id, 'm:' || message_id), route "
		"FROM questions WHERE user_id = ?2 AND created_at >= ?3 - ?4 AND created_at <= ?3 "
		"UNION SELECT id, coalesce('c:' || conversation_id, 'm:' || message_id), route "
		"FROM questions WHERE id = ?5 "
		"UNION SELECT id, coalesce('c:' || conversation_id, 'm:' || message_id), route "
		"FROM questions WHERE joined_id = ?1) "
		"SELECT count(DISTINCT c) + count(*) FILTER (WHERE route = 'human') "
		"- count(DISTINCT c) FILTER (WHERE route = 'human') FROM m",
	[J_SET] = "UPDATE escalations SET created_at = ?2, touches_given = ?3, touches = ?4, "
		"severity = ?5, first_response_due = coalesce(?6, first_response_due), "
		"resolution_due = coalesce(?7, resolution_due), updated_at = ?8, "
		"alerts = coalesce(?9, alerts), reasons = coalesce(?10, reasons), "
		"value_at_risk = coalesce(?11, value_at_risk), playbook = coalesce(?12, playbook), "
		"severity_given = ?13 WHERE id = ?1",
	/* the user's human escalations whose window holds a message at ?2 */
	[J_COVER] = "SELECT id FROM escalations WHERE user_id = ?1 AND route = 'human' "
		"AND created_at >= ?2 AND created_at <= ?2 + ?3 AND id <> ?4",
	[TX_BEGIN] = "BEGIN IMMEDIATE",
	[TX_COMMIT] = "COMMIT",
	[TX_ROLLBACK] = "ROLLBACK",
};

enum ev_type { EV_CONVERSION, EV_RESOLUTION, EV_ASSIGNMENT, EV_FIRST_RESPONSE, EV_NOTE,
	EV_STATUS, EV_N };
static const char *const ev_names[EV_N] = {
	"conversion", "resolution", "assignment", "first_response", "note", "status",
};
static const char *const statuses[] = {
	"open", "assigned", "in_progress", "waiting", "resolved", "closed",
};

struct esc_log {
	sqlite3 *db;
	const struct esc_sla *sla;
	struct esc_log_opts o;
	sqlite3_stmt *st[ST_N];
	struct esc_scan scan;
	int in_tx, pending;
	const char *batch_name;      /* where the open transaction began */
	unsigned long batch_line;
	struct esc_buf *out;         /* the loop's output, and where the */
	size_t batch_mark;           /* open transaction's output starts */
	unsigned long unattributed;
	/* the current line */
	struct val v[S_N];
	struct esc_buf arena, text, reasons, alerts, obj;
	int rank, nreasons;
	size_t reason_off;
	char badtext[ESC_JKEY_MAX];
};

/* a captured value as a C string in the arena (NUL-terminated there) */
static const char *
str(struct esc_log *l, enum slot s)
{
	return l->v[s].set && l->v[s].t != ESC_J_NULL && l->v[s].t != ESC_J_OBJECT &&
		l->v[s].t != ESC_J_ARRAY ? l->arena.p + l->v[s].off : NULL;
}

static int
has(struct esc_log *l, enum slot s)
{
	return l->v[s].set && l->v[s].t != ESC_J_NULL;
}

/* p as a field name for a message: "detect.reasons" (an array's
 * elements are named by the array) */
static const char *
path_name(const struct esc_jpath *p, char *buf, size_t size)
{
	size_t at = 0;
	int d;

	buf[0] = '\0';
	for (d = 0; d < p->depth && p->k[d].len >= 0; d++)
		at += (size_t)snprintf(buf + at, at < size ? size - at : 0, "%s%s",
			d ? "." : "", p->k[d].key);
	return buf;
}

/* detect's members that must have a shape, or be null */
static int
bad_shape(const struct esc_jpath *p, enum esc_jtype t, struct esc_err *err)
{
	const char *k1 = p->k[1].key;
	int n1 = p->k[1].len, list;

	if (p->depth < 2 || !esc_key_is(p->k[0].key, p->k[0].len, "detect"))
		return 0;
	list = esc_key_is(k1, n1, "reasons") || esc_key_is(k1, n1, "alerts");
	if (p->depth == 2 && list && t != ESC_J_ARRAY && t != ESC_J_NULL)
		esc_err_set(err, "field \"detect.%s\" must be an array of strings", k1);
	else if (p->depth == 3 && list && p->k[2].len == -1 && t != ESC_J_STRING)
		esc_err_set(err, "field \"detect.%s\" must be an array of strings", k1);
	else if (p->depth == 2 && (esc_key_is(k1, n1, "scores") ||
		 esc_key_is(k1, n1, "sentiment")) && t != ESC_J_OBJECT && t != ESC_J_NULL)
		esc_err_set(err, "field \"detect.%s\" must be an object", k1);
	else
		return 0;
	return 1;
}

/* A string esc-log keeps: the store's are C strings, where a NUL would
 * cut an id short and make two ids one. */
static int
has_nul(const struct esc_jpath *p, enum esc_jtype t, const char *v, size_t n,
	struct esc_err *err)
{
	char name[ESC_JPATH_MAX * (ESC_JKEY_MAX + 1)];

	if (t != ESC_J_STRING || !memchr(v, '\0', n))
		return 0;
	esc_err_set(err, "field \"%s\" holds a NUL character (\\u0000), which esc-log "
		"cannot keep", path_name(p, name, sizeof name));
	return 1;
}

/* A member named twice counts once, as its last: a second "detect" or
 * "offer" forgets what the first one held, or its reasons and alerts
 * would be added to the second's. */
static void
restart(struct esc_log *l, const char *k, int n)
{
	static const enum slot of_detect[] = { S_ROUTE, S_DSEV, S_SP, S_SS, S_SA, S_SENT };
	static const enum slot of_offer[] = { S_OFFER_OFFER, S_TEMPLATE, S_OFFER_TEXT, S_PLAYBOOK };
	size_t i;

	if (esc_key_is(k, n, "detect")) {
		for (i = 0; i < sizeof of_detect / sizeof of_detect[0]; i++)
			l->v[of_detect[i]].set = 0;
		l->reasons.len = l->alerts.len = 0;
		l->nreasons = 0;
	} else if (esc_key_is(k, n, "offer")) {
		for (i = 0; i < sizeof of_offer / sizeof of_offer[0]; i++)
			l->v[of_offer[i]].set = 0;
	}
}

static int
on_value(void *arg, const struct esc_jpath *p, enum esc_jtype t, const char *v, size_t n,
	struct esc_err *err)
{
	struct esc_log *l = arg;
	size_t i;
	int d, r;

	if (p->k[0].len < 0)
		return 0;
	if (bad_shape(p, t, err))
		return 1;
	if (p->depth == 1 && (r = esc_text_field_rank(l->o.field, p->k[0].key, p->k[0].len)) >= 0) {
		if (t != ESC_J_STRING && t != ESC_J_NULL)
			snprintf(l->badtext, sizeof l->badtext, "%s", p->k[0].key);
		else if (has_nul(p, t, v, n, err))
			return 1;
		else if (t == ESC_J_STRING && (l->rank < 0 || r <= l->rank)) {
			l->rank = r;
			l->text.len = 0;
			esc_buf_put(&l->text, v, n);
			esc_buf_putc(&l->text, '\0');
		}
		return 0;
	}
	/* reasons and alerts: kept as JSON arrays of strings */
	if (p->depth == 3 && p->k[1].len >= 0 && p->k[2].len == -1 &&
	    esc_key_is(p->k[0].key, p->k[0].len, "detect") && t == ESC_J_STRING) {
		struct esc_buf *b = esc_key_is(p->k[1].key, p->k[1].len, "reasons") ? &l->reasons :
			esc_key_is(p->k[1].key, p->k[1].len, "alerts") ? &l->alerts : NULL;

		if (b && has_nul(p, t, v, n, err))
			return 1;
		if (b) {
			esc_buf_putc(b, b->len ? ',' : '[');
			esc_buf_json_str(b, v, n);
			if (b == &l->reasons && l->nreasons++ == 0) {
				l->reason_off = l->arena.len;
				esc_buf_put(&l->arena, v, n);
				esc_buf_putc(&l->arena, '\0');
			}
		}
		return 0;
	}
	if (p->depth > 3 || (p->depth > 1 && !esc_key_is(p->k[0].key, p->k[0].len, "detect") &&
	    !esc_key_is(p->k[0].key, p->k[0].len, "offer")))
		return 0;     /* deeper down: the offer's steps and scripts */
	if (p->depth == 1)
		restart(l, p->k[0].key, p->k[0].len);
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (paths[i].depth != p->depth)
			continue;
		for (d = 0; d < p->depth; d++)
			if (p->k[d].len != paths[i].k[d].len ||
			    memcmp(p->k[d].key, paths[i].k[d].s, (size_t)p->k[d].len))
				break;
		if (d < p->depth)
			continue;
		struct val *x = &l->v[paths[i].slot];

		if (has_nul(p, t, v, n, err))
			return 1;
		x->set = 1;
		x->t = t;
		x->off = l->arena.len;
		x->len = n;
		if (v)
			esc_buf_put(&l->arena, v, n);
		esc_buf_putc(&l->arena, '\0');
		return 0;
	}
	(void)err;
	return 0;
}

/* ---- checks: a wrong type is named, with the type it must have ---- */

static int
want_str(struct esc_log *l, enum slot s, const char *name, int idlike, struct esc_err *err)
{
	struct val *x = &l->v[s];

	if (!x->set || x->t == ESC_J_NULL || x->t == ESC_J_STRING ||
	    (idlike && x->t == ESC_J_NUMBER))
		return 0;
	esc_err_set(err, "field \"%s\" must be a string%s", name, idlike ? " or a number" : "");
	return -1;
}

static int
want_num(struct esc_log *l, enum slot s, const char *name, double *out, struct esc_err *err)
{
	struct val *x = &l->v[s];

	if (!has(l, s))
		return 0;
	if (x->t != ESC_J_NUMBER) {
		esc_err_set(err, "field \"%s\" must be a number", name);
		return -1;
	}
	*out = strtod(l->arena.p + x->off, NULL);
	if (!isfinite(*out)) {  /* 1e400: valid JSON, no number the store keeps */
		esc_err_set(err, "field \"%s\" is out of range", name);
		return -1;
	}
	return 1;
}

/* A name that may be left out but not left blank: an empty user_id would
 * make every such line one user (a conversion attributed by user_id
 * would land on a stranger's escalation), an empty conversation_id one
 * conversation (whose sentiment trend mixes strangers'), an empty agent
 * assigns to no one. */
static int
want_named(struct esc_log *l, enum slot s, const char *name, const char *what,
	struct esc_err *err)
{
	struct val *x = &l->v[s];

	if (!x->set || x->t != ESC_J_STRING || x->len)
		return 0;
	esc_err_set(err, "field \"%s\" is empty: name %s, or leave the field out", name, what);
	return -1;
}

/* A count: a whole number from 0 (the scores, touches). */
static int
want_count(struct esc_log *l, enum slot s, const char *name, double *out, struct esc_err *err)
{
	int r = want_num(l, s, name, out, err);

	if (r > 0 && (*out < 0 || *out > INT_MAX || *out != floor(*out))) {
		esc_err_set(err, "field \"%s\" must be a whole number of 0 or more", name);
		return -1;
	}
	return r;
}

static int
want_time(struct esc_log *l, enum slot s, const char *name, time_t *out, struct esc_err *err)
{
	struct val *x = &l->v[s];

	if (!has(l, s)) {
		*out = esc_time_now();
		return 0;
	}
	if (x->t != ESC_J_STRING || esc_time_parse(l->arena.p + x->off, x->len, out) < 0) {
		esc_err_set(err, "field \"%s\" must be an RFC 3339 time, like "
			"\"2026-03-01T10:15:00Z\"", name);
		return -1;
	}
	return 1;
}

/* ---- SQL helpers ---- */

static int
store_fail(struct esc_log *l, struct esc_err *err)
{
	esc_store_err(l->db, err);
	err->code = ESC_EXIT_STORE;
	return -1;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_opt_num(sqlite3_stmt *st, int i, int have, double v)
{
	if (have)
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_opt_time(sqlite3_stmt *st, int i, time_t t)
{
	if (t)
		sqlite3_bind_int64(st, i, (sqlite3_int64)t);
	else
		sqlite3_bind_null(st, i);
}

/* Step a statement that returns at most one row. 1: a row (left for the
 * caller to read, then reset), 0: none, -1: error. */
static int
step(struct esc_log *l, sqlite3_stmt *st, struct esc_err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(l, err);
}

/* Run an INSERT ... ON CONFLICT DO NOTHING. 1 and *id the new row's id,
 * 0 when the row was there already, -1 on error. (Not RETURNING: SQLite
 * builds a temporary table for it, and that costs more than the insert.) */
static int
insert(struct esc_log *l, sqlite3_stmt *st, sqlite3_int64 *id, struct esc_err *err)
{
	if (step(l, st, err) < 0)
		return -1;
	sqlite3_reset(st);
	if (sqlite3_changes(l->db) == 0)
		return 0;
	*id = sqlite3_last_insert_rowid(l->db);
	return 1;
}

static int
exec(struct esc_log *l, enum stmt which, struct esc_err *err)
{
	sqlite3_stmt *st = l->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(l, err);
}

static void
put_id(struct esc_buf *b, sqlite3_int64 id)
{
	if (id > 0)
		esc_buf_printf(b, "%lld", (long long)id);
	else
		esc_buf_puts(b, "null");
}

static void
put_time(struct esc_buf *b, time_t t)
{
	char tb[32];

	esc_buf_putc(b, '"');
	esc_buf_puts(b, esc_time_format(t, tb, sizeof tb));
	esc_buf_putc(b, '"');
}

int
esc_status_valid(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (!strcmp(s, statuses[i]))
			return 1;
	return 0;
}

/* ---- the batch ---- */

/* Start a transaction if none is open: called once a line has passed its
 * checks, before its first read of the store, so the line's reads and
 * writes see one state even with another esc-log at work. */
static int
begin(struct esc_log *l, const struct esc_rec *rec, struct esc_err *err)
{
	if (l->in_tx)
		return 0;
	if (exec(l, TX_BEGIN, err) < 0)
		return -1;
	l->in_tx = 1;
	l->batch_name = rec->name;
	l->batch_line = rec->lineno;
	l->batch_mark = l->out->len;
	return 0;
}

/* The store failed: undo the open batch and take its lines back out of
 * the output, so what is printed is what is kept. */
static void
undo(struct esc_log *l, struct esc_err *err)
{
	sqlite3_step(l->st[TX_ROLLBACK]);
	sqlite3_reset(l->st[TX_ROLLBACK]);
	l->in_tx = 0;
	l->out->len = l->batch_mark;
	err->code = ESC_EXIT_STORE;
	esc_err_unstored(err, l->batch_name, l->batch_line);
}

/* ---- one case per conversation, and its touches ---- */

/* A human escalation as a line left it, for the echo. */
struct case_now {
	long touches;
	int sev;
	time_t fr_due, res_due;
};

/* *n: the touches of escalation id (0: one not stored yet) of user,
 * opened at created by question qid, as J_COUNT counts them. */
static int
count_touches(struct esc_log *l, sqlite3_int64 id, sqlite3_int64 qid, const char *user,
	time_t created, long *n, struct esc_err *err)
{
	sqlite3_stmt *st = l->st[J_COUNT];
	int r;

	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, user);
	sqlite3_bind_int64(st, 3, created);
	sqlite3_bind_int64(st, 4, l->o.touch.window);
	sqlite3_bind_int64(st, 5, qid);
	if ((r = step(l, st, err)) <= 0)
		return r < 0 ? -1 : store_fail(l, err);
	*n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* Many touches take a case to a senior (seed 001): with n touches, at
 * escalate_at or more, the severity it was given (sev) is raised to at
 * least escalate_to. A function of the two alone, so the order lines come
 * in does not change it; a severity an agent lowered stays until the case
 * is counted again, when the customer is in touch again. */
static int
senior(const struct esc_log *l, int sev, long n)
{
	const struct esc_touch_rules *t = &l->o.touch;

	if (t->escalate_at > 0 && n >= t->escalate_at && sev < t->escalate_to)
		return t->escalate_to;
	return sev;
}

/* A message that joins a case: what it brings. */
struct joiner {
	time_t at;
	int sev;
	long given;                  /* its touches, -1 for none */
	const char *alerts, *reasons;    /* JSON arrays of strings */
	const char *playbook;        /* esc-offer's, or NULL */
	int have_risk;
	double risk;
};

/* The strings of the array old, then those of add it lacks, as compact
 * JSON (caller frees with free()); NULL when add brings nothing new, or
 * either is not an array. */
static char *
union_list(const char *old, const char *add)
{
	json_t *o = json_loads(old ? old : "[]", 0, NULL), *a = json_loads(add, 0, NULL), *v, *w;
	size_t i, k, n0;
	char *out = NULL;

	if (!json_is_array(o) || !json_is_array(a))
		goto done;
	n0 = json_array_size(o);
	json_array_foreach(a, i, v) {
		json_array_foreach(o, k, w)
			if (json_equal(v, w))
				break;
		if (k == json_array_size(o))
			json_array_append(o, v);
	}
	if (json_array_size(o) > n0)
		out = json_dumps(o, JSON_COMPACT);
done:
	json_decref(o);
	json_decref(a);
	return out;
}

/* Bring human escalation id of user up to date after one of the user's
 * messages was stored: one that joined it (j), or, with j NULL, one within
 * the window before it. A message earlier than the escalation moves its
 * start back to the message, since the case began then; a higher severity,
 * from the message or from many touches, raises it. Either counts the due
 * times again from the start, as a status event's new severity does. A
 * joining message also adds the alerts and reasons the case lacks, and
 * raises its value at risk; one more severe than the case brings its
 * playbook (a billing dispute that turns into a cancel threat). */
static int
refresh(struct esc_log *l, sqlite3_int64 id, const char *user, const struct joiner *j,
	struct case_now *now, struct esc_err *err)
{
	sqlite3_stmt *st = l->st[J_GET];
	sqlite3_int64 opener;
	time_t created, start;
	long before, had, given, n;
	char *alerts = NULL, *reasons = NULL;
	const char *sevs;
	const char *playbook = NULL;
	int sev, given_sev, had_sev, r, risen = 0;

	sqlite3_bind_int64(st, 1, id);
	if ((r = step(l, st, err)) <= 0)
		return r < 0 ? -1 : store_fail(l, err);
	created = (time_t)sqlite3_column_int64(st, 0);
	sevs = (const char *)sqlite3_column_text(st, 1);
	sev = sevs ? esc_severity_parse(sevs, strlen(sevs)) : ESC_SEV_LOW;
	if (sev < 0)
		sev = ESC_SEV_LOW;
	before = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : (long)sqlite3_column_int64(st, 2);
	had = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 3);
	now->fr_due = (time_t)sqlite3_column_int64(st, 4);
	now->res_due = (time_t)sqlite3_column_int64(st, 5);
	if (j) {
		alerts = union_list((const char *)sqlite3_column_text(st, 6), j->alerts);
		reasons = union_list((const char *)sqlite3_column_text(st, 7), j->reasons);
		risen = j->have_risk && (sqlite3_column_type(st, 8) == SQLITE_NULL ||
			j->risk > sqlite3_column_double(st, 8));
	}
	opener = sqlite3_column_int64(st, 9);
	sevs = (const char *)sqlite3_column_text(st, 10);
	had_sev = sevs ? esc_severity_parse(sevs, strlen(sevs)) : -1;
	given_sev = had_sev < 0 ? sev : had_sev;
	sqlite3_reset(st);
	if (j && j->sev > sev && j->playbook)
		playbook = j->playbook;
	if (j && j->sev > given_sev)
		given_sev = j->sev;

	start = j && j->at < created ? j->at : created;
	given = j && j->given > had ? j->given : had;
	if (count_touches(l, id, opener, user, start, &n, err) < 0) {
		r = -1;
		goto out;
	}
	if (n < given)
		n = given;
	now->touches = n;
	now->sev = senior(l, given_sev, n);
	r = 0;
	if (start == created && now->sev == sev && n == before && given == had &&
	    !alerts && !reasons && !risen && !playbook && given_sev == had_sev)
		goto out;
	st = l->st[J_SET];
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, start);
	bind_opt_num(st, 3, given >= 0, (double)given);
	sqlite3_bind_int64(st, 4, n);
	bind_text(st, 5, esc_severity_name(now->sev));
	if (start != created || now->sev != sev) {
		now->fr_due = esc_sla_add(l->sla, start,
			esc_sla_target(l->sla, now->sev, ESC_SLA_FIRST_RESPONSE));
		now->res_due = esc_sla_add(l->sla, start,
			esc_sla_target(l->sla, now->sev, ESC_SLA_RESOLUTION));
		sqlite3_bind_int64(st, 6, now->fr_due);
		sqlite3_bind_int64(st, 7, now->res_due);
	} else {
		sqlite3_bind_null(st, 6);
		sqlite3_bind_null(st, 7);
	}
	sqlite3_bind_int64(st, 8, esc_time_now());
	bind_text(st, 9, alerts);
	bind_text(st, 10, reasons);
	bind_opt_num(st, 11, risen, risen ? j->risk : 0);
	bind_text(st, 12, playbook);
	bind_text(st, 13, esc_severity_name(given_sev));
	r = step(l, st, err) < 0 ? -1 : 0;
out:
	free(alerts);
	free(reasons);
	return r;
}

/* A message of user at time at is a touch of the user's human
 * escalations opened up to a window after it: logged out of order, it
 * came in after them. Count theirs again; skip has been. */
static int
cover(struct esc_log *l, const char *user, time_t at, sqlite3_int64 skip, struct esc_err *err)
{
	sqlite3_stmt *st = l->st[J_COVER];
	struct case_now now;
	long long *ids;
	size_t n, i;
	int rc;

	bind_text(st, 1, user);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, l->o.touch.window);
	sqlite3_bind_int64(st, 4, skip);
	/* logged in time order, there are none: see so without a list */
	if ((rc = step(l, st, err)) <= 0)
		return rc;
	sqlite3_reset(st);
	if (!(ids = esc_store_ids(st, &n, err)))
		return -1;
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = refresh(l, ids[i], user, NULL, &now, err);
	free(ids);
	return rc;
}

/* ---- a scored question ---- */

static enum esc_rc
log_question(struct esc_log *l, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err)
{
	static const char *const routes[] = { "none", "paid", "human" };
	const char *route = str(l, S_ROUTE), *sevs, *tier;
	sqlite3_int64 qid = 0, eid = 0;
	double sent = 0, touches = 0, risk = 0, score[3] = { 0 };
	int have_sent, have_touches, have_risk, sev = ESC_SEV_LOW, r, fresh = 0, i, ri = -1;
	int joined = 0;
	struct case_now now = { 0 };
	time_t created;
	sqlite3_stmt *st;

	if (l->v[S_DETECT].t != ESC_J_OBJECT) {
		esc_err_set(err, "field \"detect\" must be an object: run esc-detect first");
		return ESC_REC_REJECT;
	}
	if (want_str(l, S_ID, "id", 1, err) < 0)
		return ESC_REC_REJECT;
	if (!has(l, S_ID) || !l->v[S_ID].len) {
		esc_err_set(err, "field \"id\" %s: esc-log keeps each message once, by its id",
			has(l, S_ID) ? "is empty" : "missing");
		return ESC_REC_REJECT;
	}
	/* survey-send opens its handovers' escalations under these ids: a
	 * message of the same id would be taken for one, or block it */
	if (l->v[S_ID].t == ESC_J_STRING && !strncmp(str(l, S_ID), "survey:", 7)) {
		esc_err_set(err, "field \"id\" begins with \"survey:\", which is kept for "
			"survey-send's own escalations");
		return ESC_REC_REJECT;
	}
	for (i = 0; route && i < 3; i++)
		if (!strcmp(route, routes[i]))
			ri = i;
	if (ri < 0) {
		esc_err_set(err, route ? "field \"detect.route\" must be \"paid\", \"human\" or "
			"\"none\"" : "field \"detect.route\" missing");
		return ESC_REC_REJECT;
	}
	if (want_str(l, S_ID, "id", 1, err) < 0 || want_str(l, S_CONV, "conversation_id", 1, err) < 0 ||
	    want_str(l, S_USER, "user_id", 1, err) < 0 || want_str(l, S_CONTEXT, "context", 0, err) < 0 ||
	    want_named(l, S_USER, "user_id", "the user", err) < 0 ||
	    want_named(l, S_CONV, "conversation_id", "the conversation", err) < 0 ||
	    want_str(l, S_TIER, "tier", 0, err) < 0 || want_str(l, S_UTIER, "user_tier", 0, err) < 0 ||
	    want_str(l, S_DSEV, "detect.severity", 0, err) < 0 ||
	    (have_sent = want_num(l, S_SENT, "detect.sentiment.compound", &sent, err)) < 0 ||
	    (have_touches = want_count(l, S_TOUCHES, "touches", &touches, err)) < 0 ||
	    (have_risk = want_num(l, S_RISK, "revenue_at_risk", &risk, err)) < 0 ||
	    want_count(l, S_SP, "detect.scores.personal", &score[0], err) < 0 ||
	    want_count(l, S_SS, "detect.scores.strategic", &score[1], err) < 0 ||
	    want_count(l, S_SA, "detect.scores.advanced", &score[2], err) < 0 ||
	    want_time(l, S_CREATED, "created_at", &created, err) < 0)
		return ESC_REC_REJECT;
	if (have_sent && (sent < -1 || sent > 1)) {
		esc_err_set(err, "field \"detect.sentiment.compound\" must be from -1 to 1");
		return ESC_REC_REJECT;
	}
	if ((sevs = str(l, S_DSEV)) && (sev = esc_severity_parse(sevs, strlen(sevs))) < 0) {
		esc_err_set(err, "field \"detect.severity\" must be low, medium, high or critical");
		return ESC_REC_REJECT;
	}
	if (sev < 0)
		sev = ESC_SEV_LOW;
	if (ri > 0 && l->badtext[0]) {
		esc_err_set(err, "field \"%s\" must be a string", l->badtext);
		return ESC_REC_REJECT;
	}
	if (has(l, S_OFFER) && l->v[S_OFFER].t != ESC_J_OBJECT) {
		esc_err_set(err, "field \"offer\" must be an object: the output of esc-offer");
		return ESC_REC_REJECT;
	}
	if (want_str(l, S_OFFER_OFFER, "offer.offer", 0, err) < 0 ||
	    want_str(l, S_TEMPLATE, "offer.template", 0, err) < 0 ||
	    want_str(l, S_OFFER_TEXT, "offer.text", 0, err) < 0 ||
	    want_str(l, S_PLAYBOOK, "offer.playbook", 0, err) < 0)
		return ESC_REC_REJECT;

	if (begin(l, rec, err) < 0)
		return ESC_REC_FATAL;
	st = l->st[Q_INS];
	bind_text(st, 1, str(l, S_ID));
	bind_text(st, 2, str(l, S_CONV));
	bind_text(st, 3, str(l, S_USER));
	sqlite3_bind_int64(st, 4, created);
	bind_text(st, 5, route);
	bind_opt_num(st, 6, have_sent, sent);
	tier = str(l, S_TIER) ? str(l, S_TIER) : str(l, S_UTIER);
	bind_text(st, 7, tier);
	bind_text(st, 8, str(l, S_CONTEXT));
	sqlite3_bind_int64(st, 9, esc_time_now());
	if ((r = insert(l, st, &qid, err)) < 0)
		return ESC_REC_FATAL;
	if (r) {
		fresh = 1;
	} else {
		st = l->st[Q_FIND];
		bind_text(st, 1, str(l, S_ID));
		if ((r = step(l, st, err)) <= 0) {
			if (!r)
				store_fail(l, err);
			return ESC_REC_FATAL;
		}
		qid = sqlite3_column_int64(st, 0);
		eid = sqlite3_column_int64(st, 1);
		joined = sqlite3_column_int(st, 2);
		sqlite3_reset(st);
	}
	/* a person's case: one per conversation while it is open */
	if (fresh && ri == 2 && str(l, S_CONV)) {
		st = l->st[J_FIND];
		bind_text(st, 1, str(l, S_CONV));
		bind_text(st, 2, str(l, S_USER));
		sqlite3_bind_int64(st, 3, created);
		if ((r = step(l, st, err)) < 0)
			return ESC_REC_FATAL;
		if (r) {
			eid = sqlite3_column_int64(st, 0);
			joined = 1;
			sqlite3_reset(st);
		}
	}
	if (l->reasons.len)
		esc_buf_putc(&l->reasons, ']');
	if (l->alerts.len)
		esc_buf_putc(&l->alerts, ']');
	esc_buf_putc(&l->reasons, '\0');
	esc_buf_putc(&l->alerts, '\0');
	if (fresh && joined) {
		struct joiner j = {
			.at = created, .sev = sev, .given = have_touches ? (long)touches : -1,
			.alerts = l->alerts.len > 1 ? l->alerts.p : "[]",
			.reasons = l->reasons.len > 1 ? l->reasons.p : "[]",
			.playbook = str(l, S_PLAYBOOK),
			.have_risk = have_risk, .risk = risk,
		};

		st = l->st[J_MARK];
		sqlite3_bind_int64(st, 1, qid);
		sqlite3_bind_int64(st, 2, eid);
		if (step(l, st, err) < 0 || refresh(l, eid, str(l, S_USER), &j, &now, err) < 0)
			return ESC_REC_FATAL;
	} else if (fresh && ri > 0) {
		now.touches = have_touches ? (long)touches : -1;
		if (ri == 2) {     /* a person's case runs on the SLA clock */
			long n;

			if (count_touches(l, 0, qid, str(l, S_USER), created, &n, err) < 0)
				return ESC_REC_FATAL;
			if (n > now.touches)
				now.touches = n;
			now.sev = senior(l, sev, now.touches);
			now.fr_due = esc_sla_add(l->sla, created,
				esc_sla_target(l->sla, now.sev, ESC_SLA_FIRST_RESPONSE));
			now.res_due = esc_sla_add(l->sla, created,
				esc_sla_target(l->sla, now.sev, ESC_SLA_RESOLUTION));
		}
		st = l->st[E_INS];
		sqlite3_bind_int64(st, 1, qid);
		bind_text(st, 2, str(l, S_ID));
		bind_text(st, 3, str(l, S_CONV));
		bind_text(st, 4, str(l, S_USER));
		bind_text(st, 5, l->rank >= 0 ? l->text.p : NULL);
		bind_text(st, 6, route);
		bind_text(st, 7, str(l, S_OFFER_OFFER));
		bind_text(st, 8, l->nreasons ? l->arena.p + l->reason_off : route);
		bind_text(st, 9, l->reasons.len > 1 ? l->reasons.p : "[]");
		bind_text(st, 10, l->alerts.len > 1 ? l->alerts.p : "[]");
		bind_text(st, 11, str(l, S_CONTEXT));
		bind_text(st, 12, tier);
		for (i = 0; i < 3; i++)
			sqlite3_bind_int(st, 13 + i, (int)score[i]);
		bind_opt_num(st, 16, have_sent, sent);
		bind_text(st, 17, str(l, S_TEMPLATE));
		bind_text(st, 18, str(l, S_OFFER_TEXT));
		bind_text(st, 19, esc_severity_name(ri == 2 ? now.sev : sev));
		bind_text(st, 20, str(l, S_PLAYBOOK));
		bind_opt_num(st, 21, have_risk, risk);
		bind_opt_num(st, 22, now.touches >= 0, (double)now.touches);
		sqlite3_bind_int64(st, 23, created);
		bind_opt_time(st, 24, now.fr_due);
		bind_opt_time(st, 25, now.res_due);
		sqlite3_bind_int64(st, 26, esc_time_now());
		bind_opt_num(st, 27, have_touches, touches);
		bind_text(st, 28, esc_severity_name(sev));   /* before many touches raised it */
		if (insert(l, st, &eid, err) <= 0)
			return ESC_REC_FATAL;
	}
	/* and a touch of the user's cases logged before it */
	if (fresh && str(l, S_USER) && cover(l, str(l, S_USER), created,
	    ri == 2 ? eid : 0, err) < 0)
		return ESC_REC_FATAL;
	l->obj.len = 0;
	esc_buf_puts(&l->obj, "{\"question\":");
	put_id(&l->obj, qid);
	esc_buf_puts(&l->obj, ",\"escalation\":");
	put_id(&l->obj, eid);
	esc_buf_puts(&l->obj, fresh ? ",\"new\":true" : ",\"new\":false");
	if (joined)
		esc_buf_puts(&l->obj, ",\"joined\":true");
	if (fresh && ri == 2) {
		esc_buf_printf(&l->obj, ",\"touches\":%ld,\"severity\":\"%s\"", now.touches,
			esc_severity_name(now.sev));
		if (now.fr_due) {
			esc_buf_puts(&l->obj, ",\"due\":{\"first_response\":");
			put_time(&l->obj, now.fr_due);
			esc_buf_puts(&l->obj, ",\"resolution\":");
			put_time(&l->obj, now.res_due);
			esc_buf_putc(&l->obj, '}');
		}
	}
	esc_buf_putc(&l->obj, '}');
	esc_splice(out, &l->scan, rec->line, l->obj.p, l->obj.len);
	return ESC_REC_OK;
}

/* ---- an event ---- */

struct case_row {
	sqlite3_int64 id;
	time_t created;
	int sev, human;
	char status[16];
};

static int
fetch_escalation(struct esc_log *l, sqlite3_stmt *st, struct case_row *e, struct esc_err *err)
{
	int r = step(l, st, err);
	const unsigned char *s;

	if (r <= 0)
		return r;
	e->id = sqlite3_column_int64(st, 0);
	e->created = (time_t)sqlite3_column_int64(st, 1);
	s = sqlite3_column_text(st, 2);
	e->sev = s ? esc_severity_parse((const char *)s, strlen((const char *)s)) : ESC_SEV_LOW;
	s = sqlite3_column_text(st, 3);
	snprintf(e->status, sizeof e->status, "%s", s ? (const char *)s : "open");
	s = sqlite3_column_text(st, 4);
	e->human = s && !strcmp((const char *)s, "human");
	sqlite3_reset(st);
	return 1;
}

static int
closed(const char *status)
{
	return !strcmp(status, "resolved") || !strcmp(status, "closed");
}

/* Change the state of escalation e by event type ty. */
static int
apply(struct esc_log *l, enum ev_type ty, const struct case_row *e, time_t at, int have_value,
	double value, struct esc_err *err)
{
	sqlite3_stmt *st = NULL;
	time_t now = esc_time_now();

	switch (ty) {
	case EV_CONVERSION:
		st = l->st[U_CONV];
		sqlite3_bind_int64(st, 2, at);
		bind_opt_num(st, 3, have_value, value);
		sqlite3_bind_int64(st, 4, now);
		break;
	case EV_ASSIGNMENT:
		st = l->st[U_ASSIGN];
		bind_text(st, 2, str(l, S_AGENT));
		sqlite3_bind_int64(st, 3, now);
		break;
	case EV_FIRST_RESPONSE:
		st = l->st[U_FIRST];
		sqlite3_bind_int64(st, 2, at);
		bind_text(st, 3, str(l, S_AGENT));
		sqlite3_bind_int64(st, 4, now);
		break;
	case EV_RESOLUTION:
		st = l->st[U_RESOLVE];
		sqlite3_bind_int64(st, 2, at);
		bind_text(st, 3, str(l, S_OUTCOME));
		bind_text(st, 4, str(l, S_AGENT));
		sqlite3_bind_int64(st, 5, now);
		break;
	case EV_STATUS: {
		const char *status = str(l, S_STATUS) ? str(l, S_STATUS) : e->status;
		const char *sevs = str(l, S_SEVERITY);
		int sev = sevs ? esc_severity_parse(sevs, strlen(sevs)) : e->sev;
		int reopen = closed(e->status) && !closed(status);
		time_t fr = 0, res = 0;

		/* due times follow the severity; a reopened case starts its
		 * resolution clock again */
		if (e->human && (sev != e->sev || reopen)) {
			fr = esc_sla_add(l->sla, e->created,
				esc_sla_target(l->sla, sev, ESC_SLA_FIRST_RESPONSE));
			res = esc_sla_add(l->sla, reopen ? at : e->created,
				esc_sla_target(l->sla, sev, ESC_SLA_RESOLUTION));
		}
		st = l->st[U_STATUS];
		bind_text(st, 2, status);
		bind_text(st, 3, esc_severity_name(sev));
		bind_opt_time(st, 4, fr);
		bind_opt_time(st, 5, res);
		sqlite3_bind_int64(st, 6, at);
		sqlite3_bind_int64(st, 7, now);
		break;
	}
	case EV_NOTE:
	case EV_N:
		return 0;
	}
	sqlite3_bind_int64(st, 1, e->id);
	return step(l, st, err) < 0 ? -1 : 0;
}

static enum esc_rc
log_event(struct esc_log *l, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err)
{
	const char *type = str(l, S_EVENT), *ref = NULL;
	struct case_row e = { 0 };
	enum ev_type ty = EV_N;
	sqlite3_int64 evid = 0, escid = 0;
	double value = 0;
	int have_value, r, i, fresh = 0, attributed = 0;
	time_t at;
	sqlite3_stmt *st;

	if (l->v[S_EVENT].t != ESC_J_STRING) {
		esc_err_set(err, "field \"event\" must be a string");
		return ESC_REC_REJECT;
	}
	for (i = 0; i < EV_N; i++)
		if (!strcmp(type, ev_names[i]))
			ty = (enum ev_type)i;
	if (ty == EV_N) {
		esc_err_set(err, "unknown event \"%.64s\": conversion, resolution, assignment, "
			"first_response, note or status", type);
		return ESC_REC_REJECT;
	}
	if (want_str(l, S_ID, "id", 1, err) < 0)
		return ESC_REC_REJECT;
	if (!has(l, S_ID) || !l->v[S_ID].len) {
		esc_err_set(err, "field \"id\" %s: esc-log keeps each event once, by its id",
			has(l, S_ID) ? "is empty" : "missing");
		return ESC_REC_REJECT;
	}
	if (want_str(l, S_ID, "id", 1, err) < 0 || want_str(l, S_MSGID, "message_id", 1, err) < 0 ||
	    want_str(l, S_USER, "user_id", 1, err) < 0 || want_str(l, S_AGENT, "agent", 0, err) < 0 ||
	    want_named(l, S_USER, "user_id", "the user", err) < 0 ||
	    want_named(l, S_AGENT, "agent", "the agent", err) < 0 ||
	    want_str(l, S_STATUS, "status", 0, err) < 0 || want_str(l, S_SEVERITY, "severity", 0, err) < 0 ||
	    want_str(l, S_OUTCOME, "outcome", 0, err) < 0 || want_str(l, S_NOTE, "note", 0, err) < 0 ||
	    (has(l, S_OFFER) && want_str(l, S_OFFER, "offer", 0, err) < 0) ||
	    (have_value = want_num(l, S_VALUE, "value", &value, err)) < 0 ||
	    want_time(l, S_AT, "at", &at, err) < 0)
		return ESC_REC_REJECT;
	if (!have_value && (have_value = want_num(l, S_AMOUNT, "amount", &value, err)) < 0)
		return ESC_REC_REJECT;
	if (has(l, S_ESCID) && (l->v[S_ESCID].t != ESC_J_NUMBER ||
	    strspn(str(l, S_ESCID), "0123456789") != l->v[S_ESCID].len)) {
		esc_err_set(err, "field \"escalation_id\" must be a whole number, as esc-log printed it");
		return ESC_REC_REJECT;
	}
	if (ty == EV_STATUS) {
		const char *s = str(l, S_STATUS);

		if (s && !esc_status_valid(s)) {
			esc_err_set(err, "field \"status\" must be open, assigned, in_progress, "
				"waiting, resolved or closed");
			return ESC_REC_REJECT;
		}
		if (!s && !str(l, S_SEVERITY)) {
			esc_err_set(err, "a status event needs \"status\" or \"severity\"");
			return ESC_REC_REJECT;
		}
	}
	if (str(l, S_SEVERITY) && esc_severity_parse(str(l, S_SEVERITY),
	    strlen(str(l, S_SEVERITY))) < 0) {
		esc_err_set(err, "field \"severity\" must be low, medium, high or critical");
		return ESC_REC_REJECT;
	}
	if (ty == EV_ASSIGNMENT && !str(l, S_AGENT)) {
		esc_err_set(err, "field \"agent\" missing: an assignment names the agent");
		return ESC_REC_REJECT;
	}

	/* an event seen before changes nothing */
	if (begin(l, rec, err) < 0)
		return ESC_REC_FATAL;
	st = l->st[EV_FIND];
	bind_text(st, 1, str(l, S_ID));
	if ((r = step(l, st, err)) < 0)
		return ESC_REC_FATAL;
	if (r) {
		evid = sqlite3_column_int64(st, 0);
		escid = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		attributed = escid > 0;
		goto echo;
	}

	/* which escalation */
	if (has(l, S_ESCID)) {
		ref = str(l, S_ESCID);
		st = l->st[E_BYID];
		sqlite3_bind_int64(st, 1, strtoll(ref, NULL, 10));
		r = fetch_escalation(l, st, &e, err);
	} else if (has(l, S_MSGID)) {
		ref = str(l, S_MSGID);
		st = l->st[E_BYMSG];
		bind_text(st, 1, ref);
		r = fetch_escalation(l, st, &e, err);
	} else if (ty == EV_CONVERSION && str(l, S_USER)) {
		st = l->st[E_ATTRIB];
		bind_text(st, 1, str(l, S_USER));
		sqlite3_bind_int64(st, 2, at);
		sqlite3_bind_int64(st, 3, at - l->o.window);
		bind_text(st, 4, str(l, S_OFFER));
		r = fetch_escalation(l, st, &e, err);
	} else {
		esc_err_set(err, ty == EV_CONVERSION ? "a conversion needs \"escalation_id\", "
			"\"message_id\" or \"user_id\"" : "this event needs \"escalation_id\" or "
			"\"message_id\"");
		return ESC_REC_REJECT;
	}
	if (r < 0)
		return ESC_REC_FATAL;
	if (!r && ref && ty != EV_CONVERSION) {
		esc_err_set(err, "escalation %.64s is not in the store", ref);
		return ESC_REC_REJECT;
	}
	if (!r && ref)     /* OK with a message: the loop prints it as a warning */
		esc_err_set(err, "conversion %.64s names escalation %.64s, which is not in the "
			"store: kept unattributed", str(l, S_ID), ref);
	/* An escalation that did not exist yet cannot have brought the sale:
	 * crediting it would give a negative time to conversion. A
	 * conversion found by user_id is never before its escalation (see
	 * E_ATTRIB); one that names its escalation is kept as the sale it
	 * is, unattributed, as when the escalation is not in the store. */
	if (r > 0 && ty == EV_CONVERSION && at < e.created) {
		char ta[32], tc[32];

		esc_err_set(err, "conversion %.64s at %s is before its escalation %lld "
			"(opened at %s): kept unattributed", str(l, S_ID),
			esc_time_format(at, ta, sizeof ta), (long long)e.id,
			esc_time_format(e.created, tc, sizeof tc));
		r = 0;
	}
	/* A case is not assigned, answered, resolved or changed before it
	 * came in: such a line names the wrong escalation or has the wrong
	 * time, and a first response or resolution so dated (a status that
	 * closes, too) would be a negative time in every SLA figure. It is
	 * refused, as one naming no escalation is. A note changes nothing
	 * but the timeline, and is kept where its time puts it. */
	if (r > 0 && at < e.created && ty != EV_CONVERSION && ty != EV_NOTE) {
		char ta[32], tc[32];

		esc_err_set(err, "%s at %s is before its escalation %lld (opened at %s)",
			ev_names[ty], esc_time_format(at, ta, sizeof ta), (long long)e.id,
			esc_time_format(e.created, tc, sizeof tc));
		return ESC_REC_REJECT;
	}
	attributed = r > 0;
	l->unattributed += !attributed;

	st = l->st[EV_INS];
	bind_text(st, 1, str(l, S_ID));
	if (attributed)
		sqlite3_bind_int64(st, 2, e.id);
	else
		sqlite3_bind_null(st, 2);
	bind_text(st, 3, ev_names[ty]);
	sqlite3_bind_int64(st, 4, at);
	bind_text(st, 5, str(l, S_USER));
	bind_text(st, 6, str(l, S_AGENT));
	bind_text(st, 7, str(l, S_OFFER));
	bind_text(st, 8, str(l, S_STATUS));
	bind_text(st, 9, str(l, S_SEVERITY));
	bind_text(st, 10, str(l, S_OUTCOME));
	bind_opt_num(st, 11, have_value, value);
	bind_text(st, 12, str(l, S_NOTE) ? str(l, S_NOTE) : l->rank >= 0 ? l->text.p : NULL);
	sqlite3_bind_text(st, 13, rec->line, (int)rec->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, esc_time_now());
	if (insert(l, st, &evid, err) <= 0) {
		if (!err->code) {     /* checked just before: nobody else writes now */
			esc_err_set(err, "event %.64s: cannot be stored", str(l, S_ID));
			err->code = ESC_EXIT_STORE;
		}
		return ESC_REC_FATAL;
	}
	fresh = 1;
	escid = attributed ? e.id : 0;
	if (attributed && apply(l, ty, &e, at, have_value, value, err) < 0)
		return ESC_REC_FATAL;
echo:
	l->obj.len = 0;
	esc_buf_puts(&l->obj, "{\"event\":");
	put_id(&l->obj, evid);
	esc_buf_puts(&l->obj, ",\"escalation\":");
	put_id(&l->obj, escid);
	esc_buf_puts(&l->obj, fresh ? ",\"new\":true" : ",\"new\":false");
	if (ty == EV_CONVERSION)
		esc_buf_puts(&l->obj, attributed ? ",\"attributed\":true" : ",\"attributed\":false");
	esc_buf_putc(&l->obj, '}');
	esc_splice(out, &l->scan, rec->line, l->obj.p, l->obj.len);
	return ESC_REC_OK;
}

/* ---- the line, the batch ---- */

enum esc_rc
esc_log_line(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct esc_log *l = arg;
	enum esc_rc rc;

	memset(l->v, 0, sizeof l->v);
	l->arena.len = l->text.len = l->reasons.len = l->alerts.len = 0;
	l->rank = -1;
	l->nreasons = 0;
	l->badtext[0] = '\0';
	if (esc_scan_line(&l->scan, rec->line, rec->len, on_value, l, err) < 0)
		return ESC_REC_REJECT;
	if (esc_buf_oom)
		return ESC_REC_FATAL;
	if (!has(l, S_DETECT) && !has(l, S_EVENT)) {
		esc_err_set(err, "neither a scored message (no \"detect\": run esc-detect and "
			"esc-offer first) nor an event (no \"event\")");
		return ESC_REC_REJECT;
	}
	if (has(l, S_DETECT) && has(l, S_EVENT)) {
		esc_err_set(err, "both \"detect\" and \"event\": a line is a message or an event");
		return ESC_REC_REJECT;
	}
	/* Every check that can reject a line comes before its first write, so
	 * only a store failure leaves a line half-done: then the whole batch
	 * is undone. */
	l->out = out;
	rc = has(l, S_DETECT) ? log_question(l, rec, out, err) : log_event(l, rec, out, err);
	if (rc == ESC_REC_FATAL && l->in_tx)
		undo(l, err);
	if (rc == ESC_REC_OK && ++l->pending >= l->o.batch && esc_log_sync(l, err))
		return ESC_REC_FATAL;
	return rc;
}

int
esc_log_sync(void *arg, struct esc_err *err)
{
	struct esc_log *l = arg;

	if (!l->in_tx)
		return 0;
	if (exec(l, TX_COMMIT, err) < 0) {
		undo(l, err);
		return ESC_EXIT_STORE;
	}
	l->in_tx = 0;
	l->pending = 0;
	return 0;
}

struct esc_log *
esc_log_new(sqlite3 *db, const struct esc_sla *sla, const struct esc_log_opts *o,
	struct esc_err *err)
{
	struct esc_log *l = calloc(1, sizeof *l);
	int i;

	if (!l || esc_scan_init(&l->scan, "log") < 0) {
		free(l);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	l->db = db;
	l->sla = sla;
	l->o = *o;
	if (l->o.batch <= 0)
		l->o.batch = 10000;
	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i],
		    NULL) != SQLITE_OK) {
			esc_store_err(db, err);
			esc_log_free(l, NULL);
			return NULL;
		}
	return l;
}

int
esc_log_free(struct esc_log *l, struct esc_err *err)
{
	struct esc_err tmp;
	int i, rc = 0;

	if (!l)
		return 0;
	if (esc_log_sync(l, err ? err : &tmp))
		rc = -1;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(l->st[i]);
	esc_scan_free(&l->scan);
	esc_buf_free(&l->arena);
	esc_buf_free(&l->text);
	esc_buf_free(&l->reasons);
	esc_buf_free(&l->alerts);
	esc_buf_free(&l->obj);
	free(l);
	return rc;
}

unsigned long
esc_log_unattributed(const struct esc_log *l)
{
	return l->unattributed;
}
