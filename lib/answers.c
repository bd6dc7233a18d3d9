/* answers.c — survey-send --record: answers from the widget's modal, the
 * voice agent and the SMS and email links, and agents joining a handover's
 * meeting (survey.h).
 *
 * A line is checked whole before anything is written. Its token is looked
 * up by its hash; a token is single-use, so a used one is refused unless
 * the line is the very answer recorded with it (its digest: the same line
 * fed twice), which is printed again and counted once. A complete answer
 * (problem_solved and rating) ends the chain; "Later" in the widget lets
 * it go on to the call; refusing on any other step declines the survey.
 * A problem not solved is counted among the unresolved problems
 * (problems.c) and handed over to a human (handover.c).
 *
 * Each line's work is one transaction, committed before the line is
 * printed; the agents' webhook is called after the commit. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "survey-int.h"

#define FEEDBACK_MAX 10000
#define AGENT_MAX 256
/* how far ahead of ours another clock may be before its answered_at is
 * "in the future", s */
#define CLOCK_SKEW 300

enum slot {
	A_TOKEN, A_SOLVED, A_RATING, A_NPS, A_RECOMMEND, A_FEEDBACK, A_REFUSED, A_AT,
	A_MEETING, A_AGENT, A_N
};
static const char *const keys[A_N] = {
	[A_TOKEN] = "token", [A_SOLVED] = "problem_solved", [A_RATING] = "rating",
	[A_NPS] = "nps", [A_RECOMMEND] = "would_recommend", [A_FEEDBACK] = "feedback",
	[A_REFUSED] = "refused", [A_AT] = "answered_at", [A_MEETING] = "meeting_token",
	[A_AGENT] = "agent",
};

/* One line's values, as the scanner reported them. */
struct line {
	struct esc_buf arena;
	struct {
		int set;
		enum esc_jtype t;
		size_t off, len;
	} v[A_N];
};

/* An answer, checked. -1: not given. */
struct answer {
	int solved, rating, nps, recommend, refused;
	const char *feedback;     /* NULL: none */
	time_t at;
	int stamped;              /* at is the line's answered_at, not our clock */
};

static int
on_value(void *arg, const struct esc_jpath *p, enum esc_jtype t, const char *v, size_t n,
	struct esc_err *err)
{
	struct line *l = arg;
	int i;

	(void)err;
	if (p->depth != 1)
		return 0;
	for (i = 0; i < A_N; i++) {
		if (!esc_key_is(p->k[0].key, p->k[0].len, keys[i]))
			continue;
		/* a key given twice: the last one, as jq reads it */
		l->v[i].set = 1;
		l->v[i].t = t;
		l->v[i].off = l->arena.len;
		l->v[i].len = v ? n : 0;
		if (v)
			esc_buf_put(&l->arena, v, n);
		esc_buf_putc(&l->arena, '\0');
		break;
	}
	return 0;
}

static int
present(const struct line *l, enum slot s)
{
	return l->v[s].set && l->v[s].t != ESC_J_NULL;
}

static const char *
text(const struct line *l, enum slot s)
{
	return l->arena.p + l->v[s].off;
}

/* ---- checks ---- */

static int
get_bool(const struct line *l, enum slot s, int *b, struct esc_err *err)
{
	*b = -1;
	if (!present(l, s))
		return 0;
	if (l->v[s].t != ESC_J_TRUE && l->v[s].t != ESC_J_FALSE) {
		esc_err_set(err, "field \"%s\" must be true or false", keys[s]);
		return -1;
	}
	*b = l->v[s].t == ESC_J_TRUE;
	return 0;
}

/* A whole number in [lo, hi], written as one (4, not 4.0 or 4e0). */
static int
get_int(const struct line *l, enum slot s, int lo, int hi, int *n, struct esc_err *err)
{
	const char *v = text(l, s);
	size_t i;

	*n = -1;
	if (!present(l, s))
		return 0;
	if (l->v[s].t == ESC_J_NUMBER && l->v[s].len > 0 && l->v[s].len <= 3) {
		for (i = v[0] == '-'; i < l->v[s].len && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == l->v[s].len && atoi(v) >= lo && atoi(v) <= hi) {
			*n = atoi(v);
			return 0;
		}
	}
	esc_err_set(err, "field \"%s\" must be a whole number from %d to %d", keys[s], lo, hi);
	return -1;
}

/* A string field: NULL when absent or null; else it must be a string
 * with no NUL in it, of at most max bytes. */
static int
get_str(const struct line *l, enum slot s, size_t max, const char **v, struct esc_err *err)
{
	*v = NULL;
	if (!present(l, s))
		return 0;
	if (l->v[s].t != ESC_J_STRING) {
		esc_err_set(err, "field \"%s\" must be a string", keys[s]);
		return -1;
	}
	if (l->v[s].len > max) {
		esc_err_set(err, "field \"%s\" is longer than %zu bytes", keys[s], max);
		return -1;
	}
	if (strlen(text(l, s)) != l->v[s].len) {
		esc_err_set(err, "field \"%s\" holds a NUL character", keys[s]);
		return -1;
	}
	*v = text(l, s);
	return 0;
}

static int
check_answer(const struct line *l, struct answer *a, const char **token, struct esc_err *err)
{
	time_t now = esc_time_now();
	const char *at;

	if (get_str(l, A_TOKEN, 4096, token, err) < 0)
		return -1;
	if (!*token || !esc_survey_token_shaped(*token)) {
		esc_err_set(err, *token ? "field \"token\" must be a survey token (43 characters: "
			"A-Z, a-z, 0-9, - and _)" : "field \"token\" missing: an answer carries its "
			"survey token (or a meeting join its meeting_token)");
		return -1;
	}
	if (get_bool(l, A_SOLVED, &a->solved, err) < 0 ||
	    get_int(l, A_RATING, 1, 5, &a->rating, err) < 0 ||
	    get_int(l, A_NPS, 0, 10, &a->nps, err) < 0 ||
	    get_bool(l, A_RECOMMEND, &a->recommend, err) < 0 ||
	    get_bool(l, A_REFUSED, &a->refused, err) < 0 ||
	    get_str(l, A_FEEDBACK, FEEDBACK_MAX, &a->feedback, err) < 0 ||
	    get_str(l, A_AT, 64, &at, err) < 0)
		return -1;
	if (a->feedback && !*a->feedback)
		a->feedback = NULL;
	a->refused = a->refused == 1;
	if (!a->refused && a->solved < 0 && a->rating < 0 && a->nps < 0 && a->recommend < 0 &&
	    !a->feedback) {
		esc_err_set(err, "an answer needs problem_solved, rating, nps, would_recommend or "
			"feedback, or \"refused\": true");
		return -1;
	}
	a->at = now;
	if (!(a->stamped = at != NULL))
		return 0;
	if (esc_time_parse(at, strlen(at), &a->at) < 0) {
		esc_err_set(err, "field \"answered_at\" must be an RFC 3339 time, like "
			"\"2026-03-01T10:15:00Z\"");
		return -1;
	}
	/* the expiry is checked against the line's time: only another clock's
	 * skew may put it ahead of ours */
	if (a->at > now + CLOCK_SKEW) {
		esc_err_set(err, "field \"answered_at\": in the future");
		return -1;
	}
	return 0;
}

/* What makes two answers the same: every field but the time. */
static void
digest(const struct answer *a, char *hex)
{
	struct esc_buf b = { 0 };

	esc_buf_printf(&b, "survey-answer/1 solved=%d rating=%d nps=%d recommend=%d refused=%d "
		"feedback=", a->solved, a->rating, a->nps, a->recommend, a->refused);
	if (a->feedback)
		esc_buf_json_str(&b, a->feedback, strlen(a->feedback));
	esc_token_hash(b.p ? b.p : "", b.len, hex);
	esc_buf_free(&b);
}

/* ---- the store ---- */

/* The attempt a token was sent with, and its survey. */
struct attempt {
	long long id, survey;
	int step;
	time_t issued, expires;   /* the token's: when it was shown or sent, its end */
	time_t used, answered;
	char state[16], session[1024], customer[1024];
	char sent[16];            /* the attempt's own state: sent, failed, ... */
	char *problem;            /* the session's own words, or NULL; caller frees */
};

/* 1 found, 0 unknown, -1 with err. */
static int
find_attempt(sqlite3 *db, const char *hash, struct attempt *t, struct esc_err *err)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	/* any token the step was shown or sent with: a try the provider
	 * failed, and tried again with a new one, may have reached them */
	if (!(st = esc_survey_prepare(db,
	    "SELECT a.id, a.survey_id, a.step, k.expires_at, a.used_at, k.token, "
	    "s.state, s.session_id, s.customer_id, s.problem, s.answered_at, k.made_at, a.state "
	    "FROM survey_tokens k JOIN survey_attempts a ON a.id = k.attempt_id "
	    "JOIN surveys s ON s.id = a.survey_id WHERE k.token = ?1", err)))
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = esc_survey_hash_is(st, 5, hash);
		t->id = sqlite3_column_int64(st, 0);
		t->survey = sqlite3_column_int64(st, 1);
		t->step = esc_step_parse((const char *)sqlite3_column_text(st, 2));
		t->expires = (time_t)sqlite3_column_int64(st, 3);
		t->used = (time_t)sqlite3_column_int64(st, 4);
		snprintf(t->state, sizeof t->state, "%s", sqlite3_column_text(st, 6));
		snprintf(t->session, sizeof t->session, "%s", sqlite3_column_text(st, 7));
		snprintf(t->customer, sizeof t->customer, "%s", sqlite3_column_text(st, 8));
		if (sqlite3_column_type(st, 9) != SQLITE_NULL &&
		    !(t->problem = strdup((const char *)sqlite3_column_text(st, 9)))) {
			sqlite3_finalize(st);
			esc_err_set(err, "out of memory");
			return -1;
		}
		t->answered = (time_t)sqlite3_column_int64(st, 10);
		t->issued = (time_t)sqlite3_column_int64(st, 11);
		snprintf(t->sent, sizeof t->sent, "%s", sqlite3_column_text(st, 12));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	return found;
}

/* The answer kept with a used token: 1 when its digest is hex (and
 * *complete), 0 when it differs, -1 with err. */
static int
same_answer(sqlite3 *db, long long attempt, const char *hex, int *complete, struct esc_err *err)
{
	sqlite3_stmt *st;
	int rc, same = 0;

	if (!(st = esc_survey_prepare(db,
	    "SELECT digest, complete FROM survey_answers WHERE attempt_id = ?1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, attempt);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		same = esc_token_equal((const char *)sqlite3_column_text(st, 0), hex);
		*complete = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	return same;
}

/* Keep the answer: its row, the token's use, the survey's columns. */
static int
keep(sqlite3 *db, const struct attempt *t, const struct answer *a, const char *hex, int complete,
	const char *state, struct esc_err *err)
{
	sqlite3_stmt *st;
	time_t now = esc_time_now();

	if (!(st = esc_survey_prepare(db,
	    "INSERT INTO survey_answers (attempt_id, survey_id, customer_id, "
	    "method, problem_solved, rating, nps, would_recommend, feedback, refused, complete, "
	    "digest, answered_at, logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14)", err)))
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_int64(st, 2, t->survey);
	sqlite3_bind_text(st, 3, t->customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, esc_step_name(t->step), -1, SQLITE_STATIC);
	esc_survey_bind_int(st, 5, a->solved, -1);
	esc_survey_bind_int(st, 6, a->rating, -1);
	esc_survey_bind_int(st, 7, a->nps, -1);
	esc_survey_bind_int(st, 8, a->recommend, -1);
	esc_survey_bind_text(st, 9, a->feedback);
	sqlite3_bind_int(st, 10, a->refused);
	sqlite3_bind_int(st, 11, complete);
	sqlite3_bind_text(st, 12, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)a->at);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)now);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	if (!(st = esc_survey_prepare(db,
	    "UPDATE survey_attempts SET used_at = ?2 WHERE id = ?1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->at);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	/* the latest value given in the chain; an ended chain waits no more */
	if (!(st = esc_survey_prepare(db,
	    "UPDATE surveys SET problem_solved = coalesce(?2, problem_solved), "
	    "rating = coalesce(?3, rating), nps = coalesce(?4, nps), "
	    "would_recommend = coalesce(?5, would_recommend), state = ?6, "
	    "method = CASE WHEN ?7 THEN ?8 ELSE method END, "
	    "answered_at = CASE WHEN ?7 THEN ?9 ELSE answered_at END, "
	    "next_at = CASE WHEN ?6 = 'open' THEN next_at ELSE NULL END, updated_at = ?10 "
	    "WHERE id = ?1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, t->survey);
	esc_survey_bind_int(st, 2, a->solved, -1);
	esc_survey_bind_int(st, 3, a->rating, -1);
	esc_survey_bind_int(st, 4, a->nps, -1);
	esc_survey_bind_int(st, 5, a->recommend, -1);
	sqlite3_bind_text(st, 6, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, complete);
	sqlite3_bind_text(st, 8, esc_step_name(t->step), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)a->at);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)now);
	return esc_survey_once(db, st, err);
}

/* A send the provider said failed, answered through its token: it reached
 * the person all the same. It becomes unconfirmed (the provider never
 * confirmed it; the answer did), so it is never tried again and counts as
 * sent, and a chain still open, waiting to try it again, goes on from it
 * as from a send. chain is the chain's state after the answer. */
static int
arrived(struct esc_survey *s, const struct attempt *t, const char *chain, struct esc_err *err)
{
	sqlite3 *db = esc_survey_db(s);
	sqlite3_stmt *st;

	if (strcmp(t->sent, "failed"))
		return 0;
	if (!(st = esc_survey_prepare(db,
	    "UPDATE survey_attempts SET state = 'unconfirmed' WHERE id = ?1 AND state = 'failed'",
	    err)))
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	if (esc_survey_once(db, st, err) < 0)
		return -1;
	return strcmp(chain, "open") ? 0 :
		esc_survey_went_out(s, t->survey, t->step, t->issued, esc_time_now(), err);
}

/* The problem not solved: counted, and its "problem" member into obj. */
static int
problem(struct esc_survey *s, const struct attempt *t, const char *text, time_t at,
	long long *id, struct esc_buf *obj, struct esc_err *err)
{
	sqlite3 *db = esc_survey_db(s);
	sqlite3_stmt *st;
	double sim = 0;
	int fresh = 0, rc;

	*id = 0;
	if (!text) {
		esc_buf_puts(obj, ",\"problem\":null,\"why\":\"no description\"");
		return 0;
	}
	if (esc_problem_add(db, esc_survey_cfg(s)->similarity, text, t->customer, t->session, at,
	    id, &fresh, &sim, err) < 0)
		return -1;
	if (!(st = esc_survey_prepare(db,
	    "SELECT affected_users, attempts FROM problems WHERE id = ?1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, *id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		esc_buf_printf(obj, ",\"problem\":{\"id\":%lld,\"new\":%s,\"similarity\":", *id,
			fresh ? "true" : "false");
		esc_buf_json_num(obj, sim);
		esc_buf_printf(obj, ",\"affected_users\":%lld,\"attempts\":%lld}",
			(long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : esc_survey_store_fail(db, err);
}

static void
put_head(struct esc_buf *obj, const struct attempt *t)
{
	esc_buf_printf(obj, "{\"survey_id\":%lld,\"session_id\":", t->survey);
	esc_buf_json_str(obj, t->session, strlen(t->session));
	esc_buf_printf(obj, ",\"method\":\"%s\"", esc_step_name(t->step));
}

static enum esc_rc
refuse(struct esc_survey_tx *tx, struct esc_err *err, const char *why, time_t at)
{
	char t[32];

	esc_survey_rollback(tx);
	if (at)
		esc_err_set(err, "survey token refused: %s %s", why, esc_time_format(at, t, sizeof t));
	else
		esc_err_set(err, "survey token refused: %s", why);
	return ESC_REC_REJECT;
}

static enum esc_rc
answer(struct esc_survey *s, const struct esc_rec *rec, const struct line *l,
	struct esc_buf *obj, struct esc_err *err)
{
	sqlite3 *db = esc_survey_db(s);
	struct attempt t = { 0 };
	struct answer a;
	struct esc_err nerr = { 0 };
	struct esc_survey_tx tx = { 0 };
	char hash[ESC_HASH_LEN + 1], hex[ESC_HASH_LEN + 1], why[64], noword[96];
	const char *token, *state, *desc;
	long long pid = 0, hid = 0;
	int found, complete = 0, stop;
	enum esc_rc rc = ESC_REC_FATAL;

	if (check_answer(l, &a, &token, err) < 0)
		return ESC_REC_REJECT;
	esc_token_hash(token, ESC_TOKEN_LEN, hash);
	digest(&a, hex);
	if (esc_survey_begin(db, &tx, err) < 0)
		goto fatal;
	if ((found = find_attempt(db, hash, &t, err)) < 0)
		goto fatal;
	if (!found) {
		rc = refuse(&tx, err, "unknown", 0);
		goto done;
	}
	/* no answer comes before its token was sent: such a time is made up */
	if (a.stamped && a.at < t.issued) {
		esc_survey_rollback(&tx);
		esc_err_set(err, "field \"answered_at\": before the survey was sent");
		rc = ESC_REC_REJECT;
		goto done;
	}
	if (t.used) {
		if ((found = same_answer(db, t.id, hex, &complete, err)) < 0)
			goto fatal;
		if (!found) {
			rc = refuse(&tx, err, "already used at", t.used);
			goto done;
		}
		/* the same answer again: said, not counted */
		esc_survey_rollback(&tx);
		put_head(obj, &t);
		esc_buf_printf(obj, ",\"duplicate\":true,\"complete\":%s,\"chain\":\"%s\"}",
			complete ? "true" : "false", t.state);
		rc = ESC_REC_OK;
		goto done;
	}
	/* against the clock, not the line's answered_at: a time the line
	 * says cannot bring a spent link back */
	if (t.expires && t.expires <= esc_time_now()) {
		rc = refuse(&tx, err, "expired at", t.expires);
		goto done;
	}
	/* a chain that ran out of steps (exhausted: nothing more is sent)
	 * still takes an answer through a link that is alive */
	if (strcmp(t.state, "open") && strcmp(t.state, "exhausted")) {
		snprintf(why, sizeof why, "the survey already ended (%s)", t.state);
		rc = refuse(&tx, err, why, !strcmp(t.state, "answered") ? t.answered : 0);
		goto done;
	}

	complete = a.solved >= 0 && a.rating >= 0;
	/* "Later" in the widget: the call comes as planned; elsewhere, a no */
	stop = complete || (a.refused && t.step != ESC_STEP_WIDGET);
	state = complete ? "answered" : stop ? "declined" : t.state;
	if (keep(db, &t, &a, hex, complete, state, err) < 0 || arrived(s, &t, state, err) < 0)
		goto fatal;
	put_head(obj, &t);
	esc_buf_printf(obj, ",\"complete\":%s,\"refused\":%s,\"chain\":\"%s\"",
		complete ? "true" : "false", a.refused ? "true" : "false", state);
	if (a.solved == 0) {
		desc = a.feedback ? a.feedback : t.problem && *t.problem ? t.problem : NULL;
		if (problem(s, &t, desc, a.at, &pid, obj, err) < 0)
			goto fatal;
		/* with no words to go on, the agents' queue still says what
		 * the case is */
		if (!desc) {
			char rated[32] = "";

			if (a.rating >= 0)
				snprintf(rated, sizeof rated, " (rated %d of 5)", a.rating);
			snprintf(noword, sizeof noword,
				"Survey answer: not solved%s, no description given", rated);
		}
		esc_buf_puts(obj, ",\"handover\":");
		if (esc_handover_open(s, t.survey, pid, t.customer, t.session, desc ? desc : noword,
		    esc_time_now(), &hid, obj, err) < 0)
			goto fatal;
	} else
		esc_buf_puts(obj, ",\"problem\":null");
	if (esc_survey_dry(s))
		esc_buf_puts(obj, ",\"dry_run\":true");
	esc_buf_putc(obj, '}');
	if (esc_survey_commit(&tx, err) < 0)
		goto fatal;
	rc = ESC_REC_OK;
	if (hid && esc_handover_notify(s, hid, &nerr) < 0) {
		*err = nerr;
		if (nerr.code != ESC_EXIT_NET)
			rc = ESC_REC_FATAL;
	}
	goto done;
fatal:
	esc_survey_rollback(&tx);
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	/* each line is its own transaction: this one is undone */
	esc_err_unstored(err, rec->name, rec->lineno);
done:
	free(t.problem);
	return rc;
}

static enum esc_rc
join(struct esc_survey *s, const struct esc_rec *rec, const struct line *l,
	struct esc_buf *obj, struct esc_err *err)
{
	sqlite3 *db = esc_survey_db(s);
	struct esc_survey_tx tx = { 0 };
	const char *token, *agent;

	if (present(l, A_TOKEN)) {
		esc_err_set(err, "a line is an answer (\"token\") or a meeting join "
			"(\"meeting_token\"), not both");
		return ESC_REC_REJECT;
	}
	if (get_str(l, A_MEETING, 4096, &token, err) < 0 ||
	    get_str(l, A_AGENT, AGENT_MAX, &agent, err) < 0)
		return ESC_REC_REJECT;
	if (!agent || !*agent) {
		esc_err_set(err, "field \"agent\" missing: a meeting join names the agent who joined");
		return ESC_REC_REJECT;
	}
	if (esc_survey_begin(db, &tx, err) < 0)
		goto fatal;
	if (esc_handover_join(s, token, agent, esc_time_now(), obj, err) < 0) {
		if (err->code == ESC_EXIT_INPUT) {
			esc_survey_rollback(&tx);
			return ESC_REC_REJECT;
		}
		goto fatal;
	}
	if (esc_survey_commit(&tx, err) < 0)
		goto fatal;
	return ESC_REC_OK;
fatal:
	esc_survey_rollback(&tx);
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	/* each line is its own transaction: this one is undone */
	esc_err_unstored(err, rec->name, rec->lineno);
	return ESC_REC_FATAL;
}

enum esc_rc
esc_survey_record_line(void *arg, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err)
{
	struct esc_survey *s = arg;
	struct esc_buf obj = { 0 };
	struct esc_scan scan;
	struct line l;
	enum esc_rc rc;

	memset(&l, 0, sizeof l);
	if (esc_scan_init(&scan, "survey") < 0) {
		esc_err_set(err, "out of memory");
		return ESC_REC_FATAL;
	}
	if (esc_scan_line(&scan, rec->line, rec->len, on_value, &l, err) < 0)
		rc = ESC_REC_REJECT;
	else if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		rc = ESC_REC_FATAL;
	} else if (present(&l, A_MEETING))
		rc = join(s, rec, &l, &obj, err);
	else
		rc = answer(s, rec, &l, &obj, err);
	if (rc == ESC_REC_OK)
		esc_splice(out, &scan, rec->line, obj.p, obj.len);
	esc_scan_free(&scan);
	esc_buf_free(&obj);
	esc_buf_free(&l.arena);
	return rc;
}
