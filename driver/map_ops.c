// SPDX-License-Identifier: GPL-2.0
/*
 * Map commands beyond the single-element ones of map.c, generic over bpfdrv_map_ops:
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM and the four batch commands. Which maps support
 * what, and the errnos, follow Linux 6.1:
 *  - LOOKUP_AND_DELETE: queue/stack (pop), hash family; others ENOTSUPP.
 *  - batches: arrays (lookup, update), hash family (all four); others ENOTSUPP.
 * The batch position token is a u32 (Linux: bucket index for hashes, key for
 * arrays); here it counts the elements before the position in get_next_key order.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include "bpfdrv.h"
#include "compat.h"


static u32 map_value_size_user(const struct bpfdrv_map *map)
{
	return map->ops->sys_value_size ? map->ops->sys_value_size(map) : map->value_size;
}

static bool map_is_hash(const struct bpfdrv_map *map)
{
	return map->ops == &bpfdrv_hash_ops || map->ops == &bpfdrv_percpu_hash_ops ||
	       map->ops == &bpfdrv_lru_hash_ops || map->ops == &bpfdrv_lru_percpu_hash_ops;
}

static bool map_is_array(const struct bpfdrv_map *map)
{
	return map->ops == &bpfdrv_array_ops || map->ops == &bpfdrv_percpu_array_ops;
}

/* One element as user space sees it (sys_lookup or the program-side value). */
static int map_copy_value(struct bpfdrv_map *map, const void *key, void *value, u32 size)
{
	void *v;

	if (map->ops->sys_lookup)
		return map->ops->sys_lookup(map, key, value);
	rcu_read_lock();
	v = map->ops->lookup(map, key);
	if (v)
		memcpy(value, v, size);
	rcu_read_unlock();
	return v ? 0 : -ENOENT;
}

static int map_update_value(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	int err;

	if (map->ops->sys_update)
		return map->ops->sys_update(map, key, value, flags);
	rcu_read_lock();
	err = map->ops->update(map, key, value, flags);
	rcu_read_unlock();
	return err;
}

static int map_delete_key(struct bpfdrv_map *map, const void *key)
{
	int err;

	if (map->ops->sys_delete)
		return map->ops->sys_delete(map, key);
	rcu_read_lock();
	err = map->ops->delete(map, key);
	rcu_read_unlock();
	return err;
}

int bpfdrv_cmd_map_lookup_and_delete(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_elem_attr *attr = &uattr->elem;
	struct bpfdrv_map *map = bpfdrv_map_from_fd(attr->map_fd);
	void *key = NULL, *value = NULL;
	u32 size;
	int err;

	if (IS_ERR(map))
		return PTR_ERR(map);
	/* No map here has a bpf_spin_lock in its value: BPF_F_LOCK is invalid (Linux). */
	err = -EINVAL;
	if (attr->flags)
		goto out;
	/* Reads and writes: a map read-only or write-only for user space refuses it. */
	err = -EPERM;
	if (map->map_flags & (BPFDRV_F_RDONLY | BPFDRV_F_WRONLY))
		goto out;
	if (map->key_size) {
		key = bpfdrv_copy_from_user_alloc(attr->key, map->key_size);
		if (IS_ERR(key)) {
			err = PTR_ERR(key);
			key = NULL;
			goto out;
		}
	} else if (attr->key) {
		err = -EINVAL;
		goto out;
	}
	size = map_value_size_user(map);
	value = bpfdrv_zalloc_large(size);
	err = -ENOMEM;
	if (!value)
		goto out;
	mutex_lock(&map->freeze_mutex);
	if (map->frozen) {
		err = -EPERM;
	} else if (map->ops->pop && map->key_size == 0 && map->ops->sys_lookup_value_in == false) {
		err = map->ops->pop(map, value);
	} else if (map->ops->sys_lookup_and_delete) {
		err = map->ops->sys_lookup_and_delete(map, key, value);
	} else {
		err = -ENOTSUPP;
	}
	mutex_unlock(&map->freeze_mutex);
	if (!err && copy_to_user(bpfdrv_u64_to_ptr(attr->value), value, size))
		err = -EFAULT;
out:
	kfree(key);
	if (value)
		bpfdrv_free_large(value);
	bpfdrv_map_put(map);
	return err;
}

enum batch_op { BATCH_LOOKUP, BATCH_LOOKUP_AND_DELETE, BATCH_UPDATE, BATCH_DELETE };

/* Keys and values of up to @count elements starting @pos elements into the map. */
static int batch_lookup(struct bpfdrv_map *map, struct bpfdrv_map_batch_attr *attr, bool delete)
{
	u32 vsize = map_value_size_user(map), max = attr->count, pos = 0, skip = 0, n = 0;
	void *key = NULL, *next, *value;
	bool have_key = false;
	int err = 0;

	if (attr->in_batch && copy_from_user(&skip, bpfdrv_u64_to_ptr(attr->in_batch), sizeof(skip)))
		return -EFAULT;
	attr->count = 0;
	if (!max)
		return 0;
	key = kzalloc(map->key_size, GFP_KERNEL);
	next = kzalloc(map->key_size, GFP_KERNEL);
	value = bpfdrv_zalloc_large(vsize);
	if (!key || !next || !value) {
		err = -ENOMEM;
		goto out;
	}
	while (n < max) {
		rcu_read_lock();
		err = map->ops->get_next_key(map, have_key ? key : NULL, next);
		rcu_read_unlock();
		if (err)
			break;
		memcpy(key, next, map->key_size);
		have_key = true;
		if (pos++ < skip)
			continue;
		err = map_copy_value(map, key, value, vsize);
		if (err == -ENOENT) {
			err = 0;
			continue; /* deleted meanwhile */
		}
		if (err)
			break;
		if (copy_to_user(bpfdrv_u64_to_ptr(attr->keys + (u64)n * map->key_size), key,
				 map->key_size) ||
		    copy_to_user(bpfdrv_u64_to_ptr(attr->values + (u64)n * vsize), value, vsize)) {
			err = -EFAULT;
			break;
		}
		n++;
		cond_resched();
	}
	if (delete && (!err || err == -ENOENT)) {
		u32 i;

		/* Delete what was returned; the position then stays where it was. */
		for (i = 0; i < n; i++) {
			if (copy_from_user(key, bpfdrv_u64_to_ptr(attr->keys + (u64)i * map->key_size),
					   map->key_size))
				break;
			map_delete_key(map, key);
		}
		pos = skip;
	}
	attr->count = n;
	if ((!err || err == -ENOENT) && attr->out_batch &&
	    copy_to_user(bpfdrv_u64_to_ptr(attr->out_batch), &pos, sizeof(pos)))
		err = -EFAULT;
out:
	kfree(key);
	kfree(next);
	if (value)
		bpfdrv_free_large(value);
	return err;
}

static int batch_update_delete(struct bpfdrv_map *map, struct bpfdrv_map_batch_attr *attr,
			       bool update)
{
	u32 vsize = map_value_size_user(map), max = attr->count, n;
	void *key, *value = NULL;
	int err = 0;

	attr->count = 0;
	key = kzalloc(map->key_size, GFP_KERNEL);
	if (update)
		value = bpfdrv_zalloc_large(vsize);
	if (!key || (update && !value)) {
		err = -ENOMEM;
		goto out;
	}
	for (n = 0; n < max; n++) {
		if (copy_from_user(key, bpfdrv_u64_to_ptr(attr->keys + (u64)n * map->key_size),
				   map->key_size) ||
		    (update && copy_from_user(value, bpfdrv_u64_to_ptr(attr->values + (u64)n * vsize),
					      vsize))) {
			err = -EFAULT;
			break;
		}
		err = update ? map_update_value(map, key, value, attr->elem_flags) :
			       map_delete_key(map, key);
		if (err)
			break;
		cond_resched();
	}
	attr->count = n;
out:
	kfree(key);
	if (value)
		bpfdrv_free_large(value);
	return err;
}

static int map_batch(union bpfdrv_attr *uattr, enum batch_op op)
{
	struct bpfdrv_map_batch_attr *attr = &uattr->batch;
	struct bpfdrv_map *map;
	bool ok;
	int err;

	map = bpfdrv_map_from_fd(attr->map_fd);
	if (IS_ERR(map))
		return PTR_ERR(map);
	ok = map_is_hash(map) || (map_is_array(map) && (op == BATCH_LOOKUP || op == BATCH_UPDATE));
	if (!ok) {
		err = -ENOTSUPP;
		goto out;
	}
	err = -EINVAL;
	if (attr->flags || (attr->elem_flags & BPFDRV_F_LOCK))
		goto out;
	if (op == BATCH_LOOKUP && (map->map_flags & BPFDRV_F_WRONLY)) {
		err = -EPERM;
		goto out;
	}
	if (op != BATCH_LOOKUP && (map->map_flags & BPFDRV_F_RDONLY)) {
		err = -EPERM;
		goto out;
	}
	if (op == BATCH_LOOKUP) {
		err = batch_lookup(map, attr, false);
	} else {
		mutex_lock(&map->freeze_mutex);
		if (map->frozen)
			err = -EPERM;
		else if (op == BATCH_LOOKUP_AND_DELETE)
			err = batch_lookup(map, attr, true);
		else
			err = batch_update_delete(map, attr, op == BATCH_UPDATE);
		mutex_unlock(&map->freeze_mutex);
	}
out:
	bpfdrv_map_put(map);
	return err;
}

int bpfdrv_cmd_map_lookup_batch(union bpfdrv_attr *attr)
{
	return map_batch(attr, BATCH_LOOKUP);
}

int bpfdrv_cmd_map_lookup_and_delete_batch(union bpfdrv_attr *attr)
{
	return map_batch(attr, BATCH_LOOKUP_AND_DELETE);
}

int bpfdrv_cmd_map_update_batch(union bpfdrv_attr *attr)
{
	return map_batch(attr, BATCH_UPDATE);
}

int bpfdrv_cmd_map_delete_batch(union bpfdrv_attr *attr)
{
	return map_batch(attr, BATCH_DELETE);
}
