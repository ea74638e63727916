//! The messages and the equality of [`Error`]: every variant says what
//! happened and what to do, and `==` compares what a caller acts on.

use super::{Error, ExitStatus, LostCause};

/// Every variant's message: what happened (the context it carries) and
/// what to do (a fragment of the advice).
#[test]
fn every_message_says_what_and_what_to_do() {
    let cases: Vec<(Error, &[&str])> = vec![
        (
            Error::Cancelled,
            &["cancelled before its task started", "submit the task again"],
        ),
        (Error::Timeout, &["deadline passed", "wait again"]),
        (
            Error::panicked("boom", Some("src/a.rs:3:5".into()), None),
            &["panicked at src/a.rs:3:5: boom", "RUST_BACKTRACE=1"],
        ),
        (
            Error::worker_lost(42, ExitStatus::Signal(9)),
            &[
                "worker process 42 died (signal 9) while it held the task;",
                "replaced the worker and goes on",
                "out-of-memory",
                "give the pool `retries`",
            ],
        ),
        (
            Error::worker_lost(7, ExitStatus::Code(3)),
            &["worker process 7 died (exit code 3)"],
        ),
        (
            Error::worker_lost(7, ExitStatus::Unknown),
            &["(unknown exit status)"],
        ),
        (
            Error::WorkerLost {
                pid: 8,
                status: ExitStatus::Signal(9),
                attempts: 4,
                cause: LostCause::Died,
            },
            &[
                "worker process 8 died (signal 9)",
                "started 4 times, each time on a worker that was lost;",
                "needs fixing, not more retries",
            ],
        ),
        (
            Error::WorkerLost {
                pid: 9,
                status: ExitStatus::Signal(6),
                attempts: 1,
                cause: LostCause::StackOverflow,
            },
            &[
                "worker process 9 died (signal 6)",
                "overflowed the worker's stack",
                "stack_size",
            ],
        ),
        (
            Error::WorkerLost {
                pid: 10,
                status: ExitStatus::Signal(9),
                attempts: 2,
                cause: LostCause::Misbehaved {
                    reason: "a truncated frame".into(),
                },
            },
            &[
                "worker process 10 was killed by the pool (signal 9)",
                "as it misbehaved: a truncated frame;",
                "started 2 times",
                "the pool's descriptors",
            ],
        ),
        (Error::Shutdown, &["shut down", "create a new pool"]),
        (
            Error::broken("an initializer panicked"),
            &["an initializer panicked", "create a"],
        ),
        (
            Error::Encode {
                type_name: "Foo".into(),
                message: "nope".into(),
            },
            &["`Foo`", "nope", "`Serialize`"],
        ),
        (
            Error::capturing_closure("app::main::{{closure}}"),
            &[
                "task function `app::main::{{closure}}`",
                "captures values",
                "pass a `fn` item",
                "as arguments",
                "thread or async pool",
            ],
        ),
        (
            Error::Decode {
                type_name: "Bar".into(),
                message: "short".into(),
            },
            &["`Bar`", "short", "same build", "self-describing"],
        ),
        (
            Error::invalid_state("the value was moved out"),
            &["future's state", "moved out"],
        ),
        (
            Error::invalid_config("max_workers must be at least 1"),
            &["max_workers must be at least 1", "fix the value"],
        ),
        (
            Error::Full { max_queued: 16 },
            &["16 tasks", "raise `max_queued`"],
        ),
    ];
    for (error, fragments) in cases {
        let text = error.to_string();
        for frag in fragments {
            assert!(text.contains(frag), "{text:?} lacks {frag:?}");
        }
        assert!(!text.contains('\n'), "one line: {text:?}");
    }
}

#[test]
fn a_backtrace_is_shown_only_on_request_and_never_compared() {
    let with = Error::panicked("boom", Some("a.rs:1:1".into()), Some("0: f\n1: g".into()));
    let without = Error::panicked("boom", Some("a.rs:1:1".into()), None);
    assert!(!with.to_string().contains("0: f"));
    assert!(with.to_string().contains("{:#}"));
    assert!(format!("{with:#}").ends_with("backtrace:\n0: f\n1: g"));
    assert_eq!(with, without);
    assert_ne!(with, Error::panicked("boom", Some("a.rs:2:1".into()), None));
    assert_ne!(with, Error::panicked("bang", Some("a.rs:1:1".into()), None));
    assert_eq!(with.location(), Some("a.rs:1:1"));
    assert_eq!(Error::Timeout.backtrace(), None);
}

#[test]
fn equality_is_by_variant_and_fields() {
    assert_eq!(Error::Full { max_queued: 1 }, Error::Full { max_queued: 1 });
    assert_ne!(Error::Full { max_queued: 1 }, Error::Full { max_queued: 2 });
    assert_ne!(Error::invalid_state("x"), Error::invalid_config("x"));
    let enc = Error::Encode {
        type_name: "T".into(),
        message: "m".into(),
    };
    let dec = Error::Decode {
        type_name: "T".into(),
        message: "m".into(),
    };
    assert_ne!(enc, dec);
    assert_ne!(Error::Cancelled, Error::Timeout);
}

#[test]
fn worker_lost_equality_compares_every_field() {
    let base = Error::worker_lost(1, ExitStatus::Signal(9));
    assert_eq!(base, Error::worker_lost(1, ExitStatus::Signal(9)));
    assert_ne!(base, Error::worker_lost(2, ExitStatus::Signal(9)));
    assert_ne!(base, Error::worker_lost(1, ExitStatus::Signal(6)));
    let with = |attempts, cause| Error::WorkerLost {
        pid: 1,
        status: ExitStatus::Signal(9),
        attempts,
        cause,
    };
    assert_eq!(base, with(1, LostCause::Died));
    assert_ne!(base, with(2, LostCause::Died));
    assert_ne!(base, with(1, LostCause::StackOverflow));
    let bad = |r: &str| LostCause::Misbehaved { reason: r.into() };
    assert_eq!(with(1, bad("x")), with(1, bad("x")));
    assert_ne!(with(1, bad("x")), with(1, bad("y")));
    assert_ne!(base, Error::Timeout);
}

/// A lost task's message counts its attempts only when it had more than one.
#[test]
fn a_first_attempt_says_nothing_of_attempts() {
    let once = Error::worker_lost(1, ExitStatus::Signal(9)).to_string();
    assert!(!once.contains("times"), "{once}");
    assert!(!once.contains("each time"), "{once}");
}

/// The refusal of a capturing closure is an `Encode` whose advice is about
/// the closure, not about a `Serialize` implementation, also after it
/// crossed processes (serialized and back); any other `Encode` keeps the
/// serde advice, whatever its message says.
#[test]
fn a_capturing_closure_is_refused_with_advice_that_fits_it() {
    let refusal = Error::capturing_closure("app::main::{{closure}}");
    assert!(
        matches!(&refusal, Error::Encode { type_name, message }
            if type_name == "app::main::{{closure}}" && message.contains("captures values")),
        "{refusal:?}"
    );
    let shown = refusal.to_string();
    assert!(!shown.contains("Serialize"), "{shown}");
    assert!(!shown.contains("encode a value"), "{shown}");
    let json = serde_json::to_string(&refusal).expect("an error serializes");
    let back: Error = serde_json::from_str(&json).expect("and deserializes");
    assert_eq!(back, refusal);
    assert_eq!(back.to_string(), shown, "the same advice after crossing");

    let Error::Encode { message, .. } = &refusal else {
        unreachable!("checked above")
    };
    let other = Error::Encode {
        type_name: "Foo".into(),
        message: format!("{message} (and more)"),
    };
    assert!(other.to_string().contains("`Serialize`"), "{other}");
}
