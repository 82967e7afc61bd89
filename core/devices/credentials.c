// SPDX-License-Identifier: GPL-2.0-only
/*
 * System credentials for the guest (see credentials.h). Two config types,
 * neither with a device of its own: the SMBIOS tables (smbios.c) carry
 * what they hold. A credential is a secret: it is not measured into PCR 1
 * and not shown by the control socket, only its name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/devices/credentials.h"
#include "core/util/cleanup.h"
#include "core/vm/config.h"
#include "core/vm/device.h"

/* Longer names are refused by systemd (a file name under
 * /run/credentials, at most NAME_MAX, less its own margin). */
#define CREDENTIAL_NAME_MAX 255

struct credential {
	char *name;
	uint8_t *value;
	size_t len;
	bool binary;                  /* from a file: sent Base64 */
	int line;
};

struct credentials_conf {
	struct credential *v;
	size_t n;
};

/* systemd's rules (credential_name_valid()), and no '=' (the string's
 * separator). */
static int check_name(const char *name, const char **why)
{
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > CREDENTIAL_NAME_MAX ||
	    strpbrk(name, "/=")) {
		*why = "not a credential name (1 to 255 characters, no '/' or '=', not . or ..)";
		return -EINVAL;
	}
	return 0;
}

static int add(struct credentials_conf *c, const char *name, const void *value, size_t len,
	       bool binary, int line, const char **why)
{
	struct credential *v;
	int r = check_name(name, why);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name)) {
			*why = "given twice";
			return -EEXIST;
		}
	if (!binary && memchr(value, '\0', len)) {
		*why = "a text credential with a NUL byte (use --credential-file)";
		return -EINVAL;
	}
	v = reallocarray(c->v, c->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	v = &c->v[c->n];
	*v = (struct credential){ .name = strdup(name), .value = malloc(len ? len : 1), .len = len,
				  .binary = binary, .line = line };
	if (!v->name || !v->value) {
		free(v->name);
		free(v->value);
		return -ENOMEM;
	}
	memcpy(v->value, value, len);
	c->n++;
	return 0;
}

static void conf_free(void *conf)
{
	struct credentials_conf *c = conf;

	for (size_t i = 0; i < c->n; i++) {
		/* Secrets do not linger in freed memory. */
		explicit_bzero(c->v[i].value, c->v[i].len);
		free(c->v[i].value);
		free(c->v[i].name);
	}
	free(c->v);
}

/* [credentials]: every key is a credential's name. */
static int conf_key(struct config_ctx *ctx, void *conf, const char *section, const char *key,
		    const char *value, const char **why)
{
	const char *what = NULL;
	int r = add(conf, key, value, strlen(value), false, ctx->line, &what);

	if (r < 0 && what) {
		/* Worded here: the parser's own line would show the value. */
		snprintf(ctx->msg, sizeof(ctx->msg), "credential '%s': %s", key, what);
		ctx->whole_msg = true;
		*why = ctx->msg;
	}
	return r;
}

/* --credential NAME=VALUE */
static int option_text(void *conf, const char *arg, const char **why)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = NULL;

	if (!eq) {
		*why = "expected NAME=VALUE";
		return -EINVAL;
	}
	name = strndup(arg, (size_t)(eq - arg));
	if (!name)
		return -ENOMEM;
	return add(conf, name, eq + 1, strlen(eq + 1), false, 0, why);
}

/* --credential-file NAME=PATH: the file's bytes, read now. */
static int option_file(void *conf, const char *arg, const char **why)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;
	int r;

	if (!eq) {
		*why = "expected NAME=PATH";
		return -EINVAL;
	}
	name = strndup(arg, (size_t)(eq - arg));
	if (!name)
		return -ENOMEM;
	fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CREDENTIALS_MAX_BYTES) {
		*why = S_ISREG(st.st_mode) ? "larger than the 24 KiB SMBIOS holds for credentials"
					   : "not a regular file";
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		*why = "cannot read it whole";
		return -EIO;
	}
	r = add(conf, name, buf, (size_t)n, true, 0, why);
	explicit_bzero(buf, (size_t)n);
	return r;
}

static size_t base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

#define PREFIX_TEXT "io.systemd.credential:"
#define PREFIX_BINARY "io.systemd.credential.binary:"

static size_t string_size(const struct credential *v)
{
	return (v->binary ? strlen(PREFIX_BINARY) + base64_len(v->len) : strlen(PREFIX_TEXT) + v->len) +
	       strlen(v->name) + 2;   /* '=' and the NUL */
}

/* Every conf of both types, in turn. */
static const struct credentials_conf *nth(const struct vm_config *cfg, size_t i)
{
	size_t a = device_conf_count(cfg, &credentials_device_type);
	const struct device_conf *dc = i < a ? device_conf_nth(cfg, &credentials_device_type, i)
					     : device_conf_nth(cfg, &credential_file_device_type, i - a);

	return dc ? dc->conf : NULL;
}

int credentials_strings(const struct vm_config *cfg, char ***out)
{
	_cleanup_strv_free_ char **v = NULL;
	const struct credentials_conf *c;
	size_t k = 0, total = 0;

	for (size_t i = 0; (c = nth(cfg, i)); i++)
		total += c->n;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; (c = nth(cfg, i)); i++)
		for (size_t j = 0; j < c->n; j++) {
			const struct credential *cr = &c->v[j];
			size_t size = string_size(cr);
			char *s = malloc(size);

			if (!s)
				return -ENOMEM;
			if (cr->binary) {
				int at = snprintf(s, size, PREFIX_BINARY "%s=", cr->name);

				base64(cr->value, cr->len, s + at);
			} else {
				snprintf(s, size, PREFIX_TEXT "%s=%.*s", cr->name, (int)cr->len,
					 (const char *)cr->value);
			}
			v[k++] = s;
		}
	*out = TAKE_PTR(v);
	return 0;
}

/* After the file and the command line: a name given twice across them,
 * and all of them within what SMBIOS holds. */
static int conf_validate(const struct device_conf *dc, const struct vm_config *cfg,
			 struct config_error *err)
{
	const struct credentials_conf *c, *o;
	size_t total = 0;
	char at[300];

	/* Once, for the first conf of either type. */
	if (nth(cfg, 0) != dc->conf)
		return 0;
	for (size_t i = 0; (c = nth(cfg, i)); i++)
		for (size_t j = 0; j < c->n; j++) {
			total += string_size(&c->v[j]);
			for (size_t k = 0; (o = nth(cfg, k)) && k < i; k++)
				for (size_t l = 0; l < o->n; l++)
					if (!strcmp(o->v[l].name, c->v[j].name)) {
						snprintf(err->msg, sizeof(err->msg), "%scredential '%s' "
							 "is given twice",
							 config_where(cfg, c->v[j].line, at, sizeof(at)),
							 c->v[j].name);
						return -EEXIST;
					}
		}
	if (total > CREDENTIALS_MAX_BYTES) {
		snprintf(err->msg, sizeof(err->msg), "credentials: %zu bytes as SMBIOS strings; at most "
			 "%d fit", total, CREDENTIALS_MAX_BYTES);
		return -E2BIG;
	}
	return 0;
}

const struct device_type credentials_device_type = {
	.name = "credentials",
	.section = "credentials",
	.singleton = true,
	.conf_size = sizeof(struct credentials_conf),
	.conf_key = conf_key,
	.conf_validate = conf_validate,
	.conf_free = conf_free,
	.option = "credential",
	.option_arg = "NAME=VALUE",
	.option_help = "a system credential for the guest's systemd (SMBIOS type 11; repeatable)",
	.conf_option = option_text,
};

const struct device_type credential_file_device_type = {
	.name = "credential-file",
	.singleton = true,
	.conf_size = sizeof(struct credentials_conf),
	.conf_validate = conf_validate,
	.conf_free = conf_free,
	.option = "credential-file",
	.option_arg = "NAME=PATH",
	.option_help = "a system credential with a file's bytes (sent Base64; repeatable)",
	.conf_option = option_file,
};
