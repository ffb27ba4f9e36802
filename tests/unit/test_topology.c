// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Topology: finger computation, greedy routing, wire format, and convergence on the simulator. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>

#include "modules/echo.h"
#include "modules/smm.h"
#include "modules/topology.h"
#include "sim/sim.h"

static ring_t r_hi(uint64_t hi)
{
	return (ring_t)hi << 64;
}

Test(topology, fingers_are_first_node_at_or_after_each_point)
{
	/* 8 nodes evenly spaced by 2^125, self at 0 */
	ring_t keys[7];
	int f[TOPO_FINGERS], n;

	for (int i = 0; i < 7; i++)
		keys[i] = (ring_t)(7 - i) << 125; /* any order */
	n = topo_fingers(0, keys, 7, f);
	cr_assert_eq(n, 3);
	cr_assert_eq(keys[f[0]], (ring_t)4 << 125); /* 2^127 */
	cr_assert_eq(keys[f[1]], (ring_t)2 << 125); /* 2^126 */
	cr_assert_eq(keys[f[2]], (ring_t)1 << 125);
	for (int i = 3; i < TOPO_FINGERS; i++)
		cr_assert_eq(keys[f[i]], (ring_t)1 << 125, "finger %d", i);
}

Test(topology, fingers_wrap_around_the_ring)
{
	/* self near the top: points past 2^128 wrap to small IDs */
	ring_t self = RING_MAX - 10, keys[] = { 5, r_hi(1), RING_MAX - 5 };
	int f[TOPO_FINGERS];

	cr_assert_eq(topo_fingers(self, keys, 3, f), 3);
	cr_assert_eq(f[0], -1, "no node between self + 2^127 and self: the finger is self");
	cr_assert_eq(keys[f[TOPO_FINGERS - 1]], RING_MAX - 5); /* +1: the successor */
	cr_assert_eq(keys[f[TOPO_FINGERS - 4]], 5);	       /* +8 wraps past 2^128 */
	cr_assert_eq(keys[f[TOPO_FINGERS - 5]], 5);	       /* +16 lands exactly on 5 */
	cr_assert_eq(keys[f[TOPO_FINGERS - 6]], r_hi(1));      /* +32 */
	cr_assert_eq(keys[f[63]], r_hi(1));		       /* +2^64 */
	cr_assert_eq(f[62], -1);			       /* +2^65: back to self */
}

Test(topology, fingers_with_no_other_node)
{
	int f[TOPO_FINGERS];

	cr_assert_eq(topo_fingers(42, NULL, 0, f), 0);
	for (int i = 0; i < TOPO_FINGERS; i++)
		cr_assert_eq(f[i], -1);
}

Test(topology, greedy_next_hop)
{
	ring_t keys[] = { 100, 200, 400, 800 };
	bool fin;

	cr_assert_eq(topo_next_hop(0, keys, 4, 50, &fin), 0); /* successor owns it */
	cr_assert(fin);
	cr_assert_eq(topo_next_hop(0, keys, 4, 100, &fin), 0);
	cr_assert(fin);
	cr_assert_eq(topo_next_hop(0, keys, 4, 450, &fin), 2); /* closest before */
	cr_assert(!fin);
	cr_assert_eq(topo_next_hop(0, keys, 4, 800, &fin), 3);
	cr_assert(fin);
	cr_assert_eq(topo_next_hop(0, keys, 4, RING_MAX, &fin), 3);
	cr_assert_eq(topo_next_hop(0, keys, 4, 0, &fin), -1); /* self */
	/* wrap: from 700 towards 150 goes through 800, then 100 */
	cr_assert_eq(topo_next_hop(700, keys, 4, 150, &fin), 0);
	cr_assert(!fin);
	cr_assert_eq(topo_next_hop(700, keys, 4, 750, &fin), 3);
	cr_assert(fin);
	/* the only other node sits just before us, 2^128 - 1 away: it owns everything */
	ring_t prev[] = { 999 };

	cr_assert_eq(topo_next_hop(1000, prev, 1, 5000, &fin), 0);
	cr_assert(fin);
}

Test(topology, greedy_routing_reaches_the_owner_in_log_hops)
{
	/* 1024 nodes with random IDs, each knowing its true fingers */
	enum { N = 1024 };
	static ring_t ids[N];
	uint64_t x = 7;

	for (int i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		ids[i] = (ring_t)x << 64 | (x * 31);
	}
	for (int trial = 0; trial < 200; trial++) {
		int cur = trial % N, hops = 0;
		ring_t target = ids[(trial * 37) % N] + 1, best = RING_MAX;
		int owner = -1;
		bool fin = false;

		for (int i = 0; i < N; i++)
			if (ids[i] - target < best) {
				best = ids[i] - target;
				owner = i;
			}
		while (!fin && hops < 64) {
			static ring_t k[N];
			int f[TOPO_FINGERS], n = 0, nh;
			ring_t fk[TOPO_FINGERS];
			int nf = 0;

			for (int i = 0; i < N; i++)
				if (i != cur)
					k[n++] = ids[i];
			topo_fingers(ids[cur], k, n, f);
			for (int i = 0; i < TOPO_FINGERS; i++)
				if (f[i] >= 0 && (nf == 0 || fk[nf - 1] != k[f[i]]))
					fk[nf++] = k[f[i]];
			nh = topo_next_hop(ids[cur], fk, nf, target, &fin);
			cr_assert_geq(nh, 0);
			for (int i = 0; i < N; i++)
				if (ids[i] == fk[nh])
					cur = i;
			hops++;
		}
		cr_assert_eq(cur, owner, "trial %d", trial);
		cr_assert_leq(hops, 2 * 10 + 2, "trial %d: %d hops", trial, hops);
	}
}

Test(topology, connect_race_has_one_winner)
{
	struct node_id a = { { 1 } }, b = { { 2 } };

	cr_assert(topo_connect_wins(&a, &b));
	cr_assert(!topo_connect_wins(&b, &a));
}

Test(topology, wire_round_trip_and_truncation)
{
	struct topo_msg m = { .type = TOPO_T_GOSSIP, .flags = TOPO_F_REPLY, .n = 2 }, d;
	uint8_t buf[ICC_MAX_PAYLOAD];
	int len;

	m.addr = (struct rt_addr){ .len = 7, .b = { 4, 127, 0, 0, 1, 0x1f, 0x90 } };
	m.e[0].id.b[0] = 0xaa;
	m.e[0].addr = (struct rt_addr){ .len = 5, .b = { 0, 0, 0, 0, 9 } };
	m.e[1].id.b[15] = 0xbb;
	len = topo_msg_encode(&m, buf, sizeof(buf));
	cr_assert_eq(len, 4 + 8 + 2 * (16 + 1) + 5);
	cr_assert_eq(topo_msg_decode(buf, (size_t)len, &d), 0);
	cr_assert_eq(d.n, 2);
	cr_assert_eq(d.flags, TOPO_F_REPLY);
	cr_assert_eq(d.addr.len, 7);
	cr_assert_eq(d.e[0].id.b[0], 0xaa);
	cr_assert_eq(d.e[0].addr.b[4], 9);
	cr_assert_eq(d.e[1].addr.len, 0);
	for (int l = 0; l < len; l++)
		cr_assert_eq(topo_msg_decode(buf, (size_t)l, &d), -EBADMSG, "length %d", l);
	buf[len] = 0;
	cr_assert_eq(topo_msg_decode(buf, (size_t)len + 1, &d), -EBADMSG);
	buf[3] = TOPO_GOSSIP_MAX + 1;
	cr_assert_eq(topo_msg_decode(buf, (size_t)len, &d), -EBADMSG);
	buf[3] = 2;
	buf[4] = RT_ADDR_MAX + 1;
	cr_assert_eq(topo_msg_decode(buf, (size_t)len, &d), -EBADMSG);
	buf[4] = 7;
	buf[1] = 9;
	cr_assert_eq(topo_msg_decode(buf, (size_t)len, &d), -EBADMSG);
}

Test(topology, signed_wire_round_trip_and_bounds)
{
	struct topo_msg m = { .type = TOPO_T_GOSSIP, .flags = TOPO_F_SIGNED, .n = 2 }, d;
	uint8_t buf[ICC_MAX_PAYLOAD], big[ICC_MAX_PAYLOAD + 200];
	int len;

	m.addr = (struct rt_addr){ .len = 3, .b = { 0, 0, 7 } };
	m.self.stamp = 0x0102030405060708ULL;
	m.self.pub[31] = 0x11;
	m.self.sig[63] = 0x22;
	m.e[0].id.b[0] = 0xaa;
	m.e[0].addr = (struct rt_addr){ .len = 2, .b = { 0, 9 } };
	m.e[0].s.stamp = 5;
	m.e[0].s.pub[0] = 0x33;
	m.e[1].s.sig[0] = 0x44;
	len = topo_msg_encode(&m, buf, sizeof(buf));
	cr_assert_eq(len, 4 + 4 + TOPO_SIG_WIRE + 2 * (16 + 1 + TOPO_SIG_WIRE) + 2);
	cr_assert_eq(buf[8], 0x01, "stamp big-endian");
	cr_assert_eq(topo_msg_decode(buf, (size_t)len, &d), 0);
	cr_assert_eq(d.self.stamp, m.self.stamp);
	cr_assert_eq(d.self.pub[31], 0x11);
	cr_assert_eq(d.self.sig[63], 0x22);
	cr_assert_eq(d.e[0].s.stamp, 5);
	cr_assert_eq(d.e[0].s.pub[0], 0x33);
	cr_assert_eq(d.e[1].s.sig[0], 0x44);
	for (int l = 0; l < len; l++)
		cr_assert_eq(topo_msg_decode(buf, (size_t)l, &d), -EBADMSG, "length %d", l);
	buf[len] = 0;
	cr_assert_eq(topo_msg_decode(buf, (size_t)len + 1, &d), -EBADMSG, "trailing byte");
	/* the flag off: the same bytes no longer parse as unsigned */
	buf[2] = 0;
	cr_assert_eq(topo_msg_decode(buf, (size_t)len, &d), -EBADMSG);
	/* at most 8 signed entries (fits ICC_MAX_PAYLOAD with full addresses) */
	m.n = TOPO_GOSSIP_SIGNED_MAX;
	m.addr.len = RT_ADDR_MAX;
	for (int i = 0; i < m.n; i++)
		m.e[i].addr.len = RT_ADDR_MAX;
	len = topo_msg_encode(&m, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	cr_assert_leq(len, ICC_MAX_PAYLOAD);
	m.n = TOPO_GOSSIP_SIGNED_MAX + 1;
	cr_assert_eq(topo_msg_encode(&m, big, sizeof(big)), -EINVAL);
	m.flags = 0;
	cr_assert_gt(topo_msg_encode(&m, big, sizeof(big)), 0, "9 unsigned entries are fine");
	memcpy(big, buf, (size_t)len);
	big[2] = TOPO_F_SIGNED;
	big[3] = TOPO_GOSSIP_SIGNED_MAX + 1;
	cr_assert_eq(topo_msg_decode(big, sizeof(big), &d), -EBADMSG, "9 signed entries");
}

/* ---- the protocol on the simulator ---- */

/* fingers: how many the topology keeps (TOPO_FINGERS: all; 0: a plain ring) */
static struct sim *topo_sim_f(uint32_t n, uint64_t seed, double fail, uint64_t until_ms,
			      uint64_t fail_ms, int succ, int fingers)
{
	struct sim_cfg c;
	char err[256] = "";
	json_t *mods =
		json_pack("{s:{}, s:{s:[s], s:i, s:i, s:i, s:i}, s:{s:[s, s]}, s:{s:[s]}}", "cmm",
			  "topology", "dependencies", "cmm", "gossip_ms", 500, "successors", succ,
			  "connect_timeout_ms", 3000, "fingers", fingers, "smm", "dependencies",
			  "cmm", "topology", "echo", "dependencies", "cmm");
	struct sim *s;

	sim_cfg_defaults(&c);
	c.graph.kind = GRAPH_REGULAR; /* random bootstrap contacts */
	c.graph.degree = 3;
	c.graph.n = n;
	c.seed = seed;
	c.until_ns = until_ms * 1000000ULL;
	c.node_fail = fail;
	c.fail_at_ns = fail_ms * 1000000ULL;
	c.detect_ns = 2000 * 1000000ULL;
	s = sim_new(&c, mods, NULL, NULL, err, sizeof(err));
	json_decref(mods);
	cr_assert_not_null(s, "sim_new: %s", err);
	return s;
}

static struct sim *topo_sim(uint32_t n, uint64_t seed, double fail, uint64_t until_ms,
			    uint64_t fail_ms)
{
	return topo_sim_f(n, seed, fail, until_ms, fail_ms, 4, TOPO_FINGERS);
}

/* Live node after i (cyclic); the sim's IDs grow with the index. */
static uint32_t next_live(struct sim *s, uint32_t i)
{
	do
		i = (i + 1) % sim_nnodes(s);
	while (sim_failed(s, i));
	return i;
}

/* Every live node's successor and fingers are the true ones over live nodes. */
static uint32_t topo_wrong(struct sim *s)
{
	uint32_t n = sim_nnodes(s), wrong = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct module *t = node_module(sim_node(s, i), TOPOLOGY_NAME);
		struct node_id succ[4], fing[TOPO_FINGERS];
		ring_t self = ring_of(sim_node(s, i)->id.b);
		int ns;

		if (sim_failed(s, i))
			continue;
		ns = topology_view(t, succ, 4, NULL, fing);
		if (ns < 1 || !node_id_eq(&succ[0], &sim_node(s, next_live(s, i))->id)) {
			wrong++;
			continue;
		}
		for (int f = 0; f < TOPO_FINGERS; f += 7) {
			ring_t p = ring_finger_point(self, f), best = RING_MAX;
			uint32_t want = i;

			for (uint32_t j = 0; j < n; j++) {
				ring_t d = ring_of(sim_node(s, j)->id.b) - p;

				if (!sim_failed(s, j) && d < best && j != i) {
					best = d;
					want = j;
				}
			}
			/* the first node at or after the point, unless that is past self */
			if (best >= self - p)
				want = i;
			if (!node_id_eq(&fing[f], &sim_node(s, want)->id)) {
				wrong++;
				break;
			}
		}
	}
	return wrong;
}

Test(topology, converges_from_random_bootstrap_contacts, .timeout = 60)
{
	struct sim *s = topo_sim(128, 3, 0, 20000, 0);

	sim_run(s);
	cr_assert_eq(topo_wrong(s), 0, "%u nodes with a wrong view", topo_wrong(s));
	sim_free(s);
}

static uint64_t sum_ctr(struct sim *s, const char *mod, unsigned int c)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		t += node_module(sim_node(s, i), mod)->ctr[c];
	return t;
}

/* One SMM broadcast over the protocol's own tables: every live node exactly once. */
static void broadcast_once(struct sim *s, uint32_t root, uint64_t *echo_before)
{
	struct msg_id id = { { 0x5a, (uint8_t)root } };
	uint64_t sent0 = sum_ctr(s, SMM_NAME, SMM_C_SENT), live = 0;
	struct node *r = sim_node(s, root);
	int ret;

	ret = smm_send_from(node_module(r, TOPOLOGY_NAME), &id, "hi", 2, &r->id, &r->id, "echo");
	cr_assert_geq(ret, 1);
	sim_set_until(s, sim_now(s) + 2000000000ULL);
	sim_run(s);
	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		uint64_t got = node_module(sim_node(s, i), "echo")->ctr[ECHO_C_RECEIVED];

		cr_assert_eq(got - echo_before[i], sim_failed(s, i) ? 0 : 1, "node %u got %lu", i,
			     (unsigned long)(got - echo_before[i]));
		echo_before[i] = got;
		live += !sim_failed(s, i);
	}
	cr_assert_eq(sum_ctr(s, SMM_NAME, SMM_C_SENT) - sent0, live - 1);
	cr_assert_eq(sum_ctr(s, SMM_NAME, SMM_C_DUPLICATES), 0);
}

Test(topology, smm_over_protocol_tables_with_failures_and_repair, .timeout = 60)
{
	struct sim *s = topo_sim(256, 11, 0.2, 10000, 15000);
	uint64_t echo[256] = { 0 };
	uint32_t root = 0;

	sim_run(s);
	cr_assert_eq(topo_wrong(s), 0);
	broadcast_once(s, 7, echo);
	/* 20% fail at 15 s, neighbours see it at 17 s; the ring repairs by gossip */
	sim_set_until(s, 45000000000ULL);
	sim_run(s);
	cr_assert_gt(sum_ctr(s, TOPOLOGY_NAME, TOPO_C_LINK_DOWN), 0);
	cr_assert_eq(topo_wrong(s), 0, "%u live nodes with a wrong view", topo_wrong(s));
	while (sim_failed(s, root))
		root++;
	broadcast_once(s, root, echo);
	sim_free(s);
}

Test(topology, links_follow_the_view_and_races_have_one_winner, .timeout = 60)
{
	struct sim *s = topo_sim(256, 4, 0, 15000, 0);
	uint64_t won, lost;

	sim_run(s);
	cr_assert_eq(topo_wrong(s), 0);
	won = sum_ctr(s, TOPOLOGY_NAME, TOPO_C_RACE_WON);
	lost = sum_ctr(s, TOPOLOGY_NAME, TOPO_C_RACE_LOST);
	cr_assert_eq(won, lost, "every simultaneous connect has exactly one winner");
	cr_assert_gt(sum_ctr(s, TOPOLOGY_NAME, TOPO_C_LINKS_REMOVED), 0, "links were trimmed");
	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		struct module *t = node_module(sim_node(s, i), TOPOLOGY_NAME);
		struct node_id succ[4], fing[TOPO_FINGERS], routes[SMM_ROUTES_MAX];
		const uint32_t *v;
		uint32_t nl = sim_dyn_links(s, i, &v);
		int nr = topology_routes(t, routes, SMM_ROUTES_MAX), ns;

		ns = topology_view(t, succ, 4, NULL, fing);
		/* every successor is a live route (linked and up) */
		for (int k = 0; k < ns; k++) {
			bool found = false;

			for (int r = 0; r < nr; r++)
				found |= node_id_eq(&routes[r], &succ[k]);
			cr_assert(found, "node %u: successor %d is not a route", i, k);
		}
		/* own needs (<= 4 + 1 + ~9 fingers) plus peers that need it */
		cr_assert_leq(nl, 40, "node %u holds %u run-time links", i, nl);
	}
	sim_free(s);
}

/* "fingers": 0, "successors": 1: a plain ring, whose routes are the two ring neighbours */
Test(topology, ring_without_fingers_routes_to_the_two_neighbours, .timeout = 60)
{
	struct sim *s = topo_sim_f(32, 5, 0, 15000, 0, 1, 0);
	uint64_t echo[32] = { 0 };

	sim_run(s);
	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		struct module *t = node_module(sim_node(s, i), TOPOLOGY_NAME);
		struct node_id routes[SMM_ROUTES_MAX], succ[1], fing[TOPO_FINGERS];
		const struct node_id *next = &sim_node(s, (i + 1) % 32)->id;
		const struct node_id *prev = &sim_node(s, (i + 31) % 32)->id;
		int nr = topology_routes(t, routes, SMM_ROUTES_MAX);

		cr_assert_eq(topology_view(t, succ, 1, NULL, fing), 1);
		cr_assert(node_id_eq(&succ[0], next), "node %u: wrong successor", i);
		for (int f = 0; f < TOPO_FINGERS; f++)
			cr_assert(node_id_eq(&fing[f], &sim_node(s, i)->id),
				  "node %u: finger %d kept", i, f);
		cr_assert_eq(nr, 2, "node %u has %d routes", i, nr);
		cr_assert((node_id_eq(&routes[0], next) && node_id_eq(&routes[1], prev)) ||
				  (node_id_eq(&routes[1], next) && node_id_eq(&routes[0], prev)),
			  "node %u: routes are not its ring neighbours", i);
	}
	/* a broadcast walks the ring both ways: every node once, no duplicate */
	broadcast_once(s, 9, echo);
	sim_free(s);
}

Test(topology, smm_range_reaches_exactly_the_nodes_inside, .timeout = 60)
{
	struct sim *s = topo_sim(256, 6, 0, 10000, 0);
	struct msg_id id = { { 0x7e } };
	struct node *root = sim_node(s, 200);

	sim_run(s);
	/* [node 40, node 100): the root (200) is outside, so it routes first */
	smm_send_from(node_module(root, TOPOLOGY_NAME), &id, "r", 1, &sim_node(s, 40)->id,
		      &sim_node(s, 100)->id, "echo");
	sim_set_until(s, sim_now(s) + 2000000000ULL);
	sim_run(s);
	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		cr_assert_eq(node_module(sim_node(s, i), "echo")->ctr[ECHO_C_RECEIVED],
			     i >= 40 && i < 100 ? 1 : 0, "node %u", i);
	cr_assert_gt(sum_ctr(s, SMM_NAME, SMM_C_TRANSIT), 0);
	cr_assert_eq(sum_ctr(s, SMM_NAME, SMM_C_DUPLICATES), 0);
	sim_free(s);
}

static int never_routes(void *ctx, struct node *n, struct node_id *out, int max)
{
	(void)ctx;
	(void)n;
	(void)out;
	(void)max;
	return 0;
}

/* Simulator hooks are per instance, set before init, and only on their own module. */
Test(topology, hooks_are_per_instance_and_checked)
{
	struct sim *s = topo_sim(8, 3, 0, 100, 0);
	struct node *n = sim_node(s, 0);
	struct topology_oracle o = { never_routes, NULL };

	cr_assert_eq(topology_set_oracle(node_module(n, TOPOLOGY_NAME), &o), -EBUSY);
	cr_assert_eq(topology_set_oracle(node_module(n, CMM_NAME), &o), -EINVAL);
	cr_assert_eq(smm_set_observer(node_module(n, TOPOLOGY_NAME), NULL, NULL), -EINVAL);
	cr_assert_eq(smm_set_observer(node_module(n, SMM_NAME), NULL, NULL), 0);
	sim_free(s);
}

/* ---- signed membership records: a runtime with real Ed25519 identities ---- */

/* Each ID's key pair from a seed hashed from the ID (a stand-in for ID = hash(pub)). */
static void id_keys(const struct node_id *id, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	crypto_generichash(seed, sizeof(seed), id->b, ID_LEN, NULL, 0);
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void sign_as(const struct node_id *key_of, const void *data, size_t len,
		    uint8_t sig[RT_SIG_LEN], uint8_t pub[RT_PUB_LEN])
{
	uint8_t sk[64];

	id_keys(key_of, pub, sk);
	crypto_sign_detached(sig, NULL, data, len, sk);
}

static int ed_sign(struct node *n, const void *data, size_t len, uint8_t sig[RT_SIG_LEN],
		   uint8_t pub[RT_PUB_LEN])
{
	sign_as(&n->id, data, len, sig, pub);
	return 0;
}

static int ed_verify(struct node *n, const struct node_id *origin, const uint8_t pub[RT_PUB_LEN],
		     const void *data, size_t len, const uint8_t sig[RT_SIG_LEN])
{
	uint8_t pk[32], sk[64];

	(void)n;
	id_keys(origin, pk, sk);
	if (memcmp(pk, pub, 32)) /* pub does not belong to origin */
		return -EBADMSG;
	return crypto_sign_verify_detached(sig, data, len, pub) ? -EBADMSG : 0;
}

static struct rt_ops ed_ops;
static int (*sim_send)(struct node *n, const struct node_id *to, const char *module,
		       const struct mod_msg *msg);
static struct node_id cap_id;	/* capture what is gossiped about this ID */
static struct rt_addr cap_addr; /* its address in the last gossip that had it */
static struct topo_sig cap_sig;

static int cap_send(struct node *n, const struct node_id *to, const char *module,
		    const struct mod_msg *msg)
{
	struct topo_msg g;

	if (!strcmp(module, TOPOLOGY_NAME) && topo_msg_decode(msg->data, msg->len, &g) == 0)
		for (int k = 0; k < g.n; k++)
			if (node_id_eq(&g.e[k].id, &cap_id)) {
				cap_addr = g.e[k].addr;
				cap_sig = g.e[k].s;
			}
	return sim_send(n, to, module, msg);
}

static void use_ed25519(struct sim *s)
{
	cr_assert(sodium_init() >= 0);
	ed_ops = *sim_node(s, 0)->rt;
	ed_ops.sign = ed_sign;
	ed_ops.verify = ed_verify;
	sim_send = ed_ops.send;
	ed_ops.send = cap_send;
	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		sim_node(s, i)->rt = &ed_ops;
}

/* A signed record of id over addr, by the key of signer. */
static void rec_by(const struct node_id *signer, const struct node_id *id, const struct rt_addr *a,
		   uint64_t stamp, struct topo_sig *out)
{
	uint8_t rec[TOPO_REC_MAX];
	size_t len = topo_rec_bytes(id, a, stamp, rec);

	out->stamp = stamp;
	sign_as(signer, rec, len, out->sig, out->pub);
}

static int peers_of(struct module *t)
{
	json_t *o = topology_state_json(t);
	int n = (int)json_integer_value(json_object_get(o, "peers"));

	json_decref(o);
	return n;
}

Test(topology, signed_gossip_converges_and_forgeries_are_dropped, .timeout = 60)
{
	struct sim *s = topo_sim(32, 5, 0, 15000, 0);
	struct module *t1;
	struct node *n1, *n2;
	struct node_id x = { { 0xee, 0x01 } };
	struct rt_addr ax = { .len = 5, .b = { 0, 0, 0, 0, 31 } }, other = ax;
	struct topo_msg g = { .type = TOPO_T_GOSSIP, .flags = TOPO_F_SIGNED, .n = 1 };
	uint8_t buf[ICC_MAX_PAYLOAD];
	struct mod_msg in = { .type = ICC_T_DATA, .data = buf };
	struct rt_addr a2;
	uint64_t bad;
	int peers;

	use_ed25519(s);
	sim_run(s);
	cr_assert_eq(topo_wrong(s), 0, "%u nodes with a wrong view", topo_wrong(s));
	cr_assert_eq(sum_ctr(s, TOPOLOGY_NAME, TOPO_C_DROP_BAD_SIG), 0, "bad %lu rx %lu",
		     (unsigned long)sum_ctr(s, TOPOLOGY_NAME, TOPO_C_DROP_BAD_SIG),
		     (unsigned long)sum_ctr(s, TOPOLOGY_NAME, TOPO_C_GOSSIP_RX));
	cr_assert_gt(sum_ctr(s, TOPOLOGY_NAME, TOPO_C_GOSSIP_RX), 0);

	n1 = sim_node(s, 1);
	n2 = sim_node(s, 2);
	t1 = node_module(n1, TOPOLOGY_NAME);
	cr_assert_eq(rt_self_addr(node_module(n2, TOPOLOGY_NAME), &a2), 0);
	in.src = n2->id;
	g.addr = a2;
	rec_by(&n2->id, &n2->id, &a2, 7, &g.self);
	g.e[0].id = x;
	g.e[0].addr = ax;
	peers = peers_of(t1);
	bad = t1->ctr[TOPO_C_DROP_BAD_SIG];

	/* a record claiming x, signed by node 3: dropped, counted, x not added */
	rec_by(&sim_node(s, 3)->id, &x, &ax, 9, &g.e[0].s);
	in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
	cr_assert_eq(node_deliver(n1, TOPOLOGY_NAME, &in), 0);
	cr_assert_eq(t1->ctr[TOPO_C_DROP_BAD_SIG], bad + 1);
	cr_assert_eq(peers_of(t1), peers);

	/* x's own signature, but over another address than the entry carries */
	other.b[4] = 30;
	rec_by(&x, &x, &other, 9, &g.e[0].s);
	in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
	cr_assert_eq(node_deliver(n1, TOPOLOGY_NAME, &in), 0);
	cr_assert_eq(t1->ctr[TOPO_C_DROP_BAD_SIG], bad + 2, "tampered address");
	cr_assert_eq(peers_of(t1), peers);

	/* the sender's own record forged (node 2's address signed by node 3) */
	rec_by(&x, &x, &ax, 9, &g.e[0].s);
	rec_by(&sim_node(s, 3)->id, &n2->id, &a2, 7, &g.self);
	in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
	node_deliver(n1, TOPOLOGY_NAME, &in);
	cr_assert_eq(t1->ctr[TOPO_C_DROP_BAD_SIG], bad + 3, "forged sender record");
	cr_assert_eq(peers_of(t1), peers, "nothing of that message taken");

	/* unsigned, to a node that verifies: dropped as a whole */
	g.flags = 0;
	in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
	node_deliver(n1, TOPOLOGY_NAME, &in);
	cr_assert_eq(t1->ctr[TOPO_C_DROP_BAD_SIG], bad + 4, "unsigned");
	cr_assert_eq(peers_of(t1), peers);

	/* the genuine one: x signed by x, sender signed by itself */
	g.flags = TOPO_F_SIGNED;
	rec_by(&n2->id, &n2->id, &a2, 7, &g.self);
	in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
	cr_assert_eq(node_deliver(n1, TOPOLOGY_NAME, &in), 0);
	cr_assert_eq(t1->ctr[TOPO_C_DROP_BAD_SIG], bad + 4);
	cr_assert_eq(peers_of(t1), peers + 1, "x added");

	/*
	 * Freshness: x's newer record (another address) replaces the one held
	 * even second-hand; an older one does not. Seen in what node 1 gossips
	 * to the node just before x (x is its successor candidate).
	 */
	{
		uint32_t j = 0;
		struct topo_sig older;

		for (uint32_t i = 0; i < sim_nnodes(s); i++)
			if (ring_of(sim_node(s, i)->id.b) < ring_of(x.b))
				j = i;
		in.src = sim_node(s, j)->id;
		cr_assert_eq(rt_self_addr(node_module(sim_node(s, j), TOPOLOGY_NAME), &g.addr), 0);
		rec_by(&in.src, &in.src, &g.addr, 7, &g.self);
		g.flags = TOPO_F_SIGNED | TOPO_F_REPLY;
		cap_id = x;
		rec_by(&x, &x, &other, 12, &g.e[0].s); /* newer, address `other` */
		g.e[0].addr = other;
		in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
		cr_assert_eq(node_deliver(n1, TOPOLOGY_NAME, &in), 0);
		cr_assert_eq(cap_addr.len, other.len, "node 1 gossiped x back");
		cr_assert_eq(cap_addr.b[4], 30, "the newer record's address");
		cr_assert_eq(cap_sig.stamp, 12);
		rec_by(&x, &x, &ax, 10, &older); /* valid, but older than 12 */
		g.e[0].s = older;
		g.e[0].addr = ax;
		in.len = (size_t)topo_msg_encode(&g, buf, sizeof(buf));
		memset(&cap_addr, 0, sizeof(cap_addr));
		cr_assert_eq(node_deliver(n1, TOPOLOGY_NAME, &in), 0);
		cr_assert_eq(cap_addr.b[4], 30, "an older record does not displace it");
		cr_assert_eq(cap_sig.stamp, 12);
		cr_assert_eq(t1->ctr[TOPO_C_DROP_BAD_SIG], bad + 4);
	}
	sim_free(s);
}
