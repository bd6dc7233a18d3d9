/* stats.c — esc-stats's queries: totals, conversion by offer, reason, tier,
 * template and severity, recent escalations, SLA, the agent leaderboard,
 * and the alerts. Every section is a few SQL aggregates over covering
 * indexes (share/sql "Reports"); medians and the 90th percentile come from
 * esc_quant(), an aggregate that selects in O(n) as the rows stream by. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "esc.h"
#include "stats.h"
#include "store.h"

#define Z95 1.96
/* The escalation-rate target of seed 000: 10-15% of questions. */
#define TARGET_LO 0.10
#define TARGET_HI 0.15

/* ---- numbers ---- */

void
esc_wilson(long long x, long long n, double z, double *lo, double *hi)
{
	double p, z2, d, c, h;

	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)x / (double)n;
	z2 = z * z;
	d = 1 + z2 / (double)n;
	c = (p + z2 / (2.0 * (double)n)) / d;
	h = z * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * (double)n)) / d;
	*lo = c - h < 0 ? 0 : c - h;
	*hi = c + h > 1 ? 1 : c + h;
}

/* Put the k-th smallest of v[0..n-1] at v[k], the smaller ones before it
 * (Hoare's selection, middle pivot; expected O(n)). */
static void
select_k(long long *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		long long pivot = v[lo + (hi - lo) / 2], t;
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

void
esc_quantiles(long long *v, size_t n, double *median, double *p90)
{
	size_t k = n / 2, r90 = (n * 9 + 9) / 10, i;   /* ceil(0.9 n), 1-based */
	long long below;

	select_k(v, n, k);
	if (n % 2) {
		*median = (double)v[k];
	} else {
		below = v[0];
		for (i = 1; i < k; i++)
			if (v[i] > below)
				below = v[i];
		*median = ((double)below + (double)v[k]) / 2;
	}
	if (r90 < 1)
		r90 = 1;
	/* the rank is at or past the median's: select in the upper part only */
	if (r90 - 1 > k)
		select_k(v + k + 1, n - k - 1, r90 - 1 - k - 1);
	*p90 = (double)v[r90 - 1];
}

static long long
floordiv(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Howard Hinnant's civil_from_days and days_from_civil. */
static void
civil(long long z, int *y, int *m)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static long long
days(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

time_t
esc_bucket(time_t t, enum esc_by by)
{
	long long d = floordiv((long long)t, 86400);
	int y, m;

	switch (by) {
	case ESC_BY_DAY: return (time_t)(d * 86400);
	case ESC_BY_WEEK: return (time_t)((d - ((d % 7 + 7 + 3) % 7)) * 86400);  /* 1970-01-01 was a Thursday */
	case ESC_BY_MONTH:
		civil(d, &y, &m);
		return (time_t)(days(y, m, 1) * 86400);
	default: return t;
	}
}

time_t
esc_bucket_next(time_t b, enum esc_by by)
{
	int y, m;

	switch (by) {
	case ESC_BY_DAY: return b + 86400;
	case ESC_BY_WEEK: return b + 7 * 86400;
	case ESC_BY_MONTH:
		civil(floordiv((long long)b, 86400), &y, &m);
		return (time_t)(days(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400);
	default: return b;
	}
}

int
esc_by_parse(const char *s)
{
	if (!strcmp(s, "day"))
		return ESC_BY_DAY;
	if (!strcmp(s, "week"))
		return ESC_BY_WEEK;
	if (!strcmp(s, "month"))
		return ESC_BY_MONTH;
	return -1;
}

static const char *const sec_names[ESC_SEC_N] = {
	"totals", "by_offer", "by_reason", "by_tier", "by_template", "by_severity",
	"recent", "sla", "leaderboard", "trend",
};

const char *
esc_section_name(int sec)
{
	return sec >= 0 && sec < ESC_SEC_N ? sec_names[sec] : "?";
}

unsigned
esc_section_parse(const char *s)
{
	int i;

	if (!strcmp(s, "by"))
		return 1u << ESC_SEC_OFFER | 1u << ESC_SEC_REASON | 1u << ESC_SEC_TIER |
			1u << ESC_SEC_TEMPLATE | 1u << ESC_SEC_SEVERITY;
	for (i = 0; i < ESC_SEC_TREND; i++)
		if (!strcmp(s, sec_names[i]) || (!strncmp(sec_names[i], "by_", 3) &&
		    !strcmp(s, sec_names[i] + 3)))
			return 1u << i;
	return 0;
}

/* ---- SQL functions: esc_bucket(t) and the esc_quant(x) aggregate ---- */

static void
fn_bucket(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	enum esc_by by = (enum esc_by)(intptr_t)sqlite3_user_data(ctx);

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)esc_bucket(
			(time_t)sqlite3_value_int64(argv[0]), by));
}

struct quant {
	long long *v;
	size_t n, cap;
	int oom;
};

static void
fn_quant_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct quant *q = sqlite3_aggregate_context(ctx, sizeof *q);
	long long *nv;

	(void)argc;
	if (!q || q->oom || sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		if (!(nv = realloc(q->v, q->cap * sizeof *nv))) {
			q->oom = 1;
			return;
		}
		q->v = nv;
	}
	q->v[q->n++] = sqlite3_value_int64(argv[0]);
}

/* The result is a blob of three doubles: median, p90, mean; NULL when no
 * value came. Only this file reads it. */
static void
fn_quant_final(sqlite3_context *ctx)
{
	struct quant *q = sqlite3_aggregate_context(ctx, 0);
	double r[3], sum = 0;
	size_t i;

	if (!q || !q->n) {
		sqlite3_result_null(ctx);
	} else if (q->oom) {
		sqlite3_result_error_nomem(ctx);
	} else {
		for (i = 0; i < q->n; i++)
			sum += (double)q->v[i];
		r[2] = sum / (double)q->n;
		esc_quantiles(q->v, q->n, &r[0], &r[1]);
		sqlite3_result_blob(ctx, r, sizeof r, SQLITE_TRANSIENT);
	}
	if (q)
		free(q->v);
}

/* esc_sla(now, warn, status, created_at, first_response_at,
 * first_response_due, resolved_at, resolution_due, updated_at): one pass
 * of C per row for the whole SLA row of a severity. The result is a blob of
 * 12 doubles: for the first response, then the resolution, the counts met,
 * breached, at risk, pending, and the median and p90 time (NaN: none).
 *
 * A resolution without a recorded first response answered too; a case
 * resolved or closed without a resolution time ended when it was last
 * updated. Met: done by the due time (or no due time); breached: done after
 * it, or not done and past it; at risk: not done, due within the warning
 * time; pending: the rest of the open ones. */
struct slagg {
	double count[2][4];
	struct quant q[2];
};

static void
quant_push(struct quant *q, long long v)
{
	long long *nv;

	if (q->oom)
		return;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		if (!(nv = realloc(q->v, q->cap * sizeof *nv))) {
			q->oom = 1;
			return;
		}
		q->v = nv;
	}
	q->v[q->n++] = v;
}

static void
fn_sla_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct slagg *a = sqlite3_aggregate_context(ctx, sizeof *a);
	long long now = sqlite3_value_int64(argv[0]), warn = sqlite3_value_int64(argv[1]);
	const unsigned char *status = sqlite3_value_text(argv[2]);
	long long created = sqlite3_value_int64(argv[3]), done[2], due;
	int has[2], k, closed;

	(void)argc;
	if (!a)
		return;
	closed = status && (!strcmp((const char *)status, "resolved") ||
		!strcmp((const char *)status, "closed"));
	has[1] = sqlite3_value_type(argv[6]) != SQLITE_NULL;
	done[1] = sqlite3_value_int64(argv[6]);
	if (!has[1] && closed && sqlite3_value_type(argv[8]) != SQLITE_NULL) {
		has[1] = 1;
		done[1] = sqlite3_value_int64(argv[8]);
	}
	has[0] = sqlite3_value_type(argv[4]) != SQLITE_NULL;
	done[0] = has[0] ? sqlite3_value_int64(argv[4]) : done[1];
	has[0] = has[0] || has[1];
	for (k = 0; k < 2; k++) {
		sqlite3_value *d = argv[k ? 7 : 5];
		int nodue = sqlite3_value_type(d) == SQLITE_NULL;

		due = sqlite3_value_int64(d);
		if (has[k]) {
			a->count[k][nodue || done[k] <= due ? 0 : 1]++;
			quant_push(&a->q[k], done[k] - created);
		} else {
			a->count[k][nodue ? 3 : now > due ? 1 : due - now <= warn ? 2 : 3]++;
		}
	}
}

static void
fn_sla_final(sqlite3_context *ctx)
{
	struct slagg *a = sqlite3_aggregate_context(ctx, 0);
	double r[12];
	int k, j;

	if (!a) {
		sqlite3_result_null(ctx);
		return;
	}
	for (k = 0; k < 2; k++) {
		for (j = 0; j < 4; j++)
			r[6 * k + j] = a->count[k][j];
		r[6 * k + 4] = r[6 * k + 5] = NAN;
		if (a->q[k].n && !a->q[k].oom)
			esc_quantiles(a->q[k].v, a->q[k].n, &r[6 * k + 4], &r[6 * k + 5]);
	}
	if (a->q[0].oom || a->q[1].oom)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_blob(ctx, r, sizeof r, SQLITE_TRANSIENT);
	free(a->q[0].v);
	free(a->q[1].v);
}

/* ---- the opened files ---- */

struct esc_stats {
	sqlite3 *db;
	int n;
	const char *const *paths;   /* borrows */
	char schema[32][16];        /* "main", "db1", ... */
	enum esc_by by;             /* what esc_bucket() computes */
};

static int
set_bucket_fn(struct esc_stats *st, enum esc_by by)
{
	st->by = by;
	return sqlite3_create_function(st->db, "esc_bucket", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)(intptr_t)by, fn_bucket, NULL, NULL);
}

static int
exec(sqlite3 *db, const char *sql, struct esc_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		esc_store_err(db, err);
		return -1;
	}
	return 0;
}

struct esc_stats *
esc_stats_open(const char *const *paths, int n, struct esc_err *err)
{
	static const char *const tables[] = { "escalations", "questions", "events" };
	struct esc_stats *st;
	struct esc_buf sql = { 0 };
	struct stat sb[32];
	sqlite3_stmt *s;
	sqlite3 *one;
	int i, j, t, max;

	for (i = 0; i < n; i++) {
		if (stat(paths[i], &sb[i < 32 ? i : 31]) < 0) {
			esc_err_set(err, "%s: %s (esc-stats reads a store, it never creates one)",
				paths[i], strerror(errno));
			return NULL;
		}
		for (j = 0; j < i && j < 32 && i < 32; j++)
			if (sb[j].st_dev == sb[i].st_dev && sb[j].st_ino == sb[i].st_ino) {
				esc_err_set(err, "%s: the same file as %s: it would be counted twice",
					paths[i], paths[j]);
				return NULL;
			}
	}
	if (!(st = calloc(1, sizeof *st))) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	st->n = n;
	st->paths = paths;
	if (!(st->db = esc_store_open(paths[0], ESC_STORE_READ, err)))
		goto fail;
	max = sqlite3_limit(st->db, SQLITE_LIMIT_ATTACHED, -1);
	if (n - 1 > max || n > 32) {
		esc_err_set(err, "%d store files: SQLite reads at most %d together "
			"(one, and %d attached to it); merge some first", n,
			max + 1 < 32 ? max + 1 : 32, max);
		goto fail;
	}
	snprintf(st->schema[0], sizeof st->schema[0], "main");
	for (i = 1; i < n; i++) {
		/* open each alone first: it must exist, be a store, and be up to date */
		if (!(one = esc_store_open(paths[i], ESC_STORE_READ, err)))
			goto fail;
		esc_store_close(one);
		snprintf(st->schema[i], sizeof st->schema[i], "db%d", i);
		sql.len = 0;
		esc_buf_printf(&sql, "ATTACH ?1 AS %s", st->schema[i]);
		esc_buf_putc(&sql, '\0');
		if (esc_buf_oom || sqlite3_prepare_v2(st->db, sql.p, -1, &s, NULL) != SQLITE_OK) {
			esc_store_err(st->db, err);
			goto fail;
		}
		sqlite3_bind_text(s, 1, paths[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			esc_err_set(err, "%s: cannot attach: %s", paths[i], sqlite3_errmsg(st->db));
			sqlite3_finalize(s);
			goto fail;
		}
		sqlite3_finalize(s);
	}
	/* several files: one TEMP view per table over all of them, with the
	 * file's number in "db" */
	for (t = 0; n > 1 && t < 3; t++) {
		sql.len = 0;
		esc_buf_printf(&sql, "CREATE TEMP VIEW esc_%s AS ", tables[t]);
		for (i = 0; i < n; i++)
			esc_buf_printf(&sql, "%sSELECT %d AS db, * FROM %s.%s", i ? " UNION ALL " : "",
				i, st->schema[i], tables[t]);
		esc_buf_putc(&sql, '\0');
		if (esc_buf_oom || exec(st->db, sql.p, err) < 0)
			goto fail;
	}
	if (set_bucket_fn(st, ESC_BY_NONE) != SQLITE_OK ||
	    sqlite3_create_function(st->db, "esc_quant", 1, SQLITE_UTF8, NULL, NULL,
		fn_quant_step, fn_quant_final) != SQLITE_OK ||
	    sqlite3_create_function(st->db, "esc_sla", 9, SQLITE_UTF8, NULL, NULL,
		fn_sla_step, fn_sla_final) != SQLITE_OK) {
		esc_store_err(st->db, err);
		goto fail;
	}
	esc_buf_free(&sql);
	return st;
fail:
	esc_buf_free(&sql);
	esc_stats_close(st);
	return NULL;
}

void
esc_stats_close(struct esc_stats *st)
{
	if (!st)
		return;
	if (st->db)
		esc_store_close(st->db);
	free(st);
}

/* ---- tables ---- */

int
esc_table_col(const struct esc_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncol; i++)
		if (!strcmp(t->cols[i].name, name))
			return i;
	return -1;
}

static struct esc_table *
table_new(int sec, const char *title, const struct esc_col *cols, int ncol)
{
	struct esc_table *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->sec = sec;
	t->name = esc_section_name(sec);
	t->title = title;
	t->cols = cols;
	t->ncol = ncol;
	return t;
}

static void
table_free(struct esc_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrow * (size_t)t->ncol; i++)
		free(t->cells[i].s);
	free(t->cells);
	free(t);
}

/* A new row of NULL cells; NULL when out of memory. */
static struct esc_cell *
table_row(struct esc_table *t)
{
	struct esc_cell *nc;
	size_t nk;

	if (t->nrow == t->cap) {
		nk = t->cap ? t->cap * 2 : 16;
		if (!(nc = realloc(t->cells, nk * (size_t)t->ncol * sizeof *nc)))
			return NULL;
		t->cells = nc;
		t->cap = nk;
	}
	nc = &t->cells[t->nrow++ * (size_t)t->ncol];
	memset(nc, 0, (size_t)t->ncol * sizeof *nc);
	return nc;
}

static void
set_int(struct esc_cell *c, enum esc_vt type, long long v)
{
	c->type = type;
	c->i = v;
	c->r = (double)v;
}

static void
set_real(struct esc_cell *c, enum esc_vt type, double v)
{
	c->type = type;
	c->r = v;
	c->i = (long long)llround(v);
}

static int
set_text(struct esc_cell *c, const unsigned char *s)
{
	if (!s)
		return 0;
	if (!(c->s = strdup((const char *)s)))
		return -1;
	c->type = ESC_V_TEXT;
	return 0;
}

static void
set_rate(struct esc_cell *c, long long x, long long n)
{
	if (n <= 0)
		return;
	c->type = ESC_V_RATE;
	c->r = (double)x / (double)n;
	esc_wilson(x, n, Z95, &c->lo, &c->hi);
}

/* The blob of esc_quant(): median, p90, mean. */
static int
quant_col(sqlite3_stmt *s, int col, double r[3])
{
	if (sqlite3_column_type(s, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, col) != 3 * (int)sizeof(double))
		return 0;
	memcpy(r, sqlite3_column_blob(s, col), 3 * sizeof(double));
	return 1;
}

/* ---- running the sections ---- */

struct run {
	struct esc_stats *st;
	const struct esc_stats_opts *o;
	struct esc_report *r;
	struct esc_err *err;
	time_t now;
	long warn;
	enum esc_by by;           /* of the section being run */
	struct esc_buf sql;
};

/* Expand a query: {E}, {Q}, {V} the tables (or the views over several
 * files), {DB} the file's number, {W} the --since/--until window on
 * created_at ({WS}: not to be searched by range), {B} the bucket of created_at (0 without --by), {G} the bucket
 * in a GROUP BY list. Only these fixed fragments are ever put in SQL text;
 * every value is bound. */
static const char *
expand(struct run *x, const char *tmpl)
{
	int multi = x->st->n > 1;
	const char *p, *e;

	x->sql.len = 0;
	for (p = tmpl; *p; p++) {
		if (*p != '{' || !(e = strchr(p, '}'))) {
			esc_buf_putc(&x->sql, *p);
			continue;
		}
		if (!strncmp(p, "{E}", 3))
			esc_buf_puts(&x->sql, multi ? "temp.esc_escalations" : "main.escalations");
		else if (!strncmp(p, "{Q}", 3))
			esc_buf_puts(&x->sql, multi ? "temp.esc_questions" : "main.questions");
		else if (!strncmp(p, "{V}", 3))
			esc_buf_puts(&x->sql, multi ? "temp.esc_events" : "main.events");
		else if (!strncmp(p, "{DB}", 4))
			esc_buf_puts(&x->sql, multi ? "db" : "0");
		else if (!strncmp(p, "{W}", 3))
			esc_buf_puts(&x->sql, x->o->has_since && x->o->has_until ?
				"created_at >= :since AND created_at < :until" :
				x->o->has_since ? "created_at >= :since" :
				x->o->has_until ? "created_at < :until" : "1");
		else if (!strncmp(p, "{WHERE}", 7))
			/* no WHERE at all lets SQLite count a b-tree's pages */
			esc_buf_puts(&x->sql, x->o->has_since && x->o->has_until ?
				" WHERE created_at >= :since AND created_at < :until" :
				x->o->has_since ? " WHERE created_at >= :since" :
				x->o->has_until ? " WHERE created_at < :until" : "");
		else if (!strncmp(p, "{WS}", 4))
			/* the same, for a query that scans a covering index in the
			 * order of its GROUP BY: the unary + keeps the planner from
			 * trading that index for a range of escalations_time plus a
			 * lookup in the table and a sort for every row */
			esc_buf_puts(&x->sql, x->o->has_since && x->o->has_until ?
				"+created_at >= :since AND +created_at < :until" :
				x->o->has_since ? "+created_at >= :since" :
				x->o->has_until ? "+created_at < :until" : "1");
		else if (!strncmp(p, "{B}", 3))
			esc_buf_puts(&x->sql, x->by ? "esc_bucket(created_at)" : "0");
		else if (!strncmp(p, "{G}", 3))
			esc_buf_puts(&x->sql, x->by ? "1, " : "");
		else {
			esc_buf_putc(&x->sql, *p);
			continue;
		}
		p = e;
	}
	esc_buf_putc(&x->sql, '\0');
	return x->sql.p;
}

static void
bind(sqlite3_stmt *s, const char *name, long long v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

/* Prepare the expanded query and bind the common values; with --explain
 * keep its plan too. NULL with err on failure. */
static sqlite3_stmt *
prep(struct run *x, const char *what, const char *tmpl)
{
	const char *sql = expand(x, tmpl);
	sqlite3_stmt *s, *e;
	struct esc_buf *b = &x->r->explain;
	char *q;

	if (esc_buf_oom) {
		esc_err_set(x->err, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(x->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		esc_store_err(x->st->db, x->err);
		return NULL;
	}
	bind(s, ":since", x->o->since);
	bind(s, ":until", x->o->until);
	bind(s, ":now", x->now);
	bind(s, ":warn", x->warn);
	bind(s, ":limit", x->o->limit);
	if (!x->o->explain)
		return s;
	esc_buf_printf(b, "-- %s\n%s\n", what, sql);
	if (!(q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql)) ||
	    sqlite3_prepare_v2(x->st->db, q, -1, &e, NULL) != SQLITE_OK) {
		sqlite3_free(q);
		sqlite3_finalize(s);
		esc_store_err(x->st->db, x->err);
		return NULL;
	}
	sqlite3_free(q);
	{
		/* the plan as a tree, indented by depth, as the sqlite3 shell shows it */
		int ids[64], depth[64], nid = 0, i, d;

		while (sqlite3_step(e) == SQLITE_ROW) {
			int id = sqlite3_column_int(e, 0), parent = sqlite3_column_int(e, 1);

			for (d = 0, i = 0; i < nid; i++)
				if (ids[i] == parent)
					d = depth[i] + 1;
			if (nid < 64) {
				ids[nid] = id;
				depth[nid++] = d;
			}
			esc_buf_printf(b, "%*s%s\n", 2 + 2 * d, "",
				(const char *)sqlite3_column_text(e, 3));
		}
		esc_buf_putc(b, '\n');
	}
	sqlite3_finalize(e);
	return s;
}

static int
step_err(struct run *x, sqlite3_stmt *s, int rc)
{
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	esc_store_err(x->st->db, x->err);
	sqlite3_finalize(s);
	return -1;
}

static int
oom(struct run *x)
{
	esc_err_set(x->err, "out of memory");
	return -1;
}

/* One value of a query with no row-by-row interest (min, max, count). */
static int
scalar(struct run *x, sqlite3_stmt *s, long long *v, int *null)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		*null = sqlite3_column_type(s, 0) == SQLITE_NULL;
		*v = sqlite3_column_int64(s, 0);
	} else if (rc == SQLITE_DONE) {
		*null = 1;
		*v = 0;
	} else {
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* ---- totals (and the trend: the same per day) ---- */

static const struct esc_col totals_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "questions", "questions", ESC_V_INT },
	{ "escalations", "escalations", ESC_V_INT },
	{ "paid", "paid", ESC_V_INT },
	{ "human", "human", ESC_V_INT },
	{ "escalation_rate", "esc. rate", ESC_V_PCT },
	{ "target", "target", ESC_V_TEXT },
	{ "verdict", "verdict", ESC_V_TEXT },
	{ "conversions", "conv.", ESC_V_INT },
	{ "conversion_rate", "conv. rate (95% CI)", ESC_V_RATE },
	{ "conversion_value", "value", ESC_V_REAL },
	{ "unattributed_conversions", "unattrib.", ESC_V_INT },
};

static int
sec_totals(struct run *x, int sec)
{
	static const char *const whole[] = {
		"SELECT count(*) FROM {Q}{WHERE}",
		"SELECT count(*), total(route = 'paid'), total(converted), total(conversion_value) "
		"FROM {E} WHERE {W}",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at >= :since AND at < :until",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at >= :since",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at < :until",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion'",
	};
	static const char *const part[] = {
		"SELECT count(*) FROM {Q} WHERE created_at >= :lo AND created_at < :hi",
		"SELECT count(*), total(route = 'paid'), total(converted), total(conversion_value) "
		"FROM {E} WHERE created_at >= :lo AND created_at < :hi",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at >= :lo AND at < :hi",
	};
	int bucketed = x->by != ESC_BY_NONE, k, null;
	struct esc_table *t;
	sqlite3_stmt *s[3] = { 0 }, *m;
	long long lo, hi, b, nq = 0, ne, np, nc, nv = 0, v = 0;
	double value, rate;
	struct esc_cell *c;
	const char *what = esc_section_name(sec);
	int rc = -1;

	t = table_new(sec, sec == ESC_SEC_TREND ? "Trend" : "Totals",
		totals_cols + !bucketed, (int)(sizeof totals_cols / sizeof *totals_cols) - !bucketed);
	if (!t)
		return oom(x);
	x->r->t[sec] = t;
	for (k = 0; k < 2; k++)
		if (!(s[k] = prep(x, what, bucketed ? part[k] : whole[k])))
			goto out;
	/* events have "at", not "created_at": their window is spelt out */
	s[2] = prep(x, what, bucketed ? part[2] :
		x->o->has_since && x->o->has_until ? whole[2] :
		x->o->has_since ? whole[3] : x->o->has_until ? whole[4] : whole[5]);
	if (!s[2])
		goto out;
	lo = hi = 0;
	if (bucketed) {
		/* the buckets from the window, or from the data where it is open */
		long long dmin = LLONG_MAX, dmax = LLONG_MIN;
		static const char *const ends[] = {
			"SELECT min(created_at) FROM {Q} WHERE {W}",
			"SELECT max(created_at) FROM {Q} WHERE {W}",
			"SELECT min(created_at) FROM {E} WHERE {W}",
			"SELECT max(created_at) FROM {E} WHERE {W}",
		};

		for (k = 0; k < 4; k++) {
			if (!(m = prep(x, what, ends[k])))
				goto out;
			if (scalar(x, m, &v, &null) < 0) {
				sqlite3_finalize(m);
				goto out;
			}
			sqlite3_finalize(m);
			if (!null && v < dmin)
				dmin = v;
			if (!null && v > dmax)
				dmax = v;
		}
		if (dmin > dmax) {
			rc = 0;        /* no data: no buckets */
			goto out;
		}
		lo = x->o->has_since ? x->o->since : dmin;
		hi = x->o->has_until ? x->o->until : dmax + 1;
		/* a generous bound on the rows, against a stray timestamp */
		if ((hi - lo) / 86400 > 200000 && x->by == ESC_BY_DAY) {
			esc_err_set(x->err, "--by day over %lld days: narrow it with --since and --until",
				(hi - lo) / 86400);
			goto out;
		}
	}
	for (b = bucketed ? esc_bucket(lo, x->by) : 0; bucketed ? b < hi : b == 0;
	     b = bucketed ? esc_bucket_next(b, x->by) : 1) {
		for (k = 0; k < 3 && bucketed; k++) {
			bind(s[k], ":lo", b > lo ? b : lo);
			bind(s[k], ":hi", esc_bucket_next(b, x->by) < hi ? esc_bucket_next(b, x->by) : hi);
		}
		if (scalar(x, s[0], &nq, &null) < 0)
			goto out;
		k = sqlite3_step(s[1]);
		if (k != SQLITE_ROW) {
			esc_store_err(x->st->db, x->err);
			goto out;
		}
		ne = sqlite3_column_int64(s[1], 0);
		np = (long long)sqlite3_column_double(s[1], 1);
		nc = (long long)sqlite3_column_double(s[1], 2);
		value = sqlite3_column_double(s[1], 3);
		sqlite3_reset(s[1]);
		if (scalar(x, s[2], &nv, &null) < 0)
			goto out;
		if (!(c = table_row(t)))
			goto nomem;
		if (bucketed)
			set_int(c++, ESC_V_DATE, b);
		set_int(&c[0], ESC_V_INT, nq);
		set_int(&c[1], ESC_V_INT, ne);
		set_int(&c[2], ESC_V_INT, np);
		set_int(&c[3], ESC_V_INT, ne - np);
		if (nq > 0) {
			rate = (double)ne / (double)nq;
			set_real(&c[4], ESC_V_PCT, rate);
			if (set_text(&c[6], (const unsigned char *)(rate < TARGET_LO ? "below" :
			    rate <= TARGET_HI ? "within" : "above")) < 0)
				goto nomem;
		}
		if (set_text(&c[5], (const unsigned char *)"10-15%") < 0)
			goto nomem;
		set_int(&c[7], ESC_V_INT, nc);
		set_rate(&c[8], nc, ne);
		set_real(&c[9], ESC_V_REAL, value);
		set_int(&c[10], ESC_V_INT, nv);
	}
	rc = 0;
	goto out;
nomem:
	oom(x);
out:
	for (k = 0; k < 3; k++)
		sqlite3_finalize(s[k]);
	return rc;
}

/* ---- by offer, reason, tier, template, severity ---- */

static const struct esc_col by_cols[5][9] = {
#define BY_COLS(key, head) { \
	{ "bucket", "bucket", ESC_V_DATE }, \
	{ key, head, ESC_V_TEXT }, \
	{ "escalations", "escalations", ESC_V_INT }, \
	{ "conversions", "conv.", ESC_V_INT }, \
	{ "conversion_rate", "conv. rate (95% CI)", ESC_V_RATE }, \
	{ "ttc_median", "median ttc", ESC_V_DUR }, \
	{ "ttc_mean", "mean ttc", ESC_V_DUR }, \
	{ "conversion_value", "value", ESC_V_REAL }, \
	{ NULL, NULL, ESC_V_NULL } }
	BY_COLS("offer", "offer"),
	BY_COLS("reason", "reason"),
	BY_COLS("tier", "tier"),
	BY_COLS("template", "template"),
	BY_COLS("severity", "severity"),
#undef BY_COLS
};
static const char *const by_titles[5] = {
	"Conversion by offer", "Conversion by reason", "Conversion by tier",
	"Conversion by template", "Conversion by severity",
};

/* One group of a by_* table: a bucket and a value of the dimension. */
struct group {
	int dim;
	long long bucket;
	char *key;                 /* NULL for SQL NULL */
	long long n, conv;
	double value;
	long long *ttc;
	size_t nttc, cap;
};
struct groups {
	struct group *g;
	size_t n, cap;
	size_t *slot;              /* open addressing: index + 1, 0 empty */
	size_t nslot;
};

static uint64_t
ghash(int dim, long long bucket, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)dim;

	h = (h ^ (uint64_t)bucket) * 1099511628211ULL;
	if (!key)
		return h * 31;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

static int
geq(const struct group *g, int dim, long long bucket, const char *key)
{
	return g->dim == dim && g->bucket == bucket &&
		(g->key && key ? !strcmp(g->key, key) : g->key == key);
}

static struct group *
group_get(struct groups *gs, int dim, long long bucket, const char *key)
{
	size_t i, j, *ns;
	struct group *g;

	if (gs->n * 2 >= gs->nslot) {
		size_t nn = gs->nslot ? gs->nslot * 2 : 256;

		if (!(ns = calloc(nn, sizeof *ns)))
			return NULL;
		for (i = 0; i < gs->n; i++) {
			g = &gs->g[i];
			for (j = ghash(g->dim, g->bucket, g->key) & (nn - 1); ns[j]; j = (j + 1) & (nn - 1))
				;
			ns[j] = i + 1;
		}
		free(gs->slot);
		gs->slot = ns;
		gs->nslot = nn;
	}
	for (j = ghash(dim, bucket, key) & (gs->nslot - 1); gs->slot[j]; j = (j + 1) & (gs->nslot - 1))
		if (geq(&gs->g[gs->slot[j] - 1], dim, bucket, key))
			return &gs->g[gs->slot[j] - 1];
	if (gs->n == gs->cap) {
		size_t nc = gs->cap ? gs->cap * 2 : 64;

		if (!(g = realloc(gs->g, nc * sizeof *g)))
			return NULL;
		gs->g = g;
		gs->cap = nc;
	}
	g = &gs->g[gs->n];
	memset(g, 0, sizeof *g);
	g->dim = dim;
	g->bucket = bucket;
	if (key && !(g->key = strdup(key)))
		return NULL;
	gs->slot[j] = ++gs->n;
	return g;
}

static void
groups_free(struct groups *gs)
{
	size_t i;

	for (i = 0; i < gs->n; i++) {
		free(gs->g[i].key);
		free(gs->g[i].ttc);
	}
	free(gs->g);
	free(gs->slot);
}

/* Severities most urgent first, as the SLA table and by_severity list them. */
static int
sev_rank(const char *s)
{
	static const char *const order[] = { "critical", "high", "medium", "low" };
	int i;

	for (i = 0; i < 4; i++)
		if (s && !strcmp(s, order[i]))
			return i;
	return 4;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->dim != y->dim)
		return x->dim < y->dim ? -1 : 1;
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->dim == 4 && sev_rank(x->key) != sev_rank(y->key))
		return sev_rank(x->key) - sev_rank(y->key);
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (!x->key || !y->key)
		return !x->key - !y->key;
	return strcmp(x->key, y->key);
}

static int
sec_by(struct run *x, unsigned want)
{
	struct groups gs = { 0 };
	struct esc_table *t[5] = { 0 };
	struct esc_cell *c;
	struct group *g;
	sqlite3_stmt *s;
	int bucketed = x->by != ESC_BY_NONE, d, rc, ret = -1;
	size_t i;
	long long *nv;

	/* the cube: every combination of the five, counted in one pass over
	 * the covering index escalations_cube, then added up per dimension */
	if (!(s = prep(x, "by_offer, by_reason, by_tier, by_template, by_severity: counts",
	    "SELECT {B}, offer, reason, tier, template, severity, count(*), total(converted), "
	    "total(conversion_value) FROM {E} WHERE {WS} GROUP BY {G}2, 3, 4, 5, 6")))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (d = 0; d < 5; d++) {
			if (!(want & 1u << (ESC_SEC_OFFER + d)))
				continue;
			g = group_get(&gs, d, sqlite3_column_int64(s, 0),
				(const char *)sqlite3_column_text(s, 1 + d));
			if (!g)
				goto nomem;
			g->n += sqlite3_column_int64(s, 6);
			g->conv += (long long)sqlite3_column_double(s, 7);
			g->value += sqlite3_column_double(s, 8);
		}
	}
	if (step_err(x, s, rc) < 0)
		goto out;
	sqlite3_finalize(s);
	/* the times to conversion, from the small partial index of converted rows */
	if (!(s = prep(x, "by_*: times to conversion",
	    "SELECT {B}, offer, reason, tier, template, severity, converted_at - created_at "
	    "FROM {E} WHERE converted AND converted_at IS NOT NULL AND {W}")))
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (d = 0; d < 5; d++) {
			if (!(want & 1u << (ESC_SEC_OFFER + d)))
				continue;
			g = group_get(&gs, d, sqlite3_column_int64(s, 0),
				(const char *)sqlite3_column_text(s, 1 + d));
			if (!g)
				goto nomem;
			if (g->nttc == g->cap) {
				g->cap = g->cap ? g->cap * 2 : 16;
				if (!(nv = realloc(g->ttc, g->cap * sizeof *nv)))
					goto nomem;
				g->ttc = nv;
			}
			g->ttc[g->nttc++] = sqlite3_column_int64(s, 6);
		}
	}
	if (step_err(x, s, rc) < 0)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	for (d = 0; d < 5; d++) {
		if (!(want & 1u << (ESC_SEC_OFFER + d)))
			continue;
		if (!(t[d] = table_new(ESC_SEC_OFFER + d, by_titles[d], by_cols[d] + !bucketed,
		    8 - !bucketed)))
			goto nomem;
		x->r->t[ESC_SEC_OFFER + d] = t[d];
	}
	/* the hash's slots point into the array: sorting ends its use */
	if (gs.n)
		qsort(gs.g, gs.n, sizeof *gs.g, group_cmp);
	for (i = 0; i < gs.n; i++) {
		double med, p90, sum = 0;
		size_t k;

		g = &gs.g[i];
		if (!(c = table_row(t[g->dim])))
			goto nomem;
		if (bucketed)
			set_int(c++, ESC_V_DATE, g->bucket);
		if (set_text(&c[0], (const unsigned char *)g->key) < 0)
			goto nomem;
		set_int(&c[1], ESC_V_INT, g->n);
		set_int(&c[2], ESC_V_INT, g->conv);
		set_rate(&c[3], g->conv, g->n);
		if (g->nttc) {
			for (k = 0; k < g->nttc; k++)
				sum += (double)g->ttc[k];
			esc_quantiles(g->ttc, g->nttc, &med, &p90);
			set_real(&c[4], ESC_V_DUR, med);
			set_real(&c[5], ESC_V_DUR, sum / (double)g->nttc);
		}
		set_real(&c[6], ESC_V_REAL, g->value);
	}
	ret = 0;
	goto out;
nomem:
	oom(x);
out:
	sqlite3_finalize(s);
	groups_free(&gs);
	return ret;
}

/* ---- recent ---- */

static const struct esc_col recent_cols[] = {
	{ "db", "db", ESC_V_TEXT },
	{ "id", "id", ESC_V_INT },
	{ "created_at", "created", ESC_V_TIME },
	{ "route", "route", ESC_V_TEXT },
	{ "offer", "offer", ESC_V_TEXT },
	{ "reason", "reason", ESC_V_TEXT },
	{ "severity", "severity", ESC_V_TEXT },
	{ "status", "status", ESC_V_TEXT },
	{ "agent", "agent", ESC_V_TEXT },
	{ "user_id", "user", ESC_V_TEXT },
	{ "converted", "conv.", ESC_V_INT },
	{ "question", "question", ESC_V_TEXT },
};

static int
sec_recent(struct run *x)
{
	int multi = x->st->n > 1, rc, k, f;
	struct esc_table *t;
	struct esc_cell *c;
	sqlite3_stmt *s;

	if (!(t = table_new(ESC_SEC_RECENT, "Recent escalations", recent_cols + !multi,
	    (int)(sizeof recent_cols / sizeof *recent_cols) - !multi)))
		return oom(x);
	x->r->t[ESC_SEC_RECENT] = t;
	if (!(s = prep(x, "recent",
	    "SELECT {DB}, id, created_at, route, offer, reason, severity, status, agent, "
	    "user_id, converted, question FROM {E} WHERE {W} "
	    "ORDER BY created_at DESC, id DESC LIMIT :limit")))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(c = table_row(t)))
			goto nomem;
		if (multi) {
			f = sqlite3_column_int(s, 0);
			if (set_text(c++, (const unsigned char *)x->st->paths[f]) < 0)
				goto nomem;
		}
		set_int(&c[0], ESC_V_INT, sqlite3_column_int64(s, 1));
		set_int(&c[1], ESC_V_TIME, sqlite3_column_int64(s, 2));
		for (k = 3; k <= 9; k++)
			if (set_text(&c[k - 1], sqlite3_column_text(s, k)) < 0)
				goto nomem;
		set_int(&c[9], ESC_V_INT, sqlite3_column_int64(s, 10));
		if (set_text(&c[10], sqlite3_column_text(s, 11)) < 0)
			goto nomem;
	}
	if (step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
nomem:
	sqlite3_finalize(s);
	return oom(x);
}

/* ---- SLA ---- */

static const struct esc_col sla_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "severity", "severity", ESC_V_TEXT },
	{ "escalations", "escalations", ESC_V_INT },
	{ "first_response_met", "1st met", ESC_V_INT },
	{ "first_response_breached", "1st breached", ESC_V_INT },
	{ "first_response_at_risk", "1st at risk", ESC_V_INT },
	{ "first_response_pending", "1st pending", ESC_V_INT },
	{ "first_response_median", "1st median", ESC_V_DUR },
	{ "first_response_p90", "1st p90", ESC_V_DUR },
	{ "resolution_met", "res. met", ESC_V_INT },
	{ "resolution_breached", "res. breached", ESC_V_INT },
	{ "resolution_at_risk", "res. at risk", ESC_V_INT },
	{ "resolution_pending", "res. pending", ESC_V_INT },
	{ "resolution_median", "res. median", ESC_V_DUR },
	{ "resolution_p90", "res. p90", ESC_V_DUR },
};

/* Rows of cells, compared by severity (after the bucket, if any). */
static int
sla_cmp(const void *a, const void *b)
{
	return sev_rank(((const struct esc_cell *)a)->s) - sev_rank(((const struct esc_cell *)b)->s);
}

static int
sla_cmp_b(const void *a, const void *b)
{
	const struct esc_cell *x = a, *y = b;

	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return sla_cmp(x + 1, y + 1);
}

static int
sec_sla(struct run *x)
{
	int bucketed = x->by != ESC_BY_NONE, rc, k;
	struct esc_table *t;
	struct esc_cell *c;
	sqlite3_stmt *s;
	double q[12];

	if (!(t = table_new(ESC_SEC_SLA, "SLA by severity", sla_cols + !bucketed,
	    (int)(sizeof sla_cols / sizeof *sla_cols) - !bucketed)))
		return oom(x);
	x->r->t[ESC_SEC_SLA] = t;
	/* only escalations with a due time (the human route) have an SLA */
	if (!(s = prep(x, "sla",
	    "SELECT {B}, severity, count(*), esc_sla(:now, :warn, status, created_at, "
	    "first_response_at, first_response_due, resolved_at, resolution_due, updated_at) "
	    "FROM {E} WHERE {WS} AND (first_response_due IS NOT NULL OR resolution_due IS NOT NULL) "
	    "GROUP BY {G}severity")))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(c = table_row(t)))
			goto nomem;
		if (bucketed)
			set_int(c++, ESC_V_DATE, sqlite3_column_int64(s, 0));
		if (set_text(&c[0], sqlite3_column_text(s, 1)) < 0)
			goto nomem;
		set_int(&c[1], ESC_V_INT, sqlite3_column_int64(s, 2));
		if (sqlite3_column_type(s, 3) != SQLITE_BLOB ||
		    sqlite3_column_bytes(s, 3) != (int)sizeof q)
			continue;
		memcpy(q, sqlite3_column_blob(s, 3), sizeof q);
		for (k = 0; k < 12; k++) {
			if (k % 6 < 4)
				set_int(&c[2 + k], ESC_V_INT, (long long)q[k]);
			else if (!isnan(q[k]))
				set_real(&c[2 + k], ESC_V_DUR, q[k]);
		}
	}
	/* most urgent first */
	if (t->nrow)
		qsort(t->cells, t->nrow, (size_t)t->ncol * sizeof *t->cells,
			bucketed ? sla_cmp_b : sla_cmp);
	if (step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
nomem:
	sqlite3_finalize(s);
	return oom(x);
}

/* ---- the agent leaderboard ---- */

static const struct esc_col board_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "rank", "#", ESC_V_INT },
	{ "agent", "agent", ESC_V_TEXT },
	{ "resolved", "resolved", ESC_V_INT },
	{ "resolution_median", "median res.", ESC_V_DUR },
	{ "saved", "saved", ESC_V_INT },
	{ "streak", "streak", ESC_V_INT },
};

static int
board_cmp(const void *a, const void *b)
{
	/* a row: bucket?, rank, agent, resolved, median, saved, streak; the
	 * rank is not set yet, so a first cell that is a date is the bucket */
	const struct esc_cell *x = *(struct esc_cell *const *)a, *y = *(struct esc_cell *const *)b;

	if (x[0].type == ESC_V_DATE) {
		if (x[0].i != y[0].i)
			return x[0].i < y[0].i ? -1 : 1;
		x++;
		y++;
	}
	if (x[4].i != y[4].i)
		return x[4].i > y[4].i ? -1 : 1;     /* saved */
	if (x[2].i != y[2].i)
		return x[2].i > y[2].i ? -1 : 1;     /* resolved */
	if (x[3].r != y[3].r)
		return x[3].r < y[3].r ? -1 : 1;     /* faster first */
	return strcmp(x[1].s ? x[1].s : "", y[1].s ? y[1].s : "");
}

/* Row pointers of a bucketed leaderboard, by agent then bucket. */
static int
agent_bucket_cmp(const void *a, const void *b)
{
	const struct esc_cell *x = *(struct esc_cell *const *)a, *y = *(struct esc_cell *const *)b;
	int r = strcmp(x[2].s ? x[2].s : "", y[2].s ? y[2].s : "");

	if (r)
		return r;
	return x[0].i < y[0].i ? -1 : x[0].i > y[0].i;
}

/* With --by: each agent's resolutions in the window once, newest first;
 * in each bucket, the streak counts until that bucket's first miss. One
 * query per agent, not per agent and bucket. */
static int
streaks_by_bucket(struct run *x, struct esc_table *t, sqlite3_stmt *k)
{
	struct esc_cell **rows = malloc(t->nrow * sizeof *rows);
	unsigned char *stop = calloc(t->nrow, 1);
	size_t i, j, lo, hi, mid;
	int r;

	if (!rows || !stop) {
		free(rows);
		free(stop);
		return oom(x);
	}
	for (i = 0; i < t->nrow; i++)
		rows[i] = &t->cells[i * (size_t)t->ncol];
	qsort(rows, t->nrow, sizeof *rows, agent_bucket_cmp);
	for (i = 0; i < t->nrow; i = j) {
		/* rows[i..j-1]: one agent, buckets ascending */
		for (j = i + 1; j < t->nrow && !strcmp(rows[j][2].s ? rows[j][2].s : "",
		     rows[i][2].s ? rows[i][2].s : ""); j++)
			;
		sqlite3_bind_text(k, sqlite3_bind_parameter_index(k, ":agent"), rows[i][2].s,
			-1, SQLITE_STATIC);
		while ((r = sqlite3_step(k)) == SQLITE_ROW) {
			long long b = sqlite3_column_int64(k, 0);

			for (lo = i, hi = j; lo < hi; ) {
				mid = lo + (hi - lo) / 2;
				if (rows[mid][0].i < b)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == j || rows[lo][0].i != b || stop[lo])
				continue;
			if (sqlite3_column_int(k, 1))
				rows[lo][6].i++;
			else
				stop[lo] = 1;
		}
		sqlite3_reset(k);
		if (r != SQLITE_DONE) {
			esc_store_err(x->st->db, x->err);
			free(rows);
			free(stop);
			return -1;
		}
	}
	for (i = 0; i < t->nrow; i++)
		rows[i][6].r = (double)rows[i][6].i;
	free(rows);
	free(stop);
	return 0;
}

static int
sec_board(struct run *x)
{
	int bucketed = x->by != ESC_BY_NONE, rc, ncol;
	struct esc_table *t;
	struct esc_cell *c, **order = NULL, *sorted = NULL;
	sqlite3_stmt *s, *k = NULL;
	size_t i, rank = 0;
	long long prev = LLONG_MIN;
	double q[3];

	ncol = (int)(sizeof board_cols / sizeof *board_cols) - !bucketed;
	if (!(t = table_new(ESC_SEC_LEADERBOARD, "Agent leaderboard", board_cols + !bucketed, ncol)))
		return oom(x);
	x->r->t[ESC_SEC_LEADERBOARD] = t;
	/* saved: a resolution with outcome "saved" of a cancel threat (the
	 * "cancel" alert, or the cancel_threat playbook) */
	if (!(s = prep(x, "leaderboard",
	    "SELECT {B}, agent, count(*), "
	    "total(outcome = 'saved' AND (playbook = 'cancel_threat' OR alerts LIKE '%\"cancel\"%')), "
	    "esc_quant(resolved_at - created_at) "
	    "FROM {E} WHERE resolved_at IS NOT NULL AND agent IS NOT NULL AND {WS} "
	    "GROUP BY {G}agent")))
		return -1;
	/* the streak: the agent's latest resolutions (of the window, or of the
	 * bucket) that met their due time, counted back to the first miss */
	if (!(k = prep(x, "leaderboard: streaks",
	    bucketed ?
	    "SELECT {B}, resolution_due IS NULL OR resolved_at <= resolution_due FROM {E} "
	    "WHERE agent = :agent AND resolved_at IS NOT NULL AND {W} "
	    "ORDER BY resolved_at DESC" :
	    "SELECT resolution_due IS NULL OR resolved_at <= resolution_due FROM {E} "
	    "WHERE agent = :agent AND resolved_at IS NOT NULL AND {W} ORDER BY resolved_at DESC"))) {
		sqlite3_finalize(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long streak = 0, b = sqlite3_column_int64(s, 0);
		int r;

		if (!(c = table_row(t)))
			goto nomem;
		if (bucketed)
			set_int(c++, ESC_V_DATE, b);
		if (set_text(&c[1], sqlite3_column_text(s, 1)) < 0)
			goto nomem;
		set_int(&c[2], ESC_V_INT, sqlite3_column_int64(s, 2));
		if (quant_col(s, 4, q))
			set_real(&c[3], ESC_V_DUR, q[0]);
		set_int(&c[4], ESC_V_INT, (long long)sqlite3_column_double(s, 3));
		set_int(&c[5], ESC_V_INT, 0);
		if (bucketed)
			continue;        /* the streaks per bucket come after */
		sqlite3_bind_text(k, sqlite3_bind_parameter_index(k, ":agent"),
			(const char *)sqlite3_column_text(s, 1), -1, SQLITE_TRANSIENT);
		while ((r = sqlite3_step(k)) == SQLITE_ROW && sqlite3_column_int(k, 0))
			streak++;
		if (r != SQLITE_ROW && r != SQLITE_DONE) {
			esc_store_err(x->st->db, x->err);
			goto fail;
		}
		sqlite3_reset(k);
		set_int(&c[5], ESC_V_INT, streak);
	}
	if (rc != SQLITE_DONE) {
		esc_store_err(x->st->db, x->err);
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (bucketed && t->nrow && streaks_by_bucket(x, t, k) < 0)
		goto fail;
	sqlite3_finalize(k);
	k = NULL;
	/* rank: most saved, then most resolved, then fastest */
	if (t->nrow) {
		if (!(order = malloc(t->nrow * sizeof *order)) ||
		    !(sorted = malloc(t->nrow * (size_t)ncol * sizeof *sorted)))
			goto nomem;
		for (i = 0; i < t->nrow; i++)
			order[i] = &t->cells[i * (size_t)ncol];
		qsort(order, t->nrow, sizeof *order, board_cmp);
		for (i = 0; i < t->nrow; i++) {
			memcpy(&sorted[i * (size_t)ncol], order[i], (size_t)ncol * sizeof *sorted);
			c = &sorted[i * (size_t)ncol + bucketed];
			if (bucketed && c[-1].i != prev)
				rank = 0;
			prev = bucketed ? c[-1].i : 0;
			set_int(&c[0], ESC_V_INT, (long long)++rank);
		}
		free(t->cells);
		t->cells = sorted;
		t->cap = t->nrow;
		free(order);
	}
	return 0;
nomem:
	free(order);
	free(sorted);
	oom(x);
fail:
	sqlite3_finalize(s);
	sqlite3_finalize(k);
	return -1;
}

/* ---- the report ---- */

void
esc_report_free(struct esc_report *r)
{
	int i;

	for (i = 0; i < ESC_SEC_N; i++) {
		table_free(r->t[i]);
		r->t[i] = NULL;
	}
	esc_buf_free(&r->explain);
}

static int
sla_warning(long *warn, struct esc_err *err)
{
	struct esc_sla *sla = esc_sla_load(NULL, err);

	if (!sla)
		return -1;
	*warn = esc_sla_warning(sla);
	esc_sla_free(sla);
	return 0;
}

int
esc_stats_run(struct esc_stats *st, const struct esc_stats_opts *o,
	struct esc_report *r, struct esc_err *err)
{
	struct run x = { 0 };
	unsigned by = 1u << ESC_SEC_OFFER | 1u << ESC_SEC_REASON | 1u << ESC_SEC_TIER |
		1u << ESC_SEC_TEMPLATE | 1u << ESC_SEC_SEVERITY;
	int rc = ESC_EXIT_STORE;

	memset(r, 0, sizeof *r);
	r->o = *o;
	r->multi = st->n > 1;
	r->now = esc_time_now();
	x.st = st;
	x.o = o;
	x.r = r;
	x.err = err;
	x.now = r->now;
	if ((o->sections & 1u << ESC_SEC_SLA) && sla_warning(&x.warn, err) < 0)
		return ESC_EXIT_DATA;
	/* one read transaction: every section sees the same store */
	if (exec(st->db, "BEGIN", err) < 0)
		return ESC_EXIT_STORE;
	x.by = o->by;
	if (set_bucket_fn(st, o->by) != SQLITE_OK) {
		esc_store_err(st->db, err);
		goto out;
	}
	if ((o->sections & 1u << ESC_SEC_TOTALS) && sec_totals(&x, ESC_SEC_TOTALS) < 0)
		goto out;
	if ((o->sections & by) && sec_by(&x, o->sections & by) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_RECENT) && sec_recent(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_SLA) && sec_sla(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_LEADERBOARD) && sec_board(&x) < 0)
		goto out;
	if (o->sections & 1u << ESC_SEC_TREND) {
		/* the trend is by day unless --by says otherwise */
		x.by = o->by ? o->by : ESC_BY_DAY;
		if (sec_totals(&x, ESC_SEC_TREND) < 0)
			goto out;
	}
	rc = 0;
out:
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	esc_buf_free(&x.sql);
	if (rc)
		esc_report_free(r);
	return rc;
}

/* ---- alerts ---- */

struct alerts {
	struct run *x;
	int file;
	sqlite3_stmt *ins;
	struct esc_buf lines;
	long count;
	double touches, var, drop;
};

/* Record (kind, subject) in the file's alerts_sent; 1 if it is new. */
static int
alert_new(struct alerts *a, const char *kind, const char *subject)
{
	int rc;

	sqlite3_bind_text(a->ins, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(a->ins, 3, a->x->now);
	rc = sqlite3_step(a->ins);
	sqlite3_reset(a->ins);
	if (rc != SQLITE_DONE) {
		esc_store_err(a->x->st->db, a->x->err);
		return -1;
	}
	return sqlite3_changes(a->x->st->db) > 0;
}

static void
json_kv_str(struct esc_buf *b, const char *k, const unsigned char *v)
{
	esc_buf_printf(b, ",\"%s\":", k);
	if (v)
		esc_buf_json_str(b, (const char *)v, strlen((const char *)v));
	else
		esc_buf_puts(b, "null");
}

static void
json_kv_time(struct esc_buf *b, const char *k, long long t)
{
	char tb[64];

	esc_buf_printf(b, ",\"%s\":\"%s\"", k, esc_time_format((time_t)t, tb, sizeof tb));
}

/* The start of an alert line: kind, escalation, and the file. */
static void
alert_head(struct alerts *a, const char *kind)
{
	esc_buf_printf(&a->lines, "{\"kind\":\"%s\"", kind);
	if (a->x->st->n > 1)
		json_kv_str(&a->lines, "db", (const unsigned char *)a->x->st->paths[a->file]);
}

static void
alert_tail(struct alerts *a, const char *msg)
{
	json_kv_time(&a->lines, "at", a->x->now);
	json_kv_str(&a->lines, "message", (const unsigned char *)msg);
	esc_buf_puts(&a->lines, "}\n");
	a->count++;
}

/* The members every escalation alert has, from the row of the query in
 * alerts_file(). */
static void
alert_escalation(struct alerts *a, sqlite3_stmt *s)
{
	struct esc_buf *b = &a->lines;

	esc_buf_printf(b, ",\"escalation_id\":%lld", (long long)sqlite3_column_int64(s, 0));
	json_kv_str(b, "severity", sqlite3_column_text(s, 3));
	json_kv_str(b, "status", sqlite3_column_text(s, 5));
	json_kv_str(b, "route", sqlite3_column_text(s, 6));
	json_kv_str(b, "agent", sqlite3_column_text(s, 4));
	json_kv_str(b, "user_id", sqlite3_column_text(s, 1));
	json_kv_str(b, "conversation_id", sqlite3_column_text(s, 2));
	json_kv_str(b, "playbook", sqlite3_column_text(s, 7));
}

static int
alerts_file(struct alerts *a)
{
	struct run *x = a->x;
	const char *sch = x->st->schema[a->file];
	static const char *const what[2] = { "first_response", "resolution" };
	static const char *const words[2] = { "first response to", "resolution of" };
	char *sql, subj[128], msg[512], dur[32], tb[64];
	sqlite3_stmt *s;
	int rc, k, r;

	sql = sqlite3_mprintf("INSERT OR IGNORE INTO %s.alerts_sent (kind, subject, at) "
		"VALUES (?1, ?2, ?3)", sch);
	if (!sql || sqlite3_prepare_v2(x->st->db, sql, -1, &a->ins, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_free(sql);
	/* open escalations with something to say: a due time within the
	 * warning, many touches, much value at risk */
	sql = sqlite3_mprintf(
		"SELECT id, user_id, conversation_id, severity, agent, status, route, playbook, "
		"first_response_at, first_response_due, resolved_at, resolution_due, touches, "
		"value_at_risk FROM %s.escalations "
		"WHERE status <> 'resolved' AND status <> 'closed' AND ("
		"(first_response_at IS NULL AND first_response_due <= ?1 + ?2) OR "
		"(resolved_at IS NULL AND resolution_due <= ?1 + ?2) OR "
		"touches >= ?3 OR value_at_risk > ?4) ORDER BY id", sch);
	if (!sql || sqlite3_prepare_v2(x->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_free(sql);
	sqlite3_bind_int64(s, 1, x->now);
	sqlite3_bind_int64(s, 2, x->warn);
	sqlite3_bind_double(s, 3, a->touches);
	sqlite3_bind_double(s, 4, a->var);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *sev = (const char *)sqlite3_column_text(s, 3);

		for (k = 0; k < 2; k++) {
			int done_col = k ? 10 : 8, due_col = k ? 11 : 9;
			long long due = sqlite3_column_int64(s, due_col);
			const char *kind;

			if (sqlite3_column_type(s, done_col) != SQLITE_NULL ||
			    sqlite3_column_type(s, due_col) == SQLITE_NULL || due > x->now + x->warn)
				continue;
			kind = x->now > due ? "sla_breach" : "sla_warning";
			snprintf(subj, sizeof subj, "escalation:%lld:%s", id, what[k]);
			if ((r = alert_new(a, kind, subj)) < 0)
				goto fail;
			if (!r)
				continue;
			esc_format_duration((double)(x->now > due ? x->now - due : due - x->now),
				dur, sizeof dur);
			esc_time_format((time_t)due, tb, sizeof tb);
			if (x->now > due)
				snprintf(msg, sizeof msg, "%s escalation %lld (%s) was due at %s: %s late",
					words[k], id, sev ? sev : "?", tb, dur);
			else
				snprintf(msg, sizeof msg, "%s escalation %lld (%s) is due in %s, at %s",
					words[k], id, sev ? sev : "?", dur, tb);
			alert_head(a, kind);
			alert_escalation(a, s);
			json_kv_str(&a->lines, "sla", (const unsigned char *)what[k]);
			json_kv_time(&a->lines, "due", due);
			alert_tail(a, msg);
		}
		if (sqlite3_column_type(s, 12) != SQLITE_NULL &&
		    sqlite3_column_double(s, 12) >= a->touches) {
			snprintf(subj, sizeof subj, "escalation:%lld", id);
			if ((r = alert_new(a, "touches", subj)) < 0)
				goto fail;
			if (r) {
				snprintf(msg, sizeof msg, "escalation %lld (%s) has had %lld touches "
					"(the alert is at %g)", id, sev ? sev : "?",
					(long long)sqlite3_column_int64(s, 12), a->touches);
				alert_head(a, "touches");
				alert_escalation(a, s);
				esc_buf_printf(&a->lines, ",\"touches\":%lld",
					(long long)sqlite3_column_int64(s, 12));
				alert_tail(a, msg);
			}
		}
		if (sqlite3_column_type(s, 13) != SQLITE_NULL &&
		    sqlite3_column_double(s, 13) > a->var) {
			snprintf(subj, sizeof subj, "escalation:%lld", id);
			if ((r = alert_new(a, "value_at_risk", subj)) < 0)
				goto fail;
			if (r) {
				snprintf(msg, sizeof msg, "escalation %lld (%s) puts %g at risk "
					"(the alert is over %g)", id, sev ? sev : "?",
					sqlite3_column_double(s, 13), a->var);
				alert_head(a, "value_at_risk");
				alert_escalation(a, s);
				esc_buf_puts(&a->lines, ",\"value_at_risk\":");
				esc_buf_json_num(&a->lines, sqlite3_column_double(s, 13));
				alert_tail(a, msg);
			}
		}
	}
	if (rc != SQLITE_DONE) {
		esc_store_err(x->st->db, x->err);
		goto fail;
	}
	sqlite3_finalize(s);
	/* conversations whose latest message (of those since --since, or of
	 * the last day) is negative and well below the best before it */
	sql = sqlite3_mprintf(
		"WITH recent AS (SELECT DISTINCT conversation_id AS cid FROM %s.questions "
		"  WHERE created_at >= ?1 AND created_at <= ?2 AND conversation_id IS NOT NULL), "
		"last AS (SELECT cid, (SELECT q.id FROM %s.questions q WHERE q.conversation_id = cid "
		"  AND q.created_at <= ?2 ORDER BY q.created_at DESC, q.id DESC LIMIT 1) AS qid "
		"  FROM recent) "
		"SELECT l.cid, q.message_id, q.user_id, q.sentiment, q.created_at, "
		"  (SELECT max(p.sentiment) FROM %s.questions p WHERE p.conversation_id = l.cid "
		"   AND (p.created_at < q.created_at OR (p.created_at = q.created_at AND p.id < q.id))) "
		"  AS best "
		"FROM last l JOIN %s.questions q ON q.id = l.qid "
		"WHERE q.sentiment <= -0.05 AND best - q.sentiment >= ?3 ORDER BY l.cid",
		sch, sch, sch, sch);
	if (!sql || sqlite3_prepare_v2(x->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		esc_store_err(x->st->db, x->err);
		return -1;
	}
	sqlite3_free(sql);
	sqlite3_bind_int64(s, 1, x->o->has_since ? x->o->since : x->now - 86400);
	sqlite3_bind_int64(s, 2, x->now);
	sqlite3_bind_double(s, 3, a->drop - 1e-9);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *cid = sqlite3_column_text(s, 0);
		double now_s = sqlite3_column_double(s, 3), best = sqlite3_column_double(s, 5);

		snprintf(subj, sizeof subj, "conversation:%.100s", (const char *)cid);
		if ((r = alert_new(a, "sentiment_drop", subj)) < 0)
			goto fail;
		if (!r)
			continue;
		snprintf(msg, sizeof msg, "conversation %.100s: sentiment fell from %.2f to %.2f",
			(const char *)cid, best, now_s);
		alert_head(a, "sentiment_drop");
		json_kv_str(&a->lines, "conversation_id", cid);
		json_kv_str(&a->lines, "message_id", sqlite3_column_text(s, 1));
		json_kv_str(&a->lines, "user_id", sqlite3_column_text(s, 2));
		esc_buf_puts(&a->lines, ",\"sentiment\":");
		esc_buf_json_num(&a->lines, now_s);
		esc_buf_puts(&a->lines, ",\"best_before\":");
		esc_buf_json_num(&a->lines, best);
		json_kv_time(&a->lines, "message_at", sqlite3_column_int64(s, 4));
		alert_tail(a, msg);
	}
	if (rc != SQLITE_DONE) {
		esc_store_err(x->st->db, x->err);
		goto fail;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(a->ins);
	a->ins = NULL;
	return 0;
fail:
	sqlite3_finalize(s);
	sqlite3_finalize(a->ins);
	a->ins = NULL;
	return -1;
}

static int
num_member(json_t *j, const char *k, double *v, struct esc_err *err)
{
	json_t *m = json_object_get(j, k);

	if (!json_is_number(m) || json_number_value(m) < 0) {
		esc_err_set(err, "data file %s/store/alerts.json: \"%s\" must be a number >= 0",
			esc_share_dir(), k);
		return -1;
	}
	*v = json_number_value(m);
	return 0;
}

int
esc_stats_alerts(struct esc_stats *st, const struct esc_stats_opts *o,
	esc_alert_emit emit, void *ctx, long *count, struct esc_err *err)
{
	struct run x = { 0 };
	struct esc_report r = { 0 };
	struct alerts a = { 0 };
	json_t *j;
	int i, rc = ESC_EXIT_STORE;

	*count = 0;
	x.st = st;
	x.o = o;
	x.r = &r;
	x.err = err;
	x.now = esc_time_now();
	a.x = &x;
	if (sla_warning(&x.warn, err) < 0)
		return ESC_EXIT_DATA;
	if (!(j = esc_share_json("store/alerts.json", err)))
		return ESC_EXIT_DATA;
	if (num_member(j, "touches", &a.touches, err) < 0 ||
	    num_member(j, "value_at_risk", &a.var, err) < 0 ||
	    num_member(j, "sentiment_drop", &a.drop, err) < 0) {
		json_decref(j);
		return ESC_EXIT_DATA;
	}
	json_decref(j);
	/* say so now, even when no alert is due: a cron job that can never
	 * record what it sends would send it again every minute */
	for (i = 0; i < st->n; i++)
		if (sqlite3_db_readonly(st->db, st->schema[i]) == 1) {
			esc_err_set(err, "%s: read-only: --alerts records the alerts it sends "
				"in the store, so it needs to write it", st->paths[i]);
			return ESC_EXIT_STORE;
		}
	/* one write transaction over every file: what is printed is recorded,
	 * and what is recorded was printed */
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		int code = sqlite3_extended_errcode(st->db);

		if ((code & 0xff) == SQLITE_READONLY)
			esc_err_set(err, "%s: read-only: --alerts records the alerts it sends "
				"in the store, so it needs to write it", st->paths[0]);
		else
			esc_store_err(st->db, err);
		return ESC_EXIT_STORE;
	}
	for (i = 0; i < st->n; i++) {
		a.file = i;
		if (alerts_file(&a) < 0) {
			if ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_READONLY)
				esc_err_set(err, "%s: read-only: --alerts records the alerts it "
					"sends in the store, so it needs to write it", st->paths[i]);
			goto out;
		}
	}
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		goto out;
	}
	if (a.count && emit(ctx, a.lines.p, a.lines.len) < 0) {
		rc = ESC_EXIT_IO;
		goto out;
	}
	if (exec(st->db, "COMMIT", err) < 0)
		goto out;
	*count = a.count;
	rc = 0;
out:
	if (rc)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	esc_buf_free(&a.lines);
	esc_buf_free(&x.sql);
	return rc;
}
