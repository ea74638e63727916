//! The workloads of `xtask/bench/WORKLOADS.md`, by id: what `--only` accepts,
//! the headings of the table and the chart, and what one unit of `n` is (the
//! per-unit columns are left empty where it is not one piece of work).

/// One workload of WORKLOADS.md.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Workload {
    /// `"W1"` ... `"W7"`.
    pub(crate) id: &'static str,
    /// What is measured, for headings.
    pub(crate) title: &'static str,
    /// What `n` counts when it counts pieces of work (a task, an item, a pool):
    /// the per-unit columns (ns, CPU ns, allocations, bytes) divide by it. `None`
    /// where `n` is a parameter (W3's limit) or the figure a behaviour (W7).
    pub(crate) unit: Option<&'static str>,
}

/// Every workload, in the order they run.
pub(crate) const ALL: &[Workload] = &[
    Workload {
        id: "W1",
        title: "overhead: submit + result of no-op tasks (tasks/s)",
        unit: Some("task"),
    },
    Workload {
        id: "W2",
        title: "map-chunked: map(square, chunksize 1000) summed (items/s)",
        unit: Some("item"),
    },
    Workload {
        id: "W3",
        title: "cpu-scaling: one count_primes(limit) task per worker (limit / seconds)",
        unit: None,
    },
    Workload {
        id: "W4",
        title: "docs-is-prime: is_prime of 6 large numbers, map(chunksize 4), end to end (numbers/s)",
        unit: Some("number"),
    },
    Workload {
        id: "W5",
        title: "io-fanout: tasks each waiting 10 ms (tasks/s)",
        unit: Some("task"),
    },
    Workload {
        id: "W6",
        title: "startup: create a 2-worker pool, run one task, shut down (pools/s)",
        unit: Some("pool"),
    },
    Workload {
        id: "W7",
        title: "crash: a task panics or aborts while others run",
        unit: None,
    },
];

/// The workload `id`, if there is one.
pub(crate) fn get(id: &str) -> Option<&'static Workload> {
    ALL.iter().find(|w| w.id == id)
}

/// The ids, for messages: `W1, W2, ...`.
pub(crate) fn ids() -> Vec<&'static str> {
    ALL.iter().map(|w| w.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_w1_to_w7_in_order() {
        assert_eq!(ids(), ["W1", "W2", "W3", "W4", "W5", "W6", "W7"]);
        assert_eq!(get("W3").map(|w| w.unit), Some(None));
        assert_eq!(get("W1").and_then(|w| w.unit), Some("task"));
        assert!(get("W8").is_none());
    }
}
