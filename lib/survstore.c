/* survstore.c — the store as every file of survey-send uses it
 * (survey-int.h): errors, one-shot statements, optional values, and the
 * unit of work, which is a transaction of its own or, inside the one a
 * dry run keeps open from esc_survey_new to esc_survey_free, a savepoint,
 * so that nothing nested can ever commit a dry run. */
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "survey-int.h"

int
esc_survey_store_fail(sqlite3 *db, struct esc_err *err)
{
	esc_store_err(db, err);
	err->code = ESC_EXIT_STORE;
	return -1;
}

sqlite3_stmt *
esc_survey_prepare(sqlite3 *db, const char *sql, struct esc_err *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		esc_survey_store_fail(db, err);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int
esc_survey_once(sqlite3 *db, sqlite3_stmt *st, struct esc_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return esc_survey_store_fail(db, err);
	return sqlite3_changes(db);
}

void
esc_survey_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void
esc_survey_bind_int(sqlite3_stmt *st, int i, long long v, long long none)
{
	if (v != none)
		sqlite3_bind_int64(st, i, (sqlite3_int64)v);
	else
		sqlite3_bind_null(st, i);
}

int
esc_survey_hash_is(sqlite3_stmt *st, int col, const char *hash)
{
	const char *stored = (const char *)sqlite3_column_text(st, col);

	return stored && strlen(stored) == ESC_HASH_LEN && esc_token_equal(stored, hash);
}

int
esc_survey_begin(sqlite3 *db, struct esc_survey_tx *tx, struct esc_err *err)
{
	if (tx->open)
		return 0;
	tx->db = db;
	tx->own = sqlite3_get_autocommit(db);
	if (sqlite3_exec(db, tx->own ? "BEGIN IMMEDIATE" : "SAVEPOINT survey", NULL, NULL,
	    NULL) != SQLITE_OK)
		return esc_survey_store_fail(db, err);
	tx->open = 1;
	return 0;
}

int
esc_survey_commit(struct esc_survey_tx *tx, struct esc_err *err)
{
	if (!tx->open)
		return 0;
	/* a failed commit leaves the work open for the caller to roll back */
	if (sqlite3_exec(tx->db, tx->own ? "COMMIT" : "RELEASE survey", NULL, NULL,
	    NULL) != SQLITE_OK)
		return esc_survey_store_fail(tx->db, err);
	tx->open = 0;
	return 0;
}

void
esc_survey_rollback(struct esc_survey_tx *tx)
{
	if (!tx->open)
		return;
	sqlite3_exec(tx->db, tx->own ? "ROLLBACK" : "ROLLBACK TO survey; RELEASE survey", NULL,
		NULL, NULL);
	tx->open = 0;
}
