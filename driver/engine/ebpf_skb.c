// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpf_skb.c - the socket filter's packet and context (see ebpf_skb.h), with the
 * semantics of Linux 6.1's net/bpf/test_run.c and net/core/filter.c.
 */
#include "ebpf_engine.h"
#include "ebpf_skb.h"

#define SKF_NET_OFF		(-0x100000)
#define SKF_LL_OFF		(-0x200000)
#define ETH_P_802_3_MIN		0x0600
#define ETH_P_802_3		0x0001
#define ETH_P_802_2		0x0004
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86dd
#define IPV4_HLEN		20	/* sizeof(struct iphdr) */
#define IPV6_HLEN		40	/* sizeof(struct ipv6hdr) */
#define PACKET_HOST		0
#define PACKET_BROADCAST	1
#define PACKET_MULTICAST	2
#define PACKET_OTHERHOST	3
#define GSO_LEGACY_MAX_SIZE	65536u
#define GSO_MAX_SEGS		65535u
#define HDR_START_MAC		0
#define HDR_START_NET		1
#define AF_INET_		2
#define AF_INET6_		10
#define TCP_CLOSE_		7

#define SKB_FIELD_END(f)	(offsetof(struct ebpf_sk_buff, f) + sizeof(((struct ebpf_sk_buff *)0)->f))
#define SKB_IN(off, f)		((off) >= offsetof(struct ebpf_sk_buff, f) && (off) < SKB_FIELD_END(f))
#define SOCK_AT(off, f)		((off) == offsetof(struct ebpf_bpf_sock, f))
#define SOCK_END(f)		(offsetof(struct ebpf_bpf_sock, f) + sizeof(((struct ebpf_bpf_sock *)0)->f))
#define SOCK_IN(off, f)		((off) >= offsetof(struct ebpf_bpf_sock, f) && (off) < SOCK_END(f))

/* The UAPI layout, which programs compiled against linux/bpf.h index into. */
_Static_assert(sizeof(struct ebpf_sk_buff) == 192 &&
	       offsetof(struct ebpf_sk_buff, cb) == 48 &&
	       offsetof(struct ebpf_sk_buff, family) == 88 &&
	       offsetof(struct ebpf_sk_buff, flow_keys) == 144 &&
	       offsetof(struct ebpf_sk_buff, tstamp) == 152 &&
	       offsetof(struct ebpf_sk_buff, sk) == 168 &&
	       offsetof(struct ebpf_sk_buff, gso_size) == 176 &&
	       offsetof(struct ebpf_sk_buff, hwtstamp) == 184 &&
	       sizeof(struct ebpf_bpf_sock) == 80 &&
	       offsetof(struct ebpf_bpf_sock, dst_port) == 48 &&
	       offsetof(struct ebpf_bpf_sock, rx_queue_mapping) == 76,
	       "struct ebpf_sk_buff / ebpf_bpf_sock: the UAPI layout");

/* A big-endian u16 as it sits in memory, read as a host u16 (skb->protocol is __be16). */
static u16 be16_raw(u16 v)
{
	u8 b[2];
	u16 r;

	b[0] = v >> 8;
	b[1] = v & 0xff;
	memcpy(&r, b, sizeof(r));
	return r;
}

static bool zero_between(const struct ebpf_sk_buff *u, size_t from, size_t to)
{
	const u8 *p = (const u8 *)u;

	for (; from < to; from++)
		if (p[from])
			return false;
	return true;
}

/* convert___skb_to_skb: the user may set only these fields of ctx_in. */
static bool user_fields_ok(const struct ebpf_sk_buff *u)
{
	return zero_between(u, 0, offsetof(struct ebpf_sk_buff, mark)) &&
	       zero_between(u, SKB_FIELD_END(mark), offsetof(struct ebpf_sk_buff, priority)) &&
	       zero_between(u, SKB_FIELD_END(ifindex), offsetof(struct ebpf_sk_buff, cb)) &&
	       zero_between(u, SKB_FIELD_END(cb), offsetof(struct ebpf_sk_buff, tstamp)) &&
	       zero_between(u, SKB_FIELD_END(gso_segs), offsetof(struct ebpf_sk_buff, gso_size)) &&
	       zero_between(u, SKB_FIELD_END(gso_size), offsetof(struct ebpf_sk_buff, hwtstamp));
}

/* eth_type_trans(): packet type from the destination address, protocol from the type field. */
static void eth_type_trans(struct ebpf_skb *skb, const struct ebpf_skb_dev *dev)
{
	const u8 *dest = skb->frame, *payload = skb->frame + EBPF_ETH_HLEN;
	u16 proto = (u16)(skb->frame[12] << 8 | skb->frame[13]);

	if (memcmp(dest, dev->addr, EBPF_ETH_ALEN) == 0)
		skb->ctx.pkt_type = PACKET_HOST;
	else if (!(dest[0] & 1))
		skb->ctx.pkt_type = PACKET_OTHERHOST;
	else if (memcmp(dest, dev->broadcast, EBPF_ETH_ALEN) == 0)
		skb->ctx.pkt_type = PACKET_BROADCAST;
	else
		skb->ctx.pkt_type = PACKET_MULTICAST;

	if (proto >= ETH_P_802_3_MIN)
		skb->ctx.protocol = be16_raw(proto);
	else if (skb->frame_len >= EBPF_ETH_HLEN + 2 && payload[0] == 0xff && payload[1] == 0xff)
		skb->ctx.protocol = be16_raw(ETH_P_802_3);	/* raw 802.3 (IPX) */
	else
		skb->ctx.protocol = be16_raw(ETH_P_802_2);	/* 802.2 LLC */
}

/*
 * The test run's socket (sk_alloc + sock_init_data(NULL, sk)): closed, no queue
 * mapping, family and addresses from an IPv4 / IPv6 header, as bpf_prog_test_run_skb.
 */
static void sock_init(struct ebpf_skb *skb)
{
	const u8 *ip = skb->frame + EBPF_ETH_HLEN;
	struct ebpf_bpf_sock *sk = &skb->sock;

	sk->state = TCP_CLOSE_;
	sk->rx_queue_mapping = -1;
	if (skb->ctx.protocol == be16_raw(ETH_P_IP)) {
		sk->family = AF_INET_;
		memcpy(&sk->src_ip4, ip + 12, 4);	/* rcv_saddr = saddr */
		memcpy(&sk->dst_ip4, ip + 16, 4);
	} else if (skb->ctx.protocol == be16_raw(ETH_P_IPV6)) {
		sk->family = AF_INET6_;
		memcpy(sk->src_ip6, ip + 8, 16);
		memcpy(sk->dst_ip6, ip + 24, 16);
	}
}

int ebpf_skb_init(struct ebpf_skb *skb, const u8 *frame, u32 frame_len,
		  const struct ebpf_skb_dev *dev, const struct ebpf_sk_buff *user)
{
	u32 len = frame_len - EBPF_ETH_HLEN;

	memset(skb, 0, sizeof(*skb));
	skb->frame = frame;
	skb->frame_len = frame_len;
	skb->ctx.len = len;
	skb->ctx.ifindex = dev->ifindex;
	eth_type_trans(skb, dev);
	/* the test run's socket takes its addresses from the IP header, which must be there */
	if ((skb->ctx.protocol == be16_raw(ETH_P_IP) && len < IPV4_HLEN) ||
	    (skb->ctx.protocol == be16_raw(ETH_P_IPV6) && len < IPV6_HLEN))
		return -EINVAL;
	sock_init(skb);
	if (!user)
		return 0;
	if (!user_fields_ok(user))
		return -EINVAL;
	skb->ctx.mark = user->mark;
	skb->ctx.priority = user->priority;
	skb->ctx.ingress_ifindex = user->ingress_ifindex;
	skb->ctx.tstamp = user->tstamp;
	memcpy(skb->ctx.cb, user->cb, sizeof(skb->ctx.cb));
	if (!user->wire_len) {
		skb->pkt_len = len;
	} else {
		if (user->wire_len < len || user->wire_len > GSO_LEGACY_MAX_SIZE)
			return -EINVAL;
		skb->pkt_len = user->wire_len;
	}
	if (user->gso_segs > GSO_MAX_SEGS)
		return -EINVAL;
	skb->ctx.gso_segs = user->gso_segs;
	skb->ctx.gso_size = user->gso_size;
	skb->ctx.hwtstamp = user->hwtstamp;
	return 0;
}

void ebpf_skb_to_user(const struct ebpf_skb *skb, struct ebpf_sk_buff *user)
{
	user->mark = skb->ctx.mark;
	user->priority = skb->ctx.priority;
	user->ingress_ifindex = skb->ctx.ingress_ifindex;
	user->ifindex = skb->ctx.ifindex;
	user->tstamp = skb->ctx.tstamp;
	memcpy(user->cb, skb->ctx.cb, sizeof(user->cb));
	user->wire_len = skb->pkt_len;
	user->gso_segs = skb->ctx.gso_segs;
	user->hwtstamp = skb->ctx.hwtstamp;
}

/* sk_filter_is_valid_access() and bpf_skb_is_valid_access() for a socket filter. */
bool ebpf_skb_ctx_access_ok(u32 off, u32 size, bool write)
{
	if (!size || off >= sizeof(struct ebpf_sk_buff) || off % size)
		return false;
	/* Fields of other program types (tc, sk_skb, flow dissector) and the packet pointers. */
	if (SKB_IN(off, tc_classid) || SKB_IN(off, data) || SKB_IN(off, data_meta) ||
	    SKB_IN(off, data_end) || SKB_IN(off, flow_keys) || SKB_IN(off, tstamp) ||
	    SKB_IN(off, wire_len) || SKB_IN(off, hwtstamp) || SKB_IN(off, tstamp_type) ||
	    SKB_IN(off, pad) ||
	    (off >= offsetof(struct ebpf_sk_buff, family) && off < SKB_FIELD_END(local_port)))
		return false;
	/* skb->sk: the socket, as a pointer the engine tags (ebpf_skb_sock_access_ok) */
	if (SKB_IN(off, sk))
		return off == offsetof(struct ebpf_sk_buff, sk) && size == 8 && !write;
	if (SKB_IN(off, cb))
		return off + size <= SKB_FIELD_END(cb);
	/* The rest: narrow reads of 32-bit fields; socket filters write only cb[]. */
	return !write && size <= 4;
}

/*
 * Width of the kernel field behind a 32-bit __sk_buff field, where it is narrower:
 * Linux loads the kernel field and masks, so a narrow read at or above that width
 * yields the whole value, whichever bytes of the __sk_buff field it named.
 */
static u32 kernel_field_width(u32 field)
{
	if (field == offsetof(struct ebpf_sk_buff, pkt_type) ||
	    field == offsetof(struct ebpf_sk_buff, vlan_present))
		return 1;
	if (field == offsetof(struct ebpf_sk_buff, protocol) ||
	    field == offsetof(struct ebpf_sk_buff, queue_mapping) ||
	    field == offsetof(struct ebpf_sk_buff, vlan_tci) ||
	    field == offsetof(struct ebpf_sk_buff, vlan_proto) ||
	    field == offsetof(struct ebpf_sk_buff, tc_index) ||
	    field == offsetof(struct ebpf_sk_buff, gso_segs) ||
	    field == offsetof(struct ebpf_sk_buff, gso_size))
		return 2;
	return 4;
}

/*
 * A narrow read of @size bytes at @off in the 32-bit field at @p + (@off & ~3), whose
 * kernel field is @width bytes: Linux loads the kernel field and, only when the read is
 * narrower than it, shifts and masks (bpf_ctx_narrow_access_offset()).
 */
static u64 narrow_read(const u8 *p, u32 off, u32 size, u32 width)
{
	u32 v, shift;

	memcpy(&v, p + (off & ~3u), 4);
	if (size == 4 || size >= width)
		return v;
	shift = EBPF_LITTLE_ENDIAN ? (off & 3) * 8 : (4 - (off & 3) - size) * 8;
	return (v >> shift) & ((1u << (size * 8)) - 1);
}

u64 ebpf_skb_ctx_read(const struct ebpf_sk_buff *ctx, u32 off, u32 size)
{
	const u8 *p = (const u8 *)ctx;
	u32 v;
	u64 v64;
	u16 v16;

	if (SKB_IN(off, cb)) {	/* cb[] is read as it is, any width */
		switch (size) {
		case 1:
			return p[off];
		case 2:
			memcpy(&v16, p + off, 2);
			return v16;
		case 4:
			memcpy(&v, p + off, 4);
			return v;
		default:
			memcpy(&v64, p + off, 8);
			return v64;
		}
	}
	return narrow_read(p, off, size, kernel_field_width(off & ~3u));
}

bool ebpf_skb_sock_access_ok(u32 off, u32 size, bool write)
{
	if (write || !size || off >= sizeof(struct ebpf_bpf_sock) || off % size)
		return false;
	if (off >= offsetof(struct ebpf_bpf_sock, type) && off < SOCK_END(priority))
		return false;	/* full sockets only */
	if (SOCK_AT(off, state) || SOCK_AT(off, family) || SOCK_AT(off, src_port) ||
	    SOCK_AT(off, rx_queue_mapping) || SOCK_IN(off, src_ip4) || SOCK_IN(off, src_ip6) ||
	    SOCK_IN(off, dst_ip4) || SOCK_IN(off, dst_ip6))
		return size <= 4;
	if (SOCK_IN(off, dst_port))	/* 4 bytes as a whole, else narrow reads of the port */
		return size <= 4;
	if (off >= SOCK_END(dst_port) && off < offsetof(struct ebpf_bpf_sock, dst_ip4))
		return false;
	return size == 4;
}

u64 ebpf_skb_sock_read(const struct ebpf_bpf_sock *sk, u32 off, u32 size)
{
	u32 field = off & ~3u, width = 4;

	if (field == offsetof(struct ebpf_bpf_sock, state))
		width = 1;	/* skc_state */
	else if (field == offsetof(struct ebpf_bpf_sock, family) ||
		 field == offsetof(struct ebpf_bpf_sock, src_port) ||
		 field == offsetof(struct ebpf_bpf_sock, dst_port))
		width = 2;	/* skc_family, skc_num, skc_dport */
	return narrow_read((const u8 *)sk, off, size, width);
}

int ebpf_skb_load(const struct ebpf_skb *skb, s32 off, u32 size, u64 *val)
{
	u64 start;
	u32 i;

	if (off >= 0)
		start = (u64)EBPF_ETH_HLEN + (u32)off;
	else if (off >= SKF_NET_OFF)
		start = (u64)EBPF_ETH_HLEN + (u32)(off - SKF_NET_OFF);
	else if (off >= SKF_LL_OFF)
		start = (u32)(off - SKF_LL_OFF);
	else
		return -EFAULT;
	if (start + size > skb->frame_len)
		return -EFAULT;
	*val = 0;
	for (i = 0; i < size; i++)
		*val = *val << 8 | skb->frame[start + i];
	return 0;
}

static int load_range(const struct ebpf_skb *skb, u64 start, void *to, u32 len)
{
	if (start + len > skb->frame_len) {
		memset(to, 0, len);
		return -EFAULT;
	}
	memcpy(to, skb->frame + start, len);
	return 0;
}

int ebpf_skb_load_bytes(const struct ebpf_skb *skb, u32 off, void *to, u32 len)
{
	if (off > 0x7fffffffu) {
		memset(to, 0, len);
		return -EFAULT;
	}
	return load_range(skb, (u64)EBPF_ETH_HLEN + off, to, len);
}

int ebpf_skb_load_bytes_relative(const struct ebpf_skb *skb, u32 off, void *to, u32 len,
				 u32 start)
{
	if (off > 0xffff || (start != HDR_START_MAC && start != HDR_START_NET)) {
		memset(to, 0, len);
		return -EFAULT;
	}
	return load_range(skb, (u64)(start == HDR_START_NET ? EBPF_ETH_HLEN : 0) + off, to, len);
}

/*
 * The socket filter's context as the engine sees it: the __sk_buff at the start of a
 * struct ebpf_skb, skb->sk read as a pointer to the run's socket, LD_ABS / LD_IND
 * reading the packet.
 */
static u64 skb_ops_read(const void *ctx, u32 off, u32 size, struct ebpf_tag *dt)
{
	const struct ebpf_skb *skb = ctx;

	if (off == offsetof(struct ebpf_sk_buff, sk)) {
		dt->base = (u64)(unsigned long)&skb->sock;
		dt->size = sizeof(struct ebpf_bpf_sock);
		dt->kind = EBPF_PTR_SOCK;
		dt->writable = 0;
		dt->pad = 0;
		return dt->base;
	}
	return ebpf_skb_ctx_read(&skb->ctx, off, size);
}

static u64 skb_ops_sock_read(const void *sock, u32 off, u32 size)
{
	return ebpf_skb_sock_read(sock, off, size);
}

static int skb_ops_ld_abs(const void *ctx, s32 off, u32 size, u64 *val)
{
	return ebpf_skb_load(ctx, off, size, val);
}

const struct ebpf_ctx_ops ebpf_skb_ctx_ops = {
	.size = sizeof(struct ebpf_sk_buff),
	.access_ok = ebpf_skb_ctx_access_ok,
	.read = skb_ops_read,
	.sock_access_ok = ebpf_skb_sock_access_ok,
	.sock_read = skb_ops_sock_read,
	.ld_abs = skb_ops_ld_abs,
};
