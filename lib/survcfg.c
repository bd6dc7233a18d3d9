/* survcfg.c — survey-send's settings: share/survey/survey.json and the
 * texts beside it (sms.txt, email.txt, call.txt). See survey.h. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crm.h"
#include "store.h"
#include "survey.h"

static const char *const step_names[ESC_STEP_N] = {
	"in_widget", "ai_call", "sms_link", "email_link",
};

const char *
esc_step_name(int step)
{
	return step >= 0 && step < ESC_STEP_N ? step_names[step] : "?";
}

int
esc_step_parse(const char *s)
{
	int i;

	for (i = 0; s && i < ESC_STEP_N; i++)
		if (!strcmp(s, step_names[i]))
			return i;
	return -1;
}

/* An optional duration member into *secs (left as it is when absent). */
static int
duration(const json_t *o, const char *key, const char *name, long *secs, struct esc_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100000000) {
		*secs = (long)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && esc_duration_parse(json_string_value(v), secs) == 0)
		return 0;
	esc_err_set(err, "%s: \"%s\" must be a duration (like \"5m\", \"2h\", \"7d\")", name, key);
	return -1;
}

static int
text(const char *rel, char **out, struct esc_err *err)
{
	size_t len;

	if (esc_share_read(rel, out, &len, err) < 0)
		return -1;
	if (!esc_utf8_valid(*out, len) || memchr(*out, '\0', len)) {
		esc_err_set(err, "%s: not UTF-8 text", rel);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int
load(struct esc_survey_cfg *c, json_t *j, const char *name, struct esc_err *err)
{
	json_t *v, *d, *h;
	size_t i;
	int s;

	d = json_object_get(j, "delays");
	if (d && !json_is_object(d)) {
		esc_err_set(err, "%s: \"delays\" must be an object of steps", name);
		return -1;
	}
	for (s = ESC_STEP_CALL; s < ESC_STEP_N; s++)
		if (duration(d, esc_step_name(s), name, &c->delay[s], err) < 0)
			return -1;
	if (duration(j, "token_ttl", name, &c->token_ttl, err) < 0 ||
	    duration(j, "throttle", name, &c->throttle, err) < 0 ||
	    duration(j, "claim_grace", name, &c->claim_grace, err) < 0 ||
	    duration(j, "retry_after", name, &c->retry_after, err) < 0)
		return -1;
	if (c->token_ttl <= 0) {
		esc_err_set(err, "%s: \"token_ttl\" must be longer than 0", name);
		return -1;
	}
	if ((v = json_object_get(j, "send_hours"))) {
		if (!json_is_array(v) || json_array_size(v) != 2 ||
		    esc_hhmm(json_string_value(json_array_get(v, 0)), &c->send_start) < 0 ||
		    esc_hhmm(json_string_value(json_array_get(v, 1)), &c->send_end) < 0) {
			esc_err_set(err, "%s: \"send_hours\" must be [\"HH:MM\", \"HH:MM\"]", name);
			return -1;
		}
	}
	if ((v = json_object_get(j, "quiet_steps"))) {
		if (!json_is_array(v)) {
			esc_err_set(err, "%s: \"quiet_steps\" must be a list of steps", name);
			return -1;
		}
		memset(c->quiet, 0, sizeof c->quiet);
		json_array_foreach(v, i, h) {
			s = esc_step_parse(json_string_value(h));
			if (s <= ESC_STEP_WIDGET) {
				esc_err_set(err, "%s: quiet_steps: \"%s\" is not ai_call, sms_link or "
					"email_link", name, json_is_string(h) ? json_string_value(h) : "?");
				return -1;
			}
			c->quiet[s] = 1;
		}
	}
	if ((v = json_object_get(j, "default_timezone"))) {
		if (!json_is_string(v) || !esc_tz_valid(json_string_value(v))) {
			esc_err_set(err, "%s: \"default_timezone\" is not a time zone of this system",
				name);
			return -1;
		}
		snprintf(c->default_tz, sizeof c->default_tz, "%s", json_string_value(v));
	}
	if ((v = json_object_get(j, "max_tries"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100) {
			esc_err_set(err, "%s: \"max_tries\" must be a number from 1 to 100", name);
			return -1;
		}
		c->max_tries = (int)json_integer_value(v);
	}
	if ((v = json_object_get(j, "similarity"))) {
		if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 1) {
			esc_err_set(err, "%s: \"similarity\" must be a number over 0 and at most 1",
				name);
			return -1;
		}
		c->similarity = json_number_value(v);
	}
	if ((h = json_object_get(j, "handover"))) {
		if (!json_is_object(h)) {
			esc_err_set(err, "%s: \"handover\" must be an object", name);
			return -1;
		}
		if ((v = json_object_get(h, "severity"))) {
			s = json_is_string(v) ? esc_severity_parse(json_string_value(v),
				json_string_length(v)) : -1;
			if (s < 0) {
				esc_err_set(err, "%s: handover.severity must be low, medium, high or "
					"critical", name);
				return -1;
			}
			c->handover_severity = s;
		}
		if (duration(h, "meeting_ttl", name, &c->meeting_ttl, err) < 0)
			return -1;
	}
	h = json_object_get(j, "service_hours");
	if (!json_is_object(h)) {
		esc_err_set(err, "%s: \"service_hours\" must be an object with timezone and hours",
			name);
		return -1;
	}
	return esc_hours_parse(&c->service, json_object_get(h, "hours"),
		json_object_get(h, "holidays"), json_string_value(json_object_get(h, "timezone")),
		name, err);
}

int
esc_survey_cfg_load(struct esc_survey_cfg *c, const char *file, struct esc_err *err)
{
	const char *name = file ? file : "survey/survey.json";
	json_error_t je;
	json_t *j;
	int rc;

	memset(c, 0, sizeof *c);
	c->delay[ESC_STEP_CALL] = 300;
	c->delay[ESC_STEP_SMS] = 7200;
	c->delay[ESC_STEP_EMAIL] = 3 * 86400;
	c->token_ttl = 7 * 86400;
	c->throttle = 30 * 86400;
	c->send_start = 8 * 60;
	c->send_end = 21 * 60;
	c->quiet[ESC_STEP_CALL] = c->quiet[ESC_STEP_SMS] = c->quiet[ESC_STEP_EMAIL] = 1;
	snprintf(c->default_tz, sizeof c->default_tz, "UTC");
	c->claim_grace = 900;
	c->max_tries = 5;
	c->retry_after = 600;
	c->similarity = 0.85;
	c->handover_severity = ESC_SEV_HIGH;
	c->meeting_ttl = 7 * 86400;
	if (file) {
		if (!(j = json_load_file(file, JSON_REJECT_DUPLICATES, &je))) {
			esc_err_set(err, "%s:%d: %s", file, je.line, je.text);
			err->code = ESC_EXIT_DATA;
			return -1;
		}
	} else if (!(j = esc_share_json("survey/survey.json", err))) {
		err->code = ESC_EXIT_DATA;
		return -1;
	}
	rc = json_is_object(j) ? load(c, j, name, err) : -1;
	if (!json_is_object(j))
		esc_err_set(err, "%s: not a JSON object", name);
	json_decref(j);
	if (rc == 0 && (text("survey/sms.txt", &c->sms_text, err) < 0 ||
	    text("survey/email.txt", &c->email_text, err) < 0 ||
	    text("survey/call.txt", &c->call_text, err) < 0))
		rc = -1;
	if (rc == 0 && strncmp(c->email_text, "Subject: ", 9) != 0) {
		esc_err_set(err, "survey/email.txt: the first line must be \"Subject: ...\"");
		rc = -1;
	}
	if (rc < 0) {
		err->code = ESC_EXIT_DATA;
		esc_survey_cfg_free(c);
	}
	return rc;
}

void
esc_survey_cfg_free(struct esc_survey_cfg *c)
{
	free(c->sms_text);
	free(c->email_text);
	free(c->call_text);
	c->sms_text = c->email_text = c->call_text = NULL;
}
