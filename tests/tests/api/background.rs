//! The job workers inside a test's process, as `oms serve` runs them beside the API: on
//! PostgreSQL the queues are on real Redis under a key prefix of the test's own (deleted when the
//! workers stop), on SQLite they are in the test's database file. Emails go to files in a
//! directory of the test's own unless the test brings an SMTP server.
use std::path::PathBuf;
use std::time::Duration;

use domain::jobs::RetryPolicy;
use entities::job;
use oms_worker::{PoolHandle, Schedule, WorkerSettings};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::smtp::SmtpServer;

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Worker settings for one test: its own queue prefix, fast polling, a short backoff, emails as
/// files, and no scheduled work unless the test asks for it.
pub fn settings(redis: Option<String>, smtp: Option<&SmtpServer>, mail_dir: Option<PathBuf>) -> WorkerSettings {
    WorkerSettings {
        redis_url: redis,
        queue_prefix: format!("oms-test-{}.", Uuid::new_v4().simple()),
        poll_interval: Duration::from_millis(50),
        relay_interval: Duration::from_millis(50),
        smtp_url: smtp.map(SmtpServer::url),
        mail_dir: mail_dir.unwrap_or_else(|| std::env::temp_dir().join(format!("oms-mail-{}", Uuid::new_v4()))),
        shutdown_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(1),
        },
        schedule: Schedule::off(),
        ..WorkerSettings::default()
    }
}

/// A running pool; its Redis keys are deleted when it stops (or is dropped).
pub struct Workers {
    pool: Option<PoolHandle>,
    prefix: String,
}

impl Workers {
    pub fn start(app: &TestApp, s: WorkerSettings) -> Workers {
        let prefix = s.queue_prefix.clone();
        let pool = oms_worker::spawn(app.db.clone(), s).expect("start the workers");
        Workers { pool: Some(pool), prefix }
    }

    /// Stops the pool (draining in-flight jobs) and deletes the test's Redis keys.
    pub async fn stop(mut self) {
        if let Some(pool) = self.pool.take() {
            pool.shutdown().await.expect("the pool stops cleanly");
        }
        clean_redis(&self.prefix).await;
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if self.pool.is_none() {
            return;
        }
        // Drop cannot await: delete the keys on a thread with its own runtime, and wait for it.
        let prefix = std::mem::take(&mut self.prefix);
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(clean_redis(&prefix));
        });
        let _ = cleanup.join();
    }
}

pub async fn clean_redis(prefix: &str) {
    if prefix.is_empty() {
        return;
    }
    let Ok(client) = redis::Client::open(redis_url()) else { return };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return };
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
    }
}

impl TestApp {
    /// The workers for this app's database, as `oms serve` runs them: Redis queues for
    /// PostgreSQL, the SQLite file's queues for SQLite.
    pub fn worker_settings(&self) -> WorkerSettings {
        let redis = (self.db.get_database_backend() == DbBackend::Postgres).then(redis_url);
        settings(redis, None, None)
    }

    /// Starts the job workers beside the API, with no scheduled work.
    pub fn start_workers(&self) -> Workers {
        Workers::start(self, self.worker_settings())
    }

    /// Starts the job workers with scheduled work every `period`.
    pub fn start_workers_ticking(&self, period: Duration) -> Workers {
        let schedule = Schedule {
            expire_orders: Some(period),
            acceptance_deadlines: Some(period),
            purge_idempotency_keys: Some(period),
            requeue_lost_jobs: Some(period),
            appointments: Some(period),
        };
        Workers::start(self, WorkerSettings { schedule, ..self.worker_settings() })
    }

    /// Waits until every job written so far, and every job those jobs wrote, has run: nothing
    /// waits in the outbox and no run is queued, running or waiting for a retry.
    pub async fn settle(&self) {
        let busy = [
            domain::jobs::JobStatus::Queued.as_str(),
            domain::jobs::JobStatus::Running.as_str(),
            domain::jobs::JobStatus::Retrying.as_str(),
        ];
        // One statement, so one snapshot: a job that commits its follow-up's outbox row and then
        // finishes is seen either still running or with that row waiting. Two separate counts
        // could see neither (the outbox before the row, the runs after the job finished) and
        // settle while the follow-up had not even been dispatched.
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL) \
             + (SELECT COUNT(*) FROM job_runs WHERE status IN ('{}', '{}', '{}')) AS busy",
            busy[0], busy[1], busy[2]
        );
        for _ in 0..600 {
            let row = self
                .db
                .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql.clone()))
                .await
                .expect("count the outbox and the runs")
                .expect("one row");
            if row.try_get::<i64>("", "busy").expect("a count") == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let runs = job::Entity::find().filter(job::Column::Status.is_in(busy)).all(&self.db).await.expect("runs");
        panic!("the jobs did not settle: {runs:?}");
    }

    /// Polls `check` until it returns a value (the workers do their work in the background).
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        for _ in 0..600 {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("waited in vain for {what}");
    }
}
