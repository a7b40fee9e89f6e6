//! `driver/compat/refcount.h`'s checked reference count, the variant kernels before
//! refcount_t (4.11; 3.10 outside RHEL 7.9) build (issue 14, item 9): compiled for the host
//! by `build.rs` (`tests/host/refcount_host.c`) and driven across its limit. A get at the
//! limit fails with -EBUSY and leaves the count alone, concurrent gets never pass it, and
//! an object being freed (count 0) is never revived.
//!
//!     cargo test --release -p bpfcompat-tests --test refcount_compat

// Links the helper: build.rs attaches librefcount_host.a to the library crate.
extern crate bpfcompat_tests;

use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;

/// `struct bpfdrv_ref` of the checked variant: an `atomic_t`.
#[repr(C)]
#[derive(Default)]
struct Ref {
    counter: AtomicI32,
}

extern "C" {
    fn bpfdrv_host_ref_max() -> i32;
    fn bpfdrv_host_ref_set(r: *const Ref, v: i32);
    fn bpfdrv_host_ref_init(r: *const Ref);
    fn bpfdrv_host_ref_read(r: *const Ref) -> i32;
    fn bpfdrv_host_ref_get(r: *const Ref) -> i32;
    fn bpfdrv_host_ref_get_not_zero(r: *const Ref) -> i32;
    fn bpfdrv_host_ref_put(r: *const Ref) -> bool;
}

const EBUSY: i32 = 16;
const ENOENT: i32 = 2;

fn max() -> i32 {
    unsafe { bpfdrv_host_ref_max() }
}

fn set(r: &Ref, v: i32) {
    unsafe { bpfdrv_host_ref_set(r, v) }
}

fn read(r: &Ref) -> i32 {
    unsafe { bpfdrv_host_ref_read(r) }
}

fn get(r: &Ref) -> i32 {
    unsafe { bpfdrv_host_ref_get(r) }
}

fn get_not_zero(r: &Ref) -> i32 {
    unsafe { bpfdrv_host_ref_get_not_zero(r) }
}

fn put(r: &Ref) -> bool {
    unsafe { bpfdrv_host_ref_put(r) }
}

#[test]
fn the_limit_is_far_below_where_an_int_wraps() {
    assert!(max() > 1 << 20, "limit {} would refuse ordinary use", max());
    assert!(max() <= i32::MAX / 2, "limit {} leaves no room for gets racing past the check", max());
}

#[test]
fn gets_and_puts_count_and_the_last_put_says_so() {
    let r = Ref::default();
    unsafe { bpfdrv_host_ref_init(&r) };
    assert_eq!(read(&r), 1);
    assert_eq!(get(&r), 0);
    assert_eq!(get_not_zero(&r), 0);
    assert_eq!(read(&r), 3);
    assert!(!put(&r));
    assert!(!put(&r));
    assert!(put(&r), "the last put must report it");
    assert_eq!(read(&r), 0);
}

#[test]
fn a_get_at_the_limit_fails_with_ebusy_and_leaves_the_count() {
    let r = Ref::default();
    set(&r, max() - 2);
    assert_eq!(get(&r), 0);
    assert_eq!(get_not_zero(&r), 0);
    assert_eq!(read(&r), max());
    assert_eq!(get(&r), -EBUSY);
    assert_eq!(get_not_zero(&r), -EBUSY);
    assert_eq!(read(&r), max(), "a failed get changed the count");
    // Stuck at the limit forever is no better than wrapping: one put makes room again.
    assert!(!put(&r));
    assert_eq!(get(&r), 0);
    assert_eq!(read(&r), max());
}

#[test]
fn a_count_near_int_max_never_wraps() {
    let r = Ref::default();
    set(&r, i32::MAX);
    assert_eq!(get(&r), -EBUSY);
    assert_eq!(get_not_zero(&r), -EBUSY);
    assert_eq!(read(&r), i32::MAX);
}

#[test]
fn an_object_being_freed_is_not_revived() {
    let r = Ref::default();
    set(&r, 0);
    assert_eq!(get_not_zero(&r), -ENOENT);
    assert_eq!(read(&r), 0);
}

#[test]
fn concurrent_gets_stop_exactly_at_the_limit() {
    const THREADS: usize = 4;
    const TRIES: usize = 20_000;
    const ROOM: i32 = 10_000;
    let r = Ref::default();
    set(&r, max() - ROOM);
    let ok: usize = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let r = &r;
                s.spawn(move || {
                    let mut ok = 0;
                    for _ in 0..TRIES {
                        let e = if i % 2 == 0 { get(r) } else { get_not_zero(r) };
                        match e {
                            0 => ok += 1,
                            e => assert_eq!(e, -EBUSY, "unexpected error"),
                        }
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(ok as i32, ROOM, "{ok} gets succeeded for {ROOM} free references");
    assert_eq!(read(&r), max());
    assert_eq!(r.counter.load(Ordering::SeqCst), max());
}
