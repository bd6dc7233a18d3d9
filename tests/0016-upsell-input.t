#!/bin/sh
# upsell-gen --usage: bad input. Every rejected line is named on stderr as
# "upsell-gen: error (at NAME:LINE): reason", stores nothing, is kept
# verbatim in --rejects; the lines around it are still handled; the run
# exits 3. --strict stops at the first. Bad options exit 2.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"

unset ESC_SMTP_URL ESC_SLACK_WEBHOOK ESC_AI_URL ESC_AI_KEY ESC_DB
NOW=2026-03-01T10:00:00Z
C='"contract":{"current_plan":"growth","contact":{"email":"ops@acme.example"}}'
# A hybrid opportunity (drafted, nothing sent) and an alert under the trigger.
GOOD1='{"id":"g1","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high",'"$C"'}'
GOOD2='{"id":"g2","account_id":"a1","metric":"trade_volume","value":10,"severity":"high"}'

# bad DESC REASON-ERE LINE: LINE between the two good lines, in a fresh store.
bad() {
	printf '%s\n%s\n%s\n' "$GOOD1" "$3" "$GOOD2" > "$T/case.jsonl"
	rm -f "$T/case.db" "$T/case.db-wal" "$T/case.db-shm"
	run upsell-gen --usage --db "$T/case.db" --now "$NOW" "$T/case.jsonl"
	is "$rc/$(lines "$T/err")" "3/1" "$1: exit 3, one diagnostic"
	like "$(cat "$T/err")" "^upsell-gen: error \\(at $T/case\\.jsonl:2\\): $2\$" "$1: \"$2\""
	is "$(jq -c '[.id, .opportunity.state // .why_not.rule]' "$T/out" 2>&1 | tr -d '\n')/$(sqlite3 "$T/case.db" \
		'select group_concat(alert_id) || ":" || (select count(*) from opportunity_events) from opportunities')" \
		'["g1","drafted"]["g2","threshold"]/g1:1' "$1: the lines around it handled, nothing of it stored"
}

JSONERR='invalid JSON at byte [0-9]+: '
# ---- not JSON, not an object -------------------------------------------------------------
bad "broken JSON" "${JSONERR}.*" '{"id":"b","account_id":'
bad "trailing comma" "${JSONERR}.*" '{"id":"b",}'
bad "not JSON" "${JSONERR}.*" 'hello'
bad "trailing garbage" "${JSONERR}.*" '{"id":"b"} x'
bad "a duplicate key" "${JSONERR}duplicate object key.*" '{"id":"b","id":"c"}'
bad "an array" "not a JSON object" '[1,2]'
bad "invalid UTF-8" "${JSONERR}.*" "$(printf '{"id":"b\377","account_id":"a"}')"
# valid JSON with a number upsell-gen cannot hold: said as that, not as bad JSON
bad "an integer past 64 bits" 'number at byte [0-9]+ is too large for upsell-gen \(a whole number must fit in 64 bits\)' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":99999999999999999999,"severity":"high"}'
bad "a negative integer past 64 bits" 'number at byte [0-9]+ is too large for upsell-gen \(a whole number must fit in 64 bits\)' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":-99999999999999999999,"severity":"high"}'
bad "a real past a double" 'number at byte [0-9]+ is too large for upsell-gen \(past the largest a double holds\)' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":1e400,"severity":"high"}'
bad "a NUL escape in an id" "${JSONERR}a \\\\u0000 in a string is not allowed" '{"id":"b\u0000c","account_id":"a","metric":"m","value":1,"severity":"high"}'

# ---- alerts ---------------------------------------------------------------------------
bad "no id" 'field "id" missing' '{"account_id":"a1","metric":"trade_volume","value":2000,"severity":"high"}'
bad "id an object" 'field "id" must be a non-empty string \(at most 255 bytes\) or a whole number' \
	'{"id":{},"account_id":"a1","metric":"trade_volume","value":2000,"severity":"high"}'
bad "id empty" 'field "id" must be .*' '{"id":"","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high"}'
bad "no account_id" 'field "account_id" missing' '{"id":"b","metric":"trade_volume","value":2000,"severity":"high"}'
bad "no metric" 'field "metric" missing' '{"id":"b","account_id":"a1","value":2000,"severity":"high"}'
bad "metric a number" 'field "metric" must be a non-empty string' '{"id":"b","account_id":"a1","metric":3,"value":2000,"severity":"high"}'
bad "no value" 'field "value" missing' '{"id":"b","account_id":"a1","metric":"trade_volume","severity":"high"}'
bad "value a string" 'field "value" must be a number' '{"id":"b","account_id":"a1","metric":"trade_volume","value":"2000","severity":"high"}'
# a usage value past 1e15 cannot be written in a mail as a number
bad "value past 1e15" 'field "value" is out of range \(-1e15 to 1e15\)' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":1e301,"severity":"high"}'
bad "value past -1e15" 'field "value" is out of range \(-1e15 to 1e15\)' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":-2e15,"severity":"high"}'
bad "no severity" 'field "severity" missing' '{"id":"b","account_id":"a1","metric":"trade_volume","value":2000}'
bad "severity unknown" 'field "severity" must be low, medium, high or critical' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":2000,"severity":"urgent"}'
bad "at not a time" 'field "at" must be an RFC 3339 time, like "2026-03-01T10:15:00Z"' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high","at":"yesterday"}'
bad "trend a number" 'field "trend" must be a non-empty string' \
	'{"id":"b","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high","trend":1}'
bad "type a number" 'field "type" must be a string' '{"type":1,"id":"b"}'
A='"id":"b","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high"'
bad "no contract" 'no contract for account "a1": give the alert a "contract" object, or --contracts FILE' "{$A}"
bad "contract a string" 'field "contract" must be an object' "{$A,\"contract\":\"gold\"}"
bad "no current_plan" 'field "contract\.current_plan" missing' "{$A,\"contract\":{\"contact\":{\"email\":\"a@b.example\"}}}"
bad "current_plan off the ladder" 'field "contract\.current_plan" must be a plan on the ladder \(starter, growth, scale, enterprise\)' \
	"{$A,\"contract\":{\"current_plan\":\"gold\",\"contact\":{\"email\":\"a@b.example\"}}}"
bad "current_spend negative" 'field "contract\.current_spend" must be a number >= 0' \
	"{$A,\"contract\":{\"current_plan\":\"growth\",\"current_spend\":-1,\"contact\":{\"email\":\"a@b.example\"}}}"
bad "current_spend past 1e15" 'field "contract\.current_spend" is out of range \(0 to 1e15\)' \
	"{$A,\"contract\":{\"current_plan\":\"growth\",\"current_spend\":1e301,\"contact\":{\"email\":\"a@b.example\"}}}"
bad "renewal_date not a time" 'field "contract\.renewal_date" must be an RFC 3339 time.*' \
	"{$A,\"contract\":{\"current_plan\":\"growth\",\"renewal_date\":\"soon\",\"contact\":{\"email\":\"a@b.example\"}}}"
bad "no contact" 'field "contract\.contact" missing: the email goes to its "email"' \
	"{$A,\"contract\":{\"current_plan\":\"growth\"}}"
bad "no contact email" 'field "contract\.contact\.email" missing' \
	"{$A,\"contract\":{\"current_plan\":\"growth\",\"contact\":{\"name\":\"Dana\"}}}"
bad "contact email bad" 'field "contract\.contact\.email" is not an email address' \
	"{$A,\"contract\":{\"current_plan\":\"growth\",\"contact\":{\"email\":\"dana at acme\"}}}"

# at the bound, every number in the mail is a number
printf '%s\n' '{"id":"m1","account_id":"a1","metric":"trade_volume","value":1e15,"severity":"high","contract":{"current_plan":"growth","current_spend":1e15,"contact":{"email":"a@b.example"}}}' > "$T/max.jsonl"
run upsell-gen --usage --db "$T/max.db" --now "$NOW" "$T/max.jsonl"
is "$rc/$(jq -r '.opportunity.email.body' "$T/out" | grep -c null)" "0/0" "a value and a spend of 1e15: no \"null\" in the mail"
like "$(jq -r '.opportunity.email.body' "$T/out")" "reached 1000000000000000, " "... the value written out"

# an account that already spends the next plan's price or more: the mail
# does not say the plan "costs 0 USD a month more"; it brings no new revenue
printf '%s\n' '{"id":"o1","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high","contract":{"current_plan":"growth","current_spend":2000,"contact":{"email":"a@b.example"}}}' \
	'{"id":"o2","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high","contract":{"current_plan":"growth","current_spend":1499,"contact":{"email":"a@b.example"}}}' \
	'{"id":"o3","account_id":"a1","metric":"trade_volume","value":2000,"severity":"high","contract":{"current_plan":"growth","current_spend":450,"contact":{"email":"a@b.example"}}}' > "$T/over.jsonl"
run upsell-gen --usage --db "$T/over.db" --now "$NOW" "$T/over.jsonl"
is "$rc/$(jq -r '.opportunity.email.body' "$T/out" | grep -c 'costs 0 ')" "0/0" "spend at or over the next plan's price: no \"costs 0 ... more\""
is "$(sed -n 1p "$T/out" | jq -r '.opportunity.plan | "\(.plan) \(.estimated_value) \(.roi)"')" \
	"scale 0 The scale plan is 1499 USD a month, no more than the 2000 USD a month spent today, so the capacity and support it adds at 2 times the alert level come at no extra cost." \
	"... the plan's roi says it costs no more than today, and it is worth 0 a year"
like "$(sed -n 1p "$T/out" | jq -r '.opportunity.email.body')" "no more than the 2000 USD a month spent today" "... and so does the mail"
like "$(sed -n 2p "$T/out" | jq -r '.opportunity.plan.roi')" "^The scale plan is 1499 USD a month, no more than the 1499 USD" "... a spend equal to the price too"
like "$(sed -n 3p "$T/out" | jq -r '.opportunity.plan | "\(.estimated_value) \(.roi)"')" "^12588 The scale plan costs 1049 USD a month more than today" \
	"a spend under the price: what it costs more, and the new revenue"

# ---- events ---------------------------------------------------------------------------
bad "type unknown" 'field "type" must be approval, reply, meeting_join, release or close \(no "type": a usage alert\)' \
	'{"type":"ping","id":"e"}'
bad "event without id" 'field "id" missing' '{"type":"approval","opportunity":"g1"}'
bad "event without opportunity" 'field "opportunity" missing: the alert.s id or the opportunity.s number' \
	'{"type":"approval","id":"e"}'
bad "opportunity an array" 'field "opportunity" must be .*' '{"type":"approval","id":"e","opportunity":[1]}'
bad "no such alert" 'no opportunity for alert "nope"' '{"type":"approval","id":"e","opportunity":"nope"}'
bad "no such number" 'no opportunity 99' '{"type":"approval","id":"e","opportunity":99}'
bad "send not a boolean" 'field "send" must be true or false' '{"type":"approval","id":"e","opportunity":"g1","send":"yes"}'
bad "reply unknown" 'field "reply" must be yes, no or maybe' '{"type":"reply","id":"e","opportunity":"g1","reply":"sure"}'
bad "reply to a draft" 'opportunity 1 is drafted: a reply is taken only while it waits for one' \
	'{"type":"reply","id":"e","opportunity":"g1","reply":"yes"}'
bad "release with nothing claimed" 'opportunity 1 has no send in flight: nothing to release' \
	'{"type":"release","id":"e","opportunity":"g1","sent":true}'
bad "release without sent" 'field "sent" missing: .*' '{"type":"release","id":"e","opportunity":"g1"}'
bad "close reason unknown" 'field "reason" must be closed, won, lost, .*' '{"type":"close","id":"e","opportunity":"g1","reason":"meh"}'
bad "meeting_join without token" 'field "token" missing' '{"type":"meeting_join"}'
bad "meeting_join forged" 'meeting token refused: unknown or forged' \
	'{"type":"meeting_join","token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'

# ---- a huge line, blank lines, empty input ----------------------------------------------
head -c 2097152 /dev/zero | tr '\0' x > "$T/big"
printf '{"id":"big","account_id":"a1","metric":"trade_volume","value":5,"severity":"high","note":"%s"}\n' "$(cat "$T/big")" > "$T/huge.jsonl"
run upsell-gen --usage --db "$T/h.db" --now "$NOW" "$T/huge.jsonl"
is "$rc/$(jq -r '.why_not.rule' "$T/out")/$(jq -r '.note | length' "$T/out")" "0/threshold/2097152" \
	"a 2 MB line is read whole and echoed whole"
printf '%s\n   \n%s\n' "$GOOD1" "$GOOD2" > "$T/blank.jsonl"
run upsell-gen --usage --db "$T/b.db" --now "$NOW" "$T/blank.jsonl"
is "$rc/$(lines "$T/out")" "3/2" "a blank line is rejected, not dropped"
like "$(cat "$T/err")" 'error \(at .*blank\.jsonl:2\): empty line' "and named"
run upsell-gen --usage --db "$T/e.db" --now "$NOW" /dev/null
is "$rc/$(lines "$T/out")/$(lines "$T/err")" "0/0/0" "empty input: nothing, exit 0"

# ---- --rejects, --strict -----------------------------------------------------------------
printf '%s\nnot json\n%s\n{"id":"x"}\n' "$GOOD1" "$GOOD2" > "$T/mix.jsonl"
run upsell-gen --usage --db "$T/r.db" --now "$NOW" --rejects "$T/rej" "$T/mix.jsonl"
is "$rc/$(lines "$T/out")" "3/2" "--rejects: the good lines out, exit 3"
printf 'not json\n{"id":"x"}\n' > "$T/want"
diff_ok "$T/rej" "$T/want" "--rejects keeps the bad lines verbatim"
rm -f "$T/s.db"*
run upsell-gen --usage --db "$T/s.db" --now "$NOW" --strict "$T/mix.jsonl"
is "$rc/$(lines "$T/out")/$(lines "$T/err")" "3/1/1" "--strict stops at the first bad line"

# ---- the same event id twice: once ---------------------------------------------------------
printf '%s\n%s\n%s\n' "$GOOD1" '{"type":"close","id":"c1","opportunity":"g1","reason":"lost"}' \
	'{"type":"close","id":"c1","opportunity":"g1","reason":"lost"}' > "$T/twice.jsonl"
run upsell-gen --usage --db "$T/t.db" --now "$NOW" "$T/twice.jsonl"
is "$rc/$(jq -c '.applied.new' "$T/out" | tr -d '\n')" "0/nulltruefalse" "an event id seen before changes nothing"

# ---- every byte of a line that is not ours comes back as it came --------------------------
# numbers as written, escapes kept, spaces kept; members of ours that came in
# are dropped, and ours go last
KEEP='{ "id":"k1", "account_id":"a1","metric":"trade_volume","value":2000.50,"severity":"high","note":"caf\u00e9 \/ 1e2","opportunity":{"old":true},'"$C"',"why_not":"old"}'
printf '%s\n%s\n%s\n' "$KEEP" '{"id":"k2","account_id":"a1","metric":"trade_volume","value":1.0E1,"severity":"high","why_not":[1]}' \
	'{"type":"close","id":"c9","opportunity":"k1","reason":"lost","n":1.50,"applied":0}' > "$T/keep.jsonl"
run upsell-gen --usage --db "$T/keep.db" --now "$NOW" "$T/keep.jsonl"
is "$rc/$(lines "$T/out")" "0/3" "lines with members of ours: exit 0, three lines"
is "$(sed -n 1p "$T/out" | sed 's/,"opportunity":{"id".*//')" \
	'{ "id":"k1", "account_id":"a1","metric":"trade_volume","value":2000.50,"severity":"high","note":"caf\u00e9 \/ 1e2",'"$C" \
	"an alert comes back byte for byte, less the opportunity and why_not it brought"
is "$(sed -n 1p "$T/out" | jq -c '[.opportunity.alert_id, .opportunity.state, has("why_not")]')" '["k1","drafted",false]' \
	"... with its own opportunity last"
is "$(sed -n 2p "$T/out" | sed 's/,"opportunity":.*//')" '{"id":"k2","account_id":"a1","metric":"trade_volume","value":1.0E1,"severity":"high"' \
	"an alert under the trigger: its number as written"
is "$(sed -n 2p "$T/out" | jq -c '[.opportunity, .why_not.rule]')" '[null,"threshold"]' "... then opportunity null and why_not"
is "$(sed -n 3p "$T/out" | sed 's/,"applied":{.*//')" '{"type":"close","id":"c9","opportunity":"k1","reason":"lost","n":1.50' \
	"an event keeps its opportunity and its number, less the applied it brought"

# ---- --contracts --------------------------------------------------------------------------
printf '%s\n' '{"account_id":"a2","current_plan":"starter","contact":{"email":"f@file.example","name":"File"}}' > "$T/contracts.jsonl"
printf '%s\n%s\n' '{"id":"k1","account_id":"a2","metric":"trade_volume","value":2000,"severity":"high"}' \
	'{"id":"k2","account_id":"a2","metric":"trade_volume","value":2000,"severity":"high","contract":{"current_plan":"scale"}}' > "$T/k.jsonl"
run upsell-gen --usage --db "$T/k.db" --now "$NOW" --contracts "$T/contracts.jsonl" "$T/k.jsonl"
is "$rc/$(jq -r '.opportunity | [.current_plan, .email.to] | join(" ")' "$T/out" | tr '\n' '|')" \
	"0/starter f@file.example|scale f@file.example|" "the contracts file, with the record's own members over it"
printf '{"account_id":"a2"}\nnope\n' > "$T/badc.jsonl"
run upsell-gen --usage --db "$T/k.db" --contracts "$T/badc.jsonl" /dev/null
is "$rc" 3 "a bad contracts file: exit 3"
is "$(cat "$T/err")" "upsell-gen: error (at $T/badc.jsonl:2): invalid JSON at byte 4: '[' or '{' expected near 'nope'" \
	"naming its line in the house form, \"error (at NAME:LINE)\""
printf '{"account_id":"a2"}\n{"current_plan":"starter"}\n' > "$T/badc2.jsonl"
run upsell-gen --usage --db "$T/k.db" --contracts "$T/badc2.jsonl" /dev/null
is "$rc/$(cat "$T/err")" "3/upsell-gen: error (at $T/badc2.jsonl:2): field \"account_id\" missing" \
	"a contract without its account_id: the same form"
printf '[1]\n' > "$T/badc3.jsonl"
run upsell-gen --usage --db "$T/k.db" --contracts "$T/badc3.jsonl" /dev/null
is "$rc/$(cat "$T/err")" "3/upsell-gen: error (at $T/badc3.jsonl:1): not a JSON object" "a line that is not an object: the same form"
run upsell-gen --usage --db "$T/k.db" --contracts "$T/missing.jsonl" /dev/null
is "$rc" 5 "a missing contracts file: exit 5"

# ---- options ------------------------------------------------------------------------------
for args in "--usage --threshold abc" "--usage --threshold -1" "--usage --threshold 0" "--usage --threshold 1e16" "--usage --due" "--due x.jsonl" \
    "--threshold 5" "--dry-run" "--bogus" "--due --rules r.json" "--usage --now yesterday"; do
	# shellcheck disable=SC2086
	run upsell-gen $args
	is "$rc" 2 "upsell-gen $args: exit 2"
done
run upsell-gen --help
is "$rc/$(head -1 "$T/out" | cut -c1-17)" "0/usage: upsell-gen" "--help"
run upsell-gen --version
like "$rc/$(cat "$T/out")" '^0/upsell-gen [0-9]' "--version"
ESC_NET_TIMEOUT=forever run upsell-gen --usage --db "$T/o.db" /dev/null
is "$rc" 2 "a bad ESC_NET_TIMEOUT: exit 2"
mkdir -p "$T/share"
cp -R "$ESC_SHARE"/. "$T/share"
echo '{"trigger":{}}' > "$T/share/upsell/usage.json"
run upsell-gen --usage --share "$T/share" --db "$T/o.db" /dev/null
is "$rc" 4 "a bad usage.json: exit 4"
like "$(cat "$T/err")" 'usage\.json: "trigger" needs' "naming the file and the problem"
# the mail says how many times over the threshold a value is: 0 has no such number
jq '.trigger.threshold = 0' "$ESC_SHARE/upsell/usage.json" > "$T/share/upsell/usage.json"
run upsell-gen --usage --share "$T/share" --db "$T/o.db" /dev/null
is "$rc/$(cat "$T/err")" "4/upsell-gen: error: data file $T/share/upsell/usage.json: \"trigger.threshold\" must be a number above 0, at most 1e15" \
	"a threshold of 0 in usage.json: refused, exit 4"

done_testing
