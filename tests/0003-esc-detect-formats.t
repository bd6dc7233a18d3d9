#!/bin/sh
# esc-detect -f intercom|zendesk|chatwoot: chat exports as they come.
# The fixtures are tests/data/*.jsonl (see tests/data/README); the counts
# and ids below were read off them by hand.
. "$(dirname "$0")/lib.sh"

D=$top/tests/data
plan 78

# common FORMAT COUNT: the shape every message record has.
common() {
	is "$rc" 0 "$1: exit 0"
	is "$(lines "$T/out")" "$2" "$1: $2 customer messages, nothing from bots, agents or notes"
	is "$(jq -c 'select((.id | type) == "null" or (.conversation_id | type) == "null"
		or (.user_id | type) == "null" or (.text | type) != "string"
		or (.detect | type) != "object")' "$T/out" | head -n 3)" "" \
		"$1: each has id, conversation_id, user_id, text and a detect object"
	is "$(jq -r '.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")' \
		"$T/out" | sort -u)" "true" "$1: created_at is RFC 3339"
	is "$(jq -r '[.source, .role] | join(" ")' "$T/out" | sort -u)" "$1 customer" \
		"$1: source is $1, role is customer"
}

# routes: "id route" for every message, in order
routes() {
	jq -r '"\(.id) \(.detect.route)"' "$T/out" | tr '\n' ' '
}

# ---- Intercom ------------------------------------------------------------
# 4 conversations: 3 + 3 + 2 + 3 customer messages (source, then user/lead
# comments); bot and admin comments, notes, assignments and closes are not.
run esc-detect -f intercom "$D/intercom.jsonl"
common intercom 11
is "$(jq -r .id "$T/out" | tr '\n' ' ')" \
	"191000000101 24110002 24110003 191000000102 24110102 24110106 191000000103 24110202 191000000104 24110302 24110305 " \
	"intercom: the customer's messages, in conversation order"
is "$(jq -r 'select(.id == "24110003") | .text' "$T/out")" \
	"Also can you review my pricing structure and tell me what's wrong? I charge \$150 per frontal install & \$120 for closures and I'm always booked but broke." \
	"intercom: HTML tags stripped, entities decoded"
is "$(jq -r 'select(.id == "191000000102") | .text' "$T/out")" \
	"That is THREE missed appointments now. I have been a customer for 6 years and I have never been treated like this." \
	"intercom: a <br> becomes a space"
is "$(grep -c '<p>\|&amp;\|&#39;' "$T/out")" 0 "intercom: no markup left in any text"
is "$(jq -r 'select(.id == "191000000101") | [.conversation_id, .user_id, .created_at] | join(" ")' "$T/out")" \
	"190000000101 65f1a2b3c4d5e6f708091a01 2026-03-02T09:14:05Z" \
	"intercom: the first message takes the conversation's id, author and Unix time as RFC 3339"
is "$(jq -r 'select(.id == "191000000103") | .user_id' "$T/out")" "65f1a2b3c4d5e6f708091a03" \
	"intercom: a lead is a customer"
is "$(routes)" \
	"191000000101 none 24110002 none 24110003 paid 191000000102 human 24110102 human 24110106 none 191000000103 none 24110202 none 191000000104 human 24110302 human 24110305 none " \
	"intercom: missed appointments, a real person, a double charge, a chargeback escalate; thanks and how-tos do not"
is "$(jq -c 'select(.id == "24110102") | .detect.reasons | index("human_requested") != null' "$T/out")" true \
	"intercom: \"I want to speak to a real person\" is human_requested"
is "$(jq -c 'select(.id == "24110102") | .detect.alerts | index("cancel") != null' "$T/out")" true \
	"intercom: \"... and I'm about to cancel\" raises the cancel alert"
is "$(jq -r 'select(.id == "24110003") | .detect.route' "$T/out")" paid \
	"intercom: \"can you review my pricing structure and tell me what's wrong?\" is the paid kind"

# ---- Zendesk ---------------------------------------------------------------
# 4 tickets: 3 + 3 + 3 + 2 public comments by the requester; agent replies
# and private notes are not.
run esc-detect -f zendesk "$D/zendesk.jsonl"
common zendesk 11
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "9101 9103 9106 9201 9202 9205 9301 9303 9305 9401 9402 " \
	"zendesk: the requester's public comments, in order"
is "$(jq -r 'select(.id == 9101) | [.conversation_id, .user_id, .created_at] | map(tostring) | join(" ")' "$T/out")" \
	"35436 421000000203 2026-03-03T13:05:00Z" "zendesk: ticket id, requester, comment time"
is "$(jq -r 'select(.id == 9201 or .id == 9402) | "\(.id) \(.detect.severity) \(.detect.reasons | join(","))"' "$T/out" | tr '\n' ' ')" \
	"9201 high refund,dispute 9402 critical human_requested,legal " \
	"zendesk: a double charge with a refund demand is high; an attorney and a manager is critical"
is "$(jq -r 'select(.id | IN(9101, 9103, 9201, 9202, 9402)) | .detect.route' "$T/out" | sort -u)" human \
	"zendesk: a no-show, a third missed appointment, a double charge, a chargeback threat, an attorney: human"
is "$(jq -r 'select(.id | IN(9106, 9301, 9303, 9305)) | .detect.route' "$T/out" | sort -u)" none \
	"zendesk: a grudging ok, a drain-field question, booking an inspection, thanks: none"
is "$(jq -r 'select(.id == 9401) | .detect.route' "$T/out")" human \
	"zendesk: \"Your tech broke my sprinkler line ... Your company will be paying for this\" needs a human"
TODO="any mention of a refund escalates, even a thank-you"
is "$(jq -r 'select(.id == 9205) | .detect.route' "$T/out")" none \
	"zendesk: \"Ok I see the refund pending. Thank you for the fast help\" needs no one"
TODO=

# ---- Chatwoot -----------------------------------------------------------------
# 4 conversations: 3 + 2 + 2 + 2 incoming messages; outgoing, activity,
# template and private messages are not.
run esc-detect -f chatwoot "$D/chatwoot.jsonl"
common chatwoot 9
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "1001 1003 1008 1101 1104 1201 1203 1301 1303 " \
	"chatwoot: the incoming messages, in order"
is "$(jq -r 'select(.id == 1003) | [.conversation_id, .user_id, .created_at] | map(tostring) | join(" ")' "$T/out")" \
	"42 7 2026-03-05T09:12:00Z" "chatwoot: conversation id, sender, Unix time as RFC 3339"
is "$(jq -c 'select(.id == 1003) | .detect | [.route, .reasons]' "$T/out")" '["paid",["personalized_help","strategic"]]' \
	"chatwoot: \"What's the strategy for my business? Can you audit my whole setup?\" is paid"
is "$(jq -c 'select(.id == 1104) | .detect | [.route, .severity, .reasons]' "$T/out")" \
	'["human","critical",["human_requested","cancel","refund"]]' \
	"chatwoot: \"NO. CANCEL EVERYTHING AND REFUND MY PLAN. I want to talk to a manager!!!\" is critical"
is "$(jq -r 'select(.id | IN(1101, 1303)) | .detect.route' "$T/out" | sort -u)" human \
	"chatwoot: a missed appointment, a refund demand: human"
is "$(jq -r 'select(.id | IN(1001, 1008, 1201, 1203)) | .detect.route' "$T/out" | sort -u)" none \
	"chatwoot: how-tos and thanks: none"
is "$(jq -r 'select(.id == 1301) | .detect.route' "$T/out")" human \
	"chatwoot: \"THIS IS THE THIRD TIME I'M ASKING. I PAID FOR THE 1:1 MENTORSHIP ... NOBODY HAS CONTACTED ME\" needs a human"

# ---- what is not of the format ------------------------------------------------------
printf '%s\n' '{"id":1,"text":"a plain message"}' > "$T/plain.jsonl"
for f in intercom zendesk chatwoot; do
	{ head -n 1 "$D/$f.jsonl"; cat "$T/plain.jsonl"; sed -n 2p "$D/$f.jsonl"; } > "$T/mixed.jsonl"
	run esc-detect -f "$f" "$T/mixed.jsonl"
	case $f in
	intercom) why='not an Intercom conversation \("conversation_parts" or "source"\)' ;;
	zendesk) why='not a Zendesk ticket with "comments"' ;;
	chatwoot) why='not a Chatwoot conversation with "messages"' ;;
	esac
	is "$rc/$(jq -r .conversation_id "$T/out" | sort -u | wc -l | tr -d ' ')" "3/2" \
		"-f $f: a plain message line is rejected (exit 3), the conversations around it are read"
	like "$(cat "$T/err")" "^esc-detect: error \\(at $T/mixed\\.jsonl:2\\): $why\$" \
		"-f $f: ... saying what it expected"
done
printf '%s\n' '{"conversations":[' > "$T/broken.jsonl"
run esc-detect -f intercom "$T/broken.jsonl"
is "$rc" 3 "-f intercom: broken JSON is rejected"
like "$(cat "$T/err")" '^esc-detect: error \(at .*/broken\.jsonl:1\): invalid JSON' "... as invalid JSON"

# a page of conversations, as the list APIs return them
jq -cs '{type: "conversation.list", conversations: .}' "$D/intercom.jsonl" > "$T/page.jsonl"
run esc-detect -f intercom "$T/page.jsonl"
is "$rc/$(lines "$T/out")" "0/11" "-f intercom: a page of conversations on one line gives the same 11 messages"

# ---- hand-made conversations --------------------------------------------------------
conv() {   # conv AUTHOR-TYPE BODY: an Intercom conversation with one source message
	jq -cn --arg t "$1" --arg b "$2" '{type: "conversation", id: "c1", created_at: 1772442845,
		source: {id: "s1", body: $b, author: {type: $t, id: "u1"}},
		conversation_parts: {conversation_parts: []}}'
}
conv user '<p>I&#8217;m done&#x21; Don&#39;t call me &amp; 5 &lt; 6</p><p>Bye</p>' > "$T/ent.jsonl"
run esc-detect -f intercom "$T/ent.jsonl"
is "$rc/$(jq -r .id "$T/out")" "0/s1" "intercom: a conversation with one message from a user"
is "$(jq -r '.text | test("&#")' "$T/out")" false "intercom: numeric character references are decoded"
is "$(jq -r '.text | test("Don.t call me & 5 < 6 Bye$")' "$T/out")" true \
	"intercom: named entities decoded, paragraphs joined by a space"
conv user '<p>Is $4 < $5 for my pricing, or is $5 > $4?</p>' > "$T/lt.jsonl"
run esc-detect -f intercom "$T/lt.jsonl"
is "$rc/$(jq -r .text "$T/out")" '0/Is $4 < $5 for my pricing, or is $5 > $4?' \
	"intercom: a \"<\" before a space is text, not a tag running to the next \">\""

# created_at: Unix seconds become RFC 3339, to the second; what is no time
# of the years 0000 to 9999 (milliseconds, say) is kept as it came
for ca in '1772442845/"2026-03-02T09:14:05Z"' '1772442845.75/"2026-03-02T09:14:05Z"' \
	'-62135596800/"0001-01-01T00:00:00Z"' '1772442845000/1772442845000' \
	'253402300800/253402300800' '"2026-03-02"/"2026-03-02"' 'true/true'; do
	conv user '<p>hi</p>' | jq -c --argjson t "${ca%%/*}" '.created_at = $t' > "$T/at.jsonl"
	run esc-detect -f intercom "$T/at.jsonl"
	is "$rc/$(grep -o '"created_at":[^,]*' "$T/out")" "0/\"created_at\":${ca#*/}" \
		"intercom: created_at ${ca%%/*} is written ${ca#*/}"
done
# the part types: a comment or an open, or none given; not a note, nor a
# type that is not a string
conv user '<p>hi</p>' | jq -c '.conversation_parts.conversation_parts = [
	{id: "p1", part_type: "comment", body: "refund", author: {type: "user"}},
	{id: "p2", part_type: "open", body: "refund", author: {type: "user"}},
	{id: "p3", body: "refund", author: {type: "user"}},
	{id: "p4", part_type: null, body: "refund", author: {type: "user"}},
	{id: "p5", part_type: "note", body: "refund", author: {type: "user"}},
	{id: "p6", part_type: 5, body: "refund", author: {type: "user"}},
	{id: "p7", part_type: ["comment"], body: "refund", author: {type: "user"}}]' > "$T/pt.jsonl"
run esc-detect -f intercom "$T/pt.jsonl"
is "$rc/$(jq -r .id "$T/out" | tr '\n' ' ')" "0/s1 p1 p2 p3 p4 " \
	"intercom: parts of type comment, open or none are read; a note or a type of another kind is not"
conv admin '<p>Hello from the team</p>' > "$T/admin.jsonl"
run esc-detect -f intercom "$T/admin.jsonl"
is "$rc/$(lines "$T/out")" "0/0" "intercom: no customer message: nothing written, exit 0"
is "$(cat "$T/err")" "esc-detect: warning (at $T/admin.jsonl:1): no customer messages in conversation \"c1\"" \
	"... and a warning naming the line and the conversation"

# A page with one conversation to score and one without a customer message:
# the first is scored, the second is named in a warning, and the run exits
# 0 as for a conversation alone.
page_ok() {   # page_ok FORMAT GOOD-ID WARNING: check the last run
	is "$rc/$(lines "$T/out")/$(jq -r .conversation_id "$T/out")" "0/1/$2" \
		"-f $1: a page with a customer-less conversation: the other is scored, exit 0"
	is "$(cat "$T/err")" "esc-detect: warning (at $T/page.jsonl:1): $3" \
		"-f $1: ... and the customer-less one gets a warning naming it"
}
printf '%s\n' '{"tickets":[{"id":102,"requester_id":6,"comments":[{"id":7,"author_id":6,"body":"hello"}]},{"id":103,"requester_id":7,"comments":[{"id":8,"author_id":8,"body":"only agent"}]}]}' > "$T/page.jsonl"
run esc-detect -f zendesk "$T/page.jsonl"
page_ok zendesk 102 "no customer messages in conversation 103"
printf '%s\n' '{"payload":[{"id":56,"messages":[{"id":9,"content":"hey","message_type":0}]},{"id":57,"messages":[{"id":10,"content":"agent","message_type":1}]}]}' > "$T/page.jsonl"
run esc-detect -f chatwoot "$T/page.jsonl"
page_ok chatwoot 56 "no customer messages in conversation 57"
{ conv user '<p>Where is my order?</p>'; conv admin '<p>Hello from the team</p>' | jq -c '.id = "c2"'; } |
	jq -cs '{type: "conversation.list", conversations: .}' > "$T/page.jsonl"
run esc-detect -f intercom "$T/page.jsonl"
page_ok intercom c1 'no customer messages in conversation "c2"'

# A customer message with no text (an attachment alone, a body of markup
# only) has nothing to score; a conversation left with none is warned of.
printf '%s\n' '{"id":5,"requester_id":6,"comments":[{"id":7,"author_id":6,"body":null},{"id":8,"author_id":6,"body":""},{"id":9,"author_id":6,"plain_body":" ","body":"refund me"}]}' \
	'{"id":6,"requester_id":6,"comments":[{"id":10,"author_id":6,"body":null},{"id":11,"author_id":6,"body":" \n"}]}' > "$T/notext.jsonl"
run esc-detect -f zendesk "$T/notext.jsonl"
is "$rc/$(jq -r '"\(.id) \(.text)"' "$T/out")" "0/9 refund me" \
	"zendesk: comments with a null, empty or blank body are not scored; a blank plain_body gives way to body"
is "$(cat "$T/err")" "esc-detect: warning (at $T/notext.jsonl:2): no customer messages in conversation 6" \
	"zendesk: ... and a ticket left with none is warned of"
printf '%s\n' '{"data":{"payload":[{"id":60,"messages":[{"id":1,"content":"","message_type":0},{"id":2,"content":null,"message_type":0}]},{"messages":[]}]}}' > "$T/notext.jsonl"
run esc-detect -f chatwoot "$T/notext.jsonl"
is "$rc/$(lines "$T/out")" "0/0" "chatwoot: incoming messages with no content are not scored"
is "$(cat "$T/err")" "esc-detect: warning (at $T/notext.jsonl:1): no customer messages in conversation 60
esc-detect: warning (at $T/notext.jsonl:1): no customer messages in conversation .data.payload[1], which has no \"id\"" \
	"chatwoot: a warning for each, one without an id named by its place on the page"
conv user '<p> </p><br>' > "$T/notext.jsonl"
run esc-detect -f intercom "$T/notext.jsonl"
is "$rc/$(lines "$T/out")" "0/0" "intercom: a body of markup only is not scored"
is "$(cat "$T/err")" "esc-detect: warning (at $T/notext.jsonl:1): no customer messages in conversation \"c1\"" \
	"intercom: ... and the conversation is warned of"
printf '%s\n' '{"tickets":[],"next_page":null}' > "$T/empty.jsonl"
run esc-detect -f zendesk "$T/empty.jsonl"
is "$rc/$(lines "$T/out")/$(cat "$T/err")" "0/0/" "zendesk: an empty page (the last of a listing) holds no conversation to warn of"

# ---- the option itself ------------------------------------------------------------------
run esc-detect -f mbox "$D/intercom.jsonl"
is "$rc/$(lines "$T/out")" "2/0" "an unknown format: exit 2, nothing written"
like "$(head -n 1 "$T/err")" '^esc-detect: error: unknown format "mbox"' "... naming it"
run esc-detect --format plain "$T/plain.jsonl"
is "$rc/$(jq -r .id "$T/out")" "0/1" "--format plain is the default reading"
done_testing
