/* upsell-gen — upsell recommendations after completed sessions; usage-alert
 * opportunities, their events and their clock. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "opps.h"
#include "store.h"
#include "upsell.h"

static const char usage_text[] =
	"usage: upsell-gen [--db FILE] [--rules FILE] [options] [FILE...]\n"
	"       upsell-gen --usage [--db FILE] [--contracts FILE] [--threshold N] [--dry-run]\n"
	"                  [options] [FILE...]\n"
	"       upsell-gen --due [--db FILE] [--dry-run] [--now TIME]\n"
	"Completed sessions in, upsell recommendations out (one per line); with --usage,\n"
	"usage alerts and their events in, opportunities out; --due runs their clock.\n"
	"  --db FILE         the store (default $ESC_DB or ./esc.db)\n"
	"  --rules FILE      recommendation rules (default share/upsell/recommendations.json)\n"
	"  --usage           read usage alerts and opportunity events\n"
	"  --contracts FILE  contracts as JSON lines keyed by account_id\n"
	"  --threshold N     trigger over N (default from share/upsell/usage.json)\n"
	"  --due             follow-ups, closes and send retries that are due (for cron)\n"
	"  -n, --dry-run     say what would happen: send nothing, store nothing\n"
	ESC_COMMON_USAGE;

enum { O_DB = ESC_OPT_TOOL, O_RULES, O_USAGE, O_CONTRACTS, O_THRESHOLD, O_DUE };

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(ESC_EXIT_USAGE);
}

static int
opps(struct esc_common *common, const char *dbpath, const struct esc_opps_opts *oo, int due,
	int argc, char **argv)
{
	struct esc_err err = { 0 };
	struct esc_opps *o;
	struct sqlite3 *db;
	int rc;
	long n;

	if (!(db = esc_store_open_dry(dbpath, oo->dry_run, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	if (!(o = esc_opps_new(db, oo, &err))) {
		esc_diag("error", err.name, err.line, "%s", err.msg);
		esc_store_close(db);
		return err.code ? err.code : ESC_EXIT_DATA;
	}
	if (due) {
		n = esc_opps_due(o, stdout, &err);
		rc = ESC_EXIT_OK;
		if (n < 0) {
			esc_diag("error", NULL, 0, "%s", err.msg);
			rc = err.code;
		}
		if (esc_fshut(stdout, "standard output") < 0 && rc == ESC_EXIT_OK)
			rc = ESC_EXIT_IO;
	} else {
		common->sync = esc_opps_sync;
		rc = esc_run(common, argc, argv, esc_opps_line, o);
	}
	/* a failed send is kept and retried, but the run says so */
	if (esc_opps_net_failures(o) && (rc == ESC_EXIT_OK || rc == ESC_EXIT_INPUT)) {
		esc_diag("warning", NULL, 0, "%lu send%s or post%s failed: see the messages above",
			esc_opps_net_failures(o), esc_opps_net_failures(o) == 1 ? "" : "s",
			esc_opps_net_failures(o) == 1 ? "" : "s");
		rc = ESC_EXIT_NET;
	}
	esc_opps_free(o, &err);
	esc_store_close(db);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ESC_COMMON_LONGOPTS,
		{ "db", required_argument, 0, O_DB },
		{ "rules", required_argument, 0, O_RULES },
		{ "usage", no_argument, 0, O_USAGE },
		{ "contracts", required_argument, 0, O_CONTRACTS },
		{ "threshold", required_argument, 0, O_THRESHOLD },
		{ "due", no_argument, 0, O_DUE },
		{ "dry-run", no_argument, 0, 'n' },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { .store = 1 };
	struct esc_opps_opts oo = { 0 };
	const char *dbopt = NULL, *rules = NULL, *dbpath;
	struct esc_err err = { 0 };
	struct esc_recs *recs;
	struct sqlite3 *db;
	int opt, rc, use = 0, due = 0;
	char *end;

	esc_prog = "upsell-gen";
	argv[0] = (char *)esc_prog;
	while ((opt = getopt_long(argc, argv, "hVn", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case O_DB: dbopt = optarg; break;
		case O_RULES: rules = optarg; break;
		case O_USAGE: use = 1; break;
		case O_CONTRACTS: oo.contracts = optarg; break;
		case O_THRESHOLD:
			errno = 0;
			oo.threshold = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(oo.threshold > 0 &&
			    oo.threshold <= ESC_OPPS_NUM_MAX)) {
				esc_diag("error", NULL, 0, "--threshold: not a number above 0, at most 1e15: %s",
					optarg);
				usage();
			}
			oo.have_threshold = 1;
			break;
		case O_DUE: due = 1; break;
		case 'n': oo.dry_run = 1; break;
		case 'h': fputs(usage_text, stdout); return ESC_EXIT_OK;
		case 'V': puts("upsell-gen " ESC_VERSION); return ESC_EXIT_OK;
		default: usage();
		}
	}
	if (use && due) {
		esc_diag("error", NULL, 0, "--usage and --due: one at a time");
		usage();
	}
	if (due && optind < argc) {
		esc_diag("error", NULL, 0, "--due reads the store, not files");
		usage();
	}
	if (!use && (oo.contracts || oo.have_threshold)) {
		esc_diag("error", NULL, 0, "--contracts and --threshold go with --usage");
		usage();
	}
	if ((use || due) && rules) {
		esc_diag("error", NULL, 0, "--rules is for recommendations, not --usage or --due");
		usage();
	}
	if (!use && !due && oo.dry_run) {
		esc_diag("error", NULL, 0, "--dry-run goes with --usage or --due");
		usage();
	}
	if ((rc = esc_common_apply(&common)))
		return rc;
	dbpath = esc_store_path(dbopt);
	if (use || due)
		return opps(&common, dbpath, &oo, due, argc - optind, argv + optind);

	if (!(db = esc_store_open(dbpath, ESC_STORE_WRITE, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	if (!(recs = esc_recs_new(db, rules, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_store_close(db);
		return err.code ? err.code : ESC_EXIT_DATA;
	}
	/* the store is committed before output is written, in large batches */
	common.sync = esc_recs_sync;
	rc = esc_run(&common, argc - optind, argv + optind, esc_recs_line, recs);
	if (esc_recs_free(recs, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		rc = ESC_EXIT_STORE;
	}
	esc_store_close(db);
	return rc;
}
