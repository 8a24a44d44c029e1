//! The GraphQL schema: one query root and one mutation root, merged from one object per area.
mod batch;
pub mod catalog;
pub mod common;
pub mod confirmation;
pub mod customers;
pub mod documents;
pub mod enums;
pub mod errors;
pub mod fulfillment;
pub mod holds;
pub mod inventory;
pub mod jobs;
pub mod limits;
pub mod loaders;
pub mod locations;
pub mod notes;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod persisted_queries;
pub mod pricing;
pub mod promise;
pub mod returns;
pub mod routing;
pub mod scheduling;
pub mod webhooks;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

/// Every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    catalog::CatalogQuery,
    locations::LocationQuery,
    inventory::InventoryQuery,
    orders::OrderQuery,
    customers::CustomerQuery,
    pricing::PricingQuery,
    routing::RoutingQuery,
    confirmation::ConfirmationQuery,
    fulfillment::FulfillmentQuery,
    promise::PromiseQueryRoot,
    jobs::JobQuery,
    webhooks::WebhookQuery,
    scheduling::SchedulingQuery,
    returns::ReturnQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    catalog::CatalogMutation,
    locations::LocationMutation,
    inventory::InventoryMutation,
    orders::OrderMutation,
    orders::OrderChangeMutation,
    payments::PaymentMutation,
    holds::HoldMutation,
    notes::NoteMutation,
    customers::CustomerMutation,
    pricing::PricingMutation,
    routing::RoutingMutation,
    confirmation::ConfirmationMutation,
    fulfillment::FulfillmentMutation,
    jobs::JobMutation,
    webhooks::WebhookMutation,
    scheduling::SchedulingMutation,
    returns::ReturnMutation,
);

pub type OmsSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// How deep a query may nest, and how much it may cost, before it is refused unrun. A page of
/// 100 orders with their lines, products and fulfilment orders fits; a query that asks for
/// thousands of nested pages does not. Depth is checked in [`limits`] before execution, not
/// with the schema's `limit_depth`, so introspection (graphql-js's standard query nests nine
/// `ofType` levels) is not counted.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 20_000;

/// No schema extensions: with any, async-graphql wraps every field's resolution in their hooks
/// (a tenth of the CPU of a page of orders). What they did is done around execution instead
/// (`errors::ask_anonymous_to_sign_in`), or only where it is needed (`build_watched_schema`).
fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
}

/// The schema serving requests against `db`.
pub fn build_schema(db: DatabaseConnection) -> OmsSchema {
    builder().data(db).finish()
}

/// The same schema, telling whether execution started ([`limits::ExecutionStarted`]): for the
/// mutations that hold an idempotency key, whose answer is kept once resolvers may have run.
pub fn build_watched_schema(db: DatabaseConnection) -> OmsSchema {
    builder().extension(limits::ExecutionWatch).data(db).finish()
}

/// The schema in SDL, stable across runs: what `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields().sorted_enum_items())
}
