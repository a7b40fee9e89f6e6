//! The device: opened once per process on first use, then the version handshake.
//!
//! The fd is kept for the life of the process (O_CLOEXEC: an exec'd program starts
//! over; a forked child inherits it and keeps using it). When the device cannot be
//! used, one error line says why and every later bpf() fails with the errno the
//! kernel itself would give (ENOSYS: no bpf; EPERM: not allowed).

use crate::real;
use driver_protocol::{bpfdrv_hello, BPFDRV_IOC_HELLO, BPFDRV_PROTOCOL_VERSION};
use std::ffi::{CStr, CString};
use std::sync::OnceLock;

pub const DEVICE_ENV: &str = "BPFHOOK_DEVICE";
pub const DEFAULT_DEVICE: &str = "/dev/bpfdrv";

/// An open, handshaken /dev/bpfdrv.
#[derive(Debug)]
pub struct Driver {
    fd: libc::c_int,
    pub driver_version: u32,
}

/// Why the driver cannot be used, and what bpf() answers instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unusable {
    pub errno: libc::c_int,
}

static DRIVER: OnceLock<Result<Driver, Unusable>> = OnceLock::new();

/// The driver, opening it on first call.
pub fn get() -> Result<&'static Driver, Unusable> {
    DRIVER.get_or_init(open).as_ref().map_err(|e| *e)
}

/// The driver if an earlier call already opened it successfully (never opens).
pub fn active() -> Option<&'static Driver> {
    DRIVER.get().and_then(|r| r.as_ref().ok())
}

impl Driver {
    /// `ioctl(dev, request, arg)`: the ioctl's result, or its errno.
    pub fn ioctl<T: Copy>(&self, request: u32, arg: &mut T) -> Result<libc::c_long, libc::c_int> {
        ioctl(&mut &*self, request, arg)
    }
}

/// Where a request to the driver goes: this process's own fd ([`Driver`]), or the fd of
/// a process `bpfhook run` traces, in whose memory the request must then sit while the
/// driver reads it.
pub trait Port {
    /// `ioctl(fd, request, arg)` with `arg` the request struct's bytes, which afterwards
    /// hold what the driver wrote back: the ioctl's result, or its errno.
    fn ioctl_bytes(&mut self, request: u32, arg: &mut [u8]) -> Result<libc::c_long, libc::c_int>;
}

impl Port for &Driver {
    fn ioctl_bytes(&mut self, request: u32, arg: &mut [u8]) -> Result<libc::c_long, libc::c_int> {
        // SAFETY: `arg` is an exclusively borrowed request struct; the driver checks its
        // `size` field against what it copies.
        let ret = unsafe { libc::ioctl(self.fd, request as libc::Ioctl, arg.as_mut_ptr()) };
        if ret < 0 {
            Err(real::errno())
        } else {
            Ok(ret as libc::c_long)
        }
    }
}

/// [`Port::ioctl_bytes`] on a request struct (plain data: integers only).
pub fn ioctl<T: Copy>(port: &mut impl Port, request: u32, arg: &mut T) -> Result<libc::c_long, libc::c_int> {
    // SAFETY: T is a protocol struct of integers: its bytes may be read and overwritten.
    let bytes = unsafe { std::slice::from_raw_parts_mut((arg as *mut T).cast::<u8>(), std::mem::size_of::<T>()) };
    port.ioctl_bytes(request, bytes)
}

/// The device: `$BPFHOOK_DEVICE`, else /dev/bpfdrv.
pub fn device_path() -> CString {
    let path = std::env::var_os(DEVICE_ENV)
        .filter(|p| !p.is_empty())
        .map(std::os::unix::ffi::OsStringExt::into_vec)
        .unwrap_or_else(|| DEFAULT_DEVICE.as_bytes().to_vec());
    CString::new(path).unwrap_or_else(|_| CString::new(DEFAULT_DEVICE).unwrap())
}

fn open() -> Result<Driver, Unusable> {
    crate::logging::init();
    let path = device_path();
    let fd = real::open_file(&path, libc::O_RDWR | libc::O_CLOEXEC).map_err(|e| {
        let errno = open_failure_errno(e);
        log::error!("{}", open_failure_message(&path, e));
        Unusable { errno }
    })?;
    let driver = handshake(fd, &path);
    if driver.is_err() {
        // SAFETY: our own fd, not shared with anyone yet.
        unsafe { libc::close(fd) };
    }
    driver
}

fn handshake(fd: libc::c_int, path: &CStr) -> Result<Driver, Unusable> {
    let mut driver = Driver { fd, driver_version: 0 };
    let mut hello = hello_request();
    match driver.ioctl(BPFDRV_IOC_HELLO, &mut hello) {
        Ok(_) => {
            driver.driver_version = hello.driver_version;
            log::debug!("{}: bpfdrv protocol version {} (fd {fd})", path.to_string_lossy(), hello.driver_version);
            Ok(driver)
        }
        Err(e) => {
            log::error!("{}", handshake_failure_message(path, e, &hello));
            Err(Unusable { errno: libc::ENOSYS })
        }
    }
}

/// The first request on a fresh fd.
pub fn hello_request() -> bpfdrv_hello {
    bpfdrv_hello { size: std::mem::size_of::<bpfdrv_hello>() as u32, version: BPFDRV_PROTOCOL_VERSION, driver_version: 0, reserved: 0 }
}

/// What bpf() answers when the device could not be opened with `errno`.
pub fn open_failure_errno(errno: libc::c_int) -> libc::c_int {
    match errno {
        libc::EACCES | libc::EPERM => libc::EPERM,
        _ => libc::ENOSYS,
    }
}

pub fn open_failure_message(path: &CStr, errno: libc::c_int) -> String {
    let path = path.to_string_lossy();
    match errno {
        libc::ENOENT => format!(
            "{path} is missing: the bpfdrv kernel module is not loaded \
             (load it with 'modprobe bpfdrv' or 'insmod bpfdrv.ko')"
        ),
        libc::ENXIO | libc::ENODEV => format!(
            "{path} has no driver behind it: the bpfdrv kernel module is not loaded \
             (load it with 'modprobe bpfdrv' or 'insmod bpfdrv.ko')"
        ),
        libc::EACCES | libc::EPERM => format!(
            "permission denied opening {path}: eBPF tools need root \
             (or read-write access to {path})"
        ),
        e => format!("cannot open {path}: {}", std::io::Error::from_raw_os_error(e)),
    }
}

pub fn handshake_failure_message(path: &CStr, errno: libc::c_int, reply: &bpfdrv_hello) -> String {
    let path = path.to_string_lossy();
    match errno {
        libc::EPROTO => format!(
            "protocol version mismatch: libbpfhook.so speaks bpfdrv protocol version {}, \
             the loaded bpfdrv.ko speaks version {}; install a libbpfhook.so and bpfdrv.ko \
             from the same release",
            BPFDRV_PROTOCOL_VERSION, reply.driver_version
        ),
        e => format!("{path} did not answer the bpfdrv handshake ({}): it is not a bpfdrv device", std::io::Error::from_raw_os_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_carries_size_and_version() {
        let h = hello_request();
        assert_eq!(h.size, 16);
        assert_eq!(h.version, BPFDRV_PROTOCOL_VERSION);
        assert_eq!((h.driver_version, h.reserved), (0, 0));
    }

    #[test]
    fn open_failures_map_to_kernel_errnos() {
        assert_eq!(open_failure_errno(libc::ENOENT), libc::ENOSYS);
        assert_eq!(open_failure_errno(libc::ENXIO), libc::ENOSYS);
        assert_eq!(open_failure_errno(libc::EACCES), libc::EPERM);
        assert_eq!(open_failure_errno(libc::EPERM), libc::EPERM);
    }

    #[test]
    fn messages_say_what_to_do() {
        let p = c"/dev/bpfdrv";
        let m = open_failure_message(p, libc::ENOENT);
        assert!(m.contains("/dev/bpfdrv is missing: the bpfdrv kernel module is not loaded"), "{m}");
        assert!(m.contains("modprobe bpfdrv"), "{m}");
        assert!(open_failure_message(p, libc::EACCES).contains("permission denied"));
        let reply = bpfdrv_hello { driver_version: 7, ..Default::default() };
        let m = handshake_failure_message(p, libc::EPROTO, &reply);
        assert!(m.contains(&format!("version {BPFDRV_PROTOCOL_VERSION}")) && m.contains("version 7"), "{m}");
    }
}
