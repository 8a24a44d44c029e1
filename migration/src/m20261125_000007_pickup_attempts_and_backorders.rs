//! Wrong pickup codes are counted, so a code locks after a few guesses until staff reset it; and
//! the lines waiting for stock are indexed by product, so filling backorders reads only them.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FulfillmentOrders {
    Table,
    PickupAttempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FulfillmentOrders::Table)
                    .add_column(integer(FulfillmentOrders::PickupAttempts).default(0))
                    .to_owned(),
            )
            .await?;
        // A partial index: PostgreSQL and SQLite both have them, and only a small share of all
        // lines ever waits for stock, so a fill reads the waiting lines, not the history.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_order_lines_backordered ON order_lines (product_id, order_id) \
                 WHERE backordered_quantity > 0",
            )
            .await?;
        Ok(())
    }
}
