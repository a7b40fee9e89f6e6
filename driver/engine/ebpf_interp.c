// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpf_interp.c - eBPF interpreter with run-time memory tagging.
 *
 * Safety does not depend on ebpf_check(): each register and each 8-byte stack
 * slot carries a tag (scalar, or pointer into a region {base, size,
 * writable}); loads, stores, atomics and helper arguments are checked against
 * the tag of the address register, pc is bounds-checked, unknown opcodes abort,
 * and the instruction budget bounds the run.  No recursion; the C stack frame
 * is small (register values live here, everything else in the scratch).
 */
#include "ebpf_engine.h"
#include "ebpf_insn.h"
#include "ebpf_jit.h"

#define SLOTS_PER_FRAME	(EBPF_STACK_SIZE / 8)


static inline bool tag_is_mem(const struct ebpf_tag *t)
{
	return t->kind == EBPF_PTR_STACK || t->kind == EBPF_PTR_CTX ||
	       t->kind == EBPF_PTR_MAP_VALUE || t->kind == EBPF_PTR_MEM || t->kind == EBPF_PTR_SOCK;
}

/* [addr, addr+size) inside the region of t (and writable if write)? */
static inline bool region_ok(const struct ebpf_tag *t, u64 addr, u64 size, bool write)
{
	if (!tag_is_mem(t))
		return false;
	if (write && !t->writable)
		return false;
	if (size > t->size)
		return false;
	return addr - t->base <= (u64)t->size - size;
}

/*
 * Memory with access rules of its own: a context of a program type with rules (a socket
 * filter's __sk_buff), or the socket it hands out (only such a context hands one out).
 */
static inline bool has_rules(const struct ebpf_prog *prog, const struct ebpf_tag *t)
{
	return ebpf_ctx_ops(prog) && (t->kind == EBPF_PTR_CTX || t->kind == EBPF_PTR_SOCK);
}

enum access { ACCESS_READ, ACCESS_WRITE, ACCESS_ATOMIC_LOAD, ACCESS_ATOMIC };

/*
 * May the program touch [addr, addr+size) through register value reg tagged t?  0,
 * -EFAULT outside t's region (or misaligned atomics), or -EACCES where memory with
 * rules refuses it: Linux's is_valid_access for the program type or the socket, no
 * atomics, no access through a moved pointer, which the kernel's verifier all answers
 * with EACCES (ebpf_check() finds most of those on ctx at load).
 */
static inline int mem_access(const struct ebpf_prog *prog, const struct ebpf_tag *t, u64 reg,
			     u64 addr, u32 size, enum access a)
{
	bool write = a == ACCESS_WRITE || a == ACCESS_ATOMIC, atomic = a >= ACCESS_ATOMIC_LOAD;
	bool inside = region_ok(t, addr, size, write);

	if (has_rules(prog, t)) {
		const struct ebpf_ctx_ops *ops = ebpf_ctx_ops(prog);
		u32 off = (u32)(addr - t->base);

		if (!inside || atomic || reg != t->base ||
		    !(t->kind == EBPF_PTR_SOCK ? ops->sock_access_ok(off, size, write) :
						 ops->access_ok(off, size, write)))
			return -EACCES;
		return 0;
	}
	if (!inside || (atomic && (addr & (size - 1))))
		return -EFAULT;
	return 0;
}

/*
 * A read mem_access() allowed from memory with rules: the value, and the tag of the
 * register it goes to (a pointer the context hands out, e.g. skb->sk, is tagged so).
 */
static u64 ruled_read(const struct ebpf_ctx_ops *ops, const struct ebpf_tag *t, u64 addr,
		      u32 size, struct ebpf_tag *dt)
{
	const void *base = (const void *)(unsigned long)t->base;
	u32 off = (u32)(addr - t->base);

	dt->kind = EBPF_SCALAR;
	if (t->kind == EBPF_PTR_SOCK)
		return ops->sock_read(base, off, size);
	return ops->read(base, off, size, dt);
}

static inline u64 stack_origin(const struct ebpf_scratch *s)
{
	return (u64)(unsigned long)&s->stack[0][0];
}

/* Any write to stack bytes [addr, addr+size) forgets spilled pointers there. */
static void stack_untag(struct ebpf_scratch *s, u64 addr, u64 size)
{
	u64 g = addr - stack_origin(s);
	u64 first, last;

	if (!size || g >= sizeof(s->stack) || size > sizeof(s->stack) - g)
		return;
	first = g >> 3;
	last = (g + size - 1) >> 3;
	for (; first <= last; first++)
		s->slot_mask[first >> 6] &= ~((u64)1 << (first & 63));
}

static inline void stack_spill(struct ebpf_scratch *s, u64 addr, const struct ebpf_tag *t)
{
	u64 idx = (addr - stack_origin(s)) >> 3;

	s->slot_tag[idx] = *t;
	s->slot_mask[idx >> 6] |= (u64)1 << (idx & 63);
}

static inline void stack_fill(const struct ebpf_scratch *s, u64 addr, struct ebpf_tag *t)
{
	u64 idx = (addr - stack_origin(s)) >> 3;

	if (s->slot_mask[idx >> 6] & ((u64)1 << (idx & 63)))
		*t = s->slot_tag[idx];
	else
		t->kind = EBPF_SCALAR;
}

/*
 * Does a write of [addr, addr + size) leave part of a spilled pointer's slot behind
 * (partial == true), or does [addr, addr + size) touch one at all (partial == false)?
 * Those bytes would then read back as a plain number.
 */
static bool stack_ptr_bytes(const struct ebpf_scratch *s, u64 addr, u64 size, bool partial)
{
	u64 g = addr - stack_origin(s);
	u64 first, last, i;

	if (!size || g >= sizeof(s->stack) || size > sizeof(s->stack) - g)
		return false;
	first = g >> 3;
	last = (g + size - 1) >> 3;
	for (i = first; i <= last; i++) {
		if (!(s->slot_mask[i >> 6] & ((u64)1 << (i & 63))))
			continue;
		if (!partial || (i == first && (g & 7)) || (i == last && ((g + size) & 7)))
			return true;
	}
	return false;
}

/*
 * Would this value's bits become visible as a number: a pointer the program was not
 * allowed to leak (Linux's !allow_ptr_leaks, i.e. no CAP_PERFMON at load)?
 */
static inline bool ptr_leak(const struct ebpf_prog *prog, const struct ebpf_tag *t)
{
	return t->kind != EBPF_SCALAR && !prog->allow_ptr_leaks;
}

/*
 * Linux allows a pointer in a comparison only as a NULL check; anything else tells the
 * program bits of the address.
 */
static bool cmp_leaks(const struct ebpf_prog *prog, const struct ebpf_tag *tags, const u64 *regs,
		      const struct ebpf_insn *insn)
{
	u32 dst = EBPF_INSN_DST(insn), src = EBPF_INSN_SRC(insn);
	u8 op = EBPF_OP(insn->code);
	bool x = EBPF_SRC(insn->code) == EBPF_X;
	bool null_check;

	if (!ptr_leak(prog, &tags[dst]) && !(x && ptr_leak(prog, &tags[src])))
		return false;
	null_check = (op == EBPF_JEQ || op == EBPF_JNE) &&
		     (x ? (tags[src].kind == EBPF_SCALAR && !regs[src]) ||
			  (tags[dst].kind == EBPF_SCALAR && !regs[dst])
			: !insn->imm);
	return !null_check;
}

/*
 * A store of @st's value through @dt: a pointer may only be spilled whole to the stack,
 * and a store may not leave part of a spilled pointer behind.
 */
static bool stx_leaks(const struct ebpf_scratch *s, const struct ebpf_tag *dt,
		      const struct ebpf_tag *st, u64 addr, u32 sz)
{
	bool to_stack = dt->kind == EBPF_PTR_STACK;

	if (st->kind != EBPF_SCALAR && !(to_stack && sz == 8 && !(addr & 7)))
		return true;	/* Linux: R%d leaks addr into map / mem / ctx */
	return to_stack && stack_ptr_bytes(s, addr, sz, true);
}

static inline u64 mem_load(u64 addr, u32 sz)
{
	const void *p = (const void *)(unsigned long)addr;
	u8 b;
	u16 h;
	u32 w;
	u64 d;

	switch (sz) {
	case 1:
		memcpy(&b, p, 1);
		return b;
	case 2:
		memcpy(&h, p, 2);
		return h;
	case 4:
		memcpy(&w, p, 4);
		return w;
	default:
		memcpy(&d, p, 8);
		return d;
	}
}

u64 ebpf_probe_load(const struct ebpf_prog *prog, u64 addr, u32 sz)
{
	u64 buf = 0;

	if (prog->probe_read(&buf, addr, sz))
		return 0;
	return mem_load((u64)(unsigned long)&buf, sz);
}

static inline void mem_store(u64 addr, u64 v, u32 sz)
{
	void *p = (void *)(unsigned long)addr;
	u8 b;
	u16 h;
	u32 w;

	switch (sz) {
	case 1:
		b = (u8)v;
		memcpy(p, &b, 1);
		break;
	case 2:
		h = (u16)v;
		memcpy(p, &h, 2);
		break;
	case 4:
		w = (u32)v;
		memcpy(p, &w, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

static inline u64 bswap16(u64 x)
{
	return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

static inline u64 bswap32(u64 x)
{
	return ((x & 0xff) << 24) | ((x & 0xff00) << 8) |
	       ((x >> 8) & 0xff00) | ((x >> 24) & 0xff);
}

static inline u64 bswap64(u64 x)
{
	return (bswap32(x & 0xffffffff) << 32) | bswap32(x >> 32);
}

static inline u64 byteswap(u64 x, s32 width)
{
	switch (width) {
	case 16:
		return bswap16(x);
	case 32:
		return bswap32(x);
	default:
		return bswap64(x);
	}
}

static inline u64 truncate_to(u64 x, s32 width)
{
	switch (width) {
	case 16:
		return x & 0xffff;
	case 32:
		return x & 0xffffffff;
	default:
		return x;
	}
}

/* Map and callback handles stand for an object, not memory: arithmetic makes a scalar. */
static inline bool tag_is_handle(const struct ebpf_tag *t)
{
	return t->kind == EBPF_PTR_MAP || t->kind == EBPF_PTR_FUNC;
}

/* Tag of dst after dst += / -= (src tag st, NULL for an immediate). */
static inline void tag_arith(struct ebpf_tag *dt, const struct ebpf_tag *st, bool sub)
{
	if (tag_is_handle(dt)) {
		dt->kind = EBPF_SCALAR;
		return;
	}
	if (!st || st->kind == EBPF_SCALAR)
		return;			/* x +- scalar keeps x's tag */
	if (!sub && dt->kind == EBPF_SCALAR && !tag_is_handle(st)) {
		*dt = *st;		/* scalar + ptr */
		return;
	}
	dt->kind = EBPF_SCALAR;		/* ptr - ptr, ptr + ptr, scalar - ptr */
}

static void set_fp(struct ebpf_scratch *s, u32 f, u64 *regs)
{
	struct ebpf_tag *t = &s->tags[EBPF_REG_FP];

	t->base = (u64)(unsigned long)&s->stack[f][0];
	t->size = EBPF_STACK_SIZE;
	t->kind = EBPF_PTR_STACK;
	t->writable = 1;
	t->pad = 0;
	regs[EBPF_REG_FP] = t->base + EBPF_STACK_SIZE;
}

static void frame_enter(struct ebpf_scratch *s, u32 f, u64 *regs)
{
	memset(s->stack[f], 0, sizeof(s->stack[f]));
	s->slot_mask[f] = 0;
	set_fp(s, f, regs);
}

void ebpf_ctx_tag(const struct ebpf_run *run, struct ebpf_tag *t)
{
	t->base = run->ctx;
	t->kind = EBPF_PTR_CTX;
	t->pad = 0;
	if (ebpf_ctx_ops(run->prog)) {
		/* e.g. the __sk_buff only: the frame pointer behind it stays out of reach */
		t->size = ebpf_ctx_ops(run->prog)->size;
		t->writable = 1;	/* cb[]: mem_access() decides */
	} else {
		t->size = run->prog->ctx_size;
		t->writable = run->prog->ctx_writable ? 1 : 0;
	}
}

static void reset_state(struct ebpf_run *run, struct ebpf_scratch *s, u64 *regs, u64 r2)
{
	struct ebpf_tag *t = &s->tags[1];

	memset(regs, 0, 16 * sizeof(u64));
	memset(s->tags, 0, sizeof(s->tags));
	memset(s->slot_mask, 0, sizeof(s->slot_mask));
	run->frame = 0;
	run->loop.kind = EBPF_LOOP_NONE;
	regs[1] = run->ctx;
	ebpf_ctx_tag(run, t);
	regs[2] = r2;
	frame_enter(s, 0, regs);
}

/*
 * A call one frame deeper (bpf-to-bpf, or a callback): saves the caller's r6..r9 and
 * where to go on, and gives the callee a fresh stack.
 */
static int frame_push(struct ebpf_run *run, struct ebpf_scratch *s, u64 *regs, u32 ret_pc)
{
	struct ebpf_frame_save *fs;
	u32 f = run->frame, i;

	if (f + 1 >= EBPF_MAX_CALL_DEPTH)
		return -ELOOP;
	fs = &s->frames[f];
	for (i = 0; i < 4; i++) {
		fs->regs[i] = regs[6 + i];
		fs->tags[i] = s->tags[6 + i];
	}
	fs->ret_pc = ret_pc;
	run->frame = f + 1;
	frame_enter(s, f + 1, regs);
	return 0;
}

/*
 * Is there another callback run (the first if @first)? Advances l to it. A map's
 * iterator may charge run->budget (the caller's copy must be in sync) and fail the run.
 */
static bool loop_next(struct ebpf_run *run, struct ebpf_loop_state *l, bool first)
{
	if (l->kind == EBPF_LOOP_COUNT) {
		if (first ? !l->nr : l->idx + 1 >= l->nr)
			return false;
	} else if (!l->next(run, l->map->map, &l->cursor, &l->key_buf, &l->key, &l->value)) {
		return false;
	}
	if (!first)
		l->idx++;
	return true;
}

static void set_reg(struct ebpf_scratch *s, u64 *regs, u32 r, u64 v, const struct ebpf_tag *t)
{
	regs[r] = v;
	if (t)
		s->tags[r] = *t;
	else
		s->tags[r].kind = EBPF_SCALAR;
}

/* A tag for @size bytes of map memory at @base (the key or value of an element). */
static struct ebpf_tag map_mem_tag(void *base, u32 size, bool writable)
{
	struct ebpf_tag t;

	t.base = (u64)(unsigned long)base;
	t.size = size;
	t.kind = EBPF_PTR_MAP_VALUE;
	t.writable = writable ? 1 : 0;
	t.pad = 0;
	return t;
}

/*
 * (Re)enters the callback of the loop running in frame f with a fresh stack:
 * bpf_loop's callback(index, ctx), for_each_map_elem's callback(map, key, value, ctx).
 * Returns the callback's pc.
 */
static u32 loop_call(struct ebpf_scratch *s, u32 f, u64 *regs)
{
	const struct ebpf_loop_state *l = &s->frames[f].loop;
	struct ebpf_tag key, value;
	u32 i;

	frame_enter(s, f + 1, regs);
	for (i = 1; i <= 5; i++)
		set_reg(s, regs, i, 0, NULL);
	if (l->kind == EBPF_LOOP_COUNT) {
		set_reg(s, regs, 1, l->idx, NULL);
		set_reg(s, regs, 2, l->ctx, &l->ctx_tag);
	} else {
		key = map_mem_tag(l->key, l->map->key_size, false);
		value = map_mem_tag(l->value, l->map->value_size, !l->map->value_readonly);
		set_reg(s, regs, 1, (u64)(unsigned long)l->map->map, &l->map_tag);
		set_reg(s, regs, 2, key.base, &key);
		set_reg(s, regs, 3, value.base, &value);
		set_reg(s, regs, 4, l->ctx, &l->ctx_tag);
	}
	return l->fn;
}

/* The map a map-handle register stands for, or NULL when v is not that handle. */
static const struct ebpf_map_ref *tag_map_ref(const struct ebpf_prog *prog,
					      const struct ebpf_tag *t, u64 v)
{
	const struct ebpf_map_ref *m;

	if (t->kind != EBPF_PTR_MAP)
		return NULL;
	if (t->size == EBPF_MAP_DYNAMIC) {
		/* a map a helper returned (map in map): base is its ref */
		m = (const struct ebpf_map_ref *)(unsigned long)t->base;
	} else {
		if (t->size >= prog->nr_maps)
			return NULL;
		m = &prog->maps[t->size];
	}
	return v == (u64)(unsigned long)m->map ? m : NULL;
}

/* Records a callback helper's loop; ebpf_run_prog() starts it when the helper returns. */
static int loop_begin(struct ebpf_run *run, u32 kind, u64 callback_fn, u64 callback_ctx)
{
	if (!run->scratch || callback_fn >= run->prog->len)
		return -EINVAL;	/* not a callback of this program */
	memset(&run->loop, 0, sizeof(run->loop));
	run->loop.kind = kind;
	run->loop.fn = (u32)callback_fn;
	run->loop.ctx = callback_ctx;
	run->loop.ctx_tag = run->scratch->tags[3];
	return 0;
}

u64 ebpf_helper_loop(struct ebpf_run *run, u64 nr_loops, u64 callback_fn, u64 callback_ctx,
		     u64 flags, u64 unused)
{
	u32 nr = (u32)nr_loops;	/* Linux's bpf_loop takes a u32 */
	int err;

	if (flags)
		return (u64)(s64)-EINVAL;
	if (nr > EBPF_MAX_LOOPS)
		return (u64)(s64)-E2BIG;
	if (!nr)
		return 0;
	err = loop_begin(run, EBPF_LOOP_COUNT, callback_fn, callback_ctx);
	if (err)
		return (u64)(s64)err;
	run->loop.nr = nr;
	return 0;	/* r0 becomes the count of calls when the loop ends */
}

int ebpf_map_elem_loop(struct ebpf_run *run, u64 map, u64 fn, u64 ctx, ebpf_map_iter_fn next)
{
	const struct ebpf_map_ref *m;
	int err;

	if (!run->scratch || !next)
		return -EINVAL;
	m = tag_map_ref(run->prog, &run->scratch->tags[1], map);
	if (!m)
		return -EINVAL;
	err = loop_begin(run, EBPF_LOOP_MAP, fn, ctx);
	if (err)
		return err;
	run->loop.map_tag = run->scratch->tags[1];
	run->loop.map = m;
	run->loop.next = next;
	return 0;
}

/* Would a helper reading [v, v + sz) through @t see a spilled pointer's bytes? */
static inline bool stack_read_leaks(const struct ebpf_prog *prog, const struct ebpf_scratch *s,
				    const struct ebpf_tag *t, u64 v, u64 sz)
{
	return t->kind == EBPF_PTR_STACK && !prog->allow_ptr_leaks && stack_ptr_bytes(s, v, sz, false);
}

/* Validate helper arguments by kind; may untag stack the helper will write. */
static int check_args(struct ebpf_run *run, struct ebpf_scratch *s, const struct ebpf_helper *h,
		      const u64 *regs, const struct ebpf_map_ref **map_out)
{
	const struct ebpf_prog *prog = run->prog;
	const struct ebpf_map_ref *m = NULL;
	const struct ebpf_tag *t;
	u64 v, sz;
	bool write;
	u8 k;
	int i;

	*map_out = NULL;
	for (i = 0; i < 5; i++) {
		k = h->args[i];
		t = &s->tags[i + 1];
		v = regs[i + 1];
		switch (k) {
		case EBPF_ARG_NONE:
			break;
		case EBPF_ARG_ANYTHING:
		case EBPF_ARG_CONST_SIZE_OR_ZERO:
			if (ptr_leak(prog, t))
				return -EACCES;	/* Linux: R%d leaks addr into helper function */
			break;
		case EBPF_ARG_CONST_MAP_PTR:
			m = tag_map_ref(prog, t, v);
			if (!m)
				return -EFAULT;
			*map_out = m;
			break;
		case EBPF_ARG_PTR_TO_MAP_KEY:
		case EBPF_ARG_PTR_TO_MAP_VALUE:
			if (!m)
				return -EINVAL;
			sz = k == EBPF_ARG_PTR_TO_MAP_KEY ? m->key_size : m->value_size;
			if (has_rules(prog, t))
				return -EACCES;	/* Linux: R2 type=ctx expected=fp, ... */
			if (!region_ok(t, v, sz, false))
				return -EFAULT;
			if (stack_read_leaks(prog, s, t, v, sz))
				return -EACCES;
			break;
		case EBPF_ARG_PTR_TO_MEM:
		case EBPF_ARG_PTR_TO_MEM_OR_NULL:
		case EBPF_ARG_PTR_TO_UNINIT_MEM:
			if (i == 4 || (h->args[i + 1] != EBPF_ARG_CONST_SIZE &&
				       h->args[i + 1] != EBPF_ARG_CONST_SIZE_OR_ZERO))
				return -EINVAL;	/* bad helper table */
			sz = regs[i + 2];
			i++;
			/* Linux's verifier refuses these ("R%d unbounded memory access") */
			if (sz >= EBPF_MAX_VAR_SIZE)
				return -EFAULT;
			if (sz == 0) {
				if (h->args[i] != EBPF_ARG_CONST_SIZE_OR_ZERO)
					return -EINVAL;
				break;
			}
			if (k == EBPF_ARG_PTR_TO_MEM_OR_NULL && v == 0 && t->kind == EBPF_SCALAR)
				break;
			write = k == EBPF_ARG_PTR_TO_UNINIT_MEM;
			if (has_rules(prog, t))
				return -EACCES;
			if (!region_ok(t, v, sz, write))
				return -EFAULT;
			if (write ? t->kind == EBPF_PTR_STACK && !prog->allow_ptr_leaks &&
				    stack_ptr_bytes(s, v, sz, true)
				  : stack_read_leaks(prog, s, t, v, sz))
				return -EACCES;
			if (write && t->kind == EBPF_PTR_STACK)
				stack_untag(s, v, sz);
			break;
		case EBPF_ARG_CONST_SIZE:
			if (ptr_leak(prog, t))
				return -EACCES;
			if (v == 0)
				return -EINVAL;
			break;
		case EBPF_ARG_PTR_TO_CTX:
			if (t->kind != EBPF_PTR_CTX || v != t->base)
				return -EFAULT;
			break;
		case EBPF_ARG_PTR_TO_ALLOC_MEM:
			if (t->kind != EBPF_PTR_MEM || v != t->base)
				return -EFAULT;
			break;
		case EBPF_ARG_PTR_TO_FUNC:
			if (t->kind != EBPF_PTR_FUNC || v != t->base)
				return -EFAULT;
			break;
		case EBPF_ARG_PTR_TO_STACK_OR_NULL:
			if (t->kind != EBPF_PTR_STACK && (t->kind != EBPF_SCALAR || v != 0))
				return -EFAULT;
			break;
		case EBPF_ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8:
			if ((t->kind != EBPF_PTR_STACK && t->kind != EBPF_PTR_MAP_VALUE) ||
			    !region_ok(t, v, 8, true))
				return -EFAULT;
			if (t->kind == EBPF_PTR_STACK)
				stack_untag(s, v, 8);
			break;
		default:
			return -EINVAL;
		}
	}
	if (h->ret == EBPF_RET_MAP_VALUE_OR_NULL && !m)
		return -EINVAL;
	return 0;
}

EBPF_NOINLINE int ebpf_call_helper(struct ebpf_run *run, struct ebpf_scratch *s, u64 *regs, s32 id)
{
	const struct ebpf_prog *prog = run->prog;
	const struct ebpf_helper *h;
	struct ebpf_tag *t0 = &s->tags[0];
	const struct ebpf_map_ref *m;
	int err, i;
	u64 ret;

	if (id < 0 || !prog->helpers || (u32)id >= prog->nr_helpers || !prog->helpers[id].fn)
		return -EINVAL;
	h = &prog->helpers[id];
	err = check_args(run, s, h, regs, &m);
	if (err)
		return err;
	run->ret_tag_set = false;
	run->released = false;
	run->helper = h;
	ret = h->fn(run, regs[1], regs[2], regs[3], regs[4], regs[5]);
	run->helper = NULL;
	if (run->error)
		return run->error;
	/* memory released by a helper the table does not say releases any: a table bug */
	if (run->released && !ebpf_helper_releases_mem(h))
		return -EINVAL;
	regs[0] = ret;
	t0->kind = EBPF_SCALAR;
	if (ret) {
		if (run->ret_tag_set) {
			/* a pointer the helper table does not announce: a bug in the table */
			if (run->ret_tag.kind == EBPF_PTR_MAP ? !(h->ret == EBPF_RET_MAP_VALUE_OR_NULL &&
								   m && m->values_are_maps)
							       : h->ret != EBPF_RET_MEM_OR_NULL || !run->ret_tag.writable ||
								 (h->ret_size_arg &&
								  (h->ret_size_arg > 5 ||
								   run->ret_tag.size != regs[h->ret_size_arg])))
				return -EINVAL;
			*t0 = run->ret_tag;
		} else if (h->ret == EBPF_RET_MAP_VALUE_OR_NULL && m) {
			t0->base = ret;
			t0->size = m->value_size;
			t0->kind = EBPF_PTR_MAP_VALUE;
			t0->writable = m->value_readonly ? 0 : 1;
		}
	}
	run->ret_tag_set = false;
	for (i = 1; i <= 5; i++) {
		regs[i] = 0;
		s->tags[i].kind = EBPF_SCALAR;
	}
	return 0;
}

/*
 * Exit from a subprogram or callback (frame > 0): a callback helper in progress calls
 * the callback again or returns its count; else back to the caller.  Returns the next pc.
 */
static u32 frame_exit(struct ebpf_run *run, struct ebpf_scratch *s, u64 *regs)
{
	struct ebpf_tag *tags = s->tags;
	u32 f = run->frame - 1, i;

	if (s->frames[f].loop.kind) {
		struct ebpf_loop_state *l = &s->frames[f].loop;

		/* Linux: a nonzero return stops; the count includes that call */
		if (!regs[0] && loop_next(run, l, false))
			return loop_call(s, f, regs);
		regs[0] = (u64)l->idx + 1;
		tags[0].kind = EBPF_SCALAR;
		l->kind = EBPF_LOOP_NONE;
	}
	run->frame = f;
	for (i = 0; i < 4; i++) {
		regs[6 + i] = s->frames[f].regs[i];
		tags[6 + i] = s->frames[f].tags[i];
	}
	for (i = 1; i <= 5; i++) {
		regs[i] = 0;
		tags[i].kind = EBPF_SCALAR;
	}
	/* no pointers into the popped frame survive in r0 */
	if (tags[0].kind == EBPF_PTR_STACK &&
	    tags[0].base >= (u64)(unsigned long)&s->stack[f + 1][0])
		tags[0].kind = EBPF_SCALAR;
	set_fp(s, f, regs);
	return s->frames[f].ret_pc;
}

/*
 * BPF_LD_ABS / BPF_LD_IND (socket filters): r0 = packet bytes at imm (+ src), r1..r5
 * clobbered, as Linux's rewrite into a bpf_skb_load_helper call.  The implicit skb is
 * r6, which must be the unmodified ctx.  Returns 0, 1 when the load is outside the
 * packet (Linux's rewrite then exits the frame with r0 = 0), or -EINVAL / -EACCES.
 */
static int ld_packet(struct ebpf_run *run, struct ebpf_scratch *s, u64 *regs,
		     const struct ebpf_insn *insn)
{
	const struct ebpf_ctx_ops *ops = ebpf_ctx_ops(run->prog);
	u32 sz = ebpf_size_bytes(insn->code), i;
	u64 off = (u64)(s64)insn->imm, v = 0;
	int err;

	if (!ops || !ops->ld_abs || sz == 8 || s->tags[6].kind != EBPF_PTR_CTX)
		return -EINVAL;
	if (regs[6] != run->ctx)
		return -EACCES;	/* Linux: dereference of modified ctx ptr */
	if (EBPF_MODE(insn->code) == EBPF_IND)
		off += regs[EBPF_INSN_SRC(insn)];
	/* the helper's offset is an int: the low 32 bits of src + imm */
	err = ops->ld_abs((const void *)(unsigned long)run->ctx, (s32)(u32)off, sz, &v);
	for (i = 1; i <= 5; i++) {
		regs[i] = 0;
		s->tags[i].kind = EBPF_SCALAR;
	}
	regs[0] = err ? 0 : v;
	s->tags[0].kind = EBPF_SCALAR;
	return err ? 1 : 0;
}

/* Atomic read-modify-write; addr checked and aligned. Returns old value. */
static u64 do_atomic(u64 addr, u32 sz, s32 op, u64 val, u64 *r0)
{
	u64 old;

	if (sz == 4) {
		u32 *p = (u32 *)(unsigned long)addr;
		u32 o;

		switch (op & ~EBPF_FETCH) {
		case EBPF_ADD:
			return EBPF_ATOMIC_FETCH_ADD(p, (u32)val);
		case EBPF_AND:
			return EBPF_ATOMIC_FETCH_AND(p, (u32)val);
		case EBPF_OR:
			return EBPF_ATOMIC_FETCH_OR(p, (u32)val);
		case EBPF_XOR:
			return EBPF_ATOMIC_FETCH_XOR(p, (u32)val);
		case EBPF_XCHG & ~EBPF_FETCH:
			do {
				o = EBPF_ATOMIC_READ(p);
			} while (EBPF_ATOMIC_CMPXCHG(p, o, (u32)val) != o);
			return o;
		default: /* CMPXCHG */
			*r0 = EBPF_ATOMIC_CMPXCHG(p, (u32)*r0, (u32)val);
			return 0;
		}
	} else {
		u64 *p = (u64 *)(unsigned long)addr;

		switch (op & ~EBPF_FETCH) {
		case EBPF_ADD:
			return EBPF_ATOMIC_FETCH_ADD(p, val);
		case EBPF_AND:
			return EBPF_ATOMIC_FETCH_AND(p, val);
		case EBPF_OR:
			return EBPF_ATOMIC_FETCH_OR(p, val);
		case EBPF_XOR:
			return EBPF_ATOMIC_FETCH_XOR(p, val);
		case EBPF_XCHG & ~EBPF_FETCH:
			do {
				old = EBPF_ATOMIC_READ(p);
			} while (EBPF_ATOMIC_CMPXCHG(p, old, val) != old);
			return old;
		default: /* CMPXCHG */
			*r0 = EBPF_ATOMIC_CMPXCHG(p, *r0, val);
			return 0;
		}
	}
}

static inline u64 alu64(u8 op, s16 off, u64 d, u64 sv, bool *bad)
{
	switch (op) {
	case EBPF_ADD:
		return d + sv;
	case EBPF_SUB:
		return d - sv;
	case EBPF_MUL:
		return d * sv;
	case EBPF_DIV:
		if (!sv)
			return 0;
		if (off == 1) {
			if ((s64)sv == -1)
				return -d;
			return (u64)EBPF_SDIV64((s64)d, (s64)sv);
		}
		return EBPF_UDIV64(d, sv);
	case EBPF_MOD:
		if (!sv)
			return d;
		if (off == 1) {
			if ((s64)sv == -1)
				return 0;
			return (u64)EBPF_SMOD64((s64)d, (s64)sv);
		}
		return EBPF_UMOD64(d, sv);
	case EBPF_OR:
		return d | sv;
	case EBPF_AND:
		return d & sv;
	case EBPF_XOR:
		return d ^ sv;
	case EBPF_LSH:
		return d << (sv & 63);
	case EBPF_RSH:
		return d >> (sv & 63);
	case EBPF_ARSH:
		return (u64)((s64)d >> (sv & 63));
	case EBPF_NEG:
		return -d;
	default:
		*bad = true;
		return 0;
	}
}

static inline u32 alu32(u8 op, s16 off, u32 d, u32 sv, bool *bad)
{
	switch (op) {
	case EBPF_ADD:
		return d + sv;
	case EBPF_SUB:
		return d - sv;
	case EBPF_MUL:
		return d * sv;
	case EBPF_DIV:
		if (!sv)
			return 0;
		if (off == 1) {
			if ((s32)sv == -1)
				return -d;
			return (u32)((s32)d / (s32)sv);
		}
		return d / sv;
	case EBPF_MOD:
		if (!sv)
			return d;
		if (off == 1) {
			if ((s32)sv == -1)
				return 0;
			return (u32)((s32)d % (s32)sv);
		}
		return d % sv;
	case EBPF_OR:
		return d | sv;
	case EBPF_AND:
		return d & sv;
	case EBPF_XOR:
		return d ^ sv;
	case EBPF_LSH:
		return d << (sv & 31);
	case EBPF_RSH:
		return d >> (sv & 31);
	case EBPF_ARSH:
		return (u32)((s32)d >> (sv & 31));
	case EBPF_NEG:
		return -d;
	default:
		*bad = true;
		return 0;
	}
}

/* The caller's over_time says stop: the run ends as if its budget were spent. */
static bool run_over_time(struct ebpf_run *run)
{
	if (!run->over_time || !run->over_time(run))
		return false;
	run->out_of_time = true;
	run->budget = 0;
	run->budget_rest = 0;
	run->error = -E2BIG;
	return true;
}

/* Moves up to one slice of what is left of the budget into run->budget. */
static void budget_take_slice(struct ebpf_run *run)
{
	u64 slice = run->budget_rest < EBPF_TIME_SLICE ? run->budget_rest : EBPF_TIME_SLICE;

	run->budget += slice;
	run->budget_rest -= slice;
}

/*
 * The current slice is spent: the next one, unless the budget is spent or over_time
 * ends the run (false, run->error set).  Only runs with an over_time have slices.
 */
static bool budget_next_slice(struct ebpf_run *run)
{
	if (!run->budget_rest) {
		run->error = -E2BIG;
		return false;
	}
	if (run_over_time(run))
		return false;
	budget_take_slice(run);
	return true;
}

void ebpf_run_begin(struct ebpf_run *run, struct ebpf_scratch *s, void *ctx)
{
	u64 budget = run->budget ? run->budget : EBPF_DEFAULT_BUDGET;

	run->scratch = s;
	run->error = 0;
	run->error_pc = 0;
	run->ctx = (u64)(unsigned long)ctx;
	run->frame = 0;
	run->tail_calls = 0;
	run->tail_prog = NULL;
	run->ret_tag_set = false;
	run->loop.kind = EBPF_LOOP_NONE;
	run->out_of_time = false;
	run->budget_rest = 0;
	if (run->over_time && budget > EBPF_TIME_SLICE) {
		run->budget_rest = budget - EBPF_TIME_SLICE;
		budget = EBPF_TIME_SLICE;
	}
	run->budget = budget;
}

/* Runs run->prog from its first insn: a run's start, or where a tail call goes on. */
static u64 run_insns(struct ebpf_run *run, struct ebpf_scratch *s, u64 r2)
{
	const struct ebpf_prog *prog = run->prog;
	const struct ebpf_insn *insns, *insn;
	struct ebpf_tag *tags = s->tags;
	u64 regs[16];
	struct ebpf_tag ntag;
	u64 budget = run->budget, addr, v, sv;
	bool more;
	u32 pc = 0, len, dst, src, sz, f;
	bool bad = false;
	int err;
	u8 code, op;

	if (!prog || !prog->insns) {
		err = -EINVAL;
		goto abort;
	}
restart:
	insns = prog->insns;
	len = prog->len;
	pc = 0;
	reset_state(run, s, regs, r2);

	for (;;) {
		if (EBPF_UNLIKELY(pc >= len)) {
			err = -EINVAL;
			goto abort;
		}
#ifdef EBPF_OBSERVE
		ebpf_observe_insn(run, regs, pc);
#endif
		if (EBPF_UNLIKELY(budget == 0)) {
			if (!budget_next_slice(run)) {
				err = run->error;
				goto abort;
			}
			budget = run->budget;
		}
		budget--;
		insn = &insns[pc];
		code = insn->code;
		dst = insn->regs & 0xf;
		src = insn->regs >> 4;
		op = EBPF_OP(code);

		switch (EBPF_CLASS(code)) {
		case EBPF_ALU64:
			sv = EBPF_SRC(code) == EBPF_X ? regs[src] : (u64)(s64)insn->imm;
			if (op == EBPF_MOV) {
				if (EBPF_SRC(code) == EBPF_K) {
					tags[dst].kind = EBPF_SCALAR;
					regs[dst] = sv;
				} else if (insn->off == 0) {
					tags[dst] = tags[src];
					regs[dst] = sv;
				} else {
					if (ptr_leak(prog, &tags[src]))
						goto leak;
					tags[dst].kind = EBPF_SCALAR;
					if (insn->off == 8)
						regs[dst] = (u64)(s64)(s8)sv;
					else if (insn->off == 16)
						regs[dst] = (u64)(s64)(s16)sv;
					else if (insn->off == 32)
						regs[dst] = (u64)(s64)(s32)sv;
					else
						goto bad_insn;
				}
			} else if (op == EBPF_END) {
				if (EBPF_SRC(code) != EBPF_K)
					goto bad_insn;
				if (ptr_leak(prog, &tags[dst]))
					goto leak;
				regs[dst] = byteswap(regs[dst], insn->imm);
				tags[dst].kind = EBPF_SCALAR;
			} else {
				const struct ebpf_tag *st = EBPF_SRC(code) == EBPF_X ? &tags[src] : NULL;

				if (op == EBPF_ADD || op == EBPF_SUB) {
					ntag = tags[dst];
					tag_arith(&ntag, st, op == EBPF_SUB);
					/* ptr - ptr, arithmetic on a map or function handle */
					if (ntag.kind == EBPF_SCALAR &&
					    (ptr_leak(prog, &tags[dst]) || (st && ptr_leak(prog, st))))
						goto leak;
					tags[dst] = ntag;
				} else {
					if (ptr_leak(prog, &tags[dst]) || (st && ptr_leak(prog, st)))
						goto leak;
					tags[dst].kind = EBPF_SCALAR;
				}
				regs[dst] = alu64(op, insn->off, regs[dst], sv, &bad);
				if (bad)
					goto bad_insn;
			}
			pc++;
			break;

		case EBPF_ALU:
			sv = EBPF_SRC(code) == EBPF_X ? (u32)regs[src] : (u32)insn->imm;
			/* for BPF_END the source bit is the byte order, not a register */
			if ((op != EBPF_MOV && ptr_leak(prog, &tags[dst])) ||
			    (EBPF_SRC(code) == EBPF_X && op != EBPF_END && ptr_leak(prog, &tags[src])))
				goto leak;
			tags[dst].kind = EBPF_SCALAR;
			if (op == EBPF_MOV) {
				if (EBPF_SRC(code) == EBPF_K || insn->off == 0)
					regs[dst] = (u32)sv;
				else if (insn->off == 8)
					regs[dst] = (u32)(s32)(s8)sv;
				else if (insn->off == 16)
					regs[dst] = (u32)(s32)(s16)sv;
				else
					goto bad_insn;
			} else if (op == EBPF_END) {
				if ((EBPF_SRC(code) == EBPF_TO_BE) == !!EBPF_LITTLE_ENDIAN)
					regs[dst] = byteswap(regs[dst], insn->imm);
				else
					regs[dst] = truncate_to(regs[dst], insn->imm);
			} else {
				regs[dst] = alu32(op, insn->off, (u32)regs[dst], (u32)sv, &bad);
				if (bad)
					goto bad_insn;
			}
			pc++;
			break;

		case EBPF_JMP:
		case EBPF_JMP32:
			if (op == EBPF_JA) {
				if (EBPF_CLASS(code) == EBPF_JMP)
					pc = (u32)((s64)pc + insn->off + 1);
				else
					pc = (u32)((s64)pc + insn->imm + 1);
				break;
			}
			if (op == EBPF_CALL || op == EBPF_EXIT) {
				if (code != (EBPF_JMP | EBPF_CALL) && code != (EBPF_JMP | EBPF_EXIT))
					goto bad_insn;
			}
			if (op == EBPF_CALL) {
				if (src == 0) {
					run->budget = budget;	/* helpers charge their work */
					err = ebpf_call_helper(run, s, regs, insn->imm);
					budget = run->budget;
					if (err)
						goto abort;
					if (run->tail_prog) {
						prog = run->tail_prog;
						run->tail_prog = NULL;
						run->prog = prog;
						r2 = 0;
						goto restart;
					}
					if (run->loop.kind) {	/* a callback helper: the first call */
						f = run->frame;
						s->frames[f].loop = run->loop;
						run->loop.kind = EBPF_LOOP_NONE;
						run->budget = budget;
						more = loop_next(run, &s->frames[f].loop, true);
						budget = run->budget;
						if (run->error) {
							err = run->error;
							goto abort;
						}
						if (!more) {
							s->frames[f].loop.kind = EBPF_LOOP_NONE;
							pc++;	/* nothing to call: r0 stays 0 */
							break;
						}
						err = frame_push(run, s, regs, pc + 1);
						if (err)
							goto abort;
						pc = loop_call(s, f, regs);
						break;
					}
					pc++;
				} else if (src == EBPF_PSEUDO_CALL) {
					s->frames[run->frame].loop.kind = EBPF_LOOP_NONE;
					err = frame_push(run, s, regs, pc + 1);
					if (err)
						goto abort;
					pc = (u32)((s64)pc + insn->imm + 1);
				} else {
					goto bad_insn;
				}
				break;
			}
			if (op == EBPF_EXIT) {
				if (run->frame == 0) {
					if (ptr_leak(prog, &tags[0]))
						goto leak;	/* Linux: R0 leaks addr as return value */
					run->budget = budget + run->budget_rest;
					run->budget_rest = 0;
					return regs[0];
				}
				run->budget = budget;	/* a map iterator charges its work */
				pc = frame_exit(run, s, regs);
				budget = run->budget;
				if (run->error) {
					err = run->error;
					goto abort;
				}
				break;
			}
			{
				u64 a, b;
				s64 sa, sb;

				if (EBPF_UNLIKELY(!prog->allow_ptr_leaks) && cmp_leaks(prog, tags, regs, insn))
					goto leak;	/* Linux: pointer comparison prohibited */

				if (EBPF_CLASS(code) == EBPF_JMP) {
					a = regs[dst];
					b = EBPF_SRC(code) == EBPF_X ? regs[src] : (u64)(s64)insn->imm;
					sa = (s64)a;
					sb = (s64)b;
				} else {
					a = (u32)regs[dst];
					b = EBPF_SRC(code) == EBPF_X ? (u32)regs[src] : (u32)insn->imm;
					sa = (s32)(u32)a;
					sb = (s32)(u32)b;
				}
				if (ebpf_jmp_taken(op, a, b, sa, sb, &bad)) {
					if (bad)
						goto bad_insn;
					pc = (u32)((s64)pc + insn->off + 1);
				} else {
					if (bad)
						goto bad_insn;
					pc++;
				}
			}
			break;

		case EBPF_LDX:
			sz = ebpf_size_bytes(code);
			if (EBPF_MODE(code) != EBPF_MEM &&
			    (EBPF_MODE(code) != EBPF_MEMSX || sz == 8))
				goto bad_insn;
			addr = regs[src] + (u64)(s64)insn->off;
			ntag.kind = EBPF_SCALAR;
			if (tags[src].kind == EBPF_SCALAR && prog->probe_read) {
				v = ebpf_probe_load(prog, addr, sz);
			} else {
				err = mem_access(prog, &tags[src], regs[src], addr, sz, ACCESS_READ);
				if (err)
					goto abort;
				/* Linux: invalid size of register fill */
				if (tags[src].kind == EBPF_PTR_STACK && !prog->allow_ptr_leaks &&
				    (sz != 8 || (addr & 7) || EBPF_MODE(code) != EBPF_MEM) &&
				    stack_ptr_bytes(s, addr, sz, false))
					goto leak;
				if (has_rules(prog, &tags[src]))
					v = ruled_read(ebpf_ctx_ops(prog), &tags[src], addr, sz, &ntag);
				else
					v = mem_load(addr, sz);
			}
			if (EBPF_MODE(code) == EBPF_MEMSX) {
				if (sz == 1)
					v = (u64)(s64)(s8)v;
				else if (sz == 2)
					v = (u64)(s64)(s16)v;
				else
					v = (u64)(s64)(s32)v;
			}
			if (sz == 8 && EBPF_MODE(code) == EBPF_MEM &&
			    tags[src].kind == EBPF_PTR_STACK && !(addr & 7))
				stack_fill(s, addr, &ntag);
			tags[dst] = ntag;	/* after every use of tags[src]: dst may be src */
			regs[dst] = v;
			pc++;
			break;

		case EBPF_ST:
			if (EBPF_MODE(code) != EBPF_MEM)
				goto bad_insn;
			sz = ebpf_size_bytes(code);
			addr = regs[dst] + (u64)(s64)insn->off;
			err = mem_access(prog, &tags[dst], regs[dst], addr, sz, ACCESS_WRITE);
			if (err)
				goto abort;
			if (tags[dst].kind == EBPF_PTR_STACK) {
				/* Linux: attempt to corrupt spilled pointer on stack */
				if (!prog->allow_ptr_leaks && stack_ptr_bytes(s, addr, sz, true))
					goto leak;
				stack_untag(s, addr, sz);
			}
			mem_store(addr, (u64)(s64)insn->imm, sz);
			pc++;
			break;

		case EBPF_STX:
			sz = ebpf_size_bytes(code);
			if (EBPF_MODE(code) == EBPF_MEM) {
				addr = regs[dst] + (u64)(s64)insn->off;
				err = mem_access(prog, &tags[dst], regs[dst], addr, sz, ACCESS_WRITE);
				if (err)
					goto abort;
				if (EBPF_UNLIKELY(!prog->allow_ptr_leaks) &&
				    stx_leaks(s, &tags[dst], &tags[src], addr, sz))
					goto leak;
				if (tags[dst].kind == EBPF_PTR_STACK) {
					if (sz == 8 && !(addr & 7) && tags[src].kind != EBPF_SCALAR)
						stack_spill(s, addr, &tags[src]);
					else
						stack_untag(s, addr, sz);
				}
				mem_store(addr, regs[src], sz);
			} else if (EBPF_MODE(code) == EBPF_ATOMIC) {
				if (insn->imm == EBPF_LOAD_ACQ) {
					addr = regs[src] + (u64)(s64)insn->off;
					err = mem_access(prog, &tags[src], regs[src], addr, sz, ACCESS_ATOMIC_LOAD);
					if (err)
						goto abort;
					if (tags[src].kind == EBPF_PTR_STACK && !prog->allow_ptr_leaks &&
					    stack_ptr_bytes(s, addr, sz, false))
						goto leak;
					v = mem_load(addr, sz);
					EBPF_ATOMIC_BARRIER();
					tags[dst].kind = EBPF_SCALAR;
					regs[dst] = v;
				} else if (insn->imm == EBPF_STORE_REL) {
					addr = regs[dst] + (u64)(s64)insn->off;
					err = mem_access(prog, &tags[dst], regs[dst], addr, sz, ACCESS_ATOMIC);
					if (err)
						goto abort;
					/* the store never spills: a pointer's bits would stay behind */
					if (!prog->allow_ptr_leaks &&
					    (tags[src].kind != EBPF_SCALAR ||
					     (tags[dst].kind == EBPF_PTR_STACK && stack_ptr_bytes(s, addr, sz, true))))
						goto leak;
					if (tags[dst].kind == EBPF_PTR_STACK)
						stack_untag(s, addr, sz);
					EBPF_ATOMIC_BARRIER();
					mem_store(addr, regs[src], sz);
				} else {
					if ((sz != 4 && sz != 8) || !ebpf_atomic_rmw(insn->imm))
						goto bad_insn;
					addr = regs[dst] + (u64)(s64)insn->off;
					err = mem_access(prog, &tags[dst], regs[dst], addr, sz, ACCESS_ATOMIC);
					if (err)
						goto abort;
					/* Linux: an atomic on a spilled pointer, or with a pointer operand */
					if (!prog->allow_ptr_leaks &&
					    (tags[src].kind != EBPF_SCALAR ||
					     (insn->imm == EBPF_CMPXCHG && tags[0].kind != EBPF_SCALAR) ||
					     (tags[dst].kind == EBPF_PTR_STACK && stack_ptr_bytes(s, addr, sz, false))))
						goto leak;
					if (tags[dst].kind == EBPF_PTR_STACK)
						stack_untag(s, addr, sz);
					v = do_atomic(addr, sz, insn->imm, regs[src], &regs[0]);
					if (insn->imm == EBPF_CMPXCHG) {
						if (sz == 4)
							regs[0] = (u32)regs[0];
						tags[0].kind = EBPF_SCALAR;
					} else if (insn->imm & EBPF_FETCH) {
						regs[src] = sz == 4 ? (u32)v : v;
						tags[src].kind = EBPF_SCALAR;
					}
				}
			} else {
				goto bad_insn;
			}
			pc++;
			break;

		case EBPF_LD:
			if (EBPF_MODE(code) == EBPF_ABS || EBPF_MODE(code) == EBPF_IND) {
				err = ld_packet(run, s, regs, insn);
				if (err < 0)
					goto abort;
				if (!err) {
					pc++;
					break;
				}
				if (run->frame == 0) {
					run->budget = budget + run->budget_rest;
					run->budget_rest = 0;
					return 0;
				}
				run->budget = budget;
				pc = frame_exit(run, s, regs);
				budget = run->budget;
				if (run->error) {
					err = run->error;
					goto abort;
				}
				break;
			}
			if (code != (EBPF_LD | EBPF_IMM | EBPF_DW) || pc + 1 >= len)
				goto bad_insn;
			if (src == 0) {
				regs[dst] = (u64)(u32)insn->imm | ((u64)(u32)insn[1].imm << 32);
				tags[dst].kind = EBPF_SCALAR;
			} else if (src == EBPF_PSEUDO_MAP_FD) {
				const struct ebpf_map_ref *m;

				if ((u32)insn->imm >= prog->nr_maps || !prog->maps)
					goto bad_insn;
				m = &prog->maps[(u32)insn->imm];
				regs[dst] = (u64)(unsigned long)m->map;
				tags[dst].base = regs[dst];
				tags[dst].size = (u32)insn->imm;
				tags[dst].kind = EBPF_PTR_MAP;
				tags[dst].writable = 0;
			} else if (src == EBPF_PSEUDO_FUNC) {
				s64 target = (s64)pc + insn->imm + 1;

				if (target < 0 || target >= len)
					goto bad_insn;
				regs[dst] = (u64)target;
				tags[dst].base = regs[dst];
				tags[dst].size = 0;
				tags[dst].kind = EBPF_PTR_FUNC;
				tags[dst].writable = 0;
			} else if (src == EBPF_PSEUDO_MAP_VALUE) {
				const struct ebpf_map_ref *m;

				if ((u32)insn->imm >= prog->nr_maps || !prog->maps)
					goto bad_insn;
				m = &prog->maps[(u32)insn->imm];
				if (!m->value_base)
					goto bad_insn;
				tags[dst].base = (u64)(unsigned long)m->value_base;
				tags[dst].size = m->value_region_size;
				tags[dst].kind = EBPF_PTR_MAP_VALUE;
				tags[dst].writable = m->value_readonly ? 0 : 1;
				regs[dst] = tags[dst].base + (u32)insn[1].imm;
			} else {
				goto bad_insn;
			}
			pc += 2;
			break;

		default:
			goto bad_insn;
		}
	}

bad_insn:
	err = -EINVAL;
	goto abort;
leak:
	err = -EACCES;
abort:
	run->error = err;
	run->error_pc = pc;
	run->budget = budget + run->budget_rest;
	run->budget_rest = 0;
	return 0;
}

u64 ebpf_run_prog(struct ebpf_run *run, struct ebpf_scratch *s, void *ctx, u64 r2)
{
	ebpf_run_begin(run, s, ctx);
	return run_insns(run, s, r2);
}

u64 ebpf_run_tail(struct ebpf_run *run, struct ebpf_scratch *s)
{
	run->prog = run->tail_prog;
	run->tail_prog = NULL;
	return run_insns(run, s, 0);
}

bool ebpf_charge(struct ebpf_run *run, u64 units)
{
	if (units <= run->budget) {
		run->budget -= units;
		return true;
	}
	if (units - run->budget > run->budget_rest) {
		run->budget = 0;
		run->budget_rest = 0;
		run->error = -E2BIG;
		return false;
	}
	/* Paid from later slices: their time has come too. */
	run->budget_rest -= units - run->budget;
	run->budget = 0;
	if (run_over_time(run))
		return false;
	budget_take_slice(run);
	return true;
}

bool ebpf_arg_access_ok(struct ebpf_run *run, u32 argno, u64 addr, u64 size, bool write)
{
	struct ebpf_scratch *s = run->scratch;
	const struct ebpf_tag *t;

	if (!s || argno < 1 || argno > 5)
		return false;
	if (write && (!run->helper || !ebpf_arg_helper_writes(run->helper->args[argno - 1])))
		return false;
	t = &s->tags[argno];
	if (!region_ok(t, addr, size, write) || has_rules(run->prog, t))
		return false;
	if (!write && t->kind == EBPF_PTR_STACK && !run->prog->allow_ptr_leaks &&
	    stack_ptr_bytes(s, addr, size, false))
		return false;	/* Linux: invalid indirect read from stack */
	if (write && t->kind == EBPF_PTR_STACK)
		stack_untag(s, addr, size);
	return true;
}

u32 ebpf_arg_room(struct ebpf_run *run, u32 argno, u64 addr, bool write)
{
	const struct ebpf_tag *t;

	if (!run->scratch || argno < 1 || argno > 5)
		return 0;
	t = &run->scratch->tags[argno];
	if (!region_ok(t, addr, 1, write) || has_rules(run->prog, t))
		return 0;
	return (u32)(t->base + t->size - addr);
}

void ebpf_set_ret_region(struct ebpf_run *run, void *base, u32 size, bool writable)
{
	run->ret_tag.base = (u64)(unsigned long)base;
	run->ret_tag.size = size;
	run->ret_tag.kind = EBPF_PTR_MEM;
	run->ret_tag.writable = writable ? 1 : 0;
	run->ret_tag.pad = 0;
	run->ret_tag_set = true;
}

void ebpf_set_ret_map(struct ebpf_run *run, const struct ebpf_map_ref *ref)
{
	run->ret_tag.base = (u64)(unsigned long)ref;
	run->ret_tag.size = EBPF_MAP_DYNAMIC;
	run->ret_tag.kind = EBPF_PTR_MAP;
	run->ret_tag.writable = 0;
	run->ret_tag.pad = 0;
	run->ret_tag_set = true;
}

/*
 * A released region's pointer can no longer be dereferenced. Where leaks are allowed it
 * becomes a number, as Linux's verifier lets such a program use it; otherwise it keeps
 * being a pointer, so its bits still cannot be stored, passed or returned.
 */
static void tag_release(struct ebpf_tag *t, bool leaks_allowed)
{
	t->kind = leaks_allowed ? EBPF_SCALAR : EBPF_PTR_RELEASED;
}

void ebpf_invalidate_region(struct ebpf_run *run, void *base)
{
	struct ebpf_scratch *s = run->scratch;
	bool leaks = run->prog->allow_ptr_leaks;
	u64 b = (u64)(unsigned long)base;
	u32 i, f;

	if (!s)
		return;
	run->released = true;
	for (i = 0; i < 16; i++)
		if (s->tags[i].kind != EBPF_SCALAR && s->tags[i].base == b)
			tag_release(&s->tags[i], leaks);
	for (f = 0; f < EBPF_MAX_CALL_DEPTH; f++) {
		for (i = 0; i < 4; i++)
			if (s->frames[f].tags[i].kind != EBPF_SCALAR && s->frames[f].tags[i].base == b)
				tag_release(&s->frames[f].tags[i], leaks);
		if (s->frames[f].loop.ctx_tag.kind != EBPF_SCALAR && s->frames[f].loop.ctx_tag.base == b)
			tag_release(&s->frames[f].loop.ctx_tag, leaks);
		for (i = 0; i < SLOTS_PER_FRAME; i++) {
			if (!(s->slot_mask[f] & ((u64)1 << i)) ||
			    s->slot_tag[f * SLOTS_PER_FRAME + i].base != b)
				continue;
			if (leaks)
				s->slot_mask[f] &= ~((u64)1 << i);
			else
				tag_release(&s->slot_tag[f * SLOTS_PER_FRAME + i], false);
		}
	}
}

int ebpf_tail_call(struct ebpf_run *run, const struct ebpf_prog *next)
{
	/* the context must mean the same to the next program */
	if (!next || !next->insns || next->ctx_kind != run->prog->ctx_kind)
		return -EINVAL;
	if (run->tail_calls >= EBPF_MAX_TAIL_CALLS)
		return -E2BIG;
	run->tail_calls++;
	run->tail_prog = next;
	return 0;
}
