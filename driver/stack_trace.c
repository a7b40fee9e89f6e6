// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_STACK_TRACE (Linux's stackmap.c): bpf_get_stackid() stores a kernel or
 * user stack in bucket hash(ips) & (n_buckets - 1) and returns that id; user space
 * reads the ips back by id (value_size / 8 entries, zero padded), deletes ids and
 * iterates the used ids. Buckets are preallocated; a per-map raw spinlock serialises
 * the stores (programs on several CPUs) against user-space reads and deletes.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include "bpfdrv.h"
#include "map_lock.h"
#include "compat.h"

struct stack_bucket {
	u32 hash, nr; /* nr == 0: empty */
	u64 ips[];
};

struct bpfdrv_stack_map {
	struct bpfdrv_map map;
	raw_spinlock_t lock;
	u32 n_buckets, bucket_size;
	u8 *buckets;
};

#define to_smap(m) container_of(m, struct bpfdrv_stack_map, map)

static struct stack_bucket *smap_bucket(struct bpfdrv_stack_map *s, u32 id)
{
	return (struct stack_bucket *)(s->buckets + (u64)id * s->bucket_size);
}

static struct bpfdrv_map *smap_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_stack_map *s;
	u64 size;

	if (attr->map_flags & ~(BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY | BPFDRV_F_WRONLY |
				BPFDRV_F_STACK_BUILD_ID))
		return ERR_PTR(-EINVAL);
	/* Build-id stacks (struct bpf_stack_build_id values) are not implemented. */
	if (attr->map_flags & BPFDRV_F_STACK_BUILD_ID) {
		bpfdrv_warn("stack trace maps with BPF_F_STACK_BUILD_ID are not supported\n");
		return ERR_PTR(-EINVAL);
	}
	if (attr->max_entries == 0 || attr->key_size != 4 || attr->value_size < 8 ||
	    attr->value_size % 8)
		return ERR_PTR(-EINVAL);
	/* sysctl kernel.perf_event_max_stack's default */
	if (attr->value_size / 8 > BPFDRV_MAX_STACK_DEPTH)
		return ERR_PTR(-EINVAL);
	if (attr->max_entries > (1u << 24))
		return ERR_PTR(-E2BIG);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->n_buckets = roundup_pow_of_two(attr->max_entries);
	s->bucket_size = sizeof(struct stack_bucket) + attr->value_size;
	size = (u64)s->n_buckets * s->bucket_size;
	if (size > (1ull << 31)) {
		kfree(s);
		return ERR_PTR(-E2BIG);
	}
	s->buckets = bpfdrv_zalloc_large(size);
	if (!s->buckets) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	raw_spin_lock_init(&s->lock);
	bpfdrv_map_init(&s->map, attr, &bpfdrv_stack_trace_ops);
	return &s->map;
}

static void smap_free(struct bpfdrv_map *map)
{
	bpfdrv_free_large(to_smap(map)->buckets);
	kfree(to_smap(map));
}

long bpfdrv_stack_map_store(struct bpfdrv_map *map, const u64 *ips, u32 nr, u64 flags)
{
	struct bpfdrv_stack_map *s = to_smap(map);
	u32 skip = flags & BPFDRV_F_SKIP_FIELD_MASK, max = map->value_size / 8, hash, id;
	struct stack_bucket *b;
	unsigned long irqflags;
	long ret;

	if (map->ops != &bpfdrv_stack_trace_ops)
		return -EINVAL;
	if (flags & ~(BPFDRV_F_SKIP_FIELD_MASK | BPFDRV_F_USER_STACK | BPFDRV_F_FAST_STACK_CMP |
		      BPFDRV_F_REUSE_STACKID))
		return -EINVAL;
	if (nr <= skip)
		return -EFAULT;
	ips += skip;
	nr -= skip;
	if (nr > max)
		nr = max; /* Linux collects at most value_size / 8 frames past skip */
	hash = jhash2((const u32 *)ips, nr * 2, 0);
	id = hash & (s->n_buckets - 1);
	bpfdrv_map_raw_lock_irqsave(&s->lock, irqflags);
	b = smap_bucket(s, id);
	if (b->nr && b->hash == hash &&
	    ((flags & BPFDRV_F_FAST_STACK_CMP) ||
	     (b->nr == nr && !memcmp(b->ips, ips, nr * sizeof(u64))))) {
		ret = id;
	} else if (b->nr && !(flags & BPFDRV_F_REUSE_STACKID)) {
		ret = -EEXIST;
	} else {
		b->hash = hash;
		b->nr = nr;
		memcpy(b->ips, ips, nr * sizeof(u64));
		ret = id;
	}
	raw_spin_unlock_irqrestore(&s->lock, irqflags);
	return ret;
}

static void *smap_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL; /* programs read stacks with bpf_get_stack, not lookups (Linux) */
}

static int smap_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return -EINVAL;
}

static int smap_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_stack_map *s = to_smap(map);
	u32 id = *(const u32 *)key;
	unsigned long flags;
	int err = -ENOENT;

	if (id >= s->n_buckets)
		return -E2BIG;
	bpfdrv_map_raw_lock_irqsave(&s->lock, flags);
	if (smap_bucket(s, id)->nr) {
		smap_bucket(s, id)->nr = 0;
		err = 0;
	}
	raw_spin_unlock_irqrestore(&s->lock, flags);
	return err;
}

static int smap_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	struct bpfdrv_stack_map *s = to_smap(map);
	u32 id = *(const u32 *)key;
	struct stack_bucket *b;
	unsigned long flags;
	int err = -ENOENT;

	if (id >= s->n_buckets)
		return -ENOENT;
	bpfdrv_map_raw_lock_irqsave(&s->lock, flags);
	b = smap_bucket(s, id);
	if (b->nr) {
		memcpy(value, b->ips, b->nr * sizeof(u64));
		memset((u8 *)value + b->nr * sizeof(u64), 0, map->value_size - b->nr * sizeof(u64));
		err = 0;
	}
	raw_spin_unlock_irqrestore(&s->lock, flags);
	return err;
}

static int smap_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	struct bpfdrv_stack_map *s = to_smap(map);
	u32 id = 0;

	/* Linux: an unknown or empty key restarts at 0 without skipping it. */
	if (key) {
		id = *(const u32 *)key;
		if (id >= s->n_buckets || !smap_bucket(s, id)->nr)
			id = 0;
		else
			id++;
	}
	while (id < s->n_buckets && !READ_ONCE(smap_bucket(s, id)->nr))
		id++;
	if (id >= s->n_buckets)
		return -ENOENT;
	*(u32 *)next_key = id;
	return 0;
}

const struct bpfdrv_map_ops bpfdrv_stack_trace_ops = {
	.alloc = smap_alloc,
	.free = smap_free,
	.lookup = smap_lookup,
	.update = smap_update,
	.delete = smap_delete,
	.get_next_key = smap_get_next_key,
	.sys_lookup = smap_sys_lookup,
	.sys_update = smap_update,
};
