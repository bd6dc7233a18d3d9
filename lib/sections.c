/* sections.c — the sections of an esc-stats report: totals (and the
 * trend, the same per day), conversion by offer, reason, tier, template
 * and severity, recent escalations, SLA by severity and the agent
 * leaderboard. Each fills its table in r->t[] through the runner of
 * stats.c (stats-int.h). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "esc.h"
#include "stats.h"
#include "stats-int.h"
#include "store.h"

/* The escalation-rate target of seed 000: paid escalations, 10-15% of
 * questions. */
#define TARGET_LO 0.10
#define TARGET_HI 0.15
/* The most buckets a bucketed report has: 200,000 days is 547 years. */
#define BUCKETS_MAX 200000

/* ---- totals (and the trend: the same per day) ---- */

static const struct esc_col totals_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "questions", "questions", ESC_V_INT },
	{ "escalations", "escalations", ESC_V_INT },
	{ "paid", "paid", ESC_V_INT },
	{ "human", "human", ESC_V_INT },
	{ "escalation_rate", "esc. rate", ESC_V_PCT },
	{ "paid_rate", "paid rate", ESC_V_PCT },
	{ "target", "paid target", ESC_V_TEXT },
	{ "verdict", "verdict", ESC_V_TEXT },
	{ "conversions", "conv.", ESC_V_INT },
	{ "conversion_rate", "conv. rate (95% CI)", ESC_V_RATE },
	{ "conversion_value", "value", ESC_V_REAL },
	{ "unattributed_conversions", "unattrib.", ESC_V_INT },
};

int
esc_sec_totals(struct esc_runner *x, int sec)
{
	static const char *const whole[] = {
		"SELECT sum(n) FROM ({EACH}SELECT count(*) AS n FROM {Q}{WHERE}{/EACH})",
		"SELECT sum(n), total(p), total(c), total(v) FROM ({EACH}SELECT count(*) AS n, "
		"total(route = 'paid') AS p, total(converted) AS c, total(conversion_value) AS v "
		"FROM {E} WHERE {W}{/EACH})",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at >= :since AND at < :until",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at >= :since",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at < :until",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion'",
	};
	static const char *const part[] = {
		"SELECT sum(n) FROM ({EACH}SELECT count(*) AS n FROM {Q} "
		"WHERE created_at >= :lo AND created_at < :hi{/EACH})",
		"SELECT sum(n), total(p), total(c), total(v) FROM ({EACH}SELECT count(*) AS n, "
		"total(route = 'paid') AS p, total(converted) AS c, total(conversion_value) AS v "
		"FROM {E} WHERE created_at >= :lo AND created_at < :hi{/EACH})",
		"SELECT count(*) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND "
		"at >= :lo AND at < :hi",
		"SELECT sum(n) FROM ({EACH}SELECT count(*) AS n FROM {Q} WHERE " SURVEY_IDS
		" AND created_at >= :lo AND created_at < :hi{/EACH})",
	};
	/* the handovers' questions, taken off the count: a range of the
	 * message ids' index, so the count of all questions stays a count of
	 * the table's pages. Each has its escalation, made at the same time,
	 * so they are the handovers' escalations too. */
	static const char *const handovers = "SELECT sum(n) FROM ({EACH}SELECT count(*) AS n "
		"FROM {Q} WHERE " SURVEY_IDS " AND {W}{/EACH})";
	int bucketed = x->by != ESC_BY_NONE, k, null;
	struct esc_table *t;
	sqlite3_stmt *s[4] = { 0 }, *m;
	long long lo, hi, b, nb, nq = 0, nh = 0, ne, np, nc, nv = 0, v = 0;
	double value, rate;
	struct esc_cell *c;
	const char *what = esc_section_name(sec);
	int rc = -1;

	t = esc_table_new(sec, sec == ESC_SEC_TREND ? "Trend" : "Totals",
		totals_cols + !bucketed, (int)(sizeof totals_cols / sizeof *totals_cols) - !bucketed);
	if (!t)
		return esc_oom(x);
	x->r->t[sec] = t;
	for (k = 0; k < 2; k++)
		if (!(s[k] = esc_prep(x, what, bucketed ? part[k] : whole[k])))
			goto out;
	/* events have "at", not "created_at": their window is spelt out */
	s[2] = esc_prep(x, what, bucketed ? part[2] :
		x->o->has_since && x->o->has_until ? whole[2] :
		x->o->has_since ? whole[3] : x->o->has_until ? whole[4] : whole[5]);
	if (!s[2] || !(s[3] = esc_prep(x, what, bucketed ? part[3] : handovers)))
		goto out;
	lo = hi = 0;
	if (bucketed) {
		/* the buckets from the window, or from the data where it is open;
		 * an unattributed conversion counts in its own bucket, so its
		 * time widens the span too, or the buckets would not add up to
		 * the report without --by. A closed window needs no data: its
		 * buckets are known, and have their zeros even in an empty store. */
		long long dmin = LLONG_MAX, dmax = LLONG_MIN;
		int closed = x->o->has_since && x->o->has_until;
		static const char *const ends[] = {
			"SELECT min(m) FROM ({EACH}SELECT min(created_at) AS m FROM {Q} WHERE {W}{/EACH})",
			"SELECT max(m) FROM ({EACH}SELECT max(created_at) AS m FROM {Q} WHERE {W}{/EACH})",
			"SELECT min(m) FROM ({EACH}SELECT min(created_at) AS m FROM {E} WHERE {W}{/EACH})",
			"SELECT max(m) FROM ({EACH}SELECT max(created_at) AS m FROM {E} WHERE {W}{/EACH})",
			"SELECT min(at) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND {WA}",
			"SELECT max(at) FROM {V} WHERE escalation_id IS NULL AND type = 'conversion' AND {WA}",
		};

		for (k = 0; k < (int)(sizeof ends / sizeof *ends) && !closed; k++) {
			if (!(m = esc_prep(x, what, ends[k])))
				goto out;
			if (esc_scalar(x, m, &v, &null) < 0) {
				sqlite3_finalize(m);
				goto out;
			}
			sqlite3_finalize(m);
			if (!null && v < dmin)
				dmin = v;
			if (!null && v > dmax)
				dmax = v;
		}
		if (dmin > dmax && !closed) {
			rc = 0;        /* no data, and an open end: no buckets */
			goto out;
		}
		lo = x->o->has_since ? x->o->since : dmin;
		hi = x->o->has_until ? x->o->until : dmax + 1;
		/* a generous bound on the rows, against a stray timestamp or a
		 * far --until, the same for every --by */
		if ((nb = esc_bucket_count(lo, hi, x->by)) > BUCKETS_MAX) {
			/* without --by the trend of --html is by day: say so, not --by */
			if (sec == ESC_SEC_TREND && x->o->by == ESC_BY_NONE)
				esc_err_set(x->err, "the --html trend over %lld days: narrow it "
					"with --since and --until", nb);
			else
				esc_err_set(x->err, "--by %s over %lld %ss: narrow it with "
					"--since and --until", esc_by_name(x->by), nb, esc_by_name(x->by));
			x->err->code = ESC_EXIT_USAGE;   /* the options asked too much: not the store */
			goto out;
		}
	}
	for (b = bucketed ? esc_bucket(lo, x->by) : 0; bucketed ? b < hi : b == 0;
	     b = bucketed ? esc_bucket_next(b, x->by) : 1) {
		for (k = 0; k < 4 && bucketed; k++) {
			esc_bind(s[k], ":lo", b > lo ? b : lo);
			esc_bind(s[k], ":hi", esc_bucket_next(b, x->by) < hi ? esc_bucket_next(b, x->by) : hi);
		}
		if (esc_scalar(x, s[0], &nq, &null) < 0 || esc_scalar(x, s[3], &nh, &null) < 0)
			goto out;
		nq -= nh;
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
		if (esc_scalar(x, s[2], &nv, &null) < 0)
			goto out;
		if (!(c = esc_table_row(t)))
			goto nomem;
		if (bucketed)
			esc_set_int(c++, ESC_V_DATE, b);
		esc_set_int(&c[0], ESC_V_INT, nq);
		esc_set_int(&c[1], ESC_V_INT, ne);
		esc_set_int(&c[2], ESC_V_INT, np);
		esc_set_int(&c[3], ESC_V_INT, ne - np);
		if (nq > 0) {
			/* of the questions scored: the escalations they opened
			 * (not the survey handovers), and the paid ones, which
			 * the target is for */
			esc_set_real(&c[4], ESC_V_PCT, (double)(ne > nh ? ne - nh : 0) / (double)nq);
			rate = (double)np / (double)nq;
			esc_set_real(&c[5], ESC_V_PCT, rate);
			if (esc_set_text(&c[7], (const unsigned char *)(rate < TARGET_LO ? "below" :
			    rate <= TARGET_HI ? "within" : "above")) < 0)
				goto nomem;
		}
		if (esc_set_text(&c[6], (const unsigned char *)"10-15%") < 0)
			goto nomem;
		esc_set_int(&c[8], ESC_V_INT, nc);
		esc_set_rate(&c[9], nc, ne);
		esc_set_real(&c[10], ESC_V_REAL, value);
		esc_set_int(&c[11], ESC_V_INT, nv);
	}
	rc = 0;
	goto out;
nomem:
	esc_oom(x);
out:
	for (k = 0; k < 4; k++)
		sqlite3_finalize(s[k]);
	return rc;
}

/* ---- by offer, reason, tier, template, severity ---- */

/* by_tier has three more: the questions of each tier, and the rates of
 * escalation and of paid escalation among them (seed 000: "escalation
 * rate by tier") */
#define TIER_EXTRA 3
static const struct esc_col by_cols[5][9 + TIER_EXTRA] = {
/* the columns of a by_* table; before and after: by_tier's own, around
 * its escalations */
#define BY_COLS(key, head, before, after) { \
	{ "bucket", "bucket", ESC_V_DATE }, \
	{ key, head, ESC_V_TEXT }, \
	before \
	{ "escalations", "escalations", ESC_V_INT }, \
	after \
	{ "conversions", "conv.", ESC_V_INT }, \
	{ "conversion_rate", "conv. rate (95% CI)", ESC_V_RATE }, \
	{ "ttc_median", "median ttc", ESC_V_DUR }, \
	{ "ttc_mean", "mean ttc", ESC_V_DUR }, \
	{ "conversion_value", "value", ESC_V_REAL }, \
	{ NULL, NULL, ESC_V_NULL } }
#define TIER_BEFORE { "questions", "questions", ESC_V_INT },
#define TIER_AFTER { "escalation_rate", "esc. rate", ESC_V_PCT }, \
	{ "paid_rate", "paid rate", ESC_V_PCT },
	BY_COLS("offer", "offer", , ),
	BY_COLS("reason", "reason", , ),
	BY_COLS("tier", "tier", TIER_BEFORE, TIER_AFTER),
	BY_COLS("template", "template", , ),
	BY_COLS("severity", "severity", , ),
#undef TIER_BEFORE
#undef TIER_AFTER
#undef BY_COLS
};
static const char *const by_titles[5] = {
	"Conversion by offer", "Conversion by reason", "Escalation and conversion by tier",
	"Conversion by template", "Conversion by severity",
};

/* One group of a by_* table: a bucket and a value of the dimension. */
struct group {
	int dim;
	long long bucket;
	char *key;                 /* NULL for SQL NULL */
	long long n, conv;
	long long q, qpaid, hand;  /* by_tier: the questions, the paid ones, the handovers */
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

int
esc_sec_by(struct esc_runner *x, unsigned want)
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
	if (!(s = esc_prep(x, "by_offer, by_reason, by_tier, by_template, by_severity: counts",
	    "{EACH}SELECT {B}, offer, reason, tier, template, severity, count(*), total(converted), "
	    "total(conversion_value) FROM {E} WHERE {WS} GROUP BY {G}2, 3, 4, 5, 6{/EACH}")))
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
	if (esc_step_err(x, s, rc) < 0)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	/* by_tier: the questions scored per tier, from which the rates, read
	 * from the index questions_tier in its order; then the handovers of
	 * survey-send (escalations for which no question was scored, with no
	 * tier, from a range of the message ids' index) taken off */
	if ((want & 1u << ESC_SEC_TIER) && x->o->tier_rates) {
		static const char *const tq[2] = {
			"{EACH}SELECT {B}, tier, route, count(*) FROM {Q} WHERE {WS} "
			"GROUP BY {G}2, 3{/EACH}",
			"{EACH}SELECT {B}, NULL, 'human', -count(*) FROM {Q} WHERE " SURVEY_IDS
			" AND {W} GROUP BY {G}2{/EACH}",
		};

		for (d = 0; d < 2; d++) {
			if (!(s = esc_prep(x, "by_tier: questions", tq[d])))
				goto out;
			while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
				if (!(g = group_get(&gs, 2, sqlite3_column_int64(s, 0),
				    (const char *)sqlite3_column_text(s, 1))))
					goto nomem;
				const char *route = (const char *)sqlite3_column_text(s, 2);
				long long n = sqlite3_column_int64(s, 3);

				g->q += n;
				g->qpaid += route && !strcmp(route, "paid") ? n : 0;
				g->hand -= d ? n : 0;     /* n < 0: taken off */
			}
			if (esc_step_err(x, s, rc) < 0)
				goto out;
			sqlite3_finalize(s);
			s = NULL;
		}
	}
	/* the times to conversion, from the small partial index of converted
	 * rows; a conversion before its escalation, which esc-log no longer
	 * credits but an older store may hold, has no time to count */
	if (!(s = esc_prep(x, "by_*: times to conversion",
	    "{EACH}SELECT {B}, offer, reason, tier, template, severity, converted_at - created_at "
	    "FROM {E} WHERE converted AND converted_at >= created_at AND {W}{/EACH}")))
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
	if (esc_step_err(x, s, rc) < 0)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	for (d = 0; d < 5; d++) {
		if (!(want & 1u << (ESC_SEC_OFFER + d)))
			continue;
		if (!(t[d] = esc_table_new(ESC_SEC_OFFER + d, by_titles[d], by_cols[d] + !bucketed,
		    8 + (d == 2) * TIER_EXTRA - !bucketed)))
			goto nomem;
		x->r->t[ESC_SEC_OFFER + d] = t[d];
		if (d == 2 && !x->o->tier_rates) {
			/* not computed: left out of -t, said how to get them */
			int q = bucketed + 1;

			t[d]->text_hide = 1ul << q | 1ul << (q + 2) | 1ul << (q + 3);
			t[d]->text_note = "questions and rates per tier: esc-stats --section tier";
		}
	}
	/* the hash's slots point into the array: sorting ends its use */
	if (gs.n)
		qsort(gs.g, gs.n, sizeof *gs.g, group_cmp);
	for (i = 0; i < gs.n; i++) {
		double med, p90, sum = 0;
		size_t k;

		g = &gs.g[i];
		if (!(c = esc_table_row(t[g->dim])))
			goto nomem;
		if (bucketed)
			esc_set_int(c++, ESC_V_DATE, g->bucket);
		if (esc_set_text(&c[0], (const unsigned char *)g->key) < 0)
			goto nomem;
		if (g->dim == 2) {
			/* questions, escalations, the two rates (null unless
			 * asked for); then the rest where the others have it,
			 * TIER_EXTRA columns on */
			if (x->o->tier_rates)
				esc_set_int(&c[1], ESC_V_INT, g->q);
			esc_set_int(&c[2], ESC_V_INT, g->n);
			if (g->q) {
				/* as in the totals: the escalations the questions
				 * opened, whose later messages may have joined one */
				esc_set_real(&c[3], ESC_V_PCT, (double)(g->n > g->hand ?
					g->n - g->hand : 0) / (double)g->q);
				esc_set_real(&c[4], ESC_V_PCT, (double)g->qpaid / (double)g->q);
			}
			c += TIER_EXTRA;
		} else {
			esc_set_int(&c[1], ESC_V_INT, g->n);
		}
		esc_set_int(&c[2], ESC_V_INT, g->conv);
		esc_set_rate(&c[3], g->conv, g->n);
		if (g->nttc) {
			for (k = 0; k < g->nttc; k++)
				sum += (double)g->ttc[k];
			esc_quantiles(g->ttc, g->nttc, &med, &p90);
			esc_set_real(&c[4], ESC_V_DUR, med);
			esc_set_real(&c[5], ESC_V_DUR, sum / (double)g->nttc);
		}
		esc_set_real(&c[6], ESC_V_REAL, g->value);
	}
	ret = 0;
	goto out;
nomem:
	esc_oom(x);
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

int
esc_sec_recent(struct esc_runner *x)
{
	int multi = x->st->n > 1, rc, k, f;
	struct esc_table *t;
	struct esc_cell *c;
	sqlite3_stmt *s;

	if (!(t = esc_table_new(ESC_SEC_RECENT, "Recent escalations", recent_cols + !multi,
	    (int)(sizeof recent_cols / sizeof *recent_cols) - !multi)))
		return esc_oom(x);
	x->r->t[ESC_SEC_RECENT] = t;
	if (!(s = esc_prep(x, "recent",
	    "SELECT {DB}, id, created_at, route, offer, reason, severity, status, agent, "
	    "user_id, converted, question FROM {E} WHERE {W} "
	    "ORDER BY created_at DESC, id DESC LIMIT :limit")))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(c = esc_table_row(t)))
			goto nomem;
		if (multi) {
			f = sqlite3_column_int(s, 0);
			if (esc_set_text(c++, (const unsigned char *)x->st->paths[f]) < 0)
				goto nomem;
		}
		esc_set_int(&c[0], ESC_V_INT, sqlite3_column_int64(s, 1));
		esc_set_int(&c[1], ESC_V_TIME, sqlite3_column_int64(s, 2));
		for (k = 3; k <= 9; k++)
			if (esc_set_text(&c[k - 1], sqlite3_column_text(s, k)) < 0)
				goto nomem;
		esc_set_int(&c[9], ESC_V_INT, sqlite3_column_int64(s, 10));
		if (esc_set_text(&c[10], sqlite3_column_text(s, 11)) < 0)
			goto nomem;
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
nomem:
	sqlite3_finalize(s);
	return esc_oom(x);
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

int
esc_sec_sla(struct esc_runner *x)
{
	int bucketed = x->by != ESC_BY_NONE, rc, k;
	struct esc_table *t;
	struct esc_cell *c;
	sqlite3_stmt *s;
	double q[12];

	if (!(t = esc_table_new(ESC_SEC_SLA, "SLA by severity", sla_cols + !bucketed,
	    (int)(sizeof sla_cols / sizeof *sla_cols) - !bucketed)))
		return esc_oom(x);
	x->r->t[ESC_SEC_SLA] = t;
	/* only escalations with a due time (the human route) have an SLA */
	if (!(s = esc_prep(x, "sla",
	    "SELECT {B}, severity, count(*), esc_sla(:now, :warn, status, created_at, "
	    "first_response_at, first_response_due, resolved_at, resolution_due, updated_at) "
	    "FROM ({EACH}SELECT severity, status, created_at, first_response_at, "
	    "first_response_due, resolved_at, resolution_due, updated_at FROM {E} WHERE {WS} AND "
	    "(first_response_due IS NOT NULL OR resolution_due IS NOT NULL){/EACH}) "
	    "GROUP BY {G}severity")))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(c = esc_table_row(t)))
			goto nomem;
		if (bucketed)
			esc_set_int(c++, ESC_V_DATE, sqlite3_column_int64(s, 0));
		if (esc_set_text(&c[0], sqlite3_column_text(s, 1)) < 0)
			goto nomem;
		esc_set_int(&c[1], ESC_V_INT, sqlite3_column_int64(s, 2));
		if (sqlite3_column_type(s, 3) != SQLITE_BLOB ||
		    sqlite3_column_bytes(s, 3) != (int)sizeof q)
			continue;
		memcpy(q, sqlite3_column_blob(s, 3), sizeof q);
		for (k = 0; k < 12; k++) {
			if (k % 6 < 4)
				esc_set_int(&c[2 + k], ESC_V_INT, (long long)q[k]);
			else if (!isnan(q[k]))
				esc_set_real(&c[2 + k], ESC_V_DUR, q[k]);
		}
	}
	/* most urgent first */
	if (t->nrow)
		qsort(t->cells, t->nrow, (size_t)t->ncol * sizeof *t->cells,
			bucketed ? sla_cmp_b : sla_cmp);
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
nomem:
	sqlite3_finalize(s);
	return esc_oom(x);
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
streaks_by_bucket(struct esc_runner *x, struct esc_table *t, sqlite3_stmt *k)
{
	struct esc_cell **rows = malloc(t->nrow * sizeof *rows);
	unsigned char *stop = calloc(t->nrow, 1);
	size_t i, j, lo, hi, mid;
	int r;

	if (!rows || !stop) {
		free(rows);
		free(stop);
		return esc_oom(x);
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

int
esc_sec_board(struct esc_runner *x)
{
	int bucketed = x->by != ESC_BY_NONE, rc, ncol;
	struct esc_table *t;
	struct esc_cell *c, **order = NULL, *sorted = NULL;
	sqlite3_stmt *s, *k = NULL;
	size_t i, rank = 0;
	long long prev = LLONG_MIN;
	double q[3];

	ncol = (int)(sizeof board_cols / sizeof *board_cols) - !bucketed;
	if (!(t = esc_table_new(ESC_SEC_LEADERBOARD, "Agent leaderboard", board_cols + !bucketed, ncol)))
		return esc_oom(x);
	x->r->t[ESC_SEC_LEADERBOARD] = t;
	/* saved: a resolution with outcome "saved" of a cancel threat (the
	 * "cancel" alert, or the cancel_threat playbook). A resolution before
	 * the escalation was created, which esc-log refuses but an older
	 * store may hold, counts as resolved but has no time: not in the
	 * median, and neither extends nor breaks a streak. */
	if (!(s = esc_prep(x, "leaderboard",
	    "SELECT {B}, agent, count(*), "
	    "total(outcome = 'saved' AND (playbook = 'cancel_threat' OR alerts LIKE '%\"cancel\"%')), "
	    "esc_quant(CASE WHEN resolved_at >= created_at THEN resolved_at - created_at END) "
	    "FROM ({EACH}SELECT agent, created_at, resolved_at, outcome, playbook, alerts FROM {E} "
	    "WHERE resolved_at IS NOT NULL AND agent IS NOT NULL AND {WS}{/EACH}) "
	    "GROUP BY {G}agent")))
		return -1;
	/* the streak: the agent's latest resolutions (of the window, or of the
	 * bucket) that met their due time, counted back to the first miss */
	if (!(k = esc_prep(x, "leaderboard: streaks",
	    bucketed ?
	    "SELECT {B}, resolution_due IS NULL OR resolved_at <= resolution_due FROM "
	    "({EACH}SELECT created_at, resolved_at, resolution_due FROM {E} "
	    "WHERE agent = :agent AND resolved_at >= created_at AND {W}{/EACH}) "
	    "ORDER BY resolved_at DESC" :
	    "SELECT resolution_due IS NULL OR resolved_at <= resolution_due FROM "
	    "({EACH}SELECT resolved_at, resolution_due FROM {E} "
	    "WHERE agent = :agent AND resolved_at >= created_at AND {W}{/EACH}) "
	    "ORDER BY resolved_at DESC"))) {
		sqlite3_finalize(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long streak = 0, b = sqlite3_column_int64(s, 0);
		int r;

		if (!(c = esc_table_row(t)))
			goto nomem;
		if (bucketed)
			esc_set_int(c++, ESC_V_DATE, b);
		if (esc_set_text(&c[1], sqlite3_column_text(s, 1)) < 0)
			goto nomem;
		esc_set_int(&c[2], ESC_V_INT, sqlite3_column_int64(s, 2));
		if (esc_quant_col(s, 4, q))
			esc_set_real(&c[3], ESC_V_DUR, q[0]);
		esc_set_int(&c[4], ESC_V_INT, (long long)sqlite3_column_double(s, 3));
		esc_set_int(&c[5], ESC_V_INT, 0);
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
		esc_set_int(&c[5], ESC_V_INT, streak);
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
			esc_set_int(&c[0], ESC_V_INT, (long long)++rank);
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
	esc_oom(x);
fail:
	sqlite3_finalize(s);
	sqlite3_finalize(k);
	return -1;
}
