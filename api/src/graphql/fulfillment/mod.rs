//! Fulfilment orders for location associates: their queue, and the actions that move a
//! fulfilment order through its life.
mod fulfillment_order;
mod inputs;

use async_graphql::{Context, ID, Object};
use domain::fulfillment::{self, Action};

pub use fulfillment_order::{FulfillmentOrder, FulfillmentOrderLine};
pub use inputs::{
    CompletePickupInput, FulfillmentOrderActionInput, RejectFulfillmentOrderInput, ShipFulfillmentOrderInput,
    ShortQuantityInput,
};

use super::common::{connection, page_request, parts, payload, uuid_or_nil};
use super::enums::FulfillmentStatus;
use super::errors::{ApiResult, respond};

payload!(FulfillmentOrderPayload, fulfillment_order: FulfillmentOrder, "a fulfilment-order action");
connection!(FulfillmentOrderConnection, FulfillmentOrderEdge, FulfillmentOrder, "fulfilment orders");

#[derive(Default)]
pub struct FulfillmentQuery;

#[Object]
impl FulfillmentQuery {
    /// The fulfilment orders of a location (for an associate: of its locations), oldest
    /// first, one page at a time. Includes those shipped to the location for store pickup.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn fulfillment_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location; an associate may omit it to see all of its locations.")] location_code: Option<
            String,
        >,
        #[graphql(desc = "Only fulfilment orders in this status.")] status: Option<FulfillmentStatus>,
        #[graphql(desc = "How many to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the fulfilment orders after this cursor.")] after: Option<String>,
    ) -> ApiResult<FulfillmentOrderConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let status = status.map(Into::into);
        let found = fulfillment::list_for_locations(db, actor, location_code.as_deref(), status, page).await?;
        Ok(FulfillmentOrderConnection::from_page(found, page.after.is_some(), |fo| fo.id, FulfillmentOrder))
    }
}

#[derive(Default)]
pub struct FulfillmentMutation;

impl FulfillmentMutation {
    async fn run(&self, ctx: &Context<'_>, id: &ID, action: Action) -> ApiResult<FulfillmentOrderPayload> {
        let (db, actor) = parts(ctx)?;
        respond(fulfillment::act(db, actor, uuid_or_nil(id), action).await.map(FulfillmentOrder))
    }
}

#[Object]
impl FulfillmentMutation {
    /// The location takes the fulfilment order on.
    async fn accept_fulfillment_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FulfillmentOrderAction request.")] input: FulfillmentOrderActionInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        self.run(ctx, &input.fulfillment_order_id, Action::Accept).await
    }

    /// The location cannot fulfil it: its reservation is released and its lines are routed
    /// elsewhere, or backordered when nothing else can fill them.
    async fn reject_fulfillment_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RejectFulfillmentOrder request.")] input: RejectFulfillmentOrderInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        self.run(
            ctx,
            &input.fulfillment_order_id,
            Action::Reject {
                reason: input.reason,
                short: input.short_quantities.into_iter().map(|s| (s.sku, s.quantity)).collect(),
            },
        )
        .await
    }

    /// Packed and waiting for the carrier.
    async fn pack_fulfillment_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FulfillmentOrderAction request.")] input: FulfillmentOrderActionInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        self.run(ctx, &input.fulfillment_order_id, Action::Pack).await
    }

    /// Handed to the carrier: its units leave the location's stock.
    async fn ship_fulfillment_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ShipFulfillmentOrder request.")] input: ShipFulfillmentOrderInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        let action = Action::Ship { carrier: input.carrier, tracking_number: input.tracking_number };
        self.run(ctx, &input.fulfillment_order_id, action).await
    }

    /// Delivered to the customer.
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FulfillmentOrderAction request.")] input: FulfillmentOrderActionInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        self.run(ctx, &input.fulfillment_order_id, Action::Deliver).await
    }

    /// Waiting at the store for the customer, who is given a pickup code.
    async fn mark_ready_for_pickup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FulfillmentOrderAction request.")] input: FulfillmentOrderActionInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        self.run(ctx, &input.fulfillment_order_id, Action::ReadyForPickup).await
    }

    /// Staff unlock a pickup code locked after too many wrong guesses (PICKUP_CODE_LOCKED), once
    /// they have checked the customer's identity; the code itself stays the one the customer has.
    async fn reset_pickup_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fulfilment order waiting for pickup.")] input: FulfillmentOrderActionInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        self.run(ctx, &input.fulfillment_order_id, Action::ResetPickupCode).await
    }

    /// Hands a pickup over; the code must match (INVALID_PICKUP_CODE otherwise). After five
    /// wrong codes it locks (PICKUP_CODE_LOCKED) until staff call `resetPickupCode`.
    async fn complete_pickup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CompletePickup request.")] input: CompletePickupInput,
    ) -> ApiResult<FulfillmentOrderPayload> {
        let action = Action::CompletePickup { pickup_code: input.pickup_code };
        self.run(ctx, &input.fulfillment_order_id, action).await
    }
}
