//! Orders: capture, reading them back, confirming, cancelling and changing. One file per GraphQL type;
//! the query and mutation roots here.
mod change;
mod contact;
mod inputs;
mod order;
mod order_event;
mod order_line;
mod totals;

use async_graphql::{Context, ID, Lookahead, Object};
use domain::DomainResult;
use domain::orders::{self, OrderFilter as DomainFilter, OrderKey};
use sea_orm::DatabaseConnection;

pub use change::OrderChangeMutation;
pub use contact::{OrderContact, ShippingAddress};
pub use inputs::{CancelLineInput, CancelOrderInput, ConfirmOrderInput, OrderFilter, OrderLineInput, PlaceOrderInput};
pub use order::{Order, OrderConnection, OrderEdge};
pub use order_event::OrderEvent;
pub use order_line::OrderLine;
pub use totals::OrderTotals;

use super::common::{page_request, parts, payload, uuid_or_nil};
use super::errors::{ApiResult, respond};
use super::loaders::{OneRootField, loaders};

payload!(PlaceOrderPayload, order: Order, "placeOrder");
payload!(ConfirmOrderPayload, order: Order, "confirmOrder");
payload!(CancelOrderPayload, order: Order, "cancelOrder");

/// The fields of an order whose rows an order page reads with the order in one statement, where
/// the database can (`orders::get_whole_order`).
const WHOLE_ORDER_FIELDS: [&str; 3] = ["lines", "fulfillmentOrders", "events"];

/// Whether `selection` (an order's) asks for its children and the database reads them with the
/// order at once.
fn wants_whole_order(selection: Lookahead<'_>, db: &DatabaseConnection) -> bool {
    orders::reads_whole_orders_in_one_statement(db) && WHOLE_ORDER_FIELDS.iter().any(|f| selection.field(f).exists())
}

/// The order with its children, read at once and handed to the request's loaders.
async fn whole_order(ctx: &Context<'_>, key: OrderKey<'_>) -> ApiResult<Option<Order>> {
    let (db, actor) = parts(ctx)?;
    let whole = orders::get_whole_order(db, actor, key).await?;
    let loaders = loaders(ctx)?;
    Ok(whole.map(|whole| Order(loaders.prime_whole_order(whole))))
}

/// The order a mutation answers with. When its payload asks for the order's children, they are
/// read with it in one statement, after the commit, as the payload shows the order as it is now.
/// The change is made either way: should that read fail, the loaders read the children instead.
/// Only for a mutation alone in its request ([`OneRootField`]): the loaders keep what they are
/// handed until the request ends.
async fn changed_order(
    ctx: &Context<'_>,
    changed: DomainResult<entities::order::Model>,
) -> DomainResult<entities::order::Model> {
    let order = changed?;
    let (Ok((db, actor)), Ok(loaders)) = (parts(ctx), loaders(ctx)) else {
        return Ok(order);
    };
    if ctx.data_opt::<OneRootField>().is_none() || !wants_whole_order(ctx.look_ahead().field("order"), db) {
        return Ok(order);
    }
    match orders::get_whole_order(db, actor, OrderKey::Id(order.id)).await {
        Ok(Some(whole)) => Ok(loaders.prime_whole_order(whole)),
        Ok(None) => Ok(order),
        Err(error) => {
            tracing::warn!(order_id = %order.id, %error, "the changed order was not read back whole; its loaders read it");
            Ok(order)
        }
    }
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// The order with this id, if the caller may see it.
    async fn order(&self, ctx: &Context<'_>, #[graphql(desc = "The order's id.")] id: ID) -> ApiResult<Option<Order>> {
        let (db, actor) = parts(ctx)?;
        let id = uuid_or_nil(&id);
        if wants_whole_order(ctx.look_ahead(), db) {
            return whole_order(ctx, OrderKey::Id(id)).await;
        }
        Ok(orders::get_order(db, actor, id).await?.map(Order))
    }

    /// The order with this number (e.g. "SO-000123"), if the caller may see it.
    async fn order_by_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order number, e.g. SO-000123.")] number: String,
    ) -> ApiResult<Option<Order>> {
        let (db, actor) = parts(ctx)?;
        if wants_whole_order(ctx.look_ahead(), db) {
            return whole_order(ctx, OrderKey::Number(&number)).await;
        }
        Ok(orders::get_order_by_number(db, actor, &number).await?.map(Order))
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
    ) -> ApiResult<OrderConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let filter = DomainFilter::from(filter.unwrap_or_default());
        let found = orders::list_orders(db, actor, &filter, page).await?;
        Ok(OrderConnection::from_page(found, page.after.is_some(), |o| o.id, Order))
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
    ) -> ApiResult<PlaceOrderPayload> {
        let (db, actor) = parts(ctx)?;
        respond(changed_order(ctx, orders::place_order(db, actor, input.into()).await).await)
    }

    /// Confirms a pending order and releases it for fulfilment. Staff only.
    async fn confirm_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ConfirmOrder request.")] input: ConfirmOrderInput,
    ) -> ApiResult<ConfirmOrderPayload> {
        let (db, actor) = parts(ctx)?;
        let confirmed = orders::confirm_order(db, actor, uuid_or_nil(&input.order_id), input.expected_version).await;
        respond(changed_order(ctx, confirmed).await)
    }

    /// Cancels an order that has not shipped, releasing all its stock; or, with `lines`, some
    /// lines or units of it (not packed or shipped ones), releasing theirs, re-pricing the order
    /// and leaving what was paid for them as a refund owed on its balance. Freed stock goes to
    /// waiting backorders. Staff, or the customer for its own order (until fulfilment starts,
    /// for lines).
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CancelOrder request.")] input: CancelOrderInput,
    ) -> ApiResult<CancelOrderPayload> {
        let (db, actor) = parts(ctx)?;
        let id = uuid_or_nil(&input.order_id);
        let result = match input.lines {
            None => orders::cancel_order(db, actor, id, &input.reason, input.expected_version).await,
            Some(lines) => {
                let lines: Vec<orders::CancelLine> = lines
                    .into_iter()
                    .map(|l| orders::CancelLine { order_line_id: uuid_or_nil(&l.order_line_id), quantity: l.quantity })
                    .collect();
                orders::cancel_lines(db, actor, id, &lines, &input.reason, input.expected_version).await
            }
        };
        respond(changed_order(ctx, result).await)
    }
}
