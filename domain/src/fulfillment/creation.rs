//! Fulfilment orders made from a routing plan: one per location, each line given its share.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, fulfillment_order_line, order};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::error::DomainResult;
use crate::orders::{FulfillmentStatus as FS, OrderStatus};
use crate::routing::Allocation;

/// A physical order line that needs stock: its id, product and units.
#[derive(Debug, Clone, Copy)]
pub struct LineNeed {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub quantity: i32,
}

/// Creates one fulfilment order per location of `allocations` and gives each line its share of
/// its product's allocations (lines of one SKU share them, in line order).
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of a plan each caller already holds; a struct would only rename them"
)]
pub async fn create_fulfillment_orders<C: ConnectionTrait>(
    txn: &C,
    reference: &crate::reference::Reference,
    order_id: Uuid,
    allocations: &[Allocation],
    lines: &[LineNeed],
    status: FS,
    shipping: &HashMap<Uuid, i64>,
    ship_to: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<fulfillment_order::Model>> {
    // Daily capacity: each new fulfilment order takes a slot of its location's day (see `capacity`).
    let capacity_days = crate::capacity::claim(txn, reference, allocations.iter().map(|a| a.location_id), now).await?;
    // One per location, in the plan's order; all in one statement, their lines in another.
    let mut by_location: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    let mut orders = Vec::new();
    let mut order_of: Vec<Uuid> = Vec::new();
    for a in allocations {
        if by_location.contains_key(&a.location_id) {
            continue;
        }
        let id = Uuid::now_v7();
        by_location.insert(a.location_id, id);
        order_of.push(id);
        orders.push(fulfillment_order::ActiveModel {
            id: Set(id),
            order_id: Set(order_id),
            location_id: Set(a.location_id),
            status: Set(status),
            shipping_minor: Set(shipping.get(&a.location_id).copied().unwrap_or(0)),
            carrier: Set(None),
            tracking_number: Set(None),
            ship_to_location_id: Set(ship_to),
            capacity_day: Set(capacity_days.get(&a.location_id).copied()),
            released_at: Set((status == FS::Released).then_some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    let mut created = fulfillment_order::Entity::insert_many(orders).exec_with_returning(txn).await?;
    // In the plan's order, whatever order the database returned them in.
    created.sort_by_key(|fo| order_of.iter().position(|id| *id == fo.id));
    let fo_lines: Vec<fulfillment_order_line::ActiveModel> = shares(allocations, lines)
        .into_iter()
        .filter_map(|(line, a, quantity)| {
            let fo_id = by_location.get(&a.location_id)?;
            Some(fulfillment_order_line::ActiveModel {
                id: Set(Uuid::now_v7()),
                fulfillment_order_id: Set(*fo_id),
                order_line_id: Set(line.line_id),
                inventory_level_id: Set(a.level_id),
                quantity: Set(quantity),
            })
        })
        .collect();
    fulfillment_order_line::Entity::insert_many(fo_lines).exec_without_returning(txn).await?;
    Ok(created)
}

/// How the allocations of each product are shared among the lines that ordered it, in line
/// order: (line, allocation, units).
pub fn shares<'a>(allocations: &'a [Allocation], lines: &'a [LineNeed]) -> Vec<(&'a LineNeed, &'a Allocation, i32)> {
    let mut left: Vec<(&Allocation, i32)> = allocations.iter().map(|a| (a, a.quantity)).collect();
    let mut out = Vec::new();
    for line in lines {
        let mut needed = line.quantity;
        for (allocation, remaining) in left.iter_mut() {
            if needed == 0 {
                break;
            }
            if allocation.product_id != line.product_id || *remaining == 0 {
                continue;
            }
            let take = std::cmp::min(needed, *remaining);
            *remaining -= take;
            needed -= take;
            out.push((line, *allocation, take));
        }
    }
    out
}

/// The status of fulfilment orders created for an order after it was placed: released at once
/// once the order is confirmed, unless a hold keeps it back (`orders::holds`).
pub(crate) fn status_for_new_work(order: &order::Model) -> FS {
    if order.status == OrderStatus::Pending || order.open_holds > 0 { FS::Pending } else { FS::Released }
}
