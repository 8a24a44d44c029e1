//! Holds: an agent stops an order from going to fulfilment (a fraud review, a payment to
//! collect, the customer asked to wait, an address to check). An order may have several; while
//! any is open nothing of it is released to its locations — confirmation leaves its fulfilment
//! orders pending, work created later (backorder fills, re-routing, changes) is created pending
//! (`fulfillment::status_for_new_work` reads the order's `open_holds`), and placing a hold calls
//! back fulfilment orders released but not yet accepted. Releasing the last hold writes a job
//! that releases what waited and tells the locations, so the release survives a crash and runs
//! once however often the job is delivered.
use chrono::Utc;
use entities::{fulfillment_order, order, order_hold};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::events::record_event;
use super::{FulfillmentStatus as FS, OrderEventKind, OrderStatus};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::jobs::Job;
use crate::{locks, outbox, validate};

pub use entities::enums::HoldType;

/// A hold to place.
#[derive(Debug, Clone)]
pub struct PlaceHold {
    pub order_id: Uuid,
    pub hold_type: HoldType,
    pub reason: String,
}

/// A hold to release.
#[derive(Debug, Clone)]
pub struct ReleaseHold {
    pub hold_id: Uuid,
    /// Why it may go on now (e.g. "fraud review passed").
    pub note: Option<String>,
}

/// Places a hold on an order that has not shipped yet. Agents and admins only.
#[tracing::instrument(skip_all, fields(order_id = %input.order_id))]
pub async fn place_hold(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &PlaceHold,
) -> DomainResult<(order_hold::Model, order::Model)> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let reason = validate::text(&["reason"], &input.reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
    let reason = reason.as_str();
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let order = locks::order_or_missing(&txn, input.order_id, "orderId").await?;
        if matches!(
            order.status,
            OrderStatus::Cancelled | OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::PickedUp
        ) {
            let message = format!("order {} is {}: there is nothing left to hold", order.number, order.status);
            return Err(DomainError::rejected(&["orderId"], ErrorCode::InvalidState, message));
        }
        let now = Utc::now();
        let hold = order_hold::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order.id),
            hold_type: Set(input.hold_type),
            reason: Set(reason.to_owned()),
            placed_by_role: Set(actor.role_label().to_owned()),
            placed_by: Set(actor.label()),
            placed_at: Set(now),
            released_by_role: Set(None),
            released_by: Set(None),
            released_at: Set(None),
            release_note: Set(None),
        }
        .insert(&txn)
        .await?;
        // Released but not yet accepted: the location has not started, so the work is called back
        // until the order may go on. Accepted work is under way and stays.
        use fulfillment_order::Column as F;
        let recalled = fulfillment_order::Entity::update_many()
            .col_expr(F::Status, Expr::value(FS::Pending))
            .col_expr(F::ReleasedAt, Expr::value(Option::<chrono::DateTime<Utc>>::None))
            .col_expr(F::UpdatedAt, Expr::value(now))
            .filter(F::OrderId.eq(order.id))
            .filter(F::Status.eq(FS::Released))
            .exec(&txn)
            .await?
            .rows_affected;
        let order = move_holds(&txn, &order, 1).await?;
        let mut message = format!("{} hold placed on order {}: {reason}", input.hold_type, order.number);
        if recalled > 0 {
            message.push_str(&format!(" ({recalled} released fulfilment order(s) called back)"));
        }
        let data = serde_json::json!({ "holdId": hold.id, "type": input.hold_type });
        record_event(&txn, order.id, OrderEventKind::HoldPlaced, actor, message, Some(data)).await?;
        txn.commit().await?;
        Ok((hold, order))
    })
    .await
}

/// Releases a hold. On the last one, a job releases the order's waiting work to its locations.
/// Agents and admins only.
#[tracing::instrument(skip_all, fields(hold_id = %input.hold_id))]
pub async fn release_hold(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &ReleaseHold,
) -> DomainResult<(order_hold::Model, order::Model)> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    let note = problems.take(validate::optional_text(&["note"], input.note.as_deref(), 500));
    let note = problems.finish(note)?;
    let note = note.as_deref();
    retry_once(|| async move {
        let missing = || DomainError::not_found(&["holdId"], "hold");
        let found = order_hold::Entity::find_by_id(input.hold_id).one(db).await?.ok_or_else(missing)?;
        let txn = begin_write(db).await?;
        let order = locks::order_or_missing(&txn, found.order_id, "holdId").await?;
        // Read again under the order's lock: another agent may have released it meanwhile.
        let hold = order_hold::Entity::find_by_id(input.hold_id).one(&txn).await?.ok_or_else(missing)?;
        if hold.released_at.is_some() {
            let message = format!("this hold was already released by {}", hold.released_by.unwrap_or_default());
            return Err(DomainError::rejected(&["holdId"], ErrorCode::InvalidState, message));
        }
        let now = Utc::now();
        let mut released = hold.clone().into_active_model();
        released.released_by_role = Set(Some(actor.role_label().to_owned()));
        released.released_by = Set(Some(actor.label()));
        released.released_at = Set(Some(now));
        released.release_note = Set(note.map(str::to_owned));
        let hold = released.update(&txn).await?;
        let order = move_holds(&txn, &order, -1).await?;
        let message = match note {
            Some(n) => format!("{} hold released on order {}: {n}", hold.hold_type, order.number),
            None => format!("{} hold released on order {}", hold.hold_type, order.number),
        };
        let data = serde_json::json!({ "holdId": hold.id, "openHolds": order.open_holds });
        record_event(&txn, order.id, OrderEventKind::HoldReleased, actor, message, Some(data)).await?;
        if order.open_holds == 0 {
            outbox::enqueue_job(&txn, &Job::ReleaseHeld { order_id: order.id, hold_id: hold.id }).await?;
        }
        txn.commit().await?;
        Ok((hold, order))
    })
    .await
}

/// Counts `delta` more (or fewer) open holds on the locked order and moves its version on.
async fn move_holds(txn: &DatabaseTransaction, order: &order::Model, delta: i32) -> DomainResult<order::Model> {
    use order::Column as O;
    order::Entity::update_many()
        .col_expr(O::OpenHolds, Expr::col(O::OpenHolds).add(delta))
        .col_expr(O::Version, Expr::col(O::Version).add(1))
        .col_expr(O::UpdatedAt, Expr::value(Utc::now()))
        .filter(O::Id.eq(order.id))
        .exec(txn)
        .await?;
    order::Entity::find_by_id(order.id).one(txn).await?.ok_or_else(|| DomainError::not_found(&["orderId"], "order"))
}

/// The job after the last hold's release: releases the order's pending fulfilment orders if it
/// is confirmed and still holds none. `true` when something was released (the locations are
/// then told). A repeated or late job finds nothing pending, or a new hold, and does nothing.
pub async fn release_after_holds(db: &DatabaseConnection, order_id: Uuid) -> DomainResult<bool> {
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let Some(order) = locks::order(&txn, order_id).await? else {
            return Ok(false);
        };
        if order.open_holds > 0 || matches!(order.status, OrderStatus::Pending | OrderStatus::Cancelled) {
            return Ok(false);
        }
        let now = Utc::now();
        use fulfillment_order::Column as F;
        let released = fulfillment_order::Entity::update_many()
            .col_expr(F::Status, Expr::value(FS::Released))
            .col_expr(F::ReleasedAt, Expr::value(Some(now)))
            .col_expr(F::UpdatedAt, Expr::value(now))
            .filter(F::OrderId.eq(order.id))
            .filter(F::Status.eq(FS::Pending))
            // Goods held for an appointment still wait for their day (the `appointments` tick).
            .filter(F::ReleaseOn.is_null().or(F::ReleaseOn.lte(now.date_naive())))
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        Ok(released > 0)
    })
    .await
}

/// The holds of these orders, oldest first. Callers check access to the orders.
pub async fn holds_for_orders(db: &DatabaseConnection, order_ids: &[Uuid]) -> DomainResult<Vec<order_hold::Model>> {
    Ok(order_hold::Entity::find()
        .filter(order_hold::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_hold::Column::Id)
        .all(db)
        .await?)
}

/// Whether `actor` may read an order's holds (their reasons are written for staff): staff and
/// associates, who see why work waits; refused to customers.
pub fn check_holds_visible(actor: &Actor) -> DomainResult<()> {
    if actor.sees_order_internals() { Ok(()) } else { Err(DomainError::Forbidden) }
}
