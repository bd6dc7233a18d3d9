#!/bin/sh
# upsell-gen (default mode): completed sessions in, recommendations out and
# in the store. The rules (chat: diagnostic package, follow-up, video
# upgrade; video: diagnostic package, follow-up; any other: follow-up), the
# prices of every tier read from share/esc/upsell/recommendations.json with
# jq, aliases, metadata, idempotency, the store rows, and the bad-input
# matrix.
. "$(dirname "$0")/lib.sh"

plan 104

command -v sqlite3 > /dev/null 2>&1 || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }
[ -x "$BIN/upsell-gen" ] || { echo "1..0 # SKIP bin/upsell-gen is not built"; exit 0; }

RULES=$ESC_SHARE/upsell/recommendations.json
DB=$T/up.db
sq() { sqlite3 "$DB" "$@"; }
price() { jq -r --arg p "$1" --arg t "$2" '.prices[$p][$t]' "$RULES"; }
CUR=$(jq -r .currency "$RULES")
DEFAULT=$(jq -r .default_plan "$RULES")
# the types in the order of the rules, and the titles
TYPES=$(jq -r '[.rules[].type] | join(" ")' "$RULES")
title() { jq -r --arg t "$1" '.rules[] | select(.type == $t) | .title' "$RULES"; }
# [type, price, currency, plan, new] of each output line
up() { jq -c '[.upsell.type, .upsell.price_cents, .upsell.currency, .upsell.plan, .upsell.new]' "$T/out" | tr -d '\n'; }
# the input line as it came: the output line without its "upsell", which is last
strip() { sed 's/,"upsell":.*}$/}/' "$T/out"; }

is "$TYPES" "diagnostic_package follow_up video_upgrade" "premise: the three rules of seed 003"

# ---- the rules ------------------------------------------------------------------
CHAT='{"id":"ev-1","type":"session_completed","customer":"c-42","session":"s-9","at":"2026-03-01T10:00:00Z","metadata":{"session_type":"chat","plan":"basic","duration_min":25}}'
printf '%s\n' "$CHAT" > "$T/chat.jsonl"
run upsell-gen --db "$DB" "$T/chat.jsonl"
is "$rc" 0 "a chat session: exit 0"
is "$(up)" "[\"diagnostic_package\",$(price basic diagnostic_package),\"$CUR\",\"basic\",true][\"follow_up\",$(price basic follow_up),\"$CUR\",\"basic\",true][\"video_upgrade\",$(price basic video_upgrade),\"$CUR\",\"basic\",true]" \
	"chat: diagnostic package, follow-up and video upgrade, at the basic tier's prices"
is "$(strip | sort -u)" "$CHAT" "chat: every output line is the input line, every field in order, and the upsell last"
is "$(jq -r .upsell.title "$T/out" | tr '\n' '|')" "$(title diagnostic_package)|$(title follow_up)|$(title video_upgrade)|" \
	"chat: the titles of the data file"
like "$(jq -r .upsell.description "$T/out" | head -n 1)" "^[A-Z].*\\.$" "chat: a description in sentences"
is "$(jq -c .upsell.id "$T/out" | tr '\n' ' ')" "$(sq "SELECT group_concat(id, ' ') || ' ' FROM (SELECT id FROM recommendations WHERE session_id = 's-9' ORDER BY id)")" \
	"chat: the ids are the store's row ids"
is "$(sq "SELECT group_concat(customer_id || '|' || type || '|' || price_cents || '|' || currency || '|' || plan || '|' || session_type || '|' || created_at || '|' || metadata, ' ') FROM (SELECT * FROM recommendations WHERE session_id = 's-9' ORDER BY id)")" \
	"c-42|diagnostic_package|$(price basic diagnostic_package)|$CUR|basic|chat|$(sqlite3 :memory: "SELECT strftime('%s', '2026-03-01T10:00:00')")|{\"event_id\":\"ev-1\"} c-42|follow_up|$(price basic follow_up)|$CUR|basic|chat|$(sqlite3 :memory: "SELECT strftime('%s', '2026-03-01T10:00:00')")|{\"event_id\":\"ev-1\"} c-42|video_upgrade|$(price basic video_upgrade)|$CUR|basic|chat|$(sqlite3 :memory: "SELECT strftime('%s', '2026-03-01T10:00:00')")|{\"event_id\":\"ev-1\"}" \
	"chat: three rows: customer, type, price, currency, plan, session type, the completion time, the event id"
is "$(sq "SELECT count(*) FROM recommendations WHERE shown_at IS NULL AND clicked_at IS NULL AND purchased_at IS NULL AND title <> ''")" 3 \
	"chat: new rows, not yet shown, clicked or bought"

VIDEO='{"event_id":"ev-2","type":"session_completed","customer_id":"c-43","session_id":"s-10","time":"2026-03-01T11:00:00+01:00","metadata":{"session_type":"video","plan":"premium"}}'
run upsell-gen --db "$DB" <<EOF
$VIDEO
EOF
is "$rc" 0 "a video session, with the aliases event_id, customer_id, session_id and time: exit 0"
is "$(up)" "[\"diagnostic_package\",$(price premium diagnostic_package),\"$CUR\",\"premium\",true][\"follow_up\",$(price premium follow_up),\"$CUR\",\"premium\",true]" \
	"video: diagnostic package and follow-up at the premium tier's prices, no video upgrade"
is "$(sq "SELECT group_concat(customer_id || '|' || type || '|' || created_at, ' ') FROM recommendations WHERE session_id = 's-10'")" \
	"c-43|diagnostic_package|$(sqlite3 :memory: "SELECT strftime('%s', '2026-03-01T10:00:00')") c-43|follow_up|$(sqlite3 :memory: "SELECT strftime('%s', '2026-03-01T10:00:00')")" \
	"video: the aliases' values kept, the time's offset applied"

for st in diagnostic phone; do
	printf '{"type":"session_completed","customer":"c-44","session":"s-%s","at":"2026-03-02T10:00:00Z","session_type":"%s","plan":"free"}\n' "$st" "$st" > "$T/in.jsonl"
	run upsell-gen --db "$DB" "$T/in.jsonl"
	is "$rc/$(up)" "0/[\"follow_up\",$(price free follow_up),\"$CUR\",\"free\",true]" "a $st session: a follow-up only, at the free tier's price"
done

# top level wins over metadata, for the type and for the plan
run upsell-gen --db "$DB" <<'EOF'
{"type":"session_completed","customer":"c-45","session":"s-11","at":"2026-03-02T10:00:00Z","session_type":"video","plan":"free","metadata":{"session_type":"chat","plan":"premium"}}
EOF
is "$(up)" "[\"diagnostic_package\",$(price free diagnostic_package),\"$CUR\",\"free\",true][\"follow_up\",$(price free follow_up),\"$CUR\",\"free\",true]" \
	"session_type and plan at the top level win over metadata's"

# no plan: the default tier; an unknown plan: the default tier and a warning
run upsell-gen --db "$DB" <<'EOF'
{"type":"session_completed","customer":"c-46","session":"s-12","at":"2026-03-02T10:00:00Z","session_type":"video"}
EOF
is "$rc/$(up)" "0/[\"diagnostic_package\",$(price "$DEFAULT" diagnostic_package),\"$CUR\",\"$DEFAULT\",true][\"follow_up\",$(price "$DEFAULT" follow_up),\"$CUR\",\"$DEFAULT\",true]" \
	"no plan: priced at default_plan's tier"
run upsell-gen --db "$DB" <<'EOF'
{"type":"session_completed","customer":"c-47","session":"s-13","at":"2026-03-02T10:00:00Z","session_type":"diagnostic","plan":"gold"}
EOF
is "$rc/$(up)" "0/[\"follow_up\",$(price "$DEFAULT" follow_up),\"$CUR\",\"$DEFAULT\",true]" "an unknown plan: priced at default_plan's tier, exit 0"
like "$(cat "$T/err")" "^upsell-gen: warning \\(at <stdin>:1\\): plan \"gold\" has no prices" "... and a warning that says so"
is "$(sq "SELECT metadata FROM recommendations WHERE session_id = 's-13'")" '{"given_plan":"gold"}' "... and the plan given kept in the row's metadata"

# session types are matched as plans are, exactly: one the rules do not
# list gets what every session gets, and a warning, as an unknown plan does
run upsell-gen --db "$DB" <<'EOF'
{"type":"session_completed","customer":"c-48","session":"s-14","at":"2026-03-02T10:00:00Z","session_type":"Chat","plan":"basic"}
{"type":"session_completed","customer":"c-48","session":"s-15","at":"2026-03-02T10:00:00Z","session_type":"Chat","plan":"Basic"}
EOF
is "$rc/$(up)" "0/[\"follow_up\",$(price basic follow_up),\"$CUR\",\"basic\",true][\"follow_up\",$(price "$DEFAULT" follow_up),\"$CUR\",\"$DEFAULT\",true]" \
	"an unknown session type (\"Chat\"): the follow-up alone, exit 0"
is "$(cat "$T/err")" "upsell-gen: warning (at <stdin>:1): session type \"Chat\" is not in upsell/recommendations.json (chat, video, diagnostic): only the recommendations for every session
upsell-gen: warning (at <stdin>:2): plan \"Basic\" has no prices in upsell/recommendations.json: priced as \"$DEFAULT\"; session type \"Chat\" is not in upsell/recommendations.json (chat, video, diagnostic): only the recommendations for every session" \
	"... with a warning, as for a plan written \"Basic\", and both when both are unknown"

# every tier of the data file, at its prices
for tier in $(jq -r '.prices | keys[]' "$RULES"); do
	printf '{"type":"session_completed","customer":"c-t","session":"tier-%s","at":"2026-03-03T10:00:00Z","session_type":"chat","plan":"%s"}\n' "$tier" "$tier" > "$T/in.jsonl"
	run upsell-gen --db "$DB" "$T/in.jsonl"
	is "$(jq -c '[.upsell.type, .upsell.price_cents]' "$T/out" | tr -d '\n')" \
		"[\"diagnostic_package\",$(price "$tier" diagnostic_package)][\"follow_up\",$(price "$tier" follow_up)][\"video_upgrade\",$(price "$tier" video_upgrade)]" \
		"tier $tier: the three prices of the data file"
done
is "$(jq '.prices | length' "$RULES")" 4 "premise: four tiers were tried"

# other events pass through once
run upsell-gen --db "$DB" <<'EOF'
{"id":"ev-3","type":"summary_viewed","customer":"c-42","session":"s-9","at":"2026-03-01T10:05:00Z"}
{"id":"ev-4","type":"upsell_clicked","upsell":{"id":3},"n":[1,2]}
EOF
is "$rc" 0 "other events: exit 0"
is "$(cat "$T/out")" '{"id":"ev-3","type":"summary_viewed","customer":"c-42","session":"s-9","at":"2026-03-01T10:05:00Z","upsell":null}
{"id":"ev-4","type":"upsell_clicked","n":[1,2],"upsell":null}' "other events: once each, \"upsell\": null (an old upsell replaced)"

# ---- idempotency -----------------------------------------------------------------
before=$(sq "SELECT count(*) FROM recommendations")
run upsell-gen --db "$DB" "$T/chat.jsonl"
is "$rc" 0 "the same session again: exit 0"
is "$(jq -c '[.upsell.id, .upsell.new]' "$T/out" | tr -d '\n')" \
	"$(sq "SELECT group_concat(json_array(id, json('false')), '') FROM (SELECT id FROM recommendations WHERE session_id = 's-9' ORDER BY id)")" \
	"... the same ids, \"new\": false"
is "$(sq "SELECT count(*) FROM recommendations")" "$before" "... and no new row"
printf '%s\n' '{"id":"ev-x","type":"session_completed","customer":"c-other","session":"s-9","at":"2026-03-01T10:00:00Z","session_type":"chat"}' > "$T/other.jsonl"
run upsell-gen --db "$DB" "$T/other.jsonl"
is "$rc/$(sq "SELECT count(*) FROM recommendations WHERE customer_id = 'c-other'")/$(grep -c 'warning.*session s-9 already has a .* recommendation for another customer: kept as it was' "$T/err")" \
	"0/0/1" "another customer's session under a kept session id: nothing new, and a warning"
# the same session under another event id, with another plan: still one per (session, type)
printf '%s\n' '{"id":"ev-9","type":"session_completed","customer":"c-42","session":"s-9","at":"2026-03-01T12:00:00Z","session_type":"chat","plan":"premium"}' > "$T/in.jsonl"
run upsell-gen --db "$DB" "$T/in.jsonl"
is "$(up)" "[\"diagnostic_package\",$(price basic diagnostic_package),\"$CUR\",\"basic\",false][\"follow_up\",$(price basic follow_up),\"$CUR\",\"basic\",false][\"video_upgrade\",$(price basic video_upgrade),\"$CUR\",\"basic\",false]" \
	"one recommendation per session and type: a second event prints the rows kept"
is "$(sq "SELECT count(*) FROM recommendations")" "$before" "... and adds none"
is "$(sq "SELECT count(*) FROM (SELECT session_id, type FROM recommendations GROUP BY 1, 2 HAVING count(*) > 1)")" 0 \
	"no (session, type) twice in the store"

# ---- the data file is data ------------------------------------------------------------
mkdir -p "$T/share"
cp -R "$ESC_SHARE/." "$T/share/"
jq '.prices.basic.follow_up = 1234 | .currency = "EUR"' "$RULES" > "$T/share/upsell/recommendations.json"
printf '{"type":"session_completed","customer":"c-d","session":"d-1","at":"2026-03-03T10:00:00Z","session_type":"diagnostic","plan":"basic"}\n' > "$T/in.jsonl"
run upsell-gen --db "$T/d.db" --share "$T/share" "$T/in.jsonl"
is "$rc/$(up)" '0/["follow_up",1234,"EUR","basic",true]' "an edited price and currency in share/ are used"
jq 'del(.rules[] | select(.type == "follow_up"))' "$RULES" > "$T/share/upsell/recommendations.json"
printf '{"id":"x","type":"session_completed","customer":"c-d","session":"d-2","at":"2026-03-03T10:00:00Z","session_type":"diagnostic"}\n' > "$T/in.jsonl"
run upsell-gen --db "$T/d.db" --share "$T/share" "$T/in.jsonl"
is "$rc/$(cat "$T/out")" '0/{"id":"x","type":"session_completed","customer":"c-d","session":"d-2","at":"2026-03-03T10:00:00Z","session_type":"diagnostic","upsell":null}' \
	"a session no rule applies to: printed once, \"upsell\": null"
jq '.prices.free = {"follow_up": 1}' "$RULES" > "$T/share/upsell/recommendations.json"
printf '%s\n' "$CHAT" > "$T/in.jsonl"
run upsell-gen --db "$T/d.db" --share "$T/share" "$T/in.jsonl"
is "$rc" 4 "a tier without a price for every type: exit 4"
like "$(cat "$T/err")" 'tier "free" has no price for "diagnostic_package"' "... saying which"
jq '.session_types = ["chat"]' "$RULES" > "$T/share/upsell/recommendations.json"
run upsell-gen --db "$T/d.db" --share "$T/share" "$T/in.jsonl"
is "$rc" 4 "a rule after a session type session_types does not list: exit 4"
like "$(cat "$T/err")" 'rule "diagnostic_package" follows session type "video", which "session_types" does not list' "... saying which"
printf '{"rules": [' > "$T/share/upsell/recommendations.json"
printf '%s\n' "$CHAT" > "$T/in.jsonl"
run upsell-gen --db "$T/d.db" --share "$T/share" "$T/in.jsonl"
is "$rc/$(lines "$T/out")" "4/0" "a broken rules file: exit 4, nothing out"

# ---- bad input ---------------------------------------------------------------------
GOOD1='{"type":"session_completed","customer":"g","session":"g-1","at":"2026-03-04T10:00:00Z","session_type":"diagnostic"}'
GOOD2='{"type":"session_completed","customer":"g","session":"g-2","at":"2026-03-04T11:00:00Z","session_type":"diagnostic"}'
# bad DESC REASON-ERE LINE: LINE between two good lines, in a fresh store, is
# rejected with one diagnostic and stores nothing; the good lines go through.
bad() {
	printf '%s\n%s\n%s\n' "$GOOD1" "$3" "$GOOD2" > "$T/case.jsonl"
	rm -f "$T/case.db" "$T/case.db-wal" "$T/case.db-shm"
	run upsell-gen --db "$T/case.db" "$T/case.jsonl"
	is "$rc/$(lines "$T/err")" "3/1" "$1: exit 3, one diagnostic"
	like "$(cat "$T/err")" "^upsell-gen: error \\(at $T/case\\.jsonl:2\\): $2\$" "$1: at case.jsonl:2, \"$2\""
	is "$(jq -r .session "$T/out" | tr '\n' ' ')/$(sqlite3 "$T/case.db" "SELECT group_concat(session_id, ' ') FROM recommendations")" \
		"g-1 g-2 /g-1 g-2" "$1: the lines around it out and stored, nothing of it"
}
MISSING='missing: a session_completed event needs customer, session and at'
bad "broken JSON" 'invalid JSON at byte [0-9]+: premature EOF' '{"type":"session_completed","customer":'
bad "not an object" 'not a JSON object' '["session_completed"]'
bad "no type" 'field "type" missing: an event names its type \(session_completed, ...\)' '{"customer":"c","session":"s","at":"2026-03-04T10:00:00Z"}'
bad "type a number" 'field "type" must be a string' '{"type":7}'
bad "no customer" "field \"customer\" $MISSING" '{"type":"session_completed","session":"s","at":"2026-03-04T10:00:00Z"}'
bad "no session" "field \"session\" $MISSING" '{"type":"session_completed","customer":"c","at":"2026-03-04T10:00:00Z"}'
bad "no at (time null)" "field \"at\" $MISSING" '{"type":"session_completed","customer":"c","session":"s","time":null}'
bad "customer_id a fraction" 'field "customer_id" must be a non-empty string or a whole number' '{"type":"session_completed","customer_id":4.5,"session":"s","at":"2026-03-04T10:00:00Z"}'
bad "customer past 64 bits" 'field "customer" is too large \(a whole number must fit in 64 bits\)' '{"type":"session_completed","customer":18446744073709551616,"session":"s","at":"2026-03-04T10:00:00Z"}'
bad "session an array" 'field "session" must be a non-empty string or a whole number' '{"type":"session_completed","customer":"c","session":["s"],"at":"2026-03-04T10:00:00Z"}'
bad "at a number" 'field "at" must be a string' '{"type":"session_completed","customer":"c","session":"s","at":1772618400}'
bad "at not a time" 'field "at" must be an RFC 3339 time, like "2026-03-01T10:15:00Z"' '{"type":"session_completed","customer":"c","session":"s","at":"yesterday"}'
bad "session_type a number" 'field "session_type" must be a non-empty string' '{"type":"session_completed","customer":"c","session":"s","at":"2026-03-04T10:00:00Z","session_type":3}'
bad "metadata.plan an object" 'field "metadata.plan" must be a non-empty string' '{"type":"session_completed","customer":"c","session":"s","at":"2026-03-04T10:00:00Z","metadata":{"plan":{}}}'
bad "metadata a string" 'field "metadata" must be an object' '{"type":"session_completed","customer":"c","session":"s","at":"2026-03-04T10:00:00Z","metadata":"chat"}'
bad "id an object" 'field "id" must be a string or a number' '{"id":{},"type":"session_completed","customer":"c","session":"s","at":"2026-03-04T10:00:00Z"}'
bad "invalid UTF-8" 'invalid JSON at byte [0-9]+: invalid (bytes in UTF8 string|UTF-8).*' "$(printf '{"type":"session_completed","customer":"c\377","session":"s","at":"2026-03-04T10:00:00Z"}')"
bad "an empty line" 'empty line' ' '

# whole-number ids, as crm-track takes them: kept as their digits
printf '%s\n' '{"type":"session_completed","customer_id":42,"session":5,"at":"2026-03-04T10:00:00Z","session_type":"chat"}' > "$T/ints.jsonl"
run upsell-gen --db "$T/ints.db" "$T/ints.jsonl"
is "$rc/$(sqlite3 "$T/ints.db" "SELECT DISTINCT quote(customer_id) || ' ' || quote(session_id) FROM recommendations")" \
	"0/'42' '5'" "a customer and a session given as whole numbers: kept as text, as crm-track keeps them"

# a huge line: 2 MB of note, taken as it is
note=$(head -c 2000000 /dev/zero | tr '\0' 'a')
printf '{"type":"session_completed","customer":"h","session":"h-1","at":"2026-03-04T10:00:00Z","session_type":"chat","note":"%s"}\n' "$note" > "$T/huge.jsonl"
run upsell-gen --db "$T/huge.db" "$T/huge.jsonl"
is "$rc/$(lines "$T/out")/$(jq -r '.note | length' "$T/out" | sort -u)" "0/3/2000000" "a 2 MB line: three recommendations, the note intact"
printf '{"type":"session_completed","customer":"%s' "$note" > "$T/huge.jsonl"
printf '\n%s\n' "$GOOD1" >> "$T/huge.jsonl"
run upsell-gen --db "$T/huge.db" "$T/huge.jsonl"
is "$rc/$(lines "$T/out")/$(lines "$T/err")" "3/1/1" "a 2 MB broken line: rejected, the next line goes through"

# empty input
run upsell-gen --db "$T/empty.db" /dev/null
is "$rc/$(lines "$T/out")/$(lines "$T/err")/$(sqlite3 "$T/empty.db" 'SELECT count(*) FROM recommendations')" "0/0/0/0" \
	"empty input: exit 0, no output, no diagnostic, no row"

# --rejects and --strict
printf '%s\n%s\n%s\n%s\n' "$GOOD1" '{"type":"session_completed"}' 'nope' "$GOOD2" > "$T/mixed.jsonl"
rm -f "$T/m.db"
run upsell-gen --db "$T/m.db" --rejects "$T/rej" "$T/mixed.jsonl"
is "$rc/$(lines "$T/out")/$(lines "$T/err")" "3/2/2" "--rejects: exit 3, the good lines out, each bad one reported"
is "$(cat "$T/rej")" '{"type":"session_completed"}
nope' "--rejects: the bad lines, verbatim"
rm -f "$T/m.db"
run upsell-gen --db "$T/m.db" --strict "$T/mixed.jsonl"
is "$rc/$(jq -r .session "$T/out" | tr '\n' ' ')/$(lines "$T/err")" "3/g-1 /1" "--strict: stops at the first bad line, exit 3"
is "$(sqlite3 "$T/m.db" "SELECT group_concat(session_id) FROM recommendations")" "g-1" "--strict: what was printed is stored, nothing after"

done_testing
