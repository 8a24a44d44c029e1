//! The scheduler: scheduled work runs once across replicas. Every worker process runs this loop
//! and writes the tick of each task's current period to the outbox under the dedupe key
//! `tick:<task>:<period start>`; the outbox keeps one row per key, so however many processes
//! write it, the relay pushes one job per period and one worker does the work
//! ([`crate::handlers`]). A process that is down writes nothing and loses nothing: the others
//! write the tick.
use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::DatabaseConnection;
use domain::jobs::{Job, ScheduledTask, Tick};

/// How often each scheduled task runs; `None`: this process writes no ticks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Cancelling orders left unconfirmed past their channel's time.
    pub expire_orders: Option<Duration>,
    /// Re-routing fulfilment orders not accepted by their location's deadline.
    pub acceptance_deadlines: Option<Duration>,
    /// Forgetting expired idempotency keys (and old finished ticks).
    pub purge_idempotency_keys: Option<Duration>,
    /// Handing jobs a queue lost back to the relay.
    pub requeue_lost_jobs: Option<Duration>,
    /// Reminding customers of tomorrow's appointments and releasing goods held for a slot's day.
    pub appointments: Option<Duration>,
}

impl Default for Schedule {
    /// Expiry and deadlines every minute (both count in minutes), purging hourly (keys are kept
    /// a day), lost jobs looked for every minute.
    fn default() -> Self {
        Schedule {
            expire_orders: Some(Duration::from_secs(60)),
            acceptance_deadlines: Some(Duration::from_secs(60)),
            purge_idempotency_keys: Some(Duration::from_secs(60 * 60)),
            requeue_lost_jobs: Some(Duration::from_secs(60)),
            // Reminders go out the day before: a quarter of an hour late is on time.
            appointments: Some(Duration::from_secs(15 * 60)),
        }
    }
}

impl Schedule {
    /// No scheduled work from this process.
    pub fn off() -> Schedule {
        Schedule {
            expire_orders: None,
            acceptance_deadlines: None,
            purge_idempotency_keys: None,
            requeue_lost_jobs: None,
            appointments: None,
        }
    }

    pub fn period(&self, task: ScheduledTask) -> Option<Duration> {
        match task {
            ScheduledTask::ExpireOrders => self.expire_orders,
            ScheduledTask::AcceptanceDeadlines => self.acceptance_deadlines,
            ScheduledTask::PurgeIdempotencyKeys => self.purge_idempotency_keys,
            ScheduledTask::RequeueLostJobs => self.requeue_lost_jobs,
            ScheduledTask::Appointments => self.appointments,
        }
    }
}

/// Writes ticks until `stop` turns true.
pub async fn run(db: DatabaseConnection, schedule: Schedule, mut stop: tokio::sync::watch::Receiver<bool>) {
    let tasks: Vec<(ScheduledTask, Duration)> =
        ScheduledTask::ALL.into_iter().filter_map(|t| schedule.period(t).map(|p| (t, p))).collect();
    let Some(shortest) = tasks.iter().map(|(_, p)| *p).min() else { return };
    // Look twice per shortest period (at most every second), so a tick is written soon after its
    // period begins.
    let wake = (shortest / 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut written: HashMap<ScheduledTask, DateTime<Utc>> = HashMap::new();
    loop {
        if *stop.borrow() {
            return;
        }
        let now = Utc::now();
        for (task, period) in &tasks {
            let tick = Tick::at(*task, *period, now);
            if written.get(task) == Some(&tick.period_start) {
                continue;
            }
            match domain::outbox::enqueue_job(&db, &Job::Tick(tick)).await {
                Ok(()) => {
                    written.insert(*task, tick.period_start);
                }
                Err(e) => tracing::warn!(task = task.kind(), error = %e, "writing a tick failed; trying again"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wake) => {}
            _ = stop.changed() => {}
        }
    }
}
