//! Routing (distributed order management): which locations fill an order, and why.
//!
//! `plan` is the pure router; this module loads what it needs — the network's stock in one
//! query and today's capacity usage, with the locations and rules from the process's reference
//! copy (`crate::reference`) — and stores every decision so it can be read back ("why was this
//! shipped from Lyon?").
mod geo;
mod model;
mod plan;
mod rules;
mod simulate;

use chrono::Utc;
use entities::{inventory_level, routing_decision};
use sea_orm::sea_query::InsertStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QueryTrait, Set};
use uuid::Uuid;

pub use geo::distance_km;
pub use model::{
    Allocation, CandidateReport, Decision, Demand, Destination, Mode, Network, Request, Rules, Shortfall, Site, Stock,
    locations_of,
};
pub use plan::route;
pub use rules::{get_rules, load_rules, set_rules};
pub use simulate::{MAX_LINES, Simulation, demands_for, simulate};

use crate::error::{DomainError, DomainResult};
use crate::inventory::available;

/// Why a decision was made.
pub mod trigger {
    pub const PLACEMENT: &str = "PLACEMENT";
    pub const REROUTE: &str = "REROUTE";
    pub const BACKORDER_FILL: &str = "BACKORDER_FILL";
    /// An agent or the customer changed the order: new units, or a new destination.
    pub const ORDER_CHANGE: &str = "ORDER_CHANGE";
}

/// Loads the network for these products: every location (from the reference copy), their stock
/// of the products (one query) and today's capacity usage (one row per location that took an
/// order today, however many fulfilment orders the day has seen).
pub async fn load_network<C: ConnectionTrait>(
    db: &C,
    reference: &crate::reference::Reference,
    product_ids: &[Uuid],
) -> DomainResult<Network> {
    let levels = inventory_level::Entity::find()
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .all(db)
        .await?;
    network_of(db, reference, product_ids, &levels).await
}

/// The network for these products from stock levels the caller has just read (capture reads
/// them with the order's products); levels of other products are left out.
pub async fn network_of<C: ConnectionTrait>(
    db: &C,
    reference: &crate::reference::Reference,
    product_ids: &[Uuid],
    levels: &[inventory_level::Model],
) -> DomainResult<Network> {
    // Only locations with a daily limit are counted (`capacity`): with none, there is nothing
    // to read.
    let limited = reference.locations().iter().any(|l| l.daily_capacity.is_some());
    let used = if limited {
        crate::capacity::used_on(db, crate::capacity::day_of(Utc::now())).await?
    } else {
        std::collections::HashMap::new()
    };
    let sites = reference
        .locations()
        .iter()
        .map(|l| Site {
            assigned_today: used.get(&l.id).copied().unwrap_or(0),
            location_id: l.id,
            code: l.code.clone(),
            kind: l.kind.as_str().to_owned(),
            latitude: l.latitude,
            longitude: l.longitude,
            active: l.active,
            can_ship: l.can_ship,
            can_pickup: l.can_pickup,
            daily_capacity: l.daily_capacity,
            priority: l.priority,
            shipping_minor: l.shipping_rate_minor,
        })
        .collect();
    let stock = levels
        .iter()
        .filter(|l| product_ids.contains(&l.product_id))
        .map(|l| ((l.location_id, l.product_id), Stock { level_id: l.id, available: available(l) }))
        .collect();
    Ok(Network { sites, stock })
}

/// Stores a decision for an order.
pub async fn record_decision<C: ConnectionTrait>(
    txn: &C,
    order_id: Uuid,
    trigger: &str,
    decision: &Decision,
) -> DomainResult<()> {
    let insert = decision_insert(order_id, trigger, decision)?;
    txn.execute_raw(txn.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// The insert of a decision, for a caller that writes it with others (`batch`).
pub fn decision_insert(order_id: Uuid, trigger: &str, decision: &Decision) -> DomainResult<InsertStatement> {
    let json = serde_json::to_string(decision)
        .map_err(|e| DomainError::Database(sea_orm::DbErr::Custom(format!("decision not serialisable: {e}"))))?;
    Ok(routing_decision::Entity::insert(routing_decision::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        trigger: Set(trigger.to_owned()),
        summary: Set(decision.summary.clone()),
        decision: Set(json),
        created_at: Set(Utc::now()),
    })
    .into_query())
}

/// A stored decision, read back.
#[derive(Debug, Clone)]
pub struct StoredDecision {
    pub id: Uuid,
    pub order_id: Uuid,
    pub trigger: String,
    pub created_at: chrono::DateTime<Utc>,
    pub decision: Decision,
}

/// The decisions of these orders, oldest first: one query for a page of orders.
pub async fn decisions_for_orders<C: ConnectionTrait>(db: &C, order_ids: &[Uuid]) -> DomainResult<Vec<StoredDecision>> {
    let rows = routing_decision::Entity::find()
        .filter(routing_decision::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(routing_decision::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let decision = serde_json::from_str(&r.decision).ok()?;
            Some(StoredDecision {
                id: r.id,
                order_id: r.order_id,
                trigger: r.trigger,
                created_at: r.created_at,
                decision,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests;
