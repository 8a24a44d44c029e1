//! `availableToPromise`: delivery options before checkout, reserving nothing.
use async_graphql::{Context, InputObject, Object, SimpleObject};
use domain::promise::{self, PromiseQuery};

use super::common::{Money, parts};
use super::enums::{Channel, DeliveryMethod};
use super::errors::{ApiResult, UserError, rejections};
use super::orders::OrderLineInput;

/// Where the customer is, as far as the storefront knows: the fields of `placeOrder`'s
/// `ShippingAddressInput`, all optional but the country, so the storefront can pass the address it
/// will order with. The country and coordinates decide the options; the rest is accepted and not
/// used yet.
#[derive(InputObject)]
pub struct PromiseAddressInput {
    /// Recipient's name.
    pub name: Option<String>,
    /// Street and number.
    pub line1: Option<String>,
    /// Apartment, floor, building.
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Latitude, for distances and dates.
    pub latitude: Option<f64>,
    /// Longitude, for distances and dates.
    pub longitude: Option<f64>,
}

/// What to promise.
#[derive(InputObject)]
pub struct AvailableToPromiseInput {
    /// The cart.
    pub lines: Vec<OrderLineInput>,
    /// Where the customer is.
    pub address: Option<PromiseAddressInput>,
    /// Only options of this delivery method; all when omitted.
    pub delivery_method: Option<DeliveryMethod>,
    /// The channel asking (routing rules may differ per channel).
    #[graphql(default_with = "Channel::Web")]
    pub channel: Channel,
}

/// One way the customer could receive the cart.
#[derive(SimpleObject, Clone, Debug)]
pub struct PromiseOption {
    /// How.
    pub delivery_method: DeliveryMethod,
    /// Whether it can be promised now.
    pub available: bool,
    /// The option the router would choose for a SHIP order.
    pub recommended: bool,
    /// The locations the goods would come from.
    pub location_codes: Vec<String>,
    /// For PICKUP: the store.
    pub pickup_location_code: Option<String>,
    /// What delivery costs.
    pub cost: Money,
    /// When the goods would arrive or be ready (YYYY-MM-DD), when available.
    pub estimated_delivery_date: Option<String>,
    /// How many shipments.
    pub shipments: i32,
    /// The option in words, for the storefront.
    pub description: String,
}

impl From<promise::PromiseOption> for PromiseOption {
    fn from(o: promise::PromiseOption) -> Self {
        PromiseOption {
            delivery_method: o.delivery_method.into(),
            available: o.available,
            recommended: o.recommended,
            location_codes: o.location_codes,
            pickup_location_code: o.pickup_location_code,
            cost: Money::from_minor(o.cost_minor, &o.currency),
            estimated_delivery_date: o.estimated_date.map(|d| d.to_string()),
            shipments: i32::try_from(o.shipments).unwrap_or(i32::MAX),
            description: o.description,
        }
    }
}

/// The delivery options of a cart.
#[derive(SimpleObject)]
pub struct AvailableToPromiseResult {
    /// The options, recommended shipping first, then alternatives, then pickup stores by distance.
    pub options: Vec<PromiseOption>,
    /// Problems with the input; empty when the question could be answered.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PromiseQueryRoot;

#[Object]
impl PromiseQueryRoot {
    /// What can be promised for a cart and an address: ship from a location arriving by a date,
    /// pick up at a store, or digital delivery, with cost. Reserves nothing; open to anyone.
    async fn available_to_promise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The AvailableToPromise request.")] input: AvailableToPromiseInput,
    ) -> ApiResult<AvailableToPromiseResult> {
        let (db, _) = parts(ctx)?;
        let query = PromiseQuery {
            lines: input.lines.into_iter().map(OrderLineInput::pair).collect(),
            country: input.address.as_ref().map(|a| a.country.clone()),
            point: input.address.as_ref().and_then(|a| a.latitude.zip(a.longitude)),
            delivery_method: input
                .delivery_method
                .map(|m| entities::enums::DeliveryMethod::from(m).as_str().to_owned()),
            channel: entities::enums::Channel::from(input.channel).as_str().to_owned(),
        };
        Ok(match rejections(promise::available_to_promise(db, query).await)? {
            Ok(options) => AvailableToPromiseResult {
                options: options.into_iter().map(PromiseOption::from).collect(),
                user_errors: Vec::new(),
            },
            Err(user_errors) => AvailableToPromiseResult { options: Vec::new(), user_errors },
        })
    }
}
