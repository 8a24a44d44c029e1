//! The job workers: the outbox relay, the scheduler of periodic work (`scheduler`), the apalis
//! worker pool over the `fulfillment`, `notification` and `returns` queues, and one handler per
//! job kind (`handlers/`).
//!
//! Jobs are delivered at least once (a dead worker's jobs are re-enqueued after missed
//! heartbeats; a relay may push a row again after a failed commit), so every handler is
//! idempotent. The retry budget is ours ([`domain::jobs::RetryPolicy`], recorded in the `job_runs`
//! table), not apalis's: a failed run goes back to the outbox with its backoff, and the queue
//! only sees successful runs.
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use domain::DatabaseConnection;
use domain::jobs::{JobEnvelope, Queue};

pub mod email;
pub mod handlers;
pub mod queues;
pub mod relay;
pub mod scheduler;
pub mod settings;
pub mod smtp;

pub use handlers::JobContext;
pub use queues::{QueueBackend, QueueSink};
pub use relay::Relay;
pub use scheduler::Schedule;
pub use settings::WorkerSettings;

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error(transparent)]
    Email(#[from] email::EmailError),
    #[error(transparent)]
    Connect(#[from] queues::ConnectError),
    #[error("the worker pool stopped: {0}")]
    Monitor(String),
}

/// A running pool: stop it with [`PoolHandle::shutdown`], which drains in-flight jobs.
pub struct PoolHandle {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), PoolError>>,
}

impl PoolHandle {
    /// Asks the relay and the workers to stop, waits for in-flight jobs (up to the shutdown
    /// timeout), and returns how the pool ended.
    pub async fn shutdown(self) -> Result<(), PoolError> {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_else(|e| Err(PoolError::Monitor(e.to_string())))
    }
}

/// Starts the relay and the workers in the background. The queue backend is connected inside
/// the task, retrying while Redis is away, so a process starts (and its API answers) without it.
pub fn spawn(db: DatabaseConnection, settings: WorkerSettings) -> Result<PoolHandle, PoolError> {
    // The SQLite queue lives in the SQLite database; PostgreSQL needs Redis for its queues.
    if settings.redis_url.is_none() && db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Err(queues::ConnectError::NotSqlite.into());
    }
    let templates = email::Templates::new(settings.templates_dir.clone());
    templates.check()?;
    let mailer = email::Mailer::new(
        settings.smtp_url.as_deref(),
        settings.mail_dir.clone(),
        &settings.mail_from,
        settings.concurrency(Queue::Notification),
    )?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| PoolError::Monitor(format!("building the HTTP client: {e}")))?;
    let ctx = Arc::new(JobContext {
        db: db.clone(),
        mailer,
        templates,
        retry: settings.retry,
        lost_after: settings.lost_after,
        http,
    });
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(run(ctx, settings, rx));
    Ok(PoolHandle { stop, task })
}

async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn run(
    ctx: Arc<JobContext>,
    settings: WorkerSettings,
    rx: tokio::sync::watch::Receiver<bool>,
) -> Result<(), PoolError> {
    let mut failures: u32 = 0;
    let backend = loop {
        match QueueBackend::connect(&ctx.db, &settings).await {
            Ok(b) => break b,
            Err(queues::ConnectError::NotSqlite) => return Err(queues::ConnectError::NotSqlite.into()),
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, "queue backend unreachable; jobs wait in the outbox");
                let wait =
                    std::cmp::min(Duration::from_millis(250u64 << std::cmp::min(failures, 5)), Duration::from_secs(5));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped(rx.clone()) => return Ok(()),
                }
            }
        }
    };
    let relay = Relay::new(ctx.db.clone(), QueueSink::new(&backend, &settings), settings.relay_batch, settings.retry);
    let relay_task = tokio::spawn(relay.run(settings.relay_interval, rx.clone()));
    let scheduler_task = tokio::spawn(scheduler::run(ctx.db.clone(), settings.schedule, rx.clone()));

    let mut monitor = Monitor::new().shutdown_timeout(settings.shutdown_timeout).should_restart(|_, _| true);
    for queue in Queue::ALL {
        monitor = register(monitor, &backend, &settings, queue, ctx.clone());
    }
    let signal = stopped(rx.clone());
    let result = monitor
        .run_with_signal(async move {
            signal.await;
            Ok(())
        })
        .await
        .map_err(|e| PoolError::Monitor(e.to_string()));
    let _ = relay_task.await;
    let _ = scheduler_task.await;
    tracing::info!("worker pool stopped");
    result
}

/// This process's worker name for a queue: unique per process, so a restarted process is not
/// refused as the still-registered one it replaces.
fn worker_name(queue_name: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "oms".to_owned());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("{queue_name}@{host}-{}-{}", std::process::id(), &nonce[..8])
}

/// The name of one run of a worker. A worker restarted after an error (its Redis connection
/// broke) takes a new name: under the old one, which Redis may still list with a fresh
/// heartbeat, it would be refused for three heartbeats, restarting in a tight loop. The old
/// name's jobs in flight go back to the queue once it misses its heartbeats.
fn run_name(worker: &str, restarts: usize) -> String {
    if restarts == 0 { worker.to_owned() } else { format!("{worker}-run{restarts}") }
}

async fn handle(env: JobEnvelope, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    handlers::run(&ctx.0, env).await.map_err(|e| Box::new(e) as BoxDynError)
}

fn register(
    monitor: Monitor,
    backend: &QueueBackend,
    settings: &WorkerSettings,
    queue: Queue,
    ctx: Arc<JobContext>,
) -> Monitor {
    let name = settings.queue_name(queue);
    let concurrency = settings.concurrency(queue);
    let poll = settings.poll_interval;
    let heartbeat = settings.heartbeat;
    let worker = worker_name(&name);
    tracing::info!(worker = %worker, concurrency, "worker registered");
    match backend {
        QueueBackend::Redis(conn) => {
            let conn = conn.clone();
            monitor.register(move |restarts| {
                WorkerBuilder::new(run_name(&worker, restarts))
                    .backend(
                        QueueBackend::redis_storage(&conn, &name, concurrency, heartbeat)
                            .poll_with_strategy(queues::PollEvery::new(poll)),
                    )
                    .data(ctx.clone())
                    .concurrency(concurrency)
                    .build(handle)
            })
        }
        QueueBackend::Sqlite(pool) => {
            let pool = pool.clone();
            monitor.register(move |restarts| {
                WorkerBuilder::new(run_name(&worker, restarts))
                    .backend(
                        QueueBackend::sqlite_storage(&pool, &name, concurrency, heartbeat)
                            .poll_with_strategy(queues::PollEvery::new(poll)),
                    )
                    .data(ctx.clone())
                    .concurrency(concurrency)
                    .build(handle)
            })
        }
    }
}
