// SPDX-License-Identifier: GPL-2.0
/*
 * caps_drop_probe: capabilities are checked at every bpf() call, with the caller's
 * credentials at the time of the call (issue 14, section 0).
 *
 * As root it creates an array map, loads a kprobe program that calls
 * bpf_probe_read_kernel, and checks that lookups by id and attaching work. A child then
 * drops to uid/gid 65534 with no capabilities left — keeping every fd, the hook's
 * /dev/bpfdrv one included — and tries again: MAP_CREATE, PROG_LOAD (kprobe with
 * probe_read_kernel, and a socket filter), BTF_LOAD, MAP/PROG_GET_FD_BY_ID of root's
 * objects, MAP/PROG_GET_NEXT_ID, and attaching: perf_event_open of the kprobe PMU, of a
 * kprobe_events kprobe, and of a tracepoint (pid -1, cpu 0, as libbpf does). Linux
 * (kernel.unprivileged_bpf_disabled set, the distributions' default) refuses them all.
 * Where the kernel has CAP_BPF (5.8+), two more children keep CAP_BPF, then CAP_BPF +
 * CAP_PERFMON, and try the same: the split rules (tracing programs and events need
 * CAP_PERFMON, lookups by id CAP_SYS_ADMIN).
 *
 * Prints "C <who> <what> <ok|errno name>" lines, who = root, nobody, cap_bpf or
 * cap_bpf_perfmon; the same binary natively on the stock kernel is the oracle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "perf_sys.h"

#define KPROBE_FN "vfs_read"
#define NOBODY 65534
#define CAP_BIT(cap) (1u << ((cap) - 32))

struct targets {
	long kprobe_pmu, kprobe_id, tp_id;
	unsigned int map_id, prog_id;
};

static const char *tracing_dir;

static const char *err_name(int e)
{
	switch (e) {
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENODEV: return "ENODEV";
	}
	return sys_bpf_err_name(e);
}

/* One result line. */
static void report(const char *who, const char *what, long ret, int err)
{
	printf("C %s %s %s\n", who, what, ret >= 0 ? "ok" : err_name(err));
	fflush(stdout);
}

/* TRY(who, what, call): report the call's result with the errno it left. */
#define TRY(who, what, call)                    \
	do {                                    \
		long ret_ = (call);             \
		report(who, what, ret_, errno); \
	} while (0)

static int map_create(void)
{
	return sys_bpf_map_create(BPF_MAP_TYPE_ARRAY, 8, 1, 0);
}

/* r1 = fp - 8; r2 = 8; r3 = 0; call probe_read_kernel; r0 = 0; exit (a socket filter: r0 = 0; exit). */
static int prog_load(int type)
{
	struct bpf_insn insns[8];
	int n = 0;

	memset(insns, 0, sizeof(insns));
	if (type == BPF_PROG_TYPE_KPROBE) {
		insns[n].code = BPF_ALU64 | BPF_MOV | BPF_X;
		insns[n].dst_reg = BPF_REG_1;
		insns[n++].src_reg = BPF_REG_10;
		insns[n].code = BPF_ALU64 | BPF_ADD | BPF_K;
		insns[n].dst_reg = BPF_REG_1;
		insns[n++].imm = -8;
		insns[n].code = BPF_ALU64 | BPF_MOV | BPF_K;
		insns[n].dst_reg = BPF_REG_2;
		insns[n++].imm = 8;
		insns[n].code = BPF_ALU64 | BPF_MOV | BPF_K;
		insns[n++].dst_reg = BPF_REG_3;
		insns[n].code = BPF_JMP | BPF_CALL;
		insns[n++].imm = BPF_FUNC_probe_read_kernel;
	}
	insns[n].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[n++].dst_reg = BPF_REG_0;
	insns[n++].code = BPF_JMP | BPF_EXIT;
	return sys_bpf_prog_load(type, insns, n);
}

/*
 * Can the caller get a kernel address out of a program? A socket filter stores its
 * frame pointer (r10) into an array map's value and runs once (BPF_PROG_TEST_RUN).
 * Linux lets only a loader with CAP_PERFMON (allow_ptr_leaks) do that; without it the
 * verifier refuses the program (EACCES) and the driver aborts the run before the store.
 * Prints "ok" when the value holds the address, "refused" when no address reached the
 * map, or the errno of the map's creation.
 */
static void try_ptr_store(const char *who)
{
	struct bpf_insn insns[6];
	unsigned char pkt[64];
	uint64_t value = 0;
	uint32_t key = 0;
	union bpf_attr a;
	int map_fd, prog_fd;

	map_fd = map_create();
	if (map_fd < 0) {
		report(who, "ptr_store", map_fd, errno);
		return;
	}
	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_LD | BPF_IMM | BPF_DW; /* r1 = &value[0] */
	insns[0].dst_reg = BPF_REG_1;
	insns[0].src_reg = BPF_PSEUDO_MAP_VALUE;
	insns[0].imm = map_fd;
	insns[2].code = BPF_STX | BPF_MEM | BPF_DW; /* *(u64 *)(r1 + 0) = r10 */
	insns[2].dst_reg = BPF_REG_1;
	insns[2].src_reg = BPF_REG_10;
	insns[3].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
	insns[4].code = BPF_JMP | BPF_EXIT;
	prog_fd = sys_bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, 5);
	if (prog_fd >= 0) {
		memset(pkt, 0, sizeof(pkt));
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = prog_fd;
		a.test.data_in = (uintptr_t)pkt;
		a.test.data_size_in = sizeof(pkt);
		if (sys_bpf(BPF_PROG_TEST_RUN, &a))
			fprintf(stderr, "%s: ptr_store test_run: %s\n", who, strerror(errno));
		close(prog_fd);
	} else if (errno != EACCES) {
		fprintf(stderr, "%s: ptr_store load: %s\n", who, strerror(errno));
	}
	if (sys_bpf_elem(BPF_MAP_LOOKUP_ELEM, map_fd, &key, &value, 0))
		fprintf(stderr, "%s: ptr_store lookup: %s\n", who, strerror(errno));
	printf("C %s ptr_store %s\n", who, value ? "ok" : "refused");
	fflush(stdout);
	close(map_fd);
}

/* Not valid BTF: refused for the caller's capabilities before it is parsed. */
static int btf_load(void)
{
	static const char blob[64];
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.btf = (uintptr_t)blob;
	a.btf_size = sizeof(blob);
	return sys_bpf(BPF_BTF_LOAD, &a);
}

static unsigned int obj_id(int fd)
{
	struct bpf_map_info info; /* a program's id is its info's first field too */

	memset(&info, 0, sizeof(info));
	if (sys_bpf_obj_info(fd, &info,
			     sizeof(info) < sizeof(struct bpf_prog_info) ? sizeof(info) : sizeof(struct bpf_prog_info)))
		return 0;
	return info.id;
}

static int get_fd_by_id(int cmd, unsigned int id)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	if (cmd == BPF_MAP_GET_FD_BY_ID)
		a.map_id = id;
	else
		a.prog_id = id;
	return sys_bpf(cmd, &a);
}

static int get_next_id(int cmd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	return sys_bpf(cmd, &a);
}

static void tracing_write(const char *file, const char *line)
{
	if (tracing_append(tracing_dir, file, line))
		fprintf(stderr, "writing %s to %s/%s: %s\n", line, tracing_dir, file, strerror(errno));
}

static long tracing_id(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/id", tracing_dir, event);
	return read_number(path);
}

/* perf_event_open of @type / @config (an fd is closed at once); ENOENT when id < 0. */
static void try_perf(const char *who, const char *what, long id, unsigned int type, uint64_t config,
		     uint64_t config1)
{
	long fd = -1;

	errno = ENOENT;
	if (id >= 0)
		fd = sys_perf_open(type, config, config1, 0, -1);
	report(who, what, fd, errno);
	if (fd >= 0)
		close(fd);
}

static void try_attach(const char *who, const struct targets *t)
{
	if (t->kprobe_pmu < 0)
		printf("C %s attach_kprobe_pmu no-pmu\n", who);
	else
		try_perf(who, "attach_kprobe_pmu", t->kprobe_pmu, t->kprobe_pmu, 0, (uintptr_t)KPROBE_FN);
	try_perf(who, "attach_kprobe_legacy", t->kprobe_id, PERF_TYPE_TRACEPOINT, t->kprobe_id, 0);
	try_perf(who, "attach_tracepoint", t->tp_id, PERF_TYPE_TRACEPOINT, t->tp_id, 0);
}

/*
 * uid/gid 65534, no supplementary groups, and of the capabilities only those in @hi
 * (bits of capabilities 32..63: CAP_PERFMON is 38, CAP_BPF 39), effective and permitted.
 */
static int drop_privileges(uint32_t hi)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_SET_KEEPCAPS, hi ? 1 : 0, 0, 0, 0) || setgroups(0, NULL) ||
	    setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	memset(d, 0, sizeof(d));
	d[1].effective = d[1].permitted = hi;
	if (syscall(__NR_capset, &h, d))
		return -1;
	memset(d, 0, sizeof(d));
	if (syscall(__NR_capget, &h, d))
		return -1;
	if (d[0].effective || d[0].permitted || d[0].inheritable || d[1].effective != hi ||
	    d[1].permitted != hi || d[1].inheritable)
		return -1;
	return 0;
}

/* A child drops to uid 65534 keeping only the capabilities @hi names and tries everything. */
static void dropped_child(const char *who, uint32_t hi, const struct targets *t)
{
	int status = -1;
	pid_t child;

	if (hi && prctl(PR_CAPBSET_READ, CAP_BPF, 0, 0, 0) < 0) {
		printf("C %s skipped: the kernel has no CAP_BPF\n", who);
		return;
	}
	fflush(stdout);
	child = fork();
	if (child == 0) {
		if (drop_privileges(hi)) {
			printf("C %s drop failed: %s\n", who, strerror(errno));
			_exit(1);
		}
		printf("C %s uid %d euid %d caps 0x%x<<32\n", who, (int)getuid(), (int)geteuid(), hi);
		TRY(who, "map_create", map_create());
		TRY(who, "prog_load_kprobe", prog_load(BPF_PROG_TYPE_KPROBE));
		TRY(who, "prog_load_socket_filter", prog_load(BPF_PROG_TYPE_SOCKET_FILTER));
		TRY(who, "btf_load", btf_load());
		try_ptr_store(who);
		TRY(who, "map_get_fd_by_id", get_fd_by_id(BPF_MAP_GET_FD_BY_ID, t->map_id));
		TRY(who, "prog_get_fd_by_id", get_fd_by_id(BPF_PROG_GET_FD_BY_ID, t->prog_id));
		TRY(who, "map_get_next_id", get_next_id(BPF_MAP_GET_NEXT_ID));
		TRY(who, "prog_get_next_id", get_next_id(BPF_PROG_GET_NEXT_ID));
		try_attach(who, t);
		_exit(0);
	}
	if (child > 0 && waitpid(child, &status, 0) != child)
		status = -1;
	printf("C %s exit %d\n", who, status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
	struct targets t;
	int map_fd, prog_fd, fd;

	tracing_dir = access("/sys/kernel/tracing/events", F_OK) == 0 ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
	t.kprobe_pmu = read_number("/sys/bus/event_source/devices/kprobe/type");
	tracing_write("kprobe_events", "p:kprobes/caps_drop_probe " KPROBE_FN "\n");
	t.kprobe_id = tracing_id("kprobes/caps_drop_probe");
	t.tp_id = tracing_id("syscalls/sys_enter_getpid");

	map_fd = map_create();
	report("root", "map_create", map_fd, errno);
	prog_fd = prog_load(BPF_PROG_TYPE_KPROBE);
	report("root", "prog_load_kprobe", prog_fd, errno);
	if (map_fd < 0 || prog_fd < 0)
		return 1;
	t.map_id = obj_id(map_fd);
	t.prog_id = obj_id(prog_fd);
	fd = get_fd_by_id(BPF_MAP_GET_FD_BY_ID, t.map_id);
	report("root", "map_get_fd_by_id", fd, errno);
	if (fd >= 0)
		close(fd);
	TRY("root", "map_get_next_id", get_next_id(BPF_MAP_GET_NEXT_ID));
	try_ptr_store("root");
	try_attach("root", &t);

	dropped_child("nobody", 0, &t);
	dropped_child("cap_bpf", CAP_BIT(CAP_BPF), &t);
	dropped_child("cap_bpf_perfmon", CAP_BIT(CAP_BPF) | CAP_BIT(CAP_PERFMON), &t);
	tracing_write("kprobe_events", "-:kprobes/caps_drop_probe\n");
	printf("C done\n");
	return 0;
}
