// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SR-IOV host config (`partvm host apply`, /etc/partvm/host.conf):
 * [pf "NAME"], [vf "PF/INDEX"] and [hugepages] sections, loaded from the
 * input written to a file in a private directory; and each line of the
 * input as a `partvm sriov set` word (KEY=VALUE), the parser every VF
 * setting goes through.
 *
 * Checks: a refusal says "FILE:LINE: ..." with a line of the file and
 * leaves the config empty; what loads holds values inside their limits
 * (VF counts and indices, settings, a page size no smaller than the
 * number written before its unit); a setting that parses is within its
 * range and formats back to text that parses to the same value.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sriov/sriov.h"
#include "fuzz.h"

#define MAX_WORDS 64

static char file[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(file, sizeof(file), "%s/host.conf", fuzz_scratch_dir("fuzz_sriov_conf"));
	return 0;
}

static void check_settings(const struct sriov_settings *s)
{
	const struct sriov_vf_config *c = &s->cfg;

	if (s->keys & ~SRIOV_KEYS_ALL)
		abort();
	if ((s->keys & SRIOV_KEY_BIT(SRIOV_KEY_MAC)) && (c->mac[0] & 1))
		abort();
	if ((s->keys & SRIOV_KEY_BIT(SRIOV_KEY_VLAN)) && c->vlan > 4094)
		abort();
	if ((s->keys & SRIOV_KEY_BIT(SRIOV_KEY_QOS)) && c->qos > 7)
		abort();
	if ((s->keys & SRIOV_KEY_BIT(SRIOV_KEY_VLAN_PROTO)) && c->vlan_proto != ETH_P_8021Q &&
	    c->vlan_proto != ETH_P_8021AD)
		abort();
	if ((s->keys & SRIOV_KEY_BIT(SRIOV_KEY_LINK_STATE)) && c->link_state > IFLA_VF_LINK_STATE_DISABLE)
		abort();
	if (c->spoofchk < 0 || c->spoofchk > 1 || c->trust < 0 || c->trust > 1 || c->query_rss < 0 ||
	    c->query_rss > 1)
		abort();
}

/* The line LINE (from 1) of TEXT, or NULL. */
static const char *line_at(const char *text, size_t size, int line)
{
	const char *s = text, *end = text + size;

	for (int i = 1; i < line; i++) {
		s = memchr(s, '\n', (size_t)(end - s));
		if (!s)
			return NULL;
		s++;
	}
	return s < end ? s : NULL;
}

/* A [hugepages] key written "<digits><unit> =" at LINE: the page size in
 * KiB is at least <digits>. (A continuation line of inih's has no unit.) */
static void check_page_size(const char *text, size_t size, const struct sriov_host_hugepages *h)
{
	const char *s = line_at(text, size, h->line), *end = text + size;
	unsigned long long n = 0;
	bool digits = false;

	if (!s)
		abort();
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		digits = true;
		if (n > (~0ULL - 9) / 10)
			return;         /* inih's key was refused as a number anyway */
		n = n * 10 + (unsigned long long)(*s - '0');
	}
	if (!digits || s == end || !strchr("KkMmGg", *s))
		return;
	for (s++; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	if (s < end && (*s == '=' || *s == ':') && (!h->size_kb || h->size_kb < n))
		abort();
}

static unsigned count_lines(const uint8_t *data, size_t size)
{
	unsigned n = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n' || i + 1 == size)
			n++;
	return n;
}

static void host_config(const uint8_t *data, size_t size)
{
	struct sriov_host_config c;
	char err[512] = "", *end;
	size_t n = strlen(file);
	unsigned long line;
	int r, fd;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	r = sriov_host_config_load(file, &c, err, sizeof(err));
	if (r < 0) {
		if (strncmp(err, file, n) || err[n] != ':' || !isdigit((unsigned char)err[n + 1]))
			abort();
		line = strtoul(err + n + 1, &end, 10);
		if (*end != ':' || line < 1 || line > count_lines(data, size) || !end[1])
			abort();
		if (c.pfs || c.npfs || c.vfs || c.nvfs || c.nhuge)
			abort();
		return;
	}
	if (r > 0)
		abort();
	for (size_t i = 0; i < c.npfs; i++) {
		const struct sriov_host_pf *pf = &c.pfs[i];

		if (!pf->name[0] || pf->vfs > SRIOV_HOST_MAX_VFS || pf->autoprobe < -1 ||
		    pf->autoprobe > 1 || pf->line < 1)
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c.pfs[j].name, pf->name))
				abort();
	}
	for (size_t i = 0; i < c.nvfs; i++) {
		const struct sriov_host_vf *vf = &c.vfs[i];

		if (!vf->pf[0] || vf->index >= SRIOV_HOST_MAX_VFS || vf->line < 1)
			abort();
		check_settings(&vf->settings);
	}
	if (c.nhuge > sizeof(c.huge) / sizeof(c.huge[0]))
		abort();
	for (size_t i = 0; i < c.nhuge; i++) {
		check_page_size((const char *)data, size, &c.huge[i]);
		for (size_t j = 0; j < i; j++)
			if (c.huge[j].size_kb == c.huge[i].size_kb)
				abort();
	}
	sriov_host_config_free(&c);
}

/* WORD as `partvm sriov set PF VF WORD` takes it. */
static void assignment(const char *word)
{
	struct sriov_settings s = { 0 }, again = { 0 };
	char err[256] = "", text[64], name[32];
	int r;

	r = sriov_parse_assignment(&s, word, err, sizeof(err));
	if (r < 0) {
		if ((r != -EINVAL && r != -ENOENT) || !err[0])
			abort();
		return;
	}
	if (r > 0 || !s.keys || (s.keys & (s.keys - 1)))
		abort();
	check_settings(&s);
	/* What `sriov list` would show parses back to the same value. */
	for (int k = 0; k < _SRIOV_KEY_MAX; k++) {
		if (!(s.keys & SRIOV_KEY_BIT(k)))
			continue;
		if (sriov_format_key(&s.cfg, k, text, sizeof(text)) < 0)
			abort();
		snprintf(name, sizeof(name), "%s", sriov_key_name(k));
		if (sriov_parse_setting(&again, name, text, err, sizeof(err)) < 0 ||
		    again.keys != s.keys || memcmp(&again.cfg, &s.cfg, sizeof(s.cfg)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), *save = NULL, *w;
	unsigned words = 0;

	if (!text)
		abort();
	host_config(data, size);
	for (w = strtok_r(text, "\n", &save); w && words < MAX_WORDS;
	     w = strtok_r(NULL, "\n", &save), words++)
		assignment(w);
	free(text);
	return 0;
}
