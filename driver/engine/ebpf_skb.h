/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ebpf_skb.h - the packet a socket filter runs on (BPF_PROG_TEST_RUN): Linux's
 * struct __sk_buff as the program sees it, the Ethernet frame behind it, and the
 * rules for reaching both, after net/bpf/test_run.c (bpf_prog_test_run_skb) and
 * net/core/filter.c (sk_filter_is_valid_access, the LD_ABS / skb_load_bytes helpers).
 *
 * The test run's skb is a linear skb on the loopback device (or the device the
 * user's ifindex names) whose Ethernet header eth_type_trans() has pulled: skb->data
 * is the frame plus ETH_HLEN, the network header is there too, the mac header is
 * the frame's start.
 */
#ifndef EBPF_SKB_H
#define EBPF_SKB_H

#include "ebpf_env.h"

#define EBPF_ETH_HLEN		14
#define EBPF_ETH_ALEN		6

/* Linux's UAPI struct __sk_buff (192 bytes); the sk and flow_keys pointers are u64. */
struct ebpf_sk_buff {
	u32 len;
	u32 pkt_type;
	u32 mark;
	u32 queue_mapping;
	u32 protocol;
	u32 vlan_present;
	u32 vlan_tci;
	u32 vlan_proto;
	u32 priority;
	u32 ingress_ifindex;
	u32 ifindex;
	u32 tc_index;
	u32 cb[5];
	u32 hash;
	u32 tc_classid;
	u32 data;
	u32 data_end;
	u32 napi_id;
	u32 family;
	u32 remote_ip4;
	u32 local_ip4;
	u32 remote_ip6[4];
	u32 local_ip6[4];
	u32 remote_port;
	u32 local_port;
	u32 data_meta;
	u64 flow_keys;
	u64 tstamp;
	u32 wire_len;
	u32 gso_segs;
	u64 sk;
	u32 gso_size;
	u8 tstamp_type;
	u8 pad[3];
	u64 hwtstamp;
};

/*
 * Linux's UAPI struct bpf_sock (80 bytes): the test run's socket as a socket filter
 * sees it through skb->sk (a PTR_TO_SOCK_COMMON: Linux's sock_common view of it).
 */
struct ebpf_bpf_sock {
	u32 bound_dev_if;
	u32 family;
	u32 type;
	u32 protocol;
	u32 mark;
	u32 priority;
	u32 src_ip4;
	u32 src_ip6[4];
	u32 src_port;
	u16 dst_port;			/* network byte order */
	u16 pad;
	u32 dst_ip4;
	u32 dst_ip6[4];
	u32 state;
	s32 rx_queue_mapping;
};

/* The device the skb arrives on: its index and link-layer addresses (pkt_type). */
struct ebpf_skb_dev {
	u32 ifindex;
	u8 addr[EBPF_ETH_ALEN];
	u8 broadcast[EBPF_ETH_ALEN];
};

/*
 * What a socket filter's r1 points to.  ctx must stay the first member: the engine
 * finds the packet from the context pointer (programs of EBPF_CTX_SKB).
 */
struct ebpf_skb {
	struct ebpf_sk_buff ctx;	/* the program's view; it may write cb[] */
	const u8 *frame;		/* mac header: the frame as data_in gave it */
	u32 frame_len;
	u32 pkt_len;			/* qdisc cb pkt_len, reported as wire_len */
	u64 sock_cookie;		/* the test run's socket (bpf_get_socket_cookie); caller's */
	struct ebpf_bpf_sock sock;	/* the test run's socket: what skb->sk points to */
};

/*
 * Build the skb of a test run, as bpf_prog_test_run_skb does: @frame (@frame_len >=
 * ETH_HLEN, checked by the caller) arriving on @dev, with the fields the user may set
 * taken from @user (Linux's ctx_in; NULL when the user passed no context).  Returns 0,
 * or -EINVAL for an IPv4 / IPv6 frame too short for its IP header, or a @user Linux
 * refuses (a field it does not take is nonzero, wire_len below the packet or above
 * 64 KiB, too many gso_segs).
 */
int ebpf_skb_init(struct ebpf_skb *skb, const u8 *frame, u32 frame_len,
		  const struct ebpf_skb_dev *dev, const struct ebpf_sk_buff *user);

/* The fields a test run hands back in ctx_out (convert_skb_to___skb) into @user. */
void ebpf_skb_to_user(const struct ebpf_skb *skb, struct ebpf_sk_buff *user);

/*
 * May a socket filter read (or write) @size bytes at offset @off of its __sk_buff?
 * Linux decides this at load time; the engine asks at every access.
 */
bool ebpf_skb_ctx_access_ok(u32 off, u32 size, bool write);

/*
 * A socket filter's read of @size bytes at @off of its __sk_buff (allowed by
 * ebpf_skb_ctx_access_ok), with Linux's result for narrow reads of fields the kernel
 * keeps narrower than 32 bits.
 */
u64 ebpf_skb_ctx_read(const struct ebpf_sk_buff *ctx, u32 off, u32 size);

/*
 * May a program read @size bytes at @off of the socket skb->sk gave it?  Linux's
 * bpf_sock_common_is_valid_access(); the socket is read-only.
 */
bool ebpf_skb_sock_access_ok(u32 off, u32 size, bool write);

/* Such a read (allowed by ebpf_skb_sock_access_ok), with Linux's narrow-load results. */
u64 ebpf_skb_sock_read(const struct ebpf_bpf_sock *sk, u32 off, u32 size);

/*
 * BPF_LD_ABS / BPF_LD_IND of @size (1, 2, 4) bytes at @off: offsets from skb->data,
 * or from the network / mac header for SKF_NET_OFF / SKF_LL_OFF + k.  Big-endian
 * bytes to a host value in *val; -EFAULT outside the packet.
 */
int ebpf_skb_load(const struct ebpf_skb *skb, s32 off, u32 size, u64 *val);

/* bpf_skb_load_bytes (26): @len bytes at @off from skb->data; zeroes @to on -EFAULT. */
int ebpf_skb_load_bytes(const struct ebpf_skb *skb, u32 off, void *to, u32 len);

/* bpf_skb_load_bytes_relative (68): from the mac (@start 0) or network (1) header. */
int ebpf_skb_load_bytes_relative(const struct ebpf_skb *skb, u32 off, void *to, u32 len,
				 u32 start);

#endif /* EBPF_SKB_H */
