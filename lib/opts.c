/* opts.c — the options and the run every tool shares. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "store.h"

int
esc_common_opt(struct esc_common *c, int opt, const char *arg)
{
	switch (opt) {
	case ESC_OPT_STRICT: c->strict = 1; return 1;
	case ESC_OPT_REJECTS: c->rejects = arg; return 1;
	case ESC_OPT_SHARE: c->share = arg; return 1;
	case ESC_OPT_NOW: c->now = arg; return 1;
	}
	return 0;
}

int
esc_common_apply(struct esc_common *c)
{
	const char *e;

	if (c->share)
		esc_share_set(c->share);
	if (c->now && esc_time_set_now(c->now) < 0) {
		esc_diag("error", NULL, 0, "--now: not an RFC 3339 time: %s", c->now);
		return ESC_EXIT_USAGE;
	}
	if (!c->now && (e = getenv("ESC_NOW")) && *e && esc_time_set_now(e) < 0) {
		esc_diag("error", NULL, 0, "ESC_NOW: not an RFC 3339 time: %s", e);
		return ESC_EXIT_USAGE;
	}
	if (c->store) {
		struct esc_err err = { 0 };
		long ms;

		if (esc_busy_timeout(&ms, &err) < 0) {
			esc_diag("error", NULL, 0, "%s", err.msg);
			return ESC_EXIT_USAGE;
		}
	}
	return 0;
}

int
esc_run(struct esc_common *c, int argc, char **argv, esc_rec_fn fn, void *ctx)
{
	struct esc_loop lp = { 0 };
	FILE *rejects = NULL;
	int i, rc, worst = ESC_EXIT_OK;

	if (c->rejects && !(rejects = fopen(c->rejects, "w"))) {
		esc_diag("error", NULL, 0, "cannot open %s:", c->rejects);
		return ESC_EXIT_IO;
	}
	lp.strict = c->strict;
	lp.rejects = rejects;
	lp.out = stdout;
	lp.sync = c->sync;
	for (i = 0; i < argc || (i == 0 && argc == 0); i++) {
		rc = esc_loop_file(&lp, argc ? argv[i] : "-", fn, ctx);
		/* input errors are the mildest failure: keep the worse code */
		if (rc != ESC_EXIT_OK && (worst == ESC_EXIT_OK || worst == ESC_EXIT_INPUT))
			worst = rc;
		if (lp.stopped)
			break;
	}
	/* a write error the loop already reported is not reported again */
	if (worst == ESC_EXIT_IO && lp.stopped)
		fclose(stdout);
	else if (esc_fshut(stdout, "standard output") < 0)
		worst = ESC_EXIT_IO;
	if (rejects && esc_fshut(rejects, c->rejects) < 0)
		worst = ESC_EXIT_IO;
	return worst;
}

int
esc_time_opt(const char *name, const char *arg, time_t *t)
{
	if (esc_time_parse(arg, strlen(arg), t) == 0)
		return 0;
	esc_diag("error", NULL, 0, "%s: not an RFC 3339 time or a date: %s", name, arg);
	return -1;
}
