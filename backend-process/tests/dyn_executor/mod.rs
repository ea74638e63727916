//! A pool behind `&dyn Executor`, as `concur::Pool` holds a backend: every
//! generic call goes through `submit_task` and the type-erased path
//! (`pool/erased.rs`), whose argument and result cross the same codec.

use std::fmt::Debug;

use concur_core::backend::TaskObj;
use concur_core::{Error, Executor, Payload, Stats};

/// `self.0`, seen only as a `dyn Executor`.
pub(crate) struct Erased<'a>(pub(crate) &'a (dyn Executor + 'a));

impl Executor for Erased<'_> {
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

/// `f(arg())` on `pool` itself and through [`Erased`]: the same outcome,
/// error messages and type names included — erasing the argument and result
/// types changes nothing the codec carries or refuses.
pub(crate) fn same_both_ways<A: Payload, R: Payload + PartialEq + Debug>(
    pool: &impl Executor,
    f: fn(A) -> R,
    arg: impl Fn() -> A,
    what: &str,
) {
    let typed = pool.submit(f, arg()).into_result();
    let erased = Erased(pool).submit(f, arg()).into_result();
    assert_eq!(erased, typed, "{what}");
}
