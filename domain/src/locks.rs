//! The one order in which every flow takes its locks, so that no two flows can deadlock.
//!
//! 1. **The order** ([`order`]: `SELECT … FOR UPDATE`), before anything of it is read to decide
//!    what to do. Its status is only ever derived and written while this lock is held, from
//!    what is committed.
//! 2. **Its fulfilment orders and order lines.** They only ever change under 1, so two flows
//!    never meet on them without meeting on the order first.
//! 3. **Inventory levels, in ascending id order**, in one sorted pass per transaction: a flow
//!    that both releases and reserves (a rejection re-routed elsewhere) merges the two into
//!    one pass.
//! 4. **The promotion** whose use is redeemed or given back.
//! 5. **Per-day capacity counters** of locations.
//! 6. **Appointment slot counters** (`slot_bookings`), in (weekly slot, day) order.
//!
//! Rows a transaction creates are its own and take no place in the order. No transaction locks
//! two orders: work over many orders (filling backorders) takes one order per transaction, so a
//! level is never held across a queue of waiting orders. A receipt or an adjustment locks its
//! level only and writes a job that fills backorders once it has committed.
//!
//! On SQLite, writers are serialised by IMMEDIATE transactions and the order holds trivially.
//! Should PostgreSQL still abort a transaction (40P01, 40001), [`crate::db::retry_once`] runs it
//! once more.
use entities::order;
use sea_orm::{DatabaseTransaction, EntityTrait, QuerySelect};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// Locks the order row (step 1) and returns it as committed now. `None`: no such order.
pub async fn order(txn: &DatabaseTransaction, order_id: Uuid) -> DomainResult<Option<order::Model>> {
    Ok(order::Entity::find_by_id(order_id).lock_exclusive().one(txn).await?)
}

/// [`order`], answering NOT_FOUND on `field` when it is missing.
pub async fn order_or_missing(txn: &DatabaseTransaction, order_id: Uuid, field: &str) -> DomainResult<order::Model> {
    order(txn, order_id).await?.ok_or_else(|| DomainError::not_found(&[field], "order"))
}
