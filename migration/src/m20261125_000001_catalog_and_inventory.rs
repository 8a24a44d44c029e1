//! Catalogue, locations, inventory levels and the inventory ledger.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    PriceMinor,
    Currency,
    Kind,
    WeightGrams,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
    Code,
    Name,
    Kind,
    Line1,
    City,
    PostalCode,
    Country,
    Latitude,
    Longitude,
    CanShip,
    CanPickup,
    AcceptsReturns,
    DailyCapacity,
    Priority,
    ShippingRateMinor,
    ShippingCurrency,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InventoryLevels {
    Table,
    Id,
    ProductId,
    LocationId,
    OnHand,
    Reserved,
    SafetyStock,
    Incoming,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InventoryMovements {
    Table,
    Id,
    ProductId,
    LocationId,
    Kind,
    OnHandDelta,
    ReservedDelta,
    OnHandAfter,
    ReservedAfter,
    SafetyStockAfter,
    Reason,
    Reference,
    OrderId,
    Actor,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(string_len_uniq(Products::Sku, 64))
                    .col(string_len(Products::Name, 200))
                    .col(big_integer(Products::PriceMinor))
                    .col(string_len(Products::Currency, 3))
                    .col(string_len(Products::Kind, 16))
                    .col(integer_null(Products::WeightGrams))
                    .col(boolean(Products::Active))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .check(("products_price_non_negative", Expr::col(Products::PriceMinor).gte(0)))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Locations::Table)
                    .col(pk_uuid(Locations::Id))
                    .col(string_len_uniq(Locations::Code, 32))
                    .col(string_len(Locations::Name, 200))
                    .col(string_len(Locations::Kind, 24))
                    .col(string_len(Locations::Line1, 200))
                    .col(string_len(Locations::City, 100))
                    .col(string_len(Locations::PostalCode, 20))
                    .col(string_len(Locations::Country, 2))
                    .col(double(Locations::Latitude))
                    .col(double(Locations::Longitude))
                    .col(boolean(Locations::CanShip))
                    .col(boolean(Locations::CanPickup))
                    .col(boolean(Locations::AcceptsReturns))
                    .col(integer(Locations::DailyCapacity))
                    .col(integer(Locations::Priority))
                    .col(big_integer(Locations::ShippingRateMinor))
                    .col(string_len(Locations::ShippingCurrency, 3))
                    .col(boolean(Locations::Active))
                    .col(timestamp_with_time_zone(Locations::CreatedAt))
                    .col(timestamp_with_time_zone(Locations::UpdatedAt))
                    .check(("locations_capacity_non_negative", Expr::col(Locations::DailyCapacity).gte(0)))
                    .check(("locations_shipping_rate_non_negative", Expr::col(Locations::ShippingRateMinor).gte(0)))
                    .to_owned(),
            )
            .await?;

        // The invariants of stock are enforced by the database too, so that no bug in the
        // application can oversell: reservations never exceed what is on hand.
        manager
            .create_table(
                Table::create()
                    .table(InventoryLevels::Table)
                    .col(pk_uuid(InventoryLevels::Id))
                    .col(uuid(InventoryLevels::ProductId))
                    .col(uuid(InventoryLevels::LocationId))
                    .col(integer(InventoryLevels::OnHand))
                    .col(integer(InventoryLevels::Reserved))
                    .col(integer(InventoryLevels::SafetyStock))
                    .col(integer(InventoryLevels::Incoming))
                    .col(timestamp_with_time_zone(InventoryLevels::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_levels_product")
                            .from(InventoryLevels::Table, InventoryLevels::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_levels_location")
                            .from(InventoryLevels::Table, InventoryLevels::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .check(("inventory_on_hand_non_negative", Expr::col(InventoryLevels::OnHand).gte(0)))
                    .check(("inventory_reserved_non_negative", Expr::col(InventoryLevels::Reserved).gte(0)))
                    .check((
                        "inventory_reserved_within_on_hand",
                        Expr::col(InventoryLevels::Reserved).lte(Expr::col(InventoryLevels::OnHand)),
                    ))
                    .check(("inventory_safety_stock_non_negative", Expr::col(InventoryLevels::SafetyStock).gte(0)))
                    .check(("inventory_incoming_non_negative", Expr::col(InventoryLevels::Incoming).gte(0)))
                    .to_owned(),
            )
            .await?;
        // One level per (product, location): concurrent first receipts meet here.
        manager
            .create_index(
                Index::create()
                    .name("ux_inventory_levels_product_location")
                    .table(InventoryLevels::Table)
                    .col(InventoryLevels::ProductId)
                    .col(InventoryLevels::LocationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The router reads all levels of an order's products at once.
        manager
            .create_index(
                Index::create()
                    .name("ix_inventory_levels_location")
                    .table(InventoryLevels::Table)
                    .col(InventoryLevels::LocationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InventoryMovements::Table)
                    .col(pk_uuid(InventoryMovements::Id))
                    .col(uuid(InventoryMovements::ProductId))
                    .col(uuid(InventoryMovements::LocationId))
                    .col(string_len(InventoryMovements::Kind, 24))
                    .col(integer(InventoryMovements::OnHandDelta))
                    .col(integer(InventoryMovements::ReservedDelta))
                    .col(integer(InventoryMovements::OnHandAfter))
                    .col(integer(InventoryMovements::ReservedAfter))
                    .col(integer(InventoryMovements::SafetyStockAfter))
                    .col(text_null(InventoryMovements::Reason))
                    .col(string_len_null(InventoryMovements::Reference, 200))
                    .col(uuid_null(InventoryMovements::OrderId))
                    .col(string_len(InventoryMovements::Actor, 200))
                    .col(timestamp_with_time_zone(InventoryMovements::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_movements_product")
                            .from(InventoryMovements::Table, InventoryMovements::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_movements_location")
                            .from(InventoryMovements::Table, InventoryMovements::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The ledger is read per (product, location) in time order; ids are UUIDv7, so time-ordered.
        manager
            .create_index(
                Index::create()
                    .name("ix_inventory_movements_product_location")
                    .table(InventoryMovements::Table)
                    .col(InventoryMovements::ProductId)
                    .col(InventoryMovements::LocationId)
                    .col(InventoryMovements::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
