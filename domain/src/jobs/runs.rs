//! The run record of each job (`job_runs`): attempts, last error, the retry budget, and the
//! admin listing.
use chrono::{DateTime, Utc};
use entities::{job, outbox_message};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::pagination::{Page, PageRequest, into_page};

use super::*;

pub use entities::enums::JobStatus;

/// The retry budget: how many runs a job gets and how long it waits between them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: i32,
    pub base_delay: std::time::Duration,
    pub max_delay: std::time::Duration,
}

impl Default for RetryPolicy {
    /// Eight runs over about an hour: 5 s, 10 s, 20 s … capped at 30 min. Long enough to ride
    /// out an SMTP or warehouse outage, short enough that a broken job surfaces the same day.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: std::time::Duration::from_secs(5),
            max_delay: std::time::Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempt`-th failed run (1-based): base × 2^(attempt-1), capped.
    pub fn backoff(&self, attempt: i32) -> std::time::Duration {
        let exp = std::cmp::min(u32::try_from(attempt.saturating_sub(1)).unwrap_or(0), 20);
        std::cmp::min(self.base_delay.saturating_mul(1u32 << exp), self.max_delay)
    }
}

/// What a worker should do with a job it was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunDecision {
    /// Run it: this is attempt number `attempt`.
    Run { attempt: i32 },
    /// It already succeeded or was given up on (a duplicate delivery): do nothing.
    Skip,
}

/// A job as it travels through a queue: its outbox row's fields, read back with
/// [`JobEnvelope::job`] by the worker. Carrying the row (not just the job) keeps the run record
/// keyed by the row's own dedupe key, however the row was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobEnvelope {
    pub outbox_id: Uuid,
    pub queue: String,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: String,
}

impl JobEnvelope {
    pub fn from_row(row: &outbox_message::Model) -> JobEnvelope {
        JobEnvelope {
            outbox_id: row.id,
            queue: row.queue.clone(),
            kind: row.kind.clone(),
            payload: row.payload.clone(),
            dedupe_key: row.dedupe_key.clone(),
        }
    }

    pub fn job(&self) -> Result<Job, JobParseError> {
        Job::from_row(&self.queue, &self.kind, &self.payload)
    }
}

fn new_run(env: &JobEnvelope, policy: &RetryPolicy, status: JobStatus, error: Option<String>) -> job::ActiveModel {
    let now = Utc::now();
    let failed = status == JobStatus::Failed;
    job::ActiveModel {
        id: Set(Uuid::now_v7()),
        dedupe_key: Set(env.dedupe_key.clone()),
        queue: Set(env.queue.clone()),
        kind: Set(env.kind.clone()),
        payload: Set(env.payload.clone()),
        status: Set(status),
        attempts: Set(0),
        max_attempts: Set(policy.max_attempts),
        last_error: Set(error),
        next_run_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(failed.then_some(now)),
    }
}

async fn insert_run<C: ConnectionTrait>(db: &C, env: &JobEnvelope, policy: &RetryPolicy) -> DomainResult<()> {
    job::Entity::insert(new_run(env, policy, JobStatus::Queued, None))
        .on_conflict_do_nothing_on([job::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records that the relay handed jobs to their queues, in one statement: a first dispatch creates
/// the run record, a retried job is queued again and a re-dispatched one (after its queue lost
/// it) is queued from now; a finished or running one stays as it is.
pub async fn record_dispatch<C: ConnectionTrait>(
    db: &C,
    envs: &[JobEnvelope],
    policy: &RetryPolicy,
) -> DomainResult<()> {
    if envs.is_empty() {
        return Ok(());
    }
    let queued_again = OnConflict::column(job::Column::DedupeKey)
        .value(job::Column::Status, Expr::value(JobStatus::Queued))
        .value(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .action_and_where(job::Column::Status.is_in([JobStatus::Retrying, JobStatus::Queued]))
        .to_owned();
    job::Entity::insert_many(envs.iter().map(|e| new_run(e, policy, JobStatus::Queued, None)))
        .on_conflict(queued_again)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records an outbox row no queue takes as a failed job, so it shows in the admin listing
/// instead of blocking the relay.
pub async fn record_unroutable<C: ConnectionTrait>(
    db: &C,
    env: &JobEnvelope,
    error: &str,
    policy: &RetryPolicy,
) -> DomainResult<()> {
    job::Entity::insert(new_run(env, policy, JobStatus::Failed, Some(error.to_owned())))
        .on_conflict_do_nothing_on([job::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Starts a run: counts the attempt, unless the job is already finished. One statement when the
/// relay's record of the dispatch is there; the worker may see a job before the relay's
/// transaction that dispatched it has committed, and then creates the run record itself.
pub async fn begin_run(db: &DatabaseConnection, env: &JobEnvelope, policy: &RetryPolicy) -> DomainResult<RunDecision> {
    if let Some(attempt) = start_run(db, &env.dedupe_key).await? {
        return Ok(RunDecision::Run { attempt });
    }
    // Either it finished (a repeated delivery) or its record is not there yet.
    insert_run(db, env, policy).await?;
    Ok(match start_run(db, &env.dedupe_key).await? {
        Some(attempt) => RunDecision::Run { attempt },
        None => RunDecision::Skip,
    })
}

/// Counts an attempt of an unfinished run and returns its number.
async fn start_run(db: &DatabaseConnection, dedupe_key: &str) -> DomainResult<Option<i32>> {
    let started = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Running))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).add(1))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::DedupeKey.eq(dedupe_key))
        .filter(job::Column::Status.is_not_in([JobStatus::Succeeded, JobStatus::Failed]))
        .exec_with_returning(db)
        .await?;
    Ok(started.first().map(|j| j.attempts))
}

/// Records a successful run; inside the caller's transaction when the handler records its own
/// effect in the same commit (an email marked SENT).
pub async fn succeed_run<C: ConnectionTrait>(db: &C, dedupe_key: &str) -> DomainResult<()> {
    let now = Utc::now();
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Succeeded))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::NextRunAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(job::Column::DedupeKey.eq(dedupe_key))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed run. A permanent failure is not retried. Within the budget the job goes back to the outbox with a "not before"
/// time (exponential backoff); past it, it is kept as FAILED with its error. Returns the status
/// it ended in.
pub async fn fail_run(
    db: &DatabaseConnection,
    dedupe_key: &str,
    error: &str,
    permanent: bool,
    policy: &RetryPolicy,
) -> DomainResult<JobStatus> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let Some(run) = job::Entity::find().filter(job::Column::DedupeKey.eq(dedupe_key)).one(&txn).await? else {
        return Ok(JobStatus::Failed);
    };
    let error: String = error.chars().take(2000).collect();
    let mut active = run.clone().into_active_model();
    active.last_error = Set(Some(error));
    active.updated_at = Set(now);
    let status = if permanent || run.attempts >= run.max_attempts {
        active.status = Set(JobStatus::Failed);
        active.finished_at = Set(Some(now));
        active.next_run_at = Set(None);
        JobStatus::Failed
    } else {
        let wait =
            chrono::Duration::from_std(policy.backoff(run.attempts)).unwrap_or_else(|_| chrono::Duration::zero());
        let at = now + wait;
        active.status = Set(JobStatus::Retrying);
        active.next_run_at = Set(Some(at));
        rearm(&txn, dedupe_key, Some(at)).await?;
        JobStatus::Retrying
    };
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(status)
}

/// Puts a job's outbox row back for the relay, to be taken from `at` on.
async fn rearm<C: ConnectionTrait>(db: &C, dedupe_key: &str, at: Option<DateTime<Utc>>) -> DomainResult<()> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::DispatchedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox_message::Column::AvailableAt, Expr::value(at))
        .filter(outbox_message::Column::DedupeKey.eq(dedupe_key))
        .exec(db)
        .await?;
    Ok(())
}

/// What the admin listing filters on.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub queue: Option<Queue>,
}

/// Lists job runs, oldest first, for admins.
pub async fn list_jobs(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &JobFilter,
    page: PageRequest,
) -> DomainResult<Page<job::Model>> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let limit = page.limit()?;
    let mut q = job::Entity::find().order_by_asc(job::Column::Id);
    if let Some(status) = filter.status {
        q = q.filter(job::Column::Status.eq(status));
    }
    if let Some(queue) = filter.queue {
        q = q.filter(job::Column::Queue.eq(queue.outbox_name()));
    }
    if let Some(after) = page.after {
        q = q.filter(job::Column::Id.gt(after));
    }
    let rows = q.limit(limit + 1).all(db).await?;
    Ok(into_page(rows, limit))
}

/// Gives a failed job a fresh budget and puts it back in the outbox at once. Only a FAILED job
/// can be retried: the others are already on their way.
pub async fn retry_job(db: &DatabaseConnection, actor: &Actor, job_id: Uuid) -> DomainResult<job::Model> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let txn = crate::db::begin_write(db).await?;
    let Some(run) = job::Entity::find_by_id(job_id).lock_exclusive().one(&txn).await? else {
        return Err(DomainError::not_found(&["jobId"], "the job"));
    };
    if run.status != JobStatus::Failed {
        return Err(DomainError::rejected(
            &["jobId"],
            ErrorCode::InvalidState,
            format!("the job is {} and only a FAILED job can be retried", run.status),
        ));
    }
    let now = Utc::now();
    let mut active = run.clone().into_active_model();
    active.status = Set(JobStatus::Retrying);
    active.attempts = Set(0);
    active.finished_at = Set(None);
    active.next_run_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    rearm(&txn, &run.dedupe_key, None).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Loads one run record (admin).
pub async fn find_job<C: ConnectionTrait + TransactionTrait>(db: &C, job_id: Uuid) -> DomainResult<Option<job::Model>> {
    Ok(job::Entity::find_by_id(job_id).one(db).await?)
}
