#!/bin/sh
# The manual: every page passes mandoc's lint at its strictest level (the
# pages it cross-references are not installed while testing, so only that
# message is let through), and every long option a tool's --help names is
# documented in its page, and the other way round.
. "$(dirname "$0")/lib.sh"

command -v mandoc > /dev/null 2>&1 || { echo "1..0 # SKIP mandoc is needed"; exit 0; }

TOOLS="esc-detect esc-offer esc-log esc-stats crm-track upsell-gen survey-send"
plan 16

for page in "$top"/man/*.[157]; do
	mandoc -T lint -W style "$page" > "$T/lint" 2>&1
	grep -v -e 'referenced manual not found' -e 'mandoc\.db' "$T/lint" > "$T/lint.left" || true
	is "$(cat "$T/lint.left")" "" "mandoc -T lint: $(basename "$page") is clean"
done

# the long options of a --help against those of the page (.Fl \-dry\-run there)
opts_help() { grep -o -e '--[a-z][a-z-]*' "$1" | sort -u; }
for t in $TOOLS; do
	run "$t" --help
	opts_help "$T/out" > "$T/help.opts"
	sed 's/\\-/-/g' "$top/man/$t.1" | grep -o -e 'Fl -[a-z][a-z-]*' | sed 's/^Fl /-/' | sort -u > "$T/page.opts"
	is "$(comm -3 "$T/help.opts" "$T/page.opts" | tr -d '\t' | tr '\n' ' ')" "" \
		"$t: --help and $t(1) name the same long options"
done

done_testing
