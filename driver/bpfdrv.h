/* SPDX-License-Identifier: GPL-2.0 */
/* Objects of the bpfdrv module and the interfaces between its files. */
#ifndef BPFDRV_H
#define BPFDRV_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/ratelimit.h> /* pr_warn_ratelimited's state on 3.10 */
#include "bpfdrv_protocol.h"
#include "ebpf_engine.h"
#include "compat.h" /* struct bpfdrv_ref */

#define BPFDRV_LOG_PREFIX "bpfdrv: "
#define bpfdrv_warn(fmt, ...) pr_warn_ratelimited(BPFDRV_LOG_PREFIX fmt, ##__VA_ARGS__)

/* PERF_MAX_TRACE_SIZE: what a tracepoint program may read of its context. */
#define BPFDRV_TRACE_CTX_SIZE 2048

union bpfdrv_attr {
	struct bpfdrv_map_create_attr map_create;
	struct bpfdrv_map_elem_attr elem;
	struct bpfdrv_map_batch_attr batch;
	struct bpfdrv_test_run_attr test;
	struct bpfdrv_prog_load_attr prog_load;
	struct bpfdrv_btf_load_attr btf_load;
	struct bpfdrv_link_create_attr link_create;
	struct bpfdrv_prog_bind_map_attr bind_map;
	struct bpfdrv_enable_stats_attr enable_stats;
	struct bpfdrv_info_attr info;
	struct bpfdrv_raw_tp_open_attr raw_tp;
	struct bpfdrv_link_update_attr link_update;
	struct bpfdrv_link_detach_attr link_detach;
	struct bpfdrv_get_id_attr get_id;
	struct bpfdrv_obj_pin_attr pin;
	u8 raw[BPFDRV_ATTR_SIZE];
};

/* ---- pins without bpffs (pin.c) ---- */
int bpfdrv_cmd_obj_pin(union bpfdrv_attr *attr);
int bpfdrv_cmd_obj_get(union bpfdrv_attr *attr);
/* Drop the pin at the user path @pathname (BPFDRV_IOC_UNPIN). */
int bpfdrv_unpin(u64 pathname);

/* ---- anonymous-inode objects (object.c) ---- */
int bpfdrv_new_fd(const char *name, const struct file_operations *fops, void *priv, int flags);
int bpfdrv_new_fd_mode(const char *name, const struct file_operations *fops, void *priv, int flags);
int bpfdrv_file_flag(u32 flags);
/* A map or program name: NUL-terminated within @size, [A-Za-z0-9_.] only (else -EINVAL). */
int bpfdrv_obj_name_check(const u8 *name, u32 size);
/*
 * The same for objects that are their file (links, BTF): *@filep is published for
 * GET_FD_BY_ID (bpfdrv_id_publish_file) just before the fd is installed; on failure it
 * stays NULL and the object was never reachable.
 */
int bpfdrv_new_fd_with_file(const char *name, const struct file_operations *fops, void *priv,
			    int flags, struct file **filep);
/*
 * file_operations' ioctl entries: one handler for 64-bit and 32-bit (compat) callers, the
 * commands' structs (bpfdrv_protocol.h) having one layout for both.
 */
#define BPFDRV_IOCTL(fn) .unlocked_ioctl = fn, .compat_ioctl = fn,
/*
 * The object behind @fd if it was created with @fops, with a reference taken by @get
 * (0 or -errno, then returned as ERR_PTR).
 */
void *bpfdrv_fd_object(int fd, const struct file_operations *fops, int (*get)(void *));
/* ... and the file's f_mode in *@mode. */
void *bpfdrv_fd_object_mode(int fd, const struct file_operations *fops, int (*get)(void *),
			    fmode_t *mode);
/*
 * @fd's file, with a reference, if it was created with @fops; else ERR_PTR(-EBADF) for
 * no file, ERR_PTR(@wrong_type) for a file of another kind.
 */
struct file *bpfdrv_fget_typed(int fd, const struct file_operations *fops, int wrong_type);

/* ---- object ids (obj_id.c) ---- */
struct bpfdrv_link;
struct seq_file;
enum bpfdrv_id_kind { BPFDRV_ID_PROG, BPFDRV_ID_MAP, BPFDRV_ID_LINK, BPFDRV_ID_BTF, BPFDRV_ID_KINDS };
/*
 * A new id for @obj (a map, a prog, a link, a BTF object), stored in *@id under the id
 * lock: 0 or -errno. A map or prog may be held by a lookup from then on (put, don't free).
 */
int bpfdrv_id_alloc(enum bpfdrv_id_kind kind, void *obj, u32 *id);
void bpfdrv_id_publish_file(struct file **slot, struct file *file);
/* Before the object is freed (0: nothing to do). */
void bpfdrv_id_remove(enum bpfdrv_id_kind kind, u32 id);
void bpfdrv_ids_exit(void);
int bpfdrv_cmd_prog_get_next_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_get_next_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_link_get_next_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_btf_get_next_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_prog_get_fd_by_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_get_fd_by_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_link_get_fd_by_id(union bpfdrv_attr *attr);
int bpfdrv_cmd_btf_get_fd_by_id(union bpfdrv_attr *attr);
/*
 * For GET_FD_BY_ID: a reference unless the count is zero; a new fd owning it, opened
 * with @f_flags (bpfdrv_file_flag; always O_RDWR but for maps, the only kind with
 * open_flags).
 */
int bpfdrv_prog_tryget(void *prog);
int bpfdrv_prog_new_fd(void *prog, int f_flags);
int bpfdrv_map_tryget(void *map);
int bpfdrv_map_new_fd(void *map, int f_flags);
int bpfdrv_link_tryget(void *link);
int bpfdrv_link_new_fd_by_id(void *link, int f_flags);
int bpfdrv_btf_tryget(void *btf);
int bpfdrv_btf_new_fd_by_id(void *btf, int f_flags);
struct bpfdrv_link *bpfdrv_link_from_file(struct file *file);
struct file *bpfdrv_btf_fget(int fd, u32 *id);
const void *bpfdrv_btf_from_file(struct file *file, u32 *size, u32 *id);
void bpfdrv_prog_calc_tag(const struct ebpf_insn *insns, u32 cnt, u8 tag[8]);
/*
 * /proc/<pid>/fdinfo/<fd> lines the kernel prints for its bpf objects (fdinfo.c), so
 * tools reading them (bpftool, libbpf on old kernels) see the same text.
 */
void bpfdrv_map_show_fdinfo(struct seq_file *m, struct file *file);
void bpfdrv_prog_show_fdinfo(struct seq_file *m, struct file *file);
void bpfdrv_link_show_fdinfo(struct seq_file *m, struct file *file);
int bpfdrv_map_show_fdinfo_int(struct seq_file *m, struct file *file);
int bpfdrv_prog_show_fdinfo_int(struct seq_file *m, struct file *file);
int bpfdrv_link_show_fdinfo_int(struct seq_file *m, struct file *file);
/* Another descriptor for @file, owning the caller's file reference (dropped on failure). */
int bpfdrv_install_fd(struct file *file);

/* ---- maps (map.c + one file per map type) ---- */
struct bpfdrv_map;

struct bpfdrv_map_ops {
	/* Validate attr beyond the generic checks; allocate. */
	struct bpfdrv_map *(*alloc)(const struct bpfdrv_map_create_attr *attr);
	void (*free)(struct bpfdrv_map *map);
	/* Program-side element access; also the default for the syscall side. */
	void *(*lookup)(struct bpfdrv_map *map, const void *key);
	int (*update)(struct bpfdrv_map *map, const void *key, const void *value, u64 flags);
	int (*delete)(struct bpfdrv_map *map, const void *key);
	int (*get_next_key)(struct bpfdrv_map *map, const void *key, void *next_key);
	/*
	 * Syscall-side overrides where user space sees something else (fd maps, per-CPU).
	 * They run in process context, but with preemption off and programs held off on
	 * this CPU (map_sys.c) unless sys_sleeps is set.
	 */
	int (*sys_lookup)(struct bpfdrv_map *map, const void *key, void *value);
	int (*sys_update)(struct bpfdrv_map *map, const void *key, const void *value, u64 flags);
	int (*sys_delete)(struct bpfdrv_map *map, const void *key);
	/* The sys_* overrides sleep (mutexes, fget, grace periods) and take no program lock. */
	bool sys_sleeps;
	/* Size of the value user space passes for lookup/update. */
	u32 (*sys_value_size)(const struct bpfdrv_map *map);
	/* Direct value region for BPF_PSEUDO_MAP_VALUE (global data). */
	u8 *(*direct_value)(struct bpfdrv_map *map, u32 *size);
	int (*mmap)(struct bpfdrv_map *map, struct vm_area_struct *vma);
	/* mmap without BPF_F_MMAPABLE (the ring buffer is always mmapable). */
	bool mmap_always;
	/* poll/epoll on the map fd (ring buffer); NULL: POLLERR, like the kernel. */
	unsigned int (*poll)(struct bpfdrv_map *map, struct file *file, struct poll_table_struct *wait);
	/*
	 * Queue / stack / bloom filter (helpers 87..89, and the syscall side: update =
	 * push, lookup = peek, LOOKUP_AND_DELETE = pop). Any context.
	 */
	int (*push)(struct bpfdrv_map *map, const void *value, u64 flags);
	int (*pop)(struct bpfdrv_map *map, void *value);
	int (*peek)(struct bpfdrv_map *map, void *value);
	/* LOOKUP reads the value buffer from user space first (bloom filter). */
	bool sys_lookup_value_in;
	/* The last user-space file of the map was closed (prog array: empty it). */
	void (*release_uref)(struct bpfdrv_map *map);
	/* Program lookups return an inner map, not a value (map in map). */
	bool lookup_returns_map;
	/* BPF_MAP_LOOKUP_AND_DELETE_ELEM for keyed maps (hash family); NULL: EOPNOTSUPP. */
	int (*sys_lookup_and_delete)(struct bpfdrv_map *map, const void *key, void *value);
	/*
	 * bpf_for_each_map_elem's element iterator (an ebpf_map_iter_fn, so @map is the
	 * struct bpfdrv_map); NULL: the map type does not support it (Linux: arrays and
	 * the hash family). Any context; values as program lookups see them.
	 */
	ebpf_map_iter_fn for_each_next;
	/*
	 * Batch lookups by bucket (hash family; Linux's token is the bucket index): the
	 * number of elements in bucket @bucket, copied (keys; user-space values) and, with
	 * @delete, deleted only if all fit in @room; -ENOENT past the last bucket.
	 * NULL: batches walk get_next_key with the last key as the token (arrays).
	 */
	int (*batch_bucket)(struct bpfdrv_map *map, u32 bucket, void *keys, void *values, u32 room,
			    bool delete);
};

bool bpfdrv_array_elem_iter_next(struct ebpf_run *run, void *map, u64 *cursor, u64 *key_buf,
				void **key, void **value);

struct bpfdrv_map {
	const struct bpfdrv_map_ops *ops;
	struct bpfdrv_ref refcnt;
	/*
	 * Open files of the map: release_uref runs when the last one closes. Never above
	 * refcnt (each file holds one of each), so refcnt's limit bounds it too.
	 */
	atomic_t usercnt;
	u32 id;
	u32 map_type, key_size, value_size, max_entries, map_flags;
	/* The BTF given at creation (btf_fd), held for its id, and the type ids. */
	struct file *btf_file;
	u32 btf_id, btf_key_type_id, btf_value_type_id;
	char name[16];
	struct mutex freeze_mutex;
	bool frozen;
	atomic_t writable_mmaps;
	/* Syscall-side writes in progress (bpfdrv_map_write_begin): freeze waits for none. */
	atomic_t sys_writers;
	/* How programs see this map when a helper returns it (map in map). */
	struct ebpf_map_ref eref;
};

extern const struct bpfdrv_map_ops bpfdrv_array_ops, bpfdrv_hash_ops,
	bpfdrv_perf_event_array_ops, bpfdrv_cgroup_array_ops, bpfdrv_ringbuf_ops;
extern const struct bpfdrv_map_ops bpfdrv_percpu_array_ops, bpfdrv_percpu_hash_ops,
	bpfdrv_lru_hash_ops, bpfdrv_lru_percpu_hash_ops, bpfdrv_queue_ops, bpfdrv_stack_ops,
	bpfdrv_bloom_filter_ops, bpfdrv_lpm_trie_ops, bpfdrv_prog_array_ops,
	bpfdrv_stack_trace_ops, bpfdrv_array_of_maps_ops, bpfdrv_hash_of_maps_ops;

/* Array key iteration, shared by the array-shaped maps (arraymap.c). */
int bpfdrv_array_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key);
/* A prog array's owner program type, U32_MAX if none yet (prog_array.c). */
u32 bpfdrv_prog_array_owner(struct bpfdrv_map *map);
/* bpf_get_stackid's store (stack_trace.c): the stack id, or -EEXIST / -EFAULT / -EINVAL. */
long bpfdrv_stack_map_store(struct bpfdrv_map *map, const u64 *ips, u32 nr, u64 flags);
/* bpf_current_task_under_cgroup (cgroup_array.c): 1, 0, -EAGAIN (empty), -E2BIG, -EINVAL. */
long bpfdrv_cgroup_array_check(struct bpfdrv_map *map, u64 index);
/* Per-CPU values as user space sees them: round_up(value_size, 8) per possible CPU. */
#define bpfdrv_percpu_value_size(map) (round_up((map)->value_size, 8) * num_possible_cpus())
/* Linux's PCPU_MIN_UNIT_SIZE bound on per-CPU values (percpu_array.c, hashtab.c). */
#define BPFDRV_PCPU_VALUE_MAX (32 << 10)

void bpfdrv_map_init(struct bpfdrv_map *map, const struct bpfdrv_map_create_attr *attr,
		     const struct bpfdrv_map_ops *ops);
/* Another reference: 0, or -EBUSY when the count is at its limit (compat/refcount.h). */
int __must_check bpfdrv_map_get(struct bpfdrv_map *map);
void bpfdrv_map_put(struct bpfdrv_map *map);
struct bpfdrv_map *bpfdrv_map_from_fd(int fd);
/*
 * The same for a syscall-side command that reads (FMODE_READ) and/or writes
 * (FMODE_WRITE) the map's elements: ERR_PTR(-EPERM) unless the fd allows it.
 */
struct bpfdrv_map *bpfdrv_map_from_fd_perm(int fd, fmode_t need);
int bpfdrv_map_write_begin(struct bpfdrv_map *map);
void bpfdrv_map_write_end(struct bpfdrv_map *map);
/* BPF_OBJ_GET of a pinned map file: a new fd on its map, opened with @f_flags. */
int bpfdrv_map_file_new_fd(struct file *file, int f_flags);
/*
 * bpf_perf_event_output's ring (ERR_PTR -E2BIG / -ENOENT / -EINVAL) and
 * bpf_perf_event_read{,_value}'s counter read, for the slot the helper's flags name.
 */
struct bpfdrv_perf_ring *bpfdrv_perf_array_ring(struct bpfdrv_map *map, u64 flags);
int bpfdrv_perf_array_read(struct bpfdrv_map *map, u64 flags, u64 *value, u64 *enabled,
			   u64 *running);

int bpfdrv_cmd_map_create(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_lookup(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_update(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_delete(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_get_next_key(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_freeze(union bpfdrv_attr *attr);
/*
 * Syscall-side element access (map_sys.c): the map commands' only way to a map's ops,
 * with programs held off on this CPU while an op may hold the map's lock. Process
 * context; the op itself does not sleep unless the map's sys_sleeps says so.
 */
int bpfdrv_map_sys_lookup(struct bpfdrv_map *map, const void *key, void *value, u32 size);
int bpfdrv_map_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags);
int bpfdrv_map_sys_delete(struct bpfdrv_map *map, const void *key);
int bpfdrv_map_sys_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key);
int bpfdrv_map_sys_pop(struct bpfdrv_map *map, void *value);
int bpfdrv_map_sys_lookup_and_delete(struct bpfdrv_map *map, const void *key, void *value);
int bpfdrv_map_sys_batch_bucket(struct bpfdrv_map *map, u32 bucket, void *keys, void *values,
				u32 room, bool delete);
/* BPF_OBJ_GET_INFO_BY_FD (obj_info.c): maps, programs, BTF and links. */
int bpfdrv_cmd_obj_get_info(union bpfdrv_attr *attr);
/* map_batch.c: LOOKUP_AND_DELETE and the batch commands, generic over bpfdrv_map_ops. */
int bpfdrv_cmd_map_lookup_and_delete(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_lookup_batch(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_lookup_and_delete_batch(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_update_batch(union bpfdrv_attr *attr);
int bpfdrv_cmd_map_delete_batch(union bpfdrv_attr *attr);
/* BPF_PROG_TEST_RUN (prog_test_run.c). */
int bpfdrv_cmd_prog_test_run(union bpfdrv_attr *attr);

/* ---- programs (prog.c, prog_run.c, helpers.c, prog_types.c) ---- */
struct bpfdrv_prog_type;

/* Maps BPF_PROG_BIND_MAP may add to a program (Linux: no limit but memory). */
#define BPFDRV_MAX_BOUND_MAPS 64

struct bpfdrv_prog {
	struct bpfdrv_ref refcnt;
	u32 type, id;
	const struct bpfdrv_prog_type *ptype; /* the descriptor of type (prog_types.h) */
	u8 tag[8];
	u64 load_time; /* ns since boot, as the kernel's */
	u32 uid;
	struct file *btf_file; /* prog_btf_fd, held for its id */
	u32 btf_id;
	char name[16];
	struct ebpf_prog eprog;
	struct ebpf_insn *insns;
	struct ebpf_map_ref *map_refs;
	struct bpfdrv_map **maps;
	u32 nr_maps;
	/* BPF_PROG_BIND_MAP's maps (prog_bind_map.c): held, listed, never read by the code. */
	struct mutex bound_lock;
	struct bpfdrv_map *bound_maps[BPFDRV_MAX_BOUND_MAPS];
	u32 nr_bound_maps;
	bool gpl_compatible;
	atomic64_t run_cnt, run_time_ns, aborts, missed;
	/* Tracing programs (fentry, fexit, tp_btf): BPF_TRACE_* and the resolved target. */
	u32 expected_attach_type, attach_btf_id;
	struct bpfdrv_btf_target target;
	/* Native code (jit.c): NULL, the interpreter runs it; its place in the arena. */
	ebpf_jit_fn jit_code;
	u32 jit_first, jit_len;
};

/* ---- native code (jit.c) ---- */
/* The arena in the module's text the code runs in (defined by jit.c's asm). */
extern u8 bpfdrv_jit_arena[];
/* Is the jit parameter set (programs loaded now are compiled)? */
bool bpfdrv_jit_enabled(void);
/* After ebpf_check(): native code for @prog when the parameter is set and it compiles. */
void bpfdrv_jit_compile(struct bpfdrv_prog *prog);
void bpfdrv_jit_free(struct bpfdrv_prog *prog);

/* ---- BTF-typed tracing programs (attach_fentry.c, attach_raw_tp.c) ---- */
/* Raw tracepoint arguments, as Linux's bpf_trace_run1..12 (also prog_test_run.c). */
#define BPFDRV_RAW_TP_MAX_ARGS 12
/* Load-time check of a tracing program's target; sets its context size. */
int bpfdrv_tracing_prog_check(struct bpfdrv_prog *prog, const struct bpfdrv_btf_target *t,
			      u32 *ctx_size);
int bpfdrv_fentry_check(const struct bpfdrv_prog *prog);
int bpfdrv_fentry_attach(struct bpfdrv_prog *prog, u64 cookie);
int bpfdrv_tp_btf_check(const struct bpfdrv_prog *prog);
int bpfdrv_tp_btf_attach(struct bpfdrv_prog *prog, u64 cookie);
/*
 * Rewrites a tracepoint's raw u64 arguments in place (room for 12) into the list kernels
 * with raw tracepoints pass (raw_tp_args.c); NULL when this kernel already does.
 */
typedef void (*bpfdrv_raw_tp_args_fn)(u64 *args);
bpfdrv_raw_tp_args_fn bpfdrv_raw_tp_args_adapter(const char *tp_name);
/* Attach a tracing program to its target; returns a link fd (takes its own reference). */
int bpfdrv_tracing_attach(struct bpfdrv_prog *prog, u64 cookie);

int bpfdrv_cmd_prog_load(union bpfdrv_attr *attr);
int bpfdrv_cmd_prog_bind_map(union bpfdrv_attr *attr);
/* The ids of the maps a program holds, its code's then bound ones: how many it has. */
u32 bpfdrv_prog_map_ids(struct bpfdrv_prog *prog, u32 *ids, u32 max);
void bpfdrv_prog_unbind_maps(struct bpfdrv_prog *prog);
/* Another reference: 0, or -EBUSY when the count is at its limit (compat/refcount.h). */
int __must_check bpfdrv_prog_get(struct bpfdrv_prog *prog);
void bpfdrv_prog_put(struct bpfdrv_prog *prog);
struct bpfdrv_prog *bpfdrv_prog_from_fd(int fd);

/* Fills each program type's helper table (prog_types.h) from helpers.c's. */
void bpfdrv_helpers_init(void);
bool bpfdrv_helper_gpl_only(u32 id);

/* Ring buffer records a run holds between bpf_ringbuf_reserve and submit/discard. */
#define BPFDRV_MAX_RESERVED 8
struct bpfdrv_ringbuf;
struct bpfdrv_ringbuf_hdr;
struct bpfdrv_rb_reservation {
	struct bpfdrv_ringbuf *rb;
	struct bpfdrv_ringbuf_hdr *hdr;
};

/* What helpers see of the invocation besides the engine state. */
#define BPFDRV_MAX_STACK_DEPTH 127
struct bpfdrv_run_env {
	struct pt_regs *regs;
	struct bpfdrv_prog *prog;
	u64 *stack_ips; /* per-CPU room for BPFDRV_MAX_STACK_DEPTH addresses */
	u64 cookie;	/* bpf_get_attach_cookie */
	u64 func_ip;	/* bpf_get_func_ip */
	u64 time_start; /* 0, or when the run's time limit started counting */
	/* Must start zeroed; bpfdrv_ringbuf_run_end() after every run discards leftovers. */
	struct bpfdrv_rb_reservation reserved[BPFDRV_MAX_RESERVED];
};

/* ---- BPF ring buffer (ringbuf.c; its helpers are in helpers.h): the end-of-run cleanup ---- */
void bpfdrv_ringbuf_run_end(struct bpfdrv_run_env *env);

/* One invocation: the context bytes the program reads, and what helpers see. */
struct bpfdrv_run_ctx {
	const void *ctx;
	u32 size;
	struct pt_regs *regs;
	u64 cookie, func_ip;
	u64 *retval; /* if set: r0 of the run (BPF_PROG_TEST_RUN) */
	void *ctx_out; /* if set: the context as the run left it, size bytes (test runs) */
	int *error; /* if set: the engine's error when it aborted the run, else 0 */
};

int bpfdrv_prog_run_init(void);
void bpfdrv_prog_run_exit(void);
/* Run a tracepoint program on a raw trace record. Any context, preemption off or on. */
void bpfdrv_run_trace_record(struct bpfdrv_prog *prog, const void *rec, u32 size, struct pt_regs *regs);
/* Run any program on a copy of c->ctx. Any context, preemption off or on. */
void bpfdrv_prog_run(struct bpfdrv_prog *prog, const struct bpfdrv_run_ctx *c);
/*
 * Linux's bpf_disable_instrumentation(): until the matching enable, programs that fire
 * on this CPU are skipped (counted as missed). For syscall-side code that takes a lock
 * programs take; preemption is off in between, so nothing there may sleep. Nests.
 */
void bpfdrv_disable_instrumentation(void);
void bpfdrv_enable_instrumentation(void);
/*
 * For helpers: pay for @bytes of work (copied, formatted, scanned) from the run's
 * budget before doing it. False: the run is aborted (-E2BIG); return at once.
 */
bool bpfdrv_charge_bytes(struct ebpf_run *run, u64 bytes);

/* ---- BTF objects (btf.c) ---- */
int bpfdrv_cmd_btf_load(union bpfdrv_attr *attr);

/* ---- perf buffer rings (perf_ring.c) ---- */
struct bpfdrv_perf_ring;
int bpfdrv_perf_ring_open(const struct bpfdrv_perf_event_attr *attr, int cpu, int flags);
struct bpfdrv_perf_ring *bpfdrv_perf_ring_from_fd(int fd, struct file **filep);
int bpfdrv_perf_ring_cpu(const struct bpfdrv_perf_ring *ring);
int bpfdrv_perf_ring_output(struct bpfdrv_perf_ring *ring, const void *data, u32 size);

/* ---- kernel perf events stored in perf event arrays (perf_event_read.c) ---- */
struct perf_event;
struct file *bpfdrv_perf_counter_fget(int fd, struct perf_event **eventp);
int bpfdrv_perf_counter_read(struct perf_event *event, u64 *value, u64 *enabled, u64 *running);

/*
 * ---- emulated perf events (event.c; one file per attach type) ----
 * The fd a tool gets from perf_event_open for an event the module emulates. A program
 * is attached by PERF_EVENT_IOC_SET_BPF or BPF_LINK_CREATE; the attach type's probe
 * calls bpfdrv_event_run, where the program type picks the context: KPROBE programs
 * get the probed pt_regs, TRACEPOINT programs the raw record, PERF_EVENT programs
 * the bpf_perf_event_data the attach type built.
 */
struct bpfdrv_event;

struct bpfdrv_event_type {
	const char *name;
	/* Validate the attr and set up ev->priv (probes may be registered here, as perf does). */
	int (*init)(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *attr,
		    int pid, int cpu);
	/* The program types that may attach here, BIT(type) each (kernel: perf_event_set_bpf_prog). */
	u32 prog_types;
	/*
	 * Optional: a program was attached / is being detached. After stop returns no
	 * handler of this event runs any more.
	 */
	int (*start)(struct bpfdrv_event *ev);
	void (*stop)(struct bpfdrv_event *ev);
	/* Unregister what init set up (no handler runs after it returns) and free priv. */
	void (*free)(struct bpfdrv_event *ev);
};

struct bpfdrv_event {
	const struct bpfdrv_event_type *type;
	struct mutex lock;
	bool enabled;
	struct bpfdrv_prog __rcu *prog;
	u64 cookie;
	void *priv;
};

extern const struct bpfdrv_event_type bpfdrv_tracepoint_event, bpfdrv_kprobe_event,
	bpfdrv_uprobe_event, bpfdrv_sw_sample_event;
/*
 * The function a kprobe on @sym (a KSYM_NAME_LEN buffer of @size) probes on this kernel:
 * renamed in place to its older name where only that exists (kprobe_fn_names.c).
 */
void bpfdrv_kprobe_fn_name(char *sym, size_t size);

/*
 * Synthetic tracepoints (synth_tp.c): the ids in [BPFDRV_SYNTH_TP_ID_BASE,
 * BPFDRV_SYNTH_TP_ID_END) are served by the family publishing them, all other
 * tracepoint ids by the kernel's tracepoints. A family: events a kernel may lack,
 * published as bpfdrv/events/<category>/<name>/{id,format} in debugfs.
 */
struct seq_file;
struct bpfdrv_synth_tp_family {
	const char *category;
	/* Serves perf_event_open(PERF_TYPE_TRACEPOINT) of the family's ids. */
	const struct bpfdrv_event_type *type;
	unsigned int nr_events;
	u32 (*id)(unsigned int i);
	void (*name)(unsigned int i, char *buf, size_t len);
	/* The format file after struct trace_entry's fields: the event's, then print fmt. */
	void (*format)(struct seq_file *m, unsigned int i);
};
extern const struct bpfdrv_synth_tp_family bpfdrv_syscall_synth, bpfdrv_sock_synth;
bool bpfdrv_synth_tp_id(u64 config);
/* The event type serving synthetic tracepoint id @config, or NULL. */
const struct bpfdrv_event_type *bpfdrv_synth_tp_type(u64 config);
/* Publish every family's events under the module's debugfs directory. */
void bpfdrv_synth_tp_init(void);

int bpfdrv_event_open(const struct bpfdrv_event_type *type,
		      const struct bpfdrv_perf_event_attr *attr, int pid, int cpu, int flags);
/* From a probe handler: run the attached program, if any, while enabled. */
void bpfdrv_event_run(struct bpfdrv_event *ev, const void *rec, u32 size,
		      struct pt_regs *regs, u64 func_ip);
/* The event behind a perf fd of ours, with a file reference (EBADF otherwise, as perf_event_get). */
struct file *bpfdrv_event_fget(int fd, struct bpfdrv_event **evp);
/* Attach (takes over the caller's program reference on success) / detach. */
int bpfdrv_event_attach(struct bpfdrv_event *ev, struct bpfdrv_prog *prog, u64 cookie);
void bpfdrv_event_detach(struct bpfdrv_event *ev);

/* ---- links (link.c, attach_raw_tp.c) ---- */
struct bpfdrv_link;

struct bpfdrv_link_ops {
	const char *name;
	u32 type; /* Linux's enum bpf_link_type, for link info and fdinfo */
	/* Optional: the per-type part of BPF_OBJ_GET_INFO_BY_FD; @info holds the request. */
	int (*fill_info)(struct bpfdrv_link *link, struct bpfdrv_link_info *info);
	/* Optional: the per-type fdinfo lines after the common ones. */
	void (*show_fdinfo)(struct bpfdrv_link *link, struct seq_file *m);
	/* Detach from the attach point; the program reference is dropped by link.c. */
	void (*release)(struct bpfdrv_link *link);
	/* Optional, as in the kernel: without them LINK_DETACH is EOPNOTSUPP, LINK_UPDATE EINVAL. */
	int (*detach)(struct bpfdrv_link *link);
	int (*update)(struct bpfdrv_link *link, struct bpfdrv_prog *new_prog);
};

struct bpfdrv_link {
	const struct bpfdrv_link_ops *ops;
	struct bpfdrv_prog *prog;
	void *priv;
	u32 id;
	struct file *file;
};

/* A link fd owning @prog's reference (dropped on failure too). */
int bpfdrv_link_new_fd(const struct bpfdrv_link_ops *ops, struct bpfdrv_prog *prog, void *priv);
int bpfdrv_cmd_link_create(union bpfdrv_attr *attr);
int bpfdrv_cmd_link_update(union bpfdrv_attr *attr);
int bpfdrv_cmd_link_detach(union bpfdrv_attr *attr);

/* run_stats.c: BPF_ENABLE_STATS, and whether run times are measured now. */
int bpfdrv_cmd_enable_stats(union bpfdrv_attr *attr);
bool bpfdrv_run_stats_enabled(void);
int bpfdrv_cmd_raw_tp_open(union bpfdrv_attr *attr);

/* Context sizes of the attach types' programs (attach_perf_event.c, attach_raw_tp.c). */
u32 bpfdrv_perf_event_ctx_size(void);
u32 bpfdrv_raw_tp_ctx_size(void);

/* ---- bpf(2) command dispatch (bpf_cmd.c) ---- */
/* @target: what a tracing program's attach_btf_id names (BPFDRV_IOC_PROG_LOAD_BTF), or NULL. */
/*
 * What a command or ioctl needs from the calling task (bpf_cmd.c's bpfdrv_permitted),
 * on kernels that predate CAP_BPF / CAP_PERFMON (5.8) CAP_SYS_ADMIN in their place:
 *  FD         nothing: it acts on objects whose fds the caller holds;
 *  BPF        bpf_capable() (CAP_BPF or CAP_SYS_ADMIN), else EPERM;
 *  BPF_PROG   bpf_capable(), and perfmon_capable() for tracing program types, else EPERM;
 *  SYS_ADMIN  CAP_SYS_ADMIN, else EPERM (objects by global id);
 *  PERFMON    perfmon_capable() (CAP_PERFMON or CAP_SYS_ADMIN), else EACCES, as
 *             perf_event_open answers for kprobe / uprobe PMU and CPU-wide events;
 *  BPFFS      the emulated /sys/fs/bpf is bpffs as systemd mounts it (root's, mode
 *             0700): fsuid 0 or CAP_DAC_OVERRIDE, else EACCES.
 */
enum bpfdrv_need {
	BPFDRV_NEED_FD,
	BPFDRV_NEED_BPF,
	BPFDRV_NEED_BPF_PROG,
	BPFDRV_NEED_SYS_ADMIN,
	BPFDRV_NEED_PERFMON,
	BPFDRV_NEED_BPFFS,
};

int bpfdrv_permitted(enum bpfdrv_need need, const union bpfdrv_attr *attr);
int bpfdrv_bpf_cmd(u32 cmd, const void __user *uattr, u32 size, const struct bpfdrv_btf_target *target);
/* 0 if bytes [from, to) of user memory are zero, else -E2BIG (or -EFAULT). */
int bpfdrv_user_tail_zero(const u8 __user *uattr, u32 from, u32 to);
/* In a command handler: the target the caller resolved, or NULL. */
const struct bpfdrv_btf_target *bpfdrv_cmd_btf_target(const union bpfdrv_attr *attr);

/* Copy a user buffer of @size bytes into fresh kernel memory. */
void *bpfdrv_copy_from_user_alloc(u64 uptr, u32 size);

/* A zeroed area mmap may map (remap_vmalloc_range), sized by user space: user_area.c. */
struct bpfdrv_user_area {
	void *addr;
	struct page **pages;
	unsigned long nr_pages;
};

int bpfdrv_user_area_alloc(struct bpfdrv_user_area *a, unsigned long size);
void bpfdrv_user_area_free(struct bpfdrv_user_area *a);
#define bpfdrv_u64_to_ptr(v) ((void __user *)(uintptr_t)(v))

#endif /* BPFDRV_H */
