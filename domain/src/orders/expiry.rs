//! Orders nobody confirmed in time stop holding stock: an order still PENDING past its
//! channel's waiting time (see [`super::confirmation`]) is cancelled as expired. It is unwound as
//! a cancellation is (reservations released through the ledger, the promotion given back, the
//! freed stock offered to backorders), its timeline says ORDER_EXPIRED, and the customer gets the
//! "expired" email.
//!
//! Each order expires in its own transaction under its lock, so a confirmation racing the expiry
//! is decided by the lock: whichever commits first wins, and the other sees the order's new
//! status and does nothing (the confirmation is refused with INVALID_STATE).
use chrono::{DateTime, Duration, Utc};
use entities::order;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::OrderEventKind;
use super::confirmation::load_rules;
use super::events::record_event;
use super::lifecycle::transition;
use super::status::OrderStatus;
use super::unwinding::unwind;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::DomainResult;
use crate::jobs::{Job, NotificationEvent};
use crate::{locks, outbox};

/// How many due orders one query reads; the run goes on until none is left.
const BATCH: u64 = 200;

/// Expires every order past its channel's waiting time; returns how many it expired.
pub async fn expire_due(db: &DatabaseConnection) -> DomainResult<usize> {
    let now = Utc::now();
    let mut expired = 0;
    for rule in load_rules(db).await? {
        let Some(minutes) = rule.expire_after_minutes else { continue };
        let cutoff = now - Duration::minutes(i64::from(minutes));
        loop {
            let due: Vec<Uuid> = order::Entity::find()
                .select_only()
                .column(order::Column::Id)
                .filter(order::Column::Status.eq(OrderStatus::Pending))
                .filter(order::Column::Channel.eq(rule.channel))
                .filter(order::Column::CreatedAt.lte(cutoff))
                .order_by_asc(order::Column::CreatedAt)
                .limit(BATCH)
                .into_tuple()
                .all(db)
                .await?;
            // Each order read is expired here or was confirmed or cancelled meanwhile: either
            // way it is no longer due, so the loop ends.
            let read = due.len();
            for order_id in due {
                if retry_once(|| expire_once(db, order_id, cutoff, minutes)).await? {
                    expired += 1;
                }
            }
            if (read as u64) < BATCH {
                break;
            }
        }
    }
    if expired > 0 {
        tracing::info!(expired, "unconfirmed orders expired");
    }
    Ok(expired)
}

/// Expires one order if, under its lock, it is still pending and was placed before `cutoff`.
async fn expire_once(
    db: &DatabaseConnection,
    order_id: Uuid,
    cutoff: DateTime<Utc>,
    minutes: i32,
) -> DomainResult<bool> {
    let txn = begin_write(db).await?;
    let Some(current) = locks::order(&txn, order_id).await? else { return Ok(false) };
    if current.status != OrderStatus::Pending || current.created_at > cutoff {
        return Ok(false);
    }
    let actor = Actor::System;
    let expired = transition(&txn, &actor, order_id, &[OrderStatus::Pending], OrderStatus::Cancelled, None).await?;
    unwind(&txn, &actor, &expired, &format!("order expired: not confirmed within {minutes} minutes")).await?;
    record_event(
        &txn,
        order_id,
        OrderEventKind::OrderExpired,
        &actor,
        format!("Order {} expired: not confirmed within {minutes} minutes", expired.number),
        Some(serde_json::json!({ "expireAfterMinutes": minutes })),
    )
    .await?;
    outbox::enqueue_job(&txn, &Job::notify(order_id, NotificationEvent::OrderExpired)).await?;
    txn.commit().await?;
    tracing::info!(number = %expired.number, "order expired");
    Ok(true)
}
