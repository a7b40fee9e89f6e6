// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_PERCPU_ARRAY: one value per possible CPU per slot. A program sees its
 * own CPU's value (no locking needed between CPUs); user space reads and writes all
 * of them, round_up(value_size, 8) bytes per possible CPU in CPU order, as Linux.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/cpumask.h>
#include <linux/smp.h>
#include "bpfdrv.h"
#include "compat.h"

struct bpfdrv_percpu_array {
	struct bpfdrv_map map;
	u32 elem_size;
	u8 *values; /* [cpu][index], elem_size each */
};

#define to_pcpu_array(m) container_of(m, struct bpfdrv_percpu_array, map)

static u8 *pcpu_slot(struct bpfdrv_percpu_array *a, u32 cpu, u32 index)
{
	return a->values + ((u64)cpu * a->map.max_entries + index) * a->elem_size;
}

static struct bpfdrv_map *pcpu_array_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_percpu_array *a;
	u64 size;

	if (attr->key_size != 4 || !attr->value_size || !attr->max_entries ||
	    attr->map_flags & (BPFDRV_F_NO_PREALLOC | BPFDRV_F_ZERO_SEED | BPFDRV_F_MMAPABLE))
		return ERR_PTR(-EINVAL);
	if (attr->value_size > BPFDRV_PCPU_VALUE_MAX)
		return ERR_PTR(-E2BIG);
	size = (u64)attr->max_entries * round_up(attr->value_size, 8) * nr_cpu_ids;
	if (size > (1ull << 31))
		return ERR_PTR(-E2BIG);
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	a->elem_size = round_up(attr->value_size, 8);
	a->values = bpfdrv_zalloc_large(size);
	if (!a->values) {
		kfree(a);
		return ERR_PTR(-ENOMEM);
	}
	bpfdrv_map_init(&a->map, attr, &bpfdrv_percpu_array_ops);
	return &a->map;
}

static void pcpu_array_free(struct bpfdrv_map *map)
{
	bpfdrv_free_large(to_pcpu_array(map)->values);
	kfree(to_pcpu_array(map));
}

/* Program side: this CPU's value (programs run with preemption off). */
static void *pcpu_array_lookup(struct bpfdrv_map *map, const void *key)
{
	u32 index = *(const u32 *)key;

	if (index >= map->max_entries)
		return NULL;
	return pcpu_slot(to_pcpu_array(map), raw_smp_processor_id(), index);
}

static int pcpu_array_check_update(struct bpfdrv_map *map, const void *key, u64 flags)
{
	/* No spin locks in per-CPU values: BPF_F_LOCK is invalid here. */
	if (flags > BPFDRV_EXIST)
		return -EINVAL;
	if (*(const u32 *)key >= map->max_entries)
		return -E2BIG;
	if (flags == BPFDRV_NOEXIST)
		return -EEXIST;
	return 0;
}

static int pcpu_array_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	int err = pcpu_array_check_update(map, key, flags);

	if (err)
		return err;
	memcpy(pcpu_array_lookup(map, key), value, map->value_size);
	return 0;
}

static int pcpu_array_delete(struct bpfdrv_map *map, const void *key)
{
	return -EINVAL;
}

static int pcpu_array_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	struct bpfdrv_percpu_array *a = to_pcpu_array(map);
	u32 index = *(const u32 *)key, off = 0;
	int cpu;

	if (index >= map->max_entries)
		return -ENOENT;
	for_each_possible_cpu(cpu) {
		memcpy((u8 *)value + off, pcpu_slot(a, cpu, index), a->elem_size);
		off += a->elem_size;
	}
	return 0;
}

static int pcpu_array_sys_update(struct bpfdrv_map *map, const void *key, const void *value,
				 u64 flags)
{
	struct bpfdrv_percpu_array *a = to_pcpu_array(map);
	u32 index = *(const u32 *)key, off = 0;
	int cpu, err = pcpu_array_check_update(map, key, flags);

	if (err)
		return err;
	for_each_possible_cpu(cpu) {
		memcpy(pcpu_slot(a, cpu, index), (const u8 *)value + off, map->value_size);
		off += a->elem_size;
	}
	return 0;
}

static u32 pcpu_array_sys_value_size(const struct bpfdrv_map *map)
{
	return bpfdrv_percpu_value_size(map);
}

const struct bpfdrv_map_ops bpfdrv_percpu_array_ops = {
	.alloc = pcpu_array_alloc,
	.free = pcpu_array_free,
	.lookup = pcpu_array_lookup,
	.for_each_next = bpfdrv_array_elem_iter_next,
	.update = pcpu_array_update,
	.delete = pcpu_array_delete,
	.get_next_key = bpfdrv_array_get_next_key,
	.sys_lookup = pcpu_array_sys_lookup,
	.sys_update = pcpu_array_sys_update,
	.sys_value_size = pcpu_array_sys_value_size,
};
