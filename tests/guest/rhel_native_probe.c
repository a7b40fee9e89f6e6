// SPDX-License-Identifier: GPL-2.0
/*
 * rhel_native_probe: what RHEL 7's own eBPF backport can run, through raw bpf(2) calls
 * (libbpf's feature probes fail there): a hash map, a kprobe program counting getpgid
 * calls per thread group and per call site in it (lookup, update, atomic add,
 * get_current_pid_tgid), attached through kprobe_events + one tracepoint perf event on
 * CPU 0 + PERF_EVENT_IOC_SET_BPF (as libbpf attaches: the program runs for hits on every
 * CPU; RHEL 7 takes one program per trace event, a second SET_BPF is EEXIST), then the map read back from user space (lookup, get_next_key,
 * delete, the errnos of a missing key and a full map). Prints "R key=value" lines.
 *
 * CentOS 7.9's guest runs it twice: natively on RHEL's bpf() (BPFHOOK_MODE=native) and
 * under the hook + bpfdrv.ko (auto mode): the lines must be the same — the only native
 * oracle a 3.10 kernel has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_sys.h"

#define TRACING "/sys/kernel/debug/tracing"
#define EVENT "bpfcompat_rhel"
#define CALLS 5
#define CHILD_CALLS 3
#define MAX_ENTRIES 4

static void die(const char *what)
{
	printf("R fatal=%s:%s\n", what, strerror(errno));
	exit(1);
}

/* LINUX_VERSION_CODE of the running kernel: kprobe programs must name it before 4.12. */
static unsigned int kernel_version(void)
{
	struct utsname u;
	unsigned int a = 0, b = 0, c = 0;

	uname(&u);
	sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	return a << 16 | b << 8 | (c > 255 ? 255 : c);
}

/*
 * key = tgid; value += 1 (BPF_XADD), or value = 1 when the key is new.
 */
static int prog_load(int map_fd)
{
	struct bpf_insn insns[] = {
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
		INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32),
		INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, -4, 0),
		MAP_LOOKUP(map_fd, -4),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1),
		INSN(BPF_STX | BPF_XADD | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0),
		RETURN(0),
		/* new key: value 1 at fp-16 */
		INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -16, 1),
		MAP_UPDATE(map_fd, -4, -16, BPF_ANY),
		RETURN(0),
	};
	static char log[65536];
	union bpf_attr a;
	int fd;

	sys_bpf_prog_attr(&a, BPF_PROG_TYPE_KPROBE, insns, sizeof(insns) / sizeof(insns[0]));
	a.kern_version = kernel_version();
	a.log_buf = (unsigned long)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		fprintf(stderr, "verifier log:\n%s\n", log);
	return fd;
}

static void tracing_write(const char *file, const char *line)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), TRACING "/%s", file);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		die(line);
	close(fd);
}

static int event_id(void)
{
	char buf[32] = "";
	int fd = open(TRACING "/events/kprobes/" EVENT "/id", O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		die("event id");
	close(fd);
	return atoi(buf);
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

static int lookup(int map_fd, __u32 key, __u64 *value)
{
	return sys_bpf_elem(BPF_MAP_LOOKUP_ELEM, map_fd, &key, value, 0) ? errno : 0;
}

static int update(int map_fd, __u32 key, __u64 value, __u64 flags)
{
	return sys_bpf_elem(BPF_MAP_UPDATE_ELEM, map_fd, &key, &value, flags) ? errno : 0;
}

static int delete(int map_fd, __u32 key)
{
	return sys_bpf_elem(BPF_MAP_DELETE_ELEM, map_fd, &key, NULL, 0) ? errno : 0;
}

/* Keys in the map, by get_next_key from no key: their number. */
static int count_keys(int map_fd)
{
	__u32 key, next;
	int n = 0, first = 1;

	for (;;) {
		if (sys_bpf_elem(BPF_MAP_GET_NEXT_KEY, map_fd, first ? NULL : &key, &next, 0))
			return errno == ENOENT ? n : -errno;
		key = next;
		first = 0;
		n++;
	}
}

int main(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct perf_event_attr pa;
	int map_fd, prog_fd, pfd, i, status;
	__u64 v = 0;
	pid_t child;
	char def[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* RHEL 7 charges maps and programs to RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	map_fd = sys_bpf_map_create(BPF_MAP_TYPE_HASH, 8, MAX_ENTRIES, 0);
	if (map_fd < 0)
		die("map create");
	prog_fd = prog_load(map_fd);
	if (prog_fd < 0)
		die("prog load");
	printf("R loaded=yes\n");
	snprintf(def, sizeof(def), "p:kprobes/" EVENT " SyS_getpgid\n");
	tracing_write("kprobe_events", def);
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.config = event_id();
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	pfd = syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		die("perf_event_open");
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0))
		die("SET_BPF");
	printf("R attached=yes\n");

	child = fork();
	if (child == 0) {
		for (i = 0; i < CHILD_CALLS; i++)
			syscall(__NR_getpgid, 0);
		_exit(0);
	}
	waitpid(child, &status, 0);
	for (i = 0; i < CALLS; i++)
		syscall(__NR_getpgid, 0);

	printf("R self_lookup=%s\n", errname(lookup(map_fd, getpid(), &v)));
	printf("R self_count=%llu\n", (unsigned long long)v);
	v = 0;
	printf("R child_lookup=%s\n", errname(lookup(map_fd, child, &v)));
	printf("R child_count=%llu\n", (unsigned long long)v);
	printf("R keys=%d\n", count_keys(map_fd));

	/* Detach, then the map from user space alone. */
	close(pfd);
	tracing_write("kprobe_events", "-:kprobes/" EVENT "\n");
	syscall(__NR_getpgid, 0);
	v = 0;
	lookup(map_fd, getpid(), &v);
	printf("R self_count_after_detach=%llu\n", (unsigned long long)v);
	printf("R missing_lookup=%s\n", errname(lookup(map_fd, 0x7fffffff, &v)));
	printf("R update_noexist_existing=%s\n", errname(update(map_fd, getpid(), 1, BPF_NOEXIST)));
	printf("R update_exist_missing=%s\n", errname(update(map_fd, 1, 1, BPF_EXIST)));
	printf("R fill_1=%s\n", errname(update(map_fd, 1, 1, BPF_ANY)));
	printf("R fill_2=%s\n", errname(update(map_fd, 2, 2, BPF_ANY)));
	printf("R over_capacity=%s\n", errname(update(map_fd, 3, 3, BPF_ANY)));
	printf("R replace_when_full=%s\n", errname(update(map_fd, 2, 5, BPF_ANY)));
	printf("R keys_full=%d\n", count_keys(map_fd));
	printf("R delete=%s\n", errname(delete(map_fd, 1)));
	printf("R delete_again=%s\n", errname(delete(map_fd, 1)));
	printf("R keys_after_delete=%d\n", count_keys(map_fd));
	printf("R done=yes\n");
	return 0;
}
