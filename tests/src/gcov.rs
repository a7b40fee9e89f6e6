//! Line coverage of `bpfdrv.ko` in a guest whose kernel has `CONFIG_GCOV_KERNEL`
//! (`scripts/kernel/nobpf-debug.config`; `driver/Makefile` sets `GCOV_PROFILE`).
//!
//! The build leaves one `.gcno` (the line map) per object next to `driver/`'s sources; the
//! guest exports the matching `.gcda` counters as a base64 tar (a `gcov` section of the
//! serial log); gcc's `gcov` joins the two per source file.

use crate::guest::{repo_root, work_dir};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One source file's executable lines and how many of them ran.
#[derive(Clone, Debug)]
pub struct FileLines {
    /// Path under `driver/`, e.g. `engine/ebpf_interp.c`.
    pub file: String,
    pub hit: u64,
    pub total: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub files: Vec<FileLines>,
}

impl Coverage {
    pub fn hit(&self) -> u64 {
        self.files.iter().map(|f| f.hit).sum()
    }
    pub fn total(&self) -> u64 {
        self.files.iter().map(|f| f.total).sum()
    }
    pub fn percent(&self) -> f64 {
        100.0 * self.hit() as f64 / self.total().max(1) as f64
    }
    /// A markdown table, one row per file, least covered first.
    pub fn table(&self) -> String {
        let mut rows = self.files.clone();
        rows.sort_by(|a, b| (a.hit as f64 / a.total.max(1) as f64).total_cmp(&(b.hit as f64 / b.total.max(1) as f64)));
        let mut s = String::from("| file | lines run | of | % |\n|---|---:|---:|---:|\n");
        for f in rows {
            let _ = writeln!(s, "| `driver/{}` | {} | {} | {:.1} |", f.file, f.hit, f.total, 100.0 * f.hit as f64 / f.total.max(1) as f64);
        }
        let _ = writeln!(s, "| **all** | **{}** | **{}** | **{:.1}** |", self.hit(), self.total(), self.percent());
        s
    }
}

/// Copies the `.gcno` files of the module just built into `target/guest/gcov-<name>/`
/// (keeping `engine/`), so a later build for another kernel cannot replace them.
pub fn snapshot_notes(name: &str) -> PathBuf {
    let driver = repo_root().join("driver");
    let dir = work_dir().join(format!("gcov-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["", "engine"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        let Ok(entries) = std::fs::read_dir(driver.join(sub)) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "gcno") {
                let to = dir.join(sub).join(e.file_name());
                std::fs::copy(&p, &to).unwrap_or_else(|e| panic!("copy {}: {e}", p.display()));
            }
        }
    }
    dir
}

/// Unpacks the guest's `gcov` section (base64 of a gzip'd tar of `.gcda` files; console
/// lines the kernel interleaves are skipped) into `dir`, next to the notes
/// [`snapshot_notes`] kept, and runs `gcov` on every source file of the module.
pub fn line_coverage(section: &str, dir: &Path) -> Result<Coverage, String> {
    let b64: String = section
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut unpack = Command::new("sh")
        .arg("-c")
        .arg("base64 -d | tar -xzf - -C \"$0\"")
        .arg(dir)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("sh: {e}"))?;
    std::io::Write::write_all(unpack.stdin.as_mut().expect("stdin"), b64.as_bytes()).map_err(|e| format!("unpack: {e}"))?;
    drop(unpack.stdin.take());
    let st = unpack.wait().map_err(|e| format!("unpack: {e}"))?;
    if !st.success() {
        return Err(format!("the guest's gcov section does not unpack ({st}; {} bytes of base64)", b64.len()));
    }
    let driver = repo_root().join("driver");
    let mut cov = Coverage::default();
    for sub in ["", "engine"] {
        let mut notes: Vec<_> = std::fs::read_dir(dir.join(sub))
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "gcno"))
            .collect();
        notes.sort();
        for note in notes {
            let stem = note.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let file = if sub.is_empty() { format!("{stem}.c") } else { format!("{sub}/{stem}.c") };
            if !note.with_extension("gcda").exists() {
                return Err(format!("the guest exported no counters for driver/{file}"));
            }
            cov.files.push(file_lines(&driver.join(&file), note.parent().unwrap_or(dir), &file)?);
        }
    }
    if cov.files.is_empty() {
        return Err(format!("no .gcno files in {}: the module was not built with GCOV_PROFILE", dir.display()));
    }
    Ok(cov)
}

/// `gcov -n` prints, per source file involved, `File '<path>'` and `Lines executed:P% of N`;
/// the block of `file` itself (not the headers it includes) is the one counted.
fn file_lines(source: &Path, objdir: &Path, file: &str) -> Result<FileLines, String> {
    let out = Command::new("gcov")
        .arg("-n")
        .arg("-o")
        .arg(objdir)
        .arg(source)
        .current_dir(objdir)
        .output()
        .map_err(|e| format!("gcov (apt-get install gcc): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some(path) = l.strip_prefix("File '").and_then(|p| p.strip_suffix('\'')) else { continue };
        if !path.ends_with(&format!("driver/{file}")) {
            continue;
        }
        let stats = lines.next().unwrap_or_default();
        if stats.starts_with("No executable lines") {
            return Ok(FileLines { file: file.to_string(), hit: 0, total: 0 });
        }
        let (pct, total) = stats
            .strip_prefix("Lines executed:")
            .and_then(|s| s.split_once("% of "))
            .ok_or_else(|| format!("gcov {file}: unexpected line {stats:?}"))?;
        let pct: f64 = pct.parse().map_err(|_| format!("gcov {file}: {stats:?}"))?;
        let total: u64 = total.trim().parse().map_err(|_| format!("gcov {file}: {stats:?}"))?;
        return Ok(FileLines { file: file.to_string(), hit: (pct * total as f64 / 100.0).round() as u64, total });
    }
    Err(format!("gcov printed nothing for driver/{file}: {}{}", text, String::from_utf8_lossy(&out.stderr)))
}
