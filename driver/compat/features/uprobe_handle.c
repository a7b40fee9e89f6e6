// SPDX-License-Identifier: GPL-2.0
/*
 * uprobe_register returning a struct uprobe * that uprobe_unregister_nosync takes
 * (6.12, which also dropped uprobe_register_refctr): compat/probes.h.
 */
#include <linux/err.h>
#include <linux/uprobes.h>

int bpfdrv_probe(struct inode *inode, struct uprobe_consumer *uc);
int bpfdrv_probe(struct inode *inode, struct uprobe_consumer *uc)
{
	struct uprobe *u = uprobe_register(inode, 0, 0, uc);

	if (IS_ERR(u))
		return PTR_ERR(u);
	uprobe_unregister_nosync(u, uc);
	uprobe_unregister_sync();
	return 0;
}
