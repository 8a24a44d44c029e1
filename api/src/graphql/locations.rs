//! Locations: warehouses, distribution centres, stores and suppliers.
use async_graphql::{Context, InputObject, Object, SimpleObject};
use domain::locations::{self, AddressInput as DomainAddress, LocationChanges, NewLocation};
use entities::location;

use super::common::{Money, MoneyInput, connection, page_request, parts, payload};
use super::enums::LocationKind;
use super::errors::{ApiError, ApiResult, respond};
use super::loaders::loaders;

/// A postal address with coordinates: read on a location, given (as `AddressInput`) when
/// creating or moving one.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "AddressInput")]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. "FR".
    pub country: String,
    /// Latitude in degrees (-90 to 90).
    pub latitude: f64,
    /// Longitude in degrees (-180 to 180).
    pub longitude: f64,
}

impl From<Address> for DomainAddress {
    fn from(a: Address) -> Self {
        DomainAddress {
            line1: a.line1,
            city: a.city,
            postal_code: a.postal_code,
            country: a.country,
            latitude: a.latitude,
            longitude: a.longitude,
        }
    }
}

/// A fulfilment node: where stock is held and from where it ships or is picked up.
#[derive(SimpleObject, Clone, Debug)]
pub struct Location {
    /// The location's id.
    pub id: async_graphql::ID,
    /// The location's unique code, e.g. "WH-LYON".
    pub code: String,
    /// The location's name.
    pub name: String,
    /// What kind of node it is.
    pub kind: LocationKind,
    /// Where it is.
    pub address: Address,
    /// Whether it ships orders to customers.
    pub can_ship: bool,
    /// Whether customers can pick orders up here.
    pub can_pickup: bool,
    /// Whether it accepts returns.
    pub accepts_returns: bool,
    /// How many fulfilment orders it takes per day before the next ones ship a day later; no
    /// limit when null. A location at capacity still sells: routing prefers locations with
    /// capacity left, and promises a day later from a full one.
    pub daily_capacity: Option<i32>,
    /// Routing preference: lower numbers are preferred.
    pub priority: i32,
    /// The flat rate charged per shipment from here.
    pub shipping_rate: Money,
    /// Whether it takes part in routing.
    pub active: bool,
    /// Minutes its associates have to accept a released fulfilment order before it is routed
    /// elsewhere, as a rejection would be; no deadline when null.
    pub acceptance_deadline_minutes: Option<i32>,
}

impl From<location::Model> for Location {
    fn from(l: location::Model) -> Self {
        Location {
            id: l.id.to_string().into(),
            kind: l.kind.into(),
            shipping_rate: Money::from_minor(l.shipping_rate_minor, &l.shipping_currency),
            address: Address {
                line1: l.line1,
                city: l.city,
                postal_code: l.postal_code,
                country: l.country,
                latitude: l.latitude,
                longitude: l.longitude,
            },
            code: l.code,
            name: l.name,
            can_ship: l.can_ship,
            can_pickup: l.can_pickup,
            accepts_returns: l.accepts_returns,
            daily_capacity: l.daily_capacity,
            priority: l.priority,
            active: l.active,
            acceptance_deadline_minutes: l.acceptance_deadline_minutes,
        }
    }
}

impl Location {
    /// The location a row points at; its absence is a fault of ours.
    pub async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> ApiResult<Location> {
        let found = loaders(ctx)?.location.load_one(id).await?;
        found.map(Location::from).ok_or_else(|| ApiError::internal("location missing"))
    }
}

connection!(LocationConnection, LocationEdge, Location, "locations");

/// A location to create.
#[derive(InputObject)]
pub struct CreateLocationInput {
    /// A unique code: letters, digits, '-', '_', '.'.
    pub code: String,
    /// The location's name.
    pub name: String,
    /// What kind of node it is.
    pub kind: LocationKind,
    /// Where it is.
    pub address: Address,
    /// Whether it ships orders to customers.
    #[graphql(default = true)]
    pub can_ship: bool,
    /// Whether customers can pick orders up here.
    #[graphql(default = false)]
    pub can_pickup: bool,
    /// Whether it accepts returns.
    #[graphql(default = false)]
    pub accepts_returns: bool,
    /// How many fulfilment orders it takes per day (0 to 1 000 000) before the next ones ship a
    /// day later; no limit when omitted or null.
    pub daily_capacity: Option<i32>,
    /// Routing preference: lower numbers are preferred.
    #[graphql(default = 100)]
    pub priority: i32,
    /// The flat rate charged per shipment from here; free when omitted.
    pub shipping_rate: Option<MoneyInput>,
    /// Whether it takes part in routing.
    #[graphql(default = true)]
    pub active: bool,
    /// Minutes (1 to 10 080) its associates have to accept a released fulfilment order before it
    /// is routed elsewhere; no deadline when omitted or null.
    pub acceptance_deadline_minutes: Option<i32>,
}

payload!(CreateLocationPayload, location: Location, "createLocation");

/// Changes to a location; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateLocationInput {
    /// The code of the location to change.
    pub code: String,
    /// A new name.
    pub name: Option<String>,
    /// A new kind.
    pub kind: Option<LocationKind>,
    /// A new address.
    pub address: Option<Address>,
    /// Whether it ships orders.
    pub can_ship: Option<bool>,
    /// Whether customers can pick up here.
    pub can_pickup: Option<bool>,
    /// Whether it accepts returns.
    pub accepts_returns: Option<bool>,
    /// A new daily capacity (0 to 1 000 000); null removes the limit, omitted keeps it.
    pub daily_capacity: async_graphql::MaybeUndefined<i32>,
    /// A new priority.
    pub priority: Option<i32>,
    /// A new shipping rate.
    pub shipping_rate: Option<MoneyInput>,
    /// Whether it takes part in routing.
    pub active: Option<bool>,
    /// A new acceptance deadline in minutes (1 to 10 080); null removes it, omitted keeps it.
    pub acceptance_deadline_minutes: async_graphql::MaybeUndefined<i32>,
}

payload!(UpdateLocationPayload, location: Location, "updateLocation");

#[derive(Default)]
pub struct LocationQuery;

#[Object]
impl LocationQuery {
    /// The location with this code, if any.
    async fn location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location's code.")] code: String,
    ) -> ApiResult<Option<Location>> {
        let (db, _) = parts(ctx)?;
        Ok(locations::find_by_code(db, &code).await?.map(Location::from))
    }

    /// All locations, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn locations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many locations to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the locations after this cursor.")] after: Option<String>,
    ) -> ApiResult<LocationConnection> {
        let (db, _) = parts(ctx)?;
        let page = page_request(first, after)?;
        let result = locations::list_locations(db, page).await?;
        Ok(LocationConnection::from_page(result, page.after.is_some(), |l| l.id, Location::from))
    }
}

#[derive(Default)]
pub struct LocationMutation;

#[Object]
impl LocationMutation {
    /// Adds a location. Admins only.
    async fn create_location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CreateLocation request.")] input: CreateLocationInput,
    ) -> ApiResult<CreateLocationPayload> {
        let (db, actor) = parts(ctx)?;
        let new = NewLocation {
            code: input.code,
            name: input.name,
            kind: input.kind.into(),
            address: input.address.into(),
            can_ship: input.can_ship,
            can_pickup: input.can_pickup,
            accepts_returns: input.accepts_returns,
            daily_capacity: input.daily_capacity,
            priority: input.priority,
            shipping_rate: input.shipping_rate.map(|m| (m.amount.0, m.currency)),
            active: input.active,
            acceptance_deadline_minutes: input.acceptance_deadline_minutes,
        };
        respond(locations::create_location(db, actor, new).await)
    }

    /// Changes a location. Admins only.
    async fn update_location(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The UpdateLocation request.")] input: UpdateLocationInput,
    ) -> ApiResult<UpdateLocationPayload> {
        let (db, actor) = parts(ctx)?;
        let changes = LocationChanges {
            name: input.name,
            kind: input.kind.map(Into::into),
            address: input.address.map(Into::into),
            can_ship: input.can_ship,
            can_pickup: input.can_pickup,
            accepts_returns: input.accepts_returns,
            daily_capacity: maybe(input.daily_capacity),
            priority: input.priority,
            shipping_rate: input.shipping_rate.map(|m| (m.amount.0, m.currency)),
            active: input.active,
            acceptance_deadline_minutes: maybe(input.acceptance_deadline_minutes),
        };
        respond(locations::update_location(db, actor, &input.code, changes).await)
    }
}

/// An optional input that can also be cleared: omitted keeps (`None`), null clears (`Some(None)`).
fn maybe<T>(value: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
