// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (Linux's map_in_map.c):
 * user space stores map fds; a program's bpf_map_lookup_elem returns the inner map
 * itself, which the engine tags as a map handle (ebpf_set_ret_map), never as
 * memory. Every inner map must look like the template given by inner_map_fd at
 * create time (type, key and value size, flags; max_entries too unless the inner
 * maps are arrays). Replacing or deleting an entry drops the old map after every
 * CPU left its programs. The hash variant keeps its entries in a pool of slots
 * chained from hash buckets, as Linux's htab: a program's lookup walks one chain,
 * never the whole map, since it runs with preemption off.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/jhash.h>
#include "bpfdrv.h"
#include "compat.h"

#define MIM_NIL U32_MAX /* end of a chain or of the free list */

struct mim_slot {
	struct bpfdrv_map *inner; /* NULL: empty */
	u32 next; /* hash: next slot in its bucket's chain, or in the free list */
	u8 key[]; /* hash of maps only */
};

struct bpfdrv_mim {
	struct bpfdrv_map map;
	struct mutex lock; /* writers (user space only) */
	bool hash;
	u32 inner_type, inner_key_size, inner_value_size, inner_flags, inner_max_entries;
	u32 slot_size;
	u8 *slots;
	/* hash: chain heads, n_buckets (a power of two) of them; free slots under lock */
	u32 *buckets;
	u32 n_buckets, seed, free_head;
};

#define to_mim(m) container_of(m, struct bpfdrv_mim, map)

static struct mim_slot *mim_slot(struct bpfdrv_mim *m, u32 i)
{
	return (struct mim_slot *)(m->slots + (u64)i * m->slot_size);
}

/* Hash: chain every slot into the free list, empty every bucket. */
static int mim_hash_init(struct bpfdrv_mim *m, const struct bpfdrv_map_create_attr *attr)
{
	u32 i;

	m->n_buckets = roundup_pow_of_two(attr->max_entries);
	m->buckets = bpfdrv_zalloc_large((size_t)m->n_buckets * sizeof(u32));
	if (!m->buckets)
		return -ENOMEM;
	memset(m->buckets, 0xff, (size_t)m->n_buckets * sizeof(u32)); /* MIM_NIL */
	for (i = 0; i < attr->max_entries; i++)
		mim_slot(m, i)->next = i + 1 < attr->max_entries ? i + 1 : MIM_NIL;
	m->free_head = 0;
	m->seed = (attr->map_flags & BPFDRV_F_ZERO_SEED) ? 0 : bpfdrv_random_u32();
	return 0;
}

static u32 *mim_bucket(struct bpfdrv_mim *m, const void *key)
{
	return &m->buckets[jhash(key, m->map.key_size, m->seed) & (m->n_buckets - 1)];
}

static bool mim_is_outer(const struct bpfdrv_map *map)
{
	return map->ops == &bpfdrv_array_of_maps_ops || map->ops == &bpfdrv_hash_of_maps_ops;
}

static struct bpfdrv_map *mim_alloc_common(const struct bpfdrv_map_create_attr *attr,
					   const struct bpfdrv_map_ops *ops, bool hash)
{
	struct bpfdrv_map *inner;
	struct bpfdrv_mim *m;
	u64 size;

	if (!attr->max_entries || attr->value_size != 4 || !attr->key_size ||
	    (!hash && attr->key_size != 4) || attr->key_size > 512)
		return ERR_PTR(-EINVAL);
	inner = bpfdrv_map_from_fd(attr->inner_map_fd);
	if (IS_ERR(inner))
		return ERR_PTR(PTR_ERR(inner) == -EBUSY ? -EBUSY : -EBADF);
	if (mim_is_outer(inner) || inner->ops == &bpfdrv_prog_array_ops) {
		bpfdrv_map_put(inner);
		return ERR_PTR(-ENOTSUPP);
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		bpfdrv_map_put(inner);
		return ERR_PTR(-ENOMEM);
	}
	m->hash = hash;
	m->inner_type = inner->map_type;
	m->inner_key_size = inner->key_size;
	m->inner_value_size = inner->value_size;
	m->inner_flags = inner->map_flags;
	m->inner_max_entries = inner->max_entries;
	bpfdrv_map_put(inner); /* only its shape is kept */
	m->slot_size = sizeof(struct mim_slot) + (hash ? round_up(attr->key_size, 8) : 0);
	size = (u64)m->slot_size * attr->max_entries;
	if (size > (1ull << 30)) {
		kfree(m);
		return ERR_PTR(-E2BIG);
	}
	m->slots = bpfdrv_zalloc_large(size);
	if (!m->slots || (hash && mim_hash_init(m, attr))) {
		bpfdrv_free_large(m->slots);
		kfree(m);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&m->lock);
	bpfdrv_map_init(&m->map, attr, ops);
	return &m->map;
}

static struct bpfdrv_map *aom_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return mim_alloc_common(attr, &bpfdrv_array_of_maps_ops, false);
}

static struct bpfdrv_map *hom_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return mim_alloc_common(attr, &bpfdrv_hash_of_maps_ops, true);
}

static void mim_free(struct bpfdrv_map *map)
{
	struct bpfdrv_mim *m = to_mim(map);
	u32 i;

	/* No program runs with this map any more (map.c waited). */
	for (i = 0; i < map->max_entries; i++)
		if (mim_slot(m, i)->inner)
			bpfdrv_map_put(mim_slot(m, i)->inner);
	bpfdrv_free_large(m->buckets);
	bpfdrv_free_large(m->slots);
	kfree(m);
}

/*
 * Slot index of @key, or U32_MAX; *inner: the map the slot held when its key matched.
 * Array: the index if in range. Hash: lockless for programs. A writer inserts a slot
 * with its key written before it is linked and its map stored last, and reuses a
 * deleted slot only after a grace period, so a reader standing on a slot sees its
 * key with its map. The walk is bounded by max_entries steps whatever writers do.
 */
static u32 mim_find(struct bpfdrv_mim *m, const void *key, struct bpfdrv_map **inner)
{
	u32 i, steps;

	if (!m->hash) {
		i = *(const u32 *)key;
		if (i >= m->map.max_entries)
			return U32_MAX;
		*inner = READ_ONCE(mim_slot(m, i)->inner);
		return i;
	}
	i = READ_ONCE(*mim_bucket(m, key));
	for (steps = 0; i != MIM_NIL && steps < m->map.max_entries; steps++) {
		struct mim_slot *s = mim_slot(m, i);

		*inner = READ_ONCE(s->inner);
		smp_rmb(); /* the key was written before the map */
		if (*inner && !memcmp(s->key, key, m->map.key_size))
			return i;
		i = READ_ONCE(s->next);
	}
	return U32_MAX;
}

/* Program side: the inner map itself (helpers.c tags it with ebpf_set_ret_map). */
static void *mim_lookup(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_map *inner;

	return mim_find(to_mim(map), key, &inner) == U32_MAX ? NULL : inner;
}

/* Hash, lock held: take a free slot for @key and link it at its bucket's head. */
static u32 mim_hash_insert(struct bpfdrv_mim *m, const void *key)
{
	u32 *head = mim_bucket(m, key), i = m->free_head;
	struct mim_slot *s;

	if (i == MIM_NIL)
		return U32_MAX;
	s = mim_slot(m, i);
	m->free_head = s->next;
	memcpy(s->key, key, m->map.key_size);
	s->next = *head;
	smp_wmb(); /* key and next before the link */
	WRITE_ONCE(*head, i);
	return i;
}

/* Hash, lock held: unlink emptied slot @i; its next stays for readers standing on it. */
static void mim_hash_unlink(struct bpfdrv_mim *m, u32 i)
{
	u32 *link = mim_bucket(m, mim_slot(m, i)->key);

	while (*link != i)
		link = &mim_slot(m, *link)->next;
	WRITE_ONCE(*link, mim_slot(m, i)->next);
}

static int mim_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return -EOPNOTSUPP; /* only user space stores maps (it has the fds) */
}

static int mim_delete(struct bpfdrv_map *map, const void *key)
{
	return -EOPNOTSUPP; /* dropping a map needs process context */
}

static bool mim_compatible(struct bpfdrv_mim *m, const struct bpfdrv_map *inner)
{
	bool array = inner->map_type == BPFDRV_MAP_TYPE_ARRAY;

	return inner->map_type == m->inner_type && inner->key_size == m->inner_key_size &&
	       inner->value_size == m->inner_value_size && inner->map_flags == m->inner_flags &&
	       (array || inner->max_entries == m->inner_max_entries) && !mim_is_outer(inner);
}

static int mim_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct bpfdrv_mim *m = to_mim(map);
	struct bpfdrv_map *inner, *old = NULL, *cur;
	u32 i;
	int err = 0;

	/* Linux: an fd array takes BPF_ANY only; the hash checks its flags after the fd. */
	if (!m->hash && flags != BPFDRV_ANY)
		return -EINVAL;
	if (!m->hash && *(const u32 *)key >= map->max_entries)
		return -E2BIG;
	inner = bpfdrv_map_from_fd(*(const u32 *)value);
	if (IS_ERR(inner)) /* not a map fd; or -EBUSY: the map has all references it may have */
		return PTR_ERR(inner) == -EBUSY ? -EBUSY : -EBADF;
	if (!mim_compatible(m, inner) || flags > BPFDRV_EXIST) {
		bpfdrv_map_put(inner);
		return -EINVAL;
	}
	mutex_lock(&m->lock);
	i = mim_find(m, key, &cur);
	if (m->hash) {
		if (i != U32_MAX && flags == BPFDRV_NOEXIST) {
			err = -EEXIST;
		} else if (i == U32_MAX && flags == BPFDRV_EXIST) {
			err = -ENOENT;
		} else if (i == U32_MAX) {
			i = mim_hash_insert(m, key);
			if (i == U32_MAX)
				err = -E2BIG;
		}
	}
	if (!err) {
		old = xchg(&mim_slot(m, i)->inner, inner);
		inner = NULL;
	}
	mutex_unlock(&m->lock);
	if (inner)
		bpfdrv_map_put(inner);
	if (old) {
		bpfdrv_synchronize();
		bpfdrv_map_put(old);
	}
	return err;
}

/*
 * A hash slot goes back to the free list after the grace period, under the lock: no
 * reader still stands on it when it is reused for another key.
 */
static int mim_sys_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_mim *m = to_mim(map);
	struct bpfdrv_map *old = NULL, *cur;
	u32 i;

	if (!m->hash && *(const u32 *)key >= map->max_entries)
		return -E2BIG;
	mutex_lock(&m->lock);
	i = mim_find(m, key, &cur);
	if (i != U32_MAX)
		old = xchg(&mim_slot(m, i)->inner, NULL);
	if (old && m->hash) {
		mim_hash_unlink(m, i);
		bpfdrv_synchronize();
		mim_slot(m, i)->next = m->free_head;
		m->free_head = i;
	}
	mutex_unlock(&m->lock);
	if (!old)
		return -ENOENT;
	if (!m->hash)
		bpfdrv_synchronize();
	bpfdrv_map_put(old);
	return 0;
}

static int mim_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	struct bpfdrv_mim *m = to_mim(map);
	struct bpfdrv_map *inner;
	int err = -ENOENT;

	/* Linux answers the inner map's id; the lock keeps the inner map from being dropped. */
	mutex_lock(&m->lock);
	inner = mim_lookup(map, key);
	if (inner) {
		*(u32 *)value = inner->id;
		err = 0;
	}
	mutex_unlock(&m->lock);
	return err;
}

static int mim_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	struct bpfdrv_mim *m = to_mim(map);
	struct bpfdrv_map *cur;
	u32 i = 0;

	if (!m->hash)
		return bpfdrv_array_get_next_key(map, key, next_key);
	if (key) {
		i = mim_find(m, key, &cur);
		i = i == U32_MAX ? 0 : i + 1; /* unknown key: start over */
	}
	for (; i < map->max_entries; i++)
		if (READ_ONCE(mim_slot(m, i)->inner)) {
			memcpy(next_key, mim_slot(m, i)->key, map->key_size);
			return 0;
		}
	return -ENOENT;
}

#define MIM_OPS(name_, alloc_)				\
const struct bpfdrv_map_ops name_ = {			\
	.alloc = alloc_,				\
	.free = mim_free,				\
	.lookup = mim_lookup,				\
	.update = mim_update,				\
	.delete = mim_delete,				\
	.get_next_key = mim_get_next_key,		\
	.sys_lookup = mim_sys_lookup,			\
	.sys_update = mim_sys_update,			\
	.sys_delete = mim_sys_delete,			\
	.sys_sleeps = true,				\
	.lookup_returns_map = true,			\
}

MIM_OPS(bpfdrv_array_of_maps_ops, aom_alloc);
MIM_OPS(bpfdrv_hash_of_maps_ops, hom_alloc);
