//! FFI to the portable eBPF engine (driver/engine), compiled for the host by
//! build.rs, plus small conveniences for the engine tests.
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};

#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn { code, regs: (dst & 0xf) | (src << 4), off, imm }
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MapRef {
    pub map: *mut c_void,
    pub key_size: u32,
    pub value_size: u32,
    pub value_base: *mut u8,
    pub value_region_size: u32,
    pub value_readonly: bool,
    /// The value's bytes never change (frozen, BPF_F_RDONLY_PROG): the checker may read them.
    pub value_const: bool,
    /// Programs may not read the values (BPF_F_WRONLY_PROG): the checker refuses loads it sees.
    pub value_writeonly: bool,
    /// A lookup hands out a map (array / hash of maps).
    pub values_are_maps: bool,
}

impl MapRef {
    /// A map of `key_size` / `value_size` bytes programs may read and write, without a
    /// direct value address (BPF_PSEUDO_MAP_VALUE).
    pub fn new(map: *mut c_void, key_size: u32, value_size: u32) -> MapRef {
        MapRef {
            map,
            key_size,
            value_size,
            value_base: std::ptr::null_mut(),
            value_region_size: 0,
            value_readonly: false,
            value_const: false,
            value_writeonly: false,
            values_are_maps: false,
        }
    }

    /// Its values at `base`, `size` bytes of them reachable through BPF_PSEUDO_MAP_VALUE.
    pub fn with_values(self, base: *mut u8, size: u32) -> MapRef {
        MapRef { value_base: base, value_region_size: size, ..self }
    }
}

pub type HelperFn = unsafe extern "C" fn(*mut Run, u64, u64, u64, u64, u64) -> u64;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Helper {
    pub name: *const c_char,
    pub func: Option<HelperFn>,
    pub ret: u8,
    pub args: [u8; 5],
    /// Changes the map in its CONST_MAP_PTR argument: refused at load on a read-only map.
    pub map_write: bool,
    /// RET_MEM_OR_NULL: the argument (1..5) that is the memory's size, 0 if none.
    pub ret_size_arg: u8,
    /// Checks a format string (r3) the checker sees is constant, with r5: nonzero refuses
    /// the program (bpf_snprintf's load-time check).
    pub check_fmt: Option<CheckFmtFn>,
}

impl Helper {
    /// A table entry without a function (the id is not available): `name` for the log.
    pub fn absent(name: *const c_char) -> Helper {
        Helper { name, func: None, ret: RET_INTEGER, args: [ARG_NONE; 5], map_write: false, ret_size_arg: 0, check_fmt: None }
    }
}

pub type CheckFmtFn = unsafe extern "C" fn(*const c_char, u32, u64) -> c_int;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Prog {
    pub insns: *const Insn,
    pub len: u32,
    pub maps: *const MapRef,
    pub nr_maps: u32,
    pub helpers: *const Helper,
    pub nr_helpers: u32,
    pub ctx_size: u32,
    pub ctx_writable: bool,
    /// enum ebpf_ctx_kind: CTX_PLAIN, or CTX_SKB (r1 is a struct ebpf_skb).
    pub ctx_kind: u8,
    /// Fault-tolerant reader for PROBE_MEM loads (tracing programs); None: such loads fault.
    pub probe_read: Option<ProbeReadFn>,
    /// Linux's allow_ptr_leaks (the loader had CAP_PERFMON).
    pub allow_ptr_leaks: bool,
}

pub const CTX_PLAIN: u8 = 0;
pub const CTX_SKB: u8 = 1;

pub type ProbeReadFn = unsafe extern "C" fn(dst: *mut c_void, src: u64, size: u32) -> std::ffi::c_long;

#[repr(C)]
pub struct Log {
    pub buf: *mut c_char,
    pub size: u32,
    pub len: u32,
    pub level: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Tag {
    pub base: u64,
    pub size: u32,
    pub kind: u8,
    pub writable: u8,
    pub pad: u16,
}

#[repr(C)]
pub struct Run {
    pub prog: *const Prog,
    pub env: *mut c_void,
    pub budget: u64,
    pub error: i32,
    pub error_pc: u32,
    pub over_time: Option<unsafe extern "C" fn(*mut Run) -> bool>,
    pub out_of_time: bool,
    pub scratch: *mut c_void,
    pub budget_rest: u64,
    pub ctx: u64,
    pub frame: u32,
    pub tail_calls: u32,
    pub tail_prog: *const Prog,
    pub ret_tag: Tag,
    pub ret_tag_set: bool,
    pub released: bool,
    pub loop_: LoopState,
    pub jit_call: *const c_void,
    pub helper: *const c_void,
}

/// ebpf_map_iter_fn: a map's element iterator for bpf_for_each_map_elem (it may charge the
/// run for work between elements).
pub type MapIterFn = unsafe extern "C" fn(
    run: *mut Run,
    map: *mut c_void,
    cursor: *mut u64,
    key_buf: *mut u64,
    key: *mut *mut c_void,
    value: *mut *mut c_void,
) -> bool;

/// struct ebpf_loop_state: a callback helper's loop the engine is about to start.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LoopState {
    pub kind: u32,
    pub nr: u32,
    pub idx: u32,
    pub func: u32,
    pub ctx: u64,
    pub ctx_tag: Tag,
    pub map_tag: Tag,
    pub map: *const MapRef,
    pub next: Option<MapIterFn>,
    pub cursor: u64,
    pub key_buf: u64,
    pub key: *mut c_void,
    pub value: *mut c_void,
}

impl Default for LoopState {
    fn default() -> LoopState {
        LoopState {
            kind: 0,
            nr: 0,
            idx: 0,
            func: 0,
            ctx: 0,
            ctx_tag: Tag::default(),
            map_tag: Tag::default(),
            map: std::ptr::null(),
            next: None,
            cursor: 0,
            key_buf: 0,
            key: std::ptr::null_mut(),
            value: std::ptr::null_mut(),
        }
    }
}

// enum ebpf_ptr_kind
pub const SCALAR: u8 = 0;
// enum ebpf_arg_kind
pub const ARG_NONE: u8 = 0;
pub const ARG_ANYTHING: u8 = 1;
pub const ARG_CONST_MAP_PTR: u8 = 2;
pub const ARG_PTR_TO_MAP_KEY: u8 = 3;
pub const ARG_PTR_TO_MAP_VALUE: u8 = 4;
pub const ARG_PTR_TO_MEM: u8 = 5;
pub const ARG_PTR_TO_MEM_OR_NULL: u8 = 6;
pub const ARG_PTR_TO_UNINIT_MEM: u8 = 7;
pub const ARG_CONST_SIZE: u8 = 8;
pub const ARG_CONST_SIZE_OR_ZERO: u8 = 9;
pub const ARG_PTR_TO_CTX: u8 = 10;
pub const ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8: u8 = 11;
pub const ARG_PTR_TO_ALLOC_MEM: u8 = 12;
pub const ARG_PTR_TO_FUNC: u8 = 13;
pub const ARG_PTR_TO_STACK_OR_NULL: u8 = 14;
// enum ebpf_ret_kind
pub const RET_INTEGER: u8 = 0;
pub const RET_VOID: u8 = 1;
pub const RET_MAP_VALUE_OR_NULL: u8 = 2;
pub const RET_MEM_OR_NULL: u8 = 3;

pub const EFAULT: i32 = 14;
pub const EINVAL: i32 = 22;
pub const E2BIG: i32 = 7;
pub const ELOOP: i32 = 40;
pub const EACCES: i32 = 13;

extern "C" {
    pub fn ebpf_check(prog: *const Prog, log: *mut Log) -> i32;
    pub fn ebpf_run_prog(run: *mut Run, scratch: *mut c_void, ctx: *mut c_void, r2: u64) -> u64;
    pub fn ebpf_arg_access_ok(run: *mut Run, argno: u32, addr: u64, size: u64, write: bool) -> bool;
    pub fn ebpf_arg_room(run: *mut Run, argno: u32, addr: u64, write: bool) -> u32;
    pub fn ebpf_set_ret_region(run: *mut Run, base: *mut c_void, size: u32, writable: bool);
    pub fn ebpf_invalidate_region(run: *mut Run, base: *mut c_void);
    pub fn ebpf_tail_call(run: *mut Run, next: *const Prog) -> i32;
    pub fn ebpf_helper_loop(run: *mut Run, nr: u64, func: u64, ctx: u64, flags: u64, unused: u64) -> u64;
    pub fn ebpf_map_elem_loop(run: *mut Run, map: u64, func: u64, ctx: u64, next: MapIterFn) -> i32;

    pub fn ebpf_skb_init(skb: *mut Skb, frame: *const u8, frame_len: u32, dev: *const SkbDev, user: *const SkBuff) -> i32;
    pub fn ebpf_skb_to_user(skb: *const Skb, user: *mut SkBuff);
    pub fn ebpf_skb_ctx_access_ok(off: u32, size: u32, write: bool) -> bool;
    pub fn ebpf_skb_load_bytes(skb: *const Skb, off: u32, to: *mut c_void, len: u32) -> i32;
    pub fn ebpf_skb_load_bytes_relative(skb: *const Skb, off: u32, to: *mut c_void, len: u32, start: u32) -> i32;

    pub fn ebpf_host_sizeof_scratch() -> usize;
    pub fn ebpf_host_sizeof_skb() -> usize;
    pub fn ebpf_host_sizeof_run() -> usize;
    pub fn ebpf_host_sizeof_prog() -> usize;
    pub fn ebpf_host_sizeof_map_ref() -> usize;
    pub fn ebpf_host_sizeof_helper() -> usize;
    pub fn ebpf_host_sizeof_log() -> usize;
    pub fn ebpf_host_offsetof_run_error() -> usize;
    pub fn ebpf_host_offsetof_run_ret_tag_set() -> usize;
    pub fn ebpf_kinds(prog: *const Prog, out: *mut *mut KRegs) -> i32;
    pub fn ebpf_host_kinds_tamper(pc: u32, reg: u32, kind: u8) -> bool;
    fn ebpf_host_kinds_error(buf: *mut c_char, size: usize) -> usize;
    fn ebpf_host_kinds_counts(insns: *mut u64, accesses: *mut u64, fixed: *mut u64);
}

/// struct ebpf_kval: what ebpf_kinds() knows of a register.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KVal {
    pub val: u64,
    pub off: i32,
    pub id: u32,
    pub map: u16,
    pub kind: u8,
    pub flags: u8,
    pub range: u32,
}

/// struct ebpf_kregs: the registers before one instruction.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KRegs {
    pub r: [KVal; 11],
}

// enum ebpf_kind, EBPF_KF_*
pub const K_UNREACHED: u8 = 0;
pub const K_SCALAR: u8 = 1;
pub const K_STACK: u8 = 2;
pub const K_CTX: u8 = 3;
pub const K_MAP_VALUE: u8 = 4;
pub const K_MAP_VALUE_OR_NULL: u8 = 5;
pub const K_MAP: u8 = 6;
pub const K_FUNC: u8 = 7;
pub const K_UNKNOWN: u8 = 8;
pub const K_MEM: u8 = 9;
pub const K_MEM_OR_NULL: u8 = 10;
pub const KF_CONST: u8 = 0x01;
pub const KF_VAR_OFF: u8 = 0x02;
pub const KF_DIRECT: u8 = 0x04;
pub const KF_BOUNDED: u8 = 0x08;

/// ebpf_kinds() over a program: the registers before each instruction.
pub fn kinds(prog: &Prog) -> Result<Vec<KRegs>, i32> {
    let mut out: *mut KRegs = std::ptr::null_mut();
    let rc = unsafe { ebpf_kinds(prog, &mut out) };
    if rc != 0 {
        return Err(rc);
    }
    let v = unsafe { std::slice::from_raw_parts(out, prog.len as usize) }.to_vec();
    unsafe { libc::free(out as *mut c_void) };
    Ok(v)
}

/// What the static kinds have been held against on this thread (host/kinds_oracle.c):
/// instructions run, loads and stores among them, and those whose address the static
/// kinds fix (known region, constant offset).
pub fn kinds_counts() -> (u64, u64, u64) {
    let (mut i, mut a, mut f) = (0, 0, 0);
    unsafe { ebpf_host_kinds_counts(&mut i, &mut a, &mut f) };
    (i, a, f)
}

/// Panics with the first instruction where a run's tags disagreed with ebpf_kinds().
fn assert_kinds_held() {
    let mut buf = vec![0u8; 512];
    let n = unsafe { ebpf_host_kinds_error(buf.as_mut_ptr() as *mut c_char, buf.len()) };
    if n > 0 {
        let msg = CStr::from_bytes_until_nul(&buf).map(|c| c.to_string_lossy().into_owned()).unwrap_or_default();
        panic!("static kinds (ebpf_kinds) disagree with the interpreter's tags: {msg}");
    }
}

/// Linux's struct __sk_buff (struct ebpf_sk_buff) as raw bytes, 8-byte aligned.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkBuff(pub [u8; 192]);

impl SkBuff {
    pub fn zeroed() -> SkBuff {
        SkBuff([0; 192])
    }
    pub fn u32_at(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.0[off..off + 4].try_into().unwrap())
    }
    pub fn set_u32(&mut self, off: usize, v: u32) -> &mut Self {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
        self
    }
    pub fn set_u64(&mut self, off: usize, v: u64) -> &mut Self {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
        self
    }
}

/// struct ebpf_skb_dev
#[repr(C)]
pub struct SkbDev {
    pub ifindex: u32,
    pub addr: [u8; 6],
    pub broadcast: [u8; 6],
}

/// The loopback device a test run's skb arrives on (ifindex 1, all-zero addresses).
pub const LOOPBACK: SkbDev = SkbDev { ifindex: 1, addr: [0; 6], broadcast: [0; 6] };

/// struct ebpf_skb: what a socket filter's r1 points to.
#[repr(C)]
pub struct Skb {
    pub ctx: SkBuff,
    pub frame: *const u8,
    pub frame_len: u32,
    pub pkt_len: u32,
    pub sock_cookie: u64,
    /// struct ebpf_bpf_sock (Linux's struct bpf_sock), what skb->sk points to.
    pub sock: [u32; 20],
}

impl Skb {
    /// ebpf_skb_init over `frame` (which must outlive the Skb): Err(errno).
    pub fn new(frame: &[u8], dev: &SkbDev, user: Option<&SkBuff>) -> Result<Box<Skb>, i32> {
        let mut skb =
            Box::new(Skb { ctx: SkBuff::zeroed(), frame: std::ptr::null(), frame_len: 0, pkt_len: 0, sock_cookie: 0, sock: [0; 20] });
        let user = user.map_or(std::ptr::null(), |u| u as *const SkBuff);
        let rc = unsafe { ebpf_skb_init(&mut *skb, frame.as_ptr(), frame.len() as u32, dev, user) };
        if rc < 0 {
            Err(-rc)
        } else {
            Ok(skb)
        }
    }
}

pub fn check_layout() {
    unsafe {
        assert_eq!(ebpf_host_sizeof_run(), std::mem::size_of::<Run>());
        assert_eq!(ebpf_host_sizeof_prog(), std::mem::size_of::<Prog>());
        assert_eq!(ebpf_host_sizeof_map_ref(), std::mem::size_of::<MapRef>());
        assert_eq!(ebpf_host_sizeof_helper(), std::mem::size_of::<Helper>());
        assert_eq!(ebpf_host_sizeof_log(), std::mem::size_of::<Log>());
        assert_eq!(ebpf_host_offsetof_run_error(), std::mem::offset_of!(Run, error));
        assert_eq!(ebpf_host_offsetof_run_ret_tag_set(), std::mem::offset_of!(Run, ret_tag_set));
        assert_eq!(ebpf_host_sizeof_skb(), std::mem::size_of::<Skb>());
    }
}

/// The conformance suite's vectors (`../shared/conformance/vectors.jsonl`, one JSON object
/// a line), or None with the skip printed; missing under CI is a failure.
pub fn conformance_vectors() -> Option<String> {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance"));
    match std::fs::read_to_string(dir.join("vectors.jsonl")) {
        Ok(text) => Some(text),
        Err(_) => {
            assert!(std::env::var_os("CI").is_none(), "shared/conformance is missing under CI");
            println!("SKIPPED: shared/conformance not found beside the repository");
            None
        }
    }
}

/// Decode the conformance suite's hex encoding: 8 bytes per instruction.
pub fn insns_from_hex(hex_str: &str) -> Vec<Insn> {
    let bytes = hex::decode(hex_str).expect("hex");
    assert_eq!(bytes.len() % 8, 0);
    bytes
        .chunks(8)
        .map(|c| Insn { code: c[0], regs: c[1], off: i16::from_le_bytes([c[2], c[3]]), imm: i32::from_le_bytes([c[4], c[5], c[6], c[7]]) })
        .collect()
}

/// Scratch memory for runs, 16-byte aligned.
pub struct Scratch {
    mem: Vec<u128>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        let n = unsafe { ebpf_host_sizeof_scratch() };
        Scratch { mem: vec![0u128; n.div_ceil(16)] }
    }
    pub fn ptr(&mut self) -> *mut c_void {
        self.mem.as_mut_ptr() as *mut c_void
    }
}

/// A program with the tables it points to kept alive.
pub struct Program {
    pub insns: Vec<Insn>,
    pub maps: Vec<MapRef>,
    pub helpers: Vec<Helper>,
    pub ctx_size: u32,
    pub ctx_writable: bool,
    pub ctx_kind: u8,
    pub probe_read: Option<ProbeReadFn>,
    /// Default true: the programs these tests run are what a root loader may run.
    pub allow_ptr_leaks: bool,
    names: Vec<CString>,
}

pub struct Outcome {
    pub r0: u64,
    pub error: i32,
    pub error_pc: u32,
    pub budget_left: u64,
}

impl Program {
    pub fn new(insns: Vec<Insn>) -> Program {
        Program {
            insns,
            maps: vec![],
            helpers: vec![],
            ctx_size: 0,
            ctx_writable: false,
            ctx_kind: CTX_PLAIN,
            probe_read: None,
            allow_ptr_leaks: true,
            names: vec![],
        }
    }

    pub fn helper(&mut self, id: usize, name: &str, func: HelperFn, ret: u8, args: [u8; 5]) -> &mut Self {
        let name = CString::new(name).unwrap();
        while self.helpers.len() <= id {
            self.helpers.push(Helper::absent(std::ptr::null()));
        }
        self.helpers[id] = Helper { func: Some(func), ret, args, ..Helper::absent(name.as_ptr()) };
        self.names.push(name);
        self
    }

    pub fn raw(&self) -> Prog {
        Prog {
            insns: self.insns.as_ptr(),
            len: self.insns.len() as u32,
            maps: self.maps.as_ptr(),
            nr_maps: self.maps.len() as u32,
            helpers: self.helpers.as_ptr(),
            nr_helpers: self.helpers.len() as u32,
            ctx_size: self.ctx_size,
            ctx_writable: self.ctx_writable,
            ctx_kind: self.ctx_kind,
            probe_read: self.probe_read,
            allow_ptr_leaks: self.allow_ptr_leaks,
        }
    }

    /// ebpf_check: (return code, log text).
    pub fn check(&self) -> (i32, String) {
        check_prog(&self.raw())
    }

    /// Run with ctx (may be empty: then r1 = NULL with size 0).
    pub fn run(&self, scratch: &mut Scratch, ctx: &mut [u8], r2: u64, budget: u64, env: *mut c_void) -> Outcome {
        let mut prog = self.raw();
        prog.ctx_size = ctx.len() as u32;
        let ctx_ptr = if ctx.is_empty() { std::ptr::null_mut() } else { ctx.as_mut_ptr() as *mut c_void };
        run_prog(&prog, scratch, ctx_ptr, r2, budget, env)
    }
}

impl Run {
    /// A run of `prog` as the engine's callers start one: the engine sets the rest.
    pub fn new(prog: *const Prog, env: *mut c_void, budget: u64) -> Run {
        Run {
            prog,
            env,
            budget,
            error: 0,
            error_pc: 0,
            over_time: None,
            out_of_time: false,
            scratch: std::ptr::null_mut(),
            budget_rest: 0,
            ctx: 0,
            frame: 0,
            tail_calls: 0,
            tail_prog: std::ptr::null(),
            ret_tag: Tag::default(),
            ret_tag_set: false,
            released: false,
            loop_: LoopState::default(),
            jit_call: std::ptr::null(),
            helper: std::ptr::null(),
        }
    }
}

/// ebpf_run_prog on a raw program (ctx_size taken from prog). `ctx` and `env` go to the
/// engine as they are: the engine tests hand it raw pointers on purpose.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn run_prog(prog: &Prog, scratch: &mut Scratch, ctx: *mut c_void, r2: u64, budget: u64, env: *mut c_void) -> Outcome {
    let mut run = Run::new(prog, env, budget);
    let r0 = unsafe { ebpf_run_prog(&mut run, scratch.ptr(), ctx, r2) };
    assert_kinds_held();
    Outcome { r0, error: run.error, error_pc: run.error_pc, budget_left: run.budget }
}

/// A map of one 16-byte value for engine tests: [`lookup_one_value`] finds it under key 0.
pub struct OneValue {
    pub value: [u64; 2],
}

/// A map_lookup_elem (RET_MAP_VALUE_OR_NULL; CONST_MAP_PTR, PTR_TO_MAP_KEY) over a
/// [`OneValue`]: key 0 finds the value, any other key nothing.
///
/// # Safety
/// The engine calls it with a map handle that is a `*mut OneValue` and a 4-byte key.
pub unsafe extern "C" fn lookup_one_value(_: *mut Run, map: u64, key: u64, _: u64, _: u64, _: u64) -> u64 {
    let m = &mut *(map as *mut OneValue);
    if *(key as *const u32) == 0 {
        m.value.as_mut_ptr() as u64
    } else {
        0
    }
}

/// ebpf_check on a raw program: (return code, log text).
pub fn check_prog(prog: &Prog) -> (i32, String) {
    let mut buf = vec![0u8; 4096];
    let mut log = Log { buf: buf.as_mut_ptr() as *mut c_char, size: buf.len() as u32, len: 0, level: 1 };
    let rc = unsafe { ebpf_check(prog, &mut log) };
    assert!((log.len as usize) < buf.len());
    assert_eq!(buf[log.len as usize], 0);
    (rc, String::from_utf8_lossy(&buf[..log.len as usize]).into_owned())
}

/// One read-write page between two inaccessible pages: data placed against
/// either guard makes any out-of-bounds access by the engine fault at once.
pub struct GuardedPage {
    base: *mut u8,
    page: usize,
}

impl Default for GuardedPage {
    fn default() -> Self {
        Self::new()
    }
}

impl GuardedPage {
    pub fn new() -> GuardedPage {
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
            let base = libc::mmap(
                std::ptr::null_mut(),
                3 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED);
            let base = base as *mut u8;
            assert_eq!(libc::mprotect(base as *mut c_void, page, libc::PROT_NONE), 0);
            assert_eq!(libc::mprotect(base.add(2 * page) as *mut c_void, page, libc::PROT_NONE), 0);
            GuardedPage { base, page }
        }
    }
    /// Place `data` at the start (against the lower guard) or the end of the page.
    pub fn place(&mut self, data: &[u8], at_end: bool) -> *mut u8 {
        assert!(data.len() <= self.page);
        unsafe {
            let start = self.base.add(self.page);
            let p = if at_end { start.add(self.page - data.len()) } else { start };
            std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len());
            p
        }
    }
    pub fn page_size(&self) -> usize {
        self.page
    }
}

impl Drop for GuardedPage {
    fn drop(&mut self) {
        unsafe {
            libc::munmap(self.base as *mut c_void, 3 * self.page);
        }
    }
}

/// Minimal instruction constructors for hand-written tests.
pub mod asm {
    use super::Insn;
    pub const ALU: u8 = 0x04;
    pub const ALU64: u8 = 0x07;
    pub const K: u8 = 0x00;
    pub const X: u8 = 0x08;
    pub const B: u8 = 0x10;
    pub const H: u8 = 0x08;
    pub const W: u8 = 0x00;
    pub const DW: u8 = 0x18;

    pub fn mov64_imm(dst: u8, imm: i32) -> Insn {
        Insn::new(0xb7, dst, 0, 0, imm)
    }
    pub fn mov64_reg(dst: u8, src: u8) -> Insn {
        Insn::new(0xbf, dst, src, 0, 0)
    }
    pub fn mov32_imm(dst: u8, imm: i32) -> Insn {
        Insn::new(0xb4, dst, 0, 0, imm)
    }
    pub fn add64_imm(dst: u8, imm: i32) -> Insn {
        Insn::new(0x07, dst, 0, 0, imm)
    }
    pub fn add64_reg(dst: u8, src: u8) -> Insn {
        Insn::new(0x0f, dst, src, 0, 0)
    }
    pub fn sub64_reg(dst: u8, src: u8) -> Insn {
        Insn::new(0x1f, dst, src, 0, 0)
    }
    pub fn alu64(op: u8, dst: u8, src: u8, imm: i32) -> Insn {
        Insn::new(ALU64 | op | if src != 0xff { X } else { K }, dst, if src == 0xff { 0 } else { src }, 0, imm)
    }
    pub fn ldx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
        Insn::new(0x61 | size, dst, src, off, 0)
    }
    pub fn stx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
        Insn::new(0x63 | size, dst, src, off, 0)
    }
    pub fn st(size: u8, dst: u8, off: i16, imm: i32) -> Insn {
        Insn::new(0x62 | size, dst, 0, off, imm)
    }
    pub fn atomic(size: u8, dst: u8, src: u8, off: i16, op: i32) -> Insn {
        Insn::new(0xc3 | size, dst, src, off, op)
    }
    pub fn ja(off: i16) -> Insn {
        Insn::new(0x05, 0, 0, off, 0)
    }
    pub fn jeq_imm(dst: u8, imm: i32, off: i16) -> Insn {
        Insn::new(0x15, dst, 0, off, imm)
    }
    pub fn jne_imm(dst: u8, imm: i32, off: i16) -> Insn {
        Insn::new(0x55, dst, 0, off, imm)
    }
    pub fn call(id: i32) -> Insn {
        Insn::new(0x85, 0, 0, 0, id)
    }
    pub fn call_local(rel: i32) -> Insn {
        Insn::new(0x85, 0, 1, 0, rel)
    }
    /// ld_imm64 dst = the callback at (this insn + 1 + rel): BPF_PSEUDO_FUNC.
    pub fn ld_func(dst: u8, rel: i32) -> [Insn; 2] {
        [Insn::new(0x18, dst, 4, 0, rel), Insn::new(0, 0, 0, 0, 0)]
    }
    pub fn exit() -> Insn {
        Insn::new(0x95, 0, 0, 0, 0)
    }
    pub fn ld_imm64(dst: u8, src: u8, imm: u64) -> [Insn; 2] {
        [Insn::new(0x18, dst, src, 0, imm as u32 as i32), Insn::new(0, 0, 0, 0, (imm >> 32) as u32 as i32)]
    }
    pub fn ld_map_value(dst: u8, idx: u32, off: u32) -> [Insn; 2] {
        [Insn::new(0x18, dst, 2, 0, idx as i32), Insn::new(0, 0, 0, 0, off as i32)]
    }
}
