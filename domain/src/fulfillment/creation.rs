//! Fulfilment orders made from a routing plan: one per location, each line given its share.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SubsecRound, Utc};
use entities::{fulfillment_order, fulfillment_order_line, order};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryTrait, Set};
use uuid::Uuid;

use crate::batch::InsertBatch;
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
/// its product's allocations (lines of one SKU share them, in line order). The rows go into
/// `batch` when given (written with the caller's other rows), else are written at once.
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
    batch: Option<&mut InsertBatch>,
) -> DomainResult<Vec<fulfillment_order::Model>> {
    // As the database keeps it (microseconds), since the rows are not read back.
    let now = now.trunc_subsecs(6);
    // Daily capacity: each new fulfilment order takes a slot of its location's day (see `capacity`).
    let capacity_days = crate::capacity::claim(txn, reference, allocations.iter().map(|a| a.location_id), now).await?;
    // One per location, in the plan's order.
    let mut by_location: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    let mut created = Vec::new();
    for a in allocations {
        if by_location.contains_key(&a.location_id) {
            continue;
        }
        let id = Uuid::now_v7();
        by_location.insert(a.location_id, id);
        created.push(fulfillment_order::Model {
            id,
            order_id,
            location_id: a.location_id,
            status,
            shipping_minor: shipping.get(&a.location_id).copied().unwrap_or(0),
            carrier: None,
            tracking_number: None,
            pickup_code: None,
            pickup_attempts: 0,
            ship_to_location_id: ship_to,
            reject_reason: None,
            released_at: (status == FS::Released).then_some(now),
            accepted_at: None,
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
            capacity_day: capacity_days.get(&a.location_id).copied(),
            release_on: None,
            created_at: now,
            updated_at: now,
        });
    }
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
    // All fulfilment orders in one insert, all their lines in another.
    let orders = (!created.is_empty()).then(|| {
        let rows = created.iter().map(|fo| fo.clone().into_active_model().reset_all());
        fulfillment_order::Entity::insert_many(rows).into_query()
    });
    let order_lines =
        (!fo_lines.is_empty()).then(|| fulfillment_order_line::Entity::insert_many(fo_lines).into_query());
    let mut own = InsertBatch::default();
    let batch = batch.unwrap_or(&mut own);
    batch.extend(orders);
    batch.extend(order_lines);
    if !own.is_empty() {
        own.write(txn).await?;
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
