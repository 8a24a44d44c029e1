//! Order care by customer service: payments and refunds recorded against an order (with the
//! running amounts kept on the order row, so the rule "a refund never exceeds what was paid" is
//! checked under the order's lock), holds that keep an order from being released to
//! fulfilment, and the indexes agents search orders by (number, email, phone, name). New
//! timeline kinds: payments, refunds, partial cancellations, holds and notes.
use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::checks;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every timeline kind: migration 000011's list (the latest before this one) and the seven order
/// care writes.
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
];

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    PaidMinor,
    RefundedMinor,
    OpenHolds,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    AmountMinor,
    Currency,
    Method,
    Reference,
    ActorRole,
    ActorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    OrderId,
    AmountMinor,
    Currency,
    Reason,
    RefundNo,
    ActorRole,
    ActorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefundLines {
    Table,
    Id,
    RefundId,
    OrderLineId,
    Quantity,
}

#[derive(DeriveIden)]
enum OrderHolds {
    Table,
    Id,
    OrderId,
    HoldType,
    Reason,
    PlacedByRole,
    PlacedBy,
    PlacedAt,
    ReleasedByRole,
    ReleasedBy,
    ReleasedAt,
    ReleaseNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too, for the replaced check (see migration 000014).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The running amounts, kept under the order's lock by every payment and refund: the
        // refund rule reads them there, and a page of orders shows its balances without summing
        // rows. The counter of open holds lets every flow that creates fulfilment work decide
        // "released or not" from the locked order row alone.
        for column in [
            big_integer(Orders::PaidMinor).default(0).to_owned(),
            big_integer(Orders::RefundedMinor).default(0).to_owned(),
            integer(Orders::OpenHolds).default(0).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Orders::Table).add_column(column).to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::OrderId))
                    .col(big_integer(Payments::AmountMinor))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Method, 32))
                    .col(string_len_null(Payments::Reference, 200))
                    .col(string_len(Payments::ActorRole, 16))
                    .col(string_len(Payments::ActorId, 200))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .check(("ck_payments_amount_positive", Expr::col(Payments::AmountMinor).gt(0)))
                    .check((
                        "ck_payments_method",
                        Expr::col(Payments::Method).is_in([
                            "CARD",
                            "CASH",
                            "BANK_TRANSFER",
                            "GIFT_CARD",
                            "STORE_CREDIT",
                            "OTHER",
                        ]),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payments_order")
                            .from(Payments::Table, Payments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An order's payments are read together, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_payments_order")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .col(Payments::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(pk_uuid(Refunds::Id))
                    .col(uuid(Refunds::OrderId))
                    .col(big_integer(Refunds::AmountMinor))
                    .col(string_len(Refunds::Currency, 3))
                    .col(text(Refunds::Reason))
                    // The refund's number within its order (1, 2, …): its email is sent once per refund.
                    .col(integer(Refunds::RefundNo))
                    .col(string_len(Refunds::ActorRole, 16))
                    .col(string_len(Refunds::ActorId, 200))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .check(("ck_refunds_amount_positive", Expr::col(Refunds::AmountMinor).gt(0)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refunds_order")
                            .from(Refunds::Table, Refunds::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An order's refunds are read together, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_refunds_order")
                    .table(Refunds::Table)
                    .col(Refunds::OrderId)
                    .col(Refunds::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefundLines::Table)
                    .col(pk_uuid(RefundLines::Id))
                    .col(uuid(RefundLines::RefundId))
                    .col(uuid(RefundLines::OrderLineId))
                    .col(integer(RefundLines::Quantity))
                    .check(("ck_refund_lines_quantity_positive", Expr::col(RefundLines::Quantity).gt(0)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refund_lines_refund")
                            .from(RefundLines::Table, RefundLines::RefundId)
                            .to(Refunds::Table, Refunds::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refund_lines_order_line")
                            .from(RefundLines::Table, RefundLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A refund's lines are read with it.
        manager
            .create_index(
                Index::create()
                    .name("ix_refund_lines_refund")
                    .table(RefundLines::Table)
                    .col(RefundLines::RefundId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderHolds::Table)
                    .col(pk_uuid(OrderHolds::Id))
                    .col(uuid(OrderHolds::OrderId))
                    .col(string_len(OrderHolds::HoldType, 32))
                    .col(text(OrderHolds::Reason))
                    .col(string_len(OrderHolds::PlacedByRole, 16))
                    .col(string_len(OrderHolds::PlacedBy, 200))
                    .col(timestamp_with_time_zone(OrderHolds::PlacedAt))
                    .col(string_len_null(OrderHolds::ReleasedByRole, 16))
                    .col(string_len_null(OrderHolds::ReleasedBy, 200))
                    .col(timestamp_with_time_zone_null(OrderHolds::ReleasedAt))
                    .col(text_null(OrderHolds::ReleaseNote))
                    .check((
                        "ck_order_holds_hold_type",
                        Expr::col(OrderHolds::HoldType).is_in([
                            "FRAUD_REVIEW",
                            "PAYMENT",
                            "CUSTOMER_REQUEST",
                            "ADDRESS_CHECK",
                            "OTHER",
                        ]),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_holds_order")
                            .from(OrderHolds::Table, OrderHolds::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An order's holds are read together, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_order_holds_order")
                    .table(OrderHolds::Table)
                    .col(OrderHolds::OrderId)
                    .col(OrderHolds::Id)
                    .to_owned(),
            )
            .await?;

        search_indexes(manager).await?;
        checks::replace(manager, "order_events", "kind", ORDER_EVENT_KINDS).await
    }
}

/// Agents find an order by its number, the customer's email, phone or name, typed in part.
///
/// PostgreSQL: one trigram (GIN) index over a single lower-cased text of the four (the phone
/// as its digits only, so it is found however the agent spaces it), which serves `LIKE '%…%'`
/// anywhere in it. The query must spell the same expression
/// (`domain::orders::search`).
///
/// SQLite has no trigram index: expression indexes per field (email and name lower-cased, the
/// phone without separators) serve exact and prefix matches (a range on the index), which is
/// what an agent types on an embedded install. Both find an order number by its digits too.
async fn search_indexes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let statements: &[&str] = match manager.get_database_backend() {
        DatabaseBackend::Postgres => &[
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE INDEX ix_orders_search ON orders USING gin ((\
                lower(number::text || ' ' || customer_email::text || ' ' || customer_name::text || ' ' || \
                coalesce(regexp_replace(customer_phone::text, '[^0-9]', '', 'g'), ''))) gin_trgm_ops)",
        ],
        _ => &[
            "CREATE INDEX ix_orders_search_email ON orders (lower(customer_email))",
            "CREATE INDEX ix_orders_search_name ON orders (lower(customer_name))",
            // The phone without its spaces, dots, dashes and brackets, as an agent types it.
            "CREATE INDEX ix_orders_search_phone ON orders (replace(replace(replace(replace(replace(\
                customer_phone, ' ', ''), '.', ''), '-', ''), '(', ''), ')', ''))",
        ],
    };
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
