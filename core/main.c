// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"

static const struct cli_command commands[] = {
	{ "run", "boot a partition (a config file, options, or the test guest)", cli_run },
	{ "list", "list the running partitions: state, pid, uptime, devices", cli_list },
	{ "ctl", "control a running partition: status, pause, resume, shutdown, stop", cli_ctl },
	{ "console", "attach this terminal to a running partition's console", cli_console },
	{ "devices", "list PCI devices: names, IOMMU group, driver, resets, in use", cli_devices },
	{ "iommu", "IOMMU groups and their viability for VFIO", cli_iommu },
	{ "vfio", "bind devices to vfio-pci, unbind and restore their drivers", cli_vfio },
	{ "host", "check this host for KVM, IOMMU, VFIO and passthrough readiness", cli_host },
	{ "sriov", "create, configure and list SR-IOV VFs; VF pools", cli_sriov },
	{ "tpm", "predict a partition's PCRs, print a TPM event log", cli_tpm },
};

static void print_help(FILE *f)
{
	fprintf(f, "Usage: partvm COMMAND [OPTIONS]\n\n"
		   "A KVM virtual machine monitor for PCI passthrough and SR-IOV partitions.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'partvm COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("partvm %s\n", PARTVM_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);

	fprintf(stderr, "partvm: unknown command '%s'; see 'partvm --help'\n", argv[1]);
	return EXIT_USAGE;
}
