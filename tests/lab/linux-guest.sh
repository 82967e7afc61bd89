# Sourced by the Linux-boot lab tests (bash): boot Debian's kernel under
# partvm with an initramfs whose init reports the guest's view of the VM and
# then runs the commands it reads from the console.
#
#   guest_initrd OUT [guest-initrd options...] [-- MODULE...]
#                                                build the reporting initramfs
#   guest_start NAME PARTVM-RUN-ARGS...          start partvm in the background
#   guest_wait NAME REGEX [COUNT] [SECONDS]      wait for COUNT matching lines
#   guest_send LINE                              type LINE on the console
#   guest_end [SECONDS]                          wait for partvm; sets GUEST_STATUS
#   guest_value NAME KEY                         the last "guest: KEY VALUE"
#   guest_check_dmesg NAME                       fail on unexpected err/warn lines
#   guest_boot_params NAME                       "guest: bp-version"/"bp-loader"
#                                                lines: the kernel's boot_params
#   guest_diagnose                               what a stuck partvm is doing

GUEST_TIMEOUT=${GUEST_TIMEOUT:-300}

# The reporting init: facts as "guest: KEY VALUE" lines, the kernel's
# err/warn messages as "guest-dmesg:" lines, then a console command loop.
guest_init_script() {
	cat <<'INIT'
#!/bin/sh
echo "guest: online $(cat /sys/devices/system/cpu/online)"
echo "guest: memtotal-kib $(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
# The kernel's count of physical RAM pages: "Memory: A/TOTALK available".
echo "guest: ram-kib $(/usr/bin/dmesg | sed -n 's|.*Memory: [0-9]*K/\([0-9]*\)K available.*|\1|p')"
/usr/bin/dmesg --level=err,warn --notime | sed 's/^/guest-dmesg: /'
lspci -nn | sed 's/^/guest-lspci: /'
echo "guest: ready"
while read -r cmd; do
	echo "guest: running $cmd"
	eval "$cmd"
done
INIT
}

guest_initrd() {
	local out=$1 opts=() mods=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	mods=("$@")
	guest_init_script >"$TMPDIR/guest-init.sh"
	chmod +x "$TMPDIR/guest-init.sh"
	lab_guest_initrd --bin /usr/bin/dmesg --bin /usr/bin/lspci \
		--file /usr/share/misc/pci.ids ${opts[@]+"${opts[@]}"} "$out" "$TMPDIR/guest-init.sh" \
		${mods[@]+"${mods[@]}"} >/dev/null
}

guest_start() {
	local name=$1
	shift
	GUEST_LOG=$TMPDIR/$name.log
	rm -f "$TMPDIR/$name.in"
	mkfifo "$TMPDIR/$name.in"
	GUEST_START_NS=$(date +%s%N)
	"$PARTVM" run "$@" <"$TMPDIR/$name.in" >"$GUEST_LOG" 2>&1 &
	GUEST_PID=$!
	exec {GUEST_IN}>"$TMPDIR/$name.in"
	echo "lab: started partvm $* (pid $GUEST_PID)"
}

guest_wait() {
	local name=$1 re=$2 count=${3:-1} secs=${4:-$GUEST_TIMEOUT}
	local deadline=$((SECONDS + secs))
	# The serial console ends lines with CR LF. Whole lines only: a line
	# still arriving would match on its first words and be read cut short.
	while [ "$(guest_lines "$TMPDIR/$name.log" | grep -cE -- "$re")" -lt "$count" ]; do
		if ! kill -0 "$GUEST_PID" 2>/dev/null; then
			sed 's/^/    | /' "$TMPDIR/$name.log" | tail -n 40
			lab_fail "$name: partvm ended before printing /$re/ ($count times)"
		fi
		if [ $SECONDS -ge $deadline ]; then
			sed 's/^/    | /' "$TMPDIR/$name.log" | tail -n 40
			guest_diagnose
			kill -9 "$GUEST_PID" 2>/dev/null
			lab_fail "$name: no /$re/ ($count times) within ${secs}s"
		fi
		sleep 0.2
	done
}

guest_diagnose() {
	lab_diagnose "$GUEST_PID"
}

# guest_lines FILE: FILE without CRs and without a last line that has not
# ended yet.
guest_lines() {
	if [ -z "$(tail -c 1 "$1")" ]; then
		tr -d '\r' <"$1"
	else
		sed '$d' "$1" | tr -d '\r'
	fi
}

guest_send() {
	printf '%s\n' "$1" >&"$GUEST_IN"
}

guest_end() {
	local secs=${1:-$GUEST_TIMEOUT}
	local deadline=$((SECONDS + secs))
	while kill -0 "$GUEST_PID" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			kill -9 "$GUEST_PID"
			lab_fail "partvm (pid $GUEST_PID) did not exit within ${secs}s"
		fi
		sleep 0.2
	done
	wait "$GUEST_PID" && GUEST_STATUS=0 || GUEST_STATUS=$?
	exec {GUEST_IN}>&-
}

guest_value() {
	sed -n "s/^guest: $2 //p" "$TMPDIR/$1.log" | tail -n 1 | tr -d '\r'
}

# Kernel messages at err/warn level that the lab itself causes, the same
# under QEMU -accel kvm in this lab (measured), so they say nothing about
# partvm's platform:
#  - "Unstable clock detected ...": the lab host runs on TCG, so its own
#    clocksource is not the TSC and its KVM cannot mark kvm-clock stable;
#    the guest's sched_clock is then unstable and ftrace says so (4 lines).
#  - "hrtimer: interrupt took N ns": TCG stalls a vCPU now and then for
#    tens of milliseconds, which the guest notices in its timer interrupt.
GUEST_DMESG_ALLOWED='^guest-dmesg: (Unstable clock detected, switching default tracing clock to "global"|[[:space:]]*If you want to keep using the local clock, then add:|[[:space:]]*"trace_clock=local"|[[:space:]]*on the kernel command line|hrtimer: interrupt took [0-9]+ ns)[[:space:]]*$'

guest_check_dmesg() {
	local bad
	bad=$(grep '^guest-dmesg: ' "$TMPDIR/$1.log" | tr -d '\r' | grep -vE "$GUEST_DMESG_ALLOWED" || true)
	if [ -n "$bad" ]; then
		echo "$bad" | sed 's/^/    | /'
		lab_fail "$1: the guest kernel logged errors or warnings"
	fi
	echo "ok: $1: no unexpected err/warn kernel messages"
}

# guest_boot_params NAME: make the running guest print the boot protocol
# version and loader type of its boot_params (/sys/kernel/boot_params) as
# "guest: bp-version 0x020f" and "guest: bp-loader ff" (offset 0x210).
guest_boot_params() {
	guest_send 'echo "guest: bp-version $(cat /sys/kernel/boot_params/version)"; echo "guest: bp-loader $(od -An -tx1 -j 528 -N1 /sys/kernel/boot_params/data | tr -d " ")"'
	guest_wait "$1" '^guest: bp-loader ' 1 60
}
