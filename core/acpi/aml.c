// SPDX-License-Identifier: GPL-2.0-only
/*
 * AML encoder; see aml.h. Section numbers refer to the ACPI 6.4
 * specification, chapter 20.
 */
#include <errno.h>
#include <string.h>

#include "core/acpi/aml.h"

void aml_init(struct aml *a, void *buf, size_t cap)
{
	*a = (struct aml){ .buf = buf, .cap = cap };
}

void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_append(struct aml *a, const void *data, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		aml_fail(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_append(a, &b, 1);
}

/* Insert N bytes at offset AT, moving what follows. */
static void aml_insert(struct aml *a, size_t at, const void *data, size_t n)
{
	if (a->err)
		return;
	if (at > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	if (n > a->cap - a->len) {
		aml_fail(a, -ENOSPC);
		return;
	}
	memmove(a->buf + at + n, a->buf + at, a->len - at);
	memcpy(a->buf + at, data, n);
	a->len += n;
}

/*
 * 20.2.4: a one-byte PkgLength holds 6 bits; with 1-3 following bytes the
 * lead byte holds the low 4 bits and each following byte 8 more.
 */
static size_t pkglength_limit(int nbytes)
{
	return nbytes == 1 ? 0x3f : ((size_t)1 << (4 + 8 * (nbytes - 1))) - 1;
}

int aml_encode_pkglength(uint8_t out[4], size_t len)
{
	int n;

	for (n = 1; n <= 4; n++)
		if (len <= pkglength_limit(n))
			break;
	if (n > 4)
		return -EINVAL;
	if (n == 1) {
		out[0] = (uint8_t)len;
		return 1;
	}
	out[0] = (uint8_t)(((n - 1) << 6) | (len & 0x0f));
	for (int i = 1; i < n; i++)
		out[i] = (uint8_t)(len >> (4 + 8 * (i - 1)));
	return n;
}

void aml_end(struct aml *a, size_t mark)
{
	uint8_t enc[4];
	size_t body;
	int n;

	if (a->err)
		return;
	if (mark > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	body = a->len - mark;
	/* The PkgLength counts its own bytes: pick the shortest that fits. */
	for (n = 1; n <= 4; n++)
		if (body + n <= pkglength_limit(n))
			break;
	if (n > 4) {
		aml_fail(a, -EINVAL);
		return;
	}
	n = aml_encode_pkglength(enc, body + n);
	aml_insert(a, mark, enc, n);
}

static bool name_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_lead_char(c) || (c >= '0' && c <= '9');
}

/* 20.2.2: NameSeg is a lead character and three name characters. */
static void aml_name_seg(struct aml *a, const char *seg, size_t n)
{
	char out[4] = { '_', '_', '_', '_' };

	if (n == 0 || n > 4 || !name_lead_char(seg[0])) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!name_char(seg[i])) {
			aml_fail(a, -EINVAL);
			return;
		}
		out[i] = seg[i];
	}
	aml_append(a, out, sizeof(out));
}

void aml_name_string(struct aml *a, const char *path)
{
	const char *p = path;
	size_t nsegs = 1;

	if (*p == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		for (; *p == '^'; p++)
			aml_byte(a, AML_PARENT_PREFIX_CHAR);
	}
	if (*p == '\0') {
		aml_byte(a, AML_ZERO_OP);   /* NullName */
		return;
	}
	for (const char *q = p; *q; q++)
		nsegs += *q == '.';
	if (nsegs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		if (nsegs > UINT8_MAX) {
			aml_fail(a, -EINVAL);
			return;
		}
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nsegs);
	}
	while (*p) {
		size_t n = strcspn(p, ".");

		aml_name_seg(a, p, n);
		p += n;
		if (*p == '.') {
			p++;
			if (*p == '\0')
				aml_fail(a, -EINVAL);
		}
	}
}

/* 20.2.3 ComputationalData; Ones is all-ones for 64-bit (DSDT rev >= 2). */
void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];
	unsigned width;

	if (v == 0 || v == 1 || v == UINT64_MAX) {
		aml_byte(a, v == 0 ? AML_ZERO_OP :
			    v == 1 ? AML_ONE_OP : AML_ONES_OP);
		return;
	}
	if (v <= UINT8_MAX) {
		b[0] = AML_BYTE_PREFIX;
		width = 1;
	} else if (v <= UINT16_MAX) {
		b[0] = AML_WORD_PREFIX;
		width = 2;
	} else if (v <= UINT32_MAX) {
		b[0] = AML_DWORD_PREFIX;
		width = 4;
	} else {
		b[0] = AML_QWORD_PREFIX;
		width = 8;
	}
	for (unsigned i = 0; i < width; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	aml_append(a, b, 1 + width);
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_append(a, s, strlen(s) + 1);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * 19.6.35 EISAID: three letters of 5 bits each ('A' = 1) and four hex
 * digits, stored so that the bytes read in memory order are
 * [c1:5 c2:2] [c2:3 c3:5] [d1 d2] [d3 d4].
 */
void aml_eisaid(struct aml *a, const char *id)
{
	uint8_t b[4];
	int d[4];

	if (strlen(id) != 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	for (int i = 0; i < 4; i++) {
		d[i] = hex_value(id[3 + i]);
		if (d[i] < 0) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	b[0] = (uint8_t)(((id[0] - '@') << 2) | ((id[1] - '@') >> 3));
	b[1] = (uint8_t)((((id[1] - '@') & 7) << 5) | (id[2] - '@'));
	b[2] = (uint8_t)((d[0] << 4) | d[1]);
	b[3] = (uint8_t)((d[2] << 4) | d[3]);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_append(a, b, sizeof(b));
}

void aml_unicode(struct aml *a, const char *ascii)
{
	size_t mark = aml_buffer_begin(a);

	for (const char *p = ascii; *p; p++) {
		if ((unsigned char)*p > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
		aml_byte(a, (uint8_t)*p);
		aml_byte(a, 0);
	}
	aml_byte(a, 0);          /* UTF-16 NUL */
	aml_byte(a, 0);
	aml_buffer_end(a, mark);
}

/*
 * 19.6.142 ToUUID: "aabbccdd-eeff-gghh-iijj-kkllmmnnoopp" is stored as
 * dd cc bb aa ff ee hh gg ii jj kk ll mm nn oo pp.
 */
void aml_uuid(struct aml *a, const char *uuid)
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
					   8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t text[16], out[16];
	size_t mark;
	int n = 0;

	if (strlen(uuid) != 36) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		int hi, lo;

		if (dash) {
			if (uuid[i] != '-') {
				aml_fail(a, -EINVAL);
				return;
			}
			continue;
		}
		hi = hex_value(uuid[i]);
		lo = hex_value(uuid[i + 1]);
		if (hi < 0 || lo < 0) {
			aml_fail(a, -EINVAL);
			return;
		}
		text[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	for (int i = 0; i < 16; i++)
		out[i] = text[order[i]];
	mark = aml_buffer_begin(a);
	aml_append(a, out, sizeof(out));
	aml_buffer_end(a, mark);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string(a, name);
}

size_t aml_scope_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, AML_SCOPE_OP);
	mark = a->len;
	aml_name_string(a, name);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_EXT_DEVICE_OP);
	mark = a->len;
	aml_name_string(a, name);
	return mark;
}

/* 20.2.5.2 MethodFlags: bits 0-2 ArgCount, bit 3 SerializeFlag. */
size_t aml_method_begin(struct aml *a, const char *name, unsigned nargs,
			bool serialized)
{
	size_t mark;

	if (nargs > 7)
		aml_fail(a, -EINVAL);
	aml_byte(a, AML_METHOD_OP);
	mark = a->len;
	aml_name_string(a, name);
	aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 1u << 3 : 0)));
	return mark;
}

size_t aml_package_begin(struct aml *a, uint8_t nelems)
{
	size_t mark;

	aml_byte(a, AML_PACKAGE_OP);
	mark = a->len;
	aml_byte(a, nelems);
	return mark;
}

size_t aml_if_begin(struct aml *a)
{
	aml_byte(a, AML_IF_OP);
	return a->len;
}

size_t aml_else_begin(struct aml *a)
{
	aml_byte(a, AML_ELSE_OP);
	return a->len;
}

size_t aml_buffer_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	return a->len;
}

/* 19.6.10: BufferOp PkgLength BufferSize ByteList. */
void aml_buffer_end(struct aml *a, size_t mark)
{
	uint8_t tmp[9];
	struct aml size;

	if (a->err)
		return;
	if (mark > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_init(&size, tmp, sizeof(tmp));
	aml_integer(&size, a->len - mark);
	aml_insert(a, mark, tmp, size.len);
	aml_end(a, mark);
}
