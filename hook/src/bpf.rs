//! bpf(2) in driver mode: every command goes to the driver unchanged.
//!
//! The driver applies the kernel's attr rules (size, tail zero, known commands) and
//! answers with the kernel's errnos, so libbpf's feature probes get truthful answers;
//! nothing is filtered or rewritten here. Tracing programs against the kernel's BTF
//! (fentry, fexit, tp_btf) go with the target the hook resolved (`tracing`).

use crate::driver;
use crate::user_mem::Memory;
use driver_protocol::{bpfdrv_bpf_req, BPFDRV_CMD_PROG_LOAD as BPF_PROG_LOAD, BPFDRV_IOC_BPF};

/// The request for `bpf(cmd, attr, size)`.
pub fn request(cmd: libc::c_long, attr: libc::c_long, size: libc::c_long) -> bpfdrv_bpf_req {
    bpfdrv_bpf_req {
        size: std::mem::size_of::<bpfdrv_bpf_req>() as u32,
        // bpf(2) takes `int cmd` and `unsigned int size`: the kernel looks at the low
        // 32 bits of those registers only.
        cmd: cmd as u32,
        attr: attr as u64,
        attr_size: size as u32,
        reserved: 0,
    }
}

/// `bpf(cmd, attr, size)` of this process through the driver: its result or errno.
pub fn call(cmd: libc::c_long, attr: libc::c_long, size: libc::c_long) -> Result<libc::c_long, libc::c_int> {
    // A kernel without bpf(2) answers ENOSYS before it reads anything: without a usable
    // driver the hook does not read the attr either.
    let mut drv = driver::get().map_err(|u| u.errno)?;
    serve(Memory::OWN, &mut drv, cmd, attr, size)
}

/// `bpf(cmd, attr, size)` of the process whose memory is `mem`, through `port`, its
/// driver fd: what the preloaded hook and `bpfhook run`'s launcher both do.
pub fn serve(
    mem: Memory,
    port: &mut impl driver::Port,
    cmd: libc::c_long,
    attr: libc::c_long,
    size: libc::c_long,
) -> Result<libc::c_long, libc::c_int> {
    if cmd as u32 == BPF_PROG_LOAD {
        if let Some(ret) = crate::tracing::prog_load(mem, port, attr, size) {
            return ret;
        }
    }
    let mut req = request(cmd, attr, size);
    let ret = driver::ioctl(port, BPFDRV_IOC_BPF, &mut req);
    if log::log_enabled!(log::Level::Trace) {
        log::trace!("bpf(cmd {}, size {}) = {ret:?}", req.cmd, req.attr_size);
    }
    ret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_passes_the_call_through() {
        let attr = [0u8; 128];
        let r = request(BPF_PROG_LOAD as libc::c_long, attr.as_ptr() as libc::c_long, 128);
        assert_eq!(r.size, 24);
        assert_eq!(r.cmd, BPF_PROG_LOAD);
        assert_eq!(r.attr, attr.as_ptr() as u64);
        assert_eq!(r.attr_size, 128);
        assert_eq!(r.reserved, 0);
    }

    #[test]
    fn request_keeps_the_low_32_bits_like_the_kernel() {
        let r = request(0xffff_ffff_0000_0012u64 as libc::c_long, 0, 0x1_0000_0010);
        assert_eq!((r.cmd, r.attr_size), (18, 16));
        assert_eq!(r.attr, 0);
    }
}
