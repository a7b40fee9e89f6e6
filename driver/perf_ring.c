// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated PERF_COUNT_SW_BPF_OUTPUT events: a perf ring user space mmaps and polls
 * exactly like the kernel's (struct perf_event_mmap_page, then 2^n data pages of
 * PERF_RECORD_SAMPLE / PERF_RECORD_LOST records), so libbpf's perf_buffer reads it
 * unchanged. Producers are programs on the ring's CPU; wakeups go through irq_work
 * because a program may run where waking a task is not allowed.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/irq_work.h>
#include <linux/wait.h>
#include <linux/vmalloc.h>
#include <linux/perf_event.h>
#include "bpfdrv.h"
#include "map_lock.h"
#include "stats.h"
#include "compat.h"

/* Offsets in struct perf_event_mmap_page (stable uapi layout). */
#define MMAP_PAGE_VERSION 0
#define MMAP_PAGE_DATA_HEAD 1024
#define MMAP_PAGE_DATA_TAIL 1032
#define MMAP_PAGE_DATA_OFFSET 1040
#define MMAP_PAGE_DATA_SIZE 1048

struct bpfdrv_perf_ring {
	spinlock_t lock;
	struct mutex mmap_mutex;
	int cpu;
	bool enabled;
	/*
	 * perf's two wakeup rules: every wakeup_events samples (0: off; always off in
	 * watermark mode), and whenever head runs more than watermark bytes past the last
	 * watermark wakeup (wakeup_watermark in watermark mode, else half the buffer).
	 */
	u32 wakeup_events, events_since_wakeup, wakeup_watermark;
	u64 watermark, wakeup_pos;
	u8 *base; /* area.addr: 1 control page + data pages */
	struct bpfdrv_user_area area;
	u64 data_size, head, lost;
	wait_queue_head_t wq;
	struct irq_work wakeup;
};

struct perf_record_header {
	u32 type;
	u16 misc;
	u16 size;
};

static u64 *ring_u64(struct bpfdrv_perf_ring *r, unsigned int off)
{
	return (u64 *)(r->base + off);
}

static void ring_wakeup_fn(struct irq_work *work)
{
	struct bpfdrv_perf_ring *r = container_of(work, struct bpfdrv_perf_ring, wakeup);

	wake_up_all(&r->wq);
}

static void ring_copy_in(struct bpfdrv_perf_ring *r, u64 pos, const void *src, u32 len)
{
	u8 *data = r->base + PAGE_SIZE;
	u64 off = pos & (r->data_size - 1);
	u32 first = min_t(u64, len, r->data_size - off);

	memcpy(data + off, src, first);
	if (len > first)
		memcpy(data, (const u8 *)src + first, len - first);
}

static void ring_zero(struct bpfdrv_perf_ring *r, u64 pos, u32 len)
{
	static const u8 zeros[8];

	while (len) {
		u32 n = min_t(u32, len, sizeof(zeros));

		ring_copy_in(r, pos, zeros, n);
		pos += n;
		len -= n;
	}
}

int bpfdrv_perf_ring_output(struct bpfdrv_perf_ring *r, const void *data, u32 size)
{
	struct perf_record_header hdr;
	u32 raw_size = round_up(size + sizeof(u32), sizeof(u64)) - sizeof(u32);
	u32 rec_size = sizeof(hdr) + sizeof(u32) + raw_size;
	u32 lost_size = sizeof(hdr) + 2 * sizeof(u64);
	unsigned long flags;
	u64 tail, need;
	int err = 0;
	bool wake = false;

	if (rec_size > 0xffff)
		return -E2BIG;
	bpfdrv_map_lock_irqsave(&r->lock, flags);
	if (!r->base || !r->enabled) {
		err = -ENOENT;
		goto out;
	}
	/* Pairs with the reader's store of data_tail: the space it frees is read out. */
	tail = smp_load_acquire(ring_u64(r, MMAP_PAGE_DATA_TAIL));
	need = rec_size + (r->lost ? lost_size : 0);
	/*
	 * perf's CIRC_SPACE: at most data_size - 1 bytes in use, so a full ring holds the
	 * same number of records as the kernel's. A data_tail user space moved past head
	 * reads as a full ring, never as space.
	 */
	if (r->head - tail >= r->data_size || r->data_size - 1 - (r->head - tail) < need) {
		r->lost++;
		bpfdrv_stats_events(0, 1);
		err = -ENOSPC;
		goto out;
	}
	if (r->lost) {
		u64 body[2] = { 0, r->lost };

		hdr.type = PERF_RECORD_LOST;
		hdr.misc = 0;
		hdr.size = lost_size;
		ring_copy_in(r, r->head, &hdr, sizeof(hdr));
		ring_copy_in(r, r->head + sizeof(hdr), body, sizeof(body));
		r->head += lost_size;
		r->lost = 0;
	}
	hdr.type = PERF_RECORD_SAMPLE;
	hdr.misc = 0;
	hdr.size = rec_size;
	ring_copy_in(r, r->head, &hdr, sizeof(hdr));
	ring_copy_in(r, r->head + sizeof(hdr), &raw_size, sizeof(u32));
	ring_copy_in(r, r->head + sizeof(hdr) + sizeof(u32), data, size);
	ring_zero(r, r->head + sizeof(hdr) + sizeof(u32) + size, raw_size - size);
	r->head += rec_size;
	/* Publish the record before the new head (pairs with the reader's acquire). */
	smp_store_release(ring_u64(r, MMAP_PAGE_DATA_HEAD), r->head);
	bpfdrv_stats_events(1, 0);
	if (r->wakeup_events && ++r->events_since_wakeup >= r->wakeup_events) {
		r->events_since_wakeup -= r->wakeup_events;
		wake = true;
	}
	if (r->head - r->wakeup_pos > r->watermark) {
		r->wakeup_pos += r->watermark;
		wake = true;
	}
out:
	spin_unlock_irqrestore(&r->lock, flags);
	if (wake)
		irq_work_queue(&r->wakeup);
	return err;
}

static int ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct bpfdrv_perf_ring *r = file->private_data;
	unsigned long size = vma->vm_end - vma->vm_start;
	unsigned long nr_data = (size >> PAGE_SHIFT) - 1;
	unsigned long flags;
	struct bpfdrv_user_area area;
	u8 *base;
	int err = 0;

	if (vma->vm_pgoff || !(vma->vm_flags & VM_SHARED) || size < 2 * PAGE_SIZE ||
	    !is_power_of_2(nr_data) || nr_data > (1ul << 16))
		return -EINVAL;
	mutex_lock(&r->mmap_mutex);
	if (r->base) {
		/* Like perf: a second mapping must have the same size. */
		if (size != r->data_size + PAGE_SIZE)
			err = -EINVAL;
		else
			err = remap_vmalloc_range(vma, r->base, 0);
		goto out;
	}
	err = bpfdrv_user_area_alloc(&area, size);
	if (err)
		goto out;
	base = area.addr;
	*(u32 *)(base + MMAP_PAGE_VERSION) = 0;
	*(u64 *)(base + MMAP_PAGE_DATA_OFFSET) = PAGE_SIZE;
	*(u64 *)(base + MMAP_PAGE_DATA_SIZE) = size - PAGE_SIZE;
	err = remap_vmalloc_range(vma, base, 0);
	if (err) {
		bpfdrv_user_area_free(&area);
		goto out;
	}
	/* bpf_perf_event_output takes this lock: no program may start under it here. */
	bpfdrv_disable_instrumentation();
	bpfdrv_map_lock_irqsave(&r->lock, flags);
	r->area = area;
	r->data_size = size - PAGE_SIZE;
	r->watermark = r->wakeup_watermark ? min_t(u64, r->wakeup_watermark, r->data_size) :
					     r->data_size / 2;
	r->base = base;
	spin_unlock_irqrestore(&r->lock, flags);
	bpfdrv_enable_instrumentation();
out:
	mutex_unlock(&r->mmap_mutex);
	return err;
}

static unsigned int ring_poll(struct file *file, poll_table *wait)
{
	struct bpfdrv_perf_ring *r = file->private_data;
	unsigned int mask = 0;

	poll_wait(file, &r->wq, wait);
	if (READ_ONCE(r->base)) {
		/* Pairs with the store-release of data_head after a record is written. */
		u64 head = smp_load_acquire(ring_u64(r, MMAP_PAGE_DATA_HEAD));

		if (head != READ_ONCE(*ring_u64(r, MMAP_PAGE_DATA_TAIL)))
			mask |= POLLIN | POLLRDNORM;
	}
	return mask;
}

static long ring_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bpfdrv_perf_ring *r = file->private_data;

	switch (cmd) {
	case PERF_EVENT_IOC_ENABLE:
		WRITE_ONCE(r->enabled, true);
		return 0;
	case PERF_EVENT_IOC_DISABLE:
		WRITE_ONCE(r->enabled, false);
		return 0;
	case PERF_EVENT_IOC_RESET:
	case PERF_EVENT_IOC_REFRESH:
		return 0;
	default:
		bpfdrv_warn("perf ioctl 0x%x is not supported on a BPF output event\n", cmd);
		return -ENOTTY;
	}
}

static int ring_release(struct inode *inode, struct file *file)
{
	struct bpfdrv_perf_ring *r = file->private_data;

	/* No program can reach us any more: the map slots held file references. */
	irq_work_sync(&r->wakeup);
	bpfdrv_user_area_free(&r->area);
	kfree(r);
	bpfdrv_stats_obj(BPFDRV_STAT_RING, -1);
	return 0;
}

static const struct file_operations bpfdrv_ring_fops = {
	.owner = THIS_MODULE,
	.release = ring_release,
	.mmap = ring_mmap,
	.poll = ring_poll,
	BPFDRV_IOCTL(ring_ioctl)
	.llseek = noop_llseek,
};

int bpfdrv_perf_ring_open(const struct bpfdrv_perf_event_attr *attr, int cpu, int flags)
{
	struct bpfdrv_perf_ring *r;
	int fd;

	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	if (attr->sample_type & ~BPFDRV_PERF_SAMPLE_RAW) {
		bpfdrv_warn("BPF output events support sample_type PERF_SAMPLE_RAW only\n");
		return -EINVAL;
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	spin_lock_init(&r->lock);
	mutex_init(&r->mmap_mutex);
	init_waitqueue_head(&r->wq);
	init_irq_work(&r->wakeup, ring_wakeup_fn);
	r->cpu = cpu;
	r->enabled = !(attr->flags & BPFDRV_PERF_ATTR_FLAG_DISABLED);
	/* One union in perf_event_attr: wakeup_watermark (bytes) in watermark mode. */
	if (attr->flags & BPFDRV_PERF_ATTR_FLAG_WATERMARK)
		r->wakeup_watermark = attr->wakeup_events;
	else
		r->wakeup_events = attr->wakeup_events;
	bpfdrv_stats_obj(BPFDRV_STAT_RING, 1);
	fd = bpfdrv_new_fd("bpf-perf-output", &bpfdrv_ring_fops, r, flags);
	if (fd < 0) {
		bpfdrv_stats_obj(BPFDRV_STAT_RING, -1);
		kfree(r);
	}
	return fd;
}

struct bpfdrv_perf_ring *bpfdrv_perf_ring_from_fd(int fd, struct file **filep)
{
	struct file *file = bpfdrv_fget_typed(fd, &bpfdrv_ring_fops, -EINVAL);

	if (IS_ERR(file))
		return ERR_CAST(file);
	*filep = file;
	return file->private_data;
}

int bpfdrv_perf_ring_cpu(const struct bpfdrv_perf_ring *ring)
{
	return ring->cpu;
}
