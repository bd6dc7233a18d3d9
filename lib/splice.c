/* splice.c — annotate a scanned line: every byte the tool does not own is
 * copied as it came, in order; the tool's own member is put last. */
#include <stdlib.h>
#include <string.h>

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

void
esc_splice(struct esc_buf *out, const struct esc_scan *s, const char *line,
	const char *obj, size_t objlen)
{
	size_t at = 0, from, to;
	int i;

	/* copy around each old member of ours: [from, to) is one with the comma
	 * before it; one with no other member before it has no comma of its
	 * own there, so take the one after */
	for (i = 0; i < s->own_count; i++) {
		from = s->own_start[i];
		to = s->own_end[i];
		if (s->own_lead[i]) {
			while (to < s->close && is_space(line[to]))
				to++;
			if (to < s->close && line[to] == ',')
				to++;
		}
		if (from > at)
			esc_buf_put(out, line + at, from - at);
		if (to > at)
			at = to;
	}
	esc_buf_put(out, line + at, s->close - at);
	put_own(out, s, s->members > 0, obj, objlen);
}
