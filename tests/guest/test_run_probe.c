/* BPF_PROG_TEST_RUN of raw tracepoint programs, tail calls through a PROG_ARRAY
 * (including the 33-call limit) and the prog array's user-space commands, and
 * perf_event_output into a PERF_EVENT_ARRAY whose fd is closed while a program
 * still holds it, printed as "R key=value" lines the test compares between the stock
 * kernel (native) and the no-bpf kernel under libbpfhook.so + bpfdrv.ko. Also
 * BPF_ENABLE_STATS: run_time_ns grows only while a stats fd is open.
 * Build: gcc -O2 -Wall -o test_run_probe test_run_probe.c -lbpf */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define LD_MAP(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

static int load(enum bpf_prog_type type, const struct bpf_insn *insns, int n, const char *name)
{
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(type, name, "GPL", insns, n, &o);

	if (fd < 0)
		printf("# load %s: errno %d\n%s\n", name, errno, log);
	return fd;
}

/* retval, or -errno */
static long long run(int fd, const void *ctx, __u32 ctx_size, __u32 flags, __u32 cpu, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = ctx, .ctx_size_in = ctx_size, .flags = flags,
		    .cpu = cpu, .repeat = repeat);
	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	return o.retval;
}

static __u64 run_time_ns(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? (__u64)-1 : info.run_time_ns;
}

/*
 * Run time is measured only while a BPF_ENABLE_STATS fd is open (Linux's
 * bpf_stats_enabled_key); run_cnt is not compared: the module counts runs always.
 */
static void stats_probe(__u64 *args)
{
	struct bpf_insn ret0[] = { MOV_IMM(0, 0), EXIT };
	int prog = load(BPF_PROG_TYPE_RAW_TRACEPOINT, ret0, 2, "stats"), sfd, i;
	__u64 before, on;

	printf("R stats_bad_type=%d\n", bpf_enable_stats(BPF_STATS_RUN_TIME + 1) < 0 ? -errno : 0);
	run(prog, args, 16, 0, 0, 0);
	printf("R stats_off_time=%llu\n", (unsigned long long)run_time_ns(prog));
	sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	printf("R stats_fd=%d\n", sfd < 0 ? -errno : 0);
	before = run_time_ns(prog);
	for (i = 0; i < 20; i++)
		run(prog, args, 16, 0, 0, 0);
	on = run_time_ns(prog);
	printf("R stats_on_time_grows=%d\n", on > before);
	close(sfd);
	for (i = 0; i < 20; i++)
		run(prog, args, 16, 0, 0, 0);
	printf("R stats_closed_time_same=%d\n", run_time_ns(prog) == on);
	close(prog);
}

int main(void)
{
	__u64 args[13] = { 40, 2 };
	__u32 k0 = 0, k1 = 1, k9 = 9, v;
	int add, seven, tp, parr, counter, caller, self;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* r0 = args[0] + args[1] */
	struct bpf_insn add_insns[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 0, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 2, 1, 8, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0),
		EXIT,
	};
	struct bpf_insn seven_insns[] = { MOV_IMM(0, 7), EXIT };
	add = load(BPF_PROG_TYPE_RAW_TRACEPOINT, add_insns, 4, "add");
	seven = load(BPF_PROG_TYPE_RAW_TRACEPOINT, seven_insns, 2, "seven");
	tp = load(BPF_PROG_TYPE_TRACEPOINT, seven_insns, 2, "tp");
	printf("R loads=%d\n", add >= 0 && seven >= 0 && tp >= 0);
	printf("R raw_tp_add=%lld\n", run(add, args, 16, 0, 0, 0));
	printf("R raw_tp_no_ctx=%lld\n", run(seven, NULL, 0, 0, 0, 0));
	printf("R raw_tp_repeat=%lld\n", run(add, args, 16, 0, 0, 5));
	printf("R raw_tp_ctx_too_big=%lld\n", run(add, args, 13 * 8, 0, 0, 0));
	printf("R raw_tp_cpu_without_flag=%lld\n", run(add, args, 16, 0, 1, 0));
	printf("R raw_tp_on_cpu1=%lld\n", run(add, args, 16, BPF_F_TEST_RUN_ON_CPU, 1, 0));
	printf("R raw_tp_on_cpu99=%lld\n", run(add, args, 16, BPF_F_TEST_RUN_ON_CPU, 99, 0));
	printf("R raw_tp_bad_flags=%lld\n", run(add, args, 16, 1 << 5, 0, 0));
	printf("R tracepoint=%lld\n", run(tp, args, 16, 0, 0, 0));

	parr = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, NULL, 4, 4, 4, NULL);
	counter = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	printf("R prog_array_create=%d\n", parr >= 0);
	printf("R pa_create_bad=%d\n", bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, NULL, 4, 8, 4, NULL) < 0 ? -errno : 0);
	printf("R pa_update_noexist=%d\n", bpf_map_update_elem(parr, &k0, &seven, BPF_NOEXIST) ? -errno : 0);
	printf("R pa_update_e2big=%d\n", bpf_map_update_elem(parr, &k9, &seven, BPF_ANY) ? -errno : 0);
	printf("R pa_update_map_fd=%d\n", bpf_map_update_elem(parr, &k0, &counter, BPF_ANY) ? -errno : 0);
	printf("R pa_update=%d\n", bpf_map_update_elem(parr, &k0, &seven, BPF_ANY) ? -errno : 0);
	printf("R pa_update_other_type=%d\n", bpf_map_update_elem(parr, &k1, &tp, BPF_ANY) ? -errno : 0);
	printf("R pa_delete_empty=%d\n", bpf_map_delete_elem(parr, &k1) ? -errno : 0);
	printf("R pa_delete_e2big=%d\n", bpf_map_delete_elem(parr, &k9) ? -errno : 0);
	printf("R pa_lookup_empty=%d\n", bpf_map_lookup_elem(parr, &k1, &v) ? -errno : 0);
	printf("R pa_next=%d\n", bpf_map_get_next_key(parr, NULL, &v) ? -errno : (int)v);

	/* tail_call(ctx, parr, r6) with r6 = args[0]; falls through to r0 = 1 */
	struct bpf_insn caller_insns[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 3, 1, 0, 0),
		LD_MAP(2, parr),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		MOV_IMM(0, 1),
		EXIT,
	};
	caller = load(BPF_PROG_TYPE_RAW_TRACEPOINT, caller_insns, 6, "caller");
	args[0] = 0;
	printf("R tail_call_0=%lld\n", run(caller, args, 16, 0, 0, 0));
	args[0] = 1;
	printf("R tail_call_empty=%lld\n", run(caller, args, 16, 0, 0, 0));
	args[0] = 1000;
	printf("R tail_call_out_of_range=%lld\n", run(caller, args, 16, 0, 0, 0));

	/* counter[0]++; tail_call(ctx, parr, 2) (itself): runs 1 + 33 times */
	struct bpf_insn self_insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
		LD_MAP(1, counter),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0),
		MOV_IMM(1, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		LD_MAP(2, parr),
		MOV_IMM(3, 2),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		MOV_IMM(0, 3),
		EXIT,
	};
	self = load(BPF_PROG_TYPE_RAW_TRACEPOINT, self_insns, 17, "self");
	printf("R self_store=%d\n", bpf_map_update_elem(parr, &(__u32){ 2 }, &self, BPF_ANY) ? -errno : 0);
	printf("R self_run=%lld\n", run(self, args, 16, 0, 0, 0));
	{
		__u64 c = 0;

		bpf_map_lookup_elem(counter, &k0, &c);
		printf("R self_runs=%llu\n", (unsigned long long)c);
	}
	printf("R pa_delete=%d\n", bpf_map_delete_elem(parr, &k0) ? -errno : 0);
	args[0] = 0;
	printf("R tail_call_deleted=%lld\n", run(caller, args, 16, 0, 0, 0));

	/*
	 * perf_event_output(ctx, out, BPF_F_CURRENT_CPU, fp - 8, 8) run on CPU 0 into CPU 0's
	 * BPF output event; then the map's only fd is closed while the program still holds
	 * the map: Linux removes the entries that file put in (ENOENT) unless the map has
	 * BPF_F_PRESERVE_ELEMS.
	 */
	{
		struct perf_event_attr pa = {
			.type = PERF_TYPE_SOFTWARE, .size = sizeof(pa), .config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_type = PERF_SAMPLE_RAW, .sample_period = 1, .wakeup_events = 1,
		};
		LIBBPF_OPTS(bpf_map_create_opts, keep, .map_flags = BPF_F_PRESERVE_ELEMS);
		const char *names[2] = { "perf_out", "perf_out_preserved" };
		int m;

		for (m = 0; m < 2; m++) {
			int out = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL, 4, 4, 2, m ? &keep : NULL);
			int pfd = syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
			void *ring = pfd < 0 ? MAP_FAILED :
				mmap(NULL, 2 * getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
			struct bpf_insn out_insns[] = {
				INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 42),
				LD_MAP(2, out),
				INSN(BPF_ALU | BPF_MOV | BPF_K, 3, 0, 0, -1), /* BPF_F_CURRENT_CPU */
				INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 10, 0, 0),
				INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, -8),
				MOV_IMM(5, 8),
				INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output),
				EXIT,
			};
			int prog = load(BPF_PROG_TYPE_RAW_TRACEPOINT, out_insns, 9, names[m]);

			printf("R %s_setup=%d\n", names[m], out >= 0 && pfd >= 0 && ring != MAP_FAILED && prog >= 0);
			printf("R %s_update=%d\n", names[m], bpf_map_update_elem(out, &k0, &pfd, BPF_ANY) ? -errno : 0);
			printf("R %s_open=%lld\n", names[m], run(prog, args, 16, BPF_F_TEST_RUN_ON_CPU, 0, 0));
			close(out);
			printf("R %s_map_closed=%lld\n", names[m], run(prog, args, 16, BPF_F_TEST_RUN_ON_CPU, 0, 0));
			close(prog);
			if (ring != MAP_FAILED)
				munmap(ring, 2 * getpagesize());
			close(pfd);
		}
	}
	stats_probe(args);
	printf("R done=1\n");
	return 0;
}
