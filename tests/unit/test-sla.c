/* test-sla — durations (esc_duration_parse), severities, the SLA file
 * (esc_sla_load and its errors) and the clock (esc_sla_add) on calendar
 * and business time: weekends, holidays, before opening and after closing,
 * targets longer than a day, and the daylight-saving changes of New York,
 * London and Sydney. Every expected time was worked out by hand from the
 * zone's rules and is written as RFC 3339 in UTC. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/test-sla.XXXXXX";

/* ---- helpers ---- */

static time_t
at(const char *s)
{
	time_t t;

	if (esc_time_parse(s, strlen(s), &t) < 0) {
		diag("bad time in the test: %s", s);
		return (time_t)-1;
	}
	return t;
}

static const char *
fmt(time_t t)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return esc_time_format(t, buf[i], sizeof buf[i]);
}

static void
dur_good(const char *s, long want)
{
	long secs = -12345;
	int r = esc_duration_parse(s, &secs);

	if (r != 0)
		is_int(r, 0, "duration \"%s\" parses", s);
	else
		is_int(secs, want, "duration \"%s\" is %ld s", s, want);
}

static void
dur_bad(const char *s, const char *why)
{
	long secs = -12345;

	is_int(esc_duration_parse(s, &secs), -1, "duration \"%s\" is rejected (%s)", s, why);
}

/* Write text to a file in the scratch directory; returns its path. */
static const char *
file(const char *name, const char *text)
{
	static char path[8][256];
	static int i;
	FILE *f;

	i = (i + 1) % 8;
	snprintf(path[i], sizeof path[i], "%s/%s", dir, name);
	if (!(f = fopen(path[i], "w")) || fputs(text, f) < 0 || fclose(f) != 0)
		diag("cannot write %s", path[i]);
	return path[i];
}

#define TARGETS \
	"\"targets\": {\"critical\": {\"first_response\": \"30m\", \"resolution\": \"4h\"}," \
	" \"high\": {\"first_response\": \"1h\", \"resolution\": \"8h\"}," \
	" \"medium\": {\"first_response\": \"2h\", \"resolution\": \"16h\"}," \
	" \"low\": {\"first_response\": 28800, \"resolution\": \"24h\"}}"
#define WEEKDAYS \
	"\"hours\": {\"mon\": [\"09:00\", \"17:00\"], \"tue\": [\"09:00\", \"17:00\"]," \
	" \"wed\": [\"09:00\", \"17:00\"], \"thu\": [\"09:00\", \"17:00\"]," \
	" \"fri\": [\"09:00\", \"17:00\"], \"sat\": null, \"sun\": null}"

/* A business SLA in zone tz with extra members (",..." or ""). */
static const char *
business(const char *name, const char *tz, const char *hours, const char *extra)
{
	static char text[4096];

	snprintf(text, sizeof text, "{\"clock\": \"business\", \"timezone\": \"%s\", %s, %s%s}\n",
		tz, hours, TARGETS, extra);
	return file(name, text);
}

/* load, expecting an error whose message contains want */
static void
load_bad(const char *name, const char *text, const char *want, const char *what)
{
	struct esc_err err = { 0 };
	const char *path = file(name, text);
	struct esc_sla *sla = esc_sla_load(path, &err);

	if (!ok(sla == NULL, "esc_sla_load refuses %s", what)) {
		esc_sla_free(sla);
		ok(0, "... naming the file and saying '%s'", want);
		return;
	}
	if (!ok(strstr(err.msg, want) != NULL && strncmp(err.msg, path, strlen(path)) == 0,
	    "... naming the file and saying '%s'", want))
		diag("message: %s", err.msg);
}

static struct esc_sla *
load(const char *path)
{
	struct esc_err err = { 0 };
	struct esc_sla *sla = esc_sla_load(path, &err);

	if (!sla)
		diag("esc_sla_load(%s): %s", path ? path : "(default)", err.msg);
	return sla;
}

static void
due(const struct esc_sla *sla, const char *start, long secs, const char *want, const char *what)
{
	if (!sla) {
		ok(0, "%s (no SLA loaded)", what);
		return;
	}
	is_str(fmt(esc_sla_add(sla, at(start), secs)), want, "%s", what);
}

int
main(int argc, char **argv)
{
	struct esc_sla *sla;
	struct esc_err err = { 0 };
	char share[4096];

	plan(132);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* the shipped sla.json: $ESC_SHARE, or share/esc of this tree */
	if (!getenv("ESC_SHARE") || !*getenv("ESC_SHARE")) {
		const char *slash = strrchr(argv[0], '/');
		int n = slash ? (int)(slash - argv[0]) : 1;

		snprintf(share, sizeof share, "%.*s/../../share/esc", n, slash ? argv[0] : ".");
		esc_share_set(share);
	}
	(void)argc;

	/* ---- durations ---- */
	dur_good("90s", 90);
	dur_good("15m", 900);
	dur_good("4h", 14400);
	dur_good("2d", 172800);
	dur_good("1h30m", 5400);
	dur_good("1d2h3m4s", 93784);
	dur_good("3600", 3600);
	dur_good("0", 0);
	dur_good("0s", 0);
	dur_good("30d", 2592000);
	dur_bad("", "empty");
	dur_bad("h", "a unit without a number");
	dur_bad("1x", "an unknown unit");
	dur_bad("-1h", "negative");
	dur_bad("+1h", "a sign");
	dur_bad("1h2", "a bare number after a unit");
	dur_bad("1.5h", "a fraction");
	dur_bad(" 1h", "a leading blank");
	dur_bad("1h ", "a trailing blank");
	dur_bad("1H", "an upper-case unit");
	dur_bad("99999999999999999999s", "too large for a long");
	dur_bad("5000d", "past the limit of 10^8 seconds");
	is_int(esc_duration_parse(NULL, &(long){ 0 }), -1, "duration NULL is rejected");

	/* ---- severities ---- */
	is_int(esc_severity_parse("low", 3), ESC_SEV_LOW, "severity low");
	is_int(esc_severity_parse("medium", 6), ESC_SEV_MEDIUM, "severity medium");
	is_int(esc_severity_parse("high", 4), ESC_SEV_HIGH, "severity high");
	is_int(esc_severity_parse("critical", 8), ESC_SEV_CRITICAL, "severity critical");
	is_int(esc_severity_parse("highest", 4), ESC_SEV_HIGH, "the length given is the length used");
	is_int(esc_severity_parse("High", 4), -1, "case matters: High");
	is_int(esc_severity_parse("urgent", 6), -1, "urgent is no severity");
	is_int(esc_severity_parse("", 0), -1, "the empty string is no severity");
	is_int(esc_severity_parse("hig", 3), -1, "a prefix is no severity");
	is_str(esc_severity_name(ESC_SEV_LOW), "low", "name of low");
	is_str(esc_severity_name(ESC_SEV_CRITICAL), "critical", "name of critical");
	is_str(esc_severity_name(ESC_SEV_N), "critical", "a number past the end is clamped to critical");
	is_str(esc_severity_name(-1), "low", "a negative number is clamped to low");

	/* ---- the shipped file ---- */
	sla = load(NULL);
	ok(sla != NULL, "the shipped store/sla.json loads");
	if (sla) {
		is_int(esc_sla_business(sla), 0, "... on the calendar clock");
		is_int(esc_sla_target(sla, ESC_SEV_CRITICAL, ESC_SLA_FIRST_RESPONSE), 900, "... critical first response 15m");
		is_int(esc_sla_target(sla, ESC_SEV_CRITICAL, ESC_SLA_RESOLUTION), 7200, "... critical resolution 2h");
		is_int(esc_sla_target(sla, ESC_SEV_HIGH, ESC_SLA_FIRST_RESPONSE), 3600, "... high first response 1h");
		is_int(esc_sla_target(sla, ESC_SEV_HIGH, ESC_SLA_RESOLUTION), 28800, "... high resolution 8h");
		is_int(esc_sla_target(sla, ESC_SEV_MEDIUM, ESC_SLA_FIRST_RESPONSE), 14400, "... medium first response 4h");
		is_int(esc_sla_target(sla, ESC_SEV_MEDIUM, ESC_SLA_RESOLUTION), 86400, "... medium resolution 24h");
		is_int(esc_sla_target(sla, ESC_SEV_LOW, ESC_SLA_FIRST_RESPONSE), 28800, "... low first response 8h");
		is_int(esc_sla_target(sla, ESC_SEV_LOW, ESC_SLA_RESOLUTION), 259200, "... low resolution 72h");
		is_int(esc_sla_target(sla, 17, ESC_SLA_RESOLUTION), 259200, "... an unknown severity counts as low");
		is_int(esc_sla_warning(sla), 1800, "... warning 30m");
		/* calendar: start + secs, weekends, nights and DST changes count */
		due(sla, "2026-03-07T23:00:00Z", 5400, "2026-03-08T00:30:00Z", "calendar: Saturday 23:00 + 1h30m");
		due(sla, "2026-03-08T06:30:00Z", 3600, "2026-03-08T07:30:00Z", "calendar: across the New York DST change, 1h is 1h");
		due(sla, "2026-03-13T20:30:00Z", 259200, "2026-03-16T20:30:00Z", "calendar: Friday + 72h is Monday, same time");
		esc_sla_free(sla);
	} else {
		ok(0, "the shipped sla.json: skipped %d", 14);
		for (int i = 0; i < 13; i++)
			ok(0, "the shipped sla.json did not load");
	}

	/* ---- errors ---- */
	{
		char p[300];

		snprintf(p, sizeof p, "%s/does-not-exist.json", dir);
		sla = esc_sla_load(p, &err);
		ok(sla == NULL && strstr(err.msg, p) == err.msg, "a file that does not exist: refused, named (%s)", err.msg);
		esc_sla_free(sla);
	}
	load_bad("broken.json", "{\"clock\": ", ":1:", "broken JSON");
	load_bad("dup.json", "{\"clock\": \"calendar\", \"clock\": \"business\", " TARGETS "}",
		"duplicate", "a key given twice");
	load_bad("clock.json", "{\"clock\": \"sundial\", " TARGETS "}",
		"\"clock\" must be \"calendar\" or \"business\"", "an unknown clock");
	load_bad("clock5.json", "{\"clock\": 5, " TARGETS "}",
		"\"clock\" must be \"calendar\" or \"business\"", "a clock that is a number");
	load_bad("notargets.json", "{\"clock\": \"calendar\"}", "targets.low needs", "no targets");
	load_bad("neg.json", "{\"targets\": {\"low\": {\"first_response\": \"8h\", \"resolution\": \"72h\"},"
		" \"medium\": {\"first_response\": \"4h\", \"resolution\": \"24h\"},"
		" \"high\": {\"first_response\": \"-1h\", \"resolution\": \"8h\"},"
		" \"critical\": {\"first_response\": \"15m\", \"resolution\": \"2h\"}}}",
		"targets.high needs \"first_response\" and \"resolution\"", "a negative target");
	load_bad("nores.json", "{\"targets\": {\"low\": {\"first_response\": \"8h\", \"resolution\": \"72h\"},"
		" \"medium\": {\"first_response\": \"4h\", \"resolution\": \"24h\"},"
		" \"high\": {\"first_response\": \"1h\", \"resolution\": \"8h\"},"
		" \"critical\": {\"first_response\": \"15m\"}}}",
		"targets.critical needs", "a severity without a resolution target");
	load_bad("negint.json", "{\"targets\": {\"low\": {\"first_response\": -5, \"resolution\": \"72h\"},"
		" \"medium\": {\"first_response\": \"4h\", \"resolution\": \"24h\"},"
		" \"high\": {\"first_response\": \"1h\", \"resolution\": \"8h\"},"
		" \"critical\": {\"first_response\": \"15m\", \"resolution\": \"2h\"}}}",
		"targets.low needs", "a negative number of seconds");
	load_bad("warning.json", "{" TARGETS ", \"warning\": \"soon\"}", "\"warning\" must be a duration",
		"a warning that is not a duration");
	load_bad("notz.json", "{\"clock\": \"business\", " WEEKDAYS ", " TARGETS "}",
		"the business clock needs a \"timezone\"", "a business clock without a timezone");
	load_bad("hoursarr.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", \"hours\": [], " TARGETS "}",
		"\"hours\" must be an object of weekdays", "hours that are not an object");
	load_bad("closed.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", \"hours\": {\"mon\": null}, " TARGETS "}",
		"needs open hours on some day", "a business clock never open");
	load_bad("backwards.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", \"hours\": {\"mon\": [\"17:00\", \"09:00\"]}, " TARGETS "}",
		"hours.mon must be null or [\"HH:MM\", \"HH:MM\"], opening before closing", "closing before opening");
	load_bad("one.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", \"hours\": {\"tue\": [\"09:00\"]}, " TARGETS "}",
		"hours.tue must be null", "one time for a day");
	load_bad("h25.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", \"hours\": {\"wed\": [\"09:00\", \"25:00\"]}, " TARGETS "}",
		"hours.wed must be null", "hour 25");
	load_bad("hol.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", " WEEKDAYS ", \"holidays\": [\"2026-01-01\", \"March 16\"], " TARGETS "}",
		"holiday 2 is not a date YYYY-MM-DD", "a holiday that is not a date");
	load_bad("holobj.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", " WEEKDAYS ", \"holidays\": \"2026-01-01\", " TARGETS "}",
		"\"holidays\" must be a list of dates", "holidays that are not a list");
	load_bad("mars.json", "{\"clock\": \"business\", \"timezone\": \"Mars/Olympus_Mons\", " WEEKDAYS ", " TARGETS "}",
		"Mars/Olympus_Mons", "a time zone the system does not know");
	load_bad("feb30.json", "{\"clock\": \"business\", \"timezone\": \"UTC\", " WEEKDAYS ", \"holidays\": [\"2026-02-30\"], " TARGETS "}",
		"holiday 1 is not a date", "a holiday on February 30");

	/* ---- what a file may leave out ---- */
	sla = load(file("min.json", "{" TARGETS "}"));
	ok(sla && !esc_sla_business(sla) && esc_sla_warning(sla) == 1800 &&
		esc_sla_target(sla, ESC_SEV_LOW, ESC_SLA_FIRST_RESPONSE) == 28800,
		"no clock: calendar; no warning: 30m; a target in plain seconds");
	esc_sla_free(sla);
	sla = load(file("warn.json", "{" TARGETS ", \"warning\": \"45m\"}"));
	ok(sla && esc_sla_warning(sla) == 2700, "warning 45m");
	esc_sla_free(sla);

	/* ---- business hours, America/New_York, 09:00-17:00 Monday to Friday ---- */
	sla = load(business("ny.json", "America/New_York", WEEKDAYS, ""));
	ok(sla && esc_sla_business(sla), "a business clock in America/New_York loads");
	due(sla, "2026-03-13T20:30:00Z", 3600, "2026-03-16T13:30:00Z",
		"Friday 16:30 EDT + 1h: Monday 09:30 EDT");
	due(sla, "2026-03-13T20:30:00Z", 28800, "2026-03-16T20:30:00Z",
		"Friday 16:30 EDT + 8h: Monday 16:30 EDT");
	due(sla, "2026-03-06T21:00:00Z", 7200, "2026-03-09T14:00:00Z",
		"spring forward: Friday 2026-03-06 16:00 EST + 2h is Monday 10:00 EDT = 14:00Z");
	due(sla, "2026-03-06T21:00:00Z", 57600, "2026-03-10T20:00:00Z",
		"spring forward: Friday 16:00 EST + 16h is Tuesday 16:00 EDT");
	due(sla, "2026-10-30T20:00:00Z", 7200, "2026-11-02T15:00:00Z",
		"fall back: Friday 2026-10-30 16:00 EDT + 2h is Monday 10:00 EST = 15:00Z");
	due(sla, "2026-03-08T06:30:00Z", 3600, "2026-03-09T14:00:00Z",
		"Sunday 2026-03-08 01:30 EST, the day of the change: Monday 10:00 EDT");
	due(sla, "2026-11-01T05:30:00Z", 3600, "2026-11-02T15:00:00Z",
		"Sunday 2026-11-01 01:30 EDT, the hour that comes twice: Monday 10:00 EST");
	due(sla, "2026-03-17T11:00:00Z", 1800, "2026-03-17T13:30:00Z",
		"07:00 EDT, before opening: the clock starts at 09:00");
	due(sla, "2026-03-17T13:00:00Z", 1800, "2026-03-17T13:30:00Z", "09:00 EDT, at opening");
	due(sla, "2026-03-17T22:00:00Z", 1800, "2026-03-18T13:30:00Z",
		"18:00 EDT, after closing: the next morning 09:30");
	due(sla, "2026-03-17T21:00:00Z", 60, "2026-03-18T13:01:00Z",
		"17:00 EDT, at closing: 1m is the next morning 09:01");
	due(sla, "2026-03-17T20:00:00Z", 3600, "2026-03-17T21:00:00Z",
		"16:00 EDT + 1h: due at closing the same day, 17:00");
	due(sla, "2026-03-18T03:30:00Z", 600, "2026-03-18T13:10:00Z",
		"23:30 EDT (03:30Z the next day, by UTC): the next local morning");
	due(sla, "2026-03-14T12:00:00Z", 3600, "2026-03-16T14:00:00Z", "Saturday: Monday 10:00 EDT");
	due(sla, "2026-03-15T23:00:00Z", 3600, "2026-03-16T14:00:00Z", "Sunday 19:00 EDT: Monday 10:00 EDT");
	due(sla, "2026-03-16T13:00:00Z", 36000, "2026-03-17T15:00:00Z",
		"Monday 09:00 + 10h (longer than a day of hours): Tuesday 11:00 EDT");
	due(sla, "2026-03-16T13:00:00Z", 86400, "2026-03-18T21:00:00Z",
		"Monday 09:00 + 24h: three days of 8 open hours, Wednesday 17:00 EDT");
	due(sla, "2026-03-13T13:00:00Z", 144000, "2026-03-19T21:00:00Z",
		"Friday 09:00 + 40h: five open days, over a weekend, Thursday 17:00 EDT");
	due(sla, "2026-03-13T20:30:00Z", 0, "2026-03-13T20:30:00Z", "a target of 0: due at once");
	esc_sla_free(sla);

	/* a holiday on the Monday; the shipped holidays (Friday 2026-07-03) */
	sla = load(business("nyhol.json", "America/New_York", WEEKDAYS,
		", \"holidays\": [\"2026-03-16\", \"2026-07-03\", \"2026-12-25\"]"));
	due(sla, "2026-03-13T20:30:00Z", 3600, "2026-03-17T13:30:00Z",
		"holiday Monday 2026-03-16: Friday 16:30 + 1h is Tuesday 09:30 EDT");
	due(sla, "2026-03-13T20:30:00Z", 14400, "2026-03-17T16:30:00Z",
		"holiday Monday: Friday 16:30 + 4h is Tuesday 12:30 EDT");
	due(sla, "2026-03-16T14:00:00Z", 3600, "2026-03-17T14:00:00Z",
		"created on the holiday itself: the next open day, 10:00");
	due(sla, "2026-07-02T20:30:00Z", 3600, "2026-07-06T13:30:00Z",
		"Thursday 2026-07-02 16:30 + 1h, Friday a holiday: Monday 09:30 EDT");
	due(sla, "2026-12-24T21:30:00Z", 3600, "2026-12-28T14:30:00Z",
		"Thursday 2026-12-24 16:30 EST + 1h, Friday a holiday: Monday 09:30 EST");
	/* a holiday is a local date: 2026-03-16 00:30 EDT is still 03-16 04:30Z */
	due(sla, "2026-03-16T03:30:00Z", 60, "2026-03-17T13:01:00Z",
		"Monday 03:30Z is Sunday 23:30 EDT: the local date decides (Sunday, then the holiday Monday)");
	esc_sla_free(sla);

	/* open on Saturday mornings, and round the clock on weekdays */
	sla = load(business("sat.json", "America/New_York",
		"\"hours\": {\"fri\": [\"09:00\", \"17:00\"], \"sat\": [\"10:00\", \"14:00\"]}", ""));
	due(sla, "2026-03-13T20:30:00Z", 3600, "2026-03-14T14:30:00Z",
		"open Saturday 10:00-14:00: Friday 16:30 + 1h is Saturday 10:30 EDT");
	due(sla, "2026-03-13T20:30:00Z", 18000, "2026-03-20T13:30:00Z",
		"Friday 16:30 + 5h, only Fridays and Saturdays open: the next Friday 09:30");
	esc_sla_free(sla);
	sla = load(business("allday.json", "America/New_York",
		"\"hours\": {\"mon\": [\"00:00\", \"24:00\"], \"tue\": [\"00:00\", \"24:00\"], \"wed\": [\"00:00\", \"24:00\"],"
		" \"thu\": [\"00:00\", \"24:00\"], \"fri\": [\"00:00\", \"24:00\"]}", ""));
	due(sla, "2026-03-14T03:00:00Z", 7200, "2026-03-16T05:00:00Z",
		"00:00-24:00 weekdays: Friday 23:00 EDT + 2h is Monday 01:00 EDT");
	due(sla, "2026-03-10T12:00:00Z", 86400, "2026-03-11T12:00:00Z",
		"00:00-24:00 weekdays: Tuesday + 24h is Wednesday, same time");
	esc_sla_free(sla);

	/* ---- other zones ---- */
	sla = load(business("london.json", "Europe/London", WEEKDAYS, ""));
	due(sla, "2026-03-27T16:00:00Z", 7200, "2026-03-30T09:00:00Z",
		"Europe/London: Friday 2026-03-27 16:00 GMT + 2h is Monday 10:00 BST = 09:00Z");
	due(sla, "2026-10-23T15:00:00Z", 7200, "2026-10-26T10:00:00Z",
		"Europe/London: Friday 2026-10-23 16:00 BST + 2h is Monday 10:00 GMT = 10:00Z");
	due(sla, "2026-03-09T13:00:00Z", 3600, "2026-03-09T14:00:00Z",
		"Europe/London on 2026-03-09 (New York already on EDT): 13:00 GMT + 1h is 14:00Z");
	esc_sla_free(sla);
	sla = load(business("kolkata.json", "Asia/Kolkata", WEEKDAYS, ""));
	due(sla, "2026-03-04T11:00:00Z", 3600, "2026-03-05T04:00:00Z",
		"Asia/Kolkata (+05:30): Wednesday 16:30 IST + 1h is Thursday 09:30 IST = 04:00Z");
	due(sla, "2026-03-04T11:00:00Z", 28800, "2026-03-05T11:00:00Z",
		"Asia/Kolkata: Wednesday 16:30 IST + 8h is Thursday 16:30 IST");
	esc_sla_free(sla);
	sla = load(business("sydney.json", "Australia/Sydney", WEEKDAYS, ""));
	due(sla, "2026-04-03T05:00:00Z", 7200, "2026-04-06T00:00:00Z",
		"Australia/Sydney, autumn change 2026-04-05: Friday 16:00 AEDT + 2h is Monday 10:00 AEST = 00:00Z");
	due(sla, "2026-10-02T06:00:00Z", 7200, "2026-10-04T23:00:00Z",
		"Australia/Sydney, spring change 2026-10-04: Friday 16:00 AEST + 2h is Monday 10:00 AEDT = Sunday 23:00Z");
	esc_sla_free(sla);
	sla = load(business("utc.json", "UTC", WEEKDAYS, ""));
	due(sla, "2026-03-13T16:30:00Z", 3600, "2026-03-16T09:30:00Z", "UTC: Friday 16:30 + 1h is Monday 09:30");
	esc_sla_free(sla);

	/* ---- a calendar SLA after a business one: the clock ignores the zone ---- */
	sla = load(file("cal.json", "{\"clock\": \"calendar\", \"timezone\": \"Asia/Kolkata\", " WEEKDAYS ", " TARGETS "}"));
	ok(sla && !esc_sla_business(sla), "clock calendar with hours and a zone: still the calendar");
	due(sla, "2026-03-14T12:00:00Z", 3600, "2026-03-14T13:00:00Z", "... Saturday + 1h is Saturday + 1h");
	esc_sla_free(sla);

	{
		char cmd[400];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cannot remove %s", dir);
	}
	return done();
}
