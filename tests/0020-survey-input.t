#!/bin/sh
# survey-send: the bad-input matrix for ended sessions. Each bad line alone
# is rejected with a message that names the input, the line and the
# reason, starts no chain and prints nothing; then all of them among good
# lines: every line is in the output or reported, --rejects keeps the bad
# ones verbatim, --strict stops at the first. Huge lines, invalid UTF-8,
# CRLF, empty input; and the usage errors (exit 2).
. "$(dirname "$0")/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
plan 101

DB=$T/db
NOW=2026-03-02T10:01:00Z
sq() {
	sqlite3 "$DB" "$1"
}
C='"customer_id":"c-1"'
E='"ended_at":"2026-03-02T10:00:00Z"'

n=0
: > "$T/allbad.jsonl"
# bad LINE REGEX DESC: the line alone is rejected, for the reason REGEX
bad() {
	n=$((n + 1))
	printf '%s\n' "$1" > "$T/bad.jsonl"
	printf '%s\n' "$1" >> "$T/allbad.jsonl"
	run survey-send --db "$DB" --now "$NOW" "$T/bad.jsonl"
	is "$rc/$(lines "$T/out")/$(sq 'select count(*) from surveys')" "3/0/0" "$3: exit 3, no output, no chain"
	like "$(cat "$T/err")" "^survey-send: error \\(at $T/bad\\.jsonl:1\\): $2\$" "... $3: the reason"
}

run survey-send --db "$DB" < /dev/null
is "$rc/$(lines "$T/out")/$(wc -c < "$T/err" | tr -d ' ')" "0/0/0" "empty input: exit 0, no output, no message"
is "$(sq "select count(*) from sqlite_master where name in ('surveys', 'survey_attempts')")" 2 \
	"... and the store is made"

# ---- JSON ------------------------------------------------------------------------
bad '{"session_id":"s1",' 'invalid JSON at byte [0-9]+: .*' "broken JSON"
bad '["s1"]' 'not a JSON object' "an array"
bad "{\"session_id\":\"s1\",$C,$E} {}" 'invalid JSON at byte [0-9]+: trailing garbage' "two values"
bad "{\"session_id\":\"s1\",$C,$E,\"n\":123456789012345678901234567890}" \
	'number at byte [0-9]+ is too large for survey-send \(a whole number must fit in 64 bits\)' \
	"an integer past 64 bits: valid JSON, too large a number"

# ---- fields ----------------------------------------------------------------------
bad "{$C,$E}" 'field "session_id" missing' "no session_id"
bad "{\"session_id\":null,$C,$E}" 'field "session_id" missing' "a null session_id"
bad "{\"session_id\":\"\",$C,$E}" 'field "session_id" must be a non-empty string or a whole number' "an empty session_id"
bad "{\"session_id\":1.5,$C,$E}" 'field "session_id" must be a non-empty string or a whole number' "a session_id that is a fraction"
bad "{\"session_id\":[\"s1\"],$C,$E}" 'field "session_id" must be a non-empty string or a whole number' "a session_id that is an array"
bad "{\"session_id\":\"$(printf '%0300d' 0)\",$C,$E}" 'field "session_id" is longer than 256 bytes' \
	"a session_id of 300 bytes"
bad "{\"session_id\":\"s1\",$E}" 'field "customer_id" missing \(or "user_id"\)' "no customer"
bad "{\"session_id\":\"s1\",\"customer_id\":true,$E}" 'field "customer_id" must be a non-empty string or a whole number' \
	"a customer_id that is true"
bad "{\"session_id\":\"s1\",\"user_id\":{},$E}" 'field "user_id" must be a non-empty string or a whole number' \
	"the alias named when it is wrong"
bad "{\"session_id\":\"s1\",$C}" 'field "ended_at" missing: when the session ended, RFC 3339' "no ended_at"
bad "{\"session_id\":\"s1\",$C,\"ended_at\":1772445600}" \
	'field "ended_at" must be an RFC 3339 time, like "2026-03-01T10:00:00Z"' "an ended_at in epoch seconds"
bad "{\"session_id\":\"s1\",$C,\"ended_at\":\"2026-02-30T10:00:00Z\"}" \
	'field "ended_at" must be an RFC 3339 time, .*' "February 30th"
bad "{\"session_id\":\"s1\",$C,\"at\":\"yesterday\"}" 'field "at" must be an RFC 3339 time, .*' \
	"the alias at, named"
bad "{\"session_id\":\"s1\",$C,$E,\"resolution\":1}" 'field "resolution" must be a string' \
	"a resolution that is a number"
bad "{\"session_id\":\"s1\",$C,$E,\"problem\":{\"text\":\"x\"}}" 'field "problem" must be a string' \
	"a problem that is an object"
bad "{\"session_id\":\"s1\",$C,$E,\"summary\":[]}" 'field "summary" must be a string' \
	"a summary (the alias) that is an array"
bad "{\"session_id\":\"s1\",$C,$E,\"problem\":\"$(head -c 10001 /dev/zero | tr '\0' 'x')\"}" \
	'field "problem" is longer than 10000 bytes' "a problem of 10001 bytes"
bad "{\"session_id\":\"s1\",$C,$E,\"problem\":\"a\\u0000b\"}" 'invalid JSON at byte [0-9]+: a \\u0000 in a string is not allowed' \
	"a NUL in the problem"

# ---- all together, with good lines between -------------------------------------------
{
	printf '%s\n' "{\"session_id\":\"g1\",$C,$E}"
	sed -n 1,10p "$T/allbad.jsonl"
	printf '%s\n' "{\"session_id\":\"g2\",\"user_id\":7,\"at\":\"2026-03-02T11:00:00+01:00\",\"summary\":\"ok\"}"
	sed -n '11,$p' "$T/allbad.jsonl"
	printf '%s\n' "{\"session_id\":3,$C,$E,\"problem\":\"$(head -c 10000 /dev/zero | tr '\0' 'x')\"}"
} > "$T/mixed.jsonl"
run survey-send --db "$DB" --now "$NOW" --rejects "$T/rejects.jsonl" "$T/mixed.jsonl"
is "$rc" 3 "mixed: exit 3"
is "$(grep -c '"survey"' "$T/out")/$(grep -c show_feedback_modal "$T/out")" "3/3" \
	"... the three good lines, each with its modal"
is "$(grep -c '^survey-send: error (at ' "$T/err")" "$n" "... every bad line reported once"
cmp -s "$T/rejects.jsonl" "$T/allbad.jsonl"
ok $? "--rejects: the bad lines, verbatim, in order"
is "$(grep -o 'mixed\.jsonl:[0-9]*' "$T/err" | cut -d: -f2 | tr '\n' ' ')" \
	"$(seq 2 11 | tr '\n' ' ')$(seq 13 $((n + 2)) | tr '\n' ' ')" "... each with its own line number"
is "$(sq "select group_concat(session_id || '/' || customer_id || '/' || ended_at, ' ') from (select * from surveys order by id)")" \
	"g1/c-1/1772445600 g2/7/1772445600 3/c-1/1772445600" \
	"the store: the good lines only, numeric ids as text, the offset time in UTC"
is "$(sq "select length(problem) from surveys where session_id = '3'")" 10000 "a problem of 10000 bytes is kept"

rm -f "$DB" "$DB-wal" "$DB-shm"
run survey-send --db "$DB" --now "$NOW" --strict "$T/mixed.jsonl"
is "$rc/$(lines "$T/out")/$(grep -c '^survey-send: error' "$T/err")" "3/2/1" \
	"--strict: exit 3 at the first bad line, the good line before it out with its modal"
is "$(sq 'select group_concat(session_id) from surveys')" g1 "... and kept; nothing after it"

# ---- huge lines, UTF-8, line ends ----------------------------------------------------
big=$(head -c 10485760 /dev/zero | tr '\0' 'x')
printf '{"session_id":"big",%s,%s,"transcript":"%s"}\n' "$C" "$E" "$big" > "$T/big.jsonl"
printf '{"session_id":"big2",%s,%s,"problem":"%s"}\n' "$C" "$E" "$big" >> "$T/big.jsonl"
printf '{"session_id":"big3",%s,%s,"transcript":"%s"\n' "$C" "$E" "$big" >> "$T/big.jsonl"
printf '{"session_id":"after",%s,%s}\n' "$C" "$E" >> "$T/big.jsonl"
run survey-send --db "$DB" --now "$NOW" "$T/big.jsonl"
is "$rc/$(grep -c '"survey"' "$T/out")" "3/2" "10 MB lines: one with a big transcript passes, the run goes on"
is "$(head -n 1 "$T/out" | wc -c | tr -d ' ')" "$(($(head -n 1 "$T/big.jsonl" | wc -c) + $(head -n 1 "$T/out" | jq -c .survey | wc -c) - 1 + 10))" \
	"... echoed whole, with the survey object added"
like "$(sed -n 1p "$T/err")" 'big\.jsonl:2\): field "problem" is longer than 10000 bytes$' "... a 10 MB problem is refused"
like "$(sed -n 2p "$T/err")" 'big\.jsonl:3\): invalid JSON at byte [0-9]+: ' "... a broken 10 MB line is reported"

printf '{"session_id":"u1","customer_id":"c-\377",%s}\n' "$E" > "$T/utf.jsonl"
printf '{"session_id":"u2","customer_id":"c-\303\251",%s}\n' "$E" >> "$T/utf.jsonl"
printf '{"session_id":"u3",%s,%s,"problem":"\355\240\200"}\n' "$C" "$E" >> "$T/utf.jsonl"
run survey-send --db "$DB" --now "$NOW" "$T/utf.jsonl"
is "$rc/$(grep -c '"survey"' "$T/out")" "3/1" "invalid UTF-8 is rejected, valid UTF-8 kept"
like "$(sed -n 1p "$T/err")" 'utf\.jsonl:1\): invalid JSON at byte [0-9]+: .*UTF' "... a stray byte"
like "$(sed -n 2p "$T/err")" 'utf\.jsonl:3\): invalid JSON at byte [0-9]+: .*UTF' "... an encoded surrogate"
is "$(sed -n 2p "$T/out" | jq -r .customer_id)" "c-é" "... the modal names c-é as it came"

printf '\n   \n' > "$T/blank.jsonl"
run survey-send --db "$DB" --now "$NOW" "$T/blank.jsonl"
is "$rc/$(grep -c 'empty line' "$T/err")/$(lines "$T/out")" "3/2/0" "blank and whitespace-only lines are rejected, not dropped"
printf '{"session_id":"crlf",%s,%s}\r\n' "$C" "$E" > "$T/crlf.jsonl"
printf '{"session_id":"nonl",%s,%s}' "$C" "$E" >> "$T/crlf.jsonl"
run survey-send --db "$DB" --now "$NOW" "$T/crlf.jsonl"
is "$rc/$(grep -c '"survey"' "$T/out")/$(grep -c "$(printf '\r')" "$T/out")" "0/2/0" \
	"CRLF line ends, and a last line without a newline"

# ---- a kept session again, under another customer: a warning ------------------------
# the session is the chain's key: the chain stays its first customer's, and
# the line says so rather than echo "known" as if nothing were amiss
DB=$T/other.db
{
	printf '{"session_id":"k1",%s,%s}\n' "$C" "$E"
	printf '{"session_id":"k1","customer_id":"c-2",%s}\n' "$E"
	printf '{"session_id":"k1",%s,%s}\n' "$C" "$E"
	printf '{"session_id":"k1","user_id":"c-2",%s}\n' "$E"
} > "$T/other.jsonl"
run survey-send --db "$DB" --now "$NOW" "$T/other.jsonl"
is "$rc/$(jq -c 'select(.survey) | [.customer_id // .user_id, .survey.survey_id, .survey.known]' "$T/out" | tr -d '\n')" \
	'0/["c-1",1,null]["c-2",1,true]["c-1",1,true]["c-2",1,true]' \
	"a session again under another customer: exit 0, every line echoed, the same chain, known"
cat > "$T/err.want" <<EOF
survey-send: warning (at $T/other.jsonl:2): session k1 is already in the store with another customer (c-1, not c-2): kept as it was
survey-send: warning (at $T/other.jsonl:4): session k1 is already in the store with another customer (c-1, not c-2): kept as it was
EOF
diff_ok "$T/err" "$T/err.want" "... a warning naming the line, the session and both customers; none for the same customer"
is "$(sq "select group_concat(customer_id) from surveys")" c-1 "... and the chain is still c-1's"
DB=$T/db

# ---- a store that fails: fatal, exit 6 ---------------------------------------------
printf 'not a database, just text\n' > "$T/junk.db"
printf '{"session_id":"s1",%s,%s}\n' "$C" "$E" > "$T/one.jsonl"
run survey-send --db "$T/junk.db" --now "$NOW" "$T/one.jsonl"
is "$rc/$(lines "$T/out")" "6/0" "a store that is no database: exit 6, nothing printed"
like "$(cat "$T/err")" "^survey-send: error: .*junk\\.db: file is not a database" "... named in the message"

# a store that fails part-way (a trigger refuses the third session): each
# line is its own transaction, so the lines before it are kept and echoed,
# and the message says where the store stops
DB=$T/partway.db
run survey-send --db "$DB" < /dev/null
sq "CREATE TRIGGER boom BEFORE INSERT ON surveys WHEN NEW.session_id = 'p3' BEGIN SELECT RAISE(ABORT, 'no room for p3'); END"
for i in 1 2 3 4; do
	printf '{"session_id":"p%s",%s,%s}\n' "$i" "$C" "$E"
done > "$T/partway.jsonl"
run survey-send --db "$DB" --now "$NOW" "$T/partway.jsonl"
is "$rc/$(jq -r 'select(.survey) | .session_id' "$T/out" | paste -sd' ' -)/$(sq "select group_concat(session_id, ' ') from surveys")" \
	"6/p1 p2/p1 p2" "a store that fails at the third line: exit 6, the two before it echoed and kept"
is "$(cat "$T/err")" "survey-send: error (at $T/partway.jsonl:3): $DB: no room for p3; nothing from $T/partway.jsonl:3 on was stored" \
	"... the message names the line, and says nothing from it on was stored"
DB=$T/db

# ---- settings ----------------------------------------------------------------------
printf '{"token_ttl":"forever"}\n' > "$T/bad.json"
run survey-send --db "$DB" --config "$T/bad.json" "$T/one.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "--config with a bad duration: exit 4"
like "$(cat "$T/err")" 'bad\.json: "token_ttl" must be a duration' "... naming the member"
run survey-send --db "$DB" --config "$T/missing.json" "$T/one.jsonl"
is "$rc" 4 "--config that does not exist: exit 4"
ESC_NET_TIMEOUT=soon run survey-send --db "$DB" --due
is "$rc" 2 "a bad ESC_NET_TIMEOUT: exit 2"
# a grace shorter than the slowest send would call a live claim unconfirmed
ESC_NET_TIMEOUT=5m ESC_NET_RETRIES=3 ESC_NET_BACKOFF=1s run survey-send --db "$DB" --due --now "$NOW"
is "$rc/$(lines "$T/out")/$(cat "$T/err")" \
	"2/0/survey-send: error: claim_grace (900s) must be longer than the longest a send can take: 1207s (ESC_NET_TIMEOUT on each of 4 tries, and the waits between them)" \
	"claim_grace shorter than 4 tries of 5m and the waits: exit 2, both figures named"
jq '.claim_grace = "30m"' "$ESC_SHARE/survey/survey.json" > "$T/grace.json"
ESC_NET_TIMEOUT=5m ESC_NET_RETRIES=3 ESC_NET_BACKOFF=1s run survey-send --db "$T/grace.db" --config "$T/grace.json" --due --now "$NOW"
is "$rc" 0 "with a claim_grace of 30m it runs"

# ---- usage -------------------------------------------------------------------------
usage() {
	run survey-send "$@"
	is "$rc/$(lines "$T/out")" "2/0" "usage: $*: exit 2"
	like "$(head -n 1 "$T/err")" "^survey-send: error: $U" "... says why"
}
U='--due, --record, --resolve and --problems: one at a time'
usage --due --record
usage --due --problems
usage --record --resolve 3
U='--due, --resolve and --problems read the store, not files'
usage --due "$T/one.jsonl"
usage --problems "$T/one.jsonl"
U='--note goes with --resolve'
usage --note fixed
U='--resolve: not a whole number >= 1: x'
usage --resolve x
U='--limit goes with --problems'
usage --limit 5 --due
U='--no-widget is for sessions'
usage --due --no-widget
U='--now: '
usage --due --now yesterday
run survey-send --bogus
is "$rc" 2 "an unknown option: exit 2"
run survey-send --help
is "$rc/$(head -n 1 "$T/out" | cut -c1-18)/$(wc -c < "$T/err" | tr -d ' ')" "0/usage: survey-send/0" \
	"--help: to stdout, exit 0"
run survey-send --version
like "$rc/$(cat "$T/out")" '^0/survey-send [0-9]' "--version"
done_testing
