/* esc-detect — score chat messages: should each escalate, and where to. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "score.h"

static const char usage_text[] =
	"usage: esc-detect [-f FORMAT] [--field NAME] [options] [FILE...]\n"
	"Read chat messages as JSON lines; write each with a \"detect\" object.\n"
	"  -f, --format FMT  plain (default), intercom, zendesk or chatwoot\n"
	"  --field NAME      take the text from NAME (default: text, question,\n"
	"                    message, content, body — the first present)\n"
	ESC_COMMON_USAGE;


struct ctx {
	struct esc_detector *d;
	struct esc_scan scan;
	enum esc_format fmt;
	const char *field;
	/* what the scan found on the current line */
	struct esc_buf text, context, obj, msgs, warn, num;
	int rank, kb_miss, has_context;
	double touches, at_risk;
};

/* A number's text may be any length (a 70-digit mantissa, its exponent
 * last): strtod reads a terminated copy of all of it, in num. */
static int
number(struct esc_buf *num, const char *key, enum esc_jtype t, const char *v, size_t n,
	double *out, struct esc_err *err)
{
	if (t == ESC_J_NULL)
		return 0;
	if (t != ESC_J_NUMBER) {
		esc_err_set(err, "field \"%s\" must be a number", key);
		return 1;
	}
	num->len = 0;
	esc_buf_put(num, v, n);
	esc_buf_putc(num, '\0');
	if (esc_buf_oom) {      /* the loop sees it too, and stops */
		esc_err_set(err, "out of memory");
		return 1;
	}
	*out = strtod(num->p, NULL);
	if (!isfinite(*out)) {  /* 1e400: valid JSON, no count or amount */
		esc_err_set(err, "field \"%s\" is out of range", key);
		return 1;
	}
	return 0;
}

static int
on_value(void *arg, const struct esc_jpath *p, enum esc_jtype t, const char *v,
	size_t n, struct esc_err *err)
{
	struct ctx *c = arg;
	const char *key = p->k[0].key;
	int r, len = p->k[0].len;

	if (p->depth != 1 || len < 0)
		return 0;
	if ((r = esc_text_field_rank(c->field, key, len)) >= 0) {
		if (t == ESC_J_NULL)
			return 0;
		if (t != ESC_J_STRING) {
			esc_err_set(err, "field \"%s\" must be a string", key);
			return 1;
		}
		if (c->rank < 0 || r <= c->rank) {
			c->rank = r;
			c->text.len = 0;
			esc_buf_put(&c->text, v, n);
		}
	} else if (esc_key_is(key, len, "kb_miss")) {
		if (t != ESC_J_TRUE && t != ESC_J_FALSE && t != ESC_J_NULL) {
			esc_err_set(err, "field \"kb_miss\" must be true or false");
			return 1;
		}
		c->kb_miss = t == ESC_J_TRUE;
	} else if (esc_key_is(key, len, "context_type") || esc_key_is(key, len, "context")) {
		/* "context" is a common name; only a string is ours to read */
		if (t == ESC_J_STRING) {
			c->context.len = 0;
			esc_buf_put(&c->context, v, n);
			c->has_context = 1;
		} else if (t != ESC_J_NULL && key[7] == '_') {
			esc_err_set(err, "field \"context_type\" must be a string");
			return 1;
		}
	} else if (esc_key_is(key, len, "touches")) {
		return number(&c->num, key, t, v, n, &c->touches, err);
	} else if (esc_key_is(key, len, "revenue_at_risk")) {
		return number(&c->num, key, t, v, n, &c->at_risk, err);
	}
	return 0;
}

/* Score one plain record and write it out annotated. */
static enum esc_rc
plain(struct ctx *c, const char *line, size_t len, struct esc_buf *out, struct esc_err *err)
{
	struct esc_msg m;

	c->rank = -1;
	c->kb_miss = c->has_context = 0;
	c->touches = c->at_risk = -1;
	if (esc_scan_line(&c->scan, line, len, on_value, c, err) < 0)
		return ESC_REC_REJECT;
	if (c->rank < 0) {
		esc_text_field_missing(c->field, err);
		return ESC_REC_REJECT;
	}
	m.text = c->text.p ? c->text.p : "";
	m.len = c->text.len;
	m.kb_miss = c->kb_miss;
	m.context = c->has_context ? c->context.p : NULL;
	m.contextlen = c->context.len;
	m.touches = c->touches;
	m.at_risk = c->at_risk;
	c->obj.len = 0;
	if (esc_detect_json(c->d, &m, &c->obj) < 0) {
		esc_err_set(err, "out of memory");
		return ESC_REC_FATAL;
	}
	esc_splice(out, &c->scan, line, c->obj.p, c->obj.len);
	return ESC_REC_OK;
}

static enum esc_rc
each(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct ctx *c = arg;
	size_t mark = out->len, at = 0;
	char *nl;

	if (c->fmt == ESC_FMT_PLAIN)
		return plain(c, rec->line, rec->len, out, err);
	c->msgs.len = c->warn.len = 0;
	if (esc_format_messages(c->fmt, rec->line, rec->len, &c->msgs, &c->warn, err) < 0)
		return ESC_REC_REJECT;
	while (at < c->msgs.len && (nl = memchr(c->msgs.p + at, '\n', c->msgs.len - at))) {
		enum esc_rc rc = plain(c, c->msgs.p + at, (size_t)(nl - (c->msgs.p + at)), out, err);

		if (rc != ESC_REC_OK) {
			out->len = mark;
			return rc;
		}
		at = (size_t)(nl - c->msgs.p) + 1;
	}
	/* one warning per conversation with nothing to score, even on a page
	 * whose other conversations gave records */
	for (at = 0; at < c->warn.len && (nl = memchr(c->warn.p + at, '\n', c->warn.len - at));
	    at = (size_t)(nl - c->warn.p) + 1)
		esc_diag("warning", rec->name, rec->lineno, "%.*s",
			(int)(nl - (c->warn.p + at)), c->warn.p + at);
	return ESC_REC_OK;
}

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(ESC_EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ESC_COMMON_LONGOPTS,
		{ "format", required_argument, 0, 'f' },
		{ "field", required_argument, 0, ESC_OPT_TOOL },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { 0 };
	struct ctx c = { 0 };
	struct esc_err err;
	int opt, rc;

	esc_prog = "esc-detect";
	argv[0] = (char *)esc_prog;     /* getopt's own messages use it */
	while ((opt = getopt_long(argc, argv, "f:hV", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case 'f':
			if (esc_format_parse(optarg, &c.fmt) < 0) {
				esc_diag("error", NULL, 0, "unknown format \"%s\" "
					"(plain, intercom, zendesk, chatwoot)", optarg);
				usage();
			}
			break;
		case ESC_OPT_TOOL: c.field = optarg;
			if (esc_text_field_opt(optarg, "detect") < 0)
				usage();
			break;
		case 'h': fputs(usage_text, stdout); return ESC_EXIT_OK;
		case 'V': puts("esc-detect " ESC_VERSION); return ESC_EXIT_OK;
		default: usage();
		}
	}
	if ((rc = esc_common_apply(&common)))
		return rc;
	if (!(c.d = esc_detector_load(&err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_DATA;
	}
	if (esc_scan_init(&c.scan, "detect") < 0) {
		esc_diag("error", NULL, 0, "out of memory");
		return ESC_EXIT_IO;
	}
	c.scan.top_only = 1;    /* on_value reads top-level members only */
	rc = esc_run(&common, argc - optind, argv + optind, each, &c);
	esc_scan_free(&c.scan);
	esc_detector_free(c.d);
	esc_buf_free(&c.text);
	esc_buf_free(&c.context);
	esc_buf_free(&c.obj);
	esc_buf_free(&c.msgs);
	esc_buf_free(&c.warn);
	esc_buf_free(&c.num);
	return rc;
}
