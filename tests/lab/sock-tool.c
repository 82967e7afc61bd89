// SPDX-License-Identifier: GPL-2.0-only
/*
 * Socket helper for the control and sd_notify tests (tests/kvm/control).
 *
 *   sock-tool notify PATH   bind a datagram socket at PATH (a fake
 *                           NOTIFY_SOCKET) and print each message on one
 *                           line, its newlines as ';', until killed
 *   sock-tool send PATH     connect to the stream socket PATH, send stdin
 *                           as it is, close the sending side, and print
 *                           what comes back until the peer closes (or 5 s
 *                           pass without data)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "sock-tool: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int notify(const char *path)
{
	struct sockaddr_un sa;
	char buf[4096];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (fd < 0 || addr(path, &sa) < 0)
		return 1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("sock-tool: bind");
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("sock-tool: recv");
			return 1;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ';';
		buf[n] = '\0';
		printf("%s\n", buf);
		fflush(stdout);
	}
}

static int send_stdin(const char *path)
{
	struct sockaddr_un sa;
	char buf[65536];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t n;

	if (fd < 0 || addr(path, &sa) < 0)
		return 1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("sock-tool: connect");
		return 1;
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			perror("sock-tool: write");
			return 1;
		}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 5000) != 1) {
			fprintf(stderr, "sock-tool: no reply within 5 s\n");
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return 0;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "notify"))
		return notify(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "send"))
		return send_stdin(argv[2]);
	fprintf(stderr, "usage: sock-tool notify|send PATH\n");
	return 2;
}
