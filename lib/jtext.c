/* jtext.c — the JSON text of a jansson value, with every real in the
 * shortest form that reads back as the same double; and why jansson
 * refused a line, in the words every tool uses.
 *
 * json_dumps prints reals with "%.17g", so a value read as 8.15 is written
 * back as 8.1500000000000004: true to the double, not to what the person
 * wrote. A tool that keeps or echoes a value it read (crm-track's
 * metadata, a conversation's ids) uses this instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"

static void
put_real(struct esc_buf *b, double d)
{
	char tmp[32];
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	esc_buf_put(b, tmp, (size_t)n);
	/* still a real when read back, as jansson writes one: 1000.0 */
	if (!strpbrk(tmp, ".eE"))
		esc_buf_put(b, ".0", 2);
}

static void
put(struct esc_buf *b, const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;
	int first = 1;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		esc_buf_putc(b, '{');
		/* jansson keeps members in the order they were read */
		json_object_foreach((json_t *)j, key, v) {
			if (!first)
				esc_buf_putc(b, ',');
			first = 0;
			esc_buf_json_str(b, key, strlen(key));
			esc_buf_putc(b, ':');
			put(b, v);
		}
		esc_buf_putc(b, '}');
		break;
	case JSON_ARRAY:
		esc_buf_putc(b, '[');
		json_array_foreach(j, i, v) {
			if (i)
				esc_buf_putc(b, ',');
			put(b, v);
		}
		esc_buf_putc(b, ']');
		break;
	case JSON_STRING:
		esc_buf_json_str(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		esc_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		put_real(b, json_real_value(j));
		break;
	case JSON_TRUE:
		esc_buf_put(b, "true", 4);
		break;
	case JSON_FALSE:
		esc_buf_put(b, "false", 5);
		break;
	default:
		esc_buf_put(b, "null", 4);
		break;
	}
}

char *
esc_json_text(const struct json_t *j)
{
	struct esc_buf b = { 0 };
	int oom = esc_buf_oom;

	esc_buf_oom = 0;
	put(&b, j);
	esc_buf_putc(&b, '\0');
	if (esc_buf_oom) {
		esc_buf_free(&b);
		return NULL;   /* the caller reports it, as for json_dumps */
	}
	esc_buf_oom = oom;
	return b.p;
}

/* jansson calls valid JSON it cannot hold a syntax error ("too big
 * integer", "\\u0000 is not allowed without JSON_ALLOW_NUL"), so those
 * are said as what they are. */
void
esc_json_load_err(struct esc_err *err, const json_error_t *je)
{
	switch (json_error_code(je)) {
	case json_error_numeric_overflow:
		esc_err_set(err, "number at byte %d is too large for %s (%s)", je->position, esc_prog,
			strstr(je->text, "integer") ? "a whole number must fit in 64 bits" :
			"past the largest a double holds");
		break;
	case json_error_null_character:
	case json_error_null_byte_in_key:
		esc_err_set(err, "invalid JSON at byte %d: a \\u0000 in a string is not allowed",
			je->position);
		break;
	default:
		esc_err_set(err, "invalid JSON at byte %d: %s", je->position, je->text);
	}
}
