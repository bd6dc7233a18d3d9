/* sla.c — SLA targets per severity and the clock they run on.
 *
 * On the calendar clock a target of 4h falls due 4 hours later. On the
 * business clock only open hours count: the weekly hours of sla.json in
 * its time zone, less the holidays, counted by hours.c (which reads the
 * zone's rules from the system's tz database, so daylight-saving changes
 * fall where they really do). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hours.h"
#include "store.h"

struct esc_sla {
	int business;
	long target[ESC_SEV_N][2];
	long warning;
	struct esc_hours hours;  /* the business clock's open hours */
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

int
esc_duration_ms(const char *s, long *ms)
{
	size_t n = s ? strlen(s) : 0, i;
	long secs;

	if (n > 2 && n < 12 && !strcmp(s + n - 2, "ms")) {
		for (i = 0; i < n - 2 && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i < n - 2)
			return -1;
		*ms = strtol(s, NULL, 10);
		return 0;
	}
	if (esc_duration_parse(s, &secs) < 0 || secs > 86400L * 365)
		return -1;
	*ms = secs * 1000;   /* a year at most: no overflow */
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
		if (esc_hours_parse(&sla->hours, json_object_get(j, "hours"),
		    json_object_get(j, "holidays"),
		    json_string_value(json_object_get(j, "timezone")), name, err) < 0)
			goto bad;
		esc_zone_use(sla->hours.tz);
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

time_t
esc_sla_add(const struct esc_sla *sla, time_t start, long secs)
{
	return sla->business ? esc_hours_add(&sla->hours, start, secs) : start + secs;
}
