/* logq.c — reading the escalation log back: esc-log -l and --history. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

#define ESC_COLUMNS \
	"id, message_id, user_id, conversation_id, route, offer, reason, reasons, alerts, " \
	"context_type, tier, score_personal, score_strategic, score_advanced, sentiment, " \
	"template, severity, status, agent, playbook, value_at_risk, touches, " \
	"conversion_tracked, converted, converted_at, conversion_value, created_at, " \
	"first_response_due, resolution_due, first_response_at, resolved_at, outcome, " \
	"question, offer_text, updated_at"

/* how each column is written */
enum kind { K_INT, K_STR, K_JSON, K_NUM, K_BOOL, K_TIME };
static const enum kind kinds[] = {
	K_INT, K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_JSON, K_JSON,
	K_STR, K_STR, K_INT, K_INT, K_INT, K_NUM,
	K_STR, K_STR, K_STR, K_STR, K_STR, K_NUM, K_INT,
	K_BOOL, K_BOOL, K_TIME, K_NUM, K_TIME,
	K_TIME, K_TIME, K_TIME, K_TIME, K_STR,
	K_STR, K_STR, K_TIME,
};

static void
put_col(struct esc_buf *b, sqlite3_stmt *st, int i, enum kind k)
{
	char tb[32];

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		esc_buf_puts(b, "null");
		return;
	}
	switch (k) {
	case K_INT:
		esc_buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i));
		break;
	case K_NUM:
		esc_buf_json_num(b, sqlite3_column_double(st, i));
		break;
	case K_BOOL:
		esc_buf_puts(b, sqlite3_column_int(st, i) ? "true" : "false");
		break;
	case K_TIME:
		esc_buf_putc(b, '"');
		esc_buf_puts(b, esc_time_format((time_t)sqlite3_column_int64(st, i), tb, sizeof tb));
		esc_buf_putc(b, '"');
		break;
	case K_JSON:     /* written by esc-log: a JSON array already */
		esc_buf_put(b, sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
		break;
	case K_STR:
		esc_buf_json_str(b, (const char *)sqlite3_column_text(st, i),
			(size_t)sqlite3_column_bytes(st, i));
		break;
	}
}

/* One escalation row (ESC_COLUMNS) as a JSON object. */
static void
put_escalation(struct esc_buf *b, sqlite3_stmt *st)
{
	static const char *const names[] = {
		"id", "message_id", "user_id", "conversation_id", "route", "offer", "reason",
		"reasons", "alerts", "context_type", "tier", NULL, NULL, NULL, "sentiment",
		"template", "severity", "status", "agent", "playbook", "value_at_risk", "touches",
		"conversion_tracked", "converted", "converted_at", "conversion_value", "created_at",
		NULL, NULL, "first_response_at", "resolved_at", "outcome",
		"question", "offer_text", "updated_at",
	};
	int i, n = (int)(sizeof names / sizeof names[0]);

	esc_buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (i == 11) {
			esc_buf_puts(b, ",\"scores\":{\"personal\":");
			put_col(b, st, 11, K_INT);
			esc_buf_puts(b, ",\"strategic\":");
			put_col(b, st, 12, K_INT);
			esc_buf_puts(b, ",\"advanced\":");
			put_col(b, st, 13, K_INT);
			esc_buf_putc(b, '}');
		} else if (i == 27) {
			esc_buf_puts(b, ",\"sla\":{\"first_response_due\":");
			put_col(b, st, 27, K_TIME);
			esc_buf_puts(b, ",\"resolution_due\":");
			put_col(b, st, 28, K_TIME);
			esc_buf_putc(b, '}');
		}
		if (!names[i])
			continue;
		if (i)
			esc_buf_putc(b, ',');
		esc_buf_json_str(b, names[i], strlen(names[i]));
		esc_buf_putc(b, ':');
		put_col(b, st, i, kinds[i]);
	}
	esc_buf_puts(b, "}\n");
}

static int
write_buf(struct esc_buf *b, FILE *f, struct esc_err *err)
{
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len) {
		esc_err_set(err, "cannot write the listing");
		return -1;
	}
	b->len = 0;
	return 0;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

long
esc_log_list(sqlite3 *db, const struct esc_log_filter *flt, FILE *f, struct esc_err *err)
{
	static const char q[] = "SELECT " ESC_COLUMNS " FROM escalations "
		"WHERE created_at >= coalesce(?1, created_at) AND created_at < coalesce(?2, created_at + 1) "
		"AND (?3 IS NULL OR offer = ?3) AND (?4 IS NULL OR status = ?4) "
		"AND (?5 IS NULL OR severity = ?5) AND (?6 IS NULL OR user_id = ?6) "
		"AND (?7 IS NULL OR route = ?7) ORDER BY created_at, id";
	struct esc_buf b = { 0 };
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
		esc_store_err(db, err);
		return -1;
	}
	if (flt->since)
		sqlite3_bind_int64(st, 1, flt->since);
	if (flt->until)
		sqlite3_bind_int64(st, 2, flt->until);
	bind_opt(st, 3, flt->offer);
	bind_opt(st, 4, flt->status);
	bind_opt(st, 5, flt->severity);
	bind_opt(st, 6, flt->user);
	bind_opt(st, 7, flt->route);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		put_escalation(&b, st);
		n++;
		if (b.len >= 65536 && write_buf(&b, f, err) < 0)
			break;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		esc_store_err(db, err);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE && write_buf(&b, f, err) == 0) {
		esc_buf_free(&b);
		return n;
	}
	esc_buf_free(&b);
	return -1;
}

long
esc_log_history(sqlite3 *db, const char *id, FILE *f, struct esc_err *err)
{
	/* by number, or by the id of a message that opened or joined it */
	static const char qe[] = "SELECT " ESC_COLUMNS " FROM escalations "
		"WHERE id = ?1 OR (?2 IS NULL AND id = (SELECT coalesce(q.joined_id, e.id) "
		"FROM questions q LEFT JOIN escalations e ON e.question_id = q.id "
		"WHERE q.message_id = ?3))";
	static const char qv[] = "SELECT event_id, type, at, agent, status, severity, outcome, "
		"offer, value, note, user_id FROM events WHERE escalation_id = ?1 ORDER BY at, id";
	static const char *const names[] = {
		"id", "event", "at", "agent", "status", "severity", "outcome", "offer", "value",
		"note", "user_id",
	};
	static const enum kind vk[] = {
		K_STR, K_STR, K_TIME, K_STR, K_STR, K_STR, K_STR, K_STR, K_NUM, K_STR, K_STR,
	};
	struct esc_buf b = { 0 };
	sqlite3_stmt *st = NULL;
	sqlite3_int64 eid;
	char *end;
	long long num = strtoll(id, &end, 10);
	int rc, i, isnum = *id && !*end;
	long n = 0;

	if (sqlite3_prepare_v2(db, qe, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, isnum ? num : -1);
	if (isnum)
		sqlite3_bind_int(st, 2, 1);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return 0;
		st = NULL;
		goto fail;
	}
	eid = sqlite3_column_int64(st, 0);
	put_escalation(&b, st);
	n++;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, qv, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, eid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		esc_buf_printf(&b, "{\"escalation\":%lld", (long long)eid);
		for (i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				continue;
			esc_buf_puts(&b, ",\"");
			esc_buf_puts(&b, names[i]);
			esc_buf_puts(&b, "\":");
			put_col(&b, st, i, vk[i]);
		}
		esc_buf_puts(&b, "}\n");
		n++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (write_buf(&b, f, err) < 0) {
		esc_buf_free(&b);
		return -1;
	}
	esc_buf_free(&b);
	return n;
fail:
	esc_store_err(db, err);
	sqlite3_finalize(st);
	esc_buf_free(&b);
	return -1;
}
