/* problems.c — unresolved problems (seed 002): what people said the AI
 * did not solve, de-duplicated so that one problem counts its people and
 * its attempts once, and resolved problems name the people to tell.
 *
 * Two descriptions are the same problem when the cosine of their word
 * counts reaches the threshold (0.85 by default). Words are folded to
 * lower case (ASCII; UTF-8 bytes are kept as they are, as parts of
 * words), stop words dropped and plural and verb endings stemmed, so
 * "The app crashes on upload" and "app crashing when uploading" meet.
 * Candidates come from the full-text index (problems_fts): a prefix query
 * of each stem, since the index holds the words as written, not stemmed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "survey-int.h"

/* the distinct stems a full-text query asks for at most: a long text's
 * first ones find its candidates well enough */
#define QUERY_TERMS 64

static const char *const stop_words[] = {
	"a", "about", "after", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been",
	"but", "by", "can", "cannot", "could", "couldn", "did", "didn", "do", "does", "doesn",
	"don", "for", "from", "had", "has", "have",
	"he", "her", "his", "how", "i", "if", "in", "into", "is", "isn", "it", "its", "just", "me",
	"my", "no", "not", "of", "on", "or", "our", "she", "so", "still", "that", "the",
	"their", "them", "then", "there", "they", "this", "to", "too", "us", "was", "wasn",
	"we", "were", "what", "when", "which", "while", "who", "will", "with", "would", "you", "your",
};

/* ---- words ---- */

struct terms {
	char **v;
	size_t n, cap;
};

static void
terms_free(struct terms *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_stop(const char *w)
{
	return bsearch(&w, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
		cmp_str) != NULL;
}

static int
ends(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n > k && !memcmp(w + n - k, suf, k);
}

static int
consonant(char c)
{
	return c >= 'a' && c <= 'z' && !strchr("aeiouy", c);
}

/* Light stemming, in place: replies -> reply, crashes -> crash, fails ->
 * fail, uploading / uploaded -> upload, logged -> log; then a final e goes,
 * so charge, charged and charging all end as charg. Only ASCII endings are
 * touched. Returns the new length. */
static size_t
stem(char *w, size_t n)
{
	size_t m = n;

	if (ends(w, n, "ies") && n > 4) {
		w[n - 3] = 'y';
		m = n - 2;
	} else if (n > 4 && (ends(w, n, "sses") || ends(w, n, "shes") || ends(w, n, "ches") ||
	    ends(w, n, "xes") || ends(w, n, "zes"))) {
		m = n - 2;
	} else if (ends(w, n, "ing") && n > 5) {
		m = n - 3;
	} else if (ends(w, n, "ed") && n > 4) {
		m = n - 2;
	} else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' &&
	    w[n - 2] != 'i') {
		m = n - 1;
	}
	/* stopped -> stopp -> stop, but bill and pass keep their pairs */
	if (m < n && m > 3 && (ends(w, n, "ing") || ends(w, n, "ed")) && w[m - 1] == w[m - 2] &&
	    consonant(w[m - 1]) && !strchr("lsz", w[m - 1]))
		m--;
	if (m > 3 && w[m - 1] == 'e')
		m--;
	w[m] = '\0';
	return m;
}

/* The text's stems, in order. 0, or -1 when out of memory. */
static int
split(const char *s, struct terms *t)
{
	const unsigned char *p = (const unsigned char *)s;
	char **nv, *w;
	size_t n, i;

	t->v = NULL;
	t->n = t->cap = 0;
	while (*p) {
		/* a word: ASCII letters and digits, and every byte of a UTF-8 sequence */
		for (n = 0; p[n] && (p[n] >= 0x80 || (p[n] >= '0' && p[n] <= '9') ||
		    (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z')); n++)
			;
		if (!n) {
			p++;
			continue;
		}
		if (!(w = malloc(n + 1)))
			goto oom;
		for (i = 0; i < n; i++)
			w[i] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') : (char)p[i];
		w[n] = '\0';
		p += n;
		/* a stop word, or a letter left alone by an apostrophe (it's) */
		if (is_stop(w) || (n == 1 && w[0] >= 'a' && w[0] <= 'z')) {
			free(w);
			continue;
		}
		stem(w, n);
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 16;
			if (!(nv = realloc(t->v, t->cap * sizeof *nv))) {
				free(w);
				goto oom;
			}
			t->v = nv;
		}
		t->v[t->n++] = w;
	}
	return 0;
oom:
	terms_free(t);
	return -1;
}

/* Cosine of two sorted lists of stems, as count vectors. */
static double
cosine(struct terms *a, struct terms *b)
{
	double dot = 0, na = 0, nb = 0, c;
	size_t i = 0, j = 0, ka, kb;
	int d;

	while (i < a->n || j < b->n) {
		ka = kb = 0;
		d = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
		if (d <= 0)
			for (ka = 1; i + ka < a->n && !strcmp(a->v[i + ka], a->v[i]); ka++)
				;
		if (d >= 0)
			for (kb = 1; j + kb < b->n && !strcmp(b->v[j + kb], b->v[j]); kb++)
				;
		dot += (double)ka * (double)kb;
		na += (double)ka * (double)ka;
		nb += (double)kb * (double)kb;
		i += ka;
		j += kb;
	}
	if (na == 0 || nb == 0)
		return 0;
	c = dot / sqrt(na * nb);
	return c > 1 ? 1 : c < 0 ? 0 : c;
}

double
esc_problem_similarity(const char *a, const char *b)
{
	struct terms ta, tb;
	double c;

	if (split(a ? a : "", &ta) < 0)
		return 0;
	if (split(b ? b : "", &tb) < 0) {
		terms_free(&ta);
		return 0;
	}
	/* an empty list has no array: qsort must not see its NULL */
	if (ta.n)
		qsort(ta.v, ta.n, sizeof *ta.v, cmp_str);
	if (tb.n)
		qsort(tb.v, tb.n, sizeof *tb.v, cmp_str);
	c = cosine(&ta, &tb);
	terms_free(&ta);
	terms_free(&tb);
	return c;
}

/* ---- the store ---- */

/* The normalised text (its stems, in order, space-separated) into b, and
 * its query for the full-text index into q: each distinct stem as a
 * quoted prefix, joined by OR. A stem ending in y stands for the -ies
 * form too, so the y goes from the prefix. */
static void
normalise(struct terms *t, struct esc_buf *b, struct esc_buf *q)
{
	char **v;
	size_t i, k, n;

	for (i = 0; i < t->n; i++) {
		if (i)
			esc_buf_putc(b, ' ');
		esc_buf_puts(b, t->v[i]);
	}
	esc_buf_putc(b, '\0');
	if (!(v = malloc((t->n ? t->n : 1) * sizeof *v))) {
		esc_buf_oom = 1;
		return;
	}
	if (t->n) {
		memcpy(v, t->v, t->n * sizeof *v);
		qsort(v, t->n, sizeof *v, cmp_str);
	}
	for (i = k = 0; i < t->n && k < QUERY_TERMS; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		n = strlen(v[i]);
		if (n > 3 && v[i][n - 1] == 'y')
			n--;
		esc_buf_puts(q, k++ ? " OR \"" : "\"");
		esc_buf_put(q, v[i], n);
		esc_buf_puts(q, "\"*");
	}
	esc_buf_putc(q, '\0');
	free(v);
}

/* The open problem that description is (exactly, by its normalised hash,
 * or the most similar candidate at or over threshold): 1 with *id and
 * *sim, 0 with the best similarity seen in *sim, -1 with err. */
static int
find(sqlite3 *db, double threshold, const char *description, const char *hash,
	const char *query, long long *id, double *sim, struct esc_err *err)
{
	sqlite3_stmt *st;
	double best = 0, c;
	long long best_id = 0;
	int rc;

	*sim = 0;
	if (!(st = esc_survey_prepare(db,
	    "SELECT id FROM problems WHERE hash = ?1 AND status = 'unresolved' "
	    "ORDER BY id LIMIT 1", err)))
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW) {
		*sim = 1;
		return 1;
	}
	if (rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	if (!*query)
		return 0;
	/* the query is bound, never spliced into the SQL: stems are data */
	if (!(st = esc_survey_prepare(db, "SELECT p.id, p.description FROM problems_fts f "
	    "JOIN problems p ON p.id = f.rowid WHERE problems_fts MATCH ?1 "
	    "AND p.status = 'unresolved' ORDER BY f.rank LIMIT 50", err)))
		return -1;
	sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = esc_problem_similarity(description, (const char *)sqlite3_column_text(st, 1));
		if (c > best) {
			best = c;
			best_id = sqlite3_column_int64(st, 0);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	*sim = best;
	if (best_id && best >= threshold) {
		*id = best_id;
		return 1;
	}
	return 0;
}

int
esc_problem_add(sqlite3 *db, double threshold, const char *description, const char *customer,
	const char *session, time_t at, long long *id, int *is_new, double *similarity,
	struct esc_err *err)
{
	struct esc_buf norm = { 0 }, query = { 0 };
	char hash[ESC_HASH_LEN + 1];
	struct terms t;
	sqlite3_stmt *st;
	int found, known = 0, rc = -1;

	*is_new = 0;
	if (split(description, &t) < 0) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	normalise(&t, &norm, &query);
	terms_free(&t);
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		goto done;
	}
	esc_token_hash(norm.p, norm.len - 1, hash);
	if ((found = find(db, threshold, description, hash, query.p, id, similarity, err)) < 0)
		goto done;
	if (found) {
		if (!(st = esc_survey_prepare(db, "SELECT 1 FROM problem_users WHERE problem_id = ?1 AND "
		    "customer_id = ?2", err)))
			goto done;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
		known = sqlite3_step(st);
		sqlite3_finalize(st);
		if (known != SQLITE_ROW && known != SQLITE_DONE) {
			esc_survey_store_fail(db, err);
			goto done;
		}
		known = known == SQLITE_ROW;
		if (!(st = esc_survey_prepare(db, "UPDATE problems SET attempts = attempts + 1, "
		    "affected_users = affected_users + ?2, last_session_id = ?3, updated_at = ?4 "
		    "WHERE id = ?1", err)))
			goto done;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int(st, 2, !known);
		sqlite3_bind_text(st, 3, session, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
	} else {
		if (!(st = esc_survey_prepare(db,
		    "INSERT INTO problems (description, hash, first_session_id, "
		    "last_session_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3, ?4, ?4)", err)))
			goto done;
		sqlite3_bind_text(st, 1, description, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, session, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
	}
	if (esc_survey_once(db, st, err) < 0)
		goto done;
	if (!found) {
		*id = sqlite3_last_insert_rowid(db);
		*is_new = 1;
	}
	if (!(st = esc_survey_prepare(db,
	    "INSERT INTO problem_users (problem_id, customer_id, session_id, "
	    "first_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (problem_id, customer_id) DO UPDATE "
	    "SET attempts = attempts + 1, session_id = excluded.session_id", err)))
		goto done;
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, session, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
	rc = esc_survey_once(db, st, err) < 0 ? -1 : 0;
done:
	esc_buf_free(&norm);
	esc_buf_free(&query);
	return rc;
}

/* ---- --resolve and --problems ---- */

static void
put_str(struct esc_buf *b, const char *key, const unsigned char *v)
{
	esc_buf_printf(b, ",\"%s\":", key);
	if (v)
		esc_buf_json_str(b, (const char *)v, strlen((const char *)v));
	else
		esc_buf_puts(b, "null");
}

static void
put_time(struct esc_buf *b, const char *key, sqlite3_stmt *st, int col)
{
	char t[32];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		esc_buf_printf(b, ",\"%s\":null", key);
	else
		esc_buf_printf(b, ",\"%s\":\"%s\"", key,
			esc_time_format((time_t)sqlite3_column_int64(st, col), t, sizeof t));
}

long
esc_problem_resolve(sqlite3 *db, long long id, const char *note, time_t now, struct esc_buf *out,
	struct esc_err *err)
{
	/* one unit, inside a dry run's transaction too */
	struct esc_survey_tx tx = { 0 };
	const unsigned char *email, *phone;
	sqlite3_stmt *st;
	int rc, sms, calls;
	long people = 0;

	if (esc_survey_begin(db, &tx, err) < 0)
		return -1;
	if (!(st = esc_survey_prepare(db, "UPDATE problems SET status = 'resolved', "
	    "resolution = coalesce(?2, resolution), resolved_at = coalesce(resolved_at, ?3), "
	    "updated_at = ?3 WHERE id = ?1", err)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	esc_survey_bind_text(st, 2, note);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if ((rc = esc_survey_once(db, st, err)) < 0)
		goto fail;
	if (rc == 0) {
		esc_err_set(err, "no problem %lld", id);
		err->code = ESC_EXIT_NONE;
		goto fail;
	}
	/* the people to tell, and how: only by the channels they consented to */
	if (!(st = esc_survey_prepare(db, "SELECT u.customer_id, c.name, c.email, c.phone, "
	    "coalesce(c.consent_email, 0), coalesce(c.consent_sms, 0), coalesce(c.consent_calls, 0) "
	    "FROM problem_users u LEFT JOIN contacts c ON c.customer_id = u.customer_id "
	    "WHERE u.problem_id = ?1 ORDER BY u.first_at, u.customer_id", err)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		email = sqlite3_column_int(st, 4) ? sqlite3_column_text(st, 2) : NULL;
		sms = sqlite3_column_int(st, 5) && sqlite3_column_type(st, 3) != SQLITE_NULL;
		calls = sqlite3_column_int(st, 6) && sqlite3_column_type(st, 3) != SQLITE_NULL;
		phone = sms || calls ? sqlite3_column_text(st, 3) : NULL;
		esc_buf_printf(out, "{\"problem_id\":%lld", id);
		put_str(out, "customer_id", sqlite3_column_text(st, 0));
		put_str(out, "name", sqlite3_column_text(st, 1));
		if (email)
			put_str(out, "email", email);
		if (phone)
			put_str(out, "phone", phone);
		esc_buf_printf(out, ",\"channels\":[%s%s%s%s%s]}\n", email ? "\"email\"" : "",
			email && sms ? "," : "", sms ? "\"sms\"" : "",
			(email || sms) && calls ? "," : "", calls ? "\"calls\"" : "");
		people++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		esc_survey_store_fail(db, err);
		goto fail;
	}
	if (!(st = esc_survey_prepare(db,
	    "UPDATE problem_users SET notified_at = ?2 WHERE problem_id = ?1", err)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (esc_survey_once(db, st, err) < 0 || esc_survey_commit(&tx, err) < 0)
		goto fail;
	return people;
fail:
	esc_survey_rollback(&tx);
	return -1;
}

long
esc_problem_list(sqlite3 *db, long limit, struct esc_buf *out, struct esc_err *err)
{
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	if (!(st = esc_survey_prepare(db,
	    "SELECT id, description, affected_users, attempts, created_at, "
	    "updated_at FROM problems WHERE status = 'unresolved' "
	    "ORDER BY affected_users DESC, attempts DESC, id LIMIT ?1", err)))
		return -1;
	sqlite3_bind_int64(st, 1, limit > 0 ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		esc_buf_printf(out, "{\"problem_id\":%lld", (long long)sqlite3_column_int64(st, 0));
		put_str(out, "description", sqlite3_column_text(st, 1));
		esc_buf_printf(out, ",\"affected_users\":%lld,\"attempts\":%lld",
			(long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3));
		put_time(out, "first_seen", st, 4);
		put_time(out, "last_seen", st, 5);
		esc_buf_puts(out, "}\n");
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return esc_survey_store_fail(db, err);
	return n;
}
