//! Every GraphQL enum, each a mirror of the domain enum of the same name, and the conversions
//! between the two. They live together so that turning them into `#[graphql(remote = "…")]`
//! mirrors (or adding a value) happens in one place. Reading a stored column into a GraphQL enum
//! is here too, with the fallback each one has today.
use async_graphql::Enum;
use domain::ErrorCode as DomainErrorCode;
use domain::catalog::ProductKind as DomainProductKind;
use domain::locations::LocationKind as DomainLocationKind;
use domain::orders::{
    BackorderPolicy as DomainBackorderPolicy, Channel as DomainChannel, DeliveryMethod as DomainDelivery,
    FulfillmentStatus as DomainFoStatus, OrderStatus as DomainStatus,
};
use domain::routing::Mode as DomainMode;

/// Declares a GraphQL enum (its doc comments are its schema descriptions) as the mirror of a
/// domain enum with the same variants, and both `From`s between them: each variant is written
/// once here.
macro_rules! mirror {
    ($(#[$meta:meta])* pub enum $api:ident mirrors $domain:ident { $($(#[$vmeta:meta])* $v:ident,)* }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $api {
            $($(#[$vmeta])* $v,)*
        }
        impl From<$api> for $domain {
            fn from(v: $api) -> Self { match v { $($api::$v => $domain::$v),* } }
        }
        impl From<$domain> for $api {
            fn from(v: $domain) -> Self { match v { $($domain::$v => $api::$v),* } }
        }
    };
}

mirror! {
    /// Where an order came from.
    pub enum Channel mirrors DomainChannel {
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
}

impl Channel {
    /// The stored name, e.g. "CALL_CENTER".
    pub fn as_str(self) -> &'static str {
        DomainChannel::from(self).as_str()
    }

    /// A stored channel; an unreadable one reads as WEB.
    pub fn from_column(s: &str) -> Channel {
        DomainChannel::parse(s).unwrap_or(DomainChannel::Web).into()
    }
}

mirror! {
    /// How the customer receives the goods.
    pub enum DeliveryMethod mirrors DomainDelivery {
        /// Shipped to the shipping address.
        Ship,
        /// Picked up at a store (`pickupLocationCode`).
        Pickup,
        /// Delivered electronically; only for digital and service products.
        Digital,
    }
}

impl DeliveryMethod {
    /// The stored name, e.g. "PICKUP".
    pub fn as_str(self) -> &'static str {
        DomainDelivery::from(self).as_str()
    }

    /// A stored delivery method; an unreadable one reads as SHIP.
    pub fn from_column(s: &str) -> DeliveryMethod {
        DomainDelivery::parse(s).unwrap_or(DomainDelivery::Ship).into()
    }
}

mirror! {
    /// An order's status. Once confirmed, it follows its fulfilment orders.
    pub enum OrderStatus mirrors DomainStatus {
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
}

impl OrderStatus {
    /// A stored order status; an unreadable one reads as PENDING.
    pub fn from_column(s: &str) -> OrderStatus {
        DomainStatus::parse(s).unwrap_or(DomainStatus::Pending).into()
    }
}

mirror! {
    /// A fulfilment order's status.
    pub enum FulfillmentStatus mirrors DomainFoStatus {
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
}

impl FulfillmentStatus {
    /// A stored fulfilment status; an unreadable one reads as PENDING.
    pub fn from_column(s: &str) -> FulfillmentStatus {
        DomainFoStatus::parse(s).unwrap_or(DomainFoStatus::Pending).into()
    }
}

mirror! {
    /// What happens to units no location can fill when the order is placed.
    pub enum BackorderPolicy mirrors DomainBackorderPolicy {
        /// Refuse the order with OUT_OF_STOCK.
        Reject,
        /// Take the order; the units wait and are filled, oldest order first, when stock arrives.
        Backorder,
    }
}

mirror! {
    /// What a product is: only physical products hold stock and ship.
    pub enum ProductKind mirrors DomainProductKind {
        /// Goods that are stocked, picked and shipped.
        Physical,
        /// Delivered electronically (e-gift cards, downloads).
        Digital,
        /// Performed rather than delivered (gift wrapping, installation).
        Service,
    }
}

impl ProductKind {
    /// A stored product kind, read as the domain reads it.
    pub fn from_column(s: &str) -> ProductKind {
        DomainProductKind::parse(s).into()
    }
}

mirror! {
    /// The kind of a fulfilment node.
    pub enum LocationKind mirrors DomainLocationKind {
        /// A warehouse.
        Warehouse,
        /// A distribution centre.
        DistributionCenter,
        /// A retail store.
        Store,
        /// A supplier that ships directly (drop-ship).
        Supplier,
    }
}

impl LocationKind {
    /// The stored name, e.g. "DISTRIBUTION_CENTER".
    pub fn as_str(self) -> &'static str {
        DomainLocationKind::from(self).as_str()
    }

    /// A stored location kind, read as the domain reads it.
    pub fn from_column(s: &str) -> LocationKind {
        DomainLocationKind::parse(s).into()
    }
}

/// Why a level changed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
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

impl MovementKind {
    /// A stored ledger kind; the domain has no enum for it yet, and an unreadable one reads as
    /// ADJUSTMENT.
    pub fn from_column(s: &str) -> MovementKind {
        match s {
            "RECEIPT" => MovementKind::Receipt,
            "SAFETY_STOCK" => MovementKind::SafetyStock,
            "RESERVE" => MovementKind::Reserve,
            "RELEASE" => MovementKind::Release,
            "SHIP" => MovementKind::Ship,
            "RESTOCK" => MovementKind::Restock,
            "WRITE_OFF" => MovementKind::WriteOff,
            "TRANSFER" => MovementKind::Transfer,
            _ => MovementKind::Adjustment,
        }
    }
}

mirror! {
    /// How an order reaches its customer.
    pub enum RoutingMode mirrors DomainMode {
        /// Shipped to the customer.
        Ship,
        /// Picked up at the store, from the store's own stock.
        PickupInStore,
        /// Shipped from elsewhere to the pickup store.
        ShipToStore,
    }
}

mirror! {
    /// Stable, machine-readable codes of problems the caller can fix. New codes may be added; none
    /// is ever renamed.
    pub enum ErrorCode mirrors DomainErrorCode {
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
    }
}
