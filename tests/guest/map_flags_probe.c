// SPDX-License-Identifier: GPL-2.0
/*
 * map_flags_probe: read-only / write-only maps, zero-sized attrs and bad pointers
 * (issue 14, item 8 and section 0), answered as Linux answers them.
 *
 * - fd modes: BPF_F_RDONLY / BPF_F_WRONLY at MAP_CREATE, OBJ_GET (file_flags) and
 *   MAP_GET_FD_BY_ID (open_flags) give an fd that may only read or only write the
 *   map's elements (EPERM), the mode belongs to the fd and not to the map, and
 *   MAP_FREEZE makes every fd read-only.
 * - programs: PROG_LOAD refuses stores into a BPF_F_RDONLY_PROG map's values, its
 *   update / delete helpers, and loads from a BPF_F_WRONLY_PROG map's values (EACCES).
 * - attr sizes: commands with a zeroed attr of size 0 (PROG_LOAD: E2BIG).
 * - bad pointers: an unreadable attr, bad insns / license / log_buf / key / value
 *   pointers and perf_event_open((void *)1) are EFAULT, and the process goes on.
 *
 * Prints "F <what> <ok|errno name>" lines; the same binary natively on the stock
 * kernel is the oracle. Runs as root with /sys/fs/bpf a bpffs (or the hook's view).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_sys.h"

#define PIN_MAP "/sys/fs/bpf/map_flags_probe_map"
#define PIN_PROG "/sys/fs/bpf/map_flags_probe_prog"

static long sys_bpf_size(int cmd, void *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static const char *err_name(int e)
{
	switch (e) {
	case EBUSY: return "EBUSY";
	case ENOTSUP: return "ENOTSUP";
	case 524: return "ENOTSUPP";
	}
	return sys_bpf_err_name(e);
}

static void report(const char *what, long ret, int err)
{
	printf("F %s %s\n", what, ret >= 0 ? "ok" : err_name(err));
	fflush(stdout);
}

#define TRY(what, call)                 \
	do {                            \
		long ret_;              \
		errno = 0;              \
		ret_ = (call);          \
		report(what, ret_, errno); \
	} while (0)

/* An fd from a call that must succeed for the rest to mean anything. */
static int must(const char *what, long fd)
{
	if (fd < 0) {
		printf("F %s failed: %s\n", what, err_name(errno));
		fflush(stdout);
	}
	return (int)fd;
}

static int array_create(uint32_t flags)
{
	return sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, 8, 1, flags);
}

/* @key and @value are addresses, which the bad-pointer cases make unmapped ones. */
static long elem(int cmd, int fd, uint64_t key, uint64_t value)
{
	return sys_bpf_elem(cmd, fd, (const void *)(uintptr_t)key, (const void *)(uintptr_t)value, 0);
}

static uint32_t zero_key;
static uint64_t value_buf;
static uint32_t next_key;

static long lookup(int fd) { return elem(BPF_MAP_LOOKUP_ELEM, fd, (uintptr_t)&zero_key, (uintptr_t)&value_buf); }
static long update(int fd) { return elem(BPF_MAP_UPDATE_ELEM, fd, (uintptr_t)&zero_key, (uintptr_t)&value_buf); }
static long delete(int fd) { return elem(BPF_MAP_DELETE_ELEM, fd, (uintptr_t)&zero_key, 0); }
static long next(int fd) { return elem(BPF_MAP_GET_NEXT_KEY, fd, 0, (uintptr_t)&next_key); }
static long lookup_and_delete(int fd)
{
	return elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, (uintptr_t)&zero_key, (uintptr_t)&value_buf);
}

static long batch(int cmd, int fd)
{
	uint32_t keys[1] = { 0 }, out_batch = 0;
	uint64_t values[1] = { 0 };
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = fd;
	a.batch.keys = (uintptr_t)keys;
	a.batch.values = (uintptr_t)values;
	a.batch.out_batch = (uintptr_t)&out_batch;
	a.batch.count = 1;
	return sys_bpf(cmd, &a);
}

static long freeze(int fd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	return sys_bpf(BPF_MAP_FREEZE, &a);
}

static unsigned int obj_id(int fd)
{
	struct bpf_map_info info; /* a program's id is its info's first field too */

	memset(&info, 0, sizeof(info));
	if (sys_bpf_obj_info(fd, &info, sizeof(info)))
		return 0;
	return info.id;
}

static long fd_by_id(int cmd, unsigned int id, uint32_t open_flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_id = id;
	a.open_flags = open_flags;
	return sys_bpf(cmd, &a);
}

static long obj(int cmd, const char *path, int fd, uint32_t file_flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)path;
	a.bpf_fd = fd;
	a.file_flags = file_flags;
	return sys_bpf(cmd, &a);
}

/* What an fd may do with the map's elements: "<what> lookup|next|update|delete". */
static void fd_ops(const char *what, int fd)
{
	char name[96];

	snprintf(name, sizeof(name), "%s lookup", what);
	TRY(name, lookup(fd));
	snprintf(name, sizeof(name), "%s get_next_key", what);
	TRY(name, next(fd));
	snprintf(name, sizeof(name), "%s update", what);
	TRY(name, update(fd));
	snprintf(name, sizeof(name), "%s delete", what);
	TRY(name, delete(fd));
	snprintf(name, sizeof(name), "%s lookup_and_delete", what);
	TRY(name, lookup_and_delete(fd));
	snprintf(name, sizeof(name), "%s lookup_batch", what);
	TRY(name, batch(BPF_MAP_LOOKUP_BATCH, fd));
	snprintf(name, sizeof(name), "%s update_batch", what);
	TRY(name, batch(BPF_MAP_UPDATE_BATCH, fd));
}

static void fd_modes(void)
{
	int rw, ro, wo, fd;
	unsigned int id;
	void *p;

	TRY("create rdonly+wronly", array_create(BPF_F_RDONLY | BPF_F_WRONLY));
	TRY("create rdonly_prog+wronly_prog", array_create(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG));
	rw = must("create rw", array_create(0));
	ro = must("create rdonly", array_create(BPF_F_RDONLY | BPF_F_MMAPABLE));
	wo = must("create wronly", array_create(BPF_F_WRONLY));
	if (rw < 0 || ro < 0 || wo < 0)
		return;
	fd_ops("rw", rw);
	fd_ops("rdonly", ro);
	fd_ops("wronly", wo);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	report("rdonly mmap writable", p == MAP_FAILED ? -1 : 0, errno);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	report("rdonly mmap read-only", p == MAP_FAILED ? -1 : 0, errno);

	/* The mode is the fd's: another fd on the read-only map may write. */
	id = obj_id(ro);
	fd = fd_by_id(BPF_MAP_GET_FD_BY_ID, id, 0);
	report("by_id(rdonly map, 0)", fd, errno);
	if (fd >= 0)
		fd_ops("by_id(rdonly map, 0)", fd);
	id = obj_id(rw);
	fd = fd_by_id(BPF_MAP_GET_FD_BY_ID, id, BPF_F_RDONLY);
	report("by_id(rw map, RDONLY)", fd, errno);
	if (fd >= 0)
		fd_ops("by_id(rw map, RDONLY)", fd);
	fd = fd_by_id(BPF_MAP_GET_FD_BY_ID, id, BPF_F_WRONLY);
	report("by_id(rw map, WRONLY)", fd, errno);
	if (fd >= 0)
		fd_ops("by_id(rw map, WRONLY)", fd);
	TRY("by_id(rw map, RDONLY|WRONLY)", fd_by_id(BPF_MAP_GET_FD_BY_ID, id, BPF_F_RDONLY | BPF_F_WRONLY));
	TRY("by_id(rw map, RDONLY_PROG)", fd_by_id(BPF_MAP_GET_FD_BY_ID, id, BPF_F_RDONLY_PROG));

	/* OBJ_GET: each a file of its own, with the mode asked for. */
	TRY("pin rw map", obj(BPF_OBJ_PIN, PIN_MAP, rw, 0));
	fd = obj(BPF_OBJ_GET, PIN_MAP, 0, BPF_F_RDONLY);
	report("obj_get(RDONLY)", fd, errno);
	if (fd >= 0)
		fd_ops("obj_get(RDONLY)", fd);
	fd = obj(BPF_OBJ_GET, PIN_MAP, 0, BPF_F_WRONLY);
	report("obj_get(WRONLY)", fd, errno);
	if (fd >= 0)
		fd_ops("obj_get(WRONLY)", fd);
	fd = obj(BPF_OBJ_GET, PIN_MAP, 0, 0);
	report("obj_get(0)", fd, errno);
	if (fd >= 0)
		fd_ops("obj_get(0)", fd);
	TRY("obj_get(RDONLY|WRONLY)", obj(BPF_OBJ_GET, PIN_MAP, 0, BPF_F_RDONLY | BPF_F_WRONLY));
	TRY("unpin map", unlink(PIN_MAP));

	/* Frozen: read-only through every fd, also those opened later. */
	TRY("freeze rw", freeze(rw));
	TRY("freeze rw again", freeze(rw));
	fd_ops("frozen", rw);
	fd = fd_by_id(BPF_MAP_GET_FD_BY_ID, obj_id(rw), 0);
	report("by_id(frozen, 0)", fd, errno);
	if (fd >= 0)
		fd_ops("by_id(frozen, 0)", fd);
	TRY("freeze rdonly fd", freeze(ro));
	TRY("freeze wronly fd", freeze(wo));
}

/* ---- programs ---- */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_K(d, k) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define STORE_R0 INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_0, 0, 0, 1)
#define LOAD_R0 INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_0, 0, 0)
#define SF BPF_PROG_TYPE_SOCKET_FILTER

/* A program built instruction by instruction. */
struct prog {
	struct bpf_insn insns[32];
	unsigned int n;
};

static struct prog *start(struct prog *p)
{
	p->n = 0;
	return p;
}

static struct prog *emit(struct prog *p, struct bpf_insn in)
{
	p->insns[p->n++] = in;
	return p;
}

/* dst = the map @fd (BPF_PSEUDO_MAP_FD) or its value (BPF_PSEUDO_MAP_VALUE) */
static struct prog *ld_map(struct prog *p, int dst, int pseudo, int fd)
{
	emit(p, INSN(BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, fd));
	return emit(p, INSN(0, 0, 0, 0, 0));
}

/* r2 = fp - 4 with *(u32 *)(fp - 4) = 0: key 0 on the stack */
static struct prog *key_r2(struct prog *p)
{
	emit(p, INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0));
	emit(p, MOV_X(BPF_REG_2, BPF_REG_10));
	return emit(p, ADD_K(BPF_REG_2, -4));
}

/* r3 = fp - 16 with *(u64 *)(fp - 16) = 0: a value on the stack */
static struct prog *value_r3(struct prog *p)
{
	emit(p, INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -16, 0));
	emit(p, MOV_X(BPF_REG_3, BPF_REG_10));
	return emit(p, ADD_K(BPF_REG_3, -16));
}

/* r0 = lookup(map, &key 0); if r0 == 0 skip the next @skip insns (to the exit) */
static struct prog *emit_lookup(struct prog *p, int fd, int skip)
{
	ld_map(p, BPF_REG_1, BPF_PSEUDO_MAP_FD, fd);
	key_r2(p);
	emit(p, CALL(BPF_FUNC_map_lookup_elem));
	return emit(p, INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, skip, 0));
}

/* two insns: *(u64 *)r0 += 1, atomically */
static struct prog *atomic_add_r0(struct prog *p)
{
	emit(p, MOV_K(BPF_REG_1, 1));
	return emit(p, INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD));
}

/* three insns: helper(r0, 8) */
static struct prog *call_on_r0(struct prog *p, int helper)
{
	emit(p, MOV_X(BPF_REG_1, BPF_REG_0));
	emit(p, MOV_K(BPF_REG_2, 8));
	return emit(p, CALL(helper));
}

static long load(const char *what, int type, struct prog *p)
{
	static char log[4096];
	union bpf_attr a;
	long fd;

	emit(p, MOV_K(BPF_REG_0, 0));
	emit(p, EXIT);
	sys_bpf_prog_attr(&a, type, p->insns, p->n);
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	log[0] = 0;
	errno = 0;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	report(what, fd, errno);
	if (fd < 0 && log[0])
		fprintf(stderr, "%s: %s\n", what, log);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* Each program ends in r0 = 0; exit (load adds it). */
static void prog_flags(void)
{
	int ro = must("create rdonly_prog", array_create(BPF_F_RDONLY_PROG));
	int wo = must("create wronly_prog", array_create(BPF_F_WRONLY_PROG));
	int rw = must("create rw for progs", array_create(0));
	struct prog p;

	if (ro < 0 || wo < 0 || rw < 0)
		return;
	/* User space still writes them: the flags are about programs. */
	TRY("rdonly_prog update from user space", update(ro));
	TRY("wronly_prog lookup from user space", lookup(wo));

	load("prog rdonly_prog lookup+load", SF, emit(emit_lookup(start(&p), ro, 1), LOAD_R0));
	load("prog rdonly_prog lookup+store", SF, emit(emit_lookup(start(&p), ro, 1), STORE_R0));
	load("prog rdonly_prog lookup+atomic", SF, atomic_add_r0(emit_lookup(start(&p), ro, 2)));
	ld_map(start(&p), BPF_REG_1, BPF_PSEUDO_MAP_VALUE, ro);
	load("prog rdonly_prog direct load", SF, emit(&p, INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0)));
	ld_map(start(&p), BPF_REG_1, BPF_PSEUDO_MAP_VALUE, ro);
	emit(&p, ADD_K(BPF_REG_1, 4));
	load("prog rdonly_prog direct store", SF, emit(&p, INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_1, 0, 0, 7)));
	value_r3(key_r2(ld_map(start(&p), BPF_REG_1, BPF_PSEUDO_MAP_FD, ro)));
	emit(&p, MOV_K(BPF_REG_4, 0));
	load("prog rdonly_prog update", SF, emit(&p, CALL(BPF_FUNC_map_update_elem)));
	key_r2(ld_map(start(&p), BPF_REG_1, BPF_PSEUDO_MAP_FD, ro));
	load("prog rdonly_prog delete", SF, emit(&p, CALL(BPF_FUNC_map_delete_elem)));
	/* a helper writing into the value: bpf_get_current_comm(value, 8) */
	load("prog rdonly_prog helper writes value", BPF_PROG_TYPE_KPROBE,
	     call_on_r0(emit_lookup(start(&p), ro, 3), BPF_FUNC_get_current_comm));

	load("prog wronly_prog lookup+store", SF, emit(emit_lookup(start(&p), wo, 1), STORE_R0));
	load("prog wronly_prog lookup+load", SF, emit(emit_lookup(start(&p), wo, 1), LOAD_R0));
	load("prog wronly_prog lookup+atomic", SF, atomic_add_r0(emit_lookup(start(&p), wo, 2)));
	ld_map(start(&p), BPF_REG_1, BPF_PSEUDO_MAP_VALUE, wo);
	load("prog wronly_prog direct load", SF, emit(&p, INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0)));
	value_r3(key_r2(ld_map(start(&p), BPF_REG_1, BPF_PSEUDO_MAP_FD, wo)));
	emit(&p, MOV_K(BPF_REG_4, 0));
	emit(&p, CALL(BPF_FUNC_map_update_elem));
	key_r2(ld_map(&p, BPF_REG_1, BPF_PSEUDO_MAP_FD, wo));
	load("prog wronly_prog update+delete", SF, emit(&p, CALL(BPF_FUNC_map_delete_elem)));
	/* a helper reading the value: update(rw, key, value of the write-only map) */
	emit(emit_lookup(start(&p), wo, 8), MOV_X(BPF_REG_3, BPF_REG_0));
	key_r2(ld_map(&p, BPF_REG_1, BPF_PSEUDO_MAP_FD, rw));
	emit(&p, MOV_K(BPF_REG_4, 0));
	load("prog wronly_prog value as helper input", SF, emit(&p, CALL(BPF_FUNC_map_update_elem)));
	load("prog wronly_prog helper writes value", BPF_PROG_TYPE_KPROBE,
	     call_on_r0(emit_lookup(start(&p), wo, 3), BPF_FUNC_get_current_comm));
	/* copied through a register and past a jump: still the same map's value */
	emit(emit_lookup(start(&p), ro, 3), MOV_X(BPF_REG_6, BPF_REG_0));
	emit(&p, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0));
	load("prog rdonly_prog store after a join", SF, emit(&p, INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_6, 0, 0, 1)));
}

/* ---- attr sizes ---- */

static void zero_sizes(void)
{
	static const struct { int cmd; const char *name; } cmds[] = {
		{ BPF_MAP_CREATE, "MAP_CREATE" },
		{ BPF_MAP_LOOKUP_ELEM, "MAP_LOOKUP_ELEM" },
		{ BPF_MAP_UPDATE_ELEM, "MAP_UPDATE_ELEM" },
		{ BPF_MAP_DELETE_ELEM, "MAP_DELETE_ELEM" },
		{ BPF_MAP_GET_NEXT_KEY, "MAP_GET_NEXT_KEY" },
		{ BPF_PROG_LOAD, "PROG_LOAD" },
		{ BPF_OBJ_PIN, "OBJ_PIN" },
		{ BPF_OBJ_GET, "OBJ_GET" },
		{ BPF_PROG_TEST_RUN, "PROG_TEST_RUN" },
		{ BPF_PROG_GET_FD_BY_ID, "PROG_GET_FD_BY_ID" },
		{ BPF_MAP_GET_FD_BY_ID, "MAP_GET_FD_BY_ID" },
		{ BPF_OBJ_GET_INFO_BY_FD, "OBJ_GET_INFO_BY_FD" },
		{ BPF_RAW_TRACEPOINT_OPEN, "RAW_TRACEPOINT_OPEN" },
		{ BPF_BTF_LOAD, "BTF_LOAD" },
		{ BPF_BTF_GET_FD_BY_ID, "BTF_GET_FD_BY_ID" },
		{ BPF_MAP_LOOKUP_AND_DELETE_ELEM, "MAP_LOOKUP_AND_DELETE_ELEM" },
		{ BPF_MAP_FREEZE, "MAP_FREEZE" },
		{ BPF_MAP_LOOKUP_BATCH, "MAP_LOOKUP_BATCH" },
		{ BPF_MAP_UPDATE_BATCH, "MAP_UPDATE_BATCH" },
		{ BPF_MAP_DELETE_BATCH, "MAP_DELETE_BATCH" },
		{ BPF_LINK_CREATE, "LINK_CREATE" },
		{ BPF_LINK_UPDATE, "LINK_UPDATE" },
		{ BPF_LINK_GET_FD_BY_ID, "LINK_GET_FD_BY_ID" },
		{ BPF_LINK_DETACH, "LINK_DETACH" },
	};
	union bpf_attr a;
	char name[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		memset(&a, 0, sizeof(a));
		snprintf(name, sizeof(name), "size0 %s", cmds[i].name);
		TRY(name, sys_bpf_size(cmds[i].cmd, &a, 0));
		memset(&a, 0, sizeof(a));
		snprintf(name, sizeof(name), "size4 %s", cmds[i].name);
		TRY(name, sys_bpf_size(cmds[i].cmd, &a, 4));
	}
}

/* ---- bad pointers: EFAULT, and the process goes on ---- */

static long load_bad(uint64_t insns, uint64_t license, uint64_t log_buf)
{
	static const struct bpf_insn ok[] = { MOV_K(BPF_REG_0, 0), EXIT };
	union bpf_attr a;

	sys_bpf_prog_attr(&a, SF, ok, ARRAY_SIZE(ok));
	if (insns)
		a.insns = insns;
	if (license)
		a.license = license;
	if (log_buf) {
		a.log_buf = log_buf;
		a.log_size = 4096;
		a.log_level = 1;
	}
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static void bad_pointers(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	union bpf_attr *edge;
	int map;

	if (two == MAP_FAILED || munmap(two + page, page))
		return;
	/* An attr whose last 8 bytes are in the unmapped page. */
	edge = (union bpf_attr *)(two + page - sizeof(*edge) + 8);
	memset(edge, 0, sizeof(*edge) - 8);
	TRY("bad attr pointer PROG_LOAD", sys_bpf(BPF_PROG_LOAD, (union bpf_attr *)1));
	TRY("bad attr pointer MAP_CREATE", sys_bpf(BPF_MAP_CREATE, (union bpf_attr *)1));
	TRY("attr into an unmapped page PROG_LOAD", sys_bpf(BPF_PROG_LOAD, edge));
	TRY("attr into an unmapped page MAP_LOOKUP_ELEM", sys_bpf(BPF_MAP_LOOKUP_ELEM, edge));
	TRY("bad insns", load_bad(1, 0, 0));
	TRY("bad license", load_bad(0, 1, 0));
	TRY("bad log_buf", load_bad(0, 0, 1));
	map = must("create for bad pointers", array_create(0));
	TRY("bad key lookup", elem(BPF_MAP_LOOKUP_ELEM, map, 1, (uintptr_t)&value_buf));
	TRY("bad value lookup", elem(BPF_MAP_LOOKUP_ELEM, map, (uintptr_t)&zero_key, 1));
	TRY("bad value update", elem(BPF_MAP_UPDATE_ELEM, map, (uintptr_t)&zero_key, 1));
	TRY("bad key update", elem(BPF_MAP_UPDATE_ELEM, map, 1, (uintptr_t)&value_buf));
	TRY("perf_event_open bad attr", syscall(__NR_perf_event_open, (void *)1, -1, 0, -1, 0));
	TRY("perf_event_open attr into an unmapped page",
	    syscall(__NR_perf_event_open, two + page - 8, -1, 0, -1, 0));
	/* Still alive, and the driver still answers. */
	TRY("valid load after bad pointers", load_bad(0, 0, 0));
	TRY("valid lookup after bad pointers", lookup(map));
}

/* A pinned program ignores the mode OBJ_GET asks for (kernel: bpf_obj_get_user). */
static void pinned_prog(void)
{
	int prog = must("load for pin", load_bad(0, 0, 0));

	if (prog < 0)
		return;
	TRY("pin prog", obj(BPF_OBJ_PIN, PIN_PROG, prog, 0));
	TRY("obj_get prog(RDONLY)", obj(BPF_OBJ_GET, PIN_PROG, 0, BPF_F_RDONLY));
	TRY("obj_get prog(WRONLY)", obj(BPF_OBJ_GET, PIN_PROG, 0, BPF_F_WRONLY));
	TRY("unpin prog", unlink(PIN_PROG));
}

int main(void)
{
	/* fd 0 is no bpf object, whatever the runner left there. */
	close(0);
	open("/dev/null", O_RDONLY);
	fd_modes();
	prog_flags();
	zero_sizes();
	bad_pointers();
	pinned_prog();
	printf("F done\n");
	return 0;
}
