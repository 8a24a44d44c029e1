//! Scheduled work, run once per period across all replicas. Every worker process's scheduler
//! writes a tick for the current period to the outbox under the dedupe key
//! `tick:<task>:<period start>`: whatever the number of processes, one row per period exists,
//! the relay pushes it once, and its handler does the work. A cron in every process would do the
//! work in every process.
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The work that runs on a schedule.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledTask {
    /// Cancel orders left unconfirmed past their channel's time, releasing their stock.
    ExpireOrders,
    /// Re-route released fulfilment orders their location did not accept in time.
    AcceptanceDeadlines,
    /// Forget idempotency keys past their retention, and old finished ticks.
    PurgeIdempotencyKeys,
    /// Hand jobs a queue lost (a Redis restarted without persistence) back to the relay.
    RequeueLostJobs,
    /// Remind customers of tomorrow's appointments, and release goods held for a slot's day.
    Appointments,
}

impl ScheduledTask {
    pub const ALL: [ScheduledTask; 5] = [
        ScheduledTask::ExpireOrders,
        ScheduledTask::AcceptanceDeadlines,
        ScheduledTask::PurgeIdempotencyKeys,
        ScheduledTask::RequeueLostJobs,
        ScheduledTask::Appointments,
    ];

    /// The job kind of its ticks.
    pub fn kind(self) -> &'static str {
        match self {
            ScheduledTask::ExpireOrders => "expire_orders",
            ScheduledTask::AcceptanceDeadlines => "acceptance_deadlines",
            ScheduledTask::PurgeIdempotencyKeys => "purge_idempotency_keys",
            ScheduledTask::RequeueLostJobs => "requeue_lost_jobs",
            ScheduledTask::Appointments => "appointments",
        }
    }

    pub fn parse(kind: &str) -> Option<ScheduledTask> {
        ScheduledTask::ALL.into_iter().find(|t| t.kind() == kind)
    }
}

/// One period of a scheduled task.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tick {
    pub task: ScheduledTask,
    /// When the period began: every replica computes the same instant.
    pub period_start: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TickPayload {
    period_start: String,
}

/// The prefix of every tick's dedupe key.
pub const TICK_PREFIX: &str = "tick:";

impl Tick {
    /// The tick of the period of length `period` that `now` falls in. Periods are counted from
    /// the Unix epoch, so every process agrees on their boundaries without talking.
    pub fn at(task: ScheduledTask, period: Duration, now: DateTime<Utc>) -> Tick {
        let length = i64::try_from(period.as_millis()).unwrap_or(i64::MAX).max(1);
        let millis = now.timestamp_millis();
        let start = millis - millis.rem_euclid(length);
        Tick { task, period_start: Utc.timestamp_millis_opt(start).single().unwrap_or(now) }
    }

    fn period_text(&self) -> String {
        self.period_start.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn dedupe_key(&self) -> String {
        format!("{TICK_PREFIX}{}:{}", self.task.kind(), self.period_text())
    }

    pub fn payload(&self) -> serde_json::Value {
        serde_json::json!({ "periodStart": self.period_text() })
    }

    pub(super) fn from_payload(task: ScheduledTask, payload: &str) -> Result<Tick, String> {
        let p = serde_json::from_str::<TickPayload>(payload).map_err(|e| e.to_string())?;
        let start = DateTime::parse_from_rfc3339(&p.period_start).map_err(|e| e.to_string())?;
        Ok(Tick { task, period_start: start.with_timezone(&Utc) })
    }
}

/// The longest period a scheduled task may have.
pub const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);
/// How long the records of a tick that succeeded are kept (for the admin listing). Longer than
/// any period, so a tick's dedupe row outlives its period and no replica writes it again.
pub const TICK_RETENTION_HOURS: i64 = 48;

/// Deletes the outbox rows and run records of ticks that succeeded more than
/// [`TICK_RETENTION_HOURS`] ago, in batches; returns how many ticks. A failed tick is kept for
/// admins to see.
pub async fn purge_finished_ticks(db: &sea_orm::DatabaseConnection) -> crate::DomainResult<u64> {
    use entities::{job, outbox_message};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let before = Utc::now() - chrono::Duration::hours(TICK_RETENTION_HOURS);
    let mut purged = 0;
    loop {
        let keys: Vec<String> = job::Entity::find()
            .select_only()
            .column(job::Column::DedupeKey)
            .filter(job::Column::DedupeKey.starts_with(TICK_PREFIX))
            .filter(job::Column::Status.eq(super::JobStatus::Succeeded.as_str()))
            .filter(job::Column::FinishedAt.lte(before))
            .limit(crate::idempotency::PURGE_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if keys.is_empty() {
            return Ok(purged);
        }
        let read = keys.len() as u64;
        let txn = crate::db::begin_write(db).await?;
        outbox_message::Entity::delete_many()
            .filter(outbox_message::Column::DedupeKey.is_in(keys.clone()))
            .exec(&txn)
            .await?;
        job::Entity::delete_many().filter(job::Column::DedupeKey.is_in(keys)).exec(&txn).await?;
        txn.commit().await?;
        purged += read;
        if read < crate::idempotency::PURGE_BATCH {
            return Ok(purged);
        }
    }
}
