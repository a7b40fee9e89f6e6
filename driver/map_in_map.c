// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (Linux's map_in_map.c):
 * user space stores map fds; a program's bpf_map_lookup_elem returns the inner map
 * itself, which the engine tags as a map handle (ebpf_set_ret_map), never as
 * memory. Every inner map must look like the template given by inner_map_fd at
 * create time (type, key and value size, flags; max_entries too unless the inner
 * maps are arrays). Replacing or deleting an entry drops the old map after every
 * CPU left its programs. The hash variant keeps its entries in a small pool
 * searched linearly.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"

struct mim_slot {
	struct bpfdrv_map *inner; /* NULL: empty */
	u8 key[]; /* hash of maps only */
};

struct bpfdrv_mim {
	struct bpfdrv_map map;
	struct mutex lock; /* writers (user space only) */
	bool hash;
	u32 inner_type, inner_key_size, inner_value_size, inner_flags, inner_max_entries;
	u32 slot_size;
	u8 *slots;
};

#define to_mim(m) container_of(m, struct bpfdrv_mim, map)

static struct mim_slot *mim_slot(struct bpfdrv_mim *m, u32 i)
{
	return (struct mim_slot *)(m->slots + (u64)i * m->slot_size);
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
	if (!m->slots) {
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
	bpfdrv_free_large(m->slots);
	kfree(m);
}

/* Slot index of @key, or U32_MAX. Array: the index if in range. */
static u32 mim_find(struct bpfdrv_mim *m, const void *key)
{
	u32 i;

	if (!m->hash) {
		i = *(const u32 *)key;
		return i < m->map.max_entries ? i : U32_MAX;
	}
	for (i = 0; i < m->map.max_entries; i++) {
		struct mim_slot *s = mim_slot(m, i);

		if (READ_ONCE(s->inner) && !memcmp(s->key, key, m->map.key_size))
			return i;
	}
	return U32_MAX;
}

/* Program side: the inner map itself (helpers.c tags it with ebpf_set_ret_map). */
static void *mim_lookup(struct bpfdrv_map *map, const void *key)
{
	u32 i = mim_find(to_mim(map), key);

	return i == U32_MAX ? NULL : READ_ONCE(mim_slot(to_mim(map), i)->inner);
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
	struct bpfdrv_map *inner, *old = NULL;
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
	i = mim_find(m, key);
	if (m->hash) {
		if (i != U32_MAX && flags == BPFDRV_NOEXIST) {
			err = -EEXIST;
		} else if (i == U32_MAX && flags == BPFDRV_EXIST) {
			err = -ENOENT;
		} else if (i == U32_MAX) {
			for (i = 0; i < map->max_entries && mim_slot(m, i)->inner; i++)
				;
			if (i == map->max_entries)
				err = -E2BIG;
			else
				memcpy(mim_slot(m, i)->key, key, map->key_size);
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

static int mim_sys_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_mim *m = to_mim(map);
	struct bpfdrv_map *old = NULL;
	u32 i;

	if (!m->hash && *(const u32 *)key >= map->max_entries)
		return -E2BIG;
	mutex_lock(&m->lock);
	i = mim_find(m, key);
	if (i != U32_MAX)
		old = xchg(&mim_slot(m, i)->inner, NULL);
	mutex_unlock(&m->lock);
	if (!old)
		return -ENOENT;
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
	u32 i = 0;

	if (!m->hash)
		return bpfdrv_array_get_next_key(map, key, next_key);
	if (key) {
		i = mim_find(m, key);
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
