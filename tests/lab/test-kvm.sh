#!/bin/bash
# The core VMM's tiny-guest KVM tests (tests/kvm/run-all) on the lab's real
# /dev/kvm, so they run on every machine, including those without one; then
# the same tests with the ASan/UBSan build (make check builds both), which
# must finish without a sanitizer report.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# A run that hangs says where partvm and the lab host's KVM were.
export KVM_TEST_DIAGNOSE=$LAB_DIR/diagnose
"$LAB_CHECKOUT/tests/kvm/run-all" "${PARTVM_PLAIN:-$PARTVM}"

san=${PARTVM_SANITIZED:-$LAB_CHECKOUT/build-san/partvm}
[ -x "$san" ] || lab_fail "no sanitized partvm at $san: run 'make SANITIZE=1' (make check does)"
export ASAN_OPTIONS=abort_on_error=0:exitcode=99:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:exitcode=98:print_stacktrace=1
KVM_TEST_TIMEOUT=180 "$LAB_CHECKOUT/tests/kvm/run-all" "$san"
