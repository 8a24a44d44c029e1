//! Small parsers for the inputs every area shares: once a value has passed one, it is valid.
use crate::error::{ErrorCode, UserError};

/// A trimmed, non-empty text of at most `max` characters.
pub fn text(field: &[&str], value: &str, max: usize) -> Result<String, UserError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(UserError::new(field, ErrorCode::InvalidInput, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(UserError::new(field, ErrorCode::InvalidInput, format!("must be at most {max} characters")));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(UserError::new(field, ErrorCode::InvalidInput, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// Like [`text`], but an absent or blank value is `None`.
pub fn optional_text(field: &[&str], value: Option<&str>, max: usize) -> Result<Option<String>, UserError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A code such as a SKU or a location code: letters, digits, `-`, `_`, `.`, 1 to `max` long.
pub fn code(field: &[&str], value: &str, max: usize) -> Result<String, UserError> {
    let v = value.trim();
    if v.is_empty() || v.len() > max || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(UserError::new(
            field,
            ErrorCode::InvalidInput,
            format!("must be 1 to {max} letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(v.to_owned())
}

/// An email address, lower-cased. Deliberately simple: one `@`, a dotted domain, no spaces.
pub fn email(field: &[&str], value: &str) -> Result<String, UserError> {
    let v = value.trim().to_lowercase();
    let bad = || UserError::new(field, ErrorCode::InvalidEmail, format!("'{value}' is not a valid email address"));
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let Some((local, domain)) = v.split_once('@') else {
        return Err(bad());
    };
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|part| !part.is_empty())
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(bad());
    }
    Ok(v)
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub fn country(field: &[&str], value: &str) -> Result<String, UserError> {
    let v = value.trim().to_uppercase();
    if v.len() != 2 || !v.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(UserError::new(field, ErrorCode::InvalidInput, "must be a two-letter ISO 3166-1 country code"));
    }
    Ok(v)
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and parentheses.
pub fn phone(field: &[&str], value: &str) -> Result<String, UserError> {
    let v = value.trim();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if !(5..=20).contains(&digits) || v.len() > 32 || !v.chars().all(|c| c.is_ascii_digit() || "+ -.()".contains(c)) {
        return Err(UserError::new(field, ErrorCode::InvalidInput, "is not a valid phone number"));
    }
    Ok(v.to_owned())
}

pub fn latitude(field: &[&str], value: f64) -> Result<f64, UserError> {
    if value.is_finite() && (-90.0..=90.0).contains(&value) {
        Ok(value)
    } else {
        Err(UserError::new(field, ErrorCode::InvalidInput, "latitude must be between -90 and 90"))
    }
}

pub fn longitude(field: &[&str], value: f64) -> Result<f64, UserError> {
    if value.is_finite() && (-180.0..=180.0).contains(&value) {
        Ok(value)
    } else {
        Err(UserError::new(field, ErrorCode::InvalidInput, "longitude must be between -180 and 180"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(&["e"], " Ann@Example.COM ").expect("valid"), "ann@example.com");
        for bad in ["", "ann", "ann@", "@x.io", "ann@localhost", "a b@x.io", "ann@x..io", "a@b@c.io"] {
            assert!(email(&["e"], bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn codes_and_countries() {
        assert!(code(&["sku"], "TSHIRT-RED-M", 64).is_ok());
        assert!(code(&["sku"], "has space", 64).is_err());
        assert!(code(&["sku"], "", 64).is_err());
        assert_eq!(country(&["c"], "fr").expect("fr"), "FR");
        assert!(country(&["c"], "FRA").is_err());
    }
}
