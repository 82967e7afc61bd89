// SPDX-License-Identifier: GPL-2.0-only
/*
 * Measure a VMM from the outside, the same way for partvm and QEMU.
 *
 *   vmm-measure first-output CMD [ARG]...
 *       Wall time from just before exec to the first byte the VMM writes to
 *       stdout (the guest's serial output); prints "first-output-ms MS".
 *       The VMM is killed once that byte arrived.
 *
 *   vmm-measure until PATTERN CMD [ARG]...
 *       Wall time from just before exec until the VMM's stdout contains
 *       PATTERN (a guest's init announcing itself); prints "until-ms MS".
 *
 *   vmm-measure rss PATTERN CMD [ARG]...
 *       Runs the VMM until a stdout line contains PATTERN (the guest is up
 *       and idle), then reads /proc: prints "peak-rss-kib N guest-ram-kib G
 *       overhead-kib N-G", where G is what is resident of the largest
 *       anonymous mapping (the guest's RAM) and N the peak RSS (VmHWM).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static pid_t spawn(char **argv, int *out)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int first_output(char **argv)
{
	double start = now_ms();
	char c;
	int fd;
	pid_t pid = spawn(argv, &fd);
	ssize_t n;

	if (pid < 0)
		return 2;
	n = read(fd, &c, 1);
	if (n != 1) {
		fprintf(stderr, "vmm-measure: %s wrote nothing\n", argv[0]);
		stop(pid);
		return 1;
	}
	printf("first-output-ms %.3f\n", now_ms() - start);
	stop(pid);
	return 0;
}

/* Read the child's stdout until it contains PATTERN; false if it ended. */
static int wait_for(int fd, const char *pattern)
{
	static char buf[65536];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			return 0;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, pattern))
			return 1;
		/* Keep the tail: a pattern may straddle two reads. */
		if (len > sizeof(buf) / 2) {
			memmove(buf, buf + len - 4096, 4096);
			len = 4096;
		}
	}
}

static int until(const char *pattern, char **argv)
{
	double start = now_ms();
	int fd;
	pid_t pid = spawn(argv, &fd);

	if (pid < 0)
		return 2;
	if (!wait_for(fd, pattern)) {
		fprintf(stderr, "vmm-measure: %s ended before printing '%s'\n", argv[0], pattern);
		stop(pid);
		return 1;
	}
	printf("until-ms %.3f\n", now_ms() - start);
	stop(pid);
	return 0;
}

/* Resident KiB of the largest anonymous, private mapping in smaps. */
static long guest_ram_kib(pid_t pid)
{
	char path[64], line[512];
	unsigned long lo, hi, best = 0;
	long rss = 0, best_rss = 0;
	int anon = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], name[256] = "";
		unsigned long off;
		int fields;

		fields = sscanf(line, "%lx-%lx %7s %lx %*s %*s %255s", &lo, &hi, perms, &off, name);
		if (fields >= 4 && strchr(line, '-') && strlen(perms) == 4) {
			anon = fields == 4 || !strcmp(name, "");
			rss = -1;
			if (anon && perms[3] == 'p' && hi - lo > best) {
				best = hi - lo;
				rss = 0;
			}
			continue;
		}
		if (rss == 0 && sscanf(line, "Rss: %ld kB", &rss) == 1)
			best_rss = rss;
	}
	fclose(f);
	return best_rss;
}

static long peak_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int rss(const char *pattern, char **argv)
{
	int fd;
	pid_t pid = spawn(argv, &fd);
	long peak, ram;

	if (pid < 0)
		return 2;
	if (!wait_for(fd, pattern)) {
		fprintf(stderr, "vmm-measure: %s ended before printing '%s'\n", argv[0], pattern);
		stop(pid);
		return 1;
	}
	peak = peak_rss_kib(pid);
	ram = guest_ram_kib(pid);
	stop(pid);
	if (peak < 0 || ram < 0)
		return 1;
	printf("peak-rss-kib %ld guest-ram-kib %ld overhead-kib %ld\n", peak, ram, peak - ram);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && !strcmp(argv[1], "first-output"))
		return first_output(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "until"))
		return until(argv[2], argv + 3);
	if (argc >= 4 && !strcmp(argv[1], "rss"))
		return rss(argv[2], argv + 3);
	fprintf(stderr, "usage: vmm-measure first-output CMD... | until PATTERN CMD... | rss PATTERN CMD...\n");
	return 2;
}
