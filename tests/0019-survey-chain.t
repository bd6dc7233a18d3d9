#!/bin/sh
# survey-send: the survey chain of an ended session, walked with --now:
# the widget's modal, then --due placing the call (a real HTTP server
# standing in for a Twilio-compatible API), the SMS and the email (a real
# SMTP server); send hours across DST changes, the throttle, every consent
# combination, an answer ending the chain, provider failures, a cron run
# killed mid-send (and the person answering before the claim is found),
# --dry-run (deciding as a real run on a copy of the store would, the
# throttle included), and the same sessions fed twice. Each part
# has its own store; the store is read with the sqlite3 shell.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"
smtpd_available || plan skip_all "no python3 with aiosmtpd"

plan 113

SID=AC5urv3yTest
TW_SECRET=tw-S3cr3tAuthTok
httpd_start
smtpd_start
export ESC_TWILIO_URL=$HTTPD_URL ESC_TWILIO_SID=$SID ESC_TWILIO_TOKEN=$TW_SECRET
export ESC_TWILIO_FROM=+15550001111
export ESC_SURVEY_URL=https://survey.example/s/ ESC_SURVEY_CALL_URL=https://survey.example/call/
export ESC_EMAIL_URL=$SMTPD_URL ESC_EMAIL_FROM=surveys@esc.example
# a 503 is the provider's to report, --due's to retry: no retries inside one call
net_timeouts 15s
export ESC_NET_RETRIES=0
unset ESC_DB ESC_EMAIL_KEY ESC_SMTP_URL ESC_SMTP_USER ESC_SMTP_PASSWORD ESC_SMTP_FROM

CALLS=/Accounts/$SID/Calls.json
MSGS=/Accounts/$SID/Messages.json
twilio_ok() {
	httpd_plan "{\"path\":\"$CALLS\",\"status\":201,\"json\":{\"sid\":\"CA0001\",\"status\":\"queued\"}}" \
		"{\"path\":\"$MSGS\",\"status\":201,\"json\":{\"sid\":\"SM0001\",\"status\":\"queued\"}}"
}
twilio_ok

. "$top/tests/survey.sh"

# contact ID CALLS SMS EMAIL [PHONE [EMAIL [TZ [BLOCKED]]]]
contact() {
	printf '{"type":"contact","customer":"%s","name":"Pat %s"%s%s%s,"consent":{"calls":%s,"sms":%s,"email":%s},"blocked":%s,"at":"2026-01-01T00:00:00Z"}\n' \
		"$1" "$1" "${5:+,\"phone\":\"$5\"}" "${6:+,\"email\":\"$6\"}" "${7:+,\"timezone\":\"$7\"}" \
		"$2" "$3" "$4" "${8:-false}"
}
contacts() {
	tool crm-track --db "$DB" > /dev/null
}
# session ID CUSTOMER ENDED
session() {
	printf '{"session_id":"%s","customer_id":"%s","ended_at":"%s","resolution":"failed","problem":"the export to CSV times out"}\n' \
		"$1" "$2" "$3"
}
# what --due did for a session: "action step [reason]" per action
acts() {
	jq -r --arg s "$1" 'select(.session_id == $s) | [.action, .step, .reason // empty] | join(" ")' \
		"$T/out" | paste -sd, -
}

# ---- a whole chain, through a week ------------------------------------------------------
DB=$T/chain.db
contact ana true true true +15555550100 ana@example.com | contacts
session s-ana ana 2026-03-02T10:00:00Z > "$T/s1"
sr --now 2026-03-02T10:00:30Z "$T/s1"
is "$rc" 0 "a session: exit 0"
is "$(lines "$T/out")" 2 "the line out, then the modal's line"
is "$(head -n 1 "$T/out" | jq -c .survey)" \
	'{"survey_id":1,"state":"open","step":"in_widget","next":{"step":"ai_call","due":"2026-03-02T10:05:00Z"}}' \
	"the survey object: open, in the widget, the call due 5 minutes after the end"
is "$(head -n 1 "$T/out" | jq -c 'del(.survey)')" "$(jq -c . "$T/s1")" "the session's own members pass through"
is "$(sed -n 2p "$T/out" | jq -r '[.type, .session_id, .customer_id, .survey_id, (.token | length), .expires_at, (.questions | join("/"))] | join(" ")')" \
	"show_feedback_modal s-ana ana 1 43 2026-03-09T10:00:30Z problem_solved/rating/nps/feedback" \
	"the modal: for the widget, a 43-character token that lives 7 days"
MODAL=$(sed -n 2p "$T/out" | jq -r .token)
is "$(q "select token from survey_attempts where step = 'in_widget'")" \
	"$(printf %s "$MODAL" | sha256sum | cut -d' ' -f1)" "the store keeps only the token's SHA-256"
q "select count(*) from survey_attempts" > /dev/null

due 2026-03-02T10:04:59Z
is "$rc/$(lines "$T/out")/$(requests "$CALLS")" "0/0/0" "before the call is due: nothing"
due 2026-03-02T10:05:00Z
is "$rc/$(acts s-ana)" "0/sent ai_call" "at ended + 5m the call is placed"
is "$(jq -r '[.channel, .provider_id, .next_at] | join(" ")' "$T/out")" "twilio CA0001 2026-03-02T12:05:00Z" \
	"through twilio, with the provider's sid; the SMS 2 hours on"
is "$(requests "$CALLS")" 1 "one request to .../Accounts/SID/Calls.json"
REQ=$(jq -c "select(.path == \"$CALLS\")" "$HTTPD_DIR/requests.jsonl")
is "$(printf '%s' "$REQ" | jq -r '[.method, .headers["content-type"], .headers.authorization] | join(" ")')" \
	"POST application/x-www-form-urlencoded Basic $(printf '%s:%s' "$SID" "$TW_SECRET" | base64 -w0)" \
	"a form POST with the account's basic auth"
FORM=$(printf '%s' "$REQ" | jq -r .body)
CALLTOK=$(printf '%s' "$FORM" | python3 -c 'import sys, urllib.parse as u; f = u.parse_qs(sys.stdin.read()); print(f["To"][0], f["From"][0], f["Url"][0])')
like "$CALLTOK" '^\+15555550100 \+15550001111 https://survey\.example/call/[A-Za-z0-9_-]{43}$' \
	"To, From, and Url: the call service with the call's token"
CALLTOK=${CALLTOK##*/}
is "$(grep -c -- "$CALLTOK" "$T/out" "$T/err" | awk -F: '{ s += $2 } END { print s }')" 0 \
	"the call's token appears nowhere in what --due printed"
is "$(q "select state, channel, provider_id, tries, expires_at - sent_at from survey_attempts where step = 'ai_call'")" \
	"sent|twilio|CA0001|1|604800" "the store: sent through twilio, the link lives 7 days"
due 2026-03-02T10:06:00Z
is "$(lines "$T/out")/$(requests "$CALLS")" "0/1" "a minute later: nothing more"

due 2026-03-02T12:04:59Z
is "$(lines "$T/out")" 0 "the SMS waits its 2 hours"
due 2026-03-02T12:05:00Z
is "$rc/$(acts s-ana)/$(requests "$MSGS")" "0/sent sms_link/1" "2 hours after the call: the SMS, to Messages.json"
SMS=$(jq -r "select(.path == \"$MSGS\") | .body" "$HTTPD_DIR/requests.jsonl" |
	python3 -c 'import sys, urllib.parse as u; f = u.parse_qs(sys.stdin.read()); print(f["To"][0]); print(f["Body"][0])')
like "$SMS" 'Hi Pat ana, thanks for talking with us\. .* https://survey\.example/s/[A-Za-z0-9_-]{43} ' \
	"its body greets the person and carries the link"
is "$(q "select s.step, s.next_at - a.sent_at from surveys s join survey_attempts a on a.survey_id = s.id and a.step = 'sms_link'")" \
	"sms_link|259200" "the email is due 3 days after the SMS"

due 2026-03-05T12:04:59Z
is "$(lines "$T/out")/$(mails)" "0/0" "the email waits its 3 days"
due 2026-03-05T12:05:00Z
is "$rc/$(acts s-ana)/$(mails)" "0/sent email_link/1" "3 days after the SMS: the email"
is "$(jq -r '[.mail_from, .rcpt_tos[0]] | join(" ")' "$SMTPD_DIR/messages.jsonl")" \
	"surveys@esc.example ana@example.com" "from ESC_EMAIL_FROM to the contact"
like "$(jq -r .data "$SMTPD_DIR/messages.jsonl" | tr -d '\r')" \
	'https://survey\.example/s/[A-Za-z0-9_-]{43}' "the mail carries its link"
is "$(jq -r .provider_id "$T/out")" "<esc-survey-4-1@esc.localhost>" \
	"the provider id of a mail is its Message-ID, made from the attempt"

due 2026-03-12T12:04:59Z
is "$(lines "$T/out")" 0 "the chain stays open while the email's link lives"
due 2026-03-12T12:05:00Z
is "$rc/$(acts s-ana)" "0/exhausted email_link" "when it expires: exhausted"
due 2026-03-20T00:00:00Z
is "$(lines "$T/out")/$(q "select state, next_at is null from surveys")" "0/exhausted|1" \
	"and nothing more, ever"
is "$(q "select count(*) from survey_attempts where token is not null")/$(q "select count(distinct token) from survey_attempts")" \
	"4/4" "four tokens, each its own"

# ---- the same sessions fed twice --------------------------------------------------------
DB=$T/twice.db
EX=$top/share/esc/examples/sessions.jsonl
sr --now 2026-03-02T17:00:00Z "$EX"
is "$rc/$(lines "$T/out")" "0/24" "the example sessions: 20 lines, and 4 modals"
is "$(jq -r 'select(.type == "show_feedback_modal") | .session_id' "$T/out" | paste -sd' ' -)" \
	"sess-8f3a17 sess-8f3a18 sess-8f3a19 sess-8f3a20" "a modal for each that ended in the last 5 minutes"
is "$(jq -r 'select(.survey) | .survey.skip_reason // "shown"' "$T/out" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
	"session_over:16 shown:4 " "the older ones skip the modal: the session is over"
is "$(q "select session_id || '=' || customer_id from surveys where session_id in ('9120', 'sess-8f3a04') order by session_id" | paste -sd' ' -)" \
	"9120=cus-1007 sess-8f3a04=cus-1004" "a numeric session id and user_id for customer_id"
sqlite3 "$DB" .dump > "$T/dump1"
sr --now 2026-03-02T17:01:00Z "$EX"
is "$rc/$(grep -c show_feedback_modal "$T/out")/$(jq -r '.survey.known' "$T/out" | sort -u)" "0/0/true" \
	"fed again: every session known, no second modal"
sqlite3 "$DB" .dump > "$T/dump2"
diff_ok "$T/dump2" "$T/dump1" "and the store is as it was"

# ---- send hours in the person's zone, across DST changes --------------------------------
DB=$T/dst.db
contact ny-fall true true true +12125550101 fall@example.com America/New_York | contacts
contact ny-spring true true true +12125550102 spring@example.com America/New_York | contacts
# Sat 2026-10-31 23:25 EDT; clocks go back at 02:00 on Sunday
session s-fall ny-fall 2026-11-01T03:25:00Z > "$T/s"
# Sat 2026-03-07 23:25 EST; clocks go forward at 02:00 on Sunday
session s-spring ny-spring 2026-03-08T04:25:00Z >> "$T/s"
sr --now 2026-03-08T04:25:00Z "$T/s"
is "$rc" 0 "two late sessions in New York"
due 2026-03-08T04:30:00Z
is "$(jq -r 'select(.session_id == "s-spring") | [.action, .step, .reason, .until] | join(" ")' "$T/out")" \
	"wait ai_call quiet_hours 2026-03-08T12:00:00Z" \
	"a call due at 23:30 EST waits for 08:00 EDT: 12:00Z, the clocks having gone forward"
is "$(requests "$CALLS")" 1 "nothing placed at night"
due 2026-03-08T11:59:00Z
is "$(lines "$T/out")" 0 "still waiting at 07:59 EDT"
due 2026-03-08T12:00:00Z
is "$(acts s-spring)" "sent ai_call" "placed at 08:00 EDT"
is "$(q "select due_at, sent_at from survey_attempts a join surveys s on s.id = a.survey_id where s.session_id = 's-spring' and a.step = 'ai_call'")" \
	"$(date -ud 2026-03-08T04:30:00Z +%s)|$(date -ud 2026-03-08T12:00:00Z +%s)" \
	"the attempt keeps when the chain wanted it and when it went"
due 2026-11-01T03:30:00Z
is "$(jq -r 'select(.session_id == "s-fall") | [.action, .step, .reason, .until] | join(" ")' "$T/out")" \
	"wait ai_call quiet_hours 2026-11-01T13:00:00Z" \
	"a call due at 23:30 EDT waits for 08:00 EST: 13:00Z, the clocks having gone back"
due 2026-11-01T12:00:00Z
is "$(lines "$T/out")" 0 "at 12:00Z (07:00 EST) it still waits"
due 2026-11-01T13:00:00Z
is "$(acts s-fall)" "sent ai_call" "placed at 08:00 EST"
# the SMS 2 hours on would be 15:00Z = 10:00 EST: inside the hours
due 2026-11-01T15:00:00Z
is "$(acts s-fall)" "sent sms_link" "the SMS 2 hours later, inside the hours"

# ---- the throttle: one survey per person per 30 days ------------------------------------
DB=$T/throttle.db
httpd_reset
twilio_ok
contact tom true false false +15555550103 | contacts
contact ivy true false false +15555550104 | contacts
session t-1 tom 2026-04-01T10:00:00Z > "$T/s"
sr --now 2026-04-01T10:00:00Z "$T/s"
due 2026-04-01T10:05:00Z
is "$(acts t-1)" "sent ai_call" "tom's first chain: the call"
session t-2 tom 2026-04-02T10:00:00Z > "$T/s"
session t-ivy ivy 2026-04-02T10:00:00Z >> "$T/s"
sr --now 2026-04-02T10:00:00Z "$T/s"
due 2026-04-02T10:05:00Z
is "$(jq -r 'select(.session_id == "t-2") | [.action, .step, .reason, .until] | join(" ")' "$T/out")" \
	"wait ai_call throttle 2026-05-01T10:05:00Z" "tom's second chain waits: 30 days after the first call"
is "$(acts t-ivy)" "sent ai_call" "another person is not held"
due 2026-04-15T10:05:00Z
is "$(acts t-2)/$(q "select state, step from surveys where session_id = 't-2'")" "/open|in_widget" \
	"two weeks on: still waiting, not dropped"
due 2026-05-01T10:05:00Z
is "$(acts t-2)" "sent ai_call" "30 days on: the call"
is "$(requests "$CALLS")" 3 "three calls in all"

# A send another run has in hand holds the person's other chains only until
# it is settled (claim_grace, 15m): it may yet fail, and a failed send must
# not hold them for 30 days.
contact pam true false false +15555550105 | contacts
session p-1 pam 2026-06-01T10:00:00Z > "$T/s"
session p-2 pam 2026-06-01T10:01:00Z >> "$T/s"
sr --now 2026-06-01T10:01:00Z "$T/s"
# the other run's claim on p-1's call, as it stands while the provider answers
q "insert into survey_attempts (survey_id, customer_id, step, state, due_at, claimed_at, channel, tries)
	select id, 'pam', 'ai_call', 'claimed', next_at, strftime('%s', '2026-06-01T10:05:00Z'), 'twilio', 1
	from surveys where session_id = 'p-1';
	update surveys set next_at = strftime('%s', '2026-06-01T12:00:00Z') where session_id = 'p-1'"
due 2026-06-01T10:06:00Z
is "$(jq -r 'select(.session_id == "p-2") | [.action, .step, .reason, .until] | join(" ")' "$T/out")" \
	"wait ai_call throttle 2026-06-01T10:20:00Z" "pam's second chain waits while another run's call is in hand: until it is settled"
# that run's call failed (a 503): nothing reached pam
q "update survey_attempts set state = 'failed', error = 'HTTP 503' where customer_id = 'pam'"
due 2026-06-01T10:20:00Z
is "$(acts p-2)" "sent ai_call" "the claim settled as failed: the second chain's call goes out, not 30 days on"

# ---- every consent combination ----------------------------------------------------------
DB=$T/consent.db
for c in 000 001 010 011 100 101 110 111; do
	b() { [ "$1" = 1 ] && echo true || echo false; }
	contact "k$c" "$(b "${c%??}")" "$(b "$(echo "$c" | cut -c2)")" "$(b "${c#??}")" \
		+15555551000 "k$c@example.com"
done | contacts
{
	contact no-phone true true true "" nophone@example.com
	contact no-email true true true +15555551001
	contact blocked true true true +15555551002 blocked@example.com "" true
} | contacts
: > "$T/s"
for c in k000 k001 k010 k011 k100 k101 k110 k111 no-phone no-email blocked nobody; do
	session "c-$c" "$c" 2026-06-01T10:00:00Z >> "$T/s"
done
sr --now 2026-06-01T10:00:00Z "$T/s"
for t in 2026-06-01T10:05:00Z 2026-06-01T12:05:00Z 2026-06-04T10:05:00Z 2026-06-04T12:05:00Z \
    2026-06-20T00:00:00Z; do
	due "$t"
done
q "select s.customer_id, a.step || '=' || a.state || coalesce(':' || a.skip_reason, '')
	from surveys s join survey_attempts a on a.survey_id = s.id and a.step <> 'in_widget'
	order by s.id, a.id" | awk -F'|' '$1 != c { if (c != "") print l; c = $1; l = $1 } { l = l " " $2 } END { print l }' > "$T/got"
cat > "$T/want" <<'EOF'
k000 ai_call=skipped:no_consent_calls sms_link=skipped:no_consent_sms email_link=skipped:no_consent_email
k001 ai_call=skipped:no_consent_calls sms_link=skipped:no_consent_sms email_link=sent
k010 ai_call=skipped:no_consent_calls sms_link=sent email_link=skipped:no_consent_email
k011 ai_call=skipped:no_consent_calls sms_link=sent email_link=sent
k100 ai_call=sent sms_link=skipped:no_consent_sms email_link=skipped:no_consent_email
k101 ai_call=sent sms_link=skipped:no_consent_sms email_link=sent
k110 ai_call=sent sms_link=sent email_link=skipped:no_consent_email
k111 ai_call=sent sms_link=sent email_link=sent
no-phone ai_call=skipped:no_phone sms_link=skipped:no_phone email_link=sent
no-email ai_call=sent sms_link=sent email_link=skipped:no_email
blocked ai_call=skipped:blocked sms_link=skipped:blocked email_link=skipped:blocked
nobody ai_call=skipped:no_contact sms_link=skipped:no_contact email_link=skipped:no_contact
EOF
diff_ok "$T/got" "$T/want" "each step with its consent and contact, skipped with the reason otherwise"
is "$(q "select count(*) from surveys where state = 'exhausted'")" 12 "and every chain ran to its end"
is "$(q "select count(*) from survey_attempts a join surveys s on s.id = a.survey_id where s.customer_id = 'k011' and a.step = 'sms_link' and a.sent_at = strftime('%s', '2026-06-01T10:05:00Z')")" \
	1 "a skipped step takes no time: the SMS goes when the call would have"

# ---- an answer ends the chain -----------------------------------------------------------
DB=$T/answer.db
contact amy true true true +15555550105 amy@example.com | contacts
session a-1 amy 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:01:00Z "$T/s"
TOKEN=$(jq -r 'select(.type == "show_feedback_modal") | .token' "$T/out")
printf '{"token":"%s","problem_solved":true,"rating":5,"nps":9}\n' "$TOKEN" > "$T/ans"
sr --record --now 2026-03-02T10:02:00Z "$T/ans"
is "$rc" 0 "the modal's answer, recorded: exit 0"
is "$(q "select state from surveys where session_id = 'a-1'")" answered "the modal answered: the chain is answered"
httpd_reset
twilio_ok
due 2026-03-02T10:05:00Z
is "$(lines "$T/out")/$(requests "$CALLS")" "0/0" "--due calls nobody who answered"
due 2026-03-10T00:00:00Z
is "$(lines "$T/out")/$(q "select count(*) from survey_attempts where step <> 'in_widget'")" "0/0" \
	"nor sends anything later"

# ---- provider failures ------------------------------------------------------------------
DB=$T/fail.db
contact f503 true true false +15555550106 | contacts
contact f400 true true false +15555550107 | contacts
contact f550 false false true "" f550@example.com | contacts
session f-503 f503 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:00:00Z "$T/s"
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"times\":1}"
twilio_ok
due 2026-03-02T10:05:00Z
is "$rc/$(jq -r '[.action, .step, .retry_at, .gave_up // false] | join(" ")' "$T/out")" \
	"7/failed ai_call 2026-03-02T10:15:00Z false" "a 503: failed, retried 10 minutes later, exit 7"
like "$(cat "$T/err")" 'warning: survey 1: the ai_call was not sent \(try 1\): http://127\.0\.0\.1:[0-9]+: HTTP 503' \
	"a warning names the host, not the path with the account"
like "$(tail -n 1 "$T/err")" '^survey-send: warning: 1 send failed' "and one line counts the failures"
due 2026-03-02T10:14:59Z
is "$(lines "$T/out")/$(requests "$CALLS")" "0/1" "not before the retry is due"
due 2026-03-02T10:15:00Z
is "$rc/$(acts f-503)/$(requests "$CALLS")" "0/sent ai_call/2" "then sent"
is "$(q "select state, tries, error is null from survey_attempts where step = 'ai_call'")" "sent|2|1" \
	"the attempt: sent on the second try, the error gone"

# a 503 every time: tried max_tries (5) times, retry_after (10 minutes)
# apart, then given up, and the chain goes on at once
contact fall true true false +15555550110 | contacts
session f-all fall 2026-03-02T12:00:00Z > "$T/s"
sr --now 2026-03-02T12:00:00Z "$T/s"
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"times\":5}"
twilio_ok
for t in 12:05 12:15 12:25 12:35; do
	due "2026-03-02T$t:00Z"
done
is "$rc/$(jq -r '[.action, .step, .tries, .retry_at] | join(" ")' "$T/out")" \
	"7/failed ai_call 4 2026-03-02T12:45:00Z" "four 503s in a row: the fourth try failed, a fifth is due"
due 2026-03-02T12:45:00Z
is "$rc/$(jq -r 'select(.action == "failed") | [.step, .tries, .gave_up] | join(" ")' "$T/out")/$(requests "$CALLS")" \
	"7/ai_call 5 true/5" "the fifth: given up (max_tries 5), five requests in all"
like "$(cat "$T/err")" 'the ai_call was not sent \(try 5\): .*HTTP 503; given up, the chain goes on' \
	"a warning says so"
is "$(q "select a.state || ' ' || a.tries || ' ' || s.step from survey_attempts a join surveys s on s.id = a.survey_id where s.session_id = 'f-all' and a.step = 'ai_call'")" \
	"failed 5 sms_link" "the attempt stays failed after 5 tries; the chain is at the SMS"

session f-400 f400 2026-03-03T10:00:00Z > "$T/s"
sr --now 2026-03-03T10:00:00Z "$T/s"
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":400,\"json\":{\"message\":\"not a valid phone number\"},\"times\":1}"
twilio_ok
due 2026-03-03T10:05:00Z
is "$rc/$(acts f-400)" "7/failed ai_call,sent sms_link" "a 400: permanent, the chain moves on to the SMS at once"
is "$(jq -r 'select(.action == "failed") | .gave_up' "$T/out")/$(requests "$CALLS")" "true/1" \
	"given up after one try"

session f-550 f550 2026-03-04T10:00:00Z > "$T/s"
sr --now 2026-03-04T10:00:00Z "$T/s"
smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user","times":1}'
due 2026-03-04T10:05:00Z
is "$rc/$(acts f-550)" "7/skipped ai_call no_phone,skipped sms_link no_phone,failed email_link,exhausted email_link" \
	"an SMTP 550: permanent, given up, the chain ends"
is "$(q "select a.state, a.tries from survey_attempts a join surveys s on s.id = a.survey_id where s.session_id = 'f-550' and a.step = 'email_link'")" \
	"failed|1" "the failed email is kept"

# ---- a cron run killed mid-send, and run again -------------------------------------------
DB=$T/crash.db
# killed_call NOW: a --due run killed while the provider has the call
killed_call() {
	httpd_reset
	httpd_plan "{\"path\":\"$CALLS\",\"fault\":\"hang\",\"delay\":30,\"times\":1}"
	twilio_ok
	ESC_NET_TIMEOUT=60s tool survey-send --due --db "$DB" --now "$1" > /dev/null 2>&1 &
	pid=$!
	for i in $(seq 200); do
		[ "$(requests "$CALLS")" = 1 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2> /dev/null
}
contact cara true true false +15555550108 | contacts
session k-1 cara 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:00:00Z "$T/s"
killed_call 2026-03-02T10:05:00Z
is "$(requests "$CALLS")/$(q "select state from survey_attempts where step = 'ai_call'")" "1/claimed" \
	"killed while the provider had the call: the claim is left behind"
due 2026-03-02T10:05:00Z
is "$rc/$(lines "$T/out")/$(requests "$CALLS")" "0/0/1" "run again at once: the claim is young, the chain left alone"
due 2026-03-02T10:19:59Z
is "$(lines "$T/out")/$(requests "$CALLS")" "0/1" "still left alone within the grace"
due 2026-03-02T10:20:00Z
is "$rc/$(jq -r '[.action, .step, .claimed_at, .next_at] | join(" ")' "$T/out")" \
	"7/unconfirmed ai_call 2026-03-02T10:05:00Z 2026-03-02T12:05:00Z" \
	"after the grace: unconfirmed, exit 7; the chain goes on as if it was sent"
like "$(cat "$T/err")" 'survey 1: the ai_call claimed at 2026-03-02T10:05:00Z was never confirmed' \
	"with a warning"
is "$(requests "$CALLS")/$(q "select state from survey_attempts where step = 'ai_call'")" "1/unconfirmed" \
	"and exactly one request for the call, ever"
due 2026-03-02T12:05:00Z
is "$rc/$(acts k-1)/$(requests "$CALLS")/$(requests "$MSGS")" "0/sent sms_link/1/1" \
	"the SMS follows 2 hours after the claim; the call is not placed again"

# ---- a claim left behind in a chain an answer ended -------------------------------------
# the run placing a call is killed after the provider had it, and the
# person answers before --due finds the claim: the chain is no longer
# open, but the claim is still settled after the grace, never left
# "claimed" for good. lou answers through the call itself (so it reached
# him); mia through the widget's modal (so nobody knows about the call).
DB=$T/left.db
contact lou true false false +15555550111 | contacts
contact mia true false false +15555550112 | contacts
# the token of the call placed to $1, from the provider's log
call_token() {
	jq -r --arg p "$CALLS" --arg to "$(printf '%s' "$1" | jq -sRr @uri)" \
		'select(.path == $p and (.body | contains("To=" + $to))) | .body' \
		"$HTTPD_DIR/requests.jsonl" | sed -n 's/.*call%2F\([A-Za-z0-9_-]\{43\}\).*/\1/p'
}
# chain_state SESSION: the chain's state and its call's
chain_state() {
	q "select s.state || ' ' || a.state from surveys s join survey_attempts a on a.survey_id = s.id and a.step = 'ai_call' where s.session_id = '$1'"
}
session lc-1 lou 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:00:00Z "$T/s"
killed_call 2026-03-02T10:05:00Z
LT=$(call_token +15555550111)
printf '{"token":"%s","problem_solved":true,"rating":4}\n' "$LT" > "$T/a"
sr --record --now 2026-03-02T10:07:00Z "$T/a"
is "$rc/$(jq -r '[.survey.method, .survey.chain] | join(" ")' "$T/out")/$(chain_state lc-1)" \
	"0/ai_call answered/answered claimed" "lou answers through the call a killed run left claimed"
due 2026-03-02T10:19:59Z
is "$rc/$(lines "$T/out")/$(chain_state lc-1)" "0/0/answered claimed" "within the grace the claim is left alone"
due 2026-03-02T10:20:00Z
is "$rc/$(jq -r '[.action, .step, .chain, .claimed_at, .answered_at, .next_at // "-"] | join(" ")' "$T/out")/$(chain_state lc-1)" \
	"7/unconfirmed ai_call answered 2026-03-02T10:05:00Z 2026-03-02T10:07:00Z -/answered unconfirmed" \
	"after the grace the claim is settled, though the chain has ended; no next step"
like "$(cat "$T/err")" 'survey 1: the ai_call claimed at 2026-03-02T10:05:00Z was never confirmed: the run sending it stopped; it reached the person: an answer came through it at 2026-03-02T10:07:00Z' \
	"with a warning that says the answer proves it reached him"
due 2026-03-02T10:21:00Z
is "$rc/$(lines "$T/out")/$(chain_state lc-1)/$(requests "$CALLS")" "0/0/answered unconfirmed/1" \
	"settled once: the next run has nothing to do, and the call was placed once"

session mc-1 mia 2026-03-02T11:00:00Z > "$T/s"
sr --now 2026-03-02T11:00:00Z "$T/s"
MT=$(jq -r 'select(.type == "show_feedback_modal") | .token' "$T/out")
killed_call 2026-03-02T11:05:00Z
printf '{"token":"%s","problem_solved":true,"rating":5}\n' "$MT" > "$T/a"
sr --record --now 2026-03-02T11:06:00Z "$T/a"
is "$rc/$(chain_state mc-1)" "0/answered claimed" "mia answers through the modal while her call is left claimed"
due 2026-03-02T11:20:00Z
is "$rc/$(jq -r '[.action, .step, .chain, .claimed_at, .answered_at // "-"] | join(" ")' "$T/out")/$(chain_state mc-1)" \
	"7/unconfirmed ai_call answered 2026-03-02T11:05:00Z -/answered unconfirmed" \
	"her claim is settled too: unconfirmed, nothing says it reached her"
like "$(cat "$T/err")" 'survey 2: the ai_call claimed at 2026-03-02T11:05:00Z was never confirmed: the run sending it stopped, and it may or may not have reached the person; the chain had already ended \(answered\)' \
	"with the warning of any claim a crash left"
is "$(q "select count(*) from survey_attempts where state = 'claimed'")" 0 "no claim is left in the store"

# ---- a lost connection: maybe sent, never sent again ------------------------------------
# the provider reads the call and closes the connection without a reply:
# it may have placed the call, so no retry, within the run (even with
# retries allowed) or in a later one; the chain goes on as if it was sent
DB=$T/lost.db
contact lena true true false +15555550109 | contacts
session l-1 lena 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:00:00Z "$T/s"
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"fault\":\"close\",\"times\":1}"
twilio_ok
ESC_NET_RETRIES=3 ESC_NET_BACKOFF=10ms due 2026-03-02T10:05:00Z
is "$rc/$(jq -r '[.action, .step, .next_at] | join(" ")' "$T/out")/$(requests "$CALLS")" \
	"7/unconfirmed ai_call 2026-03-02T12:05:00Z/1" \
	"a connection closed after the request: unconfirmed, one request only, exit 7"
like "$(cat "$T/err")" 'survey 1: the ai_call may or may not have reached the person' "with a warning"
ESC_NET_RETRIES=3 due 2026-03-02T12:05:00Z
is "$rc/$(acts l-1)/$(requests "$CALLS")/$(requests "$MSGS")" "0/sent sms_link/1/1" \
	"two hours on, the SMS; the call is never placed again"

# ---- an answer while a send is in flight ------------------------------------------------
# the widget's answer is recorded while --due waits on the provider: the
# send is kept as sent, and the chain stays answered
DB=$T/race.db
contact rory true true true +15555550110 rory@example.com | contacts
session r-1 rory 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:00:00Z "$T/s"
RT=$(jq -r 'select(.type == "show_feedback_modal") | .token' "$T/out")
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":201,\"delay\":2,\"json\":{\"sid\":\"CA0002\"}}"
twilio_ok
tool survey-send --due --db "$DB" --now 2026-03-02T10:05:00Z > "$T/race" 2>&1 &
pid=$!
for i in $(seq 100); do
	[ "$(requests "$CALLS")" = 1 ] && break
	sleep 0.1
done
printf '{"token":"%s","problem_solved":true,"rating":5}\n' "$RT" |
	tool survey-send --record --db "$DB" --now 2026-03-02T10:05:30Z > /dev/null
wait "$pid"
is "$(q "select s.state || ' ' || s.method || ' ' || coalesce(s.next_at, '-') || ' ' || a.state from surveys s join survey_attempts a on a.survey_id = s.id and a.step = 'ai_call'")" \
	"answered in_widget - sent" "the call is kept as sent, the chain stays answered"
m0=$(mails)
due 2026-03-05T12:00:00Z
is "$(lines "$T/out")/$(requests "$MSGS")/$(mails)" "0/0/$m0" "and nothing more goes out for it"

# ---- --dry-run --------------------------------------------------------------------------
DB=$T/dry.db
contact dora true true true +15555550109 dora@example.com | contacts
session d-1 dora 2026-03-02T10:00:00Z > "$T/s"
sr --now 2026-03-02T10:00:00Z "$T/s"
httpd_reset
twilio_ok
smtpd_reset
sqlite3 "$DB" .dump > "$T/dump1"
sr --due --dry-run --now 2026-03-02T10:05:00Z
is "$rc/$(jq -r '[.action, .step, .channel, .dry_run] | join(" ")' "$T/out")" "0/would_send ai_call twilio true" \
	"--dry-run: says what it would send"
is "$(requests "$CALLS")/$(requests "$MSGS")/$(mails)" "0/0/0" "and sends nothing"
sqlite3 "$DB" .dump > "$T/dump2"
diff_ok "$T/dump2" "$T/dump1" "and keeps nothing"
session d-2 dora 2026-03-02T11:00:00Z > "$T/s"
sr -n --now 2026-03-02T11:00:00Z "$T/s"
is "$rc/$(lines "$T/out")/$(jq -r .survey.dry_run "$T/out")" "0/1/true" \
	"a session in a dry run: no modal, no token"
sqlite3 "$DB" .dump > "$T/dump2"
diff_ok "$T/dump2" "$T/dump1" "nor a chain"
run survey-send --db "$T/none.db" -n --now 2026-03-02T11:00:00Z "$T/s"
is "$rc/$(test -e "$T/none.db" && echo made || echo none)" "0/none" "a dry run with no store creates none"

# A dry run works on a copy of the store: while it waits for input the
# store is not locked, and a real run goes ahead at once.
mkfifo "$T/fifo"
trap '' PIPE    # should the dry run end early, a write fails its test, not the file
tool survey-send --db "$DB" -n --now 2026-03-02T11:00:00Z < "$T/fifo" > "$T/dry.out" 2> "$T/dry.err" &
pid=$!
exec 3> "$T/fifo"
echo 'not json' >&3
i=0
while ! grep -qs 'error' "$T/dry.err" && [ $i -lt 600 ]; do   # it has read a line and waits
	sleep 0.1
	i=$((i + 1))
done
session d-3 dora 2026-03-02T11:30:00Z > "$T/s"
ESC_BUSY_TIMEOUT=300 sr --now 2026-03-02T11:30:00Z "$T/s"
is "$rc/$(q "select count(*) from surveys where session_id = 'd-3'")" "0/1" \
	"a real run stores its chain while a dry run waits for input"
exec 3>&-
trap - PIPE
drc=0
wait "$pid" || drc=$?
is "$drc $(cat "$T/dry.err")" "3 survey-send: error (at <stdin>:1): invalid JSON at byte 1: invalid string in json text" \
	"and the dry run goes on to the end: the bad line rejected, exit 3"

# An older store is upgraded in the dry run's copy, not on disk.
old_store "$T/old.db" 2
sqlite3 "$T/old.db" .dump > "$T/old1"
session d-4 dora 2026-03-02T12:00:00Z > "$T/s"
run survey-send --db "$T/old.db" -n --now 2026-03-02T12:00:00Z "$T/s"
is "$rc/$(jq -r .survey.dry_run "$T/out")" "0/true" "a dry run on an older store works"
sqlite3 "$T/old.db" .dump > "$T/old2"
diff_ok "$T/old2" "$T/old1" "and leaves the file as it was: not migrated"

# A dry run decides as a real run would: two chains of one person due at
# once, the first would be sent and the second waits for the throttle,
# as a real run on a copy of the same store does.
DB=$T/drythrottle.db
contact dt true true true +15555550111 dt@example.com | contacts
session dt-1 dt 2026-03-02T10:00:00Z > "$T/s"
session dt-2 dt 2026-03-02T10:01:00Z >> "$T/s"
sr --now 2026-03-02T10:01:00Z "$T/s"
sqlite3 "$DB" ".backup '$T/drythrottle-real.db'"
sqlite3 "$DB" .dump > "$T/dump1"
httpd_reset
twilio_ok
sr --due --dry-run --now 2026-03-02T10:10:00Z
jq -c '[.session_id, (if .action == "would_send" then "sent" else .action end), .step, .channel, .reason, .until]' \
	"$T/out" > "$T/dry.acts"
sqlite3 "$DB" .dump > "$T/dump2"
is "$rc/$(requests "$CALLS")/$(cmp -s "$T/dump1" "$T/dump2" && echo same || echo changed)" "0/0/same" \
	"--dry-run with two chains of one person due: nothing sent, nothing kept"
DB=$T/drythrottle-real.db
due 2026-03-02T10:10:00Z
jq -c '[.session_id, .action, .step, .channel, .reason, .until]' "$T/out" > "$T/real.acts"
is "$(paste -sd, "$T/real.acts")" \
	'["dt-1","sent","ai_call","twilio",null,null],["dt-2","wait","ai_call",null,"throttle","2026-04-01T10:10:00Z"]' \
	"a real run on a copy of the store: the first chain's call, the second waits for the throttle"
diff_ok "$T/dry.acts" "$T/real.acts" "the dry run said the same, would_send for sent"

# ---- a run stops before a send could outlast claim_grace ------------------------------
# Each claim is stamped with the run's clock, read when it starts: a run
# whose sends keep hanging stops starting new ones while one could still
# end after claim_grace, and leaves the rest for the next run.
DB=$T/held.db
jq '.claim_grace = "4s"' "$ESC_SHARE/survey/survey.json" > "$T/g4.json"
for i in 1 2 3 4 5; do
	contact "h$i" true false false "+1555555012$i" | contacts
	session "h-$i" "h$i" 2026-03-02T10:00:00Z
done > "$T/s"
ESC_NET_TIMEOUT=1s run survey-send --db "$DB" --config "$T/g4.json" --now 2026-03-02T10:00:00Z "$T/s"
is "$rc/$(grep -c show_feedback_modal "$T/out")" "0/5" "five sessions, claim_grace 4s, ESC_NET_TIMEOUT 1s"
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"fault\":\"hang\",\"delay\":5,\"times\":5}"
ESC_NET_TIMEOUT=1s run survey-send --db "$DB" --config "$T/g4.json" --due --now 2026-03-02T10:05:00Z
n1=$(requests "$CALLS")
ok "$([ "$n1" -ge 1 ] && [ "$n1" -le 3 ]; echo $?)" \
	"five calls due, each hanging 1s, claim_grace 4s: the run starts at most three ($n1)"
like "$(cat "$T/err")" 'warning: stopped early: a send started now could outlast claim_grace' "and says so"
httpd_reset
twilio_ok
ESC_NET_TIMEOUT=1s run survey-send --db "$DB" --config "$T/g4.json" --due --now 2026-03-02T10:06:00Z
is "$rc/$(requests "$CALLS")/$(q "select count(*) from survey_attempts where step = 'ai_call'")" "0/$((5 - n1))/5" \
	"the next run calls the rest, once each"

# ---- no secret anywhere -----------------------------------------------------------------
is "$(grep -e "$MODAL" -e "$TOKEN" "$T/all" | grep -v show_feedback_modal | grep -vc '^{"token":')" 0 \
	"a modal's token is printed in its own line only (and in the answer it came back in)"
is "$(grep -c -- "$TW_SECRET" "$T/all")/$(q "select count(*) from survey_attempts where token like '%$TW_SECRET%' or error like '%$TW_SECRET%'")" \
	"0/0" "nor kept"
done_testing
