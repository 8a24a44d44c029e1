//! Confirming and cancelling orders. Each change moves the order's version on; a caller that
//! names the version it saw is refused with STALE_VERSION if someone changed the order since.
use chrono::Utc;
use entities::{fulfillment_order, fulfillment_order_line, order, order_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::OrderEventKind;
use super::events::record_event;
use super::query::visible;
use super::status::{FulfillmentStatus, FulfillmentStatusRules, OrderStatus};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::inventory::{Cause, release};
use crate::outbox::{self, queue};
use crate::{locks, promotions, validate};

/// Moves the order, locked by this transaction, from one of `from` to `to`, bumping its
/// version, or says why it cannot.
async fn transition(
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
    // Confirmation releases the fulfilment orders to their locations.
    fulfillment_order::Entity::update_many()
        .col_expr(fulfillment_order::Column::Status, Expr::value(FulfillmentStatus::Released))
        .col_expr(fulfillment_order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.eq(FulfillmentStatus::Pending))
        .exec(&txn)
        .await?;
    record_event(
        &txn,
        order_id,
        OrderEventKind::OrderConfirmed,
        actor,
        format!("Order {} confirmed", confirmed.number),
        None,
    )
    .await?;
    let payload = serde_json::json!({ "orderId": order_id });
    outbox::enqueue(&txn, queue::FULFILLMENT, "release_order", payload.clone(), format!("release_order:{order_id}"))
        .await?;
    outbox::enqueue(&txn, queue::NOTIFICATION, "order_confirmed", payload, format!("order_confirmed:{order_id}"))
        .await?;
    txn.commit().await?;
    tracing::info!(number = %confirmed.number, "order confirmed");
    Ok(confirmed)
}

/// Cancels the whole order while nothing has shipped: every reservation is released through the
/// ledger, every fulfilment order is cancelled, the promotion's use is given back, and the
/// customer is told. The freed stock is then offered to backorders. Staff may cancel any order;
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
    let (cancelled, freed) = retry_once(|| cancel_once(db, actor, order_id, &reason, expected_version)).await?;
    crate::fulfillment::backorders::fill_after(
        db,
        &crate::fulfillment::backorders::Freed { products: freed, ..Default::default() },
    )
    .await;
    Ok(cancelled)
}

async fn cancel_once(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    reason: &str,
    expected_version: Option<i32>,
) -> DomainResult<(order::Model, Vec<Uuid>)> {
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

    // Under the order's lock: its fulfilment orders, then its lines, then the levels in id
    // order (see crate::locks).
    let open_fos: Vec<fulfillment_order::Model> = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|f| f.status.holds_reservation(f.shipped_at.is_some()))
        .collect();
    let fo_ids: Vec<Uuid> = open_fos.iter().map(|f| f.id).collect();
    fulfillment_order::Entity::update_many()
        .col_expr(fulfillment_order::Column::Status, Expr::value(FulfillmentStatus::Cancelled))
        .col_expr(fulfillment_order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(fulfillment_order::Column::Id.is_in(fo_ids.iter().copied()))
        .exec(&txn)
        .await?;
    use order_line::Column as L;
    order_line::Entity::update_many()
        .col_expr(
            L::CancelledQuantity,
            Expr::col(L::CancelledQuantity).add(Expr::col(L::AllocatedQuantity)).add(Expr::col(L::BackorderedQuantity)),
        )
        .col_expr(L::AllocatedQuantity, Expr::value(0))
        .col_expr(L::BackorderedQuantity, Expr::value(0))
        .filter(L::OrderId.eq(order_id))
        .exec(&txn)
        .await?;
    let held = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.is_in(fo_ids.iter().copied()))
        .order_by_asc(fulfillment_order_line::Column::InventoryLevelId)
        .all(&txn)
        .await?;
    let cause = Cause {
        reason: Some(format!("order cancelled: {reason}")),
        reference: Some(cancelled.number.clone()),
        order_id: Some(order_id),
    };
    for line in &held {
        release(&txn, line.inventory_level_id, line.quantity, &cause, actor).await?;
    }
    if let Some(promotion_id) = cancelled.promotion_id {
        promotions::give_back(&txn, promotion_id).await?;
    }

    record_event(
        &txn,
        order_id,
        OrderEventKind::OrderCancelled,
        actor,
        format!("Order {} cancelled: {reason}", cancelled.number),
        Some(serde_json::json!({ "reason": reason })),
    )
    .await?;
    outbox::enqueue(
        &txn,
        queue::NOTIFICATION,
        "order_cancelled",
        serde_json::json!({ "orderId": order_id }),
        format!("order_cancelled:{order_id}"),
    )
    .await?;
    let freed: Vec<Uuid> = entities::inventory_level::Entity::find()
        .filter(entities::inventory_level::Column::Id.is_in(held.iter().map(|l| l.inventory_level_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| l.product_id)
        .collect();
    txn.commit().await?;
    tracing::info!(number = %cancelled.number, "order cancelled");
    Ok((cancelled, freed))
}
