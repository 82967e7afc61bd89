// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMBIOS tables (see smbios.h), written into the BIOS area at every boot
 * (guest RAM is zeroed by a reset). Field offsets are DSP0134 3.2's.
 */
#include <errno.h>
#include <gcrypt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/devices/credentials.h"
#include "core/devices/smbios.h"
#include "core/util/cleanup.h"
#include "core/util/gcrypt.h"
#include "core/util/log.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/vm.h"

#define ENTRY_SIZE 0x18               /* the SMBIOS 3 entry point */
#define TABLE_OFFSET 32               /* where the structures start after it */
#define MAX_STRINGS 255               /* of one type 11 structure */
#define RELEASE_DATE "12/01/2026"     /* mm/dd/yyyy, of this table layout */

struct out {
	uint8_t *buf;
	size_t len, off;
	bool full;
	uint16_t handle;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* One structure: its formatted part F (LEN bytes, type and length set
 * here), then its strings (NULL-terminated list; none: two NULs). */
static void emit(struct out *o, uint8_t type, uint8_t *f, uint8_t len, const char *const *strings)
{
	size_t need = len + 1;
	bool any = false;

	f[0] = type;
	f[1] = len;
	put16(f + 2, o->handle++);
	for (size_t i = 0; strings && strings[i]; i++) {
		need += strlen(strings[i]) + 1;
		any = true;
	}
	if (!any)
		need++;
	if (o->full || o->off + need > o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->off, f, len);
	o->off += len;
	for (size_t i = 0; strings && strings[i]; i++) {
		size_t n = strlen(strings[i]) + 1;

		memcpy(o->buf + o->off, strings[i], n);
		o->off += n;
	}
	o->buf[o->off++] = '\0';
	if (!any)
		o->buf[o->off++] = '\0';
}

static void type0(struct out *o, const struct smbios_info *in)
{
	uint8_t f[0x18] = { 0 };
	const char *s[] = { in->vendor, in->version, RELEASE_DATE, NULL };

	f[4] = 1;                    /* vendor */
	f[5] = 2;                    /* version */
	put16(f + 6, 0xe800);        /* starting segment */
	f[8] = 3;                    /* release date */
	put64(f + 10, 1ULL << 3);    /* characteristics not supported */
	f[19] = 1u << 4;             /* extension byte 2: a virtual machine */
	f[22] = f[23] = 0xff;        /* no embedded controller */
	emit(o, 0, f, sizeof(f), s);
}

static void type1(struct out *o, const struct smbios_info *in)
{
	uint8_t f[0x1b] = { 0 };
	const char *s[] = { in->vendor, in->name, in->version, in->name, "partvm", NULL };
	const uint8_t *u = in->uuid;
	/* The UUID's first three fields little-endian (2.6 and later). */
	uint8_t w[16] = { u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6] };

	f[4] = 1;                    /* manufacturer */
	f[5] = 2;                    /* product name: the partition */
	f[6] = 3;                    /* version */
	f[7] = 4;                    /* serial number: the partition */
	memcpy(w + 8, u + 8, 8);
	memcpy(f + 8, w, 16);
	f[24] = 6;                   /* wake-up: power switch */
	f[25] = 0;                   /* SKU: none */
	f[26] = 5;                   /* family */
	emit(o, 1, f, sizeof(f), s);
}

static void type3(struct out *o, const struct smbios_info *in)
{
	uint8_t f[0x15] = { 0 };
	const char *s[] = { in->vendor, NULL };

	f[4] = 1;                    /* manufacturer */
	f[5] = 0x01;                 /* type: other */
	f[9] = f[10] = f[11] = 0x03; /* boot-up, power supply, thermal: safe */
	f[12] = 0x02;                /* security: unknown */
	emit(o, 3, f, sizeof(f), s);
}

static void type4(struct out *o, const struct smbios_info *in)
{
	uint8_t f[0x30] = { 0 };
	const char *s[] = { "CPU 0", in->vendor, NULL };
	unsigned n = in->cpus ? in->cpus : 1;

	f[4] = 1;                    /* socket designation */
	f[5] = 0x03;                 /* central processor */
	f[6] = 0xfe;                 /* family: see family 2 */
	f[7] = 2;                    /* manufacturer */
	f[24] = 0x41;                /* populated, enabled */
	f[25] = 0x01;                /* upgrade: other */
	put16(f + 26, 0xffff);       /* no cache information */
	put16(f + 28, 0xffff);
	put16(f + 30, 0xffff);
	f[35] = f[36] = f[37] = (uint8_t)(n > 255 ? 0xff : n);   /* cores, enabled, threads */
	put16(f + 38, 1u << 2);      /* 64-bit capable */
	put16(f + 40, 0x01);         /* family 2: other */
	put16(f + 42, (uint16_t)n);
	put16(f + 44, (uint16_t)n);
	put16(f + 46, (uint16_t)n);
	emit(o, 4, f, sizeof(f), s);
}

/* Type 11, as many structures as 255 strings each need. */
static void type11(struct out *o, char *const *oem)
{
	size_t n = 0;

	while (oem && oem[n])
		n++;
	for (size_t at = 0; at < n; at += MAX_STRINGS) {
		uint8_t f[5] = { 0 };
		size_t k = n - at < MAX_STRINGS ? n - at : MAX_STRINGS;
		const char *s[MAX_STRINGS + 1];

		for (size_t i = 0; i < k; i++)
			s[i] = oem[at + i];
		s[k] = NULL;
		f[4] = (uint8_t)k;
		emit(o, 11, f, sizeof(f), s);
	}
}

static bool strings_ok(const struct smbios_info *in)
{
	const char *must[] = { in->vendor, in->version, in->name };

	for (size_t i = 0; i < 3; i++)
		if (!must[i] || !*must[i])
			return false;
	for (size_t i = 0; in->oem && in->oem[i]; i++)
		if (!*in->oem[i])
			return false;
	return true;
}

ssize_t smbios_build(const struct smbios_info *in, uint64_t addr, uint8_t *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len, .off = TABLE_OFFSET };
	uint8_t sum = 0, end[4] = { 0 };

	if (len < TABLE_OFFSET || !strings_ok(in))
		return -ENOSPC;
	memset(buf, 0, TABLE_OFFSET);
	type0(&o, in);
	type1(&o, in);
	type3(&o, in);
	type4(&o, in);
	type11(&o, in->oem);
	emit(&o, 127, end, sizeof(end), NULL);
	if (o.full)
		return -ENOSPC;
	memcpy(buf, "_SM3_", 5);
	buf[6] = ENTRY_SIZE;
	buf[7] = 3;                  /* SMBIOS 3.2 */
	buf[8] = 2;
	buf[9] = 0;                  /* docrev */
	buf[10] = 1;                 /* entry point revision: 3.0 */
	put32(buf + 12, (uint32_t)(o.off - TABLE_OFFSET));
	put64(buf + 16, addr + TABLE_OFFSET);
	for (size_t i = 0; i < ENTRY_SIZE; i++)
		sum += buf[i];
	buf[5] = (uint8_t)-sum;
	return (ssize_t)o.off;
}

int smbios_partition_uuid(const struct vm_config *cfg, uint8_t uuid[16])
{
	/* partvm's namespace for partition names (a random UUID of ours). */
	static const uint8_t ns[16] = { 0x6b, 0x1d, 0x3e, 0x52, 0x8a, 0x47, 0x4f, 0x0c,
					0x9e, 0x21, 0x5d, 0xb4, 0x73, 0x0a, 0xe8, 0x9f };
	const char *name = cfg->name ? cfg->name : "partvm";
	size_t n = strlen(name);
	_cleanup_free_ uint8_t *in = malloc(16 + n);
	_cleanup_(gcrypt_unloadp) struct gcrypt g = { 0 };
	uint8_t digest[20];
	int r;

	if (cfg->uuid_set) {
		memcpy(uuid, cfg->uuid, 16);
		return 0;
	}
	if (!in)
		return -ENOMEM;
	r = gcrypt_load(&g);
	if (r < 0)
		return r;
	memcpy(in, ns, 16);
	memcpy(in + 16, name, n);
	g.md_hash_buffer(GCRY_MD_SHA1, digest, in, 16 + n);
	memcpy(uuid, digest, 16);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x50);   /* version 5 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	return 0;
}

/* ---- The device ---------------------------------------------------------- */

struct smbios {
	char **oem;                   /* credentials' strings */
	uint8_t uuid[16];
};

static int create(struct device *d, struct loop *loop)
{
	struct smbios *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	d->priv = s;
	r = smbios_partition_uuid(d->vm->cfg, s->uuid);
	if (r < 0)
		return log_error_errno(r, "smbios: cannot derive the partition's UUID from its name "
				       "(%s: %m); set [partition] uuid", GCRYPT_LIB);
	r = credentials_strings(d->vm->cfg, &s->oem);
	return r < 0 ? log_error_errno(r, "smbios: credentials: %m") : 0;
}

/* Every boot: guest RAM starts zeroed. */
static int attach(struct device *d)
{
	struct smbios *s = d->priv;
	const struct vm_config *cfg = d->vm->cfg;
	struct smbios_info in = {
		.vendor = "partvm",
		.version = PARTVM_VERSION,
		.name = cfg->name ? cfg->name : "partvm",
		.cpus = d->vm->ncpus,
		.oem = s->oem,
	};
	const struct mem_layout *l = &d->vm->mem.layout;
	uint8_t *p = vm_guest_ptr(d->vm, l->smbios_base, l->smbios_size);
	_cleanup_free_ char **oem = NULL;
	size_t k = 0;
	ssize_t n;

	if (!p)
		return log_error_errno(-EFAULT, "smbios: the BIOS area is not guest RAM");
	/* The config's credentials, then the devices' (vmm.notify_socket). */
	for (char **v = s->oem; v && *v; v++)
		k++;
	for (char **v = d->vm->guest_credentials; v && *v; v++)
		k++;
	oem = calloc(k + 1, sizeof(*oem));
	if (!oem)
		return -ENOMEM;
	k = 0;
	for (char **v = s->oem; v && *v; v++)
		oem[k++] = *v;
	for (char **v = d->vm->guest_credentials; v && *v; v++)
		oem[k++] = *v;
	in.oem = oem;
	memcpy(in.uuid, s->uuid, 16);
	n = smbios_build(&in, l->smbios_base, p, l->smbios_size);
	/* The credentials' size was checked against the room with the config. */
	return n < 0 ? log_error_errno((int)n, "smbios: the tables do not fit: %m") : 0;
}

static void destroy(struct device *d)
{
	struct smbios *s = d->priv;

	if (!s)
		return;
	for (size_t i = 0; s->oem && s->oem[i]; i++)
		explicit_bzero(s->oem[i], strlen(s->oem[i]));
	strv_freep(&s->oem);
	free(s);
}

/* The UUID, and the credentials by name only (they are secrets). */
static void status(struct device *d, struct json_object *st)
{
	struct smbios *s = d->priv;
	char u[37];
	struct json_object *names = json_object_new_array();

	snprintf(u, sizeof(u), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 s->uuid[0], s->uuid[1], s->uuid[2], s->uuid[3], s->uuid[4], s->uuid[5], s->uuid[6],
		 s->uuid[7], s->uuid[8], s->uuid[9], s->uuid[10], s->uuid[11], s->uuid[12],
		 s->uuid[13], s->uuid[14], s->uuid[15]);
	json_object_object_add(st, "uuid", json_object_new_string(u));
	for (size_t i = 0; s->oem && s->oem[i]; i++) {
		const char *c = strchr(s->oem[i], ':') + 1;

		json_object_array_add(names, json_object_new_string_len(c, (int)strcspn(c, "=")));
	}
	json_object_object_add(st, "credentials", names);
}

const struct device_type smbios_device_type = {
	.name = "smbios",
	.create = create,
	.attach = attach,
	.free = destroy,
	.logs_errors = true,
	.status = status,
};
