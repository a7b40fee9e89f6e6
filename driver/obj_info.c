// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_OBJ_GET_INFO_BY_FD with the kernel's rules (kernel/bpf/syscall.c): the user's
 * info_len may be shorter (we fill that much) or longer (the extra bytes must be zero,
 * else E2BIG); info_len comes back as the bytes filled. Maps only so far; other fds
 * get EINVAL, which libbpf reads as "command not supported" where it is optional.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include "bpfdrv.h"

/* Bytes [from, to) of user memory are all zero? */
static int user_tail_zero(const u8 __user *p, u32 from, u32 to)
{
	u8 b;

	for (; from < to; from++) {
		if (get_user(b, p + from))
			return -EFAULT;
		if (b)
			return -E2BIG;
	}
	return 0;
}

static int map_get_info(struct bpfdrv_map *map, struct bpfdrv_info_attr *attr)
{
	u8 __user *uinfo = bpfdrv_u64_to_ptr(attr->info);
	struct bpfdrv_map_info info;
	u32 len = attr->info_len;
	int err;

	if (len > sizeof(info)) {
		/* Page-sized at most, like the kernel's bpf_check_uarg_tail_zero. */
		if (len > PAGE_SIZE)
			return -E2BIG;
		err = user_tail_zero(uinfo, sizeof(info), len);
		if (err)
			return err;
		len = sizeof(info);
	}
	memset(&info, 0, sizeof(info));
	info.type_ = map->map_type;
	info.key_size = map->key_size;
	info.value_size = map->value_size;
	info.max_entries = map->max_entries;
	info.map_flags = map->map_flags;
	memcpy(info.name, map->name, sizeof(info.name));
	if (copy_to_user(uinfo, &info, len))
		return -EFAULT;
	attr->info_len = len;
	return 0;
}

int bpfdrv_cmd_obj_get_info(union bpfdrv_attr *uattr)
{
	struct bpfdrv_info_attr *attr = &uattr->info;
	struct bpfdrv_map *map = bpfdrv_map_from_fd(attr->bpf_fd);
	int err;

	if (IS_ERR(map)) {
		if (PTR_ERR(map) == -EINVAL)
			bpfdrv_warn("BPF_OBJ_GET_INFO_BY_FD: fd %u is not a map (only maps are supported)\n",
				    attr->bpf_fd);
		return PTR_ERR(map);
	}
	err = map_get_info(map, attr);
	bpfdrv_map_put(map);
	return err;
}
