//! Builds the portable eBPF engine (driver/engine/*.c) for the host, as a
//! static library linked into the test crate, with warnings as errors.  Also
//! checks that the engine still compiles as C89+GNU (the kernel 3.10 dialect), and
//! builds driver/compat/refcount.h's checked variant for tests/refcount_compat.rs.
use std::path::PathBuf;

const WARN: &[&str] = &[
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wdeclaration-after-statement",
    "-Wvla",
    "-Wmissing-prototypes",
    "-Wstrict-prototypes",
    "-Wshadow",
    "-Wframe-larger-than=1024",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let engine = manifest.join("../driver/engine");
    let host = manifest.join("host");
    println!("cargo:rerun-if-changed={}", engine.display());
    println!("cargo:rerun-if-changed={}", host.display());

    let mut sources: Vec<PathBuf> = std::fs::read_dir(&engine)
        .expect("driver/engine")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "c").unwrap_or(false))
        .collect();
    sources.sort();
    for s in &sources {
        println!("cargo:rerun-if-changed={}", s.display());
    }
    for h in ["ebpf_engine.h", "ebpf_env.h", "ebpf_insn.h", "ebpf_jit.h", "ebpf_skb.h"] {
        println!("cargo:rerun-if-changed={}", engine.join(h).display());
    }

    // UBSAN traps undefined behaviour in every test; the benchmark measures the engine
    // as the module runs it, without (scripts/bench.sh sets BPFCOMPAT_ENGINE_UBSAN=0).
    println!("cargo:rerun-if-env-changed=BPFCOMPAT_ENGINE_UBSAN");
    let ubsan = std::env::var("BPFCOMPAT_ENGINE_UBSAN").map_or(true, |v| v != "0");
    let mut build = cc::Build::new();
    build.include(&engine).flag("-std=gnu11").flag("-fno-strict-aliasing").opt_level(2).warnings(false);
    if ubsan {
        build.flag("-fsanitize=undefined").flag("-fsanitize-undefined-trap-on-error");
        // The same checking build holds every run against the static kinds
        // (host/kinds_oracle.c): a call before each instruction, left out of the benchmark.
        build.define("EBPF_OBSERVE", None);
    }
    for w in WARN {
        build.flag(w);
    }
    for s in &sources {
        build.file(s);
    }
    build.file(host.join("ebpf_host_shim.c"));
    build.file(host.join("kinds_oracle.c"));

    // The kernel dialect of 3.10: -std=gnu89, no mixed declarations.
    let compiler = build.get_compiler();
    for s in &sources {
        let mut cmd = compiler.to_command();
        cmd.arg("-std=gnu89").arg("-fsyntax-only").arg("-I").arg(&engine).args(WARN).arg(s);
        let out = cmd.output().expect("run C compiler");
        if !out.status.success() {
            panic!("{} does not compile as gnu89:\n{}", s.display(), String::from_utf8_lossy(&out.stderr));
        }
    }

    build.compile("ebpf_engine");

    // driver/compat/refcount.h's checked variant, driven by tests/refcount_compat.rs.
    let driver = manifest.join("../driver");
    println!("cargo:rerun-if-changed={}", driver.join("compat/refcount.h").display());
    let mut refcount = cc::Build::new();
    refcount.include(&driver).flag("-std=gnu11").opt_level(2).warnings(false);
    for w in WARN {
        refcount.flag(w);
    }
    refcount.file(host.join("refcount_host.c")).compile("refcount_host");
}
