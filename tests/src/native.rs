//! The host kernel's own eBPF through bpf(2), for oracles and benchmarks: load raw
//! bytecode and run it with BPF_PROG_TEST_RUN. Every call answers Err(errno) where the
//! host refuses (not root, unprivileged_bpf_disabled, seccomp, no BPF_SYSCALL), so
//! callers can say why they skip.

pub const BPF_PROG_TYPE_SOCKET_FILTER: u32 = 1;
pub const BPF_PROG_TYPE_RAW_TRACEPOINT: u32 = 17;

const BPF_PROG_LOAD: i64 = 5;
const BPF_PROG_TEST_RUN: i64 = 10;

/// An fd the host kernel gave for a loaded program; closed on drop.
pub struct NativeProg(i32);

/// What one BPF_PROG_TEST_RUN reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestRun {
    /// r0, truncated to u32 by the kernel's interface.
    pub retval: u32,
    /// Average ns per run over `repeat` runs, as the kernel measured it.
    pub duration_ns: u32,
}

fn bpf(cmd: i64, attr: &mut [u8; 128]) -> Result<i64, i32> {
    // SAFETY: attr is a 128-byte bpf_attr whose pointers outlive the call.
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len() as u32) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r)
    }
}

fn put32(a: &mut [u8; 128], off: usize, v: u32) {
    a[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(a: &mut [u8; 128], off: usize, v: u64) {
    a[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn get32(a: &[u8; 128], off: usize) -> u32 {
    u32::from_le_bytes(a[off..off + 4].try_into().unwrap())
}

impl NativeProg {
    /// BPF_PROG_LOAD of `code` (8 bytes per instruction), GPL licensed.
    pub fn load(prog_type: u32, code: &[u8]) -> Result<NativeProg, i32> {
        let license = b"GPL\0";
        let mut a = [0u8; 128];
        put32(&mut a, 0, prog_type);
        put32(&mut a, 4, (code.len() / 8) as u32);
        put64(&mut a, 8, code.as_ptr() as u64);
        put64(&mut a, 16, license.as_ptr() as u64);
        bpf(BPF_PROG_LOAD, &mut a).map(|fd| NativeProg(fd as i32))
    }

    /// BPF_PROG_TEST_RUN with `data` as the packet (data_out sized to hold it back) and
    /// `ctx` as ctx_in; `repeat` 0 runs once.
    pub fn test_run(&self, data: &[u8], ctx: &[u8], repeat: u32) -> Result<TestRun, i32> {
        let out = self.test_run_with(&TestRunIn { data, ctx_in: ctx, repeat, ..Default::default() })?;
        Ok(TestRun { retval: out.retval, duration_ns: out.duration_ns })
    }

    /// BPF_PROG_TEST_RUN with every input of bpf_attr.test; data_out and ctx_out as the
    /// kernel wrote them back (data_size_out / ctx_size_out bytes).
    pub fn test_run_with(&self, t: &TestRunIn) -> Result<TestRunOut, i32> {
        let mut data_out = vec![0u8; t.data_out_size.unwrap_or(t.data.len() as u32 + 256) as usize];
        let mut ctx_out = vec![0u8; t.ctx_out_size as usize];
        let mut a = [0u8; 128];
        put32(&mut a, 0, self.0 as u32);
        if !t.data.is_empty() {
            put32(&mut a, 8, t.data.len() as u32);
            put32(&mut a, 12, data_out.len() as u32);
            put64(&mut a, 16, t.data.as_ptr() as u64);
            put64(&mut a, 24, data_out.as_mut_ptr() as u64);
        }
        put32(&mut a, 32, t.repeat);
        if !t.ctx_in.is_empty() {
            put32(&mut a, 40, t.ctx_in.len() as u32);
            put64(&mut a, 48, t.ctx_in.as_ptr() as u64);
        }
        if !ctx_out.is_empty() {
            put32(&mut a, 44, ctx_out.len() as u32);
            put64(&mut a, 56, ctx_out.as_mut_ptr() as u64);
        }
        put32(&mut a, 64, t.flags);
        put32(&mut a, 68, t.cpu);
        bpf(BPF_PROG_TEST_RUN, &mut a)?;
        data_out.truncate(if t.data.is_empty() { 0 } else { get32(&a, 12) as usize });
        ctx_out.truncate(get32(&a, 44) as usize);
        Ok(TestRunOut { retval: get32(&a, 4), duration_ns: get32(&a, 36), data_out, ctx_out })
    }
}

/// The inputs of one BPF_PROG_TEST_RUN (bpf_attr.test); empty slices are not passed.
#[derive(Clone, Debug, Default)]
pub struct TestRunIn<'a> {
    pub data: &'a [u8],
    /// data_size_out (default: data plus 256 bytes).
    pub data_out_size: Option<u32>,
    pub ctx_in: &'a [u8],
    /// ctx_size_out; 0 passes no ctx_out.
    pub ctx_out_size: u32,
    pub repeat: u32,
    pub flags: u32,
    pub cpu: u32,
}

/// What BPF_PROG_TEST_RUN wrote back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRunOut {
    pub retval: u32,
    pub duration_ns: u32,
    pub data_out: Vec<u8>,
    pub ctx_out: Vec<u8>,
}

impl Drop for NativeProg {
    fn drop(&mut self) {
        // SAFETY: our own fd.
        unsafe { libc::close(self.0) };
    }
}

/// Can this host load and test-run a program at all? Err(reason) if not.
pub fn available() -> Result<(), String> {
    let r0_is_7 = [0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    match NativeProg::load(BPF_PROG_TYPE_SOCKET_FILTER, &r0_is_7).and_then(|p| p.test_run(&[0u8; 64], &[], 0)) {
        Ok(r) if r.retval == 7 => Ok(()),
        Ok(r) => Err(format!("host BPF_PROG_TEST_RUN of 'r0 = 7' returned {}", r.retval)),
        Err(e) => {
            Err(format!("the host kernel does not allow BPF_PROG_LOAD/BPF_PROG_TEST_RUN here: {}", std::io::Error::from_raw_os_error(e)))
        }
    }
}
