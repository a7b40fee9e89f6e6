#ifndef BPFDRV_PROTOCOL_H
#define BPFDRV_PROTOCOL_H

/* Generated from driver-protocol/src/lib.rs by cbindgen: do not edit.
 * Regenerate with: BPFDRV_BLESS=1 cargo test -p driver-protocol */

#ifdef __KERNEL__
#include <linux/types.h> /* uint32_t and friends */
#else
#include <stdint.h>
#endif

/**
 * Bumped on any incompatible change to a request struct or ioctl.
 */
#define BPFDRV_PROTOCOL_VERSION 1

/**
 * ioctl type byte ("magic") of all bpfdrv ioctls.
 */
#define BPFDRV_IOC_MAGIC 181

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 1, struct bpfdrv_hello)`.
 */
#define BPFDRV_IOC_HELLO 3222320385

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 2, struct bpfdrv_bpf_req)`; returns what bpf(2) would.
 */
#define BPFDRV_IOC_BPF 3222844674

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 3, struct bpfdrv_perf_open_req)`; returns a new fd.
 */
#define BPFDRV_IOC_PERF_OPEN 3223368963

#define BPFDRV_PERF_ATTR_FLAG_DISABLED (1 << 0)

#define BPFDRV_PERF_ATTR_FLAG_WATERMARK (1 << 14)

#define BPFDRV_PERF_TYPE_HARDWARE 0

#define BPFDRV_PERF_TYPE_SOFTWARE 1

#define BPFDRV_PERF_TYPE_TRACEPOINT 2

#define BPFDRV_PERF_COUNT_SW_BPF_OUTPUT 10

#define BPFDRV_PERF_SAMPLE_RAW (1 << 10)

#define BPFDRV_CMD_MAP_CREATE 0

#define BPFDRV_CMD_MAP_LOOKUP_ELEM 1

#define BPFDRV_CMD_MAP_UPDATE_ELEM 2

#define BPFDRV_CMD_MAP_DELETE_ELEM 3

#define BPFDRV_CMD_MAP_GET_NEXT_KEY 4

#define BPFDRV_CMD_PROG_LOAD 5

#define BPFDRV_CMD_OBJ_PIN 6

#define BPFDRV_CMD_OBJ_GET 7

#define BPFDRV_CMD_PROG_ATTACH 8

#define BPFDRV_CMD_PROG_DETACH 9

#define BPFDRV_CMD_PROG_TEST_RUN 10

#define BPFDRV_CMD_PROG_GET_NEXT_ID 11

#define BPFDRV_CMD_MAP_GET_NEXT_ID 12

#define BPFDRV_CMD_PROG_GET_FD_BY_ID 13

#define BPFDRV_CMD_MAP_GET_FD_BY_ID 14

#define BPFDRV_CMD_OBJ_GET_INFO_BY_FD 15

#define BPFDRV_CMD_PROG_QUERY 16

#define BPFDRV_CMD_RAW_TRACEPOINT_OPEN 17

#define BPFDRV_CMD_BTF_LOAD 18

#define BPFDRV_CMD_BTF_GET_FD_BY_ID 19

#define BPFDRV_CMD_TASK_FD_QUERY 20

#define BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_ELEM 21

#define BPFDRV_CMD_MAP_FREEZE 22

#define BPFDRV_CMD_BTF_GET_NEXT_ID 23

#define BPFDRV_CMD_MAP_LOOKUP_BATCH 24

#define BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_BATCH 25

#define BPFDRV_CMD_MAP_UPDATE_BATCH 26

#define BPFDRV_CMD_MAP_DELETE_BATCH 27

#define BPFDRV_CMD_LINK_CREATE 28

#define BPFDRV_CMD_LINK_UPDATE 29

#define BPFDRV_CMD_LINK_GET_FD_BY_ID 30

#define BPFDRV_CMD_LINK_GET_NEXT_ID 31

#define BPFDRV_CMD_ENABLE_STATS 32

#define BPFDRV_CMD_ITER_CREATE 33

#define BPFDRV_CMD_LINK_DETACH 34

#define BPFDRV_CMD_PROG_BIND_MAP 35

/**
 * `sizeof(union bpf_attr)` as the module knows it; larger attrs must be zero past it
 * (else `E2BIG`), exactly like the kernel's `bpf_check_uarg_tail_zero`.
 */
#define BPFDRV_ATTR_SIZE 144

#define BPFDRV_MAP_TYPE_HASH 1

#define BPFDRV_MAP_TYPE_ARRAY 2

#define BPFDRV_MAP_TYPE_PROG_ARRAY 3

#define BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY 4

#define BPFDRV_MAP_TYPE_PERCPU_HASH 5

#define BPFDRV_MAP_TYPE_PERCPU_ARRAY 6

#define BPFDRV_MAP_TYPE_STACK_TRACE 7

#define BPFDRV_MAP_TYPE_CGROUP_ARRAY 8

#define BPFDRV_MAP_TYPE_LRU_HASH 9

#define BPFDRV_MAP_TYPE_LRU_PERCPU_HASH 10

#define BPFDRV_MAP_TYPE_LPM_TRIE 11

#define BPFDRV_MAP_TYPE_ARRAY_OF_MAPS 12

#define BPFDRV_MAP_TYPE_HASH_OF_MAPS 13

#define BPFDRV_MAP_TYPE_QUEUE 22

#define BPFDRV_MAP_TYPE_STACK 23

#define BPFDRV_MAP_TYPE_RINGBUF 27

#define BPFDRV_MAP_TYPE_BLOOM_FILTER 30

/**
 * One past the highest map type number the module's dispatch table is sized for.
 */
#define BPFDRV_MAP_TYPE_MAX 32

#define BPFDRV_F_NO_PREALLOC (1 << 0)

#define BPFDRV_F_NUMA_NODE (1 << 2)

#define BPFDRV_F_RDONLY (1 << 3)

#define BPFDRV_F_WRONLY (1 << 4)

#define BPFDRV_F_ZERO_SEED (1 << 6)

#define BPFDRV_F_RDONLY_PROG (1 << 7)

#define BPFDRV_F_WRONLY_PROG (1 << 8)

#define BPFDRV_F_MMAPABLE (1 << 10)

#define BPFDRV_ANY 0

#define BPFDRV_NOEXIST 1

#define BPFDRV_EXIST 2

#define BPFDRV_F_LOCK 4

#define BPFDRV_PROG_TYPE_SOCKET_FILTER 1

#define BPFDRV_PROG_TYPE_KPROBE 2

#define BPFDRV_PROG_TYPE_TRACEPOINT 5

#define BPFDRV_PROG_TYPE_PERF_EVENT 7

#define BPFDRV_PROG_TYPE_RAW_TRACEPOINT 17

#define BPFDRV_PROG_TYPE_TRACING 26

#define BPFDRV_PROG_TYPE_MAX 32

#define BPFDRV_PSEUDO_MAP_FD 1

#define BPFDRV_PSEUDO_MAP_VALUE 2

#define BPFDRV_PSEUDO_BTF_ID 3

#define BPFDRV_PSEUDO_FUNC 4

#define BPFDRV_PSEUDO_MAP_IDX 5

#define BPFDRV_PSEUDO_MAP_IDX_VALUE 6

#define BPFDRV_PSEUDO_CALL 1

#define BPFDRV_PSEUDO_KFUNC_CALL 2

/**
 * Largest program the module accepts, in instructions (Linux's BPF_COMPLEXITY_LIMIT_INSNS).
 */
#define BPFDRV_MAX_INSNS 1000000

#endif  /* BPFDRV_PROTOCOL_H */
