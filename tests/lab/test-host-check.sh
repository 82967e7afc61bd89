#!/bin/bash
# Lab: `partvm host check` passes on a host made for passthrough: exit 0,
# kvm, iommu, intremap and vfio PASS, nothing FAILs, and every WARN gives
# a reason and a fix. The lab's bochs-display (1234:1111, class 0x038000) at
# 00:07.0 has its own group but neither FLR nor a bus reset, so gpu WARNs
# naming it (whether a host driver holds it is not asserted). The JSON form
# agrees.
set -euo pipefail
P=${PARTVM:-$PWD/build/partvm}
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$P" host check) || fail "host check exited $?: $out"
echo "$out"
[ "$(echo "$out" | wc -l)" = 8 ] || fail "expected 8 checks"
for c in kvm iommu intremap vfio; do
	echo "$out" | grep -q "^PASS $c " || fail "$c does not PASS"
done
echo "$out" | grep -q "^PASS iommu .*ACPI DMAR (Intel VT-d).*intel_iommu=on" || fail "iommu line lacks DMAR/cmdline"
echo "$out" | grep -q "^WARN gpu .*0000:00:07\.0 [^|]*no FLR or bus reset" ||
	fail "gpu line does not WARN that 0000:00:07.0 has no FLR or bus reset"
! echo "$out" | grep -q "^FAIL" || fail "a check FAILs"
echo "$out" | grep "^WARN" | while read -r line; do
	case $line in *"; fix: "?*) ;; *) fail "WARN without a fix: $line" ;; esac
done

json=$("$P" host check --json)
[ "$(echo "$json" | jq -r .ok)" = true ] || fail "JSON ok is not true"
[ "$(echo "$json" | jq -r '[.checks[].check] | join(" ")')" = "kvm iommu intremap vfio hugepages groups resets gpu" ] ||
	fail "JSON checks"
[ "$(echo "$json" | jq -r '.checks[] | select(.check == "gpu") | .status')" = WARN ] || fail "JSON gpu is not WARN"
[ "$(echo "$json" | jq -r '[.checks[] | select(.status == "WARN" and .hint == null)] | length')" = 0 ] ||
	fail "a JSON WARN has no hint"
echo "PASS: host check"
