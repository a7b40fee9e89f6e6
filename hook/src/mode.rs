//! Native pass-through or the driver: `BPFHOOK_MODE` = auto (default) | driver | native.
//!
//! auto asks the running kernel once, at the first bpf() call: a harmless
//! `BPF_PROG_GET_NEXT_ID` through the real syscall. ENOSYS means the kernel has no
//! bpf(2) and the driver takes over; any other answer (success, ENOENT, EPERM, EINVAL)
//! means the kernel has its own eBPF and everything passes through.

use crate::real;
use driver_protocol::BPFDRV_CMD_PROG_GET_NEXT_ID;
use std::sync::OnceLock;

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

static MODE: OnceLock<Mode> = OnceLock::new();

/// The mode of this process, decided on first use.
pub fn get() -> Mode {
    *MODE.get_or_init(decide)
}

fn decide() -> Mode {
    crate::logging::init();
    let raw = std::env::var(MODE_ENV).ok();
    let requested = parse(raw.as_deref()).unwrap_or_else(|| {
        log::warn!(
            "{MODE_ENV}={:?} is not one of auto, driver, native; using auto",
            raw.as_deref().unwrap_or("")
        );
        Requested::Auto
    });
    let mode = match requested {
        Requested::Driver => Mode::Driver,
        Requested::Native => Mode::Native,
        Requested::Auto => {
            if kernel_has_bpf() {
                Mode::Native
            } else {
                Mode::Driver
            }
        }
    };
    log::debug!("mode {mode:?} (requested {requested:?})");
    mode
}

/// Whether the kernel implements bpf(2) at all.
fn kernel_has_bpf() -> bool {
    // BPF_PROG_GET_NEXT_ID attr: start_id, next_id, open_flags (+ padding).
    let mut attr = [0u32; 4];
    // SAFETY: real syscall with a valid 16-byte attr buffer.
    let ret = unsafe {
        real::syscall(
            libc::SYS_bpf,
            BPFDRV_CMD_PROG_GET_NEXT_ID as libc::c_long,
            attr.as_mut_ptr() as libc::c_long,
            std::mem::size_of_val(&attr) as libc::c_long,
            0,
            0,
            0,
        )
    };
    let errno = real::errno();
    if ret >= 0 {
        // A next id is no fd, but be safe should a kernel ever return one.
        return true;
    }
    log::debug!("kernel bpf() probe: errno {errno}");
    errno != libc::ENOSYS
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
    fn this_host_kernel_answers_bpf() {
        // The development host and CI run kernels with eBPF (a probe answer other
        // than ENOSYS); a kernel without it makes this test meaningless, not wrong.
        if std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
            assert!(kernel_has_bpf());
        }
    }
}
