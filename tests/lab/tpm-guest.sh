#!/bin/sh
# The L2 guest of tests/lab/test-tpm-*.sh (its initramfs's /script): reads
# the TPM partvm gave it and prints "TPMTEST ..." lines for the host side.
#   tpmtest=death on the command line: read a PCR, say so, wait while the
#     host kills swtpm, then try again.
#   tpmtest=reboot: print the PCRs, then reboot once (an NV index remembers
#     that across the reboot) and print them again.
#   otherwise: PCRs (sysfs and tpm2_pcrread), the event log (tpm2_eventlog),
#     the EK's name, then seal a secret to PCRs 8 and 9 at a persistent
#     handle if there is none yet, else unseal it.
export TPM2TOOLS_TCTI=device:/dev/tpmrm0
SECRET=partvm-sealed-secret-42
HANDLE=0x81000001
EK=0x81010001

mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "TPMTEST dmesg-begin"
dmesg | grep -i -E 'tpm|crb'
echo "TPMTEST dmesg-end"

if grep -q tpmtest=death /proc/cmdline; then
	tpm2_pcrread sha256:0 >/dev/null 2>&1
	echo "TPMTEST before-death rc=$?"
	echo "TPMTEST ready-for-death"
	sleep 20
	tpm2_pcrread sha256:0
	echo "TPMTEST after-death rc=$?"
	exit 0
fi

if grep -q tpmtest=reboot /proc/cmdline; then
	NV=0x1500016
	if tpm2_nvreadpublic $NV >/dev/null 2>&1; then
		half=second
		tpm2_nvundefine -C o $NV
	else
		half=first
		tpm2_nvdefine -C o -s 8 -a "ownerread|ownerwrite" $NV >/dev/null
	fi
	for i in 0 1 8 9; do
		echo "TPMTEST $half $i $(cat /sys/class/tpm/tpm0/pcr-sha256/$i)"
	done
	[ $half = first ] && reboot -f
	exit 0
fi

for i in 0 1 8 9; do
	echo "TPMTEST sysfs $i $(cat /sys/class/tpm/tpm0/pcr-sha256/$i)"
done
echo "TPMTEST pcrread-begin"
tpm2_pcrread sha256:0,1,8,9
echo "TPMTEST pcrread-end rc=$?"
echo "TPMTEST eventlog-begin"
tpm2_eventlog /sys/kernel/security/tpm0/binary_bios_measurements
echo "TPMTEST eventlog-end rc=$?"
echo "TPMTEST ek $(tpm2_readpublic -c $EK | sed -n 's/^name: //p')"

if tpm2_readpublic -c $HANDLE >/dev/null 2>&1; then
	echo "TPMTEST unseal-begin"
	out=$(tpm2_unseal -c $HANDLE -p pcr:sha256:8,9 2>&1)
	rc=$?
	echo "$out"
	echo "TPMTEST unseal-end rc=$rc"
	[ $rc = 0 ] && echo "TPMTEST unsealed $out"
	exit 0
fi
echo "TPMTEST seal-begin"
set -x
tpm2_createprimary -C o -G ecc -c /tmp/primary.ctx >/dev/null &&
tpm2_createpolicy --policy-pcr -l sha256:8,9 -L /tmp/pcr.policy &&
printf %s "$SECRET" | tpm2_create -C /tmp/primary.ctx -L /tmp/pcr.policy -i- \
	-u /tmp/seal.pub -r /tmp/seal.priv >/dev/null &&
tpm2_load -C /tmp/primary.ctx -u /tmp/seal.pub -r /tmp/seal.priv -c /tmp/seal.ctx &&
tpm2_evictcontrol -C o -c /tmp/seal.ctx $HANDLE
rc=$?
set +x
echo "TPMTEST seal-end rc=$rc"
