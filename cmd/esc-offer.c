/* esc-offer — add the offer or playbook that answers each scored message. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "offer.h"

static const char usage_text[] =
	"usage: esc-offer [--seed N] [--persona NAME] [--field NAME] [options] [FILE...]\n"
	"Read esc-detect output; write each line with an \"offer\" object.\n"
	"  --seed N          vary the template choice (default 0); the same\n"
	"                    record and seed always get the same template\n"
	"  --persona NAME    the persona the offers speak of (default from offers.json)\n"
	"  --field NAME      take the text from NAME (as esc-detect does)\n"
	ESC_COMMON_USAGE;

struct ctx {
	struct esc_offers *o;
	struct esc_scan scan;
	const char *field;
	unsigned long seed;
	/* what the scan found on the current line */
	struct esc_buf text, key, alertbuf, obj;
	size_t *alert_at;       /* where each name starts in alertbuf */
	const char **alerts;    /* the names, once the scan is done */
	int nalerts, alerts_cap, rank, kb_miss, has_detect, has_route;
	char badtext[ESC_JKEY_MAX];   /* a text field that is not a string */
	struct esc_offer_in in;
};

static int
on_value(void *arg, const struct esc_jpath *p, enum esc_jtype t, const char *v,
	size_t n, struct esc_err *err)
{
	struct ctx *c = arg;
	const char *k0 = p->k[0].key;
	int r, len = p->k[0].len;

	if (len < 0)
		return 0;
	if (p->depth == 1) {
		if ((r = esc_text_field_rank(c->field, k0, len)) >= 0) {
			if (t != ESC_J_STRING && t != ESC_J_NULL) {
				/* only a paid offer needs the text: said after the scan */
				snprintf(c->badtext, sizeof c->badtext, "%s", k0);
				return 0;
			}
			if (t == ESC_J_STRING && (c->rank < 0 || r <= c->rank)) {
				c->rank = r;
				c->text.len = 0;
				esc_buf_put(&c->text, v, n);
			}
		} else if (esc_key_is(k0, len, "id") && (t == ESC_J_STRING || t == ESC_J_NUMBER)) {
			c->key.len = 0;
			if (t == ESC_J_NUMBER)
				esc_number_id(&c->key, v, n);
			else
				esc_buf_put(&c->key, v, n);
		} else if (esc_key_is(k0, len, "kb_miss")) {
			if (t != ESC_J_TRUE && t != ESC_J_FALSE && t != ESC_J_NULL) {
				esc_err_set(err, "field \"kb_miss\" must be true or false");
				return 1;
			}
			c->kb_miss = t == ESC_J_TRUE;
		} else if (esc_key_is(k0, len, "detect")) {
			if (t != ESC_J_OBJECT) {
				esc_err_set(err, "field \"detect\" must be an object: run esc-detect first");
				return 1;
			}
			/* a second detect member replaces the first, as in jq */
			c->has_detect = 1;
			c->has_route = c->nalerts = 0;
			c->alertbuf.len = 0;
			memset(c->in.scores, 0, sizeof c->in.scores);
		}
		return 0;
	}
	if (!esc_key_is(k0, len, "detect"))
		return 0;
	/* below detect: every value of its object comes here, so the path
	 * is read from its lengths first */
	if (p->depth == 2 && esc_key_is(p->k[1].key, p->k[1].len, "route")) {
		if (t == ESC_J_STRING && n == 4 && !memcmp(v, "paid", 4))
			c->in.route = ESC_ROUTE_PAID;
		else if (t == ESC_J_STRING && n == 5 && !memcmp(v, "human", 5))
			c->in.route = ESC_ROUTE_HUMAN;
		else if (t == ESC_J_STRING && n == 4 && !memcmp(v, "none", 4))
			c->in.route = ESC_ROUTE_NONE;
		else {
			esc_err_set(err, "field \"detect.route\" must be \"paid\", \"human\" or \"none\"");
			return 1;
		}
		c->has_route = 1;
	} else if (p->depth == 2 && esc_key_is(p->k[1].key, p->k[1].len, "alerts") &&
		   t != ESC_J_ARRAY) {
		/* a single name would choose no playbook, silently */
		esc_err_set(err, "field \"detect.alerts\" must be an array of alert names");
		return 1;
	} else if (p->depth == 2 && esc_key_is(p->k[1].key, p->k[1].len, "scores") &&
		   t != ESC_J_OBJECT && t != ESC_J_NULL) {
		/* scores taken for zeros would choose another offer, silently */
		esc_err_set(err, "field \"detect.scores\" must be an object");
		return 1;
	} else if (p->depth == 3 && esc_key_is(p->k[1].key, p->k[1].len, "scores")) {
		int i = esc_key_is(p->k[2].key, p->k[2].len, "personal") ? 0 :
			esc_key_is(p->k[2].key, p->k[2].len, "strategic") ? 1 :
			esc_key_is(p->k[2].key, p->k[2].len, "advanced") ? 2 : -1;

		if (i >= 0 && t != ESC_J_NUMBER && t != ESC_J_NULL) {
			esc_err_set(err, "field \"detect.scores.%s\" must be a number", p->k[2].key);
			return 1;
		}
		if (i >= 0 && t == ESC_J_NUMBER)
			c->in.scores[i] = strtod(v, NULL) > 0;   /* only "above zero" matters */
	} else if (p->depth == 3 && p->k[2].len == -1 &&
		   esc_key_is(p->k[1].key, p->k[1].len, "alerts")) {
		/* a NUL would make "legal\u0000x" the alert legal */
		if (t != ESC_J_STRING || memchr(v, '\0', n)) {
			esc_err_set(err, "field \"detect.alerts\" must be an array of alert names");
			return 1;
		}
		/* pointers are made once the scan is done, as the buffer may move */
		if (c->nalerts == c->alerts_cap) {
			int cap = c->alerts_cap ? 2 * c->alerts_cap : 32;
			size_t *at = realloc(c->alert_at, (size_t)cap * sizeof *at);
			const char **a = at ? realloc(c->alerts, (size_t)cap * sizeof *a) : NULL;

			if (at)
				c->alert_at = at;
			if (!a) {
				esc_buf_oom = 1;        /* the loop stops on it */
				esc_err_set(err, "out of memory");
				return 1;
			}
			c->alerts = a;
			c->alerts_cap = cap;
		}
		c->alert_at[c->nalerts++] = c->alertbuf.len;
		esc_buf_put(&c->alertbuf, v, n);
		esc_buf_putc(&c->alertbuf, '\0');
	}
	return 0;
}

/* Point c->alerts at the names in alertbuf: every one counts, as the
 * playbook rule that matches may name the last. */
static void
alert_list(struct ctx *c)
{
	int i;

	for (i = 0; i < c->nalerts; i++)
		c->alerts[i] = c->alertbuf.p + c->alert_at[i];
}

static enum esc_rc
each(void *arg, const struct esc_rec *rec, struct esc_buf *out, struct esc_err *err)
{
	struct ctx *c = arg;

	memset(&c->in, 0, sizeof c->in);
	c->rank = -1;
	c->kb_miss = c->has_detect = c->has_route = 0;
	c->nalerts = 0;
	c->badtext[0] = '\0';
	c->key.len = c->alertbuf.len = c->text.len = 0;
	if (esc_scan_line(&c->scan, rec->line, rec->len, on_value, c, err) < 0)
		return ESC_REC_REJECT;
	if (!c->has_detect || !c->has_route) {
		esc_err_set(err, c->has_detect ? "field \"detect.route\" missing"
			: "no \"detect\" object: run esc-detect first");
		return ESC_REC_REJECT;
	}
	if (c->in.route == ESC_ROUTE_PAID && c->badtext[0]) {
		esc_err_set(err, "field \"%s\" must be a string", c->badtext);
		return ESC_REC_REJECT;
	}
	if (c->in.route == ESC_ROUTE_PAID && c->rank < 0) {
		esc_text_field_missing(c->field, err);
		return ESC_REC_REJECT;
	}
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		return ESC_REC_FATAL;
	}
	alert_list(c);
	c->in.text = c->text.p ? c->text.p : "";
	c->in.len = c->text.len;
	c->in.key = c->key.len ? c->key.p : NULL;
	c->in.keylen = c->key.len;
	c->in.kb_miss = c->kb_miss;
	c->in.alerts = c->alerts;
	c->in.nalerts = c->nalerts;
	c->obj.len = 0;
	if (esc_offer_json(c->o, &c->in, c->seed, &c->obj, err) < 0)
		return ESC_REC_REJECT;
	esc_splice(out, &c->scan, rec->line, c->obj.p, c->obj.len);
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
		{ "seed", required_argument, 0, ESC_OPT_TOOL },
		{ "persona", required_argument, 0, ESC_OPT_TOOL + 1 },
		{ "field", required_argument, 0, ESC_OPT_TOOL + 2 },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { 0 };
	struct ctx c = { 0 };
	const char *persona = NULL;
	struct esc_err err;
	char *end;
	int opt, rc;

	esc_prog = "esc-offer";
	argv[0] = (char *)esc_prog;     /* getopt's own messages use it */
	while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case ESC_OPT_TOOL:
			errno = 0;
			c.seed = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || errno == ERANGE) {
				esc_diag("error", NULL, 0, "--seed: not a number from 0 to %lu: %s",
					ULONG_MAX, optarg);
				usage();
			}
			break;
		case ESC_OPT_TOOL + 1:
			persona = optarg;
			if (!*persona || !esc_utf8_valid(persona, strlen(persona))) {
				esc_diag("error", NULL, 0, "--persona: %s", *persona ?
					"not valid UTF-8" : "empty");
				usage();
			}
			break;
		case ESC_OPT_TOOL + 2: c.field = optarg;
			if (esc_text_field_opt(optarg, "offer") < 0)
				usage();
			break;
		case 'h': fputs(usage_text, stdout); return ESC_EXIT_OK;
		case 'V': puts("esc-offer " ESC_VERSION); return ESC_EXIT_OK;
		default: usage();
		}
	}
	if ((rc = esc_common_apply(&common)))
		return rc;
	if (!(c.o = esc_offers_load(persona, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_DATA;
	}
	if (esc_scan_init(&c.scan, "offer") < 0) {
		esc_diag("error", NULL, 0, "out of memory");
		return ESC_EXIT_IO;
	}
	c.scan.deep = 1;        /* simdjson first: on_value reads detect's members */
	rc = esc_run(&common, argc - optind, argv + optind, each, &c);
	esc_scan_free(&c.scan);
	esc_offers_free(c.o);
	esc_buf_free(&c.text);
	esc_buf_free(&c.key);
	esc_buf_free(&c.alertbuf);
	free(c.alerts);
	free(c.alert_at);
	esc_buf_free(&c.obj);
	return rc;
}
