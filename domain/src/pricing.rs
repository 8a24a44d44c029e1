//! The money of an order: subtotal from catalogue prices, the promotion's discount, shipping
//! per shipment, and tax on what the customer pays. Every figure is exact, in minor units, and
//! computed with checked arithmetic: a hostile cart (the largest price × the largest quantity on
//! every line) is refused with a user error naming the line, never wrapped or panicked on.
use crate::error::{DomainError, DomainResult, ErrorCode, UserError};
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

fn too_large(line: Option<usize>) -> DomainError {
    let message = "the order's total would be larger than an order can hold";
    DomainError::Rejected(vec![match line {
        Some(i) => UserError::at("lines", i, "quantity", ErrorCode::InvalidInput, format!("line {i}: {message}")),
        None => UserError::new(&["lines"], ErrorCode::InvalidInput, message),
    }])
}

/// Prices an order. `lines` are (unit price, quantity), in the order's line order; `shipping`
/// is the sum of the shipments' rates; `tax_ppm` is the destination's rate. Tax applies to the
/// discounted goods and to shipping, as VAT does. A figure past `i64` is INVALID_INPUT on the
/// line that took it there.
pub fn price(lines: &[(i64, i32)], discount: Discount, shipping: i64, tax_ppm: i64) -> DomainResult<Totals> {
    let mut subtotal: i64 = 0;
    for (i, (unit, qty)) in lines.iter().enumerate() {
        subtotal = unit
            .checked_mul(i64::from(*qty))
            .and_then(|line| subtotal.checked_add(line))
            .ok_or_else(|| too_large(Some(i)))?;
    }
    let discount = match discount {
        Discount::None => 0,
        Discount::PercentPpm(ppm) => apply_ppm(subtotal, ppm).clamp(0, subtotal),
        Discount::Amount(amount) => amount.clamp(0, subtotal),
    };
    let taxable = (subtotal - discount).checked_add(shipping).ok_or_else(|| too_large(None))?;
    let tax = apply_ppm(taxable, tax_ppm);
    // `apply_ppm` saturates; a saturated tax is an overflow too.
    let total = taxable.checked_add(tax).filter(|_| tax < i64::MAX).ok_or_else(|| too_large(None))?;
    Ok(Totals { subtotal, discount, shipping, tax, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_exactly() {
        // 2 × 19.99 + 1 × 5.00 = 44.98; 10% off = 4.50 (4.498 rounds); shipping 4.90; VAT 20%.
        let t = price(&[(1999, 2), (500, 1)], Discount::PercentPpm(100_000), 490, 200_000).expect("priced");
        assert_eq!(t.subtotal, 4498);
        assert_eq!(t.discount, 450);
        assert_eq!(t.shipping, 490);
        assert_eq!(t.tax, 908); // (4498 - 450 + 490) × 0.2 = 907.6
        assert_eq!(t.total, 4498 - 450 + 490 + 908);
    }

    #[test]
    fn an_amount_off_never_makes_the_goods_negative() {
        let t = price(&[(300, 1)], Discount::Amount(1000), 0, 0).expect("priced");
        assert_eq!(t.discount, 300);
        assert_eq!(t.total, 0);
    }

    #[test]
    fn a_total_past_i64_is_refused_on_the_line_that_overflows() {
        let dear = (crate::money::MAX_AMOUNT_MINOR, 1_000_000);
        let lines = vec![dear; 100];
        let Err(DomainError::Rejected(errors)) = price(&lines, Discount::None, 0, 0) else {
            panic!("an overflowing subtotal must be refused")
        };
        // 10^17 per line: the 93rd line (index 92) takes the sum past 9.22 × 10^18.
        assert_eq!(errors[0].field, vec!["lines".to_owned(), "92".to_owned(), "quantity".to_owned()]);
        assert_eq!(errors[0].code, ErrorCode::InvalidInput);
        // Ninety lines fit; 20% tax on them does not.
        assert!(price(&lines[..90], Discount::None, 0, 0).is_ok());
        assert!(price(&lines[..90], Discount::None, 0, 200_000).is_err());
    }

    #[test]
    fn no_tax_where_no_rate_is_set() {
        let t = price(&[(1000, 3)], Discount::None, 0, 0).expect("priced");
        assert_eq!((t.subtotal, t.tax, t.total), (3000, 0, 3000));
    }
}
