//! Inventory: levels per (product, location), the append-only ledger of every change to them,
//! and the reservations orders hold.
//!
//! Every change is one conditional UPDATE whose `rows_affected` says whether it won, so the
//! rules hold under any concurrency on both databases: `reserved` never exceeds what is
//! available, `on_hand` never drops below what is reserved. The database's CHECK constraints
//! back the same rules.
use chrono::Utc;
use entities::{inventory_level, inventory_movement, location, product};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::catalog::ProductKind;
use crate::db::begin_write;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::pagination::{Page, PageRequest, into_page};
use crate::validate;

/// The largest quantity one receipt, adjustment or order line may move.
pub const MAX_QUANTITY: i32 = 1_000_000;

/// Why a level changed, as recorded in the ledger.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MovementKind {
    Receipt,
    Adjustment,
    SafetyStock,
    Reserve,
    Release,
    Ship,
    Restock,
    WriteOff,
    Transfer,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "RECEIPT",
            MovementKind::Adjustment => "ADJUSTMENT",
            MovementKind::SafetyStock => "SAFETY_STOCK",
            MovementKind::Reserve => "RESERVE",
            MovementKind::Release => "RELEASE",
            MovementKind::Ship => "SHIP",
            MovementKind::Restock => "RESTOCK",
            MovementKind::WriteOff => "WRITE_OFF",
            MovementKind::Transfer => "TRANSFER",
        }
    }
}

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

/// Writes the ledger row for a change just made to `level_id`, reading the quantities after it.
/// Called inside the transaction that made the change, which still holds the row.
async fn record<C: ConnectionTrait>(
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
    inventory_movement::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(level.product_id),
        location_id: Set(level.location_id),
        kind: Set(kind.as_str().to_owned()),
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
    }
    .insert(txn)
    .await?;
    Ok(level)
}

/// Reserves `quantity` at a level if that much is available. `false` means another order took
/// the units first; nothing changed.
pub async fn reserve<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    order_id: Uuid,
    actor: &Actor,
) -> DomainResult<bool> {
    use inventory_level::Column as L;
    let result = inventory_level::Entity::update_many()
        .col_expr(L::Reserved, Expr::col(L::Reserved).add(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .filter(Expr::col(L::OnHand).sub(Expr::col(L::Reserved)).sub(Expr::col(L::SafetyStock)).gte(quantity))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Ok(false);
    }
    let cause = Cause { order_id: Some(order_id), ..Cause::default() };
    record(txn, level_id, MovementKind::Reserve, 0, quantity, &cause, actor).await?;
    Ok(true)
}

/// Gives back `quantity` reserved units at a level (a cancellation, a re-route).
pub async fn release<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<()> {
    use inventory_level::Column as L;
    let result = inventory_level::Entity::update_many()
        .col_expr(L::Reserved, Expr::col(L::Reserved).sub(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .filter(L::Reserved.gte(quantity))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        // The order's own records say it holds these units; the level disagrees. Refuse rather
        // than write a ledger that no longer sums to the levels.
        return Err(DomainError::rejected(
            &[],
            ErrorCode::InvalidState,
            "the reservation to release is no longer held",
        ));
    }
    record(txn, level_id, MovementKind::Release, 0, -quantity, cause, actor).await?;
    Ok(())
}

/// Units leaving a location: on hand and reserved both drop.
pub async fn ship<C: ConnectionTrait>(
    txn: &C,
    level_id: Uuid,
    quantity: i32,
    cause: &Cause,
    actor: &Actor,
) -> DomainResult<()> {
    use inventory_level::Column as L;
    let result = inventory_level::Entity::update_many()
        .col_expr(L::OnHand, Expr::col(L::OnHand).sub(quantity))
        .col_expr(L::Reserved, Expr::col(L::Reserved).sub(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level_id))
        .filter(L::Reserved.gte(quantity))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(DomainError::rejected(&[], ErrorCode::InvalidState, "the units to ship are no longer reserved"));
    }
    record(txn, level_id, MovementKind::Ship, -quantity, -quantity, cause, actor).await?;
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

/// A product and a location named by the caller, both known to exist.
struct Place {
    product: product::Model,
    location: location::Model,
}

async fn find_place<C: ConnectionTrait>(db: &C, sku: &str, location_code: &str) -> DomainResult<Place> {
    let mut problems = Problems::default();
    let product = crate::catalog::find_by_sku(db, sku).await?;
    let location = crate::locations::find_by_code(db, location_code).await?;
    if product.is_none() {
        problems.add(&["sku"], ErrorCode::UnknownSku, format!("no product has SKU '{sku}'"));
    }
    if location.is_none() {
        problems.add(&["locationCode"], ErrorCode::UnknownLocation, format!("no location has code '{location_code}'"));
    }
    let place = problems.finish(product.zip(location))?;
    let (product, location) = place;
    if !ProductKind::parse(&product.kind).holds_stock() {
        return Err(DomainError::rejected(
            &["sku"],
            ErrorCode::InvalidInput,
            format!("{} is a {} product and holds no stock", product.sku, product.kind),
        ));
    }
    Ok(Place { product, location })
}

/// The level of a (product, location), created empty on first use. Two first receipts at once
/// meet at the unique index; the loser's insert does nothing and both then update the one row.
async fn ensure_level<C: ConnectionTrait>(txn: &C, place: &Place) -> DomainResult<inventory_level::Model> {
    use inventory_level::Column as L;
    let insert = inventory_level::Entity::insert(inventory_level::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(place.product.id),
        location_id: Set(place.location.id),
        on_hand: Set(0),
        reserved: Set(0),
        safety_stock: Set(0),
        incoming: Set(0),
        updated_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([L::ProductId, L::LocationId])
    .exec(txn)
    .await;
    insert?;
    inventory_level::Entity::find()
        .filter(L::ProductId.eq(place.product.id))
        .filter(L::LocationId.eq(place.location.id))
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::not_found(&[], "inventory level"))
}

fn check_quantity(field: &str, quantity: i32, allow_zero: bool) -> DomainResult<()> {
    let min = if allow_zero { 0 } else { 1 };
    if quantity < min || quantity > MAX_QUANTITY {
        return Err(DomainError::rejected(
            &[field],
            ErrorCode::InvalidInput,
            format!("{field} must be between {min} and {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

fn require_admin(actor: &Actor) -> DomainResult<()> {
    if actor.is_admin() { Ok(()) } else { Err(DomainError::Forbidden) }
}

/// A receipt: stock arrived at a location.
pub async fn receive(
    db: &DatabaseConnection,
    actor: &Actor,
    sku: &str,
    location_code: &str,
    quantity: i32,
    reference: Option<&str>,
) -> DomainResult<inventory_level::Model> {
    require_admin(actor)?;
    check_quantity("quantity", quantity, false)?;
    let reference =
        validate::optional_text(&["reference"], reference, 200).map_err(|e| DomainError::Rejected(vec![e]))?;
    let txn = begin_write(db).await?;
    let place = find_place(&txn, sku, location_code).await?;
    let level = ensure_level(&txn, &place).await?;
    use inventory_level::Column as L;
    let received = inventory_level::Entity::update_many()
        .col_expr(L::OnHand, Expr::col(L::OnHand).add(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level.id))
        .filter(Expr::col(L::OnHand).lte(i64::from(i32::MAX) - i64::from(quantity)))
        .exec(&txn)
        .await?;
    if received.rows_affected == 0 {
        return Err(DomainError::rejected(
            &["quantity"],
            ErrorCode::InvalidInput,
            format!(
                "{} already has {} on hand: this receipt would exceed the largest count",
                place.location.code, level.on_hand
            ),
        ));
    }
    let cause = Cause { reference, ..Cause::default() };
    record(&txn, level.id, MovementKind::Receipt, quantity, 0, &cause, actor).await?;
    txn.commit().await?;
    tracing::info!(sku, location_code, quantity, "inventory received");
    offer_to_backorders(db, &place, level.id).await
}

/// Offers stock that just freed at a level to the orders waiting for its product (after the
/// change committed: a receipt never holds its level across the queue), and returns the level
/// as it is then.
async fn offer_to_backorders(
    db: &DatabaseConnection,
    place: &Place,
    level_id: Uuid,
) -> DomainResult<inventory_level::Model> {
    let (product, location_id) = (&place.product, place.location.id);
    let freed = crate::fulfillment::backorders::Freed {
        products: vec![product.id],
        arrived_at: Some(location_id),
        except_order: None,
    };
    crate::fulfillment::backorders::fill_after(db, &freed).await;
    inventory_level::Entity::find_by_id(level_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(&[], "inventory level"))
}

/// A counted correction. With `expected_on_hand` it is compare-and-set: if the shelf count the
/// caller based its delta on is stale, nothing changes and STALE_VERSION says so.
pub async fn adjust(
    db: &DatabaseConnection,
    actor: &Actor,
    sku: &str,
    location_code: &str,
    delta: i32,
    reason: &str,
    expected_on_hand: Option<i32>,
) -> DomainResult<inventory_level::Model> {
    require_admin(actor)?;
    if delta == 0 || delta.unsigned_abs() > MAX_QUANTITY as u32 {
        return Err(DomainError::rejected(
            &["delta"],
            ErrorCode::InvalidInput,
            format!("delta must be non-zero and at most {MAX_QUANTITY} either way"),
        ));
    }
    let reason = validate::text(&["reason"], reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
    let txn = begin_write(db).await?;
    let place = find_place(&txn, sku, location_code).await?;
    let level = ensure_level(&txn, &place).await?;
    use inventory_level::Column as L;
    // Compared as `on_hand <= MAX - delta`, so the check itself cannot overflow the column.
    let mut update = inventory_level::Entity::update_many()
        .col_expr(L::OnHand, Expr::col(L::OnHand).add(delta))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level.id))
        .filter(Expr::col(L::OnHand).add(delta).gte(Expr::col(L::Reserved)))
        .filter(Expr::col(L::OnHand).lte(i64::from(i32::MAX) - i64::from(std::cmp::max(delta, 0))));
    if let Some(expected) = expected_on_hand {
        update = update.filter(L::OnHand.eq(expected));
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        let current = inventory_level::Entity::find_by_id(level.id).one(&txn).await?.unwrap_or(level);
        return Err(match expected_on_hand {
            Some(expected) if expected != current.on_hand => DomainError::rejected(
                &["expectedOnHand"],
                ErrorCode::StaleVersion,
                format!("expected {expected} on hand but there are {}", current.on_hand),
            ),
            _ if i64::from(current.on_hand) + i64::from(delta) > i64::from(i32::MAX) => DomainError::rejected(
                &["delta"],
                ErrorCode::InvalidInput,
                format!("{} on hand plus {delta} would exceed the largest count", current.on_hand),
            ),
            _ => DomainError::rejected(
                &["delta"],
                ErrorCode::InsufficientStock,
                format!(
                    "on hand would drop to {} but {} units are reserved",
                    current.on_hand + delta,
                    current.reserved
                ),
            ),
        });
    }
    let cause = Cause { reason: Some(reason), ..Cause::default() };
    let level = record(&txn, level.id, MovementKind::Adjustment, delta, 0, &cause, actor).await?;
    txn.commit().await?;
    tracing::info!(sku, location_code, delta, on_hand = level.on_hand, "inventory adjusted");
    if delta > 0 { offer_to_backorders(db, &place, level.id).await } else { Ok(level) }
}

/// Units held back from promising at a location (damaged display stock, a buffer for stores).
pub async fn set_safety_stock(
    db: &DatabaseConnection,
    actor: &Actor,
    sku: &str,
    location_code: &str,
    quantity: i32,
) -> DomainResult<inventory_level::Model> {
    require_admin(actor)?;
    check_quantity("quantity", quantity, true)?;
    let txn = begin_write(db).await?;
    let place = find_place(&txn, sku, location_code).await?;
    let level = ensure_level(&txn, &place).await?;
    use inventory_level::Column as L;
    inventory_level::Entity::update_many()
        .col_expr(L::SafetyStock, Expr::value(quantity))
        .col_expr(L::UpdatedAt, Expr::value(Utc::now()))
        .filter(L::Id.eq(level.id))
        .exec(&txn)
        .await?;
    let cause = Cause { reason: Some(format!("safety stock set to {quantity}")), ..Cause::default() };
    let freed = quantity < level.safety_stock;
    let level = record(&txn, level.id, MovementKind::SafetyStock, 0, 0, &cause, actor).await?;
    txn.commit().await?;
    if freed { offer_to_backorders(db, &place, level.id).await } else { Ok(level) }
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
