// SPDX-License-Identifier: GPL-2.0-only
/* PCI addresses as the kernel names them in sysfs: DDDD:BB:DD.F. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iommu/iommu.h"

/* Exactly N hex digits at *S; advances *S. */
static int hex_field(const char **s, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		if (!isxdigit((unsigned char)c))
			return -EINVAL;
		v = v * 16 + (unsigned)(isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10);
	}
	*s += n;
	*out = v;
	return 0;
}

int iommu_parse_bdf(const char *s, char out[IOMMU_BDF_LEN])
{
	unsigned domain = 0, bus, dev, fn;
	const char *p = s;

	if (!s)
		return -EINVAL;
	/* A domain is present exactly when the string has two colons. */
	if (strchr(s, ':') != strrchr(s, ':')) {
		if (hex_field(&p, 4, &domain) < 0 || *p++ != ':')
			return -EINVAL;
	}
	if (hex_field(&p, 2, &bus) < 0 || *p++ != ':')
		return -EINVAL;
	if (hex_field(&p, 2, &dev) < 0 || *p++ != '.')
		return -EINVAL;
	if (!(*p >= '0' && *p <= '7') || p[1] != '\0')
		return -EINVAL;
	fn = (unsigned)(*p - '0');
	/* PCI: 32 devices per bus (5 bits). */
	if (dev > 0x1f)
		return -EINVAL;
	snprintf(out, IOMMU_BDF_LEN, "%04x:%02x:%02x.%u", domain, bus, dev, fn);
	return 0;
}
