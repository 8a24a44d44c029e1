//! `Order`: what was bought, by whom, where it ships from and where it stands.
use async_graphql::{Context, ID, Object};
use domain::orders;
use entities::order;

use super::contact::{OrderContact, ShippingAddress};
use super::order_event::OrderEvent;
use super::order_line::OrderLine;
use super::totals::OrderTotals;
use crate::graphql::common::{connection, parts};
use crate::graphql::customers::Customer;
use crate::graphql::enums::{Channel, DeliveryMethod, OrderStatus, PaymentStatus};
use crate::graphql::errors::ApiResult;
use crate::graphql::fulfillment::FulfillmentOrder;
use crate::graphql::holds::OrderHold;
use crate::graphql::loaders::loaders;
use crate::graphql::locations::Location;
use crate::graphql::payments::{OrderBalance, Payment, Refund};
use crate::graphql::routing::RoutingDecision;

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
        self.0.status.into()
    }

    /// Where the order came from.
    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }

    /// The customer's contact data as given on the order.
    async fn contact(&self) -> OrderContact {
        OrderContact::of(&self.0)
    }

    /// The customer record the order belongs to.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        let found = loaders(ctx)?.customer.load_one(self.0.customer_id).await?;
        Ok(found.map(Customer::from))
    }

    /// How the customer receives the goods.
    async fn delivery_method(&self) -> DeliveryMethod {
        self.0.delivery_method.into()
    }

    /// Where the order ships to, if it ships.
    async fn shipping_address(&self) -> Option<ShippingAddress> {
        ShippingAddress::of(&self.0)
    }

    /// The store where the customer picks the order up, for PICKUP orders.
    async fn pickup_location(&self, ctx: &Context<'_>) -> ApiResult<Option<Location>> {
        let Some(id) = self.0.pickup_location_id else {
            return Ok(None);
        };
        let found = loaders(ctx)?.location.load_one(id).await?;
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
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrderLine>> {
        let lines = loaders(ctx)?.lines_by_order.load_one(self.0.id).await?;
        Ok(lines.unwrap_or_default().into_iter().map(OrderLine).collect())
    }

    /// The appointments of the lines delivered or performed at one, in the order they were made.
    async fn appointments(&self, ctx: &Context<'_>) -> ApiResult<Vec<crate::graphql::scheduling::Appointment>> {
        let found = loaders(ctx)?.appointments_by_order.load_one(self.0.id).await?;
        Ok(found.unwrap_or_default().into_iter().map(crate::graphql::scheduling::Appointment).collect())
    }

    /// The money of the order.
    async fn totals(&self) -> OrderTotals {
        OrderTotals::of(&self.0)
    }

    /// Where the order stands with its money: charged, paid, refunded, still owed by the
    /// customer, and owed back to them.
    async fn balance(&self) -> OrderBalance {
        OrderBalance::of(&self.0)
    }

    /// How far the order is paid.
    async fn payment_status(&self) -> PaymentStatus {
        domain::payments::payment_status(&self.0).into()
    }

    /// The payments recorded for the order, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Payment>> {
        let found = loaders(ctx)?.payments_by_order.load_one(self.0.id).await?;
        Ok(found.unwrap_or_default().into_iter().map(Payment).collect())
    }

    /// The refunds recorded for the order, oldest first.
    async fn refunds(&self, ctx: &Context<'_>) -> ApiResult<Vec<Refund>> {
        let found = loaders(ctx)?.refunds_by_order.load_one(self.0.id).await?;
        Ok(found.unwrap_or_default().into_iter().map(Refund).collect())
    }

    /// The fulfilment orders: which location fulfils which lines.
    async fn fulfillment_orders(&self, ctx: &Context<'_>) -> ApiResult<Vec<FulfillmentOrder>> {
        let fos = loaders(ctx)?.fulfillment_orders_by_order.load_one(self.0.id).await?;
        Ok(fos.unwrap_or_default().into_iter().map(FulfillmentOrder).collect())
    }

    /// The order's timeline, oldest first. Staff and associates see every change, who made it
    /// and why; a customer sees the customer-facing entries only (placed, confirmed, cancelled,
    /// shipped, delivered, ready for pickup, picked up, backordered, backorder filled, changed),
    /// in customer wording, with the role of who acted (`actor` is the role, not a name).
    async fn events(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrderEvent>> {
        let (_, actor) = parts(ctx)?;
        let events = loaders(ctx)?.events_by_order.load_one(self.0.id).await?;
        Ok(orders::timeline_for(actor, events.unwrap_or_default()).into_iter().map(OrderEvent).collect())
    }

    /// Every routing decision made for the order, oldest first: which locations were
    /// considered, why each was used or not, and the plan that won. Staff only (it shows every
    /// location's stock): anyone else gets null here and a FORBIDDEN error for this field,
    /// while the rest of the order is answered.
    async fn routing_decisions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<RoutingDecision>>> {
        let (_, actor) = parts(ctx)?;
        orders::check_routing_visible(actor)?;
        let decisions = loaders(ctx)?.decisions_by_order.load_one(self.0.id).await?;
        Ok(Some(decisions.unwrap_or_default().into_iter().map(Into::into).collect()))
    }

    /// The order's holds, oldest first, with who placed and released them; while any is open
    /// nothing of the order is released to fulfilment. Staff and associates only: anyone else
    /// gets null here and a FORBIDDEN error for this field (the reasons are written for staff).
    async fn holds(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<OrderHold>>> {
        let (_, actor) = parts(ctx)?;
        domain::orders::holds::check_holds_visible(actor)?;
        let found = loaders(ctx)?.holds_by_order.load_one(self.0.id).await?;
        Ok(Some(found.unwrap_or_default().into_iter().map(OrderHold).collect()))
    }

    /// Whether an open hold keeps the order from fulfilment.
    async fn on_hold(&self) -> bool {
        self.0.open_holds > 0
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

    /// The order's returns and exchanges, oldest first.
    async fn returns(&self, ctx: &Context<'_>) -> ApiResult<Vec<crate::graphql::returns::Return>> {
        let found = loaders(ctx)?.returns_by_order.load_one(self.0.id).await?;
        Ok(found.unwrap_or_default().into_iter().map(crate::graphql::returns::Return).collect())
    }

    /// The emails sent about the order: what, to whom, when, and any failure.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
    ) -> crate::graphql::errors::ApiResult<Vec<crate::graphql::notifications::Notification>> {
        crate::graphql::notifications::for_order(ctx, self.0.id).await
    }
}

impl From<order::Model> for Order {
    fn from(o: order::Model) -> Self {
        Order(o)
    }
}

connection!(OrderConnection, OrderEdge, Order, "orders");
