//! The workers' configuration, from the environment.
use std::path::PathBuf;
use std::time::Duration;

use domain::jobs::{Queue, RetryPolicy, ScheduledTask};

use crate::scheduler::Schedule;

/// How the pool runs.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// `redis://…`: queues on Redis. None: queues in the SQLite database (embedded default).
    pub redis_url: Option<String>,
    /// Put before every queue name (`oms.` → `oms.notification`). Redis keys start with the
    /// queue name, so two installations (or two tests) on one Redis stay apart by prefix.
    pub queue_prefix: String,
    /// How many jobs of each queue one process runs at once.
    pub concurrency_fulfillment: usize,
    pub concurrency_notification: usize,
    pub concurrency_returns: usize,
    /// How soon a worker looks again after an empty fetch.
    pub poll_interval: Duration,
    /// How often the relay looks at the outbox when it found nothing.
    pub relay_interval: Duration,
    /// How many outbox rows one relay pass claims.
    pub relay_batch: u64,
    /// `smtp://host:port`; None: emails are written as `.eml` files under `mail_dir`.
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: String,
    /// A directory whose `<event>.j2` files replace the built-in templates.
    pub templates_dir: Option<PathBuf>,
    /// How long SIGTERM waits for in-flight jobs.
    pub shutdown_timeout: Duration,
    /// How often a worker tells the queue it is alive. One silent for 3 heartbeats is dead, and
    /// another worker puts its jobs back in the queue at its next heartbeat.
    pub heartbeat: Duration,
    pub retry: RetryPolicy,
    /// A job dispatched to its queue and unfinished (QUEUED or RUNNING, unchanged) for this long
    /// was lost by the queue (a Redis restarted without persistence) and is pushed again. Far
    /// longer than a queue's normal wait and a job's run: a job that was merely slow is then
    /// delivered twice, and runs once.
    pub lost_after: Duration,
    /// How often scheduled work runs (the ticks this process writes).
    pub schedule: Schedule,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            redis_url: None,
            queue_prefix: "oms.".to_owned(),
            concurrency_fulfillment: 4,
            // An email is mostly waiting (two commits, the mail server's replies): it takes
            // this many at once to keep two cores busy (BENCHMARKS.md, `jobs`).
            concurrency_notification: 64,
            concurrency_returns: 2,
            poll_interval: Duration::from_millis(100),
            relay_interval: Duration::from_millis(100),
            relay_batch: 200,
            smtp_url: None,
            mail_dir: PathBuf::from("outbox"),
            mail_from: "OMS <orders@oms.localhost>".to_owned(),
            templates_dir: None,
            shutdown_timeout: Duration::from_secs(30),
            // A dead worker's jobs come back within 40 s (30 s of silence, then at most one
            // heartbeat of another worker): the "within a minute".
            heartbeat: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            lost_after: Duration::from_secs(5 * 60),
            schedule: Schedule::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{name} must be {what}, not {value:?}")]
pub struct SettingsError {
    name: &'static str,
    what: &'static str,
    value: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &'static str, default: T, what: &'static str) -> Result<T, SettingsError> {
    match var(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| SettingsError { name, what, value }),
    }
}

/// The environment variable that sets a scheduled task's period in seconds.
pub fn tick_variable(task: ScheduledTask) -> &'static str {
    match task {
        ScheduledTask::ExpireOrders => "OMS_TICK_EXPIRE_ORDERS_SECS",
        ScheduledTask::AcceptanceDeadlines => "OMS_TICK_ACCEPTANCE_DEADLINES_SECS",
        ScheduledTask::PurgeIdempotencyKeys => "OMS_TICK_PURGE_IDEMPOTENCY_KEYS_SECS",
        ScheduledTask::RequeueLostJobs => "OMS_TICK_REQUEUE_LOST_JOBS_SECS",
        ScheduledTask::Appointments => "OMS_TICK_APPOINTMENTS_SECS",
    }
}

fn schedule_from_env(defaults: &Schedule) -> Result<Schedule, SettingsError> {
    let period = |task: ScheduledTask| -> Result<Option<Duration>, SettingsError> {
        let name = tick_variable(task);
        let what = "a whole number of seconds from 0 (off) to 86400";
        let default = defaults.period(task).map_or(0, |p| p.as_secs());
        let secs: u64 = number(name, default, what)?;
        if Duration::from_secs(secs) > domain::jobs::MAX_PERIOD {
            return Err(SettingsError { name, what, value: secs.to_string() });
        }
        Ok((secs > 0).then(|| Duration::from_secs(secs)))
    };
    Ok(Schedule {
        expire_orders: period(ScheduledTask::ExpireOrders)?,
        acceptance_deadlines: period(ScheduledTask::AcceptanceDeadlines)?,
        purge_idempotency_keys: period(ScheduledTask::PurgeIdempotencyKeys)?,
        requeue_lost_jobs: period(ScheduledTask::RequeueLostJobs)?,
        appointments: period(ScheduledTask::Appointments)?,
    })
}

impl WorkerSettings {
    /// Reads `REDIS_URL`, `SMTP_URL`, `OMS_MAIL_DIR`, `OMS_MAIL_FROM`, `OMS_TEMPLATES`,
    /// `OMS_QUEUE_PREFIX`, `OMS_CONCURRENCY_{FULFILLMENT,NOTIFICATION,RETURNS}`,
    /// `OMS_POLL_INTERVAL_MS`, `OMS_RELAY_INTERVAL_MS`, `OMS_RELAY_BATCH`, `OMS_JOB_MAX_ATTEMPTS`,
    /// `OMS_SHUTDOWN_TIMEOUT_SECS`,
    /// `OMS_HEARTBEAT_SECS`, `OMS_LOST_JOB_AFTER_SECS` and the periods of scheduled work,
    /// `OMS_TICK_{EXPIRE_ORDERS,ACCEPTANCE_DEADLINES,PURGE_IDEMPOTENCY_KEYS,REQUEUE_LOST_JOBS,APPOINTMENTS}_SECS`
    /// (0: this process schedules none of it).
    pub fn from_env() -> Result<WorkerSettings, SettingsError> {
        let d = WorkerSettings::default();
        let positive = "a positive whole number";
        let s = WorkerSettings {
            redis_url: var("REDIS_URL"),
            queue_prefix: var("OMS_QUEUE_PREFIX").unwrap_or(d.queue_prefix),
            concurrency_fulfillment: number("OMS_CONCURRENCY_FULFILLMENT", d.concurrency_fulfillment, positive)?,
            concurrency_notification: number("OMS_CONCURRENCY_NOTIFICATION", d.concurrency_notification, positive)?,
            concurrency_returns: number("OMS_CONCURRENCY_RETURNS", d.concurrency_returns, positive)?,
            poll_interval: Duration::from_millis(number("OMS_POLL_INTERVAL_MS", 100u64, positive)?),
            relay_interval: Duration::from_millis(number(
                "OMS_RELAY_INTERVAL_MS",
                d.relay_interval.as_millis() as u64,
                positive,
            )?),
            relay_batch: number("OMS_RELAY_BATCH", d.relay_batch, positive)?,
            smtp_url: var("SMTP_URL"),
            mail_dir: var("OMS_MAIL_DIR").map_or(d.mail_dir, PathBuf::from),
            mail_from: var("OMS_MAIL_FROM").unwrap_or(d.mail_from),
            templates_dir: var("OMS_TEMPLATES").map(PathBuf::from),
            shutdown_timeout: Duration::from_secs(number("OMS_SHUTDOWN_TIMEOUT_SECS", 30u64, positive)?),
            heartbeat: match number("OMS_HEARTBEAT_SECS", d.heartbeat.as_secs(), positive)? {
                0 => return Err(SettingsError { name: "OMS_HEARTBEAT_SECS", what: positive, value: "0".into() }),
                secs => Duration::from_secs(secs),
            },
            retry: RetryPolicy {
                max_attempts: number("OMS_JOB_MAX_ATTEMPTS", d.retry.max_attempts, positive)?,
                ..d.retry
            },
            lost_after: Duration::from_secs(number("OMS_LOST_JOB_AFTER_SECS", d.lost_after.as_secs(), positive)?),
            schedule: schedule_from_env(&d.schedule)?,
        };
        for (name, n) in [
            ("OMS_CONCURRENCY_FULFILLMENT", s.concurrency_fulfillment),
            ("OMS_CONCURRENCY_NOTIFICATION", s.concurrency_notification),
            ("OMS_CONCURRENCY_RETURNS", s.concurrency_returns),
        ] {
            if n == 0 {
                return Err(SettingsError { name, what: positive, value: "0".into() });
            }
        }
        for (name, n) in [
            ("OMS_POLL_INTERVAL_MS", s.poll_interval.as_millis()),
            ("OMS_RELAY_INTERVAL_MS", s.relay_interval.as_millis()),
            ("OMS_RELAY_BATCH", u128::from(s.relay_batch)),
        ] {
            if n == 0 {
                return Err(SettingsError { name, what: positive, value: "0".into() });
            }
        }
        if s.retry.max_attempts < 1 {
            return Err(SettingsError {
                name: "OMS_JOB_MAX_ATTEMPTS",
                what: positive,
                value: s.retry.max_attempts.to_string(),
            });
        }
        Ok(s)
    }

    pub fn concurrency(&self, queue: Queue) -> usize {
        match queue {
            Queue::Fulfillment => self.concurrency_fulfillment,
            Queue::Notification => self.concurrency_notification,
            Queue::Returns => self.concurrency_returns,
        }
    }

    /// The queue's name in the queue backend.
    pub fn queue_name(&self, queue: Queue) -> String {
        format!("{}{}", self.queue_prefix, queue.name())
    }
}
