//! Delivery and service scheduling (appointments).
//!
//! - `products.service_type` names the crew a product needs (INSTALLATION, ASSEMBLY, TWO_PERSON…)
//!   and `products.needs_appointment` flags physical goods that are delivered in a window (large
//!   items). A SERVICE product always needs one.
//! - `location_calendars` is one row per location that takes appointments: its IANA time zone,
//!   the lead days between the goods being there and the first bookable day, and the cut-off
//!   before a slot after which a customer can no longer move or cancel it.
//! - `slot_templates` is the weekly calendar: one row per weekday window with its capacity.
//!   Slots of a given day are computed from it, never stored one row per day ahead. A template
//!   that leaves the calendar is deactivated, not deleted: bookings still point at it.
//! - `location_closures`: days a location takes no appointments.
//! - `slot_bookings` counts bookings per (template, day). Its primary key makes a booking one
//!   conditional update of one row (`booked = booked + 1 WHERE booked < capacity`), the same
//!   no-oversell discipline as stock; two bookings of the last place serialise on that row.
//! - `appointments`: one per order line that needs one; UNSCHEDULED until it has a slot.
//! - `fulfillment_orders.release_on`: a fulfilment order holding goods delivered in a slot is
//!   released to its location on that day, not at confirmation.
//! - Four timeline kinds: APPOINTMENT_BOOKED, _RESCHEDULED, _CANCELLED and _COMPLETED; the check
//!   on `order_events.kind` is replaced with the whole list.
use sea_orm_migration::{prelude::*, schema::*};

use crate::checks;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every timeline kind: the list of the migrations before this one (customer care's included), and
/// the appointments' four.
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
];

#[derive(DeriveIden)]
enum Products {
    Table,
    ServiceType,
    NeedsAppointment,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
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
enum FulfillmentOrders {
    Table,
    ReleaseOn,
}

#[derive(DeriveIden)]
enum LocationCalendars {
    Table,
    LocationId,
    Timezone,
    LeadDays,
    CutoffHours,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SlotTemplates {
    Table,
    Id,
    LocationId,
    Weekday,
    StartMinute,
    EndMinute,
    Capacity,
    ServiceType,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LocationClosures {
    Table,
    LocationId,
    Day,
    Reason,
}

#[derive(DeriveIden)]
enum SlotBookings {
    Table,
    TemplateId,
    Day,
    Booked,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    Id,
    OrderId,
    OrderLineId,
    LocationId,
    TemplateId,
    Day,
    StartsAt,
    EndsAt,
    ServiceType,
    Status,
    SignedBy,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the triggers of the kind check are dropped and created
    /// again on one connection (see `checks::replace`).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Products::Table).add_column(string_len_null(Products::ServiceType, 64)).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(boolean(Products::NeedsAppointment).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FulfillmentOrders::Table)
                    .add_column(date_null(FulfillmentOrders::ReleaseOn))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LocationCalendars::Table)
                    .col(uuid(LocationCalendars::LocationId).primary_key())
                    .col(string_len(LocationCalendars::Timezone, 64))
                    .col(integer(LocationCalendars::LeadDays).default(1))
                    .col(integer(LocationCalendars::CutoffHours).default(24))
                    .col(timestamp_with_time_zone(LocationCalendars::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_location_calendars_location")
                            .from(LocationCalendars::Table, LocationCalendars::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .check(("location_calendars_lead_days", Expr::col(LocationCalendars::LeadDays).between(0, 365)))
                    .check((
                        "location_calendars_cutoff_hours",
                        Expr::col(LocationCalendars::CutoffHours).between(0, 24 * 14),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlotTemplates::Table)
                    .col(pk_uuid(SlotTemplates::Id))
                    .col(uuid(SlotTemplates::LocationId))
                    .col(integer(SlotTemplates::Weekday))
                    .col(integer(SlotTemplates::StartMinute))
                    .col(integer(SlotTemplates::EndMinute))
                    .col(integer(SlotTemplates::Capacity))
                    .col(string_len_null(SlotTemplates::ServiceType, 64))
                    .col(boolean(SlotTemplates::Active))
                    .col(timestamp_with_time_zone(SlotTemplates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_slot_templates_location")
                            .from(SlotTemplates::Table, SlotTemplates::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    // ISO weekdays, Monday = 1; minutes of the local day; a slot ends after it
                    // starts and takes at least one booking.
                    .check(("slot_templates_weekday", Expr::col(SlotTemplates::Weekday).between(1, 7)))
                    .check(("slot_templates_start", Expr::col(SlotTemplates::StartMinute).between(0, 1439)))
                    .check((
                        "slot_templates_window",
                        Expr::col(SlotTemplates::EndMinute)
                            .gt(Expr::col(SlotTemplates::StartMinute))
                            .and(Expr::col(SlotTemplates::EndMinute).lte(1440)),
                    ))
                    .check(("slot_templates_capacity", Expr::col(SlotTemplates::Capacity).gte(1)))
                    .to_owned(),
            )
            .await?;
        // Slots of a location are computed from its active templates.
        manager
            .create_index(
                Index::create()
                    .name("ix_slot_templates_location")
                    .table(SlotTemplates::Table)
                    .col(SlotTemplates::LocationId)
                    .col(SlotTemplates::Active)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LocationClosures::Table)
                    .col(uuid(LocationClosures::LocationId))
                    .col(date(LocationClosures::Day))
                    .col(string_len(LocationClosures::Reason, 200))
                    .primary_key(Index::create().col(LocationClosures::LocationId).col(LocationClosures::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_location_closures_location")
                            .from(LocationClosures::Table, LocationClosures::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlotBookings::Table)
                    .col(uuid(SlotBookings::TemplateId))
                    .col(date(SlotBookings::Day))
                    .col(integer(SlotBookings::Booked).default(0))
                    .primary_key(Index::create().col(SlotBookings::TemplateId).col(SlotBookings::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_slot_bookings_template")
                            .from(SlotBookings::Table, SlotBookings::TemplateId)
                            .to(SlotTemplates::Table, SlotTemplates::Id),
                    )
                    // The counter never goes below zero: a release that would is a bug, refused.
                    .check(("slot_bookings_booked_non_negative", Expr::col(SlotBookings::Booked).gte(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Appointments::Table)
                    .col(pk_uuid(Appointments::Id))
                    .col(uuid(Appointments::OrderId))
                    .col(uuid(Appointments::OrderLineId))
                    .col(uuid_null(Appointments::LocationId))
                    .col(uuid_null(Appointments::TemplateId))
                    .col(date_null(Appointments::Day))
                    .col(timestamp_with_time_zone_null(Appointments::StartsAt))
                    .col(timestamp_with_time_zone_null(Appointments::EndsAt))
                    .col(string_len_null(Appointments::ServiceType, 64))
                    .col(string_len(Appointments::Status, 32))
                    .col(string_len_null(Appointments::SignedBy, 200))
                    .col(timestamp_with_time_zone_null(Appointments::CompletedAt))
                    .col(timestamp_with_time_zone(Appointments::CreatedAt))
                    .col(timestamp_with_time_zone(Appointments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_appointments_order")
                            .from(Appointments::Table, Appointments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_appointments_order_line")
                            .from(Appointments::Table, Appointments::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_appointments_template")
                            .from(Appointments::Table, Appointments::TemplateId)
                            .to(SlotTemplates::Table, SlotTemplates::Id),
                    )
                    // A CHECK in CREATE TABLE works on both databases: no trigger needed.
                    .check(Check::named(
                        "ck_appointments_status",
                        Expr::col(Appointments::Status).is_in(["UNSCHEDULED", "BOOKED", "COMPLETED", "CANCELLED"]),
                    ))
                    .to_owned(),
            )
            .await?;
        // An order's appointments are read with the order.
        manager
            .create_index(
                Index::create()
                    .name("ix_appointments_order")
                    .table(Appointments::Table)
                    .col(Appointments::OrderId)
                    .to_owned(),
            )
            .await?;
        // Reminders and the agents' list look for booked appointments by day.
        manager
            .create_index(
                Index::create()
                    .name("ix_appointments_status_day")
                    .table(Appointments::Table)
                    .col(Appointments::Status)
                    .col(Appointments::Day)
                    .to_owned(),
            )
            .await?;
        checks::replace(manager, "order_events", "kind", ORDER_EVENT_KINDS).await
    }
}
