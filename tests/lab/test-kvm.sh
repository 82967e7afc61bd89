#!/bin/bash
# The core VMM's tiny-guest KVM tests (tests/kvm/run-all) on the lab's real
# /dev/kvm, so they run on every machine, including those without one.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"

exec "$LAB_CHECKOUT/tests/kvm/run-all" "$PARTVM"
