//! The erased path of the async pool: [`Shared::spawn_obj`] spawns a
//! [`TaskObj`] — what `concur::Pool` hands any backend through
//! `Executor::submit_task` — as one async task, with the admission, the
//! guard and the `cancelling` check of a typed task (`spawn_task`, `RunTask`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use concur_core::Error;
use concur_core::backend::TaskObj;

use super::meta::TaskMeta;
use super::sched::Queued;
use super::{Shared, TaskGuard};

impl Shared {
    /// As [`spawn_task`](Shared::spawn_task), for a type-erased task whose
    /// future exists already.
    #[allow(unsafe_code)] // `spawn_raw`
    pub(super) fn spawn_obj(self: &Arc<Self>, task: TaskObj, bounded: bool) -> Result<(), Error> {
        self.accept(bounded)?;
        // SAFETY: the future borrows the metadata it is given (its guard) and
        // owns everything else (`task`: `TaskObj` is `Send + 'static`).
        let runnable = unsafe {
            Self::spawn_raw(TaskMeta::erased(self.clone()), move |meta| {
                let mut guard = TaskGuard::new(&meta.base);
                async move {
                    guard.pick_up();
                    // Acquire: pairs with the store in `shutdown`, as in `RunTask`.
                    if guard.shared().cancelling.load(Ordering::Acquire) {
                        task.future().cancel();
                    }
                    // Dropped unpolled (shutdown), the task cancels its future.
                    task.run(&guard.shared().stats);
                }
            })
        };
        // The erased task's future has a cell of its own (the `TaskObj`'s):
        // the task has none, and nothing keeps it allocated past its run.
        self.sched.push(Queued::new(runnable));
        Ok(())
    }
}
