// SPDX-License-Identifier: GPL-2.0-only
/*
 * A statically linked program (musl) that calls bpf() and perf_event_open() itself, with
 * no libbpf and no dynamic libc: what LD_PRELOAD cannot reach, so `bpfhook run` serves it
 * through its seccomp + ptrace launcher. It prints a transcript that must be the same
 * natively on a stock kernel and under the launcher on one without bpf():
 *
 * - an array map: update, lookup, an update past its end;
 * - from a second thread: a hash map filled and walked with GET_NEXT_KEY;
 * - a tracepoint program on syscalls:sys_enter_getppid (perf_event_open, SET_BPF,
 *   ENABLE) counting this process's getppid() calls into the array;
 * - a forked child that uses the parent's map fd;
 * - the errnos of a bad attr pointer and of an unknown command;
 * - the kernel's BTF at /sys/kernel/btf/vmlinux (access, stat, open and read its magic),
 *   as a CO-RE loader finds it: served from an offline file where the kernel has none;
 * - pins: /sys/fs/bpf's statfs, the map pinned twice, found again, and unpinned with
 *   unlink and with unlinkat (bpffs natively, the pins the driver keeps under the hook).
 *
 * Self-contained (musl's headers have no linux/bpf.h): the few ABI values it needs.
 *
 * Usage: static_bpf TRACEPOINT_ID_FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	MAP_CREATE = 0, MAP_LOOKUP_ELEM = 1, MAP_UPDATE_ELEM = 2, MAP_GET_NEXT_KEY = 4, PROG_LOAD = 5,
	OBJ_PIN = 6, OBJ_GET = 7
};
enum { MAP_TYPE_HASH = 1, MAP_TYPE_ARRAY = 2, PROG_TYPE_TRACEPOINT = 5 };
enum { FUNC_map_lookup_elem = 1, FUNC_get_current_pid_tgid = 14 };
#define PERF_TYPE_TRACEPOINT 2
#define BPF_FS_MAGIC 0xcafe4a11
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PERF_EVENT_IOC_ENABLE 0x2400
#define PERF_EVENT_IOC_SET_BPF 0x40042408

struct insn {
	uint8_t code;
	uint8_t regs; /* dst low nibble, src high */
	int16_t off;
	int32_t imm;
};

#define INSN(c, d, s, o, i) ((struct insn){ (c), (uint8_t)((d) | ((s) << 4)), (o), (i) })

/* union bpf_attr, the parts used here: 128 bytes, the rest zero. */
union attr {
	struct {
		uint32_t map_type, key_size, value_size, max_entries;
	} map;
	struct {
		uint32_t map_fd, pad;
		uint64_t key, value, flags;
	} elem;
	struct {
		uint32_t prog_type, insn_cnt;
		uint64_t insns, license;
		uint32_t log_level, log_size;
		uint64_t log_buf;
	} prog;
	struct {
		uint64_t pathname;
		uint32_t bpf_fd, file_flags;
	} obj;
	uint8_t bytes[128];
};

static long bpf(int cmd, union attr *a)
{
	long r = syscall(SYS_bpf, cmd, a, sizeof(*a));

	return r < 0 ? -errno : r;
}

static int map_create(uint32_t type, uint32_t value_size, uint32_t entries)
{
	union attr a = { .map = { type, 4, value_size, entries } };

	return bpf(MAP_CREATE, &a);
}

static long elem(int cmd, int fd, uint32_t key, void *value, uint64_t flags)
{
	union attr a = { .elem = { fd, 0, (uintptr_t)&key, (uintptr_t)value, flags } };

	return bpf(cmd, &a);
}

static void *hash_thread(void *arg)
{
	int fd = map_create(MAP_TYPE_HASH, 8, 16);
	uint32_t key, next;
	uint64_t v;
	int n = 0;

	(void)arg;
	printf("thread: hash map %s\n", fd >= 0 ? "created" : strerror(-fd));
	for (key = 10; key < 15; key++) {
		v = key * 100;
		elem(MAP_UPDATE_ELEM, fd, key, &v, 0);
	}
	union attr a = { .elem = { fd, 0, 0, (uintptr_t)&next, 0 } };

	while (bpf(MAP_GET_NEXT_KEY, &a) == 0) {
		n++;
		key = next;
		a.elem.key = (uintptr_t)&key;
	}
	printf("thread: walked %d keys\n", n);
	close(fd);
	return NULL;
}

/* count[0] += 1 for every sys_enter_getppid of process @tgid. */
static int load_counter(int map_fd, int tgid)
{
	struct insn p[] = {
		INSN(0x85, 0, 0, 0, FUNC_get_current_pid_tgid), /* call */
		INSN(0x77, 0, 0, 0, 32), /* r0 >>= 32 */
		INSN(0x55, 0, 0, 10, tgid), /* if r0 != tgid goto out */
		INSN(0xb7, 1, 0, 0, 0), /* r1 = 0 */
		INSN(0x63, 10, 1, -4, 0), /* *(u32 *)(r10 - 4) = r1 */
		INSN(0xbf, 2, 10, 0, 0), /* r2 = r10 */
		INSN(0x07, 2, 0, 0, -4), /* r2 += -4 */
		INSN(0x18, 1, 1, 0, map_fd), /* r1 = map (ld_imm64, pseudo map fd) */
		INSN(0x00, 0, 0, 0, 0),
		INSN(0x85, 0, 0, 0, FUNC_map_lookup_elem),
		INSN(0x15, 0, 0, 2, 0), /* if r0 == 0 goto out */
		INSN(0xb7, 1, 0, 0, 1), /* r1 = 1 */
		INSN(0xdb, 0, 1, 0, 0), /* lock *(u64 *)(r0 + 0) += r1 */
		INSN(0xb7, 0, 0, 0, 0), /* out: r0 = 0 */
		INSN(0x95, 0, 0, 0, 0), /* exit */
	};
	static char log[4096];
	union attr a = { .prog = { PROG_TYPE_TRACEPOINT, ARRAY_SIZE(p), (uintptr_t)p, (uintptr_t)"GPL",
				   1, sizeof(log), (uintptr_t)log } };
	int fd = bpf(PROG_LOAD, &a);

	if (fd < 0)
		fprintf(stderr, "prog load: %s\n%s\n", strerror(-fd), log);
	return fd;
}

static int tracepoint_id(const char *file)
{
	FILE *f = fopen(file, "r");
	int id = -1;

	if (!f || fscanf(f, "%d", &id) != 1)
		id = -1;
	if (f)
		fclose(f);
	return id;
}

static const char *err_or_ok(long r)
{
	return r < 0 ? strerror(-r) : "ok";
}

/* The map pinned at two paths, opened again, and unpinned as rm (unlinkat) and unlink do. */
static void pins(int map_fd)
{
	static const char *const paths[] = { "/sys/fs/bpf/static_bpf_a", "/sys/fs/bpf/static_bpf_b" };
	union attr a = { 0 };
	struct statfs fs;
	struct stat st;
	uint64_t v = 0;
	unsigned int i;
	long r;
	int fd;

	fs.f_type = 0;
	r = statfs("/sys/fs/bpf", &fs);
	printf("bpffs: statfs %ld, %s\n", r, fs.f_type == BPF_FS_MAGIC ? "BPF_FS_MAGIC" : "another filesystem");
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		a.obj.pathname = (uintptr_t)paths[i];
		a.obj.bpf_fd = map_fd;
		r = bpf(OBJ_PIN, &a);
		printf("pin %u: %s, stat %d\n", i, err_or_ok(r), stat(paths[i], &st));
	}
	a.obj.pathname = (uintptr_t)paths[0];
	a.obj.bpf_fd = 0;
	fd = bpf(OBJ_GET, &a);
	if (fd >= 0) {
		elem(MAP_LOOKUP_ELEM, fd, 1, &v, 0);
		close(fd);
	}
	printf("pinned map: %s, value %llu\n", err_or_ok(fd), (unsigned long long)v);
	printf("unlinkat: %d\n", unlinkat(AT_FDCWD, paths[0], 0));
	printf("unlink: %d\n", unlink(paths[1]));
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		a.obj.pathname = (uintptr_t)paths[i];
		printf("after unpin %u: %s\n", i, err_or_ok(bpf(OBJ_GET, &a)));
	}
}

int main(int argc, char **argv)
{
	uint64_t v = 42, out = 0;
	int arr, prog, ev, id, status;
	long r;
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: %s TRACEPOINT_ID_FILE\n", argv[0]);
		return 2;
	}
	arr = map_create(MAP_TYPE_ARRAY, 8, 4);
	if (arr < 0) {
		printf("array map: %s\n", strerror(-arr));
		return 1;
	}
	printf("update: %ld\n", elem(MAP_UPDATE_ELEM, arr, 1, &v, 0));
	r = elem(MAP_LOOKUP_ELEM, arr, 1, &out, 0);
	printf("lookup: %ld value %llu\n", r, (unsigned long long)out);
	printf("update past the end: %s\n", strerror(-elem(MAP_UPDATE_ELEM, arr, 4, &v, 0)));

	pthread_create(&t, NULL, hash_thread, NULL);
	pthread_join(t, NULL);

	id = tracepoint_id(argv[1]);
	prog = load_counter(arr, getpid());
	printf("program: %s\n", prog >= 0 ? "loaded" : strerror(-prog));
	uint8_t pa[128] = { 0 };
	*(uint32_t *)&pa[0] = PERF_TYPE_TRACEPOINT;
	*(uint32_t *)&pa[4] = sizeof(pa);
	*(uint64_t *)&pa[8] = (uint64_t)id;
	*(uint64_t *)&pa[16] = 1; /* sample_period */
	ev = syscall(SYS_perf_event_open, pa, 0, -1, -1, 0);
	printf("perf_event_open: %s\n", ev >= 0 ? "opened" : strerror(errno));
	if (ev >= 0 && prog >= 0) {
		printf("set_bpf: %d\n", ioctl(ev, PERF_EVENT_IOC_SET_BPF, prog));
		printf("enable: %d\n", ioctl(ev, PERF_EVENT_IOC_ENABLE, 0));
	}
	for (int i = 0; i < 10; i++)
		syscall(SYS_getppid);
	if (ev >= 0)
		close(ev);
	out = 0;
	elem(MAP_LOOKUP_ELEM, arr, 0, &out, 0);
	printf("getppid calls counted: %llu\n", (unsigned long long)out);

	if (fork() == 0) {
		v = 7;
		_exit(elem(MAP_UPDATE_ELEM, arr, 2, &v, 0) == 0 ? 0 : 1);
	}
	wait(&status);
	out = 0;
	elem(MAP_LOOKUP_ELEM, arr, 2, &out, 0);
	printf("child's update: exit %d, value %llu\n", WEXITSTATUS(status), (unsigned long long)out);

	union attr a = { 0 };

	r = syscall(SYS_bpf, MAP_CREATE, (void *)8, 128);
	printf("bad attr pointer: %ld %s\n", r, r < 0 ? strerror(errno) : "");
	printf("unknown command: %s\n", strerror(-bpf(999, &a)));
	pins(arr);

	const char *btf = "/sys/kernel/btf/vmlinux";
	struct stat st;
	uint16_t magic = 0;
	int fd = open(btf, O_RDONLY | O_CLOEXEC);

	int acc = access(btf, R_OK);
	int stat_ret = stat(btf, &st);

	printf("kernel btf: access %d, stat %d (%s)\n", acc, stat_ret, !stat_ret && S_ISREG(st.st_mode) ? "a file" : "not a file");
	if (fd >= 0 && read(fd, &magic, sizeof(magic)) == sizeof(magic))
		printf("kernel btf: magic %#x\n", magic);
	else
		printf("kernel btf: %s\n", strerror(errno));
	return 0;
}
