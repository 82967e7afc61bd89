#!/bin/bash
# What partvm's binary links: libc, inih, json-c and liburing (plus the
# sanitizer runtimes in a sanitized build), never a library it loads only
# when used (libpci, libudev, libz, libnl, libgcrypt, libsystemd) or one
# only the build needs (libseccomp). Each linked library is loaded at every
# start: in the lab libpci and libudev cost 6.6 ms of exec.
#   tests/scripts/test-linked.sh PARTVM
set -uo pipefail
partvm=${1:?usage: test-linked.sh PARTVM}
needed=$(readelf -d "$partvm" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
failed=0
for lib in libpci libudev libz libnl-3 libnl-route-3 libgcrypt libgpg-error libsystemd libseccomp; do
	if [[ " $needed" == *" $lib.so"* ]]; then
		echo "FAIL: $partvm links $lib (NEEDED: $needed); load it when used (core/util/dynlib.h)"
		failed=1
	fi
done
for lib in libc.so.6 libinih.so.1 libjson-c.so.5 liburing.so.2; do
	[[ " $needed" == *" $lib "* ]] || { echo "FAIL: $partvm does not link $lib (NEEDED: $needed)"; failed=1; }
done
[ "$failed" = 0 ] && echo "ok: $partvm links $needed"
exit "$failed"
