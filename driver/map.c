// SPDX-License-Identifier: GPL-2.0
/*
 * The map layer: create, fd lifetime and the syscall element commands. It dispatches
 * through each type's bpfdrv_map_ops and never knows a map type by name.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/file.h>
#include <linux/poll.h>
#include "bpfdrv.h"
#include "compat.h"
#include "stats.h"

static const struct bpfdrv_map_ops *const bpfdrv_map_types[BPFDRV_MAP_TYPE_MAX] = {
	[BPFDRV_MAP_TYPE_HASH] = &bpfdrv_hash_ops,
	[BPFDRV_MAP_TYPE_ARRAY] = &bpfdrv_array_ops,
	[BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY] = &bpfdrv_perf_event_array_ops,
	[BPFDRV_MAP_TYPE_CGROUP_ARRAY] = &bpfdrv_cgroup_array_ops,
	[BPFDRV_MAP_TYPE_RINGBUF] = &bpfdrv_ringbuf_ops,
	[BPFDRV_MAP_TYPE_PERCPU_HASH] = &bpfdrv_percpu_hash_ops,
	[BPFDRV_MAP_TYPE_PERCPU_ARRAY] = &bpfdrv_percpu_array_ops,
	[BPFDRV_MAP_TYPE_LRU_HASH] = &bpfdrv_lru_hash_ops,
	[BPFDRV_MAP_TYPE_LRU_PERCPU_HASH] = &bpfdrv_lru_percpu_hash_ops,
	[BPFDRV_MAP_TYPE_QUEUE] = &bpfdrv_queue_ops,
	[BPFDRV_MAP_TYPE_STACK] = &bpfdrv_stack_ops,
	[BPFDRV_MAP_TYPE_BLOOM_FILTER] = &bpfdrv_bloom_filter_ops,
	[BPFDRV_MAP_TYPE_STACK_TRACE] = &bpfdrv_stack_trace_ops,
	[BPFDRV_MAP_TYPE_PROG_ARRAY] = &bpfdrv_prog_array_ops,
	[BPFDRV_MAP_TYPE_LPM_TRIE] = &bpfdrv_lpm_trie_ops,
	[BPFDRV_MAP_TYPE_ARRAY_OF_MAPS] = &bpfdrv_array_of_maps_ops,
	[BPFDRV_MAP_TYPE_HASH_OF_MAPS] = &bpfdrv_hash_of_maps_ops,
};

void bpfdrv_map_init(struct bpfdrv_map *map, const struct bpfdrv_map_create_attr *attr,
		     const struct bpfdrv_map_ops *ops)
{
	map->ops = ops;
	bpfdrv_ref_init(&map->refcnt);
	atomic_set(&map->usercnt, 1);
	map->id = 0;
	map->btf_file = NULL;
	map->btf_id = map->btf_key_type_id = map->btf_value_type_id = 0;
	map->map_type = attr->map_type;
	map->key_size = attr->key_size;
	map->value_size = attr->value_size;
	map->max_entries = attr->max_entries;
	map->map_flags = attr->map_flags;
	memcpy(map->name, attr->map_name, sizeof(map->name));
	map->name[sizeof(map->name) - 1] = 0;
	mutex_init(&map->freeze_mutex);
	atomic_set(&map->writable_mmaps, 0);
	atomic_set(&map->sys_writers, 0);
	map->eref.map = map;
	map->eref.key_size = map->key_size;
	map->eref.value_size = map->value_size;
	map->eref.value_readonly = !!(map->map_flags & BPFDRV_F_RDONLY_PROG);
	map->eref.value_writeonly = !!(map->map_flags & BPFDRV_F_WRONLY_PROG);
	map->eref.values_are_maps = map->ops->lookup_returns_map;
}

int bpfdrv_map_get(struct bpfdrv_map *map)
{
	return bpfdrv_ref_get(&map->refcnt);
}

void bpfdrv_map_put(struct bpfdrv_map *map)
{
	if (bpfdrv_ref_put(&map->refcnt)) {
		bpfdrv_id_remove(BPFDRV_ID_MAP, map->id);
		if (map->btf_file)
			fput(map->btf_file);
		/* Programs using it are gone; wait out any element access still in flight. */
		bpfdrv_synchronize();
		bpfdrv_stats_obj(BPFDRV_STAT_MAP, -1);
		map->ops->free(map);
	}
}

static int bpfdrv_map_get_any(void *map)
{
	return bpfdrv_map_get(map);
}

/* A file's two references: the last file (GET_FD_BY_ID opens more) releases the user part. */
static void bpfdrv_map_put_with_uref(struct bpfdrv_map *map)
{
	if (atomic_dec_and_test(&map->usercnt) && map->ops->release_uref)
		map->ops->release_uref(map);
	bpfdrv_map_put(map);
}

static int bpfdrv_map_release(struct inode *inode, struct file *file)
{
	bpfdrv_map_put_with_uref(file->private_data);
	return 0;
}

static void bpfdrv_map_vma_open(struct vm_area_struct *vma)
{
	struct bpfdrv_map *map = vma->vm_file->private_data;

	if (vma->vm_flags & VM_MAYWRITE)
		atomic_inc(&map->writable_mmaps);
}

static void bpfdrv_map_vma_close(struct vm_area_struct *vma)
{
	struct bpfdrv_map *map = vma->vm_file->private_data;

	if (vma->vm_flags & VM_MAYWRITE)
		atomic_dec(&map->writable_mmaps);
}

static const struct vm_operations_struct bpfdrv_map_vm_ops = {
	.open = bpfdrv_map_vma_open,
	.close = bpfdrv_map_vma_close,
};

static int bpfdrv_map_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct bpfdrv_map *map = file->private_data;
	int err;

	if (!map->ops->mmap || (!(map->map_flags & BPFDRV_F_MMAPABLE) && !map->ops->mmap_always))
		return -ENODEV;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&map->freeze_mutex);
	if ((vma->vm_flags & VM_WRITE) && map->frozen) {
		mutex_unlock(&map->freeze_mutex);
		return -EPERM;
	}
	/* A read-only mapping must not become writable later through mprotect. */
	if (!(vma->vm_flags & VM_WRITE))
		bpfdrv_vm_flags_clear(vma, VM_MAYWRITE);
	err = map->ops->mmap(map, vma);
	if (!err) {
		vma->vm_ops = &bpfdrv_map_vm_ops;
		bpfdrv_map_vma_open(vma);
	}
	mutex_unlock(&map->freeze_mutex);
	return err;
}

static unsigned int bpfdrv_map_poll(struct file *file, struct poll_table_struct *wait)
{
	struct bpfdrv_map *map = file->private_data;

	if (map->ops->poll)
		return map->ops->poll(map, file, wait);
	return POLLERR;
}

static const struct file_operations bpfdrv_map_fops = {
	.owner = THIS_MODULE,
	BPFDRV_SHOW_FDINFO(bpfdrv_map_show_fdinfo)
	.release = bpfdrv_map_release,
	.mmap = bpfdrv_map_mmap,
	.poll = bpfdrv_map_poll,
	.llseek = noop_llseek,
};

/*
 * bpf_for_each_map_elem over an array (plain or per-CPU): every index in order, key =
 * the u32 index (in the engine's key buffer), value = what a program lookup returns.
 */
bool bpfdrv_array_elem_iter_next(struct ebpf_run *run, void *map,
				u64 *cursor, u64 *key_buf, void **key, void **value)
{
	struct bpfdrv_map *m = map;
	u32 index = (u32)*cursor;

	if (*cursor >= m->max_entries)
		return false;
	*key_buf = 0;
	memcpy(key_buf, &index, sizeof(index));
	*key = key_buf;
	*value = m->ops->lookup(m, key_buf);
	(*cursor)++;
	return *value != NULL;
}

struct bpfdrv_map *bpfdrv_map_from_fd(int fd)
{
	return bpfdrv_fd_object(fd, &bpfdrv_map_fops, bpfdrv_map_get_any);
}

/*
 * A map fd's mode is what BPF_F_RDONLY / BPF_F_WRONLY asked for when it was opened
 * (MAP_CREATE, OBJ_GET, MAP_GET_FD_BY_ID), and a frozen map is read-only to every fd
 * (kernel: map_get_sys_perms). Writers check again in bpfdrv_map_write_begin: this
 * early check gives Linux's EPERM before any key or value is read.
 */
struct bpfdrv_map *bpfdrv_map_from_fd_perm(int fd, fmode_t need)
{
	fmode_t mode = 0;
	struct bpfdrv_map *map = bpfdrv_fd_object_mode(fd, &bpfdrv_map_fops, bpfdrv_map_get_any, &mode);

	if (IS_ERR(map))
		return map;
	if (READ_ONCE(map->frozen))
		mode &= ~FMODE_WRITE;
	if ((mode & need) != need) {
		bpfdrv_map_put(map);
		return ERR_PTR(-EPERM);
	}
	return map;
}

/* Under the id lock: a reference and a user reference unless the map is being freed. */
int bpfdrv_map_tryget(void *obj)
{
	struct bpfdrv_map *map = obj;
	int err = bpfdrv_ref_get_not_zero(&map->refcnt);

	if (!err)
		atomic_inc(&map->usercnt);
	return err;
}

/* A new file owning the references bpfdrv_map_tryget took (dropped on failure). */
int bpfdrv_map_new_fd(void *obj, int f_flags)
{
	struct bpfdrv_map *map = obj;
	int fd = bpfdrv_new_fd_mode("bpf-map", &bpfdrv_map_fops, map, f_flags | O_CLOEXEC);

	if (fd < 0)
		bpfdrv_map_put_with_uref(map);
	return fd;
}

/* Each OBJ_GET opens its own file, whose mode is the caller's (kernel: bpf_map_new_fd). */
int bpfdrv_map_file_new_fd(struct file *file, int f_flags)
{
	struct bpfdrv_map *map = file->private_data;
	/* The pinned file holds both references: taking more cannot race with the last put. */
	int err = bpfdrv_map_get(map);

	if (err)
		return err;	/* at the reference limit */
	atomic_inc(&map->usercnt);
	return bpfdrv_map_new_fd(map, f_flags);
}

int bpfdrv_cmd_map_create(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_create_attr *attr = &uattr->map_create;
	const struct bpfdrv_map_ops *ops = NULL;
	struct bpfdrv_map *map;
	u32 known_flags = BPFDRV_F_NO_PREALLOC | BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY |
			  BPFDRV_F_WRONLY | BPFDRV_F_ZERO_SEED | BPFDRV_F_RDONLY_PROG |
			  BPFDRV_F_WRONLY_PROG | BPFDRV_F_MMAPABLE | BPFDRV_F_PRESERVE_ELEMS |
			  BPFDRV_F_NO_COMMON_LRU;
	int err, f_flags;

	if (attr->map_type < BPFDRV_MAP_TYPE_MAX)
		ops = bpfdrv_map_types[attr->map_type];
	if (!ops) {
		bpfdrv_warn("map type %u is not supported\n", attr->map_type);
		return -EINVAL;
	}
	if (attr->map_flags & ~known_flags)
		return -EINVAL;
	/* Programs may not be both refused reads and writes (kernel: bpf_map_flags_access_ok). */
	if ((attr->map_flags & BPFDRV_F_RDONLY_PROG) && (attr->map_flags & BPFDRV_F_WRONLY_PROG))
		return -EINVAL;
	/* BPF_F_RDONLY / BPF_F_WRONLY: the creator's fd mode, not the map's. */
	f_flags = bpfdrv_file_flag(attr->map_flags);
	if (f_flags < 0)
		return f_flags;
	if ((attr->map_flags & BPFDRV_F_PRESERVE_ELEMS) &&
	    attr->map_type != BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	if (attr->map_ifindex || attr->btf_vmlinux_value_type_id)
		return -EOPNOTSUPP;
	err = bpfdrv_obj_name_check(attr->map_name, sizeof(attr->map_name));
	if (err)
		return err;

	map = ops->alloc(attr);
	if (IS_ERR(map))
		return PTR_ERR(map);
	bpfdrv_stats_obj(BPFDRV_STAT_MAP, 1);
	if (attr->btf_fd && attr->btf_value_type_id) {
		map->btf_file = bpfdrv_btf_fget(attr->btf_fd, &map->btf_id);
		map->btf_key_type_id = attr->btf_key_type_id;
		map->btf_value_type_id = attr->btf_value_type_id;
	}
	err = bpfdrv_id_alloc(BPFDRV_ID_MAP, map, &map->id);
	if (err) {
		/* map->id is 0: the map was never findable, put frees it directly. */
		bpfdrv_map_put_with_uref(map);
		return err;
	}
	/*
	 * The map is findable: GET_FD_BY_ID may hold it already. When no fd can be installed
	 * (EMFILE), drop the creator's references like any other holder (kernel: map_create).
	 */
	return bpfdrv_map_new_fd(map, f_flags);
}

static u32 bpfdrv_map_sys_value_size(const struct bpfdrv_map *map)
{
	return map->ops->sys_value_size ? map->ops->sys_value_size(map) : map->value_size;
}

/* Syscall-side element access: the map from attr->map_fd, key and value buffers. */
struct bpfdrv_elem_op {
	struct bpfdrv_map *map;
	void *key, *value;
	u32 value_size;
};

/* The map of attr->map_fd, if the fd's mode allows @need (bpfdrv_map_from_fd_perm). */
static int bpfdrv_elem_op_map(struct bpfdrv_elem_op *op, const struct bpfdrv_map_elem_attr *attr,
			      fmode_t need)
{
	memset(op, 0, sizeof(*op));
	op->map = bpfdrv_map_from_fd_perm(attr->map_fd, need);
	return IS_ERR(op->map) ? PTR_ERR(op->map) : 0;
}

/* Which way the value buffer goes: filled by the command, or copied from the caller. */
enum bpfdrv_elem_value {
	BPFDRV_VALUE_OUT,
	BPFDRV_VALUE_IN,
};

/* Then the key (when the map has keys) and value buffers. */
static int bpfdrv_elem_op_bufs(struct bpfdrv_elem_op *op, const struct bpfdrv_map_elem_attr *attr,
			       enum bpfdrv_elem_value value)
{
	/* Keyless maps (queue, stack, bloom filter) take no key pointer (Linux: EINVAL). */
	if (!op->map->key_size && attr->key)
		return -EINVAL;
	if (op->map->key_size) {
		op->key = bpfdrv_copy_from_user_alloc(attr->key, op->map->key_size);
		if (IS_ERR(op->key)) {
			int err = PTR_ERR(op->key);

			op->key = NULL;
			return err;
		}
	}
	op->value_size = bpfdrv_map_sys_value_size(op->map);
	if (value == BPFDRV_VALUE_IN)
		op->value = bpfdrv_copy_from_user_alloc(attr->value, op->value_size);
	else
		op->value = bpfdrv_zalloc_large(op->value_size);
	if (IS_ERR_OR_NULL(op->value)) {
		int err = op->value ? PTR_ERR(op->value) : -ENOMEM;

		op->value = NULL;
		return err;
	}
	return 0;
}

static void bpfdrv_elem_op_end(struct bpfdrv_elem_op *op)
{
	kfree(op->key);
	if (op->value)
		bpfdrv_free_large(op->value);
	if (!IS_ERR_OR_NULL(op->map))
		bpfdrv_map_put(op->map);
}

/* kfree of a buffer from bpfdrv_copy_from_user_alloc vs bpfdrv_zalloc_large: both kvfree-able. */

int bpfdrv_cmd_map_lookup(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_elem_attr *attr = &uattr->elem;
	struct bpfdrv_elem_op op;
	int err;

	if (attr->flags & ~BPFDRV_F_LOCK)
		return -EINVAL;
	err = bpfdrv_elem_op_map(&op, attr, FMODE_READ);
	if (err)
		goto out;
	/* No map here has a bpf_spin_lock in its value: BPF_F_LOCK is invalid (Linux). */
	err = attr->flags ? -EINVAL : bpfdrv_elem_op_bufs(&op, attr, BPFDRV_VALUE_OUT);
	if (err)
		goto out;
	/* A bloom filter is asked about the value user space passes in. */
	if (op.map->ops->sys_lookup_value_in &&
	    copy_from_user(op.value, bpfdrv_u64_to_ptr(attr->value), op.value_size)) {
		err = -EFAULT;
		goto out;
	}
	err = bpfdrv_map_sys_lookup(op.map, op.key, op.value, op.value_size);
	if (!err && copy_to_user(bpfdrv_u64_to_ptr(attr->value), op.value, op.value_size))
		err = -EFAULT;
out:
	bpfdrv_elem_op_end(&op);
	return err;
}

/*
 * A syscall-side write (update, delete, lookup-and-delete, batches) runs between these,
 * as Linux's bpf_map_write_active_inc/dec: never while the map is frozen, and a freeze
 * fails with EBUSY while one runs. Not freeze_mutex: batches copy from and to user
 * memory while writing, a fault there takes mmap_lock, and mmap takes freeze_mutex
 * under mmap_lock (lockdep found the inversion). Each side publishes its own flag
 * before reading the other's, behind a full barrier, so at least one sees the other.
 */
int bpfdrv_map_write_begin(struct bpfdrv_map *map)
{
	atomic_inc(&map->sys_writers);
	smp_mb(); /* pairs with bpfdrv_cmd_map_freeze() */
	if (READ_ONCE(map->frozen)) {
		atomic_dec(&map->sys_writers);
		return -EPERM;
	}
	return 0;
}

void bpfdrv_map_write_end(struct bpfdrv_map *map)
{
	atomic_dec(&map->sys_writers);
}

int bpfdrv_cmd_map_update(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_elem_attr *attr = &uattr->elem;
	struct bpfdrv_elem_op op;
	int err;

	err = bpfdrv_elem_op_map(&op, attr, FMODE_WRITE);
	if (err)
		goto out;
	err = attr->flags & BPFDRV_F_LOCK ? -EINVAL : bpfdrv_elem_op_bufs(&op, attr, BPFDRV_VALUE_IN);
	if (err)
		goto out;
	err = bpfdrv_map_write_begin(op.map);
	if (!err) {
		err = bpfdrv_map_sys_update(op.map, op.key, op.value, attr->flags);
		bpfdrv_map_write_end(op.map);
	}
out:
	bpfdrv_elem_op_end(&op);
	return err;
}

int bpfdrv_cmd_map_delete(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_elem_attr *attr = &uattr->elem;
	struct bpfdrv_map *map = bpfdrv_map_from_fd_perm(attr->map_fd, FMODE_WRITE);
	void *key;
	int err;

	if (IS_ERR(map))
		return PTR_ERR(map);
	key = bpfdrv_copy_from_user_alloc(attr->key, map->key_size);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
		goto out;
	}
	/* Frozen since bpfdrv_map_from_fd_perm looked? */
	err = bpfdrv_map_write_begin(map);
	if (!err) {
		err = bpfdrv_map_sys_delete(map, key);
		bpfdrv_map_write_end(map);
	}
	kfree(key);
out:
	bpfdrv_map_put(map);
	return err;
}

int bpfdrv_cmd_map_get_next_key(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_map_elem_attr *attr = &uattr->elem;
	struct bpfdrv_map *map = bpfdrv_map_from_fd_perm(attr->map_fd, FMODE_READ);
	void *key = NULL, *next;
	int err;

	if (IS_ERR(map))
		return PTR_ERR(map);
	if (attr->key) {
		key = bpfdrv_copy_from_user_alloc(attr->key, map->key_size);
		if (IS_ERR(key)) {
			err = PTR_ERR(key);
			goto out;
		}
	}
	next = kzalloc(map->key_size, GFP_KERNEL);
	if (!next) {
		err = -ENOMEM;
		goto out_key;
	}
	err = bpfdrv_map_sys_get_next_key(map, key, next);
	if (!err && copy_to_user(bpfdrv_u64_to_ptr(attr->value), next, map->key_size))
		err = -EFAULT;
	kfree(next);
out_key:
	if (!IS_ERR_OR_NULL(key))
		kfree(key);
out:
	bpfdrv_map_put(map);
	return err;
}

int bpfdrv_cmd_map_freeze(union bpfdrv_attr *uattr)
{
	struct bpfdrv_map *map = bpfdrv_map_from_fd(uattr->elem.map_fd);
	int err = 0;

	if (IS_ERR(map))
		return PTR_ERR(map);
	mutex_lock(&map->freeze_mutex);
	if (atomic_read(&map->writable_mmaps) || map->frozen) {
		err = -EBUSY;
	} else {
		/*
		 * Frozen first, then no writer may be running (bpfdrv_map_write_begin).
		 * Program loads and mmap read frozen under freeze_mutex: they never see
		 * a freeze that is taken back here.
		 */
		WRITE_ONCE(map->frozen, true);
		smp_mb(); /* pairs with bpfdrv_map_write_begin() */
		if (atomic_read(&map->sys_writers)) {
			WRITE_ONCE(map->frozen, false);
			err = -EBUSY;
		}
	}
	mutex_unlock(&map->freeze_mutex);
	bpfdrv_map_put(map);
	return err;
}
