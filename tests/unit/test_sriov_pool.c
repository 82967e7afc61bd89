// SPDX-License-Identifier: GPL-2.0-only
/*
 * VF pools: which VF a claim takes, allocation records, and two processes
 * claiming from the same PF at once never getting the same VF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sriov/sriov.h"
#include "tests/unit/sriov_fake.h"

#define NVF 16

struct fixture {
	char *root;
	char runtime[PATH_MAX];
	struct sriov_pf pf;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->root = fake_tree();
	assert_non_null(f->root);
	fake_pf(f->root, NVF, NVF, 1);
	snprintf(f->runtime, sizeof(f->runtime), "%s/run/partvm", f->root);
	assert_int_equal(sriov_pf_find(f->root, "eth0", &f->pf), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_tree_remove(f->root);
	free(f);
	return 0;
}

/* Administratively up is the IFF_UP bit of the interface's flags, link or
 * not; no interface (or no name) is not up. */
static void test_netdev_up(void **state)
{
	struct fixture *f = *state;

	fake_write(f->root, "sys/class/net/pf0/flags", "0x1003\n");
	fake_write(f->root, "sys/class/net/pf1/flags", "0x1002\n");
	assert_true(sriov_netdev_up(f->root, "pf0"));
	assert_false(sriov_netdev_up(f->root, "pf1"));
	assert_false(sriov_netdev_up(f->root, "pf2"));
	assert_false(sriov_netdev_up(f->root, ""));
}

static void test_claim_skips_held_vfs(void **state)
{
	struct fixture *f = *state;
	struct sriov_alloc a, b, loaded;
	struct sriov_vf vf;
	char who[256];

	/* VF 0 on vfio-pci, VF 1's netdev up (the host uses it). */
	fake_driver(f->root, "0000:00:10.0", "vfio-pci");
	fake_write(f->root, "sys/class/net/ethvf1/flags", "0x1003\n");

	assert_int_equal(sriov_pool_claim(f->root, f->runtime, &f->pf, "web", "uplink", 0x7ffffff0, &a),
			 0);
	assert_int_equal(a.vf, 2);
	assert_string_equal(a.vf_bdf, "0000:00:10.4");
	assert_string_equal(a.pf_bdf, "0000:00:02.0");

	/* Its record now holds VF 2: the next claim takes VF 3. */
	assert_int_equal(sriov_pool_claim(f->root, f->runtime, &f->pf, "db", "storage", 4243, &b),
			 0);
	assert_int_equal(b.vf, 3);

	assert_int_equal(sriov_alloc_load(f->runtime, "0000:00:10.4", &loaded), 0);
	assert_string_equal(loaded.partition, "web");
	assert_string_equal(loaded.section, "uplink");
	assert_int_equal(loaded.pid, 0x7ffffff0);
	assert_int_equal(loaded.vf, 2);

	assert_int_equal(sriov_vf_get(f->root, &f->pf, 2, &vf), 0);
	assert_int_equal(sriov_vf_holder(f->root, f->runtime, &vf, who, sizeof(who)), 1);
	assert_string_equal(who, "partition web (pool 'uplink', its process is gone)");
	assert_int_equal(sriov_vf_get(f->root, &f->pf, 0, &vf), 0);
	assert_int_equal(sriov_vf_holder(f->root, f->runtime, &vf, who, sizeof(who)), 1);
	assert_string_equal(who, "vfio-pci (not bound by partvm)");
	assert_int_equal(sriov_vf_get(f->root, &f->pf, 4, &vf), 0);
	assert_int_equal(sriov_vf_holder(f->root, f->runtime, &vf, who, sizeof(who)), 0);

	/* Released, VF 2 is the lowest free one again. */
	assert_int_equal(sriov_alloc_remove(f->runtime, "0000:00:10.4"), 0);
	assert_int_equal(sriov_pool_claim(f->root, f->runtime, &f->pf, "web", "uplink", 1, &a), 0);
	assert_int_equal(a.vf, 2);
}

static void test_pool_exhausted(void **state)
{
	struct fixture *f = *state;
	struct sriov_alloc a, *list = NULL;

	for (int i = 0; i < NVF; i++)
		assert_int_equal(sriov_pool_claim(f->root, f->runtime, &f->pf, "p", "s", 1, &a), 0);
	assert_int_equal(sriov_pool_claim(f->root, f->runtime, &f->pf, "p", "s", 1, &a), -EBUSY);
	assert_int_equal(sriov_alloc_list(f->runtime, &list), NVF);
	assert_string_equal(list[0].vf_bdf, "0000:00:10.0");
	assert_string_equal(list[NVF - 1].vf_bdf, "0000:00:13.6");
	free(list);
}

/* Each child claims NVF/2 VFs as fast as it can and writes the indices
 * it got to PIPE. */
static void claimer(struct fixture *f, const char *name, int fd)
{
	for (int i = 0; i < NVF / 2; i++) {
		struct sriov_alloc a;
		int r = sriov_pool_claim(f->root, f->runtime, &f->pf, name, "s", getpid(), &a);
		int v = r < 0 ? r : (int)a.vf;

		if (write(fd, &v, sizeof(v)) != sizeof(v))
			_exit(2);
	}
	_exit(0);
}

static void test_two_processes_get_distinct_vfs(void **state)
{
	struct fixture *f = *state;
	int fds[2], got[NVF], n = 0, status;
	bool seen[NVF] = { false };
	pid_t pids[2];
	struct sriov_alloc a;

	assert_int_equal(pipe(fds), 0);
	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			close(fds[0]);
			claimer(f, c ? "b" : "a", fds[1]);
		}
	}
	close(fds[1]);
	while (n < NVF && read(fds[0], &got[n], sizeof(got[n])) == sizeof(got[n]))
		n++;
	close(fds[0]);
	for (int c = 0; c < 2; c++) {
		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	assert_int_equal(n, NVF);
	for (int i = 0; i < n; i++) {
		assert_true(got[i] >= 0 && got[i] < NVF);
		assert_false(seen[got[i]]);
		seen[got[i]] = true;
	}
	assert_int_equal(sriov_pool_claim(f->root, f->runtime, &f->pf, "c", "s", 1, &a), -EBUSY);
}

static void test_record_format_and_parse(void **state)
{
	struct sriov_alloc a = {
		.vf_bdf = "0000:00:12.2", .pf_bdf = "0000:00:02.0", .vf = 1,
		.partition = "web", .section = "uplink", .pid = 77,
	}, b;
	char text[512];

	assert_true(sriov_alloc_format(&a, text, sizeof(text)) > 0);
	assert_int_equal(sriov_alloc_parse(text, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));

	assert_int_equal(sriov_alloc_parse("vf_bdf=0000:00:12.2\n", &b), -EBADMSG);
	assert_int_equal(sriov_alloc_parse("garbage\n", &b), -EBADMSG);
	assert_int_equal(sriov_alloc_parse("vf_bdf=x\npf_bdf=y\nvf=-1\npartition=p\nsection=s\npid=1\n",
					   &b),
			 -EBADMSG);
	assert_int_equal(sriov_alloc_load("/nonexistent", "0000:00:12.2", &b), -ENOENT);
	assert_int_equal(sriov_alloc_load("/tmp", "../etc", &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_netdev_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_skips_held_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_get_distinct_vfs, setup, teardown),
		cmocka_unit_test(test_record_format_and_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
