/* touches.c — how esc-log counts a human escalation's touches, and what
 * many touches do: share/esc/store/touches.json. The counting itself is
 * esc-log's (log.c), from the questions in the store. */
#include <string.h>

#include <jansson.h>

#include "store.h"

int
esc_touch_rules_load(struct esc_touch_rules *r, struct esc_err *err)
{
	static const char rel[] = "store/touches.json";
	json_t *j, *v;
	const char *s;

	if (!(j = esc_share_json(rel, err)))
		return -1;
	v = json_object_get(j, "window");
	if (!json_is_string(v) || esc_duration_parse(json_string_value(v), &r->window) < 0) {
		esc_err_set(err, "data file %s/%s: \"window\" must be a duration (like \"7d\")",
			esc_share_dir(), rel);
		goto bad;
	}
	v = json_object_get(j, "escalate_at");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000) {
		esc_err_set(err, "data file %s/%s: \"escalate_at\" must be a whole number of "
			"touches (0: never)", esc_share_dir(), rel);
		goto bad;
	}
	r->escalate_at = (int)json_integer_value(v);
	v = json_object_get(j, "escalate_to");
	s = json_string_value(v);
	if (!s || (r->escalate_to = esc_severity_parse(s, strlen(s))) < 0) {
		esc_err_set(err, "data file %s/%s: \"escalate_to\" must be low, medium, high or "
			"critical", esc_share_dir(), rel);
		goto bad;
	}
	json_decref(j);
	return 0;
bad:
	json_decref(j);
	return -1;
}
