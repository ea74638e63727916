//! Turning a task's panic into [`Error::Panicked`]: the quiet panic hook and
//! [`catch_panic`]. The task body around it is in [`backend::task`](crate::backend).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::Error;

thread_local! {
    /// True while `catch_panic` runs a task on this thread.
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
    /// The backtrace captured by the hook for the panic being caught.
    static BACKTRACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_TASK.with(Cell::get) {
                // A task's panic is the task's outcome, reported through its future
                // (Python does not print a task's exception either). Keep the
                // backtrace for the error when the user asked for backtraces.
                let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
                if wanted {
                    let bt = std::backtrace::Backtrace::force_capture().to_string();
                    BACKTRACE.with(|b| *b.borrow_mut() = Some(bt));
                }
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into [`Error::Panicked`] with its message (and the
/// backtrace when `RUST_BACKTRACE` is set). Backends run every task through it.
///
/// ```
/// use concur_core::{catch_panic, Error};
/// assert_eq!(catch_panic(|| 2 + 2), Ok(4));
/// let err = catch_panic(|| -> u8 { panic!("boom") }).unwrap_err();
/// assert!(matches!(err, Error::Panicked { message, .. } if message == "boom"));
/// ```
///
/// # Errors
///
/// [`Error::Panicked`] when `f` panics.
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    in_task(|| unwind(f))
}

/// Runs `f` with this thread marked as running tasks: a panic inside is a
/// task's outcome, kept quiet by the hook (see [`unwind`]).
pub(crate) fn in_task<T>(f: impl FnOnce() -> T) -> T {
    install_hook();
    let was = IN_TASK.with(|t| t.replace(true));
    // `f` only calls `unwind`, which does not let a panic through.
    let out = f();
    IN_TASK.with(|t| t.set(was));
    out
}

/// Runs `f`, its panic as [`Error::Panicked`]; inside [`in_task`], so the
/// hook has kept the backtrace and printed nothing.
pub(crate) fn unwind<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Error::Panicked {
        message: payload_message(&*payload),
        backtrace: BACKTRACE.with(|b| b.borrow_mut().take()),
    })
}
