#!/bin/sh
# esc-log: what it keeps and what it echoes. The pipeline esc-detect |
# esc-offer | esc-log over tests/data/log/chats.jsonl, then the events of
# tests/data/log/events.jsonl (assignment, first response, note, severity
# change, resolution, reopen, conversions by escalation id, message id and
# user id), feeding the same files twice, -l with each filter, --history,
# the SLA due times on the calendar and business clocks, and the options.
#
# Expected values come from the input (jq over what esc-offer wrote) or were
# worked out by hand; the store is read back with the sqlite3 shell.
. "$(dirname "$0")/lib.sh"

D=$top/tests/data/log
DB=$T/db
NOW=2026-04-10T00:00:00Z
plan 132

sq() {
	sqlite3 "$DB" "$@"
}
# numbers the way jq writes them, whatever sqlite3 -json wrote
CANON='walk(if type == "number" then . + 0 else . end)'

# ---- the pipeline ----------------------------------------------------------------
tool esc-detect "$D/chats.jsonl" 2> "$T/err" | tool esc-offer > "$T/off.jsonl" 2>> "$T/err"
is "$(jq -c '[.id, .detect.route, .detect.severity, .offer.offer // .offer.playbook]' "$T/off.jsonl" | tr -d '\n')" \
	'["p1","paid","low","mentorship"]["h1","human","critical","executive"]["n1","none","low",null]["p3","paid","low","masterclass"]["h2","human","high","billing_dispute"]["h3","human","medium","missed_appointment"]["n2","none","low",null]["p2","paid","low","course"]["p4","paid","low","mentorship"]["p5","paid","low","mentorship"]' \
	"precondition: esc-detect | esc-offer routes the fixture as this test expects"
run esc-log --db "$DB" --now "$NOW" "$T/off.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')" "0/0" "esc-log over esc-offer output: exit 0, nothing on stderr"
is "$(lines "$T/out")" 10 "every line is echoed"
perl -pe 's/,"log":\{"question":\d+,"escalation":(?:\d+|null),"new":true(?:,"touches":\d+,"severity":"[a-z]+")?(?:,"due":\{"first_response":"[^"]*","resolution":"[^"]*"\})?\}\}$/}/' \
	"$T/out" > "$T/stripped"
cmp -s "$T/stripped" "$T/off.jsonl"
ok $? "... byte for byte as it came, with a \"log\" object added last"
is "$(jq -c '[.id, .log.question, .log.escalation, .log.new]' "$T/out" | tr -d '\n')" \
	'["p1",1,1,true]["h1",2,2,true]["n1",3,null,true]["p3",4,3,true]["h2",5,4,true]["h3",6,5,true]["n2",7,null,true]["p2",8,6,true]["p4",9,7,true]["p5",10,8,true]' \
	"log: the question id, the escalation id (null off the escalation routes), new"
is "$(jq -c 'select(.log.due) | [.id, .log.due.first_response, .log.due.resolution]' "$T/out" | tr -d '\n')" \
	'["h1","2026-03-02T11:15:00Z","2026-03-02T13:00:00Z"]["h2","2026-03-04T16:00:00Z","2026-03-04T23:00:00Z"]["h3","2026-03-05T19:00:00Z","2026-03-06T15:00:00Z"]' \
	"log.due on the human route only: created_at + the default targets (critical 15m/2h, high 1h/8h, medium 4h/24h)"
cp "$T/out" "$T/run1.out"

is "$(sq 'select count(*) from questions')" 10 "questions: one row per line"
is "$(sq 'select count(*) from escalations')" "$(jq -r 'select(.detect.route != "none") | .id' "$T/off.jsonl" | wc -l | tr -d ' ')" \
	"escalations: one row per paid or human line"
is "$(sq "select message_id || ':' || route from questions order by id" | tr '\n' ' ')" \
	"$(jq -r '.id + ":" + .detect.route' "$T/off.jsonl" | tr '\n' ' ')" "questions: message id and route of each line, in order"
jq -c '{message_id: .id, conversation_id, user_id, created_at: (.created_at | fromdateiso8601),
	route: .detect.route, sentiment: .detect.sentiment.compound, tier, context_type: .context,
	logged_at: $now}' --argjson now "$(date -ud "$NOW" +%s)" "$T/off.jsonl" | jq -S -c "$CANON" > "$T/q.want"
sqlite3 -json "$DB" 'select message_id, conversation_id, user_id, created_at, route, sentiment,
	tier, context_type, logged_at from questions order by id' | jq -S -c ".[] | $CANON" > "$T/q.got"
diff_ok "$T/q.got" "$T/q.want" "questions: conversation, user, time, sentiment, tier, context, logged_at (--now)"
# touches on the human route are counted from the store, and never below
# the line's: each of these customers has one conversation in the window
jq -c 'select(.detect.route != "none") | {message_id: .id, conversation_id, user_id,
	question: .text, route: .detect.route, offer: .offer.offer, reason: .detect.reasons[0],
	reasons: .detect.reasons, alerts: .detect.alerts, context_type: .context, tier,
	score_personal: .detect.scores.personal, score_strategic: .detect.scores.strategic,
	score_advanced: .detect.scores.advanced, sentiment: .detect.sentiment.compound,
	template: .offer.template, offer_text: .offer.text, severity: .detect.severity,
	playbook: .offer.playbook, value_at_risk: .revenue_at_risk,
	touches: (if .detect.route == "human" then [.touches // 0, 1] | max else .touches end),
	created_at: (.created_at | fromdateiso8601), status: "open", agent: null,
	converted: 0, conversion_tracked: (if .detect.route == "paid" then 1 else 0 end), updated_at: $now}' --argjson now "$(date -ud "$NOW" +%s)" "$T/off.jsonl" |
	jq -S -c "$CANON" > "$T/e.want"
sqlite3 -json "$DB" 'select message_id, conversation_id, user_id, question, route, offer,
	reason, reasons, alerts, context_type, tier, score_personal, score_strategic,
	score_advanced, sentiment, template, offer_text, severity, playbook, value_at_risk,
	touches, created_at, status, agent, converted, conversion_tracked, updated_at
	from escalations order by id' |
	jq -S -c ".[] | .reasons |= fromjson | .alerts |= fromjson | $CANON" > "$T/e.got"
diff_ok "$T/e.got" "$T/e.want" \
	"escalations: user, question, offer, reason(s), alerts, context, tier, scores, template, text, severity, playbook, value at risk, touches"
is "$(sq 'select e.id || ":" || q.message_id from escalations e join questions q on q.id = e.question_id order by e.id' | tr '\n' ' ')" \
	"1:p1 2:h1 3:p3 4:h2 5:h3 6:p2 7:p4 8:p5 " "each escalation points at its question"
is "$(sq "select id || ':' || coalesce(first_response_due, '-') || ':' || coalesce(resolution_due, '-') from escalations order by id" | tr '\n' ' ')" \
	"1:-:- 2:1772450100:1772456400 3:-:- 4:1772640000:1772665200 5:1772737200:1772809200 6:-:- 7:-:- 8:-:- " \
	"due times in the store: human rows only, paid rows NULL"

# seed 000 names the tier user_tier: read when tier is not given
printf '%s\n' '{"id":"ut1","user_tier":"pro","detect":{"route":"paid"}}' \
	'{"id":"ut2","tier":"vip","user_tier":"pro","detect":{"route":"paid"}}' \
	'{"id":"ut3","tier":null,"user_tier":"free","detect":{"route":"none"}}' > "$T/utier.jsonl"
run esc-log --db "$T/utier.db" --now "$NOW" "$T/utier.jsonl"
is "$rc/$(sqlite3 "$T/utier.db" "SELECT group_concat(message_id || '=' || tier, ' ') FROM (SELECT * FROM questions ORDER BY id)")/$(sqlite3 "$T/utier.db" "SELECT group_concat(tier, ' ') FROM (SELECT * FROM escalations ORDER BY id)")" \
	"0/ut1=pro ut2=vip ut3=free/pro vip" "user_tier: the tier when tier is absent or null; tier wins when both are there"

# ---- events ---------------------------------------------------------------------
run esc-log --db "$DB" --now "$NOW" "$D/events.jsonl"
is "$rc" 0 "events: exit 0 (unattributed conversions are kept, not rejected)"
cat > "$T/err.want" <<EOF
esc-log: warning (at $D/events.jsonl:17): conversion c-unknown names escalation 99, which is not in the store: kept unattributed
esc-log: note: 5 conversions matched no escalation: kept, unattributed
EOF
diff_ok "$T/err" "$T/err.want" "events: a warning for the conversion naming an unknown escalation, a note counting the unattributed"
is "$(lines "$T/out")" 17 "events: every line echoed"
is "$(jq -c '[.id, .log.event, .log.escalation, .log.new, .log.attributed]' "$T/out" | tr -d '\n')" \
	'["e-a1",1,2,true,null]["e-f1",2,2,true,null]["e-n1",3,2,true,null]["e-s1",4,2,true,null]["e-r1",5,2,true,null]["e-s2",6,2,true,null]["e-s3",7,4,true,null]["e-s4",8,5,true,null]["c-early",9,null,true,false]["c-course-early",10,null,true,false]["c-latest",11,6,true,true]["c-offer",12,1,true,true]["c-id",13,7,true,true]["c-msg",14,8,true,true]["c-window",15,null,true,false]["c-nobody",16,null,true,false]["c-unknown",17,null,true,false]' \
	"log: event id, escalation id, new; conversions say whether they were attributed"
cp "$T/out" "$T/run2.out"
is "$(sq 'select count(*) from events')" 17 "events: one row each"
is "$(sq 'select event_id from events where escalation_id is null order by id' | tr '\n' ' ')" \
	"c-early c-course-early c-window c-nobody c-unknown " "unattributed conversions kept with a NULL escalation_id"
is "$(sq "select body from events where event_id = 'c-nobody'")" "$(sed -n 16p "$D/events.jsonl")" \
	"an event's body is its line as it came"
is "$(sq "select type || ':' || coalesce(note, '') from events where event_id = 'e-n1'")" "note:called back" \
	"a note is kept with its text"
# escalation 2 (h1, critical at 11:00): assigned to ann 11:05, first response
# 11:12, severity high 11:30 (due 12:00 and 19:00), resolved by bob 12:30,
# reopened 03-03 09:00 (resolution due again 8 h from then: 17:00)
is "$(sq "select status, severity, agent, first_response_at, coalesce(resolved_at, '-'), coalesce(outcome, '-'), first_response_due, resolution_due from escalations where id = 2")" \
	"open|high|bob|$(date -ud 2026-03-02T11:12:00Z +%s)|-|-|$(date -ud 2026-03-02T12:00:00Z +%s)|$(date -ud 2026-03-03T17:00:00Z +%s)" \
	"escalation 2: reopened open, severity high, agent bob, first response 11:12, resolution cleared, due 12:00 / 17:00 next day"
is "$(sq "select status || ' ' || severity || ' ' || first_response_due || ' ' || resolution_due || ' ' || coalesce(agent, '-') from escalations where id = 4")" \
	"waiting high $(date -ud 2026-03-04T16:00:00Z +%s) $(date -ud 2026-03-04T23:00:00Z +%s) -" \
	"escalation 4: a status change alone keeps its severity and due times"
is "$(sq "select status || ' ' || severity || ' ' || first_response_due || ' ' || resolution_due from escalations where id = 5")" \
	"open critical $(date -ud 2026-03-05T15:15:00Z +%s) $(date -ud 2026-03-05T17:00:00Z +%s)" \
	"escalation 5 (by message id): severity medium -> critical, due times recomputed from created_at (15m, 2h)"
is "$(sq "select id || ':' || converted || ':' || conversion_tracked || ':' || coalesce(converted_at, '-') || ':' || coalesce(conversion_value, '-') from escalations where route = 'paid' order by id" | tr '\n' ' ')" \
	"1:1:1:$(date -ud 2026-03-12T01:00:00Z +%s):300.0 3:0:1:-:- 6:1:1:$(date -ud 2026-03-12T00:00:00Z +%s):500.0 7:1:1:$(date -ud 2026-03-12T00:00:00Z +%s):1000.0 8:1:1:$(date -ud 2026-03-12T00:00:00Z +%s):250.0 " \
	"conversions: u1's latest paid (6), u1's mentorship (1), by id (7), by message id with amount (8); u2 outside 30 days not (but tracked)"

# a first response then a resolution on one escalation, by the state machine
printf '%s\n' '{"event":"first_response","id":"f-h2","escalation_id":4,"agent":"cy","at":"2026-03-04T15:30:00Z"}' \
	'{"event":"resolution","id":"r-h2","escalation_id":4,"outcome":"refunded","at":"2026-03-04T18:00:00Z"}' > "$T/ev-h2.jsonl"
run esc-log --db "$DB" --now "$NOW" "$T/ev-h2.jsonl"
is "$rc/$(sq "select status || ' ' || agent || ' ' || first_response_at || ' ' || resolved_at || ' ' || outcome from escalations where id = 4")" \
	"0/resolved cy $(date -ud 2026-03-04T15:30:00Z +%s) $(date -ud 2026-03-04T18:00:00Z +%s) refunded" \
	"first_response sets the agent and time; resolution: status resolved, resolved_at, outcome"

# --window: the same conversion, 30 days and 1 second after u2's escalation
printf '%s\n' '{"event":"conversion","id":"c-window31","user_id":"u2","value":40,"at":"2026-04-02T09:00:01Z"}' > "$T/ev-w.jsonl"
run esc-log --db "$DB" --now "$NOW" --window 31d "$T/ev-w.jsonl"
is "$rc/$(jq -c '[.log.escalation, .log.attributed]' "$T/out")" "0/[3,true]" "--window 31d: attributed to u2's escalation 3"
is "$(sq 'select converted || ":" || conversion_value from escalations where id = 3')" "1:40.0" "... which is now converted"
# the window's edge: exactly 30 days is in, in a store of its own
printf '%s\n' '{"id":"w1","user_id":"uw","created_at":"2026-03-01T00:00:00Z","text":"x","detect":{"route":"paid"},"offer":{"offer":"course"}}' \
	'{"event":"conversion","id":"cw-2h","user_id":"uw","at":"2026-03-31T00:00:00Z"}' > "$T/edge.jsonl"
run esc-log --db "$T/edge.db" --now "$NOW" "$T/edge.jsonl"
is "$rc/$(sed -n 2p "$T/out" | jq -c '[.log.escalation, .log.attributed]')" "0/[1,true]" \
	"a conversion exactly 30 days after the escalation is attributed (the window includes its edge)"
printf '%s\n' '{"id":"w2","user_id":"uv","created_at":"2026-03-01T00:00:00Z","text":"x","detect":{"route":"paid"},"offer":{"offer":"course"}}' \
	'{"event":"conversion","id":"cv","user_id":"uv","at":"2026-03-01T12:00:00Z"}' > "$T/edge2.jsonl"
run esc-log --db "$T/edge.db" --now "$NOW" --window 12h "$T/edge2.jsonl"
is "$rc/$(sed -n 2p "$T/out" | jq -c '[.log.escalation, .log.attributed]')" "0/[2,true]" "--window 12h: 12 hours later is in"
printf '%s\n' '{"id":"w3","user_id":"uh","created_at":"2026-03-01T00:00:00Z","text":"x","detect":{"route":"human"}}' \
	'{"event":"conversion","id":"cv3","user_id":"uh","at":"2026-03-01T01:00:00Z"}' > "$T/edge4.jsonl"
run esc-log --db "$T/edge.db" --now "$NOW" "$T/edge4.jsonl"
is "$rc/$(sed -n 2p "$T/out" | jq -c '[.log.escalation, .log.attributed]')" "0/[null,false]" \
	"by user: a human escalation is not credited with a conversion"
# a conversion dated before the escalation it names cannot have come from
# it: kept, unattributed, with a warning naming both times
printf '%s\n' '{"id":"b1","user_id":"ub","created_at":"2026-03-02T10:00:00Z","text":"x","detect":{"route":"paid"},"offer":{"offer":"course"}}' \
	'{"event":"conversion","id":"cb-1","message_id":"b1","value":10,"at":"2026-03-02T09:00:00Z"}' \
	'{"event":"conversion","id":"cb-2","escalation_id":1,"value":20,"at":"2026-03-02T09:59:59Z"}' \
	'{"event":"conversion","id":"cb-3","escalation_id":1,"value":30,"at":"2026-03-02T10:00:00Z"}' > "$T/before.jsonl"
run esc-log --db "$T/before.db" --now "$NOW" "$T/before.jsonl"
is "$rc/$(sed 1d "$T/out" | jq -c '[.log.escalation, .log.attributed]' | tr -d '\n')" "0/[null,false][null,false][1,true]" \
	"a conversion before the escalation it names (by message id, by escalation id) is kept unattributed; one at its very time is attributed"
cat > "$T/err.want" <<EOF
esc-log: warning (at $T/before.jsonl:2): conversion cb-1 at 2026-03-02T09:00:00Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z): kept unattributed
esc-log: warning (at $T/before.jsonl:3): conversion cb-2 at 2026-03-02T09:59:59Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z): kept unattributed
esc-log: note: 2 conversions matched no escalation: kept, unattributed
EOF
diff_ok "$T/err" "$T/err.want" "... with a warning naming both times, and counted in the note"
is "$(sqlite3 "$T/before.db" "select (converted_at - created_at) || ' ' || conversion_value from escalations")/$(sqlite3 "$T/before.db" "select group_concat(event_id || ':' || coalesce(escalation_id, '-'), ' ') from events")" \
	"0 30.0/cb-1:- cb-2:- cb-3:1" "... the escalation converted by the conversion at its time only; the early ones in no timeline"
# a case is not taken, answered, resolved or changed before it came in: such
# events are refused, naming both times (an event without "at" is at --now);
# a note, which changes nothing, is kept, first in the timeline
printf '%s\n' '{"id":"k1","user_id":"uk","created_at":"2026-03-02T10:00:00Z","text":"x","detect":{"route":"human","severity":"high"}}' \
	'{"event":"assignment","id":"k-a","message_id":"k1","agent":"ann","at":"2026-03-02T09:00:00Z"}' \
	'{"event":"first_response","id":"k-f","escalation_id":1,"agent":"ann","at":"2026-03-02T09:59:59Z"}' \
	'{"event":"resolution","id":"k-r","escalation_id":1,"outcome":"saved","at":"2026-03-01T10:00:00Z"}' \
	'{"event":"status","id":"k-s","escalation_id":1,"status":"closed","at":"2026-03-02T09:30:00Z"}' \
	'{"event":"status","id":"k-s2","escalation_id":1,"severity":"critical"}' \
	'{"event":"note","id":"k-n","escalation_id":1,"note":"called us first","at":"2026-03-02T08:00:00Z"}' \
	'{"event":"first_response","id":"k-f2","escalation_id":1,"at":"2026-03-02T10:00:00Z"}' > "$T/early.jsonl"
run esc-log --db "$T/early.db" --now 2026-03-01T00:00:00Z "$T/early.jsonl"
cat > "$T/err.want" <<EOF
esc-log: error (at $T/early.jsonl:2): assignment at 2026-03-02T09:00:00Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z)
esc-log: error (at $T/early.jsonl:3): first_response at 2026-03-02T09:59:59Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z)
esc-log: error (at $T/early.jsonl:4): resolution at 2026-03-01T10:00:00Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z)
esc-log: error (at $T/early.jsonl:5): status at 2026-03-02T09:30:00Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z)
esc-log: error (at $T/early.jsonl:6): status at 2026-03-01T00:00:00Z is before its escalation 1 (opened at 2026-03-02T10:00:00Z)
EOF
diff_ok "$T/err" "$T/err.want" "an assignment, first response, resolution or status before its escalation: rejected, naming both times"
is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')/$(sqlite3 "$T/early.db" "select group_concat(event_id, ' ') from (select event_id from events order by id)")" \
	"3/k1 k-n k-f2 /k-n k-f2" "... exit 3; the note before it, and the first response at its very time, kept"
is "$(sqlite3 "$T/early.db" "select status || ' ' || coalesce(agent, '-') || ' ' || severity || ' ' || (first_response_at - created_at) || ' ' || coalesce(resolved_at, '-') from escalations")" \
	"in_progress - high 0 -" "... the escalation as if the refused lines had not come: no agent, not resolved, its severity, a first response of 0s"
run esc-log --history k1 --db "$T/early.db"
is "$rc/$(sed 1d "$T/out" | jq -r '.id + "@" + .at' | tr '\n' ' ')" "0/k-n@2026-03-02T08:00:00Z k-f2@2026-03-02T10:00:00Z " \
	"... --history: the note at its time, before the escalation's first response"

# events naming unknown escalations: rejected, except conversions
printf '%s\n' '{"event":"note","id":"x-1","escalation_id":99,"note":"hi"}' \
	'{"event":"assignment","id":"x-2","message_id":"n1","agent":"ann"}' \
	'{"event":"note","id":"x-3","escalation_id":2,"note":"fine","at":"2026-03-03T10:00:00Z"}' \
	'{"event":"status","id":"x-4","message_id":"nope","status":"closed"}' \
	'{"event":"conversion","id":"x-5","message_id":"nope"}' > "$T/unk.jsonl"
run esc-log --db "$DB" --now "$NOW" "$T/unk.jsonl"
is "$rc" 3 "events naming unknown escalations: exit 3"
cat > "$T/err.want" <<EOF
esc-log: error (at $T/unk.jsonl:1): escalation 99 is not in the store
esc-log: error (at $T/unk.jsonl:2): escalation n1 is not in the store
esc-log: error (at $T/unk.jsonl:4): escalation nope is not in the store
esc-log: warning (at $T/unk.jsonl:5): conversion x-5 names escalation nope, which is not in the store: kept unattributed
esc-log: note: 1 conversion matched no escalation: kept, unattributed
EOF
diff_ok "$T/err" "$T/err.want" "... each named with its line (a question that did not escalate is no escalation); the conversion kept with a warning"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "x-3 x-5 " "... the good lines echoed"
is "$(sq "select event_id from events where event_id like 'x-%' order by id" | tr '\n' ' ')" "x-3 x-5 " \
	"... and only they stored"

# ---- idempotency: the same files again change nothing ------------------------------
sq .dump > "$T/dump1"
run esc-log --db "$DB" --now 2026-05-01T00:00:00Z "$T/off.jsonl" "$D/events.jsonl" "$T/ev-h2.jsonl" "$T/ev-w.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')" "0/0" "the same files again (another --now): exit 0, no warning, no note"
sq .dump > "$T/dump2"
cmp -s "$T/dump1" "$T/dump2"
ok $? "... and the store is byte for byte the same (sqlite3 .dump)"
is "$(jq -r .log.new "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')" " 30 false " "... every line \"new\": false"
head -n 10 "$T/out" | jq -c 'del(.log.new, .log.due, .log.touches, .log.severity)' > "$T/again.q"
jq -c 'del(.log.new, .log.due, .log.touches, .log.severity)' "$T/run1.out" > "$T/first.q"
diff_ok "$T/again.q" "$T/first.q" "... with the same question and escalation ids as the first time"
sed -n 11,27p "$T/out" | jq -c '[.id, .log.event, .log.escalation, .log.attributed]' > "$T/again.e"
jq -c '[.id, .log.event, .log.escalation, .log.attributed]' "$T/run2.out" > "$T/first.e"
diff_ok "$T/again.e" "$T/first.e" "... and the same event ids, escalations and attribution"
# esc-log over its own output: the log object is replaced, nothing changes
run esc-log --db "$DB" --now 2026-05-01T00:00:00Z "$T/run1.out"
is "$rc/$(grep -o '"log":' "$T/out" | wc -l | tr -d ' ')/$(jq -r .log.new "$T/out" | sort -u)" "0/10/false" \
	"esc-log over its own output: one log object a line, replaced, \"new\": false"
sq .dump | cmp -s - "$T/dump1"
ok $? "... and the store unchanged"
# a line repeated within one run
cat "$D/events.jsonl" "$D/events.jsonl" > "$T/twice.jsonl"
run esc-log --db "$T/twice.db" --now "$NOW" "$T/off.jsonl" "$T/twice.jsonl"
is "$rc/$(sqlite3 "$T/twice.db" 'select count(*) from events')/$(sed -n '28,$p' "$T/out" | jq -r .log.new | sort -u)" \
	"0/17/false" "the same events twice in one run: stored once, the second time \"new\": false"
is "$(sqlite3 "$T/twice.db" 'select conversion_value from escalations where id = 6')" "500.0" \
	"... and a conversion counted once"

# ---- more rules of the man page, in a store of their own -----------------------------
M=$T/more.db
printf '%s\n' '{"id":12,"user_id":"uq","created_at":"2026-03-02T10:00:00Z","text":"x","detect":{"route":"paid"},"offer":{"offer":"course"}}' \
	'{"id":"12","detect":{"route":"none"}}' \
	'{"id":"m2","text":"y","detect":{"route":"human","severity":"low"}}' \
	'{"event":"note","id":"n1","escalation_id":1,"message_id":"m2","text":"from the text member"}' \
	'{"event":"status","id":"s1","escalation_id":2,"status":"closed","at":"2026-03-02T12:00:00Z"}' \
	'{"event":"status","id":"s2","escalation_id":2,"status":"closed","at":"2026-03-02T13:00:00Z"}' > "$T/more1.jsonl"
run esc-log --db "$M" --now 2026-03-02T09:00:00Z "$T/more1.jsonl"
is "$rc/$(jq -c '[(.id | tostring), .log.question // .log.event, .log.escalation, .log.new]' "$T/out" | tr -d '\n')" \
	'0/["12",1,1,true]["12",1,1,false]["m2",2,2,true]["n1",1,1,true]["s1",2,2,true]["s2",3,2,true]' \
	"an id 12 and an id \"12\" are one message; escalation_id wins over message_id"
is "$(sqlite3 "$M" "select message_id from questions where id = 1")/$(sqlite3 "$M" "select count(*) from questions")" "12/2" \
	"... kept as its digits, once"
is "$(sqlite3 "$M" "select created_at || ' ' || first_response_due || ' ' || resolution_due from escalations where id = 2")" \
	"$(date -ud 2026-03-02T09:00:00Z +%s) $(date -ud 2026-03-02T17:00:00Z +%s) $(date -ud 2026-03-05T09:00:00Z +%s)" \
	"a message without created_at is from --now, and its due times count from then (low: 8h, 72h)"
is "$(sqlite3 "$M" "select escalation_id || '|' || at || '|' || note from events where event_id = 'n1'")" \
	"1|$(date -ud 2026-03-02T09:00:00Z +%s)|from the text member" \
	"an event without at is at --now; a note without note takes the message text member"
is "$(sqlite3 "$M" "select status || ' ' || resolved_at from escalations where id = 2")" \
	"closed $(date -ud 2026-03-02T12:00:00Z +%s)" "status closed: resolved at the event's time, and not again by a second closed"
printf '%s\n' '{"event":"status","id":"s3","escalation_id":2,"status":"waiting","at":"2026-03-02T14:00:00Z"}' \
	'{"event":"conversion","id":"v1","escalation_id":1,"value":100,"at":"2026-03-03T00:00:00Z"}' \
	'{"event":"conversion","id":"v2","escalation_id":1,"value":999,"at":"2026-03-04T00:00:00Z"}' \
	'{"event":"conversion","id":7,"user_id":"uq","at":"2026-03-05T00:00:00Z"}' \
	'{"event":"note","id":"7","escalation_id":1}' > "$T/more2.jsonl"
run esc-log --db "$M" --now 2026-03-02T09:00:00Z "$T/more2.jsonl"
is "$rc/$(jq -c '[(.id | tostring), .log.event, .log.escalation, .log.new, .log.attributed]' "$T/out" | tr -d '\n')" \
	'0/["s3",4,2,true,null]["v1",5,1,true,true]["v2",6,1,true,true]["7",7,null,true,false]["7",7,null,false,null]' \
	"a second conversion naming a converted escalation joins it; the user's only paid one converted: unattributed; event ids 7 and \"7\" are one"
is "$(cat "$T/err")" "esc-log: note: 1 conversion matched no escalation: kept, unattributed" "... one note"
is "$(sqlite3 "$M" "select status || ' ' || coalesce(resolved_at, '-') || ' ' || first_response_due || ' ' || resolution_due from escalations where id = 2")" \
	"waiting - $(date -ud 2026-03-02T17:00:00Z +%s) $(date -ud 2026-03-05T14:00:00Z +%s)" \
	"reopened to waiting: no resolution time; its resolution clock starts again at the event (72h)"
is "$(sqlite3 "$M" "select converted_at || ' ' || conversion_value from escalations where id = 1")/$(sqlite3 "$M" "select count(*) from events where escalation_id = 1")" \
	"$(date -ud 2026-03-03T00:00:00Z +%s) 100.0/3" "an escalation converts once: the first conversion's time and value; both in its timeline"
rc=0
env ESC_NOW=soon $VALGRIND "$BIN/esc-log" --db "$M" "$T/more2.jsonl" > "$T/out" 2> "$T/err" || rc=$?
is "$rc/$(lines "$T/out")" "2/0" "ESC_NOW not a time: a usage error, exit 2"

# ---- -l and its filters ---------------------------------------------------------
# by now: 1 p1 paid mentorship u1 low open; 2 h1 human u3 high open (reopened);
# 3 p3 paid masterclass u2; 4 h2 human high resolved; 5 h3 human critical open;
# 6 p2 paid course u1; 7 p4 paid mentorship u7; 8 p5 paid mentorship u8
listed() {
	run esc-log -l --db "$DB" "$@"
	printf '%s/%s' "$rc" "$(jq -r .id "$T/out" 2>&1 | tr '\n' ' ')"
}
is "$(listed)" "0/1 2 3 4 5 6 7 8 " "-l: every escalation, oldest first"
is "$(listed --since 2026-03-04)" "0/4 5 6 7 8 " "--since a date: from its midnight UTC"
is "$(listed --since 2026-03-03T09:00:00Z)" "0/3 4 5 6 7 8 " "--since a time: inclusive"
is "$(listed --until 2026-03-03T09:00:00Z)" "0/1 2 " "--until a time: exclusive"
is "$(listed --since 2026-03-03 --until 2026-03-06)" "0/3 4 5 " "--since and --until"
is "$(listed --offer mentorship)" "0/1 7 8 " "--offer mentorship"
is "$(listed --status open)" "0/1 2 3 5 6 7 8 " "--status open"
is "$(listed --status resolved)" "0/4 " "--status resolved"
is "$(listed --severity critical)" "0/5 " "--severity critical"
is "$(listed --severity high)" "0/2 4 " "--severity high"
is "$(listed --user u1)" "0/1 6 " "--user u1"
is "$(listed --route human)" "0/2 4 5 " "--route human"
is "$(listed --route paid --user u1 --offer course)" "0/6 " "filters together"
is "$(listed --user nobody)" "1/" "nothing listed: exit 1, no output"
is "$(wc -c < "$T/err" | tr -d ' ')" 0 "... and nothing on stderr"
run esc-log -l --db "$DB" --route human
is "$(jq -c 'select(.id == 2) | [.sla.first_response_due, .sla.resolution_due, .status, .severity, .agent, .message_id, .user_id]' "$T/out")" \
	'["2026-03-02T12:00:00Z","2026-03-03T17:00:00Z","open","high","bob","h1","u3"]' "-l: sla due times and state of a human escalation"
run esc-log -l --db "$DB" --user u1
is "$(jq -c 'select(.id == 1) | [.sla, .converted, .conversion_value, .converted_at, .offer, .template, .scores]' "$T/out")" \
	'[{"first_response_due":null,"resolution_due":null},true,300,"2026-03-12T01:00:00Z","mentorship","mentorship.numbers",{"personal":3,"strategic":0,"advanced":0}]' \
	"-l: a paid escalation has no due times; conversion, offer, template, scores"
is "$(jq -r 'select(.id == 1) | .question' "$T/out")" "How should I set my prices for my business?" "-l: the question text"

# ---- --history ----------------------------------------------------------------------
run esc-log --history 2 --db "$DB"
is "$rc/$(head -n 1 "$T/out" | jq -c '[.id, .message_id, .status]')" '0/[2,"h1","open"]' "--history 2: the escalation first"
is "$(sed 1d "$T/out" | jq -r '(.escalation | tostring) + ":" + .id + ":" + .event + ":" + .at' | tr '\n' ' ')" \
	"2:e-a1:assignment:2026-03-02T11:05:00Z 2:e-f1:first_response:2026-03-02T11:12:00Z 2:e-n1:note:2026-03-02T11:20:00Z 2:e-s1:status:2026-03-02T11:30:00Z 2:e-r1:resolution:2026-03-02T12:30:00Z 2:e-s2:status:2026-03-03T09:00:00Z 2:x-3:note:2026-03-03T10:00:00Z " \
	"... then its events in time order"
is "$(sed -n 6p "$T/out" | jq -c '[.outcome, .agent]')" '["saved","bob"]' "... each with its fields"
cp "$T/out" "$T/hist2"
run esc-log --history h1 --db "$DB"
cmp -s "$T/out" "$T/hist2"
ok $? "--history by message id: the same"
run esc-log --history 99 --db "$DB"
is "$rc/$(lines "$T/out")" "1/0" "--history of an unknown number: exit 1, no output"
is "$(cat "$T/err")" "esc-log: error: no escalation 99 in $DB" "... and says so"
run esc-log --history n1 --db "$DB"
is "$rc/$(cat "$T/err")" "1/esc-log: error: no escalation n1 in $DB" "--history of a question that did not escalate: exit 1"
run esc-log -l --db "$T/nonexistent.db"
is "$rc/$(test -e "$T/nonexistent.db" && echo made)" "6/" "-l on a store that does not exist: exit 6, and none is made"
like "$(cat "$T/err")" "^esc-log: error: $T/nonexistent\\.db: No such file or directory" "... naming it"

# ---- the SLA clock through esc-log ----------------------------------------------------
# human LINE: a scored human line with id, created_at and severity
hum() {
	printf '{"id":"%s","created_at":"%s","text":"help","detect":{"route":"human"%s}}\n' \
		"$1" "$2" "${3:+,\"severity\":\"$3\"}"
}
cat > "$T/cal.json" <<'EOF'
{"clock": "calendar",
 "targets": {"critical": {"first_response": "10m", "resolution": "1h"},
             "high": {"first_response": "1h30m", "resolution": "1d"},
             "medium": {"first_response": "3h", "resolution": "2d"},
             "low": {"first_response": 18000, "resolution": "3d"}}}
EOF
{
	hum k-high 2026-03-07T23:00:00Z high
	hum k-crit 2026-03-08T06:55:00+01:00 critical
	hum k-none 2026-03-07T12:00:00Z
	printf '%s\n' '{"id":"k-paid","created_at":"2026-03-07T12:00:00Z","text":"x","detect":{"route":"paid","severity":"critical"}}'
} > "$T/k.jsonl"
run esc-log --db "$T/sla.db" --sla "$T/cal.json" --now "$NOW" "$T/k.jsonl"
is "$rc/$(jq -c '[.id, .log.due.first_response, .log.due.resolution]' "$T/out" | tr -d '\n')" \
	'0/["k-high","2026-03-08T00:30:00Z","2026-03-08T23:00:00Z"]["k-crit","2026-03-08T06:05:00Z","2026-03-08T06:55:00Z"]["k-none","2026-03-07T17:00:00Z","2026-03-10T12:00:00Z"]["k-paid",null,null]' \
	"--sla calendar: created_at + target (weekends count; an offset in created_at; no severity is low; paid none)"

# business hours, America/New_York, 09:00-17:00 Mon-Fri
cat > "$T/ny.json" <<'EOF'
{"clock": "business", "timezone": "America/New_York",
 "hours": {"mon": ["09:00", "17:00"], "tue": ["09:00", "17:00"], "wed": ["09:00", "17:00"],
           "thu": ["09:00", "17:00"], "fri": ["09:00", "17:00"], "sat": null, "sun": null},
 "holidays": ["2026-01-01"],
 "targets": {"critical": {"first_response": "30m", "resolution": "4h"},
             "high": {"first_response": "1h", "resolution": "8h"},
             "medium": {"first_response": "2h", "resolution": "16h"},
             "low": {"first_response": "8h", "resolution": "24h"}}}
EOF
jq '.holidays += ["2026-03-16"]' "$T/ny.json" > "$T/ny-hol.json"
{
	hum b-fri 2026-03-13T16:30:00-04:00 high
	hum b-dst 2026-03-06T16:00:00-05:00 medium
	hum b-fall 2026-10-30T16:00:00-04:00 medium
	hum b-sat 2026-03-14T12:00:00Z high
	hum b-early 2026-03-17T07:00:00-04:00 critical
} > "$T/b.jsonl"
run esc-log --db "$T/ny.db" --sla "$T/ny.json" --now "$NOW" "$T/b.jsonl"
jq -c '[.id, .log.due.first_response, .log.due.resolution]' "$T/out" > "$T/b.got"
is "$rc" 0 "--sla business (New York): exit 0"
is "$(sed -n 1p "$T/b.got")" '["b-fri","2026-03-16T13:30:00Z","2026-03-16T20:30:00Z"]' \
	"Friday 16:30 EDT + 1h business: Monday 09:30 EDT; + 8h: Monday 16:30"
is "$(sed -n 2p "$T/b.got")" '["b-dst","2026-03-09T14:00:00Z","2026-03-10T20:00:00Z"]' \
	"Friday 2026-03-06 16:00 EST + 2h over the spring change: Monday 10:00 EDT = 14:00Z; + 16h: Tuesday 16:00 EDT"
is "$(sed -n 3p "$T/b.got")" '["b-fall","2026-11-02T15:00:00Z","2026-11-03T21:00:00Z"]' \
	"Friday 2026-10-30 16:00 EDT + 2h over the autumn change: Monday 10:00 EST = 15:00Z; + 16h: Tuesday 16:00 EST"
is "$(sed -n 4p "$T/b.got")" '["b-sat","2026-03-16T14:00:00Z","2026-03-16T21:00:00Z"]' \
	"created on a Saturday: the clock starts Monday 09:00"
is "$(sed -n 5p "$T/b.got")" '["b-early","2026-03-17T13:30:00Z","2026-03-17T17:00:00Z"]' \
	"created at 07:00, before opening: the clock starts at 09:00"
run esc-log -l --db "$T/ny.db" --severity high
is "$(jq -c '[.message_id, .sla.first_response_due, .sla.resolution_due]' "$T/out" | tr -d '\n')" \
	'["b-fri","2026-03-16T13:30:00Z","2026-03-16T20:30:00Z"]["b-sat","2026-03-16T14:00:00Z","2026-03-16T21:00:00Z"]' \
	"-l shows the same due times under sla"
hum b-fri 2026-03-13T16:30:00-04:00 high > "$T/b1.jsonl"
run esc-log --db "$T/nyh.db" --sla "$T/ny-hol.json" --now "$NOW" "$T/b1.jsonl"
is "$rc/$(jq -c '[.log.due.first_response, .log.due.resolution]' "$T/out")" \
	'0/["2026-03-17T13:30:00Z","2026-03-17T20:30:00Z"]' "a holiday on the Monday: due Tuesday 09:30 and 16:30"
# a severity change recomputes on the business clock
printf '%s\n' '{"event":"status","id":"up","message_id":"b-fri","severity":"critical","at":"2026-03-13T20:35:00Z"}' > "$T/b-up.jsonl"
run esc-log --db "$T/nyh.db" --sla "$T/ny-hol.json" --now "$NOW" "$T/b-up.jsonl"
is "$rc/$(sqlite3 "$T/nyh.db" "select severity, strftime('%Y-%m-%dT%H:%M:%SZ', first_response_due, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', resolution_due, 'unixepoch') from escalations")" \
	"0/critical|2026-03-13T21:00:00Z|2026-03-17T16:30:00Z" \
	"severity raised to critical: 30m is Friday 17:00 EDT; 4h is Tuesday 12:30 EDT (Monday a holiday)"

cat > "$T/london.json" <<'EOF'
{"clock": "business", "timezone": "Europe/London",
 "hours": {"mon": ["09:00", "17:00"], "tue": ["09:00", "17:00"], "wed": ["09:00", "17:00"],
           "thu": ["09:00", "17:00"], "fri": ["09:00", "17:00"]},
 "targets": {"critical": {"first_response": "30m", "resolution": "4h"},
             "high": {"first_response": "1h", "resolution": "8h"},
             "medium": {"first_response": "2h", "resolution": "16h"},
             "low": {"first_response": "8h", "resolution": "24h"}}}
EOF
hum l-dst 2026-03-27T16:00:00Z medium > "$T/l.jsonl"
run esc-log --db "$T/lon.db" --sla "$T/london.json" --now "$NOW" "$T/l.jsonl"
is "$rc/$(jq -c '[.log.due.first_response, .log.due.resolution]' "$T/out")" \
	'0/["2026-03-30T09:00:00Z","2026-03-31T15:00:00Z"]' \
	"Europe/London, Friday 2026-03-27 16:00 GMT + 2h: Monday 10:00 BST = 09:00Z (the UK changes on 03-29)"
jq '.timezone = "Asia/Kolkata"' "$T/london.json" > "$T/kolkata.json"
hum i-wed 2026-03-04T11:00:00Z high > "$T/i.jsonl"
run esc-log --db "$T/kol.db" --sla "$T/kolkata.json" --now "$NOW" "$T/i.jsonl"
is "$rc/$(jq -c '[.log.due.first_response, .log.due.resolution]' "$T/out")" \
	'0/["2026-03-05T04:00:00Z","2026-03-05T11:00:00Z"]' \
	"Asia/Kolkata (+05:30), Wednesday 16:30 IST + 1h: Thursday 09:30 IST = 04:00Z; + 8h: Thursday 16:30 IST"

printf '{"clock": "sundial"}\n' > "$T/badsla.json"
run esc-log --db "$T/x.db" --sla "$T/badsla.json" "$T/k.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "--sla with a bad clock: exit 4, nothing read"
is "$(cat "$T/err")" "esc-log: error: $T/badsla.json: \"clock\" must be \"calendar\" or \"business\"" "... naming the file and the field"
run esc-log --db "$T/x.db" --sla "$T/nosuch.json" "$T/k.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "--sla with a missing file: exit 4"
like "$(cat "$T/err")" "^esc-log: error: $T/nosuch\\.json.*No such file or directory" "... naming the file"

jq '.timezone = "Mars/Olympus_Mons"' "$T/ny.json" > "$T/mars.json"
run esc-log --db "$T/mars.db" --sla "$T/mars.json" --now "$NOW" "$T/b1.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "--sla with a time zone the system does not know: exit 4, nothing read"
like "$(cat "$T/err")" "^esc-log: error: $T/mars\\.json: .*Mars/Olympus_Mons" "... naming the file and the zone"

# ---- options ---------------------------------------------------------------------------
run esc-log --help
is "$rc/$(wc -c < "$T/err" | tr -d ' ')" "0/0" "--help: exit 0"
like "$(head -n 1 "$T/out")" "^usage: esc-log " "--help: usage on stdout"
run esc-log --version
is "$rc" 0 "--version: exit 0"
like "$(cat "$T/out")" "^esc-log [0-9]+\\.[0-9]+\\.[0-9]+\$" "--version: esc-log and a version"
# usage ERE ARGS...: exit 2, the reason, and the usage on stderr
usage_case() {
	_want=$1
	shift
	run esc-log --db "$T/usage.db" "$@"
	is "$rc/$(lines "$T/out")" "2/0" "esc-log $*: exit 2"
	like "$(head -n 1 "$T/err")" "$_want" "... \"$_want\""
}
usage_case "unrecognized option" --bogus
usage_case "^esc-log: error: --since, --until" --since 2026-03-01
usage_case "^esc-log: error: -l and --history read the store, not files" -l "$T/k.jsonl"
usage_case "^esc-log: error: -l and --history: one at a time" -l --history 1
usage_case "^esc-log: error: --window: not a duration" --window 30x
usage_case "^esc-log: error: --batch: not a number of lines: 0" --batch 0
usage_case "^esc-log: error: --route: paid or human: none" -l --route none
usage_case "^esc-log: error: --severity: low, medium, high or critical: urgent" -l --severity urgent
usage_case "^esc-log: error: --since: not an RFC 3339 time or a date: soon" -l --since soon
usage_case '^esc-log: error: --field: "log" is the member esc-log writes$' --field log
test -e "$T/usage.db"
is "$?" 1 "a usage error makes no store"
done_testing
