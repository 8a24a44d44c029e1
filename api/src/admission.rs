//! How many mutations one process runs at once.
//!
//! A mutation is a write transaction: it holds row locks and a PostgreSQL backend until it
//! commits. Past a few per core, more of them at once only make PostgreSQL switch between
//! backends and wait on each other's locks, so each one takes longer and the slowest far
//! longer. Mutations past the limit wait here, in arrival order, before they start; queries are
//! not limited and keep the whole connection pool. On 2 cores, 8 at once take `placeOrder` at
//! 32 clients from p99 136 ms to about 70 ms at the same throughput (BENCHMARKS.md).
use tokio::sync::{Semaphore, SemaphorePermit};

/// The limit on mutations running at once in this process.
pub struct Admission {
    mutations: Semaphore,
}

#[derive(Debug, thiserror::Error)]
#[error("OMS_MAX_CONCURRENT_MUTATIONS must be a whole number from 1 to 10000, not {0:?}")]
pub struct BadLimit(String);

impl Admission {
    /// `OMS_MAX_CONCURRENT_MUTATIONS`, by default four per core of this machine (8 to 64).
    pub fn from_env() -> Result<Admission, BadLimit> {
        let limit = match std::env::var("OMS_MAX_CONCURRENT_MUTATIONS") {
            Err(_) => {
                let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
                cores.saturating_mul(4).clamp(8, 64)
            }
            Ok(v) => v.trim().parse::<usize>().ok().filter(|n| (1..=10_000).contains(n)).ok_or(BadLimit(v))?,
        };
        Ok(Admission { mutations: Semaphore::new(limit) })
    }

    /// Waits for a mutation's turn; the turn ends when the permit is dropped.
    pub async fn mutation(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed: acquiring fails only if it were.
        self.mutations.acquire().await.ok()
    }
}
