/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files and paths: a path's real inode, file references, show_fdinfo.
 */
#ifndef BPFDRV_COMPAT_FS_H
#define BPFDRV_COMPAT_FS_H

#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/path.h>
#include <linux/seq_file.h>
#include "base.h"

/*
 * The inode behind a path (through overlayfs, as the kernel's uprobe_events do).
 * RHEL 7.9 has d_real_inode too, but the version decides: a feature
 * probe would move CentOS 7 off the path it is tested with.
 */
static inline struct inode *bpfdrv_path_inode(const struct path *path)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 8, 0)
	return d_real_inode(path->dentry);
#else
	return path->dentry->d_inode;
#endif
}

/* A reference on a file unless its count already dropped to zero (it is being released). */
static inline bool bpfdrv_file_tryget(struct file *file)
{
	return atomic_long_inc_not_zero(&file->f_count);
}

/*
 * file_operations.show_fdinfo: 3.8+; its return type became void in 4.14 (int before).
 * BPFDRV_SHOW_FDINFO(fn) sets it to a void fn; before 4.14 to fn's int-returning wrapper
 * fn_int, which BPFDRV_SHOW_FDINFO_INT(fn) defines next to fn.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 14, 0)
#define BPFDRV_SHOW_FDINFO(fn) .show_fdinfo = fn,
#define BPFDRV_SHOW_FDINFO_INT(fn)
#else
#define BPFDRV_SHOW_FDINFO(fn) .show_fdinfo = fn##_int,
#define BPFDRV_SHOW_FDINFO_INT(fn)					\
int fn##_int(struct seq_file *m, struct file *file)			\
{									\
	fn(m, file);							\
	return 0;							\
}
#endif

/*
 * DEFINE_SHOW_ATTRIBUTE(name): name_fops, a single_open seq file showing name_show with
 * the inode's private data. 4.16+ and RHEL 7.9 have it; the same for the kernels between.
 */
#ifndef DEFINE_SHOW_ATTRIBUTE
#define DEFINE_SHOW_ATTRIBUTE(__name)					\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name ## _show, inode->i_private);	\
}									\
									\
static const struct file_operations __name ## _fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= __name ## _open,				\
	.read		= seq_read,					\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}
#endif

#endif /* BPFDRV_COMPAT_FS_H */
