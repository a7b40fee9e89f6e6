// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_LPM_TRIE with Linux's semantics (lpm_trie.c): keys are
 * { u32 prefixlen; u8 data[] } (data in network bit order), lookups return the value
 * of the longest stored prefix matching the key's first prefixlen bits, updates and
 * deletes are exact, a full map refuses new prefixes with -ENOSPC, and get_next_key
 * walks the trie's post order (a prefix after the longer prefixes under it, the
 * 0-branch before the 1-branch). Stored here as a preallocated pool scanned linearly
 * under a lock: tracing tools keep these small; the order is computed, not stored.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"

struct lpm_elem {
	u32 used;
	u32 prefixlen;
	u8 data[]; /* key data (key_size - 4), then the value at value_off */
};

struct bpfdrv_lpm {
	struct bpfdrv_map map;
	raw_spinlock_t lock;
	u32 data_size, max_prefixlen, value_off, elem_size, count;
	u8 *elems;
};

#define to_lpm(m) container_of(m, struct bpfdrv_lpm, map)
#define LPM_DATA_SIZE_MAX 256

static struct lpm_elem *lpm_elem(struct bpfdrv_lpm *t, u32 i)
{
	return (struct lpm_elem *)(t->elems + (u64)i * t->elem_size);
}

static struct bpfdrv_map *lpm_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_lpm *t;
	u64 size;

	if (!attr->max_entries || !(attr->map_flags & BPFDRV_F_NO_PREALLOC) ||
	    attr->map_flags & ~(BPFDRV_F_NO_PREALLOC | BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY |
				BPFDRV_F_WRONLY | BPFDRV_F_RDONLY_PROG | BPFDRV_F_WRONLY_PROG) ||
	    attr->key_size < 4 + 1 || attr->key_size > 4 + LPM_DATA_SIZE_MAX ||
	    attr->value_size < 1 || attr->value_size > (1u << 20))
		return ERR_PTR(-EINVAL);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->data_size = attr->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	t->value_off = round_up(t->data_size, 8);
	t->elem_size = sizeof(struct lpm_elem) + t->value_off + round_up(attr->value_size, 8);
	size = (u64)t->elem_size * attr->max_entries;
	if (size > (1ull << 31)) {
		kfree(t);
		return ERR_PTR(-E2BIG);
	}
	t->elems = bpfdrv_zalloc_large(size);
	if (!t->elems) {
		kfree(t);
		return ERR_PTR(-ENOMEM);
	}
	raw_spin_lock_init(&t->lock);
	bpfdrv_map_init(&t->map, attr, &bpfdrv_lpm_trie_ops);
	return &t->map;
}

static void lpm_free(struct bpfdrv_map *map)
{
	bpfdrv_free_large(to_lpm(map)->elems);
	kfree(to_lpm(map));
}

static int bit_at(const u8 *data, u32 i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

/* Number of leading bits a and b share, up to max. */
static u32 common_bits(const u8 *a, const u8 *b, u32 max)
{
	u32 i;

	for (i = 0; i < max; i++)
		if (bit_at(a, i) != bit_at(b, i))
			break;
	return i;
}

/* < 0 if (alen, a) comes before (blen, b) in the trie's post order. */
static int lpm_order(const u8 *a, u32 alen, const u8 *b, u32 blen)
{
	u32 m = common_bits(a, b, min(alen, blen));

	if (m == min(alen, blen)) /* one contains the other: the longer goes first */
		return alen == blen ? 0 : (alen > blen ? -1 : 1);
	return bit_at(a, m) ? 1 : -1;
}

static u32 lpm_find_exact(struct bpfdrv_lpm *t, u32 prefixlen, const u8 *data)
{
	u32 i;

	for (i = 0; i < t->map.max_entries; i++) {
		struct lpm_elem *e = lpm_elem(t, i);

		if (e->used && e->prefixlen == prefixlen &&
		    common_bits(e->data, data, prefixlen) == prefixlen)
			return i;
	}
	return U32_MAX;
}

static void *lpm_lookup(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 len = *(const u32 *)key, i, best = U32_MAX;
	const u8 *data = (const u8 *)key + 4;
	unsigned long flags;

	if (len > t->max_prefixlen)
		len = t->max_prefixlen;
	raw_spin_lock_irqsave(&t->lock, flags);
	for (i = 0; i < map->max_entries; i++) {
		struct lpm_elem *e = lpm_elem(t, i);

		if (!e->used || e->prefixlen > len ||
		    (best != U32_MAX && lpm_elem(t, best)->prefixlen >= e->prefixlen))
			continue;
		if (common_bits(e->data, data, e->prefixlen) == e->prefixlen)
			best = i;
	}
	raw_spin_unlock_irqrestore(&t->lock, flags);
	return best == U32_MAX ? NULL : lpm_elem(t, best)->data + t->value_off;
}

static int lpm_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 len = *(const u32 *)key, i;
	const u8 *data = (const u8 *)key + 4;
	unsigned long irqflags;
	struct lpm_elem *e;
	int err = 0;

	if (flags > BPFDRV_EXIST)
		return -EINVAL;
	if (len > t->max_prefixlen)
		return -EINVAL;
	raw_spin_lock_irqsave(&t->lock, irqflags);
	i = lpm_find_exact(t, len, data);
	if (i != U32_MAX) {
		if (flags == BPFDRV_NOEXIST) {
			err = -EEXIST;
			goto out;
		}
		e = lpm_elem(t, i);
	} else {
		if (flags == BPFDRV_EXIST) {
			err = -ENOENT;
			goto out;
		}
		if (t->count >= map->max_entries) {
			err = -ENOSPC;
			goto out;
		}
		for (i = 0; lpm_elem(t, i)->used; i++)
			;
		e = lpm_elem(t, i);
		e->prefixlen = len;
		e->used = 1;
		t->count++;
	}
	/* The stored key is the last one given, bits past prefixlen included (Linux). */
	memcpy(e->data, data, t->data_size);
	memcpy(e->data + t->value_off, value, map->value_size);
out:
	raw_spin_unlock_irqrestore(&t->lock, irqflags);
	return err;
}

static int lpm_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 len = *(const u32 *)key, i;
	unsigned long flags;
	int err = -ENOENT;

	if (len > t->max_prefixlen)
		return -EINVAL;
	raw_spin_lock_irqsave(&t->lock, flags);
	i = lpm_find_exact(t, len, (const u8 *)key + 4);
	if (i != U32_MAX) {
		lpm_elem(t, i)->used = 0;
		t->count--;
		err = 0;
	}
	raw_spin_unlock_irqrestore(&t->lock, flags);
	return err;
}

static int lpm_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 i, best = U32_MAX, cur = U32_MAX;
	unsigned long flags;
	int err = -ENOENT;

	raw_spin_lock_irqsave(&t->lock, flags);
	/* An absent or unknown key starts over at the first prefix (Linux). */
	if (key && *(const u32 *)key <= t->max_prefixlen)
		cur = lpm_find_exact(t, *(const u32 *)key, (const u8 *)key + 4);
	for (i = 0; i < map->max_entries; i++) {
		struct lpm_elem *e = lpm_elem(t, i), *b;

		if (!e->used)
			continue;
		if (cur != U32_MAX &&
		    lpm_order(e->data, e->prefixlen, lpm_elem(t, cur)->data, lpm_elem(t, cur)->prefixlen) <= 0)
			continue;
		b = best == U32_MAX ? NULL : lpm_elem(t, best);
		if (!b || lpm_order(e->data, e->prefixlen, b->data, b->prefixlen) < 0)
			best = i;
	}
	if (best != U32_MAX) {
		*(u32 *)next_key = lpm_elem(t, best)->prefixlen;
		memcpy((u8 *)next_key + 4, lpm_elem(t, best)->data, t->data_size);
		err = 0;
	}
	raw_spin_unlock_irqrestore(&t->lock, flags);
	return err;
}

const struct bpfdrv_map_ops bpfdrv_lpm_trie_ops = {
	.alloc = lpm_alloc,
	.free = lpm_free,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.get_next_key = lpm_get_next_key,
};
