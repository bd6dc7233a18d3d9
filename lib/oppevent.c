/* oppevent.c — the events that move an opportunity, lines with a "type":
 * approval, reply, meeting_join, release and close. Each is applied once,
 * known by its id; a yes reply makes the meeting token, kept only as its
 * hash, and a meeting_join uses it up. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "opps-int.h"

enum ev { EV_APPROVAL, EV_REPLY, EV_JOIN, EV_RELEASE, EV_CLOSE, EV_N };
static const char *const ev_names[EV_N] = { "approval", "reply", "meeting_join", "release", "close" };

/* The meeting link: the base with the token in place of {token}, or
 * after it. Caller frees. */
static char *
meeting_link(struct esc_opps *o, const char *token)
{
	const char *at = strstr(o->meeting_url, "{token}");
	struct esc_buf b = { 0 };

	if (at) {
		esc_buf_put(&b, o->meeting_url, (size_t)(at - o->meeting_url));
		esc_buf_puts(&b, token);
		esc_buf_puts(&b, at + 7);
	} else {
		esc_buf_puts(&b, o->meeting_url);
		esc_buf_puts(&b, token);
	}
	esc_buf_putc(&b, '\0');
	return b.p;
}

/* meeting_join: the token is its own key, and single use. */
static enum esc_rc
join_line(struct esc_opps *o, json_t *line, json_t *res, struct esc_err *err)
{
	char hash[ESC_HASH_LEN + 1], evid[ID_MAX], used[32];
	const char *token, *state;
	sqlite3_stmt *st = o->st[Q_TOKEN];
	sqlite3_int64 id = 0;
	time_t at, used_at = 0;
	int found = 0, rc, n;
	json_t *r;
	size_t i;

	if (esc_opp_get_str(line, "", "token", 1, &token, err) < 0 ||
	    esc_opp_get_time(line, "", "at", &at, err) < 0 || esc_opp_get_id(line, "id", 0, evid, err) < 0)
		return ESC_REC_REJECT;
	/* a token not of the shape esc_token_new makes is not looked up */
	for (i = 0; token[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", token[i]))
			break;
	if (i != ESC_TOKEN_LEN || token[i]) {
		esc_err_set(err, "meeting token refused: unknown or forged");
		return ESC_REC_REJECT;
	}
	esc_token_hash(token, ESC_TOKEN_LEN, hash);
	if (esc_opp_tx_begin(o, err) < 0)
		return ESC_REC_FATAL;
	esc_opp_bind_text(st, 1, hash);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *stored = (const char *)sqlite3_column_text(st, 1);

		found = stored && strlen(stored) == ESC_HASH_LEN && esc_token_equal(stored, hash);
		id = sqlite3_column_int64(st, 0);
		used_at = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 :
			(time_t)sqlite3_column_int64(st, 2);
		state = (const char *)sqlite3_column_text(st, 3);
		found = found && state && !strcmp(state, "meeting") ? 1 : found ? 2 : 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		esc_opp_store_fail(o, err);
		goto fatal;
	}
	if (!found) {
		esc_opp_tx_rollback(o);
		esc_err_set(err, "meeting token refused: unknown or forged");
		return ESC_REC_REJECT;
	}
	if (used_at) {
		esc_opp_tx_rollback(o);
		esc_err_set(err, "meeting token refused: already used at %s",
			esc_time_format(used_at, used, sizeof used));
		return ESC_REC_REJECT;
	}
	if (found == 2) {
		esc_opp_tx_rollback(o);
		esc_err_set(err, "meeting token refused: the opportunity is closed");
		return ESC_REC_REJECT;
	}
	sqlite3_bind_int64(o->st[U_USE], 1, id);
	sqlite3_bind_int64(o->st[U_USE], 2, (sqlite3_int64)at);
	sqlite3_bind_int64(o->st[U_USE], 3, (sqlite3_int64)esc_time_now());
	if ((n = esc_opp_run(o, U_USE, err)) < 0 ||
	    (n == 1 && esc_opp_add_event(o, id, evid[0] ? evid : NULL, "meeting_join", at, NULL,
	    err) < 0) || esc_opp_tx_commit(o, err) < 0)
		goto fatal;
	if (!(r = esc_opp_render_id(o, id, 0, err)))
		goto fatal;
	json_object_set_new(res, "new", json_true());
	json_object_set_new(res, "action", json_string("joined"));
	json_object_set_new(res, "opportunity", r);
	return ESC_REC_OK;
fatal:
	esc_opp_tx_rollback(o);
	err->code = ESC_EXIT_STORE;
	return ESC_REC_FATAL;
}

/* The opportunity an event names: "opportunity" as the alert's id (a
 * string) or the opportunity's number. 1 and *id, or -1 with err. */
static int
find_opp(struct esc_opps *o, json_t *line, sqlite3_int64 *id, int *store, struct esc_err *err)
{
	json_t *v = json_object_get(line, "opportunity");
	enum stmt q;
	int rc;

	*store = 0;
	if (!v || json_is_null(v)) {
		esc_err_set(err, "field \"opportunity\" missing: the alert's id or the "
			"opportunity's number");
		return -1;
	}
	if (json_is_integer(v)) {
		q = O_BYID;
		sqlite3_bind_int64(o->st[q], 1, json_integer_value(v));
	} else if (json_is_string(v) && json_string_length(v)) {
		q = O_BYALERT;
		esc_opp_bind_text(o->st[q], 1, json_string_value(v));
	} else {
		esc_err_set(err, "field \"opportunity\" must be the alert's id (a string) or the "
			"opportunity's number");
		return -1;
	}
	if ((rc = esc_opp_one_int(o, q, id, err)) < 0) {
		*store = 1;
		return -1;
	}
	if (rc == 0) {
		if (json_is_integer(v))
			esc_err_set(err, "no opportunity %lld", (long long)json_integer_value(v));
		else
			esc_err_set(err, "no opportunity for alert \"%.200s\"", json_string_value(v));
		return -1;
	}
	return 1;
}

static const char *const closing_words[] = { "closed", "won", "lost", "declined", "no_reply",
	"cancelled", "duplicate" };

enum esc_rc
esc_opp_event_line(struct esc_opps *o, json_t *line, const char *type, json_t **res, struct esc_err *err)
{
	char evid[ID_MAX], why[600] = "", *link = NULL, token[ESC_TOKEN_LEN + 1];
	char hash[ESC_HASH_LEN + 1];
	const char *state, *reply = NULL, *by = NULL, *reason = NULL, *action = NULL, *kind;
	json_t *row = NULL, *r = NULL;
	sqlite3_int64 id, seen;
	int e, store, send = 0, was_sent = 0, sent = -1, n;
	time_t at;
	size_t i;

	for (e = 0; e < EV_N && strcmp(type, ev_names[e]); e++)
		;
	if (e == EV_N) {
		esc_err_set(err, "field \"type\" must be approval, reply, meeting_join, release or "
			"close (no \"type\": a usage alert)");
		return ESC_REC_REJECT;
	}
	*res = json_object();
	if (e == EV_JOIN)
		return join_line(o, line, *res, err);
	if (esc_opp_get_id(line, "id", 1, evid, err) < 0 || esc_opp_get_time(line, "", "at", &at, err) < 0)
		return ESC_REC_REJECT;
	switch (e) {
	case EV_REPLY:
		if (esc_opp_get_str(line, "", "reply", 1, &reply, err) < 0)
			return ESC_REC_REJECT;
		if (strcmp(reply, "yes") && strcmp(reply, "no") && strcmp(reply, "maybe")) {
			esc_err_set(err, "field \"reply\" must be yes, no or maybe");
			return ESC_REC_REJECT;
		}
		break;
	case EV_APPROVAL:
		if (esc_opp_get_str(line, "", "by", 0, &by, err) < 0)
			return ESC_REC_REJECT;
		break;
	case EV_RELEASE:
		if (!json_is_boolean(json_object_get(line, "sent"))) {
			esc_err_set(err, "field \"sent\" %s: did the interrupted mail leave (true) or "
				"not (false)?", json_object_get(line, "sent") ? "must be true or false" :
				"missing");
			return ESC_REC_REJECT;
		}
		was_sent = json_is_true(json_object_get(line, "sent"));
		break;
	case EV_CLOSE:
		if (esc_opp_get_str(line, "", "reason", 0, &reason, err) < 0)
			return ESC_REC_REJECT;
		if (!reason)
			reason = "closed";
		for (i = 0; i < sizeof closing_words / sizeof *closing_words &&
		    strcmp(reason, closing_words[i]); i++)
			;
		if (i == sizeof closing_words / sizeof *closing_words) {
			esc_err_set(err, "field \"reason\" must be closed, won, lost, declined, "
				"no_reply, cancelled or duplicate");
			return ESC_REC_REJECT;
		}
		break;
	}
	if (find_opp(o, line, &id, &store, err) < 0)
		return store ? ESC_REC_FATAL : ESC_REC_REJECT;

	/* seen before: nothing happens twice */
	esc_opp_bind_text(o->st[EV_FIND], 1, evid);
	if ((n = esc_opp_one_int(o, EV_FIND, &seen, err)) < 0)
		return ESC_REC_FATAL;
	if (n) {
		if (!(r = esc_opp_render_id(o, seen, 0, err)))
			return ESC_REC_FATAL;
		json_object_set_new(*res, "new", json_false());
		json_object_set_new(*res, "opportunity", r);
		return ESC_REC_OK;
	}
	if (!(row = esc_opp_row(o, id, err)))
		return ESC_REC_FATAL;
	state = esc_opp_col_str(row, "state");
	kind = esc_opp_col_str(row, "send_kind");
	/* every check before the first write */
	switch (e) {
	case EV_APPROVAL:
		if (strcmp(state, "drafted") || kind) {
			esc_err_set(err, "opportunity %lld is %s, not drafted: nothing to approve",
				(long long)id, kind ? "being sent" : state);
			goto reject;
		}
		if (esc_opp_get_bool(line, "send",
		    strcmp(esc_opp_col_str(row, "automation"), "human") != 0, &send, err) < 0)
			goto reject;
		break;
	case EV_REPLY:
		if (strcmp(state, "waiting")) {
			esc_err_set(err, "opportunity %lld is %s%s%s: a reply is taken only while it "
				"waits for one", (long long)id, state,
				esc_opp_col_str(row, "closed_reason") ? " " : "",
				esc_opp_col_str(row, "closed_reason") ?
				esc_opp_col_str(row, "closed_reason") : "");
			goto reject;
		}
		break;
	case EV_RELEASE:
		if (!kind) {
			esc_err_set(err, "opportunity %lld has no send in flight: nothing to release",
				(long long)id);
			goto reject;
		}
		break;
	case EV_CLOSE:
		if (!strcmp(state, "closed")) {
			esc_err_set(err, "opportunity %lld is already closed (%s)", (long long)id,
				esc_opp_col_str(row, "closed_reason") ? esc_opp_col_str(row, "closed_reason") :
				"closed");
			goto reject;
		}
		break;
	}

	if (esc_opp_tx_begin(o, err) < 0)
		goto fatal;
	if (esc_opp_add_event(o, id, evid, ev_names[e], at, json_pack("{s:s?,s:s?,s:s?}",
	    "reply", reply, "by", by, "reason", reason), err) < 0)
		goto fatal;
	switch (e) {
	case EV_APPROVAL:
		sqlite3_bind_int64(o->st[U_APPROVE], 1, id);
		sqlite3_bind_int64(o->st[U_APPROVE], 2, (sqlite3_int64)at);
		esc_opp_bind_text(o->st[U_APPROVE], 3, by);
		sqlite3_bind_int(o->st[U_APPROVE], 4, send);
		sqlite3_bind_int64(o->st[U_APPROVE], 5, (sqlite3_int64)esc_time_now());
		if (esc_opp_run(o, U_APPROVE, err) < 0)
			goto fatal;
		if (!send) {
			/* a person sent it themselves, at the approval's time */
			sqlite3_bind_int64(o->st[U_SENT], 1, id);
			sqlite3_bind_int64(o->st[U_SENT], 2, (sqlite3_int64)at);
			sqlite3_bind_int64(o->st[U_SENT], 3, (sqlite3_int64)(at + o->reply_timeout));
			sqlite3_bind_int64(o->st[U_SENT], 4, (sqlite3_int64)esc_time_now());
			if (esc_opp_run(o, U_SENT, err) < 0 || esc_opp_add_event(o, id, NULL, "sent", at,
			    json_pack("{s:s?}", "by", by ? by : "a person"), err) < 0)
				goto fatal;
			action = "sent_by_person";
		}
		break;
	case EV_REPLY:
		if (!strcmp(reply, "yes")) {
			struct esc_err terr = { 0 };

			if (esc_token_new(token, &terr) < 0) {
				esc_err_set(err, "%s", terr.msg);
				goto fatal;
			}
			esc_token_hash(token, ESC_TOKEN_LEN, hash);
		}
		sqlite3_bind_int64(o->st[U_REPLY], 1, id);
		esc_opp_bind_text(o->st[U_REPLY], 2, reply);
		sqlite3_bind_int64(o->st[U_REPLY], 3, (sqlite3_int64)at);
		esc_opp_bind_text(o->st[U_REPLY], 4, !strcmp(reply, "yes") ? "meeting" :
			!strcmp(reply, "no") ? "closed" : "waiting");
		esc_opp_bind_text(o->st[U_REPLY], 5, !strcmp(reply, "no") ? "declined" : NULL);
		esc_opp_bind_text(o->st[U_REPLY], 6, !strcmp(reply, "yes") ? hash : NULL);
		esc_opp_bind_time(o->st[U_REPLY], 7, !strcmp(reply, "maybe") ? at + o->maybe_wait : 0);
		sqlite3_bind_int64(o->st[U_REPLY], 8, (sqlite3_int64)esc_time_now());
		if (esc_opp_run(o, U_REPLY, err) < 0)
			goto fatal;
		action = !strcmp(reply, "yes") ? "meeting" : !strcmp(reply, "no") ? "declined" :
			"follow_up_later";
		break;
	case EV_RELEASE:
		if (!was_sent) {
			sqlite3_bind_int64(o->st[U_UNCLAIM], 1, id);
			sqlite3_bind_int64(o->st[U_UNCLAIM], 2, (sqlite3_int64)esc_time_now());
			if (esc_opp_run(o, U_UNCLAIM, err) < 0)
				goto fatal;
			action = "released";
		} else {
			enum stmt u = !strcmp(kind, "first") ? U_SENT : U_FOLLOW;
			long wait = u == U_SENT ? o->reply_timeout : o->follow_wait;
			time_t when = esc_opp_col_time(row, "send_claimed_at");

			sqlite3_bind_int64(o->st[u], 1, id);
			sqlite3_bind_int64(o->st[u], 2, (sqlite3_int64)when);
			sqlite3_bind_int64(o->st[u], 3, (sqlite3_int64)(at + wait));
			if (u == U_SENT)
				sqlite3_bind_int64(o->st[u], 4, (sqlite3_int64)esc_time_now());
			if (esc_opp_run(o, u, err) < 0)
				goto fatal;
			action = "marked_sent";
		}
		break;
	case EV_CLOSE:
		sqlite3_bind_int64(o->st[U_CLOSE], 1, id);
		esc_opp_bind_text(o->st[U_CLOSE], 2, reason);
		sqlite3_bind_int64(o->st[U_CLOSE], 3, (sqlite3_int64)esc_time_now());
		if (esc_opp_run(o, U_CLOSE, err) < 0)
			goto fatal;
		action = "closed";
		break;
	}
	if (esc_opp_tx_commit(o, err) < 0)
		goto fatal;
	if (e == EV_APPROVAL && send) {
		if ((sent = esc_opp_send_mail(o, id, SEND_FIRST, why, sizeof why, err)) < 0)
			goto fatal;
		action = esc_opp_send_action(sent);
	}
	if (!(r = esc_opp_render_id(o, id, 0, err)))
		goto fatal;
	json_object_set_new(*res, "new", json_true());
	json_object_set_new(*res, "action", json_string(action ? action : "approved"));
	if (why[0] && sent != 2)
		json_object_set_new(*res, "error", json_string(why));
	/* the link is shown once, here, and kept nowhere but in its hash */
	if (e == EV_REPLY && !strcmp(reply, "yes") && !o->o.dry_run) {
		if (!(link = meeting_link(o, token))) {
			esc_err_set(err, "out of memory");
			goto fatal;
		}
		json_object_set_new(*res, "meeting_url", json_string(link));
		free(link);
	}
	json_object_set_new(*res, "opportunity", r);
	json_decref(row);
	return ESC_REC_OK;
reject:
	json_decref(row);
	return ESC_REC_REJECT;
fatal:
	esc_opp_tx_rollback(o);
	json_decref(row);
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	return ESC_REC_FATAL;
}
