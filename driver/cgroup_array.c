// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_CGROUP_ARRAY: creatable so tools that declare one (execsnoop's and
 * opensnoop's cgroup filter) load; storing cgroup fds is not implemented yet, so
 * every slot stays empty and bpf_current_task_under_cgroup() answers -EAGAIN, which
 * is what the kernel answers for an empty slot.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include "bpfdrv.h"

static struct bpfdrv_map *cgarray_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_map *map;

	if (attr->key_size != 4 || attr->value_size != 4 || !attr->max_entries)
		return ERR_PTR(-EINVAL);
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	bpfdrv_map_init(map, attr, &bpfdrv_cgroup_array_ops);
	return map;
}

static void cgarray_free(struct bpfdrv_map *map)
{
	kfree(map);
}

static void *cgarray_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL;
}

static int cgarray_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return -EOPNOTSUPP;
}

static int cgarray_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	bpfdrv_warn("storing cgroup fds in a cgroup array is not supported yet\n");
	return -EOPNOTSUPP;
}

static int cgarray_delete(struct bpfdrv_map *map, const void *key)
{
	return *(const u32 *)key < map->max_entries ? -ENOENT : -E2BIG;
}

static int cgarray_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return -EOPNOTSUPP;
}

static int cgarray_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	return bpfdrv_array_ops.get_next_key(map, key, next_key);
}

const struct bpfdrv_map_ops bpfdrv_cgroup_array_ops = {
	.alloc = cgarray_alloc,
	.free = cgarray_free,
	.lookup = cgarray_lookup,
	.update = cgarray_update,
	.delete = cgarray_delete,
	.get_next_key = cgarray_get_next_key,
	.sys_lookup = cgarray_sys_lookup,
	.sys_update = cgarray_sys_update,
};
