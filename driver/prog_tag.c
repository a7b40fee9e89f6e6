// SPDX-License-Identifier: GPL-2.0
/*
 * A program's tag as the kernel computes it (kernel/bpf/core.c bpf_prog_calc_tag): the
 * first 8 bytes of the SHA-1 of the instructions as loaded, with the imm of map-fd and
 * map-value ld_imm64 pairs zeroed (fds differ between loads of the same program), so
 * `bpftool prog show` prints the same tag as on Linux. SHA-1 is written out here
 * because the kernel's sha1 block function changed name and header across versions.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/bitops.h>
#include "bpfdrv.h"
#include "ebpf_insn.h"

struct sha1_state {
	u32 h[5];
	u8 block[64];
	u32 used;
	u64 bytes;
};

static void sha1_block(u32 *h, const u8 *p)
{
	u32 w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void sha1_update(struct sha1_state *s, const void *data, u32 len)
{
	const u8 *p = data;

	s->bytes += len;
	while (len--) {
		s->block[s->used++] = *p++;
		if (s->used == 64) {
			sha1_block(s->h, s->block);
			s->used = 0;
		}
	}
}

void bpfdrv_prog_calc_tag(const struct ebpf_insn *insns, u32 cnt, u8 tag[8])
{
	struct sha1_state s = { { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 } };
	bool was_ld_map = false;
	u64 bits;
	u8 pad = 0x80, be[8];
	u32 i;

	for (i = 0; i < cnt; i++) {
		struct ebpf_insn in = insns[i];
		u8 src = in.regs >> 4;

		if (!was_ld_map && in.code == (EBPF_LD | EBPF_IMM | EBPF_DW) &&
		    (src == BPFDRV_PSEUDO_MAP_FD || src == BPFDRV_PSEUDO_MAP_VALUE)) {
			was_ld_map = true;
			in.imm = 0;
		} else if (was_ld_map && !in.code && !in.regs && !in.off) {
			was_ld_map = false;
			in.imm = 0;
		} else {
			was_ld_map = false;
		}
		sha1_update(&s, &in, sizeof(in));
	}
	bits = s.bytes * 8;
	sha1_update(&s, &pad, 1);
	pad = 0;
	while (s.used != 56)
		sha1_update(&s, &pad, 1);
	for (i = 0; i < 8; i++)
		be[i] = bits >> (56 - 8 * i);
	sha1_update(&s, be, 8);
	for (i = 0; i < 8; i++)
		tag[i] = s.h[i / 4] >> (24 - 8 * (i % 4));
}
