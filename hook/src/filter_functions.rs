//! `available_filter_functions` where the kernel has none (one built without
//! CONFIG_FUNCTION_TRACER, as the no-bpf test kernels): bpftrace reads it to warn of a
//! kprobe on a function that cannot be traced, and without it warns of every kprobe
//! ("... is not traceable"). In driver mode, where the kernel's own file is missing, a
//! lookup of it is served the kernel's function symbols from /proc/kallsyms in the file's
//! format (`name`, or `name [module]`). That is what kprobes can reach, less what ftrace
//! would also leave out (notrace functions); a kprobe there fails at attach, with its
//! errno, as it would without the warning.

use crate::tracepoints::TRACING_DIRS;
use std::ffi::{CStr, CString};
use std::sync::OnceLock;

const FILE: &[u8] = b"available_filter_functions";
const KALLSYMS: &str = "/proc/kallsyms";

/// Whether `path` names the file in one of the tracing directories.
fn is_filter_functions(path: &[u8]) -> bool {
    TRACING_DIRS.iter().any(|d| path.strip_prefix(*d) == Some(FILE))
}

/// The file's text from /proc/kallsyms' (`address type name [\t[module]]` lines): every
/// text symbol (t or T), in kallsyms' order.
fn from_kallsyms(kallsyms: &str) -> String {
    let mut out = String::with_capacity(kallsyms.len() / 2);
    for line in kallsyms.lines() {
        let mut f = line.split_whitespace();
        let (Some(_), Some("t" | "T"), Some(name)) = (f.next(), f.next(), f.next()) else { continue };
        out.push_str(name);
        if let Some(module) = f.next() {
            out.push(' ');
            out.push_str(module);
        }
        out.push('\n');
    }
    out
}

/// A `/proc/self/fd/N` path holding the served file, made on the first lookup.
fn served() -> Option<&'static CStr> {
    static SERVED: OnceLock<Option<CString>> = OnceLock::new();
    SERVED
        .get_or_init(|| {
            let kallsyms = std::fs::read_to_string(KALLSYMS)
                .map_err(|e| log::warn!("available_filter_functions: cannot read {KALLSYMS} ({e}); the kernel's answer stands"))
                .ok()?;
            crate::btf_extra::anon_path_with(c"bpfhook-available_filter_functions", from_kallsyms(&kallsyms).as_bytes())
        })
        .as_deref()
}

/// What a lookup of `path` is served instead, if it is the missing filter list.
pub fn redirect(path: &CStr) -> Option<&'static CStr> {
    if !is_filter_functions(path.to_bytes()) || crate::mode::get() != crate::mode::Mode::Driver || crate::real::exists(path) {
        return None;
    }
    let served = served()?;
    crate::logging::init();
    log::debug!("{} -> the function symbols of {KALLSYMS}", path.to_string_lossy());
    Some(served)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_file_in_either_tracing_directory_is_served() {
        assert!(is_filter_functions(b"/sys/kernel/tracing/available_filter_functions"));
        assert!(is_filter_functions(b"/sys/kernel/debug/tracing/available_filter_functions"));
        assert!(!is_filter_functions(b"/sys/kernel/tracing/available_filter_functions_addrs"));
        assert!(!is_filter_functions(b"/tmp/available_filter_functions"));
    }

    #[test]
    fn text_symbols_of_the_kernel_and_its_modules_in_the_files_format() {
        let kallsyms = "ffffffff81000000 T _text\n\
                        ffffffff81001000 t do_one_initcall\n\
                        ffffffff82000000 D jiffies\n\
                        ffffffff82000010 r __ksymtab_foo\n\
                        ffffffffc0001000 t ext4_read\t[ext4]\n\
                        ffffffffc0002000 d ext4_data\t[ext4]\n";
        assert_eq!(from_kallsyms(kallsyms), "_text\ndo_one_initcall\next4_read [ext4]\n");
    }
}
