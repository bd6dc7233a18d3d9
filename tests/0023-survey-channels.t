#!/bin/sh
# lib/channels.c against real servers on 127.0.0.1 (tests/servers): SMS and
# calls through a Twilio-compatible API (method, path, basic auth, the form
# decoded, the link with its token), email over SMTP (plain, STARTTLS,
# AUTH) and an HTTP mail API; faults: 503 retried, 400 permanent, 401 and
# 20003 the operator's, a hang past the timeout, SMTP 550 permanent, 451
# temporary and a refused login the operator's; each missing
# variable named; no secret in any output.
#
# tests/unit/channel-send drives esc_channel_send; the servers log what
# they received, and the assertions read those logs.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

plan 54

CS=$top/tests/unit/channel-send
# channel-send: stdout to $T/out, stderr to $T/err, exit status in $rc; both
# kept in $T/all for the secrets check at the end
call() {
	rc=0
	$VALGRIND "$CS" "$@" > "$T/out" 2> "$T/err" || rc=$?
	cat "$T/out" "$T/err" >> "$T/all"
	if [ "$rc" = 99 ] && [ -n "$VALGRIND" ]; then
		echo "# valgrind reported errors running channel-send $*:"
		diag_file "$T/err"
	fi
}
reqs() {
	lines "$HTTPD_DIR/requests.jsonl"
}
# the last request's form body, decoded, as sorted JSON
form() {
	tail -n 1 "$HTTPD_DIR/requests.jsonl" | python3 -c '
import json, sys, urllib.parse
r = json.loads(sys.stdin.read())
print(json.dumps(dict(urllib.parse.parse_qsl(r["body"], keep_blank_values=True, strict_parsing=True)), sort_keys=True, separators=(",", ":"), ensure_ascii=False))'
}
# a header of the last SMTP message, or "body" for its decoded text
mail() {
	tail -n 1 "$SMTPD_DIR/messages.jsonl" | python3 -c '
import email, email.policy, json, sys
m = email.message_from_string(json.loads(sys.stdin.read())["data"], policy=email.policy.default)
print(m.get_content().replace("\r\n", "\n").rstrip("\n") if sys.argv[1] == "body" else m[sys.argv[1]])' "$1"
}

net_timeouts 5s 2s
export ESC_NET_RETRIES=3 ESC_NET_BACKOFF=20ms
export ESC_NOW=2026-03-02T10:00:00Z
unset ESC_NET_CAFILE ESC_SMTP_URL ESC_SMTP_FROM ESC_SMTP_TLS ESC_SMTP_USER ESC_SMTP_PASSWORD \
	ESC_EMAIL_URL ESC_EMAIL_FROM ESC_EMAIL_KEY ESC_TWILIO_URL ESC_TWILIO_SID ESC_TWILIO_TOKEN \
	ESC_TWILIO_FROM ESC_SURVEY_URL ESC_SURVEY_CALL_URL ESC_SURVEY_STATUS_URL CHANNEL_MSGID
# the secrets: none may show in any output
TOK=tw-Secret-Tok3n-9f8e7d
KEY=mk-Secret-Key-41b2c3
PASS=Sm7p-Secret-Pass
export CHANNEL_TOKEN=LinkTokenAbc123-_xyz0987654321LinkTokenQrs
: > "$T/all"

# ---- which variable is missing --------------------------------------------------
call ready sms
is "$rc $(cat "$T/out")" "1 ESC_TWILIO_SID is not set" "ready: the account is named first"
export ESC_TWILIO_SID=AC0123456789abcdef
call ready sms
is "$(cat "$T/out")" "ESC_TWILIO_TOKEN is not set" "ready: then the secret"
export ESC_TWILIO_TOKEN=$TOK
call ready call
is "$(cat "$T/out")" "ESC_TWILIO_FROM is not set" "ready: then the sender"
export ESC_TWILIO_FROM=+15550001111
call ready sms
is "$(cat "$T/out")" "ESC_SURVEY_URL is not set" "ready: an SMS needs the survey link"
call ready call
is "$(cat "$T/out")" "ESC_SURVEY_CALL_URL is not set" "ready: a call needs the call service"
call ready email
is "$(cat "$T/out")" "neither ESC_EMAIL_URL nor ESC_SMTP_URL is set" "ready: email needs a server"
ESC_EMAIL_URL=ftp://mail.example.com call ready email
is "$(cat "$T/out")" "ESC_EMAIL_URL is neither an smtp(s):// nor an http(s):// URL" "ready: a server of another kind is refused"
ESC_EMAIL_URL=smtp://127.0.0.1:1 call ready email
is "$(cat "$T/out")" "neither ESC_EMAIL_FROM nor ESC_SMTP_FROM is set" "ready: email needs a sender"
ESC_EMAIL_URL=https://mail.example.com/send ESC_EMAIL_FROM=s@example.com call ready email
is "$(cat "$T/out")" "ESC_EMAIL_KEY is not set" "ready: the mail API needs its key"
ESC_SMTP_URL=smtp://127.0.0.1:1 ESC_SMTP_FROM=s@example.com call ready email
is "$(cat "$T/out")" "ESC_SURVEY_URL is not set" "ready: email needs the survey link"
call sms +15552223333 Ana
like "$rc $(cat "$T/err")" '^7 channel-send: error: sms_link: ESC_SURVEY_URL is not set$' \
	"send on a channel not ready: refused, the variable named, nothing sent"
export ESC_SURVEY_URL='https://survey.example.com/s/'
call link
is "$(cat "$T/out")" "https://survey.example.com/s/$CHANNEL_TOKEN" "the link: the token appended"
ESC_SURVEY_URL='https://survey.example.com/s/{token}?src=esc' call link
is "$(cat "$T/out")" "https://survey.example.com/s/$CHANNEL_TOKEN?src=esc" "the link: or put in place of {token}"
: > "$T/all"   # the links above show the token on purpose; from here on nothing may

# ---- SMS ------------------------------------------------------------------------
httpd_start
export ESC_TWILIO_URL=$HTTPD_URL/2010-04-01/
MSG=/2010-04-01/Accounts/AC0123456789abcdef/Messages.json
CALLS=/2010-04-01/Accounts/AC0123456789abcdef/Calls.json
httpd_plan "{\"path\":\"$MSG\",\"status\":201,\"json\":{\"sid\":\"SM42\",\"status\":\"queued\"}}" \
	"{\"path\":\"$CALLS\",\"status\":201,\"json\":{\"sid\":\"CA77\"}}"
call sms +15552223333 'Ana María'
is "$rc $(cat "$T/out")" "0 channel=twilio id=SM42" "SMS: accepted, the message sid is the id"
is "$(jq -r '[.method, .path, .headers["content-type"]] | join(" ")' "$HTTPD_DIR/requests.jsonl")" \
	"POST $MSG application/x-www-form-urlencoded" "SMS: a form POST to the account's Messages.json"
is "$(jq -r '.headers.authorization' "$HTTPD_DIR/requests.jsonl")" \
	"Basic $(printf '%s' "AC0123456789abcdef:$TOK" | base64 -w0)" "SMS: basic auth with the account and its token"
is "$(form)" "$(jq -cnS --arg b "Hi Ana María, thanks for talking with us. Did we solve your problem? It takes 30 seconds: https://survey.example.com/s/$CHANNEL_TOKEN (the link works once, until 2026-03-09). Reply STOP to opt out." \
	'{Body: $b, From: "+15550001111", To: "+15552223333"}')" \
	"SMS: To, From and Body decoded; the body filled with the name, the link and its end date"
call sms +15552223333
like "$(form | jq -r .Body)" '^Hi there, ' "SMS: no name: \"there\""

# ---- calls ----------------------------------------------------------------------
httpd_reset
httpd_plan "{\"path\":\"$CALLS\",\"status\":201,\"json\":{\"sid\":\"CA77\"}}"
export ESC_SURVEY_CALL_URL='https://voice.example.com/twiml/{token}/start'
call call +15552223333 Ana
is "$rc $(cat "$T/out")" "0 channel=twilio id=CA77" "call: accepted, the call sid is the id"
is "$(jq -r .path "$HTTPD_DIR/requests.jsonl") $(form)" \
	"$CALLS $(jq -cnS --arg u "https://voice.example.com/twiml/$CHANNEL_TOKEN/start" '{From: "+15550001111", To: "+15552223333", Url: $u}')" \
	"call: To, From and Url with the token in place of {token}; no status callback unless asked"
ESC_SURVEY_CALL_URL=https://voice.example.com/twiml?t= ESC_SURVEY_STATUS_URL=https://voice.example.com/status \
	call call +15552223333
is "$(form | jq -c '[.Url, .StatusCallback]')" "[\"https://voice.example.com/twiml?t=$CHANNEL_TOKEN\",\"https://voice.example.com/status\"]" \
	"call: the token appended; the status callback when set"

# ---- HTTP faults ----------------------------------------------------------------
httpd_reset
httpd_plan '{"status":503,"times":2}' "{\"path\":\"$MSG\",\"status\":201,\"json\":{\"sid\":\"SM43\"}}"
call sms +15552223333
is "$rc $(cat "$T/out") $(reqs)" "0 channel=twilio id=SM43 3" "503 twice: retried, then accepted (3 requests)"
httpd_reset
httpd_plan '{"status":400,"json":{"code":21211,"message":"The To number +1555 is not a valid phone number.","status":400}}'
call sms +15550000000
is "$rc $(cat "$T/out") $(reqs)" "7 permanent=1 1" "400: permanent, not retried"
is "$(cat "$T/err")" "channel-send: error: $HTTPD_URL: HTTP 400 (provider error 21211)" \
	"400: the server by scheme, host and port, and the provider's error code"
# the account refused, not the number: the operator's settings (3)
httpd_reset
httpd_plan '{"status":401,"json":{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}}'
call sms +15552223333
is "$rc $(cat "$T/out") $(reqs) $(cat "$T/err")" \
	"7 permanent=3 1 channel-send: error: $HTTPD_URL: HTTP 401 (provider error 20003)" \
	"401 (20003): the credentials refused, the operator's to mend (permanent=3), asked once"
httpd_reset
httpd_plan '{"status":400,"json":{"code":20003,"message":"Authenticate"}}' '{"status":403,"json":{"code":20403}}'
call call +15552223333
call sms +15552223333
is "$rc $(cat "$T/out") $(reqs)" "7 permanent=3 2" \
	"a 400 saying 20003, a 403: the same"
httpd_reset
httpd_plan '{"fault":"hang","delay":3}'
ESC_NET_TIMEOUT=300ms ESC_NET_RETRIES=1 call call +15552223333
is "$rc $(cat "$T/out") $(reqs)" "7 permanent=2 1" \
	"a hang past ESC_NET_TIMEOUT: the call may have been placed, so it is not tried again (permanent=2)"
like "$(cat "$T/err")" "timed out after 300ms$" "a hang: said so"

# a template naming an unknown placeholder is a data error
mkdir -p "$T/share"
cp -R "$ESC_SHARE/." "$T/share/"
printf 'Hi {name}, {link} {nickname}\n' > "$T/share/survey/sms.txt"
httpd_reset
ESC_SHARE=$T/share call sms +15552223333
is "$rc $(reqs)" "4 0" "an unknown {placeholder}: exit 4, nothing sent"
like "$(cat "$T/err")" '\{nickname\}' "an unknown {placeholder}: named"

# ---- email over an HTTP API -----------------------------------------------------
httpd_reset
httpd_plan '{"path":"/v3/mail","status":202,"json":{"id":"em-5150","queued":true}}' \
	'{"path":"/v4/mail","status":200,"json":{"message_id":"mid-77"}}'
export ESC_EMAIL_URL=$HTTPD_URL/v3/mail ESC_EMAIL_FROM='Support <support@example.com>' ESC_EMAIL_KEY=$KEY
call email ana@example.org Ana
is "$rc $(cat "$T/out")" "0 channel=http id=em-5150" "mail API: accepted, its id is the id"
is "$(jq -r '[.method, .path, .headers["content-type"], .headers.authorization] | join(" ")' "$HTTPD_DIR/requests.jsonl")" \
	"POST /v3/mail application/json Bearer $KEY" "mail API: a JSON POST with the key as a bearer"
is "$(jq -r .body "$HTTPD_DIR/requests.jsonl" | jq -c '[.from, .to, .subject, (.text | split("\n") | .[0], .[4], .[6])]')" \
	"[\"Support <support@example.com>\",\"ana@example.org\",\"Did we solve your problem?\",\"Hi Ana,\",\"https://survey.example.com/s/$CHANNEL_TOKEN\",\"The link is yours alone, works once, and expires on 2026-03-09.\"]" \
	"mail API: from, to, the subject line and the body after the blank line, filled"
ESC_EMAIL_URL=$HTTPD_URL/v4/mail call email ana@example.org
is "$rc $(cat "$T/out")" "0 channel=http id=mid-77" "mail API: or its message_id"
httpd_reset
httpd_plan '{"status":422,"json":{"error":"invalid"}}'
call email ana@example.org
is "$rc $(cat "$T/out")" "7 permanent=1" "mail API: a 4xx is permanent"
httpd_reset
httpd_plan '{"status":401,"json":{"error":"invalid api key"}}'
call email ana@example.org
is "$rc $(cat "$T/out") $(reqs)" "7 permanent=3 1" "mail API: a 401 refuses the key, not the address (3)"
httpd_stop

# ---- email over SMTP ------------------------------------------------------------
if ! smtpd_available; then
	skip 15 "no python3 with aiosmtpd (Debian: python3-aiosmtpd)"
else
	unset ESC_EMAIL_URL ESC_EMAIL_FROM ESC_EMAIL_KEY
	smtpd_start
	export ESC_SMTP_URL=$SMTPD_URL ESC_SMTP_FROM='Support <support@example.com>'
	CHANNEL_MSGID=survey-7-email_link@example.com call email ana@example.org 'Ana'
	is "$rc $(cat "$T/out")" "0 channel=smtp id=<survey-7-email_link@example.com>" \
		"SMTP ($ESC_SMTP_URL only): accepted; the Message-ID given is the id"
	is "$(jq -c '[.mail_from, .rcpt_tos, .tls]' "$SMTPD_DIR/messages.jsonl")" '["support@example.com",["ana@example.org"],false]' \
		"SMTP: the envelope"
	is "$(mail Subject) $(mail Message-ID)" "Did we solve your problem? <survey-7-email_link@example.com>" \
		"SMTP: the subject from email.txt's first line; the Message-ID"
	is "$(mail body | sed -n '1p;5p')" "$(printf 'Hi Ana,\nhttps://survey.example.com/s/%s' "$CHANNEL_TOKEN")" \
		"SMTP: the body after the blank line, with the name and the link"
	call email ana@example.org
	like "$rc $(cat "$T/out")" '^0 channel=smtp id=<[A-Za-z0-9_-]{43}@example.com>$' \
		"SMTP: no Message-ID given: one is made at the sender's domain, and it is the id"
	is "$(mail Message-ID)" "$(sed 's/.* id=//' "$T/out")" "SMTP: ... and it is the one sent"

	# ESC_EMAIL_URL wins over ESC_SMTP_URL
	smtpd_reset
	ESC_SMTP_URL=smtp://127.0.0.1:1 ESC_EMAIL_URL=$SMTPD_URL ESC_EMAIL_FROM=surveys@example.com \
		call email ana@example.org
	is "$rc $(jq -r .mail_from "$SMTPD_DIR/messages.jsonl")" "0 surveys@example.com" \
		"SMTP: ESC_EMAIL_URL and ESC_EMAIL_FROM before ESC_SMTP_URL and ESC_SMTP_FROM"

	smtpd_reset
	smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user"}'
	call email nobody@example.org
	is "$rc $(cat "$T/out") $(lines "$SMTPD_DIR/messages.jsonl")" "7 permanent=1 0" "SMTP 550: permanent, nothing kept"
	like "$(cat "$T/err")" "^channel-send: error: $SMTPD_URL: 550 mailbox unavailable" "SMTP 550: said so"
	smtpd_reset
	smtpd_plan '{"stage":"data","reply":"451 4.3.0 try again later","times":1}'
	call email ana@example.org
	is "$rc $(lines "$SMTPD_DIR/messages.jsonl")" "0 1" "SMTP 451 once: retried, then accepted"
	smtpd_reset
	smtpd_plan '{"stage":"data","reply":"451 4.3.0 try again later"}'
	ESC_NET_RETRIES=1 call email ana@example.org
	is "$rc $(cat "$T/out")" "7 permanent=0" "SMTP 451 for ever: failed, temporary"
	call email 'not an address'
	is "$rc $(cat "$T/out")" "7 permanent=1" "SMTP: an address that is not one: refused before connecting, permanent"
	smtpd_stop

	smtpd_start --tls --auth mailer:$PASS
	export ESC_SMTP_URL=$SMTPD_URL ESC_SMTP_USER=mailer ESC_SMTP_PASSWORD=$PASS
	ESC_NET_CAFILE=$SMTPD_DIR/cert.pem ESC_SMTP_TLS=require call email ana@example.org Ana
	is "$rc $(jq -c '[.tls, .auth]' "$SMTPD_DIR/messages.jsonl")" '0 [true,"mailer"]' \
		"SMTP: STARTTLS with the CA file, then AUTH"
	ESC_NET_CAFILE=$SMTPD_DIR/cert.pem ESC_SMTP_PASSWORD=wrong-Pa55 call email ana@example.org
	is "$rc $(cat "$T/out")" "7 permanent=3" "SMTP: a refused login is the settings' fault (3)"
	unset ESC_SMTP_USER ESC_SMTP_PASSWORD
fi

# ---- secrets --------------------------------------------------------------------
for s in "$TOK" "$KEY" "$PASS" "$CHANNEL_TOKEN"; do
	ok "$(grep -cF -- "$s" "$T/all" | grep -qx 0 && echo 0 || echo 1)" "no secret in stdout or stderr (${s%%-*}...)"
done
done_testing
