// SPDX-License-Identifier: GPL-2.0
/*
 * driver_fuzz: a fuzzer for the whole /dev/bpfdrv surface (issue 14, section 2).
 *
 * It speaks the module's protocol directly (bpfdrv_protocol.h, generated from
 * driver-protocol: ioctl numbers, request and attr layouts, command, map and program
 * type numbers), not through the hook, so it can send what no libbpf would: every bpf
 * command with valid, boundary and random attrs and attr sizes; maps of every type with
 * valid and mutated parameters, and element, batch, freeze and mmap operations on them;
 * programs from a built-in corpus (driver_fuzz_progs.h), loaded as they are and mutated
 * at the instruction level, then test-run and attached to kprobes, uprobes, tracepoints,
 * raw tracepoints, sampling clocks and fentry targets that a workload process fires;
 * perf output rings mmapped with odd offsets, lengths and protections; object ids walked
 * and reopened; pins; BTF; links; close, dup, fork, exit and kill -9 at random points;
 * RLIMIT_NOFILE lowered for a moment to force the EMFILE paths. PROCS processes of
 * THREADS threads each run at once and share their fds within a process.
 *
 * Buffers the module writes (values, keys, logs, info) end at a guard page, so a
 * module that writes past what it was given faults (EFAULT) instead of silently
 * corrupting the fuzzer.
 *
 * Usage: driver_fuzz SECONDS [SEED [PROCS [THREADS]]]. The seed (from the clock when
 * not given) is printed first; each thread's choices follow from it (scheduling makes
 * the interleaving differ between runs). At the end, per-command lines
 *   C <name> calls=N ok=N errnos=E:N,...
 * and "MAPTYPE <n> ok=N", "PROGTYPE <n> ok=N", "S key=value" totals.
 * Exit status 0 unless the fuzzer itself failed (the kernel is judged by its log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "driver_fuzz_progs.h"

#define DEVICE "/dev/bpfdrv"
#define MAX_PROCS 8
#define MAX_THREADS 8
#define POOL_SIZE 48
#define ARENA_SIZE (2u << 20)
#define NR_ARENAS 3
#define MAX_ERRNO 600 /* past the kernel-internal ones (ENOTSUPP is 524) */
#define PIN_SLOTS 8

/* Statistics slots: the bpf commands first, then what is not a bpf command. */
#define NR_BPF_CMDS (BPFDRV_CMD_PROG_BIND_MAP + 1)
enum {
	SLOT_BPF_UNKNOWN = NR_BPF_CMDS, /* commands past the last one Linux 6.1 has */
	SLOT_HELLO,
	SLOT_PERF_OPEN,
	SLOT_PROG_LOAD_BTF,
	SLOT_UNPIN,
	SLOT_BAD_IOCTL,
	SLOT_EVENT_IOCTL,
	SLOT_MMAP,
	SLOT_CLOSE,
	SLOT_DUP,
	SLOT_FORK,
	SLOT_EMFILE,
	NR_SLOTS
};

#define CMD_NAME(c) \
	[BPFDRV_CMD_##c] = #c
static const char *const slot_names[NR_SLOTS] = {
	CMD_NAME(MAP_CREATE), CMD_NAME(MAP_LOOKUP_ELEM), CMD_NAME(MAP_UPDATE_ELEM),
	CMD_NAME(MAP_DELETE_ELEM), CMD_NAME(MAP_GET_NEXT_KEY), CMD_NAME(PROG_LOAD),
	CMD_NAME(OBJ_PIN), CMD_NAME(OBJ_GET), CMD_NAME(PROG_ATTACH), CMD_NAME(PROG_DETACH),
	CMD_NAME(PROG_TEST_RUN), CMD_NAME(PROG_GET_NEXT_ID), CMD_NAME(MAP_GET_NEXT_ID),
	CMD_NAME(PROG_GET_FD_BY_ID), CMD_NAME(MAP_GET_FD_BY_ID), CMD_NAME(OBJ_GET_INFO_BY_FD),
	CMD_NAME(PROG_QUERY), CMD_NAME(RAW_TRACEPOINT_OPEN), CMD_NAME(BTF_LOAD),
	CMD_NAME(BTF_GET_FD_BY_ID), CMD_NAME(TASK_FD_QUERY), CMD_NAME(MAP_LOOKUP_AND_DELETE_ELEM),
	CMD_NAME(MAP_FREEZE), CMD_NAME(BTF_GET_NEXT_ID), CMD_NAME(MAP_LOOKUP_BATCH),
	CMD_NAME(MAP_LOOKUP_AND_DELETE_BATCH), CMD_NAME(MAP_UPDATE_BATCH),
	CMD_NAME(MAP_DELETE_BATCH), CMD_NAME(LINK_CREATE), CMD_NAME(LINK_UPDATE),
	CMD_NAME(LINK_GET_FD_BY_ID), CMD_NAME(LINK_GET_NEXT_ID), CMD_NAME(ENABLE_STATS),
	CMD_NAME(ITER_CREATE), CMD_NAME(LINK_DETACH), CMD_NAME(PROG_BIND_MAP),
	[SLOT_BPF_UNKNOWN] = "BPF_UNKNOWN_CMD", [SLOT_HELLO] = "IOC_HELLO",
	[SLOT_PERF_OPEN] = "IOC_PERF_OPEN", [SLOT_PROG_LOAD_BTF] = "IOC_PROG_LOAD_BTF",
	[SLOT_UNPIN] = "IOC_UNPIN", [SLOT_BAD_IOCTL] = "IOC_UNKNOWN",
	[SLOT_EVENT_IOCTL] = "EVENT_IOCTL", [SLOT_MMAP] = "MMAP", [SLOT_CLOSE] = "CLOSE",
	[SLOT_DUP] = "DUP", [SLOT_FORK] = "FORK", [SLOT_EMFILE] = "EMFILE_BURST",
};

/* Every map type the protocol names, with parameters Linux would accept for it. */
struct map_kind {
	uint32_t type, key, value, entries, flags;
	uint64_t extra;
	int needs_inner;
};

static const struct map_kind map_kinds[] = {
	{ BPFDRV_MAP_TYPE_HASH, 8, 16, 64, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_ARRAY, 4, 8, 16, BPFDRV_F_MMAPABLE, 0, 0 },
	{ BPFDRV_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_PERCPU_HASH, 4, 8, 32, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_PERCPU_ARRAY, 4, 24, 8, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_STACK_TRACE, 4, 8 * 16, 32, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_CGROUP_ARRAY, 4, 4, 4, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_LRU_HASH, 4, 8, 16, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_LRU_PERCPU_HASH, 8, 8, 16, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_LPM_TRIE, 8, 8, 32, BPFDRV_F_NO_PREALLOC, 0, 0 },
	{ BPFDRV_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0, 0, 1 },
	{ BPFDRV_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, 0, 0, 1 },
	{ BPFDRV_MAP_TYPE_QUEUE, 0, 8, 16, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_STACK, 0, 8, 16, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_RINGBUF, 0, 0, 4 << 12, 0, 0, 0 },
	{ BPFDRV_MAP_TYPE_BLOOM_FILTER, 0, 4, 64, 0, 3, 0 },
};

#define NR_MAP_KINDS ((int)(ARRAY_SIZE(map_kinds)))

static const uint32_t prog_types[] = {
	BPFDRV_PROG_TYPE_SOCKET_FILTER, BPFDRV_PROG_TYPE_KPROBE, BPFDRV_PROG_TYPE_TRACEPOINT,
	BPFDRV_PROG_TYPE_PERF_EVENT, BPFDRV_PROG_TYPE_RAW_TRACEPOINT,
};

#define NR_PROG_TYPES ((int)(ARRAY_SIZE(prog_types)))

struct counter {
	unsigned long calls, ok, usec; /* usec: time spent in the calls */
	unsigned long err[MAX_ERRNO];
};

/* Shared by every process (MAP_SHARED): the totals printed at the end. */
struct stats {
	struct counter slot[NR_SLOTS];
	unsigned long map_type_ok[BPFDRV_MAP_TYPE_MAX];
	unsigned long prog_type_ok[BPFDRV_PROG_TYPE_MAX];
	unsigned long corpus_loads, mutated_loads, mutated_ok, test_run_ok, attached, spared_calls;
	unsigned long mmap_touched, faults, probe_hits, children_killed;
	unsigned long workload_calls;
	int stop_workload;
};

static struct stats *stats;

enum obj_kind { OBJ_MAP, OBJ_PROG, OBJ_EVENT, OBJ_RING, OBJ_LINK, OBJ_BTF, OBJ_OTHER };

struct obj {
	int fd; /* -1: free slot */
	enum obj_kind kind;
	uint32_t type, key, value, entries, flags, attach;
};

/* One process's fds, shared by its threads; an fd is closed only by whoever removes it. */
static struct obj pool[POOL_SIZE];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fixtures fx;
static int dev_fd;
static int nr_cpus;
static double deadline;

/* What the workload fires (found at start; empty strings when the kernel lacks them). */
static char kprobe_sym[64];
static uint64_t kprobe_addr;
static long tp_ids[2];
static char self_path[256];
static uint64_t uprobe_offset;

/*
 * Not sched_switch (nor the sched:sched_switch tracepoint below): under TCG, dozens of
 * fuzzed programs run in the module's interpreter at every context switch, inside
 * __schedule, starve the RCU grace-period kthread for good ("rcu_sched kthread starved",
 * NMI backtrace in raw_tp_probe <- __traceiter_sched_switch); 3 of 10 smoke runs hung so.
 * A CPU-time limit of emulating under TCG rather than a module bug (no lock is held
 * across runs); native speed runs (KVM, hardware) can add it back.
 */
static const char *const raw_tp_names[] = { "sys_enter", "sys_exit", "no_such_tracepoint", "" };

static const char *const pin_bad_paths[] = {
	"", "/sys/fs/bpf/", "/tmp/not_bpffs", "relative", "/sys/fs/bpf/fz/../fz0",
};

struct thr {
	uint64_t rng;
	int id;
	uint8_t *arena[NR_ARENAS];
	struct bpfdrv_insn insns[PROG_ROOM];
	sigjmp_buf fault_jmp;
	int in_touch; /* read by the fault handler (__atomic) */
};

static __thread struct thr *self_thr;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(struct thr *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(struct thr *t, uint32_t n)
{
	return n ? rnd(t) % n : 0;
}

static int chance(struct thr *t, uint32_t percent)
{
	return below(t, 100) < percent;
}

static int64_t boundary(struct thr *t)
{
	int n = ARRAY_SIZE(boundary_ints);

	return chance(t, 70) ? boundary_ints[below(t, n)] : (int64_t)rnd(t);
}

/* A u32 around @v: v itself, v +- 1, 0, max, or random. */
static uint32_t around(struct thr *t, uint32_t v)
{
	switch (below(t, 7)) {
	case 0:
		return v - 1;
	case 1:
		return v + 1;
	case 2:
		return 0;
	case 3:
		return UINT32_MAX;
	case 4:
		return (uint32_t)boundary(t);
	case 5:
		return (uint32_t)rnd(t);
	}
	return v;
}

static __thread double call_start;

/* The next record() measures the time from here. */
static void start_call(void)
{
	call_start = now();
}

static void record(int slot, long ret)
{
	struct counter *c = &stats->slot[slot];
	int e = errno;

	if (call_start) {
		__atomic_fetch_add(&c->usec, (unsigned long)((now() - call_start) * 1e6), __ATOMIC_RELAXED);
		call_start = 0;
	}
	__atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		__atomic_fetch_add(&c->ok, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&c->err[e > 0 && e < MAX_ERRNO ? e : 0], 1, __ATOMIC_RELAXED);
	errno = e;
}

static void bump(unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* @len bytes ending at arena @i's guard page. */
static void *tail_buf(struct thr *t, int i, size_t len)
{
	if (len > ARENA_SIZE)
		len = ARENA_SIZE;
	return t->arena[i] + ARENA_SIZE - len;
}

/* A pointer the module must refuse to follow (or a valid one, @good). */
static uint64_t some_ptr(struct thr *t, void *good)
{
	static const uint64_t bad[] = { 0, 1, 0xffffffff81000000ULL, 0xfffffffffffff000ULL, 0x1000 };

	if (chance(t, 90))
		return (uintptr_t)good;
	if (chance(t, 40))
		return (uintptr_t)(t->arena[below(t, NR_ARENAS)] + ARENA_SIZE); /* the guard page */
	return bad[below(t, ARRAY_SIZE(bad))];
}

/* ---- the object pool ---- */

static void lock_pool(void)
{
	pthread_mutex_lock(&pool_lock);
}

static void unlock_pool(void)
{
	pthread_mutex_unlock(&pool_lock);
}

/* Keep @o; when the pool is full, an old entry is closed to make room. */
static void pool_add(struct thr *t, struct obj o)
{
	int i = below(t, POOL_SIZE), victim;

	lock_pool();
	victim = pool[i].fd;
	pool[i] = o;
	unlock_pool();
	if (victim > 2) {
		start_call();
		record(SLOT_CLOSE, close(victim));
	}
}

/* A copy of a random entry of @kind (any kind: -1); fd -1 when there is none. */
static struct obj pool_pick(struct thr *t, int kind)
{
	struct obj none = { .fd = -1 };
	int start = below(t, POOL_SIZE), i;

	lock_pool();
	for (i = 0; i < POOL_SIZE; i++) {
		struct obj *o = &pool[(start + i) % POOL_SIZE];

		if (o->fd >= 0 && (kind < 0 || (int)o->kind == kind)) {
			none = *o;
			break;
		}
	}
	unlock_pool();
	return none;
}

/* An fd to hand the module: mostly a pool entry of @kind, sometimes anything at all. */
static int some_fd(struct thr *t, int kind)
{
	static const int odd[] = { -1, 0, 1, 2, 1000000, -100 };
	struct obj o;

	if (chance(t, 8))
		return odd[below(t, ARRAY_SIZE(odd))];
	if (chance(t, 5))
		return dev_fd;
	o = pool_pick(t, chance(t, 85) ? kind : -1);
	return o.fd >= 0 ? o.fd : (int)below(t, 64);
}

/* ---- calls ---- */

static long ioctl_rec(int slot, int fd, unsigned long req, void *arg)
{
	long ret;

	start_call();
	ret = ioctl(fd, req, arg);
	record(slot, ret);
	return ret;
}

/* An attr size: mostly the command's struct, else a boundary around it or the union's. */
static uint32_t attr_size(struct thr *t, uint32_t size)
{
	static const uint32_t sizes[] = { 0, 1, 4, BPFDRV_ATTR_SIZE, BPFDRV_ATTR_SIZE + 1, 4096,
					  1u << 20, (1u << 20) + 1, UINT32_MAX };

	if (chance(t, 85))
		return size;
	if (chance(t, 50))
		return size + (chance(t, 50) ? 1 : -1);
	return sizes[below(t, ARRAY_SIZE(sizes))];
}

/*
 * bpf(@cmd, @attr): the attr goes to the end of arena 2 with the chosen size (tail bytes
 * zero, or one set), what the module writes back is copied to @attr.
 */
static long bpf_cmd(struct thr *t, uint32_t cmd, void *attr, uint32_t len)
{
	uint32_t size = attr_size(t, len);
	size_t room = size < ARENA_SIZE ? size : ARENA_SIZE;
	uint8_t *a = tail_buf(t, 2, room < len ? len : room);
	struct bpfdrv_bpf_req req = { .size = sizeof(req), .cmd = cmd, .attr = (uintptr_t)a, .attr_size = size };
	long ret;

	memset(a, 0, room < len ? len : room);
	memcpy(a, attr, len);
	if (size > len && chance(t, 20))
		a[len + below(t, room - len)] = 1 + below(t, 255);
	if (chance(t, 2))
		req.reserved = 1;
	if (chance(t, 1))
		req.size = around(t, sizeof(req));
	start_call();
	ret = ioctl(dev_fd, BPFDRV_IOC_BPF, &req);
	record(cmd < NR_BPF_CMDS ? (int)cmd : SLOT_BPF_UNKNOWN, ret);
	memcpy(attr, a, len);
	return ret;
}

/* ---- maps ---- */

/*
 * Would the map take a good part of the machine's memory, yet not more than it has?
 * Such a map is left out: while its allocation holds most of the memory, any other task's
 * page fault may run the OOM killer (on Linux too, where memcg is what bounds it). The
 * module's side of it — refusing quietly with ENOMEM, above the machine's size or when
 * the pages run out — is what regressions() checks.
 */
static int near_ram_size(const struct bpfdrv_map_create_attr *a)
{
	uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	uint64_t size = (uint64_t)a->max_entries * ((uint64_t)a->key_size + a->value_size + 64) * nr_cpus;

	return size > ram / 16 && size < 4 * ram;
}

static int create_map(struct thr *t, const struct map_kind *k, int mutate, struct obj *out)
{
	struct bpfdrv_map_create_attr a = {
		.map_type = k->type, .key_size = k->key, .value_size = k->value,
		.max_entries = k->entries, .map_flags = k->flags, .map_extra = k->extra,
	};
	int fd;

	if (k->type == BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY)
		a.max_entries = nr_cpus;
	if (k->needs_inner)
		a.inner_map_fd = fx.hits;
	snprintf((char *)a.map_name, sizeof(a.map_name), "fz%u_%u", t->id, k->type);
	if (mutate) {
		switch (below(t, 8)) {
		case 0:
			a.key_size = around(t, a.key_size);
			break;
		case 1:
			a.value_size = around(t, a.value_size);
			break;
		case 2:
			a.max_entries = around(t, a.max_entries);
			break;
		case 3:
			a.map_flags ^= 1u << below(t, 16);
			break;
		case 4:
			a.inner_map_fd = some_fd(t, OBJ_MAP);
			break;
		case 5:
			a.map_extra = boundary(t);
			break;
		case 6:
			memset(a.map_name, 'x', sizeof(a.map_name));
			break;
		default:
			a.map_type = chance(t, 50) ? below(t, BPFDRV_MAP_TYPE_MAX + 2) : (uint32_t)rnd(t);
			a.numa_node = around(t, 0);
			a.map_flags |= chance(t, 50) ? BPFDRV_F_NUMA_NODE : 0;
		}
	}
	if (chance(t, 10))
		a.map_flags |= chance(t, 50) ? BPFDRV_F_RDONLY_PROG : BPFDRV_F_WRONLY_PROG;
	if (near_ram_size(&a))
		a.max_entries = 1 + below(t, 1024);
	fd = bpf_cmd(t, BPFDRV_CMD_MAP_CREATE, &a, sizeof(a));
	if (fd < 0)
		return fd;
	if (a.map_type < BPFDRV_MAP_TYPE_MAX)
		bump(&stats->map_type_ok[a.map_type]);
	*out = (struct obj){ .fd = fd, .kind = OBJ_MAP, .type = a.map_type, .key = a.key_size,
			     .value = a.value_size, .entries = a.max_entries, .flags = a.map_flags };
	return fd;
}

static void op_map_create(struct thr *t)
{
	struct obj o;

	if (create_map(t, &map_kinds[below(t, NR_MAP_KINDS)], chance(t, 30), &o) >= 0)
		pool_add(t, o);
}

/* Bytes a value of @o takes in user space (per-CPU maps: one slot per possible CPU). */
static size_t value_len(const struct obj *o)
{
	size_t v = o->value;

	if (o->type == BPFDRV_MAP_TYPE_PERCPU_HASH || o->type == BPFDRV_MAP_TYPE_PERCPU_ARRAY ||
	    o->type == BPFDRV_MAP_TYPE_LRU_PERCPU_HASH)
		v = ((v + 7) & ~7ul) * nr_cpus;
	return v;
}

/* A key for @o: a small index (arrays find it), or random bytes. */
static void *make_key(struct thr *t, const struct obj *o)
{
	size_t len = o->key ? o->key : 8;
	uint8_t *k = tail_buf(t, 0, len);
	size_t i;

	if (len > 1 << 16)
		return k;
	memset(k, 0, len);
	if (chance(t, 70)) {
		uint32_t idx = below(t, o->entries ? o->entries + 1 : 8);

		memcpy(k, &idx, len < 4 ? len : 4);
		if (o->type == BPFDRV_MAP_TYPE_LPM_TRIE && len >= 4) {
			idx = below(t, (len - 4) * 8 + 2); /* prefix length */
			memcpy(k, &idx, 4);
		}
	} else {
		for (i = 0; i < len; i++)
			k[i] = rnd(t);
	}
	return k;
}

/* A value to store in @o: fds for fd maps, random bytes otherwise. */
static void *make_value(struct thr *t, const struct obj *o)
{
	size_t len = value_len(o);
	uint8_t *v = tail_buf(t, 1, len);
	int fd;

	if (len > 1 << 16)
		return v;
	memset(v, 0, len);
	switch (o->type) {
	case BPFDRV_MAP_TYPE_PROG_ARRAY:
		fd = some_fd(t, OBJ_PROG);
		break;
	case BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY:
		fd = some_fd(t, chance(t, 70) ? OBJ_RING : OBJ_EVENT);
		break;
	case BPFDRV_MAP_TYPE_ARRAY_OF_MAPS:
	case BPFDRV_MAP_TYPE_HASH_OF_MAPS:
		fd = some_fd(t, OBJ_MAP);
		break;
	default:
		for (size_t i = 0; i < len && i < 64; i++)
			v[i] = rnd(t);
		return v;
	}
	if (len >= 4)
		memcpy(v, &fd, 4);
	return v;
}

static void op_map_elem(struct thr *t)
{
	static const uint32_t cmds[] = {
		BPFDRV_CMD_MAP_LOOKUP_ELEM, BPFDRV_CMD_MAP_UPDATE_ELEM, BPFDRV_CMD_MAP_UPDATE_ELEM,
		BPFDRV_CMD_MAP_DELETE_ELEM, BPFDRV_CMD_MAP_GET_NEXT_KEY,
		BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_ELEM, BPFDRV_CMD_MAP_FREEZE,
	};
	struct obj o = pool_pick(t, OBJ_MAP);
	uint32_t cmd = cmds[below(t, ARRAY_SIZE(cmds))];
	struct bpfdrv_map_elem_attr a = { 0 };

	if (o.fd < 0 || (cmd == BPFDRV_CMD_MAP_FREEZE && chance(t, 80)))
		return;
	a.map_fd = chance(t, 95) ? o.fd : (uint32_t)some_fd(t, -1);
	a.key = some_ptr(t, chance(t, 5) && cmd == BPFDRV_CMD_MAP_GET_NEXT_KEY ? NULL : make_key(t, &o));
	if (cmd == BPFDRV_CMD_MAP_UPDATE_ELEM)
		a.value = some_ptr(t, make_value(t, &o));
	else if (cmd == BPFDRV_CMD_MAP_GET_NEXT_KEY)
		a.value = some_ptr(t, tail_buf(t, 1, o.key ? o.key : 8));
	else
		a.value = some_ptr(t, tail_buf(t, 1, value_len(&o)));
	if (cmd == BPFDRV_CMD_MAP_UPDATE_ELEM)
		a.flags = chance(t, 85) ? below(t, 3) : (uint64_t)boundary(t);
	else if (chance(t, 10))
		a.flags = chance(t, 50) ? BPFDRV_F_LOCK : (uint64_t)boundary(t);
	if (cmd == BPFDRV_CMD_MAP_DELETE_ELEM)
		a.value = a.flags = 0;
	bpf_cmd(t, cmd, &a, sizeof(a));
}

static void op_map_batch(struct thr *t)
{
	static const uint32_t cmds[] = {
		BPFDRV_CMD_MAP_LOOKUP_BATCH, BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_BATCH,
		BPFDRV_CMD_MAP_UPDATE_BATCH, BPFDRV_CMD_MAP_DELETE_BATCH,
	};
	struct obj o = pool_pick(t, OBJ_MAP);
	uint32_t cmd = cmds[below(t, 4)];
	struct bpfdrv_map_batch_attr a = { 0 };
	uint32_t count = chance(t, 80) ? 1 + below(t, 16) : around(t, 16);
	size_t klen, vlen;
	uint32_t *token = tail_buf(t, 2, 4096) + 2048; /* clear of the attr at the tail */
	uint8_t *keys, *values;

	if (o.fd < 0)
		return;
	klen = (size_t)(o.key ? o.key : 8) * (count < 64 ? count : 64);
	vlen = value_len(&o) * (count < 64 ? count : 64);
	keys = tail_buf(t, 0, klen);
	values = tail_buf(t, 1, vlen);
	if (cmd == BPFDRV_CMD_MAP_UPDATE_BATCH || cmd == BPFDRV_CMD_MAP_DELETE_BATCH) {
		for (size_t i = 0; i < klen && i < 4096; i++)
			keys[i] = chance(t, 80) ? 0 : rnd(t);
		for (size_t i = 0; i < vlen && i < 4096; i++)
			values[i] = rnd(t);
	}
	*token = chance(t, 70) ? 0 : (uint32_t)boundary(t);
	a.map_fd = o.fd;
	a.count = count;
	a.keys = some_ptr(t, keys);
	a.values = some_ptr(t, values);
	a.in_batch = chance(t, 50) ? 0 : some_ptr(t, token);
	a.out_batch = some_ptr(t, token + 1);
	a.elem_flags = chance(t, 90) ? 0 : (uint64_t)boundary(t);
	a.flags = chance(t, 95) ? 0 : (uint64_t)boundary(t);
	bpf_cmd(t, cmd, &a, sizeof(a));
}

/* mmap a map or perf ring fd with an odd offset, length or protection, and read it all. */
static void op_mmap(struct thr *t)
{
	struct obj o = pool_pick(t, chance(t, 50) ? OBJ_MAP : OBJ_RING);
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = chance(t, 70) ? 1 + below(t, 9) : (size_t)below(t, 1 << 12);
	off_t off = chance(t, 70) ? (off_t)below(t, 3) * page : (off_t)(boundary(t) & ~(page - 1));
	int prot = chance(t, 50) ? PROT_READ : PROT_READ | PROT_WRITE;
	uint8_t *p;
	size_t i;

	if (o.fd < 0)
		return;
	if (o.kind == OBJ_RING && chance(t, 50))
		pages = 1 + (1 << below(t, 3)); /* a control page and 2^n data pages */
	if (chance(t, 5))
		off += 1 + below(t, page - 1);
	start_call();
	p = mmap(NULL, pages * page, prot, chance(t, 90) ? MAP_SHARED : MAP_PRIVATE, o.fd, off);
	record(SLOT_MMAP, p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	__atomic_store_n(&t->in_touch, 1, __ATOMIC_SEQ_CST);
	if (!sigsetjmp(t->fault_jmp, 1)) {
		for (i = 0; i < pages; i++) {
			uint8_t v = __atomic_load_n(&p[i * page], __ATOMIC_RELAXED);

			if ((prot & PROT_WRITE) && chance(t, 30))
				__atomic_store_n(&p[i * page], v, __ATOMIC_RELAXED);
		}
		bump(&stats->mmap_touched);
	}
	__atomic_store_n(&t->in_touch, 0, __ATOMIC_SEQ_CST);
	munmap((void *)p, pages * page);
}

/* ---- programs ---- */

/* Change @n instructions of @p (count *@cnt) at random: fields, bits, insertions, deletions. */
static void mutate(struct thr *t, struct bpfdrv_insn *p, int *cnt)
{
	int rounds = 1 + below(t, 3);

	while (rounds--) {
		int i = below(t, *cnt);
		struct bpfdrv_insn *x = &p[i];

		switch (below(t, 10)) {
		case 0:
			x->code = rnd(t);
			break;
		case 1:
			x->regs = rnd(t);
			break;
		case 2:
			x->regs = (x->regs & 0xf0) | below(t, 12);
			break;
		case 3:
			x->off = boundary(t);
			break;
		case 4:
			x->imm = boundary(t);
			break;
		case 5:
			((uint8_t *)x)[below(t, sizeof(*x))] ^= 1 << below(t, 8);
			break;
		case 6:
			if ((x->code & 0xf0) == BPF_CALL)
				x->imm = below(t, 220);
			else
				x->code ^= 0x08; /* K <-> X */
			break;
		case 7:
			if (*cnt < PROG_ROOM) {
				memmove(x + 1, x, (*cnt - i) * sizeof(*x));
				*x = INSN(rnd(t), below(t, 11), below(t, 11), boundary(t), boundary(t));
				(*cnt)++;
			}
			break;
		case 8:
			if (*cnt > 1) {
				memmove(x, x + 1, (*cnt - i - 1) * sizeof(*x));
				(*cnt)--;
			}
			break;
		default:
			if (*cnt < PROG_ROOM) {
				memmove(x + 1, x, (*cnt - i) * sizeof(*x));
				(*cnt)++;
			}
		}
	}
}

/*
 * Helpers that act on whichever task is current: a program calling them, attached to a
 * raw tracepoint on sys_enter or to a CPU clock, runs in every process of the guest. One
 * mutated send_signal(4) there is all it takes for the test's own shell and every busybox
 * process to die of SIGILL, as natively (one smoke run ended so); probe_write_user would
 * scribble on them the same way. The module's answer to these is Linux's, which is what
 * the hand-written tests check; the fuzzer keeps its guest alive.
 */
static const int32_t hits_other_tasks[] = {
	BPF_FUNC_send_signal,
	BPF_FUNC_send_signal_thread,
	BPF_FUNC_probe_write_user,
};

/* Every call of a helper in hits_other_tasks becomes get_prandom_u32 (no arguments to check). */
static void spare_other_tasks(struct bpfdrv_insn *p, int cnt)
{
	for (int i = 0; i < cnt; i++) {
		if (p[i].code != (BPF_JMP | BPF_CALL) || p[i].regs >> 4) /* src 0: a helper */
			continue;
		for (size_t h = 0; h < ARRAY_SIZE(hits_other_tasks); h++)
			if (p[i].imm == hits_other_tasks[h]) {
				p[i].imm = BPF_FUNC_get_prandom_u32;
				bump(&stats->spared_calls);
			}
	}
}

static int load_prog(struct thr *t, int mutated, int btf)
{
	struct bpfdrv_prog_load_attr a = { 0 };
	int cnt = corpus[below(t, CORPUS_SIZE)](t->insns, &fx);
	struct obj o = { .kind = OBJ_PROG };
	uint32_t log_size;
	char *log;
	long fd;

	if (mutated) {
		mutate(t, t->insns, &cnt);
		spare_other_tasks(t->insns, cnt);
	}
	a.prog_type = prog_types[below(t, NR_PROG_TYPES)];
	if (chance(t, 3))
		a.prog_type = chance(t, 50) ? below(t, BPFDRV_PROG_TYPE_MAX + 2) : (uint32_t)rnd(t);
	a.insn_cnt = chance(t, 97) ? (uint32_t)cnt : around(t, cnt);
	a.insns = some_ptr(t, t->insns);
	a.license = (uintptr_t)(chance(t, 95) ? "GPL" : "Proprietary");
	if (chance(t, 20)) {
		log_size = chance(t, 80) ? 1 + below(t, 65536) : around(t, 4096);
		log = tail_buf(t, 1, log_size);
		a.log_level = chance(t, 80) ? 1 + below(t, 2) : boundary(t);
		a.log_size = log_size;
		a.log_buf = some_ptr(t, log);
	}
	snprintf((char *)a.prog_name, sizeof(a.prog_name), "fz%u", t->id);
	if (chance(t, 3))
		a.prog_flags = 1u << below(t, 32);
	if (chance(t, 3))
		a.kern_version = boundary(t);
	if (btf) {
		struct bpfdrv_prog_load_btf_req r = { .size = sizeof(r), .attr_size = sizeof(a), .attr = (uintptr_t)&a };

		a.prog_type = BPFDRV_PROG_TYPE_TRACING;
		a.expected_attach_type = chance(t, 50) ? BPF_TRACE_FENTRY : chance(t, 80) ? BPF_TRACE_FEXIT : BPF_TRACE_RAW_TP;
		a.attach_btf_id = 1 + below(t, 1000);
		r.target.kind = a.expected_attach_type == BPF_TRACE_RAW_TP ? BPFDRV_BTF_TARGET_TRACEPOINT
									   : BPFDRV_BTF_TARGET_FUNC;
		r.target.nr_args = chance(t, 90) ? 1 : below(t, 20);
		snprintf((char *)r.target.name, sizeof(r.target.name), "%s",
			 r.target.kind == BPFDRV_BTF_TARGET_FUNC ? kprobe_sym : "sys_enter");
		if (chance(t, 5))
			r.target.kind = below(t, 4);
		if (chance(t, 5))
			memset(r.target.name, 'a', sizeof(r.target.name));
		if (chance(t, 2))
			r.attr_size = around(t, sizeof(a));
		fd = ioctl_rec(SLOT_PROG_LOAD_BTF, dev_fd, BPFDRV_IOC_PROG_LOAD_BTF, &r);
	} else {
		fd = bpf_cmd(t, BPFDRV_CMD_PROG_LOAD, &a, sizeof(a));
	}
	bump(mutated ? &stats->mutated_loads : &stats->corpus_loads);
	if (fd < 0)
		return -1;
	if (mutated)
		bump(&stats->mutated_ok);
	if (a.prog_type < BPFDRV_PROG_TYPE_MAX)
		bump(&stats->prog_type_ok[a.prog_type]);
	o.fd = fd;
	o.type = a.prog_type;
	o.attach = a.expected_attach_type;
	pool_add(t, o);
	return fd;
}

static void op_test_run(struct thr *t)
{
	struct obj o = pool_pick(t, OBJ_PROG);
	struct bpfdrv_test_run_attr a = { 0 };
	uint32_t in = chance(t, 80) ? 14 + below(t, 128) : around(t, 64);
	uint8_t *data = tail_buf(t, 0, in < 4096 ? in : 4096);
	uint32_t out = chance(t, 80) ? 256 : around(t, 64);

	if (o.fd < 0)
		return;
	for (uint32_t i = 0; i < in && i < 4096; i++)
		data[i] = rnd(t);
	a.prog_fd = o.fd;
	if (o.type == BPFDRV_PROG_TYPE_RAW_TRACEPOINT && chance(t, 80)) {
		a.ctx_size_in = chance(t, 80) ? 8 * (1 + below(t, 12)) : around(t, 8);
		a.ctx_in = some_ptr(t, data);
	} else {
		a.data_size_in = in;
		a.data_in = some_ptr(t, data);
		a.data_size_out = out;
		a.data_out = some_ptr(t, tail_buf(t, 1, out < 4096 ? out : 4096));
	}
	/* Capped: Linux too runs 4G repeats (until a signal), which would outlast the run. */
	a.repeat = chance(t, 90) ? below(t, 4) : around(t, 100) % 2000;
	if (chance(t, 5))
		a.flags = boundary(t);
	if (chance(t, 5))
		a.cpu = around(t, 0);
	if (bpf_cmd(t, BPFDRV_CMD_PROG_TEST_RUN, &a, sizeof(a)) == 0)
		bump(&stats->test_run_ok);
}

/* ---- events, attach, links ---- */

static void op_perf_open(struct thr *t)
{
	struct bpfdrv_perf_event_attr a = { .size = sizeof(a), .sample_period = 1 };
	struct bpfdrv_perf_open_req r = { .size = sizeof(r), .attr_size = sizeof(a), .attr = (uintptr_t)&a };
	struct obj o = { .kind = OBJ_EVENT };
	long fd;

	r.pid = -1;
	r.cpu = below(t, nr_cpus);
	r.group_fd = -1;
	r.flags = chance(t, 50) ? 8 : 0; /* PERF_FLAG_FD_CLOEXEC */
	switch (below(t, 6)) {
	case 0:
		r.kind = BPFDRV_PERF_KIND_KPROBE;
		a.config = chance(t, 20) ? BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE : 0;
		if (chance(t, 80)) {
			a.config1 = (uintptr_t)kprobe_sym;
			a.config2 = chance(t, 80) ? 0 : below(t, 16);
		} else {
			a.config2 = kprobe_addr + (chance(t, 50) ? 0 : below(t, 16));
		}
		break;
	case 1:
		r.kind = BPFDRV_PERF_KIND_UPROBE;
		a.config = chance(t, 20) ? BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE : 0;
		a.config1 = (uintptr_t)self_path;
		a.config2 = uprobe_offset;
		r.pid = chance(t, 50) ? -1 : getpid();
		if (r.pid == -1)
			r.cpu = below(t, nr_cpus);
		break;
	case 2:
	case 3:
		a.type_ = BPFDRV_PERF_TYPE_TRACEPOINT;
		a.config = tp_ids[below(t, 2)];
		if (chance(t, 10))
			a.config = chance(t, 50) ? BPFDRV_SYNTH_TP_ID_BASE + below(t, 1024) : (uint64_t)boundary(t);
		break;
	case 4:
		a.type_ = BPFDRV_PERF_TYPE_SOFTWARE;
		a.config = BPFDRV_PERF_COUNT_SW_BPF_OUTPUT;
		a.sample_type = BPFDRV_PERF_SAMPLE_RAW;
		a.wakeup_events = 1;
		o.kind = OBJ_RING;
		break;
	default:
		a.type_ = BPFDRV_PERF_TYPE_SOFTWARE;
		a.config = chance(t, 50) ? BPFDRV_PERF_COUNT_SW_CPU_CLOCK : BPFDRV_PERF_COUNT_SW_TASK_CLOCK;
		/*
		 * 1 ms, or 100 Hz; 1 MHz and a period with bit 63 set must be refused as
		 * perf_event_open refuses them. Before the module refused them, two smoke runs
		 * with 1 MHz requests stalled RCU for good under TCG (suspected: a program run
		 * at every 10 us hrtimer tick, perf's floor).
		 */
		switch (below(t, 20)) {
		case 0:
			a.sample_period = 1000000;
			a.flags = BPFDRV_PERF_ATTR_FLAG_FREQ;
			break;
		case 1:
			a.sample_period = 1ULL << 63 | 1000000;
			break;
		default:
			a.sample_period = chance(t, 70) ? 1000000 : 100;
			a.flags = a.sample_period == 100 ? BPFDRV_PERF_ATTR_FLAG_FREQ : 0;
		}
	}
	if (chance(t, 20))
		a.flags |= BPFDRV_PERF_ATTR_FLAG_DISABLED;
	if (chance(t, 8)) {
		switch (below(t, 6)) {
		case 0:
			r.attr_size = around(t, sizeof(a));
			break;
		case 1:
			r.pid = around(t, 0);
			break;
		case 2:
			r.cpu = around(t, 0);
			break;
		case 3:
			r.kind = around(t, 2);
			break;
		case 4:
			a.config1 = some_ptr(t, NULL);
			break;
		default:
			r.reserved = 1;
		}
	}
	if (chance(t, 2))
		r.attr = some_ptr(t, NULL);
	fd = ioctl_rec(SLOT_PERF_OPEN, dev_fd, BPFDRV_IOC_PERF_OPEN, &r);
	if (fd < 0)
		return;
	o.fd = fd;
	o.type = r.kind;
	pool_add(t, o);
}

static void op_event_ioctl(struct thr *t)
{
	static const unsigned long reqs[] = { PERF_EVENT_IOC_SET_BPF, PERF_EVENT_IOC_SET_BPF,
					      PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_DISABLE,
					      PERF_EVENT_IOC_RESET, PERF_EVENT_IOC_REFRESH };
	int fd = some_fd(t, chance(t, 90) ? OBJ_EVENT : OBJ_RING);
	unsigned long req = reqs[below(t, ARRAY_SIZE(reqs))];
	long arg = req == PERF_EVENT_IOC_SET_BPF ? some_fd(t, OBJ_PROG) : 0;
	long ret;

	start_call();
	ret = ioctl(fd, req, arg);
	record(SLOT_EVENT_IOCTL, ret);
	if (ret == 0 && req == PERF_EVENT_IOC_SET_BPF)
		bump(&stats->attached);
}

static void op_attach(struct thr *t)
{
	struct obj p = pool_pick(t, OBJ_PROG);
	struct obj o = { .kind = OBJ_LINK };
	long fd;

	if (p.fd < 0)
		return;
	if (p.type == BPFDRV_PROG_TYPE_RAW_TRACEPOINT || (p.type == BPFDRV_PROG_TYPE_TRACING && chance(t, 50))) {
		struct bpfdrv_raw_tp_open_attr a = { .prog_fd = p.fd };
		const char *name = raw_tp_names[below(t, ARRAY_SIZE(raw_tp_names))];

		if (p.type == BPFDRV_PROG_TYPE_RAW_TRACEPOINT || chance(t, 20))
			a.name = some_ptr(t, (void *)name);
		fd = bpf_cmd(t, BPFDRV_CMD_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
	} else {
		struct bpfdrv_link_create_attr a = { .prog_fd = p.fd };

		if (p.type == BPFDRV_PROG_TYPE_TRACING) {
			a.attach_type = p.attach;
		} else {
			a.attach_type = BPFDRV_ATTACH_PERF_EVENT;
			a.target_fd = some_fd(t, OBJ_EVENT);
			a.bpf_cookie = rnd(t);
		}
		if (chance(t, 5))
			a.attach_type = around(t, a.attach_type);
		if (chance(t, 5))
			a.flags = boundary(t);
		fd = bpf_cmd(t, BPFDRV_CMD_LINK_CREATE, &a, sizeof(a));
	}
	if (fd < 0)
		return;
	bump(&stats->attached);
	o.fd = fd;
	o.type = p.type;
	pool_add(t, o);
}

static void op_link(struct thr *t)
{
	struct obj l = pool_pick(t, OBJ_LINK);

	if (l.fd < 0)
		return;
	if (chance(t, 60)) {
		struct bpfdrv_link_update_attr a = { .link_fd = l.fd, .new_prog_fd = some_fd(t, OBJ_PROG) };

		if (chance(t, 30)) {
			a.flags = BPFDRV_F_REPLACE;
			a.old_prog_fd = some_fd(t, OBJ_PROG);
		}
		bpf_cmd(t, BPFDRV_CMD_LINK_UPDATE, &a, sizeof(a));
	} else {
		struct bpfdrv_link_detach_attr a = { .link_fd = l.fd };

		bpf_cmd(t, BPFDRV_CMD_LINK_DETACH, &a, sizeof(a));
	}
}

/* BPF_PROG_BIND_MAP: a pool map onto a pool program; now and then flags or a wrong fd. */
static void op_bind_map(struct thr *t)
{
	struct bpfdrv_prog_bind_map_attr a = {
		.prog_fd = some_fd(t, chance(t, 90) ? OBJ_PROG : -1),
		.map_fd = some_fd(t, chance(t, 90) ? OBJ_MAP : -1),
		.flags = chance(t, 5) ? 1u << below(t, 32) : 0,
	};

	bpf_cmd(t, BPFDRV_CMD_PROG_BIND_MAP, &a, sizeof(a));
}

/* ---- ids, info, pins, btf ---- */

static void op_ids(struct thr *t)
{
	static const uint32_t next[] = { BPFDRV_CMD_PROG_GET_NEXT_ID, BPFDRV_CMD_MAP_GET_NEXT_ID,
					 BPFDRV_CMD_LINK_GET_NEXT_ID, BPFDRV_CMD_BTF_GET_NEXT_ID };
	static const uint32_t by_id[] = { BPFDRV_CMD_PROG_GET_FD_BY_ID, BPFDRV_CMD_MAP_GET_FD_BY_ID,
					  BPFDRV_CMD_LINK_GET_FD_BY_ID, BPFDRV_CMD_BTF_GET_FD_BY_ID };
	static const enum obj_kind kinds[] = { OBJ_PROG, OBJ_MAP, OBJ_LINK, OBJ_BTF };
	int k = below(t, 4);
	struct bpfdrv_get_id_attr a = { .id = chance(t, 60) ? 0 : below(t, 64) };
	struct obj o = { .kind = kinds[k] };
	uint32_t next_id;
	long fd;

	if (bpf_cmd(t, next[k], &a, sizeof(a)) < 0 && chance(t, 70))
		return;
	next_id = a.next_id;
	memset(&a, 0, sizeof(a));
	a.id = chance(t, 90) ? next_id : around(t, next_id);
	if (by_id[k] == BPFDRV_CMD_MAP_GET_FD_BY_ID && chance(t, 30))
		a.open_flags = chance(t, 70) ? (chance(t, 50) ? BPFDRV_F_RDONLY : BPFDRV_F_WRONLY) : boundary(t);
	fd = bpf_cmd(t, by_id[k], &a, sizeof(a));
	if (fd < 0)
		return;
	o.fd = fd;
	o.type = UINT32_MAX; /* unknown: ops on it use boundary sizes */
	if (o.kind == OBJ_MAP) {
		struct bpfdrv_map_info info = { 0 };
		struct bpfdrv_info_attr ia = { .bpf_fd = fd, .info_len = sizeof(info), .info = (uintptr_t)&info };
		struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_OBJ_GET_INFO_BY_FD,
					    .attr = (uintptr_t)&ia, .attr_size = sizeof(ia) };

		if (ioctl_rec(BPFDRV_CMD_OBJ_GET_INFO_BY_FD, dev_fd, BPFDRV_IOC_BPF, &r) == 0) {
			o.type = info.type_;
			o.key = info.key_size;
			o.value = info.value_size;
			o.entries = info.max_entries;
			o.flags = info.map_flags;
		}
	}
	pool_add(t, o);
}

static void op_info(struct thr *t)
{
	static const uint32_t lens[] = { 0, 1, 4, 8, sizeof(struct bpfdrv_map_info),
					 sizeof(struct bpfdrv_prog_info), sizeof(struct bpfdrv_btf_info),
					 sizeof(struct bpfdrv_link_info), 4096 };
	struct obj o = pool_pick(t, -1);
	uint32_t len = chance(t, 80) ? lens[below(t, ARRAY_SIZE(lens))] : around(t, 64);

	if (chance(t, 10)) {
		/* Run times are measured while a stats fd lives in the pool. */
		struct bpfdrv_enable_stats_attr s = {
			.type_ = chance(t, 90) ? BPFDRV_STATS_RUN_TIME : below(t, 4),
		};
		long fd = bpf_cmd(t, BPFDRV_CMD_ENABLE_STATS, &s, sizeof(s));

		if (fd >= 0)
			pool_add(t, (struct obj){ .fd = fd, .kind = OBJ_OTHER, .type = UINT32_MAX });
		return;
	}
	struct bpfdrv_info_attr a = { .bpf_fd = o.fd >= 0 && chance(t, 95) ? o.fd : some_fd(t, -1), .info_len = len };
	uint8_t *info = tail_buf(t, 1, len);

	if (len <= 4096)
		memset(info, 0, len);
	if (o.kind == OBJ_PROG && len >= sizeof(struct bpfdrv_prog_info) && chance(t, 50)) {
		struct bpfdrv_prog_info *pi = (void *)info;
		uint32_t n = below(t, 300);

		/* Ask for the instructions and map ids too, into buffers of odd sizes. */
		pi->xlated_prog_len = n;
		pi->xlated_prog_insns = some_ptr(t, tail_buf(t, 0, n));
		pi->nr_map_ids = below(t, 8);
		pi->map_ids = some_ptr(t, tail_buf(t, 0, 4 * pi->nr_map_ids));
	}
	a.info = some_ptr(t, info);
	bpf_cmd(t, BPFDRV_CMD_OBJ_GET_INFO_BY_FD, &a, sizeof(a));
}

static void pin_path(struct thr *t, char *buf, size_t len)
{
	if (chance(t, 90))
		snprintf(buf, len, "/sys/fs/bpf/fz%u", below(t, PIN_SLOTS));
	else
		snprintf(buf, len, "%s", pin_bad_paths[below(t, ARRAY_SIZE(pin_bad_paths))]);
}

static void op_pin(struct thr *t)
{
	char path[64];
	struct bpfdrv_obj_pin_attr a = { 0 };
	long fd;

	pin_path(t, path, sizeof(path));
	a.pathname = some_ptr(t, path);
	switch (below(t, 3)) {
	case 0:
		a.bpf_fd = some_fd(t, chance(t, 50) ? OBJ_MAP : OBJ_PROG);
		bpf_cmd(t, BPFDRV_CMD_OBJ_PIN, &a, sizeof(a));
		break;
	case 1:
		a.file_flags = chance(t, 80) ? 0 : chance(t, 50) ? BPFDRV_F_RDONLY : (uint32_t)boundary(t);
		fd = bpf_cmd(t, BPFDRV_CMD_OBJ_GET, &a, sizeof(a));
		if (fd >= 0)
			pool_add(t, (struct obj){ .fd = fd, .kind = OBJ_OTHER, .type = UINT32_MAX });
		break;
	default: {
		struct bpfdrv_unpin_req r = { .size = sizeof(r), .pathname = a.pathname };

		if (chance(t, 3))
			r.reserved = 1;
		ioctl_rec(SLOT_UNPIN, dev_fd, BPFDRV_IOC_UNPIN, &r);
	}
	}
}

/* Every pin the run may have left: the module would otherwise stay busy. */
static void unpin_all(void)
{
	char path[64];

	for (int i = 0; i < PIN_SLOTS + (int)ARRAY_SIZE(pin_bad_paths); i++) {
		struct bpfdrv_unpin_req r = { .size = sizeof(r), .pathname = (uintptr_t)path };

		if (i < PIN_SLOTS)
			snprintf(path, sizeof(path), "/sys/fs/bpf/fz%d", i);
		else
			snprintf(path, sizeof(path), "%s", pin_bad_paths[i - PIN_SLOTS]);
		ioctl(dev_fd, BPFDRV_IOC_UNPIN, &r);
	}
}

/* A one-type BTF blob (int, 32 bits), or that blob with a byte changed. */
static void op_btf(struct thr *t)
{
	struct {
		struct btf_header h;
		struct btf_type ty;
		uint32_t enc;
		char strs[5];
	} blob = {
		.h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(struct btf_header),
		       .type_off = 0, .type_len = sizeof(struct btf_type) + 4,
		       .str_off = sizeof(struct btf_type) + 4, .str_len = 5 },
		.ty = { .name_off = 1, .info = BTF_KIND_INT << 24, .size = 4 },
		.enc = 32,
		.strs = "\0int",
	};
	struct bpfdrv_btf_load_attr a = { 0 };
	uint32_t size = offsetof(typeof(blob), strs) + sizeof(blob.strs); /* no tail padding */
	uint8_t *b = tail_buf(t, 0, size);
	long fd;

	memcpy(b, &blob, size);
	if (chance(t, 40))
		b[below(t, size)] = rnd(t);
	if (chance(t, 10))
		size = around(t, size);
	a.btf = some_ptr(t, b);
	a.btf_size = size;
	if (chance(t, 20)) {
		a.btf_log_size = chance(t, 80) ? 1 + below(t, 4096) : around(t, 256);
		a.btf_log_buf = some_ptr(t, tail_buf(t, 1, a.btf_log_size));
		a.btf_log_level = 1;
	}
	fd = bpf_cmd(t, BPFDRV_CMD_BTF_LOAD, &a, sizeof(a));
	if (fd >= 0)
		pool_add(t, (struct obj){ .fd = fd, .kind = OBJ_BTF });
}

/* ---- raw requests ---- */

/* Command @cmd with random attr bytes and a random attr size. */
static void raw_bpf_cmd(struct thr *t, uint32_t cmd)
{
	uint8_t attr[BPFDRV_ATTR_SIZE];

	for (size_t i = 0; i < sizeof(attr); i++)
		attr[i] = chance(t, 70) ? 0 : rnd(t);
	bpf_cmd(t, cmd, attr, 8 * below(t, BPFDRV_ATTR_SIZE / 8 + 1));
}

/*
 * Every command number once, first thing in each worker: the commands no other op
 * issues (TASK_FD_QUERY, PROG_QUERY, ITER_CREATE, ...) are reached in every run,
 * however few calls a slow guest gets through.
 */
static void sweep_commands(struct thr *t)
{
	for (uint32_t cmd = 0; cmd < NR_BPF_CMDS + 4; cmd++)
		raw_bpf_cmd(t, cmd);
}

/* Any bpf command number with random attr bytes, and ioctls the module does not know. */
static void op_raw(struct thr *t)
{
	if (chance(t, 80)) {
		raw_bpf_cmd(t, chance(t, 80) ? below(t, NR_BPF_CMDS + 4) : (uint32_t)rnd(t));
	} else {
		unsigned long req = chance(t, 50) ? _IOWR(BPFDRV_IOC_MAGIC, below(t, 16), uint64_t[4]) : rnd(t);
		uint64_t buf[64] = { 0 };

		buf[0] = below(t, 300);
		ioctl_rec(SLOT_BAD_IOCTL, dev_fd, req, buf);
	}
}

/* A second /dev/bpfdrv session: requests before and with a wrong handshake. */
static void op_session(struct thr *t)
{
	struct bpfdrv_hello h = { .size = sizeof(h), .version = BPFDRV_PROTOCOL_VERSION };
	struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_MAP_GET_NEXT_ID };
	struct bpfdrv_get_id_attr a = { 0 };
	int fd = open(DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	r.attr = (uintptr_t)&a;
	r.attr_size = sizeof(a);
	if (chance(t, 50))
		ioctl_rec(BPFDRV_CMD_MAP_GET_NEXT_ID, fd, BPFDRV_IOC_BPF, &r);
	if (chance(t, 30))
		h.version = around(t, h.version);
	if (chance(t, 10))
		h.size = around(t, h.size);
	ioctl_rec(SLOT_HELLO, fd, BPFDRV_IOC_HELLO, &h);
	ioctl_rec(BPFDRV_CMD_MAP_GET_NEXT_ID, fd, BPFDRV_IOC_BPF, &r);
	close(fd);
}

/* ---- fd lifetimes ---- */

static void op_close(struct thr *t)
{
	int i = below(t, POOL_SIZE), fd;

	lock_pool();
	fd = pool[i].fd;
	pool[i].fd = -1;
	unlock_pool();
	if (fd > 2) {
		start_call();
		record(SLOT_CLOSE, close(fd));
	}
}

static void op_dup(struct thr *t)
{
	struct obj o = pool_pick(t, -1);
	int fd;

	if (o.fd < 0)
		return;
	fd = dup(o.fd);
	record(SLOT_DUP, fd);
	if (fd >= 0)
		pool_add(t, (struct obj){ .fd = fd, .kind = o.kind, .type = o.type, .key = o.key,
					  .value = o.value, .entries = o.entries, .flags = o.flags,
					  .attach = o.attach });
}

static void run_ops(struct thr *t, long n);

/* A child that inherits every fd, works on them briefly, then exits or is killed. */
static void op_fork(struct thr *t)
{
	pid_t pid = fork();

	record(SLOT_FORK, pid);
	if (pid < 0)
		return;
	if (pid == 0) {
		/* Another thread may have held it at fork time. */
		pthread_mutex_init(&pool_lock, NULL);
		t->rng ^= getpid();
		run_ops(t, 50 + below(t, 200));
		_exit(0);
	}
	if (chance(t, 50)) {
		usleep(below(t, 5000));
		if (kill(pid, SIGKILL) == 0)
			bump(&stats->children_killed);
	}
	waitpid(pid, NULL, 0);
}

/* RLIMIT_NOFILE at the next free fd for a few calls: creations fail with EMFILE. */
static void op_emfile(struct thr *t)
{
	struct rlimit old, low;
	int fd = dup(0);

	if (fd < 0 || getrlimit(RLIMIT_NOFILE, &old))
		return;
	close(fd);
	low = old;
	low.rlim_cur = fd + below(t, 2);
	record(SLOT_EMFILE, setrlimit(RLIMIT_NOFILE, &low));
	run_ops(t, 5 + below(t, 20));
	setrlimit(RLIMIT_NOFILE, &old);
}

/* ---- the loop ---- */

struct op {
	void (*fn)(struct thr *t);
	int weight;
};

static void op_load_corpus(struct thr *t)
{
	load_prog(t, 0, chance(t, 10));
}

static void op_load_mutated(struct thr *t)
{
	load_prog(t, 1, chance(t, 5));
}

static const struct op ops[] = {
	{ op_map_create, 8 }, { op_map_elem, 30 }, { op_map_batch, 6 }, { op_mmap, 4 },
	{ op_load_corpus, 6 }, { op_load_mutated, 14 }, { op_test_run, 6 }, { op_perf_open, 5 },
	{ op_event_ioctl, 4 }, { op_attach, 5 }, { op_link, 2 }, { op_ids, 4 }, { op_info, 5 },
	{ op_pin, 2 }, { op_btf, 2 }, { op_raw, 3 }, { op_session, 1 }, { op_close, 6 },
	{ op_dup, 2 }, { op_bind_map, 1 },
};

static void run_ops(struct thr *t, long n)
{
	static int total;
	int i;

	if (!total)
		for (i = 0; i < (int)(ARRAY_SIZE(ops)); i++)
			total += ops[i].weight;
	while (n-- && now() < deadline) {
		int w = below(t, total + 2);

		if (w == total) {
			if (chance(t, 20))
				op_fork(t);
			continue;
		}
		if (w == total + 1) {
			if (chance(t, 10))
				op_emfile(t);
			continue;
		}
		for (i = 0; w >= ops[i].weight; i++)
			w -= ops[i].weight;
		ops[i].fn(t);
	}
}

static void on_fault(int sig)
{
	struct thr *t = self_thr;

	(void)sig;
	if (!t || !__atomic_load_n(&t->in_touch, __ATOMIC_SEQ_CST))
		abort();
	bump(&stats->faults);
	siglongjmp(t->fault_jmp, 1);
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;

	self_thr = t;
	run_ops(t, -1);
	return NULL;
}

static struct thr *new_thread(uint64_t seed, int id)
{
	struct thr *t = calloc(1, sizeof(*t));
	long page = sysconf(_SC_PAGESIZE);

	if (!t)
		exit(2);
	t->id = id;
	t->rng = seed * 0x9e3779b97f4a7c15ULL + id + 1;
	for (int i = 0; i < NR_ARENAS; i++) {
		uint8_t *m = mmap(NULL, ARENA_SIZE + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED || mprotect(m + ARENA_SIZE, page, PROT_NONE))
			exit(2);
		t->arena[i] = m;
	}
	return t;
}

/* ---- setup ---- */

static int fixture_map(uint32_t type, uint32_t key, uint32_t value, uint32_t entries, uint32_t flags)
{
	struct bpfdrv_map_create_attr a = { .map_type = type, .key_size = key, .value_size = value,
					    .max_entries = entries, .map_flags = flags };
	struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_MAP_CREATE, .attr = (uintptr_t)&a,
				    .attr_size = sizeof(a) };
	int fd = ioctl(dev_fd, BPFDRV_IOC_BPF, &r);

	if (fd < 0) {
		fprintf(stderr, "fixture map type %u: %s\n", type, strerror(errno));
		exit(2);
	}
	return fd;
}

static void make_fixtures(void)
{
	fx.hits = fixture_map(BPFDRV_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	fx.hash = fixture_map(BPFDRV_MAP_TYPE_HASH, 8, 8, 1024, 0);
	fx.perf_array = fixture_map(BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, nr_cpus, 0);
	fx.ringbuf = fixture_map(BPFDRV_MAP_TYPE_RINGBUF, 0, 0, 4 << 12, 0);
	fx.prog_array = fixture_map(BPFDRV_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	fx.queue = fixture_map(BPFDRV_MAP_TYPE_QUEUE, 0, 8, 64, 0);
	fx.stack_trace = fixture_map(BPFDRV_MAP_TYPE_STACK_TRACE, 4, 8 * 16, 64, 0);
}

/*
 * How often a program ran (the module counts runs always). The sentinel's hits come from
 * here, not from its counter map: fuzzed programs reach that map by id and write into it.
 */
static unsigned long prog_run_cnt(int prog_fd)
{
	struct bpfdrv_prog_info info = { 0 };
	struct bpfdrv_info_attr a = { .bpf_fd = prog_fd, .info_len = sizeof(info), .info = (uintptr_t)&info };
	struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_OBJ_GET_INFO_BY_FD, .attr = (uintptr_t)&a,
				    .attr_size = sizeof(a) };

	return ioctl(dev_fd, BPFDRV_IOC_BPF, &r) == 0 ? info.run_cnt : 0;
}

static int open_device(void)
{
	struct bpfdrv_hello h = { .size = sizeof(h), .version = BPFDRV_PROTOCOL_VERSION };
	int fd = open(DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, BPFDRV_IOC_HELLO, &h)) {
		fprintf(stderr, "%s: %s\n", DEVICE, strerror(errno));
		exit(2);
	}
	record(SLOT_HELLO, 0);
	return fd;
}

/* A user function the workload calls: the uprobe target. */
int uprobe_target(int x)
{
	return x + 1;
}

/* Called through this (global, so not provably constant): the call is never inlined. */
int (*uprobe_fire)(int) = uprobe_target;

static void find_targets(void)
{
	static const char *const syms[] = { "__x64_sys_getppid", "sys_getppid" };
	/* tracefs, or debugfs's tracing/ (before 4.1): the same event under two roots. */
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	static const char *const events[] = { "syscalls/sys_enter_getppid", "syscalls/sys_exit_getppid" };
	char line[512], name[256];
	unsigned long long addr, start, end, off;
	FILE *f;
	int n = 0;

	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f) && !kprobe_addr) {
		char type;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		for (int i = 0; i < 2; i++)
			if (!strcmp(name, syms[i])) {
				snprintf(kprobe_sym, sizeof(kprobe_sym), "%s", syms[i]);
				kprobe_addr = addr;
			}
	}
	if (f)
		fclose(f);
	for (int e = 0; e < 2; e++)
		for (int r = 0; r < 2 && n == e; r++) {
			snprintf(line, sizeof(line), "%s/events/%s/id", roots[r], events[e]);
			f = fopen(line, "r");
			if (f && fscanf(f, "%ld", &tp_ids[n]) == 1)
				n++;
			if (f)
				fclose(f);
		}
	if (readlink("/proc/self/exe", self_path, sizeof(self_path) - 1) < 0)
		self_path[0] = 0;
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		uintptr_t fn = (uintptr_t)uprobe_target;

		if (sscanf(line, "%llx-%llx %*s %llx", &start, &end, &off) == 3 && fn >= start && fn < end)
			uprobe_offset = fn - start + off;
	}
	if (f)
		fclose(f);
	printf("TARGETS kprobe=%s tracepoints=%ld,%ld uprobe=%s+0x%llx\n", kprobe_sym, tp_ids[0], tp_ids[1],
	       self_path, (unsigned long long)uprobe_offset);
}

/* Fires the probes: the kprobe'd and traced syscall, the uprobe'd function. */
static void workload(void)
{
	int x = 0;

	while (!__atomic_load_n(&stats->stop_workload, __ATOMIC_RELAXED)) {
		syscall(SYS_getppid);
		bump(&stats->workload_calls);
		x = uprobe_fire(x);
		if (!(x & 63))
			usleep(100);
	}
}

/* MAP_CREATE of @type with these dimensions: its errno (0: created, and closed again). */
static int create_errno(uint32_t type, uint32_t value_size, uint32_t entries, uint32_t flags)
{
	struct bpfdrv_map_create_attr a = { .map_type = type, .key_size = type == BPFDRV_MAP_TYPE_ARRAY ? 4 : 0,
					    .value_size = value_size, .max_entries = entries, .map_flags = flags };
	struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_MAP_CREATE, .attr = (uintptr_t)&a,
				    .attr_size = sizeof(a) };
	int fd = ioctl(dev_fd, BPFDRV_IOC_BPF, &r);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * UPDATE_BATCH into an mmapable array, then a writable mmap of it: 0, or the errno of
 * the step that failed. Batch writes held the map's freeze_mutex while they copied from
 * user memory (a fault there takes mmap_lock) and mmap takes freeze_mutex under
 * mmap_lock: lockdep reported the inversion (a deadlock when the copy faults while
 * another thread maps the map) in the first minute of a debug-kernel run.
 */
static int batch_write_then_mmap(void)
{
	uint32_t keys[4] = { 0, 1, 2, 3 };
	uint64_t values[4] = { 1, 2, 3, 4 };
	struct bpfdrv_map_create_attr c = { .map_type = BPFDRV_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8,
					    .max_entries = 4, .map_flags = BPFDRV_F_MMAPABLE };
	struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_MAP_CREATE, .attr = (uintptr_t)&c,
				    .attr_size = sizeof(c) };
	int fd = ioctl(dev_fd, BPFDRV_IOC_BPF, &r), err = 0;
	struct bpfdrv_map_batch_attr b = { .keys = (uintptr_t)keys, .values = (uintptr_t)values, .count = 4,
					   .map_fd = fd };
	void *p;

	if (fd < 0)
		return errno;
	r.cmd = BPFDRV_CMD_MAP_UPDATE_BATCH;
	r.attr = (uintptr_t)&b;
	r.attr_size = sizeof(b);
	if (ioctl(dev_fd, BPFDRV_IOC_BPF, &r))
		err = errno;
	p = err ? MAP_FAILED : mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!err && p == MAP_FAILED)
		err = errno;
	else if (!err && ((uint64_t *)p)[3] != 4)
		err = EIO;
	if (p != MAP_FAILED)
		munmap(p, getpagesize());
	close(fd);
	return err;
}

/*
 * Calls that once hurt the kernel, run before the fuzzing: each prints its errno (0:
 * succeeded) as "REGRESSION <name> errno=E"; the kernel log must stay clean.
 */
static void regressions(void)
{
	/*
	 * Maps larger than the machine (2 GiB in the 1 GiB guest): the module allocated
	 * their storage with vmalloc_user() (mmapable arrays) and, on kernels before 4.12,
	 * vzalloc() (queues, and everything else sized by the caller), which print an
	 * allocation-failure splat with a stack trace; below the machine's size the same
	 * allocations (kvzalloc() without __GFP_RETRY_MAYFAIL) ran the OOM killer. Linux
	 * fails such creations quietly with ENOMEM.
	 */
	printf("REGRESSION array_2GiB errno=%d\n", create_errno(BPFDRV_MAP_TYPE_ARRAY, 8, 1u << 28, BPFDRV_F_MMAPABLE));
	printf("REGRESSION queue_2GiB errno=%d\n", create_errno(BPFDRV_MAP_TYPE_QUEUE, 8, (1u << 28) - 1, 0));
	printf("REGRESSION batch_write_then_mmap errno=%d\n", batch_write_then_mmap());
}

/*
 * The probe the run keeps: the corpus's counter program on the workload's kprobe; its
 * hits are the program's run count (prog_run_cnt). Workers may reach the program by id
 * and attach it to more events, so the count is not bounded by the workload's calls.
 */
struct sentinel {
	int map, prog, event;
};

static struct sentinel sentinel = { -1, -1, -1 };

static void attach_sentinel(void)
{
	struct fixtures f = { .hits = fixture_map(BPFDRV_MAP_TYPE_ARRAY, 4, 8, 1, BPFDRV_F_RDONLY) };
	struct bpfdrv_insn insns[PROG_ROOM];
	struct bpfdrv_prog_load_attr pa = { .prog_type = BPFDRV_PROG_TYPE_KPROBE, .insns = (uintptr_t)insns,
					    .license = (uintptr_t)"GPL" };
	struct bpfdrv_bpf_req r = { .size = sizeof(r), .cmd = BPFDRV_CMD_PROG_LOAD, .attr = (uintptr_t)&pa,
				    .attr_size = sizeof(pa) };
	struct bpfdrv_perf_event_attr ea = { .size = sizeof(ea), .config1 = (uintptr_t)kprobe_sym };
	struct bpfdrv_perf_open_req er = { .size = sizeof(er), .attr_size = sizeof(ea), .attr = (uintptr_t)&ea,
					   .pid = -1, .cpu = 0, .group_fd = -1, .kind = BPFDRV_PERF_KIND_KPROBE };

	sentinel.map = f.hits;
	pa.insn_cnt = prog_counter(insns, &f);
	sentinel.prog = ioctl(dev_fd, BPFDRV_IOC_BPF, &r);
	sentinel.event = ioctl(dev_fd, BPFDRV_IOC_PERF_OPEN, &er);
	if (sentinel.prog < 0 || sentinel.event < 0 || ioctl(sentinel.event, PERF_EVENT_IOC_SET_BPF, sentinel.prog))
		printf("SENTINEL not attached (prog %d, event %d): %s\n", sentinel.prog, sentinel.event, strerror(errno));
}

static void close_sentinel(void)
{
	close(sentinel.event);
	close(sentinel.prog);
	close(sentinel.map);
}

static void worker(uint64_t seed, int proc, int threads)
{
	pthread_t tid[MAX_THREADS];
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (int i = 0; i < POOL_SIZE; i++)
		pool[i].fd = -1;
	close_sentinel();
	close(dev_fd);
	dev_fd = open_device();
	make_fixtures();
	for (int i = 1; i < threads; i++)
		pthread_create(&tid[i], NULL, thread_main, new_thread(seed, proc * MAX_THREADS + i));
	self_thr = new_thread(seed, proc * MAX_THREADS);
	sweep_commands(self_thr);
	thread_main(self_thr);
	for (int i = 1; i < threads; i++)
		pthread_join(tid[i], NULL);
	unpin_all();
	exit(0);
}

static void print_stats(double secs)
{
	unsigned long calls = 0, ok = 0;

	for (int s = 0; s < NR_SLOTS; s++) {
		struct counter *c = &stats->slot[s];

		printf("C %s calls=%lu ok=%lu ms=%lu errnos=", slot_names[s] ? slot_names[s] : "?", c->calls, c->ok,
		       c->usec / 1000);
		for (int e = 0, first = 1; e < MAX_ERRNO; e++)
			if (c->err[e]) {
				printf("%s%d:%lu", first ? "" : ",", e, c->err[e]);
				first = 0;
			}
		printf("\n");
		calls += c->calls;
		ok += c->ok;
	}
	for (int i = 0; i < BPFDRV_MAP_TYPE_MAX; i++)
		if (stats->map_type_ok[i])
			printf("MAPTYPE %d ok=%lu\n", i, stats->map_type_ok[i]);
	for (int i = 0; i < BPFDRV_PROG_TYPE_MAX; i++)
		if (stats->prog_type_ok[i])
			printf("PROGTYPE %d ok=%lu\n", i, stats->prog_type_ok[i]);
	printf("S calls=%lu\nS ok=%lu\nS seconds=%.1f\nS calls_per_sec=%.0f\n", calls, ok, secs, calls / secs);
	printf("S corpus_loads=%lu\nS mutated_loads=%lu\nS mutated_ok=%lu\nS test_run_ok=%lu\n",
	       stats->corpus_loads, stats->mutated_loads, stats->mutated_ok, stats->test_run_ok);
	printf("S workload_calls=%lu\nS spared_calls=%lu\n", stats->workload_calls, stats->spared_calls);
	printf("S attached=%lu\nS probe_hits=%lu\nS mmap_touched=%lu\nS faults=%lu\nS children_killed=%lu\n",
	       stats->attached, stats->probe_hits, stats->mmap_touched, stats->faults, stats->children_killed);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	int procs = argc > 3 ? atoi(argv[3]) : 2, threads = argc > 4 ? atoi(argv[4]) : 2;
	pid_t pids[MAX_PROCS], load;
	double start = now();
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (procs < 1 || procs > MAX_PROCS || threads < 1 || threads > MAX_THREADS) {
		fprintf(stderr, "usage: %s SECONDS [SEED [PROCS<=%d [THREADS<=%d]]]\n", argv[0], MAX_PROCS, MAX_THREADS);
		return 2;
	}
	printf("SEED %llu\n", (unsigned long long)seed);
	stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stats == MAP_FAILED)
		return 2;
	nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	/* What the run aims to create, for the test's coverage check. */
	for (int i = 0; i < NR_MAP_KINDS; i++)
		printf("KIND map %u\n", map_kinds[i].type);
	for (int i = 0; i < NR_PROG_TYPES; i++)
		printf("KIND prog %u\n", prog_types[i]);
	printf("KIND prog %u\n", BPFDRV_PROG_TYPE_TRACING);
	find_targets();
	dev_fd = open_device();
	regressions();
	attach_sentinel();
	deadline = start + secs;
	load = fork();
	if (load == 0) {
		workload();
		_exit(0);
	}
	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] == 0)
			worker(seed, p, threads);
	}
	for (int p = 0; p < procs; p++) {
		int status;

		waitpid(pids[p], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "worker %d ended with status 0x%x\n", p, status);
			failed = 1;
		}
	}
	__atomic_store_n(&stats->stop_workload, 1, __ATOMIC_RELAXED);
	waitpid(load, NULL, 0);
	stats->probe_hits = prog_run_cnt(sentinel.prog);
	close_sentinel();
	close(dev_fd);
	print_stats(now() - start);
	return failed;
}
