#!/bin/sh
# esc-log: the store. Where it is (./esc.db, $ESC_DB, --db), how it is
# opened (WAL, foreign keys, user_version), what is refused (not SQLite,
# read-only, locked, newer), upgrades in place, a run killed with SIGKILL
# and re-run, and two writers at once.
. "$(dirname "$0")/lib.sh"

plan 69

unset ESC_DB ESC_BUSY_TIMEOUT
NOW=2026-04-01T00:00:00Z
GOOD1='{"id":"g1","user_id":"u1","created_at":"2026-03-02T10:00:00Z","text":"How should I set my prices for my business?","detect":{"route":"paid"},"offer":{"offer":"mentorship"}}'
GOOD2='{"id":"g2","created_at":"2026-03-02T11:00:00Z","text":"cancel","detect":{"route":"human","severity":"high"}}'
printf '%s\n%s\n' "$GOOD1" "$GOOD2" > "$T/in.jsonl"
printf '%s\n' '{"id":"g3","created_at":"2026-03-03T10:00:00Z","detect":{"route":"none"}}' > "$T/in3.jsonl"
# envrun NAME=VALUE TOOL ARGS...: run, with one variable set for the tool only
envrun() {
	_e=$1
	_t=$2
	shift 2
	rc=0
	env "$_e" $VALGRIND "$BIN/$_t" "$@" > "$T/out" 2> "$T/err" || rc=$?
}
NEWEST=$(ls "$ESC_SHARE/sql" | sed -n 's/^\([0-9][0-9][0-9]\)-.*\.sql$/\1/p' | sort -n | tail -n 1 | sed 's/^0*//')

# ---- where the store is ------------------------------------------------------------------
mkdir "$T/cwd"
(cd "$T/cwd" && run esc-log --now "$NOW" "$T/in.jsonl" && echo "$rc" > "$T/rc")
is "$(cat "$T/rc")/$(sqlite3 "$T/cwd/esc.db" 'select count(*) from questions')" "0/2" \
	"no --db, no \$ESC_DB: ./esc.db in the current directory"
(cd "$T/cwd" && run esc-log -l && echo "$rc" > "$T/rc")
is "$(cat "$T/rc")/$(jq -r .message_id "$T/out" | tr '\n' ' ')" "0/g1 g2 " "-l reads ./esc.db too"
(cd "$T/cwd" && envrun "ESC_DB=$T/env.db" esc-log --now "$NOW" "$T/in3.jsonl" && echo "$rc" > "$T/rc")
is "$(cat "$T/rc")/$(sqlite3 "$T/env.db" 'select group_concat(message_id) from questions')/$(sqlite3 "$T/cwd/esc.db" 'select count(*) from questions')" \
	"0/g3/2" "\$ESC_DB names the store (./esc.db untouched)"
(cd "$T/cwd" && envrun "ESC_DB=$T/env.db" esc-log -l && echo "$rc" > "$T/rc")
is "$(cat "$T/rc")/$(lines "$T/out")" "1/0" "-l reads \$ESC_DB (which has no escalation: exit 1)"
(cd "$T/cwd" && envrun "ESC_DB=$T/env.db" esc-log --db "$T/opt.db" --now "$NOW" "$T/in3.jsonl" && echo "$rc" > "$T/rc")
is "$(cat "$T/rc")/$(sqlite3 "$T/opt.db" 'select count(*) from questions')/$(sqlite3 "$T/env.db" 'select count(*) from questions')" \
	"0/1/1" "--db wins over \$ESC_DB"
(cd "$T/cwd" && envrun "ESC_DB=" esc-log --now "$NOW" "$T/in3.jsonl" && echo "$rc" > "$T/rc")
is "$(cat "$T/rc")/$(sqlite3 "$T/cwd/esc.db" 'select count(*) from questions')" "0/3" "an empty \$ESC_DB is no \$ESC_DB: ./esc.db"

# ---- how it is opened ------------------------------------------------------------------------
run esc-log --db "$T/s.db" --now "$NOW" "$T/in.jsonl"
is "$rc" 0 "a new store"
is "$(sqlite3 "$T/s.db" 'pragma journal_mode')" wal "... in WAL mode"
is "$(sqlite3 "$T/s.db" 'pragma user_version')" "$NEWEST" "... user_version is the newest file in share/esc/sql ($NEWEST)"
is "$(sqlite3 "$T/s.db" "select group_concat(name, ' ') from (select name from sqlite_master where type = 'table' and name not glob '*_fts_*' order by name)")" \
	"$(cat "$ESC_SHARE"/sql/*.sql | sed -n 's/^CREATE \(VIRTUAL \)*TABLE \([a-z_]*\).*/\2/p' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"... with its tables, every one the schema files create (full-text search's own tables aside)"
is "$(sqlite3 "$T/s.db" 'pragma integrity_check; pragma foreign_key_check')" ok "... intact, and no foreign key broken"

# ---- what is refused ---------------------------------------------------------------------------
awk 'BEGIN { for (i = 0; i < 200; i++) print "this is a text file, not an SQLite store" }' > "$T/text.db"
cp "$T/text.db" "$T/text.orig"
run esc-log --db "$T/text.db" --now "$NOW" "$T/in.jsonl"
is "$rc/$(lines "$T/out")" "6/0" "a file that is not SQLite: exit 6, nothing echoed"
like "$(cat "$T/err")" "^esc-log: error: .*text\\.db: file is not a database\$" "... \"file is not a database\", naming it"
cmp -s "$T/text.db" "$T/text.orig"
ok $? "... and the file is left as it was"
run esc-log -l --db "$T/text.db"
is "$rc" 6 "-l on it: exit 6"
like "$(cat "$T/err")" "file is not a database" "... \"file is not a database\""

cp "$T/s.db" "$T/new.db"
sqlite3 "$T/new.db" 'pragma user_version = 999'
sqlite3 "$T/new.db" .dump > "$T/new.dump"
run esc-log --db "$T/new.db" --now "$NOW" "$T/in3.jsonl"
is "$rc/$(lines "$T/out")" "6/0" "a store from a newer esc (user_version 999): refused, exit 6"
is "$(cat "$T/err")" "esc-log: error: $T/new.db: schema version 999 is newer than this esc knows ($NEWEST): use a newer esc" \
	"... saying it is newer"
sqlite3 "$T/new.db" .dump | cmp -s - "$T/new.dump"
ok $? "... and left as it was"
run esc-log -l --db "$T/new.db"
is "$rc" 6 "-l on it: exit 6"
like "$(cat "$T/err")" "is newer than this esc knows" "... saying it is newer"

run esc-log --db "$T/nodir/x.db" --now "$NOW" "$T/in.jsonl"
is "$rc/$(lines "$T/out")" "6/0" "a store in a directory that does not exist: exit 6"
like "$(cat "$T/err")" "^esc-log: error: $T/nodir/x\\.db: unable to open database file" "... naming it"
envrun ESC_BUSY_TIMEOUT=soon esc-log --db "$T/s.db" --now "$NOW" "$T/in.jsonl"
is "$rc/$(cat "$T/err")" '2/esc-log: error: ESC_BUSY_TIMEOUT: "soon" is not a duration (milliseconds, or like 10s or 500ms)' \
	"a bad \$ESC_BUSY_TIMEOUT: a usage error, exit 2, said"
envrun ESC_BUSY_TIMEOUT=soon esc-detect "$T/in.jsonl"
is "$rc" 0 "... which esc-detect, opening no store, does not read"
for v in 1500 2s 500ms 1m30s; do
	envrun ESC_BUSY_TIMEOUT=$v esc-stats --db "$T/s.db" --section totals
	is "$rc" 0 "ESC_BUSY_TIMEOUT=$v: taken"
done

# A read-only store. Root ignores file modes, so as root the tool runs as
# nobody (setpriv); with neither, the case is skipped.
mkdir "$T/ro"
cp "$T/s.db" "$T/ro/"
chmod 444 "$T/ro/s.db"
chmod 555 "$T/ro"
sqlite3 "$T/ro/s.db" .dump > "$T/ro.dump"
AS=
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv > /dev/null; then
		chmod 755 "$T"
		AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	fi
fi
if [ "$(id -u)" = 0 ] && [ -z "$AS" ]; then
	skip 4 "running as root without setpriv: file modes do not stop root"
else
	rc=0
	$AS $VALGRIND "$BIN/esc-log" --db "$T/ro/s.db" --now "$NOW" "$T/in3.jsonl" > "$T/out" 2> "$T/err" || rc=$?
	is "$rc/$(lines "$T/out")" "6/0" "a read-only store (mode 444, in a read-only directory): exit 6, nothing echoed"
	like "$(cat "$T/err")" "^esc-log: error.*$T/ro/s\\.db: attempt to write a readonly database" "... \"attempt to write a readonly database\""
	rc=0
	$AS $VALGRIND "$BIN/esc-log" -l --db "$T/ro/s.db" > "$T/out" 2> "$T/err" || rc=$?
	is "$rc/$(jq -r .message_id "$T/out" | tr '\n' ' ')" "0/g1 g2 " "-l reads a read-only store"
	sqlite3 "$T/ro/s.db" .dump | cmp -s - "$T/ro.dump"
	ok $? "... and it is left as it was"
fi
chmod 755 "$T/ro"

# A locked store: another process holds the write lock for 3 seconds.
lock_db() {
	rm -f "$T/locked"
	sqlite3 "$1" > /dev/null 2>&1 <<EOF &
BEGIN EXCLUSIVE;
INSERT INTO alerts_sent VALUES ('test', 'lock', 0);
.shell touch $T/locked
.shell sleep $2
ROLLBACK;
EOF
	lockpid=$!
	n=0
	while [ ! -e "$T/locked" ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
}
lock_db "$T/s.db" 3
t0=$(date +%s)
envrun ESC_BUSY_TIMEOUT=200 esc-log --db "$T/s.db" --now "$NOW" "$T/in3.jsonl"
t1=$(date +%s)
is "$rc/$(lines "$T/out")" "6/0" "a store another process holds locked, ESC_BUSY_TIMEOUT=200: exit 6, nothing echoed"
like "$(cat "$T/err")" "^esc-log: error.*$T/s\\.db: database is locked" "... \"database is locked\""
ok "$([ $((t1 - t0)) -le 2 ] || [ -n "$VALGRIND" ]; echo $?)" "... given up after the timeout, not the 3 s of the lock ($((t1 - t0)) s)"
wait "$lockpid"
is "$(sqlite3 "$T/s.db" "select count(*) from questions where message_id = 'g3'")" 0 "... nothing of it stored"
lock_db "$T/s.db" 1
run esc-log --db "$T/s.db" --now "$NOW" "$T/in3.jsonl"
wait "$lockpid"
is "$rc/$(jq -r .id "$T/out")" "0/g3" "locked for 1 s, the default busy timeout (10 s): waits, then stores, exit 0"

# ---- an older store upgraded in place ----------------------------------------------------------
mkdir "$T/share"
cp -R "$ESC_SHARE/." "$T/share/"
V2=$((NEWEST + 1))
F2=$(printf '%03d-test.sql' "$V2")
cat > "$T/share/sql/$F2" <<'EOF'
-- a test migration: a new column, and what the connection runs with
ALTER TABLE escalations ADD COLUMN x TEXT DEFAULT 'new';
CREATE TABLE probe AS SELECT (SELECT foreign_keys FROM pragma_foreign_keys) AS fk,
	(SELECT journal_mode FROM pragma_journal_mode) AS jm;
EOF
cp "$T/s.db" "$T/old.db"
sqlite3 "$T/old.db" 'select * from questions order by id; select * from escalations order by id' > "$T/old.rows"
envrun "ESC_SHARE=$T/share" esc-log --db "$T/old.db" --now "$NOW" "$T/in.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')" "0/0" "a version $NEWEST store, with a share that has $F2: exit 0"
is "$(sqlite3 "$T/old.db" 'pragma user_version')" "$V2" "... upgraded in place to version $V2"
sqlite3 "$T/old.db" 'select * from questions order by id; select id, question_id, message_id, conversation_id, user_id, question, route, offer, reason, reasons, alerts, context_type, tier, score_personal, score_strategic, score_advanced, sentiment, template, offer_text, severity, status, agent, playbook, value_at_risk, touches, conversion_tracked, converted, converted_at, conversion_value, created_at, first_response_at, resolved_at, outcome, first_response_due, resolution_due, updated_at, touches_given, severity_given from escalations order by id' > "$T/old.rows2"
diff_ok "$T/old.rows2" "$T/old.rows" "... its rows kept"
is "$(sqlite3 "$T/old.db" "select group_concat(x) from escalations")/$(jq -r .log.new "$T/out" | tr '\n' ' ')" "new,new/false false " \
	"... the new column there; the lines already in it are not new"
is "$(sqlite3 "$T/old.db" 'select fk || jm from probe')" "1wal" "esc-log's connection runs with foreign_keys on, in WAL mode"
cp "$T/s.db" "$T/old2.db"
envrun "ESC_SHARE=$T/share" esc-log -l --db "$T/old2.db"
is "$rc/$(sqlite3 "$T/old2.db" 'pragma user_version')" "0/$V2" "-l upgrades an older writable store too"
# an old store that cannot be written, under -l
cp "$T/s.db" "$T/ro/old.db"
chmod 444 "$T/ro/old.db"
chmod 555 "$T/ro"
if [ "$(id -u)" = 0 ] && [ -z "$AS" ]; then
	skip 2 "running as root without setpriv"
else
	rc=0
	ESC_SHARE=$T/share $AS $VALGRIND "$BIN/esc-log" -l --db "$T/ro/old.db" > "$T/out" 2> "$T/err" || rc=$?
	is "$rc/$(lines "$T/out")" "6/0" "-l on an older read-only store: exit 6"
	is "$(cat "$T/err")" "esc-log: error: $T/ro/old.db: schema version $NEWEST is older than this esc's ($V2) and the file is read-only: run esc-log on it once to upgrade it" \
		"... saying how to upgrade it"
fi
chmod 755 "$T/ro"
# a migration that fails is not half applied
F3=$(printf '%03d-bad.sql' "$((V2 + 1))")
printf 'CREATE TABLE half (x);\nTHIS IS NOT SQL;\n' > "$T/share/sql/$F3"
sqlite3 "$T/old.db" .dump > "$T/old.dump"
envrun "ESC_SHARE=$T/share" esc-log --db "$T/old.db" --now "$NOW" "$T/in3.jsonl"
is "$rc/$(lines "$T/out")" "6/0" "a migration file with an error: exit 6, nothing logged"
like "$(cat "$T/err")" "^esc-log: error: $T/old\\.db: applying sql/$F3: near \"THIS\": syntax error\$" \
	"... naming the store, the file and the error"
sqlite3 "$T/old.db" .dump | cmp -s - "$T/old.dump"
ok $? "... and nothing of it applied (the store as it was, version $V2)"
rm "$T/share/sql/$F3"
cp "$T/share/sql/$F2" "$T/share/sql/$(printf '%03d-dup.sql' "$V2")"
envrun "ESC_SHARE=$T/share" esc-log --db "$T/old.db" --now "$NOW" "$T/in3.jsonl"
is "$rc" 6 "two schema files with one number: exit 6"
like "$(cat "$T/err")" "two schema files numbered $(printf '%03d' "$V2")" "... said"

# ---- killed with SIGKILL, then re-run -----------------------------------------------------------
if [ -n "$VALGRIND" ]; then
	skip 8 "SIGKILL timing means nothing under valgrind"
else
	"$top/scripts/gen-chats" 60000 1 | tool esc-detect | tool esc-offer > "$T/big"
	# not through tool(): $! must be esc-log itself, not a subshell
	"$BIN/esc-log" --batch 500 --db "$T/k.db" --now "$NOW" "$T/big" > "$T/k.out" 2> "$T/k.err" &
	kpid=$!
	n=0
	while [ $n -lt 1000 ]; do
		if [ -s "$T/k.db" ] &&
		   [ "$(sqlite3 -readonly "$T/k.db" 'select count(*) from questions' 2> /dev/null || echo 0)" -gt 0 ]; then
			break
		fi
		sleep 0.005
		n=$((n + 1))
	done
	kill -9 "$kpid" 2> /dev/null
	krc=0
	{ wait "$kpid"; } 2> /dev/null || krc=$?
	kept=$(sqlite3 "$T/k.db" 'select count(*) from questions')
	is "$krc" 137 "esc-log --batch 500 on 60000 lines, killed with SIGKILL part-way (status 137)"
	ok "$([ "$kept" -gt 0 ] && [ "$kept" -lt 60000 ]; echo $?)" \
		"... part-way: the store holds some of it ($kept questions)"
	echoed=$(head -n "$(lines "$T/k.out")" "$T/k.out" | jq -r .log.question | tail -n 1)
	ok "$([ "${echoed:-0}" -le "$kept" ]; echo $?)" "... every line it echoed is in the store (last echoed ${echoed:-none}, stored $kept)"
	run esc-log --batch 500 --db "$T/k.db" --now "$NOW" "$T/big"
	is "$rc/$(lines "$T/out")" "0/60000" "re-run on the same input: exit 0, every line echoed"
	is "$(jq -r .log.new "$T/out" | uniq -c | awk '{ printf " %s %s", $1, $2 }')" " $kept false $((60000 - kept)) true" \
		"... the lines stored before the kill are not new, the rest are"
	run esc-log --db "$T/c.db" --now "$NOW" "$T/big"
	is "$rc" 0 "one clean run into another store"
	sqlite3 "$T/k.db" 'select * from questions order by id' > "$T/k.q"
	sqlite3 "$T/c.db" 'select * from questions order by id' > "$T/c.q"
	cmp -s "$T/k.q" "$T/c.q"
	ok $? "killed and re-run, or run once: the same questions, row for row"
	sqlite3 "$T/k.db" 'select * from escalations order by id' > "$T/k.e"
	sqlite3 "$T/c.db" 'select * from escalations order by id' > "$T/c.e"
	cmp -s "$T/k.e" "$T/c.e"
	ok $? "... and the same escalations, every column ($(lines "$T/c.e") rows)"
fi

# ---- two writers at once ------------------------------------------------------------------------
if [ -n "$VALGRIND" ]; then
	N=300
	"$top/scripts/gen-chats" 600 2 | "$BIN/esc-detect" | "$BIN/esc-offer" > "$T/big"
else
	N=20000
	[ -s "$T/big" ] || "$top/scripts/gen-chats" 60000 1 | tool esc-detect | tool esc-offer > "$T/big"
fi
head -n "$N" "$T/big" > "$T/half1"
sed -n "$((N + 1)),$((2 * N))p" "$T/big" > "$T/half2"
# what one writer makes of them, one input after the other: a human
# message joins its conversation's open case, so there are fewer
# escalations than escalated lines, and which line opened a case may
# differ; the cases themselves may not
tool esc-log --db "$T/seq.db" --now "$NOW" "$T/half1" > /dev/null 2>&1
ESC1=$(sqlite3 "$T/seq.db" 'select count(*) from escalations')
tool esc-log --db "$T/seq.db" --now "$NOW" "$T/half2" > /dev/null 2>&1
ESC=$(sqlite3 "$T/seq.db" 'select count(*) from escalations')
CASES="select route, conversation_id, user_id, severity, touches, created_at, first_response_due,
	resolution_due, (select count(*) from questions where joined_id = e.id) from escalations e
	order by 1, 2, 3, 6, 5"
sqlite3 "$T/seq.db" "$CASES" > "$T/cases.want"
cat "$T/half1" "$T/half2" | jq -r .id | sort > "$T/ids.want"
# one store, made first: two writers at once wait for each other's batches
fresh() {
	rm -f "$1" "$1-wal" "$1-shm"
	tool esc-log --db "$1" < /dev/null > /dev/null 2>&1
}
# both DB IN1 IN2: two esc-log at once, outputs in o1 o2; "r1/r2" in $both
both() {
	tool esc-log --db "$1" --now "$NOW" "$2" > "$T/o1" 2> "$T/e1" &
	_p1=$!
	tool esc-log --db "$1" --now "$NOW" "$3" > "$T/o2" 2> "$T/e2" &
	_p2=$!
	_r1=0; wait "$_p1" || _r1=$?
	_r2=0; wait "$_p2" || _r2=$?
	both="$_r1/$_r2"
	[ "$both" = 0/0 ] || { note "exit $both"; diag_file "$T/e1"; diag_file "$T/e2"; }
}
fresh "$T/two.db"
both "$T/two.db" "$T/half1" "$T/half2"
is "$both" "0/0" "two esc-log on two inputs ($N lines each) into one store, at once: both exit 0"
sqlite3 "$T/two.db" 'select message_id from questions' | sort > "$T/ids.got"
diff_ok "$T/ids.got" "$T/ids.want" "... every question of both inputs is there, once"
is "$(sqlite3 "$T/two.db" 'select count(*) from escalations')" "$ESC" "... and every escalation ($ESC)"
sqlite3 "$T/two.db" "$CASES" > "$T/cases.got"
diff_ok "$T/cases.got" "$T/cases.want" \
	"... the same cases as one writer makes, one input after the other: severity, touches, start, due times, messages joined"
is "$(cat "$T/o1" "$T/o2" | jq -r .log.new | sort | uniq -c | awk '{ printf " %s %s", $1, $2 }')" " $((2 * N)) true" "... each line echoed, new"

fresh "$T/same.db"
both "$T/same.db" "$T/half1" "$T/half1"
is "$both" "0/0" "two esc-log on the same input into one store, at once: both exit 0"
is "$(sqlite3 "$T/same.db" 'select count(*) || ":" || count(distinct message_id) from questions')/$(sqlite3 "$T/same.db" 'select count(*) from escalations')" \
	"$N:$N/$ESC1" "... each message once, each escalation once"
is "$(cat "$T/o1" "$T/o2" | jq -r .log.new | sort | uniq -c | awk '{ printf " %s %s", $1, $2 }')" " $N false $N true" \
	"... each line new in exactly one of the two outputs"
is "$(sqlite3 "$T/same.db" 'pragma integrity_check')" ok "... and the store is intact"

# Two esc-log at once on a store that does not exist yet: both must make
# it (the switch to WAL waits out the other, like any busy store).
rounds=50
[ -z "$VALGRIND" ] || rounds=4
fails=0
for round in $(seq "$rounds"); do
	rm -f "$T/race.db" "$T/race.db-wal" "$T/race.db-shm"
	both "$T/race.db" "$T/in.jsonl" "$T/in.jsonl" > /dev/null
	[ "$both" = 0/0 ] || fails=$((fails + 1))
done
is "$fails" 0 "two esc-log on one new store at once, $rounds rounds: both exit 0 every time"
done_testing
