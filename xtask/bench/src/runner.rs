//! The round-robin runner: every implementation of one workload is set up, then
//! repetition 1 of each runs, then repetition 2 of each, and so on, so that a
//! burst of load on a shared machine costs one sample of each implementation
//! rather than every sample of one. Around each repetition it reads the
//! allocation counters ([`crate::alloc`]) and the CPU clocks ([`crate::cpu`]),
//! outside the timed part.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::alloc;
use crate::config::Config;
use crate::cpu::{self, CONTAMINATED, Edge};
use crate::record::{Record, Sample};
use crate::report::three_digits;
use crate::workloads;

/// One repetition: fills in figures it observed (W7's outcome) and returns the
/// time of the part it measures (setup outside the timing is left out by it).
type Rep = Box<dyn FnMut(&mut Map<String, Value>) -> Duration>;

/// One implementation of one workload, set up and ready to time. What it owns
/// (a pool, warmed) lives as long as it does: until the workload is done.
pub(crate) struct Bench {
    imp: String,
    n: u64,
    reps: Option<usize>,
    extra: Map<String, Value>,
    rep: Rep,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bench")
            .field("imp", &self.imp)
            .field("n", &self.n)
            .field("reps", &self.reps)
            .finish_non_exhaustive()
    }
}

impl Bench {
    /// `imp` doing `n` units of work per call of `rep`, which returns the time
    /// of the part it measures.
    pub(crate) fn new(imp: &str, n: u64, mut rep: impl FnMut() -> Duration + 'static) -> Bench {
        Bench::observing(imp, n, move |_| rep())
    }

    /// As [`Bench::new`], with a `rep` that also reports figures it observed
    /// (the last repetition's are kept).
    pub(crate) fn observing(
        imp: &str,
        n: u64,
        rep: impl FnMut(&mut Map<String, Value>) -> Duration + 'static,
    ) -> Bench {
        Bench {
            imp: imp.into(),
            n,
            reps: None,
            extra: Map::new(),
            rep: Box::new(rep),
        }
    }

    /// Adds a figure to the record (`workers`, `chunksize`, a note).
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Bench {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The implementation this one is compared with (same workload): the table
    /// shows the time ratio to it.
    pub(crate) fn anchor(self, imp: &str) -> Bench {
        self.with("anchor", imp)
    }

    /// Runs this many repetitions instead of `--reps` (W7: 1; W6: at least 10).
    pub(crate) fn reps(mut self, reps: usize) -> Bench {
        self.reps = Some(reps);
        self
    }

    /// One repetition, outside the runner: what a suite's tests call.
    #[cfg(test)]
    pub(crate) fn run_once(&mut self) -> Duration {
        (self.rep)(&mut self.extra)
    }

    /// The figures added so far, by the suite and by the repetitions.
    #[cfg(test)]
    pub(crate) fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
}

/// Times `f`, returning its duration.
pub(crate) fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// What the repetitions of one bench added up to.
#[derive(Debug, Default)]
struct Tally {
    times: Vec<f64>,
    wall: f64,
    allocs: alloc::Allocs,
    cpu: Option<cpu::CpuTimes>,
}

/// Runs `benches` (every implementation of `workload`) round-robin; one record each.
pub(crate) fn run(workload: &str, config: &Config, mut benches: Vec<Bench>) -> Vec<Record> {
    let mut tallies: Vec<Tally> = benches.iter().map(|_| Tally::default()).collect();
    let reps = |b: &Bench| b.reps.unwrap_or(config.reps);
    let rounds = benches.iter().map(reps).max().unwrap_or(0);
    let mut cpu_known = true;
    for round in 0..rounds {
        for (bench, tally) in benches.iter_mut().zip(&mut tallies) {
            if round >= reps(bench) {
                continue;
            }
            let scan_start = Instant::now();
            let cpu_before = cpu::snapshot(Edge::Before);
            let allocs_before = alloc::snapshot();
            let start = Instant::now();
            let timed = (bench.rep)(&mut bench.extra);
            let end = Instant::now();
            let allocs = alloc::snapshot().since(allocs_before);
            let cpu_after = cpu::snapshot(Edge::After);
            let scan_end = Instant::now();
            // Each process is read once per scan, somewhere in it: the others'
            // figure covers, on average, from the middle of the first scan to
            // the middle of the second.
            let wall = (end - start) + ((start - scan_start) + (scan_end - end)) / 2;
            tally.times.push(timed.as_secs_f64());
            tally.wall += wall.as_secs_f64();
            tally.allocs.allocations += allocs.allocations;
            tally.allocs.bytes += allocs.bytes;
            match (cpu_before, cpu_after) {
                (Some(before), Some(after)) => {
                    let spent = after.since(before);
                    let sum = tally.cpu.get_or_insert_default();
                    sum.ours += spent.ours;
                    sum.others += spent.others;
                    sum.steal += spent.steal;
                }
                _ => cpu_known = false,
            }
        }
    }
    let unit = workloads::get(workload).and_then(|w| w.unit);
    benches
        .into_iter()
        .zip(tallies)
        .map(|(bench, tally)| {
            let units = (tally.times.len() as u64 * bench.n) as f64;
            let mut record = Record::new(workload, &bench.imp, bench.n, Sample::of(&tally.times));
            if let Some(unit) = unit {
                let per_unit = |x: f64| three_digits(x / units);
                let ns = three_digits(record.seconds * 1e9 / bench.n as f64);
                record = record.with("unit", unit).with("ns_per_unit", ns);
                if config.count_allocs {
                    record = record
                        .with("allocs_per_unit", per_unit(tally.allocs.allocations as f64))
                        .with("bytes_per_unit", per_unit(tally.allocs.bytes as f64));
                }
                if let (true, Some(cpu)) = (cpu_known, tally.cpu) {
                    record = record.with("cpu_ns_per_unit", per_unit(cpu.ours * 1e9));
                }
            }
            if let (true, Some(cpu)) = (cpu_known, tally.cpu) {
                record = steal(
                    contamination(record, cpu.others, tally.wall),
                    cpu.steal,
                    tally.wall,
                );
            }
            record.extra.extend(bench.extra);
            record
        })
        .collect()
}

/// Adds `others_cpu` (other processes' CPU during the figure, in cores) and
/// `contaminated` (past [`CONTAMINATED`]).
pub(crate) fn contamination(record: Record, others_seconds: f64, wall_seconds: f64) -> Record {
    let cores = others_seconds / wall_seconds.max(f64::MIN_POSITIVE);
    record
        .with("others_cpu", json!((cores * 100.0).round() / 100.0))
        .with("contaminated", cores > CONTAMINATED)
}

/// Adds `steal_cpu` (the CPU the hypervisor took meanwhile, in cores) and
/// flags the record `contaminated` past [`CONTAMINATED`] of others' CPU and
/// steal together: a neighbour on the host slows a figure as a process here does.
pub(crate) fn steal(record: Record, steal_seconds: f64, wall_seconds: f64) -> Record {
    let cores = steal_seconds / wall_seconds.max(f64::MIN_POSITIVE);
    let others = record.number("others_cpu").unwrap_or(0.0);
    let flagged = record.extra.get("contaminated") == Some(&json!(true));
    record
        .with("steal_cpu", json!((cores * 100.0).round() / 100.0))
        .with("contaminated", flagged || others + cores > CONTAMINATED)
}

/// Runs `suite` (a program that runs its own repetitions and prints records),
/// flagging every record it returns with the other processes' CPU over the
/// whole call.
pub(crate) fn external(suite: impl FnOnce() -> Vec<Record>) -> Vec<Record> {
    let start = Instant::now();
    let before = cpu::snapshot(Edge::Before);
    let records = suite();
    let after = cpu::snapshot(Edge::After);
    let wall = start.elapsed().as_secs_f64();
    match (before, after) {
        (Some(before), Some(after)) => {
            let spent = after.since(before);
            records
                .into_iter()
                .map(|r| steal(contamination(r, spent.others, wall), spent.steal, wall))
                .collect()
        }
        _ => records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    fn config(reps: usize) -> Config {
        Config::parse(&["--reps".to_string(), reps.to_string()]).expect("valid")
    }

    #[test]
    fn implementations_run_round_robin() {
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let bench = |name: &'static str, reps: Option<usize>| {
            let order = Rc::clone(&order);
            let b = Bench::new(name, 10, move || {
                order.borrow_mut().push(name);
                Duration::from_millis(1)
            });
            match reps {
                Some(r) => b.reps(r),
                None => b,
            }
        };
        let records = run(
            "W1",
            &config(3),
            vec![bench("a", None), bench("b", Some(1)), bench("c", None)],
        );
        assert_eq!(*order.borrow(), ["a", "b", "c", "a", "c", "a", "c"]);
        let reps: Vec<f64> = records.iter().filter_map(|r| r.number("reps")).collect();
        assert_eq!(reps, [3.0, 1.0, 3.0]);
    }

    #[test]
    fn records_carry_per_unit_figures_and_what_the_bench_observed() {
        let calls = Rc::new(Cell::new(0u64));
        let seen = Rc::clone(&calls);
        let bench = Bench::observing("boxes", 100, move |extra| {
            seen.set(seen.get() + 1);
            let start = Instant::now();
            let boxes: Vec<Box<u64>> = (0..100).map(Box::new).collect();
            let elapsed = start.elapsed();
            std::hint::black_box(boxes);
            extra.insert("calls".into(), seen.get().into());
            elapsed
        })
        .anchor("other")
        .with("workers", 2);
        let records = run("W1", &config(4), vec![bench]);
        let r = &records[0];
        assert_eq!(calls.get(), 4);
        assert_eq!(r.number("calls"), Some(4.0));
        assert_eq!(r.text("anchor"), Some("other"));
        assert_eq!(r.text("unit"), Some("task"));
        // One box per unit, plus the vector (test threads running beside this
        // one may add their own allocations, never remove any).
        let allocs = r.number("allocs_per_unit").expect("counted");
        assert!(allocs >= 1.0, "{allocs}");
        assert!(r.number("bytes_per_unit").expect("counted") >= 8.0);
        assert!(r.number("ns_per_unit").expect("timed") > 0.0);
    }

    #[test]
    fn without_counting_the_allocation_columns_stay_empty() {
        let mut config = config(1);
        config.count_allocs = false;
        let bench = Bench::new("x", 10, || {
            time(|| drop(std::hint::black_box(vec![1u8; 64])))
        });
        let r = &run("W1", &config, vec![bench])[0];
        assert!(r.number("allocs_per_unit").is_none() && r.number("bytes_per_unit").is_none());
        assert!(r.number("ns_per_unit").is_some());
    }

    #[test]
    fn workloads_without_a_unit_get_no_per_unit_columns() {
        let records = run(
            "W3",
            &config(1),
            vec![Bench::new("x", 30_000, || Duration::from_millis(2))],
        );
        assert!(records[0].number("ns_per_unit").is_none());
        assert!(records[0].number("allocs_per_unit").is_none());
    }

    #[test]
    fn contamination_is_flagged_past_a_tenth_of_a_core() {
        let r = || Record::new("W1", "x", 1, Sample::of(&[1.0]));
        let clean = contamination(r(), 0.05, 1.0);
        assert_eq!(clean.extra["contaminated"], false);
        assert_eq!(clean.number("others_cpu"), Some(0.05));
        let dirty = contamination(r(), 0.9, 2.0);
        assert_eq!(dirty.extra["contaminated"], true);
        assert_eq!(dirty.number("others_cpu"), Some(0.45));
    }

    #[test]
    fn steal_counts_with_the_others_toward_contamination() {
        let r = || Record::new("W1", "x", 1, Sample::of(&[1.0]));
        // Neither alone is past a tenth of a core; together they are.
        let both = steal(contamination(r(), 0.06, 1.0), 0.06, 1.0);
        assert_eq!(both.number("steal_cpu"), Some(0.06));
        assert_eq!(both.extra["contaminated"], true);
        let quiet = steal(contamination(r(), 0.02, 1.0), 0.04, 2.0);
        assert_eq!(quiet.number("steal_cpu"), Some(0.02));
        assert_eq!(quiet.extra["contaminated"], false);
        // Steal alone flags a figure; it never clears one the others flagged.
        assert_eq!(
            steal(contamination(r(), 0.0, 1.0), 0.5, 1.0).extra["contaminated"],
            true
        );
        assert_eq!(
            steal(contamination(r(), 0.5, 1.0), 0.0, 1.0).extra["contaminated"],
            true
        );
    }
}
