// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_BIND_MAP: a map the program's code does not name is held by the program and
 * listed among its map ids, as the kernel adds it to the program's used_maps. libbpf
 * binds the .rodata map that carries an object's bpf_metadata_* variables to each of its
 * programs, and bpftool prog show prints that metadata from it.
 *
 * The code's own maps (prog->maps, whose ebpf_map_ref table the engine reads while the
 * program runs) never change after load: bound maps are a list of their own, under the
 * program's bound_lock, which runs never take.
 */
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include "bpfdrv.h"
#include "compat.h"

static bool prog_holds_map(const struct bpfdrv_prog *prog, const struct bpfdrv_map *map)
{
	u32 i;

	for (i = 0; i < prog->nr_maps; i++)
		if (prog->maps[i] == map)
			return true;
	for (i = 0; i < prog->nr_bound_maps; i++)
		if (prog->bound_maps[i] == map)
			return true;
	return false;
}

int bpfdrv_cmd_prog_bind_map(union bpfdrv_attr *attr)
{
	const struct bpfdrv_prog_bind_map_attr *a = &attr->bind_map;
	struct bpfdrv_prog *prog;
	struct bpfdrv_map *map;
	bool keep = false;
	int err = 0;

	if (a->flags)
		return -EINVAL;
	prog = bpfdrv_prog_from_fd(a->prog_fd);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	map = bpfdrv_map_from_fd(a->map_fd);
	if (IS_ERR(map)) {
		err = PTR_ERR(map);
		goto out_prog;
	}
	mutex_lock(&prog->bound_lock);
	if (prog_holds_map(prog, map)) {
		/* Bound already, or named by the code: nothing to add (the kernel's answer). */
	} else if (prog->nr_bound_maps == BPFDRV_MAX_BOUND_MAPS) {
		bpfdrv_warn("BPF_PROG_BIND_MAP: program '%s' holds %u bound maps, the most it may\n",
			    prog->name, BPFDRV_MAX_BOUND_MAPS);
		err = -E2BIG;
	} else {
		prog->bound_maps[prog->nr_bound_maps++] = map; /* the reference from_fd took */
		keep = true;
	}
	mutex_unlock(&prog->bound_lock);
	if (!keep)
		bpfdrv_map_put(map);
out_prog:
	bpfdrv_prog_put(prog);
	return err;
}

u32 bpfdrv_prog_map_ids(struct bpfdrv_prog *prog, u32 *ids, u32 max)
{
	u32 i, n = 0;

	for (i = 0; i < prog->nr_maps; i++, n++)
		if (n < max)
			ids[n] = prog->maps[i]->id;
	mutex_lock(&prog->bound_lock);
	for (i = 0; i < prog->nr_bound_maps; i++, n++)
		if (n < max)
			ids[n] = prog->bound_maps[i]->id;
	mutex_unlock(&prog->bound_lock);
	return n;
}

/* The program's last reference is gone: nothing else can see the list. */
void bpfdrv_prog_unbind_maps(struct bpfdrv_prog *prog)
{
	u32 i;

	for (i = 0; i < prog->nr_bound_maps; i++)
		bpfdrv_map_put(prog->bound_maps[i]);
	prog->nr_bound_maps = 0;
}
