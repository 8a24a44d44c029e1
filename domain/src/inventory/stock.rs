//! Stock admins change: receipts, counted adjustments and safety stock. Stock that frees is
//! offered to waiting backorders by a job written in the same transaction.
use chrono::Utc;
use entities::{inventory_level, location, product};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::ledger::record;
use super::{Cause, MAX_QUANTITY, MovementKind};
use crate::auth::Actor;
use crate::catalog::ProductKindRules;
use crate::db::begin_write;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::fulfillment::backorders::{self, Freed};
use crate::validate;

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
    if !product.kind.holds_stock() {
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
    let level = record(&txn, level.id, MovementKind::Receipt, quantity, 0, &cause, actor).await?;
    offer_to_backorders(&txn, &place).await?;
    txn.commit().await?;
    tracing::info!(sku, location_code, quantity, "inventory received");
    Ok(level)
}

/// Offers the stock that just freed at a place to the orders waiting for its product: a job,
/// written in the change's transaction (a receipt never holds its level across the queue).
async fn offer_to_backorders<C: ConnectionTrait>(txn: &C, place: &Place) -> DomainResult<()> {
    let freed = Freed { products: vec![place.product.id], arrived_at: Some(place.location.id), ..Freed::default() };
    backorders::offer(txn, freed).await
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
    if delta > 0 {
        offer_to_backorders(&txn, &place).await?;
    }
    txn.commit().await?;
    tracing::info!(sku, location_code, delta, on_hand = level.on_hand, "inventory adjusted");
    Ok(level)
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
    if freed {
        offer_to_backorders(&txn, &place).await?;
    }
    txn.commit().await?;
    Ok(level)
}
