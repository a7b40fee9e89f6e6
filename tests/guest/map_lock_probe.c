// SPDX-License-Identifier: GPL-2.0
/*
 * map_lock_probe: a program firing inside a map's locked section on the syscall side
 * must be skipped, not spin on the lock its own CPU holds (issue 14, item 3).
 *
 * A kprobe program on memcmp updates key 0 of a hash map M and counts its runs in an
 * array map. Hash tables compare keys with memcmp while holding the table's lock (the
 * driver's hashtab.c, and Linux's), so BPF_MAP_UPDATE_ELEM / LOOKUP_ELEM / DELETE_ELEM /
 * GET_NEXT_KEY from user space on M, one worker pinned to each CPU for SECONDS seconds,
 * reach the probed function with M's lock held. Linux holds programs off on a CPU while a
 * syscall-side map operation runs there (bpf_prog_active); without that the CPU spins
 * forever on its own lock. Meanwhile the parent sends datagrams to an abstract
 * AF_UNIX address, whose lookup compares names with memcmp without any map lock held:
 * there the program must still run.
 *
 * Prints "R key=value" lines: ops (map commands done by the workers), sent (datagrams),
 * hits (program runs the program counted), misses (recursion_misses of
 * OBJ_GET_INFO_BY_FD).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"

#define KPROBE_FN "memcmp"
#define WORKERS 2
#define KEYS 8

static void die(const char *what)
{
	printf("R error=%s:%s\n", what, strerror(errno));
	exit(1);
}

/*
 * get_prandom_u32();
 * key = 0; val = 1; map_update_elem(M, &key, &val, BPF_ANY);
 * if ((c = map_lookup_elem(C, &key))) __sync_fetch_and_add(c, 1); return 0;
 */
static int prog_load(int map_fd, int count_fd)
{
	struct bpf_insn p[] = {
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32),
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
		INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -16, 1),
		MAP_UPDATE(map_fd, -4, -16, BPF_ANY),
		MAP_LOOKUP(count_fd, -4),
		INC_R0_VALUE,
		RETURN(0),
	};

	return sys_bpf_prog_load(BPF_PROG_TYPE_KPROBE, p, sizeof(p) / sizeof(p[0]));
}

static long read_number(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* The kprobe PMU (4.17+), else a kprobe_events probe (what libbpf falls back to). */
static int kprobe_open(void)
{
	const char *dir = access("/sys/kernel/tracing/events", F_OK) == 0 ? "/sys/kernel/tracing" :
									   "/sys/kernel/debug/tracing";
	struct perf_event_attr pa;
	long pmu = read_number("/sys/bus/event_source/devices/kprobe/type");
	char path[128];
	int fd;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	if (pmu >= 0) {
		pa.type = pmu;
		pa.config1 = (uintptr_t)KPROBE_FN;
	} else {
		static const char def[] = "p:kprobes/map_lock_probe " KPROBE_FN "\n";

		snprintf(path, sizeof(path), "%s/kprobe_events", dir);
		fd = open(path, O_WRONLY | O_APPEND);
		if (fd < 0 || write(fd, def, strlen(def)) < 0)
			die("kprobe_events");
		close(fd);
		snprintf(path, sizeof(path), "%s/events/kprobes/map_lock_probe/id", dir);
		pa.type = PERF_TYPE_TRACEPOINT;
		pa.config = read_number(path);
	}
	return syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long elem(int cmd, int map_fd, uint32_t key, void *value)
{
	return sys_bpf_elem(cmd, map_fd, &key, value, 0);
}

/* One worker on @cpu: update / lookup / get_next_key / delete over KEYS keys. */
static void worker(int cpu, int map_fd, double seconds, volatile long *ops)
{
	double end = now() + seconds;
	cpu_set_t set;
	uint64_t v = 0;
	uint32_t k = 0, next;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (now() < end) {
		for (k = 0; k < KEYS; k++) {
			v++;
			elem(BPF_MAP_UPDATE_ELEM, map_fd, k, &v);
			elem(BPF_MAP_LOOKUP_ELEM, map_fd, k, &v);
			elem(BPF_MAP_GET_NEXT_KEY, map_fd, k, &next);
			if (k & 1)
				elem(BPF_MAP_DELETE_ELEM, map_fd, k, NULL);
			*ops += 4 + (k & 1);
		}
	}
}

/*
 * Until the workers exit: datagrams to an abstract AF_UNIX name (unix_find_socket_byname
 * memcmps it with each bound name). Returns how many were sent.
 */
static long poke_memcmp(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("map_lock_probe");
	int rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[8];
	long sent = 0;

	memcpy(addr.sun_path + 1, "map_lock_probe", strlen("map_lock_probe"));
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&addr, len))
		die("unix socket");
	while (waitpid(-1, NULL, WNOHANG) >= 0) {
		if (sendto(tx, "x", 1, 0, (struct sockaddr *)&addr, len) == 1)
			sent++;
		while (recv(rx, buf, sizeof(buf), 0) > 0)
			;
	}
	close(rx);
	close(tx);
	return sent;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	volatile long *ops = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int map_fd = sys_bpf_map_create(BPF_MAP_TYPE_HASH, 8, 64, 0);
	int count_fd = sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, 8, 1, 0);
	struct bpf_prog_info info;
	uint64_t hits = 0;
	long total = 0, sent;
	int prog_fd, pfd, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ops == MAP_FAILED || map_fd < 0 || count_fd < 0)
		die("map_create");
	prog_fd = prog_load(map_fd, count_fd);
	if (prog_fd < 0)
		die("prog_load");
	pfd = kprobe_open();
	if (pfd < 0)
		die("perf_event_open");
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0))
		die("attach");
	printf("R attached=1\n");
	for (i = 0; i < WORKERS; i++) {
		if (fork() == 0) {
			worker(i, map_fd, seconds, &ops[i]);
			_exit(0);
		}
	}
	sent = poke_memcmp();
	close(pfd);
	for (i = 0; i < WORKERS; i++)
		total += ops[i];
	elem(BPF_MAP_LOOKUP_ELEM, count_fd, 0, &hits);
	memset(&info, 0, sizeof(info));
	if (sys_bpf_obj_info(prog_fd, &info, sizeof(info)))
		die("prog_info");
	printf("R ops=%ld\nR sent=%ld\nR hits=%llu\nR misses=%llu\n", total, sent,
	       (unsigned long long)hits, (unsigned long long)info.recursion_misses);
	return 0;
}
