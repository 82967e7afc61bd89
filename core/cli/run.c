// SPDX-License-Identifier: GPL-2.0-only
/* partvm run: boot a partition from a config file and/or options. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/boot/boot.h"
#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/cli/run.h"
#include "core/vm/config.h"
#include "core/vm/stats.h"
#include "core/service/control.h"
#include "core/service/notify.h"
#include "core/util/log.h"
#include "core/board.h"
#include "core/vm/device.h"
#include "core/util/sysfs.h"
#include "core/service/privileges.h"
#include "core/service/run.h"
#include "core/virtio/virtio.h"
#include "core/vm/vm.h"

/* Without --append, a Linux kernel gets a console on the UART. */
#define DEFAULT_LINUX_CMDLINE "console=ttyS0"

enum {
	OPT_NO_REBOOT = 0x100,
	OPT_DEBUG_EXIT,
	OPT_KVM_DEVICE,
	OPT_CPU_AFFINITY,
	OPT_MEMORY_BACKING,
	OPT_MLOCK,
	OPT_NUMA_NODE,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_SECCOMP,
	OPT_STATS,
	OPT_USER,
	OPT_NO_RESTORER,
	OPT_HYPERV,
	OPT_HYPERVISOR_ID,
	OPT_HYPERV_VENDOR_ID,
	OPT_FIRMWARE,
	OPT_DEVICE,               /* + the index of a device type in the board */
};

static const struct option options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "append", required_argument, NULL, 'a' },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "name", required_argument, NULL, 'n' },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "debug-exit", no_argument, NULL, OPT_DEBUG_EXIT },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "cpu-affinity", required_argument, NULL, OPT_CPU_AFFINITY },
	{ "memory-backing", required_argument, NULL, OPT_MEMORY_BACKING },
	{ "mlock", no_argument, NULL, OPT_MLOCK },
	{ "numa-node", required_argument, NULL, OPT_NUMA_NODE },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "user", required_argument, NULL, OPT_USER },
	{ "no-restorer", no_argument, NULL, OPT_NO_RESTORER },
	{ "hyperv", no_argument, NULL, OPT_HYPERV },
	{ "hypervisor-id", required_argument, NULL, OPT_HYPERVISOR_ID },
	{ "hyperv-vendor-id", required_argument, NULL, OPT_HYPERV_VENDOR_ID },
	{ "help", no_argument, NULL, 'h' },
};

/* The fixed options, then one per device type that has one. */
static struct option *all_options(void)
{
	size_t n = ARRAY_SIZE(options), k = 0;
	struct option *o;

	for (size_t i = 0; board_device_types[i]; i++)
		n += board_device_types[i]->option != NULL;
	o = calloc(n + 1, sizeof(*o));
	if (!o)
		return NULL;
	memcpy(o, options, sizeof(options));
	k = ARRAY_SIZE(options);
	for (size_t i = 0; board_device_types[i]; i++)
		if (board_device_types[i]->option)
			o[k++] = (struct option){ board_device_types[i]->option, required_argument, NULL,
						  OPT_DEVICE + (int)i };
	return o;
}

/* "      --vfio BDF[,managed=no]  pass ..." with continuation lines. */
static void print_device_options(void)
{
	for (size_t i = 0; board_device_types[i]; i++) {
		const struct device_type *t = board_device_types[i];
		char head[80];
		const char *h = t->option_help ? t->option_help : "";

		if (!t->option)
			continue;
		snprintf(head, sizeof(head), "      --%s %s", t->option, t->option_arg ? t->option_arg : "ARG");
		if (strlen(head) < 24 && !strchr(h, '\n')) {
			printf("%-24s%s\n", head, h);
			continue;
		}
		printf("%s\n", head);
		while (*h) {
			size_t n = strcspn(h, "\n");

			printf("%24s%.*s\n", "", (int)n, h);
			h += n + (h[n] == '\n');
		}
	}
}

static void print_help(void)
{
	printf("Usage: partvm run [CONFIG] [OPTIONS]\n\n"
	       "Boot a partition. Options override the config file; with no kernel,\n"
	       "the embedded test guest boots.\n\n"
	       "  -k, --kernel FILE     bzImage or PVH ELF (vmlinux) to boot\n"
	       "  -i, --initrd FILE     initial ramdisk\n"
	       "      --firmware FILE   boot a UEFI firmware (edk2's CloudHv platform, built by\n"
	       "                        'make firmware') instead of a kernel\n"
	       "  -a, --append STRING   kernel command line (default: %s)\n"
	       "  -m, --memory SIZE     guest RAM, e.g. 512M or 4G (default 256M, minimum 16M)\n"
	       "  -c, --cpus N          number of vCPUs (default 1)\n"
	       "  -n, --name NAME       partition name (default: the config file's name)\n"
	       "      --no-reboot       exit 0 when the guest reboots, instead of rebooting\n"
	       "      --debug-exit      enable port 0xf4: a write of V exits with (V<<1)|1\n"
	       "      --kvm-device PATH the KVM device (default /dev/kvm)\n"
	       "      --cpu-affinity LIST  pin vCPU i to the i-th host CPU of LIST (2-5, 0,2);\n"
	       "                        partvm's other threads go to the remaining CPUs\n"
	       "      --memory-backing anonymous|hugetlb|hugetlb-1g  guest RAM pages\n"
	       "      --mlock           lock guest RAM in host memory\n"
	       "      --numa-node N     allocate guest RAM on NUMA node N (mbind)\n"
	       "      --shutdown-timeout SECONDS  after SIGTERM's ACPI power button, stop the\n"
	       "                        guest when it has not powered off (default %d; 0: at once)\n"
	       "      --seccomp on|off|log  each thread's system call filter: on (default) stops\n"
	       "                        partvm at a forbidden call, log has the kernel log it\n"
	       "      --user NAME       once the partition is set up and running, go on as NAME:\n"
	       "                        no capabilities, no_new_privs (needs partvm started as root;\n"
	       "                        default: the partvm system user, where there is one)\n"
	       "      --no-restorer     with a user, start no root process to give devices back\n"
	       "                        after partvm ends: the caller does (partvm@.service's\n"
	       "                        ExecStopPost runs `partvm vfio restore`)\n"
	       "      --stats           at exit, print where the guest's time went: time in\n"
	       "                        KVM_RUN, exits by kind and by device with handler time\n"
	       "      --hyperv          Hyper-V enlightenments (KVM's Hyper-V CPUID leaves) on\n"
	       "                        every vCPU, for Windows guests\n"
	       "      --hypervisor-id kvm|hyperv|hide  what CPUID 0x40000000 names: KVM (default),\n"
	       "                        Hyper-V with KVM's leaves at 0x40000100 (default with\n"
	       "                        --hyperv), or no KVM leaves (without --hyperv also no\n"
	       "                        hypervisor bit)\n"
	       "      --hyperv-vendor-id STRING  Hyper-V vendor ID, at most 12 characters\n"
	       "                        (default Microsoft Hv)\n",
	       DEFAULT_LINUX_CMDLINE, CONFIG_DEFAULT_SHUTDOWN_TIMEOUT);
	print_device_options();
	printf("  -h, --help            show this help\n\n"
	       "Console: the guest's COM1 is on stdin/stdout; Ctrl-A x quits.\n"
	       "Control: %s/NAME.sock answers `partvm ctl` and `partvm list`; READY=1 and\n"
	       "STATUS= go to systemd ($NOTIFY_SOCKET). SIGTERM shuts the guest down, SIGINT\n"
	       "stops it at once.\n"
	       "Exit status: 0 guest powered off (or rebooted with --no-reboot), 1 guest\n"
	       "crashed or partvm failed, 2 bad options or config, 69 no usable KVM,\n"
	       "130/143 SIGINT/SIGTERM (143: the guest ignored the power button),\n"
	       "(V<<1)|1 for a debug-exit write of V.\n",
	       partvm_runtime_dir());
}

static int usage(struct config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage(struct config_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int run_parse_args(int argc, char **argv, struct vm_config *cfg, struct config_error *err)
{
	/* Options are applied after the config file, which may come anywhere
	 * on the line: collect them first. */
	const char *kernel = NULL, *initrd = NULL, *append = NULL, *memory = NULL, *firmware = NULL;
	const char *cpus = NULL, *name = NULL, *kvm = NULL;
	const char *affinity = NULL, *backing = NULL, *numa = NULL, *shutdown = NULL, *seccomp = NULL,
		   *user = NULL;
	const char *hypervisor_id = NULL, *hyperv_vendor_id = NULL;
	bool no_reboot = false, debug_exit = false, mlock = false, hyperv = false;
	/* Device options, in the order given: (board index, argument). */
	_cleanup_free_ const char **dev_arg = calloc(argc + 1, sizeof(*dev_arg));
	_cleanup_free_ int *dev_type = calloc(argc + 1, sizeof(*dev_type));
	_cleanup_free_ struct option *opts = all_options();
	size_t ndev = 0;
	const char *why = NULL;
	int opt, r;

	if (!dev_arg || !dev_type || !opts)
		return -ENOMEM;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:a:m:c:n:h", opts, NULL)) != -1) {
		if (opt >= OPT_DEVICE) {
			dev_type[ndev] = opt - OPT_DEVICE;
			dev_arg[ndev++] = optarg;
			continue;
		}
		switch (opt) {
		case 'k': kernel = optarg; break;
		case 'i': initrd = optarg; break;
		case OPT_FIRMWARE: firmware = optarg; break;
		case 'a': append = optarg; break;
		case 'm': memory = optarg; break;
		case 'c': cpus = optarg; break;
		case 'n': name = optarg; break;
		case OPT_NO_REBOOT: no_reboot = true; break;
		case OPT_DEBUG_EXIT: debug_exit = true; break;
		case OPT_KVM_DEVICE: kvm = optarg; break;
		case OPT_CPU_AFFINITY: affinity = optarg; break;
		case OPT_MEMORY_BACKING: backing = optarg; break;
		case OPT_MLOCK: mlock = true; break;
		case OPT_NUMA_NODE: numa = optarg; break;
		case OPT_SHUTDOWN_TIMEOUT: shutdown = optarg; break;
		case OPT_SECCOMP: seccomp = optarg; break;
		case OPT_STATS: cfg->stats = true; break;
		case OPT_USER: user = optarg; break;
		case OPT_NO_RESTORER: cfg->no_restorer = true; break;
		case OPT_HYPERV: hyperv = true; break;
		case OPT_HYPERVISOR_ID: hypervisor_id = optarg; break;
		case OPT_HYPERV_VENDOR_ID: hyperv_vendor_id = optarg; break;
		case 'h': return 1;
		case ':': return usage(err, "option '%s' needs a value", argv[optind - 1]);
		default: return usage(err, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage(err, "unexpected argument '%s' (one config file at most)", argv[optind + 1]);
	if (argc - optind == 1) {
		r = config_load(cfg, argv[optind], err);
		if (r < 0)
			return r;
	}

	if (kernel) {
		r = config_set_string(&cfg->kernel, kernel);
		cfg->kernel_line = 0;
		if (r < 0)
			return r;
	}
	if (initrd) {
		r = config_set_string(&cfg->initrd, initrd);
		cfg->initrd_line = 0;
		if (r < 0)
			return r;
	}
	if (firmware) {
		r = config_set_string(&cfg->firmware, firmware);
		cfg->firmware_line = 0;
		if (r < 0)
			return r;
	}
	if (append) {
		r = config_set_string(&cfg->cmdline, append);
		cfg->cmdline_line = 0;
		if (r < 0)
			return r;
	}
	if (memory && config_set_memory(cfg, memory, &why) < 0)
		return usage(err, "--memory %s: %s", memory, why);
	if (cpus && config_set_cpus(cfg, cpus, &why) < 0)
		return usage(err, "--cpus %s: %s", cpus, why);
	if (name && (r = config_set_string(&cfg->name, name)) < 0)
		return r;
	if (kvm && (r = config_set_string(&cfg->kvm_device, kvm)) < 0)
		return r;
	for (size_t i = 0; i < ndev; i++) {
		const struct device_type *t = board_device_types[dev_type[i]];

		r = config_add_option(cfg, t, dev_arg[i], &why);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return usage(err, "--%s %s: %s", t->option, dev_arg[i], why);
	}
	if (affinity) {
		if ((r = config_set_cpu_affinity(cfg, affinity, &why)) < 0)
			return r == -ENOMEM ? r : usage(err, "--cpu-affinity %s: %s", affinity, why);
		cfg->cpu_affinity_line = 0;
	}
	if (backing) {
		if (config_set_memory_backing(cfg, backing, &why) < 0)
			return usage(err, "--memory-backing %s: %s", backing, why);
		cfg->memory_backing_line = 0;
	}
	if (numa && config_set_numa_node(cfg, numa, &why) < 0)
		return usage(err, "--numa-node %s: %s", numa, why);
	if (shutdown && config_set_shutdown_timeout(cfg, shutdown, &why) < 0)
		return usage(err, "--shutdown-timeout %s: %s", shutdown, why);
	if (seccomp && sandbox_parse_mode(seccomp, &cfg->seccomp) < 0)
		return usage(err, "--seccomp %s: expected on, off or log", seccomp);
	if (user && (r = config_set_user(cfg, user)) < 0) {
		if (r == -ENOENT)
			return usage(err, "--user %s: no such user on this host", user);
		return r;
	}
	if (hypervisor_id) {
		if (config_set_hypervisor_id(cfg, hypervisor_id, &why) < 0)
			return usage(err, "--hypervisor-id %s: %s", hypervisor_id, why);
		cfg->hypervisor_id_line = 0;
	}
	if (hyperv_vendor_id) {
		if ((r = config_set_hyperv_vendor_id(cfg, hyperv_vendor_id, &why)) < 0)
			return r == -ENOMEM ? r : usage(err, "--hyperv-vendor-id %s: %s", hyperv_vendor_id, why);
		cfg->hyperv_vendor_id_line = 0;
	}
	cfg->no_reboot |= no_reboot;
	cfg->debug_exit |= debug_exit;
	cfg->mlock |= mlock;
	cfg->hyperv |= hyperv;

	/* The embedded test guest always reports through port 0xf4. */
	if (!cfg->kernel && !cfg->firmware)
		cfg->debug_exit = true;
	else if (cfg->kernel && !cfg->cmdline && (r = config_set_string(&cfg->cmdline, DEFAULT_LINUX_CMDLINE)) < 0)
		return r;
	r = config_set_default_name(cfg);
	if (r < 0)
		return r;
	/* The guest's systemd reports over vsock (the vmm.notify_socket
	 * credential names partvm's end of it). */
	if (cfg->ready_on_guest && !device_conf_count(cfg, &virtio_vsock_device_type)) {
		snprintf(err->msg, sizeof(err->msg), "%s%sready-on = guest needs a [vsock] device (the "
			 "guest's systemd sends its READY=1 over it)", cfg->path ? cfg->path : "",
			 cfg->path ? ": " : "");
		return -EINVAL;
	}
	return config_validate(cfg, err);
}

static bool partition_running(const char *name)
{
	int fd;

	if (!control_name_valid(name) || control_connect(partvm_runtime_dir(), name, &fd) < 0)
		return false;
	close(fd);
	return true;
}

int cli_run(int argc, char **argv)
{
	struct config_error err = { { 0 } };
	struct vm_config cfg;
	struct vm vm;
	sigset_t sigs;
	int r, status;

	config_init(&cfg, board_device_types);
	cfg.started_ns = stats_now_ns();
	r = run_parse_args(argc, argv, &cfg, &err);
	if (r == 1) {
		print_help();
		config_free(&cfg);
		return EXIT_OK;
	}
	if (r < 0) {
		if (r == -ENOMEM)
			log_error("run: out of memory");
		else
			log_error("%s", err.msg);
		config_free(&cfg);
		return EXIT_USAGE;
	}

	if ((cfg.kernel && boot_check_kernel(cfg.kernel, cfg.memory) < 0) ||
	    (cfg.firmware && boot_check_firmware(cfg.firmware, cfg.memory) < 0)) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	char why[256];
	if (notify_init(why, sizeof(why)) < 0) {
		log_error("run: NOTIFY_SOCKET is set, but %s cannot be loaded (%s): the service "
			  "manager would never hear that the partition is ready", NOTIFY_LIBSYSTEMD, why);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	/* From here on SIGINT/SIGTERM/SIGHUP wait for the VM's event loop, so
	 * that one arriving while host devices are being bound still ends in
	 * vm_destroy(), which gives them back. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	/* Before anything is taken from the host (RAM, devices): a name that
	 * already answers on its control socket is running. The socket's
	 * creation in service_run() settles a race between two starts. */
	if (partition_running(cfg.name)) {
		log_error("partition %s is already running (%s/%s.sock answers); stop it first or "
			  "choose another name", cfg.name, partvm_runtime_dir(), cfg.name);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	if (privileges_check(&cfg) < 0) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	if (devices_preflight(&cfg, &err) < 0) {
		/* A refusal about the input (an image in use) is said here;
		 * the others were logged by the device. */
		if (err.msg[0])
			log_error("%s", err.msg);
		config_free(&cfg);
		return err.msg[0] ? EXIT_USAGE : EXIT_FAIL;
	}
	r = vm_create(&vm, &cfg);
	if (r < 0) {
		status = r == -ENODEV ? EXIT_NOKVM : vm.input_refused ? EXIT_USAGE : EXIT_FAIL;
		vm_destroy(&vm);
		config_free(&cfg);
		return status;
	}
	status = service_run(&vm);
	if (cfg.stats) {
		_cleanup_free_ char *text = vm_stats_report(&vm, 15);

		if (text)
			fputs(text, stderr);
	}
	vm_destroy(&vm);
	config_free(&cfg);
	return status;
}
