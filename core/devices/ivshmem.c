// SPDX-License-Identifier: GPL-2.0-only
/*
 * IVSHMEM (QEMU's docs/specs/ivshmem-spec.rst, revision 1): a host file
 * shared with the guest as a PCI BAR. This is ivshmem-plain, 1af4:1110
 * without interrupts or peers, the device Looking Glass and Scream look
 * for.
 *
 *   [ivshmem]
 *   path = /dev/shm/looking-glass    # absolute
 *   size = 32M                       # a power of two, 4K to 1T
 *   mode = 0660                      # if partvm creates the file (default)
 *
 * or `--ivshmem path=FILE,size=SIZE[,mode=MODE]`; each section or option
 * is one device.
 *
 * BAR0 holds the registers (256 bytes, each access an exit to partvm);
 * BAR2 is the file's first SIZE bytes, mapped MAP_SHARED into a KVM
 * memory slot wherever the guest puts the BAR, so guest and host share
 * the pages and the guest's accesses to them never exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/devices/platform.h"
#include "core/kvm/kvm.h"
#include "core/util/bytes.h"
#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"

#define IVSHMEM_VENDOR     0x1af4       /* Red Hat (Qumranet) */
#define IVSHMEM_DEVICE     0x1110
#define IVSHMEM_REVISION   1
#define IVSHMEM_CLASS      0x050000     /* memory controller: RAM */
#define IVSHMEM_SUBSYSTEM  0x1100       /* QEMU's, as its ivshmem-plain has */
#define IVSHMEM_REGS_BAR   0
#define IVSHMEM_REGS_SIZE  256
#define IVSHMEM_MEM_BAR    2
/* Interrupt Mask and Interrupt Status, the two registers that keep what
 * the guest writes (spec: "Register Layout"). IVPosition reads 0 without
 * interrupts, the doorbell is write-only, the rest reserved. */
#define IVSHMEM_RW_BYTES   8
/* A KVM memory slot maps whole pages. The 64-bit PCI window grows with
 * the BARs in it (up to the guest's physical address bits, checked when
 * the device is plugged in); 1 TiB is more than any frame buffer needs. */
#define IVSHMEM_MIN_SIZE   4096ULL
#define IVSHMEM_MAX_SIZE   (1ULL << 40)
#define IVSHMEM_DEFAULT_MODE 0660

struct ivshmem_conf {
	char *path;
	uint64_t size;
	mode_t mode;
	int line;                     /* of path = ..., 0 from --ivshmem */
};

struct ivshmem {
	struct pci_device pci;
	struct vm *vm;
	const struct ivshmem_conf *conf;
	int fd;
	void *mem;                    /* the file's first SIZE bytes, MAP_SHARED */
	uint64_t size;
	bool created;                 /* partvm made the file */
	pthread_mutex_t lock;         /* what follows: vCPUs and the main thread */
	uint8_t regs[IVSHMEM_RW_BYTES];
	bool regs_mapped;             /* BAR0 on the MMIO bus at regs_addr */
	uint64_t regs_addr;
	int slot;                     /* this boot's KVM memory slot; -1: no VM */
	bool mem_mapped;              /* BAR2 in the slot at mem_addr */
	uint64_t mem_addr;
};

/* ---- Configuration ------------------------------------------------------- */

static int set_path(struct ivshmem_conf *c, const char *v, const char **why)
{
	if (v[0] != '/') {
		*why = "not an absolute path (e.g. /dev/shm/looking-glass)";
		return -EINVAL;
	}
	return config_set_string(&c->path, v);
}

static int set_size(struct ivshmem_conf *c, const char *v, const char **why)
{
	uint64_t size;
	int r = config_parse_size(v, &size);

	if (r == -EINVAL) {
		*why = "not a size (a power of two with K, M or G, e.g. 32M)";
		return r;
	}
	if (r < 0 || size > IVSHMEM_MAX_SIZE) {
		*why = "too large (at most 1T)";
		return -ERANGE;
	}
	if (size < IVSHMEM_MIN_SIZE) {
		*why = "too small (at least 4K, a page)";
		return -ERANGE;
	}
	if (size & (size - 1)) {
		*why = "must be a power of two (it is the size of a PCI BAR), e.g. 32M";
		return -EINVAL;
	}
	c->size = size;
	return 0;
}

static int set_mode(struct ivshmem_conf *c, const char *v, const char **why)
{
	size_t n = strlen(v);
	unsigned long mode;

	/* strtoul alone would take "-1", " 660" and "0x1b0". */
	if (n == 0 || n > 4 || strspn(v, "01234567") != n ||
	    (mode = strtoul(v, NULL, 8)) > 0777) {
		*why = "not a file mode (octal, 0000 to 0777, e.g. 0660)";
		return -EINVAL;
	}
	c->mode = (mode_t)mode;
	return 0;
}

static int set_key(void *conf, const char *key, const char *v, const char **why)
{
	struct ivshmem_conf *c = conf;

	if (!strcmp(key, "path"))
		return set_path(c, v, why);
	if (!strcmp(key, "size"))
		return set_size(c, v, why);
	if (!strcmp(key, "mode"))
		return set_mode(c, v, why);
	*why = "unknown option (known: path=FILE, size=SIZE, mode=MODE)";
	return -EINVAL;
}

static int key_path(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	((struct ivshmem_conf *)conf)->line = ctx->line;
	return set_path(conf, v, why);
}

static int key_size(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	return set_size(conf, v, why);
}

static int key_mode(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	return set_mode(conf, v, why);
}

static const struct config_key keys[] = {
	{ "path", key_path },
	{ "size", key_size },
	{ "mode", key_mode },
	{ NULL, NULL },
};

static void conf_init(void *conf)
{
	((struct ivshmem_conf *)conf)->mode = IVSHMEM_DEFAULT_MODE;
}

static void conf_free(void *conf)
{
	free(((struct ivshmem_conf *)conf)->path);
}

/* --ivshmem path=FILE,size=SIZE[,mode=MODE] */
static int conf_option(void *conf, const char *arg, const char **why)
{
	const struct ivshmem_conf *c = conf;
	int r = config_parse_items(arg, set_key, conf, "expected KEY=VALUE items (path=FILE, "
				   "size=SIZE, mode=MODE)", why);

	if (r == 0 && (!c->path || !c->size)) {
		*why = "needs path=FILE and size=SIZE";
		r = -EINVAL;
	}
	return r;
}

static int conf_check(const struct device_conf *dc, const char *file, struct config_error *err)
{
	const struct ivshmem_conf *c = dc->conf;

	if (!c->path)
		snprintf(err->msg, sizeof(err->msg), "%s:%d: [ivshmem] without 'path = FILE'", file,
			 dc->line);
	else if (!c->size)
		snprintf(err->msg, sizeof(err->msg), "%s:%d: [ivshmem] without 'size = SIZE' (a power "
			 "of two, e.g. 32M)", file, dc->line);
	else
		return 0;
	return -EINVAL;
}

/* What is wrong with the file ST describes for a device of SIZE bytes
 * (into WHY), or 0. An empty file is grown to SIZE; a larger one is
 * shared in its first SIZE bytes; a smaller one is refused, as QEMU's
 * memory-backend-file does, rather than cut or grown under whoever
 * wrote it. */
static int file_problem(const struct stat *st, uint64_t size, char *why, size_t len)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "not a regular file");
		return -EINVAL;
	}
	if (st->st_size > 0 && (uint64_t)st->st_size < size) {
		snprintf(why, len, "the file has %llu bytes, fewer than size = %llu (an empty "
			 "file is grown to the size)", (unsigned long long)st->st_size,
			 (unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

/* The file, if there, is one partvm can share; if not, the directory it
 * is to be made in exists. */
static int conf_validate(const struct device_conf *dc, const struct vm_config *cfg,
			 struct config_error *err)
{
	const struct ivshmem_conf *c = dc->conf;
	_cleanup_free_ char *dir = NULL;
	char at[300], why[160];
	struct stat st;
	int r;

	if (stat(c->path, &st) == 0) {
		r = file_problem(&st, c->size, why, sizeof(why));
	} else if (errno != ENOENT) {
		r = -errno;
		snprintf(why, sizeof(why), "%s", strerror(-r));
	} else {
		dir = strndup(c->path, (size_t)(strrchr(c->path, '/') - c->path));
		if (!dir)
			return -ENOMEM;
		r = 0;
		if (dir[0] && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
			r = -ENOENT;
			snprintf(why, sizeof(why), "no directory '%s' to create it in", dir);
		}
	}
	if (r < 0)
		snprintf(err->msg, sizeof(err->msg), "%sivshmem '%s': %s",
			 config_where(cfg, device_conf_line(dc, c->line), at, sizeof(at)), c->path, why);
	return r;
}

/* ---- BAR0: the registers ------------------------------------------------- */

/* Byte by byte: the spec asks for 32-bit accesses, a guest need not make
 * them, and a partial access reads or writes just its bytes. */
static uint64_t regs_read(void *opaque, uint64_t off, unsigned size)
{
	struct ivshmem *s = opaque;
	uint8_t regs[IVSHMEM_RW_BYTES];
	uint64_t v = 0;

	if (size == 0 || size > 8 || off > IVSHMEM_REGS_SIZE - size)
		return ~0ULL;
	pthread_mutex_lock(&s->lock);
	memcpy(regs, s->regs, sizeof(regs));
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < size; i++)
		if (off + i < IVSHMEM_RW_BYTES)
			v |= (uint64_t)regs[off + i] << (8 * i);
	return v;
}

static void regs_write(void *opaque, uint64_t off, unsigned size, uint64_t value)
{
	struct ivshmem *s = opaque;

	if (size == 0 || size > 8 || off > IVSHMEM_REGS_SIZE - size)
		return;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < size; i++)
		if (off + i < IVSHMEM_RW_BYTES)
			s->regs[off + i] = (uint8_t)(value >> (8 * i));
	pthread_mutex_unlock(&s->lock);
}

static const struct bus_ops regs_ops = { .read = regs_read, .write = regs_write };

/* ---- Decoding: BAR0 on the bus, BAR2 in a memory slot (under s->lock) ---- */

static int regs_decode(struct ivshmem *s, uint64_t addr, bool enable)
{
	int r;

	if (s->regs_mapped)
		bus_unregister(&s->vm->mmio, s->regs_addr, s);
	s->regs_mapped = false;
	if (!enable)
		return 0;
	r = bus_register(&s->vm->mmio, addr, IVSHMEM_REGS_SIZE, s->pci.name, &regs_ops, s);
	if (r < 0)
		return r;
	s->regs_mapped = true;
	s->regs_addr = addr;
	return 0;
}

static int mem_decode(struct ivshmem *s, uint64_t addr, bool enable)
{
	struct kvm *k = &s->vm->kvm;
	int r;

	/* KVM moves a slot only by deleting it (size 0) and making it again;
	 * a VM fd that is gone took its slots along. */
	if (s->mem_mapped && kvm_vm_exists(k))
		(void)kvm_set_memory_slot(k, (unsigned)s->slot, 0, 0, NULL);
	s->mem_mapped = false;
	if (!enable)
		return 0;
	if (s->slot < 0)
		return -ENODEV;
	r = kvm_set_memory_slot(k, (unsigned)s->slot, addr, s->size, s->mem);
	if (r < 0)
		return r;
	s->mem_mapped = true;
	s->mem_addr = addr;
	return 0;
}

/* The guest enabled, moved or disabled a BAR (under the PCI host's lock). */
static int bar_map(struct pci_device *d, unsigned index, uint64_t addr, bool enable)
{
	struct ivshmem *s = d->opaque;
	int r = -EINVAL;

	pthread_mutex_lock(&s->lock);
	if (index == IVSHMEM_REGS_BAR)
		r = regs_decode(s, addr, enable);
	else if (index == IVSHMEM_MEM_BAR)
		r = mem_decode(s, addr, enable);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* A platform reset: the registers' reset values (0); the shared memory
 * keeps what is in it, as the file does. */
static void pci_reset(struct pci_device *d)
{
	struct ivshmem *s = d->opaque;

	pthread_mutex_lock(&s->lock);
	memset(s->regs, 0, sizeof(s->regs));
	pthread_mutex_unlock(&s->lock);
}

static const struct pci_device_ops ivshmem_pci_ops = {
	.bar_map = bar_map,
	.reset = pci_reset,
};

/* ---- The host file ------------------------------------------------------- */

/* Open the file, making it (with exactly C's mode) when there is none, and
 * bring it to C's size. *CREATED says whether partvm made it. On a
 * refusal of the file itself, WHY says why; else WHY is empty. */
static int open_file(const struct ivshmem_conf *c, int *fdp, bool *created, char *why,
		     size_t len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	*created = false;
	why[0] = '\0';
	/* Made here, or else opened without O_CREAT: with fs.protected_regular
	 * (systemd's default), O_CREAT on another user's file in a sticky
	 * directory such as /dev/shm fails even for root, and the file a
	 * Looking Glass user made for the guest is exactly that. A file that
	 * goes between the two opens is made on the next round. */
	for (unsigned tries = 0; fd < 0 && tries < 3; tries++) {
		fd = open(c->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, c->mode);
		if (fd >= 0) {
			*created = true;
			break;
		}
		if (errno != EEXIST)
			return -errno;
		fd = open(c->path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno == EISDIR)
			snprintf(why, len, "not a regular file");
		if (fd < 0 && errno != ENOENT)
			return -errno;
	}
	if (fd < 0)
		return -ENOENT;
	/* The umask (022 for a service) would take the group's write bit,
	 * which the Looking Glass client, another user, needs. */
	r = *created && fchmod(fd, c->mode) < 0 ? -errno : 0;
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r == 0)
		r = file_problem(&st, c->size, why, len);
	if (r == 0 && st.st_size == 0 && ftruncate(fd, (off_t)c->size) < 0)
		r = -errno;
	if (r < 0) {
		if (*created)
			unlink(c->path);
		*created = false;
		return r;
	}
	*fdp = TAKE_FD(fd);
	return 0;
}

/* ---- The device ---------------------------------------------------------- */

static int create(struct device *d, struct loop *loop)
{
	const struct ivshmem_conf *c = d->dc->conf;
	struct ivshmem *s = calloc(1, sizeof(*s));
	char why[160], refusal[512];
	int r;

	if (!s)
		return log_error_errno(-ENOMEM, "%s: %m", d->name);
	d->priv = s;
	s->vm = d->vm;
	s->conf = c;
	s->size = c->size;
	s->fd = -1;
	s->mem = MAP_FAILED;
	s->slot = -1;
	pthread_mutex_init(&s->lock, NULL);

	r = open_file(c, &s->fd, &s->created, why, sizeof(why));
	if (r < 0 && why[0]) {
		/* Made so since the config was checked: the user's input. */
		d->vm->input_refused = true;
		return log_error_errno(r, "%s: ivshmem '%s': %s", d->name, c->path, why);
	}
	if (r < 0)
		return log_error_errno(r, "%s: ivshmem '%s': cannot open or create it: %m", d->name,
				       c->path);
	s->mem = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->mem == MAP_FAILED) {
		r = log_error_errno(-errno, "%s: ivshmem '%s': cannot map %llu bytes of it: %m",
				    d->name, c->path, (unsigned long long)s->size);
		goto fail;
	}

	pci_device_init(&s->pci, d->name, IVSHMEM_VENDOR, IVSHMEM_DEVICE, IVSHMEM_CLASS,
			IVSHMEM_REVISION);
	le_put(&s->pci.cfg[PCI_SUBSYSTEM_VENDOR_ID], 2, IVSHMEM_VENDOR);
	le_put(&s->pci.cfg[PCI_SUBSYSTEM_ID], 2, IVSHMEM_SUBSYSTEM);
	s->pci.ops = &ivshmem_pci_ops;
	s->pci.opaque = s;
	r = pci_device_add_bar(&s->pci, IVSHMEM_REGS_BAR, PCI_BAR_MEM32, IVSHMEM_REGS_SIZE, false);
	if (r == 0)
		r = pci_device_add_bar(&s->pci, IVSHMEM_MEM_BAR, PCI_BAR_MEM64, s->size, true);
	if (r == 0)
		r = pci_host_add_device(d->vm->pci, &s->pci, -1, 0);
	if (pci_host_explain_refusal(d->vm->pci, &s->pci, r, refusal, sizeof(refusal))) {
		r = log_error_errno(r, "%s: %s", d->name, refusal);
		goto fail;
	}
	if (r < 0) {
		r = log_error_errno(r, "%s: cannot create its PCI device (%llu bytes of BAR2): %m",
				    d->name, (unsigned long long)s->size);
		goto fail;
	}
	return 0;
fail:
	/* Nothing half made: a file partvm created goes again. */
	if (s->created)
		unlink(c->path);
	s->created = false;
	return r;
}

static int attach(struct device *d)
{
	struct ivshmem *s = d->priv;
	int slot = kvm_alloc_memory_slot(&d->vm->kvm);

	if (slot < 0)
		return log_error_errno(slot, "%s: no KVM memory slot left for its shared memory",
				       d->name);
	pthread_mutex_lock(&s->lock);
	s->slot = slot;
	s->mem_mapped = false;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* The slot goes with the VM fd; BAR0 stays on the bus until the reset
 * turns decoding off. */
static void detach(struct device *d)
{
	struct ivshmem *s = d->priv;

	pthread_mutex_lock(&s->lock);
	s->slot = -1;
	s->mem_mapped = false;
	pthread_mutex_unlock(&s->lock);
}

static void destroy(struct device *d)
{
	struct ivshmem *s = d->priv;

	if (!s)
		return;
	if (s->pci.host)
		pci_host_remove_device(s->pci.host, &s->pci);
	pthread_mutex_lock(&s->lock);
	regs_decode(s, 0, false);
	mem_decode(s, 0, false);
	pthread_mutex_unlock(&s->lock);
	if (s->mem != MAP_FAILED)
		munmap(s->mem, s->size);
	if (s->fd >= 0)
		close(s->fd);
	/* A partition that failed before its first boot leaves no file of
	 * its own making behind; once a guest ran, the file is what it
	 * shared and stays. */
	if (s->created && d->vm->boots == 0)
		unlink(s->conf->path);
	pthread_mutex_destroy(&s->lock);
	free(s);
	d->priv = NULL;
}

static void status(struct device *d, struct json_object *st)
{
	struct ivshmem *s = d->priv;
	struct json_object *devs, *o;
	char buf[24];
	bool mapped;
	uint64_t at;

	if (!json_object_object_get_ex(st, "devices", &devs))
		return;
	pthread_mutex_lock(&s->lock);
	mapped = s->mem_mapped;
	at = s->mem_addr;
	pthread_mutex_unlock(&s->lock);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(d->type->name));
	snprintf(buf, sizeof(buf), "%02x.0", s->pci.slot);
	json_object_object_add(o, "guest-slot", json_object_new_string(buf));
	json_object_object_add(o, "path", json_object_new_string(s->conf->path));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)s->size));
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)at);
	/* Where the guest put BAR2 (null while it is not decoded). */
	json_object_object_add(o, "guest-address", mapped ? json_object_new_string(buf) : NULL);
	json_object_array_add(devs, o);
}

/* PCR 1: what the guest sees (the device and its size), not which host
 * file backs it. */
static int measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		   size_t errlen)
{
	const struct ivshmem_conf *c = dc->conf;

	fprintf(text, "ivshmem %04x:%04x size=%llu\n", IVSHMEM_VENDOR, IVSHMEM_DEVICE,
		(unsigned long long)c->size);
	return 0;
}

const struct device_type ivshmem_device_type = {
	.name = "ivshmem",
	.section = "ivshmem",
	.keys = keys,
	.conf_size = sizeof(struct ivshmem_conf),
	.conf_init = conf_init,
	.conf_check = conf_check,
	.conf_validate = conf_validate,
	.conf_free = conf_free,
	.option = "ivshmem",
	.option_arg = "path=FILE,size=SIZE[,mode=MODE]",
	.option_help = "a host file shared with the guest as an IVSHMEM device, 1af4:1110 "
		       "(repeatable)",
	.conf_option = conf_option,
	.measure = measure,
	.create = create,
	.attach = attach,
	.detach = detach,
	.free = destroy,
	.logs_errors = true,
	.status = status,
};
