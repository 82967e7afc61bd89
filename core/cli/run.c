// SPDX-License-Identifier: GPL-2.0-only
/* partvm run: boot a partition from a config file and/or options. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot/boot.h"
#include "core/cleanup.h"
#include "core/cli/cli.h"
#include "core/cli/run.h"
#include "core/config.h"
#include "core/log.h"
#include "core/tpm/vtpm.h"
#include "core/vm.h"

/* Without --append, a Linux kernel gets a console on the UART. */
#define DEFAULT_LINUX_CMDLINE "console=ttyS0"

enum {
	OPT_NO_REBOOT = 0x100,
	OPT_DEBUG_EXIT,
	OPT_KVM_DEVICE,
	OPT_VFIO,
	OPT_TPM,
};

static const struct option options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "append", required_argument, NULL, 'a' },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "name", required_argument, NULL, 'n' },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "debug-exit", no_argument, NULL, OPT_DEBUG_EXIT },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "vfio", required_argument, NULL, OPT_VFIO },
	{ "tpm", required_argument, NULL, OPT_TPM },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_help(void)
{
	printf("Usage: partvm run [CONFIG] [OPTIONS]\n\n"
	       "Boot a partition. Options override the config file; with no kernel,\n"
	       "the embedded test guest boots.\n\n"
	       "  -k, --kernel FILE     bzImage or PVH ELF (vmlinux) to boot\n"
	       "  -i, --initrd FILE     initial ramdisk\n"
	       "  -a, --append STRING   kernel command line (default: %s)\n"
	       "  -m, --memory SIZE     guest RAM, e.g. 512M or 4G (default 256M, minimum 16M)\n"
	       "  -c, --cpus N          number of vCPUs (default 1)\n"
	       "  -n, --name NAME       partition name (default: the config file's name)\n"
	       "      --no-reboot       exit 0 when the guest reboots, instead of rebooting\n"
	       "      --debug-exit      enable port 0xf4: a write of V exits with (V<<1)|1\n"
	       "      --kvm-device PATH the KVM device (default /dev/kvm)\n"
	       "      --vfio BDF[,managed=no][,rom=FILE]\n"
	       "                        pass the host PCI device BDF through (repeatable);\n"
	       "                        managed: bind it to vfio-pci now, restore it at exit\n"
	       "      --tpm STATEDIR    a TPM 2.0 (swtpm) with its state in STATEDIR, and\n"
	       "                        measured boot (see 'partvm tpm --help')\n"
	       "  -h, --help            show this help\n\n"
	       "Console: the guest's COM1 is on stdin/stdout; Ctrl-A x quits.\n"
	       "Exit status: 0 guest powered off (or rebooted with --no-reboot), 1 guest\n"
	       "crashed or partvm failed, 2 bad options or config, 69 no usable KVM,\n"
	       "130/143 SIGINT/SIGTERM, (V<<1)|1 for a debug-exit write of V.\n",
	       DEFAULT_LINUX_CMDLINE);
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
	const char *kernel = NULL, *initrd = NULL, *append = NULL, *memory = NULL;
	const char *cpus = NULL, *name = NULL, *kvm = NULL, *tpm = NULL;
	bool no_reboot = false, debug_exit = false;
	_cleanup_free_ const char **vfio = calloc(argc + 1, sizeof(*vfio));
	size_t nvfio = 0;
	const char *why = NULL;
	int opt, r;

	if (!vfio)
		return -ENOMEM;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:a:m:c:n:h", options, NULL)) != -1) {
		switch (opt) {
		case 'k': kernel = optarg; break;
		case 'i': initrd = optarg; break;
		case 'a': append = optarg; break;
		case 'm': memory = optarg; break;
		case 'c': cpus = optarg; break;
		case 'n': name = optarg; break;
		case OPT_NO_REBOOT: no_reboot = true; break;
		case OPT_DEBUG_EXIT: debug_exit = true; break;
		case OPT_KVM_DEVICE: kvm = optarg; break;
		case OPT_VFIO: vfio[nvfio++] = optarg; break;
		case OPT_TPM: tpm = optarg; break;
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
	if (append && (r = config_set_string(&cfg->cmdline, append)) < 0)
		return r;
	if (memory && config_set_memory(cfg, memory, &why) < 0)
		return usage(err, "--memory %s: %s", memory, why);
	if (cpus && config_set_cpus(cfg, cpus, &why) < 0)
		return usage(err, "--cpus %s: %s", cpus, why);
	if (name && (r = config_set_string(&cfg->name, name)) < 0)
		return r;
	if (kvm && (r = config_set_string(&cfg->kvm_device, kvm)) < 0)
		return r;
	for (size_t i = 0; i < nvfio; i++) {
		r = config_add_vfio(cfg, vfio[i], &why);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return usage(err, "--vfio %s: %s", vfio[i], why);
	}
	if (tpm) {
		if (!*tpm)
			return usage(err, "--tpm: empty path");
		r = config_set_string(&cfg->tpm_state, tpm);
		cfg->tpm_state_line = 0;
		if (r < 0)
			return r;
	}
	cfg->no_reboot |= no_reboot;
	cfg->debug_exit |= debug_exit;

	/* The embedded test guest always reports through port 0xf4. */
	if (!cfg->kernel)
		cfg->debug_exit = true;
	else if (!cfg->cmdline && (r = config_set_string(&cfg->cmdline, DEFAULT_LINUX_CMDLINE)) < 0)
		return r;
	r = config_set_default_name(cfg);
	if (r < 0)
		return r;
	return config_validate(cfg, err);
}

int cli_run(int argc, char **argv)
{
	struct config_error err = { { 0 } };
	struct vm_config cfg;
	struct vm vm;
	sigset_t sigs;
	int r, status;

	config_init(&cfg);
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

	if (cfg.kernel && boot_check_kernel(cfg.kernel, cfg.memory) < 0) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	/* From here on SIGINT/SIGTERM/SIGHUP wait for the VM's event loop, so
	 * that one arriving while host devices are being bound still ends in
	 * vm_destroy(), which gives them back. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (vtpm_preflight(&cfg) < 0) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	r = vm_create(&vm, &cfg);
	if (r < 0) {
		vm_destroy(&vm);
		config_free(&cfg);
		return r == -ENODEV ? EXIT_NOKVM : EXIT_FAIL;
	}
	status = vm_run(&vm);
	vm_destroy(&vm);
	config_free(&cfg);
	return status;
}
