/* store.h — the SQLite store (store.c), the SLA clock (sla.c) and the
 * escalation log (log.c) that esc-log, esc-stats and later tools share.
 *
 * The store is one SQLite file: ./esc.db, $ESC_DB, or --db FILE. It is
 * opened in WAL mode with a busy timeout and foreign keys on, and migrated
 * with the numbered SQL files in share/sql/ (PRAGMA user_version). */
#ifndef ESC_STORE_H
#define ESC_STORE_H

#include <time.h>

#include "esc.h"

struct sqlite3;

/* The file to use: opt (a --db value) if not NULL, else $ESC_DB, else
 * "esc.db". Borrows; the result lives as long as opt or the environment. */
const char *esc_store_path(const char *opt);

enum {
	ESC_STORE_WRITE = 0,   /* create the file if need be, migrate it */
	ESC_STORE_READ = 1,    /* the file must exist; migrate only if it is old */
};
/* Open path, set the pragmas, bring the schema up to date. Returns the
 * handle (close with esc_store_close), or NULL with err set: the message
 * names the file ("esc.db: file is not a database", "esc.db: schema
 * version 9 is newer than this esc knows (1): use a newer esc"). The busy
 * timeout is $ESC_BUSY_TIMEOUT milliseconds, 10000 by default. */
struct sqlite3 *esc_store_open(const char *path, int mode, struct esc_err *err);
/* For a tool that may run dry (--dry-run), which writes nothing: with
 * dry, the handle is a private copy of an existing store (SQLite's backup
 * into a temporary database, upgraded there if its schema is older), so
 * the store is only read, and only while the copy is made; a missing store
 * is stood in for by an empty one in memory. Without dry,
 * esc_store_open(path, ESC_STORE_WRITE). */
struct sqlite3 *esc_store_open_dry(const char *path, int dry, struct esc_err *err);
/* The newest schema version in share/sql, or -1 with err. */
int esc_store_schema_newest(struct esc_err *err);
void esc_store_close(struct sqlite3 *db);
/* Set err from the handle's last error, prefixed with the file's name. */
void esc_store_err(struct sqlite3 *db, struct esc_err *err);
struct sqlite3_stmt;
/* Step st to its end and reset it: the first column of every row, as a
 * new array of *n ids (never NULL when it succeeds; caller frees). NULL
 * with err (code ESC_EXIT_STORE). */
long long *esc_store_ids(struct sqlite3_stmt *st, size_t *n, struct esc_err *err);

/* ---- durations and the SLA clock (sla.c) ---- */
/* "90s", "15m", "4h", "2d", "1h30m" or a number of seconds. Returns 0 and
 * sets *secs, or -1. */
int esc_duration_parse(const char *s, long *secs);
/* The same, or "500ms", in milliseconds (a year at most). Returns 0 and
 * sets *ms, or -1. */
int esc_duration_ms(const char *s, long *ms);
/* The store's busy timeout from ESC_BUSY_TIMEOUT, in milliseconds
 * (default 10000): a number of milliseconds, or a duration with its unit.
 * Returns 0, or -1 with err (code ESC_EXIT_USAGE). */
int esc_busy_timeout(long *ms, struct esc_err *err);


enum esc_sla_kind { ESC_SLA_FIRST_RESPONSE, ESC_SLA_RESOLUTION };
struct esc_sla;
/* Load SLA rules from file, or share/store/sla.json when file is NULL.
 * Caller frees with esc_sla_free. NULL with err on a bad file. */
struct esc_sla *esc_sla_load(const char *file, struct esc_err *err);
void esc_sla_free(struct esc_sla *sla);
/* The target for a severity, in seconds (of business time if the clock is
 * business hours). */
long esc_sla_target(const struct esc_sla *sla, int sev, enum esc_sla_kind kind);
/* When a target of secs, started at start, falls due: start + secs on the
 * calendar clock, or after secs of open business hours in the configured
 * time zone, skipping closed days and holidays. */
time_t esc_sla_add(const struct esc_sla *sla, time_t start, long secs);
/* How long before a breach the warning comes, in seconds. */
long esc_sla_warning(const struct esc_sla *sla);
int esc_sla_business(const struct esc_sla *sla);


/* ---- touches (touches.c): share/store/touches.json ---- */
struct esc_touch_rules {
	long window;         /* seconds before an escalation opened in which the
	                        customer's conversations are its touches */
	int escalate_at;     /* at this many touches or more (0: never) ... */
	int escalate_to;     /* ... the severity is raised to at least this */
};
/* Read the rules. 0, or -1 with err (a missing or invalid file). */
int esc_touch_rules_load(struct esc_touch_rules *r, struct esc_err *err);

/* ---- the escalation log (log.c): what esc-log does with each line ---- */
struct esc_log;
struct esc_log_opts {
	const char *field;   /* --field: the message text's field, or NULL */
	long window;         /* how far back a conversion looks, seconds */
	int batch;           /* lines per transaction at most */
	struct esc_touch_rules touch;
};
/* Borrows db and sla for its lifetime. NULL with err on failure. */
struct esc_log *esc_log_new(struct sqlite3 *db, const struct esc_sla *sla,
	const struct esc_log_opts *o, struct esc_err *err);
/* An esc_rec_fn: log one esc-offer record or event and append the line,
 * with a "log" object, to out. A store failure is FATAL with err->code
 * ESC_EXIT_STORE; the line's partial work is undone, earlier lines stay. */
enum esc_rc esc_log_line(void *log, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);
/* An esc_sync_fn: commit the open transaction. */
int esc_log_sync(void *log, struct esc_err *err);
/* Commit what is pending and free. Returns 0, or -1 with err. */
int esc_log_free(struct esc_log *l, struct esc_err *err);
/* Is s an escalation status: open, assigned, in_progress, waiting,
 * resolved or closed? */
int esc_status_valid(const char *s);
/* Conversions (and warnings) seen that matched no escalation. */
unsigned long esc_log_unattributed(const struct esc_log *l);

/* What esc-log -l lists: each field NULL (or 0) when not asked for. */
struct esc_log_filter {
	time_t since, until;   /* 0: open */
	const char *offer, *status, *severity, *user, *route;
};
/* Write the matching escalations to f as JSON lines, oldest first.
 * Returns the number written, or -1 with err (a write error sets errno). */
long esc_log_list(struct sqlite3 *db, const struct esc_log_filter *flt, FILE *f,
	struct esc_err *err);
/* Write one escalation's timeline to f: the escalation as listed, then one
 * line per event in time order. id is the escalation's number or its
 * message id. Returns the lines written, 0 if there is no such
 * escalation, or -1 with err. */
long esc_log_history(struct sqlite3 *db, const char *id, FILE *f, struct esc_err *err);

#endif
