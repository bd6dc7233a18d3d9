/* crm.h — crm-track: the customer journey (crm.c), contacts and consent
 * (contacts.c), and forgetting people (forget.c).
 *
 * Ownership notes as in esc.h: "borrows", "steals", "caller frees". */
#ifndef ESC_CRM_H
#define ESC_CRM_H

#include <time.h>

#include "esc.h"

struct sqlite3;
struct json_t;

/* ---- the record loop's work (crm.c) ---- */
struct esc_crm;
struct esc_crm_opts {
	int batch;           /* lines per transaction at most (0: 10000) */
};
/* Borrows db for its lifetime; loads share/crm/currencies.json. NULL
 * with err (err->code ESC_EXIT_DATA for a bad data file, else the store). */
struct esc_crm *esc_crm_new(struct sqlite3 *db, const struct esc_crm_opts *o,
	struct esc_err *err);
/* An esc_rec_fn: record one journey event or contact line and append it,
 * with a "crm" object, to out. A store failure is FATAL with err->code
 * ESC_EXIT_STORE; the open batch is undone and its output taken back. */
enum esc_rc esc_crm_line(void *crm, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);
/* An esc_sync_fn: commit the open batch. */
int esc_crm_sync(void *crm, struct esc_err *err);
/* Commit what is pending and free. Returns 0, or -1 with err. */
int esc_crm_free(struct esc_crm *c, struct esc_err *err);

/* -l: a person's interactions and consent changes, oldest first, as JSON
 * lines appended to out. Returns the lines written, or -1 with err. */
long esc_crm_history(struct sqlite3 *db, const char *customer, struct esc_buf *out,
	struct esc_err *err);

/* ---- checks on contact fields (contacts.c) ---- */
/* E.164: a '+', a digit 1-9, then 1 to 14 digits. */
int esc_phone_valid(const char *s);
/* A phone number written for people ("+1 (555) 555-1234", "0044 7700
 * 900123", "+44 (0)20 7946 0000") in E.164 ("+15555551234"); -1 when it
 * has no international prefix or is not a number, ESC_PHONE_BRACKET when
 * a bracket has no pair ("+1 (555 555-1234"). */
#define ESC_PHONE_MAX 17
#define ESC_PHONE_BRACKET (-2)
int esc_phone_norm(const char *s, char out[ESC_PHONE_MAX]);
/* One '@' with something before it, and a domain with a dot inside it;
 * no spaces or control characters; at most 254 bytes. */
int esc_email_valid(const char *s);
/* A zone of the IANA database: a file that starts with "TZif" under $TZDIR
 * or /usr/share/zoneinfo. Names with "." (so "..") or a leading "/" are
 * refused before the file system is asked. */
int esc_tz_valid(const char *name);

/* ---- forgetting (forget.c) ---- */
/* Erase every row that holds the person named by id: a customer id, an
 * email, a phone number or an external id of a contact, or a raw customer
 * id with no contact. One transaction; what it frees is zeroed
 * (secure_delete, on in every esc connection), and the write-ahead log is
 * emptied. With vacuum, the file is also rebuilt (VACUUM), which drops
 * what other programs freed without zeroing; it runs even when nothing
 * matched. One row in the "forgotten" table records the counts, without
 * the id. A JSON line (counts per table) is appended to out. Returns the
 * rows erased (0: nothing matched, nothing written), or -1 with err. On
 * success err->msg is empty, or a warning: another process kept the log
 * from emptying. */
long long esc_crm_forget(struct sqlite3 *db, const char *id, int vacuum, struct esc_buf *out,
	struct esc_err *err);
/* The retention rule: forget every contact who consented to nothing and
 * was last changed before now - older_than, each with reason "retention".
 * With dry_run, count them and change nothing. vacuum, the JSON line and
 * err->msg as for esc_crm_forget. Returns the number of people (that
 * would be) forgotten, or -1 with err. */
long esc_crm_purge(struct sqlite3 *db, long older_than, int dry_run, int vacuum,
	struct esc_buf *out, struct esc_err *err);
/* The default --older-than, from share/crm/retention.json, in seconds.
 * 0, or -1 with err. */
int esc_crm_retention(long *secs, struct esc_err *err);

/* ---- inside the library: shared by crm.c and contacts.c ---- */
/* The member name, else alias (NULL: no alias); a null member counts as
 * absent. Borrows; NULL when neither is there. */
struct json_t *esc_crm_member(struct json_t *o, const char *name, const char *alias);
/* An id-like member (a non-empty string, or an integer written in
 * decimal) into buf: 1 when there, 0 when absent or null, -1 with err for
 * a wrong type or an id over 256 bytes. *v points into buf or the JSON. */
int esc_crm_id(struct json_t *o, const char *name, const char *alias, char *buf, size_t n,
	const char **v, struct esc_err *err);
/* A time member: 1 and *t when there, 0 when absent or null, -1 with err. */
int esc_crm_time(struct json_t *o, const char *name, const char *alias, time_t *t,
	struct esc_err *err);

/* crm-track reads its lines without a jansson tree: from the list of
 * values the scanner keeps (esc_scan's tree, fastjson.h), each container
 * before what it holds, one level deeper. An object is a stretch of that
 * list: its members are the n entries from m at depth, deeper ones what
 * they hold. Its strings are C strings (a line with a NUL in a string is
 * read through jansson, which refuses it). */
struct esc_fast_member;
struct esc_crm_obj {
	const struct esc_fast_member *m;
	size_t n;
	int depth;
};
/* The member name of o, or NULL; a name given twice has its last value,
 * as jansson keeps it. Borrows. */
const struct esc_fast_member *esc_crm_obj_get(const struct esc_crm_obj *o, const char *name);
/* The member v of o (an object, got from o) as an object of its own. */
void esc_crm_obj_sub(const struct esc_crm_obj *o, const struct esc_fast_member *v,
	struct esc_crm_obj *sub);
/* esc_crm_member, esc_crm_id and esc_crm_time of such an object. */
const struct esc_fast_member *esc_crm_obj_member(const struct esc_crm_obj *o,
	const char *name, const char *alias);
int esc_crm_obj_id(const struct esc_crm_obj *o, const char *name, const char *alias,
	char *buf, size_t n, const char **v, struct esc_err *err);
int esc_crm_obj_time(const struct esc_crm_obj *o, const char *name, const char *alias,
	time_t *t, struct esc_err *err);

struct esc_contacts;
/* Borrows db. NULL with err. */
struct esc_contacts *esc_contacts_new(struct sqlite3 *db, struct esc_err *err);
void esc_contacts_free(struct esc_contacts *k);
/* One contact line (root borrowed): validate it, upsert the contact, keep
 * its consent changes, and write the "crm" object's JSON text to obj.
 * The caller has begun the transaction. REJECT before any write; FATAL
 * (err->code ESC_EXIT_STORE) when the store fails. */
enum esc_rc esc_contacts_line(struct esc_contacts *k, const struct esc_crm_obj *root,
	struct esc_buf *obj, struct esc_err *err);

#endif
