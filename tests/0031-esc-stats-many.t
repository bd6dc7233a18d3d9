#!/bin/sh
# esc-stats over many store files: more than SQLite attaches at once (it
# reads 11 together: one, and 10 attached). One store holds a year of
# every kind of row the report reads (scripts/gen-store's escalations and
# questions, and survey handovers, events, journeys, recommendations,
# opportunities, survey chains and problems made by the sqlite3 shell);
# the same rows are then split into 12 monthly files and into 25 shards by
# id, each row keeping its id. Every section, in every format, with and
# without --by and a window, must be what the one store gives, byte for
# byte, apart from what names the files; --alerts over the files must be
# each file's own alerts, recorded in it, once. And the errors of a bad
# file among many are as clear as among few.
. "$(dirname "$0")/lib.sh"

plan 63

command -v sqlite3 > /dev/null 2>&1 || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }

W=$T/whole.db
NOW=2026-03-01T00:00:00Z
# the year before $NOW, 2025-03-01 to 2026-03-01: T0 and its end
T0=1740787200
sq() { sqlite3 "$W" "$@"; }

# ---- the one store ---------------------------------------------------------------------
ESC_NOW=$NOW "$top/scripts/gen-store" 1500 "$W" 5 > /dev/null 2> "$T/err"
ok $? "gen-store: a year of 1500 escalations"
# h(i, k): a number 0..999 of i, different for each k
sq > "$T/err" 2>&1 <<EOF
CREATE TEMP VIEW n AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 399)
	SELECT i FROM n;
CREATE TEMP VIEW h AS SELECT i, (i * 2654435761 + 40503) % 1000 AS a, (i * 40503 + 7919) % 1000 AS b,
	(i * 7919 + 104729) % 1000 AS c FROM n;
BEGIN;
-- survey-send's handovers: a question and an escalation each, 12 days apart
INSERT INTO questions (message_id, conversation_id, user_id, created_at, route, tier, logged_at)
	SELECT 'survey:s' || i, 'hc' || i, 'hu' || i, $T0 + i * 12 * 86400 + 3600, 'human', NULL, 0
	FROM n WHERE i < 30;
INSERT INTO escalations (question_id, message_id, conversation_id, user_id, question, route,
	reason, reasons, alerts, severity, status, agent, playbook, created_at, first_response_at,
	resolved_at, outcome, first_response_due, resolution_due, updated_at)
	SELECT q.id, q.message_id, q.conversation_id, q.user_id, 'it did not help', 'human',
		'ai_failure', '["ai_failure"]', '[]', 'high',
		CASE WHEN h.a < 700 THEN 'resolved' ELSE 'open' END,
		CASE WHEN h.a < 700 THEN 'hana' END, 'service_quality', q.created_at,
		CASE WHEN h.a < 700 THEN q.created_at + 600 + h.b * 9 END,
		CASE WHEN h.a < 700 THEN q.created_at + 7200 + h.c * 40 END,
		CASE WHEN h.a < 700 THEN 'resolved' END,
		q.created_at + 3600, q.created_at + 28800, q.created_at + 7200 + h.c * 40
	FROM questions q JOIN h ON h.i = CAST(substr(q.message_id, 9) AS INTEGER)
	WHERE q.message_id >= 'survey:' AND q.message_id < 'survey;';
-- conversions no escalation was found for, and notes on some escalations
INSERT INTO events (event_id, escalation_id, type, at, user_id, offer, value, body, logged_at)
	SELECT 'cv' || i, NULL, 'conversion', $T0 + i * 9 * 86400 + a * 60, 'nobody' || i, 'course',
		97 + b % 3 * 100, '{}', 0 FROM h WHERE i < 40;
INSERT INTO events (event_id, escalation_id, type, at, note, body, logged_at)
	SELECT 'nt' || id, id, 'note', created_at + 600, 'called back', '{}', 0
	FROM escalations WHERE id % 7 = 0;
-- 300 customers' journeys, a day and a bit apart
INSERT INTO interactions (event_id, customer_id, type, session_id, at, logged_at)
	SELECT 'i' || i || '-' || k, 'k' || i, t, 's' || i, $T0 + i * 100000 + d, 0
	FROM h JOIN (SELECT 0 AS k, 'intake_submitted' AS t, 0 AS d UNION ALL
		SELECT 1, 'session_started', 3600 UNION ALL SELECT 2, 'session_completed', 7200 UNION ALL
		SELECT 3, 'upsell_shown', 7800 UNION ALL SELECT 4, 'upsell_clicked', 8400 UNION ALL
		SELECT 5, 'summary_viewed', 7300 UNION ALL SELECT 6, 'intake_submitted', 20 * 86400)
	WHERE i < 300 AND (k = 0 OR (k = 1 AND a >= 200) OR (k IN (2, 5) AND a >= 200 AND b >= 150) OR
		(k = 3 AND a >= 200 AND b >= 150 AND c >= 300) OR
		(k = 4 AND a >= 200 AND b >= 150 AND c >= 600) OR (k = 6 AND i % 11 = 0));
INSERT INTO recommendations (customer_id, session_id, type, title, price_cents, currency,
	created_at, shown_at, clicked_at, dismissed_at, purchased_at, revenue_cents)
	SELECT 'k' || i, 's' || i,
		CASE c % 3 WHEN 0 THEN 'diagnostic_package' WHEN 1 THEN 'follow_up' ELSE 'video_upgrade' END,
		'T', 4900, 'USD', $T0 + i * 100000 + 7200,
		CASE WHEN c >= 300 THEN $T0 + i * 100000 + 7800 END,
		CASE WHEN c >= 600 THEN $T0 + i * 100000 + 8400 END,
		CASE WHEN c >= 300 AND c < 450 THEN $T0 + i * 100000 + 9000 END,
		CASE WHEN c >= 800 THEN $T0 + i * 100000 + 10800 END,
		CASE WHEN c >= 800 THEN 4900 + a % 5 * 1000 END
	FROM h WHERE i < 300 AND a >= 200 AND b >= 150;
INSERT INTO opportunities (alert_id, account_id, customer_id, metric, value, threshold, severity,
	automation, state, plan, estimated_value, plan_json, plan_source, created_at, updated_at)
	SELECT 'ua' || i, 'acct' || i % 9, 'k' || (i * 7 % 300), 'api_calls', 1500 + i, 1000,
		CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END,
		CASE i % 4 WHEN 0 THEN 'human' WHEN 3 THEN 'full' ELSE 'hybrid' END,
		CASE a % 5 WHEN 0 THEN 'drafted' WHEN 1 THEN 'sent' WHEN 2 THEN 'waiting'
			WHEN 3 THEN 'meeting' ELSE 'closed' END,
		'pro', i * 250 + 0.5, '{}', 'rules', $T0 + i * 8 * 86400, $T0 + i * 8 * 86400
	FROM h WHERE i < 45;
-- 160 survey chains: the steps reached, how they ended
INSERT INTO surveys (session_id, customer_id, ended_at, state, step, method, answered_at,
	problem_solved, rating, nps, created_at, updated_at)
	SELECT 'ss' || i, 'k' || i % 300, $T0 + i * 190000,
		CASE WHEN a < 500 THEN 'answered' WHEN a < 650 THEN 'declined'
			WHEN a < 850 THEN 'exhausted' ELSE 'open' END,
		CASE i % 4 WHEN 0 THEN 'in_widget' WHEN 1 THEN 'ai_call' WHEN 2 THEN 'sms_link' ELSE 'email_link' END,
		CASE WHEN a < 500 THEN CASE i % 4 WHEN 0 THEN 'in_widget' WHEN 1 THEN 'ai_call'
			WHEN 2 THEN 'sms_link' ELSE 'email_link' END END,
		CASE WHEN a < 500 THEN $T0 + i * 190000 + 4000 END,
		CASE WHEN a < 500 THEN b % 2 END, CASE WHEN a < 500 THEN 1 + c % 5 END,
		CASE WHEN a < 500 THEN c % 11 END, $T0 + i * 190000, $T0 + i * 190000
	FROM h WHERE i < 160;
INSERT INTO survey_attempts (survey_id, customer_id, step, state, due_at, sent_at, used_at, tries)
	SELECT s.id, s.customer_id, st.name,
		CASE WHEN st.k = 0 THEN 'sent' ELSE CASE (s.id + st.k) % 5 WHEN 0 THEN 'skipped'
			WHEN 1 THEN 'failed' WHEN 2 THEN 'unconfirmed' ELSE 'sent' END END,
		s.ended_at + st.k * 3000, s.ended_at + st.k * 3000,
		CASE WHEN s.method = st.name THEN s.answered_at END, 1
	FROM surveys s JOIN (SELECT 0 AS k, 'in_widget' AS name UNION ALL SELECT 1, 'ai_call'
		UNION ALL SELECT 2, 'sms_link' UNION ALL SELECT 3, 'email_link') st
		ON st.k <= CASE s.step WHEN 'in_widget' THEN 0 WHEN 'ai_call' THEN 1
			WHEN 'sms_link' THEN 2 ELSE 3 END;
INSERT INTO survey_answers (attempt_id, survey_id, customer_id, method, problem_solved, rating,
	nps, refused, complete, digest, answered_at, logged_at)
	SELECT a.id, s.id, s.customer_id, a.step, s.problem_solved, s.rating, s.nps,
		s.state = 'declined', s.state = 'answered', 'd' || a.id, s.ended_at + 4000, 0
	FROM surveys s JOIN survey_attempts a ON a.survey_id = s.id AND a.step = s.step
	WHERE s.state IN ('answered', 'declined');
INSERT INTO problems (description, hash, status, affected_users, attempts, created_at, updated_at)
	SELECT 'problem number ' || i, 'h' || i, CASE WHEN i % 4 = 3 THEN 'resolved' ELSE 'unresolved' END,
		1 + a % 9, 1 + b % 13, $T0 + i * 14 * 86400, $T0 + i * 14 * 86400 + 86400
	FROM h WHERE i < 25;
COMMIT;
EOF
ok $? "the other rows: handovers, events, journeys, recommendations, opportunities, surveys, problems"

# ---- the same rows in many files ----------------------------------------------------------
tool esc-log --db "$T/empty.db" < /dev/null > /dev/null 2>> "$T/err"
TABLES="questions escalations events interactions recommendations opportunities surveys survey_attempts survey_answers problems"
# part FILE PREDICATE...: the rows of the one store that the predicates
# (one per table of $TABLES, in order) select, in a new store
part() {
	f=$1
	shift
	cp "$T/empty.db" "$f"
	{
		echo "ATTACH '$W' AS w; BEGIN;"
		for t in $TABLES; do
			echo "INSERT INTO $t SELECT * FROM w.$t WHERE $1;"
			shift
		done
		echo "COMMIT;"
	} | sqlite3 "$f"
}
mkdir "$T/m" "$T/s"
set --
for k in $(seq 0 11); do
	lo=$(sqlite3 :memory: "SELECT unixepoch('2025-03-01', '+$k months')")
	# the last month has the year's last second too
	hi=$(sqlite3 :memory: "SELECT unixepoch('2025-03-01', '+$((k + 1 + k / 11)) months')")
	within() { echo "$1 >= $lo AND $1 < $hi"; }
	part "$T/m/$(printf %02d "$k").db" "$(within created_at)" "$(within created_at)" \
		"escalation_id IN (SELECT id FROM main.escalations) OR (escalation_id IS NULL AND $(within at))" \
		"$(within at)" "$(within created_at)" "$(within created_at)" "$(within ended_at)" \
		"survey_id IN (SELECT id FROM main.surveys)" "survey_id IN (SELECT id FROM main.surveys)" \
		"$(within created_at)"
done
for k in $(seq 0 24); do
	part "$T/s/$(printf %02d "$k").db" "id % 25 = $k" "question_id % 25 = $k" \
		"escalation_id IN (SELECT id FROM main.escalations) OR (escalation_id IS NULL AND id % 25 = $k)" \
		"id % 25 = $k" "id % 25 = $k" "id % 25 = $k" "id % 25 = $k" "survey_id % 25 = $k" \
		"survey_id % 25 = $k" "id % 25 = $k"
done
# every row is in one file, and one only
counts() { # FILE...: the rows of every table, summed over the files
	for t in $TABLES; do
		for f in "$@"; do sqlite3 "$f" "SELECT count(*) FROM $t"; done |
			awk -v t="$t" '{ n += $1 } END { printf "%s:%d ", t, n }'
	done
}
whole=$(counts "$W")
is "$(counts "$T"/m/*.db)" "$whole" "12 monthly files hold the one store's rows, each once"
is "$(counts "$T"/s/*.db)" "$whole" "25 shards hold the one store's rows, each once"
note "$whole"

M=
for f in "$T"/m/*.db; do M="$M --db $f"; done
S=
for f in "$T"/s/*.db; do S="$S --db $f"; done

# ---- the report: the one store against 12 and 25 files ------------------------------------
# same DESC NORMALIZE OPTIONS...: the report of the one store and of the 12
# and the 25 files, each piped through NORMALIZE, must be the same bytes
same() {
	desc=$1 norm=$2
	shift 2
	run esc-stats --db "$W" --now "$NOW" "$@"
	[ "$rc" = 0 ] || echo "# the one store: exit $rc"
	sh -c "$norm" < "$T/out" > "$T/want"
	for set in m s; do
		eval "dbs=\$$(echo "$set" | tr ms MS)"
		# shellcheck disable=SC2086
		run esc-stats $dbs --now "$NOW" "$@"
		sh -c "$norm" < "$T/out" > "$T/got.$set"
		[ "$rc" = 0 ] || echo "# exit $rc" >> "$T/got.$set"
	done
	[ -s "$T/want" ] || echo "(empty)" > "$T/want"
	diff_ok "$T/got.m" "$T/want" "12 monthly files: $desc"
	diff_ok "$T/got.s" "$T/want" "25 shards: $desc"
}
DEL_DB="jq -c 'del(.db)'"
# -t, --csv, --html: the sections that do not name a file
NAMELESS="--section totals --section by --section sla --section leaderboard --section funnel
	--section upsell --section opportunities --section surveys --section survey_methods
	--section survey_funnel"
run esc-stats --db "$W" --now "$NOW"
is "$(jq -r .section "$T/out" | uniq | tr '\n' ' ')" \
	"totals by_offer by_reason by_tier by_template by_severity recent sla leaderboard funnel upsell opportunities surveys survey_methods survey_funnel problems " \
	"the one store's report has every section"
is "$(jq -c 'select(.section == "totals") | [.questions, .escalations, .unattributed_conversions]' "$T/out")" \
	"[10006,1530,40]" "... over all its rows"
same "the default report, every section (JSON; .db aside)" "$DEL_DB"
same "--by week" "$DEL_DB" --by week --surveys --section totals --section by --section sla --section leaderboard
same "--by month" "$DEL_DB" --by month --surveys --section totals --section by --section sla --section leaderboard
same "--by day, the totals" "$DEL_DB" --by day --section totals
same "--since, --until" "$DEL_DB" --since 2025-06-10 --until 2025-12-20T06:00:00Z
same "--since, --until, --by week" "$DEL_DB" --since 2025-06-10 --until 2025-12-20 --by week
same "--limit 40: recent and problems" "$DEL_DB" --section recent --section problems --limit 40
same "--customer" "$DEL_DB" --customer k132
# shellcheck disable=SC2086
same "-t, byte for byte" cat -t $NAMELESS
# shellcheck disable=SC2086
same "--csv, byte for byte" cat --csv $NAMELESS
# shellcheck disable=SC2086
same "--html, byte for byte but the files' names" \
	"sed 's/^<p class=\"meta\">Stores*: .*\\. Escalations created/<p class=\"meta\">Escalations created/'" \
	--html - $NAMELESS
# the rows that name their file name the right one: ids are the one store's
# shellcheck disable=SC2086
run esc-stats $S --now "$NOW" --section recent --limit 30
is "$(jq -r '"\(.db) \(.id)"' "$T/out" | while read -r f id; do
	sqlite3 "$f" "SELECT count(*) FROM escalations WHERE id = $id"; done | sort -u)" 1 \
	"25 shards: each recent row names the file that holds it"

# up to 11 files SQLite reads together, through views: the first eleven
# months, against the one store up to the twelfth
M11=
for f in "$T"/m/0*.db "$T"/m/10.db; do M11="$M11 --db $f"; done
run esc-stats --db "$W" --now "$NOW" --until 2026-02-01
jq -c 'del(.db)' "$T/out" > "$T/want"
# shellcheck disable=SC2086
run esc-stats $M11 --now "$NOW" --until 2026-02-01
jq -c 'del(.db)' "$T/out" > "$T/got"
diff_ok "$T/got" "$T/want" "11 monthly files (attached, nothing copied): the one store's report"

# --explain: the copy, and every query of the report on an index of it
# shellcheck disable=SC2086
run esc-stats $M --now "$NOW" --explain
is "$rc" 0 "--explain over 12 files: exit 0"
like "$(head -n 1 "$T/out")" "^-- 12 store files, more than SQLite attaches at once: their rows copied" \
	"... says the rows are copied first"
is "$(grep -c '^CREATE INDEX temp\.esc_' "$T/out")" 18 "... and indexed"
# (a subquery's rows, added up by the query around it, are not a table)
noidx() { grep -E '^ +(SCAN|SEARCH) ' "$1" | grep -v -E 'USING (COVERING )?INDEX|^ +(SCAN|SEARCH) \(subquery-[0-9]+\)$'; }
is "$(noidx "$T/out" | sort -u)" "" "... no table is read without an index"
# each section alone: only the tables it reads, and the indexes it reads
bad=
for sec in totals offer reason tier template severity recent sla leaderboard funnel upsell \
	opportunities surveys survey_methods survey_funnel problems; do
	for by in "" "--by week"; do
		# shellcheck disable=SC2086
		run esc-stats $M --now "$NOW" --explain --section $sec $by
		[ "$rc" = 0 ] && ! noidx "$T/out" | grep -q . ||
			bad="$bad $sec${by:+ $by}"
	done
done
is "$bad" "" "each section alone, with and without --by: every query on an index of the copy"
# shellcheck disable=SC2086
run esc-stats $M --now "$NOW" --explain --section recent
is "$(grep -c '^CREATE TEMP TABLE' "$T/out")/$(grep -c '^CREATE INDEX' "$T/out")" "1/1" \
	"--section recent: only the escalations copied, with the one index it reads"
# shellcheck disable=SC2086
run esc-stats $M11 --now "$NOW" --explain --section totals
is "$(grep -c 'copied' "$T/out")/$(grep -c 'SCAN db10\.escalations USING COVERING INDEX' "$T/out")" "0/1" \
	"11 files: nothing copied, each read where it is, on its own index"
# the counts by offer and the rest, the questions by tier, the SLA and the
# leaderboard: each file read on its own covering index, not every row of
# every file grouped together
# shellcheck disable=SC2086
run esc-stats $M11 --now "$NOW" --explain --section by --section sla --section leaderboard
is "$(grep -c -E 'S(CAN|EARCH) db10\.(escalations|questions) USING COVERING INDEX (escalations_(cube|sla|agent)|questions_tier)' "$T/out")" 5 \
	"11 files: the groups and counts read each file's covering indexes"

# ---- --alerts over many files ----------------------------------------------------------------
# each file's own alerts, as it gives them alone, each naming its file and
# recorded in it: $T/a has the 12 files read together, $T/b the same files
# read one by one
mkdir "$T/a" "$T/b"
cp "$T"/m/*.db "$T/a/"
cp "$T"/m/*.db "$T/b/"
A=
for f in "$T"/a/*.db; do A="$A --db $f"; done
# shellcheck disable=SC2086
run esc-stats $A --alerts --now "$NOW"
is "$rc" 0 "--alerts over 12 files: exit 0"
jq -c 'del(.db)' "$T/out" | sort > "$T/got"
jq -r '"\(.db | sub(".*/"; "")) \(.kind) \(.escalation_id // .conversation_id)"' "$T/out" |
	sort > "$T/got.files"
: > "$T/want"
: > "$T/want.files"
for f in "$T"/b/*.db; do
	tool esc-stats --db "$f" --alerts --now "$NOW" > "$T/one" 2>> "$T/err"
	jq -c . "$T/one" >> "$T/want"
	jq -r --arg f "$(basename "$f")" '"\($f) \(.kind) \(.escalation_id // .conversation_id)"' \
		"$T/one" >> "$T/want.files"
done
sort -o "$T/want" "$T/want"
sort -o "$T/want.files" "$T/want.files"
like "$(lines "$T/want")" "^[1-9][0-9]+$" "the files have alerts due ($(lines "$T/want"))"
diff_ok "$T/got" "$T/want" "--alerts over 12 files: each file's own alerts"
diff_ok "$T/got.files" "$T/want.files" "... each naming the file it is in"
is "$(for f in "$T"/a/*.db; do sqlite3 "$f" 'SELECT count(*) FROM alerts_sent'; done | tr '\n' ' ')" \
	"$(for f in "$T"/b/*.db; do sqlite3 "$f" 'SELECT count(*) FROM alerts_sent'; done | tr '\n' ' ')" \
	"... and recorded in it"
# shellcheck disable=SC2086
run esc-stats $A --alerts --now "$NOW"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "1/0" "--alerts again: nothing new, exit 1"
# a failed write: nothing recorded
mkdir "$T/f"
cp "$T"/s/*.db "$T/f/"
F=
for f in "$T"/f/*.db; do F="$F --db $f"; done
if [ -w /dev/full ]; then
	# shellcheck disable=SC2086
	tool esc-stats $F --alerts --now "$NOW" > /dev/full 2> "$T/err"
	rc=$?
	is "$rc/$(for f in "$T"/f/*.db; do sqlite3 "$f" 'SELECT count(*) FROM alerts_sent'; done |
		sort -u | tr '\n' ' ')" "5/0 " \
		"--alerts over 25 files > /dev/full: exit 5, and no alert recorded in any file"
else
	skip 1 "no /dev/full"
fi

# ---- a bad file among many -------------------------------------------------------------------
cp "$T/m/11.db" "$T/new.db"
sqlite3 "$T/new.db" "PRAGMA user_version = 99"
# shellcheck disable=SC2086
run esc-stats $M --db "$T/new.db" --now "$NOW"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "6/0" "a 13th file of a newer schema: exit 6, no report"
like "$(cat "$T/err")" "new\\.db: schema version 99 is newer than this esc knows" "... saying which, and why"
echo "not a database, just text" > "$T/text.db"
# shellcheck disable=SC2086
run esc-stats $S --db "$T/text.db" --now "$NOW"
is "$rc" 6 "a 26th file that is not SQLite: exit 6"
like "$(cat "$T/err")" "text\\.db: file is not a database" "... saying so, with the file's name"
# shellcheck disable=SC2086
run esc-stats $S --db "$T/none.db" --now "$NOW" --alerts
is "$rc" 6 "a 26th file that does not exist, --alerts: exit 6"
like "$(cat "$T/err")" "none\\.db: No such file" "... the message names it"
[ ! -e "$T/none.db" ]
ok $? "... and esc-stats did not create it"
# shellcheck disable=SC2086
run esc-stats $M --db "$T/m/03.db" --now "$NOW"
is "$rc" 6 "the same file twice among 13: exit 6"
like "$(cat "$T/err")" "m/03\\.db: the same file as .*m/03\\.db" "... saying so"
# a file at the newest schema that lost a table the report reads
cp "$T/m/11.db" "$T/broken.db"
sqlite3 "$T/broken.db" "DROP TABLE survey_answers"
# shellcheck disable=SC2086
run esc-stats $M --db "$T/broken.db" --now "$NOW" --surveys
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "6/0" "a 13th file without a table the report reads: exit 6"
like "$(cat "$T/err")" "broken\\.db: cannot copy its survey_answers for the report: no such table" \
	"... naming the file and the table"
# shellcheck disable=SC2086
run esc-stats $M --db "$T/broken.db" --now "$NOW" --section totals
is "$rc" 0 "... a report that does not read that table runs"

# no room for the copy: here a file may not grow past 128 KiB (ulimit -f;
# SIGXFSZ ignored, so the write fails instead)
# shellcheck disable=SC2086
( trap '' XFSZ; ulimit -f 256; tool esc-stats $M --now "$NOW" > "$T/out" 2> "$T/err" )
rc=$?
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "6/0" "no room for the copy: exit 6, no report"
like "$(cat "$T/err")" "^esc-stats: error: the temporary copy of the 12 store files: .* \(it is made in \\\$SQLITE_TMPDIR" \
	"... saying it is the copy that failed, and where it is made"

# ---- read-only files among many, --alerts ------------------------------------------------------
# Root may write any file: as root the tools run as nobody (65534) by
# setpriv, as in 0010.
as_nobody
mkdir "$T/ro"
cp "$T"/m/*.db "$T/ro/"
chmod 666 "$T"/ro/*.db
chmod 444 "$T/ro/11.db"
chmod 777 "$T/ro"
[ -z "$ASUSER" ] || chmod 711 "$T"
if [ "$ro_ok" = 1 ] && ! $ASUSER sh -c 'test -r "$1" && ls "$2/sql" > /dev/null' sh \
	"$T/ro/11.db" "$ESC_SHARE" 2> /dev/null; then
	ro_ok=0
fi
R=
for f in "$T"/ro/*.db; do R="$R --db $f"; done
if [ "$ro_ok" = 1 ]; then
	ro_vg=$VALGRIND
	VALGRIND="$ASUSER $VALGRIND"
	# shellcheck disable=SC2086
	run esc-stats $R --alerts --now "$NOW"
	VALGRIND=$ro_vg
	is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "6/0" "--alerts, the 12th of 12 files read-only: exit 6, nothing out"
	like "$(cat "$T/err")" "ro/11\\.db: read-only: --alerts records" "... saying which, and why"
	is "$(for f in "$T"/ro/*.db; do sqlite3 "$f" 'SELECT count(*) FROM alerts_sent'; done | sort -u | tr '\n' ' ')" \
		"0 " "... and nothing recorded in the files before it"
	VALGRIND="$ASUSER $VALGRIND"
	# shellcheck disable=SC2086
	run esc-stats $R --now "$NOW" --section totals
	VALGRIND=$ro_vg
	is "$rc/$(jq -c .escalations "$T/out")" "0/1530" "... the report reads them all"
else
	skip 4 "running as root without setpriv, or uid 65534 cannot read $T: a read-only file is writable"
fi

done_testing
