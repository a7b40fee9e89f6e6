//! The x86-64 compiler of the portable engine (driver/engine/ebpf_jit_x86.c) on the host:
//! code in an executable mapping, called as the module will call it.
use crate::engine::{kinds, KRegs, Log, Outcome, Prog, Run, Scratch};
use std::ffi::{c_char, c_void};

extern "C" {
    fn ebpf_jit_x86(prog: *const Prog, kinds: *const KRegs, buf: *mut u8, size: u32, log: *mut Log) -> i32;
    fn ebpf_jit_run(run: *mut Run, scratch: *mut c_void, code: *const c_void, ctx: *mut c_void, r2: u64) -> u64;
}

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

    /// Runs `prog` (the program the code was made from) on `ctx` (empty: r1 = NULL) as
    /// ebpf_run_prog would, through ebpf_jit_run: its frame is the interpreter's first one
    /// in `scratch`, so a pointer into it is the same number in either engine's run.
    pub fn run(&self, prog: &Prog, scratch: &mut Scratch, ctx: &mut [u8], r2: u64, budget: u64, env: *mut c_void) -> Outcome {
        let mut prog = *prog;
        prog.ctx_size = ctx.len() as u32;
        let mut run = Run::new(&prog, env, budget);
        let ctx_ptr = if ctx.is_empty() { std::ptr::null_mut() } else { ctx.as_mut_ptr() as *mut c_void };
        let r0 = unsafe { ebpf_jit_run(&mut run, scratch.ptr(), self.mem, ctx_ptr, r2) };
        Outcome { r0, error: run.error, error_pc: run.error_pc, budget_left: run.budget }
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.mem, self.len) };
    }
}
