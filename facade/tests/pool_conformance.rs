//! The conformance suite through `concur::Pool`, once per backend compiled in:
//! every call goes through `Box<dyn Executor + Send>` and the backend's
//! `submit_task` (the type-erased path), not the backend's own generic
//! methods. `cargo test -p concur --features full --test pool_conformance --
//! process::` runs one backend's.

// A build with no backend runs no suite.
#![cfg_attr(
    not(any(feature = "threads", feature = "async", feature = "process")),
    allow(unused_imports, dead_code)
)]

use concur::{Backend, Error, Pool};
use concur_conformance::PoolConfig;

/// A pool on `backend` as a scenario asks for it.
fn make(backend: Backend, config: PoolConfig) -> Result<Pool, Error> {
    let mut builder = Pool::builder(backend).max_workers(config.max_workers);
    if let Some(n) = config.max_queued {
        builder = builder.max_queued(n);
    }
    builder.build()
}

#[cfg(feature = "threads")]
mod threads {
    use super::*;
    concur_conformance::suite!(|config| make(Backend::Threads, config));
}

#[cfg(feature = "async")]
mod asyncio {
    use super::*;
    concur_conformance::suite!(|config| make(Backend::Async, config));
}

#[cfg(feature = "process")]
mod process {
    use super::*;
    concur_conformance::suite!(|config| make(Backend::Process, config));
}
