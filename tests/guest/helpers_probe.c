/* Tracing helpers from a program on the getpid tracepoint, natively on the stock
 * kernel and under libbpfhook.so + bpfdrv.ko on the no-bpf kernel: the program
 * records what jiffies64, get_numa_node_id,
 * get_current_cgroup_id, strncmp, snprintf, probe_write_user, send_signal,
 * get_stackid (into a STACK_TRACE map), current_task_under_cgroup (a CGROUP_ARRAY
 * of cgroup2 fds) and trace_printk returned; this prints
 * normalised "R key=value" lines the test compares between the two kernels.
 * Build: gcc -O2 -Wall -o helpers_probe helpers_probe.c -lbpf */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EMIT(x) (prog[n++] = (x))
#define LD64(d, src, lo, hi) do { EMIT(INSN(BPF_LD | BPF_DW | BPF_IMM, d, src, 0, lo)); EMIT(INSN(0, 0, 0, 0, hi)); } while (0)
#define MOV_IMM(d, i) EMIT(INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i))
#define MOV_REG(d, s) EMIT(INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0))
#define ADD_IMM(d, i) EMIT(INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i))
#define CALL(f) EMIT(INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f))
#define STX64(d, s, o) EMIT(INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0))
#define ST64(d, o, i) EMIT(INSN(BPF_ST | BPF_MEM | BPF_DW, d, 0, o, i))
/* result slot k of the out map value (r9 holds its address) = r0 */
#define SAVE(k) STX64(9, 0, 8 * (k))

static volatile long victim = 1111;
static volatile int got_signal;

static void on_usr1(int sig)
{
	got_signal++;
}

/*
 * Load (not run) a tracepoint program whose one call is bpf_snprintf with its format at
 * @off in the frozen read-only map @str and @data_len bytes of data on the stack: 0 or
 * the load's -errno.
 */
static int snprintf_load(int str, int off, int data_len)
{
	struct bpf_insn prog[32];
	int n = 0, fd, i;

	for (i = 1; i <= 4; i++)
		ST64(10, -8 * i, 0);
	MOV_REG(1, 10);
	ADD_IMM(1, -8);
	MOV_IMM(2, 8);
	LD64(3, BPF_PSEUDO_MAP_VALUE, str, off);
	MOV_REG(4, 10);
	ADD_IMM(4, -32);
	MOV_IMM(5, data_len);
	CALL(BPF_FUNC_snprintf);
	MOV_IMM(0, 0);
	EMIT(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "snprintf_fmt", "GPL", prog, n, NULL);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int main(void)
{
	struct bpf_insn prog[320];
	int n = 0, out, str, stacks, cgs, pfd, efd;
	__u32 zero = 0, id;
	char strings[128] = { 0 }, buf[32], log[8192];
	__u64 v[24] = { 0 }, ips[32];
	struct perf_event_attr pa;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);
	out = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, sizeof(v) + 32, 1, NULL);
	LIBBPF_OPTS(bpf_map_create_opts, ro, .map_flags = BPF_F_RDONLY_PROG);
	str = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, sizeof(strings), 1, &ro);
	stacks = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, NULL, 4, 8 * 32, 64, NULL);
	cgs = bpf_map_create(BPF_MAP_TYPE_CGROUP_ARRAY, NULL, 4, 4, 3, NULL);
	printf("R maps=%s\n", out >= 0 && str >= 0 && stacks >= 0 && cgs >= 0 ? "ok" : strerror(errno));
	{
		/* slot 0: the root cgroup (we are in it), 1: a sibling we are not in, 2: empty */
		int root = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
		int other = open("/sys/fs/cgroup/other", O_RDONLY | O_DIRECTORY);
		int devnull = open("/dev/null", O_RDONLY);
		__u32 k;

		printf("R cgroup_fds=%d\n", root >= 0 && other >= 0);
		k = 0;
		printf("R cg_update=%d\n", bpf_map_update_elem(cgs, &k, &root, BPF_ANY) ? -errno : 0);
		printf("R cg_update_noexist=%d\n", bpf_map_update_elem(cgs, &k, &root, BPF_NOEXIST) ? -errno : 0);
		k = 1;
		printf("R cg_update_other=%d\n", bpf_map_update_elem(cgs, &k, &other, BPF_ANY) ? -errno : 0);
		k = 2;
		printf("R cg_update_devnull=%d\n", bpf_map_update_elem(cgs, &k, &devnull, BPF_ANY) ? -errno : 0);
		printf("R cg_delete_empty=%d\n", bpf_map_delete_elem(cgs, &k) ? -errno : 0);
		k = 7;
		printf("R cg_update_e2big=%d\n", bpf_map_update_elem(cgs, &k, &root, BPF_ANY) ? -errno : 0);
		k = 0;
		printf("R cg_lookup=%d\n", bpf_map_lookup_elem(cgs, &k, &v[0]) ? -errno : 0);
		close(root);
		close(other);
		close(devnull);
	}
	/* offset 0: "abc" (strncmp s2), offset 8: "n=%d s=%s %x" (snprintf fmt),
	 * offset 32: "bpfcompat %d\n" (trace_printk fmt), 64 and 80: snprintf formats
	 * Linux refuses at load */
	strcpy(strings, "abc");
	strcpy(strings + 8, "n=%d s=%s %x");
	strcpy(strings + 32, "bpfcompat-printk %d\n");
	strcpy(strings + 64, "x=%q");
	strcpy(strings + 80, "%d %d");
	bpf_map_update_elem(str, &zero, strings, BPF_ANY);
	printf("R freeze=%d\n", bpf_map_freeze(str));

	/* r6 = ctx; only our tgid */
	MOV_REG(6, 1);
	CALL(BPF_FUNC_get_current_pid_tgid);
	EMIT(INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32));
	EMIT(INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, getpid()));
	MOV_IMM(0, 0);
	EMIT(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	/* r9 = &out[0] */
	ST64(10, -8, 0);
	LD64(1, BPF_PSEUDO_MAP_FD, out, 0);
	MOV_REG(2, 10);
	ADD_IMM(2, -8);
	CALL(BPF_FUNC_map_lookup_elem);
	EMIT(INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 1, 0));
	EMIT(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	MOV_REG(9, 0);
	/* ktime_get_coarse_ns (160) is refused to tracing programs by Linux: ktime_get_ns */
	CALL(BPF_FUNC_ktime_get_ns);
	SAVE(0);
	CALL(BPF_FUNC_jiffies64);
	SAVE(1);
	CALL(BPF_FUNC_get_numa_node_id);
	SAVE(2);
	CALL(BPF_FUNC_get_current_cgroup_id);
	SAVE(3);
	/* strncmp("abd" on the stack, 3, "abc") */
	ST64(10, -16, 0x646261);
	MOV_REG(1, 10);
	ADD_IMM(1, -16);
	MOV_IMM(2, 3);
	LD64(3, BPF_PSEUDO_MAP_VALUE, str, 0);
	CALL(BPF_FUNC_strncmp);
	SAVE(4);
	/* snprintf(out+128, 32, "n=%d s=%s %x", {-5, &"abc", 0xbeef}, 24) */
	ST64(10, -40, -5);
	LD64(1, BPF_PSEUDO_MAP_VALUE, str, 0);
	STX64(10, 1, -32);
	ST64(10, -24, 0xbeef);
	MOV_REG(1, 9);
	ADD_IMM(1, 128);
	MOV_IMM(2, 32);
	LD64(3, BPF_PSEUDO_MAP_VALUE, str, 8);
	MOV_REG(4, 10);
	ADD_IMM(4, -40);
	MOV_IMM(5, 24);
	CALL(BPF_FUNC_snprintf);
	SAVE(5);
	/* probe_write_user(&victim, &2222, 8) */
	ST64(10, -48, 2222);
	LD64(1, 0, (__u32)(unsigned long)&victim, (__u32)((unsigned long)&victim >> 32));
	MOV_REG(2, 10);
	ADD_IMM(2, -48);
	MOV_IMM(3, 8);
	CALL(BPF_FUNC_probe_write_user);
	SAVE(6);
	MOV_IMM(1, SIGUSR1);
	CALL(BPF_FUNC_send_signal);
	SAVE(7);
	MOV_IMM(1, 99);
	CALL(BPF_FUNC_send_signal);
	SAVE(8);
	/* the user stack twice (same id), then the kernel stack: a syscall
	 * tracepoint's regs are the user's, so Linux finds no kernel frames */
	MOV_REG(1, 6);
	LD64(2, BPF_PSEUDO_MAP_FD, stacks, 0);
	MOV_IMM(3, BPF_F_USER_STACK);
	CALL(BPF_FUNC_get_stackid);
	SAVE(9);
	MOV_REG(1, 6);
	LD64(2, BPF_PSEUDO_MAP_FD, stacks, 0);
	MOV_IMM(3, BPF_F_USER_STACK);
	CALL(BPF_FUNC_get_stackid);
	SAVE(10);
	MOV_REG(1, 6);
	LD64(2, BPF_PSEUDO_MAP_FD, stacks, 0);
	MOV_IMM(3, 0);
	CALL(BPF_FUNC_get_stackid);
	SAVE(13);
	MOV_REG(1, 6);
	LD64(2, BPF_PSEUDO_MAP_FD, stacks, 0);
	MOV_IMM(3, 1 << 12); /* unknown flag */
	CALL(BPF_FUNC_get_stackid);
	SAVE(11);
	for (int slot = 0; slot < 4; slot++) {
		LD64(1, BPF_PSEUDO_MAP_FD, cgs, 0);
		MOV_IMM(2, slot == 3 ? 5 : slot);
		CALL(BPF_FUNC_current_task_under_cgroup);
		SAVE(20 + slot);
	}
	LD64(1, BPF_PSEUDO_MAP_VALUE, str, 32);
	MOV_IMM(2, 21);
	MOV_IMM(3, 42);
	CALL(BPF_FUNC_trace_printk);
	SAVE(12);
	MOV_IMM(0, 0);
	EMIT(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));

	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	pfd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "helpers", "GPL", prog, n, &lo);
	if (pfd < 0) {
		printf("R load=errno%d\n%s\n", errno, log);
		return 1;
	}
	printf("R load=ok\n");
	f = fopen("/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id", "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		printf("R attach=no_tracepoint\n");
		return 1;
	}
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = atoi(buf);
	pa.sample_period = 1;
	efd = syscall(SYS_perf_event_open, &pa, getpid(), -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (efd < 0 || ioctl(efd, PERF_EVENT_IOC_SET_BPF, pfd) || ioctl(efd, PERF_EVENT_IOC_ENABLE, 0)) {
		printf("R attach=errno%d\n", errno);
		return 1;
	}
	printf("R attach=ok\n");
	syscall(SYS_getpid);
	ioctl(efd, PERF_EVENT_IOC_DISABLE, 0);
	usleep(100000);
	bpf_map_lookup_elem(out, &zero, v);
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		__u64 now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		printf("R ktime_ns_plausible=%d\n", v[0] && v[0] <= now && now - v[0] < 5000000000ull);
	}
	printf("R jiffies64_nonzero=%d\n", v[1] != 0);
	printf("R numa_node=%llu\n", (unsigned long long)v[2]);
	printf("R cgroup_id_nonzero=%d\n", v[3] != 0);
	printf("R strncmp_sign=%d\n", (long long)v[4] > 0 ? 1 : (long long)v[4] < 0 ? -1 : 0);
	printf("R snprintf_ret=%lld\n", (long long)v[5]);
	printf("R snprintf_out=%s\n", (char *)&v[16]);
	printf("R probe_write_user_ret=%lld\n", (long long)v[6]);
	printf("R victim=%ld\n", victim);
	printf("R send_signal_ret=%lld\n", (long long)v[7]);
	printf("R send_signal_bad_ret=%lld\n", (long long)v[8]);
	printf("R got_signal=%d\n", got_signal);
	printf("R stackid_ok=%d\n", (long long)v[9] >= 0);
	printf("R stackid_same=%d\n", v[9] == v[10]);
	printf("R stackid_bad_flags=%lld\n", (long long)v[11]);
	printf("R stackid_kernel=%lld\n", (long long)v[13]);
	printf("R trace_printk_ret=%lld\n", (long long)v[12]);
	printf("R under_root=%lld\n", (long long)v[20]);
	printf("R under_other=%lld\n", (long long)v[21]);
	printf("R under_empty=%lld\n", (long long)v[22]);
	printf("R under_e2big=%lld\n", (long long)v[23]);
	id = v[9];
	memset(ips, 0, sizeof(ips));
	printf("R stack_lookup=%d\n", bpf_map_lookup_elem(stacks, &id, ips) ? -errno : 0);
	printf("R stack_has_frames=%d\n", ips[0] != 0);
	printf("R stack_update=%d\n", bpf_map_update_elem(stacks, &id, ips, BPF_ANY) ? -errno : 0);
	{
		__u32 next, bad = 9999;
		int r = bpf_map_get_next_key(stacks, NULL, &next);

		printf("R stack_next=%d\n", r ? -errno : next == id);
		printf("R stack_delete=%d\n", bpf_map_delete_elem(stacks, &id) ? -errno : 0);
		printf("R stack_delete_again=%d\n", bpf_map_delete_elem(stacks, &id) ? -errno : 0);
		printf("R stack_delete_big=%d\n", bpf_map_delete_elem(stacks, &bad) ? -errno : 0);
		printf("R stack_next_empty=%d\n", bpf_map_get_next_key(stacks, NULL, &next) ? -errno : 0);
	}
	/* bpf_snprintf's constant format, checked at load (Linux's check_bpf_snprintf_call) */
	printf("R snprintf_fmt_ok=%d\n", snprintf_load(str, 8, 24));
	printf("R snprintf_fmt_bad_conversion=%d\n", snprintf_load(str, 64, 8));
	printf("R snprintf_fmt_too_few_args=%d\n", snprintf_load(str, 80, 8));
	printf("R snprintf_fmt_data_len_12=%d\n", snprintf_load(str, 8, 12));
	printf("R done=1\n");
	return 0;
}
