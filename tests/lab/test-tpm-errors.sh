#!/bin/bash
# `partvm run --tpm` refuses, with one line and a non-zero status, to start
# when swtpm (or, for a new TPM, swtpm_setup) is missing from PATH, when the
# state directory is not writable, and when another running partition holds
# the state directory, which it names; the holder is not disturbed.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# children PID: the pids of PID's child processes, one a line.
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr -s ' ' '\n' | grep . || true
}

work=$TMPDIR
ro=$work/ro
mkdir -p "$ro"
mount -t tmpfs tmpfs "$ro"
mkdir "$ro/existing"
mount -o remount,ro "$ro"
holder=
cleanup() {
	lab_kill -9 "$holder"
	umount "$ro" 2>/dev/null || true
}
trap cleanup EXIT

# refused WHAT STATUS MESSAGE [ENV...] -- PARTVM ARGS: exactly one line on
# stderr containing MESSAGE, and STATUS.
refused() {
	local what=$1 want=$2 msg=$3 status=0 err
	shift 3
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	err=$(env ${envs[@]+"${envs[@]}"} "$PARTVM" run "$@" </dev/null 2>&1 >/dev/null) || status=$?
	echo "$what: $err"
	assert_eq "$what: status" "$want" "$status"
	assert_eq "$what: lines on stderr" 1 "$(printf '%s\n' "$err" | wc -l)"
	assert_contains "$what: message" "$msg" "$err"
}

refused "swtpm missing" 1 "tpm: swtpm not found in PATH; install Debian's 'swtpm' package" \
	PATH=/nonexistent -- --tpm "$work/state"
mkdir "$work/bin"
ln -s "$(command -v swtpm)" "$work/bin/swtpm"
refused "swtpm_setup missing for a new TPM" 1 \
	"swtpm_setup not found in PATH (it creates the TPM in '$work/state'); install Debian's 'swtpm-tools' package" \
	PATH="$work/bin" -- --tpm "$work/state"
refused "state directory on a read-only file system" 1 \
	"tpm state directory '$ro/existing': not writable (Read-only file system)" -- --tpm "$ro/existing"
refused "state directory that cannot be created" 1 \
	"tpm state directory '$ro/new': cannot create it (Read-only file system)" -- --tpm "$ro/new"
printf '[partition]\nname = cfgtest\n[boot]\nkernel = %s\n[tpm]\nstate = %s\n' \
	"$LAB_BZIMAGE" "$ro/existing" >"$work/ro.conf"
refused "read-only state directory from a config file" 1 \
	"$work/ro.conf:6: tpm state directory '$ro/existing': not writable" -- "$work/ro.conf"
refused "a file as state directory" 1 "tpm state directory '$work/ro.conf': not a directory" \
	-- --tpm "$work/ro.conf"

# A running partition holds the state directory: its guest just sleeps.
printf '#!/bin/sh\nsleep 600\n' >"$work/sleep.sh"
chmod +x "$work/sleep.sh"
lab_guest_initrd --compress=none "$work/initrd" "$work/sleep.sh"
"$PARTVM" run --name alpha --kernel "$LAB_BZIMAGE" --initrd "$work/initrd" --memory 256M \
	--tpm "$work/state" </dev/null >"$work/alpha.out" 2>"$work/alpha.err" &
holder=$!
for _ in $(seq 600); do
	# Past provisioning (swtpm_setup): swtpm runs.
	[ "$(head -1 "$work/state/partvm.lock" 2>/dev/null)" = "$holder" ] &&
		[ "$(cat "/proc/$(children "$holder" | head -1)/comm" 2>/dev/null)" = swtpm ] && break
	kill -0 "$holder" 2>/dev/null || lab_fail "partition alpha exited: $(cat "$work/alpha.err")"
	sleep 0.5
done
refused "state directory held by another partition" 1 \
	"tpm state directory '$work/state' is in use by partition 'alpha' (pid $holder)" \
	-- --name beta --tpm "$work/state"
kill -0 "$holder" || lab_fail "partition alpha died"
echo "ok: partition alpha (pid $holder) still runs"
swtpm=$(children "$holder")
assert_eq "alpha's child is swtpm" swtpm "$(cat "/proc/$swtpm/comm")"
status=0
kill -TERM "$holder"
wait "$holder" || status=$?
holder=
assert_eq "alpha's status after SIGTERM" 143 "$status"
sleep 0.5
if [ -e "/proc/$swtpm" ] && ! grep -q '^State:.*Z' "/proc/$swtpm/status"; then
	lab_fail "alpha's swtpm (pid $swtpm) outlived it"
fi
echo "ok: alpha's swtpm (pid $swtpm) stopped with it"
