// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tapio: create or open the TAP device NAME, give it carrier, and write COUNT
 * Ethernet frames carrying UDP SRC:SPORT -> DST:DPORT with SIZE payload bytes
 * into it (the kernel sees them as received on NAME). Then hold the device
 * open for HOLD seconds so traffic sent out of it is carried (and counted),
 * reading and discarding frames. Bounded: COUNT <= 100000, HOLD <= 60.
 *   tapio NAME SRC DST SPORT DPORT COUNT SIZE HOLD
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (n & 1)
		s += b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s);
}

int main(int argc, char **argv)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	uint8_t f[1514] = { 0 }, rx[2048];
	struct in_addr s, d;
	long count, size, hold;
	int fd, sock;
	time_t end;

	if (argc != 9 || inet_pton(AF_INET, argv[2], &s) != 1 ||
	    inet_pton(AF_INET, argv[3], &d) != 1) {
		fprintf(stderr, "usage: tapio NAME SRC DST SPORT DPORT COUNT SIZE HOLD\n");
		return 2;
	}
	count = atol(argv[6]);
	size = atol(argv[7]);
	hold = atol(argv[8]);
	if (count < 0 || count > 100000 || size < 0 || size > 1400 || hold < 0 || hold > 60) {
		fprintf(stderr, "tapio: COUNT/SIZE/HOLD out of range\n");
		return 2;
	}
	fd = open("/dev/net/tun", O_RDWR);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr)) {
		perror("tapio: TUNSETIFF");
		return 1;
	}
	/* destination MAC = the TAP's own, so the stack takes the frame as ours */
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFHWADDR, &ifr)) {
		perror("tapio: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(f, ifr.ifr_hwaddr.sa_data, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = 17;
	*(uint16_t *)(ip + 2) = htons(20 + 8 + size);
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	*(uint16_t *)(ip + 10) = csum(ip, 20);
	*(uint16_t *)(udp + 0) = htons(atoi(argv[4]));
	*(uint16_t *)(udp + 2) = htons(atoi(argv[5]));
	*(uint16_t *)(udp + 4) = htons(8 + size);
	memset(udp + 8, 'x', size);
	for (long i = 0; i < count; i++) {
		if (write(fd, f, 14 + 20 + 8 + size) < 0) {
			perror("tapio: write");
			return 1;
		}
		if ((i & 31) == 31)
			usleep(500);
	}
	printf("tapio: wrote %ld frames\n", count);
	fflush(stdout);
	end = time(NULL) + hold;
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 200) > 0 && read(fd, rx, sizeof(rx)) < 0 && errno != EAGAIN)
			break;
	}
	close(fd);
	return 0;
}
