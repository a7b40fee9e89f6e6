// SPDX-License-Identifier: GPL-2.0
/*
 * bpf(2) commands: one table, each entry naming the last attr byte its command reads.
 * The attr rules are the kernel's, because libbpf's feature probes rely on them:
 * bytes past sizeof(union bpf_attr) must be zero (E2BIG), bytes past a command's
 * last field must be zero (EINVAL), an unknown command is EINVAL.
 *
 * Each entry also names the capability its command needs, checked with the credentials
 * of the task issuing it (not those of whoever opened /dev/bpfdrv). The rules are
 * kernel/bpf/syscall.c's with kernel.unprivileged_bpf_disabled set (the distributions'
 * default): creating an object needs bpf_capable(), loading a tracing program also
 * perfmon_capable(), reaching objects by global id CAP_SYS_ADMIN, and a command on
 * objects the caller holds fds of needs nothing more (Linux 6.5+, whose map_create and
 * bpf_prog_load do the unprivileged_bpf_disabled check; 6.1 refuses every command at
 * the syscall entry instead). Pins stand in for bpffs: see BPFDRV_NEED_BPFFS.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/stddef.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include "bpfdrv.h"
#include "compat.h"
#include "prog_types.h"

#define attr_end(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

struct bpfdrv_cmd_handler {
	const char *name;
	enum bpfdrv_need need; /* who may issue it (bpfdrv_permitted) */
	int (*fn)(union bpfdrv_attr *attr);
	u32 attr_end;
	/* The command returns values in attr (info_len): copy attr[0, attr_end) back. */
	bool copy_back;
	/* ... also when the command fails (batch commands report how far they got). */
	bool copy_back_always;
};

static const struct bpfdrv_cmd_handler bpfdrv_cmds[] = {
	[BPFDRV_CMD_MAP_CREATE] = { "BPF_MAP_CREATE", BPFDRV_NEED_BPF, bpfdrv_cmd_map_create,
		attr_end(struct bpfdrv_map_create_attr, map_extra) },
	[BPFDRV_CMD_MAP_LOOKUP_ELEM] = { "BPF_MAP_LOOKUP_ELEM", BPFDRV_NEED_FD, bpfdrv_cmd_map_lookup,
		attr_end(struct bpfdrv_map_elem_attr, flags) },
	[BPFDRV_CMD_MAP_UPDATE_ELEM] = { "BPF_MAP_UPDATE_ELEM", BPFDRV_NEED_FD, bpfdrv_cmd_map_update,
		attr_end(struct bpfdrv_map_elem_attr, flags) },
	[BPFDRV_CMD_MAP_DELETE_ELEM] = { "BPF_MAP_DELETE_ELEM", BPFDRV_NEED_FD, bpfdrv_cmd_map_delete,
		attr_end(struct bpfdrv_map_elem_attr, key) },
	[BPFDRV_CMD_MAP_GET_NEXT_KEY] = { "BPF_MAP_GET_NEXT_KEY", BPFDRV_NEED_FD, bpfdrv_cmd_map_get_next_key,
		attr_end(struct bpfdrv_map_elem_attr, value) },
	[BPFDRV_CMD_PROG_LOAD] = { "BPF_PROG_LOAD", BPFDRV_NEED_BPF_PROG, bpfdrv_cmd_prog_load,
		attr_end(struct bpfdrv_prog_load_attr, core_relo_rec_size) },
	[BPFDRV_CMD_OBJ_PIN] = { "BPF_OBJ_PIN", BPFDRV_NEED_BPFFS, bpfdrv_cmd_obj_pin,
		attr_end(struct bpfdrv_obj_pin_attr, file_flags) },
	[BPFDRV_CMD_OBJ_GET] = { "BPF_OBJ_GET", BPFDRV_NEED_BPFFS, bpfdrv_cmd_obj_get,
		attr_end(struct bpfdrv_obj_pin_attr, file_flags) },
	[BPFDRV_CMD_BTF_LOAD] = { "BPF_BTF_LOAD", BPFDRV_NEED_BPF, bpfdrv_cmd_btf_load,
		attr_end(struct bpfdrv_btf_load_attr, btf_log_level) },
	[BPFDRV_CMD_MAP_FREEZE] = { "BPF_MAP_FREEZE", BPFDRV_NEED_FD, bpfdrv_cmd_map_freeze,
		attr_end(struct bpfdrv_map_elem_attr, map_fd) },
	[BPFDRV_CMD_OBJ_GET_INFO_BY_FD] = { "BPF_OBJ_GET_INFO_BY_FD", BPFDRV_NEED_FD, bpfdrv_cmd_obj_get_info,
		attr_end(struct bpfdrv_info_attr, info), true },
	[BPFDRV_CMD_PROG_TEST_RUN] = { "BPF_PROG_TEST_RUN", BPFDRV_NEED_FD, bpfdrv_cmd_prog_test_run,
		attr_end(struct bpfdrv_test_run_attr, batch_size), true, true }, /* ENOSPC reports sizes */
	[BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_ELEM] = { "BPF_MAP_LOOKUP_AND_DELETE_ELEM", BPFDRV_NEED_FD,
		bpfdrv_cmd_map_lookup_and_delete, attr_end(struct bpfdrv_map_elem_attr, flags) },
	[BPFDRV_CMD_MAP_LOOKUP_BATCH] = { "BPF_MAP_LOOKUP_BATCH", BPFDRV_NEED_FD, bpfdrv_cmd_map_lookup_batch,
		attr_end(struct bpfdrv_map_batch_attr, flags), true, true },
	[BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_BATCH] = { "BPF_MAP_LOOKUP_AND_DELETE_BATCH", BPFDRV_NEED_FD,
		bpfdrv_cmd_map_lookup_and_delete_batch, attr_end(struct bpfdrv_map_batch_attr, flags),
		true, true },
	[BPFDRV_CMD_MAP_UPDATE_BATCH] = { "BPF_MAP_UPDATE_BATCH", BPFDRV_NEED_FD, bpfdrv_cmd_map_update_batch,
		attr_end(struct bpfdrv_map_batch_attr, flags), true, true },
	[BPFDRV_CMD_MAP_DELETE_BATCH] = { "BPF_MAP_DELETE_BATCH", BPFDRV_NEED_FD, bpfdrv_cmd_map_delete_batch,
		attr_end(struct bpfdrv_map_batch_attr, flags), true, true },
	[BPFDRV_CMD_RAW_TRACEPOINT_OPEN] = { "BPF_RAW_TRACEPOINT_OPEN", BPFDRV_NEED_FD, bpfdrv_cmd_raw_tp_open,
		attr_end(struct bpfdrv_raw_tp_open_attr, prog_fd) },
	[BPFDRV_CMD_LINK_CREATE] = { "BPF_LINK_CREATE", BPFDRV_NEED_FD, bpfdrv_cmd_link_create,
		attr_end(struct bpfdrv_link_create_attr, bpf_cookie) },
	[BPFDRV_CMD_LINK_UPDATE] = { "BPF_LINK_UPDATE", BPFDRV_NEED_FD, bpfdrv_cmd_link_update,
		attr_end(struct bpfdrv_link_update_attr, old_prog_fd) },
	[BPFDRV_CMD_PROG_GET_NEXT_ID] = { "BPF_PROG_GET_NEXT_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_prog_get_next_id,
		attr_end(struct bpfdrv_get_id_attr, next_id), true },
	[BPFDRV_CMD_MAP_GET_NEXT_ID] = { "BPF_MAP_GET_NEXT_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_map_get_next_id,
		attr_end(struct bpfdrv_get_id_attr, next_id), true },
	[BPFDRV_CMD_LINK_GET_NEXT_ID] = { "BPF_LINK_GET_NEXT_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_link_get_next_id,
		attr_end(struct bpfdrv_get_id_attr, next_id), true },
	[BPFDRV_CMD_BTF_GET_NEXT_ID] = { "BPF_BTF_GET_NEXT_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_btf_get_next_id,
		attr_end(struct bpfdrv_get_id_attr, next_id), true },
	/* 6.1's last fields: prog_id, map open_flags, btf_id, link_id. */
	[BPFDRV_CMD_PROG_GET_FD_BY_ID] = { "BPF_PROG_GET_FD_BY_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_prog_get_fd_by_id,
		attr_end(struct bpfdrv_get_id_attr, id) },
	[BPFDRV_CMD_MAP_GET_FD_BY_ID] = { "BPF_MAP_GET_FD_BY_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_map_get_fd_by_id,
		attr_end(struct bpfdrv_get_id_attr, open_flags) },
	[BPFDRV_CMD_LINK_GET_FD_BY_ID] = { "BPF_LINK_GET_FD_BY_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_link_get_fd_by_id,
		attr_end(struct bpfdrv_get_id_attr, id) },
	[BPFDRV_CMD_BTF_GET_FD_BY_ID] = { "BPF_BTF_GET_FD_BY_ID", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_btf_get_fd_by_id,
		attr_end(struct bpfdrv_get_id_attr, id) },
	[BPFDRV_CMD_LINK_DETACH] = { "BPF_LINK_DETACH", BPFDRV_NEED_FD, bpfdrv_cmd_link_detach,
		attr_end(struct bpfdrv_link_detach_attr, link_fd) },
	[BPFDRV_CMD_ENABLE_STATS] = { "BPF_ENABLE_STATS", BPFDRV_NEED_SYS_ADMIN, bpfdrv_cmd_enable_stats,
		attr_end(struct bpfdrv_enable_stats_attr, type_) },
	[BPFDRV_CMD_PROG_BIND_MAP] = { "BPF_PROG_BIND_MAP", BPFDRV_NEED_FD, bpfdrv_cmd_prog_bind_map,
		attr_end(struct bpfdrv_prog_bind_map_attr, flags) },
};

static const char *const bpfdrv_cmd_names[] = {
	"MAP_CREATE", "MAP_LOOKUP_ELEM", "MAP_UPDATE_ELEM", "MAP_DELETE_ELEM", "MAP_GET_NEXT_KEY",
	"PROG_LOAD", "OBJ_PIN", "OBJ_GET", "PROG_ATTACH", "PROG_DETACH", "PROG_TEST_RUN",
	"PROG_GET_NEXT_ID", "MAP_GET_NEXT_ID", "PROG_GET_FD_BY_ID", "MAP_GET_FD_BY_ID",
	"OBJ_GET_INFO_BY_FD", "PROG_QUERY", "RAW_TRACEPOINT_OPEN", "BTF_LOAD", "BTF_GET_FD_BY_ID",
	"TASK_FD_QUERY", "MAP_LOOKUP_AND_DELETE_ELEM", "MAP_FREEZE", "BTF_GET_NEXT_ID",
	"MAP_LOOKUP_BATCH", "MAP_LOOKUP_AND_DELETE_BATCH", "MAP_UPDATE_BATCH", "MAP_DELETE_BATCH",
	"LINK_CREATE", "LINK_UPDATE", "LINK_GET_FD_BY_ID", "LINK_GET_NEXT_ID", "ENABLE_STATS",
	"ITER_CREATE", "LINK_DETACH", "PROG_BIND_MAP",
};

/* Linux's is_perfmon_prog_type(), for the program types this module loads. */
static bool prog_type_needs_perfmon(u32 type)
{
	const struct bpfdrv_prog_type *ptype = bpfdrv_prog_type_find(type);

	return ptype && ptype->tracing;
}

/*
 * May the current task do what @need names? 0, or Linux's errno for the refusal.
 * @attr is the command's (NULL outside bpf commands).
 */
int bpfdrv_permitted(enum bpfdrv_need need, const union bpfdrv_attr *attr)
{
	switch (need) {
	case BPFDRV_NEED_FD:
		return 0;
	case BPFDRV_NEED_BPF:
		return bpfdrv_bpf_capable() ? 0 : -EPERM;
	case BPFDRV_NEED_BPF_PROG:
		if (!bpfdrv_bpf_capable())
			return -EPERM;
		if (prog_type_needs_perfmon(attr->prog_load.prog_type) && !bpfdrv_perfmon_capable())
			return -EPERM;
		return 0;
	case BPFDRV_NEED_SYS_ADMIN:
		return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
	case BPFDRV_NEED_PERFMON:
		return bpfdrv_perfmon_capable() ? 0 : -EACCES;
	case BPFDRV_NEED_BPFFS:
		if (uid_eq(current_fsuid(), GLOBAL_ROOT_UID) || capable(CAP_DAC_OVERRIDE))
			return 0;
		return -EACCES;
	}
	return -EPERM;
}

/* Bytes [from, to) of user memory are all zero? (kernel's bpf_check_uarg_tail_zero) */
int bpfdrv_user_tail_zero(const u8 __user *uattr, u32 from, u32 to)
{
	u8 buf[64];
	u32 n;

	while (from < to) {
		u32 i;

		n = min_t(u32, sizeof(buf), to - from);
		if (copy_from_user(buf, uattr + from, n))
			return -EFAULT;
		for (i = 0; i < n; i++)
			if (buf[i])
				return -E2BIG;
		from += n;
	}
	return 0;
}

/* A command's copy of the attr and what came with it (handlers see the attr). */
struct bpfdrv_cmd_call {
	union bpfdrv_attr attr;
	const struct bpfdrv_btf_target *target;
};

const struct bpfdrv_btf_target *bpfdrv_cmd_btf_target(const union bpfdrv_attr *attr)
{
	return container_of(attr, struct bpfdrv_cmd_call, attr)->target;
}

int bpfdrv_bpf_cmd(u32 cmd, const void __user *uattr, u32 size, const struct bpfdrv_btf_target *target)
{
	const struct bpfdrv_cmd_handler *h = NULL;
	struct bpfdrv_cmd_call call;
	union bpfdrv_attr *attr = &call.attr;
	u32 i;
	int err;

	if (cmd < ARRAY_SIZE(bpfdrv_cmds) && bpfdrv_cmds[cmd].fn)
		h = &bpfdrv_cmds[cmd];
	if (!h) {
		bpfdrv_warn("bpf command %u (%s) is not implemented\n", cmd,
			    cmd < ARRAY_SIZE(bpfdrv_cmd_names) ? bpfdrv_cmd_names[cmd] : "unknown");
		return -EINVAL;
	}
	if (size > 1u << 20)
		return -E2BIG;
	if (size > sizeof(*attr)) {
		err = bpfdrv_user_tail_zero(uattr, sizeof(*attr), size);
		if (err)
			return err;
		size = sizeof(*attr);
	}
	memset(attr, 0, sizeof(*attr));
	call.target = target;
	if (copy_from_user(attr, uattr, size))
		return -EFAULT;
	for (i = h->attr_end; i < sizeof(*attr); i++)
		if (attr->raw[i]) {
			bpfdrv_warn("%s: attr byte %u is set; this module knows fields up to byte %u\n",
				    h->name, i, h->attr_end);
			return -EINVAL;
		}
	err = bpfdrv_permitted(h->need, attr);
	if (err)
		return err;
	err = h->fn(attr);
	if (h->copy_back && (err >= 0 || h->copy_back_always) &&
	    copy_to_user((void __user *)uattr, attr, min_t(u32, size, h->attr_end)))
		return -EFAULT;
	return err;
}
