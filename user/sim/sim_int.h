/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Simulator internals shared by the engine's files (sim.c, results.c). */
#ifndef IPOP_SIM_SIM_INT_H
#define IPOP_SIM_SIM_INT_H

#include "sim/sim.h"

enum sim_ev_kind { EV_MSG, EV_TIMER, EV_APP, EV_FAIL, EV_DETECT, EV_LINK };

#define SIM_INLINE	56  /* payloads up to this size live in the event */
#define SIM_POOL_BLK	512 /* larger ones up to this size come from a free list, else malloc */
#define SIM_CHUNK_SHIFT 16
#define SIM_CHUNK	(1u << SIM_CHUNK_SHIFT)
#define SIM_MAX_CHUNKS	65536

/* An event; pooled in fixed chunks so pointers stay valid while it runs. */
struct sim_ev {
	uint32_t dst, src;
	uint32_t len; /* msg: payload length; timer: timer id; app: argument */
	uint32_t gen; /* timer generation; free list link when unused */
	struct msg_id id;
	uint8_t kind, mod, type, flags;
	uint8_t ttl;
	union {
		uint8_t *data; /* len > SIM_INLINE */
		uint8_t inl[SIM_INLINE];
	};
};

/* The heap holds (time, sequence, event index): small entries move fast. */
struct sim_hent {
	uint64_t t, seq;
	uint32_t ev;
};

struct sim_tslot {
	uint32_t node, id, gen;
	uint16_t mod;
	uint8_t used;
};

/* Run-time links of one node (rt_link_add), beside the static graph. */
struct sim_dyn {
	uint32_t *v;
	uint32_t n, cap;
};

struct sim {
	/* payload blocks for messages over SIM_INLINE, up to SIM_POOL_BLK: a free list in slabs */
	void *pool_free, *pool_slabs;
	struct sim_cfg cfg;
	struct graph g;
	struct modcfg mc;
	json_t *modules;
	struct node *nodes;
	uint8_t *failed;
	bool fail_applied;
	struct sim_hent *heap;
	size_t hn, hcap;
	struct sim_ev *chunks[SIM_MAX_CHUNKS];
	uint32_t nchunks, free_ev; /* free list head, index + 1 */
	uint64_t now, seq;
	struct rng rng;
	struct sim_counts cnt;
	struct sim_tslot *tt; /* timer generations, open addressing */
	uint32_t tcap, tn, tgen;
	const struct sim_scenario_ops *scen;
	void *scen_ctx;
	bool verbose;
	struct sim_dyn *dyn; /* per node, NULL until a module adds a link */
};

/* Queue a copy of ev at time t; returns the queued event (to fill data) or NULL. */
struct sim_ev *sim_push(struct sim *s, uint64_t t, const struct sim_ev *ev);

#endif /* IPOP_SIM_SIM_INT_H */
