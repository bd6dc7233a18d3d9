#!/bin/sh
# esc-log: one case per conversation, and touches counted from the store.
# A customer who writes three escalating messages in one chat is one
# escalation, whose touches reach 3 and raise it to high, so that
# esc-stats --alerts fires the touches alert; in any order of arrival, fed
# twice, and with two writers at once. Events and conversions that name a
# message that joined reach its escalation. A message after the case was
# resolved opens another; the customer's other conversations within the
# window count; the paid route, and messages with no conversation, are as
# they were. An older store is upgraded in place.
#
# Expected values are worked out by hand from share/esc/store/touches.json
# (7d, 3 touches raise to high) and sla.json (high: 1h and 8h); the store is
# read back with the sqlite3 shell.
. "$(dirname "$0")/lib.sh"

plan 56

command -v sqlite3 > /dev/null 2>&1 || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }

NOW=2026-03-02T11:00:00Z
DB=$T/esc.db
sq() { sqlite3 "$DB" "$@"; }
ts() { date -ud "$1" +%s; }
# what a case is, whatever line opened it
CASE="select severity || ' ' || touches || ' ' || created_at || ' ' || first_response_due || ' ' ||
	resolution_due || ' ' || (select count(*) from questions where joined_id = e.id) ||
	' ' || alerts from escalations e"
# esc-log with the data files of $T/share
shrun() {
	rc=0
	env "ESC_SHARE=$T/share" $VALGRIND "$BIN/esc-log" "$@" > "$T/out" 2> "$T/err" || rc=$?
}
# chat lines -> esc-detect | esc-offer -> $2
score() {
	tool esc-detect "$1" | tool esc-offer > "$2"
}

# ---- three messages in one conversation: one case ---------------------------------------
cat > "$T/chat.jsonl" <<'EOF'
{"id":"m1","conversation_id":"c1","user_id":"u1","created_at":"2026-03-02T10:00:00Z","text":"My order arrived broken, I want a refund"}
{"id":"m2","conversation_id":"c1","user_id":"u1","created_at":"2026-03-02T10:10:00Z","text":"Hello? Any update on the refund?"}
{"id":"m3","conversation_id":"c1","user_id":"u1","created_at":"2026-03-02T10:20:00Z","text":"Still waiting on my refund"}
EOF
score "$T/chat.jsonl" "$T/off.jsonl"
is "$(jq -c '[.detect.route, .detect.severity]' "$T/off.jsonl" | sort | uniq -c | tr -s ' ')" ' 3 ["human","medium"]' \
	"precondition: the three messages go to a person, each of medium severity"
run esc-log --db "$DB" --now "$NOW" "$T/off.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')/$(lines "$T/out")" "0/0/3" "esc-log: exit 0, nothing on stderr, every line echoed"
cp "$T/out" "$T/run1.out"
is "$(jq -c '[.id, .log.escalation, .log.joined, .log.touches, .log.severity]' "$T/out" | tr -d '\n')" \
	'["m1",1,null,1,"medium"]["m2",1,true,2,"medium"]["m3",1,true,3,"high"]' \
	"one escalation: the second and third messages joined it, touches 1, 2, 3; at 3 it went to high"
is "$(jq -c '.log.due' "$T/out" | tr -d '\n')" \
	'{"first_response":"2026-03-02T14:00:00Z","resolution":"2026-03-03T10:00:00Z"}{"first_response":"2026-03-02T14:00:00Z","resolution":"2026-03-03T10:00:00Z"}{"first_response":"2026-03-02T11:00:00Z","resolution":"2026-03-02T18:00:00Z"}' \
	"log.due: the case's due times after each line: medium from 10:00 (4h, 24h), then high from 10:00 (1h, 8h)"
is "$(sq 'select count(*) from escalations')/$(sq 'select count(*) from questions')" "1/3" \
	"the store: three questions, one escalation"
is "$(sq "select message_id || ':' || coalesce(joined_id, '-') from questions order by id" | tr '\n' ' ')" \
	"m1:- m2:1 m3:1 " "questions.joined_id: the escalation the message joined"
is "$(sq "select message_id || ' ' || status || ' ' || coalesce(touches_given, '-') || ' ' || updated_at from escalations")" \
	"m1 open - $(ts "$NOW")" "the escalation is the first message's, open; no line said how many touches"
is "$(sq "$CASE")" "high 3 $(ts 2026-03-02T10:00:00Z) $(ts 2026-03-02T11:00:00Z) $(ts 2026-03-02T18:00:00Z) 2 [\"refund\"]" \
	"the case: high, 3 touches, its clock from the first message (10:00), due 11:00 and 18:00, two messages joined"

run esc-stats --db "$DB" --alerts --now 2026-03-02T10:45:00Z
is "$rc" 0 "esc-stats --alerts: exit 0"
is "$(jq -c 'select(.kind == "touches") | [.escalation_id, .touches, .severity, .conversation_id]' "$T/out")" \
	'[1,3,"high","c1"]' "... the touches alert fires for the case, at 3 touches"
is "$(jq -r .escalation_id "$T/out" | sort -u | tr '\n' ' ')" "1 " "... and every alert is about the one case"
run esc-stats --db "$DB" --alerts --now 2026-03-02T10:46:00Z
is "$rc/$(lines "$T/out")" "1/0" "... once: a second run has nothing new (exit 1)"

run esc-stats --db "$DB" --now "$NOW" --section totals --section tier
is "$(jq -c 'select(.section == "totals") | [.questions, .escalations, .escalation_rate]' "$T/out")/$(jq -c 'select(.section == "by_tier") | [.questions, .escalations, .escalation_rate]' "$T/out")" \
	"[3,1,0.3333]/[3,1,0.3333]" "esc-stats: one case out of three questions, in the totals and by tier"

# ---- the severity does not follow the order of arrival ---------------------------------------
# m2 first makes its case, counts m5 and m6 (3 touches: high), then m1,
# logged late, moves the start back to 10:00 and the window with it: the
# touches fall to 2, and so does the raise; as when logged in time order.
m() { printf '{"id":"%s","conversation_id":"%s","user_id":"uo","created_at":"2026-03-02T%s:00Z","detect":{"route":"%s","severity":"medium"}}\n' "$@"; }
{ m o1 co1 10:00 human; m o5 co2 10:05 none; m o6 co3 10:06 none; m o2 co1 10:10 human; } > "$T/orderA.jsonl"
{ m o2 co1 10:10 human; m o5 co2 10:05 none; m o6 co3 10:06 none; m o1 co1 10:00 human; } > "$T/orderB.jsonl"
ORDER="select severity || ' ' || touches || ' ' || created_at || ' ' || first_response_due || ' ' || resolution_due from escalations"
for o in A B; do
	run esc-log --db "$T/order$o.db" --now "$NOW" "$T/order$o.jsonl"
	sqlite3 "$T/order$o.db" "$ORDER" > "$T/order$o.case"
done
is "$(cat "$T/orderB.case")" "$(cat "$T/orderA.case")" \
	"the same case in either order: its severity, touches, start and due times ($(cat "$T/orderA.case" | cut -d' ' -f1,2))"

# ---- fed again: nothing changes ------------------------------------------------------------
sq .dump > "$T/dump1"
run esc-log --db "$DB" --now 2026-03-03T00:00:00Z "$T/off.jsonl"
is "$rc" 0 "the same lines again: exit 0"
is "$(jq -c '.log' "$T/out" | tr -d '\n')" \
	'{"question":1,"escalation":1,"new":false}{"question":2,"escalation":1,"new":false,"joined":true}{"question":3,"escalation":1,"new":false,"joined":true}' \
	"... echoed as not new, with the escalation they joined"
sq .dump > "$T/dump2"
cmp -s "$T/dump1" "$T/dump2"
ok $? "... and the store is byte for byte as it was"

# ---- any order of arrival: the same case ----------------------------------------------------
want=$(sq "$CASE")
n=0
for order in "1 2 3" "1 3 2" "2 1 3" "2 3 1" "3 1 2" "3 2 1"; do
	n=$((n + 1))
	: > "$T/perm.jsonl"
	for i in $order; do sed -n "${i}p" "$T/off.jsonl" >> "$T/perm.jsonl"; done
	tool esc-log --db "$T/perm$n.db" --now "$NOW" "$T/perm.jsonl" > /dev/null 2> "$T/err"
	is "$(sqlite3 "$T/perm$n.db" "select count(*) from escalations")/$(sqlite3 "$T/perm$n.db" "$CASE")" "1/$want" \
		"lines in the order $order: one case, the same severity, touches, start, due times and messages"
done
is "$(sqlite3 "$T/perm6.db" 'select message_id from escalations')" m3 \
	"... only which line opened it follows the order (3 2 1: m3)"

# ---- two writers at once ------------------------------------------------------------------
sed -n 1p "$T/off.jsonl" > "$T/a.jsonl"
sed -n 3p "$T/off.jsonl" >> "$T/a.jsonl"
sed -n 2p "$T/off.jsonl" > "$T/b.jsonl"
fails=0
for round in 1 2 3 4 5 6 7 8; do
	rm -f "$T/two.db" "$T/two.db-wal" "$T/two.db-shm"
	tool esc-log --db "$T/two.db" --now "$NOW" "$T/a.jsonl" > /dev/null 2>&1 &
	p1=$!
	tool esc-log --db "$T/two.db" --now "$NOW" "$T/b.jsonl" > /dev/null 2>&1 &
	p2=$!
	r1=0; wait "$p1" || r1=$?
	r2=0; wait "$p2" || r2=$?
	got="$r1/$r2/$(sqlite3 "$T/two.db" 'select count(*) from escalations')/$(sqlite3 "$T/two.db" "$CASE")"
	[ "$got" = "0/0/1/$want" ] || { fails=$((fails + 1)); note "round $round: $got"; }
done
is "$fails" 0 "two esc-log at once, m1 and m3 in one, m2 in the other, 8 rounds: one case, as one writer makes it"

# ---- events and conversions naming a message that joined -----------------------------------
cat > "$T/ev.jsonl" <<'EOF'
{"event":"assignment","id":"ev-1","message_id":"m2","agent":"dana","at":"2026-03-02T10:12:00Z"}
{"event":"first_response","id":"ev-2","message_id":"m3","at":"2026-03-02T10:25:00Z"}
{"event":"conversion","id":"ev-3","message_id":"m3","value":20,"at":"2026-03-02T10:26:00Z"}
EOF
run esc-log --db "$DB" --now "$NOW" "$T/ev.jsonl"
is "$rc/$(jq -c '[.log.escalation, .log.attributed]' "$T/out" | tr -d '\n')" "0/[1,null][1,null][1,true]" \
	"events by the id of a message that joined: the case's timeline; a conversion so named is attributed to it"
is "$(sq "select status || ' ' || agent || ' ' || first_response_at || ' ' || converted || ' ' || conversion_value from escalations where id = 1")" \
	"in_progress dana $(ts 2026-03-02T10:25:00Z) 1 20.0" "... and they change the case"
run esc-log --history m3 --db "$DB"
is "$rc/$(head -n 1 "$T/out" | jq -c '[.id, .message_id, .touches]')/$(tail -n +2 "$T/out" | jq -r .id | tr '\n' ' ')" \
	"0/[1,\"m1\",3]/ev-1 ev-2 ev-3 " "--history with a message that joined: its case and timeline"

# ---- a resolved case: the next message opens another; a late one joins the first ----------
printf '%s\n' '{"event":"resolution","id":"ev-4","escalation_id":1,"at":"2026-03-02T10:30:00Z"}' > "$T/ev2.jsonl"
run esc-log --db "$DB" --now "$NOW" "$T/ev2.jsonl"
is "$rc" 0 "the case resolved at 10:30"
cat > "$T/more.jsonl" <<'EOF'
{"id":"m4","conversation_id":"c1","user_id":"u1","created_at":"2026-03-02T11:00:00Z","text":"It broke again, I want a refund"}
EOF
score "$T/more.jsonl" "$T/more.off"
run esc-log --db "$DB" --now "$NOW" "$T/more.off"
is "$rc/$(jq -c '[.log.escalation, .log.joined, .log.touches, .log.severity]' "$T/out")" '0/[2,null,4,"high"]' \
	"a message after the resolution opens a new case: not joined; its touches count the three before it in the window (4), so high"
cat > "$T/late.jsonl" <<'EOF'
{"id":"m0","conversation_id":"c1","user_id":"u1","created_at":"2026-03-02T10:25:00Z","text":"Why is nobody answering about my refund?"}
EOF
score "$T/late.jsonl" "$T/late.off"
is "$(jq -r .detect.route "$T/late.off")" human "precondition: the late message goes to a person"
run esc-log --db "$DB" --now "$NOW" "$T/late.off"
is "$rc/$(jq -c '[.log.escalation, .log.joined, .log.touches]' "$T/out")" '0/[1,true,4]' \
	"a message from 10:25 logged late joins the case that was open then (resolved at 10:30), not the newer one"
is "$(sq 'select touches from escalations where id = 2')" 5 \
	"... and counts as a touch of the newer case, whose window it is in (5)"

# ---- a joining message raises the severity and brings its alerts --------------------------
cat > "$T/c2.jsonl" <<'EOF'
{"id":"m5","conversation_id":"c2","user_id":"u2","created_at":"2026-03-02T10:00:00Z","text":"Where is my order? I want a refund"}
{"id":"m6","conversation_id":"c2","user_id":"u2","created_at":"2026-03-02T10:30:00Z","text":"This is a joke, my lawyer will hear about this","revenue_at_risk":6000}
EOF
score "$T/c2.jsonl" "$T/c2.off"
is "$(jq -c '[.detect.severity, .detect.alerts]' "$T/c2.off" | tr -d '\n')" '["medium",["refund"]]["critical",["legal","high_value"]]' \
	"precondition: a medium refund request, then a critical legal threat with 6000 at risk"
run esc-log --db "$DB" --now "$NOW" "$T/c2.off"
is "$rc/$(jq -c '[.log.escalation, .log.joined, .log.touches, .log.severity]' "$T/out" | tr -d '\n')" \
	'0/[3,null,1,"medium"][3,true,2,"critical"]' "the second message joins and raises the case to its severity, critical"
is "$(sq "select severity || ' ' || first_response_due || ' ' || resolution_due || ' ' || alerts || ' ' || reasons || ' ' || value_at_risk from escalations where id = 3")" \
	"critical $(ts 2026-03-02T10:15:00Z) $(ts 2026-03-02T12:00:00Z) [\"refund\",\"legal\",\"high_value\"] [\"refund\",\"legal\",\"high_value\"] 6000.0" \
	"... due times counted again from the case's start (10:00: 15m, 2h); its alerts and reasons added; its value at risk kept"
is "$(jq -r '.offer.playbook' "$T/c2.off" | tr '\n' ' ')/$(sq "select playbook from escalations where id = 3")" \
	"billing_dispute executive /executive" "... and the more severe message's playbook"

# ---- the customer's other conversations within the window ---------------------------------
cat > "$T/u3.jsonl" <<'EOF'
{"id":"m7","conversation_id":"c3","user_id":"u3","created_at":"2026-02-20T09:00:00Z","text":"How do I pluck a hairline?"}
{"id":"m8","conversation_id":"c4","user_id":"u3","created_at":"2026-02-24T09:00:00Z","text":"How do I pluck a hairline?"}
{"id":"m9","conversation_id":"c5","user_id":"u3","created_at":"2026-02-27T09:00:00Z","text":"How long do I leave the glue on?"}
{"id":"m10","conversation_id":"c6","user_id":"u3","created_at":"2026-03-02T09:00:00Z","text":"The technician never showed up for my appointment"}
EOF
score "$T/u3.jsonl" "$T/u3.off"
is "$(jq -c '[.detect.route, .detect.severity]' "$T/u3.off" | tr -d '\n')" '["none","low"]["none","low"]["none","low"]["human","medium"]' \
	"precondition: three plain questions, then a medium case"
run esc-log --db "$DB" --now "$NOW" "$T/u3.off"
is "$(tail -n 1 "$T/out" | jq -c '[.log.touches, .log.severity]')" '[3,"high"]' \
	"touches: the two conversations of the 7 days before, and the case's own (3); the one 10 days before is out; high"
tac "$T/u3.off" > "$T/u3.rev"
tool esc-log --db "$T/rev.db" --now "$NOW" "$T/u3.rev" > "$T/out" 2> "$T/err"
is "$(sqlite3 "$T/rev.db" 'select touches || " " || severity from escalations')" "3 high" \
	"... the same when the case is logged before the conversations that came earlier"
mkdir "$T/share"
cp -R "$ESC_SHARE/." "$T/share/"
jq '.window = "10d" | .escalate_at = 0' "$ESC_SHARE/store/touches.json" > "$T/share/store/touches.json"
shrun --db "$T/w10.db" --now "$NOW" "$T/u3.off"
is "$(tail -n 1 "$T/out" | jq -c '[.log.touches, .log.severity]')" '[4,"medium"]' \
	"store/touches.json: a window of 10d counts the conversation 10 days before; escalate_at 0 raises nothing"

# ---- what a line says, and what is as it was ----------------------------------------------
cat > "$T/misc.jsonl" <<'EOF'
{"id":"g1","conversation_id":"c8","user_id":"u6","created_at":"2026-03-02T09:00:00Z","text":"I was charged twice on my invoice and I want a refund","touches":5}
{"id":"p1","conversation_id":"c7","user_id":"u4","created_at":"2026-03-02T09:00:00Z","text":"How should I set my prices for my business?","context":"business_mentorship"}
{"id":"p2","conversation_id":"c7","user_id":"u4","created_at":"2026-03-02T09:05:00Z","text":"Can you look at my business and my situation?"}
{"id":"n1","user_id":"u5","created_at":"2026-03-02T09:00:00Z","text":"I was charged twice on my invoice and I want a refund"}
{"id":"n2","user_id":"u5","created_at":"2026-03-02T09:10:00Z","text":"I was charged twice on my invoice and I want a refund"}
EOF
score "$T/misc.jsonl" "$T/misc.off"
is "$(jq -r .detect.route "$T/misc.off" | tr '\n' ' ')" "human paid paid human human " "precondition: the routes"
run esc-log --db "$T/misc.db" --now "$NOW" "$T/misc.off"
is "$rc/$(jq -c '[.id, .log.escalation, .log.joined, .log.touches]' "$T/out" | tr -d '\n')" \
	'0/["g1",1,null,5]["p1",2,null,null]["p2",3,null,null]["n1",4,null,1]["n2",5,null,2]' \
	"a line's own touches when they are more (5); two paid offers in one chat stay two, with no touches counted; messages with no conversation each open a case (the second counts the first: 2)"
is "$(sqlite3 "$T/misc.db" "select id || ':' || coalesce(touches, '-') || ':' || coalesce(touches_given, '-') || ':' || severity from escalations order by id" | tr '\n' ' ')" \
	"1:5:5:critical 2:-:-:low 3:-:-:low 4:1:-:high 5:2:-:high " "... touches and touches_given in the store"

# ---- the data file ------------------------------------------------------------------------
printf '{"window":"a week","escalate_at":3,"escalate_to":"high"}\n' > "$T/share/store/touches.json"
shrun --db "$T/bad.db" --now "$NOW" "$T/off.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "a touches.json with a bad window: exit 4, nothing logged"
is "$(cat "$T/err")" "esc-log: error: data file $T/share/store/touches.json: \"window\" must be a duration (like \"7d\")" \
	"... saying which member"
printf '{"window":"7d","escalate_at":3,"escalate_to":"urgent"}\n' > "$T/share/store/touches.json"
shrun --db "$T/bad.db" --now "$NOW" "$T/off.jsonl"
is "$rc/$(cat "$T/err")" "4/esc-log: error: data file $T/share/store/touches.json: \"escalate_to\" must be low, medium, high or critical" \
	"a touches.json with an unknown severity: exit 4"
printf '{"window":"7d","escalate_at":-1,"escalate_to":"high"}\n' > "$T/share/store/touches.json"
shrun --db "$T/bad.db" --now "$NOW" "$T/off.jsonl"
is "$rc/$(cat "$T/err")" "4/esc-log: error: data file $T/share/store/touches.json: \"escalate_at\" must be a whole number of touches (0: never)" \
	"a touches.json with a negative escalate_at: exit 4"
rm "$T/share/store/touches.json"
shrun --db "$T/bad.db" --now "$NOW" "$T/off.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "no touches.json: exit 4"
like "$(cat "$T/err")" "^esc-log: error: .*store/touches\\.json" "... naming the file"

# ---- a store of the version before, upgraded in place --------------------------------------
# made as the esc before made it: its schema files, and a case of one
# message with the touches its line said
OLD=$T/old.db
V=$(ls "$ESC_SHARE/sql" | sed -n 's/^\([0-9][0-9][0-9]\)-touches\.sql$/\1/p' | sed 's/^0*//')
NEWEST=$(ls "$ESC_SHARE/sql" | sed -n 's/^0*\([0-9][0-9]*\)-.*\.sql$/\1/p' | sort -n | tail -n 1)
for f in "$ESC_SHARE"/sql/[0-9][0-9][0-9]-*.sql; do
	n=$(basename "$f" | sed 's/-.*//; s/^0*//')
	[ "$n" -lt "$V" ] && sqlite3 "$OLD" < "$f"
done
sqlite3 "$OLD" "PRAGMA user_version = $((V - 1));
	INSERT INTO questions (message_id, conversation_id, user_id, created_at, route, logged_at)
	VALUES ('m1', 'c1', 'u1', $(ts 2026-03-02T10:00:00Z), 'human', 0);
	INSERT INTO escalations (question_id, message_id, conversation_id, user_id, route, reason,
	reasons, alerts, severity, touches, created_at, first_response_due, resolution_due, updated_at)
	VALUES (1, 'm1', 'c1', 'u1', 'human', 'refund', '[\"refund\"]', '[\"refund\"]', 'medium', 2,
	$(ts 2026-03-02T10:00:00Z), $(ts 2026-03-02T14:00:00Z), $(ts 2026-03-03T10:00:00Z), 0);"
is "$(sqlite3 "$OLD" 'pragma user_version')/$(sqlite3 "$OLD" "select count(*) from pragma_table_info('questions') where name = 'joined_id'")" \
	"$((V - 1))/0" "precondition: a version $((V - 1)) store, with no joined_id"
sed -n 2p "$T/off.jsonl" > "$T/m2.jsonl"
run esc-log --db "$OLD" --now "$NOW" "$T/m2.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')" "0/0" "esc-log on it: exit 0, nothing on stderr"
is "$(sqlite3 "$OLD" 'pragma user_version')" "$NEWEST" "... upgraded in place to the newest version ($NEWEST)"
is "$(jq -c '[.log.escalation, .log.joined, .log.touches]' "$T/out")" '[1,true,2]' \
	"... the next message joins the case it holds; its touches stay as its line said (2: as many as counted)"
is "$(sqlite3 "$OLD" 'select touches_given || " " || touches from escalations')" "2 2" \
	"... the touches an older esc kept became what the line said"
like "$(sqlite3 "$OLD" "select sql from sqlite_master where name = 'questions_user'")" "user_id, created_at, conversation_id" \
	"... and the index on the customer's questions covers their times and conversations"

done_testing
