// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow-table controller. Userspace keeps, per (mask id, masked key), every
 * table that wants the entry; the BPF map holds only the winner (highest
 * priority, then lowest id). Changes are ordered so the datapath never sees
 * a mask before its entries: entries, then the mask set, then the
 * generation that makes flows reclassify.
 */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flow/clsctl.h"
#include "flow/hmap.h"
#include "flow/pins.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__))

struct owner {
	__u32 tid, prio;
};

struct entry {
	int n, cap;
	struct owner *o; /* o[0] is the winner */
};

struct mask_slot {
	bool used;
	struct flow_key mask;
	size_t refs; /* entries using it */
	__u32 max_prio;
};

/*
 * A batch in flight (cls_add_begin .. cls_add_end). Its tables all carry
 * the batch's creation time, newer than every other table's; the `tables`
 * map holds a marker under key 0 (never a table id) with that time while
 * the batch is open. Deleting the marker commits the batch; a controller
 * that finds the marker on opening removes the batch's tables.
 */
struct batch {
	bool open;
	int kind;	    /* BATCH_ADD, or BATCH_DEL_MARK then BATCH_DEL_GO */
	struct rule *rules; /* the caller's, until cls_add_end */
	__u32 *ids;
	size_t n, off, added;
	__u64 stamp;
	int err;       /* the first failure: the batch can only be taken back */
	char msg[256]; /* its message */
};

#define BATCH_KEY  0
#define BATCH_NAME "(batch in flight)"
/*
 * The marker's kind, in its `match` field. A delete batch first marks each
 * victim's definition doomed (DEL_MARK: a crash unmarks them), then turns
 * the marker to DEL_GO with one store (the commit: a crash deletes every
 * doomed definition), then deletes.
 */
enum { BATCH_ADD = 1, BATCH_DEL_MARK, BATCH_DEL_GO };
/* A definition's doomed flag: a byte of its padding (the datapath never reads `tables`). */
#define DOOMED(d) ((d)->pad[0])

struct cls {
	struct cls_maps fd;
	struct batch b;
	__u64 max_created; /* the newest creation time among the definitions */
	size_t undone;	   /* tables of an unfinished batch removed on opening */
	size_t finished;   /* tables of a committed delete removed on opening */
	bool own_fds;
	__u32 gen;
	__u32 next_tid;
	size_t ntables;
	struct rule **tables; /* by id, CLS_TABLES_MAX */
	struct hmap names;    /* name[CLS_TABLE_NAME_LEN] -> (tid as pointer) */
	struct hmap entries;  /* struct cls_rule_key -> struct entry * */
	struct mask_slot masks[CLS_MASKS_MAX];
};

int cls_range_blocks(__u16 lo, __u16 hi, __u16 *val, __u8 *plen, int max)
{
	unsigned int a = lo, b = hi;
	int n = 0;

	while (a <= b && n < max) {
		unsigned int size = 1, bits = 0;

		/* the largest aligned block starting at a that stays inside [a, b] */
		while (bits < 16 && (a & ((size << 1) - 1)) == 0 && a + (size << 1) - 1 <= b) {
			size <<= 1;
			bits++;
		}
		val[n] = a;
		plen[n++] = 16 - bits;
		a += size;
	}
	return a <= b ? -E2BIG : n;
}

static void prefix_mask(__u8 *m, unsigned int bits)
{
	for (unsigned int i = 0; i < bits; i++)
		m[i / 8] |= 0x80 >> (i % 8);
}

typedef int (*emit_fn)(struct cls *c, const struct flow_key *mask, const struct flow_key *val,
		       void *arg);

/* Every (mask, value) pair a definition stands for. */
static int compile(struct cls *c, const struct cls_table_def *d, emit_fn emit, void *arg)
{
	__u16 sv[32] = { 0 }, dv[32] = { 0 };
	__u8 sl[32] = { 0 }, dl[32] = { 0 };
	int ns = 1, nd = 1, err;
	struct flow_key base = {}, val = {};

	if (d->match & CLS_M_IFINDEX)
		base.ifindex = 0xffffffff, val.ifindex = d->ifindex;
	if (d->match & CLS_M_DIR)
		base.dir = 0xff, val.dir = d->dir;
	if (d->match & CLS_M_L3)
		base.l3 = 0xff, val.l3 = d->l3;
	if (d->match & CLS_M_PROTO)
		base.proto = 0xff, val.proto = d->proto;
	if (d->match & CLS_M_SRC) {
		prefix_mask(base.src, d->src_len);
		memcpy(val.src, d->src, 16);
	}
	if (d->match & CLS_M_DST) {
		prefix_mask(base.dst, d->dst_len);
		memcpy(val.dst, d->dst, 16);
	}
	if (d->match & CLS_M_SPORT)
		ns = cls_range_blocks(d->sport_lo, d->sport_hi, sv, sl, 32);
	if (d->match & CLS_M_DPORT)
		nd = cls_range_blocks(d->dport_lo, d->dport_hi, dv, dl, 32);
	for (int i = 0; i < ns; i++) {
		for (int j = 0; j < nd; j++) {
			struct flow_key m = base, v = val;

			m.sport = sl[i] ? (__u16)(0xffff << (16 - sl[i])) : 0;
			m.dport = dl[j] ? (__u16)(0xffff << (16 - dl[j])) : 0;
			v.sport = sv[i];
			v.dport = dv[j];
			for (size_t w = 0; w < sizeof(v); w++)
				((__u8 *)&v)[w] &= ((__u8 *)&m)[w];
			err = emit(c, &m, &v, arg);
			if (err)
				return err;
		}
	}
	return 0;
}

static int mask_find(const struct cls *c, const struct flow_key *m)
{
	for (int i = 0; i < CLS_MASKS_MAX; i++)
		if (c->masks[i].used && !memcmp(&c->masks[i].mask, m, sizeof(*m)))
			return i;
	return -1;
}

/* Dry run: how many masks would exist after adding these definitions. */
struct mask_count {
	struct flow_key seen[CLS_MASKS_MAX + 1];
	int n;
};

static int count_mask(struct cls *c, const struct flow_key *m, const struct flow_key *v, void *arg)
{
	struct mask_count *mc = arg;

	(void)v;
	if (mask_find(c, m) >= 0)
		return 0;
	for (int i = 0; i < mc->n; i++)
		if (!memcmp(&mc->seen[i], m, sizeof(*m)))
			return 0;
	/* the masks in use count too: 32 at once in all */
	if (cls_mask_count(c) + mc->n >= CLS_MASKS_MAX)
		return -ENOSPC;
	mc->seen[mc->n++] = *m;
	return 0;
}

static int owner_cmp(const struct owner *a, const struct owner *b)
{
	if (a->prio != b->prio)
		return a->prio > b->prio ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static int write_winner(struct cls *c, const struct cls_rule_key *k, const struct entry *e)
{
	struct cls_rule_val v = { .table_id = e->o[0].tid, .prio = e->o[0].prio };

	return bpf_map_update_elem(c->fd.rules, k, &v, BPF_ANY) ? -errno : 0;
}

struct op {
	__u32 tid, prio;
	bool write; /* program the BPF map (false while recovering in bulk) */
};

static int entry_add(struct cls *c, const struct flow_key *m, const struct flow_key *v, void *arg)
{
	struct op *op = arg;
	struct cls_rule_key k = { .key = *v };
	struct owner o = { op->tid, op->prio };
	struct entry *e;
	int slot = mask_find(c, m), pos, err;

	if (slot < 0) {
		for (slot = 0; slot < CLS_MASKS_MAX && c->masks[slot].used; slot++)
			;
		if (slot == CLS_MASKS_MAX)
			return -ENOSPC; /* prevented by the dry run */
		c->masks[slot] = (struct mask_slot){ .used = true, .mask = *m };
	}
	k.mask_id = slot;
	e = hmap_get(&c->entries, &k);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || hmap_put(&c->entries, &k, e)) {
			free(e);
			goto nomem;
		}
	}
	if (e->n == e->cap) {
		struct owner *t = realloc(e->o, (e->cap ? e->cap * 2 : 1) * sizeof(*t));

		if (!t) {
			if (!e->n) {
				hmap_del(&c->entries, &k);
				free(e);
			}
			goto nomem;
		}
		e->o = t;
		e->cap = e->cap ? e->cap * 2 : 1;
	}
	for (pos = e->n; pos > 0 && owner_cmp(&o, &e->o[pos - 1]) < 0; pos--)
		e->o[pos] = e->o[pos - 1];
	e->o[pos] = o;
	e->n++;
	c->masks[slot].refs++;
	if (op->prio > c->masks[slot].max_prio)
		c->masks[slot].max_prio = op->prio;
	if (pos == 0 && op->write) {
		err = write_winner(c, &k, e);
		if (err)
			return err;
	}
	return 0;
nomem:
	/* a slot this call claimed and nothing uses must not be published */
	if (!c->masks[slot].refs)
		c->masks[slot].used = false;
	return -ENOMEM;
}

/* Undo entry_add for one (mask, value): also what deleting a table does. */
static int entry_del(struct cls *c, const struct flow_key *m, const struct flow_key *v, void *arg)
{
	struct op *op = arg;
	struct cls_rule_key k = { .key = *v };
	struct entry *e;
	int slot = mask_find(c, m), pos;

	if (slot < 0)
		return 0;
	k.mask_id = slot;
	e = hmap_get(&c->entries, &k);
	if (!e)
		return 0;
	for (pos = 0; pos < e->n && e->o[pos].tid != op->tid; pos++)
		;
	if (pos == e->n)
		return 0; /* this table never got that far (rollback) */
	memmove(&e->o[pos], &e->o[pos + 1], (e->n - pos - 1) * sizeof(*e->o));
	e->n--;
	if (--c->masks[slot].refs == 0)
		c->masks[slot].used = false; /* published without it; entries go below */
	if (e->n == 0) {
		hmap_del(&c->entries, &k);
		free(e->o);
		free(e);
		bpf_map_delete_elem(c->fd.rules, &k);
	} else if (pos == 0) {
		write_winner(c, &k, e);
	}
	return 0;
}

static int mask_slot_cmp(const void *a, const void *b)
{
	const struct cls_mask *x = a, *y = b;

	return x->max_prio < y->max_prio ? 1 : x->max_prio > y->max_prio ? -1 : 0;
}

/* Write the inactive mask set, then switch to it with one generation store. */
static int publish(struct cls *c)
{
	struct cls_mask_set set = {};
	struct cls_state st = { .gen = c->gen + 1 };
	__u32 idx = st.gen & 1, zero = 0;

	for (int i = 0; i < CLS_MASKS_MAX; i++) {
		if (!c->masks[i].used)
			continue;
		set.masks[set.n].mask = c->masks[i].mask;
		set.masks[set.n].id = i;
		set.masks[set.n++].max_prio = c->masks[i].max_prio;
	}
	qsort(set.masks, set.n, sizeof(set.masks[0]), mask_slot_cmp);
	if (bpf_map_update_elem(c->fd.masks, &idx, &set, BPF_ANY))
		return -errno;
	if (bpf_map_update_elem(c->fd.state, &zero, &st, BPF_ANY))
		return -errno;
	c->gen = st.gen;
	return 0;
}

static __u32 alloc_tid(struct cls *c)
{
	/* ids are not reused at once: a packet racing a delete counts to a dead id */
	for (__u32 n = 0; n < CLS_TABLES_MAX - 1; n++) {
		__u32 id = c->next_tid;

		c->next_tid = c->next_tid + 1 >= CLS_TABLES_MAX ? 1 : c->next_tid + 1;
		if (!c->tables[id])
			return id;
	}
	return 0;
}

static void forget(struct cls *c, __u32 tid)
{
	struct rule *r = c->tables[tid];
	struct op op = { .tid = tid, .prio = r->def.prio, .write = true };

	compile(c, &r->def, entry_del, &op);
	hmap_del(&c->names, r->def.name);
	c->tables[tid] = NULL;
	c->ntables--;
	free(r);
}

/*
 * Add one table without publishing. write: program the maps, the definition
 * stamped `created` (a new table); else only the controller's state (recovery).
 */
static int add_one(struct cls *c, const struct rule *src, __u32 tid, bool write, __u64 created)
{
	struct cls_table_stats zero = {};
	struct op op = { .tid = tid, .prio = src->def.prio, .write = write };
	struct rule *r = malloc(sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	*r = *src;
	if (write) {
		r->def.created_ns = created;
		if (bpf_map_update_elem(c->fd.stats, &tid, &zero, BPF_ANY) ||
		    bpf_map_update_elem(c->fd.tables, &tid, &r->def, BPF_NOEXIST)) {
			err = -errno;
			free(r);
			return err;
		}
	}
	if (hmap_put(&c->names, r->def.name, (void *)(uintptr_t)tid)) {
		free(r);
		if (write) /* or a restarted controller would recover a ghost */
			bpf_map_delete_elem(c->fd.tables, &tid);
		return -ENOMEM;
	}
	c->tables[tid] = r;
	c->ntables++;
	err = compile(c, &r->def, entry_add, &op);
	if (err) {
		forget(c, tid);
		if (write)
			bpf_map_delete_elem(c->fd.tables, &tid);
	}
	return err;
}

static __u64 realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#define BUSY(c) \
	((c)->b.open ? (ERR("a table batch is in progress; try again when it ends"), -EBUSY) : 0)

/* Every check of a batch, before anything changes: names, shapes, room. */
static int add_check(struct cls *c, struct rule *rules, size_t n, char *err, size_t errlen)
{
	struct mask_count mc = { .n = 0 };
	struct hmap batch;
	int e = 0;

	if (hmap_init(&batch, CLS_TABLE_NAME_LEN))
		return ERR("out of memory"), -ENOMEM;
	for (size_t i = 0; i < n && !e; i++) {
		char key[CLS_TABLE_NAME_LEN] = { 0 };

		snprintf(key, sizeof(key), "%s", rules[i].def.name);
		memcpy(rules[i].def.name, key, sizeof(key));
		if (hmap_get(&c->names, key) || hmap_get(&batch, key))
			e = (ERR("table '%s' already exists", key), -EEXIST);
		else if (hmap_put(&batch, key, (void *)1))
			e = (ERR("out of memory"), -ENOMEM);
		else if (compile(c, &rules[i].def, count_mask, &mc))
			e = (ERR("table '%s' would make more than %d distinct match shapes", key,
				 CLS_MASKS_MAX),
			     -ENOSPC);
	}
	if (!e && c->ntables + n >= CLS_TABLES_MAX)
		e = (ERR("at most %d tables", CLS_TABLES_MAX - 1), -ENOSPC);
	hmap_free(&batch);
	return e;
}

int cls_add_begin(struct cls *c, struct rule *rules, size_t n, char *err, size_t errlen)
{
	struct cls_table_def mark = { .name = BATCH_NAME, .match = BATCH_ADD };
	__u32 key = BATCH_KEY;
	__u32 *ids;
	int e = BUSY(c);

	if (e)
		return e;
	if (!n)
		return ERR("no tables"), -EINVAL;
	e = add_check(c, rules, n, err, errlen);
	if (e)
		return e;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return ERR("out of memory"), -ENOMEM;
	/* newer than every table, so that the stamp names exactly this batch's tables */
	mark.created_ns = realtime_ns();
	if (mark.created_ns <= c->max_created)
		mark.created_ns = c->max_created + 1;
	mark.prio = n > UINT32_MAX ? UINT32_MAX : (__u32)n;
	/* the marker goes first: from here on a crash undoes the batch */
	if (bpf_map_update_elem(c->fd.tables, &key, &mark, BPF_ANY)) {
		e = -errno;
		free(ids);
		return ERR("cannot write the batch marker: %s", strerror(-e)), e;
	}
	c->max_created = mark.created_ns;
	c->b = (struct batch){ .open = true,
			       .kind = BATCH_ADD,
			       .rules = rules,
			       .ids = ids,
			       .n = n,
			       .stamp = mark.created_ns };
	return 0;
}

int cls_add_more(struct cls *c, size_t k, char *err, size_t errlen)
{
	struct batch *b = &c->b;

	if (!b->open || b->kind != BATCH_ADD)
		return ERR("no table batch is open"), -EINVAL;
	for (; !b->err && k && b->off < b->n; k--, b->off++) {
		size_t i = b->off;

		b->ids[i] = alloc_tid(c);
		b->err = add_one(c, &b->rules[i], b->ids[i], true, b->stamp);
		if (b->err)
			snprintf(b->msg, sizeof(b->msg), "cannot program table '%s': %s",
				 b->rules[i].def.name, strerror(-b->err));
		else
			b->added++;
	}
	if (b->err)
		return ERR("%s", b->msg), b->err;
	return (int)(b->n - b->off < INT32_MAX ? b->n - b->off : INT32_MAX);
}

int cls_add_end(struct cls *c, bool abort, char *err, size_t errlen)
{
	struct batch *b = &c->b;
	__u32 key = BATCH_KEY;
	int e;

	if (!b->open || b->kind != BATCH_ADD)
		return ERR("no table batch is open"), -EINVAL;
	e = b->err ? b->err : abort ? -ECANCELED : b->off < b->n ? -EINVAL : 0;
	if (e == -ECANCELED || (e == -EINVAL && !b->err))
		snprintf(b->msg, sizeof(b->msg), "the table batch was %s",
			 abort ? "cancelled" : "ended unfinished");
	/* the commit: one delete; if even that fails, the batch goes back */
	if (!e && bpf_map_delete_elem(c->fd.tables, &key)) {
		e = -errno;
		snprintf(b->msg, sizeof(b->msg), "cannot commit the table batch: %s", strerror(-e));
	}
	if (e) {
		/* all or nothing: take back the tables of this batch added so far */
		for (size_t i = 0; i < b->added; i++) {
			forget(c, b->ids[i]);
			bpf_map_delete_elem(c->fd.tables, &b->ids[i]);
		}
		bpf_map_delete_elem(c->fd.tables, &key);
		ERR("%s", b->msg);
	}
	/*
	 * Even a rolled-back batch publishes: a packet may have cached one of its
	 * tables meanwhile, and only a new generation makes that answer stale.
	 */
	publish(c);
	free(b->ids);
	c->b = (struct batch){ .open = false };
	return e;
}

int cls_add(struct cls *c, struct rule *rules, size_t n, char *err, size_t errlen)
{
	int e = n ? cls_add_begin(c, rules, n, err, errlen) : 0;

	if (e || !n)
		return e;
	e = cls_add_more(c, n, err, errlen);
	return cls_add_end(c, e < 0, err, errlen);
}

bool cls_batch_open(const struct cls *c)
{
	return c->b.open;
}

size_t cls_undone(const struct cls *c)
{
	return c->undone;
}

size_t cls_finished(const struct cls *c)
{
	return c->finished;
}

int cls_del(struct cls *c, const char *name, char *err, size_t errlen)
{
	char key[CLS_TABLE_NAME_LEN] = { 0 };
	__u32 tid;
	int e = BUSY(c);

	if (e)
		return e;
	snprintf(key, sizeof(key), "%s", name);
	tid = (__u32)(uintptr_t)hmap_get(&c->names, key);
	if (!tid)
		return ERR("no table '%s'", name), -ENOENT;
	forget(c, tid);
	e = publish(c);
	bpf_map_delete_elem(c->fd.tables, &tid);
	if (e)
		ERR("cannot publish the mask set: %s", strerror(-e));
	return e;
}

int cls_del_check(struct cls *c, const char *const *names, size_t n, __u32 *tids, char *err,
		  size_t errlen)
{
	struct hmap seen;
	int e = BUSY(c);

	if (e)
		return e;
	if (hmap_init(&seen, sizeof(__u32)))
		return ERR("out of memory"), -ENOMEM;
	for (size_t i = 0; i < n && !e; i++) {
		char key[CLS_TABLE_NAME_LEN] = { 0 };

		snprintf(key, sizeof(key), "%s", names[i]);
		tids[i] = strlen(names[i]) < sizeof(key)
				  ? (__u32)(uintptr_t)hmap_get(&c->names, key)
				  : 0;
		if (!tids[i])
			e = (ERR("no table '%s'", names[i]), -ENOENT);
		else if (hmap_get(&seen, &tids[i]))
			e = (ERR("table '%s' named twice", names[i]), -EINVAL);
		else if (hmap_put(&seen, &tids[i], (void *)1))
			e = (ERR("out of memory"), -ENOMEM);
	}
	hmap_free(&seen);
	return e;
}

int cls_del_ids(struct cls *c, const __u32 *tids, size_t n, char *err, size_t errlen)
{
	int e = BUSY(c);

	if (e)
		return e;
	for (size_t i = 0; i < n; i++)
		if (tids[i] < CLS_TABLES_MAX && c->tables[tids[i]])
			forget(c, tids[i]);
	e = n ? publish(c) : 0;
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(c->fd.tables, &tids[i]);
	if (e)
		ERR("cannot publish the mask set: %s", strerror(-e));
	return e;
}

/* The marker of a delete batch in its phase. */
static int del_marker(struct cls *c, int kind)
{
	struct cls_table_def mark = { .name = BATCH_NAME, .match = kind };
	__u32 key = BATCH_KEY;

	return bpf_map_update_elem(c->fd.tables, &key, &mark, BPF_ANY) ? -errno : 0;
}

/* Write table tid's definition with the doomed flag set or clear. */
static int set_doomed(struct cls *c, __u32 tid, bool doomed)
{
	struct cls_table_def d = c->tables[tid]->def;

	DOOMED(&d) = doomed;
	return bpf_map_update_elem(c->fd.tables, &tid, &d, BPF_EXIST) ? -errno : 0;
}

int cls_del_begin(struct cls *c, const __u32 *tids, size_t n, char *err, size_t errlen)
{
	__u32 *ids;
	int e = BUSY(c);

	if (e)
		return e;
	if (!n)
		return ERR("no tables"), -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!tids[i] || tids[i] >= CLS_TABLES_MAX || !c->tables[tids[i]])
			return ERR("no table with id %u", tids[i]), -ENOENT;
	ids = malloc(n * sizeof(*ids));
	if (!ids)
		return ERR("out of memory"), -ENOMEM;
	memcpy(ids, tids, n * sizeof(*ids));
	e = del_marker(c, BATCH_DEL_MARK);
	if (e) {
		free(ids);
		return ERR("cannot write the batch marker: %s", strerror(-e)), e;
	}
	c->b = (struct batch){ .open = true, .kind = BATCH_DEL_MARK, .ids = ids, .n = n };
	return 0;
}

int cls_del_more(struct cls *c, size_t k, char *err, size_t errlen)
{
	struct batch *b = &c->b;
	size_t from = b->off;
	int e;

	if (!b->open || b->kind == BATCH_ADD)
		return ERR("no delete batch is open"), -EINVAL;
	if (b->kind == BATCH_DEL_MARK) {
		for (; !b->err && k && b->off < b->n; k--, b->off++) {
			b->err = set_doomed(c, b->ids[b->off], true);
			if (b->err)
				snprintf(b->msg, sizeof(b->msg), "cannot mark table '%s': %s",
					 c->tables[b->ids[b->off]]->def.name, strerror(-b->err));
		}
		if (b->err)
			return ERR("%s", b->msg), b->err;
		if (b->off < b->n)
			return (int)(2 * b->n - b->off < INT32_MAX ? 2 * b->n - b->off : INT32_MAX);
		/* all marked: the commit, one store; from here on the batch goes forward */
		e = del_marker(c, BATCH_DEL_GO);
		if (e) {
			b->err = e;
			snprintf(b->msg, sizeof(b->msg), "cannot commit the delete: %s",
				 strerror(-e));
			return ERR("%s", b->msg), e;
		}
		b->kind = BATCH_DEL_GO;
		b->off = 0;
		return (int)(b->n < INT32_MAX ? b->n : INT32_MAX);
	}
	for (; k && b->off < b->n; k--, b->off++)
		if (c->tables[b->ids[b->off]])
			forget(c, b->ids[b->off]);
	e = b->off > from ? publish(c) : 0;
	for (size_t i = from; i < b->off; i++)
		bpf_map_delete_elem(c->fd.tables, &b->ids[i]);
	if (e)
		return ERR("cannot publish the mask set: %s", strerror(-e)), e;
	return (int)(b->n - b->off < INT32_MAX ? b->n - b->off : INT32_MAX);
}

int cls_del_end(struct cls *c, bool abort, char *err, size_t errlen)
{
	struct batch *b = &c->b;
	__u32 key = BATCH_KEY;
	int e = 0;

	if (!b->open || b->kind == BATCH_ADD)
		return ERR("no delete batch is open"), -EINVAL;
	if (b->kind == BATCH_DEL_GO) {
		/* committed: whatever is left goes now, abort or not */
		while (b->off < b->n)
			cls_del_more(c, b->n, err, errlen);
	} else {
		/* not committed: unmark what was marked */
		e = b->err ? b->err : -ECANCELED;
		if (!b->err)
			snprintf(b->msg, sizeof(b->msg), "the delete was %s",
				 abort ? "cancelled" : "ended unfinished");
		for (size_t i = 0; i < b->off && i < b->n; i++)
			set_doomed(c, b->ids[i], false);
		ERR("%s", b->msg);
	}
	bpf_map_delete_elem(c->fd.tables, &key);
	free(b->ids);
	c->b = (struct batch){ .open = false };
	return e;
}

size_t cls_count(const struct cls *c)
{
	return c->ntables;
}

size_t cls_mask_count(const struct cls *c)
{
	size_t n = 0;

	for (int i = 0; i < CLS_MASKS_MAX; i++)
		n += c->masks[i].used;
	return n;
}

__u32 cls_next(const struct cls *c, __u32 after, const struct rule **r)
{
	for (__u32 id = after + 1; id < CLS_TABLES_MAX; id++) {
		if (c->tables[id]) {
			*r = c->tables[id];
			return id;
		}
	}
	return 0;
}

__u32 cls_find(const struct cls *c, const char *name)
{
	char key[CLS_TABLE_NAME_LEN] = { 0 };

	snprintf(key, sizeof(key), "%s", name);
	return (__u32)(uintptr_t)hmap_get(&c->names, key);
}

/*
 * A batch that was open when its controller died: remove every table it
 * added (they carry the marker's stamp), then the marker.
 */
static int undo_batch(struct cls *c)
{
	struct cls_table_def mark, d;
	__u32 key = BATCH_KEY, tid, ntid, *tp = NULL, *doomed;
	size_t n = 0;

	if (bpf_map_lookup_elem(c->fd.tables, &key, &mark))
		return 0;
	doomed = calloc(CLS_TABLES_MAX, sizeof(*doomed));
	if (!doomed)
		return -ENOMEM;
	while (!bpf_map_get_next_key(c->fd.tables, tp, &ntid)) {
		tid = ntid;
		tp = &tid;
		if (tid == BATCH_KEY || n >= CLS_TABLES_MAX ||
		    bpf_map_lookup_elem(c->fd.tables, &tid, &d))
			continue;
		if (mark.match == BATCH_DEL_MARK || mark.match == BATCH_DEL_GO
			    ? DOOMED(&d) != 0
			    : d.created_ns == mark.created_ns)
			doomed[n++] = tid;
	}
	for (size_t i = 0; i < n; i++) {
		if (mark.match == BATCH_DEL_MARK) { /* not committed: unmark */
			if (!bpf_map_lookup_elem(c->fd.tables, &doomed[i], &d)) {
				DOOMED(&d) = 0;
				bpf_map_update_elem(c->fd.tables, &doomed[i], &d, BPF_EXIST);
			}
		} else { /* an add taken back, or a committed delete finished */
			bpf_map_delete_elem(c->fd.tables, &doomed[i]);
		}
	}
	free(doomed);
	if (mark.match == BATCH_DEL_GO)
		c->finished = n;
	else if (mark.match != BATCH_DEL_MARK)
		c->undone = n;
	return bpf_map_delete_elem(c->fd.tables, &key) && errno != ENOENT ? -errno : 0;
}

/* Rebuild from the `tables` map, rewrite every entry, drop strays. */
static int recover(struct cls *c)
{
	struct cls_rule_key k, next, *prev = NULL;
	struct cls_state st;
	__u32 tid, ntid, *tp = NULL, zero = 0, max = 0;
	struct rule r;
	int err;

	if (!bpf_map_lookup_elem(c->fd.state, &zero, &st))
		c->gen = st.gen;
	err = undo_batch(c);
	if (err)
		return err;
	while (!bpf_map_get_next_key(c->fd.tables, tp, &ntid)) {
		tid = ntid;
		tp = &tid;
		memset(&r, 0, sizeof(r));
		if (bpf_map_lookup_elem(c->fd.tables, &tid, &r.def) || !tid ||
		    tid >= CLS_TABLES_MAX)
			continue;
		DOOMED(&r.def) = 0;
		if (r.def.match & CLS_M_IFINDEX && !if_indextoname(r.def.ifindex, r.dev))
			snprintf(r.dev, sizeof(r.dev), "if%u", r.def.ifindex);
		err = add_one(c, &r, tid, false, 0);
		if (err)
			return err;
		if (r.def.created_ns > c->max_created)
			c->max_created = r.def.created_ns;
		if (tid > max)
			max = tid;
	}
	c->next_tid = max + 1 < CLS_TABLES_MAX ? max + 1 : 1;
	/*
	 * Entries: ours rewritten, anything else (a crash mid-change, an undone
	 * batch) removed. The strays are collected first and deleted after: a
	 * delete during the walk would lose its position, and restarting the
	 * walk for each of N strays costs N^2.
	 */
	struct cls_rule_key *stray = NULL;
	size_t nstray = 0, capstray = 0;

	while (!bpf_map_get_next_key(c->fd.rules, prev, &next)) {
		k = next;
		prev = &k;
		if (hmap_get(&c->entries, &k))
			continue;
		if (nstray == capstray) {
			size_t cap = capstray ? capstray * 2 : 256;
			struct cls_rule_key *t = realloc(stray, cap * sizeof(*t));

			if (!t) {
				free(stray);
				return -ENOMEM;
			}
			stray = t;
			capstray = cap;
		}
		stray[nstray++] = k;
	}
	for (size_t i = 0; i < nstray; i++)
		bpf_map_delete_elem(c->fd.rules, &stray[i]);
	free(stray);
	for (size_t i = 0; i < c->entries.cap; i++)
		if (c->entries.state[i] == 1)
			write_winner(c, (void *)(c->entries.keys + i * c->entries.key_size),
				     c->entries.vals[i]);
	return publish(c);
}

int cls_open_fds(struct cls **out, const struct cls_maps *fds)
{
	struct cls *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->fd = *fds;
	c->next_tid = 1;
	c->tables = calloc(CLS_TABLES_MAX, sizeof(*c->tables));
	if (!c->tables || hmap_init(&c->names, CLS_TABLE_NAME_LEN) ||
	    hmap_init(&c->entries, sizeof(struct cls_rule_key))) {
		cls_close(c);
		return -ENOMEM;
	}
	err = recover(c);
	if (err) {
		cls_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int cls_open(struct cls **out, const char *pin_path)
{
	struct cls_maps m;
	int err;

	m.state = pins_open_map(pin_path, "cls_state");
	m.masks = pins_open_map(pin_path, "cls_masks");
	m.rules = pins_open_map(pin_path, "cls_rules");
	m.stats = pins_open_map(pin_path, "table_stats");
	m.tables = pins_open_map(pin_path, "tables");
	if (m.state < 0 || m.masks < 0 || m.rules < 0 || m.stats < 0 || m.tables < 0) {
		err = m.state < 0   ? m.state
		      : m.masks < 0 ? m.masks
		      : m.rules < 0 ? m.rules
		      : m.stats < 0 ? m.stats
				    : m.tables;
		goto fail;
	}
	err = cls_open_fds(out, &m);
	if (!err) {
		(*out)->own_fds = true;
		return 0;
	}
fail:
	for (int *fd = &m.state; fd <= &m.tables; fd++)
		if (*fd >= 0)
			close(*fd);
	return err;
}

void cls_close(struct cls *c)
{
	if (!c)
		return;
	free(c->b.ids); /* a batch still open stays marked: the next opening undoes it */
	for (__u32 id = 1; c->tables && id < CLS_TABLES_MAX; id++)
		free(c->tables[id]);
	free(c->tables);
	for (size_t i = 0; i < c->entries.cap; i++) {
		if (c->entries.state && c->entries.state[i] == 1) {
			struct entry *e = c->entries.vals[i];

			free(e->o);
			free(e);
		}
	}
	hmap_free(&c->entries);
	hmap_free(&c->names);
	if (c->own_fds)
		for (int *fd = &c->fd.state; fd <= &c->fd.tables; fd++)
			close(*fd);
	free(c);
}
