//! CPU time, ours and everyone else's, around each repetition: a figure taken
//! while other processes kept the cores busy is flagged as contaminated.
//!
//! *Ours* is this process (`getrusage`, microseconds) and its descendants (the
//! process pools' workers, Python and its workers): reaped children through
//! `RUSAGE_CHILDREN`, live ones from `/proc/<pid>/stat`. *Others* is every other
//! process in `/proc`: `utime + stime + cutime + cstime`, so a short-lived
//! process (a compiler started and reaped within the window) still shows, in
//! its parent's `cutime`, and a process that ended in the window is not counted
//! twice (its own figure leaves the sum as its parent's `cutime` takes it in).
//! `/proc` counts in clock ticks (10 ms on most systems): a single repetition
//! of a few milliseconds reads 0 or a tick, the sum over every repetition of a
//! figure is what is reported.
//!
//! *Steal* is the time the hypervisor gave this machine's CPUs to someone
//! else while we wanted them (the `steal` column of `/proc/stat`, summed over
//! the CPUs): on a shared virtual machine it slows a figure as much as a
//! busy neighbour process does, and no `/proc/<pid>` shows it.
//!
//! Linux only: elsewhere [`snapshot`] returns `None` and the columns stay empty.

use std::collections::HashMap;

/// CPU seconds consumed so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct CpuTimes {
    /// This process and its descendants.
    pub(crate) ours: f64,
    /// Every other process.
    pub(crate) others: f64,
    /// Taken by the hypervisor, over every CPU.
    pub(crate) steal: f64,
}

impl CpuTimes {
    /// What was consumed between `earlier` and `self` (never negative: a process
    /// that ended unseen can make a delta dip below zero by a tick).
    pub(crate) fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            ours: (self.ours - earlier.ours).max(0.0),
            others: (self.others - earlier.others).max(0.0),
            steal: (self.steal - earlier.steal).max(0.0),
        }
    }
}

/// Others' CPU plus steal, in cores (CPU seconds per second of the figure's
/// wall time), past which a figure is flagged: a tenth of a core.
pub(crate) const CONTAMINATED: f64 = 0.10;

/// One line of `/proc/<pid>/stat`: the parent and the CPU ticks, own plus
/// reaped children's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    ppid: u32,
    ticks: u64,
}

/// Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and
/// may hold spaces or parentheses itself: the fields are read after the last `)`.
fn parse_stat(line: &str) -> Option<Stat> {
    let rest = &line[line.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (3), ppid (4), ..., utime (14), stime (15),
    // cutime (16), cstime (17); index 0 here is field 3.
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ppid = u32::try_from(field(4)?).ok()?;
    let ticks = field(14)? + field(15)? + field(16)? + field(17)?;
    Some(Stat { ppid, ticks })
}

/// The steal ticks of the all-CPU line (`cpu  user nice system idle iowait
/// irq softirq steal ...`) of `/proc/stat`; 0 for a kernel too old to count it.
fn parse_steal(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let mut fields = line.split_whitespace().skip(1);
    let steal = fields.nth(7).map_or(Some(0), |f| f.parse().ok())?;
    Some(steal)
}

/// Splits the processes into this one's descendants and the others: the ticks
/// of each group. `me` itself is in neither (it is measured by `getrusage`).
fn split(stats: &HashMap<u32, Stat>, me: u32) -> (u64, u64) {
    let mut descendant: HashMap<u32, bool> = HashMap::new();
    let mut ours = 0;
    let mut others = 0;
    for (&pid, stat) in stats {
        if pid == me {
            continue;
        }
        // Walk up the parents until `me`, the root, or a process already known.
        let mut chain = vec![pid];
        let mut parent = stat.ppid;
        let verdict = loop {
            if parent == me {
                break true;
            }
            if let Some(&known) = descendant.get(&parent) {
                break known;
            }
            match stats.get(&parent) {
                Some(s) if parent != 0 && !chain.contains(&parent) => {
                    chain.push(parent);
                    parent = s.ppid;
                }
                _ => break false,
            }
        };
        for p in chain {
            descendant.insert(p, verdict);
        }
        if verdict {
            ours += stat.ticks;
        } else {
            others += stat.ticks;
        }
    }
    (ours, others)
}

/// This process's own CPU seconds plus those of its reaped children.
fn rusage_seconds() -> Option<f64> {
    let seconds = |who| {
        // SAFETY: `rusage` is plain data for which all-zero bytes are valid.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage`; `who` is one of the two
        // constants getrusage accepts here.
        let rc = unsafe { libc::getrusage(who, &mut usage) };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        (rc == 0).then(|| tv(usage.ru_utime) + tv(usage.ru_stime))
    };
    Some(seconds(libc::RUSAGE_SELF)? + seconds(libc::RUSAGE_CHILDREN)?)
}

/// The clock tick of `/proc`, in seconds.
fn tick() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { 1.0 / hz as f64 } else { 0.01 }
}

/// Every process's stat, by pid (processes that end while being read are skipped).
fn read_proc() -> Option<HashMap<u32, Stat>> {
    let mut stats = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(line) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(stat) = parse_stat(&line) {
            stats.insert(pid, stat);
        }
    }
    Some(stats)
}

/// The CPU time consumed so far by us and by the others, read in the order
/// that keeps our own figure tight around a measured part: `/proc` then
/// `getrusage` before it ([`Edge::Before`]), `getrusage` then `/proc` after it
/// ([`Edge::After`]), so that the scan of `/proc` (a few milliseconds of our
/// CPU) is outside our window. `None` without `/proc`.
pub(crate) fn snapshot(edge: Edge) -> Option<CpuTimes> {
    let tick = tick();
    let me = std::process::id();
    let (own, stats) = match edge {
        Edge::Before => {
            let stats = read_proc()?;
            (rusage_seconds()?, stats)
        }
        Edge::After => {
            let own = rusage_seconds()?;
            (own, read_proc()?)
        }
    };
    let (ours, others) = split(&stats, me);
    let steal = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|text| parse_steal(&text))
        .unwrap_or(0);
    Some(CpuTimes {
        ours: own + ours as f64 * tick,
        others: others as f64 * tick,
        steal: steal as f64 * tick,
    })
}

/// Which side of a measured part a [`snapshot`] is taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    Before,
    After,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_past_a_name_with_spaces_and_parentheses() {
        let line = "4242 (tokio (rt) w) S 17 4242 17 0 -1 4194304 100 0 0 0 \
                    250 30 7 3 20 0 3 0 1000 1000000 100 18446744073709551615";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                ppid: 17,
                ticks: 290
            })
        );
        assert_eq!(parse_stat("1 (init) S"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn descendants_are_ours_everything_else_is_others() {
        let stat = |ppid, ticks| Stat { ppid, ticks };
        // 1 init; 10 us; 11 and 12 our children; 13 a grandchild; 20 a stranger
        // with a child 21; 30 a process whose parent is gone.
        let stats: HashMap<u32, Stat> = [
            (1, stat(0, 1000)),
            (10, stat(1, 500)),
            (11, stat(10, 7)),
            (12, stat(10, 8)),
            (13, stat(11, 9)),
            (20, stat(1, 40)),
            (21, stat(20, 2)),
            (30, stat(99, 5)),
        ]
        .into_iter()
        .collect();
        assert_eq!(split(&stats, 10), (7 + 8 + 9, 1000 + 40 + 2 + 5));
    }

    #[test]
    fn steal_is_the_eighth_figure_of_the_all_cpu_line() {
        let text = "cpu  26592 0 4154 2005519 617 0 116 3568 0 0\n\
                    cpu0 13417 0 2305 1002401 343 0 44 1742 0 0\n";
        assert_eq!(parse_steal(text), Some(3568));
        // A kernel that does not count steal: seven figures.
        assert_eq!(parse_steal("cpu  1 2 3 4 5 6 7\n"), Some(0));
        assert_eq!(parse_steal("cpu  1 2 3 4 5 6 7 x\n"), None);
        assert_eq!(parse_steal("intr 5\n"), None);
    }

    #[test]
    fn a_parent_cycle_ends_the_walk() {
        let stats: HashMap<u32, Stat> = [
            (5, Stat { ppid: 6, ticks: 1 }),
            (6, Stat { ppid: 5, ticks: 2 }),
        ]
        .into_iter()
        .collect();
        assert_eq!(split(&stats, 10), (0, 3));
    }

    /// This thread's CPU seconds, from the kernel's per-thread clock.
    fn thread_cpu() -> f64 {
        // SAFETY: `timespec` is plain data for which all-zero bytes are valid.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: `ts` is a valid, writable `timespec`.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    }

    #[test]
    fn our_cpu_time_counts_what_this_thread_computed() {
        let Some(before) = snapshot(Edge::Before) else {
            return; // no /proc: nothing to measure here
        };
        // Spin until this thread has had 50 ms of CPU, however busy the machine.
        let start = thread_cpu();
        let mut x = 1u64;
        while thread_cpu() - start < 0.05 {
            for _ in 0..1000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        let spent = snapshot(Edge::After)
            .expect("/proc is still there")
            .since(before);
        assert!(
            spent.ours >= 0.05,
            "50 ms of this thread's CPU read as {spent:?}"
        );
    }
}
