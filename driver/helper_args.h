/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helper implementations (helpers.c, helpers_tracing.c, ringbuf.c) get their
 * arguments as u64 registers: what they stand for, once the checker has matched them
 * to the helper's argument types.
 */
#ifndef BPFDRV_HELPER_ARGS_H
#define BPFDRV_HELPER_ARGS_H

#include "bpfdrv.h"

/* The invocation's struct bpfdrv_run_env. */
#define ENV(run) ((struct bpfdrv_run_env *)(run)->env)
/* A map argument (ARG_CONST_MAP_PTR). */
#define MAP(v) ((struct bpfdrv_map *)(uintptr_t)(v))
/* A memory argument the checker bounded. */
#define PTR(v) ((void *)(uintptr_t)(v))

#endif
