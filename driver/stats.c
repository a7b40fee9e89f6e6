// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/bpfdrv/stats (root, read-only), one `<kind> key=value ...` line
 * each, parsed by `bpfhook stats`:
 *
 *   objects maps=3 progs=2 btf=0 links=1 events=4 rings=2
 *   events delivered=120 lost=0
 *   prog id=1 name=handle_exec type=5 attach=0 target=- runs=40 run_time_ns=81234 aborts=0 missed=0 jited=0
 *
 * attach and target: a tracing program's BPF_TRACE_* kind and function or tracepoint
 * (which path a tool took: fentry or its kprobe fallback). jited: bytes of native code
 * (jit.c; 0: the interpreter runs it).
 *
 * debugfs rather than an ioctl: it needs no protocol change, is readable with cat on a
 * host without the CLI, and exists on 3.10.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include "bpfdrv.h"
#include "stats.h"

static atomic_long_t bpfdrv_objs[BPFDRV_STAT_NR];
static atomic64_t bpfdrv_delivered, bpfdrv_lost;

/* Loaded programs: a side list so struct bpfdrv_prog stays as it is. */
struct bpfdrv_prog_node {
	struct list_head node;
	struct bpfdrv_prog *prog;
	u32 id;
};
static LIST_HEAD(bpfdrv_progs);
static DEFINE_SPINLOCK(bpfdrv_progs_lock);
static u32 bpfdrv_next_prog_id;
static long bpfdrv_nr_progs;
static struct dentry *bpfdrv_debugfs_dir;

void bpfdrv_stats_obj(enum bpfdrv_stat_obj kind, int delta)
{
	if (kind < BPFDRV_STAT_NR)
		atomic_long_add(delta, &bpfdrv_objs[kind]);
}

void bpfdrv_stats_events(u32 delivered, u32 lost)
{
	if (delivered)
		atomic64_add(delivered, &bpfdrv_delivered);
	if (lost)
		atomic64_add(lost, &bpfdrv_lost);
}

void bpfdrv_stats_prog_add(struct bpfdrv_prog *prog)
{
	struct bpfdrv_prog_node *n = kmalloc(sizeof(*n), GFP_KERNEL);
	unsigned long flags;

	/* Statistics are best effort: a program is not refused for want of a list node. */
	if (!n)
		return;
	n->prog = prog;
	spin_lock_irqsave(&bpfdrv_progs_lock, flags);
	n->id = ++bpfdrv_next_prog_id;
	list_add_tail(&n->node, &bpfdrv_progs);
	bpfdrv_nr_progs++;
	spin_unlock_irqrestore(&bpfdrv_progs_lock, flags);
}

void bpfdrv_stats_prog_del(struct bpfdrv_prog *prog)
{
	struct bpfdrv_prog_node *n, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&bpfdrv_progs_lock, flags);
	list_for_each_entry(n, &bpfdrv_progs, node) {
		if (n->prog == prog) {
			list_del(&n->node);
			bpfdrv_nr_progs--;
			found = n;
			break;
		}
	}
	spin_unlock_irqrestore(&bpfdrv_progs_lock, flags);
	kfree(found);
}

static int bpfdrv_stats_show(struct seq_file *m, void *unused)
{
	struct bpfdrv_prog_node *n;
	unsigned long flags;

	spin_lock_irqsave(&bpfdrv_progs_lock, flags);
	seq_printf(m, "objects maps=%ld progs=%ld btf=%ld links=%ld events=%ld rings=%ld\n",
		   atomic_long_read(&bpfdrv_objs[BPFDRV_STAT_MAP]), bpfdrv_nr_progs,
		   atomic_long_read(&bpfdrv_objs[BPFDRV_STAT_BTF]),
		   atomic_long_read(&bpfdrv_objs[BPFDRV_STAT_LINK]),
		   atomic_long_read(&bpfdrv_objs[BPFDRV_STAT_EVENT]),
		   atomic_long_read(&bpfdrv_objs[BPFDRV_STAT_RING]));
	seq_printf(m, "events delivered=%llu lost=%llu\n",
		   (unsigned long long)atomic64_read(&bpfdrv_delivered),
		   (unsigned long long)atomic64_read(&bpfdrv_lost));
	/* The lock keeps every listed program alive (del precedes free). */
	list_for_each_entry(n, &bpfdrv_progs, node) {
		struct bpfdrv_prog *p = n->prog;

		seq_printf(m, "prog id=%u name=%s type=%u attach=%u target=%s runs=%llu run_time_ns=%llu aborts=%llu missed=%llu jited=%u\n",
			   n->id, p->name[0] ? p->name : "-", p->type, p->expected_attach_type,
			   p->target.name[0] ? (const char *)p->target.name : "-",
			   (unsigned long long)atomic64_read(&p->run_cnt),
			   (unsigned long long)atomic64_read(&p->run_time_ns),
			   (unsigned long long)atomic64_read(&p->aborts),
			   (unsigned long long)atomic64_read(&p->missed), p->jit_len);
	}
	spin_unlock_irqrestore(&bpfdrv_progs_lock, flags);
	return 0;
}

/* The file is created without private data: bpfdrv_stats_show is given NULL. */
DEFINE_SHOW_ATTRIBUTE(bpfdrv_stats);

void bpfdrv_stats_init(void)
{
	struct dentry *d = debugfs_create_dir("bpfdrv", NULL);

	/* NULL on 3.10 when debugfs fails, an ERR_PTR on newer kernels. */
	if (IS_ERR_OR_NULL(d)) {
		pr_info(BPFDRV_LOG_PREFIX "no debugfs: bpfhook stats unavailable\n");
		return;
	}
	bpfdrv_debugfs_dir = d;
	debugfs_create_file("stats", 0400, d, NULL, &bpfdrv_stats_fops);
}

void bpfdrv_stats_exit(void)
{
	debugfs_remove_recursive(bpfdrv_debugfs_dir);
	bpfdrv_debugfs_dir = NULL;
}

struct dentry *bpfdrv_stats_debugfs_dir(void)
{
	return bpfdrv_debugfs_dir;
}
