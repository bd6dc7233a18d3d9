#!/bin/sh
# survey-send --record: answers from the widget's modal and the links, on
# chains started for real (survey-send < sessions; --due sending the SMS
# to a real HTTP server standing in for a Twilio-compatible API, whose
# request log gives the link's token). A complete answer ends the chain,
# "Later" keeps it, refusing on a link declines it; tokens replayed (the
# same answer: once; another: refused), expired, forged, malformed; and
# every bad line is rejected, saying why and where, before anything is kept.
# The expiry is checked against the line's answered_at: a time before the
# token was sent, or ahead of the clock by more than 5 minutes, is refused.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"

plan 68

SID=ACrecordTest
httpd_start
export ESC_TWILIO_URL=$HTTPD_URL ESC_TWILIO_SID=$SID ESC_TWILIO_TOKEN=tw-secret
export ESC_TWILIO_FROM=+15550001111
export ESC_SURVEY_URL=https://survey.example/s/ ESC_SURVEY_CALL_URL=https://survey.example/call/
export ESC_NET_RETRIES=0
unset ESC_DB ESC_AGENT_WEBHOOK ESC_MEETING_URL ESC_EMAIL_URL ESC_SMTP_URL
httpd_plan "{\"path\":\"/Accounts/$SID/Calls.json\",\"status\":201,\"json\":{\"sid\":\"CA1\"}}" \
	"{\"path\":\"/Accounts/$SID/Messages.json\",\"status\":201,\"json\":{\"sid\":\"SM1\"}}"

DB=$T/s.db
END=2026-03-02T15:00:00Z
q() {
	sqlite3 "$DB" "$1"
}
# contact ID PHONE CALLS SMS EMAIL
contact() {
	printf '{"type":"contact","customer":"%s","name":"Pat %s","phone":"%s","email":"%s@example.com","consent":{"calls":%s,"sms":%s,"email":%s},"at":"2026-01-01T00:00:00Z"}\n' \
		"$1" "$1" "$2" "$1" "$3" "$4" "$5" | tool crm-track --db "$DB" > /dev/null
}
# modal SESSION CUSTOMER: start the chain, print the modal's token
modal() {
	printf '{"session_id":"%s","customer_id":"%s","ended_at":"%s","problem":"the export to CSV times out"}\n' \
		"$1" "$2" "$END" | tool survey-send --db "$DB" --now "$END" |
		jq -r 'select(.type == "show_feedback_modal") | .token'
}
# record [ARGS...] < LINES
record() {
	run survey-send --db "$DB" --record "$@"
}

contact ana +15555550101 true true true
contact bo +15555550102 true true true
contact cy +15555550103 false true false
contact dee +15555550104 true true true
contact eve +15555550105 true true true
T1=$(modal s1 ana)
like "$T1" '^[A-Za-z0-9_-]{43}$' "a session's chain gives the widget a 43-character token"

# ---- a complete answer ends the chain ---------------------------------------------------
printf '{"token":"%s","problem_solved":true,"rating":5,"nps":9,"feedback":"quick, thanks"}\n' "$T1" \
	> "$T/a1"
record --now 2026-03-02T15:01:00Z < "$T/a1"
is "$rc" 0 "a complete answer is recorded"
is "$(jq -c '.survey | [.survey_id, .session_id, .method, .complete, .chain, .problem]' "$T/out")" \
	'[1,"s1","in_widget",true,"answered",null]' "its survey object: the chain is answered"
is "$(jq -r '.rating, .feedback' "$T/out" | paste -sd' ' -)" "5 quick, thanks" \
	"the line itself is kept as it came"
is "$(q "SELECT state, method, next_at IS NULL, rating, nps, problem_solved FROM surveys WHERE id = 1")" \
	"answered|in_widget|1|5|9|1" "the survey is answered, its next step cancelled"
is "$(q "SELECT count(*), sum(complete) FROM survey_answers WHERE survey_id = 1")" "1|1" \
	"one complete answer kept"
is "$(q "SELECT used_at FROM survey_attempts WHERE survey_id = 1 AND step = 'in_widget'")" \
	"$(date -u -d 2026-03-02T15:01:00Z +%s)" "the token's use is kept"

# --due then sends nothing for it: the provider hears nothing
: > "$HTTPD_DIR/requests.jsonl"
run survey-send --db "$DB" --due --now 2026-03-02T15:06:00Z
is "$rc:$(lines "$T/out")" "0:0" "--due after the answer: nothing to do"
is "$(lines "$HTTPD_DIR/requests.jsonl")" 0 "the provider got no request at all"
is "$(q "SELECT count(*) FROM survey_attempts WHERE survey_id = 1 AND step <> 'in_widget'")" 0 \
	"no later step of the answered chain was attempted"

T2=$(modal s2 bo)
T3=$(modal s3 cy)
T4=$(modal s4 dee)
T5=$(modal s5 eve)

# ---- "Later" in the widget keeps the chain ----------------------------------------------
printf '{"token":"%s","refused":true}\n' "$T2" > "$T/in"; record --now 2026-03-02T15:01:00Z < "$T/in"
is "$rc" 0 "Later is recorded"
is "$(jq -c '.survey | [.complete, .refused, .chain]' "$T/out")" '[false,true,"open"]' \
	"Later: the chain stays open"
is "$(q "SELECT state, step, next_at FROM surveys WHERE session_id = 's2'")" \
	"open|in_widget|$(date -u -d 2026-03-02T15:05:00Z +%s)" "the call is still due 5 minutes after the end"

# ---- --due: the chain after Later goes on, the answered one still sends nothing -------
: > "$HTTPD_DIR/requests.jsonl"
run survey-send --db "$DB" --due --now 2026-03-02T15:06:00Z
is "$rc" 0 "--due runs"
is "$(jq -r 'select(.session_id == "s1") | .action' "$T/out" | wc -l | tr -d ' ')" 0 \
	"--due does nothing for the answered chain"
is "$(jq -r '.body' "$HTTPD_DIR/requests.jsonl" | grep -c 'To=%2B15555550101')" 0 \
	"the provider got nothing for the person who answered"
is "$(q "SELECT state FROM survey_attempts WHERE survey_id = 2 AND step = 'ai_call'")" sent \
	"the chain after Later placed its call"

# ---- refusing on a link declines --------------------------------------------------------
# cy: no calls, so the SMS comes next; its link's token is in the request the provider got
run survey-send --db "$DB" --due --now 2026-03-02T17:10:00Z
SMS=$(jq -r 'select(.path | test("Messages")) | .body' "$HTTPD_DIR/requests.jsonl" |
	grep -oE 'survey\.example%2Fs%2F[A-Za-z0-9_-]{43}' | sed 's/.*%2F//' | head -n 1)
like "$SMS" '^[A-Za-z0-9_-]{43}$' "the SMS carried a link with a token"
is "$(q "SELECT step FROM survey_attempts WHERE token = '$(printf '%s' "$SMS" | sha256sum | cut -c1-64)'")" \
	sms_link "the store keeps the token's hash, with its step"
printf '{"token":"%s","refused":true}\n' "$SMS" > "$T/in"; record --now 2026-03-02T17:30:00Z < "$T/in"
is "$(jq -c '.survey | [.method, .chain]' "$T/out")" '["sms_link","declined"]' \
	"refused on the SMS link: the survey is declined"
is "$(q "SELECT state, next_at IS NULL FROM surveys WHERE id = 3")" "declined|1" \
	"a declined survey waits for nothing"
printf '{"token":"%s","problem_solved":true,"rating":4}\n' "$T3" > "$T/in"; record --now 2026-03-02T17:31:00Z < "$T/in"
is "$rc" 3 "the widget's token of a declined survey is refused"
like "$(cat "$T/err")" 'survey token refused: the survey already ended \(declined\)' "saying why"

# ---- replays ----------------------------------------------------------------------------
record --now 2026-03-02T16:00:00Z < "$T/a1"
is "$rc" 0 "the same answer fed again is fine"
is "$(jq -c '.survey | [.duplicate, .chain]' "$T/out")" '[true,"answered"]' "and said to be a duplicate"
is "$(q "SELECT count(*) FROM survey_answers WHERE survey_id = 1")" 1 "it is not counted twice"
printf '{"token":"%s","problem_solved":true,"rating":1}\n' "$T1" > "$T/in"; record --now 2026-03-02T16:00:00Z < "$T/in"
is "$rc" 3 "another answer with a used token: refused"
is "$(cat "$T/err")" \
	"survey-send: error (at <stdin>:1): survey token refused: already used at 2026-03-02T15:01:00Z" \
	"saying when it was used"
is "$(q "SELECT rating FROM surveys WHERE id = 1")" 5 "the first answer stands"

# ---- expired, forged, malformed ---------------------------------------------------------
printf '{"token":"%s","problem_solved":true,"rating":4}\n' "$T4" > "$T/in"; record --now 2026-03-09T15:00:00Z < "$T/in"
is "$rc" 3 "a token at its expiry time is refused"
is "$(cat "$T/err")" \
	"survey-send: error (at <stdin>:1): survey token refused: expired at 2026-03-09T15:00:00Z" \
	"saying when it expired"
# a backdated answered_at cannot bring an expired link back (T5 was sent at $END)
printf '{"token":"%s","problem_solved":true,"rating":4,"answered_at":"2026-03-02T14:59:59Z"}\n' "$T5" \
	> "$T/in"
record --now 2026-03-10T00:00:00Z < "$T/in"
is "$rc" 3 "an answered_at before the token was sent is refused, even past the expiry"
is "$(cat "$T/err")" \
	"survey-send: error (at <stdin>:1): field \"answered_at\": before the survey was sent" \
	"saying why"
printf '{"token":"%s","problem_solved":true,"rating":4,"answered_at":"2026-03-02T15:01:00Z"}\n' "$T5" \
	> "$T/in"
record --now 2026-03-10T00:00:00Z < "$T/in"
is "$rc:$(cat "$T/err")" \
	"3:survey-send: error (at <stdin>:1): survey token refused: expired at 2026-03-09T15:00:00Z" \
	"an answered_at inside the link's life, fed after its end, is refused: the clock decides"
printf '{"token":"%s","problem_solved":true,"rating":4,"answered_at":"2026-03-02T15:07:01Z"}\n' "$T5" \
	> "$T/in"
record --now 2026-03-02T15:02:00Z < "$T/in"
is "$rc" 3 "an answered_at more than 5 minutes ahead of the clock is refused"
is "$(cat "$T/err")" "survey-send: error (at <stdin>:1): field \"answered_at\": in the future" \
	"saying why"
printf '{"token":"%s","problem_solved":true,"rating":4,"answered_at":"2026-03-02T15:06:00Z"}\n' "$T5" \
	> "$T/in"
record --dry-run --now 2026-03-02T15:02:00Z < "$T/in"
is "$rc:$(jq -r '.survey.chain' "$T/out")" "0:answered" "one 4 minutes ahead (another clock) is not"
FORGED=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-43)
printf '{"token":"%s","rating":4}\n' "$FORGED" > "$T/in"; record < "$T/in"
is "$rc" 3 "a forged token is refused"
is "$(cat "$T/err")" "survey-send: error (at <stdin>:1): survey token refused: unknown" \
	"as unknown"
printf '{"token":"abc","rating":4}\n' > "$T/in"; record < "$T/in"
like "$(cat "$T/err")" 'field "token" must be a survey token' "a malformed token: the field is named"

# ---- partial answers keep the chain, a dry run keeps nothing -----------------------------
printf '{"token":"%s","nps":10}\n' "$T4" > "$T/in"; record --now 2026-03-02T15:02:00Z < "$T/in"
is "$(jq -c '.survey | [.complete, .chain]' "$T/out")" '[false,"open"]' "a partial answer: the chain goes on"
is "$(q "SELECT nps, state FROM surveys WHERE id = 4")" "10|open" "and its value is kept"
printf '{"token":"%s","problem_solved":true,"rating":3}\n' "$T5" > "$T/in"; record --dry-run --now 2026-03-02T15:02:00Z < "$T/in"
is "$(jq -c '.survey | [.chain, .dry_run]' "$T/out")" '["answered",true]' "a dry run says what it would record"
is "$(q "SELECT s.state, a.used_at IS NULL FROM surveys s JOIN survey_attempts a ON a.survey_id = s.id WHERE s.id = 5 AND a.step = 'in_widget'")" \
	"open|1" "and keeps nothing"

# ---- bad lines --------------------------------------------------------------------------
before=$(q "SELECT count(*) || '/' || coalesce(max(id), 0) FROM survey_answers")
# bad LINE REASON-ERE DESC
bad() {
	printf '%s\n' "$1" > "$T/answers.jsonl"
	record "$T/answers.jsonl"
	if [ "$rc" = 3 ] && [ ! -s "$T/out" ]; then
		like "$(cat "$T/err")" "^survey-send: error \\(at $T/answers.jsonl:1\\): $2" "$3"
	else
		is "rc=$rc, out: $(cat "$T/out")" "rc=3, no output" "$3"
	fi
}
bad '{"token":' 'invalid JSON' "broken JSON"
bad '{"rating":5,"problem_solved":true}' 'field "token" missing' "no token"
bad "{\"token\":\"$T5\",\"rating\":\"5\"}" 'field "rating" must be a whole number from 1 to 5' \
	"a rating as a string"
bad "{\"token\":\"$T5\",\"rating\":0}" 'field "rating" must be a whole number from 1 to 5' "rating 0"
bad "{\"token\":\"$T5\",\"rating\":6}" 'field "rating" must be a whole number from 1 to 5' "rating 6"
bad "{\"token\":\"$T5\",\"rating\":4.5}" 'field "rating" must be a whole number' "rating 4.5"
bad "{\"token\":\"$T5\",\"nps\":11}" 'field "nps" must be a whole number from 0 to 10' "nps 11"
bad "{\"token\":\"$T5\",\"problem_solved\":\"yes\"}" 'field "problem_solved" must be true or false' \
	"problem_solved as a string"
bad "{\"token\":\"$T5\",\"feedback\":42}" 'field "feedback" must be a string' "feedback as a number"
bad "{\"token\":\"$T5\",\"rating\":4,\"answered_at\":\"yesterday\"}" \
	'field "answered_at" must be an RFC 3339 time' "a bad answered_at"
bad "{\"token\":\"$T5\"}" 'an answer needs problem_solved, rating' "a token and nothing else"
bad "{\"token\":$(printf '"%s"' "$T5"),\"meeting_token\":\"x\",\"agent\":\"sam\"}" 'a line is an answer .* not both' \
	"an answer and a meeting join at once"
bad "$(printf '{"token":"%s","feedback":"caf\377"}' "$T5")" 'invalid JSON at byte [0-9]+: invalid.*UTF-?8' "invalid UTF-8"
printf '{"token":"%s","rating":4,"feedback":"' "$T5" > "$T/big"
head -c 10485760 /dev/zero | tr '\0' 'x' >> "$T/big"
printf '"}\n' >> "$T/big"
record "$T/big"
is "$rc:$(lines "$T/out")" "3:0" "a 10 MB line is rejected"
like "$(cat "$T/err")" 'field "feedback" is longer than 10000 bytes' "naming the field"
: > "$T/empty"
record "$T/empty"
is "$rc:$(lines "$T/out"):$(lines "$T/err")" "0:0:0" "empty input: nothing to do"
printf '\n' > "$T/in"; record < "$T/in"
like "$rc $(cat "$T/err")" '^3 survey-send: error \(at <stdin>:1\)' "an empty line is rejected"
is "$(q "SELECT count(*) || '/' || coalesce(max(id), 0) FROM survey_answers")" "$before" \
	"no bad line kept anything"
is "$(q "SELECT s.state, a.used_at IS NULL FROM surveys s JOIN survey_attempts a ON a.survey_id = s.id WHERE s.id = 5 AND a.step = 'in_widget'")" \
	"open|1" "and the token they carried is still unused"

# ---- a chain that ran out of steps still takes its live link ----------------------------
# nobody to call, text or mail: --due ends the chain at the call's time,
# but the modal's token lives 7 days and an answer through it counts
T9=$(modal s9 nobody)
run survey-send --db "$DB" --due --now 2026-03-02T15:06:00Z
is "$(q "SELECT state FROM surveys WHERE session_id = 's9'")" "exhausted" \
	"a person with no contact: the chain is exhausted after the skipped steps"
printf '{"token":"%s","problem_solved":true,"rating":4}\n' "$T9" > "$T/in"
record --now 2026-03-02T15:10:00Z "$T/in"
is "$rc:$(jq -r .survey.chain "$T/out")" "0:answered" "... and a modal answer a few minutes later is kept"
is "$(q "SELECT state || ' ' || method || ' ' || rating FROM surveys WHERE session_id = 's9'")" \
	"answered in_widget 4" "... ending the chain answered"

# ---- a store that fails part-way -------------------------------------------------------
# each answer is its own transaction: the one before the failure is kept,
# and the message says nothing from the failing line on was stored
TA=$(modal pa ana)
TB=$(modal pb bo)
q "CREATE TRIGGER boom BEFORE UPDATE ON surveys WHEN NEW.session_id = 'pb' BEGIN SELECT RAISE(ABORT, 'no room for pb'); END"
printf '{"token":"%s","problem_solved":true,"rating":5}\n' "$TA" "$TB" > "$T/in"
record --now 2026-03-02T15:01:00Z "$T/in"
is "$rc/$(jq -r .survey.session_id "$T/out" | paste -sd' ' -)/$(q "SELECT group_concat(session_id || '=' || state, ' ') FROM surveys WHERE session_id IN ('pa', 'pb')")" \
	"6/pa/pa=answered pb=open" "a store that fails at the second answer: exit 6, the first echoed and kept"
is "$(cat "$T/err")" "survey-send: error (at $T/in:2): $DB: no room for pb; nothing from $T/in:2 on was stored" \
	"... the message names the line, and says nothing from it on was stored"
q "DROP TRIGGER boom"

done_testing
