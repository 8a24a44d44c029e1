//! Customers, orders, their lines, fulfilment orders and the order timeline.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Email,
    Name,
    Phone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Number,
    NumberSeq,
    Channel,
    Status,
    CustomerId,
    CustomerEmail,
    CustomerName,
    CustomerPhone,
    ShipName,
    ShipLine1,
    ShipLine2,
    ShipCity,
    ShipRegion,
    ShipPostalCode,
    ShipCountry,
    ShipLatitude,
    ShipLongitude,
    DeliveryMethod,
    PickupLocationId,
    PromoCode,
    PromotionId,
    Note,
    Currency,
    SubtotalMinor,
    DiscountMinor,
    ShippingMinor,
    TaxMinor,
    TotalMinor,
    Version,
    PlacedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    LineNo,
    ProductId,
    Sku,
    Name,
    ProductKind,
    UnitPriceMinor,
    Quantity,
    AllocatedQuantity,
    BackorderedQuantity,
    CancelledQuantity,
    ShippedQuantity,
    ReturnedQuantity,
    LineTotalMinor,
}

#[derive(DeriveIden)]
enum FulfillmentOrders {
    Table,
    Id,
    OrderId,
    LocationId,
    Status,
    ShippingMinor,
    Carrier,
    TrackingNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FulfillmentOrderLines {
    Table,
    Id,
    FulfillmentOrderId,
    OrderLineId,
    InventoryLevelId,
    Quantity,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    Kind,
    ActorRole,
    ActorId,
    Message,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum InventoryLevels {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(pk_uuid(Customers::Id))
                    // Stored lower-cased, so this unique index is case-insensitive.
                    .col(string_len_uniq(Customers::Email, 254))
                    .col(string_len(Customers::Name, 200))
                    .col(string_len_null(Customers::Phone, 32))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(string_len_uniq(Orders::Number, 32))
                    .col(big_integer_uniq(Orders::NumberSeq))
                    .col(string_len(Orders::Channel, 16))
                    .col(string_len(Orders::Status, 24))
                    .col(uuid(Orders::CustomerId))
                    .col(string_len(Orders::CustomerEmail, 254))
                    .col(string_len(Orders::CustomerName, 200))
                    .col(string_len_null(Orders::CustomerPhone, 32))
                    .col(string_len_null(Orders::ShipName, 200))
                    .col(string_len_null(Orders::ShipLine1, 200))
                    .col(string_len_null(Orders::ShipLine2, 200))
                    .col(string_len_null(Orders::ShipCity, 100))
                    .col(string_len_null(Orders::ShipRegion, 100))
                    .col(string_len_null(Orders::ShipPostalCode, 20))
                    .col(string_len_null(Orders::ShipCountry, 2))
                    .col(double_null(Orders::ShipLatitude))
                    .col(double_null(Orders::ShipLongitude))
                    .col(string_len(Orders::DeliveryMethod, 16))
                    .col(uuid_null(Orders::PickupLocationId))
                    .col(string_len_null(Orders::PromoCode, 64))
                    .col(uuid_null(Orders::PromotionId))
                    .col(text_null(Orders::Note))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::SubtotalMinor))
                    .col(big_integer(Orders::DiscountMinor))
                    .col(big_integer(Orders::ShippingMinor))
                    .col(big_integer(Orders::TaxMinor))
                    .col(big_integer(Orders::TotalMinor))
                    .col(integer(Orders::Version))
                    .col(string_len(Orders::PlacedBy, 200))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_customer")
                            .from(Orders::Table, Orders::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_pickup_location")
                            .from(Orders::Table, Orders::PickupLocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .check((
                        "orders_totals_non_negative",
                        Expr::col(Orders::SubtotalMinor)
                            .gte(0)
                            .and(Expr::col(Orders::DiscountMinor).gte(0))
                            .and(Expr::col(Orders::ShippingMinor).gte(0))
                            .and(Expr::col(Orders::TaxMinor).gte(0))
                            .and(Expr::col(Orders::TotalMinor).gte(0)),
                    ))
                    .to_owned(),
            )
            .await?;
        // Order numbers come from a sequence on PostgreSQL so that concurrent orders never queue
        // on a counter row; SQLite serialises writers, so there the next number is max + 1.
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("CREATE SEQUENCE order_number_seq START 1").await?;
        }
        // Agents list a customer's orders; listing filters by status and creation time.
        for (name, cols) in [
            ("ix_orders_customer", vec![Orders::CustomerId]),
            ("ix_orders_status", vec![Orders::Status]),
            ("ix_orders_created_at", vec![Orders::CreatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Orders::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(pk_uuid(OrderLines::Id))
                    .col(uuid(OrderLines::OrderId))
                    .col(integer(OrderLines::LineNo))
                    .col(uuid(OrderLines::ProductId))
                    .col(string_len(OrderLines::Sku, 64))
                    .col(string_len(OrderLines::Name, 200))
                    .col(string_len(OrderLines::ProductKind, 16))
                    .col(big_integer(OrderLines::UnitPriceMinor))
                    .col(integer(OrderLines::Quantity))
                    .col(integer(OrderLines::AllocatedQuantity))
                    .col(integer(OrderLines::BackorderedQuantity))
                    .col(integer(OrderLines::CancelledQuantity))
                    .col(integer(OrderLines::ShippedQuantity))
                    .col(integer(OrderLines::ReturnedQuantity))
                    .col(big_integer(OrderLines::LineTotalMinor))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_order")
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_product")
                            .from(OrderLines::Table, OrderLines::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .check(("order_lines_quantity_positive", Expr::col(OrderLines::Quantity).gt(0)))
                    .check((
                        "order_lines_quantities_non_negative",
                        Expr::col(OrderLines::AllocatedQuantity)
                            .gte(0)
                            .and(Expr::col(OrderLines::BackorderedQuantity).gte(0))
                            .and(Expr::col(OrderLines::CancelledQuantity).gte(0))
                            .and(Expr::col(OrderLines::ShippedQuantity).gte(0))
                            .and(Expr::col(OrderLines::ReturnedQuantity).gte(0)),
                    ))
                    // A unit is in exactly one of these buckets (shipped units left "allocated").
                    .check((
                        "order_lines_buckets_within_quantity",
                        Expr::col(OrderLines::AllocatedQuantity)
                            .add(Expr::col(OrderLines::BackorderedQuantity))
                            .add(Expr::col(OrderLines::CancelledQuantity))
                            .add(Expr::col(OrderLines::ShippedQuantity))
                            .lte(Expr::col(OrderLines::Quantity)),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_order_lines_order_line_no")
                    .table(OrderLines::Table)
                    .col(OrderLines::OrderId)
                    .col(OrderLines::LineNo)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FulfillmentOrders::Table)
                    .col(pk_uuid(FulfillmentOrders::Id))
                    .col(uuid(FulfillmentOrders::OrderId))
                    .col(uuid(FulfillmentOrders::LocationId))
                    .col(string_len(FulfillmentOrders::Status, 24))
                    .col(big_integer(FulfillmentOrders::ShippingMinor))
                    .col(string_len_null(FulfillmentOrders::Carrier, 100))
                    .col(string_len_null(FulfillmentOrders::TrackingNumber, 100))
                    .col(timestamp_with_time_zone(FulfillmentOrders::CreatedAt))
                    .col(timestamp_with_time_zone(FulfillmentOrders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fulfillment_orders_order")
                            .from(FulfillmentOrders::Table, FulfillmentOrders::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fulfillment_orders_location")
                            .from(FulfillmentOrders::Table, FulfillmentOrders::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Associates list the fulfilment orders of their location by status.
        manager
            .create_index(
                Index::create()
                    .name("ix_fulfillment_orders_location_status")
                    .table(FulfillmentOrders::Table)
                    .col(FulfillmentOrders::LocationId)
                    .col(FulfillmentOrders::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_fulfillment_orders_order")
                    .table(FulfillmentOrders::Table)
                    .col(FulfillmentOrders::OrderId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FulfillmentOrderLines::Table)
                    .col(pk_uuid(FulfillmentOrderLines::Id))
                    .col(uuid(FulfillmentOrderLines::FulfillmentOrderId))
                    .col(uuid(FulfillmentOrderLines::OrderLineId))
                    .col(uuid(FulfillmentOrderLines::InventoryLevelId))
                    .col(integer(FulfillmentOrderLines::Quantity))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fo_lines_fulfillment_order")
                            .from(FulfillmentOrderLines::Table, FulfillmentOrderLines::FulfillmentOrderId)
                            .to(FulfillmentOrders::Table, FulfillmentOrders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fo_lines_order_line")
                            .from(FulfillmentOrderLines::Table, FulfillmentOrderLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fo_lines_inventory_level")
                            .from(FulfillmentOrderLines::Table, FulfillmentOrderLines::InventoryLevelId)
                            .to(InventoryLevels::Table, InventoryLevels::Id),
                    )
                    .check(("fo_lines_quantity_positive", Expr::col(FulfillmentOrderLines::Quantity).gt(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_fo_lines_fulfillment_order")
                    .table(FulfillmentOrderLines::Table)
                    .col(FulfillmentOrderLines::FulfillmentOrderId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .col(pk_uuid(OrderEvents::Id))
                    .col(uuid(OrderEvents::OrderId))
                    .col(string_len(OrderEvents::Kind, 48))
                    .col(string_len(OrderEvents::ActorRole, 16))
                    .col(string_len(OrderEvents::ActorId, 200))
                    .col(text(OrderEvents::Message))
                    .col(text_null(OrderEvents::Data))
                    .col(timestamp_with_time_zone(OrderEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_events_order")
                            .from(OrderEvents::Table, OrderEvents::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_order_events_order")
                    .table(OrderEvents::Table)
                    .col(OrderEvents::OrderId)
                    .col(OrderEvents::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
