//! [`Erased`]: a pool seen only through the dyn-compatible base of
//! [`Executor`], as `concur::Pool` holds a backend. Every generic call on it
//! (`submit`, `try_submit`, `submit_chunk`, `map`) is the trait's provided
//! one, which makes a [`TaskObj`] and goes through the backend's
//! `submit_task`: the type-erased path, whatever the backend overrides.
//! Backends' tests run the suite through it, or compare both paths.

use std::fmt;
use std::ops::Deref;

use concur_core::backend::TaskObj;
use concur_core::{Error, Executor, Stats};

/// The pool `P` points to (a `&E`, a `&dyn Executor`, a
/// `Box<dyn Executor + Send>`), with only `submit_task`, `try_submit_task`,
/// `max_workers`, `stats` and `shutdown` forwarded: every generic method is
/// the trait's, over `submit_task`. (`map_window` is the trait's default
/// too.)
///
/// ```
/// use concur_conformance::Erased;
/// # use concur_core::{Error, Executor, Stats, StatsCounter, backend::TaskObj};
/// # #[derive(Default)]
/// # struct Inline(StatsCounter);
/// # impl Executor for Inline {
/// #     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
/// #         task.run(&self.0);
/// #         Ok(())
/// #     }
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn stats(&self) -> Stats { self.0.snapshot(1) }
/// #     fn shutdown(&self, _wait: bool, _cancel: bool) {}
/// # }
///
/// fn add(a: u64, b: u64) -> u64 { a + b }
///
/// let pool = Inline::default();
/// assert_eq!(Erased(&pool).submit(add, (1, 2)).result(None), Ok(3));
/// let boxed = Erased(Box::new(pool) as Box<dyn Executor + Send>);
/// assert_eq!(boxed.submit(add, (2, 3)).result(None), Ok(5));
/// ```
pub struct Erased<P>(pub P);

impl<P, E> Executor for Erased<P>
where
    P: Deref<Target = E> + Sync,
    E: Executor + ?Sized,
{
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.0.submit_task(task)
    }
    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.0.try_submit_task(task)
    }
    fn max_workers(&self) -> usize {
        self.0.max_workers()
    }
    fn stats(&self) -> Stats {
        self.0.stats()
    }
    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.0.shutdown(wait, cancel_futures);
    }
}

impl<P> fmt::Debug for Erased<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Erased").finish_non_exhaustive()
    }
}
