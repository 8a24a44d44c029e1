//! Confirming and cancelling orders. Each change moves the order's version on; a caller that
//! names the version it saw is refused with STALE_VERSION if someone changed the order since.
use chrono::Utc;
use entities::{fulfillment_order, order};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::OrderEventKind;
use super::events::record_event;
use super::query::visible;
use super::status::{FulfillmentStatus, OrderStatus};
use super::unwinding::unwind;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{Job, NotificationEvent};
use crate::{locks, outbox, validate};

/// Moves the order, locked by this transaction, from one of `from` to `to`, bumping its
/// version, or says why it cannot.
pub(super) async fn transition(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order_id: Uuid,
    from: &[OrderStatus],
    to: OrderStatus,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    let current = locks::order(txn, order_id).await?;
    let Some(current) = current.filter(|o| visible(actor, o)) else {
        return Err(DomainError::not_found(&["orderId"], "order"));
    };
    if let Some(v) = expected_version
        && v != current.version
    {
        return Err(DomainError::rejected(
            &["expectedVersion"],
            ErrorCode::StaleVersion,
            format!("the order is at version {}, not {v}: reload it and try again", current.version),
        ));
    }
    if !from.contains(&current.status) {
        return Err(DomainError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!("order {} is {} and cannot become {}", current.number, current.status, to.as_str()),
        ));
    }
    use order::Column as O;
    order::Entity::update_many()
        .col_expr(O::Status, Expr::value(to.as_str()))
        .col_expr(O::Version, Expr::col(O::Version).add(1))
        .col_expr(O::UpdatedAt, Expr::value(Utc::now()))
        .filter(O::Id.eq(order_id))
        .exec(txn)
        .await?;
    order::Entity::find_by_id(order_id).one(txn).await?.ok_or_else(|| DomainError::not_found(&["orderId"], "order"))
}

/// Confirms a pending order (payment authorised, checks passed): it is released for
/// fulfilment and the customer is told.
#[tracing::instrument(skip(db, actor), fields(order_id = %order_id))]
pub async fn confirm_order(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    retry_once(|| confirm_once(db, actor, order_id, expected_version)).await
}

async fn confirm_once(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    let txn = begin_write(db).await?;
    let confirmed =
        transition(&txn, actor, order_id, &[OrderStatus::Pending], OrderStatus::Confirmed, expected_version).await?;
    // Confirmation releases the fulfilment orders to their locations, unless a hold keeps them
    // back: then the release of the last hold releases them (`orders::holds`).
    let now = Utc::now();
    if confirmed.open_holds == 0 {
        fulfillment_order::Entity::update_many()
            .col_expr(fulfillment_order::Column::Status, Expr::value(FulfillmentStatus::Released))
            .col_expr(fulfillment_order::Column::ReleasedAt, Expr::value(Some(now)))
            .col_expr(fulfillment_order::Column::UpdatedAt, Expr::value(now))
            .filter(fulfillment_order::Column::OrderId.eq(order_id))
            .filter(fulfillment_order::Column::Status.eq(FulfillmentStatus::Pending))
            // Goods held for an appointment wait for their release day (the `appointments` tick).
            .filter(
                fulfillment_order::Column::ReleaseOn
                    .is_null()
                    .or(fulfillment_order::Column::ReleaseOn.lte(now.date_naive())),
            )
            .exec(&txn)
            .await?;
    }
    record_event(
        &txn,
        order_id,
        OrderEventKind::OrderConfirmed,
        actor,
        format!("Order {} confirmed", confirmed.number),
        None,
    )
    .await?;
    outbox::enqueue_job(&txn, &Job::ReleaseOrder { order_id }).await?;
    outbox::enqueue_job(&txn, &Job::notify(order_id, NotificationEvent::OrderConfirmed)).await?;
    txn.commit().await?;
    tracing::info!(number = %confirmed.number, "order confirmed");
    Ok(confirmed)
}

/// Confirms an order of a channel that confirms at once, through the same steps as an agent's
/// confirmation. `false`: it was no longer pending (an agent confirmed or cancelled it first, or
/// it expired), and nothing was done: whichever of the two took the order's lock first won.
pub async fn confirm_automatically(db: &DatabaseConnection, order_id: Uuid) -> DomainResult<bool> {
    let pending = order::Entity::find_by_id(order_id).one(db).await?.is_some_and(|o| o.status == OrderStatus::Pending);
    if !pending {
        return Ok(false);
    }
    match confirm_order(db, &Actor::System, order_id, None).await {
        Ok(_) => Ok(true),
        // Lost the race for the lock after the read above: the order moved on meanwhile.
        Err(DomainError::Rejected(errors)) if errors.iter().all(|e| e.code == ErrorCode::InvalidState) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Cancels the whole order while nothing has shipped: every reservation is released through the
/// ledger, every fulfilment order is cancelled, the promotion's use is given back, and the
/// customer is told. The freed stock is offered to backorders (a job). Staff may cancel any order;
/// a customer only its own.
#[tracing::instrument(skip(db, actor, reason), fields(order_id = %order_id))]
pub async fn cancel_order(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    reason: &str,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    let reason = validate::text(&["reason"], reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
    retry_once(|| cancel_once(db, actor, order_id, &reason, expected_version)).await
}

async fn cancel_once(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    reason: &str,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    let txn = begin_write(db).await?;
    let cancelled = transition(
        &txn,
        actor,
        order_id,
        &[OrderStatus::Pending, OrderStatus::Confirmed],
        OrderStatus::Cancelled,
        expected_version,
    )
    .await?;
    unwind(&txn, actor, &cancelled, &format!("order cancelled: {reason}")).await?;
    record_event(
        &txn,
        order_id,
        OrderEventKind::OrderCancelled,
        actor,
        format!("Order {} cancelled: {reason}", cancelled.number),
        Some(serde_json::json!({ "reason": reason })),
    )
    .await?;
    outbox::enqueue_job(&txn, &Job::notify(order_id, NotificationEvent::OrderCancelled)).await?;
    txn.commit().await?;
    tracing::info!(number = %cancelled.number, "order cancelled");
    Ok(cancelled)
}
