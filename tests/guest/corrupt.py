# gdb script for run-qemu-tcg: stop the test guest at its PVH entry point,
# damage the boot data the way $CORRUPT says, and let the guest run on.
#   GUEST_ELF  the guest's ELF (for its entry point)
#   GDB_SOCKET QEMU's gdbstub socket
#   CORRUPT    magic | rsdp-signature | rsdp-checksum | root-checksum |
#              madt-checksum | madt-entry-length | madt-aps-disabled |
#              madt-missing-ap | madt-x2apic
# Where a test changes table contents on purpose, it fixes the checksum
# up, so that only the change under test is wrong.
import os
import struct

import gdb

# Free guest RAM for a rewritten MADT: above the AP trampoline's page.
NEW_MADT = 0x9000
# An APIC ID that no CPU of the test machines has.
ABSENT_APIC_ID = 200

inferior = gdb.selected_inferior()


def read(addr, n):
    return bytes(inferior.read_memory(addr, n))


def u32(addr):
    return struct.unpack("<I", read(addr, 4))[0]


def write(addr, data):
    inferior.write_memory(addr, data)


def flip(addr):
    write(addr, bytes([read(addr, 1)[0] ^ 1]))


def fix_checksum(table):
    """ACPI 6.5, 5.2.6: all bytes of the table sum to 0 (checksum at 9)."""
    length = u32(table + 4)
    rest = (sum(read(table, length)) - read(table + 9, 1)[0]) & 0xff
    write(table + 9, bytes([-rest & 0xff]))


def madt(rsdp):
    """(root table, address of its MADT pointer, MADT), through the XSDT
    (revision >= 2) or the RSDT."""
    if read(rsdp + 15, 1)[0] >= 2:
        root, size = u32(rsdp + 24), 8
    else:
        root, size = u32(rsdp + 16), 4
    for i in range((u32(root + 4) - 36) // size):
        pointer = root + 36 + i * size
        if read(u32(pointer), 4) == b"APIC":
            return root, pointer, u32(pointer)
    raise gdb.GdbError("no MADT")


def lapic_entries(table):
    """Addresses of the MADT's Local APIC entries (type 0)."""
    off, end = table + 44, table + u32(table + 4)
    while off < end:
        kind, length = read(off, 2)
        if kind == 0:
            yield off
        off += length


with open(os.environ["GUEST_ELF"], "rb") as f:
    entry = struct.unpack("<I", f.read(28)[24:28])[0]

gdb.execute("target remote " + os.environ["GDB_SOCKET"])
gdb.execute("break *%#x" % entry)
gdb.execute("continue")
start_info = int(gdb.parse_and_eval("$ebx")) & 0xffffffff
rsdp = u32(start_info + 32)
what = os.environ["CORRUPT"]

if what == "magic":
    flip(start_info)
elif what == "rsdp-signature":
    flip(rsdp)
elif what == "rsdp-checksum":
    flip(rsdp + 8)
else:
    root, pointer, table = madt(rsdp)
    if what == "root-checksum":
        flip(root + 9)
    elif what == "madt-checksum":
        flip(table + 9)
    elif what == "madt-entry-length":
        write(table + 44 + 1, b"\0")
        fix_checksum(table)
    elif what == "madt-aps-disabled":
        # Clear the enabled flag of every Local APIC entry but the BSP's (0).
        for entry in lapic_entries(table):
            if read(entry + 3, 1)[0] != 0:
                write(entry + 4, struct.pack("<I", u32(entry + 4) & ~1))
        fix_checksum(table)
    elif what == "madt-missing-ap":
        # The last processor gets an APIC ID that no CPU answers to.
        entry = list(lapic_entries(table))[-1]
        write(entry + 3, bytes([ABSENT_APIC_ID]))
        fix_checksum(table)
    elif what == "madt-x2apic":
        # The same processors as x2APIC entries (type 9), in a new MADT
        # that the root table points to instead.
        entries = b""
        off, end = table + 44, table + u32(table + 4)
        while off < end:
            kind, length = read(off, 2)
            if kind == 0:
                uid, apic_id, flags = struct.unpack("<BBI", read(off + 2, 6))
                entries += struct.pack("<BBHIII", 9, 16, 0, apic_id, flags, uid)
            else:
                entries += read(off, length)
            off += length
        header = bytearray(read(table, 44))
        struct.pack_into("<I", header, 4, len(header) + len(entries))
        write(NEW_MADT, bytes(header) + entries)
        fix_checksum(NEW_MADT)
        write(pointer, struct.pack("<I", NEW_MADT))
        fix_checksum(root)
    else:
        raise gdb.GdbError("unknown CORRUPT=" + what)

gdb.execute("delete")
gdb.execute("detach")
