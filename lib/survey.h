/* survey.h — survey-send (seed 002): the survey chain per ended session
 * and its clock (survey.c, survdue.c), the channels it sends through
 * (channels.c), answers (answers.c), unresolved problems (problems.c),
 * the handover to a human (handover.c), the settings they share
 * (survcfg.c) and the esc-stats sections (survstats.c).
 *
 * The chain: in_widget (a show_feedback_modal line for the widget, at
 * once) -> ai_call (5 minutes after the session ended) -> sms_link (2
 * hours after the call) -> email_link (3 days after the SMS). A step runs
 * only with its consent and contact, and is skipped, saying why,
 * otherwise; a skipped step takes no time. The first complete answer ends
 * the chain. Outbound steps wait for the person's send hours (in their
 * zone) and for the throttle (one survey per person per 30 days).
 *
 * Ownership notes as in esc.h: "borrows", "steals", "caller frees". */
#ifndef ESC_SURVEY_H
#define ESC_SURVEY_H

#include <time.h>

#include "esc.h"
#include "hours.h"

struct sqlite3;
struct json_t;
struct esc_net;

/* The steps, in chain order; their names are the store's and the JSON's. */
enum esc_step { ESC_STEP_WIDGET, ESC_STEP_CALL, ESC_STEP_SMS, ESC_STEP_EMAIL, ESC_STEP_N };
const char *esc_step_name(int step);   /* "in_widget", "ai_call", "sms_link", "email_link" */
int esc_step_parse(const char *s);     /* or -1 */

/* ---- settings (survcfg.c): share/survey/survey.json ---- */
struct esc_survey_cfg {
	long delay[ESC_STEP_N];      /* after the previous step (in_widget: after the session end); s */
	long token_ttl;              /* a link's life, s (7d) */
	long throttle;               /* one survey per person per this long, s (30d); 0: off */
	int send_start, send_end;    /* outbound steps only in [start, end), minutes, local */
	int quiet[ESC_STEP_N];       /* does the step wait for send hours? */
	char default_tz[ESC_TZ_MAX]; /* for a person with no zone */
	long claim_grace;            /* a claim older than this was left by a crash, s (15m) */
	int max_tries;               /* failed sends of a step before it is given up (5) */
	long retry_after;            /* wait before a failed send is tried again, s (10m) */
	double similarity;           /* problems at or above it are the same (0.85) */
	int handover_severity;       /* enum esc_severity of an ai_failure escalation (high) */
	long meeting_ttl;            /* a meeting link's life, s (7d) */
	struct esc_hours service;    /* service hours: per weekday, in a zone, less holidays */
	char *sms_text;              /* share/survey/sms.txt: {name} {link} {expires} */
	char *email_text;            /* share/survey/email.txt: "Subject: ..." line, blank, body */
	char *call_text;             /* share/survey/call.txt: the voice agent's opening words */
};
/* Load file, or share/survey/survey.json and the texts beside it when
 * file is NULL. 0, or -1 with err (code ESC_EXIT_DATA) naming the file
 * and the member. */
int esc_survey_cfg_load(struct esc_survey_cfg *c, const char *file, struct esc_err *err);
void esc_survey_cfg_free(struct esc_survey_cfg *c);

/* ---- the chain (survey.c, survdue.c) ---- */
struct esc_survey_opts {
	const char *config;      /* --config FILE, or NULL */
	int dry_run;             /* send nothing, keep nothing: the work is rolled back */
	int no_widget;           /* --no-widget: start chains at the call (no modal shown) */
};
struct esc_survey;
/* Load the settings and the network settings; borrow db. NULL with err:
 * code ESC_EXIT_DATA (a data file), ESC_EXIT_USAGE (a bad setting in the
 * environment), ESC_EXIT_STORE. */
struct esc_survey *esc_survey_new(struct sqlite3 *db, const struct esc_survey_opts *o,
	struct esc_err *err);
/* The store and the settings, for answers.c and handover.c. */
struct sqlite3 *esc_survey_db(const struct esc_survey *s);
const struct esc_survey_cfg *esc_survey_cfg(const struct esc_survey *s);
const struct esc_net *esc_survey_net(const struct esc_survey *s);
int esc_survey_dry(const struct esc_survey *s);
/* Count a send or post that failed (the tool exits ESC_EXIT_NET). */
void esc_survey_net_failed(struct esc_survey *s);
unsigned long esc_survey_net_failures(const struct esc_survey *s);
/* Claims found that a crash left behind (reported, never resent). */
unsigned long esc_survey_stuck(const struct esc_survey *s);
/* Call before a --due run's work (esc_survey_due does): its time starts.
 * Then esc_survey_held is 1 when the run stopped early and left
 * what was still due for the next run, because a send started that late
 * could outlast claim_grace. */
void esc_survey_due_begin(struct esc_survey *s);
int esc_survey_held(const struct esc_survey *s);

/* An esc_rec_fn: an ended session (session_id, customer_id or user_id,
 * ended_at, optional resolution and problem) in; the line out with a
 * "survey" object; for a new chain, then a show_feedback_modal line for
 * the widget, which carries the modal's token. A session already known
 * gets its chain's state again (no new token). Each line's work is
 * committed before it is printed. */
enum esc_rc esc_survey_line(void *s, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);
/* An esc_sync_fn: returns 0 (nothing is left pending between lines). */
int esc_survey_sync(void *s, struct esc_err *err);
/* survey-send --due: every step that is due, sent or skipped; claims a
 * crash left behind; handovers whose opening has come (handover.c). One
 * JSON line per action to f. Returns the number of actions, or -1 with
 * err (ESC_EXIT_STORE, or ESC_EXIT_IO for a write error). */
long esc_survey_due(struct esc_survey *s, FILE *f, struct esc_err *err);
/* Roll back a dry run, free. 0, or -1 with err. */
int esc_survey_free(struct esc_survey *s, struct esc_err *err);

/* ---- channels (channels.c): one message, one provider call ----
 * SMS and calls: a Twilio-compatible REST API at $ESC_TWILIO_URL
 * (default https://api.twilio.com/2010-04-01), account $ESC_TWILIO_SID,
 * secret $ESC_TWILIO_TOKEN, sender $ESC_TWILIO_FROM. A call's TwiML comes
 * from $ESC_SURVEY_CALL_URL with the token added. Email: $ESC_EMAIL_URL,
 * smtp:// or smtps:// (net.c's SMTP, STARTTLS when offered) or http(s)://
 * (a JSON API: {"from","to","subject","text"}, $ESC_EMAIL_KEY as a bearer
 * token); unset, $ESC_SMTP_URL. Links are $ESC_SURVEY_URL with the token
 * added. */
struct esc_send {
	int step;                /* ESC_STEP_CALL, _SMS or _EMAIL */
	const char *to;          /* E.164 phone, or an email address */
	const char *name;        /* the person's name, or NULL */
	const char *token;       /* the link's token (a secret) */
	time_t expires;
	const char *message_id;  /* for email: a Message-ID made from the attempt, or NULL */
};
/* Is the channel for step configured? 1, or 0 with why ("ESC_TWILIO_SID
 * is not set"). */
int esc_channel_ready(int step, char *why, size_t n);
/* The name of the channel step goes through now: "twilio", "smtp", "http". */
const char *esc_channel_name(int step);
/* The variables an operator checks when that channel refuses esc's
 * credentials or settings (ESC_NET_SETUP): "ESC_TWILIO_URL, ..." */
const char *esc_channel_settings(int step);
/* Send. 0 when the provider accepted it, with its id (a call or message
 * sid, the Message-ID) in id[n]; -1 with err (code ESC_EXIT_NET, or
 * ESC_EXIT_DATA for a text that names an unknown {placeholder}) and
 * *permanent (enum esc_net_fail, net.h): ESC_NET_REFUSED when retrying
 * cannot help (a 4xx, a refused address); ESC_NET_SETUP when the provider
 * refused the operator's credentials or settings, which says nothing of
 * this message or its recipient (an HTTP 401 or 403, Twilio's 20003, SMTP
 * 535...); ESC_NET_UNSURE when the provider may have taken it (the
 * connection was lost after the request went out): it must not be sent
 * again. Nothing is retried once the request may have reached the
 * provider. */
int esc_channel_send(const struct esc_net *net, const struct esc_survey_cfg *c,
	const struct esc_send *m, char *id, size_t n, int *permanent, struct esc_err *err);
/* The survey link for token, "$ESC_SURVEY_URL<token>", into buf. 0, or -1
 * when $ESC_SURVEY_URL is not set. */
int esc_survey_link(const char *token, char *buf, size_t n);

/* ---- answers (answers.c): survey-send --record ---- */
/* An esc_rec_fn over struct esc_survey: an answer (token; problem_solved,
 * rating 1-5, nps 0-10 or would_recommend, feedback, refused; answered_at)
 * or a meeting join (meeting_token, agent). Validated before anything is
 * written; an unknown, used or expired token is rejected with a clear
 * error. The same answer fed again is known by its digest and not counted
 * twice. The line out with a "survey" object: what was recorded, whether
 * the chain ended, the problem and the handover when the problem was not
 * solved (with the meeting link, which is shown only here). */
enum esc_rc esc_survey_record_line(void *s, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);

/* ---- unresolved problems (problems.c) ---- */
/* Count description (from session_id, by customer) against the open
 * problems: the most similar at or above the threshold gets one more
 * attempt (and one more affected user when customer is new to it), else
 * a new problem is opened. The caller has begun the transaction. *id and
 * *is_new are set. 0, or -1 with err (ESC_EXIT_STORE). */
int esc_problem_add(struct sqlite3 *db, double threshold, const char *description,
	const char *customer, const char *session, time_t at, long long *id, int *is_new,
	double *similarity, struct esc_err *err);
/* The similarity of two texts in [0, 1]: cosine of their word counts,
 * after folding case, dropping punctuation and stop words, and stemming
 * plural and verb endings. */
double esc_problem_similarity(const char *a, const char *b);
/* survey-send --resolve ID: mark the problem resolved (with note, or
 * NULL) and write one JSON line per person to tell (customer_id, name,
 * email and phone where they consented) to out. Returns the people
 * listed, or -1 with err (code ESC_EXIT_NONE: no such problem). A
 * problem already resolved lists its people again. */
long esc_problem_resolve(struct sqlite3 *db, long long id, const char *note, time_t now,
	struct esc_buf *out, struct esc_err *err);
/* survey-send --problems: the open problems, most affected users first,
 * as JSON lines. Returns the number, or -1 with err. */
long esc_problem_list(struct sqlite3 *db, long limit, struct esc_buf *out, struct esc_err *err);

/* ---- the handover (handover.c) ---- */
/* Open an escalation of type ai_failure for survey_id's session and its
 * handover: within service hours it waits for an agent and the agents'
 * webhook ($ESC_AGENT_WEBHOOK) is called; outside them it is scheduled
 * for the next opening. Its meeting link ($ESC_MEETING_URL with a new
 * token) is appended as JSON (an object: escalation_id, state,
 * within_service_hours, scheduled_at, meeting_url) to obj. The caller has
 * begun the transaction; the webhook is called by esc_handover_notify
 * after the commit. 0, or -1 with err. */
int esc_handover_open(struct esc_survey *s, long long survey_id, long long problem_id,
	const char *customer, const char *session, const char *text, time_t now,
	long long *handover_id, struct esc_buf *obj, struct esc_err *err);
/* Call the agents' webhook for a handover (claimed in a committed
 * transaction first; never twice). 0 (sent, or nothing to do), or -1 with
 * err when it failed (kept and tried again by --due). */
int esc_handover_notify(struct esc_survey *s, long long handover_id, struct esc_err *err);
/* --due: handovers whose opening has come, and notifications to retry;
 * one JSON line per action to out. The number, or -1 with err. */
long esc_handover_due(struct esc_survey *s, struct esc_buf *out, struct esc_err *err);
/* A meeting join: the token's handover is marked joined by agent (once;
 * a used, expired or unknown token is refused: -1 with err, code
 * ESC_EXIT_INPUT). The caller has begun the transaction. The object
 * appended to obj says which escalation. */
int esc_handover_join(struct esc_survey *s, const char *token, const char *agent, time_t now,
	struct esc_buf *obj, struct esc_err *err);

#endif
