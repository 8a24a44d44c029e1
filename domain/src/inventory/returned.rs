//! Returned units: restocked on the receiving location's shelf, or written off as damaged. Both
//! go through the ledger like every change to a level.
use chrono::Utc;
use entities::inventory_level;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::ledger::record;
use super::{Cause, MovementKind};
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult};

/// The level of (product, location), created empty when the location never held the product
/// (a store receiving an online order's return).
async fn level_at<C: ConnectionTrait>(txn: &C, product_id: Uuid, location_id: Uuid) -> DomainResult<Uuid> {
    use inventory_level::Column as L;
    inventory_level::Entity::insert(inventory_level::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(product_id),
        location_id: Set(location_id),
        on_hand: Set(0),
        reserved: Set(0),
        safety_stock: Set(0),
        incoming: Set(0),
        updated_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([L::ProductId, L::LocationId])
    .exec_without_returning(txn)
    .await?;
    inventory_level::Entity::find()
        .filter(L::ProductId.eq(product_id))
        .filter(L::LocationId.eq(location_id))
        .one(txn)
        .await?
        .map(|l| l.id)
        .ok_or_else(|| DomainError::not_found(&[], "inventory level"))
}

/// Puts `quantity` returned units back on hand at a location.
pub async fn restock<C: ConnectionTrait>(
    txn: &C,
    product_id: Uuid,
    location_id: Uuid,
    quantity: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<inventory_level::Model> {
    use inventory_level::Column as L;
    let level_id = level_at(txn, product_id, location_id).await?;
    inventory_level::Entity::update_many()
        .col_expr(L::OnHand, Expr::col(L::OnHand).add(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .exec(txn)
        .await?;
    record(txn, level_id, MovementKind::Restock, quantity, 0, cause, actor).await
}

/// Records that `quantity` returned units arrived damaged at a location and were written off:
/// they never reach its sellable stock, so on hand does not move, but the ledger keeps the
/// disposition (the quantity is in the reason).
pub async fn write_off_returned<C: ConnectionTrait>(
    txn: &C,
    product_id: Uuid,
    location_id: Uuid,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<inventory_level::Model> {
    let level_id = level_at(txn, product_id, location_id).await?;
    record(txn, level_id, MovementKind::WriteOff, 0, 0, cause, actor).await
}
