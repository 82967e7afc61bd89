#!/bin/bash
# Measured boot with a vTPM, end to end: Debian's kernel boots under
# partvm --tpm with tpm2-tools in its initramfs (tests/lab/tpm-guest.sh).
#  1. The guest's PCRs 8 and 9 equal those tests/lab/pcr-oracle computes
#     from the kernel, initrd and command line with sha256sum (no partvm
#     code), and the event log's PCR 8/9 digests (tpm2_eventlog) equal the
#     oracle's; PCRs 0, 1, 8, 9 (sysfs and tpm2_pcrread) equal `partvm tpm
#     predict` for the same config.
#  2. tpm2_eventlog parses binary_bios_measurements; its replay equals them.
#  3. Boot 1 seals a secret to PCRs 8+9 at a persistent handle, boot 2
#     (same state, kernel, initrd, cmdline) unseals it, boot 3 (another
#     cmdline) cannot.
#  4. kill -9 of partvm mid-boot leaves no swtpm; the next boot has the
#     same EK and still unseals.
#  5. A guest reboot resets the TPM and measures again: the same PCRs.
#  6. swtpm killed while the guest runs: partvm says so, the guest's TPM
#     commands fail instead of hanging, and the guest still powers off.
# lab: timeout=2400
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

# children PID: the pids of PID's child processes, one a line.
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr -s ' ' '\n' | grep . || true
}

work=$TMPDIR
state=$work/tpm-state
initrd=$work/initrd
append="console=ttyS0 quiet"
cat >"$work/guest.conf" <<CONF
[partition]
name = tpmtest
memory = 512M
cpus = 2
[boot]
kernel = $LAB_BZIMAGE
initrd = $initrd
cmdline = $append
[tpm]
state = $state
CONF

t0=$SECONDS
lab_guest_initrd --compress=none --tpm2-tools "$initrd" "$LAB_CHECKOUT/tests/lab/tpm-guest.sh"
echo "initramfs with tpm2-tools: $(( $(stat -c %s "$initrd") >> 20 )) MiB in $((SECONDS - t0)) s"

# On failure, the console of the boot the failing check looked at.
last=
show_last() {
	local status=$?
	if [ "$status" != 0 ] && [ -n "$last" ] && [ -e "$work/$last.raw" ]; then
		echo "--- partvm's messages in $last"
		cat "$work/$last.err"
		echo "--- the console of $last (last 150 lines)"
		tr -d '\r' <"$work/$last.raw" | tail -150
	fi
}
trap show_last EXIT

# boot NAME [PARTVM RUN ARGS...]: a whole boot; console in NAME.out
# (carriage returns dropped), partvm's messages in NAME.err. A guest CPU
# that stops (the guest's RCU stall reports) or a boot past 900 s is shown
# with guest_diagnose (partvm's threads, kernel stacks, KVM exits) before
# partvm is killed: a clean-clone run once saw vCPU 0 stop for good right
# after a TPM command, and `timeout` alone left nothing to go on.
boot() {
	local name=$1 status=0 t=$SECONDS stalls=0 n
	shift
	last=$name
	"$PARTVM" run "$@" </dev/null >"$work/$name.raw" 2>"$work/$name.err" &
	GUEST_PID=$!
	while kill -0 "$GUEST_PID" 2>/dev/null; do
		n=$(grep -c "rcu: INFO: rcu_.* detected stalls" "$work/$name.raw" || true)
		if [ "$n" -gt "$stalls" ]; then
			echo "--- $name: the guest reports a stalled CPU ($n times) after $((SECONDS - t)) s"
			guest_diagnose
			stalls=$n
		fi
		if [ "$n" -ge 3 ] || [ $((SECONDS - t)) -ge 900 ]; then
			[ "$n" -ge 3 ] || guest_diagnose
			kill -9 "$GUEST_PID"
			break
		fi
		sleep 0.5
	done
	wait "$GUEST_PID" || status=$?
	tr -d '\r' <"$work/$name.raw" >"$work/$name.out"
	echo "--- $name: partvm exited with $status after $((SECONDS - t)) s"
	sed 's/^/    | /' "$work/$name.err"
	[ "$status" = 0 ] || lab_fail "$name: partvm exited with $status"
}

# field NAME KEY: the rest of the guest's "TPMTEST KEY ..." line.
field() {
	sed -n "s/^TPMTEST $2 //p" "$work/$1.out" | head -1
}

# block NAME KEY: the lines between "TPMTEST KEY-begin" and "-end".
block() {
	sed -n "/^TPMTEST $2-begin/,/^TPMTEST $2-end/{/^TPMTEST/d;p}" "$work/$1.out"
}

# pcr TEXT N: PCR N's value from tpm2_pcrread-style text, upper case.
pcr() {
	awk -v n="$2" '$1 == n && $2 == ":" { print toupper(substr($3, 3)) }' <<<"$1"
}

# oracle_value TEXT KEY: the rest of pcr-oracle's "KEY ..." line.
oracle_value() { sed -n "s/^$2 //p" <<<"$1"; }
oracle=$("$LAB_DIR/pcr-oracle" "$LAB_BZIMAGE" "$initrd" "$append")
echo "--- tests/lab/pcr-oracle (sha256sum and the TCG rules, no partvm code)"
echo "$oracle"

predict=$("$PARTVM" tpm predict "$work/guest.conf")
echo "--- partvm tpm predict guest.conf"
echo "$predict"
json=$("$PARTVM" tpm predict "$work/guest.conf" --json)
for n in 0 1 8 9; do
	assert_eq "predict --json PCR$n" "$(pcr "$predict" "$n")" \
		"$(python3 -c 'import json,sys; print(json.load(sys.stdin)["sha256"][sys.argv[1]].upper())' "$n" <<<"$json")"
done

# --- Boot 1: a new state directory; the guest seals.
boot boot1 "$work/guest.conf"
assert_contains "first use provisions the TPM" "creating the TPM in '$state'" "$(cat "$work/boot1.err")"
assert_exists "swtpm state" "$state/tpm2-00.permall"
for n in 0 1 8 9; do
	assert_eq "boot 1 PCR$n (sysfs) = predict" "$(pcr "$predict" "$n")" "$(field boot1 "sysfs $n")"
done
for n in 8 9; do
	assert_eq "boot 1 PCR$n (sysfs) = pcr-oracle" "$(oracle_value "$oracle" "pcr $n")" "$(field boot1 "sysfs $n")"
	assert_eq "boot 1 PCR$n (tpm2_pcrread) = pcr-oracle" "$(oracle_value "$oracle" "pcr $n")" \
		"$(pcr "$(block boot1 pcrread)" "$n")"
done
assert_eq "boot 1 tpm2_pcrread = partvm tpm predict" "$predict" "$(block boot1 pcrread)"
echo "--- boot 1: the guest's tpm2_eventlog"
block boot1 eventlog
assert_eq "tpm2_eventlog status" "rc=0" "$(sed -n 's/^TPMTEST eventlog-end //p' "$work/boot1.out")"
log=$(block boot1 eventlog)
assert_eq "entries in the guest's log (the Spec ID header, 13 events)" 14 \
	"$(grep -c '^- EventNum:' <<<"$log")"
replay=$(sed -n '/^pcrs:/,$p' <<<"$log")
for n in 0 1 8 9; do
	assert_eq "boot 1 tpm2_eventlog replay PCR$n = sysfs" "$(field boot1 "sysfs $n")" "$(pcr "$replay" "$n")"
done
assert_contains "PCR8 event is the command line" '"kernel_cmdline: console=ttyS0 quiet\0"' "$log"
# The SHA-256 digests tpm2_eventlog shows for PCR 8 and 9's events, in order.
digests=$(awk '/PCRIndex:/ { pcr = $2 } /AlgorithmId:/ { alg = $3 }
	/Digest: "/ && alg == "sha256" && (pcr == 8 || pcr == 9) { gsub(/"/, "", $2); print pcr, toupper($2) }' <<<"$log")
assert_eq "event log PCR 8/9 digests (tpm2_eventlog) = pcr-oracle's cmdline, kernel, initrd" \
	"$(printf '8 %s\n9 %s\n9 %s' "$(oracle_value "$oracle" "digest cmdline")" \
		"$(oracle_value "$oracle" "digest kernel")" "$(oracle_value "$oracle" "digest initrd")")" \
	"$digests"
ek=$(field boot1 ek)
assert_match "EK name" '^000b[0-9a-f]{64}$' "$ek"
echo "--- boot 1: seal transcript"
block boot1 seal
assert_eq "boot 1 sealed the secret" "rc=0" "$(sed -n 's/^TPMTEST seal-end //p' "$work/boot1.out")"
saved=$("$PARTVM" tpm eventlog "$state")
assert_eq "partvm tpm eventlog STATEDIR replays to the guest's PCRs" "$(block boot1 pcrread)" \
	"$(sed -n '/^PCRs the log replays to:/,$p' <<<"$saved" | grep -E '^  sha256:|^    [0189] :')"

# --- Boot 2: same state, kernel, initrd and command line: unseal works.
boot boot2 "$work/guest.conf"
assert_eq "boot 2 PCRs equal boot 1's" "$(block boot1 pcrread)" "$(block boot2 pcrread)"
assert_eq "boot 2 EK" "$ek" "$(field boot2 ek)"
echo "--- boot 2: unseal transcript"
block boot2 unseal
assert_eq "boot 2 unsealed the secret" "partvm-sealed-secret-42" "$(field boot2 unsealed)"

# --- Boot 3: another command line changes PCR8; unsealing fails.
changed="$append partvm.test=changed"
predict3=$("$PARTVM" tpm predict "$work/guest.conf" --append "$changed")
boot boot3 "$work/guest.conf" --append "$changed"
assert_eq "boot 3 tpm2_pcrread = predict with the new cmdline" "$predict3" "$(block boot3 pcrread)"
oracle3=$("$LAB_DIR/pcr-oracle" "$LAB_BZIMAGE" "$initrd" "$changed")
assert_eq "boot 3 PCR8 (tpm2_pcrread) = pcr-oracle with the new cmdline" \
	"$(oracle_value "$oracle3" "pcr 8")" "$(pcr "$(block boot3 pcrread)" 8)"
[ "$(pcr "$predict3" 8)" != "$(pcr "$predict" 8)" ] || lab_fail "PCR8 did not change with the command line"
[ "$(pcr "$predict3" 9)" = "$(pcr "$predict" 9)" ] || lab_fail "PCR9 changed with the command line"
echo "--- boot 3: unseal transcript"
block boot3 unseal
assert_match "boot 3 cannot unseal" '^rc=[1-9]' "$(sed -n 's/^TPMTEST unseal-end //p' "$work/boot3.out")"
[ -z "$(field boot3 unsealed)" ] || lab_fail "boot 3 unsealed the secret with another command line"

# --- kill -9 of partvm mid-boot: swtpm goes with it, the state survives.
before=$(stat -c %Y "$state/eventlog.bin")
sleep 1
"$PARTVM" run "$work/guest.conf" </dev/null >"$work/kill.raw" 2>"$work/kill.err" &
pid=$!
last=kill
for _ in $(seq 600); do
	[ "$(stat -c %Y "$state/eventlog.bin")" != "$before" ] && break
	sleep 0.5
done
[ "$(stat -c %Y "$state/eventlog.bin")" != "$before" ] || lab_fail "the killed boot never measured"
sleep 3                       # the kernel is booting now
swtpm=$(children "$pid")
assert_eq "partvm's child is swtpm" swtpm "$(cat /proc/$swtpm/comm)"
# The thread that talks to swtpm names itself, so a SIGSYS line and
# guest_diagnose say which one it is.
assert_eq "partvm's threads named tpm" 1 "$(cat /proc/$pid/task/*/comm | grep -cx tpm)"
kill -9 "$pid"
wait "$pid" || true
sleep 1
if [ -e "/proc/$swtpm" ] && ! grep -q '^State:.*Z' "/proc/$swtpm/status"; then
	lab_fail "swtpm (pid $swtpm) still runs after kill -9 of partvm"
fi
echo "ok: swtpm (pid $swtpm) is gone after kill -9 of partvm (pid $pid)"
assert_eq "swtpm processes on this state" "" "$(pgrep -f -- "dir=$state," || true)"

boot boot4 "$work/guest.conf"
assert_eq "EK after kill -9" "$ek" "$(field boot4 ek)"
assert_eq "unsealed after kill -9" "partvm-sealed-secret-42" "$(field boot4 unsealed)"

# --- A reboot inside the guest: reset, measured again from zeros.
predict5=$("$PARTVM" tpm predict "$work/guest.conf" --append "$append tpmtest=reboot")
boot reboot "$work/guest.conf" --append "$append tpmtest=reboot"
for half in first second; do
	for n in 0 1 8 9; do
		assert_eq "PCR$n in the $half boot of a reboot" "$(pcr "$predict5" "$n")" \
			"$(field reboot "$half $n")"
	done
done

# --- swtpm dies while the guest runs.
"$PARTVM" run "$work/guest.conf" --append "$append tpmtest=death" </dev/null \
	>"$work/death.raw" 2>"$work/death.err" &
pid=$!
last=death
for _ in $(seq 1200); do
	grep -q "TPMTEST ready-for-death" "$work/death.raw" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.5
done
grep -q "TPMTEST ready-for-death" "$work/death.raw" || lab_fail "the guest never got ready"
swtpm=$(children "$pid")
kill -9 "$swtpm"
status=0
for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; lab_fail "partvm hangs after swtpm died"; }
wait "$pid" || status=$?
tr -d '\r' <"$work/death.raw" >"$work/death.out"
echo "--- swtpm killed under the guest: partvm said"
cat "$work/death.err"
assert_eq "partvm's status (the guest powered off)" 0 "$status"
assert_contains "partvm reports swtpm's death" "swtpm (pid $swtpm) was killed by signal 9" "$(cat "$work/death.err")"
assert_eq "guest TPM command before swtpm died" "rc=0" "$(field death before-death)"
assert_match "guest TPM command after swtpm died" '^rc=[1-9]' "$(field death after-death)"
