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
# lab_pci_find, and assert_* helpers that print what was expected and what was seen.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
LAB_CHECKOUT=$(cd "$LAB_DIR/../.." && pwd -P)

if [ -z "${LAB_KVER:-}" ] || [ -z "${LAB_KROOT:-}" ]; then
	_lab_env=$("$LAB_DIR/kernel" --env) || exit $?
	eval "$_lab_env"
	unset _lab_env
fi
export LAB_CHECKOUT LAB_KVER LAB_KROOT LAB_MODDIR LAB_BZIMAGE LAB_VMLINUX

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
