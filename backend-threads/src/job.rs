//! A queued task: the user's body and the promise it completes, boxed once.
//!
//! A [`Job`] is what sits in the deques. Whoever takes it out decides its fate
//! with an [`Action`]: a worker runs it, `shutdown(cancel_futures = true)`
//! cancels it, a broken pool fails it. Every path moves the promise to a final
//! state and bumps exactly one of the pool's counters, so `stats()` adds up.

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};

use concur_core::backend::task;
use concur_core::{Error, Promise, StatsCounter};

/// What to do with a job taken out of a queue.
#[derive(Debug)]
pub(crate) enum Action {
    /// Run the body on this thread (unless its future was cancelled meanwhile).
    Run,
    /// Drop the body unrun; its future becomes cancelled.
    Cancel,
    /// Drop the body unrun; its future fails with this error.
    Fail(Error),
}

/// Bytes a job keeps inline, in the deque slot itself, before it needs a box.
/// Three words hold `submit`'s common case: the function pointer, a word-sized
/// argument and the promise.
type Storage = MaybeUninit<[usize; 3]>;

/// Runs (`Some`) or drops (`None`) the closure stored in a job's `Storage`.
type Call = unsafe fn(*mut Storage, Option<(Action, &StatsCounter)>);

/// One task: a type-erased `FnOnce(Action, &StatsCounter)`, stored inline when
/// it fits in three words (no allocation beyond the future's own), boxed
/// otherwise. `'a` is `'static` except inside [`scope`](crate::Scope), which
/// erases it (see scope.rs for why that is sound).
///
/// The closure is owned by the job: it is consumed by [`execute`](Job::execute)
/// or dropped by `Drop`, exactly once, through `call`.
pub(crate) struct Job<'a> {
    /// Monomorphized for the stored closure: `call_inline::<F>` or `call_boxed::<F>`.
    call: Call,
    /// The closure `F` itself, or a `Box<F>`.
    data: Storage,
    /// Borrows of the closure; `*mut` removes the auto traits (see the impls below).
    _marker: PhantomData<(&'a (), *mut ())>,
}

// SAFETY: every constructor requires the closure to be `Send`, and a job only
// hands its closure to the thread that owns the job.
unsafe impl Send for Job<'_> {}

impl std::fmt::Debug for Job<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// # Safety
///
/// `data` holds a valid `F`, which this call consumes.
unsafe fn call_inline<F: FnOnce(Action, &StatsCounter)>(
    data: *mut Storage,
    run: Option<(Action, &StatsCounter)>,
) {
    // SAFETY: the caller guarantees `data` holds an `F` (written by `from_fn`,
    // suitably sized and aligned) that nobody else reads again.
    let f = unsafe { data.cast::<F>().read() };
    if let Some((action, stats)) = run {
        f(action, stats);
    }
}

/// # Safety
///
/// `data` holds a valid `Box<F>`, which this call consumes.
unsafe fn call_boxed<F: FnOnce(Action, &StatsCounter)>(
    data: *mut Storage,
    run: Option<(Action, &StatsCounter)>,
) {
    // SAFETY: as `call_inline`, with a `Box<F>` stored.
    let f = unsafe { data.cast::<Box<F>>().read() };
    if let Some((action, stats)) = run {
        f(action, stats);
    }
}

impl<'a> Job<'a> {
    /// A job that runs `body` and completes `promise` with its value, or with
    /// [`Error::Panicked`] if it panics.
    #[inline]
    pub(crate) fn new<R, F>(body: F, promise: Promise<R>) -> Self
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'a,
    {
        Self::from_fn(move |action, stats: &StatsCounter| execute(body, promise, action, stats))
    }

    /// A job from a raw closure.
    #[inline]
    pub(crate) fn from_fn<F>(f: F) -> Self
    where
        F: FnOnce(Action, &StatsCounter) + Send + 'a,
    {
        let mut data = Storage::uninit();
        let fits =
            size_of::<F>() <= size_of::<Storage>() && align_of::<F>() <= align_of::<Storage>();
        let call: Call = if fits {
            // SAFETY: `F` fits in `data` (size and alignment checked above).
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
            call_inline::<F>
        } else {
            const { assert!(size_of::<Box<()>>() <= size_of::<Storage>()) };
            // SAFETY: a `Box` of a sized type is one pointer, which fits.
            unsafe { data.as_mut_ptr().cast::<Box<F>>().write(Box::new(f)) };
            call_boxed::<F>
        };
        Job {
            call,
            data,
            _marker: PhantomData,
        }
    }

    /// Carries out `action`, counting the outcome in `stats`.
    #[inline]
    pub(crate) fn execute(self, action: Action, stats: &StatsCounter) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the closure `call` was made for, and `this` is
        // not dropped, so the closure is consumed exactly once, here.
        unsafe { (this.call)(&mut this.data, Some((action, stats))) }
    }

    /// The same job with its borrows' lifetime erased, for `scope`.
    ///
    /// # Safety
    ///
    /// The caller makes sure the job is executed or dropped before `'a` ends.
    pub(crate) unsafe fn erase(self) -> Job<'static> {
        let this = ManuallyDrop::new(self);
        Job {
            call: this.call,
            data: this.data,
            _marker: PhantomData,
        }
    }
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        // SAFETY: `data` holds the closure `call` was made for; `execute` and
        // `erase` forget the job, so this is the only other consumer.
        unsafe { (self.call)(&mut self.data, None) }
    }
}

#[inline]
fn execute<R, F>(body: F, promise: Promise<R>, action: Action, stats: &StatsCounter)
where
    R: Send + 'static,
    F: FnOnce() -> R,
{
    match action {
        Action::Run => {
            task::run(promise, stats, body);
        }
        Action::Cancel => {
            drop(body);
            task::cancel(promise, stats);
        }
        Action::Fail(error) => {
            drop(body);
            task::fail(promise, stats, error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_counts_once() {
        let stats = StatsCounter::default();
        let p = Promise::new();
        let ok = p.future();
        Job::new(|| 1, p).execute(Action::Run, &stats);
        let p = Promise::<u8>::new();
        let panicked = p.future();
        Job::new(|| panic!("boom"), p).execute(Action::Run, &stats);
        let p = Promise::new();
        let cancelled = p.future();
        Job::new(|| 3, p).execute(Action::Cancel, &stats);
        let p = Promise::new();
        let failed = p.future();
        Job::new(|| 4, p).execute(Action::Fail(Error::Shutdown), &stats);
        let p = Promise::new();
        let pre_cancelled = p.future();
        assert!(pre_cancelled.cancel());
        Job::new(|| 5, p).execute(Action::Run, &stats);
        let p = Promise::new();
        let dropped = p.future();
        drop(Job::new(|| 6, p));
        let big = [7u64; 16];
        let p = Promise::new();
        let boxed = p.future();
        Job::new(move || big.iter().sum::<u64>(), p).execute(Action::Run, &stats);

        assert_eq!(ok.result(None), Ok(1));
        assert!(matches!(panicked.result(None), Err(Error::Panicked { .. })));
        assert_eq!(cancelled.result(None), Err(Error::Cancelled));
        assert_eq!(failed.result(None), Err(Error::Shutdown));
        assert_eq!(pre_cancelled.result(None), Err(Error::Cancelled));
        assert_eq!(dropped.result(None), Err(Error::Cancelled));
        assert_eq!(boxed.result(None), Ok(112));
        let s = stats.snapshot(0);
        assert_eq!((s.completed, s.failed, s.cancelled), (2, 2, 2));
    }
}
