//! The benchmark harness (`cargo xtask bench`), built in release mode as the
//! `bench` binary of the xtask package (feature `bench`).
//!
//! It runs the workloads of `WORKLOADS.md` (W1 overhead, W2 map-chunked, W3
//! cpu-scaling, W4 docs-is-prime, W5 io-fanout, W6 startup, W7 crash; each suite
//! runs those that apply to its backend) for every concur backend and, in the
//! same run so that ratios hold on a noisy machine, for the anchors a user would
//! pick instead (rayon, std::thread, smol, tokio, Python's `concurrent.futures`). Each figure is
//! the median of `--reps` repetitions (at least 5 by default), min and max beside
//! it. Results go to `target/bench/results.jsonl` (one JSON object per line),
//! `target/bench/results.md` (the table, also printed) and
//! `target/bench/chart.svg` (bars of `per_sec`, one group per workload).
//!
//! # Adding a backend
//!
//! Write `src/bench/<backend>.rs` with
//! `pub(crate) fn run(config: &Config) -> Vec<Record>` (see [`threads`]), then add
//! two lines here: `mod <backend>;` below, and one entry in [`SUITES`].
//! Use [`Config::wants`] to skip workloads left out by `--only`, [`Config::n`] for
//! sizes (divided by 10 under `--quick`; [`Config::quadratic_n`] for W3's limit,
//! whose work grows as its square) and [`Config::sample`] to time.

mod async_pool;
mod process;
mod procspawn_anchor;
mod python;
mod report;
mod threads;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

/// A backend's suite: the records of the workloads `Config` asks for.
type Suite = fn(&Config) -> Vec<Record>;

/// Every suite, in the order they run. One line per backend: register yours here.
const SUITES: &[(&str, Suite)] = &[
    ("threads", threads::run),            // concur-threads, rayon, std::thread
    ("async", async_pool::run),           // concur-async, raw async-executor, tokio
    ("process", process::run),            // concur-process
    ("procspawn", procspawn_anchor::run), // procspawn's Pool (anchor for the process pool)
    ("python", python::run),              // Python's concurrent.futures (when python3 is on PATH)
];

/// The workloads of WORKLOADS.md: what `--only` accepts. Each suite runs those
/// it implements.
const WORKLOADS: &[&str] = &["W1", "W2", "W3", "W4", "W5", "W6", "W7"];

const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--only W1,W3] [--reps N] [--no-python]
  --quick      divide the work of every workload by 10 (n / 10; W3's limit / sqrt(10))
  --only LIST  run only these workloads (comma-separated, W1 ... W7)
  --reps N     repetitions per figure (default 5); the median is reported
  --no-python  skip Python's concurrent.futures even when python3 is on PATH
";

/// The options of one run.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `--quick`: every n divided by 10.
    pub(crate) quick: bool,
    /// `--only`: the workloads to run (all when empty).
    pub(crate) only: Vec<String>,
    /// Repetitions per figure.
    pub(crate) reps: usize,
    /// Whether to run the Python anchors.
    pub(crate) python: bool,
}

impl Config {
    fn parse(args: &[String]) -> Result<Config, String> {
        let mut config = Config {
            quick: false,
            only: Vec::new(),
            reps: 5,
            python: true,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => config.quick = true,
                "--no-python" => config.python = false,
                "--only" => {
                    let list = args.next().ok_or("--only needs a list, e.g. W1,W3")?;
                    for w in list.split(',').map(|w| w.trim().to_uppercase()) {
                        if !WORKLOADS.contains(&w.as_str()) {
                            return Err(format!(
                                "unknown workload `{w}` (known: {})",
                                WORKLOADS.join(", ")
                            ));
                        }
                        config.only.push(w);
                    }
                }
                "--reps" => {
                    let n = args.next().ok_or("--reps needs a number")?;
                    config.reps = n
                        .parse()
                        .map_err(|_| format!("--reps: `{n}` is not a number"))?;
                    if config.reps == 0 {
                        return Err("--reps must be at least 1".into());
                    }
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        Ok(config)
    }

    /// Whether workload `id` (`"W1"`, ...) is to run.
    pub(crate) fn wants(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == id)
    }

    /// The size to use for a workload whose full size is `full`.
    pub(crate) fn n(&self, full: u64) -> u64 {
        if self.quick { (full / 10).max(1) } else { full }
    }

    /// The limit to use for W3, whose work grows as limit²: under `--quick` the
    /// limit is divided by √10 so that the *work* is divided by 10, as for the
    /// other workloads (a limit divided by 10 would leave ~3 ms of work, too
    /// little to see any speedup past the pool's start-up).
    pub(crate) fn quadratic_n(&self, full: u64) -> u64 {
        if self.quick {
            ((full as f64) / 10f64.sqrt()).round() as u64
        } else {
            full
        }
    }

    /// Runs `once` `reps` times; `once` returns the time of the part it measures
    /// (setup outside the timing is left out by the caller).
    pub(crate) fn sample(&self, mut once: impl FnMut() -> Duration) -> Sample {
        let mut times: Vec<f64> = (0..self.reps).map(|_| once().as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        let len = times.len();
        let median = if len % 2 == 1 {
            times[len / 2]
        } else {
            (times[len / 2 - 1] + times[len / 2]) / 2.0
        };
        Sample {
            median,
            min: times[0],
            max: times[len - 1],
            reps: len,
        }
    }
}

/// Times `f`, returning its duration.
pub(crate) fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Seconds over `reps` repetitions: median, min, max.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) reps: usize,
}

/// One figure: a workload run by one implementation.
///
/// As JSON: `{"workload":"W1","impl":"concur-threads","n":100000,"seconds":..,
/// "per_sec":..,"extra":{..}}`, `seconds` the median; `extra` holds
/// `min_seconds`, `max_seconds`, `reps` and workload-specific figures
/// (`speedup`, `vs_rayon`, notes).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) workload: String,
    pub(crate) imp: String,
    pub(crate) n: u64,
    pub(crate) seconds: f64,
    pub(crate) per_sec: f64,
    pub(crate) extra: Map<String, Value>,
}

impl Record {
    /// A record from a [`Sample`] of `n` items.
    pub(crate) fn new(workload: &str, imp: &str, n: u64, sample: Sample) -> Record {
        let mut extra = Map::new();
        extra.insert("min_seconds".into(), json!(sample.min));
        extra.insert("max_seconds".into(), json!(sample.max));
        extra.insert("reps".into(), json!(sample.reps));
        Record {
            workload: workload.into(),
            imp: imp.into(),
            n,
            seconds: sample.median,
            per_sec: n as f64 / sample.median.max(f64::MIN_POSITIVE),
            extra,
        }
    }

    /// Adds a workload-specific figure.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Record {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The JSON line.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "workload": self.workload,
            "impl": self.imp,
            "n": self.n,
            "seconds": self.seconds,
            "per_sec": self.per_sec,
            "extra": self.extra,
        })
    }

    /// Reads a JSON line in the same format (what the Python script prints).
    pub(crate) fn from_json(line: &str) -> Result<Record, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let field = |k: &str| v.get(k).ok_or_else(|| format!("no `{k}` in {line}"));
        Ok(Record {
            workload: field("workload")?.as_str().unwrap_or_default().into(),
            imp: field("impl")?.as_str().unwrap_or_default().into(),
            n: field("n")?
                .as_u64()
                .ok_or_else(|| format!("`n` is not a count in {line}"))?,
            seconds: field("seconds")?
                .as_f64()
                .ok_or_else(|| format!("`seconds` is not a number in {line}"))?,
            per_sec: field("per_sec")?
                .as_f64()
                .ok_or_else(|| format!("`per_sec` is not a number in {line}"))?,
            extra: v
                .get("extra")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The median, min and max seconds, for the table.
    pub(crate) fn min_max(&self) -> (f64, f64) {
        let get = |k: &str| {
            self.extra
                .get(k)
                .and_then(Value::as_f64)
                .unwrap_or(self.seconds)
        };
        (get("min_seconds"), get("max_seconds"))
    }
}

/// The xtask package's folder: `CARGO_MANIFEST_DIR` as `cargo run` sets it (right
/// even when checkouts share a target directory), else as at compile time.
pub(crate) fn xtask_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// `<workspace>/target/bench`.
fn out_dir() -> PathBuf {
    xtask_dir()
        .parent()
        .expect("xtask is one level below the root")
        .join("target")
        .join("bench")
}

fn main() -> ExitCode {
    // procspawn's workers are this binary re-executed: let it take over here
    // when this process is one of them (concur-process intercepts its own
    // workers before main).
    procspawn::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::parse(&args) {
        Ok(config) => config,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("bench: {message}");
            }
            eprint!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    eprintln!(
        "bench: {} run, {} reps per figure, workloads {}",
        if config.quick {
            "quick (n / 10)"
        } else {
            "full"
        },
        config.reps,
        if config.only.is_empty() {
            WORKLOADS.join(",")
        } else {
            config.only.join(",")
        }
    );
    let mut records = Vec::new();
    for (name, suite) in SUITES {
        eprintln!("bench: suite `{name}`");
        for record in suite(&config) {
            eprintln!(
                "  {} {:<28} {:>10.4} s  {:>14.0} /s",
                record.workload, record.imp, record.seconds, record.per_sec
            );
            records.push(record);
        }
    }
    report::derive_ratios(&mut records);
    let dir = out_dir();
    match report::write_all(&dir, &records) {
        Ok(table) => {
            println!("{table}");
            for line in report::headlines(&records) {
                println!("{line}");
            }
            eprintln!(
                "bench: wrote {}/results.jsonl, results.md, chart.svg",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: cannot write results under {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_json() {
        let sample = Sample {
            median: 0.5,
            min: 0.4,
            max: 0.7,
            reps: 5,
        };
        let r = Record::new("W1", "concur-threads", 1000, sample).with("workers", 2);
        let back = Record::from_json(&r.to_json().to_string()).expect("valid line");
        assert_eq!(back.imp, "concur-threads");
        assert_eq!(back.n, 1000);
        assert_eq!(back.per_sec, 2000.0);
        assert_eq!(back.min_max(), (0.4, 0.7));
        assert_eq!(back.extra["workers"], 2);
    }

    #[test]
    fn options_parse_and_sizes_shrink_under_quick() {
        let args: Vec<String> = ["--quick", "--only", "w1,W3"].map(String::from).to_vec();
        let config = Config::parse(&args).expect("valid");
        assert!(config.wants("W1") && config.wants("W3") && !config.wants("W2"));
        assert_eq!(config.n(100_000), 10_000);
        assert_eq!(config.quadratic_n(30_000), 9_487);
        assert!(Config::parse(&["--only".into(), "W9".into()]).is_err());
    }

    #[test]
    fn sample_reports_the_median() {
        let config = Config {
            quick: true,
            only: vec![],
            reps: 5,
            python: false,
        };
        let mut times = [3u64, 1, 5, 2, 4].into_iter();
        let s = config.sample(|| Duration::from_secs(times.next().expect("5 reps")));
        assert_eq!((s.median, s.min, s.max, s.reps), (3.0, 1.0, 5.0, 5));
    }
}
