# Shared by the lab's own scripts (run, run-all, kernel, guest-initrd); tests
# source lib.sh instead. Bash.

# Exit statuses of lab infrastructure failures, told apart from a test's own
# status by their message on stderr (all start with "lab: "). README.md lists
# them; keep the two in step.
LAB_EXIT_DEPS=100      # packages (qemu, busybox, cpio...) missing and not installable
LAB_EXIT_KERNEL=101    # kernel download or unpack failed
LAB_EXIT_INITRD=102    # building the lab's initramfs or helper programs failed
LAB_EXIT_QEMU=103      # qemu failed to start
LAB_EXIT_NORESULT=104  # the lab host booted (or tried to) but gave no result
LAB_EXIT_TIMEOUT=105   # no result within LAB_TIMEOUT
LAB_EXIT_USAGE=2

# What the lab host's kernel prints when one of its CPUs stops answering.
LAB_STALL_RE='rcu: INFO: rcu_.* detected stalls'
# How long the lab console may stay unchanged after such a report before
# the lab host counts as stopped: a living one repeats it every 63 s.
LAB_STALL_SILENCE=150
# What lab-watchdog prints when a lab CPU's heartbeat stopped and an NMI did
# not move it, and what run adds to the console when the lab host as a whole
# went silent (LAB_ALIVE_SILENCE s without lab-watchdog's sign of life on
# the run's share): a lab CPU stopped for good with no RCU report.
LAB_STUCK_RE='^lab-watchdog: .* stuck for good\|^lab harness: the lab host gave no sign of life'
LAB_ALIVE_SILENCE=180

# The failure kinds run-all retries (see failure_kind and the policy
# there): those the lab produces without partvm's help. tests/lab/baseline
# measured guest triple faults, lab-host panics (a stack through KVM's SVM
# shutdown intercept) and lab-host triple faults under QEMU as under partvm;
# the lab host stalls with no nested VMM at all, before lab-init (README.md,
# "Known behaviour"). lab-reset has not been seen without partvm.
LAB_RETRY_KINDS="guest-triple-fault lab-panic lab-stall lab-triple-fault"
# A test's failure of a retried kind stands the second time in a row (as
# issue 19 asks). From 2026-12-05 to 2026-12-06 it stood only the third
# time: nested guests then triple-faulted in about one test run in nine and
# the lab host died in most boots, so twice in a row ended about every
# other CI run on the lab's noise alone. Since the job runs off CPU 0
# (lab-init) a whole lab suite ran without one (README.md, "run-all").
LAB_STANDS_AFTER=2
# How many more runs a test can get, each in a fresh lab host.
LAB_RETRIES=3

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
LAB_CHECKOUT=$(cd "$LAB_DIR/../.." && pwd -P)
LAB_CACHE=${LAB_CACHE:-/var/tmp/partvm-lab}

# lab_stalled CONSOLE: true when the lab host writing CONSOLE stopped for
# good: RCU reported a stall twice (a lab CPU stuck in TCG's emulated SVM,
# taking no NMI), or once and CONSOLE then stayed unchanged for
# LAB_STALL_SILENCE s (its timers dead: it stopped half-way through the
# report and QEMU sat idle, in a clean-clone run on 2026-12-06), or
# lab-watchdog found a CPU stuck for good (LAB_STUCK_RE).
lab_stalled() {
	local n
	grep -qs "$LAB_STUCK_RE" "$1" && return 0
	n=$(grep -cs "$LAB_STALL_RE" "$1" || true)
	[ "${n:-0}" -ge 2 ] && return 0
	[ "${n:-0}" -ge 1 ] && [ $(($(date +%s) - $(stat -c %Y "$1"))) -ge "$LAB_STALL_SILENCE" ]
}

# lab_death_kind CONSOLE: how the lab host writing CONSOLE (a console copy
# from run --console, with its .qemu-reset beside it) died: lab-panic,
# lab-stall (an RCU stall report, lab-watchdog's "stuck for good", or run's
# "no sign of life"), lab-triple-fault (QEMU's reset log), or lab-reset
# (none of these). run-all and baseline name their failures by it.
lab_death_kind() {
	if grep -q 'Kernel panic - not syncing' "$1"; then
		echo lab-panic
	elif grep -q -e "$LAB_STALL_RE" -e "$LAB_STUCK_RE" "$1"; then
		echo lab-stall
	elif grep -qs '^Triple fault' "$1.qemu-reset"; then
		echo lab-triple-fault
	else
		echo lab-reset
	fi
}

# lab_find_test ARG: the absolute path of the lab test ARG names (a path,
# or a name: lab-host, test-lab-host, test-lab-host.sh); dies when none.
lab_find_test() {
	local t
	for t in "$1" "$LAB_DIR/test-$1.sh" "$LAB_DIR/$1.sh" "$LAB_DIR/$1"; do
		if [[ -f $t && $(basename "$t") == test-*.sh ]]; then
			echo "$(cd "$(dirname "$t")" && pwd -P)/$(basename "$t")"
			return 0
		fi
	done
	lab_die "$LAB_EXIT_USAGE" "no such lab test: $1 (tests are tests/lab/test-*.sh)"
}

lab_die() {
	local status=$1
	shift
	echo "lab: $*" >&2
	exit "$status"
}

# Print "'arg'" quoted for sh, so a value survives being sourced by the
# lab host's busybox sh whatever characters it holds.
lab_quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# Hash of the files that define an artifact, so a cache entry is rebuilt
# exactly when one of them changes.
lab_hash_files() {
	cat "$@" | sha256sum | cut -c1-16
}

# Build tests/lab/*.c into build/lab/ on this machine, where gcc is fast
# (inside the lab it takes ~10 s a file); lib.sh's lab_helper finds them.
# A source may ask for more flags with a line "// lab: cflags: ..." (for
# example -static, for a program that runs inside an L2 guest).
lab_build_helpers() {
	local src bin out=$LAB_CHECKOUT/build/lab
	for src in "$LAB_DIR"/*.c; do
		[ -e "$src" ] || continue
		bin=$out/$(basename "$src" .c)
		[ "$bin" -nt "$src" ] && continue
		mkdir -p "$out"
		# shellcheck disable=SC2046
		${CC:-gcc} -std=gnu11 -O2 -g -Wall -Wextra -Werror $(sed -n 's,^// lab: cflags: ,,p' "$src") \
			-o "$bin" "$src" || return 1
	done
}
