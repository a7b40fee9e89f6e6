// SPDX-License-Identifier: GPL-2.0
/*
 * bench_events: what one event costs a probed task, per attach kind and program.
 *
 * For each attach kind (syscall tracepoint, kprobe, kretprobe, raw tracepoint, fentry,
 * fexit, uprobe)
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
 * and with "channels" the cost of delivering each event's 64-byte record to user space,
 * through a ring buffer (bpf_ringbuf_output) and a perf buffer (bpf_perf_event_output),
 * from the syscall tracepoint to this process reading it out of the mmap'ed ring
 * (events fired in batches of CHANNEL_BATCH, the ring drained after each, so none is
 * lost; a lost one fails the run):
 *
 *   C <channel> <rep> <baseline ns> <ns> <events> <records read>
 *
 * and with "workload" a fixed load for measuring what a whole tool adds (run it with and
 * without the tool attached): N round trips of one byte between this process and a child
 * over two pipes, each 2 wakeups, 2 context switches and 4 syscalls:
 *
 *   W roundtrip <rep> <ns> <round trips>
 *
 * and with "load" how long a tool takes from exec to attached: CMD is started with its
 * stdout on a pipe (line-buffered through stdbuf, as tools print their header once
 * attached), timed to its first line, then stopped with SIGINT as Ctrl-C would:
 *
 *   L <name> <rep> <ns> 1
 *
 *   bench_events [events per run] [repetitions]
 *   bench_events maps|calls [repetitions]
 *   bench_events channels|workload [events per run] [repetitions]
 *   bench_events load NAME REPETITIONS CMD [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "perf_sys.h"

#define SYSCALL_FN "__x64_sys_getppid"
/*
 * fentry / fexit attach by BTF, which has no __x64_sys_* wrapper of a syscall without
 * arguments: its body, at the same address in 6.1 (System.map lists both names there).
 */
#define SYSCALL_BTF_FN "__do_sys_getppid"

static const char *tracing_dir;

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

static void counter_set(uint64_t v)
{
	uint32_t key = 0;

	if (sys_bpf_elem(BPF_MAP_UPDATE_ELEM, map_fd, &key, &v, 0))
		die("map update");
}

static uint64_t counter_get(void)
{
	uint32_t key = 0;
	uint64_t v = 0;

	if (sys_bpf_elem(BPF_MAP_LOOKUP_ELEM, map_fd, &key, &v, 0))
		die("map lookup");
	return v;
}

/*
 * counter: key = 0; v = lookup(map, &key); if (v) __sync_fetch_and_add(v, 1); return 0.
 * empty: return 0.
 */
enum attach { TRACEPOINT, KPROBE, KRETPROBE, RAW_TRACEPOINT, FENTRY, FEXIT, UPROBE, NR_ATTACH };

static const char *const attach_names[NR_ATTACH] = {
	"tracepoint", "kprobe", "kretprobe", "raw_tracepoint", "fentry", "fexit", "uprobe",
};

static int prog_type_of(enum attach kind)
{
	switch (kind) {
	case TRACEPOINT:
		return BPF_PROG_TYPE_TRACEPOINT;
	case RAW_TRACEPOINT:
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	case FENTRY:
	case FEXIT:
		return BPF_PROG_TYPE_TRACING;
	default:
		return BPF_PROG_TYPE_KPROBE;
	}
}

/* fentry / fexit programs attach to this kernel BTF function id */
static uint32_t fn_btf_id;

/* BPF_PROG_LOAD of @insns with @a's type and attach fields; the verifier log on failure. */
static int load_insns(union bpf_attr *a, const struct bpf_insn *insns, int n, const char *what)
{
	static char log[65536];
	int fd;

	a->insns = (uintptr_t)insns;
	a->insn_cnt = n;
	a->license = (uintptr_t)"GPL";
	a->log_buf = (uintptr_t)log;
	a->log_size = sizeof(log);
	a->log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, a);
	if (fd < 0) {
		fprintf(stderr, "%s", log);
		die(what);
	}
	return fd;
}

static int prog_load(enum attach kind, int counter)
{
	struct bpf_insn insns[16];
	union bpf_attr a;
	int n = 0;

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
	a.prog_type = prog_type_of(kind);
	if (kind == FENTRY || kind == FEXIT) {
		a.expected_attach_type = kind == FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT;
		a.attach_btf_id = fn_btf_id;
	}
	return load_insns(&a, insns, n, "prog load");
}

/* The kernel BTF's id of the function @name (what libbpf finds for SEC("fentry/...")). */
static uint32_t vmlinux_btf_func_id(const char *name)
{
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
	} h;
	static const uint8_t vlen_sizes[] = {
		[1] = 0, [2] = 0, [3] = 0, [4] = 12, [5] = 12, [6] = 8, [7] = 0, [8] = 0,
		[9] = 0, [10] = 0, [11] = 0, [12] = 0, [13] = 8, [14] = 0, [15] = 12, [16] = 0,
		[17] = 0, [18] = 0, [19] = 12,
	};
	/* INT, VAR and DECL_TAG carry 4 bytes after the type, ARRAY 12, whatever their vlen */
	static const uint8_t extra[] = { [1] = 4, [3] = 12, [14] = 4, [17] = 4 };
	uint8_t *buf = NULL, *types;
	const char *strs;
	size_t len = 0, cap = 0;
	uint32_t off, id = 1;
	ssize_t r;
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);

	if (fd < 0)
		die("/sys/kernel/btf/vmlinux");
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 1 << 22;
			buf = realloc(buf, cap);
			if (!buf)
				die("realloc");
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0)
			die("read /sys/kernel/btf/vmlinux");
		len += r;
	} while (r > 0);
	close(fd);
	memcpy(&h, buf, sizeof(h));
	if (h.magic != 0xeb9f || (size_t)h.hdr_len + h.str_off + h.str_len > len)
		die("/sys/kernel/btf/vmlinux: not BTF");
	types = buf + h.hdr_len + h.type_off;
	strs = (const char *)buf + h.hdr_len + h.str_off;
	for (off = 0; off + 12 <= h.type_len; id++) {
		uint32_t name_off, info, kind, vlen;

		memcpy(&name_off, types + off, 4);
		memcpy(&info, types + off + 4, 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		if (kind >= sizeof(vlen_sizes)) {
			errno = EINVAL;
			die("/sys/kernel/btf/vmlinux: unknown BTF kind");
		}
		if (kind == 12 /* FUNC */ && name_off < h.str_len && !strcmp(strs + name_off, name)) {
			free(buf);
			return id;
		}
		off += 12 + vlen * vlen_sizes[kind] + (kind < sizeof(extra) ? extra[kind] : 0);
	}
	free(buf);
	errno = ENOENT;
	die(name);
	return 0;
}

static char exe[4096];
static unsigned long uprobe_offset;

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
		fd = sys_perf_open(PERF_TYPE_TRACEPOINT, id, 0, 0, -1);
		break;
	case KPROBE:
	case KRETPROBE:
		type = read_number("/sys/bus/event_source/devices/kprobe/type");
		if (type < 0)
			die("kprobe PMU");
		fd = sys_perf_open(type, kind == KRETPROBE ? 1ull << retprobe_bit("kprobe") : 0,
			       (uintptr_t)SYSCALL_FN, 0, -1);
		break;
	case RAW_TRACEPOINT:
	case FENTRY:
	case FEXIT:
		/* fentry / fexit: no name, the program's attach_btf_id says where */
		memset(&a, 0, sizeof(a));
		a.raw_tracepoint.name = kind == RAW_TRACEPOINT ? (uintptr_t)"sys_enter" : 0;
		a.raw_tracepoint.prog_fd = prog;
		fd = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
		if (fd < 0)
			die(attach_names[kind]);
		return fd;
	case UPROBE:
		type = read_number("/sys/bus/event_source/devices/uprobe/type");
		if (type < 0)
			die("uprobe PMU");
		fd = sys_perf_open(type, 0, (uintptr_t)exe, uprobe_offset, getpid());
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
	int fd = sys_bpf_map_create(type, 8, MAP_ENTRIES, 0);

	if (fd < 0)
		die("map create");
	return fd;
}

/* next_key shares value's field of the attr. */
static long elem(int cmd, int fd, uint32_t *key, uint64_t *value, uint32_t *next)
{
	return sys_bpf_elem(cmd, fd, key, next ? (void *)next : (void *)value, 0);
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

#define CHANNEL_RECORD 64
#define CHANNEL_BATCH 256
#define CHANNEL_RING_BYTES (256 * 1024) /* a power of 2 pages: ring buffer and perf buffer */

enum channel { RINGBUF, PERFBUF, NR_CHANNELS };

static const char *const channel_names[NR_CHANNELS] = { "ringbuf", "perfbuf" };

/*
 * Zero 64 bytes of stack and send them: bpf_ringbuf_output(map, fp - 64, 64, 0), or
 * bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, fp - 64, 64).
 */
static int channel_prog_load(enum channel ch, int map)
{
	struct bpf_insn insns[32];
	union bpf_attr a;
	int n = 0, i;

	insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	for (i = 1; i <= CHANNEL_RECORD / 8; i++)
		insns[n++] = INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -8 * i, 0);
	if (ch == RINGBUF) {
		insns[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map);
		insns[n++] = INSN(0, 0, 0, 0, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -CHANNEL_RECORD);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, CHANNEL_RECORD);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
		insns[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
	} else {
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
		insns[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, map);
		insns[n++] = INSN(0, 0, 0, 0, 0);
		insns[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_3, 0, 0, (int)BPF_F_CURRENT_CPU);
		insns[n++] = INSN(0, 0, 0, 0, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_10, 0, 0);
		insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, -CHANNEL_RECORD);
		insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_5, 0, 0, CHANNEL_RECORD);
		insns[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output);
	}
	insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	insns[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_TRACEPOINT;
	return load_insns(&a, insns, n, "channel prog load");
}

/* A ring buffer as libbpf's ring_buffer__new maps it. */
struct ringbuf_reader {
	int map;
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data;
};

static void ringbuf_open(struct ringbuf_reader *r)
{
	long page = sysconf(_SC_PAGESIZE);
	union bpf_attr a;
	void *p;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_RINGBUF;
	a.max_entries = CHANNEL_RING_BYTES;
	r->map = sys_bpf(BPF_MAP_CREATE, &a);
	if (r->map < 0)
		die("ring buffer create");
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->map, 0);
	if (p == MAP_FAILED)
		die("ring buffer consumer page mmap");
	r->consumer_pos = p;
	/* producer page + the data pages mapped twice, so a record never wraps */
	p = mmap(NULL, page + 2 * CHANNEL_RING_BYTES, PROT_READ, MAP_SHARED, r->map, page);
	if (p == MAP_FAILED)
		die("ring buffer data mmap");
	r->producer_pos = p;
	r->data = (const uint8_t *)p + page;
}

/* Read every committed record; returns how many. */
static long ringbuf_drain(struct ringbuf_reader *r)
{
	uint64_t cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	long records = 0;

	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(r->data + (cons & (CHANNEL_RING_BYTES - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		if (!(len & BPF_RINGBUF_DISCARD_BIT) && (len & ~BPF_RINGBUF_DISCARD_BIT) == CHANNEL_RECORD)
			records++;
		cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
		__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	}
	return records;
}

/* A perf buffer on CPU 0 as libbpf's perf_buffer__new sets one up. */
struct perfbuf_reader {
	int map, event;
	struct perf_event_mmap_page *meta;
	const uint8_t *data;
	long lost;
};

static void perfbuf_open(struct perfbuf_reader *r)
{
	long page = sysconf(_SC_PAGESIZE);
	struct perf_event_attr pa;
	uint32_t key = 0;
	void *p;

	r->map = sys_bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 1, 0);
	if (r->map < 0)
		die("perf event array create");
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_SOFTWARE;
	pa.config = PERF_COUNT_SW_BPF_OUTPUT;
	pa.sample_type = PERF_SAMPLE_RAW;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	r->event = syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (r->event < 0)
		die("perf_event_open(BPF_OUTPUT)");
	p = mmap(NULL, page + CHANNEL_RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, r->event, 0);
	if (p == MAP_FAILED)
		die("perf buffer mmap");
	r->meta = p;
	r->data = (const uint8_t *)p + page;
	if (sys_bpf_elem(BPF_MAP_UPDATE_ELEM, r->map, &key, &r->event, 0))
		die("perf event array update");
	if (ioctl(r->event, PERF_EVENT_IOC_ENABLE, 0))
		die("perf buffer enable");
}

/* @len bytes of the ring at @off into @dst, across its end. */
static void ring_copy(void *dst, const uint8_t *ring, uint64_t off, size_t len)
{
	size_t first = CHANNEL_RING_BYTES - off < len ? CHANNEL_RING_BYTES - off : len;

	memcpy(dst, ring + off, first);
	memcpy((uint8_t *)dst + first, ring, len - first);
}

/* Read every record (copying one that wraps, as libbpf does); returns the samples. */
static long perfbuf_drain(struct perfbuf_reader *r)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;
	static uint8_t copy[4096];
	long samples = 0;

	while (tail < head) {
		uint64_t off = tail & (CHANNEL_RING_BYTES - 1);
		/* records are 8-byte aligned: a header never wraps, a record may */
		const struct perf_event_header *h = (const void *)(r->data + off);
		uint16_t size = h->size;

		if (size < sizeof(*h) || size > sizeof(copy)) {
			errno = EPROTO;
			die("perf record size");
		}
		if (off + size > CHANNEL_RING_BYTES) {
			ring_copy(copy, r->data, off, size);
			h = (const void *)copy;
		}
		if (h->type == PERF_RECORD_SAMPLE)
			samples++;
		else if (h->type == PERF_RECORD_LOST)
			r->lost += ((const uint64_t *)(h + 1))[1];
		tail += size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	return samples;
}

/* N events through @ch, drained every CHANNEL_BATCH: ns taken; *read = records read. */
static uint64_t channel_events(enum channel ch, void *reader, long n, long *read)
{
	uint64_t t0 = now_ns();
	long i, done = 0;

	*read = 0;
	while (done < n) {
		long batch = n - done < CHANNEL_BATCH ? n - done : CHANNEL_BATCH;

		for (i = 0; i < batch; i++)
			syscall(__NR_getppid);
		done += batch;
		*read += ch == RINGBUF ? ringbuf_drain(reader) : perfbuf_drain(reader);
	}
	return now_ns() - t0;
}

static void bench_channels(long n, int reps)
{
	struct ringbuf_reader ring;
	struct perfbuf_reader perf = { 0 };
	int ch, rep;

	ringbuf_open(&ring);
	perfbuf_open(&perf);
	for (ch = 0; ch < NR_CHANNELS; ch++) {
		void *reader = ch == RINGBUF ? (void *)&ring : (void *)&perf;
		int prog = channel_prog_load(ch, ch == RINGBUF ? ring.map : perf.map);

		for (rep = 0; rep < reps; rep++) {
			uint64_t base = events(TRACEPOINT, n), ns;
			int link = attach(TRACEPOINT, prog);
			long read;

			ns = channel_events(ch, reader, n, &read);
			close(link);
			if (perf.lost)
				fprintf(stderr, "bench_events: perf buffer lost %ld records\n", perf.lost);
			printf("C %s %d %llu %llu %ld %ld\n", channel_names[ch], rep,
			       (unsigned long long)base, (unsigned long long)ns, n, read);
			fflush(stdout);
		}
		close(prog);
	}
	printf("C done\n");
}

static void bench_workload(long n, int reps)
{
	int ping[2], pong[2], rep;
	char c = 0;
	pid_t child;
	long i;

	if (pipe(ping) || pipe(pong))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < n; i++)
			if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
				die("pipe round trip");
		printf("W roundtrip %d %llu %ld\n", rep, (unsigned long long)(now_ns() - t0), n);
		fflush(stdout);
	}
	close(ping[1]);
	waitpid(child, NULL, 0);
	printf("W done\n");
}

static void bench_load(const char *name, int reps, char **cmd)
{
	int rep;

	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns(), ns = 0;
		int out[2], status;
		pid_t child;
		char c;

		if (pipe(out))
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			dup2(out[1], 1);
			close(out[0]);
			close(out[1]);
			execvp(cmd[0], cmd);
			_exit(127);
		}
		close(out[1]);
		while (read(out[0], &c, 1) == 1) {
			if (c == '\n') {
				ns = now_ns() - t0;
				break;
			}
		}
		/* read what it prints on SIGINT (a summary), or it dies of SIGPIPE */
		kill(child, SIGINT);
		while (read(out[0], &c, 1) == 1)
			;
		close(out[0]);
		if (waitpid(child, &status, 0) != child)
			die("waitpid");
		/*
		 * A tool that died before its first line fails the run, as one that failed on
		 * SIGINT; some install their handler only after printing that line.
		 */
		if (!ns || (WIFEXITED(status) && WEXITSTATUS(status)) ||
		    (WIFSIGNALED(status) && WTERMSIG(status) != SIGINT)) {
			fprintf(stderr, "bench_events: %s: no first line or exit status %#x\n", name, status);
			exit(1);
		}
		printf("L %s %d %llu 1\n", name, rep, (unsigned long long)ns);
		fflush(stdout);
	}
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
	if (argc > 4 && !strcmp(argv[1], "load")) {
		bench_load(argv[2], atoi(argv[3]), argv + 4);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "workload")) {
		bench_workload(argc > 2 ? atol(argv[2]) : 20000, argc > 3 ? atoi(argv[3]) : 5);
		return 0;
	}
	tracing_dir = access("/sys/kernel/tracing/events", F_OK) == 0 ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
	if (argc > 1 && !strcmp(argv[1], "channels")) {
		bench_channels(argc > 2 ? atol(argv[2]) : 20000, argc > 3 ? atoi(argv[3]) : 5);
		return 0;
	}
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		die("/proc/self/exe");
	uprobe_offset = file_offset((void *)bench_uprobe_target);
	if (!uprobe_offset)
		die("bench_uprobe_target in /proc/self/maps");
	fn_btf_id = vmlinux_btf_func_id(SYSCALL_BTF_FN);
	map_fd = sys_bpf_map_create(BPF_MAP_TYPE_HASH, 8, 64, 0);
	if (map_fd < 0)
		die("map create");
	events(TRACEPOINT, n); /* warm caches and the page tables */
	for (kind = 0; kind < NR_ATTACH; kind++) {
		for (counter = 0; counter < 2; counter++) {
			int prog = prog_load(kind, counter);

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
