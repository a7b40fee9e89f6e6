//! The module's C header is generated from this crate; fail when the committed copy drifts.
use std::path::PathBuf;

#[test]
fn committed_c_header_matches_the_rust_protocol() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let header = crate_dir.join("../driver/bpfdrv_protocol.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new().with_crate(&crate_dir).with_config(config).generate().expect("cbindgen failed").write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    if std::env::var_os("BPFDRV_BLESS").is_some() {
        std::fs::write(&header, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&header).unwrap_or_default();
    assert!(
        committed == generated,
        "driver/bpfdrv_protocol.h is out of date with driver-protocol/src/lib.rs; \
         regenerate it with: BPFDRV_BLESS=1 cargo test -p driver-protocol"
    );
}
