// SPDX-License-Identifier: GPL-2.0-only
/* The client side of the control socket, for `partvm list` and `ctl`. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/deadline.h"
#include "core/service/control.h"

bool control_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 64 && name[0] != '.' && !strchr(name, '/');
}

static int socket_path(const char *runtime, const char *name, struct sockaddr_un *sa)
{
	int n;

	if (!control_name_valid(name))
		return -EINVAL;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s" CONTROL_SOCKET_SUFFIX, runtime, name);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

int control_connect(const char *runtime, const char *name, int *out)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;
	int r = socket_path(runtime, name, &sa);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The server listens before its socket gets its name, so a refused
	 * connection means nobody will ever accept here again. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*out = TAKE_FD(fd);
	return 0;
}

int control_remove_stale(const char *runtime, const char *name)
{
	struct sockaddr_un sa;
	int fd, r = socket_path(runtime, name, &sa);

	if (r < 0)
		return r;
	/* Look again right before removing it. */
	r = control_connect(runtime, name, &fd);
	if (r == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	if (r != -ECONNREFUSED)
		return r == -ENOENT ? 0 : r;
	return unlink(sa.sun_path) < 0 && errno != ENOENT ? -errno : 0;
}

int control_call(int fd, const char *command, int timeout_ms, struct json_object **reply)
{
	_cleanup_free_ char *req = NULL, *buf = NULL;
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 0;
	struct json_object *o;
	ssize_t sent;
	char *nl;
	int r;

	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "command", json_object_new_string(command));
	r = asprintf(&req, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (r < 0)
		return -ENOMEM;
	sent = send(fd, req, strlen(req), MSG_NOSIGNAL);
	if (sent < 0)
		return -errno;
	if ((size_t)sent != strlen(req))
		return -EIO;

	/* A status reply grows with the vCPUs; read until the newline. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!p.revents)
			continue;
		if (len + 4096 + 1 > cap) {
			char *grown = realloc(buf, cap = cap ? 2 * cap : 8192);

			if (!grown)
				return -ENOMEM;
			buf = grown;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl)
			break;
		if (len > (16U << 20))
			return -EBADMSG;
	}
	*nl = '\0';
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	*reply = o;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int control_list_names(const char *runtime, char ***out)
{
	DIR *d = opendir(runtime);
	char **names = NULL;
	size_t n = 0, suffix = strlen(CONTROL_SOCKET_SUFFIX);
	struct dirent *e;

	*out = NULL;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **grown;

		if (e->d_name[0] == '.' || len <= suffix || strcmp(e->d_name + len - suffix, CONTROL_SOCKET_SUFFIX))
			continue;
		if (e->d_type != DT_SOCK && e->d_type != DT_UNKNOWN)
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			goto oom;
		names = grown;
		names[n] = strndup(e->d_name, len - suffix);
		if (!names[n])
			goto oom;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	return (int)n;
oom:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return -ENOMEM;
}
