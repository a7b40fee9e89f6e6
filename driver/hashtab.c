// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_HASH. Elements come from a pool allocated at create time (also for
 * BPF_F_NO_PREALLOC), so programs never allocate and a value pointer a program holds
 * always points into the pool even if the element is deleted meanwhile, as with the
 * kernel's preallocated hash maps.
 */
#include <linux/kernel.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include "bpfdrv.h"
#include "compat.h"

#define HTAB_NIL U32_MAX

struct htab_elem {
	u32 next; /* index of the next element in the bucket or free list */
	u32 hash;
	u8 data[]; /* key, then value at round_up(key_size, 8) */
};

struct bpfdrv_htab {
	struct bpfdrv_map map;
	spinlock_t lock;
	u32 n_buckets, elem_size, key_off_value, count, free_head, seed;
	u32 *buckets;
	u8 *elems;
};

#define to_htab(m) container_of(m, struct bpfdrv_htab, map)

static struct htab_elem *htab_elem(struct bpfdrv_htab *h, u32 i)
{
	return (struct htab_elem *)(h->elems + (u64)i * h->elem_size);
}

static struct bpfdrv_map *htab_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_htab *h;
	u64 pool;
	u32 i;

	if (!attr->key_size || !attr->value_size || !attr->max_entries)
		return ERR_PTR(-EINVAL);
	if (attr->key_size > 512 || attr->value_size > (1u << 20) ||
	    attr->max_entries > (1u << 24))
		return ERR_PTR(-E2BIG);
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->key_off_value = round_up(attr->key_size, 8);
	h->elem_size = sizeof(struct htab_elem) + h->key_off_value + round_up(attr->value_size, 8);
	h->n_buckets = roundup_pow_of_two(attr->max_entries);
	pool = (u64)h->elem_size * attr->max_entries;
	if (pool > (1ull << 31)) {
		kfree(h);
		return ERR_PTR(-E2BIG);
	}
	h->buckets = bpfdrv_zalloc_large((size_t)h->n_buckets * sizeof(u32));
	h->elems = bpfdrv_zalloc_large(pool);
	if (!h->buckets || !h->elems) {
		bpfdrv_free_large(h->buckets);
		bpfdrv_free_large(h->elems);
		kfree(h);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < h->n_buckets; i++)
		h->buckets[i] = HTAB_NIL;
	for (i = 0; i < attr->max_entries; i++)
		htab_elem(h, i)->next = i + 1 < attr->max_entries ? i + 1 : HTAB_NIL;
	h->free_head = 0;
	h->seed = (attr->map_flags & BPFDRV_F_ZERO_SEED) ? 0 : bpfdrv_random_u32();
	spin_lock_init(&h->lock);
	bpfdrv_map_init(&h->map, attr, &bpfdrv_hash_ops);
	return &h->map;
}

static void htab_free(struct bpfdrv_map *map)
{
	struct bpfdrv_htab *h = to_htab(map);

	bpfdrv_free_large(h->buckets);
	bpfdrv_free_large(h->elems);
	kfree(h);
}

/* Find @key in its bucket; *prevp gets the link that points at it. Lock held. */
static u32 htab_find(struct bpfdrv_htab *h, const void *key, u32 hash, u32 **prevp)
{
	u32 *link = &h->buckets[hash & (h->n_buckets - 1)];

	while (*link != HTAB_NIL) {
		struct htab_elem *e = htab_elem(h, *link);

		if (e->hash == hash && !memcmp(e->data, key, h->map.key_size))
			break;
		link = &e->next;
	}
	if (prevp)
		*prevp = link;
	return *link;
}

static u32 htab_hash(struct bpfdrv_htab *h, const void *key)
{
	return jhash(key, h->map.key_size, h->seed);
}

static void *htab_lookup(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	void *value = NULL;
	u32 i;

	spin_lock_irqsave(&h->lock, flags);
	i = htab_find(h, key, htab_hash(h, key), NULL);
	if (i != HTAB_NIL)
		value = htab_elem(h, i)->data + h->key_off_value;
	spin_unlock_irqrestore(&h->lock, flags);
	return value;
}

static int htab_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct bpfdrv_htab *h = to_htab(map);
	u32 hash = htab_hash(h, key), i, *link;
	unsigned long irqflags;
	struct htab_elem *e;
	int err = 0;

	flags &= ~BPFDRV_F_LOCK;
	if (flags > BPFDRV_EXIST)
		return -EINVAL;
	spin_lock_irqsave(&h->lock, irqflags);
	i = htab_find(h, key, hash, &link);
	if (i != HTAB_NIL) {
		if (flags == BPFDRV_NOEXIST) {
			err = -EEXIST;
			goto out;
		}
		memcpy(htab_elem(h, i)->data + h->key_off_value, value, map->value_size);
		goto out;
	}
	if (flags == BPFDRV_EXIST) {
		err = -ENOENT;
		goto out;
	}
	if (h->free_head == HTAB_NIL) {
		err = -E2BIG;
		goto out;
	}
	i = h->free_head;
	e = htab_elem(h, i);
	h->free_head = e->next;
	e->hash = hash;
	memcpy(e->data, key, map->key_size);
	memcpy(e->data + h->key_off_value, value, map->value_size);
	/* *link is the bucket's NIL tail: append there. */
	e->next = HTAB_NIL;
	*link = i;
	h->count++;
out:
	spin_unlock_irqrestore(&h->lock, irqflags);
	return err;
}

static int htab_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	u32 i, *link;
	int err = -ENOENT;

	spin_lock_irqsave(&h->lock, flags);
	i = htab_find(h, key, htab_hash(h, key), &link);
	if (i != HTAB_NIL) {
		struct htab_elem *e = htab_elem(h, i);

		*link = e->next;
		e->next = h->free_head;
		h->free_head = i;
		h->count--;
		err = 0;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return err;
}

static int htab_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	struct bpfdrv_htab *h = to_htab(map);
	unsigned long flags;
	u32 i = HTAB_NIL, b = 0;
	int err = -ENOENT;

	spin_lock_irqsave(&h->lock, flags);
	if (key) {
		u32 hash = htab_hash(h, key);

		i = htab_find(h, key, hash, NULL);
		if (i != HTAB_NIL) {
			b = (hash & (h->n_buckets - 1)) + 1;
			i = htab_elem(h, i)->next;
		} else {
			b = 0; /* unknown key: start over, like the kernel */
		}
	}
	for (; i == HTAB_NIL && b < h->n_buckets; b++)
		i = h->buckets[b];
	if (i != HTAB_NIL) {
		memcpy(next_key, htab_elem(h, i)->data, map->key_size);
		err = 0;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	return err;
}

const struct bpfdrv_map_ops bpfdrv_hash_ops = {
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_lookup,
	.update = htab_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
};
