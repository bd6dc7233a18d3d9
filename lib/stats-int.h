/* stats-int.h — what the files of esc-stats share, and nothing else
 * includes: the opened files, the tables, the runner (stats.c), and the
 * sections it runs (sections.c, crmstats.c); alerts.c uses the runner
 * too. stats.h is the interface the tools see. */
#ifndef ESC_STATS_INT_H
#define ESC_STATS_INT_H

#include <time.h>

#include <sqlite3.h>

#include "esc.h"
#include "stats.h"

/* ---- the opened files (stats.c) ---- */

/* File 0 is the connection's main database. The others are attached in
 * groups of at most per, SQLite's limit: group 0 is files 1 to per (with
 * file 0, every file when they fit), group 1 the next per, and so on,
 * each in db1, db2, ... while its group is attached. */
struct esc_stats {
	sqlite3 *db;
	int n;
	const char *const *paths;   /* borrows */
	int per;                    /* files attached at once at most */
	int group;                  /* the group attached now; -1: none */
	int attached;               /* db1 to db<attached> are attached */
	int copy;                   /* more files than fit: rows copied to temp tables */
	unsigned copied;            /* the tables copied so far (stats.c's T_...) */
	unsigned long indexed;      /* the indexes made on them so far */
	enum esc_by by;             /* what esc_bucket() computes */
};

/* How many groups the files make (1 for one file). */
int esc_stats_groups(const struct esc_stats *st);
/* The files of group g: lo to hi - 1 (group 0 starts with file 0). */
void esc_stats_group_files(const struct esc_stats *st, int g, int *lo, int *hi);
/* The schema file i is read through while its group is attached: "main"
 * or "db1"... (in buf, or a constant). */
const char *esc_stats_schema(const struct esc_stats *st, int i, char buf[16]);
/* Attach group g, detaching the one attached before (g < 0: none); no
 * transaction may be open. 0, or -1 with err naming the file. */
int esc_stats_attach(struct esc_stats *st, int g, struct esc_err *err);

/* survey-send's handovers: a question and an escalation each, with a
 * message id of "survey:" and the session's id, which esc-log refuses for
 * a chat message. They are escalations, but no question was scored. */
#define SURVEY_IDS "message_id >= 'survey:' AND message_id < 'survey;'"

/* Run sql (no rows wanted); -1 with err on failure. */
int esc_exec(sqlite3 *db, const char *sql, struct esc_err *err);
/* The SLA warning time of share/store/sla.json into *warn; -1 with err. */
int esc_stats_sla_warn(long *warn, struct esc_err *err);

/* ---- tables (stats.c) ---- */

/* A new empty table of section sec; NULL when out of memory. */
struct esc_table *esc_table_new(int sec, const char *title, const struct esc_col *cols,
	int ncol);
/* A new row of NULL cells; NULL when out of memory. */
struct esc_cell *esc_table_row(struct esc_table *t);
void esc_set_int(struct esc_cell *c, enum esc_vt type, long long v);
void esc_set_real(struct esc_cell *c, enum esc_vt type, double v);
/* A copy of s (NULL leaves the cell NULL); -1 when out of memory. */
int esc_set_text(struct esc_cell *c, const unsigned char *s);
/* x of n as a rate with its 95% Wilson interval; n <= 0 leaves it NULL. */
void esc_set_rate(struct esc_cell *c, long long x, long long n);
/* The blob of esc_quant() in column col: median, p90, mean; 0 if none. */
int esc_quant_col(sqlite3_stmt *s, int col, double r[3]);

/* ---- running the sections (stats.c) ---- */

struct esc_runner {
	struct esc_stats *st;
	const struct esc_stats_opts *o;
	struct esc_report *r;
	struct esc_err *err;
	time_t now;
	long warn;
	enum esc_by by;           /* of the section being run */
	struct esc_buf sql;
};

/* Prepare a query template (see expand() in stats.c for its {E}, {W}, ...)
 * and bind :since, :until, :now, :warn and :limit; with --explain keep its
 * plan in the report. NULL with err on failure. */
sqlite3_stmt *esc_prep(struct esc_runner *x, const char *what, const char *tmpl);
/* Bind v to the parameter name, if s has it. */
void esc_bind(sqlite3_stmt *s, const char *name, long long v);
/* 0 for SQLITE_ROW or SQLITE_DONE; else err set, s finalized, -1. */
int esc_step_err(struct esc_runner *x, sqlite3_stmt *s, int rc);
/* err set to "out of memory"; -1. */
int esc_oom(struct esc_runner *x);
/* The one value of s (*null when none), and s reset; -1 with err. */
int esc_scalar(struct esc_runner *x, sqlite3_stmt *s, long long *v, int *null);

/* ---- the sections (sections.c): each fills x->r->t[], -1 with err ---- */

/* Totals, or with sec ESC_SEC_TREND the same in the buckets of x->by. */
int esc_sec_totals(struct esc_runner *x, int sec);
/* The by_* tables want asks for (a mask of 1 << ESC_SEC_OFFER...). */
int esc_sec_by(struct esc_runner *x, unsigned want);
int esc_sec_recent(struct esc_runner *x);
int esc_sec_sla(struct esc_runner *x);
int esc_sec_board(struct esc_runner *x);

/* ---- the customer side (crmstats.c): the same contract; a section in
 * o->if_rows is left out (its table NULL) when the store has no rows for
 * it in the range ---- */

int esc_sec_funnel(struct esc_runner *x);
int esc_sec_upsell(struct esc_runner *x);
int esc_sec_opps(struct esc_runner *x);

/* ---- surveys (survstats.c): the sections of ESC_SEC_SURVEY_ALL in want,
 * the same contract ---- */

int esc_sec_surveys(struct esc_runner *x, unsigned want);

#endif
