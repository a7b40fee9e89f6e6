//! `bpfhook bcc-headers`: kernel headers bcc can compile against on a kernel built without
//! CONFIG_BPF_SYSCALL.
//!
//! bcc compiles each tool's C at run time against the running kernel's headers, and its
//! helpers.h stops with `#error "CONFIG_BPF_SYSCALL is undefined"` when the kernel's
//! config lacks bpf(). Defining the option for the whole compile would not do: a few
//! structs carry fields only under it (task_struct's and sock's BPF local storage,
//! perf_event's programs), and bcc programs read kernel structs as the running kernel lays
//! them out. So the tree made here is the kernel's own headers, linked (the build tree
//! first, then the source tree, merged as a distribution's headers package merges them),
//! except for
//! - `include/generated/autoconf.h`: a copy that also defines CONFIG_BPF_SYSCALL, for
//!   bcc's check;
//! - every header that names CONFIG_BPF_SYSCALL: a wrapper that includes the real one
//!   with the option undefined (`#pragma push_macro` / `pop_macro`), so the structs are
//!   what this kernel's config makes them.
//!
//! libbpfhook.so points bcc at the tree (`BCC_KERNEL_SOURCE`) when it is at its default
//! place, `/var/lib/bpfhook/bcc/$(uname -r)`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const OPTION: &str = "CONFIG_BPF_SYSCALL";
const AUTOCONF: &str = "include/generated/autoconf.h";

/// The header directories bcc's include path reaches (its `-I` list is under these).
fn header_dirs() -> [String; 2] {
    let arch = if cfg!(target_arch = "x86_64") { "x86" } else { std::env::consts::ARCH };
    ["include".to_string(), format!("arch/{arch}/include")]
}

/// Every file under `roots`' header directories, by path relative to the root; the first
/// root that has a path wins.
fn merged_files(roots: &[PathBuf]) -> BTreeMap<PathBuf, PathBuf> {
    let mut files = BTreeMap::new();
    for root in roots {
        for dir in header_dirs() {
            let mut todo = vec![root.join(&dir)];
            while let Some(d) = todo.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else { continue };
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        todo.push(p);
                    } else if p.is_file() {
                        let rel = p.strip_prefix(root).expect("under root").to_path_buf();
                        files.entry(rel).or_insert(p);
                    }
                }
            }
        }
    }
    files
}

/// Whether a C header's text defines or tests `name` (as a whole word).
fn names(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let after = text[i + name.len()..].chars().next();
        !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '_')
    })
}

/// autoconf.h with the option added, for bcc's check only.
fn autoconf_with_option(real: &str) -> String {
    format!("{real}\n/* bpfhook bcc-headers: for bcc's check only; the headers that use it see it unset. */\n#define {OPTION} 1\n")
}

/// A header that includes `real` with the option as this kernel's config has it (unset).
fn wrapper(real: &Path) -> String {
    format!(
        "/* bpfhook bcc-headers: {real} with {OPTION} unset, as in this kernel's config. */\n\
         #pragma push_macro(\"{OPTION}\")\n#undef {OPTION}\n#include \"{real}\"\n#pragma pop_macro(\"{OPTION}\")\n",
        real = real.display()
    )
}

/// What was made: `None` when the kernel's config has the option (bcc needs no tree).
pub fn make_tree(roots: &[PathBuf], out: &Path) -> Result<Option<usize>, String> {
    let files = merged_files(roots);
    let autoconf = files.get(Path::new(AUTOCONF)).ok_or_else(|| {
        format!(
            "no {AUTOCONF} under {}: not a configured kernel header tree (install the kernel's headers package)",
            roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    })?;
    let autoconf_text = std::fs::read_to_string(autoconf).map_err(|e| format!("{}: {e}", autoconf.display()))?;
    if names(&autoconf_text, OPTION) {
        return Ok(None);
    }
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let mut wrapped = 0;
    for (rel, real) in &files {
        let dst = out.join(rel);
        let parent = dst.parent().expect("relative path has a parent");
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        let made = if rel == Path::new(AUTOCONF) {
            std::fs::write(&dst, autoconf_with_option(&autoconf_text))
        } else if real.extension().is_some_and(|e| e == "h")
            && std::fs::read(real).is_ok_and(|b| names(&String::from_utf8_lossy(&b), OPTION))
        {
            wrapped += 1;
            std::fs::write(&dst, wrapper(real))
        } else {
            std::os::unix::fs::symlink(real, &dst)
        };
        made.map_err(|e| format!("{}: {e}", dst.display()))?;
    }
    Ok(Some(wrapped))
}

pub fn main(kernel_headers: Vec<PathBuf>, out: Option<PathBuf>) -> ExitCode {
    let release = bpfhook_core::paths::kernel_release();
    let roots = if kernel_headers.is_empty() {
        let modules = PathBuf::from(format!("/lib/modules/{release}"));
        let mut r = vec![modules.join("build")];
        // A build tree made with O= keeps the sources apart (Debian's headers packages too).
        if modules.join("source").is_dir() {
            r.push(modules.join("source"));
        }
        r
    } else {
        kernel_headers
    };
    let roots: Vec<PathBuf> = roots.iter().map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone())).collect();
    let out = out.unwrap_or_else(|| PathBuf::from(bpfhook_core::paths::default_bcc_headers(&release)));
    match make_tree(&roots, &out) {
        Ok(None) => {
            println!("bpfhook bcc-headers: this kernel's headers define {OPTION}; bcc compiles against them as they are");
            ExitCode::SUCCESS
        }
        Ok(Some(wrapped)) => {
            println!(
                "bpfhook bcc-headers: {} ({wrapped} headers see {OPTION} unset); libbpfhook.so points bcc at it there, or set BCC_KERNEL_SOURCE={}",
                out.display(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bpfhook bcc-headers: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_are_whole_words() {
        assert!(names("#ifdef CONFIG_BPF_SYSCALL\n", OPTION));
        assert!(names("IS_ENABLED(CONFIG_BPF_SYSCALL)", OPTION));
        assert!(!names("#define CONFIG_BPF_SYSCALL_X 1", OPTION));
    }

    #[test]
    fn a_tree_links_the_headers_wraps_the_ones_naming_the_option_and_defines_it_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (build, source, out) = (tmp.path().join("build"), tmp.path().join("source"), tmp.path().join("out"));
        for (root, rel, text) in [
            (&build, AUTOCONF, "#define CONFIG_SMP 1\n"),
            (&source, "include/linux/sched.h", "#ifdef CONFIG_BPF_SYSCALL\nint storage;\n#endif\n"),
            (&source, "include/linux/types.h", "typedef int s32;\n"),
            (&build, "arch/x86/include/generated/asm/x.h", "x\n"),
            (&source, "drivers/not_a_header_dir.h", "#ifdef CONFIG_BPF_SYSCALL\n"),
        ] {
            std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            std::fs::write(root.join(rel), text).unwrap();
        }
        assert_eq!(make_tree(&[build.clone(), source.clone()], &out), Ok(Some(1)));
        let autoconf = std::fs::read_to_string(out.join(AUTOCONF)).unwrap();
        assert!(autoconf.starts_with("#define CONFIG_SMP 1\n") && autoconf.ends_with("#define CONFIG_BPF_SYSCALL 1\n"));
        let sched = std::fs::read_to_string(out.join("include/linux/sched.h")).unwrap();
        assert!(sched.contains("#undef CONFIG_BPF_SYSCALL\n"), "{sched}");
        assert!(sched.contains(&format!("#include \"{}\"", source.join("include/linux/sched.h").display())));
        assert_eq!(std::fs::read_link(out.join("include/linux/types.h")).unwrap(), source.join("include/linux/types.h"));
        assert!(out.join("arch/x86/include/generated/asm/x.h").exists());
        assert!(!out.join("drivers").exists());
        // A kernel configured with the option needs no tree.
        std::fs::write(build.join(AUTOCONF), "#define CONFIG_BPF_SYSCALL 1\n").unwrap();
        assert_eq!(make_tree(&[build, source], &tmp.path().join("out2")), Ok(None));
        assert!(!tmp.path().join("out2").exists());
    }
}
