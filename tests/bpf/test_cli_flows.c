// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ipop-bpf flows --no-daemon` against maps pinned by the test (root, BPF):
 * sorting, limits, the table, and the one name rule for a deleted device
 * (the loader's record names its flows).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli_capture.h"
#include "flow.h"

static void test_cli_reset(void)
{
	cli_json = false;
}

TestSuite(cli_flows, .init = test_cli_reset, .fini = test_cli_reset);

/* ---- `flows` against a flow map pinned by the test --------------------- */

static char test_cli_pin_dir[64];

static void test_cli_pins_fini(void)
{
	char path[128];

	test_cli_reset();
	if (!test_cli_pin_dir[0])
		return;
	snprintf(path, sizeof(path), "%s/flows", test_cli_pin_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ifaces", test_cli_pin_dir);
	unlink(path);
	rmdir(test_cli_pin_dir);
}

static void test_cli_pins_init(void)
{
	test_cli_reset();
	cr_assert_eq(geteuid(), 0, "the unit tests must run as root (BPF maps)");
	snprintf(test_cli_pin_dir, sizeof(test_cli_pin_dir), "/sys/fs/bpf/test_cli_%d",
		 (int)getpid());
	test_cli_pins_fini();
	cr_assert_eq(mkdir(test_cli_pin_dir, 0700), 0, "mkdir %s: %s", test_cli_pin_dir,
		     strerror(errno));
}

/* A flow map pinned as DIR/flows, with n flows on lo: flow i has i+1 packets. */
static int test_cli_pin_flows(int n)
{
	struct flow_key k;
	struct flow_value v;
	char path[128];
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test_cli_flows", sizeof(k), sizeof(v), 64, NULL);
	cr_assert(fd >= 0, "bpf_map_create: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.ifindex = 1;
		k.dir = i % 2 ? FLOW_DIR_EGRESS : FLOW_DIR_INGRESS;
		k.l3 = FLOW_L3_IPV4;
		k.ethertype = 0x0800;
		k.proto = 17;
		k.sport = 1000 + i;
		k.dport = 53;
		k.src[0] = 10;
		k.src[3] = 1;
		k.dst[0] = 10;
		k.dst[3] = 2;
		v.packets = i + 1;
		v.bytes = 1000 - 100 * i; /* bytes order is the reverse of packets order */
		v.first_seen_ns = 5;
		v.last_seen_ns = 6;
		cr_assert_eq(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	}
	snprintf(path, sizeof(path), "%s/flows", test_cli_pin_dir);
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "pin %s: %s", path, strerror(errno));
	return fd;
}

Test(cli_flows, flows_json_empty, .init = test_cli_pins_init, .fini = test_cli_pins_fini)
{
	struct test_cli_out r;
	int fd = test_cli_pin_flows(0);

	test_cli_main(&r, "flows", "--json", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s%s", r.err, r.out);
	cr_assert_str_empty(r.err);
	cr_assert_str_eq(r.out, "{\"flows\":[]}\n");
	close(fd);
}

Test(cli_flows, flows_table_empty, .init = test_cli_pins_init, .fini = test_cli_pins_fini)
{
	struct test_cli_out r;
	int fd = test_cli_pin_flows(0);

	test_cli_main(&r, "flows", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_str_empty(r.err);
	cr_assert(!strncmp(r.out, "IFACE ", 6), "%s", r.out);
	cr_assert_eq(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out), "header only: %s",
		     r.out);
	close(fd);
}

static void test_cli_assert_sports(const char *out, const int *sports, size_t n)
{
	json_error_t jerr;
	json_t *j, *arr;

	j = json_loads(out, 0, &jerr);
	cr_assert(j, "not JSON (%s): %s", jerr.text, out);
	arr = json_object_get(j, "flows");
	cr_assert(json_is_array(arr));
	cr_assert_eq(json_array_size(arr), n, "%s", out);
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(arr, i);

		cr_assert_eq(json_integer_value(json_object_get(f, "sport")), sports[i], "%s", out);
		cr_assert_str_eq(json_string_value(json_object_get(f, "ifname")), "lo");
		cr_assert_str_eq(json_string_value(json_object_get(f, "src")), "10.0.0.1");
		cr_assert_str_eq(json_string_value(json_object_get(f, "dst")), "10.0.0.2");
		cr_assert_str_eq(json_string_value(json_object_get(f, "direction")),
				 sports[i] % 2 ? "egress" : "ingress");
	}
	json_decref(j);
}

Test(cli_flows, flows_json_sort_and_limit, .init = test_cli_pins_init, .fini = test_cli_pins_fini)
{
	static const int by_bytes[] = { 1000, 1001, 1002, 1003 };
	static const int by_packets[] = { 1003, 1002, 1001, 1000 };
	struct test_cli_out r;
	int fd = test_cli_pin_flows(4);

	test_cli_main(&r, "flows", "--json", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	test_cli_assert_sports(r.out, by_bytes, 4);
	test_cli_main(&r, "flows", "--json", "--sort", "packets", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	test_cli_assert_sports(r.out, by_packets, 4);
	test_cli_main(&r, "flows", "-j", "-s", "packets", "-n", "2", "-p", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	test_cli_assert_sports(r.out, by_packets, 2);
	test_cli_main(&r, "flows", "--json", "--limit", "0", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	test_cli_assert_sports(r.out, by_bytes, 4);
	test_cli_main(&r, "flows", "--json", "--limit", "99", "--pin-path", test_cli_pin_dir);
	test_cli_assert_sports(r.out, by_bytes, 4);
	close(fd);
}

Test(cli_flows, flows_table_limit, .init = test_cli_pins_init, .fini = test_cli_pins_fini)
{
	struct test_cli_out r;
	int fd = test_cli_pin_flows(3), lines = 0;

	test_cli_main(&r, "flows", "--limit", "1", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	for (const char *p = r.out; *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, 3, "%s", r.out);
	cr_assert(strstr(r.out, "10.0.0.1:1000"), "%s", r.out);
	cr_assert(strstr(r.out, "10.0.0.2:53"), "%s", r.out);
	cr_assert(strstr(r.out, "\n(2 more; --limit 0 shows all)\n"), "%s", r.out);
	close(fd);
}

/* The loader's record of a device that is gone: pinned DIR/ifaces, ifindex -> iface_info. */
static int test_cli_pin_ifaces(__u32 ifindex, const char *name)
{
	struct iface_info info = { 0 };
	char path[128];
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test_cli_ifaces", sizeof(ifindex), sizeof(info), 8,
			    NULL);
	cr_assert(fd >= 0, "bpf_map_create: %s", strerror(errno));
	snprintf(info.ifname, sizeof(info.ifname), "%s", name);
	cr_assert_eq(bpf_map_update_elem(fd, &ifindex, &info, BPF_NOEXIST), 0);
	snprintf(path, sizeof(path), "%s/ifaces", test_cli_pin_dir);
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "pin %s: %s", path, strerror(errno));
	return fd;
}

/*
 * The loader recorded ifindex 1 as "veth-gone" (as for a device deleted and
 * its index reused, or renamed): the record names the flows, not the kernel.
 */
Test(cli_flows, deleted_device_named_by_the_loader_record, .init = test_cli_pins_init,
     .fini = test_cli_pins_fini)
{
	struct test_cli_out r;
	json_t *j;
	int fd = test_cli_pin_flows(1), ifd = test_cli_pin_ifaces(1, "veth-gone");

	test_cli_main(&r, "flows", "--json", "--no-daemon", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	j = json_loads(r.out, 0, NULL);
	cr_assert_not_null(j, "%s", r.out);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(j, "flows"), 0), "ifname")),
			 "veth-gone", "the record wins over the kernel's 'lo': %s", r.out);
	json_decref(j);
	close(ifd);
	close(fd);
}

/*
 * Overlay flows (FLOW_KEY_OVERLAY): --json carries both node IDs whole, the
 * table an OVERLAY column with their first 8 hex digits; a plain flow has
 * neither key and "-" in the column.
 */
Test(cli_flows, overlay_node_ids, .init = test_cli_pins_init, .fini = test_cli_pins_fini)
{
	struct flow_key k;
	struct flow_value v;
	struct test_cli_out r;
	json_error_t jerr;
	json_t *j, *arr;
	int fd = test_cli_pin_flows(1), ovl = 0;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.ifindex = 1;
	k.l3 = FLOW_L3_IPV4;
	k.ethertype = 0x0800;
	k.proto = 6;
	k.flags = FLOW_KEY_OVERLAY;
	k.sport = 40000;
	k.dport = 443;
	k.src[0] = 10;
	k.dst[0] = 10;
	v.packets = 5;
	v.bytes = 5000; /* first by bytes */
	for (int i = 0; i < 16; i++) {
		v.src_node[i] = (uint8_t)(0xa0 + i);
		v.dst_node[i] = (uint8_t)(0x10 * (i & 15) + 1);
	}
	cr_assert_eq(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);

	test_cli_main(&r, "flows", "--json", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	j = json_loads(r.out, 0, &jerr);
	cr_assert(j, "not JSON (%s): %s", jerr.text, r.out);
	arr = json_object_get(j, "flows");
	cr_assert_eq(json_array_size(arr), 2, "%s", r.out);
	for (size_t i = 0; i < 2; i++) {
		json_t *f = json_array_get(arr, i);
		const char *s = json_string_value(json_object_get(f, "src_node"));

		if (json_integer_value(json_object_get(f, "sport")) != 40000) {
			cr_assert_null(json_object_get(f, "src_node"), "%s", r.out);
			cr_assert_null(json_object_get(f, "dst_node"), "%s", r.out);
			continue;
		}
		ovl++;
		cr_assert_str_eq(s, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
		cr_assert_str_eq(json_string_value(json_object_get(f, "dst_node")),
				 "01112131415161718191a1b1c1d1e1f1");
	}
	cr_assert_eq(ovl, 1, "%s", r.out);
	json_decref(j);

	test_cli_main(&r, "flows", "--pin-path", test_cli_pin_dir);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(strstr(r.out, " OVERLAY\n"), "%s", r.out);
	cr_assert(strstr(r.out, " a0a1a2a3>01112131\n"), "%s", r.out);
	cr_assert(strstr(r.out, "10.0.0.1:1000"), "%s", r.out);
	cr_assert(strstr(r.out, " -\n"), "the plain flow: %s", r.out);
	close(fd);
}
