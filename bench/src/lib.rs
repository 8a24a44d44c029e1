//! What the benchmark binaries share: a seeded PRNG, latency percentiles and a description of
//! the machine the figures were taken on.
use std::time::Duration;

pub mod smtp;

/// A xorshift64* generator: deterministic for a seed, no dependency, good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // A zero state would stay zero; any other seed is fine.
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A value in `lo..=hi`.
    pub fn range_i32(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1).max(1) as usize) as i32
    }

    /// A value in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value in `[lo, hi)`.
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn uuid(&mut self) -> uuid::Uuid {
        uuid::Uuid::from_u128((u128::from(self.next_u64()) << 64) | u128::from(self.next_u64()))
    }
}

/// Latency figures of a set of samples, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Latencies {
    pub count: usize,
    pub mean: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    /// Percentiles by the nearest-rank method. `None` for no samples.
    pub fn of(samples: &mut [u64]) -> Option<Latencies> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let n = samples.len();
        let rank = |p: f64| {
            let r = (p / 100.0 * n as f64).ceil() as usize;
            Duration::from_nanos(samples[r.clamp(1, n) - 1])
        };
        let sum: u128 = samples.iter().map(|s| u128::from(*s)).sum();
        Some(Latencies {
            count: n,
            mean: Duration::from_nanos((sum / n as u128) as u64),
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: Duration::from_nanos(samples[n - 1]),
        })
    }

    /// One line: `p50 … p90 … p99 … max … (mean …)`.
    pub fn line(&self) -> String {
        format!(
            "p50 {}  p90 {}  p99 {}  max {}  (mean {})",
            human(self.p50),
            human(self.p90),
            human(self.p99),
            human(self.max),
            human(self.mean)
        )
    }
}

/// A duration with a unit that keeps three significant figures or so.
pub fn human(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// The machine the figures come from: CPUs, CPU model, load average, build profile.
pub fn machine_state() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let profile =
        if cfg!(debug_assertions) { "DEBUG build: figures are meaningless, use --release" } else { "release" };
    format!("nproc {cpus}, {model}; {}; {profile}", load_average())
}

/// `load average 1m 5m 15m (running/threads)` from /proc/loadavg.
pub fn load_average() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(s) => {
            let f: Vec<&str> = s.split_whitespace().collect();
            match f.as_slice() {
                [a, b, c, tasks, ..] => format!("load average {a} {b} {c} (running/threads {tasks})"),
                _ => format!("load average {}", s.trim()),
            }
        }
        Err(_) => "load average unknown (no /proc/loadavg)".to_owned(),
    }
}

/// Times this thread was preempted (involuntary context switches, from
/// /proc/thread-self/status): a call during which it grew was descheduled, so its wall-clock
/// latency includes time spent running something else. `None` where the file is missing.
pub fn involuntary_switches() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:")).and_then(|n| n.trim().parse().ok())
}

/// CPU time (user + system) spent so far by this process, by the PostgreSQL backends that
/// serve `database` (their process titles name it) and by every `redis-server`, from /proc. Unlike wall time, the CPU a
/// piece of work costs hardly changes when other work shares the cores, so it tells what the
/// code costs on a busy machine. Zero where /proc is missing.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTime {
    pub this_process: Duration,
    pub postgres: Duration,
    /// Every redis-server on the machine: other users of a shared Redis count too.
    pub redis: Duration,
}

impl CpuTime {
    pub fn now(database: &str) -> CpuTime {
        let mut postgres = Duration::ZERO;
        let mut redis = Duration::ZERO;
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let path = entry.path();
                let title = std::fs::read(path.join("cmdline")).unwrap_or_default();
                let title = String::from_utf8_lossy(&title);
                if title.starts_with("postgres:") && title.contains(database) {
                    postgres += process_cpu(&path.join("stat"));
                } else if title.starts_with("redis-server") {
                    redis += process_cpu(&path.join("stat"));
                }
            }
        }
        CpuTime { this_process: process_cpu(std::path::Path::new("/proc/self/stat")), postgres, redis }
    }

    /// What was spent between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuTime) -> CpuTime {
        CpuTime {
            this_process: self.this_process.saturating_sub(earlier.this_process),
            postgres: self.postgres.saturating_sub(earlier.postgres),
            redis: self.redis.saturating_sub(earlier.redis),
        }
    }
}

/// utime + stime of a /proc/<pid>/stat file, in the kernel's 100 Hz clock ticks.
fn process_cpu(stat: &std::path::Path) -> Duration {
    let Ok(text) = std::fs::read_to_string(stat) else { return Duration::ZERO };
    // Fields after the command name in parentheses: state is the 3rd field, utime the 14th.
    let Some((_, rest)) = text.rsplit_once(')') else { return Duration::ZERO };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// SQL statements sent, counted by what they do: the verb and the first table named
/// (`UPDATE job_runs`, `SELECT orders`). Shared between a connection's metric callback and the
/// benchmark.
#[derive(Clone, Default)]
pub struct Statements(std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>);

/// The counts at one moment.
#[derive(Clone, Debug, Default)]
pub struct StatementCounts(pub std::collections::BTreeMap<String, u64>);

impl Statements {
    pub fn count(&self, sql: &str) {
        let key = statement_kind(sql);
        if let Ok(mut map) = self.0.lock() {
            *map.entry(key).or_default() += 1;
        }
    }

    pub fn snapshot(&self) -> StatementCounts {
        StatementCounts(self.0.lock().map(|m| m.clone()).unwrap_or_default())
    }
}

impl StatementCounts {
    /// What was sent between `earlier` and `self`.
    pub fn since(&self, earlier: &StatementCounts) -> StatementCounts {
        StatementCounts(
            self.0
                .iter()
                .map(|(k, n)| (k.clone(), n - earlier.0.get(k).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        )
    }

    /// A few lines: the statements per job, in all and by kind.
    pub fn per_job(&self, jobs: usize) -> String {
        let jobs = jobs.max(1) as f64;
        let total: u64 = self.0.values().sum();
        let mut out = format!(
            "SQL statements per job (workers' connection, BEGIN/COMMIT not counted): {:.2}",
            total as f64 / jobs
        );
        let mut kinds: Vec<(&String, &u64)> = self.0.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        for (kind, n) in kinds {
            out.push_str(&format!("\n  {:>6.3}  {kind}", *n as f64 / jobs));
        }
        out
    }
}

/// `VERB table` of a statement: the first word, and the table after INTO, UPDATE or FROM.
fn statement_kind(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let verb = words.first().map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let after = match verb.as_str() {
        "INSERT" => "INTO",
        "UPDATE" => "UPDATE",
        _ => "FROM",
    };
    let table = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case(after))
        .and_then(|i| words.get(i + 1))
        .map(|t| t.trim_matches(|c: char| c == '"' || c == '`' || c == '(').to_owned())
        .unwrap_or_default();
    format!("{verb} {table}")
}
