/* stats.h — esc-stats: reports over the store (stats.c), written as JSON
 * lines, aligned tables or CSV (report.c), or as one HTML page with inline
 * SVG charts (html.c); and the alerts a cron job raises (alerts.c).
 *
 * A report is a set of tables, one per section; a table is typed columns
 * and rows of cells. The queries fill the tables; the writers only format. */
#ifndef ESC_STATS_H
#define ESC_STATS_H

#include <time.h>

#include "esc.h"

/* Buckets are UTC days, weeks starting on Monday, or calendar months. */
enum esc_by { ESC_BY_NONE, ESC_BY_DAY, ESC_BY_WEEK, ESC_BY_MONTH };

enum esc_section {
	ESC_SEC_TOTALS, ESC_SEC_OFFER, ESC_SEC_REASON, ESC_SEC_TIER,
	ESC_SEC_TEMPLATE, ESC_SEC_SEVERITY, ESC_SEC_RECENT, ESC_SEC_SLA,
	ESC_SEC_LEADERBOARD,
	ESC_SEC_FUNNEL,        /* the customer journey (crmstats.c) */
	ESC_SEC_UPSELL,        /* upsell recommendations by type */
	ESC_SEC_OPPS,          /* usage-alert opportunities: "opportunities" */
	ESC_SEC_SURVEYS,       /* survey-send's chains: rates, CSAT, NPS (survstats.c) */
	ESC_SEC_SURVEY_METHODS, /* per step of the chain: "survey_methods" */
	ESC_SEC_SURVEY_FUNNEL, /* how far chains got: "survey_funnel" */
	ESC_SEC_PROBLEMS,      /* the top unresolved problems */
	ESC_SEC_TREND,         /* totals per day for the HTML chart, not a --section */
	ESC_SEC_N,
};
/* Every section but the trend; esc-stats leaves the customer side and
 * the surveys out when the store has no rows for them (struct
 * esc_stats_opts, if_rows). */
#define ESC_SEC_DEFAULT ((1u << ESC_SEC_TREND) - 1)
/* The survey sections (esc-stats --surveys). */
#define ESC_SEC_SURVEY_ALL (1u << ESC_SEC_SURVEYS | 1u << ESC_SEC_SURVEY_METHODS | \
	1u << ESC_SEC_SURVEY_FUNNEL | 1u << ESC_SEC_PROBLEMS)
/* The name of a section as --section and the "section" key spell it. */
const char *esc_section_name(int sec);
/* A --section value to a mask of sections ("by" is the five by_*), or 0. */
unsigned esc_section_parse(const char *s);

enum esc_vt {
	ESC_V_NULL,
	ESC_V_INT,
	ESC_V_REAL,
	ESC_V_TEXT,
	ESC_V_TIME,    /* unix seconds, written as RFC 3339 */
	ESC_V_DATE,    /* a bucket's start, written as YYYY-MM-DD */
	ESC_V_DUR,     /* seconds; in a table 1h05m */
	ESC_V_PCT,     /* a proportion; in a table a percentage */
	ESC_V_RATE,    /* a proportion with its interval: NAME, NAME_lo, NAME_hi */
	ESC_V_SCORE,   /* a score from -100 to 100 (NPS); in a table signed, +6.7 */
};

struct esc_col {
	const char *name;      /* the JSON key and CSV heading */
	const char *head;      /* the -t heading */
	enum esc_vt type;
};
struct esc_cell {
	enum esc_vt type;      /* the column's type, or ESC_V_NULL */
	long long i;
	double r, lo, hi;
	char *s;               /* owned */
};
struct esc_table {
	int sec;
	const char *name;      /* "by_offer" */
	const char *title;     /* "Conversion by offer" */
	int ncol;
	const struct esc_col *cols;
	int text_max;          /* -t: a longer text is cut to this many characters; 0: 48 */
	unsigned long text_hide;  /* -t leaves out column c (bit 1 << c): not computed */
	const char *text_note;    /* -t prints it under the table, when not NULL */
	const char *text_none;    /* -t and HTML show it for a null text, when not
	                             NULL (else "-"): what a row without one is */
	size_t nrow, cap;
	struct esc_cell *cells;   /* row r, column c: cells[r * ncol + c] */
};
/* The cell in row r, column c. */
static inline const struct esc_cell *
esc_table_cell(const struct esc_table *t, size_t r, int c)
{
	return &t->cells[r * (size_t)t->ncol + (size_t)c];
}
/* The index of the column called name, or -1. */
int esc_table_col(const struct esc_table *t, const char *name);

struct esc_stats_opts {
	time_t since, until;   /* created_at in [since, until) */
	int has_since, has_until;
	enum esc_by by;
	unsigned sections;     /* mask of 1 << enum esc_section */
	long limit;            /* rows of "recent" and "problems" */
	int explain;           /* collect EXPLAIN QUERY PLAN of every query */
	const char *customer;  /* borrows: funnel, upsell, opportunities of this customer_id only */
	unsigned if_rows;      /* of sections: leave out those the store has no rows for */
	int tier_rates;        /* by_tier's questions and rates, which read every
	                        * question: only when by_tier is asked for by name */
};

/* The store files a report reads, opened together. */
struct esc_stats;
/* Open paths[0..n-1] (each must exist and be a store; none is created):
 * the first is the main file; the others are attached and read through
 * TEMP views, or, when there are more than SQLite attaches at once, their
 * rows are copied into TEMP tables (in a temporary file) by the first
 * esc_stats_run that reads them. Returns NULL with err naming the file
 * that failed. */
struct esc_stats *esc_stats_open(const char *const *paths, int n, struct esc_err *err);
void esc_stats_close(struct esc_stats *st);

struct esc_report {
	struct esc_table *t[ESC_SEC_N];   /* NULL: section not asked for */
	int multi;                        /* more than one file: rows name theirs */
	time_t now;
	struct esc_stats_opts o;
	struct esc_buf explain;           /* with o.explain: the plans, as text */
};
/* Run the sections o asks for. Returns 0, or an exit code with err
 * (ESC_EXIT_STORE, or ESC_EXIT_DATA for a bad data file); the report is
 * then empty. Free r with esc_report_free. */
int esc_stats_run(struct esc_stats *st, const struct esc_stats_opts *o,
	struct esc_report *r, struct esc_err *err);
void esc_report_free(struct esc_report *r);

/* --alerts: the alerts due now that were never sent. For the files, in one
 * transaction (one per group of files attached together, when there are
 * more than SQLite attaches at once), every new alert is recorded in its
 * file's alerts_sent and its JSON line appended to a buffer handed to
 * emit; the transaction commits only when emit returns 0 (the lines are
 * out), so an alert a failed write did not send is not recorded. *count
 * is the number of alerts emitted. Returns 0, or an exit code with err
 * (ESC_EXIT_STORE, ESC_EXIT_DATA; ESC_EXIT_IO when emit failed, which has
 * said why). */
typedef int (*esc_alert_emit)(void *ctx, const char *lines, size_t len);
int esc_stats_alerts(struct esc_stats *st, const struct esc_stats_opts *o,
	esc_alert_emit emit, void *ctx, long *count, struct esc_err *err);

/* ---- numbers (stats.c) ---- */
/* The Wilson score interval of x successes in n trials, z standard errors
 * wide (1.96 for 95%). n == 0 gives [0, 1]. */
void esc_wilson(long long x, long long n, double z, double *lo, double *hi);
/* The median (the mean of the two middle values when n is even) and the
 * 90th percentile (nearest rank: the ceil(0.9 n)-th smallest) of v[0..n-1],
 * which is reordered. n must be > 0. O(n). */
void esc_quantiles(long long *v, size_t n, double *median, double *p90);
/* The start of the bucket holding t, and the start of the next one. */
time_t esc_bucket(time_t t, enum esc_by by);
time_t esc_bucket_next(time_t b, enum esc_by by);
/* How many buckets [lo, hi) spans: from the one holding lo to the one
 * holding hi - 1; 0 when hi <= lo. */
long long esc_bucket_count(time_t lo, time_t hi, enum esc_by by);
/* "day", "week", "month" of by. */
const char *esc_by_name(enum esc_by by);
/* "day", "week", "month" to enum esc_by, or -1. */
int esc_by_parse(const char *s);

/* ---- writers (report.c, html.c); they append to out ---- */
void esc_report_json(const struct esc_report *r, struct esc_buf *out);
void esc_report_text(const struct esc_report *r, struct esc_buf *out);
void esc_report_csv(const struct esc_report *r, struct esc_buf *out);
/* A self-contained page: no network, no external resource. */
void esc_report_html(const struct esc_report *r, const char *const *paths, int n,
	struct esc_buf *out);
/* A cell as a table shows it: "-", 12.5%, "12.5% (8.1-18.3)", 1h05m, ...;
 * a text longer than max characters is cut and ends in "..." (report.c). */
void esc_cell_text(const struct esc_cell *c, char *buf, size_t n, size_t max);
/* The same for row i, column c of t, with t's text_none for a null text. */
void esc_table_text(const struct esc_table *t, size_t i, int c, char *buf, size_t n,
	size_t max);
/* 3725 seconds as "1h02m", and so on (report.c). */
void esc_format_duration(double secs, char *buf, size_t n);

#endif
