// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resource descriptors for ResourceTemplate() buffers (ACPI 6.4 section
 * 6.4); see aml.h. Each descriptor is composed in full and appended at
 * once, so a template that does not fit never holds half a descriptor.
 */
#include <errno.h>

#include "core/acpi/aml.h"

/* 6.4.2: small items; the low 3 bits of the tag byte are the length. */
#define RES_IRQ_NOFLAGS        0x22       /* 6.4.2.1, 2 bytes */
#define RES_IO                 0x47       /* 6.4.2.5, 7 bytes */
#define RES_END_TAG            0x79       /* 6.4.2.9, 1 byte */
/* 6.4.3: large items, followed by a 16-bit length. */
#define RES_MEMORY32_FIXED     0x86
#define RES_DWORD_ADDRESS      0x87
#define RES_WORD_ADDRESS       0x88
#define RES_EXT_INTERRUPT      0x89
#define RES_QWORD_ADDRESS      0x8a

/* 6.4.3.5 address space resource types and flags. */
#define ADDR_TYPE_MEMORY       0
#define ADDR_TYPE_IO           1
#define ADDR_TYPE_BUS          2
#define ADDR_FLAG_MIN_FIXED    (1u << 2)
#define ADDR_FLAG_MAX_FIXED    (1u << 3)
#define IO_RANGE_ENTIRE        3          /* _RNG: ISA and non-ISA ranges */
#define MEM_READ_WRITE         (1u << 0)
#define MEM_CACHEABLE          (1u << 1)  /* _MEM = 1 */

/* 6.4.2.5: the I/O descriptor decodes 16 address lines. */
#define IO_DECODE16            1
/* 6.4.3.6 Extended Interrupt flags. */
#define EXTIRQ_CONSUMER        (1u << 0)
#define EXTIRQ_EDGE            (1u << 1)
#define EXTIRQ_ACTIVE_LOW      (1u << 2)
#define EXTIRQ_SHARED          (1u << 3)

static uint8_t *put_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

size_t aml_resource_begin(struct aml *a)
{
	return aml_buffer_begin(a);
}

/* 6.4.2.9: the checksum makes all descriptor bytes sum to zero. */
void aml_resource_end(struct aml *a, size_t mark)
{
	uint8_t sum = RES_END_TAG;
	uint8_t end[2];

	if (a->err)
		return;
	if (mark > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (size_t i = mark; i < a->len; i++)
		sum += a->buf[i];
	end[0] = RES_END_TAG;
	end[1] = (uint8_t)-sum;
	aml_append(a, end, sizeof(end));
	aml_buffer_end(a, mark);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len)
{
	uint8_t d[8] = { RES_IO, IO_DECODE16 };

	if (min > max) {
		aml_fail(a, -EINVAL);
		return;
	}
	put_le(d + 2, min, 2);
	put_le(d + 4, max, 2);
	d[6] = align;
	d[7] = len;
	aml_append(a, d, sizeof(d));
}

void aml_res_irq_noflags(struct aml *a, uint16_t irq_mask)
{
	uint8_t d[3] = { RES_IRQ_NOFLAGS };

	put_le(d + 1, irq_mask, 2);
	aml_append(a, d, sizeof(d));
}

/* 6.4.3.6 Extended Interrupt: flags, table length, one DWORD. */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool level,
		       bool active_low, bool shared)
{
	uint8_t d[9] = { RES_EXT_INTERRUPT, 6, 0 };
	uint8_t flags = EXTIRQ_CONSUMER;

	if (!level)
		flags |= EXTIRQ_EDGE;
	if (active_low)
		flags |= EXTIRQ_ACTIVE_LOW;
	if (shared)
		flags |= EXTIRQ_SHARED;
	d[3] = flags;
	d[4] = 1;
	put_le(d + 5, gsi, 4);
	aml_append(a, d, sizeof(d));
}

/* 6.4.3.4: information byte, base, length. */
void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len,
			    bool writable)
{
	uint8_t d[12] = { RES_MEMORY32_FIXED, 9, 0 };

	if (len == 0 || base + (uint64_t)len - 1 > UINT32_MAX) {
		aml_fail(a, -EINVAL);
		return;
	}
	d[3] = writable ? 1 : 0;
	put_le(d + 4, base, 4);
	put_le(d + 8, len, 4);
	aml_append(a, d, sizeof(d));
}

/*
 * 6.4.3.5.1-3: Word/DWord/QWord address space descriptors. A fixed-size,
 * fixed-location range (_MIF = _MAF = 1) needs _GRA = 0 and
 * _LEN = _MAX - _MIN + 1 (table 6.44). General flags bit 0 clear =
 * ResourceProducer, bit 1 clear = PosDecode.
 */
static void res_address(struct aml *a, uint8_t tag, unsigned width,
			uint8_t type, uint8_t type_flags, uint64_t min,
			uint64_t max)
{
	uint64_t limit = width == 8 ? UINT64_MAX : (1ULL << (8 * width)) - 1;
	uint8_t d[3 + 3 + 5 * 8];
	uint8_t *p = d;

	if (min > max || max > limit || max - min >= limit) {
		aml_fail(a, -EINVAL);
		return;
	}
	*p++ = tag;
	p = put_le(p, 3 + 5 * width, 2);  /* type, two flag bytes, 5 fields */
	*p++ = type;
	*p++ = ADDR_FLAG_MIN_FIXED | ADDR_FLAG_MAX_FIXED;
	*p++ = type_flags;
	p = put_le(p, 0, width);           /* _GRA */
	p = put_le(p, min, width);
	p = put_le(p, max, width);
	p = put_le(p, 0, width);           /* _TRA */
	p = put_le(p, max - min + 1, width);
	aml_append(a, d, (size_t)(p - d));
}

void aml_res_word_bus_number(struct aml *a, uint16_t min, uint16_t max)
{
	res_address(a, RES_WORD_ADDRESS, 2, ADDR_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	res_address(a, RES_WORD_ADDRESS, 2, ADDR_TYPE_IO, IO_RANGE_ENTIRE,
		    min, max);
}

void aml_res_dword_io(struct aml *a, uint32_t min, uint32_t max)
{
	res_address(a, RES_DWORD_ADDRESS, 4, ADDR_TYPE_IO, IO_RANGE_ENTIRE,
		    min, max);
}

void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max,
			  bool cacheable)
{
	res_address(a, RES_DWORD_ADDRESS, 4, ADDR_TYPE_MEMORY,
		    MEM_READ_WRITE | (cacheable ? MEM_CACHEABLE : 0), min, max);
}

void aml_res_qword_memory(struct aml *a, uint64_t min, uint64_t max,
			  bool cacheable)
{
	res_address(a, RES_QWORD_ADDRESS, 8, ADDR_TYPE_MEMORY,
		    MEM_READ_WRITE | (cacheable ? MEM_CACHEABLE : 0), min, max);
}
