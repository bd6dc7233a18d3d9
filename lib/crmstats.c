/* crmstats.c — the customer side of an esc-stats report (issue 4, seed
 * 003): the customer-journey funnel, upsell recommendations by type, and
 * usage-alert opportunities by state and automation level. Each fills its
 * table in r->t[] through the runner of stats.c (stats-int.h), in the same
 * read transaction as the escalation sections; crm-track --funnel runs the
 * funnel alone.
 *
 * What the numbers mean (man esc-stats, "The customer side"):
 *
 * funnel: one row per step — intakes, sessions started, sessions
 *   completed, upsells shown, clicked, purchased. "events" is the seed's
 *   count: the step's interactions whose time is in the window (for
 *   purchases, the recommendations whose purchased_at is; crm-track stamps
 *   it from a checkout_completed naming the recommendation). "per_intake" is
 *   events over intakes: on the sessions_completed row it is seed 003's
 *   conversion rate (2 sessions completed of 3 intakes: 66.67%). The rest
 *   is the ordered funnel of people: a customer reaches a step with the
 *   first event of that step at or after reaching the step before (the
 *   first step: their first intake); "customers" counts them, "rate" is
 *   customers over the step before's (a proportion, with its 95% Wilson
 *   interval), "drop_off" the ones lost, and "median_time" the median over
 *   customers of the time from reaching the step before to reaching this one.
 *
 * upsell: per recommendation type, for recommendations made (sessions
 *   completed) in the window: CTR is clicked over shown, the purchase rate
 *   purchased over shown; a recommendation clicked, dismissed or purchased
 *   counts as shown, stamped or not, so both are proportions. Revenue per
 *   completed session is the revenue over the session_completed
 *   interactions in the window. A last row "all" sums the types.
 *
 * opportunities: count and estimated value by state (in the order of the
 *   workflow) and automation level, for opportunities created in the
 *   window. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "esc.h"
#include "stats.h"
#include "stats-int.h"
#include "store.h"

/* ---- funnel ---- */

#define NSTEP 6
static const char *const step_names[NSTEP] = {
	"intakes", "sessions_started", "sessions_completed",
	"upsells_shown", "upsells_clicked", "upsells_purchased",
};

static const struct esc_col funnel_cols[] = {
	{ "step", "step", ESC_V_TEXT },
	{ "events", "events", ESC_V_INT },
	{ "per_intake", "per intake", ESC_V_PCT },
	{ "customers", "customers", ESC_V_INT },
	{ "rate", "from prev. (95% CI)", ESC_V_RATE },
	{ "drop_off", "drop-off", ESC_V_INT },
	{ "median_time", "median time", ESC_V_DUR },
};

struct times {
	long long *v;
	size_t n, cap;
};

static int
times_push(struct times *t, long long v)
{
	long long *nv;

	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;

		if (!(nv = realloc(t->v, nc * sizeof *nv)))
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	t->v[t->n++] = v;
	return 0;
}

/* One customer's journey is over: count the steps reached, in order. */
static int
journey_end(const int *has, const long long *first, long long *reached, struct times *tm)
{
	int k;

	for (k = 0; k < NSTEP && has[k]; k++) {
		reached[k]++;
		if (k && times_push(&tm[k], first[k] - first[k - 1]) < 0)
			return -1;
	}
	return 0;
}

int
esc_sec_funnel(struct esc_runner *x)
{
	/* every step's events of the window in one stream, a customer's in
	 * time order (a tie in the order of the steps), from ranges of the
	 * covering indexes interactions_funnel and recommendations_purchased
	 * and a sort: the unary + keeps the planner from walking the whole of
	 * interactions_customer for its order, a table lookup per row */
	static const char q[] =
		"SELECT +customer_id, at, CASE type WHEN 'intake_submitted' THEN 0 "
		"WHEN 'session_started' THEN 1 WHEN 'session_completed' THEN 2 "
		"WHEN 'upsell_shown' THEN 3 ELSE 4 END FROM {I} "
		"WHERE type IN ('intake_submitted', 'session_started', 'session_completed', "
		"'upsell_shown', 'upsell_clicked') AND {WA} AND {CU} "
		"UNION ALL SELECT +customer_id, purchased_at, 5 FROM {R} "
		"WHERE purchased_at IS NOT NULL AND {WP} AND {CU} "
		"ORDER BY 1, 2, 3";
	long long events[NSTEP] = { 0 }, reached[NSTEP] = { 0 }, first[NSTEP], total = 0, at;
	struct times tm[NSTEP] = { { 0 } };
	int has[NSTEP] = { 0 }, k, rc, ret = -1;
	char *cur = NULL;
	const char *c;
	struct esc_table *t;
	struct esc_cell *row;
	sqlite3_stmt *s;
	double med, p90;

	if (!(s = esc_prep(x, "funnel", q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = (const char *)sqlite3_column_text(s, 0);
		at = sqlite3_column_int64(s, 1);
		k = sqlite3_column_int(s, 2);
		if (!c || k < 0 || k >= NSTEP)
			continue;
		if (!cur || strcmp(cur, c)) {
			if (cur && journey_end(has, first, reached, tm) < 0)
				goto nomem;
			free(cur);
			if (!(cur = strdup(c)))
				goto nomem;
			memset(has, 0, sizeof has);
		}
		events[k]++;
		total++;
		if (!has[k] && (k == 0 || has[k - 1])) {
			has[k] = 1;
			first[k] = at;
		}
	}
	if (esc_step_err(x, s, rc) < 0) {
		s = NULL;
		goto out;
	}
	if (cur && journey_end(has, first, reached, tm) < 0)
		goto nomem;
	if (!total && (x->o->if_rows & 1u << ESC_SEC_FUNNEL)) {
		ret = 0;
		goto out;
	}
	if (!(t = esc_table_new(ESC_SEC_FUNNEL, "Customer funnel", funnel_cols,
	    (int)(sizeof funnel_cols / sizeof *funnel_cols))))
		goto nomem;
	x->r->t[ESC_SEC_FUNNEL] = t;
	for (k = 0; k < NSTEP; k++) {
		if (!(row = esc_table_row(t)) ||
		    esc_set_text(&row[0], (const unsigned char *)step_names[k]) < 0)
			goto nomem;
		esc_set_int(&row[1], ESC_V_INT, events[k]);
		if (events[0])
			esc_set_real(&row[2], ESC_V_PCT, (double)events[k] / (double)events[0]);
		esc_set_int(&row[3], ESC_V_INT, reached[k]);
		if (!k)
			continue;
		esc_set_rate(&row[4], reached[k], reached[k - 1]);
		esc_set_int(&row[5], ESC_V_INT, reached[k - 1] - reached[k]);
		if (tm[k].n) {
			esc_quantiles(tm[k].v, tm[k].n, &med, &p90);
			esc_set_real(&row[6], ESC_V_DUR, med);
		}
	}
	ret = 0;
	goto out;
nomem:
	esc_oom(x);
out:
	sqlite3_finalize(s);
	free(cur);
	for (k = 0; k < NSTEP; k++)
		free(tm[k].v);
	return ret;
}

/* ---- upsell ---- */

static const struct esc_col upsell_cols[] = {
	{ "type", "type", ESC_V_TEXT },
	{ "recommendations", "recs", ESC_V_INT },
	{ "shown", "shown", ESC_V_INT },
	{ "clicked", "clicked", ESC_V_INT },
	{ "dismissed", "dismissed", ESC_V_INT },
	{ "purchased", "purchased", ESC_V_INT },
	{ "ctr", "CTR (95% CI)", ESC_V_RATE },
	{ "purchase_rate", "purchase rate (95% CI)", ESC_V_RATE },
	{ "revenue_cents", "revenue (cents)", ESC_V_INT },
	{ "sessions_completed", "sessions", ESC_V_INT },
	{ "revenue_per_session_cents", "per session (cents)", ESC_V_REAL },
};

/* counts of one row: recommendations, shown, clicked, dismissed, purchased, revenue */
static int
upsell_row(struct esc_table *t, const unsigned char *type, const long long *n,
	long long sessions)
{
	struct esc_cell *c = esc_table_row(t);
	int i;

	if (!c || esc_set_text(&c[0], type) < 0)
		return -1;
	for (i = 0; i < 5; i++)
		esc_set_int(&c[1 + i], ESC_V_INT, n[i]);
	esc_set_rate(&c[6], n[2], n[1]);
	esc_set_rate(&c[7], n[4], n[1]);
	esc_set_int(&c[8], ESC_V_INT, n[5]);
	esc_set_int(&c[9], ESC_V_INT, sessions);
	if (sessions > 0)
		esc_set_real(&c[10], ESC_V_REAL, (double)n[5] / (double)sessions);
	return 0;
}

int
esc_sec_upsell(struct esc_runner *x)
{
	/* recommendations_report covers it: a range of created_at, grouped */
	static const char q[] =
		"SELECT type, count(*), "
		"count(coalesce(shown_at, clicked_at, dismissed_at, purchased_at)), "
		"count(clicked_at), count(dismissed_at), count(purchased_at), "
		/* total() cannot overflow; the cast saturates where sum() would fail */
		"CAST(total(revenue_cents) AS INTEGER) FROM {R} WHERE {W} AND {CU} "
		"GROUP BY type ORDER BY type";
	static const char qs[] =
		"SELECT count(*) FROM {I} WHERE type = 'session_completed' AND {WA} AND {CU}";
	long long sessions = 0, n[6], all[6] = { 0 };
	struct esc_table *t = NULL;
	sqlite3_stmt *s;
	int null, rc, i, rows = 0;

	if (!(s = esc_prep(x, "upsell: completed sessions", qs)))
		return -1;
	if (esc_scalar(x, s, &sessions, &null) < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	if (!(s = esc_prep(x, "upsell", q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!t) {
			if (!(t = esc_table_new(ESC_SEC_UPSELL, "Upsell recommendations", upsell_cols,
			    (int)(sizeof upsell_cols / sizeof *upsell_cols))))
				goto nomem;
			x->r->t[ESC_SEC_UPSELL] = t;
		}
		for (i = 0; i < 6; i++) {
			n[i] = sqlite3_column_int64(s, 1 + i);
			all[i] = n[i] > LLONG_MAX - all[i] ? LLONG_MAX : all[i] + n[i];
		}
		if (upsell_row(t, sqlite3_column_text(s, 0), n, sessions) < 0)
			goto nomem;
		rows++;
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	if (!rows && !(x->o->if_rows & 1u << ESC_SEC_UPSELL) &&
	    !(x->r->t[ESC_SEC_UPSELL] = t = esc_table_new(ESC_SEC_UPSELL,
	    "Upsell recommendations", upsell_cols, (int)(sizeof upsell_cols / sizeof *upsell_cols))))
		return esc_oom(x);
	if (rows && upsell_row(t, (const unsigned char *)"all", all, sessions) < 0)
		return esc_oom(x);
	return 0;
nomem:
	sqlite3_finalize(s);
	return esc_oom(x);
}

/* ---- opportunities ---- */

static const struct esc_col opps_cols[] = {
	{ "state", "state", ESC_V_TEXT },
	{ "automation", "automation", ESC_V_TEXT },
	{ "opportunities", "opportunities", ESC_V_INT },
	{ "estimated_value", "est. value", ESC_V_REAL },
};

int
esc_sec_opps(struct esc_runner *x)
{
	/* opportunities_report covers it (the unary + keeps the planner off
	 * opportunities_due for the grouping's order); the workflow's order,
	 * not the alphabet's */
	static const char q[] =
		"SELECT state, automation, count(*), sum(estimated_value) FROM {O} "
		"WHERE {W} AND {CU} GROUP BY +state, +automation ORDER BY CASE state "
		"WHEN 'drafted' THEN 0 WHEN 'sent' THEN 1 WHEN 'waiting' THEN 2 "
		"WHEN 'meeting' THEN 3 WHEN 'closed' THEN 4 ELSE 5 END, state, "
		"CASE automation WHEN 'full' THEN 0 WHEN 'hybrid' THEN 1 "
		"WHEN 'human' THEN 2 ELSE 3 END, automation";
	struct esc_table *t = NULL;
	struct esc_cell *c;
	sqlite3_stmt *s;
	int rc;

	if (!(x->o->if_rows & 1u << ESC_SEC_OPPS)) {
		if (!(t = esc_table_new(ESC_SEC_OPPS, "Opportunities", opps_cols,
		    (int)(sizeof opps_cols / sizeof *opps_cols))))
			return esc_oom(x);
		x->r->t[ESC_SEC_OPPS] = t;
	}
	if (!(s = esc_prep(x, "opportunities", q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!t) {
			if (!(t = esc_table_new(ESC_SEC_OPPS, "Opportunities", opps_cols,
			    (int)(sizeof opps_cols / sizeof *opps_cols))))
				goto nomem;
			x->r->t[ESC_SEC_OPPS] = t;
		}
		if (!(c = esc_table_row(t)) ||
		    esc_set_text(&c[0], sqlite3_column_text(s, 0)) < 0 ||
		    esc_set_text(&c[1], sqlite3_column_text(s, 1)) < 0)
			goto nomem;
		esc_set_int(&c[2], ESC_V_INT, sqlite3_column_int64(s, 2));
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			esc_set_real(&c[3], ESC_V_REAL, sqlite3_column_double(s, 3));
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
nomem:
	sqlite3_finalize(s);
	return esc_oom(x);
}
