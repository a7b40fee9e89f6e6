// SPDX-License-Identifier: GPL-2.0
/*
 * attach_test OBJ [MODULE:SYMBOL]: every tracing attach path libbpf (1.x) uses, plus the older
 * PERF_EVENT_IOC_SET_BPF sequence done by hand, each counted exactly. Prints
 * "BPFCOMPAT-RESULT attach_<key>=<value>" lines; the guest test compares them with
 * fixed expectations and with the same binary's output on the stock kernel (native eBPF).
 *
 * Kprobes probe getpgid's syscall function (nothing else in the guest calls getpgid):
 * __x64_sys_getpgid from 4.17, SyS_getpgid on 3.10, whose tracing directory is also
 * debugfs's. Without the kprobe PMU (4.17) the by-hand PMU path reports "no-pmu". Uprobes
 * functions of this binary and libc's getpgid (bashreadline-style: a function of a
 * shared library), the raw tracepoints are sys_enter filtered on getpgid and sched_switch
 * (its modern argument list), and perf_event programs sample cpu-clock (per CPU, link)
 * and task-clock (SET_BPF).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach_slots.h"
#include "../perf_sys.h"

#define N 5

/* The tracing directory: tracefs (4.1+), else debugfs's tracing/ (3.10). */
static const char *tracefs = "/sys/kernel/tracing";
/* getpgid's syscall function, as kallsyms names it on this kernel. */
static const char *sys_getpgid = "__x64_sys_getpgid";

static struct bpf_object *obj;
static int counts_fd;

static void result(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("BPFCOMPAT-RESULT attach_%s=", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void die(const char *what)
{
	result("fatal", "%s: %s", what, strerror(errno));
	exit(1);
}

static __u64 count(__u32 slot)
{
	__u64 v = 0;

	if (bpf_map_lookup_elem(counts_fd, &slot, &v))
		die("lookup counts");
	return v;
}

static void reset_counts(void)
{
	__u64 zero = 0;
	__u32 i;

	for (i = 0; i < SLOT_MAX; i++)
		bpf_map_update_elem(counts_fd, &i, &zero, BPF_ANY);
}

static struct bpf_program *prog(const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p)
		die(name);
	return p;
}

static struct bpf_link *check_link(struct bpf_link *l, const char *what)
{
	if (!l) {
		result("attach_failed", "%s: %s", what, strerror(errno));
		exit(1);
	}
	return l;
}

static void trigger_getpgid(int n)
{
	int i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpgid, 0);
}

static int perf_open(struct perf_event_attr *attr, int pid, int cpu)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The older libbpf sequence: PERF_EVENT_IOC_SET_BPF, then ENABLE. */
static void set_bpf(int pfd, struct bpf_program *p, const char *what)
{
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, bpf_program__fd(p)) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		result("attach_failed", "%s SET_BPF: %s", what, strerror(errno));
		exit(1);
	}
}

static int read_int_file(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		die(path);
	close(fd);
	return atoi(buf);
}

static void tracefs_write(const char *file, const char *line)
{
	if (tracing_append(tracefs, file, line))
		die(line);
}

/* Legacy kprobe (what libbpf does without the kprobe PMU, e.g. on 3.10). */
static int legacy_kprobe(const char *def, const char *event)
{
	struct perf_event_attr attr;
	char path[256];
	int pfd;

	tracefs_write("kprobe_events", def);
	snprintf(path, sizeof(path), "%s/events/kprobes/%s/id", tracefs, event);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = read_int_file(path);
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	pfd = perf_open(&attr, -1, 0);
	if (pfd < 0)
		die("perf_event_open(legacy kprobe)");
	return pfd;
}

/* Whether the text file at @path (under the tracing directory) contains @needle. */
static int file_has(const char *path, const char *needle)
{
	char full[256], line[512];
	FILE *f;
	int found = 0;

	snprintf(full, sizeof(full), "%s/%s", tracefs, path);
	f = fopen(full, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return found;
}

static unsigned long long kallsyms_addr(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr;
	char type, name[256];

	if (!f)
		return 0;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3)
		if (!strcmp(name, sym)) {
			fclose(f);
			return addr;
		}
	fclose(f);
	return 0;
}

/* The name of the kernel text symbol containing @ip (into @name, 256 bytes), or "?". */
static const char *kallsyms_name_of(unsigned long long ip, char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr, best = 0;
	char type, sym[256];

	strcpy(name, "?");
	if (!f)
		return name;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, sym) == 3)
		if ((type == 't' || type == 'T') && addr <= ip && addr > best) {
			best = addr;
			strcpy(name, sym);
		}
	fclose(f);
	return name;
}

static void kprobes_tracepoints(void)
{
	LIBBPF_OPTS(bpf_kprobe_opts, kopts, .bpf_cookie = 0x1234);
	LIBBPF_OPTS(bpf_kprobe_opts, kropts, .retprobe = true);
	LIBBPF_OPTS(bpf_tracepoint_opts, topts, .bpf_cookie = 0x5678);
	struct bpf_link *links[5];
	struct perf_event_attr attr;
	int pfd_pmu = -1, pfd_legacy, pfd_legacy_ret, i, ret;
	unsigned long long func = kallsyms_addr(sys_getpgid);
	char def[128], path[256], top[256];
	__u64 pgid = getpgid(0); /* before attaching: later calls would count */

	/* libbpf's own route: the kprobe PMU, BPF_LINK_CREATE where supported. */
	links[0] = check_link(bpf_program__attach_kprobe_opts(prog("kp"), sys_getpgid, &kopts), "kprobe");
	links[1] = check_link(bpf_program__attach_kprobe_opts(prog("kretp"), sys_getpgid, &kropts), "kretprobe");
	links[2] = check_link(bpf_program__attach_tracepoint_opts(prog("tp"), "syscalls", "sys_enter_getpgid", &topts), "tracepoint");
	links[3] = check_link(bpf_program__attach_raw_tracepoint(prog("rawtp"), "sys_enter"), "raw_tracepoint");
	/* Before 4.17 libbpf names the function __se_sys_getpgid, which 3.10 lacks (natively too). */
	links[4] = bpf_program__attach_ksyscall(prog("ksys"), "getpgid", NULL);
	ret = links[4] ? 0 : errno;

	/* By hand: the kprobe PMU with SET_BPF (what libbpf before links does). */
	if (!access("/sys/bus/event_source/devices/kprobe/type", F_OK)) {
		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = read_int_file("/sys/bus/event_source/devices/kprobe/type");
		attr.config1 = (unsigned long)sys_getpgid;
		attr.config2 = 0;
		pfd_pmu = perf_open(&attr, -1, 0);
		if (pfd_pmu < 0)
			die("perf_event_open(kprobe PMU)");
		set_bpf(pfd_pmu, prog("kp_setbpf"), "kprobe PMU");
	}

	/* Legacy kprobe_events with maxactive for the kretprobe. */
	snprintf(def, sizeof(def), "p:kprobes/bpfcompat_kp %s\n", sys_getpgid);
	pfd_legacy = legacy_kprobe(def, "bpfcompat_kp");
	set_bpf(pfd_legacy, prog("kp_legacy"), "legacy kprobe");
	/* maxactive ("r16:") came in 4.12; an older parser makes "r16" an unnamed event. */
	snprintf(def, sizeof(def), "%s:kprobes/bpfcompat_krp %s\n", file_has("README", "maxactive") ? "r16" : "r",
		 sys_getpgid);
	pfd_legacy_ret = legacy_kprobe(def, "bpfcompat_krp");
	set_bpf(pfd_legacy_ret, prog("kretp_legacy"), "legacy kretprobe");

	trigger_getpgid(N);

	result("kprobe", "%llu", count(SLOT_KP));
	result("kprobe_cookie", "0x%llx", count(SLOT_KP_COOKIE));
	result("kprobe_func_ip", "%s", func && count(SLOT_KP_FUNC_IP) == func ? "symbol" : "wrong");
	kallsyms_name_of(count(SLOT_KP_STACK_TOP), top);
	result("kprobe_stack_top", "%s", !strcmp(top, sys_getpgid) ? "probed-function" : top);
	result("kretprobe", "%llu", count(SLOT_KRETP));
	result("kretprobe_rc", "%s", count(SLOT_KRETP_RC) == pgid ? "pgid" : "wrong");
	result("kretprobe_func_ip", "%s", func && count(SLOT_KRETP_FUNC_IP) == func ? "symbol" : "wrong");
	if (pfd_pmu >= 0)
		result("kprobe_pmu_setbpf", "%llu", count(SLOT_KP_SETBPF));
	else
		result("kprobe_pmu_setbpf", "no-pmu");
	result("kprobe_legacy", "%llu", count(SLOT_KP_LEGACY));
	result("kretprobe_legacy", "%llu", count(SLOT_KRETP_LEGACY));
	result("kretprobe_legacy_rc", "%s", count(SLOT_KRETP_LEGACY_RC) == pgid ? "pgid" : "wrong");
	result("tracepoint", "%llu", count(SLOT_TP));
	result("tracepoint_cookie", "0x%llx", count(SLOT_TP_COOKIE));
	result("raw_tracepoint", "%llu", count(SLOT_RAWTP));
	if (links[4])
		result("ksyscall", "%llu", count(SLOT_KSYSCALL));
	else
		result("ksyscall", "%s", strerrorname_np(ret));

	/* Perf-event and raw_tp links have neither update nor detach in the kernel. */
	ret = bpf_link_update(bpf_link__fd(links[0]), bpf_program__fd(prog("kp_setbpf")), NULL);
	result("link_update", "%s", ret ? strerrorname_np(errno) : "ok");
	ret = bpf_link_detach(bpf_link__fd(links[0]));
	result("link_detach", "%s", ret ? strerrorname_np(errno) : "ok");
	/* A second program on an event that has one. */
	ret = ioctl(pfd_legacy, PERF_EVENT_IOC_SET_BPF, bpf_program__fd(prog("kp")));
	result("second_set_bpf", "%s", ret ? strerrorname_np(errno) : "ok");
	/* A tracepoint program on a kprobe event. */
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	snprintf(path, sizeof(path), "%s/events/kprobes/bpfcompat_kp/id", tracefs);
	attr.config = read_int_file(path);
	i = perf_open(&attr, -1, 0);
	ret = i < 0 ? -1 : ioctl(i, PERF_EVENT_IOC_SET_BPF, bpf_program__fd(prog("tp")));
	result("tracepoint_prog_on_kprobe", "%s", ret ? strerrorname_np(errno) : "ok");
	if (i >= 0)
		close(i);

	/* Closing links and perf fds detaches: no more counts. */
	for (i = 0; i < 5; i++)
		bpf_link__destroy(links[i]); /* NULL-safe */
	if (pfd_pmu >= 0)
		close(pfd_pmu);
	close(pfd_legacy);
	close(pfd_legacy_ret);
	tracefs_write("kprobe_events", "-:kprobes/bpfcompat_kp\n");
	tracefs_write("kprobe_events", "-:kprobes/bpfcompat_krp\n");
	reset_counts();
	trigger_getpgid(N);
	result("after_detach", "%llu", count(SLOT_KP) + count(SLOT_KRETP) + count(SLOT_KP_SETBPF) +
	       count(SLOT_KP_LEGACY) + count(SLOT_KRETP_LEGACY) + count(SLOT_TP) + count(SLOT_RAWTP) + count(SLOT_KSYSCALL));
}

__attribute__((noipa)) int bpfcompat_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return 2 * x + 1;
}

__attribute__((noipa)) int bpfcompat_target_pid(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 7;
}

static void uprobes(void)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "bpfcompat_target", .bpf_cookie = 0x9abc);
	LIBBPF_OPTS(bpf_uprobe_opts, uropts, .func_name = "bpfcompat_target", .retprobe = true);
	LIBBPF_OPTS(bpf_uprobe_opts, libopts, .func_name = "getpgid");
	LIBBPF_OPTS(bpf_uprobe_opts, pidopts, .func_name = "bpfcompat_target_pid");
	struct bpf_link *links[4];
	struct perf_event_attr attr;
	char self[PATH_MAX], def[PATH_MAX + 64], path[256];
	unsigned long off;
	int pfd_legacy;
	Dl_info libc;
	int go[2], i, child, status;
	volatile int sink = 0;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		die("readlink /proc/self/exe");
	self[n] = 0;
	if (!dladdr((void *)getpgid, &libc) || !libc.dli_fname)
		die("dladdr(getpgid)");
	reset_counts();
	links[0] = check_link(bpf_program__attach_uprobe_opts(prog("up"), -1, self, 0, &uopts), "uprobe");
	links[1] = check_link(bpf_program__attach_uprobe_opts(prog("uretp"), -1, self, 0, &uropts), "uretprobe");
	links[2] = check_link(bpf_program__attach_uprobe_opts(prog("up_lib"), -1, libc.dli_fname, 0, &libopts), "uprobe on libc");

	/* Legacy uprobe_events (libbpf's route without the uprobe PMU), SET_BPF. */
	off = file_offset((const void *)bpfcompat_target);
	if (!off)
		die("address not mapped");
	snprintf(def, sizeof(def), "p:uprobes/bpfcompat_up %s:0x%lx\n", self, off);
	tracefs_write("uprobe_events", def);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	snprintf(path, sizeof(path), "%s/events/uprobes/bpfcompat_up/id", tracefs);
	attr.config = read_int_file(path);
	attr.sample_period = 1;
	pfd_legacy = perf_open(&attr, -1, 0);
	if (pfd_legacy < 0)
		die("perf_event_open(legacy uprobe)");
	set_bpf(pfd_legacy, prog("up_legacy"), "legacy uprobe");

	/* Per-pid: only the child's calls count. */
	if (pipe(go))
		die("pipe");
	child = fork();
	if (child == 0) {
		char c;

		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (i = 0; i < 3; i++)
			sink += bpfcompat_target_pid(i);
		_exit(0);
	}
	links[3] = check_link(bpf_program__attach_uprobe_opts(prog("up_pid"), child, self, 0, &pidopts), "uprobe pid");

	for (i = 0; i < N; i++)
		sink += bpfcompat_target(i);
	for (i = 0; i < N; i++)
		sink += getpgid(0);
	for (i = 0; i < 4; i++)
		sink += bpfcompat_target_pid(i);
	if (write(go[1], "x", 1) != 1)
		die("write");
	waitpid(child, &status, 0);

	result("uprobe", "%llu", count(SLOT_UPROBE));
	result("uprobe_arg", "%llu", count(SLOT_UPROBE_ARG));
	result("uprobe_cookie", "0x%llx", count(SLOT_UPROBE_COOKIE));
	result("uretprobe", "%llu", count(SLOT_URETPROBE));
	result("uretprobe_rc", "%llu", count(SLOT_URETPROBE_RC));
	result("uprobe_libc", "%llu", count(SLOT_ULIB));
	result("uprobe_pid", "%llu", count(SLOT_UPID));
	result("uprobe_legacy", "%llu", count(SLOT_ULEGACY));
	result("uprobe_legacy_arg", "%llu", count(SLOT_ULEGACY_ARG));
	for (i = 0; i < 4; i++)
		bpf_link__destroy(links[i]);
	close(pfd_legacy);
	tracefs_write("uprobe_events", "-:uprobes/bpfcompat_up\n");
	reset_counts();
	for (i = 0; i < N; i++)
		sink += bpfcompat_target(i) + getpgid(0);
	result("uprobe_after_detach", "%llu", count(SLOT_UPROBE) + count(SLOT_URETPROBE) + count(SLOT_ULIB) +
	       count(SLOT_ULEGACY));
}

static void spin_ms(int ms)
{
	struct timespec a, b;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

/*
 * A kprobe on a module's function ("module:symbol"), called once per
 * BPF_MAP_LOOKUP_ELEM: only where that module exists (bpfdrv's own
 * bpfdrv_cmd_map_lookup in the no-bpf guest).
 */
static void module_kprobe(const char *sym)
{
	struct bpf_link *link;
	__u64 v;
	__u32 k = SLOT_MAX - 1;
	int i;

	reset_counts();
	link = check_link(bpf_program__attach_kprobe(prog("kp_module"), false, sym), "module kprobe");
	for (i = 0; i < N; i++)
		bpf_map_lookup_elem(counts_fd, &k, &v);
	bpf_link__destroy(link);
	result("module_kprobe", "%llu", count(SLOT_MODULE_KP));
}

static void perf_events(void)
{
	LIBBPF_OPTS(bpf_perf_event_opts, popts, .bpf_cookie = 77);
	int ncpu = libbpf_num_possible_cpus(), cpu, pfd;
	struct bpf_link *links[64];
	struct perf_event_attr attr;
	int nlinks = 0;

	reset_counts();
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = 1000000; /* 1 ms */
	for (cpu = 0; cpu < ncpu && cpu < 64; cpu++) {
		pfd = perf_open(&attr, -1, cpu);
		if (pfd < 0)
			continue; /* offline CPU */
		links[nlinks++] = check_link(bpf_program__attach_perf_event_opts(prog("sample"), pfd, &popts), "perf_event");
	}
	spin_ms(300);
	result("cpu_clock_sampled", "%s", count(SLOT_SAMPLES) > 0 ? "yes" : "no");
	result("cpu_clock_period", "%llu", count(SLOT_SAMPLE_PERIOD));
	result("cpu_clock_cookie", "%llu", count(SLOT_SAMPLE_COOKIE));
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);

	reset_counts();
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.sample_period = 2000000;
	pfd = perf_open(&attr, 0, -1);
	if (pfd < 0)
		die("perf_event_open(task-clock)");
	set_bpf(pfd, prog("sample"), "task-clock");
	spin_ms(300);
	result("task_clock_sampled", "%s", count(SLOT_SAMPLES) > 0 ? "yes" : "no");
	result("task_clock_period", "%llu", count(SLOT_SAMPLE_PERIOD));
	result("task_clock_cookie", "%llu", count(SLOT_SAMPLE_COOKIE));
	close(pfd);
}

/*
 * perf_event_open's limits on a sampling event: a frequency above
 * kernel.perf_event_max_sample_rate (100000 by default, lowered by perf itself when
 * samples take long) and a period with bit 63 set are EINVAL; 99 Hz opens.
 */
static void sampling_limits(void)
{
	static const struct {
		const char *key;
		int freq;
		unsigned long long value;
	} cases[] = {
		{ "sample_freq_99", 1, 99 },
		{ "sample_freq_above_max", 1, 100000000 },
		{ "sample_period_bit63", 0, 1ULL << 63 },
	};
	struct perf_event_attr attr;
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_CPU_CLOCK;
		attr.freq = cases[i].freq;
		attr.sample_period = cases[i].value; /* or sample_freq: one field */
		fd = perf_open(&attr, -1, 0);
		result(cases[i].key, "%s", fd < 0 ? strerrorname_np(errno) : "ok");
		if (fd >= 0)
			close(fd);
	}
}

/*
 * A return probe only sits on a function's entry: the kprobe PMU with no symbol
 * (config1 = 0) and the address in config2 works at getpgid's first byte and is
 * EINVAL inside it (Linux's kprobe_on_func_entry; 3.10's register_kretprobe does not
 * check, so the driver must). +8: past an IBT ENDBR64, which makes +4 an entry too.
 */
static void kretprobe_at_address(unsigned long long func)
{
	const char *type_file = "/sys/bus/event_source/devices/kprobe/type";
	struct perf_event_attr attr;
	unsigned long long off[2] = { 0, 8 };
	const char *key[2] = { "kretprobe_addr_entry", "kretprobe_addr_inside" };
	int i, fd;

	for (i = 0; i < 2; i++) {
		if (access(type_file, F_OK) || !func) {
			result(key[i], "%s", func ? "no-pmu" : "no-symbol");
			continue;
		}
		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = read_int_file(type_file);
		attr.config = 1; /* format/retprobe: config:0 */
		attr.config1 = 0;
		attr.config2 = func + off[i];
		fd = perf_open(&attr, -1, 0);
		result(key[i], "%s", fd < 0 ? strerrorname_np(errno) : "ok");
		if (fd >= 0)
			close(fd);
	}
}

/*
 * A uprobe PMU event past the end of the file is refused at perf_event_open, where the
 * PMU registers the uprobe: uprobe_register's error path (on 6.12 an ERR_PTR handle
 * that must never be unregistered).
 */
static void uprobe_past_end(void)
{
	const char *type_file = "/sys/bus/event_source/devices/uprobe/type";
	struct perf_event_attr attr;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;
	int fd;

	if (n < 0 || access(type_file, F_OK)) {
		result("uprobe_past_end", "%s", n < 0 ? "no-exe" : "no-pmu");
		return;
	}
	self[n] = 0;
	if (stat(self, &st))
		die("stat /proc/self/exe");
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = read_int_file(type_file);
	attr.config1 = (unsigned long)self;	/* uprobe_path */
	attr.config2 = st.st_size + 4096;	/* probe_offset */
	fd = perf_open(&attr, -1, 0);
	result("uprobe_past_end", "%s", fd < 0 ? strerrorname_np(errno) : "ok");
	if (fd >= 0)
		close(fd);
}

/* A raw tracepoint whose arguments 3.10 declares differently: sched_switch. */
static void sched_switch_args(void)
{
	struct bpf_link *link = check_link(bpf_program__attach_raw_tracepoint(prog("rawtp_switch"), "sched_switch"),
					   "raw_tracepoint sched_switch");
	unsigned long long hits, good;
	int i;

	reset_counts();
	for (i = 0; i < N; i++)
		usleep(1000); /* each sleep switches this process out */
	bpf_link__destroy(link);
	hits = count(SLOT_SWITCH);
	good = count(SLOT_SWITCH_ARGS);
	if (hits && good == hits)
		result("raw_tracepoint_sched_switch", "preempt-prev-next");
	else
		result("raw_tracepoint_sched_switch", "wrong (%llu of %llu switches)", good, hits);
}

int main(int argc, char **argv)
{
	__u64 pid = getpid(), nr = SYS_getpgid;
	__u32 k0 = 0, k1 = 1;
	int cfg_fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s attach.bpf.o [module:symbol]\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		die("open object");
	if (bpf_object__load(obj))
		die("load object");
	counts_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "counts"));
	cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "cfg"));
	if (bpf_map_update_elem(cfg_fd, &k0, &pid, BPF_ANY) || bpf_map_update_elem(cfg_fd, &k1, &nr, BPF_ANY))
		die("cfg");
	result("loaded", "yes");
	if (access("/sys/kernel/tracing/events", F_OK))
		tracefs = "/sys/kernel/debug/tracing";
	if (!kallsyms_addr(sys_getpgid))
		sys_getpgid = "SyS_getpgid";
	kprobes_tracepoints();
	kretprobe_at_address(kallsyms_addr(sys_getpgid));
	sched_switch_args();
	uprobes();
	uprobe_past_end();
	perf_events();
	sampling_limits();
	if (argc == 3)
		module_kprobe(argv[2]);
	bpf_object__close(obj);
	result("done", "yes");
	return 0;
}
