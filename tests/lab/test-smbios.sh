#!/bin/bash
# SMBIOS in a Debian guest: the kernel finds partvm's tables (SMBIOS 3 entry
# point in the BIOS area) and Debian's dmidecode reads them from
# /sys/firmware/dmi/tables: the partition's name as the product and serial,
# its UUID (the same as the control socket's), the virtual-machine bit,
# the vCPUs; the credentials given with [credentials], --credential and
# --credential-file are type 11 strings (text, and Base64 for the file's
# bytes), also under /sys/firmware/dmi/entries/11-0 (dmi_sysfs), where
# systemd reads them; a configured UUID is the one the guest sees, and
# one derived from the name is the one Python's uuid5() derives.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

printf '\x00\x01\x02\xff' >"$TMPDIR/secret.bin"
cat >"$TMPDIR/sm.conf" <<CONF
[partition]
name = lab-smbios
memory = 256M
cpus = 2
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet
[credentials]
greeting = hello from the host
CONF
guest_initrd "$TMPDIR/initrd.img" --bin /usr/sbin/dmidecode -- +dmi_sysfs
guest_start sm "$TMPDIR/sm.conf" --credential "passwd.plaintext-password.root=lab" \
	--credential-file "key=$TMPDIR/secret.bin"
guest_wait sm '^guest: ready' 1
uuid=$("$PARTVM" ctl lab-smbios status --json | jq -r .uuid)
assert_match "the partition's UUID (control socket)" '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$uuid"
# Not partvm's hashing: Python's RFC 4122 name-based UUID of partvm's
# namespace and the name.
assert_eq "the UUID, by Python's uuid.uuid5()" \
	"$(python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("6b1d3e52-8a47-4f0c-9e21-5db4730ae89f"), "lab-smbios"))')" "$uuid"
guest_send 'for k in system-uuid system-product-name system-serial-number system-manufacturer bios-vendor; do echo "guest: dmi-$k $(/usr/sbin/dmidecode -s $k)"; done'
guest_wait sm '^guest: dmi-bios-vendor' 1 60
assert_eq "dmidecode: system-uuid" "$uuid" "$(guest_value sm dmi-system-uuid)"
assert_eq "dmidecode: system-product-name" lab-smbios "$(guest_value sm dmi-system-product-name)"
assert_eq "dmidecode: system-serial-number" lab-smbios "$(guest_value sm dmi-system-serial-number)"
assert_eq "dmidecode: system-manufacturer" partvm "$(guest_value sm dmi-system-manufacturer)"
assert_eq "dmidecode: bios-vendor" partvm "$(guest_value sm dmi-bios-vendor)"
guest_send '/usr/sbin/dmidecode -t 0 -t 4 -t 11 | sed "s/^/guest-dmi: /"; echo "guest: dmi-done"'
guest_wait sm '^guest: dmi-done' 1 60
dmi=$(grep '^guest-dmi: ' "$GUEST_LOG" | tr -d '\r' | sed 's/^guest-dmi: //')
echo "$dmi" | sed 's/^/    | /'
assert_contains "dmidecode: the VM bit" "System is a virtual machine" "$dmi"
assert_contains "dmidecode: vCPUs" "Core Count: 2" "$dmi"
assert_contains "dmidecode: the config file's credential" "io.systemd.credential:greeting=hello from the host" "$dmi"
assert_contains "dmidecode: --credential" "io.systemd.credential:passwd.plaintext-password.root=lab" "$dmi"
assert_contains "dmidecode: --credential-file, Base64" "io.systemd.credential.binary:key=AAEC/w==" "$dmi"
# Where systemd reads them: dmi_sysfs's raw type 11 entry.
guest_send 'modprobe dmi_sysfs; echo "guest: raw11 $(tr "\0" "\n" </sys/firmware/dmi/entries/11-0/raw | grep -c io.systemd.credential)"'
guest_wait sm '^guest: raw11' 1 60
assert_eq "credentials in /sys/firmware/dmi/entries/11-0/raw" 3 "$(guest_value sm raw11)"
guest_check_dmesg sm
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"

# A configured UUID is the guest's.
sed -i 's/^name = lab-smbios$/name = lab-smbios\nuuid = 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/' "$TMPDIR/sm.conf"
guest_start sm2 "$TMPDIR/sm.conf"
guest_wait sm2 '^guest: ready' 1
guest_send 'echo "guest: uuid $(/usr/sbin/dmidecode -s system-uuid)"'
guest_wait sm2 '^guest: uuid' 1 60
assert_eq "dmidecode: the configured UUID" 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 "$(guest_value sm2 uuid)"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
