//! Native pass-through or the driver: `BPFHOOK_MODE` = auto (default) | driver | native.
//!
//! Decided once per process, at the first call that needs it. auto probes the running
//! kernel through the real syscall ([`mode_rule::probe`]): the driver takes over where
//! the kernel has no bpf(2) or one without global data or BTF loading, which modern
//! libbpf tools cannot do without. `BPFHOOK_LOG=info` shows the decision and its reason.

use crate::mode_rule::{self, KernelBpf};
use crate::real;
use std::sync::OnceLock;

pub use crate::mode_rule::{parse, Mode, Requested, MODE_ENV};

static MODE: OnceLock<Mode> = OnceLock::new();

/// The mode of this process, decided on first use.
pub fn get() -> Mode {
    *MODE.get_or_init(decide)
}

fn decide() -> Mode {
    crate::logging::init();
    let raw = std::env::var(MODE_ENV).ok();
    let requested = parse(raw.as_deref()).unwrap_or_else(|| {
        log::warn!("{MODE_ENV}={:?} is not one of auto, driver, native; using auto", raw.as_deref().unwrap_or(""));
        Requested::Auto
    });
    let mode = match requested {
        Requested::Auto => {
            let (mode, why) = mode_rule::choose(requested, &kernel_bpf());
            log::info!("{why}");
            mode
        }
        Requested::Driver => Mode::Driver,
        Requested::Native => Mode::Native,
    };
    log::debug!("mode {mode:?} (requested {requested:?})");
    mode
}

/// The running kernel's bpf(2), asked through the real syscall.
pub fn kernel_bpf() -> KernelBpf {
    mode_rule::probe(real_bpf)
}

/// # Safety
/// As [`mode_rule::BpfSyscall`].
unsafe fn real_bpf(cmd: u32, attr: *mut u8, size: u32) -> Result<i64, i32> {
    let (cmd, attr, size) = (cmd as libc::c_long, attr as libc::c_long, size as libc::c_long);
    let r = real::syscall(libc::SYS_bpf, cmd, attr, size, 0, 0, 0);
    if r < 0 {
        Err(real::errno())
    } else {
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bpf_fds() -> usize {
        let links = std::fs::read_dir("/proc/self/fd").unwrap().flatten();
        links.filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("anon_inode:bpf"))).count()
    }

    /// The development host and CI run as root on kernels with current eBPF: there the
    /// probe must find both features, and close every object it made.
    #[test]
    fn this_host_kernel_serves_libbpf_tools_natively() {
        let before = bpf_fds();
        let kernel = kernel_bpf();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("note: not root, the probe proves little: {kernel}");
            return;
        }
        assert_eq!(kernel, KernelBpf::Usable, "{kernel}");
        let (mode, why) = mode_rule::choose(Requested::Auto, &kernel);
        assert_eq!(mode, Mode::Native);
        assert_eq!(why, "native bpf() usable (global data, BTF): auto mode passes through");
        for _ in 0..20 {
            kernel_bpf();
        }
        assert_eq!(bpf_fds(), before, "the probe left bpf objects open");
    }
}
