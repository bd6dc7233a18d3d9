/* opps.h — usage-alert opportunities (seed 004; opps.c, oppalert.c,
 * oppevent.c, oppsend.c): a usage alert over the trigger becomes an
 * opportunity in the store with a plan, an email draft and a Slack
 * summary, and moves drafted -> sent -> waiting ->
 * meeting or closed as approvals, replies and the clock (upsell-gen --due)
 * move it. The plan comes from the rules in share/upsell/plans.json, or
 * from a model when one is configured (plan.c).
 *
 * Every mail is claimed in a committed transaction before the mail server
 * is called and marked sent after, so no run, however it ends, sends a
 * mail twice. */
#ifndef ESC_OPPS_H
#define ESC_OPPS_H

#include "esc.h"

struct sqlite3;
struct json_t;
struct esc_net;

/* The largest usage value, threshold, spend or price upsell-gen takes
 * (either side of 0 for a value): a real usage metric never comes near
 * it, and past it a number cannot be written in a mail as a person would
 * read it. */
#define ESC_OPPS_NUM_MAX 1e15

struct esc_opps_opts {
	const char *contracts;   /* --contracts FILE: JSON lines keyed by account_id, or NULL */
	double threshold;        /* --threshold, when have_threshold */
	int have_threshold;
	int dry_run;             /* send nothing, write nothing: the work is rolled back */
};

struct esc_opps;
/* Load share/upsell/ (usage.json, plans.json, email.txt, slack.txt), the
 * contracts file and the network settings; borrow db for the lifetime.
 * NULL with err: code ESC_EXIT_DATA for a data file, ESC_EXIT_INPUT for
 * a bad line of the contracts file (err->name and err->line say which), ESC_EXIT_USAGE for a bad setting in the
 * environment, ESC_EXIT_STORE for the store. */
struct esc_opps *esc_opps_new(struct sqlite3 *db, const struct esc_opps_opts *o,
	struct esc_err *err);
/* An esc_rec_fn: a usage alert or an event (a line with "type": approval,
 * reply, meeting_join, release or close) in, the line out with an
 * "opportunity" object (null, with a "why_not" object, for an alert that
 * does not trigger). Each line's work is committed before it is printed.
 * A failed send or Slack post is a warning (the line is kept); a store
 * failure is FATAL with err->code ESC_EXIT_STORE. */
enum esc_rc esc_opps_line(void *opps, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);
/* An esc_sync_fn: nothing is left pending between lines; returns 0. */
int esc_opps_sync(void *opps, struct esc_err *err);
/* upsell-gen --due: follow-ups and closes for replies past due, retries of
 * failed sends, reports of interrupted ones; one JSON line per action to
 * f. Returns the number of actions, or -1 with err (code ESC_EXIT_STORE,
 * or ESC_EXIT_IO for a write error). */
long esc_opps_due(struct esc_opps *o, FILE *f, struct esc_err *err);
/* Sends and posts that failed so far (the tool exits ESC_EXIT_NET). */
unsigned long esc_opps_net_failures(const struct esc_opps *o);
/* Sends claimed and never confirmed, seen by esc_opps_due. */
unsigned long esc_opps_stuck(const struct esc_opps *o);
/* Roll back a dry run, free. Returns 0, or -1 with err. */
int esc_opps_free(struct esc_opps *o, struct esc_err *err);

/* ---- the plan (plan.c) ---- */
/* A plan is a JSON object: plan (a name on the ladder), estimated_value
 * (a number >= 0: new revenue a year), justification, features (an array
 * of strings), roi and risk. The facts it is made from are a JSON object
 * too: account_id, metric, metric_label, value, threshold, severity,
 * trend, period, current_plan, current_spend (a month), and the contract's
 * dates when known; never the contact. */
struct esc_plans;
/* Load share/upsell/plans.json. NULL with err (code ESC_EXIT_DATA). */
struct esc_plans *esc_plans_load(struct esc_err *err);
void esc_plans_free(struct esc_plans *p);
/* Is name a plan on the ladder? */
int esc_plans_has(const struct esc_plans *p, const char *name);
/* The ladder's names, comma-separated, for messages (borrowed). */
const char *esc_plans_names(const struct esc_plans *p);
/* The currency prices are in (borrowed). */
const char *esc_plans_currency(const struct esc_plans *p);
/* The rules' plan for the facts (borrows). Caller frees (json_decref).
 * NULL with err (code ESC_EXIT_DATA: a template names an unknown
 * placeholder). */
struct json_t *esc_plan_rules(const struct esc_plans *p, const struct json_t *facts,
	struct esc_err *err);
/* Is $ESC_AI_URL (and $ESC_AI_KEY) set? */
int esc_plan_ai_on(void);
/* Ask the model at $ESC_AI_URL for a plan for the facts, and check its
 * reply. Caller frees the plan. NULL on any failure, with why (no secret
 * in it) saying what went wrong. */
struct json_t *esc_plan_ai(const struct esc_plans *p, const struct esc_net *n,
	const struct json_t *facts, char *why, size_t whylen);
/* Check a plan from outside against the plan's fields and types; a new
 * object with only those fields (caller frees), or NULL with why. */
struct json_t *esc_plan_check(const struct esc_plans *p, const struct json_t *in,
	char *why, size_t whylen);
/* Append tmpl to out with each {name} replaced by vars' member of that
 * name (a string, or a number written as JSON writes it). 0, or -1 with
 * err naming a placeholder vars has no value for. */
int esc_fill(const char *tmpl, const struct json_t *vars, struct esc_buf *out,
	struct esc_err *err);

#endif
