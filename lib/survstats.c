/* survstats.c — survey-send in an esc-stats report (issue 5, seed 002):
 * the chains' outcome, each step of the chain, how far chains got, and the
 * top unresolved problems. Each fills its table in r->t[] through the
 * runner of stats.c (stats-int.h), in the report's read transaction.
 *
 * What the numbers mean (man esc-stats, "Surveys"), for the chains whose
 * session ended in the window (problems: opened in it):
 *
 * surveys: one row. A chain is "reached" when at least one of its steps
 *   was shown or sent (an attempt sent, or unconfirmed: a send a crash
 *   interrupted, which may have gone out, or one the provider failed
 *   that the person answered), or its token was used (an answer proves
 *   the step got to the person, even through a claim a crash left). The response rate is answered over reached; CSAT the
 *   share of ratings of 4 or 5 among the chains rated; NPS the percentage
 *   of promoters (9-10) less that of detractors (0-6) among the chains
 *   with an NPS answer, -100 to 100; the problem-solved rate is over the
 *   chains that said either way. Rates come with their 95% Wilson
 *   interval.
 *
 * survey_methods: per step, in the chain's order: attempts sent (for the
 *   widget: shown), skipped and failed (never answered: survey-send makes
 *   an answered one unconfirmed); "answered" counts the complete
 *   answers given through that step's own token, and the response rate is
 *   those over the sent.
 *
 * survey_funnel: per step, the chains that reached it (sent or shown
 *   there), answered there (the step whose answer completed the chain),
 *   still open at it and dropped off there. Open and dropped off go by
 *   the last step the chain reached, not by surveys.step, which is the
 *   last step it went through, skipped ones too: a chain whose call was
 *   skipped and whose SMS is held by the throttle is at ai_call there,
 *   but has reached the widget only, and is open at it. A chain that
 *   reached no step yet (no widget, every step so far skipped) is on a
 *   row of its own, with a null step, first and only when there is one. So each chain of the window is counted
 *   once in answered, open or dropped off, and the steps' rows add up to
 *   the chains reached of "surveys".
 *
 * problems: the open problems, most affected users first, --limit rows.
 *
 * With --by, the first three have a bucket column and rows per bucket of
 * the chains' ended_at that has chains (survey_methods and survey_funnel:
 * the four steps of each), so the buckets add up to the report without
 * it. problems stays one list, as recent does: its figures are each
 * problem's over its whole life, not counts a bucket could hold. */
#include <string.h>

#include <sqlite3.h>

#include "esc.h"
#include "stats.h"
#include "stats-int.h"
#include "survey.h"

/* "reached": an attempt that was shown or sent, or answered (a claim a
 * crash left may have been, before survey-send --due found it) */
#define REACHED(a) "(" a ".state IN ('sent', 'unconfirmed') OR " a ".used_at IS NOT NULL)"
/* a step's name to its number, in SQL */
#define STEP_NO(col) "CASE " col " WHEN 'in_widget' THEN 0 WHEN 'ai_call' THEN 1 " \
	"WHEN 'sms_link' THEN 2 WHEN 'email_link' THEN 3 ELSE -1 END"

/* Is sec asked for, and to be shown even with no rows? */
static int
forced(const struct esc_runner *x, int sec)
{
	return !(x->o->if_rows & 1u << sec);
}

static struct esc_table *
table(struct esc_runner *x, int sec, const char *title, const struct esc_col *cols, int n)
{
	struct esc_table *t = esc_table_new(sec, title, cols, n);

	if (!t)
		esc_oom(x);
	return x->r->t[sec] = t;
}

/* ---- surveys ---- */

static const struct esc_col survey_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "chains", "chains", ESC_V_INT },
	{ "reached", "reached", ESC_V_INT },
	{ "answered", "answered", ESC_V_INT },
	{ "declined", "declined", ESC_V_INT },
	{ "response_rate", "response (95% CI)", ESC_V_RATE },
	{ "ratings", "ratings", ESC_V_INT },
	{ "csat", "CSAT (95% CI)", ESC_V_RATE },
	{ "nps_answers", "NPS answers", ESC_V_INT },
	{ "nps", "NPS", ESC_V_SCORE },
	{ "problem_solved", "solved (95% CI)", ESC_V_RATE },
};

/* With --by, a section's columns start with the bucket; without, not. */
static struct esc_table *
bucket_table(struct esc_runner *x, int sec, const char *title, const struct esc_col *cols,
	int n)
{
	int bucketed = x->by != ESC_BY_NONE;

	return table(x, sec, title, cols + !bucketed, n - !bucketed);
}

/* A new row of t, its bucket set with --by: the row's other cells, or
 * NULL when out of memory. */
static struct esc_cell *
bucket_row(struct esc_runner *x, struct esc_table *t, long long bucket)
{
	struct esc_cell *c = esc_table_row(t);

	if (!c) {
		esc_oom(x);
		return NULL;
	}
	if (x->by != ESC_BY_NONE)
		esc_set_int(c++, ESC_V_DATE, bucket);
	return c;
}

static int
sec_summary(struct esc_runner *x)
{
	/* surveys_report covers both: a range of ended_at; the attempts by
	 * their (survey_id, step) key. Without --by, one row even over no
	 * chain; with it, a row per bucket that has chains, in order. */
#define SUMMARY "count(*), total(state = 'answered'), total(state = 'declined'), " \
	"count(rating), total(rating >= 4), count(nps), total(nps >= 9), total(nps <= 6), " \
	"count(problem_solved), total(problem_solved = 1) FROM {S} WHERE {WE}"
#define REACHED_Q "count(*) FROM {S} s WHERE {WE} AND EXISTS (SELECT 1 FROM {SA} a " \
	"WHERE a.survey_id = s.id AND {D:a} = {D:s} AND " REACHED("a") ")"
	static const char q[] = "SELECT 0, " SUMMARY;
	static const char qb[] = "SELECT {BE}, " SUMMARY " GROUP BY 1 ORDER BY 1";
	static const char qr[] = "SELECT 0, " REACHED_Q;
	static const char qrb[] = "SELECT {BE}, " REACHED_Q " GROUP BY 1 ORDER BY 1";
#undef SUMMARY
#undef REACHED_Q
	int bucketed = x->by != ESC_BY_NONE, i, rc;
	struct esc_table *t = NULL;
	struct esc_cell *c;
	sqlite3_stmt *s;
	long long v[10], b;
	size_t r;

	if (!(s = esc_prep(x, "surveys", bucketed ? qb : q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < 10; i++)
			v[i] = sqlite3_column_int64(s, 1 + i);
		if (!v[0] && !forced(x, ESC_SEC_SURVEYS))
			continue;     /* no chain in the window: left out of the report */
		if ((!t && !(t = bucket_table(x, ESC_SEC_SURVEYS, "Surveys", survey_cols,
		    (int)(sizeof survey_cols / sizeof *survey_cols)))) ||
		    !(c = bucket_row(x, t, sqlite3_column_int64(s, 0))))
			goto fail;
		/* reached, and the response rate over it, come next */
		esc_set_int(&c[0], ESC_V_INT, v[0]);
		esc_set_int(&c[1], ESC_V_INT, 0);
		esc_set_int(&c[2], ESC_V_INT, v[1]);
		esc_set_int(&c[3], ESC_V_INT, v[2]);
		esc_set_int(&c[5], ESC_V_INT, v[3]);
		esc_set_rate(&c[6], v[4], v[3]);
		esc_set_int(&c[7], ESC_V_INT, v[5]);
		if (v[5])
			esc_set_real(&c[8], ESC_V_SCORE, 100.0 * (double)(v[6] - v[7]) / (double)v[5]);
		esc_set_rate(&c[9], v[9], v[8]);
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	if (bucketed && !t && forced(x, ESC_SEC_SURVEYS) &&
	    !bucket_table(x, ESC_SEC_SURVEYS, "Surveys", survey_cols,
	    (int)(sizeof survey_cols / sizeof *survey_cols)))
		return -1;
	if (!t)
		return 0;
	/* the chains reached, per bucket in the same order: a bucket has
	 * chains wherever it has chains reached */
	if (!(s = esc_prep(x, "surveys: reached", bucketed ? qrb : qr)))
		return -1;
	r = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		b = sqlite3_column_int64(s, 0);
		while (bucketed && r < t->nrow && t->cells[r * (size_t)t->ncol].i < b)
			r++;
		if (r == t->nrow || (bucketed && t->cells[r * (size_t)t->ncol].i != b))
			continue;
		c = &t->cells[r * (size_t)t->ncol + (size_t)bucketed];
		esc_set_int(&c[1], ESC_V_INT, sqlite3_column_int64(s, 1));
		esc_set_rate(&c[4], c[2].i, c[1].i);
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
fail:
	sqlite3_finalize(s);
	return -1;
}

/* ---- survey_methods ---- */

static const struct esc_col method_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "step", "step", ESC_V_TEXT },
	{ "sent", "sent/shown", ESC_V_INT },
	{ "skipped", "skipped", ESC_V_INT },
	{ "failed", "failed", ESC_V_INT },
	{ "answered", "answered", ESC_V_INT },
	{ "response_rate", "response (95% CI)", ESC_V_RATE },
};

/* The four rows of a bucket, every step in the chain's order. */
static int
method_rows(struct esc_runner *x, struct esc_table *t, long long bucket,
	long long v[ESC_STEP_N][4])
{
	struct esc_cell *c;
	int k, i;

	for (k = 0; k < ESC_STEP_N; k++) {
		if (!(c = bucket_row(x, t, bucket)))
			return -1;
		if (esc_set_text(&c[0], (const unsigned char *)esc_step_name(k)) < 0)
			return esc_oom(x);
		for (i = 0; i < 4; i++)
			esc_set_int(&c[1 + i], ESC_V_INT, v[k][i]);
		esc_set_rate(&c[5], v[k][3], v[k][0]);
	}
	memset(v, 0, sizeof(long long[ESC_STEP_N][4]));
	return 0;
}

static int
sec_methods(struct esc_runner *x)
{
	/* the chains of the window from surveys_report, their attempts by
	 * (survey_id, step), an attempt's answer by its attempt_id: CROSS JOIN
	 * keeps that order (the planner would rather scan every attempt) */
#define METHODS STEP_NO("a.step") ", total(" REACHED("a") "), total(a.state = 'skipped'), " \
	"total(a.state = 'failed'), total(n.complete = 1) FROM {S} s " \
	"CROSS JOIN {SA} a ON a.survey_id = s.id AND {D:a} = {D:s} " \
	"LEFT JOIN {SN} n ON n.attempt_id = a.id AND {D:n} = {D:a} WHERE {WE}"
	static const char q[] = "SELECT 0, " METHODS " GROUP BY 2";
	static const char qb[] = "SELECT {BE}, " METHODS " GROUP BY 1, 2 ORDER BY 1, 2";
#undef METHODS
	long long v[ESC_STEP_N][4] = { { 0 } }, b, cur = 0;
	int bucketed = x->by != ESC_BY_NONE, k, i, rc, rows = 0;
	struct esc_table *t = NULL;
	sqlite3_stmt *s;

	if (forced(x, ESC_SEC_SURVEY_METHODS) &&
	    !(t = bucket_table(x, ESC_SEC_SURVEY_METHODS, "Survey steps", method_cols,
	    (int)(sizeof method_cols / sizeof *method_cols))))
		return -1;
	if (!(s = esc_prep(x, "survey_methods", bucketed ? qb : q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		b = sqlite3_column_int64(s, 0);
		k = sqlite3_column_int(s, 1);
		if (!t && !(t = bucket_table(x, ESC_SEC_SURVEY_METHODS, "Survey steps", method_cols,
		    (int)(sizeof method_cols / sizeof *method_cols))))
			goto fail;
		/* a bucket's rows once it is over */
		if (rows++ && b != cur && method_rows(x, t, cur, v) < 0)
			goto fail;
		cur = b;
		if (k < 0 || k >= ESC_STEP_N)
			continue;
		for (i = 0; i < 4; i++)
			v[k][i] = sqlite3_column_int64(s, 2 + i);
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	/* the last bucket's; without --by, the four steps even over nothing */
	if (t && (rows || !bucketed) && method_rows(x, t, cur, v) < 0)
		return -1;
	return 0;
fail:
	sqlite3_finalize(s);
	return -1;
}

/* ---- survey_funnel ---- */

static const struct esc_col funnel_cols[] = {
	{ "bucket", "bucket", ESC_V_DATE },
	{ "step", "step", ESC_V_TEXT },
	{ "reached", "reached", ESC_V_INT },
	{ "answered", "answered here", ESC_V_INT },
	{ "open", "still open", ESC_V_INT },
	{ "drop_off", "dropped off", ESC_V_INT },
};

/* The counts of one bucket: per step reached and answered there; open
 * and dropped off at [last step reached + 1], [0] for none. */
struct funnel {
	long long reached[ESC_STEP_N], answered[ESC_STEP_N];
	long long open[ESC_STEP_N + 1], drop[ESC_STEP_N + 1];
};

static struct esc_table *
funnel_table(struct esc_runner *x)
{
	struct esc_table *t = bucket_table(x, ESC_SEC_SURVEY_FUNNEL, "Survey funnel",
		funnel_cols, (int)(sizeof funnel_cols / sizeof *funnel_cols));

	if (t)
		t->text_none = "(no step yet)";
	return t;
}

/* A bucket's rows: the chains that reached no step first, when there are
 * any, then every step in the chain's order. */
static int
funnel_rows(struct esc_runner *x, struct esc_table *t, long long bucket, struct funnel *f)
{
	struct esc_cell *c;
	int k;

	/* no step and nothing reached: null; no answer without a token */
	if (f->open[0] || f->drop[0]) {
		if (!(c = bucket_row(x, t, bucket)))
			return -1;
		esc_set_int(&c[2], ESC_V_INT, 0);
		esc_set_int(&c[3], ESC_V_INT, f->open[0]);
		esc_set_int(&c[4], ESC_V_INT, f->drop[0]);
	}
	for (k = 0; k < ESC_STEP_N; k++) {
		if (!(c = bucket_row(x, t, bucket)))
			return -1;
		if (esc_set_text(&c[0], (const unsigned char *)esc_step_name(k)) < 0)
			return esc_oom(x);
		esc_set_int(&c[1], ESC_V_INT, f->reached[k]);
		esc_set_int(&c[2], ESC_V_INT, f->answered[k]);
		esc_set_int(&c[3], ESC_V_INT, f->open[k + 1]);
		esc_set_int(&c[4], ESC_V_INT, f->drop[k + 1]);
	}
	memset(f, 0, sizeof *f);
	return 0;
}

static int
sec_funnel(struct esc_runner *x)
{
	/* per chain of the window: its state, the step that answered, and
	 * the steps it reached as bits (a chain has one attempt per step);
	 * not surveys.step, which moves on past skipped steps too. With
	 * --by, in the order of ended_at, which surveys_report has: the
	 * chains of a bucket come together. */
#define FUNNEL "s.state, " STEP_NO("s.method") ", " \
	"(SELECT total(1 << (" STEP_NO("a.step") ")) FROM {SA} a " \
	"WHERE a.survey_id = s.id AND {D:a} = {D:s} AND " REACHED("a") ") " \
	"FROM {S} s WHERE {WE}"
	static const char q[] = "SELECT 0, " FUNNEL;
	static const char qb[] = "SELECT {BE}, " FUNNEL " ORDER BY s.ended_at";
#undef FUNNEL
	struct funnel f;
	const char *state;
	struct esc_table *t = NULL;
	sqlite3_stmt *s;
	long long b, cur = 0, chains = 0;
	int bucketed = x->by != ESC_BY_NONE, k, rc, method, bits, last;

	memset(&f, 0, sizeof f);
	if (forced(x, ESC_SEC_SURVEY_FUNNEL) &&
	    !(t = funnel_table(x)))
		return -1;
	if (!(s = esc_prep(x, "survey_funnel", bucketed ? qb : q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		b = sqlite3_column_int64(s, 0);
		state = (const char *)sqlite3_column_text(s, 1);
		method = sqlite3_column_int(s, 2);
		bits = sqlite3_column_int(s, 3);
		if (!t && !(t = funnel_table(x)))
			goto fail;
		/* a bucket's rows once it is over */
		if (chains++ && b != cur && funnel_rows(x, t, cur, &f) < 0)
			goto fail;
		cur = b;
		for (k = 0, last = -1; k < ESC_STEP_N; k++)
			if (bits & 1 << k) {
				f.reached[k]++;
				last = k;
			}
		if (!state)
			continue;
		/* open and dropped off where the chain got to: [last + 1],
		 * [0] for a chain that reached no step */
		if (!strcmp(state, "answered")) {
			if (method >= 0)
				f.answered[method]++;
		} else if (!strcmp(state, "open"))
			f.open[last + 1]++;
		else
			f.drop[last + 1]++;
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	/* the last bucket's; without --by, the four steps even over nothing */
	if (t && (chains || !bucketed) && funnel_rows(x, t, cur, &f) < 0)
		return -1;
	return 0;
fail:
	sqlite3_finalize(s);
	return -1;
}

/* ---- problems ---- */

static const struct esc_col problem_cols[] = {
	{ "db", "db", ESC_V_TEXT },
	{ "id", "id", ESC_V_INT },
	{ "description", "description", ESC_V_TEXT },
	{ "affected_users", "users", ESC_V_INT },
	{ "attempts", "attempts", ESC_V_INT },
	{ "first_seen", "first seen", ESC_V_TIME },
	{ "last_seen", "last seen", ESC_V_TIME },
};

/* Its descriptions are people's words: -t shows more of them than of
 * other texts. */
static struct esc_table *
problems_table(struct esc_runner *x)
{
	int multi = x->st->n > 1;
	struct esc_table *t = table(x, ESC_SEC_PROBLEMS, "Unresolved problems",
		problem_cols + !multi, (int)(sizeof problem_cols / sizeof *problem_cols) - !multi);

	if (t)
		t->text_max = 60;
	return t;
}

static int
sec_problems(struct esc_runner *x)
{
	/* problems_open, read backwards from the status */
	static const char q[] =
		"SELECT {DB}, id, description, affected_users, attempts, created_at, updated_at "
		"FROM {P} WHERE status = 'unresolved' AND {W} "
		"ORDER BY affected_users DESC, attempts DESC, id LIMIT :limit";
	int multi = x->st->n > 1, rc, f;
	struct esc_table *t = NULL;
	struct esc_cell *c;
	sqlite3_stmt *s;

	if (forced(x, ESC_SEC_PROBLEMS) && !(t = problems_table(x)))
		return -1;
	if (!(s = esc_prep(x, "problems", q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!t && !(t = problems_table(x)))
			goto fail;
		if (!(c = esc_table_row(t)))
			goto nomem;
		if (multi) {
			f = sqlite3_column_int(s, 0);
			if (esc_set_text(c++, (const unsigned char *)x->st->paths[f]) < 0)
				goto nomem;
		}
		esc_set_int(&c[0], ESC_V_INT, sqlite3_column_int64(s, 1));
		if (esc_set_text(&c[1], sqlite3_column_text(s, 2)) < 0)
			goto nomem;
		esc_set_int(&c[2], ESC_V_INT, sqlite3_column_int64(s, 3));
		esc_set_int(&c[3], ESC_V_INT, sqlite3_column_int64(s, 4));
		esc_set_int(&c[4], ESC_V_TIME, sqlite3_column_int64(s, 5));
		esc_set_int(&c[5], ESC_V_TIME, sqlite3_column_int64(s, 6));
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	return 0;
nomem:
	esc_oom(x);
fail:
	sqlite3_finalize(s);
	return -1;
}

int
esc_sec_surveys(struct esc_runner *x, unsigned want)
{
	if ((want & 1u << ESC_SEC_SURVEYS) && sec_summary(x) < 0)
		return -1;
	if ((want & 1u << ESC_SEC_SURVEY_METHODS) && sec_methods(x) < 0)
		return -1;
	if ((want & 1u << ESC_SEC_SURVEY_FUNNEL) && sec_funnel(x) < 0)
		return -1;
	if ((want & 1u << ESC_SEC_PROBLEMS) && sec_problems(x) < 0)
		return -1;
	return 0;
}
