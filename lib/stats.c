/* stats.c — esc-stats's engine: the numbers (the Wilson interval,
 * quantiles, buckets), the SQL functions esc_bucket(), esc_quant() and
 * esc_sla(), the opened store files (attached together, or, beyond
 * SQLite's limit, copied into temporary tables), the tables, and the
 * runner that expands, prepares and steps the queries of the sections
 * (sections.c) in one read transaction. The alerts are in alerts.c.
 *
 * Every section is a few SQL aggregates over covering indexes (share/sql
 * "Reports"); medians and the 90th percentile come from esc_quant(), an
 * aggregate that selects in O(n) as the rows stream by. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "esc.h"
#include "stats.h"
#include "stats-int.h"
#include "store.h"

#define Z95 1.96

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

/* Howard Hinnant's civil_from_days (days_from_civil is in timefmt.c). */
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
		return (time_t)(esc_days_from_civil(y, m, 1) * 86400);
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
		return (time_t)(esc_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400);
	default: return b;
	}
}

long long
esc_bucket_count(time_t lo, time_t hi, enum esc_by by)
{
	long long a, b;
	int y1, m1, y2, m2;

	if (hi <= lo)
		return 0;
	a = floordiv((long long)lo, 86400);
	b = floordiv((long long)hi - 1, 86400);
	switch (by) {
	case ESC_BY_DAY: return b - a + 1;
	case ESC_BY_WEEK: return floordiv(b + 3, 7) - floordiv(a + 3, 7) + 1;  /* weeks from Monday */
	case ESC_BY_MONTH:
		civil(a, &y1, &m1);
		civil(b, &y2, &m2);
		return ((long long)y2 - y1) * 12 + (m2 - m1) + 1;
	default: return 1;
	}
}

const char *
esc_by_name(enum esc_by by)
{
	return by == ESC_BY_DAY ? "day" : by == ESC_BY_WEEK ? "week" :
		by == ESC_BY_MONTH ? "month" : "none";
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
	"recent", "sla", "leaderboard", "funnel", "upsell", "opportunities",
	"surveys", "survey_methods", "survey_funnel", "problems", "trend",
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
fn_quant_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct quant *q = sqlite3_aggregate_context(ctx, sizeof *q);

	(void)argc;
	if (q && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		quant_push(q, sqlite3_value_int64(argv[0]));
}

/* The result is a blob of three doubles: median, p90, mean; NULL when no
 * value came. esc_quant_col() reads it. */
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
 * time; pending: the rest of the open ones. One done before the escalation
 * was created, which esc-log refuses but an older store may hold, was done
 * at no time that can be told: it is none of the four, and has no time. */
struct slagg {
	double count[2][4];
	struct quant q[2];
};

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
		if (has[k] && done[k] < created)
			continue;      /* done before it came in: no time to count */
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

/* The tables the sections read, as {E}, {Q}, ... name them, and the
 * sections that read each. With several files, temp.esc_<name> holds the
 * rows of them all, with the file's number in "db": a view over the
 * attached files, or a copy of their rows when there are more files than
 * SQLite attaches at once. */
enum { T_E, T_Q, T_V, T_I, T_R, T_O, T_S, T_SA, T_SN, T_P, T_N };
#define SEC(s) (1u << ESC_SEC_##s)
static const struct {
	const char *name;
	unsigned sections;
} tables[T_N] = {
	{ "escalations", SEC(TOTALS) | SEC(TREND) | SEC(OFFER) | SEC(REASON) | SEC(TIER) |
		SEC(TEMPLATE) | SEC(SEVERITY) | SEC(RECENT) | SEC(SLA) | SEC(LEADERBOARD) },
	{ "questions", SEC(TOTALS) | SEC(TREND) | SEC(TIER) },
	{ "events", SEC(TOTALS) | SEC(TREND) },
	{ "interactions", SEC(FUNNEL) | SEC(UPSELL) },
	{ "recommendations", SEC(FUNNEL) | SEC(UPSELL) },
	{ "opportunities", SEC(OPPS) },
	{ "surveys", SEC(SURVEYS) | SEC(SURVEY_METHODS) | SEC(SURVEY_FUNNEL) },
	{ "survey_attempts", SEC(SURVEYS) | SEC(SURVEY_METHODS) | SEC(SURVEY_FUNNEL) },
	{ "survey_answers", SEC(SURVEY_METHODS) },
	{ "problems", SEC(PROBLEMS) },
};
#undef SEC

/* The indexes of the copies: the ones of share/sql that the sections'
 * queries read, so that each keeps its plan over the copy, made for the
 * sections that read them; the id last where a query orders by it (in a
 * store it is the rowid, which an index holds anyway), and the file's
 * number after the keys that join the rows of one file ({D:a} = {D:s}).
 * The questions of survey-send's handovers, which a store finds in the
 * index of its message ids, have an index of their own: built from a
 * million questions in a tenth of the time. */
#define SEC(s) (1u << ESC_SEC_##s)
#define BY (SEC(OFFER) | SEC(REASON) | SEC(TIER) | SEC(TEMPLATE) | SEC(SEVERITY))
#define SURVEY (SEC(SURVEYS) | SEC(SURVEY_METHODS) | SEC(SURVEY_FUNNEL))
static const struct {
	int table;
	unsigned sections;
	const char *name, *def;
} copy_indexes[] = {
	{ T_E, SEC(RECENT) | SEC(TOTALS) | SEC(TREND), "escalations_time", "(created_at, id)" },
	{ T_E, SEC(TOTALS) | SEC(TREND), "escalations_totals",
		"(created_at, route, converted, conversion_value)" },
	{ T_E, BY, "escalations_cube", "(offer, reason, tier, template, severity, created_at, "
		"converted, conversion_value)" },
	{ T_E, BY, "escalations_converted", "(created_at, converted_at, offer, reason, tier, "
		"template, severity) WHERE converted" },
	{ T_E, SEC(SLA), "escalations_sla", "(severity, created_at, status, first_response_at, "
		"first_response_due, resolved_at, resolution_due, updated_at)" },
	{ T_E, SEC(LEADERBOARD), "escalations_agent", "(agent, resolved_at, created_at, "
		"resolution_due, outcome, playbook, alerts) WHERE resolved_at IS NOT NULL" },
	{ T_Q, SEC(TOTALS) | SEC(TREND), "questions_time", "(created_at, route)" },
	{ T_Q, SEC(TIER), "questions_tier", "(tier, route, created_at)" },
	{ T_Q, SEC(TOTALS) | SEC(TREND) | SEC(TIER), "questions_handover",
		"(created_at, message_id) WHERE " SURVEY_IDS },
	{ T_V, SEC(TOTALS) | SEC(TREND), "events_escalation", "(escalation_id, at)" },
	{ T_I, SEC(FUNNEL) | SEC(UPSELL), "interactions_funnel",
		"(at, type, customer_id, session_id, amount_cents)" },
	{ T_R, SEC(UPSELL), "recommendations_report", "(created_at, type, shown_at, clicked_at, "
		"purchased_at, dismissed_at, revenue_cents)" },
	{ T_R, SEC(FUNNEL), "recommendations_purchased", "(purchased_at, customer_id) "
		"WHERE purchased_at IS NOT NULL" },
	{ T_O, SEC(OPPS), "opportunities_report", "(created_at, state, automation, estimated_value)" },
	{ T_S, SURVEY, "surveys_report", "(ended_at, state, method, problem_solved, rating, nps, "
		"id, db)" },
	{ T_SA, SURVEY, "survey_attempts_survey", "(survey_id, db, step)" },
	{ T_SN, SEC(SURVEY_METHODS), "survey_answers_attempt", "(attempt_id, db)" },
	{ T_P, SEC(PROBLEMS), "problems_open", "(status, affected_users, attempts)" },
};
#undef SURVEY
#undef BY
#undef SEC
#define NCOPYIDX (sizeof copy_indexes / sizeof *copy_indexes)
_Static_assert(NCOPYIDX <= 32, "struct esc_stats's indexed has a bit per copy index");

static int
set_bucket_fn(struct esc_stats *st, enum esc_by by)
{
	st->by = by;
	return sqlite3_create_function(st->db, "esc_bucket", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)(intptr_t)by, fn_bucket, NULL, NULL);
}

int
esc_exec(sqlite3 *db, const char *sql, struct esc_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		esc_store_err(db, err);
		return -1;
	}
	return 0;
}

/* File 0 is main, in every group; group g attaches files 1 + g * per to
 * (g + 1) * per, in db1, db2, ... */
int
esc_stats_groups(const struct esc_stats *st)
{
	return st->n > 1 ? (st->n - 2) / st->per + 1 : 1;
}

void
esc_stats_group_files(const struct esc_stats *st, int g, int *lo, int *hi)
{
	*lo = g ? 1 + g * st->per : 0;
	*hi = 1 + (g + 1) * st->per < st->n ? 1 + (g + 1) * st->per : st->n;
}

const char *
esc_stats_schema(const struct esc_stats *st, int i, char buf[16])
{
	if (!i)
		return "main";
	snprintf(buf, 16, "db%d", (i - 1) % st->per + 1);
	return buf;
}

int
esc_stats_attach(struct esc_stats *st, int g, struct esc_err *err)
{
	char sch[16], sql[64];
	sqlite3_stmt *s;
	int i, lo, hi;

	if (st->group == g && g >= 0)
		return 0;
	st->group = -1;
	for (; st->attached > 0; st->attached--) {
		snprintf(sql, sizeof sql, "DETACH db%d", st->attached);
		if (esc_exec(st->db, sql, err) < 0)
			return -1;
	}
	if (g < 0)
		return 0;
	esc_stats_group_files(st, g, &lo, &hi);
	for (i = lo ? lo : 1; i < hi; i++) {
		snprintf(sql, sizeof sql, "ATTACH ?1 AS %s", esc_stats_schema(st, i, sch));
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
			esc_store_err(st->db, err);
			return -1;
		}
		sqlite3_bind_text(s, 1, st->paths[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			esc_err_set(err, "%s: cannot attach: %s", st->paths[i], sqlite3_errmsg(st->db));
			sqlite3_finalize(s);
			return -1;
		}
		sqlite3_finalize(s);
		st->attached++;
	}
	st->group = g;
	return 0;
}

/* A copy failed, of table t of file i (t < 0: in indexing the copy): say
 * whether the file could not be read or the temporary file not written. */
static void
copy_err(struct esc_stats *st, int i, int t, struct esc_err *err)
{
	int code = sqlite3_extended_errcode(st->db);

	if (esc_buf_oom || (code & 0xff) == SQLITE_NOMEM)
		esc_err_set(err, "out of memory");
	else if (t < 0 || (code & 0xff) == SQLITE_FULL || code == SQLITE_IOERR_WRITE ||
	    code == SQLITE_IOERR_TRUNCATE || code == SQLITE_IOERR_FSYNC)
		esc_err_set(err, "the temporary copy of the %d store files: %s (it is made in "
			"$SQLITE_TMPDIR, else $TMPDIR, else /var/tmp)", st->n, sqlite3_errmsg(st->db));
	else
		esc_err_set(err, "%s: cannot copy its %s for the report: %s", st->paths[i],
			tables[t].name, sqlite3_errmsg(st->db));
}

/* Copy the rows of every file of the tables that sections read and that
 * are not copied yet into temp.esc_<name>, with the file's number in "db",
 * then make the indexes those sections read. The files are attached as
 * many at a time as SQLite allows, and each group is read in one
 * transaction: every file is copied as it was at one moment. With
 * explain, the statements are written there. */
static int
copy_tables(struct esc_stats *st, unsigned sections, struct esc_buf *explain,
	struct esc_err *err)
{
	struct esc_buf sql = { 0 };
	unsigned want = 0;
	unsigned long make = 0;
	char sch[16];
	sqlite3_stmt *s;
	size_t k;
	int g, t, i, lo, hi, rc = -1;

	for (t = 0; t < T_N; t++)
		if ((sections & tables[t].sections) && !(st->copied & 1u << t))
			want |= 1u << t;
	for (k = 0; k < NCOPYIDX; k++)
		if ((sections & copy_indexes[k].sections) && !(st->indexed & 1ul << k))
			make |= 1ul << k;
	if (!want && !make)
		return 0;
	if (explain)
		esc_buf_printf(explain, "-- %d store files, more than SQLite attaches at once: "
			"their rows copied into temporary tables\n", st->n);
	/* the first file's columns, and their affinities, after "db" */
	for (t = 0; t < T_N; t++) {
		if (!(want & 1u << t))
			continue;
		sql.len = 0;
		esc_buf_printf(&sql, "CREATE TEMP TABLE esc_%s AS SELECT 0 AS db, * FROM main.%s "
			"WHERE 0", tables[t].name, tables[t].name);
		esc_buf_putc(&sql, '\0');
		if (esc_buf_oom || sqlite3_exec(st->db, sql.p, NULL, NULL, NULL) != SQLITE_OK) {
			copy_err(st, 0, t, err);
			goto out;
		}
		if (explain)
			esc_buf_printf(explain, "%s\nINSERT INTO temp.esc_%s SELECT ?1, * FROM db1.%s  "
				"-- from each file\n", sql.p, tables[t].name, tables[t].name);
	}
	for (g = 0; want && g < esc_stats_groups(st); g++) {
		if (esc_stats_attach(st, g, err) < 0 || esc_exec(st->db, "BEGIN", err) < 0)
			goto out;
		esc_stats_group_files(st, g, &lo, &hi);
		for (i = lo; i < hi; i++)
			for (t = 0; t < T_N; t++) {
				if (!(want & 1u << t))
					continue;
				sql.len = 0;
				esc_buf_printf(&sql, "INSERT INTO temp.esc_%s SELECT ?1, * FROM %s.%s",
					tables[t].name, esc_stats_schema(st, i, sch), tables[t].name);
				esc_buf_putc(&sql, '\0');
				if (esc_buf_oom || sqlite3_prepare_v2(st->db, sql.p, -1, &s, NULL) != SQLITE_OK) {
					copy_err(st, i, t, err);
					sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
					goto out;
				}
				sqlite3_bind_int(s, 1, i);
				if (sqlite3_step(s) != SQLITE_DONE) {
					copy_err(st, i, t, err);
					sqlite3_finalize(s);
					sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
					goto out;
				}
				sqlite3_finalize(s);
			}
		if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			copy_err(st, lo, -1, err);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	if (esc_stats_attach(st, -1, err) < 0)
		goto out;
	st->copied |= want;
	/* indexed once full: a sort each, not a b-tree insert per row */
	for (k = 0; k < NCOPYIDX; k++) {
		if (!(make & 1ul << k))
			continue;
		sql.len = 0;
		esc_buf_printf(&sql, "CREATE INDEX temp.esc_%s ON esc_%s %s", copy_indexes[k].name,
			tables[copy_indexes[k].table].name, copy_indexes[k].def);
		esc_buf_putc(&sql, '\0');
		if (esc_buf_oom || sqlite3_exec(st->db, sql.p, NULL, NULL, NULL) != SQLITE_OK) {
			copy_err(st, 0, -1, err);
			goto out;
		}
		st->indexed |= 1ul << k;
		if (explain)
			esc_buf_printf(explain, "%s\n", sql.p);
	}
	if (explain)
		esc_buf_putc(explain, '\n');
	rc = 0;
out:
	if (rc) {
		/* nothing half made stays: a later run copies again */
		for (t = 0; t < T_N; t++)
			if (want & 1u << t) {
				sql.len = 0;
				esc_buf_printf(&sql, "DROP TABLE IF EXISTS temp.esc_%s", tables[t].name);
				esc_buf_putc(&sql, '\0');
				if (!esc_buf_oom)
					sqlite3_exec(st->db, sql.p, NULL, NULL, NULL);
				st->copied &= ~(1u << t);
				for (k = 0; k < NCOPYIDX; k++)
					if (copy_indexes[k].table == t)
						st->indexed &= ~(1ul << k);
			}
	}
	esc_buf_free(&sql);
	return rc;
}

struct esc_stats *
esc_stats_open(const char *const *paths, int n, struct esc_err *err)
{
	struct esc_stats *st;
	struct esc_buf sql = { 0 };
	struct stat *sb;
	sqlite3 *one;
	int i, j, t;

	if (!(sb = calloc((size_t)n, sizeof *sb))) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (stat(paths[i], &sb[i]) < 0) {
			esc_err_set(err, "%s: %s (a report reads a store, it never creates one)",
				paths[i], strerror(errno));
			free(sb);
			return NULL;
		}
		for (j = 0; j < i; j++)
			if (sb[j].st_dev == sb[i].st_dev && sb[j].st_ino == sb[i].st_ino) {
				esc_err_set(err, "%s: the same file as %s: it would be counted twice",
					paths[i], paths[j]);
				free(sb);
				return NULL;
			}
	}
	free(sb);
	if (!(st = calloc(1, sizeof *st))) {
		esc_err_set(err, "out of memory");
		return NULL;
	}
	st->n = n;
	st->paths = paths;
	st->group = -1;
	if (!(st->db = esc_store_open(paths[0], ESC_STORE_READ, err)))
		goto fail;
	st->per = sqlite3_limit(st->db, SQLITE_LIMIT_ATTACHED, -1);
	if (n > 1 && st->per < 1) {
		esc_err_set(err, "%d store files: this SQLite attaches none to another; "
			"merge them first", n);
		goto fail;
	}
	/* open each alone first: it must exist, be a store, and be up to date */
	for (i = 1; i < n; i++) {
		if (!(one = esc_store_open(paths[i], ESC_STORE_READ, err)))
			goto fail;
		esc_store_close(one);
	}
	/* More files than SQLite attaches at once: their rows are copied into
	 * temporary tables when a report reads them (copy_tables), in a
	 * temporary file, not in memory. */
	st->copy = n - 1 > st->per;
	if (st->copy && esc_exec(st->db, "PRAGMA temp_store = FILE", err) < 0)
		goto fail;
	/* Several files that fit: one TEMP view per table over all of them,
	 * with the file's number in "db" */
	if (n > 1 && !st->copy) {
		if (esc_stats_attach(st, 0, err) < 0)
			goto fail;
		for (t = 0; t < T_N; t++) {
			char sch[16];

			sql.len = 0;
			esc_buf_printf(&sql, "CREATE TEMP VIEW esc_%s AS ", tables[t].name);
			for (i = 0; i < n; i++)
				esc_buf_printf(&sql, "%sSELECT %d AS db, * FROM %s.%s",
					i ? " UNION ALL " : "", i, esc_stats_schema(st, i, sch),
					tables[t].name);
			esc_buf_putc(&sql, '\0');
			if (esc_buf_oom || esc_exec(st->db, sql.p, err) < 0)
				goto fail;
		}
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

struct esc_table *
esc_table_new(int sec, const char *title, const struct esc_col *cols, int ncol)
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
struct esc_cell *
esc_table_row(struct esc_table *t)
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

void
esc_set_int(struct esc_cell *c, enum esc_vt type, long long v)
{
	c->type = type;
	c->i = v;
	c->r = (double)v;
}

void
esc_set_real(struct esc_cell *c, enum esc_vt type, double v)
{
	c->type = type;
	c->r = v;
	c->i = (long long)llround(v);
}

int
esc_set_text(struct esc_cell *c, const unsigned char *s)
{
	if (!s)
		return 0;
	if (!(c->s = strdup((const char *)s)))
		return -1;
	c->type = ESC_V_TEXT;
	return 0;
}

void
esc_set_rate(struct esc_cell *c, long long x, long long n)
{
	if (n <= 0)
		return;
	c->type = ESC_V_RATE;
	c->r = (double)x / (double)n;
	esc_wilson(x, n, Z95, &c->lo, &c->hi);
}

/* The blob of esc_quant(): median, p90, mean. */
int
esc_quant_col(sqlite3_stmt *s, int col, double r[3])
{
	if (sqlite3_column_type(s, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, col) != 3 * (int)sizeof(double))
		return 0;
	memcpy(r, sqlite3_column_blob(s, col), 3 * sizeof(double));
	return 1;
}

/* ---- running the sections ---- */

/* Expand a query: {E}, {Q}, {V}, {I}, {R}, {O} the tables (or the views
 * over several files), {DB} the file's number, {W} the --since/--until
 * window on created_at ({WS}: not to be searched by range; {WA} on at,
 * {WP} on purchased_at, {WE} on ended_at), {S}, {SA}, {SN}, {P} the
 * survey tables, {D:a} the file of alias a's row (0 for one file), {CU}
 * the --customer filter on customer_id, {B} the bucket of created_at (0
 * without --by; {BE}: of a chain's ended_at), {G} the bucket in a GROUP
 * BY list, and {EACH}...{/EACH} a query asked of each file (expand).
 * Only these fixed fragments are ever put in SQL text; every value is
 * bound. */
/* The --since/--until window on the time column col. */
static void
window(struct esc_buf *b, const struct esc_stats_opts *o, const char *col)
{
	if (o->has_since)
		esc_buf_printf(b, "%s >= :since", col);
	if (o->has_since && o->has_until)
		esc_buf_puts(b, " AND ");
	if (o->has_until)
		esc_buf_printf(b, "%s < :until", col);
	if (!o->has_since && !o->has_until)
		esc_buf_puts(b, "1");
}

/* The table a token {E}, {Q}, ... at p names, with the token's length in
 * *len; NULL if p holds none of them. */
static const char *
table_of(const char *p, size_t *len)
{
	static const struct {
		const char *tok, *name;
	} toks[] = {
		{ "{E}", "escalations" }, { "{Q}", "questions" }, { "{V}", "events" },
		{ "{I}", "interactions" }, { "{R}", "recommendations" },
		{ "{O}", "opportunities" }, { "{S}", "surveys" }, { "{SA}", "survey_attempts" },
		{ "{SN}", "survey_answers" }, { "{P}", "problems" },
	};
	size_t k;

	for (k = 0; k < sizeof toks / sizeof *toks; k++) {
		*len = strlen(toks[k].tok);
		if (!strncmp(p, toks[k].tok, *len))
			return toks[k].name;
	}
	return NULL;
}

/* Expand tmpl[0..n) into x->sql. A table is the file's own in arm >= 0
 * (the part of {EACH} for file number arm), else the one store's, or the
 * view or copy over several. */
static void
expand_part(struct esc_runner *x, const char *tmpl, size_t n, int arm)
{
	int multi = x->st->n > 1;
	const char *p, *e, *end = tmpl + n, *name;
	char sch[16];
	size_t len;

	for (p = tmpl; p < end; p++) {
		if (*p != '{' || !(e = memchr(p, '}', (size_t)(end - p)))) {
			esc_buf_putc(&x->sql, *p);
			continue;
		}
		if ((name = table_of(p, &len))) {
			if (arm >= 0)
				esc_buf_printf(&x->sql, "%s.%s", esc_stats_schema(x->st, arm, sch), name);
			else
				esc_buf_printf(&x->sql, "%s.%s%s", multi ? "temp" : "main",
					multi ? "esc_" : "", name);
			p += len - 1;
			continue;
		}
		if (!strncmp(p, "{D:", 3) && e - p == 4 && arm >= 0)
			esc_buf_printf(&x->sql, "%d", arm);
		else if (!strncmp(p, "{D:", 3) && e - p == 4)
			/* the file of a row of alias p[3], to join rows of one file */
			esc_buf_printf(&x->sql, multi ? "%c.db" : "0", p[3]);
		else if (!strncmp(p, "{DB}", 4) && arm >= 0)
			esc_buf_printf(&x->sql, "%d", arm);
		else if (!strncmp(p, "{DB}", 4))
			esc_buf_puts(&x->sql, multi ? "db" : "0");
		else if (!strncmp(p, "{WE}", 4))
			window(&x->sql, x->o, "ended_at");
		else if (!strncmp(p, "{WA}", 4))
			window(&x->sql, x->o, "at");
		else if (!strncmp(p, "{WP}", 4))
			window(&x->sql, x->o, "purchased_at");
		else if (!strncmp(p, "{CU}", 4))
			esc_buf_puts(&x->sql, x->o->customer ? "customer_id = :customer" : "1");
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
		else if (!strncmp(p, "{BE}", 4))
			esc_buf_puts(&x->sql, x->by ? "esc_bucket(ended_at)" : "0");
		else if (!strncmp(p, "{G}", 3))
			esc_buf_puts(&x->sql, x->by ? "1, " : "");
		else {
			esc_buf_putc(&x->sql, *p);
			continue;
		}
		p = e;
	}
}

/* Expand a query. {EACH}...{/EACH} holds a query whose rows, from
 * several files, may simply be put together: the query around it, or the
 * caller, adds them up. Over files attached together it is asked of each
 * file, in one UNION ALL, so that each reads its own indexes (over the
 * view of them all, a GROUP BY or a count reads every row of every file,
 * whole); with one store, or the copy of many, it is asked once. */
static const char *
expand(struct esc_runner *x, const char *tmpl)
{
	static const char head[] = "{EACH}", tail[] = "{/EACH}";
	const char *a = strstr(tmpl, head), *b = a ? strstr(a, tail) : NULL;
	int i;

	x->sql.len = 0;
	if (!b) {
		expand_part(x, tmpl, strlen(tmpl), -1);
	} else {
		expand_part(x, tmpl, (size_t)(a - tmpl), -1);
		a += sizeof head - 1;
		if (x->st->n == 1 || x->st->copy)
			expand_part(x, a, (size_t)(b - a), -1);
		else
			for (i = 0; i < x->st->n; i++) {
				if (i)
					esc_buf_puts(&x->sql, " UNION ALL ");
				expand_part(x, a, (size_t)(b - a), i);
			}
		b += sizeof tail - 1;
		expand_part(x, b, strlen(b), -1);
	}
	esc_buf_putc(&x->sql, '\0');
	return x->sql.p;
}

void
esc_bind(sqlite3_stmt *s, const char *name, long long v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

/* Prepare the expanded query and bind the common values; with --explain
 * keep its plan too. NULL with err on failure. */
sqlite3_stmt *
esc_prep(struct esc_runner *x, const char *what, const char *tmpl)
{
	const char *sql = expand(x, tmpl);
	sqlite3_stmt *s, *e;
	struct esc_buf *b = &x->r->explain;
	char *q;
	int k;

	if (esc_buf_oom) {
		esc_err_set(x->err, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(x->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		esc_store_err(x->st->db, x->err);
		return NULL;
	}
	esc_bind(s, ":since", x->o->since);
	esc_bind(s, ":until", x->o->until);
	esc_bind(s, ":now", x->now);
	esc_bind(s, ":warn", x->warn);
	esc_bind(s, ":limit", x->o->limit);
	if (x->o->customer && (k = sqlite3_bind_parameter_index(s, ":customer")))
		sqlite3_bind_text(s, k, x->o->customer, -1, SQLITE_STATIC);
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

int
esc_step_err(struct esc_runner *x, sqlite3_stmt *s, int rc)
{
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	esc_store_err(x->st->db, x->err);
	sqlite3_finalize(s);
	return -1;
}

int
esc_oom(struct esc_runner *x)
{
	esc_err_set(x->err, "out of memory");
	return -1;
}

/* One value of a query with no row-by-row interest (min, max, count). */
int
esc_scalar(struct esc_runner *x, sqlite3_stmt *s, long long *v, int *null)
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

int
esc_stats_sla_warn(long *warn, struct esc_err *err)
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
	struct esc_runner x = { 0 };
	unsigned by = 1u << ESC_SEC_OFFER | 1u << ESC_SEC_REASON | 1u << ESC_SEC_TIER |
		1u << ESC_SEC_TEMPLATE | 1u << ESC_SEC_SEVERITY;
	int rc = ESC_EXIT_STORE;

	memset(r, 0, sizeof *r);
	err->code = 0;
	r->o = *o;
	r->multi = st->n > 1;
	r->now = esc_time_now();
	x.st = st;
	x.o = o;
	x.r = r;
	x.err = err;
	x.now = r->now;
	if ((o->sections & 1u << ESC_SEC_SLA) && esc_stats_sla_warn(&x.warn, err) < 0)
		return ESC_EXIT_DATA;
	if (st->copy && copy_tables(st, o->sections, o->explain ? &r->explain : NULL, err) < 0) {
		esc_buf_free(&r->explain);
		return ESC_EXIT_STORE;
	}
	/* one read transaction: every section sees the same store */
	if (esc_exec(st->db, "BEGIN", err) < 0)
		return ESC_EXIT_STORE;
	x.by = o->by;
	if (set_bucket_fn(st, o->by) != SQLITE_OK) {
		esc_store_err(st->db, err);
		goto out;
	}
	if ((o->sections & 1u << ESC_SEC_TOTALS) && esc_sec_totals(&x, ESC_SEC_TOTALS) < 0)
		goto out;
	if ((o->sections & by) && esc_sec_by(&x, o->sections & by) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_RECENT) && esc_sec_recent(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_SLA) && esc_sec_sla(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_LEADERBOARD) && esc_sec_board(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_FUNNEL) && esc_sec_funnel(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_UPSELL) && esc_sec_upsell(&x) < 0)
		goto out;
	if ((o->sections & 1u << ESC_SEC_OPPS) && esc_sec_opps(&x) < 0)
		goto out;
	if ((o->sections & ESC_SEC_SURVEY_ALL) && esc_sec_surveys(&x, o->sections) < 0)
		goto out;
	if (o->sections & 1u << ESC_SEC_TREND) {
		/* the trend is by day unless --by says otherwise */
		x.by = o->by ? o->by : ESC_BY_DAY;
		if (esc_sec_totals(&x, ESC_SEC_TREND) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc && err->code)
		rc = err->code;
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	esc_buf_free(&x.sql);
	if (rc)
		esc_report_free(r);
	return rc;
}
