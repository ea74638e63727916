//! Turning a task's panic into [`Error::Panicked`]: the panic-hook wrapper and
//! [`catch_panic`]. The task body around it is in [`backend::task`](crate::backend).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::Error;

thread_local! {
    /// True while `catch_panic` runs a task on this thread.
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
    /// Where the panic being caught happened and its backtrace, as the hook saw them.
    static SEEN: RefCell<Seen> = const { RefCell::new(Seen { location: None, backtrace: None }) };
}

static HOOK: Once = Once::new();

/// What the hook recorded about a task's panic.
struct Seen {
    location: Option<String>,
    backtrace: Option<String>,
}

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
                // Keep where and (when the user asked for backtraces) how, for
                // the task's error; then the hook the application sees.
                let location = info.location().map(ToString::to_string);
                let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
                let backtrace =
                    wanted.then(|| std::backtrace::Backtrace::force_capture().to_string());
                SEEN.with(|s| {
                    if let Ok(mut s) = s.try_borrow_mut() {
                        *s = Seen {
                            location,
                            backtrace,
                        };
                    }
                });
            }
            previous(info);
        }));
    });
}

/// Runs `f`, turning a panic into [`Error::Panicked`] with its message, its
/// location (and the backtrace when `RUST_BACKTRACE` is set). Backends run
/// every task through it. The panic goes through the panic hook first, as a
/// thread's does.
///
/// # Which hook runs
///
/// A task's panic goes through the process's panic hook exactly as a
/// `std::thread::spawn`ed thread's does. The first time a task runs, concur
/// wraps the hook installed at that moment (the default one, or the
/// application's `std::panic::set_hook`): for a panic inside a task the
/// wrapper records where it happened (`file:line:col`, and the backtrace when
/// `RUST_BACKTRACE` asks for one) for the task's [`Error::Panicked`], then
/// calls the wrapped hook, so the default hook prints it on stderr as it would
/// for a thread, and a logging or crash-reporting hook sees it. Panics outside
/// tasks go straight to the wrapped hook.
///
/// Install the application's hook before the first task runs (at the start of
/// `main`). A hook installed later replaces the wrapper: it still sees every
/// task's panic, but the errors then carry no location. To silence task
/// panics on stderr, install a hook that does not print.
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
/// hook has recorded the location and backtrace.
pub(crate) fn unwind<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let seen = SEEN.with(|s| {
            std::mem::replace(
                &mut *s.borrow_mut(),
                Seen {
                    location: None,
                    backtrace: None,
                },
            )
        });
        Error::panicked(payload_message(&*payload), seen.location, seen.backtrace)
    })
}
