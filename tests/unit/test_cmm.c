// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* CMM semantics on the simulator: exactly once, duplicates, lost links, skips. */
#include <criterion/criterion.h>
#include <errno.h>

#include "modules/cmm.h"
#include "modules/echo.h"
#include "sim/scen_cmm.h"

static struct sim *cmmt_sim(struct sim_cfg *c, const struct sim_scenario_ops *ops,
			    struct scen_cmm *sc)
{
	char err[256] = "";
	struct sim *s = sim_new(c, NULL, ops, sc, err, sizeof(err));

	cr_assert_not_null(s, "sim_new: %s", err);
	return s;
}

static uint64_t cmmt_ctr(struct sim *s, uint32_t i, const char *mod, unsigned int c)
{
	struct module *m = node_module(sim_node(s, i), mod);

	cr_assert_not_null(m);
	return m->ctr[c];
}

static uint64_t cmmt_sum(struct sim *s, const char *mod, unsigned int c)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		t += cmmt_ctr(s, i, mod, c);
	return t;
}

Test(cmm, flood_delivers_exactly_once_with_repeats)
{
	struct sim_cfg c;
	struct scen_cmm sc;
	struct sim *s;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	c.graph.kind = GRAPH_WS;
	c.graph.n = 300;
	c.graph.degree = 6;
	sc.repeat = 3;
	s = cmmt_sim(&c, &scen_flood_ops, &sc);
	sim_run(s);
	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		uint64_t got = cmmt_ctr(s, i, "flood", FLOOD_C_RECEIVED);
		uint64_t orig = cmmt_ctr(s, i, "flood", FLOOD_C_ORIGINATED);

		cr_assert_eq(got + (orig ? 1 : 0), 1, "node %u received %lu", i,
			     (unsigned long)got);
	}
	cr_assert_gt(cmmt_sum(s, "cmm", CMM_C_DUPLICATES), 0);
	cr_assert_eq(cmmt_sum(s, "cmm", CMM_C_DELIVERED), sim_nnodes(s) - 1);
	sim_free(s);
}

Test(cmm, lost_links_reach_exactly_the_connected_part)
{
	struct sim_cfg c;
	struct scen_cmm sc;
	struct sim *s;
	uint64_t reach;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	c.graph.kind = GRAPH_ER;
	c.graph.n = 2000;
	c.graph.degree = 3;
	c.link_fail = 0.3;
	sc.repeat = 2;
	c.seed = 7;
	s = cmmt_sim(&c, &scen_flood_ops, &sc);
	sim_run(s);
	reach = 0;
	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		cr_assert_leq(cmmt_ctr(s, i, "flood", FLOOD_C_RECEIVED), 1, "node %u", i);
		if (cmmt_ctr(s, i, "flood", FLOOD_C_ORIGINATED))
			reach = sim_expected_reach(s, i);
	}
	cr_assert_gt(sim_counts(s)->lost_link, 0);
	cr_assert_lt(reach, sim_nnodes(s), "test needs a partitioned graph");
	cr_assert_eq(cmmt_sum(s, "flood", FLOOD_C_RECEIVED), reach - 1);
	sim_free(s);
}

Test(cmm, random_loss_never_duplicates)
{
	struct sim_cfg c;
	struct scen_cmm sc;
	struct sim *s;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	c.graph.kind = GRAPH_BA;
	c.graph.n = 1000;
	c.graph.degree = 6;
	c.loss = 0.3;
	sc.sources = 4;
	sc.repeat = 2;
	s = cmmt_sim(&c, &scen_flood_ops, &sc);
	sim_run(s);
	cr_assert_gt(sim_counts(s)->lost_loss, 0);
	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		cr_assert_leq(cmmt_ctr(s, i, "flood", FLOOD_C_RECEIVED), 4, "node %u", i);
	sim_free(s);
}

Test(cmm, neighbours_scenario_counts)
{
	struct sim_cfg c;
	struct scen_cmm sc;
	struct sim *s;
	uint64_t sent;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	c.graph.kind = GRAPH_RING;
	c.graph.n = 100;
	sc.repeat = 2;
	s = cmmt_sim(&c, &scen_neighbours_ops, &sc);
	sim_run(s);
	sent = cmmt_sum(s, "cmm", CMM_C_SENT);
	cr_assert_eq(sent, 100 * 2 * 2);
	cr_assert_eq(cmmt_sum(s, "cmm", CMM_C_DUPLICATES), sent / 2);
	for (uint32_t i = 0; i < 100; i++)
		cr_assert_eq(cmmt_ctr(s, i, "echo", ECHO_C_RECEIVED), 2, "node %u", i);
	sim_free(s);
}

static struct sim *cmmt_quiet_ring(void)
{
	static struct scen_cmm sc;
	struct sim_cfg c;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	c.graph.kind = GRAPH_RING;
	c.graph.n = 10;
	return cmmt_sim(&c, &scen_none_ops, &sc);
}

Test(cmm, skips_self_and_repeats)
{
	struct sim *s = cmmt_quiet_ring();
	struct node *n0 = sim_node(s, 0);
	struct node_id to[4] = { n0->id, sim_node(s, 1)->id, sim_node(s, 1)->id,
				 sim_node(s, 9)->id };
	struct msg_id id = { { 9 } };

	cr_assert_eq(cmm_send(node_module(n0, "cmm"), &id, "hi", 2, to, 4, "echo"), 2);
	sim_run(s);
	cr_assert_eq(cmmt_ctr(s, 0, "cmm", CMM_C_SKIPPED_SELF), 1);
	cr_assert_eq(cmmt_ctr(s, 0, "cmm", CMM_C_SKIPPED_REPEAT), 1);
	cr_assert_eq(cmmt_ctr(s, 1, "echo", ECHO_C_RECEIVED), 1);
	cr_assert_eq(cmmt_ctr(s, 9, "echo", ECHO_C_RECEIVED), 1);
	cr_assert_eq(cmmt_ctr(s, 0, "echo", ECHO_C_RECEIVED), 0);
	sim_free(s);
}

Test(cmm, non_neighbour_and_bad_arguments)
{
	struct sim *s = cmmt_quiet_ring();
	struct module *cmm = node_module(sim_node(s, 0), "cmm");
	struct node_id far = sim_node(s, 5)->id;
	struct msg_id id = { { 1 } };
	static uint8_t big[CMM_MAX_DATA + 1];

	cr_assert_eq(cmm_send(cmm, &id, "x", 1, &far, 1, "echo"), 0);
	cr_assert_eq(cmmt_ctr(s, 0, "cmm", CMM_C_DROP_SEND_FAILED), 1);
	cr_assert_eq(cmm_send(cmm, &id, big, sizeof(big), &far, 1, "echo"), -EINVAL);
	cr_assert_eq(cmm_send(cmm, &id, "x", 1, &far, 1, "Bad Name"), -EINVAL);
	cr_assert_eq(cmm_send(cmm, &id, "x", 1, &far, 1, ""), -EINVAL);
	sim_free(s);
}

Test(cmm, unknown_destination_module_is_counted)
{
	struct sim *s = cmmt_quiet_ring();
	struct node_id to = sim_node(s, 1)->id;
	struct msg_id id = { { 2 } };

	cr_assert_eq(cmm_send(node_module(sim_node(s, 0), "cmm"), &id, "x", 1, &to, 1, "nosuch"),
		     1);
	sim_run(s);
	cr_assert_eq(cmmt_ctr(s, 1, "cmm", CMM_C_DROP_UNKNOWN_MODULE), 1);
	cr_assert_eq(cmmt_ctr(s, 1, "cmm", CMM_C_DELIVERED), 0);
	sim_free(s);
}

Test(cmm, malformed_payload_is_counted)
{
	struct sim *s = cmmt_quiet_ring();
	struct node *n = sim_node(s, 3);
	uint8_t bad_version[CMM_HDR_LEN + 1] = { 9 };
	uint8_t bad_name[CMM_HDR_LEN + 1] = { 1, 0, 'E', 'C', 'H', 'O' };
	struct mod_msg m = { .type = ICC_T_DATA, .data = "ab", .len = 2 };

	cr_assert_eq(node_deliver(n, "cmm", &m), -EBADMSG);
	m.data = bad_version;
	m.len = sizeof(bad_version);
	cr_assert_eq(node_deliver(n, "cmm", &m), -EBADMSG);
	m.data = bad_name;
	cr_assert_eq(node_deliver(n, "cmm", &m), -EBADMSG);
	cr_assert_eq(cmmt_ctr(s, 3, "cmm", CMM_C_DROP_MALFORMED), 3);
	cr_assert_eq(cmmt_ctr(s, 3, "cmm", CMM_C_RECEIVED), 3);
	sim_free(s);
}

/* ---- CMM on a fake runtime: literal time, recorded sends ---- */

static uint64_t fake_now;
static int fake_sends, fake_delivers;
static uint8_t fake_last[ICC_MAX_PAYLOAD];
static size_t fake_last_len;

static int fake_send(struct node *n, const struct node_id *to, const char *module,
		     const struct mod_msg *msg)
{
	(void)n;
	(void)to;
	cr_assert_str_eq(module, "cmm");
	memcpy(fake_last, msg->data, msg->len);
	fake_last_len = msg->len;
	fake_sends++;
	return 0;
}

static int fake_deliver(struct node *n, const char *module, const struct mod_msg *msg)
{
	(void)n;
	(void)msg;
	if (strcmp(module, "echo"))
		return -ENOENT;
	fake_delivers++;
	return 0;
}

static uint64_t fake_clock(struct node *n)
{
	(void)n;
	return fake_now;
}

static void fake_count(struct module *m, unsigned int ctr, uint64_t delta)
{
	m->ctr[ctr] += delta;
}

static void fake_log(struct node *n, enum log_level lvl, const char *fmt, va_list ap)
{
	(void)n;
	(void)lvl;
	(void)fmt;
	(void)ap;
}

static const struct rt_ops fake_rt = {
	.send = fake_send,
	.deliver = fake_deliver,
	.now = fake_clock,
	.count = fake_count,
	.log = fake_log,
};

static void fake_node(struct node *n, const char *params)
{
	struct modcfg mc;
	char err[128] = "", cfg[256];
	struct node_id id = { { 0xee } };
	json_t *j;

	snprintf(cfg, sizeof(cfg), "{\"cmm\": %s}", params);
	j = json_loads(cfg, 0, NULL);
	cr_assert_not_null(j);
	cr_assert_eq(modcfg_load(j, &mc, err, sizeof(err)), 0, "%s", err);
	fake_now = 1;
	fake_sends = fake_delivers = 0;
	cr_assert_eq(node_init(n, &id, &fake_rt, NULL, &mc), 0);
	json_decref(j);
}

static int fake_rx(struct node *n, uint8_t idbyte)
{
	struct mod_msg m = {
		.type = ICC_T_DATA, .id = { { idbyte } }, .data = fake_last, .len = fake_last_len
	};

	return node_deliver(n, "cmm", &m);
}

Test(cmm_fake, wire_layout_and_expiry_with_literal_time)
{
	struct node n;
	struct node_id to = { { 1 } };
	struct msg_id id = { { 5 } };
	struct module *cmm;

	fake_node(&n, "{\"seen_capacity\": 2, \"seen_ttl_ms\": 10}");
	cmm = node_module(&n, "cmm");
	cr_assert_eq(cmm_send(cmm, &id, "data", 4, &to, 1, "echo"), 1);
	cr_assert_eq(fake_last_len, CMM_HDR_LEN + 4);
	cr_assert_eq(fake_last[0], 1);
	cr_assert_eq(fake_last[1], 0);
	cr_assert_eq(memcmp(fake_last + 2, "echo\0\0\0\0\0\0\0\0\0\0\0\0", 16), 0);
	cr_assert_eq(memcmp(fake_last + CMM_HDR_LEN, "data", 4), 0);

	cr_assert_eq(fake_rx(&n, 7), 0); /* t = 1 ns */
	cr_assert_eq(fake_rx(&n, 7), 0);
	cr_assert_eq(fake_delivers, 1);
	cr_assert_eq(cmm->ctr[CMM_C_DUPLICATES], 1);
	fake_now = 1 + 10 * 1000000ULL - 1; /* just inside the TTL */
	fake_rx(&n, 7);
	cr_assert_eq(fake_delivers, 1);
	fake_now = 1 + 10 * 1000000ULL; /* expired: delivered again */
	fake_rx(&n, 7);
	cr_assert_eq(fake_delivers, 2);
	/* capacity 2: IDs 8 and 9 push 7 out */
	fake_rx(&n, 8);
	fake_rx(&n, 9);
	fake_rx(&n, 7);
	cr_assert_eq(fake_delivers, 5);
	node_stop(&n);
}

Test(cmm_fake, own_message_is_never_delivered_back)
{
	struct node n;
	struct node_id to = { { 1 } };
	struct msg_id id = { { 7 } };

	fake_node(&n, "{}");
	cmm_send(node_module(&n, "cmm"), &id, "x", 1, &to, 1, "echo");
	fake_rx(&n, 7);
	cr_assert_eq(fake_delivers, 0);
	node_stop(&n);
}

Test(cmm_fake, bad_params_fail_init)
{
	const char *bad[] = { "{\"seen_capacity\": 0}", "{\"seen_capacity\": -3}",
			      "{\"seen_ttl_ms\": \"1\"}", "{\"seen_capacity\": 99999999999}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct modcfg mc;
		char err[128], cfg[128];
		struct node n;
		struct node_id id = { { 1 } };
		json_t *j;

		snprintf(cfg, sizeof(cfg), "{\"cmm\": %s}", bad[i]);
		j = json_loads(cfg, 0, NULL);
		cr_assert_eq(modcfg_load(j, &mc, err, sizeof(err)), 0);
		cr_assert_eq(node_init(&n, &id, &fake_rt, NULL, &mc), -EINVAL, "%s", bad[i]);
		json_decref(j);
	}
}
