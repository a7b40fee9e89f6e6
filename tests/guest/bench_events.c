// SPDX-License-Identifier: GPL-2.0
/*
 * bench_events: what one event costs a probed task, per attach kind and program.
 *
 * For each attach kind (syscall tracepoint, kprobe, kretprobe, raw tracepoint, uprobe)
 * and program (empty; a hash-map counter, as most tools keep) it times N events without
 * the probe (baseline) and N with it, and prints one line per repetition:
 *
 *   B <attach> <prog> <rep> <baseline ns> <probed ns> <events> <counter>
 *
 * The event source is getppid() (a syscall that does no work of its own) for the kernel
 * attach kinds and a call to an empty function for the uprobe. The counter program's
 * value must equal the events seen, proving the program ran each time. Run with QEMU's
 * -icount shift=0, the guest's clock counts guest instructions: the figures are
 * instruction counts, the same from run to run. Natively on the stock kernel (Linux's
 * own bpf(2)) and under the hook on the no-bpf kernel, the same binary.
 *
 * With "maps" as first argument it times map commands from user space instead (through
 * the hook: each is an ioctl to the driver), on a 10k-entry hash and array:
 *
 *   M <map> <op> <rep> <ns> <ops>
 *
 * and with "calls" the libc calls the hook interposes but does not translate (run with
 * and without LD_PRELOAD, the difference is the hook's cost on them):
 *
 *   H <call> <rep> <ns> <calls>
 *
 *   bench_events [events per run] [repetitions]
 *   bench_events maps|calls [repetitions]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SYSCALL_FN "__x64_sys_getppid"

static const char *tracing_dir;

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void die(const char *what)
{
	fprintf(stderr, "bench_events: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The uprobe's target: an empty call the compiler must keep. */
__attribute__((noinline)) void bench_uprobe_target(void)
{
	__asm__ volatile("" ::: "memory");
}

static long read_number(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/* The bit a PMU's "format/retprobe" file names ("config:0"). */
static int retprobe_bit(const char *pmu)
{
	char path[128], buf[32];
	FILE *f;
	int bit = 0;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		sscanf(buf, "config:%d", &bit);
	if (f)
		fclose(f);
	return bit;
}

static int map_fd;

static int map_create(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 64;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static void counter_set(uint64_t v)
{
	uint32_t key = 0;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = map_fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&v;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a))
		die("map update");
}

static uint64_t counter_get(void)
{
	uint32_t key = 0;
	uint64_t v = 0;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = map_fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&v;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a))
		die("map lookup");
	return v;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/*
 * counter: key = 0; v = lookup(map, &key); if (v) __sync_fetch_and_add(v, 1); return 0.
 * empty: return 0.
 */
static int prog_load(int type, int counter)
{
	struct bpf_insn insns[16];
	static char log[65536];
	union bpf_attr a;
	int n = 0, fd;

	if (counter) {
		insns[n++] = INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
		insns[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
		insns[n++] = INSN(0, 0, 0, 0, 0);
		insns[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		insns[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
		insns[n++] = INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
	}
	insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	insns[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uintptr_t)"GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		fprintf(stderr, "%s", log);
		die("prog load");
	}
	return fd;
}

static int perf_open(uint32_t type, uint64_t config, uint64_t config1, uint64_t config2, int pid)
{
	struct perf_event_attr pa;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = type;
	pa.config = config;
	pa.config1 = config1;
	pa.config2 = config2;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	return syscall(__NR_perf_event_open, &pa, pid, pid == -1 ? 0 : -1, -1, PERF_FLAG_FD_CLOEXEC);
}

enum attach { TRACEPOINT, KPROBE, KRETPROBE, RAW_TRACEPOINT, UPROBE, NR_ATTACH };

static const char *const attach_names[NR_ATTACH] = {
	"tracepoint", "kprobe", "kretprobe", "raw_tracepoint", "uprobe",
};

static char exe[4096];
static unsigned long uprobe_offset;

/* The file offset of bench_uprobe_target in our executable (from /proc/self/maps). */
static unsigned long file_offset_of(void *fn)
{
	unsigned long start, end, off, addr = (unsigned long)fn;
	char line[512], path[4096];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		die("/proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %4095s", &start, &end, &off, path) >= 3 &&
		    addr >= start && addr < end) {
			fclose(f);
			return addr - start + off;
		}
	}
	fclose(f);
	errno = ENOENT;
	die("bench_uprobe_target in /proc/self/maps");
	return 0;
}

/* Attach @prog as @kind: the fd to close to detach. */
static int attach(enum attach kind, int prog)
{
	char path[256];
	union bpf_attr a;
	long type, id;
	int fd;

	switch (kind) {
	case TRACEPOINT:
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_getppid/id", tracing_dir);
		id = read_number(path);
		if (id < 0)
			die(path);
		fd = perf_open(PERF_TYPE_TRACEPOINT, id, 0, 0, -1);
		break;
	case KPROBE:
	case KRETPROBE:
		type = read_number("/sys/bus/event_source/devices/kprobe/type");
		if (type < 0)
			die("kprobe PMU");
		fd = perf_open(type, kind == KRETPROBE ? 1ull << retprobe_bit("kprobe") : 0,
			       (uintptr_t)SYSCALL_FN, 0, -1);
		break;
	case RAW_TRACEPOINT:
		memset(&a, 0, sizeof(a));
		a.raw_tracepoint.name = (uintptr_t)"sys_enter";
		a.raw_tracepoint.prog_fd = prog;
		fd = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
		if (fd < 0)
			die("raw tracepoint open");
		return fd;
	case UPROBE:
		type = read_number("/sys/bus/event_source/devices/uprobe/type");
		if (type < 0)
			die("uprobe PMU");
		fd = perf_open(type, 0, (uintptr_t)exe, uprobe_offset, getpid());
		break;
	default:
		abort();
	}
	if (fd < 0)
		die(attach_names[kind]);
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		die("PERF_EVENT_IOC_SET_BPF");
	return fd;
}

static int prog_type_of(enum attach kind)
{
	switch (kind) {
	case TRACEPOINT:
		return BPF_PROG_TYPE_TRACEPOINT;
	case RAW_TRACEPOINT:
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	default:
		return BPF_PROG_TYPE_KPROBE;
	}
}

/* N events of @kind's source: ns taken. */
static uint64_t events(enum attach kind, long n)
{
	uint64_t t0 = now_ns();
	long i;

	if (kind == UPROBE) {
		for (i = 0; i < n; i++)
			bench_uprobe_target();
	} else {
		for (i = 0; i < n; i++)
			syscall(__NR_getppid);
	}
	return now_ns() - t0;
}

#define MAP_ENTRIES 10000

static int map_of(int type)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = MAP_ENTRIES;
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		die("map create");
	return fd;
}

static long elem(int cmd, int fd, uint32_t *key, uint64_t *value, uint32_t *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)key;
	if (next)
		a.next_key = (uintptr_t)next;
	else
		a.value = (uintptr_t)value;
	return sys_bpf(cmd, &a);
}

enum map_op { OP_UPDATE, OP_LOOKUP, OP_NEXT_KEY, OP_LOOKUP_BATCH, OP_DELETE, NR_OPS };

static const char *const op_names[NR_OPS] = {
	"update", "lookup", "get_next_key", "lookup_batch", "delete",
};

/* MAP_ENTRIES operations @op on @fd: ns taken (a batch op counts once per element). */
static uint64_t map_ops(int fd, int is_hash, enum map_op op)
{
	static uint32_t keys[MAP_ENTRIES];
	static uint64_t values[MAP_ENTRIES];
	uint64_t t0 = now_ns(), v = 1;
	uint32_t k, next, out_batch;
	union bpf_attr a;
	long r = 0;

	for (k = 0; k < MAP_ENTRIES && op != OP_LOOKUP_BATCH; k++) {
		uint32_t key = k;

		switch (op) {
		case OP_UPDATE:
			r = elem(BPF_MAP_UPDATE_ELEM, fd, &key, &v, NULL);
			break;
		case OP_LOOKUP:
			r = elem(BPF_MAP_LOOKUP_ELEM, fd, &key, &v, NULL);
			break;
		case OP_NEXT_KEY:
			r = elem(BPF_MAP_GET_NEXT_KEY, fd, &key, NULL, &next);
			if (r && errno == ENOENT)
				r = 0; /* the last key */
			break;
		case OP_DELETE:
			/* an array's elements cannot be deleted (EINVAL, as in Linux) */
			r = elem(BPF_MAP_DELETE_ELEM, fd, &key, NULL, NULL);
			if (!is_hash && r && errno == EINVAL)
				r = 0;
			break;
		default:
			abort();
		}
		if (r)
			die(op_names[op]);
	}
	if (op == OP_LOOKUP_BATCH) {
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = fd;
		a.batch.out_batch = (uintptr_t)&out_batch;
		a.batch.keys = (uintptr_t)keys;
		a.batch.values = (uintptr_t)values;
		a.batch.count = MAP_ENTRIES;
		if (sys_bpf(BPF_MAP_LOOKUP_BATCH, &a) && errno != ENOENT)
			die("lookup_batch");
		if (a.batch.count != MAP_ENTRIES) {
			errno = ERANGE;
			die("lookup_batch count");
		}
	}
	return now_ns() - t0;
}

static void bench_maps(int reps)
{
	static const struct {
		const char *name;
		int type;
	} maps[] = { { "hash", BPF_MAP_TYPE_HASH }, { "array", BPF_MAP_TYPE_ARRAY } };
	unsigned int m;
	int rep, op;

	for (m = 0; m < sizeof(maps) / sizeof(maps[0]); m++) {
		int fd = map_of(maps[m].type);

		for (rep = 0; rep < reps; rep++) {
			for (op = 0; op < NR_OPS; op++) {
				uint64_t ns = map_ops(fd, maps[m].type == BPF_MAP_TYPE_HASH, op);

				printf("M %s %s %d %llu %d\n", maps[m].name, op_names[op], rep,
				       (unsigned long long)ns, MAP_ENTRIES);
			}
		}
		close(fd);
	}
	printf("M done\n");
}

enum call { CALL_OPEN, CALL_STAT, CALL_STAT_MISSING, CALL_ACCESS, CALL_SYSCALL, NR_CALLS };

/* stat of a missing file: the hook then reads the path to see whether it serves it */
static const char *const call_names[NR_CALLS] = {
	"open+close", "stat", "stat(missing)", "access", "syscall(getpid)",
};

static void bench_calls(int reps)
{
	const long n = 10000;
	struct stat st;
	int rep, c;
	long i;

	for (rep = 0; rep < reps; rep++) {
		for (c = 0; c < NR_CALLS; c++) {
			uint64_t t0 = now_ns();

			for (i = 0; i < n; i++) {
				switch (c) {
				case CALL_OPEN:
					close(open("/proc/self/stat", O_RDONLY));
					break;
				case CALL_STAT:
					stat("/proc/self/stat", &st);
					break;
				case CALL_STAT_MISSING:
					stat("/proc/self/missing", &st);
					break;
				case CALL_ACCESS:
					access("/proc/self/stat", R_OK);
					break;
				default:
					syscall(__NR_getpid);
				}
			}
			printf("H %s %d %llu %ld\n", call_names[c], rep,
			       (unsigned long long)(now_ns() - t0), n);
		}
	}
	printf("H done\n");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	int kind, counter, rep;

	cpu_set_t cpu0;

	/* the tracepoint and kprobe events are opened on CPU 0 (as libbpf does per CPU) */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		die("sched_setaffinity");
	if (argc > 1 && !strcmp(argv[1], "maps")) {
		bench_maps(reps);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "calls")) {
		bench_calls(reps);
		return 0;
	}
	tracing_dir = access("/sys/kernel/tracing/events", F_OK) == 0 ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		die("/proc/self/exe");
	uprobe_offset = file_offset_of((void *)bench_uprobe_target);
	map_fd = map_create();
	if (map_fd < 0)
		die("map create");
	events(TRACEPOINT, n); /* warm caches and the page tables */
	for (kind = 0; kind < NR_ATTACH; kind++) {
		for (counter = 0; counter < 2; counter++) {
			int prog = prog_load(prog_type_of(kind), counter);

			for (rep = 0; rep < reps; rep++) {
				uint64_t base, probed, hits;
				int link;

				base = events(kind, n);
				counter_set(0);
				link = attach(kind, prog);
				probed = events(kind, n);
				close(link);
				hits = counter_get();
				printf("B %s %s %d %llu %llu %ld %llu\n", attach_names[kind],
				       counter ? "counter" : "empty", rep, (unsigned long long)base,
				       (unsigned long long)probed, n, (unsigned long long)hits);
				fflush(stdout);
			}
			close(prog);
		}
	}
	printf("B done\n");
	return 0;
}
