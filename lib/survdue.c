/* survdue.c — survey-send --due, from cron every minute: the clock of the
 * survey chains (survey.h).
 *
 * surveys.step is the last step started and next_at when the step after
 * it is due. Each due chain is worked on in its own BEGIN IMMEDIATE
 * transactions, so two runs that overlap never both claim a step: a step
 * is claimed (state 'claimed', committed) before the provider is called
 * and marked sent after. A claim older than claim_grace was left by a run
 * that died between the two; nobody can know whether its message left,
 * so it is never sent again: it becomes 'unconfirmed' and the chain goes
 * on as if it had been sent. A younger claim belongs to a run still
 * sending: the chain is left alone. An answer may end the chain while
 * the claim is in flight (the person answers the very call, or an older
 * link); such a chain is no longer due, so its claim is looked for
 * apart, and settled the same way once past the grace.
 *
 * Send hours are local to the person (esc_window_next does the zone
 * work, DST included); a step that falls outside them, or inside the
 * throttle of another chain, waits: it is never dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crm.h"
#include "survey-int.h"

struct chain {
	long long id, next_at, ended_at;
	char *sid, *cust;
	char state[16];
	int step;
};

struct contact {
	int found, calls, sms, mail, blocked;
	char *name, *email, *phone, *tz;
};

struct due {
	struct esc_survey *s;
	FILE *f;
	time_t now;
	long actions;
	struct esc_survey_tx tx;    /* the chain's work in hand */
	int warned[ESC_STEP_N];     /* a missing channel is said once a run */
};

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t && *t ? strdup((const char *)t) : NULL;
}

static void
chain_free(struct chain *c)
{
	free(c->sid);
	free(c->cust);
	memset(c, 0, sizeof *c);
}

static void
contact_free(struct contact *k)
{
	free(k->name);
	free(k->email);
	free(k->phone);
	free(k->tz);
	memset(k, 0, sizeof *k);
}

static int
oom(struct esc_err *err)
{
	esc_err_set(err, "out of memory");
	err->code = ESC_EXIT_STORE;
	return -1;
}

/* The chain's row: 1, 0 when it is gone, -1. */
static int
chain_get(struct esc_survey *s, long long id, struct chain *c, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_GET];
	int rc;

	chain_free(c);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->id = id;
		c->sid = col_dup(st, 0);
		c->cust = col_dup(st, 1);
		snprintf(c->state, sizeof c->state, "%s", sqlite3_column_text(st, 2));
		c->step = esc_step_parse((const char *)sqlite3_column_text(st, 3));
		c->next_at = sqlite3_column_int64(st, 4);
		c->ended_at = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return c->sid && c->cust ? 1 : oom(err);
	return rc == SQLITE_DONE ? 0 : esc_survey_store_fail(s->db, err);
}

static int
contact_get(struct esc_survey *s, const char *cust, struct contact *k, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_CONTACT];
	int rc;

	memset(k, 0, sizeof *k);
	sqlite3_bind_text(st, 1, cust, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k->found = 1;
		k->name = col_dup(st, 0);
		k->email = col_dup(st, 1);
		k->phone = col_dup(st, 2);
		k->tz = col_dup(st, 3);
		k->calls = sqlite3_column_int(st, 4);
		k->sms = sqlite3_column_int(st, 5);
		k->mail = sqlite3_column_int(st, 6);
		k->blocked = sqlite3_column_int(st, 7);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : esc_survey_store_fail(s->db, err);
}

/* Why step cannot go to this person now, or NULL: checked when the step
 * comes due, since consent may have changed since the session. */
static const char *
unmet(const struct contact *k, int step, char *why, size_t n)
{
	if (!k->found)
		return "no_contact";
	if (k->blocked)
		return "blocked";
	if (step == ESC_STEP_CALL || step == ESC_STEP_SMS) {
		if (!k->phone)
			return "no_phone";
		if (step == ESC_STEP_CALL && !k->calls)
			return "no_consent_calls";
		if (step == ESC_STEP_SMS && !k->sms)
			return "no_consent_sms";
	} else {
		if (!k->email)
			return "no_email";
		if (!k->mail)
			return "no_consent_email";
	}
	return esc_channel_ready(step, why, n) ? NULL : "no_channel";
}

/* How long after step was sent the chain looks again: the next step's
 * delay, or, after the last step, its link's life. */
static long
after(const struct esc_survey *s, int step)
{
	return step + 1 < ESC_STEP_N ? s->cfg.delay[step + 1] : s->cfg.token_ttl;
}

/* When the chain wanted step (before send hours and the throttle moved
 * it): the session's end plus the call's delay, or from the step before
 * it: sent (or unconfirmed) plus the delay; skipped: when that one was
 * due; given up: when it failed. */
static int
wanted(struct esc_survey *s, const struct chain *c, int step, time_t *due, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_PREV];
	time_t t = (time_t)c->next_at;
	const char *state;
	int rc;

	*due = (time_t)(c->ended_at + s->cfg.delay[ESC_STEP_CALL]);
	if (step == ESC_STEP_CALL)
		return 0;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, esc_step_name(step - 1), -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state = (const char *)sqlite3_column_text(st, 0);
		if (!strcmp(state, "sent"))
			t = (time_t)sqlite3_column_int64(st, 3) + s->cfg.delay[step];
		else if (!strcmp(state, "unconfirmed"))
			t = (time_t)sqlite3_column_int64(st, 2) + s->cfg.delay[step];
		else if (!strcmp(state, "skipped"))
			t = (time_t)sqlite3_column_int64(st, 1);
		else if (!strcmp(state, "failed"))
			t = (time_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(s->db, err);
	*due = t;
	return 0;
}

/* surveys.state, step and next_at (0: NULL). */
static int
chain_set(struct esc_survey *s, long long id, const char *state, int step, time_t next_at,
	time_t now, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_SET];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, esc_step_name(step), -1, SQLITE_STATIC);
	esc_survey_bind_int(st, 4, next_at, 0);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	return esc_survey_run(s, SV_SET, err) < 0 ? -1 : 0;
}

/* An open chain still before step moves on to it, next_at its next look
 * (0: none). */
static int
catch_up(struct esc_survey *s, long long id, int step, time_t next_at, time_t now,
	struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_CATCH_UP];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, step);
	sqlite3_bind_text(st, 3, esc_step_name(step), -1, SQLITE_STATIC);
	esc_survey_bind_int(st, 4, next_at, 0);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	return esc_survey_run(s, SV_CATCH_UP, err) < 0 ? -1 : 0;
}

int
esc_survey_went_out(struct esc_survey *s, long long id, int step, time_t at, time_t now,
	struct esc_err *err)
{
	return catch_up(s, id, step, at + after(s, step), now, err);
}

/* An attempt: its id, tries, state, when it went out (sent_at, else
 * claimed_at) and when its token was used (0: not). */
struct att {
	long long id;
	int tries;
	char state[16];
	time_t at, used;
};

/* The attempt of step in chain into *a: 1, 0 when there is none, -1. */
static int
att_get(struct esc_survey *s, long long chain, int step, struct att *a, struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_ATT_ID];
	int rc;

	memset(a, 0, sizeof *a);
	sqlite3_bind_int64(st, 1, chain);
	sqlite3_bind_text(st, 2, esc_step_name(step), -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->tries = sqlite3_column_int(st, 1);
		snprintf(a->state, sizeof a->state, "%s", sqlite3_column_text(st, 2));
		a->at = (time_t)sqlite3_column_int64(st, 3);
		a->used = (time_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : esc_survey_store_fail(s->db, err);
}

static void
put_time(struct esc_buf *b, const char *key, time_t t)
{
	char buf[32];

	esc_buf_printf(b, ",\"%s\":\"%s\"", key, esc_time_format(t, buf, sizeof buf));
}

/* One action line: {"action","survey_id","session_id","customer_id",
 * "step","at"} and the members in more (JSON text, each with its comma). */
static int
put_action(struct due *d, const struct chain *c, const char *action, int step,
	const struct esc_buf *more, struct esc_err *err)
{
	struct esc_buf *b = &d->s->line;

	b->len = 0;
	esc_buf_printf(b, "{\"action\":\"%s\",\"survey_id\":%lld,\"session_id\":", action, c->id);
	esc_buf_json_str(b, c->sid, strlen(c->sid));
	esc_buf_puts(b, ",\"customer_id\":");
	esc_buf_json_str(b, c->cust, strlen(c->cust));
	esc_buf_printf(b, ",\"step\":\"%s\"", esc_step_name(step));
	put_time(b, "at", d->now);
	if (more && more->len)
		esc_buf_put(b, more->p, more->len);
	if (d->s->o.dry_run)
		esc_buf_puts(b, ",\"dry_run\":true");
	esc_buf_puts(b, "}\n");
	if (esc_buf_oom)
		return oom(err);
	d->actions++;
	if (fwrite(b->p, 1, b->len, d->f) != b->len) {
		esc_err_set(err, "cannot write the standard output: %s", strerror(errno));
		err->code = ESC_EXIT_IO;
		return -1;
	}
	return 0;
}

/* The channel step goes through. */
static enum esc_survey_chan
chan(int step)
{
	return step == ESC_STEP_EMAIL ? SC_EMAIL : SC_TWILIO;
}

/* A step whose channel refused the run's credentials or settings: it is
 * left due as it was, and the line says so with the provider's answer. */
static int
held(struct due *d, const struct chain *c, int step, struct esc_buf *more, struct esc_err *err)
{
	const char *why = d->s->down[chan(step)];

	more->len = 0;
	esc_buf_printf(more, ",\"channel\":\"%s\",\"error\":", esc_channel_name(step));
	esc_buf_json_str(more, why, strlen(why));
	return put_action(d, c, "held", step, more, err);
}

/* The provider refused the operator's credentials or settings (net.h,
 * ESC_NET_SETUP): a rotated token, a typo in the environment, nothing the
 * person did. So the step is put back as it was before its claim: still
 * due, no try counted against the person, nothing given up, the chain
 * not moved on, and the claim's token (hash), which reached nobody,
 * forgotten. The channel is not called again this run: every call would
 * be refused alike. The caller has begun the transaction; it is
 * committed. 0, or -1 with err. */
static int
setup_refused(struct due *d, const struct chain *c, int step, long long aid, int tries,
	const char *hash, const struct esc_err *nerr, struct esc_buf *more, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	sqlite3_stmt *st;

	if (!(st = esc_survey_prepare(s->db, "DELETE FROM survey_tokens WHERE token = ?1 "
	    "AND attempt_id = ?2", err)))
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, aid);
	if (esc_survey_once(s->db, st, err) < 0)
		return -1;
	/* the claim made the attempt (its first try), or took a failed one,
	 * whose last token it gets back */
	if (!(st = esc_survey_prepare(s->db, tries > 1 ?
	    "UPDATE survey_attempts SET state = 'failed', tries = tries - 1, "
	    "(token, claimed_at, expires_at) = (SELECT token, made_at, expires_at "
	    "FROM survey_tokens WHERE attempt_id = ?1 ORDER BY made_at DESC LIMIT 1) "
	    "WHERE id = ?1 AND state = 'claimed'" :
	    "DELETE FROM survey_attempts WHERE id = ?1 AND state = 'claimed'", err)))
		return -1;
	sqlite3_bind_int64(st, 1, aid);
	if (esc_survey_once(s->db, st, err) < 0 || esc_survey_commit(&d->tx, err) < 0)
		return -1;
	esc_survey_net_failed(s);
	snprintf(s->down[chan(step)], sizeof s->down[0], "%s", nerr->msg);
	esc_diag("error", NULL, 0, "%s failed on the credentials or settings: %s; the %s steps "
		"stay due, no try is counted against anyone, and %s is not called again in "
		"this run: check %s", esc_channel_name(step), nerr->msg,
		chan(step) == SC_TWILIO ? "ai_call and sms_link" : "email_link",
		esc_channel_name(step), esc_channel_settings(step));
	return held(d, c, step, more, err);
}

/* A dry run sends nothing, but keeps in its copy of the store what the
 * send would leave, the attempt sent and the chain moved on, so that the
 * rest of the run decides as a real one would: the person's other chains
 * wait for the throttle. The caller has begun the transaction. 1, 0 when
 * the step is another run's (as send_step finds it), -1 with err. */
static int
dry_send(struct due *d, const struct chain *c, int step, time_t due, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	sqlite3_stmt *st = s->st[SV_CLAIM];
	struct att a;
	int rc;

	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, c->cust, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, esc_step_name(step), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)due);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)d->now);
	sqlite3_bind_null(st, 6);   /* no token is made */
	sqlite3_bind_null(st, 7);
	if ((rc = esc_survey_run(s, SV_CLAIM, err)) <= 0)
		return rc;
	if ((rc = att_get(s, c->id, step, &a, err)) <= 0)
		return rc < 0 ? -1 : esc_survey_store_fail(s->db, err);
	st = s->st[SV_SENT];
	sqlite3_bind_int64(st, 1, a.id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)d->now);
	sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, esc_channel_name(step), -1, SQLITE_STATIC);
	if (esc_survey_run(s, SV_SENT, err) < 0 ||
	    chain_set(s, c->id, "open", step, d->now + after(s, step), d->now, err) < 0)
		return -1;
	return 1;
}

/* A claim a crash left behind: 1 (handled), 0 (none), 2 (a run still
 * holds it), -1. The caller has begun the transaction; a claim handled is
 * committed. In an open chain the chain goes on as if the step was sent;
 * a chain an answer has ended stays as it is, and only the claim is
 * settled. Either way it is "unconfirmed": the run never confirmed it. An
 * answer through the claim's own token shows it reached the person, and
 * the warning says so. */
static int
claims(struct due *d, const struct chain *c, struct esc_buf *more, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	sqlite3_stmt *st = s->st[SV_CLAIMED];
	char at_s[32], used_s[32], how[96], then[64];
	long long aid = 0;
	time_t at = 0, used = 0;
	int step = -1, rc, going = !strcmp(c->state, "open");

	sqlite3_bind_int64(st, 1, c->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		aid = sqlite3_column_int64(st, 0);
		step = esc_step_parse((const char *)sqlite3_column_text(st, 1));
		at = (time_t)sqlite3_column_int64(st, 2);
		used = (time_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return esc_survey_store_fail(s->db, err);
	if (at > d->now - s->cfg.claim_grace || step < 0)
		return 2;
	sqlite3_bind_int64(s->st[SV_UNCONFIRM], 1, aid);
	sqlite3_bind_null(s->st[SV_UNCONFIRM], 2);
	if (esc_survey_run(s, SV_UNCONFIRM, err) < 0 ||
	    (going && chain_set(s, c->id, "open", step, at + after(s, step), d->now, err) < 0) ||
	    esc_survey_commit(&d->tx, err) < 0)
		return -1;
	s->stuck++;
	esc_time_format(at, at_s, sizeof at_s);
	if (used)
		snprintf(how, sizeof how, "; it reached the person: an answer came through it at %s",
			esc_time_format(used, used_s, sizeof used_s));
	else
		snprintf(how, sizeof how, ", and it may or may not have reached the person");
	if (going)
		snprintf(then, sizeof then, "it is not sent again");
	else
		snprintf(then, sizeof then, "the chain had already ended (%s)", c->state);
	esc_diag("warning", NULL, 0, "survey %lld: the %s claimed at %s was never confirmed: the "
		"run sending it stopped%s; %s", c->id, esc_step_name(step), at_s, how, then);
	more->len = 0;
	put_time(more, "claimed_at", at);
	if (used)
		put_time(more, "answered_at", used);
	if (going)
		put_time(more, "next_at", at + after(s, step));
	else
		esc_buf_printf(more, ",\"chain\":\"%s\"", c->state);
	return put_action(d, c, "unconfirmed", step, more, err) < 0 ? -1 : 1;
}

/* The next batch of a keyset query: st takes (upto, last time, last id)
 * and gives (id, time) rows in that order, at most BATCH of them; the
 * last row read moves the keys on. The number of ids, or -1 with err. */
#define BATCH 256
static long
next_batch(struct esc_survey *s, sqlite3_stmt *st, time_t upto, long long *last_at,
	long long *last_id, long long ids[BATCH], struct esc_err *err)
{
	long n = 0;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)*last_at);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)*last_id);
	while (n < BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*last_id = ids[n++] = sqlite3_column_int64(st, 0);
		*last_at = sqlite3_column_int64(st, 1);
	}
	if (n == BATCH)
		rc = SQLITE_ROW;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return esc_survey_store_fail(s->db, err);
	return n;
}

/* Claims a crash left in chains an answer ended meanwhile (answered
 * through that step's token or another, or declined): chain_due never
 * sees those chains again, so they are looked for here. Each chain in a
 * transaction of its own, so a run that overlaps settles none twice.
 * 0, or -1 with err. */
static int
leftovers(struct due *d, struct esc_buf *more, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	struct chain c = { 0 };
	long long ids[BATCH], last_id = 0, last_at = -1;
	long n, i;
	int rc;

	/* in batches, by the partial index of claims: (claimed_at, id) of the
	 * last one read marks where the next batch starts */
	do {
		if ((n = next_batch(s, s->st[SV_LEFT], d->now - s->cfg.claim_grace, &last_at,
		    &last_id, ids, err)) < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			if (esc_survey_begin(s->db, &d->tx, err) < 0)
				goto fail;
			/* read again in the transaction: another run may have
			 * settled it since */
			if ((rc = chain_get(s, ids[i], &c, err)) < 0)
				goto fail;
			if (rc && strcmp(c.state, "open") && (rc = claims(d, &c, more, err)) < 0)
				goto fail;
			if (esc_survey_commit(&d->tx, err) < 0)
				goto fail;
		}
	} while (n == BATCH);
	chain_free(&c);
	return 0;
fail:
	esc_survey_rollback(&d->tx);
	chain_free(&c);
	return -1;
}

/* The latest send of another chain to this person into *t, and the latest
 * claim of one another run has in hand into *claim (0: none). */
static int
last_sent(struct esc_survey *s, const struct chain *c, time_t *t, time_t *claim,
	struct esc_err *err)
{
	sqlite3_stmt *st = s->st[SV_THROTTLE];
	int rc;

	*t = *claim = 0;
	sqlite3_bind_text(st, 1, c->cust, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*t = (time_t)sqlite3_column_int64(st, 0);
		*claim = (time_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : esc_survey_store_fail(s->db, err);
}

/* Is step of chain c done already, though the chain is still before it?
 * A send that failed by the provider's word and was answered through its
 * token reached the person (answers.c makes it unconfirmed and moves the
 * chain on), but a store an older esc left may hold its chain still
 * waiting to try it again. A step that went out, or was skipped, is never
 * done twice: the chain goes on from it, and 1 says so, committed. 0 when
 * the step is still to do (none, failed, or claimed), -1. */
static int
done_already(struct due *d, const struct chain *c, int step, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	struct att a;
	int rc;

	if ((rc = att_get(s, c->id, step, &a, err)) <= 0)
		return rc;
	if (!strcmp(a.state, "sent") || !strcmp(a.state, "unconfirmed"))
		rc = catch_up(s, c->id, step, a.at + after(s, step), d->now, err);
	else if (!strcmp(a.state, "skipped"))
		rc = catch_up(s, c->id, step, (time_t)c->next_at, d->now, err);   /* it took no time */
	else
		return 0;
	return rc < 0 || esc_survey_commit(&d->tx, err) < 0 ? -1 : 1;
}

/* Claim step (committed), call the provider, keep what happened. 1: the
 * chain may go on at once (the step was given up), 0: it waits, -1. */
static int
send_step(struct due *d, const struct chain *c, const struct contact *k, int step, time_t due,
	struct esc_buf *more, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	char tok[ESC_TOKEN_LEN + 1], hash[ESC_HASH_LEN + 1], pid[256] = "", mid[64];
	struct esc_send m = { 0 };
	struct esc_err nerr = { 0 };
	struct att a;
	sqlite3_stmt *st = s->st[SV_CLAIM];
	time_t expires = d->now + s->cfg.token_ttl;
	long long aid = 0;
	int tries = 0, permanent = 0, rc, gave_up;

	if (esc_token_new(tok, err) < 0)
		return -1;
	esc_token_hash(tok, ESC_TOKEN_LEN, hash);
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, c->cust, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, esc_step_name(step), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)due);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)d->now);
	sqlite3_bind_text(st, 6, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)expires);
	if ((rc = esc_survey_run(s, SV_CLAIM, err)) < 0)
		goto fail;
	if (rc == 0) {
		/* the step is not ours to send (claimed or sent by another run) */
		explicit_bzero(tok, sizeof tok);
		return esc_survey_commit(&d->tx, err) < 0 ? -1 : 0;
	}
	if ((rc = att_get(s, c->id, step, &a, err)) <= 0) {
		if (rc == 0)
			esc_survey_store_fail(s->db, err);
		goto fail;
	}
	aid = a.id;
	tries = a.tries;
	st = s->st[SV_TOKEN];
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, aid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)d->now);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)expires);
	if (esc_survey_run(s, SV_TOKEN, err) < 0 || esc_survey_commit(&d->tx, err) < 0)
		goto fail;

	m.step = step;
	m.to = step == ESC_STEP_EMAIL ? k->email : k->phone;
	m.name = k->name;
	m.token = tok;
	m.expires = expires;
	if (step == ESC_STEP_EMAIL) {
		snprintf(mid, sizeof mid, "esc-survey-%lld-%d@esc.localhost", aid, tries);
		m.message_id = mid;
	}
	rc = esc_channel_send(&s->net, &s->cfg, &m, pid, sizeof pid, &permanent, &nerr);
	explicit_bzero(tok, sizeof tok);

	if (esc_survey_begin(s->db, &d->tx, err) < 0)
		return -1;
	more->len = 0;
	esc_buf_printf(more, ",\"channel\":\"%s\"", esc_channel_name(step));
	if (rc == 0) {
		st = s->st[SV_SENT];
		sqlite3_bind_int64(st, 1, aid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)d->now);
		sqlite3_bind_text(st, 3, pid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, esc_channel_name(step), -1, SQLITE_STATIC);
		if (esc_survey_run(s, SV_SENT, err) < 0 ||
		    chain_set(s, c->id, "open", step, d->now + after(s, step), d->now, err) < 0 ||
		    esc_survey_commit(&d->tx, err) < 0)
			goto fail;
		esc_buf_puts(more, ",\"provider_id\":");
		esc_buf_json_str(more, pid, strlen(pid));
		put_time(more, "next_at", d->now + after(s, step));
		return put_action(d, c, "sent", step, more, err) < 0 ? -1 : 0;
	}
	/* read again: an answer may have come through the step's token
	 * while the run waited on the provider */
	if ((rc = att_get(s, c->id, step, &a, err)) < 0)
		goto fail;
	if (permanent == 2 || a.used) {
		/* the provider may have taken it (the connection was lost after
		 * the request went out), or the person answered it, whatever the
		 * provider says: like a claim a crash left, it is never sent
		 * again, and an open chain goes on as if it was sent */
		struct chain now_c = { 0 };
		char used_s[32];
		int going;

		sqlite3_bind_int64(s->st[SV_UNCONFIRM], 1, aid);
		sqlite3_bind_text(s->st[SV_UNCONFIRM], 2, nerr.msg, -1, SQLITE_STATIC);
		if (esc_survey_run(s, SV_UNCONFIRM, err) < 0 ||
		    chain_set(s, c->id, "open", step, d->now + after(s, step), d->now, err) < 0 ||
		    (rc = chain_get(s, c->id, &now_c, err)) < 0 ||
		    esc_survey_commit(&d->tx, err) < 0) {
			chain_free(&now_c);
			goto fail;
		}
		going = rc == 1 && !strcmp(now_c.state, "open");
		esc_buf_puts(more, ",\"error\":");
		esc_buf_json_str(more, nerr.msg, strlen(nerr.msg));
		if (a.used) {
			/* the provider failed: a send that failed, said as one */
			esc_survey_net_failed(s);
			esc_diag("warning", NULL, 0, "survey %lld: the %s was not confirmed (%s), but it "
				"reached the person: an answer came through it at %s; it is not sent "
				"again", c->id, esc_step_name(step), nerr.msg,
				esc_time_format(a.used, used_s, sizeof used_s));
			put_time(more, "answered_at", a.used);
		} else {
			s->stuck++;
			esc_diag("warning", NULL, 0, "survey %lld: the %s may or may not have reached "
				"the person (%s); it is not sent again", c->id, esc_step_name(step),
				nerr.msg);
		}
		if (going)
			put_time(more, "next_at", d->now + after(s, step));
		else if (rc == 1)
			esc_buf_printf(more, ",\"chain\":\"%s\"", now_c.state);
		chain_free(&now_c);
		return put_action(d, c, "unconfirmed", step, more, err) < 0 ? -1 : 0;
	}
	if (permanent == ESC_NET_SETUP) {
		if (setup_refused(d, c, step, aid, tries, hash, &nerr, more, err) < 0)
			goto fail;
		return 0;
	}
	st = s->st[SV_FAILED];
	sqlite3_bind_int64(st, 1, aid);
	sqlite3_bind_text(st, 2, nerr.msg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, esc_channel_name(step), -1, SQLITE_STATIC);
	if (esc_survey_run(s, SV_FAILED, err) < 0)
		goto fail;
	if (nerr.code == ESC_EXIT_DATA) {
		/* a text with an unknown placeholder: every send would fail the
		 * same way; stop the run until it is fixed (the step is tried
		 * again then) */
		if (chain_set(s, c->id, "open", c->step, d->now, d->now, err) < 0 ||
		    esc_survey_commit(&d->tx, err) < 0)
			goto fail;
		esc_err_set(err, "survey %lld: %s", c->id, nerr.msg);
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	esc_survey_net_failed(s);
	gave_up = permanent || tries >= s->cfg.max_tries;
	if (gave_up)
		rc = chain_set(s, c->id, "open", step, d->now, d->now, err);
	else
		rc = chain_set(s, c->id, "open", c->step, d->now + s->cfg.retry_after, d->now, err);
	if (rc < 0 || esc_survey_commit(&d->tx, err) < 0)
		goto fail;
	esc_diag("warning", NULL, 0, "survey %lld: the %s was not sent (try %d): %s%s", c->id,
		esc_step_name(step), tries, nerr.msg, gave_up ? "; given up, the chain goes on" :
		"; tried again later");
	esc_buf_puts(more, ",\"error\":");
	esc_buf_json_str(more, nerr.msg, strlen(nerr.msg));
	esc_buf_printf(more, ",\"tries\":%d", tries);
	if (gave_up)
		esc_buf_puts(more, ",\"gave_up\":true");
	else
		put_time(more, "retry_at", d->now + s->cfg.retry_after);
	if (put_action(d, c, "failed", step, more, err) < 0)
		return -1;
	return gave_up;
fail:
	explicit_bzero(tok, sizeof tok);
	esc_survey_rollback(&d->tx);
	return -1;
}

/* Move one chain on until a step goes out, it waits, or it ends: a step
 * given up (refused for good, or past max_tries) hands over to the next
 * at once. 0, or -1 with err. */
static int
chain_due(struct due *d, long long id, struct esc_buf *more, struct esc_err *err)
{
	struct esc_survey *s = d->s;
	struct chain c = { 0 };
	struct contact k = { 0 };
	const char *reason, *tz;
	char why[256];
	time_t due, t;
	int step, rc = -1, i;

	/* each pass starts a step or ends the chain: a chain has only so many */
	for (i = 0; i < 2 * ESC_STEP_N + 2; i++) {
		contact_free(&k);
		if (esc_survey_begin(s->db, &d->tx, err) < 0)
			goto fail;
		if ((rc = chain_get(s, id, &c, err)) < 0)
			goto fail;
		if (!rc || strcmp(c.state, "open") || !c.next_at || c.next_at > d->now ||
		    c.step < 0)
			break;
		if ((rc = claims(d, &c, more, err)) < 0)
			goto fail;
		if (rc == 1)
			continue;
		if (rc == 2)
			break;

		step = c.step + 1;
		if (step >= ESC_STEP_N) {
			if (chain_set(s, id, "exhausted", c.step, 0, d->now, err) < 0 ||
			    esc_survey_commit(&d->tx, err) < 0)
				goto fail;
			rc = put_action(d, &c, "exhausted", c.step, NULL, err);
			goto out;
		}
		if ((rc = done_already(d, &c, step, err)) < 0)
			goto fail;
		if (rc)
			continue;
		if (wanted(s, &c, step, &due, err) < 0)
			goto fail;
		if (contact_get(s, c.cust, &k, err) < 0)
			goto fail;
		if ((reason = unmet(&k, step, why, sizeof why))) {
			/* a skipped step takes no time: the next is due when it was */
			sqlite3_stmt *st = s->st[SV_SKIP];

			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_text(st, 2, c.cust, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, esc_step_name(step), -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)due);
			sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
			if (esc_survey_run(s, SV_SKIP, err) < 0 ||
			    chain_set(s, id, "open", step, (time_t)c.next_at, d->now, err) < 0 ||
			    esc_survey_commit(&d->tx, err) < 0)
				goto fail;
			if (!strcmp(reason, "no_channel") && !d->warned[step]) {
				d->warned[step] = 1;
				esc_diag("warning", NULL, 0, "%s steps are skipped: %s",
					esc_step_name(step), why);
			}
			more->len = 0;
			esc_buf_printf(more, ",\"reason\":\"%s\"", reason);
			if (put_action(d, &c, "skipped", step, more, err) < 0)
				goto fail;
			continue;
		}
		if (s->cfg.quiet[step]) {
			tz = k.tz && esc_tz_valid(k.tz) ? k.tz : s->cfg.default_tz;
			t = esc_window_next(d->now, tz, s->cfg.send_start, s->cfg.send_end);
			if (t != (time_t)-1 && t > d->now) {
				reason = "quiet_hours";
				goto wait;
			}
		}
		if (s->cfg.throttle) {
			time_t claim;

			if (last_sent(s, &c, &t, &claim, err) < 0)
				goto fail;
			if (t && t + s->cfg.throttle > d->now) {
				t += s->cfg.throttle;
				reason = "throttle";
				goto wait;
			}
			/* a send another run has in hand may yet fail: wait
			 * until it is settled (sent, failed, or past
			 * claim_grace and taken as sent), not a whole throttle */
			if (claim) {
				t = claim + s->cfg.claim_grace > d->now ? claim + s->cfg.claim_grace :
					claim + s->cfg.throttle;
				if (t > d->now) {
					reason = "throttle";
					goto wait;
				}
			}
		}
		if (s->o.dry_run) {
			if ((rc = dry_send(d, &c, step, due, err)) < 0 ||
			    esc_survey_commit(&d->tx, err) < 0)
				goto fail;
			more->len = 0;
			esc_buf_printf(more, ",\"channel\":\"%s\"", esc_channel_name(step));
			if (rc)
				rc = put_action(d, &c, "would_send", step, more, err);
			goto out;
		}
		if (s->down[chan(step)][0]) {
			if (esc_survey_commit(&d->tx, err) < 0)
				goto fail;
			rc = held(d, &c, step, more, err);
			goto out;
		}
		if ((rc = send_step(d, &c, &k, step, due, more, err)) < 0)
			goto fail;
		if (rc == 0)
			goto out;
	}
	rc = esc_survey_commit(&d->tx, err);
	goto out;
wait:
	if (chain_set(s, id, "open", c.step, t, d->now, err) < 0 ||
	    esc_survey_commit(&d->tx, err) < 0)
		goto fail;
	more->len = 0;
	esc_buf_printf(more, ",\"reason\":\"%s\"", reason);
	put_time(more, "until", t);
	rc = put_action(d, &c, "wait", step, more, err);
	goto out;
fail:
	esc_survey_rollback(&d->tx);
	rc = -1;
out:
	chain_free(&c);
	contact_free(&k);
	return rc < 0 ? -1 : 0;
}

long
esc_survey_due(struct esc_survey *s, FILE *f, struct esc_err *err)
{
	struct due d = { .s = s, .f = f, .now = esc_time_now() };
	sqlite3_stmt *st = s->st[SV_DUE];
	struct esc_buf more = { 0 }, hand = { 0 };
	long long ids[BATCH], last_id = 0, last_at = -1;
	long n, i;
	long r;

	err->code = 0;
	esc_survey_due_begin(s);
	/* in batches, each chain once a run: (next_at, id) as it was when
	 * the batch was read marks where the next batch starts */
	do {
		if ((n = next_batch(s, st, d.now, &last_at, &last_id, ids, err)) < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			if (!esc_survey_may_send(s))
				goto held;      /* the rest stay due, for the next run */
			if (chain_due(&d, ids[i], &more, err) < 0)
				goto fail;
		}
	} while (n == BATCH);
held:
	if (leftovers(&d, &more, err) < 0)
		goto fail;

	if ((r = esc_handover_due(s, &hand, err)) < 0)
		goto fail;
	d.actions += r;
	if (hand.len && fwrite(hand.p, 1, hand.len, f) != hand.len) {
		esc_err_set(err, "cannot write the standard output: %s", strerror(errno));
		err->code = ESC_EXIT_IO;
		goto fail;
	}
	esc_buf_free(&more);
	esc_buf_free(&hand);
	return d.actions;
fail:
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	esc_buf_free(&more);
	esc_buf_free(&hand);
	return -1;
}
