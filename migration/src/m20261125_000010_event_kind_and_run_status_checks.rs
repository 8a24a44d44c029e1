//! The remaining enum columns get their lists of known values: an order's timeline kinds, and
//! the statuses of job runs, emails and webhook deliveries.
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
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        checks::add(manager, "order_events", "kind", ORDER_EVENT_KINDS).await?;
        checks::add(manager, "job_runs", "status", &["QUEUED", "RUNNING", "RETRYING", "SUCCEEDED", "FAILED"]).await?;
        checks::add(manager, "notifications", "status", &["PENDING", "SENT", "FAILED"]).await?;
        checks::add(manager, "webhook_deliveries", "status", &["PENDING", "DELIVERED", "FAILED"]).await?;
        Ok(())
    }
}
