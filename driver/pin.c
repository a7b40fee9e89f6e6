// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_OBJ_PIN / BPF_OBJ_GET without bpffs: old kernels have no bpf filesystem, so a pin
 * is a (path, file reference) pair kept here until unpinned or the module... cannot go:
 * each pinned file holds a module reference, so rmmod waits for the last unpin, as a
 * mounted bpffs keeps its objects alive. Paths live under /sys/fs/bpf/, where the hook
 * answers statfs with BPF_FS_MAGIC and turns unlink into BPFDRV_IOC_UNPIN; any other
 * path is EPERM, as the kernel answers for a path outside bpffs.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include "bpfdrv.h"
#include "compat.h"

#define PIN_ROOT "/sys/fs/bpf/"
#define PIN_PATH_MAX 256

struct pin {
	struct list_head node;
	struct file *file;
	char path[PIN_PATH_MAX];
};

static LIST_HEAD(pins);
static DEFINE_MUTEX(pins_lock);

/* Maps, programs and links can be pinned (the anon-inode names the kernel gives them). */
static bool pinnable(struct file *file)
{
	const char *name = (const char *)file->f_path.dentry->d_name.name;

	return file->f_op && file->f_op->owner == THIS_MODULE &&
	       (!strcmp(name, "bpf-map") || !strcmp(name, "bpf-prog") || !strcmp(name, "bpf_link"));
}

static int pin_path(u64 uptr, char *path)
{
	long n = strncpy_from_user(path, bpfdrv_u64_to_ptr(uptr), PIN_PATH_MAX);

	if (n < 0)
		return n;
	if (n == PIN_PATH_MAX)
		return -ENAMETOOLONG;
	if (strncmp(path, PIN_ROOT, strlen(PIN_ROOT)) || !path[strlen(PIN_ROOT)]) {
		bpfdrv_warn("pin path '%s' is not under " PIN_ROOT " (the emulated bpffs)\n", path);
		return -EPERM;
	}
	return 0;
}

static struct pin *pin_find(const char *path)
{
	struct pin *p;

	list_for_each_entry(p, &pins, node)
		if (!strcmp(p->path, path))
			return p;
	return NULL;
}

int bpfdrv_cmd_obj_pin(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_obj_pin_attr *attr = &uattr->pin;
	struct pin *p;
	struct file *file;
	int err;

	if (attr->file_flags)
		return -EINVAL;
	/* The object first, then the path; no object behind the fd is EINVAL (bpf_fd_probe_obj). */
	file = fget(attr->bpf_fd);
	if (!file)
		return -EINVAL;
	if (!pinnable(file)) {
		fput(file);
		return -EINVAL;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		fput(file);
		return -ENOMEM;
	}
	err = pin_path(attr->pathname, p->path);
	if (err) {
		fput(file);
		goto fail;
	}
	p->file = file;
	mutex_lock(&pins_lock);
	if (pin_find(p->path)) {
		mutex_unlock(&pins_lock);
		fput(file);
		err = -EEXIST;
		goto fail;
	}
	list_add(&p->node, &pins);
	mutex_unlock(&pins_lock);
	return 0;
fail:
	kfree(p);
	return err;
}

/*
 * An fd for the pinned @file (whose reference it owns), in the mode BPF_F_RDONLY /
 * BPF_F_WRONLY asked for (kernel: bpf_obj_get_user): a map gets a file of its own with
 * that mode, a link refuses any mode but read-write, a program ignores it.
 */
static int pin_new_fd(struct file *file, int f_flags)
{
	const char *name = (const char *)file->f_path.dentry->d_name.name;
	int fd;

	if (!strcmp(name, "bpf-map")) {
		fd = bpfdrv_map_file_new_fd(file, f_flags);
		fput(file);
		return fd;
	}
	if (!strcmp(name, "bpf_link") && f_flags != O_RDWR) {
		fput(file);
		return -EINVAL;
	}
	return bpfdrv_install_fd(file);
}

int bpfdrv_cmd_obj_get(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_obj_pin_attr *attr = &uattr->pin;
	char path[PIN_PATH_MAX];
	struct file *file = NULL;
	struct pin *p;
	int err, f_flags;

	if (attr->bpf_fd || attr->file_flags & ~(BPFDRV_F_RDONLY | BPFDRV_F_WRONLY))
		return -EINVAL;
	f_flags = bpfdrv_file_flag(attr->file_flags);
	if (f_flags < 0)
		return f_flags;
	err = pin_path(attr->pathname, path);
	if (err)
		return err;
	mutex_lock(&pins_lock);
	p = pin_find(path);
	if (p)
		file = get_file(p->file);
	mutex_unlock(&pins_lock);
	if (!file)
		return -ENOENT;
	return pin_new_fd(file, f_flags);
}

int bpfdrv_unpin(u64 pathname)
{
	char path[PIN_PATH_MAX];
	struct pin *p;
	int err = pin_path(pathname, path);

	if (err)
		return err;
	mutex_lock(&pins_lock);
	p = pin_find(path);
	if (p)
		list_del(&p->node);
	mutex_unlock(&pins_lock);
	if (!p)
		return -ENOENT;
	fput(p->file);
	kfree(p);
	return 0;
}
