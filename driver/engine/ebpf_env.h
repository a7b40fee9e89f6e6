/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ebpf_env.h - the only place where the portable eBPF engine touches its
 * environment.  Everything else in driver/engine/ includes just this file.
 *
 * Kernel build (__KERNEL__): kernel headers, vzalloc/vfree for the load-time
 * checker (process context only), vsnprintf for the log.
 * Host build: the C library.
 */
#ifndef EBPF_ENV_H
#define EBPF_ENV_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/vmalloc.h>

#define EBPF_ZALLOC(sz)		vzalloc(sz)
#define EBPF_FREE(p)		vfree(p)

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#define EBPF_LITTLE_ENDIAN	(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#elif defined(__LITTLE_ENDIAN)
#define EBPF_LITTLE_ENDIAN	1
#else
#define EBPF_LITTLE_ENDIAN	0
#endif

#if BITS_PER_LONG == 32
#include <linux/math64.h>
#define EBPF_UDIV64(a, b)	div64_u64((a), (b))
#define EBPF_SDIV64(a, b)	div64_s64((a), (b))
#define EBPF_UMOD64(a, b)	((u64)(a) - div64_u64((a), (b)) * (u64)(b))
#define EBPF_SMOD64(a, b)	((s64)(a) - div64_s64((a), (b)) * (s64)(b))
#endif

#else /* host */

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define EBPF_ZALLOC(sz)		calloc(1, (sz))
#define EBPF_FREE(p)		free(p)

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#define EBPF_LITTLE_ENDIAN	(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#else
#error "cannot tell the byte order"
#endif

#endif /* __KERNEL__ */

#ifndef EBPF_UDIV64
#define EBPF_UDIV64(a, b)	((u64)(a) / (u64)(b))
#define EBPF_SDIV64(a, b)	((s64)(a) / (s64)(b))
#define EBPF_UMOD64(a, b)	((u64)(a) % (u64)(b))
#define EBPF_SMOD64(a, b)	((s64)(a) % (s64)(b))
#endif

#if defined(__GNUC__)
#define EBPF_LIKELY(x)		__builtin_expect(!!(x), 1)
#define EBPF_UNLIKELY(x)	__builtin_expect(!!(x), 0)
#define EBPF_PRINTF(a, b)	__attribute__((__format__(__printf__, a, b)))
#define EBPF_NOINLINE		__attribute__((__noinline__))
#else
#define EBPF_LIKELY(x)		(x)
#define EBPF_UNLIKELY(x)	(x)
#define EBPF_PRINTF(a, b)
#define EBPF_NOINLINE
#endif

/*
 * Atomic read-modify-write on naturally aligned memory (alignment is checked
 * by the engine before these are used).  GCC __sync builtins: full barriers,
 * available in every compiler that can build a 3.10+ kernel.
 */
#define EBPF_ATOMIC_FETCH_ADD(p, v)	__sync_fetch_and_add((p), (v))
#define EBPF_ATOMIC_FETCH_AND(p, v)	__sync_fetch_and_and((p), (v))
#define EBPF_ATOMIC_FETCH_OR(p, v)	__sync_fetch_and_or((p), (v))
#define EBPF_ATOMIC_FETCH_XOR(p, v)	__sync_fetch_and_xor((p), (v))
#define EBPF_ATOMIC_CMPXCHG(p, o, n)	__sync_val_compare_and_swap((p), (o), (n))
#define EBPF_ATOMIC_BARRIER()		__sync_synchronize()
/* The load that starts a compare-and-swap loop: neither torn nor cached by the compiler. */
#define EBPF_ATOMIC_READ(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

#endif /* EBPF_ENV_H */
