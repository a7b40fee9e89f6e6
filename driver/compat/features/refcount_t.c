// SPDX-License-Identifier: GPL-2.0
/* refcount_t (4.11; RHEL 7.9 backports it): compat/refcount.h. */
#include <linux/refcount.h>

int bpfdrv_probe(refcount_t *r);
int bpfdrv_probe(refcount_t *r)
{
	refcount_set(r, 1);
	refcount_inc(r);
	return refcount_inc_not_zero(r) + refcount_dec_and_test(r) + refcount_read(r);
}
