//! perf_event_open(2) routing: the perf events the driver emulates go to it, all
//! others to the kernel.
//!
//! Routed only once this process has the driver open (a bpf() call went through it):
//! a process that never used BPF keeps the kernel's perf events, even in driver mode.

use crate::driver;
use driver_protocol::{
    bpfdrv_perf_open_req, BPFDRV_IOC_PERF_OPEN, BPFDRV_PERF_COUNT_SW_BPF_OUTPUT,
    BPFDRV_PERF_TYPE_SOFTWARE, BPFDRV_PERF_TYPE_TRACEPOINT,
};

/// Size assumed for an attr whose `size` field is 0 (the protocol's attr prefix).
pub const DEFAULT_ATTR_SIZE: u32 = 72;

/// The head of `struct perf_event_attr` that routing looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrHead {
    pub type_: u32,
    pub size: u32,
    pub config: u64,
}

impl AttrHead {
    /// Reads the head of the caller's attr; `None` for a null pointer (the kernel then
    /// answers EFAULT itself).
    ///
    /// # Safety
    /// A non-null `attr` must point to at least 16 readable bytes.
    pub unsafe fn read(attr: *const u8) -> Option<AttrHead> {
        if attr.is_null() {
            return None;
        }
        Some(AttrHead {
            type_: std::ptr::read_unaligned(attr.cast::<u32>()),
            size: std::ptr::read_unaligned(attr.add(4).cast::<u32>()),
            config: std::ptr::read_unaligned(attr.add(8).cast::<u64>()),
        })
    }
}

/// Whether the driver emulates this kind of perf event.
pub fn driver_handles(head: &AttrHead) -> bool {
    head.type_ == BPFDRV_PERF_TYPE_TRACEPOINT
        || (head.type_ == BPFDRV_PERF_TYPE_SOFTWARE && head.config == BPFDRV_PERF_COUNT_SW_BPF_OUTPUT)
}

pub fn request(
    head: &AttrHead,
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
    }
}

/// `perf_event_open(attr, pid, cpu, group_fd, flags)`: `None` when the kernel should
/// handle it, else the driver's fd or errno.
///
/// # Safety
/// `attr` is the caller's pointer, null or valid for the perf_event_attr it names.
pub unsafe fn call(
    attr: libc::c_long,
    pid: libc::c_long,
    cpu: libc::c_long,
    group_fd: libc::c_long,
    flags: libc::c_long,
) -> Option<Result<libc::c_long, libc::c_int>> {
    let drv = driver::active()?;
    let head = AttrHead::read(attr as *const u8)?;
    if !driver_handles(&head) {
        return None;
    }
    let mut req = request(&head, attr, pid, cpu, group_fd, flags);
    let ret = drv.ioctl(BPFDRV_IOC_PERF_OPEN, &mut req);
    log::debug!(
        "perf_event_open(type {}, config {}, pid {}, cpu {}) = {ret:?}",
        head.type_, head.config, req.pid, req.cpu
    );
    Some(ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERF_FLAG_FD_CLOEXEC: u32 = 1 << 3;

    fn head(type_: u32, config: u64) -> AttrHead {
        AttrHead { type_, size: 0, config }
    }

    #[test]
    fn routes_tracepoints_and_bpf_output_only() {
        assert!(driver_handles(&head(2, 1234)));
        assert!(driver_handles(&head(1, 10)));
        assert!(!driver_handles(&head(1, 0))); // cpu-clock
        assert!(!driver_handles(&head(0, 0))); // hardware cycles
        assert!(!driver_handles(&head(8, 0))); // a dynamic PMU (kprobe, uprobe)
    }

    #[test]
    fn reads_the_attr_head() {
        let mut attr = driver_protocol::bpfdrv_perf_event_attr {
            type_: 1,
            size: 128,
            config: 10,
            ..Default::default()
        };
        let h = unsafe { AttrHead::read((&mut attr as *mut _) as *const u8) }.unwrap();
        assert_eq!(h, AttrHead { type_: 1, size: 128, config: 10 });
        assert!(unsafe { AttrHead::read(std::ptr::null()) }.is_none());
    }

    #[test]
    fn request_carries_the_call() {
        let h = AttrHead { type_: 2, size: 0, config: 77 };
        let r = request(&h, 0x1000, -1, 3, -1, PERF_FLAG_FD_CLOEXEC as libc::c_long);
        assert_eq!(r.size, 32);
        assert_eq!(r.attr_size, DEFAULT_ATTR_SIZE);
        assert_eq!(r.attr, 0x1000);
        assert_eq!((r.pid, r.cpu, r.group_fd), (-1, 3, -1));
        assert_eq!(r.flags, PERF_FLAG_FD_CLOEXEC);
        let h = AttrHead { size: 136, ..h };
        assert_eq!(request(&h, 0, 0, 0, 0, 0).attr_size, 136);
    }
}
