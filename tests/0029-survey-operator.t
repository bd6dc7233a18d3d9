#!/bin/sh
# survey-send --due when a provider refuses the operator, not the person:
# a Twilio-compatible API answering 401 (20003), a mail server refusing
# the login (535), an HTTP mail API answering 403. Such a failure is the
# settings' (a rotated token, a typo in the environment): the step stays
# due as it was, no try is counted against the person, nothing is given
# up, the chain does not move on; the run says so, naming the channel and
# the provider's answer, exits 7, and calls that channel no more in the
# run. Once the settings are fixed, the next run sends every step. Real
# servers on 127.0.0.1 (tests/servers); the store read with sqlite3.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"
smtpd_available || plan skip_all "no python3 with aiosmtpd"

plan 32

SID=AC0per4torTest
TW_SECRET=tw-R0tat3d-Old-Tok
SMTP_PASS=Sm7p-Right-Pa55
SMTP_WRONG=Sm7p-Wrong-Pa55
KEY=mk-Revoked-K3y-77
httpd_start
smtpd_start --auth "mailer:$SMTP_PASS"
export ESC_TWILIO_URL=$HTTPD_URL ESC_TWILIO_SID=$SID ESC_TWILIO_TOKEN=$TW_SECRET
export ESC_TWILIO_FROM=+15550001111
export ESC_SURVEY_URL=https://survey.example/s/ ESC_SURVEY_CALL_URL=https://survey.example/call/
net_timeouts 15s
export ESC_NET_RETRIES=0
unset ESC_DB ESC_EMAIL_URL ESC_EMAIL_FROM ESC_EMAIL_KEY ESC_SMTP_URL ESC_SMTP_FROM \
	ESC_SMTP_USER ESC_SMTP_PASSWORD ESC_SMTP_TLS ESC_AGENT_WEBHOOK ESC_SURVEY_STATUS_URL

CALLS=/Accounts/$SID/Calls.json
MSGS=/Accounts/$SID/Messages.json
twilio_ok() {
	httpd_plan "{\"path\":\"$CALLS\",\"status\":201,\"json\":{\"sid\":\"CA0001\"}}" \
		"{\"path\":\"$MSGS\",\"status\":201,\"json\":{\"sid\":\"SM0001\"}}"
}
twilio_401() {
	httpd_plan "{\"path\":\"$CALLS\",\"status\":401,\"json\":{\"code\":20003,\"message\":\"Authenticate\",\"more_info\":\"https://www.twilio.com/docs/errors/20003\",\"status\":401}}"
}

. "$top/tests/survey.sh"

# contact ID CALLS SMS EMAIL [PHONE [EMAIL]]
contact() {
	printf '{"type":"contact","customer":"%s","name":"Pat %s"%s%s,"consent":{"calls":%s,"sms":%s,"email":%s},"at":"2026-01-01T00:00:00Z"}\n' \
		"$1" "$1" "${5:+,\"phone\":\"$5\"}" "${6:+,\"email\":\"$6\"}" "$2" "$3" "$4" |
		tool crm-track --db "$DB" > /dev/null
}
# sessions ENDED ID:CUSTOMER...: a chain each, started at ENDED
sessions() {
	local at=$1 s
	shift
	for s in "$@"; do
		printf '{"session_id":"%s","customer_id":"%s","ended_at":"%s"}\n' "${s%%:*}" "${s#*:}" "$at"
	done > "$T/s"
	sr --now "$at" "$T/s"
}
# what --due did: "session:action step" per line
acts() {
	jq -r '[.session_id + ":" + .action, .step] | join(" ")' "$T/out" | paste -sd, -
}

# ---- the call: Twilio answers 401, code 20003 ---------------------------------------
DB=$T/twilio.db
for p in p1 p2 p3; do
	contact "$p" true true false "+1555555020${p#p}"
done
sessions 2026-03-02T10:00:00Z s1:p1 s2:p2 s3:p3
httpd_reset
twilio_401
due 2026-03-02T10:05:00Z
is "$rc/$(acts)" "7/s1:held ai_call,s2:held ai_call,s3:held ai_call" \
	"a 401: every due call is held, exit 7"
is "$(requests "$CALLS")" 1 "the provider is asked once: after a 401 it is not called again in the run"
is "$(jq -r '[.channel, .error] | join(" ")' "$T/out" | sort -u)" \
	"twilio $HTTPD_URL: HTTP 401 (provider error 20003)" "each line names the channel and the provider's answer"
is "$(jq -r 'select(.gave_up or .retry_at) | .session_id' "$T/out")" "" "nothing is given up or put off"
is "$(grep -c '^survey-send: error: ' "$T/err")" 1 "one error for the channel"
is "$(grep '^survey-send: error: ' "$T/err")" \
	"survey-send: error: twilio failed on the credentials or settings: $HTTPD_URL: HTTP 401 (provider error 20003); the ai_call and sms_link steps stay due, no try is counted against anyone, and twilio is not called again in this run: check ESC_TWILIO_URL, ESC_TWILIO_SID and ESC_TWILIO_TOKEN" \
	"the error names the channel, the provider's answer and the settings to check"
is "$(q "select count(*) from survey_attempts where step <> 'in_widget'")" 0 \
	"no attempt is left: no try counted against anyone"
is "$(q "select group_concat(state || ' ' || step || ' ' || datetime(next_at, 'unixepoch'), ',') from surveys")" \
	"open in_widget 2026-03-02 10:05:00,open in_widget 2026-03-02 10:05:00,open in_widget 2026-03-02 10:05:00" \
	"every chain as it was: still at the modal, the call still due"
due 2026-03-02T10:06:00Z
is "$rc/$(acts)/$(requests "$CALLS")/$(q "select count(*) from survey_attempts where step <> 'in_widget'")" \
	"7/s1:held ai_call,s2:held ai_call,s3:held ai_call/2/0" \
	"a minute later, still refused: one request more, nothing spent"
httpd_reset
twilio_ok
due 2026-03-02T10:07:00Z
is "$rc/$(acts)/$(requests "$CALLS")" "0/s1:sent ai_call,s2:sent ai_call,s3:sent ai_call/3" \
	"the token fixed: every call goes out"
is "$(q "select group_concat(state || ' ' || tries, ',') from survey_attempts where step = 'ai_call'")" \
	"sent 1,sent 1,sent 1" "each on its first try"

# a step that failed for a while (a 503, tried again later) is put back as
# it was: failed, with its tries
sessions 2026-03-02T11:00:00Z s4:p4
contact p4 true true false +15555550204
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":503,\"times\":1}"
due 2026-03-02T11:05:00Z
is "$rc/$(jq -r '[.action, .retry_at] | join(" ")' "$T/out")" "7/failed 2026-03-02T11:15:00Z" \
	"precondition: a 503, tried again 10 minutes later"
httpd_reset
twilio_401
due 2026-03-02T11:15:00Z
is "$rc/$(acts)" "7/s4:held ai_call" "then a 401: held"
is "$(q "select a.state || ' ' || a.tries || ' ' || s.step || ' ' || datetime(s.next_at, 'unixepoch') || ' ' || datetime(a.claimed_at, 'unixepoch') || ' ' || (select count(*) from survey_tokens k where k.attempt_id = a.id and k.token = a.token) || '/' || (select count(*) from survey_tokens k where k.attempt_id = a.id) from survey_attempts a join surveys s on s.id = a.survey_id where s.session_id = 's4' and a.step = 'ai_call'")" \
	"failed 1 in_widget 2026-03-02 11:15:00 2026-03-02 11:05:00 1/1" \
	"the attempt as the 503 left it: failed, one try, its token; the call still due"
httpd_reset
twilio_ok
due 2026-03-02T11:16:00Z
is "$rc/$(acts)/$(q "select state || ' ' || tries from survey_attempts a where step = 'ai_call' and survey_id = (select id from surveys where session_id = 's4')")" \
	"0/s4:sent ai_call/sent 2" "then sent, on its second try: the 401 was not counted"

# ---- the mail: the SMTP server refuses the login (535) -------------------------------
DB=$T/smtp.db
export ESC_EMAIL_URL=$SMTPD_URL ESC_EMAIL_FROM=surveys@esc.example ESC_SMTP_USER=mailer
export ESC_SMTP_PASSWORD=$SMTP_WRONG
contact e1 false false true "" e1@example.com
contact e2 false false true "" e2@example.com
sessions 2026-03-02T12:00:00Z m1:e1 m2:e2
due 2026-03-02T12:05:00Z
is "$rc/$(jq -r 'select(.step == "email_link") | [.session_id + ":" + .action, .channel] | join(" ")' "$T/out" | paste -sd, -)" \
	"7/m1:held smtp,m2:held smtp" "a 535: both mails held, exit 7"
like "$(jq -r 'select(.step == "email_link") | .error' "$T/out" | sort -u)" \
	"^smtp://127\\.0\\.0\\.1:[0-9]+: 535 authentication failed$" "with the server's answer"
is "$(grep '^survey-send: error: ' "$T/err")" \
	"survey-send: error: smtp failed on the credentials or settings: $SMTPD_URL: 535 authentication failed; the email_link steps stay due, no try is counted against anyone, and smtp is not called again in this run: check ESC_EMAIL_URL, ESC_SMTP_USER, ESC_SMTP_PASSWORD and ESC_SMTP_TLS" \
	"the error names the mail server and what to check"
is "$(mails)/$(q "select count(*) from survey_attempts where step = 'email_link'")/$(q "select group_concat(state || ' ' || step, ',') from surveys")" \
	"0/0/open sms_link,open sms_link" "nothing sent, no attempt, the chains still before the mail"
export ESC_SMTP_PASSWORD=$SMTP_PASS
due 2026-03-02T12:06:00Z
is "$rc/$(acts | tr ',' '\n' | grep email_link | paste -sd, -)/$(mails)" \
	"0/m1:sent email_link,m2:sent email_link/2" "the password fixed: both mails go out"
is "$(q "select group_concat(state || ' ' || tries, ',') from survey_attempts where step = 'email_link'")" \
	"sent 1,sent 1" "each on its first try"

# ---- the mail through an HTTP API that refuses its key (403) -------------------------
DB=$T/http.db
export ESC_EMAIL_URL=$HTTPD_URL/v3/mail ESC_EMAIL_KEY=$KEY
unset ESC_SMTP_USER ESC_SMTP_PASSWORD
contact h1 false false true "" h1@example.com
sessions 2026-03-02T13:00:00Z h1:h1
httpd_reset
httpd_plan '{"path":"/v3/mail","status":403,"json":{"error":"forbidden"}}'
due 2026-03-02T13:05:00Z
is "$rc/$(jq -r 'select(.step == "email_link") | [.action, .channel, .error] | join(" ")' "$T/out")" \
	"7/held http $HTTPD_URL: HTTP 403" "a 403 from the mail API: held"
like "$(grep '^survey-send: error: ' "$T/err")" "check ESC_EMAIL_URL and ESC_EMAIL_KEY$" "naming its key"
httpd_reset
httpd_plan '{"path":"/v3/mail","status":202,"json":{"id":"em-1"}}'
due 2026-03-02T13:06:00Z
is "$rc/$(jq -r 'select(.step == "email_link") | [.action, .provider_id] | join(" ")' "$T/out")" \
	"0/sent em-1" "the key fixed: sent"

# ---- a typo in the mail API's host name: the settings' too -----------------------------
# (a label past DNS's 63 bytes, which the resolver refuses without asking
# any name server)
BADHOST=http://$(printf 'a%.0s' $(seq 70)).invalid
export ESC_EMAIL_URL=$BADHOST/v3/mail
contact h3 false false true "" h3@example.com
sessions 2026-03-02T13:30:00Z h3:h3
due 2026-03-02T13:35:00Z
is "$rc/$(jq -r 'select(.step == "email_link") | [.action, .channel, .error] | join(" ")' "$T/out")" \
	"7/held http $BADHOST: cannot resolve the host name" "a host name that does not resolve: held, exit 7"
is "$(q "select count(*) from survey_attempts a join surveys s on s.id = a.survey_id where s.session_id = 'h3' and a.step = 'email_link'")" \
	0 "... no try counted against the person"
export ESC_EMAIL_URL=$HTTPD_URL/v3/mail
httpd_reset
httpd_plan '{"path":"/v3/mail","status":202,"json":{"id":"em-3"}}'
due 2026-03-02T13:36:00Z
is "$rc/$(jq -r 'select(.step == "email_link") | [.session_id, .action, .provider_id] | join(" ")' "$T/out")" \
	"0/h3 sent em-3" "the host name mended: sent"

# ---- a dry run calls nobody, so it holds nothing ------------------------------------
contact h2 false false true "" h2@example.com
sessions 2026-03-02T14:00:00Z h2:h2
httpd_reset
httpd_plan '{"path":"/v3/mail","status":403}'
sr --due --dry-run --now 2026-03-02T14:05:00Z
is "$rc/$(jq -r 'select(.step == "email_link") | .action' "$T/out")/$(lines "$HTTPD_DIR/requests.jsonl")" \
	"0/would_send/0" "--dry-run: would send, and asks nobody"

# ---- secrets ------------------------------------------------------------------------
for s in "$TW_SECRET" "$SMTP_PASS" "$SMTP_WRONG" "$KEY"; do
	ok "$(grep -cF -- "$s" "$T/all" | grep -qx 0 && echo 0 || echo 1)" "no secret in stdout or stderr (${s%%-*}...)"
done
done_testing
