//! The words of an order's life: channels, delivery methods and statuses, and which status
//! may follow which.

pub use entities::enums::{Channel, DeliveryMethod, FulfillmentStatus, OrderStatus};

/// The rules of an order's status (the enum itself is stored data, in `entities`).
pub trait OrderStatusRules {
    /// Only a pending order can be confirmed.
    fn can_confirm(self) -> bool;
    /// Nothing has left a location yet, so everything can still be cancelled.
    fn can_cancel(self) -> bool;
}

impl OrderStatusRules for OrderStatus {
    fn can_confirm(self) -> bool {
        self == OrderStatus::Pending
    }

    fn can_cancel(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Confirmed)
    }
}

/// The rules of a fulfilment order's status.
pub trait FulfillmentStatusRules {
    /// Whether its units are still reserved at its location (nothing left yet). A ship-to-store
    /// fulfilment order waiting for pickup has already shipped.
    fn holds_reservation(self, shipped: bool) -> bool;
    /// Whether it is over, one way or another.
    fn is_closed(&self) -> bool;
}

impl FulfillmentStatusRules for FulfillmentStatus {
    fn holds_reservation(self, shipped: bool) -> bool {
        match self {
            FulfillmentStatus::Pending
            | FulfillmentStatus::Released
            | FulfillmentStatus::Accepted
            | FulfillmentStatus::Packed => true,
            FulfillmentStatus::ReadyForPickup => !shipped,
            _ => false,
        }
    }

    fn is_closed(&self) -> bool {
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
        use entities::enums::from_text;
        use sea_orm::Iterable;
        for c in Channel::iter() {
            assert_eq!(from_text::<Channel>(c.as_str()), Some(c));
        }
        assert_eq!(from_text::<OrderStatus>("CONFIRMED"), Some(OrderStatus::Confirmed));
        assert_eq!(from_text::<DeliveryMethod>("ship"), None);
    }
}
