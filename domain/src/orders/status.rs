//! The words of an order's life: channels, delivery methods and statuses, and which status
//! may follow which.

/// Where the order came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Channel {
    Web,
    Mobile,
    CallCenter,
    Store,
    Marketplace,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "WEB",
            Channel::Mobile => "MOBILE",
            Channel::CallCenter => "CALL_CENTER",
            Channel::Store => "STORE",
            Channel::Marketplace => "MARKETPLACE",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Web, Channel::Mobile, Channel::CallCenter, Channel::Store, Channel::Marketplace]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// How the customer receives the goods.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryMethod {
    Ship,
    Pickup,
    Digital,
}

impl DeliveryMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMethod::Ship => "SHIP",
            DeliveryMethod::Pickup => "PICKUP",
            DeliveryMethod::Digital => "DIGITAL",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryMethod> {
        [DeliveryMethod::Ship, DeliveryMethod::Pickup, DeliveryMethod::Digital].into_iter().find(|c| c.as_str() == s)
    }
}

/// Defines a status enum with its SCREAMING_CASE names.
macro_rules! statuses {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|c| c.as_str() == s)
            }
        }
    };
}

statuses!(
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

impl OrderStatus {
    /// Only a pending order can be confirmed.
    pub fn can_confirm(self) -> bool {
        self == OrderStatus::Pending
    }

    /// Nothing has left a location yet, so everything can still be cancelled.
    pub fn can_cancel(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Confirmed)
    }
}

statuses!(
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

impl FulfillmentStatus {
    /// Whether its units are still reserved at its location (nothing left yet). A ship-to-store
    /// fulfilment order waiting for pickup has already shipped.
    pub fn holds_reservation(self, shipped: bool) -> bool {
        match self {
            FulfillmentStatus::Pending
            | FulfillmentStatus::Released
            | FulfillmentStatus::Accepted
            | FulfillmentStatus::Packed => true,
            FulfillmentStatus::ReadyForPickup => !shipped,
            _ => false,
        }
    }

    /// Whether it is over, one way or another.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            FulfillmentStatus::Delivered
                | FulfillmentStatus::PickedUp
                | FulfillmentStatus::Rejected
                | FulfillmentStatus::Cancelled
        )
    }
}

/// What an order's status is once confirmed, from its live (not rejected or cancelled)
/// fulfilment orders and whether units still wait for stock.
pub fn derive_order_status(live: &[FulfillmentStatus], backordered: bool) -> OrderStatus {
    use FulfillmentStatus as F;
    if live.is_empty() {
        return OrderStatus::Confirmed;
    }
    let all = |pred: fn(F) -> bool| live.iter().all(|s| pred(*s)) && !backordered;
    if all(|s| s == F::PickedUp) {
        return OrderStatus::PickedUp;
    }
    if all(|s| matches!(s, F::Delivered | F::PickedUp)) {
        return OrderStatus::Delivered;
    }
    if live.contains(&F::ReadyForPickup) && live.iter().all(|s| matches!(s, F::ReadyForPickup | F::PickedUp)) {
        return OrderStatus::ReadyForPickup;
    }
    if all(|s| matches!(s, F::Shipped | F::Delivered | F::PickedUp)) {
        return OrderStatus::Shipped;
    }
    if live.iter().any(|s| matches!(s, F::Shipped | F::Delivered | F::PickedUp)) {
        return OrderStatus::PartiallyShipped;
    }
    OrderStatus::Confirmed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_orders_confirm_and_cancelled_ones_stay_cancelled() {
        assert!(OrderStatus::Pending.can_confirm());
        assert!(!OrderStatus::Confirmed.can_confirm());
        assert!(!OrderStatus::Cancelled.can_confirm());
        assert!(OrderStatus::Confirmed.can_cancel());
        assert!(!OrderStatus::Cancelled.can_cancel());
    }

    #[test]
    fn the_order_follows_its_fulfilment_orders() {
        use FulfillmentStatus as F;
        assert_eq!(derive_order_status(&[F::Accepted, F::Released], false), OrderStatus::Confirmed);
        assert_eq!(derive_order_status(&[F::Shipped, F::Accepted], false), OrderStatus::PartiallyShipped);
        assert_eq!(derive_order_status(&[F::Shipped, F::Delivered], false), OrderStatus::Shipped);
        assert_eq!(derive_order_status(&[F::Shipped], true), OrderStatus::PartiallyShipped);
        assert_eq!(derive_order_status(&[F::Delivered, F::Delivered], false), OrderStatus::Delivered);
        assert_eq!(derive_order_status(&[F::ReadyForPickup], false), OrderStatus::ReadyForPickup);
        assert_eq!(derive_order_status(&[F::PickedUp], false), OrderStatus::PickedUp);
        assert!(F::ReadyForPickup.holds_reservation(false));
        assert!(!F::ReadyForPickup.holds_reservation(true));
        assert!(!F::Rejected.holds_reservation(false));
    }

    #[test]
    fn names_round_trip() {
        for c in ["WEB", "MOBILE", "CALL_CENTER", "STORE", "MARKETPLACE"] {
            assert_eq!(Channel::parse(c).map(Channel::as_str), Some(c));
        }
        assert_eq!(OrderStatus::parse("CONFIRMED"), Some(OrderStatus::Confirmed));
        assert_eq!(DeliveryMethod::parse("ship"), None);
    }
}
