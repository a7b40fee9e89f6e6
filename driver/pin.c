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
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	err = pin_path(attr->pathname, p->path);
	if (err)
		goto fail;
	file = fget(attr->bpf_fd);
	if (!file) {
		err = -EBADF;
		goto fail;
	}
	if (!pinnable(file)) {
		fput(file);
		err = -EINVAL;
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

int bpfdrv_cmd_obj_get(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_obj_pin_attr *attr = &uattr->pin;
	char path[PIN_PATH_MAX];
	struct file *file = NULL;
	struct pin *p;
	int err;

	/* BPF_F_RDONLY / BPF_F_WRONLY: not enforced on the shared file; others EINVAL. */
	if (attr->bpf_fd || attr->file_flags & ~(BPFDRV_F_RDONLY | BPFDRV_F_WRONLY))
		return -EINVAL;
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
	return bpfdrv_file_new_fd(file);
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
