/* forget.c — crm-track --forget and --purge: erase a person from every
 * table that holds them, and leave a trace that it happened, not of whom.
 *
 * Erasing a row is not enough to erase its bytes. SQLite leaves a deleted
 * row's content in the free space of its page, and an earlier version of
 * a row that was updated (an escalation whose status changed, a contact
 * whose email changed) can sit there too; the write-ahead log keeps old
 * pages until a checkpoint. Every esc connection runs with secure_delete
 * (store.c), so what esc frees or overwrites is zeroed as it goes, and
 * here a TRUNCATE checkpoint empties the -wal file. That leaves only what
 * another program (a sqlite3 shell, an older esc) freed without zeroing:
 * with vacuum, VACUUM rebuilds the file from the live rows. It is not the
 * default: it takes time in proportion to the store and twice its space. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "crm.h"
#include "store.h"

/* Every table that holds a person, and how to erase them from it: ?1 is
 * the customer id (user_id in questions, escalations and events), ?2 the
 * contact's email (NULL when unknown). Children come before parents, so
 * each count is the table's own (SQLite does not count a cascade). A new
 * table with personal data is one more line here. */
static const struct {
	const char *table;
	const char *sql;
} erase[] = {
	/* survey-send: the chains, their attempts, answers (feedback is the
	 * person's words) and handovers */
	{ "survey_answers", "DELETE FROM survey_answers WHERE customer_id = ?1" },
	{ "survey_attempts", "DELETE FROM survey_attempts WHERE customer_id = ?1" },
	{ "handovers", "DELETE FROM handovers WHERE customer_id = ?1" },
	{ "surveys", "DELETE FROM surveys WHERE customer_id = ?1" },
	/* the problems they had: problems() below has counted them out of
	 * those others share and listed in temp.forget_problems those nobody
	 * else has, whose description may be their words */
	{ "problem_users", "DELETE FROM problem_users WHERE customer_id = ?1" },
	{ "problems", "DELETE FROM problems WHERE id IN (SELECT id FROM temp.forget_problems)" },
	{ "consent_changes", "DELETE FROM consent_changes WHERE contact_id IN "
		"(SELECT id FROM contacts WHERE customer_id = ?1)" },
	{ "contacts", "DELETE FROM contacts WHERE customer_id = ?1" },
	{ "interactions", "DELETE FROM interactions WHERE customer_id = ?1" },
	{ "recommendations", "DELETE FROM recommendations WHERE customer_id = ?1" },
	{ "opportunity_events", "DELETE FROM opportunity_events WHERE opportunity_id IN "
		"(SELECT id FROM opportunities WHERE customer_id = ?1 "
		"OR contact_email = ?2 COLLATE NOCASE)" },
	{ "opportunities", "DELETE FROM opportunities WHERE customer_id = ?1 "
		"OR contact_email = ?2 COLLATE NOCASE" },
	/* an event holds the raw line in "body": by its user, or its escalation's */
	{ "events", "DELETE FROM events WHERE user_id = ?1 OR escalation_id IN "
		"(SELECT id FROM escalations WHERE user_id = ?1) OR escalation_id IN "
		"(SELECT e.id FROM escalations e JOIN questions q ON q.id = e.question_id "
		"WHERE q.user_id = ?1)" },
	/* the alerts already sent about their escalations and conversations:
	 * a conversation id can name a person, and a new escalation that
	 * reuses a freed id must not find its alerts spent */
	{ "alerts_sent", "DELETE FROM alerts_sent WHERE subject IN ("
		/* alerts.c names a conversation by its first 100 bytes */
		"SELECT 'conversation:' || CAST(substr(CAST(conversation_id AS BLOB), 1, 100) AS TEXT) "
		"FROM questions WHERE user_id = ?1 AND conversation_id IS NOT NULL) OR subject IN ("
		"SELECT 'escalation:' || e.id || w.s FROM escalations e, (SELECT '' AS s "
		"UNION ALL SELECT ':first_response' UNION ALL SELECT ':resolution') w "
		"WHERE e.user_id = ?1 OR e.question_id IN "
		"(SELECT id FROM questions WHERE user_id = ?1))" },
	{ "escalations", "DELETE FROM escalations WHERE user_id = ?1 OR question_id IN "
		"(SELECT id FROM questions WHERE user_id = ?1)" },
	{ "questions", "DELETE FROM questions WHERE user_id = ?1" },
};
#define NERASE (sizeof erase / sizeof erase[0])

enum stmt { F_FIND, F_AUDIT, F_STAT4, F_PURGE, F_PURGE_COUNT, F_SHARED, F_ALONE, F_ALONE_CLEAR,
	F_N };
static const char *const sql[F_N] = {
	/* an email matches whatever its case, a phone however it is written
	 * (?2: in E.164); the rest as they are */
	[F_FIND] = "SELECT customer_id, email FROM contacts WHERE customer_id = ?1 "
		"OR email = ?1 COLLATE NOCASE OR phone = ?2 OR external_id = ?1 ORDER BY id",
	[F_AUDIT] = "INSERT INTO forgotten (at, reason, rows, detail) VALUES (?1, ?2, ?3, ?4)",
	/* ANALYZE keeps sample index keys (emails, ids) in sqlite_stat4 */
	[F_STAT4] = "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'",
	[F_PURGE] = "SELECT customer_id, email FROM contacts WHERE consent_sms = 0 AND "
		"consent_email = 0 AND consent_calls = 0 AND updated_at < ?1 ORDER BY id",
	[F_PURGE_COUNT] = "SELECT count(*) FROM contacts WHERE consent_sms = 0 AND "
		"consent_email = 0 AND consent_calls = 0 AND updated_at < ?1",
	/* a problem others have too stays, without them: one user and their
	 * attempts fewer, and no session of theirs named */
	[F_SHARED] = "UPDATE problems SET affected_users = max(problems.affected_users - 1, 1), "
		"attempts = max(problems.attempts - u.attempts, 1), "
		/* the description is the first report's words: theirs, if it was */
		"description = CASE WHEN problems.first_session_id = u.session_id OR "
		"problems.first_session_id IN (SELECT session_id FROM surveys WHERE customer_id = ?1) "
		"THEN '(description removed: the person who first reported it was forgotten)' "
		"ELSE problems.description END, "
		"first_session_id = CASE WHEN problems.first_session_id = u.session_id OR "
		"problems.first_session_id IN (SELECT session_id FROM surveys WHERE customer_id = ?1) "
		"THEN NULL ELSE problems.first_session_id END, "
		"last_session_id = CASE WHEN problems.last_session_id = u.session_id OR "
		"problems.last_session_id IN (SELECT session_id FROM surveys WHERE customer_id = ?1) "
		"THEN NULL ELSE problems.last_session_id END "
		"FROM problem_users u WHERE u.problem_id = problems.id AND u.customer_id = ?1 AND "
		"EXISTS (SELECT 1 FROM problem_users o WHERE o.problem_id = problems.id AND "
		"o.customer_id <> ?1)",
	[F_ALONE] = "INSERT OR IGNORE INTO temp.forget_problems (id) SELECT u.problem_id "
		"FROM problem_users u WHERE u.customer_id = ?1 AND NOT EXISTS (SELECT 1 FROM "
		"problem_users o WHERE o.problem_id = u.problem_id AND o.customer_id <> ?1)",
	[F_ALONE_CLEAR] = "DELETE FROM temp.forget_problems",
};

struct person {
	char *customer, *email;
};

struct forget {
	sqlite3 *db;
	sqlite3_stmt *del[NERASE];
	sqlite3_stmt *st[F_N];
	long long n[NERASE];      /* rows erased per table, this audit row */
	long long total[NERASE];  /* and over the run */
	struct person *p;
	size_t np, cap;
	long people;
	long long shared;         /* shared problems counted out of, over the run */
	struct esc_err *err;
};

static int
fail(struct forget *f)
{
	esc_store_err(f->db, f->err);
	return -1;
}

static int
exec(struct forget *f, const char *s)
{
	return sqlite3_exec(f->db, s, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(f);
}

/* Finalize the statements: one in progress would stop VACUUM. */
static void
finish(struct forget *f)
{
	size_t i;

	for (i = 0; i < NERASE; i++) {
		sqlite3_finalize(f->del[i]);
		f->del[i] = NULL;
	}
	for (i = 0; i < F_N; i++) {
		sqlite3_finalize(f->st[i]);
		f->st[i] = NULL;
	}
}

static void
forget_free(struct forget *f)
{
	size_t i;

	finish(f);
	for (i = 0; i < f->np; i++) {
		free(f->p[i].customer);
		free(f->p[i].email);
	}
	free(f->p);
}

static int
forget_init(struct forget *f, sqlite3 *db, struct esc_err *err)
{
	size_t i;

	memset(f, 0, sizeof *f);
	f->db = db;
	f->err = err;
	/* the problems a person alone had, found before their problem_users
	 * rows go (temp: never in the store's file) */
	if (exec(f, "CREATE TEMP TABLE IF NOT EXISTS forget_problems (id INTEGER PRIMARY KEY)") < 0)
		return -1;
	for (i = 0; i < NERASE; i++)
		if (sqlite3_prepare_v2(db, erase[i].sql, -1, &f->del[i], NULL) != SQLITE_OK)
			return fail(f);
	for (i = 0; i < F_N; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &f->st[i], NULL) != SQLITE_OK)
			return fail(f);
	return 0;
}

static int
add_person(struct forget *f, const char *customer, const char *email)
{
	struct person *p;
	size_t i;

	for (i = 0; i < f->np; i++)
		if (strcmp(f->p[i].customer, customer) == 0)
			return 0;
	if (f->np == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;

		if (!(p = realloc(f->p, cap * sizeof *p)))
			goto oom;
		f->p = p;
		f->cap = cap;
	}
	p = &f->p[f->np];
	p->customer = strdup(customer);
	p->email = email ? strdup(email) : NULL;
	if (!p->customer || (email && !p->email)) {
		free(p->customer);
		free(p->email);
		goto oom;
	}
	f->np++;
	return 0;
oom:
	esc_err_set(f->err, "out of memory");
	return -1;
}

/* The people a statement's rows name (customer_id, email). */
static int
collect(struct forget *f, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (add_person(f, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) < 0) {
			sqlite3_reset(st);
			return -1;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(f);
}

static int
step_done(struct forget *f, enum stmt s)
{
	int rc = sqlite3_step(f->st[s]);

	sqlite3_reset(f->st[s]);
	return rc == SQLITE_DONE ? 0 : fail(f);
}

/* Before a person's problem_users rows go: count them out of the problems
 * others share, and list the ones nobody else has for erase[]. */
static int
problems(struct forget *f, const struct person *p)
{
	sqlite3_bind_text(f->st[F_SHARED], 1, p->customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(f->st[F_ALONE], 1, p->customer, -1, SQLITE_STATIC);
	if (step_done(f, F_ALONE_CLEAR) < 0 || step_done(f, F_SHARED) < 0)
		return -1;
	/* one of them may have lost its description, her words */
	f->shared += sqlite3_changes(f->db);
	return step_done(f, F_ALONE);
}

/* A deleted problem's words, or a shared problem's removed description,
 * stay in the full-text index's old segments (FTS5 records a delete as a
 * new entry naming the words): merging them all into one leaves none, and
 * secure_delete zeroes the pages freed. */
static int
fts_merge(struct forget *f)
{
	size_t i;

	for (i = 0; i < NERASE; i++)
		if (!strcmp(erase[i].table, "problems") && (f->total[i] || f->shared))
			return exec(f, "INSERT INTO problems_fts (problems_fts) VALUES ('optimize')");
	return 0;
}

/* Erase one person, adding to f->n. Returns the rows erased, or -1. */
static long long
erase_person(struct forget *f, const struct person *p)
{
	long long rows = 0;
	size_t i;

	if (problems(f, p) < 0)
		return -1;
	for (i = 0; i < NERASE; i++) {
		sqlite3_stmt *st = f->del[i];

		sqlite3_bind_text(st, 1, p->customer, -1, SQLITE_STATIC);
		if (p->email)
			sqlite3_bind_text(st, 2, p->email, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return fail(f);
		}
		sqlite3_reset(st);
		f->n[i] += sqlite3_changes(f->db);
		rows += sqlite3_changes(f->db);
	}
	f->people += rows > 0;
	return rows;
}

static void
put_tables(struct esc_buf *b, const long long *n)
{
	size_t i;

	esc_buf_putc(b, '{');
	for (i = 0; i < NERASE; i++)
		esc_buf_printf(b, "%s\"%s\":%lld", i ? "," : "", erase[i].table, n[i]);
	esc_buf_putc(b, '}');
}

/* The audit row for what f->n holds, then f->n starts again. */
static int
audit(struct forget *f, const char *reason)
{
	struct esc_buf detail = { 0 };
	long long rows = 0;
	sqlite3_stmt *st = f->st[F_AUDIT];
	size_t i;
	int rc;

	for (i = 0; i < NERASE; i++) {
		rows += f->n[i];
		f->total[i] += f->n[i];
	}
	put_tables(&detail, f->n);
	memset(f->n, 0, sizeof f->n);
	if (esc_buf_oom) {
		esc_buf_free(&detail);
		esc_err_set(f->err, "out of memory");
		return -1;
	}
	sqlite3_bind_int64(st, 1, esc_time_now());
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rows);
	sqlite3_bind_text(st, 4, detail.p, (int)detail.len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	esc_buf_free(&detail);
	return rc == SQLITE_DONE ? 0 : fail(f);
}

/* Index samples would keep erased keys: drop the samples of every table
 * touched (ANALYZE makes them again from what is left). */
static int
drop_samples(struct forget *f)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = sqlite3_step(f->st[F_STAT4]);

	sqlite3_reset(f->st[F_STAT4]);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW ||
	    sqlite3_prepare_v2(f->db, "DELETE FROM sqlite_stat4 WHERE tbl = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(f);
	for (i = 0; i < NERASE; i++) {
		if (!f->total[i])
			continue;
		sqlite3_bind_text(st, 1, erase[i].table, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			fail(f);
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

/* After the commit: rebuild the file (when asked) and empty the log. A
 * reader holding the log open keeps the checkpoint from finishing: say so
 * in err, as a warning (the caller has succeeded); a second run, even one
 * that erases nothing, finishes it. */
static int
scrub(struct forget *f, int vacuum)
{
	sqlite3_stmt *st;
	int busy = 1;

	if (vacuum && exec(f, "VACUUM") < 0)
		return -1;
	if (sqlite3_prepare_v2(f->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(f);
	if (sqlite3_step(st) == SQLITE_ROW)
		busy = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (busy)
		esc_err_set(f->err, "another process has the store open: the write-ahead log "
			"could not be emptied; run again when it is idle");
	return 0;
}

static void
begin_summary(struct esc_buf *out, const char *reason)
{
	esc_buf_printf(out, "{\"reason\":\"%s\"", reason);
}

long long
esc_crm_forget(sqlite3 *db, const char *id, int vacuum, struct esc_buf *out,
	struct esc_err *err)
{
	struct forget f;
	char phone[ESC_PHONE_MAX];
	long long rows = 0, r;
	size_t i;
	int in_tx = 0;

	err->msg[0] = '\0';
	if (forget_init(&f, db, err) < 0)
		goto fail;
	if (exec(&f, "PRAGMA secure_delete = ON") < 0 || exec(&f, "BEGIN IMMEDIATE") < 0)
		goto fail;
	in_tx = 1;
	/* the contacts id names, then id itself as a customer id with no
	 * contact (or a user_id that is an email) */
	sqlite3_bind_text(f.st[F_FIND], 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(f.st[F_FIND], 2, esc_phone_norm(id, phone) < 0 ? id : phone, -1,
		SQLITE_STATIC);
	if (collect(&f, f.st[F_FIND]) < 0 || add_person(&f, id, strchr(id, '@') ? id : NULL) < 0)
		goto fail;
	for (i = 0; i < f.np; i++) {
		if ((r = erase_person(&f, &f.p[i])) < 0)
			goto fail;
		rows += r;
	}
	/* nobody: nothing to record */
	if (rows && (audit(&f, "request") < 0 || fts_merge(&f) < 0 || drop_samples(&f) < 0))
		goto fail;
	if (exec(&f, rows ? "COMMIT" : "ROLLBACK") < 0)
		goto fail;
	in_tx = 0;
	finish(&f);
	if (scrub(&f, vacuum) < 0)
		goto fail;
	begin_summary(out, "request");
	esc_buf_printf(out, ",\"people\":%ld,\"rows\":%lld,\"tables\":", f.people, rows);
	put_tables(out, f.total);
	esc_buf_puts(out, "}\n");
	forget_free(&f);
	return rows;
fail:
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	forget_free(&f);
	return -1;
}

long
esc_crm_purge(sqlite3 *db, long older_than, int dry_run, int vacuum, struct esc_buf *out,
	struct esc_err *err)
{
	struct forget f;
	char t[32];
	time_t before = esc_time_now() - older_than;
	long long rows = 0, r;
	size_t i;
	int in_tx = 0;
	long n = 0;

	err->msg[0] = '\0';
	if (forget_init(&f, db, err) < 0)
		goto fail;
	if (dry_run) {
		sqlite3_bind_int64(f.st[F_PURGE_COUNT], 1, before);
		if (sqlite3_step(f.st[F_PURGE_COUNT]) != SQLITE_ROW) {
			fail(&f);
			goto fail;
		}
		n = sqlite3_column_int(f.st[F_PURGE_COUNT], 0);
		sqlite3_reset(f.st[F_PURGE_COUNT]);
	} else {
		if (exec(&f, "PRAGMA secure_delete = ON") < 0 || exec(&f, "BEGIN IMMEDIATE") < 0)
			goto fail;
		in_tx = 1;
		sqlite3_bind_int64(f.st[F_PURGE], 1, before);
		if (collect(&f, f.st[F_PURGE]) < 0)
			goto fail;
		/* one audit row per person, as a request would leave */
		for (i = 0; i < f.np; i++) {
			if ((r = erase_person(&f, &f.p[i])) < 0 || audit(&f, "retention") < 0)
				goto fail;
			rows += r;
		}
		n = (long)f.np;
		if (fts_merge(&f) < 0 || drop_samples(&f) < 0 || exec(&f, "COMMIT") < 0)
			goto fail;
		in_tx = 0;
		finish(&f);
		if (scrub(&f, vacuum) < 0)
			goto fail;
	}
	begin_summary(out, "retention");
	esc_buf_puts(out, ",\"before\":");
	esc_time_format(before, t, sizeof t);
	esc_buf_json_str(out, t, strlen(t));
	esc_buf_printf(out, ",\"dry_run\":%s,\"people\":%ld", dry_run ? "true" : "false", n);
	if (!dry_run) {
		esc_buf_printf(out, ",\"rows\":%lld,\"tables\":", rows);
		put_tables(out, f.total);
	}
	esc_buf_puts(out, "}\n");
	forget_free(&f);
	return n;
fail:
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	forget_free(&f);
	return -1;
}

int
esc_crm_retention(long *secs, struct esc_err *err)
{
	json_t *j = esc_share_json("crm/retention.json", err), *v;
	int rc = 0;

	if (!j)
		return -1;
	v = json_object_get(j, "older_than");
	if (!json_is_string(v) || esc_duration_parse(json_string_value(v), secs) < 0 ||
	    *secs <= 0) {
		esc_err_set(err, "%s/crm/retention.json: \"older_than\" must be a duration, "
			"like \"90d\"", esc_share_dir());
		rc = -1;
	}
	json_decref(j);
	return rc;
}
