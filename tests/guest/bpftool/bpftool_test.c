// SPDX-License-Identifier: GPL-2.0
/*
 * Loader for the bpftool test: loads bpftool.bpf.o, attaches bt_count to the sys_enter
 * raw tracepoint (a link for `bpftool link list`), puts bt_seven in bt_progs[0], and
 * waits until it is killed so bpftool sees the objects by id.
 */
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_link *link;
	__u32 k = 0;
	int fd;

	if (argc < 2)
		return 2;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		printf("BPFCOMPAT-RESULT loader=load-failed\n");
		return 1;
	}
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "bt_count"));
	if (!link) {
		printf("BPFCOMPAT-RESULT loader=attach-failed\n");
		return 1;
	}
	fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "bt_seven"));
	if (bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "bt_progs")), &k, &fd, 0)) {
		printf("BPFCOMPAT-RESULT loader=prog-array-failed\n");
		return 1;
	}
	printf("BPFCOMPAT-RESULT loader=ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
