//! Returns (RMAs) and exchanges: a return's lines and what became of each unit, the replacement
//! lines of an exchange, and the shop's return policy. New timeline kinds for each step of a
//! return's life.
use sea_orm_migration::{prelude::*, schema::*};

use crate::checks;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every timeline kind: the latest list (migration 000011) and the return steps.
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
    "PAYMENT_RECORDED",
    "REFUND_ISSUED",
    "ORDER_PARTLY_CANCELLED",
    "HOLD_PLACED",
    "HOLD_RELEASED",
    "INTERNAL_NOTE_ADDED",
    "CUSTOMER_NOTE_ADDED",
    "APPOINTMENT_BOOKED",
    "APPOINTMENT_RESCHEDULED",
    "APPOINTMENT_CANCELLED",
    "APPOINTMENT_COMPLETED",
    "RETURN_REQUESTED",
    "RETURN_APPROVED",
    "RETURN_REJECTED",
    "RETURN_RECEIVED",
    "RETURN_REFUNDED",
    "EXCHANGE_RELEASED",
];

#[derive(DeriveIden)]
enum ReturnPolicies {
    Table,
    Id,
    WindowDays,
    AutoApprove,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Returns {
    Table,
    Id,
    OrderId,
    Seq,
    Number,
    Status,
    Method,
    LocationId,
    ReceivingLocationId,
    IsExchange,
    ShipNow,
    Currency,
    ReturnValueMinor,
    ReplacementMinor,
    RefundMinor,
    RejectReason,
    RequestedBy,
    CreatedAt,
    UpdatedAt,
    ApprovedAt,
    ReceivedAt,
    RefundedAt,
}

#[derive(DeriveIden)]
enum ReturnLines {
    Table,
    Id,
    ReturnId,
    OrderLineId,
    Quantity,
    Reason,
    UnitPriceMinor,
    ResellableQuantity,
    DamagedQuantity,
}

#[derive(DeriveIden)]
enum ReturnReplacements {
    Table,
    Id,
    ReturnId,
    OrderLineId,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too, as `checks::replace` needs (see migration 000014).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row at most (id 1): the shop's return policy. No row means the defaults written in
        // the domain (`returns::policy`).
        manager
            .create_table(
                Table::create()
                    .table(ReturnPolicies::Table)
                    .col(integer(ReturnPolicies::Id).primary_key())
                    .col(integer(ReturnPolicies::WindowDays))
                    .col(boolean(ReturnPolicies::AutoApprove))
                    .col(timestamp_with_time_zone(ReturnPolicies::UpdatedAt))
                    .check(Check::named("ck_return_policies_single", Expr::col(ReturnPolicies::Id).eq(1)))
                    .check(Check::named(
                        "ck_return_policies_window",
                        Expr::col(ReturnPolicies::WindowDays).between(0, 3650),
                    ))
                    .to_owned(),
            )
            .await?;

        // A return (RMA) of one order. Status and method lists are written out: a CHECK in
        // CREATE TABLE works on both databases. Money in minor units of the order's currency.
        manager
            .create_table(
                Table::create()
                    .table(Returns::Table)
                    .col(pk_uuid(Returns::Id))
                    .col(uuid(Returns::OrderId))
                    .col(integer(Returns::Seq))
                    .col(string_len_uniq(Returns::Number, 64))
                    .col(string_len(Returns::Status, 32))
                    .col(string_len(Returns::Method, 32))
                    .col(uuid_null(Returns::LocationId))
                    .col(uuid_null(Returns::ReceivingLocationId))
                    .col(boolean(Returns::IsExchange))
                    .col(boolean(Returns::ShipNow))
                    .col(string_len(Returns::Currency, 3))
                    .col(big_integer(Returns::ReturnValueMinor))
                    .col(big_integer(Returns::ReplacementMinor))
                    .col(big_integer_null(Returns::RefundMinor))
                    .col(text_null(Returns::RejectReason))
                    .col(string_len(Returns::RequestedBy, 200))
                    .col(timestamp_with_time_zone(Returns::CreatedAt))
                    .col(timestamp_with_time_zone(Returns::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Returns::ApprovedAt))
                    .col(timestamp_with_time_zone_null(Returns::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Returns::RefundedAt))
                    .check(Check::named(
                        "ck_returns_status",
                        Expr::col(Returns::Status).is_in(["REQUESTED", "APPROVED", "RECEIVED", "REFUNDED", "REJECTED"]),
                    ))
                    .check(Check::named("ck_returns_method", Expr::col(Returns::Method).is_in(["MAIL", "IN_STORE"])))
                    // A refund is never negative: what a customer owes on an exchange is a
                    // balance, not a refund.
                    .check(Check::named(
                        "ck_returns_refund",
                        Expr::col(Returns::RefundMinor).is_null().or(Expr::col(Returns::RefundMinor).gte(0)),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_returns_order")
                            .from(Returns::Table, Returns::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_returns_location")
                            .from(Returns::Table, Returns::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_returns_receiving_location")
                            .from(Returns::Table, Returns::ReceivingLocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // `Order.returns` reads an order's returns; the per-order sequence numbers them.
        manager
            .create_index(
                Index::create()
                    .name("ux_returns_order_seq")
                    .table(Returns::Table)
                    .col(Returns::OrderId)
                    .col(Returns::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Associates list the returns of their locations.
        for (name, column) in [
            ("ix_returns_location", Returns::LocationId),
            ("ix_returns_receiving_location", Returns::ReceivingLocationId),
        ] {
            manager
                .create_index(Index::create().name(name).table(Returns::Table).col(column).col(Returns::Id).to_owned())
                .await?;
        }

        // What is returned of each order line, and, once received, how many units came back in
        // a state to resell and how many damaged.
        manager
            .create_table(
                Table::create()
                    .table(ReturnLines::Table)
                    .col(pk_uuid(ReturnLines::Id))
                    .col(uuid(ReturnLines::ReturnId))
                    .col(uuid(ReturnLines::OrderLineId))
                    .col(integer(ReturnLines::Quantity))
                    .col(string_len(ReturnLines::Reason, 500))
                    .col(big_integer(ReturnLines::UnitPriceMinor))
                    .col(integer(ReturnLines::ResellableQuantity).default(0))
                    .col(integer(ReturnLines::DamagedQuantity).default(0))
                    .check(Check::named(
                        "ck_return_lines_quantities",
                        Expr::col(ReturnLines::Quantity)
                            .gt(0)
                            .and(Expr::col(ReturnLines::ResellableQuantity).gte(0))
                            .and(Expr::col(ReturnLines::DamagedQuantity).gte(0))
                            .and(
                                Expr::col(ReturnLines::ResellableQuantity)
                                    .add(Expr::col(ReturnLines::DamagedQuantity))
                                    .lte(Expr::col(ReturnLines::Quantity)),
                            ),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_lines_return")
                            .from(ReturnLines::Table, ReturnLines::ReturnId)
                            .to(Returns::Table, Returns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_lines_order_line")
                            .from(ReturnLines::Table, ReturnLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A return's lines are read with it; what an order line already has on returns is
        // summed per order line.
        manager
            .create_index(
                Index::create()
                    .name("ix_return_lines_return")
                    .table(ReturnLines::Table)
                    .col(ReturnLines::ReturnId)
                    .to_owned(),
            )
            .await?;

        // The order lines an exchange added as the replacement.
        manager
            .create_table(
                Table::create()
                    .table(ReturnReplacements::Table)
                    .col(pk_uuid(ReturnReplacements::Id))
                    .col(uuid(ReturnReplacements::ReturnId))
                    .col(uuid_uniq(ReturnReplacements::OrderLineId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_replacements_return")
                            .from(ReturnReplacements::Table, ReturnReplacements::ReturnId)
                            .to(Returns::Table, Returns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_replacements_order_line")
                            .from(ReturnReplacements::Table, ReturnReplacements::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_return_replacements_return")
                    .table(ReturnReplacements::Table)
                    .col(ReturnReplacements::ReturnId)
                    .to_owned(),
            )
            .await?;

        checks::replace(manager, "order_events", "kind", ORDER_EVENT_KINDS).await
    }
}
