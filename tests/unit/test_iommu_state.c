// SPDX-License-Identifier: GPL-2.0-only
/* Bind records: the file format, atomic save, listing, owner liveness
 * (pid plus start time) and the lock that serialises transactions. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "iommu/iommu.h"

static const struct iommu_record vf = {
	.bdf = "0000:00:12.0", .driver = "igbvf", .driver_override = "", .owner = "web",
	.pid = 777, .starttime = 123456,
};

static const char vf_text[] =
	"# partvm vfio bind record\n"
	"version=1\n"
	"bdf=0000:00:12.0\n"
	"driver=igbvf\n"
	"driver_override=\n"
	"owner=web\n"
	"pid=777\n"
	"starttime=123456\n";

struct fixture {
	char *root;
	struct iommu_host h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->root = fake_sysfs_create();
	assert_non_null(f->root);
	assert_int_equal(iommu_host_init(&f->h), 0);
	snprintf(f->h.root, sizeof(f->h.root), "%s", f->root);
	snprintf(f->h.state_dir, sizeof(f->h.state_dir), "%s/run/partvm/vfio", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_sysfs_destroy(f->root);
	free(f);
	return 0;
}

static void test_format_and_parse(void **state)
{
	struct iommu_record r;
	char buf[1024];

	assert_int_equal(iommu_record_format(&vf, buf, sizeof(buf)), (int)strlen(vf_text));
	assert_string_equal(buf, vf_text);
	assert_int_equal(iommu_record_parse(vf_text, &r), 0);
	assert_memory_equal(&r, &vf, sizeof(r));
	/* Too small a buffer is an error, not a cut record. */
	assert_int_equal(iommu_record_format(&vf, buf, 40), -ENOBUFS);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		/* each misses, repeats wrongly or garbles one thing */
		"version=1\nbdf=0000:00:12.0\ndriver=igbvf\ndriver_override=\nowner=web\npid=777\n",
		"version=2\nbdf=0000:00:12.0\ndriver=igbvf\ndriver_override=\nowner=web\npid=777\nstarttime=1\n",
		"version=1\nbdf=00:12\ndriver=igbvf\ndriver_override=\nowner=web\npid=777\nstarttime=1\n",
		"version=1\nbdf=0000:00:12.0\ndriver=igbvf\ndriver_override=\nowner=web\npid=-3\nstarttime=1\n",
		"version=1\nbdf=0000:00:12.0\ndriver=igbvf\ndriver_override=\nowner=web\npid=7x\nstarttime=1\n",
		"version=1\nbdf=0000:00:12.0\ndriver=igbvf\ndriver_override=\nowner=web\npid=777\nstarttime=1\ncolor=red\n",
		"version=1\nbdf=0000:00:12.0\ndriver igbvf\ndriver_override=\nowner=web\npid=777\nstarttime=1\n",
		"version=1\nbdf=0000:00:12.0\ndriver=igbvf\ndriver_override=\nowner="
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\npid=777\nstarttime=1\n",
		"",
	};
	struct iommu_record r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(iommu_record_parse(bad[i], &r), -EBADMSG);
}

static void test_save_load_list_remove(void **state)
{
	struct fixture *f = *state;
	struct iommu_record r, edu = { .bdf = "0000:00:03.0" }, *all = NULL;
	char path[PATH_MAX], text[1024] = "";
	FILE *fp;

	assert_int_equal(iommu_record_load(&f->h, "0000:00:12.0", &r), -ENOENT);
	assert_int_equal(iommu_record_list(&f->h, &all), 0);

	assert_int_equal(iommu_record_save(&f->h, &vf), 0);
	assert_int_equal(iommu_record_save(&f->h, &edu), 0);
	/* The file on disk is exactly the documented format. */
	assert_true(snprintf(path, sizeof(path), "%s/0000:00:12.0", f->h.state_dir) < (int)sizeof(path));
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_true(fread(text, 1, sizeof(text) - 1, fp) > 0);
	fclose(fp);
	assert_string_equal(text, vf_text);

	assert_int_equal(iommu_record_load(&f->h, "0000:00:12.0", &r), 0);
	assert_string_equal(r.driver, "igbvf");
	assert_string_equal(r.owner, "web");

	/* Temporary files and strangers in the directory are not records. */
	assert_int_equal(fake_sysfs_write(f->root, "run/partvm/vfio/.0000:00:05.0.99.tmp", "junk"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "run/partvm/vfio/README", "junk"), 0);
	assert_int_equal(iommu_record_list(&f->h, &all), 2);
	assert_string_equal(all[0].bdf, "0000:00:03.0");
	assert_string_equal(all[0].driver, "");
	assert_string_equal(all[1].bdf, "0000:00:12.0");
	free(all);

	/* A record whose content names another device is corrupt. */
	assert_int_equal(fake_sysfs_write(f->root, "run/partvm/vfio/0000:00:04.0", vf_text), 0);
	assert_int_equal(iommu_record_load(&f->h, "0000:00:04.0", &r), -EBADMSG);
	assert_int_equal(iommu_record_remove(&f->h, "0000:00:04.0"), 0);

	assert_int_equal(iommu_record_remove(&f->h, "0000:00:12.0"), 0);
	assert_int_equal(iommu_record_remove(&f->h, "0000:00:12.0"), 0);
	assert_int_equal(iommu_record_load(&f->h, "0000:00:12.0", &r), -ENOENT);
}

static void test_owner_alive(void **state)
{
	struct fixture *f = *state;
	struct iommu_record r = vf;

	/* No such process. */
	assert_false(iommu_record_owner_alive(&f->h, &r));
	/* The process, with a command name that has spaces and parentheses. */
	assert_int_equal(fake_sysfs_write(f->root, "proc/777/stat",
		"777 (partvm (run) x) S 1 777 777 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 123456 1000 200\n"), 0);
	assert_true(iommu_record_owner_alive(&f->h, &r));
	/* The pid was reused by a younger process. */
	r.starttime = 99;
	assert_false(iommu_record_owner_alive(&f->h, &r));
	r.starttime = 123456;
	/* Exited, not yet reaped by its parent: a zombie holds no device
	 * (the restorer wakes at this point; CI 25 left a device bound). */
	assert_int_equal(fake_sysfs_write(f->root, "proc/777/stat",
		"777 (partvm) Z 1 777 777 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 123456 1000 200\n"), 0);
	assert_false(iommu_record_owner_alive(&f->h, &r));
	/* The CLI's records have no owner process. */
	r.pid = 0;
	assert_false(iommu_record_owner_alive(&f->h, &r));
}

static void test_lock_excludes_other_process(void **state)
{
	struct fixture *f = *state;
	char lockpath[PATH_MAX], c;
	int go[2], done[2], fd, status;
	pid_t child;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int l = iommu_state_lock(&f->h);
		if (write(go[1], "x", 1) != 1 || l < 0)
			_exit(1);
		if (read(done[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_true(snprintf(lockpath, sizeof(lockpath), "%s/.lock", f->h.state_dir) < (int)sizeof(lockpath));
	fd = open(lockpath, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);

	assert_int_equal(write(done[1], "x", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(WEXITSTATUS(status), 0);
	fd = iommu_state_lock(&f->h);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_parse),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test_setup_teardown(test_save_load_list_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_excludes_other_process, setup, teardown),
	};
	return cmocka_run_group_tests_name("iommu_state", tests, NULL, NULL);
}
