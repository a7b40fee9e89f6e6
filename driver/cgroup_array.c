// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_CGROUP_ARRAY: user space stores cgroup (v2) directory fds; programs ask
 * bpf_current_task_under_cgroup(map, index) (1: current is in that cgroup's subtree,
 * 0: not, -EAGAIN: empty slot, -E2BIG: index out of range), as execsnoop's and
 * opensnoop's --cgroup filters do. Kernels without cgroup2 fd lookup (before 4.8)
 * refuse stores with EOPNOTSUPP, so every slot stays empty there. A replaced
 * cgroup is released after every CPU left its programs.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include "bpfdrv.h"
#include "compat.h"

struct bpfdrv_cgarray {
	struct bpfdrv_map map;
	struct mutex lock; /* writers */
	void *cgroups[]; /* struct cgroup *, NULL: empty */
};

#define to_cgarray(m) container_of(m, struct bpfdrv_cgarray, map)

static struct bpfdrv_map *cgarray_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_cgarray *a;

	if (attr->key_size != 4 || attr->value_size != 4 || !attr->max_entries)
		return ERR_PTR(-EINVAL);
	if (attr->max_entries > (1u << 20))
		return ERR_PTR(-E2BIG);
	a = bpfdrv_zalloc_large(sizeof(*a) + (size_t)attr->max_entries * sizeof(a->cgroups[0]));
	if (!a)
		return ERR_PTR(-ENOMEM);
	mutex_init(&a->lock);
	bpfdrv_map_init(&a->map, attr, &bpfdrv_cgroup_array_ops);
	return &a->map;
}

/* Swap slot @index; release the old cgroup once no program can see it. */
static int cgarray_replace(struct bpfdrv_cgarray *a, u32 index, void *cgrp)
{
	void *old = xchg(&a->cgroups[index], cgrp);

	if (!old)
		return -ENOENT;
	bpfdrv_synchronize();
	bpfdrv_cgroup_put(old);
	return 0;
}

static void cgarray_free(struct bpfdrv_map *map)
{
	struct bpfdrv_cgarray *a = to_cgarray(map);
	u32 i;

	for (i = 0; i < map->max_entries; i++)
		if (a->cgroups[i])
			bpfdrv_cgroup_put(a->cgroups[i]);
	bpfdrv_free_large(a);
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
	struct bpfdrv_cgarray *a = to_cgarray(map);
	u32 index = *(const u32 *)key;
	void *cgrp;

	/* Linux's fd arrays: BPF_ANY only, then the index, then the fd. */
	if (flags != BPFDRV_ANY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	cgrp = bpfdrv_cgroup_from_fd(*(const u32 *)value);
	if (IS_ERR(cgrp)) {
		if (PTR_ERR(cgrp) == -EOPNOTSUPP)
			bpfdrv_warn("cgroup arrays need cgroup2 (kernel 4.8+)\n");
		return PTR_ERR(cgrp);
	}
	mutex_lock(&a->lock);
	cgarray_replace(a, index, cgrp);
	mutex_unlock(&a->lock);
	return 0;
}

static int cgarray_delete(struct bpfdrv_map *map, const void *key)
{
	return -EOPNOTSUPP; /* programs cannot release cgroups */
}

static int cgarray_sys_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_cgarray *a = to_cgarray(map);
	u32 index = *(const u32 *)key;
	int err;

	if (index >= map->max_entries)
		return -E2BIG;
	mutex_lock(&a->lock);
	err = cgarray_replace(a, index, NULL);
	mutex_unlock(&a->lock);
	return err;
}

static int cgarray_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return -ENOTSUPP; /* Linux: cgroup arrays have no syscall lookup */
}

/* bpf_current_task_under_cgroup (helper 37); programs run with preemption off. */
long bpfdrv_cgroup_array_check(struct bpfdrv_map *map, u64 index)
{
	void *cgrp;

	if (map->ops != &bpfdrv_cgroup_array_ops)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	cgrp = READ_ONCE(to_cgarray(map)->cgroups[index]);
	if (!cgrp)
		return -EAGAIN;
	return bpfdrv_current_under_cgroup(cgrp);
}

const struct bpfdrv_map_ops bpfdrv_cgroup_array_ops = {
	.alloc = cgarray_alloc,
	.free = cgarray_free,
	.lookup = cgarray_lookup,
	.update = cgarray_update,
	.delete = cgarray_delete,
	.get_next_key = bpfdrv_array_get_next_key,
	.sys_lookup = cgarray_sys_lookup,
	.sys_update = cgarray_sys_update,
	.sys_delete = cgarray_sys_delete,
	.sys_sleeps = true,
};
