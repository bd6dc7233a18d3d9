#!/bin/sh
# survey-send: unresolved problems and the handover to a human. An answer
# that says the problem was not solved counts a problem (de-duplicated at
# the similarity threshold, its users and attempts counted) and opens an
# ai_failure escalation; within service hours the agents' webhook (a real
# HTTP server) gets it with a meeting link whose token the store keeps only
# as a hash; outside them it waits for the next opening, which --due makes.
# A failed webhook is retried with a new link, and the old one still works;
# a handover is joined once, by any of its links;
# --resolve lists the people to tell by the channels they consented to.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"

plan 72

httpd_start
export ESC_AGENT_WEBHOOK=$HTTPD_URL/hook ESC_MEETING_URL='https://meet.example/j/{token}?x=1'
export ESC_NET_RETRIES=0
unset ESC_DB ESC_TWILIO_URL ESC_TWILIO_SID ESC_TWILIO_TOKEN ESC_SURVEY_URL ESC_EMAIL_URL ESC_SMTP_URL

DB=$T/p.db
# Wednesday 2026-03-04 10:00 in New York (EST): inside the service hours
WED=2026-03-04T15:00:00Z
# Saturday 2026-03-07 10:00 in New York: outside them; the next opening is
# Monday 08:00, after the change to EDT on the 8th: 12:00 UTC
SAT=2026-03-07T15:00:00Z
MON=2026-03-09T12:00:00Z
q() {
	sqlite3 "$DB" "$1"
}
# contact ID SMS EMAIL CALLS
contact() {
	printf '{"type":"contact","customer":"%s","name":"Pat %s","phone":"+1555555%s","email":"%s@example.com","consent":{"sms":%s,"email":%s,"calls":%s},"at":"2026-01-01T00:00:00Z"}\n' \
		"$1" "$1" "$5" "$1" "$2" "$3" "$4" | tool crm-track --db "$DB" > /dev/null
}
# unsolved SESSION CUSTOMER NOW FEEDBACK [ARGS...]: a chain, then its modal's
# answer saying the problem was not solved; the --record run's output in $T/out
unsolved() {
	local sess=$1 cust=$2 now=$3 fb=$4 tok
	shift 4
	tok=$(printf '{"session_id":"%s","customer_id":"%s","ended_at":"%s"}\n' "$sess" "$cust" "$now" |
		tool survey-send --db "$DB" --now "$now" "$@" |
		jq -r 'select(.type == "show_feedback_modal") | .token')
	printf '{"token":"%s","problem_solved":false,"rating":2,"feedback":"%s"}\n' "$tok" "$fb" > "$T/in"
	run survey-send --db "$DB" --record --now "$now" "$@" < "$T/in"
}
hooks() {
	jq -r 'select(.path == "/hook") | .body' "$HTTPD_DIR/requests.jsonl"
}
join() {
	printf '{"meeting_token":"%s","agent":"%s"}\n' "$1" "$2" > "$T/in"
	run survey-send --db "$DB" --record --now "$3" < "$T/in"
}

contact ana false true false 0101
contact bo true false false 0102
contact cy true true true 0103
contact dee false false false 0104

# ---- within service hours ---------------------------------------------------------------
unsolved s1 ana "$WED" "The app crashes when I upload a photo"
is "$rc" 0 "an unsolved answer is recorded"
is "$(jq -c '.survey.problem | [.id, .new, .affected_users, .attempts]' "$T/out")" '[1,true,1,1]' \
	"a new problem is opened"
is "$(jq -c '.survey.handover | [.state, .within_service_hours, .scheduled_at]' "$T/out")" \
	'["awaiting_agent",true,null]' "within service hours the handover waits for an agent"
URL1=$(jq -r '.survey.handover.meeting_url' "$T/out")
TOK1=$(printf '%s' "$URL1" | sed -E 's|^https://meet.example/j/([A-Za-z0-9_-]{43})\?x=1$|\1|')
like "$TOK1" '^[A-Za-z0-9_-]{43}$' "its meeting link holds a 43-character token in place of {token}"
is "$(q "SELECT e.reason, e.route, e.reasons, e.severity, e.status, qq.message_id FROM escalations e JOIN questions qq ON qq.id = e.question_id")" \
	'ai_failure|human|["ai_failure"]|high|open|survey:s1' "an ai_failure escalation for a human"
# the handover is an escalation, but no question was scored: esc-stats
# counts it with the escalations and leaves it out of the rates
printf '%s\n' '{"id":"m1","detect":{"route":"none"}}' '{"id":"m2","detect":{"route":"paid"}}' |
	tool esc-log --db "$DB" --now "$WED" > /dev/null
run esc-stats --db "$DB" --now "$WED" --section totals
is "$rc/$(jq -c '[.questions, .escalations, .paid, .human, .escalation_rate, .paid_rate]' "$T/out")" \
	"0/[2,2,1,1,0.5,0.5]" "esc-stats: 2 questions scored, the handover's escalation counted but out of the rates"
# a chat message of the same session, logged later, is a case of its own:
# it does not join the handover's
printf '%s\n' '{"id":"m3","conversation_id":"s1","user_id":"ana","created_at":"2026-03-04T09:00:00Z","detect":{"route":"human","severity":"critical","alerts":["cancel"]}}' |
	tool esc-log --db "$DB" --now "$WED" > "$T/m3.out"
is "$(jq -c '[.log.escalation, .log.joined]' "$T/m3.out")/$(q "SELECT count(*) FROM escalations WHERE message_id = 'm3'")/$(q "SELECT reason || ' ' || severity || ' ' || alerts FROM escalations WHERE message_id = 'survey:s1'")" \
	'[3,null]/1/ai_failure high []' "a chat message of the handover's session opens its own case; the handover's is untouched"
is "$(q "SELECT e.first_response_due - e.created_at FROM escalations e WHERE e.message_id = 'survey:s1'")" 3600 \
	"with the SLA's first-response target for its severity"
is "$(q "SELECT state, type, notified_at IS NOT NULL, notify_tries FROM handovers")" \
	"awaiting_agent|ai_failure|1|0" "the handover is kept, its agents notified"
is "$(hooks | wc -l | tr -d ' ')" 1 "the webhook was called once"
is "$(hooks | jq -c '[.type, .reason, .priority, .session_id, .customer_id, .name, .problem_id, .affected_users, .within_service_hours]')" \
	'["new_escalation","ai_failure","high","s1","ana","Pat ana",1,1,true]' "with the escalation"
is "$(hooks | jq -r .meeting_url)" "$URL1" "and the same meeting link as the output"
is "$(q "SELECT meeting_token FROM handovers WHERE id = 1")" \
	"$(printf '%s' "$TOK1" | sha256sum | cut -c1-64)" "the store keeps the token's hash"
cat "$DB"* > "$T/dbfiles"
ok "$(grep -c -- "$TOK1" "$T/dbfiles")" "and nowhere the token itself"

# ---- de-duplication ---------------------------------------------------------------------
unsolved s2 bo "$WED" "app crashing when uploading photos on android"
is "$(jq -c '.survey.problem | [.id, .new, .affected_users, .attempts, (.similarity >= 0.85)]' "$T/out")" \
	'[1,false,2,2,true]' "a similar report by another person: the same problem, 2 users, 2 attempts"
unsolved s3 ana "$WED" "uploading a photo crashes the app"
is "$(jq -c '.survey.problem | [.id, .affected_users, .attempts]' "$T/out")" '[1,2,3]' \
	"the same person again: 3 attempts, still 2 users"
is "$(q "SELECT attempts FROM problem_users WHERE problem_id = 1 AND customer_id = 'ana'")" 2 \
	"her own attempts are counted"
unsolved s4 cy "$WED" "I was charged twice this month"
is "$(jq -c '.survey.problem | [.id, .new]' "$T/out")" '[2,true]' "a dissimilar report: a new problem"
sed 's/"similarity": 0.85/"similarity": 0.99/' "$ESC_SHARE/survey/survey.json" > "$T/strict.json"
unsolved s5 dee "$WED" "photo upload crashes the app on android" --config "$T/strict.json"
is "$(jq -c '.survey.problem | [.id, .new]' "$T/out")" '[3,true]' \
	"with similarity 0.99 in --config the same words split off"
is "$(q "SELECT count(*) FROM handovers")" 5 "one handover per unsolved survey"

# ---- a chain with no words to go on -----------------------------------------------------
tok=$(printf '{"session_id":"s6","customer_id":"dee","ended_at":"%s"}\n' "$WED" |
	tool survey-send --db "$DB" --now "$WED" | jq -r 'select(.type == "show_feedback_modal") | .token')
printf '{"token":"%s","problem_solved":false}\n' "$tok" > "$T/in"
run survey-send --db "$DB" --record --now "$WED" < "$T/in"
is "$(jq -c '.survey | [.problem, .why, .handover.state]' "$T/out")" \
	'[null,"no description","awaiting_agent"]' "no description: no problem, but still a handover"
run esc-log --db "$DB" -l
is "$(jq -r 'select(.message_id == "survey:s6") | .question' "$T/out")" \
	"Survey answer: not solved, no description given" \
	"and its escalation says what it is in esc-log -l, not an empty question"
printf '{"token":"%s","problem_solved":false,"rating":1}\n' "$tok" > "$T/in"
run survey-send --db "$DB" --record --now "$WED" < "$T/in"
is "$rc" 3 "its token is used"

# ---- outside service hours --------------------------------------------------------------
: > "$HTTPD_DIR/requests.jsonl"
unsolved s7 cy "$SAT" "Invoice PDF download shows a blank page"
is "$(jq -c '.survey.handover | [.state, .within_service_hours, .scheduled_at, .meeting_url]' "$T/out")" \
	"[\"scheduled\",false,\"$MON\",null]" "on a Saturday: scheduled at Monday 08:00 New York, no link yet"
is "$(hooks | wc -l | tr -d ' ')" 0 "and the agents are not called yet"
is "$(q "SELECT e.first_response_due - h.scheduled_at, e.resolution_due > h.scheduled_at FROM escalations e JOIN handovers h ON h.escalation_id = e.id WHERE h.id = 7")" \
	"3600|1" "its SLA clock starts at the opening: not overdue before any agent could see it"
run survey-send --db "$DB" --due --now 2026-03-09T11:59:00Z
is "$(jq -r 'select(.handover_id) | .action' "$T/out" | wc -l | tr -d ' ')" 0 "--due before the opening: nothing"
run survey-send --db "$DB" --due --now "$MON"
is "$rc" 0 "--due at the opening"
is "$(jq -r 'select(.handover_id == 7) | .action' "$T/out" | paste -sd, -)" "handover_opened,notified" \
	"opens the handover and notifies the agents"
URL7=$(jq -r 'select(.action == "handover_opened") | .meeting_url' "$T/out")
like "$URL7" '^https://meet.example/j/[A-Za-z0-9_-]{43}\?x=1$' "its line carries the new meeting link"
is "$(hooks | jq -r '[.handover_id, .within_service_hours, .scheduled_at, .meeting_url] | map(tostring) | join(" ")')" \
	"7 false $MON $URL7" "the webhook carries the same link"
is "$(q "SELECT state, notified_at = $(date -u -d "$MON" +%s), meeting_expires_at - scheduled_at FROM handovers WHERE id = 7")" \
	"awaiting_agent|1|604800" "the handover waits for an agent; its link lasts 7 days from the opening"

# ---- the webhook fails: --due retries with a new link, the old one kept -----------------
: > "$HTTPD_DIR/requests.jsonl"
httpd_plan '{"path":"/hook","status":503,"times":1}'
unsolved s8 bo "$WED" "Password reset email never arrives"
is "$rc" 7 "a failed webhook: the answer is kept, the run exits 7"
like "$(cat "$T/err")" 'warning.*handover 8: the agents.* webhook was not called: http://127.0.0.1:[0-9]+: HTTP 503' \
	"saying so, with the webhook's address redacted"
OLD8=$(jq -r '.survey.handover.meeting_url' "$T/out" | sed -E 's|^https://meet.example/j/([^?]*).*|\1|')
is "$(q "SELECT state, notified_at IS NULL, notify_claimed_at IS NULL, notify_tries, notify_error LIKE '%HTTP 503%' FROM handovers WHERE id = 8")" \
	"awaiting_agent|1|1|1|1" "the failure is kept, the claim cleared"
run survey-send --db "$DB" --due --now 2026-03-04T15:05:00Z
is "$(jq -r 'select(.handover_id == 8) | .action' "$T/out" | wc -l | tr -d ' ')" 0 \
	"--due waits retry_after before trying again"
run survey-send --db "$DB" --due --now 2026-03-04T15:11:00Z
is "$(jq -r 'select(.handover_id == 8) | .action' "$T/out")" notified "the next --due notifies"
NEW8=$(jq -r 'select(.handover_id == 8) | .meeting_url' "$T/out" | sed -E 's|^https://meet.example/j/([^?]*).*|\1|')
like "$NEW8" '^[A-Za-z0-9_-]{43}$' "with a new link on its line"
is "$(hooks | tail -n 1 | jq -r .meeting_url)" "https://meet.example/j/$NEW8?x=1" "the webhook got the new link"
is "$(q "SELECT notified_at IS NOT NULL, notify_tries FROM handovers WHERE id = 8")" "1|1" "now notified"
is "$(q "SELECT count(*), count(DISTINCT expires_at) FROM handover_links WHERE handover_id = 8")" "2|2" \
	"both links are kept, each with its own expiry"
join "$OLD8" sam 2026-03-11T15:10:00Z
is "$rc:$(cat "$T/err")" \
	"3:survey-send: error (at <stdin>:1): meeting token refused: expired at 2026-03-11T15:00:00Z" \
	"the first link expires 7 days after it was made"
join "$OLD8" sam 2026-03-04T15:12:00Z
is "$rc:$(jq -c '.survey | [.handover_id, .state]' "$T/out")" '0:[8,"joined"]' \
	"the first link still opens the handover: the failed call may have delivered it"
join "$NEW8" kim 2026-03-04T15:13:00Z
is "$rc:$(cat "$T/err")" \
	"3:survey-send: error (at <stdin>:1): meeting token refused: already used at 2026-03-04T15:12:00Z" \
	"and joining by it spent the new link too"

# ---- meeting joins ----------------------------------------------------------------------
join "$TOK1" sam 2026-03-04T15:20:00Z
is "$rc" 0 "an agent joins with the meeting link"
is "$(jq -c '.survey | [.handover_id, .state, .agent, .joined_at]' "$T/out")" \
	'[1,"joined","sam","2026-03-04T15:20:00Z"]' "saying which handover"
is "$(q "SELECT h.state, h.agent, e.status, e.agent, e.first_response_at FROM handovers h JOIN escalations e ON e.id = h.escalation_id WHERE h.id = 1")" \
	"joined|sam|assigned|sam|$(date -u -d 2026-03-04T15:20:00Z +%s)" "the escalation is assigned, first response kept"
join "$TOK1" kim 2026-03-04T15:21:00Z
is "$rc:$(cat "$T/err")" \
	"3:survey-send: error (at <stdin>:1): meeting token refused: already used at 2026-03-04T15:20:00Z" \
	"a used link is refused"
join "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-43)" sam 2026-03-04T15:21:00Z
is "$rc:$(cat "$T/err")" "3:survey-send: error (at <stdin>:1): meeting token refused: unknown" \
	"a forged link is refused"
TOK7=$(printf '%s' "$URL7" | sed -E 's|^https://meet.example/j/([^?]*).*|\1|')
join "$TOK7" sam 2026-03-16T12:00:00Z
is "$rc:$(cat "$T/err")" \
	"3:survey-send: error (at <stdin>:1): meeting token refused: expired at 2026-03-16T12:00:00Z" \
	"an expired link is refused"
printf '{"meeting_token":"%s"}\n' "$TOK7" > "$T/in"
run survey-send --db "$DB" --record --now 2026-03-09T12:30:00Z < "$T/in"
like "$rc $(cat "$T/err")" '^3 .*field "agent" missing' "a join names its agent"
join "$TOK7" lee 2026-03-09T12:30:00Z
is "$rc" 0 "the live link still works after those refusals"

# ---- --problems and --resolve -----------------------------------------------------------
run survey-send --db "$DB" --problems
is "$rc" 0 "--problems"
is "$(jq -r '.problem_id' "$T/out" | paste -sd, -)" "1,2,3,4,5" "most affected users first, then by id"
is "$(head -n 1 "$T/out" | jq -c '[.description, .affected_users, .attempts, .first_seen, .last_seen]')" \
	"[\"The app crashes when I upload a photo\",2,3,\"$WED\",\"$WED\"]" "each with its counts and times"
run survey-send --db "$DB" --problems --limit 2
is "$(lines "$T/out")" 2 "--limit"
run survey-send --db "$DB" --resolve 1 --note "fixed in 2.3" --now 2026-03-05T10:00:00Z
is "$rc" 0 "--resolve"
is "$(jq -c . "$T/out")" \
	'{"problem_id":1,"customer_id":"ana","name":"Pat ana","email":"ana@example.com","channels":["email"]}
{"problem_id":1,"customer_id":"bo","name":"Pat bo","phone":"+15555550102","channels":["sms"]}' \
	"lists the people, with only the channels they consented to"
is "$(q "SELECT status, resolution, resolved_at FROM problems WHERE id = 1")" \
	"resolved|fixed in 2.3|$(date -u -d 2026-03-05T10:00:00Z +%s)" "the problem is resolved"
is "$(q "SELECT count(*) FROM problem_users WHERE problem_id = 1 AND notified_at IS NOT NULL")" 2 \
	"its people are marked as told"
run survey-send --db "$DB" --problems
is "$(jq -r '.problem_id' "$T/out" | paste -sd, -)" "2,3,4,5" "a resolved problem is no longer listed"
run survey-send --db "$DB" --resolve 999
is "$rc:$(lines "$T/out")" "1:0" "--resolve of an unknown problem exits 1"

# a webhook that refuses the request (a 4xx) is not called again
httpd_plan '{"path":"/hook","status":422,"times":1}'
unsolved s8b cy "$WED" "Dark mode resets after every login"
H=$(jq -r '.survey.handover.handover_id' "$T/out")
is "$rc:$(q "SELECT notify_tries >= 5 FROM handovers WHERE id = $H")" "7:1" \
	"a webhook answering 422: the run exits 7 and the handover is given up on"
n0=$(hooks | wc -l | tr -d ' ')
run survey-send --db "$DB" --due --now 2026-03-04T16:00:00Z
is "$(jq -r "select(.handover_id == $H) | .action" "$T/out" | wc -l | tr -d ' '):$(hooks | wc -l | tr -d ' ')" \
	"0:$n0" "--due does not call it again"

# one that refuses the credentials or its own address (401, 404) refuses
# the operator's settings, not the handover: no try is counted, nothing
# is given up, it is not called again in the run, and --due calls it
# again until the settings are fixed
httpd_plan '{"path":"/hook","status":401}'
unsolved s8d ana "$WED" "Invoices show the wrong currency"
H1=$(jq -r '.survey.handover.handover_id' "$T/out")
is "$rc:$(q "SELECT notify_tries, notified_at IS NULL, notify_claimed_at IS NULL, notify_error LIKE '%HTTP 401' FROM handovers WHERE id = $H1")" \
	"7:0|1|1|1" "a webhook answering 401: exit 7, no try counted, the answer kept"
like "$(cat "$T/err")" "^survey-send: warning \\(at <stdin>:1\\): handover $H1: the agents' webhook failed on the credentials or settings: http://127\\.0\\.0\\.1:[0-9]+: HTTP 401; no try is counted, it is not called again in this run, and survey-send --due calls it again: check ESC_AGENT_WEBHOOK$" \
	"saying so, and what to check"
unsolved s8e bo "$WED" "The calendar sync drops recurring events"
H2=$(jq -r '.survey.handover.handover_id' "$T/out")
n0=$(hooks | wc -l | tr -d ' ')
run survey-send --db "$DB" --due --now 2026-03-04T16:10:00Z
is "$rc/$(jq -r 'select(.action == "notify_failed") | .handover_id' "$T/out" | paste -sd, -)/$(($(hooks | wc -l | tr -d ' ') - n0))" \
	"7/$H1/1" "--due calls it again, once: after a 401 it leaves the other handover for the next run"
is "$(q "SELECT group_concat(notify_tries || ' ' || (notified_at IS NULL), ',') FROM handovers WHERE id IN ($H1, $H2)")" \
	"0 1,0 1" "neither is given up, no try counted"
httpd_reset
run survey-send --db "$DB" --due --now 2026-03-04T16:25:00Z
is "$rc/$(jq -r 'select(.action == "notified") | .handover_id' "$T/out" | paste -sd, -)/$(hooks | wc -l | tr -d ' ')" \
	"0/$H1,$H2/2" "the webhook mended: both notified"

# a store that fails on a join: the join is undone, and the message says so
unsolved s8c dee "$WED" "Export to PDF loses the images"
TOKC=$(jq -r '.survey.handover.meeting_url' "$T/out" | sed -E 's|^https://meet.example/j/([^?]*).*|\1|')
HC=$(jq -r '.survey.handover.handover_id' "$T/out")
q "CREATE TRIGGER boom BEFORE UPDATE OF state ON handovers BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
join "$TOKC" sam 2026-03-04T15:30:00Z
is "$rc:$(cat "$T/err")" \
	"6:survey-send: error (at <stdin>:1): $DB: disk says no; nothing from <stdin>:1 on was stored" \
	"a join the store refuses: exit 6, and nothing of it stored"
q "DROP TRIGGER boom"
is "$(q "SELECT state, agent IS NULL FROM handovers WHERE id = $HC")" "awaiting_agent|1" \
	"the handover still waits for an agent"

# a rated answer with no words: the rating goes into the escalation's question
tok=$(printf '{"session_id":"s9","customer_id":"eve","ended_at":"%s"}\n' "$WED" |
	tool survey-send --db "$DB" --now "$WED" | jq -r 'select(.type == "show_feedback_modal") | .token')
printf '{"token":"%s","problem_solved":false,"rating":2}\n' "$tok" > "$T/in"
run survey-send --db "$DB" --record --now "$WED" < "$T/in"
is "$rc:$(q "SELECT question FROM escalations WHERE message_id = 'survey:s9'")" \
	"0:Survey answer: not solved (rated 2 of 5), no description given" \
	"with the rating, when the answer has one"

done_testing
