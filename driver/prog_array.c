// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_PROG_ARRAY and bpf_tail_call (helper 12). User space stores program
 * fds (BPF_ANY only); a program tail-calls index i and continues in that program,
 * at most EBPF_MAX_TAIL_CALLS (33) times per run. All programs in one array have the
 * type of the first one stored (Linux: the array's owner type). Entries are replaced
 * in process context and the old program is released after every CPU left its
 * programs (runs are preemption-disabled sections). As in Linux, closing the last
 * user-space file of the map empties it, which breaks program <-> map cycles.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"
#include "helpers.h"

struct bpfdrv_prog_array {
	struct bpfdrv_map map;
	struct mutex lock; /* writers */
	u32 owner_type; /* U32_MAX: none yet */
	struct bpfdrv_prog *progs[];
};

#define to_parray(m) container_of(m, struct bpfdrv_prog_array, map)

static struct bpfdrv_map *parr_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_prog_array *a;

	if (attr->key_size != 4 || attr->value_size != 4 || !attr->max_entries ||
	    attr->map_flags & ~(BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY | BPFDRV_F_WRONLY))
		return ERR_PTR(-EINVAL);
	if (attr->max_entries > (1u << 20))
		return ERR_PTR(-E2BIG);
	a = bpfdrv_zalloc_large(sizeof(*a) + (size_t)attr->max_entries * sizeof(a->progs[0]));
	if (!a)
		return ERR_PTR(-ENOMEM);
	mutex_init(&a->lock);
	a->owner_type = U32_MAX;
	bpfdrv_map_init(&a->map, attr, &bpfdrv_prog_array_ops);
	return &a->map;
}

/* Swap slot @index to @prog (may be NULL); drop the old program once no run sees it. */
static int parr_replace(struct bpfdrv_prog_array *a, u32 index, struct bpfdrv_prog *prog)
{
	struct bpfdrv_prog *old;

	old = xchg(&a->progs[index], prog);
	if (!old)
		return -ENOENT;
	bpfdrv_synchronize();
	bpfdrv_prog_put(old);
	return 0;
}

/*
 * Empty every slot and drop the programs after a single grace period for all of them
 * (closing an array of 64k programs must not wait 64k grace periods). Without memory
 * for the list, slot by slot.
 */
static void parr_clear(struct bpfdrv_map *map)
{
	struct bpfdrv_prog_array *a = to_parray(map);
	struct bpfdrv_prog **old;
	u32 i, n = 0;

	mutex_lock(&a->lock);
	for (i = 0; i < map->max_entries; i++)
		n += !!a->progs[i];
	old = n ? bpfdrv_zalloc_large((size_t)n * sizeof(*old)) : NULL;
	for (i = 0, n = 0; i < map->max_entries; i++) {
		if (!a->progs[i])
			continue;
		if (old)
			old[n++] = xchg(&a->progs[i], NULL);
		else
			parr_replace(a, i, NULL);
	}
	mutex_unlock(&a->lock);
	if (!n)
		return;
	bpfdrv_synchronize();
	for (i = 0; i < n; i++)
		bpfdrv_prog_put(old[i]);
	bpfdrv_free_large(old);
}

static void parr_free(struct bpfdrv_map *map)
{
	parr_clear(map);
	bpfdrv_free_large(to_parray(map));
}

static void *parr_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL; /* programs only tail-call through it */
}

static int parr_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return -EINVAL; /* programs cannot store programs */
}

static int parr_delete(struct bpfdrv_map *map, const void *key)
{
	return -EINVAL;
}

static int parr_sys_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct bpfdrv_prog_array *a = to_parray(map);
	u32 index = *(const u32 *)key;
	struct bpfdrv_prog *prog;
	int err = 0;

	if (flags != BPFDRV_ANY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	prog = bpfdrv_prog_from_fd(*(const u32 *)value);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	mutex_lock(&a->lock);
	if (a->owner_type != U32_MAX && a->owner_type != prog->type) {
		err = -EINVAL;
	} else {
		a->owner_type = prog->type;
		if (parr_replace(a, index, prog) == -ENOENT)
			err = 0;
		prog = NULL;
	}
	mutex_unlock(&a->lock);
	if (prog)
		bpfdrv_prog_put(prog);
	return err;
}

static int parr_sys_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_prog_array *a = to_parray(map);
	u32 index = *(const u32 *)key;
	int err;

	if (index >= map->max_entries)
		return -E2BIG;
	mutex_lock(&a->lock);
	err = parr_replace(a, index, NULL);
	mutex_unlock(&a->lock);
	return err;
}

static int parr_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	struct bpfdrv_prog_array *a = to_parray(map);
	u32 index = *(const u32 *)key;
	struct bpfdrv_prog *prog;
	int err = -ENOENT;

	/* Linux answers the program's id; the lock keeps the program from being dropped. */
	if (index >= map->max_entries)
		return -ENOENT;
	mutex_lock(&a->lock);
	prog = a->progs[index];
	if (prog) {
		*(u32 *)value = prog->id;
		err = 0;
	}
	mutex_unlock(&a->lock);
	return err;
}

u64 bpfdrv_h_tail_call(struct ebpf_run *run, u64 ctx, u64 map, u64 index, u64 a4, u64 a5)
{
	struct bpfdrv_map *m = (struct bpfdrv_map *)(uintptr_t)map;
	struct bpfdrv_prog *prog;

	if (m->ops != &bpfdrv_prog_array_ops || index >= m->max_entries)
		return 0;
	prog = READ_ONCE(to_parray(m)->progs[index]);
	/* Same type as the running program, so the context means the same thing. */
	if (!prog || prog->type != ((struct bpfdrv_run_env *)run->env)->prog->type ||
	    prog->eprog.ctx_size != run->prog->ctx_size)
		return 0;
	ebpf_tail_call(run, &prog->eprog); /* -E2BIG after 33: the program goes on */
	return 0;
}

const struct bpfdrv_map_ops bpfdrv_prog_array_ops = {
	.alloc = parr_alloc,
	.free = parr_free,
	.lookup = parr_lookup,
	.update = parr_update,
	.delete = parr_delete,
	.get_next_key = bpfdrv_array_get_next_key,
	.sys_lookup = parr_sys_lookup,
	.sys_update = parr_sys_update,
	.sys_delete = parr_sys_delete,
	.sys_sleeps = true,
	.release_uref = parr_clear,
};

/* The owner program type (the first one stored), U32_MAX if none yet (fdinfo). */
u32 bpfdrv_prog_array_owner(struct bpfdrv_map *map)
{
	return READ_ONCE(to_parray(map)->owner_type);
}
