//! The order's timeline: every change, who made it and why.
use chrono::Utc;
use entities::enums::OrderEventKind;
use entities::order_event;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{ConnectionTrait, EntityTrait, QueryTrait, Set};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::DomainResult;

pub async fn record_event<C: ConnectionTrait>(
    txn: &C,
    order_id: Uuid,
    kind: OrderEventKind,
    actor: &Actor,
    message: String,
    data: Option<serde_json::Value>,
) -> DomainResult<()> {
    let insert = event_insert(order_id, kind, actor, message, data);
    txn.execute_raw(txn.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// The insert of a timeline entry, for a caller that writes it with others (`batch`).
pub fn event_insert(
    order_id: Uuid,
    kind: OrderEventKind,
    actor: &Actor,
    message: String,
    data: Option<serde_json::Value>,
) -> InsertStatement {
    order_event::Entity::insert(order_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        kind: Set(kind),
        actor_role: Set(actor.role_label().to_owned()),
        actor_id: Set(actor.label()),
        message: Set(message),
        data: Set(data.map(|d| d.to_string())),
        created_at: Set(Utc::now()),
    })
    .into_query()
}

/// What the customer is told about each kind of timeline entry.
pub trait OrderEventKindRules {
    /// The customer's wording for an entry they see; `None` for an entry that stays internal
    /// (rejections, re-routing, acceptance and packing are how the business handled the order).
    /// The stored messages are written for staff and may carry routing summaries, location
    /// codes or an agent's reason, so a customer never sees them.
    fn customer_message(self) -> Option<&'static str>;

    /// Whether a customer reads the stored message itself: only a note staff wrote for them.
    fn shows_stored_message(self) -> bool;
}

impl OrderEventKindRules for OrderEventKind {
    fn customer_message(self) -> Option<&'static str> {
        use OrderEventKind as K;
        match self {
            K::OrderPlaced => Some("Order placed"),
            K::OrderConfirmed => Some("Order confirmed"),
            K::OrderCancelled => Some("Order cancelled"),
            K::OrderExpired => Some("Order cancelled: it was not confirmed in time"),
            K::FulfillmentShipped => Some("Part of the order has shipped"),
            K::FulfillmentDelivered => Some("Part of the order was delivered"),
            K::ReadyForPickup => Some("Ready for pickup at the store"),
            K::PickedUp => Some("Picked up at the store"),
            K::Backordered => Some("Some items are backordered until stock arrives"),
            K::BackorderFilled => Some("Backordered items are now allocated"),
            K::OrderChanged => Some("Order changed"),
            K::PaymentRecorded => Some("Payment received"),
            K::RefundIssued => Some("Refund issued"),
            K::OrderPartlyCancelled => Some("Part of the order was cancelled"),
            // The note itself is the message: see `shows_stored_message`.
            K::CustomerNoteAdded => Some("Note from customer service"),
            K::AppointmentBooked => Some("Appointment booked"),
            K::AppointmentRescheduled => Some("Appointment moved"),
            K::AppointmentCancelled => Some("Appointment cancelled"),
            K::AppointmentCompleted => Some("Appointment completed"),
            K::ReturnRequested => Some("Return requested"),
            K::ReturnApproved => Some("Return approved"),
            K::ReturnRejected => Some("Return rejected"),
            K::ReturnReceived => Some("Return received"),
            K::ReturnRefunded => Some("Refund recorded for the return"),
            K::ExchangeReleased => Some("Exchange replacement on its way"),
            K::FulfillmentAccepted
            | K::FulfillmentPacked
            | K::FulfillmentRejected
            | K::FulfillmentTimedOut
            | K::Rerouted
            | K::PickupCodeReset
            | K::HoldPlaced
            | K::HoldReleased
            | K::InternalNoteAdded => None,
        }
    }

    fn shows_stored_message(self) -> bool {
        self == OrderEventKind::CustomerNoteAdded
    }
}
