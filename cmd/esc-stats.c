/* esc-stats — reports over the store: totals, conversion by offer, reason,
 * tier, template and severity, recent escalations, SLA, the leaderboard,
 * the customer funnel, upsells and opportunities, surveys and unresolved
 * problems; or, with --alerts, the alerts due now, each once. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "stats.h"
#include "store.h"

static const char usage_text[] =
	"usage: esc-stats [--db FILE]... [--since TIME] [--until TIME] [--by day|week|month]\n"
	"                 [--section NAME]... [--surveys] [--customer ID] [--limit N]\n"
	"                 [-t | --csv | --html FILE] [--explain]\n"
	"       esc-stats [--db FILE]... --alerts [--since TIME]\n"
	"Report on the escalations in the store, as JSON lines unless told otherwise.\n"
	"  --db FILE         the store (default $ESC_DB or esc.db); several are read together\n"
	"  --since TIME      escalations created at or after TIME (RFC 3339 or a date)\n"
	"  --until TIME      ... and before TIME\n"
	"  --by PERIOD       a row per day, week (from Monday) or month, UTC\n"
	"  --section NAME    only this section: totals, offer, reason, tier, template,\n"
	"                    severity (or by, all five), recent, sla, leaderboard, funnel,\n"
	"                    upsell, opportunities, surveys, survey_methods,\n"
	"                    survey_funnel, problems; repeatable\n"
	"  --surveys         the four survey sections (surveys ended in the window;\n"
	"                    problems opened in it)\n"
	"  --customer ID     funnel, upsell and opportunities of this customer only\n"
	"  --limit N         rows of the recent and problems sections (default 10)\n"
	"  -t, --table       aligned tables for a terminal\n"
	"  --csv             CSV, one block per section\n"
	"  --html FILE       one self-contained HTML page with charts ('-': stdout)\n"
	"  --explain         print each query and its plan instead of the report\n"
	"  --alerts          print the alerts due now, each only once (exit 1: none)\n"
	"  --share DIR       read data files from DIR (default $ESC_SHARE, else the\n"
	"                    share/esc beside the tool's bin/, else " ESC_SHAREDIR ")\n"
	"  --now TIME        the current time, RFC 3339 (default $ESC_NOW or the clock)\n"
	"  -h, --help        show this help\n"
	"  -V, --version     show the version\n";

enum { OUT_JSON, OUT_TABLE, OUT_CSV, OUT_HTML };

enum {
	OPT_DB = ESC_OPT_TOOL, OPT_SINCE, OPT_UNTIL, OPT_BY, OPT_SECTION, OPT_LIMIT,
	OPT_CSV, OPT_HTML, OPT_EXPLAIN, OPT_ALERTS, OPT_CUSTOMER, OPT_SURVEYS,
};

/* the customer side: in the default report when the store has rows for it */
#define CRM_SECTIONS (1u << ESC_SEC_FUNNEL | 1u << ESC_SEC_UPSELL | 1u << ESC_SEC_OPPS)

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

/* Write the buffer to f; 0, or -1 after saying so. */
static int
put(struct esc_buf *b, FILE *f, const char *name)
{
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len) {
		esc_diag("error", NULL, 0, "cannot write %s:", name);
		return -1;
	}
	return 0;
}

static int
emit(void *ctx, const char *lines, size_t len)
{
	(void)ctx;
	if (fwrite(lines, 1, len, stdout) != len || fflush(stdout) == EOF) {
		esc_diag("error", NULL, 0, "cannot write standard output:");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ "share", required_argument, 0, ESC_OPT_SHARE },
		{ "now", required_argument, 0, ESC_OPT_NOW },
		{ "db", required_argument, 0, OPT_DB },
		{ "since", required_argument, 0, OPT_SINCE },
		{ "until", required_argument, 0, OPT_UNTIL },
		{ "by", required_argument, 0, OPT_BY },
		{ "section", required_argument, 0, OPT_SECTION },
		{ "limit", required_argument, 0, OPT_LIMIT },
		{ "table", no_argument, 0, 't' },
		{ "csv", no_argument, 0, OPT_CSV },
		{ "html", required_argument, 0, OPT_HTML },
		{ "explain", no_argument, 0, OPT_EXPLAIN },
		{ "alerts", no_argument, 0, OPT_ALERTS },
		{ "customer", required_argument, 0, OPT_CUSTOMER },
		{ "surveys", no_argument, 0, OPT_SURVEYS },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { .store = 1 };
	struct esc_stats_opts o = { 0 };
	struct esc_report r;
	struct esc_stats *st;
	struct esc_buf out = { 0 };
	struct esc_err err;
	const char **dbs = NULL, *html = NULL;
	int ndb = 0, opt, rc, fmt = OUT_JSON, nfmt = 0, alerts = 0, by;
	unsigned sec;
	long count;
	char *end;
	FILE *f;

	esc_prog = "esc-stats";
	argv[0] = (char *)esc_prog;
	o.limit = 10;
	if (!(dbs = calloc((size_t)argc + 1, sizeof *dbs))) {
		esc_diag("error", NULL, 0, "out of memory");
		return ESC_EXIT_IO;
	}
	while ((opt = getopt_long(argc, argv, "hVt", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case OPT_DB:
			if (!*optarg) {
				esc_diag("error", NULL, 0, "--db: empty file name");
				usage();
			}
			dbs[ndb++] = optarg;
			break;
		case OPT_SINCE: o.since = time_opt("--since", optarg); o.has_since = 1; break;
		case OPT_UNTIL: o.until = time_opt("--until", optarg); o.has_until = 1; break;
		case OPT_BY:
			if ((by = esc_by_parse(optarg)) < 0) {
				esc_diag("error", NULL, 0, "--by: not day, week or month: %s", optarg);
				usage();
			}
			o.by = (enum esc_by)by;
			break;
		case OPT_SECTION:
			if (!(sec = esc_section_parse(optarg))) {
				esc_diag("error", NULL, 0, "--section: no such section: %s "
					"(totals, offer, reason, tier, template, severity, by, recent, "
					"sla, leaderboard, funnel, upsell, opportunities, surveys, "
					"survey_methods, survey_funnel, problems)", optarg);
				usage();
			}
			o.sections |= sec;
			break;
		case OPT_SURVEYS: o.sections |= ESC_SEC_SURVEY_ALL; break;
		case OPT_LIMIT:
			errno = 0;
			o.limit = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || errno == ERANGE ||
			    o.limit < 1) {
				esc_diag("error", NULL, 0, "--limit: not a number from 1 up: %s", optarg);
				usage();
			}
			break;
		case 't': fmt = OUT_TABLE; nfmt++; break;
		case OPT_CSV: fmt = OUT_CSV; nfmt++; break;
		case OPT_HTML: fmt = OUT_HTML; nfmt++; html = optarg; break;
		case OPT_EXPLAIN: o.explain = 1; break;
		case OPT_ALERTS: alerts = 1; break;
		case OPT_CUSTOMER:
			if (!*optarg) {
				esc_diag("error", NULL, 0, "--customer: empty id");
				usage();
			}
			o.customer = optarg;
			break;
		case 'h': fputs(usage_text, stdout); free(dbs); return ESC_EXIT_OK;
		case 'V': puts("esc-stats " ESC_VERSION); free(dbs); return ESC_EXIT_OK;
		default: usage();
		}
	}
	if (optind < argc) {
		esc_diag("error", NULL, 0, "no arguments expected, only options: %s", argv[optind]);
		usage();
	}
	if (nfmt > 1) {
		esc_diag("error", NULL, 0, "-t, --csv and --html: one output at a time");
		usage();
	}
	if (alerts && (nfmt || o.sections || o.by || o.explain || o.has_until || o.customer)) {
		esc_diag("error", NULL, 0, "--alerts prints alerts as JSON lines: it takes no "
			"-t, --csv, --html, --section, --by, --until, --customer or --explain");
		usage();
	}
	/* escalations know a person as user_id and are not filtered by one */
	if (o.customer && (o.sections & ~CRM_SECTIONS)) {
		esc_diag("error", NULL, 0, "--customer goes with the funnel, upsell and "
			"opportunities sections only");
		usage();
	}
	if (o.has_since && o.has_until && o.since >= o.until) {
		esc_diag("error", NULL, 0, "--since must be before --until");
		usage();
	}
	if ((rc = esc_common_apply(&common)))
		goto done;
	if (!o.sections && o.customer) {
		o.sections = CRM_SECTIONS;
	} else if (!o.sections) {
		o.sections = ESC_SEC_DEFAULT;
		o.if_rows = CRM_SECTIONS | ESC_SEC_SURVEY_ALL;
	} else {
		o.tier_rates = 1;   /* by_tier asked for by name (or as "by") */
	}
	if (fmt == OUT_HTML && (o.sections & 1u << ESC_SEC_TOTALS))
		o.sections |= 1u << ESC_SEC_TREND;
	if (!ndb)
		dbs[ndb++] = esc_store_path(NULL);
	if (!(st = esc_stats_open(dbs, ndb, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		rc = ESC_EXIT_STORE;
		goto done;
	}
	if (alerts) {
		rc = esc_stats_alerts(st, &o, emit, NULL, &count, &err);
		if (rc && rc != ESC_EXIT_IO)
			esc_diag("error", NULL, 0, "%s", err.msg);
		esc_stats_close(st);
		if (esc_fshut(stdout, "standard output") < 0 && !rc)
			rc = ESC_EXIT_IO;
		if (!rc && !count)
			rc = ESC_EXIT_NONE;
		goto done;
	}
	rc = esc_stats_run(st, &o, &r, &err);
	esc_stats_close(st);
	if (rc) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		goto done;
	}
	if (o.explain)
		esc_buf_put(&out, r.explain.p, r.explain.len);
	else if (fmt == OUT_TABLE)
		esc_report_text(&r, &out);
	else if (fmt == OUT_CSV)
		esc_report_csv(&r, &out);
	else if (fmt == OUT_HTML)
		esc_report_html(&r, dbs, ndb, &out);
	else
		esc_report_json(&r, &out);
	esc_report_free(&r);
	if (esc_buf_oom) {
		esc_diag("error", NULL, 0, "out of memory");
		rc = ESC_EXIT_IO;
	} else if (fmt == OUT_HTML && !o.explain && strcmp(html, "-")) {
		if (!(f = fopen(html, "w"))) {
			esc_diag("error", NULL, 0, "cannot open %s:", html);
			rc = ESC_EXIT_IO;
		} else if (put(&out, f, html) < 0) {
			fclose(f);
			rc = ESC_EXIT_IO;
		} else if (esc_fshut(f, html) < 0) {
			rc = ESC_EXIT_IO;
		}
	} else if (put(&out, stdout, "standard output") < 0) {
		fclose(stdout);
		rc = ESC_EXIT_IO;
		goto done;
	}
	if (esc_fshut(stdout, "standard output") < 0 && !rc)
		rc = ESC_EXIT_IO;
done:
	esc_buf_free(&out);
	free(dbs);
	return rc;
}
