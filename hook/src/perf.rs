//! perf_event_open(2) routing: the perf events the driver emulates go to it, all
//! others to the kernel.
//!
//! Routed only once this process has the driver open (a bpf() call went through it):
//! a process that never used BPF keeps the kernel's perf events, even in driver mode.
//!
//! Emulated: tracepoints (incl. kprobe/uprobe events made through tracefs), BPF output
//! rings, the kprobe and uprobe PMUs (dynamic type numbers read once from
//! `/sys/bus/event_source/devices/{kprobe,uprobe}/type`), and software cpu-clock /
//! task-clock *sampling* events (what profile-style tools attach PERF_EVENT programs
//! to); a counting software event (no sample period) stays with the kernel, also when
//! the tool stores it in a PERF_EVENT_ARRAY for bpf_perf_event_read: the driver reads
//! the kernel's perf file (driver/perf_event_read.c).

use crate::driver;
use crate::user_mem::{self, Memory};
use driver_protocol::{
    bpfdrv_perf_open_req, BPFDRV_IOC_PERF_OPEN, BPFDRV_PERF_ATTR_SIZE_VER0, BPFDRV_PERF_COUNT_SW_BPF_OUTPUT,
    BPFDRV_PERF_COUNT_SW_CPU_CLOCK, BPFDRV_PERF_COUNT_SW_TASK_CLOCK, BPFDRV_PERF_KIND_BY_TYPE, BPFDRV_PERF_KIND_KPROBE,
    BPFDRV_PERF_KIND_UPROBE, BPFDRV_PERF_TYPE_SOFTWARE, BPFDRV_PERF_TYPE_TRACEPOINT,
};
use std::sync::OnceLock;

/// Size assumed for an attr whose `size` field is 0 (the protocol's attr prefix).
pub const DEFAULT_ATTR_SIZE: u32 = 72;

/// The head of `struct perf_event_attr` that routing looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrHead {
    pub type_: u32,
    pub size: u32,
    pub config: u64,
    /// `sample_period` or `sample_freq` (0: a counting event).
    pub sample_period: u64,
}

impl AttrHead {
    /// Reads the head of the caller's attr, checked as the kernel's `perf_copy_attr`
    /// checks it: `size` is read first, then the whole attr of that size. `None` for
    /// an attr the kernel refuses (null or unreadable: EFAULT; a size below
    /// PERF_ATTR_SIZE_VER0 or above PAGE_SIZE: E2BIG, with the size it knows written
    /// back): such a call goes to the kernel, whose perf_event_open gives exactly those
    /// answers, in its order, on every version.
    pub fn read(mem: Memory, attr: usize) -> Option<AttrHead> {
        let size: u32 = mem.read_pod(attr.checked_add(4)?).ok()?;
        let copy = if size == 0 { BPFDRV_PERF_ATTR_SIZE_VER0 } else { size };
        if copy < BPFDRV_PERF_ATTR_SIZE_VER0 || copy as usize > user_mem::page_size() {
            return None;
        }
        // All of it must be readable, as copy_struct_from_user reads it all (the head
        // the hook keeps, then the tail it checks for zeroes).
        let mut buf = vec![0u8; copy as usize];
        mem.read(attr, &mut buf).ok()?;
        let u32_at = |o: usize| u32::from_ne_bytes(buf[o..o + 4].try_into().unwrap_or_default());
        let u64_at = |o: usize| u64::from_ne_bytes(buf[o..o + 8].try_into().unwrap_or_default());
        Some(AttrHead { type_: u32_at(0), size, config: u64_at(8), sample_period: u64_at(16) })
    }
}

/// The dynamic PMU types of the kprobe and uprobe PMUs on this kernel (None: absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbePmus {
    pub kprobe: Option<u32>,
    pub uprobe: Option<u32>,
}

fn read_pmu_type(name: &str) -> Option<u32> {
    let path = std::ffi::CString::new(format!("/sys/bus/event_source/devices/{name}/type")).ok()?;
    let fd = crate::real::open_file(&path, libc::O_RDONLY | libc::O_CLOEXEC).ok()?;
    let mut buf = [0u8; 32];
    // SAFETY: our own fd and buffer.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    unsafe { libc::close(fd) };
    parse_pmu_type(buf.get(..usize::try_from(n).ok()?)?)
}

/// The contents of a sysfs `type` file ("8\n").
pub fn parse_pmu_type(text: &[u8]) -> Option<u32> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

/// Read once per process.
pub fn probe_pmus() -> ProbePmus {
    static P: OnceLock<ProbePmus> = OnceLock::new();
    *P.get_or_init(|| ProbePmus { kprobe: read_pmu_type("kprobe"), uprobe: read_pmu_type("uprobe") })
}

/// Which driver emulation handles this perf event (`BPFDRV_PERF_KIND_*`), or None
/// when the kernel keeps it.
pub fn driver_kind(head: &AttrHead, pmus: &ProbePmus) -> Option<u32> {
    if head.type_ == BPFDRV_PERF_TYPE_TRACEPOINT {
        return Some(BPFDRV_PERF_KIND_BY_TYPE);
    }
    if head.type_ == BPFDRV_PERF_TYPE_SOFTWARE {
        let sampling_clock =
            head.sample_period != 0 && (head.config == BPFDRV_PERF_COUNT_SW_CPU_CLOCK || head.config == BPFDRV_PERF_COUNT_SW_TASK_CLOCK);
        return (head.config == BPFDRV_PERF_COUNT_SW_BPF_OUTPUT || sampling_clock).then_some(BPFDRV_PERF_KIND_BY_TYPE);
    }
    if pmus.kprobe == Some(head.type_) {
        return Some(BPFDRV_PERF_KIND_KPROBE);
    }
    if pmus.uprobe == Some(head.type_) {
        return Some(BPFDRV_PERF_KIND_UPROBE);
    }
    None
}

/// Whether the driver emulates this kind of perf event.
pub fn driver_handles(head: &AttrHead) -> bool {
    driver_kind(head, &probe_pmus()).is_some()
}

pub fn request(
    head: &AttrHead,
    kind: u32,
    attr: libc::c_long,
    pid: libc::c_long,
    cpu: libc::c_long,
    group_fd: libc::c_long,
    flags: libc::c_long,
) -> bpfdrv_perf_open_req {
    bpfdrv_perf_open_req {
        size: std::mem::size_of::<bpfdrv_perf_open_req>() as u32,
        attr_size: if head.size == 0 { DEFAULT_ATTR_SIZE } else { head.size },
        attr: attr as u64,
        pid: pid as i32,
        cpu: cpu as i32,
        group_fd: group_fd as i32,
        flags: flags as u32,
        kind,
        reserved: 0,
    }
}

/// `perf_event_open(attr, pid, cpu, group_fd, flags)` of this process: `None` when the
/// kernel should handle it (also when it refuses the attr itself), else the driver's fd
/// or errno.
pub fn call(
    attr: libc::c_long,
    pid: libc::c_long,
    cpu: libc::c_long,
    group_fd: libc::c_long,
    flags: libc::c_long,
) -> Option<Result<libc::c_long, libc::c_int>> {
    let mut drv = driver::active()?;
    serve(Memory::OWN, &mut drv, attr, pid, cpu, group_fd, flags)
}

/// [`call`] for the process whose memory is `mem` and whose driver fd is `port`.
pub fn serve(
    mem: Memory,
    port: &mut impl driver::Port,
    attr: libc::c_long,
    pid: libc::c_long,
    cpu: libc::c_long,
    group_fd: libc::c_long,
    flags: libc::c_long,
) -> Option<Result<libc::c_long, libc::c_int>> {
    let head = AttrHead::read(mem, attr as usize)?;
    let kind = driver_kind(&head, &probe_pmus())?;
    let mut req = request(&head, kind, attr, pid, cpu, group_fd, flags);
    let ret = driver::ioctl(port, BPFDRV_IOC_PERF_OPEN, &mut req);
    log::debug!("perf_event_open(type {}, config {}, pid {}, cpu {}, kind {kind}) = {ret:?}", head.type_, head.config, req.pid, req.cpu);
    Some(ret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use driver_protocol::BPFDRV_PERF_FLAG_FD_CLOEXEC;

    fn head(type_: u32, config: u64) -> AttrHead {
        AttrHead { type_, size: 0, config, sample_period: 0 }
    }

    const PMUS: ProbePmus = ProbePmus { kprobe: Some(8), uprobe: Some(9) };

    #[test]
    fn routes_emulated_events_only() {
        let kind = |h: AttrHead| driver_kind(&h, &PMUS);
        assert_eq!(kind(head(2, 1234)), Some(BPFDRV_PERF_KIND_BY_TYPE)); // tracepoint
        assert_eq!(kind(head(1, 10)), Some(BPFDRV_PERF_KIND_BY_TYPE)); // bpf-output
        assert_eq!(kind(head(1, 0)), None); // counting cpu-clock
        assert_eq!(kind(AttrHead { sample_period: 49, ..head(1, 0) }), Some(BPFDRV_PERF_KIND_BY_TYPE));
        assert_eq!(kind(AttrHead { sample_period: 99, ..head(1, 1) }), Some(BPFDRV_PERF_KIND_BY_TYPE));
        assert_eq!(kind(AttrHead { sample_period: 99, ..head(1, 2) }), None); // page faults
        assert_eq!(kind(head(0, 0)), None); // hardware cycles
        assert_eq!(kind(head(8, 1)), Some(BPFDRV_PERF_KIND_KPROBE));
        assert_eq!(kind(head(9, 0)), Some(BPFDRV_PERF_KIND_UPROBE));
        assert_eq!(kind(head(10, 0)), None); // another dynamic PMU
        assert_eq!(driver_kind(&head(8, 0), &ProbePmus::default()), None);
    }

    #[test]
    fn parses_sysfs_pmu_types() {
        assert_eq!(parse_pmu_type(b"8\n"), Some(8));
        assert_eq!(parse_pmu_type(b"x"), None);
        assert_eq!(parse_pmu_type(b""), None);
    }

    #[test]
    fn reads_the_attr_head() {
        let mut attr = driver_protocol::bpfdrv_perf_event_attr { type_: 1, size: 128, config: 10, sample_period: 7, ..Default::default() };
        let at = |a: &driver_protocol::bpfdrv_perf_event_attr| AttrHead::read(Memory::OWN, a as *const _ as usize);
        attr.size = 72;
        assert_eq!(at(&attr), Some(AttrHead { type_: 1, size: 72, config: 10, sample_period: 7 }));
        attr.size = 0;
        assert_eq!(at(&attr).map(|h| h.size), Some(0), "0 is PERF_ATTR_SIZE_VER0");
        for bad in [1, 63, 4097] {
            attr.size = bad;
            assert_eq!(at(&attr), None, "size {bad}: the kernel answers E2BIG");
        }
        assert_eq!(AttrHead::read(Memory::OWN, 0), None);
        assert_eq!(AttrHead::read(Memory::OWN, 1), None);
    }

    #[test]
    fn request_carries_the_call() {
        let h = AttrHead { type_: 2, size: 0, config: 77, sample_period: 0 };
        let r = request(&h, BPFDRV_PERF_KIND_UPROBE, 0x1000, -1, 3, -1, BPFDRV_PERF_FLAG_FD_CLOEXEC as libc::c_long);
        assert_eq!(r.size, 40);
        assert_eq!((r.kind, r.reserved), (BPFDRV_PERF_KIND_UPROBE, 0));
        assert_eq!(r.attr_size, DEFAULT_ATTR_SIZE);
        assert_eq!(r.attr, 0x1000);
        assert_eq!((r.pid, r.cpu, r.group_fd), (-1, 3, -1));
        assert_eq!(r.flags, BPFDRV_PERF_FLAG_FD_CLOEXEC);
        let h = AttrHead { size: 136, ..h };
        assert_eq!(request(&h, 0, 0, 0, 0, 0, 0).attr_size, 136);
    }
}
