//! The outbox: jobs written in the same transaction as the change that caused them, so a job
//! exists exactly when its cause committed. A relay (the workers) moves them to the queues.
use chrono::Utc;
use entities::outbox_message;
use sea_orm::sea_query::{InsertStatement, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, QueryTrait, Set};
use uuid::Uuid;

use crate::error::DomainResult;
use crate::jobs::Job;

/// The queues jobs go to.
pub mod queue {
    pub const FULFILLMENT: &str = "oms.fulfillment";
    pub const NOTIFICATION: &str = "oms.notification";
    pub const RETURNS: &str = "oms.returns";
}

/// Writes a job to the outbox inside the caller's transaction, once per dedupe key: writing it
/// again (a retried change, a second replica's tick) does nothing.
pub async fn enqueue_job<C: ConnectionTrait>(txn: &C, job: &Job) -> DomainResult<()> {
    txn.execute_raw(txn.get_database_backend().build(&job_insert(job))).await?;
    Ok(())
}

/// The insert of a job's outbox row, for a caller that writes it with others (`batch`).
pub fn job_insert(job: &Job) -> InsertStatement {
    outbox_message::Entity::insert(outbox_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        queue: Set(job.queue().outbox_name().to_owned()),
        kind: Set(job.kind().to_owned()),
        payload: Set(job.payload().to_string()),
        dedupe_key: Set(job.dedupe_key()),
        created_at: Set(Utc::now()),
        dispatched_at: Set(None),
        available_at: Set(None),
    })
    .on_conflict(OnConflict::column(outbox_message::Column::DedupeKey).do_nothing().to_owned())
    .into_query()
}
