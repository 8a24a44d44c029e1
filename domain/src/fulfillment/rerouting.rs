//! A rejected fulfilment order: its units given back (short picks written off) and routed again
//! elsewhere, in one pass over the levels.
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use entities::{fulfillment_order, fulfillment_order_line, order, order_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::backorders::{self, Freed};
use super::creation::{LineNeed, create_fulfillment_orders, status_for_new_work};
use super::transitions::{follow, held_lines};
use crate::allocation::{Giveback, Givebacks, plan_and_reserve};
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode, UserError};
use crate::inventory::Cause;
use crate::orders::{FulfillmentStatus as FS, OrderEventKind, record_event};
use crate::routing::{self, Demand, Destination};

/// Checks the short picks of a rejection against what the fulfilment order holds and turns the
/// held lines into what is given back: every unit released, the missing ones written off.
fn givebacks_for(
    held: &[fulfillment_order_line::Model],
    order_lines: &HashMap<Uuid, order_line::Model>,
    short: &[(String, i32)],
) -> DomainResult<Vec<Giveback>> {
    let mut items: Vec<Giveback> = held
        .iter()
        .map(|h| Giveback { level_id: h.inventory_level_id, quantity: h.quantity, written_off: 0 })
        .collect();
    let sku_of = |h: &fulfillment_order_line::Model| order_lines.get(&h.order_line_id).map(|l| l.sku.as_str());
    let mut problems = crate::error::Problems::default();
    for (i, (sku, quantity)) in short.iter().enumerate() {
        let room: i32 = held
            .iter()
            .zip(&items)
            .filter(|(h, _)| sku_of(h) == Some(sku.as_str()))
            .map(|(_, g)| g.quantity - g.written_off)
            .sum();
        if *quantity < 1 || *quantity > room {
            problems.push(UserError::at(
                "shortQuantities",
                i,
                "quantity",
                ErrorCode::InvalidInput,
                format!(
                    "this fulfilment order holds {room} more unit(s) of {sku} that could be missing, not {quantity}"
                ),
            ));
            continue;
        }
        let mut missing = *quantity;
        for (h, g) in held.iter().zip(items.iter_mut()) {
            if sku_of(h) == Some(sku.as_str()) && missing > 0 {
                let take = std::cmp::min(missing, g.quantity - g.written_off);
                g.written_off += take;
                missing -= take;
            }
        }
    }
    problems.into_result()?;
    Ok(items)
}

/// Why a fulfilment order is routed away from its location, as the timeline and the ledger
/// say it.
pub(super) struct Why {
    /// The timeline entry: FULFILLMENT_REJECTED, or FULFILLMENT_TIMED_OUT for a missed
    /// acceptance deadline.
    pub kind: OrderEventKind,
    pub message: String,
    /// On the ledger's release movements.
    pub release_reason: String,
    /// On the ledger's write-offs of short picks.
    pub write_off_reason: String,
}

/// A rejected fulfilment order: its reservation is given back (short picks written off), and its
/// lines are routed again without any location that rejected this order before, in one pass
/// over the levels. What nothing can fill is backordered, and the order records why. The freed
/// stock is offered to other orders' backorders (a job).
pub(super) async fn reroute(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    order: &order::Model,
    actor: &Actor,
    why: &Why,
    short: &[(String, i32)],
) -> DomainResult<()> {
    let held = held_lines(txn, fo.id).await?;
    let order_lines: HashMap<Uuid, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::Id.is_in(held.iter().map(|l| l.order_line_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let givebacks = Givebacks {
        items: givebacks_for(&held, &order_lines, short)?,
        cause: Cause {
            reason: Some(why.release_reason.clone()),
            reference: Some(order.number.clone()),
            order_id: Some(order.id),
        },
        write_off_cause: Cause {
            reason: Some(why.write_off_reason.clone()),
            reference: Some(order.number.clone()),
            order_id: Some(order.id),
        },
    };
    record_event(txn, order.id, why.kind, actor, why.message.clone(), None).await?;

    // What to route again, per order line and per product.
    let needs: Vec<LineNeed> = held
        .iter()
        .filter_map(|h| {
            let l = order_lines.get(&h.order_line_id)?;
            Some(LineNeed { line_id: l.id, product_id: l.product_id, quantity: h.quantity })
        })
        .collect();
    let request = routing::Request {
        demands: demands_of(&needs, &order_lines),
        destination: destination_of(order),
        channel: order.channel.as_str().to_owned(),
        allow_split: order.allow_split,
        excluded: rejected_locations(txn, order.id).await?,
    };
    let reference = crate::reference::current(txn).await?;
    let decision =
        plan_and_reserve(txn, &reference, &request, None, order.id, actor, Some(&givebacks), None, |_| Ok(true))
            .await?
            .ok_or_else(|| DomainError::rejected(&[], ErrorCode::OutOfStock, "nothing could re-route this order"))?;
    routing::record_decision(txn, order.id, routing::trigger::REROUTE, &decision).await?;
    let ship_to = match decision.mode {
        routing::Mode::ShipToStore => order.pickup_location_id,
        _ => None,
    };
    create_fulfillment_orders(
        txn,
        &reference,
        order.id,
        &decision.allocations,
        &needs,
        status_for_new_work(order),
        &HashMap::new(),
        ship_to,
        Utc::now(),
        None,
    )
    .await?;
    // Units nothing could fill wait as backorders on their lines, oldest line first.
    let mut short: HashMap<Uuid, i32> = decision.shortfalls.iter().map(|s| (s.product_id, s.quantity)).collect();
    for n in &needs {
        let Some(missing) = short.get_mut(&n.product_id) else { continue };
        let take = std::cmp::min(*missing, n.quantity);
        if take == 0 {
            continue;
        }
        *missing -= take;
        use order_line::Column as L;
        order_line::Entity::update_many()
            .col_expr(L::AllocatedQuantity, Expr::col(L::AllocatedQuantity).sub(take))
            .col_expr(L::BackorderedQuantity, Expr::col(L::BackorderedQuantity).add(take))
            .filter(L::Id.eq(n.line_id))
            .exec(txn)
            .await?;
    }
    let kind = if decision.is_complete() { OrderEventKind::Rerouted } else { OrderEventKind::Backordered };
    if !decision.is_complete() {
        let job = crate::jobs::Job::notify(order.id, crate::jobs::NotificationEvent::OrderBackordered);
        crate::outbox::enqueue_job(txn, &job).await?;
    }
    follow(txn, order, actor, kind, decision.summary.clone()).await?;
    let mut products: Vec<Uuid> = needs.iter().map(|n| n.product_id).collect();
    products.sort();
    products.dedup();
    // This order was just routed as well as it can be: the offer is for the others waiting.
    backorders::offer(txn, Freed { products, except_order: Some(order.id), ..Freed::default() }).await
}

/// Units per product (lines of one SKU add up), with the SKU for explanations.
pub(crate) fn demands_of(needs: &[LineNeed], order_lines: &HashMap<Uuid, order_line::Model>) -> Vec<Demand> {
    let mut demand: BTreeMap<Uuid, (String, i32)> = BTreeMap::new();
    for n in needs {
        let sku = order_lines.get(&n.line_id).map(|l| l.sku.clone()).unwrap_or_default();
        let entry = demand.entry(n.product_id).or_insert((sku, 0));
        entry.1 = entry.1.saturating_add(n.quantity);
    }
    demand.into_iter().map(|(product_id, (sku, quantity))| Demand { product_id, sku, quantity }).collect()
}

/// Where an order's goods go: its pickup store, or its shipping address.
pub(crate) fn destination_of(order: &order::Model) -> Destination {
    match order.pickup_location_id {
        Some(store) => Destination::Pickup { location_id: store },
        None => Destination::Ship { point: order.ship_latitude.zip(order.ship_longitude) },
    }
}

/// Every location that rejected part of this order: it is not asked again.
pub(crate) async fn rejected_locations<C: ConnectionTrait>(db: &C, order_id: Uuid) -> DomainResult<Vec<Uuid>> {
    Ok(fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.eq(FS::Rejected))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.location_id)
        .collect())
}
