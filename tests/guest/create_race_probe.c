// SPDX-License-Identifier: GPL-2.0
/*
 * create_race_probe: object creation racing with lookup by id (issue 14, section 0).
 *
 * For maps, then programs, two processes run for SECONDS each:
 *  - a creator whose RLIMIT_NOFILE leaves one free descriptor: each round creates an
 *    object (it gets the free fd), then FAILING more — each allocates an id, then fails
 *    with EMFILE — and closes the first at once;
 *  - a walker asking GET_FD_BY_ID for the id the creator's failing create is about to
 *    take (ids are cyclic; the creator shares it), and every 16th round doing what
 *    `bpftool map|prog list` does (GET_NEXT_ID from 0). Whatever it gets it checks with
 *    OBJ_GET_INFO_BY_FD against what the creator asked for, mmaps and writes (maps), and
 *    closes.
 * Linux keeps every object the walker reaches alive until its fd closes. A module that
 * frees an object while a GET_FD_BY_ID fd holds it gives poisoned info, faults in mmap
 * or info, or double-frees on close (the guest's dmesg check catches the rest).
 *
 * Usage: create_race_probe [SECONDS [map|prog]] (3 s, both kinds by default).
 * Prints "R key=value" lines: per kind the creator's successes, EMFILE failures and
 * other errors, the walker's rounds, fds it got by id (held_failing: of an object whose
 * fd installation was failing), and info records that were wrong (must be 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"

#define MAP_NAME "race_map"
#define REF_NAME "race_ref"
#define PROG_NAME "race_prog"
#define VALUE_SIZE 64
#define ENTRIES 64
#define FAILING 16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int map_create(const char *name, int type, unsigned int flags)
{
	union bpf_attr a;

	sys_bpf_map_attr(&a, type, VALUE_SIZE, ENTRIES, flags);
	strncpy(a.map_name, name, sizeof(a.map_name) - 1);
	return sys_bpf(BPF_MAP_CREATE, &a);
}

/* r0 = map (ld_imm64 of ref_fd); r0 = 0; exit: a socket filter that references one map. */
static int prog_load(int ref_fd)
{
	struct bpf_insn insns[4];
	union bpf_attr a;

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_LD | BPF_DW | BPF_IMM;
	insns[0].dst_reg = BPF_REG_0;
	insns[0].src_reg = BPF_PSEUDO_MAP_FD;
	insns[0].imm = ref_fd;
	insns[2].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[2].dst_reg = BPF_REG_0;
	insns[3].code = BPF_JMP | BPF_EXIT;
	sys_bpf_prog_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, insns, 4);
	strncpy(a.prog_name, PROG_NAME, sizeof(a.prog_name) - 1);
	return sys_bpf(BPF_PROG_LOAD, &a);
}

struct counts {
	long ok, emfile, other;
};

/*
 * Shared by creator and walker: the id the creator's next failing create takes (ids are
 * allocated cyclically, one per create), so the walker can ask for it while it exists.
 */
static __u32 *hint;

static __u32 obj_id(int fd, int progs)
{
	struct bpf_prog_info pinfo;
	struct bpf_map_info minfo;

	memset(&pinfo, 0, sizeof(pinfo));
	memset(&minfo, 0, sizeof(minfo));
	if (progs ? sys_bpf_obj_info(fd, &pinfo, sizeof(pinfo)) : sys_bpf_obj_info(fd, &minfo, sizeof(minfo)))
		return 0;
	return progs ? pinfo.id : minfo.id;
}

static int create(int progs, int ref, struct counts *c)
{
	int fd = progs ? prog_load(ref) : map_create(MAP_NAME, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE);

	if (fd >= 0)
		c->ok++;
	else if (errno == EMFILE)
		c->emfile++;
	else
		c->other++;
	return fd;
}

/*
 * The creator: one free descriptor. Each round creates an object (it gets the free fd),
 * creates FAILING more (each allocates an id, then fails with EMFILE), closes the first.
 */
static void creator(int progs, double end)
{
	struct counts c = { 0, 0, 0 };
	struct rlimit rl;
	int ref = -1, fd, lowest, i;

	if (progs) {
		ref = map_create(REF_NAME, BPF_MAP_TYPE_ARRAY, 0);
		if (ref < 0) {
			printf("R fatal=ref_map:%s\n", strerror(errno));
			exit(1);
		}
	}
	/* Whatever the hook opens on its first call is open before the limit drops. */
	fd = progs ? prog_load(ref) : map_create(MAP_NAME, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE);
	if (fd < 0 || !obj_id(fd, progs)) {
		printf("R fatal=warmup:%s\n", strerror(errno));
		exit(1);
	}
	close(fd);
	lowest = dup(0);
	close(lowest);
	rl.rlim_cur = rl.rlim_max = lowest + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		printf("R fatal=setrlimit:%s\n", strerror(errno));
		exit(1);
	}
	while (now() < end) {
		__u32 id;

		fd = create(progs, ref, &c);
		if (fd < 0)
			continue;
		id = obj_id(fd, progs);
		for (i = 1; id && i <= FAILING; i++) {
			int extra;

			__atomic_store_n(hint, id + i, __ATOMIC_RELAXED);
			extra = create(progs, ref, &c);
			if (extra >= 0)
				close(extra);
		}
		__atomic_store_n(hint, 0, __ATOMIC_RELAXED);
		close(fd);
	}
	printf("R %s_created=%ld\nR %s_emfile=%ld\nR %s_create_errors=%ld\n", progs ? "prog" : "map", c.ok,
	       progs ? "prog" : "map", c.emfile, progs ? "prog" : "map", c.other);
	fflush(stdout);
	exit(0);
}

static int check_map(int fd, __u32 id, const struct bpf_map_info *info)
{
	void *p;

	if (info->id != id)
		return 1;
	if (strcmp(info->name, MAP_NAME))
		return strcmp(info->name, REF_NAME) != 0;
	if (info->type != BPF_MAP_TYPE_ARRAY || info->key_size != 4 || info->value_size != VALUE_SIZE ||
	    info->max_entries != ENTRIES || info->map_flags != BPF_F_MMAPABLE)
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	((char *)p)[0]++;
	munmap(p, 4096);
	return 0;
}

static int check_prog(__u32 id, const struct bpf_prog_info *info, __u32 map_id)
{
	return info->id != id || info->type != BPF_PROG_TYPE_SOCKET_FILTER || strcmp(info->name, PROG_NAME) ||
	       info->nr_map_ids != 1 || !map_id;
}

struct walk {
	long rounds, by_id, failing, bad;
};

/* GET_FD_BY_ID @id, and if it is there: its info, checked, an mmap for maps, close. */
static int visit(int progs, __u32 id, struct walk *w)
{
	struct bpf_map_info minfo;
	struct bpf_prog_info pinfo;
	union bpf_attr a;
	__u32 map_id = 0;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_id = id; /* prog_id shares the field */
	fd = sys_bpf(progs ? BPF_PROG_GET_FD_BY_ID : BPF_MAP_GET_FD_BY_ID, &a);
	if (fd < 0)
		return 0;
	w->by_id++;
	memset(&minfo, 0, sizeof(minfo));
	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = 1;
	pinfo.map_ids = (uintptr_t)&map_id;
	if (progs ? sys_bpf_obj_info(fd, &pinfo, sizeof(pinfo)) : sys_bpf_obj_info(fd, &minfo, sizeof(minfo)))
		w->bad++;
	else if (progs ? check_prog(id, &pinfo, map_id) : check_map(fd, id, &minfo))
		w->bad++;
	close(fd);
	return 1;
}

/*
 * The walker, until @end: the id the creator's failing create is about to take, and
 * every 16th round what bpftool's list does (GET_NEXT_ID from 0 to the end).
 */
static void walker(int progs, double end)
{
	const char *kind = progs ? "prog" : "map";
	struct walk w = { 0, 0, 0, 0 };

	while (now() < end) {
		__u32 id = __atomic_load_n(hint, __ATOMIC_RELAXED);

		w.rounds++;
		if (id && visit(progs, id, &w))
			w.failing++;
		if (w.rounds % 16)
			continue;
		for (id = 0;;) {
			union bpf_attr a;

			memset(&a, 0, sizeof(a));
			a.start_id = id;
			if (sys_bpf(progs ? BPF_PROG_GET_NEXT_ID : BPF_MAP_GET_NEXT_ID, &a))
				break;
			id = a.next_id;
			visit(progs, id, &w);
		}
	}
	printf("R %s_walks=%ld\nR %s_by_id=%ld\nR %s_held_failing=%ld\nR %s_bad_info=%ld\n", kind, w.rounds, kind,
	       w.by_id, kind, w.failing, kind, w.bad);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	const char *only = argc > 2 ? argv[2] : "";
	int progs, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	hint = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (hint == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (progs = 0; progs < 2; progs++) {
		double end = now() + seconds;
		pid_t pid;

		if (*only && strcmp(only, progs ? "prog" : "map"))
			continue;
		pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		*hint = 0;
		if (!pid)
			creator(progs, end);
		walker(progs, end);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("R %s_creator=failed\n", progs ? "prog" : "map");
			return 1;
		}
	}
	printf("R done=yes\n");
	return 0;
}
