/* crm.c — crm-track: keep the customer journey and echo each line with
 * what it became.
 *
 * Lines are of two kinds, told apart by "type": "contact" is a person and
 * their consent (contacts.c); any other type is a journey event of seed
 * 003 and becomes a row of interactions. Upsell events, and a completed
 * checkout, that name a recommendation stamp it (shown, clicked,
 * dismissed, purchased) the first time only.
 *
 * An event is its id: a second line with the same id changes nothing and
 * is echoed with "new":false. Lines are written in batched transactions,
 * each committed before its output is written (esc_crm_sync), as esc-log
 * does, so what crm-track has printed is in the store.
 *
 * The line is validated and spliced with the line scanner, so the echo
 * keeps every byte of the input. Its values are read from the list the
 * scanner's fast path keeps, by jansson's rules (a key given twice has its
 * last value; metadata is stored as esc_json_text writes what jansson
 * reads): building a jansson tree of every line cost a third of the run.
 * A line the fast path did not take, or one jansson would refuse (a NUL in
 * a string, an integer past 64 bits), is read through jansson, so it is
 * judged, and refused, in jansson's words. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "batch.h"
#include "crm.h"
#include "fastjson.h"
#include "store.h"

#define ID_MAX 256
/* The largest amount, in minor units: 10^13 (a hundred billion dollars).
 * Reports sum amounts as 64-bit integers; a cap far below 2^63 keeps a
 * forged amount from making those sums overflow. */
#define AMOUNT_MAX 10000000000000LL
/* decimals a currency may have in crm/currencies.json (ISO 4217 uses 0 to 4) */
#define DECIMALS_MAX 6

enum stmt {
	I_FIND, I_INS, R_BYID, R_BYTYPE, R_SHOWN, R_CLICKED, R_DISMISSED, R_PURCHASED,
	H_CONTACT, H_LIST,
	ST_N
};

static const char *const sql[ST_N] = {
	[I_FIND] = "SELECT id, recommendation_id, type, customer_id FROM interactions "
		"WHERE event_id = ?1",
	[I_INS] = "INSERT INTO interactions (event_id, customer_id, type, session_id, "
		"recommendation_id, amount_cents, at, metadata, logged_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (event_id) DO NOTHING",
	/* a recommendation is linked only to its own customer's events */
	[R_BYID] = "SELECT id FROM recommendations WHERE id = ?1 AND customer_id = ?2",
	[R_BYTYPE] = "SELECT id FROM recommendations WHERE session_id = ?1 AND type = ?2 "
		"AND customer_id = ?3",
	[R_SHOWN] = "UPDATE recommendations SET shown_at = coalesce(shown_at, ?2) WHERE id = ?1",
	[R_CLICKED] = "UPDATE recommendations SET clicked_at = coalesce(clicked_at, ?2) "
		"WHERE id = ?1",
	[R_DISMISSED] = "UPDATE recommendations SET dismissed_at = coalesce(dismissed_at, ?2) "
		"WHERE id = ?1",
	/* the first purchase sets the revenue; a later one changes nothing */
	[R_PURCHASED] = "UPDATE recommendations SET revenue_cents = CASE WHEN purchased_at "
		"IS NULL THEN ?3 ELSE revenue_cents END, purchased_at = coalesce(purchased_at, ?2) "
		"WHERE id = ?1",
	[H_CONTACT] = "SELECT customer_id, external_id, name, email, phone, timezone, "
		"consent_sms, consent_email, consent_calls, consented_at, blocked, "
		"blocked_reason, blocked_at, source, created_at, updated_at FROM contacts "
		"WHERE customer_id = ?1",
	[H_LIST] = "SELECT 0, at, id, event_id, type, session_id, recommendation_id, "
		"amount_cents, metadata FROM interactions WHERE customer_id = ?1 "
		"UNION ALL SELECT 1, c.at, c.id, c.event_id, c.channel, NULL, c.granted, NULL, NULL "
		"FROM consent_changes c JOIN contacts k ON k.id = c.contact_id "
		"WHERE k.customer_id = ?1 ORDER BY 2, 1, 3",
};

/* Seed 003's interaction types; the schema's CHECK spells the same ten. */
enum ev_type {
	EV_INTAKE, EV_STARTED, EV_COMPLETED, EV_SUMMARY, EV_SHOWN, EV_CLICKED,
	EV_DISMISSED, EV_CHECKOUT_STARTED, EV_CHECKOUT_COMPLETED, EV_WAIVER, EV_N
};
static const char *const ev_names[EV_N] = {
	"intake_submitted", "session_started", "session_completed", "summary_viewed",
	"upsell_shown", "upsell_clicked", "upsell_dismissed", "checkout_started",
	"checkout_completed", "waiver_accepted",
};
#define EV_LIST "intake_submitted, session_started, session_completed, summary_viewed, " \
	"upsell_shown, upsell_clicked, upsell_dismissed, checkout_started, " \
	"checkout_completed, waiver_accepted, or contact"

struct esc_crm {
	sqlite3 *db;
	struct esc_crm_opts o;
	sqlite3_stmt *st[ST_N];
	struct esc_scan scan;
	struct esc_contacts *contacts;
	json_t *currencies;          /* share/crm/currencies.json */
	struct esc_batch batch;
	struct esc_buf obj;
	/* a line read through jansson, listed as the scanner lists one */
	struct esc_fast_member *jv;
	size_t njv, capjv;
};

/* ---- reading members ---- */

json_t *
esc_crm_member(json_t *o, const char *name, const char *alias)
{
	json_t *v = json_object_get(o, name);

	if ((!v || json_is_null(v)) && alias)
		v = json_object_get(o, alias);
	return v && !json_is_null(v) ? v : NULL;
}

/* the key a member was found under, for messages */
static const char *
member_key(json_t *o, const char *name, const char *alias)
{
	json_t *v = json_object_get(o, name);

	return (!v || json_is_null(v)) && alias ? alias : name;
}

/* esc_crm_id's checks, on the value however it was read: an integer
 * (is_int, i) or a string (s, len; NULL for any other type) */
static int
id_value(const char *key, int is_int, long long i, const char *s, size_t len, char *buf,
	size_t n, const char **v, struct esc_err *err)
{
	if (is_int) {
		snprintf(buf, n, "%lld", i);
		*v = buf;
		return 1;
	}
	if (!s || len == 0) {
		esc_err_set(err, "field \"%s\" must be a non-empty string or a whole number", key);
		return -1;
	}
	if (len > ID_MAX) {
		esc_err_set(err, "field \"%s\" is longer than %d bytes", key, ID_MAX);
		return -1;
	}
	*v = s;
	return 1;
}

/* esc_crm_time's check: s is the string (len bytes), or NULL */
static int
time_value(const char *key, const char *s, size_t len, time_t *t, struct esc_err *err)
{
	if (!s || esc_time_parse(s, len, t) < 0) {
		esc_err_set(err, "field \"%s\" must be an RFC 3339 time, like "
			"\"2026-03-01T10:00:00Z\"", key);
		return -1;
	}
	return 1;
}

int
esc_crm_id(json_t *o, const char *name, const char *alias, char *buf, size_t n,
	const char **v, struct esc_err *err)
{
	json_t *j = esc_crm_member(o, name, alias);

	if (!j)
		return 0;
	return id_value(member_key(o, name, alias), json_is_integer(j), json_integer_value(j),
		json_is_string(j) ? json_string_value(j) : NULL, json_string_length(j), buf, n,
		v, err);
}

int
esc_crm_time(json_t *o, const char *name, const char *alias, time_t *t, struct esc_err *err)
{
	json_t *j = esc_crm_member(o, name, alias);

	if (!j)
		return 0;
	return time_value(member_key(o, name, alias), json_is_string(j) ?
		json_string_value(j) : NULL, json_string_length(j), t, err);
}

/* ---- reading members from the scanner's list ---- */

static const struct esc_fast_member *
obj_getn(const struct esc_crm_obj *o, const char *name, size_t len)
{
	const struct esc_fast_member *v = NULL;
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->m[i].depth == o->depth && o->m[i].klen == len &&
		    memcmp(o->m[i].key, name, len) == 0)
			v = &o->m[i];
	return v;
}

const struct esc_fast_member *
esc_crm_obj_get(const struct esc_crm_obj *o, const char *name)
{
	return obj_getn(o, name, strlen(name));
}

const struct esc_fast_member *
esc_crm_obj_member(const struct esc_crm_obj *o, const char *name, const char *alias)
{
	const struct esc_fast_member *v = esc_crm_obj_get(o, name);

	if ((!v || v->t == ESC_FAST_NULL) && alias)
		v = esc_crm_obj_get(o, alias);
	return v && v->t != ESC_FAST_NULL ? v : NULL;
}

static const char *
obj_member_key(const struct esc_crm_obj *o, const char *name, const char *alias)
{
	const struct esc_fast_member *v = esc_crm_obj_get(o, name);

	return (!v || v->t == ESC_FAST_NULL) && alias ? alias : name;
}

int
esc_crm_obj_id(const struct esc_crm_obj *o, const char *name, const char *alias, char *buf,
	size_t n, const char **v, struct esc_err *err)
{
	const struct esc_fast_member *j = esc_crm_obj_member(o, name, alias);

	if (!j)
		return 0;
	return id_value(obj_member_key(o, name, alias), j->t == ESC_FAST_INT, j->i,
		j->t == ESC_FAST_STRING ? j->s : NULL, j->n, buf, n, v, err);
}

int
esc_crm_obj_time(const struct esc_crm_obj *o, const char *name, const char *alias, time_t *t,
	struct esc_err *err)
{
	const struct esc_fast_member *j = esc_crm_obj_member(o, name, alias);

	if (!j)
		return 0;
	return time_value(obj_member_key(o, name, alias), j->t == ESC_FAST_STRING ? j->s : NULL,
		j->n, t, err);
}

void
esc_crm_obj_sub(const struct esc_crm_obj *o, const struct esc_fast_member *v,
	struct esc_crm_obj *sub)
{
	const struct esc_fast_member *p = v + 1, *end = o->m + o->n;

	while (p < end && p->depth > v->depth)
		p++;
	sub->m = v + 1;
	sub->n = (size_t)(p - (v + 1));
	sub->depth = v->depth + 1;
}

/* The value at *p (and what it holds, up to end) as jansson would have
 * read it; *p moves past it. NULL when out of memory. */
static json_t *
tree(const struct esc_fast_member **p, const struct esc_fast_member *end)
{
	const struct esc_fast_member *v = (*p)++, *m;
	json_t *j, *k;

	switch (v->t) {
	case ESC_FAST_OBJECT:
	case ESC_FAST_ARRAY:
		if (!(j = v->t == ESC_FAST_OBJECT ? json_object() : json_array()))
			return NULL;
		while (*p < end && (*p)->depth > v->depth) {
			m = *p;
			/* the parser's own call: a key given twice keeps its
			 * place and takes the later value */
			if (!(k = tree(p, end)) || (v->t == ESC_FAST_OBJECT ?
			    json_object_setn_new_nocheck(j, m->key, m->klen, k) :
			    json_array_append_new(j, k))) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case ESC_FAST_INT: return json_integer(v->i);
	case ESC_FAST_DOUBLE: return json_real(v->d);
	case ESC_FAST_STRING: return json_stringn_nocheck(v->s, v->n);
	case ESC_FAST_TRUE: return json_true();
	case ESC_FAST_FALSE: return json_false();
	default: return json_null();
	}
}

/* The JSON text the store keeps of the value v (an object, for metadata):
 * esc_json_text of what jansson would have read. Caller frees; NULL when
 * out of memory. */
static char *
obj_text(const struct esc_fast_member *v, const struct esc_fast_member *end)
{
	json_t *j = tree(&v, end);
	char *t = j ? esc_json_text(j) : NULL;

	json_decref(j);
	return t;
}

/* ---- the store ---- */

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Step a statement: 1 for a row (the caller resets), 0 when done (reset
 * here), -1 with err. */
static int
step(struct esc_crm *c, sqlite3_stmt *st, struct esc_err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return 0;
	}
	esc_store_err(c->db, err);
	err->code = ESC_EXIT_STORE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return -1;
}

static void
done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* ---- journey events ---- */

/* The amount in cents: "amount_cents" (an integer), else "amount" in the
 * currency's major unit, on the line or else in its metadata. 1 when
 * there, 0 when not, -1 with err. */
static int
amount(struct esc_crm *c, const struct esc_crm_obj *root, const struct esc_crm_obj *meta,
	long long *cents, struct esc_err *err)
{
	const struct esc_crm_obj *o;
	const struct esc_fast_member *j, *cur;
	json_t *dec;
	long long scale = 1;
	double x;
	int d, i;

	o = esc_crm_obj_member(root, "amount_cents", NULL) ||
		esc_crm_obj_member(root, "amount", NULL) || !meta ? root : meta;
	if ((j = esc_crm_obj_member(o, "amount_cents", NULL))) {
		if (j->t != ESC_FAST_INT || j->i < 0) {
			esc_err_set(err, "field \"amount_cents\" must be a whole number of cents, "
				"0 or more");
			return -1;
		}
		if (j->i > AMOUNT_MAX) {
			esc_err_set(err, "field \"amount_cents\" is too large (at most %lld)",
				AMOUNT_MAX);
			return -1;
		}
		*cents = j->i;
		return 1;
	}
	if (!(j = esc_crm_obj_member(o, "amount", NULL)))
		return 0;
	if ((j->t != ESC_FAST_INT && j->t != ESC_FAST_DOUBLE) ||
	    !isfinite(x = j->t == ESC_FAST_INT ? (double)j->i : j->d) || x < 0) {
		esc_err_set(err, "field \"amount\" must be a number, 0 or more");
		return -1;
	}
	/* the currency's minor unit: JPY has none, KWD three */
	if (!(cur = esc_crm_obj_member(root, "currency", NULL)) && meta)
		cur = esc_crm_obj_member(meta, "currency", NULL);
	if (cur && (cur->t != ESC_FAST_STRING || cur->n != 3)) {
		esc_err_set(err, "field \"currency\" must be an ISO 4217 code, like \"USD\"");
		return -1;
	}
	d = (int)json_integer_value(json_object_get(c->currencies, "default"));
	if (cur) {
		char code[4];

		for (i = 0; i < 3; i++) {
			char ch = cur->s[i];

			code[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
		}
		code[3] = '\0';
		if ((dec = json_object_get(json_object_get(c->currencies, "decimals"), code)))
			d = (int)json_integer_value(dec);
	}
	for (i = 0; i < d; i++)
		scale *= 10;
	x *= (double)scale;
	if (x > (double)AMOUNT_MAX) {
		esc_err_set(err, "field \"amount\" is too large");
		return -1;
	}
	/* what is left after the minor unit must be the error of binary
	 * fractions (19.99 * 100 = 1998.9999999999998), not a real fraction
	 * of a cent: a bound that grows with x only as fast as that error */
	if (fabs(x - (double)llround(x)) > 1e-6 + x * 1e-14) {
		esc_err_set(err, "field \"amount\" has more decimals than its currency (%d)", d);
		return -1;
	}
	*cents = llround(x);
	return 1;
}

static void
put_id(struct esc_buf *b, long long id)
{
	if (id > 0)
		esc_buf_printf(b, "%lld", id);
	else
		esc_buf_puts(b, "null");
}

static enum esc_rc
event_line(struct esc_crm *c, const struct esc_crm_obj *root, const char *type,
	const struct esc_rec *rec, struct esc_err *err)
{
	char idbuf[32], custbuf[32], sessbuf[32];
	const char *id = NULL, *cust = NULL, *sess = NULL, *rtype = NULL;
	long long cents = 0, recid = 0, rowid = 0, want = 0;
	const struct esc_fast_member *jm, *jr;
	struct esc_crm_obj metaobj, *meta = NULL;
	char *metatext = NULL;
	sqlite3_stmt *st;
	int ty, r, has_amount, fresh = 0;
	time_t at;

	for (ty = 0; ty < EV_N && strcmp(type, ev_names[ty]); ty++)
		;
	if (ty == EV_N) {
		esc_err_set(err, "unknown type \"%.64s\": one of " EV_LIST, type);
		return ESC_REC_REJECT;
	}
	if ((r = esc_crm_obj_id(root, "id", "event_id", idbuf, sizeof idbuf, &id, err)) <= 0) {
		if (!r)
			esc_err_set(err, "field \"id\" missing: an event needs its id (or \"event_id\")");
		return ESC_REC_REJECT;
	}
	if ((r = esc_crm_obj_id(root, "customer", "customer_id", custbuf, sizeof custbuf, &cust,
	    err)) <= 0) {
		if (!r)
			esc_err_set(err, "field \"customer\" missing (or \"customer_id\")");
		return ESC_REC_REJECT;
	}
	if (esc_crm_obj_id(root, "session", "session_id", sessbuf, sizeof sessbuf, &sess,
	    err) < 0)
		return ESC_REC_REJECT;
	if ((r = esc_crm_obj_time(root, "at", "time", &at, err)) <= 0) {
		if (!r)
			esc_err_set(err, "field \"at\" missing: an event needs its time (or \"time\")");
		return ESC_REC_REJECT;
	}
	if ((jm = esc_crm_obj_get(root, "metadata")) && jm->t != ESC_FAST_NULL) {
		if (jm->t != ESC_FAST_OBJECT) {
			esc_err_set(err, "field \"metadata\" must be an object");
			return ESC_REC_REJECT;
		}
		esc_crm_obj_sub(root, jm, &metaobj);
		meta = &metaobj;
	}
	if ((has_amount = amount(c, root, meta, &cents, err)) < 0)
		return ESC_REC_REJECT;
	if ((jr = esc_crm_obj_member(root, "recommendation_id", NULL))) {
		if (jr->t != ESC_FAST_INT || jr->i <= 0) {
			esc_err_set(err, "field \"recommendation_id\" must be a recommendation's "
				"number, as upsell-gen prints it");
			return ESC_REC_REJECT;
		}
		want = jr->i;
	} else if ((jr = esc_crm_obj_member(root, "recommendation", NULL))) {
		if (jr->t != ESC_FAST_STRING || jr->n == 0 || jr->n > ID_MAX) {
			esc_err_set(err, "field \"recommendation\" must be a recommendation type, "
				"like \"video_upgrade\"");
			return ESC_REC_REJECT;
		}
		rtype = jr->s;
	}

	/* which recommendation: a missing one is a warning, not a reject */
	if (want || rtype) {
		if (want) {
			st = c->st[R_BYID];
			sqlite3_bind_int64(st, 1, want);
			bind_text(st, 2, cust);
		} else {
			st = c->st[R_BYTYPE];
			bind_text(st, 1, sess);
			bind_text(st, 2, rtype);
			bind_text(st, 3, cust);
		}
		if ((r = sess || want ? step(c, st, err) : 0) < 0)
			return ESC_REC_FATAL;
		if (r) {
			recid = sqlite3_column_int64(st, 0);
			done(st);
		} else if (want) {
			esc_err_set(err, "event %.64s: recommendation %lld of customer %.64s is not in "
				"the store: kept, unlinked", id, want, cust);
		} else if (!sess) {
			done(st);
			esc_err_set(err, "event %.64s: recommendation \"%.64s\" without a \"session\" "
				"names nothing: kept, unlinked", id, rtype);
		} else {
			esc_err_set(err, "event %.64s: no recommendation \"%.64s\" for session %.64s of "
				"customer %.64s in the store: kept, unlinked", id, rtype, sess, cust);
		}
	}

	if (meta && !(metatext = obj_text(jm, root->m + root->n))) {
		esc_err_set(err, "out of memory");
		return ESC_REC_FATAL;
	}
	st = c->st[I_INS];
	bind_text(st, 1, id);
	bind_text(st, 2, cust);
	bind_text(st, 3, ev_names[ty]);
	bind_text(st, 4, sess);
	if (recid)
		sqlite3_bind_int64(st, 5, recid);
	if (has_amount)
		sqlite3_bind_int64(st, 6, cents);
	sqlite3_bind_int64(st, 7, at);
	bind_text(st, 8, metatext);
	sqlite3_bind_int64(st, 9, esc_time_now());
	r = step(c, st, err);
	free(metatext);
	if (r < 0)
		return ESC_REC_FATAL;
	if (!sqlite3_changes(c->db)) {
		/* an event seen before changes nothing: say what is stored, and
		 * nothing of a recommendation looked up for a new one */
		err->msg[0] = '\0';
		st = c->st[I_FIND];
		bind_text(st, 1, id);
		if ((r = step(c, st, err)) <= 0) {
			if (r == 0)
				esc_err_set(err, "event %.64s: neither inserted nor found", id);
			err->code = ESC_EXIT_STORE;
			return ESC_REC_FATAL;
		}
		rowid = sqlite3_column_int64(st, 0);
		recid = sqlite3_column_int64(st, 1);
		if (strcmp((const char *)sqlite3_column_text(st, 2), ev_names[ty]) ||
		    strcmp((const char *)sqlite3_column_text(st, 3), cust))
			esc_err_set(err, "event %.64s is already in the store with another type or "
				"customer: kept as it was", id);
		done(st);
		goto echo;
	}
	rowid = sqlite3_last_insert_rowid(c->db);
	fresh = 1;

	if (recid) {
		st = ty == EV_SHOWN ? c->st[R_SHOWN] : ty == EV_CLICKED ? c->st[R_CLICKED] :
			ty == EV_DISMISSED ? c->st[R_DISMISSED] :
			ty == EV_CHECKOUT_COMPLETED ? c->st[R_PURCHASED] : NULL;
		if (st) {
			sqlite3_bind_int64(st, 1, recid);
			sqlite3_bind_int64(st, 2, at);
			if (has_amount)
				sqlite3_bind_int64(st, 3, cents);
			if (step(c, st, err) < 0)
				return ESC_REC_FATAL;
		}
	}
echo:
	/* no printf: it was a twentieth of the run */
	c->obj.len = 0;
	esc_buf_puts(&c->obj, "{\"kind\":\"event\",\"id\":");
	esc_buf_int(&c->obj, rowid);
	esc_buf_puts(&c->obj, fresh ? ",\"new\":true,\"recommendation\":" :
		",\"new\":false,\"recommendation\":");
	put_id(&c->obj, recid);
	esc_buf_putc(&c->obj, '}');
	return ESC_REC_OK;
}

/* ---- the line, the batch ---- */

/* Would jansson read the line as simdjson did? It refuses a NUL in a
 * string or a key (simdjson keeps it) and an integer past 64 bits signed
 * (simdjson has one more bit); such a line is read through jansson, to
 * be refused in its words. */
static int
jansson_agrees(const struct esc_scan *s, const char *line, size_t len)
{
	size_t i;

	if (memchr(line, '\\', len) && memmem(line, len, "\\u0000", 6))
		return 0;
	for (i = 0; i < s->nvals; i++)
		if (s->vals[i].t == ESC_FAST_UINT ||
		    (s->vals[i].t == ESC_FAST_DOUBLE && !isfinite(s->vals[i].d)))
			return 0;
	return 1;
}

/* One value of a jansson tree onto c->jv, and what it holds after it.
 * -1 when out of memory. */
static int
flatten_one(struct esc_crm *c, const char *key, json_t *v, int depth)
{
	struct esc_fast_member *m;
	const char *k;
	json_t *e;
	size_t i;

	if (c->njv == c->capjv) {
		size_t cap = c->capjv ? 2 * c->capjv : 64;

		if (!(m = realloc(c->jv, cap * sizeof *m)))
			return -1;
		c->jv = m;
		c->capjv = cap;
	}
	m = &c->jv[c->njv++];
	memset(m, 0, sizeof *m);
	m->depth = depth;
	m->key = key;
	m->klen = key ? strlen(key) : 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		m->t = ESC_FAST_OBJECT;
		json_object_foreach(v, k, e)
			if (flatten_one(c, k, e, depth + 1) < 0)
				return -1;
		break;
	case JSON_ARRAY:
		m->t = ESC_FAST_ARRAY;
		json_array_foreach(v, i, e)
			if (flatten_one(c, NULL, e, depth + 1) < 0)
				return -1;
		break;
	case JSON_STRING:
		m->t = ESC_FAST_STRING;
		m->s = json_string_value(v);
		m->n = json_string_length(v);
		break;
	case JSON_INTEGER:
		m->t = ESC_FAST_INT;
		m->i = json_integer_value(v);
		break;
	case JSON_REAL:
		m->t = ESC_FAST_DOUBLE;
		m->d = json_real_value(v);
		break;
	case JSON_TRUE: m->t = ESC_FAST_TRUE; break;
	case JSON_FALSE: m->t = ESC_FAST_FALSE; break;
	default: m->t = ESC_FAST_NULL; break;
	}
	return 0;
}

/* A line jansson has read, listed in c->jv as the scanner lists one: its
 * members at depth 1. -1 when out of memory. */
static int
flatten(struct esc_crm *c, json_t *doc)
{
	const char *k;
	json_t *e;

	c->njv = 0;
	json_object_foreach(doc, k, e)
		if (flatten_one(c, k, e, 1) < 0)
			return -1;
	return 0;
}

enum esc_rc
esc_crm_line(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct esc_crm *c = arg;
	const struct esc_fast_member *jt;
	struct esc_crm_obj root;
	json_error_t je;
	enum esc_rc rc;
	json_t *doc = NULL;

	if (esc_scan_line(&c->scan, rec->line, rec->len, NULL, NULL, err) < 0)
		return ESC_REC_REJECT;
	if (c->scan.has_vals && jansson_agrees(&c->scan, rec->line, rec->len)) {
		root.m = c->scan.vals;
		root.n = c->scan.nvals;
	} else {
		/* the streaming scanner has checked it; jansson can still refuse
		 * what it cannot hold (an integer past 64 bits, a NUL inside a
		 * string) */
		if (!(doc = json_loadb(rec->line, rec->len, 0, &je))) {
			esc_json_load_err(err, &je);
			return ESC_REC_REJECT;
		}
		if (flatten(c, doc) < 0) {
			json_decref(doc);
			esc_err_set(err, "out of memory");
			err->code = ESC_EXIT_IO;
			/* nothing of the batch is kept that will not be printed */
			esc_batch_undo(&c->batch, err);
			return ESC_REC_FATAL;
		}
		root.m = c->jv;
		root.n = c->njv;
	}
	root.depth = 1;
	if (!(jt = esc_crm_obj_get(&root, "type")) || jt->t == ESC_FAST_NULL) {
		esc_err_set(err, "field \"type\" missing: an event type (" EV_LIST ")");
		json_decref(doc);
		return ESC_REC_REJECT;
	}
	if (jt->t != ESC_FAST_STRING) {
		esc_err_set(err, "field \"type\" must be a string");
		json_decref(doc);
		return ESC_REC_REJECT;
	}
	/* Every check that can reject a line comes before its first write, so
	 * only a store failure leaves a line half-done: then the whole batch
	 * is undone. */
	if (esc_batch_begin(&c->batch, rec, out, err) < 0) {
		json_decref(doc);
		return ESC_REC_FATAL;
	}
	if (strcmp(jt->s, "contact") == 0)
		rc = esc_contacts_line(c->contacts, &root, &c->obj, err);
	else
		rc = event_line(c, &root, jt->s, rec, err);
	json_decref(doc);
	if (rc == ESC_REC_OK)
		esc_splice(out, &c->scan, rec->line, c->obj.p, c->obj.len);
	/* out of memory stops the run: nothing of the batch is kept that
	 * will not be printed */
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		rc = ESC_REC_FATAL;
	}
	if (rc == ESC_REC_FATAL) {
		esc_batch_undo(&c->batch, err);
		return rc;
	}
	if (rc != ESC_REC_OK)
		return rc;
	return esc_batch_line_done(&c->batch, err) ? ESC_REC_FATAL : ESC_REC_OK;
}

int
esc_crm_sync(void *arg, struct esc_err *err)
{
	struct esc_crm *c = arg;

	return esc_batch_commit(&c->batch, err);
}

static int
decimals_ok(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 &&
		json_integer_value(v) <= DECIMALS_MAX;
}

struct esc_crm *
esc_crm_new(sqlite3 *db, const struct esc_crm_opts *o, struct esc_err *err)
{
	struct esc_crm *c = calloc(1, sizeof *c);
	const char *key;
	json_t *d, *v;
	int i;

	if (!c || esc_scan_init(&c->scan, "crm") < 0) {
		free(c);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	/* no callback: simdjson checks the line first, and lists its values */
	c->scan.tree = 1;
	c->db = db;
	c->o = *o;
	if (!(c->currencies = esc_share_json("crm/currencies.json", err))) {
		err->code = ESC_EXIT_DATA;
		esc_crm_free(c, NULL);
		return NULL;
	}
	if (!decimals_ok(json_object_get(c->currencies, "default")) ||
	    !json_is_object(d = json_object_get(c->currencies, "decimals"))) {
		esc_err_set(err, "%s/crm/currencies.json: needs \"default\" (decimals) and "
			"\"decimals\" (an object: code to decimals)", esc_share_dir());
		err->code = ESC_EXIT_DATA;
		esc_crm_free(c, NULL);
		return NULL;
	}
	json_object_foreach(d, key, v)
		if (!decimals_ok(v)) {
			esc_err_set(err, "%s/crm/currencies.json: decimals of \"%.16s\" must be a "
				"whole number from 0 to %d", esc_share_dir(), key, DECIMALS_MAX);
			err->code = ESC_EXIT_DATA;
			esc_crm_free(c, NULL);
			return NULL;
		}
	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
		    NULL) != SQLITE_OK) {
			esc_store_err(db, err);
			err->code = ESC_EXIT_STORE;
			esc_crm_free(c, NULL);
			return NULL;
		}
	if (!(c->contacts = esc_contacts_new(db, err)) ||
	    esc_batch_init(&c->batch, db, c->o.batch, err) < 0) {
		err->code = ESC_EXIT_STORE;
		esc_crm_free(c, NULL);
		return NULL;
	}
	return c;
}

int
esc_crm_free(struct esc_crm *c, struct esc_err *err)
{
	struct esc_err tmp;
	int i, rc = 0;

	if (!c)
		return 0;
	if (esc_batch_free(&c->batch, err ? err : &tmp) < 0)
		rc = -1;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(c->st[i]);
	esc_contacts_free(c->contacts);
	json_decref(c->currencies);
	esc_scan_free(&c->scan);
	esc_buf_free(&c->obj);
	free(c->jv);
	free(c);
	return rc;
}

/* ---- -l: one person's story ---- */

static void
put_time(struct esc_buf *b, const char *key, sqlite3_stmt *st, int col)
{
	char t[32];

	esc_buf_printf(b, ",\"%s\":", key);
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		esc_buf_puts(b, "null");
	else {
		esc_time_format(sqlite3_column_int64(st, col), t, sizeof t);
		esc_buf_json_str(b, t, strlen(t));
	}
}

static void
put_text(struct esc_buf *b, const char *key, sqlite3_stmt *st, int col)
{
	esc_buf_printf(b, ",\"%s\":", key);
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		esc_buf_puts(b, "null");
	else
		esc_buf_json_str(b, (const char *)sqlite3_column_text(st, col),
			(size_t)sqlite3_column_bytes(st, col));
}

static void
put_bool(struct esc_buf *b, const char *key, sqlite3_stmt *st, int col)
{
	esc_buf_printf(b, ",\"%s\":%s", key, sqlite3_column_int(st, col) ? "true" : "false");
}

long
esc_crm_history(sqlite3 *db, const char *customer, struct esc_buf *out, struct esc_err *err)
{
	sqlite3_stmt *st = NULL;
	long n = 0;
	int rc;

	/* the contact first, when there is one */
	if (sqlite3_prepare_v2(db, sql[H_CONTACT], -1, &st, NULL) != SQLITE_OK)
		goto fail;
	bind_text(st, 1, customer);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		esc_buf_puts(out, "{\"kind\":\"contact\"");
		put_text(out, "customer", st, 0);
		put_text(out, "external_id", st, 1);
		put_text(out, "name", st, 2);
		put_text(out, "email", st, 3);
		put_text(out, "phone", st, 4);
		put_text(out, "timezone", st, 5);
		esc_buf_printf(out, ",\"consent\":{\"sms\":%s,\"email\":%s,\"calls\":%s}",
			sqlite3_column_int(st, 6) ? "true" : "false",
			sqlite3_column_int(st, 7) ? "true" : "false",
			sqlite3_column_int(st, 8) ? "true" : "false");
		put_time(out, "consented_at", st, 9);
		put_bool(out, "blocked", st, 10);
		put_text(out, "blocked_reason", st, 11);
		put_time(out, "blocked_at", st, 12);
		put_text(out, "source", st, 13);
		put_time(out, "created_at", st, 14);
		put_time(out, "updated_at", st, 15);
		esc_buf_puts(out, "}\n");
		n++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, sql[H_LIST], -1, &st, NULL) != SQLITE_OK)
		goto fail;
	bind_text(st, 1, customer);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 0) == 0) {
			esc_buf_puts(out, "{\"kind\":\"event\"");
			put_text(out, "id", st, 3);
			put_text(out, "type", st, 4);
			esc_buf_puts(out, ",\"customer\":");
			esc_buf_json_str(out, customer, strlen(customer));
			put_text(out, "session", st, 5);
			put_time(out, "at", st, 1);
			esc_buf_puts(out, ",\"recommendation_id\":");
			put_id(out, sqlite3_column_int64(st, 6));
			esc_buf_puts(out, ",\"amount_cents\":");
			if (sqlite3_column_type(st, 7) == SQLITE_NULL)
				esc_buf_puts(out, "null");
			else
				esc_buf_printf(out, "%lld", (long long)sqlite3_column_int64(st, 7));
			/* kept as compact JSON by crm-track: copied as it is */
			esc_buf_puts(out, ",\"metadata\":");
			if (sqlite3_column_type(st, 8) == SQLITE_NULL)
				esc_buf_puts(out, "null");
			else
				esc_buf_put(out, sqlite3_column_text(st, 8),
					(size_t)sqlite3_column_bytes(st, 8));
		} else {
			esc_buf_puts(out, "{\"kind\":\"consent\"");
			put_text(out, "id", st, 3);
			esc_buf_puts(out, ",\"customer\":");
			esc_buf_json_str(out, customer, strlen(customer));
			put_text(out, "channel", st, 4);
			put_bool(out, "granted", st, 6);
			put_time(out, "at", st, 1);
		}
		esc_buf_puts(out, "}\n");
		n++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return n;
fail:
	esc_store_err(db, err);
	sqlite3_finalize(st);
	return -1;
}
