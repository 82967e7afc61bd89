// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm tpm predict: the PCRs a partition's boot will produce, computed
 * offline from the same events `partvm run --tpm` measures.
 * partvm tpm eventlog: print a TCG2 event log partvm wrote.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util/cleanup.h"
#include "core/util/gcrypt.h"
#include "core/board.h"
#include "core/cli/cli.h"
#include "core/cli/run.h"
#include "core/vm/config.h"
#include "core/util/log.h"
#include "core/tpm/eventlog.h"
#include "core/tpm/measure.h"
#include "core/tpm/statedir.h"

/* The PCRs partvm measures: the firmware's 0 and 1, the loader's 8 and 9. */
static const uint32_t predicted_pcrs[] = { 0, 1, 8, 9 };

#define EVENTLOG_MAX (16u << 20)

static void print_help(void)
{
	printf("Usage: partvm tpm predict [CONFIG] [RUN OPTIONS] [--banks LIST] [--json]\n"
	       "       partvm tpm eventlog STATEDIR|FILE\n\n"
	       "predict: the values PCRs 0, 1, 8 and 9 will have after `partvm run` boots\n"
	       "the same CONFIG and options (kernel, initrd, --append, --cpus, --memory...),\n"
	       "computed without starting anything: what a secret must be sealed to.\n"
	       "  --banks LIST   hash algorithms, e.g. sha1,sha256 (default sha256, the\n"
	       "                 bank partvm's TPMs have active)\n"
	       "  --json         {\"sha256\": {\"0\": \"HEX\", ...}} instead of text\n\n"
	       "eventlog: print the TCG2 event log of a state directory's last boot\n"
	       "(STATEDIR/" TPM_STATEDIR_EVENTLOG ") or of FILE (a saved\n"
	       "binary_bios_measurements), then the PCR values it replays to.\n\n"
	       "Measurements (PC Client PFP event types): PCR0 EV_S_CRTM_VERSION \"partvm\n"
	       "VERSION\"; PCR1 EV_PLATFORM_CONFIG_FLAGS, the platform text (vCPUs, memory,\n"
	       "TPM, passed-through devices); PCR0-7 EV_SEPARATOR; PCR8 EV_IPL, the kernel\n"
	       "command line; PCR9 EV_IPL, the kernel file, then the initrd file.\n");
}

static void hex(FILE *f, const uint8_t *p, size_t n, bool upper)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, upper ? "%02X" : "%02x", p[i]);
}

/* The banks' PCR values, like tpm2_pcrread prints them. */
static void print_pcrs(const struct tpm_banks *banks, const struct tpm_event *ev, size_t n,
		       const uint32_t *pcrs, size_t npcrs)
{
	for (unsigned b = 0; b < banks->n; b++) {
		printf("  %s:\n", tpm_alg_name(banks->alg[b]));
		for (size_t i = 0; i < npcrs; i++) {
			uint8_t v[TPM_MAX_DIGEST];

			tpm_eventlog_replay(ev, n, b, banks->alg[b], pcrs[i], v);
			printf("    %-2u: 0x", pcrs[i]);
			hex(stdout, v, tpm_alg_size(banks->alg[b]), true);
			printf("\n");
		}
	}
}

static int print_pcrs_json(const struct tpm_banks *banks, const struct tpm_measurements *m)
{
	json_object *root = json_object_new_object();

	if (!root)
		return -ENOMEM;
	for (unsigned b = 0; b < banks->n; b++) {
		json_object *bank = json_object_new_object();

		json_object_object_add(root, tpm_alg_name(banks->alg[b]), bank);
		for (size_t i = 0; i < ARRAY_SIZE(predicted_pcrs); i++) {
			uint8_t v[TPM_MAX_DIGEST];
			char key[4], s[2 * TPM_MAX_DIGEST + 1];

			tpm_eventlog_replay(m->ev, m->n, b, banks->alg[b], predicted_pcrs[i], v);
			for (unsigned j = 0; j < tpm_alg_size(banks->alg[b]); j++)
				snprintf(s + 2 * j, 3, "%02x", v[j]);
			snprintf(key, sizeof(key), "%u", predicted_pcrs[i]);
			json_object_object_add(bank, key, json_object_new_string(s));
		}
	}
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

static int predict(int argc, char **argv)
{
	struct config_error err = { { 0 } };
	struct tpm_banks banks = { 1, { TPM_ALG_SHA256 } };
	_cleanup_free_ char *devs = NULL;
	struct tpm_measurements m;
	struct vm_config cfg;
	const char *file;
	char e[256];
	bool json = false;
	int n = 1, r;

	/* Our options out; everything else is `partvm run`'s, parsed by its
	 * own parser so the prediction sees the very same configuration. */
	_cleanup_free_ char **rest = calloc((size_t)argc + 1, sizeof(char *));
	if (!rest)
		return EXIT_FAIL;
	rest[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *banks_arg = NULL;

		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help();
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--banks")) {
			if (i + 1 == argc)
				return cli_usage_error("tpm predict", "option '--banks' needs a value");
			banks_arg = argv[++i];
		} else if (!strncmp(argv[i], "--banks=", 8)) {
			banks_arg = argv[i] + 8;
		} else {
			rest[n++] = argv[i];
		}
		if (banks_arg && tpm_banks_parse(banks_arg, &banks) < 0)
			return cli_usage_error("tpm predict", "--banks %s: expected a list of sha1, "
					       "sha256, sha384, sha512", banks_arg);
	}

	config_init(&cfg, board_device_types);
	r = run_parse_args(n, rest, &cfg, &err);
	if (r < 0) {
		log_error("%s", r == -ENOMEM ? "tpm predict: out of memory" : err.msg);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	/* No silent wrong prediction: the firmware's measurements are its own. */
	if (cfg.firmware) {
		log_error("tpm predict: the partition boots the UEFI firmware '%s', which measures PCRs "
			  "0-7 itself and its boot loaders PCRs 4-9 as they run; partvm predicts "
			  "none of them there (replay the guest's event log instead: tpm2_eventlog)",
			  cfg.firmware);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	r = tpm_platform_devices("", &cfg, &devs, e, sizeof(e));
	if (r < 0) {
		log_error_errno(r, "tpm predict: %s", e);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	r = tpm_measure_boot(&cfg, devs, NULL, &banks, &m, &file);
	config_free(&cfg);
	if (r < 0) {
		log_error_errno(r, "tpm predict: cannot measure '%s': %m", file ? file : "the boot");
		return EXIT_FAIL;
	}
	if (json)
		r = print_pcrs_json(&banks, &m);
	else
		print_pcrs(&banks, m.ev, m.n, predicted_pcrs, ARRAY_SIZE(predicted_pcrs));
	tpm_measurements_free(&m);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* Event data for people: text where it is text, hex otherwise. */
static void print_data(const struct tpm_event *e)
{
	const uint8_t *d = e->data;
	size_t n = e->len;
	bool text = n > 0;

	if (e->type == EV_S_CRTM_VERSION && n % 2 == 0) {
		printf("    data: \"");
		for (size_t i = 0; i + 1 < n && (d[i] || d[i + 1]); i += 2)
			putchar(d[i + 1] == 0 && isprint(d[i]) ? d[i] : '?');
		printf("\" (UCS-2)\n");
		return;
	}
	if (n && d[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (!isprint(d[i]) && d[i] != '\n')
			text = false;
	if (!text) {
		printf("    data: ");
		hex(stdout, d, e->len < 64 ? e->len : 64, false);
		printf("%s (%u bytes)\n", e->len > 64 ? "..." : "", e->len);
		return;
	}
	printf("    data: \"");
	for (size_t i = 0; i < n; i++)
		if (d[i] == '\n')
			printf(i + 1 < n ? "\n          " : "\\n");
		else
			putchar(d[i]);
	printf("\"\n");
}

static int eventlog(int argc, char **argv)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct tpm_eventlog log;
	uint32_t pcrs[TPM_MAX_PCRS];
	size_t len, npcrs = 0;
	const char *why = "";
	struct stat st;
	bool dir;
	int r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_help();
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("tpm eventlog", "expected one STATEDIR or FILE");
	dir = stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode);
	if (dir) {
		if (asprintf(&path, "%s/" TPM_STATEDIR_EVENTLOG, argv[1]) < 0)
			return EXIT_FAIL;
	} else if (!(path = strdup(argv[1]))) {
		return EXIT_FAIL;
	}
	f = fopen(path, "re");
	if (!f) {
		log_error_errno(-errno, "tpm eventlog: '%s': %m%s", path,
				errno == ENOENT && dir ?
				" (no partition booted with this state directory yet)" : "");
		return EXIT_FAIL;
	}
	buf = malloc(EVENTLOG_MAX);
	if (!buf)
		return EXIT_FAIL;
	len = fread(buf, 1, EVENTLOG_MAX, f);
	if (ferror(f)) {
		log_error("tpm eventlog: '%s': read error", path);
		return EXIT_FAIL;
	}
	r = tpm_eventlog_parse(buf, len, &log, &why);
	if (r == -ENOMEM)
		return EXIT_FAIL;
	if (r < 0) {
		log_error("tpm eventlog: '%s': not a TCG2 event log partvm can read: %s", path, why);
		return EXIT_FAIL;
	}

	printf("%s: TCG2 event log, %zu events, banks", path, log.n);
	for (unsigned b = 0; b < log.banks.n; b++)
		printf(" %s", tpm_alg_name(log.banks.alg[b]));
	printf("\n");
	for (size_t i = 0; i < log.n; i++) {
		const struct tpm_event *e = &log.ev[i];
		const char *type = tpm_event_type_name(e->type);

		printf("#%zu PCR%u ", i + 1, e->pcr);
		if (type)
			printf("%s\n", type);
		else
			printf("event type %#x\n", e->type);
		for (unsigned b = 0; b < log.banks.n; b++) {
			printf("    %s: ", tpm_alg_name(log.banks.alg[b]));
			hex(stdout, e->digest[b], tpm_alg_size(log.banks.alg[b]), false);
			printf("\n");
		}
		print_data(e);
	}
	for (uint32_t p = 0; p < TPM_MAX_PCRS; p++)
		for (size_t i = 0; i < log.n; i++)
			if (log.ev[i].pcr == p && log.ev[i].type != EV_NO_ACTION) {
				pcrs[npcrs++] = p;
				break;
			}
	printf("PCRs the log replays to:\n");
	print_pcrs(&log.banks, log.ev, log.n, pcrs, npcrs);
	tpm_eventlog_free(&log);
	return EXIT_OK;
}

int cli_tpm(int argc, char **argv)
{
	/* Held for the command: it hashes many times (a load that is not
	 * held would make libgcrypt ready again each time). Each hash that
	 * cannot load it says so. */
	_cleanup_(gcrypt_unloadp) struct gcrypt g = { 0 };

	(void)gcrypt_load(&g);
	if (argc < 2)
		return cli_usage_error("tpm", "expected 'predict' or 'eventlog'");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help();
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "predict"))
		return predict(argc - 1, argv + 1);
	if (!strcmp(argv[1], "eventlog"))
		return eventlog(argc - 1, argv + 1);
	return cli_usage_error("tpm", "unknown command '%s' (expected 'predict' or 'eventlog')",
			       argv[1]);
}
