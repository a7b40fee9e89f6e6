//! Pinning without bpffs: Debian's bpftool pins a program it loads (`bpftool prog load OBJ
//! PATH`), a second bpftool process finds it by path after the first has exited, a second
//! pin on the same path is refused, `rm` of the path unpins it — on the no-bpf kernel
//! under the hook (the module keeps pins; the hook makes /sys/fs/bpf look like bpffs) as
//! natively on the stock kernel with bpffs mounted.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_pin

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;

const STEPS: &[(&str, &str)] = &[
    ("load", "bpftool prog load /bpfcompat/pin.bpf.o /sys/fs/bpf/bpfcompat_pin"),
    // type and name from the JSON (ids, tags and load times are the kernel's own).
    ("show", "bpftool -j prog show pinned /sys/fs/bpf/bpfcompat_pin | grep -o '\"type\":\"[a-z_]*\",\"name\":\"[a-z_]*\"'"),
    ("pin_again", "bpftool prog load /bpfcompat/pin.bpf.o /sys/fs/bpf/bpfcompat_pin >/dev/null 2>&1; echo status=$?"),
    // coreutils' rm: busybox is static, so no LD_PRELOAD reaches it.
    ("unpin", "/usr/bin/rm /sys/fs/bpf/bpfcompat_pin"),
    ("show_after_unpin", "bpftool prog show pinned /sys/fs/bpf/bpfcompat_pin 2>&1 | grep -o 'No such file or directory'"),
];

fn run(name: &str, kernel: &Kernel, shim: bool) -> GuestRun {
    let (_, obj) = guest::guest_bpf_program("bpftool", "bpftool").unwrap_or_else(|s| panic!("{}", s.0));
    let bpftool = guest::host_tool("bpftool", "bpftool").unwrap_or_else(|s| panic!("{}", s.0));
    let (setup, pre, unload) = if shim {
        ("insmod $MODULE; result insmod $?", "export LD_PRELOAD=$HOOK; ", "rmmod bpfdrv; result rmmod $?")
    } else {
        ("mount -t bpf bpf /sys/fs/bpf; result insmod 0", "", "result rmmod 0")
    };
    let mut body = format!(". /bpfcompat/lib.sh\n{setup}\n");
    for (step, cmd) in STEPS {
        // Each step a new process: pins must outlive the process that made them.
        body.push_str(&format!("({pre}{cmd}) >/tmp/o 2>&1; echo \"exit=$?\" >>/tmp/o; show pin-{step} /tmp/o\n"));
    }
    body.push_str("dmesg | grep bpfdrv >/tmp/d; show bpfdrv-dmesg /tmp/d\n");
    body.push_str(unload);
    body.push('\n');
    let g = Guest::new(name, kernel)
        .binary(&bpftool)
        .binary_at("/usr/bin/rm", "/usr/bin/rm")
        .file(&obj, "/bpfcompat/pin.bpf.o")
        .with_hook(guest::hook_library_for(kernel));
    let g = if shim { g.with_module(guest::bpfdrv_module(kernel)) } else { g };
    g.body(&body).boot()
}

/// The pin steps under the hook on `kernel` as natively on the stock kernel.
fn assert_pins_like_native(name: &str, kernel: &Kernel) {
    require!(guest::host_tool("bpftool", "bpftool"));
    let stock = require!(guest::stock_kernel());
    let shim = run(name, kernel, true);
    let native = run("pin-native", &stock, false);
    for r in [&shim, &native] {
        r.assert_completed();
    }
    let mut problems = Vec::new();
    for (step, _) in STEPS {
        let (s, n) = (shim.expect_section(&format!("pin-{step}")), native.expect_section(&format!("pin-{step}")));
        if !n.contains("exit=0") {
            problems.push(format!("{step}: fails natively (the step is wrong):\n{n}"));
        } else if s.trim() != n.trim() {
            problems.push(format!("{step}: differs\n--- native\n{n}\n--- shim\n{s}"));
        }
    }
    assert!(problems.is_empty(), "{}\nserial log: {}", problems.join("\n"), shim.log_path.display());
    assert!(native.expect_section("pin-show").contains("\"type\":\"raw_tracepoint\""), "{}", native.log);
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");
    // The pin held the program (and the module) until rm: rmmod works after it.
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the unpin");
    shim.assert_kernel_clean();
}

#[test]
fn bpftool_pins_outlive_their_process_and_rm_unpins() {
    let nobpf = require!(guest::nobpf_kernel());
    assert_pins_like_native("pin-shim", &nobpf);
}

/// 3.10 has no /sys/fs/bpf at all: the hook's bpffs view must stand on its own.
#[test]
fn bpftool_pins_on_centos7_like_native() {
    let centos7 = require!(guest::centos7_kernel());
    assert_pins_like_native("pin-centos7", &centos7);
}
