#!/bin/sh
# crm-track: journey events (the ten types, the aliases, amounts, the
# recommendations they stamp), contacts and consent (upsert, null clears,
# consent changes with their times, blocked), feeding the same files twice,
# -l, --funnel's hand-off to the esc-stats section, and the options.
#
# Expected values come from the input (jq, date) or were worked out by
# hand; the store is read back with the sqlite3 shell.
. "$(dirname "$0")/lib.sh"

DB=$T/db
NOW=2026-03-05T00:00:00Z
plan 71

sq() {
	sqlite3 "$DB" "$@"
}
epoch() {
	date -ud "$1" +%s
}

# ---- a store with three recommendations, as upsell-gen writes them ---------------
printf '%s\n' '{"type":"contact","customer":"c-1","email":"c1@example.com"}' > "$T/c0.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/c0.jsonl"
is "$rc" 0 "crm-track creates the store"
sq "INSERT INTO recommendations (customer_id, session_id, type, title, created_at) VALUES
	('c-1', 's-1', 'video_upgrade', 'Video session', 1772359000),
	('c-1', 's-1', 'follow_up', 'Follow-up', 1772359000),
	('c-2', 's-2', 'diagnostic_package', 'Diagnostic', 1772359000)"

# ---- journey events ------------------------------------------------------------
cat > "$T/ev.jsonl" <<'EOF'
{"id":"ev-01","type":"intake_submitted","customer":"c-1","at":"2026-03-01T10:00:00Z","metadata":{"plan":"standard","vehicle":{"make":"Honda","year":2012},"fee":8.15,"score":0.1,"k":1e3}}
{"id":"ev-02","type":"checkout_completed","customer":"c-1","at":"2026-03-01T10:02:00Z","amount":19.99,"currency":"usd"}
{"event_id":"ev-03","type":"session_started","customer_id":"c-1","session_id":"s-1","time":"2026-03-01T10:10:00Z"}
{"id":"ev-04","type":"session_completed","customer":"c-1","session":"s-1","at":"2026-03-01T11:40:00+01:00","metadata":{"duration":1800}}
{"id":"ev-05","type":"summary_viewed","customer":"c-1","session":"s-1","at":"2026-03-01T10:45:00Z"}
{"id":"ev-06","type":"upsell_shown","customer":"c-1","session":"s-1","at":"2026-03-01T10:46:00Z","recommendation":"video_upgrade"}
{"id":"ev-07","type":"upsell_shown","customer":"c-1","session":"s-1","at":"2026-03-01T10:46:30Z","recommendation_id":2}
{"id":"ev-08","type":"upsell_clicked","customer":"c-1","session":"s-1","at":"2026-03-01T10:47:00Z","recommendation_id":1}
{"id":"ev-09","type":"upsell_dismissed","customer":"c-1","session":"s-1","at":"2026-03-01T10:48:00Z","recommendation":"follow_up"}
{"id":"ev-10","type":"checkout_started","customer":"c-1","session":"s-1","at":"2026-03-01T10:49:00Z","recommendation_id":1}
{"id":"ev-11","type":"checkout_completed","customer":"c-1","session":"s-1","at":"2026-03-01T10:50:00Z","recommendation_id":1,"amount_cents":4900}
{"id":"ev-12","type":"waiver_accepted","customer":"c-1","at":"2026-03-01T10:51:00Z"}
{"id":"ev-13","type":"upsell_shown","customer":"c-1","session":"s-1","at":"2026-03-02T09:00:00Z","recommendation":"video_upgrade"}
{"id":"ev-14","type":"checkout_completed","customer":"c-1","session":"s-1","at":"2026-03-02T09:05:00Z","recommendation_id":1,"amount_cents":100}
{"id":"ev-15","type":"upsell_clicked","customer":"c-1","session":"s-2","at":"2026-03-02T09:06:00Z","recommendation_id":3}
{"id":"ev-16","type":"upsell_clicked","customer":"c-1","session":"s-1","at":"2026-03-02T09:07:00Z","recommendation_id":99}
{"id":"ev-17","type":"upsell_shown","customer":"c-1","at":"2026-03-02T09:08:00Z","recommendation":"video_upgrade"}
{"id":"ev-18","type":"checkout_completed","customer":"c-2","at":"2026-03-02T10:00:00Z","amount":500,"currency":"JPY"}
{"id":"ev-19","type":"checkout_completed","customer":"c-2","at":"2026-03-02T10:01:00Z","amount":1.234,"currency":"KWD"}
{"id":"ev-20","type":"checkout_completed","customer":"c-2","at":"2026-03-02T10:02:00Z","amount_cents":700,"amount":9.99}
{"id":"ev-21","type":"checkout_completed","customer":"c-2","at":"2026-03-02T10:03:00Z","metadata":{"amount":12.5,"currency":"eur"}}
{"id":"ev-22","event_id":"not-this","type":"intake_submitted","customer":"c-2","customer_id":"not-this","at":"2026-03-02T10:04:00Z","time":"2020-01-01T00:00:00Z","session":null,"session_id":"s-2"}
{"id":42,"type":"intake_submitted","customer":7,"at":"2026-03-02T10:05:00.750Z"}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/ev.jsonl"
is "$rc" 0 "events: exit 0"
is "$(lines "$T/out")" "$(lines "$T/ev.jsonl")" "every event is echoed"
perl -pe 's/,"crm":\{"kind":"event","id":\d+,"new":true,"recommendation":(?:\d+|null)\}\}$/}/' \
	"$T/out" > "$T/stripped"
cmp -s "$T/stripped" "$T/ev.jsonl"
ok $? "... byte for byte as it came, with a \"crm\" object added last"
cp "$T/out" "$T/run1.out"
is "$(jq -c '[.crm.id, .crm.recommendation]' "$T/out" | tr -d '\n')" \
	'[1,null][2,null][3,null][4,null][5,null][6,1][7,2][8,1][9,2][10,1][11,1][12,null][13,1][14,1][15,null][16,null][17,null][18,null][19,null][20,null][21,null][22,null][23,null]' \
	"crm: the row id and the recommendation linked (by id, or by type and session)"
is "$(grep -c 'warning' "$T/err")" 3 "three warnings, for three events naming no recommendation of theirs"
like "$(sed -n 1p "$T/err")" '^crm-track: warning \(at .*ev\.jsonl:15\): event ev-15: recommendation 3 of customer c-1 is not in the store: kept, unlinked$' \
	"a recommendation of another customer is not linked"
like "$(sed -n 2p "$T/err")" 'ev\.jsonl:16\): event ev-16: recommendation 99 of customer c-1 is not in the store' \
	"a recommendation that does not exist: a warning"
like "$(sed -n 3p "$T/err")" 'ev\.jsonl:17\): event ev-17: recommendation "video_upgrade" without a "session"' \
	"a recommendation by type needs the session"

is "$(sq 'select count(*) from interactions')" 23 "interactions: one row per event"
jq -r '[(.id // .event_id | tostring), (.customer // .customer_id | tostring), .type,
	(.session // .session_id // "-"), (.at // .time)] | @tsv' "$T/ev.jsonl" |
	while IFS='	' read -r id cust type sess at; do
		printf '%s|%s|%s|%s|%s\n' "$id" "$cust" "$type" "$sess" "$(epoch "$at")"
	done > "$T/i.want"
sq "select event_id, customer_id, type, coalesce(session_id, '-'), at from interactions order by id" > "$T/i.got"
diff_ok "$T/i.got" "$T/i.want" "interactions: id, customer, type, session and time (aliases; the short name wins)"
is "$(sq "select metadata from interactions where event_id = 'ev-01'")" \
	'{"plan":"standard","vehicle":{"make":"Honda","year":2012},"fee":8.15,"score":0.1,"k":1000.0}' \
	"metadata kept as a JSON object, its decimals as written (not 8.1500000000000004)"
is "$(sq "select event_id || ':' || amount_cents from interactions where amount_cents is not null order by id" | tr '\n' ' ')" \
	"ev-02:1999 ev-11:4900 ev-14:100 ev-18:500 ev-19:1234 ev-20:700 ev-21:1250 " \
	"amounts in cents: 19.99 USD, JPY without decimals, KWD with three, amount_cents first, from metadata"
is "$(sq "select event_id from interactions where at = $(epoch 2026-03-02T10:05:00Z)")" 42 \
	"an integer id and customer are kept as text; fractions of a second dropped"
is "$(sq "select r.id || ':' || coalesce(shown_at, '-') || ':' || coalesce(clicked_at, '-') || ':' ||
	coalesce(dismissed_at, '-') || ':' || coalesce(purchased_at, '-') || ':' || coalesce(revenue_cents, '-')
	from recommendations r order by id" | tr '\n' ' ')" \
	"1:$(epoch 2026-03-01T10:46:00Z):$(epoch 2026-03-01T10:47:00Z):-:$(epoch 2026-03-01T10:50:00Z):4900 2:$(epoch 2026-03-01T10:46:30Z):-:$(epoch 2026-03-01T10:48:00Z):-:- 3:-:-:-:-:- " \
	"recommendations stamped the first time only: shown, clicked, dismissed, purchased with its revenue"
is "$(sq "select count(*) from interactions where recommendation_id is not null")" 8 \
	"interactions keep the recommendation they name"

# ---- the same file again: nothing changes ---------------------------------------
sq 'select * from recommendations' > "$T/recs.before"
run crm-track --db "$DB" --now 2026-03-06T00:00:00Z "$T/ev.jsonl"
is "$rc/$(wc -c < "$T/err" | tr -d ' ')" "0/0" "the same events again: exit 0, nothing on stderr"
sed 's/"new":true/"new":false/' "$T/run1.out" > "$T/run2.want"
diff_ok "$T/out" "$T/run2.want" "... each echoed with its first id, \"new\":false"
is "$(sq 'select count(*) || ":" || max(logged_at) from interactions')" "23:$(epoch "$NOW")" \
	"... no row added or rewritten"
sq 'select * from recommendations' > "$T/recs.after"
diff_ok "$T/recs.after" "$T/recs.before" "... no recommendation stamped again"
run crm-track --db "$DB" --now "$NOW" "$T/run1.out"
diff_ok "$T/out" "$T/run2.want" "crm-track's own output fed back: its \"crm\" object replaced, not doubled"
printf '%s\n' '{"id":"ev-01","type":"waiver_accepted","customer":"c-9","at":"2026-03-01T10:00:00Z"}' > "$T/dup.jsonl"
run crm-track --db "$DB" "$T/dup.jsonl"
is "$rc/$(jq -c .crm "$T/out")" '0/{"kind":"event","id":1,"new":false,"recommendation":null}' \
	"an event id seen before with other content: kept as it was"
like "$(cat "$T/err")" 'warning .*event ev-01 is already in the store with another type or customer' "... with a warning"
run crm-track --db "$DB" --batch 1 "$T/ev.jsonl"
is "$rc/$(sq 'select count(*) from interactions')" 0/23 "--batch 1: the same"

# ---- contacts and consent --------------------------------------------------------
cat > "$T/k.jsonl" <<'EOF'
{"type":"contact","customer":"k-1","email":"ana@example.com","phone":"+15555551234","name":"Ana","external_id":"crm-7","timezone":"America/New_York","consent":{"sms":true,"email":true,"calls":false},"consented_at":"2026-03-01T10:00:00Z","source":"widget","at":"2026-03-01T10:00:05Z"}
{"type":"contact","customer":"k-1","name":"Ana Lima","at":"2026-03-02T10:00:00Z"}
{"type":"contact","customer":"k-1","consent":{"sms":false},"at":"2026-03-03T10:00:00Z","id":"cc-3"}
{"type":"contact","customer":"k-1","consent":{"sms":false,"email":true,"calls":true}}
{"type":"contact","customer":"k-1","external_id":null,"timezone":null,"blocked":true,"blocked_reason":"abuse","at":"2026-03-04T00:00:00Z"}
{"type":"contact","customer_id":"k-2","phone":"+447700900123","timezone":"Etc/GMT+5"}
{"type":"contact","customer":"k-3","name":"No Way"}
{"type":"contact","customer":"k-2","phone":null}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/k.jsonl"
is "$rc" 3 "contacts: exit 3 (two lines rejected)"
is "$(jq -c .crm "$T/out" | tr -d '\n')" \
	'{"kind":"contact","id":2,"new":true,"changed":true,"consent_changes":3}{"kind":"contact","id":2,"new":false,"changed":true,"consent_changes":0}{"kind":"contact","id":2,"new":false,"changed":true,"consent_changes":1}{"kind":"contact","id":2,"new":false,"changed":true,"consent_changes":1}{"kind":"contact","id":2,"new":false,"changed":true,"consent_changes":0}{"kind":"contact","id":3,"new":true,"changed":true,"consent_changes":0}' \
	"crm: the contact's id, new, changed, consent changes kept"
like "$(sed -n 1p "$T/err")" '^crm-track: error \(at .*k\.jsonl:7\): a new contact needs "email" or "phone" \(k-3\)$' \
	"a new contact without email or phone is rejected"
like "$(sed -n 2p "$T/err")" 'k\.jsonl:8\): this would leave contact k-2 with neither "email" nor "phone"$' \
	"so is a line that would clear the last one"
is "$(sq -separator '|' "select customer_id, email, phone, name, coalesce(external_id, '-'), coalesce(timezone, '-'),
	consent_sms, consent_email, consent_calls, consented_at, blocked, blocked_reason, blocked_at, source,
	created_at, updated_at from contacts where customer_id = 'k-1'")" \
	"k-1|ana@example.com|+15555551234|Ana Lima|-|-|0|1|1|$(epoch "$NOW")|1|abuse|$(epoch 2026-03-04T00:00:00Z)|widget|$(epoch "$NOW")|$(epoch "$NOW")" \
	"contact: absent fields kept, null cleared, consent as changed last, blocked_at from the line's at"
is "$(sq "select channel || ':' || granted || ':' || at || ':' || coalesce(event_id, '-') from consent_changes
	where contact_id = 2 order by id" | tr '\n' ' ')" \
	"sms:1:$(epoch 2026-03-01T10:00:00Z):- email:1:$(epoch 2026-03-01T10:00:00Z):- calls:0:$(epoch 2026-03-01T10:00:00Z):- sms:0:$(epoch 2026-03-03T10:00:00Z):cc-3 calls:1:$(epoch "$NOW"):- " \
	"consent changes: at consented_at, else the line's at, else now; the line's id"
is "$(sq "select phone || ':' || timezone || ':' || consent_sms || consent_email || consent_calls from contacts where customer_id = 'k-2'")" \
	"+447700900123:Etc/GMT+5:000" "customer_id is customer's alias; no consent given is no consent"

sq 'select * from contacts order by id' > "$T/k.before"
sq 'select * from consent_changes order by id' > "$T/cc.before"
run crm-track --db "$DB" --now "$NOW" "$T/k.jsonl"
is "$rc/$(lines "$T/out")" "3/6" "the contacts again: the same two rejects"
sq 'select * from contacts order by id' > "$T/k.after"
sq 'select * from consent_changes order by id' > "$T/cc.after"
diff_ok "$T/k.after" "$T/k.before" "... the contacts end as they were"
diff_ok "$T/cc.after" "$T/cc.before" "... and no consent change is kept twice"
# a later clock: a line without a time is "now" again, and must still
# find its consent already kept
run crm-track --db "$DB" --now 2026-03-20T00:00:00Z "$T/k.jsonl"
sq 'select * from consent_changes order by id' > "$T/cc.after"
diff_ok "$T/cc.after" "$T/cc.before" "the contacts again with a later --now: no consent change kept twice"
sq 'select * from contacts order by id' > "$T/k.after"
diff_ok "$T/k.after" "$T/k.before" "... and no field set back by an older line, nor updated_at moved"
is "$(sq "select consent_sms || consent_email || consent_calls || ':' || consented_at from contacts where customer_id = 'k-1'")" \
	"011:$(epoch "$NOW")" "... and the consent is as the latest change left it"

# an old export fed again after a withdrawal does not give the consent back
printf '%s\n' '{"type":"contact","customer":"r-1","email":"r1@example.com","consent":{"email":true,"sms":true},"at":"2026-03-01T00:00:00Z"}' > "$T/grant.jsonl"
printf '%s\n' '{"type":"contact","customer":"r-1","consent":{"email":false},"at":"2026-03-02T00:00:00Z"}' > "$T/withdraw.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/grant.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/withdraw.jsonl"
sq "select * from contacts where customer_id = 'r-1'" > "$T/r.before"
run crm-track --db "$DB" --now 2026-03-09T00:00:00Z "$T/grant.jsonl"
is "$rc/$(jq -c '.crm | [.new, .changed, .consent_changes]' "$T/out")" '0/[false,false,0]' \
	"a grant older than the withdrawal, again: nothing changed"
sq "select * from contacts where customer_id = 'r-1'" > "$T/r.after"
diff_ok "$T/r.after" "$T/r.before" "... the contact as the withdrawal left it (email 0, sms 1)"
printf '%s\n' '{"type":"contact","customer":"r-1","consent":{"email":true},"at":"2026-02-15T00:00:00Z"}' > "$T/older.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/older.jsonl"
is "$(jq -c .crm.consent_changes "$T/out"):$(sq "select consent_email || ':' || consented_at from contacts where customer_id = 'r-1'"):$(sq "select group_concat(granted || '@' || at) from (select granted, at from consent_changes c join contacts k on k.id = c.contact_id where k.customer_id = 'r-1' and channel = 'email' order by at)")" \
	"1:0:$(epoch 2026-03-02T00:00:00Z):1@$(epoch 2026-02-15T00:00:00Z),1@$(epoch 2026-03-01T00:00:00Z),0@$(epoch 2026-03-02T00:00:00Z)" \
	"a consent older than the latest change: kept as history, the contact unchanged"

# two exports out of order: the fields are the newest line's, an older
# line's consent is still judged channel by channel
cat > "$T/order.jsonl" <<'EOF'
{"type":"contact","customer":"o-1","email":"o1@example.com","name":"New","at":"2026-03-05T00:00:00Z"}
{"type":"contact","customer":"o-1","name":"Old","phone":"+15555550000","blocked":true,"consent":{"sms":true},"at":"2026-03-01T00:00:00Z"}
{"type":"contact","customer":"o-1","name":"Same time","at":"2026-03-05T00:00:00Z"}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/order.jsonl"
is "$rc/$(jq -c '.crm | [.changed, .consent_changes]' "$T/out" | tr '\n' ' ')" \
	'0/[true,0] [true,1] [true,0] ' "an older line after a newer one: only its consent is news"
is "$(sq "select name || ':' || coalesce(phone, '-') || ':' || blocked || ':' || consent_sms || ':' || fields_at from contacts where customer_id = 'o-1'")" \
	"Same time:-:0:1:$(epoch 2026-03-05T00:00:00Z)" \
	"... its name, phone and block not applied; a line of the same time applies"

# phones as people write them, kept in E.164
cat > "$T/phones.jsonl" <<'EOF'
{"type":"contact","customer":"p-1","phone":"+1 (555) 555-1234"}
{"type":"contact","customer":"p-2","phone":" 0044 (0)7700.900-123 "}
{"type":"contact","customer":"p-1","phone":"+15555551234"}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/phones.jsonl"
is "$rc/$(jq -c .crm.changed "$T/out" | tr '\n' ' ')/$(sq "select group_concat(phone, ' ') from (select phone from contacts where customer_id like 'p-%' order by id)")" \
	"0/true true false /+15555551234 +447700900123" \
	"phones with spaces, dots, dashes, parentheses, 00, a trunk (0): kept in E.164, the same number again changes nothing"

printf '%s\n' '{"type":"contact","customer":"k-2","timezone":"Etc/GMT+5","phone":"+447700900123"}' > "$T/same.jsonl"
run crm-track --db "$DB" --now 2026-04-01T00:00:00Z "$T/same.jsonl"
is "$(jq -c .crm "$T/out")/$(sq "select updated_at from contacts where customer_id = 'k-2'")" \
	"{\"kind\":\"contact\",\"id\":3,\"new\":false,\"changed\":false,\"consent_changes\":0}/$(epoch "$NOW")" \
	"a line that changes nothing: nothing written, updated_at kept"
printf '%s\n' '{"type":"contact","customer":"k-1","blocked":false}' > "$T/unblock.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/unblock.jsonl"
is "$(sq "select blocked || ':' || coalesce(blocked_at, '-') from contacts where customer_id = 'k-1'")" "0:-" \
	"unblocked: blocked_at cleared"
printf '%s\n' '{"type":"contact","customer":"k-4","email":"dee@example.com","consent":{"email":true}}' > "$T/k4.jsonl"
run crm-track --db "$DB" --now "$NOW" "$T/k4.jsonl"
is "$(sq "select consented_at || ':' || (select at from consent_changes where contact_id = c.id) from contacts c where customer_id = 'k-4'")" \
	"$(epoch "$NOW"):$(epoch "$NOW")" "consent without consented_at or at: the time is now (--now)"

# ---- -l --------------------------------------------------------------------------
run crm-track --db "$DB" -l k-1
is "$rc/$(lines "$T/out")" "0/6" "-l: the contact, then its consent changes"
is "$(jq -c '[.kind, .channel // .name, .granted, .at]' "$T/out" | tr -d '\n')" \
	'["contact","Ana Lima",null,null]["consent","sms",true,"2026-03-01T10:00:00Z"]["consent","email",true,"2026-03-01T10:00:00Z"]["consent","calls",false,"2026-03-01T10:00:00Z"]["consent","sms",false,"2026-03-03T10:00:00Z"]["consent","calls",true,"2026-03-05T00:00:00Z"]' \
	"... oldest first"
run crm-track --db "$DB" -l c-1
is "$(jq -r 'select(.kind == "event") | .id' "$T/out" | tr '\n' ' ')" \
	"ev-01 ev-02 ev-03 ev-04 ev-05 ev-06 ev-07 ev-08 ev-09 ev-10 ev-11 ev-12 ev-13 ev-14 ev-15 ev-16 ev-17 " \
	"-l: a customer's events in time order"
is "$(jq -c 'select(.id == "ev-04") | [.session, .at, .metadata]' "$T/out")" \
	'["s-1","2026-03-01T10:40:00Z",{"duration":1800}]' "... with session, time (UTC) and metadata"
run crm-track --db "$DB" -l nobody
is "$rc/$(lines "$T/out")" "1/0" "-l of nobody: exit 1"

# ---- --funnel: esc-stats' funnel section -----------------------------------------
run crm-track --db "$DB" --funnel
is "$rc" 0 "--funnel: exit 0"
is "$(jq -r .section "$T/out" | sort -u)" funnel "... JSON lines of the funnel section"
is "$(jq -r 'select(.step == "intakes") | .events' "$T/out")" \
	"$(jq -r 'select(.type == "intake_submitted")' "$T/ev.jsonl" | jq -s length)" \
	"... whose intakes are the intake events"
run crm-track --db "$DB" --funnel --customer c-2
is "$(jq -r 'select(.step == "intakes") | .events' "$T/out")" \
	"$(jq -c 'select(.type == "intake_submitted" and .customer == "c-2")' "$T/ev.jsonl" | wc -l | tr -d ' ')" \
	"--customer: one customer's"
run crm-track --db "$DB" --funnel --since 2026-03-02 --until 2026-03-03
is "$(jq -r 'select(.step == "intakes") | .events' "$T/out")" \
	"$(jq -c 'select(.type == "intake_submitted" and .at >= "2026-03-02")' "$T/ev.jsonl" | wc -l | tr -d ' ')" \
	"--since, --until: a time range's"
run crm-track --db "$DB" --funnel -t
like "$(head -n 1 "$T/out")" '[Ff]unnel' "-t: a table with a title"
run crm-track --db "$DB" --funnel --csv
like "$(head -n 1 "$T/out")" '^section,step,' "--csv: CSV with a heading"
run crm-track --db "$T/none.db" --funnel
is "$rc:$(cat "$T/err")" \
	"6:crm-track: error: $T/none.db: No such file or directory (a report reads a store, it never creates one)" \
	"--funnel on a store that does not exist: exit 6, and the message names this tool alone"

# ---- options ---------------------------------------------------------------------
run crm-track --help
is "$rc/$(head -c 16 "$T/out")" "0/usage: crm-track" "--help"
run crm-track --version
like "$rc/$(cat "$T/out")" '^0/crm-track [0-9]' "--version"
run crm-track --bogus
is "$rc" 2 "an unknown option: exit 2"
run crm-track --db "$DB" --forget x "$T/ev.jsonl"
is "$rc" 2 "--forget with files: exit 2"
run crm-track --db "$DB" --funnel --forget x
is "$rc" 2 "--funnel and --forget together: exit 2"
run crm-track --db "$DB" --older-than 9d
is "$rc" 2 "--older-than without --purge: exit 2"
run crm-track --db "$DB" --customer c-1
is "$rc" 2 "--customer without --funnel: exit 2"
run crm-track --db "$DB" --batch 0
is "$rc" 2 "--batch 0: exit 2"
run crm-track --db "$DB" --funnel --since 2026-03-02 --until 2026-03-01
is "$rc" 2 "--since after --until: exit 2"
run crm-track --db "$DB" --now yesterday "$T/ev.jsonl"
is "$rc" 2 "a bad --now: exit 2"
cp -R "$ESC_SHARE" "$T/share"
echo '{"default": "two"}' > "$T/share/crm/currencies.json"
run crm-track --db "$DB" --share "$T/share" "$T/ev.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "a bad crm/currencies.json: exit 4, nothing read"
like "$(cat "$T/err")" 'crm/currencies.json: needs "default"' "... saying which file"

done_testing
