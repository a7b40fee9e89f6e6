//! Which mode the hook runs in, and why: what `BPFHOOK_MODE` asks for, what the running
//! kernel's own bpf(2) can do, and the mode that follows from both.
//!
//! `auto` passes through only to a bpf(2) that serves what libbpf-based tools need of
//! it. The syscall existing is not enough: RHEL 7 (3.10.0-957 and later) has a
//! tech-preview bpf() for root, with kprobe, tracepoint and perf_event programs and the
//! old map types, but without global data (`.rodata`/`.data`/`.bss` maps reached with
//! `BPF_PSEUDO_MAP_VALUE`, Linux 5.2) and without BTF loading (4.18); a modern tool
//! handed to it fails ("BPF map 'opensnoo.rodata' is referenced but wasn't created").
//! So the probe asks the kernel what libbpf itself asks (`probe_kern_global_data`,
//! `probe_kern_btf` in libbpf's features.c).
//!
//! The bpf() calls are the caller's: the library hands in the real syscall (its own
//! `syscall` is the interposed one) and `bpfhook doctor`, which must not link the library
//! (that would interpose its own libc calls), compiles this file too and hands in libc's.

use bpfcompat_btf::KIND_INT;
use driver_protocol::{
    bpfdrv_btf_load_attr, bpfdrv_get_id_attr, bpfdrv_insn, bpfdrv_map_create_attr, bpfdrv_prog_load_attr, BPFDRV_BTF_MAGIC,
    BPFDRV_CMD_BTF_LOAD, BPFDRV_CMD_MAP_CREATE, BPFDRV_CMD_PROG_GET_NEXT_ID, BPFDRV_CMD_PROG_LOAD, BPFDRV_ENOTSUPP, BPFDRV_MAP_TYPE_ARRAY,
    BPFDRV_PROG_TYPE_TRACEPOINT, BPFDRV_PSEUDO_MAP_VALUE,
};
use std::fmt;

pub const MODE_ENV: &str = "BPFHOOK_MODE";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// bpf() and perf_event_open() go to the kernel untouched.
    Native,
    /// bpf() goes to /dev/bpfdrv.
    Driver,
}

/// What `BPFHOOK_MODE` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requested {
    Auto,
    Driver,
    Native,
}

/// Parses a `BPFHOOK_MODE` value; `None` for an unknown one.
pub fn parse(value: Option<&str>) -> Option<Requested> {
    match value.map(str::trim) {
        None | Some("") | Some("auto") => Some(Requested::Auto),
        Some("driver") => Some(Requested::Driver),
        Some("native") => Some(Requested::Native),
        Some(_) => None,
    }
}

/// What a probe asks the kernel for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// The map global data lives in.
    ArrayMap,
    GlobalData,
    Btf,
}

impl Feature {
    pub fn name(self) -> &'static str {
        match self {
            Feature::ArrayMap => "array maps",
            Feature::GlobalData => "global data",
            Feature::Btf => "BTF loading",
        }
    }

    /// The bpf() command or instruction the probe exercises.
    pub fn call(self) -> &'static str {
        match self {
            Feature::ArrayMap => "BPF_MAP_TYPE_ARRAY",
            Feature::GlobalData => "BPF_PSEUDO_MAP_VALUE",
            Feature::Btf => "BPF_BTF_LOAD",
        }
    }
}

/// A probe the kernel answered with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub feature: Feature,
    pub errno: i32,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, call) = (self.feature.name(), self.feature.call());
        write!(f, "{name} ({call}, {})", errno_name(self.errno))
    }
}

/// The running kernel's own bpf(2), as far as libbpf-based tools are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelBpf {
    /// ENOSYS: no bpf(2) at all.
    Absent,
    /// Global data and BTF loading work.
    Usable,
    /// bpf(2) exists but cannot do this.
    Insufficient(Failure),
    /// bpf(2) exists and refused this probe with EPERM or EACCES, leaving unknown what
    /// it could do for a process allowed to ask.
    NotPermitted(Failure),
}

impl KernelBpf {
    /// Whether the kernel implements bpf(2) at all.
    pub fn exists(&self) -> bool {
        *self != KernelBpf::Absent
    }

    /// The mode `auto` picks.
    ///
    /// A refusal keeps the pass-through: it comes from the process's privileges (no
    /// CAP_SYS_ADMIN/CAP_BPF, unprivileged_bpf_disabled, a seccomp filter, the pre-5.11
    /// RLIMIT_MEMLOCK charge), not from what the kernel can do. The tool gets the same
    /// refusal it would get without the hook, and the driver could not serve it either:
    /// /dev/bpfdrv is root's.
    pub fn auto_mode(&self) -> Mode {
        match self {
            KernelBpf::Usable | KernelBpf::NotPermitted(_) => Mode::Native,
            KernelBpf::Absent | KernelBpf::Insufficient(_) => Mode::Driver,
        }
    }
}

impl fmt::Display for KernelBpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelBpf::Absent => write!(f, "no bpf() (ENOSYS)"),
            KernelBpf::Usable => write!(f, "native bpf() usable (global data, BTF)"),
            KernelBpf::Insufficient(why) => write!(f, "native bpf() present but lacks {why}"),
            KernelBpf::NotPermitted(why) => {
                write!(f, "native bpf() present but refused this process's probe for {why}")
            }
        }
    }
}

/// The mode `requested` gives on this kernel, and a line saying which and why, e.g.
/// "native bpf() present but lacks global data (BPF_PSEUDO_MAP_VALUE, EINVAL): auto
/// mode uses bpfdrv".
pub fn choose(requested: Requested, kernel: &KernelBpf) -> (Mode, String) {
    let (mode, how) = match requested {
        Requested::Auto => (kernel.auto_mode(), "auto mode"),
        Requested::Driver => (Mode::Driver, "BPFHOOK_MODE=driver: the hook"),
        Requested::Native => (Mode::Native, "BPFHOOK_MODE=native: the hook"),
    };
    let does = match mode {
        Mode::Native => "passes through",
        Mode::Driver => "uses bpfdrv",
    };
    (mode, format!("{kernel}: {how} {does}"))
}

/// One bpf(2) call: `Ok(return value)` or `Err(errno)`.
///
/// # Safety
/// `attr` must point to `size` bytes the kernel may read and write.
pub type BpfSyscall = unsafe fn(cmd: u32, attr: *mut u8, size: u32) -> Result<i64, i32>;

/// Asks the kernel, through `bpf`, everything [`KernelBpf`] tells apart. Every object
/// created is closed again.
pub fn probe(bpf: BpfSyscall) -> KernelBpf {
    let exists = {
        // Harmless for any caller: the next program id, or EPERM for a non-root one.
        let mut attr = bpfdrv_get_id_attr::default();
        call(bpf, BPFDRV_CMD_PROG_GET_NEXT_ID, &mut attr).map(|_| ())
    };
    // Lazy: the later probes run only while the earlier ones leave the answer open.
    let probes: [fn(BpfSyscall) -> Result<(), Failure>; 2] = [probe_global_data, probe_btf];
    let answers = probes.into_iter().map(|p| p(bpf));
    verdict(exists, answers)
}

/// The rule. ENOSYS from the existence probe means no bpf(2). Otherwise the first
/// feature failing with anything but EPERM/EACCES makes the kernel insufficient: such an
/// answer is about the kernel, and it holds for every caller, so it wins over a refusal
/// from another probe (root short of locked memory on RHEL 7 gets EPERM from the map,
/// EINVAL from BPF_BTF_LOAD). Only refusals leave it [`KernelBpf::NotPermitted`].
fn verdict(exists: Result<(), i32>, answers: impl IntoIterator<Item = Result<(), Failure>>) -> KernelBpf {
    if exists == Err(libc::ENOSYS) {
        return KernelBpf::Absent;
    }
    let mut refused = None;
    for answer in answers {
        match answer {
            Ok(()) => {}
            Err(f) if f.errno == libc::EPERM || f.errno == libc::EACCES => {
                refused.get_or_insert(f);
            }
            Err(f) => return KernelBpf::Insufficient(f),
        }
    }
    refused.map_or(KernelBpf::Usable, KernelBpf::NotPermitted)
}

fn call<T>(bpf: BpfSyscall, cmd: u32, attr: &mut T) -> Result<i64, i32> {
    // SAFETY: `attr` is an exclusively borrowed repr(C) attr of exactly this size.
    unsafe { bpf(cmd, (attr as *mut T).cast(), std::mem::size_of::<T>() as u32) }
}

/// A file descriptor the kernel returned, closed on drop.
struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: closes a descriptor this module owns.
        unsafe { libc::close(self.0) };
    }
}

fn new_fd(r: Result<i64, i32>, feature: Feature) -> Result<Fd, Failure> {
    r.map(|fd| Fd(fd as i32)).map_err(|errno| Failure { feature, errno })
}

// Opcodes of the probe program (linux/bpf_common.h, linux/bpf.h).
/// BPF_LD | BPF_IMM | BPF_DW: the two-slot 64-bit load.
const LD_IMM64: u8 = 0x18;
/// BPF_ST | BPF_MEM | BPF_DW: store an immediate.
const ST_MEM_DW: u8 = 0x7a;
/// BPF_ALU64 | BPF_MOV | BPF_K.
const MOV64_IMM: u8 = 0xb7;
/// BPF_JMP | BPF_EXIT.
const EXIT: u8 = 0x95;

/// libbpf's probe_kern_global_data: a store through a `BPF_PSEUDO_MAP_VALUE` pointer,
/// which is how compiled code reaches its `.rodata`/`.data`/`.bss`. The program is a
/// tracepoint program, not libbpf's socket filter: RHEL 7's backport accepts only
/// kprobe, tracepoint and perf_event programs, and would then fail the probe for the
/// wrong reason.
fn probe_global_data(bpf: BpfSyscall) -> Result<(), Failure> {
    let mut map_attr =
        bpfdrv_map_create_attr { map_type: BPFDRV_MAP_TYPE_ARRAY, key_size: 4, value_size: 32, max_entries: 1, ..Default::default() };
    let map = new_fd(call(bpf, BPFDRV_CMD_MAP_CREATE, &mut map_attr), Feature::ArrayMap)?;
    let insn = |code, regs, imm| bpfdrv_insn { code, regs, off: 0, imm };
    let insns = [
        // r1 = &map value + 0
        insn(LD_IMM64, 1 | BPFDRV_PSEUDO_MAP_VALUE << 4, map.0),
        insn(0, 0, 0),
        // *(u64 *)(r1 + 0) = 42
        insn(ST_MEM_DW, 1, 42),
        // r0 = 0
        insn(MOV64_IMM, 0, 0),
        insn(EXIT, 0, 0),
    ];
    let mut prog_attr = bpfdrv_prog_load_attr {
        prog_type: BPFDRV_PROG_TYPE_TRACEPOINT,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: c"GPL".as_ptr() as u64,
        ..Default::default()
    };
    new_fd(call(bpf, BPFDRV_CMD_PROG_LOAD, &mut prog_attr), Feature::GlobalData)?;
    Ok(())
}

/// libbpf's probe_kern_btf: the smallest valid raw BTF, one type `int`.
fn probe_btf(bpf: BpfSyscall) -> Result<(), Failure> {
    const BTF_INT_SIGNED: u32 = 1 << 0;
    const STRINGS: &[u8] = b"\0int\0";
    // name_off 1 ("int"), info: kind INT, size 4, then encoding << 24 | offset << 16 | bits.
    let types: [u32; 4] = [1, KIND_INT << 24, 4, BTF_INT_SIGNED << 24 | 32];
    let hdr_len = 24u32;
    let types_len = std::mem::size_of_val(&types) as u32;
    let mut raw = Vec::with_capacity(hdr_len as usize + types_len as usize + STRINGS.len());
    raw.extend_from_slice(&BPFDRV_BTF_MAGIC.to_le_bytes());
    raw.extend_from_slice(&[1, 0]); // version, flags
    for word in [hdr_len, 0, types_len, types_len, STRINGS.len() as u32] {
        raw.extend_from_slice(&word.to_le_bytes()); // hdr_len, type_off/len, str_off/len
    }
    for word in types {
        raw.extend_from_slice(&word.to_le_bytes());
    }
    raw.extend_from_slice(STRINGS);
    let mut attr = bpfdrv_btf_load_attr { btf: raw.as_ptr() as u64, btf_size: raw.len() as u32, ..Default::default() };
    new_fd(call(bpf, BPFDRV_CMD_BTF_LOAD, &mut attr), Feature::Btf)?;
    Ok(())
}

/// `EINVAL` for 22: the names bpf(2) answers with. (strerrorname_np is glibc 2.32,
/// newer than the hosts this runs on.)
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::E2BIG => "E2BIG",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        BPFDRV_ENOTSUPP => "ENOTSUPP",
        _ => return format!("errno {errno}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modes() {
        assert_eq!(parse(None), Some(Requested::Auto));
        assert_eq!(parse(Some("")), Some(Requested::Auto));
        assert_eq!(parse(Some("auto")), Some(Requested::Auto));
        assert_eq!(parse(Some("driver")), Some(Requested::Driver));
        assert_eq!(parse(Some(" native ")), Some(Requested::Native));
        assert_eq!(parse(Some("kernel")), None);
    }

    #[test]
    fn the_rule() {
        use Feature::*;
        use KernelBpf::*;
        let f = |feature, errno| Failure { feature, errno };
        let v = |exists, answers: &[Result<(), Failure>]| verdict(exists, answers.to_vec());
        let (yes, ok) = (Ok(()), Ok(()));

        assert_eq!(v(Err(libc::ENOSYS), &[]), Absent);
        // Any other answer to the existence probe means bpf(2) exists.
        for exists in [yes, Err(libc::EPERM), Err(libc::EINVAL), Err(libc::ENOENT)] {
            assert_eq!(v(exists, &[ok, ok]), Usable);
        }
        // RHEL 7 as root.
        let rhel7 = [Err(f(GlobalData, libc::EINVAL)), Err(f(Btf, libc::EINVAL))];
        assert_eq!(v(yes, &rhel7), Insufficient(f(GlobalData, libc::EINVAL)));
        for lack in [f(ArrayMap, libc::EINVAL), f(GlobalData, BPFDRV_ENOTSUPP), f(Btf, libc::E2BIG)] {
            assert_eq!(v(yes, &[Err(lack)]), Insufficient(lack));
        }
        assert_eq!(v(yes, &[ok, Err(f(Btf, libc::EINVAL))]), Insufficient(f(Btf, libc::EINVAL)));
        // Refusals leave it open; a definite answer from another probe wins.
        let refused = [Err(f(ArrayMap, libc::EPERM)), Err(f(Btf, libc::EACCES))];
        assert_eq!(v(yes, &refused), NotPermitted(f(ArrayMap, libc::EPERM)));
        assert_eq!(v(Err(libc::EPERM), &refused[1..]), NotPermitted(f(Btf, libc::EACCES)));
        let mixed = [Err(f(ArrayMap, libc::EPERM)), Err(f(Btf, libc::EINVAL))];
        assert_eq!(v(yes, &mixed), Insufficient(f(Btf, libc::EINVAL)));
    }

    #[test]
    fn the_rule_picks_modes() {
        let lacks = KernelBpf::Insufficient(Failure { feature: Feature::GlobalData, errno: libc::EINVAL });
        let refused = KernelBpf::NotPermitted(Failure { feature: Feature::Btf, errno: libc::EPERM });
        assert_eq!(KernelBpf::Absent.auto_mode(), Mode::Driver);
        assert_eq!(lacks.auto_mode(), Mode::Driver);
        assert_eq!(KernelBpf::Usable.auto_mode(), Mode::Native);
        assert_eq!(refused.auto_mode(), Mode::Native);
        assert!(!KernelBpf::Absent.exists() && lacks.exists() && refused.exists());

        let line = |r, k| choose(r, &k);
        assert_eq!(
            line(Requested::Auto, lacks),
            (Mode::Driver, "native bpf() present but lacks global data (BPF_PSEUDO_MAP_VALUE, EINVAL): auto mode uses bpfdrv".into())
        );
        assert_eq!(
            line(Requested::Auto, KernelBpf::Usable),
            (Mode::Native, "native bpf() usable (global data, BTF): auto mode passes through".into())
        );
        assert_eq!(line(Requested::Auto, KernelBpf::Absent).1, "no bpf() (ENOSYS): auto mode uses bpfdrv");
        assert_eq!(
            line(Requested::Auto, refused).1,
            "native bpf() present but refused this process's probe for BTF loading (BPF_BTF_LOAD, EPERM): auto mode passes through"
        );
        assert_eq!(
            line(Requested::Driver, KernelBpf::Usable),
            (Mode::Driver, "native bpf() usable (global data, BTF): BPFHOOK_MODE=driver: the hook uses bpfdrv".into())
        );
        assert_eq!(
            line(Requested::Native, KernelBpf::Absent),
            (Mode::Native, "no bpf() (ENOSYS): BPFHOOK_MODE=native: the hook passes through".into())
        );
        assert_eq!(errno_name(libc::EINVAL), "EINVAL");
        assert_eq!(errno_name(4095), "errno 4095");
    }
}
