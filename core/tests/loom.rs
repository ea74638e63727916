//! Loom models of the future state machine (`core/src/state.rs`): every
//! interleaving of two or three threads, and every weak-memory outcome loom
//! can produce, for the races a future lives through. Built only with
//! `RUSTFLAGS="--cfg loom"`: run them with `cargo xtask loom`.
//!
//! Each model asserts the contract, not the implementation: exactly one of
//! complete / cancel wins; a waiter registered while the future completes
//! wakes (a lost wake-up is a deadlock loom reports); a callback runs exactly
//! once; a consuming read and a clone's read never both see the value moved
//! and never race on it (loom checks the value slot's accesses); dropping the
//! last promise handle ends every waiter; the release hook of an embedded
//! cell runs once, after every handle's last use of it, whichever handle
//! drops last.
#![cfg(loom)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use concur_core::backend::{FutureCell, ReleaseHook};
use concur_core::{Error, Promise, ReturnWhen, as_completed, wait};
use loom::thread;

/// `loom::model`, exhaustive unless `LOOM_MAX_PREEMPTIONS` bounds it
/// (`cargo xtask loom --bounded` sets 2 for a quick run).
fn model(f: impl Fn() + Sync + Send + 'static) {
    loom::model::Builder::new().check(f);
}

/// `model`, but with at most `cap` preemptions even in the exhaustive run:
/// for a three-thread model whose exhaustive search does not end in a CI
/// budget now that every handle's count is a loom atomic too (one model took
/// 78 s before the cell counted its own handles and had not ended after 23
/// minutes since; with 5 preemptions it ends in about 2 minutes in release).
fn model_capped(cap: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(builder.preemption_bound.map_or(cap, |n| n.min(cap)));
    builder.check(f);
}

#[test]
fn complete_races_cancel_and_exactly_one_wins() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let canceller = {
            let f = f.clone();
            thread::spawn(move || f.cancel())
        };
        let completed = p.set_result(7u32);
        let cancelled = canceller.join().unwrap();
        assert!(completed != cancelled, "exactly one wins");
        let expected = if cancelled {
            Err(Error::Cancelled)
        } else {
            Ok(7)
        };
        assert_eq!(f.result(None), expected);
        assert!(f.is_done());
    });
}

#[test]
fn set_running_races_cancel() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let canceller = {
            let f = f.clone();
            thread::spawn(move || f.cancel())
        };
        let running = p.set_running();
        let cancelled = canceller.join().unwrap();
        assert!(
            running != cancelled,
            "a task runs or is cancelled, never both"
        );
        if running {
            assert!(p.set_result(1u8));
            assert_eq!(f.result(None), Ok(1));
        } else {
            assert!(!p.set_result(1u8), "a cancelled future takes no result");
            assert_eq!(f.result(None), Err(Error::Cancelled));
        }
    });
}

#[test]
fn a_parked_waiter_registered_during_completion_wakes() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let waiter = thread::spawn(move || f.result(None));
        p.set_result(5u8);
        assert_eq!(waiter.join().unwrap(), Ok(5));
    });
}

#[test]
fn wait_registered_during_completion_sees_it() {
    model(|| {
        let p = Promise::new();
        let futures = vec![p.future()];
        let waiter = thread::spawn(move || {
            let done = wait(&futures, None, ReturnWhen::AllCompleted);
            (done.done.len(), done.not_done.len())
        });
        p.set_result(1u8);
        assert_eq!(waiter.join().unwrap(), (1, 0));
    });
}

#[test]
fn as_completed_registered_during_completion_yields_it() {
    model(|| {
        let p = Promise::new();
        let futures = vec![p.future()];
        let waiter = thread::spawn(move || {
            let got: Vec<_> = as_completed(&futures, None).collect();
            got.len() == 1 && got[0].as_ref().is_ok_and(|f| f.result(None) == Ok(3))
        });
        p.set_result(3u8);
        assert!(waiter.join().unwrap());
    });
}

#[test]
fn a_callback_registered_during_completion_runs_exactly_once() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let runs = Arc::new(AtomicUsize::new(0));
        let registrar = {
            let runs = runs.clone();
            thread::spawn(move || {
                f.add_done_callback(move |f| {
                    assert_eq!(f.result(None), Ok(9));
                    runs.fetch_add(1, Ordering::SeqCst);
                });
            })
        };
        p.set_result(9u8);
        registrar.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn the_consuming_read_and_a_clone_read_never_race() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let g = f.clone();
        p.set_result(String::from("v"));
        let reader = thread::spawn(move || g.result(None));
        let taken = f.into_result();
        let read = reader.join().unwrap();
        assert_eq!(
            taken,
            Ok(String::from("v")),
            "the consuming read gets the value"
        );
        match read {
            Ok(v) => assert_eq!(v, "v"),
            Err(Error::InvalidState { .. }) => {}
            other => panic!("a clone's read is the value or `moved out`, saw {other:?}"),
        }
    });
}

#[test]
fn the_consuming_read_races_completion() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let completer = thread::spawn(move || p.set_result(4u16));
        assert_eq!(f.into_result(), Ok(4));
        assert!(completer.join().unwrap());
    });
}

#[test]
fn dropping_the_last_promise_wakes_a_waiter_with_cancelled() {
    model(|| {
        let p = Promise::<u8>::new();
        let f = p.future();
        let waiter = {
            let f = f.clone();
            thread::spawn(move || f.result(None))
        };
        drop(p);
        assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
        assert!(f.is_cancelled());
    });
}

#[test]
fn dropping_a_running_promise_fails_the_future_broken() {
    model(|| {
        let p = Promise::<u8>::new();
        let f = p.future();
        assert!(p.set_running());
        let dropper = thread::spawn(move || drop(p));
        assert!(matches!(f.result(None), Err(Error::Broken { .. })));
        dropper.join().unwrap();
    });
}

#[test]
fn dropping_the_last_promise_races_cancel() {
    model(|| {
        let p = Promise::<u8>::new();
        let f = p.future();
        let canceller = {
            let f = f.clone();
            thread::spawn(move || f.cancel())
        };
        drop(p);
        // Whoever comes first cancels; `cancel` on a cancelled future is true.
        assert!(canceller.join().unwrap());
        assert_eq!(f.result(None), Err(Error::Cancelled));
    });
}

#[test]
fn completion_wakes_a_parked_thread_and_runs_a_callback_registered_at_once() {
    model_capped(5, || {
        let p = Promise::new();
        let f = p.future();
        let runs = Arc::new(AtomicUsize::new(0));
        let waiter = {
            let f = f.clone();
            thread::spawn(move || f.result(None))
        };
        let registrar = {
            let runs = runs.clone();
            thread::spawn(move || {
                f.add_done_callback(move |_| {
                    runs.fetch_add(1, Ordering::SeqCst);
                });
            })
        };
        p.set_result(6u8);
        assert_eq!(waiter.join().unwrap(), Ok(6));
        registrar.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

/// A backend's task with the future's cell embedded (`backend::FutureCell`),
/// and a field of its own that every handle holder reads and the release
/// hook writes: loom reports a data race unless every holder's read happens
/// before the hook (the count's Release decrements and the last one's
/// Acquire fence).
struct Job {
    own: loom::cell::UnsafeCell<u32>,
    cell: FutureCell<u32>,
    released: Arc<AtomicUsize>,
}

/// # Safety
///
/// `data` is a `Box<Job>` from `Box::into_raw` whose cell has no handle left.
unsafe fn free_job(data: *const ()) {
    // SAFETY: as the contract says.
    let job = unsafe { Box::from_raw(data as *mut Job) };
    // SAFETY: loom checks this write against every holder's read.
    job.own.with_mut(|p| unsafe { *p = 0 });
    job.released.fetch_add(1, Ordering::SeqCst);
}

/// A job (as an address, to cross threads) and its promise.
fn job(released: &Arc<AtomicUsize>) -> (usize, Promise<u32>) {
    let job = Box::into_raw(Box::new(Job {
        own: loom::cell::UnsafeCell::new(7),
        cell: FutureCell::new(),
        released: released.clone(),
    }));
    // SAFETY: the job stays in its box until `free_job` frees it, once, on
    // any thread, after the last handle; one promise per cell.
    let promise = unsafe {
        (*job)
            .cell
            .promise(ReleaseHook::new(free_job, job as *const ()))
    };
    (job as usize, promise)
}

/// What a handle holder does with the job: reads its own field.
///
/// # Safety
///
/// The caller holds a handle of the job's cell.
unsafe fn touch(job: usize) -> u32 {
    // SAFETY: the caller's handle keeps the job alive.
    let job = unsafe { &*(job as *const Job) };
    // SAFETY: only the release hook writes it, after the last handle.
    job.own.with(|p| unsafe { *p })
}

#[test]
fn the_last_handle_dropped_by_the_completer_or_a_reader_releases_once() {
    model(|| {
        let released = Arc::new(AtomicUsize::new(0));
        let (job, p) = job(&released);
        let f = p.future();
        let reader = thread::spawn(move || {
            let r = f.result(None);
            // SAFETY: `f` is a handle of the job's cell.
            assert_eq!(unsafe { touch(job) }, 7);
            drop(f);
            r
        });
        // SAFETY: `p` is a handle of the job's cell.
        assert_eq!(unsafe { touch(job) }, 7);
        assert!(p.set_result(2));
        assert_eq!(reader.join().unwrap(), Ok(2));
        assert_eq!(released.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn an_erased_handle_and_a_dropped_promise_race_to_release() {
    model(|| {
        let released = Arc::new(AtomicUsize::new(0));
        let (job, p) = job(&released);
        let any = p.future().as_any();
        let dropper = thread::spawn(move || {
            // SAFETY: `any` is a handle of the job's cell.
            assert_eq!(unsafe { touch(job) }, 7);
            let cancelled = any.is_cancelled();
            drop(any);
            cancelled
        });
        // The promise dropped uncompleted: the future is cancelled.
        drop(p);
        dropper.join().unwrap();
        assert_eq!(released.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_callback_holding_a_clone_while_the_others_drop_releases_once() {
    model(|| {
        let released = Arc::new(AtomicUsize::new(0));
        let (job, p) = job(&released);
        let f = p.future();
        let registrar = thread::spawn(move || {
            let kept = f.clone();
            // Runs here (already done) or on the completer; either way it
            // holds `kept` and its argument while the others drop theirs.
            f.add_done_callback(move |g| {
                assert_eq!(g.result(None), Ok(3));
                // SAFETY: `kept` is a handle of the job's cell.
                assert_eq!(unsafe { touch(job) }, 7);
                drop(kept);
            });
            drop(f);
        });
        assert!(p.set_result(3));
        registrar.join().unwrap();
        assert_eq!(released.load(Ordering::SeqCst), 1);
    });
}
