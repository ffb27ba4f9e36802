// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The source-route header in userspace: round trips, truncation at every
 * length, oversized and corrupt headers, tags, the last-link form. */
#include <criterion/criterion.h>
#include <errno.h>

#include "vpn/sr_wire.h"

static struct sr_view view(int n, int index)
{
	struct sr_view v = { .version = SR_VERSION, .hop_count = n, .hop_index = index, .ttl = 7 };

	for (int i = 0; i < ID_LEN; i++) {
		v.src.b[i] = 0x10 + i;
		v.dst.b[i] = 0x80 + i;
	}
	for (int i = 0; i < n; i++) {
		v.hops[i].tag = 0x100000 + 17 * i;
		v.hops[i].label = i + 1 < n ? 1 + i : 0;
	}
	return v;
}

static const uint8_t dm[6] = { 2, 0, 0, 0, 0, 1 }, sm[6] = { 2, 0, 0, 0, 0, 2 };

Test(sr_wire, round_trip_every_length)
{
	uint8_t buf[SR_HDR_MAX + 8];
	char err[128];
	struct sr_view v, w;

	for (int n = 1; n <= SR_HOPS_MAX; n++) {
		v = view(n, n - 1);
		cr_assert_eq(sr_build(&v, buf, sizeof(buf), err, sizeof(err)), (int)sr_hdr_len(n),
			     "%d: %s", n, err);
		cr_assert_eq(sr_parse(buf, sr_hdr_len(n), &w, err, sizeof(err)), (int)sr_hdr_len(n),
			     "%d: %s", n, err);
		cr_assert(w.hop_count == n && w.hop_index == n - 1 && w.ttl == 7);
		cr_assert(node_id_eq(&w.src, &v.src) && node_id_eq(&w.dst, &v.dst));
		for (int i = 0; i < n; i++)
			cr_assert(w.hops[i].tag == v.hops[i].tag &&
				  w.hops[i].label == v.hops[i].label);
	}
	cr_assert_eq(sr_hdr_len(SR_HOPS_MAX), SR_HDR_MAX);
}

Test(sr_wire, truncated_at_every_length)
{
	uint8_t buf[SR_HDR_MAX];
	char err[128];
	struct sr_view v = view(16, 3), w;
	int n = sr_build(&v, buf, sizeof(buf), err, sizeof(err));

	for (int len = 0; len < n; len++)
		cr_assert_eq(sr_parse(buf, len, &w, err, sizeof(err)), -EMSGSIZE, "len %d", len);
	cr_assert_eq(sr_parse(buf, n, &w, err, sizeof(err)), n);
	/* no room to build */
	cr_assert_eq(sr_build(&v, buf, n - 1, err, sizeof(err)), -ENOSPC);
}

Test(sr_wire, corrupt_headers)
{
	uint8_t buf[SR_HDR_MAX], bad[SR_HDR_MAX];
	char err[128];
	struct sr_view v = view(3, 1), w;
	int n = sr_build(&v, buf, sizeof(buf), err, sizeof(err));
	struct {
		int off;
		uint8_t val;
		const char *what;
	} c[] = {
		{ 0, 2, "version" },
		{ 1, 0, "hop count 0" },
		{ 1, 17, "hop count 17" },
		{ 2, 3, "index past the end" },
		{ 2, 255, "index 255" },
		{ 3, 0, "ttl 0" },
		{ 4, 1, "flags" },
		{ 5, 1, "reserved" },
		{ 43, 0, "label 0 mid-path" },
		{ 51, 9, "label on the last entry" },
		{ 40, 0, "tag 0 (with next bytes)" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memcpy(bad, buf, n);
		bad[c[i].off] = c[i].val;
		if (c[i].off == 40)
			bad[41] = bad[42] = 0;
		cr_assert_lt(sr_parse(bad, n, &w, err, sizeof(err)), 0, "%s accepted", c[i].what);
		cr_assert_neq(err[0], '\0');
	}
	/* a loop: entry 2 names entry 0's node */
	memcpy(bad, buf, n);
	memcpy(bad + 40 + 8, bad + 40, 3);
	cr_assert_eq(sr_parse(bad, n, &w, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "loop"), "%s", err);
	/* hop count 17 cannot be built either */
	v.hop_count = 17;
	cr_assert_eq(sr_build(&v, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
}

Test(sr_wire, frames_and_the_last_link_form)
{
	uint8_t inner[60] = { 0 }, f[256];
	char err[128];
	struct sr_view v = view(3, 1), w;
	int n, off;

	inner[12] = 0x08; /* IPv4 */
	n = sr_build_frame(dm, sm, &v, inner, sizeof(inner), f, sizeof(f), err, sizeof(err));
	cr_assert_eq(n, 14 + 52 + 60, "%s", err);
	cr_assert(f[12] == 0x88 && f[13] == 0xb5, "transit form");
	off = sr_parse_frame(f, n, &w, err, sizeof(err));
	cr_assert_eq(off, 14 + 52, "%s", err);
	v.hop_index = 2; /* the last link: IPv4's own EtherType */
	n = sr_build_frame(dm, sm, &v, inner, sizeof(inner), f, sizeof(f), err, sizeof(err));
	cr_assert(f[12] == 0x08 && f[13] == 0x00);
	cr_assert_eq(sr_parse_frame(f, n, &w, err, sizeof(err)), 14 + 52, "%s", err);
	/* the last-link form anywhere else, or lying about the inner type */
	f[14 + 2] = 1;
	cr_assert_eq(sr_parse_frame(f, n, &w, err, sizeof(err)), -EINVAL);
	f[14 + 2] = 2;
	f[14 + 52 + 13] = 0x06;
	cr_assert_eq(sr_parse_frame(f, n, &w, err, sizeof(err)), -EINVAL);
	/* an IP inner frame in the transit form on the last link */
	f[14 + 52 + 13] = 0x00;
	f[12] = 0x88;
	f[13] = 0xb5;
	cr_assert_eq(sr_parse_frame(f, n, &w, err, sizeof(err)), -EINVAL);
	/* plain IPv4 is not an overlay frame; inner frame cut short */
	cr_assert_eq(sr_parse_frame(inner, sizeof(inner), &w, err, sizeof(err)), -EINVAL);
	n = sr_build_frame(dm, sm, &v, inner, sizeof(inner), f, sizeof(f), err, sizeof(err));
	for (int len = 0; len < 14 + 52 + 14; len++)
		cr_assert_lt(sr_parse_frame(f, len, &w, err, sizeof(err)), 0, "len %d", len);
	cr_assert_eq(sr_build_frame(dm, sm, &v, inner, 10, f, sizeof(f), err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(sr_build_frame(dm, sm, &v, inner, 60, f, 100, err, sizeof(err)), -ENOSPC);
}

Test(sr_wire, tags)
{
	struct node_id a = { { 0 } }, b;
	uint32_t seen[64];

	for (int i = 0; i < 64; i++) {
		b = a;
		b.b[15] = i; /* neighbours on the ring differ in the last bytes */
		seen[i] = sr_node_tag(&b);
		cr_assert(seen[i] != 0 && seen[i] <= 0xffffff);
		for (int j = 0; j < i; j++)
			cr_assert_neq(seen[i], seen[j], "IDs %d and %d share a tag", i, j);
	}
	cr_assert_eq(sr_node_tag(&a), seen[0], "not deterministic");
}
