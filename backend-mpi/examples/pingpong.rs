//! The floor under the MPI pool: a raw rsmpi ping-pong of one `u64` between
//! rank 0 and rank 1 (blocking send and receive), with no concur code at all
//! — this example does not use concur-mpi, so its pre-main hook is not linked
//! and every rank reaches `main`. Prints one JSON line with the round trip.
//!
//! ```text
//! mpirun --oversubscribe -n 2 target/release/examples/pingpong [ROUND_TRIPS]
//! ```

use std::time::Instant;

use mpi::point_to_point::{Destination, Source};
use mpi::topology::Communicator;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let universe = mpi::initialize().expect("MPI initializes once");
    let world = universe.world();
    let rank = world.rank();
    if world.size() < 2 {
        eprintln!("pingpong needs 2 ranks: mpirun -n 2 pingpong");
        return;
    }
    let warmup = n / 10;
    let mut start = Instant::now();
    for i in 0..warmup + n {
        if i == warmup {
            start = Instant::now();
        }
        if rank == 0 {
            world.process_at_rank(1).send(&i);
            let (back, _) = world.process_at_rank(1).receive::<u64>();
            assert_eq!(back, i);
        } else if rank == 1 {
            let (x, _) = world.process_at_rank(0).receive::<u64>();
            world.process_at_rank(0).send(&x);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if rank == 0 {
        println!(
            "{{\"workload\":\"pingpong\",\"impl\":\"rsmpi\",\"n\":{n},\"seconds\":{seconds:.6},\
             \"per_sec\":{:.1},\"extra\":{{\"round_trip_us\":{:.3},\"ranks\":{}}}}}",
            n as f64 / seconds,
            seconds / n as f64 * 1e6,
            world.size()
        );
    }
}
