// SPDX-License-Identifier: GPL-2.0
/* perf_raw_record's fragments (4.7; RHEL 7.6 backports them with its eBPF): compat/perf.h. */
#include <linux/perf_event.h>

void *bpfdrv_probe(struct perf_sample_data *data, u32 *size);
void *bpfdrv_probe(struct perf_sample_data *data, u32 *size)
{
	*size = data->raw->frag.size;
	return data->raw->frag.data;
}
