//! Background jobs, for admins: list them by status and queue, and retry a failed one.
use async_graphql::{Context, Enum, ID, InputObject, Object};
use domain::jobs::{self, JobFilter as DomainFilter, Queue as DomainQueue};
use entities::job;
use uuid::Uuid;

use super::common::{connection, page_request, parts, payload};
use super::errors::{ApiResult, respond};

/// Where a job's run stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::JobStatus")]
pub enum JobStatus {
    /// Handed to its queue, waiting for a worker.
    Queued,
    /// A worker is running it.
    Running,
    /// It failed and waits out its backoff before it runs again.
    Retrying,
    /// It ran to completion.
    Succeeded,
    /// It failed on every attempt of its budget; it is kept with its last error until retried.
    Failed,
}

/// A job queue.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::jobs::Queue")]
pub enum JobQueue {
    /// Fulfilment work: releases, automatic confirmations, backorder fills and the scheduled
    /// ticks (expiry, acceptance deadlines, purging).
    Fulfillment,
    /// Customer emails.
    Notification,
    /// Return processing.
    Returns,
}

/// Which jobs to list.
#[derive(InputObject, Default, Debug)]
pub struct JobFilter {
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// Only jobs of this queue.
    pub queue: Option<JobQueue>,
}

/// A background job run.
#[derive(Clone, Debug)]
pub struct Job(pub job::Model);

/// A background job: what it is, its queue, attempts and last error.
#[Object]
impl Job {
    /// The job's id: pass it to `retryJob`.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// The queue it runs on.
    async fn queue(&self) -> Option<JobQueue> {
        DomainQueue::parse(&self.0.queue).map(Into::into)
    }

    /// The job's kind, e.g. "order_confirmed" or "release_order".
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// At most one job per cause: the key that makes a repeated cause enqueue nothing.
    async fn dedupe_key(&self) -> &str {
        &self.0.dedupe_key
    }

    /// The job's arguments as JSON text.
    async fn payload(&self) -> &str {
        &self.0.payload
    }

    /// Where the run stands.
    async fn status(&self) -> JobStatus {
        self.0.status.into()
    }

    /// How many times it has started.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// How many attempts it gets before it is kept as FAILED.
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }

    /// The error of the last failed attempt, if any.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When a RETRYING job runs again (RFC 3339).
    async fn next_run_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.next_run_at
    }

    /// When it was first dispatched (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When it last changed (RFC 3339).
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// When it succeeded or was given up on (RFC 3339).
    async fn finished_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.finished_at
    }
}

impl From<job::Model> for Job {
    fn from(j: job::Model) -> Self {
        Job(j)
    }
}

connection!(JobConnection, JobEdge, Job, "background jobs");

/// Retry a failed job.
#[derive(InputObject, Debug)]
pub struct RetryJobInput {
    /// The FAILED job to run again with a fresh budget.
    pub job_id: ID,
}

payload!(RetryJobPayload, job: Job, "retryJob");

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// Background jobs, oldest first. Admins only.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which jobs to list.")] filter: Option<JobFilter>,
        #[graphql(desc = "How many jobs to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the jobs after this cursor.")] after: Option<String>,
    ) -> ApiResult<JobConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let filter = filter.unwrap_or_default();
        let filter = DomainFilter { status: filter.status.map(Into::into), queue: filter.queue.map(Into::into) };
        let result = jobs::list_jobs(db, actor, &filter, page).await?;
        Ok(JobConnection::from_page(result, page.after.is_some(), |j| j.id, Job::from))
    }
}

#[derive(Default)]
pub struct JobMutation;

#[Object]
impl JobMutation {
    /// Runs a FAILED job again with a fresh retry budget. Admins only.
    async fn retry_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RetryJob request.")] input: RetryJobInput,
    ) -> ApiResult<RetryJobPayload> {
        let (db, actor) = parts(ctx)?;
        let result = match Uuid::parse_str(input.job_id.as_str()) {
            Ok(id) => jobs::retry_job(db, actor, id).await,
            // A malformed id answers like a missing one, after the same access check.
            Err(_) if !actor.is_admin() => Err(domain::DomainError::Forbidden),
            Err(_) => Err(domain::DomainError::not_found(&["jobId"], "the job")),
        };
        respond(result)
    }
}
