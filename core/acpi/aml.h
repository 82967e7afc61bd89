/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small AML encoder (ACPI 6.4, chapter 20 "ACPI Machine Language
 * Specification") and resource-descriptor writer (section 6.4).
 *
 * Output goes into a fixed, caller-provided buffer. Errors are sticky: once
 * something does not fit (-ENOSPC) or is malformed (-EINVAL), later calls do
 * nothing and aml.err keeps the first error, so a builder can emit a whole
 * table and check once at the end. Nothing is ever written past aml.cap.
 *
 * Objects with a PkgLength (Scope, Device, Method, Package, Buffer, If,
 * Else) are opened by a *_begin() call that returns a mark and closed by
 * aml_end() (or aml_buffer_end()/aml_resource_end()), which inserts the
 * shortest PkgLength encoding once the body's size is known.
 */
#ifndef PARTVM_ACPI_AML_H
#define PARTVM_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes and prefixes used by the builders (ACPI 6.4, 20.3). */
enum {
	AML_ZERO_OP = 0x00,
	AML_ONE_OP = 0x01,
	AML_NAME_OP = 0x08,
	AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b,
	AML_DWORD_PREFIX = 0x0c,
	AML_STRING_PREFIX = 0x0d,
	AML_QWORD_PREFIX = 0x0e,
	AML_SCOPE_OP = 0x10,
	AML_BUFFER_OP = 0x11,
	AML_PACKAGE_OP = 0x12,
	AML_METHOD_OP = 0x14,
	AML_DUAL_NAME_PREFIX = 0x2e,
	AML_MULTI_NAME_PREFIX = 0x2f,
	AML_EXT_OP_PREFIX = 0x5b,
	AML_EXT_DEVICE_OP = 0x82,      /* after AML_EXT_OP_PREFIX */
	AML_ROOT_CHAR = 0x5c,
	AML_PARENT_PREFIX_CHAR = 0x5e,
	AML_LOCAL0_OP = 0x60,
	AML_ARG0_OP = 0x68,
	AML_STORE_OP = 0x70,
	AML_AND_OP = 0x7b,
	AML_OR_OP = 0x7d,
	AML_CREATE_DWORD_FIELD_OP = 0x8a,
	AML_LNOT_OP = 0x92,
	AML_LEQUAL_OP = 0x93,
	AML_IF_OP = 0xa0,
	AML_ELSE_OP = 0xa1,
	AML_RETURN_OP = 0xa4,
	AML_ONES_OP = 0xff,
};

/* The largest PkgLength (28 bits, ACPI 6.4 20.2.4). */
#define AML_PKGLENGTH_MAX 0x0fffffff

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;     /* 0, or the first -ENOSPC/-EINVAL */
};

void aml_init(struct aml *a, void *buf, size_t cap);
/* Record ERR (negative errno) unless an earlier error is recorded. */
void aml_fail(struct aml *a, int err);

/* Raw bytes (opcodes the caller spells out). */
void aml_byte(struct aml *a, uint8_t b);
void aml_append(struct aml *a, const void *data, size_t n);

/*
 * Encode the PkgLength value LEN (which, in AML, counts the PkgLength's own
 * bytes) into OUT in the fewest bytes. Returns that number (1-4), or
 * -EINVAL when LEN exceeds AML_PKGLENGTH_MAX.
 */
int aml_encode_pkglength(uint8_t out[4], size_t len);

/*
 * NameString: "\\_SB.PCI0", "^FOO", "_HID", "". Segments shorter than four
 * characters are padded with '_' (ASL's rule); invalid characters or
 * segments longer than four set -EINVAL.
 */
void aml_name_string(struct aml *a, const char *path);

/* Integer with the shortest encoding: Zero, One, Ones, Byte/Word/DWord/QWord. */
void aml_integer(struct aml *a, uint64_t v);
/* String (ASCII, no NUL inside). */
void aml_string(struct aml *a, const char *s);
/* EISAID("PNP0A03"): the compressed 32-bit ID as a DWordConst. */
void aml_eisaid(struct aml *a, const char *id);
/* Unicode("..."): a Buffer holding the UTF-16LE form of an ASCII string. */
void aml_unicode(struct aml *a, const char *ascii);
/* ToUUID("xxxxxxxx-xxxx-..."): the 16-byte Buffer in ACPI's byte order. */
void aml_uuid(struct aml *a, const char *uuid);

/* Name(NAME, ...): the caller appends the value. */
void aml_name(struct aml *a, const char *name);

size_t aml_scope_begin(struct aml *a, const char *name);
size_t aml_device_begin(struct aml *a, const char *name);
size_t aml_method_begin(struct aml *a, const char *name, unsigned nargs,
			bool serialized);
size_t aml_package_begin(struct aml *a, uint8_t nelems);
/* If (...): the caller appends the predicate, then the body. */
size_t aml_if_begin(struct aml *a);
size_t aml_else_begin(struct aml *a);
/* Close Scope/Device/Method/Package/If/Else: insert the PkgLength at MARK. */
void aml_end(struct aml *a, size_t mark);

/* Buffer(){bytes}: aml_buffer_end() inserts BufferSize and PkgLength. */
size_t aml_buffer_begin(struct aml *a);
void aml_buffer_end(struct aml *a, size_t mark);

/*
 * ResourceTemplate(): a Buffer of resource descriptors closed by an End Tag
 * whose checksum makes the descriptors sum to zero (ACPI 6.4 6.4.2.9).
 */
size_t aml_resource_begin(struct aml *a);
void aml_resource_end(struct aml *a, size_t mark);

/* Resource descriptors (ACPI 6.4 6.4.2, 6.4.3). */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len);
void aml_res_irq_noflags(struct aml *a, uint16_t irq_mask);
/* Extended Interrupt, one GSI, ResourceConsumer. */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool level,
		       bool active_low, bool shared);
void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len,
			    bool writable);
/* Address space descriptors: ResourceProducer, MinFixed, MaxFixed, PosDecode. */
void aml_res_word_bus_number(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_io(struct aml *a, uint32_t min, uint32_t max);
void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max,
			  bool cacheable);
void aml_res_qword_memory(struct aml *a, uint64_t min, uint64_t max,
			  bool cacheable);

#endif
