// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_LOAD: copy the instructions, resolve map references in ld_imm64, check the
 * program with the engine's checker and hand out a program fd. Rejections carry the
 * checker's kernel-style log in log_buf, which libbpf prints.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/string.h>
#include <linux/license.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/ptrace.h>
#include "bpfdrv.h"
#include "compat.h"
#include "helper_ids.h"
#include "prog_types.h"
#include "stats.h"
#include "ebpf_insn.h"

#define BPFDRV_LOG_MIN 128

static void bpfdrv_prog_free(struct bpfdrv_prog *prog)
{
	u32 i;

	bpfdrv_id_remove(BPFDRV_ID_PROG, prog->id);
	if (prog->btf_file)
		fput(prog->btf_file);
	bpfdrv_stats_prog_del(prog);
	for (i = 0; i < prog->nr_maps; i++)
		bpfdrv_map_put(prog->maps[i]);
	bpfdrv_prog_unbind_maps(prog);
	bpfdrv_jit_free(prog);
	kfree(prog->maps);
	kfree(prog->map_refs);
	bpfdrv_free_large(prog->insns);
	kfree(prog);
}

int bpfdrv_prog_get(struct bpfdrv_prog *prog)
{
	return bpfdrv_ref_get(&prog->refcnt);
}

void bpfdrv_prog_put(struct bpfdrv_prog *prog)
{
	/* Attach points drop their reference only after their handlers are quiescent. */
	if (bpfdrv_ref_put(&prog->refcnt))
		bpfdrv_prog_free(prog);
}

static int bpfdrv_prog_get_any(void *prog)
{
	return bpfdrv_prog_get(prog);
}

static int bpfdrv_prog_release(struct inode *inode, struct file *file)
{
	bpfdrv_prog_put(file->private_data);
	return 0;
}

static const struct file_operations bpfdrv_prog_fops = {
	.owner = THIS_MODULE,
	BPFDRV_SHOW_FDINFO(bpfdrv_prog_show_fdinfo)
	.release = bpfdrv_prog_release,
	.llseek = noop_llseek,
};

struct bpfdrv_prog *bpfdrv_prog_from_fd(int fd)
{
	return bpfdrv_fd_object(fd, &bpfdrv_prog_fops, bpfdrv_prog_get_any);
}

int bpfdrv_prog_tryget(void *obj)
{
	struct bpfdrv_prog *prog = obj;

	return bpfdrv_ref_get_not_zero(&prog->refcnt);
}

int bpfdrv_prog_new_fd(void *prog, int f_flags)
{
	int fd = bpfdrv_new_fd("bpf-prog", &bpfdrv_prog_fops, prog, O_CLOEXEC);

	if (fd < 0)
		bpfdrv_prog_put(prog);
	return fd;
}

/* Index of @map in the program's map table, adding it (and a reference) if new. */
static int prog_add_map(struct bpfdrv_prog *prog, struct bpfdrv_map *map, u32 cap)
{
	struct ebpf_map_ref *ref;
	u32 i;

	for (i = 0; i < prog->nr_maps; i++)
		if (prog->maps[i] == map) {
			bpfdrv_map_put(map); /* the caller's reference: we already hold one */
			return i;
		}
	if (prog->nr_maps == cap) {
		bpfdrv_map_put(map);
		return -E2BIG;
	}
	i = prog->nr_maps++;
	prog->maps[i] = map;
	ref = &prog->map_refs[i];
	ref->map = map;
	ref->key_size = map->key_size;
	ref->value_size = map->value_size;
	ref->value_base = map->ops->direct_value ?
		map->ops->direct_value(map, &ref->value_region_size) : NULL;
	ref->value_readonly = !!(map->map_flags & BPFDRV_F_RDONLY_PROG);
	ref->value_writeonly = !!(map->map_flags & BPFDRV_F_WRONLY_PROG);
	ref->values_are_maps = map->ops->lookup_returns_map;
	/*
	 * Frozen (no user-space update, delete or writable mmap, for good) and RDONLY_PROG
	 * (no program writes): the checker may read the value as constants, as Linux's
	 * bpf_map_is_rdonly.  The mutex orders this after any update still in flight.
	 */
	mutex_lock(&map->freeze_mutex);
	ref->value_const = ref->value_base && ref->value_readonly && map->frozen;
	mutex_unlock(&map->freeze_mutex);
	return i;
}

/*
 * The map fd an ld_imm64 names: its imm, or for BPF_PSEUDO_MAP_IDX(_VALUE) the imm'th
 * entry of the loader's fd_array (light skeletons, gen_loader); the insn is rewritten
 * to the plain fd / value form, as the kernel's verifier does.
 */
static int prog_insn_map_fd(struct ebpf_insn *insn, u64 fd_array, struct ebpf_log *log, int *fd)
{
	u8 src = insn->regs >> 4;

	if (src != BPFDRV_PSEUDO_MAP_IDX && src != BPFDRV_PSEUDO_MAP_IDX_VALUE) {
		*fd = insn->imm;
		return 0;
	}
	if (!fd_array) {
		ebpf_logf(log, "fd_idx without fd_array is invalid\n");
		return -EPROTO;
	}
	if (copy_from_user(fd, bpfdrv_u64_to_ptr(fd_array + (u64)(u32)insn->imm * sizeof(int)),
			   sizeof(int)))
		return -EFAULT;
	src = src == BPFDRV_PSEUDO_MAP_IDX ? BPFDRV_PSEUDO_MAP_FD : BPFDRV_PSEUDO_MAP_VALUE;
	insn->regs = (insn->regs & 0xf) | (src << 4);
	return 0;
}

/* Rewrite ld_imm64 map fds into indexes of prog->map_refs (what the engine expects). */
static int prog_resolve_maps(struct bpfdrv_prog *prog, u64 fd_array, struct ebpf_log *log)
{
	u32 i, cap = 64;
	int idx, fd, err;

	/*
	 * The engine reads the src values this rewrites by its own names (it builds without
	 * the protocol header, for the host tests): they must be the same numbers.
	 */
	BUILD_BUG_ON(BPFDRV_PSEUDO_MAP_FD != EBPF_PSEUDO_MAP_FD);
	BUILD_BUG_ON(BPFDRV_PSEUDO_MAP_VALUE != EBPF_PSEUDO_MAP_VALUE);
	BUILD_BUG_ON(BPFDRV_PSEUDO_FUNC != EBPF_PSEUDO_FUNC);
	BUILD_BUG_ON(BPFDRV_PSEUDO_CALL != EBPF_PSEUDO_CALL);
	BUILD_BUG_ON(BPFDRV_PSEUDO_KFUNC_CALL != EBPF_PSEUDO_KFUNC_CALL);
	prog->maps = kcalloc(cap, sizeof(*prog->maps), GFP_KERNEL);
	prog->map_refs = kcalloc(cap, sizeof(*prog->map_refs), GFP_KERNEL);
	if (!prog->maps || !prog->map_refs)
		return -ENOMEM;
	for (i = 0; i < prog->eprog.len; i++) {
		struct ebpf_insn *insn = &prog->insns[i];
		u8 src = insn->regs >> 4;
		struct bpfdrv_map *map;

		if (insn->code != (EBPF_LD | EBPF_IMM | EBPF_DW))
			continue;
		if (i + 1 >= prog->eprog.len) {
			ebpf_logf(log, "invalid bpf_ld_imm64 insn\n");
			return -EINVAL;
		}
		if (src == 0 || src == BPFDRV_PSEUDO_FUNC) {
			i++; /* a constant, or a callback the checker resolves */
			continue;
		}
		if (src != BPFDRV_PSEUDO_MAP_FD && src != BPFDRV_PSEUDO_MAP_VALUE &&
		    src != BPFDRV_PSEUDO_MAP_IDX && src != BPFDRV_PSEUDO_MAP_IDX_VALUE) {
			ebpf_logf(log, "ld_imm64 pseudo src %u at insn %u is not supported\n", src, i);
			return -EINVAL;
		}
		err = prog_insn_map_fd(insn, fd_array, log, &fd);
		if (err)
			return err;
		src = insn->regs >> 4;
		map = bpfdrv_map_from_fd(fd);
		if (IS_ERR(map)) {
			ebpf_logf(log, "fd %d is not pointing to valid bpf_map\n", fd);
			return PTR_ERR(map);
		}
		idx = prog_add_map(prog, map, cap);
		if (idx < 0) {
			ebpf_logf(log, "too many maps referenced (max %u)\n", cap);
			return idx;
		}
		if (src == BPFDRV_PSEUDO_MAP_VALUE) {
			const struct ebpf_map_ref *ref = &prog->map_refs[idx];
			u32 off = (u32)prog->insns[i + 1].imm;

			if (!ref->value_base) {
				ebpf_logf(log, "map '%s' has no direct value access\n", prog->maps[idx]->name);
				return -EINVAL;
			}
			if (off >= ref->value_region_size) {
				ebpf_logf(log, "invalid access to map value pointer, value_size=%u off=%u\n",
					   ref->value_region_size, off);
				return -EACCES;
			}
		} else if (prog->insns[i + 1].imm) {
			ebpf_logf(log, "unrecognized bpf_ld_imm64 insn\n");
			return -EINVAL;
		}
		insn->imm = idx;
		i++;
	}
	return 0;
}

/* GPL-only helpers need a GPL-compatible license, as in the kernel. */
static int prog_check_license(struct bpfdrv_prog *prog, struct ebpf_log *log)
{
	u32 i;

	if (prog->gpl_compatible)
		return 0;
	for (i = 0; i < prog->eprog.len; i++) {
		const struct ebpf_insn *insn = &prog->insns[i];

		if (insn->code == (EBPF_JMP | EBPF_CALL) && !(insn->regs >> 4) && insn->imm >= 0 &&
		    bpfdrv_helper_gpl_only(insn->imm)) {
			ebpf_logf(log, "cannot call GPL-restricted function from non-GPL compatible program\n");
			return -EINVAL;
		}
	}
	return 0;
}

/* PROBE_MEM loads of BTF-typed programs: a faulting kernel address reads as 0. */
static long prog_probe_read(void *dst, u64 addr, u32 size)
{
	return bpfdrv_read_kernel_nofault(dst, (const void *)(uintptr_t)addr, size);
}

/*
 * A tracing program (fentry, fexit, tp_btf) names its target by BTF id, which the hook
 * resolved (@t; NULL when the program came through the plain BPF ioctl). Checks the
 * target as attaching would and sizes the context: one u64 per argument slot, plus the
 * return value for fexit; a tracepoint's raw arguments for tp_btf.
 */
static int prog_tracing_check(struct bpfdrv_prog *prog, const struct bpfdrv_btf_target *t,
			      struct ebpf_log *log)
{
	int err;

	if (!t) {
		ebpf_logf(log, "attach_btf_id %u: tracing programs need the target resolved by libbpfhook.so\n",
			   prog->attach_btf_id);
		bpfdrv_warn("program type tracing: load it through libbpfhook.so, which resolves attach_btf_id\n");
		return -EINVAL;
	}
	prog->target = *t;
	switch (prog->expected_attach_type) {
	case BPFDRV_TRACE_RAW_TP:
		err = t->kind == BPFDRV_BTF_TARGET_TRACEPOINT ? bpfdrv_tp_btf_check(prog) : -EINVAL;
		prog->eprog.ctx_size = bpfdrv_raw_tp_ctx_size();
		break;
	case BPFDRV_TRACE_FENTRY:
	case BPFDRV_TRACE_FEXIT:
		err = t->kind == BPFDRV_BTF_TARGET_FUNC ? bpfdrv_fentry_check(prog) : -EINVAL;
		prog->eprog.ctx_size = (t->nr_args + (prog->expected_attach_type == BPFDRV_TRACE_FEXIT)) *
				       sizeof(u64);
		break;
	default:
		bpfdrv_warn("tracing programs of attach type %u (fmod_ret, iter, lsm, ...) are not emulated\n",
			    prog->expected_attach_type);
		return -EINVAL;
	}
	if (err)
		ebpf_logf(log, "cannot attach to '%s': %d\n", t->name, err);
	prog->eprog.probe_read = prog_probe_read;
	return err;
}

int bpfdrv_tracing_attach(struct bpfdrv_prog *prog, u64 cookie)
{
	if (prog->expected_attach_type == BPFDRV_TRACE_RAW_TP)
		return bpfdrv_tp_btf_attach(prog, cookie);
	return bpfdrv_fentry_attach(prog, cookie);
}

static int prog_copy_log(const struct bpfdrv_prog_load_attr *attr, const struct ebpf_log *log)
{
	if (!attr->log_level || !log->buf)
		return 0;
	if (copy_to_user(bpfdrv_u64_to_ptr(attr->log_buf), log->buf, log->len + 1))
		return -EFAULT;
	return 0;
}

int bpfdrv_cmd_prog_load(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_prog_load_attr *attr = &uattr->prog_load;
	struct ebpf_log log = { NULL, 0, 0, 0 };
	const struct bpfdrv_prog_type *ptype;
	struct bpfdrv_prog *prog;
	char license[128];
	int err, fd;

	/*
	 * Linux's order (bpf_prog_load): flags, the license string, the instruction count,
	 * and only then the program type, so that a zeroed attr is E2BIG.
	 * BPF_F_STRICT_ALIGNMENT, ANY_ALIGNMENT, TEST_RND_HI32, TEST_STATE_FREQ: accepted, no effect.
	 */
	if (attr->prog_flags & ~0xfu)
		return -EINVAL;
	if (strncpy_from_user(license, bpfdrv_u64_to_ptr(attr->license), sizeof(license)) < 0)
		return -EFAULT;
	license[sizeof(license) - 1] = 0;
	if (!attr->insn_cnt || attr->insn_cnt > BPFDRV_MAX_INSNS)
		return -E2BIG;
	ptype = bpfdrv_prog_type_find(attr->prog_type);
	if (!ptype) {
		bpfdrv_warn("program type %u is not supported\n", attr->prog_type);
		return -EINVAL;
	}
	if (attr->log_level) {
		if (!attr->log_buf || attr->log_size < BPFDRV_LOG_MIN || attr->log_size > (1u << 24))
			return -EINVAL;
	} else if (attr->log_buf || attr->log_size) {
		return -EINVAL;
	}
	err = bpfdrv_obj_name_check(attr->prog_name, sizeof(attr->prog_name));
	if (err)
		return err;

	prog = kzalloc(sizeof(*prog), GFP_KERNEL);
	if (!prog)
		return -ENOMEM;
	bpfdrv_ref_init(&prog->refcnt);
	mutex_init(&prog->bound_lock);
	prog->type = attr->prog_type;
	prog->ptype = ptype;
	prog->expected_attach_type = attr->expected_attach_type;
	prog->attach_btf_id = attr->attach_btf_id;
	memcpy(prog->name, attr->prog_name, sizeof(prog->name));
	prog->gpl_compatible = license_is_gpl_compatible(license);
	prog->insns = bpfdrv_zalloc_large((size_t)attr->insn_cnt * sizeof(struct ebpf_insn));
	if (!prog->insns) {
		err = -ENOMEM;
		goto fail;
	}
	if (copy_from_user(prog->insns, bpfdrv_u64_to_ptr(attr->insns),
			   (size_t)attr->insn_cnt * sizeof(struct ebpf_insn))) {
		err = -EFAULT;
		goto fail;
	}
	/* Before map references are resolved, as the kernel's verifier does. */
	bpfdrv_prog_calc_tag(prog->insns, attr->insn_cnt, prog->tag);
	prog->load_time = bpfdrv_ktime_boot_ns();
	prog->uid = from_kuid_munged(current_user_ns(), current_uid());
	if (attr->prog_btf_fd)
		prog->btf_file = bpfdrv_btf_fget(attr->prog_btf_fd, &prog->btf_id);
	if (attr->log_level) {
		log.buf = bpfdrv_zalloc_large(attr->log_size);
		if (!log.buf) {
			err = -ENOMEM;
			goto fail;
		}
		log.size = attr->log_size;
		log.level = attr->log_level;
	}
	prog->eprog.insns = prog->insns;
	prog->eprog.len = attr->insn_cnt;
	err = prog_resolve_maps(prog, attr->fd_array, &log);
	if (err)
		goto fail_log;
	err = prog_check_license(prog, &log);
	if (err)
		goto fail_log;
	prog->eprog.maps = prog->map_refs;
	prog->eprog.nr_maps = prog->nr_maps;
	prog->eprog.helpers = ptype->helpers;
	prog->eprog.nr_helpers = BPFDRV_HELPER_MAX;
	prog->eprog.ctx_size = ptype->ctx_size ? ptype->ctx_size() : 0;
	prog->eprog.ctx_writable = false;
	prog->eprog.ctx_kind = ptype->ctx_kind;
	/* Linux's bpf_allow_ptr_leaks(): the loader's capability, fixed for the program's life */
	prog->eprog.allow_ptr_leaks = bpfdrv_perfmon_capable();
	if (ptype->btf_target) {
		err = prog_tracing_check(prog, bpfdrv_cmd_btf_target(uattr), &log);
		if (err)
			goto fail_log;
	}
	err = ebpf_check(&prog->eprog, &log);
	if (err)
		goto fail_log;
	err = prog_copy_log(attr, &log);
	if (err)
		goto fail_log;
	bpfdrv_free_large(log.buf);
	bpfdrv_jit_compile(prog);
	bpfdrv_stats_prog_add(prog);
	err = bpfdrv_id_alloc(BPFDRV_ID_PROG, prog, &prog->id);
	if (err) {
		bpfdrv_prog_free(prog); /* never findable */
		return err;
	}
	/*
	 * The program is findable: GET_FD_BY_ID may hold it already. When no fd can be
	 * installed (EMFILE), drop the loader's reference (kernel: bpf_prog_load).
	 */
	fd = bpfdrv_new_fd("bpf-prog", &bpfdrv_prog_fops, prog, O_CLOEXEC);
	if (fd < 0)
		bpfdrv_prog_put(prog);
	return fd;

fail_log:
	if (prog_copy_log(attr, &log))
		err = -EFAULT;
fail:
	if (log.buf)
		bpfdrv_free_large(log.buf);
	bpfdrv_prog_free(prog);
	return err;
}
