// SPDX-License-Identifier: GPL-2.0-only
#include "core/cli/iommu_print.h"

#include <string.h>

void cli_print_device_header(FILE *f)
{
	fprintf(f, "%-12s  %-9s  %5s  %-10s  %-12s  %-7s  %-6s  %s\n", "BDF", "IDS", "GROUP", "DRIVER", "RESET",
		"SR-IOV", "IN USE", "DEVICE");
}

void cli_print_device(FILE *f, const struct iommu_device *d, const struct iommu_record *held)
{
	char ids[16], group[12], sriov[16], reset[128], label[2 * IOMMU_NAME_LEN + 4], drv[IOMMU_DRIVER_LEN + 8];

	snprintf(ids, sizeof(ids), "%04x:%04x", d->vendor_id, d->device_id);
	snprintf(group, sizeof(group), d->group >= 0 ? "%d" : "-", d->group);
	if (d->sriov_vf)
		snprintf(sriov, sizeof(sriov), "VF");
	else if (d->sriov_pf)
		snprintf(sriov, sizeof(sriov), "PF %u/%u", d->num_vfs, d->total_vfs);
	else
		snprintf(sriov, sizeof(sriov), "-");
	snprintf(reset, sizeof(reset), "%s", d->reset_methods[0] ? d->reset_methods : "-");
	for (char *s = reset; *s; s++)
		if (*s == ' ')
			*s = ',';
	snprintf(drv, sizeof(drv), "%s", d->driver[0] ? d->driver : "-");
	iommu_device_label(d, label, sizeof(label));
	fprintf(f, "%-12s  %-9s  %5s  %-10s  %-12s  %-7s  %-6s  %s: %s", d->bdf, ids, group, drv, reset, sriov,
		d->in_use ? "yes" : "no", d->class_name[0] ? d->class_name : "Unknown class", label);
	if (d->in_use)
		fprintf(f, " (in use: %s)", d->in_use_reason);
	if (held)
		fprintf(f, " [held by %s, was %s]", held->owner[0] ? held->owner : "partvm vfio bind",
			held->driver[0] ? held->driver : "unbound");
	fputc('\n', f);
}

const struct iommu_record *cli_find_record(const struct iommu_record *recs, int n, const char *bdf)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(recs[i].bdf, bdf))
			return &recs[i];
	return NULL;
}
