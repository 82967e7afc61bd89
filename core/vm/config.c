// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/ini.h"
#include "core/vm/resources.h"

/* Parser state threaded through inih's callbacks. */
struct parse {
	struct config_ctx ctx;
	char *dir;                   /* the file's directory, for relative paths */
	struct config_error *err;
	struct ini_source src;       /* src.line: the line being handled */
	char section[256];           /* the current section, as its header says */
	struct device_conf *dc;      /* the device conf the section feeds */
	bool failed;
};

/* [partition] and [boot] keys set struct vm_config itself. */
struct own_key {
	const char *name;
	int (*set)(struct parse *p, const char *value, const char **why);
};

void config_init(struct vm_config *c, const struct device_type *const *types)
{
	memset(c, 0, sizeof(*c));
	c->types = types;
	c->memory = CONFIG_DEFAULT_MEMORY;
	c->cpus = 1;
	c->numa_node = -1;
	c->shutdown_timeout = CONFIG_DEFAULT_SHUTDOWN_TIMEOUT;
	c->seccomp = CONFIG_DEFAULT_SECCOMP;
}

void config_free(struct vm_config *c)
{
	free(c->path);
	free(c->name);
	free(c->kernel);
	free(c->initrd);
	free(c->cmdline);
	free(c->firmware);
	free(c->kvm_device);
	free(c->user);
	free(c->hyperv_vendor_id);
	for (size_t i = 0; i < c->ndevices; i++) {
		struct device_conf *d = &c->devices[i];

		if (d->conf && d->type->conf_free)
			d->type->conf_free(d->conf);
		free(d->conf);
	}
	free(c->devices);
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

int config_parse_uuid(const char *s, uint8_t out[16])
{
	unsigned k = 0;

	for (unsigned i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		out[k / 2] = (uint8_t)((k % 2 ? out[k / 2] << 4 : 0) |
				       (isdigit((unsigned char)s[i]) ? s[i] - '0'
								    : (tolower((unsigned char)s[i]) - 'a' + 10)));
		k++;
	}
	return s[36] ? -EINVAL : 0;
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

static const char *const hypervisor_ids[] = {
	[KVM_HYPERVISOR_ID_KVM] = "kvm",
	[KVM_HYPERVISOR_ID_HYPERV] = "hyperv",
	[KVM_HYPERVISOR_ID_HIDE] = "hide",
};

const char *config_hypervisor_id_name(enum kvm_hypervisor_id id)
{
	if ((size_t)id < ARRAY_SIZE(hypervisor_ids) && hypervisor_ids[id])
		return hypervisor_ids[id];
	return "kvm";
}

int config_set_hypervisor_id(struct vm_config *c, const char *value, const char **why)
{
	for (size_t i = 0; i < ARRAY_SIZE(hypervisor_ids); i++) {
		if (hypervisor_ids[i] && !strcmp(value, hypervisor_ids[i])) {
			c->hypervisor_id = (enum kvm_hypervisor_id)i;
			return 0;
		}
	}
	*why = "expected hide, kvm or hyperv";
	return -EINVAL;
}

int config_set_hyperv_vendor_id(struct vm_config *c, const char *value, const char **why)
{
	size_t n = strlen(value);

	if (!n) {
		*why = "empty (without the key it is Microsoft Hv)";
		return -EINVAL;
	}
	if (n > KVM_HYPERV_VENDOR_MAX) {
		*why = "longer than 12 characters (CPUID 0x40000000 holds 12 bytes)";
		return -EINVAL;
	}
	for (const char *s = value; *s; s++) {
		if (*s < 0x20 || *s > 0x7e) {
			*why = "only printable ASCII characters";
			return -EINVAL;
		}
	}
	return config_set_string(&c->hyperv_vendor_id, value);
}

struct kvm_hypervisor config_hypervisor(const struct vm_config *c)
{
	struct kvm_hypervisor h = { .hyperv = c->hyperv, .id = c->hypervisor_id };

	if (h.id == KVM_HYPERVISOR_ID_DEFAULT)
		h.id = c->hyperv ? KVM_HYPERVISOR_ID_HYPERV : KVM_HYPERVISOR_ID_KVM;
	if (c->hyperv)
		snprintf(h.vendor, sizeof(h.vendor), "%s",
			 c->hyperv_vendor_id ? c->hyperv_vendor_id : KVM_HYPERV_VENDOR_DEFAULT);
	return h;
}

/* Relative paths in a config file are relative to the file's directory. */
int config_set_path(const struct config_ctx *ctx, char **field, const char *value,
		    const char **why)
{
	_cleanup_free_ char *abs = NULL;

	if (!*value) {
		*why = "empty path";
		return -EINVAL;
	}
	if (value[0] != '/' && ctx && ctx->dir) {
		if (asprintf(&abs, "%s/%s", ctx->dir, value) < 0)
			return -ENOMEM;
		value = abs;
	}
	return config_set_string(field, value);
}

int config_parse_items(const char *arg,
		       int (*set)(void *conf, const char *key, const char *value, const char **why),
		       void *conf, const char *usage, const char **why)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL, *word;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (word = strtok_r(copy, ",", &save); word && r == 0; word = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(word, '=');

		if (!eq) {
			*why = usage;
			return -EINVAL;
		}
		*eq++ = '\0';
		r = set(conf, word, eq, why);
	}
	return r;
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
	return config_set_string(&p->ctx.cfg->name, v);
}

static int key_memory(struct parse *p, const char *v, const char **why)
{
	return config_set_memory(p->ctx.cfg, v, why);
}

static int key_cpus(struct parse *p, const char *v, const char **why)
{
	return config_set_cpus(p->ctx.cfg, v, why);
}

static int key_kernel(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->kernel_line = p->src.line;
	return config_set_path(&p->ctx, &p->ctx.cfg->kernel, v, why);
}

static int key_initrd(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->initrd_line = p->src.line;
	return config_set_path(&p->ctx, &p->ctx.cfg->initrd, v, why);
}

static int key_cmdline(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->cmdline_line = p->src.line;
	return config_set_string(&p->ctx.cfg->cmdline, v);
}

static int key_firmware(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->firmware_line = p->src.line;
	return config_set_path(&p->ctx, &p->ctx.cfg->firmware, v, why);
}

static int key_cpu_affinity(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->cpu_affinity_line = p->src.line;
	return config_set_cpu_affinity(p->ctx.cfg, v, why);
}

static int key_memory_backing(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->memory_backing_line = p->src.line;
	return config_set_memory_backing(p->ctx.cfg, v, why);
}

static int key_mlock(struct parse *p, const char *v, const char **why)
{
	if (config_parse_bool(v, &p->ctx.cfg->mlock) < 0) {
		*why = "expected yes or no";
		return -EINVAL;
	}
	return 0;
}

static int key_seccomp(struct parse *p, const char *v, const char **why)
{
	if (sandbox_parse_mode(v, &p->ctx.cfg->seccomp) < 0) {
		*why = "expected on, off or log";
		return -EINVAL;
	}
	return 0;
}

static int key_hyperv(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->hyperv_line = p->src.line;
	if (config_parse_bool(v, &p->ctx.cfg->hyperv) < 0) {
		*why = "expected yes or no";
		return -EINVAL;
	}
	return 0;
}

static int key_hypervisor_id(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->hypervisor_id_line = p->src.line;
	return config_set_hypervisor_id(p->ctx.cfg, v, why);
}

static int key_hyperv_vendor_id(struct parse *p, const char *v, const char **why)
{
	p->ctx.cfg->hyperv_vendor_id_line = p->src.line;
	return config_set_hyperv_vendor_id(p->ctx.cfg, v, why);
}

static int key_user(struct parse *p, const char *v, const char **why)
{
	int r = config_set_user(p->ctx.cfg, v);

	if (r == -ENOENT) {
		*why = "no such user on this host";
		return -EINVAL;
	}
	return r;
}

static int key_ready_on(struct parse *p, const char *v, const char **why)
{
	if (strcmp(v, "guest") && strcmp(v, "vcpus")) {
		*why = "expected guest (its systemd's READY=1, over [vsock]) or vcpus";
		return -EINVAL;
	}
	p->ctx.cfg->ready_on_guest = !strcmp(v, "guest");
	return 0;
}

static int key_uuid(struct parse *p, const char *v, const char **why)
{
	if (config_parse_uuid(v, p->ctx.cfg->uuid) < 0) {
		*why = "not a UUID (8-4-4-4-12 hex digits)";
		return -EINVAL;
	}
	p->ctx.cfg->uuid_set = true;
	return 0;
}

static int key_numa_node(struct parse *p, const char *v, const char **why)
{
	return config_set_numa_node(p->ctx.cfg, v, why);
}

static int key_shutdown_timeout(struct parse *p, const char *v, const char **why)
{
	return config_set_shutdown_timeout(p->ctx.cfg, v, why);
}

static const struct own_key partition_keys[] = {
	{ "name", key_name },
	{ "memory", key_memory },
	{ "cpus", key_cpus },
	{ "cpu-affinity", key_cpu_affinity },
	{ "memory-backing", key_memory_backing },
	{ "mlock", key_mlock },
	{ "seccomp", key_seccomp },
	{ "user", key_user },
	{ "numa-node", key_numa_node },
	{ "shutdown-timeout", key_shutdown_timeout },
	{ "uuid", key_uuid },
	{ "ready-on", key_ready_on },
	{ "hyperv", key_hyperv },
	{ "hypervisor-id", key_hypervisor_id },
	{ "hyperv-vendor-id", key_hyperv_vendor_id },
	{ NULL, NULL },
};

static const struct own_key boot_keys[] = {
	{ "kernel", key_kernel },
	{ "initrd", key_initrd },
	{ "cmdline", key_cmdline },
	{ "firmware", key_firmware },
	{ NULL, NULL },
};

static const struct {
	const char *name;
	const struct own_key *keys;
} own_sections[] = {
	{ "partition", partition_keys },
	{ "boot", boot_keys },
};

const struct device_type *config_find_type(const struct vm_config *c, const char *name)
{
	for (size_t i = 0; c->types && c->types[i]; i++)
		if (!strcmp(c->types[i]->name, name))
			return c->types[i];
	return NULL;
}

static const struct device_type *type_of_section(const struct vm_config *c, const char *section)
{
	for (size_t i = 0; c->types && c->types[i]; i++) {
		const struct device_type *t = c->types[i];

		if (t->match_section ? t->match_section(section) :
		    t->section && !strcmp(t->section, section))
			return t;
	}
	return NULL;
}

static struct device_conf *conf_add(struct vm_config *c, const struct device_type *type, int line)
{
	struct device_conf *v = reallocarray(c->devices, c->ndevices + 1, sizeof(*v));
	void *conf = NULL;

	if (!v)
		return NULL;
	c->devices = v;
	if (type->conf_size) {
		conf = calloc(1, type->conf_size);
		if (!conf)
			return NULL;
		if (type->conf_init)
			type->conf_init(conf);
	}
	v[c->ndevices] = (struct device_conf){ .type = type, .conf = conf, .line = line };
	return &v[c->ndevices++];
}

static struct device_conf *singleton(struct vm_config *c, const struct device_type *type, int line)
{
	for (size_t i = 0; i < c->ndevices; i++)
		if (c->devices[i].type == type)
			return &c->devices[i];
	return conf_add(c, type, line);
}

void *config_singleton(struct vm_config *c, const struct device_type *type)
{
	struct device_conf *d = singleton(c, type, 0);

	return d ? d->conf : NULL;
}

int config_add_option(struct vm_config *c, const struct device_type *type, const char *arg,
		      const char **why)
{
	struct device_conf *d;
	int r;

	if (!type->conf_option) {
		*why = "not an option of this device";
		return -EINVAL;
	}
	d = type->singleton ? singleton(c, type, 0) : conf_add(c, type, 0);
	if (!d)
		return -ENOMEM;
	r = type->conf_option(d->conf, arg, why);
	if (r < 0 && !type->singleton) {
		if (d->conf && type->conf_free)
			type->conf_free(d->conf);
		free(d->conf);
		c->ndevices--;
	}
	return r;
}

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
	snprintf(p->err->msg, sizeof(p->err->msg), "%s:%d: %s", p->ctx.file, p->src.line, msg);
}

static bool own_section(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(own_sections); i++)
		if (!strcmp(section, own_sections[i].name))
			return true;
	return false;
}

/* A [header] line: the section name as inih reads it (between the
 * brackets, trimmed). Each header of a device's section opens its conf
 * here, so a section without keys is still seen (and checked). */
static void on_header(struct ini_source *src, const char *line)
{
	struct parse *p = src->userdata;
	const struct device_type *t;
	const char *s = strchr(line, '['), *e;
	const char *why = NULL;
	size_t n;
	int r;

	if (p->failed || !s)
		return;
	s++;
	e = strchr(s, ']');
	if (!e)
		return;   /* inih reports the syntax error */
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	snprintf(p->section, sizeof(p->section), "%.*s", (int)n, s);
	p->ctx.header_line = src->line;
	p->ctx.line = src->line;
	p->dc = NULL;
	if (own_section(p->section))
		return;
	t = type_of_section(p->ctx.cfg, p->section);
	if (!t) {
		fail(p, "unknown section [%s]", p->section);
		return;
	}
	p->dc = t->singleton ? singleton(p->ctx.cfg, t, src->line) : conf_add(p->ctx.cfg, t, src->line);
	if (!p->dc) {
		fail(p, "out of memory");
		return;
	}
	if (t->conf_section) {
		r = t->conf_section(&p->ctx, p->dc->conf, p->section, &why);
		if (r == -ENOMEM)
			fail(p, "out of memory");
		else if (r < 0)
			fail(p, "[%s]: %s", p->section, why ? why : strerror(-r));
	}
}

static int own_key(struct parse *p, const char *section, const char *key, const char *value)
{
	const struct own_key *keys = NULL;
	const char *why = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(own_sections); i++)
		if (!strcmp(section, own_sections[i].name))
			keys = own_sections[i].keys;
	for (const struct own_key *k = keys; k && k->name; k++) {
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

/* "path, readonly, serial": the keys a type's table names. */
static void known_keys(const struct device_type *t, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const struct config_key *k = t->keys; k && k->name && n < len; k++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", k->name);
}

static int device_key(struct parse *p, const char *section, const char *key, const char *value)
{
	const struct device_type *t = p->dc->type;
	const char *why = NULL;
	bool found = false;
	char known[256];
	int r = 0;

	p->ctx.whole_msg = false;
	for (const struct config_key *k = t->keys; k && k->name && !found; k++) {
		if (!strcmp(k->name, key)) {
			found = true;
			r = k->set(&p->ctx, p->dc->conf, value, &why);
		}
	}
	if (!found && t->conf_key) {
		r = t->conf_key(&p->ctx, p->dc->conf, section, key, value, &why);
		found = r != -ENOENT || p->ctx.whole_msg;
	}
	if (!found) {
		known_keys(t, known, sizeof(known));
		if (known[0])
			fail(p, "unknown key '%s' in [%s] (known: %s)", key, section, known);
		else
			fail(p, "unknown key '%s' in [%s]", key, section);
		return 0;
	}
	if (r == -ENOMEM)
		fail(p, "out of memory");
	else if (r < 0 && p->ctx.whole_msg)
		fail(p, "%s", why);
	else if (r < 0)
		fail(p, "%s = '%s': %s", key, value, why ? why : strerror(-r));
	return r < 0 ? 0 : 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = ((struct ini_source *)user)->userdata;

	if (p->failed)
		return 0;
	p->ctx.line = p->src.line;
	if (!*section) {
		fail(p, "'%s' is outside any section (start with [partition])", key);
		return 0;
	}
	if (own_section(section))
		return own_key(p, section, key, value);
	if (!p->dc) {
		fail(p, "unknown section [%s]", section);
		return 0;
	}
	return device_key(p, section, key, value);
}

static int parse(struct parse *p)
{
	struct vm_config *c = p->ctx.cfg;
	int r;

	p->src.userdata = p;
	p->src.on_header = on_header;
	r = ini_source_parse(&p->src, handler);
	if (p->failed)
		return -EINVAL;
	if (r > 0) {
		/* A syntax error inih found itself (no '=' or no closing ']'). */
		snprintf(p->err->msg, sizeof(p->err->msg),
			 "%s:%d: syntax error (expected [section] or key = value)", p->ctx.file, r);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(p->err->msg, sizeof(p->err->msg), "%s: cannot open config: %s", p->ctx.file,
			 strerror(-r));
		return r;
	}
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct device_conf *d = &c->devices[i];

		if (d->type->conf_check && (r = d->type->conf_check(d, p->ctx.file, p->err)) < 0)
			return r;
	}
	return 0;
}

int config_load(struct vm_config *c, const char *path, struct config_error *err)
{
	_cleanup_free_ char *dir = NULL;
	struct parse p = { .ctx = { .cfg = c, .file = path }, .err = err, .src.path = path };
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
	p.ctx.dir = dir;
	r = parse(&p);
	if (r < 0)
		return r;
	return config_set_string(&c->path, path);
}

int config_load_string(struct vm_config *c, const char *name, const char *text,
		       struct config_error *err)
{
	struct parse p = { .ctx = { .cfg = c, .file = name }, .err = err, .src.path = name,
			   .src.text = text };
	int r = parse(&p);

	if (r < 0)
		return r;
	return config_set_string(&c->path, name);
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

const char *config_where(const struct vm_config *c, int line, char *buf, size_t len)
{
	if (c->path && line > 0)
		snprintf(buf, len, "%s:%d: ", c->path, line);
	else
		buf[0] = '\0';
	return buf;
}

int config_check_readable(const struct vm_config *c, int line, const char *what, const char *path,
			  struct config_error *err)
{
	struct stat st;
	char at[300];
	int r = 0;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EISDIR;
	if (r == 0)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "%s%s '%s': %s", config_where(c, line, at, sizeof(at)),
		 what, path, r == -EISDIR ? "not a regular file" : strerror(-r));
	return r;
}

/* A firmware boots what the guest's disk holds: a kernel, initrd or command
 * line from the host would be ignored, so they are refused. */
static int validate_boot(const struct vm_config *c, struct config_error *err)
{
	const char *what = c->kernel ? "kernel" : c->initrd ? "initrd" : c->cmdline ? "cmdline" : NULL;
	int line = c->kernel ? c->kernel_line : c->initrd ? c->initrd_line : c->cmdline_line;
	char at[300];

	if (!c->firmware || !what)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "%sfirmware and %s exclude each other: the firmware "
		 "boots the loader on the guest's disk, which brings its own kernel%s",
		 config_where(c, c->firmware_line ? c->firmware_line : line, at, sizeof(at)), what,
		 strcmp(what, "cmdline") ? "" : " and command line");
	return -EINVAL;
}

/* Resource keys that depend on other keys, checked once all are known. */
static int validate_resources(const struct vm_config *c, struct config_error *err)
{
	uint64_t page = resources_backing_page_size(c->memory_backing);
	char at[300];

	if (c->ncpu_affinity && c->ncpu_affinity != c->cpus) {
		snprintf(err->msg, sizeof(err->msg),
			 "%scpu-affinity names %u host CPU%s for %u vCPU%s (cpus = %u); give one host CPU per vCPU",
			 config_where(c, c->cpu_affinity_line, at, sizeof(at)), c->ncpu_affinity,
			 c->ncpu_affinity == 1 ? "" : "s", c->cpus, c->cpus == 1 ? "" : "s", c->cpus);
		return -EINVAL;
	}
	if (c->memory % page) {
		snprintf(err->msg, sizeof(err->msg),
			 "%smemory-backing = %s: memory (%llu MiB) is not a multiple of the %llu MiB page size",
			 config_where(c, c->memory_backing_line, at, sizeof(at)),
			 resources_backing_name(c->memory_backing), (unsigned long long)(c->memory >> 20),
			 (unsigned long long)(page >> 20));
		return -EINVAL;
	}
	return 0;
}

/* hypervisor-id and hyperv-vendor-id against hyperv, once all are known. */
static int validate_hypervisor(const struct vm_config *c, struct config_error *err)
{
	char at[300];

	if (c->hyperv && c->hypervisor_id == KVM_HYPERVISOR_ID_KVM) {
		snprintf(err->msg, sizeof(err->msg),
			 "%shypervisor-id = kvm with hyperv = yes: the Hyper-V leaves take CPUID 0x40000000, "
			 "KVM's place; use hypervisor-id = hyperv (KVM's move to 0x40000100) or hide",
			 config_where(c, c->hypervisor_id_line, at, sizeof(at)));
		return -EINVAL;
	}
	if (!c->hyperv && c->hypervisor_id == KVM_HYPERVISOR_ID_HYPERV) {
		snprintf(err->msg, sizeof(err->msg),
			 "%shypervisor-id = hyperv needs hyperv = yes (the Hyper-V leaves it names)",
			 config_where(c, c->hypervisor_id_line, at, sizeof(at)));
		return -EINVAL;
	}
	if (!c->hyperv && c->hyperv_vendor_id) {
		snprintf(err->msg, sizeof(err->msg),
			 "%shyperv-vendor-id needs hyperv = yes (it is the Hyper-V leaves' vendor)",
			 config_where(c, c->hyperv_vendor_id_line, at, sizeof(at)));
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
	r = validate_hypervisor(c, err);
	if (r < 0)
		return r;

	r = validate_boot(c, err);
	if (r < 0)
		return r;
	if (c->path && !c->kernel && !c->firmware) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: no kernel (set 'kernel = PATH' or 'firmware = PATH' in [boot], or pass "
			 "--kernel or --firmware)", c->path);
		return -EINVAL;
	}
	if (!c->kernel && c->initrd) {
		snprintf(err->msg, sizeof(err->msg), "--initrd needs --kernel (the test guest takes none)");
		return -EINVAL;
	}
	if (c->kernel) {
		r = config_check_readable(c, c->kernel_line, "kernel", c->kernel, err);
		if (r < 0)
			return r;
	}
	if (c->initrd) {
		r = config_check_readable(c, c->initrd_line, "initrd", c->initrd, err);
		if (r < 0)
			return r;
	}
	if (c->firmware) {
		r = config_check_readable(c, c->firmware_line, "firmware", c->firmware, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct device_conf *d = &c->devices[i];

		if (d->type->conf_validate && (r = d->type->conf_validate(d, c, err)) < 0)
			return r;
	}
	return 0;
}

/* NAME's uid and primary gid from the user database; -ENOENT if none. */
static int resolve_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

static int set_user(struct vm_config *c, const char *name, uid_t uid, gid_t gid)
{
	int r = config_set_string(&c->user, name);

	if (r < 0)
		return r;
	c->user_uid = uid;
	c->user_gid = gid;
	return 0;
}

int config_set_user(struct vm_config *c, const char *name)
{
	uid_t uid;
	gid_t gid;
	int r = resolve_user(name, &uid, &gid);

	return r < 0 ? r : set_user(c, name, uid, gid);
}

const char *config_other_user(const struct vm_config *c)
{
	return c->user && c->user_uid != geteuid() ? c->user : NULL;
}

int config_set_user_from_passwd(struct vm_config *c, const char *name, const char *passwd)
{
	_cleanup_fclose_ FILE *f = fopen(passwd, "re");
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (!f)
		return -errno;
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0)
		if (!strcmp(res->pw_name, name))
			return set_user(c, name, res->pw_uid, res->pw_gid);
	return -ENOENT;
}
