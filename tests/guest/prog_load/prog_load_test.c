/* Program loading features, printed as "R case ..." lines the guest test compares
 * between the stock kernel (native) and the no-bpf kernel under libbpfhook.so + bpfdrv.ko:
 *  - bpf_loop: prog_load.bpf.o's programs (callbacks are BPF_PSEUDO_FUNC subprograms)
 *    run with BPF_PROG_TEST_RUN over a table of cases;
 *  - fd_array: raw programs naming maps by BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE (what
 *    light skeletons emit), and the errors for a missing fd_array or a bad entry.
 *   prog_load_test prog_load.bpf.o */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct result {
	long long ret;
	unsigned long long sum, calls, hits;
};

struct loop_case {
	const char *name;
	unsigned long long nr, flags, stop_at, inner;
};

#define NEVER (~0ULL)

static const struct loop_case cases[] = {
	{ "ten", 10, 0, NEVER, 0 },
	{ "none", 0, 0, NEVER, 0 },
	{ "stop_at_3", 100, 0, 3, 0 },
	{ "stop_at_0", 5, 0, 0, 0 },
	{ "bad_flags", 10, 1, NEVER, 0 },
	{ "too_many", (1ULL << 23) + 1, 0, NEVER, 0 },
	{ "too_many_bad_flags", (1ULL << 23) + 1, 2, NEVER, 0 },
	{ "nested_3x4", 3, 0, NEVER, 4 },
	{ "long_50000", 50000, 0, NEVER, 0 },
};

static int run(int fd, const unsigned long long *args, unsigned int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = 4 * sizeof(*args));

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*retval = o.retval;
	return 0;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LD_IMM64(d, src, imm, imm2) INSN(BPF_LD | BPF_DW | BPF_IMM, d, src, 0, imm), INSN(0, 0, 0, 0, imm2)

/* Load a raw_tp program with @fd_array (may be NULL); its test run's retval, or -errno. */
static long long load_and_run(const struct bpf_insn *insns, int n, const int *fd_array)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .fd_array = fd_array);
	unsigned long long args[4] = { 0 };
	unsigned int retval = 0;
	int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "fd_array", "GPL", insns, n, &o);
	int err;

	if (fd < 0)
		return -errno;
	err = run(fd, args, &retval);
	close(fd);
	return err ? err : retval;
}

static void fd_array_cases(int map_fd)
{
	/* r0 = lookup(fd_array[1], &0)->ret (1234, set below) */
	const struct bpf_insn by_idx[] = {
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_IDX, 1, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	/* r0 = *(u64 *)(value of fd_array[1] + 8): the sum field (5678) */
	const struct bpf_insn by_idx_value[] = {
		LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_IDX_VALUE, 1, 8),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct result r = { .ret = 1234, .sum = 5678 };
	unsigned int k = 0;
	int good[2] = { -1, map_fd }, not_map[2] = { -1, 0 }, closed[2] = { -1, 999 };

	bpf_map_update_elem(map_fd, &k, &r, BPF_ANY);
	printf("R fd_array_idx=%lld\n", load_and_run(by_idx, 9, good));
	printf("R fd_array_idx_value=%lld\n", load_and_run(by_idx_value, 4, good));
	printf("R fd_array_missing=%lld\n", load_and_run(by_idx, 9, NULL));
	printf("R fd_array_not_a_map=%lld\n", load_and_run(by_idx, 9, not_map));
	printf("R fd_array_closed_fd=%lld\n", load_and_run(by_idx, 9, closed));
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int loop_fd, null_fd, out_fd, err;
	unsigned int i, k = 0, retval;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: %s prog_load.bpf.o\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		printf("R open=%d\n", -errno);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoattach(prog, false);
	err = bpf_object__load(obj);
	printf("R load=%d\n", err);
	if (err)
		return 1;
	loop_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "run_loop"));
	null_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "run_null_ctx"));
	out_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "out"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct loop_case *c = &cases[i];
		unsigned long long args[4] = { c->nr, c->flags, c->stop_at, c->inner };
		struct result r = { 0 };

		bpf_map_update_elem(out_fd, &k, &r, BPF_ANY);
		retval = 0;
		err = run(loop_fd, args, &retval);
		bpf_map_lookup_elem(out_fd, &k, &r);
		printf("R %s err=%d retval=%u ret=%lld sum=%llu calls=%llu hits=%llu\n", c->name, err,
		       retval, r.ret, r.sum, r.calls, r.hits);
	}
	{
		unsigned long long args[4] = { 7 };

		err = run(null_fd, args, &retval);
		printf("R null_ctx err=%d retval=%u\n", err, retval);
	}
	fd_array_cases(out_fd);
	printf("R done=1\n");
	return 0;
}
