/* crm-track — keep the customer journey, contacts and consent in the
 * store; report the funnel; forget a person. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "crm.h"
#include "esc.h"
#include "stats.h"
#include "store.h"

static const char usage_text[] =
	"usage: crm-track [--db FILE] [--batch N] [options] [FILE...]\n"
	"       crm-track --funnel [--db FILE] [--customer ID] [--since TIME] [--until TIME]\n"
	"                 [-t | --csv]\n"
	"       crm-track --forget ID [--vacuum] [--db FILE]\n"
	"       crm-track --purge [--older-than DURATION] [--dry-run] [--vacuum] [--db FILE]\n"
	"       crm-track -l CUSTOMER [--db FILE]\n"
	"Record journey events and contacts; echo each line with a \"crm\" object.\n"
	"  --db FILE         the store (default $ESC_DB or ./esc.db)\n"
	"  --batch N         lines per transaction at most (default 10000)\n"
	"  --funnel          the journey funnel, as JSON lines unless told otherwise\n"
	"  --customer ID     ... of one customer\n"
	"  --since TIME      ... of events at or after TIME (RFC 3339 or a date)\n"
	"  --until TIME      ... and before TIME\n"
	"  -t, --table       ... as aligned tables for a terminal\n"
	"  --csv             ... as CSV\n"
	"  --forget ID       erase everything held about a person: ID is a customer id,\n"
	"                    an email, a phone number or an external id (exit 1: nobody)\n"
	"  --purge           forget every contact who consented to nothing and has not\n"
	"                    changed for --older-than (default share/crm/retention.json)\n"
	"  --older-than DURATION   like 90d, 2160h\n"
	"  --dry-run         with --purge: count, change nothing\n"
	"  --vacuum          with --forget or --purge: also rebuild the file, for what\n"
	"                    other programs freed without zeroing (slow on a big store)\n"
	"  -l, --history CUSTOMER  a person's contact, events and consent changes\n"
	ESC_COMMON_USAGE;

enum {
	O_DB = ESC_OPT_TOOL, O_BATCH, O_FUNNEL, O_CUSTOMER, O_SINCE, O_UNTIL, O_CSV,
	O_FORGET, O_PURGE, O_OLDER, O_DRY, O_VACUUM,
};

enum { OUT_JSON, OUT_TABLE, OUT_CSV };

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(ESC_EXIT_USAGE);
}

/* Write out to stdout and shut it. */
static int
put(struct esc_buf *out)
{
	if (esc_buf_oom) {
		esc_diag("error", NULL, 0, "out of memory");
		return ESC_EXIT_IO;
	}
	if (out->len && fwrite(out->p, 1, out->len, stdout) != out->len) {
		esc_diag("error", NULL, 0, "cannot write standard output:");
		fclose(stdout);
		return ESC_EXIT_IO;
	}
	return esc_fshut(stdout, "standard output") < 0 ? ESC_EXIT_IO : ESC_EXIT_OK;
}

static struct sqlite3 *
open_store(const char *path)
{
	struct esc_err err = { 0 };
	struct sqlite3 *db;

	if (!(db = esc_store_open(path, ESC_STORE_READ, &err)))
		esc_diag("error", NULL, 0, "%s", err.msg);
	return db;
}

/* --forget, --purge, -l: one pass over the store, one answer. */
static int
admin(const char *path, const char *forget, int purge, long older, int dry, int vacuum,
	const char *history)
{
	struct esc_err err = { 0 };
	struct esc_buf out = { 0 };
	struct sqlite3 *db;
	long long n;
	int rc;

	if (!(db = open_store(path)))
		return ESC_EXIT_STORE;
	if (forget)
		n = esc_crm_forget(db, forget, vacuum, &out, &err);
	else if (purge)
		n = esc_crm_purge(db, older, dry, vacuum, &out, &err);
	else
		n = esc_crm_history(db, history, &out, &err);
	esc_store_close(db);
	if (n < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_buf_free(&out);
		return ESC_EXIT_STORE;
	}
	if (err.msg[0])
		esc_diag("warning", NULL, 0, "%s", err.msg);
	rc = put(&out);
	esc_buf_free(&out);
	if (rc)
		return rc;
	if (n == 0 && forget)
		esc_diag("note", NULL, 0, "nothing in %s matched: nothing erased", path);
	if (n == 0 && history)
		esc_diag("note", NULL, 0, "nothing in %s about that customer", path);
	return n == 0 && !purge ? ESC_EXIT_NONE : ESC_EXIT_OK;
}

/* --funnel: esc-stats' funnel section. */
static int
funnel(const char *path, struct esc_stats_opts *o, int fmt)
{
	struct esc_err err = { 0 };
	struct esc_buf out = { 0 };
	struct esc_report r;
	struct esc_stats *st;
	int rc;

	if (!(st = esc_stats_open(&path, 1, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	o->sections = 1u << ESC_SEC_FUNNEL;
	rc = esc_stats_run(st, o, &r, &err);
	esc_stats_close(st);
	if (rc) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return rc;
	}
	if (fmt == OUT_TABLE)
		esc_report_text(&r, &out);
	else if (fmt == OUT_CSV)
		esc_report_csv(&r, &out);
	else
		esc_report_json(&r, &out);
	esc_report_free(&r);
	rc = put(&out);
	esc_buf_free(&out);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ESC_COMMON_LONGOPTS,
		{ "db", required_argument, 0, O_DB },
		{ "batch", required_argument, 0, O_BATCH },
		{ "funnel", no_argument, 0, O_FUNNEL },
		{ "customer", required_argument, 0, O_CUSTOMER },
		{ "since", required_argument, 0, O_SINCE },
		{ "until", required_argument, 0, O_UNTIL },
		{ "table", no_argument, 0, 't' },
		{ "csv", no_argument, 0, O_CSV },
		{ "forget", required_argument, 0, O_FORGET },
		{ "purge", no_argument, 0, O_PURGE },
		{ "older-than", required_argument, 0, O_OLDER },
		{ "dry-run", no_argument, 0, O_DRY },
		{ "vacuum", no_argument, 0, O_VACUUM },
		{ "history", required_argument, 0, 'l' },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { .store = 1 };
	struct esc_crm_opts o = { .batch = 10000 };
	struct esc_stats_opts so = { 0 };
	const char *dbopt = NULL, *forget = NULL, *history = NULL, *older_arg = NULL, *dbpath;
	struct esc_err err = { 0 };
	struct esc_crm *crm;
	struct sqlite3 *db;
	int opt, rc, fun = 0, purge = 0, dry = 0, vacuum = 0, fmt = OUT_JSON, reportopt = 0, modes;
	long older = 0, v;
	char *end;

	esc_prog = "crm-track";
	argv[0] = (char *)esc_prog;
	while ((opt = getopt_long(argc, argv, "hVtl:", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case O_DB: dbopt = optarg; break;
		case O_BATCH:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > INT_MAX || errno) {
				esc_diag("error", NULL, 0, "--batch: not a number of lines: %s", optarg);
				usage();
			}
			o.batch = (int)v;
			break;
		case O_FUNNEL: fun = 1; break;
		case O_CUSTOMER: so.customer = optarg; reportopt = 1; break;
		case O_SINCE:
			if (esc_time_opt("--since", optarg, &so.since) < 0)
				usage();
			so.has_since = reportopt = 1;
			break;
		case O_UNTIL:
			if (esc_time_opt("--until", optarg, &so.until) < 0)
				usage();
			so.has_until = reportopt = 1;
			break;
		case 't': fmt = OUT_TABLE; reportopt = 1; break;
		case O_CSV: fmt = OUT_CSV; reportopt = 1; break;
		case O_FORGET:
			if (!*optarg) {
				esc_diag("error", NULL, 0, "--forget: an empty id names nobody");
				usage();
			}
			forget = optarg;
			break;
		case O_PURGE: purge = 1; break;
		case O_OLDER:
			if (esc_duration_parse(optarg, &older) < 0 || older <= 0) {
				esc_diag("error", NULL, 0, "--older-than: not a duration (like 90d, "
					"2160h): %s", optarg);
				usage();
			}
			older_arg = optarg;
			break;
		case O_DRY: dry = 1; break;
		case O_VACUUM: vacuum = 1; break;
		case 'l': history = optarg; break;
		case 'h': fputs(usage_text, stdout); return ESC_EXIT_OK;
		case 'V': puts("crm-track " ESC_VERSION); return ESC_EXIT_OK;
		default: usage();
		}
	}
	modes = fun + !!forget + purge + !!history;
	if (modes > 1) {
		esc_diag("error", NULL, 0, "--funnel, --forget, --purge and -l: one at a time");
		usage();
	}
	if (reportopt && !fun) {
		esc_diag("error", NULL, 0, "--customer, --since, --until, -t and --csv go with "
			"--funnel");
		usage();
	}
	if ((older_arg || dry) && !purge) {
		esc_diag("error", NULL, 0, "--older-than and --dry-run go with --purge");
		usage();
	}
	if (vacuum && !forget && !purge) {
		esc_diag("error", NULL, 0, "--vacuum goes with --forget or --purge");
		usage();
	}
	if (modes && optind < argc) {
		esc_diag("error", NULL, 0, "--funnel, --forget, --purge and -l read the store, "
			"not files");
		usage();
	}
	if (so.has_since && so.has_until && so.since >= so.until) {
		esc_diag("error", NULL, 0, "--since must be before --until");
		usage();
	}
	if ((rc = esc_common_apply(&common)))
		return rc;
	dbpath = esc_store_path(dbopt);
	if (fun)
		return funnel(dbpath, &so, fmt);
	if (purge && !older_arg && esc_crm_retention(&older, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_DATA;
	}
	if (modes)
		return admin(dbpath, forget, purge, older, dry, vacuum, history);

	if (!(db = esc_store_open(dbpath, ESC_STORE_WRITE, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	if (!(crm = esc_crm_new(db, &o, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_store_close(db);
		return err.code ? err.code : ESC_EXIT_STORE;
	}
	/* the store is committed before output is written, in large batches */
	common.sync = esc_crm_sync;
	rc = esc_run(&common, argc - optind, argv + optind, esc_crm_line, crm);
	if (esc_crm_free(crm, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		rc = ESC_EXIT_STORE;
	}
	esc_store_close(db);
	return rc;
}
