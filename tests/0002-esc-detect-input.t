#!/bin/sh
# esc-detect: bad input. No line is lost silently: every rejected line is
# named on stderr as "esc-detect: error (at NAME:LINE): reason", the lines
# around it are still scored, and the run exits 3.
. "$(dirname "$0")/lib.sh"

plan 178

GOOD1='{"id":"before","text":"How do I pluck a hairline?"}'
GOOD2='{"id":"after","text":"I want to cancel my subscription"}'

# bad DESC REASON-ERE LINE: LINE between two good lines is rejected with
# exactly one diagnostic, and the good lines still come out. Each case runs
# the tool directly (valgrind's start-up, times 26, is too slow); all the
# bad lines together then go through one run under the run wrapper.
nbad=0
printf '%s\n' "$GOOD1" > "$T/matrix.jsonl"
: > "$T/matrix.lines"
bad() {
	printf '%s\n%s\n%s\n' "$GOOD1" "$3" "$GOOD2" > "$T/case.jsonl"
	vg=$VALGRIND
	VALGRIND=
	run esc-detect "$T/case.jsonl"
	VALGRIND=$vg
	is "$rc" 3 "$1: exit 3"
	like "$(cat "$T/err")" "^esc-detect: error \\(at $T/case\\.jsonl:2\\): $2\$" \
		"$1: one diagnostic, at case.jsonl:2, \"$2\""
	is "$(jq -r .id "$T/out" 2>&1 | tr '\n' ' ')" "before after " "$1: the lines around it are scored"
	nbad=$((nbad + 1))
	printf '%s\n%s\n' "$3" "$GOOD2" >> "$T/matrix.jsonl"
	echo $((nbad * 2)) >> "$T/matrix.lines"
}

NOTEXT='no text: none of the fields "text", "question", "message", "content", "body" is present'
JSONERR='invalid JSON at byte [0-9]+: '

bad "broken JSON (cut short)" "${JSONERR}premature EOF" '{"id":"bad","text":'
bad "broken JSON (no colon)" "${JSONERR}object key and value must be separated by a colon \\(':'\\)" \
	'{"id":"bad","text" "x"}'
bad "broken JSON (no comma)" "${JSONERR}after key and value, inside map, I expect ',' or '}'" \
	'{"id":"bad" "text":"x"}'
bad "broken JSON (single quotes)" "${JSONERR}invalid char in json text" "{'id':'bad'}"
bad "a missing text field" "$NOTEXT" '{"id":"bad","note":"hello"}'
bad "an empty object" "$NOTEXT" '{}'
bad "text is a number" 'field "text" must be a string' '{"id":"bad","text":42}'
bad "text is an object" 'field "text" must be a string' '{"id":"bad","text":{"body":"hello"}}'
bad "text is an array" 'field "text" must be a string' '{"id":"bad","text":["hello"]}'
bad "question is a boolean" 'field "question" must be a string' '{"id":"bad","question":true}'
bad "kb_miss is a string" 'field "kb_miss" must be true or false' '{"id":"bad","text":"hi","kb_miss":"yes"}'
bad "kb_miss is a number" 'field "kb_miss" must be true or false' '{"id":"bad","text":"hi","kb_miss":1}'
bad "touches is a string" 'field "touches" must be a number' '{"id":"bad","text":"hi","touches":"3"}'
bad "revenue_at_risk is a boolean" 'field "revenue_at_risk" must be a number' \
	'{"id":"bad","text":"hi","revenue_at_risk":true}'
bad "revenue_at_risk is an object" 'field "revenue_at_risk" must be a number' \
	'{"id":"bad","text":"hi","revenue_at_risk":{"usd":6000}}'
bad "context_type is a number" 'field "context_type" must be a string' \
	'{"id":"bad","text":"hi","context_type":7}'
bad "invalid UTF-8 in a string" "${JSONERR}invalid bytes in UTF8 string" \
	"$(printf '{"id":"bad","text":"caf\351 \377"}')"
bad "a line of blanks" "empty line" "$(printf '  \t  ')"
bad "an empty line" "empty line" ""
bad "a top-level array" "not a JSON object" '[{"id":"bad","text":"hi"}]'
bad "a top-level number" "not a JSON object" '42'
bad "a top-level string" "not a JSON object" '"hello"'
bad "a top-level null" "not a JSON object" 'null'
bad "trailing garbage" "${JSONERR}trailing garbage" '{"id":"bad","text":"hi"} x'
bad "two objects on one line" "${JSONERR}trailing garbage" '{"id":"bad","text":"hi"}{"id":"bad2","text":"hi"}'

# Every bad line above in one file, one run: the parser recovers after each.
run esc-detect "$T/matrix.jsonl"
is "$rc" 3 "all $nbad bad lines in one input: exit 3"
sed -n 's/^esc-detect: error (at [^)]*matrix\.jsonl:\([0-9]*\)): .*/\1/p' "$T/err" > "$T/matrix.got"
diff_ok "$T/matrix.got" "$T/matrix.lines" "... each named once, at its own line"
is "$(jq -r .id "$T/out" | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')" "$nbad after 1 before " \
	"... and every good line between them is scored"

# The byte named should be the one at fault (1-based).
printf '%s\n' 'xyz' '{"text":"a"' > "$T/pos.jsonl"
run esc-detect "$T/pos.jsonl"
like "$(sed -n 1p "$T/err")" ':1\): invalid JSON at byte 1: ' "\"xyz\": the error is at byte 1"
like "$(sed -n 2p "$T/err")" ':2\): invalid JSON at byte 1[12]: premature EOF$' \
	"'{\"text\":\"a\"' (11 bytes): premature EOF at its end, not at byte 2"

# ---- very long lines ------------------------------------------------------
# 10 MB of text in one line: scored, whatever the read size.
awk 'BEGIN {
	s = "my business needs a real strategy and I am happy "
	while (length(s) < 10485760) s = s s
	printf "{\"id\":\"big\",\"text\":\"%s\"}\n", substr(s, 1, 10485760)
	print "{\"id\":\"after\",\"text\":\"ok\"}"
}' > "$T/big.jsonl"
run esc-detect "$T/big.jsonl"
is "$rc" 0 "a 10 MB line: exit 0"
is "$(jq -c '[.id, .detect.route, (.text | length)]' "$T/out" | tr '\n' ' ')" \
	'["big","paid",10485760] ["after","none",2] ' "a 10 MB line is scored whole, and the next line too"
# 10 MB, broken at its very end
awk 'BEGIN {
	s = "xxxxxxxxxxxxxxxx"
	while (length(s) < 10485760) s = s s
	printf "{\"id\":\"bigbad\",\"text\":\"%s\",}\n", substr(s, 1, 10485760)
	print "{\"id\":\"after\",\"text\":\"ok\"}"
}' > "$T/bigbad.jsonl"
run esc-detect --rejects "$T/bigbad.rej" "$T/bigbad.jsonl"
is "$rc" 3 "an invalid 10 MB line: exit 3"
like "$(cat "$T/err")" "^esc-detect: error \\(at $T/bigbad\\.jsonl:1\\): invalid JSON at byte 10485[0-9]{3}: invalid object key \\(must be a string\\)\$" \
	"... named at bigbad.jsonl:1, near its end"
is "$(jq -r .id "$T/out")" "after" "... and the line after it is scored"
head -n 1 "$T/bigbad.jsonl" | cmp -s - "$T/bigbad.rej"
ok $? "... and kept whole in --rejects"

# ---- line endings ------------------------------------------------------------
printf '%s\r\n%s\r\n' "$GOOD1" "$GOOD2" > "$T/crlf.jsonl"
run esc-detect "$T/crlf.jsonl"
is "$rc/$(lines "$T/out")" "0/2" "CRLF line endings: both lines scored, exit 0"
is "$(tr -cd '\r' < "$T/out" | wc -c | tr -d ' ')" 0 "... and the output has no CR"
is "$(jq -r .detect.route "$T/out" | tr '\n' ' ')" "none human " "... and the CR does not reach the text"
# a byte-order mark opening a file is passed over, as jq does; on a later
# line it is a stray character, and in each mode the same
{ printf '\357\273\277%s\r\n' "$GOOD1"; printf '\357\273\277%s\n' "$GOOD2"; } > "$T/bom.jsonl"
for fast in 1 0; do
	ESC_JSON_FAST=$fast
	export ESC_JSON_FAST
	run esc-detect --rejects "$T/bom.rej" "$T/bom.jsonl" "$T/bom.jsonl"
	unset ESC_JSON_FAST
	is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')" "3/before before " \
		"ESC_JSON_FAST=$fast: a byte-order mark opening each file is passed over"
	is "$(head -c 3 "$T/out" | od -An -c | tr -d ' ')" '{"i' "... and not written out"
	is "$(sed 's/: invalid JSON.*//' "$T/err" | sort -u)" "esc-detect: error (at $T/bom.jsonl:2)" \
		"... one on line 2 is an error"
	is "$(sed -n 1p "$T/bom.rej" | od -An -tx1 | head -n 1 | cut -c1-9)" " ef bb bf" \
		"... and that line is kept verbatim, its mark with it"
done
# a line that arrives in pieces, its CR and LF in different reads
{ printf '{"id":"before","te'; sleep 0.3; printf 'xt":"hello"}\r'; sleep 0.3
  printf '\n%s' "$GOOD2"; } | { run esc-detect; echo "$rc" > "$T/rc"; }
is "$(cat "$T/rc")/$(jq -r .id "$T/out" | tr '\n' ' ')" "0/before after " \
	"a slow pipe: lines split across reads are put back together"
printf '' > "$T/empty.jsonl"
run esc-detect "$T/empty.jsonl"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" \
	"empty input: no output, no diagnostic, exit 0"
run esc-detect < /dev/null
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "0/0" "empty stdin: no output, exit 0"
printf '%s\n%s' "$GOOD1" "$GOOD2" > "$T/nonl.jsonl"
run esc-detect "$T/nonl.jsonl"
is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')" "0/before after " "a last line without a newline is scored"
is "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" '\n' "... and its output line ends with a newline"
printf '%s\n%s\n   ' "$GOOD1" "$GOOD2" > "$T/tailblank.jsonl"
run esc-detect "$T/tailblank.jsonl"
is "$rc" 3 "blanks after the last newline are a line, rejected"
like "$(cat "$T/err")" ":3\\): empty line\$" "... as an empty line 3"

# ---- --strict ------------------------------------------------------------------
printf '%s\n%s\n%s\n%s\n' "$GOOD1" '{"id":"bad1"}' "$GOOD2" '{"id":"bad2"}' > "$T/strict.jsonl"
printf '%s\n' "$GOOD2" > "$T/strict2.jsonl"
run esc-detect --strict "$T/strict.jsonl" "$T/strict2.jsonl"
is "$rc" 3 "--strict: exit 3"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before " "--strict: the lines after the bad one, in this file and the next, are not processed"
is "$(lines "$T/err")" 1 "--strict: one diagnostic"
like "$(cat "$T/err")" ":2\\): $NOTEXT\$" "--strict: naming line 2"
run esc-detect "$T/strict.jsonl" "$T/strict2.jsonl"
is "$rc/$(lines "$T/out")/$(lines "$T/err")" "3/3/2" "without --strict: every good line out, every bad line named"

# ---- --rejects FILE --------------------------------------------------------------
{
	printf '%s\r\n' "$GOOD1"
	printf '%s\r\n' '{"id":"r1","text":'
	printf '  \t\n'
	printf '%s\n' "$GOOD2"
	printf '{"id":"r2","text":"\377"}\n'
	printf '\r\n'
	printf '%s' '[1,2]'
} > "$T/rej.jsonl"
{
	printf '%s\r\n' '{"id":"r1","text":'
	printf '  \t\n'
	printf '{"id":"r2","text":"\377"}\n'
	printf '\r\n'
	printf '%s\n' '[1,2]'
} > "$T/rej.want"
run esc-detect --rejects "$T/rej.out" "$T/rej.jsonl"
is "$rc" 3 "--rejects: exit 3"
cmp -s "$T/rej.out" "$T/rej.want"
ok $? "--rejects: bad lines kept verbatim, byte for byte (CR, blanks, invalid UTF-8), each ending in a newline"
if [ -f "$T/rej.out" ] && ! cmp -s "$T/rej.out" "$T/rej.want"; then
	od -c "$T/rej.out" | sed 's/^/#   got:  /'
fi
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before after " "--rejects: the good lines still go to stdout"
is "$(lines "$T/err")" 5 "--rejects: every rejected line is still named on stderr"
printf '%s\n' "$GOOD1" > "$T/allgood.jsonl"
run esc-detect --rejects "$T/none.rej" "$T/allgood.jsonl"
is "$rc/$(test -f "$T/none.rej" && wc -c < "$T/none.rej" | tr -d ' ')" "0/0" \
	"--rejects with nothing to reject: exit 0, an empty file"
run esc-detect --rejects "$T/no/such/dir/rej" "$T/allgood.jsonl"
is "$rc" 5 "--rejects into a directory that does not exist: exit 5"
like "$(cat "$T/err")" "^esc-detect: error: cannot open $T/no/such/dir/rej: No such file or directory\$" \
	"... saying which file and why"

# ---- several inputs ----------------------------------------------------------------
printf '%s\n%s\n%s\n' "$GOOD1" '{"id":"a2"}' "$GOOD2" > "$T/a.jsonl"
printf '%s\n%s\n%s\n' '[1]' "$GOOD1" 'xyz' > "$T/b.jsonl"
printf '%s\n%s\n' "$GOOD2" '{"text":5}' > "$T/stdin.jsonl"
rc=0
tool esc-detect "$T/a.jsonl" - "$T/b.jsonl" < "$T/stdin.jsonl" > "$T/out" 2> "$T/err" || rc=$?
is "$rc" 3 "three inputs (a file, stdin, a file): exit 3"
cat > "$T/err.want" <<EOF
esc-detect: error (at $T/a.jsonl:2): $NOTEXT
esc-detect: error (at <stdin>:2): field "text" must be a string
esc-detect: error (at $T/b.jsonl:1): not a JSON object
esc-detect: error (at $T/b.jsonl:3): invalid JSON at byte 1: invalid char in json text
EOF
diff_ok "$T/err" "$T/err.want" "line numbers restart in each input; each is named by its path, stdin as <stdin>"
sed 's/invalid JSON at byte [0-9]*:/invalid JSON at byte N:/' "$T/err" > "$T/err.got"
sed 's/invalid JSON at byte [0-9]*:/invalid JSON at byte N:/' "$T/err.want" > "$T/err.want2"
diff_ok "$T/err.got" "$T/err.want2" "... (the same, byte positions aside)"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "before after after before " "every good line of every input, in order"
run esc-detect "$T/nope.jsonl" "$T/allgood.jsonl"
is "$rc" 5 "an input that cannot be opened: exit 5"
is "$(cat "$T/err")" "esc-detect: error: cannot open $T/nope.jsonl: No such file or directory" \
	"... named, with the reason"
is "$(jq -r .id "$T/out")" "before" "... and the next input is still read"
run esc-detect "$T"
is "$rc" 5 "a directory as input: exit 5"
like "$(cat "$T/err")" "^esc-detect: error: cannot read $T: Is a directory\$" "... named, with the reason"

# ---- where output cannot go ------------------------------------------------------------
# Enough output to fill any pipe buffer many times over.
awk -v g="$GOOD1" 'BEGIN { for (i = 0; i < 20000; i++) print g }' > "$T/many.jsonl"
{ timeout 120 $VALGRIND "$BIN/esc-detect" "$T/many.jsonl" 2> "$T/err"; echo $? > "$T/rc"; } |
	head -n 1 > "$T/head"
rc=$(cat "$T/rc")
is "$(jq -r .id "$T/head")" "before" "esc-detect big-input | head -1: head gets its line"
case $rc in 0|5|141) r=0 ;; *) r=1 ;; esac
ok $r "... and esc-detect ends, killed by SIGPIPE or saying so (status $rc)"
( trap '' PIPE
  { timeout 120 $VALGRIND "$BIN/esc-detect" "$T/many.jsonl" 2> "$T/err"; echo $? > "$T/rc"; } |
	head -n 1 > /dev/null )
is "$(cat "$T/rc")" 5 "SIGPIPE ignored: a closed stdout exits 5"
like "$(head -n 1 "$T/err")" '^esc-detect: error: cannot write standard output: Broken pipe$' \
	"... with a message naming standard output"
is "$(lines "$T/err")" 1 "... once"
if [ -w /dev/full ]; then
	rc=0
	tool esc-detect "$T/allgood.jsonl" > /dev/full 2> "$T/err" || rc=$?
	is "$rc" 5 "one line to a full disk (/dev/full): exit 5"
	is "$(cat "$T/err")" "esc-detect: error: cannot write standard output: No space left on device" \
		"... with one message naming standard output"
	rc=0
	tool esc-detect "$T/many.jsonl" > /dev/full 2> "$T/err" || rc=$?
	is "$rc" 5 "many lines to a full disk: exit 5"
	like "$(head -n 1 "$T/err")" '^esc-detect: error: cannot write standard output: No space left on device$' \
		"... with a message naming standard output"
	is "$(lines "$T/err")" 1 "... once"
else
	skip 5 "no /dev/full"
fi

# ---- the data directory, the clock ----------------------------------------------------------
run esc-detect --share /nonexistent "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "--share /nonexistent: exit 4, nothing written"
like "$(cat "$T/err")" '^esc-detect: error: .*/nonexistent/detect/detect\.json.*No such file or directory$' \
	"... naming the missing file and the reason"
like "$(cat "$T/err")" '^esc-detect: error: cannot open data file /nonexistent/detect/detect\.json: No such file or directory$' \
	"... as esc_share_read words it, with no line number"
ESC_SHARE=$T/nowhere
run esc-detect "$T/allgood.jsonl"
ESC_SHARE=$top/share/esc
is "$rc" 4 "ESC_SHARE pointing nowhere: exit 4"
mkdir -p "$T/share/detect"
cp -R "$ESC_SHARE/." "$T/share/"
printf '{"paid": \n' > "$T/share/detect/detect.json"
run esc-detect --share "$T/share" "$T/allgood.jsonl"
is "$rc" 4 "a broken detect.json: exit 4"
like "$(cat "$T/err")" "^esc-detect: error: data file $T/share/detect/detect\\.json:[0-9]+: " \
	"... naming the file and the line"
cp "$ESC_SHARE/detect/detect.json" "$T/share/detect/detect.json"
printf 'nonsense\tsome phrase\n' >> "$T/share/detect/alerts.tsv"
run esc-detect --share "$T/share" "$T/allgood.jsonl"
is "$rc" 4 "a phrase category detect.json does not list: exit 4"
like "$(cat "$T/err")" 'phrase category "nonsense"' "... naming the category"
cp "$ESC_SHARE/detect/alerts.tsv" "$T/share/detect/alerts.tsv"
# detect_case DESC REASON JQ-FILTER: detect.json rewritten by the filter
# stops esc-detect with exit 4 and the reason, where it used to be read
# with a default in place of the value, or an alert that sends no one.
detect_case() {
	jq "$3" "$ESC_SHARE/detect/detect.json" > "$T/share/detect/detect.json"
	run esc-detect --share "$T/share" "$T/allgood.jsonl"
	is "$rc/$(lines "$T/out")" "4/0" "$1: exit 4, nothing written"
	is "$(cat "$T/err")" "esc-detect: error: detect.json: $2" "... \"$2\""
}
detect_case "an alert given as its weight" 'alert "cancel": must be an object, such as {"weight": 1}' \
	'.alerts.cancel = 3'
detect_case "a weight in quotes" 'alert "legal": "weight" must be a number' '.alerts.legal.weight = "4"'
detect_case "human in quotes" 'alert "cancel": "human" must be true or false' '.alerts.cancel.human = "true"'
detect_case "a threshold in words" '"human.touches" must be a number' '.human.touches = "three"'
detect_case "a section that is not an object" '"severity" must be an object' '.severity = 5'
detect_case "a context list that is a string" '"paid.mentorship_contexts" must be a list of strings' \
	'.paid.mentorship_contexts = "mentorship"'
detect_case "an alert with no phrases" 'alert "vip" has no phrases in detect/alerts.tsv' \
	'.alerts.vip = {"weight": 1, "human": true}'
detect_case "negated_by as a word" 'alert "cancel": "negated_by" must be a list of cue classes, such as ["negation"]' \
	'.alerts.cancel.negated_by = "negation"'
detect_case "negated_by naming no class" 'alert "cancel": "negated_by": no cue class "negaton" in detect/negations.tsv' \
	'.alerts.cancel.negated_by = ["negaton"]'
detect_case "negated_by naming stop" 'alert "cancel": "negated_by": "stop" ends cues, it is not a class of them' \
	'.alerts.cancel.negated_by = ["stop"]'
detect_case "a window of 2.5 words" '"negation.window" must be a whole number of words from 0 to 16' \
	'.negation.window = 2.5'
detect_case "a window in quotes" '"negation.window" must be a number' '.negation.window = "3"'
jq 'del(.alerts.cancel.negated_by, .alerts.competitor.negated_by)' "$ESC_SHARE/detect/detect.json" \
	> "$T/share/detect/detect.json"
printf '%s\n' '{"id":"n1","text":"I do not want to cancel, I love it"}' > "$T/neg.jsonl"
run esc-detect --share "$T/share" "$T/neg.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')/$(jq -c '.detect.alerts' "$T/out")" '0/0/["cancel"]' \
	"no alert names a cue class: taken, negation off (a detect.json of an older esc)"
cp "$ESC_SHARE/detect/detect.json" "$T/share/detect/detect.json"
printf 'negation\tnot *\n' >> "$T/share/detect/negations.tsv"
run esc-detect --share "$T/share" "$T/allgood.jsonl"
is "$rc/$(cat "$T/err")" '4/esc-detect: error: phrase "not *": its last word must be a whole word, not one ending in '"'"'*'"'"'' \
	"a cue ending in '*': exit 4, saying why"
rm "$T/share/detect/negations.tsv"
run esc-detect --share "$T/share" "$T/allgood.jsonl"
like "$rc/$(cat "$T/err")" '^4/esc-detect: error: cannot open data file .*/detect/negations\.tsv: No such file or directory$' \
	"no negations.tsv: exit 4, naming it"
cp "$ESC_SHARE/detect/negations.tsv" "$T/share/detect/negations.tsv"
run esc-detect --share "$ESC_SHARE" "$T/allgood.jsonl"
is "$rc" 0 "--share with the right directory: exit 0"

ESC_NOW=yesterday
export ESC_NOW
run esc-detect "$T/allgood.jsonl"
unset ESC_NOW
is "$rc/$(lines "$T/out")" "2/0" "ESC_NOW=yesterday: exit 2, nothing written"
is "$(cat "$T/err")" "esc-detect: error: ESC_NOW: not an RFC 3339 time: yesterday" "... saying so"
run esc-detect --now 2026-02-30T10:00:00Z "$T/allgood.jsonl"
is "$rc" 2 "--now 2026-02-30T10:00:00Z: exit 2"
is "$(cat "$T/err")" "esc-detect: error: --now: not an RFC 3339 time: 2026-02-30T10:00:00Z" "... saying so"
run esc-detect --now 2026-03-01T10:00:00 "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "0/1" "--now without an offset: UTC, exit 0"
run esc-detect --now 2026-03-01T10:00:00+01:00 "$T/allgood.jsonl"
is "$rc/$(lines "$T/out")" "0/1" "--now with a good time: exit 0"
ESC_NOW=2026-03-01T10:00:00Z
export ESC_NOW
run esc-detect "$T/allgood.jsonl"
unset ESC_NOW
is "$rc" 0 "ESC_NOW with a good time: exit 0"
done_testing
