//! The x86-64 compiler of the portable engine (driver/engine/ebpf_jit_x86.c) on the host:
//! code in an executable mapping, called as the module will call it.
use crate::engine::{kinds, KRegs, Log, Prog, Scratch};
use std::ffi::{c_char, c_void};

/// struct ebpf_jit_state
#[repr(C)]
#[derive(Default, Debug)]
pub struct JitState {
    pub budget: u64,
    pub error: i32,
    pub error_pc: u32,
    pub ctx: u64,
    pub r0: u64,
}

extern "C" {
    fn ebpf_jit_x86(prog: *const Prog, kinds: *const KRegs, buf: *mut u8, size: u32, log: *mut Log) -> i32;
}

type JitFn = unsafe extern "C" fn(ctx: *mut c_void, r2: u64, fp: *mut u64, st: *mut JitState) -> u64;

/// Compiled code in its own executable mapping (written, then made read-only and executable).
pub struct Code {
    mem: *mut c_void,
    len: usize,
}

impl Code {
    /// The code for `prog`, or the compiler's reason for leaving it to the interpreter.
    pub fn compile(prog: &Prog) -> Result<Code, String> {
        let k = kinds(prog).map_err(|e| format!("ebpf_kinds {e}"))?;
        let mut logbuf = vec![0u8; 1024];
        let mut log = Log { buf: logbuf.as_mut_ptr() as *mut c_char, size: logbuf.len() as u32, len: 0, level: 1 };
        let size = unsafe { ebpf_jit_x86(prog, k.as_ptr(), std::ptr::null_mut(), 0, &mut log) };
        if size < 0 {
            return Err(String::from_utf8_lossy(&logbuf[..log.len as usize]).trim().to_string());
        }
        let len = size as usize;
        let mem = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        assert_ne!(mem, libc::MAP_FAILED);
        let written = unsafe { ebpf_jit_x86(prog, k.as_ptr(), mem as *mut u8, len as u32, &mut log) };
        assert_eq!(written, size, "the second pass wrote another size");
        assert_eq!(unsafe { libc::mprotect(mem, len, libc::PROT_READ | libc::PROT_EXEC) }, 0);
        Ok(Code { mem, len })
    }

    /// Runs on `ctx` (empty: r1 = NULL) with a zeroed stack: r0 and the state after. The
    /// stack is the interpreter's first frame in `scratch` (struct ebpf_scratch starts
    /// with it), so a pointer into it is the same number in either engine's run.
    pub fn run(&self, scratch: &mut Scratch, ctx: &mut [u8], r2: u64, budget: u64) -> (u64, JitState) {
        let stack = scratch.ptr() as *mut u64;
        let mut st = JitState { budget, ..JitState::default() };
        let f: JitFn = unsafe { std::mem::transmute(self.mem) };
        let ctx_ptr = if ctx.is_empty() { std::ptr::null_mut() } else { ctx.as_mut_ptr() as *mut c_void };
        let r0 = unsafe {
            std::ptr::write_bytes(stack, 0, 64);
            f(ctx_ptr, r2, stack.add(64), &mut st)
        };
        (r0, st)
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.mem, self.len) };
    }
}
