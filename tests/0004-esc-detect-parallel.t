#!/bin/sh
# esc-detect under GNU parallel: a line's output depends on that line
# alone, so splitting the input anywhere and joining the outputs in order
# gives the bytes of a single run.
. "$(dirname "$0")/lib.sh"

# Under valgrind every job pays valgrind's start-up: use fewer lines.
n=20000
[ -z "$VALGRIND" ] || n=3000

if ! command -v jq > /dev/null; then
	plan skip_all "jq is not installed"
fi
plan 8

# The input: scripts/gen-chats when it can run (check-asan copies no
# scripts/), else the golden inputs repeated with fresh ids.
if [ -x "$top/scripts/gen-chats" ] && command -v python3 > /dev/null &&
   "$top/scripts/gen-chats" "$n" 7 > "$T/in" 2> "$T/err"; then
	note "input: scripts/gen-chats $n 7"
else
	note "input: the golden inputs, repeated (scripts/gen-chats cannot run here)"
	cat "$top"/tests/golden/detect-seed.in.jsonl "$top"/tests/golden/detect-human.in.jsonl \
		"$top"/tests/golden/detect-sentiment.in.jsonl > "$T/seed"
	jq -c --argjson n "$n" -n '[inputs] as $s | range($n) as $i
		| $s[$i % ($s | length)] | .id = "g\($i)"' "$T/seed" > "$T/in"
fi
is "$(lines "$T/in")" "$n" "the input has $n lines"
is "$(jq -r .id "$T/in" | sort | uniq -d | head -n 3)" "" "... with unique ids"

run esc-detect "$T/in"
cp "$T/out" "$T/one"
is "$rc/$(lines "$T/one")" "0/$n" "one run: exit 0, one line out per line in"
is "$(jq -r .detect.route "$T/one" | sort -u | tr '\n' ' ')" "human none paid " \
	"the input exercises all three routes"

if command -v parallel > /dev/null && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	rc=0
	parallel --will-cite --pipe -k --block 100k $VALGRIND "$BIN/esc-detect" \
		< "$T/in" > "$T/par" 2> "$T/err" || rc=$?
	is "$rc" 0 "parallel --pipe -k --block 100k esc-detect: exit 0"
	cmp -s "$T/par" "$T/one"
	ok $? "... byte-identical to a single run"
else
	skip 2 "GNU parallel is not installed"
fi

# Shuffle with a fixed seed: each line's verdict is its own.
awk 'BEGIN { srand(7) } { printf "%.12f\t%s\n", rand(), $0 }' "$T/in" | sort -k1,1 |
	cut -f 2- > "$T/shuf"
cmp -s "$T/shuf" "$T/in"
[ $? -ne 0 ]
ok $? "the shuffled input is in another order"
run esc-detect "$T/shuf"
jq -c '[.id, .detect]' "$T/out" | sort > "$T/shuf.sorted"
jq -c '[.id, .detect]' "$T/one" | sort > "$T/one.sorted"
diff_ok "$T/shuf.sorted" "$T/one.sorted" "shuffled, scored, sorted by id: the same verdicts"
done_testing
