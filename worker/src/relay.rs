//! The outbox relay: moves undispatched outbox rows to their queues and marks them dispatched.
//!
//! On PostgreSQL a pass claims a batch with `FOR UPDATE SKIP LOCKED` and keeps the rows locked
//! while it pushes, then marks them in the same transaction: several relays (in several
//! processes) each take different rows, and a row is never pushed by two of them. If the push
//! fails (Redis down) the transaction rolls back and the rows wait for the next pass. If the
//! commit fails after a push the row is pushed again later: the job runs twice in delivery, once
//! in effect, because handlers are idempotent.
//!
//! SQLite has one writer and the embedded default one relay per process: a pass reads, pushes,
//! then marks the rows dispatched only where they still were not.
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use domain::DatabaseConnection;
use domain::jobs::{self, JobEnvelope, Queue, RetryPolicy};
use entities::outbox_message;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::queues::{PushError, QueueSink};

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("recording dispatch: {0}")]
    Domain(#[from] domain::DomainError),
    #[error("pushing to the queue: {0}")]
    Push(#[from] PushError),
}

/// One relay: a database, the queues, and how much to take per pass.
pub struct Relay {
    db: DatabaseConnection,
    sink: QueueSink,
    batch: u64,
    retry: RetryPolicy,
}

impl Relay {
    pub fn new(db: DatabaseConnection, sink: QueueSink, batch: u64, retry: RetryPolicy) -> Relay {
        Relay { db, sink, batch: batch.max(1), retry }
    }

    /// One pass: how many rows it dispatched.
    pub async fn relay_once(&mut self) -> Result<usize, RelayError> {
        if self.db.get_database_backend() == DbBackend::Postgres {
            let txn = self.db.begin().await?;
            let rows = pending(&txn, self.batch, true).await?;
            let ids = self.push(&txn, &rows).await?;
            mark_dispatched(&txn, &ids).await?;
            txn.commit().await?;
            Ok(ids.len())
        } else {
            let rows = pending(&self.db, self.batch, false).await?;
            if rows.is_empty() {
                return Ok(0);
            }
            // Never push from inside a write transaction here: the queue writes to the same
            // file and would wait on it.
            let db = self.db.clone();
            let ids = self.push(&db, &rows).await?;
            mark_dispatched(&db, &ids).await?;
            Ok(ids.len())
        }
    }

    /// Pushes the rows, per queue in their order (one call per queue, the queues at once), and
    /// records their runs in one statement. Returns the ids handled (pushed, or recorded as
    /// unroutable).
    async fn push<C: ConnectionTrait>(
        &mut self,
        db: &C,
        rows: &[outbox_message::Model],
    ) -> Result<Vec<uuid::Uuid>, RelayError> {
        let mut by_queue: BTreeMap<&'static str, (Queue, Vec<JobEnvelope>)> = BTreeMap::new();
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let env = JobEnvelope::from_row(row);
            match env.job() {
                Ok(job) => {
                    by_queue.entry(job.queue().name()).or_insert_with(|| (job.queue(), Vec::new())).1.push(env);
                }
                Err(e) => {
                    tracing::error!(key = %row.dedupe_key, error = %e, "outbox row no job reads; recorded as failed");
                    jobs::record_unroutable(db, &env, &e.to_string(), &self.retry).await?;
                }
            }
            ids.push(row.id);
        }
        let batches: Vec<(Queue, Vec<JobEnvelope>)> = by_queue.into_values().collect();
        // The run records are committed before the push (on the relay's own connection, outside
        // the pass's transaction): a worker that takes a job at once finds its record and starts
        // it in one statement. A failed push leaves them QUEUED and the rows undispatched; the
        // next pass records and pushes them again.
        let pushing: Vec<JobEnvelope> = batches.iter().flat_map(|(_, envs)| envs.iter().cloned()).collect();
        jobs::record_dispatch(&self.db, &pushing, &self.retry).await?;
        self.sink.push_all(&batches).await?;
        Ok(ids)
    }

    /// Runs passes until `stop` turns true: at once again after a full batch, after `interval`
    /// after a partial one, and with a growing pause (to 5 s) while the queue or database fails.
    pub async fn run(mut self, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut failures: u32 = 0;
        loop {
            if *stop.borrow() {
                return;
            }
            let wait = match self.relay_once().await {
                Ok(n) => {
                    failures = 0;
                    if n > 0 {
                        tracing::debug!(rows = n, "outbox rows relayed");
                    }
                    if n as u64 >= self.batch {
                        continue;
                    }
                    interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, "outbox relay pass failed; the rows wait");
                    std::cmp::min(Duration::from_millis(200u64 << std::cmp::min(failures, 5)), Duration::from_secs(5))
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

async fn pending<C: ConnectionTrait>(
    db: &C,
    batch: u64,
    lock: bool,
) -> Result<Vec<outbox_message::Model>, sea_orm::DbErr> {
    use outbox_message::Column as O;
    let mut q = outbox_message::Entity::find()
        .filter(O::DispatchedAt.is_null())
        .filter(Condition::any().add(O::AvailableAt.is_null()).add(O::AvailableAt.lte(Utc::now())))
        .order_by_asc(O::CreatedAt)
        .order_by_asc(O::Id)
        .limit(batch);
    if lock {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    q.all(db).await
}

async fn mark_dispatched<C: ConnectionTrait>(db: &C, ids: &[uuid::Uuid]) -> Result<(), sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::DispatchedAt, Expr::value(Utc::now()))
        .filter(outbox_message::Column::Id.is_in(ids.iter().copied()))
        .filter(outbox_message::Column::DispatchedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
