//! Whether LD_PRELOAD can reach a tool's bpf() calls at all, from its ELF file.
//!
//! The hook serves the calls a program makes through the dynamic libc. A statically
//! linked program (no `PT_INTERP`: no dynamic loader runs, LD_PRELOAD is never read)
//! calls the kernel directly, and so do Go programs that load BPF with cilium/ebpf
//! (raw syscalls through Go's own runtime, even in a dynamically linked binary). Under
//! LD_PRELOAD alone such a tool would meet this kernel's bpf() (ENOSYS) instead of the
//! driver. Go tools that load through libbpf with cgo (libbpfgo) call
//! libc, so LD_PRELOAD still serves those calls; `bpfhook run` runs both kinds under its
//! launcher (launcher/), which serves the raw system calls by tracing the tool.

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Object, ObjectSection};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolKind {
    /// A dynamically linked program (or something that is not ELF, e.g. a script, whose
    /// interpreter decides): LD_PRELOAD applies.
    Dynamic,
    /// A Go program linked dynamically: cgo callers of libbpf are served, cilium/ebpf's raw
    /// syscalls are not.
    DynamicGo,
    /// No ELF interpreter: LD_PRELOAD is never read.
    Static,
}

/// The file `name` runs: itself when it holds a `/`, else the first executable match in
/// `path` (`$PATH`), as execvp looks it up.
pub fn resolve(name: &Path, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if name.as_os_str().to_string_lossy().contains('/') {
        return Some(name.to_path_buf());
    }
    std::env::split_paths(path?).map(|dir| dir.join(name)).find(|p| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// What kind of program `data` (the file's bytes) is.
pub fn classify(data: &[u8]) -> ToolKind {
    let interp = match object::FileKind::parse(data) {
        Ok(object::FileKind::Elf64) => has_interp::<elf::FileHeader64<object::Endianness>>(data),
        Ok(object::FileKind::Elf32) => has_interp::<elf::FileHeader32<object::Endianness>>(data),
        _ => return ToolKind::Dynamic,
    };
    let Some(interp) = interp else { return ToolKind::Dynamic };
    if !interp {
        return ToolKind::Static;
    }
    // Go's linker writes its build information there, in every Go binary since 1.13.
    let go = object::File::parse(data).is_ok_and(|f| f.section_by_name(".go.buildinfo").is_some_and(|s| s.size() > 0));
    if go {
        ToolKind::DynamicGo
    } else {
        ToolKind::Dynamic
    }
}

/// Whether the ELF file has a `PT_INTERP` segment; None when its headers do not parse.
fn has_interp<H: FileHeader<Endian = object::Endianness>>(data: &[u8]) -> Option<bool> {
    let header = H::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let phdrs = header.program_headers(endian, data).ok()?;
    Some(phdrs.iter().any(|p| p.p_type(endian) == elf::PT_INTERP))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// `cc SRC EXTRA... -o OUT` in a temporary directory; None (with the reason printed)
    /// when the C compiler or a static libc is missing.
    fn compile(src: &str, extra: &[&str]) -> Option<(tempfile::TempDir, PathBuf)> {
        let dir = tempfile::tempdir().unwrap();
        let (c, out) = (dir.path().join("t.c"), dir.path().join("t"));
        std::fs::write(&c, src).unwrap();
        let o = Command::new("cc").arg(&c).args(extra).arg("-o").arg(&out).output().ok()?;
        if !o.status.success() {
            eprintln!("skipped: cc {extra:?} failed: {}", String::from_utf8_lossy(&o.stderr));
            return None;
        }
        Some((dir, out))
    }

    #[test]
    fn tells_static_from_dynamic_programs() {
        let main = "int main(void) { return 0; }\n";
        let (_d, dynamic) = compile(main, &[]).expect("cc builds a dynamic program");
        assert_eq!(classify(&std::fs::read(&dynamic).unwrap()), ToolKind::Dynamic);
        if let Some((_d, stat)) = compile(main, &["-static"]) {
            assert_eq!(classify(&std::fs::read(stat).unwrap()), ToolKind::Static);
        }
        // A Go binary's marker section, in a dynamic C program.
        let go = "__attribute__((section(\".go.buildinfo\"), used)) static const char b[32] = \"\\xff Go buildinf:\";\n\
                  int main(void) { return 0; }\n";
        let (_d, go) = compile(go, &[]).expect("cc builds the marker program");
        assert_eq!(classify(&std::fs::read(go).unwrap()), ToolKind::DynamicGo);
        // Scripts and anything else: the interpreter decides, exec reports what fails.
        assert_eq!(classify(b"#!/bin/sh\necho hi\n"), ToolKind::Dynamic);
        assert_eq!(classify(b""), ToolKind::Dynamic);
    }

    #[test]
    fn finds_the_tool_as_execvp_does() {
        let d = tempfile::tempdir().unwrap();
        let tool = d.path().join("tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        assert_eq!(resolve(Path::new("tool"), Some(d.path().as_os_str())), None, "not executable");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(resolve(Path::new("tool"), Some(d.path().as_os_str())), Some(tool.clone()));
        assert_eq!(resolve(Path::new("./x/tool"), None), Some(PathBuf::from("./x/tool")));
        assert_eq!(resolve(Path::new("tool"), None), None);
    }
}
