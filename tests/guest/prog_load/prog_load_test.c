/* Program loading features, printed as "R case ..." lines the guest test compares
 * between the stock kernel (native) and the no-bpf kernel under libbpfhook.so + bpfdrv.ko:
 *  - bpf_loop: prog_load.bpf.o's programs (callbacks are BPF_PSEUDO_FUNC subprograms)
 *    run with BPF_PROG_TEST_RUN over a table of cases;
 *  - fd_array: raw programs naming maps by BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE (what
 *    light skeletons emit), and the errors for a missing fd_array or a bad entry;
 *  - bpf_for_each_map_elem over a hash, an array and a per-CPU array: sums, early stop,
 *    values written and elements deleted by the callback (hash order differs between
 *    kernels, so the hash cases only print what does not depend on it);
 *  - .rodata constants: a "const volatile" option guarding a CO-RE read libbpf poisons
 *    (a field no kernel has) loads and runs when the option is off, and the load fails
 *    when it is on (a second open of the object, only that program);
 *  - BPF_PROG_BIND_MAP: a bound map listed in the program's info and kept alive by it.
 *   prog_load_test prog_load.bpf.o */
#include <errno.h>
#include <stdbool.h>
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

/* hash: keys 100..109 -> 2 * key; arr: i -> i + 1; pcpu: i -> 10 * (i + 1) on every CPU */
/* The map ids of program @fd (at most 8 written): how many it has, or -errno. */
static long long prog_map_ids(int fd, __u32 *ids)
{
	struct bpf_prog_info info = { .nr_map_ids = 8, .map_ids = (unsigned long)ids };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.nr_map_ids;
}

#define ERRNO_OF(call) ((call) < 0 ? -errno : 0)

/*
 * BPF_PROG_BIND_MAP: a map the code never names, listed among the program's map ids and
 * held by it (its id still opens it once no fd is left); binding twice adds nothing; flags
 * and fds that are not a program / a map are refused.
 */
static void bind_map_cases(void)
{
	const struct bpf_insn ret0[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	LIBBPF_OPTS(bpf_prog_bind_opts, bad_flags, .flags = 1);
	struct bpf_map_info minfo = { 0 };
	__u32 mlen = sizeof(minfo), ids[8] = { 0 };
	int prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "bind", "GPL", ret0, 2, NULL);
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bound", 4, 8, 1, NULL);
	long long before, after;
	int first, again, fd;

	if (prog < 0 || map < 0 || bpf_obj_get_info_by_fd(map, &minfo, &mlen)) {
		printf("R bind_setup=%d\n", -errno);
		return;
	}
	before = prog_map_ids(prog, ids);
	first = ERRNO_OF(bpf_prog_bind_map(prog, map, NULL));
	again = ERRNO_OF(bpf_prog_bind_map(prog, map, NULL));
	after = prog_map_ids(prog, ids);
	printf("R bind before=%lld first=%d again=%d nr_map_ids=%lld same_id=%d\n", before, first, again,
	       after, ids[0] == minfo.id);
	printf("R bind_flags=%d\n", ERRNO_OF(bpf_prog_bind_map(prog, map, &bad_flags)));
	printf("R bind_map_is_prog=%d\n", ERRNO_OF(bpf_prog_bind_map(prog, prog, NULL)));
	printf("R bind_prog_is_map=%d\n", ERRNO_OF(bpf_prog_bind_map(map, map, NULL)));
	printf("R bind_closed_fd=%d\n", ERRNO_OF(bpf_prog_bind_map(prog, 999, NULL)));
	close(map);
	fd = bpf_map_get_fd_by_id(minfo.id);
	printf("R bind_keeps_map=%d\n", fd >= 0);
	close(fd);
	close(prog);
}

static void fill_maps(struct bpf_object *obj)
{
	int hash = bpf_map__fd(bpf_object__find_map_by_name(obj, "hash"));
	int arr = bpf_map__fd(bpf_object__find_map_by_name(obj, "arr"));
	int pcpu = bpf_map__fd(bpf_object__find_map_by_name(obj, "pcpu"));
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long v, pv[ncpu > 0 ? ncpu : 1];
	unsigned int k;
	int c;

	for (k = 100; k < 110; k++) {
		v = 2 * k;
		bpf_map_update_elem(hash, &k, &v, BPF_ANY);
	}
	for (k = 0; k < 8; k++) {
		v = k + 1;
		bpf_map_update_elem(arr, &k, &v, BPF_ANY);
	}
	for (k = 0; k < 4; k++) {
		for (c = 0; c < ncpu; c++)
			pv[c] = 10 * (k + 1);
		bpf_map_update_elem(pcpu, &k, pv, BPF_ANY);
	}
}

static unsigned int count_keys(int fd)
{
	unsigned int key, next, n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

struct each_case {
	const char *name;
	unsigned long long map, stop_at, mode, flags;
	int hash_order; /* which element is visited depends on the kernel's hash seed */
};

static const struct each_case each_cases[] = {
	{ "each_hash_sum", 0, NEVER, 0, 0 },
	{ "each_hash_first", 0, NEVER, 3, 0, 1 },
	{ "each_hash_bump", 0, NEVER, 1, 0 },
	{ "each_hash_bumped_sum", 0, NEVER, 0, 0 },
	{ "each_hash_bad_flags", 0, NEVER, 0, 1 },
	{ "each_array_sum", 1, NEVER, 0, 0 },
	{ "each_array_stop_at_2", 1, 2, 0, 0 },
	{ "each_array_bump", 1, NEVER, 1, 0 },
	{ "each_array_bumped_sum", 1, NEVER, 0, 0 },
	{ "each_percpu_sum", 2, NEVER, 0, 0 },
	{ "each_percpu_stop_at_0", 2, 0, 0, 0 },
	{ "each_hash_delete", 0, NEVER, 2, 0 },
	{ "each_hash_empty", 0, NEVER, 0, 0 },
};

static void for_each_cases(struct bpf_object *obj, int out_fd)
{
	static const char *const progs[] = { "each_hash", "each_arr", "each_pcpu" };
	int hash = bpf_map__fd(bpf_object__find_map_by_name(obj, "hash"));
	unsigned int i, k = 0, retval;
	int err;

	fill_maps(obj);
	for (i = 0; i < sizeof(each_cases) / sizeof(each_cases[0]); i++) {
		const struct each_case *c = &each_cases[i];
		unsigned long long args[4] = { c->map, c->stop_at, c->mode, c->flags };
		struct result r = { 0 };

		bpf_map_update_elem(out_fd, &k, &r, BPF_ANY);
		retval = 0;
		err = run(bpf_program__fd(bpf_object__find_program_by_name(obj, progs[c->map])), args,
			  &retval);
		bpf_map_lookup_elem(out_fd, &k, &r);
		if (c->hash_order)
			r.sum = r.hits = 0;
		/* ret as an int: 6.1 calls the map's int-returning op directly, so a negative
		 * return reaches the program zero-extended (fixed in 6.4, "bpf: Change map ops
		 * to return long"); the module returns the sign-extended long of later kernels. */
		printf("R %s err=%d retval=%u ret=%d sum=%llu calls=%llu keys=%llu left=%u\n", c->name,
		       err, retval, (int)r.ret, r.sum, r.calls, r.hits, count_keys(hash));
	}
}

/* rodata_guard with its .rodata option use_missing_field set to @on: load error or retval. */
static void rodata_case(const char *path, bool on)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *rodata;
	unsigned long long args[4] = { 0 };
	unsigned int retval = 0;
	const void *init = NULL;
	unsigned char opt[64];
	size_t size = 0;
	int err;

	if (!obj) {
		printf("R rodata_%s open=%d\n", on ? "on" : "off", -errno);
		return;
	}
	bpf_object__for_each_program(prog, obj) {
		bpf_program__set_autoattach(prog, false);
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), "rodata_guard"));
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (rodata)
		init = bpf_map__initial_value(rodata, &size);
	if (!init || size < 1 || size > sizeof(opt)) {
		printf("R rodata_%s no_rodata\n", on ? "on" : "off");
		bpf_object__close(obj);
		return;
	}
	memcpy(opt, init, size);
	opt[0] = on; /* use_missing_field, the object's only .rodata variable */
	err = bpf_map__set_initial_value(rodata, opt, size);
	if (!err)
		err = bpf_object__load(obj);
	if (!err)
		err = run(bpf_program__fd(bpf_object__find_program_by_name(obj, "rodata_guard")), args,
			  &retval);
	printf("R rodata_%s err=%d retval=%u\n", on ? "on" : "off", err, retval);
	bpf_object__close(obj);
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
	bpf_object__for_each_program(prog, obj) {
		bpf_program__set_autoattach(prog, false);
		/* loaded on its own by rodata_case(), so its failure stays one line */
		bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog), "rodata_guard"));
	}
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
	bind_map_cases();
	for_each_cases(obj, out_fd);
	rodata_case(argv[1], false);
	rodata_case(argv[1], true);
	printf("R done=1\n");
	return 0;
}
