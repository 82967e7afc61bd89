# Sourced by the lab's tests (tests/lab/test-*.sh), which run inside the lab
# host (see README.md) but can source this anywhere. Bash.
#
# Sets:
#   LAB_CHECKOUT  the checkout being tested
#   TMPDIR        scratch space (run-all: fresh for each test; else /tmp)
#   PARTVM        its partvm binary (default build/partvm of the checkout;
#                 a relative $PARTVM is taken from the current directory)
#   LAB_KVER LAB_KROOT LAB_MODDIR LAB_BZIMAGE LAB_VMLINUX
#                 Debian's kernel the lab runs: release, unpacked package,
#                 modules directory, bzImage, and the ELF vmlinux inside it
# Functions: lab_guest_initrd, lab_extract_vmlinux, lab_helper, lab_read,
# lab_pci_find, lab_edu, lab_screendump, and assert_* helpers that print what was expected and what was seen.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
LAB_CHECKOUT=$(cd "$LAB_DIR/../.." && pwd -P)

if [ -z "${LAB_KVER:-}" ] || [ -z "${LAB_KROOT:-}" ]; then
	_lab_env=$("$LAB_DIR/kernel" --env) || exit $?
	eval "$_lab_env"
	unset _lab_env
fi
export LAB_CHECKOUT LAB_KVER LAB_KROOT LAB_MODDIR LAB_BZIMAGE LAB_VMLINUX

# A test that `set -e` ends says which command ended it, not only its
# status: the ERR trap fires where errexit would, and only then (an error
# under `set +e` is the test's to handle; a failing command substitution is
# reported by the command that used it).
lab_on_err() {
	local st=$? file=$1 line=$2 cmd=$3
	[[ $- == *e* ]] && [ "$BASH_SUBSHELL" = 0 ] || return 0
	echo "FAIL: ${file##*/}:$line: \`$cmd\` exited with status $st" >&2
}
set -E
trap 'lab_on_err "${BASH_SOURCE[0]:-$0}" "$LINENO" "$BASH_COMMAND"' ERR

# run-all gives each test a fresh, empty TMPDIR.
export TMPDIR=${TMPDIR:-/tmp}

PARTVM=${PARTVM:-$LAB_CHECKOUT/build/partvm}
case $PARTVM in /*) ;; *) PARTVM=$PWD/$PARTVM ;; esac
export PARTVM

# lab_guest_initrd [OPTION]... OUT SCRIPT [MODULE...]: an initramfs for a
# guest running $LAB_BZIMAGE; see tests/lab/guest-initrd for the options.
lab_guest_initrd() {
	"$LAB_DIR/guest-initrd" "$@"
}

# lab_extract_vmlinux BZIMAGE OUT: the ELF vmlinux inside a bzImage.
# ($LAB_VMLINUX is the lab kernel's, already extracted.)
lab_extract_vmlinux() {
	"$LAB_DIR/extract-vmlinux" "$@"
}

# lab_helper NAME: path of the program built from tests/lab/NAME.c (on this
# machine, by tests/lab/run, before the lab boots: gcc under TCG is slow).
lab_helper() {
	local bin=$LAB_CHECKOUT/build/lab/$1
	if [ ! -x "$bin" ]; then
		echo "FAIL: lab helper $bin is missing; tests/lab/run builds it from tests/lab/$1.c" >&2
		exit 1
	fi
	echo "$bin"
}

# lab_screendump OUT: what the lab host's display adapter shows (the
# bochs-display tests/lab/run gives it), as its QEMU's screendump, a binary
# PPM, into OUT. tests/lab/run takes the picture when asked through the
# share (its serve_requests), within a second or two.
lab_screendump() {
	local req=/run/lab-requests tries=0
	rm -f "$req/screendump.done" "$req/screen.ppm"
	: >"$req/screendump"
	until [ -e "$req/screendump.done" ]; do
		if [ $tries -ge 300 ]; then
			echo "FAIL: no screendump from tests/lab/run within 30 s" >&2
			return 1
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	if [ "$(cat "$req/screendump.done")" != ok ]; then
		echo "FAIL: $(cat "$req/screendump.done")" >&2
		return 1
	fi
	cp "$req/screen.ppm" "$1"
}

# lab_privileges STATUS: a thread's ids and privileges from its
# /proc/PID/task/TID/status, as "Uid R/E/S Gid R/E/S CapEff X NoNewPrivs N
# Seccomp M".
lab_privileges() {
	awk '/^Uid:/ { u = $2 "/" $3 "/" $4 } /^Gid:/ { g = $2 "/" $3 "/" $4 } /^CapEff:/ { c = $2 }
		/^NoNewPrivs:/ { n = $2 } /^Seccomp:/ { s = $2 }
		END { print "Uid " u " Gid " g " CapEff " c " NoNewPrivs " n " Seccomp " s }' "$1"
}

# lab_read FILE: the first line of FILE (a sysfs attribute, say), with no
# process of its own beyond the $(...) subshell.
lab_read() {
	local line=
	read -r line <"$1" || [ -n "$line" ] || return 1
	echo "$line"
}

# lab_hex TEXT: TEXT's bytes as hex digits, as bar-mem takes and prints them.
lab_hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}

# lab_file_hex FILE OFFSET LEN: FILE's LEN bytes at OFFSET, the same way.
lab_file_hex() {
	od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# lab_pci_find VENDOR:DEVICE: the addresses (0000:00:02.0) of matching PCI
# functions, one a line.
lab_pci_find() {
	local d vendor device
	for d in /sys/bus/pci/devices/*; do
		# Builtins only: under TCG a process costs 50 ms or more.
		read -r vendor <"$d/vendor"
		read -r device <"$d/device"
		[ "$vendor:$device" = "0x${1%%:*}:0x${1#*:}" ] && echo "${d##*/}"
	done
	return 0
}

# lab_edu: the address of the lab's single-function edu device (1234:11e8,
# 0000:00:03.0). The lab also has a multi-function device of two edu
# functions (00:06.0 and 00:06.1, test-vfio-multifunction.sh's), which a
# search by IDs alone finds too; a function alone in its slot is not one of
# them.
lab_edu() {
	local d
	local -a fns
	for d in $(lab_pci_find 1234:11e8); do
		fns=(/sys/bus/pci/devices/"${d%.*}".*)
		[ "${#fns[@]}" != 1 ] || echo "$d"
	done
	return 0
}

# --- Assertions: each prints "ok: WHAT ..." or "FAIL: WHAT ..." and exits 1.

# lab_kill [-SIGNAL] PID...: signal each PID that is set, and succeed
# whether or not it still runs: a cleanup trap under set -e would end at a
# kill of a process that already exited, leaving the lab host changed for
# the tests after it (test-vfio-kill left a VF behind that way).
lab_kill() {
	local sig=-TERM p
	case ${1:-} in -*) sig=$1; shift ;; esac
	for p in "$@"; do
		[ -z "$p" ] || kill "$sig" "$p" 2>/dev/null || true
	done
}

# lab_run_bounded SECONDS OUT CMD...: CMD (a partvm run) with its output
# into OUT. Should it still run after SECONDS, say what it was doing (each
# running partition's `ctl stats`, every thread's state, wchan and kernel
# stack, the output's last lines), stop it (TERM, then KILL 30 s later)
# and return 124; otherwise CMD's status. A hung partvm thus fails its test
# with a diagnosis, long before the test's own timeout ends the lab batch
# with nothing to read (test-vfio-three, CI 26).
# _lab_wait_gone PID SECONDS: succeed once PID has exited, fail if it
# still runs after SECONDS.
_lab_wait_gone() {
	local waited=0
	while kill -0 "$1" 2>/dev/null; do
		[ "$waited" -lt "$2" ] || return 1
		sleep 1
		waited=$((waited + 1))
	done
}

lab_run_bounded() {
	local limit=$1 out=$2 pid status=0 t
	shift 2
	"$@" </dev/null >"$out" 2>&1 &
	pid=$!
	if _lab_wait_gone "$pid" "$limit"; then
		wait "$pid" || status=$?
		return "$status"
	fi
	echo "lab: $1 (pid $pid) still runs after $limit s; what it is doing:"
	"$PARTVM" list 2>&1 | sed 's/^/    list| /' || true
	for t in /run/partvm/*.sock; do
		[ -S "$t" ] || continue
		t=$(basename "$t" .sock)
		"$PARTVM" ctl "$t" stats 2>&1 | sed "s/^/    $t stats| /" || true
	done
	lab_diagnose "$pid"
	echo "    the output's last lines:"
	tail -n 40 "$out" | sed 's/^/    | /'
	lab_kill "$pid"
	_lab_wait_gone "$pid" 30 || lab_kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	return 124
}

# lab_diagnose PID: what a stuck partvm is doing. A guest that never
# reports (with "quiet", its console may stay empty)
# could be spinning, halted, or never entered: tell them apart with each
# thread's state and kernel stack and the VM's KVM exit counts over 1 s.
lab_diagnose() {
	local pid=$1 t d f a b
	echo "lab: partvm (pid $pid) threads:"
	for t in /proc/"$pid"/task/*; do
		echo "    $(cat "$t/comm") state $(sed 's/.*) //; s/ .*//' "$t/stat") wchan $(cat "$t/wchan")"
		sed -n '1,12s/^/      /p' "$t/stack"
	done 2>/dev/null
	for d in /sys/kernel/debug/kvm/"$pid"-*; do
		[ -d "$d" ] || continue
		declare -A before=()
		for f in exits halt_exits halt_wakeup io_exits mmio_exits irq_injections nmi_injections; do
			[ -r "$d/$f" ] && before[$f]=$(cat "$d/$f")
		done
		sleep 1
		for f in "${!before[@]}"; do
			a=${before[$f]} b=$(cat "$d/$f")
			echo "    KVM $f: $b (+$((b - a)) in 1 s)"
		done
		for f in "$d"/vcpu*/guest_mode; do
			[ -r "$f" ] && echo "    $(basename "$(dirname "$f")") guest_mode $(cat "$f")"
		done
	done
	lab_trace_exits
	# Where each thread is in partvm itself: a vCPU waiting on a lock and
	# one stuck in KVM_RUN look alike from the kernel's side.
	if command -v gdb >/dev/null; then
		echo "    partvm's threads in gdb:"
		timeout 60 gdb -p "$pid" -batch -nx -ex "thread apply all bt 15" 2>/dev/null |
			grep -E '^(Thread|#)' | sed 's/^/      /'
	fi
}

# What the vCPUs exit for, and where in the guest: KVM's tracepoints over
# half a second, the most frequent (event, vCPU, reason, guest RIP) first.
# A guest spinning without I/O shows here what the exit counts cannot.
lab_trace_exits() {
	local t=/sys/kernel/debug/tracing
	[ -w "$t/events/kvm/enable" ] || t=/sys/kernel/tracing
	[ -w "$t/events/kvm/enable" ] || { echo "    (no KVM tracepoints to read)"; return 0; }
	echo > "$t/trace"
	echo 1 > "$t/events/kvm/enable"
	sleep 0.5
	echo 0 > "$t/events/kvm/enable"
	echo "    KVM events in 0.5 s, most frequent first:"
	lab_tally_events <"$t/trace"
	echo > "$t/trace"
}

# lab_tally_events: the 25 most frequent KVM trace events on stdin (ftrace's
# text), each once with its count. Reads all its input: a "head" ending the
# pipeline early would kill sort with SIGPIPE, and under pipefail a failing
# diagnosis ended the test with a false "FAIL: ... status 141" line.
lab_tally_events() {
	sed -n 's/^.*-\([0-9]*\) *\[[0-9]*\].* \(kvm_[a-z_]*\): */\2 /p' |
		sed -E 's/ (info1|info2|intr_info|error_code) 0x[0-9a-f]+//g' |
		sort | uniq -c | sort -rn | sed -n '1,25s/^/      /p'
}

# lab_notify_listen SOCKET LOG: a fake service manager: sock-tool's
# datagram socket at SOCKET (the NOTIFY_SOCKET to give partvm), each
# message a line of LOG; sets LAB_NOTIFY_PID, once the socket is there.
lab_notify_listen() {
	local i
	"$(lab_helper sock-tool)" notify "$1" >"$2" 2>&1 &
	LAB_NOTIFY_PID=$!
	for i in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
	lab_fail "sock-tool notify: no socket at $1 after 5 s"
}

lab_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$3" = "$2" ] || lab_fail "$1: expected '$2', saw '$3'"
	echo "ok: $1 = '$3'"
}

# assert_match WHAT REGEX ACTUAL (bash extended regular expression)
assert_match() {
	[[ $3 =~ $2 ]] || lab_fail "$1: expected a match for /$2/, saw '$3'"
	echo "ok: $1 = '$3'"
}

# assert_contains WHAT NEEDLE HAYSTACK
assert_contains() {
	[[ $3 == *"$2"* ]] || lab_fail "$1: expected to contain '$2', saw '$3'"
	echo "ok: $1 contains '$2'"
}

# assert_ge WHAT MIN ACTUAL (integers)
assert_ge() {
	[[ $3 =~ ^-?[0-9]+$ ]] && [ "$3" -ge "$2" ] || lab_fail "$1: expected at least $2, saw '$3'"
	echo "ok: $1 = $3 (>= $2)"
}

# assert_exists WHAT PATH
assert_exists() {
	[ -e "$2" ] || lab_fail "$1: expected $2 to exist, it does not"
	echo "ok: $1 ($2 exists)"
}

# assert_run WHAT COMMAND [ARG]...: COMMAND must succeed; its output is
# shown when it does not.
assert_run() {
	local what=$1 out status=0
	shift
	out=$("$@" 2>&1) || status=$?
	[ "$status" = 0 ] || lab_fail "$what: expected '$*' to succeed, it exited with status $status: $out"
	echo "ok: $what"
}
