// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_OBJ_GET_INFO_BY_FD with the kernel's rules (kernel/bpf/syscall.c): the user's
 * info_len may be shorter (we fill that much) or longer (the extra bytes must be zero,
 * else E2BIG); info_len comes back as the bytes filled. Maps, programs, links and BTF
 * objects; any other fd is EINVAL, as in the kernel.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/file.h>
#include "bpfdrv.h"

/*
 * Bytes [from, to) of user memory are all zero? Byte by byte, not bpfdrv_user_tail_zero's
 * 64-byte copies: a nonzero byte before an unmapped page is E2BIG here, as the kernel's
 * word-wise check_zeroed_user answers, where a chunked copy would fault first.
 */
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

/* The length the kernel fills: min(info_len, size), after the tail-zero check. */
static int info_len(struct bpfdrv_info_attr *attr, u32 size, u32 *len)
{
	int err;

	*len = attr->info_len;
	if (*len > size) {
		/* Page-sized at most, like the kernel's bpf_check_uarg_tail_zero. */
		if (*len > PAGE_SIZE)
			return -E2BIG;
		err = user_tail_zero(bpfdrv_u64_to_ptr(attr->info), size, *len);
		if (err)
			return err;
		*len = size;
	}
	return 0;
}

/* Copy back the first @len bytes of the info and say how many. */
static int info_done(struct bpfdrv_info_attr *attr, const void *info, u32 len)
{
	if (copy_to_user(bpfdrv_u64_to_ptr(attr->info), info, len))
		return -EFAULT;
	attr->info_len = len;
	return 0;
}

/* An array the caller asked for in the info (pointer + count): copy min(count, n) items. */
static int info_array(u64 uptr, u32 user_cnt, const void *src, u32 n, u32 item)
{
	if (!uptr || !user_cnt)
		return 0;
	return copy_to_user(bpfdrv_u64_to_ptr(uptr), src, (size_t)min(user_cnt, n) * item) ? -EFAULT : 0;
}

static int map_get_info(struct bpfdrv_map *map, struct bpfdrv_info_attr *attr)
{
	struct bpfdrv_map_info info;
	u32 len;
	int err = info_len(attr, sizeof(info), &len);

	if (err)
		return err;
	memset(&info, 0, sizeof(info));
	info.type_ = map->map_type;
	info.id = map->id;
	info.key_size = map->key_size;
	info.value_size = map->value_size;
	info.max_entries = map->max_entries;
	info.map_flags = map->map_flags;
	memcpy(info.name, map->name, sizeof(info.name));
	info.btf_id = map->btf_id;
	info.btf_key_type_id = map->btf_key_type_id;
	info.btf_value_type_id = map->btf_value_type_id;
	return info_done(attr, &info, len);
}

static int prog_get_info(struct bpfdrv_prog *prog, struct bpfdrv_info_attr *attr)
{
	struct bpfdrv_prog_info info, req;
	u32 len, n_ids;
	u32 ids[64];
	int err = info_len(attr, sizeof(info), &len);

	if (err)
		return err;
	/* The request's in/out fields (array pointers and their lengths). */
	memset(&req, 0, sizeof(req));
	if (copy_from_user(&req, bpfdrv_u64_to_ptr(attr->info), len))
		return -EFAULT;
	memset(&info, 0, sizeof(info));
	info.type_ = prog->type;
	info.id = prog->id;
	memcpy(info.tag, prog->tag, sizeof(info.tag));
	info.load_time = prog->load_time;
	info.created_by_uid = prog->uid;
	memcpy(info.name, prog->name, sizeof(info.name));
	info.flags = prog->gpl_compatible;
	info.run_time_ns = atomic64_read(&prog->run_time_ns);
	info.run_cnt = atomic64_read(&prog->run_cnt);
	info.recursion_misses = atomic64_read(&prog->missed);
	info.verified_insns = prog->eprog.len;
	info.attach_btf_id = prog->attach_btf_id;
	info.btf_id = prog->btf_id;
	/*
	 * The "translated" program is the checked one. Native code (jit.c) is counted, never
	 * copied out: it holds kernel addresses (Linux hands them out only where kallsyms
	 * would), so jited_prog_insns stays 0 and bpftool says no instructions came back.
	 */
	info.jited_prog_len = prog->jit_len;
	info.xlated_prog_len = prog->eprog.len * sizeof(struct ebpf_insn);
	info.xlated_prog_insns = req.xlated_prog_insns;
	err = info_array(req.xlated_prog_insns, req.xlated_prog_len, prog->insns,
			 info.xlated_prog_len, 1);
	if (err)
		return err;
	info.nr_map_ids = bpfdrv_prog_map_ids(prog, ids, ARRAY_SIZE(ids));
	n_ids = min_t(u32, info.nr_map_ids, ARRAY_SIZE(ids));
	info.map_ids = req.map_ids;
	err = info_array(req.map_ids, req.nr_map_ids, ids, n_ids, sizeof(u32));
	if (err)
		return err;
	info.nr_prog_tags = 1;
	info.prog_tags = req.prog_tags;
	err = info_array(req.prog_tags, req.nr_prog_tags, prog->tag, 1, sizeof(prog->tag));
	if (err)
		return err;
	/* Pointers of arrays we report empty go back as given, like the kernel's. */
	info.jited_prog_insns = req.jited_prog_insns;
	info.jited_ksyms = req.jited_ksyms;
	info.jited_func_lens = req.jited_func_lens;
	info.func_info = req.func_info;
	info.func_info_rec_size = req.func_info_rec_size;
	info.line_info = req.line_info;
	info.line_info_rec_size = req.line_info_rec_size;
	info.jited_line_info = req.jited_line_info;
	info.jited_line_info_rec_size = req.jited_line_info_rec_size;
	return info_done(attr, &info, len);
}

static int link_get_info(struct bpfdrv_link *link, struct bpfdrv_info_attr *attr)
{
	struct bpfdrv_link_info info;
	u32 len;
	int err = info_len(attr, sizeof(info), &len);

	if (err)
		return err;
	memset(&info, 0, sizeof(info));
	/* The per-type part carries in/out buffers (raw_tracepoint.tp_name). */
	if (copy_from_user(&info, bpfdrv_u64_to_ptr(attr->info), len))
		return -EFAULT;
	info.type_ = link->ops->type;
	info.id = link->id;
	info.prog_id = link->prog->id;
	if (link->ops->fill_info) {
		err = link->ops->fill_info(link, &info);
		if (err)
			return err;
	} else {
		memset(info.u, 0, sizeof(info.u));
	}
	return info_done(attr, &info, len);
}

static int btf_get_info(const void *data, u32 size, u32 id, struct bpfdrv_info_attr *attr)
{
	struct bpfdrv_btf_info info, req;
	u32 len;
	int err = info_len(attr, sizeof(info), &len);

	if (err)
		return err;
	memset(&req, 0, sizeof(req));
	if (copy_from_user(&req, bpfdrv_u64_to_ptr(attr->info), len))
		return -EFAULT;
	memset(&info, 0, sizeof(info));
	info.btf = req.btf;
	info.id = id;
	/* The kernel copies the blob only when btf_size is big enough (else ENOSPC). */
	if (req.btf && req.btf_size < size)
		return -ENOSPC;
	if (req.btf && copy_to_user(bpfdrv_u64_to_ptr(req.btf), data, size))
		return -EFAULT;
	info.btf_size = size;
	info.name = req.name;
	return info_done(attr, &info, len);
}

int bpfdrv_cmd_obj_get_info(union bpfdrv_attr *uattr)
{
	struct bpfdrv_info_attr *attr = &uattr->info;
	struct bpfdrv_map *map;
	struct bpfdrv_prog *prog;
	struct bpfdrv_link *link;
	struct file *file;
	const void *data;
	u32 size, id;
	int err = -EINVAL;

	/* -EBUSY: a map or program with all the references it may have. */
	map = bpfdrv_map_from_fd(attr->bpf_fd);
	if (!IS_ERR(map)) {
		err = map_get_info(map, attr);
		bpfdrv_map_put(map);
		return err;
	}
	if (PTR_ERR(map) == -EBUSY)
		return -EBUSY;
	prog = bpfdrv_prog_from_fd(attr->bpf_fd);
	if (!IS_ERR(prog)) {
		err = prog_get_info(prog, attr);
		bpfdrv_prog_put(prog);
		return err;
	}
	if (PTR_ERR(prog) == -EBUSY)
		return -EBUSY;
	file = fget(attr->bpf_fd);
	if (!file)
		return -EBADF;
	link = bpfdrv_link_from_file(file);
	data = bpfdrv_btf_from_file(file, &size, &id);
	if (link)
		err = link_get_info(link, attr);
	else if (data)
		err = btf_get_info(data, size, id, attr);
	else
		bpfdrv_warn("BPF_OBJ_GET_INFO_BY_FD: fd %u is not a bpf object\n", attr->bpf_fd);
	fput(file);
	return err;
}
