//! Backorders: units an order waits for because nothing could fill them. Whenever stock frees
//! (a receipt, a positive adjustment, lower safety stock, a cancellation, an expiry, a rejection,
//! a missed acceptance deadline), the change writes a `fill_backorders` job ([`offer`]); the job
//! offers the stock to the waiting orders for those products, oldest order first, through the
//! router like any placement: channel rules, ship-from-store, capacity and `allowSplit` apply.
//!
//! Each order is filled in its own transaction that locks the order first (see
//! [`crate::locks`]) and reads what is still backordered at that moment, so two fills at once
//! never claim the same units and never skip any; no level is held across the queue.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, inventory_level, location, order, order_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::creation::{LineNeed, create_fulfillment_orders, shares, status_for_new_work};
use super::rerouting::{demands_of, destination_of};
use super::transitions::follow;
use crate::allocation::plan_and_reserve;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::DomainResult;
use crate::inventory::available;
use crate::orders::{FulfillmentStatus, OrderEventKind, OrderStatus};
use crate::{locks, routing};

/// Stock that just freed, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Freed {
    /// The products whose stock freed.
    pub products: Vec<Uuid>,
    /// The location where new stock arrived (a receipt, an adjustment): a location that
    /// rejected an order is asked again only for stock that arrived there after the rejection,
    /// as that new stock may be what was missing.
    pub arrived_at: Option<Uuid>,
    /// The order whose rejection freed the stock: it was just routed away from there.
    pub except_order: Option<Uuid>,
    /// When the change that freed it committed (stamped by [`offer`]). The job may run much
    /// later: a location that rejected an order after this time already knew of this stock.
    #[serde(default)]
    pub freed_at: Option<DateTime<Utc>>,
}

/// Offers freed stock to the orders waiting for it: a job, written in the transaction of the
/// change that freed it, so the offer exists exactly when the change committed and the change
/// itself never waits on the queue of waiting orders.
pub async fn offer<C: ConnectionTrait>(txn: &C, freed: Freed) -> DomainResult<()> {
    if freed.products.is_empty() {
        return Ok(());
    }
    let freed = Freed { freed_at: freed.freed_at.or_else(|| Some(Utc::now())), ..freed };
    crate::outbox::enqueue_job(txn, &crate::jobs::Job::fill_backorders(freed)).await
}

/// Fills what it can of the orders waiting for the freed products, oldest order first; returns
/// how many orders got stock.
pub async fn fill(db: &DatabaseConnection, actor: &Actor, freed: &Freed) -> DomainResult<usize> {
    let product_ids = freed.products.as_slice();
    let mut free = free_units(db, product_ids).await?;
    if free.values().all(|n| *n <= 0) {
        return Ok(0);
    }
    let waiting: Vec<(Uuid, Uuid)> = order_line::Entity::find()
        .select_only()
        .column(order_line::Column::OrderId)
        .column(order_line::Column::ProductId)
        .filter(order_line::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(order_line::Column::BackorderedQuantity.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    let mut products_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (order_id, product_id) in waiting {
        products_of.entry(order_id).or_default().push(product_id);
    }
    let oldest_first: Vec<Uuid> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::Id.is_in(products_of.keys().copied()))
        .filter(order::Column::Status.ne(OrderStatus::Cancelled))
        .order_by_asc(order::Column::NumberSeq)
        .into_tuple()
        .all(db)
        .await?;
    let mut filled = 0;
    for order_id in oldest_first.into_iter().filter(|id| Some(*id) != freed.except_order) {
        let wants = products_of.get(&order_id).map(Vec::as_slice).unwrap_or_default();
        if !wants.iter().any(|p| free.get(p).is_some_and(|n| *n > 0)) {
            continue;
        }
        if let Some(took) = retry_once(|| fill_order(db, actor, order_id, freed)).await? {
            filled += 1;
            for (product_id, units) in took {
                if let Some(n) = free.get_mut(&product_id) {
                    *n -= i64::from(units);
                }
            }
        }
    }
    Ok(filled)
}

/// Units of each product available at active locations now: an upper bound of what a fill can
/// take, so a queue of waiting orders is not routed one by one when nothing is free.
async fn free_units(db: &DatabaseConnection, product_ids: &[Uuid]) -> DomainResult<HashMap<Uuid, i64>> {
    let active: Vec<Uuid> = location::Entity::find()
        .select_only()
        .column(location::Column::Id)
        .filter(location::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let levels = inventory_level::Entity::find()
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(inventory_level::Column::LocationId.is_in(active))
        .all(db)
        .await?;
    let mut free: HashMap<Uuid, i64> = product_ids.iter().map(|p| (*p, 0)).collect();
    for level in &levels {
        *free.entry(level.product_id).or_default() += i64::from(available(level));
    }
    Ok(free)
}

/// Fills one order's backordered lines as far as the router can, in one transaction under the
/// order's lock. `None`: nothing could be filled (or the order waits to ship in one piece), and
/// nothing was written. `Some`: the units taken per product.
async fn fill_order(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    freed: &Freed,
) -> DomainResult<Option<Vec<(Uuid, i32)>>> {
    let txn = begin_write(db).await?;
    let Some(order) = locks::order(&txn, order_id).await? else { return Ok(None) };
    if order.status == OrderStatus::Cancelled {
        return Ok(None);
    }
    // What is still backordered now, under the lock: not what a caller saw before.
    let lines: HashMap<Uuid, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .filter(order_line::Column::BackorderedQuantity.gt(0))
        .order_by_asc(order_line::Column::LineNo)
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut needs: Vec<LineNeed> = lines
        .values()
        .map(|l| LineNeed { line_id: l.id, product_id: l.product_id, quantity: l.backordered_quantity })
        .collect();
    needs.sort_by_key(|n| lines.get(&n.line_id).map(|l| l.line_no));
    if needs.is_empty() {
        return Ok(None);
    }
    let request = routing::Request {
        demands: demands_of(&needs, &lines),
        destination: destination_of(&order),
        channel: order.channel.as_str().to_owned(),
        allow_split: order.allow_split,
        excluded: not_asked_again(&txn, order_id, freed).await?,
    };
    // An order that must ship in one piece waits until one location can take all of it.
    let whole = !order.allow_split;
    let accept =
        |d: &routing::Decision| -> DomainResult<bool> { Ok(!d.allocations.is_empty() && (!whole || d.is_complete())) };
    let reference = crate::reference::current(&txn).await?;
    let Some(decision) =
        plan_and_reserve(&txn, &reference, &request, None, order_id, actor, None, None, accept).await?
    else {
        return Ok(None);
    };

    let mut claimed: HashMap<Uuid, i32> = HashMap::new();
    for (line, _, quantity) in shares(&decision.allocations, &needs) {
        *claimed.entry(line.line_id).or_default() += quantity;
    }
    use order_line::Column as L;
    for (line_id, take) in &claimed {
        order_line::Entity::update_many()
            .col_expr(L::BackorderedQuantity, Expr::col(L::BackorderedQuantity).sub(*take))
            .col_expr(L::AllocatedQuantity, Expr::col(L::AllocatedQuantity).add(*take))
            .filter(L::Id.eq(*line_id))
            .exec(&txn)
            .await?;
    }
    let ship_to = match decision.mode {
        routing::Mode::ShipToStore => order.pickup_location_id,
        _ => None,
    };
    create_fulfillment_orders(
        &txn,
        &reference,
        order_id,
        &decision.allocations,
        &needs,
        status_for_new_work(&order),
        &HashMap::new(),
        ship_to,
        Utc::now(),
        None,
    )
    .await?;
    routing::record_decision(&txn, order_id, routing::trigger::BACKORDER_FILL, &decision).await?;
    let summary = format!("Backordered units of {} filled: {}", order.number, decision.summary);
    follow(&txn, &order, actor, OrderEventKind::BackorderFilled, summary).await?;
    txn.commit().await?;
    Ok(Some(decision.allocations.iter().map(|a| (a.product_id, a.quantity)).collect()))
}

/// The locations a fill does not ask: every one that rejected part of this order, except the
/// one where the freed stock arrived if it rejected before the stock came (the new stock may be
/// what it lacked). A rejection after the arrival was made knowing of that stock.
async fn not_asked_again<C: ConnectionTrait>(db: &C, order_id: Uuid, freed: &Freed) -> DomainResult<Vec<Uuid>> {
    let rejected = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.eq(FulfillmentStatus::Rejected))
        .all(db)
        .await?;
    let news_to = |f: &fulfillment_order::Model| {
        Some(f.location_id) == freed.arrived_at && freed.freed_at.is_none_or(|at| f.updated_at <= at)
    };
    Ok(rejected.iter().filter(|f| !news_to(f)).map(|f| f.location_id).collect())
}
