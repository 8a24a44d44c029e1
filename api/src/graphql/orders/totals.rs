//! `OrderTotals`: the money of an order.
use async_graphql::SimpleObject;
use entities::order;

use crate::graphql::common::Money;

/// The money of an order.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderTotals {
    /// The lines at catalogue prices.
    pub subtotal: Money,
    /// What the promo code took off.
    pub discount: Money,
    /// Shipping, per shipment.
    pub shipping: Money,
    /// Tax on discounted goods and shipping at the destination's rate.
    pub tax: Money,
    /// What the customer pays: subtotal - discount + shipping + tax.
    pub total: Money,
}

impl OrderTotals {
    /// The order's stored amounts, in its currency.
    pub fn of(o: &order::Model) -> OrderTotals {
        let m = |minor| Money::from_minor(minor, &o.currency);
        OrderTotals {
            subtotal: m(o.subtotal_minor),
            discount: m(o.discount_minor),
            shipping: m(o.shipping_minor),
            tax: m(o.tax_minor),
            total: m(o.total_minor),
        }
    }
}
