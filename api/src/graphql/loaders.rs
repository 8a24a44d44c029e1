//! Loaders: a page of orders with their lines, fulfilment orders, locations and products
//! costs one query per kind of thing, not one per row. Created per request, so nothing they
//! read outlives it.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Request, Response};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;

use domain::DomainError;
use entities::{
    customer, fulfillment_order, fulfillment_order_line, inventory_level, location, order_event, order_line,
    order_return, product, return_line, return_replacement,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::OmsSchema;
pub use super::batch::LoadError;
use super::batch::{Batcher, Load, Queued, in_turns};

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

fn index<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|r| (key(&r), r)).collect()
}

macro_rules! loader {
    ($name:ident, $value:ty, |$db:ident, $keys:ident| $body:expr) => {
        pub struct $name(pub DatabaseConnection);

        impl Load for $name {
            type Value = $value;

            async fn load(&self, $keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
                let $db = &self.0;
                let result: Result<HashMap<Uuid, Self::Value>, DomainError> = async { $body }.await;
                result.map_err(Arc::new)
            }
        }
    };
}

loader!(ProductById, product::Model, |db, keys| Ok(index(domain::catalog::find_by_ids(db, keys).await?, |p| p.id)));

loader!(LocationById, location::Model, |db, keys| Ok(index(domain::locations::find_by_ids(db, keys).await?, |l| l.id)));

loader!(CustomerById, customer::Model, |db, keys| Ok(index(domain::customers::find_by_ids(db, keys).await?, |c| c.id)));

loader!(LevelsByProduct, Vec<inventory_level::Model>, |db, keys| Ok(group(
    domain::inventory::levels_for_products(db, keys).await?,
    |l| l.product_id
)));

loader!(LinesByOrder, Vec<order_line::Model>, |db, keys| Ok(group(
    domain::orders::lines_for_orders(db, keys).await?,
    |l| l.order_id
)));

loader!(FulfillmentOrdersByOrder, Vec<fulfillment_order::Model>, |db, keys| Ok(group(
    domain::orders::fulfillment_orders_for_orders(db, keys).await?,
    |f| f.order_id
)));

loader!(LinesByFulfillmentOrder, Vec<fulfillment_order_line::Model>, |db, keys| Ok(group(
    domain::orders::fulfillment_lines_for(db, keys).await?,
    |l| l.fulfillment_order_id
)));

loader!(EventsByOrder, Vec<order_event::Model>, |db, keys| Ok(group(
    domain::orders::events_for_orders(db, keys).await?,
    |e| e.order_id
)));

loader!(OrderLineById, order_line::Model, |db, keys| Ok(index(
    order_line::Entity::find()
        .filter(order_line::Column::Id.is_in(keys.iter().copied()))
        .all(db)
        .await
        .map_err(DomainError::from)?,
    |l| l.id
)));

loader!(DecisionsByOrder, Vec<domain::routing::StoredDecision>, |db, keys| Ok(group(
    domain::routing::decisions_for_orders(db, keys).await?,
    |d| d.order_id
)));

loader!(OrderById, entities::order::Model, |db, keys| Ok(index(
    entities::order::Entity::find()
        .filter(entities::order::Column::Id.is_in(keys.iter().copied()))
        .all(db)
        .await
        .map_err(DomainError::from)?,
    |o| o.id
)));

loader!(PaymentsByOrder, Vec<entities::payment::Model>, |db, keys| Ok(group(
    domain::payments::payments_for_orders(db, keys).await?,
    |p| p.order_id
)));

loader!(RefundsByOrder, Vec<entities::refund::Model>, |db, keys| Ok(group(
    domain::payments::refunds_for_orders(db, keys).await?,
    |r| r.order_id
)));

loader!(LinesByRefund, Vec<entities::refund_line::Model>, |db, keys| Ok(group(
    domain::payments::lines_for_refunds(db, keys).await?,
    |l| l.refund_id
)));

loader!(HoldsByOrder, Vec<entities::order_hold::Model>, |db, keys| Ok(group(
    domain::orders::holds::holds_for_orders(db, keys).await?,
    |h| h.order_id
)));

loader!(AppointmentsByOrder, Vec<entities::appointment::Model>, |db, keys| Ok(group(
    domain::scheduling::for_orders(db, keys).await?,
    |a| a.order_id
)));

loader!(ReturnsByOrder, Vec<order_return::Model>, |db, keys| Ok(group(
    domain::returns::returns_for_orders(db, keys).await?,
    |r| r.order_id
)));

loader!(LinesByReturn, Vec<return_line::Model>, |db, keys| Ok(group(
    domain::returns::lines_for_returns(db, keys).await?,
    |l| l.return_id
)));

loader!(ReplacementsByReturn, Vec<return_replacement::Model>, |db, keys| Ok(group(
    domain::returns::replacements_for_returns(db, keys).await?,
    |r| r.return_id
)));

macro_rules! loaders {
    ($($field:ident: $loader:ident),* $(,)?) => {
        /// Every loader of one request.
        pub struct Loaders {
            $(pub $field: Batcher<$loader>,)*
        }

        impl Loaders {
            fn new(db: &DatabaseConnection) -> Self {
                Loaders { $($field: Batcher::new($loader(db.clone())),)* }
            }
        }

        impl Queued for Loaders {
            fn take_queued(&self, loads: &mut FuturesUnordered<BoxFuture<'static, ()>>) {
                $(loads.extend(self.$field.take_queued());)*
            }
        }
    };
}

loaders! {
    product: ProductById,
    location: LocationById,
    customer: CustomerById,
    levels_by_product: LevelsByProduct,
    lines_by_order: LinesByOrder,
    fulfillment_orders_by_order: FulfillmentOrdersByOrder,
    lines_by_fulfillment_order: LinesByFulfillmentOrder,
    events_by_order: EventsByOrder,
    order_line: OrderLineById,
    decisions_by_order: DecisionsByOrder,
    order: OrderById,
    payments_by_order: PaymentsByOrder,
    refunds_by_order: RefundsByOrder,
    lines_by_refund: LinesByRefund,
    holds_by_order: HoldsByOrder,
    appointments_by_order: AppointmentsByOrder,
    returns_by_order: ReturnsByOrder,
    lines_by_return: LinesByReturn,
    replacements_by_return: ReplacementsByReturn,
}

/// Request data: the operation is one field at its root (`limits::one_root_field`). Only then
/// may a mutation hand what its answer read to the loaders, which keep it for the rest of the
/// request: a later mutation of the same request would otherwise be answered with data from
/// before it.
pub struct OneRootField;

impl Loaders {
    /// Hands a whole order's children to the loaders that would have read them, so its
    /// page's resolvers find them without a statement; returns the order.
    pub fn prime_whole_order(&self, whole: domain::orders::WholeOrder) -> entities::order::Model {
        let id = whole.order.id;
        let mut lines_by_fo = group(whole.fulfillment_lines, |l| l.fulfillment_order_id);
        self.lines_by_fulfillment_order
            .prime(whole.fulfillment_orders.iter().map(|f| (f.id, lines_by_fo.remove(&f.id).unwrap_or_default())));
        self.location.prime(whole.locations.into_iter().map(|l| (l.id, l)));
        self.order_line.prime(whole.lines.iter().map(|l| (l.id, l.clone())));
        self.lines_by_order.prime([(id, whole.lines)]);
        self.fulfillment_orders_by_order.prime([(id, whole.fulfillment_orders)]);
        self.events_by_order.prime([(id, whole.events)]);
        self.customer.prime(whole.customer.map(|c| (c.id, c)));
        self.order.prime([(id, whole.order.clone())]);
        whole.order
    }
}

/// Executes one request with loaders of its own, loading what its resolvers ask for in turns.
pub async fn execute(schema: &OmsSchema, request: Request, db: &DatabaseConnection) -> Response {
    let loaders = Arc::new(Loaders::new(db));
    in_turns(&*loaders, schema.execute(request.data(loaders.clone()))).await
}

/// The loaders of this request.
pub fn loaders<'a>(ctx: &'a async_graphql::Context<'_>) -> super::errors::ApiResult<&'a Loaders> {
    ctx.data::<Arc<Loaders>>()
        .map(|l| &**l)
        .map_err(|_| super::errors::ApiError::internal("no loaders in this request"))
}
