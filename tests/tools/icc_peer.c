// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A scripted overlay member for the identity tests: handshakes with one
 * daemon over UDP (core/hs.h), optionally claiming another node's ID,
 * sends one ICC DATA datagram under the session and saves its bytes, or
 * resends saved bytes as they are (a replay).
 *   icc_peer --key K --cert C --ca CA.pub --to ADDR:PORT --dst ID
 *            [--as ID] [--module M --payload P] [--save FILE]
 *   icc_peer --to ADDR:PORT --send-raw FILE
 * Exit: 0 session made (or raw bytes sent), 1 no session within 3 s, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/hs.h"
#include "core/icc.h"
#include "daemon/daemon.h"
#include "daemon/keyfile.h"

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct hs_time tnow(void)
{
	return (struct hs_time){ now_ns(CLOCK_MONOTONIC), now_ns(CLOCK_REALTIME) };
}

int main(int argc, char **argv)
{
	const char *key = NULL, *cert = NULL, *ca = NULL, *to = NULL, *dst = NULL, *as = NULL;
	const char *module = "echo", *payload = NULL, *save = NULL, *raw = NULL;
	static const struct option lo[] = {
		{ "key", 1, 0, 'k' },	   { "cert", 1, 0, 'c' },    { "ca", 1, 0, 'a' },
		{ "to", 1, 0, 't' },	   { "dst", 1, 0, 'd' },     { "as", 1, 0, 's' },
		{ "module", 1, 0, 'm' },   { "payload", 1, 0, 'p' }, { "save", 1, 0, 'o' },
		{ "send-raw", 1, 0, 'r' }, { 0, 0, 0, 0 },
	};
	static struct hs_ctx hs;
	static struct hs_out o;
	static struct cert crt;
	static uint8_t capub[1][IDENT_PUB_LEN], buf[2048];
	struct cert_trust trust = { .ca = (const uint8_t(*)[IDENT_PUB_LEN])capub, .nca = 1 };
	struct sockaddr_storage ss;
	socklen_t slen;
	struct node_id dst_id;
	struct ident k;
	struct hs_peer *p;
	struct hs_time t;
	char err[512];
	int c, fd;
	uint64_t deadline;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const char **v[] = {
			['k'] = &key,  ['c'] = &cert, ['a'] = &ca,     ['t'] = &to,
			['d'] = &dst,  ['s'] = &as,   ['m'] = &module, ['p'] = &payload,
			['o'] = &save, ['r'] = &raw
		};

		if (c < 0 || c > 't' || !v[c])
			return 2;
		*v[c] = optarg;
	}
	if (!to || dconf_parse_addr(to, &ss, &slen)) {
		fprintf(stderr, "icc_peer: --to ADDR:PORT\n");
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (raw) {
		FILE *f = fopen(raw, "rb");
		size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

		if (f)
			fclose(f);
		if (!n || sendto(fd, buf, n, 0, (struct sockaddr *)&ss, slen) < 0)
			return 1;
		printf("sent %zu raw bytes\n", n);
		return 0;
	}
	if (!key || !cert || !ca || !dst || id_parse(dst, dst_id.b)) {
		fprintf(stderr, "icc_peer: --key --cert --ca --dst are required\n");
		return 2;
	}
	if (keyfile_read_private(key, &k, err, sizeof(err)) ||
	    keyfile_read_cert(cert, &crt, err, sizeof(err)) ||
	    keyfile_read_public(ca, capub[0], err, sizeof(err))) {
		fprintf(stderr, "icc_peer: %s\n", err);
		return 2;
	}
	t = tnow();
	if (hs_ctx_init(&hs, &k, crt.raw, crt.len, &trust, NULL, 4, t.mono))
		return 2;
	if (as && id_parse(as, hs.id.b))
		return 2;
	p = hs_peer_get(&hs, &dst_id, t.mono);
	hs_start(&hs, p, &t, &o);
	sendto(fd, o.msg, o.len, 0, (struct sockaddr *)&ss, slen);
	deadline = t.mono + 3000000000ULL;
	while (now_ns(CLOCK_MONOTONIC) < deadline) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		struct icc_msg m;
		struct hs_session *s;
		ssize_t n;

		if (poll(&pf, 1, 100) != 1)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		t = tnow();
		if (hs_peek_type(buf, (size_t)n) >= HS_T_INIT) {
			hs_recv(&hs, buf, (size_t)n, &ss, slen, &t, &o);
			if (o.len)
				sendto(fd, o.msg, o.len, 0, (struct sockaddr *)&ss, slen);
			continue;
		}
		if (icc_parse(buf, (size_t)n, &m) != ICC_OK)
			continue;
		s = hs_rx(p, m.h.sid, t.mono, &hs.p);
		if (!s || icc_open(buf, (size_t)n, s->rx_key, &m) != ICC_OK ||
		    hs_rx_accept(p, s, m.h.seq))
			continue;
		/* the daemon spoke under the session: it is ours */
		printf("session %016llx\n", (unsigned long long)p->cur.sid);
		if (payload) {
			struct icc_hdr h = {
				.type = ICC_T_DATA, .ttl = 1, .src = hs.id, .dst = dst_id
			};
			uint8_t cmm[256] = { 1, 0 }; /* CMM: deliver to the module named next */
			size_t plen = strlen(payload) < 200 ? strlen(payload) : 200;
			int len;

			strcpy(h.module, "cmm");
			snprintf((char *)cmm + 2, 17, "%s", module);
			memcpy(cmm + 18, payload, plen);
			randombytes_buf(h.id.b, ID_LEN);
			s = hs_tx(&hs, p, t.mono, &h.seq);
			h.sid = s->sid;
			len = icc_seal(&h, cmm, 18 + plen, s->tx_key, buf, sizeof(buf));
			sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&ss, slen);
			if (save) {
				FILE *f = fopen(save, "wb");

				if (!f || fwrite(buf, 1, (size_t)len, f) != (size_t)len)
					return 2;
				fclose(f);
			}
		}
		return 0;
	}
	printf("no session (last handshake verdict: %s)\n", hs_drop_names[o.drop]);
	if (as) { /* and a DATA datagram claiming to be that node */
		struct icc_hdr h = { .type = ICC_T_DATA, .ttl = 1, .src = hs.id, .dst = dst_id };
		uint8_t fake[ICC_KEY_LEN];
		int len;

		strcpy(h.module, "cmm");
		randombytes_buf(fake, sizeof(fake));
		h.sid = 1;
		h.seq = 1;
		len = icc_seal(&h, "\1\0echo", 6, fake, buf, sizeof(buf));
		sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&ss, slen);
	}
	return 1;
}
