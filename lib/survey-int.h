/* survey-int.h — inside the library: struct esc_survey (its statements,
 * the meeting token waiting for its webhook) and the store helpers
 * (survstore.c) that survey-send's files share. Not installed. */
#ifndef ESC_SURVEY_INT_H
#define ESC_SURVEY_INT_H

#include "net.h"
#include "survey.h"

struct sqlite3_stmt;

/* A unit of work (survstore.c): BEGIN IMMEDIATE when no transaction is
 * open, else a savepoint in the open one (a dry run's, kept to the end
 * and undone by esc_survey_free: nothing nested commits it). */
struct esc_survey_tx {
	struct sqlite3 *db;
	int open, own;
};

enum esc_survey_stmt {
	SV_FIND, SV_INS, SV_ATT_INS, SV_GET, SV_CLAIMED, SV_PREV, SV_CONTACT, SV_THROTTLE,
	SV_DUE, SV_SET, SV_UNCONFIRM, SV_SKIP, SV_CLAIM, SV_SENT, SV_FAILED, SV_ATT_ID,
	SV_LEFT, SV_CATCH_UP, SV_TOKEN, SV_N
};

/* The channels a run calls: each can refuse the run's credentials or
 * settings (net.h, ESC_NET_SETUP). */
enum esc_survey_chan { SC_TWILIO, SC_EMAIL, SC_WEBHOOK, SC_N };

struct esc_survey {
	struct sqlite3 *db;
	struct esc_survey_opts o;
	struct esc_survey_cfg cfg;
	struct esc_net net;
	struct esc_scan scan;
	struct sqlite3_stmt *st[SV_N];
	unsigned long net_failures, stuck;
	struct esc_buf obj, line;
	struct esc_survey_tx dry;       /* a dry run's one transaction */
	/* the meeting token esc_handover_open made, until esc_handover_notify
	 * sends it right after the line's commit (handover.c); wiped then */
	long long pending_id;
	char pending_token[ESC_TOKEN_LEN + 1];
	/* a --due run: when it began (monotonic, ms), and whether it stopped
	 * early, leaving what was due for the next run rather than start a
	 * send that could outlast claim_grace */
	long long due_t0;
	int held;
	/* the provider's answer when a channel refused the run's credentials
	 * or settings, "" while none did: such a channel is not called again
	 * until the run ends, since every call would be refused alike */
	char down[SC_N][sizeof ((struct esc_err *)0)->msg];
};

/* In a --due run, whether another send may start. Every claim the run
 * makes is stamped with its clock, read once at the start, so a send must
 * end within claim_grace of the start: else a second run would take its
 * live claim for one a crash left. 0 marks the run as stopped early. */
int esc_survey_may_send(struct esc_survey *s);

/* Step step of chain id went out at time at (sent, or unconfirmed: an
 * answer through its token showed it arrived): an open chain still before
 * it goes on from it, as if it had been sent then, its next step due that
 * step's delay later. Nothing for a chain at or past step, or ended. The
 * caller has begun the transaction. 0, or -1 with err. */
int esc_survey_went_out(struct esc_survey *s, long long id, int step, time_t at, time_t now,
	struct esc_err *err);

/* Step statement which (of s->st) to its end and reset it: the rows
 * changed, or -1 with err. */
int esc_survey_run(struct esc_survey *s, enum esc_survey_stmt which, struct esc_err *err);
/* Is t shaped like a token esc_token_new makes? */
int esc_survey_token_shaped(const char *t);

/* ---- the store (survstore.c) ---- */
/* Set err from db's last error, code ESC_EXIT_STORE; returns -1. */
int esc_survey_store_fail(struct sqlite3 *db, struct esc_err *err);
/* Prepare sql; NULL with err. */
struct sqlite3_stmt *esc_survey_prepare(struct sqlite3 *db, const char *sql,
	struct esc_err *err);
/* Step st once and finalize it (steals st): the rows changed, or -1
 * with err. */
int esc_survey_once(struct sqlite3 *db, struct sqlite3_stmt *st, struct esc_err *err);
/* Bind v, or NULL when v is NULL (text) or equals none (integers). */
void esc_survey_bind_text(struct sqlite3_stmt *st, int i, const char *v);
void esc_survey_bind_int(struct sqlite3_stmt *st, int i, long long v, long long none);
/* Does column col of st's row hold hash (a token's, found by it)? In
 * constant time. */
int esc_survey_hash_is(struct sqlite3_stmt *st, int col, const char *hash);
/* Begin does nothing when tx is open; commit and rollback nothing when it
 * is not. A commit that fails leaves tx open, for the rollback. */
int esc_survey_begin(struct sqlite3 *db, struct esc_survey_tx *tx, struct esc_err *err);
int esc_survey_commit(struct esc_survey_tx *tx, struct esc_err *err);
void esc_survey_rollback(struct esc_survey_tx *tx);

#endif
