// SPDX-License-Identifier: GPL-2.0
/*
 * Object ids, as the kernel's idr per object kind: BPF_{PROG,MAP,LINK,BTF}_GET_NEXT_ID
 * and BPF_*_GET_FD_BY_ID (bpftool's `prog list`, `map list`, `link list`, `btf list`).
 * An id is allocated once the object is fully set up and removed, under ids_lock, before
 * it is freed, so a lookup that still finds the object can take a reference unless the
 * object's count already reached zero (then it is ENOENT, as in the kernel).
 * Maps and programs are refcounted objects: GET_FD_BY_ID opens a new file on them. Once
 * their id exists a lookup may hold them, so a creator whose fd cannot be installed
 * drops its reference instead of freeing (kernel: map_create, bpf_prog_load).
 * Links and BTF objects live as long as their one file: GET_FD_BY_ID installs another
 * descriptor for that file, which becomes findable (bpfdrv_id_publish_file) only just
 * before its own fd is installed; until then the creator may free the object directly.
 */
#include <linux/kernel.h>
#include <linux/idr.h>
#include <linux/file.h>
#include "bpfdrv.h"
#include "compat.h"

static DEFINE_IDR(bpfdrv_prog_idr);
static DEFINE_IDR(bpfdrv_map_idr);
static DEFINE_IDR(bpfdrv_link_idr);
static DEFINE_IDR(bpfdrv_btf_idr);
static DEFINE_SPINLOCK(ids_lock);

struct id_kind {
	const char *name;
	struct idr *idr;
	/*
	 * Take a reference on the object: 0, -ENOENT when it is being freed, -EBUSY when
	 * its count is at the limit (compat/refcount.h; Linux before 5.3 answered EBUSY
	 * at its BPF_MAX_REFCNT).
	 */
	int (*tryget)(void *obj);
	/* A new fd owning that reference (dropped on failure), opened with f_flags. */
	int (*new_fd)(void *obj, int f_flags);
};

int bpfdrv_install_fd(struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd < 0)
		fput(file);
	else
		fd_install(fd, file);
	return fd;
}

static const struct id_kind id_kinds[BPFDRV_ID_KINDS] = {
	[BPFDRV_ID_PROG] = { "prog", &bpfdrv_prog_idr, bpfdrv_prog_tryget, bpfdrv_prog_new_fd },
	[BPFDRV_ID_MAP] = { "map", &bpfdrv_map_idr, bpfdrv_map_tryget, bpfdrv_map_new_fd },
	[BPFDRV_ID_LINK] = { "link", &bpfdrv_link_idr, bpfdrv_link_tryget, bpfdrv_link_new_fd_by_id },
	[BPFDRV_ID_BTF] = { "btf", &bpfdrv_btf_idr, bpfdrv_btf_tryget, bpfdrv_btf_new_fd_by_id },
};

/* @obj becomes findable by its new id, which is in *@id before any lookup can see it. */
int bpfdrv_id_alloc(enum bpfdrv_id_kind kind, void *obj, u32 *id)
{
	int ret;

	idr_preload(GFP_KERNEL);
	spin_lock_bh(&ids_lock);
	ret = idr_alloc_cyclic(id_kinds[kind].idr, obj, 1, INT_MAX, GFP_ATOMIC);
	if (ret > 0)
		*id = ret;
	spin_unlock_bh(&ids_lock);
	idr_preload_end();
	return ret < 0 ? ret : 0;
}

/*
 * A link or BTF object's file, found by the tryget of GET_FD_BY_ID from now on: set
 * under the lock lookups read it with, once the file is complete, before its fd is
 * installed (kernel: bpf_link_settle).
 */
void bpfdrv_id_publish_file(struct file **slot, struct file *file)
{
	spin_lock_bh(&ids_lock);
	*slot = file;
	spin_unlock_bh(&ids_lock);
}

void bpfdrv_id_remove(enum bpfdrv_id_kind kind, u32 id)
{
	if (!id)
		return;
	spin_lock_bh(&ids_lock);
	idr_remove(id_kinds[kind].idr, id);
	spin_unlock_bh(&ids_lock);
}

void bpfdrv_ids_exit(void)
{
	int i;

	for (i = 0; i < BPFDRV_ID_KINDS; i++)
		idr_destroy(id_kinds[i].idr);
}

/* BPF_*_GET_NEXT_ID: the smallest id above start_id (kernel: bpf_obj_get_next_id). */
static int get_next_id(union bpfdrv_attr *uattr, enum bpfdrv_id_kind kind)
{
	struct bpfdrv_get_id_attr *attr = &uattr->get_id;
	int next;

	if (attr->id >= INT_MAX)
		return -EINVAL;
	next = attr->id + 1;
	spin_lock_bh(&ids_lock);
	if (!idr_get_next(id_kinds[kind].idr, &next))
		next = -ENOENT;
	spin_unlock_bh(&ids_lock);
	if (next < 0)
		return next;
	attr->next_id = next;
	return 0;
}

static int get_fd_by_id(union bpfdrv_attr *uattr, enum bpfdrv_id_kind kind)
{
	const struct bpfdrv_get_id_attr *attr = &uattr->get_id;
	const struct id_kind *k = &id_kinds[kind];
	void *obj;
	int f_flags, err = -ENOENT;

	/*
	 * Only maps take open_flags, the new fd's mode (BPF_F_RDONLY or BPF_F_WRONLY): the
	 * command table's last field refuses them for the other kinds.
	 */
	if (attr->open_flags & ~(BPFDRV_F_RDONLY | BPFDRV_F_WRONLY))
		return -EINVAL;
	f_flags = bpfdrv_file_flag(attr->open_flags);
	if (f_flags < 0)
		return f_flags;
	spin_lock_bh(&ids_lock);
	obj = idr_find(k->idr, attr->id);
	if (obj)
		err = k->tryget(obj);
	spin_unlock_bh(&ids_lock);
	if (err)
		return err;
	return k->new_fd(obj, f_flags);
}

int bpfdrv_cmd_prog_get_next_id(union bpfdrv_attr *a) { return get_next_id(a, BPFDRV_ID_PROG); }
int bpfdrv_cmd_map_get_next_id(union bpfdrv_attr *a) { return get_next_id(a, BPFDRV_ID_MAP); }
int bpfdrv_cmd_link_get_next_id(union bpfdrv_attr *a) { return get_next_id(a, BPFDRV_ID_LINK); }
int bpfdrv_cmd_btf_get_next_id(union bpfdrv_attr *a) { return get_next_id(a, BPFDRV_ID_BTF); }
int bpfdrv_cmd_prog_get_fd_by_id(union bpfdrv_attr *a) { return get_fd_by_id(a, BPFDRV_ID_PROG); }
int bpfdrv_cmd_map_get_fd_by_id(union bpfdrv_attr *a) { return get_fd_by_id(a, BPFDRV_ID_MAP); }
int bpfdrv_cmd_link_get_fd_by_id(union bpfdrv_attr *a) { return get_fd_by_id(a, BPFDRV_ID_LINK); }
int bpfdrv_cmd_btf_get_fd_by_id(union bpfdrv_attr *a) { return get_fd_by_id(a, BPFDRV_ID_BTF); }
