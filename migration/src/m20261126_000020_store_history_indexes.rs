//! Indexes for the lists a busy store reads, so its page costs a page however long its own
//! history (migration 19 did the same for its fulfilment queue):
//!
//! - an associate's orders (those with a fulfilment order at its locations), newest first: the
//!   store's fulfilment orders by order id, each joined to its order. Before, PostgreSQL either
//!   read every fulfilment order of the store or walked every order of the business newest
//!   first, probing each.
//! - a store's returns by status (those awaited, say), newest first, whether brought to it or
//!   received at it. The location-only indexes of migration 16 serve the list without a status.
//!
//! A fulfilment order gains one index entry, a return two. As in migration 19, every statement
//! may be repeated, so an operator can build them beforehand with `CREATE INDEX CONCURRENTLY`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on both databases.
const STATEMENTS: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_fulfillment_orders_location_order ON fulfillment_orders (location_id, order_id)",
    "CREATE INDEX IF NOT EXISTS ix_returns_location_status ON returns (location_id, status, id)",
    "CREATE INDEX IF NOT EXISTS ix_returns_receiving_location_status ON returns (receiving_location_id, status, id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in STATEMENTS {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
