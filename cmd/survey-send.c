/* survey-send — a survey chain per ended session, its clock (--due), the
 * answers (--record) and the unresolved problems they reveal. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "store.h"
#include "survey.h"

static const char usage_text[] =
	"usage: survey-send [--db FILE] [--config FILE] [--no-widget] [-n|--dry-run] [options]\n"
	"                   [FILE...]\n"
	"       survey-send --due [--db FILE] [--config FILE] [-n] [--now TIME]\n"
	"       survey-send --record [--db FILE] [--config FILE] [-n] [options] [FILE...]\n"
	"       survey-send --resolve ID [--note TEXT] [--db FILE]\n"
	"       survey-send --problems [--limit N] [--db FILE]\n"
	"Ended sessions in, each with its survey chain started (and a show_feedback_modal\n"
	"line for the widget); --due sends the steps that are due (for cron, every minute);\n"
	"--record takes answers; --resolve and --problems list unresolved problems.\n"
	"  --db FILE         the store (default $ESC_DB or ./esc.db)\n"
	"  --config FILE     settings (default share/survey/survey.json)\n"
	"  --no-widget       start the chains at the call: no modal is shown\n"
	"  --due             send or skip every step that is due\n"
	"  --record          read answers and meeting joins\n"
	"  --resolve ID      mark problem ID resolved and list the people to tell\n"
	"  --note TEXT       with --resolve: what fixed it\n"
	"  --problems        list the open problems, most affected people first\n"
	"  --limit N         with --problems: at most N (default 20)\n"
	"  -n, --dry-run     say what would happen: send nothing, store nothing\n"
	ESC_COMMON_USAGE;

enum { O_DB = ESC_OPT_TOOL, O_CONFIG, O_NO_WIDGET, O_DUE, O_RECORD, O_RESOLVE, O_NOTE,
	O_PROBLEMS, O_LIMIT };
enum mode { M_SESSIONS, M_DUE, M_RECORD, M_RESOLVE, M_PROBLEMS };

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(ESC_EXIT_USAGE);
}

/* A whole number >= min from an option. */
static long long
number(const char *opt, const char *arg, long long min)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!*arg || *end || errno || v < min) {
		esc_diag("error", NULL, 0, "%s: not a whole number >= %lld: %s", opt, min, arg);
		usage();
	}
	return v;
}

/* --resolve and --problems: B's JSON lines from the store. */
static int
problems(const char *dbpath, enum mode m, long long id, const char *note, long limit)
{
	struct esc_err err = { 0 };
	struct esc_buf out = { 0 };
	struct sqlite3 *db;
	int rc = ESC_EXIT_OK;
	long n;

	/* there is nothing to list or resolve in a store that is not there */
	if (!(db = esc_store_open(dbpath, ESC_STORE_READ, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	n = m == M_RESOLVE ? esc_problem_resolve(db, id, note, esc_time_now(), &out, &err) :
		esc_problem_list(db, limit, &out, &err);
	if (n < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		rc = err.code ? err.code : ESC_EXIT_STORE;
	} else if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len)
		rc = ESC_EXIT_IO;
	if (esc_fshut(stdout, "standard output") < 0 && rc == ESC_EXIT_OK)
		rc = ESC_EXIT_IO;
	esc_buf_free(&out);
	esc_store_close(db);
	return rc;
}

static int
chains(struct esc_common *common, const char *dbpath, const struct esc_survey_opts *so,
	enum mode m, int argc, char **argv)
{
	struct esc_err err = { 0 };
	struct esc_survey *s;
	struct sqlite3 *db;
	unsigned long n;
	int rc;

	if (!(db = esc_store_open_dry(dbpath, so->dry_run, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return ESC_EXIT_STORE;
	}
	if (!(s = esc_survey_new(db, so, &err))) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		esc_store_close(db);
		return err.code ? err.code : ESC_EXIT_DATA;
	}
	if (m == M_DUE) {
		rc = ESC_EXIT_OK;
		if (esc_survey_due(s, stdout, &err) < 0) {
			esc_diag("error", NULL, 0, "%s", err.msg);
			rc = err.code ? err.code : ESC_EXIT_STORE;
		}
		if (esc_fshut(stdout, "standard output") < 0 && rc == ESC_EXIT_OK)
			rc = ESC_EXIT_IO;
	} else {
		common->sync = esc_survey_sync;
		rc = esc_run(common, argc, argv, m == M_RECORD ? esc_survey_record_line :
			esc_survey_line, s);
	}
	/* failed sends are kept and tried again, but the run says so */
	if ((n = esc_survey_net_failures(s))) {
		esc_diag("warning", NULL, 0, "%lu send%s failed: see the messages above", n,
			n == 1 ? "" : "s");
		if (rc == ESC_EXIT_OK || rc == ESC_EXIT_INPUT)
			rc = ESC_EXIT_NET;
	}
	if (esc_survey_held(s))
		esc_diag("warning", NULL, 0, "stopped early: a send started now could outlast "
			"claim_grace; what is still due is left for the next run");
	if ((n = esc_survey_stuck(s))) {
		esc_diag("warning", NULL, 0, "%lu send%s cut short by a crash: never sent again, "
			"see the messages above", n, n == 1 ? "" : "s");
		if (rc == ESC_EXIT_OK || rc == ESC_EXIT_INPUT)
			rc = ESC_EXIT_NET;
	}
	if (esc_survey_free(s, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		rc = ESC_EXIT_STORE;
	}
	esc_store_close(db);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ESC_COMMON_LONGOPTS,
		{ "db", required_argument, 0, O_DB },
		{ "config", required_argument, 0, O_CONFIG },
		{ "no-widget", no_argument, 0, O_NO_WIDGET },
		{ "due", no_argument, 0, O_DUE },
		{ "record", no_argument, 0, O_RECORD },
		{ "resolve", required_argument, 0, O_RESOLVE },
		{ "note", required_argument, 0, O_NOTE },
		{ "problems", no_argument, 0, O_PROBLEMS },
		{ "limit", required_argument, 0, O_LIMIT },
		{ "dry-run", no_argument, 0, 'n' },
		{ 0, 0, 0, 0 },
	};
	struct esc_common common = { .store = 1 };
	struct esc_survey_opts so = { 0 };
	const char *dbopt = NULL, *note = NULL;
	long long id = 0, limit = 20;
	int opt, rc, modes = 0, have_limit = 0;
	enum mode m = M_SESSIONS;

	esc_prog = "survey-send";
	argv[0] = (char *)esc_prog;
	while ((opt = getopt_long(argc, argv, "hVn", longopts, NULL)) != -1) {
		if (esc_common_opt(&common, opt, optarg))
			continue;
		switch (opt) {
		case O_DB: dbopt = optarg; break;
		case O_CONFIG: so.config = optarg; break;
		case O_NO_WIDGET: so.no_widget = 1; break;
		case O_DUE: m = M_DUE; modes++; break;
		case O_RECORD: m = M_RECORD; modes++; break;
		case O_RESOLVE:
			m = M_RESOLVE;
			modes++;
			id = number("--resolve", optarg, 1);
			break;
		case O_NOTE: note = optarg; break;
		case O_PROBLEMS: m = M_PROBLEMS; modes++; break;
		case O_LIMIT: limit = number("--limit", optarg, 1); have_limit = 1; break;
		case 'n': so.dry_run = 1; break;
		case 'h': fputs(usage_text, stdout); return ESC_EXIT_OK;
		case 'V': puts("survey-send " ESC_VERSION); return ESC_EXIT_OK;
		default: usage();
		}
	}
	if (modes > 1) {
		esc_diag("error", NULL, 0, "--due, --record, --resolve and --problems: one at a time");
		usage();
	}
	if ((m == M_DUE || m == M_RESOLVE || m == M_PROBLEMS) && optind < argc) {
		esc_diag("error", NULL, 0, "--due, --resolve and --problems read the store, "
			"not files");
		usage();
	}
	if (note && m != M_RESOLVE) {
		esc_diag("error", NULL, 0, "--note goes with --resolve");
		usage();
	}
	if (have_limit && m != M_PROBLEMS) {
		esc_diag("error", NULL, 0, "--limit goes with --problems");
		usage();
	}
	if (so.no_widget && m != M_SESSIONS) {
		esc_diag("error", NULL, 0, "--no-widget is for sessions, not --due, --record, "
			"--resolve or --problems");
		usage();
	}
	if ((m == M_RESOLVE || m == M_PROBLEMS) && (so.dry_run || so.config)) {
		esc_diag("error", NULL, 0, "--dry-run and --config do not go with --resolve or "
			"--problems");
		usage();
	}
	if ((rc = esc_common_apply(&common)))
		return rc;
	if (m == M_RESOLVE || m == M_PROBLEMS)
		return problems(esc_store_path(dbopt), m, id, note, (long)limit);
	return chains(&common, esc_store_path(dbopt), &so, m, argc - optind, argv + optind);
}
