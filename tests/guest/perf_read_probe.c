/* bpf_perf_event_read (22) and bpf_perf_event_read_value (55) on counting software
 * perf events the process opens itself (a CPU-wide cpu-clock per CPU; task-clock and
 * context-switches of this process) stored into PERF_EVENT_ARRAYs, and the array's
 * user-space commands with them. Prints "R key=value" lines the test compares between
 * the stock kernel (native) and the no-bpf kernel under libbpfhook.so + bpfdrv.ko.
 * Counters differ between runs, so their lines are relations (ok / what broke);
 * errnos are printed as they are.
 * Build: gcc -O2 -Wall -o perf_read_probe perf_read_probe.c -lbpf */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define STX_DW(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EMIT_LD_MAP(d, fd)                                                             \
	do {                                                                           \
		p[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd); \
		p[n++] = INSN(0, 0, 0, 0, 0);                                          \
	} while (0)

#define SENTINEL 0x77777777ull
#define CURRENT BPF_F_CURRENT_CPU

enum mode { READ, VALUE, VALUE_SIZE16 };

static int out_map;

/*
 * A program that calls perf_event_read(map, flags) or perf_event_read_value(map, flags,
 * buf, 24 or 16) on a stack buffer pre-filled with SENTINEL and stores
 * { r0, buf[0], buf[1], buf[2] } into out_map[0]. flags: ctx args[0] for raw
 * tracepoints (BPF_PROG_TEST_RUN), @flags for a tracepoint program.
 */
static int load(enum bpf_prog_type type, int map, enum mode mode, __u64 flags)
{
	struct bpf_insn p[64];
	char log[8192] = "";
	int n = 0, fd;

	if (type == BPF_PROG_TYPE_RAW_TRACEPOINT)
		p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, 7, 1, 0, 0);
	else
		p[n++] = MOV_IMM(7, (int)flags); /* sign-extends: CURRENT stays all ones */
	p[n++] = MOV_IMM(1, SENTINEL);
	for (int off = -32; off < 0; off += 8)
		p[n++] = STX_DW(10, 1, off);
	EMIT_LD_MAP(1, map);
	p[n++] = MOV_REG(2, 7);
	if (mode == READ) {
		p[n++] = CALL(BPF_FUNC_perf_event_read);
	} else {
		p[n++] = MOV_REG(3, 10);
		p[n++] = ADD_IMM(3, -24);
		p[n++] = MOV_IMM(4, mode == VALUE ? 24 : 16);
		p[n++] = CALL(BPF_FUNC_perf_event_read_value);
	}
	p[n++] = STX_DW(10, 0, -32);
	p[n++] = INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -36, 0);
	EMIT_LD_MAP(1, out_map);
	p[n++] = MOV_REG(2, 10);
	p[n++] = ADD_IMM(2, -36);
	p[n++] = MOV_REG(3, 10);
	p[n++] = ADD_IMM(3, -32);
	p[n++] = MOV_IMM(4, 0);
	p[n++] = CALL(BPF_FUNC_map_update_elem);
	p[n++] = MOV_IMM(0, 0);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	fd = bpf_prog_load(type, "perf_read", "GPL", p, n, &o);
	if (fd < 0) {
		printf("# load (map %d mode %d): errno %d\n%s\n", map, mode, errno, log);
		exit(1);
	}
	return fd;
}

struct result {
	long long ret;
	__u64 v[3]; /* counter, enabled, running */
};

static struct result read_out(void)
{
	struct result r = { -1 };
	__u64 out[4];
	__u32 zero = 0;

	if (bpf_map_lookup_elem(out_map, &zero, out))
		return r;
	r.ret = (long long)out[0];
	memcpy(r.v, out + 1, sizeof(r.v));
	return r;
}

/* One test run with ctx args[0] = @flags, on @cpu (-1: here, CPU 0). */
static struct result run(int prog, __u64 flags, int cpu)
{
	__u64 args[1] = { flags };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = sizeof(args),
		    .flags = cpu >= 0 ? BPF_F_TEST_RUN_ON_CPU : 0, .cpu = cpu >= 0 ? cpu : 0);

	if (bpf_prog_test_run_opts(prog, &o))
		return (struct result){ -1000 - errno };
	return read_out();
}

static int perf_open(__u32 type, __u64 config, int pid, int cpu, int inherit)
{
	struct perf_event_attr a = { .type = type, .size = sizeof(a), .config = config, .inherit = inherit };

	return syscall(SYS_perf_event_open, &a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* A counter read's result: "ok" for a plausible counter, else the errno (or "zero"/"huge"). */
static const char *counter(long long ret, char *buf)
{
	if (ret < 0 && ret >= -4095)
		sprintf(buf, "%lld", ret);
	else if (ret == 0)
		strcpy(buf, "zero");
	else if ((__u64)ret > (1ull << 62))
		strcpy(buf, "huge");
	else
		strcpy(buf, "ok");
	return buf;
}

/* read_value's result: "0 ok" when enabled >= running > 0 and the counter is positive. */
static const char *value_shape(struct result r, char *buf)
{
	if (r.ret)
		sprintf(buf, "%lld %llx/%llx/%llx", r.ret, (unsigned long long)r.v[0],
			(unsigned long long)r.v[1], (unsigned long long)r.v[2]);
	else if (!r.v[0] || !r.v[2] || r.v[1] < r.v[2] || r.v[1] > (1ull << 62))
		sprintf(buf, "0 bad counter=%llu enabled=%llu running=%llu", (unsigned long long)r.v[0],
			(unsigned long long)r.v[1], (unsigned long long)r.v[2]);
	else
		strcpy(buf, "0 ok");
	return buf;
}

static int update(int map, __u32 key, int fd, __u64 flags)
{
	return bpf_map_update_elem(map, &key, &fd, flags) ? -errno : 0;
}

static void spin(void)
{
	for (volatile long i = 0; i < 20000000; i++)
		;
}

int main(void)
{
	int ncpu = libbpf_num_possible_cpus(), cpu_map, task_map, cpu_clock[2], task_clock, ctxsw;
	int inherited, devnull, r_cpu, r_task, v_cpu, v_task, v16_task, tp, tpfd;
	struct result a, b;
	char b1[128], b2[128];
	cpu_set_t set;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	printf("R pinned=%d\n", sched_setaffinity(0, sizeof(set), &set));
	printf("R possible_cpus=%d\n", ncpu);
	if (ncpu != 2) {
		printf("R done=needs_2_cpus\n");
		return 1;
	}
	out_map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 32, 1, NULL);
	cpu_map = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL, 4, 4, ncpu, NULL);
	task_map = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL, 4, 4, 4, NULL);
	printf("R maps=%d\n", out_map >= 0 && cpu_map >= 0 && task_map >= 0);

	for (int c = 0; c < 2; c++)
		cpu_clock[c] = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, -1, c, 0);
	task_clock = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0, -1, 0);
	ctxsw = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, 0, -1, 0);
	inherited = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0, -1, 1);
	devnull = open("/dev/null", O_RDONLY);
	printf("R perf_opens=%d\n", cpu_clock[0] >= 0 && cpu_clock[1] >= 0 && task_clock >= 0 &&
					   ctxsw >= 0 && inherited >= 0);

	/* The array's user-space commands with kernel perf events. */
	printf("R update_cpu0=%d\n", update(cpu_map, 0, cpu_clock[0], BPF_ANY));
	printf("R update_cpu1=%d\n", update(cpu_map, 1, cpu_clock[1], BPF_ANY));
	printf("R update_task_clock=%d\n", update(task_map, 0, task_clock, BPF_ANY));
	printf("R update_ctxsw=%d\n", update(task_map, 1, ctxsw, BPF_ANY));
	printf("R update_replace=%d\n", update(task_map, 1, ctxsw, BPF_ANY));
	printf("R update_inherited=%d\n", update(task_map, 3, inherited, BPF_ANY));
	printf("R update_devnull=%d\n", update(task_map, 3, devnull, BPF_ANY));
	printf("R update_map_fd=%d\n", update(task_map, 3, cpu_map, BPF_ANY));
	printf("R update_bad_fd=%d\n", update(task_map, 3, 999, BPF_ANY));
	printf("R update_e2big=%d\n", update(task_map, 4, task_clock, BPF_ANY));
	printf("R update_noexist=%d\n", update(task_map, 2, task_clock, BPF_NOEXIST));
	printf("R delete_empty=%d\n", bpf_map_delete_elem(task_map, &(__u32){ 2 }) ? -errno : 0);
	printf("R delete_e2big=%d\n", bpf_map_delete_elem(task_map, &(__u32){ 4 }) ? -errno : 0);
	{
		__u32 key = 0, next = 99, val;

		printf("R lookup=%d\n", bpf_map_lookup_elem(task_map, &key, &val) ? -errno : 0);
		printf("R next_key=%d\n", bpf_map_get_next_key(task_map, NULL, &next) ? -errno : (int)next);
	}

	r_cpu = load(BPF_PROG_TYPE_RAW_TRACEPOINT, cpu_map, READ, 0);
	r_task = load(BPF_PROG_TYPE_RAW_TRACEPOINT, task_map, READ, 0);
	v_cpu = load(BPF_PROG_TYPE_RAW_TRACEPOINT, cpu_map, VALUE, 0);
	v_task = load(BPF_PROG_TYPE_RAW_TRACEPOINT, task_map, VALUE, 0);
	v16_task = load(BPF_PROG_TYPE_RAW_TRACEPOINT, task_map, VALUE_SIZE16, 0);
	printf("R loads=ok\n");

	/* bpf_perf_event_read: CPU-wide counters are readable on their own CPU only. */
	printf("R read_cpu_current=%s\n", counter(run(r_cpu, CURRENT, -1).ret, b1));
	printf("R read_cpu_index0=%s\n", counter(run(r_cpu, 0, -1).ret, b1));
	printf("R read_cpu_index1_from_cpu0=%s\n", counter(run(r_cpu, 1, -1).ret, b1));
	printf("R read_cpu_current_on_cpu1=%s\n", counter(run(r_cpu, CURRENT, 1).ret, b1));
	printf("R read_cpu_index0_on_cpu1=%s\n", counter(run(r_cpu, 0, 1).ret, b1));
	printf("R read_cpu_e2big=%s\n", counter(run(r_cpu, 2, -1).ret, b1));
	printf("R read_bad_flags=%s\n", counter(run(r_cpu, 1ull << 32, -1).ret, b1));
	printf("R read_bad_flags_current=%s\n", counter(run(r_cpu, CURRENT | 1ull << 40, -1).ret, b1));
	/* Task counters: readable by the task itself (the test run is in this process). */
	a = run(r_task, 0, -1);
	spin();
	b = run(r_task, 0, -1);
	printf("R read_task_clock=%s\n", counter(a.ret, b1));
	printf("R task_clock_grows=%d\n", a.ret > 0 && b.ret > a.ret);
	a = run(r_task, 1, -1);
	usleep(2000);
	b = run(r_task, 1, -1);
	printf("R read_ctxsw=%s\n", a.ret < 0 ? counter(a.ret, b1) : "ok");
	printf("R ctxsw_grows=%d\n", a.ret >= 0 && b.ret > a.ret);
	printf("R read_task_on_cpu1=%s\n", counter(run(r_task, 0, 1).ret, b1));
	printf("R read_empty=%s\n", counter(run(r_task, 2, -1).ret, b1));
	printf("R read_empty_after_failed_updates=%s\n", counter(run(r_task, 3, -1).ret, b1));
	printf("R read_task_e2big=%s\n", counter(run(r_task, 4, -1).ret, b1));
	printf("R read_task_current_cpu_slot=%s\n", counter(run(r_task, CURRENT, -1).ret, b1));

	/* bpf_perf_event_read_value: 0 and { counter, enabled, running }, zeroed on error. */
	printf("R value_cpu_current=%s\n", value_shape(run(v_cpu, CURRENT, -1), b1));
	printf("R value_cpu_current_on_cpu1=%s\n", value_shape(run(v_cpu, CURRENT, 1), b1));
	a = run(v_task, 0, -1);
	spin();
	b = run(v_task, 0, -1);
	printf("R value_task_clock=%s\n", value_shape(a, b1));
	printf("R value_task_clock_grows=%d\n", !a.ret && !b.ret && b.v[0] > a.v[0] &&
						      b.v[1] > a.v[1] && b.v[2] > a.v[2]);
	printf("R value_ctxsw=%s\n", value_shape(run(v_task, 1, -1), b2));
	printf("R value_cpu_index1_from_cpu0=%s\n", value_shape(run(v_cpu, 1, -1), b1));
	printf("R value_task_on_cpu1=%s\n", value_shape(run(v_task, 0, 1), b1));
	printf("R value_empty=%s\n", value_shape(run(v_task, 2, -1), b1));
	printf("R value_e2big=%s\n", value_shape(run(v_task, 4, -1), b1));
	printf("R value_bad_flags=%s\n", value_shape(run(v_task, 1ull << 33, -1), b1));
	/* The wrong size zeroes the 16 bytes it names and leaves the rest. */
	printf("R value_size16=%s\n", value_shape(run(v16_task, 0, -1), b1));

	/* From a tracepoint program on this process's getpid, as a tool would. */
	tp = load(BPF_PROG_TYPE_TRACEPOINT, task_map, VALUE, 0);
	f = fopen("/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id", "r");
	if (!f || !fgets(b1, sizeof(b1), f)) {
		printf("R tp_attach=no_tracepoint\n");
		return 1;
	}
	{
		struct perf_event_attr pa = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(pa),
					      .config = atoi(b1), .sample_period = 1 };
		__u64 zero[4] = { 0 };

		bpf_map_update_elem(out_map, &(__u32){ 0 }, zero, BPF_ANY);
		tpfd = syscall(SYS_perf_event_open, &pa, getpid(), -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (tpfd < 0 || ioctl(tpfd, PERF_EVENT_IOC_SET_BPF, tp) || ioctl(tpfd, PERF_EVENT_IOC_ENABLE, 0)) {
			printf("R tp_attach=errno%d\n", errno);
			return 1;
		}
	}
	printf("R tp_attach=ok\n");
	syscall(SYS_getpid);
	ioctl(tpfd, PERF_EVENT_IOC_DISABLE, 0);
	printf("R tp_value_task_clock=%s\n", value_shape(read_out(), b1));

	printf("R delete_task_clock=%d\n", bpf_map_delete_elem(task_map, &(__u32){ 0 }) ? -errno : 0);
	printf("R read_deleted=%s\n", counter(run(r_task, 0, -1).ret, b1));
	printf("R done=1\n");
	return 0;
}
