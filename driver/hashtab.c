// SPDX-License-Identifier: GPL-2.0
/*
 * The hash family, as in Linux's hashtab.c: BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH
 * and LRU_PERCPU_HASH share one table and differ in two properties:
 *  - per-CPU: an element holds round_up(value_size, 8) bytes per possible CPU; a
 *    program sees its CPU's value, user space all of them;
 *  - LRU: a full table evicts elements not recently used instead of failing E2BIG
 *    (program lookups set a reference bit; see htab_evict for Linux's batch shrink).
 * Elements come from a pool allocated at create time (also for BPF_F_NO_PREALLOC), so
 * programs never allocate and a value pointer a program holds always points into the
 * pool even if the element is deleted meanwhile, as with the kernel's preallocated maps.
 */
#include <linux/kernel.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/cpumask.h>
#include <linux/smp.h>
#include "bpfdrv.h"
#include "map_lock.h"
#include "compat.h"

#define HTAB_NIL U32_MAX
/* Empty buckets bpf_for_each_map_elem skips per lock hold (htab_elem_iter_next). */
#define HTAB_SCAN_CHUNK 1024

struct htab_elem {
	u32 next; /* index of the next element in the bucket or free list */
	u32 hash;
	u8 used, ref; /* in a bucket; looked up since the eviction hand passed */
	u8 pad[6];
	u8 data[]; /* key, then value(s) at round_up(key_size, 8) */
};

struct bpfdrv_htab {
	struct bpfdrv_map map;
	spinlock_t lock;
	bool percpu, lru;
	u32 n_buckets, elem_size, key_off_value, value_stride, count, free_head, seed, hand;
	u32 *buckets;
	u8 *elems;
};

#define to_htab(m) container_of(m, struct bpfdrv_htab, map)

static struct htab_elem *htab_elem(struct bpfdrv_htab *h, u32 i)
{
	return (struct htab_elem *)(h->elems + (u64)i * h->elem_size);
}

/* The value of element @e for @cpu (per-CPU maps) or its only value. */
static u8 *htab_value(struct bpfdrv_htab *h, struct htab_elem *e, u32 cpu)
{
	return e->data + h->key_off_value + (h->percpu ? (u64)cpu * h->value_stride : 0);
}

/* What sets the four hash map types apart, beyond their ops. */
struct htab_kind {
	bool percpu;	/* a value per possible CPU */
	bool lru;	/* an LRU hash: a full map evicts instead of failing */
};

static struct bpfdrv_map *htab_alloc_common(const struct bpfdrv_map_create_attr *attr,
					    const struct bpfdrv_map_ops *ops, struct htab_kind kind)
{
	bool percpu = kind.percpu, lru = kind.lru;
	struct bpfdrv_htab *h;
	u64 pool;
	u32 i;

	if (!attr->key_size || !attr->value_size || !attr->max_entries)
		return ERR_PTR(-EINVAL);
	/* Linux: LRU maps are always preallocated; NO_COMMON_LRU only for LRU maps. */
	if (lru && (attr->map_flags & BPFDRV_F_NO_PREALLOC))
		return ERR_PTR(-ENOTSUPP);
	if (!lru && (attr->map_flags & BPFDRV_F_NO_COMMON_LRU))
		return ERR_PTR(-EINVAL);
	if (attr->key_size > 512 || attr->value_size > (1u << 20) ||
	    attr->max_entries > (1u << 24) || (percpu && attr->value_size > BPFDRV_PCPU_VALUE_MAX))
		return ERR_PTR(-E2BIG);
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->percpu = percpu;
	h->lru = lru;
	h->key_off_value = round_up(attr->key_size, 8);
	h->value_stride = round_up(attr->value_size, 8);
	h->elem_size = sizeof(struct htab_elem) + h->key_off_value +
		       h->value_stride * (percpu ? nr_cpu_ids : 1);
	h->n_buckets = roundup_pow_of_two(attr->max_entries);
	pool = (u64)h->elem_size * attr->max_entries;
	if (pool > (1ull << 31)) {
		kfree(h);
		return ERR_PTR(-E2BIG);
	}
	h->buckets = bpfdrv_zalloc_large((size_t)h->n_buckets * sizeof(u32));
	h->elems = bpfdrv_zalloc_large(pool);
	if (!h->buckets || !h->elems) {
		bpfdrv_free_large(h->buckets);
		bpfdrv_free_large(h->elems);
		kfree(h);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < h->n_buckets; i++)
		h->buckets[i] = HTAB_NIL;
	for (i = 0; i < attr->max_entries; i++)
		htab_elem(h, i)->next = i + 1 < attr->max_entries ? i + 1 : HTAB_NIL;
	h->free_head = 0;
	h->seed = (attr->map_flags & BPFDRV_F_ZERO_SEED) ? 0 : bpfdrv_random_u32();
	spin_lock_init(&h->lock);
	bpfdrv_map_init(&h->map, attr, ops);
	return &h->map;
}

static struct bpfdrv_map *htab_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return htab_alloc_common(attr, &bpfdrv_hash_ops, (struct htab_kind){ 0 });
}

static struct bpfdrv_map *pcpu_htab_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return htab_alloc_common(attr, &bpfdrv_percpu_hash_ops, (struct htab_kind){ .percpu = true });
}

static struct bpfdrv_map *lru_htab_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return htab_alloc_common(attr, &bpfdrv_lru_hash_ops, (struct htab_kind){ .lru = true });
}

static struct bpfdrv_map *lru_pcpu_htab_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return htab_alloc_common(attr, &bpfdrv_lru_percpu_hash_ops,
				 (struct htab_kind){ .percpu = true, .lru = true });
}

static void htab_free(struct bpfdrv_map *map)
{
	struct bpfdrv_htab *h = to_htab(map);

	bpfdrv_free_large(h->buckets);
	bpfdrv_free_large(h->elems);
	kfree(h);
}

/* Find @key in its bucket; *prevp gets the link that points at it. Lock held. */
static u32 htab_find(struct bpfdrv_htab *h, const void *key, u32 hash, u32 **prevp)
{
	u32 *link = &h->buckets[hash & (h->n_buckets - 1)];

	while (*link != HTAB_NIL) {
		struct htab_elem *e = htab_elem(h, *link);

		if (e->hash == hash && !memcmp(e->data, key, h->map.key_size))
			break;
		link = &e->next;
	}
	if (prevp)
		*prevp = link;
	return *link;
}

static u32 htab_hash(struct bpfdrv_htab *h, const void *key)
{
	return jhash(key, h->map.key_size, h->seed);
}

/* Unlink element @i (whose bucket link is *link) and return it to the free list. Lock held. */
static void htab_unlink(struct bpfdrv_htab *h, u32 i, u32 *link)
{
	struct htab_elem *e = htab_elem(h, i);

	*link = e->next;
	e->used = 0;
	e->next = h->free_head;
	h->free_head = i;
	h->count--;
}

/*
 * LRU: make room in a full table the way Linux's LRU shrink does: free a batch of
 * elements not referenced by a program lookup since the last pass (up to
 * LRU_SHRINK_TARGET, Linux's LOCAL_FREE_TARGET), clearing the reference bits of the
 * others; if every element was referenced, free the one under the clock hand.
 * The clock hand goes on from where the last pass stopped and a pass looks at no more
 * than LRU_SCAN_MAX elements: the lock is held with IRQs off, possibly inside a
 * program, so the work must not grow with max_entries. Lock held, table full.
 */
#define LRU_SHRINK_TARGET 128
#define LRU_SCAN_MAX (8 * LRU_SHRINK_TARGET)

/* The element under the clock hand; the hand moves on. */
static u32 htab_hand_next(struct bpfdrv_htab *h)
{
	u32 i = h->hand;

	h->hand = i + 1 < h->map.max_entries ? i + 1 : 0;
	return i;
}

static void htab_evict(struct bpfdrv_htab *h)
{
	u32 scan = min_t(u32, h->map.max_entries, LRU_SCAN_MAX), k, i, freed = 0, *link;
	struct htab_elem *e;

	for (k = 0; k < scan && freed < LRU_SHRINK_TARGET; k++) {
		i = htab_hand_next(h);
		e = htab_elem(h, i);
		if (!e->used)
			continue;
		if (e->ref) {
			e->ref = 0;
			continue;
		}
		if (htab_find(h, e->data, e->hash, &link) == i) {
			htab_unlink(h, i, link);
			freed++;
		}
	}
	for (k = 0; !freed && k < scan; k++) {
		i = htab_hand_next(h);
		e = htab_elem(h, i);
		if (e->used && htab_find(h, e->data, e->hash, &link) == i) {
			htab_unlink(h, i, link);
			freed++;
		}
	}
}

static void *htab_lookup(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	void *value = NULL;
	u32 i;

	bpfdrv_map_lock_irqsave(&h->lock, flags);
	i = htab_find(h, key, htab_hash(h, key), NULL);
	if (i != HTAB_NIL) {
		struct htab_elem *e = htab_elem(h, i);

		e->ref = 1;
		value = htab_value(h, e, raw_smp_processor_id());
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return value;
}

/*
 * Insert or replace. @all_cpus: @value holds every possible CPU's value (syscall
 * side of per-CPU maps); otherwise it is one value, which for a per-CPU map goes to
 * this CPU and, for a new element, zeroes the other CPUs' values (Linux).
 */
static int htab_update_common(struct bpfdrv_map *map, const void *key, const void *value,
			      u64 flags, bool all_cpus)
{
	struct bpfdrv_htab *h = to_htab(map);
	u32 hash = htab_hash(h, key), i, *link, this_cpu = raw_smp_processor_id();
	u32 *head = &h->buckets[hash & (h->n_buckets - 1)];
	unsigned long irqflags;
	struct htab_elem *e;
	bool fresh = false;
	int err = 0, cpu;

	if (h->percpu ? flags > BPFDRV_EXIST : (flags & ~BPFDRV_F_LOCK) > BPFDRV_EXIST)
		return -EINVAL;
	flags &= ~BPFDRV_F_LOCK;
	bpfdrv_map_lock_irqsave(&h->lock, irqflags);
	i = htab_find(h, key, hash, &link);
	if (i != HTAB_NIL) {
		if (flags == BPFDRV_NOEXIST) {
			err = -EEXIST;
			goto out;
		}
		e = htab_elem(h, i);
		if (!h->percpu) {
			/* Linux replaces the element with a new one at the bucket's head. */
			*link = e->next;
			e->next = *head;
			*head = i;
		}
	} else {
		if (flags == BPFDRV_EXIST) {
			err = -ENOENT;
			goto out;
		}
		if (h->free_head == HTAB_NIL && h->lru)
			htab_evict(h);
		if (h->free_head == HTAB_NIL) {
			err = -E2BIG;
			goto out;
		}
		i = h->free_head;
		e = htab_elem(h, i);
		h->free_head = e->next;
		e->hash = hash;
		e->used = 1;
		e->ref = 0;
		memcpy(e->data, key, map->key_size);
		fresh = true;
	}
	if (!h->percpu) {
		memcpy(htab_value(h, e, 0), value, map->value_size);
	} else if (all_cpus) {
		u32 off = 0;

		for_each_possible_cpu(cpu) {
			memcpy(htab_value(h, e, cpu), (const u8 *)value + off, map->value_size);
			off += h->value_stride;
		}
	} else {
		if (fresh)
			for_each_possible_cpu(cpu)
				memset(htab_value(h, e, cpu), 0, h->value_stride);
		memcpy(htab_value(h, e, this_cpu), value, map->value_size);
	}
	if (fresh) {
		/* At the head, as Linux's hlist_nulls_add_head_rcu: iteration order matches. */
		e->next = *head;
		*head = i;
		h->count++;
	}
out:
	spin_unlock_irqrestore(&h->lock, irqflags);
	return err;
}

static int htab_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return htab_update_common(map, key, value, flags, false);
}

static int htab_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return htab_update_common(map, key, value, flags, true);
}

/* Copy what user space sees of element @e: one value, or every possible CPU's. */
static void htab_copy_out(struct bpfdrv_htab *h, struct htab_elem *e, void *value)
{
	u32 off = 0;
	int cpu;

	if (!h->percpu) {
		memcpy(value, htab_value(h, e, 0), h->map.value_size);
		return;
	}
	for_each_possible_cpu(cpu) {
		memcpy((u8 *)value + off, htab_value(h, e, cpu), h->value_stride);
		off += h->value_stride;
	}
}

static int htab_lookup_delete_common(struct bpfdrv_map *map, const void *key, void *value)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	u32 i, *link;
	int err = -ENOENT;

	bpfdrv_map_lock_irqsave(&h->lock, flags);
	i = htab_find(h, key, htab_hash(h, key), &link);
	if (i != HTAB_NIL) {
		if (value)
			htab_copy_out(h, htab_elem(h, i), value);
		htab_unlink(h, i, link);
		err = 0;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return err;
}

static int htab_delete(struct bpfdrv_map *map, const void *key)
{
	return htab_lookup_delete_common(map, key, NULL);
}

static int htab_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	int err = -ENOENT;
	u32 i;

	bpfdrv_map_lock_irqsave(&h->lock, flags);
	i = htab_find(h, key, htab_hash(h, key), NULL);
	if (i != HTAB_NIL) {
		/* A syscall lookup does not make an LRU element recent (Linux: no ref bit). */
		htab_copy_out(h, htab_elem(h, i), value);
		err = 0;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return err;
}

static u32 htab_sys_value_size(const struct bpfdrv_map *map)
{
	return to_htab((struct bpfdrv_map *)map)->percpu ? bpfdrv_percpu_value_size(map) :
							    map->value_size;
}

static int htab_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	u32 i = HTAB_NIL, b = 0;
	int err = -ENOENT;

	bpfdrv_map_lock_irqsave(&h->lock, flags);
	if (key) {
		u32 hash = htab_hash(h, key);

		i = htab_find(h, key, hash, NULL);
		if (i != HTAB_NIL) {
			b = (hash & (h->n_buckets - 1)) + 1;
			i = htab_elem(h, i)->next;
		} else {
			b = 0; /* unknown key: start over, like the kernel */
		}
	}
	for (; i == HTAB_NIL && b < h->n_buckets; b++)
		i = h->buckets[b];
	if (i != HTAB_NIL) {
		memcpy(next_key, htab_elem(h, i)->data, map->key_size);
		err = 0;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return err;
}

/*
 * bpf_for_each_map_elem: bucket by bucket, each chain in order, the value for this CPU
 * (per-CPU maps), as Linux's bpf_for_each_hash_elem. The cursor is the bucket in the
 * low half and, while inside a chain, 1 + the element to visit next in the high half,
 * taken before the callback runs, so the callback may delete the element it was
 * given. If that element left the bucket meanwhile, the rest of the chain is
 * skipped rather than visited twice.
 */
static bool htab_elem_iter_next(struct ebpf_run *run, void *map,
			       u64 *cursor, u64 *key_buf, void **key, void **value)
{
	struct bpfdrv_htab *h = to_htab((struct bpfdrv_map *)map);
	u32 b = (u32)*cursor, i = (u32)(*cursor >> 32) - 1, start, end;
	unsigned long flags;
	struct htab_elem *e;
	bool found = false;

	bpfdrv_map_lock_irqsave(&h->lock, flags);
	if (i != HTAB_NIL) {
		e = htab_elem(h, i);
		if (!e->used || (e->hash & (h->n_buckets - 1)) != b) {
			i = HTAB_NIL;
			b++;
		}
	}
	/*
	 * The buckets looked at cost the run's budget, and the lock is dropped every
	 * HTAB_SCAN_CHUNK empty ones: a sparse table of millions of buckets, walked from a
	 * bpf_loop, ends like a runaway loop instead of keeping interrupts off for seconds.
	 * Charged after each chunk, for the buckets actually read (a populated table pays
	 * about one unit per element), so the work past the budget is one chunk at most.
	 */
	while (i == HTAB_NIL && b < h->n_buckets) {
		start = b;
		end = min_t(u32, h->n_buckets, b + HTAB_SCAN_CHUNK);
		for (; i == HTAB_NIL && b < end; b++)
			i = h->buckets[b];
		if (!bpfdrv_charge_bytes(run, (u64)(b - start) * sizeof(h->buckets[0]))) {
			spin_unlock_irqrestore(&h->lock, flags);
			return false;
		}
		if (i == HTAB_NIL && b < h->n_buckets) {
			spin_unlock_irqrestore(&h->lock, flags);
			bpfdrv_map_lock_irqsave(&h->lock, flags);
		}
	}
	if (i != HTAB_NIL) {
		e = htab_elem(h, i);
		b = e->hash & (h->n_buckets - 1);
		*key = e->data;
		*value = htab_value(h, e, raw_smp_processor_id());
		*cursor = e->next == HTAB_NIL ? (u64)b + 1 : ((u64)(e->next + 1) << 32) | b;
		found = true;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return found;
}

/*
 * One bucket of a batch lookup (Linux's __htab_map_lookup_and_delete_batch: the
 * position token is the bucket index): the number of elements in bucket @b, which are
 * copied to @keys / @values (user-space value layout) and, if @delete, deleted only
 * when they all fit in @room. -ENOENT past the last bucket.
 */
static int htab_batch_bucket(struct bpfdrv_map *map, u32 b, void *keys, void *values, u32 room,
			     bool delete)
{
	struct bpfdrv_htab *h = to_htab(map);
	u32 vsize = htab_sys_value_size(map), n = 0, i, *link;
	unsigned long flags;

	if (b >= h->n_buckets)
		return -ENOENT;
	bpfdrv_map_lock_irqsave(&h->lock, flags);
	for (i = h->buckets[b]; i != HTAB_NIL; i = htab_elem(h, i)->next)
		n++;
	for (link = &h->buckets[b], i = 0; n <= room && *link != HTAB_NIL; i++) {
		struct htab_elem *e = htab_elem(h, *link);

		memcpy((u8 *)keys + (u64)i * map->key_size, e->data, map->key_size);
		htab_copy_out(h, e, (u8 *)values + (u64)i * vsize);
		if (delete)
			htab_unlink(h, *link, link);
		else
			link = &e->next;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return n;
}

#define HTAB_OPS(name_, alloc_)						\
const struct bpfdrv_map_ops name_ = {					\
	.alloc = alloc_,						\
	.free = htab_free,						\
	.lookup = htab_lookup,						\
	.update = htab_update,						\
	.delete = htab_delete,						\
	.get_next_key = htab_get_next_key,				\
	.sys_lookup = htab_sys_lookup,					\
	.sys_update = htab_sys_update,					\
	.sys_value_size = htab_sys_value_size,				\
	.sys_lookup_and_delete = htab_lookup_delete_common,		\
	.for_each_next = htab_elem_iter_next,				\
	.batch_bucket = htab_batch_bucket,				\
}

HTAB_OPS(bpfdrv_hash_ops, htab_alloc);
HTAB_OPS(bpfdrv_percpu_hash_ops, pcpu_htab_alloc);
HTAB_OPS(bpfdrv_lru_hash_ops, lru_htab_alloc);
HTAB_OPS(bpfdrv_lru_percpu_hash_ops, lru_pcpu_htab_alloc);
