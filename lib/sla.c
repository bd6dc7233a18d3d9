/* sla.c — SLA targets per severity and the clock they run on.
 *
 * On the calendar clock a target of 4h falls due 4 hours later. On the
 * business clock only open hours count: the weekly hours of sla.json in
 * its time zone, less the holidays. The zone's rules come from the
 * system's tz database through localtime_r and mktime, so daylight-saving
 * changes fall where they really do. Loading a business-hours SLA sets TZ
 * for the process: esc's own times are all UTC (timegm-style code and
 * gmtime_r), so nothing else depends on it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "store.h"

#define MAX_HOLIDAYS 512
/* a target longer than this many days of search is a configuration error */
#define MAX_DAYS 1000

struct esc_sla {
	int business;
	long target[ESC_SEV_N][2];
	long warning;
	int open[7], close[7];   /* minutes after local midnight; open < 0: closed */
	int holidays[MAX_HOLIDAYS];   /* yyyymmdd, local dates */
	int nholidays;
	char tz[128];
};

int
esc_duration_parse(const char *s, long *secs)
{
	long total = 0, v;
	char *end;
	int parts = 0;

	if (!s || !*s)
		return -1;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		v = strtol(s, &end, 10);
		if (v < 0 || v > 100000000L)
			return -1;
		switch (*end) {
		case 'd': v *= 86400; end++; break;
		case 'h': v *= 3600; end++; break;
		case 'm': v *= 60; end++; break;
		case 's': end++; break;
		case '\0': if (parts) return -1; break;   /* a bare number: seconds */
		default: return -1;
		}
		total += v;
		if (total > 100000000L)
			return -1;
		s = end;
		parts++;
	}
	*secs = total;
	return 0;
}

static int
hhmm(const char *s, int *minutes)
{
	int h, m;
	char c;

	if (!s || sscanf(s, "%2d:%2d%c", &h, &m, &c) != 2 || h < 0 || m < 0 || m > 59 ||
	    h > 24 || (h == 24 && m))
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

static int
duration_value(json_t *v, long *secs)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*secs = (long)json_integer_value(v);
		return 0;
	}
	return json_is_string(v) ? esc_duration_parse(json_string_value(v), secs) : -1;
}

static int
load_hours(struct esc_sla *sla, json_t *hours, const char *name, struct esc_err *err)
{
	static const char *const days[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int i, any = 0;

	if (!json_is_object(hours)) {
		esc_err_set(err, "%s: \"hours\" must be an object of weekdays", name);
		return -1;
	}
	for (i = 0; i < 7; i++) {
		json_t *d = json_object_get(hours, days[i]);

		sla->open[i] = sla->close[i] = -1;
		if (!d || json_is_null(d))
			continue;
		if (!json_is_array(d) || json_array_size(d) != 2 ||
		    hhmm(json_string_value(json_array_get(d, 0)), &sla->open[i]) < 0 ||
		    hhmm(json_string_value(json_array_get(d, 1)), &sla->close[i]) < 0 ||
		    sla->open[i] >= sla->close[i]) {
			esc_err_set(err, "%s: hours.%s must be null or [\"HH:MM\", \"HH:MM\"], "
				"opening before closing", name, days[i]);
			return -1;
		}
		any = 1;
	}
	if (!any) {
		esc_err_set(err, "%s: the business clock needs open hours on some day", name);
		return -1;
	}
	return 0;
}

static int
month_days(int y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : n[m - 1];
}

/* Is tz a zone of the tz database? glibc takes an unknown name as UTC
 * without a word, so look for its file ($TZDIR, else the system's). */
static int
known_zone(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096];

	if (*tz == '/' || strstr(tz, ".."))
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	return access(path, R_OK) == 0;
}

static int
load_holidays(struct esc_sla *sla, json_t *hol, const char *name, struct esc_err *err)
{
	size_t i;
	json_t *h;

	if (!hol)
		return 0;
	if (!json_is_array(hol) || json_array_size(hol) > MAX_HOLIDAYS) {
		esc_err_set(err, "%s: \"holidays\" must be a list of dates (at most %d)", name,
			MAX_HOLIDAYS);
		return -1;
	}
	json_array_foreach(hol, i, h) {
		const char *s = json_string_value(h);
		int y, m, d;
		char c;

		if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &c) != 3 || m < 1 || m > 12 ||
		    d < 1 || d > month_days(y, m)) {
			esc_err_set(err, "%s: holiday %zu is not a date YYYY-MM-DD", name, i + 1);
			return -1;
		}
		sla->holidays[sla->nholidays++] = y * 10000 + m * 100 + d;
	}
	return 0;
}

struct esc_sla *
esc_sla_load(const char *file, struct esc_err *err)
{
	const char *name = file ? file : "sla.json";
	struct esc_sla *sla;
	json_t *j, *t, *clock;
	json_error_t je;
	int s;

	if (file) {
		if (!(j = json_load_file(file, JSON_REJECT_DUPLICATES, &je))) {
			esc_err_set(err, "%s:%d: %s", file, je.line, je.text);
			return NULL;
		}
	} else if (!(j = esc_share_json("store/sla.json", err))) {
		return NULL;
	}
	if (!(sla = calloc(1, sizeof *sla))) {
		json_decref(j);
		esc_err_set(err, "out of memory");
		return NULL;
	}
	clock = json_object_get(j, "clock");
	if (clock && (!json_is_string(clock) || (strcmp(json_string_value(clock), "calendar") &&
	    strcmp(json_string_value(clock), "business")))) {
		esc_err_set(err, "%s: \"clock\" must be \"calendar\" or \"business\"", name);
		goto bad;
	}
	sla->business = clock && !strcmp(json_string_value(clock), "business");
	t = json_object_get(j, "targets");
	for (s = 0; s < ESC_SEV_N; s++) {
		json_t *o = json_object_get(t, esc_severity_name(s));

		if (!json_is_object(o) ||
		    duration_value(json_object_get(o, "first_response"), &sla->target[s][0]) < 0 ||
		    duration_value(json_object_get(o, "resolution"), &sla->target[s][1]) < 0) {
			esc_err_set(err, "%s: targets.%s needs \"first_response\" and \"resolution\" "
				"durations (like \"15m\", \"4h\", \"2d\")", name, esc_severity_name(s));
			goto bad;
		}
	}
	sla->warning = 1800;
	if (json_object_get(j, "warning") &&
	    duration_value(json_object_get(j, "warning"), &sla->warning) < 0) {
		esc_err_set(err, "%s: \"warning\" must be a duration (like \"30m\")", name);
		goto bad;
	}
	if (sla->business) {
		const char *tz = json_string_value(json_object_get(j, "timezone"));

		if (!tz || !*tz || strlen(tz) >= sizeof sla->tz) {
			esc_err_set(err, "%s: the business clock needs a \"timezone\" such as "
				"\"Europe/London\"", name);
			goto bad;
		}
		snprintf(sla->tz, sizeof sla->tz, "%s", tz);
		if (!known_zone(tz)) {
			esc_err_set(err, "%s: unknown time zone \"%s\" (not in the tz database)",
				name, tz);
			goto bad;
		}
		if (load_hours(sla, json_object_get(j, "hours"), name, err) < 0 ||
		    load_holidays(sla, json_object_get(j, "holidays"), name, err) < 0)
			goto bad;
		setenv("TZ", sla->tz, 1);
		tzset();
	}
	json_decref(j);
	return sla;
bad:
	json_decref(j);
	free(sla);
	return NULL;
}

void
esc_sla_free(struct esc_sla *sla)
{
	free(sla);
}

long
esc_sla_target(const struct esc_sla *sla, int sev, enum esc_sla_kind kind)
{
	if (sev < 0 || sev >= ESC_SEV_N)
		sev = ESC_SEV_LOW;
	return sla->target[sev][kind == ESC_SLA_RESOLUTION];
}

long
esc_sla_warning(const struct esc_sla *sla)
{
	return sla->warning;
}

int
esc_sla_business(const struct esc_sla *sla)
{
	return sla->business;
}

/* Local midnight of a date, plus minutes; mktime works out the offset in
 * force then, across daylight-saving changes. */
static time_t
local_at(int y, int m, int d, int minutes)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = minutes / 60;
	tm.tm_min = minutes % 60;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static int
holiday(const struct esc_sla *sla, int ymd)
{
	int i;

	for (i = 0; i < sla->nholidays; i++)
		if (sla->holidays[i] == ymd)
			return 1;
	return 0;
}

time_t
esc_sla_add(const struct esc_sla *sla, time_t start, long secs)
{
	time_t t = start;
	long left = secs;
	int day;

	if (!sla->business)
		return start + secs;
	for (day = 0; day < MAX_DAYS && left > 0; day++) {
		struct tm tm;
		int y, m, d;

		if (!localtime_r(&t, &tm))
			return start + secs;
		y = tm.tm_year + 1900;
		m = tm.tm_mon + 1;
		d = tm.tm_mday;
		if (sla->open[tm.tm_wday] >= 0 && !holiday(sla, y * 10000 + m * 100 + d)) {
			time_t open = local_at(y, m, d, sla->open[tm.tm_wday]);
			time_t close = local_at(y, m, d, sla->close[tm.tm_wday]);

			if (t < open)
				t = open;
			if (t < close) {
				if (left <= close - t)
					return t + left;
				left -= (long)(close - t);
			}
		}
		t = local_at(y, m, d + 1, 0);
	}
	return t;
}
