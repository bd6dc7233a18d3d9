/* survey.c — survey-send's default mode: an ended session in, its survey
 * chain started (survey.h), the line out with a "survey" object and, when
 * the person may still be in the widget, a show_feedback_modal line that
 * carries the modal's token.
 *
 * The session id is the chain's natural key: a session fed again gets
 * its chain's state, never a second chain or a second token. Each line is
 * one short transaction, committed before the line is printed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "crm.h"
#include "store.h"
#include "survey-int.h"

#define PROBLEM_MAX 10000
#define RESOLUTION_MAX 256

static const char *const sql[SV_N] = {
	[SV_FIND] = "SELECT id, state, step, next_at, customer_id FROM surveys "
		"WHERE session_id = ?1",
	[SV_INS] = "INSERT INTO surveys (session_id, customer_id, ended_at, resolution, problem, "
		"step, next_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'in_widget', ?6, "
		"?7, ?7)",
	[SV_ATT_INS] = "INSERT INTO survey_attempts (survey_id, customer_id, step, state, due_at, "
		"sent_at, channel, token, expires_at, skip_reason, tries) VALUES (?1, ?2, ?3, ?4, ?5, "
		"?6, ?7, ?8, ?9, ?10, ?11)",
	[SV_GET] = "SELECT session_id, customer_id, state, step, next_at, ended_at FROM surveys "
		"WHERE id = ?1",
	[SV_CLAIMED] = "SELECT id, step, claimed_at, used_at FROM survey_attempts "
		"WHERE survey_id = ?1 AND state = 'claimed' ORDER BY id LIMIT 1",
	[SV_PREV] = "SELECT state, due_at, claimed_at, sent_at FROM survey_attempts "
		"WHERE survey_id = ?1 AND step = ?2",
	[SV_CONTACT] = "SELECT name, email, phone, timezone, consent_calls, consent_sms, "
		"consent_email, blocked FROM contacts WHERE customer_id = ?1",
	/* the steps of one chain are one survey: only other chains throttle;
	 * the latest send, and apart the latest another run has in hand */
	[SV_THROTTLE] = "SELECT max(CASE WHEN state <> 'claimed' THEN coalesce(sent_at, claimed_at) END), "
		"max(CASE WHEN state = 'claimed' THEN claimed_at END) FROM survey_attempts "
		"WHERE customer_id = ?1 AND survey_id <> ?2 AND step <> 'in_widget' "
		"AND state IN ('sent', 'unconfirmed', 'claimed')",
	[SV_DUE] = "SELECT id, next_at FROM surveys WHERE state = 'open' AND next_at IS NOT NULL "
		"AND next_at <= ?1 AND (next_at > ?2 OR (next_at = ?2 AND id > ?3)) "
		"ORDER BY next_at, id LIMIT 256",
	/* only an open chain moves: an answer recorded while a send was in
	 * flight has ended it, and the send's outcome must not reopen it */
	[SV_SET] = "UPDATE surveys SET state = ?2, step = ?3, next_at = ?4, updated_at = ?5 "
		"WHERE id = ?1 AND state = 'open'",
	[SV_UNCONFIRM] = "UPDATE survey_attempts SET state = 'unconfirmed', "
		"error = coalesce(?2, error) WHERE id = ?1 AND state = 'claimed'",
	[SV_SKIP] = "INSERT INTO survey_attempts (survey_id, customer_id, step, state, due_at, "
		"skip_reason) VALUES (?1, ?2, ?3, 'skipped', ?4, ?5) ON CONFLICT (survey_id, step) "
		"DO UPDATE SET state = 'skipped', skip_reason = excluded.skip_reason "
		"WHERE state = 'failed'",
	/* a new claim, or a failed send claimed again: never a claimed or sent one */
	[SV_CLAIM] = "INSERT INTO survey_attempts (survey_id, customer_id, step, state, due_at, "
		"claimed_at, token, expires_at, tries) VALUES (?1, ?2, ?3, 'claimed', ?4, ?5, ?6, ?7, 1) "
		"ON CONFLICT (survey_id, step) DO UPDATE SET state = 'claimed', "
		"claimed_at = excluded.claimed_at, token = excluded.token, "
		"expires_at = excluded.expires_at, tries = tries + 1 WHERE state = 'failed'",
	[SV_SENT] = "UPDATE survey_attempts SET state = 'sent', sent_at = ?2, provider_id = ?3, "
		"channel = ?4, error = NULL WHERE id = ?1",
	[SV_FAILED] = "UPDATE survey_attempts SET state = 'failed', error = ?2, channel = ?3 "
		"WHERE id = ?1",
	[SV_ATT_ID] = "SELECT id, tries, state, coalesce(sent_at, claimed_at), used_at "
		"FROM survey_attempts WHERE survey_id = ?1 AND step = ?2",
	/* claims past the grace in chains an answer ended while the claim
	 * was in flight: --due no longer looks at those chains by next_at */
	[SV_LEFT] = "SELECT a.survey_id, a.claimed_at FROM survey_attempts a "
		"JOIN surveys s ON s.id = a.survey_id WHERE a.state = 'claimed' "
		"AND a.claimed_at <= ?1 AND s.state <> 'open' AND (a.claimed_at > ?2 OR "
		"(a.claimed_at = ?2 AND a.survey_id > ?3)) ORDER BY a.claimed_at, a.survey_id "
		"LIMIT 256",
	/* an open chain still before step ?2 moves on to it */
	[SV_CATCH_UP] = "UPDATE surveys SET step = ?3, next_at = ?4, updated_at = ?5 "
		"WHERE id = ?1 AND state = 'open' AND CASE step WHEN 'in_widget' THEN 0 "
		"WHEN 'ai_call' THEN 1 WHEN 'sms_link' THEN 2 ELSE 3 END < ?2",
	/* every token a step was shown or sent with: a try that failed may
	 * still have reached the person, and its answer is taken */
	[SV_TOKEN] = "INSERT INTO survey_tokens (token, attempt_id, made_at, expires_at) "
		"VALUES (?1, ?2, ?3, ?4)",
};

/* ---- the store ---- */

int
esc_survey_run(struct esc_survey *s, enum esc_survey_stmt which, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return esc_survey_store_fail(s->db, err);
	return sqlite3_changes(s->db);
}

int
esc_survey_token_shaped(const char *t)
{
	size_t i;

	for (i = 0; t[i] && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_", t[i]); i++)
		;
	return i == ESC_TOKEN_LEN && !t[i];
}

static void
put_time(struct esc_buf *b, time_t t)
{
	char buf[32];

	esc_buf_printf(b, "\"%s\"", esc_time_format(t, buf, sizeof buf));
}

/* The "next" member of a chain's state: {"step","due"}, or null. */
static void
put_next(struct esc_buf *b, int step, long long next_at)
{
	if (!next_at) {
		esc_buf_puts(b, "null");
		return;
	}
	/* after the last step the chain only waits for its link to expire */
	esc_buf_puts(b, "{\"step\":");
	if (step + 1 < ESC_STEP_N)
		esc_buf_printf(b, "\"%s\"", esc_step_name(step + 1));
	else
		esc_buf_puts(b, "null");
	esc_buf_puts(b, ",\"due\":");
	put_time(b, (time_t)next_at);
	esc_buf_putc(b, '}');
}

/* ---- a session line ---- */

struct session {
	char sidbuf[32], custbuf[32];
	const char *sid, *cust, *resolution, *problem;
	time_t ended;
	json_t *jsid, *jcust;      /* as written, for the modal line */
};

/* An optional string member of at most max bytes: 0 (and *v, NULL when
 * absent), or -1 with err. */
static int
opt_str(json_t *root, const char *name, const char *alias, size_t max, const char **v,
	struct esc_err *err)
{
	json_t *j = esc_crm_member(root, name, alias);
	const char *key = json_object_get(root, name) && !json_is_null(json_object_get(root, name)) ?
		name : alias;

	*v = NULL;
	if (!j)
		return 0;
	if (!json_is_string(j)) {
		esc_err_set(err, "field \"%s\" must be a string", key);
		return -1;
	}
	if (json_string_length(j) > max) {
		esc_err_set(err, "field \"%s\" is longer than %zu bytes", key, max);
		return -1;
	}
	*v = json_string_length(j) ? json_string_value(j) : NULL;
	return 0;
}

/* Every check that can reject the line, before anything is written. */
static int
session_read(json_t *root, struct session *ss, struct esc_err *err)
{
	int r;

	if ((r = esc_crm_id(root, "session_id", NULL, ss->sidbuf, sizeof ss->sidbuf, &ss->sid,
	    err)) <= 0) {
		if (r == 0)
			esc_err_set(err, "field \"session_id\" missing");
		return -1;
	}
	if ((r = esc_crm_id(root, "customer_id", "user_id", ss->custbuf, sizeof ss->custbuf,
	    &ss->cust, err)) <= 0) {
		if (r == 0)
			esc_err_set(err, "field \"customer_id\" missing (or \"user_id\")");
		return -1;
	}
	if ((r = esc_crm_time(root, "ended_at", "at", &ss->ended, err)) <= 0) {
		if (r == 0)
			esc_err_set(err, "field \"ended_at\" missing: when the session ended, "
				"RFC 3339");
		return -1;
	}
	if (opt_str(root, "resolution", NULL, RESOLUTION_MAX, &ss->resolution, err) < 0 ||
	    opt_str(root, "problem", "summary", PROBLEM_MAX, &ss->problem, err) < 0)
		return -1;
	ss->jsid = esc_crm_member(root, "session_id", NULL);
	ss->jcust = esc_crm_member(root, "customer_id", "user_id");
	return 0;
}

/* A chain already kept: its state again. 1 when found, 0 when not, -1.
 * The session is the key: under another customer it is still that chain,
 * kept as it was, and err says so (a warning). */
static int
known(struct esc_survey *s, const struct session *ss, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_FIND];
	int rc;

	sqlite3_bind_text(st, 1, ss->sid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int step = esc_step_parse((const char *)sqlite3_column_text(st, 2));
		const char *cust = (const char *)sqlite3_column_text(st, 4);

		if (cust && strcmp(cust, ss->cust))
			esc_err_set(err, "session %.64s is already in the store with another "
				"customer (%.64s, not %.64s): kept as it was", ss->sid, cust,
				ss->cust);

		esc_buf_printf(&s->obj, "{\"survey_id\":%lld,\"known\":true,\"state\":\"%s\","
			"\"step\":\"%s\",\"next\":", (long long)sqlite3_column_int64(st, 0),
			sqlite3_column_text(st, 1), esc_step_name(step));
		put_next(&s->obj, step, sqlite3_column_int64(st, 3));
		esc_buf_putc(&s->obj, '}');
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : esc_survey_store_fail(s->db, err);
}

/* A new chain and its in_widget attempt: shown (with a token into tok)
 * or skipped, saying why. */
static int
start(struct esc_survey *s, const struct session *ss, time_t now, char *tok,
	long long *id, const char **skip, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_INS];
	time_t call = ss->ended + s->cfg.delay[ESC_STEP_CALL];
	char hash[ESC_HASH_LEN + 1];

	tok[0] = '\0';
	/* the modal only helps while the person may still be in the widget */
	*skip = s->o.no_widget ? "no_widget" : now > call ? "session_over" : NULL;
	sqlite3_bind_text(st, 1, ss->sid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ss->cust, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ss->ended);
	esc_survey_bind_text(st, 4, ss->resolution);
	esc_survey_bind_text(st, 5, ss->problem);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)call);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	if (esc_survey_run(s, SV_INS, err) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);

	/* a dry run makes no token: nobody could use it */
	if (!*skip && !s->o.dry_run) {
		if (esc_token_new(tok, err) < 0)
			return -1;
		esc_token_hash(tok, ESC_TOKEN_LEN, hash);
	}
	st = s->st[SV_ATT_INS];
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_text(st, 2, ss->cust, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, esc_step_name(ESC_STEP_WIDGET), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, *skip ? "skipped" : "sent", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)ss->ended);
	if (!*skip) {
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
		sqlite3_bind_text(st, 7, "widget", -1, SQLITE_STATIC);
		if (tok[0])
			sqlite3_bind_text(st, 8, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)(now + s->cfg.token_ttl));
	}
	esc_survey_bind_text(st, 10, *skip);
	sqlite3_bind_int(st, 11, *skip ? 0 : 1);
	if (esc_survey_run(s, SV_ATT_INS, err) < 0)
		return -1;
	if (!tok[0])
		return 0;
	st = s->st[SV_TOKEN];
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, sqlite3_last_insert_rowid(s->db));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)(now + s->cfg.token_ttl));
	return esc_survey_run(s, SV_TOKEN, err) < 0 ? -1 : 0;
}

/* A member's JSON as written (an id: a string or an integer). */
static void
put_json(struct esc_buf *b, json_t *j)
{
	char *t = esc_json_text(j);

	if (!t) {
		esc_buf_oom = 1;
		return;
	}
	esc_buf_puts(b, t);
	free(t);
}

/* The modal's line for the widget: the only place its token is shown. */
static void
put_modal(struct esc_buf *out, const struct session *ss, long long id, const char *tok,
	time_t expires)
{
	esc_buf_puts(out, "{\"type\":\"show_feedback_modal\",\"session_id\":");
	put_json(out, ss->jsid);
	esc_buf_puts(out, ",\"customer_id\":");
	put_json(out, ss->jcust);
	esc_buf_printf(out, ",\"survey_id\":%lld,\"token\":\"%s\",\"expires_at\":", id, tok);
	put_time(out, expires);
	esc_buf_puts(out, ",\"questions\":[\"problem_solved\",\"rating\",\"nps\",\"feedback\"]}\n");
}

enum esc_rc
esc_survey_line(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct esc_survey *s = arg;
	struct session ss = { 0 };
	struct esc_survey_tx tx = { 0 };
	char tok[ESC_TOKEN_LEN + 1] = "";
	time_t now = esc_time_now();
	const char *skip = NULL;
	long long id = 0;
	json_error_t je;
	json_t *root;
	int r;

	if (esc_scan_line(&s->scan, rec->line, rec->len, NULL, NULL, err) < 0)
		return ESC_REC_REJECT;
	/* yajl has checked it; jansson can still refuse what it cannot hold
	 * (an integer past 64 bits, a NUL inside a string) */
	if (!(root = json_loadb(rec->line, rec->len, 0, &je))) {
		esc_json_load_err(err, &je);
		return ESC_REC_REJECT;
	}
	if (session_read(root, &ss, err) < 0) {
		json_decref(root);
		return ESC_REC_REJECT;
	}
	s->obj.len = 0;
	if (esc_survey_begin(s->db, &tx, err) < 0)
		goto fatal;
	if ((r = known(s, &ss, err)) < 0)
		goto fatal;
	if (!r) {
		if (start(s, &ss, now, tok, &id, &skip, err) < 0)
			goto fatal;
		esc_buf_printf(&s->obj, "{\"survey_id\":%lld,\"state\":\"open\",\"step\":\"%s\"",
			id, esc_step_name(ESC_STEP_WIDGET));
		if (skip)
			esc_buf_printf(&s->obj, ",\"skip_reason\":\"%s\"", skip);
		esc_buf_puts(&s->obj, ",\"next\":");
		put_next(&s->obj, ESC_STEP_WIDGET,
			(long long)(ss.ended + s->cfg.delay[ESC_STEP_CALL]));
		if (s->o.dry_run)
			esc_buf_puts(&s->obj, ",\"dry_run\":true");
		esc_buf_putc(&s->obj, '}');
	}
	if (esc_survey_commit(&tx, err) < 0)
		goto fatal;
	esc_splice(out, &s->scan, rec->line, s->obj.p, s->obj.len);
	if (tok[0])
		put_modal(out, &ss, id, tok, now + s->cfg.token_ttl);
	explicit_bzero(tok, sizeof tok);
	json_decref(root);
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		return ESC_REC_FATAL;
	}
	return ESC_REC_OK;
fatal:
	esc_survey_rollback(&tx);
	json_decref(root);
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	/* each line is its own transaction: this one is undone */
	esc_err_unstored(err, rec->name, rec->lineno);
	return ESC_REC_FATAL;
}

int
esc_survey_sync(void *arg, struct esc_err *err)
{
	(void)arg;
	(void)err;
	return 0;
}

/* ---- the object ---- */

struct esc_survey *
esc_survey_new(sqlite3 *db, const struct esc_survey_opts *o, struct esc_err *err)
{
	struct esc_survey *s = calloc(1, sizeof *s);
	int i;

	if (!s || esc_scan_init(&s->scan, "survey") < 0) {
		free(s);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	s->db = db;
	s->o = *o;
	if (esc_survey_cfg_load(&s->cfg, o->config, err) < 0) {
		esc_scan_free(&s->scan);
		free(s);
		return NULL;
	}
	if (esc_net_init(&s->net, err) < 0) {
		err->code = ESC_EXIT_USAGE;
		goto fail;
	}
	/* a claim younger than claim_grace may be a send still at work, so the
	 * grace must outlast the slowest send: else a second run would call a
	 * live claim unconfirmed */
	if (s->cfg.claim_grace * 1000L <= esc_net_longest_ms(&s->net)) {
		esc_err_set(err, "claim_grace (%lds) must be longer than the longest a send can "
			"take: %lds (ESC_NET_TIMEOUT %s%d tr%s)", s->cfg.claim_grace,
			(esc_net_longest_ms(&s->net) + 999) / 1000,
			s->net.retries ? "on each of " : "on ", s->net.retries + 1,
			s->net.retries ? "ies, and the waits between them" : "y");
		err->code = ESC_EXIT_USAGE;
		goto fail;
	}
	for (i = 0; i < SV_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
		    NULL) != SQLITE_OK) {
			esc_survey_store_fail(db, err);
			goto fail;
		}
	/* a dry run is one transaction, begun here so that all the work of
	 * the run (answers and handovers too) falls inside it, and undone */
	if (o->dry_run && esc_survey_begin(db, &s->dry, err) < 0)
		goto fail;
	return s;
fail:
	esc_survey_free(s, NULL);
	return NULL;
}

struct sqlite3 *
esc_survey_db(const struct esc_survey *s)
{
	return s->db;
}

const struct esc_survey_cfg *
esc_survey_cfg(const struct esc_survey *s)
{
	return &s->cfg;
}

const struct esc_net *
esc_survey_net(const struct esc_survey *s)
{
	return &s->net;
}

int
esc_survey_dry(const struct esc_survey *s)
{
	return s->o.dry_run;
}

void
esc_survey_net_failed(struct esc_survey *s)
{
	s->net_failures++;
}

unsigned long
esc_survey_net_failures(const struct esc_survey *s)
{
	return s->net_failures;
}

static long long
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void
esc_survey_due_begin(struct esc_survey *s)
{
	s->due_t0 = mono_ms();
	s->held = 0;
}

int
esc_survey_may_send(struct esc_survey *s)
{
	if (mono_ms() - s->due_t0 + esc_net_longest_ms(&s->net) < s->cfg.claim_grace * 1000LL)
		return 1;
	s->held = 1;
	return 0;
}

int
esc_survey_held(const struct esc_survey *s)
{
	return s->held;
}

unsigned long
esc_survey_stuck(const struct esc_survey *s)
{
	return s->stuck;
}

int
esc_survey_free(struct esc_survey *s, struct esc_err *err)
{
	int i;

	(void)err;
	if (!s)
		return 0;
	/* a dry run's transaction is undone here; a real run has none open */
	esc_survey_rollback(&s->dry);
	for (i = 0; i < SV_N; i++)
		sqlite3_finalize(s->st[i]);
	explicit_bzero(s->pending_token, sizeof s->pending_token);
	esc_survey_cfg_free(&s->cfg);
	esc_scan_free(&s->scan);
	esc_buf_free(&s->obj);
	esc_buf_free(&s->line);
	free(s);
	return 0;
}
