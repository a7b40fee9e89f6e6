// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (Linux's queue_stack_maps.c): keyless
 * maps of max_entries values. Programs use bpf_map_push_elem / pop_elem / peek_elem;
 * user space uses UPDATE (push), LOOKUP (peek) and LOOKUP_AND_DELETE (pop).
 * A push with BPF_EXIST on a full map drops the oldest value instead of -E2BIG.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "map_lock.h"
#include "compat.h"

struct bpfdrv_qs {
	struct bpfdrv_map map;
	raw_spinlock_t lock;
	bool stack;
	u32 head, tail, size; /* ring of size = max_entries + 1 slots */
	u8 *elems;
};

#define to_qs(m) container_of(m, struct bpfdrv_qs, map)

static struct bpfdrv_map *qs_alloc_common(const struct bpfdrv_map_create_attr *attr,
					  const struct bpfdrv_map_ops *ops, bool stack)
{
	struct bpfdrv_qs *q;
	u64 size;

	if (!attr->max_entries || attr->key_size || !attr->value_size ||
	    attr->map_flags & ~(BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY | BPFDRV_F_WRONLY |
				BPFDRV_F_RDONLY_PROG | BPFDRV_F_WRONLY_PROG))
		return ERR_PTR(-EINVAL);
	if (attr->value_size > (1u << 20))
		return ERR_PTR(-E2BIG);
	size = ((u64)attr->max_entries + 1) * attr->value_size;
	if (size > (1ull << 31))
		return ERR_PTR(-E2BIG);
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->elems = bpfdrv_zalloc_large(size);
	if (!q->elems) {
		kfree(q);
		return ERR_PTR(-ENOMEM);
	}
	q->size = attr->max_entries + 1;
	q->stack = stack;
	raw_spin_lock_init(&q->lock);
	bpfdrv_map_init(&q->map, attr, ops);
	return &q->map;
}

static struct bpfdrv_map *queue_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return qs_alloc_common(attr, &bpfdrv_queue_ops, false);
}

static struct bpfdrv_map *stack_alloc(const struct bpfdrv_map_create_attr *attr)
{
	return qs_alloc_common(attr, &bpfdrv_stack_ops, true);
}

static void qs_free(struct bpfdrv_map *map)
{
	bpfdrv_free_large(to_qs(map)->elems);
	kfree(to_qs(map));
}

static u8 *qs_slot(struct bpfdrv_qs *q, u32 i)
{
	return q->elems + (u64)i * q->map.value_size;
}

/* Copy out the value a pop would take; remove it if @delete. */
static int qs_take(struct bpfdrv_map *map, void *value, bool delete)
{
	struct bpfdrv_qs *q = to_qs(map);
	unsigned long flags;
	int err = 0;
	u32 i;

	bpfdrv_map_raw_lock_irqsave(&q->lock, flags);
	if (q->head == q->tail) {
		err = -ENOENT;
		goto out;
	}
	if (q->stack) {
		i = q->head ? q->head - 1 : q->size - 1;
		if (delete)
			q->head = i;
	} else {
		i = q->tail;
		if (delete)
			q->tail = q->tail + 1 < q->size ? q->tail + 1 : 0;
	}
	memcpy(value, qs_slot(q, i), map->value_size);
out:
	raw_spin_unlock_irqrestore(&q->lock, flags);
	return err;
}

static int qs_pop(struct bpfdrv_map *map, void *value)
{
	return qs_take(map, value, true);
}

static int qs_peek(struct bpfdrv_map *map, void *value)
{
	return qs_take(map, value, false);
}

static int qs_push(struct bpfdrv_map *map, const void *value, u64 flags)
{
	struct bpfdrv_qs *q = to_qs(map);
	unsigned long irqflags;
	u32 next;
	int err = 0;

	if (flags & ~(u64)BPFDRV_EXIST)
		return -EINVAL;
	bpfdrv_map_raw_lock_irqsave(&q->lock, irqflags);
	next = q->head + 1 < q->size ? q->head + 1 : 0;
	if (next == q->tail) {
		if (flags != BPFDRV_EXIST) {
			err = -E2BIG;
			goto out;
		}
		/* Full and BPF_EXIST: drop the oldest value (Linux). */
		q->tail = q->tail + 1 < q->size ? q->tail + 1 : 0;
	}
	memcpy(qs_slot(q, q->head), value, map->value_size);
	q->head = next;
out:
	raw_spin_unlock_irqrestore(&q->lock, irqflags);
	return err;
}

static void *qs_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL;
}

static int qs_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return qs_push(map, value, flags);
}

static int qs_delete(struct bpfdrv_map *map, const void *key)
{
	return -EINVAL;
}

static int qs_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	return -EINVAL;
}

static int qs_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return qs_peek(map, value);
}

#define QS_OPS(name_, alloc_)				\
const struct bpfdrv_map_ops name_ = {			\
	.alloc = alloc_,				\
	.free = qs_free,				\
	.lookup = qs_lookup,				\
	.update = qs_update,				\
	.delete = qs_delete,				\
	.get_next_key = qs_get_next_key,		\
	.sys_lookup = qs_sys_lookup,			\
	.push = qs_push,				\
	.pop = qs_pop,					\
	.peek = qs_peek,				\
}

QS_OPS(bpfdrv_queue_ops, queue_alloc);
QS_OPS(bpfdrv_stack_ops, stack_alloc);
