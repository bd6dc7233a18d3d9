#!/bin/sh
# esc-stats, the customer side: the funnel, upsell and opportunities
# sections over a store filled with the sqlite3 shell. Event counts are
# counted again by the sqlite3 shell; the people's funnel (who reached
# which step, when) is worked out by hand below; Wilson intervals by awk.
# JSON, -t, --csv, --html, --section, --since/--until, --customer, several
# stores, the default report, --explain, the empty store.
. "$(dirname "$0")/lib.sh"

plan 53

command -v sqlite3 > /dev/null 2>&1 || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }

DB=$T/crm.db
sq() { sqlite3 "$DB" "$@"; }
sec() { jq -c "select(.section == \"$1\") | $2" "$T/out"; }
wilson() {
	awk -v x="$1" -v n="$2" 'BEGIN { z = 1.96; p = x / n; d = 1 + z * z / n;
		c = (p + z * z / (2 * n)) / d; h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
		lo = c - h; hi = c + h; if (lo < 0) lo = 0; if (hi > 1) hi = 1;
		printf "[%s,%s]\n", int(lo * 10000 + 0.5) / 10000, int(hi * 10000 + 0.5) / 10000 }'
}
r4() { jq -c "$1 | map(if . == null then null else (. * 10000 | round / 10000) end)"; }

# an empty store, made and migrated by esc-log
tool esc-log --db "$DB" < /dev/null > /dev/null 2> "$T/err"
ok $? "esc-log makes an empty store"
cp "$DB" "$T/empty.db"

# ---- the store -------------------------------------------------------------------
# The journeys (2026-03-02 unless said; "shown" etc. are upsell events):
#   A: intake 09:00, started 10:00, completed 11:00, shown 11:10, clicked
#      11:20, purchased 12:00 (recommendation ra1); a summary_viewed too
#   B: intake 09:00, started 09:30, completed 10:30, shown 10:40
#   C: intakes 09:00 and 03-03 09:00, no session
#   D: started 10:00, completed 11:00, no intake (never enters the funnel)
#   E: 03-05: intake 09:00, started 09:10, completed 09:40
#   F: 03-06, seed 003's example: 3 intakes (09:00, 09:05, 09:10), 2 sessions
#      started (10:00, 11:00) and completed (10:30, 11:30), 4 upsells shown
#      (10:31 x3, 11:31), 2 clicked (10:35, 11:40), 1 purchased (10:50)
# Reached in order, and the time from the step before:
#   intake    A B C E F                      5
#   started   A 1h, B 30m, E 10m, F 1h       4 of 5, median 45m
#   completed A 1h, B 1h, E 30m, F 30m       4 of 4, median 45m
#   shown     A 10m, B 10m, F 1m             3 of 4, median 10m
#   clicked   A 10m, F 4m                    2 of 3, median 7m
#   purchased A 40m, F 15m                   2 of 2, median 27m30s
ev() { # id customer type time [session]
	printf "INSERT INTO interactions (event_id, customer_id, type, session_id, at, logged_at) VALUES ('%s', '%s', '%s', %s, strftime('%%s', '%s'), 0);\n" \
		"$1" "$2" "$3" "$([ -n "${5:-}" ] && echo "'$5'" || echo NULL)" "$4"
}
rec() { # customer session type created shown clicked dismissed purchased revenue
	printf "INSERT INTO recommendations (customer_id, session_id, type, title, price_cents, currency, created_at, shown_at, clicked_at, dismissed_at, purchased_at, revenue_cents) VALUES ('%s', '%s', '%s', 'T', 100, 'USD', strftime('%%s', '%s'), strftime('%%s', %s), strftime('%%s', %s), strftime('%%s', %s), strftime('%%s', %s), %s);\n" \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
}
{
	d=2026-03-02
	ev a1 A intake_submitted ${d}T09:00:00
	ev a2 A session_started ${d}T10:00:00 s-a
	ev a3 A session_completed ${d}T11:00:00 s-a
	ev a4 A upsell_shown ${d}T11:10:00 s-a
	ev a5 A upsell_clicked ${d}T11:20:00 s-a
	ev a6 A summary_viewed ${d}T11:05:00 s-a
	ev a7 A checkout_completed ${d}T12:00:00 s-a
	ev b1 B intake_submitted ${d}T09:00:00
	ev b2 B session_started ${d}T09:30:00 s-b
	ev b3 B session_completed ${d}T10:30:00 s-b
	ev b4 B upsell_shown ${d}T10:40:00 s-b
	ev c1 C intake_submitted ${d}T09:00:00
	ev c2 C intake_submitted 2026-03-03T09:00:00
	ev d1 D session_started ${d}T10:00:00 s-d
	ev d2 D session_completed ${d}T11:00:00 s-d
	d=2026-03-05
	ev e1 E intake_submitted ${d}T09:00:00
	ev e2 E session_started ${d}T09:10:00 s-e
	ev e3 E session_completed ${d}T09:40:00 s-e
	d=2026-03-06
	ev f1 F intake_submitted ${d}T09:00:00
	ev f2 F intake_submitted ${d}T09:05:00
	ev f3 F intake_submitted ${d}T09:10:00
	ev f4 F session_started ${d}T10:00:00 s-f1
	ev f5 F session_completed ${d}T10:30:00 s-f1
	ev f6 F upsell_shown ${d}T10:31:00 s-f1
	ev f7 F upsell_shown ${d}T10:31:00 s-f1
	ev f8 F upsell_shown ${d}T10:31:00 s-f1
	ev f9 F upsell_clicked ${d}T10:35:00 s-f1
	ev f10 F session_started ${d}T11:00:00 s-f2
	ev f11 F session_completed ${d}T11:30:00 s-f2
	ev f12 F upsell_shown ${d}T11:31:00 s-f2
	ev f13 F upsell_clicked ${d}T11:40:00 s-f2
	# recommendations: customer session type created shown clicked dismissed purchased revenue
	rec A s-a follow_up 2026-03-02T11:00:00 "'2026-03-02T11:10:00'" "'2026-03-02T11:20:00'" NULL "'2026-03-02T12:00:00'" 2999
	rec A s-a diagnostic_package 2026-03-02T11:00:00 "'2026-03-02T11:10:00'" NULL "'2026-03-02T11:30:00'" NULL NULL
	rec B s-b follow_up 2026-03-02T10:30:00 "'2026-03-02T10:40:00'" NULL NULL NULL NULL
	rec B s-b video_upgrade 2026-03-02T10:30:00 NULL NULL NULL NULL NULL
	rec D s-d follow_up 2026-03-02T11:00:00 NULL NULL NULL NULL NULL
	rec F s-f1 diagnostic_package 2026-03-06T10:30:00 "'2026-03-06T10:31:00'" "'2026-03-06T10:35:00'" NULL "'2026-03-06T10:50:00'" 7999
	rec F s-f1 follow_up 2026-03-06T10:30:00 "'2026-03-06T10:31:00'" NULL NULL NULL NULL
	rec F s-f1 video_upgrade 2026-03-06T10:30:00 "'2026-03-06T10:31:00'" NULL "'2026-03-06T10:33:00'" NULL NULL
	# clicked, its showing never recorded: counts as shown
	rec F s-f2 follow_up 2026-03-06T11:30:00 NULL "'2026-03-06T11:40:00'" NULL NULL NULL
	# opportunities: id account state automation value created
	for o in "o1 acme drafted hybrid 2000 2026-03-02" "o2 acme drafted hybrid 3000 2026-03-03" \
		"o3 bolt sent full 5000 2026-03-02" "o4 core closed human NULL 2026-03-02" \
		"o5 dyn waiting full 1500 2026-03-06"; do
		set -- $o
		printf "INSERT INTO opportunities (alert_id, account_id, customer_id, metric, value, threshold, severity, automation, state, plan, estimated_value, plan_json, plan_source, created_at, updated_at) VALUES ('%s', '%s', %s, 'api_calls', 1500, 1000, 'high', '%s', '%s', 'pro', %s, '{}', 'rules', strftime('%%s', '%s'), 0);\n" \
			"$1" "$2" "$([ "$1" = o1 ] && echo "'A'" || echo NULL)" "$4" "$3" "$5" "$6"
	done
} > "$T/fill.sql"
sq < "$T/fill.sql" 2> "$T/err"
ok $? "the store filled by the sqlite3 shell"
is "$(sq "SELECT count(*) FROM interactions")/$(sq "SELECT count(*) FROM recommendations")/$(sq "SELECT count(*) FROM opportunities")" \
	"31/9/5" "premise: 31 interactions, 9 recommendations, 5 opportunities"

# the events of each step, by the sqlite3 shell, in a window: WHERE clauses
counts() { # where-for-interactions where-for-purchases
	for t in intake_submitted session_started session_completed upsell_shown upsell_clicked; do
		sq "SELECT count(*) FROM interactions WHERE type = '$t' AND $1"
	done
	sq "SELECT count(*) FROM recommendations WHERE purchased_at IS NOT NULL AND $2"
}

# ---- the funnel ------------------------------------------------------------------
run esc-stats --db "$DB" --section funnel
is "$rc" 0 "--section funnel: exit 0"
is "$(sec funnel .step | tr -d '"' | tr '\n' ' ')" \
	"intakes sessions_started sessions_completed upsells_shown upsells_clicked upsells_purchased " \
	"funnel: a row per step, in order"
is "$(sec funnel .events | tr '\n' ' ')" "$(counts 1 1 | tr '\n' ' ')" "funnel: each step's events, as the sqlite3 shell counts them"
is "$(sec funnel '.per_intake * 10000 | round / 10000' | tr '\n' ' ')" \
	"$(counts 1 1 | awk 'NR == 1 { n = $1 } { printf "%s ", int($1 / n * 10000 + 0.5) / 10000 }')" \
	"funnel: per_intake, each step's events over the intakes"
is "$(sec funnel '[.customers, .drop_off]' | tr -d '\n')" "[5,null][4,1][4,0][3,1][2,1][2,0]" \
	"funnel: the customers who reached each step in order, and the drop-off"
is "$(sec funnel '.median_time' | tr '\n' ' ')" "null 2700 2700 600 420 1650 " \
	"funnel: the median time from the step before"
is "$(sec funnel '[.rate, .rate_lo, .rate_hi]' | r4 '.' | tr -d '\n')" \
	"[null,null,null][0.8,$(wilson 4 5 | tr -d '[]')][1,$(wilson 4 4 | tr -d '[]')][0.75,$(wilson 3 4 | tr -d '[]')][0.6667,$(wilson 2 3 | tr -d '[]')][1,$(wilson 2 2 | tr -d '[]')]" \
	"funnel: the step-to-step rates with their Wilson intervals"

# seed 003's example: one customer
run esc-stats --db "$DB" --section funnel --customer F
is "$(sec funnel .events | tr '\n' ' ')" "3 2 2 4 2 1 " "--customer F: seed 003's 3 intakes, 2 started, 2 completed, 4 shown, 2 clicked, 1 purchased"
is "$(sec funnel 'select(.step == "sessions_completed") | .per_intake * 10000 | round / 100')" "66.67" \
	"--customer F: the conversion rate, sessions completed per intake: 66.67%"
is "$(sec funnel '[.customers, .median_time]' | tr -d '\n')" "[1,null][1,3600][1,1800][1,60][1,240][1,900]" \
	"--customer F: reached every step, the times between them"
run esc-stats --db "$DB" --customer A
is "$rc/$(jq -r .section "$T/out" | uniq | tr '\n' ' ')" "0/funnel upsell opportunities " \
	"--customer alone: the three customer sections"
is "$(sec funnel .events | tr '\n' ' ')" "$(counts "customer_id = 'A'" "customer_id = 'A'" | tr '\n' ' ')" "--customer A: A's events only"
is "$(sec opportunities '[.state, .opportunities]' | tr -d '\n')" '["drafted",1]' "--customer A: A's opportunity only"
run esc-stats --db "$DB" --customer nobody --section funnel
is "$rc/$(sec funnel .events | tr '\n' ' ')" "0/0 0 0 0 0 0 " "--customer with no rows: six steps of nothing, exit 0"

# the window, on the events' time
W1="at >= strftime('%s', '2026-03-02') AND at < strftime('%s', '2026-03-04')"
W2="purchased_at >= strftime('%s', '2026-03-02') AND purchased_at < strftime('%s', '2026-03-04')"
run esc-stats --db "$DB" --section funnel --since 2026-03-02 --until 2026-03-04
is "$(sec funnel .events | tr '\n' ' ')" "$(counts "$W1" "$W2" | tr '\n' ' ')" "--since/--until: the events in the window"
is "$(sec funnel .customers | tr '\n' ' ')" "3 2 2 2 1 1 " "--since/--until: A, B, C enter; A and B go on; A to the end"
run esc-stats --db "$DB" --section funnel --since 2026-03-06T10:31:00Z
is "$(sec funnel '[.events, .customers]' | tr -d '\n')" "[0,0][1,0][1,0][4,0][2,0][1,0]" \
	"--since after F's intakes: events counted, but no one enters the funnel"

# ---- upsell ----------------------------------------------------------------------
run esc-stats --db "$DB" --section upsell
is "$rc/$(sec upsell .type | tr -d '"' | tr '\n' ' ')" "0/diagnostic_package follow_up video_upgrade all " \
	"upsell: a row per type, then all"
want=$(sq "SELECT json_array(type, count(*), count(coalesce(shown_at, clicked_at, dismissed_at, purchased_at)), count(clicked_at), count(dismissed_at), count(purchased_at), coalesce(sum(revenue_cents), 0)) FROM recommendations GROUP BY type ORDER BY type")
is "$(sec upsell 'select(.type != "all") | [.type, .recommendations, .shown, .clicked, .dismissed, .purchased, .revenue_cents]')" "$want" \
	"upsell: counts per type, as the sqlite3 shell counts them (clicked but not stamped shown: shown)"
S=$(sq "SELECT count(*) FROM interactions WHERE type = 'session_completed'")
is "$(sec upsell 'select(.type == "all") | [.recommendations, .shown, .clicked, .purchased, .revenue_cents, .sessions_completed, .revenue_per_session_cents]' | r4 '.')" \
	"$(sq "SELECT json_array(count(*), count(coalesce(shown_at, clicked_at, dismissed_at, purchased_at)), count(clicked_at), count(purchased_at), sum(revenue_cents), $S, round(sum(revenue_cents) * 1.0 / $S, 4)) FROM recommendations" | r4 '.')" \
	"upsell: all, and the revenue per completed session (sessions from the interactions)"
# CTR and purchase rate of all: 3 clicked and 2 purchased of 7 shown
is "$(sec upsell 'select(.type == "all") | [.ctr, .ctr_lo, .ctr_hi, .purchase_rate, .purchase_rate_lo, .purchase_rate_hi]' | r4 '.')" \
	"[0.4286,$(wilson 3 7 | tr -d '[]'),0.2857,$(wilson 2 7 | tr -d '[]')]" "upsell: CTR 3/7 and purchase rate 2/7 with their Wilson intervals"
is "$(sec upsell 'select(.type == "video_upgrade") | [.ctr, .purchase_rate]' | r4 '.')" "[0,0]" "upsell: video upgrade, shown once, no click: 0%"
run esc-stats --db "$DB" --section upsell --since 2026-03-06
is "$(sec upsell '[.type, .recommendations, .sessions_completed]' | tr -d '\n')" \
	'["diagnostic_package",1,2]["follow_up",2,2]["video_upgrade",1,2]["all",4,2]' \
	"upsell --since: the recommendations of F's sessions, F's two completed sessions"

# ---- opportunities ------------------------------------------------------------------
run esc-stats --db "$DB" --section opportunities
is "$(sec opportunities '[.state, .automation, .opportunities, .estimated_value]' | tr -d '\n')" \
	'["drafted","hybrid",2,5000]["sent","full",1,5000]["waiting","full",1,1500]["closed","human",1,null]' \
	"opportunities: by state in the workflow's order and automation level, with the estimated value"
is "$(sq "SELECT group_concat(n, ' ') FROM (SELECT count(*) n FROM opportunities GROUP BY state, automation ORDER BY 1 DESC)")" \
	"$(sec opportunities .opportunities | sort -rn | tr '\n' ' ' | sed 's/ $//')" "opportunities: the counts, as the sqlite3 shell counts them"
run esc-stats --db "$DB" --section opportunities --until 2026-03-03
is "$(sec opportunities '[.state, .opportunities]' | tr -d '\n')" '["drafted",1]["sent",1]["closed",1]' "opportunities --until: created before"

# ---- formats ----------------------------------------------------------------------
run esc-stats --db "$DB" --section funnel --section upsell --section opportunities -t
is "$rc" 0 "-t: exit 0"
like "$(cat "$T/out")" "^Customer funnel$" "-t: the funnel's title"
like "$(grep '^  sessions_started' "$T/out")" "^  sessions_started +6 +75\\.0% +4 +80\\.0% \\(37\\.6-96\\.4\\) +1 +45m00s$" \
	"-t: a funnel row: events, per intake, customers, rate (interval), drop-off, median time"
like "$(grep '^  all ' "$T/out")" "42\\.9% \\(" "-t: the upsell total with its CTR"
like "$(cat "$T/out")" "^Opportunities$" "-t: the opportunities' title"
run esc-stats --db "$DB" --section funnel --csv
is "$(head -n 1 "$T/out")" "section,step,events,per_intake,customers,rate,rate_lo,rate_hi,drop_off,median_time" "--csv: the funnel's header"
is "$(sed -n 2p "$T/out")" "funnel,intakes,$(counts 1 1 | head -n 1),1,5,,,,," "--csv: the first step, no rate"
is "$(lines "$T/out")" 7 "--csv: a header and six steps"
run esc-stats --db "$DB" --html -
like "$(grep -c '<section id="\(funnel\|upsell\|opportunities\)">' "$T/out")" "^3$" "--html: the three customer sections"

# ---- the default report, several stores, explain ---------------------------------------
run esc-stats --db "$DB"
is "$rc/$(jq -r .section "$T/out" | uniq | tr '\n' ' ')" \
	"0/totals funnel upsell opportunities " \
	"default report: the customer sections after the escalation ones (none here) when the store has rows for them"
cp "$DB" "$T/b.db"
run esc-stats --db "$DB" --db "$T/b.db" --section funnel --section opportunities
is "$rc/$(sec funnel .events | tr '\n' ' ')" "0/$(counts 1 1 | awk '{ printf "%d ", 2 * $1 }')" "two stores: every event twice"
is "$(sec funnel .customers | tr '\n' ' ')/$(sec opportunities .opportunities | tr '\n' ' ')" "5 4 4 3 2 2 /4 2 2 2 " \
	"two stores: the same people, every opportunity twice"
run esc-stats --db "$DB" --section funnel --section upsell --section opportunities --since 2026-03-01 --explain
is "$rc/$(grep -cE '^ +SCAN main\.(interactions|recommendations|opportunities)$' "$T/out")" "0/0" "--explain: no full scan of a table"
like "$(grep -A4 '^-- funnel' "$T/out")" "SEARCH main\\.interactions USING COVERING INDEX interactions_funnel" \
	"--explain: the funnel searches a covering index by time"
is "$(grep -c 'USING COVERING INDEX \(recommendations_purchased\|recommendations_report\|opportunities_report\)' "$T/out")" 3 \
	"--explain: purchases, upsells and opportunities from their covering indexes"

# ---- through the tools: crm-track and upsell-gen fill a store ----------------------------
if [ -x "$BIN/crm-track" ] && [ -x "$BIN/upsell-gen" ]; then
	P=$T/tools.db
	cat > "$T/journey.jsonl" <<'EOF'
{"id":"j1","type":"intake_submitted","customer":"p","at":"2026-03-01T09:00:00Z"}
{"id":"j2","type":"session_started","customer":"p","session":"ps","at":"2026-03-01T09:30:00Z"}
{"id":"j3","type":"session_completed","customer":"p","session":"ps","at":"2026-03-01T10:00:00Z","metadata":{"session_type":"chat","plan":"basic"}}
{"id":"j4","type":"intake_submitted","customer":"q","at":"2026-03-01T09:00:00Z"}
{"id":"j5","type":"session_completed","customer":"q","session":"qs","at":"2026-03-01T11:00:00Z","session_type":"video"}
EOF
	tool crm-track --db "$P" "$T/journey.jsonl" > /dev/null 2> "$T/err" &&
		tool upsell-gen --db "$P" "$T/journey.jsonl" > "$T/upsells.jsonl" 2>> "$T/err"
	ok $? "crm-track and upsell-gen fill a store"
	run esc-stats --db "$P" --section upsell
	is "$(sec upsell 'select(.type != "all") | "\(.type) \(.recommendations) \(.sessions_completed)"' | tr -d '"')" \
		"$(jq -r 'select(.upsell) | .upsell.type' "$T/upsells.jsonl" | sort | uniq -c | awk '{ print $2, $1, 2 }')" \
		"esc-stats: the recommendations upsell-gen printed, per type, over 2 completed sessions"
	run esc-stats --db "$P" --section funnel
	cp "$T/out" "$T/funnel.esc"
	run crm-track --db "$P" --funnel
	diff_ok "$T/out" "$T/funnel.esc" "crm-track --funnel: the rows of esc-stats --section funnel"
else
	skip 3 "bin/crm-track or bin/upsell-gen is not built"
fi

# ---- revenue too large for a 64-bit sum: the report saturates, it does not fail ----------
cp "$DB" "$T/big.db"
sqlite3 "$T/big.db" "INSERT INTO recommendations (customer_id, session_id, type, title, created_at,
	shown_at, purchased_at, revenue_cents) VALUES
	('Z', 'z-1', 'big', 'Big', 1772359000, 1772359000, 1772359000, 9000000000000000000),
	('Z', 'z-2', 'big', 'Big', 1772359000, 1772359000, 1772359000, 9000000000000000000)"
run esc-stats --db "$T/big.db" --section upsell
is "$rc/$(grep -o '"type":"big".*"revenue_cents":[0-9]*' "$T/out" | sed 's/.*://')" '0/9223372036854775807' \
	"revenue over 2^63: exit 0, the largest integer"

# ---- the empty store, usage ------------------------------------------------------------
run esc-stats --db "$T/empty.db"
is "$rc/$(jq -r .section "$T/out" | uniq | tr '\n' ' ')" "0/totals " "an empty store: no customer section in the default report"
run esc-stats --db "$T/empty.db" --section funnel --section upsell --section opportunities
is "$rc/$(sec funnel '[.events, .customers, .rate]' | tr -d '\n')/$(grep -c '"section":"\(upsell\|opportunities\)"' "$T/out")" \
	"0/[0,0,null][0,0,null][0,0,null][0,0,null][0,0,null][0,0,null]/0" "an empty store: six steps of nothing, no upsell or opportunity row"
run esc-stats --db "$T/empty.db" --section upsell -t
is "$(cat "$T/out")" "Upsell recommendations
  (nothing)" "an empty store, -t: (nothing)"
run esc-stats --db "$DB" --customer A --section totals
is "$rc" 2 "--customer with an escalation section: a usage error"
run esc-stats --db "$DB" --customer ""
is "$rc" 2 "--customer with an empty id: a usage error"

done_testing
