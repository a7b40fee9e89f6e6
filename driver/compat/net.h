/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sockets.
 */
#ifndef BPFDRV_COMPAT_NET_H
#define BPFDRV_COMPAT_NET_H

#include <net/sock.h>
#include <net/inet_sock.h>
#include "base.h"

/*
 * An IPv6 socket's bound and peer addresses (sock:inet_sock_set_state's saddr_v6 /
 * daddr_v6, attach_sock_synth.c): in sock_common since 3.13, before in the ipv6_pinfo
 * inet_sk(sk)->pinet6 points at. RHEL 7 has the 3.13 layout (checked on 7.9). Without
 * CONFIG_IPV6 neither exists, and nothing reads them.
 */
#ifdef HAVE_SK_V6_RCV_SADDR /* compat/features/sk_v6_rcv_saddr.c */
#define bpfdrv_sk_v6_rcv_saddr(sk) (&(sk)->sk_v6_rcv_saddr)
#define bpfdrv_sk_v6_daddr(sk) (&(sk)->sk_v6_daddr)
#else
#define bpfdrv_sk_v6_rcv_saddr(sk) (&inet_sk(sk)->pinet6->rcv_saddr)
#define bpfdrv_sk_v6_daddr(sk) (&inet_sk(sk)->pinet6->daddr)
#endif

#endif /* BPFDRV_COMPAT_NET_H */
