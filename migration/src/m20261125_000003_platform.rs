//! Promotions, tax rates, the outbox and idempotency records.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Promotions {
    Table,
    Id,
    Code,
    PercentOffPpm,
    AmountOffMinor,
    Currency,
    StartsAt,
    EndsAt,
    UsageLimit,
    UsedCount,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TaxRates {
    Table,
    Id,
    Country,
    RatePpm,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Queue,
    Kind,
    Payload,
    DedupeKey,
    CreatedAt,
    DispatchedAt,
}

#[derive(DeriveIden)]
enum IdempotencyRecords {
    Table,
    Id,
    Scope,
    Key,
    RequestHash,
    Status,
    ResponseBody,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Promotions::Table)
                    .col(pk_uuid(Promotions::Id))
                    .col(string_len_uniq(Promotions::Code, 64))
                    .col(big_integer_null(Promotions::PercentOffPpm))
                    .col(big_integer_null(Promotions::AmountOffMinor))
                    .col(string_len_null(Promotions::Currency, 3))
                    .col(timestamp_with_time_zone_null(Promotions::StartsAt))
                    .col(timestamp_with_time_zone_null(Promotions::EndsAt))
                    .col(integer_null(Promotions::UsageLimit))
                    .col(integer(Promotions::UsedCount))
                    .col(boolean(Promotions::Active))
                    .col(timestamp_with_time_zone(Promotions::CreatedAt))
                    // The usage limit holds even if two orders redeem the last use at once.
                    .check((
                        "promotions_usage_within_limit",
                        Expr::col(Promotions::UsageLimit)
                            .is_null()
                            .or(Expr::col(Promotions::UsedCount).lte(Expr::col(Promotions::UsageLimit))),
                    ))
                    .check((
                        "promotions_one_kind_of_discount",
                        Expr::col(Promotions::PercentOffPpm)
                            .is_null()
                            .ne(Expr::col(Promotions::AmountOffMinor).is_null()),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaxRates::Table)
                    .col(pk_uuid(TaxRates::Id))
                    .col(string_len_uniq(TaxRates::Country, 2))
                    .col(big_integer(TaxRates::RatePpm))
                    .col(timestamp_with_time_zone(TaxRates::UpdatedAt))
                    .check(("tax_rates_rate_range", Expr::col(TaxRates::RatePpm).between(0, 1_000_000)))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(string_len(Outbox::Queue, 64))
                    .col(string_len(Outbox::Kind, 64))
                    .col(text(Outbox::Payload))
                    // A job is written at most once per cause, so retries of a change cannot
                    // enqueue it twice.
                    .col(string_len_uniq(Outbox::DedupeKey, 200))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::DispatchedAt))
                    .to_owned(),
            )
            .await?;
        // The relay scans for undispatched rows in creation order.
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_pending")
                    .table(Outbox::Table)
                    .col(Outbox::DispatchedAt)
                    .col(Outbox::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecords::Table)
                    .col(pk_uuid(IdempotencyRecords::Id))
                    .col(string_len(IdempotencyRecords::Scope, 200))
                    .col(string_len(IdempotencyRecords::Key, 255))
                    .col(string_len(IdempotencyRecords::RequestHash, 64))
                    .col(string_len(IdempotencyRecords::Status, 16))
                    .col(text_null(IdempotencyRecords::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyRecords::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyRecords::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        // This unique index is what lets exactly one of two concurrent requests with the same
        // key execute: the loser's insert conflicts.
        manager
            .create_index(
                Index::create()
                    .name("ux_idempotency_scope_key")
                    .table(IdempotencyRecords::Table)
                    .col(IdempotencyRecords::Scope)
                    .col(IdempotencyRecords::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
