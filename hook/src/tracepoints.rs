//! Synthetic tracepoints: kernels such as 3.10 x86_64 have no
//! `syscalls:sys_enter_execve` (and clone, fork, vfork, rt_sigreturn, iopl, ...) and no
//! `sock:inet_sock_set_state` (4.16+), so a tool attaching there would fail even with a
//! perfect shim. bpfdrv.ko publishes replacements in debugfs
//! (`/sys/kernel/debug/bpfdrv/events/<category>/<event>/{id,format}`, ids in a range no
//! kernel trace event can have, see driver/synth_tp.c), and this module points the
//! tool's lookups there.
//!
//! The decision, per path, is explicit:
//! - only `<tracefs>/events/syscalls/sys_{enter,exit}_<name>[/<file>]` and
//!   `<tracefs>/events/sock/inet_sock_set_state[/<file>]` under `/sys/kernel/tracing/`
//!   or `/sys/kernel/debug/tracing/` are considered (a byte compare; every other path
//!   goes straight through without allocating);
//! - only in driver mode (a kernel with its own bpf(2) keeps its own events);
//! - only when the kernel's own path does not exist — or, for tests on kernels that
//!   have the event, when `BPFHOOK_HIDE_TRACEPOINTS` names it
//!   (`syscalls:sys_enter_execve,sock:inet_sock_set_state`; the hidden path then
//!   behaves as missing whether or not the module replaces it);
//! - and only when the module's replacement exists (the module is loaded and serves
//!   that event); otherwise the tool sees the kernel's answer (ENOENT) as before.
//!
//! The id the tool then reads is one the module alone serves, so its
//! perf_event_open(PERF_TYPE_TRACEPOINT) lands on the synthetic event in the driver.

use crate::real;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::{Mutex, Once, OnceLock};

pub const HIDE_ENV: &str = "BPFHOOK_HIDE_TRACEPOINTS";
/// Where bpfdrv.ko publishes its synthetic events (debugfs, which 3.10 needs mounted
/// for its own tracing directory anyway).
pub const SYNTH_EVENTS_DIR: &str = "/sys/kernel/debug/bpfdrv/events";

/// The tracing directories libbpf and tools use (tracefs, and debugfs's tracing/).
pub(crate) const TRACING_DIRS: [&[u8]; 2] = [b"/sys/kernel/tracing/", b"/sys/kernel/debug/tracing/"];
const EVENTS: &[u8] = b"events/";

/// Whether an event name (after the category) is one the module serves.
type EventFilter = fn(&[u8]) -> bool;

/// The categories the module can serve events of, each with the events it may serve
/// (driver/attach_syscall_synth.c, driver/attach_sock_synth.c).
const CATEGORIES: [(&[u8], EventFilter); 2] = [
    (b"syscalls", |e| {
        (e.starts_with(b"sys_enter_") || e.starts_with(b"sys_exit_")) && e.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    }),
    (b"sock", |e| e == b"inet_sock_set_state"),
];

/// A path into a synthesizable tracepoint's directory: its category, the event name
/// and the rest (`""`, `"/id"`, `"/format"`, ...).
#[derive(Debug, PartialEq, Eq)]
pub struct TracepointPath<'a> {
    pub category: &'a [u8],
    pub event: &'a [u8],
    pub rest: &'a [u8],
}

/// Parses `path` if it names a synthesizable tracepoint directory or a file in it.
pub fn parse(path: &[u8]) -> Option<TracepointPath<'_>> {
    let tail = TRACING_DIRS.iter().find_map(|d| path.strip_prefix(*d))?;
    let tail = tail.strip_prefix(EVENTS)?;
    let (category, event_ok) = CATEGORIES.iter().find(|(c, _)| tail.starts_with(c) && tail.get(c.len()) == Some(&b'/'))?;
    let tail = &tail[category.len() + 1..];
    let (event, rest) = match tail.iter().position(|&b| b == b'/') {
        Some(i) => tail.split_at(i),
        None => (tail, &b""[..]),
    };
    let event_ok = event_ok(event);
    // Only a file directly in the event directory (id, format, enable, ...).
    let rest_ok = rest.is_empty() || (rest.len() > 1 && !rest[1..].contains(&b'/') && rest != b"/." && rest != b"/..");
    (event_ok && rest_ok).then_some(TracepointPath { category, event, rest })
}

/// The module's replacement for a parsed path.
pub fn synthetic_path(tp: &TracepointPath) -> Vec<u8> {
    let mut p = format!("{SYNTH_EVENTS_DIR}/").into_bytes();
    p.extend_from_slice(tp.category);
    p.push(b'/');
    p.extend_from_slice(tp.event);
    p.extend_from_slice(tp.rest);
    p
}

/// Events named by a `BPFHOOK_HIDE_TRACEPOINTS` value (`category:event`, comma
/// separated), as `category/event`; only events the module may serve are kept.
pub fn parse_hidden(value: &str) -> Vec<Vec<u8>> {
    value
        .split(',')
        .filter_map(|item| item.trim().split_once(':'))
        .filter(|(c, e)| CATEGORIES.iter().any(|(cat, ok)| *cat == c.as_bytes() && ok(e.as_bytes())))
        .map(|(c, e)| format!("{c}/{e}").into_bytes())
        .collect()
}

/// `category/event`, as [`parse_hidden`] names hidden events.
fn qualified(tp: &TracepointPath) -> Vec<u8> {
    [tp.category, b"/", tp.event].concat()
}

/// Does the hook serve a synthetic event in place of one that exists ([`HIDE_ENV`])? Then
/// a path that exists may still be redirected.
pub fn hides_existing() -> bool {
    !hidden().is_empty()
}

fn hidden() -> &'static [Vec<u8>] {
    static HIDDEN: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    HIDDEN.get_or_init(|| std::env::var(HIDE_ENV).map(|v| parse_hidden(&v)).unwrap_or_default())
}

/// Whether to use the replacement: the kernel's path is missing (or hidden) and the
/// module serves the event.
pub fn use_synthetic(real_exists: bool, hidden: bool, synthetic_exists: bool) -> bool {
    hidden || (!real_exists && synthetic_exists)
}

/// Replacement paths handed out, kept for the life of the process (a handful).
fn interned(p: Vec<u8>) -> &'static CStr {
    static PATHS: OnceLock<Mutex<HashMap<Vec<u8>, &'static CStr>>> = OnceLock::new();
    let mut map = PATHS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    map.entry(p.clone()).or_insert_with(|| Box::leak(CString::new(p).unwrap_or_default().into_boxed_c_str()))
}

/// The path to really use for `path`, or `None` to use it unchanged.
///
/// `orig` is the caller's path, already copied by `paths::redirect`.
pub fn redirect(orig: &CStr) -> Option<&'static CStr> {
    let tp = parse(orig.to_bytes())?;
    if crate::mode::get() != crate::mode::Mode::Driver {
        return None;
    }
    let is_hidden = !hidden().is_empty() && hidden().contains(&qualified(&tp));
    let synth = interned(synthetic_path(&tp));
    let real_exists = !is_hidden && real::exists(orig);
    if !use_synthetic(real_exists, is_hidden, real::exists(synth)) {
        return None;
    }
    crate::logging::init();
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        log::info!(
            "tracepoint {} is {}: using bpfdrv's synthetic event in {SYNTH_EVENTS_DIR}",
            String::from_utf8_lossy(&qualified(&tp)).replace('/', ":"),
            if is_hidden { format!("hidden ({HIDE_ENV})") } else { "missing".to_string() }
        )
    });
    log::debug!("{} -> {}", orig.to_string_lossy(), synth.to_string_lossy());
    Some(synth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_syscall_tracepoint_paths_under_both_tracing_dirs() {
        for dir in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
            let p = format!("{dir}/events/syscalls/sys_enter_execve/id");
            assert_eq!(parse(p.as_bytes()), Some(TracepointPath { category: b"syscalls", event: b"sys_enter_execve", rest: b"/id" }));
            let p = format!("{dir}/events/syscalls/sys_exit_clone");
            assert_eq!(parse(p.as_bytes()), Some(TracepointPath { category: b"syscalls", event: b"sys_exit_clone", rest: b"" }));
            let p = format!("{dir}/events/sock/inet_sock_set_state/format");
            assert_eq!(parse(p.as_bytes()), Some(TracepointPath { category: b"sock", event: b"inet_sock_set_state", rest: b"/format" }));
        }
    }

    #[test]
    fn other_paths_are_not_touched() {
        for p in [
            "/sys/kernel/tracing/events/sched/sched_process_exec/id",
            "/sys/kernel/tracing/events/syscalls/enable",
            "/sys/kernel/tracing/events/syscalls/sys_enter_execve/../../x",
            "/sys/kernel/tracing/events/syscalls/sys_enter_execve/a/b",
            "/sys/kernel/tracing/events/syscalls/sys_enter_execve/",
            "/sys/kernel/tracing/events/sock/sock_exceed_buf_limit/id",
            "/sys/kernel/tracing/events/sock/inet_sock_set_state/../x",
            "/sys/kernel/tracing/events/sock/enable",
            "/sys/kernel/tracing/events/sockx/inet_sock_set_state/id",
            "/sys/kernel/tracing/events/sys_enter_execve/id",
            "/sys/kernel/btf/vmlinux",
            "/etc/passwd",
        ] {
            assert_eq!(parse(p.as_bytes()), None, "{p}");
        }
    }

    #[test]
    fn replacement_lives_in_the_modules_debugfs_dir() {
        let tp = parse(b"/sys/kernel/debug/tracing/events/syscalls/sys_exit_execve/format").unwrap();
        assert_eq!(synthetic_path(&tp), b"/sys/kernel/debug/bpfdrv/events/syscalls/sys_exit_execve/format");
        let tp = parse(b"/sys/kernel/tracing/events/sock/inet_sock_set_state/id").unwrap();
        assert_eq!(synthetic_path(&tp), b"/sys/kernel/debug/bpfdrv/events/sock/inet_sock_set_state/id");
    }

    #[test]
    fn hidden_list_keeps_events_the_module_may_serve() {
        assert_eq!(
            parse_hidden("syscalls:sys_enter_execve, syscalls:sys_exit_execve,sched:sched_switch,sock:inet_sock_set_state,sock:x,"),
            vec![b"syscalls/sys_enter_execve".to_vec(), b"syscalls/sys_exit_execve".to_vec(), b"sock/inet_sock_set_state".to_vec()]
        );
        assert!(parse_hidden("").is_empty());
    }

    #[test]
    fn the_real_event_wins_unless_hidden() {
        // (real exists, hidden, synthetic exists) -> use synthetic
        assert!(!use_synthetic(true, false, true), "kernel has it: keep it");
        assert!(use_synthetic(false, false, true), "missing: the module's");
        assert!(!use_synthetic(false, false, false), "missing, module does not serve it: kernel's ENOENT");
        assert!(use_synthetic(true, true, true), "hidden: the module's");
        assert!(use_synthetic(true, true, false), "hidden and not served: missing");
    }
}
