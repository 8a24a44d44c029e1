//! Orders: capture, reading them back, confirming and cancelling.
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use domain::orders::{
    self, Channel as DomainChannel, DeliveryMethod as DomainDelivery, FulfillmentStatus as DomainFoStatus, LineInput,
    OrderFilter as DomainFilter, OrderStatus as DomainStatus, PlaceOrder, ShippingAddressInput as DomainAddress,
};
use entities::{fulfillment_order, order, order_event, order_line};
use uuid::Uuid;

use super::catalog::Product;
use super::common::{Money, connection, is_anonymous, page_request, parts, payload, respond};
use super::customers::{Customer, CustomerInput};
use super::errors::{query_error, top_level};
use super::loaders::{load_error, loaders};
use super::locations::Location;

/// Where an order came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The web shop.
    Web,
    /// The mobile app.
    Mobile,
    /// The call centre, by an agent.
    CallCenter,
    /// A store, by an associate.
    Store,
    /// A marketplace.
    Marketplace,
}

/// How the customer receives the goods.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryMethod {
    /// Shipped to the shipping address.
    Ship,
    /// Picked up at a store (`pickupLocationCode`).
    Pickup,
    /// Delivered electronically; only for digital and service products.
    Digital,
}

/// An order's status. Once confirmed, it follows its fulfilment orders.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Captured with its stock reserved, waiting to be confirmed.
    Pending,
    /// Confirmed and released to its locations.
    Confirmed,
    /// Some fulfilment orders shipped, others not yet.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
    /// Everything delivered.
    Delivered,
    /// Waiting at the store for the customer.
    ReadyForPickup,
    /// Handed over at the store.
    PickedUp,
    /// Cancelled; its reservations were released.
    Cancelled,
}

/// A fulfilment order's status.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FulfillmentStatus {
    /// Reserved at its location; the order is not confirmed yet.
    Pending,
    /// Released to the location, waiting for it to accept.
    Released,
    /// Accepted by the location, being picked.
    Accepted,
    /// Packed, waiting for the carrier.
    Packed,
    /// Handed to the carrier.
    Shipped,
    /// Delivered to the customer.
    Delivered,
    /// Waiting at the store; the customer has a pickup code.
    ReadyForPickup,
    /// Handed to the customer at the store.
    PickedUp,
    /// The location could not fulfil it; its lines were re-routed.
    Rejected,
    /// Cancelled with its order.
    Cancelled,
}

macro_rules! map_enum {
    ($api:ident, $domain:ident, [$($v:ident),*]) => {
        impl From<$api> for $domain {
            fn from(v: $api) -> Self { match v { $($api::$v => $domain::$v),* } }
        }
        impl From<$domain> for $api {
            fn from(v: $domain) -> Self { match v { $($domain::$v => $api::$v),* } }
        }
    };
}
map_enum!(Channel, DomainChannel, [Web, Mobile, CallCenter, Store, Marketplace]);
map_enum!(DeliveryMethod, DomainDelivery, [Ship, Pickup, Digital]);
map_enum!(
    OrderStatus,
    DomainStatus,
    [Pending, Confirmed, PartiallyShipped, Shipped, Delivered, ReadyForPickup, PickedUp, Cancelled]
);
map_enum!(
    FulfillmentStatus,
    DomainFoStatus,
    [Pending, Released, Accepted, Packed, Shipped, Delivered, ReadyForPickup, PickedUp, Rejected, Cancelled]
);

/// The money of an order.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderTotals {
    /// The lines at catalogue prices.
    pub subtotal: Money,
    /// What the promo code took off.
    pub discount: Money,
    /// Shipping, per shipment.
    pub shipping: Money,
    /// Tax on discounted goods and shipping at the destination's rate.
    pub tax: Money,
    /// What the customer pays: subtotal - discount + shipping + tax.
    pub total: Money,
}

/// Where the order ships to.
#[derive(SimpleObject, Clone, Debug)]
pub struct ShippingAddress {
    /// Recipient's name.
    pub name: Option<String>,
    /// Street and number.
    pub line1: String,
    /// Apartment, floor, building.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Latitude, when known.
    pub latitude: Option<f64>,
    /// Longitude, when known.
    pub longitude: Option<f64>,
}

/// The customer's contact data as given on the order.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderContact {
    /// Email address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
}

/// An order.
#[derive(Clone, Debug)]
pub struct Order(pub order::Model);

/// An order: what was bought, by whom, where it ships from and where it stands.
#[Object]
impl Order {
    /// The order's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// The human order number, e.g. "SO-000123".
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// Where the order is in its life.
    async fn status(&self) -> OrderStatus {
        DomainStatus::parse(&self.0.status).unwrap_or(DomainStatus::Pending).into()
    }

    /// Where the order came from.
    async fn channel(&self) -> Channel {
        DomainChannel::parse(&self.0.channel).unwrap_or(DomainChannel::Web).into()
    }

    /// The customer's contact data as given on the order.
    async fn contact(&self) -> OrderContact {
        OrderContact {
            email: self.0.customer_email.clone(),
            name: self.0.customer_name.clone(),
            phone: self.0.customer_phone.clone(),
        }
    }

    /// The customer record the order belongs to.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let found = loaders(ctx)?.customer.load_one(self.0.customer_id).await.map_err(load_error)?;
        Ok(found.map(Customer::from))
    }

    /// How the customer receives the goods.
    async fn delivery_method(&self) -> DeliveryMethod {
        DomainDelivery::parse(&self.0.delivery_method).unwrap_or(DomainDelivery::Ship).into()
    }

    /// Where the order ships to, if it ships.
    async fn shipping_address(&self) -> Option<ShippingAddress> {
        let o = &self.0;
        Some(ShippingAddress {
            name: o.ship_name.clone(),
            line1: o.ship_line1.clone()?,
            line2: o.ship_line2.clone(),
            city: o.ship_city.clone()?,
            region: o.ship_region.clone(),
            postal_code: o.ship_postal_code.clone()?,
            country: o.ship_country.clone()?,
            latitude: o.ship_latitude,
            longitude: o.ship_longitude,
        })
    }

    /// The store where the customer picks the order up, for PICKUP orders.
    async fn pickup_location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Location>> {
        let Some(id) = self.0.pickup_location_id else {
            return Ok(None);
        };
        let found = loaders(ctx)?.location.load_one(id).await.map_err(load_error)?;
        Ok(found.map(Location::from))
    }

    /// The promo code applied, if any.
    async fn promo_code(&self) -> Option<&str> {
        self.0.promo_code.as_deref()
    }

    /// The customer's note, if any.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The order's lines, in order.
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderLine>> {
        let lines = loaders(ctx)?.lines_by_order.load_one(self.0.id).await.map_err(load_error)?;
        Ok(lines.unwrap_or_default().into_iter().map(OrderLine).collect())
    }

    /// The money of the order.
    async fn totals(&self) -> OrderTotals {
        let o = &self.0;
        let m = |minor| Money::from_minor(minor, &o.currency);
        OrderTotals {
            subtotal: m(o.subtotal_minor),
            discount: m(o.discount_minor),
            shipping: m(o.shipping_minor),
            tax: m(o.tax_minor),
            total: m(o.total_minor),
        }
    }

    /// The fulfilment orders: which location fulfils which lines.
    async fn fulfillment_orders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FulfillmentOrder>> {
        let fos = loaders(ctx)?.fulfillment_orders_by_order.load_one(self.0.id).await.map_err(load_error)?;
        Ok(fos.unwrap_or_default().into_iter().map(FulfillmentOrder).collect())
    }

    /// The order's timeline: every change, who made it and why, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderEvent>> {
        let events = loaders(ctx)?.events_by_order.load_one(self.0.id).await.map_err(load_error)?;
        Ok(events.unwrap_or_default().into_iter().map(OrderEvent).collect())
    }

    /// Every routing decision made for the order, oldest first: which locations were
    /// considered, why each was used or not, and the plan that won.
    async fn routing_decisions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::routing::RoutingDecision>> {
        let decisions = loaders(ctx)?.decisions_by_order.load_one(self.0.id).await.map_err(load_error)?;
        Ok(decisions.unwrap_or_default().into_iter().map(Into::into).collect())
    }

    /// Moves on with every change; pass it as `expectedVersion` to refuse a stale write.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the order was placed (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When the order last changed (RFC 3339).
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The emails sent about the order: what, to whom, when, and any failure.
    async fn notifications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<super::notifications::Notification>> {
        super::notifications::for_order(ctx, self.0.id).await
    }
}

impl From<order::Model> for Order {
    fn from(o: order::Model) -> Self {
        Order(o)
    }
}

/// One line of an order.
#[derive(Clone, Debug)]
pub struct OrderLine(pub order_line::Model);

/// A line is priced in its order's currency, whatever the catalogue says today.
async fn line_currency(ctx: &Context<'_>, line: &order_line::Model) -> async_graphql::Result<String> {
    let order = loaders(ctx)?.order.load_one(line.order_id).await.map_err(load_error)?;
    Ok(order.map(|o| o.currency).unwrap_or_default())
}

/// One line of an order.
#[Object]
impl OrderLine {
    /// The line's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// The line's position in the order, from 1.
    async fn line_no(&self) -> i32 {
        self.0.line_no
    }

    /// The SKU ordered.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// The product's name when ordered.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Units ordered.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The unit price when ordered, from the catalogue.
    async fn unit_price(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        Ok(Money::from_minor(self.0.unit_price_minor, &line_currency(ctx, &self.0).await?))
    }

    /// Unit price × quantity.
    async fn line_total(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        Ok(Money::from_minor(self.0.line_total_minor, &line_currency(ctx, &self.0).await?))
    }

    /// Units reserved at a location (or needing none: digital goods and services).
    async fn allocated_quantity(&self) -> i32 {
        self.0.allocated_quantity
    }

    /// Units waiting for stock.
    async fn backordered_quantity(&self) -> i32 {
        self.0.backordered_quantity
    }

    /// Units cancelled.
    async fn cancelled_quantity(&self) -> i32 {
        self.0.cancelled_quantity
    }

    /// Units shipped or handed over.
    async fn shipped_quantity(&self) -> i32 {
        self.0.shipped_quantity
    }

    /// Units returned.
    async fn returned_quantity(&self) -> i32 {
        self.0.returned_quantity
    }

    /// The product as it is in the catalogue now.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        let found = loaders(ctx)?.product.load_one(self.0.product_id).await.map_err(load_error)?;
        Ok(found.map(Product::from))
    }
}

/// The lines (and quantities) of an order that one location fulfils.
#[derive(Clone, Debug)]
pub struct FulfillmentOrder(pub fulfillment_order::Model);

impl FulfillmentOrder {
    async fn order_model(&self, ctx: &Context<'_>) -> async_graphql::Result<order::Model> {
        loaders(ctx)?
            .order
            .load_one(self.0.order_id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| top_level("INTERNAL", "order missing"))
    }
}

/// The lines (and quantities) of an order that one location fulfils.
#[Object]
impl FulfillmentOrder {
    /// The fulfilment order's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// Where it stands.
    async fn status(&self) -> FulfillmentStatus {
        DomainFoStatus::parse(&self.0.status).unwrap_or(DomainFoStatus::Pending).into()
    }

    /// The location that fulfils it.
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Location> {
        loaders(ctx)?
            .location
            .load_one(self.0.location_id)
            .await
            .map_err(load_error)?
            .map(Location::from)
            .ok_or_else(|| top_level("INTERNAL", "location missing"))
    }

    /// What it contains.
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FulfillmentOrderLine>> {
        let lines = loaders(ctx)?.lines_by_fulfillment_order.load_one(self.0.id).await.map_err(load_error)?;
        Ok(lines
            .unwrap_or_default()
            .into_iter()
            .map(|l| FulfillmentOrderLine { quantity: l.quantity, order_line_id: l.order_line_id })
            .collect())
    }

    /// The shipping charged for this shipment.
    async fn shipping_cost(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        let order = self.order_model(ctx).await?;
        Ok(Money::from_minor(self.0.shipping_minor, &order.currency))
    }

    /// The order it belongs to.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Order> {
        Ok(Order(self.order_model(ctx).await?))
    }

    /// For a pickup order shipped from elsewhere: the store it is shipped to.
    async fn ship_to_location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Location>> {
        let Some(id) = self.0.ship_to_location_id else { return Ok(None) };
        Ok(loaders(ctx)?.location.load_one(id).await.map_err(load_error)?.map(Location::from))
    }

    /// The code the customer shows at the store; only the customer and staff see it.
    async fn pickup_code(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let (_, actor) = super::common::parts(ctx)?;
        let order = self.order_model(ctx).await?;
        let may_see = actor.is_staff() || actor.own_customer() == Some(order.customer_id);
        Ok(self.0.pickup_code.clone().filter(|_| may_see))
    }

    /// Why the location rejected it, if it did.
    async fn reject_reason(&self) -> Option<&str> {
        self.0.reject_reason.as_deref()
    }

    /// When the location accepted it (RFC 3339).
    async fn accepted_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.accepted_at
    }

    /// When it left the location (RFC 3339).
    async fn shipped_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.shipped_at
    }

    /// When it was delivered or handed over (RFC 3339).
    async fn delivered_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.delivered_at
    }

    /// The carrier, once shipped.
    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }

    /// The tracking number, once shipped.
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }

    /// When it was created (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// Units of one order line in a fulfilment order.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct FulfillmentOrderLine {
    /// Units of the order line this location fulfils.
    pub quantity: i32,
    #[graphql(skip)]
    pub order_line_id: Uuid,
}

#[ComplexObject]
impl FulfillmentOrderLine {
    /// The order line.
    async fn order_line(&self, ctx: &Context<'_>) -> async_graphql::Result<OrderLine> {
        loaders(ctx)?
            .order_line
            .load_one(self.order_line_id)
            .await
            .map_err(load_error)?
            .map(OrderLine)
            .ok_or_else(|| top_level("INTERNAL", "order line missing"))
    }
}

/// One entry of an order's timeline.
#[derive(Clone, Debug)]
pub struct OrderEvent(pub order_event::Model);

/// One entry of an order's timeline.
#[Object]
impl OrderEvent {
    /// The entry's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// What happened, e.g. ORDER_PLACED, ORDER_CONFIRMED, ORDER_CANCELLED.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// The role of who did it: customer, agent, associate, admin or system.
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }

    /// Who did it (the token's subject).
    async fn actor(&self) -> &str {
        &self.0.actor_id
    }

    /// What happened, in words.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// When (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

connection!(OrderConnection, OrderEdge, Order, "orders");

/// A line to order.
#[derive(InputObject)]
pub struct OrderLineInput {
    /// The SKU to order.
    pub sku: String,
    /// Units (1 to 1 000 000).
    pub quantity: i32,
}

/// Where to ship an order.
#[derive(InputObject)]
pub struct ShippingAddressInput {
    /// Recipient's name.
    pub name: Option<String>,
    /// Street and number.
    pub line1: String,
    /// Apartment, floor, building.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. "FR".
    pub country: String,
    /// Latitude, when the storefront knows it (used for routing).
    pub latitude: Option<f64>,
    /// Longitude, when the storefront knows it.
    pub longitude: Option<f64>,
}

/// An order to place.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// Where the order comes from.
    pub channel: Channel,
    /// The customer's contact data. Required for staff; a customer token orders for its own
    /// record, and may only give its own email here.
    pub customer: Option<CustomerInput>,
    /// What to order (1 to 200 lines; the same SKU may appear on several lines).
    pub lines: Vec<OrderLineInput>,
    /// Where to ship; required for SHIP.
    pub shipping_address: Option<ShippingAddressInput>,
    /// How the customer receives the goods.
    #[graphql(default_with = "DeliveryMethod::Ship")]
    pub delivery_method: DeliveryMethod,
    /// The store to pick up at; required for PICKUP.
    pub pickup_location_code: Option<String>,
    /// A promo code.
    pub promo_code: Option<String>,
    /// A note from the customer.
    pub note: Option<String>,
    /// Whether the order may ship in several shipments when no single location can fill it;
    /// `false` asks for one shipment or nothing.
    #[graphql(default = true)]
    pub allow_split: bool,
    /// What to do with units no location can fill now: REJECT the order (OUT_OF_STOCK), or
    /// BACKORDER them until stock arrives.
    #[graphql(default_with = "BackorderPolicy::Reject")]
    pub backorder_policy: BackorderPolicy,
}

/// What happens to units no location can fill when the order is placed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackorderPolicy {
    /// Refuse the order with OUT_OF_STOCK.
    Reject,
    /// Take the order; the units wait and are filled, oldest order first, when stock arrives.
    Backorder,
}

payload!(PlaceOrderPayload, order: Order, "placeOrder");

/// An order to confirm.
#[derive(InputObject)]
pub struct ConfirmOrderInput {
    /// The order's id.
    pub order_id: ID,
    /// The version the caller saw; if the order changed since, STALE_VERSION.
    pub expected_version: Option<i32>,
}

payload!(ConfirmOrderPayload, order: Order, "confirmOrder");

/// An order to cancel.
#[derive(InputObject)]
pub struct CancelOrderInput {
    /// The order's id.
    pub order_id: ID,
    /// Why it is cancelled; recorded in the timeline.
    pub reason: String,
    /// The version the caller saw; if the order changed since, STALE_VERSION.
    pub expected_version: Option<i32>,
}

payload!(CancelOrderPayload, order: Order, "cancelOrder");

/// Filters for `orders`.
#[derive(InputObject, Default)]
pub struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders from this channel.
    pub channel: Option<Channel>,
    /// Only orders with this contact email.
    pub customer_email: Option<String>,
    /// Only orders placed at or after this time.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only orders placed before this time.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}

/// An id that is not a UUID names no order: the answer is the one for a missing order.
fn order_id(id: &ID) -> Uuid {
    Uuid::parse_str(id).unwrap_or(Uuid::nil())
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// The order with this id, if the caller may see it.
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
    ) -> async_graphql::Result<Option<Order>> {
        let (db, actor) = parts(ctx)?;
        let found =
            orders::get_order(db, actor, order_id(&id)).await.map_err(|e| query_error(e, is_anonymous(actor)))?;
        Ok(found.map(Order))
    }

    /// The order with this number (e.g. "SO-000123"), if the caller may see it.
    async fn order_by_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order number, e.g. SO-000123.")] number: String,
    ) -> async_graphql::Result<Option<Order>> {
        let (db, actor) = parts(ctx)?;
        let found =
            orders::get_order_by_number(db, actor, &number).await.map_err(|e| query_error(e, is_anonymous(actor)))?;
        Ok(found.map(Order))
    }

    /// Orders the caller may see, newest first: staff all, a customer its own, an associate
    /// those its locations fulfil.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many orders to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the orders after this cursor.")] after: Option<String>,
        #[graphql(desc = "Which orders to return.")] filter: Option<OrderFilter>,
    ) -> async_graphql::Result<OrderConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let f = filter.unwrap_or_default();
        let domain_filter = DomainFilter {
            status: f.status.map(Into::into),
            channel: f.channel.map(Into::into),
            customer_email: f.customer_email,
            created_after: f.created_after,
            created_before: f.created_before,
        };
        let result = orders::list_orders(db, actor, &domain_filter, page)
            .await
            .map_err(|e| query_error(e, is_anonymous(actor)))?;
        Ok(OrderConnection::from_page(result, page.after.is_some(), |o| o.id, Order))
    }
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Places an order: prices it from the catalogue, reserves its stock and routes it, all at
    /// once. Refused with OUT_OF_STOCK, naming the lines, when it cannot be filled.
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The PlaceOrder request.")] input: PlaceOrderInput,
    ) -> async_graphql::Result<PlaceOrderPayload> {
        let (db, actor) = parts(ctx)?;
        let request = PlaceOrder {
            channel: input.channel.into(),
            customer: input.customer.map(Into::into),
            lines: input.lines.into_iter().map(|l| LineInput { sku: l.sku, quantity: l.quantity }).collect(),
            shipping_address: input.shipping_address.map(|a| DomainAddress {
                name: a.name,
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                region: a.region,
                postal_code: a.postal_code,
                country: a.country,
                latitude: a.latitude,
                longitude: a.longitude,
            }),
            delivery_method: input.delivery_method.into(),
            pickup_location_code: input.pickup_location_code,
            promo_code: input.promo_code,
            note: input.note,
            allow_split: input.allow_split,
            backorder_policy: match input.backorder_policy {
                BackorderPolicy::Reject => domain::orders::BackorderPolicy::Reject,
                BackorderPolicy::Backorder => domain::orders::BackorderPolicy::Backorder,
            },
        };
        respond(orders::place_order(db, actor, request).await, actor)
    }

    /// Confirms a pending order and releases it for fulfilment. Staff only.
    async fn confirm_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ConfirmOrder request.")] input: ConfirmOrderInput,
    ) -> async_graphql::Result<ConfirmOrderPayload> {
        let (db, actor) = parts(ctx)?;
        respond(orders::confirm_order(db, actor, order_id(&input.order_id), input.expected_version).await, actor)
    }

    /// Cancels an order that has not shipped, releasing all its stock. Staff, or the customer
    /// for its own order.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CancelOrder request.")] input: CancelOrderInput,
    ) -> async_graphql::Result<CancelOrderPayload> {
        let (db, actor) = parts(ctx)?;
        let result =
            orders::cancel_order(db, actor, order_id(&input.order_id), &input.reason, input.expected_version).await;
        respond(result, actor)
    }
}
