/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device registry. A device type is one `const struct device_type`
 * in its own file: its name, the config section and keys it owns (parsed
 * by the type itself into its own conf struct), a command-line option,
 * its lifecycle hooks, what it adds to the ACPI tables, to the control
 * socket's status and to PCR 1. The machine's types are listed, in start
 * order, in core/board.c; struct vm holds the devices made from them.
 *
 * Lifecycle, in order (stop, detach and free run in reverse order):
 *   create  once, after guest RAM and the event loop exist: register on
 *           the buses, watch fds with loop_add(), start helper threads.
 *           A refusal about the user's input that the preflight could
 *           not foresee (an image taken since) sets vm->input_refused.
 *   attach  every boot, once the KVM VM and its vCPUs exist and the
 *           kernel is loaded, before any vCPU runs (irqfds, ioeventfds,
 *           memory slots, measurements: what is tied to the VM fd).
 *   stop    every boot, after the vCPUs stopped: finish or cancel work in
 *           flight; nothing may touch guest RAM after it returns.
 *   detach  every boot, after stop, before the VM fd closes; also after a
 *           boot that failed part-way, so it copes with a missing attach.
 *   reset   between a guest reboot and the next boot: the state a device
 *           has after a platform reset.
 *   free    once, at the end (also after a create that failed).
 */
#ifndef PARTVM_DEVICE_H
#define PARTVM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct vm;
struct vm_config;
struct loop;
struct acpi_config;
struct json_object;
struct config_ctx;
struct config_error;

/* A key of a config section: SET parses VALUE into CONF (the type's conf
 * struct) and returns 0, or a negative errno with *WHY set to a short
 * reason ("must be yes or no"); the parser adds "FILE:LINE: key = 'v': ". */
struct config_key {
	const char *name;
	int (*set)(struct config_ctx *ctx, void *conf, const char *value, const char **why);
};

/* One device's configuration: a section of the config file, an option on
 * the command line, or nothing for a type that is always there. */
struct device_conf {
	const struct device_type *type;
	void *conf;                   /* the type's conf struct, or NULL */
	int line;                     /* of the section's header; 0: the command line */
};

/* The line a message about DC names: KEY_LINE, that of the key it is
 * about (the type's conf records it; 0 when the value came from the
 * command line), or else the section header's. */
static inline int device_conf_line(const struct device_conf *dc, int key_line)
{
	return key_line ? key_line : dc->line;
}

struct device {
	const struct device_type *type;
	struct vm *vm;
	const struct device_conf *dc; /* NULL for a type without config */
	unsigned index;               /* the nth device of its type */
	char name[48];                /* "virtio-blk0", for messages */
	void *priv;                   /* the device's own state */
};

struct device_type {
	const char *name;

	/* ---- Configuration (all optional) ---- */
	/* The section the type owns ([disk]); MATCH_SECTION, when set,
	 * decides instead ([sriov "uplink"]). */
	const char *section;
	bool (*match_section)(const char *section);
	const struct config_key *keys;          /* NULL-terminated */
	/* Keys the table does not name: -ENOENT when KEY is unknown. */
	int (*conf_key)(struct config_ctx *ctx, void *conf, const char *section, const char *key,
			const char *value, const char **why);
	/* One conf for every section of the type ([vfio] sections are devices
	 * of one passthrough component); else one conf, and one device, per
	 * section. */
	bool singleton;
	size_t conf_size;                       /* allocated zeroed */
	void (*conf_init)(void *conf);
	/* A header of one of the type's sections starts (SECTION as inih
	 * gives it, LINE its line). Returns 0 or -errno with *WHY set. */
	int (*conf_section)(struct config_ctx *ctx, void *conf, const char *section,
			    const char **why);
	/* After the whole file: the section is complete (required keys). */
	int (*conf_check)(const struct device_conf *dc, const char *file, struct config_error *err);
	/* After the command line too: the host side (files exist, ...). */
	int (*conf_validate)(const struct device_conf *dc, const struct vm_config *cfg,
			     struct config_error *err);
	void (*conf_free)(void *conf);
	/* --OPTION ARG on `partvm run` (repeatable): adds a conf like a
	 * section would. HELP is the usage text's line. */
	const char *option;
	const char *option_arg;
	const char *option_help;
	int (*conf_option)(void *conf, const char *arg, const char **why);
	/* Types without a section: whether the VM has one (default: always). */
	bool (*wanted)(const struct vm_config *cfg);
	/* `partvm run`, before any VM exists or anything is taken from the
	 * host: can the device be had (a helper installed, a lock free)?
	 * Logs one line naming the problem; 0 or -errno. */
	int (*preflight)(const struct device_conf *dc, const struct vm_config *cfg);
	/* The same for a refusal that is about the user's input (an image
	 * another partition holds): ERR gets the one line, and `partvm run`
	 * exits 2 as for a bad config. A host problem found on the way is
	 * logged by the hook, ERR left empty: exit 1, as from PREFLIGHT. */
	int (*preflight_usage)(const struct device_conf *dc, const struct vm_config *cfg,
			       struct config_error *err);

	/* ---- PCR 1 (core/tpm/platform.h): what the guest's platform is ---- */
	/* Append this device's lines to TEXT; ROOT is the sysfs root. Returns
	 * 0, or -errno with ERR naming what could not be read. */
	int (*measure)(const struct device_conf *dc, const char *root, FILE *text, char *err,
		       size_t errlen);

	/* ---- Lifecycle (all optional; see above) ---- */
	int (*create)(struct device *d, struct loop *loop);
	/* Before partvm gives up root for good (`user =`): finish what still
	 * needs privileges (VFIO's DMA map of guest RAM). */
	int (*privileged_done)(struct device *d);
	int (*attach)(struct device *d);
	void (*stop)(struct device *d);
	void (*detach)(struct device *d);
	void (*reset)(struct device *d);
	void (*free)(struct device *d);
	/* create and attach log their own one-line error. */
	bool logs_errors;

	/* ---- What the device adds ---- */
	void (*acpi)(struct device *d, struct acpi_config *acpi);
	/* Add to the `status` reply: append to "devices" or set a key. On the
	 * main thread while the guest runs: must not block. */
	void (*status)(struct device *d, struct json_object *status);
	/* The ACPI power button (SIGTERM, `shutdown`): 0 when pressed. */
	int (*power_button)(struct device *d);
};

/* How many confs of TYPE CFG has, and the Nth of them (NULL past the
 * end), in the order they came. */
size_t device_conf_count(const struct vm_config *cfg, const struct device_type *type);
const struct device_conf *device_conf_nth(const struct vm_config *cfg,
					  const struct device_type *type, size_t n);
/* Every conf's preflight hooks, in order; stops at the first failure,
 * which has ERR set when it was about the user's input. */
int devices_preflight(const struct vm_config *cfg, struct config_error *err);

/* Make VM's devices from its config, in the board's order; loop given to
 * create hooks. Logs what failed. */
int devices_create(struct vm *vm, struct loop *loop);
int devices_attach(struct vm *vm);
int devices_privileged_done(struct vm *vm);
void devices_stop(struct vm *vm);
void devices_detach(struct vm *vm);
void devices_reset(struct vm *vm);
void devices_free(struct vm *vm);
void devices_acpi(struct vm *vm, struct acpi_config *acpi);
void devices_status(struct vm *vm, struct json_object *status);
/* Press the power button of the device that has one: 0, or -ENODEV. */
int devices_power_button(struct vm *vm);
/* The first device of TYPE, or NULL. */
struct device *device_find(struct vm *vm, const struct device_type *type);

#endif
