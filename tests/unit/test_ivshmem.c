// SPDX-License-Identifier: GPL-2.0-only
/*
 * IVSHMEM as a guest and a host user meet it: the config keys and every
 * refusal (config file, command line, the host file); the file created
 * with its mode and grown, an existing one grown or shared in part, a
 * smaller one refused, nothing left behind by a failed start; the PCI
 * identity, BAR sizing and the registers read through the buses, hostile
 * accesses included; and BAR2 as KVM is asked to map it: a memory slot
 * over the file's shared mapping, following the guest's BAR moves (the
 * ioctl edge mocked for a fake VM fd).
 */
// LDFLAGS: -Wl,--wrap=ioctl
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/board.h"
#include "core/devices/platform.h"
#include "core/kvm/kvm.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"
#include "tests/unit/capture.h"

#define MAX_DEVS 4
#define NSLOTS 8
#define REGS_SIZE 256

static struct vm vm;
static struct vm_config cfg;
static struct device devs[MAX_DEVS];
static unsigned ndevs;
static char dir[64];

/* The VM fd: /dev/null, its memory-slot ioctls recorded per slot (a
 * deleted slot has size 0), and refused with EEXIST where they would
 * overlap [0, refuse_below), as KVM refuses a slot over guest RAM. */
static int fake_vm_fd = -1;
static struct kvm_userspace_memory_region slots[NSLOTS];
static unsigned slot_calls;
static uint64_t refuse_below;

int __real_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct kvm_userspace_memory_region *m;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake_vm_fd < 0 || fd != fake_vm_fd)
		return __real_ioctl(fd, req, arg);
	if (req != KVM_SET_USER_MEMORY_REGION) {
		errno = ENOTTY;
		return -1;
	}
	m = arg;
	slot_calls++;
	if (m->slot >= NSLOTS || (m->memory_size && m->guest_phys_addr < refuse_below)) {
		errno = m->slot >= NSLOTS ? EINVAL : EEXIST;
		return -1;
	}
	slots[m->slot] = *m;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(devs, 0, sizeof(devs));
	memset(slots, 0, sizeof(slots));
	ndevs = 0;
	slot_calls = 0;
	refuse_below = 0;
	config_init(&cfg, board_device_types);
	vm.cfg = &cfg;
	vm.ncpus = 1;
	kvm_init(&vm.kvm);
	pthread_mutex_init(&vm.lock, NULL);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	assert_int_equal(memory_layout_init(&vm.mem.layout, 1ULL << 30, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(pci_host_init(&vm), 0);
	snprintf(dir, sizeof(dir), "/tmp/test_ivshmem.XXXXXX");
	assert_non_null(mkdtemp(dir));
	umask(022);
	return 0;
}

static void free_devices(void)
{
	for (unsigned i = ndevs; i-- > 0;)
		if (devs[i].type && devs[i].type->free)
			devs[i].type->free(&devs[i]);
	ndevs = 0;
}

static int teardown(void **state)
{
	free_devices();
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	vm.kvm.vm_fd = -1;
	kvm_release(&vm.kvm);
	if (fake_vm_fd >= 0)
		close(fake_vm_fd);
	fake_vm_fd = -1;
	config_free(&cfg);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* "DIR/NAME", in a static buffer of its own per call site's slot. */
static const char *in_dir(const char *name)
{
	static char bufs[4][128];
	static unsigned n;
	char *b = bufs[n++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static void make_file(const char *path, size_t size, mode_t mode, uint8_t fill)
{
	uint8_t buf[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	memset(buf, fill, sizeof(buf));
	for (size_t done = 0; done < size;) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	close(fd);
}

/* Parse TEXT (a [boot] section is added: a config file needs a kernel)
 * and check it against the host; 0 or the error, ERR filled. */
static int load(const char *text, struct config_error *err)
{
	char full[1024];
	int r;

	snprintf(full, sizeof(full), "%s[boot]\nkernel = /proc/self/exe\n", text);
	r = config_load_string(&cfg, "t.conf", full, err);
	if (r == 0)
		r = config_validate(&cfg, err);
	return r;
}

static void expect_refusal(const char *text, const char *want)
{
	struct config_error err = { { 0 } };

	config_free(&cfg);
	config_init(&cfg, board_device_types);
	assert_true(load(text, &err) < 0);
	if (!strstr(err.msg, want))
		fail_msg("want '%s' in '%s'", want, err.msg);
}

/* --ivshmem ARG: 0 or the error, *WHY set. */
static int option(const char *arg, const char **why)
{
	return config_add_option(&cfg, &ivshmem_device_type, arg, why);
}

/* Create the devices of what CFG holds; returns the first create's
 * result. */
static int create_all(void)
{
	int r = 0;

	for (size_t i = 0; i < cfg.ndevices && ndevs < MAX_DEVS; i++) {
		struct device *d = &devs[ndevs++];

		*d = (struct device){ .type = cfg.devices[i].type, .vm = &vm, .dc = &cfg.devices[i],
				      .index = (unsigned)i };
		snprintf(d->name, sizeof(d->name), "%s%zu", d->type->name, i);
		if (r == 0)
			r = d->type->create(d, NULL);
	}
	return r;
}

/* The config TEXT, checked and created; the first device. */
static struct device *make(const char *text)
{
	struct config_error err = { { 0 } };

	if (load(text, &err) < 0)
		fail_msg("config: %s", err.msg);
	assert_int_equal(create_all(), 0);
	assert_true(ndevs >= 1);
	return &devs[0];
}

/* The PCI slot D sits in. */
static unsigned slot_of(const struct device *d)
{
	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++)
		if (vm.pci->slots[s][0] && vm.pci->slots[s][0]->opaque == d->priv)
			return s;
	fail_msg("%s is on no PCI slot", d->name);
	return 0;
}

static uint32_t cfg_rd(const struct device *d, unsigned off, unsigned size)
{
	return pci_host_config_read(vm.pci, slot_of(d), 0, off, size);
}

static void cfg_wr(const struct device *d, unsigned off, unsigned size, uint32_t v)
{
	pci_host_config_write(vm.pci, slot_of(d), 0, off, size, v);
}

static uint64_t bar0(const struct device *d)
{
	return cfg_rd(d, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
}

static uint64_t bar2(const struct device *d)
{
	return (cfg_rd(d, PCI_BASE_ADDRESS_2, 4) & PCI_BASE_ADDRESS_MEM_MASK) |
	       (uint64_t)cfg_rd(d, PCI_BASE_ADDRESS_3, 4) << 32;
}

static uint64_t reg_rd(const struct device *d, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeefdeadbeefULL;

	assert_true(bus_read(&vm.mmio, bar0(d) + off, size, &v));
	return v;
}

static void reg_wr(const struct device *d, uint64_t off, unsigned size, uint64_t v)
{
	assert_true(bus_write(&vm.mmio, bar0(d) + off, size, v));
}

/* A KVM VM for this boot (the fake fd) and the devices attached to it. */
static void boot(void)
{
	if (fake_vm_fd < 0)
		fake_vm_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fake_vm_fd >= 0);
	vm.kvm.vm_fd = fake_vm_fd;
	vm.kvm.nr_memslots = NSLOTS;
	vm.kvm.next_memslot = 0;
	for (unsigned i = 0; i < ndevs; i++)
		assert_int_equal(devs[i].type->attach(&devs[i]), 0);
}

static char *measure_line(const struct device_conf *dc)
{
	char *text = NULL, err[128] = "";
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(dc->type->measure(dc, "/", f, err, sizeof(err)), 0);
	fclose(f);
	return text;
}

/* ---- Configuration ------------------------------------------------------- */

static void test_config_accepted(void **state)
{
	struct config_error err = { { 0 } };
	char text[512], *m;
	const char *why = NULL;

	/* Looking Glass and Scream: two sections, two devices, in order. */
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 32M\n\n[ivshmem]\npath = %s\n"
		 "size = 2M\nmode = 0600\n", in_dir("looking-glass"), in_dir("scream"));
	assert_int_equal(load(text, &err), 0);
	assert_int_equal(device_conf_count(&cfg, &ivshmem_device_type), 2);
	m = measure_line(device_conf_nth(&cfg, &ivshmem_device_type, 0));
	assert_string_equal(m, "ivshmem 1af4:1110 size=33554432\n");
	free(m);
	m = measure_line(device_conf_nth(&cfg, &ivshmem_device_type, 1));
	assert_string_equal(m, "ivshmem 1af4:1110 size=2097152\n");
	free(m);

	/* The sizes' limits, and the size parser's suffixes. */
	config_free(&cfg);
	config_init(&cfg, board_device_types);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4096B\n[ivshmem]\npath = %s\n"
		 "size = 32G\n", in_dir("a"), in_dir("b"));
	assert_int_equal(load(text, &err), 0);
	m = measure_line(device_conf_nth(&cfg, &ivshmem_device_type, 0));
	assert_string_equal(m, "ivshmem 1af4:1110 size=4096\n");
	free(m);
	m = measure_line(device_conf_nth(&cfg, &ivshmem_device_type, 1));
	assert_string_equal(m, "ivshmem 1af4:1110 size=34359738368\n");
	free(m);

	/* The command line fills the same conf. */
	config_free(&cfg);
	config_init(&cfg, board_device_types);
	snprintf(text, sizeof(text), "path=%s,size=64K,mode=0640", in_dir("c"));
	assert_int_equal(option(text, &why), 0);
	assert_int_equal(device_conf_count(&cfg, &ivshmem_device_type), 1);
	m = measure_line(device_conf_nth(&cfg, &ivshmem_device_type, 0));
	assert_string_equal(m, "ivshmem 1af4:1110 size=65536\n");
	free(m);
}

static void test_config_refusals(void **state)
{
	const char *why = NULL;

	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 3M\n",
		       "t.conf:3: size = '3M': must be a power of two");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 12288B\n",
		       "t.conf:3: size = '12288B': must be a power of two");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 2K\n",
		       "t.conf:3: size = '2K': too small (at least 4K");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 2T\n",
		       "t.conf:3: size = '2T': too large (at most 1T)");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = lots\n",
		       "t.conf:3: size = 'lots': not a size");
	expect_refusal("[ivshmem]\nsize = 4M\n", "t.conf:1: [ivshmem] without 'path = FILE'");
	expect_refusal("[partition]\nmemory = 64M\n[ivshmem]\npath = /dev/shm/x\n",
		       "t.conf:3: [ivshmem] without 'size = SIZE'");
	expect_refusal("[ivshmem]\n", "t.conf:1: [ivshmem] without 'path = FILE'");
	expect_refusal("[ivshmem]\npath = shm/x\nsize = 4M\n",
		       "t.conf:2: path = 'shm/x': not an absolute path");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 4M\nmode = 0999\n",
		       "t.conf:4: mode = '0999': not a file mode");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 4M\nmode = 01777\n", "not a file mode");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 4M\nmode = -1\n", "not a file mode");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 4M\nmode = 0x1b0\n", "not a file mode");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 4M\nmode = rw\n", "not a file mode");
	expect_refusal("[ivshmem]\npath = /dev/shm/x\nsize = 4M\ncolour = red\n",
		       "t.conf:4: unknown key 'colour' in [ivshmem] (known: path, size, mode)");

	config_free(&cfg);
	config_init(&cfg, board_device_types);
	assert_int_equal(option("path=/dev/shm/x,size=3M", &why), -EINVAL);
	assert_non_null(strstr(why, "must be a power of two"));
	assert_int_equal(option("path=/dev/shm/x", &why), -EINVAL);
	assert_string_equal(why, "needs path=FILE and size=SIZE");
	assert_int_equal(option("size=4M", &why), -EINVAL);
	assert_string_equal(why, "needs path=FILE and size=SIZE");
	assert_int_equal(option("path=x,size=4M", &why), -EINVAL);
	assert_non_null(strstr(why, "not an absolute path"));
	assert_int_equal(option("/dev/shm/x", &why), -EINVAL);
	assert_non_null(strstr(why, "KEY=VALUE"));
	assert_int_equal(option("path=/dev/shm/x,size=4M,colour=red", &why), -EINVAL);
	assert_non_null(strstr(why, "unknown option"));
	assert_int_equal(option("path=/dev/shm/x,size=4M,mode=888", &why), -EINVAL);
	assert_non_null(strstr(why, "not a file mode"));
	/* Refused whole: nothing was added. */
	assert_int_equal(cfg.ndevices, 0);
}

/* The host side, before anything is made: one line naming the config
 * file and line (or only the path, from the command line). */
static void test_validate_refusals(void **state)
{
	struct config_error err = { { 0 } };
	char text[512], want[256];
	const char *why = NULL;

	assert_int_equal(mkdir(in_dir("adir"), 0755), 0);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4M\n", in_dir("adir"));
	snprintf(want, sizeof(want), "t.conf:2: ivshmem '%s': not a regular file", in_dir("adir"));
	expect_refusal(text, want);

	make_file(in_dir("small"), 100, 0600, 0x5a);
	snprintf(text, sizeof(text), "[ivshmem]\nsize = 4K\npath = %s\n", in_dir("small"));
	snprintf(want, sizeof(want), "t.conf:3: ivshmem '%s': the file has 100 bytes, fewer than "
		 "size = 4096", in_dir("small"));
	expect_refusal(text, want);

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s/nodir/x\nsize = 4M\n", dir);
	snprintf(want, sizeof(want), "t.conf:2: ivshmem '%s/nodir/x': no directory '%s/nodir'", dir,
		 dir);
	expect_refusal(text, want);

	/* From the command line: the path, no file:line. */
	config_free(&cfg);
	config_init(&cfg, board_device_types);
	snprintf(text, sizeof(text), "path=%s,size=4K", in_dir("adir"));
	assert_int_equal(option(text, &why), 0);
	assert_int_equal(config_validate(&cfg, &err), -EINVAL);
	snprintf(want, sizeof(want), "ivshmem '%s': not a regular file", in_dir("adir"));
	assert_string_equal(err.msg, want);

	/* What is fine: no file yet, an empty one, a larger one, one just
	 * the size. */
	make_file(in_dir("empty"), 0, 0600, 0);
	make_file(in_dir("large"), 1 << 20, 0600, 0);
	make_file(in_dir("exact"), 4096, 0600, 0);
	config_free(&cfg);
	config_init(&cfg, board_device_types);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4K\n[ivshmem]\npath = %s\n"
		 "size = 4K\n[ivshmem]\npath = %s\nsize = 4K\n[ivshmem]\npath = %s\nsize = 4K\n",
		 in_dir("new"), in_dir("empty"), in_dir("large"), in_dir("exact"));
	if (load(text, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(access(in_dir("new"), F_OK), -1);
}

/* ---- The host file ------------------------------------------------------- */

static void test_file_created(void **state)
{
	char text[256];
	struct stat st;

	/* The umask is 022: the group's write bit comes from mode alone. */
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 64K\n[ivshmem]\npath = %s\n"
		 "size = 8K\nmode = 0604\n", in_dir("lg"), in_dir("other"));
	make(text);
	assert_int_equal(stat(in_dir("lg"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_size, 64 * 1024);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(stat(in_dir("other"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(st.st_size, 8192);
	/* Once a guest ran, the file is what it shared: it stays. */
	vm.boots = 1;
	free_devices();
	assert_int_equal(stat(in_dir("lg"), &st), 0);
	assert_int_equal(st.st_size, 64 * 1024);
}

/* A partition that never booted leaves no file of its own behind; a file
 * that was there stays. */
static void test_never_booted(void **state)
{
	char text[256];

	make_file(in_dir("theirs"), 0, 0640, 0);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4K\n[ivshmem]\npath = %s\n"
		 "size = 4K\n", in_dir("mine"), in_dir("theirs"));
	make(text);
	assert_int_equal(access(in_dir("mine"), F_OK), 0);
	free_devices();
	assert_int_equal(access(in_dir("mine"), F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(in_dir("theirs"), F_OK), 0);
}

static void test_existing_files(void **state)
{
	char text[256];
	struct stat st;
	uint8_t b[16];
	int fd;

	/* An empty file (systemd-tmpfiles made it, say) is grown; its mode
	 * stays its owner's choice. */
	make_file(in_dir("empty"), 0, 0600, 0);
	/* A larger one is shared in its first SIZE bytes, not cut. */
	make_file(in_dir("large"), 1 << 20, 0644, 0xa5);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 16K\nmode = 0666\n[ivshmem]\n"
		 "path = %s\nsize = 64K\n", in_dir("empty"), in_dir("large"));
	make(text);
	assert_int_equal(stat(in_dir("empty"), &st), 0);
	assert_int_equal(st.st_size, 16384);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(in_dir("large"), &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	assert_int_equal(st.st_mode & 07777, 0644);
	fd = open(in_dir("large"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, sizeof(b), (1 << 20) - 16), 16);
	close(fd);
	for (unsigned i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0xa5);
	/* BAR2 is SIZE, whatever the file's size. */
	cfg_wr(&devs[1], PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&devs[1], PCI_BASE_ADDRESS_2, 4), 0xffff000c);
	free_devices();
	assert_int_equal(access(in_dir("empty"), F_OK), 0);
	assert_int_equal(access(in_dir("large"), F_OK), 0);
}

/* What changed between the check and the start is refused at create, in
 * one line naming the file, as the user's input (exit status 2). */
static void test_create_refusals(void **state)
{
	struct config_error err = { { 0 } };
	struct capture cap;
	char text[256];
	struct stat st;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 8K\n", in_dir("late"));
	assert_int_equal(load(text, &err), 0);
	make_file(in_dir("late"), 100, 0600, 0x11);
	capture_begin(&cap);
	assert_int_equal(create_all(), -EINVAL);
	capture_end(&cap);
	assert_int_equal(cap.lines, 1);
	assert_non_null(strstr(cap.text, "the file has 100 bytes, fewer than size = 8192"));
	assert_non_null(strstr(cap.text, in_dir("late")));
	assert_true(vm.input_refused);
	/* Left as it was. */
	assert_int_equal(stat(in_dir("late"), &st), 0);
	assert_int_equal(st.st_size, 100);
	free_devices();
	assert_int_equal(access(in_dir("late"), F_OK), 0);

	/* A directory now: refused, named, not a host failure. */
	vm.input_refused = false;
	assert_int_equal(unlink(in_dir("late")), 0);
	assert_int_equal(mkdir(in_dir("late"), 0755), 0);
	capture_begin(&cap);
	assert_true(create_all() < 0);
	capture_end(&cap);
	assert_int_equal(cap.lines, 1);
	assert_non_null(strstr(cap.text, "not a regular file"));
	assert_true(vm.input_refused);
}

/* partvm made the file, then could not make the device (no PCI slot
 * left): the file goes again, before anything else is freed. */
static void test_failed_create_removes_file(void **state)
{
	static struct pci_device fillers[PCI_MAX_SLOTS];
	struct config_error err = { { 0 } };
	struct capture cap;
	char text[256];
	unsigned n = 0;

	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++) {
		pci_device_init(&fillers[n], "filler", 0x1234, 0x5678, 0xff0000, 0);
		assert_int_equal(pci_host_add_device(vm.pci, &fillers[n], (int)s, 0), 0);
		n++;
	}
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 8K\n", in_dir("gone"));
	assert_int_equal(load(text, &err), 0);
	capture_begin(&cap);
	assert_int_equal(create_all(), -EBUSY);
	capture_end(&cap);
	assert_int_equal(cap.lines, 1);
	assert_non_null(strstr(cap.text, "ivshmem0: no PCI slot is free for it (a guest has 31)"));
	assert_int_equal(access(in_dir("gone"), F_OK), -1);
	assert_false(vm.input_refused);
	free_devices();
	for (unsigned i = 0; i < n; i++)
		pci_host_remove_device(vm.pci, &fillers[i]);
}

/* ---- The guest's view: config space and BARs ----------------------------- */

static void test_pci_identity(void **state)
{
	char text[256];
	struct device *d;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 32M\n", in_dir("id"));
	d = make(text);
	assert_int_equal(cfg_rd(d, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(d, PCI_DEVICE_ID, 2), 0x1110);
	/* Class 05 00 00 (RAM memory controller), revision 1. */
	assert_int_equal(cfg_rd(d, PCI_CLASS_REVISION, 4), 0x05000001);
	assert_int_equal(cfg_rd(d, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(d, PCI_SUBSYSTEM_ID, 2), 0x1100);
	assert_int_equal(cfg_rd(d, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	/* No interrupt pin, no capabilities (no MSI-X). */
	assert_int_equal(cfg_rd(d, PCI_INTERRUPT_PIN, 1), 0);
	assert_int_equal(cfg_rd(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(cfg_rd(d, PCI_CAPABILITY_LIST, 1), 0);
	/* The IDs are not the guest's to change. */
	cfg_wr(d, PCI_VENDOR_ID, 4, 0);
	cfg_wr(d, PCI_CLASS_REVISION, 4, 0);
	assert_int_equal(cfg_rd(d, PCI_DEVICE_ID, 2), 0x1110);
	assert_int_equal(cfg_rd(d, PCI_CLASS_REVISION, 4), 0x05000001);
}

static void test_bar_sizing(void **state)
{
	char text[256];
	uint64_t a0, a2;
	struct device *d;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 32M\n", in_dir("bars"));
	d = make(text);
	a0 = bar0(d);
	a2 = bar2(d);
	/* As firmware would: BAR0 in the 32-bit window, BAR2 in the 64-bit
	 * one, each aligned to its size. */
	assert_true(a0 >= LAYOUT_MMIO32_START && a0 < LAYOUT_MMIO32_START + LAYOUT_MMIO32_SIZE);
	assert_true(a2 >= vm.mem.layout.mmio64_base && a2 % (32 << 20) == 0);

	/* BAR0: 256 bytes of 32-bit, non-prefetchable memory. */
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_0, 4) & ~PCI_BASE_ADDRESS_MEM_MASK, 0);
	cfg_wr(d, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_0, 4), 0xffffff00);
	/* BAR1, BAR4, BAR5: not implemented. */
	cfg_wr(d, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	cfg_wr(d, PCI_BASE_ADDRESS_4, 4, 0xffffffff);
	cfg_wr(d, PCI_BASE_ADDRESS_5, 4, 0xffffffff);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_1, 4), 0);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_4, 4), 0);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_5, 4), 0);
	/* BAR2: exactly 32 MiB, 64-bit (type 10b) and prefetchable. */
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_2, 4) & ~PCI_BASE_ADDRESS_MEM_MASK,
			 PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	cfg_wr(d, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	cfg_wr(d, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_2, 4), 0xfe00000c);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_3, 4), 0xffffffff);
	/* The size mask is ~(size - 1) over both halves. */
	assert_int_equal(~((uint64_t)cfg_rd(d, PCI_BASE_ADDRESS_3, 4) << 32 |
			   (cfg_rd(d, PCI_BASE_ADDRESS_2, 4) & PCI_BASE_ADDRESS_MEM_MASK)) + 1,
			 32 << 20);
	/* And back where they were. */
	cfg_wr(d, PCI_BASE_ADDRESS_0, 4, (uint32_t)a0);
	cfg_wr(d, PCI_BASE_ADDRESS_2, 4, (uint32_t)a2);
	cfg_wr(d, PCI_BASE_ADDRESS_3, 4, (uint32_t)(a2 >> 32));
	assert_int_equal(bar0(d), a0);
	assert_int_equal(bar2(d), a2);

	/* A 4 KiB device: the smallest BAR2. */
	free_devices();
	config_free(&cfg);
	config_init(&cfg, board_device_types);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4K\n", in_dir("small"));
	d = make(text);
	cfg_wr(d, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	assert_int_equal(cfg_rd(d, PCI_BASE_ADDRESS_2, 4), 0xfffff00c);
}

/* ---- BAR0: the registers ------------------------------------------------- */

static void test_registers(void **state)
{
	char text[256];
	struct device *d;
	uint64_t v;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4K\n", in_dir("regs"));
	d = make(text);
	/* Not decoded until the guest turns memory decoding on. */
	assert_false(bus_read(&vm.mmio, bar0(d), 4, &v));
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);

	/* Reset values: all 0. */
	for (unsigned off = 0; off < 16; off += 4)
		assert_int_equal(reg_rd(d, off, 4), 0);
	/* Interrupt Mask and Status keep what the guest writes. */
	reg_wr(d, 0, 4, 0xdeadbeef);
	reg_wr(d, 4, 4, 0x12345678);
	assert_int_equal(reg_rd(d, 0, 4), 0xdeadbeef);
	assert_int_equal(reg_rd(d, 4, 4), 0x12345678);
	/* IVPosition reads 0 (no interrupts), whatever is written. */
	reg_wr(d, 8, 4, 0xffffffff);
	assert_int_equal(reg_rd(d, 8, 4), 0);
	/* The doorbell is write-only and rings nothing. */
	reg_wr(d, 12, 4, 0x00010000);
	assert_int_equal(reg_rd(d, 12, 4), 0);
	assert_int_equal(reg_rd(d, 0, 4), 0xdeadbeef);
	assert_int_equal(reg_rd(d, 4, 4), 0x12345678);
	/* Reserved space: reads 0, writes go nowhere. */
	for (unsigned off = 16; off < REGS_SIZE; off += 4)
		reg_wr(d, off, 4, 0xa5a5a5a5);
	for (unsigned off = 16; off < REGS_SIZE; off += 4)
		assert_int_equal(reg_rd(d, off, 4), 0);
	assert_int_equal(reg_rd(d, 0, 4), 0xdeadbeef);
	assert_int_equal(reg_rd(d, 4, 4), 0x12345678);

	/* Partial reads: the register's bytes at their offsets. */
	assert_int_equal(reg_rd(d, 1, 1), 0xbe);
	assert_int_equal(reg_rd(d, 2, 2), 0xdead);
	assert_int_equal(reg_rd(d, 2, 4), 0x5678dead);
	assert_int_equal(reg_rd(d, 0, 8), 0x12345678deadbeefULL);
	assert_int_equal(reg_rd(d, 4, 8), 0x12345678);   /* IVPosition's half reads 0 */
	assert_int_equal(reg_rd(d, 7, 2), 0x12);
	/* Partial writes: only their bytes. */
	reg_wr(d, 5, 1, 0x99);
	assert_int_equal(reg_rd(d, 4, 4), 0x12349978);
	reg_wr(d, 3, 2, 0x4411);
	assert_int_equal(reg_rd(d, 0, 4), 0x11adbeef);
	assert_int_equal(reg_rd(d, 4, 4), 0x12349944);
	/* An 8-byte write over Status and IVPosition: Status takes its half. */
	reg_wr(d, 4, 8, 0xffffffff00000001ULL);
	assert_int_equal(reg_rd(d, 4, 4), 1);
	assert_int_equal(reg_rd(d, 8, 4), 0);

	/* A platform reset: 0 again, and decoding off. */
	pci_host_reset(&vm);
	assert_false(bus_read(&vm.mmio, bar0(d), 4, &v));
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(reg_rd(d, 0, 8), 0);
}

/* Every offset and size a guest can make, against a byte model: reads
 * inside BAR0 return the model's bytes, accesses that leave it are not
 * decoded, and no write past the two registers changes anything. */
static void test_hostile_registers(void **state)
{
	uint8_t model[REGS_SIZE] = { 0 };
	char text[256];
	struct device *d;
	uint64_t base, v, seed = 0x9e3779b97f4a7c15ULL;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4K\n", in_dir("hostile"));
	d = make(text);
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	base = bar0(d);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned off = 0; off < REGS_SIZE + 16; off++) {
			for (unsigned size = 1; size <= 8; size++) {
				bool inside = off + size <= REGS_SIZE;

				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				if ((seed >> 60) & 1) {
					assert_int_equal(bus_write(&vm.mmio, base + off, size, seed), inside);
					for (unsigned i = 0; inside && i < size; i++)
						if (off + i < 8)
							model[off + i] = (uint8_t)(seed >> (8 * i));
					continue;
				}
				v = 0;
				assert_int_equal(bus_read(&vm.mmio, base + off, size, &v), inside);
				if (inside) {
					uint64_t want = 0;

					for (unsigned i = 0; i < size; i++)
						want |= (uint64_t)model[off + i] << (8 * i);
					assert_int_equal(v, want);
				}
			}
		}
	}
	/* The rest of BAR0's page is no register: not decoded. */
	assert_false(bus_read(&vm.mmio, base + REGS_SIZE, 4, &v));
	assert_false(bus_write(&vm.mmio, base + 4096 - 4, 4, 0));
}

/* ---- BAR2: the shared memory in a KVM memory slot ------------------------ */

static void test_bar2_memory_slot(void **state)
{
	struct kvm_userspace_memory_region *m;
	uint8_t pattern[64], back[64];
	char text[256];
	struct device *d;
	uint64_t a2, moved;
	unsigned calls;
	int fd;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 64K\n", in_dir("shared"));
	d = make(text);
	boot();
	assert_int_equal(slot_calls, 0);   /* nothing before the guest enables it */
	a2 = bar2(d);
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);

	/* One slot (the first of this boot): the BAR's address and size, over
	 * the file's pages. */
	assert_int_equal(slot_calls, 1);
	m = &slots[0];
	assert_int_equal(m->guest_phys_addr, a2);
	assert_int_equal(m->memory_size, 64 * 1024);
	assert_int_equal(m->flags, 0);
	assert_true(m->userspace_addr != 0 && m->userspace_addr % 4096 == 0);
	/* What the host writes into the file is what the slot maps, and what
	 * lands in the slot's memory is in the file (MAP_SHARED). */
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	fd = open(in_dir("shared"), O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, pattern, sizeof(pattern), 0x1000), sizeof(pattern));
	assert_memory_equal((uint8_t *)(uintptr_t)m->userspace_addr + 0x1000, pattern,
			    sizeof(pattern));
	memset((uint8_t *)(uintptr_t)m->userspace_addr + 64 * 1024 - 64, 0x3c, 64);
	assert_int_equal(pread(fd, back, sizeof(back), 64 * 1024 - 64), sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0x3c);
	close(fd);

	/* The guest moves the BAR: the slot is deleted and made again there
	 * (KVM cannot move one), over the same pages. */
	moved = a2 + (1ULL << 30);
	calls = slot_calls;
	cfg_wr(d, PCI_BASE_ADDRESS_3, 4, (uint32_t)(moved >> 32));
	cfg_wr(d, PCI_BASE_ADDRESS_2, 4, (uint32_t)moved);
	assert_true(slot_calls > calls);
	assert_int_equal(slots[0].guest_phys_addr, moved);
	assert_int_equal(slots[0].memory_size, 64 * 1024);
	assert_memory_equal((uint8_t *)(uintptr_t)slots[0].userspace_addr + 0x1000, pattern,
			    sizeof(pattern));

	/* Decoding off: the slot is deleted (size 0); on again: back. */
	cfg_wr(d, PCI_COMMAND, 2, 0);
	assert_int_equal(slots[0].memory_size, 0);
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(slots[0].memory_size, 64 * 1024);
	assert_int_equal(slots[0].guest_phys_addr, moved);

	/* The boot ends: once detached the device makes no call on the
	 * boot's VM (its slot goes with the VM fd), not even when the reset
	 * turns decoding off. */
	d->type->detach(d);
	calls = slot_calls;
	pci_host_reset(&vm);
	assert_int_equal(slot_calls, calls);
	vm.kvm.vm_fd = -1;
	/* The next boot: a slot again once the guest enables the BAR. */
	memset(slots, 0, sizeof(slots));
	boot();
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(slots[0].guest_phys_addr, moved);
	assert_int_equal(slots[0].memory_size, 64 * 1024);
}

/* KVM refuses the guest's address (over RAM, say): BAR2 is left
 * undecoded and nothing else changes; a good address later works. */
static void test_bar2_refused(void **state)
{
	char text[256];
	struct device *d;
	uint64_t a2;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 4K\n", in_dir("refused"));
	d = make(text);
	/* Enabled before the VM exists (no slot yet): nothing is mapped and
	 * nothing breaks; BAR0 still decodes. */
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(slot_calls, 0);
	assert_int_equal(reg_rd(d, 0, 4), 0);
	cfg_wr(d, PCI_COMMAND, 2, 0);

	boot();
	a2 = bar2(d);
	refuse_below = 1ULL << 32;
	cfg_wr(d, PCI_BASE_ADDRESS_3, 4, 0);
	cfg_wr(d, PCI_BASE_ADDRESS_2, 4, 0x100000);
	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(slots[0].memory_size, 0);
	assert_int_equal(reg_rd(d, 4, 4), 0);
	/* The guest tries elsewhere. */
	cfg_wr(d, PCI_BASE_ADDRESS_2, 4, (uint32_t)a2);
	cfg_wr(d, PCI_BASE_ADDRESS_3, 4, (uint32_t)(a2 >> 32));
	assert_int_equal(slots[0].guest_phys_addr, a2);
	assert_int_equal(slots[0].memory_size, 4096);
}

/* ---- What it adds -------------------------------------------------------- */

static void test_status(void **state)
{
	struct json_object *st, *devices, *o, *v;
	char text[256], slot[8], at[32];
	struct device *d;

	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 8K\n", in_dir("st"));
	d = make(text);
	boot();
	st = json_object_new_object();
	json_object_object_add(st, "devices", json_object_new_array());
	d->type->status(d, st);
	assert_true(json_object_object_get_ex(st, "devices", &devices));
	assert_int_equal(json_object_array_length(devices), 1);
	o = json_object_array_get_idx(devices, 0);
	assert_true(json_object_object_get_ex(o, "type", &v));
	assert_string_equal(json_object_get_string(v), "ivshmem");
	assert_true(json_object_object_get_ex(o, "path", &v));
	assert_string_equal(json_object_get_string(v), in_dir("st"));
	assert_true(json_object_object_get_ex(o, "size", &v));
	assert_int_equal(json_object_get_int64(v), 8192);
	snprintf(slot, sizeof(slot), "%02x.0", slot_of(d));
	assert_true(json_object_object_get_ex(o, "guest-slot", &v));
	assert_string_equal(json_object_get_string(v), slot);
	/* Not decoded yet: null; then where the guest put it. */
	assert_true(json_object_object_get_ex(o, "guest-address", &v));
	assert_null(v);
	json_object_put(st);

	cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	st = json_object_new_object();
	json_object_object_add(st, "devices", json_object_new_array());
	d->type->status(d, st);
	json_object_object_get_ex(st, "devices", &devices);
	o = json_object_array_get_idx(devices, 0);
	assert_true(json_object_object_get_ex(o, "guest-address", &v));
	snprintf(at, sizeof(at), "0x%llx", (unsigned long long)bar2(d));
	assert_string_equal(json_object_get_string(v), at);
	json_object_put(st);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_accepted),
		T(test_config_refusals),
		T(test_validate_refusals),
		T(test_file_created),
		T(test_never_booted),
		T(test_existing_files),
		T(test_create_refusals),
		T(test_failed_create_removes_file),
		T(test_pci_identity),
		T(test_bar_sizing),
		T(test_registers),
		T(test_hostile_registers),
		T(test_bar2_memory_slot),
		T(test_bar2_refused),
		T(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
