// SPDX-License-Identifier: GPL-2.0
/*
 * synth_test OBJ: attach synth.bpf.o's four syscall tracepoint programs (libbpf's usual
 * route: <tracefs>/events/syscalls/<event>/id, perf_event_open, then link or SET_BPF),
 * make one clone (SIGCHLD, with recognisable pointer arguments; the child's own return
 * counts separately) and one invalid
 * arch_prctl, and print what the programs saw as
 * "BPFCOMPAT-RESULT synth_<slot>=..." lines; the values that differ between runs
 * (the child's pid) are printed relative to what the syscall returned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct seen {
	__u64 hits;
	__s64 nr;
	__u64 args[5];
	__s64 ret;
};

static void die(const char *what)
{
	printf("BPFCOMPAT-RESULT synth_fatal=%s: %s\n", what, strerror(errno));
	exit(1);
}

static void show(int fd, __u32 i, const char *name, long expect_ret)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	if (bpf_map_lookup_elem(fd, &i, &s))
		die("lookup");
	printf("BPFCOMPAT-RESULT synth_%s=hits=%llu nr=%lld args=%llx,%llx,%llx,%llx,%llx ret=%s\n",
	       name, (unsigned long long)s.hits, (long long)s.nr,
	       (unsigned long long)s.args[0], (unsigned long long)s.args[1],
	       (unsigned long long)s.args[2], (unsigned long long)s.args[3],
	       (unsigned long long)s.args[4],
	       s.ret == expect_ret ? "as-returned" : "other");
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	long child, rc;
	int fd, n = 0;

	if (argc != 2)
		return 2;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		die("open");
	if (bpf_map__set_initial_value(bpf_object__find_map_by_name(obj, ".rodata"),
				       &(__u32){ getpid() }, sizeof(__u32)))
		die("rodata");
	if (bpf_object__load(obj))
		die("load");
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog))
			die(bpf_program__name(prog));
		n++;
	}
	printf("BPFCOMPAT-RESULT synth_attached=%d\n", n);
	fflush(stdout);

	/* fork()-like clone; parent_tid, child_tid, tls are ignored without their flags. */
	child = syscall(SYS_clone, (long)SIGCHLD, 0L, 0x1111000L, 0x2222000L, 0x3333000L);
	if (child == 0)
		_exit(0);
	if (child < 0)
		die("clone");
	waitpid(child, NULL, 0);
	rc = syscall(SYS_arch_prctl, 0x7777, 0x4444000L); /* invalid option: EINVAL */

	fd = bpf_object__find_map_fd_by_name(obj, "seen");
	show(fd, 0, "enter_clone", 0);
	show(fd, 1, "exit_clone", child);
	show(fd, 2, "enter_arch_prctl", 0);
	show(fd, 3, "exit_arch_prctl", rc < 0 ? -errno : rc);
	show(fd, 4, "child_exit_clone", 0);
	bpf_object__close(obj);
	return 0;
}
