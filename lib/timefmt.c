/* timefmt.c — RFC 3339 timestamps in and out, and the clock tools consult. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esc.h"

static int now_set;
static time_t now_value;

static int
digits(const char *s, size_t n, int *v)
{
	int x = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): timegm() without touching TZ. */
long long
esc_days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
esc_time_parse(const char *s, size_t n, time_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	size_t i;

	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	i = 10;
	if (i < n) {
		if ((s[i] != 'T' && s[i] != 't' && s[i] != ' ') || n < i + 9 ||
		    digits(s + i + 1, 2, &h) || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &mi) || s[i + 6] != ':' ||
		    digits(s + i + 7, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		i += 9;
		if (i < n && s[i] == '.') {        /* fractions are accepted, dropped */
			size_t f = ++i;

			while (i < n && isdigit((unsigned char)s[i]))
				i++;
			if (i == f)
				return -1;         /* RFC 3339: a digit after the dot */
		}
		if (i == n) {
			/* no offset: UTC, as every time the tools read */
		} else if (s[i] == 'Z' || s[i] == 'z') {
			i++;
		} else if (s[i] == '+' || s[i] == '-') {
			sign = s[i] == '-' ? -1 : 1;
			if (n < i + 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
			    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			i += 6;
		} else {
			return -1;
		}
		if (i != n)
			return -1;
	}
	*t = (time_t)(esc_days_from_civil(y, mo, d) * 86400LL + h * 3600 + mi * 60 +
		(sec > 59 ? 59 : sec) - sign * (oh * 3600 + om * 60));
	return 0;
}

char *
esc_time_format(time_t t, char *buf, size_t n)
{
	struct tm tm;

	/* not strftime's %Y: RFC 3339 wants four digits for the year 0999 too */
	if (!gmtime_r(&t, &tm) || snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec) >= (int)n)
		snprintf(buf, n, "?");
	return buf;
}

int
esc_time_set_now(const char *s)
{
	time_t t;

	if (esc_time_parse(s, strlen(s), &t) < 0)
		return -1;
	now_value = t;
	now_set = 1;
	return 0;
}

time_t
esc_time_now(void)
{
	const char *e;

	if (!now_set && (e = getenv("ESC_NOW")) && *e && esc_time_set_now(e) == 0)
		return now_value;
	return now_set ? now_value : time(NULL);
}
