//! Indexes that serve each list's filter in the list's own order, so a page costs a page
//! however long the history: a store's fulfilment queue (by location, or by the store a pickup
//! order is shipped to, optionally by status, oldest first) and the orders agents filter by
//! customer, email or status (newest first). Before, the queue walked every fulfilment order in
//! id order looking for the store's, and orders by email had no index at all.
//!
//! The old location indexes go: `(location_id, created_at)` served the per-day capacity count
//! that a counter row replaced, and `(location_id, status)` is a prefix of its successor. So a
//! fulfilment order keeps as many index entries as before; the ship-to indexes are partial and
//! hold only orders shipped to a store for pickup. An order gains one entry (its email).
//!
//! Every statement may be repeated: on a big PostgreSQL database an operator can build the new
//! indexes beforehand with `CREATE INDEX CONCURRENTLY` under these names (writes wait while a
//! plain `CREATE INDEX` builds, and `CONCURRENTLY` cannot run in the migration's transaction).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same SQL on both databases: both have partial indexes and `DROP INDEX IF EXISTS`.
const STATEMENTS: &[&str] = &[
    "DROP INDEX IF EXISTS ix_fulfillment_orders_location_created",
    "DROP INDEX IF EXISTS ix_fulfillment_orders_location_status",
    "CREATE INDEX IF NOT EXISTS ix_fulfillment_orders_location_queue ON fulfillment_orders (location_id, id)",
    "CREATE INDEX IF NOT EXISTS ix_fulfillment_orders_location_status_queue \
     ON fulfillment_orders (location_id, status, id)",
    "CREATE INDEX IF NOT EXISTS ix_fulfillment_orders_ship_to_queue ON fulfillment_orders (ship_to_location_id, id) \
     WHERE ship_to_location_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS ix_fulfillment_orders_ship_to_status_queue \
     ON fulfillment_orders (ship_to_location_id, status, id) WHERE ship_to_location_id IS NOT NULL",
    "DROP INDEX IF EXISTS ix_orders_customer",
    "DROP INDEX IF EXISTS ix_orders_status",
    "CREATE INDEX IF NOT EXISTS ix_orders_customer_newest ON orders (customer_id, id)",
    "CREATE INDEX IF NOT EXISTS ix_orders_status_newest ON orders (status, id)",
    "CREATE INDEX IF NOT EXISTS ix_orders_email_newest ON orders (customer_email, id)",
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
