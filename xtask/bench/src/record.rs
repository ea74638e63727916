//! One figure of the run ([`Record`], a JSON line) and the repetitions it is the
//! median of ([`Sample`]).

use serde_json::{Map, Value, json};

/// Seconds over some repetitions: median, min, max.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) reps: usize,
}

impl Sample {
    /// The sample of `times` (seconds, in any order).
    ///
    /// # Panics
    ///
    /// When `times` is empty.
    pub(crate) fn of(times: &[f64]) -> Sample {
        assert!(!times.is_empty(), "a sample needs at least one time");
        let mut times = times.to_vec();
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

/// One figure: a workload run by one implementation.
///
/// As JSON: `{"workload":"W1","impl":"concur-threads","n":100000,"seconds":..,
/// "per_sec":..,"extra":{..}}`, `seconds` the median; `extra` holds
/// `min_seconds`, `max_seconds`, `reps`, the per-unit figures, the other
/// processes' CPU and workload-specific figures (`speedup`, `workers`, notes).
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

    /// Adds a figure to `extra`.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Record {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The number `extra[key]`, if it is one.
    pub(crate) fn number(&self, key: &str) -> Option<f64> {
        self.extra.get(key).and_then(Value::as_f64)
    }

    /// The string `extra[key]`, if it is one.
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(Value::as_str)
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
    ///
    /// # Errors
    ///
    /// A line that is not JSON or lacks a field.
    pub(crate) fn from_json(line: &str) -> Result<Record, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let field = |k: &str| v.get(k).ok_or_else(|| format!("no `{k}` in {line}"));
        let text = |k: &str| -> Result<String, String> {
            field(k)?
                .as_str()
                .map(String::from)
                .ok_or_else(|| format!("`{k}` is not a string in {line}"))
        };
        let number = |k: &str| {
            field(k)?
                .as_f64()
                .ok_or_else(|| format!("`{k}` is not a number in {line}"))
        };
        Ok(Record {
            workload: text("workload")?,
            imp: text("impl")?,
            n: field("n")?
                .as_u64()
                .ok_or_else(|| format!("`n` is not a count in {line}"))?,
            seconds: number("seconds")?,
            per_sec: number("per_sec")?,
            extra: v
                .get("extra")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The min and max seconds (the median when a record has none).
    pub(crate) fn min_max(&self) -> (f64, f64) {
        (
            self.number("min_seconds").unwrap_or(self.seconds),
            self.number("max_seconds").unwrap_or(self.seconds),
        )
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
        assert_eq!(back.number("workers"), Some(2.0));
    }

    #[test]
    fn malformed_lines_are_refused() {
        assert!(Record::from_json("not json").is_err());
        let no_impl = r#"{"workload":"W1","n":1,"seconds":1,"per_sec":1}"#;
        assert!(
            Record::from_json(no_impl)
                .unwrap_err()
                .contains("no `impl`")
        );
        let bad_n = r#"{"workload":"W1","impl":"x","n":-1,"seconds":1,"per_sec":1}"#;
        assert!(
            Record::from_json(bad_n)
                .unwrap_err()
                .contains("not a count")
        );
    }

    #[test]
    fn sample_reports_the_median_min_and_max() {
        let s = Sample::of(&[3.0, 1.0, 5.0, 2.0, 4.0]);
        assert_eq!((s.median, s.min, s.max, s.reps), (3.0, 1.0, 5.0, 5));
        assert_eq!(Sample::of(&[4.0, 1.0]).median, 2.5);
    }
}
