// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel perf events in a PERF_EVENT_ARRAY, for bpf_perf_event_read (22) and
 * bpf_perf_event_read_value (55): the counting events a tool opens itself (the hook
 * leaves them with the kernel) and stores by fd. Linux recognises their files by
 * perf_fops (perf_event_get) and reads them with perf_event_read_local; neither is
 * exported to modules, so both are looked up by name once, by the first map update
 * that needs them.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include "bpfdrv.h"
#include "compat.h"

static DEFINE_MUTEX(resolve_mutex);
/* 0: not looked up yet; 1: both found; -EOPNOTSUPP: this kernel cannot read counters. */
static int resolved;
static const struct file_operations *kernel_perf_fops;
static bpfdrv_perf_read_local_t read_local;

static int resolve_symbols_locked(void)
{
	if (!BPFDRV_HAVE_PERF_READ_LOCAL) {
		bpfdrv_warn("kernel perf events in perf event arrays need kernel 4.15+ (perf_event_read_local(event, value, enabled, running))\n");
		return -EOPNOTSUPP;
	}
	kernel_perf_fops = (void *)bpfdrv_kallsyms_lookup_name("perf_fops");
	read_local = (void *)bpfdrv_kallsyms_lookup_name("perf_event_read_local");
	if (!kernel_perf_fops || !read_local) {
		bpfdrv_warn("kernel perf events in perf event arrays: %s not found in kallsyms (CONFIG_KALLSYMS_ALL?)\n",
			    kernel_perf_fops ? "perf_event_read_local" : "perf_fops");
		return -EOPNOTSUPP;
	}
	return 1;
}

/*
 * Look the symbols up on first use: 1 when counters can be read, else -EOPNOTSUPP.
 * Only map updates get here (process context, rare), so the mutex is taken every time.
 * Programs read read_local only for an event published later by rcu_assign_pointer.
 */
static int resolve_symbols(void)
{
	int ret;

	mutex_lock(&resolve_mutex);
	if (!resolved)
		resolved = resolve_symbols_locked();
	ret = resolved;
	mutex_unlock(&resolve_mutex);
	return ret;
}

/*
 * The kernel perf event behind @fd, with a reference on its file (the map keeps the
 * file, as Linux's bpf_event_entry does). -EBADF: not a perf event (perf_event_get);
 * -EOPNOTSUPP: an inherited event, which cannot be read from a program (Linux tries a
 * read at update time to refuse it), or a kernel without perf_event_read_local.
 */
struct file *bpfdrv_perf_counter_fget(int fd, struct perf_event **eventp)
{
	struct perf_event *event;
	struct file *file;
	int err;
	u64 value;

	err = resolve_symbols();
	if (err < 0)
		return ERR_PTR(err);
	file = bpfdrv_fget_typed(fd, kernel_perf_fops, -EBADF);
	if (IS_ERR(file))
		return file;
	event = file->private_data;
	if (read_local(event, &value, NULL, NULL) == -EOPNOTSUPP) {
		fput(file);
		return ERR_PTR(-EOPNOTSUPP);
	}
	*eventp = event;
	return file;
}

/*
 * perf_event_read_local: 0, or -EINVAL (not this CPU's / current task's event), -EBUSY
 * (pinned and not running here), -EOPNOTSUPP (inherited). Any context, never sleeps.
 * Only events from bpfdrv_perf_counter_fget reach here, so the symbols are resolved.
 */
int bpfdrv_perf_counter_read(struct perf_event *event, u64 *value, u64 *enabled, u64 *running)
{
	return read_local(event, value, enabled, running);
}
