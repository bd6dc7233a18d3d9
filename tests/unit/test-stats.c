/* test-stats — the numbers of esc-stats: the Wilson interval (against
 * published values), the median and 90th percentile, buckets (UTC days,
 * weeks from Monday, months) and durations as people read them. */
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "stats.h"
#include "tap.h"

static void
wilson(long long x, long long n, double lo, double hi)
{
	double l, h;

	esc_wilson(x, n, 1.96, &l, &h);
	is_double(l, lo, 0.00005, "Wilson %lld/%lld: low %.4f", x, n, lo);
	is_double(h, hi, 0.00005, "Wilson %lld/%lld: high %.4f", x, n, hi);
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Quantiles of v by esc_quantiles, and by sorting (the definition). */
static void
quant(const long long *v, size_t n, double median, double p90, const char *what)
{
	long long *a = malloc(n * sizeof *a);
	double m, p;

	memcpy(a, v, n * sizeof *a);
	esc_quantiles(a, n, &m, &p);
	is_double(m, median, 1e-9, "%s: median %g", what, median);
	is_double(p, p90, 1e-9, "%s: p90 %g", what, p90);
	free(a);
}

static void
quant_random(size_t n, unsigned seed)
{
	long long *a = malloc(n * sizeof *a), *s = malloc(n * sizeof *s);
	double m, p, want_m;
	size_t i;

	srand(seed);
	for (i = 0; i < n; i++)
		a[i] = s[i] = rand() % (long long)(n / 3 + 1);   /* many ties */
	qsort(s, n, sizeof *s, cmp);
	want_m = n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2;
	esc_quantiles(a, n, &m, &p);
	ok(m == want_m && p == (double)s[(n * 9 + 9) / 10 - 1],
		"%zu random values with ties: median and p90 as by sorting", n);
	free(a);
	free(s);
}

static const char *
bucket(const char *t, enum esc_by by)
{
	static char buf[64];
	time_t v;

	esc_time_parse(t, strlen(t), &v);
	return esc_time_format(esc_bucket(v, by), buf, sizeof buf);
}

static const char *
next(const char *t, enum esc_by by)
{
	static char buf[64];
	time_t v;

	esc_time_parse(t, strlen(t), &v);
	return esc_time_format(esc_bucket_next(v, by), buf, sizeof buf);
}

static const char *
dur(double s)
{
	static char buf[32];

	esc_format_duration(s, buf, sizeof buf);
	return buf;
}

int
main(void)
{
	static const long long one[] = { 42 }, two[] = { 10, 20 }, odd[] = { 5, 1, 3 },
		ten[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 },
		eleven[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 },
		same[] = { 7, 7, 7, 7 };
	double lo, hi;

	plan(46);
	/* published values (z = 1.96, no continuity correction), e.g. R's
	 * binom::binom.wilson and Newcombe (1998) */
	wilson(0, 10, 0.0, 0.2775);
	wilson(1, 10, 0.0179, 0.4042);
	wilson(5, 10, 0.2366, 0.7634);
	wilson(10, 10, 0.7225, 1.0);
	wilson(81, 263, 0.2553, 0.3662);
	wilson(1, 2, 0.0945, 0.9055);
	esc_wilson(0, 0, 1.96, &lo, &hi);
	ok(lo == 0 && hi == 1, "Wilson 0/0: the whole of [0, 1]");

	quant(one, 1, 42, 42, "one value");
	quant(two, 2, 15, 20, "two values");
	quant(odd, 3, 3, 5, "three values, unsorted");
	quant(ten, 10, 5.5, 9, "1..10 reversed (p90: the 9th)");
	quant(eleven, 11, 6, 10, "1..11 (p90: the 10th, ceil(9.9))");
	quant(same, 4, 7, 7, "all equal");
	quant_random(1001, 1);
	quant_random(1000, 2);
	quant_random(100000, 3);

	is_str(bucket("2026-03-05T13:14:15Z", ESC_BY_DAY), "2026-03-05T00:00:00Z", "day");
	is_str(bucket("2026-03-05T13:14:15Z", ESC_BY_WEEK), "2026-03-02T00:00:00Z", "week of a Thursday: its Monday");
	is_str(bucket("2026-03-02T00:00:00Z", ESC_BY_WEEK), "2026-03-02T00:00:00Z", "a Monday's week is itself");
	is_str(bucket("2026-03-01T23:59:59Z", ESC_BY_WEEK), "2026-02-23T00:00:00Z", "a Sunday belongs to the week before");
	is_str(bucket("1970-01-01T00:00:00Z", ESC_BY_WEEK), "1969-12-29T00:00:00Z", "1970-01-01 (a Thursday): Monday 1969-12-29");
	is_str(bucket("1969-12-31T12:00:00Z", ESC_BY_DAY), "1969-12-31T00:00:00Z", "day before 1970 (negative time)");
	is_str(bucket("2024-02-29T10:00:00Z", ESC_BY_MONTH), "2024-02-01T00:00:00Z", "month, leap day");
	is_str(bucket("2026-12-31T23:59:59Z", ESC_BY_MONTH), "2026-12-01T00:00:00Z", "month, last second of the year");
	is_str(next("2026-12-01T00:00:00Z", ESC_BY_MONTH), "2027-01-01T00:00:00Z", "next month over the year's end");
	is_str(next("2024-02-01T00:00:00Z", ESC_BY_MONTH), "2024-03-01T00:00:00Z", "next month after a leap February");
	is_str(next("2026-03-02T00:00:00Z", ESC_BY_WEEK), "2026-03-09T00:00:00Z", "next week");
	is_int(esc_by_parse("week"), ESC_BY_WEEK, "\"week\" parses");
	is_int(esc_by_parse("year"), -1, "\"year\" does not");

	is_str(dur(0), "0s", "0s");
	is_str(dur(59.4), "59s", "59s");
	is_str(dur(65), "1m05s", "1m05s");
	is_str(dur(3900), "1h05m", "1h05m");
	is_str(dur(86400 + 3 * 3600 + 59), "1d03h", "1d03h");
	return done();
}
