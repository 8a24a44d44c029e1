//! What callers send to place, confirm, cancel and list orders, and how each reads as the
//! domain's request.
use async_graphql::{ID, InputObject};
use domain::orders::{LineInput, OrderFilter as DomainFilter, PlaceOrder, ShippingAddressInput as DomainAddress};

use super::contact::ShippingAddress;
use crate::graphql::customers::CustomerInput;
use crate::graphql::enums::{BackorderPolicy, Channel, DeliveryMethod, OrderStatus};

/// A line to order.
#[derive(InputObject)]
pub struct OrderLineInput {
    /// The SKU to order.
    pub sku: String,
    /// Units (1 to 1 000 000).
    pub quantity: i32,
    /// The appointment slot (an id from `availableSlots`) of a line that is delivered or
    /// performed at an appointment; such a line without one stays unscheduled.
    pub slot_id: Option<String>,
}

impl OrderLineInput {
    /// The line as the router and the promise read it.
    pub fn pair(self) -> (String, i32) {
        (self.sku, self.quantity)
    }
}

impl From<ShippingAddress> for DomainAddress {
    fn from(a: ShippingAddress) -> Self {
        DomainAddress {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
            latitude: a.latitude,
            longitude: a.longitude,
        }
    }
}

/// An order to place.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// Where the order comes from.
    pub channel: Channel,
    /// The customer's contact data. Required for staff; a customer token orders for its own
    /// record, and may only give its own email here.
    pub customer: Option<CustomerInput>,
    /// What to order (1 to 200 lines; the same SKU may appear on several lines).
    pub lines: Vec<OrderLineInput>,
    /// Where to ship; required for SHIP.
    pub shipping_address: Option<ShippingAddress>,
    /// How the customer receives the goods.
    #[graphql(default_with = "DeliveryMethod::Ship")]
    pub delivery_method: DeliveryMethod,
    /// The store to pick up at; required for PICKUP.
    pub pickup_location_code: Option<String>,
    /// A promo code.
    pub promo_code: Option<String>,
    /// A note from the customer.
    pub note: Option<String>,
    /// Whether the order may ship in several shipments when no single location can fill it;
    /// `false` asks for one shipment or nothing.
    #[graphql(default = true)]
    pub allow_split: bool,
    /// What to do with units no location can fill now: REJECT the order (OUT_OF_STOCK), or
    /// BACKORDER them until stock arrives.
    #[graphql(default_with = "BackorderPolicy::Reject")]
    pub backorder_policy: BackorderPolicy,
    /// What the storefront collected at checkout, recorded with the order (see `recordPayment`).
    pub payment: Option<crate::graphql::payments::PaymentInput>,
    /// What to do with a line whose slot is full: REFUSE the order (SLOT_FULL), or
    /// LEAVE_UNSCHEDULED the line's appointment for later.
    #[graphql(default_with = "crate::graphql::scheduling::FullSlotPolicy::Refuse")]
    pub full_slot_policy: crate::graphql::scheduling::FullSlotPolicy,
}

impl From<PlaceOrderInput> for PlaceOrder {
    fn from(input: PlaceOrderInput) -> Self {
        PlaceOrder {
            channel: input.channel.into(),
            customer: input.customer.map(Into::into),
            lines: input
                .lines
                .into_iter()
                .map(|l| LineInput { sku: l.sku, quantity: l.quantity, slot_id: l.slot_id })
                .collect(),
            shipping_address: input.shipping_address.map(Into::into),
            delivery_method: input.delivery_method.into(),
            pickup_location_code: input.pickup_location_code,
            promo_code: input.promo_code,
            note: input.note,
            allow_split: input.allow_split,
            backorder_policy: input.backorder_policy.into(),
            payment: input.payment.map(Into::into),
            full_slot_policy: input.full_slot_policy.into(),
        }
    }
}

/// An order to confirm.
#[derive(InputObject)]
pub struct ConfirmOrderInput {
    /// The order's id.
    pub order_id: ID,
    /// The version the caller saw; if the order changed since, STALE_VERSION.
    pub expected_version: Option<i32>,
}

/// An order, or some of its lines, to cancel.
#[derive(InputObject)]
pub struct CancelOrderInput {
    /// The order's id.
    pub order_id: ID,
    /// Why it is cancelled; recorded in the timeline.
    pub reason: String,
    /// The version the caller saw; if the order changed since, STALE_VERSION.
    pub expected_version: Option<i32>,
    /// The lines (and how many of their units) to cancel; absent for the whole order. Units
    /// packed or shipped cannot be cancelled (INVALID_STATE naming their line).
    pub lines: Option<Vec<CancelLineInput>>,
}

/// Units of one line to cancel.
#[derive(InputObject)]
pub struct CancelLineInput {
    /// The order line's id.
    pub order_line_id: ID,
    /// How many of its units still ordered to cancel.
    pub quantity: i32,
}

/// Filters for `orders`.
#[derive(InputObject, Default)]
pub struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders from this channel.
    pub channel: Option<Channel>,
    /// Only orders with this contact email.
    pub customer_email: Option<String>,
    /// Only orders placed at or after this time.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only orders placed before this time.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
    /// An agent's search: the order number (or its digits), the customer's email, phone or
    /// name, typed in part (at most 200 characters). PostgreSQL matches anywhere in them;
    /// SQLite from the start of each.
    pub query: Option<String>,
}

impl From<OrderFilter> for DomainFilter {
    fn from(f: OrderFilter) -> Self {
        DomainFilter {
            status: f.status.map(Into::into),
            channel: f.channel.map(Into::into),
            customer_email: f.customer_email,
            created_after: f.created_after,
            created_before: f.created_before,
            customer_id: None,
            query: f.query,
        }
    }
}
