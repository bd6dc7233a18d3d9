#!/bin/sh
# esc-stats, the survey sections: surveys, survey_methods, survey_funnel
# and problems over a store filled by the real tools: crm-track for the
# contacts, survey-send for the chains (the widget's modal, then --due
# sending calls and SMS through a Twilio-compatible server and email
# through an HTTP mail API, all on 127.0.0.1), survey-send --record for
# the answers, with the tokens the modal and the messages carried. The
# expected figures are worked out by hand below from what each person did;
# one Wilson interval by hand, the others by awk. JSON, -t (golden),
# --csv, --html, --surveys alone, --since/--until, --limit, --explain
# (no table scanned where an index would do), a store without survey
# rows, which leaves the sections out of the default report, and the
# funnel of chains held by the throttle, or that reached no step.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

plan 47

command -v sqlite3 > /dev/null 2>&1 || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }

DB=$T/survey.db
sq() { sqlite3 "$DB" "$@"; }
sec() { jq -c "select(.section == \"$1\") | $2" "$T/out"; }
wilson() {
	awk -v x="$1" -v n="$2" 'BEGIN { z = 1.96; p = x / n; d = 1 + z * z / n;
		c = (p + z * z / (2 * n)) / d; h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
		lo = c - h; hi = c + h; if (lo < 0) lo = 0; if (hi > 1) hi = 1;
		printf "[%s,%s]\n", int(lo * 10000 + 0.5) / 10000, int(hi * 10000 + 0.5) / 10000 }'
}
r4() { jq -c "$1 | map(if . == null then null else (. * 10000 | round / 10000) end)"; }
answer() { # token json-members time
	printf '{"token":"%s",%s,"answered_at":"%s"}\n' "$1" "$2" "$3" |
		tool survey-send --record --db "$DB" --now "$3" > /dev/null 2>> "$T/err"
}

# ---- the store ---------------------------------------------------------------------
# Nine sessions; s1-s7 and s9 ended 2026-03-02 10:00Z, s8 on 02-20. Everyone
# is in UTC (the default zone), so 10:05 is in their send window, and a
# skipped step takes no time: every outbound step is sent at 10:05.
#   c1  answers the widget: solved, rating 5, NPS 10
#   c2  answers the widget: not solved, rating 2, NPS 3, "the export crashes on large files"
#   c3  (calls) leaves the widget; the call; answers it: solved, 4, NPS 9
#   c4  (SMS) leaves the widget; the call is skipped (no consent), the SMS
#       goes; answers it: not solved, 3, NPS 7, "export crashes with large
#       files" (the same problem as c2's)
#   c5  says "Later" in the widget (an answer, not complete); no consent to
#       anything else: every other step skipped, the chain runs out
#   c6  no contact at all: the widget, every other step skipped: runs out
#   c7  (email) leaves the widget; call and SMS skipped; the email goes;
#       refuses through its link: declined
#   c9  (email) as c7, but no answer: open at the email
#   c8  (02-20) answers the widget: not solved, rating 1, NPS 0, a long
#       description of another problem
cat > "$T/contacts.jsonl" <<'EOF'
{"type":"contact","customer":"c1","email":"c1@example.com"}
{"type":"contact","customer":"c2","email":"c2@example.com"}
{"type":"contact","customer":"c3","phone":"+15550000003","consent":{"calls":true}}
{"type":"contact","customer":"c4","phone":"+15550000004","consent":{"sms":true}}
{"type":"contact","customer":"c5","email":"c5@example.com"}
{"type":"contact","customer":"c7","email":"c7@example.com","consent":{"email":true}}
{"type":"contact","customer":"c8","email":"c8@example.com"}
{"type":"contact","customer":"c9","email":"c9@example.com","consent":{"email":true}}
EOF
tool crm-track --db "$DB" --now 2026-02-01T00:00:00Z "$T/contacts.jsonl" > /dev/null 2> "$T/err"
cp "$DB" "$T/empty.db"

httpd_start
export ESC_TWILIO_URL=$HTTPD_URL/tw ESC_TWILIO_SID=AC1 ESC_TWILIO_TOKEN=tok ESC_TWILIO_FROM=+15550009999
export ESC_SURVEY_URL=https://survey.example.com/s/ ESC_SURVEY_CALL_URL=https://voice.example.com/s/
export ESC_EMAIL_URL=$HTTPD_URL/mail ESC_EMAIL_FROM=support@example.com ESC_EMAIL_KEY=key
net_timeouts 5s
export ESC_NET_RETRIES=0
unset ESC_SMTP_URL ESC_AGENT_WEBHOOK ESC_MEETING_URL ESC_SURVEY_STATUS_URL
httpd_plan '{"path":"/tw/Accounts/AC1/Calls.json","status":201,"json":{"sid":"CA1"}}' \
	'{"path":"/tw/Accounts/AC1/Messages.json","status":201,"json":{"sid":"SM1"}}' \
	'{"path":"/mail","status":202,"json":{"id":"em1"}}'

session() { # id customer ended
	printf '{"session_id":"%s","customer_id":"%s","ended_at":"%s"}\n' "$1" "$2" "$3"
}
session s8 c8 2026-02-20T10:00:00Z | tool survey-send --db "$DB" --now 2026-02-20T10:00:00Z > "$T/modal8" 2>> "$T/err"
for i in 1 2 3 4 5 6 7 9; do
	session s$i c$i 2026-03-02T10:00:00Z
done | tool survey-send --db "$DB" --now 2026-03-02T10:00:00Z > "$T/modals" 2>> "$T/err"
modal() { jq -r "select(.type == \"show_feedback_modal\" and .session_id == \"$1\") | .token" "$T/modals" "$T/modal8"; }
# the token sent to $2 through the provider at path $1
sent_token() {
	python3 - "$HTTPD_DIR/requests.jsonl" "$1" "$2" <<'PY'
import json, re, sys, urllib.parse
for l in open(sys.argv[1]):
    r = json.loads(l)
    if not r["path"].startswith(sys.argv[2]):
        continue
    b = r["body"]
    if b.startswith("{"):
        j = json.loads(b)
        to, text = j["to"], j["text"]
    else:
        f = dict(urllib.parse.parse_qsl(b))
        to, text = f["To"], f.get("Body", "") + f.get("Url", "")
    if to == sys.argv[3]:
        print(re.search(r"/s/([A-Za-z0-9_-]{43})", text).group(1))
PY
}
answer "$(modal s8)" '"problem_solved":false,"rating":1,"nps":0,"feedback":"cannot log in after the password reset, the page keeps reloading and shows nothing at all"' 2026-02-20T10:01:00Z
answer "$(modal s1)" '"problem_solved":true,"rating":5,"nps":10' 2026-03-02T10:01:00Z
answer "$(modal s2)" '"problem_solved":false,"rating":2,"nps":3,"feedback":"the export crashes on large files"' 2026-03-02T10:02:00Z
answer "$(modal s5)" '"refused":true' 2026-03-02T10:02:00Z
tool survey-send --due --db "$DB" --now 2026-03-02T10:05:00Z > "$T/due1" 2>> "$T/err"
answer "$(sent_token /tw/Accounts/AC1/Calls.json +15550000003)" '"problem_solved":true,"rating":4,"nps":9' 2026-03-02T10:08:00Z
answer "$(sent_token /tw/Accounts/AC1/Messages.json +15550000004)" '"problem_solved":false,"rating":3,"nps":7,"feedback":"export crashes with large files"' 2026-03-02T12:30:00Z
answer "$(sent_token /mail c7@example.com)" '"refused":true' 2026-03-02T13:00:00Z
tool survey-send --due --db "$DB" --now 2026-03-06T12:05:00Z > "$T/due2" 2>> "$T/err"
is "$(sq "select group_concat(session_id || ':' || state || ':' || coalesce(method, '-'), ' ') from (select * from surveys order by session_id)")" \
	"s1:answered:in_widget s2:answered:in_widget s3:answered:ai_call s4:answered:sms_link s5:exhausted:- s6:exhausted:- s7:declined:- s8:answered:in_widget s9:open:-" \
	"precondition: the chains as planned"

# ---- the window 2026-03-02: c1-c7 and c9 ---------------------------------------------
# surveys: 8 chains, all reached (the widget was shown to each); answered
# c1-c4: 4 of 8; declined c7. Ratings 5, 2, 4, 3: CSAT 2 of 4. NPS answers
# 10, 3, 9, 7: promoters 2, detractors 1: (2 - 1) / 4 = 25. Solved: c1, c3
# of c1-c4: 2 of 4.
W="--since 2026-03-01 --until 2026-03-03"
run esc-stats --db "$DB" $W --surveys
is "$rc $(sec surveys '[.chains, .reached, .answered, .declined, .response_rate, .ratings, .csat, .nps_answers, .nps, .problem_solved]')" \
	"0 [8,8,4,1,0.5,4,0.5,4,25,0.5]" "surveys: chains, reached, answered, declined, response rate, ratings, CSAT, NPS, solved"
# Wilson, 4 of 8, by hand: p = 0.5, z = 1.96, z^2/n = 0.4802; centre
# (0.5 + 0.2401) / 1.4802 = 0.5; half 1.96 * sqrt(0.25/8 + 3.8416/256) / 1.4802
# = 1.96 * 0.215073 / 1.4802 = 0.284788
is "$(sec surveys '[.response_rate_lo, .response_rate_hi]' | r4 .)" "[0.2152,0.7848]" \
	"surveys: the response rate's 95% Wilson interval, worked by hand"
is "$(sec surveys '[.csat_lo, .csat_hi]' | r4 .) $(sec surveys '[.problem_solved_lo, .problem_solved_hi]' | r4 .)" \
	"$(wilson 2 4) $(wilson 2 4)" "surveys: the CSAT and solved intervals"
# per step: the widget shown to all 8, answered completely by c1 and c2 (c5's
# "Later" is not complete); the call sent to c3 (answered), skipped for
# c4-c7 and c9; the SMS sent to c4 (answered), skipped for c5, c6, c7, c9;
# the email sent to c7 (refused: not complete) and c9, skipped for c5, c6
is "$(sec survey_methods '[.step, .sent, .skipped, .failed, .answered]' | tr '\n' ' ')" \
	'["in_widget",8,0,0,2] ["ai_call",1,5,0,1] ["sms_link",1,4,0,1] ["email_link",2,2,0,0] ' \
	"survey_methods: sent (shown), skipped, failed and answered per step, in the chain's order"
is "$(sec survey_methods '[.response_rate, .response_rate_lo, .response_rate_hi]' | r4 . | tr '\n' ' ')" \
	"[0.25,$(wilson 2 8 | tr -d '[]')] [1,$(wilson 1 1 | tr -d '[]')] [1,$(wilson 1 1 | tr -d '[]')] [0,$(wilson 0 2 | tr -d '[]')] " \
	"survey_methods: the response rates with their intervals"
# how far: the widget reached all 8, answered there by c1, c2; c5 and c6
# got no further and ran out; the call reached c3, answered; the SMS c4,
# answered; the email c7 (declined: dropped off) and c9 (still open)
is "$(sec survey_funnel '[.step, .reached, .answered, .open, .drop_off]' | tr '\n' ' ')" \
	'["in_widget",8,2,0,2] ["ai_call",1,1,0,0] ["sms_link",1,1,0,0] ["email_link",2,0,1,1] ' \
	"survey_funnel: reached, answered there, still open, dropped off"
is "$(sec problems '[.id, .description, .affected_users, .attempts, .first_seen, .last_seen]')" \
	'[2,"the export crashes on large files",2,2,"2026-03-02T10:02:00Z","2026-03-02T12:30:00Z"]' \
	"problems: opened in the window: c2's, counted again for c4"
is "$(jq -r .section "$T/out" | uniq | tr '\n' ' ')" "surveys survey_methods survey_funnel problems " \
	"--surveys: the four survey sections, nothing else"

# ---- all time: c8 too -------------------------------------------------------------------
# 9 chains, answered 5; ratings 5 2 4 3 1: CSAT 2 of 5; NPS 10 3 9 7 0: 2 - 2 = 0;
# solved 2 of 5
run esc-stats --db "$DB" --surveys
is "$(sec surveys '[.chains, .reached, .answered, .declined, .response_rate, .ratings, .csat, .nps_answers, .nps, .problem_solved]' | r4 .)" \
	"[9,9,5,1,0.5556,5,0.4,5,0,0.4]" "all time: c8 counted too"
is "$(sec problems '[.id, .affected_users]' | tr '\n' ' ')" "[2,2] [1,1] " "problems: most affected users first"
run esc-stats --db "$DB" --section problems --limit 1
is "$(jq -c '[.section, .id]' "$T/out")" '["problems",2]' "--section problems --limit 1: the top one alone"
run esc-stats --db "$DB" --surveys -t
is "$rc" 0 "-t: exit 0"
diff_ok "$T/out" "$top/tests/golden/stats-surveys.txt" "-t: the four tables as golden (a description cut to 60 characters)"
run esc-stats --db "$DB" $W --surveys --csv
is "$(sed -n 1p "$T/out")" "section,chains,reached,answered,declined,response_rate,response_rate_lo,response_rate_hi,ratings,csat,csat_lo,csat_hi,nps_answers,nps,problem_solved,problem_solved_lo,problem_solved_hi" \
	"--csv: the surveys heading, a rate's interval beside it"
is "$(sed -n 2p "$T/out" | cut -d, -f1-6,9,10,13-15) $(sed -n 2p "$T/out" | awk -F, '{ printf "%.4f %.4f", $7, $8 }')" \
	"surveys,8,8,4,1,0.5,4,0.5,4,25,0.5 0.2152 0.7848" "--csv: the surveys row"
run esc-stats --db "$DB" --surveys --html -
ok "$(grep -c -e '<section id="surveys">' -e '<section id="survey_methods">' -e '<section id="survey_funnel">' -e '<section id="problems">' "$T/out" | grep -qx 4; echo $?)" \
	"--html: a section for each"
run esc-stats --db "$DB" $W --surveys --explain
ok "$(grep -q '^ *SCAN' "$T/out"; [ $? = 1 ]; echo $?)" "--explain: with a window, every survey query searches an index, none scans"
# surveys, reached, survey_methods and survey_funnel: the funnel needs no
# more of a chain than the index has (not surveys.step)
like "$(grep -c 'USING COVERING INDEX surveys_report (ended_at>? AND ended_at<?)' "$T/out")" '^4$' \
	"--explain: the chains of the window come from surveys_report"

# ---- --by: a row per bucket of the chains' ended_at ---------------------------------------
# s8 ended 02-20, the other eight 03-02: two days. 02-20 is c8 alone: one
# chain, reached and answered in the widget, rated 1 (CSAT 0 of 1), NPS 0
# (a detractor: -100), not solved. 03-02 is the window above.
run esc-stats --db "$DB" --surveys --by day
is "$rc/$(sec surveys '[.bucket, .chains, .reached, .answered, .declined, .response_rate, .ratings, .csat, .nps_answers, .nps, .problem_solved]' | tr '\n' ' ')" \
	'0/["2026-02-20",1,1,1,0,1,1,0,1,-100,0] ["2026-03-02",8,8,4,1,0.5,4,0.5,4,25,0.5] ' \
	"--by day: surveys, a row per day that has chains, the day first"
is "$(jq -s -c '[.[] | select(.section == "surveys")] | [(map(.chains) | add), (map(.reached) | add), (map(.answered) | add), (map(.declined) | add)]' "$T/out")" \
	"[9,9,5,1]" "... adding up to the report without --by"
is "$(sec survey_methods '[.bucket, .step, .sent, .skipped, .failed, .answered]' | tr '\n' ' ')" \
	'["2026-02-20","in_widget",1,0,0,1] ["2026-02-20","ai_call",0,0,0,0] ["2026-02-20","sms_link",0,0,0,0] ["2026-02-20","email_link",0,0,0,0] ["2026-03-02","in_widget",8,0,0,2] ["2026-03-02","ai_call",1,5,0,1] ["2026-03-02","sms_link",1,4,0,1] ["2026-03-02","email_link",2,2,0,0] ' \
	"--by day: survey_methods, the four steps of each day"
is "$(sec survey_funnel '[.bucket, .step, .reached, .answered, .open, .drop_off]' | tr '\n' ' ')" \
	'["2026-02-20","in_widget",1,1,0,0] ["2026-02-20","ai_call",0,0,0,0] ["2026-02-20","sms_link",0,0,0,0] ["2026-02-20","email_link",0,0,0,0] ["2026-03-02","in_widget",8,2,0,2] ["2026-03-02","ai_call",1,1,0,0] ["2026-03-02","sms_link",1,1,0,0] ["2026-03-02","email_link",2,0,1,1] ' \
	"--by day: survey_funnel, the four steps of each day"
is "$(sec problems '[has("bucket"), .id]' | tr '\n' ' ')" "[false,2] [false,1] " \
	"--by day: problems stay one list, the top ones, as recent does"
run esc-stats --db "$DB" --surveys --by month
is "$(sec surveys '[.bucket, .chains]' | tr '\n' ' ')$(sec survey_funnel 'select(.step == "in_widget") | [.bucket, .reached]' | tr '\n' ' ')" \
	'["2026-02-01",1] ["2026-03-01",8] ["2026-02-01",1] ["2026-03-01",8] ' "--by month: the first day of each month"
run esc-stats --db "$DB" --section surveys --section survey_funnel --by week -t
diff_ok "$T/out" "$top/tests/golden/stats-surveys-by-week.txt" "-t --by week: the bucket first, weeks from Monday (golden)"
is "$(grep -c '^  2026-0[23]-[0-9][0-9]  [a-z_]' "$T/out")" 8 "-t --by week: the funnel's rows each with their week"
run esc-stats --db "$DB" --surveys --by day --csv
is "$(grep -E '^section,' "$T/out" | cut -d, -f1-4 | tr '\n' ' ')" \
	"section,bucket,chains,reached section,bucket,step,sent section,bucket,step,reached section,id,description,affected_users " \
	"--csv --by day: the bucket after the section in the three survey blocks, not in problems"
is "$(grep -c '^survey_methods,2026-0[23]-[0-9][0-9],' "$T/out")" 8 "--csv --by day: the survey_methods rows with their day"
run esc-stats --db "$DB" --surveys --by day --html -
is "$(sed -n '/<section id="survey_funnel">/,/<\/section>/p' "$T/out" | grep -o '<th>bucket</th>\|<td>2026-0[23]-[0-9][0-9]</td>' | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')" \
	"4 <td>2026-02-20</td> 4 <td>2026-03-02</td> 1 <th>bucket</th> " "--html --by day: the funnel's table has the bucket"
run esc-stats --db "$DB" $W --surveys --by day --explain
ok "$(grep -q '^ *SCAN' "$T/out"; [ $? = 1 ]; echo $?)" "--explain --by day: every survey query searches an index, none scans"
like "$(grep -c 'USING COVERING INDEX surveys_report (ended_at>? AND ended_at<?)' "$T/out")" '^4$' \
	"--explain --by day: the chains of the window still come from surveys_report"
run esc-stats --db "$T/empty.db" --surveys --by day
is "$rc/$(jq -r .section "$T/out" | sort | uniq -c | awk '{ printf "%s ", $2 }')" "0/" \
	"--by day over an empty store: no bucket, no row"
run esc-stats --db "$T/empty.db" --section surveys --by day -t
is "$(cat "$T/out")" "$(printf 'Surveys\n  (nothing)')" "-t: the section asked for, with nothing in it, says so"

# ---- the default report -----------------------------------------------------------------
run esc-stats --db "$DB" $W
is "$(jq -r .section "$T/out" | grep -E '^(surveys|survey_methods|survey_funnel|problems)$' | uniq | tr '\n' ' ')" \
	"surveys survey_methods survey_funnel problems " "the default report: the survey sections, as the store has rows for them"
run esc-stats --db "$DB" --since 2027-01-01
is "$rc $(jq -r .section "$T/out" | grep -c -E '^(surveys|survey_methods|survey_funnel|problems)$')" "0 0" \
	"the default report, a window with no chains: the sections left out"
run esc-stats --db "$T/empty.db"
is "$rc $(jq -r .section "$T/out" | grep -c -E '^(surveys|survey_methods|survey_funnel|problems)$')" "0 0" \
	"a store without survey rows: the sections left out of the default report"
run esc-stats --db "$T/empty.db" --surveys
is "$(sec surveys '[.chains, .reached, .response_rate, .csat, .nps, .problem_solved]') $(sec survey_methods .sent | tr '\n' ' ')$(jq -r .section "$T/out" | grep -c problems)" \
	"[0,0,null,null,null,null] 0 0 0 0 0" "... asked for: zeros, no rates, no problems"
run esc-stats --db "$T/empty.db" --section problems -t
is "$(cat "$T/out")" "$(printf 'Unresolved problems\n  (nothing)')" "-t: no problems: said so"
run esc-stats --db "$DB" --surveys --customer c1
is "$rc" 2 "--customer does not go with the survey sections"

# ---- the funnel goes by the steps reached ------------------------------------------------
# surveys.step is the last step a chain went through, skipped ones too; the
# funnel counts a chain open or dropped off at the last step it reached,
# or, when it reached none, on a row of its own with a null step. A store
# of its own, the window 2026-04-02:
#   pat  (SMS only) had an SMS on 03-20 (p1, outside the window): the
#        throttle holds her SMS until 04-19
#   p2   pat: the widget shown; the call skipped (no consent to calls), the
#        SMS held by the throttle: the store says step ai_call, open; the
#        chain reached the widget only and is open there
#   p3   pat, --no-widget: the widget and the call skipped, the SMS held:
#        open, and reached no step
#   r1   rue (no consent to anything), --no-widget: every step skipped,
#        exhausted at once: reached no step, dropped off before any
#   k1   kit (calls): the widget shown and left; the run placing the call is
#        killed after the provider had it, and kit answers the call before
#        the claim is found: answered at the call, whose attempt is still
#        "claimed" (the answer proves the call reached him)
DB=$T/funnel.db
cat > "$T/contacts2.jsonl" <<'EOF2'
{"type":"contact","customer":"pat","phone":"+15550000021","consent":{"sms":true}}
{"type":"contact","customer":"rue","email":"rue@example.com"}
{"type":"contact","customer":"kit","phone":"+15550000023","consent":{"calls":true}}
EOF2
tool crm-track --db "$DB" --now 2026-02-01T00:00:00Z "$T/contacts2.jsonl" > /dev/null 2> "$T/err"
httpd_reset
httpd_plan '{"path":"/tw/Accounts/AC1/Calls.json","fault":"hang","delay":30,"times":1}' \
	'{"path":"/tw/Accounts/AC1/Calls.json","status":201,"json":{"sid":"CA2"}}' \
	'{"path":"/tw/Accounts/AC1/Messages.json","status":201,"json":{"sid":"SM2"}}'
session p1 pat 2026-03-20T10:00:00Z | tool survey-send --db "$DB" --now 2026-03-20T10:00:00Z > /dev/null 2>> "$T/err"
tool survey-send --due --db "$DB" --now 2026-03-20T10:05:00Z > /dev/null 2>> "$T/err"
session p2 pat 2026-04-02T10:00:00Z | tool survey-send --db "$DB" --now 2026-04-02T10:00:00Z > /dev/null 2>> "$T/err"
{ session p3 pat 2026-04-02T10:00:00Z; session r1 rue 2026-04-02T10:00:00Z; } |
	tool survey-send --no-widget --db "$DB" --now 2026-04-02T10:00:00Z > /dev/null 2>> "$T/err"
session k1 kit 2026-04-02T11:00:00Z | tool survey-send --db "$DB" --now 2026-04-02T11:00:00Z > /dev/null 2>> "$T/err"
tool survey-send --due --db "$DB" --now 2026-04-02T10:05:00Z > "$T/due3" 2>> "$T/err"
ESC_NET_TIMEOUT=60s tool survey-send --due --db "$DB" --now 2026-04-02T11:05:00Z > /dev/null 2>&1 &
pid=$!
for i in $(seq 200); do
	[ -n "$(sent_token /tw/Accounts/AC1/Calls.json +15550000023)" ] && break
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2> /dev/null
answer "$(sent_token /tw/Accounts/AC1/Calls.json +15550000023)" '"problem_solved":true,"rating":5' 2026-04-02T11:07:00Z
is "$(sq "select group_concat(session_id || ':' || state || ':' || step || ':' || coalesce(method, '-'), ' ') from (select * from surveys order by session_id)")/$(jq -r 'select(.action == "wait") | .session_id + ":" + .step + ":" + .reason' "$T/due3" | tr '\n' ' ')/$(sq "select state from survey_attempts where step = 'ai_call' and survey_id = (select id from surveys where session_id = 'k1')")" \
	"k1:answered:in_widget:ai_call p1:exhausted:email_link:- p2:open:ai_call:- p3:open:ai_call:- r1:exhausted:email_link:-/p2:sms_link:throttle p3:sms_link:throttle /claimed" \
	"precondition: p2 and p3 at ai_call in the store, their SMS held by the throttle; k1 answered through a claimed call"
run esc-stats --db "$DB" --since 2026-04-01 --until 2026-04-03 --surveys
is "$(sec survey_funnel '[.step, .reached, .answered, .open, .drop_off]' | tr '\n' ' ')" \
	'[null,null,0,1,1] ["in_widget",2,0,1,0] ["ai_call",1,1,0,0] ["sms_link",0,0,0,0] ["email_link",0,0,0,0] ' \
	"survey_funnel: open at the last step reached, not at a skipped one; no step reached: the null row"
is "$(sec surveys '[.chains, .reached, .answered]')/$(jq -s '[.[] | select(.section == "survey_funnel") | .answered + .open + .drop_off] | add' "$T/out")/$(jq -s '[.[] | select(.section == "survey_funnel" and .step != null) | .answered + .open + .drop_off] | add' "$T/out")" \
	"[4,2,1]/4/2" "survey_funnel: each chain counted once; the steps' rows add up to the chains reached"
is "$(sec survey_methods 'select(.step == "ai_call") | [.sent, .skipped, .answered, .response_rate]')" "[1,3,1,1]" \
	"survey_methods: the call answered through its claim counts as sent: 1 of 1, not of 0"
run esc-stats --db "$DB" --since 2026-04-01 --until 2026-04-03 --section survey_funnel --by day
is "$(jq -c '[.bucket, .step, .reached, .answered, .open, .drop_off]' "$T/out" | tr '\n' ' ')" \
	'["2026-04-02",null,null,0,1,1] ["2026-04-02","in_widget",2,0,1,0] ["2026-04-02","ai_call",1,1,0,0] ["2026-04-02","sms_link",0,0,0,0] ["2026-04-02","email_link",0,0,0,0] ' \
	"--by day: the chains that reached no step first in their day"
run esc-stats --db "$DB" --since 2026-04-01 --until 2026-04-03 --section survey_funnel -t
is "$(sed -n 4,5p "$T/out")" "$(printf '  (no step yet)        -              0           1            1\n  in_widget            2              0           1            0')" \
	"-t: the chains that reached no step, first, on a row that says so"
# every chain in the first store reached the widget: no null row
run esc-stats --db "$T/survey.db" --section survey_funnel
is "$(jq -s '[length, ([.[] | .answered + .open + .drop_off] | add)]' -c "$T/out")" "[4,9]" \
	"every chain reached a step: the four rows alone, adding up to the 9 chains"

done_testing
