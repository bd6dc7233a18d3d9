/* batch.h — the batched transaction of a tool that writes the store as
 * it echoes lines (batch.c): crm-track's journey and contacts, upsell-gen's
 * recommendations. esc-log keeps its own, tuned for its hot path.
 *
 * A batch begins before a line's first read of the store and is committed
 * before the output it made is written (the loop's esc_sync_fn), so what a
 * tool has printed is in the store; when the store fails, the whole batch
 * is rolled back and its lines taken back out of the output. */
#ifndef ESC_BATCH_H
#define ESC_BATCH_H

#include "esc.h"

struct sqlite3;
struct sqlite3_stmt;

struct esc_batch {
	struct sqlite3 *db;          /* borrows */
	struct sqlite3_stmt *begin, *commit, *rollback;
	int size;                    /* lines per transaction at most */
	int in_tx, pending;
	const char *name;            /* borrows: where the open transaction began */
	unsigned long line;
	struct esc_buf *out;         /* borrows: the loop's output, and where */
	size_t mark;                 /* the open transaction's output starts */
};

/* Borrows db; size <= 0 means 10000. Returns 0, or -1 with err (code
 * ESC_EXIT_STORE). */
int esc_batch_init(struct esc_batch *b, struct sqlite3 *db, int size, struct esc_err *err);
/* Commit what is pending (its error in err if err is not NULL) and free
 * the statements. Returns 0 or -1. */
int esc_batch_free(struct esc_batch *b, struct esc_err *err);
/* Open a transaction unless one is open; rec and out say where its lines
 * start. Returns 0, or -1 with err (code ESC_EXIT_STORE). */
int esc_batch_begin(struct esc_batch *b, const struct esc_rec *rec, struct esc_buf *out,
	struct esc_err *err);
/* The store failed, or the run stops (err says why): roll the batch back,
 * take its lines out of the output, and add to err where the lost lines
 * began. err->code becomes ESC_EXIT_STORE unless it is set. */
void esc_batch_undo(struct esc_batch *b, struct esc_err *err);
/* An esc_sync_fn's work: commit the open transaction. Returns 0, or
 * ESC_EXIT_STORE after undoing the batch. */
int esc_batch_commit(struct esc_batch *b, struct esc_err *err);
/* A line is done and in the output: commit when the batch is full. A
 * warning the line left in err survives the commit. Returns 0, or
 * ESC_EXIT_STORE as esc_batch_commit does. */
int esc_batch_line_done(struct esc_batch *b, struct esc_err *err);

#endif
