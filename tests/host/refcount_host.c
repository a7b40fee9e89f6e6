// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host build of driver/compat/refcount.h's checked reference count (the variant for
 * kernels before refcount_t), with atomic_t made of the compiler's atomics, for the
 * Rust test tests/refcount_compat.rs.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

typedef struct {
	int counter;
} atomic_t;

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_SEQ_CST);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}

static inline bool atomic_dec_and_test(atomic_t *v)
{
	return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST) == 0;
}

/* A kernel without refcount_t (no HAVE_REFCOUNT_T from the feature probes): the checked variant. */
#include "compat/refcount.h"

/* bpfdrv_main.c's max_refs parameter. */
int bpfdrv_ref_limit = BPFDRV_REF_MAX;

int bpfdrv_host_ref_max(void);
void bpfdrv_host_ref_set(struct bpfdrv_ref *r, int v);
void bpfdrv_host_ref_init(struct bpfdrv_ref *r);
int bpfdrv_host_ref_read(struct bpfdrv_ref *r);
int bpfdrv_host_ref_get(struct bpfdrv_ref *r);
int bpfdrv_host_ref_get_not_zero(struct bpfdrv_ref *r);
bool bpfdrv_host_ref_put(struct bpfdrv_ref *r);

int bpfdrv_host_ref_max(void) { return BPFDRV_REF_MAX; }
void bpfdrv_host_ref_set(struct bpfdrv_ref *r, int v) { atomic_set(&r->count, v); }
void bpfdrv_host_ref_init(struct bpfdrv_ref *r) { bpfdrv_ref_init(r); }
int bpfdrv_host_ref_read(struct bpfdrv_ref *r) { return bpfdrv_ref_read(r); }
int bpfdrv_host_ref_get(struct bpfdrv_ref *r) { return bpfdrv_ref_get(r); }
int bpfdrv_host_ref_get_not_zero(struct bpfdrv_ref *r) { return bpfdrv_ref_get_not_zero(r); }
bool bpfdrv_host_ref_put(struct bpfdrv_ref *r) { return bpfdrv_ref_put(r); }
