#!/bin/sh
# survey-send: a send the provider reported failed, answered through its
# own token. The answer proves the message reached the person, whatever
# the provider said: the attempt is no longer "failed" but "unconfirmed"
# (the provider never confirmed it; the answer did), it is never tried
# again, the chain goes on from it as from a send, and esc-stats counts it
# sent, not failed. Each case on a real HTTP server standing in for a
# Twilio-compatible API, which answers 503 on demand:
#   ann  the call fails (503, to be retried); she answers it in full
#   ben  the same; he answers part of it: the chain goes on to the SMS
#        two hours after the call, and the call is not placed again
#   cal  the call fails five times and is given up; he answers the last
#   dan  he answers the call while the run placing it still waits for
#        the provider, which then answers 503
#   eve  the call fails, and goes through when tried again, with a new
#        token; she answers the first: taken, and the second is spent
#   olga a store an older esc left with her failed call answered, and
#        her chain waiting to try it again: upgraded, it does not
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"

plan 28

SID=ACfailAnswered
httpd_start
export ESC_TWILIO_URL=$HTTPD_URL ESC_TWILIO_SID=$SID ESC_TWILIO_TOKEN=tw-secret
export ESC_TWILIO_FROM=+15550001111
export ESC_SURVEY_URL=https://survey.example/s/ ESC_SURVEY_CALL_URL=https://survey.example/call/
net_timeouts 15s
export ESC_NET_RETRIES=0
unset ESC_DB ESC_AGENT_WEBHOOK ESC_MEETING_URL ESC_EMAIL_URL ESC_SMTP_URL

CALLS=/Accounts/$SID/Calls.json
MSGS=/Accounts/$SID/Messages.json
twilio_ok() {
	httpd_plan "{\"path\":\"$CALLS\",\"status\":201,\"json\":{\"sid\":\"CA1\"}}" \
		"{\"path\":\"$MSGS\",\"status\":201,\"json\":{\"sid\":\"SM1\"}}"
}
DB=$T/s.db
q() {
	sqlite3 "$DB" "$1"
}
contact() { # ID PHONE
	printf '{"type":"contact","customer":"%s","phone":"%s","consent":{"calls":true,"sms":true},"at":"2026-01-01T00:00:00Z"}\n' \
		"$1" "$2" | tool crm-track --db "$DB" > /dev/null
}
session() { # ID CUSTOMER ENDED
	printf '{"session_id":"%s","customer_id":"%s","ended_at":"%s"}\n' "$1" "$2" "$3" |
		tool survey-send --db "$DB" --now "$3" > /dev/null
}
due() {
	run survey-send --db "$DB" --due --now "$1"
}
# the tokens of the calls placed to PHONE, oldest first
call_tokens() {
	jq -r --arg p "$CALLS" --arg to "$(printf '%s' "$1" | jq -sRr @uri)" \
		'select(.path == $p and (.body | contains("To=" + $to))) | .body' \
		"$HTTPD_DIR/requests.jsonl" | sed -n 's/.*call%2F\([A-Za-z0-9_-]\{43\}\).*/\1/p'
}
calls_to() {
	call_tokens "$1" | wc -l | tr -d ' '
}
answer() { # TOKEN MEMBERS TIME
	printf '{"token":"%s",%s,"answered_at":"%s"}\n' "$1" "$2" "$3" > "$T/a"
	run survey-send --db "$DB" --record --now "$3" "$T/a"
}
# the call's attempt of SESSION: state, tries, whether its token was used
call_attempt() {
	q "select a.state || ' ' || a.tries || ' ' || (a.used_at is not null) from survey_attempts a join surveys s on s.id = a.survey_id where s.session_id = '$1' and a.step = 'ai_call'"
}
epoch() {
	date -u -d "$1" +%s
}

for c in "ann +15555550101" "ben +15555550102" "cal +15555550103" "dan +15555550104" \
    "eve +15555550106"; do
	contact $c
done

# ---- a failed call answered, in full and in part -----------------------------------------
session a-1 ann 2026-03-02T10:00:00Z
session b-1 ben 2026-03-02T10:00:00Z
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"times\":2}"
twilio_ok
due 2026-03-02T10:05:00Z
is "$rc/$(jq -r '[.session_id, .action, .step, .retry_at] | join(" ")' "$T/out" | paste -sd, -)" \
	"7/a-1 failed ai_call 2026-03-02T10:15:00Z,b-1 failed ai_call 2026-03-02T10:15:00Z" \
	"precondition: both calls failed with a 503, to be tried again at 10:15"
answer "$(call_tokens +15555550101)" '"problem_solved":true,"rating":4' 2026-03-02T10:08:00Z
is "$rc/$(jq -c '.survey | [.method, .complete, .chain]' "$T/out")" '0/["ai_call",true,"answered"]' \
	"ann answers the call the provider said failed: recorded, through the call"
is "$(call_attempt a-1)" "unconfirmed 1 1" \
	"her call is no longer failed: unconfirmed (the provider never confirmed it), its token used"
like "$(q "select error from survey_attempts where step = 'ai_call' and survey_id = (select id from surveys where session_id = 'a-1')")" \
	'HTTP 503' "the provider's error is kept"
answer "$(call_tokens +15555550102)" '"nps":9' 2026-03-02T10:08:00Z
is "$rc/$(jq -c '.survey | [.method, .complete, .chain]' "$T/out")" '0/["ai_call",false,"open"]' \
	"ben answers part of it: the chain goes on"
is "$(call_attempt b-1)/$(q "select state || ' ' || step || ' ' || next_at from surveys where session_id = 'b-1'")" \
	"unconfirmed 1 1/open ai_call $(epoch 2026-03-02T12:05:00Z)" \
	"his chain moves on from the call, as from a send: the SMS two hours after it"
due 2026-03-02T10:15:00Z
is "$rc/$(lines "$T/out")/$(calls_to +15555550101)/$(calls_to +15555550102)" "0/0/1/1" \
	"when the retry was due: no call placed again, to either"
due 2026-03-02T12:05:00Z
is "$(jq -r '[.session_id, .action, .step] | join(" ")' "$T/out" | paste -sd, -)/$(call_attempt b-1)" \
	"b-1 sent sms_link/unconfirmed 1 1" "two hours after the call, ben's SMS"

# ---- a call given up after five failures, then answered ---------------------------------
session c-1 cal 2026-03-03T10:00:00Z
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"times\":5}"
twilio_ok
for t in 10:05 10:15 10:25 10:35 10:45; do
	due "2026-03-03T$t:00Z"
done
is "$(jq -r '[.action, .step, .gave_up // empty] | join(" ")' "$T/out" | paste -sd, -)/$(call_attempt c-1)" \
	"failed ai_call true,sent sms_link/failed 5 0" \
	"precondition: cal's call given up after five tries, the SMS sent at once"
answer "$(call_tokens +15555550103 | tail -n 1)" '"problem_solved":true,"rating":5' 2026-03-03T10:50:00Z
is "$rc/$(jq -c '.survey | [.method, .chain]' "$T/out")/$(call_attempt c-1)" \
	'0/["ai_call","answered"]/unconfirmed 5 1' \
	"he answers the call given up: it reached him, unconfirmed, no longer failed"

# ---- answered while the provider keeps the run waiting, then 503 --------------------------
session d-1 dan 2026-03-04T10:00:00Z
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"delay\":5,\"times\":1}"
twilio_ok
tool survey-send --due --db "$DB" --now 2026-03-04T10:05:00Z > "$T/race" 2> "$T/race.err" &
pid=$!
for i in $(seq 100); do
	[ "$(calls_to +15555550104)" = 1 ] && break
	sleep 0.1
done
answer "$(call_tokens +15555550104)" '"nps":10' 2026-03-04T10:05:30Z
is "$rc/$(jq -c '.survey | [.method, .chain]' "$T/out")" '0/["ai_call","open"]' \
	"dan answers part of the call while the run placing it waits"
drc=0
wait "$pid" || drc=$?
is "$drc/$(jq -r '[.action, .step, .answered_at, .next_at] | join(" ")' "$T/race")" \
	"7/unconfirmed ai_call 2026-03-04T10:05:30Z 2026-03-04T12:05:00Z" \
	"the provider then says 503: unconfirmed, not failed, with the answer's time; the SMS in two hours"
like "$(jq -r .error "$T/race")" 'HTTP 503' "the line says what the provider said"
like "$(cat "$T/race.err")" 'survey [0-9]+: the ai_call was not confirmed \(.*HTTP 503\), but it reached the person: an answer came through it at 2026-03-04T10:05:30Z; it is not sent again' \
	"and the warning that it reached him"
is "$(call_attempt d-1)/$(q "select step || ' ' || next_at from surveys where session_id = 'd-1'")" \
	"unconfirmed 1 1/ai_call $(epoch 2026-03-04T12:05:00Z)" "the store agrees"
due 2026-03-04T10:15:00Z
is "$rc/$(lines "$T/out")/$(calls_to +15555550104)" "0/0/1" "no retry: one call, ever"

# ---- a failed try's token, when the step went out again with another --------------------
session e-1 eve 2026-03-06T10:00:00Z
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"times\":1}"
twilio_ok
due 2026-03-06T10:05:00Z
due 2026-03-06T10:15:00Z
is "$(jq -r '[.action, .step] | join(" ")' "$T/out")/$(calls_to +15555550106)/$(call_attempt e-1)" \
	"sent ai_call/2/sent 2 0" "precondition: eve's call failed at 10:05, went through at 10:15"
# she took the first call at 10:05, whatever the provider said, and
# answered it at 10:10, before the second was placed
printf '{"token":"%s","problem_solved":true,"rating":5,"answered_at":"2026-03-06T10:10:00Z"}\n' \
	"$(call_tokens +15555550106 | head -n 1)" > "$T/a"
run survey-send --db "$DB" --record --now 2026-03-06T10:20:00Z "$T/a"
is "$rc/$(jq -c '.survey | [.method, .chain]' "$T/out")" '0/["ai_call","answered"]' \
	"an answer through the failed try's token is taken, though the step went out again since"
answer "$(call_tokens +15555550106 | tail -n 1)" '"problem_solved":false,"rating":1' 2026-03-06T10:21:00Z
is "$rc/$(cat "$T/err")" \
	"3/survey-send: error (at $T/a:1): survey token refused: already used at 2026-03-06T10:10:00Z" \
	"the step is answered once: the second call's token is spent"

# ---- esc-stats ---------------------------------------------------------------------------
# five calls: four failed by the provider's word and each answered through
# its token, eve's sent on its second try: all five sent, none failed;
# ann's, cal's and eve's answered in full. The SMS: ben's, cal's after his
# call was given up, and dan's, which eve's runs found due.
run esc-stats --db "$DB" --surveys
is "$(jq -c 'select(.section == "survey_methods" and .step == "ai_call") | [.sent, .skipped, .failed, .answered, .response_rate]' "$T/out")" \
	"[5,0,0,3,0.6]" "survey_methods: the answered calls are sent, not failed"
is "$(jq -c 'select(.section == "survey_methods" and .step == "sms_link") | [.sent, .failed]' "$T/out")" \
	"[3,0]" "... and the SMS as they went"
is "$(jq -c 'select(.section == "survey_funnel" and .step == "ai_call") | [.reached, .answered]' "$T/out")/$(jq -c 'select(.section == "surveys") | [.chains, .reached, .answered]' "$T/out")" \
	"[5,3]/[5,5,3]" "survey_funnel and surveys: reached through the answered calls"

# ---- a store an older esc left ------------------------------------------------------------
# Schema 5, before this: olga's call failed (503) at 10:05, she answered
# part of it at 10:08 (the attempt kept "failed", its token used), and her
# chain waits to try the call again at 10:15.
mkdir "$T/oldshare"
cp -R "$ESC_SHARE"/. "$T/oldshare"
rm "$T"/oldshare/sql/0[0-9][0-9]-*.sql
for v in 001 002 003 004 005; do
	cp "$ESC_SHARE"/sql/$v-*.sql "$T/oldshare/sql/"
done
DB=$T/old.db
old_store "$DB" 5
printf '{"type":"contact","customer":"olga","phone":"+15555550105","consent":{"calls":true,"sms":true},"at":"2026-01-01T00:00:00Z"}\n' |
	ESC_SHARE=$T/oldshare tool crm-track --db "$DB" > /dev/null
E=$(epoch 2026-03-05T10:00:00Z)
OLGA_MODAL=OlgaModalToken0123456789abcdefghijklmnopqrs
q "insert into surveys (id, session_id, customer_id, ended_at, state, step, next_at, nps, created_at, updated_at)
	values (1, 'o-1', 'olga', $E, 'open', 'in_widget', $((E + 900)), 9, $E, $((E + 480)));
insert into survey_attempts (id, survey_id, customer_id, step, state, due_at, sent_at, channel, token, expires_at, tries)
	values (1, 1, 'olga', 'in_widget', 'sent', $E, $E, 'widget', '$(printf %s "$OLGA_MODAL" | sha256sum | cut -c1-64)', $((E + 604800)), 1);
insert into survey_attempts (id, survey_id, customer_id, step, state, due_at, claimed_at, channel, token, expires_at, used_at, error, tries)
	values (2, 1, 'olga', 'ai_call', 'failed', $((E + 300)), $((E + 300)), 'twilio', '$(printf b | sha256sum | cut -c1-64)', $((E + 300 + 604800)), $((E + 480)), 'http://127.0.0.1:1: HTTP 503', 1);
insert into survey_answers (attempt_id, survey_id, customer_id, method, nps, refused, complete, digest, answered_at, logged_at)
	values (2, 1, 'olga', 'ai_call', 9, 0, 0, 'x', $((E + 480)), $((E + 480)));"
is "$(q 'pragma user_version')/$(call_attempt o-1)" "5/failed 1 1" "precondition: schema 5, olga's call failed, answered"
httpd_reset
twilio_ok
due 2026-03-05T10:15:00Z
is "$rc/$(lines "$T/out")/$(calls_to +15555550105)/$(call_attempt o-1)" "0/0/0/unconfirmed 1 1" \
	"upgraded: her answered call is unconfirmed, and not placed again when its retry was due"
is "$(q "select step || ' ' || next_at from surveys where session_id = 'o-1'")" \
	"ai_call $(epoch 2026-03-05T12:05:00Z)" "her chain goes on from the call: the SMS two hours after it"
due 2026-03-05T12:05:00Z
is "$(jq -r '[.action, .step] | join(" ")' "$T/out")/$(calls_to +15555550105)" "sent sms_link/0" \
	"and the SMS goes then"
run esc-stats --db "$DB" --section survey_methods
is "$(jq -c 'select(.step == "ai_call") | [.sent, .failed]' "$T/out")" "[1,0]" \
	"esc-stats counts her call sent, not failed"
answer "$OLGA_MODAL" '"problem_solved":true,"rating":4' 2026-03-05T12:10:00Z
is "$rc/$(jq -c '.survey | [.method, .chain]' "$T/out")" '0/["in_widget","answered"]' \
	"the modal's token the older esc kept still works"

done_testing
