//! The queue backends: apalis-redis when `REDIS_URL` is set, apalis-sqlite in the application's
//! own SQLite file otherwise. Every queue is named explicitly (the default name is a Rust type
//! path, which a refactor would silently change).
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::SqliteStorage;
use domain::DatabaseConnection;
use domain::jobs::{JobEnvelope, Queue};

use crate::settings::WorkerSettings;

/// A worker silent for this many heartbeats is dead and its jobs go back to the queue.
const MISSED_HEARTBEATS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("redis: {0}")]
    Redis(String),
    #[error("sqlite queue: {0}")]
    Sqlite(String),
    #[error("no storage for queue {0}")]
    NoQueue(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot prepare the SQLite queue tables: {0}")]
    SqliteMigrate(String),
    #[error("the SQLite queue needs a SQLite database (set REDIS_URL for PostgreSQL)")]
    NotSqlite,
}

/// A connected queue backend.
#[derive(Clone)]
pub enum QueueBackend {
    Redis(ConnectionManager),
    Sqlite(sea_orm::sqlx::SqlitePool),
}

impl QueueBackend {
    /// Redis with a response timeout of seconds, not apalis's 500 ms (a timeout ends a worker's
    /// stream), or the SQLite queue tables beside ours (never `SqliteStorage::setup`, which
    /// turns `synchronous` off).
    pub async fn connect(db: &DatabaseConnection, settings: &WorkerSettings) -> Result<QueueBackend, ConnectError> {
        match &settings.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str())?;
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_response_timeout(Some(Duration::from_secs(10)))
                    .set_connection_timeout(Some(Duration::from_secs(3)))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_secs(2));
                Ok(QueueBackend::Redis(client.get_connection_manager_with_config(config).await?))
            }
            None => {
                if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
                    return Err(ConnectError::NotSqlite);
                }
                Self::migrate_sqlite(db).await?;
                Ok(QueueBackend::Sqlite(db.get_sqlite_connection_pool().clone()))
            }
        }
    }

    /// Creates the SQLite queue tables, or brings them up to date (apalis's own migrations, in
    /// the same file as ours); nothing on PostgreSQL, whose queues are in Redis. `oms serve`,
    /// `oms migrate` and `oms seed` run it with the schema's migrations, before anything serves:
    /// DDL on the file makes SQLite re-prepare other connections' statements, and the likeliest
    /// cause of a sqlx connection thread's panic seen under load ("the len is 12 but the index is
    /// 12") is apalis's `RETURNING *` re-prepared wider than sqlx had cached it. A worker
    /// connecting to an older file still runs it (a no-op when nothing is pending).
    pub async fn migrate_sqlite(db: &DatabaseConnection) -> Result<(), ConnectError> {
        if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        SqliteStorage::migrations()
            .run(db.get_sqlite_connection_pool())
            .await
            .map_err(|e| ConnectError::SqliteMigrate(e.to_string()))
    }

    /// A queue on Redis. A worker that misses 3 heartbeats (10 s each by default) is dead and its
    /// jobs go back to the queue: within a minute, not apalis's default of 5 minutes.
    pub fn redis_storage(
        conn: &ConnectionManager,
        name: &str,
        batch: usize,
        heartbeat: Duration,
    ) -> RedisStorage<JobEnvelope> {
        RedisStorage::new(conn.clone()).with_config(
            apalis_redis::Config::default()
                .queue(name)
                .batch_size(batch.max(1))
                .heartbeat_interval(heartbeat)
                .missed_heartbeats(MISSED_HEARTBEATS),
        )
    }

    /// A queue in the SQLite file, with the same liveness rule.
    pub fn sqlite_storage(
        pool: &sea_orm::sqlx::SqlitePool,
        name: &str,
        batch: usize,
        heartbeat: Duration,
    ) -> SqliteStorage<JobEnvelope> {
        SqliteStorage::new(pool).with_config(
            apalis_sqlite::Config::default()
                .queue(name)
                .batch_size(batch.max(1))
                .heartbeat_interval(heartbeat)
                .missed_heartbeats(MISSED_HEARTBEATS),
        )
    }
}

/// How an idle worker looks for jobs: every `interval`, with the next look always armed.
///
/// apalis's `poll_with_interval` arms its next timer without polling it, so no waker is
/// registered on it; when a fetch takes longer than the interval, nothing wakes the idle worker
/// until its next heartbeat, and a job pushed meanwhile waits that long.
pub struct PollEvery {
    interval: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl PollEvery {
    pub fn new(interval: Duration) -> PollEvery {
        PollEvery { interval, timer: None }
    }
}

impl Clone for PollEvery {
    fn clone(&self) -> Self {
        PollEvery::new(self.interval)
    }
}

impl PollStrategy for PollEvery {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let interval = self.interval;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The next tick, polled at once so that it wakes this worker.
        timer.as_mut().reset(tokio::time::Instant::now() + interval);
        let _ = timer.as_mut().poll(cx);
        Poll::Ready(Some(()))
    }
}

/// Where the relay pushes: one storage per queue.
pub enum QueueSink {
    Redis(HashMap<Queue, RedisStorage<JobEnvelope>>),
    Sqlite(HashMap<Queue, SqliteStorage<JobEnvelope>>),
}

impl QueueSink {
    pub fn new(backend: &QueueBackend, settings: &WorkerSettings) -> QueueSink {
        match backend {
            QueueBackend::Redis(conn) => QueueSink::Redis(
                Queue::ALL
                    .into_iter()
                    .map(|q| (q, QueueBackend::redis_storage(conn, &settings.queue_name(q), 1, settings.heartbeat)))
                    .collect(),
            ),
            QueueBackend::Sqlite(pool) => QueueSink::Sqlite(
                Queue::ALL
                    .into_iter()
                    .map(|q| (q, QueueBackend::sqlite_storage(pool, &settings.queue_name(q), 1, settings.heartbeat)))
                    .collect(),
            ),
        }
    }

    /// Pushes jobs to one queue, in order.
    pub async fn push(&mut self, queue: Queue, jobs: Vec<JobEnvelope>) -> Result<(), PushError> {
        self.push_all(&[(queue, jobs)]).await
    }

    /// Pushes each queue's jobs, in order. On Redis the queues are pushed at once, one round
    /// trip for the lot (the storages share one multiplexed connection); the SQLite queue has
    /// one writer, so there they go one after the other. Fails if any push failed: the relay then
    /// pushes them all again, and a duplicate runs once.
    pub async fn push_all(&mut self, batches: &[(Queue, Vec<JobEnvelope>)]) -> Result<(), PushError> {
        match self {
            QueueSink::Redis(map) => {
                let pushes = batches.iter().map(|(queue, jobs)| {
                    let storage = map.get(queue).cloned();
                    async move {
                        let mut storage = storage.ok_or(PushError::NoQueue(queue.name()))?;
                        storage.push_bulk(jobs.clone()).await.map_err(|e| PushError::Redis(e.to_string()))
                    }
                });
                futures::future::join_all(pushes).await.into_iter().collect()
            }
            QueueSink::Sqlite(map) => {
                for (queue, jobs) in batches {
                    let storage = map.get_mut(queue).ok_or(PushError::NoQueue(queue.name()))?;
                    storage.push_bulk(jobs.clone()).await.map_err(|e| PushError::Sqlite(e.to_string()))?;
                }
                Ok(())
            }
        }
    }
}
