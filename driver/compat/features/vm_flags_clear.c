// SPDX-License-Identifier: GPL-2.0
/* vm_flags_clear (6.3, when vma->vm_flags became const): compat/mm.h. */
#include <linux/mm.h>

void bpfdrv_probe(struct vm_area_struct *vma);
void bpfdrv_probe(struct vm_area_struct *vma)
{
	vm_flags_clear(vma, VM_MAYWRITE);
}
