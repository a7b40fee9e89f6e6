// SPDX-License-Identifier: GPL-2.0
/*
 * An IPv6 socket's addresses in sock_common (3.13; RHEL 7 has them): compat/net.h.
 * Absent without CONFIG_IPV6, where nothing reads them.
 */
#include <net/sock.h>

const struct in6_addr *bpfdrv_probe(const struct sock *sk, int peer);
const struct in6_addr *bpfdrv_probe(const struct sock *sk, int peer)
{
	return peer ? &sk->sk_v6_daddr : &sk->sk_v6_rcv_saddr;
}
