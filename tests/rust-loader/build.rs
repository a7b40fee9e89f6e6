//! Compiles src/bpf/probe.bpf.c with clang and generates its libbpf-rs skeleton.
use libbpf_cargo::SkeletonBuilder;
use std::path::PathBuf;

fn main() {
    let src = "src/bpf/probe.bpf.c";
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("probe.skel.rs");
    // <linux/bpf.h> includes <asm/types.h>, which Debian keeps under the multiarch
    // directory: clang targeting bpf does not look there by itself.
    let multiarch = std::process::Command::new("cc").arg("-print-multiarch").output().expect("run cc -print-multiarch");
    let include = format!("-I/usr/include/{}", String::from_utf8_lossy(&multiarch.stdout).trim());
    SkeletonBuilder::new().source(src).clang_args([include]).build_and_generate(&out).expect("build the BPF skeleton");
    println!("cargo:rerun-if-changed={src}");
}
