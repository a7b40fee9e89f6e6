//! `rust-loader`: a small tool as libbpf-rs users write them, run by
//! `tests/tests/guest_rust_loader.rs` natively on the stock kernels and under the hook on the
//! no-bpf ones; the two outputs must be identical.
//!
//! It opens the CO-RE skeleton libbpf-cargo generated from `src/bpf/probe.bpf.c`, sets the
//! process filter in `.rodata` before the load, attaches the kprobe and the tracepoint on
//! getppid, makes [`CALLS`] getppid calls, then reads the ring buffer, the hash map and
//! the `.bss` counter through the skeleton and prints what it found, one line per fact.
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, RingBufferBuilder};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::time::Duration;

mod probe {
    include!(concat!(env!("OUT_DIR"), "/probe.skel.rs"));
}
use probe::*;

/// getppid calls; each fires the kprobe and the tracepoint once.
const CALLS: u64 = 50;
/// The event kinds of probe.bpf.c.
const KINDS: [(u32, &str); 2] = [(1, "kprobe"), (2, "tracepoint")];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut storage = MaybeUninit::uninit();
    let mut open = ProbeSkelBuilder::default().open(&mut storage)?;
    open.maps.rodata_data.as_deref_mut().ok_or("no .rodata in the skeleton")?.target_tgid = std::process::id();
    let mut skel = open.load()?;
    skel.attach()?;
    println!("attached");
    for _ in 0..CALLS {
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    let seen: RefCell<BTreeMap<u32, u64>> = RefCell::new(BTreeMap::new());
    {
        let mut rb = RingBufferBuilder::new();
        rb.add(&skel.maps.events, |data: &[u8]| {
            if let Some(kind) = data.get(..4) {
                *seen.borrow_mut().entry(u32::from_ne_bytes(kind.try_into().unwrap())).or_default() += 1;
            }
            0
        })?;
        let rb = rb.build()?;
        // Every event is in the buffer already; a few polls in case a wakeup is late.
        for _ in 0..20 {
            if seen.borrow().values().sum::<u64>() >= 2 * CALLS {
                break;
            }
            rb.poll(Duration::from_millis(250))?;
        }
    }
    for (kind, name) in KINDS {
        println!("ringbuf {name} events={}", seen.borrow().get(&kind).copied().unwrap_or(0));
        let value = skel.maps.counts.lookup(&kind.to_ne_bytes(), MapFlags::ANY)?;
        let n = value.and_then(|v| Some(u64::from_ne_bytes(v.get(..8)?.try_into().ok()?))).unwrap_or(0);
        println!("map counts[{name}]={n}");
    }
    println!("bss seq={}", skel.maps.bss_data.as_deref().ok_or("no .bss in the skeleton")?.seq);
    println!("done");
    Ok(())
}
