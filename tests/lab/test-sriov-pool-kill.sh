#!/bin/bash
# Lab: `partvm sriov acquire` killed with SIGKILL half way, at two points:
# as soon as its first VF's pool record exists (settings being applied),
# and as soon as that VF is on vfio-pci (the second section next). Each
# time `partvm vfio restore --all` from a fresh process must leave every VF
# on igbvf with neutral settings and no pool or bind record.
. "$(dirname "$0")/sriov-lib.sh"

tmp=$(mktemp -d)
trap 'sriov_cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/web.conf" <<CONF
[partition]
name = web
[sriov "a"]
pf = $PFDEV
mac = 02:00:00:00:0a:01
vlan = 10
trust = on
[sriov "b"]
pf = $PFDEV
mac = 02:00:00:00:0a:02
vlan = 11
spoofchk = off
CONF

create_vfs 3
FIRST=$(vf_bdf 0)
for point in record vfio; do
	case $point in
	record) gate=/run/partvm/sriov/$FIRST ;;
	vfio) gate=/sys/bus/pci/drivers/vfio-pci/$FIRST ;;
	esac
	killed=0
	for attempt in 1 2 3; do
		"$P" sriov acquire "$tmp/web.conf" >/dev/null 2>&1 &
		pid=$!
		# A bash builtin loop (no fork) sees the gate long before the
		# acquire is done.
		SECONDS=0
		while [ ! -e "$gate" ] && [ $SECONDS -lt 60 ]; do :; done
		kill -9 "$pid"
		status=0
		wait "$pid" 2>/dev/null || status=$?
		echo "kill at $point, attempt $attempt: acquire exit status $status;" \
			"pool records: $(ls /run/partvm/sriov 2>/dev/null | tr '\n' ' ')" \
			"bind records: $(ls /run/partvm/vfio 2>/dev/null | tr '\n' ' ')"
		if [ "$status" = 137 ]; then killed=1; break; fi
		"$P" sriov release --partition web >/dev/null
	done
	[ "$killed" = 1 ] || fail "the kill at $point never interrupted the acquire"
	[ -n "$(ls /run/partvm/sriov)" ] || fail "the killed acquire left no pool record"
	if [ $point = vfio ]; then
		[ "$(driver_of "$FIRST")" = vfio-pci ] || fail "the first VF never reached vfio-pci"
		[ "$(jq -r .address <<<"$(ip_vf 0)")" = 02:00:00:00:0a:01 ] ||
			fail "VF 0 not configured: $(ip_vf 0)"
	fi
	"$P" sriov list

	out=$("$P" vfio restore --all)
	echo "$out"
	grep -q "1 SR-IOV pool VF(s) neutralised and returned" <<<"$out" ||
		fail "vfio restore did not release the pool VF"
	for i in 0 1 2; do
		[ "$(driver_of "$(vf_bdf $i)")" = igbvf ] || fail "VF $i on '$(driver_of "$(vf_bdf $i)")' after restore"
		[ "$(cat "/sys/bus/pci/devices/$(vf_bdf $i)/driver_override")" = "(null)" ] ||
			fail "VF $i driver_override not cleared"
		assert_neutral $i
	done
	[ -z "$(ls /run/partvm/sriov 2>/dev/null)" ] || fail "pool records left: $(ls /run/partvm/sriov)"
	[ -z "$(ls /run/partvm/vfio 2>/dev/null)" ] || fail "bind records left: $(ls /run/partvm/vfio)"
	ok "kill -9 at $point, then vfio restore --all: clean"
done
"$P" sriov list
echo "PASS: vfio restore --all after kill -9 during acquire"
