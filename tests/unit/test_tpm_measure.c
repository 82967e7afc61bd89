// SPDX-License-Identifier: GPL-2.0-only
// LDFLAGS: -lcrypto
/*
 * What partvm measures for a configuration, and so what `partvm tpm
 * predict` reports: the events in log order, the PCR1 platform text, PCR8
 * over the exact command line (including run's default one), PCR9 over the
 * kernel and initrd files, with every PCR checked against values computed
 * independently (Python's hashlib for 1, 8, 9; OpenSSL's EVP directly for
 * PCR0, which carries the build's version).
 */
#include <errno.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/board.h"
#include "core/tpm/vtpm.h"
#include "core/vm/device.h"
#include "vfio/internal.h"
#include "core/boot/boot.h"
#include "core/cli/run.h"
#include "core/vm/config.h"
#include "core/tpm/measure.h"
#include "core/tpm/platform.h"
#include "core/vm/vm.h"

static const struct tpm_banks banks = { 2, { TPM_ALG_SHA1, TPM_ALG_SHA256 } };

struct files {
	char dir[64], kernel[96], initrd[96];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	static struct files f;

	strcpy(f.dir, "/tmp/partvm-test-measure.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.kernel, sizeof(f.kernel), "%s/vmlinuz", f.dir);
	snprintf(f.initrd, sizeof(f.initrd), "%s/initrd", f.dir);
	write_file(f.kernel, "kernel image bytes\n");
	write_file(f.initrd, "initrd bytes\n");
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct files *f = *state;

	unlink(f->kernel);
	unlink(f->initrd);
	rmdir(f->dir);
	return 0;
}

static void replay_hex(const struct tpm_measurements *m, unsigned bank, uint32_t pcr, char *hex)
{
	uint8_t v[TPM_MAX_DIGEST];
	unsigned size = tpm_alg_size(banks.alg[bank]);

	assert_int_equal(tpm_eventlog_replay(m->ev, m->n, bank, banks.alg[bank], pcr, v), 0);
	for (unsigned i = 0; i < size; i++)
		sprintf(hex + 2 * i, "%02x", v[i]);
}

static void check_pcr(const struct tpm_measurements *m, uint32_t pcr, const char *sha1,
		      const char *sha256)
{
	char hex[2 * TPM_MAX_DIGEST + 1];

	replay_hex(m, 0, pcr, hex);
	assert_string_equal(hex, sha1);
	replay_hex(m, 1, pcr, hex);
	assert_string_equal(hex, sha256);
}

static void config(struct vm_config *c, const struct files *f, const char *cmdline)
{
	config_init(c, board_device_types);
	c->cpus = 2;
	c->memory = 512ULL << 20;
	assert_int_equal(config_set_string(&c->kernel, f->kernel), 0);
	assert_int_equal(config_set_string(&c->initrd, f->initrd), 0);
	if (cmdline)
		assert_int_equal(config_set_string(&c->cmdline, cmdline), 0);
}

static void test_events(void **state)
{
	static const uint32_t pcr[] = { 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9 };
	static const uint32_t type[] = {
		EV_S_CRTM_VERSION, EV_PLATFORM_CONFIG_FLAGS, EV_SEPARATOR, EV_SEPARATOR,
		EV_SEPARATOR, EV_SEPARATOR, EV_SEPARATOR, EV_SEPARATOR, EV_SEPARATOR,
		EV_SEPARATOR, EV_IPL, EV_IPL, EV_IPL,
	};
	struct files *f = *state;
	struct tpm_measurements m;
	struct vm_config c;
	const char *file;
	char kernel_data[128];

	config(&c, f, "console=ttyS0 quiet");
	assert_int_equal(tpm_measure_boot(&c, NULL, NULL, &banks, &m, &file), 0);
	assert_int_equal(m.n, 13);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(m.ev[i].pcr, pcr[i]);
		assert_int_equal(m.ev[i].type, type[i]);
	}
	assert_int_equal(m.ev[2].len, 4);
	assert_memory_equal(m.ev[2].data, "\0\0\0\0", 4);
	assert_string_equal((const char *)m.ev[10].data, "kernel_cmdline: console=ttyS0 quiet");
	assert_int_equal(m.ev[10].len, strlen("kernel_cmdline: console=ttyS0 quiet") + 1);
	snprintf(kernel_data, sizeof(kernel_data), "kernel: %s", f->kernel);
	assert_string_equal((const char *)m.ev[11].data, kernel_data);
	assert_int_equal(m.ev[1].len, strlen("partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"));
	assert_memory_equal(m.ev[1].data, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n",
			    m.ev[1].len);

	check_pcr(&m, 1, "577293d841767d9bb681e801f6a2d0cc553a9d1f",
		  "0fd20eee5ccd714f2b767f410e12d41bfab161e66deb7eea15358b61e016a0a4");
	check_pcr(&m, 2, "b2a83b0ebf2f8374299a5b2bdfc31ea955ad7236",
		  "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969");
	check_pcr(&m, 8, "ce711a241860c3293024f2ca22f3d7663ebce046",
		  "8af7b62bf3b26e74abea241b83a5a96a2926e71903e4aec063721f74102573b3");
	check_pcr(&m, 9, "9320ea979cd62272b4cf0287cb509bdf59960801",
		  "395d156197525b772196d7588b646e9dc23ae62eeb7ca26621d35cf58982d42b");
	tpm_measurements_free(&m);
	config_free(&c);
}

/* PCR0: H(H(0 || H(UCS-2 "partvm VERSION\0")) || H(separator)), worked
 * out here with OpenSSL directly. The version is the one the measuring
 * object was built with (make does not rebuild objects for a new commit). */
static void test_crtm_version(void **state)
{
	size_t vlen = strlen(tpm_crtm_version) + 1;
	struct files *f = *state;
	struct tpm_measurements m;
	struct vm_config c;
	const char *file;
	uint8_t ucs2[256] = { 0 }, pcr[64] = { 0 }, buf[128], d[64];
	char want[65], got[65];
	unsigned len;

	assert_true(vlen * 2 <= sizeof(ucs2));
	assert_memory_equal(tpm_crtm_version, "partvm ", 7);
	for (size_t i = 0; i < vlen; i++)
		ucs2[2 * i] = (uint8_t)tpm_crtm_version[i];
	EVP_Digest(ucs2, 2 * vlen, d, &len, EVP_sha256(), NULL);
	memcpy(buf, pcr, 32);
	memcpy(buf + 32, d, 32);
	EVP_Digest(buf, 64, pcr, &len, EVP_sha256(), NULL);
	EVP_Digest("\0\0\0\0", 4, d, &len, EVP_sha256(), NULL);
	memcpy(buf, pcr, 32);
	memcpy(buf + 32, d, 32);
	EVP_Digest(buf, 64, pcr, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		sprintf(want + 2 * i, "%02x", pcr[i]);

	config(&c, f, NULL);
	assert_int_equal(tpm_measure_boot(&c, NULL, NULL, &banks, &m, &file), 0);
	assert_int_equal(m.ev[0].len, 2 * vlen);
	assert_memory_equal(m.ev[0].data, ucs2, 2 * vlen);
	replay_hex(&m, 1, 0, got);
	assert_string_equal(got, want);
	tpm_measurements_free(&m);
	config_free(&c);
}

/* predict and run parse the same options: run's default command line is
 * what gets measured when none is given. */
static void test_run_options(void **state)
{
	struct files *f = *state;
	struct config_error err;
	struct tpm_measurements m;
	struct vm_config c;
	const char *file;
	char *argv[] = { "predict", "--kernel", f->kernel, "--cpus", "2", "--memory", "512M",
			 NULL };

	config_init(&c, board_device_types);
	assert_int_equal(run_parse_args(7, argv, &c, &err), 0);
	assert_int_equal(tpm_measure_boot(&c, NULL, NULL, &banks, &m, &file), 0);
	check_pcr(&m, 8, "3c731182a3820dd639dafc10b588ed3ed8444daf",
		  "bbe217b39b278e40dedc042037694bc2a513d9648088146a50b7c2d9c7c6c491");
	/* No initrd: PCR9 has the kernel alone. */
	check_pcr(&m, 9, "69c651b2c91454146fa3ad3bf51d4997ea4aaf79",
		  "3185a7d41d4bf2b6c34ac76aad653109216eb857756349fb34db7c49e1f0ad61");
	assert_int_equal(m.n, 12);
	tpm_measurements_free(&m);
	config_free(&c);
}

static void test_config_file(void **state)
{
	struct files *f = *state;
	struct config_error err;
	struct vm_config c;
	char conf[160], text[512];

	snprintf(conf, sizeof(conf), "%s/p.conf", f->dir);
	snprintf(text, sizeof(text),
		 "[partition]\ncpus = 2\n[boot]\nkernel = vmlinuz\n[tpm]\nstate = tpm-state\n");
	write_file(conf, text);
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, conf, &err), 0);
	/* Relative to the config file, with the line remembered for errors. */
	snprintf(text, sizeof(text), "%s/tpm-state", f->dir);
	assert_string_equal(vtpm_state_dir(&c), text);
	assert_int_equal(device_conf_nth(&c, &vtpm_device_type, 0)->line, 5);
	config_free(&c);

	write_file(conf, "[tpm]\nstate =\n");
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "p.conf:2: state = '': empty path"));
	config_free(&c);
	write_file(conf, "[tpm]\nbanks = sha1\n");
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown key 'banks' in [tpm]"));
	config_free(&c);
	unlink(conf);
}

static void test_unreadable_file(void **state)
{
	struct files *f = *state;
	struct tpm_measurements m;
	struct vm_config c;
	const char *file = NULL;
	char missing[128];

	config(&c, f, NULL);
	snprintf(missing, sizeof(missing), "%s/gone", f->dir);
	assert_int_equal(config_set_string(&c.initrd, missing), 0);
	assert_int_equal(tpm_measure_boot(&c, NULL, NULL, &banks, &m, &file), -ENOENT);
	assert_string_equal(file, missing);
	assert_null(m.platform);
	config_free(&c);
}

static void test_embedded_guest(void **state)
{
	struct tpm_measurements m;
	struct vm_config c;
	const char *file;
	uint8_t d[32], pcr[64] = { 0 }, got[64];
	unsigned len;

	(void)state;
	config_init(&c, board_device_types);
	assert_int_equal(tpm_measure_boot(&c, NULL, NULL, &banks, &m, &file), 0);
	/* The kernel is the test guest carried inside partvm; no cmdline. */
	EVP_Digest(testguest_elf_start, (size_t)(testguest_elf_end - testguest_elf_start), d, &len,
		   EVP_sha256(), NULL);
	memcpy(pcr + 32, d, 32);
	EVP_Digest(pcr, 64, d, &len, EVP_sha256(), NULL);
	assert_int_equal(tpm_eventlog_replay(m.ev, m.n, 1, TPM_ALG_SHA256, 9, got), 0);
	assert_memory_equal(got, d, 32);
	assert_string_equal((const char *)m.ev[10].data, "kernel_cmdline: ");
	assert_string_equal((const char *)m.ev[11].data, "kernel: embedded test guest");
	tpm_measurements_free(&m);
	config_free(&c);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* PCR 9's value for two files' bytes, SHA-256 bank. */
static void pcr9_of(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
	uint8_t pcr[64] = { 0 };
	unsigned len;

	EVP_Digest(a, alen, pcr + 32, &len, EVP_sha256(), NULL);
	EVP_Digest(pcr, 64, pcr, &len, EVP_sha256(), NULL);
	EVP_Digest(b, blen, pcr + 32, &len, EVP_sha256(), NULL);
	EVP_Digest(pcr, 64, out, &len, EVP_sha256(), NULL);
}

/*
 * Issue 18, defect 2: a boot measures the bytes it loaded. The kernel and
 * initrd are replaced on disk after boot_load() and before the vTPM
 * measures (the window the old code reopened the files in): PCR 9 still
 * holds the loaded bytes, the initrd as it sits in guest RAM, while a
 * prediction reads the new files.
 */
static void test_measures_loaded_bytes(void **state)
{
	struct files *f = *state;
	size_t klen = (size_t)(testguest_elf_end - testguest_elf_start);
	static uint8_t initrd_a[65536], initrd_b[65536];
	uint8_t *kernel_b, want[32], got[32];
	struct tpm_measurements m;
	struct boot_entry e;
	struct vm_config c;
	struct vm vm;
	const char *file;

	memset(initrd_a, 'a', sizeof(initrd_a));
	memset(initrd_b, 'b', sizeof(initrd_b));
	kernel_b = malloc(klen + 1);
	assert_non_null(kernel_b);
	memcpy(kernel_b, testguest_elf_start, klen);
	kernel_b[klen] = 0x90;                /* a bootable kernel, one byte longer */
	write_bytes(f->kernel, testguest_elf_start, klen);
	write_bytes(f->initrd, initrd_a, sizeof(initrd_a));
	config(&c, f, "console=ttyS0");
	c.memory = 64ULL << 20;
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &c;
	vm.keep_loaded = true;
	assert_int_equal(memory_map(&vm.mem, c.memory, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(boot_load(&vm, &e), 0);
	assert_int_equal(vm.loaded.kernel_len, klen);
	assert_int_equal(vm.loaded.initrd_len, sizeof(initrd_a));

	write_bytes(f->kernel, kernel_b, klen + 1);
	write_bytes(f->initrd, initrd_b, sizeof(initrd_b));

	assert_int_equal(tpm_measure_boot(&c, NULL, &vm.loaded, &banks, &m, &file), 0);
	pcr9_of(testguest_elf_start, klen, initrd_a, sizeof(initrd_a), want);
	assert_int_equal(tpm_eventlog_replay(m.ev, m.n, 1, TPM_ALG_SHA256, 9, got), 0);
	assert_memory_equal(got, want, 32);
	tpm_measurements_free(&m);

	/* What the files are now: a prediction for the next boot. */
	assert_int_equal(tpm_measure_boot(&c, NULL, NULL, &banks, &m, &file), 0);
	pcr9_of(kernel_b, klen + 1, initrd_b, sizeof(initrd_b), want);
	assert_int_equal(tpm_eventlog_replay(m.ev, m.n, 1, TPM_ALG_SHA256, 9, got), 0);
	assert_memory_equal(got, want, 32);
	tpm_measurements_free(&m);

	/* Without a vTPM nothing is kept past the boot. */
	vm.keep_loaded = false;
	assert_int_equal(boot_load(&vm, &e), 0);
	assert_null(vm.loaded.kernel_buf);
	assert_null(vm.loaded.kernel);
	boot_loaded_free(&vm.loaded);
	memory_unmap(&vm.mem);
	free(kernel_b);
	config_free(&c);
}

static void test_platform_devices(void **state)
{
	struct files *f = *state;
	static const char devices[] = "pci 0000:03:00.0 8086:10ca\npci 0000:00:12.2 8086:10ca\n";
	uint16_t vendor, device;
	struct tpm_measurements m;
	struct vm_config c;
	const char *file;
	char path[256], *text = NULL;

	/* A fake sysfs with two functions. */
	snprintf(path, sizeof(path), "mkdir -p %s/sys/bus/pci/devices/0000:03:00.0 "
		 "%s/sys/bus/pci/devices/0000:00:12.2", f->dir, f->dir);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.0/vendor", f->dir);
	write_file(path, "0x8086\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.0/device", f->dir);
	write_file(path, "0x10ca\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:12.2/vendor", f->dir);
	write_file(path, "0x8086\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:12.2/device", f->dir);
	write_file(path, "0x10ca\n");

	assert_int_equal(vfio_read_ids(f->dir, "0000:03:00.0", &vendor, &device), 0);
	assert_int_equal(vendor, 0x8086);
	assert_int_equal(device, 0x10ca);
	assert_int_equal(vfio_read_ids(f->dir, "0000:00:12.2", &vendor, &device), 0);
	assert_int_equal(vfio_read_ids(f->dir, "0000:04:00.0", &vendor, &device) < 0, 1);
	/* Malformed addresses never reach the file system. */
	assert_int_equal(vfio_read_ids(f->dir, "../../../etc", &vendor, &device), -EINVAL);
	assert_int_equal(vfio_read_ids(f->dir, "0000:03:00.8", &vendor, &device), -EINVAL);
	assert_int_equal(vfio_read_ids(f->dir, "0000:03:20.0", &vendor, &device), -EINVAL);
	assert_int_equal(vfio_read_ids(f->dir, "0000:0A:00.0", &vendor, &device), -EINVAL);
	assert_int_equal(vfio_read_ids(f->dir, "03:00.0", &vendor, &device), -EINVAL);

	config(&c, f, NULL);
	assert_int_equal(tpm_platform_text(&c, devices, &text),
			 (int)strlen("partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"
				     "pci 0000:03:00.0 8086:10ca\npci 0000:00:12.2 8086:10ca\n"));
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"
				  "pci 0000:03:00.0 8086:10ca\npci 0000:00:12.2 8086:10ca\n");
	free(text);
	assert_int_equal(tpm_measure_boot(&c, devices, NULL, &banks, &m, &file), 0);
	check_pcr(&m, 1, "b59593b82838acb29c2fe169082e8d20a42e91c3",
		  "8e8d0eae2db6d205557cf86e08c54714cf3ec52bc0ca6b1eb9497c7b7f7e62c8");
	tpm_measurements_free(&m);
	config_free(&c);
	snprintf(path, sizeof(path), "rm -rf %s/sys", f->dir);
	assert_int_equal(system(path), 0);
}

/* What a partition's config passes through, as PCR 1 lists it: [vfio]
 * devices by address, pools by name, PF and their VFs' IDs, so that the
 * prediction does not depend on which VF a pool hands out. */
static void test_platform_devices_from_config(void **state)
{
	struct files *f = *state;
	struct config_error err = { { 0 } };
	struct vm_config c;
	char path[512], e[256], *text = NULL, *dev = NULL;

	snprintf(path, sizeof(path), "mkdir -p %s/sys/bus/pci/devices/0000:03:00.0 "
		 "%s/sys/bus/pci/devices/0000:00:02.0", f->dir, f->dir);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.0/vendor", f->dir);
	write_file(path, "0x1234\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.0/device", f->dir);
	write_file(path, "0x11e8\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0/vendor", f->dir);
	write_file(path, "0x8086\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0/device", f->dir);
	write_file(path, "0x10c9\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0/sriov_vf_device", f->dir);
	write_file(path, "10ca\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0/sriov_totalvfs", f->dir);
	write_file(path, "7\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0/sriov_numvfs", f->dir);
	write_file(path, "2\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0/sriov_drivers_autoprobe", f->dir);
	write_file(path, "1\n");

	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "p.conf",
					    "[partition]\ncpus = 2\nmemory = 512M\n"
					    "[vfio]\ndevice = 03:00.0\n"
					    "[sriov \"uplink\"]\npf = 0000:00:02.0\nvlan = 5\n", &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(tpm_platform_devices(f->dir, &c, &dev, e, sizeof(e)), 0);
	assert_int_equal(tpm_platform_text(&c, dev, &text) > 0, 1);
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"
				  "pci 0000:03:00.0 1234:11e8\n"
				  "sriov-pool uplink 0000:00:02.0 8086:10ca\n");
	free(text);
	free(dev);
	config_free(&c);

	/* A device that is not there is named. */
	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "p.conf", "[vfio]\ndevice = 0000:07:00.0\n", &err), 0);
	dev = NULL;
	assert_int_equal(tpm_platform_devices(f->dir, &c, &dev, e, sizeof(e)), -ENOENT);
	assert_string_equal(e, "PCI device 0000:07:00.0: No such file or directory");
	assert_null(dev);
	config_free(&c);
	snprintf(path, sizeof(path), "rm -rf %s/sys", f->dir);
	assert_int_equal(system(path), 0);
}

/* The virtio devices are in PCR 1 as the guest sees them: a disk by its
 * capacity, mode and serial (not its host path), the RNG with its rate,
 * the virtio console. Another image of the same size is the same disk. */
static void test_platform_virtio(void **state)
{
	struct files *f = *state;
	struct config_error err = { { 0 } };
	struct vm_config c;
	char conf[2048], img[512], img2[512], e[256], *text = NULL, *dev = NULL;
	const char *want = "partvm-platform 1\ncpus 1\nmemory 268435456\ntpm crb\n"
			   "virtio-blk 1af4:1042 capacity=1073741824 readonly=0 serial=root-1\n"
			   "virtio-blk 1af4:1042 capacity=1048576 readonly=1 serial=-\n"
			   "virtio-rng 1af4:1044 rate=4096\n"
			   "virtio-console 1af4:1043\n";

	snprintf(img, sizeof(img), "%s/root.img", f->dir);
	snprintf(img2, sizeof(img2), "%s/small.img", f->dir);
	write_file(img, "");
	write_file(img2, "");
	assert_int_equal(truncate(img, 1 << 30), 0);
	assert_int_equal(truncate(img2, 1 << 20), 0);
	for (int moved = 0; moved < 2; moved++) {
		if (moved) {
			char to[512];

			snprintf(to, sizeof(to), "%s/moved.img", f->dir);
			assert_int_equal(rename(img, to), 0);
			snprintf(img, sizeof(img), "%s", to);
		}
		snprintf(conf, sizeof(conf),
			 "[partition]\ncpus = 1\nmemory = 256M\n"
			 "[disk]\npath = %s\nserial = root-1\n"
			 "[disk]\npath = %s\nreadonly = yes\n"
			 "[rng]\nrate = 4K\n[console]\ndevice = virtio\n", img, img2);
		config_init(&c, board_device_types);
		assert_int_equal(config_load_string(&c, "p.conf", conf, &err), 0);
		assert_string_equal(err.msg, "");
		dev = NULL;
		assert_int_equal(tpm_platform_devices(f->dir, &c, &dev, e, sizeof(e)), 0);
		assert_int_equal(tpm_platform_text(&c, dev, &text) > 0, 1);
		assert_string_equal(text, want);
		free(text);
		free(dev);
		config_free(&c);
	}
	/* A disk that is not there is named, and nothing is measured. */
	config_init(&c, board_device_types);
	snprintf(conf, sizeof(conf), "[disk]\npath = %s/gone.img\n", f->dir);
	assert_int_equal(config_load_string(&c, "p.conf", conf, &err), 0);
	dev = NULL;
	assert_true(tpm_platform_devices(f->dir, &c, &dev, e, sizeof(e)) < 0);
	if (!strstr(e, "gone.img"))
		fail_msg("want the disk named in '%s'", e);
	assert_null(dev);
	config_free(&c);
}

/* The hypervisor keys change what the guest's CPUID says, so PCR 1 has
 * them: one line after the TPM's when set, none (the text of before)
 * when not. */
static void test_platform_hypervisor(void **state)
{
	struct files *f = *state;
	struct vm_config c;
	char *text = NULL;

	config(&c, f, NULL);
	assert_int_equal(tpm_platform_text(&c, "", &text) > 0, 1);
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n");
	free(text);
	c.hypervisor_id = KVM_HYPERVISOR_ID_KVM;
	assert_int_equal(tpm_platform_text(&c, "", &text) > 0, 1);
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n");
	free(text);
	c.hypervisor_id = KVM_HYPERVISOR_ID_HIDE;
	assert_int_equal(tpm_platform_text(&c, "pci 0000:03:00.0 8086:10ca\n", &text) > 0, 1);
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"
				  "cpuid hypervisor-id=hide hyperv=0\npci 0000:03:00.0 8086:10ca\n");
	free(text);
	c.hyperv = true;
	c.hypervisor_id = KVM_HYPERVISOR_ID_DEFAULT;
	assert_int_equal(tpm_platform_text(&c, "", &text) > 0, 1);
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"
				  "cpuid hypervisor-id=hyperv hyperv=1 vendor-id=Microsoft Hv\n");
	free(text);
	assert_int_equal(config_set_string(&c.hyperv_vendor_id, "AuthenticHv"), 0);
	c.hypervisor_id = KVM_HYPERVISOR_ID_HIDE;
	assert_int_equal(tpm_platform_text(&c, "", &text) > 0, 1);
	assert_string_equal(text, "partvm-platform 1\ncpus 2\nmemory 536870912\ntpm crb\n"
				  "cpuid hypervisor-id=hide hyperv=1 vendor-id=AuthenticHv\n");
	free(text);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_platform_hypervisor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crtm_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
		cmocka_unit_test(test_embedded_guest),
		cmocka_unit_test_setup_teardown(test_measures_loaded_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_devices_from_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_virtio, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
