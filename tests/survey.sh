# survey.sh — sourced by the survey-send tests after lib.sh: survey-send
# on $DB, the store, and what the providers on 127.0.0.1 saw.
#
#   sr ARGS...        survey-send --db $DB, output kept in $T/all too (the
#                     secrets check reads it)
#   due TIME          survey-send --due at TIME
#   q SQL             the sqlite3 shell on $DB
#   requests PATH     how many requests the HTTP server saw for PATH
#   mails             how many mails the SMTP server took

: > "$T/all"
sr() {
	run survey-send --db "$DB" "$@"
	cat "$T/out" "$T/err" >> "$T/all"
}
due() {
	sr --due --now "$1"
}
q() {
	sqlite3 "$DB" "$1"
}
requests() {
	jq -r --arg p "$1" 'select(.path == $p) | .n' "$HTTPD_DIR/requests.jsonl" 2> /dev/null | wc -l |
		tr -d ' '
}
mails() {
	if [ -s "$SMTPD_DIR/messages.jsonl" ]; then lines "$SMTPD_DIR/messages.jsonl"; else echo 0; fi
}
