#!/bin/sh
# crm-track: the bad-input matrix. Each bad line alone is rejected with a
# message that names the input, the line and the reason, writes nothing to
# the store and nothing to the output; then all of them mixed with good
# lines: every line is in the output or reported, --rejects keeps the bad
# ones verbatim, --strict stops at the first. Huge lines, invalid UTF-8,
# empty input.
. "$(dirname "$0")/lib.sh"

DB=$T/db
NOW=2026-03-05T00:00:00Z
plan 165

sq() {
	sqlite3 "$DB" "$@"
}

EV='"type":"waiver_accepted","customer":"c-1","at":"2026-03-01T10:00:00Z"'
K='"type":"contact","customer":"k-1"'

# bad LINE REGEX DESC: the line alone is rejected, for the reason REGEX
n=0
bad() {
	n=$((n + 1))
	printf '%s\n' "$1" > "$T/bad.jsonl"
	printf '%s\n' "$1" >> "$T/allbad.jsonl"
	run crm-track --db "$DB" --now "$NOW" "$T/bad.jsonl"
	is "$rc/$(lines "$T/out")/$(sq 'select count(*) from interactions') $(sq 'select count(*) from contacts')" \
		"3/0/0 0" "$3: exit 3, no output, nothing stored"
	like "$(cat "$T/err")" "^crm-track: error \\(at $T/bad\\.jsonl:1\\): $2\$" "... $3: the reason"
}
: > "$T/allbad.jsonl"

# the store exists before the matrix, so "nothing stored" means something
run crm-track --db "$DB" < /dev/null
is "$rc/$(lines "$T/out")/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" "empty input: exit 0, no output, no message"
is "$(sq 'select count(*) from sqlite_master where name in ("interactions", "contacts")')" 2 \
	"... and the store is created"

# ---- JSON ------------------------------------------------------------------------
bad '{"id":"e1",' 'invalid JSON at byte [0-9]+: .*' "broken JSON"
bad '["id","e1"]' 'not a JSON object' "an array"
bad '"text"' 'not a JSON object' "a string"
bad "{\"id\":\"e1\",$EV} {}" 'invalid JSON at byte [0-9]+: trailing garbage' "two values"
bad "{\"id\":\"e1\",$EV,\"n\":123456789012345678901234567890}" 'number at byte [0-9]+ is too large for crm-track \(a whole number must fit in 64 bits\)' \
	"an integer past 64 bits: valid JSON, too large a number"
bad "{\"id\":\"e1\",$EV,\"s\":\"a\\u0000b\"}" 'invalid JSON at byte [0-9]+: a \\u0000 in a string is not allowed' "a NUL in a string"

# ---- events ----------------------------------------------------------------------
bad '{"id":"e1","customer":"c-1","at":"2026-03-01T10:00:00Z"}' \
	'field "type" missing: an event type \(intake_submitted, .*, or contact\)' "no type"
bad '{"id":"e1","type":7,"customer":"c-1","at":"2026-03-01T10:00:00Z"}' \
	'field "type" must be a string' "a type that is a number"
bad '{"id":"e1","type":"upsell_viewed","customer":"c-1","at":"2026-03-01T10:00:00Z"}' \
	'unknown type "upsell_viewed": one of intake_submitted, session_started, session_completed, summary_viewed, upsell_shown, upsell_clicked, upsell_dismissed, checkout_started, checkout_completed, waiver_accepted, or contact' \
	"an unknown type, named, with the valid ones"
bad '{"id":"e1","type":"waiver_accepted","at":"2026-03-01T10:00:00Z"}' \
	'field "customer" missing \(or "customer_id"\)' "no customer"
bad '{"id":"e1","type":"waiver_accepted","customer":null,"customer_id":null,"at":"2026-03-01T10:00:00Z"}' \
	'field "customer" missing \(or "customer_id"\)' "a null customer"
bad '{"id":"e1","type":"waiver_accepted","customer":"","at":"2026-03-01T10:00:00Z"}' \
	'field "customer" must be a non-empty string or a whole number' "an empty customer"
bad '{"id":"e1","type":"waiver_accepted","customer":{"id":1},"at":"2026-03-01T10:00:00Z"}' \
	'field "customer" must be a non-empty string or a whole number' "a customer that is an object"
bad '{"id":"e1","type":"waiver_accepted","customer_id":true,"at":"2026-03-01T10:00:00Z"}' \
	'field "customer_id" must be a non-empty string or a whole number' "the alias named when it is wrong"
bad "{\"id\":\"e1\",\"type\":\"waiver_accepted\",\"customer\":\"$(printf '%0300d' 0)\",\"at\":\"2026-03-01T10:00:00Z\"}" \
	'field "customer" is longer than 256 bytes' "a customer id of 300 bytes"
bad "{$EV}" 'field "id" missing: an event needs its id \(or "event_id"\)' "no id"
bad "{\"id\":1.5,$EV}" 'field "id" must be a non-empty string or a whole number' "an id that is a fraction"
bad '{"id":"e1","type":"waiver_accepted","customer":"c-1"}' \
	'field "at" missing: an event needs its time \(or "time"\)' "no time"
bad '{"id":"e1","type":"waiver_accepted","customer":"c-1","at":5}' \
	'field "at" must be an RFC 3339 time, like "2026-03-01T10:00:00Z"' "\"at\":5"
bad '{"id":"e1","type":"waiver_accepted","customer":"c-1","time":"yesterday"}' \
	'field "time" must be an RFC 3339 time, like "2026-03-01T10:00:00Z"' "\"time\":\"yesterday\""
bad '{"id":"e1","type":"waiver_accepted","customer":"c-1","at":"2026-02-30T10:00:00Z"}' \
	'field "at" must be an RFC 3339 time, .*' "February 30th"
bad "{\"id\":\"e1\",$EV,\"session\":[1]}" 'field "session" must be a non-empty string or a whole number' "a session that is an array"
bad "{\"id\":\"e1\",$EV,\"metadata\":[1,2]}" 'field "metadata" must be an object' "metadata that is an array"
bad "{\"id\":\"e1\",$EV,\"amount_cents\":\"12\"}" \
	'field "amount_cents" must be a whole number of cents, 0 or more' "amount_cents as a string"
bad "{\"id\":\"e1\",$EV,\"amount_cents\":12.5}" \
	'field "amount_cents" must be a whole number of cents, 0 or more' "amount_cents with a fraction"
bad "{\"id\":\"e1\",$EV,\"amount\":-1}" 'field "amount" must be a number, 0 or more' "a negative amount"
bad "{\"id\":\"e1\",$EV,\"amount\":1.234}" 'field "amount" has more decimals than its currency \(2\)' \
	"an amount in tenths of cents"
bad "{\"id\":\"e1\",$EV,\"amount\":10000000.004}" \
	'field "amount" has more decimals than its currency \(2\)' \
	"a large amount with a fraction of a cent"
bad "{\"id\":\"e1\",$EV,\"amount_cents\":9223372036854775807}" \
	'field "amount_cents" is too large \(at most 10000000000000\)' \
	"amount_cents that two of would overflow a sum"
bad "{\"id\":\"e1\",$EV,\"amount\":1e14}" 'field "amount" is too large' \
	"an amount over the cap"
bad "{\"id\":\"e1\",$EV,\"amount\":10,\"currency\":\"dollars\"}" \
	'field "currency" must be an ISO 4217 code, like "USD"' "a currency that is not a code"
bad "{\"id\":\"e1\",$EV,\"recommendation_id\":\"7\"}" \
	'field "recommendation_id" must be a recommendation.s number, as upsell-gen prints it' \
	"a recommendation_id as a string"
bad "{\"id\":\"e1\",$EV,\"recommendation\":5}" \
	'field "recommendation" must be a recommendation type, like "video_upgrade"' "a recommendation type that is a number"

# ---- contacts --------------------------------------------------------------------
bad "{$K,\"email\":\"a@b.example\",\"consent\":\"yes\"}" \
	'field "consent" must be an object, like .*' "consent \"yes\""
bad "{$K,\"email\":\"a@b.example\",\"consent\":{\"sms\":\"yes\"}}" 'consent.sms must be true or false' \
	"a consent of \"yes\""
bad "{$K,\"email\":\"a@b.example\",\"consent\":{\"email\":null}}" 'consent.email must be true or false' \
	"a null consent"
bad "{$K,\"email\":\"a@b.example\",\"consent\":{\"fax\":true}}" \
	'consent: unknown channel "fax" \(sms, email, calls\)' "an unknown channel"
bad "{$K,\"phone\":\"555-1234\"}" \
	'field "phone" must be an international number, like "\+15555551234" or "\+1 \(555\) 555-1234"' \
	"a national phone number"
bad "{$K,\"phone\":\"+0123456\"}" 'field "phone" must be an international number, .*' "a phone starting +0"
bad "{$K,\"phone\":\"+1234567890123456\"}" 'field "phone" must be an international number, .*' "a phone of 16 digits"
bad "{$K,\"phone\":\"+1 555 555 1234 ext 5\"}" 'field "phone" must be an international number, .*' \
	"a phone with letters"
bad "{$K,\"phone\":\"+1 555/555\"}" 'field "phone" must be an international number, .*' "a phone with a slash"
for ph in '+1 555 555 1234 (0)' '+(0)44 20 7946 0000' '+44 (0)20 (0)7946 0000' '+4420 (0)7946 0000'; do
	bad "{$K,\"phone\":\"$ph\"}" 'field "phone" must be an international number, .*' \
		"a trunk (0) that is not right after the country code: $ph"
done
BRACKET='field "phone" has a bracket without its pair: write "\(" and "\)" in pairs, like "\+1 \(555\) 555-1234"'
for ph in '+1 (555 555-1234' '+1 555) 555-1234' '+1 )555( 555-1234' '+1 ((555)) 555-1234' '+1 555 555-1234 (' \
	'+44 ((0)20 7946 0000'; do
	bad "{$K,\"phone\":\"$ph\"}" "$BRACKET" "a bracket without its pair: $ph"
done
bad "{$K,\"phone\":\"00 1 555 555 1234 5678 9\"}" 'field "phone" must be an international number, .*' \
	"a phone of 16 digits after 00"
bad "{$K,\"phone\":15555551234}" 'field "phone" must be a string or null' "a phone that is a number"
bad "{$K,\"email\":\"ana.example.com\"}" 'field "email" is not an email address' "an email without @"
bad "{$K,\"email\":\"ana@example\"}" 'field "email" is not an email address' "an email with no dot in its domain"
bad "{$K,\"email\":\"a@b@c.example\"}" 'field "email" is not an email address' "an email with two @"
bad "{$K,\"email\":\"ana @example.com\"}" 'field "email" is not an email address' "an email with a space"
bad "{$K,\"email\":\"a@b.example\",\"timezone\":\"Mars/Olympus_Mons\"}" \
	'field "timezone" is not an IANA time zone \(like "America/New_York"\) known to this system' "a zone that does not exist"
bad "{$K,\"email\":\"a@b.example\",\"timezone\":\"../../etc/passwd\"}" \
	'field "timezone" is not an IANA time zone .*' "a zone that climbs out: ../../etc/passwd"
bad "{$K,\"email\":\"a@b.example\",\"timezone\":\"/etc/localtime\"}" \
	'field "timezone" is not an IANA time zone .*' "an absolute path"
bad "{$K,\"email\":\"a@b.example\",\"timezone\":\"zone.tab\"}" \
	'field "timezone" is not an IANA time zone .*' "a file of the zone directory that is not a zone"
bad "{$K,\"email\":\"a@b.example\",\"timezone\":\"America\"}" \
	'field "timezone" is not an IANA time zone .*' "a directory of zones"
for z in Factory posixrules right/UTC; do
	bad "{$K,\"email\":\"a@b.example\",\"timezone\":\"$z\"}" \
		'field "timezone" is not an IANA time zone .*' "a file of the zone directory that names no place: $z"
done
bad "{$K,\"email\":\"a@b.example\",\"blocked\":\"no\"}" 'field "blocked" must be true or false' "blocked \"no\""
bad "{$K,\"email\":\"a@b.example\",\"consented_at\":\"last week\"}" \
	'field "consented_at" must be an RFC 3339 time, .*' "a consented_at that is no time"
bad "{$K,\"email\":\"a@b.example\",\"name\":5}" 'field "name" must be a string or null' "a name that is a number"
bad "{$K}" 'a new contact needs "email" or "phone" \(k-1\)' "a new contact with neither email nor phone"
bad '{"type":"contact","email":"a@b.example"}' 'field "customer" missing \(or "customer_id"\)' \
	"a contact without a customer"

is "$n" 71 "the matrix has the lines it should"
is "$(sq 'select count(*) from interactions') $(sq 'select count(*) from contacts') $(sq 'select count(*) from consent_changes')" \
	"0 0 0" "after the matrix, the store holds nothing"

# ---- all together, with good lines between -----------------------------------------
{
	printf '%s\n' "{\"id\":\"g1\",$EV}"
	sed -n 1,20p "$T/allbad.jsonl"
	printf '%s\n' '{"type":"contact","customer":"k-9","email":"k9@example.com","consent":{"sms":true}}'
	sed -n '21,$p' "$T/allbad.jsonl"
	printf '%s\n' "{\"id\":\"g2\",$EV}"
} > "$T/mixed.jsonl"
run crm-track --db "$DB" --now "$NOW" --rejects "$T/rejects.jsonl" "$T/mixed.jsonl"
is "$rc" 3 "mixed: exit 3"
is "$(lines "$T/out")" 3 "... the three good lines are echoed"
is "$(grep -c '^crm-track: error (at ' "$T/err")" "$n" "... every bad line is reported once"
is "$(($(lines "$T/out") + $(grep -c '^crm-track: error' "$T/err")))" "$(lines "$T/mixed.jsonl")" \
	"... every line is in the output or reported"
cmp -s "$T/rejects.jsonl" "$T/allbad.jsonl"
ok $? "--rejects: the bad lines, verbatim, in order"
is "$(grep -o 'mixed\.jsonl:[0-9]*' "$T/err" | cut -d: -f2 | tr '\n' ' ')" "$(seq 2 21 | tr '\n' ' ')$(seq 23 $((n + 2)) | tr '\n' ' ')" \
	"... each reported with its own line number"
is "$(sq 'select group_concat(event_id) from interactions') $(sq 'select count(*) from contacts')" "g1,g2 1" \
	"the store holds the good lines only"

rm -f "$DB" "$DB-wal" "$DB-shm"
run crm-track --db "$DB" --now "$NOW" --strict "$T/mixed.jsonl"
is "$rc/$(lines "$T/out")" "3/1" "--strict: exit 3 at the first bad line, the good line before it echoed"
is "$(grep -c '^crm-track: error' "$T/err")" 1 "... one error"
is "$(sq 'select group_concat(event_id) from interactions') $(sq 'select count(*) from contacts')" "g1 0" \
	"... and stored, nothing after it"

# ---- huge lines, UTF-8 -----------------------------------------------------------
big=$(head -c 2097152 /dev/zero | tr '\0' 'x')
printf '{"id":"big","type":"intake_submitted","customer":"c-1","at":"2026-03-01T10:00:00Z","metadata":{"notes":"%s"}}\n' "$big" > "$T/big.jsonl"
printf '{"id":"big2","type":"intake_submitted","customer":"c-1","at":"2026-03-01T10:00:00Z","metadata":{"notes":"%s"\n' "$big" >> "$T/big.jsonl"
printf '%s\n' "{\"id\":\"after\",$EV}" >> "$T/big.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/big.jsonl"
is "$rc/$(lines "$T/out")" "3/2" "a 2 MB line is kept; a broken one of 2 MB is rejected; the run goes on"
is "$(sq "select length(metadata) from interactions where event_id = 'big'")" "$((2097152 + 12))" \
	"... the 2 MB metadata kept whole"
like "$(cat "$T/err")" '^crm-track: error \(at .*big\.jsonl:2\): invalid JSON at byte [0-9]+: ' "... the broken one reported"

printf '{"id":"u1","type":"waiver_accepted","customer":"c-\377","at":"2026-03-01T10:00:00Z"}\n' > "$T/utf.jsonl"
printf '{"id":"u2","type":"waiver_accepted","customer":"c-\303\251","at":"2026-03-01T10:00:00Z"}\n' >> "$T/utf.jsonl"
printf '{"id":"u3","type":"waiver_accepted","customer":"c-1","at":"2026-03-01T10:00:00Z","metadata":{"n":"\355\240\200"}}\n' >> "$T/utf.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/utf.jsonl"
is "$rc/$(lines "$T/out")" "3/1" "invalid UTF-8 is rejected, valid UTF-8 kept"
like "$(sed -n 1p "$T/err")" 'utf\.jsonl:1\): invalid JSON at byte [0-9]+: .*UTF' "... a stray byte"
like "$(sed -n 2p "$T/err")" 'utf\.jsonl:3\): invalid JSON at byte [0-9]+: .*UTF' "... an encoded surrogate"
is "$(sq "select customer_id from interactions where event_id = 'u2'")" "c-é" "... c-é stored as it came"

printf '\n   \n' > "$T/blank.jsonl"
run crm-track --db "$DB" "$T/blank.jsonl"
is "$rc/$(grep -c 'empty line' "$T/err")" "3/2" "blank lines are rejected, not dropped"
printf '%s\r\n' "{\"id\":\"crlf\",$EV}" > "$T/crlf.jsonl"
printf '%s' "{\"id\":\"nonl\",$EV}" >> "$T/crlf.jsonl"
run crm-track --db "$DB" "$T/crlf.jsonl"
is "$rc/$(lines "$T/out")/$(sq "select count(*) from interactions where event_id in ('crlf', 'nonl')")" "0/2/2" \
	"CRLF line ends, and a last line without a newline"

done_testing
