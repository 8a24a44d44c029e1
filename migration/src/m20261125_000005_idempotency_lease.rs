//! Idempotency records get a lease, an attempt counter and the answer's HTTP class.
//!
//! - `lease_expires_at`: an IN_FLIGHT record belongs to the request executing it only until its
//!   lease runs out (the request renews it while it runs). A crashed process frees its keys
//!   after the lease, not after the 24 hours a record is kept.
//! - `attempt`: bumped when a request takes over an expired lease; the taker completes with the
//!   new attempt, so a holder that wakes up late cannot overwrite the taker's answer.
//! - `request_error`: the stored answer was a request error (HTTP 400 under
//!   `application/graphql-response+json`); a replay keeps that status.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyRecords {
    Table,
    LeaseExpiresAt,
    Attempt,
    RequestError,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let alters = [
            Table::alter()
                .table(IdempotencyRecords::Table)
                .add_column(timestamp_with_time_zone_null(IdempotencyRecords::LeaseExpiresAt))
                .to_owned(),
            Table::alter()
                .table(IdempotencyRecords::Table)
                .add_column(integer(IdempotencyRecords::Attempt).default(0))
                .to_owned(),
            Table::alter()
                .table(IdempotencyRecords::Table)
                .add_column(boolean(IdempotencyRecords::RequestError).default(false))
                .to_owned(),
        ];
        for alter in alters {
            manager.alter_table(alter).await?;
        }
        // The purge deletes by expiry; without an index it would scan every remembered answer.
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_expires_at")
                    .table(IdempotencyRecords::Table)
                    .col(IdempotencyRecords::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
