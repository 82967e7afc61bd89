// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host config (configs/host.conf) that `partvm host apply` brings the
 * host to at boot:
 *
 *   [pf "eth0"]            vfs = 7, autoprobe = on, vfio = 5-6
 *   [vf "eth0/0"]          the keys of `partvm sriov set`
 *   [hugepages]            2M = 512, 1G = 0
 */
#include "sriov/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util/cleanup.h"
#include "core/util/ini.h"

struct load {
	struct sriov_host_config *c;
	char *err; /* = msg, so the key parsers can write the message */
	size_t errlen;
	char msg[400];
	int msg_line;
	bool failed;
	char last_section[SRIOV_NAME_MAX + 16];
	bool header_seen;
};

/* `KIND "NAME"` -> NAME; 0 when SECTION is not of KIND, -EINVAL when it
 * is malformed. */
static int quoted(const char *section, const char *kind, char *name, size_t len)
{
	size_t k = strlen(kind), n;
	const char *s = section, *q;

	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, kind, k) || (s[k] && !isspace((unsigned char)s[k]) && s[k] != '"'))
		return 0;
	s += k;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '"' || !(q = strchr(s + 1, '"')))
		return -EINVAL;
	n = (size_t)(q - s - 1);
	if (!n || n >= len || q[1 + strspn(q + 1, " \t")])
		return -EINVAL;
	memcpy(name, s + 1, n);
	name[n] = '\0';
	return 1;
}

/* "0,2-3,5" into a bitmap of VF indices. */
static int parse_vf_list(const char *s, uint64_t *bits, const char **bad)
{
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t a, b;
		char *dash;

		while (isspace((unsigned char)*t))
			t++;
		t[strcspn(t, " \t")] = '\0';
		dash = strchr(t, '-');
		if (dash)
			*dash = '\0';
		if (sriov_parse_uint(t, SRIOV_HOST_MAX_VFS - 1, &a) < 0 ||
		    sriov_parse_uint(dash ? dash + 1 : t, SRIOV_HOST_MAX_VFS - 1, &b) < 0 || b < a) {
			*bad = s;
			return -EINVAL;
		}
		for (uint64_t i = a; i <= b; i++)
			bits[i / 64] |= 1ULL << (i % 64);
	}
	return 0;
}

static int pf_key(struct load *l, struct ini_source *ini, const char *name, const char *key,
		  const char *value, bool new_section)
{
	struct sriov_host_config *c = l->c;
	struct sriov_host_pf *pf = NULL;
	uint64_t v;
	const char *bad = value;
	bool b;

	for (size_t i = 0; i < c->npfs; i++)
		if (!strcmp(c->pfs[i].name, name))
			pf = &c->pfs[i];
	if (pf && new_section)
		return sriov_fail(l->err, l->errlen, -EINVAL, "[pf \"%s\"] appears twice (first at line %d)",
				  name, pf->line);
	if (!pf) {
		struct sriov_host_pf *n = reallocarray(c->pfs, c->npfs + 1, sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->pfs = n;
		pf = &n[c->npfs++];
		memset(pf, 0, sizeof(*pf));
		snprintf(pf->name, sizeof(pf->name), "%s", name);
		pf->line = ini->line;
		pf->autoprobe = -1;
	}
	if (!strcmp(key, "vfs")) {
		if (sriov_parse_uint(value, SRIOV_HOST_MAX_VFS, &v) < 0)
			return sriov_fail(l->err, l->errlen, -EINVAL, "vfs: '%s' is not a count 0-%d",
					  value, SRIOV_HOST_MAX_VFS);
		pf->vfs = (unsigned)v;
		pf->has_vfs = true;
	} else if (!strcmp(key, "autoprobe")) {
		if (!strcasecmp(value, "on") || !strcasecmp(value, "yes") ||
		    !strcasecmp(value, "true") || !strcmp(value, "1"))
			b = true;
		else if (!strcasecmp(value, "off") || !strcasecmp(value, "no") ||
			 !strcasecmp(value, "false") || !strcmp(value, "0"))
			b = false;
		else
			return sriov_fail(l->err, l->errlen, -EINVAL,
					  "autoprobe: '%s' is not a boolean (on/off)", value);
		pf->autoprobe = b;
	} else if (!strcmp(key, "vfio")) {
		int r = parse_vf_list(value, pf->vfio, &bad);

		if (r < 0)
			return sriov_fail(l->err, l->errlen, r,
					  "vfio: '%s' is not a list of VF numbers (0,2-3)", bad);
		pf->vfio_line = ini->line;
	} else {
		return sriov_fail(l->err, l->errlen, -ENOENT,
				  "unknown key '%s' in [pf \"%s\"] (known: vfs, autoprobe, vfio)", key,
				  name);
	}
	return 0;
}

static int vf_key(struct load *l, struct ini_source *ini, const char *name, const char *key,
		  const char *value, bool new_section)
{
	struct sriov_host_config *c = l->c;
	struct sriov_host_vf *vf = NULL;
	char pf[SRIOV_NAME_MAX], e[256];
	const char *slash = strrchr(name, '/');
	uint64_t idx;
	int r;

	if (!slash || slash == name || sriov_parse_uint(slash + 1, SRIOV_HOST_MAX_VFS - 1, &idx) < 0)
		return sriov_fail(l->err, l->errlen, -EINVAL,
				  "[vf \"%s\"]: write [vf \"PF/INDEX\"], e.g. [vf \"eth0/0\"]", name);
	snprintf(pf, sizeof(pf), "%.*s", (int)(slash - name), name);
	for (size_t i = 0; i < c->nvfs; i++)
		if (!strcmp(c->vfs[i].pf, pf) && c->vfs[i].index == idx)
			vf = &c->vfs[i];
	if (vf && new_section)
		return sriov_fail(l->err, l->errlen, -EINVAL, "[vf \"%s\"] appears twice (first at line %d)",
				  name, vf->line);
	if (!vf) {
		struct sriov_host_vf *n = reallocarray(c->vfs, c->nvfs + 1, sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->vfs = n;
		vf = &n[c->nvfs++];
		memset(vf, 0, sizeof(*vf));
		snprintf(vf->pf, sizeof(vf->pf), "%s", pf);
		vf->index = (unsigned)idx;
		vf->line = ini->line;
	}
	r = sriov_parse_setting(&vf->settings, key, value, e, sizeof(e));
	if (r < 0)
		return sriov_fail(l->err, l->errlen, r, "%s", e);
	return 0;
}

static int huge_key(struct load *l, struct ini_source *ini, const char *key, const char *value)
{
	struct sriov_host_config *c = l->c;
	unsigned long n;
	unsigned unit, shift;
	uint64_t kb, count;
	char *end;

	/* The page size: "2M", "1G", "2048K" (a size the host has, checked
	 * when applied). */
	errno = 0;
	n = strtoul(key, &end, 10);
	unit = (unsigned)toupper((unsigned char)end[0]);
	shift = unit == 'K' ? 0 : unit == 'M' ? 10 : 20;
	if (errno || end == key || !n || end[0] == '\0' || end[1] != '\0' ||
	    !strchr("KkMmGg", end[0]) || (uint64_t)n > UINT64_MAX >> shift)
		return sriov_fail(l->err, l->errlen, -EINVAL,
				  "'%s' is not a page size (2M, 1G) in [hugepages]", key);
	kb = (uint64_t)n << shift;
	if (sriov_parse_uint(value, 1ULL << 30, &count) < 0)
		return sriov_fail(l->err, l->errlen, -EINVAL, "%s: '%s' is not a page count", key,
				  value);
	for (size_t i = 0; i < c->nhuge; i++)
		if (c->huge[i].size_kb == kb)
			return sriov_fail(l->err, l->errlen, -EINVAL,
					  "%s: page size given twice (first at line %d)", key,
					  c->huge[i].line);
	if (c->nhuge == ARRAY_SIZE(c->huge))
		return sriov_fail(l->err, l->errlen, -EINVAL, "%s: too many page sizes", key);
	c->huge[c->nhuge++] = (struct sriov_host_hugepages){ kb, count, ini->line };
	return 0;
}

static void on_header(struct ini_source *ini, const char *line)
{
	((struct load *)ini->userdata)->header_seen = true;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct ini_source *ini = user;
	struct load *l = ini->userdata;
	char name[SRIOV_NAME_MAX];
	bool new_section;
	int r;

	if (l->failed)
		return 0;
	new_section = l->header_seen || strcmp(l->last_section, section);
	l->header_seen = false;
	snprintf(l->last_section, sizeof(l->last_section), "%s", section);

	if (!strcmp(section, "hugepages"))
		r = huge_key(l, ini, key, value);
	else if ((r = quoted(section, "pf", name, sizeof(name))) != 0)
		r = r < 0 ? sriov_fail(l->err, l->errlen, r, "[%s]: write [pf \"NAME\"]", section)
			  : pf_key(l, ini, name, key, value, new_section);
	else if ((r = quoted(section, "vf", name, sizeof(name))) != 0)
		r = r < 0 ? sriov_fail(l->err, l->errlen, r, "[%s]: write [vf \"PF/INDEX\"]", section)
			  : vf_key(l, ini, name, key, value, new_section);
	else
		r = sriov_fail(l->err, l->errlen, -EINVAL,
			       "unknown section [%s] (known: [pf \"NAME\"], [vf \"PF/INDEX\"], "
			       "[hugepages])",
			       section);
	if (r < 0) {
		l->failed = true;
		l->msg_line = ini->line;
		if (r == -ENOMEM)
			snprintf(l->msg, sizeof(l->msg), "out of memory");
		return 0;
	}
	return 1;
}

int sriov_host_config_load(const char *path, struct sriov_host_config *c, char *err,
			   size_t errlen)
{
	struct load l = { .c = c };
	struct ini_source ini = { .path = path, .on_header = on_header, .userdata = &l };
	int r;

	memset(c, 0, sizeof(*c));
	l.err = l.msg;
	l.errlen = sizeof(l.msg);
	r = ini_source_parse(&ini, handler);
	if (l.failed)
		r = sriov_fail(err, errlen, -EINVAL, "%s:%d: %s", path, l.msg_line, l.msg);
	else if (r > 0)
		r = sriov_fail(err, errlen, -EINVAL,
			       "%s:%d: syntax error (expected [section] or key = value)", path, r);
	else if (r < 0)
		r = sriov_fail(err, errlen, r, "%s: %s", path, strerror(-r));
	if (r < 0)
		sriov_host_config_free(c);
	return r;
}

void sriov_host_config_free(struct sriov_host_config *c)
{
	free(c->pfs);
	free(c->vfs);
	memset(c, 0, sizeof(*c));
}
