//! The concur conformance suite against a `ProcessPool` whose payloads travel
//! in MessagePack: the opt-in codec behaves as the default one in every
//! scenario (results, errors, panics, chunks of `map`, cancellation).

use concur_conformance::PoolConfig;
use concur_core::Error;
use concur_process::{Codec, ProcessPool};

fn make(config: PoolConfig) -> Result<ProcessPool, Error> {
    ProcessPool::builder()
        .max_workers(config.max_workers)
        .max_queued(config.max_queued)
        .codec(Codec::MessagePack)
        .build()
}

concur_conformance::suite!(make);
