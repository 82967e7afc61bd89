# Sourced by the benchmarks (tests/bench/*.sh). Bash.
#
# Every figure is BENCH_SAMPLES (default 10, at least 10) samples per VMM,
# reported as min/median/max; the median is the headline. A sample that
# fails fails the benchmark: nothing is dropped. The one exception is a boot
# whose guest triple-faulted, the failure the lab itself produces under QEMU
# as under partvm (tests/lab/README.md, "The lab's own failure rate"; run-all
# retries it too): that boot runs again, at most twice in a row, each time
# said on stderr, and bench_redos counts them per VMM.
#
#   bench_samples              the number of samples to take
#   bench_record FILE VALUE    append one sample (a number) to FILE
#   bench_sample FILE KEY CMD...
#                              one tests/lab/vmm-measure run (its mode and
#                              the VMM's command line), its KEY value into
#                              FILE; a run that fails fails the benchmark
#   bench_fail WHAT            print "bench: WHAT" and exit 1
#   bench_boot OUT MARK WHAT CMD...
#                              boot a VM (CMD) with its output in OUT.out and
#                              OUT.err; when MARK never came, show the last
#                              lines and the lab host's kernel log and fail
#                              with WHAT (a guest triple fault: see above)
#   bench_redos                "bench: boots run again after a guest triple
#                              fault: ..." per VMM (bench_boot's count)
#   bench_metric NAME OURS THEIRS [DIVISOR] [THEIRS-LABEL] [OURS-LABEL]
#                              print "METRIC NAME ours=MEDIAN qemu=MEDIAN
#                              ratio=R" and the spread: ours min/median/max,
#                              theirs min/median/max, samples. OURS and
#                              THEIRS are sample files; DIVISOR scales both.

# The VMM of each boot bench_boot ran again (call it outside a subshell).
BENCH_REDOS=()

bench_samples() {
	local n=${BENCH_SAMPLES:-10}
	[ "$n" -ge 10 ] || bench_fail "BENCH_SAMPLES=$n: every figure takes at least 10 samples"
	echo "$n"
}

bench_fail() {
	echo "bench: $*" >&2
	exit 1
}

# _bench_triple_fault OUT STATUS CMD: did the boot in OUT end in a guest
# triple fault? partvm says so; QEMU, run with -no-reboot, just ends (status
# 0) on the reset, which a guest short of its poweroff and with no panic
# only does by triple-faulting.
_bench_triple_fault() {
	grep -qa 'triple fault (KVM_EXIT_SHUTDOWN)' "$1.out" "$1.err" && return 0
	[[ $(basename "$3") == qemu-system-* ]] && [ "$2" = 0 ] &&
		! grep -qa 'Kernel panic' "$1.out" "$1.err"
}

bench_boot() {
	local out=$1 mark=$2 what=$3 status again=0
	shift 3
	while :; do
		status=0
		# A benchmark that keeps state across boots (a server) resets it
		# here, for the first boot and for one after a triple fault.
		if declare -F bench_before_boot >/dev/null; then bench_before_boot; fi
		timeout 900 "$@" </dev/null >"$out.out" 2>"$out.err" || status=$?
		grep -q -- "$mark" "$out.out" && return 0
		_bench_triple_fault "$out" "$status" "$1" && [ "$again" -lt 2 ] || break
		again=$((again + 1))
		echo "bench: $what: the guest triple-faulted; booting it again ($again)" >&2
		BENCH_REDOS+=("$(basename "$1")")
	done
	tail -n 20 "$out.out" "$out.err" >&2
	echo "bench: the lab host's kernel log:" >&2
	dmesg | tail -n 20 >&2
	bench_fail "$what (exit status $status)"
}

bench_redos() {
	local counts
	counts=$(printf '%s\n' ${BENCH_REDOS[@]+"${BENCH_REDOS[@]}"} | sed '/^$/d' | sort | uniq -c |
		awk '{ printf "%s%s %d", sep, $2, $1; sep = ", " }')
	echo "bench: boots run again after a guest triple fault: ${counts:-none}"
}

bench_record() {
	[[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || bench_fail "not a number for $1: '$2'"
	echo "$2" >>"$1"
}

# _bench_spread FILE DIVISOR: "MIN MEDIAN MAX N" of FILE's samples / DIVISOR.
bench_sample() {
	local file=$1 key=$2 out
	shift 2
	out=$("$(lab_helper vmm-measure)" "$@") || bench_fail "$key: vmm-measure failed for ${*:2:1}"
	# "KEY VALUE" pairs, several on a line (rss prints three).
	bench_record "$file" "$(awk -v k="$key" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$out")"
}

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
