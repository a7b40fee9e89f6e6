/* BPF_PROG_TEST_RUN of BPF_PROG_TYPE_SOCKET_FILTER programs: packets (data_in /
 * data_out), struct __sk_buff contexts (ctx_in / ctx_out), LD_ABS / LD_IND, reads and
 * writes of __sk_buff fields, the verifier's context access rules and the socket
 * filter helpers, printed as "R key=value" lines the test compares between the stock
 * kernel (native) and the no-bpf kernel under libbpfhook.so + bpfdrv.ko. Nothing
 * printed differs from run to run (no durations; the socket cookie and the clock only
 * as nonzero-or-zero).
 *
 * A run prints "<0 or -errno> <retval> <data_size_out>"; "ctx" lines print the fields
 * of ctx_out Linux writes back (and those it leaves as they came in).
 * Build: gcc -O2 -Wall -Werror -o skb_test_run_probe skb_test_run_probe.c -lbpf */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <bpf/bpf.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LD_IMM64(d, v) INSN(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (int)(__u32)(__u64)(v)), \
	INSN(0, 0, 0, 0, (int)(__u32)((__u64)(v) >> 32))
#define LD_MAP(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define LD_ABS(sz, k) INSN(BPF_LD | BPF_ABS | (sz), 0, 0, 0, k)
#define LD_IND(sz, s, k) INSN(BPF_LD | BPF_IND | (sz), 0, s, 0, k)
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SKB(f) ((short)offsetof(struct __sk_buff, f))
#define CB(i) ((short)(offsetof(struct __sk_buff, cb) + 4 * (i)))

static const unsigned char mac_zero[6] = { 0, 0, 0, 0, 0, 0 };
static const unsigned char mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const unsigned char mac_mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const unsigned char mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static unsigned char pkt[8192];
static unsigned char out[8192];

/* A frame of @size bytes to @dst with @proto as EtherType: byte i is (7 i + 3) & 0xff
 * except the Ethernet header and, for IPv4 / IPv6, a plausible network header. */
static __u32 frame(const unsigned char *dst, unsigned proto, __u32 size)
{
	static const unsigned char src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	__u32 i;

	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (unsigned char)(7 * i + 3);
	memcpy(pkt, dst, 6);
	memcpy(pkt + 6, src, 6);
	pkt[12] = proto >> 8;
	pkt[13] = proto & 0xff;
	if (proto == 0x0800 && size >= 34) {
		static const unsigned char ip[20] = { 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
						      10, 0, 0, 1, 10, 0, 0, 2 };
		memcpy(pkt + 14, ip, 20);
		pkt[16] = (size - 14) >> 8;
		pkt[17] = (size - 14) & 0xff;
	} else if (proto == 0x86dd && size >= 54) {
		memset(pkt + 14, 0, 40);
		pkt[14] = 0x60;
		pkt[18] = (size - 54) >> 8;
		pkt[19] = (size - 54) & 0xff;
		pkt[20] = 17;
		pkt[21] = 64;
		pkt[22] = 0xfe, pkt[23] = 0x80, pkt[37] = 1;
		pkt[38] = 0xfe, pkt[39] = 0x80, pkt[53] = 2;
	}
	return size;
}

/* Load a socket filter: the fd, or -errno (then again with the verifier log, shown as
 * a comment; the first load has no log so a full log buffer cannot change the errno). */
static int load(const struct bpf_insn *insns, int n, const char *name)
{
	static char log[65536];
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", insns, n, NULL);
	int err = -errno;

	if (fd >= 0)
		return fd;
	{
		LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
		log[0] = 0;
		if (bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", insns, n, &o) < 0) {
			char *nl = strrchr(log, '\n');

			if (nl && nl != log) {
				*nl = 0;
				nl = strrchr(log, '\n');
			}
			printf("# load %s: %d: %s\n", name, err, nl ? nl + 1 : log);
		}
	}
	return err;
}

/* Load and only print the load result (0 or -errno). */
static void load_only(const char *key, const struct bpf_insn *insns, int n)
{
	int fd = load(insns, n, key);

	printf("R %s=%d\n", key, fd >= 0 ? 0 : fd);
	if (fd >= 0)
		close(fd);
}

struct run {
	const void *data;
	__u32 size;
	void *out;
	__u32 out_size;
	const void *ctx_in;
	__u32 ctx_in_size;
	void *ctx_out;
	__u32 ctx_out_size;
	__u32 flags, cpu, batch;
	int repeat;
};

struct res {
	int err;
	__u32 retval, size_out, ctx_size_out;
};

static struct res go(int fd, const struct run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->data, .data_size_in = r->size, .data_out = r->out,
		    .data_size_out = r->out_size, .ctx_in = r->ctx_in, .ctx_size_in = r->ctx_in_size,
		    .ctx_out = r->ctx_out, .ctx_size_out = r->ctx_out_size, .flags = r->flags, .cpu = r->cpu,
		    .batch_size = r->batch, .repeat = r->repeat);
	struct res s = { 0 };

	if (fd < 0) {
		s.err = fd;
		return s;
	}
	if (bpf_prog_test_run_opts(fd, &o))
		s.err = -errno;
	s.retval = o.retval;
	s.size_out = o.data_size_out;
	s.ctx_size_out = o.ctx_size_out;
	return s;
}

static void print_res(const char *key, struct res s)
{
	printf("R %s=%d %u %u\n", key, s.err, s.retval, s.size_out);
}

/* Run @fd on pkt[0..size) alone and print the result. */
static void simple(const char *key, int fd, __u32 size)
{
	struct run r = { .data = pkt, .size = size };

	print_res(key, go(fd, &r));
}

/* Load, run on pkt[0..size) and print; for one-shot programs. */
static void load_run(const char *key, const struct bpf_insn *insns, int n, __u32 size)
{
	int fd = load(insns, n, key);

	simple(key, fd, size);
	if (fd >= 0)
		close(fd);
}

static void hex(const char *key, const unsigned char *p, __u32 n)
{
	__u32 i;

	printf("R %s=", key);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void print_ctx(const char *key, const struct __sk_buff *c, __u32 ctx_size_out)
{
	printf("R %s=mark=%u prio=%u iif=%u ifindex=%u tstamp=%llu cb=%x,%x,%x,%x,%x wire_len=%u gso_segs=%u "
	       "gso_size=%u hwtstamp=%llu len=%u protocol=%u hash=%u size_out=%u\n",
	       key, c->mark, c->priority, c->ingress_ifindex, c->ifindex, (unsigned long long)c->tstamp, c->cb[0],
	       c->cb[1], c->cb[2], c->cb[3], c->cb[4], c->wire_len, c->gso_segs, c->gso_size,
	       (unsigned long long)c->hwtstamp, c->len, c->protocol, c->hash, ctx_size_out);
}

/* Run @fd with ctx_in = @in (@in_size bytes) and a full ctx_out; print both. */
static void ctx_run(const char *key, int fd, __u32 size, const void *in, __u32 in_size)
{
	struct __sk_buff c;
	struct run r = { .data = pkt, .size = size, .ctx_in = in, .ctx_in_size = in_size, .ctx_out = &c,
			 .ctx_out_size = sizeof(c) };
	struct res s;
	char k[96];

	memset(&c, 0xee, sizeof(c));
	s = go(fd, &r);
	print_res(key, s);
	if (!s.err) {
		snprintf(k, sizeof(k), "%s.ctx", key);
		print_ctx(k, &c, s.ctx_size_out);
	}
}

/* r6 = r1; r0 = LD_ABS size [k]; exit */
static void ld_abs(const char *key, int size, int k, __u32 len)
{
	struct bpf_insn p[] = { MOV_X(6, 1), LD_ABS(size, k), EXIT };

	load_run(key, p, N(p), len);
}

/* r6 = r1; r7 = idx (64 bits); r0 = LD_IND size [r7 + k]; exit */
static void ld_ind(const char *key, int size, __s64 idx, int k, __u32 len)
{
	struct bpf_insn p[] = { MOV_X(6, 1), LD_IMM64(7, idx), LD_IND(size, 7, k), EXIT };

	load_run(key, p, N(p), len);
}

/* r0 = *(size *)(r1 + off); exit */
static int field_prog(int size, short off, const char *name)
{
	struct bpf_insn p[] = { LDX(size, 0, 1, off), EXIT };

	return load(p, N(p), name);
}

static void field(const char *key, int size, short off, __u32 len)
{
	int fd = field_prog(size, off, key);

	simple(key, fd, len);
	if (fd >= 0)
		close(fd);
}

/* The field read with a context coming in. */
static void field_ctx(const char *key, int size, short off, __u32 len, const struct __sk_buff *in)
{
	int fd = field_prog(size, off, key);
	struct run r = { .data = pkt, .size = len, .ctx_in = in, .ctx_in_size = sizeof(*in) };

	print_res(key, go(fd, &r));
	if (fd >= 0)
		close(fd);
}

/* The program at @insns stores the helper's 8-byte stack buffer into cb[0..1]: print
 * its return value (signed) and the buffer. */
static void helper_buf(const char *key, const struct bpf_insn *insns, int n, __u32 len)
{
	int fd = load(insns, n, key);
	struct __sk_buff c;
	struct run r = { .data = pkt, .size = len, .ctx_out = &c, .ctx_out_size = sizeof(c) };
	struct res s;
	int i;

	memset(&c, 0, sizeof(c));
	s = go(fd, &r);
	printf("R %s=%d %d ", key, s.err, (int)s.retval);
	for (i = 0; i < 8; i++)
		printf("%02x", ((unsigned char *)c.cb)[i]);
	printf("\n");
	if (fd >= 0)
		close(fd);
}

/* skb_load_bytes(ctx, off, fp - 8, len), or with start >= 0 skb_load_bytes_relative */
static void load_bytes_call(const char *key, int off, int len, int start, __u32 size)
{
	struct bpf_insn p[] = {
		MOV_X(6, 1),
		LD_IMM64(2, 0xaaaaaaaaaaaaaaaaULL),
		STX(BPF_DW, 10, 2, -8),
		MOV_X(1, 6),
		MOV_IMM(2, off),
		MOV_X(3, 10),
		ADD_IMM(3, -8),
		MOV_IMM(4, len),
		MOV_IMM(5, start),
		CALL(start < 0 ? BPF_FUNC_skb_load_bytes : BPF_FUNC_skb_load_bytes_relative),
		LDX(BPF_DW, 2, 10, -8),
		STX(BPF_DW, 6, 2, CB(0)),
		EXIT,
	};

	helper_buf(key, p, N(p), size);
}

static void load_bytes(const char *key, int off, int len, __u32 size)
{
	load_bytes_call(key, off, len, -1, size);
}

static void load_bytes_rel(const char *key, int off, int len, int start, __u32 size)
{
	load_bytes_call(key, off, len, start, size);
}

int main(void)
{
	struct bpf_insn const_insns[] = { MOV_IMM(0, 0x1234567), EXIT };
	struct bpf_insn wide_insns[] = { LD_IMM64(0, 0x100000002ULL), EXIT };
	struct bpf_insn neg_insns[] = { MOV_IMM(0, -1), EXIT };
	struct __sk_buff in;
	struct run r;
	struct res s;
	__u32 lo, hi, i;
	int cst, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);

	/* ---- constant programs, packet sizes ---- */
	cst = load(const_insns, N(const_insns), "const");
	printf("R const_load=%d\n", cst >= 0 ? 0 : cst);
	simple("const_14_arp", cst, frame(mac_zero, 0x0806, 14));
	simple("const_14_ipv4", cst, frame(mac_zero, 0x0800, 14));
	simple("const_33_ipv4", cst, frame(mac_zero, 0x0800, 33));
	simple("const_34_ipv4", cst, frame(mac_zero, 0x0800, 34));
	simple("const_53_ipv6", cst, frame(mac_zero, 0x86dd, 53));
	simple("const_54_ipv6", cst, frame(mac_zero, 0x86dd, 54));
	simple("const_64_ipv4", cst, frame(mac_zero, 0x0800, 64));
	simple("const_1500_ipv4", cst, frame(mac_zero, 0x0800, 1500));
	simple("const_13", cst, frame(mac_zero, 0x0806, 13));
	simple("const_0", cst, 0);
	r = (struct run){ .data = NULL, .size = 0 };
	print_res("const_no_data", go(cst, &r));
	r = (struct run){ .data = NULL, .size = 64 };
	print_res("const_null_data_64", go(cst, &r));
	/* The largest packet accepted (6.1: PAGE_SIZE - headroom - tailroom). */
	frame(mac_zero, 0x0806, 4096);
	lo = 14, hi = 8192;
	while (hi - lo > 1) {
		__u32 mid = (lo + hi) / 2;

		r = (struct run){ .data = pkt, .size = mid };
		if (go(cst, &r).err)
			hi = mid;
		else
			lo = mid;
	}
	printf("R max_data_size=%u\n", lo);
	r = (struct run){ .data = pkt, .size = lo, .out = out };
	s = go(cst, &r);
	print_res("const_max", s);
	r.size = lo + 1;
	print_res("const_max_plus_1", go(cst, &r));
	r.size = 4096;
	print_res("const_4096", go(cst, &r));
	{
		int wide = load(wide_insns, N(wide_insns), "wide");
		int neg = load(neg_insns, N(neg_insns), "neg");

		simple("wide_retval", wide, frame(mac_zero, 0x0806, 20));
		simple("neg_retval", neg, 20);
		close(wide);
		close(neg);
	}

	/* ---- flags, cpu, batch_size, repeat ---- */
	frame(mac_zero, 0x0800, 64);
	r = (struct run){ .data = pkt, .size = 64, .flags = BPF_F_TEST_RUN_ON_CPU };
	print_res("flags_on_cpu", go(cst, &r));
	r.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	print_res("flags_live_frames", go(cst, &r));
	r.flags = 1 << 5;
	print_res("flags_bit5", go(cst, &r));
	r.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
	print_res("flags_csum_complete", go(cst, &r));
	r.flags = 0, r.cpu = 1;
	print_res("cpu_1", go(cst, &r));
	r.cpu = 0, r.batch = 1;
	print_res("batch_1", go(cst, &r));
	r.batch = 0, r.repeat = 1000;
	print_res("repeat_1000", go(cst, &r));
	r = (struct run){ .data = pkt, .size = 13, .flags = BPF_F_TEST_RUN_ON_CPU };
	print_res("flags_and_short", go(cst, &r));

	/* ---- data_out ---- */
	frame(mac_zero, 0x0800, 64);
	memset(out, 0xee, sizeof(out));
	r = (struct run){ .data = pkt, .size = 64, .out = out };
	print_res("out_full", go(cst, &r));
	hex("out_full.data", out, 68);
	memset(out, 0xee, sizeof(out));
	r.out_size = 64;
	print_res("out_hint_exact", go(cst, &r));
	hex("out_hint_exact.data", out, 68);
	memset(out, 0xee, sizeof(out));
	r.out_size = 20;
	print_res("out_hint_small", go(cst, &r));
	hex("out_hint_small.data", out, 24);
	memset(out, 0xee, sizeof(out));
	r.out_size = 1000;
	print_res("out_hint_large", go(cst, &r));
	hex("out_hint_large.data", out, 68);
	r = (struct run){ .data = pkt, .size = 64, .out_size = 10 };
	print_res("out_null_hint_small", go(cst, &r));
	r.out_size = 0;
	print_res("out_null_no_hint", go(cst, &r));
	r.out_size = 100;
	print_res("out_null_hint_large", go(cst, &r));
	{
		/* ENOSPC on data: ctx_out is left alone */
		struct __sk_buff c;

		memset(&c, 0xee, sizeof(c));
		r = (struct run){ .data = pkt, .size = 64, .out = out, .out_size = 20, .ctx_out = &c,
				  .ctx_out_size = sizeof(c) };
		s = go(cst, &r);
		printf("R out_small_ctx=%d %u %u mark=%x ctx_size_out=%u\n", s.err, s.retval, s.size_out, c.mark,
		       s.ctx_size_out);
	}
	frame(mac_bcast, 0x86dd, 1500);
	memset(out, 0xee, sizeof(out));
	r = (struct run){ .data = pkt, .size = 1500, .out = out, .out_size = sizeof(out) };
	print_res("out_1500", go(cst, &r));
	hex("out_1500.head", out, 24);
	hex("out_1500.tail", out + 1490, 14);
	printf("R out_1500.same_after_header=%d\n", !memcmp(out + 14, pkt + 14, 1500 - 14));
	frame(mac_other, 0x0806, 14);
	memset(out, 0xee, sizeof(out));
	r = (struct run){ .data = pkt, .size = 14, .out = out };
	print_res("out_14", go(cst, &r));
	hex("out_14.data", out, 16);

	/* ---- LD_ABS / LD_IND on a 64-byte IPv4 frame: skb->data is after the MAC
	 * header, 50 bytes ---- */
	frame(mac_mcast, 0x0800, 64);
	ld_abs("abs_b0", BPF_B, 0, 64);
	ld_abs("abs_h0", BPF_H, 0, 64);
	ld_abs("abs_w0", BPF_W, 0, 64);
	ld_abs("abs_w12", BPF_W, 12, 64);
	ld_abs("abs_b49", BPF_B, 49, 64);
	ld_abs("abs_b50", BPF_B, 50, 64);
	ld_abs("abs_h48", BPF_H, 48, 64);
	ld_abs("abs_h49", BPF_H, 49, 64);
	ld_abs("abs_w46", BPF_W, 46, 64);
	ld_abs("abs_w47", BPF_W, 47, 64);
	ld_abs("abs_w1000", BPF_W, 1000, 64);
	ld_abs("abs_w_intmax", BPF_W, 0x7fffffff, 64);
	ld_abs("abs_b_minus1", BPF_B, -1, 64);
	ld_abs("abs_w_minus4", BPF_W, -4, 64);
	ld_abs("abs_net_b0", BPF_B, SKF_NET_OFF, 64);
	ld_abs("abs_net_w12", BPF_W, SKF_NET_OFF + 12, 64);
	ld_abs("abs_net_w46", BPF_W, SKF_NET_OFF + 46, 64);
	ld_abs("abs_net_w47", BPF_W, SKF_NET_OFF + 47, 64);
	ld_abs("abs_net_minus1", BPF_B, SKF_NET_OFF - 1, 64);
	ld_abs("abs_ll_w0", BPF_W, SKF_LL_OFF, 64);
	ld_abs("abs_ll_h4", BPF_H, SKF_LL_OFF + 4, 64);
	ld_abs("abs_ll_h12", BPF_H, SKF_LL_OFF + 12, 64);
	ld_abs("abs_ll_b14", BPF_B, SKF_LL_OFF + 14, 64);
	ld_abs("abs_ll_b63", BPF_B, SKF_LL_OFF + 63, 64);
	ld_abs("abs_ll_b64", BPF_B, SKF_LL_OFF + 64, 64);
	ld_abs("abs_ll_minus1", BPF_B, SKF_LL_OFF - 1, 64);
	ld_abs("abs_ad_proto", BPF_H, SKF_AD_OFF + SKF_AD_PROTOCOL, 64);
	{
		struct bpf_insn dw[] = { MOV_X(6, 1), LD_ABS(BPF_DW, 0), EXIT };
		struct bpf_insn no_r6[] = { MOV_IMM(6, 0), LD_ABS(BPF_B, 0), EXIT };
		struct bpf_insn r1_gone[] = { MOV_X(6, 1), LD_ABS(BPF_B, 0), MOV_X(0, 1), EXIT };

		load_only("abs_dw_load", dw, N(dw));
		load_only("abs_no_ctx_in_r6_load", no_r6, N(no_r6));
		load_only("abs_clobbers_r1_load", r1_gone, N(r1_gone));
	}
	ld_ind("ind_w_2_12", BPF_W, 2, 12, 64);
	ld_ind("ind_w_46_0", BPF_W, 46, 0, 64);
	ld_ind("ind_w_40_8", BPF_W, 40, 8, 64);
	ld_ind("ind_h_20_m4", BPF_H, 20, -4, 64);
	ld_ind("ind_b_49_0", BPF_B, 49, 0, 64);
	ld_ind("ind_b_50_0", BPF_B, 50, 0, 64);
	ld_ind("ind_b_m1_1", BPF_B, -1, 1, 64);
	ld_ind("ind_b_m1_0", BPF_B, -1, 0, 64);
	ld_ind("ind_b_u32max_1", BPF_B, 0xffffffffLL, 1, 64);
	ld_ind("ind_w_2p32_4", BPF_W, 0x100000004LL, 0, 64);
	ld_ind("ind_b_net_9", BPF_B, SKF_NET_OFF, 9, 64);
	ld_ind("ind_h_ll_6", BPF_H, SKF_LL_OFF, 6, 64);
	{
		/* two loads combined: the program goes on after LD_ABS; r7 survives */
		struct bpf_insn two[] = {
			MOV_X(6, 1),
			LD_ABS(BPF_B, 9),
			MOV_X(7, 0),
			INSN(BPF_ALU64 | BPF_LSH | BPF_K, 7, 0, 0, 16),
			LD_ABS(BPF_H, 20),
			INSN(BPF_ALU64 | BPF_OR | BPF_X, 0, 7, 0, 0),
			EXIT,
		};
		/* LD_ABS then r0 = 77: 77 in range, 0 (the program ended) out of range */
		struct bpf_insn then77_in[] = { MOV_X(6, 1), LD_ABS(BPF_W, 10), MOV_IMM(0, 77), EXIT };
		struct bpf_insn then77_out[] = { MOV_X(6, 1), LD_ABS(BPF_W, 48), MOV_IMM(0, 77), EXIT };
		struct bpf_insn then77_ind[] = { MOV_X(6, 1), MOV_IMM(7, 60), LD_IND(BPF_B, 7, 0), MOV_IMM(0, 77), EXIT };
		/* cb[0] = 5; LD_ABS out of range; cb[1] = 6: only cb[0] is written */
		struct bpf_insn side[] = {
			MOV_X(6, 1),
			MOV_IMM(2, 5),
			STX(BPF_W, 6, 2, CB(0)),
			LD_ABS(BPF_B, 500),
			MOV_IMM(2, 6),
			STX(BPF_W, 6, 2, CB(1)),
			MOV_IMM(0, 9),
			EXIT,
		};

		/* a 14-byte frame: no byte after the MAC header, the header by SKF_LL_OFF */
		frame(mac_other, 0x0806, 14);
		ld_abs("abs_14_b0", BPF_B, 0, 14);
		ld_abs("abs_14_ll_b13", BPF_B, SKF_LL_OFF + 13, 14);
		ld_abs("abs_14_net_b0", BPF_B, SKF_NET_OFF, 14);
		frame(mac_mcast, 0x0800, 64);
		load_run("abs_two_loads", two, N(two), 64);
		load_run("abs_then77_in", then77_in, N(then77_in), 64);
		load_run("abs_then77_out", then77_out, N(then77_out), 64);
		load_run("ind_then77_out", then77_ind, N(then77_ind), 64);
		fd = load(side, N(side), "side");
		ctx_run("abs_side_effects", fd, 64, NULL, 0);
		close(fd);
	}

	/* ---- reads of __sk_buff fields ---- */
	frame(mac_zero, 0x0800, 64);
	field("len_64", BPF_W, SKB(len), 64);
	frame(mac_zero, 0x0806, 14);
	field("len_14", BPF_W, SKB(len), 14);
	frame(mac_zero, 0x0800, 1500);
	field("len_1500", BPF_W, SKB(len), 1500);
	field("len_b0", BPF_B, SKB(len), 1500);
	field("len_b1", BPF_B, SKB(len) + 1, 1500);
	field("len_b3", BPF_B, SKB(len) + 3, 1500);
	field("len_h0", BPF_H, SKB(len), 1500);
	field("len_h2", BPF_H, SKB(len) + 2, 1500);
	field("len_h1_load", BPF_H, SKB(len) + 1, 1500);
	field("len_dw_load", BPF_DW, SKB(len), 1500);
	{
		static const struct {
			const char *key;
			const unsigned char *mac;
		} macs[] = {
			{ "pkt_type_zero", mac_zero },
			{ "pkt_type_bcast", mac_bcast },
			{ "pkt_type_mcast", mac_mcast },
			{ "pkt_type_other", mac_other },
		};
		int pt = field_prog(BPF_W, SKB(pkt_type), "pkt_type");

		for (i = 0; i < N(macs); i++)
			simple(macs[i].key, pt, frame(macs[i].mac, 0x0800, 64));
		close(pt);
	}
	{
		static const struct {
			const char *key;
			unsigned proto;
			__u32 size;
			unsigned char first;
		} protos[] = {
			{ "proto_ipv4", 0x0800, 64, 0 },    { "proto_ipv6", 0x86dd, 64, 0 },
			{ "proto_arp", 0x0806, 64, 0 },     { "proto_vlan", 0x8100, 64, 0 },
			{ "proto_0600", 0x0600, 64, 0 },    { "proto_05ff", 0x05ff, 64, 0 },
			{ "proto_0040", 0x0040, 64, 0 },    { "proto_0040_ffff", 0x0040, 64, 0xff },
			{ "proto_0000_14", 0x0000, 14, 0 }, { "proto_0040_15_ff", 0x0040, 15, 0xff },
			{ "proto_0040_16_ffff", 0x0040, 16, 0xff },
		};
		int pr = field_prog(BPF_W, SKB(protocol), "protocol");
		int pr16 = field_prog(BPF_H, SKB(protocol), "protocol16");

		for (i = 0; i < N(protos); i++) {
			char k[64];

			frame(mac_zero, protos[i].proto, protos[i].size);
			if (protos[i].first)
				pkt[14] = pkt[15] = protos[i].first;
			simple(protos[i].key, pr, protos[i].size);
			snprintf(k, sizeof(k), "%s_h", protos[i].key);
			simple(k, pr16, protos[i].size);
		}
		close(pr);
		close(pr16);
	}
	frame(mac_zero, 0x8100, 64);
	field("vlan_present", BPF_W, SKB(vlan_present), 64);
	field("vlan_tci", BPF_W, SKB(vlan_tci), 64);
	field("vlan_proto", BPF_W, SKB(vlan_proto), 64);
	frame(mac_zero, 0x0800, 64);
	field("queue_mapping", BPF_W, SKB(queue_mapping), 64);
	field("hash", BPF_W, SKB(hash), 64);
	field("tc_index", BPF_W, SKB(tc_index), 64);
	field("napi_id", BPF_W, SKB(napi_id), 64);
	field("gso_segs", BPF_W, SKB(gso_segs), 64);
	field("gso_size", BPF_W, SKB(gso_size), 64);
	field("mark", BPF_W, SKB(mark), 64);
	field("priority", BPF_W, SKB(priority), 64);
	field("ingress_ifindex", BPF_W, SKB(ingress_ifindex), 64);
	field("ifindex", BPF_W, SKB(ifindex), 64);
	field("cb0", BPF_W, CB(0), 64);
	memset(&in, 0, sizeof(in));
	in.mark = 0x11223344;
	in.priority = 6;
	in.ingress_ifindex = 5;
	in.ifindex = 1;
	for (i = 0; i < 5; i++)
		in.cb[i] = 0x01020304 * (i + 1);
	in.tstamp = 123456789;
	in.wire_len = 1000;
	in.gso_segs = 3;
	in.gso_size = 1400;
	in.hwtstamp = 987654321;
	field_ctx("ctx_mark", BPF_W, SKB(mark), 64, &in);
	field_ctx("ctx_mark_b0", BPF_B, SKB(mark), 64, &in);
	field_ctx("ctx_mark_b3", BPF_B, SKB(mark) + 3, 64, &in);
	field_ctx("ctx_mark_h2", BPF_H, SKB(mark) + 2, 64, &in);
	field_ctx("ctx_priority", BPF_W, SKB(priority), 64, &in);
	field_ctx("ctx_ingress_ifindex", BPF_W, SKB(ingress_ifindex), 64, &in);
	field_ctx("ctx_ifindex", BPF_W, SKB(ifindex), 64, &in);
	field_ctx("ctx_cb0", BPF_W, CB(0), 64, &in);
	field_ctx("ctx_cb4", BPF_W, CB(4), 64, &in);
	field_ctx("ctx_cb1_b1", BPF_B, CB(1) + 1, 64, &in);
	field_ctx("ctx_cb2_h2", BPF_H, CB(2) + 2, 64, &in);
	field_ctx("ctx_cb0_dw", BPF_DW, CB(0), 64, &in);
	field_ctx("ctx_cb3_dw_load", BPF_DW, CB(3), 64, &in);
	field_ctx("ctx_cb4_dw_load", BPF_DW, CB(4), 64, &in);
	field_ctx("ctx_gso_segs", BPF_W, SKB(gso_segs), 64, &in);
	field_ctx("ctx_gso_size", BPF_W, SKB(gso_size), 64, &in);
	field_ctx("ctx_len", BPF_W, SKB(len), 64, &in);
	field_ctx("ctx_hash", BPF_W, SKB(hash), 64, &in);
	{
		/* the socket test_run makes: family and addresses from the packet */
		struct bpf_insn sk[] = {
			LDX(BPF_DW, 2, 1, SKB(sk)),
			MOV_IMM(0, -1),
			INSN(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1, 0),
			LDX(BPF_W, 0, 2, offsetof(struct bpf_sock, family)),
			EXIT,
		};
		struct bpf_insn sk_ip[] = {
			LDX(BPF_DW, 2, 1, SKB(sk)),
			MOV_IMM(0, -1),
			INSN(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 4, 0),
			LDX(BPF_W, 0, 2, offsetof(struct bpf_sock, src_ip4)),
			LDX(BPF_W, 3, 2, offsetof(struct bpf_sock, dst_ip4)),
			INSN(BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 24),
			INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 3, 0, 0),
			EXIT,
		};
		int fam = load(sk, N(sk), "sk_family");
		int ip = load(sk_ip, N(sk_ip), "sk_ip");

		simple("sk_family_ipv4", fam, frame(mac_zero, 0x0800, 64));
		simple("sk_ip4", ip, 64);
		simple("sk_family_ipv6", fam, frame(mac_zero, 0x86dd, 64));
		simple("sk_family_arp", fam, frame(mac_zero, 0x0806, 64));
		close(fam);
		close(ip);
	}

	/* ---- context access rules (load errnos) ---- */
	{
		static const struct {
			const char *key;
			int size;
			short off;
		} bad[] = {
			{ "read_tc_classid_load", BPF_W, SKB(tc_classid) },
			{ "read_data_load", BPF_W, SKB(data) },
			{ "read_data_end_load", BPF_W, SKB(data_end) },
			{ "read_family_load", BPF_W, SKB(family) },
			{ "read_remote_ip4_load", BPF_W, SKB(remote_ip4) },
			{ "read_local_port_load", BPF_W, SKB(local_port) },
			{ "read_data_meta_load", BPF_W, SKB(data_meta) },
			{ "read_flow_keys_load", BPF_DW, SKB(flow_keys) },
			{ "read_tstamp_load", BPF_DW, SKB(tstamp) },
			{ "read_wire_len_load", BPF_W, SKB(wire_len) },
			{ "read_hwtstamp_load", BPF_DW, SKB(hwtstamp) },
			{ "read_tstamp_type_load", BPF_B, SKB(tstamp_type) },
			{ "read_padding_load", BPF_B, SKB(tstamp_type) + 1 },
			{ "read_past_end_load", BPF_W, sizeof(struct __sk_buff) },
			{ "read_misaligned_load", BPF_W, 2 },
			{ "read_sk_w_load", BPF_W, SKB(sk) },
			{ "read_negative_load", BPF_W, -4 },
		};

		for (i = 0; i < N(bad); i++) {
			struct bpf_insn p[] = { LDX(bad[i].size, 0, 1, bad[i].off), EXIT };

			load_only(bad[i].key, p, N(p));
		}
	}
	{
		struct bpf_insn w_mark[] = { MOV_IMM(2, 1), STX(BPF_W, 1, 2, SKB(mark)), MOV_IMM(0, 0), EXIT };
		struct bpf_insn w_prio[] = { MOV_IMM(2, 1), STX(BPF_W, 1, 2, SKB(priority)), MOV_IMM(0, 0), EXIT };
		struct bpf_insn w_tc[] = { MOV_IMM(2, 1), STX(BPF_W, 1, 2, SKB(tc_index)), MOV_IMM(0, 0), EXIT };
		struct bpf_insn w_len[] = { MOV_IMM(2, 1), STX(BPF_W, 1, 2, SKB(len)), MOV_IMM(0, 0), EXIT };
		struct bpf_insn w_cb1_dw[] = { MOV_IMM(2, 1), STX(BPF_DW, 1, 2, CB(1)), MOV_IMM(0, 0), EXIT };
		struct bpf_insn w_cb4_dw[] = { MOV_IMM(2, 1), STX(BPF_DW, 1, 2, CB(4)), MOV_IMM(0, 0), EXIT };

		load_only("write_mark_load", w_mark, N(w_mark));
		load_only("write_priority_load", w_prio, N(w_prio));
		load_only("write_tc_index_load", w_tc, N(w_tc));
		load_only("write_len_load", w_len, N(w_len));
		load_only("write_cb1_dw_load", w_cb1_dw, N(w_cb1_dw));
		load_only("write_cb4_dw_load", w_cb4_dw, N(w_cb4_dw));
	}

	/* ---- writes to cb[] seen in ctx_out ---- */
	frame(mac_zero, 0x0800, 64);
	{
		struct bpf_insn stx_w[] = {
			MOV_X(6, 1),
			LD_IMM64(2, 0x11111111),
			STX(BPF_W, 6, 2, CB(0)),
			LD_IMM64(2, 0x55555555),
			STX(BPF_W, 6, 2, CB(4)),
			MOV_IMM(0, 1),
			EXIT,
		};
		struct bpf_insn stx_dw[] = {
			MOV_X(6, 1),
			LD_IMM64(2, 0x4444444433333333ULL),
			STX(BPF_DW, 6, 2, CB(0)),
			LD_IMM64(2, 0x8888888877777777ULL),
			STX(BPF_DW, 6, 2, CB(2)),
			LDX(BPF_DW, 0, 6, CB(2)),
			INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32),
			EXIT,
		};
		struct bpf_insn stx_b[] = { MOV_IMM(2, 0xab), STX(BPF_B, 1, 2, CB(0) + 1), MOV_IMM(2, 0xcdef),
					    STX(BPF_H, 1, 2, CB(3) + 2), MOV_IMM(0, 0), EXIT };
		struct bpf_insn st_w[] = { ST(BPF_W, 1, CB(1), 0x66), MOV_IMM(0, 2), EXIT };
		struct bpf_insn st_dw[] = { ST(BPF_DW, 1, CB(2), -2), MOV_IMM(0, 3), EXIT };
		/* cb[0] += 1 each run: the same skb is run again by repeat */
		struct bpf_insn inc[] = {
			LDX(BPF_W, 2, 1, CB(0)),
			ADD_IMM(2, 1),
			STX(BPF_W, 1, 2, CB(0)),
			MOV_X(0, 2),
			EXIT,
		};
		struct __sk_buff cbin;

		fd = load(stx_w, N(stx_w), "stx_w");
		ctx_run("cb_stx_w", fd, 64, NULL, 0);
		close(fd);
		fd = load(stx_dw, N(stx_dw), "stx_dw");
		ctx_run("cb_stx_dw", fd, 64, NULL, 0);
		close(fd);
		memset(&cbin, 0, sizeof(cbin));
		cbin.cb[0] = 0x01020304;
		cbin.cb[3] = 0x0a0b0c0d;
		fd = load(stx_b, N(stx_b), "stx_b");
		ctx_run("cb_stx_narrow", fd, 64, &cbin, sizeof(cbin));
		close(fd);
		fd = load(st_w, N(st_w), "st_w");
		printf("R cb_st_w_load=%d\n", fd >= 0 ? 0 : fd);
		if (fd >= 0) {
			ctx_run("cb_st_w", fd, 64, NULL, 0);
			close(fd);
		}
		fd = load(st_dw, N(st_dw), "st_dw");
		printf("R cb_st_dw_load=%d\n", fd >= 0 ? 0 : fd);
		if (fd >= 0) {
			ctx_run("cb_st_dw", fd, 64, NULL, 0);
			close(fd);
		}
		fd = load(inc, N(inc), "inc");
		memset(&cbin, 0, sizeof(cbin));
		cbin.cb[0] = 5;
		{
			struct __sk_buff c;

			memset(&c, 0xee, sizeof(c));
			r = (struct run){ .data = pkt, .size = 64, .ctx_in = &cbin, .ctx_in_size = sizeof(cbin),
					  .ctx_out = &c, .ctx_out_size = sizeof(c), .repeat = 1000 };
			s = go(fd, &r);
			printf("R cb_inc_repeat=%d %u cb0=%u\n", s.err, s.retval, c.cb[0]);
			r.repeat = 0;
			s = go(fd, &r);
			printf("R cb_inc_once=%d %u cb0=%u\n", s.err, s.retval, c.cb[0]);
		}
		close(fd);
	}

	/* ---- ctx_in / ctx_out ---- */
	{
		struct bpf_insn ret_mark[] = { LDX(BPF_W, 0, 1, SKB(mark)), EXIT };
		unsigned char big[4200];
		struct __sk_buff c, bad;

		fd = load(ret_mark, N(ret_mark), "ret_mark");
		frame(mac_zero, 0x0800, 64);
		ctx_run("ctx_out_only", fd, 64, NULL, 0);
		ctx_run("ctx_full", fd, 64, &in, sizeof(in));
		ctx_run("ctx_in_12", fd, 64, &in, 12);
		ctx_run("ctx_in_0", fd, 64, &in, 0);
		ctx_run("ctx_in_null_size_192", fd, 64, NULL, sizeof(in));
		r = (struct run){ .data = pkt, .size = 64, .ctx_out_size = sizeof(in) };
		print_res("ctx_out_null_size_192", go(fd, &r));
		r = (struct run){ .data = pkt, .size = 64, .ctx_in = &in, .ctx_in_size = sizeof(in) };
		print_res("ctx_in_no_out", go(fd, &r));
		memset(&c, 0xee, sizeof(c));
		r = (struct run){ .data = pkt, .size = 64, .ctx_in = &in, .ctx_in_size = sizeof(in), .ctx_out = &c,
				  .ctx_out_size = 100, .out = out };
		s = go(fd, &r);
		print_res("ctx_out_100", s);
		printf("R ctx_out_100.ctx=mark=%x cb4=%x tstamp=%llx wire_len=%x ctx_size_out=%u\n", c.mark, c.cb[4],
		       (unsigned long long)c.tstamp, c.wire_len, s.ctx_size_out);
		r.ctx_out_size = 0;
		memset(&c, 0xee, sizeof(c));
		s = go(fd, &r);
		print_res("ctx_out_0", s);
		printf("R ctx_out_0.ctx=mark=%x ctx_size_out=%u\n", c.mark, s.ctx_size_out);

		memset(big, 0, sizeof(big));
		memcpy(big, &in, sizeof(in));
		ctx_run("ctx_in_200_zero_tail", fd, 64, big, 200);
		ctx_run("ctx_in_4096_zero_tail", fd, 64, big, 4096);
		ctx_run("ctx_in_4097_zero_tail", fd, 64, big, 4097);
		big[199] = 1;
		ctx_run("ctx_in_200_nonzero_tail", fd, 64, big, 200);
		ctx_run("ctx_in_192_of_nonzero", fd, 64, big, 192);

		{
			static const struct {
				const char *key;
				unsigned off, size;
			} refused[] = {
				{ "ctx_bad_len", offsetof(struct __sk_buff, len), 4 },
				{ "ctx_bad_pkt_type", offsetof(struct __sk_buff, pkt_type), 4 },
				{ "ctx_bad_queue_mapping", offsetof(struct __sk_buff, queue_mapping), 4 },
				{ "ctx_bad_protocol", offsetof(struct __sk_buff, protocol), 4 },
				{ "ctx_bad_vlan_tci", offsetof(struct __sk_buff, vlan_tci), 4 },
				{ "ctx_bad_tc_index", offsetof(struct __sk_buff, tc_index), 4 },
				{ "ctx_bad_hash", offsetof(struct __sk_buff, hash), 4 },
				{ "ctx_bad_tc_classid", offsetof(struct __sk_buff, tc_classid), 4 },
				{ "ctx_bad_data", offsetof(struct __sk_buff, data), 4 },
				{ "ctx_bad_napi_id", offsetof(struct __sk_buff, napi_id), 4 },
				{ "ctx_bad_family", offsetof(struct __sk_buff, family), 4 },
				{ "ctx_bad_data_meta", offsetof(struct __sk_buff, data_meta), 4 },
				{ "ctx_bad_sk", offsetof(struct __sk_buff, sk), 8 },
				{ "ctx_bad_tstamp_type", offsetof(struct __sk_buff, tstamp_type), 1 },
				{ "ctx_bad_padding", offsetof(struct __sk_buff, tstamp_type) + 1, 1 },
			};

			for (i = 0; i < N(refused); i++) {
				memset(&bad, 0, sizeof(bad));
				((unsigned char *)&bad)[refused[i].off] = 1;
				ctx_run(refused[i].key, fd, 64, &bad, sizeof(bad));
			}
		}
		memset(&bad, 0, sizeof(bad));
		bad.wire_len = 50;
		ctx_run("ctx_wire_len_50", fd, 64, &bad, sizeof(bad));
		bad.wire_len = 49;
		ctx_run("ctx_wire_len_49", fd, 64, &bad, sizeof(bad));
		bad.wire_len = 64;
		ctx_run("ctx_wire_len_64", fd, 64, &bad, sizeof(bad));
		bad.wire_len = 65536;
		ctx_run("ctx_wire_len_65536", fd, 64, &bad, sizeof(bad));
		bad.wire_len = 65537;
		ctx_run("ctx_wire_len_65537", fd, 64, &bad, sizeof(bad));
		bad.wire_len = 0;
		bad.gso_segs = 65535;
		ctx_run("ctx_gso_segs_65535", fd, 64, &bad, sizeof(bad));
		bad.gso_segs = 65536;
		ctx_run("ctx_gso_segs_65536", fd, 64, &bad, sizeof(bad));
		bad.gso_segs = 0;
		bad.ifindex = 99;
		ctx_run("ctx_ifindex_99", fd, 64, &bad, sizeof(bad));
		bad.ifindex = 1;
		ctx_run("ctx_ifindex_1", fd, 64, &bad, sizeof(bad));
		bad.ifindex = 0;
		bad.ingress_ifindex = 99;
		ctx_run("ctx_ingress_ifindex_99", fd, 64, &bad, sizeof(bad));
		bad.ingress_ifindex = 0;
		/* which check comes first */
		bad.ifindex = 99;
		bad.len = 1;
		ctx_run("ctx_ifindex_99_and_len", fd, 64, &bad, sizeof(bad));
		ctx_run("ctx_ifindex_99_short_ipv4", fd, frame(mac_zero, 0x0800, 30), &bad, sizeof(bad));
		bad.ifindex = 0;
		ctx_run("ctx_len_and_short_ipv4", fd, 30, &bad, sizeof(bad));
		big[199] = 1;
		ctx_run("ctx_e2big_and_short", fd, 13, big, 200);
		r = (struct run){ .data = pkt, .size = 64, .ctx_in = big, .ctx_in_size = 200, .flags = 1 };
		print_res("ctx_e2big_and_flags", go(fd, &r));
		bad.len = 0;
		bad.ifindex = 99;
		frame(mac_zero, 0x0800, 64);
		r = (struct run){ .data = pkt, .size = 8000, .ctx_in = &bad, .ctx_in_size = sizeof(bad) };
		print_res("ctx_ifindex_99_and_too_big", go(fd, &r));
		close(fd);
	}

	/* ---- helpers ---- */
	frame(mac_zero, 0x0800, 64);
	load_bytes("load_bytes_0_8", 0, 8, 64);
	load_bytes("load_bytes_42_8", 42, 8, 64);
	load_bytes("load_bytes_43_8", 43, 8, 64);
	load_bytes("load_bytes_46_4", 46, 4, 64);
	load_bytes("load_bytes_47_4", 47, 4, 64);
	load_bytes("load_bytes_1000_4", 1000, 4, 64);
	load_bytes("load_bytes_m1_4", -1, 4, 64);
	load_bytes("load_bytes_m14_8", -14, 8, 64);
	load_bytes_rel("load_rel_mac_0_8", 0, 8, BPF_HDR_START_MAC, 64);
	load_bytes_rel("load_rel_mac_56_8", 56, 8, BPF_HDR_START_MAC, 64);
	load_bytes_rel("load_rel_mac_57_8", 57, 8, BPF_HDR_START_MAC, 64);
	load_bytes_rel("load_rel_net_0_8", 0, 8, BPF_HDR_START_NET, 64);
	load_bytes_rel("load_rel_net_42_8", 42, 8, BPF_HDR_START_NET, 64);
	load_bytes_rel("load_rel_net_43_8", 43, 8, BPF_HDR_START_NET, 64);
	load_bytes_rel("load_rel_bad_start", 0, 8, 2, 64);
	load_bytes_rel("load_rel_0x10000", 0x10000, 8, BPF_HDR_START_MAC, 64);
	load_bytes_rel("load_rel_m1", -1, 4, BPF_HDR_START_MAC, 64);
	{
		struct bpf_insn uid[] = { CALL(BPF_FUNC_get_socket_uid), EXIT };
		/* r0 = helper() != 0 */
		struct bpf_insn cookie[] = { CALL(BPF_FUNC_get_socket_cookie), INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
					     MOV_IMM(0, 1), EXIT };
		struct bpf_insn ktime[] = { CALL(BPF_FUNC_ktime_get_ns), INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
					    MOV_IMM(0, 1), EXIT };
		/* cookie of the same skb is the same within a run: r0 = c1 == c2 */
		struct bpf_insn cookie2[] = {
			MOV_X(6, 1),
			CALL(BPF_FUNC_get_socket_cookie),
			MOV_X(7, 0),
			MOV_X(1, 6),
			CALL(BPF_FUNC_get_socket_cookie),
			MOV_X(2, 0),
			MOV_IMM(0, 1),
			INSN(BPF_JMP | BPF_JEQ | BPF_X, 2, 7, 1, 0),
			MOV_IMM(0, 0),
			EXIT,
		};
		load_run("socket_uid", uid, N(uid), 64);
		load_run("socket_cookie_nonzero", cookie, N(cookie), 64);
		load_run("socket_cookie_stable", cookie2, N(cookie2), 64);
		load_run("ktime_nonzero", ktime, N(ktime), 64);
	}
	{
		int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 2, NULL);
		__u32 k0 = 0, k1 = 1;
		__u64 v0 = 0, v1 = 0;
		/* value[0] += 1; value[1] += skb->len (atomic adds) */
		struct bpf_insn add[] = {
			MOV_X(6, 1),
			ST(BPF_W, 10, -4, 0),
			LD_MAP(1, map),
			MOV_X(2, 10),
			ADD_IMM(2, -4),
			CALL(BPF_FUNC_map_lookup_elem),
			INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 11, 0),
			MOV_IMM(1, 1),
			INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD),
			ST(BPF_W, 10, -4, 1),
			LD_MAP(1, map),
			MOV_X(2, 10),
			ADD_IMM(2, -4),
			CALL(BPF_FUNC_map_lookup_elem),
			INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0),
			LDX(BPF_W, 1, 6, SKB(len)),
			INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD),
			MOV_IMM(0, 4),
			EXIT,
		};

		printf("R map_create=%d\n", map >= 0 ? 0 : -errno);
		fd = load(add, N(add), "map_add");
		r = (struct run){ .data = pkt, .size = 64, .repeat = 10 };
		print_res("map_add_repeat_10", go(fd, &r));
		r.repeat = 0;
		print_res("map_add_once", go(fd, &r));
		bpf_map_lookup_elem(map, &k0, &v0);
		bpf_map_lookup_elem(map, &k1, &v1);
		printf("R map_values=%llu %llu\n", (unsigned long long)v0, (unsigned long long)v1);
		close(fd);
		close(map);
	}
	close(cst);
	printf("R done=1\n");
	return 0;
}
