//! Reservations: the units orders hold at a level, each change one conditional update.
use std::fmt::Write as _;

use chrono::Utc;
use entities::inventory_level;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value};
use uuid::Uuid;

use super::ledger::{PendingMovement, movement, record, record_after};
use super::{Cause, MovementKind};
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode};

/// Reserves `quantity` at a level if that much is available, and answers the ledger row the
/// caller writes with [`super::record_movements`] (an order's rows go in one statement). `None` means
/// another order took the units first; nothing changed.
pub async fn reserve<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    order_id: Uuid,
    actor: &Actor,
) -> DomainResult<Option<PendingMovement>> {
    use inventory_level::Column as L;
    let after = inventory_level::Entity::update_many()
        .col_expr(L::Reserved, Expr::col(L::Reserved).add(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .filter(Expr::col(L::OnHand).sub(Expr::col(L::Reserved)).sub(Expr::col(L::SafetyStock)).gte(quantity))
        .exec_with_returning(txn)
        .await?;
    let Some(level) = after.first() else { return Ok(None) };
    let cause = Cause { order_id: Some(order_id), ..Cause::default() };
    Ok(Some(movement(level, MovementKind::Reserve, 0, quantity, &cause, actor)))
}

/// Reserves at several levels in one statement, each `(level, units)` if that much is available
/// there, and answers the levels that were reserved with their ledger rows: a level missing from the
/// answer lost its race, and the caller gives back the others ([`unreserve`]). `wanted` holds
/// each level once.
///
/// On PostgreSQL one statement locks the levels in ascending id order first (the lock order of
/// [`crate::locks`], whatever order the planner then updates them in) and reserves them all: one
/// round trip for an order of any size. SQLite, whose writers are serialised anyway, reserves
/// level by level.
pub async fn reserve_many<C: ConnectionTrait>(
    txn: &C,
    wanted: &[(Uuid, i32)],
    order_id: Uuid,
    actor: &Actor,
) -> DomainResult<Vec<(Uuid, PendingMovement)>> {
    if txn.get_database_backend() != DbBackend::Postgres || wanted.len() < 2 {
        let mut rows = Vec::with_capacity(wanted.len());
        for (level_id, quantity) in wanted {
            match reserve(txn, *level_id, *quantity, order_id, actor).await? {
                Some(row) => rows.push((*level_id, row)),
                None => break,
            }
        }
        return Ok(rows);
    }
    let mut values: Vec<Value> = Vec::with_capacity(wanted.len() * 2 + 1);
    values.push(Utc::now().into());
    let mut pairs = String::new();
    for (i, (level_id, quantity)) in wanted.iter().enumerate() {
        if i > 0 {
            pairs.push_str(", ");
        }
        let _ = write!(pairs, "(${}::uuid, ${}::int)", 2 * i + 2, 2 * i + 3);
        values.push((*level_id).into());
        values.push((*quantity).into());
    }
    let sql = format!(
        "WITH wanted (id, quantity) AS (VALUES {pairs}), \
         locked AS MATERIALIZED (SELECT l.id FROM inventory_levels l WHERE l.id IN (SELECT id FROM wanted) \
         ORDER BY l.id FOR UPDATE OF l) \
         UPDATE inventory_levels l SET reserved = l.reserved + w.quantity, updated_at = $1 \
         FROM wanted w JOIN locked k ON k.id = w.id \
         WHERE l.id = w.id AND l.on_hand - l.reserved - l.safety_stock >= w.quantity \
         RETURNING l.*"
    );
    let levels = inventory_level::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .all(txn)
        .await?;
    let cause = Cause { order_id: Some(order_id), ..Cause::default() };
    Ok(levels
        .iter()
        .map(|level| {
            let quantity = wanted.iter().find(|(id, _)| *id == level.id).map_or(0, |(_, q)| *q);
            (level.id, movement(level, MovementKind::Reserve, 0, quantity, &cause, actor))
        })
        .collect())
}

/// Takes back reservations this transaction just made and still holds locked, after a later
/// one of the same pass lost its race: as if they never happened, so no ledger row either
/// (their rows are written only once the whole pass succeeds).
pub async fn unreserve<C: ConnectionTrait>(txn: &C, taken: &[(Uuid, i32)]) -> DomainResult<()> {
    use inventory_level::Column as L;
    for (level_id, quantity) in taken {
        inventory_level::Entity::update_many()
            .col_expr(L::Reserved, Expr::col(L::Reserved).sub(*quantity))
            .filter(L::Id.eq(*level_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Gives back `quantity` reserved units at a level (a cancellation, a re-route).
pub async fn release<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<()> {
    end_reservation(txn, level_id, quantity, MovementKind::Release, cause, actor).await
}

/// Units leaving a location: on hand and reserved both drop.
pub async fn ship<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<()> {
    end_reservation(txn, level_id, quantity, MovementKind::Ship, cause, actor).await
}

/// Ends `quantity` reserved units at a level: released back to available, or shipped (on hand
/// drops too). Conditional on the level still holding them.
async fn end_reservation<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    kind: MovementKind,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<()> {
    use inventory_level::Column as L;
    let leaves = kind == MovementKind::Ship;
    let on_hand_delta = if leaves { -quantity } else { 0 };
    let after = inventory_level::Entity::update_many()
        .col_expr(L::OnHand, Expr::col(L::OnHand).add(on_hand_delta))
        .col_expr(L::Reserved, Expr::col(L::Reserved).sub(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .filter(L::Reserved.gte(quantity))
        .exec_with_returning(txn)
        .await?;
    let Some(level) = after.first() else {
        // The order's own records say it holds these units; the level disagrees. Refuse rather
        // than write a ledger that no longer sums to the levels.
        let message = if leaves {
            "the units to ship are no longer reserved"
        } else {
            "the reservation to release is no longer held"
        };
        return Err(DomainError::rejected(&[], ErrorCode::InvalidState, message));
    };
    record_after(txn, level, kind, on_hand_delta, -quantity, cause, actor).await?;
    Ok(())
}

/// A short pick: the shelf held fewer units than the books said. On hand drops by the missing
/// units (never below what other orders hold), so the router stops promising them. Returns the
/// units written off.
pub async fn record_shortfall<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<i32> {
    use inventory_level::Column as L;
    let Some(level) = inventory_level::Entity::find_by_id(level_id).one(txn).await? else { return Ok(0) };
    let missing = std::cmp::min(quantity, level.on_hand - level.reserved);
    if missing <= 0 {
        return Ok(0);
    }
    let result = inventory_level::Entity::update_many()
        .col_expr(L::OnHand, Expr::col(L::OnHand).sub(missing))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .filter(Expr::col(L::OnHand).sub(Expr::col(L::Reserved)).gte(missing))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Ok(0);
    }
    record(txn, level_id, MovementKind::Adjustment, -missing, 0, cause, actor).await?;
    Ok(missing)
}
