//! The application's panic hook sees a task's panic, with its location, as it
//! would a thread's; and the task's error carries the same location. One test
//! in its own binary: the hook is process-wide.

use std::panic::{self, Location};
use std::sync::Mutex;

use concur_core::{Error, Executor};
use concur_threads::ThreadPool;

/// What the application's hook saw: (message, location).
static SEEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn explode(n: u32) -> u32 {
    panic!("explode {n}")
}

#[test]
fn the_application_hook_sees_task_panics_with_their_location() {
    // Installed before the first task runs, as a logging or crash-reporting
    // hook would be at the start of `main`.
    panic::set_hook(Box::new(|info| {
        let message = concur_core::payload_message(info.payload());
        let at = info.location().map(ToString::to_string).unwrap_or_default();
        SEEN.lock().unwrap().push((message, at));
    }));
    let line = Location::caller().line();
    let pool = ThreadPool::new(2).unwrap();
    let closure = pool.spawn(|| -> u8 { panic!("closure boom") });
    let err = closure.result(None).unwrap_err();
    let by_fn = pool.submit(explode, 7).result(None).unwrap_err();
    // A panic outside any task still reaches the hook, untouched.
    let outside = std::thread::spawn(|| panic!("plain thread")).join();
    assert!(outside.is_err());
    drop(pool);
    let _ = panic::take_hook();

    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let find = |m: &str| seen.iter().find(|(msg, _)| msg == m).cloned().unwrap();
    let (_, closure_at) = find("closure boom");
    let (_, fn_at) = find("explode 7");
    let (_, thread_at) = find("plain thread");
    let file = file!();
    assert!(
        closure_at.starts_with(&format!("{file}:{}:", line + 2)),
        "{closure_at}"
    );
    assert!(fn_at.starts_with(&format!("{file}:")), "{fn_at}");
    assert!(thread_at.starts_with(&format!("{file}:")), "{thread_at}");

    // The error carries what the hook saw, and says it.
    match &err {
        Error::Panicked {
            message, location, ..
        } => {
            assert_eq!(message, "closure boom");
            assert_eq!(location.as_deref(), Some(closure_at.as_str()));
        }
        other => panic!("expected Panicked, saw {other:?}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("panicked at {closure_at}: closure boom"))
    );
    assert_eq!(by_fn.location(), Some(fn_at.as_str()));
}
