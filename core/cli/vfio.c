// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm vfio bind|unbind|restore|list: managed vfio-pci binding from the
 * command line. Every refusal is one line naming the device and the fix.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/service/control.h"
#include "core/util/log.h"
#include "core/util/process.h"
#include "core/util/sysfs.h"
#include "iommu/iommu.h"
#include "sriov/sriov.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: partvm vfio bind BDF... [--group] [--partition NAME]\n"
		   "       partvm vfio unbind BDF... [--force]\n"
		   "       partvm vfio restore (--all | --partition NAME) [--force] [--after PID]\n"
		   "       partvm vfio list\n\n"
		   "bind      move devices to vfio-pci as one transaction, recording each one's\n"
		   "          driver in %s/vfio; if one fails, the others go back\n"
		   "unbind    give devices back to the driver they had before 'bind'\n"
		   "restore   give back every device partvm holds (--all) or that one\n"
		   "          partition holds (--partition), e.g. from ExecStopPost\n"
		   "list      show the devices partvm holds and their original drivers\n\n"
		   "  -g, --group            bind every endpoint of each device's IOMMU group\n"
		   "  -p, --partition NAME   the owning partition (bind: record it; restore: select)\n"
		   "  -a, --all              restore: every device partvm holds\n"
		   "      --after PID        restore: first wait for process PID to end (the\n"
		   "                         restorer a partvm that gives up root leaves behind)\n"
		   "  -f, --force            also release devices of partitions still running\n"
		   "  -h, --help\n"
		   "BDF is DDDD:BB:DD.F or BB:DD.F (domain 0).\n", partvm_runtime_dir());
}

static void label(const struct iommu_host *h, const char *bdf, char *buf, size_t len)
{
	struct iommu_device d;

	if (iommu_device_read(h, bdf, &d) < 0) {
		snprintf(buf, len, "%s", bdf);
		return;
	}
	char l[2 * IOMMU_NAME_LEN];
	iommu_device_label(&d, l, sizeof(l));
	snprintf(buf, len, "%s (%s)", bdf, l);
}

static int report(const struct iommu_problem *why)
{
	char line[1024];

	iommu_format_problem(why, line, sizeof(line));
	log_error("%s", line);
	return why->kind == IOMMU_PROBLEM_BAD_BDF ? EXIT_USAGE : EXIT_FAIL;
}

static int do_bind(const struct iommu_host *h, char **bdfs, int n, bool group, const char *partition)
{
	struct iommu_owner owner = { .name = partition };
	struct iommu_bound out[256];
	struct iommu_problem why;
	int r;

	r = iommu_bind_devices(h, (const char *const *)bdfs, (size_t)n, &owner, group ? IOMMU_BIND_GROUP : 0, out,
			       sizeof(out) / sizeof(out[0]), &why);
	if (r < 0)
		return report(&why);
	for (int i = 0; i < r; i++) {
		char who[300];

		label(h, out[i].bdf, who, sizeof(who));
		switch (out[i].outcome) {
		case IOMMU_BIND_BOUND:
			printf("%s: bound to vfio-pci (was %s), /dev/vfio/%d\n", who,
			       out[i].orig_driver[0] ? out[i].orig_driver : "unbound", out[i].group);
			break;
		case IOMMU_BIND_ALREADY:
			printf("%s: already on vfio-pci, nothing to do\n", who);
			break;
		case IOMMU_BIND_HELD:
			printf("%s: already bound by partvm, nothing to do\n", who);
			break;
		case IOMMU_BIND_ADOPTED:
			printf("%s: already on vfio-pci; its record now names this owner (original driver %s)\n",
			       who, out[i].orig_driver[0] ? out[i].orig_driver : "none");
			break;
		}
	}
	return EXIT_OK;
}

static int do_unbind(const struct iommu_host *h, char **bdfs, int n, bool force)
{
	int status = EXIT_OK;

	for (int i = 0; i < n; i++) {
		struct iommu_problem why;
		struct iommu_record rec;
		char canon[IOMMU_BDF_LEN], who[300];

		if (iommu_parse_bdf(bdfs[i], canon) < 0) {
			why = (struct iommu_problem){ .kind = IOMMU_PROBLEM_BAD_BDF };
			snprintf(why.detail, sizeof(why.detail), "%s", bdfs[i]);
			return report(&why);
		}
		bool had = iommu_record_load(h, canon, &rec) == 0;
		if (iommu_restore_device(h, canon, force, &why) < 0) {
			status = report(&why);
			continue;
		}
		label(h, canon, who, sizeof(who));
		printf("%s: given back to %s\n", who, had && rec.driver[0] ? rec.driver : "no driver");
	}
	return status;
}

/* What a restore without --force left because its partvm still runs, one
 * line each: a restorer must never end in silence with devices held (it
 * once woke while partvm was a zombie, which still counted as running). */
static unsigned report_still_held(const struct iommu_host *h, const char *partition)
{
	_cleanup_free_ struct iommu_record *recs = NULL;
	_cleanup_free_ struct sriov_alloc *allocs = NULL;
	unsigned held = 0;
	int n;

	n = sriov_alloc_list(partvm_runtime_dir(), &allocs);
	for (int i = 0; i < n; i++) {
		if ((partition && strcmp(allocs[i].partition, partition)) || allocs[i].pid == getpid() ||
		    !process_alive(allocs[i].pid))
			continue;
		log_error("vfio restore: SR-IOV VF %s stays with partition %s: its partvm (pid %d) is "
			  "running; stop it first, or use --force", allocs[i].vf_bdf, allocs[i].partition,
			  (int)allocs[i].pid);
		held++;
	}
	n = iommu_record_list(h, &recs);
	for (int i = 0; i < n; i++) {
		char who[300];

		if ((partition && strcmp(recs[i].owner, partition)) || recs[i].pid == getpid() ||
		    !iommu_record_owner_alive(h, &recs[i]))
			continue;
		label(h, recs[i].bdf, who, sizeof(who));
		log_error("vfio restore: %s stays on vfio-pci: partition %s's partvm (pid %d) is running; "
			  "stop it first, or use --force", who, recs[i].owner, (int)recs[i].pid);
		held++;
	}
	return held;
}

static int do_restore(const struct iommu_host *h, bool all, const char *partition, bool force)
{
	struct iommu_problem why;
	unsigned ok = 0, bad = 0;
	int r;

	/* SR-IOV pool VFs first: they get neutral settings before their
	 * driver comes back, and leave the pool's records (sriov/sriov.h). */
	unsigned vf_ok = 0, vf_bad = 0;
	char err[1024];
	r = sriov_pool_release(h, all ? NULL : partition, force, &vf_ok, &vf_bad, err, sizeof(err));
	if (r < 0)
		log_error("vfio restore: %s", err);
	if (vf_ok)
		printf("vfio restore: %u SR-IOV pool VF(s) neutralised and returned\n", vf_ok);

	r = iommu_restore_owner(h, all ? NULL : partition, force, &ok, &bad, &why);
	bad += vf_bad;
	if (r < 0 && bad) {
		report(&why);
		log_error("vfio restore: %u device(s) given back, %u failed", ok, bad);
		return EXIT_FAIL;
	}
	if (r < 0)
		return report(&why);
	printf("vfio restore: %u device(s) given back%s%s\n", ok, all ? "" : " for partition ",
	       all ? "" : partition);
	/* --all skips running partitions by design (boot-time cleanup, an
	 * operator tidying up): said, not failed. One partition's restore
	 * that could not give its devices back failed. */
	unsigned held = force ? 0 : report_still_held(h, all ? NULL : partition);
	return vf_bad || (held && !all) ? EXIT_FAIL : EXIT_OK;
}

/* Until process PID has ended (or cannot be watched: it is gone). */
static void wait_for_exit(pid_t pid)
{
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { fd, POLLIN, 0 };

	while (fd >= 0 && poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

static int do_list(const struct iommu_host *h)
{
	_cleanup_free_ struct iommu_record *recs = NULL;
	int n = iommu_record_list(h, &recs);

	if (n < 0)
		return log_error_errno(n, "vfio list: cannot read %s: %m", h->state_dir), EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		char who[300];
		label(h, recs[i].bdf, who, sizeof(who));
		printf("%s: held by %s%s, pid %d%s; original driver %s\n", who,
		       recs[i].owner[0] ? "partition " : "", recs[i].owner[0] ? recs[i].owner : "partvm vfio bind",
		       (int)recs[i].pid, iommu_record_owner_alive(h, &recs[i]) ? " (running)" : "",
		       recs[i].driver[0] ? recs[i].driver : "none");
	}
	if (n == 0)
		printf("partvm holds no devices\n");
	return EXIT_OK;
}

int cli_vfio(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", no_argument, NULL, 'g' },
		{ "partition", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "after", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool group = false, all = false, force = false;
	const char *partition = NULL, *verb;
	long after = 0;
	char *end;
	struct iommu_host h;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "gp:afh", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			group = true;
			break;
		case 'p':
			if (!optarg[0] || strlen(optarg) >= IOMMU_OWNER_LEN || strpbrk(optarg, "\n="))
				return cli_usage_error("vfio", "bad partition name '%s'", optarg);
			partition = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'f':
			force = true;
			break;
		case 'A':
			after = strtol(optarg, &end, 10);
			if (*end || after <= 0)
				return cli_usage_error("vfio", "--after %s: not a process ID", optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("vfio", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("vfio", "missing subcommand (bind, unbind, restore, list)");
	verb = argv[optind++];
	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "vfio: %m"), EXIT_FAIL;

	if (!strcmp(verb, "bind")) {
		if (optind >= argc)
			return cli_usage_error("vfio", "bind: no device given");
		if (all || force)
			return cli_usage_error("vfio", "bind takes no --all or --force");
		return do_bind(&h, argv + optind, argc - optind, group, partition);
	}
	if (!strcmp(verb, "unbind")) {
		if (optind >= argc)
			return cli_usage_error("vfio", "unbind: no device given");
		if (group || all || partition)
			return cli_usage_error("vfio", "unbind takes only --force");
		return do_unbind(&h, argv + optind, argc - optind, force);
	}
	if (!strcmp(verb, "restore")) {
		if (optind < argc)
			return cli_usage_error("vfio", "restore takes no devices; use 'vfio unbind BDF'");
		if (all == !!partition)
			return cli_usage_error("vfio", "restore needs exactly one of --all and --partition NAME");
		if (group)
			return cli_usage_error("vfio", "restore takes no --group");
		if (after) {
			if (!partition)
				return cli_usage_error("vfio", "--after goes with --partition NAME");
			wait_for_exit((pid_t)after);
		}
		/* Its control socket too, if nobody answers there: partvm as
		 * its user cannot remove it from root's directory. */
		if (partition)
			(void)control_remove_stale(partvm_runtime_dir(), partition);
		return do_restore(&h, all, partition, force);
	}
	if (!strcmp(verb, "list")) {
		if (optind < argc || group || all || force || partition)
			return cli_usage_error("vfio", "list takes no arguments");
		return do_list(&h);
	}
	return cli_usage_error("vfio", "unknown subcommand '%s'", verb);
}
