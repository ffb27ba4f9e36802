// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The simulator engine: determinism, timers, link-down, the scenario ops table. */
#include <criterion/criterion.h>
#include <errno.h>

#include "modules/cmm.h"
#include "modules/echo.h"
#include "sim/scen_cmm.h"

static struct sim *simt_new(struct sim_cfg *c, const json_t *mods,
			    const struct sim_scenario_ops *ops, void *ctx)
{
	char err[256] = "";
	struct sim *s = sim_new(c, mods, ops, ctx, err, sizeof(err));

	cr_assert_not_null(s, "sim_new: %s", err);
	return s;
}

Test(sim, deterministic_for_a_seed)
{
	struct sim_cfg c;
	struct scen_cmm sca, scb;
	struct sim *a, *b;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sca);
	c.graph.kind = GRAPH_ER;
	c.graph.n = 500;
	c.loss = 0.2;
	sca.sources = 3;
	scb = sca;
	a = simt_new(&c, NULL, &scen_flood_ops, &sca);
	b = simt_new(&c, NULL, &scen_flood_ops, &scb);
	sim_run(a);
	sim_run(b);
	cr_assert_eq(sim_counts(a)->events, sim_counts(b)->events);
	cr_assert_eq(sim_counts(a)->lost_loss, sim_counts(b)->lost_loss);
	cr_assert_eq(sim_now(a), sim_now(b));
	for (uint32_t i = 0; i < 500; i++)
		cr_assert_eq(node_module(sim_node(a, i), "cmm")->ctr[CMM_C_RECEIVED],
			     node_module(sim_node(b, i), "cmm")->ctr[CMM_C_RECEIVED]);
	sim_free(a);
	sim_free(b);
}

/* ---- the simulator runtime itself: timers and link-down on a virtual clock ---- */

struct simt_priv {
	uint64_t fired_at[4];
	int nfired, links_down;
};

static int simt_init(struct module *m, const json_t *params)
{
	(void)params;
	rt_timer_arm(m, 1, 5000);
	rt_timer_arm(m, 2, 7000);
	rt_timer_arm(m, 3, 9000);
	rt_timer_arm(m, 1, 6000); /* re-arm replaces */
	rt_timer_cancel(m, 3);
	return 0;
}

static int simt_timer(struct module *m, uint32_t id)
{
	struct simt_priv *p = m->priv;

	if (p->nfired < 4)
		p->fired_at[p->nfired++] = rt_now(m) * 10 + id;
	if (id == 2 && p->nfired < 3)
		rt_timer_arm(m, 4, 1);
	return 0;
}

static int simt_link(struct module *m, const struct node_id *peer, bool up)
{
	struct simt_priv *p = m->priv;

	(void)peer;
	p->links_down += !up;
	return 0;
}

static const struct module_ops simt_module = {
	.name = "simt",
	.priv_size = sizeof(struct simt_priv),
	.init = simt_init,
	.timer = simt_timer,
	.link = simt_link,
};

Test(sim, timers_fire_in_virtual_time_and_links_go_down)
{
	struct sim_cfg c;
	struct sim *s;
	char err[256] = "";
	json_t *mods;
	struct simt_priv *p;
	uint64_t down = 0;

	module_unregister_all_extra();
	cr_assert_eq(module_register(&simt_module), 0);
	mods = json_loads("{\"cmm\": {}, \"simt\": {}}", 0, NULL);
	sim_cfg_defaults(&c);
	c.graph.kind = GRAPH_RING;
	c.graph.n = 20;
	c.node_fail = 0.3;
	c.fail_at_ns = 100000;
	c.detect_ns = 50000;
	s = sim_new(&c, mods, NULL, NULL, err, sizeof(err));
	json_decref(mods);
	cr_assert_not_null(s, "%s", err);
	sim_run(s);
	p = node_module(sim_node(s, 0), "simt")->priv;
	cr_assert_eq(p->nfired, 3);
	cr_assert_eq(p->fired_at[0], 6000 * 10 + 1);
	cr_assert_eq(p->fired_at[1], 7000 * 10 + 2);
	cr_assert_eq(p->fired_at[2], 7001 * 10 + 4);
	for (uint32_t i = 0; i < 20; i++) {
		uint32_t want = 0;

		p = node_module(sim_node(s, i), "simt")->priv;
		if (sim_failed(s, i))
			continue;
		want += sim_failed(s, (i + 1) % 20);
		want += sim_failed(s, (i + 19) % 20);
		cr_assert_eq(p->links_down, (int)want, "node %u", i);
		down += want;
	}
	cr_assert_gt(down, 0, "test needs some failed nodes");
	cr_assert_eq(sim_now(s), 150000);
	sim_free(s);
	module_unregister_all_extra();
}
