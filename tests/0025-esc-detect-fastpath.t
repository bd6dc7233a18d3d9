#!/bin/sh
# esc-detect: the fast path (simdjson, lib/fastjson.cc) and the streaming
# scanner (yajl, lib/scan.c) are one scanner to the user. A line the fast
# path accepts must come out as the streaming scanner would write it, and a
# line it declines is the streaming scanner's to judge; so for any input,
# with ESC_JSON_FAST unset and with ESC_JSON_FAST=0, stdout, stderr, the
# exit status and the --rejects file are the same bytes, with or without
# --strict.
#
# The corpus is tricky lines, a batch per theme, each batch one run per
# mode (valgrind's start-up is paid per run, not per line). Good and bad
# lines are mixed in each batch, so the streaming scanner's handle, kept
# from line to line, sees different histories in the two modes. Every
# line is also marked g (must be scored), b (must be rejected) or -
# (either: JSON says one thing, the tool another, and only sameness is
# asserted).
. "$(dirname "$0")/lib.sh"

plan 67

# ---- building the corpus ---------------------------------------------------
# batch NAME: the lines that follow go to $T/NAME.jsonl, their marks to
# $T/NAME.tags. j MARK LINE: LINE as it is (JSON escapes stay escapes).
# r MARK FORMAT: a printf format, for raw bytes (octal \NNN); no JSON
# escapes there. x MARK: the line made in $T/line (long lines).
batch() {
	cur=$T/$1.jsonl
	tags=$T/$1.tags
	: > "$cur"
	: > "$tags"
}
j() {
	printf '%s\n' "$2" >> "$cur"
	echo "$1" >> "$tags"
}
r() {
	printf "$2\n" >> "$cur"
	echo "$1" >> "$tags"
}
x() {
	cat "$T/line" >> "$cur"
	echo "$1" >> "$tags"
}
# longline LEN [TAIL]: in $T/line, a valid object of exactly LEN bytes (the
# newline aside), padded in "pad"; TAIL, if given, replaces its closing brace.
longline() {
	TAIL=${2:-\}} awk -v n="$1" 'BEGIN {
		head = "{\"id\":\"long-" n "\",\"text\":\"hi there\",\"pad\":\""
		end = "\"" ENVIRON["TAIL"]
		k = n - length(head) - length(end)
		s = "abcdefghij"
		while (length(s) < k) s = s s
		printf "%s%s%s\n", head, substr(s, 1, k), end
	}' > "$T/line"
}

# ---- checking both modes ----------------------------------------------------
# both NAME ARGS...: run esc-detect ARGS... on $T/NAME.jsonl in each mode,
# the fast mode's results to $T/NAME.{out,err,rej}, the streaming mode's to
# $T/NAME.slow.{out,err,rej}. With REJ set, both runs also take --rejects
# (and 4 tests, else 3): exit status, stdout, stderr, rejects the same.
both() {
	b=$1
	shift
	run ${TOOL:-esc-detect} ${REJ:+--rejects "$T/$b.rej"} "$@" "$T/$b.jsonl"
	cp "$T/out" "$T/$b.out"
	cp "$T/err" "$T/$b.err"
	frc=$rc
	ESC_JSON_FAST=0
	export ESC_JSON_FAST
	run ${TOOL:-esc-detect} ${REJ:+--rejects "$T/$b.slow.rej"} "$@" "$T/$b.jsonl"
	unset ESC_JSON_FAST
	cp "$T/out" "$T/$b.slow.out"
	cp "$T/err" "$T/$b.slow.err"
	is "$rc" "$frc" "$b: the same exit status in both modes ($frc)"
	diff_ok "$T/$b.slow.out" "$T/$b.out" "$b: the same stdout in both modes"
	diff_ok "$T/$b.slow.err" "$T/$b.err" "$b: the same stderr in both modes"
	if [ -n "$REJ" ]; then
		cmp -s "$T/$b.slow.rej" "$T/$b.rej"
		ok $? "$b: the same --rejects file in both modes"
	fi
}

# marks NAME: two tests on the fast mode's results: every line is either
# written or named once as rejected; the lines marked g are scored and the
# lines marked b rejected.
marks() {
	sed -n "s/^${TOOL:-esc-detect}: error (at [^)]*:\([0-9]*\)): .*/\1/p" "$T/$1.err" > "$T/$1.bad"
	is "$(($(lines "$T/$1.out") + $(lines "$T/$1.bad")))/$(sort "$T/$1.bad" | uniq -d | tr '\n' ' ')" \
		"$(lines "$T/$1.jsonl")/" "$1: $(lines "$T/$1.jsonl") lines, each scored or rejected once"
	awk 'NR == FNR { bad[$1] = 1; next }
		$1 == "g" && (FNR in bad) { printf "line %d rejected, should be scored; ", FNR }
		$1 == "b" && !(FNR in bad) { printf "line %d scored, should be rejected; ", FNR }' \
		"$T/$1.bad" "$T/$1.tags" > "$T/$1.wrong"
	is "$(cat "$T/$1.wrong")" "" "$1: the lines marked good are scored, those marked bad rejected"
}

# check NAME ARGS...: both, with --rejects, then marks: 6 tests.
check() {
	REJ=1
	both "$@"
	REJ=
	marks "$1"
}
REJ=

# ---- escapes and Unicode ------------------------------------------------------
batch escapes
j g '{"id":"e-all","text":"q \" bs \\ sl \/ b \b f \f n \n r \r t \t end"}'
j g '{"id":"e-u","text":"nul \u0000 e \u00e9 E \u00C9 euro \u20ac 2028 \u2028 fffe \ufffe ffff \uFFFF"}'
j g '{"id":"e-u-edges","text":"\u0001\u001f\u007f\u0080\u07ff\u0800\ufdd0"}'
j g '{"id":"e-pair","text":"smile \ud83d\ude00 done"}'
j g '{"id":"e-pair-upper","text":"smile \uD83D\uDE00 and \uDBFF\uDFFF"}'
j b '{"id":"e-lone-high","text":"lone \ud800 high"}'
j b '{"id":"e-lone-high-end","text":"x\uDBFF"}'
j b '{"id":"e-lone-low","text":"lone \udc00 low"}'
j b '{"id":"e-lone-low-upper","text":"lone \uDFFF low"}'
j b '{"id":"e-lone-low-elsewhere","x":"\udc00","text":"hi"}'
j b '{"id":"e-reversed","text":"\udc00\ud800"}'
j b '{"id":"e-high-high","text":"\ud800\ud800"}'
j b '{"id":"e-high-ascii","text":"\ud800\u0041"}'
j b '{"id":"e-high-then-char","text":"\ud83dx"}'
j g '{"id":"e-not-escape","text":"\\ud800 is text, \\\\udc00 too"}'
j b '{"id":"e-escaped-bs-then-lone","text":"\\\ud800"}'
j b '{"\ud800":1,"text":"a lone surrogate in a key"}'
j b '{"\udc00":1,"text":"a lone low surrogate in a key"}'
j g '{"\ud83d\ude00":1,"te\u0078t":"a pair in a key"}'
j b '{"id":"e-bad-x","text":"\x41"}'
j b '{"id":"e-bad-short","text":"\u12"}'
j b '{"id":"e-bad-hex","text":"\u12G4"}'
j b '{"id":"e-bad-U","text":"\U0041"}'
j b "{\"id\":\"e-bad-squote\",\"text\":\"\\'\"}"
j b '{"id":"e-bad-end","text":"a\"}'
j b '{"id":"e-bad-end2","text":"a\'
r g '{"id":"r-utf8","text":"caf\303\251 \342\202\254 \360\237\230\200 \342\200\234quoted\342\200\235 \357\277\277 \364\217\277\277"}'
r g '{"id":"r-del","text":"del \177 ok"}'
r b '{"id":"r-stray","text":"a \200 b"}'
r b '{"id":"r-overlong","text":"a \300\257 b"}'
r b '{"id":"r-overlong3","text":"a \340\200\257 b"}'
r b '{"id":"r-surrogate","text":"a \355\240\200 b"}'
r b '{"id":"r-surrogate-low","text":"a \355\277\277 b"}'
r b '{"id":"r-above","text":"a \364\220\200\200 b"}'
r b '{"id":"r-ff","text":"a \377\376 b"}'
r b '{"id":"r-five","text":"a \370\210\200\200\200 b"}'
r b '{"id":"r-trunc-string","text":"caf\303"}'
r b '{"id":"r-trunc-4","text":"x\360\237\230"}'
r b '{"id":"r-trunc-eol","text":"caf\303'
r b '{"id":"r-after-object","text":"hi"}\303'
r b '{"id":"r-key","t\377xt":"hi","text":"hi"}'
r b '{"id":"r-outside", \303\251 "text":"hi"}'
r b '\357\273\277{"id":"r-bom","text":"hi"}'
r b ' \357\273\277{"id":"r-bom-late","text":"hi"}'
r b '\357{"id":"r-ef","text":"hi"}'
r g '{"id":"r-bom-inside","text":"\357\273\277hi"}'
r g '{"id":"r-bom-key","\357\273\277":1,"text":"hi"}'
r b '{"id":"r-ctl1","text":"a\001b"}'
r b '{"id":"r-ctl-us","text":"a\037b"}'
r b '{"id":"r-tab","text":"a\tb"}'
r b '{"id":"r-cr","text":"a\rb"}'
r b '{"id":"r-ff-in","text":"a\fb"}'
r b '{"id":"r-ctl-key","a\002":1,"text":"hi"}'
r b '{"id":"r-nul","text":"a\000b"}'
r b '{"id":"r-nul-after","text":"hi"}\000'
r b '\000{"id":"r-nul-before","text":"hi"}'
r b '{"id":"r-nul-between",\000"text":"hi"}'
j g '{"id":"e-last","text":"I want to cancel my subscription"}'
check escapes

# ---- keys, and the tool's own key ------------------------------------------------
K255=$(awk 'BEGIN { while (length(s) < 255) s = s "k"; print s }')
K256=${K255}k
K300=$(awk 'BEGIN { while (length(s) < 300) s = s "K"; print s }')
batch keys
j g '{"id":"k-escaped","te\u0078t":"I want to cancel my subscription"}'
j g '{"id":"k-escaped-all","\u0074\u0065\u0078\u0074":"my business strategy and my pricing"}'
j g '{"id":"k-text-twice","text":"hello","text":"I want to cancel my subscription"}'
j g '{"id":"k-text-twice-rev","text":"I want to cancel my subscription","text":"hello"}'
j g '{"id":"k-question-then-text","question":"I want to cancel","text":"hello"}'
j g '{"id":"k-touches-twice","text":"hi","touches":5,"touches":1}'
j g '{"id":"k-touches-twice-rev","text":"hi","touches":1,"touches":5}'
j b '{"id":"k-touches-twice-bad","text":"hi","touches":5,"touches":"5"}'
j g '{"id":"k-kb-twice","text":"How do I price my wigs for my business?","kb_miss":true,"kb_miss":false}'
j g "{\"id\":\"k-255\",\"$K255\":1,\"text\":\"hi\"}"
j g "{\"id\":\"k-256\",\"$K256\":\"x\",\"text\":\"hi\"}"
j g "{\"id\":\"k-300\",\"$K300\":{\"a\":[1]},\"text\":\"hi\"}"
j b "{\"id\":\"k-300-only\",\"$K300\":\"I want to cancel\"}"
j g '{"id":"k-empty","":"x","text":"hi"}'
j b '{"":"I want to cancel"}'
j g '{"id":"k-nul","te\u0000xt":"I want to cancel","text":"hi"}'
j b '{"id":"k-nul-only","text\u0000":"I want to cancel"}'
j g '{"id":"k-nested-text","meta":{"text":"I want to cancel"},"text":"hi"}'
j g '{"detect":1,"id":"k-detect-first","text":"hi"}'
j g '{"id":"k-detect-middle","detect":{"old":{"deeper":[1,{"detect":2}]}},"text":"hi"}'
j g '{"id":"k-detect-last","text":"hi","detect":null}'
j b '{"detect":{"route":"human"}}'
j g '{"detect":"a","id":"k-detect-twice","text":"hi","detect":"b"}'
j g '{"id":"k-detect-escaped","d\u0065tect":1,"text":"I want to cancel"}'
j g '{ "detect" : [ ] , "id":"k-detect-spaced","text":"hi" , "detect" : { } }'
j g '{"id":"k-detect-nested-only","meta":{"detect":1},"text":"hi"}'
j g '{"id":"k-detect-alike","Detect":1,"detect ":2,"detec":3,"text":"hi"}'
j g '{"id":"k-detect-dup-value","text":"hi","detect":{"detect":{"detect":1}}}'
j b '{"detect":1,"detect":2,"detect":3,"detect":4,"detect":5,"detect":6,"detect":7,"detect":8,"detect":9,"text":"hi"}'
j b '{"id":"k-detect-bad-text","detect":1,"text":42}'
j b '{"id":"k-detect-bad-json","detect":1,"text":"hi",}'
j b '{"id":"k-detect-lone-low","detect":1,"text":"\udc00"}'
check keys

# ---- numbers --------------------------------------------------------------------
# Each number as "touches", as "revenue_at_risk" and as a field nobody reads.
Z60=$(awk 'BEGIN { while (length(s) < 60) s = s "0"; print s }')
batch numbers
i=0
for v in 0 -0 1E5 1.5e-400 18446744073709551616 18446744073709551615 \
	-9223372036854775809 -9223372036854775808 9223372036854775807 9223372036854775808 \
	3.0 3e0 0.1 3 2 2.9999999999999999 2.999999999999999 5000 5000.01 -5000 \
	5000.0000000000004547473508864641 5000.0000000000004547473508864642 \
	1e308 1.7976931348623157e308 5e-324 2e-324 2.4703282292062328e-324 \
	123456789012345678901234567890 0.000000000000000000000000000000000000000000000000000000000000000000000001e72 \
	"6000.${Z60}e-3" "0.3${Z60}e1" "5000.00000000000045474735088646411895751953125${Z60}1" \
	1e-7 1E+2 1e+02 0e0 -0.0 0.0000001; do
	i=$((i + 1))
	j g "{\"id\":\"n$i-touches\",\"text\":\"hi\",\"touches\":$v}"
	j g "{\"id\":\"n$i-risk\",\"text\":\"hi\",\"revenue_at_risk\":$v}"
	j g "{\"id\":\"n$i-other\",\"n\":$v,\"text\":\"hi\",\"m\":[$v,{\"k\":$v}]}"
done
# valid JSON past a double's range: no count or amount, but a field nobody
# reads may hold it
for v in 1e400 -1e400 1.7976931348623159e308; do
	i=$((i + 1))
	j b "{\"id\":\"n$i-touches\",\"text\":\"hi\",\"touches\":$v}"
	j b "{\"id\":\"n$i-risk\",\"text\":\"hi\",\"revenue_at_risk\":$v}"
	j g "{\"id\":\"n$i-other\",\"n\":$v,\"text\":\"hi\",\"m\":[$v,{\"k\":$v}]}"
done
for v in 01 -01 1. .5 +1 NaN Infinity -Infinity 1e 1e+ - -- 0x10 1_000 1.5.5 -.5 1.e5 00 \
	"1 2" 1ee5; do
	i=$((i + 1))
	j b "{\"id\":\"n$i-touches\",\"text\":\"hi\",\"touches\":$v}"
	j b "{\"id\":\"n$i-other\",\"n\":$v,\"text\":\"hi\"}"
done
check numbers
# A number is worth what all of its text says, however long: 6000.000...e-3
# (68 bytes) is 6, not over the 5000 of revenue_at_risk; 0.3000...e1 (65
# bytes) is 3 touches, a repeat contact; and 5000 and a half ulp and a bit
# more (107 bytes) is the double after 5000. The fast path reads them so;
# the streaming scanner must too (it cut them at 63 bytes: 6000, 0.3, and
# 5000 and a half ulp exactly, which rounds to 5000).
is "$(grep "\"revenue_at_risk\":6000.${Z60}e-3" "$T/numbers.slow.out" | jq -c '.detect.reasons')" '[]' \
	"revenue_at_risk 6000.(60 zeros)e-3 is 6, not over 5000 (streaming scanner)"
is "$(grep "\"touches\":0.3${Z60}e1" "$T/numbers.slow.out" | jq -c '.detect.reasons')" '["repeat_contact"]' \
	"touches 0.3(60 zeros)e1 is 3, a repeat contact (streaming scanner)"
is "$(grep '"revenue_at_risk":5000.00000000000045474735088646411895751953125000' "$T/numbers.slow.out" |
	jq -c '.detect.reasons')" '["high_value"]' \
	"revenue_at_risk 5000 + half an ulp + 1e-102 (107 bytes) is over 5000 (streaming scanner)"

# ---- literals and types ------------------------------------------------------------
batch types
j g '{"id":"t-lits","text":"hi","kb_miss":true,"touches":null,"revenue_at_risk":null,"context_type":null,"a":false}'
j g '{"id":"t-kb-false","text":"How do I price my wigs for my business?","kb_miss":false}'
j g '{"id":"t-kb-null","text":"hi","kb_miss":null}'
j g '{"id":"t-null-text","text":null,"question":"I want to cancel"}'
j b '{"id":"t-all-null","text":null,"question":null}'
for lit in tru nul fals True NULL nulll truee falsefalse t n f; do
	j b "{\"id\":\"t-bad-$lit\",\"text\":\"hi\",\"kb_miss\":$lit}"
done
j b '{"id":"t-bad-lit-other","x":nul,"text":"hi"}'
for v in 42 '{"body":"hi"}' '["hi"]' true false 0.5; do
	j b "{\"id\":\"t-text\",\"text\":$v}"
	j b "{\"id\":\"t-question\",\"question\":$v}"
done
for v in '"3"' '{}' '[3]' true; do
	j b "{\"id\":\"t-touches\",\"text\":\"hi\",\"touches\":$v}"
	j b "{\"id\":\"t-risk\",\"text\":\"hi\",\"revenue_at_risk\":$v}"
done
for v in '"yes"' 1 0 '{}' '[]' '"true"'; do
	j b "{\"id\":\"t-kb\",\"text\":\"hi\",\"kb_miss\":$v}"
done
for v in 7 '{}' '[]' true; do
	j b "{\"id\":\"t-ctx-type\",\"text\":\"hi\",\"context_type\":$v}"
	j g "{\"id\":\"t-ctx\",\"text\":\"hi\",\"context\":$v}"
done
j g '{"id":"t-ctx-mentor","text":"How should I grow my salon business?","context_type":"business_mentorship"}'
j b '{"id":"t-first-error-wins","kb_miss":"yes","text":5,"touches":"x"}'
j b '{"id":"t-type-then-json","text":5,"x":}'
j b '{"id":"t-json-then-type","x":tru,"text":5}'
check types

# ---- nesting -------------------------------------------------------------------------
deep() {
	MID=$4 awk -v d="$1" -v o="$2" -v c="$3" -v id="$5" 'BEGIN {
		printf "{\"id\":\"%s\",\"text\":\"hi\",\"x\":", id
		for (i = 0; i < d; i++) printf "%s", o
		printf "%s", ENVIRON["MID"]
		for (i = 0; i < d; i++) printf "%s", c
		print "}"
	}' > "$T/line"
}
batch nesting
j g '{"id":"d-2","text":"hi","a":[1,[2,[3]],{"b":{"c":[{}]}}],"d":{}}'
j g '{"id":"d-3","meta":{"text":{"text":["I want to cancel"]}},"text":"hi"}'
j g '{"id":"d-4","a":[[[[[[[[[["text"]]]]]]]]]],"text":"hi","z":[{"text":1}]}'
j g '{"id":"d-5","a":{"b":{"c":{"d":{"e":{"f":{"touches":"x","kb_miss":7}}}}}},"text":"hi"}'
for d in 5 1000 1023 1024 1025 2000; do
	deep "$d" '[' ']' '' "d-arr-$d"
	x g
	deep "$d" '{"a":' '}' 1 "d-obj-$d"
	x g
done
deep 2000 '[' '}' '' d-2000-mismatched
x b
deep 2000 '[' '' '' d-2000-open
x b
deep 1023 '{"a":' '}' tru d-1023-bad-lit
x b
deep 1024 '[' ']' '"\udc00"' d-1024-lone-low
x b
j b '{"id":"d-unclosed","text":"hi","a":[1,2'
j b '{"id":"d-extra-close","text":"hi","a":[1,2]]}'
j b '{"id":"d-trailing-comma","text":"hi","a":[1,2,]}'
j b '{"id":"d-missing-value","text":"hi","a":{"b":}}'
check nesting

# ---- white space, trailing garbage, not an object, blank lines --------------------------
batch shape
j g '   {"id":"w-lead","text":"hi"}'
j g '{"id":"w-trail","text":"hi"}   '
r g '\t{"id"\t:\t"w-tabs" ,\t"text":"hi"}\t'
r g '{"id":"w-crlf","text":"hi"}\r'
r g '{"id":"w-cr-cr","text":"hi"}\r\r'
r g '{"id":"w-cr-inside",\r"text":"hi"\r}'
r - '\f{"id":"w-ff-lead","text":"hi"}'
r - '{"id":"w-ff-trail","text":"hi"}\f'
r - '{"id":"w-ff-mid",\f"text":"hi"}'
r - '\v{"id":"w-vt-lead","text":"hi"}'
r - '{"id":"w-vt-mid","text":\v"hi"}'
r b '{"id":"w-nbsp",\302\240"text":"hi"}'
r b '{"id":"w-ideographic",\343\200\200"text":"hi"}'
j b '{}'
j b '{} x'
j b '{}{}'
j b '{},'
j b '{"id":"g-space-x","text":"hi"} x'
j b '{"id":"g-two","text":"hi"}{"id":"g-two-b","text":"hi"}'
j b '{"id":"g-two-spaced","text":"hi"} {"text":"hi"}'
j b '{"id":"g-comma","text":"hi"},'
j b '{"id":"g-bracket","text":"hi"}]'
j b '{"id":"g-brace","text":"hi"}}'
j b '{"id":"g-number","text":"hi"} 1'
j b '{"id":"g-string","text":"hi"} "s"'
j b '{"id":"g-null","text":"hi"} null'
j b '{"id":"g-comment","text":"hi"} // no'
j b '{"id":"g-comment2","text":"hi" /* no */}'
j b '{"id":"g-trailing-member-comma","text":"hi",}'
j b '{"id":"g-single-quotes",'"'text'"':"hi"}'
j b '{id:"g-bare-key","text":"hi"}'
for v in '[]' '"s"' 1 null true false -1 '[{"text":"hi"}]' '"{\"text\":\"hi\"}"' '1 2' '[] {}'; do
	j b "$v"
done
j b ''
j b '   '
r b '\t \t'
r b '\r'
r b ' \f \v '
# a string left open: yajl takes the end of the line for the end of the
# string, and with its handle kept from line to line, the next line would
# start inside it. After an object (then a good line, which must be scored),
# and alone, after a good line.
j b '{"id":"w-open-after","text":"hi"} "an open string'
open1=$(lines "$cur")
j g '{"id":"w-after-open","text":"hi"}'
j b '{"id":"w-open-after2","text":"hi"}"}'
open2=$(lines "$cur")
j g '{"id":"w-after-open2","text":"hi"}'
j b '"an open string'
open3=$(lines "$cur")
j g '{"id":"w-before-open","text":"hi"}'
j b '  "open, after blanks and an escaped quote\"'
open4=$(lines "$cur")
j b '{'
j b '}'
j b '{"text"'
j b '{"text":'
j b '{"text":"hi"'
j b '{"text":"hi",'
j b '{"text" "hi"}'
j b '{"id" "w-no-colon","text":"hi"}'
j g '{"id":"w-last","text":"hi"}'
check shape
for k in $open1 $open2 $open3 $open4; do
	grep ":$k): " "$T/shape.slow.err" | sed 's/.*): //'
done | tr '\n' '|' > "$T/open.got"
is "$(cat "$T/open.got")" "invalid JSON at byte 49: trailing garbage|invalid JSON at byte 36: trailing garbage|invalid JSON at byte 15: premature EOF|invalid JSON at byte 44: premature EOF|" \
	"a string left open, after an object or alone: rejected, at the end of the line (streaming scanner)"

# ---- line length: the fast path takes lines up to 64 KiB ----------------------------------
batch sizes
for n in 65535 65536 65537; do
	longline "$n"
	x g
	longline "$n" ',"touches":3}'
	x g
	longline "$n" '}x'
	x b
	longline "$n" ',"detect":1}'
	x g
	longline "$n" ',"x":"\udc00"}'
	x b
	longline "$n" ',"x":1.}'
	x b
done
longline 65536
tr -d '\n' < "$T/line" > "$T/line.cr"
printf '\r\n' >> "$T/line.cr"
mv "$T/line.cr" "$T/line"
x g
longline 1048576
x g
longline 1048576 ',"detect":{"a":1},"touches":3}'
x g
longline 1048576 ',"x":"\udc00"}'
x b
j g '{"id":"s-after","text":"hi"}'
check sizes
is "$(sed -n 's/.*"id":"\(long-[0-9]*\)".*"touches":3,"detect":{"escalate":true,"route":"human".*/\1/p' \
	"$T/sizes.out" | tr '\n' ' ')" "long-65535 long-65536 long-65537 long-1048576 " \
	"long lines on each side of 64 KiB, and of 1 MB, are read whole"

# ---- the whole corpus: without --rejects; --strict --------------------------------------
cat "$T"/escapes.jsonl "$T"/keys.jsonl "$T"/numbers.jsonl "$T"/types.jsonl \
	"$T"/nesting.jsonl "$T"/shape.jsonl > "$T/all.jsonl"
cat "$T"/escapes.tags "$T"/keys.tags "$T"/numbers.tags "$T"/types.tags \
	"$T"/nesting.tags "$T"/shape.tags > "$T/all.tags"
both all
cat "$T"/escapes.out "$T"/keys.out "$T"/numbers.out "$T"/types.out "$T"/nesting.out \
	"$T"/shape.out > "$T/all.want"
diff_ok "$T/all.out" "$T/all.want" "all: the same lines out in one run as in six (a line's output is its own)"

# --strict stops at the first rejected line: the same one in both modes.
# The good lines first, then the bad ones, so that the stop comes late.
awk 'NR == FNR { tag[FNR] = $1; next } tag[FNR] == "g"' "$T/all.tags" "$T/all.jsonl" > "$T/strict.jsonl"
awk 'NR == FNR { tag[FNR] = $1; next } tag[FNR] == "b"' "$T/all.tags" "$T/all.jsonl" >> "$T/strict.jsonl"
REJ=1
both strict --strict
REJ=
is "$(lines "$T/strict.out")/$(lines "$T/strict.err")/$(lines "$T/strict.rej")" "$(grep -c g "$T/all.tags")/1/1" \
	"strict: every good line scored, then one line rejected, and the run stops"
# ---- esc-offer: the same two scanners, reading detect's members too ---------------------
# esc-offer reads values below the top level (detect.route, .scores, .alerts),
# so its fast path hands on every value down to four levels; a number's text
# is then printed back, and a numeric id keys the template by its value.
TOOL=esc-offer
P='"escalate":true,"route":"paid","reasons":["personalized_help","strategic"]'
S='"scores":{"personal":1,"strategic":1,"advanced":0}'
I='"indicators":{"personal":["my business"],"strategic":["strategy"],"advanced":[]}'
E='"sentiment":{"compound":-0.1432,"label":"negative"},"alerts":[],"severity":"low"'
TX='"text":"Can you look at my business strategy and my pricing?"'
# a question two templates fit: which one, the id decides
TX2='"text":"Can you break down my business in detail?"'
D2='"detect":{"route":"paid","scores":{"personal":1}}'
batch offer
j g "{\"id\":\"o1\",$TX,\"detect\":{$P,$S,$I,$E}}"
j g "{\"id\":1.50,$TX2,$D2}"
j g "{\"id\":1.5,$TX2,$D2}"
j g "{\"id\":15e-1,$TX2,$D2}"
for id in -0 -0.0 -1e-400 1e17 -1e17 1.5e19 1e20 100000000000000000.0 9.223372036854775807e18 \
    12345678901234567890 "1.$(printf '%065d' 0)" 5e-324 1.7976931348623157e308; do
	j g "{\"id\":$id,$TX2,$D2}"
done
j - "{\"id\":123456789012345678901234567890,$TX2,$D2}"
j g "{\"id\":12345678901234567890,$TX,\"detect\":{$P,$S,$I,$E}}"
j g "{\"id\":\"o2\",$TX,\"detect\":{\"route\":\"pa\\u0069d\",\"scores\":{\"personal\":1e0,\"strategic\":2.0,\"advanced\":-0}}}"
j g "{\"id\":\"o3\",$TX,\"detect\":{\"route\":\"paid\",\"scores\":{\"personal\":0.5,\"strategic\":1E+2,\"advanced\":1e-400}}}"
j b "{\"id\":\"o4\",\"text\":\"x\",\"detect\":{\"route\":\"human\",\"alerts\":[\"cancel\",\"l\\u00e9gal\",[\"nested\"],{\"a\":\"b\"},7,\"legal\"]}}"
j g "{\"id\":\"o4b\",\"text\":\"x\",\"detect\":{\"route\":\"human\",\"alerts\":[\"cancel\",\"l\\u00e9gal\",\"le\\u0067al\"]}}"
j g "{\"id\":\"o5\",\"text\":\"x\",\"detect\":{\"route\":\"none\",\"a\":{\"b\":{\"c\":{\"d\":{\"e\":[1,[2,[3]]]}}}}}}"
j g "{\"id\":\"o6\",\"text\":\"x\",\"detect\":{\"$(printf '%0300d' 0)\":1,\"route\":\"none\"}}"
j g "{\"id\":\"o7\",\"text\":\"x\",\"detect\":{\"route\":\"paid\",\"route\":\"none\"}}"
j b "{\"id\":\"o8\",\"text\":\"x\",\"detect\":{\"route\":\"nowhere\"}}"
j b "{\"id\":\"o9\",\"text\":\"x\",\"detect\":[1]}"
j b "{\"id\":\"o10\",\"text\":\"x\",\"detect\":{\"scores\":{}}}"
j b "{\"id\":\"o11\",\"text\":\"x\"}"
j b "{\"id\":\"o12\",\"text\":7,\"detect\":{$P,$S}}"
j - "{\"id\":\"o13\",\"text\":\"x\",\"detect\":{\"route\":\"none\",\"x\":\"\\ud83d\\ude00\"}}"
j b "{\"id\":\"o14\",\"text\":\"x\",\"detect\":{\"route\":\"none\",\"x\":\"\\ud83d\"}}"
r - '\357\273\277{"id":"o15","text":"x","detect":{"route":"none"}}'
j g "{\"id\":\"o16\",\"text\":\"x\",\"detect\":{\"route\":\"none\"},\"offer\":{\"old\":1}}"
j b "{\"id\":\"o17\",\"text\":\"x\",\"detect\":{\"route\":\"none\"}"
cat "$T/all.out" >> "$T/offer.jsonl"
sed 's/.*/-/' "$T/all.out" >> "$T/offer.tags"
check offer
cp "$T/offer.jsonl" "$T/offer-seed.jsonl"
REJ=1
both offer-seed --seed 7
REJ=
is "$(sed -n '2,4p' "$T/offer.out" | jq -r '.offer.template' | sort -u | wc -l | tr -d ' ')" 1 \
	"an id of 1.50, 1.5 or 15e-1 is one record: the same template"
done_testing
