//! The public eBPF conformance suite's files (`shared/conformance` beside the repository),
//! for the tests that run its programs through the engine and through the plugin.
use std::path::PathBuf;

/// `shared/conformance`, if the suite (its vectors.jsonl) is beside the repository.
pub fn suite_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance"));
    p.join("vectors.jsonl").is_file().then_some(p)
}

/// The records of the suite's `file` (one JSON object a line, blank lines skipped), or
/// None when the suite is not there. Panics on a file it cannot read or parse.
pub fn records(file: &str) -> Option<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(suite_dir()?.join(file)).unwrap();
    Some(text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect())
}
