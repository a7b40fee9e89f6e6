// SPDX-License-Identifier: GPL-2.0
/* Objects are real file descriptors (anon inodes), like native BPF objects. */
#include <linux/anon_inodes.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "bpfdrv.h"

/*
 * A new fd owning the caller's reference on @priv. Once it is installed user space may
 * close it at once and the object may be gone: callers touch @priv after a success only
 * through a reference of their own.
 */
int bpfdrv_new_fd(const char *name, const struct file_operations *fops, void *priv, int flags)
{
	return bpfdrv_new_fd_mode(name, fops, priv, O_RDWR | flags);
}

/* The same with the access mode in @flags (O_RDONLY, O_WRONLY or O_RDWR). */
int bpfdrv_new_fd_mode(const char *name, const struct file_operations *fops, void *priv, int flags)
{
	return anon_inode_getfd(name, fops, priv, flags);
}

int bpfdrv_new_fd_with_file(const char *name, const struct file_operations *fops, void *priv,
			    int flags, struct file **filep)
{
	struct file *file;
	int fd = get_unused_fd_flags(flags);

	if (fd < 0)
		return fd;
	file = anon_inode_getfile(name, fops, priv, O_RDWR | flags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	bpfdrv_id_publish_file(filep, file);
	/* From here user space may close the fd: nothing may touch @priv after it. */
	fd_install(fd, file);
	return fd;
}

void *bpfdrv_fd_object(int fd, const struct file_operations *fops, int (*get)(void *))
{
	return bpfdrv_fd_object_mode(fd, fops, get, NULL);
}

void *bpfdrv_fd_object_mode(int fd, const struct file_operations *fops, int (*get)(void *),
			    fmode_t *mode)
{
	struct file *file = bpfdrv_fget_typed(fd, fops, -EINVAL);
	void *obj;
	int err;

	if (IS_ERR(file))
		return ERR_CAST(file);
	err = get(file->private_data);
	obj = err ? ERR_PTR(err) : file->private_data;
	if (!err && mode)
		*mode = file->f_mode;
	fput(file);
	return obj;
}

struct file *bpfdrv_fget_typed(int fd, const struct file_operations *fops, int wrong_type)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != fops) {
		fput(file);
		return ERR_PTR(wrong_type);
	}
	return file;
}

/*
 * The fd access mode BPF_F_RDONLY / BPF_F_WRONLY ask for (MAP_CREATE's map_flags,
 * OBJ_GET's file_flags, MAP_GET_FD_BY_ID's open_flags); both at once is EINVAL
 * (kernel: bpf_get_file_flag).
 */
int bpfdrv_file_flag(u32 flags)
{
	if ((flags & BPFDRV_F_RDONLY) && (flags & BPFDRV_F_WRONLY))
		return -EINVAL;
	if (flags & BPFDRV_F_RDONLY)
		return O_RDONLY;
	if (flags & BPFDRV_F_WRONLY)
		return O_WRONLY;
	return O_RDWR;
}

/* The kernel's bpf_obj_name_cpy checks, for map_name and prog_name. */
int bpfdrv_obj_name_check(const u8 *name, u32 size)
{
	u32 i;

	for (i = 0; i < size && name[i]; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '.')
			return -EINVAL;
	return i == size ? -EINVAL : 0;
}

void *bpfdrv_copy_from_user_alloc(u64 uptr, u32 size)
{
	void *buf = kmalloc(size ? size : 1, GFP_KERNEL | __GFP_NOWARN);

	if (!buf)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(buf, bpfdrv_u64_to_ptr(uptr), size)) {
		kfree(buf);
		return ERR_PTR(-EFAULT);
	}
	return buf;
}
