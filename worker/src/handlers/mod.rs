//! One file per job kind. A handler loads, checks whether its effect already happened, and
//! calls one domain function. Around every handler, [`run`] keeps the run record: it counts the
//! attempt, skips a job that already finished (a duplicate delivery or an orphan re-run), and
//! on failure hands the job back to the outbox with its backoff, or gives up past the budget.
use std::sync::Arc;

use domain::DatabaseConnection;
use domain::jobs::{self, Job, JobEnvelope, JobStatus, RetryPolicy, RunDecision};
use domain::notifications::{self, Begun};

use crate::email::{Mailer, Templates};

mod auto_confirm;
mod fill_backorders;
mod notify;
mod process_return;
mod release_held;
mod release_order;
mod tick;

/// What every handler may use.
pub struct JobContext {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub templates: Templates,
    pub retry: RetryPolicy,
    /// How long a job may wait QUEUED before it counts as lost by its queue.
    pub lost_after: std::time::Duration,
    /// For webhooks: a short timeout, so a slow receiver fails the attempt rather than the pool.
    pub http: reqwest::Client,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (the mail server or the database was away).
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help (an outbox row no job type reads).
    #[error("{0}")]
    Permanent(String),
}

impl From<domain::DomainError> for HandlerError {
    fn from(e: domain::DomainError) -> Self {
        HandlerError::Transient(e.to_string())
    }
}

/// How a handler ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Done: [`run`] records the run's success.
    Done,
    /// Done, and the run's success already recorded with the handler's own effect, in its
    /// transaction (one commit instead of two).
    Recorded,
}

/// The run record itself could not be written: the queue's own redelivery takes over.
#[derive(Debug, thiserror::Error)]
#[error("recording the job run: {0}")]
pub struct BookkeepingError(#[from] domain::DomainError);

/// Runs one delivered job with its bookkeeping. Returns an error only when the run record
/// could not be written, so the queue redelivers; a failed job is retried through the outbox.
pub async fn run(ctx: &Arc<JobContext>, env: JobEnvelope) -> Result<(), BookkeepingError> {
    let job = env.job();
    // A notification starts its run and claims its email in one statement where it can.
    let begun = match &job {
        Ok(Job::Notify(n)) => notifications::begin(&ctx.db, n, &env.dedupe_key).await?,
        _ => Begun::NotStarted,
    };
    let (attempt, claimed) = match begun {
        Begun::Started { attempt, claim } => (attempt, Some(claim)),
        Begun::NotStarted => match jobs::begin_run(&ctx.db, &env, &ctx.retry).await? {
            RunDecision::Skip => {
                tracing::debug!(key = %env.dedupe_key, "job already finished; skipped");
                return Ok(());
            }
            RunDecision::Run { attempt } => (attempt, None),
        },
    };
    let outcome = match job {
        Ok(job) => dispatch(ctx, &job, &env.dedupe_key, claimed).await,
        Err(e) => Err(HandlerError::Permanent(e.to_string())),
    };
    match outcome {
        Ok(Finished::Done) => jobs::succeed_run(&ctx.db, &env.dedupe_key).await?,
        Ok(Finished::Recorded) => {}
        Err(e) => {
            let permanent = matches!(e, HandlerError::Permanent(_));
            let status = jobs::fail_run(&ctx.db, &env.dedupe_key, &e.to_string(), permanent, &ctx.retry).await?;
            if status == JobStatus::Failed {
                tracing::error!(key = %env.dedupe_key, attempt, error = %e, "job failed for good");
            } else {
                tracing::warn!(key = %env.dedupe_key, attempt, error = %e, "job failed; will retry");
            }
        }
    }
    Ok(())
}

/// `claimed`: the email a notification job's start already claimed, if it did.
async fn dispatch(
    ctx: &JobContext,
    job: &Job,
    run: &str,
    claimed: Option<notifications::Claim>,
) -> Result<Finished, HandlerError> {
    match job {
        Job::Notify(n) => return notify::handle(ctx, n, run, claimed).await,
        Job::ReleaseOrder { order_id } => release_order::handle(ctx, *order_id).await,
        Job::AutoConfirm { order_id } => auto_confirm::handle(ctx, *order_id).await,
        Job::FillBackorders { freed, .. } => fill_backorders::handle(ctx, freed).await,
        Job::Tick(tick) => tick::handle(ctx, tick).await,
        Job::ReleaseHeld { order_id, .. } => release_held::handle(ctx, *order_id).await,
        Job::ProcessReturn { return_id } => process_return::handle(ctx, *return_id).await,
    }
    .map(|()| Finished::Done)
}
