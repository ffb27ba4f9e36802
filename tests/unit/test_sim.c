// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The simulator engine: determinism, timers, link-down, the scenario ops table. */
#include <criterion/criterion.h>
#include <errno.h>
#include <unistd.h>

#include "modules/cmm.h"
#include "modules/echo.h"
#include "cli/sim_cmds.h"
#include "sim/scen_cmm.h"
#include "sim/scen_smm.h"

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

/* ---- a fake scenario through the ops table ---- */

struct fake_scen {
	struct sim *s;
	uint32_t setups, started, freed, events, results;
	bool setup_before_init; /* every node_setup saw an uninitialised instance */
	uint64_t at[8];
	uint32_t node[8], arg[8];
};

struct fkm_priv {
	uint32_t mark; /* set by the scenario before init, checked by init */
	bool inited;
	bool mark_seen;
};

static int fkm_init(struct module *m, const json_t *params)
{
	struct fkm_priv *p = m->priv;

	(void)params;
	p->mark_seen = p->mark == 0x5ce0;
	p->inited = true;
	return 0;
}

static const struct module_ops fkm_module = { .name = "fkm",
					      .priv_size = sizeof(struct fkm_priv),
					      .init = fkm_init };

static json_t *fake_modules(void *ctx)
{
	(void)ctx;
	return json_pack("{s:{}}", "fkm");
}

static int fake_setup(void *ctx, struct sim *s, uint32_t i, struct node *n)
{
	struct fake_scen *f = ctx;
	struct module *m = node_module(n, "fkm");
	struct fkm_priv *p = m->priv;

	f->s = s;
	f->setups++;
	if (p->inited || sim_node(s, i) != n)
		f->setup_before_init = false;
	p->mark = 0x5ce0;
	return 0;
}

static int fake_start(void *ctx, struct sim *s)
{
	struct fake_scen *f = ctx;

	f->started++;
	/* the event at 200 us lies past the first run's stop time (100 us) */
	cr_assert_eq(sim_schedule_app(s, 5000, 1, 11), 0);
	cr_assert_eq(sim_schedule_app(s, 1000, 2, 22), 0);
	cr_assert_eq(sim_schedule_app(s, 200000, 3, 33), 0);
	return 0;
}

static void fake_event(void *ctx, struct sim *s, uint32_t node, uint32_t arg)
{
	struct fake_scen *f = ctx;

	if (f->events < 8) {
		f->at[f->events] = sim_now(s);
		f->node[f->events] = node;
		f->arg[f->events] = arg;
	}
	f->events++;
}

static void fake_results(void *ctx, struct sim *s, json_t *out)
{
	struct fake_scen *f = ctx;

	(void)s;
	f->results++;
	json_object_set_new(out, "fake_events", json_integer(f->events));
}

static void fake_free(void *ctx)
{
	((struct fake_scen *)ctx)->freed++;
}

static const struct sim_scenario_ops fake_ops = {
	.name = "fake",
	.modules = fake_modules,
	.node_setup = fake_setup,
	.start = fake_start,
	.event = fake_event,
	.results = fake_results,
	.free = fake_free,
};

Test(sim, scenario_reaches_the_engine_through_its_ops)
{
	struct fake_scen f = { .setup_before_init = true };
	struct sim_cfg c;
	struct sim *s;
	json_t *r;
	const char *k;
	json_t *v;
	int pos = 0, pos_fake = -1, pos_icc = -1, pos_mods = -1;

	module_unregister_all_extra();
	cr_assert_eq(module_register(&fkm_module), 0);
	sim_cfg_defaults(&c);
	c.graph.kind = GRAPH_RING;
	c.graph.n = 6;
	c.node_fail = 0;
	s = simt_new(&c, NULL, &fake_ops, &f);
	cr_assert_eq(f.setups, 6);
	cr_assert(f.setup_before_init);
	cr_assert_eq(f.started, 1);
	for (uint32_t i = 0; i < 6; i++) {
		struct fkm_priv *p = node_module(sim_node(s, i), "fkm")->priv;

		cr_assert(p->inited && p->mark_seen, "node %u: hook not set before init", i);
	}
	sim_set_until(s, 100000);
	sim_run(s);
	cr_assert_eq(f.events, 2);
	cr_assert_eq(f.at[0], 1000);
	cr_assert_eq(f.node[0], 2);
	cr_assert_eq(f.arg[0], 22);
	cr_assert_eq(f.at[1], 5000);
	cr_assert_eq(f.node[1], 1);
	cr_assert_eq(f.arg[1], 11);
	sim_set_until(s, 0);
	sim_run(s);
	cr_assert_eq(f.events, 3);
	cr_assert_eq(f.at[2], 200000);
	r = sim_results_json(s, 0);
	cr_assert_eq(f.results, 1);
	cr_assert_str_eq(json_string_value(json_object_get(r, "scenario")), "fake");
	cr_assert_eq(json_integer_value(json_object_get(r, "fake_events")), 3);
	/* the scenario's figures sit between the engine's counts and the modules */
	json_object_foreach(r, k, v) {
		if (!strcmp(k, "icc"))
			pos_icc = pos;
		if (!strcmp(k, "fake_events"))
			pos_fake = pos;
		if (!strcmp(k, "modules"))
			pos_mods = pos;
		pos++;
	}
	cr_assert(pos_icc >= 0 && pos_icc < pos_fake && pos_fake < pos_mods);
	json_decref(r);
	cr_assert_eq(f.freed, 0);
	sim_free(s);
	cr_assert_eq(f.freed, 1);
	module_unregister_all_extra();
}

static int fake_setup_fails(void *ctx, struct sim *s, uint32_t i, struct node *n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return i == 2 ? -EPERM : 0;
}

static const struct sim_scenario_ops fake_failing_ops = {
	.name = "fails",
	.modules = fake_modules,
	.node_setup = fake_setup_fails,
	.free = fake_free,
};

Test(sim, scenario_errors_and_missing_modules)
{
	struct fake_scen f = { 0 };
	struct sim_cfg c;
	char err[256] = "";

	module_unregister_all_extra();
	cr_assert_eq(module_register(&fkm_module), 0);
	sim_cfg_defaults(&c);
	c.graph.kind = GRAPH_RING;
	c.graph.n = 5;
	cr_assert_null(sim_new(&c, NULL, &fake_failing_ops, &f, err, sizeof(err)));
	cr_assert_str_eq(err, "node 2: scenario setup: Operation not permitted");
	cr_assert_eq(f.freed, 1);
	/* no scenario and no module config: nothing to run */
	cr_assert_null(sim_new(&c, NULL, NULL, NULL, err, sizeof(err)));
	cr_assert_str_eq(err, "no module config");
	module_unregister_all_extra();
}

/* ---- ipop-sim on the table-driven CLI ---- */

struct simt_out {
	int rc;
	char out[65536], err[4096];
};

static void simt_slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* `ipop-sim WORDS...` through cli_main_prog, stdout and stderr captured. */
static void simt_cli_v(struct simt_out *r, char **argv)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so, se, argc = 0;

	while (argv[argc])
		argc++;
	cr_assert(fo && fe);
	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	cr_assert(so >= 0 && se >= 0);
	dup2(fileno(fo), STDOUT_FILENO);
	dup2(fileno(fe), STDERR_FILENO);
	r->rc = cli_main_prog(&sim_prog, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	simt_slurp(fo, r->out, sizeof(r->out));
	simt_slurp(fe, r->err, sizeof(r->err));
}
#define simt_cli(r, ...) simt_cli_v(r, (char *[]){ "ipop-sim", __VA_ARGS__, NULL })

/* A result object without the keys that measure the machine, as text. */
static char *simt_figures(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	char *s;

	cr_assert_not_null(j, "not JSON: %s", text);
	json_object_del(j, "wall_s");
	json_object_del(j, "events_per_s");
	json_object_del(j, "max_rss_kb");
	json_object_del(j, "setup_s");
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

Test(sim_cli, help_comes_from_the_table)
{
	static struct simt_out r;

	simt_cli(&r, "--help");
	cr_assert_eq(r.rc, 0);
	cr_assert(strstr(r.out, "Usage: ipop-sim COMMAND [options]"), "%s", r.out);
	cr_assert(strstr(r.out, "\n  cmm "), "%s", r.out);
	cr_assert(strstr(r.out, "\n  smm "), "%s", r.out);
	simt_cli(&r, "smm", "--help");
	cr_assert_eq(r.rc, 0);
	cr_assert(strstr(r.out, "Usage: ipop-sim smm [options]"), "%s", r.out);
	for (const struct cli_opt *o = cmd_sim_smm.opts; o->name; o++) {
		char want[64];

		snprintf(want, sizeof(want), "--%s", o->name);
		cr_assert(strstr(r.out, want), "%s missing from:\n%s", want, r.out);
	}
}

Test(sim_cli, bad_values_are_refused_with_the_option_named)
{
	static struct simt_out r;

	simt_cli(&r, "cmm", "--loss", "1.5");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-sim cmm: invalid value '1.5' for --loss (expected 0..1)\n");
	simt_cli(&r, "--repeat", "0");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-sim cmm: invalid value '0' for --repeat (expected 1..255)\n");
	simt_cli(&r, "smm", "--fail", "1");
	cr_assert_eq(r.rc, 2);
	simt_cli(&r, "smm", "--nodes", "1");
	cr_assert_eq(r.rc, 2);
	simt_cli(&r, "cmm", "--latency", "5:1");
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "--latency"), "%s", r.err);
	simt_cli(&r, "cmm", "--scenario", "gossip");
	cr_assert_eq(r.rc, 2);
	simt_cli(&r, "frobnicate");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-sim: unknown command 'frobnicate' (see 'ipop-sim --help')\n");
}

Test(sim_cli, options_land_in_the_run)
{
	static struct simt_out a, b;
	struct scen_cmm sc;
	struct sim_cfg c;
	struct sim *s;
	json_t *j;
	char *fa, *fb, *fc;

	/* the older form (options first) runs cmm */
	simt_cli(&a, "--nodes", "120", "--graph", "ws", "--degree", "4", "--scenario", "flood",
		 "--sources", "2", "--repeat", "2", "--loss", "0.1", "--latency", "2:9", "--seed",
		 "77", "--json");
	simt_cli(&b, "cmm", "--nodes", "120", "--graph", "ws", "--degree", "4", "--scenario",
		 "flood", "--sources", "2", "--repeat", "2", "--loss", "0.1", "--latency", "2:9",
		 "--seed", "77", "--json");
	cr_assert_eq(a.rc, 0, "%s", a.err);
	cr_assert_eq(b.rc, 0, "%s", b.err);
	fa = simt_figures(a.out);
	fb = simt_figures(b.out);
	cr_assert_str_eq(fa, fb);
	free(fb);
	/* the same run built by hand */
	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	c.graph.kind = GRAPH_WS;
	c.graph.n = 120;
	c.graph.degree = 4;
	c.loss = 0.1;
	c.lat_min_ns = 2000000;
	c.lat_max_ns = 9000000;
	c.seed = 77;
	sc.sources = 2;
	sc.repeat = 2;
	s = simt_new(&c, NULL, &scen_flood_ops, &sc);
	sim_run(s);
	j = sim_results_json(s, 0);
	fc = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	sim_free(s);
	fb = simt_figures(fc);
	cr_assert_str_eq(fa, fb);
	cr_assert(strstr(fa, "\"scenario\":\"flood\""), "%s", fa);
	free(fa);
	free(fb);
	free(fc);
}

Test(sim_cli, smm_options_land_in_the_run)
{
	static struct simt_out r;
	struct scen_smm_args a = {
		.nodes = 64, .runs = 3, .successors = 3, .seed = 9, .fail = 0.1, .repair = true
	};
	char err[256] = "", *fa, *fb, *text;
	json_t *j;

	simt_cli(&r, "smm", "--nodes", "64", "--runs", "3", "--seed", "9", "--fail", "0.1",
		 "--repair", "--successors", "3", "--json");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	fa = simt_figures(r.out);
	j = scen_smm_run(&a, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	fb = simt_figures(text);
	cr_assert_str_eq(fa, fb);
	cr_assert(strstr(fa, "\"view\":\"after_repair\""), "%s", fa);
	free(fa);
	free(fb);
	free(text);
}
