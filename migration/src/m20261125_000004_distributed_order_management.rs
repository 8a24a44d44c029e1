//! Distributed order management: routing rules, stored routing decisions, the fulfilment-order
//! lifecycle (accept, pack, ship, deliver, pickup), transit data of locations and the order's
//! routing preferences.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RoutingRules {
    Table,
    Id,
    ChannelLocationKinds,
    ShipFromStore,
    ShipFromStoreMaxKm,
    MaxShipments,
    EnforceCapacity,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoutingDecisions {
    Table,
    Id,
    OrderId,
    Trigger,
    Summary,
    Decision,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    AllowSplit,
    BackorderPolicy,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    ProcessingDays,
    CutoffHour,
}

#[derive(DeriveIden)]
enum FulfillmentOrders {
    Table,
    PickupCode,
    ShipToLocationId,
    RejectReason,
    AcceptedAt,
    PackedAt,
    ShippedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row: the rules the router applies to the next order. Kept as columns (and one JSON
        // map of channel -> allowed location kinds) so an admin's change is a single update.
        manager
            .create_table(
                Table::create()
                    .table(RoutingRules::Table)
                    .col(pk_uuid(RoutingRules::Id))
                    .col(text(RoutingRules::ChannelLocationKinds))
                    .col(boolean(RoutingRules::ShipFromStore))
                    .col(double_null(RoutingRules::ShipFromStoreMaxKm))
                    .col(integer_null(RoutingRules::MaxShipments))
                    .col(boolean(RoutingRules::EnforceCapacity))
                    .col(timestamp_with_time_zone(RoutingRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        // Every routing decision with its candidates and reasons, so "why Lyon?" has an answer.
        manager
            .create_table(
                Table::create()
                    .table(RoutingDecisions::Table)
                    .col(pk_uuid(RoutingDecisions::Id))
                    .col(uuid(RoutingDecisions::OrderId))
                    .col(string_len(RoutingDecisions::Trigger, 24))
                    .col(text(RoutingDecisions::Summary))
                    .col(text(RoutingDecisions::Decision))
                    .col(timestamp_with_time_zone(RoutingDecisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_routing_decisions_order")
                            .from(RoutingDecisions::Table, RoutingDecisions::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_routing_decisions_order")
                    .table(RoutingDecisions::Table)
                    .col(RoutingDecisions::OrderId)
                    .col(RoutingDecisions::Id)
                    .to_owned(),
            )
            .await?;

        // SQLite alters one column per statement.
        let alters = [
            Table::alter().table(Orders::Table).add_column(boolean(Orders::AllowSplit).default(true)).to_owned(),
            Table::alter()
                .table(Orders::Table)
                .add_column(string_len(Orders::BackorderPolicy, 16).default("REJECT"))
                .to_owned(),
            Table::alter().table(Locations::Table).add_column(integer(Locations::ProcessingDays).default(1)).to_owned(),
            Table::alter().table(Locations::Table).add_column(integer(Locations::CutoffHour).default(14)).to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(string_len_null(FulfillmentOrders::PickupCode, 16))
                .to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(uuid_null(FulfillmentOrders::ShipToLocationId))
                .to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(text_null(FulfillmentOrders::RejectReason))
                .to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(timestamp_with_time_zone_null(FulfillmentOrders::AcceptedAt))
                .to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(timestamp_with_time_zone_null(FulfillmentOrders::PackedAt))
                .to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(timestamp_with_time_zone_null(FulfillmentOrders::ShippedAt))
                .to_owned(),
            Table::alter()
                .table(FulfillmentOrders::Table)
                .add_column(timestamp_with_time_zone_null(FulfillmentOrders::DeliveredAt))
                .to_owned(),
        ];
        for alter in alters {
            manager.alter_table(alter).await?;
        }
        // Capacity is counted per location per day from the fulfilment orders created that day.
        manager
            .create_index(
                Index::create()
                    .name("ix_fulfillment_orders_location_created")
                    .table(FulfillmentOrders::Table)
                    .col(Alias::new("location_id"))
                    .col(Alias::new("created_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
