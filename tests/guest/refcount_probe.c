// SPDX-License-Identifier: GPL-2.0
/*
 * refcount_probe: a program or map referenced from more prog array / map-in-map slots
 * than its reference count allows is refused, never wrapped (issue 14, item 9).
 *
 * Run with bpfdrv.ko loaded with max_refs=LIMIT (argv[1]). It fills a prog array of
 * 2 * LIMIT slots with one program and an array of maps with one inner map until an
 * update fails; at that point it asks for the program by id and for its info, then frees
 * one slot and fills it again. Prints "R key=value" lines: prog_slots / map_slots (updates
 * that succeeded), prog_err / map_err (the failing update's errno), by_id_at_limit and
 * info_at_limit (PROG_GET_FD_BY_ID and OBJ_GET_INFO_BY_FD then), refill (the update after
 * a delete). Exit status 0 when every call it needed to set this up worked.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_sys.h"

static const char *result(long ret)
{
	if (ret >= 0)
		return "ok";
	switch (errno) {
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case E2BIG: return "E2BIG";
	}
	return strerror(errno);
}

static void die(const char *what)
{
	printf("R error=%s:%s\n", what, strerror(errno));
	exit(1);
}

static int map_create(unsigned int type, unsigned int entries, int inner_fd)
{
	union bpf_attr a;

	sys_bpf_map_attr(&a, type, 4, entries, 0);
	a.inner_map_fd = inner_fd;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

/* r0 = 0; exit */
static int prog_load(void)
{
	struct bpf_insn insns[2];

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[1].code = BPF_JMP | BPF_EXIT;
	return sys_bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, 2);
}

static long update(int map_fd, uint32_t key, uint32_t value)
{
	return sys_bpf_elem(BPF_MAP_UPDATE_ELEM, map_fd, &key, &value, 0);
}

static long delete(int map_fd, uint32_t key)
{
	return sys_bpf_elem(BPF_MAP_DELETE_ELEM, map_fd, &key, NULL, 0);
}

static long prog_info(int fd, struct bpf_prog_info *info)
{
	memset(info, 0, sizeof(*info));
	return sys_bpf_obj_info(fd, info, sizeof(*info));
}

/* Fill slots 0.. of @map_fd with @value_fd until an update fails; prints NAME_slots/_err. */
static unsigned int fill(const char *name, int map_fd, int value_fd, unsigned int slots)
{
	unsigned int n = 0;
	long ret = 0;

	while (n < slots && (ret = update(map_fd, n, value_fd)) == 0)
		n++;
	printf("R %s_slots=%u\nR %s_err=%s\n", name, n, name, n < slots ? result(ret) : "none");
	return n;
}

int main(int argc, char **argv)
{
	unsigned int limit = argc > 1 ? atoi(argv[1]) : 64, n;
	int prog_fd = prog_load(), parr_fd, inner_fd, outer_fd;
	struct bpf_prog_info info;
	union bpf_attr a;
	long ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (prog_fd < 0)
		die("prog_load");
	if (prog_info(prog_fd, &info))
		die("prog_info");
	parr_fd = map_create(BPF_MAP_TYPE_PROG_ARRAY, 2 * limit, 0);
	if (parr_fd < 0)
		die("prog_array");
	n = fill("prog", parr_fd, prog_fd, 2 * limit);
	memset(&a, 0, sizeof(a));
	a.prog_id = info.id;
	ret = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	printf("R by_id_at_limit=%s\n", result(ret));
	if (ret >= 0)
		close(ret);
	printf("R info_at_limit=%s\n", result(prog_info(prog_fd, &info)));
	if (n && delete(parr_fd, n - 1))
		die("delete");
	printf("R refill=%s\n", result(update(parr_fd, n - 1, prog_fd)));

	inner_fd = map_create(BPF_MAP_TYPE_ARRAY, 1, 0);
	outer_fd = inner_fd < 0 ? -1 : map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 2 * limit, inner_fd);
	if (outer_fd < 0)
		die("array_of_maps");
	fill("map", outer_fd, inner_fd, 2 * limit);
	/* Closing drops every slot's reference: rmmod then finds nothing alive. */
	close(outer_fd);
	close(inner_fd);
	close(parr_fd);
	close(prog_fd);
	return 0;
}
