// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * udpsend: send exactly COUNT UDP datagrams of SIZE payload bytes from
 * SPORT to DST:DPORT (IPv4 or IPv6), paced so that none is dropped locally.
 * A test tool: bounded in count, and in time by a 10 s deadline.
 *   udpsend DST DPORT SPORT COUNT SIZE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long arg_num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "udpsend: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst = {}, src = {};
	static char buf[65507];
	socklen_t alen;
	long count, size, i;
	int fd, af;
	time_t deadline = time(NULL) + 10;

	if (argc != 6) {
		fprintf(stderr, "usage: udpsend DST DPORT SPORT COUNT SIZE\n");
		return 2;
	}
	count = arg_num(argv[4], "COUNT", 0, 1000000);
	size = arg_num(argv[5], "SIZE", 0, 1400);
	if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&dst)->sin_addr) == 1) {
		af = AF_INET;
		alen = sizeof(struct sockaddr_in);
		((struct sockaddr_in *)&dst)->sin_port = htons(arg_num(argv[2], "DPORT", 1, 65535));
		((struct sockaddr_in *)&src)->sin_port = htons(arg_num(argv[3], "SPORT", 1, 65535));
	} else if (inet_pton(AF_INET6, argv[1], &((struct sockaddr_in6 *)&dst)->sin6_addr) == 1) {
		af = AF_INET6;
		alen = sizeof(struct sockaddr_in6);
		((struct sockaddr_in6 *)&dst)->sin6_port =
			htons(arg_num(argv[2], "DPORT", 1, 65535));
		((struct sockaddr_in6 *)&src)->sin6_port =
			htons(arg_num(argv[3], "SPORT", 1, 65535));
	} else {
		fprintf(stderr, "udpsend: bad address '%s'\n", argv[1]);
		return 2;
	}
	dst.ss_family = src.ss_family = af;
	fd = socket(af, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, alen)) {
		perror("udpsend: socket/bind");
		return 1;
	}
	memset(buf, 'x', size);
	for (i = 0; i < count; i++) {
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&dst, alen) != size) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(1000);
				i--;
			} else if (errno != ECONNREFUSED) {
				perror("udpsend: sendto");
				return 1;
			}
		}
		if ((i & 63) == 63)
			usleep(200); /* let the receiver keep up: we count, not race */
		if (time(NULL) > deadline) {
			fprintf(stderr, "udpsend: deadline after %ld datagrams\n", i);
			return 1;
		}
	}
	close(fd);
	return 0;
}
