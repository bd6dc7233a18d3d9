/* recs.c — upsell recommendations after completed sessions (seed 003):
 * what upsell-gen does with each line in its default mode.
 *
 * A session_completed event gets the recommendations its rules call for
 * (share/upsell/recommendations.json: a full diagnostic package after chat
 * or video sessions, a follow-up after every session, a video upgrade after
 * chat-only ones), each priced from the plan tier of the session just
 * completed, written to the store and printed as the event's line with an
 * "upsell" object, one line per recommendation. Any other event passes
 * through once with "upsell": null, so a mixed journey stream can be fed as
 * it is.
 *
 * The natural key is (session, type): a second run inserts nothing and
 * prints the rows already kept, with "new": false. Lines are written in
 * batched transactions committed before their output is written
 * (esc_recs_sync), as esc-log does, so what is printed is kept. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "batch.h"
#include "esc.h"
#include "store.h"
#include "upsell.h"

#define RULES_FILE "upsell/recommendations.json"
/* lines per transaction at most; the loop's syncs usually come first */
#define BATCH 10000

/* the values read from a line; the first of two names is the one that wins */
enum slot {
	S_TYPE, S_ID, S_EVENT_ID, S_CUSTOMER, S_CUSTOMER_ID, S_SESSION, S_SESSION_ID,
	S_AT, S_TIME, S_STYPE, S_PLAN, S_META, S_META_STYPE, S_META_PLAN,
	S_N
};
static const struct {
	const char *key;     /* at the top, or in "metadata" for the M_ slots */
	int meta;
} slots[S_N] = {
	[S_TYPE] = { "type", 0 },
	[S_ID] = { "id", 0 },
	[S_EVENT_ID] = { "event_id", 0 },
	[S_CUSTOMER] = { "customer", 0 },
	[S_CUSTOMER_ID] = { "customer_id", 0 },
	[S_SESSION] = { "session", 0 },
	[S_SESSION_ID] = { "session_id", 0 },
	[S_AT] = { "at", 0 },
	[S_TIME] = { "time", 0 },
	[S_STYPE] = { "session_type", 0 },
	[S_PLAN] = { "plan", 0 },
	[S_META] = { "metadata", 0 },
	[S_META_STYPE] = { "session_type", 1 },
	[S_META_PLAN] = { "plan", 1 },
};

struct val {
	int set;
	enum esc_jtype t;
	size_t off, len;      /* a string's or number's text in the arena */
};

struct rule {
	const char *type, *title, *desc;   /* borrowed from the rules document */
	json_t *after;                     /* array of session types; "*": all */
};
struct tier {
	const char *name;
	json_t *prices;                    /* type -> cents */
};

enum stmt { R_INS, R_GET, ST_N };
static const char *const sql[ST_N] = {
	[R_INS] = "INSERT INTO recommendations (customer_id, session_id, type, title, "
		"description, price_cents, currency, plan, session_type, created_at, metadata) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
		"ON CONFLICT (session_id, type) DO NOTHING",
	[R_GET] = "SELECT id, type, title, description, price_cents, currency, plan, customer_id "
		"FROM recommendations WHERE session_id = ?1 AND type = ?2",
};

struct esc_recs {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
	struct esc_scan scan;
	json_t *doc;                 /* the rules document; rules and tiers borrow it */
	struct rule *rules;
	size_t nrules;
	const char *currency, *default_plan;
	json_t *stypes;              /* the session types the rules know (owned) */
	char *stype_names;           /* "chat, video, ...", for the warning */
	struct esc_batch batch;
	/* the current line */
	struct val v[S_N];
	struct esc_buf arena, obj, meta;
};

/* ---- the rules ---- */

static int
bad_rules(struct esc_err *err, const char *file, const char *what)
{
	esc_err_set(err, "data file %s: %s", file, what);
	err->code = ESC_EXIT_DATA;
	return -1;
}

/* Does the array of strings hold s (exactly, as plans are matched)? */
static int
listed(json_t *arr, const char *s)
{
	size_t i;
	json_t *t;

	json_array_foreach(arr, i, t)
		if (!strcmp(json_string_value(t), s))
			return 1;
	return 0;
}

/* "session_types": every session type the rules know, so that one they
 * do not ("Chat", a typo) is warned about as a plan without prices is;
 * without it, the types the rules name. */
static int
load_session_types(struct esc_recs *r, const char *file, struct esc_err *err)
{
	json_t *given = json_object_get(r->doc, "session_types"), *t;
	struct esc_buf names = { 0 };
	size_t i, j;

	if (given) {
		if (!json_is_array(given) || !json_array_size(given))
			return bad_rules(err, file, "\"session_types\" must list the session types");
		json_array_foreach(given, i, t)
			if (!json_is_string(t) || !json_string_length(t) ||
			    !strcmp(json_string_value(t), "*"))
				return bad_rules(err, file, "\"session_types\" lists session types as "
					"strings");
		r->stypes = json_incref(given);
	} else if (!(r->stypes = json_array())) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < r->nrules; i++)
		json_array_foreach(r->rules[i].after, j, t) {
			if (!strcmp(json_string_value(t), "*") || listed(r->stypes, json_string_value(t)))
				continue;
			if (given) {
				esc_err_set(err, "data file %s: rule \"%s\" follows session type \"%s\", "
					"which \"session_types\" does not list", file, r->rules[i].type,
					json_string_value(t));
				err->code = ESC_EXIT_DATA;
				return -1;
			}
			json_array_append(r->stypes, t);
		}
	json_array_foreach(r->stypes, i, t)
		esc_buf_printf(&names, "%s%s", i ? ", " : "", json_string_value(t));
	esc_buf_putc(&names, '\0');
	if (esc_buf_oom) {
		esc_buf_free(&names);
		esc_err_set(err, "out of memory");
		return -1;
	}
	r->stype_names = names.p;
	return 0;
}

/* Check the document and point the rules into it. */
static int
load_rules(struct esc_recs *r, const char *file, struct esc_err *err)
{
	json_t *rules = json_object_get(r->doc, "rules"), *prices, *x, *t, *p;
	const char *name, *ty;
	size_t i, j;

	x = json_object_get(r->doc, "currency");
	if (!json_is_string(x) || strlen(json_string_value(x)) != 3)
		return bad_rules(err, file, "\"currency\" must be a three-letter code such as \"USD\"");
	r->currency = json_string_value(x);
	if (!json_is_array(rules) || !json_array_size(rules))
		return bad_rules(err, file, "\"rules\" must be a list of rules");
	if (!(r->rules = calloc(json_array_size(rules), sizeof *r->rules))) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	json_array_foreach(rules, i, x) {
		struct rule *u = &r->rules[r->nrules++];

		u->type = json_string_value(json_object_get(x, "type"));
		u->title = json_string_value(json_object_get(x, "title"));
		u->desc = json_string_value(json_object_get(x, "description"));
		u->after = json_object_get(x, "after");
		if (!u->type || !*u->type || !u->title || !*u->title)
			return bad_rules(err, file, "every rule needs a \"type\" and a \"title\"");
		if (json_object_get(x, "description") && !u->desc)
			return bad_rules(err, file, "a rule's \"description\" must be a string");
		if (!json_is_array(u->after) || !json_array_size(u->after))
			return bad_rules(err, file, "every rule needs \"after\": the session types "
				"it follows, or [\"*\"]");
		json_array_foreach(u->after, j, t)
			if (!json_is_string(t))
				return bad_rules(err, file, "\"after\" lists session types as strings");
		for (j = 0; j + 1 < r->nrules; j++)
			if (!strcmp(r->rules[j].type, u->type))
				return bad_rules(err, file, "two rules of the same type");
	}
	if (load_session_types(r, file, err) < 0)
		return -1;
	prices = json_object_get(r->doc, "prices");
	if (!json_is_object(prices) || !json_object_size(prices))
		return bad_rules(err, file, "\"prices\" must map each plan tier to its prices");
	/* every tier prices every type, in whole cents: no recommendation goes
	 * out without a price because a tier was half filled in */
	json_object_foreach(prices, name, t) {
		if (!json_is_object(t))
			return bad_rules(err, file, "each tier of \"prices\" maps types to cents");
		for (i = 0; i < r->nrules; i++) {
			ty = r->rules[i].type;
			p = json_object_get(t, ty);
			if (!json_is_integer(p) || json_integer_value(p) < 0) {
				esc_err_set(err, "data file %s: tier \"%s\" has no price for \"%s\" "
					"(a whole number of cents)", file, name, ty);
				err->code = ESC_EXIT_DATA;
				return -1;
			}
		}
	}
	x = json_object_get(r->doc, "default_plan");
	if (!json_is_string(x) || !json_object_get(prices, json_string_value(x)))
		return bad_rules(err, file, "\"default_plan\" must name a tier of \"prices\"");
	r->default_plan = json_string_value(x);
	return 0;
}

static int
rule_applies(const struct rule *u, const char *stype)
{
	size_t i;
	json_t *t;

	json_array_foreach(u->after, i, t) {
		const char *s = json_string_value(t);

		if (!strcmp(s, "*") || (stype && !strcmp(s, stype)))
			return 1;
	}
	return 0;
}

/* ---- the line's values ---- */

static const char *
str(struct esc_recs *r, enum slot s)
{
	return r->v[s].set && r->v[s].t == ESC_J_STRING ? r->arena.p + r->v[s].off : NULL;
}

static int
present(struct esc_recs *r, enum slot s)
{
	return r->v[s].set && r->v[s].t != ESC_J_NULL;
}

static int
on_value(void *arg, const struct esc_jpath *p, enum esc_jtype t, const char *v, size_t n,
	struct esc_err *err)
{
	struct esc_recs *r = arg;
	int meta, i;

	(void)err;
	if (p->depth == 1)
		meta = 0;
	else if (p->depth == 2 && esc_key_is(p->k[0].key, p->k[0].len, "metadata"))
		meta = 1;
	else
		return 0;
	for (i = 0; i < S_N; i++) {
		if (slots[i].meta != meta || !esc_key_is(p->k[meta].key, p->k[meta].len, slots[i].key))
			continue;
		/* a key given twice: the last one, as jq reads it */
		r->v[i].set = 1;
		r->v[i].t = t;
		r->v[i].off = r->arena.len;
		r->v[i].len = v ? n : 0;
		if (v)
			esc_buf_put(&r->arena, v, n);
		esc_buf_putc(&r->arena, '\0');
		break;
	}
	return 0;
}

/* Of two names for one field, the one that is there (not null); the
 * first when both are. */
static enum slot
either(struct esc_recs *r, enum slot a, enum slot b)
{
	return present(r, a) || !present(r, b) ? a : b;
}

/* A required string, or for an id (a buf given) a whole number too, put
 * in buf as crm-track keeps it: NULL after filling err. */
static const char *
need(struct esc_recs *r, enum slot s, char buf[ESC_INT_MAX], struct esc_err *err)
{
	if (!present(r, s)) {
		esc_err_set(err, "field \"%s\" missing: a session_completed event needs "
			"customer, session and at", slots[s].key);
		return NULL;
	}
	if (buf && r->v[s].t == ESC_J_NUMBER) {
		const char *num = r->arena.p + r->v[s].off;

		if (esc_plain_integer(buf, num))
			return buf;
		if (!strpbrk(num, ".eE")) {
			esc_err_set(err, "field \"%s\" is too large (a whole number must fit "
				"in 64 bits)", slots[s].key);
			return NULL;
		}
	}
	if (r->v[s].t != ESC_J_STRING) {
		esc_err_set(err, "field \"%s\" must be a %s", slots[s].key,
			buf ? "non-empty string or a whole number" : "string");
		return NULL;
	}
	if (!r->v[s].len) {
		esc_err_set(err, "field \"%s\" is empty", slots[s].key);
		return NULL;
	}
	/* a key is a C string in the store's statements */
	if (strlen(str(r, s)) != r->v[s].len) {
		esc_err_set(err, "field \"%s\" holds a NUL character", slots[s].key);
		return NULL;
	}
	return str(r, s);
}

/* An optional string: top level first, then metadata. 0 with *s (NULL
 * when neither), -1 after filling err. */
static int
optional(struct esc_recs *r, enum slot top, enum slot inmeta, const char **s,
	struct esc_err *err)
{
	enum slot w = present(r, top) ? top : inmeta;

	*s = NULL;
	if (!present(r, w))
		return 0;
	if (r->v[w].t != ESC_J_STRING || !r->v[w].len) {
		esc_err_set(err, "field \"%s%s\" must be a non-empty string",
			w == inmeta ? "metadata." : "", slots[w].key);
		return -1;
	}
	*s = str(r, w);
	return 0;
}

/* ---- a completed session ---- */

static void
put_str(struct esc_buf *b, const char *k, const unsigned char *v)
{
	esc_buf_printf(b, ",\"%s\":", k);
	if (v)
		esc_buf_json_str(b, (const char *)v, strlen((const char *)v));
	else
		esc_buf_puts(b, "null");
}

/* Insert one recommendation (or find the one kept) and print the line. */
static int
recommend(struct esc_recs *r, const struct esc_rec *rec, const struct rule *u,
	const char *customer, const char *session, time_t at, const char *stype,
	const char *plan, long long cents, struct esc_buf *out, struct esc_err *err)
{
	sqlite3_stmt *s = r->st[R_INS], *g = r->st[R_GET];
	int fresh, rc;

	sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, session, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, u->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, u->title, -1, SQLITE_STATIC);
	if (u->desc)
		sqlite3_bind_text(s, 5, u->desc, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_int64(s, 6, cents);
	sqlite3_bind_text(s, 7, r->currency, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, plan, -1, SQLITE_STATIC);
	if (stype)
		sqlite3_bind_text(s, 9, stype, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)at);
	if (r->meta.len)
		sqlite3_bind_text(s, 11, r->meta.p, (int)r->meta.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 11);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		goto fail;
	fresh = sqlite3_changes(r->db) > 0;
	/* what the store keeps is what is printed, new or not */
	sqlite3_bind_text(g, 1, session, -1, SQLITE_STATIC);
	sqlite3_bind_text(g, 2, u->type, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(g)) != SQLITE_ROW) {
		sqlite3_reset(g);
		goto fail;
	}
	r->obj.len = 0;
	esc_buf_printf(&r->obj, "{\"id\":%lld", (long long)sqlite3_column_int64(g, 0));
	put_str(&r->obj, "type", sqlite3_column_text(g, 1));
	put_str(&r->obj, "title", sqlite3_column_text(g, 2));
	put_str(&r->obj, "description", sqlite3_column_text(g, 3));
	if (sqlite3_column_type(g, 4) == SQLITE_NULL)
		esc_buf_puts(&r->obj, ",\"price_cents\":null");
	else
		esc_buf_printf(&r->obj, ",\"price_cents\":%lld", (long long)sqlite3_column_int64(g, 4));
	put_str(&r->obj, "currency", sqlite3_column_text(g, 5));
	put_str(&r->obj, "plan", sqlite3_column_text(g, 6));
	esc_buf_puts(&r->obj, fresh ? ",\"new\":true}" : ",\"new\":false}");
	/* a session id is the key: another customer's under the same id is
	 * theirs, printed as kept, and said */
	if (strcmp((const char *)sqlite3_column_text(g, 7), customer))
		esc_err_set(err, "session %.64s already has a %.64s recommendation for another "
			"customer: kept as it was", session, u->type);
	sqlite3_reset(g);
	sqlite3_clear_bindings(g);
	esc_splice(out, &r->scan, rec->line, r->obj.p, r->obj.len);
	return 0;
fail:
	esc_store_err(r->db, err);
	err->code = ESC_EXIT_STORE;
	return -1;
}

static enum esc_rc
session_completed(struct esc_recs *r, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err)
{
	const char *customer, *session, *when, *stype, *plan, *priced;
	char custbuf[ESC_INT_MAX], sessbuf[ESC_INT_MAX];
	enum slot id = either(r, S_ID, S_EVENT_ID);
	json_t *tier, *prices = json_object_get(r->doc, "prices");
	time_t at;
	size_t i;
	int made = 0;

	if (!(customer = need(r, either(r, S_CUSTOMER, S_CUSTOMER_ID), custbuf, err)) ||
	    !(session = need(r, either(r, S_SESSION, S_SESSION_ID), sessbuf, err)) ||
	    !(when = need(r, either(r, S_AT, S_TIME), NULL, err)))
		return ESC_REC_REJECT;
	if (esc_time_parse(when, strlen(when), &at) < 0) {
		esc_err_set(err, "field \"%s\" must be an RFC 3339 time, like "
			"\"2026-03-01T10:15:00Z\"", slots[either(r, S_AT, S_TIME)].key);
		return ESC_REC_REJECT;
	}
	if (present(r, id) && r->v[id].t != ESC_J_STRING && r->v[id].t != ESC_J_NUMBER) {
		esc_err_set(err, "field \"%s\" must be a string or a number", slots[id].key);
		return ESC_REC_REJECT;
	}
	if (present(r, S_META) && r->v[S_META].t != ESC_J_OBJECT) {
		esc_err_set(err, "field \"metadata\" must be an object");
		return ESC_REC_REJECT;
	}
	if (optional(r, S_STYPE, S_META_STYPE, &stype, err) < 0 ||
	    optional(r, S_PLAN, S_META_PLAN, &plan, err) < 0)
		return ESC_REC_REJECT;
	/* the price comes from the tier of the session just completed; none
	 * or one without prices: the default tier, and a warning for the latter */
	priced = plan && json_object_get(prices, plan) ? plan : r->default_plan;
	tier = json_object_get(prices, priced);
	if (plan && priced != plan)
		esc_err_set(err, "plan \"%.60s\" has no prices in %s: priced as \"%s\"",
			plan, RULES_FILE, priced);
	/* a session type the rules do not know gets only what every session
	 * gets; said, as for a plan, since "Chat" is not "chat" */
	if (stype && !listed(r->stypes, stype)) {
		char plan_warn[sizeof err->msg];

		snprintf(plan_warn, sizeof plan_warn, "%s", plan && priced != plan ? err->msg : "");
		esc_err_set(err, "%s%ssession type \"%.60s\" is not in %s (%.200s): only the "
			"recommendations for every session", plan_warn, *plan_warn ? "; " : "",
			stype, RULES_FILE, r->stype_names);
	}
	/* the line that made the row, and a plan the prices did not know */
	r->meta.len = 0;
	if (present(r, id) || (plan && priced != plan)) {
		esc_buf_putc(&r->meta, '{');
		if (present(r, id)) {
			esc_buf_puts(&r->meta, "\"event_id\":");
			esc_buf_json_str(&r->meta, r->arena.p + r->v[id].off, r->v[id].len);
		}
		if (plan && priced != plan) {
			esc_buf_puts(&r->meta, present(r, id) ? ",\"given_plan\":" : "\"given_plan\":");
			esc_buf_json_str(&r->meta, plan, strlen(plan));
		}
		esc_buf_putc(&r->meta, '}');
	}
	for (i = 0; i < r->nrules; i++) {
		const struct rule *u = &r->rules[i];

		if (!rule_applies(u, stype))
			continue;
		if (esc_batch_begin(&r->batch, rec, out, err) < 0 ||
		    recommend(r, rec, u, customer, session, at, stype, priced,
			json_integer_value(json_object_get(tier, u->type)), out, err) < 0)
			return ESC_REC_FATAL;
		made++;
	}
	/* no rule for this session: the line still goes out, once */
	if (!made)
		esc_splice(out, &r->scan, rec->line, "null", 4);
	return ESC_REC_OK;
}

/* ---- the line, the batch ---- */

enum esc_rc
esc_recs_line(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct esc_recs *r = arg;
	enum esc_rc rc;

	memset(r->v, 0, sizeof r->v);
	r->arena.len = 0;
	if (esc_scan_line(&r->scan, rec->line, rec->len, on_value, r, err) < 0)
		return ESC_REC_REJECT;
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		esc_batch_undo(&r->batch, err);
		return ESC_REC_FATAL;
	}
	if (!present(r, S_TYPE)) {
		esc_err_set(err, "field \"type\" missing: an event names its type "
			"(session_completed, ...)");
		return ESC_REC_REJECT;
	}
	if (r->v[S_TYPE].t != ESC_J_STRING) {
		esc_err_set(err, "field \"type\" must be a string");
		return ESC_REC_REJECT;
	}
	if (strcmp(str(r, S_TYPE), "session_completed")) {
		esc_splice(out, &r->scan, rec->line, "null", 4);
		return ESC_REC_OK;
	}
	rc = session_completed(r, rec, out, err);
	/* out of memory stops the run: nothing of the batch is kept that
	 * will not be printed */
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		rc = ESC_REC_FATAL;
	}
	if (rc == ESC_REC_FATAL)
		esc_batch_undo(&r->batch, err);
	if (rc == ESC_REC_OK && esc_batch_line_done(&r->batch, err))
		return ESC_REC_FATAL;
	return rc;
}

int
esc_recs_sync(void *arg, struct esc_err *err)
{
	struct esc_recs *r = arg;

	return esc_batch_commit(&r->batch, err);
}

struct esc_recs *
esc_recs_new(sqlite3 *db, const char *file, struct esc_err *err)
{
	struct esc_recs *r = calloc(1, sizeof *r);
	char path[4096];
	json_error_t je;
	int i;

	err->code = 0;
	if (!r || esc_scan_init(&r->scan, "upsell") < 0) {
		free(r);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	r->db = db;
	if (file) {
		snprintf(path, sizeof path, "%s", file);
		if (!(r->doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je)))
			esc_err_set(err, "%s:%d: %s", file, je.line, je.text);
		else if (!json_is_object(r->doc))
			esc_err_set(err, "%s: not a JSON object", file);
	} else {
		snprintf(path, sizeof path, "%s/%s", esc_share_dir(), RULES_FILE);
		r->doc = esc_share_json(RULES_FILE, err);
	}
	if (!r->doc || !json_is_object(r->doc) || load_rules(r, path, err) < 0) {
		if (!err->code)
			err->code = ESC_EXIT_DATA;
		esc_recs_free(r, NULL);
		return NULL;
	}
	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i],
		    NULL) != SQLITE_OK) {
			esc_store_err(db, err);
			err->code = ESC_EXIT_STORE;
			esc_recs_free(r, NULL);
			return NULL;
		}
	if (esc_batch_init(&r->batch, db, BATCH, err) < 0) {
		esc_recs_free(r, NULL);
		return NULL;
	}
	return r;
}

int
esc_recs_free(struct esc_recs *r, struct esc_err *err)
{
	struct esc_err tmp;
	int i, rc = 0;

	if (!r)
		return 0;
	if (esc_batch_free(&r->batch, err ? err : &tmp) < 0)
		rc = -1;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(r->st[i]);
	esc_scan_free(&r->scan);
	esc_buf_free(&r->arena);
	esc_buf_free(&r->obj);
	esc_buf_free(&r->meta);
	free(r->rules);
	free(r->stype_names);
	json_decref(r->stypes);
	json_decref(r->doc);
	free(r);
	return rc;
}
