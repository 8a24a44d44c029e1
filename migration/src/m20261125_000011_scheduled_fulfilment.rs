//! Scheduled fulfilment work: how each channel's orders are confirmed (at once, or by an agent)
//! and how long an unconfirmed order may hold its stock; how long a location's associates have
//! to accept a released fulfilment order, and when each one was released. Two new timeline
//! kinds: ORDER_EXPIRED and FULFILLMENT_TIMED_OUT.
use sea_orm_migration::{prelude::*, schema::*};

use crate::checks;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every timeline kind: migration 000014's list (which runs before this one) and the two the
/// scheduled jobs write.
const ORDER_EVENT_KINDS: &[&str] = &[
    "ORDER_PLACED",
    "ORDER_CONFIRMED",
    "ORDER_CANCELLED",
    "ORDER_EXPIRED",
    "BACKORDERED",
    "BACKORDER_FILLED",
    "FULFILLMENT_ACCEPTED",
    "FULFILLMENT_PACKED",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_DELIVERED",
    "FULFILLMENT_REJECTED",
    "FULFILLMENT_TIMED_OUT",
    "REROUTED",
    "READY_FOR_PICKUP",
    "PICKED_UP",
    "PICKUP_CODE_RESET",
    "ORDER_CHANGED",
];

#[derive(DeriveIden)]
enum ChannelConfirmationRules {
    Table,
    Channel,
    AutoConfirm,
    ExpireAfterMinutes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    AcceptanceDeadlineMinutes,
}

#[derive(DeriveIden)]
enum FulfillmentOrders {
    Table,
    ReleasedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per channel an admin configured; a channel without a row uses the defaults
        // written in the domain (`orders::confirmation`). The channel list is written out: a
        // CHECK in CREATE TABLE works on both databases, so no trigger is needed here.
        manager
            .create_table(
                Table::create()
                    .table(ChannelConfirmationRules::Table)
                    .col(string_len(ChannelConfirmationRules::Channel, 32).primary_key())
                    .col(boolean(ChannelConfirmationRules::AutoConfirm))
                    .col(integer_null(ChannelConfirmationRules::ExpireAfterMinutes))
                    .col(timestamp_with_time_zone(ChannelConfirmationRules::UpdatedAt))
                    .check(Check::named(
                        "ck_channel_confirmation_rules_channel",
                        Expr::col(ChannelConfirmationRules::Channel).is_in([
                            "WEB",
                            "MOBILE",
                            "CALL_CENTER",
                            "STORE",
                            "MARKETPLACE",
                        ]),
                    ))
                    // An order waits at least a minute and at most 30 days for its confirmation.
                    .check(Check::named(
                        "ck_channel_confirmation_rules_expiry",
                        Expr::col(ChannelConfirmationRules::ExpireAfterMinutes)
                            .is_null()
                            .or(Expr::col(ChannelConfirmationRules::ExpireAfterMinutes).between(1, 43_200)),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Locations::Table)
                    .add_column(integer_null(Locations::AcceptanceDeadlineMinutes))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FulfillmentOrders::Table)
                    .add_column(timestamp_with_time_zone_null(FulfillmentOrders::ReleasedAt))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Fulfilment orders released before this migration: their last change is their release
        // (nothing else moves a RELEASED one), so their deadline counts from then.
        db.execute_unprepared("UPDATE fulfillment_orders SET released_at = updated_at WHERE status = 'RELEASED'")
            .await?;
        // Partial indexes (both databases have them): the scheduled jobs look for the few rows
        // still waiting, not through the history.
        // The expiry job: pending orders, oldest first.
        db.execute_unprepared(
            "CREATE INDEX ix_orders_pending_created_at ON orders (created_at) WHERE status = 'PENDING'",
        )
        .await?;
        // The acceptance-deadline job: released fulfilment orders per location, by release time.
        db.execute_unprepared(
            "CREATE INDEX ix_fulfillment_orders_released ON fulfillment_orders (location_id, released_at) \
             WHERE status = 'RELEASED'",
        )
        .await?;
        checks::replace(manager, "order_events", "kind", ORDER_EVENT_KINDS).await?;
        Ok(())
    }
}
