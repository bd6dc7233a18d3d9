/* upsell.h — upsell recommendations after completed sessions (recs.c,
 * seed 003): rules and prices from share/upsell/, one recommendation per
 * session and type in the store, printed one per line by upsell-gen. */
#ifndef ESC_UPSELL_H
#define ESC_UPSELL_H

#include "esc.h"

struct sqlite3;

struct esc_recs;
/* Load the rules (file, or share/upsell/recommendations.json when NULL)
 * and borrow db for the lifetime. NULL with err (code ESC_EXIT_DATA for a
 * bad rules file, ESC_EXIT_STORE for the store). */
struct esc_recs *esc_recs_new(struct sqlite3 *db, const char *file, struct esc_err *err);
/* An esc_rec_fn: a session_completed event in, one line per
 * recommendation out (the event's fields and an "upsell" object); any
 * other event passes through with "upsell": null. A line without customer,
 * session or at (or their aliases customer_id, session_id, time) is
 * rejected; a plan with no prices is priced as the rules' default_plan,
 * with a warning. A store failure is FATAL with err->code ESC_EXIT_STORE:
 * the open batch is undone and its lines taken back out of out. */
enum esc_rc esc_recs_line(void *recs, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);
/* An esc_sync_fn: commit what is pending. */
int esc_recs_sync(void *recs, struct esc_err *err);
/* Commit what is pending and free. Returns 0, or -1 with err. */
int esc_recs_free(struct esc_recs *r, struct esc_err *err);

#endif
