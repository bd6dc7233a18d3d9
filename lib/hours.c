/* hours.c — local time in a named zone: weekly open hours with holidays,
 * and daily windows. See hours.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crm.h"
#include "hours.h"

/* how far ahead a search for open hours goes */
#define MAX_DAYS 1000

int
esc_zone_use(const char *tz)
{
	static char cur[ESC_TZ_MAX];

	if (!tz || !*tz || strlen(tz) >= sizeof cur)
		return -1;
	if (!strcmp(cur, tz))
		return 0;
	/* "UTC" and "Etc/UTC" are zone files too; glibc reads an unknown name
	 * as UTC without a word, so look for the file first */
	if (!esc_tz_valid(tz))
		return -1;
	if (setenv("TZ", tz, 1) < 0)
		return -1;
	tzset();
	snprintf(cur, sizeof cur, "%s", tz);
	return 0;
}

int
esc_hhmm(const char *s, int *minutes)
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
month_days(int y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : n[m - 1];
}

static int
parse_week(struct esc_hours *h, const json_t *hours, const char *name, struct esc_err *err)
{
	static const char *const days[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int i, any = 0;

	if (!json_is_object(hours)) {
		esc_err_set(err, "%s: \"hours\" must be an object of weekdays", name);
		return -1;
	}
	for (i = 0; i < 7; i++) {
		json_t *d = json_object_get(hours, days[i]);

		h->open[i] = h->close[i] = -1;
		if (!d || json_is_null(d))
			continue;
		if (!json_is_array(d) || json_array_size(d) != 2 ||
		    esc_hhmm(json_string_value(json_array_get(d, 0)), &h->open[i]) < 0 ||
		    esc_hhmm(json_string_value(json_array_get(d, 1)), &h->close[i]) < 0 ||
		    h->open[i] >= h->close[i]) {
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
parse_holidays(struct esc_hours *h, const json_t *hol, const char *name, struct esc_err *err)
{
	size_t i;
	json_t *d;

	h->nholidays = 0;
	if (!hol)
		return 0;
	if (!json_is_array(hol) || json_array_size(hol) > ESC_HOLIDAYS_MAX) {
		esc_err_set(err, "%s: \"holidays\" must be a list of dates (at most %d)", name,
			ESC_HOLIDAYS_MAX);
		return -1;
	}
	json_array_foreach(hol, i, d) {
		const char *s = json_string_value(d);
		int y, m, dd;
		char c;

		if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &dd, &c) != 3 || m < 1 || m > 12 ||
		    dd < 1 || dd > month_days(y, m)) {
			esc_err_set(err, "%s: holiday %zu is not a date YYYY-MM-DD", name, i + 1);
			return -1;
		}
		h->holidays[h->nholidays++] = y * 10000 + m * 100 + dd;
	}
	return 0;
}

int
esc_hours_parse(struct esc_hours *h, const json_t *hours, const json_t *holidays,
	const char *tz, const char *name, struct esc_err *err)
{
	if (!tz || !*tz || strlen(tz) >= sizeof h->tz) {
		esc_err_set(err, "%s: the business clock needs a \"timezone\" such as "
			"\"Europe/London\"", name);
		return -1;
	}
	if (!esc_tz_valid(tz)) {
		esc_err_set(err, "%s: unknown time zone \"%s\" (not in the tz database)", name, tz);
		return -1;
	}
	snprintf(h->tz, sizeof h->tz, "%s", tz);
	return parse_week(h, hours, name, err) < 0 ||
		parse_holidays(h, holidays, name, err) < 0 ? -1 : 0;
}

/* Local midnight of a date, plus minutes, in the zone in force; mktime
 * works out the offset then, across daylight-saving changes (a day past
 * the month's end rolls over). */
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
holiday(const struct esc_hours *h, int ymd)
{
	int i;

	for (i = 0; i < h->nholidays; i++)
		if (h->holidays[i] == ymd)
			return 1;
	return 0;
}

/* The open hours of the local day that holds t: 1 with [*open, *close),
 * 0 when the day is closed; *next is the next day's midnight. */
static int
day_hours(const struct esc_hours *h, time_t t, time_t *open, time_t *close, time_t *next)
{
	struct tm tm;
	int y, m, d;

	if (!localtime_r(&t, &tm))
		return -1;
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	d = tm.tm_mday;
	*next = local_at(y, m, d + 1, 0);
	if (*next <= t)       /* never go backwards, whatever the zone does */
		*next = t + 3600;
	if (h->open[tm.tm_wday] < 0 || holiday(h, y * 10000 + m * 100 + d))
		return 0;
	*open = local_at(y, m, d, h->open[tm.tm_wday]);
	*close = local_at(y, m, d, h->close[tm.tm_wday]);
	return 1;
}

time_t
esc_hours_next(const struct esc_hours *h, time_t t)
{
	time_t open, close, next;
	int day, r;

	if (esc_zone_use(h->tz) < 0)
		return (time_t)-1;
	for (day = 0; day < 370; day++) {
		if ((r = day_hours(h, t, &open, &close, &next)) < 0)
			return (time_t)-1;
		if (r && t < close)
			return t < open ? open : t;
		t = next;
	}
	return (time_t)-1;
}

int
esc_hours_open(const struct esc_hours *h, time_t t)
{
	return esc_hours_next(h, t) == t;
}

time_t
esc_hours_add(const struct esc_hours *h, time_t start, long secs)
{
	time_t t = start, open, close, next;
	long left = secs;
	int day, r;

	if (esc_zone_use(h->tz) < 0)
		return start + secs;
	for (day = 0; day < MAX_DAYS && left > 0; day++) {
		if ((r = day_hours(h, t, &open, &close, &next)) < 0)
			return start + secs;
		if (r) {
			if (t < open)
				t = open;
			if (t < close) {
				if (left <= close - t)
					return t + left;
				left -= (long)(close - t);
			}
		}
		t = next;
	}
	return t;
}

time_t
esc_window_next(time_t t, const char *tz, int start, int end)
{
	struct tm tm;
	time_t s, e, u = t;
	int day;

	if (esc_zone_use(tz) < 0)
		return (time_t)-1;
	if (start == end)
		return t;             /* a window all day long */
	for (day = 0; day < 3; day++) {
		if (!localtime_r(&u, &tm))
			return (time_t)-1;
		s = local_at(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, start);
		if (start < end) {
			e = local_at(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, end);
			if (t >= s && t < e)
				return t;
			if (t < s)
				return s;
		} else {
			/* across midnight: [start, 24:00) today and [00:00, end) */
			e = local_at(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, end);
			if (t < e || t >= s)
				return t;
			return s;
		}
		u = local_at(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 1, 0);
		if (u <= t)
			u = t + 3600;
	}
	return (time_t)-1;
}
