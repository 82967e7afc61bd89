# Sourced by the systemd lab tests (tests/lab/test-systemd-*.sh): a real
# systemd as PID 1 of a PID namespace, over an overlay of the lab's root
# (LAB.md, "systemd as PID 1 inside the lab"), with partvm installed into
# it by `make install`, and a Debian-kernel guest that powers off when its
# ACPI power button is pressed. Bash, inside the lab host.
#
#   sd_setup                  overlay, make install, masks; sets $M (its root)
#   sd_boot                   start systemd there; waits until it is up
#   sd CMD...                 run CMD inside (systemctl, journalctl, partvm)
#   sd_guest_initrd OUT MOD.. the guest's initramfs (button, evdev + MODs)
#   sd_wait_journal UNIT REGEX SECONDS [JOURNALCTL-ARG...]
#   sd_wait_state UNIT STATE SECONDS   (ActiveState)
#   sd_start UNIT SECONDS     start --no-block, follow it; SD_STATES
#   sd_poweroff               systemctl poweroff, wait for systemd to end
# The EXIT trap (sd_cleanup) stops systemd and removes every mount.

SD_BASE=/run/partvm-systemd-lab
SD_PID=
SD_UNSHARE=
SD_VFS_BEFORE=

# Waiting without a process per poll (forks are dear under TCG).
mkfifo "$TMPDIR/sd-nap"
exec {SD_NAP}<>"$TMPDIR/sd-nap"
sd_nap() { read -r -t "$1" -u "$SD_NAP" || true; }

sd_cleanup() {
	set +e
	if [ -n "$SD_UNSHARE" ] && kill -0 "$SD_UNSHARE" 2>/dev/null; then
		kill -9 "$SD_UNSHARE" ${SD_PID:+"$SD_PID"} 2>/dev/null
		wait "$SD_UNSHARE" 2>/dev/null
	fi
	# Partitions it ran: their devices back to the host.
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1
	# systemd died with -9, so partvm-host.service never stopped: the VFs
	# its [sriov] made stay unless put back to what each PF had before.
	local pf vfs
	while read -r pf vfs; do
		[ "$(cat "$pf/sriov_numvfs")" = "$vfs" ] && continue
		echo 0 >"$pf/sriov_numvfs"
		[ "$vfs" = 0 ] || echo "$vfs" >"$pf/sriov_numvfs"
	done < <(printf '%s\n' "$SD_VFS_BEFORE" | grep .)
	umount -R "$SD_BASE" 2>/dev/null || umount -lR "$SD_BASE" 2>/dev/null
	rm -rf "$SD_BASE"
}

sd_setup() {
	SD_VFS_BEFORE=$(for pf in /sys/bus/pci/devices/*; do
		[ ! -e "$pf/sriov_numvfs" ] || echo "$pf $(cat "$pf/sriov_numvfs")"
	done)
	mkdir -p "$SD_BASE"
	mount -t tmpfs -o mode=755 tmpfs "$SD_BASE"
	mkdir -p "$SD_BASE"/upper "$SD_BASE"/work "$SD_BASE"/root
	mount -t overlay overlay -o "lowerdir=/,upperdir=$SD_BASE/upper,workdir=$SD_BASE/work" "$SD_BASE/root" ||
		lab_fail "cannot mount the overlay of / (is overlay.ko loaded?)"
	M=$SD_BASE/root
	# The lab's own mounts are not in the overlay's lower layer: devices
	# (/dev/kvm, /dev/vfio), sysfs with cgroup2, and the checkout when it
	# lives on a mount of its own (CI, under /tmp).
	mount --rbind /dev "$M/dev"
	mount --rbind /sys "$M/sys"
	mount -t tmpfs -o mode=755 tmpfs "$M/run"
	mount -t tmpfs -o mode=1777 tmpfs "$M/tmp"
	mkdir -p "$M$LAB_CHECKOUT"
	mount --bind "$LAB_CHECKOUT" "$M$LAB_CHECKOUT"

	# Installed as a user would: the binary, the units, the examples.
	# The binary under test, without a rebuild: the checkout is read-only here.
	make -s -C "$LAB_CHECKOUT" --no-print-directory -o all install PARTVM_BIN="$PARTVM" \
		DESTDIR="$M" PREFIX=/usr >"$TMPDIR/install.log" 2>&1 ||
		lab_fail "make install DESTDIR=$M PREFIX=/usr failed: $(cat "$TMPDIR/install.log")"
	assert_exists "installed partvm@.service" "$M/usr/lib/systemd/system/partvm@.service"
	assert_exists "installed partvm" "$M/usr/bin/partvm"

	# This machine's own services have no place in the lab: only what
	# multi-user.target needs to come up, plus partvm.
	local u
	for u in postgresql.service e2scrub_reap.service systemd-timesyncd.service console-getty.service \
		getty@.service serial-getty@.service apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer fstrim.timer man-db.timer dpkg-db-backup.timer logrotate.timer \
		systemd-networkd.service systemd-resolved.service ssh.service cron.service \
		remote-fs.target systemd-logind.service; do
		ln -sf /dev/null "$M/etc/systemd/system/$u"
	done
	mkdir -p "$M/etc/systemd/system/multi-user.target.wants" "$M/etc/partvm" "$M/var/lib/partvm-images"

	# The sanitized build under test (tests/lab/batch): its reports go to
	# the batch's directory for this test, also from inside the units'
	# sandbox; LeakSanitizer needs ptrace, which @system-service lacks.
	if [ -n "${PARTVM_SAN_DIR:-}" ]; then
		mkdir -p "$M/run/partvm-san" "$M/etc/systemd/system/partvm@.service.d"
		mount --bind "$PARTVM_SAN_DIR" "$M/run/partvm-san"
		cat >"$M/etc/systemd/system/partvm@.service.d/sanitizers.conf" <<-EOF
		[Service]
		Environment=ASAN_OPTIONS=log_path=/run/partvm-san/asan:detect_leaks=1
		Environment=UBSAN_OPTIONS=log_path=/run/partvm-san/ubsan:print_stacktrace=1:halt_on_error=1
		ReadWritePaths=/run/partvm-san
		SystemCallFilter=ptrace
		EOF
	fi
}

sd_boot() {
	local i=0 state
	unshare --pid --fork --mount --mount-proc="$M/proc" \
		chroot "$M" /usr/bin/env -i container=lab PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/lib/systemd/systemd --log-target=journal-or-kmsg --log-level=info --unit=multi-user.target \
		</dev/null >"$TMPDIR/systemd.log" 2>&1 &
	SD_UNSHARE=$!
	until SD_PID=$(cat "/proc/$SD_UNSHARE/task/$SD_UNSHARE/children" 2>/dev/null) && [ -n "$SD_PID" ]; do
		[ $i -lt 100 ] || lab_fail "systemd did not start: $(tail -n 20 "$TMPDIR/systemd.log")"
		sd_nap 0.1
		i=$((i + 1))
	done
	SD_PID=${SD_PID%% *}
	local deadline=$((SECONDS + 600))
	while :; do
		state=$(sd systemctl is-system-running 2>/dev/null || true)
		case $state in running | degraded) break ;; esac
		kill -0 "$SD_UNSHARE" 2>/dev/null || lab_fail "systemd ended: $(tail -n 30 "$TMPDIR/systemd.log")"
		[ $SECONDS -lt $deadline ] || lab_fail "systemd not up within 600 s (state '$state'): $(tail -n 30 "$TMPDIR/systemd.log")"
		sd_nap 1
	done
	local v
	v=$(sd systemctl --version)
	v=${v%%$'\n'*}
	echo "lab: $v is PID 1 (pid $SD_PID here), system $state"
	if [ "$state" = degraded ]; then
		sd systemctl --failed --no-legend --plain | sed 's/^/lab: failed unit: /'
	fi
}

# sd CMD...: run CMD inside systemd's namespaces and root.
sd() {
	nsenter --target "$SD_PID" --mount --pid --root --wd -- "$@"
}

# sd_props UNIT PROP...: the values, in the order asked, in one call
# (systemctl show prints them in its own order).
sd_props() {
	local unit=$1 out line p vals=()
	shift
	out=$(sd systemctl show "${@/#/--property=}" "$unit")
	for p in "$@"; do
		while IFS= read -r line; do
			[ "${line%%=*}" = "$p" ] && vals+=("${line#*=}")
		done <<<"$out"
	done
	echo "${vals[*]}"
}
sd_state() { sd_props "$1" ActiveState SubState; }

# The unit's journal, messages only (captured first: grep -q on a pipe
# would kill journalctl with SIGPIPE, which pipefail reports).
sd_journal() {
	sd journalctl -q -o cat --no-pager -u "$@" 2>/dev/null || true
}

# sd_host_pid PID: the lab host's PID of the container's process PID.
sd_host_pid() {
	local want=$1 ns f ids
	ns=$(readlink "/proc/$SD_PID/ns/pid") || return 1
	for f in /proc/[0-9]*/status; do
		ids=$(sed -n 's/^NSpid:[[:space:]]*//p' "$f" 2>/dev/null) || continue
		set -- $ids
		[ $# -ge 2 ] && [ "${!#}" = "$want" ] || continue
		[ "$(readlink "/proc/$1/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		echo "$1"
		return 0
	done
	return 1
}

# A unit whose partvm is still there but did not get where the test waits
# (a guest that hangs): where its threads and the lab host's KVM are.
sd_diagnose() {
	local pid host
	pid=$(sd systemctl show -P MainPID "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && [ "$pid" != 0 ] && host=$(sd_host_pid "$pid") || return 0
	lab_diagnose "$host" || true
}

sd_wait_journal() {
	local unit=$1 re=$2 deadline=$((SECONDS + $3)) out
	until out=$(sd_journal "$unit" "${@:4}") && grep -qE -- "$re" <<<"$out"; do
		[ $SECONDS -lt $deadline ] || {
			tail -n 40 <<<"$out" | sed 's/^/    | /'
			sd_diagnose "$unit"
			lab_fail "$unit: no /$re/ in its journal within $3 s"
		}
		sd_nap 1
	done
}

# sd_start UNIT SECONDS: systemctl start --no-block UNIT and follow it until
# it is active (running), failed or dead again; SD_STATES is the list of
# "ActiveState SubState" it went through, printed.
sd_start() {
	local unit=$1 deadline=$((SECONDS + $2)) st
	sd systemctl start --no-block "$unit"
	SD_STATES=()
	while :; do
		st=$(sd_state "$unit")
		{ [ ${#SD_STATES[@]} -gt 0 ] && [ "${SD_STATES[-1]}" = "$st" ]; } || SD_STATES+=("$st")
		case $st in "active running" | failed* | "inactive dead") [ ${#SD_STATES[@]} -gt 1 ] && break ;; esac
		[ $SECONDS -lt $deadline ] || break
		sd_nap 0.2
	done
	echo "lab: $unit went through: $(printf '[%s] ' "${SD_STATES[@]}")"
}

sd_wait_state() {
	local unit=$1 want=$2 deadline=$((SECONDS + $3)) st
	while st=$(sd systemctl show -P ActiveState "$unit") && [ "$st" != "$want" ]; do
		[ $SECONDS -lt $deadline ] || {
			sd systemctl status --no-pager "$unit" | sed 's/^/    | /'
			lab_fail "$unit: ActiveState '$st', expected '$want' within $3 s"
		}
		sd_nap 0.5
	done
}

sd_poweroff() {
	local deadline=$((SECONDS + 300))
	# What `systemctl poweroff` does, without asking logind (masked here).
	sd systemctl --no-block --job-mode=replace-irreversibly start poweroff.target
	while kill -0 "$SD_UNSHARE" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || lab_fail "systemd did not power off within 300 s"
		sd_nap 0.5
	done
	wait "$SD_UNSHARE" || true
	SD_UNSHARE=
	echo "ok: systemctl poweroff: systemd ended"
}

# The guest: reports what it sees, then waits for the ACPI power button
# (the button module's input device) and powers off by itself.
sd_guest_initrd() {
	local out=$1
	shift
	cat >"$TMPDIR/sd-guest.sh" <<'GUEST'
#!/bin/sh
echo "guest: online $(cat /sys/devices/system/cpu/online)"
lspci -nn | sed 's/^/guest-lspci: /'
for n in /sys/class/net/*; do
	[ -e "$n/device" ] || continue
	echo "guest: net $(basename "$n") $(cat "$n/address") $(basename "$(readlink "$n/device/driver")")"
done
devs=
for e in /sys/class/input/event*; do
	[ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] && devs="$devs /dev/input/${e##*/}"
done
if [ -z "$devs" ]; then
	echo "guest: no power button device; input devices:"
	for i in /sys/class/input/*; do echo "guest:   ${i##*/} $(cat "$i/name" "$i/device/name" 2>/dev/null)"; done
fi
# Commands typed on the console (`partvm console`) run here. An explicit
# redirection: a background list's stdin would be /dev/null.
(while read -r cmd; do eval "$cmd"; done) </dev/ttyS0 &
echo "guest: ready, waiting for the power button on$devs"
for d in $devs; do
	(dd if="$d" of=/dev/null bs=24 count=1 2>/dev/null && : >/tmp/pressed) &
done
while [ ! -e /tmp/pressed ]; do sleep 0.2; done
echo "guest: power button pressed, powering off"
# Like a real guest, take a moment: the test reads partvm's StatusText
# ("shutting down: ...") in between, and a guest gone in 0.2 s raced it.
sleep 3
poweroff -f
GUEST
	chmod +x "$TMPDIR/sd-guest.sh"
	lab_guest_initrd --bin /usr/bin/lspci --file /usr/share/misc/pci.ids "$out" "$TMPDIR/sd-guest.sh" button evdev "$@" \
		>/dev/null
}
