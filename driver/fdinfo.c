// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/<pid>/fdinfo/<fd> for map, program and link fds, in the text and order of
 * Linux 6.1 (kernel/bpf/syscall.c bpf_map_show_fdinfo, bpf_prog_show_fdinfo,
 * bpf_link_show_fdinfo). bpftool and libbpf parse these lines. memlock follows the
 * kernel's estimates (value footprint rounded to pages; instruction bytes rounded to
 * pages) since there is no charged memory to report.
 */
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include "bpfdrv.h"
#include "compat.h"

void bpfdrv_map_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct bpfdrv_map *map = file->private_data;
	unsigned long memlock = round_up((u64)map->max_entries *
					 round_up(map->key_size + map->value_size, 8), PAGE_SIZE);

	seq_printf(m, "map_type:\t%u\nkey_size:\t%u\nvalue_size:\t%u\nmax_entries:\t%u\n"
		   "map_flags:\t%#x\nmap_extra:\t%#llx\nmemlock:\t%lu\nmap_id:\t%u\nfrozen:\t%u\n",
		   map->map_type, map->key_size, map->value_size, map->max_entries,
		   map->map_flags, 0ULL, memlock, map->id, map->frozen ? 1 : 0);
	/* Interpreted programs are never JIT-compiled: owner_jited is 0. */
	if (map->map_type == BPFDRV_MAP_TYPE_PROG_ARRAY && bpfdrv_prog_array_owner(map) != U32_MAX)
		seq_printf(m, "owner_prog_type:\t%u\nowner_jited:\t%u\n",
			   bpfdrv_prog_array_owner(map), 0);
}

static void tag_hex(const u8 *tag, char *out)
{
	int i;

	for (i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", tag[i]);
}

void bpfdrv_prog_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct bpfdrv_prog *prog = file->private_data;
	u64 memlock = round_up((u64)prog->eprog.len * sizeof(struct ebpf_insn) + 72, PAGE_SIZE);
	char tag[17];

	tag_hex(prog->tag, tag);
	seq_printf(m, "prog_type:\t%u\nprog_jited:\t%u\nprog_tag:\t%s\nmemlock:\t%llu\n"
		   "prog_id:\t%u\nrun_time_ns:\t%llu\nrun_cnt:\t%llu\nrecursion_misses:\t%llu\n"
		   "verified_insns:\t%u\n",
		   prog->type, 0, tag, memlock, prog->id,
		   (u64)atomic64_read(&prog->run_time_ns), (u64)atomic64_read(&prog->run_cnt),
		   (u64)atomic64_read(&prog->missed), prog->eprog.len);
}

void bpfdrv_link_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct bpfdrv_link *link = file->private_data;
	char tag[17];

	tag_hex(link->prog->tag, tag);
	seq_printf(m, "link_type:\t%s\nlink_id:\t%u\nprog_tag:\t%s\nprog_id:\t%u\n",
		   link->ops->name, link->id, tag, link->prog->id);
	if (link->ops->show_fdinfo)
		link->ops->show_fdinfo(link, m);
}

BPFDRV_SHOW_FDINFO_INT(bpfdrv_map_show_fdinfo)
BPFDRV_SHOW_FDINFO_INT(bpfdrv_prog_show_fdinfo)
BPFDRV_SHOW_FDINFO_INT(bpfdrv_link_show_fdinfo)
