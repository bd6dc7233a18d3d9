#!/bin/sh
# esc-detect: golden files, the routing rules, passthrough, options.
#
# Golden files: tests/golden/detect-NAME.in.jsonl is run through esc-detect
# (with the options in detect-NAME.args, one per line, if present) and
# compared with detect-NAME.out.jsonl. After a deliberate change to the
# rules or the data in share/, regenerate them with
#   ESC_REGEN=1 prove tests/0001-esc-detect.t
# and read the diff before keeping it.
. "$(dirname "$0")/lib.sh"

G=$top/tests/golden
ngolden=$(ls "$G"/detect-*.in.jsonl | wc -l)
plan $((ngolden * 2 + 129))

# ---- golden files ----------------------------------------------------
for in in "$G"/detect-*.in.jsonl; do
	name=$(basename "$in" .in.jsonl)
	want=$G/$name.out.jsonl
	set --
	if [ -f "$G/$name.args" ]; then
		while IFS= read -r a; do set -- "$@" "$a"; done < "$G/$name.args"
	fi
	run esc-detect "$@" "$in"
	if [ "${ESC_REGEN:-0}" = 1 ] && [ "$rc" = 0 ]; then
		cp "$T/out" "$want"
		note "regenerated $want"
	fi
	is "$rc" 0 "$name: exit status 0"
	diff_ok "$T/out" "$want" "$name: output matches the golden file"
done

# Run the golden inputs once more and keep each line's result by id, so
# the assertions below say what they check.
cat "$G"/detect-seed.in.jsonl "$G"/detect-human.in.jsonl \
	"$G"/detect-fields.in.jsonl "$G"/detect-sentiment.in.jsonl > "$T/all.in"
run esc-detect "$T/all.in"
cp "$T/out" "$T/all.out"

# q ID FILTER: the jq FILTER applied to the detect object of record ID.
q() {
	jq -c --arg id "$1" "select(.id == \$id) | .detect | $2" "$T/all.out"
}

# ---- seed 000: paid escalation -----------------------------------------
is "$(q seed-1 .route)" '"paid"' \
	"\"Can you review my pricing structure and tell me what's wrong?\" routes paid"
is "$(q seed-1 '.reasons[0]')" '"personalized_help"' "seed 1: reasons start with personalized_help"
is "$(q seed-1 '[.scores.personal, .scores.strategic, .scores.advanced]')" '[1,2,1]' \
	"seed 1: personal 1 (my pricing), strategic 2 (review my, pricing structure), advanced 1 (what's wrong)"
is "$(q seed-1 '.indicators.personal')" '["my pricing"]' "seed 1: the personal phrase is named"
is "$(q seed-2 '[.escalate, .route]')" '[true,"paid"]' \
	"\"How do I price my wigs ...\" with kb_miss:true routes paid"
is "$(q seed-2 '.reasons')" '["personalized_help","kb_miss"]' "seed 2: reasons are personalized_help and kb_miss"
is "$(q seed-2-no-miss '[.escalate, .route, .reasons]')" '[false,"none",[]]' \
	"seed 2 without kb_miss: not paid (one indicator, a how-to)"
is "$(q seed-2-miss-false .route)" '"none"' "seed 2 with kb_miss:false: not paid"
is "$(q seed-3 '[.escalate, .route]')" '[false,"none"]' "\"How do I pluck a hairline?\" routes none"
is "$(q seed-3-miss .route)" '"none"' "a knowledge-base miss without personal language: none"
is "$(q ctx-personal '[.route, .reasons]')" '["paid",["personalized_help","mentorship_context"]]' \
	"business_mentorship context + personal language: paid, mentorship_context"
is "$(q ctx-type-personal .route)" '"paid"' "context_type works as context does"
is "$(q ctx-impersonal .route)" '"none"' "mentorship context without personal language: none"
is "$(q ctx-other .route)" '"none"' "an unlisted context does not count"
is "$(q two-indicators '[.route, .reasons]')" '["paid",["strategic"]]' "two strategic indicators: paid"
is "$(q one-indicator .route)" '"none"' "a single indicator is not enough"
is "$(q personal-only .route)" '"none"' "personal language alone is not enough"
is "$(q howto-guard '[.route, .scores.strategic, .scores.advanced]')" '["none",1,1]' \
	"a general how-to is never paid, even with two indicators"
is "$(q howto-personal .route)" '"paid"' "a how-to with personal language may be paid"

# ---- seed 001: human escalation ---------------------------------------
is "$(q cancel '[.route, .reasons, .severity]')" '["human",["cancel"],"high"]' "cancel: human, high"
is "$(q lawyer '[.route, .reasons]')" '["human",["legal"]]' "lawyer: human, legal"
is "$(q real-person '[.route, .reasons, .severity]')" '["human",["human_requested"],"medium"]' \
	"\"speak to a real person\": human, medium"
is "$(q touches-3 '[.route, .reasons]')" '["human",["repeat_contact"]]' "touches 3: human"
is "$(q touches-2 .route)" '"none"' "touches 2: none"
is "$(q risk-6000 '[.route, .reasons]')" '["human",["high_value"]]' "revenue_at_risk 6000: human"
is "$(q risk-4000 .route)" '"none"' "revenue_at_risk 4000: none"
is "$(q risk-5000 .route)" '"none"' "revenue_at_risk 5000 is not over 5000"
is "$(q risk-5000.01 .route)" '"human"' "revenue_at_risk 5000.01 is"
is "$(q caps-angry '[.route, (.reasons | index("negative_sentiment") != null), .sentiment.label]')" \
	'["human",true,"negative"]' "strongly negative ALL CAPS text: human, negative_sentiment"
q caps-angry '.sentiment.compound <= -0.6' | grep -qx true
ok $? "ALL CAPS anger scores at or below -0.6"
is "$(q critical '[.route, .severity, .alerts]')" '["human","critical",["cancel","legal","repeat_contact"]]' \
	"cancel + attorney + 4 touches: critical"
is "$(q human-over-paid '[.route, .reasons, .scores.strategic]')" '["human",["cancel"],2]' \
	"a human need outranks a paid offer"
is "$(q nulls .route)" '"none"' "null touches / revenue_at_risk / kb_miss are ignored"

# ---- negation: a cue a few words before an alert's phrase undoes it -----
run esc-detect "$G/detect-negation.in.jsonl"
cp "$T/out" "$T/neg.out"
n() {
	jq -c --arg id "$1" "select(.id == \$id) | .detect | [.route, .alerts]" "$T/neg.out"
}
is "$(n n-dont-cancel)" '["none",[]]' "\"I don't want to cancel, I love it\": no alert, route none"
is "$(n n-not-competitor)" '["none",[]]' "\"I am not going to a competitor\": no alert"
is "$(n n-never-cancel)" '["none",[]]' "\"I would never cancel my subscription\": no alert"
is "$(n n-not-switching)" '["none",[]]' "\"I'm not switching to another provider\": no alert"
is "$(n p-comma)" '["human",["cancel"]]' "\"I can't take this, I'm cancelling\": cancel (the comma ends the clause)"
is "$(n p-if-not-fixed)" '["human",["competitor"]]' "\"if this isn't fixed I'll go to a competitor\": competitor"
is "$(n p-wont-refund)" '["human",["refund"]]' "\"... why you won't refund me\": refund"
is "$(n p-not-happy-refund)" '["human",["refund"]]' "\"not happy, I want a refund\": refund"
is "$(n p-wont-let-me)" '["human",["cancel"]]' "\"it won't let me cancel my subscription\": cancel"
is "$(n p-not-happy-and)" '["human",["cancel"]]' "\"I'm not happy and I want to cancel ...\": cancel"
is "$(n p-twice)" '["human",["cancel"]]' "a phrase undone once, then meant: cancel"
is "$(n p-cancel-it)" '["human",["cancel"]]' "\"I don't want this anymore, cancel it\": cancel"
is "$(n p-cant-cancel)" '["human",["cancel"]]' "\"why can't I cancel?\": cancel"
is "$(n n-dont-cancel-it)" '["none",[]]' "\"Please don't cancel it, I still need it\": no alert"
is "$(n n-thanks-refund)" '["none",[]]' "\"Thank you for the quick refund\": no alert"
is "$(n n-never-mind-refund)" '["none",[]]' "\"... never mind the refund. Thank you!\": no alert"
is "$(n p-thanks-but-twice)" '["human",["dispute"]]' "\"Thanks for the refund, but I was charged twice\": dispute"
is "$(n p-thanks-then-refund)" '["human",["refund"]]' "\"Thank you for your help, I want a refund\": refund"
is "$(n p-refund-please-thanks)" '["human",["refund"]]' "\"Can I get a refund please? Thank you\": refund"
is "$(n n-refund-came)" '["none",[]]' "\"Refund came through, thank you\": no alert (a cue after the phrase)"
is "$(n n-got-refund)" '["none",[]]' "\"Got my refund today\": no alert"
is "$(n p-refund-arrived-q)" '["human",["refund"]]' "\"Has my refund arrived?\": refund (it asks)"
is "$(n p-not-got-refund)" '["human",["refund"]]' "\"I still haven't got my refund\": refund"
is "$(n p-refund-wrong-card)" '["human",["dispute"]]' "\"The refund went through to the wrong card\": dispute"
is "$(n p-why-charged)" '["human",["dispute"]]' "\"I didn't cancel my subscription, why was I charged?\": dispute"
is "$(n p-charged-after-cancel)" '["human",["dispute"]]' "\"You charged my card after I cancelled\": dispute"

# ---- severity ---------------------------------------------------------
is "$(q seed-1 .severity)" '"low"' "a paid escalation is low severity"
is "$(q seed-3 .severity)" '"low"' "no escalation: low"
is "$(q touches-3 .severity)" '"medium"' "repeat contact alone: medium"
is "$(jq -r '.detect.severity' "$T/all.out" | sort -u | tr '\n' ' ')" 'critical high low medium ' \
	"every severity level occurs, and no other"

# ---- sentiment in the output -------------------------------------------
is "$(q s-pos '.sentiment')" '{"compound":0.8316,"label":"positive"}' "VADER's first example: 0.8316, positive"
is "$(q s-neutral '.sentiment')" '{"compound":0,"label":"neutral"}' "a plain statement: 0, neutral"
is "$(q s-emoji-pos '.sentiment.label')" '"positive"' "an emoji alone can be positive"
is "$(q s-emoji-neg '.sentiment.label')" '"negative"' "and negative"
is "$(q s-happy-tears '[.route, .sentiment.label]')" '["none","positive"]' \
	"\"I DID IT!!! (loudly crying x2) thank you\": happy tears, positive, no one called"
is "$(q s-empty '[.escalate, .sentiment.compound]')" '[false,0]' "an empty text is scored, neutral"

# ---- the shape of the detect object ------------------------------------
is "$(jq -c '.detect | keys_unsorted' "$T/all.out" | sort -u)" \
	'["escalate","route","reasons","scores","indicators","sentiment","alerts","severity"]' \
	"every detect object has the same keys, in order"
is "$(jq -c '.detect | (.escalate == (.route != "none"))' "$T/all.out" | sort -u)" 'true' \
	"escalate is true exactly when route is not none"
is "$(jq -c '.detect | [.scores[]] == [.indicators[] | length]' "$T/all.out" | sort -u)" 'true' \
	"each score counts the phrases listed under indicators"
is "$(lines "$T/all.out")" "$(lines "$T/all.in")" "one output line per input line"

# ---- text-field priority: text > question > message > content > body ----
is "$(q f-text .route)" '"none"' "text wins over question, message, content, body"
is "$(q f-question .route)" '"none"' "question wins over message, content, body"
is "$(q f-message .route)" '"none"' "message wins over content, body"
is "$(q f-content .route)" '"none"' "content wins over body"
is "$(q f-body .route)" '"human"' "body is read when it is the only one"
is "$(q f-null-text .route)" '"human"' "a null text falls through to question"
is "$(q f-text-last .route)" '"human"' "priority, not position: text given after question still wins"
is "$(q f-nested .route)" '"human"' "a nested \"text\" is not the message's text"

# ---- white space beyond ASCII ------------------------------------------
# A no-break space is what a rich-text editor makes of a second space;
# VADER (Python's str.split()) splits on it and on Unicode's other spaces.
for sp in '\u00a0' '\u00a0 ' '\u2003' '\u3000' '\u2028' '\u202f'; do
	printf '{"text":"cancel my%ssubscription"}\n' "$sp" > "$T/sp.in"
	run esc-detect "$T/sp.in"
	is "$rc/$(jq -c '.detect.alerts' "$T/out")" '0/["cancel"]' \
		"\"cancel my${sp}subscription\": the phrase is found across the space"
done
printf '{"text":"\\u00a0great\\u00a0"}\n{"text":"great"}\n' > "$T/sp.in"
run esc-detect "$T/sp.in"
is "$(jq -c '.detect.sentiment' "$T/out" | sort -u | wc -l | tr -d ' ')" 1 \
	"a word between no-break spaces is the word: the same sentiment"

# ---- --field NAME --------------------------------------------------------
printf '%s\n' '{"id":1,"text":"How do I pluck a hairline?","note":"I want to cancel my subscription"}' > "$T/f.in"
run esc-detect --field note "$T/f.in"
is "$rc/$(jq -c '.detect.reasons' "$T/out")" '0/["cancel"]' "--field note reads note, not text"
printf '%s\n' '{"id":1,"text":"hello"}' > "$T/f2.in"
run esc-detect --field note "$T/f2.in"
is "$rc" 3 "--field note: a line without note is rejected"
like "$(cat "$T/err")" '^esc-detect: error \(at .*/f2\.in:1\): field "note" missing$' "... saying the field is missing"
printf '%s\n' '{"detect":"my business needs a strategy"}' > "$T/f3.in"
run esc-detect --field detect "$T/f3.in"
is "$rc/$(lines "$T/out")" '2/0' \
	"--field detect: a usage error, as the verdict would replace the text in the output"
is "$(head -n 1 "$T/err")" 'esc-detect: error: --field: "detect" is the member esc-detect writes' \
	"... saying why"
K=$(printf 'k%.0s' $(seq 45))
printf '{"%s":"I want to cancel my subscription"}\n' "$K" > "$T/f4.in"
run esc-detect --field "$K" "$T/f4.in"
is "$rc/$(jq -r '.detect.route' "$T/out" 2>/dev/null)" '0/human' "--field with a 45-byte name"
K=$(printf 'k%.0s' $(seq 300))
printf '{"%s":"I want to cancel my subscription"}\n' "$K" > "$T/f5.in"
run esc-detect --field "$K" "$T/f5.in"
case $rc in
0) r=$(jq -r '.detect.route' "$T/out" 2>/dev/null) ;;
2) r=human ;;   # refused up front, as a usage error: fine too
*) r="exit $rc" ;;
esac
is "$r" human "--field with a 300-byte name: matched, or refused up front (exit 2)"

# ---- passthrough: fields not ours are kept, byte for byte, in order ----
P=$G/detect-passthrough.in.jsonl
run esc-detect "$P"
cp "$T/out" "$T/p.out"
is "$rc/$(lines "$T/p.out")" "0/$(lines "$P")" "passthrough input: exit 0, one line each"
# without a "detect" key in the input: output minus ',"detect":{...}}' is input minus '}'
grep -v '"detect"' "$P" | sed 's/}$//' > "$T/p.want"
grep -v '"detect"' "$P" > "$T/p.plain"
run esc-detect "$T/p.plain"
awk '{ s = $0; k = 0
	while ((i = index(substr(s, k + 1), ",\"detect\":{\"escalate\":")) > 0) k += i
	print (k ? substr(s, 1, k - 1) : "NO DETECT OBJECT: " s) }' "$T/out" > "$T/p.got"
diff_ok "$T/p.got" "$T/p.want" "every byte of every field is kept, in order, the detect object appended"
is "$(jq -r 'keys_unsorted[-1]' "$T/out" | sort | uniq -c | tr -s ' ')" " $(lines "$T/p.plain") detect" \
	"the detect object is the last member of each line"
grep -q '"f":1.10,"e":1E2,"neg":-0,"big":123456789012345678901234567890,"tiny":5e-324' "$T/out"
ok $? "numbers are not reformatted (1.10, 1E2, -0, a 30-digit integer, 5e-324)"
grep -qF '"text":"caf\u00e9 \"quoted\" back\\slash tab\t nl\n \ud83d\ude0d \u2028","slash":"a\/b"' "$T/out"
ok $? "string escapes are not rewritten"

# an existing "detect" key is replaced, never duplicated
for id in p-detect-first p-detect-middle p-detect-last p-detect-null p-detect-twice p-detect-first-spaced; do
	grep "\"$id\"" "$P" > "$T/one.in"
	grep "\"$id\"" "$T/p.out" > "$T/one.out"
	want=$(jq -c '[keys_unsorted[] | select(. != "detect")] + ["detect"]' "$T/one.in")
	got=$(jq -c 'keys_unsorted' "$T/one.out")
	n=$(grep -o '"detect"' "$T/one.out" | wc -l)
	is "$got/$n/$(jq -r '.detect.route' "$T/one.out")" "$want/1/none" \
		"$id: the old detect replaced, other keys in order, one detect"
done
is "$(grep '"p-detect-first"' "$T/p.out" | cut -c1-32)" '{"id":"p-detect-first","text":"h' \
	"detect as the first key: the comma after it goes with it"
is "$(grep '"p-detect-first-spaced"' "$T/p.out" | cut -c1-34)" '{ "id":"p-detect-first-spaced","te' \
	"detect first, with spaces and nesting: removed cleanly"
is "$(grep '"p-nested-detect"' "$T/p.out" | jq -c '[.meta.detect, .list[0].detect]')" '[{"old":true},1]' \
	"a nested \"detect\" key is not ours: kept"
is "$(grep '"p-braces"' "$T/p.out" | jq -r '.x')" '},"detect":{' \
	"braces and \"detect\" inside strings do not confuse the splice"
printf '%s\n' '{"detect":{"old":1}}' > "$T/only.in"
run esc-detect "$T/only.in"
is "$rc/$(lines "$T/out")" "3/0" "detect as the only key: no text, rejected, nothing written"
# a repeated "detect" takes another path (a tree): it must keep the bytes too
printf '%s\n' '{"detect":1,"id":"t","f":1.10,"e":1E2,"u":"caf\u00e9","text":"hello","detect":2}' > "$T/twice.in"
run esc-detect "$T/twice.in"
is "$(sed 's/,"detect":{"escalate".*//' "$T/out")" '{"id":"t","f":1.10,"e":1E2,"u":"caf\u00e9","text":"hello"' \
	"detect given twice: the other members keep their bytes"
printf '%s\n' '{"detect":1,"id":"t","big":123456789012345678901234567890,"text":"hello","detect":2}' \
	'{"detect":1,"id":"u","text":"a\u0000b","detect":2}' > "$T/twice2.in"
run esc-detect "$T/twice2.in"
is "$rc/$(lines "$T/out")" "0/2" "detect given twice with a 30-digit integer or a \\u0000: still scored"
printf '%s\n' '{"detect":1,"a":1.10,"detect":[2],"text":"my business strategy","b":"caf\u00e9" , "detect" : {"x":3} }' > "$T/thrice.in"
run esc-detect "$T/thrice.in"
is "$rc/$(sed 's/,"detect":{"escalate".*//' "$T/out")" '0/{"a":1.10,"text":"my business strategy","b":"caf\u00e9" ' \
	"detect three times (first, between, last, spaced): each cut out, every other byte kept"
is "$(jq -c '[keys_unsorted, .detect.route]' "$T/out")" '[["a","text","b","detect"],"paid"]' \
	"... one detect, last, with the verdict"
awk 'BEGIN { printf "{"; for (i = 0; i < 9; i++) printf "\"detect\":%d,", i; print "\"text\":\"hello\"}" }' > "$T/nine.in"
run esc-detect "$T/nine.in"
is "$rc/$(lines "$T/out")" "3/0" "detect given 9 times: rejected, not silently mangled"
like "$(cat "$T/err")" ':1\): key "detect" given more than [0-9]+ times$' "... saying why"

# trailing blanks after the closing brace are not part of the record
printf '{"id":1,"text":"hello"}  \t\n' > "$T/tb.in"
run esc-detect "$T/tb.in"
is "$rc/$(sed 's/,"detect":{"escalate".*//' "$T/out")" '0/{"id":1,"text":"hello"' \
	"blanks after the closing brace: scored, the record ends at its brace"

# ---- --version, --help, bad options ------------------------------------
run esc-detect --version
is "$rc" 0 "--version exits 0"
like "$(cat "$T/out")" '^esc-detect [0-9]+\.[0-9]+\.[0-9]+$' "--version prints \"esc-detect X.Y.Z\" on stdout"
run esc-detect -V
is "$rc/$(cat "$T/out")" "0/$(tool esc-detect --version)" "-V is --version"
run esc-detect --help
is "$rc" 0 "--help exits 0"
like "$(head -n 1 "$T/out")" '^usage: esc-detect ' "--help prints the usage on stdout"
is "$(cat "$T/err")" "" "--help writes nothing on stderr"
grep -q -- '--field NAME' "$T/out" && grep -q -- '--strict' "$T/out" && grep -q -- '--rejects FILE' "$T/out" \
	&& grep -q -- '-f, --format' "$T/out"
ok $? "--help lists --format, --field, --strict, --rejects"
run esc-detect --no-such-option
is "$rc" 2 "an unknown option exits 2"
is "$(lines "$T/out")" 0 "... with nothing on stdout"
grep -q '^usage: esc-detect ' "$T/err"
ok $? "... and the usage on stderr"
run esc-detect --field
is "$rc" 2 "--field without its argument exits 2"
done_testing
