/* BPF_MAP_TYPE_LPM_TRIE against Linux: create limits, then for IPv4- and IPv6-sized
 * keys a trie of about 2000 pseudo-random prefixes (nested chains, siblings, /0, the
 * full length, duplicates), updates with BPF_NOEXIST / BPF_EXIST / BPF_ANY, lookups
 * from user space and from a socket filter program (BPF_PROG_TEST_RUN), deletion of
 * half the entries, a get_next_key dump, deletion of the rest. Every call's result
 * goes into the transcript; to keep the serial log short, the transcript is printed
 * as "T <phase> <block> n=<calls> h=<FNV-1a of the block's lines>" (blocks of
 * BLOCK calls), plus "T" lines for single calls. The test runs it natively on the
 * stock kernel and under libbpfhook.so + bpfdrv.ko: the transcripts must be equal.
 * Then "R" lines: the average cost (test_run duration, ns) of one program lookup in
 * a 16-entry and in a 10000-entry trie.
 * "lpm_probe reentry": a kprobe program on __kmalloc updates the trie while user space
 * inserts and deletes prefixes, so it runs inside the driver's write section whenever
 * an insert allocates a branching node; the CPU must not deadlock on the map's lock.
 * Build: gcc -O2 -Wall -o lpm_probe lpm_probe.c -lbpf */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

#include "bpf_sys.h"

#define BLOCK 256
#define NPREFIX 2000
#define MAX_ENTRIES 3000
#define USER_LOOKUPS 1500
#define PROG_LOOKUPS 300
#define BIG_TRIE 10000
#define SMALL_TRIE 16
#define TIMING_REPEAT 2000
#define TIMING_ROUNDS 5

struct key {
	__u32 prefixlen;
	__u8 data[16];
};

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 11) % n;
}

/* The current block of transcript lines: its phase name, line count and digest. */
static char phase[32];
static int block, lines;
static unsigned long long hash;

static void flush(void)
{
	if (lines)
		printf("T %s %d n=%d h=%016llx\n", phase, block, lines, hash);
	block += lines != 0;
	lines = 0;
	hash = 0xcbf29ce484222325ull;
}

static void begin(const char *name)
{
	flush();
	snprintf(phase, sizeof(phase), "%s", name);
	block = 0;
}

static void emit(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (p = buf; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 0x100000001b3ull;
	hash = (hash ^ '\n') * 0x100000001b3ull;
	if (++lines == BLOCK)
		flush();
}

static int err(int r)
{
	return r ? -errno : 0;
}

static void key_text(char *out, const struct key *k, int n)
{
	int i;

	out += sprintf(out, "%u/", k->prefixlen);
	for (i = 0; i < n; i++)
		out += sprintf(out, "%02x", k->data[i]);
}

/* Keep the first len bits of k, randomize the others. */
static void randomize_after(struct key *k, unsigned int len, int n)
{
	unsigned int i;

	for (i = len; i < (unsigned int)n * 8; i++)
		if (rnd(2))
			k->data[i / 8] ^= 0x80 >> (i % 8);
}

/* Prefixes that nest, part and overlap: half derived from an earlier one. */
static void make_prefixes(struct key *p, int count, int n)
{
	unsigned int max = n * 8, len, at;
	int i;

	for (i = 0; i < count; i++) {
		struct key *k = &p[i];

		memset(k, 0, sizeof(*k));
		if (i < 4 || rnd(2)) {
			randomize_after(k, 0, n);
			/* /0 first, three of full length, then any length */
			k->prefixlen = i == 0 ? 0 : i < 4 ? max : rnd(max + 1);
			continue;
		}
		*k = p[rnd(i)];
		len = k->prefixlen;
		switch (rnd(4)) {
		case 0: /* under it */
			k->prefixlen = len + rnd(max - len + 1);
			randomize_after(k, len, n);
			break;
		case 1: /* above it; the bits past the prefix stay */
			k->prefixlen = rnd(len + 1);
			break;
		case 2: /* a sibling: parts from it at a random bit */
			if (len) {
				at = rnd(len);
				k->data[at / 8] ^= 0x80 >> (at % 8);
				randomize_after(k, at + 1, n);
			}
			break;
		default: /* the same prefix, other trailing bits */
			randomize_after(k, len, n);
			break;
		}
	}
}

/* A key to look up: inside a random stored prefix, mostly at full length. */
static struct key lookup_key(const struct key *p, int count, int n)
{
	struct key k = p[rnd(count)];
	unsigned int r = rnd(20);

	randomize_after(&k, k.prefixlen, n);
	k.prefixlen = r == 0 ? n * 8 + 1 : r < 4 ? rnd(n * 8 + 1) : n * 8;
	return k;
}

/* libbpf's load of @insns, with the verifier's log on failure. */
static int prog_load(enum bpf_prog_type type, const char *name, const struct bpf_insn *insns, size_t n)
{
	static char log[8192];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(type, name, "GPL", insns, n, &o);

	if (fd < 0)
		printf("# load: errno %d\n%s\n", errno, log);
	return fd;
}

/*
 * A socket filter returning the u32 value the LPM map @lpm holds for the key stored
 * in @arr[0], 0xffffffff if none.
 */
static int lookup_prog(int arr, int lpm)
{
	struct bpf_insn insns[] = {
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
		STACK_PTR(BPF_REG_2, -4),
		LD_MAP_FD(BPF_REG_1, arr),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 6, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_0, 0, 0),
		LD_MAP_FD(BPF_REG_1, lpm),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		RETURN(-1),
	};

	return prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "lpm_lookup", insns, sizeof(insns) / sizeof(insns[0]));
}

/* One program lookup of @k: the program's return value, or -errno. */
static long long prog_lookup(int prog, int arr, const struct key *k, __u32 repeat, __u32 *ns)
{
	unsigned char pkt[64] = { 0 };
	__u32 zero = 0;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = repeat);

	if (bpf_map_update_elem(arr, &zero, k, BPF_ANY))
		return -errno;
	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	if (ns)
		*ns = o.duration;
	return o.retval;
}

static int lpm_create(int key_size, __u32 value_size, __u32 max_entries, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, NULL, key_size, value_size, max_entries, &o);

	return fd < 0 ? -errno : fd;
}

static void create_limits(void)
{
	static const struct {
		int key_size;
		__u32 value_size, max_entries, flags;
	} c[] = {
		{ 8, 4, 16, BPF_F_NO_PREALLOC }, { 8, 4, 16, 0 }, { 4, 4, 16, BPF_F_NO_PREALLOC },
		{ 5, 4, 16, BPF_F_NO_PREALLOC }, { 260, 4, 16, BPF_F_NO_PREALLOC },
		{ 261, 4, 16, BPF_F_NO_PREALLOC }, { 8, 0, 16, BPF_F_NO_PREALLOC },
		{ 8, 4194008, 16, BPF_F_NO_PREALLOC }, { 8, 4194009, 16, BPF_F_NO_PREALLOC },
		{ 8, 4, 0, BPF_F_NO_PREALLOC }, { 8, 4, 16, BPF_F_NO_PREALLOC | BPF_F_MMAPABLE },
		{ 8, 4, 16, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED },
		{ 8, 4, 16, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG },
	};
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fd = lpm_create(c[i].key_size, c[i].value_size, c[i].max_entries, c[i].flags);
		printf("T create k%d v%u n%u f%#x = %d\n", c[i].key_size, c[i].value_size,
		       c[i].max_entries, c[i].flags, fd < 0 ? fd : 0);
		if (fd >= 0)
			close(fd);
	}
}

/* A full trie: replacing an entry works, a new prefix (or a branching one) is ENOSPC. */
static void full_trie(void)
{
	struct key a = { 8, { 10 } }, b = { 16, { 10, 1 } }, c = { 16, { 10, 2 } }, d = { 12, { 10, 0x10 } };
	__u32 v = 1;
	int fd = lpm_create(8, 4, 2, BPF_F_NO_PREALLOC);

	printf("T full a %d\n", err(bpf_map_update_elem(fd, &a, &v, BPF_NOEXIST)));
	printf("T full b %d\n", err(bpf_map_update_elem(fd, &b, &v, BPF_NOEXIST)));
	printf("T full c %d\n", err(bpf_map_update_elem(fd, &c, &v, BPF_ANY)));
	printf("T full d %d\n", err(bpf_map_update_elem(fd, &d, &v, BPF_ANY)));
	printf("T full replace b %d\n", err(bpf_map_update_elem(fd, &b, &v, BPF_EXIST)));
	printf("T full replace a %d\n", err(bpf_map_update_elem(fd, &a, &v, BPF_ANY)));
	printf("T full delete a %d\n", err(bpf_map_delete_elem(fd, &a)));
	printf("T full c again %d\n", err(bpf_map_update_elem(fd, &c, &v, BPF_NOEXIST)));
	printf("T full d again %d\n", err(bpf_map_update_elem(fd, &d, &v, BPF_NOEXIST)));
	/* b and c part at bit 14: the branching point 10.0.0.0/14 is not an entry. */
	d.prefixlen = 14;
	d.data[1] = 0;
	printf("T full delete branch %d\n", err(bpf_map_delete_elem(fd, &d)));
	printf("T full delete b %d\n", err(bpf_map_delete_elem(fd, &b)));
	printf("T full branch %d\n", err(bpf_map_update_elem(fd, &d, &v, BPF_EXIST)));
	printf("T full branch %d\n", err(bpf_map_update_elem(fd, &d, &v, BPF_NOEXIST)));
	close(fd);
}

/* The phases <name>.lookup_user<round>, then <name>.lookup_prog<round>: random keys. */
static void lookups(const char *name, const char *round, int fd, int prog, int arr, const struct key *p, int n)
{
	char ph[32], text[64];
	struct key k;
	__u32 v;
	int i, r, user;

	for (user = 1; user >= 0; user--) {
		snprintf(ph, sizeof(ph), "%s.lookup_%s%s", name, user ? "user" : "prog", round);
		begin(ph);
		for (i = 0; i < (user ? USER_LOOKUPS : PROG_LOOKUPS); i++) {
			k = lookup_key(p, NPREFIX, n);
			key_text(text, &k, n);
			if (user) {
				v = 0;
				r = err(bpf_map_lookup_elem(fd, &k, &v));
				emit("%s %d %u", text, r, v);
			} else {
				emit("%s %lld", text, prog_lookup(prog, arr, &k, 0, NULL));
			}
		}
	}
}

static void family(const char *name, int n)
{
	static struct key p[NPREFIX];
	char ph[32], text[64];
	struct key k, next;
	int fd, arr, prog, i, r, count;
	__u32 v;

	printf("T --- %s\n", name);
	make_prefixes(p, NPREFIX, n);
	fd = lpm_create(4 + n, 4, MAX_ENTRIES, BPF_F_NO_PREALLOC);
	arr = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4 + n, 1, NULL);
	prog = lookup_prog(arr, fd);
	printf("T %s setup %d\n", name, fd >= 0 && arr >= 0 && prog >= 0);

	snprintf(ph, sizeof(ph), "%s.insert", name);
	begin(ph);
	for (i = 0; i < NPREFIX; i++) {
		v = i + 1;
		emit("%d", err(bpf_map_update_elem(fd, &p[i], &v, BPF_NOEXIST)));
	}
	snprintf(ph, sizeof(ph), "%s.update", name);
	begin(ph);
	for (i = 0; i < NPREFIX; i += 5) {
		v = i + 100001;
		emit("%d", err(bpf_map_update_elem(fd, &p[i], &v, BPF_EXIST)));
		v = i + 200001;
		emit("%d", err(bpf_map_update_elem(fd, &p[i + 1], &v, BPF_ANY)));
		k = lookup_key(p, NPREFIX, n);
		emit("%d", err(bpf_map_update_elem(fd, &k, &v, BPF_EXIST)));
	}
	emit("flags %d", err(bpf_map_update_elem(fd, &p[1], &v, BPF_F_LOCK)));
	k = p[1];
	k.prefixlen = n * 8 + 1;
	emit("toolong %d", err(bpf_map_update_elem(fd, &k, &v, BPF_ANY)));
	emit("delete toolong %d", err(bpf_map_delete_elem(fd, &k)));

	lookups(name, "", fd, prog, arr, p, n);

	snprintf(ph, sizeof(ph), "%s.delete_half", name);
	begin(ph);
	for (i = 1; i < NPREFIX; i += 2)
		emit("%d", err(bpf_map_delete_elem(fd, &p[i])));

	lookups(name, "2", fd, prog, arr, p, n);

	snprintf(ph, sizeof(ph), "%s.dump", name);
	begin(ph);
	count = 0;
	for (r = err(bpf_map_get_next_key(fd, NULL, &next)); !r && count <= MAX_ENTRIES;
	     r = err(bpf_map_get_next_key(fd, &k, &next))) {
		key_text(text, &next, n);
		emit("%s", text);
		k = next;
		count++;
	}
	flush();
	printf("T %s dump count %d end %d\n", name, count, r);

	snprintf(ph, sizeof(ph), "%s.next_unknown", name);
	begin(ph);
	for (i = 0; i < 50; i++) {
		k = lookup_key(p, NPREFIX, n);
		memset(&next, 0, sizeof(next));
		r = err(bpf_map_get_next_key(fd, &k, &next));
		key_text(text, &next, n);
		emit("%d %s", r, text);
	}

	snprintf(ph, sizeof(ph), "%s.delete_rest", name);
	begin(ph);
	for (i = 0; i < NPREFIX; i++)
		emit("%d", err(bpf_map_delete_elem(fd, &p[(i * 7 + 3) % NPREFIX])));
	flush();
	printf("T %s empty next %d\n", name, err(bpf_map_get_next_key(fd, NULL, &next)));
	printf("T %s empty lookup %d\n", name, err(bpf_map_lookup_elem(fd, &p[0], &v)));
	printf("T %s empty prog %lld\n", name, prog_lookup(prog, arr, &p[0], 0, NULL));
	close(prog);
	close(arr);
	close(fd);
}

/* A trie of @entries IPv4 prefixes holding 10.20.30.40/32 (value 7), and its lookup program. */
struct timed_trie {
	int fd, arr, prog, inserted;
	__u32 best_ns;
	long long result;
};

static const struct key timed_key = { 32, { 10, 20, 30, 40 } };

static void timed_trie_fill(struct timed_trie *t, int entries)
{
	struct key k;
	__u32 v = 7;
	int i;

	t->fd = lpm_create(8, 4, entries, BPF_F_NO_PREALLOC);
	t->arr = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	t->prog = lookup_prog(t->arr, t->fd);
	t->inserted = !bpf_map_update_elem(t->fd, &timed_key, &v, BPF_ANY);
	t->best_ns = ~0u;
	for (i = 1; i < entries; i++) {
		memset(&k, 0, sizeof(k));
		randomize_after(&k, 0, 4);
		k.prefixlen = 8 + rnd(25);
		v = i + 10;
		t->inserted += !bpf_map_update_elem(t->fd, &k, &v, BPF_ANY);
	}
}

static void timed_lookup(struct timed_trie *t)
{
	__u32 ns = ~0u;

	t->result = prog_lookup(t->prog, t->arr, &timed_key, TIMING_REPEAT, &ns);
	if (ns < t->best_ns)
		t->best_ns = ns;
}

static void timed_trie_report(struct timed_trie *t, const char *name, int entries)
{
	printf("R %s_inserted=%d\nR %s_result=%lld\nR %s_ns=%u\n", name, t->inserted == entries, name,
	       t->result, name, t->best_ns);
	close(t->prog);
	close(t->arr);
	close(t->fd);
}

/*
 * Average ns of one program lookup in a small and in a large trie: the best of
 * TIMING_ROUNDS alternating measurements, so that a burst of host load does not
 * land on one trie only.
 */
static void timing(void)
{
	struct timed_trie small, large;
	int i;

	timed_trie_fill(&small, SMALL_TRIE);
	timed_trie_fill(&large, BIG_TRIE);
	for (i = 0; i < TIMING_ROUNDS; i++) {
		timed_lookup(&small);
		timed_lookup(&large);
	}
	timed_trie_report(&small, "small", SMALL_TRIE);
	timed_trie_report(&large, "large", BIG_TRIE);
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * A kprobe program updating 1.2.3.4/32 in @lpm, counting in @counters the results:
 * [0] success, [1] -EBUSY, [2] any other error.
 */
static int update_prog(int lpm, int counters)
{
	struct bpf_insn insns[] = {
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, 32),
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0x04030201),
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -12, 1),
		MAP_UPDATE(lpm, -8, -12, BPF_ANY),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 0),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 3, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 1),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, -EBUSY),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 2),
		INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_6, -16, 0),
		MAP_LOOKUP(counters, -16),
		INC_R0_VALUE,
		RETURN(0),
	};

	return prog_load(BPF_PROG_TYPE_KPROBE, "lpm_update", insns, sizeof(insns) / sizeof(insns[0]));
}

/* Inserts and deletes 2 x 4000 random /32s while update_prog runs on __kmalloc. */
static int reentry(void)
{
	static struct key keys[4000];
	struct perf_event_attr attr;
	__u64 count[3] = { 0 };
	struct key k, next;
	int lpm = lpm_create(8, 4, 8000, BPF_F_NO_PREALLOC);
	int counters = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 3, NULL);
	int prog = update_prog(lpm, counters), pfd, i, round, left = 0, r;
	__u32 v = 2, slot;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = read_int_file("/sys/bus/event_source/devices/kprobe/type");
	attr.config1 = (unsigned long)"__kmalloc";
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (lpm < 0 || counters < 0 || prog < 0 || pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) ||
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		printf("R reentry_setup=errno %d\n", errno);
		return 1;
	}
	printf("R reentry_setup=ok\n");
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 4000; i++) {
			memset(&keys[i], 0, sizeof(keys[i]));
			randomize_after(&keys[i], 0, 4);
			keys[i].prefixlen = 32;
			bpf_map_update_elem(lpm, &keys[i], &v, BPF_ANY);
		}
		for (i = 0; i < 4000; i++)
			bpf_map_delete_elem(lpm, &keys[i]);
	}
	close(pfd);
	for (r = err(bpf_map_get_next_key(lpm, NULL, &next)); !r; r = err(bpf_map_get_next_key(lpm, &k, &next))) {
		left += next.prefixlen != 32 || memcmp(next.data, "\1\2\3\4", 4);
		k = next;
	}
	for (slot = 0; slot < 3; slot++)
		bpf_map_lookup_elem(counters, &slot, &count[slot]);
	printf("R reentry_left=%d\nR reentry_ok=%d\nR reentry_busy=%llu\nR reentry_other=%llu\n", left,
	       count[0] > 0, count[1], count[2]);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "reentry"))
		return reentry();
	create_limits();
	full_trie();
	family("v4", 4);
	family("v6", 16);
	timing();
	printf("R done=1\n");
	return 0;
}
