//! The returns job's work, once a return is received: restock the resellable units at the
//! receiving location, write off the damaged ones, count them returned on their order lines,
//! compute and record the refund, offer the restocked units to waiting backorders and tell the
//! customer. All of it in one transaction under the order's lock, guarded by the return's status:
//! a retried or duplicated job finds it REFUNDED and does nothing, so the units are restocked
//! once.
use chrono::Utc;
use entities::{order_line, order_return, return_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{ReturnStatus, lock_return};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::DomainResult;
use crate::fulfillment::backorders::{self, Freed};
use crate::inventory::{self, Cause};
use crate::money::Currency;
use crate::orders::OrderEventKind;
use crate::payments::RefundLineInput;

/// Processes a received return. `false`: nothing to do (already processed, or not received).
pub async fn process_received(db: &DatabaseConnection, return_id: Uuid) -> DomainResult<bool> {
    retry_once(|| run(db, return_id)).await
}

async fn run(db: &DatabaseConnection, return_id: Uuid) -> DomainResult<bool> {
    let actor = Actor::System;
    let txn = begin_write(db).await?;
    let Some((order, found)) = lock_return(&txn, return_id).await? else { return Ok(false) };
    let Some(location_id) = found.receiving_location_id.filter(|_| found.status == ReturnStatus::Received) else {
        return Ok(false);
    };
    let lines = return_line::Entity::find().filter(return_line::Column::ReturnId.eq(found.id)).all(&txn).await?;
    let order_lines = order_line::Entity::find()
        .filter(order_line::Column::Id.is_in(lines.iter().map(|l| l.order_line_id)))
        .all(&txn)
        .await?;
    let cause =
        |what: String| Cause { reason: Some(what), reference: Some(found.number.clone()), order_id: Some(order.id) };
    let mut restocked = Vec::new();
    let mut received_value = 0_i64;
    // Levels are touched in ascending id order across a pass (see `crate::locks`); a return's
    // levels are each the receiving location's level of a distinct product, taken in product order.
    let mut by_product: Vec<(&return_line::Model, &order_line::Model)> =
        lines.iter().filter_map(|l| order_lines.iter().find(|o| o.id == l.order_line_id).map(|o| (l, o))).collect();
    by_product.sort_by_key(|(_, o)| o.product_id);
    for (line, ordered) in by_product {
        let units = line.resellable_quantity + line.damaged_quantity;
        received_value += line.unit_price_minor * i64::from(units);
        if line.resellable_quantity > 0 {
            let why = format!("{} returned units restocked", line.resellable_quantity);
            inventory::restock(&txn, ordered.product_id, location_id, line.resellable_quantity, &cause(why), &actor)
                .await?;
            restocked.push(ordered.product_id);
        }
        if line.damaged_quantity > 0 {
            let why = format!("{} returned units damaged, written off", line.damaged_quantity);
            inventory::write_off_returned(&txn, ordered.product_id, location_id, &cause(why), &actor).await?;
        }
        if units > 0 {
            order_line::Entity::update_many()
                .col_expr(
                    order_line::Column::ReturnedQuantity,
                    Expr::col(order_line::Column::ReturnedQuantity).add(units),
                )
                .filter(order_line::Column::Id.eq(ordered.id))
                .exec(&txn)
                .await?;
        }
    }
    // Every unit that came back is refunded at what it was bought for; an exchange's refund is
    // what is left after the replacement is paid for (what the customer still owes is its
    // balance, not a negative refund).
    let refund = std::cmp::max(received_value - found.replacement_minor, 0);
    let now = Utc::now();
    let mut update: order_return::ActiveModel = found.clone().into();
    update.status = Set(ReturnStatus::Refunded);
    update.refund_minor = Set(Some(refund));
    update.refunded_at = Set(Some(now));
    update.updated_at = Set(now);
    update.update(&txn).await?;
    let amount = match Currency::parse(&order.currency) {
        Some(c) => format!("{} {}", c.to_decimal(refund), c.code()),
        None => format!("{refund} {}", order.currency),
    };
    let message = format!("Return {} processed: refund of {amount} recorded", found.number);
    crate::fulfillment::follow(&txn, &order, &actor, OrderEventKind::ReturnRefunded, message).await?;
    // The refund is recorded against what was paid (a refund never exceeds it): through the
    // payments ledger, which also tells the customer once per refund.
    let refundable = std::cmp::min(refund, order.paid_minor - order.refunded_minor);
    if refundable > 0 {
        let refunded_lines: Vec<RefundLineInput> = lines
            .iter()
            .filter(|l| l.resellable_quantity + l.damaged_quantity > 0)
            .map(|l| RefundLineInput {
                order_line_id: l.order_line_id,
                quantity: l.resellable_quantity + l.damaged_quantity,
            })
            .collect();
        let reason = format!("return {}", found.number);
        crate::payments::refunds::record(&txn, order.id, refundable, &reason, &refunded_lines, &actor).await?;
    }
    restocked.sort();
    restocked.dedup();
    let freed = Freed { products: restocked, arrived_at: Some(location_id), ..Freed::default() };
    backorders::offer(&txn, freed).await?;
    txn.commit().await?;
    tracing::info!(number = %found.number, refund, "return processed");
    Ok(true)
}
