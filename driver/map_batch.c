// SPDX-License-Identifier: GPL-2.0
/*
 * Map commands beyond the single-element ones of map.c, generic over bpfdrv_map_ops:
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM and the four batch commands. Which maps support
 * what, and the errnos, follow Linux 6.1:
 *  - LOOKUP_AND_DELETE: queue/stack (pop), hash family; others ENOTSUPP.
 *  - batches: arrays (lookup, update), hash family (all four); others ENOTSUPP.
 * The batch position tokens are Linux's too: for hashes the u32 index of the next
 * bucket to read, for arrays the last key returned.
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

static bool map_is_array(const struct bpfdrv_map *map)
{
	return map->ops == &bpfdrv_array_ops || map->ops == &bpfdrv_percpu_array_ops;
}

int bpfdrv_cmd_map_lookup_and_delete(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_elem_attr *attr = &uattr->elem;
	struct bpfdrv_map *map;
	void *key = NULL, *value = NULL;
	u32 size;
	int err;

	if (attr->flags & ~BPFDRV_F_LOCK)
		return -EINVAL;
	/* Reads and writes: an fd read-only or write-only for user space refuses it. */
	map = bpfdrv_map_from_fd_perm(attr->map_fd, FMODE_READ | FMODE_WRITE);
	if (IS_ERR(map))
		return PTR_ERR(map);
	/* No map here has a bpf_spin_lock in its value: BPF_F_LOCK is invalid (Linux). */
	err = -EINVAL;
	if (attr->flags)
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
	err = bpfdrv_map_write_begin(map);
	if (err)
		goto out;
	if (map->ops->pop && map->key_size == 0 && map->ops->sys_lookup_value_in == false)
		err = bpfdrv_map_sys_pop(map, value);
	else if (map->ops->sys_lookup_and_delete)
		err = bpfdrv_map_sys_lookup_and_delete(map, key, value);
	else
		err = -ENOTSUPP;
	bpfdrv_map_write_end(map);
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

/*
 * LOOKUP_BATCH of arrays (Linux's generic_map_lookup_batch): up to @count elements in
 * get_next_key order after the key in in_batch (from the start without one); the
 * token written to out_batch is the last key visited, and only if an element was
 * returned. -ENOENT once get_next_key reaches the end, with the count so far.
 */
static int batch_lookup_keys(struct bpfdrv_map *map, struct bpfdrv_map_batch_attr *attr)
{
	u32 vsize = map_value_size_user(map), max = attr->count, cp = 0;
	void *prev, *key, *value;
	bool have_prev = attr->in_batch;
	int err = -ENOMEM;

	attr->count = 0;
	if (!max)
		return 0;
	prev = kzalloc(map->key_size, GFP_KERNEL);
	key = kzalloc(map->key_size, GFP_KERNEL);
	value = bpfdrv_zalloc_large(vsize);
	if (!prev || !key || !value)
		goto out;
	err = -EFAULT;
	if (have_prev && copy_from_user(prev, bpfdrv_u64_to_ptr(attr->in_batch), map->key_size))
		goto out;
	while (cp < max) {
		err = bpfdrv_map_sys_get_next_key(map, have_prev ? prev : NULL, key);
		if (err)
			break;
		err = bpfdrv_map_sys_lookup(map, key, value, vsize);
		if (!err) {
			if (copy_to_user(bpfdrv_u64_to_ptr(attr->keys + (u64)cp * map->key_size), key,
					 map->key_size) ||
			    copy_to_user(bpfdrv_u64_to_ptr(attr->values + (u64)cp * vsize), value, vsize)) {
				err = -EFAULT;
				goto out;
			}
			cp++;
		} else if (err != -ENOENT) { /* ENOENT: deleted meanwhile */
			goto out;
		}
		swap(prev, key);
		have_prev = true;
		cond_resched();
	}
	attr->count = cp;
	if (cp && copy_to_user(bpfdrv_u64_to_ptr(attr->out_batch), prev, map->key_size))
		err = -EFAULT;
out:
	kfree(prev);
	kfree(key);
	if (value)
		bpfdrv_free_large(value);
	return err;
}

/* Room for @n elements' keys and user-space values (batch_lookup_buckets). */
struct batch_buf {
	void *keys, *values;
	u32 n;
};

static int batch_buf_alloc(struct batch_buf *b, struct bpfdrv_map *map, u32 n)
{
	b->keys = bpfdrv_zalloc_large((size_t)n * map->key_size);
	b->values = bpfdrv_zalloc_large((size_t)n * map_value_size_user(map));
	b->n = n;
	return b->keys && b->values ? 0 : -ENOMEM;
}

static void batch_buf_free(struct batch_buf *b)
{
	if (b->keys)
		bpfdrv_free_large(b->keys);
	if (b->values)
		bpfdrv_free_large(b->values);
}

/*
 * LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH of hashes (Linux's
 * __htab_map_lookup_and_delete_batch): whole buckets from the bucket index in in_batch
 * on, as long as the next bucket fits in what is left of @count (empty buckets always
 * do). out_batch gets the index of the first bucket not returned; -ENOSPC when not even
 * the first non-empty bucket fits, -ENOENT after the last bucket (also right away for
 * an index past it, then without touching out_batch).
 */
static int batch_lookup_buckets(struct bpfdrv_map *map, struct bpfdrv_map_batch_attr *attr,
				bool delete)
{
	u32 vsize = map_value_size_user(map), max = attr->count, batch = 0, start, total = 0;
	struct batch_buf buf = {};
	int n, err;

	attr->count = 0;
	if (!max)
		return 0;
	if (attr->in_batch && copy_from_user(&batch, bpfdrv_u64_to_ptr(attr->in_batch), sizeof(batch)))
		return -EFAULT;
	start = batch;
	/* Linux starts with room for 5 ("a bucket can have up to 5 entries") and grows. */
	err = batch_buf_alloc(&buf, map, 5);
	while (!err) {
		n = bpfdrv_map_sys_batch_bucket(map, batch, buf.keys, buf.values,
						min(max - total, buf.n), delete);
		if (n == -ENOENT && batch == start) {
			/* in_batch past the last bucket: nothing is written back */
			batch_buf_free(&buf);
			return -ENOENT;
		}
		if (n < 0) {
			err = n; /* -ENOENT: the walk passed the last bucket */
			break;
		}
		if (n > max - total) {
			err = total ? 0 : -ENOSPC;
			break;
		}
		if (n > buf.n) {
			batch_buf_free(&buf);
			err = batch_buf_alloc(&buf, map, n);
			continue;
		}
		if (copy_to_user(bpfdrv_u64_to_ptr(attr->keys + (u64)total * map->key_size), buf.keys,
				 (size_t)n * map->key_size) ||
		    copy_to_user(bpfdrv_u64_to_ptr(attr->values + (u64)total * vsize), buf.values,
				 (size_t)n * vsize))
			err = -EFAULT;
		total += n;
		batch++;
		cond_resched();
	}
	batch_buf_free(&buf);
	if (err == -ENOMEM || err == -EFAULT)
		return err;
	attr->count = total;
	if (copy_to_user(bpfdrv_u64_to_ptr(attr->out_batch), &batch, sizeof(batch)))
		return -EFAULT;
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
		err = update ? bpfdrv_map_sys_update(map, key, value, attr->elem_flags) :
			       bpfdrv_map_sys_delete(map, key);
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

	/* Lookups read, the others write (and read: lookup-and-delete) through the fd. */
	map = bpfdrv_map_from_fd_perm(attr->map_fd,
				      (op == BATCH_LOOKUP || op == BATCH_LOOKUP_AND_DELETE ? FMODE_READ : 0) |
				      (op != BATCH_LOOKUP ? FMODE_WRITE : 0));
	if (IS_ERR(map))
		return PTR_ERR(map);
	ok = map->ops->batch_bucket || (map_is_array(map) && (op == BATCH_LOOKUP || op == BATCH_UPDATE));
	if (!ok) {
		err = -ENOTSUPP;
		goto out;
	}
	err = -EINVAL;
	if (attr->flags || (attr->elem_flags & BPFDRV_F_LOCK))
		goto out;
	if (op == BATCH_LOOKUP && !map->ops->batch_bucket) {
		err = batch_lookup_keys(map, attr);
	} else if (op == BATCH_LOOKUP) {
		err = batch_lookup_buckets(map, attr, false);
	} else {
		err = bpfdrv_map_write_begin(map);
		if (err)
			goto out;
		if (op == BATCH_LOOKUP_AND_DELETE)
			err = batch_lookup_buckets(map, attr, true);
		else
			err = batch_update_delete(map, attr, op == BATCH_UPDATE);
		bpfdrv_map_write_end(map);
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
