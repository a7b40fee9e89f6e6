// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_BLOOM_FILTER (Linux's bloom_filter.c): keyless; push adds a value,
 * peek answers 0 (maybe present) or -ENOENT (certainly absent). map_extra's low 4
 * bits are the number of hash functions (0: 5). The bit array is sized as Linux
 * sizes it: max_entries * nr_hash_funcs / ln 2 bits, rounded up to a power of two.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/bitops.h>
#include "bpfdrv.h"
#include "compat.h"

struct bpfdrv_bloom {
	struct bpfdrv_map map;
	u32 bitset_mask, hash_seed, nr_hash_funcs, aligned_u32_count;
	unsigned long *bitset;
};

#define to_bloom(m) container_of(m, struct bpfdrv_bloom, map)

static struct bpfdrv_map *bloom_alloc(const struct bpfdrv_map_create_attr *attr)
{
	u32 nr_hash_funcs = attr->map_extra & 0xf, nr_bits, bitset_bytes;
	u64 bits;
	struct bpfdrv_bloom *b;

	if (attr->key_size != 0 || attr->value_size == 0 || attr->max_entries == 0 ||
	    attr->map_flags & ~(BPFDRV_F_NUMA_NODE | BPFDRV_F_ZERO_SEED | BPFDRV_F_RDONLY |
				BPFDRV_F_WRONLY | BPFDRV_F_RDONLY_PROG | BPFDRV_F_WRONLY_PROG) ||
	    (attr->map_extra & ~0xfULL))
		return ERR_PTR(-EINVAL);
	if (!nr_hash_funcs)
		nr_hash_funcs = 5;
	/* nr_bits = max_entries * nr_hash_funcs / ln(2), Linux approximating 1/ln2 by 7/5 */
	bits = (u64)attr->max_entries * nr_hash_funcs / 5 * 7;
	if (bits > (1ULL << 31))
		nr_bits = 1U << 31;
	else
		nr_bits = bits < 64 ? 64 : roundup_pow_of_two((u32)bits);
	bitset_bytes = BITS_TO_LONGS(nr_bits) * sizeof(unsigned long);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->bitset = bpfdrv_zalloc_large(bitset_bytes);
	if (!b->bitset) {
		kfree(b);
		return ERR_PTR(-ENOMEM);
	}
	b->bitset_mask = nr_bits - 1;
	b->nr_hash_funcs = nr_hash_funcs;
	b->aligned_u32_count = (attr->value_size & 3) ? 0 : attr->value_size / 4;
	b->hash_seed = (attr->map_flags & BPFDRV_F_ZERO_SEED) ? 0 : bpfdrv_random_u32();
	bpfdrv_map_init(&b->map, attr, &bpfdrv_bloom_filter_ops);
	return &b->map;
}

static void bloom_free(struct bpfdrv_map *map)
{
	bpfdrv_free_large(to_bloom(map)->bitset);
	kfree(to_bloom(map));
}

static u32 bloom_hash(struct bpfdrv_bloom *b, const void *value, u32 index)
{
	u32 h = b->aligned_u32_count ?
		jhash2(value, b->aligned_u32_count, b->hash_seed + index) :
		jhash(value, b->map.value_size, b->hash_seed + index);

	return h & b->bitset_mask;
}

static int bloom_push(struct bpfdrv_map *map, const void *value, u64 flags)
{
	struct bpfdrv_bloom *b = to_bloom(map);
	u32 i;

	if (flags != BPFDRV_ANY)
		return -EINVAL;
	for (i = 0; i < b->nr_hash_funcs; i++)
		set_bit(bloom_hash(b, value, i), b->bitset);
	return 0;
}

static int bloom_peek(struct bpfdrv_map *map, void *value)
{
	struct bpfdrv_bloom *b = to_bloom(map);
	u32 i;

	for (i = 0; i < b->nr_hash_funcs; i++)
		if (!test_bit(bloom_hash(b, value, i), b->bitset))
			return -ENOENT;
	return 0;
}

static int bloom_pop(struct bpfdrv_map *map, void *value)
{
	return -EOPNOTSUPP;
}

static void *bloom_lookup(struct bpfdrv_map *map, const void *key)
{
	return NULL;
}

static int bloom_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	return bloom_push(map, value, flags);
}

static int bloom_delete(struct bpfdrv_map *map, const void *key)
{
	return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	return -EOPNOTSUPP;
}

/* LOOKUP from user space: the value to test comes in the value buffer (Linux). */
static int bloom_sys_lookup(struct bpfdrv_map *map, const void *key, void *value)
{
	return bloom_peek(map, value);
}

const struct bpfdrv_map_ops bpfdrv_bloom_filter_ops = {
	.alloc = bloom_alloc,
	.free = bloom_free,
	.lookup = bloom_lookup,
	.update = bloom_update,
	.delete = bloom_delete,
	.get_next_key = bloom_get_next_key,
	.sys_lookup = bloom_sys_lookup,
	.sys_lookup_value_in = true,
	.push = bloom_push,
	.pop = bloom_pop,
	.peek = bloom_peek,
};
