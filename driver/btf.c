// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_BTF_LOAD: BTF blobs are kept as objects (fds) after a header check. The module
 * does not interpret type information: programs are checked at run time, so BTF only
 * has to be accepted and kept for the tools that load and query it.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "bpfdrv.h"
#include "compat.h"
#include "stats.h"

#define BTF_MAX_SIZE (16u << 20)

/* <uapi/linux/btf.h>'s struct btf_header, which some kernels' headers pull in. */
struct bpfdrv_btf_header {
	u16 magic;
	u8 version;
	u8 flags;
	u32 hdr_len;
	u32 type_off, type_len, str_off, str_len;
};

struct bpfdrv_btf {
	void *data;
	u32 size, id;
	struct file *file;
};

static int bpfdrv_btf_release(struct inode *inode, struct file *file)
{
	struct bpfdrv_btf *btf = file->private_data;

	bpfdrv_id_remove(BPFDRV_ID_BTF, btf->id);
	bpfdrv_free_large(btf->data);
	kfree(btf);
	bpfdrv_stats_obj(BPFDRV_STAT_BTF, -1);
	return 0;
}

static const struct file_operations bpfdrv_btf_fops = {
	.owner = THIS_MODULE,
	.release = bpfdrv_btf_release,
	.llseek = noop_llseek,
};

static int btf_check_header(const void *data, u32 size)
{
	const struct bpfdrv_btf_header *h = data;
	u64 types_end, strs_end;

	if (size < sizeof(*h) || h->magic != BPFDRV_BTF_MAGIC || h->version != 1 || h->flags)
		return -EINVAL;
	if (h->hdr_len < sizeof(*h) || h->hdr_len > size)
		return -EINVAL;
	types_end = (u64)h->hdr_len + h->type_off + h->type_len;
	strs_end = (u64)h->hdr_len + h->str_off + h->str_len;
	if (types_end > size || strs_end > size || !h->str_len)
		return -EINVAL;
	return 0;
}

int bpfdrv_cmd_btf_load(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_btf_load_attr *attr = &uattr->btf_load;
	struct bpfdrv_btf *btf;
	int err, fd;

	if (attr->btf_size > BTF_MAX_SIZE)
		return -E2BIG;
	/* Not even a header (kernel: btf_parse_hdr's "hdr_len not found"). */
	if (!attr->btf_size)
		return -EINVAL;
	if (attr->btf_log_level && (!attr->btf_log_buf || attr->btf_log_size < 128))
		return -EINVAL;
	btf = kzalloc(sizeof(*btf), GFP_KERNEL);
	if (!btf)
		return -ENOMEM;
	btf->size = attr->btf_size;
	btf->data = bpfdrv_zalloc_large(btf->size);
	err = -ENOMEM;
	if (!btf->data)
		goto fail;
	err = -EFAULT;
	if (copy_from_user(btf->data, bpfdrv_u64_to_ptr(attr->btf), btf->size))
		goto fail;
	err = btf_check_header(btf->data, btf->size);
	if (err)
		goto fail;
	bpfdrv_stats_obj(BPFDRV_STAT_BTF, 1);
	/* As a link's: GET_FD_BY_ID takes it only once btf->file is set, before the fd is installed. */
	err = bpfdrv_id_alloc(BPFDRV_ID_BTF, btf, &btf->id);
	fd = err ? err : bpfdrv_new_fd_with_file("btf", &bpfdrv_btf_fops, btf, O_CLOEXEC, &btf->file);
	if (fd >= 0)
		return fd;
	bpfdrv_id_remove(BPFDRV_ID_BTF, btf->id);
	bpfdrv_stats_obj(BPFDRV_STAT_BTF, -1);
	err = fd;
fail:
	if (btf->data)
		bpfdrv_free_large(btf->data);
	kfree(btf);
	return err;
}

/* Called under the id lock, which btf->file is published under (see bpfdrv_link_tryget). */
int bpfdrv_btf_tryget(void *obj)
{
	struct bpfdrv_btf *btf = obj;

	return btf->file && bpfdrv_file_tryget(btf->file) ? 0 : -ENOENT;
}

int bpfdrv_btf_new_fd_by_id(void *obj, int f_flags)
{
	return bpfdrv_install_fd(((struct bpfdrv_btf *)obj)->file);
}

/*
 * The BTF object behind @fd with a file reference (programs and maps keep the BTF they
 * were loaded with, as the kernel's do, so its id stays valid), or NULL.
 */
struct file *bpfdrv_btf_fget(int fd, u32 *id)
{
	struct file *file = bpfdrv_fget_typed(fd, &bpfdrv_btf_fops, -EINVAL);

	if (IS_ERR(file))
		return NULL;
	*id = ((struct bpfdrv_btf *)file->private_data)->id;
	return file;
}

/* BPF_OBJ_GET_INFO_BY_FD on a BTF fd: id, size and (if room) the blob. NULL: not BTF. */
const void *bpfdrv_btf_from_file(struct file *file, u32 *size, u32 *id)
{
	struct bpfdrv_btf *btf;

	if (file->f_op != &bpfdrv_btf_fops)
		return NULL;
	btf = file->private_data;
	*size = btf->size;
	*id = btf->id;
	return btf->data;
}
