// SPDX-License-Identifier: GPL-2.0-only
/* State files: atomic write, whole read, strict parse, the lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/statefile.h"

static void test_write_read_remove(void **state)
{
	char dir[] = "/tmp/partvm-statefile-XXXXXX", sub[64], buf[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(statefile_write(sub, "0000:00:12.0", "x=1\n"), 0);
	assert_int_equal(statefile_write(sub, "0000:00:12.0", "x=2\n"), 0);
	assert_int_equal(statefile_read(sub, "0000:00:12.0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "x=2\n");
	/* Nothing but the record is left behind. */
	d = opendir(sub);
	while ((e = readdir(d)))
		if (!statefile_is_private(e->d_name))
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	/* A file that does not fit is refused, not truncated. */
	assert_int_equal(statefile_read(sub, "0000:00:12.0", buf, 4), -EBADMSG);
	assert_int_equal(statefile_read(sub, "missing", buf, sizeof(buf)), -ENOENT);
	/* Names are single path components, never hidden files. */
	assert_int_equal(statefile_write(sub, "../x", "x"), -EINVAL);
	assert_int_equal(statefile_write(sub, ".lock", "x"), -EINVAL);
	assert_int_equal(statefile_remove(sub, "0000:00:12.0"), 0);
	assert_int_equal(statefile_remove(sub, "0000:00:12.0"), -ENOENT);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_parse(void **state)
{
	char name[8];
	unsigned vf;
	unsigned long long big;
	int pid;
	const struct statefile_field f[] = {
		{ "name", STATEFILE_STRING, name, sizeof(name), 0 },
		{ "vf", STATEFILE_UINT, &vf, sizeof(vf), 65535 },
		{ "big", STATEFILE_UINT, &big, sizeof(big), ~0ULL },
		{ "pid", STATEFILE_INT, &pid, sizeof(pid), 0x7fffffff },
	};

	assert_int_equal(statefile_parse("# c\n\nname=web\nvf=3\nbig=18446744073709551615\npid=42\n", f, 4), 0);
	assert_string_equal(name, "web");
	assert_int_equal(vf, 3);
	assert_true(big == ~0ULL);
	assert_int_equal(pid, 42);
	/* Missing, unknown, repeated, malformed, out of range, too long. */
	assert_int_equal(statefile_parse("name=web\nvf=3\nbig=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name=web\nvf=3\nbig=1\npid=1\nx=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name=web\nvf=3\nvf=4\nbig=1\npid=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name web\nvf=3\nbig=1\npid=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name=web\nvf=65536\nbig=1\npid=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name=web\nvf=3\nbig=1\npid=-1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name=web\nvf=3x\nbig=1\npid=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("name=12345678\nvf=3\nbig=1\npid=1\n", f, 4), -EBADMSG);
	assert_int_equal(statefile_parse("", f, 4), -EBADMSG);
}

static void test_lock(void **state)
{
	char dir[] = "/tmp/partvm-statefile-XXXXXX", p[64];
	int fd, other;

	assert_non_null(mkdtemp(dir));
	fd = statefile_lock(dir);
	assert_true(fd >= 0);
	/* Another open file description cannot take it while we hold it. */
	snprintf(p, sizeof(p), "%s/.lock", dir);
	other = open(p, O_RDWR);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	close(fd);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	unlink(p);
	rmdir(dir);
}

/* Holder records: written as "PID NAME", read back as a name while the
 * process lives, removed only by the process they name. */
static void test_holder(void **state)
{
	char dir[] = "/tmp/test-holder-XXXXXX", sub[64], path[128], buf[128], text[64];
	pid_t child;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/disks", dir);   /* made by the write */
	assert_int_equal(statefile_hold(sub, "8-12", "web", path, sizeof(path)), 0);
	snprintf(buf, sizeof(buf), "%s/8-12", sub);
	assert_string_equal(path, buf);
	snprintf(buf, sizeof(buf), "%d web\n", (int)getpid());
	assert_int_equal(statefile_read(sub, "8-12", text, sizeof(text)), 0);
	assert_string_equal(text, buf);
	assert_int_equal(statefile_holder(sub, "8-12", buf, sizeof(buf)), 0);
	snprintf(text, sizeof(text), "partition 'web' (pid %d)", (int)getpid());
	assert_string_equal(buf, text);
	assert_int_equal(statefile_holder(sub, "nothing", buf, sizeof(buf)), -ENOENT);

	/* A record of a process that has gone names nobody. */
	child = fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	snprintf(text, sizeof(text), "%d db\n", (int)child);
	assert_int_equal(statefile_write(sub, "gone", text), 0);
	assert_int_equal(statefile_holder(sub, "gone", buf, sizeof(buf)), -ENOENT);
	/* Nor does a damaged one. */
	assert_int_equal(statefile_write(sub, "bad", "web\n"), 0);
	assert_int_equal(statefile_holder(sub, "bad", buf, sizeof(buf)), -ENOENT);

	/* Someone else's record stays; ours goes. */
	snprintf(buf, sizeof(buf), "%s/gone", sub);
	statefile_unhold(buf);
	assert_string_equal(buf, "");
	assert_int_equal(statefile_read(sub, "gone", text, sizeof(text)), 0);
	statefile_unhold(path);
	assert_string_equal(path, "");
	assert_int_equal(statefile_read(sub, "8-12", text, sizeof(text)), -ENOENT);
	statefile_unhold(path);   /* "" is nothing to do */

	assert_int_equal(statefile_remove(sub, "gone"), 0);
	assert_int_equal(statefile_remove(sub, "bad"), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_remove),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_holder),
	};
	return cmocka_run_group_tests_name("statefile", tests, NULL, NULL);
}
