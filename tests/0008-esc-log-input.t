#!/bin/sh
# esc-log: bad input. Every rejected line is named on stderr as
# "esc-log: error (at NAME:LINE): reason", stores nothing, is kept verbatim
# in --rejects; the lines around it are still stored and echoed; the run
# exits 3. --strict stops at the first.
. "$(dirname "$0")/lib.sh"

plan 295

NOW=2026-04-01T00:00:00Z
# A paid question (escalation 1 in a fresh store) and a note on it.
GOOD1='{"id":"g1","user_id":"u1","created_at":"2026-03-02T10:00:00Z","text":"How should I set my prices for my business?","detect":{"route":"paid","severity":"low"},"offer":{"offer":"mentorship","template":"mentorship.numbers","text":"..."}}'
GOOD2='{"event":"note","id":"g2","escalation_id":1,"note":"called","at":"2026-03-02T11:00:00Z"}'

# bad DESC REASON-ERE LINE: LINE between the two good lines, in a fresh store,
# is rejected with exactly one diagnostic and stores nothing; the good lines
# are echoed and stored.
bad() {
	printf '%s\n%s\n%s\n' "$GOOD1" "$3" "$GOOD2" > "$T/case.jsonl"
	rm -f "$T/case.db" "$T/case.db-wal" "$T/case.db-shm"
	run esc-log --db "$T/case.db" --now "$NOW" "$T/case.jsonl"
	is "$rc/$(lines "$T/err")" "3/1" "$1: exit 3, one diagnostic"
	like "$(cat "$T/err")" "^esc-log: error \\(at $T/case\\.jsonl:2\\): $2\$" "$1: at case.jsonl:2, \"$2\""
	is "$(jq -c '[.id, .log.question // .log.event]' "$T/out" 2>&1 | tr -d '\n')/$(sqlite3 "$T/case.db" \
		'select (select count(*) from questions) || ":" || (select count(*) from escalations) || ":" || (select group_concat(event_id) from events)')" \
		'["g1",1]["g2",1]/1:1:g2' "$1: the lines around it echoed and stored, nothing of it"
}

JSONERR='invalid JSON at byte [0-9]+: '
NEITHER='neither a scored message \(no "detect": run esc-detect and esc-offer first\) nor an event \(no "event"\)'
NOTOBJ='field "detect" must be an object: run esc-detect first'
BADROUTE='field "detect\.route" must be "paid", "human" or "none"'
NOQID='field "id" missing: esc-log keeps each message once, by its id'
NOEID='field "id" missing: esc-log keeps each event once, by its id'
IDTYPE='field "id" must be a string or a number'
BADTIME='must be an RFC 3339 time, like "2026-03-01T10:15:00Z"'
ESCID='field "escalation_id" must be a whole number, as esc-log printed it'

# ---- not JSON, not an object ---------------------------------------------------------
bad "broken JSON (cut short)" "${JSONERR}premature EOF" '{"id":"b","text":'
bad "broken JSON (a trailing comma)" "${JSONERR}invalid object key \\(must be a string\\)" \
	'{"id":"b","detect":{"route":"none"},}'
bad "not JSON at all" "${JSONERR}invalid char in json text" 'xyz'
bad "trailing garbage" "${JSONERR}trailing garbage" '{"id":"b","detect":{"route":"none"}} x'
bad "a top-level array" "not a JSON object" '[{"id":"b","detect":{"route":"none"}}]'
bad "a top-level number" "not a JSON object" '42'
bad "a top-level null" "not a JSON object" 'null'

# ---- neither a message nor an event, or both -------------------------------------------
bad "a chat message not yet scored" "$NEITHER" '{"id":"b","text":"hi"}'
bad "an empty object" "$NEITHER" '{}'
bad "detect and event only nested" "$NEITHER" '{"id":"b","x":{"detect":{"route":"none"},"event":"note"}}'
bad "detect null" "$NEITHER" '{"id":"b","detect":null}'
bad "both detect and event" 'both "detect" and "event": a line is a message or an event' \
	'{"id":"b","detect":{"route":"none"},"event":"note","escalation_id":1}'

# ---- scored messages ------------------------------------------------------------------
bad "a message without id" "$NOQID" '{"text":"x","detect":{"route":"none"}}'
bad "a message with id null" "$NOQID" '{"id":null,"detect":{"route":"none"}}'
bad "an id of survey-send's" 'field "id" begins with "survey:", which is kept for survey-send.s own escalations' \
	'{"id":"survey:q1","text":"I want a refund now","detect":{"route":"human"}}'
bad "id an object" "$IDTYPE" '{"id":{"n":1},"detect":{"route":"none"}}'
bad "id an array" "$IDTYPE" '{"id":["b"],"detect":{"route":"none"}}'
bad "id true" "$IDTYPE" '{"id":true,"detect":{"route":"none"}}'
bad "detect a string" "$NOTOBJ" '{"id":"b","detect":"paid"}'
bad "detect an array" "$NOTOBJ" '{"id":"b","detect":[{"route":"paid"}]}'
bad "detect without route" 'field "detect\.route" missing' '{"id":"b","detect":{"severity":"low"}}'
bad "detect.route unknown" "$BADROUTE" '{"id":"b","detect":{"route":"maybe"}}'
bad "detect.route a number" "$BADROUTE" '{"id":"b","detect":{"route":1}}'
bad "detect.route PAID (case matters)" "$BADROUTE" '{"id":"b","text":"x","detect":{"route":"PAID"}}'
bad "detect.severity unknown" 'field "detect\.severity" must be low, medium, high or critical' \
	'{"id":"b","detect":{"route":"human","severity":"urgent"}}'
bad "detect.severity a number" 'field "detect\.severity" must be a string' \
	'{"id":"b","detect":{"route":"human","severity":3}}'
bad "created_at not a time" "field \"created_at\" $BADTIME" \
	'{"id":"b","created_at":"yesterday","detect":{"route":"none"}}'
bad "created_at a number" "field \"created_at\" $BADTIME" \
	'{"id":"b","created_at":1772445600,"detect":{"route":"none"}}'
bad "touches a string" 'field "touches" must be a number' '{"id":"b","touches":"3","detect":{"route":"human"}}'
bad "revenue_at_risk a string" 'field "revenue_at_risk" must be a number' \
	'{"id":"b","revenue_at_risk":"5000","detect":{"route":"human"}}'
bad "a score a string" 'field "detect\.scores\.personal" must be a number' \
	'{"id":"b","detect":{"route":"paid","scores":{"personal":"2"}}}'
bad "sentiment a string" 'field "detect\.sentiment\.compound" must be a number' \
	'{"id":"b","detect":{"route":"none","sentiment":{"compound":"-0.5"}}}'
bad "touches 1e400" 'field "touches" is out of range' '{"id":"b","touches":1e400,"detect":{"route":"human"}}'
bad "touches 2.5" 'field "touches" must be a whole number of 0 or more' \
	'{"id":"b","touches":2.5,"detect":{"route":"human"}}'
bad "revenue_at_risk 1e400" 'field "revenue_at_risk" is out of range' \
	'{"id":"b","revenue_at_risk":1e400,"detect":{"route":"human"}}'
bad "a score negative" 'field "detect\.scores\.personal" must be a whole number of 0 or more' \
	'{"id":"b","detect":{"route":"paid","scores":{"personal":-3}}}'
bad "a score 1e300" 'field "detect\.scores\.advanced" must be a whole number of 0 or more' \
	'{"id":"b","detect":{"route":"paid","scores":{"advanced":1e300}}}'
bad "scores an array" 'field "detect\.scores" must be an object' \
	'{"id":"b","detect":{"route":"paid","scores":[1,2,3]}}'
bad "sentiment a number" 'field "detect\.sentiment" must be an object' \
	'{"id":"b","detect":{"route":"none","sentiment":-0.5}}'
bad "sentiment out of [-1, 1]" 'field "detect\.sentiment\.compound" must be from -1 to 1' \
	'{"id":"b","detect":{"route":"none","sentiment":{"compound":5}}}'
bad "reasons a string" 'field "detect\.reasons" must be an array of strings' \
	'{"id":"b","detect":{"route":"paid","reasons":"strategic"}}'
bad "reasons of numbers" 'field "detect\.reasons" must be an array of strings' \
	'{"id":"b","detect":{"route":"paid","reasons":[1,2]}}'
bad "alerts of objects" 'field "detect\.alerts" must be an array of strings' \
	'{"id":"b","detect":{"route":"human","alerts":[{"a":1}]}}'
bad "an id with a NUL" 'field "id" holds a NUL character \(\\u0000\), which esc-log cannot keep' \
	'{"id":"b\u0000c","detect":{"route":"none"}}'
bad "a text with a NUL" 'field "text" holds a NUL character \(\\u0000\), which esc-log cannot keep' \
	'{"id":"b","text":"call\u0000 me","detect":{"route":"human"}}'
bad "a reason with a NUL" 'field "detect\.reasons" holds a NUL character \(\\u0000\), which esc-log cannot keep' \
	'{"id":"b","detect":{"route":"paid","reasons":["a\u0000b"]}}'
bad "user_id an object" 'field "user_id" must be a string or a number' \
	'{"id":"b","user_id":{"u":1},"detect":{"route":"none"}}'
bad "an empty user_id" 'field "user_id" is empty: name the user, or leave the field out' \
	'{"id":"b","user_id":"","detect":{"route":"paid"}}'
bad "an empty conversation_id" 'field "conversation_id" is empty: name the conversation, or leave the field out' \
	'{"id":"b","conversation_id":"","detect":{"route":"none"}}'
bad "tier a number" 'field "tier" must be a string' '{"id":"b","tier":3,"detect":{"route":"none"}}'
bad "offer a string" 'field "offer" must be an object: the output of esc-offer' \
	'{"id":"b","text":"x","detect":{"route":"paid"},"offer":"mentorship"}'
bad "offer.offer a number" 'field "offer\.offer" must be a string' \
	'{"id":"b","text":"x","detect":{"route":"paid"},"offer":{"offer":1}}'
bad "a paid question whose text is a number" 'field "text" must be a string' \
	'{"id":"b","text":5,"detect":{"route":"paid"}}'

# ---- events ----------------------------------------------------------------------------
bad "event a number" 'field "event" must be a string' '{"event":5,"id":"b","escalation_id":1}'
bad "event an object" 'field "event" must be a string' '{"event":{"type":"note"},"id":"b","escalation_id":1}'
bad "an unknown event" 'unknown event "party": conversion, resolution, assignment, first_response, note or status' \
	'{"event":"party","id":"b","escalation_id":1}'
bad "an event without id" "$NOEID" '{"event":"note","escalation_id":1}'
bad "an event id an object" "$IDTYPE" '{"event":"note","id":{"a":1},"escalation_id":1}'
bad "escalation_id a string" "$ESCID" '{"event":"note","id":"b","escalation_id":"1"}'
bad "escalation_id 1.5" "$ESCID" '{"event":"note","id":"b","escalation_id":1.5}'
bad "escalation_id -1" "$ESCID" '{"event":"note","id":"b","escalation_id":-1}'
bad "escalation_id 1e0" "$ESCID" '{"event":"note","id":"b","escalation_id":1e0}'
bad "escalation_id true" "$ESCID" '{"event":"note","id":"b","escalation_id":true}'
bad "an event naming no escalation" 'this event needs "escalation_id" or "message_id"' '{"event":"note","id":"b"}'
bad "a conversion naming nothing" 'a conversion needs "escalation_id", "message_id" or "user_id"' \
	'{"event":"conversion","id":"b","value":5}'
bad "a status not allowed" 'field "status" must be open, assigned, in_progress, waiting, resolved or closed' \
	'{"event":"status","id":"b","escalation_id":1,"status":"done"}'
bad "a status event with neither status nor severity" 'a status event needs "status" or "severity"' \
	'{"event":"status","id":"b","escalation_id":1}'
bad "a severity not allowed" 'field "severity" must be low, medium, high or critical' \
	'{"event":"status","id":"b","escalation_id":1,"severity":"urgent"}'
bad "an assignment without agent" 'field "agent" missing: an assignment names the agent' \
	'{"event":"assignment","id":"b","escalation_id":1}'
bad "agent a number" 'field "agent" must be a string' '{"event":"assignment","id":"b","escalation_id":1,"agent":7}'
bad "an assignment to an empty agent" 'field "agent" is empty: name the agent, or leave the field out' \
	'{"event":"assignment","id":"b","escalation_id":1,"agent":""}'
bad "a note with an empty agent" 'field "agent" is empty: name the agent, or leave the field out' \
	'{"event":"note","id":"b","escalation_id":1,"agent":""}'
bad "a conversion by an empty user_id" 'field "user_id" is empty: name the user, or leave the field out' \
	'{"event":"conversion","id":"b","user_id":"","value":5}'
bad "at not a time" "field \"at\" $BADTIME" '{"event":"note","id":"b","escalation_id":1,"at":"soon"}'
bad "value a string" 'field "value" must be a number' '{"event":"conversion","id":"b","escalation_id":1,"value":"12"}'
bad "amount a string" 'field "amount" must be a number' '{"event":"conversion","id":"b","escalation_id":1,"amount":"12"}'
bad "note an object" 'field "note" must be a string' '{"event":"note","id":"b","escalation_id":1,"note":{"t":"x"}}'
bad "an event id with a NUL" 'field "id" holds a NUL character \(\\u0000\), which esc-log cannot keep' \
	'{"event":"note","id":"ev\u0000A","escalation_id":1}'
bad "a user_id with a NUL" 'field "user_id" holds a NUL character \(\\u0000\), which esc-log cannot keep' \
	'{"event":"conversion","id":"b","user_id":"u1\u0000other","value":5}'
bad "a value of 1e400" 'field "value" is out of range' '{"event":"conversion","id":"b","escalation_id":1,"value":1e400}'
printf '%s\n' '{"id":"m-nul","text":"hi","x":"a\u0000b","detect":{"route":"none"}}' > "$T/nul.jsonl"
run esc-log --db "$T/nul.db" --now "$NOW" "$T/nul.jsonl"
is "$rc/$(lines "$T/out")/$(sqlite3 "$T/nul.db" 'select message_id from questions')" "0/1/m-nul" \
	"a NUL in a field esc-log does not keep is no reason to refuse the line"
bad "an event naming an unknown escalation" 'escalation 7 is not in the store' '{"event":"note","id":"b","escalation_id":7}'
bad "an event naming an unknown message" 'escalation nope is not in the store' \
	'{"event":"resolution","id":"b","message_id":"nope"}'

# ---- invalid UTF-8, blank lines ---------------------------------------------------------
bad "invalid UTF-8 in a text" "${JSONERR}invalid bytes in UTF8 string" \
	"$(printf '{"id":"b","text":"caf\351","detect":{"route":"paid"}}')"
bad "invalid UTF-8 in a note" "${JSONERR}invalid bytes in UTF8 string" \
	"$(printf '{"event":"note","id":"b","escalation_id":1,"note":"\377"}')"
bad "an overlong encoding (C0 80)" "${JSONERR}invalid UTF-8 \\(or an unpaired surrogate\\) in a string" \
	"$(printf '{"id":"b\300\200","detect":{"route":"none"}}')"
bad "a UTF-16 surrogate (ED A0 80)" "${JSONERR}invalid UTF-8 \\(or an unpaired surrogate\\) in a string" \
	"$(printf '{"id":"b","text":"\355\240\200","detect":{"route":"paid"}}')"
bad "an empty line" "empty line" ""
bad "a line of blanks" "empty line" "$(printf '  \t ')"

# An empty id is no id: two different messages with "id":"" must not become
# one (the second would be echoed "new":false and lost without a word).
printf '%s\n' '{"id":"","text":"first","detect":{"route":"paid"}}' '{"id":"","text":"second","detect":{"route":"paid"}}' \
	'{"event":"note","id":"","escalation_id":1}' > "$T/emptyid.jsonl"
run esc-log --db "$T/emptyid.db" --now "$NOW" "$T/emptyid.jsonl"
is "$rc/$(lines "$T/err")" "3/3" "\"id\": \"\" on two messages and an event: each rejected, exit 3"
is "$(sqlite3 "$T/emptyid.db" "select count(*) from questions where message_id = ''")" 0 "... and none stored under the empty id"

# A time without an offset is UTC, as every time the tools read; one with an
# offset is moved to UTC.
printf '%s\n' '{"id":"z1","created_at":"2026-03-02T10:00:00","detect":{"route":"none"}}' \
	'{"id":"z2","created_at":"2026-03-02 11:00:00.5","detect":{"route":"none"}}' \
	'{"id":"z3","created_at":"2026-03-02T12:00:00+01:00","detect":{"route":"none"}}' > "$T/nozone.jsonl"
run esc-log --db "$T/nozone.db" --now "$NOW" "$T/nozone.jsonl"
is "$rc/$(sqlite3 "$T/nozone.db" "SELECT group_concat(message_id || '=' || datetime(created_at, 'unixepoch'), ' ') FROM (SELECT * FROM questions ORDER BY id)")" \
	"0/z1=2026-03-02 10:00:00 z2=2026-03-02 11:00:00 z3=2026-03-02 11:00:00" "created_at without an offset: taken as UTC"

# ---- empty input --------------------------------------------------------------------------
: > "$T/empty.jsonl"
run esc-log --db "$T/empty.db" --now "$NOW" "$T/empty.jsonl"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" "empty input: exit 0, no output, no diagnostic"
newest=$(ls "$ESC_SHARE/sql" | sed -n 's/^0*\([0-9][0-9]*\)-.*\.sql$/\1/p' | sort -n | tail -n 1)
is "$(sqlite3 "$T/empty.db" 'select (select count(*) from questions) + (select count(*) from escalations) + (select count(*) from events) + (select count(*) from alerts_sent)')/$(sqlite3 "$T/empty.db" 'pragma user_version')" \
	"0/$newest" "... the store made, with its schema (version $newest) and no rows"
rc=0
tool esc-log --db "$T/empty2.db" --now "$NOW" < /dev/null > "$T/out" 2> "$T/err" || rc=$?
is "$rc/$(wc -c < "$T/out" | tr -d ' ')/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" "empty stdin: exit 0, no output"

# ---- line endings --------------------------------------------------------------------------
printf '%s\r\n%s\r\n' "$GOOD1" "$GOOD2" > "$T/crlf.jsonl"
run esc-log --db "$T/crlf.db" --now "$NOW" "$T/crlf.jsonl"
is "$rc/$(lines "$T/out")/$(tr -cd '\r' < "$T/out" | wc -c | tr -d ' ')" "0/2/0" "CRLF: both lines logged, no CR in the output"
is "$(sqlite3 "$T/crlf.db" 'select body from events')" "$GOOD2" "... nor in the event's body"
printf '%s\n%s' "$GOOD1" "$GOOD2" > "$T/nonl.jsonl"
run esc-log --db "$T/nonl.db" --now "$NOW" "$T/nonl.jsonl"
is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')" "0/g1 g2 " "a last line without a newline is logged"

# ---- a huge line ------------------------------------------------------------------------------
awk 'BEGIN {
	s = "my business needs a real strategy for my pricing "
	while (length(s) < 6291456) s = s s
	printf "{\"id\":\"big\",\"text\":\"%s\",\"detect\":{\"route\":\"paid\"},\"offer\":{\"offer\":\"mentorship\"}}\n", substr(s, 1, 6291456)
	print "{\"id\":\"after\",\"detect\":{\"route\":\"none\"}}"
}' > "$T/big.jsonl"
run esc-log --db "$T/big.db" --now "$NOW" "$T/big.jsonl"
is "$rc/$(jq -c '[.id, .log.escalation, (.text // "" | length)]' "$T/out" | tr -d '\n')" \
	'0/["big",1,6291456]["after",null,0]' "a 6 MB line: logged and echoed whole, and the line after it"
is "$(sqlite3 "$T/big.db" "select length(question) || ':' || offer from escalations where message_id = 'big'")" \
	"6291456:mentorship" "... its 6 MB question stored whole"
awk 'BEGIN {
	s = "xxxxxxxxxxxxxxxx"
	while (length(s) < 6291456) s = s s
	printf "{\"id\":\"bigbad\",\"text\":\"%s\",\"detect\":{\"route\":\"paid\"},}\n", substr(s, 1, 6291456)
	print "{\"id\":\"after\",\"detect\":{\"route\":\"none\"}}"
}' > "$T/bigbad.jsonl"
run esc-log --db "$T/bigbad.db" --now "$NOW" --rejects "$T/bigbad.rej" "$T/bigbad.jsonl"
is "$rc/$(jq -r .id "$T/out")" "3/after" "an invalid 6 MB line: exit 3, the line after it logged"
like "$(cat "$T/err")" "^esc-log: error \\(at $T/bigbad\\.jsonl:1\\): invalid JSON at byte 6291[0-9]{3}: invalid object key" \
	"... named at bigbad.jsonl:1"
head -n 1 "$T/bigbad.jsonl" | cmp -s - "$T/bigbad.rej"
ok $? "... and kept whole in --rejects"

# ---- --rejects, --strict ---------------------------------------------------------------------
{
	printf '%s\n' "$GOOD1"
	printf '%s\r\n' '{"id":"r1","text":'
	printf '  \t\n'
	printf '{"id":"r2","text":"\377","detect":{"route":"none"}}\n'
	printf '%s\n' "$GOOD2"
	printf '%s\n' '{"event":"note","id":"r3","escalation_id":42}'
	printf '%s' '{"id":"r4","detect":{"route":"maybe"}}'
} > "$T/rej.jsonl"
{
	printf '%s\r\n' '{"id":"r1","text":'
	printf '  \t\n'
	printf '{"id":"r2","text":"\377","detect":{"route":"none"}}\n'
	printf '%s\n' '{"event":"note","id":"r3","escalation_id":42}'
	printf '%s\n' '{"id":"r4","detect":{"route":"maybe"}}'
} > "$T/rej.want"
run esc-log --db "$T/rej.db" --now "$NOW" --rejects "$T/rej.out" "$T/rej.jsonl"
is "$rc" 3 "--rejects: exit 3"
cmp -s "$T/rej.out" "$T/rej.want"
ok $? "--rejects: every bad line kept verbatim, byte for byte (CR, blanks, invalid UTF-8), each ending in a newline"
is "$(sed 's/^esc-log: error (at [^)]*:\([0-9]*\)).*/\1/' "$T/err" | tr '\n' ' ')" "2 3 4 6 7 " "... each named on stderr with its line"
is "$(jq -r .id "$T/out" | tr '\n' ' ')/$(sqlite3 "$T/rej.db" "select count(*) from questions")" "g1 g2 /1" \
	"... the good lines echoed and stored"

printf '%s\n%s\n%s\n' "$GOOD1" '{"id":"s1","text":"hi"}' "$GOOD2" > "$T/strict.jsonl"
printf '%s\n' '{"id":"s2","detect":{"route":"none"}}' > "$T/strict2.jsonl"
run esc-log --db "$T/strict.db" --now "$NOW" --strict --rejects "$T/strict.rej" "$T/strict.jsonl" "$T/strict2.jsonl"
is "$rc" 3 "--strict: exit 3"
is "$(cat "$T/err")" "esc-log: error (at $T/strict.jsonl:2): $(printf '%s' "$NEITHER" | tr -d '\\')" "--strict: one diagnostic, the first bad line"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "g1 " "--strict: the line before it echoed, nothing after (in this file or the next)"
is "$(sqlite3 "$T/strict.db" "select (select group_concat(message_id) from questions) || '/' || (select count(*) from events)")" \
	"g1/0" "--strict: the line before it stored, nothing after"
is "$(cat "$T/strict.rej")" '{"id":"s1","text":"hi"}' "--strict --rejects: the line that stopped the run is kept"

# ---- a member named twice: the last counts, as in jq and esc-offer --------------------------
printf '%s\n' '{"id":"dup1","user_id":"u-dup","text":"hi","detect":{"route":"human","reasons":["cancel"],"alerts":["cancel"],"severity":"high","sentiment":{"compound":-0.5}},"detect":{"route":"human","reasons":["refund"],"alerts":["refund"],"severity":"medium","sentiment":{"compound":0.5}},"offer":{"playbook":"cancel_threat"},"offer":{"playbook":"billing_dispute"}}' \
	'{"id":"dup2","user_id":"u-dup2","text":"hi","detect":{"route":"human","reasons":["cancel"],"alerts":["cancel"],"severity":"high"},"detect":{"route":"none","reasons":[]}}' > "$T/dup.jsonl"
run esc-log --db "$T/dup.db" --now "$NOW" "$T/dup.jsonl"
is "$rc/$(sqlite3 "$T/dup.db" "select reason || ' ' || reasons || ' ' || alerts || ' ' || severity || ' ' || sentiment || ' ' || playbook from escalations")" \
	'0/refund ["refund"] ["refund"] medium 0.5 billing_dispute' \
	"two \"detect\" members: the last one's reasons, alerts, severity and sentiment, and the last offer's playbook"
is "$(sqlite3 "$T/dup.db" "select route from questions where message_id = 'dup2'")/$(sqlite3 "$T/dup.db" "select count(*) from escalations where message_id = 'dup2'")" \
	"none/0" "... a last \"detect\" routing none opens nothing"

# ---- several inputs, and stdin ----------------------------------------------------------------
printf '%s\n%s\n' "$GOOD1" '[1]' > "$T/a.jsonl"
printf '%s\n%s\n' '{"event":"note","id":"x"}' "$GOOD2" > "$T/stdin.jsonl"
rc=0
tool esc-log --db "$T/multi.db" --now "$NOW" "$T/a.jsonl" - < "$T/stdin.jsonl" > "$T/out" 2> "$T/err" || rc=$?
is "$rc" 3 "a file and stdin: exit 3"
cat > "$T/err.want" <<EOF
esc-log: error (at $T/a.jsonl:2): not a JSON object
esc-log: error (at <stdin>:1): this event needs "escalation_id" or "message_id"
EOF
diff_ok "$T/err" "$T/err.want" "line numbers restart in each input; stdin named <stdin>"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "g1 g2 " "... the good lines of both"
run esc-log --db "$T/multi2.db" --now "$NOW" "$T/nope.jsonl" "$T/a.jsonl"
is "$rc/$(jq -r .id "$T/out")" "5/g1" "an input that cannot be opened: exit 5, the next still read"
is "$(head -n 1 "$T/err")" "esc-log: error: cannot open $T/nope.jsonl: No such file or directory" "... naming it"
done_testing
