/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities: CAP_BPF and CAP_PERFMON where the kernel has them.
 */
#ifndef BPFDRV_COMPAT_CRED_H
#define BPFDRV_COMPAT_CRED_H

#include <linux/capability.h>
#include <linux/cred.h>
#include "base.h"

/*
 * Linux's bpf_capable() and perfmon_capable() (include/linux/capability.h), with the
 * credentials of the calling task. 5.8 split CAP_BPF and CAP_PERFMON off CAP_SYS_ADMIN
 * (CAP_SYS_ADMIN still implies both); where the uapi header has no such capability
 * (3.10, CentOS 7) CAP_SYS_ADMIN alone grants what they grant.
 */
static inline bool bpfdrv_bpf_capable(void)
{
#ifdef CAP_BPF
	return capable(CAP_BPF) || capable(CAP_SYS_ADMIN);
#else
	return capable(CAP_SYS_ADMIN);
#endif
}

static inline bool bpfdrv_perfmon_capable(void)
{
#ifdef CAP_PERFMON
	return capable(CAP_PERFMON) || capable(CAP_SYS_ADMIN);
#else
	return capable(CAP_SYS_ADMIN);
#endif
}

#endif /* BPFDRV_COMPAT_CRED_H */
