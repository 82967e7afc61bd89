// SPDX-License-Identifier: GPL-2.0-only
/* partvm host apply [FILE]: bring the host to its host.conf (VF counts,
 * VF settings, VFs reserved for vfio-pci, hugepages) and print each
 * change. partvm-host.service runs it at boot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/util/log.h"
#include "iommu/iommu.h"
#include "sriov/sriov.h"

#define HOST_CONF "/etc/partvm/host.conf"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct sriov_host_config *, sriov_host_config_free)

static void print_line(void *userdata, const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

int cli_host_apply(int argc, char **argv)
{
	_cleanup_(sriov_host_config_freep) struct sriov_host_config *cp = NULL;
	struct sriov_host_config c;
	const char *path = HOST_CONF;
	struct iommu_host h;
	char err[1024];
	int r;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: partvm host apply [FILE]\n\n"
		       "Bring this host to FILE (default " HOST_CONF "): VF counts per PF,\n"
		       "VF settings, VFs reserved for vfio-pci, hugepages. Everything is\n"
		       "checked first; each change is printed; a failure undoes the earlier\n"
		       "changes. Applying the same file again changes nothing.\n");
		return EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("host", "apply takes at most one FILE");
	if (argc == 2)
		path = argv[1];

	r = sriov_host_config_load(path, &c, err, sizeof(err));
	if (r < 0) {
		log_error("host apply: %s", err);
		return r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
	}
	cp = &c;
	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "host apply: %m"), EXIT_FAIL;
	r = sriov_host_apply(&h, &c, path, print_line, NULL, err, sizeof(err));
	if (r < 0) {
		log_error("host apply: %s", err);
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if (r == 0)
		printf("host apply: %s: nothing to change\n", path);
	else
		printf("host apply: %s: %d change(s)\n", path, r);
	return EXIT_OK;
}
