// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/ini.h"
#include "iommu/iommu.h"
#include "core/vm/resources.h"

/* Parser state threaded through inih's callbacks. */
struct parse {
	struct vm_config *cfg;
	const char *file;
	char *dir;                   /* the file's directory, for relative paths */
	struct config_error *err;
	struct ini_source src;       /* src.line: the line being handled */
	unsigned headers;            /* [section] lines read so far */
	int header_line;             /* line of the last one */
	unsigned vfio_header;        /* the header the current [vfio] entry belongs to */
	bool failed;
};

struct config_key {
	const char *name;
	/* Returns 0, or a negative errno with *why set. */
	int (*set)(struct parse *p, const char *value, const char **why);
};

struct config_section {
	const char *name;
	const struct config_key *keys;
};

void config_init(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->memory = CONFIG_DEFAULT_MEMORY;
	c->cpus = 1;
	c->numa_node = -1;
	c->shutdown_timeout = CONFIG_DEFAULT_SHUTDOWN_TIMEOUT;
}

void config_free(struct vm_config *c)
{
	free(c->path);
	free(c->name);
	free(c->kernel);
	free(c->initrd);
	free(c->cmdline);
	free(c->kvm_device);
	for (size_t i = 0; i < c->nvfio; i++)
		free(c->vfio[i].rom);
	free(c->vfio);
	free(c->tpm_state);
	sriov_pool_requests_free(&c->sriov);
	free(c->cpu_affinity);
	memset(c, 0, sizeof(*c));
}

int config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v, mult = 1ULL << 20;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'B': mult = 1; break;
		case 'K': mult = 1ULL << 10; break;
		case 'M': mult = 1ULL << 20; break;
		case 'G': mult = 1ULL << 30; break;
		case 'T': mult = 1ULL << 40; break;
		default: return -EINVAL;
		}
		end++;
		/* Accept K, KB, KiB (and the same for the others). */
		if (mult != 1 && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (v > ULLONG_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int config_set_string(char **field, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

int config_set_memory(struct vm_config *c, const char *value, const char **why)
{
	uint64_t v;
	int r = config_parse_size(value, &v);

	if (r == -EINVAL) {
		*why = "not a size (use a number with K, M, G or T, e.g. 512M)";
		return r;
	}
	if (r < 0 || v > CONFIG_MAX_MEMORY) {
		*why = "too large (at most 1T)";
		return -ERANGE;
	}
	if (v < CONFIG_MIN_MEMORY) {
		*why = "too small (at least 16M)";
		return -ERANGE;
	}
	if (v % 4096) {
		*why = "not a multiple of 4K";
		return -EINVAL;
	}
	c->memory = v;
	return 0;
}

int config_set_cpus(struct vm_config *c, const char *value, const char **why)
{
	unsigned long v;
	int r = config_parse_uint(value, 1, CONFIG_MAX_CPUS, &v);

	if (r == -EINVAL) {
		*why = "not a number";
		return r;
	}
	if (r < 0) {
		*why = "out of range (1..1024)";
		return r;
	}
	c->cpus = (unsigned)v;
	return 0;
}

int config_set_cpu_affinity(struct vm_config *c, const char *value, const char **why)
{
	unsigned *cpus, n;
	int r = resources_parse_cpu_list(value, &cpus, &n, why);

	if (r < 0)
		return r;
	free(c->cpu_affinity);
	c->cpu_affinity = cpus;
	c->ncpu_affinity = n;
	return 0;
}

int config_set_memory_backing(struct vm_config *c, const char *value, const char **why)
{
	if (resources_parse_backing(value, &c->memory_backing) < 0) {
		*why = "expected anonymous, hugetlb (2 MiB pages) or hugetlb-1g";
		return -EINVAL;
	}
	return 0;
}

int config_set_numa_node(struct vm_config *c, const char *value, const char **why)
{
	unsigned long v;
	int r = config_parse_uint(value, 0, CPU_SETSIZE - 1, &v);

	if (r < 0) {
		*why = r == -EINVAL ? "not a node number" : "out of range (0..1023)";
		return r;
	}
	c->numa_node = (int)v;
	return 0;
}

int config_set_shutdown_timeout(struct vm_config *c, const char *value, const char **why)
{
	unsigned long v;
	int r = config_parse_uint(value, 0, CONFIG_MAX_SHUTDOWN_TIMEOUT, &v);

	if (r < 0) {
		*why = r == -EINVAL ? "not a number of seconds" : "out of range (0..3600 seconds)";
		return r;
	}
	c->shutdown_timeout = (unsigned)v;
	return 0;
}

/* Relative paths in a config file are relative to the file's directory. */
static int set_path(struct parse *p, char **field, const char *value, const char **why)
{
	_cleanup_free_ char *abs = NULL;

	if (!*value) {
		*why = "empty path";
		return -EINVAL;
	}
	if (value[0] != '/' && p->dir) {
		if (asprintf(&abs, "%s/%s", p->dir, value) < 0)
			return -ENOMEM;
		value = abs;
	}
	return config_set_string(field, value);
}

static int key_name(struct parse *p, const char *v, const char **why)
{
	for (const char *s = v; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s)) {
			*why = "may only contain letters, digits, '-', '_' and '.'";
			return -EINVAL;
		}
	if (!*v || strlen(v) > 64) {
		*why = "must be 1 to 64 characters";
		return -EINVAL;
	}
	return config_set_string(&p->cfg->name, v);
}

static int key_memory(struct parse *p, const char *v, const char **why)
{
	return config_set_memory(p->cfg, v, why);
}

static int key_cpus(struct parse *p, const char *v, const char **why)
{
	return config_set_cpus(p->cfg, v, why);
}

static int key_kernel(struct parse *p, const char *v, const char **why)
{
	p->cfg->kernel_line = p->src.line;
	return set_path(p, &p->cfg->kernel, v, why);
}

static int key_initrd(struct parse *p, const char *v, const char **why)
{
	p->cfg->initrd_line = p->src.line;
	return set_path(p, &p->cfg->initrd, v, why);
}

static int key_cmdline(struct parse *p, const char *v, const char **why)
{
	return config_set_string(&p->cfg->cmdline, v);
}

static struct vfio_config_device *vfio_add(struct vm_config *c)
{
	struct vfio_config_device *v = reallocarray(c->vfio, c->nvfio + 1, sizeof(*v));

	if (!v)
		return NULL;
	c->vfio = v;
	v = &c->vfio[c->nvfio++];
	memset(v, 0, sizeof(*v));
	v->managed = true;
	return v;
}

/* Each [vfio] section is one device: the first key after a header starts it. */
static struct vfio_config_device *vfio_current(struct parse *p)
{
	struct vfio_config_device *v;

	if (p->cfg->nvfio && p->vfio_header == p->headers)
		return &p->cfg->vfio[p->cfg->nvfio - 1];
	v = vfio_add(p->cfg);
	if (v) {
		v->line = p->header_line;
		p->vfio_header = p->headers;
	}
	return v;
}

static int vfio_set_device(struct vm_config *c, struct vfio_config_device *v, const char *value,
			   const char **why)
{
	char bdf[IOMMU_BDF_LEN];

	if (v->bdf[0]) {
		*why = "this [vfio] section already names a device (one device per section)";
		return -EINVAL;
	}
	if (iommu_parse_bdf(value, bdf) < 0) {
		*why = "not a PCI address (DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0)";
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nvfio; i++)
		if (!strcmp(c->vfio[i].bdf, bdf)) {
			*why = "this device is already passed through";
			return -EEXIST;
		}
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdf);
	return 0;
}

static int key_vfio_device(struct parse *p, const char *v, const char **why)
{
	struct vfio_config_device *d = vfio_current(p);

	return d ? vfio_set_device(p->cfg, d, v, why) : -ENOMEM;
}

static int key_vfio_managed(struct parse *p, const char *v, const char **why)
{
	struct vfio_config_device *d = vfio_current(p);

	if (!d)
		return -ENOMEM;
	if (config_parse_bool(v, &d->managed) < 0) {
		*why = "must be yes or no";
		return -EINVAL;
	}
	return 0;
}

static int key_cpu_affinity(struct parse *p, const char *v, const char **why)
{
	p->cfg->cpu_affinity_line = p->src.line;
	return config_set_cpu_affinity(p->cfg, v, why);
}

static int key_memory_backing(struct parse *p, const char *v, const char **why)
{
	p->cfg->memory_backing_line = p->src.line;
	return config_set_memory_backing(p->cfg, v, why);
}

static int key_mlock(struct parse *p, const char *v, const char **why)
{
	if (config_parse_bool(v, &p->cfg->mlock) < 0) {
		*why = "expected yes or no";
		return -EINVAL;
	}
	return 0;
}

static int key_vfio_rom(struct parse *p, const char *v, const char **why)
{
	struct vfio_config_device *d = vfio_current(p);

	return d ? set_path(p, &d->rom, v, why) : -ENOMEM;
}

static int key_tpm_state(struct parse *p, const char *v, const char **why)
{
	p->cfg->tpm_state_line = p->src.line;
	return set_path(p, &p->cfg->tpm_state, v, why);
}

static int key_numa_node(struct parse *p, const char *v, const char **why)
{
	return config_set_numa_node(p->cfg, v, why);
}

static int key_shutdown_timeout(struct parse *p, const char *v, const char **why)
{
	return config_set_shutdown_timeout(p->cfg, v, why);
}

static const struct config_key partition_keys[] = {
	{ "name", key_name },
	{ "memory", key_memory },
	{ "cpus", key_cpus },
	{ "cpu-affinity", key_cpu_affinity },
	{ "memory-backing", key_memory_backing },
	{ "mlock", key_mlock },
	{ "numa-node", key_numa_node },
	{ "shutdown-timeout", key_shutdown_timeout },
	{ NULL, NULL },
};

static const struct config_key vfio_keys[] = {
	{ "device", key_vfio_device },
	{ "managed", key_vfio_managed },
	{ "rom", key_vfio_rom },
	{ NULL, NULL },
};

static const struct config_key boot_keys[] = {
	{ "kernel", key_kernel },
	{ "initrd", key_initrd },
	{ "cmdline", key_cmdline },
	{ NULL, NULL },
};

static const struct config_key tpm_keys[] = {
	{ "state", key_tpm_state },
	{ NULL, NULL },
};

static const struct config_section sections[] = {
	{ "partition", partition_keys },
	{ "boot", boot_keys },
	{ "vfio", vfio_keys },
	{ "tpm", tpm_keys },
};

static void fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parse *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err->msg, sizeof(p->err->msg), "%s:%d: %s", p->file, p->src.line, msg);
}

/* [sriov "NAME"] sections belong to the SR-IOV pools (sriov/poolconf.c),
 * which also word the errors about malformed pool section names. */
static bool sriov_key(struct parse *p, const char *section, const char *key, const char *value)
{
	char name[SRIOV_NAME_MAX], e[384];

	if (sriov_section_name(section, name, sizeof(name)) == 0)
		return false;
	if (sriov_pool_config_key(&p->cfg->sriov, section, key, value, p->src.line, e, sizeof(e)) < 0)
		fail(p, "%s", e);
	return true;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = ((struct ini_source *)user)->userdata;
	const struct config_section *sec = NULL;
	const char *why = NULL;
	int r;

	if (p->failed)
		return 0;
	if (!*section) {
		fail(p, "'%s' is outside any section (start with [partition])", key);
		return 0;
	}
	if (sriov_key(p, section, key, value))
		return !p->failed;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(section, sections[i].name))
			sec = &sections[i];
	if (!sec) {
		fail(p, "unknown section [%s]", section);
		return 0;
	}
	for (const struct config_key *k = sec->keys; k->name; k++) {
		if (strcmp(k->name, key))
			continue;
		r = k->set(p, value, &why);
		if (r == -ENOMEM)
			fail(p, "out of memory");
		else if (r < 0)
			fail(p, "%s = '%s': %s", key, value, why ? why : strerror(-r));
		return r < 0 ? 0 : 1;
	}
	fail(p, "unknown key '%s' in [%s]", key, section);
	return 0;
}

static void on_header(struct ini_source *src)
{
	struct parse *p = src->userdata;

	p->headers++;
	p->header_line = src->line;
	sriov_pool_config_header(&p->cfg->sriov);
}

static int parse(struct parse *p)
{
	char e[384];
	int r;

	p->src.userdata = p;
	p->src.on_header = on_header;
	r = ini_source_parse(&p->src, handler);
	if (p->failed)
		return -EINVAL;
	if (r > 0) {
		/* A syntax error inih found itself (no '=' or no closing ']'). */
		snprintf(p->err->msg, sizeof(p->err->msg),
			 "%s:%d: syntax error (expected [section] or key = value)", p->file, r);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(p->err->msg, sizeof(p->err->msg), "%s: cannot open config: %s", p->file,
			 strerror(-r));
		return r;
	}
	r = sriov_pool_config_check(&p->cfg->sriov, e, sizeof(e));
	if (r < 0) {
		snprintf(p->err->msg, sizeof(p->err->msg), "%s:%s", p->file, e);
		return r;
	}
	for (size_t i = 0; i < p->cfg->nvfio; i++)
		if (!p->cfg->vfio[i].bdf[0]) {
			snprintf(p->err->msg, sizeof(p->err->msg),
				 "%s:%d: [vfio] section without 'device = BDF'", p->file,
				 p->cfg->vfio[i].line);
			return -EINVAL;
		}
	return 0;
}

int config_load(struct vm_config *c, const char *path, struct config_error *err)
{
	_cleanup_free_ char *dir = NULL;
	struct parse p = { .cfg = c, .file = path, .err = err, .src.path = path };
	char *slash;
	int r;

	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	p.dir = dir;
	r = parse(&p);
	if (r < 0)
		return r;
	return config_set_string(&c->path, path);
}

int config_load_string(struct vm_config *c, const char *name, const char *text,
		       struct config_error *err)
{
	struct parse p = { .cfg = c, .file = name, .err = err, .src.path = name, .src.text = text };
	int r = parse(&p);

	if (r < 0)
		return r;
	return config_set_string(&c->path, name);
}

int config_add_vfio(struct vm_config *c, const char *spec, const char **why)
{
	_cleanup_free_ char *copy = strdup(spec);
	struct vfio_config_device *d;
	char *save = NULL, *word;
	int r;

	if (!copy)
		return -ENOMEM;
	word = strtok_r(copy, ",", &save);
	if (!word) {
		*why = "needs a PCI address";
		return -EINVAL;
	}
	d = vfio_add(c);
	if (!d)
		return -ENOMEM;
	r = vfio_set_device(c, d, word, why);
	while (r == 0 && (word = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(word, '=');

		if (eq)
			*eq++ = '\0';
		if (eq && !strcmp(word, "managed")) {
			if (config_parse_bool(eq, &d->managed) < 0) {
				*why = "managed must be yes or no";
				r = -EINVAL;
			}
		} else if (eq && !strcmp(word, "rom") && *eq) {
			r = config_set_string(&d->rom, eq);
		} else {
			*why = "unknown option (known: managed=yes|no, rom=FILE)";
			r = -EINVAL;
		}
	}
	if (r < 0) {
		free(d->rom);
		c->nvfio--;
	}
	return r;
}

int config_set_default_name(struct vm_config *c)
{
	_cleanup_free_ char *copy = NULL;
	char *base, *dot;

	if (c->name)
		return 0;
	if (!c->path)
		return config_set_string(&c->name, "partvm");
	copy = strdup(c->path);
	if (!copy)
		return -ENOMEM;
	base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	dot = strrchr(base, '.');
	if (dot && !strcmp(dot, ".conf"))
		*dot = '\0';
	return config_set_string(&c->name, *base ? base : "partvm");
}

static int check_readable(const char *what, const char *path, const char *file, int line,
			  struct config_error *err)
{
	struct stat st;
	int r = 0;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EISDIR;
	if (r == 0)
		return 0;
	if (file && line > 0)
		snprintf(err->msg, sizeof(err->msg), "%s:%d: %s '%s': %s", file, line, what, path,
			 r == -EISDIR ? "not a regular file" : strerror(-r));
	else
		snprintf(err->msg, sizeof(err->msg), "%s '%s': %s", what, path,
			 r == -EISDIR ? "not a regular file" : strerror(-r));
	return r;
}

/* "FILE:LINE: " for a key that came from the config file, "" for one that
 * came from the command line. */
static const char *where(const struct vm_config *c, int line, char *buf, size_t len)
{
	if (c->path && line > 0)
		snprintf(buf, len, "%s:%d: ", c->path, line);
	else
		buf[0] = '\0';
	return buf;
}

/* Resource keys that depend on other keys, checked once all are known. */
static int validate_resources(const struct vm_config *c, struct config_error *err)
{
	uint64_t page = resources_backing_page_size(c->memory_backing);
	char at[300];

	if (c->ncpu_affinity && c->ncpu_affinity != c->cpus) {
		snprintf(err->msg, sizeof(err->msg),
			 "%scpu-affinity names %u host CPU%s for %u vCPU%s (cpus = %u); give one host CPU per vCPU",
			 where(c, c->cpu_affinity_line, at, sizeof(at)), c->ncpu_affinity,
			 c->ncpu_affinity == 1 ? "" : "s", c->cpus, c->cpus == 1 ? "" : "s", c->cpus);
		return -EINVAL;
	}
	if (c->memory % page) {
		snprintf(err->msg, sizeof(err->msg),
			 "%smemory-backing = %s: memory (%llu MiB) is not a multiple of the %llu MiB page size",
			 where(c, c->memory_backing_line, at, sizeof(at)),
			 resources_backing_name(c->memory_backing), (unsigned long long)(c->memory >> 20),
			 (unsigned long long)(page >> 20));
		return -EINVAL;
	}
	return 0;
}

int config_validate(const struct vm_config *c, struct config_error *err)
{
	int r;

	r = validate_resources(c, err);
	if (r < 0)
		return r;

	if (c->path && !c->kernel) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: no kernel (set 'kernel = PATH' in [boot] or pass --kernel)", c->path);
		return -EINVAL;
	}
	if (!c->kernel && c->initrd) {
		snprintf(err->msg, sizeof(err->msg), "--initrd needs --kernel (the test guest takes none)");
		return -EINVAL;
	}
	if (c->kernel) {
		r = check_readable("kernel", c->kernel, c->path, c->kernel_line, err);
		if (r < 0)
			return r;
	}
	if (c->initrd) {
		r = check_readable("initrd", c->initrd, c->path, c->initrd_line, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->nvfio; i++) {
		if (!c->vfio[i].rom)
			continue;
		r = check_readable("rom", c->vfio[i].rom, c->path, c->vfio[i].line, err);
		if (r < 0)
			return r;
	}
	return 0;
}
