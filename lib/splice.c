/* splice.c — annotate a scanned line: every byte the tool does not own is
 * copied as it came, in order; the tool's own member is put last. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"

static void
put_own(struct esc_buf *out, const struct esc_scan *s, int comma,
	const char *obj, size_t objlen)
{
	/* ,"key": was made once by esc_scan_init */
	esc_buf_put(out, s->ownkey + !comma, s->ownkeylen - !comma);
	esc_buf_put(out, obj, objlen);
	esc_buf_put(out, "}\n", 2);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A key given twice: rare enough to pay for a tree. jansson keeps the last
 * value of a repeated key and the order of first appearance. */
static int
splice_tree(struct esc_buf *out, const struct esc_scan *s, const char *line,
	size_t len, const char *obj, size_t objlen, struct esc_err *err)
{
	json_error_t je;
	json_t *j;
	char *text;
	size_t n;

	if (!(j = json_loadb(line, len, JSON_DECODE_ANY, &je)) || !json_is_object(j)) {
		esc_err_set(err, "invalid JSON: %s", j ? "not an object" : je.text);
		json_decref(j);
		return -1;
	}
	json_object_del(j, s->own);
	if (!(text = json_dumps(j, JSON_COMPACT))) {
		json_decref(j);
		esc_err_set(err, "out of memory");
		return -1;
	}
	n = strlen(text);
	esc_buf_put(out, text, n - 1);          /* all but the closing brace */
	put_own(out, s, json_object_size(j) > 0, obj, objlen);
	free(text);
	json_decref(j);
	return 0;
}

int
esc_splice(struct esc_buf *out, const struct esc_scan *s, const char *line,
	size_t len, const char *obj, size_t objlen, struct esc_err *err)
{
	size_t from, to;

	if (s->own_count == 0) {
		esc_buf_put(out, line, s->close);
		put_own(out, s, s->members > 0, obj, objlen);
		return 0;
	}
	if (s->own_count > 1)
		return splice_tree(out, s, line, len, obj, objlen, err);
	/* [from, to) is the old member with the comma before it; when it was
	 * the first member there is no comma before, so take the one after */
	from = s->own_start;
	to = s->own_end;
	if (from == s->open + 1) {
		while (to < s->close && is_space(line[to]))
			to++;
		if (to < s->close && line[to] == ',')
			to++;
	}
	esc_buf_put(out, line, from);
	esc_buf_put(out, line + to, s->close - to);
	put_own(out, s, s->members > 0, obj, objlen);
	return 0;
}
