//! A future's cell embedded in an allocation of the backend's own
//! (`backend::FutureCell`): the release hook runs exactly once, after the
//! last handle, whichever handle that is and on whichever thread it drops;
//! the future behaves as one from `Promise::new`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread::{self, ThreadId};

use concur_core::backend::{FutureCell, ReleaseHook};
use concur_core::{AnyFuture, Error, Future, Promise, ReturnWhen, as_completed, wait};

/// What the test sees of one job's life.
#[derive(Default)]
struct Probe {
    /// Times the release hook ran.
    released: AtomicUsize,
    /// The thread it ran on.
    on: Mutex<Option<ThreadId>>,
}

impl Probe {
    fn released(&self) -> usize {
        self.released.load(Ordering::SeqCst)
    }
}

/// A backend's task with the future's cell inside, and a field of its own
/// before it, as an executor's task would carry its body.
#[repr(C)]
struct Job<T> {
    extra: [u64; 3],
    cell: FutureCell<T>,
    probe: Arc<Probe>,
}

/// # Safety
///
/// `data` is a `Box<Job<T>>` from `Box::into_raw`, whose cell has no handle
/// left.
unsafe fn free_job<T: Send + 'static>(data: *const ()) {
    // SAFETY: as the contract says.
    let job = unsafe { Box::from_raw(data as *mut Job<T>) };
    assert_eq!(job.extra, [1, 2, 3], "the job's own field is intact");
    *job.probe.on.lock().unwrap() = Some(thread::current().id());
    job.probe.released.fetch_add(1, Ordering::SeqCst);
    drop(job);
}

/// A job of our own and the promise of the future in it.
fn job<T: Send + 'static>() -> (Promise<T>, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let job = Box::into_raw(Box::new(Job {
        extra: [1, 2, 3],
        cell: FutureCell::new(),
        probe: probe.clone(),
    }));
    // SAFETY: the job stays in its box until `free_job` frees it, which is
    // sound once on any thread after the last handle; one promise per cell.
    let promise = unsafe {
        (*job)
            .cell
            .promise(ReleaseHook::new(free_job::<T>, job as *const ()))
    };
    (promise, probe)
}

#[test]
fn the_promise_as_last_handle_releases_when_it_completes() {
    let (promise, probe) = job::<u32>();
    drop(promise.future());
    assert_eq!(probe.released(), 0);
    assert!(promise.set_result(1));
    assert_eq!(probe.released(), 1);
}

#[test]
fn a_future_as_last_handle_releases_when_it_drops() {
    let (promise, probe) = job::<String>();
    let a = promise.future();
    let b = a.clone();
    assert!(promise.set_result("done".to_string()));
    assert_eq!(probe.released(), 0, "two futures left");
    assert_eq!(a.result(None).as_deref(), Ok("done"));
    drop(a);
    assert_eq!(probe.released(), 0, "one future left");
    assert_eq!(b.into_result().as_deref(), Ok("done"));
    assert_eq!(probe.released(), 1);
}

#[test]
fn an_erased_future_as_last_handle_releases_when_it_drops() {
    let (promise, probe) = job::<u8>();
    let any: AnyFuture = promise.future().as_any();
    let twin = any.clone();
    assert!(promise.set_error(Error::Shutdown));
    assert_eq!(any.error(), Some(Error::Shutdown));
    let done = wait([&twin], None, ReturnWhen::FirstException);
    assert_eq!(done.done.len(), 1);
    drop(done);
    drop(twin);
    assert_eq!(probe.released(), 0);
    drop(any);
    assert_eq!(probe.released(), 1);
}

#[test]
fn a_callback_holding_a_clone_keeps_the_cell_until_it_is_done() {
    let (promise, probe) = job::<u64>();
    let future = promise.future();
    let (tx, rx) = mpsc::channel();
    let kept = future.clone();
    let seen = probe.clone();
    future.add_done_callback(move |f| {
        // The callback's own clone and its argument are live handles here.
        assert_eq!(seen.released(), 0);
        tx.send((f.result(None), kept.result(None))).unwrap();
        drop(kept);
    });
    drop(future);
    assert!(promise.set_result(9));
    assert_eq!(rx.recv().unwrap(), (Ok(9), Ok(9)));
    assert_eq!(
        probe.released(),
        1,
        "the callback's clone was the last future"
    );
}

#[test]
fn a_clone_a_callback_stashes_is_the_last_handle() {
    let (promise, probe) = job::<u64>();
    let stash: Arc<Mutex<Option<Future<u64>>>> = Arc::default();
    let into = stash.clone();
    promise
        .future()
        .add_done_callback(move |f| *into.lock().unwrap() = Some(f.clone()));
    assert!(promise.set_result(4));
    assert_eq!(
        probe.released(),
        0,
        "the stashed clone outlives the completion"
    );
    let f = stash.lock().unwrap().take().expect("the callback ran");
    assert_eq!(f.result(None), Ok(4));
    drop(f);
    assert_eq!(probe.released(), 1);
}

#[test]
fn the_last_handle_dropped_on_another_thread_releases_there() {
    let (promise, probe) = job::<u64>();
    let future = promise.future();
    let any = future.as_any();
    let reader = thread::spawn(move || {
        let r = future.result(None);
        drop(future);
        (r, thread::current().id())
    });
    assert!(promise.set_result(3));
    let (r, reader_id) = reader.join().unwrap();
    assert_eq!(r, Ok(3));
    let dropper = thread::spawn(move || {
        drop(any);
        thread::current().id()
    });
    let dropper_id = dropper.join().unwrap();
    assert_eq!(probe.released(), 1);
    let on = probe.on.lock().unwrap().expect("released");
    assert_eq!(on, dropper_id);
    assert_ne!(on, reader_id);
}

#[test]
fn a_promise_dropped_uncompleted_cancels_and_releases_after_the_futures() {
    let (promise, probe) = job::<u64>();
    let future = promise.future();
    let waiter = {
        let f = future.clone();
        thread::spawn(move || f.result(None))
    };
    drop(promise);
    assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
    assert!(future.is_cancelled());
    assert_eq!(probe.released(), 0);
    drop(future);
    assert_eq!(probe.released(), 1);
}

#[test]
fn the_value_in_the_cell_is_dropped_once_with_the_job() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (promise, probe) = job::<Counted>();
    let future = promise.future();
    assert!(promise.set_result(Counted(drops.clone())));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the value waits in the cell"
    );
    drop(future);
    assert_eq!(probe.released(), 1);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "dropped with the job, once"
    );

    // Moved out by a consuming read: dropped by its new owner, not the job.
    let drops = Arc::new(AtomicUsize::new(0));
    let (promise, probe) = job::<Counted>();
    let future = promise.future();
    assert!(promise.set_result(Counted(drops.clone())));
    let value = future.take(None).expect("finished");
    drop(future);
    assert_eq!(probe.released(), 1);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "the taker holds it");
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_second_promise_of_a_cell_with_handles_is_refused() {
    let probe = Arc::new(Probe::default());
    let job = Box::into_raw(Box::new(Job::<u8> {
        extra: [1, 2, 3],
        cell: FutureCell::new(),
        probe: probe.clone(),
    }));
    let hook = ReleaseHook::new(free_job::<u8>, job as *const ());
    // SAFETY: as in `job()`.
    let promise = unsafe { (*job).cell.promise(hook) };
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the cell has handles, so the call panics before using the hook.
        let _ = unsafe { (*job).cell.promise(hook) };
    }));
    assert!(again.is_err(), "a cell has one promise");
    // The first promise is unharmed.
    let future = promise.future();
    assert!(promise.set_result(5));
    assert_eq!(future.result(None), Ok(5));
    drop(future);
    assert_eq!(probe.released(), 1);
}

#[test]
fn a_cell_without_a_promise_is_a_plain_value() {
    let cell = FutureCell::<String>::new();
    assert!(format!("{cell:?}").contains("pending"));
    drop(cell);
}

#[test]
fn embedded_futures_mix_with_boxed_ones_in_wait_and_as_completed() {
    let (p1, probe) = job::<u32>();
    let p2 = Promise::<u32>::new();
    let futures = vec![p1.future(), p2.future()];
    assert_eq!(format!("{:?}", futures[0]), format!("{:?}", futures[1]));
    assert_ne!(futures[0], futures[1]);
    assert_eq!(futures[0], futures[0].clone());
    let completer = thread::spawn(move || {
        assert!(p2.set_result(2));
        assert!(p1.set_result(1));
    });
    let mut total = 0;
    for f in as_completed(&futures, None) {
        total += f.unwrap().result(None).unwrap();
    }
    completer.join().unwrap();
    assert_eq!(total, 3);
    drop(futures);
    assert_eq!(probe.released(), 1);
}

#[test]
fn handles_cloned_and_dropped_on_many_threads_release_once() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 200;
    for _ in 0..50 {
        let (promise, probe) = job::<u64>();
        let start = Arc::new(Barrier::new(THREADS + 1));
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let f = promise.future();
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    let any = f.as_any();
                    for _ in 0..ROUNDS {
                        let g = f.clone();
                        let a = any.clone();
                        drop((g, a));
                    }
                    if i % 2 == 0 {
                        assert_eq!(f.result(None), Ok(7));
                    }
                })
            })
            .collect();
        start.wait();
        assert!(promise.set_result(7));
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(probe.released(), 1);
    }
}
