//! The job runs the workers record (attempts, last error, the admin listing), the emails the
//! system decided to send, and a "not before" time on outbox rows so a failed job can wait out
//! its backoff in the outbox rather than in a queue.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    AvailableAt,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    DedupeKey,
    Queue,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    LastError,
    NextRunAt,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrderId,
    Event,
    DedupeKey,
    Recipient,
    Template,
    Subject,
    Status,
    Attempts,
    Error,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FulfillmentOrders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LocationWebhooks {
    Table,
    Id,
    LocationId,
    Url,
    Secret,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    FulfillmentOrderId,
    LocationId,
    Event,
    DedupeKey,
    Url,
    Status,
    Attempts,
    ResponseStatus,
    Error,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A retried job goes back to the outbox with a time before which the relay leaves it.
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(timestamp_with_time_zone_null(Outbox::AvailableAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(pk_uuid(JobRuns::Id))
                    // Named job_runs, not jobs: apalis-sqlite keeps its queue in a table `Jobs`
                    // in the same file, and SQLite table names ignore case.
                    // One run record per outbox job: the relay and every retry find it by the
                    // outbox row's dedupe key.
                    .col(string_len_uniq(JobRuns::DedupeKey, 200))
                    .col(string_len(JobRuns::Queue, 64))
                    .col(string_len(JobRuns::Kind, 64))
                    .col(text(JobRuns::Payload))
                    .col(string_len(JobRuns::Status, 16))
                    .col(integer(JobRuns::Attempts).default(0))
                    .col(integer(JobRuns::MaxAttempts))
                    .col(text_null(JobRuns::LastError))
                    .col(timestamp_with_time_zone_null(JobRuns::NextRunAt))
                    .col(timestamp_with_time_zone(JobRuns::CreatedAt))
                    .col(timestamp_with_time_zone(JobRuns::UpdatedAt))
                    .col(timestamp_with_time_zone_null(JobRuns::FinishedAt))
                    .check((
                        "job_runs_status_known",
                        Expr::col(JobRuns::Status).is_in(["QUEUED", "RUNNING", "RETRYING", "SUCCEEDED", "FAILED"]),
                    ))
                    .check(("job_runs_attempts_non_negative", Expr::col(JobRuns::Attempts).gte(0)))
                    .to_owned(),
            )
            .await?;
        // The admin listing filters by status and queue, newest last, paging by id.
        manager
            .create_index(
                Index::create()
                    .name("ix_job_runs_status_queue")
                    .table(JobRuns::Table)
                    .col(JobRuns::Status)
                    .col(JobRuns::Queue)
                    .col(JobRuns::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::OrderId))
                    .col(string_len(Notifications::Event, 32))
                    // One email per (order, event): a retried or duplicated job finds the row
                    // and sends nothing a second time.
                    .col(string_len_uniq(Notifications::DedupeKey, 200))
                    .col(string_len(Notifications::Recipient, 320))
                    .col(string_len(Notifications::Template, 64))
                    .col(text_null(Notifications::Subject))
                    .col(string_len(Notifications::Status, 16))
                    .col(integer(Notifications::Attempts).default(0))
                    .col(text_null(Notifications::Error))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone(Notifications::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::SentAt))
                    .check((
                        "notifications_status_known",
                        Expr::col(Notifications::Status).is_in(["PENDING", "SENT", "FAILED"]),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_order")
                            .from(Notifications::Table, Notifications::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // `Order.notifications` reads an order's emails in the order they were decided.
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_order")
                    .table(Notifications::Table)
                    .col(Notifications::OrderId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;

        // A location's warehouse system hears about its released fulfilment orders at this
        // URL, signed with this secret. A table of its own, at most one per location.
        manager
            .create_table(
                Table::create()
                    .table(LocationWebhooks::Table)
                    .col(pk_uuid(LocationWebhooks::Id))
                    .col(uuid_uniq(LocationWebhooks::LocationId))
                    .col(string_len(LocationWebhooks::Url, 2000))
                    .col(string_len(LocationWebhooks::Secret, 200))
                    .col(timestamp_with_time_zone(LocationWebhooks::CreatedAt))
                    .col(timestamp_with_time_zone(LocationWebhooks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_location_webhooks_location")
                            .from(LocationWebhooks::Table, LocationWebhooks::LocationId)
                            .to(Locations::Table, Locations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::FulfillmentOrderId))
                    .col(uuid(WebhookDeliveries::LocationId))
                    .col(string_len(WebhookDeliveries::Event, 64))
                    // One delivery per (fulfilment order, event): a retried job re-sends only
                    // what was not delivered.
                    .col(string_len_uniq(WebhookDeliveries::DedupeKey, 200))
                    .col(string_len(WebhookDeliveries::Url, 2000))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(integer_null(WebhookDeliveries::ResponseStatus))
                    .col(text_null(WebhookDeliveries::Error))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .check((
                        "webhook_deliveries_status_known",
                        Expr::col(WebhookDeliveries::Status).is_in(["PENDING", "DELIVERED", "FAILED"]),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_fulfillment_order")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::FulfillmentOrderId)
                            .to(FulfillmentOrders::Table, FulfillmentOrders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Deliveries are listed per fulfilment order.
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_fulfillment_order")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::FulfillmentOrderId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
