#!/bin/sh
# crm-track reads a line from the values the scanner's fast path lists
# (simdjson), or through jansson when the streaming scanner took the line
# (ESC_JSON_FAST=0, a line past 64 KiB, a "crm" member of its own) or when
# jansson would refuse what simdjson keeps (a NUL in a string, an integer
# past 64 bits). To the user that is one reader with jansson's rules: for
# the same input, with ESC_JSON_FAST unset and with ESC_JSON_FAST=0,
# stdout, stderr, the exit status, the --rejects file and the store are
# the same bytes. Then what those rules are: a key given twice has its
# last value (and keeps its first place in the stored metadata), reals are
# stored in their shortest form, -0 is the whole number 0.
. "$(dirname "$0")/lib.sh"

NOW=2026-03-05T00:00:00Z
plan 18

A='"at":"2026-03-01T10:00:00Z"'
cat > "$T/in.jsonl" <<EOF
{"id":"d-01","type":"contact","type":"session_started","customer":"c-1","customer":"c-2",$A}
{"id":"d-02","type":"waiver_accepted","customer":null,"customer_id":"c-3",$A,"time":null}
{"id":"d-03","type":"intake_submitted","customer":"c-1",$A,"metadata":{"a":1,"r":8.15,"a":{"b":[1e5,-0.0,1E-400,0.1,-0]},"s":"\u00e9\n\ud83d\ude00"}}
{"id":"d-04","type":"checkout_completed","customer":"c-1",$A,"metadata":{"amount":19.99,"currency":"usd","amount":5}}
{"id":-0,"type":"summary_viewed","customer":9223372036854775807,$A}
{"id":"d-06","type":"summary_viewed","customer":"c-1",$A,"metadata":{"n":9223372036854775808}}
{"id":"d-07","type":"summary_viewed","customer":"c-1",$A,"metadata":{"s":"a\u0000b"}}
{"id":"d-08","type":"summary_viewed","customer":"c-1",$A,"x":{"y":[-18446744073709551615]}}
{"type":"contact","customer":"k-1","email":"k1@example.com",$A,"consent":{"sms":1,"email":true,"sms":true}}
{"type":"contact","customer":"k-2","email":"k2@example.com",$A,"consent":{"fax":true,"sms":1}}
{"type":"contact","customer":"k-3","email":"k3@example.com",$A,"consent":{"sms":1,"calls":"x","sms":true}}
{"type":"contact","customer":"k-4","email":"k4@example.com","email":null,$A}
{"type":"contact","customer":"k-5","phone":"+15555550100",$A,"consented_at":null,"blocked":true,"blocked":false}
{"id":"d-14","type":"waiver_accepted","customer":"c-1",$A,"crm":{"old":1},"metadata":{"x":1.50}}
{"id":"d-15","type":"checkout_started","customer":"c-1",$A,"amount":1e1,"currency":"JPY","amount":2.5e1}
{"id":"d-16","type":1,"customer":"c-1",$A}
{"id":"d-17","type":"contact","type":null,"customer":"c-1",$A}
{"id":"d-18","type":"summary_viewed","customer":"c-1",$A,"metadata":{"k\u0041":1,"kA":2}}
EOF
# a line past the fast path's 64 KiB
awk -v a="$A" 'BEGIN { s = "abcdefghij"; while (length(s) < 70000) s = s s
	printf "{\"id\":\"d-long\",\"type\":\"summary_viewed\",\"customer\":\"c-1\",%s,", a
	printf "\"metadata\":{\"pad\":\"%s\",\"r\":2.50}}\n", substr(s, 1, 70000) }' >> "$T/in.jsonl"

# mode NAME: one run over the corpus on a new store; results in $T/NAME.*
mode() {
	rm -f "$T/$1.db"
	run crm-track --db "$T/$1.db" --now "$NOW" --rejects "$T/$1.rej" "$T/in.jsonl"
	echo "$rc" > "$T/$1.rc"
	cp "$T/out" "$T/$1.out"
	cp "$T/err" "$T/$1.err"
	sqlite3 "$T/$1.db" .dump > "$T/$1.dump"
}
mode fast
ESC_JSON_FAST=0
export ESC_JSON_FAST
mode slow
unset ESC_JSON_FAST

is "$(cat "$T/fast.rc")" "$(cat "$T/slow.rc")" "the same exit status in both modes"
diff_ok "$T/fast.out" "$T/slow.out" "the same stdout in both modes"
diff_ok "$T/fast.err" "$T/slow.err" "the same stderr in both modes"
cmp -s "$T/fast.rej" "$T/slow.rej"
ok $? "the same --rejects file in both modes"
diff_ok "$T/fast.dump" "$T/slow.dump" "the same store in both modes"

sq() {
	sqlite3 "$T/fast.db" "$@"
}
err() {
	sed -n "s/^crm-track: error (at [^)]*:$1): //p" "$T/fast.err"
}
is "$(cat "$T/fast.rc")/$(lines "$T/fast.out")/$(lines "$T/fast.rej")" "3/11/8" \
	"exit 3: 11 lines kept, 8 rejected"
is "$(sq "select type, customer_id from interactions where event_id = 'd-01'")" \
	"session_started|c-2" "a key given twice has its last value"
is "$(sq "select customer_id from interactions where event_id = 'd-02'")" "c-3" \
	"a null member gives way to its alias"
is "$(sq "select metadata from interactions where event_id = 'd-03'")" \
	'{"a":{"b":[100000.0,-0.0,0.0,0.1,0]},"r":8.15,"s":"é\n😀"}' \
	"metadata: a key given twice keeps its first place, reals in their shortest form"
is "$(sq "select amount_cents from interactions where event_id = 'd-04'")" 500 \
	"an amount in the metadata, given twice: the last"
is "$(sq "select customer_id from interactions where event_id = '0'")" 9223372036854775807 \
	"-0 is the id 0; the largest 64-bit integer is an id"
is "$(err 6)|$(err 7)|$(err 8)" "number at byte 117 is too large for crm-track (a whole number must fit in 64 bits)|invalid JSON at byte 108: a \\u0000 in a string is not allowed|number at byte 113 is too large for crm-track (a whole number must fit in 64 bits)" \
	"what jansson cannot hold is refused, saying what it is"
is "$(sq "select consent_sms, consent_email from contacts where customer_id = 'k-1'")" "1|1" \
	"consent: a channel given twice has its last value"
is "$(err 10)|$(err 11)" 'consent: unknown channel "fax" (sms, email, calls)|consent.calls must be true or false' \
	"consent: channels are judged in their first place, by their last value"
is "$(err 12)|$(sq "select blocked from contacts where customer_id = 'k-5'")" \
	'a new contact needs "email" or "phone" (k-4)|0' "contact fields given twice: the last"
is "$(sq "select metadata from interactions where event_id = 'd-14'")|$(grep -c '"crm":{"old"' "$T/fast.out")" \
	'{"x":1.5}|0' "a line with a crm member of its own: read, and the member replaced"
is "$(sq "select amount_cents from interactions where event_id = 'd-15'")" 25 \
	"an amount given twice: the last"
is "$(sq "select metadata from interactions where event_id = 'd-18'")|$(sq "select substr(metadata, -10)
	from interactions where event_id = 'd-long'")" '{"kA":2}|","r":2.5}' \
	"keys are compared decoded; the line past 64 KiB is read as the others"
