//! `FulfillmentOrder`: the lines (and quantities) of an order that one location fulfils.
use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use domain::orders;
use entities::{fulfillment_order, order};
use uuid::Uuid;

use crate::graphql::common::{Money, parts};
use crate::graphql::enums::FulfillmentStatus;
use crate::graphql::errors::{ApiError, ApiResult};
use crate::graphql::loaders::loaders;
use crate::graphql::locations::Location;
use crate::graphql::orders::{Order, OrderLine};

/// The lines (and quantities) of an order that one location fulfils.
#[derive(Clone, Debug)]
pub struct FulfillmentOrder(pub fulfillment_order::Model);

impl FulfillmentOrder {
    async fn order_model(&self, ctx: &Context<'_>) -> ApiResult<order::Model> {
        loaders(ctx)?.order.load_one(self.0.order_id).await?.ok_or_else(|| ApiError::internal("order missing"))
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
        self.0.status.into()
    }

    /// The day (UTC, `YYYY-MM-DD`) whose capacity of its location it counts against: normally
    /// the day it was created; the next day when the location was full, so it ships a day later.
    /// Null at locations without a daily limit.
    async fn capacity_day(&self) -> Option<String> {
        self.0.capacity_day.map(|d| d.to_string())
    }

    /// The location that fulfils it.
    async fn location(&self, ctx: &Context<'_>) -> ApiResult<Location> {
        Location::load(ctx, self.0.location_id).await
    }

    /// What it contains.
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<FulfillmentOrderLine>> {
        let lines = loaders(ctx)?.lines_by_fulfillment_order.load_one(self.0.id).await?;
        Ok(lines
            .unwrap_or_default()
            .into_iter()
            .map(|l| FulfillmentOrderLine { quantity: l.quantity, order_line_id: l.order_line_id })
            .collect())
    }

    /// The shipping charged for this shipment.
    async fn shipping_cost(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let order = self.order_model(ctx).await?;
        Ok(Money::from_minor(self.0.shipping_minor, &order.currency))
    }

    /// The order it belongs to.
    async fn order(&self, ctx: &Context<'_>) -> ApiResult<Order> {
        Ok(Order(self.order_model(ctx).await?))
    }

    /// For a pickup order shipped from elsewhere: the store it is shipped to.
    async fn ship_to_location(&self, ctx: &Context<'_>) -> ApiResult<Option<Location>> {
        let Some(id) = self.0.ship_to_location_id else { return Ok(None) };
        Ok(loaders(ctx)?.location.load_one(id).await?.map(Location::from))
    }

    /// The code the customer shows at the store; only the customer and staff see it.
    async fn pickup_code(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let (_, actor) = parts(ctx)?;
        let order = self.order_model(ctx).await?;
        let may_see = actor.is_staff() || actor.own_customer() == Some(order.customer_id);
        Ok(self.0.pickup_code.clone().filter(|_| may_see))
    }

    /// Why the location rejected it, if it did. Staff and associates only: null for customers,
    /// as the reason is written for colleagues.
    async fn reject_reason(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        let (_, actor) = parts(ctx)?;
        Ok(orders::reject_reason_for(actor, &self.0))
    }

    /// When it was released to its location (RFC 3339); a location's acceptance deadline counts
    /// from then.
    async fn released_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.released_at
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
    async fn order_line(&self, ctx: &Context<'_>) -> ApiResult<OrderLine> {
        let found = loaders(ctx)?.order_line.load_one(self.order_line_id).await?;
        found.map(OrderLine).ok_or_else(|| ApiError::internal("order line missing"))
    }
}
