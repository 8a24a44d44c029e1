//! The string enums stored in columns. Each is written once, here: the domain adds its rules as
//! traits over these types and the API mirrors them with `#[graphql(remote = "…")]`. The
//! database stores the SCREAMING_CASE text and refuses any other (CHECK constraints on
//! PostgreSQL, triggers on SQLite, migration `m20261125_000009_enum_checks`), so a row the code
//! cannot read is a decode error, never a guessed value.
use sea_orm::entity::prelude::*;

/// Declares a stored string enum with its text per variant (in the database, in JSON and from
/// `Display`), and `as_str` for that text.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Serialize, serde::Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $text)] #[serde(rename = $text)] $variant),*
        }

        impl $name {
            /// The stored text, e.g. "PENDING".
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// An order's status. It follows its fulfilment orders once it is confirmed.
    OrderStatus {
        /// Captured and reserved, waiting to be confirmed (payment, fraud check).
        Pending => "PENDING",
        /// Confirmed: released to its locations.
        Confirmed => "CONFIRMED",
        /// Some fulfilment orders shipped, others not yet.
        PartiallyShipped => "PARTIALLY_SHIPPED",
        /// Everything shipped.
        Shipped => "SHIPPED",
        /// Everything delivered.
        Delivered => "DELIVERED",
        /// Waiting at the store for the customer.
        ReadyForPickup => "READY_FOR_PICKUP",
        /// Handed over at the store.
        PickedUp => "PICKED_UP",
        /// Cancelled; every reservation was released.
        Cancelled => "CANCELLED",
    }
);

string_enum!(
    /// A fulfilment order's status.
    FulfillmentStatus {
        /// Reserved at its location; the order is not confirmed yet.
        Pending => "PENDING",
        /// Released to the location, waiting for it to accept.
        Released => "RELEASED",
        /// The location accepted it and is picking.
        Accepted => "ACCEPTED",
        /// Packed, waiting for the carrier.
        Packed => "PACKED",
        /// Handed to the carrier.
        Shipped => "SHIPPED",
        /// Delivered to the customer.
        Delivered => "DELIVERED",
        /// Waiting at the store for the customer, who has a pickup code.
        ReadyForPickup => "READY_FOR_PICKUP",
        /// Handed to the customer at the store.
        PickedUp => "PICKED_UP",
        /// The location could not fulfil it; its lines were re-routed.
        Rejected => "REJECTED",
        /// Cancelled with its order.
        Cancelled => "CANCELLED",
    }
);

string_enum!(
    /// Why an inventory level changed, as recorded in the ledger.
    MovementKind {
        /// Stock arrived.
        Receipt => "RECEIPT",
        /// A counted correction.
        Adjustment => "ADJUSTMENT",
        /// Safety stock was set (quantities unchanged).
        SafetyStock => "SAFETY_STOCK",
        /// Units were reserved for an order.
        Reserve => "RESERVE",
        /// A reservation was given back.
        Release => "RELEASE",
        /// Units left with a shipment.
        Ship => "SHIP",
        /// Returned units went back on the shelf.
        Restock => "RESTOCK",
        /// Units were written off.
        WriteOff => "WRITE_OFF",
        /// Units moved between locations.
        Transfer => "TRANSFER",
    }
);

string_enum!(
    /// Where an order came from.
    Channel {
        /// The web shop.
        Web => "WEB",
        /// The mobile app.
        Mobile => "MOBILE",
        /// The call centre, by an agent.
        CallCenter => "CALL_CENTER",
        /// A store, by an associate.
        Store => "STORE",
        /// A marketplace.
        Marketplace => "MARKETPLACE",
    }
);

string_enum!(
    /// How the customer receives the goods.
    DeliveryMethod {
        /// Shipped to the shipping address.
        Ship => "SHIP",
        /// Picked up at a store.
        Pickup => "PICKUP",
        /// Delivered electronically; only for digital and service products.
        Digital => "DIGITAL",
    }
);

string_enum!(
    /// The kind of a location (fulfilment node).
    LocationKind {
        /// A warehouse.
        Warehouse => "WAREHOUSE",
        /// A distribution centre.
        DistributionCenter => "DISTRIBUTION_CENTER",
        /// A retail store.
        Store => "STORE",
        /// A supplier that ships directly (drop-ship).
        Supplier => "SUPPLIER",
    }
);

string_enum!(
    /// What a product is; only physical products hold stock and ship.
    ProductKind {
        /// Goods that are stocked, picked and shipped.
        Physical => "PHYSICAL",
        /// Delivered electronically (e-gift cards, downloads).
        Digital => "DIGITAL",
        /// Performed rather than delivered (gift wrapping, installation).
        Service => "SERVICE",
    }
);

string_enum!(
    /// What happens to units no location can fill when the order is placed.
    BackorderPolicy {
        /// Refuse the order with OUT_OF_STOCK.
        Reject => "REJECT",
        /// Take the order; the units wait and are filled, oldest order first, when stock arrives.
        Backorder => "BACKORDER",
    }
);

string_enum!(
    /// What an entry of an order's timeline records.
    OrderEventKind {
        /// The order was captured.
        OrderPlaced => "ORDER_PLACED",
        /// The order was confirmed and released to its locations.
        OrderConfirmed => "ORDER_CONFIRMED",
        /// The order was cancelled.
        OrderCancelled => "ORDER_CANCELLED",
        /// Nobody confirmed the order in time: it was cancelled and its stock released.
        OrderExpired => "ORDER_EXPIRED",
        /// Some units wait for stock.
        Backordered => "BACKORDERED",
        /// Units that waited for stock were allocated.
        BackorderFilled => "BACKORDER_FILLED",
        /// A location accepted its fulfilment order.
        FulfillmentAccepted => "FULFILLMENT_ACCEPTED",
        /// A location packed its fulfilment order.
        FulfillmentPacked => "FULFILLMENT_PACKED",
        /// A location shipped its fulfilment order.
        FulfillmentShipped => "FULFILLMENT_SHIPPED",
        /// A fulfilment order was delivered.
        FulfillmentDelivered => "FULFILLMENT_DELIVERED",
        /// A location rejected its fulfilment order (or short-picked it).
        FulfillmentRejected => "FULFILLMENT_REJECTED",
        /// A location did not accept its fulfilment order by its deadline: it was routed
        /// elsewhere, as a rejection would be.
        FulfillmentTimedOut => "FULFILLMENT_TIMED_OUT",
        /// Rejected units were routed to other locations.
        Rerouted => "REROUTED",
        /// The order waits at the store for the customer.
        ReadyForPickup => "READY_FOR_PICKUP",
        /// The order was handed over at the store.
        PickedUp => "PICKED_UP",
        /// The store issued a new pickup code.
        PickupCodeReset => "PICKUP_CODE_RESET",
        /// An agent or the customer changed the order (lines, address, delivery, promo code).
        OrderChanged => "ORDER_CHANGED",
        /// A payment was recorded against the order.
        PaymentRecorded => "PAYMENT_RECORDED",
        /// A refund was recorded against the order.
        RefundIssued => "REFUND_ISSUED",
        /// Some lines or units were cancelled, the rest of the order goes on.
        OrderPartlyCancelled => "ORDER_PARTLY_CANCELLED",
        /// A hold was placed: nothing more of the order is released to fulfilment.
        HoldPlaced => "HOLD_PLACED",
        /// A hold was released.
        HoldReleased => "HOLD_RELEASED",
        /// Staff wrote a note for staff.
        InternalNoteAdded => "INTERNAL_NOTE_ADDED",
        /// Staff wrote a note the customer sees.
        CustomerNoteAdded => "CUSTOMER_NOTE_ADDED",
        /// An appointment was booked for a line that had none.
        AppointmentBooked => "APPOINTMENT_BOOKED",
        /// An appointment moved to another slot.
        AppointmentRescheduled => "APPOINTMENT_RESCHEDULED",
        /// An appointment was cancelled and its place given back.
        AppointmentCancelled => "APPOINTMENT_CANCELLED",
        /// A delivery or service appointment was done and signed for.
        AppointmentCompleted => "APPOINTMENT_COMPLETED",
        /// A return (or an exchange) was requested.
        ReturnRequested => "RETURN_REQUESTED",
        /// A return was approved: the customer may send or bring it.
        ReturnApproved => "RETURN_APPROVED",
        /// A return was rejected.
        ReturnRejected => "RETURN_REJECTED",
        /// A return was received at a location.
        ReturnReceived => "RETURN_RECEIVED",
        /// A received return was restocked or written off and its refund recorded.
        ReturnRefunded => "RETURN_REFUNDED",
        /// An exchange's replacement was released to fulfilment.
        ExchangeReleased => "EXCHANGE_RELEASED",
    }
);

string_enum!(
    /// How a payment was collected.
    PaymentMethod {
        /// A card payment.
        Card => "CARD",
        /// Cash, at a till or on delivery.
        Cash => "CASH",
        /// A bank transfer.
        BankTransfer => "BANK_TRANSFER",
        /// A gift card.
        GiftCard => "GIFT_CARD",
        /// Store credit.
        StoreCredit => "STORE_CREDIT",
        /// Any other way.
        Other => "OTHER",
    }
);

string_enum!(
    /// Where a return (RMA) stands.
    ReturnStatus {
        /// Requested, waiting for an agent to approve it.
        Requested => "REQUESTED",
        /// Approved: the customer may send or bring the goods.
        Approved => "APPROVED",
        /// Received at a location; restocking and the refund follow.
        Received => "RECEIVED",
        /// Restocked or written off, and the refund recorded.
        Refunded => "REFUNDED",
        /// Rejected by an agent.
        Rejected => "REJECTED",
    }
);

string_enum!(
    /// Why an order is held back from fulfilment.
    HoldType {
        /// The order waits for a fraud review.
        FraudReview => "FRAUD_REVIEW",
        /// The order waits for its payment.
        Payment => "PAYMENT",
        /// The customer asked to wait.
        CustomerRequest => "CUSTOMER_REQUEST",
        /// The address is being checked.
        AddressCheck => "ADDRESS_CHECK",
        /// Any other reason (see the hold's reason).
        Other => "OTHER",
    }
);

string_enum!(
    /// How the goods come back.
    ReturnMethod {
        /// Sent back by post.
        Mail => "MAIL",
        /// Brought to a store.
        InStore => "IN_STORE",
    }
);

string_enum!(
    /// Where a job stands, in our own run record.
    JobStatus {
        /// Handed to a queue, waiting for a worker.
        Queued => "QUEUED",
        /// A worker is on it.
        Running => "RUNNING",
        /// Failed; waits out its backoff in the outbox, then runs again.
        Retrying => "RETRYING",
        /// Done.
        Succeeded => "SUCCEEDED",
        /// Failed past its budget; kept with its last error until an admin retries it.
        Failed => "FAILED",
    }
);

string_enum!(
    /// What became of an email.
    NotificationStatus {
        /// Decided, not yet handed to the mail server (or a send is in progress).
        Pending => "PENDING",
        /// The mail server (or the outbox directory) accepted it.
        Sent => "SENT",
        /// The last attempt failed; the job retries within its budget.
        Failed => "FAILED",
    }
);

string_enum!(
    /// What became of a webhook POST.
    WebhookDeliveryStatus {
        /// Not yet answered with a 2xx.
        Pending => "PENDING",
        /// The receiver answered with a 2xx.
        Delivered => "DELIVERED",
        /// The last attempt failed; the job retries within its budget.
        Failed => "FAILED",
    }
);

string_enum!(
    /// Where an appointment stands.
    AppointmentStatus {
        /// The line needs an appointment but holds no slot yet (none was chosen, or the chosen
        /// one was full and the order asked to leave it unscheduled).
        Unscheduled => "UNSCHEDULED",
        /// It holds a place in a slot.
        Booked => "BOOKED",
        /// The delivery or service was done and signed for.
        Completed => "COMPLETED",
        /// Cancelled; its place in the slot was given back.
        Cancelled => "CANCELLED",
    }
);

/// Reads stored text that lives outside a typed column (a routing rule's JSON lists, say) as one
/// of these enums; `None` when it is not one of its values.
pub fn from_text<E: ActiveEnum<Value = String>>(text: &str) -> Option<E> {
    E::try_from_value(&text.to_owned()).ok()
}
