/* alerts.c — esc-stats --alerts: SLA breaches and warnings, many touches,
 * much value at risk, and sentiment drops, each sent once: recorded in the
 * file's alerts_sent in the same transaction that hands it to emit. */
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "esc.h"
#include "stats.h"
#include "stats-int.h"
#include "store.h"

struct alerts {
	struct esc_runner *x;
	int file;
	sqlite3_stmt *ins;
	struct esc_buf lines;
	long count;
	double touches, var, drop;
};

/* Record (kind, subject) in the file's alerts_sent; 1 if it is new. */
static int
alert_new(struct alerts *a, const char *kind, const char *subject)
{
	int rc;

	sqlite3_bind_text(a->ins, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(a->ins, 3, a->x->now);
	rc = sqlite3_step(a->ins);
	sqlite3_reset(a->ins);
	if (rc != SQLITE_DONE) {
		esc_store_err(a->x->st->db, a->x->err);
		return -1;
	}
	return sqlite3_changes(a->x->st->db) > 0;
}

static void
json_kv_str(struct esc_buf *b, const char *k, const unsigned char *v)
{
	esc_buf_printf(b, ",\"%s\":", k);
	if (v)
		esc_buf_json_str(b, (const char *)v, strlen((const char *)v));
	else
		esc_buf_puts(b, "null");
}

static void
json_kv_time(struct esc_buf *b, const char *k, long long t)
{
	char tb[64];

	esc_buf_printf(b, ",\"%s\":\"%s\"", k, esc_time_format((time_t)t, tb, sizeof tb));
}

/* The start of an alert line: kind, escalation, and the file. */
static void
alert_head(struct alerts *a, const char *kind)
{
	esc_buf_printf(&a->lines, "{\"kind\":\"%s\"", kind);
	if (a->x->st->n > 1)
		json_kv_str(&a->lines, "db", (const unsigned char *)a->x->st->paths[a->file]);
}

static void
alert_tail(struct alerts *a, const char *msg)
{
	json_kv_time(&a->lines, "at", a->x->now);
	json_kv_str(&a->lines, "message", (const unsigned char *)msg);
	esc_buf_puts(&a->lines, "}\n");
	a->count++;
}

/* The members every escalation alert has, from the row of the query in
 * alerts_file(). */
static void
alert_escalation(struct alerts *a, sqlite3_stmt *s)
{
	struct esc_buf *b = &a->lines;

	esc_buf_printf(b, ",\"escalation_id\":%lld", (long long)sqlite3_column_int64(s, 0));
	json_kv_str(b, "severity", sqlite3_column_text(s, 3));
	json_kv_str(b, "status", sqlite3_column_text(s, 5));
	json_kv_str(b, "route", sqlite3_column_text(s, 6));
	json_kv_str(b, "agent", sqlite3_column_text(s, 4));
	json_kv_str(b, "user_id", sqlite3_column_text(s, 1));
	json_kv_str(b, "conversation_id", sqlite3_column_text(s, 2));
	json_kv_str(b, "playbook", sqlite3_column_text(s, 7));
}

static int
alerts_file(struct alerts *a)
{
	struct esc_runner *x = a->x;
	char schbuf[16];
	const char *sch = esc_stats_schema(x->st, a->file, schbuf);
	static const char *const what[2] = { "first_response", "resolution" };
	static const char *const words[2] = { "first response to", "resolution of" };
	char *sql, subj[128], msg[512], dur[32], tb[64];
	sqlite3_stmt *s;
	int rc, k, r;

	sql = sqlite3_mprintf("INSERT OR IGNORE INTO %s.alerts_sent (kind, subject, at) "
		"VALUES (?1, ?2, ?3)", sch);
	if (!sql || sqlite3_prepare_v2(x->st->db, sql, -1, &a->ins, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_free(sql);
	/* open escalations with something to say: a due time within the
	 * warning, many touches, much value at risk */
	sql = sqlite3_mprintf(
		"SELECT id, user_id, conversation_id, severity, agent, status, route, playbook, "
		"first_response_at, first_response_due, resolved_at, resolution_due, touches, "
		"value_at_risk FROM %s.escalations "
		"WHERE status <> 'resolved' AND status <> 'closed' AND ("
		"(first_response_at IS NULL AND first_response_due <= ?1 + ?2) OR "
		"(resolved_at IS NULL AND resolution_due <= ?1 + ?2) OR "
		"touches >= ?3 OR value_at_risk > ?4) ORDER BY id", sch);
	if (!sql || sqlite3_prepare_v2(x->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_free(sql);
	sqlite3_bind_int64(s, 1, x->now);
	sqlite3_bind_int64(s, 2, x->warn);
	sqlite3_bind_double(s, 3, a->touches);
	sqlite3_bind_double(s, 4, a->var);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *sev = (const char *)sqlite3_column_text(s, 3);

		for (k = 0; k < 2; k++) {
			int done_col = k ? 10 : 8, due_col = k ? 11 : 9;
			long long due = sqlite3_column_int64(s, due_col);
			const char *kind;

			if (sqlite3_column_type(s, done_col) != SQLITE_NULL ||
			    sqlite3_column_type(s, due_col) == SQLITE_NULL || due > x->now + x->warn)
				continue;
			kind = x->now > due ? "sla_breach" : "sla_warning";
			snprintf(subj, sizeof subj, "escalation:%lld:%s", id, what[k]);
			if ((r = alert_new(a, kind, subj)) < 0)
				goto fail;
			if (!r)
				continue;
			esc_format_duration((double)(x->now > due ? x->now - due : due - x->now),
				dur, sizeof dur);
			esc_time_format((time_t)due, tb, sizeof tb);
			if (x->now > due)
				snprintf(msg, sizeof msg, "%s escalation %lld (%s) was due at %s: %s late",
					words[k], id, sev ? sev : "?", tb, dur);
			else
				snprintf(msg, sizeof msg, "%s escalation %lld (%s) is due in %s, at %s",
					words[k], id, sev ? sev : "?", dur, tb);
			alert_head(a, kind);
			alert_escalation(a, s);
			json_kv_str(&a->lines, "sla", (const unsigned char *)what[k]);
			json_kv_time(&a->lines, "due", due);
			alert_tail(a, msg);
		}
		if (sqlite3_column_type(s, 12) != SQLITE_NULL &&
		    sqlite3_column_double(s, 12) >= a->touches) {
			snprintf(subj, sizeof subj, "escalation:%lld", id);
			if ((r = alert_new(a, "touches", subj)) < 0)
				goto fail;
			if (r) {
				snprintf(msg, sizeof msg, "escalation %lld (%s) has had %lld touches "
					"(the alert is at %g)", id, sev ? sev : "?",
					(long long)sqlite3_column_int64(s, 12), a->touches);
				alert_head(a, "touches");
				alert_escalation(a, s);
				esc_buf_printf(&a->lines, ",\"touches\":%lld",
					(long long)sqlite3_column_int64(s, 12));
				alert_tail(a, msg);
			}
		}
		if (sqlite3_column_type(s, 13) != SQLITE_NULL &&
		    sqlite3_column_double(s, 13) > a->var) {
			snprintf(subj, sizeof subj, "escalation:%lld", id);
			if ((r = alert_new(a, "value_at_risk", subj)) < 0)
				goto fail;
			if (r) {
				snprintf(msg, sizeof msg, "escalation %lld (%s) puts %g at risk "
					"(the alert is over %g)", id, sev ? sev : "?",
					sqlite3_column_double(s, 13), a->var);
				alert_head(a, "value_at_risk");
				alert_escalation(a, s);
				esc_buf_puts(&a->lines, ",\"value_at_risk\":");
				esc_buf_json_num(&a->lines, sqlite3_column_double(s, 13));
				alert_tail(a, msg);
			}
		}
	}
	if (rc != SQLITE_DONE) {
		esc_store_err(x->st->db, x->err);
		goto fail;
	}
	sqlite3_finalize(s);
	/* conversations whose latest message (of those since --since, or of
	 * the last day) is negative and well below the best before it */
	sql = sqlite3_mprintf(
		"WITH recent AS (SELECT DISTINCT conversation_id AS cid FROM %s.questions "
		"  WHERE created_at >= ?1 AND created_at <= ?2 AND conversation_id IS NOT NULL), "
		"last AS (SELECT cid, (SELECT q.id FROM %s.questions q WHERE q.conversation_id = cid "
		"  AND q.created_at <= ?2 ORDER BY q.created_at DESC, q.id DESC LIMIT 1) AS qid "
		"  FROM recent) "
		"SELECT l.cid, q.message_id, q.user_id, q.sentiment, q.created_at, "
		"  (SELECT max(p.sentiment) FROM %s.questions p WHERE p.conversation_id = l.cid "
		"   AND (p.created_at < q.created_at OR (p.created_at = q.created_at AND p.id < q.id))) "
		"  AS best "
		"FROM last l JOIN %s.questions q ON q.id = l.qid "
		"WHERE q.sentiment <= -0.05 AND best - q.sentiment >= ?3 ORDER BY l.cid",
		sch, sch, sch, sch);
	if (!sql || sqlite3_prepare_v2(x->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_free(sql);
	sqlite3_bind_int64(s, 1, x->o->has_since ? x->o->since : x->now - 86400);
	sqlite3_bind_int64(s, 2, x->now);
	sqlite3_bind_double(s, 3, a->drop - 1e-9);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *cid = sqlite3_column_text(s, 0);
		double now_s = sqlite3_column_double(s, 3), best = sqlite3_column_double(s, 5);

		snprintf(subj, sizeof subj, "conversation:%.100s", (const char *)cid);
		if ((r = alert_new(a, "sentiment_drop", subj)) < 0)
			goto fail;
		if (!r)
			continue;
		snprintf(msg, sizeof msg, "conversation %.100s: sentiment fell from %.2f to %.2f",
			(const char *)cid, best, now_s);
		alert_head(a, "sentiment_drop");
		json_kv_str(&a->lines, "conversation_id", cid);
		json_kv_str(&a->lines, "message_id", sqlite3_column_text(s, 1));
		json_kv_str(&a->lines, "user_id", sqlite3_column_text(s, 2));
		esc_buf_puts(&a->lines, ",\"sentiment\":");
		esc_buf_json_num(&a->lines, now_s);
		esc_buf_puts(&a->lines, ",\"best_before\":");
		esc_buf_json_num(&a->lines, best);
		json_kv_time(&a->lines, "message_at", sqlite3_column_int64(s, 4));
		alert_tail(a, msg);
	}
	if (rc != SQLITE_DONE) {
		esc_store_err(x->st->db, x->err);
		goto fail;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(a->ins);
	a->ins = NULL;
	return 0;
fail:
	sqlite3_finalize(s);
	sqlite3_finalize(a->ins);
	a->ins = NULL;
	return -1;
}

static int
num_member(json_t *j, const char *k, double *v, struct esc_err *err)
{
	json_t *m = json_object_get(j, k);

	if (!json_is_number(m) || json_number_value(m) < 0) {
		esc_err_set(err, "data file %s/store/alerts.json: \"%s\" must be a number >= 0",
			esc_share_dir(), k);
		return -1;
	}
	*v = json_number_value(m);
	return 0;
}

int
esc_stats_alerts(struct esc_stats *st, const struct esc_stats_opts *o,
	esc_alert_emit emit, void *ctx, long *count, struct esc_err *err)
{
	struct esc_runner x = { 0 };
	struct esc_report r = { 0 };
	struct alerts a = { 0 };
	json_t *j;
	char sch[16];
	int g, i, lo, hi, rc = ESC_EXIT_STORE;

	*count = 0;
	x.st = st;
	x.o = o;
	x.r = &r;
	x.err = err;
	x.now = esc_time_now();
	a.x = &x;
	if (esc_stats_sla_warn(&x.warn, err) < 0)
		return ESC_EXIT_DATA;
	if (!(j = esc_share_json("store/alerts.json", err)))
		return ESC_EXIT_DATA;
	if (num_member(j, "touches", &a.touches, err) < 0 ||
	    num_member(j, "value_at_risk", &a.var, err) < 0 ||
	    num_member(j, "sentiment_drop", &a.drop, err) < 0) {
		json_decref(j);
		return ESC_EXIT_DATA;
	}
	json_decref(j);
	/* say so now, even when no alert is due: a cron job that can never
	 * record what it sends would send it again every minute */
	for (g = 0; g < esc_stats_groups(st); g++) {
		if (esc_stats_attach(st, g, err) < 0)
			return ESC_EXIT_STORE;
		esc_stats_group_files(st, g, &lo, &hi);
		for (i = lo; i < hi; i++)
			if (sqlite3_db_readonly(st->db, esc_stats_schema(st, i, sch)) == 1) {
				esc_err_set(err, "%s: read-only: --alerts records the alerts it "
					"sends in the store, so it needs to write it", st->paths[i]);
				return ESC_EXIT_STORE;
			}
	}
	/* one write transaction over the files attached together (all of
	 * them, unless there are more than SQLite attaches at once): what is
	 * printed is recorded, and what is recorded was printed */
	for (g = 0; g < esc_stats_groups(st); g++) {
		if (esc_stats_attach(st, g, err) < 0)
			goto out;
		esc_stats_group_files(st, g, &lo, &hi);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			int code = sqlite3_extended_errcode(st->db);

			if ((code & 0xff) == SQLITE_READONLY)
				esc_err_set(err, "%s: read-only: --alerts records the alerts it sends "
					"in the store, so it needs to write it", st->paths[lo]);
			else
				esc_store_err(st->db, err);
			goto out;
		}
		for (i = lo; i < hi; i++) {
			a.file = i;
			if (alerts_file(&a) < 0) {
				if ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_READONLY)
					esc_err_set(err, "%s: read-only: --alerts records the alerts it "
						"sends in the store, so it needs to write it", st->paths[i]);
				goto rollback;
			}
		}
		if (esc_buf_oom) {
			esc_err_set(err, "out of memory");
			goto rollback;
		}
		if (a.count && emit(ctx, a.lines.p, a.lines.len) < 0) {
			rc = ESC_EXIT_IO;
			goto rollback;
		}
		if (esc_exec(st->db, "COMMIT", err) < 0)
			goto rollback;
		*count += a.count;
		a.count = 0;
		a.lines.len = 0;
	}
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out:
	esc_buf_free(&a.lines);
	esc_buf_free(&x.sql);
	return rc;
}
