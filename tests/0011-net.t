#!/bin/sh
# lib/net.c against real servers on 127.0.0.1 (tests/servers): HTTP replies
# 2xx, 5xx then 2xx, 4xx (the request refused, or the caller: 401, 403,
# 404...), a redirect, a hang past the timeout, a reset, a close with no
# reply, a malformed reply, bodies over the cap; the backoff; the settings
# from the environment; no secret of a URL or a key in any message; SMTP
# accepted and well formed (parsed back with Python's email package), 451
# retried, 550 not, 530 and 535 the settings' fault, a dropped connection,
# a hang, header injection refused, STARTTLS and AUTH.
#
# tests/unit/net-call drives esc_http and esc_smtp_send; the servers log
# what they received, and the assertions read those logs.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

plan 96

NC=$top/tests/unit/net-call
# net-call: stdout to $T/out, stderr to $T/err, exit status in $rc
call() {
	rc=0
	$VALGRIND "$NC" "$@" > "$T/out" 2> "$T/err" || rc=$?
	if [ "$rc" = 99 ] && [ -n "$VALGRIND" ]; then
		echo "# valgrind reported errors running net-call $*:"
		diag_file "$T/err"
	fi
}
reqs() {
	lines "$HTTPD_DIR/requests.jsonl"
}
now_ms() {
	date +%s%3N
}

# quick settings for the tests; each test overrides what it looks at
net_timeouts 5s 2s
export ESC_NET_RETRIES=3 ESC_NET_BACKOFF=20ms
unset ESC_NET_CAFILE ESC_SMTP_URL ESC_SMTP_FROM ESC_SMTP_TLS ESC_SMTP_USER ESC_SMTP_PASSWORD

# ---- redaction of a URL -------------------------------------------------------
call redact 'https://bot:pa55w0rd@hooks.example.com:8443/services/T0/B1/XyZsecretPath?key=s3cret#frag'
is "$(cat "$T/out")" "https://hooks.example.com:8443" "redact: scheme, host and port only"
call redact 'http://[::1]:8080/a@b?c=d@e'
is "$(cat "$T/out")" "http://[::1]:8080" "redact: an IPv6 host; an @ after the path is not userinfo"
call redact 'https://bot:pa/55w0rd@hooks.example.com/services'
is "$(cat "$T/out")" "(not a URL)" "redact: a password holding a slash is not shown as a host"
call redact 'smtps://bot:p#55w0rd@mail.example.com:465'
is "$(cat "$T/out")" "(not a URL)" "redact: ... nor one holding a hash"
call redact 'smtp://mail.example.com'
is "$(cat "$T/out")" "smtp://mail.example.com" "redact: no port given, none shown"
call redact 'not a url'
is "$(cat "$T/out")" "(not a URL)" "redact: something that is not a URL is named as such"

# ---- HTTP ---------------------------------------------------------------------
httpd_start

call http -d '{"event":"hello","n":1}' -b sk-test-KEY -H 'X-Esc-Test: yes' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "0 status=200 attempts=1 permanent=0 bytes=11" "2xx: success at the first try"
is "$(jq -c '[.method, .path, .headers["content-type"], .headers.authorization, .headers["x-esc-test"], .body]' "$HTTPD_DIR/requests.jsonl")" \
	'["POST","/hook","application/json","Bearer sk-test-KEY","yes","{\"event\":\"hello\",\"n\":1}"]' \
	"2xx: the server got a POST with the JSON body, its type, the bearer key and the extra header"
is "$(jq -r '.headers.expect // "none"' "$HTTPD_DIR/requests.jsonl")" "none" "no Expect: 100-continue (it costs a second on some servers)"

httpd_reset
httpd_plan '{"path":"/v1/chat/completions","json":{"choices":[{"message":{"role":"assistant","content":"{\"plan\":\"pro\"}"}}]}}'
call http -o "$T/body" -d '{"model":"m"}' "$HTTPD_URL/v1/chat/completions"
is "$rc $(jq -r '.choices[0].message.content' "$T/body")" '0 {"plan":"pro"}' "the response body is handed back whole"
call http -X GET -o "$T/body" "$HTTPD_URL/status?x=1"
is "$rc $(jq -r '[.method, .path, .body] | join(" ")' "$HTTPD_DIR/requests.jsonl" | tail -n 1)" "0 GET /status?x=1 " \
	"a GET has no body; the query reaches the server"
httpd_plan '{"path":"/slack","body":"ok","content_type":"text/plain"}'
call http -o "$T/body" -T text/plain -d 'text' "$HTTPD_URL/slack"
is "$rc $(cat "$T/body") $(jq -r 'select(.path == "/slack") | .headers["content-type"]' "$HTTPD_DIR/requests.jsonl")" \
	"0 ok text/plain" "a webhook answering \"ok\" as text; the content type given is sent"
call http -X PUT -d 'x' "$HTTPD_URL/put"
is "$rc $(jq -r 'select(.path == "/put") | .method' "$HTTPD_DIR/requests.jsonl")" "0 PUT" "another method with a body"

# 5xx, then success
httpd_reset
httpd_plan '{"status":503,"times":2}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "0 status=200 attempts=3 permanent=0 bytes=11" "503 twice, then 200: retried, 3 tries"
is "$(reqs)" 3 "the server saw 3 requests"

# 5xx for ever
httpd_reset
httpd_plan '{"status":500}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "7 status=500 attempts=4 permanent=0 bytes=11" "500 for ever: 1 try + 3 retries, exit 7, not permanent"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: HTTP 500 after 4 tries" "the message: the server and how often it was tried"
is "$(reqs)" 4 "the server saw 4 requests"

# 4xx: no retry
httpd_reset
httpd_plan '{"status":400,"json":{"error":"bad request: key sk-XXXX"}}'
call http -o "$T/body" -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "7 status=400 attempts=1 permanent=1 bytes=$(wc -c < "$T/body" | tr -d ' ')" "400: not retried, permanent"
is "$(reqs)" 1 "400: the server saw 1 request"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: HTTP 400" "400: the message does not quote the body"
is "$(jq -r .error "$T/body")" "bad request: key sk-XXXX" "400: the body is there for the caller"
httpd_reset
httpd_plan '{"status":429}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out") $(reqs)" "7 status=429 attempts=1 permanent=0 bytes=11 1" "429: not retried now, but not permanent either"
httpd_reset
httpd_plan '{"status":302,"headers":{"Location":"/elsewhere"}}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out") $(reqs)" "7 status=302 attempts=1 permanent=3 bytes=11 1" \
	"302: the redirect is not followed; the address is the caller's to mend (permanent=3)"
like "$(cat "$T/err")" "HTTP 302 \(a redirect, not followed\)$" "302: said so"
# a 4xx that refuses the caller, not the request: its credentials or its
# address; 3 (ESC_NET_SETUP), against 1 for a request refused
for st in 401 403 404 405 407 410 422; do
	httpd_reset
	httpd_plan "{\"status\":$st,\"json\":{\"code\":20003,\"message\":\"Authenticate\"}}"
	call http -d '{}' -u 'AC1:tok-S3cret' "$HTTPD_URL/hook"
	printf '%s %s %s\n' "$st" "$(cat "$T/out")" "$(reqs)"
done > "$T/got"
cat > "$T/want" <<'EOF2'
401 status=401 attempts=1 permanent=3 bytes=42 1
403 status=403 attempts=1 permanent=3 bytes=42 1
404 status=404 attempts=1 permanent=3 bytes=42 1
405 status=405 attempts=1 permanent=3 bytes=42 1
407 status=407 attempts=1 permanent=3 bytes=42 1
410 status=410 attempts=1 permanent=3 bytes=42 1
422 status=422 attempts=1 permanent=1 bytes=42 1
EOF2
diff_ok "$T/got" "$T/want" "401, 403, 404, 405, 407, 410 refuse the caller (3); 422 the request (1); none retried"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: HTTP 422" "the message names the status, not the body or the login"

# a hang past the timeout
httpd_reset
httpd_plan '{"fault":"hang","delay":30}'
t0=$(now_ms)
ESC_NET_TIMEOUT=400ms ESC_NET_RETRIES=1 call http -d '{}' "$HTTPD_URL/hook"
t1=$(now_ms)
is "$rc $(cat "$T/out")" "7 status=0 attempts=2 permanent=0 bytes=0" "a hang: timed out, retried once, failed"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: timed out after 400ms (2 tries)" "a hang: the message names the timeout and the tries"
is "$(reqs)" 2 "a hang: the server saw 2 requests"
ok "$([ $((t1 - t0)) -lt 10000 ] && echo 0 || echo 1)" "a hang: given up after the timeouts, not the server's 30s ($((t1 - t0))ms)"
httpd_reset
httpd_plan '{"fault":"hang","delay":3,"times":1}'
ESC_NET_TIMEOUT=400ms call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "0 status=200 attempts=2 permanent=0 bytes=11" "a hang once, then an answer: success at the second try"
httpd_reset
httpd_plan '{"delay":0.3}'
ESC_NET_TIMEOUT=2s call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "0 status=200 attempts=1 permanent=0 bytes=11" "a slow answer within the timeout is no failure"

# a reset, a close without a reply, a malformed reply
httpd_reset
httpd_plan '{"fault":"reset"}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out") $(reqs)" "7 status=0 attempts=4 permanent=0 bytes=0 4" "a reset connection: retried, 4 tries"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: connection reset (4 tries)" "a reset: the message"
httpd_reset
httpd_plan '{"fault":"reset","times":1}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out")" "0 status=200 attempts=2 permanent=0 bytes=11" "a reset once: success at the second try"
httpd_reset
httpd_plan '{"fault":"close"}'
ESC_NET_RETRIES=1 call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/err")" "7 net-call: error: $HTTPD_URL: connection closed without a reply (2 tries)" \
	"a close without a reply: retried, then failed"
httpd_reset
httpd_plan '{"fault":"malformed"}'
call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out") $(reqs)" "7 status=0 attempts=1 permanent=0 bytes=0 1" "a malformed reply: a failure, not retried"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: malformed response from the server" "a malformed reply: the message"

# the body cap: 1 MiB
httpd_reset
httpd_plan '{"size":1048576,"times":1}' '{"size":1048577,"times":1}' '{"size":5000000,"length":false,"times":1}'
call http -o "$T/body" "$HTTPD_URL/big"
is "$rc $(cat "$T/out") $(wc -c < "$T/body" | tr -d ' ')" "0 status=200 attempts=1 permanent=0 bytes=1048576 1048576" \
	"a body of exactly 1 MiB is kept whole"
call http -o "$T/body" "$HTTPD_URL/big"
is "$rc $(cat "$T/out")" "7 status=200 attempts=1 permanent=1 bytes=0" "1 MiB and a byte, with its length declared: refused"
is "$(cat "$T/err")" "net-call: error: $HTTPD_URL: response body larger than 1024 KiB" "the body cap: the message"
call http -o "$T/body" "$HTTPD_URL/big"
is "$rc $(cat "$T/out")" "7 status=200 attempts=1 permanent=1 bytes=0" \
	"5 MB with no length declared: cut off at the cap, nothing kept"

# the backoff: 100ms, then 200ms, then 400ms
httpd_reset
httpd_plan '{"status":503}'
t0=$(now_ms)
ESC_NET_BACKOFF=100ms call http -d '{}' "$HTTPD_URL/hook"
t1=$(now_ms)
ok "$([ "$rc" = 7 ] && [ $((t1 - t0)) -ge 700 ] && echo 0 || echo 1)" \
	"the waits double: 3 retries after 100ms take at least 700ms ($((t1 - t0))ms)"
httpd_reset
httpd_plan '{"status":503}'
ESC_NET_RETRIES=0 call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out") $(reqs)" "7 status=503 attempts=1 permanent=0 bytes=11 1" "ESC_NET_RETRIES=0: one try only"

# secrets: user:password, a token in the path, a key in the query, the bearer key
SECRETS='pa55w0rd|XyZsecretPath|s3cretKey|sk-BEARER-123'
URL="http://bot:pa55w0rd@127.0.0.1:$HTTPD_PORT/hooks/XyZsecretPath?key=s3cretKey"
httpd_reset
httpd_plan '{"status":503}'
call http -d '{}' -b sk-BEARER-123 "$URL"
is "$rc $(cat "$T/err")" "7 net-call: error: $HTTPD_URL: HTTP 503 after 4 tries" "secrets: the error names scheme, host and port only"
ok "$(cat "$T/out" "$T/err" | grep -Eq "$SECRETS" && echo 1 || echo 0)" "secrets: none in stdout or stderr (HTTP 503)"
is "$(jq -r '.headers.authorization' "$HTTPD_DIR/requests.jsonl" | sort -u)" "Bearer sk-BEARER-123" "secrets: the bearer key did reach the server"
httpd_reset
call http -d '{}' "$URL"
is "$rc $(jq -r '.headers.authorization + " " + .path' "$HTTPD_DIR/requests.jsonl")" \
	"0 Basic $(printf 'bot:pa55w0rd' | base64) /hooks/XyZsecretPath?key=s3cretKey" "secrets: user and password went as basic auth"
for f in '{"fault":"reset"}' '{"fault":"hang","delay":2}' '{"fault":"malformed"}' '{"status":404}'; do
	httpd_reset
	httpd_plan "$f"
	ESC_NET_TIMEOUT=300ms ESC_NET_RETRIES=1 call http -d '{}' -b sk-BEARER-123 "$URL"
	ok "$([ "$rc" = 7 ] && ! cat "$T/out" "$T/err" | grep -Eq "$SECRETS" && echo 0 || echo 1)" \
		"secrets: none in the output on $f"
done

# refused before any connection
httpd_reset
call http -d '{}' -H "$(printf 'X-A: 1\r\nX-Injected: 1')" "$HTTPD_URL/hook"
is "$rc $(reqs)" "3 0" "a header with a line break: refused (exit 3), nothing sent"
call http -d '{}' -b "$(printf 'k\r\nX-Injected: 1')" "$HTTPD_URL/hook"
is "$rc $(reqs)" "3 0" "a bearer key with a line break: refused"
call http -X 'GET /x HTTP/1.0' "$HTTPD_URL/hook"
is "$rc $(reqs)" "3 0" "a method that is not a word: refused"
call http "file:///etc/passwd"
is "$rc $(cat "$T/err")" "3 net-call: error: not an http:// or https:// URL" "a file:// URL: refused"
ok "$(grep -q root "$T/out" "$T/err" && echo 1 || echo 0)" "a file:// URL: nothing of the file shows"

# nobody listening
httpd_stop
ESC_NET_RETRIES=1 call http -d '{}' "$HTTPD_URL/hook"
ESC_NET_RETRIES=1 call http -d '{}' "$HTTPD_URL/hook"
is "$rc $(cat "$T/out") | $(cat "$T/err")" \
	"7 status=0 attempts=2 permanent=0 bytes=0 | net-call: error: $HTTPD_URL: cannot connect: Connection refused (2 tries)" \
	"nobody listening: connection refused, retried, a failure a later try may mend (0)"

# a host name that does not resolve: a label past DNS's 63 bytes, which
# the resolver refuses without asking any name server
BADHOST=http://$(printf 'a%.0s' $(seq 70)).invalid
ESC_NET_RETRIES=1 call http -d '{}' "$BADHOST/hook"
is "$rc $(cat "$T/out") | $(cat "$T/err")" \
	"7 status=0 attempts=2 permanent=3 bytes=0 | net-call: error: $BADHOST: cannot resolve the host name (2 tries)" \
	"a host name that does not resolve: retried, then the settings' fault (3)"
ESC_SMTP_URL=smtp://$(printf "a%.0s" $(seq 70)).invalid:25 ESC_SMTP_FROM=esc@example.com ESC_NET_RETRIES=0 call smtp -t bob@example.net -s x -d x
is "$rc $(cat "$T/out")" "7 permanent=3" "... and for the mail server too"

# the settings
ESC_NET_TIMEOUT=soon call http "$HTTPD_URL/"
is "$rc $(cat "$T/err")" '2 net-call: error: ESC_NET_TIMEOUT: "soon" is not a duration (like 10s, 2m or 500ms)' \
	"a bad ESC_NET_TIMEOUT: exit 2, named"
ESC_NET_TIMEOUT=0 call http "$HTTPD_URL/"
is "$rc $(cat "$T/err")" '2 net-call: error: ESC_NET_TIMEOUT: must be at least 1ms' "ESC_NET_TIMEOUT=0 is refused"
ESC_NET_RETRIES=-1 call http "$HTTPD_URL/"
like "$rc $(cat "$T/err")" '^2 .*ESC_NET_RETRIES' "a negative ESC_NET_RETRIES: exit 2, named"
ESC_NET_BACKOFF=1m30 call http "$HTTPD_URL/"
like "$rc $(cat "$T/err")" '^2 .*ESC_NET_BACKOFF' "ESC_NET_BACKOFF=1m30: not a duration"
ESC_NET_CONNECT_TIMEOUT=12xs call http "$HTTPD_URL/"
like "$rc $(cat "$T/err")" '^2 .*ESC_NET_CONNECT_TIMEOUT' "a bad ESC_NET_CONNECT_TIMEOUT: exit 2, named"

# ---- SMTP -----------------------------------------------------------------------
if ! smtpd_available; then
	skip 30 "no python3 with aiosmtpd (Debian: python3-aiosmtpd)"
	done_testing
fi
smtpd_start
export ESC_SMTP_URL=$SMTPD_URL ESC_SMTP_FROM='Esc Alerts <alerts@example.com>'
SUBJ='Grüße — your plan “Pro” is ready, Zoë; a subject long enough to need more than one encoded word'
BODY=$(printf 'Hello Zoë,\n\nyour plan is ready.\n.\n..a line that starts with dots\nlast line')

call smtp -t 'Zoë Müller <zoe@example.org>' -s "$SUBJ" -d "$BODY"
is "$rc $(cat "$T/out")" "0 permanent=0" "SMTP: accepted"
is "$(jq -c '[.mail_from, .rcpt_tos, .tls, .auth]' "$SMTPD_DIR/messages.jsonl")" '["alerts@example.com",["zoe@example.org"],false,null]' \
	"SMTP: the envelope holds the bare addresses (sender from ESC_SMTP_FROM)"
python3 - "$SMTPD_DIR/1.eml" "$SUBJ" "$BODY" > "$T/parsed" 2>&1 <<'EOF'
import email, email.header, email.policy, email.utils, sys
raw = open(sys.argv[1], "rb").read()
subj, body = sys.argv[2], sys.argv[3]
m = email.message_from_bytes(raw, policy=email.policy.default)
def decoded(h):
    return str(email.header.make_header(email.header.decode_header(h)))
checks = [
    ("every line ends in CRLF", raw.count(b"\n") == raw.count(b"\r\n")),
    ("no line longer than 998", all(len(l) <= 998 for l in raw.split(b"\r\n"))),
    ("header names", [k for k in m.keys()] == ["Date", "From", "To", "Subject", "Message-ID",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding"]),
    ("Date parses", email.utils.parsedate_to_datetime(m["Date"]) is not None),
    ("From", email.utils.parseaddr(m["From"]) == ("Esc Alerts", "alerts@example.com")),
    ("To", decoded(m["To"]) == "Zoë Müller <zoe@example.org>"),
    ("Subject decodes to the original", decoded(m["Subject"]) == subj),
    ("Subject is RFC 2047, pure ASCII", m.get_all("Subject") and all(b < 128 for b in
        raw.split(b"\r\n\r\n")[0])),
    ("encoded words at most 75 chars", all(len(w) <= 75 for w in
        raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").split() if w.startswith(b"=?"))),
    ("Message-ID", m["Message-ID"].startswith("<") and m["Message-ID"].endswith("@example.com>")),
    ("MIME-Version", m["MIME-Version"] == "1.0"),
    ("Content-Type", m.get_content_type() == "text/plain" and m.get_content_charset() == "utf-8"),
    ("8bit", m["Content-Transfer-Encoding"] == "8bit"),
    ("the body, dots and all", m.get_content() == body.replace("\n", "\r\n") + "\r\n"),
]
for name, good in checks:
    print(("ok " if good else "FAILED ") + name)
EOF
is "$(grep -v '^ok ' "$T/parsed")" "" "SMTP: the message is well formed (Python's email package reads it back)"
like "$(grep -c '^ok ' "$T/parsed")" '^14$' "SMTP: all 14 checks of the message ran"

call smtp -t bob@example.net -f '"Carol Q. Sender" <carol@example.com>' -i 'fixed-id-1@esc' -s 'plain' -d "$(head -c 1500 /dev/zero | tr '\0' 'y')"
is "$rc $(jq -r 'select(.n == 2) | .mail_from' "$SMTPD_DIR/messages.jsonl")" "0 carol@example.com" "SMTP: the sender given overrides ESC_SMTP_FROM"
grep -a -c -e '^Message-ID: <fixed-id-1@esc>' -e '^Content-Transfer-Encoding: base64' \
	-e '^From: "Carol Q. Sender" <carol@example.com>' "$SMTPD_DIR/2.eml" > "$T/n"
is "$(cat "$T/n")" 3 "SMTP: the message id given is used; a 1500-byte line goes as base64; a quoted name stays quoted once"
python3 -c 'import email, sys; m = email.message_from_binary_file(open(sys.argv[1], "rb")); sys.stdout.write(m.get_payload(decode=True).decode())' \
	"$SMTPD_DIR/2.eml" > "$T/b64body"
is "$(tr -d '\r' < "$T/b64body")" "$(head -c 1500 /dev/zero | tr '\0' 'y')" "SMTP: the base64 body decodes to the text sent"

# 451 is temporary, 550 is permanent
smtpd_reset
smtpd_plan '{"stage":"data","reply":"451 4.3.0 try again later","times":2}'
call smtp -t bob@example.net -s 'retry me' -d 'x'
is "$rc $(lines "$SMTPD_DIR/messages.jsonl") $(cat "$SMTPD_DIR/plan.jsonl")" "0 1 " "451 twice at DATA, then accepted: retried (the plan used up)"
smtpd_reset
smtpd_plan '{"stage":"mail","reply":"451 4.3.0 try again later"}'
call smtp -t bob@example.net -s 'retry me' -d 'x'
is "$rc $(cat "$T/out")" "7 permanent=0" "451 for ever: failed, not permanent"
is "$(cat "$T/err")" "net-call: error: $SMTPD_URL: 451 local error in processing after 4 tries" "451 for ever: the message"
smtpd_reset
smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user","times":10}'
call smtp -t nobody@example.net -s 'x' -d 'x'
is "$rc $(cat "$T/out")" "7 permanent=1" "550 at RCPT: failed, permanent (the request refused)"
is "$(cat "$T/err")" "net-call: error: $SMTPD_URL: 550 mailbox unavailable" "550: the message, one try"
is "$(jq -r .times "$SMTPD_DIR/plan.jsonl")" 9 "550: the server was asked once"
smtpd_reset
smtpd_plan '{"stage":"data","reply":"554 5.7.1 rejected as spam","times":10}'
call smtp -t bob@example.net -s 'x' -d 'x'
is "$rc $(jq -r .times "$SMTPD_DIR/plan.jsonl") $(lines "$SMTPD_DIR/messages.jsonl")" "7 9 0" "554 after DATA: one try, nothing kept"

# a dropped connection, a hang
smtpd_reset
smtpd_plan '{"stage":"mail","fault":"drop","times":1}'
call smtp -t bob@example.net -s 'x' -d 'x'
is "$rc $(lines "$SMTPD_DIR/messages.jsonl")" "0 1" "a dropped connection once: retried, accepted"
smtpd_reset
smtpd_plan '{"stage":"data","fault":"hang","delay":3}'
ESC_NET_TIMEOUT=500ms ESC_NET_RETRIES=1 call smtp -t bob@example.net -s 'x' -d 'x'
is "$rc $(cat "$T/err")" "7 net-call: error: $SMTPD_URL: timed out after 500ms (2 tries)" "a hang at DATA: timed out, retried, failed"

# header injection
smtpd_reset
call smtp -t bob@example.net -s "$(printf 'Hi\r\nBcc: victim@example.org')" -d 'x'
is "$rc $(cat "$T/err")" "3 net-call: error: mail: the subject holds a line break or control character: refused" \
	"a line break in the subject: refused, exit 3"
call smtp -t "$(printf 'bob@example.net\nBcc: victim@example.org')" -s 'x' -d 'x'
like "$rc $(cat "$T/err")" "^3 .*recipient address holds a line break" "a line break in the recipient: refused"
call smtp -f "$(printf 'a@example.com\rX-Evil: 1')" -t bob@example.net -s 'x' -d 'x'
like "$rc $(cat "$T/err")" "^3 .*sender address holds a line break" "a CR in the sender: refused"
call smtp -t 'bob@example.net, eve@example.org' -s 'x' -d 'x'
like "$rc $(cat "$T/err")" "^3 .*recipient address is not one address" "two recipients in one: refused"
call smtp -t bob@example.net -s "$(printf 'bad \377 bytes')" -d 'x'
like "$rc $(cat "$T/err")" "^3 .*subject is not valid UTF-8" "a subject that is not UTF-8: refused"
is "$(lines "$SMTPD_DIR/messages.jsonl")" 0 "nothing refused reached the server"

# settings
ESC_SMTP_URL= call smtp -t bob@example.net -s x -d x
like "$rc $(cat "$T/err")" "^7 .*ESC_SMTP_URL is not set" "no ESC_SMTP_URL: said so"
ESC_SMTP_TLS=maybe call smtp -t bob@example.net -s x -d x
like "$rc $(cat "$T/err")" "^7 .*ESC_SMTP_TLS" "a bad ESC_SMTP_TLS: said so"
ESC_SMTP_TLS=require call smtp -t bob@example.net -s x -d x
is "$rc $(cat "$T/out") $(cat "$T/err")" "7 permanent=3 net-call: error: $SMTPD_URL: the server offers no STARTTLS (ESC_SMTP_TLS=require)" \
	"ESC_SMTP_TLS=require and a server without STARTTLS: refused, the settings' fault (3)"
# a server that wants a login esc did not give says so at MAIL FROM
smtpd_reset
smtpd_plan '{"stage":"mail","reply":"530 5.7.0 Authentication required","times":10}'
call smtp -t bob@example.net -s x -d x
is "$rc $(cat "$T/out") $(jq -r .times "$SMTPD_DIR/plan.jsonl") $(cat "$T/err")" \
	"7 permanent=3 9 net-call: error: $SMTPD_URL: 530 authentication required" \
	"530 at MAIL: asked once, the settings' fault (3), not the recipient's"
smtpd_reset

# STARTTLS and AUTH
if ! command -v openssl > /dev/null 2>&1; then
	skip 4 "no openssl(1) to make a certificate (Debian: openssl)"
	done_testing
fi
smtpd_stop
smtpd_start --tls --auth mailer:Sm7pPass
export ESC_SMTP_URL=$SMTPD_URL ESC_SMTP_USER=mailer ESC_SMTP_PASSWORD=Sm7pPass
ESC_NET_CAFILE=$SMTPD_DIR/cert.pem ESC_SMTP_TLS=require call smtp -t bob@example.net -s 'secure' -d 'x'
is "$rc $(jq -c '[.tls, .auth]' "$SMTPD_DIR/messages.jsonl")" "0 [true,\"mailer\"]" "STARTTLS (required) and AUTH: accepted over TLS, logged in"
call smtp -t bob@example.net -s 'x' -d 'x'
like "$rc $(cat "$T/out") $(cat "$T/err")" "^7 permanent=3 .*TLS: the server's certificate is not trusted$" \
	"STARTTLS with a certificate nobody vouches for: refused, not sent in clear"
ESC_NET_CAFILE=$SMTPD_DIR/cert.pem ESC_SMTP_PASSWORD=wrong-Pa55 call smtp -t bob@example.net -s x -d x
like "$rc $(cat "$T/out") $(cat "$T/err")" "^7 permanent=3 .*535 authentication failed$" \
	"a wrong password: 535, the settings' fault (3), not the recipient's"
ok "$(grep -Eq 'Sm7pPass|wrong-Pa55' "$T/out" "$T/err" && echo 1 || echo 0)" "the password shows nowhere"

done_testing
