#!/bin/sh
# esc-offer: bad input. No line is lost silently: every rejected line is
# named on stderr as "esc-offer: error (at NAME:LINE): reason", the lines
# around it still get their offer, and the run exits 3. Bad data files stop
# the run before any input is read (exit 4); output that cannot be written
# is exit 5.
. "$(dirname "$0")/lib.sh"

plan 267

# Scored lines, as esc-detect writes them (trimmed to what esc-offer reads).
GOOD1='{"id":"before","text":"How do I pluck a hairline?","detect":{"route":"none","scores":{"personal":0,"strategic":0,"advanced":0},"alerts":[]}}'
GOOD2='{"id":"after","text":"How should I set my prices for my business?","detect":{"route":"paid","scores":{"personal":3,"strategic":0,"advanced":0},"alerts":[]}}'
GOOD_OUT1='{"id":"before","text":"How do I pluck a hairline?","detect":{"route":"none","scores":{"personal":0,"strategic":0,"advanced":0},"alerts":[]},"offer":null}'

# bad DESC REASON-ERE LINE: LINE between two good lines is rejected with
# exactly one diagnostic, and the good lines still come out.
bad() {
	printf '%s\n%s\n%s\n' "$GOOD1" "$3" "$GOOD2" > "$T/case.jsonl"
	run esc-offer "$T/case.jsonl"
	is "$rc" 3 "$1: exit 3"
	like "$(cat "$T/err")" "^esc-offer: error \\(at $T/case\\.jsonl:2\\): $2\$" \
		"$1: one diagnostic, at case.jsonl:2, \"$2\""
	is "$(jq -r '.id + ":" + (.offer.template // "null")' "$T/out" 2>&1 | tr '\n' ' ')" \
		"before:null after:mentorship.numbers " "$1: the lines around it get their offer"
}

JSONERR='invalid JSON at byte [0-9]+: '
NODETECT='no "detect" object: run esc-detect first'
NOTOBJ='field "detect" must be an object: run esc-detect first'
NOROUTE='field "detect\.route" missing'
BADROUTE='field "detect\.route" must be "paid", "human" or "none"'
NOTEXT='no text: none of the fields "text", "question", "message", "content", "body" is present'

# ---- not JSON, not an object ---------------------------------------------------
bad "broken JSON (cut short)" "${JSONERR}premature EOF" '{"id":"bad","text":'
bad "broken JSON (a trailing comma)" "${JSONERR}invalid object key \\(must be a string\\)" \
	'{"id":"bad","text":"x","detect":{"route":"none"},}'
bad "broken JSON (no colon)" "${JSONERR}object key and value must be separated by a colon \\(':'\\)" \
	'{"id":"bad","detect" {"route":"none"}}'
bad "broken JSON (single quotes)" "${JSONERR}invalid char in json text" "{'id':'bad'}"
bad "not JSON at all" "${JSONERR}invalid char in json text" 'xyz'
bad "trailing garbage" "${JSONERR}trailing garbage" '{"id":"bad","detect":{"route":"none"}} x'
bad "two objects on one line" "${JSONERR}trailing garbage" \
	'{"id":"bad","detect":{"route":"none"}}{"id":"bad2","detect":{"route":"none"}}'
bad "a top-level array" "not a JSON object" '[{"id":"bad","detect":{"route":"none"}}]'
bad "a top-level string" "not a JSON object" '"hello"'
bad "a top-level null" "not a JSON object" 'null'

# ---- not esc-detect output ---------------------------------------------------------
bad "a chat message not yet scored" "$NODETECT" '{"id":"bad","text":"How do I pluck a hairline?"}'
bad "an empty object" "$NODETECT" '{}'
bad "detect only nested" "$NODETECT" '{"id":"bad","meta":{"detect":{"route":"none"}}}'
bad "detect is a string" "$NOTOBJ" '{"id":"bad","detect":"paid"}'
bad "detect is a number" "$NOTOBJ" '{"id":"bad","detect":1}'
bad "detect is an array" "$NOTOBJ" '{"id":"bad","detect":[{"route":"none"}]}'
bad "detect is null" "$NOTOBJ" '{"id":"bad","detect":null}'
bad "detect is true" "$NOTOBJ" '{"id":"bad","detect":true}'
bad "detect is empty" "$NOROUTE" '{"id":"bad","detect":{}}'
bad "detect without a route" "$NOROUTE" \
	'{"id":"bad","text":"hi","detect":{"escalate":false,"scores":{"personal":0},"alerts":[]}}'
bad "route only deeper down" "$NOROUTE" '{"id":"bad","detect":{"x":{"route":"none"}}}'
bad "route \"maybe\"" "$BADROUTE" '{"id":"bad","detect":{"route":"maybe"}}'
bad "route \"PAID\" (case matters)" "$BADROUTE" '{"id":"bad","text":"hi","detect":{"route":"PAID"}}'
bad "route \"\"" "$BADROUTE" '{"id":"bad","detect":{"route":""}}'
bad "route a number" "$BADROUTE" '{"id":"bad","detect":{"route":1}}'
bad "route null" "$BADROUTE" '{"id":"bad","detect":{"route":null}}'
bad "route an array" "$BADROUTE" '{"id":"bad","detect":{"route":["paid"]}}'
bad "route an object" "$BADROUTE" '{"id":"bad","detect":{"route":{"paid":true}}}'
BADALERTS='field "detect\.alerts" must be an array of alert names'
bad "alerts a string" "$BADALERTS" '{"id":"bad","detect":{"route":"human","alerts":"legal"}}'
bad "alerts null" "$BADALERTS" '{"id":"bad","detect":{"route":"none","alerts":null}}'
bad "alerts an object" "$BADALERTS" '{"id":"bad","detect":{"route":"human","alerts":{"legal":true}}}'
# a name that is not a string would be passed over, and another playbook
# chosen in silence (esc-log refuses such a line too)
bad "alerts holding a number" "$BADALERTS" '{"id":"bad","detect":{"route":"human","alerts":[1,"cancel"]}}'
bad "alerts holding null" "$BADALERTS" '{"id":"bad","detect":{"route":"human","alerts":[null,"cancel"]}}'
bad "alerts holding an array" "$BADALERTS" '{"id":"bad","detect":{"route":"human","alerts":[["legal"]]}}'
# compared as C strings, "legal\u0000x" was the alert legal
bad "an alert name holding a NUL" "$BADALERTS" '{"id":"bad","detect":{"route":"human","alerts":["legal\u0000x"]}}'
# scores of the wrong type would count as zeros, and choose another offer
bad "scores a string" 'field "detect\.scores" must be an object' \
	'{"id":"bad","text":"my pricing","detect":{"route":"paid","scores":"personal"}}'
bad "scores an array" 'field "detect\.scores" must be an object' \
	'{"id":"bad","text":"my pricing","detect":{"route":"paid","scores":[1,0,0]}}'
bad "a score a string" 'field "detect\.scores\.personal" must be a number' \
	'{"id":"bad","text":"my pricing","detect":{"route":"paid","scores":{"personal":"1"}}}'
bad "a score true" 'field "detect\.scores\.strategic" must be a number' \
	'{"id":"bad","text":"my pricing","detect":{"route":"paid","scores":{"strategic":true}}}'
bad "kb_miss a string" 'field "kb_miss" must be true or false' \
	'{"id":"bad","text":"my pricing","kb_miss":"yes","detect":{"route":"paid","scores":{"personal":1}}}'

# ---- a paid line needs its question ------------------------------------------------
bad "paid, no text field" "$NOTEXT" '{"id":"bad","detect":{"route":"paid","scores":{"personal":1}}}'
bad "paid, text null" "$NOTEXT" '{"id":"bad","text":null,"detect":{"route":"paid"}}'
# A wrong-typed text is rejected; esc-detect words it 'field "text" must be a string'.
for v in 42 '{"body":"my pricing"}' '["my pricing"]' true; do
	printf '%s\n{"id":"bad","text":%s,"detect":{"route":"paid"}}\n%s\n' "$GOOD1" "$v" "$GOOD2" > "$T/case.jsonl"
	run esc-offer "$T/case.jsonl"
	is "$rc/$(lines "$T/err")" "3/1" "paid, text is $v: exit 3, one diagnostic"
	is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before after " "paid, text is $v: the lines around it get their offer"
	like "$(cat "$T/err")" "^esc-offer: error \\(at $T/case\\.jsonl:2\\): field \"text\" must be a string\$" \
		"paid, text is $v: 'field \"text\" must be a string', as esc-detect says"
done

# Lines that are fine: no text off the paid route; the other text fields.
{
	printf '%s\n' '{"id":"none-notext","detect":{"route":"none"}}'
	printf '%s\n' '{"id":"human-notext","detect":{"route":"human","alerts":["cancel"]}}'
	printf '%s\n' '{"id":"none-text42","text":42,"detect":{"route":"none"}}'
	printf '%s\n' '{"id":"question","question":"How should I set my prices for my business?","detect":{"route":"paid","scores":{"personal":3}}}'
	printf '%s\n' '{"id":"body","body":"How should I set my prices for my business?","detect":{"route":"paid","scores":{"personal":3}}}'
	printf '%s\n' '{"id":"no-scores","text":"Can you break down the framework?","detect":{"route":"paid"}}'
	printf '%s\n' '{"id":"empty-text","text":"","detect":{"route":"paid"}}'
	printf '%s\n' '{"id":{"odd":1},"text":"hi","detect":{"route":"paid"}}'
	printf '%s\n' '{"id":"scores-odd","text":"Can you break down the framework?","kb_miss":null,"detect":{"route":"paid","scores":{"personal":null,"other":"x"}}}'
	# every alert counts, the 41st too; and of two detect members the last, as in jq
	printf '{"id":"alerts-many","detect":{"route":"human","alerts":[%s"legal"]}}\n' \
		"$(seq 40 | sed 's/.*/"x&",/' | tr -d '\n')"
	printf '%s\n' '{"id":"detect-twice","detect":{"route":"human","alerts":["legal"]},"detect":{"route":"human","alerts":["cancel"]}}'
} > "$T/fine.jsonl"
run esc-offer "$T/fine.jsonl"
is "$rc/$(lines "$T/out")/$(wc -c < "$T/err" | tr -d ' ')" "0/11/0" "lines esc-offer can read: exit 0, all out, no diagnostic"
is "$(jq -c '[.offer.playbook // .offer.template // "null"]' "$T/out" | tr -d '\n')" \
	'["null"]["cancel_threat"]["null"]["mentorship.numbers"]["mentorship.numbers"]["masterclass.framework"]["tutorial.general"]["tutorial.general"]["masterclass.framework"]["executive"]["cancel_threat"]' \
	"... each with its offer (no text needed off the paid route; question, body; no scores; null scores; the last of many alerts; the last detect)"

# --field NAME: only that member is the question.
printf '%s\n' '{"id":"f1","text":"How do I pluck a hairline?","note":"How should I set my prices for my business?","detect":{"route":"paid","scores":{"personal":3}}}' \
	'{"id":"f2","text":"How should I set my prices for my business?","detect":{"route":"paid","scores":{"personal":3}}}' \
	'{"id":"f3","text":"hi","detect":{"route":"none"}}' > "$T/field.jsonl"
run esc-offer --field note "$T/field.jsonl"
is "$rc" 3 "--field note: a paid line without note is rejected, exit 3"
is "$(cat "$T/err")" "esc-offer: error (at $T/field.jsonl:2): field \"note\" missing" \
	"... saying 'field \"note\" missing'"
is "$(jq -c '[.id, .offer.template]' "$T/out" | tr -d '\n')" '["f1","mentorship.numbers"]["f3",null]' \
	"... f1's question is read from note; a none line needs no note"
printf '%s\n' '{"id":"f1","offer":"How should I set my prices for my business?","detect":{"route":"paid","scores":{"personal":3}}}' > "$T/field.jsonl"
run esc-offer --field offer "$T/field.jsonl"
is "$rc/$(lines "$T/out")" "2/0" "--field offer: a usage error, as the offer would replace the question in the output"
is "$(head -n 1 "$T/err")" 'esc-offer: error: --field: "offer" is the member esc-offer writes' "... saying why"

# ---- invalid UTF-8, blank lines ------------------------------------------------------------
bad "invalid UTF-8 in the text" "${JSONERR}invalid bytes in UTF8 string" \
	"$(printf '{"id":"bad","text":"caf\351 \377","detect":{"route":"paid"}}')"
bad "invalid UTF-8 inside detect" "${JSONERR}invalid bytes in UTF8 string" \
	"$(printf '{"id":"bad","detect":{"route":"none","x":"\200"}}')"
bad "invalid UTF-8 in a key" "${JSONERR}invalid bytes in UTF8 string" \
	"$(printf '{"id":"bad","k\377":1,"detect":{"route":"none"}}')"
# Not UTF-8 either: overlong forms, UTF-16 surrogates, code points past U+10FFFF.
n=0
for b in '\300\200' '\301\277' '\340\200\200' '\355\240\200' '\364\220\200\200'; do
	printf '{"id":"bad","text":"x'"$b"'y","detect":{"route":"none"}}\n' > "$T/case.jsonl"
	run esc-offer "$T/case.jsonl"
	[ "$rc/$(lines "$T/out")" = "3/0" ] || n=$((n + 1))
done
is "$n" 0 "C0 80, C1 BF, E0 80 80, ED A0 80, F4 90 80 80: each rejected as invalid UTF-8"
bad "a line of blanks" "empty line" "$(printf '  \t  ')"
bad "an empty line" "empty line" ""

# ---- very long lines --------------------------------------------------------------------
# 10 MB of question in one line: offered, and the line after it too.
awk 'BEGIN {
	s = "my business needs a real strategy for my pricing "
	while (length(s) < 10485760) s = s s
	printf "{\"id\":\"big\",\"text\":\"%s\",\"detect\":{\"route\":\"paid\",\"scores\":{\"personal\":2,\"strategic\":1,\"advanced\":0},\"alerts\":[]}}\n", substr(s, 1, 10485760)
	print "{\"id\":\"after\",\"detect\":{\"route\":\"none\"}}"
}' > "$T/big.jsonl"
run esc-offer "$T/big.jsonl"
is "$rc" 0 "a 10 MB line: exit 0"
is "$(jq -c '[.id, .offer.template, (.text | length)]' "$T/out" | tr '\n' ' ')" \
	'["big","mentorship.numbers",10485760] ["after",null,0] ' "a 10 MB line is offered whole, and the next line too"
n=$(($(head -n 1 "$T/big.jsonl" | wc -c) - 2))    # the line without its "}" and newline
head -n 1 "$T/big.jsonl" | head -c "$n" > "$T/big.head"
head -n 1 "$T/out" | head -c "$((n + 9))" > "$T/big.outhead"
printf ',"offer":' >> "$T/big.head"
cmp -s "$T/big.head" "$T/big.outhead"
ok $? "... its 10 MB are copied byte for byte"
awk 'BEGIN {
	s = "xxxxxxxxxxxxxxxx"
	while (length(s) < 10485760) s = s s
	printf "{\"id\":\"bigbad\",\"text\":\"%s\",\"detect\":{\"route\":\"paid\"},}\n", substr(s, 1, 10485760)
	print "{\"id\":\"after\",\"detect\":{\"route\":\"none\"}}"
}' > "$T/bigbad.jsonl"
run esc-offer --rejects "$T/bigbad.rej" "$T/bigbad.jsonl"
is "$rc" 3 "an invalid 10 MB line: exit 3"
like "$(cat "$T/err")" "^esc-offer: error \\(at $T/bigbad\\.jsonl:1\\): invalid JSON at byte 10485[0-9]{3}: invalid object key \\(must be a string\\)\$" \
	"... named at bigbad.jsonl:1, near its end"
is "$(jq -r .id "$T/out")" "after" "... and the line after it is offered"
head -n 1 "$T/bigbad.jsonl" | cmp -s - "$T/bigbad.rej"
ok $? "... and kept whole in --rejects"

# ---- line endings, empty input ------------------------------------------------------------
printf '%s\r\n%s\r\n' "$GOOD1" "$GOOD2" > "$T/crlf.jsonl"
run esc-offer "$T/crlf.jsonl"
is "$rc/$(lines "$T/out")" "0/2" "CRLF line endings: both lines offered, exit 0"
is "$(tr -cd '\r' < "$T/out" | wc -c | tr -d ' ')" 0 "... and the output has no CR"
is "$(sed -n 1p "$T/out")" "$GOOD_OUT1" "... and the CR is not taken into the record"
is "$(jq -r '.offer.template // "null"' "$T/out" | tr '\n' ' ')" "null mentorship.numbers " "... each with its offer"
printf '' > "$T/empty.jsonl"
run esc-offer "$T/empty.jsonl"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" \
	"empty input: no output, no diagnostic, exit 0"
run esc-offer < /dev/null
is "$rc/$(wc -c < "$T/out" | tr -d ' ')/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" "empty stdin: no output, exit 0"
printf '%s\n%s' "$GOOD1" "$GOOD2" > "$T/nonl.jsonl"
run esc-offer "$T/nonl.jsonl"
is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')" "0/before after " "a last line without a newline is offered"
is "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" '\n' "... and its output line ends with a newline"
printf '%s\n%s\n   ' "$GOOD1" "$GOOD2" > "$T/tailblank.jsonl"
run esc-offer "$T/tailblank.jsonl"
is "$rc/$(lines "$T/out")" "3/2" "blanks after the last newline are a line, rejected; the others offered"
is "$(cat "$T/err")" "esc-offer: error (at $T/tailblank.jsonl:3): empty line" "... as an empty line 3"

# ---- --strict ----------------------------------------------------------------------------
printf '%s\n%s\n%s\n%s\n' "$GOOD1" '{"id":"bad1","text":"hi"}' "$GOOD2" '{"id":"bad2"}' > "$T/strict.jsonl"
printf '%s\n' "$GOOD2" > "$T/strict2.jsonl"
run esc-offer --strict "$T/strict.jsonl" "$T/strict2.jsonl"
is "$rc" 3 "--strict: exit 3"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before " \
	"--strict: the lines after the bad one, in this file and the next, are not processed"
is "$(cat "$T/err")" "esc-offer: error (at $T/strict.jsonl:2): $NODETECT" "--strict: one diagnostic, naming line 2"
run esc-offer "$T/strict.jsonl" "$T/strict2.jsonl"
is "$rc/$(lines "$T/out")/$(lines "$T/err")" "3/3/2" "without --strict: every good line out, every bad line named"
printf '%s\n%s\n' "$GOOD1" "$GOOD2" > "$T/allgood.jsonl"
run esc-offer --strict "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "0/2" "--strict with nothing to reject: exit 0"

# ---- --rejects FILE ----------------------------------------------------------------------
{
	printf '%s\r\n' "$GOOD1"
	printf '%s\r\n' '{"id":"r1","text":'
	printf '  \t\n'
	printf '%s\n' "$GOOD2"
	printf '{"id":"r2","text":"\377","detect":{"route":"none"}}\n'
	printf '%s\n' '{"id":"r3","text":"not scored"}'
	printf '\r\n'
	printf '%s\n' '{"id":"r4","detect":{"route":"paid"}}'
	printf '%s' '{"id":"r5","detect":{"route":"maybe"}}'
} > "$T/rej.jsonl"
{
	printf '%s\r\n' '{"id":"r1","text":'
	printf '  \t\n'
	printf '{"id":"r2","text":"\377","detect":{"route":"none"}}\n'
	printf '%s\n' '{"id":"r3","text":"not scored"}'
	printf '\r\n'
	printf '%s\n' '{"id":"r4","detect":{"route":"paid"}}'
	printf '%s\n' '{"id":"r5","detect":{"route":"maybe"}}'
} > "$T/rej.want"
run esc-offer --rejects "$T/rej.out" "$T/rej.jsonl"
is "$rc" 3 "--rejects: exit 3"
cmp -s "$T/rej.out" "$T/rej.want"
ok $? "--rejects: bad lines kept verbatim, byte for byte (CR, blanks, invalid UTF-8), each ending in a newline"
if [ -f "$T/rej.out" ] && ! cmp -s "$T/rej.out" "$T/rej.want"; then
	od -c "$T/rej.out" | sed 's/^/#   got:  /'
fi
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before after " "--rejects: the good lines still go to stdout"
is "$(lines "$T/err")" 7 "--rejects: every rejected line is still named on stderr"
is "$(sed 's/^esc-offer: error (at [^)]*:\([0-9]*\)).*/\1/' "$T/err" | tr '\n' ' ')" "2 3 5 6 7 8 9 " \
	"--rejects: ... with its line number"
run esc-offer --rejects "$T/none.rej" "$T/allgood.jsonl"
is "$rc/$(test -f "$T/none.rej" && wc -c < "$T/none.rej" | tr -d ' ')" "0/0" \
	"--rejects with nothing to reject: exit 0, an empty file"
printf 'old contents\n' > "$T/trunc.rej"
run esc-offer --rejects "$T/trunc.rej" "$T/allgood.jsonl"
is "$(wc -c < "$T/trunc.rej" | tr -d ' ')" 0 "--rejects truncates an existing file"
run esc-offer --strict --rejects "$T/strict.rej" "$T/strict.jsonl"
is "$rc/$(cat "$T/strict.rej")" '3/{"id":"bad1","text":"hi"}' "--strict --rejects: the line that stopped the run is kept"
run esc-offer --rejects "$T/no/such/dir/rej" "$T/allgood.jsonl"
is "$rc" 5 "--rejects into a directory that does not exist: exit 5"
like "$(cat "$T/err")" "^esc-offer: error: cannot open $T/no/such/dir/rej: No such file or directory\$" \
	"... saying which file and why"

# ---- several inputs ------------------------------------------------------------------------
printf '%s\n%s\n%s\n' "$GOOD1" '{"id":"a2","text":"hi"}' "$GOOD2" > "$T/a.jsonl"
printf '%s\n%s\n%s\n' '[1]' "$GOOD1" '{"id":"b3","detect":{"route":"paid"}}' > "$T/b.jsonl"
printf '%s\n%s\n' "$GOOD2" '{"id":"s2","detect":5}' > "$T/stdin.jsonl"
rc=0
tool esc-offer "$T/a.jsonl" - "$T/b.jsonl" < "$T/stdin.jsonl" > "$T/out" 2> "$T/err" || rc=$?
is "$rc" 3 "three inputs (a file, stdin, a file): exit 3"
cat > "$T/err.want" <<EOF
esc-offer: error (at $T/a.jsonl:2): $NODETECT
esc-offer: error (at <stdin>:2): field "detect" must be an object: run esc-detect first
esc-offer: error (at $T/b.jsonl:1): not a JSON object
esc-offer: error (at $T/b.jsonl:3): no text: none of the fields "text", "question", "message", "content", "body" is present
EOF
diff_ok "$T/err" "$T/err.want" "line numbers restart in each input; each is named by its path, stdin as <stdin>"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before after after before " "every good line of every input, in order"
run esc-offer "$T/nope.jsonl" "$T/allgood.jsonl"
is "$rc" 5 "an input that cannot be opened: exit 5"
is "$(cat "$T/err")" "esc-offer: error: cannot open $T/nope.jsonl: No such file or directory" \
	"... named, with the reason"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before after " "... and the next input is still read"
run esc-offer "$T"
is "$rc" 5 "a directory as input: exit 5"
like "$(cat "$T/err")" "^esc-offer: error: cannot read $T: Is a directory\$" "... named, with the reason"
printf '%s\n' '{"id":"bad","text":"hi"}' > "$T/oneb.jsonl"
run esc-offer "$T/nope.jsonl" "$T/oneb.jsonl"
is "$rc" 5 "an unreadable input and a rejected line: the worse status, 5"

# ---- where output cannot go ------------------------------------------------------------------
awk -v g="$GOOD1" 'BEGIN { for (i = 0; i < 20000; i++) print g }' > "$T/many.jsonl"
if [ -w /dev/full ]; then
	rc=0
	tool esc-offer "$T/allgood.jsonl" > /dev/full 2> "$T/err" || rc=$?
	is "$rc" 5 "output to a full disk (/dev/full): exit 5"
	is "$(cat "$T/err")" "esc-offer: error: cannot write standard output: No space left on device" \
		"... with one message naming standard output"
	rc=0
	tool esc-offer "$T/many.jsonl" > /dev/full 2> "$T/err" || rc=$?
	is "$rc" 5 "many lines to a full disk: exit 5"
	is "$(cat "$T/err")" "esc-offer: error: cannot write standard output: No space left on device" \
		"... with one message naming standard output"
	rc=0
	tool esc-offer --rejects "$T/full.rej" "$T/strict.jsonl" > /dev/full 2> "$T/err" || rc=$?
	is "$rc" 5 "rejected lines and a full disk: the worse status, 5"
else
	skip 5 "no /dev/full"
fi
{ timeout 120 $VALGRIND "$BIN/esc-offer" "$T/many.jsonl" 2> "$T/err"; echo $? > "$T/rc"; } |
	head -n 1 > "$T/head"
rc=$(cat "$T/rc")
is "$(jq -r .id "$T/head")" "before" "esc-offer big-input | head -1: head gets its line"
case $rc in 0|5|141) r=0 ;; *) r=1 ;; esac
ok $r "... and esc-offer ends, killed by SIGPIPE or saying so (status $rc)"
( trap '' PIPE
  { timeout 120 $VALGRIND "$BIN/esc-offer" "$T/many.jsonl" 2> "$T/err"; echo $? > "$T/rc"; } |
	head -n 1 > /dev/null )
is "$(cat "$T/rc")" 5 "SIGPIPE ignored: a closed stdout exits 5"
is "$(cat "$T/err")" 'esc-offer: error: cannot write standard output: Broken pipe' \
	"... with one message naming standard output"

# ---- the data directory ---------------------------------------------------------------------------
run esc-offer --share /nonexistent "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "--share /nonexistent: exit 4, nothing written"
is "$(cat "$T/err")" "esc-offer: error: cannot open data file /nonexistent/offer/offers.json: No such file or directory" \
	"... naming the missing file and the reason"
ESC_SHARE=$T/nowhere
run esc-offer "$T/allgood.jsonl"
ESC_SHARE=$top/share/esc
is "$rc/$(lines "$T/out")" "4/0" "ESC_SHARE pointing nowhere: exit 4, nothing written"
run esc-offer --share "$ESC_SHARE" "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "0/2" "--share with the right directory: exit 0"

# share_case DESC REASON-ERE FILE JQ-FILTER: the data file FILE (under offer/)
# rewritten by the jq filter stops esc-offer with exit 4 and the reason.
share_case() {
	rm -rf "$T/share"
	mkdir -p "$T/share"
	cp -R "$ESC_SHARE/." "$T/share/"
	jq "$4" "$ESC_SHARE/offer/$3" > "$T/share/offer/$3"
	run esc-offer --share "$T/share" "$T/allgood.jsonl"
	is "$rc/$(lines "$T/out")" "4/0" "$1: exit 4, nothing written"
	like "$(cat "$T/err")" "^esc-offer: error: .*$2" "$1: \"$2\""
}
share_case "an offer rule with an unknown condition" 'rule 3: unknown condition "cue:nonsense"' \
	offers.json '.rules[2].when = "cue:nonsense"'
share_case "an offer rule without an offer" 'rule 1: needs an "offer"' \
	offers.json '.rules[0] |= del(.offer)'
share_case "a template naming a cue not in template_cues" \
	'template "course.general": context "nonsense" is not in template_cues' \
	offers.json '(.templates[] | select(.id == "course.general") | .context) = ["nonsense"]'
share_case "template_cues naming an unknown cue" 'template_cues: unknown cue "nonsense"' \
	offers.json '.template_cues += ["nonsense"]'
share_case "a template without a text" 'template 1: needs "id", "offer" and "text"' \
	offers.json '.templates[0] |= del(.text)'
share_case "a select rule naming an unknown playbook" 'select rule 2: needs an "alert" and a known "playbook"' \
	playbooks.json '.select[1].playbook = "nonsense"'
share_case "a default naming no playbook" '"default" must name a playbook' \
	playbooks.json '.default = "nonsense"'
share_case "a playbook that is not an object" 'playbook "executive": must be an object' \
	playbooks.json '.playbooks.executive = 1'
# what would give junk, or reject every paid line, is refused at load too
share_case "a rule whose offer has no template" 'rule 6: no template for the offer "webinar"' \
	offers.json '.rules[-1].offer = "webinar"'
share_case "an offer with knowledge-base-miss templates only" 'rule 6: no template for the offer "tutorial"' \
	offers.json '.templates |= map(select(.offer != "tutorial" or .kb_miss))'
share_case "no rules" '"rules" must be a list of at least one rule' offers.json '.rules = []'
share_case "no templates" '"templates" must be a list of at least one template' offers.json 'del(.templates)'
share_case "a template with an unknown placeholder" \
	'template "mentorship.numbers": unknown placeholder "\{name\}" \(known: \{persona\}, \{she\}, \{her\}, \{She\}\)$' \
	offers.json '(.templates[] | select(.id == "mentorship.numbers") | .text) = "Hi {name}, {persona} here"'
share_case "a template with an empty text" 'template "course.general": the text is empty$' \
	offers.json '(.templates[] | select(.id == "course.general") | .text) = " "'
share_case "a context that is not a list" 'template "course.general": "context" must be a list of cues$' \
	offers.json '(.templates[] | select(.id == "course.general") | .context) = "technique"'
share_case "a kb_miss that is not true or false" 'template "kb_miss.course": "kb_miss" must be true or false$' \
	offers.json '(.templates[] | select(.id == "kb_miss.course") | .kb_miss) = "yes"'
share_case "a persona that is not an object" '"persona" must be an object whose "name", "she" and "her" are strings$' \
	offers.json '.persona = "Sam"'
share_case "a cue that is not a list" 'cue "numbers" must be a list of phrases$' offers.json '.cues.numbers = "pricing"'
share_case "template_cues that is not a list" '"template_cues" must be a list of cue names$' \
	offers.json '.template_cues = "numbers"'
share_case "a playbook with a route of its own" 'playbook "executive": "route" is esc-offer.s own member$' \
	playbooks.json '.playbooks.executive.route = "phone"'
share_case "select that is not a list" '"select" must be a list of rules$' playbooks.json '.select = {}'
share_case "playbooks that is not an object" '"playbooks" must be an object$' playbooks.json '.playbooks = []'

# No rule for a question: that paid line is rejected (exit 3), as the man
# page says; the others go on.
# share_run FILE JQ-FILTER INPUT: esc-offer over INPUT with FILE rewritten.
share_run() {
	rm -rf "$T/share"
	mkdir -p "$T/share"
	cp -R "$ESC_SHARE/." "$T/share/"
	jq "$2" "$ESC_SHARE/offer/$1" > "$T/share/offer/$1"
	run esc-offer --share "$T/share" "$3"
}
printf '%s\n%s\n%s\n' "$GOOD1" '{"id":"w","text":"hello there","detect":{"route":"paid"}}' "$GOOD2" > "$T/w.jsonl"
share_run offers.json 'del(.rules[-1])' "$T/w.jsonl"
is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')" "3/before after " "no \"any\" rule: a paid line no rule fits is rejected, exit 3"
is "$(cat "$T/err")" "esc-offer: error (at $T/w.jsonl:2): no offer rule fits this paid question" \
	"... saying no rule fits"
# The persona's pronouns fill {she}, {her}, {She}.
share_run offers.json '.persona = {"name": "Sam", "she": "he", "her": "his"}' "$T/allgood.jsonl"
is "$rc/$(jq -r '.offer.text // empty' "$T/out")" \
	"0/I can give you the framework, but to get it tailored to YOUR exact numbers and situation, that's where Sam's mentorship really shines. He breaks down your specific costs, margins, and structures everything with you." \
	"persona Sam, he/his in offers.json: {persona} and {She} filled"
share_run offers.json '.persona.she = ""' "$T/allgood.jsonl"
case $rc in
4) r=0 ;;
0) jq -r '.offer.text // empty' "$T/out" | grep -q 'structures everything with you\.$'; r=$? ;;
*) r=1 ;;
esac
ok $r "persona.she empty: refused at load (exit 4), or the text kept whole (got exit $rc)"

rm -rf "$T/share"
mkdir -p "$T/share"
cp -R "$ESC_SHARE/." "$T/share/"
printf '{"persona": \n' > "$T/share/offer/offers.json"
run esc-offer --share "$T/share" "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "a broken offers.json: exit 4, nothing written"
like "$(cat "$T/err")" "^esc-offer: error: .*$T/share/offer/offers\\.json" "... naming the file"
cp "$ESC_SHARE/offer/offers.json" "$T/share/offer/offers.json"
rm "$T/share/offer/playbooks.json"
run esc-offer --share "$T/share" "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "no playbooks.json: exit 4, nothing written"
like "$(cat "$T/err")" "^esc-offer: error: .*$T/share/offer/playbooks\\.json.*No such file or directory\$" \
	"... naming the file and the reason"
done_testing
