//! What can go wrong in the domain, and the stable codes frontends translate.
use sea_orm::DbErr;

/// Stable, machine-readable codes of problems a caller can fix. Frontends switch on these:
/// add new ones freely, never rename one.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidInput,
    InvalidEmail,
    InvalidCurrency,
    CurrencyMismatch,
    UnknownSku,
    UnknownLocation,
    ProductInactive,
    LocationCannotPickup,
    OutOfStock,
    InsufficientStock,
    PromoCodeInvalid,
    InvalidState,
    StaleVersion,
    AlreadyExists,
    IdempotencyKeyReused,
    IdempotencyKeyInFlight,
    InvalidPickupCode,
    PickupCodeLocked,
    NotFound,
    RefundExceedsPaid,
    SlotFull,
    SlotUnavailable,
    UnknownTimeZone,
    AppointmentCutoffPassed,
    ReturnExceedsDelivered,
    ReturnWindowClosed,
    LocationCannotAcceptReturns,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::InvalidEmail => "INVALID_EMAIL",
            ErrorCode::InvalidCurrency => "INVALID_CURRENCY",
            ErrorCode::CurrencyMismatch => "CURRENCY_MISMATCH",
            ErrorCode::UnknownSku => "UNKNOWN_SKU",
            ErrorCode::UnknownLocation => "UNKNOWN_LOCATION",
            ErrorCode::ProductInactive => "PRODUCT_INACTIVE",
            ErrorCode::LocationCannotPickup => "LOCATION_CANNOT_PICKUP",
            ErrorCode::OutOfStock => "OUT_OF_STOCK",
            ErrorCode::InsufficientStock => "INSUFFICIENT_STOCK",
            ErrorCode::PromoCodeInvalid => "PROMO_CODE_INVALID",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::StaleVersion => "STALE_VERSION",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::IdempotencyKeyInFlight => "IDEMPOTENCY_KEY_IN_FLIGHT",
            ErrorCode::InvalidPickupCode => "INVALID_PICKUP_CODE",
            ErrorCode::PickupCodeLocked => "PICKUP_CODE_LOCKED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::RefundExceedsPaid => "REFUND_EXCEEDS_PAID",
            ErrorCode::SlotFull => "SLOT_FULL",
            ErrorCode::SlotUnavailable => "SLOT_UNAVAILABLE",
            ErrorCode::UnknownTimeZone => "UNKNOWN_TIME_ZONE",
            ErrorCode::AppointmentCutoffPassed => "APPOINTMENT_CUTOFF_PASSED",
            ErrorCode::ReturnExceedsDelivered => "RETURN_EXCEEDS_DELIVERED",
            ErrorCode::ReturnWindowClosed => "RETURN_WINDOW_CLOSED",
            ErrorCode::LocationCannotAcceptReturns => "LOCATION_CANNOT_ACCEPT_RETURNS",
        }
    }
}

/// One problem with the caller's input: which field (a path into the input), what, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    pub field: Vec<String>,
    pub code: ErrorCode,
    pub message: String,
}

impl UserError {
    pub fn new(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        Self { field: field.iter().map(|s| (*s).to_owned()).collect(), code, message: message.into() }
    }

    /// A problem with the `index`-th element of a list field, e.g. `lines.2.quantity`.
    pub fn at(list: &str, index: usize, field: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        let mut path = vec![list.to_owned(), index.to_string()];
        if !field.is_empty() {
            path.push(field.to_owned());
        }
        Self { field: path, code, message: message.into() }
    }
}

/// The outcome of a failed domain operation. `Rejected` is the caller's to fix and becomes
/// `userErrors`; the others are top-level GraphQL errors. In every case nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("the request was rejected: {0:?}")]
    Rejected(Vec<UserError>),
    #[error("not allowed")]
    Forbidden,
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl DomainError {
    pub fn rejected(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError::Rejected(vec![UserError::new(field, code, message)])
    }

    pub fn not_found(field: &[&str], what: &str) -> Self {
        DomainError::rejected(field, ErrorCode::NotFound, format!("{what} was not found"))
    }
}

/// Collects validation problems so a caller hears about all of them at once.
#[derive(Default, Debug)]
pub struct Problems(Vec<UserError>);

impl Problems {
    pub fn push(&mut self, error: UserError) {
        self.0.push(error);
    }

    pub fn add(&mut self, field: &[&str], code: ErrorCode, message: impl Into<String>) {
        self.0.push(UserError::new(field, code, message));
    }

    /// Keeps a parsed value, or records why it could not be parsed.
    pub fn take<T>(&mut self, parsed: Result<T, UserError>) -> Option<T> {
        parsed.map_err(|e| self.0.push(e)).ok()
    }

    /// The parsed values when no problem was found, else every problem as one rejection.
    pub fn finish<T>(self, parsed: Option<T>) -> Result<T, DomainError> {
        match (self.0.is_empty(), parsed) {
            (true, Some(value)) => Ok(value),
            (true, None) => Err(DomainError::rejected(&[], ErrorCode::InvalidInput, "the input is invalid")),
            (false, _) => Err(DomainError::Rejected(self.0)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was found, else every problem as one rejection.
    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() { Ok(()) } else { Err(DomainError::Rejected(self.0)) }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// The unique constraints a caller can run into, by the name each database reports them under
/// (PostgreSQL's constraint name, SQLite's `table.column`), with the input field at fault and what
/// already exists. A violation of any other constraint is a fault, not the caller's to fix.
const UNIQUE_CONSTRAINTS: &[(&str, &str, &str, &str)] = &[
    ("products_sku_key", "products.sku", "sku", "a product with this SKU"),
    ("locations_code_key", "locations.code", "code", "a location with this code"),
    ("promotions_code_key", "promotions.code", "code", "a promotion with this code"),
    ("customers_email_key", "customers.email", "email", "a customer with this email"),
];

/// The field and the thing a unique-violation message names, if it is one callers may meet.
fn unique_constraint_of(message: &str) -> Option<(&'static str, &'static str)> {
    UNIQUE_CONSTRAINTS
        .iter()
        .find(|(postgres, sqlite, _, _)| message.contains(&format!("\"{postgres}\"")) || message.contains(sqlite))
        .map(|(_, _, field, what)| (*field, *what))
}

/// Maps a unique-constraint violation on insert to ALREADY_EXISTS on the field its constraint
/// guards, so a race between two creators of the same code answers like the slower one had
/// looked first. Any other error stays a fault.
pub fn unique_violation(err: DbErr) -> DomainError {
    let known = match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) => unique_constraint_of(&message),
        _ => None,
    };
    match known {
        Some((field, what)) => {
            DomainError::rejected(&[field], ErrorCode::AlreadyExists, format!("{what} already exists"))
        }
        None => DomainError::Database(err),
    }
}

#[cfg(test)]
mod tests {
    use super::unique_constraint_of;

    #[test]
    fn unique_violations_are_named_by_their_constraint_on_either_database() {
        let postgres = r#"duplicate key value violates unique constraint "products_sku_key""#;
        assert_eq!(unique_constraint_of(postgres), Some(("sku", "a product with this SKU")));
        assert_eq!(
            unique_constraint_of("UNIQUE constraint failed: locations.code"),
            Some(("code", "a location with this code"))
        );
        assert_eq!(unique_constraint_of("UNIQUE constraint failed: customers.email").map(|c| c.0), Some("email"));
        assert_eq!(unique_constraint_of(r#"violates unique constraint "ux_order_lines_order_line_no""#), None);
    }
}
