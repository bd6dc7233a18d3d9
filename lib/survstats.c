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
 * problems: the open problems, most affected users first, --limit rows. */
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
	{ "chains", "chains", ESC_V_INT },
	{ "reached", "reached", ESC_V_INT },
	{ "answered", "answered", ESC_V_INT },
	{ "declined", "declined", ESC_V_INT },
	{ "response_rate", "response (95% CI)", ESC_V_RATE },
	{ "ratings", "ratings", ESC_V_INT },
	{ "csat", "CSAT (95% CI)", ESC_V_RATE },
	{ "nps_answers", "NPS answers", ESC_V_INT },
	{ "nps", "NPS", ESC_V_REAL },
	{ "problem_solved", "solved (95% CI)", ESC_V_RATE },
};

static int
sec_summary(struct esc_runner *x)
{
	/* surveys_report covers both: a range of ended_at; the attempts by
	 * their (survey_id, step) key */
	static const char q[] =
		"SELECT count(*), total(state = 'answered'), total(state = 'declined'), "
		"count(rating), total(rating >= 4), count(nps), total(nps >= 9), total(nps <= 6), "
		"count(problem_solved), total(problem_solved = 1) FROM {S} WHERE {WE}";
	static const char qr[] =
		"SELECT count(*) FROM {S} s WHERE {WE} AND EXISTS (SELECT 1 FROM {SA} a "
		"WHERE a.survey_id = s.id AND {D:a} = {D:s} AND " REACHED("a") ")";
	long long v[10], reached = 0;
	struct esc_cell *c;
	sqlite3_stmt *s;
	int i, rc, null;

	if (!(s = esc_prep(x, "surveys", q)))
		return -1;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			rc = SQLITE_ERROR;
		return esc_step_err(x, s, rc);
	}
	for (i = 0; i < 10; i++)
		v[i] = sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
	if (!v[0] && !forced(x, ESC_SEC_SURVEYS))
		return 0;
	if (!(s = esc_prep(x, "surveys: reached", qr)))
		return -1;
	rc = esc_scalar(x, s, &reached, &null);
	sqlite3_finalize(s);
	if (rc < 0)
		return -1;
	if (!table(x, ESC_SEC_SURVEYS, "Surveys", survey_cols,
	    (int)(sizeof survey_cols / sizeof *survey_cols)) ||
	    !(c = esc_table_row(x->r->t[ESC_SEC_SURVEYS])))
		return esc_oom(x);
	esc_set_int(&c[0], ESC_V_INT, v[0]);
	esc_set_int(&c[1], ESC_V_INT, reached);
	esc_set_int(&c[2], ESC_V_INT, v[1]);
	esc_set_int(&c[3], ESC_V_INT, v[2]);
	esc_set_rate(&c[4], v[1], reached);
	esc_set_int(&c[5], ESC_V_INT, v[3]);
	esc_set_rate(&c[6], v[4], v[3]);
	esc_set_int(&c[7], ESC_V_INT, v[5]);
	if (v[5])
		esc_set_real(&c[8], ESC_V_REAL, 100.0 * (double)(v[6] - v[7]) / (double)v[5]);
	esc_set_rate(&c[9], v[9], v[8]);
	return 0;
}

/* ---- survey_methods ---- */

static const struct esc_col method_cols[] = {
	{ "step", "step", ESC_V_TEXT },
	{ "sent", "sent/shown", ESC_V_INT },
	{ "skipped", "skipped", ESC_V_INT },
	{ "failed", "failed", ESC_V_INT },
	{ "answered", "answered", ESC_V_INT },
	{ "response_rate", "response (95% CI)", ESC_V_RATE },
};

static int
sec_methods(struct esc_runner *x)
{
	/* the chains of the window from surveys_report, their attempts by
	 * (survey_id, step), an attempt's answer by its attempt_id: CROSS JOIN
	 * keeps that order (the planner would rather scan every attempt) */
	static const char q[] =
		"SELECT " STEP_NO("a.step") ", total(" REACHED("a") "), total(a.state = 'skipped'), "
		"total(a.state = 'failed'), total(n.complete = 1) FROM {S} s "
		"CROSS JOIN {SA} a ON a.survey_id = s.id AND {D:a} = {D:s} "
		"LEFT JOIN {SN} n ON n.attempt_id = a.id AND {D:n} = {D:a} "
		"WHERE {WE} GROUP BY 1";
	long long v[ESC_STEP_N][4] = { { 0 } };
	struct esc_table *t;
	struct esc_cell *c;
	sqlite3_stmt *s;
	int k, i, rc, rows = 0;

	if (!(s = esc_prep(x, "survey_methods", q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		k = sqlite3_column_int(s, 0);
		rows++;
		if (k < 0 || k >= ESC_STEP_N)
			continue;
		for (i = 0; i < 4; i++)
			v[k][i] = sqlite3_column_int64(s, 1 + i);
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	if (!rows && !forced(x, ESC_SEC_SURVEY_METHODS))
		return 0;
	if (!(t = table(x, ESC_SEC_SURVEY_METHODS, "Survey steps", method_cols,
	    (int)(sizeof method_cols / sizeof *method_cols))))
		return -1;
	for (k = 0; k < ESC_STEP_N; k++) {
		if (!(c = esc_table_row(t)) ||
		    esc_set_text(&c[0], (const unsigned char *)esc_step_name(k)) < 0)
			return esc_oom(x);
		for (i = 0; i < 4; i++)
			esc_set_int(&c[1 + i], ESC_V_INT, v[k][i]);
		esc_set_rate(&c[5], v[k][3], v[k][0]);
	}
	return 0;
}

/* ---- survey_funnel ---- */

static const struct esc_col funnel_cols[] = {
	{ "step", "step", ESC_V_TEXT },
	{ "reached", "reached", ESC_V_INT },
	{ "answered", "answered here", ESC_V_INT },
	{ "open", "still open", ESC_V_INT },
	{ "drop_off", "dropped off", ESC_V_INT },
};

static int
sec_funnel(struct esc_runner *x)
{
	/* per chain of the window: its state, the step that answered, and
	 * the steps it reached as bits (a chain has one attempt per step);
	 * not surveys.step, which moves on past skipped steps too */
	static const char q[] =
		"SELECT s.state, " STEP_NO("s.method") ", "
		"(SELECT total(1 << (" STEP_NO("a.step") ")) FROM {SA} a "
		"WHERE a.survey_id = s.id AND {D:a} = {D:s} AND " REACHED("a") ") "
		"FROM {S} s WHERE {WE}";
	long long reached[ESC_STEP_N] = { 0 }, answered[ESC_STEP_N] = { 0 };
	long long open[ESC_STEP_N + 1] = { 0 }, drop[ESC_STEP_N + 1] = { 0 }, chains = 0;
	const char *state;
	struct esc_table *t;
	struct esc_cell *c;
	sqlite3_stmt *s;
	int k, rc, method, bits, last;

	if (!(s = esc_prep(x, "survey_funnel", q)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state = (const char *)sqlite3_column_text(s, 0);
		method = sqlite3_column_int(s, 1);
		bits = sqlite3_column_int(s, 2);
		chains++;
		for (k = 0, last = -1; k < ESC_STEP_N; k++)
			if (bits & 1 << k) {
				reached[k]++;
				last = k;
			}
		if (!state)
			continue;
		/* open and dropped off where the chain got to: [last + 1],
		 * [0] for a chain that reached no step */
		if (!strcmp(state, "answered")) {
			if (method >= 0)
				answered[method]++;
		} else if (!strcmp(state, "open"))
			open[last + 1]++;
		else
			drop[last + 1]++;
	}
	if (esc_step_err(x, s, rc) < 0)
		return -1;
	sqlite3_finalize(s);
	if (!chains && !forced(x, ESC_SEC_SURVEY_FUNNEL))
		return 0;
	if (!(t = table(x, ESC_SEC_SURVEY_FUNNEL, "Survey funnel", funnel_cols,
	    (int)(sizeof funnel_cols / sizeof *funnel_cols))))
		return -1;
	/* no step and nothing reached: null; no answer without a token */
	if (open[0] || drop[0]) {
		if (!(c = esc_table_row(t)))
			return esc_oom(x);
		esc_set_int(&c[2], ESC_V_INT, 0);
		esc_set_int(&c[3], ESC_V_INT, open[0]);
		esc_set_int(&c[4], ESC_V_INT, drop[0]);
	}
	for (k = 0; k < ESC_STEP_N; k++) {
		if (!(c = esc_table_row(t)) ||
		    esc_set_text(&c[0], (const unsigned char *)esc_step_name(k)) < 0)
			return esc_oom(x);
		esc_set_int(&c[1], ESC_V_INT, reached[k]);
		esc_set_int(&c[2], ESC_V_INT, answered[k]);
		esc_set_int(&c[3], ESC_V_INT, open[k + 1]);
		esc_set_int(&c[4], ESC_V_INT, drop[k + 1]);
	}
	return 0;
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
