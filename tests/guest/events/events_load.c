// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and trigger for events.bpf.o, built against Debian's libbpf: the same binary runs
 * natively (stock kernel, the oracle) and under libbpfhook.so + bpfdrv.ko. It triggers the
 * tracepoint itself (getppid on CPU 0) so every count is deterministic, then prints
 * BPFCOMPAT-style "key=value" lines the test compares.
 *
 *   events_load OBJ perf N          perf buffer, 1 page per CPU: burst N, consume, flush 1
 *   events_load OBJ perf-wakeup     raw perf buffer, wakeup_events = 4
 *   events_load OBJ perf-watermark  raw perf buffer, watermark 100 bytes
 *   events_load OBJ rb PROG SIZE N  ring buffer via PROG (rb_out|rb_reserve|rb_discard)
 *   events_load OBJ rb-wakeup       BPF_RB_NO_WAKEUP / default / FORCE_WAKEUP rules
 *   events_load OBJ rb-query        bpf_ringbuf_query after 3 outputs
 *   events_load OBJ rb-layout       mmap rules of the ring buffer map fd
 *   events_load OBJ rb-leak         a program that never submits (driver only: native refuses it)
 *   events_load OBJ storm           both channels, every process, consume until killed
 *   events_load trigger             getppid forever (the event storm)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "events.h"

#define BPF_RB_NO_WAKEUP_ (1ULL << 0)
#define BPF_RB_FORCE_WAKEUP_ (1ULL << 1)

static struct bpf_object *obj;
static int cnt_fd;

/* What the consumer saw. */
static __u64 delivered, lost, last_seq, out_of_order, foreign, odd_seen;

static void die(const char *what, int err)
{
	printf("error=%s:%d\n", what, err);
	fflush(stdout);
	exit(1);
}

static void fire(int n)
{
	while (n-- > 0)
		syscall(SYS_getppid);
}

static struct counters counters(void)
{
	struct counters c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(cnt_fd, &zero, &c))
		die("lookup_cnt", -errno);
	return c;
}

static void set_counters(__u64 tgid, __u64 rb_flags)
{
	struct counters c = counters();
	__u32 zero = 0;

	c.tgid = tgid;
	c.rb_flags = rb_flags;
	if (bpf_map_update_elem(cnt_fd, &zero, &c, BPF_ANY))
		die("update_cnt", -errno);
}

static void see(const struct event *e, size_t size)
{
	if (size < sizeof(*e) || e->tgid != (__u64)getpid()) {
		foreign++;
		return;
	}
	/* Strictly increasing: gaps are losses (perf) or discards, never reordering. */
	if (delivered && e->seq <= last_seq)
		out_of_order++;
	if (e->seq & 1)
		odd_seen++;
	last_seq = e->seq;
	delivered++;
}

static void perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	see(data, size);
}

static void perf_lost(void *ctx, int cpu, __u64 n)
{
	lost += n;
}

static int rb_sample(void *ctx, void *data, size_t size)
{
	see(data, size);
	return 0;
}

/* Open, size the ring buffer, load, attach PROG; sets cnt_fd. */
static struct bpf_link *load(const char *path, const char *prog_name, __u32 rb_size, __u64 tgid)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		die("open", -errno);
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), prog_name));
	if (rb_size && (err = bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "rb"), rb_size)))
		die("set_max_entries", err);
	err = bpf_object__load(obj);
	if (err)
		die("load", err);
	cnt_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "cnt"));
	set_counters(tgid, 0);
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, prog_name));
	if (!link)
		die("attach", -errno);
	return link;
}

static void report(void)
{
	struct counters c = counters();

	printf("produced=%llu\ndrops=%llu\ndelivered=%llu\nlost=%llu\nout_of_order=%llu\n"
	       "foreign=%llu\nodd_seen=%llu\n",
	       (unsigned long long)c.produced, (unsigned long long)c.drops,
	       (unsigned long long)delivered, (unsigned long long)lost,
	       (unsigned long long)out_of_order, (unsigned long long)foreign,
	       (unsigned long long)odd_seen);
	printf("accounted=%s\n", delivered + lost == c.produced ? "yes" : "no");
	printf("last_seq=%llu\n", (unsigned long long)last_seq);
}

static int map_fd(const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(obj, name));
}

static int mode_perf(const char *path, int n)
{
	struct perf_buffer *pb;

	load(path, "perf_out", 0, getpid());
	pb = perf_buffer__new(map_fd("pb"), 1, perf_sample, perf_lost, NULL, NULL);
	if (!pb)
		die("perf_buffer__new", -errno);
	fire(n);
	if (perf_buffer__consume(pb) < 0)
		die("consume", -errno);
	printf("delivered_burst=%llu\n", (unsigned long long)delivered);
	/* perf reports the loss with the next record that fits: one more event. */
	fire(1);
	if (perf_buffer__consume(pb) < 0)
		die("consume", -errno);
	report();
	perf_buffer__free(pb);
	return 0;
}

static int raw_records;

static enum bpf_perf_event_ret raw_event(void *ctx, int cpu, struct perf_event_header *h)
{
	if (h->type == PERF_RECORD_SAMPLE)
		raw_records++;
	return LIBBPF_PERF_EVENT_CONT;
}

/* wakeup_events = 4 or a 100-byte watermark: 3 samples (32 bytes each) wake nobody, 4 do. */
static int mode_perf_wakeup(const char *path, int watermark)
{
	struct perf_event_attr attr = {};
	struct perf_buffer *pb;
	int n;

	load(path, "perf_out", 0, getpid());
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	if (watermark) {
		attr.watermark = 1;
		attr.wakeup_watermark = 100;
	} else {
		attr.wakeup_events = 4;
	}
	pb = perf_buffer__new_raw(map_fd("pb"), 4, &attr, raw_event, NULL, NULL);
	if (!pb)
		die("perf_buffer__new_raw", -errno);
	fire(3);
	n = perf_buffer__poll(pb, 300);
	printf("poll_after_3=%d records=%d\n", n, raw_records);
	fire(1);
	n = perf_buffer__poll(pb, 3000);
	printf("poll_after_4=%d records=%d\n", n, raw_records);
	perf_buffer__free(pb);
	return 0;
}

static int mode_rb(const char *path, const char *prog, __u32 size, int n)
{
	struct ring_buffer *rb;

	load(path, prog, size, getpid());
	rb = ring_buffer__new(map_fd("rb"), rb_sample, NULL, NULL);
	if (!rb)
		die("ring_buffer__new", -errno);
	fire(n);
	if (ring_buffer__consume(rb) < 0)
		die("consume", -errno);
	/* A ring buffer drop is only visible to the program: lost = its failed reserves. */
	lost = counters().drops;
	if (!strcmp(prog, "rb_discard"))
		lost += n / 2; /* the odd ones were discarded: accounted, never delivered */
	report();
	ring_buffer__free(rb);
	return 0;
}

/* Drain epoll's level-triggered ready state so the next poll reflects new wakeups only. */
static void settle(struct ring_buffer *rb)
{
	while (ring_buffer__poll(rb, 0) > 0)
		;
}

static int mode_rb_wakeup(const char *path)
{
	struct ring_buffer *rb;
	__u64 me = getpid();

	load(path, "rb_out", 0, me);
	rb = ring_buffer__new(map_fd("rb"), rb_sample, NULL, NULL);
	if (!rb)
		die("ring_buffer__new", -errno);
	/* a: no wakeup asked for: epoll sleeps, the record is there all the same. */
	set_counters(me, BPF_RB_NO_WAKEUP_);
	fire(1);
	printf("no_wakeup_poll=%d\n", ring_buffer__poll(rb, 300));
	printf("no_wakeup_consume=%d\n", ring_buffer__consume(rb));
	settle(rb);
	/* b: default: the consumer caught up, so the record wakes it. */
	set_counters(me, 0);
	fire(1);
	printf("default_poll=%d\n", ring_buffer__poll(rb, 3000));
	settle(rb);
	/* c: default, but an unconsumed record precedes it: no wakeup. */
	set_counters(me, BPF_RB_NO_WAKEUP_);
	fire(1);
	set_counters(me, 0);
	fire(1);
	printf("behind_poll=%d\n", ring_buffer__poll(rb, 300));
	/* d: forced wakeup: everything pending is read. */
	set_counters(me, BPF_RB_FORCE_WAKEUP_);
	fire(1);
	printf("force_poll=%d\n", ring_buffer__poll(rb, 3000));
	report();
	ring_buffer__free(rb);
	return 0;
}

static int mode_rb_query(const char *path)
{
	__u64 v[4];
	__u32 i;
	int qfd;

	load(path, "rb_query", 8192, getpid());
	fire(3);
	qfd = map_fd("query");
	for (i = 0; i < 4; i++)
		if (bpf_map_lookup_elem(qfd, &i, &v[i]))
			die("lookup_query", -errno);
	/* After the 3rd output, queried by the 3rd run: 3 records of 8 + 16 bytes. */
	printf("avail=%llu ring_size=%llu cons=%llu prod=%llu\n", (unsigned long long)v[0],
	       (unsigned long long)v[1], (unsigned long long)v[2], (unsigned long long)v[3]);
	return 0;
}

static const char *mmap_result(void *p)
{
	static char buf[32];

	if (p != MAP_FAILED)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", strerror(errno));
	return buf;
}

/* The kernel's mmap rules for a ring buffer map fd, and the record layout through them. */
static int mode_rb_layout(const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long *cons, *prod;
	__u32 size = 8192;
	int fd, hdr_len, hdr_pgoff;
	void *p;

	load(path, "rb_out", size, getpid());
	fd = map_fd("rb");
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap_rw_two_pages=%s\n", mmap_result(p));
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page);
	printf("mmap_rw_producer=%s\n", mmap_result(p));
	p = mmap(NULL, page + 2 * size + page, PROT_READ, MAP_SHARED, fd, page);
	printf("mmap_ro_too_big=%s\n", mmap_result(p));
	/* Offsets a hostile caller picks: the page just past the area, and far past it. */
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 2 * page + 2 * size);
	printf("mmap_ro_past_end=%s\n", mmap_result(p));
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, (off_t)1 << 40);
	printf("mmap_ro_far_offset=%s\n", mmap_result(p));
	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap_consumer=%s\n", mmap_result(cons));
	prod = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, fd, page);
	printf("mmap_producer_data=%s\n", mmap_result(prod));
	if (cons == MAP_FAILED || prod == MAP_FAILED)
		return 1;
	printf("mprotect_producer_rw=%s\n",
	       mprotect(prod, page, PROT_READ | PROT_WRITE) ? strerror(errno) : "ok");
	fire(1);
	hdr_len = *(volatile int *)((char *)prod + page);
	hdr_pgoff = *(volatile int *)((char *)prod + page + 4);
	printf("cons=%lu prod=%lu hdr_len=0x%x hdr_pg_off=%d\n", *cons, *prod, hdr_len, hdr_pgoff);
	/* The data pages are mapped twice: byte i and byte i + size are the same memory. */
	printf("double_mapped=%s\n",
	       !memcmp((char *)prod + page, (char *)prod + page + size, 24) ? "yes" : "no");
	/* A consumer position user space corrupts only affects this ring (the kernel's arithmetic). */
	*cons = ~0UL;
	fire(1);
	*cons = *prod;
	fire(1);
	printf("after_bad_cons prod=%lu produced=%llu\n", *prod, (unsigned long long)counters().produced);
	return 0;
}

/* A program that never submits its reservation next to rb_out: see events.bpf.c. */
static int mode_rb_leak(const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	struct bpf_program *prog;
	struct ring_buffer *rb;
	unsigned long *cons, *prod;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		die("open", -errno);
	bpf_object__for_each_program(prog, obj) {
		const char *n = bpf_program__name(prog);

		bpf_program__set_autoload(prog, !strcmp(n, "rb_leak") || !strcmp(n, "rb_out"));
	}
	err = bpf_object__load(obj);
	if (err) {
		printf("leak_load=refused\n");
		return 0;
	}
	printf("leak_load=accepted\n");
	cnt_fd = map_fd("cnt");
	set_counters(getpid(), 0);
	if (!bpf_program__attach(bpf_object__find_program_by_name(obj, "rb_leak")) ||
	    !bpf_program__attach(bpf_object__find_program_by_name(obj, "rb_out")))
		die("attach", -errno);
	rb = ring_buffer__new(map_fd("rb"), rb_sample, NULL, NULL);
	if (!rb)
		die("ring_buffer__new", -errno);
	fire(10);
	if (ring_buffer__consume(rb) < 0)
		die("consume", -errno);
	cons = mmap(NULL, page, PROT_READ, MAP_SHARED, map_fd("rb"), 0);
	prod = mmap(NULL, page, PROT_READ, MAP_SHARED, map_fd("rb"), page);
	if (cons == MAP_FAILED || prod == MAP_FAILED)
		die("mmap", -errno);
	/* Nothing left BUSY: the reader got past every leaked record. */
	printf("drained=%s\n", *cons == *prod ? "yes" : "no");
	report();
	return 0;
}

/* Both channels, every process, consumed until SIGKILL: the chaos test's tool. */
static int mode_storm(const char *path)
{
	struct perf_buffer *pb;
	struct ring_buffer *rb;
	struct bpf_link *l2;

	load(path, "rb_reserve", 16384, 0);
	/* A second program on the same tracepoint, loaded from a second object. */
	{
		struct bpf_object *o2 = bpf_object__open_file(path, NULL);
		struct bpf_program *prog;

		if (!o2)
			die("open2", -errno);
		bpf_object__for_each_program(prog, o2)
			bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), "perf_out"));
		if (bpf_object__load(o2))
			die("load2", -errno);
		{
			struct counters c = {};
			__u32 zero = 0;

			bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(o2, "cnt")), &zero, &c, 0);
		}
		l2 = bpf_program__attach(bpf_object__find_program_by_name(o2, "perf_out"));
		if (!l2)
			die("attach2", -errno);
		pb = perf_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(o2, "pb")), 2,
				      perf_sample, perf_lost, NULL, NULL);
		if (!pb)
			die("perf_buffer__new", -errno);
	}
	rb = ring_buffer__new(map_fd("rb"), rb_sample, NULL, NULL);
	if (!rb)
		die("ring_buffer__new", -errno);
	printf("storm=ready\n");
	fflush(stdout);
	for (;;) {
		ring_buffer__poll(rb, 10);
		perf_buffer__poll(pb, 10);
	}
	return 0;
}

int main(int argc, char **argv)
{
	cpu_set_t cpus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "trigger"))
		for (;;)
			fire(1000);
	if (argc < 3) {
		fprintf(stderr, "usage: %s OBJ MODE [ARGS]\n", argv[0]);
		return 2;
	}
	/* One CPU: one perf ring, records in trigger order. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (strcmp(argv[2], "storm") && sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity", -errno);
	if (!strcmp(argv[2], "perf") && argc == 4)
		return mode_perf(argv[1], atoi(argv[3]));
	if (!strcmp(argv[2], "perf-wakeup"))
		return mode_perf_wakeup(argv[1], 0);
	if (!strcmp(argv[2], "perf-watermark"))
		return mode_perf_wakeup(argv[1], 1);
	if (!strcmp(argv[2], "rb") && argc == 6)
		return mode_rb(argv[1], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(argv[2], "rb-wakeup"))
		return mode_rb_wakeup(argv[1]);
	if (!strcmp(argv[2], "rb-query"))
		return mode_rb_query(argv[1]);
	if (!strcmp(argv[2], "rb-layout"))
		return mode_rb_layout(argv[1]);
	if (!strcmp(argv[2], "rb-leak"))
		return mode_rb_leak(argv[1]);
	if (!strcmp(argv[2], "storm"))
		return mode_storm(argv[1]);
	fprintf(stderr, "unknown mode %s\n", argv[2]);
	return 2;
}
