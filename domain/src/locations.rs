//! Locations: the warehouses, distribution centres, stores and suppliers that hold and ship stock.
use chrono::Utc;
use entities::location;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError, unique_violation};
use crate::money::parse_amount;
use crate::pagination::{Page, PageRequest, into_page};
use crate::validate;

pub use entities::enums::LocationKind;

/// A postal address with coordinates, as given by the caller.
#[derive(Debug, Clone)]
pub struct AddressInput {
    pub line1: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone)]
pub struct NewLocation {
    pub code: String,
    pub name: String,
    pub kind: LocationKind,
    pub address: AddressInput,
    pub can_ship: bool,
    pub can_pickup: bool,
    pub accepts_returns: bool,
    /// Fulfilment orders per day before the next ones ship a day later; no limit when `None`.
    pub daily_capacity: Option<i32>,
    pub priority: i32,
    /// Flat shipping rate per shipment from this location; zero when absent.
    pub shipping_rate: Option<(Decimal, String)>,
    pub active: bool,
    /// Minutes its associates have to accept a released fulfilment order; none when `None`.
    pub acceptance_deadline_minutes: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct LocationChanges {
    pub name: Option<String>,
    pub kind: Option<LocationKind>,
    pub address: Option<AddressInput>,
    pub can_ship: Option<bool>,
    pub can_pickup: Option<bool>,
    pub accepts_returns: Option<bool>,
    /// `Some(None)` removes the limit.
    pub daily_capacity: Option<Option<i32>>,
    pub priority: Option<i32>,
    pub shipping_rate: Option<(Decimal, String)>,
    pub active: Option<bool>,
    /// `Some(None)` removes the deadline.
    pub acceptance_deadline_minutes: Option<Option<i32>>,
}

/// The address, validated.
struct Address {
    line1: String,
    city: String,
    postal_code: String,
    country: String,
    latitude: f64,
    longitude: f64,
}

fn parse_address(problems: &mut Problems, a: &AddressInput) -> Option<Address> {
    let line1 = problems.take(validate::text(&["address", "line1"], &a.line1, 200));
    let city = problems.take(validate::text(&["address", "city"], &a.city, 100));
    let postal_code = problems.take(validate::text(&["address", "postalCode"], &a.postal_code, 20));
    let country = problems.take(validate::country(&["address", "country"], &a.country));
    let latitude = problems.take(validate::latitude(&["address", "latitude"], a.latitude));
    let longitude = problems.take(validate::longitude(&["address", "longitude"], a.longitude));
    Some(Address {
        line1: line1?,
        city: city?,
        postal_code: postal_code?,
        country: country?,
        latitude: latitude?,
        longitude: longitude?,
    })
}

fn check_capacity(value: Option<i32>) -> Result<Option<i32>, UserError> {
    if value.is_none_or(|v| (0..=1_000_000).contains(&v)) {
        Ok(value)
    } else {
        Err(UserError::new(
            &["dailyCapacity"],
            ErrorCode::InvalidInput,
            "daily capacity must be between 0 and 1 000 000",
        ))
    }
}

fn check_priority(value: i32) -> Result<i32, UserError> {
    if (0..=10_000).contains(&value) {
        Ok(value)
    } else {
        Err(UserError::new(&["priority"], ErrorCode::InvalidInput, "priority must be between 0 and 10 000"))
    }
}

fn check_deadline(value: Option<i32>) -> Result<Option<i32>, UserError> {
    let max = crate::fulfillment::deadlines::MAX_ACCEPTANCE_DEADLINE_MINUTES;
    if value.is_none_or(|v| (1..=max).contains(&v)) {
        Ok(value)
    } else {
        Err(UserError::new(
            &["acceptanceDeadlineMinutes"],
            ErrorCode::InvalidInput,
            format!("the acceptance deadline must be between 1 and {max} minutes, or null for none"),
        ))
    }
}

fn require_admin(actor: &Actor) -> DomainResult<()> {
    if actor.is_admin() { Ok(()) } else { Err(DomainError::Forbidden) }
}

pub async fn create_location(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewLocation,
) -> DomainResult<location::Model> {
    require_admin(actor)?;
    let mut problems = Problems::default();
    let code = problems.take(validate::code(&["code"], &input.code, 32));
    let name = problems.take(validate::text(&["name"], &input.name, 200));
    let address = parse_address(&mut problems, &input.address);
    let capacity = problems.take(check_capacity(input.daily_capacity));
    let priority = problems.take(check_priority(input.priority));
    let deadline = problems.take(check_deadline(input.acceptance_deadline_minutes));
    let rate = match &input.shipping_rate {
        Some((amount, currency)) => problems.take(parse_amount(&["shippingRate"], *amount, currency)),
        None => crate::money::Currency::parse("EUR").map(|c| (c, 0)),
    };
    let (code, name, address, capacity, priority, (currency, rate_minor), deadline) =
        problems.finish((|| Some((code?, name?, address?, capacity?, priority?, rate?, deadline?)))())?;
    let now = Utc::now();
    let model = location::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(code),
        name: Set(name),
        kind: Set(input.kind),
        line1: Set(address.line1),
        city: Set(address.city),
        postal_code: Set(address.postal_code),
        country: Set(address.country),
        latitude: Set(address.latitude),
        longitude: Set(address.longitude),
        can_ship: Set(input.can_ship),
        can_pickup: Set(input.can_pickup),
        accepts_returns: Set(input.accepts_returns),
        daily_capacity: Set(capacity),
        priority: Set(priority),
        shipping_rate_minor: Set(rate_minor),
        shipping_currency: Set(currency.code().to_owned()),
        active: Set(input.active),
        processing_days: Set(1),
        cutoff_hour: Set(14),
        acceptance_deadline_minutes: Set(deadline),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let created = model.insert(db).await.map_err(unique_violation)?;
    tracing::info!(code = %created.code, "location created");
    Ok(created)
}

pub async fn update_location(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &str,
    changes: LocationChanges,
) -> DomainResult<location::Model> {
    require_admin(actor)?;
    let existing = find_by_code(db, code).await?.ok_or_else(|| DomainError::not_found(&["code"], "location"))?;
    let mut problems = Problems::default();
    let mut model: location::ActiveModel = existing.into();
    if let Some(name) = &changes.name
        && let Some(n) = problems.take(validate::text(&["name"], name, 200))
    {
        model.name = Set(n);
    }
    if let Some(a) = &changes.address
        && let Some(a) = parse_address(&mut problems, a)
    {
        model.line1 = Set(a.line1);
        model.city = Set(a.city);
        model.postal_code = Set(a.postal_code);
        model.country = Set(a.country);
        model.latitude = Set(a.latitude);
        model.longitude = Set(a.longitude);
    }
    if let Some(c) = changes.daily_capacity
        && let Some(c) = problems.take(check_capacity(c))
    {
        model.daily_capacity = Set(c);
    }
    if let Some(p) = changes.priority
        && let Some(p) = problems.take(check_priority(p))
    {
        model.priority = Set(p);
    }
    if let Some((amount, currency)) = &changes.shipping_rate
        && let Some((cur, minor)) = problems.take(parse_amount(&["shippingRate"], *amount, currency))
    {
        model.shipping_rate_minor = Set(minor);
        model.shipping_currency = Set(cur.code().to_owned());
    }
    if let Some(d) = changes.acceptance_deadline_minutes
        && let Some(d) = problems.take(check_deadline(d))
    {
        model.acceptance_deadline_minutes = Set(d);
    }
    problems.into_result()?;
    if let Some(kind) = changes.kind {
        model.kind = Set(kind);
    }
    if let Some(v) = changes.can_ship {
        model.can_ship = Set(v);
    }
    if let Some(v) = changes.can_pickup {
        model.can_pickup = Set(v);
    }
    if let Some(v) = changes.accepts_returns {
        model.accepts_returns = Set(v);
    }
    if let Some(v) = changes.active {
        model.active = Set(v);
    }
    model.updated_at = Set(Utc::now());
    Ok(model.update(db).await?)
}

pub async fn find_by_code<C: ConnectionTrait>(db: &C, code: &str) -> DomainResult<Option<location::Model>> {
    Ok(location::Entity::find().filter(location::Column::Code.eq(code.trim())).one(db).await?)
}

pub async fn find_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<Vec<location::Model>> {
    Ok(location::Entity::find().filter(location::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

pub async fn list_locations(db: &DatabaseConnection, page: PageRequest) -> DomainResult<Page<location::Model>> {
    let limit = page.limit()?;
    let mut query = location::Entity::find().order_by_asc(location::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(location::Column::Id.gt(after));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    Ok(into_page(rows, limit))
}
