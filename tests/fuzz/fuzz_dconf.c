// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the daemon's config loader (user/daemon/dconf.c) and
 * its checks (dconf_check.c): the JSON config and the identity files it
 * names (private key, certificate, CA public keys, revocation list), the
 * addresses and neighbours in it. An input is up to five parts split at
 * "\n--\n":
 *   [KEY "\n--\n" [CERT "\n--\n" [CA "\n--\n" [REV "\n--\n"]]]] CONFIG
 * A file not given holds a valid default: the key of seed 0x11.., its
 * certificate (name "node-a", valid to 2100) issued by the CA of seed
 * 0x22.., that CA's public key, an empty revocation list. In CONFIG,
 * "@KEY@", "@CERT@", "@CA@" and "@REV@" stand for the files' paths (the
 * given file's, else the default's). Files are memfds (mode 0600) loaded
 * by path (/proc/self/fd/N), as the daemon loads them; the default files
 * are written once per process (LLVMFuzzerInitialize), a given file and
 * the config once per input that changes them. Properties: an error is negative with a message and leaves
 * the struct empty; an accepted config is within every documented bound,
 * its identity is consistent (the node ID is the key's, the certificate
 * is the key's), its addresses print and parse back to the same socket
 * address, dconf_check answers 0 or -EINVAL with a message, reloading the
 * revocation list succeeds, and it frees cleanly (LSan). Each input is also
 * tried as one "addr:port".
 *
 * Seeds (tests/fuzz/corpus-dconf): *.json use the default files; files-*.bin
 * carry their own, made with `ipop-bpf ca init`, `key gen` and `ca sign
 * --not-after 2099-12-31` (a valid set, then a revoked, untrusted or
 * mismatched one); check-*.json are loadable configs dconf_check refuses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "core/cert.h"
#include "daemon/daemon_int.h" /* dconf_check */
#include "daemon/keyfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

#define INPUT_MAX 65536
#define SEP	  "\n--\n"

enum { F_KEY, F_CERT, F_CA, F_REV, F_CFG, F__N };
static const char *const placeholder[F_CFG] = { "@KEY@", "@CERT@", "@CA@", "@REV@" };

/* the files an input gives (and the config), the default files */
static int fds[F__N] = { -1, -1, -1, -1, -1 }, def_fds[F_CFG] = { -1, -1, -1, -1 };
static char paths[F__N][64], def_paths[F_CFG][64];
/* the default files: a valid identity */
static char def_key[128], def_ca[128];
static const char def_rev[] = "# no revocations\n";
static struct cert def_cert;
static struct node_id def_id;

static void key_text(char *out, size_t cap, const char *tag, const uint8_t k[32])
{
	char hex[65];

	sodium_bin2hex(hex, sizeof(hex), k, 32);
	snprintf(out, cap, "%s\n%s\n", tag, hex);
}

static int new_file(char path[64])
{
	int fd = memfd_create("ipop-fuzz-dconf", MFD_CLOEXEC);

	CHECK(fd >= 0 && fchmod(fd, 0600) == 0);
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static void write_file(int fd, const void *p, size_t n)
{
	CHECK(n == 0 || pwrite(fd, p, n, 0) == (ssize_t)n);
	CHECK(ftruncate(fd, (off_t)n) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t node_seed[IDENT_SEED_LEN] = { [0 ... 31] = 0x11 };
	static const uint8_t ca_seed[IDENT_SEED_LEN] = { [0 ... 31] = 0x22 };
	struct ident node, ca;
	char err[160];

	(void)argc;
	(void)argv;
	CHECK(sodium_init() >= 0);
	for (int i = 0; i < F__N; i++)
		fds[i] = new_file(paths[i]);
	for (int i = 0; i < F_CFG; i++)
		def_fds[i] = new_file(def_paths[i]);
	CHECK(ident_from_seed(node_seed, &node) == 0 && ident_from_seed(ca_seed, &ca) == 0);
	key_text(def_key, sizeof(def_key), KEYFILE_PRIV_TAG, node_seed);
	key_text(def_ca, sizeof(def_ca), KEYFILE_PUB_TAG, ca.pub);
	memcpy(def_cert.node_pub, node.pub, IDENT_PUB_LEN);
	def_cert.not_before = 1;
	def_cert.not_after = 4102444800ULL; /* 2100-01-01 */
	snprintf(def_cert.name, sizeof(def_cert.name), "node-a");
	def_cert.naddr = 1;
	CHECK(cert_addr_parse("10.1.0.1/24", &def_cert.addr[0]) == 0);
	def_cert.ngroups = 1;
	snprintf(def_cert.groups[0], sizeof(def_cert.groups[0]), "lab");
	CHECK(cert_issue(&def_cert, &ca, err, sizeof(err)) > 0);
	ident_node_id(node.pub, &def_id);
	ident_wipe(&node);
	ident_wipe(&ca);
	write_file(def_fds[F_KEY], def_key, strlen(def_key));
	write_file(def_fds[F_CERT], def_cert.raw, def_cert.len);
	write_file(def_fds[F_CA], def_ca, strlen(def_ca));
	write_file(def_fds[F_REV], def_rev, strlen(def_rev));
	return 0;
}

/* File i holds p[0..n) afterwards; a file that holds it already is not rewritten. */
static void put(int i, const void *p, size_t n)
{
	static char last[F__N][INPUT_MAX + 4096];
	static size_t last_len[F__N] = { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX };

	CHECK(n <= sizeof(last[i]));
	if (last_len[i] == n && !memcmp(last[i], p, n))
		return;
	write_file(fds[i], p, n);
	memcpy(last[i], p, n);
	last_len[i] = n;
}

/* CONFIG with every placeholder replaced by its file's path. */
static size_t expand(const char *in, size_t n, const char *const path[F_CFG], char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int f = -1;

		for (int k = 0; k < F_CFG && f < 0; k++)
			if (in[i] == '@' && i + strlen(placeholder[k]) <= n &&
			    !memcmp(in + i, placeholder[k], strlen(placeholder[k])))
				f = k;
		if (f >= 0) {
			size_t pl = strlen(path[f]);

			if (o + pl > cap)
				break;
			memcpy(out + o, path[f], pl);
			o += pl;
			i += strlen(placeholder[f]) - 1;
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

/* An accepted config's identity: the key's ID, the key's certificate, its CAs. */
static void check_identity(const struct dconf *c)
{
	struct node_id id;

	ident_node_id(c->ident.pub, &id);
	CHECK(node_id_eq(&id, &c->id));
	CHECK(c->cert && !memcmp(c->cert->node_pub, c->ident.pub, IDENT_PUB_LEN));
	CHECK(c->nca >= 1 && c->nca <= 16 && c->ca);
	CHECK(c->trust.nca == (size_t)c->nca && c->trust.rev == c->rev);
	CHECK(!c->revocation_file || c->rev);
	CHECK(cert_check(c->cert, &c->trust, c->cert->not_before) == CERT_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char cfg[INPUT_MAX + 4096];
	const char *part[F__N] = { 0 }, *p = (const char *)data, *end = p + size, *sep;
	const char *path[F_CFG];
	size_t plen[F__N] = { 0 }, n;
	char err[512] = "";
	int nparts = 0, ret;
	struct dconf c;

	if (size > INPUT_MAX)
		return 0;
	fuzz_addr(data, size);
	/* the files given, then the config */
	while (nparts < F__N - 1 && (sep = memmem(p, (size_t)(end - p), SEP, 4))) {
		part[nparts] = p;
		plen[nparts++] = (size_t)(sep - p);
		p = sep + 4;
	}
	for (int i = 0; i < F_CFG; i++) {
		path[i] = i < nparts ? paths[i] : def_paths[i];
		if (i < nparts)
			put(i, part[i], plen[i]);
	}
	n = expand(p, (size_t)(end - p), path, cfg, sizeof(cfg));
	put(F_CFG, cfg, n);
	ret = dconf_load(paths[F_CFG], &c, err, sizeof(err));
	if (ret) {
		static const struct dconf zero;

		CHECK(ret < 0 && err[0]);
		CHECK(!memcmp(&c, &zero, sizeof(c))); /* nothing half-loaded is left */
		return 0;
	}
	check_config(&c);
	check_identity(&c);
	if (nparts <= F_KEY)
		CHECK(node_id_eq(&c.id, &def_id));
	err[0] = '\0';
	ret = dconf_check(&c, err, sizeof(err));
	CHECK(ret == 0 || (ret == -EINVAL && err[0]));
	CHECK(dconf_reload_revocations(&c, err, sizeof(err)) == 0);
	check_identity(&c);
	dconf_free(&c);
	return 0;
}
