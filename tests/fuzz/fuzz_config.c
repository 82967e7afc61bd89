// SPDX-License-Identifier: GPL-2.0-only
/*
 * Partition configs (`partvm run FILE`): the INI parser with every device
 * type's sections and keys (the board's), the checks after the file
 * (conf_check) and config_validate(). The text is parsed from a string
 * (config_load_string) and, when it names no path with a '/', also from a
 * file in a private directory (config_load), where its relative paths
 * resolve to files the harness made (a kernel, disk images of good and bad
 * sizes, a directory), so validation only ever looks at those.
 *
 * After a NUL byte, the input's lines are command-line options ("disk
 * ARG" for `--disk ARG`) added to what the string loaded.
 *
 * Checks: a refusal fills the error with "FILE:LINE: ..." naming the file
 * it was given and a line of the text; both loaders agree; what loads
 * holds values inside their documented limits, names only the board's
 * device types, validates or is refused naming the file; an option is
 * taken whole (one more device) or refused with a reason and nothing
 * added; config_free() releases it all (LeakSanitizer).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/board.h"
#include "core/vm/config.h"
#include "fuzz.h"

#define NAME "fuzz.conf"

static char dir[64];
static char file[128];

static void make_file(const char *name, size_t size)
{
	char p[192];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[192];

	snprintf(dir, sizeof(dir), "%s", fuzz_scratch_dir("fuzz_config"));
	snprintf(file, sizeof(file), "%s/%s", dir, NAME);
	make_file("vmlinuz", 4096);
	make_file("initrd.img", 512);
	make_file("disk.img", 1 << 20);
	make_file("disk2.img", 4096);
	make_file("odd.img", 1000);
	make_file("empty.img", 0);
	make_file("rom.bin", 2048);
	snprintf(p, sizeof(p), "%s/dir", dir);
	if (mkdir(p, 0755) < 0)
		abort();
	return 0;
}

static unsigned count_lines(const char *text)
{
	unsigned n = 0;

	for (const char *s = text; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

/* MSG is "WHO:LINE: ..." with LINE a line of the text; returns what
 * follows "WHO:". */
static const char *check_located(const char *msg, const char *who, unsigned nlines)
{
	size_t n = strlen(who);
	const char *s;
	char *end;
	unsigned long line;

	if (strncmp(msg, who, n) || msg[n] != ':')
		abort();
	s = msg + n + 1;
	if (!isdigit((unsigned char)*s))
		abort();
	line = strtoul(s, &end, 10);
	if (*end != ':' || line < 1 || line > nlines)
		abort();
	return s;
}

static void check_loaded(const struct vm_config *c, const char *path)
{
	if (!c->path || strcmp(c->path, path))
		abort();
	if (c->memory < CONFIG_MIN_MEMORY || c->memory > CONFIG_MAX_MEMORY || c->memory % 4096)
		abort();
	if (c->cpus < 1 || c->cpus > CONFIG_MAX_CPUS)
		abort();
	if (c->shutdown_timeout > CONFIG_MAX_SHUTDOWN_TIMEOUT)
		abort();
	if (c->numa_node < -1 || c->numa_node >= CPU_SETSIZE)
		abort();
	if (c->name) {
		size_t n = strlen(c->name);

		if (n < 1 || n > 64 || strspn(c->name, "abcdefghijklmnopqrstuvwxyz"
						       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
			abort();
	}
	if (c->ncpu_affinity && !c->cpu_affinity)
		abort();
	for (unsigned i = 0; i < c->ncpu_affinity; i++) {
		if (c->cpu_affinity[i] >= CPU_SETSIZE)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (c->cpu_affinity[j] == c->cpu_affinity[i])
				abort();
	}
	if (c->kernel && !c->kernel[0])
		abort();
	if (c->initrd && !c->initrd[0])
		abort();
	for (size_t i = 0; i < c->ndevices; i++) {
		size_t t;

		for (t = 0; board_device_types[t]; t++)
			if (c->devices[i].type == board_device_types[t])
				break;
		if (!board_device_types[t])
			abort();
	}
}

static void validate(const struct vm_config *c)
{
	struct config_error err = { { 0 } };
	size_t n = strlen(c->path);
	int r;

	r = config_validate(c, &err);
	if (r > 0)
		abort();
	/* A config from a file is always refused naming the file. */
	if (r < 0 && (!err.msg[0] || strncmp(err.msg, c->path, n) || err.msg[n] != ':'))
		abort();
}

/* "OPTION ARG" lines, as `partvm run --OPTION ARG` would add them. */
static void options(struct vm_config *c, const char *text)
{
	char *copy = strdup(text), *save = NULL, *line, *arg;
	unsigned n = 0;

	if (!copy)
		abort();
	for (line = strtok_r(copy, "\n", &save); line && n < 16;
	     line = strtok_r(NULL, "\n", &save), n++) {
		const struct device_type *t = NULL;
		const char *why = NULL;
		size_t before;
		int r;

		arg = strchr(line, ' ');
		if (!arg)
			continue;
		*arg++ = '\0';
		for (size_t i = 0; board_device_types[i]; i++)
			if (board_device_types[i]->option && !strcmp(board_device_types[i]->option, line))
				t = board_device_types[i];
		if (!t)
			continue;
		before = device_conf_count(c, t);
		r = config_add_option(c, t, arg, &why);
		if (r > 0 || (r < 0 && (!why || !why[0])))
			abort();
		if (!t->singleton && device_conf_count(c, t) != before + (r == 0))
			abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct config_error err = { { 0 } }, ferr = { { 0 } };
	struct vm_config c, fc;
	unsigned nlines;
	char *text;
	int r, fr, fd;

	text = strndup((const char *)data, size);
	if (!text)
		abort();
	nlines = count_lines(text);

	config_init(&c, board_device_types);
	r = config_load_string(&c, NAME, text, &err);
	if (r > 0)
		abort();
	if (r < 0)
		check_located(err.msg, NAME, nlines);
	else
		check_loaded(&c, NAME);
	if (r == 0 && config_set_default_name(&c) == 0 && !c.name)
		abort();
	if (r == 0 && nul) {
		char *opts = strndup((const char *)nul + 1, size - (size_t)(nul + 1 - data));

		if (!opts)
			abort();
		options(&c, opts);
		free(opts);
	}

	/* From a file: the same outcome and message; its relative paths
	 * are the harness's files, so it can be validated. */
	if (!strchr(text, '/')) {
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
			abort();
		close(fd);
		config_init(&fc, board_device_types);
		fr = config_load(&fc, file, &ferr);
		if (fr != r)
			abort();
		if (fr < 0 && strcmp(check_located(ferr.msg, file, nlines),
				     check_located(err.msg, NAME, nlines)))
			abort();
		if (fr == 0) {
			check_loaded(&fc, file);
			validate(&fc);
		}
		config_free(&fc);
	}
	config_free(&c);
	free(text);
	return 0;
}
