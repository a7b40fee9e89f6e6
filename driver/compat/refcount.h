/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference counts of maps and programs that never wrap: refcount_t where the kernel has
 * it (4.11; RHEL 7.9 backports it: HAVE_REFCOUNT_T), a checked atomic_t before. Included
 * by compat.h after compat/base.h, and includes nothing of the kernel's itself: the host
 * test (tests/host/refcount_host.c) compiles the checked variant with its own atomic_t.
 *
 * A get fails with -EBUSY once the count reaches bpfdrv_ref_limit, as Linux's
 * bpf_map_inc / bpf_prog_add did against BPF_MAX_REFCNT, so the command taking the
 * reference (a prog array or map-in-map update, an fd lookup) fails instead of the count
 * wrapping and the object being freed while still in use. The limit is at most
 * BPFDRV_REF_MAX, far below INT_MAX: gets running concurrently that all passed the check
 * (refcount_t variant) take the count at most their number past it, nowhere near where
 * refcount_t saturates.
 */
#ifndef BPFDRV_COMPAT_REFCOUNT_H
#define BPFDRV_COMPAT_REFCOUNT_H

#define BPFDRV_REF_MAX (INT_MAX / 2)
/* The limit in force: BPFDRV_REF_MAX unless lowered by the max_refs parameter (tests). */
extern int bpfdrv_ref_limit;

#ifdef HAVE_REFCOUNT_T /* compat/features/refcount_t.c */
#include <linux/refcount.h>

struct bpfdrv_ref {
	refcount_t count;
};

static inline void bpfdrv_ref_init(struct bpfdrv_ref *r)
{
	refcount_set(&r->count, 1);
}

static inline int bpfdrv_ref_read(struct bpfdrv_ref *r)
{
	return refcount_read(&r->count);
}

/* Another reference where the caller holds one: 0, or -EBUSY at the limit. */
static inline int bpfdrv_ref_get(struct bpfdrv_ref *r)
{
	if (refcount_read(&r->count) >= bpfdrv_ref_limit)
		return -EBUSY;
	refcount_inc(&r->count);
	return 0;
}

/* A reference unless the object is being freed (-ENOENT) or at the limit (-EBUSY). */
static inline int bpfdrv_ref_get_not_zero(struct bpfdrv_ref *r)
{
	if (refcount_read(&r->count) >= bpfdrv_ref_limit)
		return -EBUSY;
	return refcount_inc_not_zero(&r->count) ? 0 : -ENOENT;
}

/* Drop a reference: true if it was the last. */
static inline bool bpfdrv_ref_put(struct bpfdrv_ref *r)
{
	return refcount_dec_and_test(&r->count);
}
#else
struct bpfdrv_ref {
	atomic_t count;
};

static inline void bpfdrv_ref_init(struct bpfdrv_ref *r)
{
	atomic_set(&r->count, 1);
}

static inline int bpfdrv_ref_read(struct bpfdrv_ref *r)
{
	return atomic_read(&r->count);
}

/* Increment unless zero or at the limit: exact, the test and the increment are one cmpxchg. */
static inline int bpfdrv_ref_get_not_zero(struct bpfdrv_ref *r)
{
	int old = atomic_read(&r->count), seen;

	for (;;) {
		if (old == 0)
			return -ENOENT;
		if (old >= bpfdrv_ref_limit)
			return -EBUSY;
		seen = atomic_cmpxchg(&r->count, old, old + 1);
		if (seen == old)
			return 0;
		old = seen;
	}
}

static inline int bpfdrv_ref_get(struct bpfdrv_ref *r)
{
	return bpfdrv_ref_get_not_zero(r);
}

static inline bool bpfdrv_ref_put(struct bpfdrv_ref *r)
{
	return atomic_dec_and_test(&r->count);
}
#endif

#endif /* BPFDRV_COMPAT_REFCOUNT_H */
