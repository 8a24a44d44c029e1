//! Order changes (`commitOrderChange`) leave an ORDER_CHANGED entry on the timeline: the check on
//! `order_events.kind` is replaced with the whole list, this kind included.
use sea_orm_migration::prelude::*;

use crate::checks;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ORDER_EVENT_KINDS: &[&str] = &[
    "ORDER_PLACED",
    "ORDER_CONFIRMED",
    "ORDER_CANCELLED",
    "BACKORDERED",
    "BACKORDER_FILLED",
    "FULFILLMENT_ACCEPTED",
    "FULFILLMENT_PACKED",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_DELIVERED",
    "FULFILLMENT_REJECTED",
    "REROUTED",
    "READY_FOR_PICKUP",
    "PICKED_UP",
    "PICKUP_CODE_RESET",
    "ORDER_CHANGED",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the triggers are dropped and created again on one
    /// connection. Apart, another pooled connection that still had the old triggers in its schema
    /// cache refuses to create them ("already exists").
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        checks::replace(manager, "order_events", "kind", ORDER_EVENT_KINDS).await
    }
}
