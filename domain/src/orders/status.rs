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

/// An order's status.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Captured and reserved, waiting to be confirmed (payment, fraud check).
    Pending,
    /// Confirmed: released for fulfilment.
    Confirmed,
    /// Cancelled; every reservation was released.
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        [OrderStatus::Pending, OrderStatus::Confirmed, OrderStatus::Cancelled].into_iter().find(|c| c.as_str() == s)
    }

    /// Only a pending order can be confirmed.
    pub fn can_confirm(self) -> bool {
        self == OrderStatus::Pending
    }

    /// Nothing has left a location yet, so everything can still be cancelled.
    pub fn can_cancel(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Confirmed)
    }
}

/// A fulfilment order's status.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FulfillmentStatus {
    /// Reserved at its location, not yet released to it.
    Pending,
    Cancelled,
}

impl FulfillmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FulfillmentStatus::Pending => "PENDING",
            FulfillmentStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<FulfillmentStatus> {
        [FulfillmentStatus::Pending, FulfillmentStatus::Cancelled].into_iter().find(|c| c.as_str() == s)
    }
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
    fn names_round_trip() {
        for c in ["WEB", "MOBILE", "CALL_CENTER", "STORE", "MARKETPLACE"] {
            assert_eq!(Channel::parse(c).map(Channel::as_str), Some(c));
        }
        assert_eq!(OrderStatus::parse("CONFIRMED"), Some(OrderStatus::Confirmed));
        assert_eq!(DeliveryMethod::parse("ship"), None);
    }
}
