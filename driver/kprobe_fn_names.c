// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel functions under the names older kernels give them, for kprobes.
 *
 * Tools built for current kernels probe functions by their current names: fsdist,
 * fsslower, ext4dist and ext4slower put kprobes on ext4_file_read_iter,
 * ext4_file_write_iter and ext4_file_getattr. Before 3.16 (read_iter / write_iter) and
 * 4.11 (a getattr of its own for regular files) the same entry points of ext4 have other
 * names, and natively the tool fails with ENOENT there. When a probed name does not exist
 * and the function that plays its part on this kernel does, the probe goes there. Only
 * renames of one function's role are listed, with the argument the tools read in the
 * same place: the read/write entries take the struct kiocb * first either way (the rest
 * of the arguments changed with iov_iter, which these tools do not read), and what they
 * return is the same byte count or -errno.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include "bpfdrv.h"
#include "compat.h"

static const struct {
	const char *current_name;
	const char *old_name;	/* the function with that role on older kernels */
} kprobe_fn_renames[] = {
	/* 3.16 read_iter; RHEL 7's ext4 has its own .aio_read (mainline 3.10: generic) */
	{ "ext4_file_read_iter", "ext4_file_read" },
	/* 3.16 write_iter; .aio_write before */
	{ "ext4_file_write_iter", "ext4_file_write" },
	/* 4.11 split regular files' getattr off ext4_getattr (which directories keep) */
	{ "ext4_file_getattr", "ext4_getattr" },
};

void bpfdrv_kprobe_fn_name(char *sym, size_t size)
{
	unsigned int i;

	bpfdrv_syscall_fn_name(sym);
	if (strchr(sym, ':'))
		return;	/* module:func, resolved by the kprobe core */
	for (i = 0; i < ARRAY_SIZE(kprobe_fn_renames); i++) {
		if (strcmp(sym, kprobe_fn_renames[i].current_name))
			continue;
		if (bpfdrv_kallsyms_lookup_name(sym) ||
		    !bpfdrv_kallsyms_lookup_name(kprobe_fn_renames[i].old_name))
			return;
		pr_info(BPFDRV_LOG_PREFIX "kprobe on %s: probing %s, its name on this kernel\n",
			sym, kprobe_fn_renames[i].old_name);
		snprintf(sym, size, "%s", kprobe_fn_renames[i].old_name);
		return;
	}
}
