//! Who may see and work on a location's fulfilment orders — the one rule for associates — and
//! the queue they work through.

use entities::{fulfillment_order, location};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::auth::{Actor, Role};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::orders::FulfillmentStatus as FS;

/// Whose job a step is: the shipping location picks, packs, ships and rejects; the store a
/// shipment goes to (ship-to-store) makes it ready and hands it over; resets are for staff.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Duty {
    Picking,
    Store,
    Staff,
}

/// Whether `actor` may do `duty` on `fo`. An associate of neither location is told the
/// fulfilment order is missing; one of the other location is told it is not theirs to do.
pub(super) async fn authorise<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    fo: &fulfillment_order::Model,
    duty: Duty,
) -> DomainResult<()> {
    if actor.is_staff() {
        return Ok(());
    }
    let missing = || DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order");
    let Actor::User { role: Role::Associate, locations, .. } = actor else {
        return Err(missing());
    };
    let ships = locations.contains(&location_code(db, fo.location_id).await?);
    let receives = match fo.ship_to_location_id {
        Some(store) => locations.contains(&location_code(db, store).await?),
        None => false,
    };
    if !ships && !receives {
        return Err(missing());
    }
    let allowed = match duty {
        Duty::Picking => ships,
        Duty::Store if fo.ship_to_location_id.is_some() => receives,
        Duty::Store => ships,
        Duty::Staff => false,
    };
    if allowed { Ok(()) } else { Err(DomainError::Forbidden) }
}

pub(super) async fn location_code<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<String> {
    Ok(location::Entity::find_by_id(id).one(db).await?.map(|l| l.code).unwrap_or_default())
}

/// Fulfilment orders an associate's locations (or staff) work on, oldest first, by status: one
/// page at a time (keyset on the time-ordered id), so a location's long history never comes
/// back in one answer.
pub async fn list_for_locations(
    db: &DatabaseConnection,
    actor: &Actor,
    location_code: Option<&str>,
    status: Option<FS>,
    page: crate::pagination::PageRequest,
) -> DomainResult<crate::pagination::Page<fulfillment_order::Model>> {
    let limit = page.limit()?;
    let codes: Vec<String> = match (actor, location_code) {
        (Actor::User { role: Role::Associate, locations, .. }, Some(code)) if locations.iter().any(|l| l == code) => {
            vec![code.to_owned()]
        }
        (Actor::User { role: Role::Associate, locations, .. }, None) => locations.clone(),
        (_, Some(code)) if actor.is_staff() => vec![code.to_owned()],
        (_, None) if actor.is_staff() => {
            return Err(DomainError::rejected(&["locationCode"], ErrorCode::InvalidInput, "name the location to list"));
        }
        _ => return Err(DomainError::Forbidden),
    };
    let ids: Vec<Uuid> = location::Entity::find()
        .filter(location::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    // One index-ordered read per location and role (fulfilling it, or receiving it for pickup),
    // each at most a page, merged here: a single `location IN … OR ship_to IN …` read cannot
    // follow an index in id order, so it walked the whole history looking for a small store's.
    let mut rows: Vec<fulfillment_order::Model> = Vec::new();
    for id in ids {
        for column in [fulfillment_order::Column::LocationId, fulfillment_order::Column::ShipToLocationId] {
            let mut query =
                fulfillment_order::Entity::find().filter(column.eq(id)).order_by_asc(fulfillment_order::Column::Id);
            if let Some(after) = page.after {
                query = query.filter(fulfillment_order::Column::Id.gt(after));
            }
            if let Some(s) = status {
                query = query.filter(fulfillment_order::Column::Status.eq(s));
            }
            rows.extend(sea_orm::QuerySelect::limit(query, limit + 1).all(db).await?);
        }
    }
    rows.sort_by_key(|fo| fo.id);
    // A pickup order shipped between two of the caller's stores is in both reads.
    rows.dedup_by_key(|fo| fo.id);
    Ok(crate::pagination::into_page(rows, limit))
}
