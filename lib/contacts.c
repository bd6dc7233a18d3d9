/* contacts.c — crm-track's contact lines: seed 002's end-user fields and
 * their consent, validated and upserted by customer id.
 *
 * A member absent from the line leaves the field as it is; null clears it;
 * a value sets it, unless the line is older (by its at) than the newest
 * line that changed a field (fields_at): then it changes no field, so an
 * export fed again or out of order cannot set one back. Every consent the line changes is kept in
 * consent_changes with the time it was given or withdrawn (consented_at,
 * else the line's at, else now); a new contact keeps every channel the
 * line names, granted or refused, as its first record; a change already
 * kept (same channel, value and time) is not kept twice. A consent older
 * than the channel's latest change kept is history: it is kept as a
 * change, but the contact's consent stays as the later change left it, so
 * an old file fed again cannot give back a consent withdrawn since. A
 * line that changes nothing writes nothing, so feeding the same file twice
 * is a no-op and does not make an old contact look fresh to the retention
 * rule. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crm.h"
#include "fastjson.h"
#include "store.h"

/* ---- field checks ---- */

int
esc_phone_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 3 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
esc_phone_norm(const char *s, char out[ESC_PHONE_MAX])
{
	size_t o = 1, trunk = 0;
	int open = 0;

	/* the international prefix: "+", or the "00" dialled in most of the
	 * world; a national number cannot be made E.164 without its country */
	while (*s == ' ')
		s++;
	if (*s == '+')
		s++;
	else if (s[0] == '0' && s[1] == '0')
		s += 2;
	else
		return -1;
	out[0] = '+';
	for (; *s; s++) {
		/* "+44 (0)20 ...": the trunk 0 a caller inside the country dials,
		 * once, after a country code of 1 to 3 digits and before the rest */
		if (s[0] == '(' && s[1] == '0' && s[2] == ')') {
			if (trunk || o < 2 || o > 4)
				return -1;
			trunk = o;
			s += 2;
			continue;
		}
		if (*s >= '0' && *s <= '9') {
			if (o == ESC_PHONE_MAX - 1)
				return -1;
			out[o++] = *s;
		} else if (*s == '(' || *s == ')') {
			/* "+1 (555 555-1234" was mistyped, maybe a digit short:
			 * brackets pair, and never nest */
			if (open == (*s == '('))
				return ESC_PHONE_BRACKET;
			open = *s == '(';
		} else if (!strchr(" -.", *s)) {
			return -1;
		}
	}
	if (open)
		return ESC_PHONE_BRACKET;
	if (trunk && trunk == o)
		return -1;
	out[o] = '\0';
	return esc_phone_valid(out) ? 0 : -1;
}

int
esc_email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *dom, *p;
	size_t n = strlen(s);

	if (!at || at == s || strchr(at + 1, '@') || n > 254)
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	/* seed 002: ^[^@]+@[^@]+\.[^@]+$, with no empty label in the domain */
	dom = at + 1;
	if (!*dom || *dom == '.' || s[n - 1] == '.' || strstr(dom, "..") || !strchr(dom, '.'))
		return 0;
	return 1;
}

int
esc_tz_valid(const char *name)
{
	const char *dir = getenv("TZDIR"), *p;
	char path[4096], magic[4];
	struct stat sb;
	size_t n = strlen(name);
	int fd, ok;

	/* letters, digits, "_", "+", "-" and "/" between parts: nothing
	 * that climbs out of the directory ("." never appears in a zone) */
	if (n == 0 || n > 128 || name[0] == '/' || name[n - 1] == '/' || strstr(name, "//"))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' || *p == '/'))
			return 0;
	/* files of the zone directory that name no place: "Factory" (its
	 * abbreviation is "-00"), the rules POSIX strings borrow, and the
	 * "right/" tree, whose clock counts leap seconds and runs 27 s off
	 * every timestamp esc keeps */
	if (!strcmp(name, "Factory") || !strcmp(name, "posixrules") ||
	    !strcmp(name, "localtime") || !strncmp(name, "right/", 6))
		return 0;
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return 0;
	/* a zone file, not a directory or a table like zone.tab */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK)) < 0)
		return 0;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && read(fd, magic, 4) == 4 &&
		memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* ---- the fields ---- */

/* Text fields, in the order of the SELECT's columns 1.. and the INSERT's
 * and UPDATE's parameters ?2.. */
enum cf {
	CF_EMAIL, CF_PHONE, CF_NAME, CF_EXTERNAL, CF_TIMEZONE, CF_SOURCE, CF_REASON, CF_N
};
static const struct {
	const char *key;
	int id;          /* an id: a string or an integer */
	size_t max;      /* bytes */
} cfields[CF_N] = {
	[CF_EMAIL] = { "email", 0, 254 },
	[CF_PHONE] = { "phone", 0, 64 },
	[CF_NAME] = { "name", 0, 1000 },
	[CF_EXTERNAL] = { "external_id", 1, 256 },
	[CF_TIMEZONE] = { "timezone", 0, 128 },
	[CF_SOURCE] = { "source", 0, 100 },
	[CF_REASON] = { "blocked_reason", 0, 1000 },
};
/* the consent channels: columns consent_<name>, consent_changes.channel */
enum { CH_SMS, CH_EMAIL, CH_CALLS, CH_N };
static const char *const channels[CH_N] = { "sms", "email", "calls" };

/* SELECT columns after the text fields */
enum {
	COL_ID = 0, COL_TEXT = 1, COL_CONSENT = 1 + CF_N, COL_CONSENTED_AT = COL_CONSENT + CH_N,
	COL_BLOCKED, COL_BLOCKED_AT, COL_FIELDS_AT,
};

enum stmt { K_FIND, K_INS, K_UPD, K_CHANGE, K_LATEST, ST_N };
static const char *const sql[ST_N] = {
	[K_FIND] = "SELECT id, email, phone, name, external_id, timezone, source, "
		"blocked_reason, consent_sms, consent_email, consent_calls, consented_at, "
		"blocked, blocked_at, fields_at FROM contacts WHERE customer_id = ?1",
	[K_INS] = "INSERT INTO contacts (customer_id, email, phone, name, external_id, "
		"timezone, source, blocked_reason, consent_sms, consent_email, consent_calls, "
		"consented_at, blocked, blocked_at, created_at, updated_at, fields_at) VALUES (?1, "
		"?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16)",
	[K_UPD] = "UPDATE contacts SET email = ?2, phone = ?3, name = ?4, external_id = ?5, "
		"timezone = ?6, source = ?7, blocked_reason = ?8, consent_sms = ?9, "
		"consent_email = ?10, consent_calls = ?11, consented_at = ?12, blocked = ?13, "
		"blocked_at = ?14, updated_at = ?15, fields_at = ?16 WHERE id = ?1",
	[K_CHANGE] = "INSERT INTO consent_changes (contact_id, channel, granted, at, event_id, "
		"logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (contact_id, at, channel, granted) DO NOTHING",
	/* the time of a channel's latest change: an older one is history */
	[K_LATEST] = "SELECT max(at) FROM consent_changes WHERE contact_id = ?1 AND channel = ?2",
};

struct esc_contacts {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
};

/* A contact as it is (old) or will be (new). */
struct contact {
	char *text[CF_N];        /* caller frees */
	int consent[CH_N];
	int has_consented_at, blocked, has_blocked_at, has_fields_at;
	time_t consented_at, blocked_at, fields_at;
};

static void
contact_free(struct contact *k)
{
	int i;

	for (i = 0; i < CF_N; i++)
		free(k->text[i]);
}

static int
same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int
store_fail(struct esc_contacts *k, sqlite3_stmt *st, struct esc_err *err)
{
	esc_store_err(k->db, err);
	err->code = ESC_EXIT_STORE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return -1;
}

/* Read a text field of the line: 1 with *v (NULL for null), 0 when
 * absent, -1 with err. */
static int
text_field(const struct esc_crm_obj *root, int f, const char **v, char *buf, size_t n,
	struct esc_err *err)
{
	const struct esc_fast_member *j = esc_crm_obj_get(root, cfields[f].key);
	int r;

	if (!j)
		return 0;
	*v = NULL;
	if (j->t == ESC_FAST_NULL)
		return 1;
	if (cfields[f].id) {
		r = esc_crm_obj_id(root, cfields[f].key, NULL, buf, n, v, err);
		return r < 0 ? -1 : 1;
	}
	if (j->t != ESC_FAST_STRING) {
		esc_err_set(err, "field \"%s\" must be a string or null", cfields[f].key);
		return -1;
	}
	if (j->n > cfields[f].max) {
		esc_err_set(err, "field \"%s\" is longer than %zu bytes", cfields[f].key,
			cfields[f].max);
		return -1;
	}
	*v = j->s;
	switch (f) {
	case CF_EMAIL:
		if (!esc_email_valid(*v)) {
			esc_err_set(err, "field \"email\" is not an email address");
			return -1;
		}
		break;
	case CF_PHONE:
		if ((r = esc_phone_norm(*v, buf)) < 0) {
			esc_err_set(err, r == ESC_PHONE_BRACKET ? "field \"phone\" has a bracket "
				"without its pair: write \"(\" and \")\" in pairs, like "
				"\"+1 (555) 555-1234\"" : "field \"phone\" must be an international "
				"number, like \"+15555551234\" or \"+1 (555) 555-1234\"");
			return -1;
		}
		*v = buf;
		break;
	case CF_TIMEZONE:
		if (!esc_tz_valid(*v)) {
			esc_err_set(err, "field \"timezone\" is not an IANA time zone (like "
				"\"America/New_York\") known to this system");
			return -1;
		}
		break;
	}
	return 1;
}

static int
dupstr(char **dst, const char *s, struct esc_err *err)
{
	if (s && !(*dst = strdup(s))) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		return -1;
	}
	return 0;
}

enum esc_rc
esc_contacts_line(struct esc_contacts *k, const struct esc_crm_obj *root, struct esc_buf *obj,
	struct esc_err *err)
{
	char custbuf[32], evbuf[32], extbuf[32], phonebuf[ESC_PHONE_MAX];
	const char *cust = NULL, *evid = NULL, *val[CF_N] = { 0 };
	int given[CF_N] = { 0 }, cgiven[CH_N] = { 0 }, cval[CH_N] = { 0 }, stale[CH_N] = { 0 };
	struct contact old = { 0 }, nw = { 0 };
	int i, r, exists, fresh = 0, changed = 0, nchanges = 0, kept = 0, blocked = -1, has_cat;
	int fields = 0;
	long long rowid = 0;
	time_t at = 0, cat = 0, when, now = esc_time_now();
	const struct esc_fast_member *j, *jc, *v, *jcat;
	struct esc_crm_obj consent;
	size_t it;
	sqlite3_stmt *st;
	enum esc_rc rc = ESC_REC_FATAL;

	/* ---- read and check every member first: a reject writes nothing ---- */
	if ((r = esc_crm_obj_id(root, "customer", "customer_id", custbuf, sizeof custbuf, &cust,
	    err)) <= 0) {
		if (!r)
			esc_err_set(err, "field \"customer\" missing (or \"customer_id\")");
		return ESC_REC_REJECT;
	}
	if (esc_crm_obj_id(root, "id", "event_id", evbuf, sizeof evbuf, &evid, err) < 0)
		return ESC_REC_REJECT;
	if ((r = esc_crm_obj_time(root, "at", "time", &at, err)) < 0)
		return ESC_REC_REJECT;
	if (!r)
		at = now;
	for (i = 0; i < CF_N; i++)
		if ((given[i] = text_field(root, i, &val[i], i == CF_EXTERNAL ? extbuf :
		    i == CF_PHONE ? phonebuf : NULL, i == CF_EXTERNAL ? sizeof extbuf : 0,
		    err)) < 0)
			return ESC_REC_REJECT;
	if ((jc = esc_crm_obj_get(root, "consent"))) {
		if (jc->t != ESC_FAST_OBJECT) {
			esc_err_set(err, "field \"consent\" must be an object, like {\"sms\":true,"
				"\"email\":false,\"calls\":false}");
			return ESC_REC_REJECT;
		}
		esc_crm_obj_sub(root, jc, &consent);
		/* as jansson reads it: each channel where it first appears,
		 * with its last value; a channel is looked up once, so a
		 * key given a thousand times costs a thousand steps */
		for (it = 0; it < consent.n; it++) {
			v = &consent.m[it];
			if (v->depth != consent.depth)
				continue;
			for (i = 0; i < CH_N && strcmp(v->key, channels[i]); i++)
				;
			if (i == CH_N) {
				esc_err_set(err, "consent: unknown channel \"%.64s\" (sms, email, calls)",
					v->key);
				return ESC_REC_REJECT;
			}
			if (cgiven[i])
				continue;
			v = esc_crm_obj_get(&consent, channels[i]);
			if (v->t != ESC_FAST_TRUE && v->t != ESC_FAST_FALSE) {
				esc_err_set(err, "consent.%s must be true or false", channels[i]);
				return ESC_REC_REJECT;
			}
			cgiven[i] = 1;
			cval[i] = v->t == ESC_FAST_TRUE;
		}
	}
	jcat = esc_crm_obj_get(root, "consented_at");
	has_cat = jcat != NULL;
	if (has_cat && esc_crm_obj_time(root, "consented_at", NULL, &cat, err) < 0)
		return ESC_REC_REJECT;
	if ((j = esc_crm_obj_get(root, "blocked"))) {
		if (j->t != ESC_FAST_TRUE && j->t != ESC_FAST_FALSE) {
			esc_err_set(err, "field \"blocked\" must be true or false");
			return ESC_REC_REJECT;
		}
		blocked = j->t == ESC_FAST_TRUE;
	}

	/* ---- the contact as it is ---- */
	st = k->st[K_FIND];
	sqlite3_bind_text(st, 1, cust, -1, SQLITE_STATIC);
	if ((exists = sqlite3_step(st)) == SQLITE_ROW) {
		rowid = sqlite3_column_int64(st, COL_ID);
		for (i = 0; i < CF_N; i++)
			if (dupstr(&old.text[i], (const char *)sqlite3_column_text(st, COL_TEXT + i),
			    err) < 0) {
				sqlite3_reset(st);
				goto out;
			}
		for (i = 0; i < CH_N; i++)
			old.consent[i] = sqlite3_column_int(st, COL_CONSENT + i);
		if ((old.has_consented_at = sqlite3_column_type(st, COL_CONSENTED_AT) != SQLITE_NULL))
			old.consented_at = sqlite3_column_int64(st, COL_CONSENTED_AT);
		old.blocked = sqlite3_column_int(st, COL_BLOCKED);
		if ((old.has_blocked_at = sqlite3_column_type(st, COL_BLOCKED_AT) != SQLITE_NULL))
			old.blocked_at = sqlite3_column_int64(st, COL_BLOCKED_AT);
		if ((old.has_fields_at = sqlite3_column_type(st, COL_FIELDS_AT) != SQLITE_NULL))
			old.fields_at = sqlite3_column_int64(st, COL_FIELDS_AT);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else if (exists != SQLITE_DONE) {
		store_fail(k, st, err);
		goto out;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	exists = rowid > 0;

	/* ---- which consents are news, which history ---- */
	when = has_cat && jcat->t == ESC_FAST_STRING ? cat : at;
	st = k->st[K_LATEST];
	for (i = 0; exists && i < CH_N; i++) {
		if (!cgiven[i])
			continue;
		sqlite3_bind_int64(st, 1, rowid);
		sqlite3_bind_text(st, 2, channels[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			store_fail(k, st, err);
			goto out;
		}
		stale[i] = sqlite3_column_type(st, 0) != SQLITE_NULL &&
			when < (time_t)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}

	/* ---- the contact as the line makes it ---- */
	/* a line older than the newest that set the fields is history for
	 * them: replayed or out of order, it cannot set back what a later line
	 * changed (its consent is judged channel by channel, above) */
	if (exists && old.has_fields_at && at < old.fields_at) {
		memset(given, 0, sizeof given);
		blocked = -1;
	}
	for (i = 0; i < CF_N; i++)
		if (dupstr(&nw.text[i], given[i] ? val[i] : old.text[i], err) < 0)
			goto out;
	if (!nw.text[CF_EMAIL] && !nw.text[CF_PHONE]) {
		esc_err_set(err, exists ? "this would leave contact %.64s with neither \"email\" "
			"nor \"phone\"" : "a new contact needs \"email\" or \"phone\" (%.64s)", cust);
		rc = ESC_REC_REJECT;
		goto out;
	}
	for (i = 0; i < CH_N; i++) {
		nw.consent[i] = cgiven[i] && !stale[i] ? cval[i] : old.consent[i];
		/* a new contact's first record names every channel given */
		if (cgiven[i] && !stale[i] && (!exists || cval[i] != old.consent[i]))
			nchanges++;
	}
	nw.has_consented_at = old.has_consented_at;
	nw.consented_at = old.consented_at;
	if (has_cat && jcat->t != ESC_FAST_STRING) {
		nw.has_consented_at = 0;
	} else if ((has_cat || nchanges) &&
	    (!old.has_consented_at || when >= old.consented_at)) {
		/* it only moves forward: the latest consent given or withdrawn */
		nw.has_consented_at = 1;
		nw.consented_at = when;
	}
	nw.blocked = blocked >= 0 ? blocked : old.blocked;
	nw.has_blocked_at = old.has_blocked_at;
	nw.blocked_at = old.blocked_at;
	if (nw.blocked && !old.blocked) {
		nw.has_blocked_at = 1;
		nw.blocked_at = at;
	} else if (!nw.blocked) {
		nw.has_blocked_at = 0;
	}
	for (i = 0; i < CF_N; i++)
		fields |= !same(old.text[i], nw.text[i]);
	fields |= old.blocked != nw.blocked;
	changed = fields;
	for (i = 0; i < CH_N; i++)
		changed |= old.consent[i] != nw.consent[i];
	changed |= old.has_consented_at != nw.has_consented_at ||
		(nw.has_consented_at && old.consented_at != nw.consented_at);
	changed |= old.has_blocked_at != nw.has_blocked_at ||
		(nw.has_blocked_at && old.blocked_at != nw.blocked_at);
	/* fields_at: the newest line that changed a field (a line that
	 * changes nothing writes nothing, so a file fed twice is a no-op) */
	nw.has_fields_at = old.has_fields_at;
	nw.fields_at = old.fields_at;
	if (fields && (!old.has_fields_at || at > old.fields_at)) {
		nw.has_fields_at = 1;
		nw.fields_at = at;
	}

	/* ---- write ---- */
	if (!exists || changed) {
		st = k->st[exists ? K_UPD : K_INS];
		if (exists)
			sqlite3_bind_int64(st, 1, rowid);
		else
			sqlite3_bind_text(st, 1, cust, -1, SQLITE_STATIC);
		for (i = 0; i < CF_N; i++)
			if (nw.text[i])
				sqlite3_bind_text(st, 2 + i, nw.text[i], -1, SQLITE_STATIC);
		for (i = 0; i < CH_N; i++)
			sqlite3_bind_int(st, 2 + CF_N + i, nw.consent[i]);
		if (nw.has_consented_at)
			sqlite3_bind_int64(st, 2 + CF_N + CH_N, nw.consented_at);
		sqlite3_bind_int(st, 3 + CF_N + CH_N, nw.blocked);
		if (nw.has_blocked_at)
			sqlite3_bind_int64(st, 4 + CF_N + CH_N, nw.blocked_at);
		sqlite3_bind_int64(st, 5 + CF_N + CH_N, now);
		if (nw.has_fields_at)
			sqlite3_bind_int64(st, 6 + CF_N + CH_N, nw.fields_at);
		if (sqlite3_step(st) != SQLITE_DONE) {
			store_fail(k, st, err);
			goto out;
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (!exists)
			rowid = sqlite3_last_insert_rowid(k->db);
		fresh = !exists;
	}
	st = k->st[K_CHANGE];
	for (i = 0; i < CH_N; i++) {
		if (!cgiven[i] || (exists && !stale[i] && cval[i] == old.consent[i]))
			continue;
		sqlite3_bind_int64(st, 1, rowid);
		sqlite3_bind_text(st, 2, channels[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, cval[i]);
		sqlite3_bind_int64(st, 4, when);
		if (evid)
			sqlite3_bind_text(st, 5, evid, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_int64(st, 6, now);
		if (sqlite3_step(st) != SQLITE_DONE) {
			store_fail(k, st, err);
			goto out;
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		kept += sqlite3_changes(k->db);
	}
	obj->len = 0;
	esc_buf_puts(obj, "{\"kind\":\"contact\",\"id\":");
	esc_buf_int(obj, rowid);
	esc_buf_puts(obj, fresh ? ",\"new\":true" : ",\"new\":false");
	esc_buf_puts(obj, fresh || changed ? ",\"changed\":true" : ",\"changed\":false");
	esc_buf_puts(obj, ",\"consent_changes\":");
	esc_buf_int(obj, kept);
	esc_buf_putc(obj, '}');
	rc = ESC_REC_OK;
out:
	contact_free(&old);
	contact_free(&nw);
	return rc;
}

struct esc_contacts *
esc_contacts_new(sqlite3 *db, struct esc_err *err)
{
	struct esc_contacts *k = calloc(1, sizeof *k);
	int i;

	if (!k) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	k->db = db;
	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &k->st[i],
		    NULL) != SQLITE_OK) {
			esc_store_err(db, err);
			esc_contacts_free(k);
			return NULL;
		}
	return k;
}

void
esc_contacts_free(struct esc_contacts *k)
{
	int i;

	if (!k)
		return;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(k->st[i]);
	free(k);
}
