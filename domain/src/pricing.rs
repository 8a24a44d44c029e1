//! The money of an order: subtotal from catalogue prices, the promotion's discount, shipping
//! per shipment, and tax on what the customer pays. Every figure is exact, in minor units.
use crate::money::apply_ppm;

/// A promotion's discount as it applies to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    None,
    /// Parts per million of the subtotal.
    PercentPpm(i64),
    /// A fixed amount in minor units, never more than the subtotal.
    Amount(i64),
}

/// The order's totals in minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub tax: i64,
    pub total: i64,
}

/// Prices an order. `lines` are (unit price, quantity); `shipping` is the sum of the
/// shipments' rates; `tax_ppm` is the destination's rate. Tax applies to the discounted goods
/// and to shipping, as VAT does.
pub fn price(lines: &[(i64, i32)], discount: Discount, shipping: i64, tax_ppm: i64) -> Totals {
    let subtotal: i64 = lines.iter().map(|(unit, qty)| unit * i64::from(*qty)).sum();
    let discount = match discount {
        Discount::None => 0,
        Discount::PercentPpm(ppm) => apply_ppm(subtotal, ppm).min(subtotal),
        Discount::Amount(amount) => amount.min(subtotal),
    };
    let taxable = subtotal - discount + shipping;
    let tax = apply_ppm(taxable, tax_ppm);
    Totals { subtotal, discount, shipping, tax, total: taxable + tax }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_exactly() {
        // 2 × 19.99 + 1 × 5.00 = 44.98; 10% off = 4.50 (4.498 rounds); shipping 4.90; VAT 20%.
        let t = price(&[(1999, 2), (500, 1)], Discount::PercentPpm(100_000), 490, 200_000);
        assert_eq!(t.subtotal, 4498);
        assert_eq!(t.discount, 450);
        assert_eq!(t.shipping, 490);
        assert_eq!(t.tax, 908); // (4498 - 450 + 490) × 0.2 = 907.6
        assert_eq!(t.total, 4498 - 450 + 490 + 908);
    }

    #[test]
    fn an_amount_off_never_makes_the_goods_negative() {
        let t = price(&[(300, 1)], Discount::Amount(1000), 0, 0);
        assert_eq!(t.discount, 300);
        assert_eq!(t.total, 0);
    }

    #[test]
    fn no_tax_where_no_rate_is_set() {
        let t = price(&[(1000, 3)], Discount::None, 0, 0);
        assert_eq!((t.subtotal, t.tax, t.total), (3000, 0, 3000));
    }
}
