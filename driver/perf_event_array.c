// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY: slot i holds an emulated perf ring (by fd from user
 * space); bpf_perf_event_output() writes into the current CPU's slot.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/rcupdate.h>
#include "bpfdrv.h"
#include "compat.h"

struct perf_slot {
	struct bpfdrv_perf_ring *ring;
	struct file *file; /* keeps the ring alive while it is in the map */
};

struct bpfdrv_perf_array {
	struct bpfdrv_map map;
	struct mutex update_mutex;
	struct perf_slot slots[];
};

#define to_parray(m) container_of(m, struct bpfdrv_perf_array, map)

static struct bpfdrv_map *parray_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_perf_array *a;

	if (attr->key_size != 4 || attr->value_size != 4 || !attr->max_entries ||
	    attr->map_flags & ~(BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY | BPFDRV_F_WRONLY))
		return ERR_PTR(-EINVAL);
	if (attr->max_entries > 4096)
		return ERR_PTR(-E2BIG);
	a = bpfdrv_zalloc_large(sizeof(*a) + attr->max_entries * sizeof(struct perf_slot));
	if (!a)
		return ERR_PTR(-ENOMEM);
	mutex_init(&a->update_mutex);
	bpfdrv_map_init(&a->map, attr, &bpfdrv_perf_event_array_ops);
	return &a->map;
}

static void parray_free(struct bpfdrv_map *map)
{
	struct bpfdrv_perf_array *a = to_parray(map);
	u32 i;

	for (i = 0; i < map->max_entries; i++)
		if (a->slots[i].file)
			fput(a->slots[i].file);
	bpfdrv_free_large(a);
}

/* For bpf_perf_event_output (callers are inside rcu_read_lock). */
struct bpfdrv_perf_ring *bpfdrv_perf_array_ring(struct bpfdrv_map *map, u32 index)
{
	if (map->ops != &bpfdrv_perf_event_array_ops || index >= map->max_entries)
		return NULL;
	return rcu_dereference(to_parray(map)->slots[index].ring);
}

/* Programs may not look into fd arrays: the slots are not values they can touch. */
static void *parray_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL;
}

static int parray_replace(struct bpfdrv_map *map, u32 index, struct bpfdrv_perf_ring *ring,
			  struct file *file)
{
	struct bpfdrv_perf_array *a = to_parray(map);
	struct file *old;

	if (index >= map->max_entries) {
		if (file)
			fput(file);
		return -E2BIG;
	}
	mutex_lock(&a->update_mutex);
	old = a->slots[index].file;
	rcu_assign_pointer(a->slots[index].ring, ring);
	a->slots[index].file = file;
	mutex_unlock(&a->update_mutex);
	if (old) {
		/* A program on another CPU may still be writing into the old ring. */
		bpfdrv_synchronize();
		fput(old);
	}
	return old || file ? 0 : -ENOENT;
}

/* Programs can neither store nor drop fds. */
static int parray_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return -EOPNOTSUPP;
}

static int parray_delete(struct bpfdrv_map *map, const void *key)
{
	return -EOPNOTSUPP;
}

static int parray_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct bpfdrv_perf_ring *ring;
	struct file *file;

	if (flags > BPFDRV_ANY)
		return -EINVAL;
	ring = bpfdrv_perf_ring_from_fd(*(const u32 *)value, &file);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	return parray_replace(map, *(const u32 *)key, ring, file);
}

static int parray_sys_delete(struct bpfdrv_map *map, const void *key)
{
	return parray_replace(map, *(const u32 *)key, NULL, NULL);
}

static int parray_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return -EOPNOTSUPP;
}

static int parray_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	return bpfdrv_array_ops.get_next_key(map, key, next_key);
}

const struct bpfdrv_map_ops bpfdrv_perf_event_array_ops = {
	.alloc = parray_alloc,
	.free = parray_free,
	.lookup = parray_lookup,
	.update = parray_update,
	.delete = parray_delete,
	.get_next_key = parray_get_next_key,
	.sys_lookup = parray_sys_lookup,
	.sys_update = parray_sys_update,
	.sys_delete = parray_sys_delete,
};
