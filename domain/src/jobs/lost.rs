//! Jobs a queue lost. The relay marks an outbox row dispatched once the queue took its job; a
//! Redis restarted without persistence forgets the jobs it held, waiting or in flight, and
//! nothing would run them again: their run records stay QUEUED (or RUNNING, for a job whose
//! worker was stopped mid-run when its connection broke). A job dispatched and not finished far
//! longer than any backlog or run lasts is handed back to the relay, which pushes it again.
//!
//! A job that was only slow is delivered twice then: whichever delivery comes second finds it
//! finished and does nothing. So the threshold is long against the queue's normal wait, and a
//! repeat is harmless.
use std::time::Duration;

use chrono::{DateTime, Utc};
use entities::{job, outbox_message};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use super::JobStatus;
use crate::error::DomainResult;

/// Puts back in the outbox every job whose run has been QUEUED or RUNNING, unchanged, for longer
/// than `unfinished_for`; returns how many. The runs are QUEUED again from now, so the next
/// sweep leaves them alone while the relay pushes them.
pub async fn requeue_lost(db: &DatabaseConnection, unfinished_for: Duration) -> DomainResult<u64> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(unfinished_for).unwrap_or_else(|_| chrono::Duration::zero());
    let unfinished = || {
        sea_orm::Condition::all()
            .add(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
            .add(job::Column::UpdatedAt.lt(cutoff))
    };
    let lost = job::Entity::find().select_only().column(job::Column::DedupeKey).filter(unfinished()).into_query();
    let txn = crate::db::begin_write(db).await?;
    let rearmed = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::DispatchedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox_message::Column::AvailableAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(outbox_message::Column::DispatchedAt.is_not_null())
        .filter(outbox_message::Column::DedupeKey.in_subquery(lost))
        .exec(&txn)
        .await?;
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Queued))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(unfinished())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(rearmed.rows_affected)
}
