/* test-time — RFC 3339 in (esc_time_parse) and out (esc_time_format),
 * and the clock (esc_time_set_now / esc_time_now). */
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "tap.h"

/* Parse s; *t is left at -12345 when parsing fails. */
static int
parse(const char *s, time_t *t)
{
	*t = -12345;
	return esc_time_parse(s, strlen(s), t);
}

static void
good(const char *s, long long want, const char *what)
{
	time_t t;
	int r = parse(s, &t);

	if (r != 0)
		is_int(r, 0, "%s: \"%s\" parses", what, s);
	else
		is_int((long long)t, want, "%s: \"%s\" is %lld", what, s, want);
}

static void
bad(const char *s, const char *what)
{
	time_t t;

	is_int(parse(s, &t), -1, "%s: \"%s\" is rejected", what, s);
}

static const char *
fmt(long long t)
{
	static char buf[64];

	return esc_time_format((time_t)t, buf, sizeof buf);
}

int
main(void)
{
	/* 2026-03-01T10:15:00Z */
	const long long T0 = 1772360100LL;
	static const char *const round[] = {
		"1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2024-02-29T12:00:00Z",
		"2026-03-01T10:15:00Z", "2026-12-31T23:59:59Z", "2038-01-19T03:14:08Z",
		"1969-12-31T23:59:59Z",
	};
	char buf[64];
	time_t t;
	size_t i;

	plan(56);

	/* UTC, offsets, fractions */
	good("2026-03-01T10:15:00Z", T0, "Z");
	good("2026-03-01t10:15:00z", T0, "lower-case t and z");
	good("2026-03-01 10:15:00Z", T0, "a space for the T (RFC 3339 allows it)");
	good("2026-03-01T10:15:00+00:00", T0, "+00:00");
	good("2026-03-01T10:15:00-00:00", T0, "-00:00");
	good("2026-03-01T15:45:00+05:30", T0, "+05:30 is 5 h 30 ahead");
	good("2026-03-01T02:15:00-08:00", T0, "-08:00 is 8 h behind");
	good("2026-03-02T00:15:00+14:00", T0, "+14:00 crosses midnight");
	good("2026-03-01T10:15:00.250Z", T0, "a fraction is dropped");
	good("2026-03-01T10:15:00.999999999Z", T0, "nine fraction digits, not rounded up");
	good("2026-03-01T11:15:00.5+01:00", T0, "a fraction before an offset");
	good("2026-03-01T10:15:60Z", T0 + 59, "a leap second is held at :59");
	good("1970-01-01T00:00:00Z", 0, "the epoch");
	good("1969-12-31T23:59:59Z", -1, "before the epoch");

	/* dates */
	good("2026-03-01", T0 - (10 * 3600 + 15 * 60), "a date alone is midnight UTC");
	good("2024-02-29", 1709164800LL, "leap day in a leap year");
	good("2000-02-29", 951782400LL, "leap day in a year divisible by 400");
	bad("2023-02-29", "leap day in a common year");
	bad("1900-02-29", "leap day in a century not divisible by 400");
	bad("2026-02-30", "February 30");
	bad("2026-04-31", "April 31");
	good("2026-01-31", 1769817600LL, "January 31");
	bad("2026-01-32", "day 32");
	bad("2026-01-00", "day 0");
	bad("2026-13-01", "month 13");
	bad("2026-00-01", "month 0");

	/* times */
	bad("2026-03-01T24:00:00Z", "hour 24");
	bad("2026-03-01T23:60:00Z", "minute 60");
	bad("2026-03-01T23:59:61Z", "second 61");
	good("2026-03-01T10:15:00", T0, "a time without an offset is UTC");
	good("2026-03-01 10:15:00.250", T0, "a fraction without an offset: UTC too");
	bad("2026-03-01T10:15Z", "no seconds");
	bad("2026-03-01T10:15:00+0530", "an offset without a colon");
	bad("2026-03-01T10:15:00+24:00", "offset hour 24");
	bad("2026-03-01T10:15:00+05:60", "offset minute 60");
	bad("2026-03-01T10:15:00Zjunk", "trailing text");
	bad("2026-3-1", "one-digit month and day");
	bad(" 2026-03-01", "a leading blank");
	bad("2026-03-01X", "a date with junk after it");
	bad("", "the empty string");
	bad("yesterday", "words");
	bad("2026-03-01T10:15:00.Z", "a dot without digits");

	/* the length given is the length used */
	is_int(esc_time_parse("2026-03-01T10:15:00Zjunk", 20, &t), 0, "a length stops the parse (20 bytes)");
	is_int((long long)t, T0, "... and gives the time of those 20 bytes");

	/* out, and round trips */
	is_str(fmt(T0), "2026-03-01T10:15:00Z", "esc_time_format: RFC 3339 in UTC");
	for (i = 0; i < sizeof round / sizeof round[0]; i++) {
		if (parse(round[i], &t) == 0)
			is_str(esc_time_format(t, buf, sizeof buf), round[i], "round trip: %s", round[i]);
		else
			ok(0, "round trip: %s does not parse", round[i]);
	}
	parse("2026-03-01T15:45:00+05:30", &t);
	is_str(fmt(t), "2026-03-01T10:15:00Z", "an offset comes back as UTC");

	/* the clock */
	is_int(esc_time_set_now("2026-03-01T10:15:00Z"), 0, "esc_time_set_now takes RFC 3339");
	is_int((long long)esc_time_now(), T0, "esc_time_now returns it");
	is_int(esc_time_set_now("soon"), -1, "esc_time_set_now rejects what does not parse");
	return done();
}
