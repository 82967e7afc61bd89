# Sourced by the benchmarks (tests/bench/*.sh). Bash.
#
# Every figure is BENCH_SAMPLES (default 10, at least 10) samples per VMM,
# reported as min/median/max; the median is the headline. A sample that
# fails fails the benchmark: nothing is dropped or run again.
#
#   bench_samples              the number of samples to take
#   bench_record FILE VALUE    append one sample (a number) to FILE
#   bench_fail WHAT            print "bench: WHAT" and exit 1
#   bench_metric NAME OURS THEIRS [DIVISOR] [THEIRS-LABEL] [OURS-LABEL]
#                              print "METRIC NAME ours=MEDIAN qemu=MEDIAN
#                              ratio=R" and the spread: ours min/median/max,
#                              theirs min/median/max, samples. OURS and
#                              THEIRS are sample files; DIVISOR scales both.

bench_samples() {
	local n=${BENCH_SAMPLES:-10}
	[ "$n" -ge 10 ] || bench_fail "BENCH_SAMPLES=$n: every figure takes at least 10 samples"
	echo "$n"
}

bench_fail() {
	echo "bench: $*" >&2
	exit 1
}

bench_record() {
	[[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || bench_fail "not a number for $1: '$2'"
	echo "$2" >>"$1"
}

# _bench_spread FILE DIVISOR: "MIN MEDIAN MAX N" of FILE's samples / DIVISOR.
_bench_spread() {
	sort -g "$1" | awk -v d="$2" '{ v[NR] = $1 / d }
		END { if (NR) printf "%.2f %.2f %.2f %d", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }'
}

bench_metric() {
	local name=$1 ours=$2 theirs=$3 div=${4:-1} label=${5:-qemu} ourlabel=${6:-ours} o t
	read -r -a o <<<"$(_bench_spread "$ours" "$div")"
	read -r -a t <<<"$(_bench_spread "$theirs" "$div")"
	[ "${#o[@]}" = 4 ] && [ "${#t[@]}" = 4 ] || bench_fail "$name: no samples"
	[ "${o[3]}" = "${t[3]}" ] || bench_fail "$name: ${o[3]} samples of $ourlabel against ${t[3]} of $label"
	echo "bench: $name: $ourlabel min/median/max ${o[0]}/${o[1]}/${o[2]}, $label ${t[0]}/${t[1]}/${t[2]} (${o[3]} samples each)"
	echo "METRIC $name $ourlabel=${o[1]} $label=${t[1]} ratio=$(awk -v a="${o[1]}" -v b="${t[1]}" 'BEGIN { printf "%.3f", a / b }')"
}
