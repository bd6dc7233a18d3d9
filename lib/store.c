/* store.c — open the SQLite store and keep its schema current.
 *
 * The schema is the numbered SQL files in share/sql ("001-store.sql", ...).
 * PRAGMA user_version holds the number of the last file applied; each file
 * runs in its own IMMEDIATE transaction that re-reads the version first, so
 * two processes opening a new store at once apply each file once. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define MAX_MIGRATIONS 128

const char *
esc_store_path(const char *opt)
{
	const char *e;

	if (opt)
		return opt;
	if ((e = getenv("ESC_DB")) && *e)
		return e;
	return "esc.db";
}

void
esc_store_err(sqlite3 *db, struct esc_err *err)
{
	const char *f = sqlite3_db_filename(db, "main");

	esc_err_set(err, "%s: %s", f && *f ? f : "store", sqlite3_errmsg(db));
}

/* The numbers of the migration files, sorted; names[i] is file i's name. */
static int
list_migrations(int *nums, char names[][64], struct esc_err *err)
{
	char dir[4096];
	struct dirent *d;
	DIR *dp;
	int n = 0, i, j;

	snprintf(dir, sizeof dir, "%s/sql", esc_share_dir());
	if (!(dp = opendir(dir))) {
		esc_err_set(err, "cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);
		char *end;
		long v;

		if (len < 8 || len >= 64 || strcmp(d->d_name + len - 4, ".sql"))
			continue;
		v = strtol(d->d_name, &end, 10);
		if (end != d->d_name + 3 || *end != '-' || v <= 0)
			continue;
		if (n == MAX_MIGRATIONS) {
			closedir(dp);
			esc_err_set(err, "%s: too many schema files", dir);
			return -1;
		}
		nums[n] = (int)v;
		memcpy(names[n], d->d_name, len + 1);
		n++;
	}
	closedir(dp);
	/* insertion sort: a handful of files */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && nums[j - 1] > nums[j]; j--) {
			char tmp[64];
			int t = nums[j];

			nums[j] = nums[j - 1];
			nums[j - 1] = t;
			memcpy(tmp, names[j], 64);
			memcpy(names[j], names[j - 1], 64);
			memcpy(names[j - 1], tmp, 64);
		}
	for (i = 1; i < n; i++)
		if (nums[i] == nums[i - 1]) {
			esc_err_set(err, "%s: two schema files numbered %03d", dir, nums[i]);
			return -1;
		}
	if (n == 0)
		esc_err_set(err, "%s: no schema files", dir);
	return n ? n : -1;
}

int
esc_store_schema_newest(struct esc_err *err)
{
	static int nums[MAX_MIGRATIONS];
	static char names[MAX_MIGRATIONS][64];
	int n = list_migrations(nums, names, err);

	return n < 0 ? -1 : nums[n - 1];
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Apply the files newer than the store, each in its own transaction. */
static int
migrate(sqlite3 *db, const char *path, int mode, struct esc_err *err)
{
	static int nums[MAX_MIGRATIONS];
	static char names[MAX_MIGRATIONS][64];
	char rel[80], *sql, setv[64];
	size_t len;
	int n, i, v;

	if ((n = list_migrations(nums, names, err)) < 0)
		return -1;
	if (user_version(db, &v) < 0) {
		esc_store_err(db, err);
		return -1;
	}
	if (v > nums[n - 1]) {
		esc_err_set(err, "%s: schema version %d is newer than this esc knows (%d): "
			"use a newer esc", path, v, nums[n - 1]);
		return -1;
	}
	if (v == nums[n - 1])
		return 0;
	if (mode == ESC_STORE_READ && sqlite3_db_readonly(db, "main") == 1) {
		esc_err_set(err, "%s: schema version %d is older than this esc's (%d) and the "
			"file is read-only: run esc-log on it once to upgrade it", path, v, nums[n - 1]);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if (user_version(db, &v) < 0)
			goto fail_tx;
		if (nums[i] <= v) {          /* applied, by us or by another process */
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			continue;
		}
		snprintf(rel, sizeof rel, "sql/%.63s", names[i]);
		if (esc_share_read(rel, &sql, &len, err) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			esc_err_set(err, "%s: applying %s: %s", path, rel, sqlite3_errmsg(db));
			free(sql);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		free(sql);
		/* a pragma takes no parameters; the number is ours, not input */
		snprintf(setv, sizeof setv, "PRAGMA user_version = %d", nums[i]);
		if (sqlite3_exec(db, setv, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail_tx;
	}
	return 0;
fail_tx:
	esc_store_err(db, err);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
fail:
	esc_store_err(db, err);
	return -1;
}

/* A store we may not write, in a directory we may not write, with no
 * write-ahead log beside it: no writer is at work, and SQLite could not
 * create the shared-memory file a WAL reader needs. */
static int
frozen(const char *path)
{
	char dir[4096], wal[4096];
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	return access(dir, W_OK) < 0 && access(wal, F_OK) < 0;
}

/* Open path as an immutable file: a URI, with the path escaped. */
static int
open_immutable(const char *path, sqlite3 **db)
{
	struct esc_buf uri = { 0 };
	const char *p;
	int rc;

	esc_buf_puts(&uri, "file:");
	for (p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			esc_buf_printf(&uri, "%%%02X", (unsigned char)*p);
		else
			esc_buf_putc(&uri, *p);
	}
	esc_buf_puts(&uri, "?immutable=1");
	esc_buf_putc(&uri, '\0');
	rc = esc_buf_oom ? SQLITE_NOMEM : sqlite3_open_v2(uri.p, db,
		SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	esc_buf_free(&uri);
	return rc;
}

/* Switch to WAL. Two processes opening a new store at once can find it
 * busy, and SQLite's busy handler does not cover this pragma: retry until
 * the busy timeout has passed. */
static int
wal(sqlite3 *db, long timeout)
{
	long waited = 0;
	int rc;

	while ((rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL)) != SQLITE_OK &&
	       (rc & 0xff) == SQLITE_BUSY && waited < timeout) {
		sqlite3_sleep(10);
		waited += 10;
	}
	return rc;
}

/* Wait up to ms milliseconds for a lock, as far as SQLite's int goes. */
static void
busy_timeout(sqlite3 *db, long ms)
{
	sqlite3_busy_timeout(db, (int)(ms > 0x7fffffff ? 0x7fffffff : ms));
}

/* Every tool is one thread, and so is every use of its store: without
 * SQLite's own mutexes and memory statistics, each of the many small
 * allocations a statement makes costs a lock less (about 5% of a
 * crm-track run). Before SQLite starts; once. */
static void
one_thread(void)
{
	static int done;

	if (done++)
		return;
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
esc_busy_timeout(long *ms, struct esc_err *err)
{
	const char *e = getenv("ESC_BUSY_TIMEOUT");
	char *end;

	*ms = 10000;
	if (!e || !*e)
		return 0;
	/* a bare number: milliseconds, as SQLite's busy timeout takes them */
	errno = 0;
	if (*e >= '0' && *e <= '9' && (*ms = strtol(e, &end, 10), !*end) && !errno &&
	    *ms <= 86400L * 365 * 1000)
		return 0;
	if (esc_duration_ms(e, ms) == 0)
		return 0;
	esc_err_set(err, "ESC_BUSY_TIMEOUT: \"%.40s\" is not a duration (milliseconds, or "
		"like 10s or 500ms)", e);
	err->code = ESC_EXIT_USAGE;
	return -1;
}

/* Open path as a store may be opened in mode, with the busy timeout set
 * (*timeout, in milliseconds); no pragmas, no migrations yet. */
static sqlite3 *
open_file(const char *path, int mode, long *timeout, struct esc_err *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	struct stat sb;
	int rc;

	one_thread();
	if (esc_busy_timeout(timeout, err) < 0)
		return NULL;
	if (mode == ESC_STORE_WRITE)
		flags |= SQLITE_OPEN_CREATE;
	else if (stat(path, &sb) < 0) {
		esc_err_set(err, "%s: %s (esc-log creates the store)", path, strerror(errno));
		return NULL;
	}
	if (mode == ESC_STORE_READ && access(path, W_OK) < 0)
		flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	if (flags & SQLITE_OPEN_READONLY && frozen(path))
		rc = open_immutable(path, &db);
	else
		rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		esc_err_set(err, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	busy_timeout(db, *timeout);
	return db;
}

/* Set the pragmas every store runs with and bring its schema up to date;
 * path names the store in messages. 0, or -1 with err. */
static int
setup(sqlite3 *db, const char *path, int mode, long timeout, struct esc_err *err)
{
	/* WAL lets readers and a writer work at once; NORMAL sync in WAL mode
	 * keeps every committed transaction through a crash of the process.
	 * On a read-only file the journal mode cannot change: keep its own.
	 * Statement journals stay in memory: on disk they cost a write per
	 * page per statement. secure_delete zeroes whatever a delete or an
	 * update frees, so an erased person's bytes do not outlive their row
	 * (crm-track --forget); it costs nothing measurable on esc-log's
	 * inserts. */
	if (sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    (!sqlite3_db_readonly(db, "main") &&
	     (wal(db, timeout) != SQLITE_OK ||
	      sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)) ||
	    sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK) {
		esc_store_err(db, err);
		return -1;
	}
	return migrate(db, path, mode, err);
}

sqlite3 *
esc_store_open(const char *path, int mode, struct esc_err *err)
{
	sqlite3 *db;
	long timeout;

	if (!(db = open_file(path, mode, &timeout, err)))
		return NULL;
	if (setup(db, path, mode, timeout, err) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void
esc_store_close(sqlite3 *db)
{
	sqlite3_close(db);
}

struct sqlite3 *
esc_store_open_dry(const char *path, int dry, struct esc_err *err)
{
	sqlite3 *src, *db = NULL;
	sqlite3_backup *b;
	struct stat st;
	long timeout;
	int rc;

	if (!dry)
		return esc_store_open(path, ESC_STORE_WRITE, err);
	if (stat(path, &st) < 0)
		return esc_store_open(":memory:", ESC_STORE_WRITE, err);
	/* A dry run works on a private copy: SQLite's backup of the store into
	 * a temporary database (the name "": a file of its own, unlinked as
	 * soon as it is made, with only its cache in memory). The store is read for as
	 * long as the copy takes and never written: not by the run, not by a
	 * migration of an older schema (the copy is upgraded), and no lock is
	 * held while the run waits for input or for a reader of its output. */
	if (!(src = open_file(path, ESC_STORE_READ, &timeout, err)))
		return NULL;
	/* the last connection to close checkpoints the write-ahead log into
	 * the file: not this one, which only reads */
	sqlite3_db_config(src, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if ((rc = sqlite3_open_v2("", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK) {
		esc_err_set(err, "%s: a copy for the dry run: %s", path, sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	if (!(b = sqlite3_backup_init(db, "main", src, "main"))) {
		esc_err_set(err, "%s: a copy for the dry run: %s", path, sqlite3_errmsg(db));
		goto fail;
	}
	/* the source's busy timeout covers a writer holding the file */
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		esc_err_set(err, "%s: a copy for the dry run: %s", path, sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_close(src);
	busy_timeout(db, timeout);
	if (setup(db, path, ESC_STORE_WRITE, timeout, err) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
fail:
	sqlite3_close(db);
	sqlite3_close(src);
	return NULL;
}

long long *
esc_store_ids(struct sqlite3_stmt *st, size_t *n, struct esc_err *err)
{
	long long *v = NULL, *p;
	size_t cap = 0;
	int rc;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(p = realloc(v, cap * sizeof *v))) {
				free(v);
				sqlite3_reset(st);
				esc_err_set(err, "out of memory");
				err->code = ESC_EXIT_STORE;
				return NULL;
			}
			v = p;
		}
		v[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		esc_store_err(sqlite3_db_handle(st), err);
		err->code = ESC_EXIT_STORE;
		return NULL;
	}
	return v ? v : calloc(1, sizeof *v);
}
