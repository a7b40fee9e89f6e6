// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY: slot i holds, by fd from user space, either an
 * emulated perf ring (bpf_perf_event_output() writes into the current CPU's slot) or
 * a kernel perf event the tool opened itself (bpf_perf_event_read / _read_value read
 * its counter: perf_event_read.c).
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/rcupdate.h>
#include "bpfdrv.h"
#include "compat.h"

struct perf_slot {
	struct bpfdrv_perf_ring __rcu *ring;
	struct perf_event __rcu *event;
	struct file *file; /* keeps the ring / event alive while it is in the map */
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
	    attr->map_flags & ~(BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY | BPFDRV_F_WRONLY |
				BPFDRV_F_PRESERVE_ELEMS))
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

/*
 * The slot a helper's flags name (Linux's index rules: the low 32 bits, all ones for
 * the current CPU), or NULL past the end (-E2BIG). Callers are inside rcu_read_lock
 * with preemption off.
 */
static struct perf_slot *helper_slot(struct bpfdrv_map *map, u64 flags)
{
	u64 index = flags & BPFDRV_F_INDEX_MASK;

	if (index == BPFDRV_F_CURRENT_CPU)
		index = raw_smp_processor_id();
	if (index >= map->max_entries)
		return NULL;
	return &to_parray(map)->slots[index];
}

/*
 * For bpf_perf_event_output: the ring in the slot @flags names, or -E2BIG, -ENOENT
 * (empty) or -EINVAL (a kernel counter: Linux's "not a BPF output event").
 */
struct bpfdrv_perf_ring *bpfdrv_perf_array_ring(struct bpfdrv_map *map, u64 flags)
{
	struct perf_slot *slot = helper_slot(map, flags);
	struct bpfdrv_perf_ring *ring;

	if (!slot)
		return ERR_PTR(-E2BIG);
	ring = rcu_dereference(slot->ring);
	if (ring)
		return ring;
	return rcu_dereference(slot->event) ? ERR_PTR(-EINVAL) : ERR_PTR(-ENOENT);
}

/*
 * bpf_perf_event_read / _read_value (Linux's get_map_perf_counter): read the counter
 * in the slot @flags names; @enabled and @running may be NULL. Same context as above.
 */
int bpfdrv_perf_array_read(struct bpfdrv_map *map, u64 flags, u64 *value, u64 *enabled,
			   u64 *running)
{
	struct perf_slot *slot;
	struct perf_event *event;

	/* Linux's verifier allows these helpers only on perf event arrays. */
	if (map->ops != &bpfdrv_perf_event_array_ops || flags & ~BPFDRV_F_INDEX_MASK)
		return -EINVAL;
	slot = helper_slot(map, flags);
	if (!slot)
		return -E2BIG;
	event = rcu_dereference(slot->event);
	if (event)
		return bpfdrv_perf_counter_read(event, value, enabled, running);
	if (rcu_dereference(slot->ring)) {
		/* Linux reads a BPF output event's count (0); the emulated ring has none. */
		bpfdrv_warn("bpf_perf_event_read of an emulated BPF output ring (map %u): not supported\n",
			    map->id);
		return -EOPNOTSUPP;
	}
	return -ENOENT;
}

/* Programs may not look into fd arrays: the slots are not values they can touch. */
static void *parray_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL;
}

/* Put @new (possibly empty) into slot @index; the old occupant's file is dropped. */
static int parray_replace(struct bpfdrv_map *map, u32 index, const struct perf_slot *new)
{
	struct bpfdrv_perf_array *a = to_parray(map);
	struct file *old;

	mutex_lock(&a->update_mutex);
	old = a->slots[index].file;
	rcu_assign_pointer(a->slots[index].ring, new->ring);
	rcu_assign_pointer(a->slots[index].event, new->event);
	a->slots[index].file = new->file;
	mutex_unlock(&a->update_mutex);
	if (old) {
		/* A program on another CPU may still be writing into the old ring. */
		bpfdrv_synchronize();
		fput(old);
	}
	return old || new->file ? 0 : -ENOENT;
}

/*
 * The last user-space file of the map closed: the slots are emptied, releasing their
 * rings and perf events, as Linux's perf_event_fd_array_release() removes the entries
 * put in through the closed file (this module does not tell its files apart: the
 * entries go with the last one), unless the map was created with
 * BPF_F_PRESERVE_ELEMS. No user-space update can race: none has a file. The files
 * are dropped after one grace period for all slots (without memory for the list,
 * slot by slot).
 */
static void parray_release_uref(struct bpfdrv_map *map)
{
	static const struct perf_slot empty;
	struct bpfdrv_perf_array *a = to_parray(map);
	struct file **old;
	u32 i, n = 0;

	if (map->map_flags & BPFDRV_F_PRESERVE_ELEMS)
		return;
	for (i = 0; i < map->max_entries; i++)
		n += !!a->slots[i].file;
	old = n ? bpfdrv_zalloc_large((size_t)n * sizeof(*old)) : NULL;
	for (i = 0, n = 0; i < map->max_entries; i++) {
		if (!a->slots[i].file)
			continue;
		if (!old) {
			parray_replace(map, i, &empty);
			continue;
		}
		mutex_lock(&a->update_mutex);
		old[n++] = a->slots[i].file;
		RCU_INIT_POINTER(a->slots[i].ring, NULL);
		RCU_INIT_POINTER(a->slots[i].event, NULL);
		a->slots[i].file = NULL;
		mutex_unlock(&a->update_mutex);
	}
	if (!n)
		return;
	/* Programs on other CPUs may still be writing into the old rings. */
	bpfdrv_synchronize();
	for (i = 0; i < n; i++)
		fput(old[i]);
	bpfdrv_free_large(old);
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

/*
 * What an fd stored into the array is: one of our BPF output rings, else a kernel perf
 * event (-EBADF for anything else, as Linux's perf_event_get). Takes a file reference.
 */
static int slot_from_fd(int fd, struct perf_slot *slot)
{
	struct bpfdrv_perf_ring *ring = bpfdrv_perf_ring_from_fd(fd, &slot->file);
	struct perf_event *event;
	struct file *file;

	if (!IS_ERR(ring)) {
		RCU_INIT_POINTER(slot->ring, ring);
		return 0;
	}
	if (PTR_ERR(ring) != -EINVAL) /* not an open fd */
		return PTR_ERR(ring);
	file = bpfdrv_perf_counter_fget(fd, &event);
	if (IS_ERR(file))
		return PTR_ERR(file);
	RCU_INIT_POINTER(slot->event, event);
	slot->file = file;
	return 0;
}

static int parray_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct perf_slot slot = {};
	u32 index = *(const u32 *)key;
	int err;

	if (flags > BPFDRV_ANY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	err = slot_from_fd(*(const u32 *)value, &slot);
	if (err)
		return err;
	return parray_replace(map, index, &slot);
}

static int parray_sys_delete(struct bpfdrv_map *map, const void *key)
{
	static const struct perf_slot empty;
	u32 index = *(const u32 *)key;

	if (index >= map->max_entries)
		return -E2BIG;
	return parray_replace(map, index, &empty);
}

static int parray_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return -ENOTSUPP; /* Linux: perf event arrays have no syscall lookup */
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
	.sys_sleeps = true,
	.release_uref = parray_release_uref,
};
