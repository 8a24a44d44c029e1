//! Inventory: levels per (product, location), the append-only ledger of every change to them,
//! and the reservations orders hold.
//!
//! Every change is one conditional UPDATE whose `rows_affected` says whether it won, so the
//! rules hold under any concurrency on both databases: `reserved` never exceeds what is
//! available, `on_hand` never drops below what is reserved. The database's CHECK constraints
//! back the same rules.
//!
//! - `reservations`: what orders hold (reserve, release, ship, short picks);
//! - `stock`: what admins change (receipts, adjustments, safety stock);
//! - `ledger`: the append-only record of every change, and its audit.
use entities::inventory_level;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::DomainResult;

mod ledger;
mod reservations;
mod returned;
mod stock;

pub use ledger::{PendingMovement, ledger_discrepancies, list_movements, movements_insert, record_movements};
pub use reservations::{record_shortfall, release, reserve, reserve_many, ship, unreserve};
pub use returned::{restock, write_off_returned};
pub use stock::{adjust, receive, set_safety_stock};

/// The largest quantity one receipt, adjustment or order line may move.
pub const MAX_QUANTITY: i32 = 1_000_000;

pub use entities::enums::MovementKind;

/// What a level can still promise: on hand less reserved less safety stock, never negative.
pub fn available(level: &inventory_level::Model) -> i32 {
    std::cmp::max(level.on_hand - level.reserved - level.safety_stock, 0)
}

/// The cause of a ledger entry.
#[derive(Debug, Clone, Default)]
pub struct Cause {
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub order_id: Option<Uuid>,
}

/// All levels of these products, in one query.
pub async fn levels_for_products<C: ConnectionTrait>(
    db: &C,
    product_ids: &[Uuid],
) -> DomainResult<Vec<inventory_level::Model>> {
    Ok(inventory_level::Entity::find()
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(inventory_level::Column::Id)
        .all(db)
        .await?)
}
