//! How domain outcomes reach the caller: problems the caller can fix become `userErrors` in the
//! payload; authentication, authorisation and faults become top-level errors with a code.
//!
//! Resolvers return [`ApiResult`] and end in `?`: [`ApiError`] converts domain, database and
//! loader failures, so each keeps one code and one message everywhere. Do not return
//! `async_graphql::Result` from a resolver that calls the domain: `DomainError` is `Display`,
//! so `?` would still compile there, through async-graphql's blanket conversion, and lose the code.

use async_graphql::{ErrorExtensions, SimpleObject, Value};
use domain::{DomainError, DomainResult};
use sea_orm::{ConnAcquireErr, DbErr};

use super::enums::ErrorCode;
use super::loaders::LoadError;

/// What a resolver returns.
pub type ApiResult<T> = Result<T, ApiError>;

/// A top-level GraphQL error with `extensions.code`: what every failure of a resolver becomes.
/// Deliberately not `Display`, so async-graphql's blanket conversion never applies to it.
#[derive(Clone, Debug)]
pub struct ApiError(async_graphql::Error);

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: &str) -> Self {
        ApiError(async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code)))
    }

    /// A fault of ours (a row that should exist does not, a missing context value).
    pub fn internal(message: &str) -> Self {
        ApiError::new("INTERNAL", message)
    }

    /// The `extensions.code` it carries.
    pub fn code(&self) -> Option<&str> {
        match self.0.extensions.as_ref()?.get("code")? {
            Value::String(code) => Some(code),
            _ => None,
        }
    }

    /// The message the caller reads.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

/// A failed domain call. A rejection reaching a query becomes one error with the first problem's
/// code (mutations put rejections in `userErrors` instead, see [`respond`]).
impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Rejected(errors) => {
                let code = errors.first().map_or("INVALID_INPUT", |e| e.code.as_str());
                let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
                ApiError::new(code, &message)
            }
            // An anonymous caller reads this as UNAUTHENTICATED: see `AnonymousRefusals`.
            DomainError::Forbidden => ApiError::new(FORBIDDEN, "you may not do this"),
            // Every connection busy for the whole acquire timeout (a hot row under a burst, a
            // pool too small for the load): the caller may simply try again, and must be told so.
            DomainError::Database(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)) => {
                tracing::warn!("no database connection became free in time");
                ApiError::new("SERVICE_BUSY", "the service is busy; nothing was changed, try again shortly")
            }
            DomainError::Database(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::internal("an internal error occurred; nothing was changed")
            }
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        DomainError::Database(err).into()
    }
}

/// A loader's failure: a read, so nothing to say about changes.
impl From<LoadError> for ApiError {
    fn from(err: LoadError) -> Self {
        tracing::error!(error = %err, "load failed");
        ApiError::internal("an internal error occurred")
    }
}

/// Errors async-graphql itself made (e.g. a missing context value) pass through unchanged.
impl From<async_graphql::Error> for ApiError {
    fn from(err: async_graphql::Error) -> Self {
        ApiError(err)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.0
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

/// Splits a domain result: a rejection is the caller's to fix (`userErrors`); anything else is a
/// top-level error.
pub fn rejections<T>(result: DomainResult<T>) -> ApiResult<Result<T, Vec<UserError>>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(DomainError::Rejected(errors)) => Ok(Err(errors.into_iter().map(UserError::from).collect())),
        Err(other) => Err(other.into()),
    }
}

/// A mutation's payload: the changed object, or the problems that stopped the change.
pub trait Payload: Sized {
    type Value;
    fn ok(value: Self::Value) -> Self;
    fn failed(user_errors: Vec<UserError>) -> Self;
}

/// Maps a domain result to a payload: success fills the object, a rejection fills
/// `userErrors`, anything else is a top-level error.
pub fn respond<P: Payload, T: Into<P::Value>>(result: DomainResult<T>) -> ApiResult<P> {
    Ok(match rejections(result)? {
        Ok(value) => P::ok(value.into()),
        Err(user_errors) => P::failed(user_errors),
    })
}

const FORBIDDEN: &str = "FORBIDDEN";

/// Tells an anonymous caller to sign in where a signed-in one is told it may not: the domain
/// refuses both alike (`DomainError::Forbidden`), and only the request knows who asked. One pass
/// over the response, so no resolver has to carry the caller into its error mapping.
pub fn ask_anonymous_to_sign_in(response: &mut async_graphql::Response) {
    response.errors.iter_mut().for_each(ask_to_sign_in);
}

fn ask_to_sign_in(error: &mut async_graphql::ServerError) {
    let Some(extensions) = error.extensions.as_mut() else { return };
    if extensions.get("code") == Some(&Value::from(FORBIDDEN)) {
        extensions.set("code", "UNAUTHENTICATED");
        error.message = "sign in to do this".to_owned();
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::EnumType;
    use domain::ErrorCode as DomainCode;

    use super::*;

    #[test]
    fn a_rejection_keeps_its_first_code_and_every_message() {
        let err = ApiError::from(DomainError::Rejected(vec![
            domain::UserError::new(&["sku"], DomainCode::UnknownSku, "no such SKU"),
            domain::UserError::new(&["quantity"], DomainCode::InvalidInput, "too many"),
        ]));
        assert_eq!(err.code(), Some("UNKNOWN_SKU"));
        assert_eq!(err.message(), "no such SKU; too many");

        let empty = ApiError::from(DomainError::Rejected(Vec::new()));
        assert_eq!(empty.code(), Some("INVALID_INPUT"));
    }

    #[test]
    fn forbidden_is_forbidden_and_asks_the_anonymous_to_sign_in() {
        let err = ApiError::from(DomainError::Forbidden);
        assert_eq!(err.code(), Some("FORBIDDEN"));
        assert_eq!(err.message(), "you may not do this");

        let mut server_error = async_graphql::Error::from(err).into_server_error(Default::default());
        ask_to_sign_in(&mut server_error);
        assert_eq!(server_error.extensions.and_then(|e| e.get("code").cloned()), Some(Value::from("UNAUTHENTICATED")));
        assert_eq!(server_error.message, "sign in to do this");
    }

    #[test]
    fn other_codes_are_left_alone_for_the_anonymous() {
        let mut server_error =
            async_graphql::Error::from(ApiError::internal("boom")).into_server_error(Default::default());
        ask_to_sign_in(&mut server_error);
        assert_eq!(server_error.extensions.and_then(|e| e.get("code").cloned()), Some(Value::from("INTERNAL")));
        assert_eq!(server_error.message, "boom");
    }

    #[test]
    fn a_pool_timeout_says_busy_and_to_try_again() {
        let busy = ApiError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(busy.code(), Some("SERVICE_BUSY"));
        assert_eq!(busy.message(), "the service is busy; nothing was changed, try again shortly");
    }

    #[test]
    fn database_and_load_failures_are_internal() {
        let db = ApiError::from(DbErr::Custom("disk full".to_owned()));
        assert_eq!(db.code(), Some("INTERNAL"));
        assert_eq!(db.message(), "an internal error occurred; nothing was changed");

        let via_domain = ApiError::from(DomainError::Database(DbErr::Custom("disk full".to_owned())));
        assert_eq!(via_domain.code(), Some("INTERNAL"));
        assert_eq!(via_domain.message(), db.message());

        let load = ApiError::from(std::sync::Arc::new(DomainError::Database(DbErr::Custom("gone".to_owned()))));
        assert_eq!(load.code(), Some("INTERNAL"));
        assert_eq!(load.message(), "an internal error occurred");
    }

    #[test]
    fn mutations_put_rejections_in_user_errors_and_nothing_else() {
        let rejected: DomainResult<()> = Err(DomainError::rejected(&["sku"], DomainCode::AlreadyExists, "taken"));
        let Ok(Err(user_errors)) = rejections(rejected) else { panic!("a rejection is the caller's to fix") };
        assert_eq!(user_errors.len(), 1);
        assert_eq!(user_errors.first().map(|e| e.code), Some(ErrorCode::AlreadyExists));

        let forbidden: DomainResult<()> = Err(DomainError::Forbidden);
        assert_eq!(rejections(forbidden).err().as_ref().and_then(ApiError::code), Some("FORBIDDEN"));
    }

    /// Every domain code reaches GraphQL under the name the domain gives it.
    #[test]
    fn every_error_code_keeps_its_name() {
        let all = [
            DomainCode::InvalidInput,
            DomainCode::InvalidEmail,
            DomainCode::InvalidCurrency,
            DomainCode::CurrencyMismatch,
            DomainCode::UnknownSku,
            DomainCode::UnknownLocation,
            DomainCode::ProductInactive,
            DomainCode::LocationCannotPickup,
            DomainCode::OutOfStock,
            DomainCode::InsufficientStock,
            DomainCode::PromoCodeInvalid,
            DomainCode::InvalidState,
            DomainCode::StaleVersion,
            DomainCode::AlreadyExists,
            DomainCode::IdempotencyKeyReused,
            DomainCode::IdempotencyKeyInFlight,
            DomainCode::InvalidPickupCode,
            DomainCode::PickupCodeLocked,
            DomainCode::NotFound,
            DomainCode::SlotFull,
            DomainCode::SlotUnavailable,
            DomainCode::UnknownTimeZone,
            DomainCode::AppointmentCutoffPassed,
            DomainCode::ReturnExceedsDelivered,
            DomainCode::ReturnWindowClosed,
            DomainCode::LocationCannotAcceptReturns,
            DomainCode::RefundExceedsPaid,
        ];
        assert_eq!(all.len(), ErrorCode::items().len());
        for code in all {
            let api = ErrorCode::from(code);
            let name = ErrorCode::items().iter().find(|item| item.value == api).map(|item| item.name);
            assert_eq!(name, Some(code.as_str()));
            let rejected = ApiError::from(DomainError::rejected(&[], code, "x"));
            assert_eq!(rejected.code(), Some(code.as_str()));
        }
    }
}
