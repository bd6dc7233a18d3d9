# lib.sh — sourced by every tests/NNNN-*.t: the environment, a scratch
# directory, and TAP helpers in the manner of Test::More.
#
#   plan N | plan skip_all REASON     the plan, first
#   ok STATUS DESC                    STATUS is a command's exit status (0 passes)
#   is GOT WANT DESC                  string equality
#   like GOT ERE DESC                 grep -E match
#   diff_ok FILE_GOT FILE_WANT DESC   diff -u, the diff shown on failure
#   skip N REASON                     N skipped tests
#   TODO=REASON                       while set, failures are "# TODO" (known bugs)
#   run TOOL ARGS...                  $BIN/TOOL, stdout to $T/out, stderr to $T/err,
#                                     exit status in $rc; never aborts
#   tool TOOL ARGS...                 $BIN/TOOL as is, for pipelines
#   note TEXT / diag_file FILE        TAP comments
#   old_store FILE N                  a new store at schema N: share/esc/sql's
#                                     files up to N, by the sqlite3 shell
#   as_nobody                         sets ASUSER, the prefix that runs a tool as
#                                     a user file modes bind (setpriv as root),
#                                     and ro_ok=0 when there is none
#   net_timeouts TOTAL [CONNECT]      ESC_NET_TIMEOUT and ESC_NET_CONNECT_TIMEOUT
#                                     for the test's servers (a minute each
#                                     under valgrind, whatever is asked)
#
# With ESC_VALGRIND=1 every tool runs under valgrind; a memory error or a
# definite leak makes the tool exit 99, which no assertion expects.

set -u
LC_ALL=C
export LC_ALL

top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/bin}
export ESC_SHARE=${ESC_SHARE:-$top/share/esc}
# the clock and the data directory come from the test, not the caller
unset ESC_NOW

T=$(mktemp -d "${TMPDIR:-/tmp}/esc-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_n=0
tap_failed=0
tap_plan=
TODO=

VALGRIND=
if [ "${ESC_VALGRIND:-0}" = 1 ]; then
	VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fi

# Under valgrind a TLS handshake alone takes seconds on a busy machine, past
# the short timeouts the network tests set, so there both timeouts are a
# minute, from the start and whatever a test asks; a test of a hang sets
# its own timeout on the one call that hangs.
net_timeouts() {
	if [ -n "$VALGRIND" ]; then
		export ESC_NET_TIMEOUT=60s ESC_NET_CONNECT_TIMEOUT=60s
		return
	fi
	export ESC_NET_TIMEOUT="$1"
	if [ -n "${2:-}" ]; then
		export ESC_NET_CONNECT_TIMEOUT="$2"
	fi
}
if [ -n "$VALGRIND" ]; then
	net_timeouts
fi

plan() {
	if [ "$1" = skip_all ]; then
		shift
		echo "1..0 # SKIP $*"
		exit 0
	fi
	tap_plan=$1
	echo "1..$1"
}

note() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# Print a file as TAP comments (stderr of the last run, a diff, ...).
diag_file() {
	if [ -s "$1" ]; then
		sed 's/^/#   /' "$1" | head -n 60
		[ "$(wc -l < "$1")" -le 60 ] || echo "#   ... ($(wc -l < "$1") lines)"
	fi
}

tap_result() {
	# $1: 0 pass, else fail; $2: description
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2${TODO:+ # TODO $TODO}"
		return 0
	fi
	echo "not ok $tap_n - $2${TODO:+ # TODO $TODO}"
	[ -n "$TODO" ] || tap_failed=$((tap_failed + 1))
	if [ -s "$T/err" ]; then
		echo "#   stderr of the last run:"
		diag_file "$T/err"
	fi
	return 1
}

ok() {
	tap_result "$1" "$2"
}

is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
		return 0
	fi
	tap_result 1 "$3"
	printf '#   got:  %s\n#   want: %s\n' "$(printf '%s' "$1" | head -c 2000)" \
		"$(printf '%s' "$2" | head -c 2000)"
	return 1
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_result 0 "$3"
		return 0
	fi
	tap_result 1 "$3"
	printf '#   got:  %s\n#   want: /%s/\n' "$(printf '%s' "$1" | head -c 2000)" "$2"
	return 1
}

diff_ok() {
	if diff -u "$2" "$1" > "$T/diff" 2>&1; then
		tap_result 0 "$3"
		return 0
	fi
	tap_result 1 "$3"
	echo "#   diff -u $2 $1:"
	diag_file "$T/diff"
	return 1
}

skip() {
	local i
	for i in $(seq "$1"); do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # skip $2"
	done
}

tool() {
	local t=$1
	shift
	$VALGRIND "$BIN/$t" "$@"
}

run() {
	rc=0
	tool "$@" > "$T/out" 2> "$T/err" || rc=$?
	if [ "$rc" = 99 ] && [ -n "$VALGRIND" ]; then
		echo "# valgrind reported errors running $*:"
		diag_file "$T/err"
	fi
	return 0
}

# Count of lines in a file (0 for an empty one).
lines() {
	wc -l < "$1" | tr -d ' '
}

done_testing() {
	if [ -n "$tap_plan" ] && [ "$tap_plan" != "$tap_n" ]; then
		echo "# planned $tap_plan tests but ran $tap_n"
		exit 255
	fi
	[ -n "$tap_plan" ] || echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ] || exit 1
	exit 0
}

# A store as an older esc made it: the schema files up to number $2, each
# in its own transaction, user_version $2, WAL, as lib/store.c does; made
# by the sqlite3 shell, since today's tools prepare today's statements.
old_store() {
	for f in "$ESC_SHARE"/sql/[0-9][0-9][0-9]-*.sql; do
		n=$(basename "$f" | sed 's/^0*\([0-9][0-9]*\)-.*/\1/')
		[ "$n" -le "$2" ] || continue
		{ echo 'BEGIN;'; cat "$f"; echo "PRAGMA user_version = $n;"; echo 'COMMIT;'; } |
			sqlite3 "$1" > /dev/null || return 1
	done
	sqlite3 "$1" 'PRAGMA journal_mode = WAL' > /dev/null
}

# Root may write any file: to test file modes, as root the tools run as
# nobody (65534) by setpriv; with neither, ro_ok=0 and the case is skipped.
as_nobody() {
	ASUSER=
	ro_ok=1
	if [ "$(id -u)" = 0 ]; then
		if command -v setpriv > /dev/null 2>&1; then
			ASUSER="setpriv --reuid=65534 --regid=65534 --clear-groups"
		else
			ro_ok=0
		fi
	fi
}
