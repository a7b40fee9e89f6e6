//! Diagnostics: `log` + `env_logger`, to stderr, every line prefixed `bpfhook:`.
//!
//! Initialised lazily the first time the hook has something BPF-related to do, so a
//! process that never touches BPF sees no output. Filter from `BPFHOOK_LOG`
//! (env_logger syntax, default `warn`).

use std::io::Write;
use std::sync::Once;

pub const LOG_ENV: &str = "BPFHOOK_LOG";

static INIT: Once = Once::new();

/// Installs the logger once; later calls are free.
pub fn init() {
    INIT.call_once(|| {
        let filter = std::env::var(LOG_ENV).unwrap_or_else(|_| "warn".to_owned());
        let _ = env_logger::Builder::new()
            .parse_filters(&filter)
            .target(env_logger::Target::Stderr)
            .write_style(env_logger::WriteStyle::Never)
            .format(|buf, record| {
                if record.level() <= log::Level::Warn {
                    writeln!(buf, "bpfhook: {}", record.args())
                } else {
                    let level = record.level().as_str().to_ascii_lowercase();
                    writeln!(buf, "bpfhook: {level}: {}", record.args())
                }
            })
            .try_init();
    });
}
