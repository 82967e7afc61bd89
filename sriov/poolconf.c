// SPDX-License-Identifier: GPL-2.0-only
/*
 * The [sriov "NAME"] sections of a partition config. inih reports a
 * section header as the text between the brackets, so `[sriov "uplink"]`
 * arrives as `sriov "uplink"` and distinct names stay distinct.
 */
#include "sriov/sriov.h"
#include "sriov/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/ini.h"

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

int sriov_section_name(const char *section, char *name, size_t len)
{
	const char *s = section, *q;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "sriov", 5) || (s[5] && !isspace((unsigned char)s[5]) && s[5] != '"'))
		return 0;
	s += 5;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s) {
		if (len)
			name[0] = '\0';
		return 1;
	}
	if (*s != '"')
		return -EINVAL;
	q = strchr(s + 1, '"');
	if (!q)
		return -EINVAL;
	n = (size_t)(q - s - 1);
	if (!n || n >= len)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[1 + i]))
			return -EINVAL;
	for (q++; *q; q++)
		if (!isspace((unsigned char)*q))
			return -EINVAL;
	memcpy(name, s + 1, n);
	name[n] = '\0';
	return 1;
}

static const char *shown(const char *name)
{
	return *name ? name : "";
}

int sriov_pool_config_key(struct sriov_pool_requests *reqs, const char *section, const char *key,
			  const char *value, int line, char *err, size_t errlen)
{
	struct sriov_pool_request *req = NULL;
	char name[SRIOV_NAME_MAX], e[256];
	bool new_section;
	int r;

	r = sriov_section_name(section, name, sizeof(name));
	if (r <= 0)
		return sriov_fail(err, errlen, -EINVAL,
			    "[%s]: not a pool section; write [sriov \"NAME\"] (NAME: letters, "
			    "digits, - _ .)",
			    section);

	new_section = reqs->header_seen || strcmp(reqs->last_section, section) != 0;
	reqs->header_seen = false;
	for (size_t i = 0; i < reqs->n; i++)
		if (!strcmp(reqs->v[i].name, name))
			req = &reqs->v[i];
	if (req && new_section)
		return sriov_fail(err, errlen, -EINVAL,
			    *name ? "[sriov \"%s\"] appears twice (first at line %d)"
				  : "[sriov%s] appears twice (first at line %d); name several pools "
				    "[sriov \"NAME\"]",
			    shown(name), req->line);
	snprintf(reqs->last_section, sizeof(reqs->last_section), "%s", section);
	if (!req) {
		struct sriov_pool_request *v = reallocarray(reqs->v, reqs->n + 1, sizeof(*v));

		if (!v)
			return sriov_fail(err, errlen, -ENOMEM, "out of memory");
		reqs->v = v;
		req = &v[reqs->n++];
		memset(req, 0, sizeof(*req));
		snprintf(req->name, sizeof(req->name), "%s", name);
		req->line = line;
	}

	if (!strcmp(key, "pf")) {
		if (!*value || strlen(value) >= sizeof(req->pf))
			return sriov_fail(err, errlen, -EINVAL, "pf: '%s' is not a PF name", value);
		snprintf(req->pf, sizeof(req->pf), "%s", value);
		return 0;
	}
	r = sriov_parse_setting(&req->settings, key, value, e, sizeof(e));
	if (r == -ENOENT)
		return sriov_fail(err, errlen, r, "unknown key '%s' in [%s] (known: pf, mac, vlan, qos, "
					    "vlan-proto, spoofchk, trust, link-state, min-rate, "
					    "max-rate, query-rss)",
			    key, section);
	if (r < 0)
		return sriov_fail(err, errlen, r, "%s", e);
	return 0;
}

int sriov_pool_config_check(const struct sriov_pool_requests *reqs, char *err, size_t errlen)
{
	for (size_t i = 0; i < reqs->n; i++) {
		const struct sriov_pool_request *q = &reqs->v[i];
		struct sriov_vf_config c;
		struct sriov_settings n;
		char e[256];

		if (!q->pf[0])
			return sriov_fail(err, errlen, -EINVAL, "%d: [sriov%s%s%s] has no pf = ...", q->line,
				    *q->name ? " \"" : "", q->name, *q->name ? "\"" : "");
		/* The settings a VF gets: neutral, then the section's keys. */
		sriov_settings_neutral(&n);
		sriov_settings_merge(&q->settings, &n.cfg, &c);
		if (sriov_config_check(&c, e, sizeof(e)) < 0)
			return sriov_fail(err, errlen, -EINVAL, "%d: %s", q->line, e);
	}
	return 0;
}

void sriov_pool_config_header(struct sriov_pool_requests *reqs)
{
	reqs->header_seen = true;
}

void sriov_pool_requests_free(struct sriov_pool_requests *reqs)
{
	free(reqs->v);
	memset(reqs, 0, sizeof(*reqs));
}

/* ---- the stand-alone reader for `sriov acquire CONFIG` ------------- */
