// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall-side element access: the one place where the map commands (map.c, map_batch.c)
 * call a map's ops. Around each call, programs are held off on this CPU, as Linux's
 * kernel/bpf/syscall.c does with bpf_disable_instrumentation(): the ops take the map's
 * lock with IRQs off, and a program firing inside that section (a kprobe on a function
 * called under the lock such as memcmp, an NMI) that used the same map would spin
 * forever on the lock its own CPU holds. Such a program is skipped and counted as
 * missed instead (prog_run.c).
 *
 * The guard keeps preemption off, so it covers only the op itself; the copies from and
 * to user space and the allocations stay outside. The sys_* overrides of maps that
 * declare sys_sleeps (fd maps: mutexes, fget, grace periods) run without it: they take
 * no lock a program takes. Freeing a map needs no guard either: it happens once the last
 * reference is gone, and every program using the map holds one.
 */
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include "bpfdrv.h"

int bpfdrv_map_sys_lookup(struct bpfdrv_map *map, const void *key, void *value, u32 size)
{
	void *v;
	int err;

	if (map->ops->sys_lookup && map->ops->sys_sleeps)
		return map->ops->sys_lookup(map, key, value);
	bpfdrv_disable_instrumentation();
	rcu_read_lock();
	if (map->ops->sys_lookup) {
		err = map->ops->sys_lookup(map, key, value);
	} else {
		v = map->ops->lookup(map, key);
		if (v)
			memcpy(value, v, size);
		err = v ? 0 : -ENOENT;
	}
	rcu_read_unlock();
	bpfdrv_enable_instrumentation();
	return err;
}

int bpfdrv_map_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	int err;

	if (map->ops->sys_update && map->ops->sys_sleeps)
		return map->ops->sys_update(map, key, value, flags);
	bpfdrv_disable_instrumentation();
	rcu_read_lock();
	if (map->ops->sys_update)
		err = map->ops->sys_update(map, key, value, flags);
	else
		err = map->ops->update(map, key, value, flags);
	rcu_read_unlock();
	bpfdrv_enable_instrumentation();
	return err;
}

int bpfdrv_map_sys_delete(struct bpfdrv_map *map, const void *key)
{
	int err;

	if (map->ops->sys_delete && map->ops->sys_sleeps)
		return map->ops->sys_delete(map, key);
	bpfdrv_disable_instrumentation();
	rcu_read_lock();
	if (map->ops->sys_delete)
		err = map->ops->sys_delete(map, key);
	else
		err = map->ops->delete(map, key);
	rcu_read_unlock();
	bpfdrv_enable_instrumentation();
	return err;
}

int bpfdrv_map_sys_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	int err;

	bpfdrv_disable_instrumentation();
	rcu_read_lock();
	err = map->ops->get_next_key(map, key, next_key);
	rcu_read_unlock();
	bpfdrv_enable_instrumentation();
	return err;
}

int bpfdrv_map_sys_pop(struct bpfdrv_map *map, void *value)
{
	int err;

	bpfdrv_disable_instrumentation();
	err = map->ops->pop(map, value);
	bpfdrv_enable_instrumentation();
	return err;
}

int bpfdrv_map_sys_lookup_and_delete(struct bpfdrv_map *map, const void *key, void *value)
{
	int err;

	bpfdrv_disable_instrumentation();
	err = map->ops->sys_lookup_and_delete(map, key, value);
	bpfdrv_enable_instrumentation();
	return err;
}

int bpfdrv_map_sys_batch_bucket(struct bpfdrv_map *map, u32 bucket, void *keys, void *values,
				u32 room, bool delete)
{
	int n;

	bpfdrv_disable_instrumentation();
	n = map->ops->batch_bucket(map, bucket, keys, values, room, delete);
	bpfdrv_enable_instrumentation();
	return n;
}
