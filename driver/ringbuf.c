// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_RINGBUF with the kernel's exact user-visible layout (kernel/bpf/ringbuf.c),
 * so libbpf's ring_buffer reader works unchanged:
 *
 *   mmap offset 0          consumer page (consumer_pos), read-write
 *   mmap offset PAGE_SIZE  producer page (producer_pos), then the data pages twice,
 *                          read-only: a record that wraps reads linearly
 *
 * Records are an 8-byte header (u32 len with BUSY/DISCARD bits, u32 page offset of the
 * header from the start of the kernel's ring object) and the sample, 8-byte aligned.
 * The kernel keeps its private state in the first vmapped page; ours lives in a separate
 * struct, but the page offsets written into headers are the kernel's (one extra page).
 *
 * Memory safety: a record's header offset is producer_pos & mask and its length is at most
 * the data size, so with the data pages mapped twice the producer never writes past the
 * mapping, whatever user space writes into consumer_pos (it only affects this ring's own
 * free-space computation). A reserved record is writable by the program only until it is
 * submitted or discarded (ebpf_invalidate_region); records a run leaves reserved are
 * discarded when the run ends (bpfdrv_ringbuf_run_end), since without the kernel's
 * reference-tracking verifier a program can exit holding one.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/poll.h>
#include <linux/irq_work.h>
#include <linux/wait.h>
#include <linux/hardirq.h>
#include "bpfdrv.h"
#include "compat.h"
#include "helpers.h"
#include "stats.h"
#include "helper_args.h"

/* The kernel's struct bpf_ringbuf has one private page before consumer_pos. */
#define RINGBUF_KERNEL_META_PAGES 1
#define RINGBUF_POS_PAGES 2 /* consumer page, producer page */
#define RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4)
#define RINGBUF_MAX_DATA_SZ \
	(((1ULL << 24) - RINGBUF_POS_PAGES - RINGBUF_KERNEL_META_PAGES) * PAGE_SIZE)

/* bpf_ringbuf_output / submit / discard flags, bpf_ringbuf_query flags. */

struct bpfdrv_ringbuf {
	struct bpfdrv_map map;
	spinlock_t lock; /* serialises producers */
	wait_queue_head_t wq;
	struct irq_work wakeup;
	struct page **pages; /* POS_PAGES + 2 * nr_data: the data pages listed twice */
	u32 nr_data_pages;
	u64 mask; /* data size - 1 */
	u8 *area; /* vmap of pages: consumer page, producer page, data, data again */
	unsigned long *consumer_pos; /* written by user space: never trusted */
	unsigned long *producer_pos;
	u8 *data;
};

struct bpfdrv_ringbuf_hdr {
	u32 len;
	u32 pg_off;
};

#define RB(m) container_of(m, struct bpfdrv_ringbuf, map)

static void ringbuf_wakeup_fn(struct irq_work *work)
{
	struct bpfdrv_ringbuf *rb = container_of(work, struct bpfdrv_ringbuf, wakeup);

	wake_up_all(&rb->wq);
}

static void ringbuf_free_pages(struct bpfdrv_ringbuf *rb)
{
	u32 i;

	if (rb->area)
		vunmap(rb->area);
	if (!rb->pages)
		return;
	for (i = 0; i < RINGBUF_POS_PAGES + rb->nr_data_pages; i++)
		if (rb->pages[i])
			__free_page(rb->pages[i]);
	bpfdrv_free_large(rb->pages);
}

static struct bpfdrv_map *ringbuf_alloc(const struct bpfdrv_map_create_attr *attr)
{
	u32 nr_data = attr->max_entries >> PAGE_SHIFT, nr_pages = RINGBUF_POS_PAGES + nr_data, i;
	struct bpfdrv_ringbuf *rb;

	if (attr->map_flags & ~BPFDRV_F_NUMA_NODE)
		return ERR_PTR(-EINVAL);
	if (attr->key_size || attr->value_size || !is_power_of_2(attr->max_entries) ||
	    !PAGE_ALIGNED(attr->max_entries)) {
		bpfdrv_warn("ringbuf: max_entries must be a power of 2 multiple of the page size, key and value size 0\n");
		return ERR_PTR(-EINVAL);
	}
	/*
	 * The kernel's "max_entries > RINGBUF_MAX_DATA_SZ → E2BIG" cannot trigger for a
	 * u32 max_entries (the limit is above 4 GiB with any page size); proved here rather
	 * than tested at run time, which gcc flags as always false (-Wtype-limits on 3.10).
	 */
	BUILD_BUG_ON(RINGBUF_MAX_DATA_SZ < U32_MAX);
	rb = kzalloc(sizeof(*rb), GFP_KERNEL);
	if (!rb)
		return ERR_PTR(-ENOMEM);
	bpfdrv_map_init(&rb->map, attr, &bpfdrv_ringbuf_ops);
	spin_lock_init(&rb->lock);
	init_waitqueue_head(&rb->wq);
	init_irq_work(&rb->wakeup, ringbuf_wakeup_fn);
	rb->nr_data_pages = nr_data;
	rb->mask = attr->max_entries - 1;
	rb->pages = bpfdrv_zalloc_large((RINGBUF_POS_PAGES + 2 * (size_t)nr_data) * sizeof(*rb->pages));
	if (!rb->pages)
		goto nomem;
	for (i = 0; i < nr_pages; i++) {
		rb->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
		if (!rb->pages[i])
			goto nomem;
		if (i >= RINGBUF_POS_PAGES)
			rb->pages[nr_data + i] = rb->pages[i];
	}
	/* VM_USERMAP: remap_vmalloc_range() may map this area into user space. */
	rb->area = vmap(rb->pages, RINGBUF_POS_PAGES + 2 * nr_data, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!rb->area)
		goto nomem;
	rb->consumer_pos = (unsigned long *)rb->area;
	rb->producer_pos = (unsigned long *)(rb->area + PAGE_SIZE);
	rb->data = rb->area + RINGBUF_POS_PAGES * PAGE_SIZE;
	return &rb->map;
nomem:
	ringbuf_free_pages(rb);
	kfree(rb);
	return ERR_PTR(-ENOMEM);
}

static void ringbuf_free(struct bpfdrv_map *map)
{
	struct bpfdrv_ringbuf *rb = RB(map);

	irq_work_sync(&rb->wakeup);
	ringbuf_free_pages(rb);
	kfree(rb);
}

/* Not an element map: the kernel answers ENOTSUPP; a program-side lookup gets NULL. */
static void *ringbuf_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL;
}

static int ringbuf_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return -ENOTSUPP;
}

static int ringbuf_delete(struct bpfdrv_map *map, const void *key)
{
	return -ENOTSUPP;
}

static int ringbuf_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	return -ENOTSUPP;
}

static int ringbuf_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return -ENOTSUPP;
}

static int ringbuf_mmap(struct bpfdrv_map *map, struct vm_area_struct *vma)
{
	struct bpfdrv_ringbuf *rb = RB(map);
	unsigned long area_pages = RINGBUF_POS_PAGES + 2 * (unsigned long)rb->nr_data_pages;
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	/* Like the kernel: only the consumer page may be mapped writable. */
	if ((vma->vm_flags & VM_WRITE) &&
	    (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start != PAGE_SIZE))
		return -EPERM;
	/*
	 * Offset and size checked here: before 4.x remap_vmalloc_range() measured the
	 * area with its guard page, so one page too many passed and mapped a NULL page
	 * (an oops on CentOS 7.9).
	 */
	if (vma->vm_pgoff > area_pages || pages > area_pages - vma->vm_pgoff)
		return -EINVAL;
	return remap_vmalloc_range(vma, rb->area, vma->vm_pgoff);
}

static unsigned long ringbuf_avail(struct bpfdrv_ringbuf *rb)
{
	/* Pairs with the consumer's (user space's) store-release of its position. */
	unsigned long cons = smp_load_acquire(rb->consumer_pos);
	/* Pairs with the producers' store-release of theirs. */
	unsigned long prod = smp_load_acquire(rb->producer_pos);

	return prod - cons;
}

static unsigned int ringbuf_poll(struct bpfdrv_map *map, struct file *file, poll_table *wait)
{
	struct bpfdrv_ringbuf *rb = RB(map);

	poll_wait(file, &rb->wq, wait);
	return ringbuf_avail(rb) ? POLLIN | POLLRDNORM : 0;
}

static u32 ringbuf_sys_value_size(const struct bpfdrv_map *map)
{
	return 0;
}

const struct bpfdrv_map_ops bpfdrv_ringbuf_ops = {
	.alloc = ringbuf_alloc,
	.free = ringbuf_free,
	.lookup = ringbuf_lookup,
	.update = ringbuf_update,
	.delete = ringbuf_delete,
	.get_next_key = ringbuf_get_next_key,
	.sys_lookup = ringbuf_sys_lookup,
	.sys_update = ringbuf_update,
	.sys_delete = ringbuf_delete,
	.sys_value_size = ringbuf_sys_value_size,
	.mmap = ringbuf_mmap,
	.mmap_always = true,
	.poll = ringbuf_poll,
};

/* ---- producer side ---- */

static struct bpfdrv_ringbuf_hdr *ringbuf_reserve(struct bpfdrv_ringbuf *rb, u64 size)
{
	unsigned long cons, prod, flags;
	struct bpfdrv_ringbuf_hdr *hdr;
	u64 len;

	if (size > RINGBUF_MAX_RECORD_SZ)
		return NULL;
	len = round_up(size + BPFDRV_RINGBUF_HDR_SZ, 8);
	if (len > rb->mask + 1)
		return NULL;
	/* A program may interrupt a producer on this CPU only from NMI: never spin there. */
	if (in_nmi()) {
		if (!spin_trylock_irqsave(&rb->lock, flags))
			return NULL;
	} else {
		spin_lock_irqsave(&rb->lock, flags);
	}
	/* Pairs with the consumer's store-release: the records it passed are read out. */
	cons = smp_load_acquire(rb->consumer_pos);
	prod = *rb->producer_pos;
	/*
	 * The kernel's test: the producer may not get more than size - 1 bytes ahead.
	 * A consumer_pos user space moved past producer_pos makes the difference huge, so
	 * nothing is reserved until it is sane again (the kernel behaves the same).
	 */
	if (prod + len - cons > rb->mask) {
		spin_unlock_irqrestore(&rb->lock, flags);
		bpfdrv_stats_events(0, 1);
		return NULL;
	}
	/* prod & mask < data size and len <= data size: inside the doubly mapped data. */
	hdr = (struct bpfdrv_ringbuf_hdr *)(rb->data + (prod & rb->mask));
	hdr->len = (u32)size | BPFDRV_RINGBUF_BUSY_BIT;
	hdr->pg_off = (u32)(((u8 *)hdr - rb->area) >> PAGE_SHIFT) + RINGBUF_KERNEL_META_PAGES;
	/* Pairs with the consumer's acquire of producer_pos: it sees the BUSY header. */
	smp_store_release(rb->producer_pos, prod + (unsigned long)len);
	spin_unlock_irqrestore(&rb->lock, flags);
	return hdr;
}

static void ringbuf_commit(struct bpfdrv_ringbuf *rb, struct bpfdrv_ringbuf_hdr *hdr, u64 flags,
			   bool discard)
{
	u32 new_len = READ_ONCE(hdr->len) & ~BPFDRV_RINGBUF_BUSY_BIT;
	unsigned long rec_pos, cons_pos;

	if (discard)
		new_len |= BPFDRV_RINGBUF_DISCARD_BIT;
	else
		bpfdrv_stats_events(1, 0);
	/* Full barrier: the sample is visible before the header says it is complete. */
	xchg(&hdr->len, new_len);
	/* Wake the consumer if it caught up and waits for exactly this record. */
	rec_pos = (u8 *)hdr - rb->data;
	/* Pairs with the consumer's store-release of its position. */
	cons_pos = smp_load_acquire(rb->consumer_pos) & rb->mask;
	if (flags & BPFDRV_RB_FORCE_WAKEUP)
		irq_work_queue(&rb->wakeup);
	else if (cons_pos == rec_pos && !(flags & BPFDRV_RB_NO_WAKEUP))
		irq_work_queue(&rb->wakeup);
}

/* ---- helpers ---- */

static bool is_ringbuf(struct bpfdrv_map *map)
{
	return map->ops == &bpfdrv_ringbuf_ops;
}

u64 bpfdrv_h_ringbuf_output(struct ebpf_run *run, u64 map, u64 data, u64 size, u64 flags, u64 a5)
{
	struct bpfdrv_ringbuf_hdr *hdr;
	struct bpfdrv_ringbuf *rb;

	if (!bpfdrv_charge_bytes(run, size))
		return 0;
	if (!is_ringbuf(MAP(map)) || (flags & ~(BPFDRV_RB_NO_WAKEUP | BPFDRV_RB_FORCE_WAKEUP)))
		return (s64)-EINVAL;
	rb = RB(MAP(map));
	hdr = ringbuf_reserve(rb, size);
	if (!hdr)
		return (s64)-EAGAIN;
	memcpy(hdr + 1, (const void *)(uintptr_t)data, size);
	ringbuf_commit(rb, hdr, flags, false);
	return 0;
}

u64 bpfdrv_h_ringbuf_reserve(struct ebpf_run *run, u64 map, u64 size, u64 flags, u64 a4, u64 a5)
{
	struct bpfdrv_run_env *env = ENV(run);
	struct bpfdrv_ringbuf_hdr *hdr;
	struct bpfdrv_ringbuf *rb;
	u32 slot;

	if (!is_ringbuf(MAP(map)) || flags)
		return 0;
	for (slot = 0; slot < BPFDRV_MAX_RESERVED; slot++)
		if (!env->reserved[slot].hdr)
			break;
	if (slot == BPFDRV_MAX_RESERVED) {
		bpfdrv_warn("program '%s' holds %d ring buffer records: reserve refused\n",
			    env->prog->name, BPFDRV_MAX_RESERVED);
		return 0;
	}
	rb = RB(MAP(map));
	hdr = ringbuf_reserve(rb, size);
	if (!hdr)
		return 0;
	env->reserved[slot].hdr = hdr;
	env->reserved[slot].rb = rb;
	ebpf_set_ret_region(run, hdr + 1, (u32)size, true);
	return (u64)(uintptr_t)(hdr + 1);
}

/* The reservation this run holds for a sample pointer; aborts the run if none. */
static struct bpfdrv_rb_reservation *find_reservation(struct ebpf_run *run, u64 sample)
{
	struct bpfdrv_run_env *env = ENV(run);
	u32 i;

	for (i = 0; i < BPFDRV_MAX_RESERVED; i++) {
		struct bpfdrv_rb_reservation *r = &env->reserved[i];

		if (r->hdr && (u64)(uintptr_t)(r->hdr + 1) == sample)
			return r;
	}
	run->error = -EFAULT;
	return NULL;
}

static void release_record(struct ebpf_run *run, u64 sample, u64 flags, bool discard)
{
	struct bpfdrv_rb_reservation *r = find_reservation(run, sample);

	if (!r)
		return;
	/* From here on no register or stack slot of the program points into the record. */
	ebpf_invalidate_region(run, r->hdr + 1);
	ringbuf_commit(r->rb, r->hdr, flags, discard);
	r->hdr = NULL;
	r->rb = NULL;
}

u64 bpfdrv_h_ringbuf_submit(struct ebpf_run *run, u64 sample, u64 flags, u64 a3, u64 a4, u64 a5)
{
	release_record(run, sample, flags, false);
	return 0;
}

u64 bpfdrv_h_ringbuf_discard(struct ebpf_run *run, u64 sample, u64 flags, u64 a3, u64 a4, u64 a5)
{
	release_record(run, sample, flags, true);
	return 0;
}

u64 bpfdrv_h_ringbuf_query(struct ebpf_run *run, u64 map, u64 flags, u64 a3, u64 a4, u64 a5)
{
	struct bpfdrv_ringbuf *rb;

	if (!is_ringbuf(MAP(map)))
		return 0;
	rb = RB(MAP(map));
	switch (flags) {
	case BPFDRV_RB_AVAIL_DATA:
		return ringbuf_avail(rb);
	case BPFDRV_RB_RING_SIZE:
		return rb->mask + 1;
	case BPFDRV_RB_CONS_POS:
		/* As in ringbuf_avail: pairs with the consumer's store-release. */
		return smp_load_acquire(rb->consumer_pos);
	case BPFDRV_RB_PROD_POS:
		/* As in ringbuf_avail: pairs with the producers' store-release. */
		return smp_load_acquire(rb->producer_pos);
	default:
		return 0;
	}
}

void bpfdrv_ringbuf_run_end(struct bpfdrv_run_env *env)
{
	u32 i;

	for (i = 0; i < BPFDRV_MAX_RESERVED; i++) {
		struct bpfdrv_rb_reservation *r = &env->reserved[i];

		if (!r->hdr)
			continue;
		/* The kernel's verifier would have refused this program; never leave BUSY. */
		atomic64_inc(&env->prog->aborts);
		bpfdrv_warn("program '%s' ended holding a ring buffer record: discarded\n",
			    env->prog->name);
		ringbuf_commit(r->rb, r->hdr, 0, true);
		r->hdr = NULL;
	}
}
