/* esc-log — keep scored questions, escalations and their events in the store. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "store.h"

static const char usage_text[] =
	"usage: esc-log [--db FILE] [--sla FILE] [--window DURATION] [options] [FILE...]\n"
	"       esc-log -l [--db FILE] [--since TIME] [--until TIME] [--offer NAME]\n"
	"              [--status S] [--severity S] [--user ID] [--route R]\n"
	"       esc-log --history ID [--db FILE]\n"
	"Log esc-offer records and events in the store; echo each line with a \"log\" object.\n"
	"  --db FILE         the store (default $ESC_DB or ./esc.db)\n"
	"  --sla FILE        SLA targets (default share/store/sla.json)\n"
	"  --window DURATION how far back a conversion looks for its escalation (default 30d)\n"
	"  --batch N         lines per transaction at most (default 10000)\n"
	"  --field NAME      take the message text from NAME (as esc-detect does)\n"
	"  -l, --list        list escalations as JSON lines, oldest first\n"
	"  --since TIME, --until TIME, --offer NAME, --status S, --severity S,\n"
	"  --user ID, --route paid|human   what -l lists\n"
	"  --history ID      one escalation (number or message id) and its timeline\n"
	ESC_COMMON_USAGE;

enum {
	O_DB = ESC_OPT_TOOL, O_SLA, O_WINDOW, O_BATCH, O_FIELD, O_SINCE, O_UNTIL, O_OFFER,
	O_STATUS, O_SEVERITY, O_USER, O_ROUTE, O_HISTORY,
};

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(ESC_EXIT_USAGE);
}

static time_t
time_opt(const char *name, const char *arg)
{
	time_t t;

	if (esc_time_opt(name, arg, &t) < 0)
		usage();
	return t;
}

/* -l and --history: read the store, write JSON lines. */
static int
query(const char *dbpath, int list, const char *history, const struct esc_log_filter *flt)
{
	struct esc_err err = { 0 };
	struct sqlite3 *db;
	long n;

	if (!(db = esc_store_open(dbpath, ESC_STORE_READ, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	n = list ? esc_log_list(db, flt, stdout, &err) : esc_log_history(db, history, stdout, &err);
	esc_store_close(db);
	if (n < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	if (esc_fshut(stdout, "standard output") < 0)
		return ESC_EXIT_IO;
	if (n == 0 && history)
		esc_diag("error", NULL, 0, "no escalation %s in %s", history, dbpath);
	return n ? ESC_EXIT_OK : ESC_EXIT_NONE;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ESC_COMMON_LONGOPTS,
		{ "db", required_argument, 0, O_DB },
		{ "sla", required_argument, 0, O_SLA },
		{ "window", required_argument, 0, O_WINDOW },
		{ "batch", required_argument, 0, O_BATCH },
		{ "field", required_argument, 0, O_FIELD },
		{ "list", no_argument, 0, 'l' },
		{ "since", required_argument, 0, O_SINCE },
		{ "until", required_argument, 0, O_UNTIL },
		{ "offer", required_argument, 0, O_OFFER },
		{ "status", required_argument, 0, O_STATUS },
		{ "severity", required_argument, 0, O_SEVERITY },
		{ "user", required_argument, 0, O_USER },
		{ "route", required_argument, 0, O_ROUTE },
		{ "history", required_argument, 0, O_HISTORY },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { .store = 1 };
	struct esc_log_opts o = { .window = 30 * 86400, .batch = 10000 };
	struct esc_log_filter flt = { 0 };
	const char *dbopt = NULL, *slafile = NULL, *history = NULL, *dbpath;
	struct esc_err err = { 0 };
	struct esc_log *log;
	struct esc_sla *sla;
	struct sqlite3 *db;
	int opt, rc, list = 0, filtered = 0;
	char *end;
	long v;

	esc_prog = "esc-log";
	argv[0] = (char *)esc_prog;
	while ((opt = getopt_long(argc, argv, "hVl", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case O_DB: dbopt = optarg; break;
		case O_SLA: slafile = optarg; break;
		case O_WINDOW:
			if (esc_duration_parse(optarg, &o.window) < 0) {
				esc_diag("error", NULL, 0, "--window: not a duration (like 30d, 12h): %s",
					optarg);
				usage();
			}
			break;
		case O_BATCH:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > INT_MAX || errno) {
				esc_diag("error", NULL, 0, "--batch: not a number of lines: %s", optarg);
				usage();
			}
			o.batch = (int)v;
			break;
		case O_FIELD:
			o.field = optarg;
			if (esc_text_field_opt(optarg, "log") < 0)
				usage();
			break;
		case 'l': list = 1; break;
		case O_SINCE: flt.since = time_opt("--since", optarg); filtered = 1; break;
		case O_UNTIL: flt.until = time_opt("--until", optarg); filtered = 1; break;
		case O_OFFER: flt.offer = optarg; filtered = 1; break;
		case O_STATUS:
			if (!esc_status_valid(optarg)) {
				esc_diag("error", NULL, 0, "--status: open, assigned, in_progress, "
					"waiting, resolved or closed: %s", optarg);
				usage();
			}
			flt.status = optarg;
			filtered = 1;
			break;
		case O_SEVERITY:
			if (esc_severity_parse(optarg, strlen(optarg)) < 0) {
				esc_diag("error", NULL, 0, "--severity: low, medium, high or critical: %s",
					optarg);
				usage();
			}
			flt.severity = optarg;
			filtered = 1;
			break;
		case O_USER: flt.user = optarg; filtered = 1; break;
		case O_ROUTE:
			if (strcmp(optarg, "paid") && strcmp(optarg, "human")) {
				esc_diag("error", NULL, 0, "--route: paid or human: %s", optarg);
				usage();
			}
			flt.route = optarg;
			filtered = 1;
			break;
		case O_HISTORY: history = optarg; break;
		case 'h': fputs(usage_text, stdout); return ESC_EXIT_OK;
		case 'V': puts("esc-log " ESC_VERSION); return ESC_EXIT_OK;
		default: usage();
		}
	}
	if (filtered && !list) {
		esc_diag("error", NULL, 0, "--since, --until, --offer, --status, --severity, --user "
			"and --route go with -l");
		usage();
	}
	if ((list || history) && optind < argc) {
		esc_diag("error", NULL, 0, "-l and --history read the store, not files");
		usage();
	}
	if (list && history) {
		esc_diag("error", NULL, 0, "-l and --history: one at a time");
		usage();
	}
	if ((rc = esc_common_apply(&common)))
		return rc;
	dbpath = esc_store_path(dbopt);
	if (list || history)
		return query(dbpath, list, history, &flt);

	if (!(sla = esc_sla_load(slafile, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_DATA;
	}
	if (esc_touch_rules_load(&o.touch, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_sla_free(sla);
		return ESC_EXIT_DATA;
	}
	if (!(db = esc_store_open(dbpath, ESC_STORE_WRITE, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_sla_free(sla);
		return ESC_EXIT_STORE;
	}
	if (!(log = esc_log_new(db, sla, &o, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_store_close(db);
		esc_sla_free(sla);
		return ESC_EXIT_STORE;
	}
	/* the store is committed before output is written, in large batches */
	common.sync = esc_log_sync;
	rc = esc_run(&common, argc - optind, argv + optind, esc_log_line, log);
	if (esc_log_unattributed(log))
		esc_diag("note", NULL, 0, "%lu conversion%s matched no escalation: kept, unattributed",
			esc_log_unattributed(log), esc_log_unattributed(log) == 1 ? "" : "s");
	if (esc_log_free(log, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		rc = ESC_EXIT_STORE;
	}
	esc_store_close(db);
	esc_sla_free(sla);
	return rc;
}
