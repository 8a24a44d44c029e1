//! How domain outcomes reach the caller: problems the caller can fix become `userErrors` in the
//! payload; authentication, authorisation and faults become top-level errors with a code.
use async_graphql::{Enum, ErrorExtensions, SimpleObject};
use domain::{DomainError, ErrorCode as DomainCode};

/// Stable, machine-readable codes of problems the caller can fix. New codes may be added; none
/// is ever renamed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
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
}

impl From<DomainCode> for ErrorCode {
    fn from(code: DomainCode) -> Self {
        match code {
            DomainCode::InvalidInput => ErrorCode::InvalidInput,
            DomainCode::InvalidEmail => ErrorCode::InvalidEmail,
            DomainCode::InvalidCurrency => ErrorCode::InvalidCurrency,
            DomainCode::CurrencyMismatch => ErrorCode::CurrencyMismatch,
            DomainCode::UnknownSku => ErrorCode::UnknownSku,
            DomainCode::UnknownLocation => ErrorCode::UnknownLocation,
            DomainCode::ProductInactive => ErrorCode::ProductInactive,
            DomainCode::LocationCannotPickup => ErrorCode::LocationCannotPickup,
            DomainCode::OutOfStock => ErrorCode::OutOfStock,
            DomainCode::InsufficientStock => ErrorCode::InsufficientStock,
            DomainCode::PromoCodeInvalid => ErrorCode::PromoCodeInvalid,
            DomainCode::InvalidState => ErrorCode::InvalidState,
            DomainCode::StaleVersion => ErrorCode::StaleVersion,
            DomainCode::AlreadyExists => ErrorCode::AlreadyExists,
            DomainCode::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            DomainCode::IdempotencyKeyInFlight => ErrorCode::IdempotencyKeyInFlight,
            DomainCode::InvalidPickupCode => ErrorCode::InvalidPickupCode,
            DomainCode::PickupCodeLocked => ErrorCode::PickupCodeLocked,
            DomainCode::NotFound => ErrorCode::NotFound,
        }
    }
}

/// A problem with the input that the caller can fix.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The path to the input field at fault, e.g. `["lines", "2", "quantity"]`; empty when the
    /// problem is with the request as a whole.
    pub field: Vec<String>,
    /// A stable code to switch on.
    pub code: ErrorCode,
    /// A human-readable explanation, in English.
    pub message: String,
}

impl From<domain::UserError> for UserError {
    fn from(e: domain::UserError) -> Self {
        UserError { field: e.field, code: e.code.into(), message: e.message }
    }
}

/// A top-level error: `extensions.code` is UNAUTHENTICATED, FORBIDDEN or INTERNAL.
pub fn top_level(code: &'static str, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// Splits a domain failure: user errors for the payload, anything else a top-level error.
pub fn user_errors(err: DomainError, anonymous: bool) -> async_graphql::Result<Vec<UserError>> {
    match err {
        DomainError::Rejected(errors) => Ok(errors.into_iter().map(UserError::from).collect()),
        DomainError::Forbidden if anonymous => Err(top_level("UNAUTHENTICATED", "sign in to do this")),
        DomainError::Forbidden => Err(top_level("FORBIDDEN", "you may not do this")),
        DomainError::Database(e) => {
            tracing::error!(error = %e, "database error");
            Err(top_level("INTERNAL", "an internal error occurred; nothing was changed"))
        }
    }
}

/// For queries: a domain failure as a top-level error.
pub fn query_error(err: DomainError, anonymous: bool) -> async_graphql::Error {
    match err {
        DomainError::Rejected(errors) => {
            let code = errors.first().map_or("INVALID_INPUT", |e| e.code.as_str());
            let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
            top_level(code, &message)
        }
        other => match user_errors(other, anonymous) {
            Err(e) => e,
            Ok(_) => top_level("INTERNAL", "an internal error occurred"),
        },
    }
}
