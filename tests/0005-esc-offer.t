#!/bin/sh
# esc-offer: the seed's worked examples and templates, the offer and playbook
# rules, reproducible template draws, passthrough, parallel, golden file.
#
# Golden file: tests/golden/offer-seed.in.jsonl (questions scored once by
# esc-detect) is run through esc-offer and compared with offer-seed.out.jsonl.
# After a deliberate change to share/esc/offer/, regenerate it with
#   ESC_REGEN=1 prove tests/0005-esc-offer.t
# and read the diff before keeping it.
. "$(dirname "$0")/lib.sh"

G=$top/tests/golden
plan 116

# The five mentorship templates of seed 000, word for word, persona Tay.
M_DETAIL="Babes, I can give you a general breakdown, but the level of detail you're asking for is exactly what Tay does inside her 1:1 mentorship. If you want her eyes on YOUR business specifically, that's where she goes deep."
M_ADVANCED="For advanced strategies like this, you'd get the most value inside Tay's mentorship because she personalizes everything to your situation."
M_AUDIT="This is something we can skim over here, but the real transformation comes inside Tay's 1:1 where she can literally audit your entire business and fix it with you."
M_NUMBERS="I can give you the framework, but to get it tailored to YOUR exact numbers and situation, that's where Tay's mentorship really shines. She breaks down your specific costs, margins, and structures everything with you."
M_PERSONAL="For something this personalized, Tay's mentorship is where you'd get the most value. She literally looks at YOUR business and creates a custom plan that fits your exact situation."

# Questions that pick each template (the routes were checked with esc-detect).
Q_SEED1="Can you review my pricing structure and tell me what's wrong?"
Q_SEED2="How do I price my wigs with different curl pricing?"
Q_SEED3="How do I pluck a hairline?"
Q_DETAIL="Can you break down exactly how I should handle my business finances?"
Q_ADVANCED="What advanced strategy should I use to scale my salon?"
Q_AUDIT="Can you audit my business and fix my funnel?"
Q_NUMBERS="How should I set my prices for my business?"
Q_PERSONAL="Can you look at my business and my situation?"
Q_COURSE="Can you break down the technique step by step in depth?"
Q_MASTER="Can you break down the framework and system in a deep dive?"
Q_TUTORIAL="Can you do a deep dive on advanced lace melting and break down the method?"

# msg ID TEXT [EXTRA-JSON]: one chat message as a JSON line.
msg() {
	jq -nc --arg id "$1" --arg t "$2" --argjson x "${3:-{\}}" '{id: $id, text: $t} + $x'
}

# offered FILE ARGS...: esc-detect FILE | esc-offer ARGS, output in $T/out.
offered() {
	_in=$1
	shift
	tool esc-detect "$_in" > "$T/scored" 2> "$T/err"
	run esc-offer "$@" "$T/scored"
}

# q ID FILTER: the jq FILTER applied to record ID of $T/out.
q() {
	jq -c --arg id "$1" "select(.id == \$id) | $2" "$T/out"
}
qr() {
	jq -r --arg id "$1" "select(.id == \$id) | $2" "$T/out"
}

# ---- seed 000: the three worked examples ---------------------------------
{
	msg seed-1 "$Q_SEED1"
	msg seed-2 "$Q_SEED2" '{"kb_miss":true}'
	msg seed-3 "$Q_SEED3"
} > "$T/seed.in"
offered "$T/seed.in"
is "$rc/$(lines "$T/out")" "0/3" "seed 000 examples: exit 0, three lines"
is "$(q seed-1 '[.detect.route, .offer.route, .offer.offer, .offer.template, .offer.persona]')" \
	'["paid","paid","mentorship","mentorship.numbers","Tay"]' \
	"example 1 (review my pricing): mentorship, mentorship.numbers"
is "$(qr seed-1 .offer.text)" "$M_NUMBERS" "example 1: the text is seed template 4, exactly"
is "$(q seed-2 '[.detect.route, .offer.offer, (.offer.template | startswith("kb_miss."))]')" \
	'["paid","mentorship",true]' "example 2 (kb_miss, price my wigs): mentorship, a kb_miss template"
like "$(qr seed-2 .offer.text)" "this specific part isn't in my brain yet" \
	"example 2: \"this specific part isn't in my brain yet\""
like "$(qr seed-2 .offer.text)" "Tay goes DEEP into personalised pricing inside her mentorship" \
	"example 2: \"Tay goes DEEP into personalised pricing inside her mentorship\""
is "$(q seed-3 '[.detect.route, .offer]')" '["none",null]' "example 3 (pluck a hairline): \"offer\": null"

# ---- the five mentorship templates, verbatim --------------------------------
# A detail or an advanced question fits two templates (the cue's own, and
# mentorship.personal, which names detail and advanced too): the id draws
# one. Sixteen ids are enough to draw both.
for i in $(seq 1 16); do
	msg "detail-$i" "$Q_DETAIL"
	msg "advanced-$i" "$Q_ADVANCED"
done > "$T/m2.in"
{
	msg audit "$Q_AUDIT"
	msg numbers "$Q_NUMBERS"
	msg personal "$Q_PERSONAL"
} > "$T/m1.in"
cat "$T/m1.in" "$T/m2.in" > "$T/m.in"
offered "$T/m.in"
cp "$T/out" "$T/m.out"
is "$rc/$(jq -r .detect.route "$T/out" | sort -u)" "0/paid" "mentorship questions: all paid, exit 0"
is "$(jq -r '.offer.offer' "$T/out" | sort -u)" "mentorship" "... all offered mentorship"
is "$(jq -r 'select(.id | startswith("detail-")) | .offer.template' "$T/out" | sort -u | tr '\n' ' ')" \
	"mentorship.detail mentorship.personal " "a detail cue draws mentorship.detail or mentorship.personal"
is "$(jq -r 'select(.id | startswith("advanced-")) | .offer.template' "$T/out" | sort -u | tr '\n' ' ')" \
	"mentorship.advanced mentorship.personal " "an advanced cue draws mentorship.advanced or mentorship.personal"
is "$(qr audit .offer.template)" "mentorship.audit" "an audit cue: mentorship.audit"
is "$(qr numbers .offer.template)" "mentorship.numbers" "a numbers cue: mentorship.numbers"
is "$(qr personal .offer.template)" "mentorship.personal" "personal language and no cue: mentorship.personal"
# text by template, for every template drawn above
tt() {
	jq -r --arg t "$1" 'select(.offer.template == $t) | .offer.text' "$T/m.out" | sort -u
}
is "$(tt mentorship.detail)" "$M_DETAIL" "seed template 1 (detail), verbatim"
is "$(tt mentorship.advanced)" "$M_ADVANCED" "seed template 2 (advanced), verbatim"
is "$(tt mentorship.audit)" "$M_AUDIT" "seed template 3 (audit), verbatim"
is "$(tt mentorship.numbers)" "$M_NUMBERS" "seed template 4 (numbers), verbatim"
is "$(tt mentorship.personal)" "$M_PERSONAL" "seed template 5 (personal), verbatim"
# --seed reaches the personal template for a detail question too
grep '"detail-1"' "$T/scored" > "$T/detail1"
for s in $(seq 0 19); do
	tool esc-offer --seed "$s" "$T/detail1" 2> "$T/err"
done | jq -r .offer.template | sort -u > "$T/drawn"
is "$(tr '\n' ' ' < "$T/drawn")" "mentorship.detail mentorship.personal " \
	"one detail question under seeds 0..19: both of its templates are drawn"

# ---- --persona ----------------------------------------------------------------
cat "$T/seed.in" "$T/m.in" > "$T/p.in"
offered "$T/p.in" --persona Kim
cp "$T/out" "$T/kim.out"
is "$rc" 0 "--persona Kim: exit 0"
is "$(jq -r 'select(.offer.route == "paid") | .offer.persona' "$T/out" | sort -u)" "Kim" \
	"--persona Kim: every paid offer names persona Kim"
is "$(jq -r 'select(.offer.route == "paid") | .offer.text' "$T/out" | grep -c 'Tay')" 0 \
	"--persona Kim: no \"Tay\" left in any offer text"
is "$(qr seed-1 .offer.text)" "$(printf '%s' "$M_NUMBERS" | sed 's/Tay/Kim/g')" \
	"--persona Kim: template 4 with Kim for Tay, the rest unchanged"
tool esc-offer "$T/scored" 2> "$T/err" | jq -c '[.id, .offer.template]' > "$T/tay.t"
jq -c '[.id, .offer.template]' "$T/kim.out" > "$T/kim.t"
cmp -s "$T/tay.t" "$T/kim.t"
ok $? "--persona does not change which template is drawn"

# ---- which offer ---------------------------------------------------------------
{
	msg course "$Q_COURSE"
	msg masterclass "$Q_MASTER"
	msg tutorial "$Q_TUTORIAL"
	msg strategy-system "What's the strategy behind a good system? Give me a deep dive"
	msg kb-course "$Q_COURSE" '{"kb_miss":true}'
	msg kb-master "$Q_MASTER" '{"kb_miss":true}'
	msg kb-tutorial "$Q_TUTORIAL" '{"kb_miss":true}'
	msg kb-mentor "$Q_AUDIT" '{"kb_miss":true}'
	msg kb-false "$Q_NUMBERS" '{"kb_miss":false}'
} > "$T/o.in"
offered "$T/o.in"
is "$rc" 0 "offer questions: exit 0"
is "$(q course '[.detect.route, .detect.scores.personal, .detect.scores.strategic]')" '["paid",0,0]' \
	"\"$Q_COURSE\": paid, not personal, not strategic"
is "$(q course '[.offer.offer, .offer.template]')" '["course","course.technique"]' \
	"... a technique cue: course (course.technique)"
is "$(q masterclass '[.detect.route, .detect.scores.personal, .detect.scores.strategic]')" '["paid",0,0]' \
	"\"$Q_MASTER\": paid, not personal, not strategic"
is "$(q masterclass '[.offer.offer, .offer.template]')" '["masterclass","masterclass.framework"]' \
	"... a framework cue: masterclass (masterclass.framework)"
is "$(q tutorial '[.detect.route, .detect.scores]')" '["paid",{"personal":0,"strategic":0,"advanced":2}]' \
	"\"$Q_TUTORIAL\": paid on advanced language alone"
is "$(q tutorial '[.offer.offer, .offer.template]')" '["tutorial","tutorial.general"]' \
	"... no technique cue: tutorial (tutorial.general)"
is "$(q strategy-system '[.offer.offer, .offer.template]')" '["masterclass","masterclass.advanced"]' \
	"strategy + system: masterclass (the framework rule comes before strategic), its advanced template"
is "$(q kb-course .offer.template)" '"kb_miss.course"' "kb_miss, technique question: kb_miss.course"
is "$(q kb-master .offer.template)" '"kb_miss.masterclass"' "kb_miss, framework question: kb_miss.masterclass"
is "$(q kb-tutorial .offer.template)" '"kb_miss.tutorial"' "kb_miss, advanced question: kb_miss.tutorial"
is "$(q kb-mentor '[.offer.offer, .offer.template]')" '["mentorship","kb_miss.mentorship"]' \
	"kb_miss, audit question: the generic kb_miss.mentorship (no kb template names audit)"
is "$(q kb-false .offer.template)" '"mentorship.numbers"' "kb_miss false: the usual template"
like "$(jq -r 'select(.id | startswith("kb-")) | select(.id != "kb-false") | .offer.text' "$T/out" | sort -u | grep -vc "isn't in my brain yet")" \
	'^0$' "every kb_miss template says the answer isn't in the assistant's brain yet"
is "$(jq -c '.offer | keys_unsorted' "$T/out" | sort -u)" '["route","offer","template","persona","text"]' \
	"a paid offer has route, offer, template, persona, text, in that order"

# ---- the human route: the five playbooks ---------------------------------------
{
	msg cancel "I'm going to cancel my subscription"
	msg billing "You charged me twice this month"
	msg quality "This is terrible service"
	msg missed "You missed my appointment again"
	msg lawyer "I will have my lawyer contact you"
	msg lawyer-cancel "I want to cancel my account, my lawyer will hear about this"
	msg negative "I hate this, it is awful, worst ever, horrible"
} > "$T/h.in"
offered "$T/h.in"
is "$rc/$(jq -r .detect.route "$T/out" | sort -u)" "0/human" "human questions: all human, exit 0"
PB=$ESC_SHARE/offer/playbooks.json
# pb ID PLAYBOOK RATE: record ID follows PLAYBOOK, as playbooks.json has it
pb() {
	is "$(q "$1" '[.offer.route, .offer.playbook, .offer.success_rate]')" "[\"human\",\"$2\",$3]" \
		"$1 ($(q "$1" .detect.alerts)): playbook $2, success rate $3"
	q "$1" '.offer | (.first_action.urgency | type == "string" and length > 0)
		and (.steps | type == "array" and length > 0)
		and (.script.opening | type == "string" and length > 0)
		and (.avoid | type == "array" and length > 0)' | grep -qx true
	ok $? "$1: first_action.urgency, steps, script.opening and avoid are all there"
	jq -c --arg p "$2" '.playbooks[$p]' "$PB" > "$T/pb.want"
	q "$1" '.offer | del(.route, .playbook)' > "$T/pb.got"
	diff_ok "$T/pb.got" "$T/pb.want" "$1: the rest of the offer is the playbook, as the file has it, in order"
}
pb cancel cancel_threat 0.87
pb billing billing_dispute 0.92
pb quality service_quality 0.85
pb missed missed_appointment 0.91
pb lawyer executive 0.78
is "$(q lawyer-cancel '[.detect.alerts, .offer.playbook]')" '[["cancel","legal"],"executive"]' \
	"cancel and legal together: the legal rule comes first (executive)"
is "$(q negative '[.detect.alerts, .offer.playbook]')" '[["negative_sentiment"],"service_quality"]' \
	"only negative_sentiment: the default playbook (service_quality)"
is "$(jq -c '.offer | keys_unsorted[:2]' "$T/out" | sort -u)" '["route","playbook"]' \
	"a human offer starts with route and playbook"

# ---- reproducibility: the template is a function of record and seed -------------
"$top/scripts/gen-chats" 3000 5 | "$BIN/esc-detect" > "$T/r.in" 2> "$T/err"
npaid=$(jq -r 'select(.detect.route == "paid") | .id' "$T/r.in" | wc -l)
ok $(test "$npaid" -ge 200; echo $?) "gen-chats 3000 5: a few hundred paid records ($npaid)"
yes | head -c 1000000 > "$T/random"
shuf --random-source="$T/random" "$T/r.in" > "$T/r.shuf"
cmp -s "$T/r.in" "$T/r.shuf"
ok $((! $?)) "the shuffled input is in another order"
run esc-offer --seed 11 "$T/r.in"
cp "$T/out" "$T/r11.a"
is "$rc/$(lines "$T/r11.a")" "0/3000" "--seed 11: exit 0, 3000 lines"
run esc-offer --seed 11 "$T/r.shuf"
cp "$T/out" "$T/r11.shuf"
jq -r '[.id, .offer.template // "-"] | @tsv' "$T/r11.a" | sort > "$T/t.a"
jq -r '[.id, .offer.template // "-"] | @tsv' "$T/r11.shuf" | sort > "$T/t.shuf"
diff_ok "$T/t.shuf" "$T/t.a" "--seed 11, shuffled input: every id gets the same template as in order"
run esc-offer --seed 11 "$T/r.in"
cmp -s "$T/out" "$T/r11.a"
ok $? "--seed 11 twice: byte-identical output"
run esc-offer --seed 12 "$T/r.in"
cp "$T/out" "$T/r12"
jq -r 'select(.offer.route == "paid") | [.id, .offer.offer, .offer.template] | @tsv' "$T/r11.a" > "$T/p11"
jq -r 'select(.offer.route == "paid") | [.id, .offer.offer, .offer.template] | @tsv' "$T/r12" > "$T/p12"
ndiff=$(paste "$T/p11" "$T/p12" | awk -F '\t' '$3 != $6' | wc -l)
ok $(test "$ndiff" -gt 0; echo $?) "--seed 11 and --seed 12 draw different templates for some paid records ($ndiff of $npaid)"
cut -f 1,2 "$T/p11" > "$T/o11"
cut -f 1,2 "$T/p12" > "$T/o12"
diff_ok "$T/o12" "$T/o11" "... but never a different offer"
# Seeds are for trying template variants against each other, so two seeds
# should draw independently: over 400 records with two candidate templates
# each, a fair draw splits about 200/200, and two seeds disagree on about
# 200 records (1 in 10^6 outside 100..300).
for i in $(seq 1 400); do
	msg "two-$i" "$Q_DETAIL"
done > "$T/two.raw"
"$BIN/esc-detect" "$T/two.raw" > "$T/two.in" 2> "$T/err"
run esc-offer "$T/two.in"
jq -r .offer.template "$T/out" > "$T/two.0"
ndet=$(grep -c 'mentorship.detail' "$T/two.0")
ok $(test "$ndet" -ge 100 && test "$ndet" -le 300; echo $?) \
	"400 two-template records, seed 0: a fair split ($ndet mentorship.detail, $((400 - ndet)) mentorship.personal)"
agree=
for s in 1 2 3 4 5 6 7 8; do
	tool esc-offer --seed "$s" "$T/two.in" 2> "$T/err" | jq -r .offer.template > "$T/two.s"
	agree="$agree $s:$(paste "$T/two.0" "$T/two.s" | awk -F '\t' '$1 != $2' | wc -l | tr -d ' ')"
done
note "records drawn differently from seed 0, by seed:$agree"
ok $(printf '%s\n' $agree | awk -F : '$2 < 100 || $2 > 300 { bad = 1 } END { exit bad }'; echo $?) \
	"seeds 1..8 each redraw between 100 and 300 of the 400 records that seed 0 drew"
run esc-offer --seed 0 "$T/r.in"
cp "$T/out" "$T/r0"
run esc-offer "$T/r.in"
cmp -s "$T/out" "$T/r0"
ok $? "no --seed is --seed 0"
# The key is the id: under one id, another question with the same candidate
# templates draws the same one; without an id, the text is the key.
Q_DETAIL2="Can you break down in detail how my salon should budget?"
for i in $(seq 1 16); do
	msg "detail-$i" "$Q_DETAIL"
	msg "detail-$i" "$Q_DETAIL2"
done > "$T/k.in"
jq -c '{user_id: "a", text: .text}' "$T/m2.in" > "$T/k2.in"
jq -c '{user_id: "b", text: .text}' "$T/m2.in" >> "$T/k2.in"
offered "$T/k.in"
jq -r '[.id, .offer.template] | @tsv' "$T/out" | paste - - | awk -F '\t' '$2 != $4' > "$T/bad"
is "$rc/$(lines "$T/out")/$(lines "$T/bad")" "0/32/0" \
	"the same id, two detail questions: the same template for both, for 16 ids"
diag_file "$T/bad"
offered "$T/k2.in"
jq -r '[.text, .offer.template] | @tsv' "$T/out" | sort -u > "$T/k2.t"
is "$rc/$(lines "$T/k2.t")" "0/2" "no id: the same text in two records draws the same template"

# ---- passthrough ----------------------------------------------------------------
# Every member but "offer" keeps its bytes and order; "offer" comes last.
awk 'NR == FNR { in_[FNR] = $0; next }
	{ i = in_[FNR]; n = length(i)
	  if (substr($0, 1, n - 1) != substr(i, 1, n - 1) || substr($0, n, 9) != ",\"offer\":")
		print FNR ": " $0 }' "$T/r.in" "$T/r0" > "$T/bad"
is "$(lines "$T/bad")" 0 "3000 esc-detect lines: each output line is its input line, then ,\"offer\":... (detect kept byte for byte)"
diag_file "$T/bad"
is "$(jq -r 'keys_unsorted[-1]' "$T/r0" | sort -u)" "offer" "\"offer\" is the last member of every line"
jq -c 'del(.offer)' "$T/r0" > "$T/r0.strip"
jq -c . "$T/r.in" > "$T/r.norm"
diff_ok "$T/r0.strip" "$T/r.norm" "with \"offer\" taken out, every record is its input"
SC='"scores":{"personal":1,"strategic":0,"advanced":0}'
cat > "$T/pt.in" <<EOF
{ "id" : "odd" ,	"text":"$Q_NUMBERS",  "detect" : {"route":"paid", $SC} , "z":[1, 2,  {"a":"\\u00e9\\"x"}], "n":1.50e3, "big":123456789012345678901234567890 }
{"id":"pre","offer":{"old":[1,2]},"text":"$Q_NUMBERS","detect":{"route":"paid",$SC}}
{"offer":"first","id":"pre-first","detect":{"route":"none"}}
{"id":"pre-last","detect":{"route":"none"},"offer":null}
{"id":"pre-twice","offer":1,"detect":{"route":"none"},"offer":2}
{"id":"nested","meta":{"offer":{"keep":true}},"list":[{"offer":1}],"x":"},\\"offer\\":{","detect":{"route":"none"}}
EOF
run esc-offer "$T/pt.in"
is "$rc/$(lines "$T/out")" "0/6" "passthrough lines: exit 0, one line each"
NUMBERS_OFFER='{"route":"paid","offer":"mentorship","template":"mentorship.numbers","persona":"Tay","text":"'"$M_NUMBERS"'"}'
is "$(sed -n 1p "$T/out")" "{ \"id\" : \"odd\" ,	\"text\":\"$Q_NUMBERS\",  \"detect\" : {\"route\":\"paid\", $SC} , \"z\":[1, 2,  {\"a\":\"\\u00e9\\\"x\"}], \"n\":1.50e3, \"big\":123456789012345678901234567890 ,\"offer\":$NUMBERS_OFFER}" \
	"odd spacing, escapes, numbers: kept byte for byte, offer appended"
is "$(sed -n 2p "$T/out")" "{\"id\":\"pre\",\"text\":\"$Q_NUMBERS\",\"detect\":{\"route\":\"paid\",$SC},\"offer\":$NUMBERS_OFFER}" \
	"an existing offer in the middle is replaced, the new one last"
is "$(sed -n 3p "$T/out")" '{"id":"pre-first","detect":{"route":"none"},"offer":null}' \
	"an existing offer as the first member: replaced, its comma gone"
is "$(sed -n 4p "$T/out")" '{"id":"pre-last","detect":{"route":"none"},"offer":null}' \
	"an existing offer as the last member: replaced"
is "$(sed -n 5p "$T/out")" '{"id":"pre-twice","detect":{"route":"none"},"offer":null}' \
	"offer given twice: both replaced by one"
is "$(sed -n 6p "$T/out")" '{"id":"nested","meta":{"offer":{"keep":true}},"list":[{"offer":1}],"x":"},\"offer\":{","detect":{"route":"none"},"offer":null}' \
	"nested \"offer\" keys and \"offer\" inside strings are not ours: kept"
run esc-offer "$T/r0"
cmp -s "$T/out" "$T/r0"
ok $? "esc-offer over its own output: the same bytes again"

# ---- parallel --pipe ---------------------------------------------------------------
if command -v parallel > /dev/null 2>&1; then
	"$top/scripts/gen-chats" 20000 3 | "$BIN/esc-detect" > "$T/big.in" 2> "$T/err"
	run esc-offer "$T/big.in"
	cp "$T/out" "$T/big.one"
	is "$rc/$(lines "$T/big.one")" "0/20000" "20000 scored lines in one run: exit 0"
	rc=0
	parallel --will-cite --pipe -k --block 50k $VALGRIND "$BIN/esc-offer" \
		< "$T/big.in" > "$T/big.par" 2> "$T/err" || rc=$?
	is "$rc" 0 "parallel --pipe -k --block 50k esc-offer: every job exits 0"
	cmp -s "$T/big.par" "$T/big.one"
	ok $? "parallel --pipe -k --block 50k esc-offer: byte-identical to one run"
else
	skip 3 "GNU parallel is not installed"
fi

# ---- golden file ---------------------------------------------------------------------
run esc-offer "$G/offer-seed.in.jsonl"
if [ "${ESC_REGEN:-0}" = 1 ] && [ "$rc" = 0 ]; then
	cp "$T/out" "$G/offer-seed.out.jsonl"
	note "regenerated $G/offer-seed.out.jsonl"
fi
is "$rc" 0 "offer-seed: exit 0"
diff_ok "$T/out" "$G/offer-seed.out.jsonl" "offer-seed: output matches the golden file"

# ---- options ------------------------------------------------------------------------------
run esc-offer --help
is "$rc" 0 "--help exits 0"
like "$(head -n 1 "$T/out")" '^usage: esc-offer ' "--help prints the usage on stdout"
is "$(cat "$T/err")" "" "--help writes nothing on stderr"
grep -q -- '--seed' "$T/out" && grep -q -- '--persona' "$T/out" && grep -q -- '--strict' "$T/out" &&
	grep -q -- '--rejects' "$T/out"
ok $? "--help lists --seed, --persona, --strict, --rejects"
run esc-offer -h
is "$rc/$(head -n 1 "$T/out" | cut -c1-16)" "0/usage: esc-offer" "-h is --help"
run esc-offer --version
is "$rc" 0 "--version exits 0"
like "$(cat "$T/out")" '^esc-offer [0-9]+\.[0-9]+\.[0-9]+$' "--version prints \"esc-offer X.Y.Z\" on stdout"
run esc-offer -V
is "$rc/$(cat "$T/out")" "0/$(tool esc-offer --version)" "-V is --version"
run esc-offer --no-such-option < /dev/null
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "an unknown option: exit 2, nothing on stdout"
like "$(cat "$T/err")" "unrecognized option '--no-such-option'" "... named on stderr"
like "$(cat "$T/err")" '^usage: esc-offer ' "... with the usage on stderr"
run esc-offer -x < /dev/null
is "$rc" 2 "an unknown short option: exit 2"
run esc-offer --seed abc < /dev/null
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "--seed abc: exit 2, nothing on stdout"
like "$(head -n 1 "$T/err")" '^esc-offer: error: --seed: not a number( from 0 to [0-9]+)?: abc$' "... saying so"
run esc-offer --seed "" < /dev/null
is "$rc" 2 "--seed '': exit 2"
run esc-offer --seed 12x < /dev/null
is "$rc" 2 "--seed 12x: exit 2"
run esc-offer --seed < /dev/null
is "$rc" 2 "--seed without a value: exit 2"
run esc-offer --seed -1 < /dev/null
is "$rc" 2 "--seed -1 (not a non-negative integer): exit 2"
run esc-offer --seed 99999999999999999999999 < /dev/null
is "$rc" 2 "--seed 99999999999999999999999 (out of range): exit 2"
run esc-offer --seed 4294967295 < /dev/null
is "$rc/$(lines "$T/out")" "0/0" "--seed 4294967295: taken"
msg p "$Q_NUMBERS" > "$T/one.in"
tool esc-detect "$T/one.in" > "$T/one.scored" 2> "$T/err"
run esc-offer --persona "$(printf 'K\377m')" "$T/one.scored"
is "$rc/$(lines "$T/out")" "2/0" "--persona with invalid UTF-8: a usage error, exit 2, nothing written"
like "$(head -n 1 "$T/err")" '^esc-offer: error: --persona: ' "... naming --persona"
run esc-offer --persona "" "$T/one.scored"
is "$rc/$(lines "$T/out")" "2/0" "--persona '': exit 2, nothing written"
run esc-offer --persona 'K"im \o/' "$T/one.scored"
is "$rc/$(jq -r .offer.persona "$T/out")" '0/K"im \o/' "--persona with a quote and a backslash: escaped, read back as given"
run esc-offer --now 2026-03-01T10:00:00Z "$T/one.scored"
is "$rc/$(lines "$T/out")" "0/1" "--now with a good time: exit 0"
run esc-offer --now yesterday "$T/one.scored"
is "$rc/$(lines "$T/out")" "2/0" "--now yesterday: exit 2, nothing written"
is "$(cat "$T/err")" "esc-offer: error: --now: not an RFC 3339 time: yesterday" "... saying so"
ESC_NOW=yesterday
export ESC_NOW
run esc-offer "$T/one.scored"
unset ESC_NOW
is "$rc" 2 "ESC_NOW=yesterday: exit 2"
run esc-offer --seed 3 --persona Kim - < "$T/one.scored"
is "$rc/$(jq -r .offer.persona "$T/out")" "0/Kim" "options before '-' (stdin): read"
done_testing
