#!/bin/sh
# crm-track --forget and --purge: a person's questions, escalations and
# events (logged by esc-log), contact, consent changes and journey (by
# crm-track), recommendations and opportunities (inserted as upsell-gen
# writes them) are erased, and the proof is that the bytes are gone: grep
# finds the email, the phone, the name and the customer id nowhere in the
# database file or beside it. Other people's rows stay as they were; one
# audit row without personal data records it. Then the retention rule.
# Then survey-send's rows (inserted as it writes them): a person's chain,
# attempts, answer, handover and the problem only she had are erased, her
# words gone from the full-text index too; a problem shared with another
# person stays, counted without her.
. "$(dirname "$0")/lib.sh"

DB=$T/db
NOW=2026-03-10T00:00:00Z
plan 72

sq() {
	sqlite3 "$DB" "$@"
}

ANA=cust-ana-7731
EMAIL=ana.forget@example.com
PHONE=+447700900123

# How often each string appears in the store's files (the database, and
# the -wal and -shm files when there are any), case-insensitively.
hits() {
	local f n=0 c
	for f in "$DB" "$DB-wal" "$DB-shm"; do
		[ -e "$f" ] || continue
		c=$(grep -a -i -c -F -- "$1" "$f")
		n=$((n + c))
	done
	echo "$n"
}

# ---- Ana, Bo, Cy and Dee in every table ----------------------------------------
cat > "$T/chats.jsonl" <<EOF
{"id":"m1","conversation_id":"cv1","user_id":"$ANA","created_at":"2026-03-02T10:00:00Z","text":"I want to cancel my subscription, this is terrible and I will call my lawyer. Write to $EMAIL or call $PHONE, Anastasia Quinterro","touches":4,"revenue_at_risk":12000}
{"id":"m2","conversation_id":"cv1","user_id":"$ANA","created_at":"2026-03-02T10:01:00Z","text":"How should I set my prices for my business? Quinterro Consulting","tier":"gold","context":"business_mentorship"}
{"id":"m3","conversation_id":"cv2","user_id":"cust-bo-2","created_at":"2026-03-02T10:02:00Z","text":"I want to cancel, this is terrible, I will call my lawyer: bo@example.org","touches":4}
{"id":"m4","conversation_id":"cv3","user_id":"anon-dee-5","created_at":"2026-03-02T10:03:00Z","text":"How do I pluck a hairline?"}
EOF
cat > "$T/events.jsonl" <<EOF
{"event":"assignment","id":"e1","message_id":"m1","agent":"ann","at":"2026-03-02T10:05:00Z"}
{"event":"note","id":"e2","message_id":"m1","note":"called $PHONE, spoke to Anastasia Quinterro","at":"2026-03-02T10:06:00Z"}
{"event":"status","id":"e3","message_id":"m1","severity":"high","at":"2026-03-02T10:07:00Z"}
{"event":"resolution","id":"e4","message_id":"m1","outcome":"saved","at":"2026-03-02T10:08:00Z"}
{"event":"conversion","id":"e5","user_id":"$ANA","value":99,"at":"2026-03-02T10:09:00Z","note":"$EMAIL bought"}
{"event":"assignment","id":"e6","message_id":"m3","agent":"ann","at":"2026-03-02T10:05:00Z"}
EOF
tool esc-detect "$T/chats.jsonl" 2> "$T/err" | tool esc-offer 2>> "$T/err" |
	tool esc-log --db "$DB" --now "$NOW" > /dev/null 2>> "$T/err"
tool esc-log --db "$DB" --now "$NOW" "$T/events.jsonl" > /dev/null 2>> "$T/err"
is "$(sq "select group_concat(route) from (select route from questions order by id)"):$(sq 'select count(*) from events')" \
	"human,paid,human,none:6" "precondition: esc-log kept the questions, escalations and events"

cat > "$T/crm.jsonl" <<EOF
{"type":"contact","customer":"$ANA","email":"Ana.Forget@Example.com","phone":"$PHONE","name":"Anastasia Quinterro","external_id":"crm-ana-88","consent":{"sms":true,"email":false}}
{"type":"contact","customer":"$ANA","consent":{"sms":false},"at":"2026-03-03T00:00:00Z"}
{"type":"contact","customer":"cust-bo-2","email":"bo@example.org","phone":"+447700900456","name":"Bo Brandt","consent":{"email":true}}
{"type":"contact","customer":"cust-cy-3","email":"cy@example.net","external_id":"crm-cy-99","name":"Cy Corr"}
{"id":"i1","type":"intake_submitted","customer":"$ANA","at":"2026-03-01T10:00:00Z","metadata":{"email":"$EMAIL","phone":"$PHONE","name":"Anastasia Quinterro"}}
{"id":"i2","type":"session_completed","customer":"$ANA","session":"s-ana","at":"2026-03-01T11:00:00Z"}
{"id":"i3","type":"intake_submitted","customer":"cust-bo-2","at":"2026-03-01T10:00:00Z","metadata":{"email":"bo@example.org"}}
{"id":"i4","type":"intake_submitted","customer":"cust-cy-3","at":"2026-03-01T10:00:00Z"}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/crm.jsonl"
is "$rc" 0 "precondition: crm-track kept the contacts and the journey"
sq "INSERT INTO recommendations (customer_id, session_id, type, title, created_at, metadata) VALUES
	('$ANA', 's-ana', 'follow_up', 'Follow-up', 1, '{\"for\":\"$EMAIL\"}'),
	('cust-bo-2', 's-bo', 'follow_up', 'Follow-up', 1, '{}');
INSERT INTO opportunities (alert_id, account_id, customer_id, metric, value, threshold, severity,
	automation, plan, plan_json, plan_source, contact_email, contact_name, email_body, created_at, updated_at)
VALUES ('a-ana', 'acct-1', '$ANA', 'api_calls', 2000, 1000, 'high', 'hybrid', 'pro', '{}', 'rules',
	'$EMAIL', 'Anastasia Quinterro', 'Hi Anastasia, old-draft ' || printf('%.300c', 'x'), 1, 1),
	('a-acct', 'acct-2', NULL, 'api_calls', 2000, 1000, 'high', 'hybrid', 'pro', '{}', 'rules',
	'ANA.FORGET@EXAMPLE.COM', 'Ana Q', 'Hello', 1, 1),
	('a-bo', 'acct-3', 'cust-bo-2', 'api_calls', 2000, 1000, 'high', 'hybrid', 'pro', '{}', 'rules',
	'bo@example.org', 'Bo Brandt', 'Hi Bo', 1, 1);
INSERT INTO opportunity_events (event_id, opportunity_id, type, at, detail, logged_at) VALUES
	('oe1', 1, 'drafted', 1, '{\"to\":\"$EMAIL\"}', 1), ('oe2', 2, 'drafted', 1, '{}', 1),
	('oe3', 3, 'drafted', 1, '{}', 1);"
# Earlier versions of rows, left in their pages' free space by a writer
# that does not zero what it frees: one of Ana's, and one of Bo's that once
# named her, on a page of its own (after 60 other accounts' opportunities)
# that erasing her rows does not touch.
sq "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
	INSERT INTO opportunities (alert_id, account_id, metric, value, threshold, severity, automation,
	plan, plan_json, plan_source, email_body, created_at, updated_at)
	SELECT 'a-filler-' || i, 'acct-f', 'api_calls', 2000, 1000, 'low', 'human', 'pro', '{}', 'rules',
	printf('%.400c', 'f'), 1, 1 FROM n;
	INSERT INTO opportunities (alert_id, account_id, customer_id, metric, value, threshold, severity,
	automation, plan, plan_json, plan_source, contact_email, contact_name, email_body, created_at, updated_at)
	VALUES ('a-bo-2', 'acct-3', 'cust-bo-2', 'api_calls', 2000, 1000, 'high', 'hybrid', 'pro', '{}', 'rules',
	'bo@example.org', 'Bo Brandt', 'Hi Bo, cc $EMAIL ' || printf('%.300c', 'x'), 1, 1)"
sq "PRAGMA secure_delete = OFF; UPDATE opportunities SET email_body = 'Hi Anastasia, new draft' WHERE alert_id = 'a-ana';
	UPDATE opportunities SET email_body = 'Hi Bo' WHERE alert_id = 'a-bo-2'" > /dev/null
is "$(sq "select count(*) from opportunities where email_body like '%old-draft%' or email_body like '%$EMAIL%'")" 0 \
	"precondition: no row holds the old drafts..."
ok "$([ "$(hits old-draft)" -gt 0 ] && [ "$(grep -a -c "cc $EMAIL" "$DB")" -gt 0 ]; echo $?)" \
	"... but their bytes are still in the file"
for s in "$EMAIL" "$PHONE" "$ANA" Quinterro crm-ana-88; do
	ok "$([ "$(hits "$s")" -gt 0 ]; echo $?)" "precondition: $s is in the store"
done

# what is not Ana's, table by table, before
others() {
	sq "select * from questions where user_id is not '$ANA' order by id;
		select * from escalations where user_id is not '$ANA' order by id;
		select * from events where (user_id is null or user_id <> '$ANA') and (escalation_id is null or
			escalation_id not in (select id from escalations where user_id = '$ANA')) order by id;
		select * from contacts where customer_id <> '$ANA' order by id;
		select * from consent_changes where contact_id not in (select id from contacts where customer_id = '$ANA') order by id;
		select * from interactions where customer_id <> '$ANA' order by id;
		select * from recommendations where customer_id <> '$ANA' order by id;
		select * from opportunities where alert_id not in ('a-ana', 'a-acct') order by id;
		select * from opportunity_events where event_id = 'oe3' order by id"
}
everything() {
	sq "select * from questions order by id; select * from escalations order by id;
		select * from events order by id; select * from contacts order by id;
		select * from consent_changes order by id; select * from interactions order by id;
		select * from recommendations order by id; select * from opportunities order by id;
		select * from opportunity_events order by id"
}
# alerts esc-stats --alerts has sent: about her escalations and
# conversation, and one about Bo's
sq "INSERT INTO alerts_sent (kind, subject, at)
	SELECT 'touches', 'escalation:' || id, 1 FROM escalations WHERE message_id IN ('m1', 'm3')
	UNION ALL SELECT 'sla_breach', 'escalation:' || id || ':first_response', 1 FROM escalations
	WHERE message_id = 'm1'
	UNION ALL SELECT 'sentiment_drop', 'conversation:cv1', 1"
others > "$T/others.before"

# ---- forget Ana, named by her email in another case ---------------------------------
run crm-track --db "$DB" --now "$NOW" --forget ANA.Forget@example.COM
is "$rc" 0 "--forget by email: exit 0"
is "$(jq -c . "$T/out")" \
	'{"reason":"request","people":1,"rows":23,"tables":{"survey_answers":0,"survey_attempts":0,"handovers":0,"surveys":0,"problem_users":0,"problems":0,"consent_changes":3,"contacts":1,"interactions":2,"recommendations":1,"opportunity_events":2,"opportunities":2,"events":5,"alerts_sent":3,"escalations":2,"questions":2}}' \
	"the summary: rows per table (2 questions, 2 escalations, 5 events, 1 contact, 3 consent changes, 2 interactions, 1 recommendation, 2 opportunities and their 2 events)"
cp "$T/out" "$T/forget.out"
is "$(sq "select kind || ' ' || subject from alerts_sent")" \
	"touches escalation:$(sq "select id from escalations where message_id = 'm3'")" \
	"the alerts sent about her escalations and conversation are gone, Bo's stays"
# esc zeroes what it frees; the sqlite3 shell above did not
is "$(hits "$PHONE"):$(hits "$ANA"):$(hits Quinterro):$(hits crm-ana-88)" 0:0:0:0 \
	"without --vacuum, what esc wrote of her is gone from the files"
is "$(hits "$EMAIL")" 1 "... but not the old row another program left unzeroed in free space"
run crm-track --db "$DB" --now "$NOW" --forget ANA.Forget@example.COM --vacuum
is "$rc/$(jq -c '[.people, .rows]' "$T/out")" "1/[0,0]" \
	"--forget --vacuum: nobody left to erase (exit 1), and the file is rebuilt"
for s in "$EMAIL" "$PHONE" "$ANA" Quinterro crm-ana-88 old-draft; do
	is "$(hits "$s")" 0 "grep finds $s nowhere in the database, -wal or -shm file"
done
everything > "$T/others.after"
diff_ok "$T/others.after" "$T/others.before" "every other row is as it was"
is "$(sq "select count(*) || ':' || reason || ':' || rows from forgotten")" "1:request:23" \
	"one audit row: reason request, the rows erased"
is "$(sq 'select detail from forgotten' | jq -c .)" "$(jq -c .tables "$T/forget.out")" "... the counts per table"
sq 'select * from forgotten' > "$T/audit"
ok "$(grep -q -i -e ana -e 447700900123 -e quinterro -e forget@ "$T/audit"; [ $? = 1 ]; echo $?)" \
	"... and nothing about her"
is "$(sq 'pragma integrity_check')" ok "the store is sound"

run crm-track --db "$DB" --now "$NOW" --forget "$EMAIL"
is "$rc/$(jq -c '[.people, .rows]' "$T/out")" "1/[0,0]" "forgetting her again: nobody matched, exit 1"
like "$(cat "$T/err")" 'note: nothing in .* matched: nothing erased' "... and a note"
is "$(sq 'select count(*) from forgotten')" 1 "... no audit row for nothing"

# ---- by phone, by external id, a raw user id -----------------------------------------
# Bo's escalation changes after the rebuild: esc-log rewrites the row that
# holds his words, and zeroes the old copy as it frees it
printf '%s\n' '{"event":"status","id":"e7","message_id":"m3","status":"in_progress","note":"waiting on the customer","at":"2026-03-02T10:10:00Z"}' |
	tool esc-log --db "$DB" --now "$NOW" > /dev/null 2> "$T/err"
is "$(sq "select status from escalations where message_id = 'm3'")" in_progress \
	"precondition: esc-log rewrote Bo's escalation"
# another process has the store open, idle: the -wal file stays, emptied
mkfifo "$T/fifo"
sqlite3 "$DB" < "$T/fifo" > "$T/reader.out" 2>&1 &
reader=$!
exec 3> "$T/fifo"
echo 'select count(*) from contacts;' >&3
run crm-track --db "$DB" --forget '+44 7700 900 456 (home)'
is "$rc" 1 "--forget by a phone with words in it: nobody"
run crm-track --db "$DB" --forget '0044 (0)7700-900 456'
is "$rc/$(jq -c '[.people, .tables.contacts, .tables.questions, .tables.opportunities]' "$T/out")" "0/[1,1,1,2]" \
	"--forget by phone, written as people write it: Bo, while another process has the store open"
is "$(wc -c < "$DB-wal" | tr -d ' ')" 0 "... the -wal file is emptied"
is "$(hits bo@example.org):$(hits 'Bo Brandt'):$(hits cust-bo-2)" "0:0:0" "... Bo is gone from the files"

# another process reads, in a transaction: the log cannot be emptied yet
echo 'begin; select count(*) from contacts;' >&3
# wait for its answer: then it holds the read transaction
i=0
while [ "$(lines "$T/reader.out")" -lt 2 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
export ESC_BUSY_TIMEOUT=300
run crm-track --db "$DB" --forget crm-cy-99
unset ESC_BUSY_TIMEOUT
is "$rc/$(jq -c '[.people, .tables.contacts, .tables.interactions]' "$T/out")" "0/[1,1,1]" \
	"--forget by external id: Cy, while another process reads"
like "$(cat "$T/err")" 'warning: another process has the store open: the write-ahead log could not be emptied; run again when it is idle' \
	"... a warning that the log is not emptied yet"
echo 'commit;' >&3
exec 3>&-
wait "$reader"
run crm-track --db "$DB" --forget crm-cy-99
is "$rc/$(jq -c .rows "$T/out")" "1/0" "the same again, once the reader is done: nothing left to erase"
is "$(hits cy@example.net):$(hits cust-cy-3)" "0:0" "... and Cy is gone from the files"
run crm-track --db "$DB" --forget anon-dee-5
is "$rc/$(jq -c '[.people, .rows, .tables.questions]' "$T/out")" "0/[1,1,1]" \
	"--forget a user id with no contact: their questions"
is "$(sq 'select count(*) from questions'):$(sq 'select count(*) from forgotten')" "0:4" \
	"nobody is left; four audit rows"
run crm-track --db "$DB" --forget ""
is "$rc" 2 "--forget with an empty id: exit 2"
run crm-track --db "$T/none.db" --forget x
is "$rc" 6 "--forget on a store that does not exist: exit 6"

# ---- --purge: the retention rule ---------------------------------------------------
DB=$T/purge.db
cat > "$T/old.jsonl" <<'EOF'
{"type":"contact","customer":"p-none","email":"p-none@example.com"}
{"type":"contact","customer":"p-consent","email":"p-consent@example.com","consent":{"email":true}}
{"type":"contact","customer":"p-withdrawn","phone":"+15550000001","consent":{"sms":true}}
{"type":"contact","customer":"p-withdrawn","consent":{"sms":false}}
{"id":"pe1","type":"intake_submitted","customer":"p-none","at":"2025-06-01T00:00:00Z","metadata":{"email":"p-none@example.com"}}
EOF
printf '%s\n' '{"type":"contact","customer":"p-new","email":"p-new@example.com"}' > "$T/new.jsonl"
run crm-track --db "$DB" --now 2025-06-01T00:00:00Z "$T/old.jsonl"
run crm-track --db "$DB" --now 2026-02-20T00:00:00Z "$T/new.jsonl"
is "$(sq 'select count(*) from contacts')" 4 "precondition: four contacts, three of them from June 2025"

run crm-track --db "$DB" --now 2026-03-01T00:00:00Z --purge --dry-run
is "$rc/$(jq -c . "$T/out")" '0/{"reason":"retention","before":"2025-12-01T00:00:00Z","dry_run":true,"people":2}' \
	"--purge --dry-run: two would go (no consent, unchanged for 90 days)"
is "$(sq 'select count(*) from contacts'):$(sq 'select count(*) from forgotten')" "4:0" "... and nothing changed"
cp -R "$ESC_SHARE" "$T/share"
printf '{"older_than": "1000d"}\n' > "$T/share/crm/retention.json"
run crm-track --db "$DB" --now 2026-03-01T00:00:00Z --share "$T/share" --purge
is "$rc/$(jq -c '[.before, .people]' "$T/out")" '0/["2023-06-05T00:00:00Z",0]' \
	"the default age comes from crm/retention.json"
run crm-track --db "$DB" --now 2026-03-01T00:00:00Z --purge
is "$rc/$(jq -c '[.people, .tables.contacts, .tables.consent_changes, .tables.interactions]' "$T/out")" "0/[2,2,2,1]" \
	"--purge: the two contacts, their consent changes and journey"
is "$(sq 'select group_concat(customer_id) from (select customer_id from contacts order by id)')" "p-consent,p-new" \
	"... the consenting and the recent contacts stay"
is "$(sq "select count(*) || ':' || sum(rows > 0) from forgotten where reason = 'retention'")" "2:2" \
	"... one audit row per person, reason retention"
is "$(hits p-none@example.com):$(hits +15550000001)" "0:0" "... their email and phone gone from the files"
run crm-track --db "$DB" --now 2026-03-01T00:00:00Z --purge
is "$rc/$(jq -c '[.people, .rows]' "$T/out"):$(sq 'select count(*) from forgotten')" "0/[0,0]:2" \
	"--purge again: nobody, exit 0, no audit row"
run crm-track --db "$DB" --now 2026-03-01T00:00:00Z --purge --older-than 5d
is "$rc/$(jq -c .people "$T/out"):$(sq 'select group_concat(customer_id) from contacts')" "0/1:p-consent" \
	"--older-than 5d: the contact of 9 days goes too"
printf '{"older_than": "soon"}\n' > "$T/share/crm/retention.json"
run crm-track --db "$DB" --share "$T/share" --purge
is "$rc" 4 "a bad crm/retention.json: exit 4"
run crm-track --db "$DB" --purge --older-than never
is "$rc" 2 "--older-than never: exit 2"

# ---- survey-send's data: chains, attempts, answers, handovers, problems ---------------
# Zed answered a survey with words of her own (the marker), had a problem
# nobody else had, one Yu has too, and one she first reported and Yu has
# since (its description is her words: the second marker).
DB=$T/survey.db
ZED=cust-zed-41
ZMAIL=zed.survey@example.com
ZPHONE=+447700900777
MARK=Quixotlantic
MARK2=Zorblaxian
cat > "$T/zed.jsonl" <<EOF
{"type":"contact","customer":"$ZED","email":"$ZMAIL","phone":"$ZPHONE","name":"Zed Zorrilla","consent":{"sms":true,"email":true}}
{"type":"contact","customer":"cust-yu-42","email":"yu@example.org","consent":{"email":true}}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/zed.jsonl"
printf '%s\n' "{\"id\":\"z1\",\"conversation_id\":\"cz\",\"user_id\":\"$ZED\",\"created_at\":\"2026-03-02T10:00:00Z\",\"text\":\"I want to cancel, this is terrible, I will call my lawyer\",\"touches\":4}" |
	tool esc-detect 2> "$T/err" | tool esc-offer 2>> "$T/err" | tool esc-log --db "$DB" --now "$NOW" > /dev/null 2>> "$T/err"
# one transaction: one full-text segment, as survey-send would leave it
sq "BEGIN;
INSERT INTO surveys (id, session_id, customer_id, ended_at, problem, state, step, method, answered_at,
	problem_solved, rating, created_at, updated_at) VALUES
	(1, 's-zed-1', '$ZED', 100, 'my $MARK invoice export crashes', 'answered', 'sms_link', 'sms_link', 200, 0, 2, 100, 200),
	(2, 's-yu-1', 'cust-yu-42', 100, 'calendar sync fails', 'answered', 'in_widget', 'in_widget', 150, 0, 3, 100, 150);
INSERT INTO survey_attempts (id, survey_id, customer_id, step, state, due_at, sent_at, channel, token, expires_at, used_at) VALUES
	(1, 1, '$ZED', 'in_widget', 'sent', 100, 100, 'widget', 'h1', 900, NULL),
	(2, 1, '$ZED', 'sms_link', 'sent', 110, 110, 'twilio', 'h2', 900, 200),
	(3, 2, 'cust-yu-42', 'in_widget', 'sent', 100, 100, 'widget', 'h3', 900, 150);
INSERT INTO survey_answers (attempt_id, survey_id, customer_id, method, problem_solved, rating, feedback,
	complete, digest, answered_at, logged_at) VALUES
	(2, 1, '$ZED', 'sms_link', 0, 2, 'the $MARK export still crashes; call me on $ZPHONE', 1, 'd1', 200, 200),
	(3, 2, 'cust-yu-42', 'in_widget', 0, 3, 'calendar sync still fails', 1, 'd2', 150, 150);
INSERT INTO problems (id, description, hash, first_session_id, last_session_id, affected_users, attempts,
	created_at, updated_at) VALUES
	(1, 'my $MARK invoice export crashes', 'x1', 's-zed-1', 's-zed-1', 1, 1, 200, 200),
	(2, 'the calendar sync fails every morning', 'x2', 's-yu-1', 's-zed-1', 2, 3, 150, 200),
	(3, 'the $MARK2 dashboard freezes on load', 'x3', 's-zed-1', 's-yu-1', 2, 2, 160, 210);
INSERT INTO problem_users (problem_id, customer_id, session_id, first_at, attempts) VALUES
	(1, '$ZED', 's-zed-1', 200, 1), (2, 'cust-yu-42', 's-yu-1', 150, 1), (2, '$ZED', 's-zed-1', 160, 2),
	(3, '$ZED', 's-zed-1', 160, 1), (3, 'cust-yu-42', 's-yu-1', 210, 1);
INSERT INTO handovers (escalation_id, survey_id, problem_id, customer_id, type, state, within_service_hours,
	created_at, updated_at) SELECT id, 1, 1, '$ZED', 'ai_failure', 'awaiting_agent', 1, 200, 200
	FROM escalations WHERE user_id = '$ZED';
INSERT INTO handover_links (token, handover_id, expires_at, made_at)
	SELECT '$(printf z | sha256sum | cut -c1-64)', id, 900, 200 FROM handovers WHERE customer_id = '$ZED';
COMMIT"
is "$(sq "select (select count(*) from handovers) || (select count(*) from handover_links) || (select count(*) from problems_fts where problems_fts match '$MARK')")" 111 \
	"precondition: Zed's handover and its meeting link, and her problem in the full-text index"
ok "$([ "$(hits "$MARK")" -gt 0 ] && [ "$(hits "$ZPHONE")" -gt 0 ]; echo $?)" "precondition: the marker and her phone are in the file"
yu() {
	sq "select * from surveys where id = 2; select * from survey_attempts where id = 3;
		select * from survey_answers where survey_id = 2; select * from problem_users where customer_id <> '$ZED';
		select * from contacts where customer_id <> '$ZED'"
}
yu > "$T/yu.before"

run crm-track --db "$DB" --now "$NOW" --forget "$ZMAIL"
is "$rc/$(jq -c '.tables | [.survey_answers, .survey_attempts, .handovers, .surveys, .problem_users, .problems, .escalations]' "$T/out")" \
	"0/[1,2,1,1,3,1,1]" "--forget: her answer, attempts, handover, survey, problem rows, the problem she alone had, the escalation"
is "$(sq 'select count(*) from handover_links')" 0 "her handover's meeting link went with it"
is "$(sq 'select id, affected_users, attempts, quote(first_session_id), quote(last_session_id), status from problems' | tr '\n' ' ')" \
	"2|1|1|'s-yu-1'|NULL|unresolved 3|1|1|NULL|'s-yu-1'|unresolved " \
	"the shared problems stay: one user and her attempts fewer, her sessions not named"
is "$(sq 'select description from problems where id = 3')" \
	"(description removed: the person who first reported it was forgotten)" \
	"a shared problem she first reported loses its description, her words"
is "$(sq "select count(*) from problems_fts where problems_fts match '$MARK'"):$(sq "select group_concat(rowid) from problems_fts where problems_fts match 'calendar'")" \
	"0:2" "the full-text index: her problem is gone, the shared one is found"
is "$(sq "select count(*) from problems_fts where problems_fts match '$MARK2'")" 0 \
	"nor are the words of the one she first reported"
yu > "$T/yu.after"
diff_ok "$T/yu.after" "$T/yu.before" "Yu's survey, attempt, answer, problem row and contact are as they were"
for s in "$MARK" "$MARK2" "$ZMAIL" "$ZPHONE" "$ZED" Zorrilla; do
	is "$(hits "$s")" 0 "grep finds $s nowhere in the database, -wal or -shm file (no --vacuum)"
done
is "$(sq 'pragma integrity_check'):$(sq "insert into problems_fts (problems_fts) values ('integrity-check')" 2>&1)" "ok:" \
	"the store and its full-text index are sound"

# Ari's only problem is one she first reported and Yu has since: nothing
# of hers is deleted from problems, yet her words must leave the index.
DB=$T/shared.db
MARK3=Velquorine
cat > "$T/ari.jsonl" <<EOF
{"type":"contact","customer":"cust-ari-9","email":"ari@example.com","consent":{"email":true}}
{"type":"contact","customer":"cust-yu-42","email":"yu@example.org","consent":{"email":true}}
EOF
run crm-track --db "$DB" --now "$NOW" "$T/ari.jsonl"
sq "BEGIN;
INSERT INTO surveys (id, session_id, customer_id, ended_at, problem, state, step, method, created_at, updated_at)
	VALUES (1, 's-ari-1', 'cust-ari-9', 100, 'the $MARK3 report is blank', 'open', 'in_widget', 'in_widget', 100, 100);
INSERT INTO problems (id, description, hash, first_session_id, last_session_id, affected_users, attempts,
	created_at, updated_at) VALUES (1, 'the $MARK3 report is blank', 'x1', 's-ari-1', 's-yu-2', 2, 2, 100, 300);
INSERT INTO problem_users (problem_id, customer_id, session_id, first_at, attempts) VALUES
	(1, 'cust-ari-9', 's-ari-1', 100, 1), (1, 'cust-yu-42', 's-yu-2', 300, 1);
COMMIT"
run crm-track --db "$DB" --now "$NOW" --forget ari@example.com
is "$rc/$(sq 'select affected_users, description from problems')" \
	"0/1|(description removed: the person who first reported it was forgotten)" \
	"her only problem, shared: it stays, without her words"
is "$(sq "select count(*) from problems_fts where problems_fts match '$MARK3'")/$(hits "$MARK3")" "0/0" \
	"and her words are nowhere in the file, the full-text index included"

done_testing
