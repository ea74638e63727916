//! The `ProcessPoolExecutor` example of Python's `concurrent.futures` docs: is
//! each of six large numbers prime? `map` over a pool of worker processes, four
//! numbers per task (`chunksize = 4`). Its Python original is
//! `python/is_prime.py`.
//!
//! ```text
//! cargo run --release --example is_prime --features process
//! ```
//!
//! Without the `process` feature it runs the same code on the thread pool
//! (through [`concur::Pool`]).

use concur::prelude::*;

const PRIMES: [u64; 6] = [
    112_272_535_095_293,
    112_582_705_942_171,
    112_272_535_095_293,
    115_280_095_190_773,
    115_797_848_077_099,
    1_099_726_899_285_419,
];

/// Trial division by odd numbers up to the square root, as the Python example.
fn is_prime(n: u64) -> bool {
    match n {
        0 | 1 => false,
        2 => true,
        _ if n.is_multiple_of(2) => false,
        _ => (3..=n.isqrt()).step_by(2).all(|i| !n.is_multiple_of(i)),
    }
}

fn main() -> Result<(), Error> {
    // The workers are this program re-executed: no `if __name__ == "__main__"`.
    // (Without the `process` feature, the same code runs on the thread pool.)
    let pool = Pool::new(if Backend::Process.is_enabled() {
        Backend::Process
    } else {
        Backend::Threads
    })?;
    let results = pool.map(is_prime, PRIMES, MapOptions::new().chunksize(4))?;
    for (number, prime) in PRIMES.iter().zip(results) {
        println!("{number} is prime: {}", prime?);
    }
    Ok(())
}
