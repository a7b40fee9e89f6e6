// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic sock:inet_sock_set_state for kernels without it (before 4.16; 3.10 has
 * neither it nor 4.15's tcp:tcp_set_state). tcpstates and tcplife attach there and
 * read struct trace_event_raw_inet_sock_set_state; synth_tp.c publishes the event
 * (events/sock/inet_sock_set_state/{id,format}, id BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE)
 * and the hook points the tools at it where the kernel has none.
 *
 * Where 4.16+ fires it for TCP (include/trace/events/sock.h, from inet_sk_state_store
 * and inet_sk_set_state in net/ipv4/af_inet.c), and how it is caught here:
 * - tcp_set_state(sk, state): every transition of an existing TCP socket (connect,
 *   established, the FIN states, close, disconnect, tcp_done). A kprobe at its entry
 *   sees sk_state still old, as the tracepoint does.
 * - inet_csk_listen_start(sk, ...): CLOSE -> LISTEN, and LISTEN -> CLOSE when the port
 *   is taken. Before 4.16 a plain sk->sk_state write: a kretprobe (entry: the first
 *   event; return with an error: the second).
 * - inet_csk_clone_lock(listener, req, prio): LISTEN -> SYN_RECV of the new child,
 *   fired in 4.16+ right after sk_clone_lock, when the child's ports and addresses are
 *   still the listener's. Before 4.16 a plain write: a kretprobe reporting the
 *   returned child with the listener's fields.
 * Not caught: the 4.16+ events of other protocols (DCCP's dccp_set_state, SCTP, MPTCP),
 * inet_ehash_nolisten's LISTEN-clone -> CLOSE when the child loses a race for its hash
 * slot (4.16+ only; 3.10 destroys it without a state change), the second event of a
 * listen that fails in inet_ulp_can_listen (5.x, no state change there: the entry has
 * already reported CLOSE -> LISTEN), and events missed because a kretprobe ran out of
 * instances (counted by the kprobes core as nmissed).
 *
 * The record (struct trace_event_raw_inet_sock_set_state, format file below) is 6.1's,
 * checked against it by tests/tests/guest_synth_tp.rs, and filled as 6.1's
 * TP_fast_assign fills it: host-order ports, the IPv4 addresses, and for AF_INET the
 * IPv4-mapped IPv6 ones. The handlers only read fields of a socket the probed function
 * was handed (locked or referenced by its caller) and run the program; nothing sleeps.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/preempt.h>
#include <linux/hardirq.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/tcp_states.h>
#include "bpfdrv.h"
#include "compat.h"
#include "stats.h"

/* 6.1's struct trace_event_raw_inet_sock_set_state (without its __data[]). */
struct sock_state_record {
	u16 common_type;
	u8 common_flags;
	u8 common_preempt_count;
	s32 common_pid;
	u64 skaddr;
	s32 oldstate;
	s32 newstate;
	u16 sport;
	u16 dport;
	u16 family;
	u16 protocol;
	u8 saddr[4];
	u8 daddr[4];
	u8 saddr_v6[16];
	u8 daddr_v6[16];
};

/* perf_trace_inet_sock_set_state: the raw sample's u32 size + record end 8-aligned. */
#define SOCK_STATE_RAW_SIZE \
	(ALIGN(sizeof(struct sock_state_record) + sizeof(u32), sizeof(u64)) - sizeof(u32))

struct sock_state_buf {
	struct sock_state_record r;
	u8 pad[SOCK_STATE_RAW_SIZE - sizeof(struct sock_state_record)];
};

struct sock_synth_state {
	struct bpfdrv_event *ev;
	struct kprobe set_state;	/* tcp_set_state */
	struct kretprobe listen;	/* inet_csk_listen_start */
	struct kretprobe clone;		/* inet_csk_clone_lock */
	bool listen_on, clone_on;
};

/* Saved at a kretprobe's entry for its return. */
struct sock_synth_entry {
	struct sock *sk;
};

/*
 * The record for @sk going from @oldstate to @newstate, fields read from @fields (the
 * socket itself, or the listener a child is a copy of).
 */
static void sock_state_emit(struct bpfdrv_event *ev, const struct sock *sk,
			    const struct sock *fields, int oldstate, int newstate,
			    struct pt_regs *regs)
{
	const struct inet_sock *inet = inet_sk(fields);
	struct sock_state_buf b;

	memset(&b, 0, sizeof(b));
	b.r.common_type = (u16)BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE;
	/* As tracing_generic_entry_update: irqs off, hard / soft irq context. */
	b.r.common_flags = (irqs_disabled() ? 0x01 : 0) | (hardirq_count() ? 0x08 : 0) |
			   (in_serving_softirq() ? 0x10 : 0);
	b.r.common_preempt_count = preempt_count() & 0xff;
	b.r.common_pid = current->pid;
	b.r.skaddr = (u64)(uintptr_t)sk;
	b.r.oldstate = oldstate;
	b.r.newstate = newstate;
	b.r.family = fields->sk_family;
	b.r.protocol = fields->sk_protocol;
	b.r.sport = ntohs(inet->inet_sport);
	b.r.dport = ntohs(inet->inet_dport);
	memcpy(b.r.saddr, &inet->inet_saddr, 4);
	memcpy(b.r.daddr, &inet->inet_daddr, 4);
#if IS_ENABLED(CONFIG_IPV6)
	if (fields->sk_family == AF_INET6) {
		memcpy(b.r.saddr_v6, bpfdrv_sk_v6_rcv_saddr(fields), 16);
		memcpy(b.r.daddr_v6, bpfdrv_sk_v6_daddr(fields), 16);
	} else
#endif
	{
		ipv6_addr_set_v4mapped(inet->inet_saddr, (struct in6_addr *)b.r.saddr_v6);
		ipv6_addr_set_v4mapped(inet->inet_daddr, (struct in6_addr *)b.r.daddr_v6);
	}
	bpfdrv_event_run(ev, &b, SOCK_STATE_RAW_SIZE, regs, 0);
}

/* First and second argument at a probed function's entry (compat/abi.h). */
#define SOCK_ARG0(regs) bpfdrv_func_arg(regs, 0)
#define SOCK_ARG1(regs) bpfdrv_func_arg(regs, 1)
/* Where no argument registers are known: no synthetic event. */
#define SOCK_SYNTH_NR_EVENTS BPFDRV_HAVE_FUNC_ARGS

static int sock_set_state_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct sock_synth_state *s = container_of(kp, struct sock_synth_state, set_state);
	struct sock *sk = (struct sock *)SOCK_ARG0(regs);

	sock_state_emit(s->ev, sk, sk, sk->sk_state, (int)SOCK_ARG1(regs), regs);
	return 0;
}

static int sock_listen_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock_synth_state *s = container_of(bpfdrv_kretprobe_of(ri),
						  struct sock_synth_state, listen);
	struct sock *sk = (struct sock *)SOCK_ARG0(regs);

	((struct sock_synth_entry *)ri->data)->sk = sk;
	sock_state_emit(s->ev, sk, sk, sk->sk_state, TCP_LISTEN, regs);
	return 0;
}

static int sock_listen_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock_synth_state *s = container_of(bpfdrv_kretprobe_of(ri),
						  struct sock_synth_state, listen);
	struct sock *sk = ((struct sock_synth_entry *)ri->data)->sk;

	if (regs_return_value(regs))
		sock_state_emit(s->ev, sk, sk, TCP_LISTEN, TCP_CLOSE, regs);
	return 0;
}

static int sock_clone_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	((struct sock_synth_entry *)ri->data)->sk = (struct sock *)SOCK_ARG0(regs);
	return 0;
}

static int sock_clone_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock_synth_state *s = container_of(bpfdrv_kretprobe_of(ri),
						  struct sock_synth_state, clone);
	struct sock *listener = ((struct sock_synth_entry *)ri->data)->sk;
	struct sock *child = (struct sock *)regs_return_value(regs);

	if (child)
		sock_state_emit(s->ev, child, listener, listener->sk_state, TCP_SYN_RECV, regs);
	return 0;
}

static void sock_synth_unregister(struct sock_synth_state *s)
{
	/* Each waits until no handler runs (and no kretprobe instance is pending). */
	if (s->clone_on)
		unregister_kretprobe(&s->clone);
	if (s->listen_on)
		unregister_kretprobe(&s->listen);
	s->clone_on = false;
	s->listen_on = false;
}

static int sock_synth_init(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *attr,
			   int pid, int cpu)
{
	struct sock_synth_state *s;
	const char *sym;
	int err;

	if (attr->config != BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE || !SOCK_SYNTH_NR_EVENTS)
		return -ENOENT;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->ev = ev;
	s->listen.kp.symbol_name = "inet_csk_listen_start";
	s->listen.entry_handler = sock_listen_entry;
	s->listen.handler = sock_listen_ret;
	s->listen.data_size = sizeof(struct sock_synth_entry);
	s->clone.kp.symbol_name = "inet_csk_clone_lock";
	s->clone.entry_handler = sock_clone_entry;
	s->clone.handler = sock_clone_ret;
	s->clone.data_size = sizeof(struct sock_synth_entry);
	/* Neither sleeps; room for a burst of SYNs on every CPU. */
	s->clone.maxactive = 16 + 4 * num_possible_cpus();
	s->set_state.symbol_name = "tcp_set_state";
	s->set_state.pre_handler = sock_set_state_pre;

	sym = s->listen.kp.symbol_name;
	err = register_kretprobe(&s->listen);
	if (!err) {
		s->listen_on = true;
		sym = s->clone.kp.symbol_name;
		err = register_kretprobe(&s->clone);
	}
	if (!err) {
		s->clone_on = true;
		sym = s->set_state.symbol_name;
		err = register_kprobe(&s->set_state);
	}
	if (err) {
		bpfdrv_warn("synthetic sock:inet_sock_set_state: cannot probe %s: %d\n", sym, err);
		sock_synth_unregister(s);
		kfree(s);
		return err;
	}
	ev->priv = s;
	return 0;
}

static void sock_synth_free(struct bpfdrv_event *ev)
{
	struct sock_synth_state *s = ev->priv;

	unregister_kprobe(&s->set_state);
	sock_synth_unregister(s);
	kfree(s);
}

static const struct bpfdrv_event_type bpfdrv_sock_synth_event = {
	.name = "synthetic sock:inet_sock_set_state",
	.init = sock_synth_init,
	/* As for the kernel's tracepoints (perf_event_set_bpf_prog): TRACEPOINT only. */
	.prog_types = BIT(BPFDRV_PROG_TYPE_TRACEPOINT),
	.free = sock_synth_free,
};

/* ---- the published event (synth_tp.c) ---- */

static u32 sock_synth_id(unsigned int i)
{
	return BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE;
}

static void sock_synth_name(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "inet_sock_set_state");
}

/* 6.1's fields, each line of the format file. */
static const char *const sock_synth_fields[] = {
	"const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;",
	"int oldstate;\toffset:16;\tsize:4;\tsigned:1;",
	"int newstate;\toffset:20;\tsize:4;\tsigned:1;",
	"__u16 sport;\toffset:24;\tsize:2;\tsigned:0;",
	"__u16 dport;\toffset:26;\tsize:2;\tsigned:0;",
	"__u16 family;\toffset:28;\tsize:2;\tsigned:0;",
	"__u16 protocol;\toffset:30;\tsize:2;\tsigned:0;",
	"__u8 saddr[4];\toffset:32;\tsize:4;\tsigned:0;",
	"__u8 daddr[4];\toffset:36;\tsize:4;\tsigned:0;",
	"__u8 saddr_v6[16];\toffset:40;\tsize:16;\tsigned:0;",
	"__u8 daddr_v6[16];\toffset:56;\tsize:16;\tsigned:0;",
};

/* 6.1's print fmt, in pieces; the symbolic names as its TRACE_DEFINE_ENUMs resolve them. */
static const char *const sock_synth_print_fmt[] = {
	/* (%hu in pieces: checkpatch takes any string with it for a printk format) */
	"\"family=%s protocol=%s sport=%", "hu dport=%", "hu saddr=%pI4 daddr=%pI4 saddrv6=%pI6c daddrv6=%pI6c ",
	"oldstate=%s newstate=%s\", ",
	"__print_symbolic(REC->family, { 2, \"AF_INET\" }, { 10, \"AF_INET6\" }), ",
	"__print_symbolic(REC->protocol, { 6, \"IPPROTO_TCP\" }, { 33, \"IPPROTO_DCCP\" }, ",
	"{ 132, \"IPPROTO_SCTP\" }, { 262, \"IPPROTO_MPTCP\" }), REC->sport, REC->dport, ",
	"REC->saddr, REC->daddr, REC->saddr_v6, REC->daddr_v6, ",
	"__print_symbolic(REC->oldstate, ",
	NULL, /* the TCP states */
	"), __print_symbolic(REC->newstate, ",
	NULL,
	")",
};

/* TCP_ESTABLISHED (1) to TCP_NEW_SYN_RECV (12), the names of 6.1's show_tcp_state_name. */
static const char *const sock_synth_tcp_states[] = {
	"TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV", "TCP_FIN_WAIT1", "TCP_FIN_WAIT2",
	"TCP_TIME_WAIT", "TCP_CLOSE", "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN",
	"TCP_CLOSING", "TCP_NEW_SYN_RECV",
};

static void sock_synth_format(struct seq_file *m, unsigned int i)
{
	size_t k, st;

	for (k = 0; k < ARRAY_SIZE(sock_synth_fields); k++)
		seq_printf(m, "\tfield:%s\n", sock_synth_fields[k]);
	seq_puts(m, "\nprint fmt: ");
	for (k = 0; k < ARRAY_SIZE(sock_synth_print_fmt); k++) {
		if (sock_synth_print_fmt[k]) {
			seq_puts(m, sock_synth_print_fmt[k]);
			continue;
		}
		for (st = 0; st < ARRAY_SIZE(sock_synth_tcp_states); st++)
			seq_printf(m, "%s{ %zu, \"%s\" }", st ? ", " : "", st + 1,
				   sock_synth_tcp_states[st]);
	}
	seq_puts(m, "\n");
}

const struct bpfdrv_synth_tp_family bpfdrv_sock_synth = {
	.category = "sock",
	.type = &bpfdrv_sock_synth_event,
	.nr_events = SOCK_SYNTH_NR_EVENTS,
	.id = sock_synth_id,
	.name = sock_synth_name,
	.format = sock_synth_format,
};
