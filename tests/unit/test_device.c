// SPDX-License-Identifier: GPL-2.0-only
/* The device registry (core/vm/device.c) over fake device types whose hooks
 * write what they were called for into one trace: devices made in the
 * board's order and, within a type, the config's; stop, detach and free in
 * reverse; a create or attach that fails part-way; reset between boots;
 * singleton types; and config sections, keys and options reaching the type
 * that owns them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/bus.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/memory.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"
#include "capture.h"
#include "fake_vm.h"

/* Every hook call, "create beta0 n=1|create beta1 n=2|...", so that a
 * failing assertion shows the whole sequence. */
static char trace[4096];
/* The device whose create or attach fails, and how. */
static const char *fail_create, *fail_attach;
static int fail_errno;
/* What devices_create() must hand every create hook. */
static struct loop *const expected_loop = (struct loop *)&trace;

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...)
{
	size_t n = strlen(trace);
	va_list ap;

	if (n)
		n += (size_t)snprintf(trace + n, sizeof(trace) - n, "|");
	va_start(ap, fmt);
	vsnprintf(trace + n, sizeof(trace) - n, fmt, ap);
	va_end(ap);
}

static void trace_reset(void)
{
	trace[0] = '\0';
	fail_create = fail_attach = NULL;
	fail_errno = 0;
}

/* One conf struct for every fake type: what the keys set. */
struct fake_conf {
	unsigned long n;
	unsigned sections;       /* headers seen (a singleton's add up) */
	char color[16];          /* gamma: a key its table does not name */
	char label[16];          /* zeta: the quoted name of [zeta "NAME"] */
};

static int fake_create(struct device *d, struct loop *loop)
{
	const struct fake_conf *c = d->dc ? d->dc->conf : NULL;

	if (c)
		record("create %s n=%lu", d->name, c->n);
	else
		record("create %s", d->name);
	assert_ptr_equal(loop, expected_loop);
	/* Half made before it fails, as a real device can be: its free hook
	 * must still release this (LeakSanitizer says if nothing does). */
	d->priv = strdup(d->name);
	if (!d->priv)
		return -ENOMEM;
	if (fail_create && !strcmp(fail_create, d->name))
		return fail_errno;
	return 0;
}

static int fake_attach(struct device *d)
{
	record("attach %s", d->name);
	if (fail_attach && !strcmp(fail_attach, d->name))
		return fail_errno;
	return 0;
}

static void fake_stop(struct device *d)
{
	record("stop %s", d->name);
}

static void fake_detach(struct device *d)
{
	record("detach %s", d->name);
}

static void fake_reset(struct device *d)
{
	record("reset %s", d->name);
}

/* Every device the registry made gets its free, whether its create ran
 * or not; the trace says which had state. */
static void fake_free(struct device *d)
{
	record("free %s%s", d->name, d->priv ? "" : " (no state)");
	free(d->priv);
	d->priv = NULL;
}

static int set_n(const char *type, void *conf, const char *value, const char **why)
{
	struct fake_conf *c = conf;

	record("key %s n=%s", type, value);
	if (config_parse_uint(value, 0, 1000, &c->n) < 0) {
		*why = "must be a number up to 1000";
		return -EINVAL;
	}
	return 0;
}

static int beta_set_n(struct config_ctx *ctx, void *conf, const char *value, const char **why)
{
	return set_n("beta", conf, value, why);
}

static int gamma_set_n(struct config_ctx *ctx, void *conf, const char *value, const char **why)
{
	return set_n("gamma", conf, value, why);
}

static int zeta_set_n(struct config_ctx *ctx, void *conf, const char *value, const char **why)
{
	return set_n("zeta", conf, value, why);
}

static int gamma_conf_key(struct config_ctx *ctx, void *conf, const char *section, const char *key,
			  const char *value, const char **why)
{
	struct fake_conf *c = conf;

	if (strcmp(key, "color"))
		return -ENOENT;
	record("conf_key gamma color=%s", value);
	snprintf(c->color, sizeof(c->color), "%s", value);
	return 0;
}

static int count_section(struct config_ctx *ctx, void *conf, const char *section, const char **why)
{
	struct fake_conf *c = conf;

	record("section [%s]", section);
	c->sections++;
	return 0;
}

/* [zeta "NAME"]: a type that decides by itself which sections it owns. */
static bool zeta_match(const char *section)
{
	return !strncmp(section, "zeta \"", 6);
}

static int zeta_section(struct config_ctx *ctx, void *conf, const char *section, const char **why)
{
	struct fake_conf *c = conf;

	count_section(ctx, conf, section, why);
	snprintf(c->label, sizeof(c->label), "%.*s", (int)strlen(section) - 7, section + 6);
	return 0;
}

static int option_n(void *conf, const char *arg, const char **why)
{
	struct fake_conf *c = conf;

	if (config_parse_uint(arg, 0, 1000, &c->n) < 0) {
		*why = "must be a number up to 1000";
		return -EINVAL;
	}
	return 0;
}

static bool delta_wanted(const struct vm_config *cfg)
{
	return cfg->debug_exit;
}

#define FAKE_HOOKS                                                                           \
	.create = fake_create, .attach = fake_attach, .stop = fake_stop, .detach = fake_detach, \
	.reset = fake_reset, .free = fake_free

/* Always there, no config. */
static const struct device_type alpha_type = { .name = "alpha", FAKE_HOOKS };
/* Always there, and every hook optional. */
static const struct device_type omega_type = { .name = "omega" };
/* One device per [beta] section or --beta option. */
static const struct device_type beta_type = {
	.name = "beta",
	.section = "beta",
	.keys = (const struct config_key[]){ { "n", beta_set_n }, { NULL, NULL } },
	.conf_size = sizeof(struct fake_conf),
	.option = "beta",
	.conf_option = option_n,
	FAKE_HOOKS,
};
/* Every [gamma] section is one conf and one device; logs its own errors. */
static const struct device_type gamma_type = {
	.name = "gamma",
	.section = "gamma",
	.singleton = true,
	.keys = (const struct config_key[]){ { "n", gamma_set_n }, { NULL, NULL } },
	.conf_key = gamma_conf_key,
	.conf_section = count_section,
	.conf_size = sizeof(struct fake_conf),
	.option = "gamma",
	.conf_option = option_n,
	.logs_errors = true,
	FAKE_HOOKS,
};
static const struct device_type zeta_type = {
	.name = "zeta",
	.match_section = zeta_match,
	.keys = (const struct config_key[]){ { "n", zeta_set_n }, { NULL, NULL } },
	.conf_section = zeta_section,
	.conf_size = sizeof(struct fake_conf),
	FAKE_HOOKS,
};
/* No section: there when the config wants it (as debug-exit is). */
static const struct device_type delta_type = { .name = "delta", .wanted = delta_wanted, FAKE_HOOKS };

static const struct device_type *const fake_board[] = {
	&alpha_type, &omega_type, &beta_type, &gamma_type, &zeta_type, &delta_type, NULL,
};

/* The sections in an order other than the board's. */
static const char lifecycle_conf[] = "[gamma]\n"
				     "n = 3\n"
				     "[beta]\n"
				     "n = 1\n"
				     "[beta]\n"
				     "n = 2\n";

static void vm_setup(struct vm *vm, struct vm_config *cfg, const char *text)
{
	struct config_error err = { { 0 } };

	fake_vm_init(vm, cfg, "dev", 0);
	cfg->types = fake_board;
	cfg->debug_exit = true;
	if (config_load_string(cfg, "test.conf", text, &err) < 0)
		fail_msg("%s", err.msg);
	trace_reset();
}

static void vm_cleanup(struct vm *vm, struct vm_config *cfg)
{
	devices_free(vm);
	fake_vm_free(vm, cfg);
}

static const char *device_names(const struct vm *vm)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < vm->ndevices; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
				      vm->devices[i]->name);
	return buf;
}

/* Created in the board's order, the sections of one type in the order they
 * came; one boot's stop and detach in reverse, every stop before any
 * detach; freed in reverse. */
static void test_lifecycle_order(void **state)
{
	struct vm_config cfg;
	struct vm vm;

	(void)state;
	vm_setup(&vm, &cfg, lifecycle_conf);

	assert_int_equal(devices_create(&vm, expected_loop), 0);
	assert_string_equal(device_names(&vm), "alpha omega beta0 beta1 gamma delta");
	assert_string_equal(trace, "create alpha|create beta0 n=1|create beta1 n=2|"
				   "create gamma n=3|create delta");
	assert_ptr_equal(device_find(&vm, &beta_type), vm.devices[2]);
	assert_int_equal(vm.devices[3]->index, 1);
	assert_null(device_find(&vm, &zeta_type));

	trace_reset();
	assert_int_equal(devices_attach(&vm), 0);
	assert_string_equal(trace, "attach alpha|attach beta0|attach beta1|attach gamma|attach delta");

	trace_reset();
	vm_teardown(&vm);
	assert_string_equal(trace, "stop delta|stop gamma|stop beta1|stop beta0|stop alpha|"
				   "detach delta|detach gamma|detach beta1|detach beta0|detach alpha");

	trace_reset();
	devices_free(&vm);
	assert_string_equal(trace, "free delta|free gamma|free beta1|free beta0|free alpha");
	assert_null(vm.devices);
	assert_int_equal(vm.ndevices, 0);
	vm_cleanup(&vm, &cfg);
}

/* Create fails at device NAME with ERR: the error comes back as it was, no
 * device after it is created (CREATED is the trace), nothing is stopped
 * (no boot ran), the registry's log is LOG (NULL: nothing), and
 * vm_destroy()'s devices_free() then frees every device in reverse, the
 * half-made one included (FREED). */
static void create_failing(const char *name, int err, const char *created, const char *log,
			   const char *freed)
{
	struct capture cap;
	struct vm_config cfg;
	struct vm vm;
	int r;

	vm_setup(&vm, &cfg, lifecycle_conf);
	fail_create = name;
	fail_errno = err;

	capture_begin(&cap);
	r = devices_create(&vm, expected_loop);
	capture_end(&cap);
	assert_int_equal(r, err);
	assert_string_equal(trace, created);
	assert_int_equal(cap.lines, log ? 1 : 0);
	if (log)
		assert_non_null(strstr(cap.text, log));

	trace_reset();
	devices_free(&vm);
	assert_string_equal(trace, freed);
	vm_cleanup(&vm, &cfg);
}

/* The registry logs one line naming the device. */
static void test_create_fails(void **state)
{
	(void)state;
	create_failing("beta1", -EADDRINUSE, "create alpha|create beta0 n=1|create beta1 n=2",
		       "cannot set up beta1: Address already in use\n",
		       "free delta (no state)|free gamma (no state)|free beta1|free beta0|free alpha");
}

/* A type that logs its own errors (logs_errors): the same unwinding, and
 * the registry adds no second line. */
static void test_create_fails_quietly(void **state)
{
	(void)state;
	create_failing("gamma", -ENOSPC,
		       "create alpha|create beta0 n=1|create beta1 n=2|create gamma n=3", NULL,
		       "free delta (no state)|free gamma|free beta1|free beta0|free alpha");
}

/* A boot whose Nth attach fails: no attach after it, the error as it was,
 * and vm_teardown() stops and detaches every device in reverse, those never
 * attached included (detach copes with a missing attach, device.h). */
static void test_attach_fails(void **state)
{
	struct capture cap;
	struct vm_config cfg;
	struct vm vm;
	int r;

	(void)state;
	vm_setup(&vm, &cfg, lifecycle_conf);
	assert_int_equal(devices_create(&vm, expected_loop), 0);
	trace_reset();
	fail_attach = "beta1";
	fail_errno = -EBUSY;

	capture_begin(&cap);
	r = devices_attach(&vm);
	capture_end(&cap);
	assert_int_equal(r, -EBUSY);
	assert_string_equal(trace, "attach alpha|attach beta0|attach beta1");
	assert_int_equal(cap.lines, 1);
	assert_non_null(strstr(cap.text, "cannot attach beta1 to the VM: Device or resource busy\n"));

	trace_reset();
	vm_teardown(&vm);
	assert_string_equal(trace, "stop delta|stop gamma|stop beta1|stop beta0|stop alpha|"
				   "detach delta|detach gamma|detach beta1|detach beta0|detach alpha");
	vm_cleanup(&vm, &cfg);
}

/* A guest reboot: vm_reset() resets every device in the board's order, and
 * the next boot attaches them again without creating them again. */
static void test_reset_between_boots(void **state)
{
	struct vm_config cfg;
	struct vm vm;

	(void)state;
	vm_setup(&vm, &cfg, lifecycle_conf);
	/* What vm_reset() resets besides the devices: the PCI host bridge
	 * and guest RAM. */
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	assert_int_equal(memory_map(&vm.mem, 16ULL << 20, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(pci_host_init(&vm), 0);
	assert_int_equal(devices_create(&vm, expected_loop), 0);
	assert_int_equal(devices_attach(&vm), 0);
	vm_teardown(&vm);

	trace_reset();
	assert_int_equal(vm_reset(&vm), 0);
	assert_string_equal(trace, "reset alpha|reset beta0|reset beta1|reset gamma|reset delta");

	trace_reset();
	assert_int_equal(devices_attach(&vm), 0);
	vm_teardown(&vm);
	assert_string_equal(trace, "attach alpha|attach beta0|attach beta1|attach gamma|attach delta|"
				   "stop delta|stop gamma|stop beta1|stop beta0|stop alpha|"
				   "detach delta|detach gamma|detach beta1|detach beta0|detach alpha");

	devices_free(&vm);
	pci_host_exit(&vm);
	memory_unmap(&vm.mem);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	vm_cleanup(&vm, &cfg);
}

/* Each section goes to the type that owns it ([zeta "NAME"] by its
 * match_section), each key to that type's table and then its conf_key; a
 * singleton's sections and options all fill its one conf, and it makes one
 * device, unnumbered; other types one conf and one device per section or
 * option. */
static void test_config_dispatch(void **state)
{
	struct config_error err = { { 0 } };
	const struct fake_conf *c;
	const char *why = NULL;
	struct vm_config cfg;
	struct vm vm;
	int r;

	(void)state;
	fake_vm_init(&vm, &cfg, "dev", 0);
	cfg.types = fake_board;
	r = config_load_string(&cfg, "test.conf",
				   "[beta]\n"
				   "n = 1\n"
				   "[gamma]\n"
				   "n = 5\n"
				   "[zeta \"left\"]\n"
				   "n = 9\n"
				   "[beta]\n"
				   "n = 2\n"
				   "[gamma]\n"
				   "color = red\n",
				   &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(trace, "key beta n=1|section [gamma]|key gamma n=5|"
				   "section [zeta \"left\"]|key zeta n=9|key beta n=2|"
				   "section [gamma]|conf_key gamma color=red");

	assert_int_equal(device_conf_count(&cfg, &beta_type), 2);
	assert_int_equal(((struct fake_conf *)device_conf_nth(&cfg, &beta_type, 0)->conf)->n, 1);
	assert_int_equal(((struct fake_conf *)device_conf_nth(&cfg, &beta_type, 1)->conf)->n, 2);
	assert_null(device_conf_nth(&cfg, &beta_type, 2));
	assert_int_equal(device_conf_count(&cfg, &gamma_type), 1);
	c = device_conf_nth(&cfg, &gamma_type, 0)->conf;
	assert_int_equal(c->n, 5);
	assert_int_equal(c->sections, 2);
	assert_string_equal(c->color, "red");
	assert_int_equal(device_conf_nth(&cfg, &gamma_type, 0)->line, 3);
	c = device_conf_nth(&cfg, &zeta_type, 0)->conf;
	assert_string_equal(c->label, "left");
	assert_int_equal(c->n, 9);

	/* The command line: --gamma overrides the one conf, --beta adds
	 * one; a --beta that fails to parse adds nothing. */
	assert_ptr_equal(config_find_type(&cfg, "gamma"), &gamma_type);
	assert_int_equal(config_add_option(&cfg, &gamma_type, "7", &why), 0);
	assert_int_equal(device_conf_count(&cfg, &gamma_type), 1);
	assert_int_equal(((struct fake_conf *)device_conf_nth(&cfg, &gamma_type, 0)->conf)->n, 7);
	assert_int_equal(config_add_option(&cfg, &beta_type, "3", &why), 0);
	assert_int_equal(config_add_option(&cfg, &beta_type, "many", &why), -EINVAL);
	assert_string_equal(why, "must be a number up to 1000");
	assert_int_equal(device_conf_count(&cfg, &beta_type), 3);
	assert_int_equal(config_add_option(&cfg, &alpha_type, "1", &why), -EINVAL);

	/* delta is not wanted (no debug_exit); alpha and omega always are. */
	trace_reset();
	assert_int_equal(devices_create(&vm, expected_loop), 0);
	assert_string_equal(device_names(&vm), "alpha omega beta0 beta1 beta2 gamma zeta0");
	assert_string_equal(trace, "create alpha|create beta0 n=1|create beta1 n=2|create beta2 n=3|"
				   "create gamma n=7|create zeta0 n=9");
	assert_ptr_equal(vm.devices[5]->dc, device_conf_nth(&cfg, &gamma_type, 0));
	vm_cleanup(&vm, &cfg);
}

/* What a type's keys refuse, and keys or sections no type owns, are
 * errors naming the file and line. */
static void test_config_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[beta]\nbogus = 1\n", "test.conf:2: unknown key 'bogus' in [beta] (known: n)" },
		/* Past the table, conf_key says -ENOENT: still unknown. */
		{ "[gamma]\nshade = 1\n", "test.conf:2: unknown key 'shade' in [gamma] (known: n)" },
		{ "[beta]\nn = x\n", "test.conf:2: n = 'x': must be a number up to 1000" },
		{ "[partition]\n[nosuch]\nn = 1\n", "test.conf:2: unknown section [nosuch]" },
		{ "[zeta]\nn = 1\n", "test.conf:1: unknown section [zeta]" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_error err = { { 0 } };
		struct vm_config cfg;

		config_init(&cfg, fake_board);
		assert_int_equal(config_load_string(&cfg, "test.conf", cases[i].text, &err), -EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
		config_free(&cfg);
	}
}

/* A test that failed part-way leaves nothing in the next one's trace. */
static int setup(void **state)
{
	trace_reset();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lifecycle_order, setup),
		cmocka_unit_test_setup(test_create_fails, setup),
		cmocka_unit_test_setup(test_create_fails_quietly, setup),
		cmocka_unit_test_setup(test_attach_fails, setup),
		cmocka_unit_test_setup(test_reset_between_boots, setup),
		cmocka_unit_test_setup(test_config_dispatch, setup),
		cmocka_unit_test_setup(test_config_errors, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
