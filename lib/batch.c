/* batch.c — batched transactions for the tools that write the store as
 * they echo their lines; see batch.h. */
#include <string.h>

#include <sqlite3.h>

#include "batch.h"
#include "store.h"

int
esc_batch_init(struct esc_batch *b, sqlite3 *db, int size, struct esc_err *err)
{
	memset(b, 0, sizeof *b);
	b->db = db;
	b->size = size > 0 ? size : 10000;
	if (sqlite3_prepare_v3(db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &b->begin,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &b->commit,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &b->rollback,
	    NULL) != SQLITE_OK) {
		esc_store_err(db, err);
		err->code = ESC_EXIT_STORE;
		esc_batch_free(b, NULL);
		return -1;
	}
	return 0;
}

int
esc_batch_free(struct esc_batch *b, struct esc_err *err)
{
	struct esc_err tmp;
	int rc = 0;

	if (b->in_tx && b->commit && esc_batch_commit(b, err ? err : &tmp))
		rc = -1;
	sqlite3_finalize(b->begin);
	sqlite3_finalize(b->commit);
	sqlite3_finalize(b->rollback);
	b->begin = b->commit = b->rollback = NULL;
	return rc;
}

static int
step(struct esc_batch *b, sqlite3_stmt *st, struct esc_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	esc_store_err(b->db, err);
	err->code = ESC_EXIT_STORE;
	return -1;
}

int
esc_batch_begin(struct esc_batch *b, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err)
{
	if (b->in_tx)
		return 0;
	if (step(b, b->begin, err) < 0)
		return -1;
	b->in_tx = 1;
	b->name = rec->name;
	b->line = rec->lineno;
	b->out = out;
	b->mark = out->len;
	return 0;
}

void
esc_batch_undo(struct esc_batch *b, struct esc_err *err)
{
	if (!err->code)
		err->code = ESC_EXIT_STORE;
	if (!b->in_tx)
		return;
	sqlite3_step(b->rollback);
	sqlite3_reset(b->rollback);
	b->in_tx = 0;
	b->pending = 0;
	b->out->len = b->mark;
	esc_err_unstored(err, b->name, b->line);
}

int
esc_batch_commit(struct esc_batch *b, struct esc_err *err)
{
	if (!b->in_tx)
		return 0;
	if (step(b, b->commit, err) < 0) {
		esc_batch_undo(b, err);
		return ESC_EXIT_STORE;
	}
	b->in_tx = 0;
	b->pending = 0;
	return 0;
}

int
esc_batch_line_done(struct esc_batch *b, struct esc_err *err)
{
	char keep[sizeof err->msg];

	if (++b->pending < b->size)
		return 0;
	snprintf(keep, sizeof keep, "%s", err->msg);
	err->msg[0] = '\0';
	if (esc_batch_commit(b, err))
		return ESC_EXIT_STORE;
	snprintf(err->msg, sizeof err->msg, "%s", keep);
	return 0;
}
