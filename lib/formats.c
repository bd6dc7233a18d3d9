/* formats.c — conversation exports as they come (Intercom, Zendesk,
 * Chatwoot) turned into plain message records: the customer's messages
 * only, one record each, with the conversation, the author and the time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "score.h"

int
esc_format_parse(const char *name, enum esc_format *f)
{
	static const struct { const char *name; enum esc_format f; } tab[] = {
		{ "plain", ESC_FMT_PLAIN }, { "jsonl", ESC_FMT_PLAIN },
		{ "intercom", ESC_FMT_INTERCOM }, { "zendesk", ESC_FMT_ZENDESK },
		{ "chatwoot", ESC_FMT_CHATWOOT },
	};
	size_t i;

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(name, tab[i].name) == 0) {
			*f = tab[i].f;
			return 0;
		}
	return -1;
}

static const char *const source_names[] = { "plain", "intercom", "zendesk", "chatwoot" };

/* "&#8217;" or "&#x21;": append the character as UTF-8; returns the
 * entity's length, or 0 when it is not one. */
static size_t
numeric_entity(const char *h, struct esc_buf *b)
{
	unsigned long cp;
	char *end;
	int hex = h[2] == 'x' || h[2] == 'X';

	cp = strtoul(h + 2 + hex, &end, hex ? 16 : 10);
	if (end == h + 2 + hex || *end != ';' || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		esc_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		esc_buf_putc(b, (char)(0xc0 | (cp >> 6)));
		esc_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		esc_buf_putc(b, (char)(0xe0 | (cp >> 12)));
		esc_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		esc_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		esc_buf_putc(b, (char)(0xf0 | (cp >> 18)));
		esc_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		esc_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		esc_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
	return (size_t)(end - h) + 1;
}

/* Intercom bodies are HTML: keep the text, one space for each break. */
static char *
html_text(const char *h)
{
	static const struct { const char *ent; const char *txt; } ents[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
		{ "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " },
		{ "&ndash;", "-" }, { "&mdash;", "-" }, { "&hellip;", "..." },
		{ "&rsquo;", "'" }, { "&lsquo;", "'" }, { "&ldquo;", "\"" }, { "&rdquo;", "\"" },
	};
	struct esc_buf b = { 0 };
	size_t i, n;

	while (*h) {
		/* as in HTML, a tag opens with a letter, "/", "!" or "?" after the
		 * "<": "price < 5" is text, not a tag running to the next ">" */
		if (*h == '<' && (((h[1] | 0x20) >= 'a' && (h[1] | 0x20) <= 'z') ||
		    h[1] == '/' || h[1] == '!' || h[1] == '?')) {
			const char *e = strchr(h, '>');

			if (!e) {               /* not a tag after all: keep the text */
				esc_buf_puts(&b, h);
				break;
			}
			if (b.len && b.p[b.len - 1] != ' ')
				esc_buf_putc(&b, ' ');
			h = e + 1;
			continue;
		}
		if (*h == '&') {
			for (i = 0; i < sizeof ents / sizeof ents[0]; i++)
				if (strncmp(h, ents[i].ent, strlen(ents[i].ent)) == 0)
					break;
			if (i < sizeof ents / sizeof ents[0]) {
				esc_buf_puts(&b, ents[i].txt);
				h += strlen(ents[i].ent);
				continue;
			}
			if (h[1] == '#' && (n = numeric_entity(h, &b)) > 0) {
				h += n;
				continue;
			}
		}
		esc_buf_putc(&b, *h++);
	}
	while (b.len && b.p[b.len - 1] == ' ')
		b.len--;
	esc_buf_putc(&b, '\0');
	return b.p;
}

/* Unix seconds as RFC 3339, to the second. A number that is no time of
 * the years 0000 to 9999 (milliseconds, say) is kept as it came: written
 * as a time it would be "?" or a year of five digits, which no tool reads. */
static json_t *
time_value(json_t *t)
{
	char buf[32];
	double s;

	if (!t)
		return json_null();
	if (!json_is_number(t))
		return json_incref(t);
	s = floor(json_number_value(t));
	if (!(s >= -62167219200.0 && s <= 253402300799.0))
		return json_incref(t);
	return json_string(esc_time_format((time_t)s, buf, sizeof buf));
}

/* Is s a text worth scoring: not NULL, not empty, not all white space? */
static int
has_text(const char *s)
{
	if (!s)
		return 0;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' &&
		    *s != '\f' && *s != '\v')
			return 1;
	return 0;
}

/* Append one message record; text is stolen. A message with no text (an
 * attachment sent alone, a body of markup only) has nothing to score and
 * gives no record. Returns the number of records appended, 0 or 1. */
static int
emit(struct esc_buf *msgs, enum esc_format f, json_t *id, json_t *conv,
	json_t *user, json_t *at, char *text)
{
	json_t *o;
	char *s;

	if (!has_text(text)) {
		free(text);
		return 0;
	}
	o = json_object();
	json_object_set(o, "id", id ? id : json_null());
	json_object_set(o, "conversation_id", conv ? conv : json_null());
	json_object_set(o, "user_id", user ? user : json_null());
	json_object_set_new(o, "created_at", time_value(at));
	json_object_set_new(o, "source", json_string(source_names[f]));
	json_object_set_new(o, "role", json_string("customer"));
	json_object_set_new(o, "text", json_string(text));
	free(text);
	s = esc_json_text(o);
	json_decref(o);
	if (!s) {
		esc_buf_oom = 1;        /* the loop stops on it, as for a buffer */
		return 0;
	}
	esc_buf_puts(msgs, s);
	esc_buf_putc(msgs, '\n');
	free(s);
	return 1;
}

static int
is_customer(const char *type)
{
	return type && (!strcmp(type, "user") || !strcmp(type, "lead") ||
		!strcmp(type, "contact"));
}

static int
intercom(json_t *c, struct esc_buf *msgs)
{
	json_t *src = json_object_get(c, "source"), *parts, *p, *conv = json_object_get(c, "id");
	size_t i;
	int n = 0;

	if (json_is_object(src) && json_is_string(json_object_get(src, "body")) &&
	    is_customer(json_string_value(json_object_get(json_object_get(src, "author"), "type")))) {
		json_t *id = json_object_get(src, "id");

		n += emit(msgs, ESC_FMT_INTERCOM, id ? id : conv, conv,
			json_object_get(json_object_get(src, "author"), "id"),
			json_object_get(c, "created_at"),
			html_text(json_string_value(json_object_get(src, "body"))));
	}
	parts = json_object_get(json_object_get(c, "conversation_parts"), "conversation_parts");
	json_array_foreach(parts, i, p) {
		json_t *author = json_object_get(p, "author"), *ptj = json_object_get(p, "part_type");
		const char *pt = json_string_value(ptj);

		/* a part with no type (a hand-made export) is a comment; one with
		 * a type of another kind is not */
		if (!json_is_string(json_object_get(p, "body")) ||
		    !is_customer(json_string_value(json_object_get(author, "type"))) ||
		    (ptj && !json_is_null(ptj) && (!pt || (strcmp(pt, "comment") && strcmp(pt, "open")))))
			continue;
		n += emit(msgs, ESC_FMT_INTERCOM, json_object_get(p, "id"), conv,
			json_object_get(author, "id"), json_object_get(p, "created_at"),
			html_text(json_string_value(json_object_get(p, "body"))));
	}
	return n;
}

static int
zendesk(json_t *t, struct esc_buf *msgs)
{
	json_t *req = json_object_get(t, "requester_id"), *cm;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(t, "comments"), i, cm) {
		const char *body = json_string_value(json_object_get(cm, "plain_body"));

		if (!has_text(body))
			body = json_string_value(json_object_get(cm, "body"));
		if (!body || !json_equal(json_object_get(cm, "author_id"), req) ||
		    json_is_false(json_object_get(cm, "public")))
			continue;
		n += emit(msgs, ESC_FMT_ZENDESK, json_object_get(cm, "id"), json_object_get(t, "id"),
			req, json_object_get(cm, "created_at"), strdup(body));
	}
	return n;
}

static int
chatwoot(json_t *c, struct esc_buf *msgs)
{
	json_t *m, *contact = json_object_get(json_object_get(json_object_get(c, "meta"), "sender"), "id");
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(c, "messages"), i, m) {
		json_t *mt = json_object_get(m, "message_type"), *sender;
		int incoming = (json_is_integer(mt) && json_integer_value(mt) == 0) ||
			(json_is_string(mt) && !strcmp(json_string_value(mt), "incoming"));

		if (!incoming || !json_is_string(json_object_get(m, "content")) ||
		    json_is_true(json_object_get(m, "private")))
			continue;
		sender = json_object_get(json_object_get(m, "sender"), "id");
		n += emit(msgs, ESC_FMT_CHATWOOT, json_object_get(m, "id"), json_object_get(c, "id"),
			sender ? sender : contact, json_object_get(m, "created_at"),
			strdup(json_string_value(json_object_get(m, "content"))));
	}
	return n;
}

/* A line is one conversation, or a page of them as the APIs return it;
 * *where is the page's member, as jq would name it. */
static json_t *
page_items(enum esc_format f, json_t *j, const char **where)
{
	json_t *a = NULL;

	if (f == ESC_FMT_INTERCOM) {
		a = json_object_get(j, *where = "conversations");
	} else if (f == ESC_FMT_ZENDESK) {
		a = json_object_get(j, *where = "tickets");
	} else if (f == ESC_FMT_CHATWOOT) {
		if (!(a = json_object_get(j, *where = "payload"))) {
			a = json_object_get(json_object_get(j, "data"), "payload");
			*where = "data.payload";
		}
	}
	return json_is_array(a) ? a : NULL;
}

/* One conversation's messages. One that gives none is said so in warn,
 * by its id, so that it does not vanish from a page unnoticed; where is
 * the page's member holding it at index i, or NULL for a line of its own. */
static int
one(enum esc_format f, json_t *c, const char *where, size_t i, struct esc_buf *msgs,
	struct esc_buf *warn)
{
	json_t *id = json_object_get(c, "id");
	char *s = NULL;
	int n = 0;

	switch (f) {
	case ESC_FMT_INTERCOM: n = intercom(c, msgs); break;
	case ESC_FMT_ZENDESK: n = zendesk(c, msgs); break;
	case ESC_FMT_CHATWOOT: n = chatwoot(c, msgs); break;
	default: break;
	}
	if (n > 0)
		return n;
	/* the id as JSON: 103 and "103" are told apart, and it stays one line */
	if (json_is_string(id) || json_is_number(id)) {
		if (!(s = esc_json_text(id))) {
			esc_buf_oom = 1;
			return 0;
		}
		esc_buf_printf(warn, "no customer messages in conversation %s\n", s);
	} else if (where)
		esc_buf_printf(warn, "no customer messages in conversation .%s[%zu], "
			"which has no \"id\"\n", where, i);
	else
		esc_buf_puts(warn, "no customer messages in this conversation\n");
	free(s);
	return 0;
}

int
esc_format_messages(enum esc_format f, const char *line, size_t len,
	struct esc_buf *msgs, struct esc_buf *warn, struct esc_err *err)
{
	static const char *const shape[] = {
		NULL,
		"an Intercom conversation (\"conversation_parts\" or \"source\")",
		"a Zendesk ticket with \"comments\"",
		"a Chatwoot conversation with \"messages\"",
	};
	json_error_t je;
	json_t *j, *items, *c;
	const char *where = NULL;
	size_t i;
	int n = 0;

	if (!(j = json_loadb(line, len, 0, &je))) {
		esc_json_load_err(err, &je);
		return -1;
	}
	if ((items = page_items(f, j, &where))) {
		json_array_foreach(items, i, c)
			n += one(f, c, where, i, msgs, warn);
	} else if ((f == ESC_FMT_INTERCOM && (json_object_get(j, "conversation_parts") ||
			json_object_get(j, "source"))) ||
		   (f == ESC_FMT_ZENDESK && json_is_array(json_object_get(j, "comments"))) ||
		   (f == ESC_FMT_CHATWOOT && json_is_array(json_object_get(j, "messages")))) {
		n = one(f, j, NULL, 0, msgs, warn);
	} else {
		esc_err_set(err, "not %s", shape[f]);
		n = -1;
	}
	json_decref(j);
	return n;
}
