# tests/servers/lib.sh — real HTTP and SMTP servers for a test, in its $T.
# Source it after tests/lib.sh:
#
#   . "$top/tests/servers/lib.sh"
#
#   httpd_start              start httpd.py in $T/httpd; sets HTTPD_DIR,
#                            HTTPD_PORT and HTTPD_URL (http://127.0.0.1:PORT)
#   httpd_plan JSON...       append planned replies (see httpd.py) to its plan
#   httpd_reset              forget the plan and the requests seen so far
#                            ($HTTPD_DIR/requests.jsonl is the log)
#   smtpd_available          0 when a python3 with aiosmtpd is at hand
#   smtpd_start [OPTS]       start smtpd.py in $T/smtpd (OPTS: --tls,
#                            --require-tls, --auth USER:PASS); sets SMTPD_DIR,
#                            SMTPD_PORT and SMTPD_URL (smtp://127.0.0.1:PORT)
#   smtpd_plan JSON...       append planned faults (see smtpd.py)
#   smtpd_reset              forget the plan and the messages kept so far
#                            ($SMTPD_DIR/messages.jsonl, $SMTPD_DIR/N.eml)
#   httpd_stop, smtpd_stop   stop one (both are stopped at exit anyway)
#
# A server that does not come up within 10 seconds fails the test with its
# stderr ($DIR/stderr) shown.

servers_dir=$top/tests/servers
HTTPD_PID=
SMTPD_PID=

# The servers go before $T does.
trap 'servers_stop; rm -rf "$T"' EXIT

# Wait for DIR/port from process PID; print the port.
servers_wait() {
	local dir=$1 pid=$2 i
	for i in $(seq 100); do
		if [ -s "$dir/port" ]; then
			cat "$dir/port"
			return 0
		fi
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	echo "# $(basename "$dir") did not start:" >&2
	diag_file "$dir/stderr" >&2
	return 1
}

servers_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2> /dev/null || true
	wait "$1" 2> /dev/null || true
}

servers_stop() {
	httpd_stop
	smtpd_stop
}

httpd_start() {
	HTTPD_DIR=$T/httpd
	mkdir -p "$HTTPD_DIR"
	rm -f "$HTTPD_DIR/port" "$HTTPD_DIR/plan.jsonl" "$HTTPD_DIR/requests.jsonl"
	python3 "$servers_dir/httpd.py" "$HTTPD_DIR" 2> "$HTTPD_DIR/stderr" &
	HTTPD_PID=$!
	HTTPD_PORT=$(servers_wait "$HTTPD_DIR" "$HTTPD_PID") || exit 1
	HTTPD_URL=http://127.0.0.1:$HTTPD_PORT
}

httpd_stop() {
	servers_kill "$HTTPD_PID"
	HTTPD_PID=
}

httpd_plan() {
	local r
	for r in "$@"; do
		printf '%s\n' "$r" >> "$HTTPD_DIR/plan.jsonl"
	done
}

httpd_reset() {
	rm -f "$HTTPD_DIR/plan.jsonl" "$HTTPD_DIR/requests.jsonl"
	: > "$HTTPD_DIR/requests.jsonl"
}

# The python3 to run smtpd.py with: the first that has aiosmtpd (a python3
# of one's own on $PATH may lack Debian's python3-aiosmtpd).
smtpd_python() {
	local py
	for py in ${ESC_PYTHON:-} python3 /usr/bin/python3; do
		if command -v "$py" > /dev/null 2>&1 &&
		    "$py" -c 'import aiosmtpd' > /dev/null 2>&1; then
			echo "$py"
			return 0
		fi
	done
	return 1
}

smtpd_available() {
	smtpd_python > /dev/null
}

smtpd_start() {
	local py
	py=$(smtpd_python) || { echo "# no python3 with aiosmtpd" >&2; exit 1; }
	SMTPD_DIR=$T/smtpd
	mkdir -p "$SMTPD_DIR"
	rm -f "$SMTPD_DIR/port" "$SMTPD_DIR/plan.jsonl" "$SMTPD_DIR/messages.jsonl" \
		"$SMTPD_DIR"/*.eml "$SMTPD_DIR"/*.pem
	"$py" "$servers_dir/smtpd.py" "$SMTPD_DIR" "$@" 2> "$SMTPD_DIR/stderr" &
	SMTPD_PID=$!
	SMTPD_PORT=$(servers_wait "$SMTPD_DIR" "$SMTPD_PID") || exit 1
	SMTPD_URL=smtp://127.0.0.1:$SMTPD_PORT
}

smtpd_stop() {
	servers_kill "$SMTPD_PID"
	SMTPD_PID=
}

smtpd_plan() {
	local r
	for r in "$@"; do
		printf '%s\n' "$r" >> "$SMTPD_DIR/plan.jsonl"
	done
}

smtpd_reset() {
	rm -f "$SMTPD_DIR/plan.jsonl" "$SMTPD_DIR"/*.eml
	: > "$SMTPD_DIR/messages.jsonl"
}
