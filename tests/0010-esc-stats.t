#!/bin/sh
# esc-stats: a small store filled through the real pipeline (esc-detect |
# esc-offer | esc-log, then event lines to esc-log), whose figures are
# worked out by hand below (or with the sqlite3 shell on the same file);
# every output format; --since/--until/--by; the Wilson interval; --alerts
# once and only once; several --db; the store errors; bad options.
. "$(dirname "$0")/lib.sh"

plan 137

command -v sqlite3 > /dev/null 2>&1 || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }

DB=$T/esc.db
# now, for the report: 2026-03-10T11:40:00Z
NOW=2026-03-10T11:40:00Z
sq() { sqlite3 "$DB" "$@"; }
# unix seconds of an RFC 3339 time, by the sqlite3 shell
ts() { sqlite3 :memory: "SELECT unixepoch('$1')" 2>/dev/null || sqlite3 :memory: "SELECT strftime('%s', '$1')"; }
# one JSON line per row of section $1 of $T/out, keys $2 (a jq array)
sec() { jq -c "select(.section == \"$1\") | $2" "$T/out"; }

# ---- the store -----------------------------------------------------------------
# Eight escalations, 56 questions that escalate to nothing (64 in all):
#   p1 03-02 10:00 paid mentorship (audit)  converted 12:00 (2h), 499
#   p2 03-04 10:00 paid course              converted 03-05 10:00 (24h), 99
#   p3 03-09 10:00 paid mentorship          not converted
#   h4 03-01 09:00 human high, cancel_threat (competitor); dana: first response
#        09:30 (due 10:00, met), resolved 18:00 "lost" (due 17:00: breached)
#   h1 03-03 09:00 human high, cancel_threat (cancel); dana: first response
#        09:20 (met), resolved 10:00 "saved" (met)
#   h5 03-05 09:00 human high, missed_appointment; finn: first response 09:10,
#        resolved 10:00 "saved" (met; not a cancel threat)
#   h2 03-10 11:00 human critical (7500 at risk), executive; open, assigned to
#        erin; touches 4; first response due 11:15, resolution 13:00
#   h3 03-10 11:20 human high, billing_dispute; open; first response due 12:20,
#        resolution 19:20
# and c8, two messages that do not escalate: +0.76 at 11:00, then -0.49 at 11:30.
# A conversion of a user with no escalation stays unattributed.
msg() { # id time user text [extra json]
	jq -nc --arg id "$1" --arg at "$2" --arg u "$3" --arg t "$4" --argjson x "${5:-{\}}" \
		'{id: $id, created_at: $at, user_id: $u, conversation_id: ("c-" + $id), tier: "pro", text: $t} + $x'
}
{
	msg p1 2026-03-02T10:00:00Z u1 "Can you audit my business and fix my funnel?"
	msg p2 2026-03-04T10:00:00Z u2 "Can you break down the technique step by step in depth?" '{"tier":"free"}'
	msg p3 2026-03-09T10:00:00Z u3 "Can you audit my business and fix my funnel?"
	msg h4 2026-03-01T09:00:00Z u4 "I'm switching to your competitor, this is the third time I'm complaining"
	msg h1 2026-03-03T09:00:00Z u5 "I want to cancel my subscription, this is terrible service"
	msg h5 2026-03-05T09:00:00Z u6 "Your stylist never showed up, I missed my appointment and I am furious"
	msg h2 2026-03-10T11:00:00Z u7 "I am going to call my lawyer about this charge" '{"touches":4,"revenue_at_risk":7500}'
	msg h3 2026-03-10T11:20:00Z u8 'I want a refund, you charged me "twice"'
	msg s1 2026-03-10T11:00:00Z u9 "Thank you so much, this is wonderful!" '{"conversation_id":"c8"}'
	msg s2 2026-03-10T11:30:00Z u9 "That was disappointing" '{"conversation_id":"c8"}'
	for i in $(seq 10 63); do
		msg "n$i" "$(printf '2026-03-06T10:%02d:00Z' $((i - 10)))" "v$i" "How do I pluck a hairline?"
	done
} > "$T/chats.jsonl"
cat > "$T/events.jsonl" <<'EOF'
{"event":"conversion","id":"ev-c1","message_id":"p1","offer":"mentorship","value":499,"at":"2026-03-02T12:00:00Z"}
{"event":"conversion","id":"ev-c2","message_id":"p2","offer":"course","value":99,"at":"2026-03-05T10:00:00Z"}
{"event":"conversion","id":"ev-c3","user_id":"nobody","offer":"course","value":99,"at":"2026-03-05T11:00:00Z"}
{"event":"assignment","id":"ev-h4a","message_id":"h4","agent":"dana","at":"2026-03-01T09:05:00Z"}
{"event":"first_response","id":"ev-h4f","message_id":"h4","agent":"dana","at":"2026-03-01T09:30:00Z"}
{"event":"resolution","id":"ev-h4r","message_id":"h4","agent":"dana","outcome":"lost","at":"2026-03-01T18:00:00Z"}
{"event":"assignment","id":"ev-h1a","message_id":"h1","agent":"dana","at":"2026-03-03T09:10:00Z"}
{"event":"first_response","id":"ev-h1f","message_id":"h1","agent":"dana","at":"2026-03-03T09:20:00Z"}
{"event":"resolution","id":"ev-h1r","message_id":"h1","agent":"dana","outcome":"saved","at":"2026-03-03T10:00:00Z"}
{"event":"first_response","id":"ev-h5f","message_id":"h5","agent":"finn","at":"2026-03-05T09:10:00Z"}
{"event":"resolution","id":"ev-h5r","message_id":"h5","agent":"finn","outcome":"saved","at":"2026-03-05T10:00:00Z"}
{"event":"assignment","id":"ev-h2a","message_id":"h2","agent":"erin","at":"2026-03-10T11:05:00Z"}
EOF
tool esc-detect "$T/chats.jsonl" 2> "$T/err" | tool esc-offer 2>> "$T/err" |
	tool esc-log --db "$DB" --now 2026-03-10T11:50:00Z > /dev/null 2>> "$T/err"
ok $? "esc-detect | esc-offer | esc-log fills the store"
tool esc-log --db "$DB" --now 2026-03-10T11:50:00Z "$T/events.jsonl" > /dev/null 2>> "$T/err"
ok $? "esc-log takes the events"
# the premises the figures below stand on
is "$(sq "SELECT group_concat(message_id || ':' || route || ':' || coalesce(offer, playbook) || ':' || severity, ' ')
	FROM (SELECT * FROM escalations ORDER BY created_at)")" \
	"h4:human:cancel_threat:high p1:paid:mentorship:low h1:human:cancel_threat:high p2:paid:course:low h5:human:missed_appointment:high p3:paid:mentorship:low h2:human:executive:critical h3:human:billing_dispute:high" \
	"premise: the eight escalations, their routes, offers, playbooks and severities"
is "$(sq "SELECT count(*) FROM questions")" 64 "premise: 64 questions"
is "$(sq "SELECT group_concat(message_id || ':' || status || ':' || coalesce(agent, '-'), ' ') FROM (SELECT * FROM escalations WHERE route = 'human' ORDER BY created_at)")" \
	"h4:resolved:dana h1:resolved:dana h5:resolved:finn h2:assigned:erin h3:open:-" \
	"premise: the human escalations' states and agents"

# ---- totals ----------------------------------------------------------------
run esc-stats --db "$DB" --now "$NOW"
is "$rc" 0 "default report: exit 0"
is "$(jq -r .section "$T/out" | uniq | tr '\n' ' ')" \
	"totals by_offer by_reason by_tier by_template by_severity recent sla leaderboard " \
	"default report: every section, in order, each line with its \"section\""
is "$(sec totals '[.questions, .escalations, .paid, .human, .escalation_rate, .paid_rate, .target, .verdict, .conversions, .conversion_value, .unattributed_conversions]')" \
	'[64,8,3,5,0.125,0.0469,"10-15%","below",2,598,1]' \
	"totals: 64 questions, 8 escalations (3 paid, 5 human), 12.5%; paid 4.7%, below the 10-15% target; 2 conversions worth 598, 1 unattributed"
# Wilson by awk, a second implementation: 2 of 8
wilson() {
	awk -v x="$1" -v n="$2" 'BEGIN { z = 1.96; p = x / n; d = 1 + z * z / n;
		c = (p + z * z / (2 * n)) / d; h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
		lo = c - h; hi = c + h; if (lo < 0) lo = 0; if (hi > 1) hi = 1;
		printf "[%.4f,%.4f]\n", lo, hi }'
}
is "$(jq -c 'select(.section == "totals") | [.conversion_rate_lo, .conversion_rate_hi] | map(. * 10000 | round / 10000)' "$T/out" |
	awk -F '[][,]' '{ printf "[%.4f,%.4f]\n", $2, $3 }')" "$(wilson 2 8)" \
	"totals: conversion rate 2/8 with its Wilson interval"

# ---- by offer, reason, tier, template, severity ---------------------------------
is "$(sec by_offer '[.offer, .escalations, .conversions, .conversion_rate, .conversion_rate_lo, .conversion_rate_hi, .ttc_median, .ttc_mean, .conversion_value]')" \
	'[null,5,0,0,0,0.4345,null,null,0]
["mentorship",2,1,0.5,0.0945,0.9055,7200,7200,499]
["course",1,1,1,0.2065,1,86400,86400,99]' \
	"by_offer: mentorship 1 of 2 (Wilson 9.45-90.55%), course 1 of 1 (20.65-100%), times to conversion 2h and 24h"
is "$(sec by_severity '[.severity, .escalations, .conversions]' | tr '\n' ' ')" \
	'["critical",1,0] ["high",4,0] ["low",3,2] ' "by_severity: critical 1, high 4, low 3 with 2 conversions, most urgent first"
is "$(sec by_tier '[.tier, .escalations, .conversions]' | tr '\n' ' ')" \
	'["pro",7,1] ["free",1,1] ' "by_tier: pro 7 (1 converted), free 1 (converted)"
# the rates by tier read every question: the default report leaves them
# null; asked for by name, they are counted again by the sqlite3 shell:
# escalations and paid questions over the tier's questions
is "$(sec by_tier '[.questions, .escalation_rate, .paid_rate]' | sort -u)" "[null,null,null]" \
	"by_tier in the default report: its questions and rates null"
cp "$T/out" "$T/default.out"
run esc-stats --db "$DB" --now "$NOW" --section tier
is "$(sec by_tier '[.tier, .questions, .escalation_rate, .paid_rate]' | tr '\n' ' ')" \
	"$(sq "SELECT json_array(tier, count(*),
			round(1.0 * (SELECT count(*) FROM escalations e WHERE e.tier IS q.tier) / count(*), 4),
			round(avg(route = 'paid'), 4))
		FROM questions q GROUP BY tier ORDER BY (SELECT count(*) FROM escalations e WHERE e.tier IS q.tier) DESC" |
		sed 's/\.0\([],]\)/\1/g' | tr '\n' ' ')" \
	"--section tier: each tier's questions, escalation rate and paid rate"
run esc-stats --db "$DB" --now "$NOW" -t --section tier
is "$(grep -A1 '^Escalation and conversion by tier' "$T/out" | tail -n 1 | tr -s ' ')" \
	" tier questions escalations esc. rate paid rate conv. conv. rate (95% CI) median ttc mean ttc value" \
	"-t --section tier: the questions and rates shown"
run esc-stats --db "$DB" --now "$NOW" -t
is "$(sed -n '/^Escalation and conversion by tier/,/^$/p' "$T/out" | sed -n '2p;$!{$p}' | tr -s ' ')" \
	" tier escalations conv. conv. rate (95% CI) median ttc mean ttc value" \
	"-t, the default report: the columns not computed are left out, not shown as -"
is "$(sed -n '/^Escalation and conversion by tier/,/^$/p' "$T/out" | grep '^  (')" \
	"  (questions and rates per tier: esc-stats --section tier)" "... with a note saying how to get them"
run esc-stats --db "$DB" --now "$NOW" --csv
is "$(grep -c '^by_tier,' "$T/out")/$(grep -c '^section,tier,questions,escalations,escalation_rate,paid_rate,' "$T/out")" "2/1" \
	"--csv keeps every column: a spreadsheet's columns do not move"
cp "$T/default.out" "$T/out"
is "$(sec by_template '[.template, .escalations]' | tr '\n' ' ')" \
	'[null,5] ["mentorship.audit",2] ["course.technique",1] ' "by_template: the templates used"
is "$(sec by_reason '.escalations' | awk '{ s += $1 } END { print s }')" 8 "by_reason: the rows add up to the 8 escalations"

# ---- recent ---------------------------------------------------------------------
is "$(sec recent '.id' | wc -l | tr -d ' ')" 8 "recent: all 8 (fewer than the default 10)"
h3id=$(sq "SELECT id FROM escalations WHERE message_id = 'h3'")
is "$(sec recent '[.id, .created_at, .status, .question]' | head -n 1)" \
	"[$h3id,\"2026-03-10T11:20:00Z\",\"open\",\"I want a refund, you charged me \\\"twice\\\"\"]" "recent: the latest first, with its question"
run esc-stats --db "$DB" --now "$NOW" --section recent --limit 3
is "$(jq -r '.created_at' "$T/out" | tr '\n' ' ')" "2026-03-10T11:20:00Z 2026-03-10T11:00:00Z 2026-03-09T10:00:00Z " \
	"--limit 3: the three latest, newest first"

# a store written before esc-log refused to credit a conversion dated before
# its escalation: p2 converted an hour before it was created. Still a
# conversion, but no time to conversion: none is negative.
sq ".backup '$T/early.db'"
sqlite3 "$T/early.db" "UPDATE escalations SET converted_at = created_at - 3600 WHERE message_id = 'p2'"
run esc-stats --db "$T/early.db" --now "$NOW" --section offer --section tier
is "$(sec by_offer '[.offer, .conversions, .ttc_median, .ttc_mean]' | tr '\n' ' ')" \
	'[null,0,null,null] ["mentorship",1,7200,7200] ["course",1,null,null] ' \
	"a conversion before its escalation (an older store): counted, but no time to conversion"
is "$(sec by_tier '[.tier, .conversions, .ttc_median, .ttc_mean]' | tr '\n' ' ')" \
	'["pro",1,7200,7200] ["free",1,null,null] ' "... in every by_* table"
run esc-stats --db "$T/early.db" --now "$NOW" --section offer -t
is "$rc/$(grep -c -- ' -[0-9]' "$T/out")" "0/0" "... and -t prints no negative duration"

# ---- SLA ------------------------------------------------------------------------
# High: first response h4, h1, h5 met (30m, 20m, 10m); h3 due 12:20 is 40m
# away: pending (the warning is 30m). Median 20m, p90 (3rd of 3) 30m.
# Resolution: h1, h5 met (1h each), h4 breached (9h, due 8h); h3 pending.
# Critical: h2's first response was due 11:15: breached; resolution pending.
run esc-stats --db "$DB" --now "$NOW" --section sla
is "$(jq -c '[.severity, .escalations, .first_response_met, .first_response_breached, .first_response_at_risk, .first_response_pending, .first_response_median, .first_response_p90]' "$T/out" | tr '\n' ' ')" \
	'["critical",1,0,1,0,0,null,null] ["high",4,3,0,0,1,1200,1800] ' \
	"sla, first response: critical 1 breached; high 3 met, 1 pending, median 20m, p90 30m"
is "$(jq -c '[.resolution_met, .resolution_breached, .resolution_at_risk, .resolution_pending, .resolution_median, .resolution_p90]' "$T/out" | tr '\n' ' ')" \
	'[0,0,0,1,null,null] [2,1,0,1,3600,32400] ' "sla, resolution: critical 1 pending; high 2 met, 1 breached, 1 pending, median 1h, p90 9h"
run esc-stats --db "$DB" --now 2026-03-10T12:40:00Z --section sla
is "$(jq -c '[.severity, .first_response_breached, .resolution_at_risk, .resolution_pending]' "$T/out" | tr '\n' ' ')" \
	'["critical",1,1,0] ["high",1,0,1] ' \
	"--now 12:40: h3's first response is breached, h2's resolution (13:00) at risk"

# ---- leaderboard ------------------------------------------------------------------
# dana: h4 (9h, lost, missed its due), then h1 (1h, saved a cancel threat, met):
# 2 resolved, median 5h, 1 saved, streak 1. finn: h5 (1h, saved, but no cancel
# threat): 1 resolved, 0 saved, streak 1.
run esc-stats --db "$DB" --now "$NOW" --section leaderboard
is "$(jq -c '[.rank, .agent, .resolved, .resolution_median, .saved, .streak]' "$T/out" | tr '\n' ' ')" \
	'[1,"dana",2,18000,1,1] [2,"finn",1,3600,0,1] ' "leaderboard: dana first (1 saved from a cancel threat), finn second"

# ---- --since, --until, --by ------------------------------------------------------------
run esc-stats --db "$DB" --now "$NOW" --section totals --since 2026-03-03 --until 2026-03-10
want_q=$(sq "SELECT count(*) FROM questions WHERE created_at >= $(ts 2026-03-03) AND created_at < $(ts 2026-03-10)")
is "$(sec totals '[.questions, .escalations, .paid, .conversions]')" "[$want_q,4,2,1]" \
	"--since 2026-03-03 --until 2026-03-10: h1, p2, h5, p3 ($want_q questions by the sqlite3 shell)"
run esc-stats --db "$DB" --now "$NOW" --section totals --since 2026-03-10T11:00:00+00:00
is "$(sec totals '[.escalations, .questions]')" "[2,4]" "--since with an offset: h2 and h3, of 4 questions"
run esc-stats --db "$DB" --now "$NOW" --section offer --by day
is "$(sec by_offer '[.bucket, .offer, .escalations, .conversions]' | grep mentorship | tr '\n' ' ')" \
	'["2026-03-02","mentorship",1,1] ["2026-03-09","mentorship",1,0] ' "--by day: mentorship on 03-02 (converted) and 03-09"
run esc-stats --db "$DB" --now "$NOW" --section totals --by week
# 2026-03-01 is a Sunday: its week began on Monday 02-23
for w in 2026-02-23 2026-03-02 2026-03-09; do
	lo=$(ts $w); hi=$((lo + 7 * 86400))
	printf '["%s",%s,%s]\n' $w "$(sq "SELECT count(*) FROM questions WHERE created_at >= $lo AND created_at < $hi")" \
		"$(sq "SELECT count(*) FROM escalations WHERE created_at >= $lo AND created_at < $hi")"
done > "$T/want"
sec totals '[.bucket, .questions, .escalations]' > "$T/got"
diff_ok "$T/got" "$T/want" "--by week: weeks from Monday, counted again by the sqlite3 shell"
run esc-stats --db "$DB" --now "$NOW" --section totals --by month
is "$(sec totals '[.bucket, .questions, .escalations]')" '["2026-03-01",64,8]' "--by month: March 2026"
# a conversion that matched no escalation, days after the last question: it
# has a bucket of its own, so the rows with --by add up to the report without
mkdir -p "$T/un"
msg u1 2026-03-01T10:00:00Z u1 "How do I pluck a hairline?" | tool esc-detect | tool esc-offer |
	tool esc-log --db "$T/un/s.db" > /dev/null 2>&1
echo '{"event":"conversion","id":"ev-u","user_id":"nobody","offer":"course","value":99,"at":"2026-03-04T10:00:00Z"}' |
	tool esc-log --db "$T/un/s.db" > /dev/null 2>&1
run esc-stats --db "$T/un/s.db" --section totals --by day
is "$(sec totals '[.bucket, .questions, .unattributed_conversions]' | tr '\n' ' ')" \
	'["2026-03-01",1,0] ["2026-03-02",0,0] ["2026-03-03",0,0] ["2026-03-04",0,1] ' \
	"--by day: an unattributed conversion after the last question gets its day"
# an empty store: with both ends of the window the buckets are known, and
# every one has its row of zeros, as in a store with data; with an end open
# there is nothing to span, so no rows
: | tool esc-log --db "$T/empty.db" > /dev/null 2>&1
run esc-stats --db "$T/empty.db" --section totals --by day --since 2026-03-01 --until 2026-03-04
is "$rc/$(sec totals '[.bucket, .questions, .escalations, .conversions, .conversion_value, .unattributed_conversions]' | tr '\n' ' ')" \
	'0/["2026-03-01",0,0,0,0,0] ["2026-03-02",0,0,0,0,0] ["2026-03-03",0,0,0,0,0] ' \
	"an empty store, --by day over a window of three days: a row of zeros each"
run esc-stats --db "$T/empty.db" --section totals --by week --since 2026-03-01 --until 2026-03-10 -t
is "$rc/$(grep -Eo '^  2026-[0-9-]+ +0 +0 +0 +0 ' "$T/out" | awk '{ print $1 }' | tr '\n' ' ')" "0/2026-02-23 2026-03-02 2026-03-09 " \
	"... --by week -t: its three weeks, from Monday"
run esc-stats --db "$T/empty.db" --section totals --by month --since 2026-01-15 --until 2026-03-02 --csv
is "$rc/$(sed 1d "$T/out" | cut -d, -f1-6 | tr '\n' ' ')" "0/totals,2026-01-01,0,0,0,0 totals,2026-02-01,0,0,0,0 totals,2026-03-01,0,0,0,0 " \
	"... --by month --csv: its three months"
run esc-stats --db "$T/empty.db" --since 2026-03-01 --until 2026-03-04 --html "$T/empty.html"
is "$rc/$(grep -c '<rect class="bar"' "$T/empty.html")" "0/3" "... --html: the trend has a bar for each of the three days"
run esc-stats --db "$T/empty.db" --section totals --by day --since 2026-03-01
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "0/0" "... with only --since: no data to span, no rows"
run esc-stats --db "$DB" --now "$NOW" --section leaderboard --by week
is "$(jq -c '[.bucket, .rank, .agent, .resolved, .streak]' "$T/out" | tr '\n' ' ')" \
	'["2026-02-23",1,"dana",1,0] ["2026-03-02",1,"dana",1,1] ["2026-03-02",2,"finn",1,1] ' \
	"--by week leaderboard: ranks and streaks per week (h4 missed: streak 0)"
# a store written before esc-log refused an event dated before its
# escalation: h5 answered 10m and resolved 5m before it came in. It counts
# among the escalations and as finn's resolution, but its times are none:
# not met, not breached, not in a median, p90 or streak, and none negative.
# High, first response: h4 (30m), h1 (20m) met, h3 pending; resolution: h1
# met (1h), h4 breached (9h), h3 pending.
sq ".backup '$T/early-sla.db'"
sqlite3 "$T/early-sla.db" "UPDATE escalations SET first_response_at = created_at - 600, resolved_at = created_at - 300 WHERE message_id = 'h5'"
run esc-stats --db "$T/early-sla.db" --now "$NOW" --section sla --section leaderboard
is "$(sec sla '[.severity, .escalations, .first_response_met, .first_response_breached, .first_response_at_risk, .first_response_pending, .first_response_median, .first_response_p90]' | tr '\n' ' ')" \
	'["critical",1,0,1,0,0,null,null] ["high",4,2,0,0,1,1500,1800] ' \
	"sla from an older store: a first response before its escalation is neither met nor breached, and has no time"
is "$(sec sla '[.resolution_met, .resolution_breached, .resolution_at_risk, .resolution_pending, .resolution_median, .resolution_p90]' | tr '\n' ' ')" \
	'[0,0,0,1,null,null] [1,1,0,1,18000,32400] ' "... nor a resolution before it"
is "$(sec leaderboard '[.rank, .agent, .resolved, .resolution_median, .saved, .streak]' | tr '\n' ' ')" \
	'[1,"dana",2,18000,1,1] [2,"finn",1,null,0,0] ' \
	"leaderboard: the resolution before its escalation is finn's, with no median and no streak"
run esc-stats --db "$T/early-sla.db" --now "$NOW" --section sla --section leaderboard --by week -t
is "$rc/$(grep -c -- ' -[0-9]' "$T/out")" "0/0" "... and -t --by week prints no negative duration"

# ---- output formats -----------------------------------------------------------------
run esc-stats --db "$DB" --now "$NOW" -t
is "$rc" 0 "-t: exit 0"
like "$(cat "$T/out")" "Conversion by offer" "-t: a heading per section"
sed -n '/^Conversion by offer/,/^$/p' "$T/out" | grep '^  mentorship' > "$T/row"
like "$(cat "$T/row")" '^  mentorship +2 +1 +50\.0% \(9\.5-90\.5\) +2h00m +2h00m +499$' \
	"-t: numbers right-aligned, the rate as a percentage with its interval, durations as 2h00m"
hdr=$(grep -A 1 '^SLA by severity' "$T/out" | sed -n 2p)
row=$(grep -A 3 '^SLA by severity' "$T/out" | sed -n 4p)
is "${#row}" "${#hdr}" "-t: a row is as wide as its heading (aligned)"
like "$(sed -n '/^SLA by severity/,/^$/p' "$T/out" | grep '^  high')" ' 20m00s +30m00s ' "-t: SLA durations as 20m00s"
run esc-stats --db "$DB" --now "$NOW" --csv
is "$rc" 0 "--csv: exit 0"
python3 - "$T/out" > "$T/csv" <<'EOF'
import csv, sys
blocks, cur = [], []
for line in open(sys.argv[1], newline='').read().split('\n\n'):
    rows = list(csv.reader(line.strip('\n').split('\n'))) if line.strip() else []
    blocks.append(rows)
print(len(blocks))
print(all(len(r) == len(b[0]) for b in blocks for r in b))
print([b[0][0] for b in blocks] == ['section'] * len(blocks))
rec = [b for b in blocks if b[1][0] == 'recent'][0]
print(rec[1][rec[0].index('question')])
off = [b for b in blocks if b[1][0] == 'by_offer'][0]
m = [r for r in off if r[1] == 'mentorship'][0]
print(','.join(m[off[0].index(k)] for k in ('conversion_rate', 'conversion_rate_lo', 'conversion_rate_hi')))
EOF
is "$(sed -n 1,3p "$T/csv" | tr '\n' ' ')" "9 True True " "--csv: 9 blocks, a blank line between, every row as wide as its header row"
is "$(sed -n 4p "$T/csv")" 'I want a refund, you charged me "twice"' "--csv: a field with a comma and quotes, RFC 4180 quoted"
is "$(sed -n 5p "$T/csv")" "0.5,0.0945,0.9055" "--csv: a rate and its interval in three columns"
# customers' words that a spreadsheet would run as a formula: a ' first
printf '%s\n' '{"id":"f1","conversation_id":"cf","user_id":"@uf","created_at":"2026-03-02T10:00:00Z","role":"customer","text":"=HYPERLINK(\"http://x.example/\"&A1) I want to cancel, I will talk to my lawyer","tier":"+1"}' |
	tool esc-detect | tool esc-offer | tool esc-log --db "$T/formula.db" > /dev/null 2> "$T/err"
echo '{"event":"assignment","id":"fa","message_id":"f1","agent":"-dana","at":"2026-03-02T10:05:00Z"}' |
	tool esc-log --db "$T/formula.db" > /dev/null 2>> "$T/err"
run esc-stats --db "$T/formula.db" --now "$NOW" --section recent --section tier --csv
is "$(python3 -c 'import csv, sys
r = [x for x in csv.reader(open(sys.argv[1], newline="")) if x]
h = r[0]; t = r[1]; h2 = r[2]; e = r[3]
print(t[h.index("tier")], e[h2.index("agent")], e[h2.index("user_id")], e[h2.index("question")][:12], sep="|")' "$T/out")" \
	"'+1|'-dana|'@uf|'=HYPERLINK(" "--csv: a text starting with = + - @ gets a ' first, so no spreadsheet runs it"
run esc-stats --db "$T/formula.db" --now "$NOW" --section recent
is "$(jq -r '[.agent, .user_id, .question[:11]] | join("|")' "$T/out")" "-dana|@uf|=HYPERLINK(" "... JSON keeps the text as it is"
run esc-stats --db "$DB" --now "$NOW" --explain
like "$(cat "$T/out")" "USING COVERING INDEX escalations_cube" "--explain: the by_* counts read the covering index"
like "$(cat "$T/out")" "USING COVERING INDEX escalations_sla" "--explain: the SLA reads its covering index"

# ---- --html, rendered by Chromium ----------------------------------------------------------
run esc-stats --db "$DB" --now "$NOW" --html "$T/report.html"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "0/0" "--html FILE: exit 0, nothing on stdout"
is "$(grep -c '<svg class="chart"' "$T/report.html")" 3 "--html: three charts"
grep -Eiq '(src|href)="(https?:)?//' "$T/report.html"
ok $((! $?)) "--html: no external resource"
grep -q 'n=2' "$T/report.html" && grep -q 'class="err"' "$T/report.html"
ok $? "--html: conversion by offer with error bars"
CHROMIUM=
for c in chromium chromium-browser google-chrome; do
	command -v "$c" > /dev/null 2>&1 && { CHROMIUM=$c; break; }
done
if [ -n "$CHROMIUM" ]; then
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
		--dump-dom "file://$T/report.html" > "$T/dom.html" 2> "$T/chrome.err"
	for chart in offer trend sla; do
		tag=$(grep -o "<svg[^>]*id=\"chart-$chart\"[^>]*>" "$T/dom.html")
		size=$(printf '%s' "$tag" | sed -n 's/.*data-rendered="\([0-9]*\)×\([0-9]*\)".*/\1 \2/p')
		marks=$(sed -n "/id=\"chart-$chart\"/,/<\/svg>/p" "$T/dom.html" | grep -Ec '<(rect|path)')
		ok "$(echo "$size" | awk -v m="$marks" '$1 > 0 && $2 > 0 && m > 1 { print 0; exit } { print 1 }')" \
			"Chromium renders the $chart chart: size ${size:-none}, $marks marks"
	done
else
	skip 3 "Chromium is not installed (apt-get install chromium)"
fi

# ---- --alerts --------------------------------------------------------------------------------
cp "$DB" "$T/b.db"
run esc-stats --db "$DB" --alerts --now "$NOW"
is "$rc" 0 "--alerts: exit 0 when there are alerts"
h2id=$(sq "SELECT id FROM escalations WHERE message_id = 'h2'")
is "$(jq -c '[.kind, .escalation_id // .conversation_id]' "$T/out" | sort | tr '\n' ' ')" \
	"[\"sentiment_drop\",\"c8\"] [\"sla_breach\",$h2id] [\"touches\",$h2id] [\"value_at_risk\",$h2id] " \
	"--alerts at 11:40: h2's first response past due, its 4 touches, its 7500 at risk; c8's drop"
is "$(jq -c 'select(.kind == "sla_breach") | [.sla, .severity, .due, .agent, .user_id, .status]' "$T/out")" \
	'["first_response","critical","2026-03-10T11:15:00Z","erin","u7","assigned"]' \
	"sla_breach: which SLA, severity, due time, agent, user, status"
like "$(jq -r 'select(.kind == "sla_breach") | .message' "$T/out")" \
	"first response to escalation $h2id \\(critical\\) was due at 2026-03-10T11:15:00Z: 25m00s late" \
	"sla_breach: a message for a person"
is "$(jq -c 'select(.kind == "sentiment_drop") | [.message_id, .sentiment, .best_before]' "$T/out")" '["s2",-0.4939,0.7574]' \
	"sentiment_drop: the latest message, its sentiment and the best before it"
is "$(sq "SELECT count(*) FROM alerts_sent")" 4 "the four alerts are recorded in alerts_sent"
run esc-stats --db "$DB" --alerts --now "$NOW"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "1/0" "--alerts again, same time: nothing, exit 1"
run esc-stats --db "$DB" --alerts --now 2026-03-10T11:49:00Z
is "$rc" 1 "--alerts at 11:49: h3's warning is not due until 11:50"
run esc-stats --db "$DB" --alerts --now 2026-03-10T11:55:00Z
is "$rc/$(jq -c '[.kind, .escalation_id, .sla]' "$T/out")" "0/[\"sla_warning\",$h3id,\"first_response\"]" \
	"--alerts at 11:55: h3's first-response warning"
like "$(jq -r .message "$T/out")" "first response to escalation $h3id \\(high\\) is due in 25m00s, at 2026-03-10T12:20:00Z" \
	"sla_warning: a message for a person"
run esc-stats --db "$DB" --alerts --now 2026-03-10T12:31:00Z
is "$rc/$(jq -c '[.kind, .escalation_id, .sla]' "$T/out" | tr '\n' ' ')" \
	"0/[\"sla_warning\",$h2id,\"resolution\"] [\"sla_breach\",$h3id,\"first_response\"] " \
	"--alerts at 12:31: h2's resolution warning, h3's first-response breach"
run esc-stats --db "$DB" --alerts --now 2026-03-10T12:32:00Z
is "$rc" 1 "--alerts a minute later: nothing new, exit 1"
sq "UPDATE escalations SET status = 'resolved', resolved_at = $(ts 2026-03-10T12:35:00Z) WHERE message_id IN ('h2', 'h3')"
run esc-stats --db "$DB" --alerts --now 2026-03-10T20:00:00Z
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "1/0" "resolved escalations raise no alert (h2's and h3's resolutions would be past due)"
# a failed write sends nothing and records nothing
if [ -w /dev/full ]; then
	tool esc-stats --db "$T/b.db" --alerts --now "$NOW" > /dev/full 2> "$T/err"
	rc=$?
	is "$rc/$(sqlite3 "$T/b.db" 'SELECT count(*) FROM alerts_sent')" "5/0" \
		"--alerts > /dev/full: exit 5, and no alert is recorded as sent"
else
	skip 1 "no /dev/full"
fi

# ---- several --db -------------------------------------------------------------------------------
run esc-stats --db "$DB" --db "$T/b.db" --now "$NOW" --section totals --section recent --limit 2
is "$rc" 0 "two --db: exit 0"
is "$(sec totals '[.questions, .escalations, .conversions]')" "[128,16,4]" "two --db: totals over both files"
is "$(sec recent '.db' | sort | tr '\n' ' ')" "\"$T/b.db\" \"$DB\" " "two --db: each recent row says which file it came from"
run esc-stats --db "$DB" --now "$NOW" --section recent --limit 1
is "$(jq 'has("db")' "$T/out")" false "one --db: no \"db\" field"
run esc-stats --db "$DB" --db "$T/b.db" --alerts --now "$NOW"
is "$rc/$(jq -r .db "$T/out" | sort -u)" "0/$T/b.db" "two --db --alerts: only b.db's alerts are new, each naming its file"
is "$(sqlite3 "$T/b.db" 'SELECT count(*) FROM alerts_sent')/$(sq 'SELECT count(*) FROM alerts_sent')" "4/7" \
	"... and recorded in b.db, not in the first file (7 there from before)"
run esc-stats --db "$DB" --db "$DB" --now "$NOW"
is "$rc" 6 "the same file twice: exit 6"
like "$(cat "$T/err")" "the same file as" "... saying so"
set --
for i in $(seq 0 11); do cp "$T/b.db" "$T/m$i.db"; set -- "$@" --db "$T/m$i.db"; done
run esc-stats "$@" --section totals --section recent --limit 100
is "$rc/$(sec totals .escalations)" "0/96" "12 files, more than SQLite attaches at once: read together"
is "$(sec recent .db | sort -u | wc -l | tr -d ' ')" 12 "... each recent row naming its own file"
set --
for i in $(seq 0 10); do set -- "$@" --db "$T/m$i.db"; done
run esc-stats "$@" --section totals
is "$rc/$(sec totals .escalations)" "0/88" "11 files: the most SQLite attaches, read together"

# ---- store errors -----------------------------------------------------------------------------------
run esc-stats --db "$T/none.db"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "6/0" "a missing store: exit 6"
like "$(cat "$T/err")" "none\\.db" "... the message names the file"
[ ! -e "$T/none.db" ]
ok $? "... and esc-stats did not create it"
ESC_DB=$T/none.db
export ESC_DB
run esc-stats
unset ESC_DB
is "$rc" 6 "a missing \$ESC_DB: exit 6"
echo "not a database, just text" > "$T/text.db"
run esc-stats --db "$T/text.db"
is "$rc" 6 "a file that is not SQLite: exit 6"
like "$(cat "$T/err")" "text\\.db.*not a database" "... saying so, with the file's name"
cp "$T/b.db" "$T/new.db"
sqlite3 "$T/new.db" "PRAGMA user_version = 99"
run esc-stats --db "$T/new.db"
is "$rc" 6 "a store with a newer schema: exit 6"
like "$(cat "$T/err")" "newer" "... saying it is newer"
cp "$T/b.db" "$T/lock.db"
( printf 'PRAGMA locking_mode = EXCLUSIVE;\nBEGIN EXCLUSIVE;\nSELECT 1;\n'; sleep 4 ) |
	sqlite3 "$T/lock.db" > /dev/null 2>&1 &
lockpid=$!
sleep 1
ESC_BUSY_TIMEOUT=100
export ESC_BUSY_TIMEOUT
run esc-stats --db "$T/lock.db" --section totals
unset ESC_BUSY_TIMEOUT
kill "$lockpid" 2> /dev/null
wait "$lockpid" 2> /dev/null
is "$rc" 6 "a locked store: exit 6"
like "$(cat "$T/err")" "lock\\.db.*locked" "... saying it is locked"
# Read-only stores. Root may write any file: as root the tools run as nobody
# (65534) by setpriv (util-linux), on copies nobody can read. $T/rw is a
# directory nobody may write in, $T/ro one nobody may not: there a store with
# no -wal beside it is opened immutable (lib/store.c).
as_nobody
# run, as the user the read-only tests run as
run_ro() {
	ro_vg=$VALGRIND
	VALGRIND="$ASUSER $VALGRIND"
	run "$@"
	VALGRIND=$ro_vg
}
mkdir "$T/ro" "$T/rw"
cp "$T/b.db" "$T/ro/s.db"
cp "$T/b.db" "$T/rw/s.db"
chmod 444 "$T/ro/s.db" "$T/rw/s.db"
chmod 555 "$T/ro"
if [ -n "$ASUSER" ]; then
	chmod 711 "$T"
	chmod 777 "$T/rw"
fi
# nobody must reach the copies and the data files (migrations are listed)
if [ "$ro_ok" = 1 ] && ! $ASUSER sh -c 'test -r "$1" && ls "$2/sql" > /dev/null' sh \
	"$T/ro/s.db" "$ESC_SHARE" 2> /dev/null; then
	ro_ok=0
fi
if [ "$ro_ok" = 1 ]; then
	[ -z "$ASUSER" ] || note "running as root: the read-only stores are read as uid 65534 (setpriv)"
	ev='{"event":"conversion","id":"ev-ro","user_id":"u-ro","offer":"course","value":1,"at":"2026-03-10T11:00:00Z"}'
	run_ro esc-stats --db "$T/rw/s.db" --now "$NOW" --section totals
	is "$rc/$(sec totals .escalations)" "0/8" "a read-only store (in a writable directory): the report still runs"
	run_ro esc-stats --db "$T/rw/s.db" --now "$NOW" --alerts
	is "$rc" 6 "a read-only store, --alerts: exit 6"
	like "$(cat "$T/err")" "rw/s\.db: read-only" "... saying it needs to write"
	run_ro esc-stats --db "$T/ro/s.db" --now "$NOW" --section totals
	is "$rc/$(sec totals .escalations)" "0/8" \
		"a read-only store in a read-only directory, no -wal (opened immutable): the report runs"
	run_ro esc-stats --db "$T/ro/s.db" --now "$NOW"
	is "$rc/$(jq -r .section "$T/out" | uniq | wc -l | tr -d ' ')" "0/9" "... every section of it"
	run_ro esc-stats --db "$T/ro/s.db" --now "$NOW" --alerts
	is "$rc" 6 "... --alerts: exit 6"
	like "$(cat "$T/err")" "ro/s\.db: read-only" "... saying it needs to write"
	printf '%s\n' "$ev" > "$T/ev.jsonl"
	run_ro esc-log --db "$T/rw/s.db" --now "$NOW" "$T/ev.jsonl"
	is "$rc" 6 "esc-log on a read-only store: exit 6"
	like "$(cat "$T/err")" "rw/s\.db: .*readonly" "... the message names the file, read-only"
	run_ro esc-log --db "$T/ro/s.db" --now "$NOW" "$T/ev.jsonl"
	is "$rc" 6 "esc-log on a read-only store in a read-only directory: exit 6"
	like "$(cat "$T/err")" "ro/s\.db: .*readonly" "... the message names the file, read-only"
else
	skip 11 "running as root without setpriv, or uid 65534 cannot read $T: a read-only file is writable"
fi
chmod 755 "$T/ro"

# ---- options -------------------------------------------------------------------------------------
run esc-stats --help
is "$rc/$(head -n 1 "$T/out" | cut -c1-16)" "0/usage: esc-stats" "--help: usage on stdout, exit 0"
run esc-stats --version
like "$rc/$(cat "$T/out")" '^0/esc-stats [0-9]+\.[0-9]+\.[0-9]+$' "--version"
for bad in "--by year" "--section nope" "--limit 0" "--limit x" "--since yesterday" \
	"--until 2026-13-01" "-t --csv" "--alerts -t" "--alerts --section sla" "--no-such" "extra" \
	"--since 2026-03-05 --until 2026-03-01"; do
	# shellcheck disable=SC2086
	run esc-stats --db "$DB" $bad
	is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "bad usage ($bad): exit 2, nothing on stdout"
done
like "$(cat "$T/err")" "^esc-stats: error: --since must be before --until" "... the last one says why"
# a day per row since year 1 is a mistake of the options, not of the store
run esc-stats --db "$DB" --since 0001-01-01 --by day --section totals
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "--by day over 739,000 days: exit 2 (usage), nothing on stdout"
like "$(cat "$T/err")" "^esc-stats: error: --by day over [0-9]+ days: narrow it" "... saying how to narrow it"
# one limit for every --by: 200,000 buckets, whatever their length
run esc-stats --db "$DB" --by day --since 2000-01-01 --until 2547-08-01 --section totals
is "$rc/$(lines "$T/out")" "0/200000" "--by day over 200,000 days exactly: exit 0, a row each"
run esc-stats --db "$DB" --by day --since 2000-01-01 --until 2547-08-01T00:00:01Z --section totals
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "... a second more starts a 200,001st: exit 2"
run esc-stats --db "$DB" --until 9999-12-31 --by week --section totals
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "--by week up to the year 9999 (416,000 weeks): exit 2 (usage), nothing on stdout"
# the first bucket is the week of Monday 2026-02-23, the last that of 9999-12-30
is "$(cat "$T/err")" "esc-stats: error: --by week over $(( ($(ts 9999-12-31) - 1 - $(ts 2026-02-23)) / 604800 + 1 )) weeks: narrow it with --since and --until" \
	"... counting the weeks"
sq ".backup '$T/stray.db'"
sqlite3 "$T/stray.db" "INSERT INTO questions (message_id, created_at, route, logged_at) VALUES ('stray', 1000000000000, 'none', 0)"
run esc-stats --db "$T/stray.db" --by month --section totals
is "$rc/$(wc -c < "$T/out" | tr -d ' ')" "2/0" "--by month over a stray timestamp of the year 33658: exit 2, nothing on stdout"
like "$(cat "$T/err")" "^esc-stats: error: --by month over [0-9]+ months: narrow it" "... counting the months"
# without --by the trend of --html is by day, but the user gave no --by:
# the message names what was asked, and no page is written
run esc-stats --db "$DB" --now "$NOW" --since 0001-01-01 --html "$T/long.html"
is "$rc/$(wc -c < "$T/out" | tr -d ' ')/$(test -e "$T/long.html" && echo page)" "2/0/" \
	"--html over 739,000 days without --by: exit 2 (usage), no page"
is "$(cat "$T/err")" "esc-stats: error: the --html trend over $(( ($(ts 2026-03-10) - $(ts 0001-01-01)) / 86400 + 1 )) days: narrow it with --since and --until" \
	"... naming the trend of --html, not a --by that was not given"
done_testing
