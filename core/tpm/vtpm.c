// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/vtpm.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/gcrypt.h"
#include "core/tpm/crb.h"
#include "core/vm/layout.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"
#include "core/tpm/firmware.h"
#include "core/tpm/provision.h"
#include "core/tpm/statedir.h"
#include "core/tpm/swtpm.h"
#include "core/tpm/worker.h"
#include "core/acpi/acpi.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"

struct vtpm {
	const char *dir;
	int lock_fd;
	struct swtpm swtpm;
	bool swtpm_started;
	struct tpm_crb crb;
	bool crb_ready;
	struct tpm_worker worker;
	bool worker_started;
	bool mapped;
	/* Held for the partition's life: every reset measures the boot again,
	 * by then under the main thread's seccomp filter, which a first
	 * dlopen() of the library (files opened, code mapped) must not meet. */
	struct gcrypt gcrypt;
};

static const struct bus_ops crb_bus_ops = {
	.read = tpm_crb_read,
	.write = tpm_crb_write,
};

/* [tpm] and --tpm. */
struct vtpm_conf {
	char *state;                 /* the state directory */
	int line;                    /* of state = ..., 0 from --tpm */
};

static const struct vtpm_conf *conf_of(const struct vm_config *cfg)
{
	const struct device_conf *dc = device_conf_nth(cfg, &vtpm_device_type, 0);

	return dc ? dc->conf : NULL;
}

const char *vtpm_state_dir(const struct vm_config *cfg)
{
	const struct vtpm_conf *c = conf_of(cfg);

	return c ? c->state : NULL;
}

/* "FILE:LINE: " when the state directory came from a config file. */
static void where(const struct vm_config *cfg, char *buf, size_t len)
{
	const struct vtpm_conf *c = conf_of(cfg);

	config_where(cfg, c ? c->line : 0, buf, len);
}

/* The checks preflight and init share; logs one line. */
static int check_programs(const struct vm_config *cfg, char **swtpm, char **setup)
{
	*swtpm = swtpm_find_program("swtpm");
	if (!*swtpm)
		return log_error_errno(-ENOENT, "tpm: swtpm not found in PATH; install Debian's "
					       "'swtpm' package");
	*setup = NULL;
	if (tpm_statedir_provisioned(vtpm_state_dir(cfg)))
		return 0;
	*setup = swtpm_find_program("swtpm_setup");
	if (!*setup)
		return log_error_errno(-ENOENT, "tpm: swtpm_setup not found in PATH (it creates the "
					       "TPM in '%s'); install Debian's 'swtpm-tools' package",
				       vtpm_state_dir(cfg));
	return 0;
}

static int prepare_and_lock(const struct vm_config *cfg)
{
	char at[300], owner[300], why[160] = "";
	int r;

	uid_t uid = cfg->user ? cfg->user_uid : geteuid();
	gid_t gid = cfg->user ? cfg->user_gid : getegid();

	where(cfg, at, sizeof(at));
	r = tpm_statedir_prepare_for(vtpm_state_dir(cfg), uid, gid, why, sizeof(why));
	if (r < 0)
		return log_error_errno(r, "%stpm state directory '%s': %s (%m)", at, vtpm_state_dir(cfg),
				       why);
	r = tpm_statedir_lock(vtpm_state_dir(cfg), cfg->name ? cfg->name : "partvm", owner,
			      sizeof(owner));
	if (r == -EBUSY)
		return log_error_errno(r, "%stpm state directory '%s' is in use by partition %s",
				       at, vtpm_state_dir(cfg), owner);
	if (r < 0)
		return log_error_errno(r, "%stpm state directory '%s': cannot lock it: %m", at,
				       vtpm_state_dir(cfg));
	return r;
}

static int preflight(const struct device_conf *dc, const struct vm_config *cfg)
{
	_cleanup_free_ char *swtpm = NULL, *setup = NULL;
	int r;

	r = check_programs(cfg, &swtpm, &setup);
	if (r < 0)
		return r;
	/* Take the lock and let it go: vtpm_init takes it for good. */
	r = prepare_and_lock(cfg);
	if (r < 0)
		return r;
	close(r);
	return 0;
}

static int start(struct vm *vm, struct vtpm *t)
{
	const struct vm_config *cfg = vm->cfg;
	_cleanup_free_ char *swtpm = NULL, *setup = NULL;
	const char *why = NULL;
	char status[96];
	uint32_t size = 0;
	bool ek_cert;
	int r;

	r = check_programs(cfg, &swtpm, &setup);
	if (r < 0)
		return r;
	t->lock_fd = prepare_and_lock(cfg);
	if (t->lock_fd < 0)
		return t->lock_fd;

	if (setup) {
		log_info("tpm: creating the TPM in '%s' (swtpm_setup)", t->dir);
		r = tpm_provision(setup, t->dir, config_other_user(cfg), cfg->user_uid, cfg->user_gid, &ek_cert);
		if (r < 0)
			return log_error_errno(r, "tpm: swtpm_setup could not create the TPM in '%s' "
					       "(see %s/" TPM_PROVISION_LOG ")", t->dir, t->dir);
		if (!ek_cert)
			log_notice("tpm: the TPM in '%s' has no EK certificate: swtpm's local CA is "
				   "not available (see %s/" TPM_PROVISION_LOG ")", t->dir, t->dir);
	}

	r = swtpm_start(&t->swtpm, swtpm, t->dir, partvm_runtime_dir(), t->lock_fd,
			config_other_user(cfg), &why);
	t->swtpm_started = true;
	if (r < 0)
		return log_error_errno(r, "tpm: swtpm: %s: %m", why);
	/* The first request also proves that swtpm runs. The TPM's buffer
	 * must not exceed the CRB's, so no response can overflow it. */
	r = swtpm_ctrl_set_buffer_size(&t->swtpm, TPM_CRB_BUFFER_SIZE, &size);
	if (r < 0) {
		/* Most likely swtpm refused its options or state and exited:
		 * give it a moment to be reaped, and say how it ended. */
		for (int i = 0; i < 10 && !swtpm_exited(&t->swtpm); i++)
			usleep(100000);
		if (t->swtpm.pid == 0) {
			swtpm_describe_exit(&t->swtpm, status, sizeof(status));
			return log_error_errno(-ECHILD, "tpm: swtpm %s at start (its log: %s)", status,
					       t->swtpm.log_path);
		}
		return log_error_errno(r, "tpm: swtpm does not answer on its control channel: %m");
	}
	r = tpm_crb_init(&t->crb, LAYOUT_TPM_CRB_START,
			 size < TPM_CRB_BUFFER_SIZE ? size : TPM_CRB_BUFFER_SIZE,
			 &tpm_worker_crb_ops, &t->worker);
	if (r < 0)
		return log_error_errno(r, "tpm: swtpm's buffer of %u bytes is too small", size);
	t->crb_ready = true;
	r = tpm_worker_start(&t->worker, &t->swtpm, &t->crb, &vm->sandbox);
	if (r < 0)
		return log_error_errno(r, "tpm: cannot start its thread: %m");
	t->worker_started = true;
	r = bus_register(&vm->mmio, LAYOUT_TPM_CRB_START, LAYOUT_TPM_CRB_SIZE, "tpm-crb",
			 &crb_bus_ops, &t->crb);
	if (r < 0)
		return log_error_errno(r, "tpm: cannot map the CRB at %#llx: %m",
				       (unsigned long long)LAYOUT_TPM_CRB_START);
	t->mapped = true;
	return 0;
}

/* The control socket's `status`: where the TPM keeps its state, and
 * whether swtpm still runs (it is reaped on another thread). */
static void status(struct device *d, struct json_object *status)
{
	struct vtpm *t = d->priv;
	struct json_object *o = json_object_new_object();
	pid_t pid = __atomic_load_n(&t->swtpm.pid, __ATOMIC_RELAXED);

	json_object_object_add(o, "interface", json_object_new_string("crb"));
	json_object_object_add(o, "state", json_object_new_string(t->dir));
	json_object_object_add(o, "swtpm-pid", pid ? json_object_new_int(pid) : NULL);
	json_object_object_add(status, "tpm", o);
}

static int create(struct device *d, struct loop *loop)
{
	struct vtpm *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	int r;

	t->dir = vtpm_state_dir(d->vm->cfg);
	t->lock_fd = -1;
	d->priv = t;
	d->vm->keep_loaded = true;
	r = gcrypt_load(&t->gcrypt);
	if (r < 0)
		return log_error_errno(r, "tpm: cannot load %s, which measures the boot: %m",
				       GCRYPT_LIB);
	return start(d->vm, t);
}

static int attach(struct device *d)
{
	struct vm *vm = d->vm;
	struct vtpm *t = d->priv;
	_cleanup_free_ char *devs = NULL;
	bool established = false;
	char err[256];
	uint8_t *log;
	int r, len;

	if (!t)
		return 0;
	/* A guest command from before a reboot may still run: let it end. */
	r = tpm_worker_quiesce(&t->worker, SWTPM_COMMAND_TIMEOUT_MS);
	if (r == -EPIPE)
		return log_error_errno(r, "tpm: swtpm is not running; the partition cannot boot "
				       "with its TPM (swtpm's log: %s)", t->swtpm.log_path);
	if (r < 0)
		return log_error_errno(r, "tpm: swtpm has not finished the guest's last command in "
				       "%d s", SWTPM_COMMAND_TIMEOUT_MS / 1000);

	/* A platform reset: PCRs back to their reset values. */
	r = swtpm_ctrl_init(&t->swtpm);
	if (r == 0)
		r = swtpm_ctrl_get_established(&t->swtpm, &established);
	if (r < 0)
		return log_error_errno(r, "tpm: swtpm cannot reset the TPM: %m (swtpm's log: %s)",
				       t->swtpm.log_path);
	tpm_crb_reset(&t->crb, established);
	/* A UEFI firmware starts the TPM and measures the boot itself. */
	if (vm->mem.layout.platform == LAYOUT_FIRMWARE)
		return 0;

	log = vm_guest_ptr(vm, LAYOUT_TPM_LOG_START, LAYOUT_TPM_LOG_SIZE);
	if (!log)
		return -ENOMEM;
	r = tpm_platform_devices("", vm->cfg, &devs, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "tpm: cannot describe the passed-through devices for PCR 1: "
				       "%s", err);
	len = tpm_firmware_measure_boot(&t->swtpm, vm->cfg, devs, &vm->loaded, log, LAYOUT_TPM_LOG_SIZE);
	if (len < 0)
		return len;
	r = tpm_statedir_save_eventlog(t->dir, log, (size_t)len);
	if (r < 0)
		log_warning("tpm: cannot keep the event log in '%s': %s", t->dir, strerror(-r));
	return 0;
}

static void destroy(struct device *d)
{
	struct vm *vm = d->vm;
	struct vtpm *t = d->priv;

	if (!t)
		return;
	if (t->mapped)
		bus_unregister(&vm->mmio, LAYOUT_TPM_CRB_START, &t->crb);
	if (t->worker_started)
		tpm_worker_stop(&t->worker);
	if (t->swtpm_started)
		swtpm_stop(&t->swtpm);
	if (t->crb_ready)
		tpm_crb_destroy(&t->crb);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	gcrypt_unload(&t->gcrypt);
	free(t);
	d->priv = NULL;
}

static void acpi(struct device *d, struct acpi_config *a)
{
	a->tpm = true;
	a->tpm_crb_base = LAYOUT_TPM_CRB_START;
	a->tpm_crb_size = LAYOUT_TPM_CRB_SIZE;
	if (d->vm->mem.layout.platform == LAYOUT_FIRMWARE)
		return;
	a->tpm_log_addr = LAYOUT_TPM_LOG_START;
	a->tpm_log_size = LAYOUT_TPM_LOG_SIZE;
}

static int key_state(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	struct vtpm_conf *c = conf;

	c->line = ctx->line;
	return config_set_path(ctx, &c->state, v, why);
}

static int conf_option(void *conf, const char *arg, const char **why)
{
	struct vtpm_conf *c = conf;

	c->line = 0;
	return config_set_path(NULL, &c->state, arg, why);
}

static int conf_check(const struct device_conf *dc, const char *file, struct config_error *err)
{
	const struct vtpm_conf *c = dc->conf;

	if (c->state)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "%s:%d: [tpm] without 'state = DIR'", file, dc->line);
	return -EINVAL;
}

static void conf_free(void *conf)
{
	free(((struct vtpm_conf *)conf)->state);
}

static const struct config_key keys[] = {
	{ "state", key_state },
	{ NULL, NULL },
};

const struct device_type vtpm_device_type = {
	.name = "tpm",
	.section = "tpm",
	.keys = keys,
	.singleton = true,
	.conf_size = sizeof(struct vtpm_conf),
	.conf_check = conf_check,
	.conf_free = conf_free,
	.option = "tpm",
	.option_arg = "STATEDIR",
	.option_help = "a TPM 2.0 (swtpm) with its state in STATEDIR, and\n"
		       "measured boot (see 'partvm tpm --help')",
	.conf_option = conf_option,
	.preflight = preflight,
	/* Before anything that pins guest RAM: its create forks swtpm. */
	.create = create,
	.attach = attach,
	.free = destroy,
	.logs_errors = true,
	.acpi = acpi,
	.status = status,
};

