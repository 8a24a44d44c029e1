//! Giving back everything an order holds when it ends before anything shipped (a cancellation,
//! an expiry): its open fulfilment orders are cancelled, its lines count their units as
//! cancelled, every reservation is released through the ledger, the promotion's use is given
//! back, and the freed stock is offered to backorders.
use chrono::Utc;
use entities::{fulfillment_order, fulfillment_order_line, inventory_level, order, order_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::status::{FulfillmentStatus, FulfillmentStatusRules};
use crate::auth::Actor;
use crate::error::DomainResult;
use crate::fulfillment::backorders::{self, Freed};
use crate::inventory::{Cause, release};
use crate::promotions;

/// Unwinds `order`, which this transaction has locked and already moved to CANCELLED. `reason`
/// is written on every ledger movement.
pub(super) async fn unwind(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: &order::Model,
    reason: &str,
) -> DomainResult<()> {
    // Under the order's lock: its fulfilment orders, then its lines, then the levels in id
    // order (see crate::locks).
    let open_fos: Vec<Uuid> = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order.id))
        .all(txn)
        .await?
        .into_iter()
        .filter(|f| f.status.holds_reservation(f.shipped_at.is_some()))
        .map(|f| f.id)
        .collect();
    fulfillment_order::Entity::update_many()
        .col_expr(fulfillment_order::Column::Status, Expr::value(FulfillmentStatus::Cancelled))
        .col_expr(fulfillment_order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(fulfillment_order::Column::Id.is_in(open_fos.iter().copied()))
        .exec(txn)
        .await?;
    use order_line::Column as L;
    order_line::Entity::update_many()
        .col_expr(
            L::CancelledQuantity,
            Expr::col(L::CancelledQuantity).add(Expr::col(L::AllocatedQuantity)).add(Expr::col(L::BackorderedQuantity)),
        )
        .col_expr(L::AllocatedQuantity, Expr::value(0))
        .col_expr(L::BackorderedQuantity, Expr::value(0))
        .filter(L::OrderId.eq(order.id))
        .exec(txn)
        .await?;
    let held = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.is_in(open_fos.iter().copied()))
        .order_by_asc(fulfillment_order_line::Column::InventoryLevelId)
        .all(txn)
        .await?;
    let cause =
        Cause { reason: Some(reason.to_owned()), reference: Some(order.number.clone()), order_id: Some(order.id) };
    for line in &held {
        release(txn, line.inventory_level_id, line.quantity, &cause, actor).await?;
    }
    // Its appointments give their places back (slot counters come after levels and the promotion).
    crate::scheduling::release_for_order(txn, order.id).await?;
    if let Some(promotion_id) = order.promotion_id {
        promotions::give_back(txn, promotion_id).await?;
    }
    let mut products: Vec<Uuid> = inventory_level::Entity::find()
        .filter(inventory_level::Column::Id.is_in(held.iter().map(|l| l.inventory_level_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.product_id)
        .collect();
    products.sort();
    products.dedup();
    backorders::offer(txn, Freed { products, ..Freed::default() }).await
}
