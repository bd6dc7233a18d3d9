/* scan.c — validate a JSON line and report the values a tool asks about,
 * in one streaming pass with yajl; no tree is built. It also notes where
 * the tool's own top-level member sits, so esc_splice can annotate the
 * line without re-serialising what the tool does not own. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "esc.h"
#include "fastjson.h"

static size_t
consumed(struct esc_scan *s)
{
	return yajl_get_bytes_consumed((yajl_handle)s->h);
}

/* A value at depth d has ended (a scalar, or a container's closing bracket). */
static void
value_end(struct esc_scan *s)
{
	if (s->depth == 1) {
		s->prev_end = consumed(s);
		if (s->in_own) {
			s->own_end[s->own_count - 1] = s->prev_end;
			s->in_own = 0;
		}
	}
}

static int
report(struct esc_scan *s, enum esc_jtype t, const char *v, size_t n)
{
	int r = 0;

	if (s->fn && s->path.depth > 0 && s->depth <= ESC_JPATH_MAX)
		r = s->fn(s->ctx, &s->path, t, v, n, s->err);
	return r ? 0 : 1;   /* yajl: 0 cancels the parse */
}

/* A second value on the line: the handle accepts several values so it can
 * be reused from line to line, and this is where one line gets only one. */
static int
top_value(struct esc_scan *s, int object)
{
	if (s->done)    /* a value ended by the end of the line is found in the final flush */
		esc_err_set(s->err, "invalid JSON at byte %zu: trailing garbage",
			consumed(s) ? consumed(s) : s->len);
	else if (!object)
		esc_err_set(s->err, "not a JSON object");
	return s->done || !object ? 0 : 1;
}

static int
scalar(struct esc_scan *s, enum esc_jtype t, const char *v, size_t n)
{
	int ok;

	if (s->depth == 0)
		return top_value(s, 0);
	ok = report(s, t, v, n);
	value_end(s);
	return ok;
}

static int cb_null(void *c) { return scalar(c, ESC_J_NULL, NULL, 0); }
static int cb_bool(void *c, int b) { return scalar(c, b ? ESC_J_TRUE : ESC_J_FALSE, NULL, 0); }
static int cb_number(void *c, const char *v, size_t n) { return scalar(c, ESC_J_NUMBER, v, n); }
/* yajl lets overlong forms, surrogates and code points past U+10FFFF
 * through; a string with any byte above 0x7f gets the full check. */
static int
utf8_ok(struct esc_scan *s, const unsigned char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] >= 0x80)
			break;
	if (i == n || esc_utf8_valid((const char *)v + i, n - i))
		return 1;
	esc_err_set(s->err, "invalid JSON at byte %zu: invalid UTF-8 (or an unpaired surrogate) in a string",
		consumed(s));
	return 0;
}

static int cb_string(void *c, const unsigned char *v, size_t n)
{
	if (!utf8_ok(c, v, n))
		return 0;
	return scalar(c, ESC_J_STRING, (const char *)v, n);
}

static int
start(struct esc_scan *s, enum esc_jtype t)
{
	if (s->depth == 0) {
		if (!top_value(s, t == ESC_J_OBJECT))
			return 0;
		s->prev_end = consumed(s);
		s->depth = 1;
		return 1;
	}
	if (!report(s, t, NULL, 0))
		return 0;
	s->depth++;
	if (s->depth <= ESC_JPATH_MAX && t == ESC_J_ARRAY) {
		/* elements of this array sit one level down, marked len -1 */
		s->path.k[s->depth - 1].len = -1;
		s->path.depth = s->depth;
	}
	return 1;
}

static int cb_start_map(void *c) { return start(c, ESC_J_OBJECT); }
static int cb_start_array(void *c) { return start(c, ESC_J_ARRAY); }

static int
end(void *c)
{
	struct esc_scan *s = c;

	s->depth--;
	if (s->depth == 0) {
		s->close = consumed(s) - 1;
		s->done = 1;
		return 1;
	}
	/* back to the container's own place: its key, or its element marker */
	if (s->depth <= ESC_JPATH_MAX)
		s->path.depth = s->depth;
	value_end(s);
	return 1;
}

static int
cb_key(void *c, const unsigned char *k, size_t n)
{
	struct esc_scan *s = c;
	int d = s->depth;

	if (!utf8_ok(s, k, n))
		return 0;

	if (d <= ESC_JPATH_MAX) {
		if (n < ESC_JKEY_MAX) {
			memcpy(s->path.k[d - 1].key, k, n);
			s->path.k[d - 1].key[n] = '\0';
			s->path.k[d - 1].len = (int)n;
		} else {
			s->path.k[d - 1].len = -2;
		}
		s->path.depth = d;
	}
	if (d == 1) {
		if ((s->own && n == s->ownlen && memcmp(k, s->own, n) == 0) ||
		    (s->also && n == strlen(s->also) && memcmp(k, s->also, n) == 0)) {
			if (s->own_count == ESC_OWN_MAX) {
				esc_err_set(s->err, "key \"%.*s\" given more than %d times", (int)n,
					(const char *)k, ESC_OWN_MAX);
				return 0;
			}
			s->own_lead[s->own_count] = s->members == 0;
			s->own_start[s->own_count++] = s->prev_end;
			s->in_own = 1;
		} else {
			s->members++;
		}
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, end, cb_start_array, end,
};

static int
fresh_handle(struct esc_scan *s)
{
	if (s->h)
		yajl_free((yajl_handle)s->h);
	if (!(s->h = yajl_alloc(&callbacks, NULL, s)))
		return -1;
	yajl_config((yajl_handle)s->h, yajl_allow_multiple_values, 1);
	return 0;
}

int
esc_scan_init(struct esc_scan *s, const char *own_key)
{
	struct esc_buf b = { 0 };

	memset(s, 0, sizeof *s);
	s->own = own_key;
	s->ownlen = own_key ? strlen(own_key) : 0;
	if (own_key) {
		esc_buf_putc(&b, ',');
		esc_buf_json_str(&b, own_key, s->ownlen);
		esc_buf_putc(&b, ':');
		if (esc_buf_oom)
			return -1;
		s->ownkey = b.p;
		s->ownkeylen = b.len;
	}
	return 0;
}

void
esc_scan_free(struct esc_scan *s)
{
	if (s->h)
		yajl_free((yajl_handle)s->h);
	s->h = NULL;
	free(s->ownkey);
	s->ownkey = NULL;
	esc_fast_free(s->fast);
	s->fast = NULL;
}

/* ESC_JSON_FAST=0 turns the fast path off: every line then takes the
 * streaming scanner, which must give the same output and the same errors
 * (the tests compare the two). */
static int
fast_on(void)
{
	static int on = -1;

	if (on < 0) {
		const char *e = getenv("ESC_JSON_FAST");

		on = !(e && strcmp(e, "0") == 0);
	}
	return on;
}

/* A double's text for fn: one that reads back as the same number. Most are
 * short ("-0.1432", as esc writes them), and printf's "%.17g" is slow. */
static int
num_text(char *buf, double d)
{
	char tmp[ESC_NUM_MAX + 1];
	int n = esc_num_fmt(tmp, d);

	tmp[n] = '\0';
	if (n < ESC_SCAN_NUM && !(d == 0 && signbit(d)) && strtod(tmp, NULL) == d) {
		memcpy(buf, tmp, (size_t)n + 1);
		return n;
	}
	return snprintf(buf, ESC_SCAN_NUM, "%.17g", d);
}

/* The fast path: simdjson has accepted the line; hand its values to fn as
 * the streaming path would, the top object's members (top_only) or every
 * value down to ESC_JPATH_MAX levels (deep). 1: done (0 or -1 in *rc); 0:
 * the line holds the tool's own key, whose place only the streaming path
 * finds. */
static int
fast_members(struct esc_scan *s, const char *line, size_t len,
	const struct esc_fast_member *m, size_t count, int *rc)
{
	static const enum esc_jtype jt[] = {
		[ESC_FAST_NULL] = ESC_J_NULL, [ESC_FAST_FALSE] = ESC_J_FALSE,
		[ESC_FAST_TRUE] = ESC_J_TRUE, [ESC_FAST_INT] = ESC_J_NUMBER,
		[ESC_FAST_UINT] = ESC_J_NUMBER, [ESC_FAST_DOUBLE] = ESC_J_NUMBER,
		[ESC_FAST_STRING] = ESC_J_STRING, [ESC_FAST_OBJECT] = ESC_J_OBJECT,
		[ESC_FAST_ARRAY] = ESC_J_ARRAY,
	};
	size_t i, close = len;
	int members = 0;

	for (i = 0; i < count; i++) {
		if (m[i].depth != 1)
			continue;
		if ((s->own && m[i].klen == s->ownlen && memcmp(m[i].key, s->own, s->ownlen) == 0) ||
		    (s->also && m[i].klen == strlen(s->also) && memcmp(m[i].key, s->also, m[i].klen) == 0))
			return 0;
		members++;
	}
	*rc = 0;
	for (i = 0; i < count && s->fn; i++) {
		int d = m[i].depth - 1, w;
		const char *v = NULL;
		size_t n = 0;

		if (!m[i].key) {
			s->path.k[d].len = -1;          /* an array element */
		} else if (m[i].klen < ESC_JKEY_MAX) {
			memcpy(s->path.k[d].key, m[i].key, m[i].klen);
			s->path.k[d].key[m[i].klen] = '\0';
			s->path.k[d].len = (int)m[i].klen;
		} else {
			s->path.k[d].len = -2;
		}
		s->path.depth = m[i].depth;
		switch (m[i].t) {
		case ESC_FAST_STRING:
			v = m[i].s;
			n = m[i].n;
			break;
		case ESC_FAST_INT:
			w = snprintf(s->num, sizeof s->num, "%lld", m[i].i);
			v = s->num, n = (size_t)w;
			break;
		case ESC_FAST_UINT:
			w = snprintf(s->num, sizeof s->num, "%llu", m[i].u);
			v = s->num, n = (size_t)w;
			break;
		case ESC_FAST_DOUBLE:
			w = num_text(s->num, m[i].d);
			v = s->num, n = (size_t)w;
			break;
		default:
			break;
		}
		if (s->fn(s->ctx, &s->path, jt[m[i].t], v, n, s->err)) {
			*rc = -1;
			return 1;
		}
	}
	/* valid JSON: the last byte that is not white space closes the object */
	while (close > 0 && line[close - 1] != '}')
		close--;
	s->close = close - 1;
	s->members = members;
	s->done = 1;
	return 1;
}

/* Only what yajl takes for white space (JSON's, and \f and \v)? */
static int
yajl_blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\n\r\f\v", line[i]) || !line[i])
			return 0;
	return 1;
}

/* Where an escaped high surrogate has no escaped low one right after it
 * (counted from 1), or 0. yajl lets one through, as "?" or as a code point
 * made up with the escape that follows; an unpaired low one it decodes,
 * and utf8_ok refuses that (as simdjson does). On a line that is not
 * JSON the answer means nothing, and the parser says what is wrong. */
static size_t
lone_high_surrogate(const char *line, size_t len)
{
	const char *p = line, *end = line + len;

	while ((p = memchr(p, '\\', (size_t)(end - p)))) {
		if (end - p >= 6 && p[1] == 'u' && (p[2] | 0x20) == 'd' &&
		    p[3] && strchr("89abAB", p[3])) {
			if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
			    (p[8] | 0x20) != 'd' || !p[9] || !strchr("cdefCDEF", p[9]))
				return (size_t)(p - line) + 1;
			p += 12;
			continue;
		}
		p += 2;         /* past the escaped character, whatever it is */
		if (p >= end)
			break;
	}
	return 0;
}

/* yajl's messages read "parse error: invalid object key (must be a string)\n";
 * keep the reason, drop the prefix and the newline. */
static void
yajl_reason(struct esc_scan *s, const char *line, size_t len, int at_end, struct esc_err *err)
{
	unsigned char *m = yajl_get_error((yajl_handle)s->h, 0, (const unsigned char *)line, len);
	const char *r = m ? (const char *)m : "parse error";
	const char *colon = strstr(r, "error: ");
	/* the byte yajl stopped at, counted from 1; the final flush is past the end */
	size_t at = at_end ? len : consumed(s), n;

	if (colon)
		r = colon + 7;
	n = strcspn(r, "\n");
	while (n && (r[n - 1] == '.' || r[n - 1] == ' '))
		n--;
	if (at == 0)
		at = 1;
	if (at > len)
		at = len;
	if (s->done)    /* the object was whole: what follows it is the problem */
		esc_err_set(err, "invalid JSON at byte %zu: trailing garbage", at);
	else
		esc_err_set(err, "invalid JSON at byte %zu: %.*s", at, (int)n, r);
	if (m)
		yajl_free_error((yajl_handle)s->h, m);
}

int
esc_scan_line(struct esc_scan *s, const char *line, size_t len,
	esc_scan_fn fn, void *ctx, struct esc_err *err)
{
	yajl_status st;
	int at_end = 0;

	/* a yajl handle cannot be reset: it is kept while lines parse cleanly
	 * (it accepts value after value), and replaced after a bad one */
	if (!s->h && fresh_handle(s) < 0) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	s->fn = fn;
	s->ctx = ctx;
	s->len = len;
	s->err = err;
	s->depth = 0;
	s->path.depth = 0;
	s->close = s->prev_end = 0;
	s->own_count = s->members = s->in_own = s->done = s->has_vals = 0;
	err->msg[0] = '\0';
	/* The fast path, where simdjson and yajl would agree: not on a
	 * byte-order mark (simdjson skips one, yajl refuses it), nor on an
	 * unpaired high surrogate (refused below with its own reason). */
	if ((s->top_only || s->deep || s->tree) && len <= ESC_FAST_MAX && fast_on() &&
	    !(len && (unsigned char)line[0] == 0xef) &&
	    !(memchr(line, '\\', len) && lone_high_surrogate(line, len))) {
		const struct esc_fast_member *m;
		size_t count;
		int r;

		if (!s->fast && !(s->fast = esc_fast_new())) {
			esc_err_set(err, "out of memory");
			return -1;
		}
		if ((r = esc_fast_object(s->fast, line, len, s->tree ? INT_MAX :
		    s->deep ? ESC_JPATH_MAX : 1, &m, &count)) < 0) {
			esc_err_set(err, "out of memory");
			return -1;
		}
		if (r && fast_members(s, line, len, m, count, &r)) {
			if (s->tree && r == 0) {
				s->vals = m;
				s->nvals = count;
				s->has_vals = 1;
			}
			return r;
		}
	}
	/* With several values allowed, yajl's final flush takes the end of
	 * the input for the end of the values, even with a string left open
	 * after one ({...} "abc), and that string stays open into the next
	 * line; a handle reused after a good line does the same with nothing
	 * before the string ("abc), where a fresh one calls that, and a line
	 * of white space, a premature EOF. What a line gets must depend on
	 * that line alone, so white space is named here, and a string left
	 * open below. */
	if (yajl_blank(line, len)) {
		esc_err_set(err, "invalid JSON: no value");
		return -1;
	}
	st = yajl_parse((yajl_handle)s->h, (const unsigned char *)line, len);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse((yajl_handle)s->h);
		at_end = 1;
	}
	if (st == yajl_status_ok && s->done &&
	    yajl_blank(line + s->close + 1, len - s->close - 1)) {
		size_t at = memchr(line, '\\', len) ? lone_high_surrogate(line, len) : 0;

		if (!at)
			return 0;
		esc_err_set(err, "invalid JSON at byte %zu: invalid UTF-8 (or an unpaired "
			"surrogate) in a string", at);
	} else if (st == yajl_status_ok)  /* a string left open, after the object or alone */
		esc_err_set(err, "invalid JSON at byte %zu: %s", len,
			s->done ? "trailing garbage" : "premature EOF");
	else if (st == yajl_status_error)
		yajl_reason(s, line, len, at_end, err);
	else if (!err->msg[0])
		esc_err_set(err, "rejected");
	yajl_free((yajl_handle)s->h);
	s->h = NULL;
	return -1;
}

int
esc_jpath_is(const struct esc_jpath *p, const char *k0, ...)
{
	const char *k = k0;
	va_list ap;
	int i = 0, ok = 1;

	va_start(ap, k0);
	for (; k; k = va_arg(ap, const char *), i++) {
		if (i >= p->depth) {
			ok = 0;
			break;
		}
		if (strcmp(k, "[]") == 0) {
			if (p->k[i].len != -1)
				ok = 0;
		} else if (p->k[i].len < 0 || strcmp(p->k[i].key, k) != 0) {
			ok = 0;
		}
		if (!ok)
			break;
	}
	va_end(ap);
	return ok && i == p->depth;
}
