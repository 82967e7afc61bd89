// SPDX-License-Identifier: GPL-2.0-only
/*
 * In a lab guest, what systemd (254 and later) does with the
 * vmm.notify_socket credential, for a guest whose PID 1 is not systemd:
 *
 *   vsock-notify MESSAGE
 *
 * finds "io.systemd.credential:vmm.notify_socket=vsock:CID:PORT" among
 * the SMBIOS type 11 strings (/sys/firmware/dmi/entries/11-N/raw, from
 * dmi_sysfs, where systemd reads them), connects an AF_VSOCK
 * SOCK_SEQPACKET socket there and sends MESSAGE ("\n" in it as two
 * characters becomes a newline) as one packet. Prints "vsock-notify:
 * sent to CID:PORT" or "vsock-notify: failed: ..." saying what failed
 * (exit status 1).
 *
 * The connect waits up to 30 s, not the kernel's 2 s: the handshake is
 * the guest's and the lab host's kernels (vhost-vsock), and a lab host
 * under TCG can take longer than 2 s to answer, which is the lab's
 * slowness, not partvm's (partvm listens before the guest starts).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define KEY "io.systemd.credential:vmm.notify_socket="

static int find(unsigned *cid, unsigned *port)
{
	DIR *d = opendir("/sys/firmware/dmi/entries");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[300], buf[65536];
		ssize_t n;
		int fd;
		const char *at;

		if (strncmp(e->d_name, "11-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/dmi/entries/%s/raw", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		at = memmem(buf, (size_t)n, KEY, strlen(KEY));
		if (at && sscanf(at + strlen(KEY), "vsock:%u:%u", cid, port) == 2)
			found = 1;
	}
	closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	char msg[4096];
	size_t k = 0;
	struct timeval wait = { .tv_sec = 30 };
	unsigned cid, port;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: vsock-notify MESSAGE\n");
		return 2;
	}
	for (const char *p = argv[1]; *p && k < sizeof(msg) - 1; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			msg[k++] = '\n';
			p++;
		} else {
			msg[k++] = *p;
		}
	}
	if (!find(&cid, &port)) {
		printf("vsock-notify: failed: no vmm.notify_socket credential in SMBIOS type 11\n");
		return 1;
	}
	sa.svm_cid = cid;
	sa.svm_port = port;
	fd = socket(AF_VSOCK, SOCK_SEQPACKET, 0);
	if (fd < 0) {
		printf("vsock-notify: failed: socket: %s\n", strerror(errno));
		return 1;
	}
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &wait, sizeof(wait)) < 0) {
		printf("vsock-notify: failed: SO_VM_SOCKETS_CONNECT_TIMEOUT: %s\n", strerror(errno));
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("vsock-notify: failed: connect to vsock:%u:%u: %s (errno %d)\n", cid, port,
		       strerror(errno), errno);
		return 1;
	}
	if (send(fd, msg, k, 0) != (ssize_t)k) {
		printf("vsock-notify: failed: send to vsock:%u:%u: %s (errno %d)\n", cid, port,
		       strerror(errno), errno);
		return 1;
	}
	close(fd);
	printf("vsock-notify: sent to %u:%u\n", cid, port);
	return 0;
}
