#!/bin/sh
# upsell-gen --usage and --due: usage alerts become opportunities; the mail
# goes to a real SMTP server, the Slack summary and the model's plan over
# real HTTP (tests/servers), with faults on demand; the store is read with
# the sqlite3 shell. No secret may show in anything upsell-gen prints.
. "$(dirname "$0")/lib.sh"
. "$top/tests/servers/lib.sh"

command -v sqlite3 > /dev/null || plan skip_all "no sqlite3 shell"
command -v jq > /dev/null || plan skip_all "no jq"
smtpd_available || plan skip_all "no python3 with aiosmtpd"

SMTP_PASS=pw-Sm7pS3cr3t
AI_KEY=sk-AiK3yS3cr3tValue
SLACK_PATH=/services/T0001/B0002/SlackS3cr3tPath
httpd_start
smtpd_start --auth esc:$SMTP_PASS

export ESC_SMTP_URL=$SMTPD_URL ESC_SMTP_USER=esc ESC_SMTP_PASSWORD=$SMTP_PASS
export ESC_SMTP_FROM=sales@esc.example
# generous: under sanitizers on a busy machine a good call is slow; the hang cases set their own
net_timeouts 15s
export ESC_NET_RETRIES=1 ESC_NET_BACKOFF=10ms
export ESC_SLACK_WEBHOOK=$HTTPD_URL$SLACK_PATH
unset ESC_AI_URL ESC_AI_KEY ESC_AI_MODEL ESC_MEETING_URL ESC_DB

DB=$T/u.db
NOW=2026-03-01T10:00:00Z
: > "$T/all"
# urun ARGS...: run upsell-gen, keeping everything it printed for the
# secrets check at the end.
urun() {
	run upsell-gen "$@"
	cat "$T/out" "$T/err" >> "$T/all"
}
q() {
	sqlite3 "$DB" "$1"
}
mails() {
	lines "$SMTPD_DIR/messages.jsonl" 2> /dev/null || echo 0
}
posts() {
	lines "$HTTPD_DIR/requests.jsonl" 2> /dev/null || echo 0
}
# alert ID SEVERITY [VALUE [METRIC [EMAIL]]]
alert() {
	printf '{"id":"%s","account_id":"12345","metric":"%s","value":%s,"severity":"%s","at":"%s","trend":"increasing","period":"daily","contract":{"current_plan":"growth","current_spend":450,"contact":{"email":"%s","name":"Dana"}},"customer":"c-42"}\n' \
		"$1" "${4:-trade_volume}" "${3:-1500}" "$2" "$NOW" "${5:-ops@acme.example}"
}

# ---- full automation: drafted, mailed at once, waiting for 24 hours -----------------
alert crit-1 critical > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc" 0 "full automation: exit 0"
is "$(jq -r '.opportunity | [.new, .action, .state, .automation, .plan.plan, .plan_source, .slack] | join(" ")' "$T/out")" \
	"true sent waiting full scale rules posted" "full automation: sent at once, waiting, Slack posted"
is "$(mails)" 1 "one mail reached the SMTP server"
is "$(jq -r '[.mail_from, .rcpt_tos[0], .auth] | join(" ")' "$SMTPD_DIR/messages.jsonl")" \
	"sales@esc.example ops@acme.example esc" "from ESC_SMTP_FROM to the contract's contact, logged in"
like "$(tr -d '\r' < "$SMTPD_DIR/1.eml")" "Subject: Your trade volume has outgrown the growth plan" \
	"the mail's subject comes from email.txt"
like "$(tr -d '\r' < "$SMTPD_DIR/1.eml")" "Hi Dana," "the mail's body greets the contact by name"
python3 - "$SMTPD_DIR/1.eml" > "$T/parsed" 2>&1 <<'EOF'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
assert m['Message-ID'] and m['Date'] and m['To'] and m['From'], 'headers'
body = m.get_body(('plain',)).get_content()
assert 'reply "yes"' in body, body
print('ok')
EOF
is "$(cat "$T/parsed")" ok "the mail is well-formed (Message-ID, Date, From, To, a text body)"
is "$(q "select state, sent_at = strftime('%s','$NOW'), reply_due - sent_at, send_claimed_at is null, send_wanted from opportunities where alert_id = 'crit-1'")" \
	"waiting|1|86400|1|0" "the store: waiting, sent now, reply due in 24 hours, no claim left"
is "$(q "select group_concat(type, ',') from (select type from opportunity_events where opportunity_id = 1 order by id)")" \
	"drafted,sent,slack" "the timeline: drafted, sent, then the Slack summary"
is "$(posts)" 1 "one POST to the Slack webhook"
is "$(jq -r '[.method, .path, .headers["content-type"]] | join(" ")' "$HTTPD_DIR/requests.jsonl")" \
	"POST $SLACK_PATH application/json" "the summary is POSTed as JSON to the webhook"
like "$(jq -r '.body | fromjson | .text' "$HTTPD_DIR/requests.jsonl")" \
	'^Upsell opportunity #1: account 12345 \(growth\) hit 1500 trade volume \(critical\)\. Recommending scale' \
	"the Slack text is the summary from slack.txt"
like "$(jq -r '.body | fromjson | .text' "$HTTPD_DIR/requests.jsonl")" 'Automation: full; state: waiting\.$' \
	"... posted after the mail: the state it says is the one the mail left"

# ---- idempotent by alert id ---------------------------------------------------------------
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.new, .id, .state] | join(" ")' "$T/out")" "0/false 1 waiting" \
	"the same alert again: the same opportunity, new false"
is "$(mails)/$(posts)/$(q 'select count(*) from opportunities')" "1/1/1" "nothing sent, posted or stored twice"

# ---- alerts that do not trigger -----------------------------------------------------------
{
	alert low-sev medium
	alert small high 1000
	alert cpu high 5000 cpu_load
} > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc" 0 "alerts under the trigger: exit 0"
is "$(jq -c '[.opportunity, .why_not.rule]' "$T/out" | tr -d '\n')" \
	'[null,"severity"][null,"threshold"][null,"metric"]' "each is echoed with opportunity null and the rule it missed"
is "$(jq -r '.why_not.detail' "$T/out" | head -2 | tr '\n' '|')" \
	"severity medium is not one of high, critical|value 1000 is not over the threshold 1000|" \
	"why_not says why"
urun --usage --db "$DB" --now "$NOW" --threshold 999 "$T/in"
is "$(jq -c '.why_not.rule // .opportunity.state' "$T/out" | tr -d '\n')" '"severity""drafted""metric"' \
	"--threshold 999: 1000 is over it"
is "$(q "select count(*) from opportunities where alert_id in ('low-sev', 'cpu')")" 0 "nothing stored for them"

# ---- hybrid: drafted, sent on approval ----------------------------------------------------
alert hyb-1 high > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$(jq -r '.opportunity | [.action, .state, .automation] | join(" ")' "$T/out")/$(mails)" \
	"drafted drafted hybrid/1" "hybrid: drafted, nothing sent"
urun --due --db "$DB" --now "$NOW"
is "$rc/$(lines "$T/out")/$(mails)" "0/0/1" "--due leaves a hybrid draft alone"
echo '{"type":"approval","opportunity":"hyb-1","id":"ev-appr-1","by":"sam","at":"2026-03-01T10:30:00Z"}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T10:30:00Z "$T/in"
is "$rc/$(jq -r '.applied | [.new, .action, .opportunity.state, .opportunity.alert_id] | join(" ")' "$T/out")" \
	"0/true sent waiting hyb-1" "hybrid: the approval sends it"
is "$(mails)/$(jq -r '.rcpt_tos[0]' "$SMTPD_DIR/messages.jsonl" | tail -1)" "2/ops@acme.example" "the second mail went out"
is "$(q "select approved_by, approved_at = strftime('%s','2026-03-01T10:30:00Z'), state from opportunities where alert_id = 'hyb-1'")" \
	"sam|1|waiting" "the store keeps who approved, and when"
urun --usage --db "$DB" --now 2026-03-01T10:31:00Z "$T/in"
is "$rc/$(jq -r '.applied.new' "$T/out")/$(mails)" "0/false/2" "the same approval again: nothing new, no second mail"
echo '{"type":"approval","opportunity":"hyb-1","id":"ev-appr-2"}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T10:32:00Z "$T/in"
is "$rc" 3 "another approval of a waiting opportunity is rejected"
like "$(cat "$T/err")" 'opportunity [0-9]+ is waiting, not drafted: nothing to approve' "and says why"

# ---- human: a person sends it and says so -------------------------------------------------
mkdir -p "$T/share"
cp -R "$ESC_SHARE"/. "$T/share"
jq '.trigger.severities += ["low"]' "$ESC_SHARE/upsell/usage.json" > "$T/share/upsell/usage.json"
alert hum-1 low > "$T/in"
urun --usage --share "$T/share" --db "$DB" --now "$NOW" "$T/in"
is "$(jq -r '.opportunity | [.action, .state, .automation] | join(" ")' "$T/out")/$(mails)" \
	"drafted drafted human/2" "human: drafted, nothing sent"
echo '{"type":"approval","opportunity":"hum-1","id":"ev-h-1","by":"kim","at":"2026-03-01T11:00:00Z"}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T11:05:00Z "$T/in"
is "$rc/$(jq -r '.applied | [.action, .opportunity.state, .opportunity.sent_at, .opportunity.reply_due] | join(" ")' "$T/out")" \
	"0/sent_by_person waiting 2026-03-01T11:00:00Z 2026-03-02T11:00:00Z" \
	"human: the approval says kim sent it at 11:00; the reply is due 24 hours later"
is "$(mails)" 2 "upsell-gen sent nothing for it"
HUM=$(q "select id from opportunities where alert_id = 'hum-1'")

# ---- replies ------------------------------------------------------------------------------
printf '%s\n' '{"type":"reply","opportunity":1,"reply":"yes","id":"ev-r-1","at":"2026-03-01T12:00:00Z"}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T12:00:00Z "$T/in"
is "$rc/$(jq -r '.applied | [.action, .opportunity.state, .opportunity.reply] | join(" ")' "$T/out")" \
	"0/meeting meeting yes" "yes: a meeting"
URL=$(jq -r '.applied.meeting_url' "$T/out")
TOKEN=${URL##*/}
like "$URL" '^https://meet\.example\.com/book/[A-Za-z0-9_-]{43}$' "the meeting link carries a 43-character token"
is "$(q 'select meeting_token from opportunities where id = 1')" \
	"$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)" "the store keeps the token's SHA-256"
sqlite3 "$DB" .dump > "$T/dump"
is "$(grep -c -- "$TOKEN" "$T/dump")" 0 "the token itself is nowhere in the store"
urun --usage --db "$DB" --now 2026-03-01T12:00:00Z "$T/in"
is "$(jq -r '.applied | [.new, has("meeting_url")] | join(" ")' "$T/out")" "false false" \
	"the same reply again: no second link"
printf '{"type":"meeting_join","token":"%s","at":"2026-03-02T09:00:00Z"}\n' "$TOKEN" > "$T/join"
urun --usage --db "$DB" --now 2026-03-02T09:00:00Z "$T/join"
is "$rc/$(jq -r '.applied | [.action, .opportunity.meeting_used_at] | join(" ")' "$T/out")" \
	"0/joined 2026-03-02T09:00:00Z" "the token is redeemed once"
urun --usage --db "$DB" --now 2026-03-02T09:05:00Z "$T/join"
is "$rc/$(lines "$T/out")" "3/0" "a replay is refused (exit 3)"
like "$(cat "$T/err")" 'meeting token refused: already used at 2026-03-02T09:00:00Z' "and says so"
FORGED=$(printf '%s' "$TOKEN" | tr 'A-Za-z' 'N-ZA-Mn-za-m')
printf '{"type":"meeting_join","token":"%s"}\n{"type":"meeting_join","token":"short"}\n' "$FORGED" > "$T/in"
urun --usage --db "$DB" --now 2026-03-02T09:05:00Z "$T/in"
is "$rc/$(grep -c 'meeting token refused: unknown or forged' "$T/err")" "3/2" "a forged or malformed token is refused"

printf '%s\n' '{"type":"reply","opportunity":"hyb-1","reply":"no","id":"ev-r-2","at":"2026-03-01T13:00:00Z"}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T13:00:00Z "$T/in"
is "$(jq -r '.applied | [.action, .opportunity.state, .opportunity.closed_reason] | join(" ")' "$T/out")" \
	"declined closed declined" "no: closed, declined"
printf '%s\n' '{"type":"reply","opportunity":"hyb-1","reply":"yes","id":"ev-r-3"}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T13:10:00Z "$T/in"
is "$rc" 3 "a reply to a closed opportunity is rejected"
printf '{"type":"reply","opportunity":%s,"reply":"maybe","id":"ev-r-4","at":"2026-03-01T14:00:00Z"}\n' "$HUM" > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T14:00:00Z "$T/in"
is "$(jq -r '.applied | [.action, .opportunity.state, .opportunity.reply_due] | join(" ")' "$T/out")" \
	"follow_up_later waiting 2026-03-04T14:00:00Z" "maybe: still waiting, due again in 72 hours"

# ---- --due: a follow-up, then the close; never twice --------------------------------------
alert full-2 critical > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
F2=$(jq -r '.opportunity.id' "$T/out")
M0=$(mails)
urun --due --db "$DB" --now 2026-03-02T09:59:00Z
is "$rc/$(lines "$T/out")/$(mails)" "0/0/$M0" "--due before the reply is due does nothing"
urun --due --db "$DB" --now 2026-03-02T10:01:00Z
is "$rc/$(jq -r 'select(.opportunity.id == '"$F2"') | [.action, .ok, .opportunity.state, .opportunity.follow_ups, .opportunity.reply_due] | join(" ")' "$T/out")" \
	"0/follow_up true waiting 1 2026-03-03T10:01:00Z" "past 24 hours: one follow-up mail, a new due"
is "$(mails)" $((M0 + 1)) "the follow-up reached the SMTP server"
like "$(tr -d '\r' < "$SMTPD_DIR/$(mails).eml")" "Subject: Re: Your trade volume has outgrown the growth plan" \
	"the follow-up answers the first mail"
urun --due --db "$DB" --now 2026-03-02T10:01:00Z
is "$rc/$(lines "$T/out")/$(mails)" "0/0/$((M0 + 1))" "--due again: nothing twice"
urun --due --db "$DB" --now 2026-03-03T10:02:00Z
is "$(jq -r 'select(.opportunity.id == '"$F2"') | [.action, .opportunity.state, .opportunity.closed_reason] | join(" ")' "$T/out")/$(mails)" \
	"closed closed no_reply/$((M0 + 1))" "at the next timeout: closed, no_reply, no mail"
urun --due --db "$DB" --now 2026-03-03T10:03:00Z
is "$(grep -c "\"id\":$F2," "$T/out")" 0 "and never again"
is "$(q "select group_concat(type, ',') from (select type from opportunity_events where opportunity_id = $F2 order by id)")" \
	"drafted,sent,slack,follow_up,closed" "its timeline"
urun --due --db "$DB" --now 2026-03-05T15:00:00Z
is "$(jq -r 'select(.opportunity.id == '"$HUM"') | .action' "$T/out")/$(mails)" "remind/$((M0 + 1))" \
	"human past due: a reminder for the person, no mail"

# ---- SMTP faults ------------------------------------------------------------------------
smtpd_reset
smtpd_plan '{"stage":"data","reply":"451 4.3.0 try again later","times":1}'
alert smtp-451 critical > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity.action' "$T/out")/$(mails)" "0/sent/1" "a 451 is retried and the mail goes"
smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user"}'
alert smtp-550 critical > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.action, .state] | join(" ")' "$T/out")/$(mails)" "7/send_failed drafted/1" \
	"a 550 is not retried: drafted, exit 7"
like "$(cat "$T/err")" "warning \\(at $T/in:1\\): opportunity [0-9]+: the email was not sent: .*550" \
	"a warning names the line and the reply"
is "$(q "select send_wanted, send_claimed_at is null, (select json_extract(detail, '\$.permanent') from opportunity_events e where e.opportunity_id = o.id and type = 'send_failed') from opportunities o where alert_id = 'smtp-550'")" \
	"0|1|1" "the store: the failure recorded, not to be retried"
smtpd_reset
urun --due --db "$DB" --now "$NOW"
is "$(grep -c '"alert_id":"smtp-550"' "$T/out")/$(mails)" "0/0" "--due does not retry a refused mail"
smtpd_plan '{"stage":"data","reply":"451 4.3.0 try again later","times":2}'
alert smtp-down critical > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.action, .state] | join(" ")' "$T/out")/$(mails)" "7/send_failed drafted/0" \
	"451 on every try: drafted, exit 7"
urun --due --db "$DB" --now 2026-03-01T10:01:00Z
is "$rc/$(jq -r 'select(.opportunity.alert_id == "smtp-down") | [.action, .ok, .opportunity.state] | join(" ")' "$T/out")/$(mails)" \
	"0/send true waiting/1" "--due retries it and it goes"
urun --due --db "$DB" --now 2026-03-01T10:02:00Z
is "$(grep -c smtp-down "$T/out")/$(mails)" "0/1" "and does not send it again"

# ---- a crash between the claim and the mark: reported, never sent again ---------------------
smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user","times":1}'
alert crash-1 critical > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
# what a run killed while the mail server had the message leaves behind
q "update opportunities set send_claimed_at = strftime('%s','$NOW'), send_kind = 'first', send_wanted = 1 where alert_id = 'crash-1'"
M1=$(mails)
urun --due --db "$DB" --now 2026-03-01T10:05:00Z
is "$(grep -c crash-1 "$T/out")/$(mails)" "0/$M1" "a fresh claim is left to the run that holds it"
urun --due --db "$DB" --now 2026-03-01T11:00:00Z
is "$(jq -r 'select(.opportunity.alert_id == "crash-1") | [.action, .ok, .opportunity.send_claimed_at] | join(" ")' "$T/out")/$(mails)" \
	"stuck false $NOW/$M1" "an old claim with no sent_at is reported as stuck, not sent"
like "$(cat "$T/err")" 'warning: opportunity [0-9]+: the email claimed at 2026-03-01T10:00:00Z was never confirmed' \
	"with a warning on stderr"
urun --due --db "$DB" --now 2026-03-01T11:01:00Z
is "$(jq -r 'select(.opportunity.alert_id == "crash-1") | .action' "$T/out")/$(mails)" "stuck/$M1" \
	"every run reports it, none sends it"
echo '{"type":"release","opportunity":"crash-1","id":"ev-rel-1","sent":false}' > "$T/in"
urun --usage --db "$DB" --now 2026-03-01T11:02:00Z "$T/in"
is "$rc/$(jq -r '.applied.action' "$T/out")" "0/released" "a release (the mail did not leave) clears the claim"
urun --due --db "$DB" --now 2026-03-01T11:03:00Z
is "$(jq -r 'select(.opportunity.alert_id == "crash-1") | [.action, .ok] | join(" ")' "$T/out")/$(mails)" \
	"send true/$((M1 + 1))" "and the next --due sends it, once"

# ---- Slack faults -------------------------------------------------------------------------
httpd_reset
httpd_plan '{"status":503,"times":1}'
alert slack-503 high > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity.slack' "$T/out")/$(posts)" "0/posted/2" "Slack 503: retried, posted"
httpd_reset
httpd_plan '{"status":404,"body":"no_service","content_type":"text/plain"}'
alert slack-404 high > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.slack, .state] | join(" ")' "$T/out")/$(posts)" "7/failed drafted/1" \
	"Slack 404: not retried, the opportunity kept, exit 7"
like "$(cat "$T/err")" 'the Slack summary was not posted: http://127\.0\.0\.1:[0-9]+: HTTP 404' \
	"the warning names the host, not the webhook's path"
is "$(q "select count(*) from opportunity_events e join opportunities o on o.id = e.opportunity_id where o.alert_id = 'slack-404' and e.type = 'slack_failed'")" \
	1 "the failure is in the timeline"
httpd_reset
httpd_plan '{"fault":"hang","delay":5}'
alert slack-hang high > "$T/in"
ESC_NET_TIMEOUT=1s ESC_NET_RETRIES=0 urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity.slack' "$T/out")" "7/failed" "a hang past ESC_NET_TIMEOUT: failed, exit 7"
httpd_reset
httpd_plan '{"fault":"reset"}'
alert slack-reset high > "$T/in"
ESC_NET_RETRIES=0 urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity.slack' "$T/out")" "7/failed" "a reset connection: failed, exit 7"
httpd_reset

# ---- the model's plan ------------------------------------------------------------------
export ESC_AI_URL=$HTTPD_URL/v1 ESC_AI_KEY=$AI_KEY
unset ESC_SLACK_WEBHOOK
content='{\"plan\":\"enterprise\",\"estimated_value\":54000,\"justification\":\"Volume tripled in a quarter.\",\"features\":[\"Dedicated API capacity\"],\"roi\":\"Pays back in two months.\",\"risk\":\"Low.\"}'
httpd_plan '{"path":"/v1/chat/completions","times":1,"json":{"choices":[{"message":{"role":"assistant","content":"'"$content"'"}}]}}'
alert ai-1 high > "$T/in"
urun --usage --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.plan_source, .plan.plan, .plan.estimated_value, .plan.features[0]] | join("|")' "$T/out")" \
	"0/ai|enterprise|54000|Dedicated API capacity" "a valid reply from the model is the plan"
is "$(jq -r '[.method, .path, .headers.authorization == "Bearer '"$AI_KEY"'"] | join(" ")' "$HTTPD_DIR/requests.jsonl")" \
	"POST /v1/chat/completions true" "the model is asked at ESC_AI_URL/chat/completions with the key as bearer"
is "$(jq -r '.body | fromjson | [.model, .messages[0].role, (.messages[1].content | fromjson | .usage_alert_and_contract.current_plan)] | join(" ")' "$HTTPD_DIR/requests.jsonl")" \
	"gpt-4o-mini system growth" "the prompt carries the alert and the contract"
is "$(grep -c 'acme.example' "$HTTPD_DIR/requests.jsonl")" 0 "but not the contact's email"
is "$(q "select plan_source, plan from opportunities where alert_id = 'ai-1'")" "ai|enterprise" "the store says the plan came from the model"

# ai_case ID WANT-NOTE-ERE PLAN-RULE...: the model's reply is refused; the
# rules' plan is used and plan_note says why.
ai_case() {
	local id=$1 want=$2
	shift 2
	httpd_reset
	httpd_plan "$@"
	alert "$id" high > "$T/in"
	ESC_NET_TIMEOUT=1s urun --usage --db "$DB" --now "$NOW" "$T/in"
	is "$rc/$(jq -r '.opportunity | [.plan_source, .plan.plan] | join(" ")' "$T/out")" "0/rules scale" \
		"$id: the rules' plan"
	like "$(q "select plan_source || ': ' || plan_note from opportunities where alert_id = '$id'")" \
		"^rules: the model's plan was not used: $want" "$id: plan_note says why"
}
ai_case ai-500 'http://127\.0\.0\.1:[0-9]+: HTTP 500 after 2 tries' '{"status":500}'
ai_case ai-401 'http://127\.0\.0\.1:[0-9]+: HTTP 401' '{"status":401,"json":{"error":"bad key"}}'
ai_case ai-hang 'http://127\.0\.0\.1:[0-9]+: .*(time|Timeout)' '{"fault":"hang","delay":4}'
ai_case ai-reset 'http://127\.0\.0\.1:[0-9]+: ' '{"fault":"reset"}'
ai_case ai-body 'the model.s reply is not JSON' '{"body":"<html>oops</html>","content_type":"text/html"}'
ai_case ai-nochoice 'the model.s reply has no choices\[0\]\.message\.content' '{"json":{"choices":[]}}'
ai_case ai-prose 'the model.s answer is not a JSON object' \
	'{"json":{"choices":[{"message":{"content":"I would suggest the pro plan."}}]}}'
ai_case ai-ladder 'plan is not on the ladder' \
	'{"json":{"choices":[{"message":{"content":"{\"plan\":\"platinum\",\"estimated_value\":1,\"justification\":\"j\",\"features\":[],\"roi\":\"r\",\"risk\":\"k\"}"}}]}}'
ai_case ai-negative 'field "estimated_value" must be a number from 0 to 1e15' \
	'{"json":{"choices":[{"message":{"content":"{\"plan\":\"scale\",\"estimated_value\":-5,\"justification\":\"j\",\"features\":[],\"roi\":\"r\",\"risk\":\"k\"}"}}]}}'
# a value the Slack summary could not write as a number
ai_case ai-huge 'field "estimated_value" must be a number from 0 to 1e15' \
	'{"json":{"choices":[{"message":{"content":"{\"plan\":\"scale\",\"estimated_value\":1e301,\"justification\":\"j\",\"features\":[],\"roi\":\"r\",\"risk\":\"k\"}"}}]}}'
ai_case ai-features 'field "features" must be an array of strings' \
	'{"json":{"choices":[{"message":{"content":"{\"plan\":\"scale\",\"estimated_value\":5,\"justification\":\"j\",\"features\":[1],\"roi\":\"r\",\"risk\":\"k\"}"}}]}}'
ai_case ai-missing 'field "roi" must be a non-empty string' \
	'{"json":{"choices":[{"message":{"content":"{\"plan\":\"scale\",\"estimated_value\":5,\"justification\":\"j\",\"features\":[],\"risk\":\"k\"}"}}]}}'
httpd_reset
unset ESC_AI_URL ESC_AI_KEY

# ---- --dry-run: sends nothing, writes nothing -----------------------------------------------
export ESC_SLACK_WEBHOOK=$HTTPD_URL$SLACK_PATH
smtpd_reset
cp "$DB" "$T/before.db"
before=$(q 'select count(*), sum(updated_at) from opportunities')
events=$(q 'select count(*) from opportunity_events')
alert dry-1 critical > "$T/in"
urun --usage --dry-run --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.action, .state, .slack] | join(" ")' "$T/out")" "0/sent waiting would post" \
	"--dry-run says what would happen"
urun --due --dry-run --db "$DB" --now 2026-03-10T00:00:00Z
like "$(jq -r '.action' "$T/out" | sort -u | tr '\n' ' ')" 'closed' "--due --dry-run lists what is due"
is "$(mails)/$(posts)" "0/0" "nothing was sent or posted"
is "$(q 'select count(*), sum(updated_at) from opportunities')/$(q 'select count(*) from opportunity_events')" \
	"$before/$events" "nothing was written"
urun --usage --dry-run --db "$T/none.db" --now "$NOW" "$T/in"
is "$rc/$(test -e "$T/none.db" && echo made || echo none)" "0/none" "--dry-run creates no store"
# a dry run asks no server, but fails where the settings alone would
# fail the send: here, no mail server at all
save_smtp=$ESC_SMTP_URL
unset ESC_SMTP_URL
urun --usage --dry-run --db "$DB" --now "$NOW" "$T/in"
is "$rc/$(jq -r '.opportunity | [.action, .state] | join(" ")' "$T/out")/$(jq -r '.opportunity.error // empty' "$T/out")" \
	"7/send_failed drafted/ESC_SMTP_URL is not set: no mail server to send to" \
	"--dry-run without ESC_SMTP_URL: the send fails as a real one would, exit 7"
export ESC_SMTP_URL=$save_smtp
is "$(mails)/$(q 'select count(*) from opportunity_events')" "0/$events" "... and still nothing sent or written"

# ---- two --due runs at once: each mail once, nothing closed early -------------------------
# A cron run slow on one mail (the server holds its DATA for 8 s) while the
# next minute's run starts and does the rest: x2's retried first mail and
# y's follow-up. The slow run, going on, must find them done: not send x2
# again, and not take y's fresh follow-up for a second timeout and close it.
RDB=$T/race.db
smtpd_reset
rq() { sqlite3 "$RDB" "$1"; }
to() { jq -r '.rcpt_tos[0]' "$SMTPD_DIR/messages.jsonl" | grep -c -x "$1"; }
(NOW=2026-04-01T10:00:00Z; alert y critical 1500 trade_volume y@acme.example) |
	tool upsell-gen --usage --db "$RDB" --now 2026-04-01T10:00:00Z > /dev/null 2>> "$T/all"
smtpd_plan '{"stage":"data","reply":"451 4.3.0 try again later","times":2}'
(NOW=2026-04-02T09:00:00Z; alert x1 critical 1500 trade_volume x1@acme.example
  alert x2 critical 1500 trade_volume x2@acme.example) |
	ESC_NET_RETRIES=0 tool upsell-gen --usage --db "$RDB" --now 2026-04-02T09:00:00Z > /dev/null 2>> "$T/all"
is "$(rq "select group_concat(alert_id || ':' || state, ' ') from (select * from opportunities order by alert_id)")/$(to y@acme.example)" \
	"x1:drafted x2:drafted y:waiting/1" "precondition: x1 and x2 to be retried, y waiting since yesterday"
smtpd_plan '{"stage":"data","fault":"hang","delay":8,"times":1}'
tool upsell-gen --due --db "$RDB" --now 2026-04-02T10:01:00Z > "$T/slow" 2>> "$T/all" &
slow=$!
for i in $(seq 100); do
	[ "$(rq "select send_claimed_at is not null from opportunities where alert_id = 'x1'")" = 1 ] && break
	sleep 0.1
done
run upsell-gen --due --db "$RDB" --now 2026-04-02T10:01:30Z
cat "$T/out" "$T/err" >> "$T/all"
wait "$slow"
cat "$T/slow" >> "$T/all"
is "$(jq -r '[.action, .opportunity.alert_id] | join(" ")' "$T/out" | tr '\n' ',')/$(jq -r '[.action, .opportunity.alert_id] | join(" ")' "$T/slow" | tr '\n' ',')" \
	"send x2,follow_up y,/send x1," "the next run sends x2 and follows up y; the slow run, x1 alone"
is "$(to x1@acme.example)/$(to x2@acme.example)/$(to y@acme.example)" "1/1/2" \
	"each mail reached the server once: no second first mail for x2, one follow-up for y"
is "$(rq "select state, follow_ups, datetime(reply_due, 'unixepoch') from opportunities where alert_id = 'y'")" \
	"waiting|1|2026-04-03 10:01:30" "y waits 24 hours from its follow-up, not closed by the slow run"
# the same with two replies past due: the slow run held up on w's
# follow-up, the next run follows up y; the slow run, reading y after, must
# not close it as if that follow-up had timed out too
(NOW=2026-04-01T09:00:00Z; alert w critical 1500 trade_volume w@acme.example) |
	tool upsell-gen --usage --db "$RDB" --now 2026-04-01T09:00:00Z > /dev/null 2>> "$T/all"
(NOW=2026-04-01T09:30:00Z; alert v critical 1500 trade_volume v@acme.example) |
	tool upsell-gen --usage --db "$RDB" --now 2026-04-01T09:30:00Z > /dev/null 2>> "$T/all"
smtpd_plan '{"stage":"data","fault":"hang","delay":8,"times":1}'
tool upsell-gen --due --db "$RDB" --now 2026-04-02T09:40:00Z > "$T/slow" 2>> "$T/all" &
slow=$!
for i in $(seq 100); do
	[ "$(rq "select send_claimed_at is not null from opportunities where alert_id = 'w'")" = 1 ] && break
	sleep 0.1
done
run upsell-gen --due --db "$RDB" --now 2026-04-02T09:40:30Z
cat "$T/out" "$T/err" >> "$T/all"
wait "$slow"
cat "$T/slow" >> "$T/all"
is "$(jq -r '[.action, .opportunity.alert_id] | join(" ")' "$T/out" | tr '\n' ',')/$(jq -r '[.action, .opportunity.alert_id] | join(" ")' "$T/slow" | tr '\n' ',')" \
	"follow_up v,/follow_up w," "the next run follows up v; the slow run, w alone"
is "$(rq "select state, follow_ups, datetime(reply_due, 'unixepoch') from opportunities where alert_id = 'v'")/$(to v@acme.example)" \
	"waiting|1|2026-04-03 09:40:30/2" "v waits 24 hours from its follow-up, not closed by the slow run"

# ---- a follow-up refused for good: not retried every minute; closed at the timeout ----------
smtpd_reset
(NOW=2026-05-01T10:00:00Z; alert gone critical 1500 trade_volume gone@acme.example) |
	tool upsell-gen --usage --db "$RDB" --now 2026-05-01T10:00:00Z > /dev/null 2>> "$T/all"
smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user"}'
urun --due --db "$RDB" --now 2026-05-02T10:01:00Z
is "$rc/$(jq -r 'select(.opportunity.alert_id == "gone") | [.action, .ok, .opportunity.follow_ups, .opportunity.reply_due] | join(" ")' "$T/out")" \
	"7/follow_up false 1 2026-05-03T10:01:00Z" "a follow-up refused with a 550: exit 7, spent, a new wait"
like "$(cat "$T/err")" "the follow-up was not sent: .*550.*not retried" "the warning says it is not retried"
urun --due --db "$RDB" --now 2026-05-02T10:02:00Z
is "$rc/$(grep -c '"alert_id":"gone"' "$T/out")" "0/0" "the next run does not try it again"
urun --due --db "$RDB" --now 2026-05-03T10:02:00Z
is "$(jq -r 'select(.opportunity.alert_id == "gone") | [.action, .opportunity.closed_reason] | join(" ")' "$T/out")/$(lines "$SMTPD_DIR/messages.jsonl")" \
	"closed no_reply/1" "at the next timeout it is closed, no_reply; the first mail the only one sent"

# with two follow-ups allowed, a refused one spends both: the address is not tried again
smtpd_reset
mkdir -p "$T/share2"
cp -R "$ESC_SHARE"/. "$T/share2"
jq '.follow_up.max = 2' "$ESC_SHARE/upsell/usage.json" > "$T/share2/upsell/usage.json"
(NOW=2026-06-01T10:00:00Z; alert gone2 critical 1500 trade_volume gone2@acme.example) |
	tool upsell-gen --usage --share "$T/share2" --db "$RDB" --now 2026-06-01T10:00:00Z > /dev/null 2>> "$T/all"
smtpd_plan '{"stage":"rcpt","reply":"550 5.1.1 no such user"}'
urun --due --share "$T/share2" --db "$RDB" --now 2026-06-02T10:01:00Z
is "$(jq -r 'select(.opportunity.alert_id == "gone2") | [.action, .ok, .opportunity.follow_ups] | join(" ")' "$T/out")" \
	"follow_up false 2" "follow_up.max 2: a follow-up refused with a 550 spends both"
urun --due --share "$T/share2" --db "$RDB" --now 2026-06-03T10:02:00Z
is "$(jq -r 'select(.opportunity.alert_id == "gone2") | [.action, .opportunity.closed_reason] | join(" ")' "$T/out")/$(rq "select count(*) from opportunity_events e join opportunities o on o.id = e.opportunity_id where o.alert_id = 'gone2' and e.type = 'send_failed'")" \
	"closed no_reply/1" "at the next timeout it is closed, no_reply, the address tried once"

# ---- the mail server refuses the login: the operator's settings, nothing spent ----------
# A 535 says the password is wrong, not the address: a follow-up is not
# spent, a first mail needs no new approval, and the server is not asked
# again in the run; --due sends them all once the password is fixed.
ADB=$T/auth.db
aq() { sqlite3 "$ADB" "$1"; }
smtpd_reset
for a in a1 a2; do
	(NOW=2026-07-01T10:00:00Z; alert "$a" critical 1500 trade_volume "$a@acme.example") |
		tool upsell-gen --usage --db "$ADB" --now 2026-07-01T10:00:00Z > /dev/null 2>> "$T/all"
done
export ESC_SMTP_PASSWORD=pw-Wr0ngPa55
urun --due --db "$ADB" --now 2026-07-02T10:01:00Z
is "$rc/$(jq -r '[.opportunity.alert_id, .action, .ok] | join(" ")' "$T/out" | paste -sd, -)/$(mails)" \
	"7/a1 follow_up false,a2 follow_up false/2" "a 535: exit 7, nothing sent"
like "$(jq -r 'select(.opportunity.alert_id == "a2") | .error' "$T/out")" \
	"^not sent: the mail server failed on the credentials or settings earlier in this run \\(smtp://127\\.0\\.0\\.1:[0-9]+: 535 authentication failed\\)$" \
	"after the first 535 the server is not asked again in the run"
like "$(cat "$T/err")" "opportunity [0-9]+: the follow-up was not sent: .*535 authentication failed; the mail server failed on the credentials or settings, so it is not called again in this run and nothing is spent: check ESC_SMTP_URL, ESC_SMTP_USER, ESC_SMTP_PASSWORD and ESC_SMTP_TLS; upsell-gen --due retries it" \
	"the warning says so, and what to check"
is "$(aq "select group_concat(alert_id || ' ' || follow_ups || ' ' || (send_claimed_at is null) || ' ' || datetime(reply_due, 'unixepoch'), ',') from opportunities")" \
	"a1 0 1 2026-07-02 10:00:00,a2 0 1 2026-07-02 10:00:00" "the store: nothing spent, no claim left, still due"
(NOW=2026-07-02T11:00:00Z; alert a3 critical 1500 trade_volume a3@acme.example) > "$T/in"
urun --usage --db "$ADB" --now 2026-07-02T11:00:00Z "$T/in"
is "$rc/$(jq -r '.opportunity | [.action, .state] | join(" ")' "$T/out")/$(aq "select send_wanted from opportunities where alert_id = 'a3'")" \
	"7/send_failed drafted/1" "a first mail refused so: still wanted, no new approval needed"
export ESC_SMTP_PASSWORD=$SMTP_PASS
urun --due --db "$ADB" --now 2026-07-02T11:01:00Z
is "$rc/$(jq -r '[.opportunity.alert_id, .action, .ok] | join(" ")' "$T/out" | sort | paste -sd, -)/$(mails)" \
	"0/a1 follow_up true,a2 follow_up true,a3 send true/5" "the password fixed: every mail goes out"

# ---- no secret anywhere -----------------------------------------------------------------
for s in "$SMTP_PASS" "$AI_KEY" "$SLACK_PATH" SlackS3cr3tPath pw-Wr0ngPa55; do
	is "$(grep -c -F -- "$s" "$T/all")" 0 "no secret in anything upsell-gen printed: ${s%%S3cr3t*}..."
done

done_testing
