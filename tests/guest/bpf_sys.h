/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw bpf(2) for the guest probes: each probe issues the commands itself, without
 * libbpf, so that what reaches the kernel (or the hook) is exactly the attr it built.
 * These fill the attr fields every probe sets the same way; a probe that needs more
 * (a name, a log, an inner map) fills the attr with the *_attr() helper, adds its
 * fields and calls sys_bpf() itself.
 */
#ifndef BPF_SYS_H
#define BPF_SYS_H

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
/* r<d> = the map @fd (two instruction slots). */
#define LD_MAP_FD(d, fd) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)
/* r<d> = fp + @off: a pointer into the program's stack. */
#define STACK_PTR(d, off) \
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, BPF_REG_10, 0, 0), INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, off)
/* r0 = map_lookup_elem(@fd, fp + @key). */
#define MAP_LOOKUP(fd, key) \
	LD_MAP_FD(BPF_REG_1, fd), STACK_PTR(BPF_REG_2, key), \
	INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem)
/* r0 = map_update_elem(@fd, fp + @key, fp + @value, @flags). */
#define MAP_UPDATE(fd, key, value, flags) \
	LD_MAP_FD(BPF_REG_1, fd), STACK_PTR(BPF_REG_2, key), STACK_PTR(BPF_REG_3, value), \
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, flags), \
	INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem)
/* if (r0) __sync_fetch_and_add((__u64 *)r0, 1): count in the value a lookup found. */
#define INC_R0_VALUE \
	INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0), INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1), \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD)
/* return @i; */
#define RETURN(i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, i), INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static inline long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* A BPF_MAP_CREATE attr for a map with 4-byte keys. */
static inline void sys_bpf_map_attr(union bpf_attr *a, unsigned int type, unsigned int value_size,
				    unsigned int entries, unsigned int flags)
{
	memset(a, 0, sizeof(*a));
	a->map_type = type;
	a->key_size = 4;
	a->value_size = value_size;
	a->max_entries = entries;
	a->map_flags = flags;
}

static inline int sys_bpf_map_create(unsigned int type, unsigned int value_size, unsigned int entries,
				     unsigned int flags)
{
	union bpf_attr a;

	sys_bpf_map_attr(&a, type, value_size, entries, flags);
	return sys_bpf(BPF_MAP_CREATE, &a);
}

/* A map element command on @map_fd; @key and @value may be NULL where @cmd takes none. */
static inline long sys_bpf_elem(int cmd, int map_fd, const void *key, const void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = map_fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a);
}

/* A BPF_PROG_LOAD attr for a GPL program of @cnt instructions. */
static inline void sys_bpf_prog_attr(union bpf_attr *a, unsigned int type, const struct bpf_insn *insns,
				     unsigned int cnt)
{
	memset(a, 0, sizeof(*a));
	a->prog_type = type;
	a->insns = (uintptr_t)insns;
	a->insn_cnt = cnt;
	a->license = (uintptr_t)"GPL";
}

static inline int sys_bpf_prog_load(unsigned int type, const struct bpf_insn *insns, unsigned int cnt)
{
	union bpf_attr a;

	sys_bpf_prog_attr(&a, type, insns, cnt);
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* BPF_OBJ_GET_INFO_BY_FD of @fd into @info, @len bytes of it. */
static inline long sys_bpf_obj_info(int fd, void *info, unsigned int len)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = len;
	a.info.info = (uintptr_t)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

/* The name a probe prints for the errno @e of a bpf(2) call the kernel refused. */
static inline const char *sys_bpf_err_name(int e)
{
	static char buf[16];

	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

#endif /* BPF_SYS_H */
