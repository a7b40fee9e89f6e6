// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_MAP_TYPE_LPM_TRIE with the shape and semantics of Linux's lpm_trie.c. Keys are
 * { u32 prefixlen; u8 data[] } (data in network bit order). The map is a binary trie:
 * a node's children extend its prefix, child[b] the ones whose next bit is b, and
 * intermediate nodes (LPM_IM: no value, not an entry, always two children) sit where
 * two prefixes part. A walk from the root visits at most max_prefixlen + 1 nodes and
 * compares each key bit once, whatever the number of entries.
 *
 * Lookups (programs in any context, NMI included) walk under RCU and take no lock.
 * Updates and deletes take the map's lock with IRQs off, publish nodes with
 * rcu_assign_pointer and free the ones they unlink after a grace period, so a value
 * pointer a program got stays valid until its run ends. A write that would wait for
 * the lock on the CPU holding it (a program on a function called under it) fails with
 * -EBUSY instead of deadlocking, as Linux's hash map does; so does a write in NMI,
 * where it could neither allocate nor queue the RCU free.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/hardirq.h>
#include "bpfdrv.h"
#include "compat.h"

#define LPM_IM 1 /* node flag: intermediate */
#define LPM_DATA_SIZE_MAX 256
/* Linux 6.1's bound on x86-64: KMALLOC_MAX_SIZE (4 MiB) less the largest key data and its node header. */
#define LPM_VALUE_SIZE_MAX ((4u << 20) - LPM_DATA_SIZE_MAX - 40)
#define LPM_GFP (GFP_ATOMIC | __GFP_NOWARN)

struct lpm_node {
	struct rcu_head rcu; /* first member: bpfdrv_kfree_rcu_all frees through it */
	struct lpm_node __rcu *child[2];
	u32 prefixlen, flags;
	u8 data[]; /* key data (data_size bytes), then an entry's value at value_off */
};

struct bpfdrv_lpm {
	struct bpfdrv_map map;
	struct lpm_node __rcu *root;
	spinlock_t lock;
	int __percpu *locked; /* per CPU: inside the lock's section (re-entry guard) */
	u32 data_size, max_prefixlen, value_off, entries;
	bool queued_frees; /* lpm_free must wait for RCU callbacks */
};

#define to_lpm(m) container_of(m, struct bpfdrv_lpm, map)
#define lpm_locked_deref(t, p) rcu_dereference_protected(p, lockdep_is_held(&(t)->lock))

static struct bpfdrv_map *lpm_alloc(const struct bpfdrv_map_create_attr *attr)
{
	struct bpfdrv_lpm *t;

	if (!attr->max_entries || !(attr->map_flags & BPFDRV_F_NO_PREALLOC) ||
	    attr->map_flags & ~(BPFDRV_F_NO_PREALLOC | BPFDRV_F_NUMA_NODE | BPFDRV_F_RDONLY |
				BPFDRV_F_WRONLY | BPFDRV_F_RDONLY_PROG | BPFDRV_F_WRONLY_PROG) ||
	    attr->key_size < 4 + 1 || attr->key_size > 4 + LPM_DATA_SIZE_MAX ||
	    attr->value_size < 1 || attr->value_size > LPM_VALUE_SIZE_MAX)
		return ERR_PTR(-EINVAL);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->locked = alloc_percpu(int);
	if (!t->locked) {
		kfree(t);
		return ERR_PTR(-ENOMEM);
	}
	t->data_size = attr->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	/* Values 8-byte aligned: programs load u64s from them. */
	t->value_off = round_up(t->data_size, 8);
	spin_lock_init(&t->lock);
	bpfdrv_map_init(&t->map, attr, &bpfdrv_lpm_trie_ops);
	return &t->map;
}

/* Free a detached subtree in O(nodes): right rotations turn it into a child[1] list. */
static void lpm_free_subtree(struct lpm_node *node)
{
	while (node) {
		struct lpm_node *left = rcu_dereference_protected(node->child[0], 1);

		if (left) {
			RCU_INIT_POINTER(node->child[0], rcu_dereference_protected(left->child[1], 1));
			RCU_INIT_POINTER(left->child[1], node);
			node = left;
		} else {
			left = rcu_dereference_protected(node->child[1], 1);
			kfree(node);
			node = left;
		}
	}
}

/* The last reference is gone and bpfdrv_map_put waited out every reader. */
static void lpm_free(struct bpfdrv_map *map)
{
	struct bpfdrv_lpm *t = to_lpm(map);

	lpm_free_subtree(rcu_dereference_protected(t->root, 1));
	if (t->queued_frees)
		bpfdrv_rcu_barrier_all();
	free_percpu(t->locked);
	kfree(t);
}

static u32 lpm_bit(const u8 *data, u32 i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

/*
 * Leading bits @a and @b share, at most @limit, given that the first @from are
 * known equal (a walk passes its parent's prefix length, so it reads each byte once).
 */
static u32 lpm_match(const u8 *a, const u8 *b, u32 from, u32 limit)
{
	u32 i;

	for (i = from / 8; i * 8 < limit; i++) {
		u8 diff = a[i] ^ b[i];

		if (diff)
			return min(i * 8 + 8 - fls(diff), limit);
	}
	return limit;
}

static void *lpm_lookup(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 len = *(const u32 *)key, matched = 0;
	const u8 *data = (const u8 *)key + 4;
	struct lpm_node *node, *found = NULL;

	if (len > t->max_prefixlen)
		return NULL;
	/* Callers keep RCU (or preemption) off until they are done with the value. */
	rcu_read_lock();
	node = rcu_dereference(t->root);
	while (node) {
		matched = lpm_match(node->data, data, matched, min(node->prefixlen, len));
		if (matched < node->prefixlen)
			break;
		if (!(READ_ONCE(node->flags) & LPM_IM))
			found = node;
		if (node->prefixlen == len)
			break;
		node = rcu_dereference(node->child[lpm_bit(data, node->prefixlen)]);
	}
	rcu_read_unlock();
	return found ? found->data + t->value_off : NULL;
}

/*
 * Enter the write section: IRQs off and the lock held, or -EBUSY where waiting could
 * deadlock this CPU: in NMI, or re-entered from a program run under the section.
 */
static int lpm_write_begin(struct bpfdrv_lpm *t, unsigned long *irqflags)
{
	if (in_nmi())
		return -EBUSY;
	local_irq_save(*irqflags);
	if (this_cpu_inc_return(*t->locked) != 1) {
		this_cpu_dec(*t->locked);
		local_irq_restore(*irqflags);
		return -EBUSY;
	}
	spin_lock(&t->lock);
	return 0;
}

/* Leave the write section; then free what it unlinked, after a grace period. */
static void lpm_write_end(struct bpfdrv_lpm *t, unsigned long irqflags,
			  struct lpm_node *unlinked1, struct lpm_node *unlinked2)
{
	if (unlinked1 || unlinked2)
		t->queued_frees = true;
	spin_unlock(&t->lock);
	this_cpu_dec(*t->locked);
	local_irq_restore(irqflags);
	if (unlinked1)
		bpfdrv_kfree_rcu_all(&unlinked1->rcu);
	if (unlinked2)
		bpfdrv_kfree_rcu_all(&unlinked2->rcu);
}

/* A node for prefix (@len, @data); an entry with @value, or an intermediate node. */
static struct lpm_node *lpm_node_new(struct bpfdrv_lpm *t, u32 len, const u8 *data,
				     const void *value)
{
	size_t size = sizeof(struct lpm_node) + (value ? t->value_off + t->map.value_size : t->data_size);
	struct lpm_node *node = kmalloc(size, LPM_GFP);

	if (!node)
		return NULL;
	RCU_INIT_POINTER(node->child[0], NULL);
	RCU_INIT_POINTER(node->child[1], NULL);
	node->prefixlen = len;
	node->flags = value ? 0 : LPM_IM;
	/* The stored key is the one given, bits past prefixlen included (Linux). */
	memcpy(node->data, data, t->data_size);
	if (value)
		memcpy(node->data + t->value_off, value, t->map.value_size);
	return node;
}

/* Count one more entry, or the errno Linux's update gives when it may not. Lock held. */
static int lpm_add_entry(struct bpfdrv_lpm *t, u64 flags)
{
	if (flags == BPFDRV_EXIST)
		return -ENOENT;
	if (t->entries == t->map.max_entries)
		return -ENOSPC;
	t->entries++;
	return 0;
}

/*
 * Attach @new where its walk ended: *@slot holds @node (or nothing), which shares
 * @matched leading bits with it. Returns the node it replaced in place (to free), or
 * an ERR_PTR. Lock held.
 */
static struct lpm_node *lpm_attach(struct bpfdrv_lpm *t, struct lpm_node __rcu **slot,
				   struct lpm_node *node, u32 matched, struct lpm_node *new,
				   u64 flags)
{
	struct lpm_node *im;
	u32 bit;
	int err;

	if (node && node->prefixlen == matched) { /* the same prefix: replace the node */
		err = (node->flags & LPM_IM) ? lpm_add_entry(t, flags) :
		       flags == BPFDRV_NOEXIST ? -EEXIST : 0;
		if (err)
			return ERR_PTR(err);
		RCU_INIT_POINTER(new->child[0], lpm_locked_deref(t, node->child[0]));
		RCU_INIT_POINTER(new->child[1], lpm_locked_deref(t, node->child[1]));
		rcu_assign_pointer(*slot, new);
		return node;
	}
	err = lpm_add_entry(t, flags);
	if (err)
		return ERR_PTR(err);
	if (!node) {
		rcu_assign_pointer(*slot, new);
	} else if (matched == new->prefixlen) { /* @new is @node's ancestor */
		RCU_INIT_POINTER(new->child[lpm_bit(node->data, matched)], node);
		rcu_assign_pointer(*slot, new);
	} else { /* they part after @matched bits: a branching point above both */
		im = lpm_node_new(t, matched, node->data, NULL);
		if (!im) {
			t->entries--;
			return ERR_PTR(-ENOMEM);
		}
		bit = lpm_bit(new->data, matched);
		RCU_INIT_POINTER(im->child[bit], new);
		RCU_INIT_POINTER(im->child[!bit], node);
		rcu_assign_pointer(*slot, im);
	}
	return NULL;
}

static int lpm_update(struct bpfdrv_map *map, const void *key, const void *value, u64 flags)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 len = *(const u32 *)key, matched = 0;
	const u8 *data = (const u8 *)key + 4;
	struct lpm_node __rcu **slot = &t->root;
	struct lpm_node *node, *new, *old;
	unsigned long irqflags;
	int err;

	if (flags > BPFDRV_EXIST || len > t->max_prefixlen)
		return -EINVAL;
	if (in_nmi())
		return -EBUSY;
	new = lpm_node_new(t, len, data, value);
	if (!new)
		return -ENOMEM;
	err = lpm_write_begin(t, &irqflags);
	if (err) {
		kfree(new);
		return err;
	}
	/* Down to the node to replace, the free slot, or the node @new parts from. */
	while ((node = lpm_locked_deref(t, *slot))) {
		matched = lpm_match(node->data, data, matched, min(node->prefixlen, len));
		if (matched != node->prefixlen || node->prefixlen == len)
			break;
		slot = &node->child[lpm_bit(data, node->prefixlen)];
	}
	old = lpm_attach(t, slot, node, matched, new, flags);
	lpm_write_end(t, irqflags, IS_ERR(old) ? NULL : old, NULL);
	if (IS_ERR(old)) {
		kfree(new);
		return PTR_ERR(old);
	}
	return 0;
}

/*
 * Unlink entry @node (*@slot) whose parent is @parent (*@pslot); it may leave an
 * intermediate node with one child, which goes too. Sets the nodes to free. Lock held.
 */
static void lpm_unlink(struct bpfdrv_lpm *t, struct lpm_node __rcu **slot, struct lpm_node *node,
		       struct lpm_node __rcu **pslot, struct lpm_node *parent,
		       struct lpm_node **free1, struct lpm_node **free2)
{
	struct lpm_node *c0 = lpm_locked_deref(t, node->child[0]);
	struct lpm_node *c1 = lpm_locked_deref(t, node->child[1]);

	t->entries--;
	if (c0 && c1) { /* still a branching point: it stays, as an intermediate node */
		WRITE_ONCE(node->flags, node->flags | LPM_IM);
		return;
	}
	*free1 = node;
	if (!c0 && !c1 && parent && (parent->flags & LPM_IM)) {
		/* Its sibling takes the intermediate parent's place. */
		bool left = lpm_locked_deref(t, parent->child[0]) == node;

		rcu_assign_pointer(*pslot, lpm_locked_deref(t, parent->child[left]));
		*free2 = parent;
		return;
	}
	rcu_assign_pointer(*slot, c0 ? c0 : c1);
}

static int lpm_delete(struct bpfdrv_map *map, const void *key)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	u32 len = *(const u32 *)key, matched = 0;
	const u8 *data = (const u8 *)key + 4;
	struct lpm_node __rcu **slot = &t->root, **pslot = &t->root;
	struct lpm_node *node, *parent = NULL, *free1 = NULL, *free2 = NULL;
	unsigned long irqflags;
	int err;

	if (len > t->max_prefixlen)
		return -EINVAL;
	err = lpm_write_begin(t, &irqflags);
	if (err)
		return err;
	while ((node = lpm_locked_deref(t, *slot))) {
		matched = lpm_match(node->data, data, matched, min(node->prefixlen, len));
		if (matched != node->prefixlen || node->prefixlen == len)
			break;
		parent = node;
		pslot = slot;
		slot = &node->child[lpm_bit(data, node->prefixlen)];
	}
	if (!node || node->prefixlen != len || matched != len || (node->flags & LPM_IM))
		err = -ENOENT;
	else
		lpm_unlink(t, slot, node, pslot, parent, &free1, &free2);
	lpm_write_end(t, irqflags, free1, free2);
	return err;
}

/* The first entry of @node's subtree in post order (the deepest, 0-branch first). */
static struct lpm_node *lpm_first(struct lpm_node *node)
{
	struct lpm_node *next;

	for (;;) {
		next = rcu_dereference(node->child[0]);
		if (!next)
			next = rcu_dereference(node->child[1]);
		if (!next)
			return node; /* a leaf: intermediate nodes have two children */
		node = next;
	}
}

/*
 * The entry after @key in post order (Linux's order: a prefix after the longer ones
 * under it, the 0-branch before the 1-branch); the first entry if @key is absent or
 * not stored. The successor is decided at the deepest ancestor on @key's path that
 * either has a 1-branch to visit after the path's 0-branch, or is an entry.
 */
static int lpm_get_next_key(struct bpfdrv_map *map, const void *key, void *next_key)
{
	struct bpfdrv_lpm *t = to_lpm(map);
	struct lpm_node *root, *node, *right, *next = NULL;
	u32 len, matched = 0, bit;
	bool descend = false; /* next is a subtree: the successor is its first entry */
	const u8 *data;

	rcu_read_lock();
	root = rcu_dereference(t->root);
	node = root;
	if (!key || *(const u32 *)key > t->max_prefixlen)
		node = NULL;
	len = key ? *(const u32 *)key : 0;
	data = key ? (const u8 *)key + 4 : NULL;
	while (node) {
		matched = lpm_match(node->data, data, matched, min(node->prefixlen, len));
		if (matched != node->prefixlen || node->prefixlen == len)
			break;
		bit = lpm_bit(data, node->prefixlen);
		right = bit ? NULL : rcu_dereference(node->child[1]);
		if (right) {
			next = right;
			descend = true;
		} else if (!(READ_ONCE(node->flags) & LPM_IM)) {
			next = node;
			descend = false;
		}
		node = rcu_dereference(node->child[bit]);
	}
	if (!node || matched != node->prefixlen || (READ_ONCE(node->flags) & LPM_IM))
		next = root ? lpm_first(root) : NULL; /* not stored: start over */
	else if (next && descend)
		next = lpm_first(next);
	if (next) {
		*(u32 *)next_key = next->prefixlen;
		memcpy((u8 *)next_key + 4, next->data, t->data_size);
	}
	rcu_read_unlock();
	return next ? 0 : -ENOENT;
}

const struct bpfdrv_map_ops bpfdrv_lpm_trie_ops = {
	.alloc = lpm_alloc,
	.free = lpm_free,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.get_next_key = lpm_get_next_key,
};
