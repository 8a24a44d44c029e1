//! Every GraphQL enum. Each stored enum is defined once, in `entities::enums`; the enums here
//! only add the schema descriptions and let async-graphql write the conversions
//! (`#[graphql(remote = "…")]`), so a value is added in `entities` and here, nowhere else. The
//! error codes mirror `domain::ErrorCode` the same way.
use async_graphql::Enum;

/// Where an order came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::Channel")]
pub enum Channel {
    /// The web shop.
    Web,
    /// The mobile app.
    Mobile,
    /// The call centre, by an agent.
    CallCenter,
    /// A store, by an associate.
    Store,
    /// A marketplace.
    Marketplace,
}

/// How the customer receives the goods.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::DeliveryMethod")]
pub enum DeliveryMethod {
    /// Shipped to the shipping address.
    Ship,
    /// Picked up at a store (`pickupLocationCode`).
    Pickup,
    /// Delivered electronically; only for digital and service products.
    Digital,
}

/// An order's status. Once confirmed, it follows its fulfilment orders.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::OrderStatus")]
pub enum OrderStatus {
    /// Captured with its stock reserved, waiting to be confirmed.
    Pending,
    /// Confirmed and released to its locations.
    Confirmed,
    /// Some fulfilment orders shipped, others not yet.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
    /// Everything delivered.
    Delivered,
    /// Waiting at the store for the customer.
    ReadyForPickup,
    /// Handed over at the store.
    PickedUp,
    /// Cancelled; its reservations were released.
    Cancelled,
}

/// A fulfilment order's status.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::FulfillmentStatus")]
pub enum FulfillmentStatus {
    /// Reserved at its location; the order is not confirmed yet.
    Pending,
    /// Released to the location, waiting for it to accept.
    Released,
    /// Accepted by the location, being picked.
    Accepted,
    /// Packed, waiting for the carrier.
    Packed,
    /// Handed to the carrier.
    Shipped,
    /// Delivered to the customer.
    Delivered,
    /// Waiting at the store; the customer has a pickup code.
    ReadyForPickup,
    /// Handed to the customer at the store.
    PickedUp,
    /// The location could not fulfil it; its lines were re-routed.
    Rejected,
    /// Cancelled with its order.
    Cancelled,
}

/// What happens to units no location can fill when the order is placed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::BackorderPolicy")]
pub enum BackorderPolicy {
    /// Refuse the order with OUT_OF_STOCK.
    Reject,
    /// Take the order; the units wait and are filled, oldest order first, when stock arrives.
    Backorder,
}

/// What a product is: only physical products hold stock and ship.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::ProductKind")]
pub enum ProductKind {
    /// Goods that are stocked, picked and shipped.
    Physical,
    /// Delivered electronically (e-gift cards, downloads).
    Digital,
    /// Performed rather than delivered (gift wrapping, installation).
    Service,
}

/// The kind of a fulfilment node.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::LocationKind")]
pub enum LocationKind {
    /// A warehouse.
    Warehouse,
    /// A distribution centre.
    DistributionCenter,
    /// A retail store.
    Store,
    /// A supplier that ships directly (drop-ship).
    Supplier,
}

/// Why a level changed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::MovementKind")]
pub enum MovementKind {
    /// Stock arrived.
    Receipt,
    /// A counted correction.
    Adjustment,
    /// Safety stock was set (quantities unchanged).
    SafetyStock,
    /// Units were reserved for an order.
    Reserve,
    /// A reservation was given back.
    Release,
    /// Units left with a shipment.
    Ship,
    /// Returned units went back on the shelf.
    Restock,
    /// Units were written off.
    WriteOff,
    /// Units moved between locations.
    Transfer,
}

/// How an order reaches its customer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::routing::Mode")]
pub enum RoutingMode {
    /// Shipped to the customer.
    Ship,
    /// Picked up at the store, from the store's own stock.
    PickupInStore,
    /// Shipped from elsewhere to the pickup store.
    ShipToStore,
}

/// Stable, machine-readable codes of problems the caller can fix. New codes may be added; none
/// is ever renamed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::ErrorCode")]
pub enum ErrorCode {
    /// A value is malformed, missing or out of range.
    InvalidInput,
    /// An email address is not valid.
    InvalidEmail,
    /// A currency is not a supported ISO 4217 code.
    InvalidCurrency,
    /// Amounts in different currencies were mixed.
    CurrencyMismatch,
    /// No product has this SKU.
    UnknownSku,
    /// No location has this code.
    UnknownLocation,
    /// The product exists but is not for sale.
    ProductInactive,
    /// The location does not offer store pickup.
    LocationCannotPickup,
    /// Not enough stock is available to fill the order.
    OutOfStock,
    /// The change would leave less on hand than is reserved.
    InsufficientStock,
    /// The promo code is unknown, not yet valid, expired or used up.
    PromoCodeInvalid,
    /// The object's current state does not allow this change.
    InvalidState,
    /// The object changed since the caller read it; reload and retry.
    StaleVersion,
    /// An object with this unique code already exists.
    AlreadyExists,
    /// This Idempotency-Key was already used with a different request.
    IdempotencyKeyReused,
    /// A request with this Idempotency-Key is still executing.
    IdempotencyKeyInFlight,
    /// The pickup code does not match.
    InvalidPickupCode,
    /// Too many wrong pickup codes were tried: staff must reset the lock (`resetPickupCode`).
    PickupCodeLocked,
    /// The object does not exist, or the caller may not see it.
    NotFound,
    /// The refund would give back more than the order was paid (less what was already refunded).
    RefundExceedsPaid,
    /// The appointment slot has no place left: choose another (or leave the line unscheduled).
    SlotFull,
    /// The slot does not exist, is closed, is too early for the goods, has started, or does not
    /// serve this product.
    SlotUnavailable,
    /// The time zone is not an IANA zone name (e.g. Europe/Paris).
    UnknownTimeZone,
    /// The appointment starts too soon to be moved or cancelled online: an agent can still.
    AppointmentCutoffPassed,
    /// More units would be returned than were delivered, less what is already on returns.
    ReturnExceedsDelivered,
    /// The return window (days from delivery, `setReturnPolicy`) has closed for the customer.
    ReturnWindowClosed,
    /// The location does not accept returns (`acceptsReturns` is off, or it is inactive).
    LocationCannotAcceptReturns,
}

/// What an entry of an order's timeline records.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::OrderEventKind")]
pub enum OrderEventKind {
    /// The order was captured.
    OrderPlaced,
    /// The order was confirmed and released to its locations.
    OrderConfirmed,
    /// The order was cancelled.
    OrderCancelled,
    /// Nobody confirmed the order in time: it was cancelled and its stock released.
    OrderExpired,
    /// Some units wait for stock.
    Backordered,
    /// Units that waited for stock were allocated.
    BackorderFilled,
    /// A location accepted its fulfilment order.
    FulfillmentAccepted,
    /// A location packed its fulfilment order.
    FulfillmentPacked,
    /// A location shipped its fulfilment order.
    FulfillmentShipped,
    /// A fulfilment order was delivered.
    FulfillmentDelivered,
    /// A location rejected its fulfilment order (or short-picked it).
    FulfillmentRejected,
    /// A location did not accept its fulfilment order by its deadline: it was routed elsewhere,
    /// as a rejection would be.
    FulfillmentTimedOut,
    /// Rejected units were routed to other locations.
    Rerouted,
    /// The order waits at the store for the customer.
    ReadyForPickup,
    /// The order was handed over at the store.
    PickedUp,
    /// The store issued a new pickup code.
    PickupCodeReset,
    /// An agent or the customer changed the order (lines, address, delivery, promo code).
    OrderChanged,
    /// A payment was recorded against the order.
    PaymentRecorded,
    /// A refund was recorded against the order.
    RefundIssued,
    /// Some lines or units were cancelled, the rest of the order goes on.
    OrderPartlyCancelled,
    /// A hold was placed: nothing more of the order is released to fulfilment.
    HoldPlaced,
    /// A hold was released.
    HoldReleased,
    /// Staff wrote a note for staff; never shown to the customer.
    InternalNoteAdded,
    /// Staff wrote a note the customer sees.
    CustomerNoteAdded,
    /// An appointment was booked for a line that had none.
    AppointmentBooked,
    /// An appointment moved to another slot.
    AppointmentRescheduled,
    /// An appointment was cancelled and its place given back.
    AppointmentCancelled,
    /// A delivery or service appointment was done and signed for.
    AppointmentCompleted,
    /// A return (or an exchange) was requested.
    ReturnRequested,
    /// A return was approved: the customer may send or bring it.
    ReturnApproved,
    /// A return was rejected.
    ReturnRejected,
    /// A return was received at a location.
    ReturnReceived,
    /// A received return was restocked or written off and its refund recorded.
    ReturnRefunded,
    /// An exchange's replacement was released to fulfilment.
    ExchangeReleased,
}

/// Where an appointment stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::AppointmentStatus")]
pub enum AppointmentStatus {
    /// The line needs an appointment but holds no slot yet: book one with `rescheduleAppointment`.
    Unscheduled,
    /// It holds a place in a slot.
    Booked,
    /// The delivery or service was done and signed for.
    Completed,
    /// Cancelled; its place was given back. `rescheduleAppointment` books it again.
    Cancelled,
}

/// Where a return (RMA) stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::ReturnStatus")]
pub enum ReturnStatus {
    /// Requested, waiting for an agent to approve it.
    Requested,
    /// Approved: the customer may send or bring the goods.
    Approved,
    /// Received at a location; restocking and the refund follow.
    Received,
    /// Restocked or written off, and the refund recorded.
    Refunded,
    /// Rejected by an agent.
    Rejected,
}

/// How returned goods come back.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::ReturnMethod")]
pub enum ReturnMethod {
    /// Sent back by post.
    Mail,
    /// Brought to a store (`locationCode`).
    InStore,
}

/// The state a returned unit arrived in.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::returns::Condition")]
pub enum ReturnCondition {
    /// Fit to sell again: restocked at the receiving location.
    Resellable,
    /// Not fit to sell: written off.
    Damaged,
}

/// What became of a webhook POST.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::WebhookDeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Not yet answered with a 2xx.
    Pending,
    /// The receiver answered with a 2xx.
    Delivered,
    /// The last attempt failed; it is retried within the job's budget.
    Failed,
}

/// How a payment was collected.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::PaymentMethod")]
pub enum PaymentMethod {
    /// A card payment.
    Card,
    /// Cash, at a till or on delivery.
    Cash,
    /// A bank transfer.
    BankTransfer,
    /// A gift card.
    GiftCard,
    /// Store credit.
    StoreCredit,
    /// Any other way.
    Other,
}

/// How far an order is paid.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::payments::PaymentStatus")]
pub enum PaymentStatus {
    /// Nothing was collected.
    Unpaid,
    /// Part of the total was collected.
    PartiallyPaid,
    /// The total was collected (or more).
    Paid,
    /// Part of what was collected was given back.
    PartiallyRefunded,
    /// Everything collected was given back.
    Refunded,
}

/// Why an order is held back from fulfilment.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::HoldType")]
pub enum HoldType {
    /// The order waits for a fraud review.
    FraudReview,
    /// The order waits for its payment.
    Payment,
    /// The customer asked to wait.
    CustomerRequest,
    /// The address is being checked.
    AddressCheck,
    /// Any other reason (see the hold's reason).
    Other,
}
