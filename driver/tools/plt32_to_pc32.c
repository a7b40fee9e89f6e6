// SPDX-License-Identifier: GPL-2.0
/*
 * plt32_to_pc32 MODULE.ko: rewrite every R_X86_64_PLT32 relocation to R_X86_64_PC32.
 *
 * binutils >= 2.31 emits R_X86_64_PLT32 for calls to global functions. Module loaders
 * before Linux 4.16 (and RHEL 7 before its backport) reject it ("Unknown rela
 * relocation: 4") although, in a module, it means exactly PC32: S + A - P (modules have
 * no PLT; 4.16's loader treats the two identically). The driver Makefile runs this on
 * bpfdrv.ko when building for such kernels. Host tool, standard C only: it is compiled
 * wherever the module is (DKMS on the target host).
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *path, const char *why)
{
	fprintf(stderr, "plt32_to_pc32: %s: %s\n", path, why);
	return 1;
}

int main(int argc, char **argv)
{
	const char *path = argc == 2 ? argv[1] : NULL;
	unsigned long changed = 0;
	unsigned char *img;
	Elf64_Ehdr *eh;
	FILE *f;
	long size;
	int i;

	if (!path)
		return fail("usage", "plt32_to_pc32 MODULE.ko");
	f = fopen(path, "r+b");
	if (!f || fseek(f, 0, SEEK_END))
		return fail(path, "cannot open or size");
	size = ftell(f);
	if (size < (long)sizeof(Elf64_Ehdr) || fseek(f, 0, SEEK_SET))
		return fail(path, "cannot open or size");
	img = malloc(size);
	if (!img || fread(img, 1, size, f) != (size_t)size)
		return fail(path, "cannot read");
	eh = (Elf64_Ehdr *)img;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return fail(path, "not an x86-64 little-endian ELF64 object");
	if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + (unsigned long)eh->e_shnum * sizeof(Elf64_Shdr) > (unsigned long)size)
		return fail(path, "bad section header table");
	for (i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff) + i;
		Elf64_Rela *r;
		unsigned long n, k;

		if (sh->sh_type != SHT_RELA)
			continue;
		if (sh->sh_entsize != sizeof(Elf64_Rela) || sh->sh_offset + sh->sh_size > (unsigned long)size)
			return fail(path, "bad relocation section");
		r = (Elf64_Rela *)(img + sh->sh_offset);
		n = sh->sh_size / sizeof(Elf64_Rela);
		for (k = 0; k < n; k++) {
			if (ELF64_R_TYPE(r[k].r_info) == R_X86_64_PLT32) {
				r[k].r_info = ELF64_R_INFO(ELF64_R_SYM(r[k].r_info), R_X86_64_PC32);
				changed++;
			}
		}
	}
	if (changed && (fseek(f, 0, SEEK_SET) || fwrite(img, 1, size, f) != (size_t)size))
		return fail(path, "cannot write");
	if (fclose(f))
		return fail(path, "cannot write");
	printf("plt32_to_pc32: %s: %lu R_X86_64_PLT32 relocations now R_X86_64_PC32\n", path, changed);
	free(img);
	return 0;
}
