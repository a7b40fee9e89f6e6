// SPDX-License-Identifier: GPL-2.0
/*
 * static_libbpf: a libbpf tool linked fully statically (gcc -static with Debian's
 * libbpf.a, libelf.a and zlib), as vendors ship tools that must run on any distribution.
 * No dynamic libc, so LD_PRELOAD never reaches it: on the kernels without bpf(2) it runs
 * through `bpfhook run`'s launcher (tests/tests/guest_launcher.rs).
 *
 * The BPF side is tests/rust-loader's probe.bpf.c (CO-RE: libbpf relocates it against
 * the kernel's BTF), embedded by bpftool's skeleton as libbpf-tools embed theirs. It
 * prints the facts rust-loader and go-loader print: the ring buffer's events, the hash
 * map's counts and the .bss counter (read through the skeleton's mmap of the map).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* getppid calls; each fires the kprobe and the tracepoint once. */
#define CALLS 50

/* The event kinds of probe.bpf.c. */
static const struct {
	__u32 id;
	const char *name;
} kinds[] = { { 1, "kprobe" }, { 2, "tracepoint" } };

static unsigned long seen[3];

static int on_event(void *ctx, void *data, size_t size)
{
	__u32 kind;

	if (size >= sizeof(kind)) {
		memcpy(&kind, data, sizeof(kind));
		if (kind < ARRAY_SIZE(seen))
			seen[kind]++;
	}
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "static_libbpf: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *kprobe, *tracepoint;
	struct ring_buffer *rb;
	struct probe *skel;
	unsigned int i;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: static_libbpf KPROBE_SYMBOL\n");
		return 2;
	}
	skel = probe__open();
	if (!skel)
		return fail("open the skeleton", errno);
	skel->rodata->target_tgid = getpid();
	err = probe__load(skel);
	if (err)
		return fail("load into the kernel", err);
	kprobe = bpf_program__attach_kprobe(skel->progs.on_getppid_kprobe, false, argv[1]);
	if (!kprobe)
		return fail("attach the kprobe", errno);
	tracepoint = bpf_program__attach(skel->progs.on_getppid_tracepoint);
	if (!tracepoint)
		return fail("attach the tracepoint", errno);
	printf("attached\n");

	for (i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb)
		return fail("ring buffer", errno);
	/* Every event is in the buffer already; a few polls in case a wakeup is late. */
	for (i = 0; i < 20 && seen[1] + seen[2] < 2 * CALLS; i++)
		ring_buffer__poll(rb, 250);

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		__u64 n = 0;

		printf("ringbuf %s events=%lu\n", kinds[i].name, seen[kinds[i].id]);
		if (bpf_map__lookup_elem(skel->maps.counts, &kinds[i].id, sizeof(kinds[i].id), &n, sizeof(n), 0))
			n = 0;
		printf("map counts[%s]=%llu\n", kinds[i].name, (unsigned long long)n);
	}
	printf("bss seq=%llu\n", (unsigned long long)skel->bss->seq);
	printf("done\n");

	ring_buffer__free(rb);
	bpf_link__destroy(tracepoint);
	bpf_link__destroy(kprobe);
	probe__destroy(skel);
	return 0;
}
