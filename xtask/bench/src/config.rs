//! The options of one run (`--quick`, `--only`, `--reps`, `--workers`,
//! `--no-python`) and the sizes they imply.

use crate::workloads;

/// The usage screen.
pub(crate) const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--only W1,W3] [--reps N] [--workers N] [--no-python]
                         [--no-alloc-count]
  --quick      divide n by 10 for every workload but W3, which keeps its size
               (its speedup is only resolved at full size)
  --only LIST  run only these workloads (comma-separated, W1 ... W7)
  --reps N     repetitions per figure (default 5); the median is reported
  --workers N  pool size for W1, W2, W4, W5, and the number of tasks (and
               workers) of W3 (default: the available cores for W1, W2, W4, W5;
               2 for W3); W6 always starts a 2-worker pool
  --no-python  skip Python's concurrent.futures even when python3 is on PATH
  --no-alloc-count
               do not count allocations (the columns stay empty): compare
               with a counted run to see what counting costs
";

/// The options of one run.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `--quick`: n divided by 10 (W3 excepted).
    pub(crate) quick: bool,
    /// `--only`: the workloads to run (all when empty).
    pub(crate) only: Vec<String>,
    /// Repetitions per figure.
    pub(crate) reps: usize,
    /// Whether to run the Python anchors.
    pub(crate) python: bool,
    /// `--workers`, when given.
    pub(crate) workers: Option<usize>,
    /// Whether allocations are counted (`--no-alloc-count` turns it off).
    pub(crate) count_allocs: bool,
}

impl Config {
    /// Parses the command line (without the program name). `Err("")` is a request
    /// for the usage screen.
    ///
    /// # Errors
    ///
    /// An unknown option or workload, or a missing or malformed number.
    pub(crate) fn parse(args: &[String]) -> Result<Config, String> {
        let mut config = Config {
            quick: false,
            only: Vec::new(),
            reps: 5,
            python: true,
            workers: None,
            count_allocs: true,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => config.quick = true,
                "--no-python" => config.python = false,
                "--no-alloc-count" => config.count_allocs = false,
                "--only" => {
                    let list = args.next().ok_or("--only needs a list, e.g. W1,W3")?;
                    for w in list.split(',').map(|w| w.trim().to_uppercase()) {
                        if workloads::get(&w).is_none() {
                            return Err(format!(
                                "unknown workload `{w}` (known: {})",
                                workloads::ids().join(", ")
                            ));
                        }
                        config.only.push(w);
                    }
                }
                "--reps" => config.reps = positive("--reps", args.next())?,
                "--workers" => config.workers = Some(positive("--workers", args.next())?),
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

    /// The pool size of W1, W2, W4 and W5: `--workers`, else the available cores.
    pub(crate) fn workers(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        })
    }

    /// W3's number of tasks, each on a worker of its own: `--workers`, else 2.
    pub(crate) fn w3_tasks(&self) -> usize {
        self.workers.unwrap_or(2)
    }

    /// W3's limit. Its size does not shrink under `--quick`: a tenth of the work
    /// (a few tens of milliseconds per task) is too close to a pool's start-up
    /// and to the machine's noise to show the speedup (every implementation,
    /// raw threads included, read 1.4-1.5 instead of 1.9-2.0 on 2 cores).
    pub(crate) fn w3_limit(&self) -> u64 {
        30_000
    }

    /// The repetitions of a figure that asks for at least `min` (W6: 10).
    pub(crate) fn reps_at_least(&self, min: usize) -> usize {
        self.reps.max(min)
    }
}

fn positive(option: &str, value: Option<&String>) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{option} needs a number"))?;
    match value.parse::<usize>() {
        Ok(0) => Err(format!("{option} must be at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{option}: `{value}` is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_parse_and_sizes_shrink_under_quick_but_w3() {
        let config = parse(&["--quick", "--only", "w1,W3", "--workers", "4"]).expect("valid");
        assert!(config.wants("W1") && config.wants("W3") && !config.wants("W2"));
        assert_eq!(config.n(100_000), 10_000);
        assert_eq!(config.w3_limit(), 30_000);
        assert_eq!((config.workers(), config.w3_tasks()), (4, 4));
        assert_eq!(config.reps_at_least(10), 10);
        let default = parse(&[]).expect("valid");
        assert_eq!(
            (default.reps, default.w3_tasks(), default.quick),
            (5, 2, false)
        );
        assert!(default.wants("W7") && default.count_allocs);
        assert!(!parse(&["--no-alloc-count"]).expect("valid").count_allocs);
    }

    #[test]
    fn bad_options_are_refused_with_the_reason() {
        assert!(
            parse(&["--only", "W9"])
                .unwrap_err()
                .contains("unknown workload `W9`")
        );
        assert!(parse(&["--reps", "0"]).unwrap_err().contains("at least 1"));
        assert!(
            parse(&["--workers", "x"])
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse(&["--workers"])
                .unwrap_err()
                .contains("needs a number")
        );
        assert!(parse(&["--fast"]).unwrap_err().contains("unknown option"));
        assert_eq!(parse(&["--help"]).unwrap_err(), "");
    }
}
