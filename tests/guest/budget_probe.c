// SPDX-License-Identifier: GPL-2.0
/*
 * budget_probe: work a program's helpers do outside the instruction budget (issue 14,
 * item 6), printed as "R key=value" lines.
 *
 *  - printf widths: bpf_trace_printk and bpf_snprintf with field widths up to Linux's
 *    largest (8388607) and past it (the 24-bit field_width Linux 6.1's vsnprintf
 *    keeps): return values and the 16 bytes snprintf writes, the same natively and
 *    under the module;
 *  - "shim" only: bpf_loop(4) x three trace_printk("%8388607d") timed around
 *    BPF_PROG_TEST_RUN (the module used to spend 1-2 s there with preemption off), and
 *    bpf_loop(1000) x probe_read_user of 1 MiB, which the budget must stop;
 *  - bpf_loop(1000) x a lookup in a hash of maps holding HOM_ENTRIES keys ("shim"; 100
 *    natively, where every update waits a grace period), timed (the module used to
 *    compare the key with every slot of the map on each lookup);
 *  - "shim" only: an update into a full LRU hash of LRU_ENTRIES elements that programs
 *    all looked up, LRU_ROUNDS times, timed (the module's eviction used to clear the
 *    reference bit of every element with the lock held and IRQs off);
 *  - closing a prog array with PARR_SLOTS programs and a perf event array with
 *    PERF_SLOTS entries (one output event in every slot), timed, next to the time of a
 *    delete of one slot (one grace period in the module).
 *
 * Usage: budget_probe native|shim [PARR_SLOTS [PERF_SLOTS]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"

#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
/* ld_imm64: LD64(dst, pseudo source, imm) followed by LD64_HI(second imm) */
#define LD64(d, src, i) INSN(BPF_LD | BPF_DW | BPF_IMM, d, src, 0, i)
#define LD64_HI(i) INSN(0, 0, 0, 0, i)
#define STX_DW(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define ST_DW(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_DW, d, 0, o, i)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define LDX_DW(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
/* return bpf_loop(@n, the callback right after this, NULL, 0) */
#define LOOP(n) MOV_IMM(1, n), LD64(2, BPF_PSEUDO_FUNC, 5), LD64_HI(0), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(BPF_FUNC_loop), EXIT

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FMT_SLOT 32 /* bytes per format string in the .rodata-like map */
#define OUT_SIZE 16 /* bpf_snprintf's output buffer */
#define READ_SIZE (1 << 20) /* one probe_read_user in the big-read loop */
#define READ_LOOPS 1000
#define FAULT_LOOPS (1 << 20) /* faulting reads in the fault-read loop */
#define HOM_ENTRIES 50000
#define HOM_LOOPS 1000
#define LRU_ENTRIES (1 << 19)
/*
 * Lookups per program run: well within the instruction budget and the 200 ms wall-clock
 * limit of a run, also in a TCG guest on a loaded host (65536 per run once missed it).
 */
#define LRU_PER_RUN 16384
#define LRU_ROUNDS 3

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int map_update(int fd, __u32 key, const void *value)
{
	return sys_bpf_elem(BPF_MAP_UPDATE_ELEM, fd, &key, value, 0) ? -errno : 0;
}

static int map_lookup(int fd, __u32 key, void *value)
{
	return sys_bpf_elem(BPF_MAP_LOOKUP_ELEM, fd, &key, value, 0) ? -errno : 0;
}

static int map_delete(int fd, __u32 key)
{
	return sys_bpf_elem(BPF_MAP_DELETE_ELEM, fd, &key, NULL, 0) ? -errno : 0;
}

static int prog_load(const char *name, const struct bpf_insn *insns, int n)
{
	static char log[65536];
	union bpf_attr a;
	int fd;

	sys_bpf_prog_attr(&a, BPF_PROG_TYPE_RAW_TRACEPOINT, insns, n);
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	log[0] = 0;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		printf("# load %s: errno %d\n%s\n", name, errno, log);
	return fd;
}

/* retval of one BPF_PROG_TEST_RUN without context, or -errno; *ms: its wall time */
static long long test_run(int fd, double *ms)
{
	union bpf_attr a;
	double t0 = now_ms();
	long err;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = fd;
	err = sys_bpf(BPF_PROG_TEST_RUN, &a);
	if (ms)
		*ms = now_ms() - t0;
	return err ? -errno : (long long)a.test.retval;
}

/* The result of a timed run: NAME=retval and NAME_ms=its wall time. */
static void report_timed(const char *name, long long ret, double ms)
{
	printf("R %s=%lld\n", name, ret);
	printf("R %s_ms=%.1f\n", name, ms);
}

/* Load @insns as @name and run it once: its result, -1 when it did not load; *ms its time. */
static long long load_run(const char *name, const struct bpf_insn *insns, int n, double *ms)
{
	int fd = prog_load(name, insns, n);
	long long ret = fd < 0 ? -1 : test_run(fd, ms);

	close(fd);
	return ret;
}

/* The same, reported as a timed run. */
static void load_run_report(const char *name, const struct bpf_insn *insns, int n)
{
	double ms = 0;
	long long ret = load_run(name, insns, n, &ms);

	report_timed(name, ret, ms);
}

/*
 * The format strings, as libbpf keeps them: a frozen BPF_F_RDONLY_PROG array (Linux's
 * bpf_snprintf takes only such constant strings).
 */
static const char *const formats[] = {
	"%8388607d",	/* Linux's largest width */
	"%-8388607d|",	/* left-aligned: the text, then padding past the end */
	"%08388607d",	/* zero padded, a negative number: the sign first */
	"%16777258d",	/* 2^24 + 42: Linux 6.1 keeps 24 bits, width 42 */
	"%99999999d",	/* 24 bits make it negative: no padding */
	"%5d|%-3d|",
	"%px|",		/* the kernel's raw pointer: 16 hex digits */
	"%p|",		/* the kernel's hashed pointer (4.15+): never the raw value */
	"%#x|",		/* flags Linux refuses: '#' */
	"%o|",		/* conversions Linux refuses: octal */
	"%+d|% d|",	/* the flags it takes: '+' and ' ' */
	"\x7f%d|",	/* a character neither printable nor space */
};
#define NR_FORMATS ARRAY_SIZE(formats)

static int rodata_map(void)
{
	char value[NR_FORMATS * FMT_SLOT];
	union bpf_attr a;
	unsigned int i;
	int fd = sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, sizeof(value), 1, BPF_F_RDONLY_PROG);

	memset(value, 0, sizeof(value));
	for (i = 0; i < NR_FORMATS; i++)
		strcpy(value + i * FMT_SLOT, formats[i]);
	if (fd < 0 || map_update(fd, 0, value))
		return -1;
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	return sys_bpf(BPF_MAP_FREEZE, &a) ? -1 : fd;
}

/* r0 = trace_printk(formats[f], strlen + 1, -5, 42) */
static void trace_printk_case(int rodata, unsigned int f)
{
	struct bpf_insn insns[] = {
		LD64(1, BPF_PSEUDO_MAP_VALUE, rodata), LD64_HI(f * FMT_SLOT),
		MOV_IMM(2, strlen(formats[f]) + 1),
		MOV_IMM(3, f == 2 ? -5 : 42),
		MOV_IMM(4, 7),
		CALL(BPF_FUNC_trace_printk),
		EXIT,
	};
	int fd = prog_load("printk_width", insns, ARRAY_SIZE(insns));

	printf("R trace_printk_%u=%lld\n", f, fd < 0 ? -1 : test_run(fd, NULL));
	close(fd);
}

/*
 * r0 = snprintf(fp - 16, 16, formats[f], {-5 or 42, 7}, 16); out[0] = those 16 bytes,
 * printed with the return value.
 */
static void snprintf_case(int rodata, int out, unsigned int f)
{
	struct bpf_insn insns[] = {
		ST_DW(10, -16, 0),
		ST_DW(10, -8, 0),
		ST_DW(10, -32, f == 2 ? -5 : 42),
		ST_DW(10, -24, 7),
		ST_W(10, -36, 0),
		MOV_REG(1, 10),
		ADD_IMM(1, -16),
		MOV_IMM(2, OUT_SIZE),
		LD64(3, BPF_PSEUDO_MAP_VALUE, rodata), LD64_HI(f * FMT_SLOT),
		MOV_REG(4, 10),
		ADD_IMM(4, -32),
		MOV_IMM(5, 16),
		CALL(BPF_FUNC_snprintf),
		MOV_REG(6, 0),
		MAP_UPDATE(out, -36, -16, 0),
		MOV_REG(0, 6),
		EXIT,
	};
	int fd = prog_load("snprintf_width", insns, ARRAY_SIZE(insns));
	unsigned char buf[OUT_SIZE];
	long long ret = fd < 0 ? -1 : test_run(fd, NULL);
	int i;

	memset(buf, 0xee, sizeof(buf));
	map_lookup(out, 0, buf);
	printf("R snprintf_%u=%lld \"", f, ret);
	for (i = 0; i < OUT_SIZE; i++)
		printf(buf[i] >= 32 && buf[i] < 127 && buf[i] != '"' ? "%c" : "\\x%02x", buf[i]);
	printf("\"\n");
	close(fd);
}

/* bpf_loop(4, cb), cb: three trace_printk("%8388607d", 42); r0 = bpf_loop's count */
static void run_printk_loop(int rodata)
{
	struct bpf_insn insns[] = {
		LOOP(4),
		/* cb */
		LD64(1, BPF_PSEUDO_MAP_VALUE, rodata), LD64_HI(0),
		MOV_IMM(2, strlen(formats[0]) + 1),
		MOV_IMM(3, 42),
		CALL(BPF_FUNC_trace_printk),
		LD64(1, BPF_PSEUDO_MAP_VALUE, rodata), LD64_HI(0),
		MOV_IMM(2, strlen(formats[0]) + 1),
		MOV_IMM(3, 42),
		CALL(BPF_FUNC_trace_printk),
		LD64(1, BPF_PSEUDO_MAP_VALUE, rodata), LD64_HI(0),
		MOV_IMM(2, strlen(formats[0]) + 1),
		MOV_IMM(3, 42),
		CALL(BPF_FUNC_trace_printk),
		MOV_IMM(0, 0),
		EXIT,
	};

	load_run_report("printk_loop", insns, ARRAY_SIZE(insns));
}

/*
 * bpf_loop(READ_LOOPS, cb), cb: probe_read_user(big[0], READ_SIZE, params[0]) where
 * params[0] is the address of a user buffer of READ_SIZE bytes: a GiB of copying in
 * one run unless the budget stops it. r0 = bpf_loop's count.
 */
static void run_big_reads(void)
{
	int big = sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, READ_SIZE, 1, 0);
	int params = sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, 8, 1, 0);
	char *src = malloc(READ_SIZE);
	__u64 addr = (uintptr_t)src;
	struct bpf_insn insns[] = {
		LOOP(READ_LOOPS),
		/* cb */
		LD64(3, BPF_PSEUDO_MAP_VALUE, params), LD64_HI(0),
		LDX_DW(3, 3, 0),
		LD64(1, BPF_PSEUDO_MAP_VALUE, big), LD64_HI(0),
		LD64(2, 0, READ_SIZE), LD64_HI(0),
		CALL(BPF_FUNC_probe_read_user),
		MOV_IMM(0, 0),
		EXIT,
	};
	double ms = 0;
	long long ret = -1;
	int fd = -1;

	if (big >= 0 && params >= 0 && src) {
		memset(src, 0x5a, READ_SIZE);
		if (!map_update(params, 0, &addr))
			fd = prog_load("big_reads", insns, ARRAY_SIZE(insns));
	}
	if (fd >= 0)
		ret = test_run(fd, &ms);
	report_timed("big_reads", ret, ms);
	close(fd);
	close(big);
	close(params);
	free(src);
}

/*
 * bpf_loop(FAULT_LOOPS, cb), cb: probe_read_user(fp - 8, 8, 16), a read of an unmapped
 * address: a page fault each, microseconds under emulation for one unit of the budget.
 * The budget pays for over 10^5 of them: the run's time limit stops it first.
 */
static void run_fault_reads(void)
{
	struct bpf_insn insns[] = {
		LOOP(FAULT_LOOPS),
		/* cb */
		MOV_REG(1, 10),
		ADD_IMM(1, -8),
		MOV_IMM(2, 8),
		MOV_IMM(3, 16),
		CALL(BPF_FUNC_probe_read_user),
		MOV_IMM(0, 0),
		EXIT,
	};

	load_run_report("fault_reads", insns, ARRAY_SIZE(insns));
}

/*
 * bpf_loop(READ_LOOPS, cb), cb: for_each_map_elem(empty, cb2) over an empty hash of
 * 2^20 buckets: nothing to call back, but every bucket to look at, 10^9 in all. The
 * module charges the buckets it skips to the budget: the run is aborted.
 */
static void run_empty_walk(void)
{
	int empty = sys_bpf_map_create(BPF_MAP_TYPE_HASH, 8, 1 << 20, 0);
	struct bpf_insn insns[] = {
		LOOP(READ_LOOPS),
		/* cb */
		LD64(1, BPF_PSEUDO_MAP_FD, empty), LD64_HI(0),
		LD64(2, BPF_PSEUDO_FUNC, 6), LD64_HI(0),
		MOV_IMM(3, 0),
		MOV_IMM(4, 0),
		CALL(BPF_FUNC_for_each_map_elem),
		MOV_IMM(0, 0),
		EXIT,
		/* cb2 */
		MOV_IMM(0, 0),
		EXIT,
	};
	double ms = 0;
	long long ret = -1;
	int fd = empty < 0 ? -1 : prog_load("empty_walk", insns, ARRAY_SIZE(insns));

	if (fd >= 0)
		ret = test_run(fd, &ms);
	report_timed("empty_walk", ret, ms);
	close(fd);
	close(empty);
}

/*
 * r0 = for_each_map_elem(full, cb) over a hash of FULL_ENTRIES elements, cb returning
 * 0: every element visited (Linux's count). The module charges the buckets it skips to
 * the budget; a populated table's walk must stay well inside it. Shim only: Linux
 * loads callbacks only with BTF func_info, which these hand-made programs lack.
 */
#define FULL_ENTRIES 16384
static void run_full_walk(void)
{
	int full = sys_bpf_map_create(BPF_MAP_TYPE_HASH, 8, FULL_ENTRIES, 0), fd = -1;
	struct bpf_insn insns[] = {
		LD64(1, BPF_PSEUDO_MAP_FD, full), LD64_HI(0),
		LD64(2, BPF_PSEUDO_FUNC, 5), LD64_HI(0),
		MOV_IMM(3, 0),
		MOV_IMM(4, 0),
		CALL(BPF_FUNC_for_each_map_elem),
		EXIT,
		/* cb */
		MOV_IMM(0, 0),
		EXIT,
	};
	__u64 v = 1;
	long long ret = -1;
	__u32 k;

	for (k = 0; full >= 0 && k < FULL_ENTRIES; k++)
		if (map_update(full, k, &v))
			break;
	if (full >= 0 && k == FULL_ENTRIES)
		fd = prog_load("full_walk", insns, ARRAY_SIZE(insns));
	if (fd >= 0)
		ret = test_run(fd, NULL);
	printf("R full_walk=%lld\n", ret);
	close(fd);
	close(full);
}

/* r0 = lookup(hom, key) != NULL */
static long long hom_lookup(int hom, __u32 key)
{
	struct bpf_insn insns[] = {
		ST_W(10, -4, key),
		MAP_LOOKUP(hom, -4),
		MOV_IMM(1, 1),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 1, 0),
		MOV_IMM(1, 0),
		MOV_REG(0, 1),
		EXIT,
	};

	return load_run("hom_lookup", insns, ARRAY_SIZE(insns), NULL);
}

/* bpf_loop(HOM_LOOPS, cb), cb: lookup(hom, key). r0 = bpf_loop's count; *ms its time */
static long long hom_loop(int hom, __u32 key, double *ms)
{
	struct bpf_insn insns[] = {
		LOOP(HOM_LOOPS),
		/* cb */
		ST_W(10, -4, key),
		MAP_LOOKUP(hom, -4),
		MOV_IMM(0, 0),
		EXIT,
	};

	return load_run("hom_loop", insns, ARRAY_SIZE(insns), ms);
}

/*
 * A hash of maps with @entries keys 0.. (each holding the same inner array): lookups
 * of the last key and of a missing one, and with @loop (programs with callbacks load
 * natively only with BTF) HOM_LOOPS lookups of the last key in one run, timed.
 */
static void run_hom(__u32 entries, int loop)
{
	union bpf_attr a;
	int inner = sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, 8, 1, 0), hom;
	__u32 i, stored = 0;
	double ms = 0;

	sys_bpf_map_attr(&a, BPF_MAP_TYPE_HASH_OF_MAPS, 4, entries, 0);
	a.inner_map_fd = inner;
	hom = sys_bpf(BPF_MAP_CREATE, &a);
	for (i = 0; inner >= 0 && hom >= 0 && i < entries; i++)
		stored += !map_update(hom, i, &inner);
	printf("R hom_all_stored=%d\n", stored == entries);
	printf("R hom_found=%lld\n", hom_lookup(hom, entries - 1));
	printf("R hom_missing=%lld\n", hom_lookup(hom, entries));
	if (loop) {
		printf("R hom_loop=%lld\n", hom_loop(hom, entries - 1, &ms));
		printf("R hom_loop_ms=%.1f\n", ms);
	}
	close(hom);
	close(inner);
}

/* UPDATE_BATCH of keys first..first+count-1 (values 0) into @fd: 0 or -errno */
static int lru_fill(int fd, __u32 first, __u32 count)
{
	__u32 *keys = calloc(count, sizeof(*keys)), i;
	__u64 *values = calloc(count, sizeof(*values));
	union bpf_attr a;
	int err = -ENOMEM;

	if (keys && values) {
		for (i = 0; i < count; i++)
			keys[i] = first + i;
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = fd;
		a.batch.keys = (uintptr_t)keys;
		a.batch.values = (uintptr_t)values;
		a.batch.count = count;
		err = sys_bpf(BPF_MAP_UPDATE_BATCH, &a) ? -errno : 0;
	}
	free(keys);
	free(values);
	return err;
}

/*
 * r0 = bpf_loop(LRU_PER_RUN, cb, &base), cb: lookup(lru, base + index); base is the
 * context's first argument. Program lookups set the elements' reference bits.
 */
static int lru_referencing_prog(int lru)
{
	struct bpf_insn insns[] = {
		LDX_DW(6, 1, 0),
		STX_DW(10, 6, -8),
		MOV_IMM(1, LRU_PER_RUN),
		LD64(2, BPF_PSEUDO_FUNC, 6), LD64_HI(0),
		MOV_REG(3, 10),
		ADD_IMM(3, -8),
		MOV_IMM(4, 0),
		CALL(BPF_FUNC_loop),
		EXIT,
		/* cb(index, &base) */
		LDX_DW(3, 2, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 3, 1, 0, 0),
		INSN(BPF_STX | BPF_MEM | BPF_W, 10, 3, -4, 0),
		MAP_LOOKUP(lru, -4),
		MOV_IMM(0, 0),
		EXIT,
	};

	return prog_load("lru_reference", insns, ARRAY_SIZE(insns));
}

/*
 * A full LRU hash whose elements programs all looked up, then an update of a new key
 * (which evicts), LRU_ROUNDS times: the fastest and slowest update.
 */
static void run_lru_evict(void)
{
	int lru = sys_bpf_map_create(BPF_MAP_TYPE_LRU_HASH, 8, LRU_ENTRIES, 0), prog = -1;
	double best = 1e9, worst = 0, t0, t;
	__u64 zero = 0, base;
	int round, ok;

	ok = lru >= 0 && !lru_fill(lru, 0, LRU_ENTRIES);
	printf("R lru_filled=%d\n", ok);
	if (ok)
		prog = lru_referencing_prog(lru);
	for (round = 0; prog >= 0 && round < LRU_ROUNDS; round++) {
		for (base = 0; base < LRU_ENTRIES; base += LRU_PER_RUN) {
			union bpf_attr a;

			memset(&a, 0, sizeof(a));
			a.test.prog_fd = prog;
			a.test.ctx_in = (uintptr_t)&base;
			a.test.ctx_size_in = sizeof(base);
			if (sys_bpf(BPF_PROG_TEST_RUN, &a) || a.test.retval != LRU_PER_RUN)
				ok = 0;
		}
		t0 = now_ms();
		if (map_update(lru, LRU_ENTRIES + round, &zero))
			ok = 0;
		t = now_ms() - t0;
		best = t < best ? t : best;
		worst = t > worst ? t : worst;
	}
	printf("R lru_referenced=%d\n", ok && prog >= 0);
	printf("R lru_evict_ms=%.2f\n", best);
	printf("R lru_evict_max_ms=%.2f\n", worst);
	close(prog);
	close(lru);
}

/*
 * A @type array with @slots entries, each holding @value_fd: the time of a delete of
 * one slot, then of the close that empties the rest (as @name_*).
 */
static void array_close(const char *name, unsigned int type, __u32 slots, int value_fd)
{
	int fd = sys_bpf_map_create(type, 4, slots, 0);
	__u32 i, stored = 0;
	double t0, t1;

	for (i = 0; value_fd >= 0 && fd >= 0 && i < slots; i++)
		stored += !map_update(fd, i, &value_fd);
	printf("R %s_stored=%u\n", name, stored);
	t0 = now_ms();
	printf("R %s_delete=%d\n", name, map_delete(fd, 0));
	t1 = now_ms();
	close(fd);
	printf("R %s_delete_ms=%.1f\n", name, t1 - t0);
	printf("R %s_close_ms=%.1f\n", name, now_ms() - t1);
}

/* A prog array with @slots entries, each holding the same program. */
static void prog_array_close(__u32 slots)
{
	struct bpf_insn insns[] = { MOV_IMM(0, 0), EXIT };
	int prog = prog_load("parr_member", insns, 2);

	array_close("parr", BPF_MAP_TYPE_PROG_ARRAY, slots, prog);
	close(prog);
}

/* The same for a perf event array with one BPF output event in each of @slots slots. */
static void perf_array_close(__u32 slots)
{
	struct perf_event_attr pa = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(pa), .config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW, .sample_period = 1, .wakeup_events = 1,
	};
	int pfd = syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);

	array_close("perf", BPF_MAP_TYPE_PERF_EVENT_ARRAY, slots, pfd);
	close(pfd);
}

int main(int argc, char **argv)
{
	int shim = argc > 1 && !strcmp(argv[1], "shim");
	__u32 parr_slots = argc > 2 ? strtoul(argv[2], NULL, 0) : 65536;
	__u32 perf_slots = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
	int rodata = rodata_map(), out = sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, OUT_SIZE, 1, 0);
	unsigned int f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("R setup=%d\n", rodata >= 0 && out >= 0);
	for (f = 0; f < NR_FORMATS; f++) {
		trace_printk_case(rodata, f);
		snprintf_case(rodata, out, f);
	}
	if (shim) {
		run_printk_loop(rodata);
		run_big_reads();
		run_fault_reads();
		run_empty_walk();
		run_full_walk();
		run_lru_evict();
	}
	run_hom(shim ? HOM_ENTRIES : 100, shim);
	prog_array_close(parr_slots);
	perf_array_close(perf_slots);
	printf("R done=1\n");
	return 0;
}
