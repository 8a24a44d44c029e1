//! The ledger: one row per change to a level, with the quantities after it and its cause, so
//! the levels can always be rebuilt from it.
use chrono::Utc;
use entities::{inventory_level, inventory_movement};
use sea_orm::sea_query::InsertStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Set, TransactionTrait,
};
use uuid::Uuid;

use super::{Cause, MovementKind};
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::pagination::{Page, PageRequest, into_page};

/// Writes the ledger row for a change just made to `level_id`, reading the quantities after it.
/// Called inside the transaction that made the change, which still holds the row.
pub(super) async fn record<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    kind: MovementKind,
    on_hand_delta: i32,
    reserved_delta: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<inventory_level::Model> {
    let level = inventory_level::Entity::find_by_id(level_id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::not_found(&[], "inventory level"))?;
    record_after(txn, &level, kind, on_hand_delta, reserved_delta, cause, actor).await?;
    Ok(level)
}

/// Writes the ledger row for a change whose `UPDATE … RETURNING` gave the level as it is after
/// it: one statement fewer than [`record`] on the hot paths (reserving, releasing, shipping).
pub(super) async fn record_after<C: ConnectionTrait>(
    txn: &C,
    level: &inventory_level::Model,
    kind: MovementKind,
    on_hand_delta: i32,
    reserved_delta: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<()> {
    let row = movement(level, kind, on_hand_delta, reserved_delta, cause, actor);
    inventory_movement::Entity::insert(row.0).exec_without_returning(txn).await?;
    Ok(())
}

/// A ledger row not yet written: its id and time are taken when the change is made, so rows
/// written together later keep the order of the changes.
#[derive(Debug, Clone)]
pub struct PendingMovement(inventory_movement::ActiveModel);

/// The ledger row of a change whose `UPDATE … RETURNING` gave the level as it is after it.
pub(super) fn movement(
    level: &inventory_level::Model,
    kind: MovementKind,
    on_hand_delta: i32,
    reserved_delta: i32,
    cause: &Cause,
    actor: &Actor,
) -> PendingMovement {
    PendingMovement(inventory_movement::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(level.product_id),
        location_id: Set(level.location_id),
        kind: Set(kind),
        on_hand_delta: Set(on_hand_delta),
        reserved_delta: Set(reserved_delta),
        on_hand_after: Set(level.on_hand),
        reserved_after: Set(level.reserved),
        safety_stock_after: Set(level.safety_stock),
        reason: Set(cause.reason.clone()),
        reference: Set(cause.reference.clone()),
        order_id: Set(cause.order_id),
        actor: Set(actor.label()),
        created_at: Set(Utc::now()),
    })
}

/// Writes ledger rows made with [`movement`] in one statement, inside the transaction that made
/// their changes.
pub async fn record_movements<C: ConnectionTrait>(txn: &C, rows: Vec<PendingMovement>) -> DomainResult<()> {
    if let Some(insert) = movements_insert(rows) {
        txn.execute_raw(txn.get_database_backend().build(&insert)).await?;
    }
    Ok(())
}

/// The insert of ledger rows, for a caller that writes them with others (`batch`); `None` when
/// there are none.
pub fn movements_insert(rows: Vec<PendingMovement>) -> Option<InsertStatement> {
    (!rows.is_empty()).then(|| inventory_movement::Entity::insert_many(rows.into_iter().map(|r| r.0)).into_query())
}

/// The ledger of one product, optionally at one location, oldest first. Staff only.
pub async fn list_movements(
    db: &DatabaseConnection,
    actor: &Actor,
    sku: &str,
    location_code: Option<&str>,
    page: PageRequest,
) -> DomainResult<Page<inventory_movement::Model>> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let limit = page.limit()?;
    let product = crate::catalog::find_by_sku(db, sku)
        .await?
        .ok_or_else(|| DomainError::rejected(&["sku"], ErrorCode::UnknownSku, format!("no product has SKU '{sku}'")))?;
    use inventory_movement::Column as M;
    let mut query = inventory_movement::Entity::find().filter(M::ProductId.eq(product.id)).order_by_asc(M::Id);
    if let Some(code) = location_code {
        let location = crate::locations::find_by_code(db, code).await?.ok_or_else(|| {
            DomainError::rejected(
                &["locationCode"],
                ErrorCode::UnknownLocation,
                format!("no location has code '{code}'"),
            )
        })?;
        query = query.filter(M::LocationId.eq(location.id));
    }
    if let Some(after) = page.after {
        query = query.filter(M::Id.gt(after));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    Ok(into_page(rows, limit))
}

/// Rebuilds each level's on-hand and reserved from the ledger and returns the levels that
/// disagree with it (none, if the books are right). An audit for admins and for tests.
pub async fn ledger_discrepancies(db: &DatabaseConnection) -> DomainResult<Vec<inventory_level::Model>> {
    // Both reads from one snapshot: under READ COMMITTED each statement would see another
    // moment, and a busy system would show false alarms. (SQLite's read transaction is one
    // snapshot already.)
    let txn = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.begin_with_config(Some(sea_orm::IsolationLevel::RepeatableRead), Some(sea_orm::AccessMode::ReadOnly)).await?
    } else {
        db.begin().await?
    };
    let levels = inventory_level::Entity::find().all(&txn).await?;
    let movements = inventory_movement::Entity::find().all(&txn).await?;
    txn.commit().await?;
    let mut sums: std::collections::HashMap<(Uuid, Uuid), (i64, i64)> = std::collections::HashMap::new();
    for m in movements {
        let entry = sums.entry((m.product_id, m.location_id)).or_default();
        entry.0 += i64::from(m.on_hand_delta);
        entry.1 += i64::from(m.reserved_delta);
    }
    Ok(levels
        .into_iter()
        .filter(|l| {
            let (on_hand, reserved) = sums.get(&(l.product_id, l.location_id)).copied().unwrap_or_default();
            on_hand != i64::from(l.on_hand) || reserved != i64::from(l.reserved)
        })
        .collect())
}
