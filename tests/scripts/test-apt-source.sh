#!/bin/bash
# scripts/apt-source against a fake /etc/apt: the backports and deb-src
# entries it derives from a Debian stanza (URIs, Components, Signed-By kept;
# the security stanza ignored), nothing done when one is there, one line
# and status 1 without debian.sources.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)/scripts/apt-source
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
check() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1:"
		diff <(echo "$3") <(echo "$2") | sed 's/^/    /'
		failed=1
	fi
}

mkdir -p "$tmp/etc/sources.list.d"
cat >"$tmp/etc/sources.list.d/debian.sources" <<'SRC'
Types: deb
URIs: file:///srv/mirror/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: file:///srv/mirror/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
export PARTVM_APT_ETC=$tmp/etc
err=$("$src" backports 2>&1)
check "backports: derived from the bookworm stanza" "$(cat "$tmp/etc/sources.list.d/partvm-backports.sources")" \
	"Types: deb
URIs: file:///srv/mirror/debian
Suites: bookworm-backports
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
check "backports: says what it did" "$err" "partvm: enabled backports in $tmp/etc/sources.list.d/partvm-backports.sources"
"$src" deb-src 2>/dev/null
check "deb-src: the stanza's suites as source entries" "$(cat "$tmp/etc/sources.list.d/partvm-deb-src.sources")" \
	"Types: deb-src
URIs: file:///srv/mirror/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
touch -d '-1 hour' "$tmp/etc/sources.list.d/partvm-deb-src.sources"
before=$(stat -c %Y "$tmp/etc/sources.list.d/partvm-deb-src.sources")
err=$("$src" deb-src 2>&1)
check "deb-src: nothing done when there is one" "$? $err $(stat -c %Y "$tmp/etc/sources.list.d/partvm-deb-src.sources")" "0  $before"
rm "$tmp/etc/sources.list.d/debian.sources" "$tmp/etc/sources.list.d/partvm-backports.sources"
err=$("$src" backports 2>&1)
check "no debian.sources: one line, status 1" "$? $err" "1 partvm: $tmp/etc/sources.list.d/debian.sources not found; cannot derive a backports source"
exit "$failed"
