/* tap.h — the Test Anything Protocol for C unit tests, in one header.
 *
 *	plan(n);                       the number of tests, first
 *	ok(cond, "what");              a condition
 *	is_int(got, want, "what");     integers, shown on failure
 *	is_double(got, want, eps, "what");  |got - want| <= eps
 *	is_str(got, want, "what");     strings (NULL allowed)
 *	todo("why"); ... todo(NULL);   failures in between are "# TODO"
 *	return done();                 0 if all passed and the plan was kept
 *
 * Every description is a printf format. Failures do not stop the test. */
#ifndef TAP_H
#define TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_planned = -1, tap_run, tap_failed;
static const char *tap_todo;

static inline void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline void
todo(const char *why)
{
	tap_todo = why;
}

static inline int
tap_vresult(int pass, const char *fmt, va_list ap)
{
	tap_run++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	if (tap_todo)
		printf(" # TODO %s", tap_todo);
	putchar('\n');
	if (!pass && !tap_todo)
		tap_failed++;
	fflush(stdout);
	return pass;
}

static inline int __attribute__((format(printf, 2, 3)))
ok(int pass, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vresult(pass, fmt, ap);
	va_end(ap);
	return r;
}

static inline int __attribute__((format(printf, 3, 4)))
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vresult(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return r;
}

static inline int __attribute__((format(printf, 4, 5)))
is_double(double got, double want, double eps, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vresult(fabs(got - want) <= eps, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got:  %.6f\n#   want: %.6f (within %g; off by %.6f)\n",
			got, want, eps, got - want);
	return r;
}

static inline int __attribute__((format(printf, 3, 4)))
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vresult(got && want ? strcmp(got, want) == 0 : got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)", want ? want : "(null)");
	return r;
}

static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline int
done(void)
{
	if (tap_planned >= 0 && tap_run != tap_planned) {
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
		return 255;
	}
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	if (tap_failed)
		printf("# failed %d of %d\n", tap_failed, tap_run);
	return tap_failed ? 1 : 0;
}

#endif
