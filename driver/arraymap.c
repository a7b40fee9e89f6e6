// SPDX-License-Identifier: GPL-2.0
/* BPF_MAP_TYPE_ARRAY: fixed slots, zero-initialised; mmapable for global data. */
#include <linux/kernel.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include "bpfdrv.h"
#include "compat.h"

struct bpfdrv_array {
	struct bpfdrv_map map;
	u32 elem_size;
	u64 values_size;
	u8 *values; /* area.addr: page aligned, zeroed, mappable */
	struct bpfdrv_user_area area;
};

#define to_array(m) container_of(m, struct bpfdrv_array, map)

static struct bpfdrv_map *array_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_array *a;
	u64 size;

	if (attr->key_size != 4 || !attr->value_size || !attr->max_entries ||
	    attr->map_flags & (BPFDRV_F_NO_PREALLOC | BPFDRV_F_ZERO_SEED))
		return ERR_PTR(-EINVAL);
	if (attr->value_size > (1u << 20))
		return ERR_PTR(-E2BIG);
	size = (u64)attr->max_entries * round_up(attr->value_size, 8);
	if (size > (1ull << 31))
		return ERR_PTR(-E2BIG);
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	a->elem_size = round_up(attr->value_size, 8);
	a->values_size = PAGE_ALIGN(size);
	if (bpfdrv_user_area_alloc(&a->area, a->values_size)) {
		kfree(a);
		return ERR_PTR(-ENOMEM);
	}
	a->values = a->area.addr;
	bpfdrv_map_init(&a->map, attr, &bpfdrv_array_ops);
	return &a->map;
}

static void array_free(struct bpfdrv_map *map)
{
	struct bpfdrv_array *a = to_array(map);

	bpfdrv_user_area_free(&a->area);
	kfree(a);
}

static void *array_lookup(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_array *a = to_array(map);
	u32 index = *(const u32 *)key;

	if (index >= map->max_entries)
		return NULL;
	return a->values + (u64)index * a->elem_size;
}

static int array_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	void *slot;

	if ((flags & ~BPFDRV_F_LOCK) > BPFDRV_EXIST)
		return -EINVAL;
	slot = array_lookup(map, key);
	if (!slot)
		return -E2BIG;
	/* Every slot always exists. */
	if ((flags & ~BPFDRV_F_LOCK) == BPFDRV_NOEXIST)
		return -EEXIST;
	memcpy(slot, value, map->value_size);
	return 0;
}

static int array_delete(struct bpfdrv_map *map, const void *key)
{
	return -EINVAL;
}

int bpfdrv_array_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	u32 index = key ? *(const u32 *)key : U32_MAX;

	if (index >= map->max_entries) {
		*(u32 *)next_key = 0;
		return 0;
	}
	if (index == map->max_entries - 1)
		return -ENOENT;
	*(u32 *)next_key = index + 1;
	return 0;
}

static u8 *array_direct_value(struct bpfdrv_map *map, u32 *size)
{
	/* Like the kernel: global data is a one-element array. */
	if (map->max_entries != 1)
		return NULL;
	*size = map->value_size;
	return to_array(map)->values;
}

static int array_mmap(struct bpfdrv_map *map, struct vm_area_struct *vma)
{
	struct bpfdrv_array *a = to_array(map);

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start > a->values_size)
		return -EINVAL;
	return remap_vmalloc_range(vma, a->values, 0);
}

const struct bpfdrv_map_ops bpfdrv_array_ops = {
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.for_each_next = bpfdrv_array_elem_iter_next,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = bpfdrv_array_get_next_key,
	.direct_value = array_direct_value,
	.mmap = array_mmap,
};
