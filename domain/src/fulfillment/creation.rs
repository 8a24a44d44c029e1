//! Fulfilment orders made from a routing plan: one per location, each line given its share.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, fulfillment_order_line, order};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
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
    order_id: Uuid,
    allocations: &[Allocation],
    lines: &[LineNeed],
    status: FS,
    shipping: &HashMap<Uuid, i64>,
    ship_to: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<fulfillment_order::Model>> {
    let mut by_location: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    let mut created = Vec::new();
    // Daily capacity: each new fulfilment order takes a slot of its location's day (see `capacity`).
    let capacity_days = crate::capacity::claim(txn, allocations.iter().map(|a| a.location_id), now).await?;
    for a in allocations {
        if by_location.contains_key(&a.location_id) {
            continue;
        }
        let fo = fulfillment_order::ActiveModel {
            id: Set(Uuid::now_v7()),
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
        }
        .insert(txn)
        .await?;
        by_location.insert(a.location_id, fo.id);
        created.push(fo);
    }
    for (line, a, quantity) in shares(allocations, lines) {
        let Some(fo_id) = by_location.get(&a.location_id) else { continue };
        fulfillment_order_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            fulfillment_order_id: Set(*fo_id),
            order_line_id: Set(line.line_id),
            inventory_level_id: Set(a.level_id),
            quantity: Set(quantity),
        }
        .insert(txn)
        .await?;
    }
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
