/* opps-int.h — inside the library: struct esc_opps (its statements, the
 * data files as loaded, a line's warnings) and the helpers that
 * upsell-gen's files share: opps.c (the store, output, reading a line's
 * fields, the line, set-up), oppalert.c (an alert), oppevent.c (events)
 * and oppsend.c (sending, --due). Not installed. */
#ifndef ESC_OPPS_INT_H
#define ESC_OPPS_INT_H

#include <jansson.h>
#include <sqlite3.h>

#include "net.h"
#include "opps.h"

#define ID_MAX 256

enum stmt {
	O_BYALERT, O_BYID, O_GET, O_INS, EV_INS, EV_FIND, EV_COUNT,
	U_CLAIM, U_SENT, U_FOLLOW, U_FAIL, U_UNCLAIM, U_APPROVE, U_REPLY, U_USE, U_CLOSE, U_SLACK,
	U_REMIND, U_NOREPLY, U_FOLLOW_SPENT, Q_TOKEN, Q_STUCK, Q_RETRY, Q_WAIT,
	TX_BEGIN, TX_COMMIT, TX_ROLLBACK,
	ST_N
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
	/* the mail server's answer when it refused the run's credentials or
	 * settings (net.h, ESC_NET_SETUP), "" while it did not: it is not
	 * called again until the run ends, since it would refuse every mail */
	char mail_down[sizeof ((struct esc_err *)0)->msg];
	struct esc_buf warn;        /* a line's warnings, joined */
	int warn_now;               /* --due: no line, each warning printed as it comes */
	/* where our members sit in a line, to write it back as it came:
	 * an alert's opportunity and why_not, an event's applied */
	struct esc_scan alert_scan, event_scan;
	struct esc_buf obj;
};

/* ---- the store (opps.c) ---- */
/* Set err from the store's last error, code ESC_EXIT_STORE; returns -1. */
int esc_opp_store_fail(struct esc_opps *o, struct esc_err *err);
/* Bind s, or NULL when s is NULL; t, or NULL when t is 0. */
void esc_opp_bind_text(sqlite3_stmt *st, int i, const char *s);
void esc_opp_bind_time(sqlite3_stmt *st, int i, time_t t);
/* Run a statement to its end; the number of rows it changed, or -1. */
int esc_opp_run(struct esc_opps *o, enum stmt which, struct esc_err *err);
/* One integer from a one-row query: 1 and *v, 0 for no row, -1. */
int esc_opp_one_int(struct esc_opps *o, enum stmt which, sqlite3_int64 *v, struct esc_err *err);
/* Begin does nothing inside a transaction; commit and rollback nothing
 * outside one. A dry run's commit does nothing: its one transaction is
 * rolled back at the end. */
int esc_opp_tx_begin(struct esc_opps *o, struct esc_err *err);
int esc_opp_tx_commit(struct esc_opps *o, struct esc_err *err);
void esc_opp_tx_rollback(struct esc_opps *o);
/* An opportunity's row as a JSON object, column by column; NULL with err
 * if it is gone or the store fails. */
json_t *esc_opp_row(struct esc_opps *o, sqlite3_int64 id, struct esc_err *err);
/* A column of such a row: a string (borrowed, NULL when not one), a time. */
const char *esc_opp_col_str(const json_t *row, const char *name);
time_t esc_opp_col_time(const json_t *row, const char *name);
/* Add an event to an opportunity's timeline. id NULL: one made up from
 * the opportunity and its count of events. detail (stolen) may be NULL. */
int esc_opp_add_event(struct esc_opps *o, sqlite3_int64 opp, const char *id, const char *type,
	time_t at, json_t *detail, struct esc_err *err);

/* ---- output (opps.c) ---- */
/* A whole amount is written as one: 1500, not 1500.0. */
json_t *esc_opp_jnum(double v);
/* The row of id, rendered for the output; NULL with err. */
json_t *esc_opp_render_id(struct esc_opps *o, sqlite3_int64 id, int with_email, struct esc_err *err);
/* Add a warning to the line's (joined by "; "). */
void esc_opp_warn(struct esc_opps *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- reading a line's fields (opps.c) ---- */
/* Each returns 1 with the value, 0 when the field is absent or null and
 * not required, or -1 with err; where goes before the key in messages
 * ("contract."). */
/* An id-like field: a non-empty string, or a whole number, as text into
 * buf[ID_MAX]. */
int esc_opp_get_id(json_t *line, const char *key, int required, char *buf, struct esc_err *err);
/* A non-empty string (borrowed). */
int esc_opp_get_str(json_t *obj, const char *where, const char *key, int required, const char **s,
	struct esc_err *err);
/* A finite number. */
int esc_opp_get_num(json_t *obj, const char *where, const char *key, int required, double *d,
	struct esc_err *err);
/* An RFC 3339 time; absent, the clock. */
int esc_opp_get_time(json_t *obj, const char *where, const char *key, time_t *t,
	struct esc_err *err);
/* true or false; absent, dflt. */
int esc_opp_get_bool(json_t *obj, const char *key, int dflt, int *b, struct esc_err *err);

/* ---- an alert (oppalert.c) ---- */
/* usage.json's automation for a severity: full, hybrid or human. */
const char *esc_opp_automation_of(struct esc_opps *o, const char *severity);
/* A usage alert: *res the opportunity (null, with *whynot, when the
 * alert does not trigger). */
enum esc_rc esc_opp_alert_line(struct esc_opps *o, json_t *line, json_t **res, json_t **whynot,
	struct esc_err *err);

/* ---- events (oppevent.c) ---- */
/* An event of the given type: *res what it did. */
enum esc_rc esc_opp_event_line(struct esc_opps *o, json_t *line, const char *type, json_t **res,
	struct esc_err *err);

/* ---- sending (oppsend.c) ---- */
enum send_kind { SEND_FIRST, SEND_FOLLOW_UP };

/* Template values for the mails: the contact's name, the plan's words. */
json_t *esc_opp_mail_vars(struct esc_opps *o, const json_t *row);
/* Fill tmpl into a new string; NULL with err. */
char *esc_opp_fill(const char *tmpl, const json_t *vars, struct esc_err *err);
/* Send an opportunity's first mail or a follow-up, claimed first: 1 when
 * it was sent, 0 when not (recorded, warned, *why set), 2 when it was not
 * claimed, since another run holds the claim or the mail is no longer
 * due (*why set, nothing recorded), -1 for a store failure. */
int esc_opp_send_mail(struct esc_opps *o, sqlite3_int64 id, enum send_kind kind, char *why,
	size_t whylen, struct esc_err *err);
/* The action word of esc_opp_send_mail's 1, 0 or 2: "sent", "send_failed",
 * or "another_run" (a --due run took the send first: it sends it, or has). */
const char *esc_opp_send_action(int sent);
/* Post the Slack summary: the outcome's word, or NULL on a store failure. */
const char *esc_opp_post_slack(struct esc_opps *o, sqlite3_int64 id, struct esc_err *err);

#endif
