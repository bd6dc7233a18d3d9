/* hours.h — local time in a named zone (hours.c): weekly open hours with
 * holidays (the SLA business clock, survey-send's service hours) and daily
 * windows (survey quiet hours).
 *
 * The zone's rules come from the system's tz database through localtime_r
 * and mktime, so daylight-saving changes fall where they really do. These
 * functions set TZ for the process (esc_zone_use) when the zone they are
 * given is not the one in force; esc's own times are all UTC (timegm-style
 * code and gmtime_r), so nothing else depends on it. */
#ifndef ESC_HOURS_H
#define ESC_HOURS_H

#include <time.h>

#include "esc.h"

struct json_t;

#define ESC_HOLIDAYS_MAX 512
#define ESC_TZ_MAX 128

/* Make tz (an IANA name) the zone localtime_r and mktime use; a no-op
 * when it already is. Returns 0, or -1 (nothing changed) when tz is not a
 * zone of the tz database (see esc_tz_valid). */
int esc_zone_use(const char *tz);

struct esc_hours {
	int open[7], close[7];        /* minutes after local midnight, Sunday first; open < 0: closed */
	int holidays[ESC_HOLIDAYS_MAX]; /* yyyymmdd, local dates */
	int nholidays;
	char tz[ESC_TZ_MAX];
};
/* Fill h from a JSON object of weekdays ({"mon": ["09:00", "17:00"], "sat":
 * null, ...}), an optional array of "YYYY-MM-DD" holidays and a zone name.
 * name is the file's name, for messages. Returns 0, or -1 with err. */
int esc_hours_parse(struct esc_hours *h, const struct json_t *hours,
	const struct json_t *holidays, const char *tz, const char *name, struct esc_err *err);
/* Is t inside open hours? */
int esc_hours_open(const struct esc_hours *h, time_t t);
/* t when it is inside open hours, else the next opening (within a year;
 * (time_t)-1 when there is none). */
time_t esc_hours_next(const struct esc_hours *h, time_t t);
/* The time secs of open hours after start (the SLA business clock). */
time_t esc_hours_add(const struct esc_hours *h, time_t start, long secs);

/* A daily window [start, end) in minutes after local midnight in zone tz
 * (end may be less than start: a window across midnight). Returns t when
 * t falls inside it, else the window's next start. (time_t)-1 when tz is
 * not a zone. The start is found with mktime, so on a day whose clocks
 * jump over it, the window opens at the first instant after the jump. */
time_t esc_window_next(time_t t, const char *tz, int start, int end);

/* "HH:MM" (00:00 to 24:00) to minutes. 0, or -1. */
int esc_hhmm(const char *s, int *minutes);

#endif
