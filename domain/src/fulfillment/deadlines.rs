//! Acceptance deadlines: a location may give its associates a number of minutes to accept a
//! released fulfilment order. One still RELEASED after that is routed elsewhere exactly as a
//! rejection would be ([`super::rerouting`]): its reservation given back, its lines routed again
//! without that location, what nothing can fill backordered; the timeline says
//! FULFILLMENT_TIMED_OUT and the fulfilment order ends REJECTED with the reason.
//!
//! Each fulfilment order times out in its own transaction under its order's lock, re-read there:
//! an associate accepting at the same moment either commits first (and the deadline does
//! nothing) or finds it rejected.
use chrono::{DateTime, Duration, Utc};
use entities::{fulfillment_order, location};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::rerouting::{Why, reroute};
use super::transitions::move_fo;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult};
use crate::locks;
use crate::orders::{FulfillmentStatus as FS, OrderEventKind};

/// The longest deadline an admin may set: a week.
pub const MAX_ACCEPTANCE_DEADLINE_MINUTES: i32 = 7 * 24 * 60;

/// How many overdue fulfilment orders one query reads; the run goes on until none is left.
const BATCH: u64 = 200;

/// Re-routes every released fulfilment order whose location's deadline passed; returns how many.
/// One that cannot be re-routed (the database failed) is left for the next run, and the run
/// reports the failure after trying the others.
pub async fn time_out_overdue(db: &DatabaseConnection) -> DomainResult<usize> {
    let now = Utc::now();
    let locations =
        location::Entity::find().filter(location::Column::AcceptanceDeadlineMinutes.is_not_null()).all(db).await?;
    let mut timed_out = 0;
    let mut failure = None;
    for location in locations {
        let Some(minutes) = location.acceptance_deadline_minutes else { continue };
        let cutoff = now - Duration::minutes(i64::from(minutes));
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = fulfillment_order::Entity::find()
                .select_only()
                .column(fulfillment_order::Column::Id)
                .filter(fulfillment_order::Column::LocationId.eq(location.id))
                .filter(fulfillment_order::Column::Status.eq(FS::Released))
                .filter(fulfillment_order::Column::ReleasedAt.lte(cutoff))
                .order_by_asc(fulfillment_order::Column::Id)
                .limit(BATCH);
            // Ids in order, from the last one read: one that failed is not read again this run.
            if let Some(last) = after {
                query = query.filter(fulfillment_order::Column::Id.gt(last));
            }
            let due: Vec<Uuid> = query.into_tuple().all(db).await?;
            let read = due.len();
            for fo_id in due {
                after = Some(fo_id);
                match retry_once(|| time_out(db, fo_id, cutoff, minutes, &location.code)).await {
                    Ok(true) => timed_out += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(fulfillment_order_id = %fo_id, error = %e, "re-routing after the deadline failed");
                        failure = Some(e);
                    }
                }
            }
            if (read as u64) < BATCH {
                break;
            }
        }
    }
    if timed_out > 0 {
        tracing::info!(timed_out, "fulfilment orders not accepted in time were re-routed");
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(timed_out),
    }
}

/// Times one fulfilment order out if, under its order's lock, it is still released and was
/// released before `cutoff`.
async fn time_out(
    db: &DatabaseConnection,
    fo_id: Uuid,
    cutoff: DateTime<Utc>,
    minutes: i32,
    code: &str,
) -> DomainResult<bool> {
    let txn = begin_write(db).await?;
    let missing = || DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order");
    let seen = fulfillment_order::Entity::find_by_id(fo_id).one(&txn).await?.ok_or_else(missing)?;
    let Some(order) = locks::order(&txn, seen.order_id).await? else { return Ok(false) };
    let fo = fulfillment_order::Entity::find_by_id(fo_id).one(&txn).await?.ok_or_else(missing)?;
    if fo.status != FS::Released || fo.released_at.is_none_or(|at| at > cutoff) {
        return Ok(false);
    }
    let reason = format!("not accepted within {minutes} minutes");
    let fo = move_fo(&txn, &fo, &[FS::Released], FS::Rejected, |m| m.reject_reason = Set(Some(reason.clone()))).await?;
    let why = Why {
        kind: OrderEventKind::FulfillmentTimedOut,
        message: format!("{code} did not accept its part of {} within {minutes} minutes", order.number),
        release_reason: format!("{code} did not accept it within {minutes} minutes"),
        write_off_reason: String::new(),
    };
    reroute(&txn, &fo, &order, &Actor::System, &why, &[]).await?;
    txn.commit().await?;
    Ok(true)
}
