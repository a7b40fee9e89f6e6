// SPDX-License-Identifier: GPL-2.0
/*
 * Native code in the module (bpfdrv.ko jit=1) against the stock kernel's JIT: raw
 * tracepoint programs run by BPF_PROG_TEST_RUN with the arguments {7, 5}, printed as
 * "R key=value" lines.
 * - alu: a loop and arithmetic on the arguments;
 * - counter: a hash map update, a lookup, an atomic add in the value, then a read;
 * - stackid: bpf_get_stackid of the kernel stack, which the kernel's unwinder walks
 *   through the program's own frame (a frame pointer it can follow);
 * - jited_*: whether the kernel reports native code for each (jited_prog_len > 0).
 * Then what Linux's verifier refuses at load and the module must stop while it runs
 * (load_* is the load's result, run_* the test run's retval; the kernel log says how the
 * module stopped them):
 * - runaway: a loop of arg << 40 turns (the budget and the run's time limit end it);
 * - stack_in / stack_out: a store at fp - 8 + (arg << 6): arg 0 is in the frame, 7 past it.
 * Last, ARENA_PROGS programs of 4096 instructions, more native code than the module's
 * 1 MiB arena holds (arena_*): those that do not fit must run interpreted with the same
 * result, and closing them must free the arena for the next program.
 */
#include <stdlib.h>
#include "bpf_sys.h"

#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX_DW(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX_DW(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define NR(insns) (sizeof(insns) / sizeof((insns)[0]))

#define ARENA_PROG_INSNS	4096
#define ARENA_PROGS		80

/* A raw tracepoint program named @name: its fd, or -1 with errno. */
static int load_quiet(const char *name, const struct bpf_insn *insns, unsigned int cnt)
{
	union bpf_attr a;

	sys_bpf_prog_attr(&a, BPF_PROG_TYPE_RAW_TRACEPOINT, insns, cnt);
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* Does the kernel report native code for @fd: 1, 0, or -errno. */
static int jited(int fd)
{
	struct bpf_prog_info info;

	memset(&info, 0, sizeof(info));
	if (sys_bpf_obj_info(fd, &info, sizeof(info)))
		return -errno;
	return info.jited_prog_len > 0;
}

/* load_quiet(), reported as load_<name> and jited_<name>. */
static int load(const char *name, const struct bpf_insn *insns, unsigned int cnt)
{
	int fd = load_quiet(name, insns, cnt), j;

	printf("R load_%s=%s\n", name, fd < 0 ? sys_bpf_err_name(errno) : "ok");
	if (fd < 0)
		return fd;
	j = jited(fd);
	if (j < 0)
		printf("R jited_%s=%s\n", name, sys_bpf_err_name(-j));
	else
		printf("R jited_%s=%d\n", name, j);
	return fd;
}

/* One test run on {arg0, 5}: the retval, or -errno. */
static long long run(int fd, uint64_t arg0)
{
	uint64_t args[2] = { arg0, 5 };
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = fd;
	a.test.ctx_in = (uintptr_t)args;
	a.test.ctx_size_in = sizeof(args);
	if (sys_bpf(BPF_PROG_TEST_RUN, &a))
		return -errno;
	return a.test.retval;
}

/*
 * ARENA_PROGS programs of r0 = 0, ARENA_PROG_INSNS - 2 times r0 += 1: each must return
 * its count whether native or interpreted; once all are closed, one more is native.
 */
static void arena_probe(void)
{
	static struct bpf_insn big[ARENA_PROG_INSNS];
	int fds[ARENA_PROGS], i, native = 0, interpreted = 0, same = 1, fd;

	big[0] = ALU64_IMM(BPF_MOV, BPF_REG_0, 0);
	for (i = 1; i < ARENA_PROG_INSNS - 1; i++)
		big[i] = ALU64_IMM(BPF_ADD, BPF_REG_0, 1);
	big[ARENA_PROG_INSNS - 1] = EXIT;
	for (i = 0; i < ARENA_PROGS; i++) {
		fds[i] = load_quiet("big", big, ARENA_PROG_INSNS);
		if (fds[i] < 0) {
			printf("# load big %d: %s\n", i, sys_bpf_err_name(errno));
			same = 0;
			continue;
		}
		if (jited(fds[i]) == 1)
			native++;
		else
			interpreted++;
		same &= run(fds[i], 0) == ARENA_PROG_INSNS - 2;
	}
	printf("R arena_results=%d\nR arena_native=%d\nR arena_interpreted=%d\n", same, native > 0,
	       interpreted);
	for (i = 0; i < ARENA_PROGS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fd = load_quiet("big", big, ARENA_PROG_INSNS);
	printf("R arena_after_close=%d\n", fd < 0 ? -errno : jited(fd));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	/* r0 = 100 + 99 + ... + 1 + arg0 * arg1 */
	struct bpf_insn alu[] = {
		LDX_DW(BPF_REG_6, BPF_REG_1, 0),
		LDX_DW(BPF_REG_7, BPF_REG_1, 8),
		ALU64_IMM(BPF_MOV, BPF_REG_0, 0),
		ALU64_IMM(BPF_MOV, BPF_REG_2, 100),
		ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_2),
		ALU64_IMM(BPF_SUB, BPF_REG_2, 1),
		INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, -3, 0),
		ALU64_REG(BPF_MUL, BPF_REG_6, BPF_REG_7),
		ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_6),
		EXIT,
	};
	struct bpf_insn runaway[] = {
		LDX_DW(BPF_REG_2, BPF_REG_1, 0),
		ALU64_IMM(BPF_LSH, BPF_REG_2, 40),
		ALU64_IMM(BPF_MOV, BPF_REG_0, 0),
		ALU64_IMM(BPF_ADD, BPF_REG_0, 1),
		INSN(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_0, BPF_REG_2, -2, 0),
		EXIT,
	};
	struct bpf_insn stack[] = {
		LDX_DW(BPF_REG_2, BPF_REG_1, 0),
		ALU64_IMM(BPF_LSH, BPF_REG_2, 6),
		ALU64_REG(BPF_MOV, BPF_REG_3, BPF_REG_10),
		ALU64_REG(BPF_ADD, BPF_REG_3, BPF_REG_2),
		STX_DW(BPF_REG_3, BPF_REG_2, -8),
		RETURN(3),
	};
	int map = sys_bpf_map_create(BPF_MAP_TYPE_HASH, 8, 4, 0), fd;
	uint32_t key = 0;
	uint64_t value = 0;

	if (map < 0) {
		printf("map: %s\n", sys_bpf_err_name(errno));
		return 1;
	}
	{
		/* key 0 = arg0; then value += arg1 through the lookup; r0 = the value */
		struct bpf_insn counter[] = {
			LDX_DW(BPF_REG_6, BPF_REG_1, 0),
			LDX_DW(BPF_REG_7, BPF_REG_1, 8),
			ST_W(BPF_REG_10, -4, 0),
			STX_DW(BPF_REG_10, BPF_REG_6, -16),
			MAP_UPDATE(map, -4, -16, BPF_ANY),
			MAP_LOOKUP(map, -4),
			INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0),
			RETURN(1000),
			INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_7, 0, BPF_ADD),
			LDX_DW(BPF_REG_0, BPF_REG_0, 0),
			EXIT,
		};

		fd = load("counter", counter, NR(counter));
		if (fd >= 0) {
			printf("R counter=%lld\n", run(fd, 7));
			printf("R counter_again=%lld\n", run(fd, 30));
		}
	}
	if (sys_bpf_elem(BPF_MAP_LOOKUP_ELEM, map, &key, &value, 0))
		printf("R counter_value=%s\n", sys_bpf_err_name(errno));
	else
		printf("R counter_value=%llu\n", (unsigned long long)value);
	{
		int stacks = sys_bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, 8 * 127, 16, 0);
		/* r0 = get_stackid(ctx, stacks, 0) >= 0 ? 1 : the error */
		struct bpf_insn stackid[] = {
			LD_MAP_FD(BPF_REG_2, stacks),
			ALU64_IMM(BPF_MOV, BPF_REG_3, 0),
			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_stackid),
			INSN(BPF_JMP | BPF_JSLT | BPF_K, BPF_REG_0, 0, 1, 0),
			ALU64_IMM(BPF_MOV, BPF_REG_0, 1),
			EXIT,
		};

		fd = stacks < 0 ? -1 : load("stackid", stackid, NR(stackid));
		if (fd >= 0)
			printf("R stackid=%lld\n", run(fd, 7));
	}
	fd = load("alu", alu, NR(alu));
	if (fd >= 0)
		printf("R alu=%lld\n", run(fd, 7));
	fd = load("runaway", runaway, NR(runaway));
	if (fd >= 0)
		printf("R run_runaway=%lld\n", run(fd, 7));
	fd = load("stack", stack, NR(stack));
	if (fd >= 0) {
		printf("R run_stack_in=%lld\n", run(fd, 0));
		printf("R run_stack_out=%lld\n", run(fd, 7));
	}
	arena_probe();
	printf("R done=1\n");
	return 0;
}
