//! DataLoaders: a page of orders with their lines, fulfilment orders, locations and products
//! costs one query per kind of thing, not one per row. Created per request, so their caches
//! never outlive it.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use domain::DomainError;
use entities::{
    customer, fulfillment_order, fulfillment_order_line, inventory_level, location, order_event, order_line,
    order_return, product, return_line, return_replacement,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// What a failed load tells the resolver.
pub type LoadError = Arc<DomainError>;

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

        impl Loader<Uuid> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, $keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
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

/// Every loader of one request.
pub struct Loaders {
    pub product: DataLoader<ProductById>,
    pub location: DataLoader<LocationById>,
    pub customer: DataLoader<CustomerById>,
    pub levels_by_product: DataLoader<LevelsByProduct>,
    pub lines_by_order: DataLoader<LinesByOrder>,
    pub fulfillment_orders_by_order: DataLoader<FulfillmentOrdersByOrder>,
    pub lines_by_fulfillment_order: DataLoader<LinesByFulfillmentOrder>,
    pub events_by_order: DataLoader<EventsByOrder>,
    pub order_line: DataLoader<OrderLineById>,
    pub decisions_by_order: DataLoader<DecisionsByOrder>,
    pub order: DataLoader<OrderById>,
    pub payments_by_order: DataLoader<PaymentsByOrder>,
    pub refunds_by_order: DataLoader<RefundsByOrder>,
    pub lines_by_refund: DataLoader<LinesByRefund>,
    pub holds_by_order: DataLoader<HoldsByOrder>,
    pub appointments_by_order: DataLoader<AppointmentsByOrder>,
    pub returns_by_order: DataLoader<ReturnsByOrder>,
    pub lines_by_return: DataLoader<LinesByReturn>,
    pub replacements_by_return: DataLoader<ReplacementsByReturn>,
}

/// How long a loader waits for the rest of its batch. Sibling fields register their keys in the
/// same poll, so a fraction of a millisecond gathers them, and every nesting level of a query
/// pays the wait once: async-graphql's default of 1 ms was most of a single order's read time.
const BATCH_WINDOW: Duration = Duration::from_micros(500);

fn loader<T>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, tokio::spawn).delay(BATCH_WINDOW)
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            product: loader(ProductById(db.clone())),
            location: loader(LocationById(db.clone())),
            customer: loader(CustomerById(db.clone())),
            levels_by_product: loader(LevelsByProduct(db.clone())),
            lines_by_order: loader(LinesByOrder(db.clone())),
            fulfillment_orders_by_order: loader(FulfillmentOrdersByOrder(db.clone())),
            lines_by_fulfillment_order: loader(LinesByFulfillmentOrder(db.clone())),
            events_by_order: loader(EventsByOrder(db.clone())),
            order_line: loader(OrderLineById(db.clone())),
            decisions_by_order: loader(DecisionsByOrder(db.clone())),
            order: loader(OrderById(db.clone())),
            payments_by_order: loader(PaymentsByOrder(db.clone())),
            refunds_by_order: loader(RefundsByOrder(db.clone())),
            lines_by_refund: loader(LinesByRefund(db.clone())),
            holds_by_order: loader(HoldsByOrder(db.clone())),
            appointments_by_order: loader(AppointmentsByOrder(db.clone())),
            returns_by_order: loader(ReturnsByOrder(db.clone())),
            lines_by_return: loader(LinesByReturn(db.clone())),
            replacements_by_return: loader(ReplacementsByReturn(db.clone())),
        }
    }
}

/// The loaders of this request.
pub fn loaders<'a>(ctx: &'a async_graphql::Context<'_>) -> super::errors::ApiResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| super::errors::ApiError::internal("no loaders in this request"))
}
