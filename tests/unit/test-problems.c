/* test-problems.c — the similarity of problem descriptions (folding,
 * stop words, stemming, cosine), and de-duplication against a real store:
 * candidates from the full-text index, the threshold, users and attempts. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "survey.h"
#include "tap.h"

static double
sim(const char *a, const char *b)
{
	return esc_problem_similarity(a, b);
}

static void
similarity(void)
{
	double s;

	is_double(sim("The app crashes when I upload a photo", "The app crashes when I upload a photo"),
		1, 0, "identical texts: 1");
	is_double(sim("payment page shows an error", "an error shows payment page"), 1, 0,
		"the same words in another order: 1");
	ok(sim("App crashes on photo upload", "app crashed on photo uploads!") >= 0.85,
		"plural, tense, case and punctuation variants: >= 0.85");
	ok(sim("Cannot reset my password", "can't reset password.") >= 0.85,
		"an apostrophe and stop words do not matter");
	ok(sim("Replies are not delivered", "reply not delivering") >= 0.85,
		"-ies, -ed and -ing endings meet their stems");
	ok(sim("I was charged twice for my subscription", "double charge on the subscription") < 0.85,
		"different words for the same thing stay apart (no synonyms)");
	ok(sim("The app crashes when I upload a photo", "How do I change my billing address?") < 0.3,
		"unrelated texts: < 0.3 (got %.3f)",
		sim("The app crashes when I upload a photo", "How do I change my billing address?"));
	is_double(sim("password reset email never arrives", "invoice shows wrong currency"), 0, 0,
		"no word in common: 0");
	is_double(sim("", "anything at all"), 0, 0, "an empty text: 0");
	is_double(sim("", ""), 0, 0, "two empty texts: 0 (nothing to compare)");
	is_double(sim("the and of it", "the and of it"), 0, 0, "stop words only: nothing to compare");
	is_double(sim(NULL, "x"), 0, 0, "NULL counts as empty");
	s = sim("Login fails with error 500", "login failing: error 500 again");
	ok(s >= 0.8 && s < 1, "a real pair, one word more: %.3f in [0.8, 1)", s);
	s = sim("Café menu doesn't load", "café menu does not load");
	ok(s >= 0.85, "UTF-8 words are kept whole: %.3f", s);
	ok(sim("Café", "Cafe") < 0.5, "UTF-8 bytes are not folded to ASCII");
	s = sim("Export to CSV times out for large reports", "CSV export times out on big reports");
	ok(s >= 0.7 && s < 0.85, "a near pair under the default threshold: %.3f", s);
	is_double(sim("Stopped syncing", "stop sync"), 1, 0, "doubled consonants: stopped -> stop");
	is_double(sim("billing bills", "bill bill"), 1, 0, "bill keeps its double l");
}

static sqlite3 *
store(char *path)
{
	struct esc_err err = { 0 };
	sqlite3 *db;
	int fd = mkstemp(path);

	if (fd < 0)
		return NULL;
	close(fd);
	if (!(db = esc_store_open(path, ESC_STORE_WRITE, &err)))
		diag("store: %s", err.msg);
	return db;
}

static long long
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
dedup(void)
{
	char path[64] = "/tmp/test-problems.XXXXXX", side[80];
	struct esc_err err = { 0 };
	long long a = 0, b = 0, c = 0, d = 0;
	double s = 0;
	int fresh = 0, rc;
	sqlite3 *db = store(path);

	if (!db) {
		ok(0, "a store to test in");
		return;
	}
	ok(esc_problem_add(db, 0.85, "The app crashes when I upload a photo", "alice", "s1", 1000,
		&a, &fresh, &s, &err) == 0 && fresh, "a first report opens a problem");
	ok(esc_problem_add(db, 0.85, "app crashing when uploading photos on android", "bob", "s2",
		1001, &b, &fresh, &s, &err) == 0 && !fresh && b == a,
		"a similar one by another person is the same problem");
	ok(s >= 0.85 && s < 1, "its similarity is reported: %.3f", s);
	ok(esc_problem_add(db, 0.85, "THE APP CRASHES WHEN I UPLOAD A PHOTO!", "alice", "s3", 1002,
		&c, &fresh, &s, &err) == 0 && c == a && s == 1,
		"the same text, normalised, matches exactly");
	is_int(count(db, "SELECT affected_users FROM problems WHERE id = 1"), 2, "two people");
	is_int(count(db, "SELECT attempts FROM problems WHERE id = 1"), 3, "three attempts");
	is_int(count(db, "SELECT attempts FROM problem_users WHERE customer_id = 'alice'"), 2,
		"alice's attempts");
	ok(esc_problem_add(db, 0.85, "I was charged twice this month", "carol", "s4", 1003,
		&d, &fresh, &s, &err) == 0 && fresh && d != a, "a dissimilar one is a new problem");
	ok(esc_problem_add(db, 0.99, "photo upload crashes the app on android", "dave", "s5", 1004,
		&b, &fresh, &s, &err) == 0 && fresh && b != a, "a threshold of 0.99 splits them");
	ok(esc_problem_add(db, 0.85, "\"OR\" AND NEAR( * ^ -", "eve", "s6", 1005, &c, &fresh, &s,
		&err) == 0 && fresh, "FTS5 syntax in a text is data: %s", err.msg);
	ok(esc_problem_add(db, 0.85, "", "eve", "s7", 1006, &c, &fresh, &s, &err) == 0 && fresh,
		"a text with no words opens its own problem");
	ok(esc_problem_add(db, 0.85, "", "frank", "s8", 1007, &d, &fresh, &s, &err) == 0 && !fresh &&
		d == c, "the same empty text is the same problem");
	sqlite3_exec(db, "UPDATE problems SET status = 'resolved' WHERE id = 1", NULL, NULL, NULL);
	rc = esc_problem_add(db, 0.85, "The app crashes when I upload a photo", "alice", "s9", 1008,
		&c, &fresh, &s, &err);
	ok(rc == 0 && c != a, "a resolved problem is not counted again (problem %lld)", c);
	esc_store_close(db);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

int
main(void)
{
	plan(31);
	similarity();
	dedup();
	return done();
}
