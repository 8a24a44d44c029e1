//! Money: an exact amount in a currency's minor units (cents for EUR, yen for JPY).
//! Amounts are stored as integers so both databases keep them exact; `Decimal` is only the
//! API's view of them.
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{ErrorCode, UserError};

/// An ISO 4217 currency this OMS accepts, with its number of decimal places.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

/// The currencies retailers sell in, with their minor units (ISO 4217).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PEN", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

impl Currency {
    pub fn parse(code: &str) -> Option<Currency> {
        CURRENCIES.iter().find(|(c, _)| *c == code).map(|&(code, exponent)| Currency { code, exponent })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    pub fn exponent(self) -> u32 {
        self.exponent
    }

    /// Minor units to the API's decimal view: 1999 EUR cents is 19.99.
    pub fn to_decimal(self, minor: i64) -> Decimal {
        Decimal::new(minor, self.exponent)
    }

    /// A decimal amount to minor units, refusing more decimals than the currency has.
    pub fn to_minor(self, amount: Decimal) -> Option<i64> {
        let scaled = amount.checked_mul(Decimal::from(10_i64.pow(self.exponent)))?;
        if scaled.fract() != Decimal::ZERO {
            return None;
        }
        i64::try_from(scaled).ok()
    }
}

/// Largest amount the OMS accepts for one price: far above any real price, far below overflow
/// even when multiplied by the largest line quantity.
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000_000;

/// Parses a money input (`amount`, `currency`) at `field`, as a non-negative amount.
pub fn parse_amount(field: &[&str], amount: Decimal, currency: &str) -> Result<(Currency, i64), UserError> {
    let mut currency_field: Vec<&str> = field.to_vec();
    currency_field.push("currency");
    let mut amount_field: Vec<&str> = field.to_vec();
    amount_field.push("amount");
    let Some(cur) = Currency::parse(currency) else {
        return Err(UserError::new(
            &currency_field,
            ErrorCode::InvalidCurrency,
            format!("'{currency}' is not a supported ISO 4217 currency code"),
        ));
    };
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(UserError::new(&amount_field, ErrorCode::InvalidInput, "amount must not be negative"));
    }
    match cur.to_minor(amount) {
        Some(minor) if minor <= MAX_AMOUNT_MINOR => Ok((cur, minor)),
        Some(_) => Err(UserError::new(&amount_field, ErrorCode::InvalidInput, "amount is too large")),
        None => Err(UserError::new(
            &amount_field,
            ErrorCode::InvalidInput,
            format!("{} amounts have at most {} decimal places", cur.code(), cur.exponent()),
        )),
    }
}

/// `minor × ppm / 1 000 000`, rounded half away from zero to whole minor units.
pub fn apply_ppm(minor: i64, ppm: i64) -> i64 {
    let exact = Decimal::from(minor) * Decimal::from(ppm) / Decimal::from(1_000_000);
    let rounded = exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// A percentage (e.g. 20 or 8.875) as parts per million, refusing more than 4 decimals.
pub fn percent_to_ppm(percent: Decimal) -> Option<i64> {
    let ppm = percent.checked_mul(Decimal::from(10_000))?;
    if ppm.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(ppm).ok()
}

pub fn ppm_to_percent(ppm: i64) -> Decimal {
    Decimal::new(ppm, 4).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn minor_units_follow_the_currency() {
        let eur = Currency::parse("EUR").expect("EUR");
        assert_eq!(eur.to_minor(dec!(19.99)), Some(1999));
        assert_eq!(eur.to_minor(dec!(19.999)), None);
        assert_eq!(eur.to_decimal(1999), dec!(19.99));
        let jpy = Currency::parse("JPY").expect("JPY");
        assert_eq!(jpy.to_minor(dec!(500)), Some(500));
        assert_eq!(jpy.to_minor(dec!(500.5)), None);
        assert!(Currency::parse("EURO").is_none());
        assert!(Currency::parse("eur").is_none());
    }

    #[test]
    fn parse_amount_refuses_negative_and_unknown_currency() {
        let err = parse_amount(&["price"], dec!(-1), "EUR").expect_err("negative");
        assert_eq!(err.field, vec!["price", "amount"]);
        let err = parse_amount(&["price"], dec!(1), "XXX").expect_err("unknown");
        assert_eq!(err.code, ErrorCode::InvalidCurrency);
        assert_eq!(parse_amount(&["price"], dec!(0), "EUR").expect("zero").1, 0);
    }

    #[test]
    fn ppm_rounds_half_away_from_zero() {
        assert_eq!(apply_ppm(1000, 200_000), 200);
        assert_eq!(apply_ppm(5, 100_000), 1); // 0.5 -> 1
        assert_eq!(apply_ppm(4, 100_000), 0); // 0.4 -> 0
        assert_eq!(percent_to_ppm(dec!(8.875)), Some(88_750));
        assert_eq!(percent_to_ppm(dec!(8.87501)), None);
        assert_eq!(ppm_to_percent(88_750), dec!(8.875));
    }
}
