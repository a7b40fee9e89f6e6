//! A short libFuzzer run (ASAN + UBSAN) of tests/fuzz/engine_fuzz.c over the
//! checker and the interpreter.  The long run (>= 1M executions) is
//! `scripts/fuzz-engine.sh 1000000`; this one keeps the harness honest in the suite.
use std::process::Command;

#[test]
fn libfuzzer_short_run() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let probe = Command::new("clang").args(["-fsanitize=fuzzer", "-print-file-name=libclang_rt.fuzzer-x86_64.a"]).output();
    let runtime_ok = match &probe {
        Ok(o) => {
            let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
            std::path::Path::new(&p).is_file()
                || std::path::Path::new(&p.replace("libclang_rt.fuzzer-x86_64.a", "linux/libclang_rt.fuzzer-x86_64.a")).exists()
                || Command::new("sh")
                    .args(["-c", "ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a"])
                    .output()
                    .map(|o| o.status.success())
                    .unwrap_or(false)
        }
        Err(_) => false,
    };
    if !runtime_ok {
        println!("SKIPPED: clang with the libFuzzer runtime is not installed (libclang-rt-dev)");
        return;
    }
    let out =
        Command::new(format!("{root}/scripts/fuzz-engine.sh")).args(["30000", "-seed=1"]).output().expect("run scripts/fuzz-engine.sh");
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err.lines().rev().take(30).collect();
    assert!(out.status.success(), "fuzzer found a problem:\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    // libFuzzer can overshoot -runs a little (a clean-clone CI run printed "Done 30288
    // runs"): at least the runs asked for must have executed.
    let done: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("Done ")?.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no 'Done N runs' line:\n{err}"));
    assert!(done >= 30000, "only {done} runs:\n{err}");
    println!("{}", err.lines().filter(|l| l.starts_with("Done") || l.starts_with("stat::")).collect::<Vec<_>>().join("\n"));
}
