// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The config's "vpn" object (daemon/vpnd_conf.c) and the vpn module's wire check. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon_int.h"
#include "daemon/vpnd.h"
#include "live/livecfg.h"
#include "modules/vpnmod.h"

#define VC_MODS                                                                          \
	"\"modules\": {\"cmm\": {}, \"tlfm\": {\"dependencies\": [\"cmm\"]}, \"spdm\": " \
	"{\"dependencies\": [\"tlfm\"]}, \"srum\": {\"dependencies\": [\"spdm\"]}}"
#define VC_NB "00000000000000000000000000000b02"

/* Load a config with modules (or mods) and "vpn": vpn; err filled. */
static int vc_load(const char *mods, const char *vpn, struct dconf *c, bool keep, char *err,
		   size_t errlen)
{
	char cfg[128], text[2048];
	int ret;

	cfgt_setup();
	snprintf(cfg, sizeof(cfg), "%s/cfg.json", cfgt_dir);
	snprintf(text, sizeof(text), "\"listen\": \"127.0.0.1:0\", %s, \"vpn\": %s",
		 mods ? mods : VC_MODS, vpn);
	cfgt_write(cfg, text);
	err[0] = '\0';
	ret = dconf_load(cfg, c, err, errlen);
	if (!ret)
		ret = dconf_check(c, err, errlen);
	if (!keep && !ret)
		dconf_free(c);
	cfgt_cleanup();
	return ret;
}

static void vc_bad(const char *vpn, const char *want)
{
	char err[512];
	struct dconf c;

	cr_assert_eq(vc_load(NULL, vpn, &c, false, err, sizeof(err)), -EINVAL, "accepted %s", vpn);
	cr_assert(strstr(err, want), "%s: got '%s', want '%s'", vpn, err, want);
}

Test(vpnd_conf, full_config_parses_and_appends_the_module)
{
	char err[512];
	struct dconf c;

	cr_assert_eq(vc_load(NULL,
			     "{\"tap\": \"vpn7\", \"mac\": \"02:00:00:00:00:07\", \"ipv4\": "
			     "\"10.9.0.7/24\", \"ipv6\": \"fd00::7/64\", \"mtu\": 1300, "
			     "\"transit\": \"xdp\", \"underlay\": \"eth0\", \"vni\": 77, "
			     "\"ethernet_links\": [{\"neighbour\": \"" VC_NB
			     "\", \"device\": \"veth1\", \"mac\": \"02:00:00:00:01:01\"}], "
			     "\"static_macs\": {\"02:00:00:00:00:09\": \"" VC_NB "\"}, "
			     "\"broadcast\": \"tlfm\", \"tokens\": 9, \"ttl\": 20}",
			     &c, true, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_not_null(c.vpn);
	cr_assert_str_eq(c.vpn->tap, "vpn7");
	cr_assert(c.vpn->set_mac && c.vpn->mac[5] == 7);
	cr_assert_eq(c.vpn->mtu, 1300);
	cr_assert(c.vpn->xdp);
	cr_assert_eq(c.vpn->vni, 77);
	cr_assert_eq(c.vpn->neth, 1);
	cr_assert_str_eq(c.vpn->eth[0].ifname, "veth1");
	cr_assert_eq(c.vpn->nstatic, 1);
	cr_assert_eq(c.vpn->ttl, 20);
	cr_assert_str_eq(c.mc.ops[c.mc.n - 1]->name, "vpn");
	cr_assert_eq(json_integer_value(json_object_get(c.mc.params[c.mc.n - 1], "tokens")), 9);
	dconf_free(&c);
}

Test(vpnd_conf, defaults)
{
	char err[512];
	struct dconf c;

	cr_assert_eq(vc_load(NULL, "{}", &c, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.vpn->tap, "ipop0");
	cr_assert_str_eq(c.vpn->vxlan, "ipop-vx0");
	cr_assert(!c.vpn->set_mac && !c.vpn->xdp && c.vpn->vxlan_links);
	/* no underlay: nothing for "auto" to choose */
	cr_assert(!c.vpn->xdp_auto && c.vpn->encap == VPND_ENCAP_DEVICE);
	cr_assert_eq(c.vpn->vni, 1);
	cr_assert_eq(c.vpn->vxlan_port, 4789);
	dconf_free(&c);
}

Test(vpnd_conf, underlay_defaults_to_auto)
{
	char err[512];
	struct dconf c;

	cr_assert_eq(vc_load(NULL, "{\"underlay\": \"eth0\"}", &c, true, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert(c.vpn->xdp_auto && !c.vpn->xdp && c.vpn->encap == VPND_ENCAP_AUTO);
	dconf_free(&c);
	cr_assert_eq(vc_load(NULL,
			     "{\"underlay\": \"eth0\", \"transit\": \"tc\", \"encap\": "
			     "\"device\"}",
			     &c, true, err, sizeof(err)),
		     0, "%s", err);
	cr_assert(!c.vpn->xdp_auto && !c.vpn->xdp && c.vpn->encap == VPND_ENCAP_DEVICE);
	dconf_free(&c);
}

Test(vpnd_conf, mistakes_are_named)
{
	vc_bad("[]", "\"vpn\" must be an object");
	vc_bad("{\"tapp\": \"x\"}", "vpn: unknown key 'tapp'");
	vc_bad("{\"tap\": \"a-name-longer-than-15\"}", "'tap' must be an interface name");
	vc_bad("{\"mac\": \"01:00:00:00:00:01\"}", "'mac' must be a unicast MAC");
	vc_bad("{\"mac\": \"02:00:00:00:00\"}", "'mac' must be a unicast MAC");
	vc_bad("{\"mac\": \"02:00:00:00:00:01:03\"}", "'mac' must be a unicast MAC");
	vc_bad("{\"ipv4\": \"10.0.0.1\"}", "'ipv4' must be an IPv4 address with its prefix");
	vc_bad("{\"ipv4\": \"10.0.0.1/33\"}", "'ipv4' must be an IPv4 address");
	vc_bad("{\"ipv6\": \"fd00::1/129\"}", "'ipv6' must be an IPv6 address");
	vc_bad("{\"mtu\": 100}", "'mtu' must be an integer 576..9000");
	vc_bad("{\"transit\": \"dpdk\"}", "'transit' must be \"tc\", \"xdp\" or \"auto\"");
	vc_bad("{\"encap\": \"gre\"}", "'encap' must be \"direct\", \"device\" or \"auto\"");
	vc_bad("{\"encap\": \"direct\"}", "\"encap\": \"direct\" needs 'underlay'");
	vc_bad("{\"transit\": \"xdp\"}", "needs 'underlay'");
	vc_bad("{\"transit\": \"xdp\"}",
	       "\"transit\": \"xdp\" needs 'underlay' (the interface XDP attaches to)");
	vc_bad("{\"transit\": 1}", "'transit' must be \"tc\", \"xdp\" or \"auto\"");
	vc_bad("{\"transit\": \"XDP\"}", "'transit' must be \"tc\", \"xdp\" or \"auto\"");
	vc_bad("{\"transit\": \"xdp\", \"underlay\": \"a-name-longer-than-15\"}",
	       "'underlay' must be an interface name");
	vc_bad("{\"vni\": 16777216}", "'vni' must be an integer 0..16777215");
	vc_bad("{\"broadcast\": \"flood\"}", "'broadcast' must be \"smm\"");
	vc_bad("{\"broadcast\": \"smm\"}", "needs the modules 'srum' and 'smm'");
	vc_bad("{\"underlay_ip4\": \"1.2.3\"}", "'underlay_ip4' must be an IPv4 address");
	vc_bad("{\"ethernet_links\": [{\"neighbour\": \"xyz\", \"device\": \"v\", \"mac\": "
	       "\"02:00:00:00:00:01\"}]}",
	       "ethernet_links[0]: 'neighbour' must be a node ID");
	vc_bad("{\"ethernet_links\": [{\"neighbour\": \"" VC_NB "\", \"device\": \"v\", "
	       "\"mac\": \"ff:ff:ff:ff:ff:ff\"}]}",
	       "ethernet_links[0]: 'mac' must be the neighbour's unicast MAC");
	vc_bad("{\"ethernet_links\": [{\"neighbour\": \"" VC_NB "\", \"device\": \"v\", "
	       "\"mac\": \"02:00:00:00:00:01\", \"speed\": 1}]}",
	       "ethernet_links[0]: unknown key 'speed'");
	vc_bad("{\"ethernet_links\": [{\"neighbour\": \"" VC_NB "\", \"device\": \"v\", "
	       "\"mac\": \"02:00:00:00:00:01\"}, {\"neighbour\": \"" VC_NB
	       "\", \"device\": \"w\", \"mac\": \"02:00:00:00:00:02\"}]}",
	       "ethernet_links[1]: the same neighbour as ethernet_links[0]");
	vc_bad("{\"static_macs\": {\"02:00:00:00:00:01\": \"nope\"}}",
	       "static_macs[\"02:00:00:00:00:01\"] must be a node ID");
	vc_bad("{\"static_macs\": {\"33:33:00:00:00:01\": \"" VC_NB "\"}}",
	       "static_macs: '33:33:00:00:00:01' is not a unicast MAC");
}

Test(vpnd_conf, needs_srum_and_not_the_module_itself)
{
	char err[512];
	struct dconf c;

	cr_assert_eq(vc_load("\"modules\": {\"cmm\": {}, \"tlfm\": {\"dependencies\": [\"cmm\"]}}",
			     "{}", &c, false, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "needs the modules 'srum' and 'tlfm'"), "%s", err);
	cr_assert_eq(vc_load("\"modules\": {\"cmm\": {}, \"tlfm\": {\"dependencies\": [\"cmm\"]}, "
			     "\"spdm\": {\"dependencies\": [\"tlfm\"]}, \"srum\": "
			     "{\"dependencies\": [\"spdm\"]}, \"vpn\": {}}",
			     "{}", &c, false, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "leave it out of 'modules'"), "%s", err);
}

/* ---- the vpn module's messages ---- */

Test(vpnmod_wire, every_type_at_its_length_only)
{
	uint8_t b[2048] = { VPNMOD_VERSION }, t;
	size_t lq = VPNMOD_HDR + 4 + ID_LEN;

	for (uint8_t type = 0; type < 8; type++) {
		b[1] = type;
		for (size_t len = 0; len < 200; len++) {
			bool want = false;

			b[lq] = 1; /* an LR's label */
			switch (type) {
			case VPNMOD_T_FRAME:
			case VPNMOD_T_GROUP:
				want = len >= VPNMOD_HDR + VPNMOD_FRAME_MIN;
				break;
			case VPNMOD_T_LQ:
				want = len == lq;
				break;
			case VPNMOD_T_LR:
				want = len == lq + 1;
				break;
			case VPNMOD_T_DOWN:
			case VPNMOD_T_UP:
				want = len == VPNMOD_HDR + 2 * ID_LEN;
				break;
			}
			cr_assert_eq(vpnmod_check(b, len, &t) >= 0, want, "type %u len %zu", type,
				     len);
		}
	}
	/* oversized frames are the sender's business (bounded by SRUM/CMM); a long one passes */
	b[1] = VPNMOD_T_FRAME;
	cr_assert_eq(vpnmod_check(b, sizeof(b), &t), (int)sizeof(b));
}

Test(vpnmod_wire, corrupt_headers)
{
	uint8_t b[64] = { VPNMOD_VERSION, VPNMOD_T_FRAME }, t;

	cr_assert_geq(vpnmod_check(b, 30, &t), 0);
	b[0] = 2;
	cr_assert_eq(vpnmod_check(b, 30, &t), -EBADMSG, "version");
	b[0] = VPNMOD_VERSION;
	b[3] = 1;
	cr_assert_eq(vpnmod_check(b, 30, &t), -EBADMSG, "reserved bytes");
	b[3] = 0;
	b[1] = VPNMOD_T_LR;
	b[VPNMOD_HDR + 4 + ID_LEN] = DP_LABEL_NONE;
	cr_assert_eq(vpnmod_check(b, VPNMOD_HDR + 5 + ID_LEN, &t), -EBADMSG, "label 0");
}
