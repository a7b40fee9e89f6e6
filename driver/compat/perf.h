/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Perf events: the raw sample of a trace event, reading a counter.
 */
#ifndef BPFDRV_COMPAT_PERF_H
#define BPFDRV_COMPAT_PERF_H

#include <linux/perf_event.h>
#include "base.h"

/* The raw trace record perf hands to an overflow handler. */
static inline void *bpfdrv_sample_raw(struct perf_sample_data *data, u32 *size)
{
	if (!data->raw)
		return NULL;
/* The 4.7 fragment layout, which RHEL 7.6 (3.10.0-957) backported with its eBPF tracing. */
#ifdef HAVE_PERF_RAW_FRAG /* compat/features/perf_raw_frag.c */
	*size = data->raw->frag.size;
	return data->raw->frag.data;
#else
	*size = data->raw->size;
	return data->raw->data;
#endif
}

/*
 * perf_event_read_local(event, &value, &enabled, &running): the NMI-safe read of a
 * counter local to this CPU or task that bpf_perf_event_read uses. That signature is
 * 4.15's (4.3 returned the value, 4.13 added the errno); earlier kernels get no
 * counter reads. Never exported: found with bpfdrv_kallsyms_lookup_name.
 * RHEL 7.9 has this signature too, but the version decides: a feature
 * probe would move CentOS 7 off the path it is tested with.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0) && defined(CONFIG_PERF_EVENTS)
#define BPFDRV_HAVE_PERF_READ_LOCAL 1
typedef typeof(&perf_event_read_local) bpfdrv_perf_read_local_t;
#else
#define BPFDRV_HAVE_PERF_READ_LOCAL 0
typedef int (*bpfdrv_perf_read_local_t)(struct perf_event *event, u64 *value, u64 *enabled,
					u64 *running);
#endif

#endif /* BPFDRV_COMPAT_PERF_H */
