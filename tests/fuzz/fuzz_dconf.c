// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the daemon's config loader (user/daemon/dconf.c):
 * the JSON config, the key file it names, the addresses in it. An input is
 *   KEYFILE "\n--\n" CONFIG      or just CONFIG (then a valid key file)
 * and "@KEY@" in CONFIG stands for the key file's path. Both are written to
 * memfds (mode 0600) and loaded by path (/proc/self/fd/N), as the daemon
 * loads them. Properties: an error is negative with a message and leaves
 * the struct empty; an accepted config is within every documented bound,
 * its addresses print and parse back to the same socket address, and it
 * frees cleanly (LSan). Each input is also tried as one "addr:port".
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

#define INPUT_MAX 65536

static const char good_key[] = "00112233445566778899aabbccddeeff"
			       "ffeeddccbbaa99887766554433221100\n";

static int key_fd = -1, cfg_fd = -1;
static char key_path[64], cfg_path[64];

static void setup(void)
{
	if (key_fd >= 0)
		return;
	key_fd = memfd_create("ipop-fuzz-key", MFD_CLOEXEC);
	cfg_fd = memfd_create("ipop-fuzz-cfg", MFD_CLOEXEC);
	CHECK(key_fd >= 0 && cfg_fd >= 0);
	CHECK(fchmod(key_fd, 0600) == 0 && fchmod(cfg_fd, 0600) == 0);
	snprintf(key_path, sizeof(key_path), "/proc/self/fd/%d", key_fd);
	snprintf(cfg_path, sizeof(cfg_path), "/proc/self/fd/%d", cfg_fd);
}

static void put(int fd, const void *p, size_t n)
{
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(n == 0 || pwrite(fd, p, n, 0) == (ssize_t)n);
}

/* CONFIG with every "@KEY@" replaced by the key file's path. */
static size_t expand(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0, kl = strlen(key_path);

	for (size_t i = 0; i < n; i++) {
		if (i + 5 <= n && !memcmp(in + i, "@KEY@", 5)) {
			if (o + kl > cap)
				break;
			memcpy(out + o, key_path, kl);
			o += kl;
			i += 4;
		} else if (o < cap) {
			out[o++] = in[i];
		}
	}
	return o;
}

/* addr:port as the config writes it */
static void fmt_sa(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		CHECK(inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host)));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		CHECK(ss->ss_family == AF_INET6);
		CHECK(inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host)));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	}
}

static void check_addr(const struct sockaddr_storage *ss, socklen_t len, bool port0)
{
	struct sockaddr_storage back;
	socklen_t blen;
	char text[INET6_ADDRSTRLEN + 16];

	CHECK(len == (ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
					       : sizeof(struct sockaddr_in6)));
	fmt_sa(ss, text, sizeof(text));
	if (!port0 || ((const struct sockaddr_in *)ss)->sin_port) {
		CHECK(dconf_parse_addr(text, &back, &blen) == 0);
		CHECK(blen == len && !memcmp(&back, ss, len));
	}
}

static void check_config(const struct dconf *c)
{
	CHECK(c->root && json_is_object(c->root));
	CHECK(c->nlisten >= 1 && c->nlisten <= DAEMON_MAX_LISTEN);
	for (int i = 0; i < c->nlisten; i++)
		check_addr(&c->listen[i], c->llen[i], true);
	CHECK(c->nnbrs >= 0 && c->nnbrs <= DAEMON_MAX_NBRS);
	for (int i = 0; i < c->nnbrs; i++) {
		CHECK(!node_id_eq(&c->nbrs[i].id, &c->id));
		CHECK(memchr(c->nbrs[i].text, '\0', sizeof(c->nbrs[i].text)));
		check_addr(&c->nbrs[i].addr, c->nbrs[i].alen, false);
	}
	CHECK(c->keepalive_ns >= 10000000ULL && c->keepalive_ns <= 3600000000000ULL);
	CHECK(c->dead_ns >= 10000000ULL && c->dead_ns <= 3600000000000ULL);
	CHECK(c->mc.n >= 0 && c->mc.n <= MODCFG_MAX);
	for (int i = 0; i < c->mc.n; i++)
		CHECK(c->mc.ops[i] && c->mc.ops[i]->name);
}

static void fuzz_addr(const uint8_t *data, size_t size)
{
	char s[128];
	struct sockaddr_storage ss;
	socklen_t len;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dconf_parse_addr(s, &ss, &len) == 0)
		check_addr(&ss, len, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char cfg[INPUT_MAX + 4096];
	const uint8_t *sep;
	const char *body = (const char *)data;
	size_t blen = size, n;
	char err[512] = "";
	struct dconf c;
	int ret;

	if (size > INPUT_MAX)
		return 0;
	setup();
	fuzz_addr(data, size);
	sep = memmem(data, size, "\n--\n", 4);
	if (sep) {
		put(key_fd, data, (size_t)(sep - data));
		body = (const char *)sep + 4;
		blen = size - (size_t)(sep - data) - 4;
	} else {
		put(key_fd, good_key, sizeof(good_key) - 1);
	}
	n = expand(body, blen, cfg, sizeof(cfg));
	put(cfg_fd, cfg, n);
	ret = dconf_load(cfg_path, &c, err, sizeof(err));
	if (ret) {
		static const struct dconf zero;

		CHECK(ret < 0 && err[0]);
		CHECK(!memcmp(&c, &zero, sizeof(c))); /* nothing half-loaded is left */
		return 0;
	}
	check_config(&c);
	dconf_free(&c);
	return 0;
}
